/**
 * A damaged checkpoint is refused, never resumed into garbage or an endless run: a real checkpoint is made by
 * a one-epoch run on 64 images, then each field `--resume` reads is corrupted in turn — truncated bytes, the
 * JSON metadata (settings, progress, history) edited by hand, Adam's moments, the weights — and `xcnn train
 * --resume` must answer with one line naming the checkpoint and the field, exit status 1.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { trainSpec } from '../src/cli/train-command.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '../src/files/safetensors.js';
import { SETTING_RANGES } from '../src/train/settings.js';
import { cliWorkspace, expectOneLineError, type CliRun } from './fixtures/cli.js';

// A run that hangs (a batch of 0, a position that never reaches the end) is killed after a minute and fails.
const { work, xcnn } = cliWorkspace('xcnn-checkpoint-', 60_000);
const IMAGES = 64;
const BATCH = 16;
const BATCHES = IMAGES / BATCH; // 4 steps in the one epoch

/** A decoded checkpoint, to edit: its metadata strings and its tensors. */
interface Checkpoint {
  metadata: Record<string, string>;
  tensors: Map<string, Tensor>;
}

let original: Uint8Array;
const decoded = (): Checkpoint => {
  const file = decodeSafetensors(original, 'checkpoint');
  return { metadata: { ...file.metadata }, tensors: new Map([...file.tensors].map(([name, t]) => [name, { ...t, shape: [...t.shape], data: Float32Array.from(t.data) }])) };
};
const encoded = (c: Checkpoint): Uint8Array => encodeSafetensors([...c.tensors].map(([name, t]) => ({ name, ...t })), c.metadata);

/** A corruption: the edit of a decoded checkpoint, or whole bytes of its own. */
type Corruption = (c: Checkpoint) => void | Uint8Array;

/** Edits one JSON metadata entry (settings, progress, history) as a hand would. */
const editJson =
  (key: string, edit: (value: any) => unknown): Corruption =>
  (c) => {
    const value = JSON.parse(c.metadata[key]);
    const replaced = edit(value);
    c.metadata[key] = JSON.stringify(replaced === undefined ? value : replaced);
  };
const setting = (field: string, value: unknown) => editJson('settings', (s) => void (s[field] = value));
const progressOf = (fields: Record<string, unknown>) => editJson('progress', (p) => void Object.assign(p, fields));
/** A place in the middle of the second epoch: the order is the one the generator is at, `position` images in. */
const midEpoch = (position: number, fields: Record<string, unknown> = {}) =>
  editJson('progress', (p) => void Object.assign(p, { epochRandomState: p.randomState, position, correct: 0, lossSum: 0, step: BATCHES + Math.ceil(position / BATCH), ...fields }));
const element = (name: string, index: number, value: number): Corruption => (c) => void (c.tensors.get(name)!.data[index] = value);

let parameters: number;

beforeAll(() => {
  const made = xcnn('train', '--backend', 'ts', '--widths', '2,4,8', '--limit', String(IMAGES), '--test-limit', '16', '--batch', String(BATCH), '--epochs', '1', '--out', 'base');
  expect(made.status, made.stderr).toBe(0);
  original = readFileSync(join(work, 'base', 'checkpoint.safetensors'));
  parameters = decoded().tensors.get('adam.m')!.shape[0];
}, 120_000);

let cases = 0;
/** Writes the corrupted checkpoint into a folder of its own; returns the folder. */
function writeCorrupted(corruption: Corruption): string {
  const folder = `case-${cases++}`;
  mkdirSync(join(work, folder));
  const checkpoint = decoded();
  const bytes = corruption(checkpoint) ?? encoded(checkpoint);
  writeFileSync(join(work, folder, 'checkpoint.safetensors'), bytes);
  return folder;
}

function resumeFrom(corruption: Corruption, ...flags: string[]) {
  const folder = writeCorrupted(corruption);
  return { folder, result: xcnn('train', '--resume', folder, ...flags) };
}

const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
/** `xcnn train --resume folder` in the background, killed after a minute (a hang then fails its row). */
function resumeInBackground(folder: string): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, 'train', '--resume', folder], { cwd: work, encoding: 'utf8', timeout: 60_000 }, (error, stdout, stderr) => {
      const status = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ status, stdout, stderr });
    });
  });
}

