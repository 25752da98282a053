/**
 * The checks of everything `--resume` reads from a checkpoint, field by field, so that a hand-edited,
 * truncated or otherwise damaged checkpoint is one line naming the file and the field — never a run that
 * trains on garbage, loops for ever (a batch of 0, a position that never reaches the end) or crashes deep
 * inside. Each check returns the value rebuilt from the fields it checked, so nothing unchecked travels on.
 *
 *   settings  the ranges the train command's flags accept (SETTING_RANGES), Adam's β in [0, 1) and ε > 0,
 *             a backend xcnn has and a thread count it allows, the same arch as the file's network; the
 *             recipe beyond the paper's when present: the optimiser (a name xcnn has, weight decay and
 *             momentum in their ranges, Nesterov only with momentum), the schedule (a name, its step size,
 *             γ and warm-up in range), clipNorm, labelSmoothing, patience, monitor, and the recipe changes
 *   progress  whole numbers: the epochs done (≤ the settings' epochs), the optimiser step, the position in
 *             the epoch (0 between epochs, when no epoch order is saved); the generator's states as four
 *             uint32 words, not all zero; the epoch's running sums finite and ≥ 0 (mid-epoch, no more
 *             correct answers than images)
 *   history   one record per epoch done, numbered 1, 2, …, its losses finite and ≥ 0, its accuracies in [0, 1],
 *             its learning rate finite and ≥ 0 (the settings' rate when missing, as main wrote them)
 *   optimiser state  Adam's m and v, or SGD's momentum: one finite value per parameter, v ≥ 0; the best
 *             epoch's weights (best.params, best.buffers) one finite value per parameter or buffer
 *   the data  once it is read: the position within the training images, on a batch boundary, and the step
 *             the count of batches the epochs and the position make
 * The weights are checked where every model file's are (model-file.ts: shapes against the arch, finite).
 */
import type { BackendName } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import type { Tensor } from '../files/safetensors.js';
import { MAX_THREADS } from '../parallel/control.js';
import type { RandomState } from '../random.js';
import type { CheckpointProgress } from './checkpoint-format.js';
import { formatAugmentations, parseAugmentations } from './augment.js';
import { MONITORS } from './early-stopping.js';
import { OPTIMIZER_NAMES, type OptimizerName, type OptimizerSettings } from './optimizer.js';
import { SCHEDULE_NAMES, type ScheduleName, type ScheduleSettings } from './schedule.js';
import { SETTING_RANGES, type DataFlags, type RecipeChange, type SettingRange, type TrainSettings } from './settings.js';
import type { EpochRecord } from './trainer.js';

/** Makes the one-line error for a checkpoint field: `FILE: not a usable xcnn checkpoint: FIELD PROBLEM`. */
export type FieldError = (field: string, problem: string) => XcnnError;

export function fieldError(path: string): FieldError {
  return (field, problem) => new XcnnError(`${path}: not a usable xcnn checkpoint: ${field} ${problem}`, { code: 'ERR_BAD_MODEL' });
}

/** A value as the message shows it: JSON, cut short (a hand edit can make it as long as it likes). */
function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value) ?? String(value);
  return `${text.length > 40 ? `${text.slice(0, 40)}…` : text}`;
}

function wholeNumber(value: unknown, field: string, fail: FieldError, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw fail(field, `is ${shown(value)}, not a whole number ${range}`);
  }
  return value;
}

/** A finite number in [min, max] (or (min, max] when `aboveMin`; [min, max) when `belowMax`). */
function finiteNumber(value: unknown, field: string, fail: FieldError, range: { min: number; max?: number; aboveMin?: boolean; belowMax?: boolean }): number {
  const { min, max = Infinity, aboveMin = false, belowMax = false } = range;
  const fits = typeof value === 'number' && Number.isFinite(value) && (aboveMin ? value > min : value >= min) && (belowMax ? value < max : value <= max);
  if (!fits) {
    const low = `${aboveMin ? '>' : '≥'} ${min}`;
    const high = max === Infinity ? '' : ` and ${belowMax ? '<' : '≤'} ${max}`;
    throw fail(field, `is ${shown(value)}, not a finite number ${low}${high}`);
  }
  return value as number;
}

