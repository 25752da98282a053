/**
 * `xcnn train`'s training loop from the command line: the paper's recipe with the default flags writes the
 * very model bytes main (bb30302, before the recipe options) wrote — a SHA-256 taken from that build's
 * run of the same command on the deterministic TypeScript backend — and every run prints one line per
 * epoch with its learning rate, writes metrics.csv beside metrics.json, and shows the whole run's ETA.
 * A recipe run on two threads (the thread pool sums the gradients, SGD updates on the main thread) learns.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../src/files/safetensors.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';

const { work, xcnn } = cliWorkspace('xcnn-recipe-cli-', 300_000);
const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('the paper\'s recipe stays the default', () => {
  it('the default flags write main\'s model bytes (ts backend, 64 images, 2 epochs of 32)', () => {
    // /work/ab-main (bb30302): node bin/xcnn.js train --backend ts --threads 1 --limit 64 --test-limit 32 --epochs 2 --batch 32 --seed 1
    const run = xcnn('train', '--backend', 'ts', '--threads', '1', '--limit', '64', '--test-limit', '32', '--epochs', '2', '--batch', '32', '--seed', '1', '--out', 'paper');
    expect(run.status, run.stderr).toBe(0);
    expect(sha256(join(work, 'paper', 'model.safetensors'))).toBe('3ff81faba8119abe0090220550b80779b91ed96e81c3040e2b8a790515372969');
  });
});

describe('what a run shows and writes as it goes', () => {
  it('a line per epoch with its learning rate, metrics.csv matching metrics.json, and the ETA of the whole run', () => {
    const run = xcnn('train', '--limit', '256', '--test-limit', '64', '--epochs', '3', '--batch', '32', '--widths', '4,4,8', '--schedule', 'step(1,0.5)', '--out', 'steps');
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n').filter((line) => /^epoch \d\/3 /.test(line));
    expect(lines.map((line) => /lr (\S+)/.exec(line)![1])).toEqual(['0.001', '0.0005', '0.00025']);
    expect(run.stdout).toMatch(/adam lr 0\.001, step\(1,0\.5\) schedule/);
    const metrics = JSON.parse(readFileSync(join(work, 'steps', 'metrics.json'), 'utf8'));
    expect(metrics.settings.schedule).toEqual({ name: 'step', stepSize: 1, gamma: 0.5, warmup: 0 });
    const [header, ...rows] = readFileSync(join(work, 'steps', 'metrics.csv'), 'utf8').trim().split('\n');
    expect(header).toBe('epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,learning_rate,seconds');
    expect(rows).toHaveLength(3);
    rows.forEach((row, k) => {
      const cells = row.split(',');
      const record = metrics.history[k];
      expect(cells.map((c) => (c === '' ? undefined : Number(c)))).toEqual([record.epoch, record.trainLoss, record.trainAccuracy, undefined, undefined, record.testLoss, record.testAccuracy, record.learningRate, record.seconds]);
    });
    // Not a terminal: a plain line at each quarter of an epoch, with the ETA of the whole run.
    expect(run.stderr).toMatch(/epoch 1\/3 \[.*\] \d+\/256 .* ETA \d+:\d\d/);
  });

  it('an SGD run with Nesterov, clipping, one-cycle and label smoothing on two threads learns and says its recipe', () => {
    const run = xcnn('train', '--threads', '2', '--limit', '512', '--test-limit', '200', '--epochs', '2', '--batch', '32', '--widths', '8,8,16', '--optimizer', 'sgd', '--lr', '0.1', '--momentum', '0.9', '--nesterov', '--clip-norm', '5', '--schedule', 'one-cycle', '--label-smoothing', '0.1', '--out', 'sgd');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/sgd lr 0\.1 momentum 0\.9 nesterov, one-cycle schedule, clip-norm 5, label smoothing 0\.1/);
    const metrics = JSON.parse(readFileSync(join(work, 'sgd', 'metrics.json'), 'utf8'));
    expect(metrics.test.accuracy).toBeGreaterThan(0.3); // chance is 0.1
    expect(metrics.history[1].learningRate).toBeLessThan(1e-4); // one-cycle ends at lr/25/1e4
  });

  it('--resume may extend --epochs and change the learning rate and schedule, which metrics.json and the model record', () => {
    const first = xcnn('train', '--limit', '256', '--test-limit', '64', '--epochs', '1', '--batch', '32', '--widths', '4,4,8', '--out', 'changed');
    expect(first.status, first.stderr).toBe(0);
    const resumed = xcnn('train', '--resume', 'changed', '--epochs', '3', '--lr', '0.0005', '--schedule', 'cosine');
    expect(resumed.status, resumed.stderr).toBe(0);
    const metrics = JSON.parse(readFileSync(join(work, 'changed', 'metrics.json'), 'utf8'));
    expect(metrics.settings.recipeChanges).toEqual([{ epoch: 1, step: 8, learningRate: 0.0005, schedule: { name: 'cosine', stepSize: 1, gamma: 0.1, warmup: 0 } }]);
    // Epoch 1 at the first rate; then cosine over the 3 epochs from 0.0005: e = 1, 2 give (1 + cos(π/3))/2 and (1 + cos(2π/3))/2.
    const rates = metrics.history.map((r: { learningRate: number }) => r.learningRate);
    expect(rates[0]).toBe(0.001);
    expect(rates[1]).toBeCloseTo(0.0005 * 0.75, 15);
    expect(rates[2]).toBeCloseTo(0.0005 * 0.25, 15);
    const model = readFileSync(join(work, 'changed', 'model.safetensors'));
    const header = model.subarray(8, 8 + Number(model.readBigUInt64LE(0))).toString('utf8');
    expect(JSON.parse(JSON.parse(header).__metadata__.training).recipeChanges).toEqual(metrics.settings.recipeChanges);
  });

  it('--init starts from a model\'s weights; --reset-head takes the head from the run\'s own seeded initialisation', () => {
    const small = ['--limit', '128', '--test-limit', '32', '--epochs', '1', '--batch', '32'];
    expect(xcnn('train', ...small, '--widths', '4,4,8', '--seed', '3', '--out', 'base').status).toBe(0);
    // A learning rate of 1e-9 moves no weight by more than a step count × 1e-9: the weights are where they started.
    const tuned = xcnn('train', ...small, '--init', 'base/model.safetensors', '--lr', '1e-9', '--seed', '5', '--out', 'tuned');
    expect(tuned.status, tuned.stderr).toBe(0);
    expect(xcnn('train', ...small, '--init', 'base/model.safetensors', '--reset-head', '--lr', '1e-9', '--seed', '5', '--out', 'reset').status).toBe(0);
    expect(xcnn('train', ...small, '--widths', '4,4,8', '--lr', '1e-9', '--seed', '5', '--out', 'fresh').status).toBe(0);
    const tensors = (run: string) => decodeSafetensors(new Uint8Array(readFileSync(join(work, run, 'model.safetensors')))).tensors;
    const [base, tunedT, reset, fresh] = ['base', 'tuned', 'reset', 'fresh'].map(tensors);
    const distance = (a: typeof base, b: typeof base, name: string) => Math.max(...Array.from(a.get(name)!.data, (x, k) => Math.abs(x - b.get(name)!.data[k])));
    for (const name of base.keys()) {
      expect(distance(tunedT, base, name), name).toBeLessThan(1e-6);
      const fromFresh = name.startsWith('fc2.');
      expect(distance(reset, fromFresh ? fresh : base, name), name).toBeLessThan(1e-6);
      if (fromFresh) expect(distance(reset, base, name), name).toBeGreaterThan(1e-3);
    }
    const metrics = JSON.parse(readFileSync(join(work, 'reset', 'metrics.json'), 'utf8'));
    expect([metrics.settings.init, metrics.settings.resetHead]).toEqual(['base/model.safetensors', true]);
    expectOneLineError(xcnn('train', ...small, '--init', 'base/model.safetensors', '--widths', '8,8,8', '--out', 'bad'), 2, /^error: --init base\/model\.safetensors: its tensor conv1\.weight is \[4, 1, 3, 3\], this run's network needs \[8, 1, 3, 3\]; give --init a model of the same --arch and input size$/);
    expectOneLineError(xcnn('train', ...small, '--reset-head', '--out', 'bad'), 2, '--reset-head applies only with --init (it re-initialises the head of the model --init starts from); leave --reset-head out, or give --init');
  });

  it('--patience and --monitor need a validation set', () => {
    expectOneLineError(xcnn('train', '--limit', '64', '--patience', '2', '--out', 'p'), 2, '--patience watches the validation set, and this data has none; give --val-split F, or leave --patience out');
    expectOneLineError(xcnn('train', '--limit', '64', '--monitor', 'val-accuracy', '--out', 'p'), 2, '--monitor chooses the best epoch by the validation set, and this data has none; give --val-split F, or leave --monitor out');
  });
});
