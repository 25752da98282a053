// web/train-panel.js — the studio: choose a network (a preset, or a spec checked as you type against the
// data's input, with the core's shape table), the data (a served data set, or a dropped folder of images,
// one sub-folder per class), the settings; Train / Pause / Stop. The training runs in trainer-worker.js;
// this thread only draws the progress, the curves and the figures the worker sends, so the page answers
// input while it trains. The trained model goes to the explainer above (page.js, the 'xcnn:model' event)
// and can be downloaded as safetensors or ONNX (written on this thread: downloadOnnx); nothing leaves the machine.
//
// Threads: the run trains on that many threads (the core's ThreadPool: worker threads over the kernels'
// shared memory, each on its share of every batch), which needs the page cross-origin isolated (COOP/COEP
// headers: `xcnn serve` sends them, a plain static host does not). Isolated, the default is
// min(navigator.hardwareConcurrency, 4); otherwise 1, and #threads-note says why. A given seed and thread
// count train to the same weights, bit for bit, as `xcnn train --threads N` with the same data and settings.
//
// For tests and curious readers: #train-panel data-state is 'idle', 'loading', 'training', 'paused',
// 'done' or 'error'; #results-panel data-state is 'empty', 'partial' (figures of an epoch) or 'final', with
// data-accuracy (the test accuracy of the figures shown).
import { formatPlan, paperSpec, planNetwork, PRESETS, resolveSpec } from '../dist/src/index.js';
import { parseAugmentations } from '../dist/src/train/augment.js';
import { TrainingCurve } from './training-curves.js';
import { droppedFiles, filesWithPaths, PICTURE } from './dropped-files.js';

const root = new URL('../', import.meta.url); // the page's root: data/, build/ are found from it
const $ = (id) => document.getElementById(id);
const panel = $('train-panel');
const results = $('results-panel');
const specField = $('spec');
const presetPicker = $('preset');
const datasetPicker = $('dataset');
const trainButton = $('train');
const pauseButton = $('pause');
const stopButton = $('stop');
const lossCurve = new TrainingCurve($('loss-curve'), { title: 'Loss' });
const accuracyCurve = new TrainingCurve($('accuracy-curve'), { title: 'Accuracy', percent: true });
const worker = new Worker(new URL('./trainer-worker.js', import.meta.url), { type: 'module' });

/** The most threads the field takes (the pool's MAX_THREADS). */
const MAX_THREADS = 64;

/** Threads need shared memory between workers, which a browser gives only a cross-origin isolated page. */
function setUpThreads() {
  const field = $('threads');
  if (globalThis.crossOriginIsolated === true) {
    field.value = String(Math.max(1, Math.min(navigator.hardwareConcurrency ?? 1, 4)));
    $('threads-note').textContent = `This browser reports ${navigator.hardwareConcurrency ?? 'an unknown number of'} cores; each thread trains on its share of every batch.`;
  } else {
    field.value = '1';
    field.disabled = true;
    $('threads-note').textContent = 'One thread: this page is not cross-origin isolated, and threads share memory only in an isolated page (the COOP/COEP headers `xcnn serve` sends; a plain static host does not).';
  }
}

/** The small network of the shipped model (the paper's, narrowed): quick to train in a tab. */
const SMALL = (classes) => paperSpec(classes, { conv1Channels: 8, conv2Channels: 16, hidden: 32 });
const ARCHITECTURES = { small: SMALL, ...PRESETS };

let datasets = []; // the manifest's data sets
let folder = null; // { name, files: [{ file, path, label }], classNames } of a dropped folder
let run = null; // { trainImages, epochs } of the run in progress
let model = null; // { bytes, name } of the latest model file the worker sent
const figureUrls = [];

/** What the network will take and give: the chosen data's input [C, H, W] and classes. */
function geometry() {
  if (datasetPicker.value === 'folder' && folder !== null) {
    const [channels, height, width] = $('folder-size').value.split(',').map(Number);
    return { channels, height, width, classes: folder.classNames.length };
  }
  const dataset = datasets.find((d) => d.name === datasetPicker.value);
  return { channels: 1, height: 28, width: 28, classes: dataset?.classNames.length ?? 10 };
}

/** The spec, resolved and planned for the data: the shape table, or the one-line reason it cannot be built. */
function checkSpec() {
  try {
    const plan = planNetwork(resolveSpec(specField.value.trim(), geometry().classes), geometry());
    $('shape-table').textContent = formatPlan(plan);
    $('spec-check').textContent = `Fits ${geometry().channels}×${geometry().height}×${geometry().width} → ${geometry().classes} classes.`;
    $('spec-check').classList.remove('error');
    specField.setAttribute('aria-invalid', 'false');
    return true;
  } catch (error) {
    $('shape-table').textContent = '';
    $('spec-check').textContent = error.message;
    $('spec-check').classList.add('error');
    specField.setAttribute('aria-invalid', 'true');
    return false;
  }
}

