/**
 * Training in the classifier's shape (classifier.ts): one async call takes labelled images and a recipe —
 * the command line's `xcnn train` flags as options — and gives a Classifier of the trained network, ready
 * to predict, explain, evaluate, and be saved with `toBytes()`.
 *
 *   const model = await trainClassifier({ train: mnist.train, test: mnist.test, epochs: 2, signal, onProgress });
 *
 * The run is the command line's: Adam with the paper's settings unless the options choose another recipe
 * (the same optimisers, schedules, clipping, label smoothing, validation and early stopping as the flags),
 * the same shuffles for the same seed, and on worker threads the same data-parallel step (Node). Progress comes after every step, as images done of
 * the whole run; an AbortSignal stops the run between two steps and the call rejects with an AbortError.
 * Every option is checked before any work. Browser-safe; classifier-node.ts gives Node's, with threads.
 */
import { abortError, XcnnError } from './errors.js';
import { MNIST_CLASS_NAMES } from './data/dataset.js';
import { createNetwork, type Network, type NetworkGeometry } from './model/network.js';
import type { ModelInfo } from './model/model-file.js';
import { Random } from './random.js';
import { ADAM_DEFAULTS, ADAMW_DEFAULT_DECAY } from './train/adam.js';
import { formatAugmentations, parseAugmentations } from './train/augment.js';
import { MONITORS, type Monitor } from './train/early-stopping.js';
import { modelFileHistory } from './train/epoch-metrics.js';
import { OPTIMIZER_NAMES, type Optimizer, type OptimizerName } from './train/optimizer.js';
import { createOptimizer, recipeOptions } from './train/recipe.js';
import { CONSTANT_SCHEDULE, SCHEDULE_NAMES, type ScheduleName } from './train/schedule.js';
import { SETTING_RANGES, type SettingRange, type TrainSettings } from './train/settings.js';
import { createTrainingState, train, type EpochRecord } from './train/trainer.js';
import {
  backendOf,
  badArgument,
  callOptions,
  checkOptionNames,
  Classifier,
  labelledSetOf,
  labelledShapeOf,
  threadsOption,
  type ClassifierEnvironment,
  type ClassifierOptions,
  type ClassifierThreads,
  type LabelledImages,
  WEB_ENVIRONMENT,
} from './classifier.js';
import type { StepProgress } from './steps.js';

/** How far a training run is: images trained on of the whole run (epochs × the training set), and the epoch's running loss and accuracy. */
export interface TrainingProgress extends StepProgress {
  epoch: number; // 1-based
  epochs: number;
  loss: number; // running mean of this epoch
  accuracy: number; // running accuracy of this epoch
}

export interface TrainClassifierOptions {
  train: LabelledImages; // the training images: an image set (loadDataset().train) or { images: { data, shape }, labels }
  test: LabelledImages; // the images each epoch is evaluated on
  arch?: string; // a spec or a preset (paper, lenet5, modern); default 'paper'
  classes?: number; // default: the class names' count, else the largest label + 1
  classNames?: readonly string[]; // default: 0, 1, … (MNIST's digits for ten classes)
  dataset?: string; // the data set's name, as the model file records it (default 'custom')
  epochs?: number; // default 1
  batchSize?: number; // default 64
  learningRate?: number; // Adam's; default 0.001
  seed?: number; // the weights' initialisation, the shuffles and dropout's masks; default 1
  validation?: LabelledImages; // evaluated after each epoch: the best epoch's weights, early stopping, val figures
  optimizer?: OptimizerName; // 'adam' (default), 'adamw' or 'sgd'
  weightDecay?: number; // default 0 (0.01 for adamw)
  momentum?: number; // sgd's; default 0
  nesterov?: boolean; // sgd's; default false
  clipNorm?: number; // clip the gradient's global norm; default none
  schedule?: ScheduleName | { name: 'step'; stepSize: number; gamma?: number }; // default 'constant'
  warmup?: number; // linear warm-up steps; default 0
  labelSmoothing?: number; // default 0
  patience?: number; // early stopping on the monitored validation figure (needs validation); default none
  monitor?: Monitor; // 'val-loss' (default) or 'val-accuracy'
  augment?: string; // as --augment: 'shift(2),rotate(10),erase(0.25)'; default none
  onEpoch?: (record: EpochRecord) => void; // each epoch's figures, as metrics.json's history
  backend?: ClassifierOptions['backend'];
  threads?: number;
  kernels?: ClassifierOptions['kernels'];
  signal?: AbortSignal;
  onProgress?: (progress: TrainingProgress) => void;
}