/** A value within a setting's range (SETTING_RANGES), said as the flag's range is. */
function inRange(value: unknown, field: string, fail: FieldError, range: SettingRange): number {
  if (range.whole) return wholeNumber(value, field, fail, range.min, range.max);
  return finiteNumber(value, field, fail, { min: range.min, max: range.max, aboveMin: range.aboveMin });
}

function nullableInRange(value: unknown, field: string, fail: FieldError, range: SettingRange): number | null {
  return value === null ? null : inRange(value, field, fail, range);
}

function record(value: unknown, field: string, fail: FieldError): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(field, `is ${shown(value)}, not a JSON object`);
  return value as Record<string, unknown>;
}

/** The backends a run can name (a record, so a new BackendName cannot be left out; select.ts is not browser-safe). */
const BACKENDS: Record<BackendName, true> = { wasm: true, ts: true };
const backendNames = Object.keys(BACKENDS) as BackendName[];

/** The run's settings; `fileArch` is the arch the file's network is built from (its metadata). */
export function checkSettings(value: unknown, fileArch: string | undefined, fail: FieldError): TrainSettings {
  const s = record(value, 'settings', fail);
  const ranges = SETTING_RANGES;
  const backend = s.backend as BackendName;
  if (!backendNames.includes(backend)) throw fail('settings.backend', `is ${shown(s.backend)}, not one of ${backendNames.join(', ')}`);
  const threads = wholeNumber(s.threads, 'settings.threads', fail, 1, backend === 'wasm' ? MAX_THREADS : 1);
  if (typeof s.arch !== 'string' || s.arch === '') throw fail('settings.arch', `is ${shown(s.arch)}, not an architecture spec`);
  if (fileArch !== undefined && s.arch !== fileArch) throw fail('settings.arch', `is ${shown(s.arch)}, but the checkpoint's network is ${shown(fileArch)}`);
  if (s.data !== null && (typeof s.data !== 'string' || s.data === '')) throw fail('settings.data', `is ${shown(s.data)}, not a folder name or null`);
  return {
    epochs: inRange(s.epochs, 'settings.epochs', fail, ranges.epochs),
    batchSize: inRange(s.batchSize, 'settings.batchSize', fail, ranges.batchSize),
    learningRate: inRange(s.learningRate, 'settings.learningRate', fail, ranges.learningRate),
    beta1: finiteNumber(s.beta1, 'settings.beta1', fail, { min: 0, max: 1, belowMax: true }),
    beta2: finiteNumber(s.beta2, 'settings.beta2', fail, { min: 0, max: 1, belowMax: true }),
    epsilon: finiteNumber(s.epsilon, 'settings.epsilon', fail, { min: 0, aboveMin: true }),
    seed: inRange(s.seed, 'settings.seed', fail, ranges.seed),
    arch: s.arch,
    data: s.data as string | null,
    limit: nullableInRange(s.limit, 'settings.limit', fail, ranges.limit),
    testLimit: nullableInRange(s.testLimit, 'settings.testLimit', fail, ranges.testLimit),
    backend,
    threads,
    checkpointEvery: nullableInRange(s.checkpointEvery, 'settings.checkpointEvery', fail, ranges.checkpointEvery),
    ...(s.optimizer === undefined ? {} : { optimizer: checkOptimizer(s.optimizer, fail) }),
    ...(s.schedule === undefined ? {} : { schedule: checkSchedule(s.schedule, 'settings.schedule', fail) }),
    ...(s.clipNorm === undefined ? {} : { clipNorm: inRange(s.clipNorm, 'settings.clipNorm', fail, ranges.clipNorm) }),
    ...(s.labelSmoothing === undefined ? {} : { labelSmoothing: inRange(s.labelSmoothing, 'settings.labelSmoothing', fail, ranges.labelSmoothing) }),
    ...(s.patience === undefined ? {} : { patience: inRange(s.patience, 'settings.patience', fail, ranges.patience) }),
    ...(s.monitor === undefined ? {} : { monitor: oneOf(s.monitor, 'settings.monitor', fail, MONITORS) }),
    ...(s.recipeChanges === undefined ? {} : { recipeChanges: checkRecipeChanges(s.recipeChanges, fail) }),
    ...(s.augment === undefined ? {} : { augment: checkAugment(s.augment, fail) }),
    ...(s.init === undefined ? {} : { init: nonEmptyText(s.init, 'settings.init', fail) }),
    ...(s.resetHead === undefined ? {} : { resetHead: flag(s.resetHead, 'settings.resetHead', fail) }),
    ...(s.dataFlags === undefined ? {} : { dataFlags: checkDataFlags(s.dataFlags, fail) }),
  };
}