/** The settings, read and checked: { settings } or { problem } naming the field and what it takes. */
function readSettings() {
  const whole = (id, name, low, high) => {
    const value = Number($(id).value);
    if (!Number.isInteger(value) || value < low || value > high) throw new Error(`${name}: '${$(id).value}' is not a whole number from ${low} to ${high}`);
    return value;
  };
  const number = (id, name, low, high, aboveLow) => {
    const value = Number($(id).value);
    if ($(id).value.trim() === '' || !Number.isFinite(value) || (aboveLow ? value <= low : value < low) || value > high) throw new Error(`${name}: '${$(id).value}' is not a number ${aboveLow ? 'above' : 'from'} ${low} ${aboveLow ? 'and at most' : 'to'} ${high}`);
    return value;
  };
  try {
    const augment = $('augment').value.trim();
    if (augment !== '') {
      try {
        parseAugmentations(augment);
      } catch (error) {
        throw new Error(`Augmentation: ${error.message.replace(/^--augment: /, '')}`);
      }
    }
    return {
      settings: {
        trainCount: whole('train-count', 'Training images', 10, 1_000_000),
        testCount: whole('test-count', 'Test images', 10, 1_000_000),
        epochs: whole('epochs', 'Epochs', 1, 1000),
        batchSize: whole('batch', 'Batch', 1, 4096),
        learningRate: number('learning-rate', 'Learning rate', 0, 10, true),
        validationSplit: number('val-split', 'Validation split', 0, 0.5, false),
        threads: whole('threads', 'Threads', 1, MAX_THREADS),
        augment,
      },
    };
  } catch (error) {
    return { problem: error.message };
  }
}

function setState(state) {
  panel.dataset.state = state;
  const busy = state === 'loading' || state === 'training' || state === 'paused';
  pauseButton.disabled = !(state === 'training' || state === 'paused');
  pauseButton.textContent = state === 'paused' ? 'Resume' : 'Pause';
  stopButton.disabled = !busy;
  refreshTrainButton();
}

/** Train is offered when the spec fits, the settings are sound and nothing is running. */
function refreshTrainButton() {
  const busy = ['loading', 'training', 'paused'].includes(panel.dataset.state);
  const specOk = checkSpec();
  const { problem } = readSettings();
  $('settings-check').textContent = problem ?? '';
  $('settings-check').classList.toggle('error', problem !== undefined);
  const dataOk = datasetPicker.value !== '' && (datasetPicker.value !== 'folder' || folder !== null);
  trainButton.disabled = busy || !specOk || problem !== undefined || !dataOk;
}

function startTraining() {
  const { settings } = readSettings();
  const spec = resolveSpec(specField.value.trim(), geometry().classes);
  const data =
    datasetPicker.value === 'folder'
      ? { kind: 'folder', name: folder.name, files: folder.files, classNames: folder.classNames, input: $('folder-size').value.split(',').map(Number) }
      : { kind: 'served', dataset: datasets.find((d) => d.name === datasetPicker.value), trainCount: settings.trainCount, testCount: settings.testCount };
  run = { epochs: settings.epochs, threads: settings.threads, trainImages: null };
  setState('loading');
  $('train-status').textContent = 'Loading the data…';
  $('train-speed').textContent = '';
  $('train-progress').value = 0;
  worker.postMessage({ type: 'train', root: root.href, data, spec, seed: 1, ...settings });
}

/** 75 s → '1:15'; an hour or more → '1:02:03'. */
function duration(seconds) {
  const s = Math.max(0, Math.round(seconds));
  const pad = (n) => String(n).padStart(2, '0');
  return s >= 3600 ? `${Math.floor(s / 3600)}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}` : `${Math.floor(s / 60)}:${pad(s % 60)}`;
}

function showProgress(p) {
  const seen = (p.epoch - 1) * p.total + p.done;
  const left = p.epochs * p.total - seen;
  $('train-progress').value = p.fraction;
  $('train-status').textContent = `Epoch ${p.epoch} of ${p.epochs}: ${p.done.toLocaleString('en')} of ${p.total.toLocaleString('en')} images, loss ${p.loss.toFixed(3)}, accuracy ${(100 * p.accuracy).toFixed(1)}%.`;
  if (Number.isFinite(p.imagesPerSecond) && p.imagesPerSecond > 0) {
    const threads = run.threads === 1 ? 'one thread' : `${run.threads} threads`;
    $('train-speed').textContent = `${Math.round(p.imagesPerSecond).toLocaleString('en')} images/s · ${threads} · ETA ${duration(left / p.imagesPerSecond)}`;
  }
  lossCurve.add('train', seen, p.loss);
  accuracyCurve.add('train', seen, p.accuracy);
}

