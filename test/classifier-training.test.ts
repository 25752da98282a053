/**
 * The training front door (src/classifier-training.ts) and Node's classifier calls (src/classifier-node.ts),
 * in-process on sets of three two-pixel images, in milliseconds (test/classifier.test.ts trains on MNIST and
 * takes minutes).
 *
 * The problem: images [1, 1, 2] of bytes 255 / 0 (pixels 1 and 0), classes 2; the network 'flatten linear(2)',
 * whose first step is a closed form: with W₀, b₀ the seeded initialisation (createNetwork + initialize, done
 * here as trainClassifier does it), pₙ = softmax(W₀xₙ + b₀), the batch-mean gradient is
 *   ∂L/∂W = (1/N) Σₙ (pₙ − yₙ) xₙᵀ,   ∂L/∂b = (1/N) Σₙ (pₙ − yₙ),
 * so one epoch of one full batch is W₁ = W₀ − lr·∂L/∂W for SGD, and W₀ − lr·g/(|g| + ε) for Adam's first step
 * (its bias-corrected moments are g and g²). Every refusal is asserted with its exact one-line message.
 */
import { describe, expect, it, vi } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { type ClassifierEnvironment, type ClassifierThreads } from '../src/classifier.js';
import { trainClassifierWith, trainClassifier as trainInBrowser, type TrainingProgress } from '../src/classifier-training.js';
import { classifierOf, loadClassifier, trainClassifier } from '../src/classifier-node.js';
import type { ImageSet } from '../src/data/dataset.js';
import { MAX_THREADS } from '../src/parallel/control.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { createBackend } from '../src/backend/select.js';
import { decodeModel, encodeModel } from '../src/model/model-file.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { shippedModelPath } from '../src/model/model-io.js';
import { Random } from '../src/random.js';
import { SerialStep } from '../src/train/step.js';
import { serialPredictor } from '../src/eval/predict.js';
import type { EpochRecord } from '../src/train/trainer.js';
import { rejection } from './errors.js';
import { readFileSync } from 'node:fs';

const GEOMETRY = { channels: 1, height: 1, width: 2, classes: 2 };
const SPEC = 'flatten linear(2)';

/** N images of two pixels, each pixel 255 or 0 as `pixels` gives it (1 or 0), with their labels. */
function imageSet(pixels: number[][], labels: number[]): ImageSet {
  return { count: pixels.length, height: 1, width: 2, images: Uint8Array.from(pixels.flat().map((p) => 255 * p)), labels: Int32Array.from(labels) };
}
const TRAIN = imageSet([[1, 0], [0, 1], [1, 1]], [0, 1, 0]);
const TEST = imageSet([[1, 0], [0, 1]], [0, 1]);
const BASE = { train: TRAIN, test: TEST, arch: SPEC, backend: 'ts' as const };

/** W₀ and b₀: the network trainClassifier makes for `seed`, made here the same way. */
function initialWeights(seed: number): Float32Array {
  const network = createNetwork(new ReferenceBackend(), SPEC, GEOMETRY);
  network.initialize(new Random(seed));
  return Float32Array.from(network.params);
}

/** The batch-mean gradient of the cross-entropy at `params` ([W row-major 2×2, b 2]) over `set`, in doubles. */
function gradient(params: Float32Array, set: ImageSet): number[] {
  const g = [0, 0, 0, 0, 0, 0];
  for (let n = 0; n < set.count; n++) {
    const x = [set.images[2 * n] / 255, set.images[2 * n + 1] / 255];
    const z = [0, 1].map((k) => params[2 * k] * x[0] + params[2 * k + 1] * x[1] + params[4 + k]);
    const e = z.map((v) => Math.exp(v - Math.max(...z)));
    const p = e.map((v) => v / (e[0] + e[1]));
    for (let k = 0; k < 2; k++) {
      const delta = (p[k] - (set.labels[n] === k ? 1 : 0)) / set.count;
      g[2 * k] += delta * x[0];
      g[2 * k + 1] += delta * x[1];
      g[4 + k] += delta;
    }
  }
  return g;
}

/** The mean cross-entropy and the accuracy of `params` on `set`, in doubles. */
function lossAndAccuracy(params: ArrayLike<number>, set: ImageSet): { loss: number; accuracy: number } {
  let loss = 0;
  let correct = 0;
  for (let n = 0; n < set.count; n++) {
    const x = [set.images[2 * n] / 255, set.images[2 * n + 1] / 255];
    const z = [0, 1].map((k) => params[2 * k] * x[0] + params[2 * k + 1] * x[1] + params[4 + k]);
    const m = Math.max(...z);
    loss += m + Math.log(Math.exp(z[0] - m) + Math.exp(z[1] - m)) - z[set.labels[n]];
    if ((z[1] > z[0] ? 1 : 0) === set.labels[n]) correct++;
  }
  return { loss: loss / set.count, accuracy: correct / set.count };
}

