/**
 * The training loop with a validation set (src/train/trainer.ts, early-stopping.ts): each epoch's validation
 * loss and accuracy, worked out by hand on a network whose weights stay put; the best epoch chosen as Keras'
 * EarlyStopping chooses it (strictly better, ties keep the earlier); early stopping after `patience` epochs
 * without improvement, ending with the best epoch's weights; and a run with every recipe option stopped part
 * way, written to a checkpoint's bytes, read back and continued, ending bit for bit where an uninterrupted
 * run ends.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { serialPredictor, type BatchPredictor } from '../src/eval/predict.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam, ADAM_DEFAULTS } from '../src/train/adam.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint } from '../src/train/checkpoint-format.js';
import { improves } from '../src/train/early-stopping.js';
import { metricsCsv, modelFileHistory } from '../src/train/epoch-metrics.js';
import { createOptimizer, recipeOptions } from '../src/train/recipe.js';
import { CONSTANT_SCHEDULE } from '../src/train/schedule.js';
import { SerialStep } from '../src/train/step.js';
import type { TrainSettings } from '../src/train/settings.js';
import { createTrainingState, train, type EpochRecord, type TrainingState } from '../src/train/trainer.js';

/** `flatten linear(2)` on 1 × 2 images with W = ln 3 · I, b = 0: image (1, 0) gets p = (¾, ¼), image (0, 1) p = (¼, ¾). */
function tinyNetwork(): Network {
  const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'flatten linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
  network.parameter('fc1.weight').value.set([Math.log(3), 0, 0, Math.log(3)]);
  network.parameter('fc1.bias').value.fill(0);
  return network;
}

const set = (pixels: number[], labels: number[]): ImageSet => ({ count: labels.length, height: 1, width: 2, images: Uint8Array.from(pixels), labels: Uint8Array.from(labels) });
/** (1,0), (0,1), (1,0), (0,1), (1,0) labelled 0, 1, 1, 0, 0: right, right, wrong, wrong, right. */
const FIVE = set([255, 0, 0, 255, 255, 0, 0, 255, 255, 0], [0, 1, 1, 0, 0]);
/** (1,0), (0,1) labelled 0, 0: right, wrong. */
const TWO = set([255, 0, 0, 255], [0, 0]);
const RIGHT = Math.log(4 / 3);
const WRONG = Math.log(4);

const still = () => {
  const network = tinyNetwork();
  return createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0 }), new Random(3));
};

describe('the best epoch (Keras EarlyStopping, min_delta 0)', () => {
  it('by val-loss: strictly lower; by val-accuracy: strictly higher; a tie keeps the earlier; the first epoch is the best so far', () => {
    expect(improves({ valLoss: 0.5 }, null, 'val-loss')).toBe(true);
    expect(improves({ valLoss: 0.4 }, { valLoss: 0.5 }, 'val-loss')).toBe(true);
    expect(improves({ valLoss: 0.5 }, { valLoss: 0.5 }, 'val-loss')).toBe(false);
    expect(improves({ valAccuracy: 0.9 }, { valAccuracy: 0.8 }, 'val-accuracy')).toBe(true);
    expect(improves({ valAccuracy: 0.8 }, { valAccuracy: 0.8 }, 'val-accuracy')).toBe(false);
    expect(improves({ valLoss: 0.1, valAccuracy: 0.7 }, { valLoss: 0.5, valAccuracy: 0.8 }, 'val-accuracy')).toBe(false);
  });
});

