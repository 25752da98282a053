/**
 * Checkpoints as bytes (browser-safe; the files are checkpoint.ts's): everything a training run needs to continue exactly where it stopped, in one
 * safetensors file written atomically (so a crash at any instant leaves the last good one whole):
 *
 *   tensors   the network's tensors (as in a model file); the optimiser's state arrays by name (`adam.m`
 *             and `adam.v`, or `sgd.momentum`) [parameter count]; with a validation set, the best epoch's
 *             weights `best.params` [parameter count] and `best.buffers` [buffer count]
 *   metadata  format "xcnn-checkpoint", the model-file entries (geometry, dataset, class_names),
 *             settings (JSON TrainSettings), progress (JSON: epoch, step, position, the generator's state
 *             now and at the current epoch's start, the epoch's running sums, the best epoch), history (JSON)
 *
 * A run resumed from a checkpoint redraws the current epoch's order from the saved generator state and
 * ends with weights bit-for-bit identical to an uninterrupted run. Everything read back is checked first
 * (checkpoint-checks.ts): a damaged checkpoint is one line naming it and the field.
 */
import type { Backend } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from '../files/safetensors.js';
import { infoMetadata, networkFromFile, networkTensors, readInfo, type ModelInfo } from '../model/model-file.js';
import { Random, type RandomState } from '../random.js';
import { Adam, ADAM_DEFAULTS } from './adam.js';
import { ClippedOptimizer } from './gradient-clipping.js';
import type { OptimizerSettings } from './optimizer.js';
import { Sgd } from './sgd.js';
import { checkHistory, checkOptimizerState, checkProgress, checkProgressFitsData, checkSettings, fieldError } from './checkpoint-checks.js';
import { createOptimizer } from './recipe.js';
import type { TrainSettings } from './settings.js';
import { createTrainingState, type EpochRecord, type TrainingState } from './trainer.js';
import { checkBackend, checkBytes, checkFields, checkModelInfo, checkTrainingState, checkTrainSettings } from '../argument-checks.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

/** Where the run stands: enough, with the settings, tensors and history, to continue it bit for bit. */
export interface CheckpointProgress {
  epoch: number;
  step: number;
  position: number;
  randomState: RandomState;
  epochRandomState: RandomState | null;
  lossSum: number;
  correct: number;
  seconds: number;
  bestEpoch: number | null; // the epoch whose weights are `best.params` and `best.buffers` (null: no validation set yet)
}

/** The checkpoint of a run: its state (network, optimiser, generator, position), its settings and the model's info. */
export function encodeCheckpoint(state: TrainingState, settings: TrainSettings, info: ModelInfo): Uint8Array {
  checkTrainingState('encodeCheckpoint', 'state', state);
  checkTrainSettings('encodeCheckpoint', 'settings', settings);
  checkModelInfo('encodeCheckpoint', 'info', info);
  const { network, optimizer } = state;
  const progress: CheckpointProgress = {
    epoch: state.epoch,
    step: optimizer.step,
    position: state.position,
    randomState: state.random.state(),
    epochRandomState: state.epochRandomState,
    lossSum: state.lossSum,
    correct: state.correct,
    seconds: state.seconds,
    bestEpoch: state.best?.epoch ?? null,
  };
  const flat = (name: string, data: ArrayLike<number>) => ({ name, shape: [data.length], data: Float32Array.from(data) });
  const tensors = [
    ...networkTensors(network),
    ...optimizer.stateArrays.map(({ name, data }) => flat(name, data)),
    ...(state.best === null ? [] : [flat('best.params', state.best.params), flat('best.buffers', state.best.buffers)]),
  ];
  return encodeSafetensors(tensors, {
    ...infoMetadata({ ...info, training: undefined, metrics: undefined }, network),
    format: 'xcnn-checkpoint',
    settings: JSON.stringify(settings),
    progress: JSON.stringify(progress),
    history: JSON.stringify(state.history),
  });
}

export interface LoadedCheckpoint {
  state: TrainingState;
  settings: TrainSettings;
  info: ModelInfo;
}

/** A checkpoint decoded and checked, before a backend is chosen for it. */
export interface CheckpointFile {
  source: string; // names the checkpoint in errors (its path, for a file)
  file: SafetensorsFile;
  settings: TrainSettings;
  progress: CheckpointProgress;
  history: EpochRecord[];
}

/**
 * Decodes a checkpoint's bytes and checks its settings, progress and history (checkpoint-checks.ts; the
 * tensors are checked as they are restored); `source` names them in errors.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = 'checkpoint'): CheckpointFile {
  checkBytes('decodeCheckpoint', 'bytes', bytes);
  const file = decodeSafetensors(bytes, source);
  const fail = fieldError(source);
  if (file.metadata.format !== 'xcnn-checkpoint') throw fail('its format', `is ${JSON.stringify(file.metadata.format ?? null)}, not "xcnn-checkpoint"`);
  const json = (key: string): unknown => {
    if (file.metadata[key] === undefined) throw fail(`metadata '${key}'`, 'is missing');
    try {
      return JSON.parse(file.metadata[key]);
    } catch {
      throw fail(`metadata '${key}'`, 'is not JSON');
    }
  };
  const settings = checkSettings(json('settings'), file.metadata.arch, fail);
  const progress = checkProgress(json('progress'), settings, fail);
  const history = checkHistory(json('history'), progress.epoch, fail, settings.learningRate);
  return { source, file, settings, progress, history };
}

/**
 * Once the training images are read (`trainCount` of them, after any limit): the checkpoint's place in its
 * epoch lies within them, on a batch boundary, and its step is the batches its epochs and position make.
 */
