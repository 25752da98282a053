/**
 * Crash safety, for real: the CLI is spawned, killed (SIGKILL) or interrupted (SIGINT) in the middle
 * of an epoch, resumed with `--resume`, and its model file compared byte for byte with an uninterrupted
 * run of the same seed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
const work = mkdtempSync(join(tmpdir(), 'xcnn-crash-'));
const BACKEND = process.env.XCNN_TEST_BACKEND ?? 'wasm';
// The paper's network at the shipped model's widths: what is checked (bytes equal after a crash) does not depend on
// the widths, and a narrow net makes each run and each of its checkpoints a fraction of the paper widths' cost.
const RUN = ['train', '--backend', BACKEND, '--widths', '8,16,32', '--limit', '5120', '--test-limit', '64', '--epochs', '2', '--batch', '32', '--seed', '42'];
/** Every recipe flag beyond the paper's that a run without a validation set takes (the optimiser's state, the schedule's place, the smoothed loss). */
const RECIPE = ['--optimizer', 'sgd', '--lr', '0.05', '--momentum', '0.9', '--nesterov', '--weight-decay', '0.0005', '--clip-norm', '1', '--schedule', 'one-cycle', '--warmup', '20', '--label-smoothing', '0.1', '--augment', 'shift(2),rotate(10),scale(0.1),crop(2),erase(0.25)'];

function runToEnd(...args: string[]) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: work, encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result;
}

/** Starts a run, waits until its first periodic checkpoint exists, then sends `signal`. */
async function interrupt(out: string, signal: NodeJS.Signals, run = RUN): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  const child = spawn(process.execPath, [bin, ...run, '--checkpoint-every', '20', '--out', out], { cwd: work });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const checkpoint = join(work, out, 'checkpoint.safetensors');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  for (let waited = 0; !existsSync(checkpoint); waited += 10) {
    if (waited > 60_000) throw new Error(`no checkpoint appeared: ${stderr}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 150)); // somewhere after the checkpoint, mid-step or mid-write
  // The run (320 steps: 2 epochs of 5,120 images) takes about half a second at 20,000 images/s, the first checkpoint
  // coming after 20 of them: it must still be running.
  if (child.exitCode !== null) throw new Error('the run ended before it could be interrupted; make it longer');
  child.kill(signal);
  return { ...(await exited), stderr };
}

describe('crash-safe training', () => {
  const reference = () => readFileSync(join(work, 'whole', 'model.safetensors'));

  it('an uninterrupted run writes a model, metrics and a checkpoint', () => {
    runToEnd(...RUN, '--out', 'whole');
    for (const file of ['model.safetensors', 'metrics.json', 'checkpoint.safetensors']) expect(statSync(join(work, 'whole', file)).size).toBeGreaterThan(0);
  });

  it('a second run with the same seed, thread count and kernel build writes the same model bytes', () => {
    runToEnd(...RUN, '--out', 'again');
    expect(readFileSync(join(work, 'again', 'model.safetensors')).equals(reference())).toBe(true);
  });

  it('a run killed with SIGKILL mid-epoch and resumed ends with the same model bytes', async () => {
    const killed = await interrupt('killed', 'SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(join(work, 'killed', 'model.safetensors'))).toBe(false);
    const resumed = runToEnd('train', '--resume', 'killed');
    expect(resumed.stdout).toMatch(/resumed at step \d+/);
    expect(readFileSync(join(work, 'killed', 'model.safetensors')).equals(reference())).toBe(true);
  });

  it('Ctrl-C stops after writing a checkpoint, says how to resume, and the resumed run matches', async () => {
    const stopped = await interrupt('interrupted', 'SIGINT');
    expect(stopped.code).toBe(130);
    expect(stopped.stderr).toMatch(/interrupted at step \d+ .*checkpoint written to interrupted\/checkpoint\.safetensors/);
    expect(stopped.stderr).toMatch(/resume with: xcnn train --resume interrupted/);
    runToEnd('train', '--resume', 'interrupted');
    expect(readFileSync(join(work, 'interrupted', 'model.safetensors')).equals(reference())).toBe(true);
  });

  it('a run with every recipe flag, killed with SIGKILL mid-epoch and resumed, ends with its uninterrupted run\'s model bytes', async () => {
    runToEnd(...RUN, ...RECIPE, '--out', 'recipe-whole');
    const killed = await interrupt('recipe-killed', 'SIGKILL', [...RUN, ...RECIPE]);
    expect(killed.signal).toBe('SIGKILL');
    const resumed = runToEnd('train', '--resume', 'recipe-killed');
    expect(resumed.stdout).toMatch(/resumed at step \d+.*sgd lr 0\.05 weight decay 0\.0005 momentum 0\.9 nesterov, one-cycle schedule, warm-up 20 steps, clip-norm 1, label smoothing 0\.1, augment shift\(2\),rotate\(10\),scale\(0\.1\),crop\(2\),erase\(0\.25\)/);
    const whole = readFileSync(join(work, 'recipe-whole', 'model.safetensors'));
    expect(readFileSync(join(work, 'recipe-killed', 'model.safetensors')).equals(whole)).toBe(true);
    expect(whole.equals(reference())).toBe(false); // the recipe made another model
  });

  it('refuses a resume folder without a checkpoint, naming the file', () => {
    const result = spawnSync(process.execPath, [bin, 'train', '--resume', 'nowhere'], { cwd: work, encoding: 'utf8' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^error: nowhere\/checkpoint\.safetensors: no checkpoint to resume from/);
  });
});
