/**
 * Checkpoints in-process (src/train/checkpoint-format.ts and checkpoint-checks.ts): a checkpoint written from a
 * tiny run's state reads back to the same state; every field check refuses its bad value with its exact
 * one-line message (test/checkpoint-validation.test.ts does the same through `xcnn train --resume`, in a
 * child process that mutation testing cannot reach); each range's boundary is taken; Adam's state and settings.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { decodeSafetensors, encodeSafetensors, type Tensor } from '../src/files/safetensors.js';
import { createNetwork, Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam, ADAM_DEFAULTS } from '../src/train/adam.js';
import { checkHistory, checkMoments, checkProgress, checkProgressFitsData, checkSettings, fieldError } from '../src/train/checkpoint-checks.js';
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
const PROGRESS: CheckpointProgress = { epoch: 1, step: 3, position: 0, randomState: [1, 2, 3, 4], epochRandomState: null, lossSum: 1.5, correct: 2, seconds: 0.25 };
const RECORD = { epoch: 1, trainLoss: 0.7, trainAccuracy: 0.5, testLoss: 0.6, testAccuracy: 1, seconds: 0.25 };

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
    });
  });
});

describe('the progress a checkpoint may hold', () => {
  const progress = (change: Record<string, unknown>) => () => checkProgress({ ...PROGRESS, ...change }, SETTINGS, fail);
  const mid = { epochRandomState: [5, 6, 7, 8], position: 4 };

  it('takes sound progress between epochs and mid-epoch, and returns it field by field', () => {
    expect(checkProgress({ ...PROGRESS, extra: 1 }, SETTINGS, fail)).toEqual(PROGRESS);
    const midway = { ...PROGRESS, ...mid, correct: 4, epoch: 3, step: 0, lossSum: 0, seconds: 0, randomState: [0, 0, 0, 4294967295] };
    expect(checkProgress(midway, SETTINGS, fail)).toEqual(midway);
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
    expect(checkHistory([{ ...RECORD, extra: true }, { ...RECORD, epoch: 2, trainAccuracy: 0, testAccuracy: 1, trainLoss: 0 }], 2, fail)).toEqual([RECORD, { ...RECORD, epoch: 2, trainAccuracy: 0, testAccuracy: 1, trainLoss: 0 }]);
    expect(checkHistory([], 0, fail)).toEqual([]);
  });

  it('refuses a history that is not a list, of another length, or with a bad record', () => {
    expect(messageOf(() => checkHistory({}, 1, fail))).toBe(`${PREFIX}history is {}, not a list of epoch records`);
    expect(messageOf(() => checkHistory([RECORD, RECORD], 1, fail))).toBe(`${PREFIX}history has 2 record(s) for the 1 epoch(s) done (progress.epoch)`);
    expect(messageOf(() => checkHistory([], 1, fail))).toBe(`${PREFIX}history has 0 record(s) for the 1 epoch(s) done (progress.epoch)`);
    expect(messageOf(() => checkHistory([RECORD, RECORD], 2, fail))).toBe(`${PREFIX}history[1].epoch is 1, not 2`);
    expect(messageOf(() => checkHistory([7], 1, fail))).toBe(`${PREFIX}history[0] is 7, not a JSON object`);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ trainLoss: -0.5 }, 'history[0].trainLoss is -0.5, not a finite number ≥ 0'],
      [{ trainAccuracy: 1.5 }, 'history[0].trainAccuracy is 1.5, not a finite number ≥ 0 and ≤ 1'],
      [{ trainAccuracy: -0.5 }, 'history[0].trainAccuracy is -0.5, not a finite number ≥ 0 and ≤ 1'],
      [{ testLoss: null }, 'history[0].testLoss is null, not a finite number ≥ 0'],
      [{ testAccuracy: 2 }, 'history[0].testAccuracy is 2, not a finite number ≥ 0 and ≤ 1'],
      [{ seconds: -1 }, 'history[0].seconds is -1, not a finite number ≥ 0'],
      [{ epoch: '1' }, 'history[0].epoch is "1", not 1'],
    ];
    for (const [change, problem] of cases) expect(messageOf(() => checkHistory([{ ...RECORD, ...change }], 1, fail))).toBe(PREFIX + problem);
  });
});

describe('Adam\'s moments in a checkpoint', () => {
  const tensor = (data: number[], shape = [data.length], dtype: Tensor['dtype'] = 'F32'): Tensor => ({ shape, data: Float32Array.from(data), dtype });

  it('takes one finite value per parameter, a second moment never negative', () => {
    expect(Array.from(checkMoments(tensor([-1, 0, 2]), 'adam.m', 3, fail))).toEqual([-1, 0, 2]);
    expect(Array.from(checkMoments(tensor([0, 0, 2]), 'adam.v', 3, fail))).toEqual([0, 0, 2]);
  });

  it('refuses a missing tensor, another shape, integers, and a non-finite or negative second moment', () => {
    expect(messageOf(() => checkMoments(undefined, 'adam.m', 3, fail))).toBe(`${PREFIX}tensor 'adam.m' is missing`);
    expect(messageOf(() => checkMoments(tensor([1, 2]), 'adam.m', 3, fail))).toBe(`${PREFIX}tensor 'adam.m' has shape [2], expected [3] (one value per parameter)`);
    expect(messageOf(() => checkMoments(tensor([1, 2, 3], [1, 3]), 'adam.v', 3, fail))).toBe(`${PREFIX}tensor 'adam.v' has shape [1, 3], expected [3] (one value per parameter)`);
    expect(messageOf(() => checkMoments(tensor([1, 2, 3], [3], 'I64'), 'adam.m', 3, fail))).toBe(`${PREFIX}tensor 'adam.m' has dtype I64, expected a float type`);
    expect(messageOf(() => checkMoments(tensor([1, NaN, 3]), 'adam.m', 3, fail))).toBe(`${PREFIX}tensor 'adam.m' holds NaN at element 1`);
    expect(messageOf(() => checkMoments(tensor([1, 2, -Infinity]), 'adam.m', 3, fail))).toBe(`${PREFIX}tensor 'adam.m' holds -Infinity at element 2`);
    expect(messageOf(() => checkMoments(tensor([1, -0.25, 3]), 'adam.v', 3, fail))).toBe(`${PREFIX}tensor 'adam.v' holds -0.25 at element 1; a second moment is never negative`);
    expect(messageOf(() => checkMoments(tensor([Infinity, 1, 1]), 'adam.v', 3, fail))).toBe(`${PREFIX}tensor 'adam.v' holds Infinity at element 0`);
    expect(messageOf(() => checkMoments(tensor([1, 2, 3], [3, 1]), 'adam.m', 3, fail))).toBe(`${PREFIX}tensor 'adam.m' has shape [3, 1], expected [3] (one value per parameter)`);
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
    expect(JSON.parse(file.metadata.progress)).toEqual({ epoch: 1, step: 5, position: 4, randomState: new Random(9).state(), epochRandomState: [5, 6, 7, 8], lossSum: 2.5, correct: 3, seconds: 1.25 });
    expect(JSON.parse(file.metadata.history)).toEqual([RECORD]);
    expect(file.metadata.training).toBeUndefined();
    expect(file.metadata.metrics).toBeUndefined();
    expect(Array.from(file.tensors.get('adam.m')!.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(file.tensors.get('adam.v')!.shape).toEqual([8]);
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
    const { network, optimizer } = restored.state;
    expect(network.backend).toBe(backend);
    expect(Array.from(network.params)).toEqual(Array.from(state.network.params));
    expect(Array.from(optimizer.m)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(optimizer.v)).toEqual([0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]);
    expect(optimizer.step).toBe(5);
    expect(optimizer.settings).toEqual({ learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7 });
    expect(restored.state.random.state()).toEqual(new Random(9).state());
    expect(restored.state).toMatchObject({ seed: 5, epoch: 1, position: 4, epochRandomState: [5, 6, 7, 8], lossSum: 2.5, correct: 3, seconds: 1.25, history: [RECORD], order: null });
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
    expect(checkpointSettings(state, { epochs: 4, batchSize: 16 })).toEqual({
      epochs: 4, batchSize: 16, learningRate: 0.5, beta1: 0.1, beta2: 0.2, epsilon: 0.3, seed: 77, arch: ARCH, data: null, limit: null, testLimit: null, backend: 'ts', threads: 1, checkpointEvery: null,
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