export function checkCheckpointFitsData(checkpoint: CheckpointFile, trainCount: number): void {
  checkProgressFitsData(checkpoint.progress, checkpoint.settings, trainCount, fieldError(checkpoint.source));
}

/** Rebuilds the network, the optimiser and the run's state from a checkpoint, on `backend`. */
export function restoreCheckpoint(checkpoint: CheckpointFile, backend: Backend): LoadedCheckpoint {
  checkFields('restoreCheckpoint', 'checkpoint', checkpoint, 'source, file, settings and progress, as decodeCheckpoint gives it', { source: 'string', file: 'object', settings: 'object', progress: 'object', history: 'array' });
  checkBackend('restoreCheckpoint', 'backend', backend);
  const { source, file, settings, progress, history } = checkpoint;
  const fail = fieldError(source);
  const others = [...file.tensors.keys()].filter((name) => /^(adam|sgd|best)\./.test(name));
  const network = networkFromFile(file, source, backend, others);
  const info = readInfo(file, source, network);
  const optimizer = createOptimizer(network, settings);
  const expected = new Set([...optimizer.stateArrays.map((a) => a.name), ...(progress.bestEpoch === null ? [] : ['best.params', 'best.buffers'])]);
  const stray = others.find((name) => !expected.has(name));
  if (stray !== undefined) throw fail(`tensor '${stray}'`, `is not the state of this run (its optimiser keeps ${optimizer.stateArrays.map((a) => a.name).join(', ')}${progress.bestEpoch === null ? ' and it has no best epoch' : ''})`);
  for (const { name, data } of optimizer.stateArrays) data.set(checkOptimizerState(file.tensors.get(name), name, data.length, fail));
  optimizer.step = progress.step;
  const best =
    progress.bestEpoch === null
      ? null
      : {
          epoch: progress.bestEpoch,
          params: Float32Array.from(checkOptimizerState(file.tensors.get('best.params'), 'best.params', network.params.length, fail)),
          buffers: Float32Array.from(checkOptimizerState(file.tensors.get('best.buffers'), 'best.buffers', network.buffers.length, fail)),
        };

  const state = createTrainingState(network, optimizer, Random.fromState(progress.randomState), settings.seed);
  Object.assign(state, {
    epoch: progress.epoch,
    position: progress.position,
    epochRandomState: progress.epochRandomState,
    lossSum: progress.lossSum,
    correct: progress.correct,
    seconds: progress.seconds,
    history,
    best,
  });
  return { state, settings: { ...settings }, info };
}

/**
 * The settings a checkpoint records, for a run driven from code: the network's spec and backend, the
 * optimiser's Adam settings and the state's seed, with the epochs and batch size it trains with. The
 * file-system fields (`data`, `limit`, `testLimit`) are null and it runs on one thread.
 */
export function checkpointSettings(state: TrainingState, run: { epochs: number; batchSize: number }): TrainSettings {
  checkTrainingState('checkpointSettings', 'state', state);
  checkFields('checkpointSettings', 'run', run, 'epochs and batchSize', { epochs: 'number', batchSize: 'number' });
  const { network } = state;
  if (network.spec === null) throw new XcnnError('checkpointSettings: the network was not built from a spec (createNetwork or createPaperNetwork), so a checkpoint could not rebuild it', { code: 'ERR_BAD_ARGUMENT' });
  const inner = state.optimizer instanceof ClippedOptimizer ? state.optimizer.inner : state.optimizer;
  const { learningRate, beta1, beta2, epsilon } = inner instanceof Adam ? inner.settings : inner instanceof Sgd ? { ...ADAM_DEFAULTS, learningRate: inner.settings.learningRate } : { ...ADAM_DEFAULTS, learningRate: inner.learningRate };
  const optimizer: OptimizerSettings | undefined =
    inner instanceof Sgd ? { name: 'sgd', weightDecay: inner.settings.weightDecay, momentum: inner.settings.momentum, nesterov: inner.settings.nesterov }
    : inner instanceof Adam && (inner.name !== 'adam' || inner.weightDecay !== 0) ? { name: inner.name, weightDecay: inner.weightDecay, momentum: 0, nesterov: false }
    : undefined;
  return {
    epochs: run.epochs, batchSize: run.batchSize, learningRate, beta1, beta2, epsilon, seed: state.seed,
    arch: network.spec, data: null, limit: null, testLimit: null, backend: network.backend.name, threads: 1, checkpointEvery: null,
    ...(optimizer === undefined ? {} : { optimizer }),
    ...(state.optimizer instanceof ClippedOptimizer ? { clipNorm: state.optimizer.maxNorm } : {}),
  };
}