const TRAIN_OPTIONS = [
  'train', 'test', 'arch', 'classes', 'classNames', 'dataset', 'epochs', 'batchSize', 'learningRate', 'seed', 'backend', 'threads', 'kernels', 'signal', 'onProgress',
  'validation', 'optimizer', 'weightDecay', 'momentum', 'nesterov', 'clipNorm', 'schedule', 'warmup', 'labelSmoothing', 'patience', 'monitor', 'augment', 'onEpoch',
] as const;

/** Trains a network on labelled images and gives its classifier (browser-safe; in Node, classifier-node.ts's, with threads). */
export function trainClassifier(options: TrainClassifierOptions): Promise<Classifier> {
  return trainClassifierWith(options, WEB_ENVIRONMENT);
}

/** trainClassifier with what `environment` offers (classifier-node.ts: Node's backend and worker threads). */
export async function trainClassifierWith(options: TrainClassifierOptions, environment: ClassifierEnvironment): Promise<Classifier> {
  const what = 'trainClassifier';
  checkOptionNames(what, options, TRAIN_OPTIONS);
  if (options === undefined || options.train === undefined || options.test === undefined) throw badArgument(`${what}: give the training images as train and the images to evaluate each epoch on as test`);
  const { signal } = callOptions(what, { signal: options.signal, onProgress: options.onProgress as ((progress: StepProgress) => void) | undefined });
  const whole = (name: string, value: unknown, fallback: number, low: number, high: number) => {
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < low || value > high) throw badArgument(`${what}: ${name} ${String(value)} is not a whole number from ${low} to ${high}`);
    return value;
  };
  const epochs = whole('epochs', options.epochs, 1, 1, 10_000);
  const batchSize = whole('batchSize', options.batchSize, 64, 1, 65_536);
  const seed = whole('seed', options.seed, 1, 0, 0xffffffff);
  const learningRate = options.learningRate ?? ADAM_DEFAULTS.learningRate;
  if (typeof learningRate !== 'number' || !(learningRate > 0 && learningRate <= 10)) throw badArgument(`${what}: learningRate ${String(learningRate)} is not a number above 0 and at most 10`);
  const arch = options.arch ?? 'paper';
  if (typeof arch !== 'string') throw badArgument(`${what}: arch must be a spec or a preset name (a string)`);
  const dataset = options.dataset ?? 'custom';
  if (typeof dataset !== 'string') throw badArgument(`${what}: dataset must be a name (a string)`);
  const threads = threadsOption(what, options.threads, options.backend ?? 'wasm', environment);

  const inputShape = labelledShapeOf(`${what}: train`, options.train);
  const classNames = classNamesOption(what, options, [options.train, options.test]);
  const classes = classNames.length;
  const trainSet = labelledSetOf(`${what}: train`, options.train, inputShape, classes);
  const testSet = labelledSetOf(`${what}: test`, options.test, inputShape, classes);
  const validationSet = options.validation === undefined ? undefined : labelledSetOf(`${what}: validation`, options.validation, inputShape, classes);
  const recipe = recipeOf(what, options, validationSet !== undefined);
  if (options.onEpoch !== undefined && typeof options.onEpoch !== 'function') throw badArgument(`${what}: onEpoch must be a function`);
  const [channels, height, width] = inputShape;
  const geometry: NetworkGeometry = { channels, height, width, classes };

  const { backend, owned } = await backendOf(what, options.backend ?? 'wasm', options.kernels, environment);
  let pool: ClassifierThreads | null = null;
  let network: Network | null = null;
  let optimizer: Optimizer | null = null;
  try {
    network = createNetwork(backend, arch, geometry);
    const random = new Random(seed);
    network.initialize(random);
    const settings: TrainSettings = { ...ADAM_DEFAULTS, learningRate, epochs, batchSize, seed, arch: network.spec!, data: null, limit: null, testLimit: null, backend: backend.name, threads, checkpointEvery: null, ...recipe };
    optimizer = createOptimizer(network, settings);
    const state = createTrainingState(network, optimizer, random, seed);
    pool = threads > 1 ? await environment.startThreads!(network, threads, optimizer, seed, settings.labelSmoothing ?? 0) : null;
    const history = await train(state, {
      epochs,
      batchSize,
      train: trainSet,
      test: testSet,
      validation: validationSet,
      ...recipeOptions(settings),
      onEpoch: options.onEpoch === undefined ? undefined : (record) => options.onEpoch!({ ...record }),
      signal,
      onProgress: (p) => options.onProgress?.({ done: (p.epoch - 1) * p.total + p.done, total: p.epochs * p.total, epoch: p.epoch, epochs: p.epochs, loss: p.loss, accuracy: p.accuracy }),
      ...(pool === null ? {} : { compute: { step: pool.trainStep!, predictor: pool.predictor } }),
    });
    if (signal?.aborted) throw abortError(what, signal);
    // The optimiser's moments are done with; a thread pool keeps their addresses, so they go when it closes.
    if (pool === null) optimizer.dispose();
    else pool = closingAlso(pool, optimizer);
    const info: ModelInfo = {
      geometry,
      dataset,
      classNames,
      training: { epochs, batchSize, learningRate, seed, arch: network.spec, backend: backend.name, threads, ...recipe },
      // No timings in the model: the same settings give the same bytes (as xcnn train's files).
      metrics: { history: modelFileHistory(history), testAccuracy: bestTestAccuracy(history, state.best?.epoch, recipe.patience) },
    };
    return new Classifier(network, info, { threads: pool, ownsBackend: owned });
  } catch (error) {
    // A run that fails or is stopped leaves nothing behind: no threads, no network, no backend it made.
    await pool?.close();
    optimizer?.dispose();
    network?.dispose();
    if (owned) backend.dispose();
    throw error;
  }
}

