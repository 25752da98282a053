/**
 * What the training loop computes (src/train/trainer.ts), on problems small enough to check by hand: the order
 * it visits the samples in (a Fisher–Yates shuffle per epoch, computed again here from the seeded generator's raw
 * words), the batches it cuts that order into, the epoch's loss as the batch losses weighted by batch size and its
 * accuracy as correct predictions over the images, the running figures it reports, and the stop on a loss that is
 * not finite. A scripted step (it records what it is given and answers what the test says) isolates the loop; a
 * real step with a learning rate of 0 checks the figures against softmax cross-entropy worked out by hand.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { LoadedBatch } from '../src/data/batch.js';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { serialPredictor } from '../src/eval/predict.js';
import { fisherYates } from './fixtures/fisher-yates.js';
import { trainingPass } from '../src/model/layer.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam, ADAM_DEFAULTS } from '../src/train/adam.js';
import { oneCycleRate } from '../src/train/schedule.js';
import { SerialStep, type StepResult, type TrainStep } from '../src/train/step.js';
import { createTrainingState, epochOrder, train, type EpochRecord, type Progress, type TrainingState } from '../src/train/trainer.js';

/**
 * A 1 × 2 "image" per sample and two classes, through `flatten linear(2)` with W = ln 3 · I and b = 0 (float64):
 * the image (1, 0) has logits (ln 3, 0), so p = (3/4, 1/4); the image (0, 1) has p = (1/4, 3/4). A sample whose
 * label is the larger probability's class costs ln(4/3) and is predicted right; the other label costs ln 4.
 */
function tinyNetwork(): Network {
  const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'flatten linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
  network.parameter('fc1.weight').value.set([Math.log(3), 0, 0, Math.log(3)]); // [out, in]
  network.parameter('fc1.bias').value.fill(0);
  return network;
}

/** Images (1,0), (0,1), (1,0), (0,1), (1,0) labelled 0, 1, 1, 0, 0: right, right, wrong, wrong, right. */
const FIVE: ImageSet = {
  count: 5,
  height: 1,
  width: 2,
  images: Uint8Array.of(255, 0, 0, 255, 255, 0, 0, 255, 255, 0),
  labels: Uint8Array.of(0, 1, 1, 0, 0),
};
const RIGHT = Math.log(4 / 3); // 0.28768…
const WRONG = Math.log(4); // 1.38629…

/** `count` samples whose first pixel is the sample's index (so a batch says which samples it holds). */
function numberedSet(count: number): ImageSet {
  return { count, height: 1, width: 2, images: Uint8Array.from({ length: 2 * count }, (_, k) => (k % 2 === 0 ? k / 2 : 0)), labels: new Uint8Array(count) };
}

/** A step that records the samples of each batch and answers the scripted loss and count of correct predictions. */
class ScriptedStep implements TrainStep {
  readonly batches: number[][] = [];
  private next = 0;

  constructor(
    private readonly optimizer: Adam,
    private readonly script: StepResult[],
  ) {}

  run(batch: LoadedBatch): StepResult {
    // The first pixel, scaled back to a byte, is the sample's index (numberedSet).
    this.batches.push(Array.from({ length: batch.size }, (_, n) => Math.round(batch.input[2 * n] * 255)));
    const result = this.script[this.next++];
    if (Number.isFinite(result.loss)) this.optimizer.step += 1; // as SerialStep: no update from a loss that is not finite
    return result;
  }
}

function scriptedRun(seed: number, script: StepResult[]) {
  const network = tinyNetwork();
  const optimizer = new Adam(network);
  const state = createTrainingState(network, optimizer, new Random(seed));
  const step = new ScriptedStep(optimizer, script);
  return { state, step, network, compute: { step, predictor: serialPredictor(network) } };
}

