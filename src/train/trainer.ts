/**
 * The training loop: minibatch Adam on softmax cross-entropy, as the paper trains (batch 64, 20 epochs),
 * or any optimiser (optimizer.ts) under a learning-rate schedule (schedule.ts). It knows nothing of layer
 * internals: it asks the network for a forward and a backward pass and the optimiser for an update.
 *
 * Each epoch visits the training set in a fresh order drawn from the seeded generator (the last batch may
 * be smaller), then evaluates on the validation set (when there is one) and the test set. With a
 * validation set it keeps the best epoch's weights (by the monitored quantity, early-stopping.ts); with a
 * patience it stops once that many epochs pass without improvement (Keras' EarlyStopping with
 * restore_best_weights) and ends with the best epoch's weights. All the state a run needs to continue is in
 * `TrainingState`, so a run can be resumed at any step and end bit-for-bit as if never stopped.
 */
import { checkObject, checkOptimizer, checkRandom, checkTrainable, checkTrainingState } from '../argument-checks.js';
import type { Floats } from '../backend/backend.js';
import { checkImageSet, type ImageSet } from '../data/dataset.js';
import { BatchLoader } from '../data/batch.js';
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import { Random, type RandomState } from '../random.js';
import { predict, type BatchPredictor, type Predictions } from '../eval/predict.js';
import { quickTurn } from '../steps.js';
import { augmentBatch, type Augmentation } from './augment.js';
import { improves, type Monitor } from './early-stopping.js';
import type { Optimizer } from './optimizer.js';
import { scheduledRate, type ScheduleSettings } from './schedule.js';
import { SerialStep, type TrainStep } from './step.js';

export interface EpochRecord {
  epoch: number; // 1-based
  trainLoss: number; // mean over the epoch's batches, weighted by batch size
  trainAccuracy: number; // running accuracy over the epoch (the weights change as it goes)
  testLoss: number;
  testAccuracy: number;
  valLoss?: number; // with a validation set: after the epoch
  valAccuracy?: number;
  learningRate: number; // the rate of the epoch's last update
  seconds: number; // training time of the epoch, evaluation excluded
}

export interface Progress {
  epoch: number; // 1-based
  epochs: number;
  done: number; // images seen this epoch
  total: number; // images in an epoch
  step: number; // optimiser steps so far, over the whole run
  loss: number; // running mean loss this epoch
  accuracy: number; // running accuracy this epoch
  imagesPerSecond: number;
}

/** Everything that changes during a run; with the settings, enough to continue it exactly. */
export interface TrainingState {
  network: Network;
  optimizer: Optimizer;
  random: Random;
  seed: number; // the run's seed: dropout's masks are drawn from it (dropout.ts)
  epoch: number; // epochs completed
  epochRandomState: RandomState | null; // the generator's state when the current epoch's order was drawn; null between epochs
  order: Int32Array | null; // the current epoch's visiting order (derived from epochRandomState)
  position: number; // images of the current epoch already trained on (0 between epochs)
  lossSum: number; // Σ batch loss × batch size so far this epoch
  correct: number; // correct predictions so far this epoch
  seconds: number; // training seconds so far this epoch
  history: EpochRecord[];
  /** With a validation set: the best epoch so far by the monitored quantity, and a copy of its weights. */
  best: BestEpoch | null;
  /** The test set's predictions after the last epoch this process trained (not saved in checkpoints). */
  lastTest?: Predictions;
}

/** The best epoch's weights: the parameter and buffer arenas (batch norm's running statistics) copied after it. */
export interface BestEpoch {
  epoch: number; // 1-based
  params: Floats; // of the network's own precision (a copy outside the backend's memory)
  buffers: Floats;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  train: ImageSet;
  test: ImageSet;
  /** Evaluated after every epoch, for the best epoch's weights and early stopping (not trained on). */
  validation?: ImageSet;
  /** Stop once this many epochs pass without the monitored quantity improving, and end with the best epoch's weights; needs `validation`. */
  patience?: number;
  /** What "best" means: the lowest validation loss (default) or the highest validation accuracy. */
  monitor?: Monitor;
  /** Augmentations of every training batch (augment.ts), drawn per image from (the state's seed, epoch, image); default none. */
  augment?: readonly Augmentation[];
  /** torch's CrossEntropyLoss(label_smoothing) for the training loss, in the default step (loss.ts); default 0. */
  labelSmoothing?: number;
  /** The learning rate of every update: the schedule from the base rate (default: the optimiser's rate, untouched). */
  schedule?: { settings: ScheduleSettings; learningRate: number };
  onProgress?: (progress: Progress) => void;
  onEpoch?: (record: EpochRecord, state: TrainingState) => void | Promise<void>;
  /** Called after every optimiser step; may write a checkpoint. */
  onStep?: (state: TrainingState) => void | Promise<void>;
  /** Stops the run between two steps; the state stays consistent and resumable. */
  signal?: AbortSignal;
  /** How steps and evaluations run (default: on this thread, with the network's own kernels). */
  compute?: { step: TrainStep; predictor: BatchPredictor };
}