/** The test accuracy of the weights the classifier ends with: the best epoch's when early stopping restored them, else the last's. */
function bestTestAccuracy(history: EpochRecord[], bestEpoch: number | undefined, patience: number | undefined): number {
  const epoch = patience !== undefined && bestEpoch !== undefined ? bestEpoch : history.length;
  return history[epoch - 1].testAccuracy;
}

/**
 * The recipe beyond the paper's from the options, checked in the flags' ranges, each setting only when it
 * differs from the paper's (as the train command records them).
 */
function recipeOf(what: string, options: TrainClassifierOptions, hasValidation: boolean): Partial<TrainSettings> {
  const number = (name: string, value: unknown, range: SettingRange, fallback: number): number => {
    if (value === undefined) return fallback;
    const fits = typeof value === 'number' && Number.isFinite(value) && (range.aboveMin ? value > range.min : value >= range.min) && value <= range.max && (!range.whole || Number.isInteger(value));
    if (!fits) throw badArgument(`${what}: ${name} ${String(value)} is not ${range.whole ? 'a whole number' : 'a number'} ${range.aboveMin ? 'above' : 'from'} ${range.min} ${range.aboveMin ? 'and at most' : 'to'} ${range.max}`);
    return value;
  };
  const choice = <T extends string>(name: string, value: unknown, names: readonly T[], fallback: T): T => {
    if (value === undefined) return fallback;
    if (!names.includes(value as T)) throw badArgument(`${what}: ${name} ${JSON.stringify(value)} is not one of ${names.join(', ')}`);
    return value as T;
  };
  const name = choice('optimizer', options.optimizer, OPTIMIZER_NAMES, 'adam');
  const weightDecay = number('weightDecay', options.weightDecay, SETTING_RANGES.weightDecay, name === 'adamw' ? ADAMW_DEFAULT_DECAY : 0);
  const momentum = number('momentum', options.momentum, SETTING_RANGES.momentum, 0);
  if (options.nesterov !== undefined && typeof options.nesterov !== 'boolean') throw badArgument(`${what}: nesterov must be true or false`);
  const nesterov = options.nesterov ?? false;
  if (name !== 'sgd' && (options.momentum !== undefined || options.nesterov !== undefined)) throw badArgument(`${what}: momentum and nesterov are SGD's; give optimizer 'sgd', or leave them out`);
  if (nesterov && momentum === 0) throw badArgument(`${what}: nesterov needs a momentum above 0`);
  const schedule = options.schedule ?? 'constant';
  const shape =
    typeof schedule === 'object' && schedule !== null && schedule.name === 'step'
      ? { ...CONSTANT_SCHEDULE, name: 'step' as const, stepSize: number('schedule.stepSize', schedule.stepSize, SETTING_RANGES.stepSize, 1), gamma: number('schedule.gamma', schedule.gamma, SETTING_RANGES.gamma, CONSTANT_SCHEDULE.gamma) }
      : { ...CONSTANT_SCHEDULE, name: choice('schedule', schedule, SCHEDULE_NAMES, 'constant') };
  if (shape.name === 'step' && typeof schedule !== 'object') throw badArgument(`${what}: the step schedule needs its step size: give schedule { name: 'step', stepSize, gamma }`);
  const warmup = number('warmup', options.warmup, SETTING_RANGES.warmup, 0);
  const clipNorm = options.clipNorm === undefined ? undefined : number('clipNorm', options.clipNorm, SETTING_RANGES.clipNorm, 0);
  const labelSmoothing = number('labelSmoothing', options.labelSmoothing, SETTING_RANGES.labelSmoothing, 0);
  const patience = options.patience === undefined ? undefined : number('patience', options.patience, SETTING_RANGES.patience, 0);
  const monitor = choice('monitor', options.monitor, MONITORS, 'val-loss');
  if ((patience !== undefined || options.monitor !== undefined) && !hasValidation) throw badArgument(`${what}: ${patience !== undefined ? 'patience' : 'monitor'} watches the validation set; give validation too`);
  return {
    ...(name === 'adam' && weightDecay === 0 ? {} : { optimizer: { name, weightDecay, momentum, nesterov } }),
    ...(shape.name === 'constant' && warmup === 0 ? {} : { schedule: { ...shape, warmup } }),
    ...(clipNorm === undefined ? {} : { clipNorm }),
    ...(labelSmoothing === 0 ? {} : { labelSmoothing }),
    ...(patience === undefined ? {} : { patience }),
    ...(monitor === 'val-loss' ? {} : { monitor }),
    ...(options.augment === undefined ? {} : { augment: augmentOption(what, options.augment) }),
  };
}