describe('the training loop', () => {
  it('visits each epoch in a fresh Fisher–Yates order drawn from the run\'s generator, cut into batches of the batch size', async () => {
    const seed = 11;
    const { state, step, compute } = scriptedRun(seed, Array.from({ length: 6 }, () => ({ loss: 1, correct: 0 })));
    await train(state, { epochs: 2, batchSize: 3, train: numberedSet(7), test: FIVE, compute });

    const generator = new Random(seed);
    const first = fisherYates(7, generator);
    const second = fisherYates(7, generator); // the stream goes on: the next epoch's order is the next shuffle
    expect(first).not.toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(second).not.toEqual(first);
    expect(step.batches).toEqual([first.slice(0, 3), first.slice(3, 6), first.slice(6), second.slice(0, 3), second.slice(3, 6), second.slice(6)]);
    expect(state.random.state()).toEqual(generator.state()); // and nothing else drew from it
  });

  it('draws an epoch\'s order as Fisher–Yates over 0 … count−1', () => {
    for (const [count, seed] of [[1, 3], [2, 4], [10, 5], [100, 6]]) {
      expect(Array.from(epochOrder(count, new Random(seed)))).toEqual(fisherYates(count, new Random(seed)));
    }
  });

  it('weights each batch\'s mean loss by its size, and counts correct predictions over the epoch, starting afresh each epoch', async () => {
    // 5 images in batches of 2, 2, 1. Epoch 1: losses 1, 2, 4 → (2·1 + 2·2 + 1·4) / 5 = 2 (the plain mean of the
    // batch losses would be 7/3, their sum over the images 7/5); 2 + 0 + 1 = 3 right → 0.6.
    // Epoch 2: losses 0.5, 0.25, 3 → (1 + 0.5 + 3) / 5 = 0.9; 1 + 2 + 1 = 4 right → 0.8.
    const script = [
      { loss: 1, correct: 2 },
      { loss: 2, correct: 0 },
      { loss: 4, correct: 1 },
      { loss: 0.5, correct: 1 },
      { loss: 0.25, correct: 2 },
      { loss: 3, correct: 1 },
    ];
    const { state, compute } = scriptedRun(1, script);
    const progress: Progress[] = [];
    const epochs: Array<[EpochRecord, number]> = [];
    const steps: number[] = [];
    const history = await train(state, {
      epochs: 2,
      batchSize: 2,
      train: numberedSet(5),
      test: FIVE,
      compute,
      onProgress: (p) => progress.push(p),
      onEpoch: (record, s) => void epochs.push([record, s.epoch]),
      onStep: (s: TrainingState) => void steps.push(s.position),
    });

    expect(history.map((r) => [r.epoch, r.trainLoss, r.trainAccuracy])).toEqual([
      [1, 2, 0.6],
      [2, 0.9, 0.8],
    ]);
    // The running figures after each step: Σ loss·size / images so far, correct / images so far.
    expect(progress.map((p) => [p.epoch, p.epochs, p.done, p.total, p.step, p.loss, p.accuracy])).toEqual([
      [1, 2, 2, 5, 1, 1, 1],
      [1, 2, 4, 5, 2, 6 / 4, 2 / 4],
      [1, 2, 5, 5, 3, 10 / 5, 3 / 5],
      [2, 2, 2, 5, 4, 0.5, 0.5],
      [2, 2, 4, 5, 5, 1.5 / 4, 3 / 4],
      [2, 2, 5, 5, 6, 4.5 / 5, 4 / 5],
    ]);
    expect(steps).toEqual([2, 4, 5, 2, 4, 5]);
    // onEpoch sees each record once, after the epoch is counted; the state is back between epochs.
    expect(epochs.map(([record, epoch]) => [record.epoch, epoch])).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect(epochs.map(([record]) => record)).toEqual(history);
    expect([state.epoch, state.position, state.order, state.epochRandomState]).toEqual([2, 0, null, null]);
    expect(history.every((r) => r.seconds >= 0 && Number.isFinite(r.seconds))).toBe(true);
  });

  it('evaluates the test set after each epoch with the network: loss and accuracy by hand', async () => {
    const { state, compute } = scriptedRun(2, [{ loss: 1, correct: 0 }]);
    const [record] = await train(state, { epochs: 1, batchSize: 8, train: numberedSet(3), test: FIVE, compute });
    expect(record.testLoss).toBeCloseTo((3 * RIGHT + 2 * WRONG) / 5, 12); // 0.72713…
    expect(record.testAccuracy).toBe(3 / 5);
    expect(Array.from(state.lastTest!.predicted)).toEqual([0, 1, 0, 1, 0]);
  });

  // Keras' validation_batch_size defaults to batch_size; below 64 images a batch's fixed costs show.
  for (const [batchSize, expected] of [[2, [64, 64, 22]], [64, [64, 64, 22]], [65, [65, 65, 20]], [100, [100, 50]], [200, [150]]] as const) {
    it(`runs the epoch's validation and test passes in batches of the training batch, at least 64: ${batchSize} → ${expected.join(', ')} of 150`, async () => {
      const { state, network, step } = scriptedRun(4, [{ loss: 1, correct: 0 }]);
      const predictor = serialPredictor(network);
      const sizes: number[] = [];
      const recording = { ...predictor, predictBatch: (batch: LoadedBatch) => (sizes.push(batch.size), predictor.predictBatch(batch)) };
      await train(state, { epochs: 1, batchSize, train: numberedSet(1), validation: numberedSet(150), test: numberedSet(150), compute: { step, predictor: recording } });
      expect(sizes).toEqual([...expected, ...expected]); // the validation set's batches, then the test set's
    });
  }

  for (const loss of [Infinity, -Infinity, NaN]) {
    it(`stops on a loss of ${loss}, naming the step and the epoch, with the epoch's sums as they were before it`, async () => {
      const script = [
        { loss: 1, correct: 1 },
        { loss: 1, correct: 1 },
        { loss: 1, correct: 2 },
        { loss: 3, correct: 1 },
        { loss, correct: 0 },
      ];
      const { state, compute } = scriptedRun(3, script);
      const error = await train(state, { epochs: 2, batchSize: 2, train: numberedSet(6), test: FIVE, compute }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(XcnnError);
      expect((error as Error).message).toBe(
        `training diverged: the loss became ${loss} at step 5 (epoch 2); the weights were not updated with it and no model was written from it — try a smaller --lr`,
      );
      // Epoch 1 (three batches) is complete; of epoch 2 only the first batch counts: 2 images, loss 3 · 2, 1 right.
      expect(state.history).toHaveLength(1);
      expect([state.epoch, state.position, state.lossSum, state.correct]).toEqual([1, 2, 6, 1]);
    });
  }
});

describe('training with a real step and a learning rate of 0 (the weights stay put)', () => {
  it('reports the mean cross-entropy and the accuracy worked out by hand, whatever the batches', async () => {
    // Per image: ln(4/3), ln(4/3), ln 4, ln 4, ln(4/3) → mean (3 ln(4/3) + 2 ln 4) / 5 = 0.72713…; 3 of 5 right.
    const expectedLoss = (3 * RIGHT + 2 * WRONG) / 5;
    for (const batchSize of [1, 2, 3, 5]) {
      const network = tinyNetwork();
      const weights = Float64Array.from(network.params);
      const state = createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0 }), new Random(4));
      const [record] = await train(state, { epochs: 1, batchSize, train: FIVE, test: FIVE });
      expect(record.trainLoss).toBeCloseTo(expectedLoss, 12);
      expect(record.trainAccuracy).toBe(3 / 5);
      expect(record.testLoss).toBeCloseTo(expectedLoss, 12);
      expect(record.testAccuracy).toBe(3 / 5);
      expect(state.optimizer.step).toBe(Math.ceil(5 / batchSize));
      expect(Array.from(network.params)).toEqual(Array.from(weights));
    }
  });
});