export function createTrainingState(network: Network, optimizer: Optimizer, random: Random, seed = 0): TrainingState {
  checkTrainable('createTrainingState', 'network', network);
  checkOptimizer('createTrainingState', 'optimizer', optimizer);
  checkRandom('createTrainingState', 'random', random);
  return { network, optimizer, random, seed, epoch: 0, epochRandomState: null, order: null, position: 0, lossSum: 0, correct: 0, seconds: 0, history: [], best: null };
}

/** True once `patience` epochs have passed since the best one (never without a patience or a best epoch). */
export function stoppedEarly(state: TrainingState, patience: number | undefined): boolean {
  return patience !== undefined && state.best !== null && state.epoch - state.best.epoch >= patience;
}

/** Puts the best epoch's weights back into the network. */
export function restoreBest(state: TrainingState): void {
  if (state.best === null) return;
  state.network.params.set(state.best.params);
  state.network.buffers.set(state.best.buffers);
}

/** The order an epoch visits `count` images in: a shuffle drawn from `random` (which it advances). */
export function epochOrder(count: number, random: Random): Int32Array {
  const order = Int32Array.from({ length: count }, (_, k) => k);
  random.shuffle(order);
  return order;
}

/**
 * Refuses, before any step, settings a run cannot mean: a fractional or non-positive epoch count or batch
 * size, an empty training or test set, images that are not the network's input, labels beyond its classes.
 */
