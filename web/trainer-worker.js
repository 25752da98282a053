// web/trainer-worker.js — the studio's training, in a Web Worker of its own so the page never waits on it.
//
// It runs the core's training loop (src/train: createNetwork → createOptimizer → createTrainingState →
// train, as `xcnn train` and trainClassifier do) on the WebAssembly kernels and reports every step. On more
// than one thread (`threads`, which the page offers only when it is cross-origin isolated) the steps and the
// evaluations run on the core's ThreadPool, as `xcnn train --threads N` runs them: this worker is thread 0,
// and the pool starts the others as Workers of its own over the kernels' shared memory. Pause holds the loop between two steps (train awaits onStep); Stop aborts it between two steps,
// keeping the weights trained so far. After every epoch, and when the run ends, it builds the report's
// figures with the core's own code (modelReport: confusion matrix, misclassified test images with their
// Grad-CAM, per-class mean maps, the confusion cells explained) and sends the model file (safetensors,
// encodeModel) so the page can explain drawings with it and download it (as ONNX too, written by the page).
//
// Messages in:  { type: 'train', root, data, spec, epochs, batchSize, learningRate, augment, validationSplit, seed, threads }
//                 data: { kind: 'served', dataset, trainCount, testCount } | { kind: 'folder', name, files, classNames, input }
//               { type: 'pause' } | { type: 'resume' } | { type: 'stop' }
// Messages out: { type: 'status', text }
//               { type: 'data', name, classNames, input, train, validation, test }   the image counts
//               { type: 'progress', epoch, epochs, done, total, loss, accuracy, imagesPerSecond, fraction }
//               { type: 'epoch', record }                         an EpochRecord (train, validation and test figures)
//               { type: 'paused', paused }                       true once the loop holds (after the step in progress), false on resume
//               { type: 'report', final, stopped, accuracy, figures: { confusion, misclassified, classMeans, confusionCells } }
//               { type: 'model', bytes, name, testSet }           the model file (safetensors) of the weights now;
//                                                                 testSet: a folder's test split (ImageSet), else null
//               { type: 'error', message }
import { createNetwork, createTrainingState, createWasmBackendFromBytes, encodeModel, modelReport, Random, splitValidation, train, XcnnError } from '../dist/src/index.js';
import { createOptimizer, recipeOptions } from '../dist/src/train/recipe.js';
import { formatAugmentations, parseAugmentations } from '../dist/src/train/augment.js';
import { modelFileHistory } from '../dist/src/train/epoch-metrics.js';
import { ADAM_DEFAULTS } from '../dist/src/train/adam.js';
import { ThreadPool } from '../dist/src/parallel/thread-pool.js';
import { folderDataset, servedDataset } from './training-data.js';

let backend = null;
let run = null; // { network, info, state, controller, paused, resume } of the run in progress or last finished

async function kernels(root) {
  const fetchBytes = async (path) => new Uint8Array(await (await fetch(new URL(path, root))).arrayBuffer());
  const relaxed = await fetchBytes('build/kernels-relaxed.wasm');
  if (WebAssembly.validate(relaxed)) return { bytes: relaxed, build: 'relaxed-simd' };
  return { bytes: await fetchBytes('build/kernels.wasm'), build: 'simd' };
}

async function loadData(message) {
  const { data } = message;
  if (data.kind === 'served') {
    postMessage({ type: 'status', text: `Fetching ${data.dataset.title}…` });
    return servedDataset(message.root, data.dataset, data.trainCount, data.testCount);
  }
  return folderDataset(data.name, data.files, data.classNames, data.input, (done, total) => {
    if (done % 50 === 0 || done === total) postMessage({ type: 'status', text: `Decoding ${data.name}: ${done} of ${total} images…` });
  });
}

/** The model file's metadata for the weights now, as `xcnn train` writes it (no timings: the same run, the same bytes). */
function modelInfo(network, data, settings, history, testAccuracy) {
  const { channels, height, width } = data.train;
  return {
    geometry: { channels, height, width, classes: data.classNames.length },
    dataset: data.name,
    classNames: [...data.classNames],
    training: { epochs: settings.epochs, batchSize: settings.batchSize, learningRate: settings.learningRate, seed: settings.seed, arch: network.spec, backend: 'wasm', threads: settings.threads, ...(settings.augment ? { augment: settings.augment } : {}) },
    metrics: { history: modelFileHistory(history), ...(testAccuracy === null ? {} : { testAccuracy }) },
  };
}

