/**
 * Checkpoints: everything a training run needs to continue exactly where it stopped, in one
 * safetensors file written atomically (so a crash at any instant leaves the last good one whole):
 *
 *   tensors   the eight network tensors (as in a model file), `adam.m` and `adam.v` [parameter count]
 *   metadata  format "xcnn-checkpoint", the model-file entries (geometry, dataset, class_names),
 *             settings (JSON TrainSettings), progress (JSON: epoch, step, position, the generator's state
 *             now and at the current epoch's start, the epoch's running sums), history (JSON)
 *
 * A run resumed from a checkpoint redraws the current epoch's order from the saved generator state and
 * ends with weights bit-for-bit identical to an uninterrupted run.
 */
import type { Backend } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from '../files/safetensors.js';
import { infoMetadata, networkFromFile, networkTensors, readInfo, type ModelInfo } from '../model/model-file.js';
import { readModelFile } from '../model/model-io.js';
import { Random, type RandomState } from '../random.js';
import { Adam } from './adam.js';
import type { TrainSettings } from './settings.js';
import { createTrainingState, type EpochRecord, type TrainingState } from './trainer.js';

export const CHECKPOINT_FILE = 'checkpoint.safetensors';

interface Progress {
  epoch: number;
  step: number;
  position: number;
  randomState: RandomState;
  epochRandomState: RandomState | null;
  lossSum: number;
  correct: number;
  seconds: number;
}

export function encodeCheckpoint(state: TrainingState, settings: TrainSettings, info: ModelInfo): Uint8Array {
  const { network, optimizer } = state;
  const progress: Progress = {
    epoch: state.epoch,
    step: optimizer.step,
    position: state.position,
    randomState: state.random.state(),
    epochRandomState: state.epochRandomState,
    lossSum: state.lossSum,
    correct: state.correct,
    seconds: state.seconds,
  };
  const tensors = [
    ...networkTensors(network),
    { name: 'adam.m', shape: [optimizer.m.length], data: Float32Array.from(optimizer.m) },
    { name: 'adam.v', shape: [optimizer.v.length], data: Float32Array.from(optimizer.v) },
  ];
  return encodeSafetensors(tensors, {
    ...infoMetadata({ ...info, training: undefined, metrics: undefined }, network),
    format: 'xcnn-checkpoint',
    settings: JSON.stringify(settings),
    progress: JSON.stringify(progress),
    history: JSON.stringify(state.history),
  });
}

export function saveCheckpoint(path: string, state: TrainingState, settings: TrainSettings, info: ModelInfo): void {
  writeFileAtomic(path, encodeCheckpoint(state, settings, info));
}

export interface LoadedCheckpoint {
  state: TrainingState;
  settings: TrainSettings;
  info: ModelInfo;
}

/** A checkpoint read from disk and checked, before a backend is chosen for it. */
export interface CheckpointFile {
  path: string;
  file: SafetensorsFile;
  settings: TrainSettings;
  progress: Progress;
  history: EpochRecord[];
}

export function readCheckpoint(path: string): CheckpointFile {
  const file = decodeSafetensors(readModelFile(path), path);
  const fail = (problem: string) => new XcnnError(`${path}: not a usable xcnn checkpoint: ${problem}`);
  if (file.metadata.format !== 'xcnn-checkpoint') throw fail(`its format is ${JSON.stringify(file.metadata.format ?? null)}, not "xcnn-checkpoint"`);
  const json = (key: string): unknown => {
    try {
      return JSON.parse(file.metadata[key]);
    } catch {
      throw fail(`metadata '${key}' is missing or not JSON`);
    }
  };
  const settings = json('settings') as TrainSettings;
  const progress = json('progress') as Progress;
  const history = json('history') as EpochRecord[];
  if (!Array.isArray(history) || typeof progress?.step !== 'number' || !Array.isArray(progress.randomState) || typeof settings?.backend !== 'string') {
    throw fail('its settings or progress entries are incomplete');
  }
  return { path, file, settings, progress, history };
}

/** Rebuilds the network, the optimiser and the run's state from a checkpoint, on `backend`. */
export function restoreCheckpoint({ path, file, settings, progress, history }: CheckpointFile, backend: Backend): LoadedCheckpoint {
  const network = networkFromFile(file, path, backend, ['adam.m', 'adam.v']);
  const info = readInfo(file, path, network);
  const optimizer = new Adam(network, { learningRate: settings.learningRate, beta1: settings.beta1, beta2: settings.beta2, epsilon: settings.epsilon });
  for (const [name, target] of [['adam.m', optimizer.m], ['adam.v', optimizer.v]] as const) {
    const tensor = file.tensors.get(name);
    if (!tensor || tensor.data.length !== target.length) throw new XcnnError(`${path}: not a usable xcnn checkpoint: tensor '${name}' is missing or not of length ${target.length}`);
    target.set(tensor.data);
  }
  optimizer.step = progress.step;

  const state = createTrainingState(network, optimizer, Random.fromState(progress.randomState), settings.seed);
  Object.assign(state, {
    epoch: progress.epoch,
    position: progress.position,
    epochRandomState: progress.epochRandomState,
    lossSum: progress.lossSum,
    correct: progress.correct,
    seconds: progress.seconds,
    history,
  });
  return { state, settings: { ...settings }, info };
}
