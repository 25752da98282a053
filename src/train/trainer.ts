/**
 * The training loop: minibatch Adam on softmax cross-entropy, as the paper trains (batch 64, 20 epochs).
 * It knows nothing of layer internals: it asks the network for a forward and a backward pass and the
 * optimiser for an update.
 *
 * Each epoch visits the training set in a fresh order drawn from the seeded generator (the last batch may
 * be smaller), then evaluates on the test set. All the state a run needs to continue is in
 * `TrainingState`, so a run can be resumed at any step and end bit-for-bit as if never stopped.
 */
import type { ImageSet } from '../data/dataset.js';
import { BatchLoader } from '../data/batch.js';
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import { Random, type RandomState } from '../random.js';
import { predict, type BatchPredictor, type Predictions } from '../eval/predict.js';
import type { Adam } from './adam.js';
import { SerialStep, type TrainStep } from './step.js';

export interface EpochRecord {
  epoch: number; // 1-based
  trainLoss: number; // mean over the epoch's batches, weighted by batch size
  trainAccuracy: number; // running accuracy over the epoch (the weights change as it goes)
  testLoss: number;
  testAccuracy: number;
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
  optimizer: Adam;
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
  /** The test set's predictions after the last epoch this process trained (not saved in checkpoints). */
  lastTest?: Predictions;
}

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  train: ImageSet;
  test: ImageSet;
  onProgress?: (progress: Progress) => void;
  onEpoch?: (record: EpochRecord, state: TrainingState) => void | Promise<void>;
  /** Called after every optimiser step; may write a checkpoint. */
  onStep?: (state: TrainingState) => void | Promise<void>;
  /** Stops the run between two steps; the state stays consistent and resumable. */
  signal?: AbortSignal;
  /** How steps and evaluations run (default: on this thread, with the network's own kernels). */
  compute?: { step: TrainStep; predictor: BatchPredictor };
}

export function createTrainingState(network: Network, optimizer: Adam, random: Random, seed = 0): TrainingState {
  return { network, optimizer, random, seed, epoch: 0, epochRandomState: null, order: null, position: 0, lossSum: 0, correct: 0, seconds: 0, history: [] };
}

/** The order an epoch visits `count` images in: a shuffle drawn from `random` (which it advances). */
export function epochOrder(count: number, random: Random): Int32Array {
  const order = Int32Array.from({ length: count }, (_, k) => k);
  random.shuffle(order);
  return order;
}

/** Trains from `state` until `epochs` epochs are complete (or the signal aborts); returns the history. */
export async function train(state: TrainingState, options: TrainOptions): Promise<EpochRecord[]> {
  const { network, optimizer } = state;
  const { train: trainSet, batchSize, epochs } = options;
  const loader = BatchLoader.inWorkspace(network.workspace, 'train', trainSet);
  const step = options.compute?.step ?? new SerialStep(network, optimizer, state.seed);
  const predictor = options.compute?.predictor ?? network;
  let lastYield = performance.now();

  while (state.epoch < epochs) {
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
      const batch = loader.load(state.order.subarray(state.position, Math.min(state.position + batchSize, trainSet.count)));
      const { loss, correct } = step.run(batch);
      if (!Number.isFinite(loss)) {
        throw new XcnnError(
          `training diverged: the loss became ${loss} at step ${optimizer.step + 1} (epoch ${state.epoch + 1}); ` +
            'the weights were not updated with it and no model was written from it — try a smaller --lr',
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
        await new Promise((resolve) => setTimeout(resolve, 0));
        started = performance.now();
        imagesThisRun = 0;
        lastYield = started;
      }
    }
    state.seconds += (performance.now() - started) / 1000;

    const test = predict(predictor, options.test);
    state.lastTest = test;
    const record: EpochRecord = {
      epoch: state.epoch + 1,
      trainLoss: state.lossSum / trainSet.count,
      trainAccuracy: state.correct / trainSet.count,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      seconds: state.seconds,
    };
    state.history.push(record);
    state.epoch += 1;
    state.epochRandomState = null;
    state.order = null;
    state.position = 0;
    await options.onEpoch?.(record, state);
  }
  return state.history;
}