function showEpoch(record) {
  const x = record.epoch * run.trainImages;
  if (record.valLoss !== undefined) {
    lossCurve.add('validation', x, record.valLoss);
    accuracyCurve.add('validation', x, record.valAccuracy);
  }
}

const FIGURES = [
  ['confusion', 'Confusion matrix on the test images'],
  ['misclassified', 'The most confident mistakes, each with its Grad-CAM for the class predicted'],
  ['classMeans', 'Per class: the mean image and the mean Grad-CAM map'],
  ['confusionCells', 'Why a t was read as p: the largest confusion cells explained'],
];

function showReport(report) {
  for (const url of figureUrls.splice(0)) URL.revokeObjectURL(url);
  const figures = $('figures');
  figures.replaceChildren();
  for (const [key, caption] of FIGURES) {
    const bytes = report.figures[key];
    if (bytes === undefined) continue;
    const url = URL.createObjectURL(new Blob([bytes], { type: 'image/png' }));
    figureUrls.push(url);
    const figure = document.createElement('figure');
    const image = Object.assign(document.createElement('img'), { src: url, alt: caption });
    image.dataset.figure = key;
    figure.append(image, Object.assign(document.createElement('figcaption'), { textContent: caption }));
    figures.append(figure);
  }
  const accuracy = `${(100 * report.accuracy).toFixed(2)}%`;
  results.dataset.state = report.final ? 'final' : 'partial';
  results.dataset.accuracy = String(report.accuracy);
  $('results-summary').textContent = report.final
    ? `${report.stopped ? 'Stopped early' : 'Trained'}: test accuracy ${accuracy} on ${report.testImages ?? 'the'} test images.`
    : `After this epoch: test accuracy ${accuracy}; the figures follow the training.`;
}