describe('the learning rate a schedule gives each update', () => {
  it('gives one-cycle the run\'s update count, epochs × ⌈images / batch⌉ (2 × ⌈3 / 2⌉ = 4), and each update its index', async () => {
    const network = tinyNetwork();
    const optimizer = new Adam(network);
    const state = createTrainingState(network, optimizer, new Random(5));
    const rates: number[] = [];
    const step: TrainStep = { run: () => (rates.push(optimizer.learningRate), (optimizer.step += 1), { loss: 1, correct: 0 }) };
    const schedule = { settings: { name: 'one-cycle' as const, stepSize: 1, gamma: 1, warmup: 0 }, learningRate: 0.01 };
    await train(state, { epochs: 2, batchSize: 2, train: numberedSet(3), test: FIVE, compute: { step, predictor: serialPredictor(network) }, schedule });
    expect(rates).toEqual([0, 1, 2, 3].map((update) => oneCycleRate(0.01, update, 4)));
  });
});

describe('training with label smoothing, a real step and a learning rate of 0', () => {
  it('trains on torch\'s label-smoothed cross-entropy when given, and tests on the plain one: by hand', async () => {
    // ε = 0.1 over 2 classes: the target puts 0.95 on the label and 0.05 on the other class. A right image
    // (p = 3/4 on its label) costs 0.95 ln(4/3) + 0.05 ln 4, a wrong one 0.95 ln 4 + 0.05 ln(4/3).
    const smoothedLoss = (3 * (0.95 * RIGHT + 0.05 * WRONG) + 2 * (0.95 * WRONG + 0.05 * RIGHT)) / 5;
    const network = tinyNetwork();
    const state = createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0 }), new Random(4));
    const [record] = await train(state, { epochs: 1, batchSize: 2, train: FIVE, test: FIVE, labelSmoothing: 0.1 });
    expect(record.trainLoss).toBeCloseTo(smoothedLoss, 12);
    expect(record.testLoss).toBeCloseTo((3 * RIGHT + 2 * WRONG) / 5, 12);
  });
});