/** The augment option as --augment takes it, refused as the library refuses (ERR_BAD_ARGUMENT). */
function augmentOption(what: string, text: unknown): string {
  if (typeof text !== 'string') throw badArgument(`${what}: augment must be a list such as 'shift(2),rotate(10)'`);
  try {
    return formatAugmentations(parseAugmentations(text));
  } catch (error) {
    throw badArgument(`${what}: augment ${(error as Error).message.replace(/^--augment: /, '')}`);
  }
}

/** The pool's threads, whose close also gives back the optimiser's moments (the workers read them until then). */
function closingAlso(pool: ClassifierThreads, optimizer: Optimizer): ClassifierThreads {
  return {
    ...pool, // its predictor, Grad-CAM runner, passes and train step, whatever it has
    close: async () => {
      await pool.close();
      optimizer.dispose();
    },
  };
}

/** The class names: given, or 0, 1, … for `classes` (given, or the largest label of the sets + 1). */
function classNamesOption(what: string, options: TrainClassifierOptions, sets: LabelledImages[]): string[] {
  const { classes, classNames } = options;
  if (classNames !== undefined && (!Array.isArray(classNames) || !classNames.every((name) => typeof name === 'string'))) throw badArgument(`${what}: classNames must be a list of strings`);
  if (classes !== undefined && (typeof classes !== 'number' || !Number.isSafeInteger(classes) || classes < 1 || classes > 4096)) throw badArgument(`${what}: classes ${String(classes)} is not a whole number from 1 to 4096`);
  if (classes !== undefined && classNames !== undefined && classNames.length !== classes) throw badArgument(`${what}: ${classNames.length} class names for ${classes} classes; give one name per class`);
  if (classNames !== undefined) {
    if (classNames.length === 0) throw badArgument(`${what}: classNames is empty; give one name per class`);
    return [...classNames];
  }
  let count = classes;
  if (count === undefined) {
    let largest = -1;
    for (const set of sets) for (const label of Array.from(set.labels as ArrayLike<number>)) if (Number.isInteger(label)) largest = Math.max(largest, label);
    if (largest < 0) throw new XcnnError(`${what}: the training set has no labels to count the classes by; give classes`, { code: 'ERR_BAD_DATA' });
    count = largest + 1;
  }
  return count === 10 ? [...MNIST_CLASS_NAMES] : Array.from({ length: count }, (_, k) => String(k));
}