/** The recorded image-folder flags and --val-split: each within its flag's range. */
function checkDataFlags(value: unknown, fail: FieldError): DataFlags {
  const d = record(value, 'settings.dataFlags', fail);
  const known = new Set(['channels', 'size', 'preprocess', 'testSplit', 'valSplit', 'skipBad']);
  const unknown = Object.keys(d).find((key) => !known.has(key));
  if (unknown !== undefined) throw fail(`settings.dataFlags.${unknown}`, 'is not a data flag xcnn records');
  const out: DataFlags = {};
  if (d.channels !== undefined) {
    if (d.channels !== 1 && d.channels !== 3) throw fail('settings.dataFlags.channels', `is ${shown(d.channels)}, not 1 or 3`);
    out.channels = d.channels;
  }
  if (d.size !== undefined) {
    const size = record(d.size, 'settings.dataFlags.size', fail);
    out.size = { height: wholeNumber(size.height, 'settings.dataFlags.size.height', fail, 1, 4096), width: wholeNumber(size.width, 'settings.dataFlags.size.width', fail, 1, 4096) };
  }
  if (d.preprocess !== undefined) {
    if (d.preprocess !== 'mnist') throw fail('settings.dataFlags.preprocess', `is ${shown(d.preprocess)}, not 'mnist'`);
    out.preprocess = 'mnist';
  }
  for (const key of ['testSplit', 'valSplit'] as const) {
    if (d[key] !== undefined) out[key] = finiteNumber(d[key], `settings.dataFlags.${key}`, fail, { min: 0, max: 0.99, aboveMin: true });
  }
  if (d.skipBad !== undefined) {
    if (d.skipBad !== true) throw fail('settings.dataFlags.skipBad', `is ${shown(d.skipBad)}, not true`);
    out.skipBad = true;
  }
  return out;
}

function checkAugment(value: unknown, fail: FieldError): string {
  if (typeof value !== 'string') throw fail('settings.augment', `is ${shown(value)}, not an augmentation list`);
  try {
    return formatAugmentations(parseAugmentations(value));
  } catch (error) {
    throw fail('settings.augment', `is ${shown(value)}: ${(error as Error).message}`);
  }
}

function nonEmptyText(value: unknown, field: string, fail: FieldError): string {
  if (typeof value !== 'string' || value === '') throw fail(field, `is ${shown(value)}, not a file name`);
  return value;
}

function flag(value: unknown, field: string, fail: FieldError): boolean {
  if (typeof value !== 'boolean') throw fail(field, `is ${shown(value)}, not true or false`);
  return value;
}

function oneOf<T extends string>(value: unknown, field: string, fail: FieldError, names: readonly T[]): T {
  if (!names.includes(value as T)) throw fail(field, `is ${shown(value)}, not one of ${names.join(', ')}`);
  return value as T;
}

function checkOptimizer(value: unknown, fail: FieldError): OptimizerSettings {
  const o = record(value, 'settings.optimizer', fail);
  const name = oneOf<OptimizerName>(o.name, 'settings.optimizer.name', fail, OPTIMIZER_NAMES);
  const momentum = inRange(o.momentum, 'settings.optimizer.momentum', fail, SETTING_RANGES.momentum);
  if (typeof o.nesterov !== 'boolean') throw fail('settings.optimizer.nesterov', `is ${shown(o.nesterov)}, not true or false`);
  if (o.nesterov && momentum === 0) throw fail('settings.optimizer.nesterov', 'is true with momentum 0; Nesterov needs momentum');
  if (name !== 'sgd' && (momentum !== 0 || o.nesterov)) throw fail('settings.optimizer.momentum', `is ${momentum}${o.nesterov ? ' with Nesterov' : ''} for ${name}, which has none (its β1 is its momentum)`);
  return { name, weightDecay: inRange(o.weightDecay, 'settings.optimizer.weightDecay', fail, SETTING_RANGES.weightDecay), momentum, nesterov: o.nesterov };
}