export function checkTrainOptions(network: Network, options: TrainOptions): void {
  const whole = (name: string, value: unknown) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) throw new XcnnError(`train: ${name} ${String(value)} is not a whole number ≥ 1`, { code: 'ERR_BAD_ARGUMENT' });
  };
  whole('epochs', options.epochs);
  whole('batchSize', options.batchSize);
  if (options.patience !== undefined) {
    whole('patience', options.patience);
    if (options.validation === undefined) throw new XcnnError('train: patience needs a validation set to watch; give validation (e.g. from --val-split)', { code: 'ERR_BAD_ARGUMENT' });
  }
  if (options.monitor !== undefined && options.monitor !== 'val-loss' && options.monitor !== 'val-accuracy') {
    throw new XcnnError(`train: monitor ${String(options.monitor)} is not val-loss or val-accuracy`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const classes = network.outputShape[0];
  const sets = [['train', options.train], ['test', options.test], ...(options.validation === undefined ? [] : [['validation', options.validation]])] as const;
  for (const [name, set] of sets) {
    if (set === null || typeof set !== 'object') throw new XcnnError(`train: the ${name} set is missing; give an image set (such as loadDataset().${name})`, { code: 'ERR_BAD_ARGUMENT' });
    checkImageSet(set, network.inputShape, `train: the ${name} set`);
    if (set.count === 0) throw new XcnnError(`train: the ${name} set is empty; give at least one labelled image`, { code: 'ERR_BAD_DATA' });
    const bad = set.labels.findIndex((label) => label >= classes);
    if (bad >= 0) throw new XcnnError(`train: the ${name} set's label ${set.labels[bad]} (image ${bad}) is outside the network's ${classes} classes (0 to ${classes - 1})`, { code: 'ERR_BAD_DATA' });
  }
}

/** The smallest batch the epoch's validation and test passes run in: below it, a pass's fixed costs per batch show. */
export const MIN_EVALUATION_BATCH = 64;

/**
 * The batch of the epoch's validation and test passes: the training batch, as Keras' validation_batch_size
 * defaults to batch_size, but at least MIN_EVALUATION_BATCH. A larger evaluation batch would grow every layer's
 * buffers past what training needs (BatchBuffer: the backend's capacity is the largest batch seen) — on the
 * paper recipe's two threads, batches of 256 held 73 MB more WebAssembly memory than training's 64. The
 * predictions do not depend on it (each image's forward pass is its own); the mean loss, summed batch by batch,
 * only in its last bits.
 */
export function evaluationBatchSize(trainingBatch: number): number {
  return Math.max(trainingBatch, MIN_EVALUATION_BATCH);
}

/** Trains from `state` until `epochs` epochs are complete (or the signal aborts); returns the history. */
export async function train(state: TrainingState, options: TrainOptions): Promise<EpochRecord[]> {
  checkTrainingState('train', 'state', state);
  checkObject('train', 'options', options, 'the sets, the settings and the callbacks');
  const { network, optimizer } = state;
  checkTrainOptions(network, options);
  const { train: trainSet, batchSize, epochs } = options;
  const loader = BatchLoader.inWorkspace(network.workspace, 'train', trainSet);
  const step = options.compute?.step ?? new SerialStep(network, optimizer, state.seed, options.labelSmoothing ?? 0);
  const predictor = options.compute?.predictor ?? network;
  let lastYield = performance.now();
  const updatesPerEpoch = Math.ceil(trainSet.count / batchSize);
  const evaluationBatch = evaluationBatchSize(batchSize);

  while (state.epoch < epochs && !stoppedEarly(state, options.patience)) {
    if (state.epochRandomState === null) {
      // A new epoch: draw its order, remembering the generator's state so a checkpoint can redraw it.
      state.epochRandomState = state.random.state();
      state.order = epochOrder(trainSet.count, state.random);
      state.lossSum = 0;
      state.correct = 0;
      state.seconds = 0;
    } else if (state.order === null) {
      // Resumed mid-epoch: redraw the order from the saved state (state.random is already past it).
      state.order = epochOrder(trainSet.count, Random.fromState(state.epochRandomState!));
    }
    let started = performance.now();
    let imagesThisRun = 0;
    while (state.position < trainSet.count) {
      if (options.signal?.aborted) {
        state.seconds += (performance.now() - started) / 1000; // the checkpoint keeps the epoch's time so far
        return state.history;
      }
      const indices = state.order.subarray(state.position, Math.min(state.position + batchSize, trainSet.count));
      const batch = loader.load(indices);
      if (options.augment !== undefined && options.augment.length > 0) augmentBatch(batch.input, indices, network.inputShape, options.augment, state.seed, state.epoch);
      if (options.schedule !== undefined) {
        const point = { update: optimizer.step, epoch: state.epoch, epochs, updatesPerEpoch };
        optimizer.learningRate = scheduledRate(options.schedule.learningRate, options.schedule.settings, point);
      }
      const { loss, correct } = step.run(batch);
      if (!Number.isFinite(loss)) {
        throw new XcnnError(
          `training diverged: the loss became ${loss} at step ${optimizer.step + 1} (epoch ${state.epoch + 1}); ` +
            'the weights were not updated with it and no model was written from it — try a smaller --lr',
          { code: 'ERR_DIVERGED' },
        );
      }
      state.correct += correct;
      state.position += batch.size;
      state.lossSum += loss * batch.size;
      imagesThisRun += batch.size;

      const now = performance.now();
      options.onProgress?.({
        epoch: state.epoch + 1,
        epochs,
        done: state.position,
        total: trainSet.count,
        step: optimizer.step,
        loss: state.lossSum / state.position,
        accuracy: state.correct / state.position,
        imagesPerSecond: imagesThisRun / ((now - started) / 1000),
      });
      await options.onStep?.(state);
      if (now - lastYield > 100) {
        // Let signal handlers (Ctrl-C) and timers run between steps.
        state.seconds += (performance.now() - started) / 1000;
        await quickTurn();
        started = performance.now();
        imagesThisRun = 0;
        lastYield = started;
      }
    }
    state.seconds += (performance.now() - started) / 1000;

    const validation = options.validation === undefined ? null : predict(predictor, options.validation, evaluationBatch);
    const test = predict(predictor, options.test, evaluationBatch);
    state.lastTest = test;
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      trainLoss: state.lossSum / trainSet.count,
      trainAccuracy: state.correct / trainSet.count,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      ...(validation === null ? {} : { valLoss: validation.loss, valAccuracy: validation.accuracy }),
      learningRate: optimizer.learningRate,
      seconds: state.seconds,
    };
    state.history.push(record);
    state.epoch += 1;
    if (validation !== null && improves(record, state.best === null ? null : state.history[state.best.epoch - 1], options.monitor ?? 'val-loss')) {
      state.best = { epoch: record.epoch, params: network.params.slice(), buffers: network.buffers.slice() };
    }
    state.epochRandomState = null;
    state.order = null;
    state.position = 0;
    await options.onEpoch?.(record, state);
  }
  if (options.patience !== undefined && state.best !== null && state.best.epoch !== state.epoch) {
    // Keras' restore_best_weights: the run ends with the best epoch's weights, whose test figures are in its record.
    restoreBest(state);
    state.lastTest = undefined;
  }
  return state.history;
}