describe('a validation set', () => {
  it('is evaluated after every epoch: its loss and accuracy by hand, the learning rate beside them', async () => {
    const history = await train(still(), { epochs: 2, batchSize: 2, train: FIVE, test: FIVE, validation: TWO });
    for (const record of history) {
      expect(record.valLoss).toBeCloseTo((RIGHT + WRONG) / 2, 12);
      expect(record.valAccuracy).toBe(0.5);
      expect(record.testLoss).toBeCloseTo((3 * RIGHT + 2 * WRONG) / 5, 12);
      expect(record.learningRate).toBe(0);
    }
  });

  it('without one there are no validation figures and no best epoch', async () => {
    const state = still();
    const history = await train(state, { epochs: 1, batchSize: 2, train: FIVE, test: FIVE });
    expect('valLoss' in history[0]).toBe(false);
    expect(state.best).toBeNull();
  });

  it('patience N stops N epochs after the best (unchanged weights: every epoch ties the first)', async () => {
    const state = still();
    const history = await train(state, { epochs: 10, batchSize: 2, train: FIVE, test: FIVE, validation: TWO, patience: 2 });
    expect(history.map((r) => r.epoch)).toEqual([1, 2, 3]);
    expect(state.best?.epoch).toBe(1);
  });

  it('patience ends the run with the best epoch\'s weights, which best tracks as the epochs go', async () => {
    // Validation labels opposite to the training labels: training makes the validation loss worse.
    const train4 = set([255, 0, 0, 255, 255, 0, 0, 255], [0, 1, 0, 1]);
    const opposite = set([255, 0, 0, 255], [1, 0]);
    const network = tinyNetwork();
    const state = createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.05 }), new Random(5));
    const weights: Float64Array[] = [];
    const history = await train(state, { epochs: 20, batchSize: 2, train: train4, test: train4, validation: opposite, patience: 3, onEpoch: (_, s) => void weights.push(Float64Array.from(s.network.params)) });
    const bestByHand = 1 + history.reduce((best, r, k) => (r.valLoss! < history[best].valLoss! ? k : best), 0);
    expect(bestByHand).toBe(1);
    expect(history).toHaveLength(bestByHand + 3);
    expect(Array.from(network.params)).toEqual(Array.from(weights[bestByHand - 1]));
    expect(Array.from(network.params)).not.toEqual(Array.from(weights[weights.length - 1]));
  });

  it('picks the best epoch by val-loss unless told val-accuracy (the two disagree here)', async () => {
    // The validation set TWO (labels 0, 0) gets scripted probabilities. Epoch 1: (0.9, 0.1) right and (0.01, 0.99)
    // wrong: loss (ln(1/0.9) + ln 100) / 2 ≈ 2.36, accuracy ½. Epoch 2: (0.45, 0.55) twice, both wrong: loss
    // ln(1/0.45) ≈ 0.80, accuracy 0. By loss epoch 2 is best; by accuracy epoch 1 stays best.
    const answers = [[0.9, 0.1, 0.01, 0.99], [0.45, 0.55, 0.45, 0.55]];
    const scripted = (network: Network): BatchPredictor => {
      const real = serialPredictor(network);
      let epoch = 0;
      return {
        ...real,
        predictBatch(batch) {
          if (batch.size !== TWO.count) return real.predictBatch(batch); // the test set, FIVE
          const probs = Float32Array.from(answers[epoch++]);
          return { probs, lossSum: -Math.log(probs[0]) - Math.log(probs[2]) };
        },
      };
    };
    for (const [monitor, best] of [[undefined, 2], ['val-loss', 2], ['val-accuracy', 1]] as const) {
      const state = still();
      const step = new SerialStep(state.network, state.optimizer);
      const history = await train(state, { epochs: 2, batchSize: 2, train: FIVE, test: FIVE, validation: TWO, compute: { step, predictor: scripted(state.network) }, ...(monitor === undefined ? {} : { monitor }) });
      expect(history.map((r) => r.valAccuracy)).toEqual([0.5, 0]);
      expect(history[0].valLoss).toBeCloseTo((Math.log(1 / 0.9) + Math.log(100)) / 2, 6);
      expect(history[1].valLoss).toBeCloseTo(Math.log(1 / 0.45), 6);
      expect(state.best?.epoch, String(monitor)).toBe(best);
    }
  });

  it('patience ends the run with the best epoch\'s running statistics too (batch norm\'s buffers)', async () => {
    const train4 = set([255, 0, 0, 255, 255, 0, 0, 255], [0, 1, 0, 1]);
    const opposite = set([255, 0, 0, 255], [1, 0]);
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'bn flatten linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
    network.initialize(new Random(2));
    const state = createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.05 }), new Random(5));
    const buffers: number[][] = [];
    const history = await train(state, { epochs: 20, batchSize: 2, train: train4, test: train4, validation: opposite, patience: 2, onEpoch: (_, s) => void buffers.push(Array.from(s.network.buffers)) });
    const bestByHand = 1 + history.reduce((best, r, k) => (r.valLoss! < history[best].valLoss! ? k : best), 0);
    expect(history).toHaveLength(bestByHand + 2);
    expect(Array.from(network.buffers)).toEqual(buffers[bestByHand - 1]);
    expect(Array.from(network.buffers)).not.toEqual(buffers[buffers.length - 1]); // the running statistics moved after the best epoch
  });

  it('without patience the run ends with the last epoch\'s weights and test predictions, though an earlier epoch was best', async () => {
    const train4 = set([255, 0, 0, 255, 255, 0, 0, 255], [0, 1, 0, 1]);
    const opposite = set([255, 0, 0, 255], [1, 0]); // training makes the validation loss worse: epoch 1 is best
    const network = tinyNetwork();
    const state = createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.05 }), new Random(5));
    const weights: number[][] = [];
    const history = await train(state, { epochs: 3, batchSize: 2, train: train4, test: train4, validation: opposite, onEpoch: (_, s) => void weights.push(Array.from(s.network.params)) });
    expect(history[1].valLoss!).toBeGreaterThan(history[0].valLoss!);
    expect(history[2].valLoss!).toBeGreaterThan(history[0].valLoss!);
    expect(state.best?.epoch).toBe(1);
    expect(Array.from(network.params)).toEqual(weights[2]);
    expect(state.lastTest?.loss).toBe(history[2].testLoss);
  });

  it('with patience, keeps the last epoch\'s test predictions when the last epoch is the best', async () => {
    const train4 = set([255, 0, 0, 255, 255, 0, 0, 255], [0, 1, 0, 1]);
    const network = tinyNetwork();
    const state = createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.05 }), new Random(5));
    const history = await train(state, { epochs: 3, batchSize: 2, train: train4, test: train4, validation: train4, patience: 2 });
    expect(history[1].valLoss!).toBeLessThan(history[0].valLoss!);
    expect(history[2].valLoss!).toBeLessThan(history[1].valLoss!);
    expect(state.best?.epoch).toBe(3);
    expect(state.lastTest?.loss).toBe(history[2].testLoss);
  });

  it('returns a complete run\'s history untouched when continued with patience and a validation set it never had', async () => {
    const state = still();
    const history = await train(state, { epochs: 1, batchSize: 2, train: FIVE, test: FIVE });
    const params = Array.from(state.network.params);
    const again = await train(state, { epochs: 1, batchSize: 2, train: FIVE, test: FIVE, validation: TWO, patience: 1 });
    expect(again).toBe(history);
    expect(again).toHaveLength(1);
    expect(state.best).toBeNull();
    expect(state.lastTest?.loss).toBe(history[0].testLoss);
    expect(Array.from(state.network.params)).toEqual(params);
  });

  it('refuses patience without a validation set, and an unknown monitor', async () => {
    await expect(train(still(), { epochs: 1, batchSize: 2, train: FIVE, test: FIVE, patience: 2 })).rejects.toThrow(/train: patience needs a validation set/);
    await expect(train(still(), { epochs: 1, batchSize: 2, train: FIVE, test: FIVE, validation: TWO, monitor: 'loss' as never })).rejects.toThrow(/train: monitor loss is not val-loss or val-accuracy/);
  });
});