/** The weights of a trained classifier, read back from its bytes. */
const weightsOf = (bytes: Uint8Array) => Array.from(decodeModel(bytes, 'trained', new ReferenceBackend()).network.params);
const infoOf = (bytes: Uint8Array) => decodeModel(bytes, 'trained', new ReferenceBackend()).info;

describe('trainClassifier: what one run computes', () => {
  it('takes one SGD step per full batch: W₁ = W₀ − lr·∂L/∂W, the closed form', async () => {
    const model = await trainClassifier({ ...BASE, optimizer: 'sgd', learningRate: 0.5, seed: 3 });
    const w0 = initialWeights(3);
    const g = gradient(w0, TRAIN);
    const expected = Array.from(w0, (w, k) => w - 0.5 * g[k]);
    weightsOf(model.toBytes()).forEach((w, k) => expect(w).toBeCloseTo(expected[k], 6));
    await model.close();
  });

  it('adds SGD\'s weight decay to the gradient: W₁ = W₀ − lr·(∂L/∂W + λW₀)', async () => {
    const model = await trainClassifier({ ...BASE, optimizer: 'sgd', learningRate: 0.5, weightDecay: 0.25, seed: 3 });
    const w0 = initialWeights(3);
    const g = gradient(w0, TRAIN);
    weightsOf(model.toBytes()).forEach((w, k) => expect(w).toBeCloseTo(w0[k] - 0.5 * (g[k] + 0.25 * w0[k]), 6));
    await model.close();
  });

  it('uses Adam at lr 0.001 and seed 1 by default: its first step moves each weight by −0.001·g/(|g| + 1e-8)', async () => {
    const model = await trainClassifier({ train: TRAIN, test: TEST, arch: SPEC, backend: 'ts' });
    const w0 = initialWeights(1);
    const g = gradient(w0, TRAIN);
    weightsOf(model.toBytes()).forEach((w, k) => expect(w).toBeCloseTo(w0[k] - 0.001 * (g[k] / (Math.abs(g[k]) + 1e-8)), 6));
    await model.close();
  });

  it('records the run in the model: its settings, the epoch figures and the test accuracy, the class names 0, 1', async () => {
    const records: EpochRecord[] = [];
    const model = await trainClassifier({ ...BASE, optimizer: 'sgd', learningRate: 0.5, seed: 3, onEpoch: (r) => records.push(r) });
    const bytes = model.toBytes();
    const info = infoOf(bytes);
    expect(info.dataset).toBe('custom');
    expect(info.classNames).toEqual(['0', '1']);
    expect(info.geometry).toEqual(GEOMETRY);
    expect(info.training).toEqual({ epochs: 1, batchSize: 64, learningRate: 0.5, seed: 3, arch: SPEC, backend: 'ts', threads: 1, optimizer: { name: 'sgd', weightDecay: 0, momentum: 0, nesterov: false } });
    // The epoch's figures: the train loss and accuracy of W₀ (one step, taken after them), the test figures of W₁.
    const before = lossAndAccuracy(initialWeights(3), TRAIN);
    const after = lossAndAccuracy(weightsOf(bytes), TEST);
    expect(records).toHaveLength(1);
    expect(records[0].trainLoss).toBeCloseTo(before.loss, 6);
    expect(records[0].trainAccuracy).toBe(before.accuracy);
    expect(records[0].testLoss).toBeCloseTo(after.loss, 6);
    expect(records[0].testAccuracy).toBe(after.accuracy);
    const { seconds: _s, learningRate: _l, ...figures } = records[0];
    expect(info.metrics).toEqual({ history: [figures], testAccuracy: after.accuracy });
    await model.close();
  });

  it('records the dataset name and class names given, and only the recipe settings that differ from the paper\'s', async () => {
    const model = await trainClassifier({
      ...BASE, classNames: ['left', 'right'], dataset: 'pairs', epochs: 2, batchSize: 2, seed: 0,
      optimizer: 'sgd', momentum: 0.9, nesterov: true, weightDecay: 0.001, clipNorm: 5, schedule: { name: 'step', stepSize: 1, gamma: 0.5 }, warmup: 1,
      labelSmoothing: 0.1, validation: TEST, patience: 3, monitor: 'val-accuracy', augment: 'shift(1)',
    });
    const info = infoOf(model.toBytes());
    expect(info.dataset).toBe('pairs');
    expect(info.classNames).toEqual(['left', 'right']);
    expect(info.training).toEqual({
      epochs: 2, batchSize: 2, learningRate: 0.001, seed: 0, arch: SPEC, backend: 'ts', threads: 1,
      optimizer: { name: 'sgd', weightDecay: 0.001, momentum: 0.9, nesterov: true },
      schedule: { name: 'step', stepSize: 1, gamma: 0.5, warmup: 1 },
      clipNorm: 5, labelSmoothing: 0.1, patience: 3, monitor: 'val-accuracy', augment: 'shift(1)',
    });
    await model.close();
  });

  it('records AdamW with its default decay 0.01, a cosine schedule, and a constant schedule only when it warms up', async () => {
    const adamw = await trainClassifier({ ...BASE, optimizer: 'adamw', schedule: 'cosine' });
    expect(infoOf(adamw.toBytes()).training).toMatchObject({ optimizer: { name: 'adamw', weightDecay: 0.01, momentum: 0, nesterov: false }, schedule: { name: 'cosine', warmup: 0 } });
    await adamw.close();
    const warm = await trainClassifier({ ...BASE, warmup: 2, schedule: 'constant', optimizer: 'adam', weightDecay: 0 });
    const training = infoOf(warm.toBytes()).training as Record<string, unknown>;
    expect(training.schedule).toMatchObject({ name: 'constant', warmup: 2 });
    expect(training.optimizer).toBeUndefined(); // Adam without decay is the paper's
    await warm.close();
    const decayed = await trainClassifier({ ...BASE, weightDecay: 0.5 });
    expect(infoOf(decayed.toBytes()).training).toMatchObject({ optimizer: { name: 'adam', weightDecay: 0.5 } });
    await decayed.close();
  });

  it('counts the classes by the largest label of both sets + 1 when neither classes nor names are given, 10 of them as MNIST\'s', async () => {
    const three = await trainClassifier({ ...BASE, arch: 'flatten linear(3)', train: TRAIN, test: imageSet([[1, 1]], [2]) });
    expect(infoOf(three.toBytes()).classNames).toEqual(['0', '1', '2']);
    await three.close();
    const ten = await trainClassifier({ ...BASE, arch: 'flatten linear(10)', test: imageSet([[0, 0]], [9]) });
    expect(infoOf(ten.toBytes()).classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await ten.close();
    const given = await trainClassifier({ ...BASE, arch: 'flatten linear(4)', classes: 4 });
    expect(infoOf(given.toBytes()).classNames).toEqual(['0', '1', '2', '3']);
    await given.close();
  });

  it('reports progress after every step as images done of the whole run, with the epoch\'s running loss and accuracy', async () => {
    const seen: TrainingProgress[] = [];
    const records: EpochRecord[] = [];
    const model = await trainClassifier({ ...BASE, epochs: 2, batchSize: 2, onProgress: (p) => seen.push({ ...p }), onEpoch: (r) => records.push(r) });
    // 3 images in batches of 2 and 1: two steps an epoch, 6 images in all.
    expect(seen.map(({ done, total, epoch, epochs }) => [done, total, epoch, epochs])).toEqual([[2, 6, 1, 2], [3, 6, 1, 2], [5, 6, 2, 2], [6, 6, 2, 2]]);
    expect(seen[1].loss).toBeCloseTo(records[0].trainLoss, 12);
    expect(seen[1].accuracy).toBe(records[0].trainAccuracy);
    expect(seen[3].loss).toBeCloseTo(records[1].trainLoss, 12);
    expect(seen[3].accuracy).toBe(records[1].trainAccuracy);
    await model.close();
  });

  it('gives onEpoch a copy of each record (changing it changes nothing recorded)', async () => {
    const model = await trainClassifier({ ...BASE, epochs: 2, onEpoch: (r) => { r.testAccuracy = -1; r.trainLoss = NaN; } });
    const history = (infoOf(model.toBytes()).metrics as { history: Array<{ testAccuracy: number; trainLoss: number }> }).history;
    for (const record of history) {
      expect(record.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(Number.isNaN(record.trainLoss)).toBe(false);
    }
    await model.close();
  });

  it('records the best epoch\'s test accuracy when early stopping restored its weights, else the last epoch\'s', async () => {
    // The validation labels are the training labels swapped: as training fits the training set, the validation
    // loss grows, so epoch 1 is the best; the test set is the training set, whose accuracy grows meanwhile.
    const swapped = imageSet([[1, 0], [0, 1], [1, 1]], [1, 0, 1]);
    const run = async (patience: number | undefined) => {
      const records: EpochRecord[] = [];
      const model = await trainClassifier({ ...BASE, test: TRAIN, validation: swapped, optimizer: 'sgd', learningRate: 0.5, epochs: 4, seed: 4, ...(patience === undefined ? {} : { patience }), onEpoch: (r) => records.push(r) });
      const testAccuracy = (infoOf(model.toBytes()).metrics as { testAccuracy: number }).testAccuracy;
      await model.close();
      return { records, testAccuracy };
    };
    const withPatience = await run(10);
    const losses = withPatience.records.map((r) => r.valLoss!);
    const best = losses.indexOf(Math.min(...losses));
    expect(best).toBe(0); // the premise: epoch 1's validation loss is the lowest
    expect(withPatience.records[0].testAccuracy).not.toBe(withPatience.records[3].testAccuracy); // and the accuracies differ
    expect(withPatience.testAccuracy).toBe(withPatience.records[0].testAccuracy);
    const without = await run(undefined);
    expect(without.testAccuracy).toBe(without.records[3].testAccuracy);
  });
});

describe('trainClassifier: stopping, and what a failed run leaves', () => {
  it('rejects with an AbortError when its signal fires during the run, even on the last step', async () => {
    const controller = new AbortController();
    const error = await rejection(trainClassifier({ ...BASE, batchSize: 2, signal: controller.signal, onProgress: (p) => p.done === 3 && controller.abort() }));
    expect(error.message).toBe('trainClassifier: aborted');
    expect(error.code).toBe('ERR_ABORTED');
    expect(error.name).toBe('AbortError');
  });

  it('disposes what it made when a run fails: the network, the optimiser and a backend it owns, not a backend given', async () => {
    for (const given of [false, true]) {
      const backend = new ReferenceBackend();
      Object.defineProperty(backend, 'name', { value: 'wasm' }); // threads need a wasm backend; this one computes as the reference
      const backendDispose = vi.spyOn(backend, 'dispose');
      let made: { network: Network; optimizerDispose: ReturnType<typeof vi.spyOn>; networkDispose: ReturnType<typeof vi.spyOn> } | null = null;
      const environment: ClassifierEnvironment = {
        loadShippedModel: () => Promise.reject(new Error('unused')),
        createWasmBackend: async () => backend,
        maxThreads: 4,
        startThreads: async (network, threads, optimizer, seed, labelSmoothing) => {
          expect([threads, seed, labelSmoothing]).toEqual([3, 7, 0.2]);
          made = { network, optimizerDispose: vi.spyOn(optimizer!, 'dispose'), networkDispose: vi.spyOn(network, 'dispose') };
          throw new Error('no threads today');
        },
      };
      await expect(trainClassifierWith({ ...BASE, backend: given ? backend : 'wasm', threads: 3, seed: 7, labelSmoothing: 0.2 }, environment)).rejects.toThrow('no threads today');
      expect(made!.networkDispose).toHaveBeenCalledTimes(1);
      expect(made!.optimizerDispose).toHaveBeenCalledTimes(1);
      expect(backendDispose).toHaveBeenCalledTimes(given ? 0 : 1);
    }
  });

  it('on threads, trains through the pool\'s step and predictor, to the weights of one thread; closing the classifier closes the pool, then frees the optimiser', async () => {
    const calls: string[] = [];
    const environment: ClassifierEnvironment = {
      loadShippedModel: () => Promise.reject(new Error('unused')),
      createWasmBackend: async () => Object.defineProperty(new ReferenceBackend(), 'name', { value: 'wasm' }),
      maxThreads: 4,
      startThreads: async (network, threads, optimizer, seed, labelSmoothing): Promise<ClassifierThreads> => {
        const serial = new SerialStep(network, optimizer!, seed!, labelSmoothing!);
        const predictor = serialPredictor(network);
        const dispose = optimizer!.dispose.bind(optimizer);
        optimizer!.dispose = () => {
          calls.push('optimizer disposed');
          dispose();
        };
        return {
          count: threads,
          predictor: { ...predictor, predictBatch: (batch) => (calls.push('predict'), predictor.predictBatch(batch)) },
          gradCamRunner: {} as never,
          trainStep: { run: (batch) => (calls.push('step'), serial.run(batch)) },
          close: async () => void calls.push('pool closed'),
        };
      },
    };
    const options = { ...BASE, optimizer: 'sgd' as const, learningRate: 0.5, seed: 3, batchSize: 2 };
    const pooled = await trainClassifierWith({ ...options, backend: 'wasm', threads: 2 }, environment);
    expect(calls.filter((c) => c === 'step')).toHaveLength(2);
    expect(calls).toContain('predict');
    expect(calls).not.toContain('optimizer disposed'); // the workers read the moments until the pool closes
    const serial = await trainClassifier(options);
    expect(weightsOf(pooled.toBytes())).toEqual(weightsOf(serial.toBytes()));
    expect(infoOf(pooled.toBytes()).training).toMatchObject({ threads: 2, backend: 'wasm' });
    await pooled.close();
    expect(calls.slice(-2)).toEqual(['pool closed', 'optimizer disposed']);
    await serial.close();

    // Stopped on its threads, the run closes the pool and frees the optimiser before it rejects.
    calls.length = 0;
    const controller = new AbortController();
    const stopped = await rejection(trainClassifierWith({ ...options, backend: 'wasm', threads: 2, signal: controller.signal, onProgress: () => controller.abort() }, environment));
    expect(stopped.code).toBe('ERR_ABORTED');
    expect(calls.filter((c) => c !== 'predict')).toEqual(['step', 'pool closed', 'optimizer disposed']);
  });
});

describe('trainClassifier: every option checked before any work', () => {
  const refusals: Array<[string, Record<string, unknown>, string]> = [
    ['unknown option', { epoch: 2 }, "trainClassifier: unknown option 'epoch'"],
    ['no train', { train: undefined }, 'trainClassifier: give the training images as train and the images to evaluate each epoch on as test'],
    ['no test', { test: undefined }, 'trainClassifier: give the training images as train and the images to evaluate each epoch on as test'],
    ['epochs 0', { epochs: 0 }, 'trainClassifier: epochs 0 is not a whole number from 1 to 10000'],
    ['epochs 10001', { epochs: 10_001 }, 'trainClassifier: epochs 10001 is not a whole number from 1 to 10000'],
    ['epochs 1.5', { epochs: 1.5 }, 'trainClassifier: epochs 1.5 is not a whole number from 1 to 10000'],
    ['epochs "2"', { epochs: '2' }, 'trainClassifier: epochs 2 is not a whole number from 1 to 10000'],
    ['batchSize 0', { batchSize: 0 }, 'trainClassifier: batchSize 0 is not a whole number from 1 to 65536'],
    ['batchSize 65537', { batchSize: 65_537 }, 'trainClassifier: batchSize 65537 is not a whole number from 1 to 65536'],
    ['seed -1', { seed: -1 }, 'trainClassifier: seed -1 is not a whole number from 0 to 4294967295'],
    ['seed 2^32', { seed: 2 ** 32 }, 'trainClassifier: seed 4294967296 is not a whole number from 0 to 4294967295'],
    ['learningRate 0', { learningRate: 0 }, 'trainClassifier: learningRate 0 is not a number above 0 and at most 10'],
    ['learningRate 10.5', { learningRate: 10.5 }, 'trainClassifier: learningRate 10.5 is not a number above 0 and at most 10'],
    ['learningRate NaN', { learningRate: NaN }, 'trainClassifier: learningRate NaN is not a number above 0 and at most 10'],
    ['learningRate "0.1"', { learningRate: '0.1' }, 'trainClassifier: learningRate 0.1 is not a number above 0 and at most 10'],
    ['arch 5', { arch: 5 }, 'trainClassifier: arch must be a spec or a preset name (a string)'],
    ['dataset 5', { dataset: 5 }, 'trainClassifier: dataset must be a name (a string)'],
    ['threads on ts', { threads: 2 }, 'trainClassifier: threads 2 needs the wasm backend; the ts reference runs on one thread'],
    ['classNames a string', { classNames: 'ab' }, 'trainClassifier: classNames must be a list of strings'],
    ['classNames of numbers', { classNames: [0, 1] }, 'trainClassifier: classNames must be a list of strings'],
    ['classes 0', { classes: 0 }, 'trainClassifier: classes 0 is not a whole number from 1 to 4096'],
    ['classes 4097', { classes: 4097 }, 'trainClassifier: classes 4097 is not a whole number from 1 to 4096'],
    ['classes 2.5', { classes: 2.5 }, 'trainClassifier: classes 2.5 is not a whole number from 1 to 4096'],
    ['classes "2"', { classes: '2' }, 'trainClassifier: classes 2 is not a whole number from 1 to 4096'],
    ['names and classes differ', { classes: 3, classNames: ['a', 'b'] }, 'trainClassifier: 2 class names for 3 classes; give one name per class'],
    ['no class names', { classNames: [] }, 'trainClassifier: classNames is empty; give one name per class'],
    ['optimizer', { optimizer: 'rmsprop' }, 'trainClassifier: optimizer "rmsprop" is not one of adam, adamw, sgd'],
    ['weightDecay -0.1', { weightDecay: -0.1 }, 'trainClassifier: weightDecay -0.1 is not a number from 0 to 1'],
    ['weightDecay 1.5', { weightDecay: 1.5 }, 'trainClassifier: weightDecay 1.5 is not a number from 0 to 1'],
    ['weightDecay Infinity', { weightDecay: Infinity }, 'trainClassifier: weightDecay Infinity is not a number from 0 to 1'],
    ['weightDecay "0"', { weightDecay: '0' }, 'trainClassifier: weightDecay 0 is not a number from 0 to 1'],
    ['momentum 2', { optimizer: 'sgd', momentum: 2 }, 'trainClassifier: momentum 2 is not a number from 0 to 1'],
    ['nesterov "yes"', { optimizer: 'sgd', momentum: 0.5, nesterov: 'yes' }, 'trainClassifier: nesterov must be true or false'],
    ['momentum on adam', { momentum: 0.5 }, "trainClassifier: momentum and nesterov are SGD's; give optimizer 'sgd', or leave them out"],
    ['nesterov on adamw', { optimizer: 'adamw', nesterov: false }, "trainClassifier: momentum and nesterov are SGD's; give optimizer 'sgd', or leave them out"],
    ['nesterov without momentum', { optimizer: 'sgd', nesterov: true }, 'trainClassifier: nesterov needs a momentum above 0'],
    ['schedule name', { schedule: 'linear' }, 'trainClassifier: schedule "linear" is not one of constant, step, cosine, one-cycle'],
    ['step schedule as a name', { schedule: 'step' }, "trainClassifier: the step schedule needs its step size: give schedule { name: 'step', stepSize, gamma }"],
    ['step size 0', { schedule: { name: 'step', stepSize: 0 } }, 'trainClassifier: schedule.stepSize 0 is not a whole number from 1 to 10000'],
    ['step size 1.5', { schedule: { name: 'step', stepSize: 1.5 } }, 'trainClassifier: schedule.stepSize 1.5 is not a whole number from 1 to 10000'],
    ['gamma 0', { schedule: { name: 'step', stepSize: 2, gamma: 0 } }, 'trainClassifier: schedule.gamma 0 is not a number above 0 and at most 1'],
    ['gamma 1.5', { schedule: { name: 'step', stepSize: 2, gamma: 1.5 } }, 'trainClassifier: schedule.gamma 1.5 is not a number above 0 and at most 1'],
    ['schedule object of another name', { schedule: { name: 'cosine' } }, 'trainClassifier: schedule {"name":"cosine"} is not one of constant, step, cosine, one-cycle'],
    ['warmup -1', { warmup: -1 }, 'trainClassifier: warmup -1 is not a whole number from 0 to 100000000'],
    ['clipNorm 0', { clipNorm: 0 }, 'trainClassifier: clipNorm 0 is not a number above 0 and at most 1000000'],
    ['labelSmoothing 1.5', { labelSmoothing: 1.5 }, 'trainClassifier: labelSmoothing 1.5 is not a number from 0 to 1'],
    ['patience 0', { patience: 0, validation: TEST }, 'trainClassifier: patience 0 is not a whole number from 1 to 10000'],
    ['patience without validation', { patience: 2 }, 'trainClassifier: patience watches the validation set; give validation too'],
    ['monitor without validation', { monitor: 'val-accuracy' }, 'trainClassifier: monitor watches the validation set; give validation too'],
    ['monitor name', { monitor: 'accuracy', validation: TEST }, 'trainClassifier: monitor "accuracy" is not one of val-loss, val-accuracy'],
    ['augment 5', { augment: 5 }, "trainClassifier: augment must be a list such as 'shift(2),rotate(10)'"],
    ['onEpoch a string', { onEpoch: 'log' }, 'trainClassifier: onEpoch must be a function'],
  ];

  it.each(refusals)('refuses %s (ERR_BAD_ARGUMENT, exit 2)', async (_name, change, message) => {
    const error = await rejection(trainClassifier({ ...BASE, ...change } as never));
    // The unknown option's message goes on to list the options (classifier.ts's checkOptionNames).
    if ('epoch' in change) expect(error.message.startsWith(`${message}; `)).toBe(true);
    else expect(error.message).toBe(message);
    expect(error.code).toBe('ERR_BAD_ARGUMENT');
  });

  it('refuses a bad augment list with the list\'s own reason, without the flag\'s name', async () => {
    const error = await rejection(trainClassifier({ ...BASE, augment: 'shift(99)' }));
    expect(error.message).toMatch(/^trainClassifier: augment shift\(99\)/);
    expect(error.message).not.toContain('--augment');
    expect(error.code).toBe('ERR_BAD_ARGUMENT');
  });

  it('refuses sets whose labels count no class (ERR_BAD_DATA), and a missing options object', async () => {
    const unlabelled = { images: { data: new Uint8Array(0), shape: [0, 1, 1, 2] }, labels: [] };
    const error = await rejection(trainClassifier({ ...BASE, train: unlabelled, test: unlabelled } as never));
    expect(error.message).toBe('trainClassifier: the training set has no labels to count the classes by; give classes');
    expect(error.code).toBe('ERR_BAD_DATA');
    expect((await rejection(trainClassifier(undefined as never))).message).toBe('trainClassifier: give the training images as train and the images to evaluate each epoch on as test');
  });

  it('takes each range\'s ends: epochs 1, batchSize 65536, seed 0 and 2³² − 1, learningRate 10, one class', async () => {
    const ends = await trainClassifier({ ...BASE, batchSize: 65_536, seed: 2 ** 32 - 1, learningRate: 10 });
    expect(infoOf(ends.toBytes()).training).toMatchObject({ epochs: 1, batchSize: 65_536, seed: 4294967295, learningRate: 10 });
    await ends.close();
    const one = await trainClassifier({ ...BASE, arch: 'flatten linear(1)', classes: 1, train: imageSet([[1, 0]], [0]), test: imageSet([[0, 1]], [0]) });
    expect(infoOf(one.toBytes()).classNames).toEqual(['0']);
    await one.close();
  });

  it('names the set at fault: train, test or validation', async () => {
    const outOfRange = imageSet([[1, 0], [0, 1]], [0, 2]);
    expect((await rejection(trainClassifier({ ...BASE, classes: 2, train: outOfRange }))).message).toBe('trainClassifier: train: label 2 of image 1 is not a class of this model (0 to 1)');
    expect((await rejection(trainClassifier({ ...BASE, classes: 2, test: outOfRange }))).message).toBe('trainClassifier: test: label 2 of image 1 is not a class of this model (0 to 1)');
    expect((await rejection(trainClassifier({ ...BASE, classes: 2, validation: outOfRange }))).message).toBe('trainClassifier: validation: label 2 of image 1 is not a class of this model (0 to 1)');
    expect((await rejection(trainClassifier({ ...BASE, train: 'digits' as never }))).message).toMatch(/^trainClassifier: train: /);
  });

  it('counts the classes by whole labels only: a label 2.5 is then refused among 2 classes (0 to 1), not 3', async () => {
    const error = await rejection(trainClassifier({ ...BASE, train: { images: { data: TRAIN.images, shape: [3, 1, 1, 2] }, labels: [0, 2.5, 1] } }));
    expect(error.message).toBe('trainClassifier: train: label 2.5 of image 1 is not a class of this model (0 to 1)');
  });

  it('refuses a network that cannot take the images with the spec\'s own message, leaving nothing behind', async () => {
    const error = await rejection(trainClassifier({ ...BASE, arch: 'conv(2,5) flatten linear(2)' }));
    expect(error.code).toBe('ERR_BAD_ARGUMENT');
    expect(error.message).not.toMatch(/null|undefined/);
    // The default architecture is the paper's, which a 1 × 2 image is too small for.
    const paper = await rejection(trainClassifier({ train: TRAIN, test: TEST, backend: 'ts' }));
    expect(paper.message).toMatch(/conv/);
    expect(paper.message).toBe((await rejection(trainClassifier({ ...BASE, arch: 'paper' }))).message);
  });

  it('takes each recipe range\'s upper end, and class names whose count is the classes given', async () => {
    const ends = await trainClassifier({
      ...BASE, classes: 2, classNames: ['a', 'b'], optimizer: 'sgd', weightDecay: 1, momentum: 1, nesterov: true, clipNorm: 1_000_000, labelSmoothing: 1,
      schedule: { name: 'step', stepSize: 10_000, gamma: 1 }, warmup: 100_000_000, validation: TEST, patience: 10_000,
    });
    expect(ends.info.training).toMatchObject({ optimizer: { weightDecay: 1, momentum: 1 }, clipNorm: 1_000_000, labelSmoothing: 1, schedule: { stepSize: 10_000, gamma: 1, warmup: 100_000_000 }, patience: 10_000 });
    expect(ends.info.classNames).toEqual(['a', 'b']);
    await ends.close();
    const most = await trainClassifier({ ...BASE, arch: 'flatten linear(4096)', classes: 4096 });
    expect(most.info.classNames).toHaveLength(4096);
    expect(most.info.classNames[4095]).toBe('4095');
    await most.close();
    const zeros = await trainClassifier({ ...BASE, arch: 'flatten linear(1)', train: imageSet([[1, 0]], [0]), test: imageSet([[0, 1]], [0]) });
    expect(zeros.info.classNames).toEqual(['0']); // the largest label 0: one class
    await zeros.close();
  });

  it('holds in the classifier\'s info only the settings given beyond the paper\'s (no key left undefined)', async () => {
    const plain = await trainClassifier({ ...BASE, validation: TEST });
    expect(Object.keys(plain.info.training!).sort()).toEqual(['arch', 'backend', 'batchSize', 'epochs', 'learningRate', 'seed', 'threads']);
    await plain.close();
  });

  it('in the browser-safe core, refuses threads above 1 as needing Node', async () => {
    const error = await rejection(trainInBrowser({ ...BASE, threads: 2 }));
    expect(error.message).toBe('trainClassifier: threads 2 is not a whole number from 1 to 1 (more threads need Node: its worker threads)');
  });
});

describe("Node's classifier calls (classifier-node.ts)", () => {
  it('loadClassifier reads a model from its path, and the shipped model by default', async () => {
    const shipped = await loadClassifier({ backend: 'ts' });
    const fromPath = await loadClassifier({ model: shippedModelPath(), backend: 'ts' });
    expect(Buffer.from(shipped.toBytes()).equals(readFileSync(shippedModelPath()))).toBe(true);
    expect(Buffer.from(fromPath.toBytes()).equals(readFileSync(shippedModelPath()))).toBe(true);
    await shipped.close();
    await fromPath.close();
  });

  it('loadClassifier takes up to MAX_THREADS threads, and names that limit', async () => {
    const error = await rejection(loadClassifier({ backend: 'ts', threads: MAX_THREADS + 1 }));
    expect(error.message).toBe(`loadClassifier: threads ${MAX_THREADS + 1} is not a whole number from 1 to ${MAX_THREADS}`);
  });

  it('classifierOf wraps a network in hand on one thread; closing disposes the network, not its backend', async () => {
    const backend = new ReferenceBackend();
    const network = createNetwork(backend, SPEC, GEOMETRY);
    network.initialize(new Random(4));
    const info = { geometry: GEOMETRY, dataset: 'pairs', classNames: ['left', 'right'] };
    const model = await classifierOf(network, info);
    expect(Buffer.from(model.toBytes()).equals(Buffer.from(encodeModel(network, info)))).toBe(true);
    const backendDispose = vi.spyOn(backend, 'dispose');
    await model.close();
    expect(backendDispose).not.toHaveBeenCalled();
    expect(() => network.params).toThrow();
    expect((await rejection(classifierOf(network, info, 2))).message).toMatch(/^classifierOf: /);
  });

  it('classifierOf and trainClassifier start worker threads on the wasm backend: the same numbers as one thread, the pool closed with the classifier', async () => {
    const backend = await createBackend('wasm');
    const network = createNetwork(backend, SPEC, GEOMETRY);
    network.initialize(new Random(4));
    const info = { geometry: GEOMETRY, dataset: 'pairs', classNames: ['left', 'right'] };
    const close = vi.spyOn(ThreadPool.prototype, 'close');
    const create = vi.spyOn(ThreadPool, 'create');
    const step = vi.spyOn(ThreadPool.prototype, 'run');
    try {
      const pooled = await classifierOf(network, info, 2);
      expect(pooled.info.threads).toBe(2);
      expect(create).toHaveBeenLastCalledWith(network, 2, null, 0, 0); // no optimiser: a pool to predict and explain on
      const probabilities = (await pooled.predict({ data: TEST.images, shape: [2, 1, 1, 2] })).map((p) => Array.from(p.probabilities));
      const same = createNetwork(backend, SPEC, GEOMETRY);
      same.initialize(new Random(4));
      const own = await classifierOf(same, info);
      expect(own.info.threads).toBe(1);
      const ownProbabilities = (await own.predict({ data: TEST.images, shape: [2, 1, 1, 2] })).map((p) => Array.from(p.probabilities));
      probabilities.flat().forEach((p, k) => expect(p).toBeCloseTo(ownProbabilities.flat()[k], 6));
      await own.close();
      await pooled.close();
      expect(close).toHaveBeenCalledTimes(1);

      const options = { train: TRAIN, test: TEST, arch: SPEC, optimizer: 'sgd' as const, learningRate: 0.5, seed: 3, labelSmoothing: 0.1 };
      const trained = await trainClassifier({ ...options, threads: 2 });
      expect(create).toHaveBeenLastCalledWith(expect.anything(), 2, expect.objectContaining({ name: 'sgd' }), 3, 0.1);
      expect(trained.info.threads).toBe(2);
      expect(step).toHaveBeenCalledTimes(1); // one step of 3 images, split over the threads
      const serial = await trainClassifier(options);
      const expected = weightsOf(serial.toBytes());
      weightsOf(trained.toBytes()).forEach((w, k) => expect(w).toBeCloseTo(expected[k], 6));
      await trained.close();
      await serial.close();
      expect(close).toHaveBeenCalledTimes(2);
    } finally {
      close.mockRestore();
      create.mockRestore();
      step.mockRestore();
      backend.dispose();
    }
  });

  it('trainClassifier in Node trains on the wasm backend by default, to the weights of the ts reference within float32 rounding', async () => {
    const wasm = await trainClassifier({ train: TRAIN, test: TEST, arch: SPEC, optimizer: 'sgd', learningRate: 0.5, seed: 3 });
    expect(infoOf(wasm.toBytes()).training).toMatchObject({ backend: 'wasm', threads: 1 });
    const reference = await trainClassifier({ ...BASE, optimizer: 'sgd', learningRate: 0.5, seed: 3 });
    const expected = weightsOf(reference.toBytes());
    weightsOf(wasm.toBytes()).forEach((w, k) => expect(w).toBeCloseTo(expected[k], 6));
    await wasm.close();
    await reference.close();
  });
});