/** The report's figures for the weights now, on the test set, and the model file — sent to the page. */
function sendReport(current, final) {
  const { network, data, settings, state } = current;
  const started = performance.now();
  const info = modelInfo(network, data, settings, state.history, null);
  const report = modelReport({ network, info }, data.test, { title: 'the model trained here', mistakes: 16, classImages: 20, cells: 6, perCell: 2 });
  info.metrics.testAccuracy = report.evaluation.accuracy;
  current.info = info;
  const { confusion, misclassified, classMeans, confusionCells } = report.figures;
  postMessage({ type: 'report', final, stopped: current.controller.signal.aborted, accuracy: report.evaluation.accuracy, testImages: data.test.count, seconds: (performance.now() - started) / 1000, figures: { confusion, misclassified, classMeans, confusionCells } });
  const bytes = encodeModel(network, info);
  // A folder's test split exists only here: sent along, so the faithfulness table can measure on it.
  const testSet = current.kind === 'folder' ? { ...data.test, images: data.test.images.slice(), labels: data.test.labels.slice() } : null;
  postMessage({ type: 'model', bytes, name: current.fileName, testSet }, [bytes.buffer]);
}

async function startTraining(message) {
  if (run !== null && run.running) throw new XcnnError('a run is in progress; stop it before starting another');
  const data = await loadData(message);
  const { classNames } = data;
  const { channels, height, width } = data.train;
  const augment = message.augment.trim() === '' ? undefined : formatAugmentations(parseAugmentations(message.augment));
  const { train: trainSet, validation } = message.validationSplit > 0 ? splitValidation(data.train, message.validationSplit, message.seed) : { train: data.train, validation: undefined };
  postMessage({ type: 'data', name: data.name, classNames, input: [channels, height, width], train: trainSet.count, validation: validation?.count ?? 0, test: data.test.count });

  if (backend === null) {
    const chosen = await kernels(message.root);
    backend = await createWasmBackendFromBytes(chosen.bytes, { build: chosen.build, maximumBytes: 1024 * 1024 * 1024 });
  }
  run?.network.dispose(); // the previous run's weights: the page holds its model file already
  run = null;
  const settings = { ...ADAM_DEFAULTS, learningRate: message.learningRate, epochs: message.epochs, batchSize: message.batchSize, seed: message.seed, arch: message.spec, data: data.name, limit: null, testLimit: null, backend: 'wasm', threads: message.threads ?? 1, checkpointEvery: null, ...(augment ? { augment } : {}) };
  const network = createNetwork(backend, message.spec, { channels, height, width, classes: classNames.length });
  const random = new Random(message.seed);
  network.initialize(random);
  const optimizer = createOptimizer(network, settings);
  const state = createTrainingState(network, optimizer, random, message.seed);
  const controller = new AbortController();
  let pool = null;
  if (settings.threads > 1) {
    postMessage({ type: 'status', text: `Starting ${settings.threads} threads…` });
    try {
      pool = await ThreadPool.create(network, settings.threads, optimizer, message.seed, settings.labelSmoothing ?? 0);
    } catch (error) {
      optimizer.dispose();
      network.dispose();
      throw error;
    }
  }
  run = { network, data, settings, state, controller, paused: false, resume: null, running: true, info: null, kind: message.data.kind, fileName: `${data.name}-studio.safetensors` };
  const current = run;
  postMessage({ type: 'status', text: `Training on ${trainSet.count.toLocaleString('en')} images, ${settings.threads === 1 ? 'one thread' : `${settings.threads} threads`}…` });
  try {
    await train(state, {
      epochs: message.epochs,
      batchSize: message.batchSize,
      train: trainSet,
      test: data.test,
      validation,
      ...recipeOptions(settings),
      signal: controller.signal,
      compute: pool === null ? undefined : { step: pool, predictor: pool },
      onProgress: (p) => postMessage({ type: 'progress', ...p, fraction: (p.epoch - 1 + p.done / p.total) / p.epochs }),
      onStep: () => {
        if (!current.paused) return undefined;
        // Said only now that the loop holds: the step that was running when Pause came has posted its progress.
        postMessage({ type: 'paused', paused: true });
        return new Promise((resume) => (current.resume = resume));
      },
      onEpoch: (record) => {
        postMessage({ type: 'epoch', record });
        if (record.epoch < message.epochs) sendReport(current, false);
      },
    });
  } finally {
    current.running = false;
    await pool?.close(); // its workers read the optimiser's moments: they go first
    optimizer.dispose();
  }
  sendReport(current, true);
  postMessage({ type: 'status', text: controller.signal.aborted ? `Stopped after ${optimizer.step} steps.` : 'Trained.' });
}

// Pause is acknowledged by onStep once the loop holds (so no progress follows the 'paused' message); Resume at once.
function setPaused(paused) {
  if (run === null || !run.running) return;
  run.paused = paused;
  if (!paused) {
    run.resume?.();
    run.resume = null;
    postMessage({ type: 'paused', paused: false });
  }
}

onmessage = async ({ data: message }) => {
  try {
    if (message.type === 'train') await startTraining(message);
    else if (message.type === 'pause') setPaused(true);
    else if (message.type === 'resume') setPaused(false);
    else if (message.type === 'stop') {
      run?.controller.abort();
      setPaused(false);
    }
  } catch (error) {
    if (run !== null) run.running = false;
    postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};