function checkSchedule(value: unknown, field: string, fail: FieldError): ScheduleSettings {
  const o = record(value, field, fail);
  return {
    name: oneOf<ScheduleName>(o.name, `${field}.name`, fail, SCHEDULE_NAMES),
    stepSize: inRange(o.stepSize, `${field}.stepSize`, fail, SETTING_RANGES.stepSize),
    gamma: inRange(o.gamma, `${field}.gamma`, fail, SETTING_RANGES.gamma),
    warmup: inRange(o.warmup, `${field}.warmup`, fail, SETTING_RANGES.warmup),
  };
}

function checkRecipeChanges(value: unknown, fail: FieldError): RecipeChange[] {
  if (!Array.isArray(value)) throw fail('settings.recipeChanges', `is ${shown(value)}, not a list`);
  return value.map((entry, k) => {
    const field = `settings.recipeChanges[${k}]`;
    const r = record(entry, field, fail);
    return {
      epoch: wholeNumber(r.epoch, `${field}.epoch`, fail, 0),
      step: wholeNumber(r.step, `${field}.step`, fail, 0),
      learningRate: inRange(r.learningRate, `${field}.learningRate`, fail, SETTING_RANGES.learningRate),
      schedule: r.schedule === null ? null : checkSchedule(r.schedule, `${field}.schedule`, fail),
    };
  });
}

/** A generator's state: four uint32 words, not all zero (the one state xoshiro128** never leaves). */
function randomState(value: unknown, field: string, fail: FieldError): RandomState {
  const isWord = (w: unknown) => typeof w === 'number' && Number.isInteger(w) && w >= 0 && w <= 0xffffffff;
  if (!Array.isArray(value) || value.length !== 4 || !value.every(isWord)) throw fail(field, `is ${shown(value)}, not four whole numbers from 0 to 4294967295`);
  if (value.every((w) => w === 0)) throw fail(field, 'is all zeros, a state the generator never reaches');
  return [value[0], value[1], value[2], value[3]];
}

/** Where the run stands, against its settings; the data's size is checked once the data is read (`checkProgressFitsData`). */
export function checkProgress(value: unknown, settings: TrainSettings, fail: FieldError): CheckpointProgress {
  const p = record(value, 'progress', fail);
  const epoch = wholeNumber(p.epoch, 'progress.epoch', fail, 0, settings.epochs);
  const step = wholeNumber(p.step, 'progress.step', fail, 0);
  const position = wholeNumber(p.position, 'progress.position', fail, 0);
  const epochRandomState = p.epochRandomState === null ? null : randomState(p.epochRandomState, 'progress.epochRandomState', fail);
  // Checkpoints written before validation sets have no bestEpoch: none.
  const bestEpoch = p.bestEpoch === undefined || p.bestEpoch === null ? null : wholeNumber(p.bestEpoch, 'progress.bestEpoch', fail, 1, epoch);
  // Between epochs no order is saved, so there is no place in one to continue from.
  if (epochRandomState === null && position !== 0) throw fail('progress.position', `is ${position} between two epochs (progress.epochRandomState is null), where it must be 0`);
  return {
    epoch,
    step,
    position,
    randomState: randomState(p.randomState, 'progress.randomState', fail),
    epochRandomState,
    lossSum: finiteNumber(p.lossSum, 'progress.lossSum', fail, { min: 0 }),
    // Mid-epoch the running count is of the images trained on so far; between epochs it is the last epoch's, reset before use.
    correct: wholeNumber(p.correct, 'progress.correct', fail, 0, epochRandomState === null ? Number.MAX_SAFE_INTEGER : position),
    seconds: finiteNumber(p.seconds, 'progress.seconds', fail, { min: 0 }),
    bestEpoch,
  };
}

