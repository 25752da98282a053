/**
 * Checkpoint files (checkpoint-format.ts has what they hold): written atomically, so a crash at any
 * instant leaves the last good one whole, and read back and checked before a backend is chosen.
 */
import { checkBackend, checkModelInfo, checkString, checkTrainingState, checkTrainSettings } from '../argument-checks.js';
import type { Backend } from '../backend/backend.js';
import { createBackend } from '../backend/select.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import type { ModelInfo } from '../model/model-file.js';
import { readUserFile } from '../files/read-file.js';
import { MAX_MODEL_BYTES } from '../model/model-io.js';
import { decodeCheckpoint, encodeCheckpoint, restoreCheckpoint, type CheckpointFile, type LoadedCheckpoint } from './checkpoint-format.js';
import type { TrainSettings } from './settings.js';
import type { TrainingState } from './trainer.js';

export {
  CHECKPOINT_FILE,
  checkCheckpointFitsData,
  checkpointSettings,
  decodeCheckpoint,
  encodeCheckpoint,
  restoreCheckpoint,
  type CheckpointFile,
  type CheckpointProgress,
  type LoadedCheckpoint,
} from './checkpoint-format.js';

export function saveCheckpoint(path: string, state: TrainingState, settings: TrainSettings, info: ModelInfo): void {
  checkString('saveCheckpoint', 'path', path);
  checkTrainingState('saveCheckpoint', 'state', state);
  checkTrainSettings('saveCheckpoint', 'settings', settings);
  checkModelInfo('saveCheckpoint', 'info', info);
  writeFileAtomic(path, encodeCheckpoint(state, settings, info));
}

/** Reads a checkpoint file and checks its settings, progress and history (the tensors are checked as they are restored). */
export function readCheckpoint(path: string): CheckpointFile {
  checkString('readCheckpoint', 'path', path, 'a string (a file path)');
  return decodeCheckpoint(readUserFile(path, { what: 'the checkpoint', maxBytes: MAX_MODEL_BYTES }), path);
}

/** A checkpoint file restored, ready for `train(state, …)` to continue: on `backend`, or on the backend it was written with. */
export async function loadCheckpoint(path: string, backend?: Backend): Promise<LoadedCheckpoint> {
  checkString('loadCheckpoint', 'path', path, 'a string (a file path)');
  if (backend !== undefined) checkBackend('loadCheckpoint', 'backend', backend);
  const saved = readCheckpoint(path);
  return restoreCheckpoint(saved, backend ?? (await createBackend(saved.settings.backend)));
}