describe('training with augmentation, a real step and a learning rate of 0', () => {
  it('augments every training batch and never the test set: flip turns some of 40 images (1, 0) into (0, 1)', async () => {
    // Every image is (1, 0) of class 0: unflipped it costs ln(4/3) and is right, flipped to (0, 1) it costs ln 4
    // and is wrong. With k of the 40 flipped, the epoch's loss is (k ln 4 + (40 − k) ln(4/3)) / 40 and its
    // accuracy (40 − k) / 40; flip draws each image's coin, so 0 < k < 40 (all or none: odds 2 · 2⁻⁴⁰).
    const forty: ImageSet = { count: 40, height: 1, width: 2, images: Uint8Array.from({ length: 80 }, (_, k) => (k % 2 === 0 ? 255 : 0)), labels: new Uint8Array(40) };
    const network = tinyNetwork();
    const state = createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0 }), new Random(6));
    const [record] = await train(state, { epochs: 1, batchSize: 8, train: forty, test: forty, augment: [{ kind: 'flip' }] });
    const flipped = Math.round(40 - 40 * record.trainAccuracy);
    expect(flipped).toBeGreaterThan(0);
    expect(flipped).toBeLessThan(40);
    expect(record.trainLoss).toBeCloseTo((flipped * WRONG + (40 - flipped) * RIGHT) / 40, 12);
    expect(record.testLoss).toBeCloseTo(RIGHT, 12);
    expect(record.testAccuracy).toBe(1);
  });
});

describe('a run stopped and continued', () => {
  /** A run of 3 epochs over FIVE in batches of 2 (3 steps an epoch) with Adam at lr 0.1, so the weights move. */
  const options = { epochs: 3, batchSize: 2, train: FIVE, test: FIVE };
  function fresh(): TrainingState {
    const network = tinyNetwork();
    return createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.1 }), new Random(8));
  }
  const bytes = (state: TrainingState) => Buffer.from(Float64Array.from(state.network.params).buffer);
  const withoutSeconds = (history: EpochRecord[]) => history.map(({ seconds: _, ...rest }) => rest);

  for (const stopAfter of [1, 3, 4, 8]) {
    for (const fromCheckpoint of [false, true]) {
      it(`ends where an uninterrupted run does, stopped after step ${stopAfter}${fromCheckpoint ? ' and continued as from a checkpoint (the order redrawn)' : ''}`, async () => {
        const uninterrupted = fresh();
        await train(uninterrupted, options);
        const state = fresh();
        const controller = new AbortController();
        await train(state, { ...options, signal: controller.signal, onStep: (s) => void (s.optimizer.step === stopAfter && controller.abort()) });
        expect(state.optimizer.step).toBe(stopAfter);
        expect(state.position).toBe([0, 2, 4][stopAfter % 3]); // images of the current epoch done
        if (fromCheckpoint) {
          // A checkpoint keeps the generator's state and the epoch's, not the order: it is drawn again.
          state.order = null;
          state.random = Random.fromState(state.random.state());
        }
        await train(state, options);
        expect(bytes(state).equals(bytes(uninterrupted))).toBe(true);
        expect(withoutSeconds(state.history)).toEqual(withoutSeconds(uninterrupted.history));
        expect(state.random.state()).toEqual(uninterrupted.random.state());
        // The comparison means something: the weights moved, and each epoch's loss differs.
        expect(bytes(uninterrupted).equals(bytes(fresh()))).toBe(false);
        expect(new Set(uninterrupted.history.map((r) => r.trainLoss)).size).toBe(3);
      });
    }
  }
});