describe('the records in files', () => {
  const records: EpochRecord[] = [
    { epoch: 1, trainLoss: 0.5, trainAccuracy: 0.75, testLoss: 0.25, testAccuracy: 0.875, valLoss: 0.3, valAccuracy: 0.8, learningRate: 0.001, seconds: 2 },
    { epoch: 2, trainLoss: 0.25, trainAccuracy: 0.9, testLoss: 0.125, testAccuracy: 0.9375, learningRate: 0.0005, seconds: 1.5 },
  ];
  it('metrics.csv: a header and a row per epoch, validation cells empty without a validation set', () => {
    expect(metricsCsv(records)).toBe(
      'epoch,train_loss,train_accuracy,val_loss,val_accuracy,test_loss,test_accuracy,learning_rate,seconds\n' + '1,0.5,0.75,0.3,0.8,0.25,0.875,0.001,2\n' + '2,0.25,0.9,,,0.125,0.9375,0.0005,1.5\n',
    );
  });

  it('a model file\'s history: the figures without the time or the learning rate, keys in the paper run\'s order', () => {
    expect(JSON.stringify(modelFileHistory(records.slice(1)))).toBe('[{"epoch":2,"trainLoss":0.25,"trainAccuracy":0.9,"testLoss":0.125,"testAccuracy":0.9375}]');
  });
});