function download(bytes, name) {
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * The trained model as ONNX (opset 13, as `xcnn export` writes it): the model file read on this thread's
 * reference backend and written by the 'xcnn/onnx' encoder, loaded on first use (protobufjs comes through the
 * page's import map; a module worker has no import map, so this is not the training worker's job).
 */
async function downloadOnnx() {
  if (model === null) return;
  const [{ encodeOnnxModel }, { loadModelFromBytes, ReferenceBackend }] = await Promise.all([import('../dist/src/onnx/onnx-export.js'), import('../dist/src/index.js')]);
  const { network, info } = loadModelFromBytes(model.bytes, new ReferenceBackend(), model.name);
  try {
    download(encodeOnnxModel(network, info), model.name.replace(/\.safetensors$/, '.onnx'));
  } finally {
    network.dispose();
  }
}

/** Hands the trained model to the explainer above (page.js), which then explains drawings with it. */
function useTrainedModel() {
  if (model === null) return;
  document.dispatchEvent(new CustomEvent('xcnn:model', { detail: { bytes: model.bytes.slice(), name: model.name, testSet: model.testSet } }));
}

worker.onmessage = ({ data: message }) => {
  if (message.type === 'status') $('train-status').textContent = message.text;
  else if (message.type === 'data') {
    run.trainImages = message.train;
    lossCurve.reset(run.epochs * message.train);
    accuracyCurve.reset(run.epochs * message.train);
    $('train-status').textContent = `${message.name}: ${message.train.toLocaleString('en')} training, ${message.validation.toLocaleString('en')} validation and ${message.test.toLocaleString('en')} test images of ${message.input.join('×')}.`;
    setState('training');
  } else if (message.type === 'progress') showProgress(message);
  else if (message.type === 'epoch') showEpoch(message.record);
  else if (message.type === 'paused') setState(message.paused ? 'paused' : 'training');
  else if (message.type === 'report') {
    showReport(message);
    if (message.final) setState('done');
  } else if (message.type === 'model') {
    model = { bytes: new Uint8Array(message.bytes), name: message.name, testSet: message.testSet };
    for (const id of ['download-safetensors', 'download-onnx', 'use-trained']) $(id).disabled = false;
    if (panel.dataset.state === 'done') useTrainedModel();
  } else if (message.type === 'error') {
    $('train-status').textContent = `Error: ${message.message}`;
    $('train-status').classList.add('error');
    setState(model === null ? 'error' : 'done');
    return;
  }
  $('train-status').classList.remove('error');
};
worker.onerror = (event) => {
  $('train-status').textContent = `The training worker failed: ${event.message ?? 'unknown error'}`;
  setState('error');
};

// A folder's files, from the folder picker or a drop (dropped-files.js: [{ file, path }] either way): the
// class of a picture is the name of the sub-folder it is in; files at the top, or not pictures, are left out.
function takeFolder(entries) {
  const byClass = new Map();
  let skipped = 0;
  let name = 'folder';
  for (const { file, path } of entries) {
    const parts = path.split('/').filter(Boolean);
    name = parts[0] ?? name;
    if (parts.length < 3 || !PICTURE.test(file.name)) {
      skipped++;
      continue;
    }
    const className = parts[parts.length - 2];
    if (!byClass.has(className)) byClass.set(className, []);
    byClass.get(className).push({ file, path });
  }
  const classNames = [...byClass.keys()].sort();
  if (classNames.length < 2) {
    $('train-status').textContent = `${name}: ${classNames.length === 0 ? 'no pictures in sub-folders' : `only one class (${classNames[0]})`}; give one sub-folder of pictures per class, at least two`;
    $('train-status').classList.add('error');
    return;
  }
  const files = classNames.flatMap((className, label) => byClass.get(className).map((f) => ({ ...f, label })));
  folder = { name, files, classNames };
  let option = datasetPicker.querySelector('option[value="folder"]');
  if (option === null) option = datasetPicker.appendChild(Object.assign(document.createElement('option'), { value: 'folder' }));
  option.textContent = `${name} (${files.length} pictures, ${classNames.length} classes)`;
  datasetPicker.value = 'folder';
  $('train-status').classList.remove('error');
  $('train-status').textContent = `${name}: ${files.length} pictures in ${classNames.length} classes (${classNames.join(', ')})${skipped ? `; ${skipped} other files left out` : ''}.`;
  refreshSpecForData();
}

$('folder-input').addEventListener('change', (event) => takeFolder(filesWithPaths(event.target.files)));
const dropZone = $('drop-zone');
for (const type of ['dragenter', 'dragover']) dropZone.addEventListener(type, (event) => {
  event.preventDefault();
  dropZone.classList.add('over');
});
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
dropZone.addEventListener('drop', async (event) => {
  event.preventDefault();
  dropZone.classList.remove('over');
  try {
    takeFolder(await droppedFiles(event.dataTransfer));
  } catch (error) {
    $('train-status').textContent = `The dropped folder could not be read (${error.message ?? error.name}); choose it with the folder picker instead`;
    $('train-status').classList.add('error');
  }
});

/** A preset's spec for the data's classes goes into the field (a spec of one's own stays as typed). */
function refreshSpecForData() {
  if (presetPicker.value !== 'custom') specField.value = ARCHITECTURES[presetPicker.value](geometry().classes);
  refreshTrainButton();
}

for (const name of [...Object.keys(ARCHITECTURES), 'custom']) {
  presetPicker.append(Object.assign(document.createElement('option'), { value: name, textContent: name === 'small' ? 'small (the shipped model\'s)' : name === 'custom' ? 'my own spec' : name }));
}
presetPicker.addEventListener('change', refreshSpecForData);
specField.addEventListener('input', () => {
  presetPicker.value = 'custom';
  refreshTrainButton();
});
for (const id of ['train-count', 'test-count', 'epochs', 'batch', 'learning-rate', 'val-split', 'threads', 'augment']) $(id).addEventListener('input', refreshTrainButton);
datasetPicker.addEventListener('change', refreshSpecForData);
$('folder-size').addEventListener('change', refreshSpecForData);
trainButton.addEventListener('click', startTraining);
pauseButton.addEventListener('click', () => worker.postMessage({ type: panel.dataset.state === 'paused' ? 'resume' : 'pause' }));
stopButton.addEventListener('click', () => worker.postMessage({ type: 'stop' }));
$('download-safetensors').addEventListener('click', () => model && download(model.bytes, model.name));
$('download-onnx').addEventListener('click', () => downloadOnnx().catch((error) => ($('train-status').textContent = `Error: ${error.message}`)));
$('use-trained').addEventListener('click', useTrainedModel);
window.addEventListener('resize', () => {
  lossCurve.resize();
  accuracyCurve.resize();
});
matchMedia(`(resolution: ${window.devicePixelRatio}dppx)`).addEventListener('change', () => {
  lossCurve.resize();
  accuracyCurve.resize();
});

specField.value = SMALL(10);
setUpThreads();
setState('idle');
fetch(new URL('data/datasets.json', root))
  .then((response) => (response.ok ? response.json() : Promise.reject(new Error(`data/datasets.json: ${response.status}`))))
  .then((manifest) => {
    datasets = manifest.datasets;
    for (const dataset of datasets) datasetPicker.append(Object.assign(document.createElement('option'), { value: dataset.name, textContent: dataset.title }));
    refreshSpecForData();
  })
  .catch((error) => {
    $('train-status').textContent = `No data sets to train on (${error.message}); drop a folder of images instead.`;
  });