describe('one training step (SerialStep)', () => {
  const batchOf = (pixels: number[], labels: number[]): LoadedBatch => ({
    size: labels.length,
    input: Float64Array.from(pixels),
    labels: Int32Array.from(labels),
  });

  it('returns the batch\'s loss and correct count before the update, then takes Adam\'s first step: lr · sign(gradient)', () => {
    // One image (1, 0) of class 0: p = (3/4, 1/4), loss ln(4/3), right. ∂L/∂z = p − y = (−1/4, 1/4), so
    // ∂L/∂W = (p − y) xᵀ = [[−1/4, 0], [1/4, 0]] and ∂L/∂b = (−1/4, 1/4). Adam's first step moves each
    // parameter by −lr · g / (|g| + ε): −lr · sign(g) where g ≠ 0, nothing where g = 0.
    const network = tinyNetwork();
    const optimizer = new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.1 });
    const result = new SerialStep(network, optimizer).run(batchOf([1, 0], [0]));
    expect(result.loss).toBeCloseTo(RIGHT, 12);
    expect(result.correct).toBe(1);
    expect(optimizer.step).toBe(1);
    const ln3 = Math.log(3);
    const moved = [ln3 + 0.1, 0, -0.1, ln3, 0.1, -0.1]; // W row by row, then b
    Array.from(network.params).forEach((value, k) => expect(value, `parameter ${k}`).toBeCloseTo(moved[k], 6));
  });

  it('counts the right predictions of a batch of several, and reports the batch\'s mean loss', () => {
    const network = tinyNetwork();
    const result = new SerialStep(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0 })).run(batchOf([1, 0, 0, 1, 1, 0], [0, 0, 0]));
    expect(result.correct).toBe(2); // (1,0) → 0 right, (0,1) → 1 wrong, (1,0) → 0 right
    expect(result.loss).toBeCloseTo((2 * RIGHT + WRONG) / 3, 12);
  });

  it('gives each label smoothing its own loss head on one network: 0, 0.1, 0.2, then 0 again', () => {
    // One image (1, 0) of class 0, p = (3/4, 1/4). With ε over 2 classes the target is (1 − ε/2, ε/2): the loss
    // is (1 − ε/2) ln(4/3) + (ε/2) ln 4.
    const network = tinyNetwork();
    const optimizer = new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0 });
    for (const smoothing of [0, 0.1, 0.2, 0]) {
      const { loss } = new SerialStep(network, optimizer, 0, smoothing).run(batchOf([1, 0], [0]));
      expect(loss, `ε = ${smoothing}`).toBeCloseTo((1 - smoothing / 2) * RIGHT + (smoothing / 2) * WRONG, 12);
    }
  });

  it('leaves the weights and the step count alone when the loss is not finite', () => {
    const network = tinyNetwork();
    network.parameter('fc1.bias').value[0] = Infinity; // logits (∞, …): the loss is NaN
    const before = Float64Array.from(network.params);
    const optimizer = new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.1 });
    const result = new SerialStep(network, optimizer).run(batchOf([1, 0], [1]));
    expect(Number.isFinite(result.loss)).toBe(false);
    expect(optimizer.step).toBe(0);
    expect(Array.from(network.params)).toEqual(Array.from(before));
    expect(Array.from(optimizer.m)).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('draws dropout\'s masks for step k from (seed, k), k counting from 1', () => {
    // flatten → dropout(0.5) → linear(2) on 8 images of 6 distinct values; learning rate 0 so only the masks
    // change between steps.
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'flatten dropout(0.5) linear(2)', { channels: 1, height: 1, width: 6, classes: 2 });
    network.parameter('fc1.weight').value.set([0.3, -0.2, 0.5, 0.1, -0.4, 0.25, -0.15, 0.35, -0.05, 0.45, 0.2, -0.3]);
    const pixels = Array.from({ length: 48 }, (_, k) => ((k * 37) % 48) / 47);
    const labels = [0, 1, 0, 1, 1, 1, 0, 0];
    const lossAt = (step: number) => {
      // The network's own training pass for that step, and softmax cross-entropy by hand.
      const logits = network.forward(Float64Array.from(pixels), 8, trainingPass(77, step));
      return labels.reduce((sum, label, n) => sum + Math.log(Math.exp(logits[2 * n]) + Math.exp(logits[2 * n + 1])) - logits[2 * n + label], 0) / 8;
    };
    const expected = [1, 2, 3].map(lossAt);
    expect(new Set([lossAt(0), ...expected].map((l) => l.toFixed(12))).size).toBe(4); // the masks do differ by step
    const step = new SerialStep(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0 }), 77);
    const losses = [1, 2, 3].map(() => step.run(batchOf(pixels, labels)).loss);
    losses.forEach((loss, k) => expect(loss, `step ${k + 1}`).toBeCloseTo(expected[k], 12));
  });
});

