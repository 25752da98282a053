/**
 * Checkpoints in-process (src/train/checkpoint-format.ts and checkpoint-checks.ts): a checkpoint written from a
 * tiny run's state reads back to the same state; every field check refuses its bad value with its exact
 * one-line message (test/checkpoint-validation.test.ts does the same through `xcnn train --resume`, in a
 * child process that mutation testing cannot reach); each range's boundary is taken; the optimiser's state,
 * the best epoch's weights, Adam and its settings.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '../src/files/safetensors.js';
import { createNetwork, Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam, ADAM_DEFAULTS, AdamW } from '../src/train/adam.js';
import { ClippedOptimizer } from '../src/train/gradient-clipping.js';
import { Sgd } from '../src/train/sgd.js';
import { checkHistory, checkOptimizerState, checkProgress, checkProgressFitsData, checkSettings, fieldError } from '../src/train/checkpoint-checks.js';
import { CHECKPOINT_FILE, checkCheckpointFitsData, checkpointSettings, decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, type CheckpointProgress } from '../src/train/checkpoint-format.js';
import { SETTING_RANGES, type TrainSettings } from '../src/train/settings.js';
import { createTrainingState } from '../src/train/trainer.js';

const fail = fieldError('run/checkpoint.safetensors');
const PREFIX = 'run/checkpoint.safetensors: not a usable xcnn checkpoint: ';

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    expect((error as XcnnError).code).toBe('ERR_BAD_MODEL');
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

const ARCH = 'flatten linear(2)';
const GEOMETRY = { channels: 1, height: 1, width: 3, classes: 2 };
const SETTINGS: TrainSettings = {
  epochs: 3, batchSize: 2, learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7, seed: 5, arch: ARCH,
  data: null, limit: null, testLimit: null, backend: 'ts', threads: 1, checkpointEvery: null,
};
const PROGRESS: CheckpointProgress = { epoch: 1, step: 3, position: 0, randomState: [1, 2, 3, 4], epochRandomState: null, lossSum: 1.5, correct: 2, seconds: 0.25, bestEpoch: null };
const RECORD = { epoch: 1, trainLoss: 0.7, trainAccuracy: 0.5, testLoss: 0.6, testAccuracy: 1, learningRate: 0.01, seconds: 0.25 };

describe('the settings a checkpoint may hold', () => {
  const settings = (change: Record<string, unknown>) => () => checkSettings({ ...SETTINGS, ...change }, ARCH, fail);

  it('takes sound settings and returns them field by field (nothing else travels on)', () => {
    expect(checkSettings({ ...SETTINGS, extra: 'dropped' }, ARCH, fail)).toEqual(SETTINGS);
    expect(checkSettings({ ...SETTINGS }, undefined, fail)).toEqual(SETTINGS);
    const wide = { ...SETTINGS, data: 'digits', limit: 1, testLimit: 10_000_000, checkpointEvery: 100_000_000, backend: 'wasm', threads: 64, epochs: 10_000, batchSize: 65_536, learningRate: 10, beta1: 0, beta2: 0, seed: 2 ** 32 - 1 };
    expect(checkSettings(wide, ARCH, fail)).toEqual(wide);
    expect(checkSettings({ ...SETTINGS, seed: 0, epochs: 1, batchSize: 1, limit: 10_000_000, testLimit: 1, checkpointEvery: 1 }, ARCH, fail).seed).toBe(0);
  });

  it('refuses each field outside what the train command\'s flags accept, naming the field and the range', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ epochs: 0 }, 'settings.epochs is 0, not a whole number from 1 to 10000'],
      [{ epochs: 10_001 }, 'settings.epochs is 10001, not a whole number from 1 to 10000'],
      [{ epochs: '1' }, 'settings.epochs is "1", not a whole number from 1 to 10000'],
      [{ batchSize: 2.5 }, 'settings.batchSize is 2.5, not a whole number from 1 to 65536'],
      [{ batchSize: 65_537 }, 'settings.batchSize is 65537, not a whole number from 1 to 65536'],
      [{ learningRate: 0 }, 'settings.learningRate is 0, not a finite number > 0 and ≤ 10'],
      [{ learningRate: 10.5 }, 'settings.learningRate is 10.5, not a finite number > 0 and ≤ 10'],
      [{ learningRate: null }, 'settings.learningRate is null, not a finite number > 0 and ≤ 10'],
      [{ learningRate: '0.1' }, 'settings.learningRate is "0.1", not a finite number > 0 and ≤ 10'],
      [{ beta1: 1 }, 'settings.beta1 is 1, not a finite number ≥ 0 and < 1'],
      [{ beta1: -0.1 }, 'settings.beta1 is -0.1, not a finite number ≥ 0 and < 1'],
      [{ beta2: 1 }, 'settings.beta2 is 1, not a finite number ≥ 0 and < 1'],
      [{ epsilon: 0 }, 'settings.epsilon is 0, not a finite number > 0'],
      [{ epsilon: Infinity }, 'settings.epsilon is null, not a finite number > 0'],
      [{ seed: -1 }, 'settings.seed is -1, not a whole number from 0 to 4294967295'],
      [{ seed: 2 ** 32 }, 'settings.seed is 4294967296, not a whole number from 0 to 4294967295'],
      [{ limit: 0 }, 'settings.limit is 0, not a whole number from 1 to 10000000'],
      [{ limit: undefined }, 'settings.limit is missing, not a whole number from 1 to 10000000'],
      [{ testLimit: 10_000_001 }, 'settings.testLimit is 10000001, not a whole number from 1 to 10000000'],
      [{ checkpointEvery: 0 }, 'settings.checkpointEvery is 0, not a whole number from 1 to 100000000'],
      [{ backend: 'gpu' }, 'settings.backend is "gpu", not one of wasm, ts'],
      [{ backend: undefined }, 'settings.backend is missing, not one of wasm, ts'],
      [{ threads: 2 }, 'settings.threads is 2, not a whole number from 1 to 1'],
      [{ threads: 0 }, 'settings.threads is 0, not a whole number from 1 to 1'],
      [{ backend: 'wasm', threads: 65 }, 'settings.threads is 65, not a whole number from 1 to 64'],
      [{ arch: '' }, 'settings.arch is "", not an architecture spec'],
      [{ arch: 7 }, 'settings.arch is 7, not an architecture spec'],
      [{ arch: 'paper' }, `settings.arch is "paper", but the checkpoint's network is "${ARCH}"`],
      [{ data: 42 }, 'settings.data is 42, not a folder name or null'],
      [{ data: '' }, 'settings.data is "", not a folder name or null'],
    ];
    for (const [change, problem] of cases) expect(messageOf(settings(change)), JSON.stringify(change)).toBe(PREFIX + problem);
  });

  it('refuses settings that are not a JSON object', () => {
    for (const [value, shown] of [[[], '[]'], [null, 'null'], ['x', '"x"'], [undefined, 'missing']] as const) {
      expect(messageOf(() => checkSettings(value, ARCH, fail))).toBe(`${PREFIX}settings is ${shown}, not a JSON object`);
    }
  });

  it('cuts a long value short at 40 characters', () => {
    const arch = 'conv(8,3) '.repeat(10);
    expect(messageOf(settings({ arch }))).toBe(`${PREFIX}settings.arch is ${JSON.stringify(arch).slice(0, 40)}…, but the checkpoint's network is "${ARCH}"`);
    const exactly40 = 'x'.repeat(38); // 40 characters with its quotes: not cut
    expect(messageOf(settings({ arch: exactly40 }))).toBe(`${PREFIX}settings.arch is "${exactly40}", but the checkpoint's network is "${ARCH}"`);
  });

  it('are the train command\'s ranges', () => {
    expect(SETTING_RANGES).toEqual({
      epochs: { min: 1, max: 10_000, whole: true },
      batchSize: { min: 1, max: 65_536, whole: true },
      learningRate: { min: 0, max: 10, whole: false, aboveMin: true },
      seed: { min: 0, max: 2 ** 32 - 1, whole: true },
      limit: { min: 1, max: 10_000_000, whole: true },
      testLimit: { min: 1, max: 10_000_000, whole: true },
      checkpointEvery: { min: 1, max: 100_000_000, whole: true },
      weightDecay: { min: 0, max: 1, whole: false },
      momentum: { min: 0, max: 1, whole: false },
      clipNorm: { min: 0, max: 1_000_000, whole: false, aboveMin: true },
      labelSmoothing: { min: 0, max: 1, whole: false },
      patience: { min: 1, max: 10_000, whole: true },
      warmup: { min: 0, max: 100_000_000, whole: true },
      stepSize: { min: 1, max: 10_000, whole: true },
      gamma: { min: 0, max: 1, whole: false, aboveMin: true },
    });
  });
});

describe('the recipe beyond the paper\'s a checkpoint\'s settings may hold', () => {
  const SGD = { name: 'sgd', weightDecay: 0.0005, momentum: 0.9, nesterov: true };
  const STEP = { name: 'step', stepSize: 2, gamma: 0.5, warmup: 10 };
  const CHANGE = { epoch: 1, step: 3, learningRate: 0.001, schedule: null };
  const FLAGS = { channels: 3, size: { height: 28, width: 32 }, preprocess: 'mnist', testSplit: 0.2, valSplit: 0.1, skipBad: true };
  const RECIPE = {
    optimizer: SGD, schedule: STEP, clipNorm: 1, labelSmoothing: 0.1, patience: 3, monitor: 'val-accuracy',
    recipeChanges: [CHANGE, { epoch: 2, step: 6, learningRate: 0.002, schedule: { name: 'cosine', stepSize: 1, gamma: 0.1, warmup: 0 } }],
    augment: 'shift(2),flip', init: 'base.safetensors', resetHead: true, dataFlags: FLAGS,
  };
  const settings = (change: Record<string, unknown>) => () => checkSettings({ ...SETTINGS, ...RECIPE, ...change }, ARCH, fail);

  it('leaves each absent when the checkpoint has none (the paper\'s run), and takes and returns each when present', () => {
    expect(Object.keys(checkSettings(SETTINGS, ARCH, fail))).toEqual(Object.keys(SETTINGS));
    expect(checkSettings({ ...SETTINGS, ...RECIPE }, ARCH, fail)).toEqual({ ...SETTINGS, ...RECIPE });
    const extras = {
      optimizer: { ...SGD, extra: 1 }, schedule: { ...STEP, extra: 1 }, recipeChanges: [{ ...CHANGE, extra: 1 }], augment: 'shift( 2 ), flip', dataFlags: {},
    };
    expect(checkSettings({ ...SETTINGS, ...RECIPE, ...extras }, ARCH, fail)).toEqual({ ...SETTINGS, ...RECIPE, recipeChanges: [CHANGE], augment: 'shift(2),flip', dataFlags: {} });
    const edges = {
      optimizer: { name: 'sgd', weightDecay: 1, momentum: 1, nesterov: false }, schedule: { name: 'one-cycle', stepSize: 10_000, gamma: 1, warmup: 100_000_000 },
      clipNorm: 1_000_000, labelSmoothing: 1, patience: 10_000, monitor: 'val-loss', recipeChanges: [], resetHead: false,
      dataFlags: { channels: 1, size: { height: 4096, width: 1 }, testSplit: 0.99, valSplit: 0.99 },
    };
    expect(checkSettings({ ...SETTINGS, ...edges }, ARCH, fail)).toEqual({ ...SETTINGS, ...edges });
    const low = { optimizer: { name: 'adamw', weightDecay: 0, momentum: 0, nesterov: false }, schedule: { name: 'constant', stepSize: 1, gamma: 0.1, warmup: 0 }, labelSmoothing: 0, patience: 1 };
    expect(checkSettings({ ...SETTINGS, ...low }, ARCH, fail)).toEqual({ ...SETTINGS, ...low });
  });

  it('refuses each recipe field outside what the train command\'s flags accept, with its message', () => {
    const optimizer = (change: Record<string, unknown>) => ({ optimizer: { ...SGD, ...change } });
    const schedule = (change: Record<string, unknown>) => ({ schedule: { ...STEP, ...change } });
    const changes = (change: Record<string, unknown>) => ({ recipeChanges: [{ ...CHANGE, ...change }] });
    const flags = (change: Record<string, unknown>) => ({ dataFlags: { ...FLAGS, ...change } });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ optimizer: [] }, 'settings.optimizer is [], not a JSON object'],
      [optimizer({ name: 'lion' }), 'settings.optimizer.name is "lion", not one of adam, adamw, sgd'],
      [optimizer({ weightDecay: 1.5 }), 'settings.optimizer.weightDecay is 1.5, not a finite number ≥ 0 and ≤ 1'],
      [optimizer({ weightDecay: -0.1 }), 'settings.optimizer.weightDecay is -0.1, not a finite number ≥ 0 and ≤ 1'],
      [optimizer({ momentum: -0.1 }), 'settings.optimizer.momentum is -0.1, not a finite number ≥ 0 and ≤ 1'],
      [optimizer({ momentum: 1.5 }), 'settings.optimizer.momentum is 1.5, not a finite number ≥ 0 and ≤ 1'],
      [optimizer({ nesterov: 'yes' }), 'settings.optimizer.nesterov is "yes", not true or false'],
      [optimizer({ momentum: 0 }), 'settings.optimizer.nesterov is true with momentum 0; Nesterov needs momentum'],
      [optimizer({ name: 'adam', nesterov: false }), 'settings.optimizer.momentum is 0.9 for adam, which has none (its β1 is its momentum)'],
      [optimizer({ name: 'adamw' }), 'settings.optimizer.momentum is 0.9 with Nesterov for adamw, which has none (its β1 is its momentum)'],
      [{ schedule: 'step' }, 'settings.schedule is "step", not a JSON object'],
      [schedule({ name: 'linear' }), 'settings.schedule.name is "linear", not one of constant, step, cosine, one-cycle'],
      [schedule({ stepSize: 0 }), 'settings.schedule.stepSize is 0, not a whole number from 1 to 10000'],
      [schedule({ stepSize: 10_001 }), 'settings.schedule.stepSize is 10001, not a whole number from 1 to 10000'],
      [schedule({ gamma: 0 }), 'settings.schedule.gamma is 0, not a finite number > 0 and ≤ 1'],
      [schedule({ gamma: 1.5 }), 'settings.schedule.gamma is 1.5, not a finite number > 0 and ≤ 1'],
      [schedule({ warmup: -1 }), 'settings.schedule.warmup is -1, not a whole number from 0 to 100000000'],
      [schedule({ warmup: 100_000_001 }), 'settings.schedule.warmup is 100000001, not a whole number from 0 to 100000000'],
      [{ clipNorm: 0 }, 'settings.clipNorm is 0, not a finite number > 0 and ≤ 1000000'],
      [{ clipNorm: 1_000_001 }, 'settings.clipNorm is 1000001, not a finite number > 0 and ≤ 1000000'],
      [{ labelSmoothing: -0.1 }, 'settings.labelSmoothing is -0.1, not a finite number ≥ 0 and ≤ 1'],
      [{ labelSmoothing: 1.5 }, 'settings.labelSmoothing is 1.5, not a finite number ≥ 0 and ≤ 1'],
      [{ patience: 0 }, 'settings.patience is 0, not a whole number from 1 to 10000'],
      [{ patience: 10_001 }, 'settings.patience is 10001, not a whole number from 1 to 10000'],
      [{ monitor: 'loss' }, 'settings.monitor is "loss", not one of val-loss, val-accuracy'],
      [{ recipeChanges: {} }, 'settings.recipeChanges is {}, not a list'],
      [{ recipeChanges: [7] }, 'settings.recipeChanges[0] is 7, not a JSON object'],
      [changes({ epoch: -1 }), 'settings.recipeChanges[0].epoch is -1, not a whole number ≥ 0'],
      [changes({ step: 1.5 }), 'settings.recipeChanges[0].step is 1.5, not a whole number ≥ 0'],
      [changes({ learningRate: 0 }), 'settings.recipeChanges[0].learningRate is 0, not a finite number > 0 and ≤ 10'],
      [changes({ schedule: { ...STEP, name: 'x' } }), 'settings.recipeChanges[0].schedule.name is "x", not one of constant, step, cosine, one-cycle'],
      [changes({ schedule: undefined }), 'settings.recipeChanges[0].schedule is missing, not a JSON object'],
      [{ augment: 7 }, 'settings.augment is 7, not an augmentation list'],
      [{ augment: 'flip(1)' }, 'settings.augment is "flip(1)": --augment: flip takes no parameter; give \'flip\''],
      [{ augment: 'flip,flip' }, 'settings.augment is "flip,flip": --augment: flip is given twice; give each augmentation once'],
      [{ init: '' }, 'settings.init is "", not a file name'],
      [{ init: null }, 'settings.init is null, not a file name'],
      [{ resetHead: 'yes' }, 'settings.resetHead is "yes", not true or false'],
      [{ dataFlags: null }, 'settings.dataFlags is null, not a JSON object'],
      [flags({ grayscale: true }), 'settings.dataFlags.grayscale is not a data flag xcnn records'],
      [flags({ channels: 2 }), 'settings.dataFlags.channels is 2, not 1 or 3'],
      [flags({ size: 28 }), 'settings.dataFlags.size is 28, not a JSON object'],
      [flags({ size: { height: 0, width: 5 } }), 'settings.dataFlags.size.height is 0, not a whole number from 1 to 4096'],
      [flags({ size: { height: 5, width: 4097 } }), 'settings.dataFlags.size.width is 4097, not a whole number from 1 to 4096'],
      [flags({ preprocess: 'imagenet' }), 'settings.dataFlags.preprocess is "imagenet", not \'mnist\''],
      [flags({ testSplit: 0 }), 'settings.dataFlags.testSplit is 0, not a finite number > 0 and ≤ 0.99'],
      [flags({ valSplit: 1 }), 'settings.dataFlags.valSplit is 1, not a finite number > 0 and ≤ 0.99'],
      [flags({ skipBad: false }), 'settings.dataFlags.skipBad is false, not true'],
    ];
    for (const [change, problem] of cases) expect(messageOf(settings(change)), JSON.stringify(change)).toBe(PREFIX + problem);
  });
});

describe('the progress a checkpoint may hold', () => {
  const progress = (change: Record<string, unknown>) => () => checkProgress({ ...PROGRESS, ...change }, SETTINGS, fail);
  const mid = { epochRandomState: [5, 6, 7, 8], position: 4 };

  it('takes sound progress between epochs and mid-epoch, and returns it field by field', () => {
    expect(checkProgress({ ...PROGRESS, extra: 1 }, SETTINGS, fail)).toEqual(PROGRESS);
    const midway = { ...PROGRESS, ...mid, correct: 4, epoch: 3, step: 0, lossSum: 0, seconds: 0, randomState: [0, 0, 0, 4294967295], bestEpoch: 2 };
    expect(checkProgress(midway, SETTINGS, fail)).toEqual(midway);
    expect(checkProgress({ ...PROGRESS, bestEpoch: 1 }, SETTINGS, fail)).toEqual({ ...PROGRESS, bestEpoch: 1 });
  });

  it('takes a checkpoint written before validation sets, without a best epoch, as having none', () => {
    const { bestEpoch, ...older } = PROGRESS;
    expect(bestEpoch).toBeNull();
    expect(checkProgress(older, SETTINGS, fail)).toEqual({ epoch: 1, step: 3, position: 0, randomState: [1, 2, 3, 4], epochRandomState: null, lossSum: 1.5, correct: 2, seconds: 0.25, bestEpoch: null });
  });

  it('refuses each field with its message', () => {
    const all = 'not four whole numbers from 0 to 4294967295';
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ epoch: 4 }, 'progress.epoch is 4, not a whole number from 0 to 3'],
      [{ epoch: -1 }, 'progress.epoch is -1, not a whole number from 0 to 3'],
      [{ step: 4.5 }, 'progress.step is 4.5, not a whole number ≥ 0'],
      [{ step: -1 }, 'progress.step is -1, not a whole number ≥ 0'],
      [{ position: -2 }, 'progress.position is -2, not a whole number ≥ 0'],
      [{ position: 2 }, 'progress.position is 2 between two epochs (progress.epochRandomState is null), where it must be 0'],
      [{ randomState: [1, 2, 3] }, `progress.randomState is [1,2,3], ${all}`],
      [{ randomState: [1, 2, 3, 4, 5] }, `progress.randomState is [1,2,3,4,5], ${all}`],
      [{ randomState: [1, 2, 3, 2 ** 32] }, `progress.randomState is [1,2,3,4294967296], ${all}`],
      [{ randomState: [1, 2, 3, -1] }, `progress.randomState is [1,2,3,-1], ${all}`],
      [{ randomState: [1, 2, 3, 0.5] }, `progress.randomState is [1,2,3,0.5], ${all}`],
      [{ randomState: [1, 2, 3, '4'] }, `progress.randomState is [1,2,3,"4"], ${all}`],
      [{ randomState: { 0: 1, 1: 2, 2: 3, 3: 4, length: 4 } }, `progress.randomState is {"0":1,"1":2,"2":3,"3":4,"length":4}, ${all}`],
      [{ randomState: [0, 0, 0, 0] }, 'progress.randomState is all zeros, a state the generator never reaches'],
      [{ epochRandomState: 'x' }, `progress.epochRandomState is "x", ${all}`],
      [{ epochRandomState: [0, 0, 0, 0] }, 'progress.epochRandomState is all zeros, a state the generator never reaches'],
      [{ lossSum: -1 }, 'progress.lossSum is -1, not a finite number ≥ 0'],
      [{ lossSum: NaN }, 'progress.lossSum is null, not a finite number ≥ 0'],
      [{ seconds: -5 }, 'progress.seconds is -5, not a finite number ≥ 0'],
      [{ correct: -1 }, 'progress.correct is -1, not a whole number ≥ 0'],
      [{ ...mid, correct: 5 }, 'progress.correct is 5, not a whole number from 0 to 4'],
      [{ bestEpoch: 0 }, 'progress.bestEpoch is 0, not a whole number from 1 to 1'],
      [{ bestEpoch: 2 }, 'progress.bestEpoch is 2, not a whole number from 1 to 1'],
      [{ bestEpoch: 0.5 }, 'progress.bestEpoch is 0.5, not a whole number from 1 to 1'],
      [{ bestEpoch: '1' }, 'progress.bestEpoch is "1", not a whole number from 1 to 1'],
      [{ epoch: 3, bestEpoch: 4 }, 'progress.bestEpoch is 4, not a whole number from 1 to 3'],
    ];
    for (const [change, problem] of cases) expect(messageOf(progress(change)), JSON.stringify(change)).toBe(PREFIX + problem);
    expect(messageOf(() => checkProgress([], SETTINGS, fail))).toBe(`${PREFIX}progress is [], not a JSON object`);
  });

  it('fits the data: a position within the images on a batch boundary (or at the end), and the step its batches make', () => {
    // 5 images in batches of 2: 3 batches an epoch; epoch 1 done and 4 images in: 3 + 2 = 5 steps.
    const at = (position: number, step: number) => ({ ...PROGRESS, epochRandomState: [5, 6, 7, 8] as CheckpointProgress['randomState'], position, step });
    expect(() => checkProgressFitsData(at(4, 5), SETTINGS, 5, fail)).not.toThrow();
    expect(() => checkProgressFitsData(at(5, 6), SETTINGS, 5, fail)).not.toThrow(); // at the end, after the last short batch
    expect(() => checkProgressFitsData(at(0, 3), SETTINGS, 5, fail)).not.toThrow();
    expect(messageOf(() => checkProgressFitsData(at(6, 6), SETTINGS, 5, fail))).toBe(`${PREFIX}progress.position is 6, beyond the 5 training images of the data`);
    expect(messageOf(() => checkProgressFitsData(at(3, 5), SETTINGS, 5, fail))).toBe(`${PREFIX}progress.position is 3, not a multiple of the batch size 2`);
    expect(messageOf(() => checkProgressFitsData(at(4, 4), SETTINGS, 5, fail))).toBe(`${PREFIX}progress.step is 4, but 1 epoch(s) of 3 batch(es) and 4 image(s) into the next make 5`);
    expect(messageOf(() => checkProgressFitsData(at(4, 6), SETTINGS, 5, fail))).toBe(`${PREFIX}progress.step is 6, but 1 epoch(s) of 3 batch(es) and 4 image(s) into the next make 5`);
  });
});

describe('the history a checkpoint may hold', () => {
  it('takes one record per epoch done, numbered from 1, field by field', () => {
    expect(checkHistory([{ ...RECORD, extra: true }, { ...RECORD, epoch: 2, trainAccuracy: 0, testAccuracy: 1, trainLoss: 0, learningRate: 0 }], 2, fail, 0.01)).toEqual([
      { epoch: 1, trainLoss: 0.7, trainAccuracy: 0.5, testLoss: 0.6, testAccuracy: 1, learningRate: 0.01, seconds: 0.25 },
      { epoch: 2, trainLoss: 0, trainAccuracy: 0, testLoss: 0.6, testAccuracy: 1, learningRate: 0, seconds: 0.25 },
    ]);
    expect(checkHistory([], 0, fail, 0.01)).toEqual([]);
  });

  it('keeps an epoch\'s validation figures when it has them, and its own learning rate over the settings\'', () => {
    const [kept] = checkHistory([{ ...RECORD, valLoss: 0.4, valAccuracy: 0.75, learningRate: 0.003 }], 1, fail, 0.01);
    expect(kept).toEqual({ epoch: 1, trainLoss: 0.7, trainAccuracy: 0.5, testLoss: 0.6, testAccuracy: 1, valLoss: 0.4, valAccuracy: 0.75, learningRate: 0.003, seconds: 0.25 });
    expect(Object.keys(checkHistory([RECORD], 1, fail, 0.01)[0])).not.toContain('valLoss');
    expect(Object.keys(checkHistory([RECORD], 1, fail, 0.01)[0])).not.toContain('valAccuracy');
  });

  it('gives a record written before learning rates were recorded the settings\' rate', () => {
    const { learningRate, ...older } = RECORD;
    expect(learningRate).toBe(0.01);
    expect(checkHistory([older], 1, fail, 0.02)).toEqual([{ epoch: 1, trainLoss: 0.7, trainAccuracy: 0.5, testLoss: 0.6, testAccuracy: 1, learningRate: 0.02, seconds: 0.25 }]);
  });

  it('refuses a history that is not a list, of another length, or with a bad record', () => {
    expect(messageOf(() => checkHistory({}, 1, fail, 0.01))).toBe(`${PREFIX}history is {}, not a list of epoch records`);
    expect(messageOf(() => checkHistory([RECORD, RECORD], 1, fail, 0.01))).toBe(`${PREFIX}history has 2 record(s) for the 1 epoch(s) done (progress.epoch)`);
    expect(messageOf(() => checkHistory([], 1, fail, 0.01))).toBe(`${PREFIX}history has 0 record(s) for the 1 epoch(s) done (progress.epoch)`);
    expect(messageOf(() => checkHistory([RECORD, RECORD], 2, fail, 0.01))).toBe(`${PREFIX}history[1].epoch is 1, not 2`);
    expect(messageOf(() => checkHistory([7], 1, fail, 0.01))).toBe(`${PREFIX}history[0] is 7, not a JSON object`);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ trainLoss: -0.5 }, 'history[0].trainLoss is -0.5, not a finite number ≥ 0'],
      [{ trainAccuracy: 1.5 }, 'history[0].trainAccuracy is 1.5, not a finite number ≥ 0 and ≤ 1'],
      [{ trainAccuracy: -0.5 }, 'history[0].trainAccuracy is -0.5, not a finite number ≥ 0 and ≤ 1'],
      [{ testLoss: null }, 'history[0].testLoss is null, not a finite number ≥ 0'],
      [{ testAccuracy: 2 }, 'history[0].testAccuracy is 2, not a finite number ≥ 0 and ≤ 1'],
      [{ seconds: -1 }, 'history[0].seconds is -1, not a finite number ≥ 0'],
      [{ epoch: '1' }, 'history[0].epoch is "1", not 1'],
      [{ learningRate: -0.001 }, 'history[0].learningRate is -0.001, not a finite number ≥ 0'],
      [{ learningRate: null }, 'history[0].learningRate is null, not a finite number ≥ 0'],
      [{ learningRate: Infinity }, 'history[0].learningRate is null, not a finite number ≥ 0'],
      [{ valLoss: 0.4 }, 'history[0].valAccuracy is missing, not a finite number ≥ 0 and ≤ 1'],
      [{ valAccuracy: 0.5 }, 'history[0].valLoss is missing, not a finite number ≥ 0'],
      [{ valLoss: -1, valAccuracy: 0.5 }, 'history[0].valLoss is -1, not a finite number ≥ 0'],
      [{ valLoss: 0.4, valAccuracy: 1.5 }, 'history[0].valAccuracy is 1.5, not a finite number ≥ 0 and ≤ 1'],
    ];
    for (const [change, problem] of cases) expect(messageOf(() => checkHistory([{ ...RECORD, ...change }], 1, fail, 0.01)), JSON.stringify(change)).toBe(PREFIX + problem);
  });
});

describe('the optimiser\'s state and the best epoch\'s weights in a checkpoint', () => {
  const tensor = (data: number[], shape = [data.length], dtype: Tensor['dtype'] = 'F32'): Tensor => ({ shape, data: Float32Array.from(data), dtype });
  const check = (data: number[], name: string, count = 3) => Array.from(checkOptimizerState(tensor(data), name, count, fail));

  it('takes one finite value per parameter (or buffer value), a second moment never negative', () => {
    expect(check([-1, 0, 2], 'adam.m')).toEqual([-1, 0, 2]);
    expect(check([0, 0, 2], 'adam.v')).toEqual([0, 0, 2]);
    expect(check([-1, 0, 2], 'sgd.momentum')).toEqual([-1, 0, 2]);
    expect(check([-3, 0, 1], 'best.params')).toEqual([-3, 0, 1]);
    expect(check([-0.5, 4], 'best.buffers', 2)).toEqual([-0.5, 4]);
    expect(check([], 'best.buffers', 0)).toEqual([]);
  });

  it('refuses a missing tensor, another shape, integers, a non-finite value, and a negative second moment', () => {
    const refusal = (value: Tensor | undefined, name: string, count = 3) => messageOf(() => checkOptimizerState(value, name, count, fail));
    expect(refusal(undefined, 'adam.m')).toBe(`${PREFIX}tensor 'adam.m' is missing`);
    expect(refusal(undefined, 'best.params')).toBe(`${PREFIX}tensor 'best.params' is missing`);
    expect(refusal(tensor([1, 2]), 'adam.m')).toBe(`${PREFIX}tensor 'adam.m' has shape [2], expected [3] (one value per parameter)`);
    expect(refusal(tensor([1, 2, 3], [1, 3]), 'adam.v')).toBe(`${PREFIX}tensor 'adam.v' has shape [1, 3], expected [3] (one value per parameter)`);
    expect(refusal(tensor([1, 2, 3], [3, 1]), 'adam.m')).toBe(`${PREFIX}tensor 'adam.m' has shape [3, 1], expected [3] (one value per parameter)`);
    expect(refusal(tensor([1, 2]), 'sgd.momentum')).toBe(`${PREFIX}tensor 'sgd.momentum' has shape [2], expected [3] (one value per parameter)`);
    expect(refusal(tensor([1, 2]), 'best.params')).toBe(`${PREFIX}tensor 'best.params' has shape [2], expected [3] (one value per parameter)`);
    expect(refusal(tensor([1, 2]), 'best.buffers')).toBe(`${PREFIX}tensor 'best.buffers' has shape [2], expected [3] (one value per buffer value)`);
    expect(refusal(tensor([1, 2, 3], [3], 'I64'), 'adam.m')).toBe(`${PREFIX}tensor 'adam.m' has dtype I64, expected a float type`);
    expect(refusal(tensor([1, NaN, 3]), 'adam.m')).toBe(`${PREFIX}tensor 'adam.m' holds NaN at element 1`);
    expect(refusal(tensor([1, 2, -Infinity]), 'adam.m')).toBe(`${PREFIX}tensor 'adam.m' holds -Infinity at element 2`);
    expect(refusal(tensor([Infinity, 1, 1]), 'adam.v')).toBe(`${PREFIX}tensor 'adam.v' holds Infinity at element 0`);
    expect(refusal(tensor([1, -0.25, 3]), 'adam.v')).toBe(`${PREFIX}tensor 'adam.v' holds -0.25 at element 1; a second moment is never negative`);
    expect(refusal(tensor([0, 0, NaN]), 'sgd.momentum')).toBe(`${PREFIX}tensor 'sgd.momentum' holds NaN at element 2`);
    expect(refusal(tensor([0, Infinity, 0]), 'best.params')).toBe(`${PREFIX}tensor 'best.params' holds Infinity at element 1`);
    expect(refusal(tensor([NaN, 0, 0]), 'best.buffers')).toBe(`${PREFIX}tensor 'best.buffers' holds NaN at element 0`);
  });
});

describe('Adam', () => {
  it('has the paper\'s defaults with PyTorch\'s ε, and moments laid out like the parameters', () => {
    expect(ADAM_DEFAULTS).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), ARCH, GEOMETRY);
    const adam = new Adam(network);
    expect(adam.settings).toBe(ADAM_DEFAULTS);
    expect([adam.m.length, adam.v.length, adam.step]).toEqual([8, 8, 0]);
    expect(adam.m).toBeInstanceOf(Float64Array);
  });

  it('counts its steps from 1 and corrects the bias by each step\'s count', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), ARCH, GEOMETRY);
    const adam = new Adam(network, { learningRate: 0.1, beta1: 0.5, beta2: 0.75, epsilon: 0 });
    network.grads.fill(2);
    adam.update();
    // step 1: m = 1, v = 1 → m̂ = 2, v̂ = 4 → θ −= 0.1·2/2
    expect(adam.step).toBe(1);
    expect(network.params[0]).toBeCloseTo(-0.1, 12);
    network.grads.fill(-2);
    adam.update();
    // step 2: m = 0.5 − 1 = −0.5, v = 0.75 + 1 = 1.75 → m̂ = −0.5/0.75, v̂ = 1.75/0.4375 = 4 → θ −= 0.1·(−2/3)/2
    expect(adam.step).toBe(2);
    expect(network.params[0]).toBeCloseTo(-0.1 + 0.1 / 3, 12);
    expect(adam.m[0]).toBeCloseTo(-0.5, 12);
    expect(adam.v[0]).toBeCloseTo(1.75, 12);
  });
});

describe('a checkpoint written and read back', () => {
  function trainedState() {
    const network = createNetwork(new ReferenceBackend(), ARCH, GEOMETRY);
    network.initialize(new Random(2));
    const optimizer = new Adam(network, { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7 });
    optimizer.m.set([1, 2, 3, 4, 5, 6, 7, 8]);
    optimizer.v.set([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
    optimizer.step = 5;
    const state = createTrainingState(network, optimizer, new Random(9), 5);
    Object.assign(state, { epoch: 1, position: 4, epochRandomState: [5, 6, 7, 8], lossSum: 2.5, correct: 3, seconds: 1.25, history: [RECORD] });
    return state;
  }
  const INFO = { geometry: GEOMETRY, dataset: 'tiny', classNames: ['left', 'right'] };

  it('is called checkpoint.safetensors and holds the format, settings, progress and history as metadata', () => {
    expect(CHECKPOINT_FILE).toBe('checkpoint.safetensors');
    const state = trainedState();
    const file = decodeSafetensors(encodeCheckpoint(state, SETTINGS, { ...INFO, training: { x: 1 }, metrics: { y: 2 } }), 'c');
    expect(file.metadata.format).toBe('xcnn-checkpoint');
    expect(JSON.parse(file.metadata.settings)).toEqual(SETTINGS);
    expect(JSON.parse(file.metadata.progress)).toEqual({ epoch: 1, step: 5, position: 4, randomState: new Random(9).state(), epochRandomState: [5, 6, 7, 8], lossSum: 2.5, correct: 3, seconds: 1.25, bestEpoch: null });
    expect(JSON.parse(file.metadata.history)).toEqual([{ epoch: 1, trainLoss: 0.7, trainAccuracy: 0.5, testLoss: 0.6, testAccuracy: 1, learningRate: 0.01, seconds: 0.25 }]);
    expect(file.metadata.training).toBeUndefined();
    expect(file.metadata.metrics).toBeUndefined();
    expect(Array.from(file.tensors.get('adam.m')!.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(file.tensors.get('adam.v')!.shape).toEqual([8]);
    expect([...file.tensors.keys()].filter((name) => /^(adam|sgd|best)\./.test(name)).sort()).toEqual(['adam.m', 'adam.v']);
  });

  it('restores the same weights, moments, step, generator and place in the epoch, on the backend given', () => {
    const state = trainedState();
    const bytes = encodeCheckpoint(state, SETTINGS, INFO);
    const checkpoint = decodeCheckpoint(bytes, 'run/checkpoint.safetensors');
    expect(checkpoint.source).toBe('run/checkpoint.safetensors');
    expect(checkpoint.settings).toEqual(SETTINGS);
    expect(checkpoint.history).toEqual([RECORD]);
    expect(() => checkCheckpointFitsData(checkpoint, 6)).not.toThrow();
    expect(messageOf(() => checkCheckpointFitsData(checkpoint, 3))).toBe(`${PREFIX}progress.position is 4, beyond the 3 training images of the data`);
    const backend = new ReferenceBackend({ precision: 'float64' });
    const restored = restoreCheckpoint(checkpoint, backend);
    const { network } = restored.state;
    expect(restored.state.optimizer).toBeInstanceOf(Adam); // the settings name no other optimiser
    const optimizer = restored.state.optimizer as Adam;
    expect(network.backend).toBe(backend);
    expect(Array.from(network.params)).toEqual(Array.from(state.network.params));
    expect(Array.from(optimizer.m)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(optimizer.v)).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
    expect(optimizer.step).toBe(5);
    expect(optimizer.settings).toEqual({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7 });
    expect(restored.state.random.state()).toEqual(new Random(9).state());
    expect(restored.state).toMatchObject({ seed: 5, epoch: 1, position: 4, epochRandomState: [5, 6, 7, 8], lossSum: 2.5, correct: 3, seconds: 1.25, history: [RECORD], order: null, best: null });
    expect(restored.settings).toEqual(SETTINGS);
    expect(restored.settings).not.toBe(checkpoint.settings);
    expect(restored.info).toMatchObject(INFO);
  });

  it('refuses a file that is not a checkpoint, or whose metadata is missing or not JSON, naming the source', () => {
    const bytes = encodeCheckpoint(trainedState(), SETTINGS, INFO);
    const file = decodeSafetensors(bytes, 'c');
    const withMetadata = (change: Record<string, string | undefined>) => {
      const metadata = { ...file.metadata, ...change } as Record<string, string>;
      for (const key of Object.keys(metadata)) if (metadata[key] === undefined) delete metadata[key];
      return encodeSafetensors([...file.tensors].map(([name, t]) => ({ name, ...t })), metadata);
    };
    const source = 'run/checkpoint.safetensors';
    expect(messageOf(() => decodeCheckpoint(withMetadata({ format: 'xcnn' }), source))).toBe(`${PREFIX}its format is "xcnn", not "xcnn-checkpoint"`);
    expect(messageOf(() => decodeCheckpoint(withMetadata({ format: undefined }), source))).toBe(`${PREFIX}its format is null, not "xcnn-checkpoint"`);
    expect(messageOf(() => decodeCheckpoint(withMetadata({ progress: undefined }), source))).toBe(`${PREFIX}metadata 'progress' is missing`);
    expect(messageOf(() => decodeCheckpoint(withMetadata({ settings: '{"epochs":' }), source))).toBe(`${PREFIX}metadata 'settings' is not JSON`);
    expect(messageOf(() => decodeCheckpoint(withMetadata({ history: '[]' }), source))).toBe(`${PREFIX}history has 0 record(s) for the 1 epoch(s) done (progress.epoch)`);
    expect(messageOf(() => decodeCheckpoint(withMetadata({ settings: JSON.stringify({ ...SETTINGS, arch: 'flatten linear(3)' }) }), source))).toBe(
      `${PREFIX}settings.arch is "flatten linear(3)", but the checkpoint's network is "${ARCH}"`,
    );
    expect(messageOf(() => decodeCheckpoint(withMetadata({ progress: JSON.stringify({ ...PROGRESS, epoch: 4 }) }), source))).toBe(`${PREFIX}progress.epoch is 4, not a whole number from 0 to 3`);
    expect(decodeCheckpoint(bytes).source).toBe('checkpoint');
  });

  it('carries the best epoch: its number in the progress, its weights as best.params and best.buffers, restored as they were', () => {
    const state = trainedState();
    const params = [0.5, -0.5, 1, -1, 2, -2, 0.25, -0.25];
    state.best = { epoch: 1, params: Float32Array.from(params), buffers: new Float32Array(0) };
    const bytes = encodeCheckpoint(state, SETTINGS, INFO);
    const file = decodeSafetensors(bytes, 'c');
    expect(JSON.parse(file.metadata.progress).bestEpoch).toBe(1);
    expect(file.tensors.get('best.params')!.shape).toEqual([8]);
    expect(Array.from(file.tensors.get('best.params')!.data)).toEqual(params);
    expect(file.tensors.get('best.buffers')!.shape).toEqual([0]);
    const checkpoint = decodeCheckpoint(bytes, 'run/checkpoint.safetensors');
    expect(checkpoint.progress.bestEpoch).toBe(1);
    const { best } = restoreCheckpoint(checkpoint, new ReferenceBackend()).state;
    expect(best!.epoch).toBe(1);
    expect(Array.from(best!.params)).toEqual(params);
    expect(Array.from(best!.buffers)).toEqual([]);
  });

  it('refuses state tensors this run does not keep, and a best epoch without its weights', () => {
    const source = 'run/checkpoint.safetensors';
    const withTensors = (bytes: Uint8Array, change: (name: string) => boolean, extra: Array<{ name: string; data: number[] }>) => {
      const file = decodeSafetensors(bytes, 'c');
      const kept = [...file.tensors].filter(([name]) => change(name)).map(([name, t]) => ({ name, ...t }));
      const added = extra.map(({ name, data }) => ({ name, shape: [data.length], data: Float32Array.from(data), dtype: 'F32' as const }));
      return decodeCheckpoint(encodeSafetensors([...kept, ...added], file.metadata), source);
    };
    const plain = encodeCheckpoint(trainedState(), SETTINGS, INFO);
    const eight = [0, 0, 0, 0, 0, 0, 0, 0];
    expect(messageOf(() => restoreCheckpoint(withTensors(plain, () => true, [{ name: 'best.params', data: eight }]), new ReferenceBackend()))).toBe(
      `${PREFIX}tensor 'best.params' is not the state of this run (its optimiser keeps adam.m, adam.v and it has no best epoch)`,
    );
    expect(messageOf(() => restoreCheckpoint(withTensors(plain, () => true, [{ name: 'sgd.momentum', data: eight }]), new ReferenceBackend()))).toBe(
      `${PREFIX}tensor 'sgd.momentum' is not the state of this run (its optimiser keeps adam.m, adam.v and it has no best epoch)`,
    );
    const state = trainedState();
    state.best = { epoch: 1, params: new Float32Array(8), buffers: new Float32Array(0) };
    const withBest = encodeCheckpoint(state, SETTINGS, INFO);
    expect(messageOf(() => restoreCheckpoint(withTensors(withBest, () => true, [{ name: 'sgd.momentum', data: eight }]), new ReferenceBackend()))).toBe(
      `${PREFIX}tensor 'sgd.momentum' is not the state of this run (its optimiser keeps adam.m, adam.v)`,
    );
    expect(messageOf(() => restoreCheckpoint(withTensors(withBest, (name) => name !== 'best.buffers', []), new ReferenceBackend()))).toBe(`${PREFIX}tensor 'best.buffers' is missing`);
    expect(messageOf(() => restoreCheckpoint(withTensors(withBest, (name) => name !== 'best.params', [{ name: 'best.params', data: [0, 0, 0] }]), new ReferenceBackend()))).toBe(
      `${PREFIX}tensor 'best.params' has shape [3], expected [8] (one value per parameter)`,
    );
  });

  it('refuses moments of the wrong size when restoring', () => {
    const bytes = encodeCheckpoint(trainedState(), SETTINGS, INFO);
    const file = decodeSafetensors(bytes, 'c');
    const tensors = [...file.tensors].map(([name, t]) => ({ name, ...t, ...(name === 'adam.v' ? { shape: [7], data: new Float32Array(7) } : {}) }));
    const checkpoint = decodeCheckpoint(encodeSafetensors(tensors, file.metadata), 'run/checkpoint.safetensors');
    expect(messageOf(() => restoreCheckpoint(checkpoint, new ReferenceBackend()))).toBe(`${PREFIX}tensor 'adam.v' has shape [7], expected [8] (one value per parameter)`);
  });
});

describe('checkpointSettings', () => {
  it('records the network\'s spec and backend, Adam\'s settings and the seed, the run\'s epochs and batch, one thread, no files', () => {
    const network = createNetwork(new ReferenceBackend(), ARCH, GEOMETRY);
    const state = createTrainingState(network, new Adam(network, { learningRate: 0.5, beta1: 0.1, beta2: 0.2, epsilon: 0.3 }), new Random(1), 77);
    // strictly: the plain Adam run records no optimizer and no clipNorm field at all, not fields set to undefined
    expect(checkpointSettings(state, { epochs: 4, batchSize: 16 })).toStrictEqual({
      epochs: 4, batchSize: 16, learningRate: 0.5, beta1: 0.1, beta2: 0.2, epsilon: 0.3, seed: 77, arch: ARCH, data: null, limit: null, testLimit: null, backend: 'ts', threads: 1, checkpointEvery: null,
    });
  });

  it('records any other optimiser: SGD with its momentum, Nesterov and decay, AdamW and Adam with a decay, and a clipping norm', () => {
    const network = createNetwork(new ReferenceBackend(), ARCH, GEOMETRY);
    const settingsOf = (optimizer: ConstructorParameters<typeof ClippedOptimizer>[0]) =>
      checkpointSettings(createTrainingState(network, optimizer, new Random(1), 5), { epochs: 2, batchSize: 8 });
    const common = { epochs: 2, batchSize: 8, seed: 5, arch: ARCH, data: null, limit: null, testLimit: null, backend: 'ts', threads: 1, checkpointEvery: null };
    const adamSettings = { learningRate: 0.5, beta1: 0.1, beta2: 0.2, epsilon: 0.3 };
    // SGD keeps no β or ε: the record carries Adam's defaults there, and SGD's own rate
    expect(settingsOf(new Sgd(network, { learningRate: 0.25, momentum: 0.75, nesterov: true, weightDecay: 0.125 }))).toStrictEqual({
      ...common, learningRate: 0.25, beta1: ADAM_DEFAULTS.beta1, beta2: ADAM_DEFAULTS.beta2, epsilon: ADAM_DEFAULTS.epsilon,
      optimizer: { name: 'sgd', weightDecay: 0.125, momentum: 0.75, nesterov: true },
    });
    expect(settingsOf(new AdamW(network, adamSettings, 0.0625))).toStrictEqual({ ...common, ...adamSettings, optimizer: { name: 'adamw', weightDecay: 0.0625, momentum: 0, nesterov: false } });
    expect(settingsOf(new AdamW(network, adamSettings, 0))).toStrictEqual({ ...common, ...adamSettings, optimizer: { name: 'adamw', weightDecay: 0, momentum: 0, nesterov: false } });
    expect(settingsOf(new Adam(network, adamSettings, 0.5))).toStrictEqual({ ...common, ...adamSettings, optimizer: { name: 'adam', weightDecay: 0.5, momentum: 0, nesterov: false } });
    // clipping wraps the optimiser: its norm is recorded, and the inner optimiser's settings as without it
    expect(settingsOf(new ClippedOptimizer(new Adam(network, adamSettings), network, 2.5))).toStrictEqual({ ...common, ...adamSettings, clipNorm: 2.5 });
    expect(settingsOf(new ClippedOptimizer(new AdamW(network, adamSettings, 0.0625), network, 1.5))).toStrictEqual({
      ...common, ...adamSettings, optimizer: { name: 'adamw', weightDecay: 0.0625, momentum: 0, nesterov: false }, clipNorm: 1.5,
    });
  });

  it('refuses a network assembled by hand, which a checkpoint could not rebuild', () => {
    const built = createNetwork(new ReferenceBackend(), ARCH, GEOMETRY);
    const network = new Network(built.backend, built.layers);
    const state = createTrainingState(network, new Adam(network), new Random(1));
    let caught: unknown;
    try {
      checkpointSettings(state, { epochs: 1, batchSize: 1 });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(XcnnError);
    expect((caught as XcnnError).message).toBe('checkpointSettings: the network was not built from a spec (createNetwork or createPaperNetwork), so a checkpoint could not rebuild it');
    expect((caught as XcnnError).code).toBe('ERR_BAD_ARGUMENT');
  });
});