describe('the ranges a checkpoint\'s settings are checked against', () => {
  it('are the ranges the train command\'s flags accept', () => {
    const flagOf = {
      epochs: 'epochs', batchSize: 'batch', learningRate: 'lr', seed: 'seed', limit: 'limit', testLimit: 'test-limit', checkpointEvery: 'checkpoint-every',
      weightDecay: 'weight-decay', momentum: 'momentum', clipNorm: 'clip-norm', labelSmoothing: 'label-smoothing', patience: 'patience', warmup: 'warmup',
    } as const;
    // The step schedule's S and γ are read from --schedule step(S,γ), checked in the same ranges (cli-arguments.test.ts).
    const insideSchedule = ['stepSize', 'gamma'];
    expect([...Object.keys(flagOf), ...insideSchedule].sort()).toEqual(Object.keys(SETTING_RANGES).sort());
    for (const [setting, flag] of Object.entries(flagOf)) {
      const range = trainSpec.flags[flag].range!;
      const expected = SETTING_RANGES[setting as keyof typeof SETTING_RANGES];
      expect({ setting, ...range, aboveMin: range.aboveMin === true }).toEqual({ setting, ...expected, aboveMin: 'aboveMin' in expected && expected.aboveMin });
    }
  });
});

describe('the checks do not refuse a sound checkpoint', () => {
  it('the checkpoint as written, decoded and encoded again by this test, resumes', () => {
    const { result } = resumeFrom(() => undefined, '--epochs', '2');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/resumed at step 4 \(epoch 2, image 0\)/);
  });

  it('a checkpoint in the middle of an epoch resumes', () => {
    const { result } = resumeFrom(midEpoch(32), '--epochs', '2');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/resumed at step 6 \(epoch 2, image 32\)/);
  });
});

const ALL_WORDS = 'not four whole numbers from 0 to 4294967295';
/** What follows `FILE: ` in the message (a function when it needs the parameter count, known once the checkpoint is made). */
type Problem = string | RegExp | (() => string);