describe('the time it reports', () => {
  /** A step that takes `ms` milliseconds of CPU (a stand-in for a real step's work). */
  class SlowStep implements TrainStep {
    constructor(
      private readonly optimizer: Adam,
      private readonly ms: number,
    ) {}
    run(): StepResult {
      const until = performance.now() + this.ms;
      while (performance.now() < until);
      this.optimizer.step += 1;
      return { loss: 1, correct: 1 };
    }
  }

  it('counts the epoch\'s training time (at least the steps\' own, at most the wall time) and its images a second', async () => {
    const network = tinyNetwork();
    const optimizer = new Adam(network);
    const state = createTrainingState(network, optimizer, new Random(1));
    const progress: Progress[] = [];
    const before = performance.now();
    const [record] = await train(state, { epochs: 1, batchSize: 1, train: numberedSet(3), test: FIVE, compute: { step: new SlowStep(optimizer, 20), predictor: serialPredictor(network) }, onProgress: (p) => progress.push(p) });
    const wall = (performance.now() - before) / 1000;
    expect(record.seconds).toBeGreaterThanOrEqual(0.06);
    expect(record.seconds).toBeLessThanOrEqual(wall);
    // images a second since the run (or its last pause) began: at least the images over the whole wall time
    for (const p of progress) expect(p.imagesPerSecond).toBeGreaterThanOrEqual(p.done / wall);
  });

  it('lets timers run between steps that take long (so Ctrl-C is heard), and counts the time across those pauses', async () => {
    const network = tinyNetwork();
    const optimizer = new Adam(network);
    const state = createTrainingState(network, optimizer, new Random(1));
    let stepsBeforeTimer = -1;
    setTimeout(() => (stepsBeforeTimer = optimizer.step), 0);
    const before = performance.now();
    const progress: Progress[] = [];
    const [record] = await train(state, { epochs: 1, batchSize: 1, train: numberedSet(3), test: FIVE, compute: { step: new SlowStep(optimizer, 120), predictor: serialPredictor(network) }, onProgress: (p) => progress.push(p) });
    const wall = (performance.now() - before) / 1000;
    // Each step takes over 100 ms, so the loop pauses after each (quickTurn). The timer runs at the first pause when the
    // event loop reaches its timers before the pause's message, else at the second: a whole turn of the loop (timers,
    // I/O, signals) always lies between two pauses.
    expect([1, 2]).toContain(stepsBeforeTimer);
    expect(record.seconds).toBeGreaterThanOrEqual(0.36);
    expect(record.seconds).toBeLessThanOrEqual(wall);
    for (const p of progress) expect(p.imagesPerSecond).toBeGreaterThan(0);
  });

  it('keeps the time of an epoch stopped part way, for the checkpoint', async () => {
    const network = tinyNetwork();
    const optimizer = new Adam(network);
    const state = createTrainingState(network, optimizer, new Random(1));
    const controller = new AbortController();
    const before = performance.now();
    await train(state, { epochs: 1, batchSize: 1, train: numberedSet(3), test: FIVE, signal: controller.signal, onStep: () => controller.abort(), compute: { step: new SlowStep(optimizer, 20), predictor: serialPredictor(network) } });
    const wall = (performance.now() - before) / 1000;
    expect(state.position).toBe(1);
    expect(state.seconds).toBeGreaterThanOrEqual(0.02);
    expect(state.seconds).toBeLessThanOrEqual(wall);
  });
});