describe('a run with every recipe option, stopped and continued from a checkpoint\'s bytes', () => {
  const geometry = { channels: 1, height: 4, width: 4, classes: 3 };
  const random = new Random(77);
  const images = (count: number): ImageSet => ({
    count,
    height: 4,
    width: 4,
    images: Uint8Array.from({ length: 16 * count }, () => Math.floor(random.next() * 256)),
    labels: Uint8Array.from({ length: count }, () => Math.floor(random.next() * 3)),
  });
  const data = { train: images(24), validation: images(8), test: images(8) };
  const settingsFor = (recipe: Partial<TrainSettings>): TrainSettings => ({
    ...ADAM_DEFAULTS, learningRate: 0.05, epochs: 5, batchSize: 5, seed: 9, arch: 'flatten linear(3)', data: null, limit: null, testLimit: null, backend: 'ts', threads: 1, checkpointEvery: null, ...recipe,
  });
  const RECIPES: Record<string, Partial<TrainSettings>> = {
    'sgd nesterov, weight decay, clipping, cosine with warm-up, label smoothing, patience on val-accuracy, every augmentation': {
      optimizer: { name: 'sgd', weightDecay: 0.01, momentum: 0.9, nesterov: true }, clipNorm: 0.5, schedule: { ...CONSTANT_SCHEDULE, name: 'cosine', warmup: 4 }, labelSmoothing: 0.1, patience: 2, monitor: 'val-accuracy',
      augment: 'shift(1),rotate(15),scale(0.1),crop(1),flip,erase(0.5)',
    },
    'adamw, one-cycle, patience on val-loss': { optimizer: { name: 'adamw', weightDecay: 0.1, momentum: 0, nesterov: false }, schedule: { ...CONSTANT_SCHEDULE, name: 'one-cycle' }, patience: 3 },
    'adam with L2 decay, step(2, 0.5)': { optimizer: { name: 'adam', weightDecay: 0.01, momentum: 0, nesterov: false }, schedule: { ...CONSTANT_SCHEDULE, name: 'step', stepSize: 2, gamma: 0.5 } },
  };
  const fresh = (settings: TrainSettings): TrainingState => {
    const network = createNetwork(new ReferenceBackend(), settings.arch, geometry);
    const r = new Random(settings.seed);
    network.initialize(r);
    return createTrainingState(network, createOptimizer(network, settings), r, settings.seed);
  };
  const optionsFor = (settings: TrainSettings) => ({ epochs: settings.epochs, batchSize: settings.batchSize, ...data, ...recipeOptions(settings) });
  const bytes = (state: TrainingState) => Buffer.from(Float32Array.from(state.network.params).buffer);
  const withoutSeconds = (history: EpochRecord[]) => history.map(({ seconds: _, ...rest }) => rest);

  for (const [name, recipe] of Object.entries(RECIPES)) {
    for (const stopAfter of [3, 11]) {
      it(`${name}: stopped after step ${stopAfter}, ends as the uninterrupted run`, async () => {
        const settings = settingsFor(recipe);
        const whole = fresh(settings);
        await train(whole, optionsFor(settings));
        const state = fresh(settings);
        const controller = new AbortController();
        await train(state, { ...optionsFor(settings), signal: controller.signal, onStep: (s) => void (s.optimizer.step === stopAfter && controller.abort()) });
        const info = { geometry, dataset: 'test', classNames: ['a', 'b', 'c'] };
        const resumed = restoreCheckpoint(decodeCheckpoint(encodeCheckpoint(state, settings, info)), new ReferenceBackend());
        expect(resumed.settings).toEqual(settings);
        expect(resumed.state.best?.epoch).toBe(state.best?.epoch);
        await train(resumed.state, optionsFor(resumed.settings));
        expect(bytes(resumed.state).equals(bytes(whole))).toBe(true);
        expect(withoutSeconds(resumed.state.history)).toEqual(withoutSeconds(whole.history));
        expect(resumed.state.best?.epoch).toBe(whole.best?.epoch);
        // The comparison means something: the weights moved, and the learning rate changed over the run.
        expect(bytes(whole).equals(bytes(fresh(settings)))).toBe(false);
        expect(new Set(whole.history.map((r) => r.learningRate)).size).toBeGreaterThan(1);
      });
    }
  }
});