const rows: Array<[what: string, corruption: Corruption, problem: Problem]> = [
  // The bytes
  ['truncated to half', () => original.subarray(0, original.length >> 1), /^not a valid safetensors file: tensor '[\w.]+' has data_offsets \[\d+, \d+\] outside the \d+-byte data buffer$/],
  ['truncated inside its header', () => original.subarray(0, 100), /^not a valid safetensors file: the header claims \d+ bytes but the file has 92 after the length field$/],
  ['empty', () => new Uint8Array(0), 'not a valid safetensors file: only 0 bytes, too short for the 8-byte header length'],
  ['a model file\'s format', (c) => void (c.metadata.format = 'xcnn'), 'not a usable xcnn checkpoint: its format is "xcnn", not "xcnn-checkpoint"'],
  // The JSON metadata
  ['settings cut short', (c) => void (c.metadata.settings = c.metadata.settings.slice(0, 30)), "not a usable xcnn checkpoint: metadata 'settings' is not JSON"],
  ['progress missing', (c) => void delete c.metadata.progress, "not a usable xcnn checkpoint: metadata 'progress' is missing"],
  ['a NaN typed into the progress', (c) => void (c.metadata.progress = c.metadata.progress.replace(/"lossSum":[^,]+/, '"lossSum":NaN')), "not a usable xcnn checkpoint: metadata 'progress' is not JSON"],
  ['settings a list', editJson('settings', () => []), 'not a usable xcnn checkpoint: settings is [], not a JSON object'],
  // Settings: what the flags would allow
  ['epochs 0', setting('epochs', 0), 'not a usable xcnn checkpoint: settings.epochs is 0, not a whole number from 1 to 10000'],
  ['epochs as text', setting('epochs', '1'), 'not a usable xcnn checkpoint: settings.epochs is "1", not a whole number from 1 to 10000'],
  ['epochs a billion', setting('epochs', 1e9), 'not a usable xcnn checkpoint: settings.epochs is 1000000000, not a whole number from 1 to 10000'],
  ['a batch of 0', setting('batchSize', 0), 'not a usable xcnn checkpoint: settings.batchSize is 0, not a whole number from 1 to 65536'],
  ['a batch of 2.5', setting('batchSize', 2.5), 'not a usable xcnn checkpoint: settings.batchSize is 2.5, not a whole number from 1 to 65536'],
  ['a negative learning rate', setting('learningRate', -0.001), 'not a usable xcnn checkpoint: settings.learningRate is -0.001, not a finite number > 0 and ≤ 10'],
  ['no learning rate', setting('learningRate', null), 'not a usable xcnn checkpoint: settings.learningRate is null, not a finite number > 0 and ≤ 10'],
  ['β1 of 1', setting('beta1', 1), 'not a usable xcnn checkpoint: settings.beta1 is 1, not a finite number ≥ 0 and < 1'],
  ['ε of 0', setting('epsilon', 0), 'not a usable xcnn checkpoint: settings.epsilon is 0, not a finite number > 0'],
  ['a seed past 32 bits', setting('seed', 2 ** 32), 'not a usable xcnn checkpoint: settings.seed is 4294967296, not a whole number from 0 to 4294967295'],
  ['another arch than the network\'s', setting('arch', 'paper'), /^not a usable xcnn checkpoint: settings\.arch is "paper", but the checkpoint's network is "conv\(2,3\) relu/],
  ['--limit 0', setting('limit', 0), 'not a usable xcnn checkpoint: settings.limit is 0, not a whole number from 1 to 10000000'],
  ['--test-limit missing', editJson('settings', (s) => void delete s.testLimit), 'not a usable xcnn checkpoint: settings.testLimit is missing, not a whole number from 1 to 10000000'],
  ['an unknown backend', setting('backend', 'gpu'), 'not a usable xcnn checkpoint: settings.backend is "gpu", not one of wasm, ts'],
  ['two threads on the one-thread backend', setting('threads', 2), 'not a usable xcnn checkpoint: settings.threads is 2, not a whole number from 1 to 1'],
  ['--checkpoint-every 0', setting('checkpointEvery', 0), 'not a usable xcnn checkpoint: settings.checkpointEvery is 0, not a whole number from 1 to 100000000'],
  ['a data folder that is a number', setting('data', 42), 'not a usable xcnn checkpoint: settings.data is 42, not a folder name or null'],
  // Progress
  ['an epoch beyond the epochs', progressOf({ epoch: 2 }), 'not a usable xcnn checkpoint: progress.epoch is 2, not a whole number from 0 to 1'],
  ['a negative epoch', progressOf({ epoch: -1 }), 'not a usable xcnn checkpoint: progress.epoch is -1, not a whole number from 0 to 1'],
  ['a fractional step', progressOf({ step: 4.5 }), 'not a usable xcnn checkpoint: progress.step is 4.5, not a whole number ≥ 0'],
  ['a step the epochs do not make', progressOf({ step: 99 }), `not a usable xcnn checkpoint: progress.step is 99, but 1 epoch(s) of ${BATCHES} batch(es) and 0 image(s) into the next make ${BATCHES}`],
  ['a position between epochs', progressOf({ position: 16 }), 'not a usable xcnn checkpoint: progress.position is 16 between two epochs (progress.epochRandomState is null), where it must be 0'],
  ['a position beyond the data', midEpoch(6400), `not a usable xcnn checkpoint: progress.position is 6400, beyond the ${IMAGES} training images of the data`],
  ['a negative position', midEpoch(-16), 'not a usable xcnn checkpoint: progress.position is -16, not a whole number ≥ 0'],
  ['a position off the batches', midEpoch(17), `not a usable xcnn checkpoint: progress.position is 17, not a multiple of the batch size ${BATCH}`],
  ['more correct answers than images', midEpoch(16, { correct: 17 }), 'not a usable xcnn checkpoint: progress.correct is 17, not a whole number from 0 to 16'],
  ['a generator state of three words', progressOf({ randomState: [1, 2, 3] }), `not a usable xcnn checkpoint: progress.randomState is [1,2,3], ${ALL_WORDS}`],
  ['a generator word past 32 bits', progressOf({ randomState: [1, 2, 3, 2 ** 32] }), `not a usable xcnn checkpoint: progress.randomState is [1,2,3,4294967296], ${ALL_WORDS}`],
  ['the all-zero generator state', progressOf({ randomState: [0, 0, 0, 0] }), 'not a usable xcnn checkpoint: progress.randomState is all zeros, a state the generator never reaches'],
  ['an epoch order state that is text', progressOf({ epochRandomState: 'x' }), `not a usable xcnn checkpoint: progress.epochRandomState is "x", ${ALL_WORDS}`],
  ['a negative loss sum', progressOf({ lossSum: -1 }), 'not a usable xcnn checkpoint: progress.lossSum is -1, not a finite number ≥ 0'],
  ['negative seconds', progressOf({ seconds: -5 }), 'not a usable xcnn checkpoint: progress.seconds is -5, not a finite number ≥ 0'],
  // The metrics so far
  ['history an object', editJson('history', () => ({})), 'not a usable xcnn checkpoint: history is {}, not a list of epoch records'],
  ['history longer than the epochs done', editJson('history', (h) => [...h, { ...h[0], epoch: 2 }]), 'not a usable xcnn checkpoint: history has 2 record(s) for the 1 epoch(s) done (progress.epoch)'],
  ['history emptied', editJson('history', () => []), 'not a usable xcnn checkpoint: history has 0 record(s) for the 1 epoch(s) done (progress.epoch)'],
  ['a test loss that is not a number', editJson('history', (h) => void (h[0].testLoss = null)), 'not a usable xcnn checkpoint: history[0].testLoss is null, not a finite number ≥ 0'],
  ['an accuracy above 1', editJson('history', (h) => void (h[0].trainAccuracy = 1.5)), 'not a usable xcnn checkpoint: history[0].trainAccuracy is 1.5, not a finite number ≥ 0 and ≤ 1'],
  ['a record numbered wrong', editJson('history', (h) => void (h[0].epoch = 3)), 'not a usable xcnn checkpoint: history[0].epoch is 3, not 1'],
  // Adam's moments and the weights
  ['a NaN first moment', element('adam.m', 5, NaN), "not a usable xcnn checkpoint: tensor 'adam.m' holds NaN at element 5"],
  ['an infinite second moment', element('adam.v', 0, Infinity), "not a usable xcnn checkpoint: tensor 'adam.v' holds Infinity at element 0"],
  ['a negative second moment', element('adam.v', 7, -0.25), "not a usable xcnn checkpoint: tensor 'adam.v' holds -0.25 at element 7; a second moment is never negative"],
  ['first moments one short', (c) => void c.tensors.set('adam.m', { shape: [parameters - 1], data: new Float32Array(parameters - 1) }), () => `not a usable xcnn checkpoint: tensor 'adam.m' has shape [${parameters - 1}], expected [${parameters}] (one value per parameter)`],
  ['second moments as a matrix', (c) => void c.tensors.set('adam.v', { shape: [1, parameters], data: new Float32Array(parameters) }), () => `not a usable xcnn checkpoint: tensor 'adam.v' has shape [1, ${parameters}], expected [${parameters}] (one value per parameter)`],
  ['first moments missing', (c) => void c.tensors.delete('adam.m'), "not a usable xcnn checkpoint: tensor 'adam.m' is missing"],
  ['a NaN weight', element('conv1.weight', 3, NaN), "not an xcnn model: tensor 'conv1.weight' holds NaN at element 3; retrain or repair the model"],
  ['a weight of the wrong shape', (c) => void c.tensors.set('fc2.bias', { shape: [9], data: new Float32Array(9) }), /^not an xcnn model: tensor 'fc2\.bias' has shape \[9\], expected \[10\]/],
];

describe('a damaged checkpoint is one line naming the checkpoint and the field, exit status 1', () => {
  // Each row is its own resume, a few at a time: they are independent, and most end before any training.
  const runs = new Map<string, { folder: string; result: CliRun }>();
  beforeAll(async () => {
    const pending = rows.map(([what, corruption]) => ({ what, folder: writeCorrupted(corruption) }));
    const worker = async () => {
      for (let next = pending.shift(); next !== undefined; next = pending.shift()) runs.set(next.what, { folder: next.folder, result: await resumeInBackground(next.folder) });
    };
    await Promise.all([worker(), worker()]); // two at a time: the machine's two cores
  }, 300_000);

  it.each(rows)('%s', (what, _corruption, problem) => {
    const { folder, result } = runs.get(what)!;
    const expected = typeof problem === 'function' ? problem() : problem;
    const file = join(folder, 'checkpoint.safetensors');
    if (typeof expected === 'string') expectOneLineError(result, 1, `${file}: ${expected}`);
    else expectOneLineError(result, 1, new RegExp(`^error: ${file.replace(/[.]/g, '\\.')}: ${expected.source.slice(1)}`));
  });
});