/** The metrics of the epochs done: exactly one record per epoch, in order. */
export function checkHistory(value: unknown, epochsDone: number, fail: FieldError, learningRate: number): EpochRecord[] {
  if (!Array.isArray(value)) throw fail('history', `is ${shown(value)}, not a list of epoch records`);
  if (value.length !== epochsDone) throw fail('history', `has ${value.length} record(s) for the ${epochsDone} epoch(s) done (progress.epoch)`);
  return value.map((entry, k) => {
    const field = `history[${k}]`;
    const r = record(entry, field, fail);
    if (r.epoch !== k + 1) throw fail(`${field}.epoch`, `is ${shown(r.epoch)}, not ${k + 1}`);
    return {
      epoch: k + 1,
      trainLoss: finiteNumber(r.trainLoss, `${field}.trainLoss`, fail, { min: 0 }),
      trainAccuracy: finiteNumber(r.trainAccuracy, `${field}.trainAccuracy`, fail, { min: 0, max: 1 }),
      testLoss: finiteNumber(r.testLoss, `${field}.testLoss`, fail, { min: 0 }),
      testAccuracy: finiteNumber(r.testAccuracy, `${field}.testAccuracy`, fail, { min: 0, max: 1 }),
      ...(r.valLoss === undefined && r.valAccuracy === undefined
        ? {}
        : {
            valLoss: finiteNumber(r.valLoss, `${field}.valLoss`, fail, { min: 0 }),
            valAccuracy: finiteNumber(r.valAccuracy, `${field}.valAccuracy`, fail, { min: 0, max: 1 }),
          }),
      learningRate: r.learningRate === undefined ? learningRate : finiteNumber(r.learningRate, `${field}.learningRate`, fail, { min: 0 }),
      seconds: finiteNumber(r.seconds, `${field}.seconds`, fail, { min: 0 }),
    };
  });
}

/**
 * An optimiser's state array (`adam.m`, `adam.v` never negative, `sgd.momentum`) or the best epoch's weights
 * (`best.params`, `best.buffers`): `count` finite values.
 */
export function checkOptimizerState(tensor: Tensor | undefined, name: string, count: number, fail: FieldError): Float32Array {
  const field = `tensor '${name}'`;
  const per = name === 'best.buffers' ? 'buffer value' : 'parameter';
  if (tensor === undefined) throw fail(field, 'is missing');
  if (tensor.shape.length !== 1 || tensor.shape[0] !== count) throw fail(field, `has shape [${tensor.shape.join(', ')}], expected [${count}] (one value per ${per})`);
  if (tensor.dtype === 'I64') throw fail(field, 'has dtype I64, expected a float type');
  const bad = tensor.data.findIndex((x) => !Number.isFinite(x) || (name === 'adam.v' && x < 0));
  if (bad >= 0) {
    const value = tensor.data[bad];
    throw fail(field, `holds ${value} at element ${bad}${Number.isFinite(value) ? '; a second moment is never negative' : ''}`);
  }
  return tensor.data;
}

/**
 * Once the training images are read: the position lies within them, on a batch boundary (or at the end),
 * and the step is the number of batches the epochs done and the position make.
 */
export function checkProgressFitsData(progress: CheckpointProgress, settings: TrainSettings, trainCount: number, fail: FieldError): void {
  const { position, epoch, step } = progress;
  const batch = settings.batchSize;
  if (position > trainCount) throw fail('progress.position', `is ${position}, beyond the ${trainCount} training images of the data`);
  if (position % batch !== 0 && position !== trainCount) throw fail('progress.position', `is ${position}, not a multiple of the batch size ${batch}`);
  const batchesPerEpoch = Math.ceil(trainCount / batch);
  const expected = epoch * batchesPerEpoch + Math.ceil(position / batch);
  if (step !== expected) {
    throw fail('progress.step', `is ${step}, but ${epoch} epoch(s) of ${batchesPerEpoch} batch(es) and ${position} image(s) into the next make ${expected}`);
  }
}
