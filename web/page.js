// web/page.js — the page: a drawing canvas, the ten probabilities, the explanation overlay, a row of MNIST
// test digits, and a model of one's own. The network runs in a Web Worker (explainer-worker.js); this
// thread only draws, and keeps at most one request in flight: while the worker computes, the newest
// drawing waits, and older ones are dropped, so the answer follows the pen as fast as the worker allows.
//
// Switching the method explains again exactly the model input explained last (never the canvas read and
// preprocessed afresh), so only the explanation changes, never the prediction. The page names the model it
// runs — the served file's name (sent by `xcnn serve` in Content-Disposition) or the file picked, its
// architecture, input size and classes — from the model itself.
//
// For tests and curious readers, <main data-state> is 'loading', 'working' or 'ready' (nothing pending),
// #prediction carries data-predicted (the class, or '' when blank) and data-input ('drawing', or
// 'test digit N' for the N-th of the row) of what it shows, and #legend data-colormap ('jet' or 'coolwarm').
import { METHOD_NAMES, parseIdx } from '../dist/src/index.js';
import { isOnnxModel } from '../dist/src/onnx/onnx-sniff.js';
import { DigitCanvas } from './digit-canvas.js';
import { ProbabilityBars } from './probability-bars.js';
import { droppedFiles } from './dropped-files.js';

/** Methods that run a thousand forward passes per drawing (1,024 patch coalitions), tens of times Grad-CAM's time. */
const SLOW_METHODS = new Set(['kernel-shap', 'lime']);
const SIZE = 28; // the row of MNIST test digits (data/page-digits-*), 28 × 28 each
const root = new URL('../', import.meta.url); // the page's root (behind `xcnn serve`, or a static build in any folder)

const app = document.getElementById('app');
const status = document.getElementById('status');
const modelLine = document.getElementById('model');
const legend = document.getElementById('legend');
const legendText = document.getElementById('legend-text');
const prediction = document.getElementById('prediction');
const caption = document.getElementById('explanation-caption');
const methodPicker = document.getElementById('method');
const overlay = document.getElementById('overlay').getContext('2d');
const bars = new ProbabilityBars(document.getElementById('probabilities'));
const worker = new Worker(new URL('./explainer-worker.js', import.meta.url), { type: 'module' });

let classNames = [];
let nextId = 0;
let inFlight = null; // the id of the request the worker is computing
let pending = null; // what to explain next: () => the request's content, or null
let modelReady = false;
let source = { input: 'drawing' }; // what the user gave last: the drawing, or { input: 'test digit N', digit } of the row
let latest = null; // { input, modelInput } of the last explanation the worker made (for this model), or null
const loading = []; // { bytes, name, testSet } of each model file sent to the worker, oldest first (a copy: the worker gets the bytes)

function setStatus(text, isError = false) {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

function updateState() {
  app.dataset.state = !modelReady ? 'loading' : inFlight !== null || pending !== null ? 'working' : 'ready';
}

/** Asks for an explanation of what `content()` returns when the worker is free (the latest ask wins). */
function request(content) {
  pending = content;
  sendPending();
}

function sendPending() {
  if (inFlight !== null || pending === null || !modelReady) return updateState();
  const id = ++nextId;
  const content = pending();
  pending = null;
  inFlight = id;
  const transfer = content.picture ? [content.picture.rgba.buffer] : [];
  worker.postMessage({ type: 'explain', id, method: methodPicker.value, ...content }, transfer);
  updateState();
}

/** The request content for what the user gave last, made into the model's input by the worker. */
function sourceContent() {
  if (source.digit) return { input: source.input, digit: source.digit.slice() };
  if (source.picture) return { input: source.input, picture: { ...source.picture, rgba: source.picture.rgba.slice() } };
  return { input: 'drawing', picture: canvas.pixels() };
}

/** The request content that explains the last explained input again, exactly (another method); else the source. */
function sameInputContent() {
  return latest ? { input: latest.input, modelInput: latest.modelInput.slice() } : sourceContent();
}

const canvas = new DigitCanvas(document.getElementById('drawing'), {
  onStroke: () => {
    source = { input: 'drawing' };
    request(sourceContent);
  },
});

function clearOverlay() {
  overlay.fillStyle = '#000';
  overlay.fillRect(0, 0, overlay.canvas.width, overlay.canvas.height);
}

function showBlank() {
  prediction.textContent = isDigits(classNames) ? 'Draw a digit.' : 'Draw something.';
  prediction.dataset.predicted = '';
  prediction.dataset.input = 'drawing';
  caption.textContent = '';
  bars.show(null, -1);
  clearOverlay();
}

/** The overlay RGBA [H, W, 4] (28 × 28 for MNIST, the model's input size) enlarged onto the overlay canvas, every pixel a sharp square. */
function drawOverlay(rgba, width = SIZE, height = SIZE) {
  const small = new OffscreenCanvas(width, height);
  small.getContext('2d').putImageData(new ImageData(new Uint8ClampedArray(rgba), width, height), 0, 0);
  overlay.imageSmoothingEnabled = false;
  overlay.drawImage(small, 0, 0, overlay.canvas.width, overlay.canvas.height);
}

/** 0.873 → '87.3%'; a probability short of 1 never shows as 100.0% (as in `xcnn explain`'s captions). */
function percent(probability) {
  const text = (100 * probability).toFixed(1);
  return text === '100.0' && probability < 1 ? '>99.9%' : `${text}%`;
}

/** The colorbar and its words: what the colours of the overlay mean for the map shown. */
function showLegend(signed, className) {
  legend.dataset.colormap = signed ? 'coolwarm' : 'jet';
  legendText.textContent = signed
    ? `blue: evidence against ${className} · grey: none · red: evidence for ${className} (zero in the middle, the largest magnitude at the ends)`
    : `blue: little evidence · red: most evidence for ${className} (the map's range)`;
}

function showExplanation(answer) {
  const name = classNames[answer.predicted];
  const p = answer.probabilities[answer.predicted];
  prediction.innerHTML = '';
  prediction.append('It looks like a ', Object.assign(document.createElement('strong'), { textContent: name }), ` (${percent(p)}).`);
  prediction.dataset.predicted = String(answer.predicted);
  prediction.dataset.input = answer.input;
  bars.show(answer.probabilities, answer.predicted, percent);
  drawOverlay(answer.overlay, answer.width, answer.height);
  showLegend(answer.signed, classNames[answer.target]);
  caption.textContent = `${answer.method} for class ${classNames[answer.target]}, computed in ${Math.max(1, Math.round(1000 * answer.seconds))} ms.`;
}

/** Whether the classes are the ten digits (then the page asks for a digit). */
function isDigits(names) {
  return names.length === 10 && names.every((name, k) => name === String(k));
}

/** The model line: which model the page runs, from the model itself. */
function showModel(name, model, kernels) {
  const [channels, height, width] = model.input;
  const classes = `${model.classes} classes (${classNames.length <= 12 ? classNames.join(', ') : `${classNames.slice(0, 10).join(', ')}, …`})`;
  const accuracy = model.testAccuracy === null ? '' : `, test accuracy ${(100 * model.testAccuracy).toFixed(2)}%`;
  modelLine.replaceChildren(
    'Model ',
    Object.assign(document.createElement('strong'), { textContent: name }),
    ': ',
    Object.assign(document.createElement('code'), { textContent: model.spec }),
    `, input ${channels}×${height}×${width}, ${classes}, ${model.dataset}, ${model.parameters.toLocaleString('en')} parameters${accuracy}.`,
  );
  modelLine.dataset.name = name;
  document.getElementById('drawing-title').textContent = isDigits(classNames) ? 'Your digit' : 'Your drawing';
  overlay.canvas.setAttribute('aria-label', `The network's input, ${width} × ${height}${channels === 3 ? ' in colour' : ''}, with the explanation's heatmap over it`);
  setStatus(`Ready; kernels: ${kernels}.`);
}

const methodsFigure = document.getElementById('methods-figure');
let methodsFigureUrl = null;

/** Every method side by side on the input explained last (a drawing or a test digit), as one figure. */
document.getElementById('compare-methods').addEventListener('click', () => {
  if (latest === null) return setStatus('Draw a digit or pick a test digit first: the methods are compared on the input explained last.', true);
  methodsFigure.dataset.state = 'working';
  worker.postMessage({ type: 'compare', modelInput: latest.modelInput.slice() });
});

function showMethodsFigure(answer) {
  if (methodsFigureUrl !== null) URL.revokeObjectURL(methodsFigureUrl);
  methodsFigureUrl = URL.createObjectURL(new Blob([answer.png], { type: 'image/png' }));
  methodsFigure.src = methodsFigureUrl;
  methodsFigure.alt = `Every explanation method's map of class ${classNames[answer.predicted]}, side by side: ${answer.methods.join(', ')}`;
  methodsFigure.hidden = false;
  methodsFigure.dataset.state = 'ready';
  methodsFigure.dataset.methods = String(answer.methods.length);
  const left = answer.skipped.map(({ method, reason }) => `${method} (${reason})`).join('; ');
  setStatus(`${answer.methods.length} methods compared in ${Math.round(1000 * answer.seconds)} ms${left ? `; left out: ${left}` : ''}.`);
}

worker.onmessage = ({ data: answer }) => {
  if (answer.type === 'compared') return showMethodsFigure(answer);
  if (answer.type === 'compare-error') {
    methodsFigure.dataset.state = 'error';
    return setStatus(`Error: ${answer.message}`, true);
  }
  if (answer.type === 'model') {
    modelReady = true;
    classNames = answer.classNames;
    latest = null; // an input made for the previous model may not fit this one
    bars.setClasses(classNames);
    showModel(answer.name, answer.model, answer.kernels);
    // The faithfulness panel (faithfulness-panel.js) measures the model the page runs.
    const loaded = loading.shift(); // the worker answers the model files in the order they were sent
    if (loaded !== undefined) document.dispatchEvent(new CustomEvent('xcnn:model-ready', { detail: { ...loaded, model: answer.model } }));
    showBlank();
    request(sourceContent); // explain what is drawn (or the test digit picked) with the new model
    return;
  }
  if (answer.id !== undefined && answer.id === inFlight) inFlight = null;
  if (answer.type === 'explained') {
    latest = { input: answer.input, modelInput: answer.modelInput };
    if (pending === null) showExplanation(answer); // a newer drawing is waiting: skip to it
  } else if (answer.type === 'blank') {
    latest = null;
    if (pending === null) showBlank();
  } else if (answer.type === 'error') {
    if (answer.id !== undefined) latest = null; // this input was not explained: another method starts from the source
    // A model file that did not load leaves the previous model working (if there was one).
    modelReady = classNames.length > 0;
    if (answer.id === undefined) loading.shift(); // that model file did not load
    setStatus(`Error: ${answer.message}${answer.id === undefined && modelReady ? ' (the previous model is still in use)' : ''}`, true);
  }
  sendPending();
};

worker.onerror = (event) => setStatus(`The worker failed: ${event.message ?? 'unknown error'}`, true);

async function fetchBytes(url) {
  return (await fetchFile(url)).bytes;
}

/** A file's bytes, and its name when the server gives one (Content-Disposition's filename*, RFC 6266). */
async function fetchFile(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  const named = /filename\*=UTF-8''([^;]+)/i.exec(response.headers.get('Content-Disposition') ?? '');
  return { bytes: new Uint8Array(await response.arrayBuffer()), name: named ? decodeURIComponent(named[1]) : null };
}

/** `bytes` (a model file) to the worker; `testSet`: the images it was tested on, when they are no served data set (a folder's). */
function loadModel(bytes, name, testSet = null) {
  loading.push({ bytes: bytes.slice(), name, testSet });
  modelReady = false;
  updateState();
  setStatus(`Loading ${name}…`);
  worker.postMessage({ type: 'model', bytes: bytes.buffer, name }, [bytes.buffer]);
}

/** The row of MNIST test digits: one button each, drawn from the IDX files. */
async function showTestDigits() {
  const images = parseIdx(await fetchBytes(new URL('data/page-digits-images-idx3-ubyte', root)), 'page-digits-images');
  const labels = parseIdx(await fetchBytes(new URL('data/page-digits-labels-idx1-ubyte', root)), 'page-digits-labels');
  const row = document.getElementById('digits');
  for (let n = 0; n < labels.dims[0]; n++) {
    const pixels = images.data.slice(n * SIZE * SIZE, (n + 1) * SIZE * SIZE);
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('aria-label', `MNIST test digit labelled ${labels.data[n]}`);
    button.dataset.label = String(labels.data[n]);
    const thumbnail = document.createElement('canvas');
    thumbnail.width = SIZE;
    thumbnail.height = SIZE;
    const image = new ImageData(SIZE, SIZE);
    for (let k = 0; k < SIZE * SIZE; k++) image.data.set([pixels[k], pixels[k], pixels[k], 255], 4 * k);
    thumbnail.getContext('2d').putImageData(image, 0, 0);
    button.append(thumbnail);
    button.addEventListener('click', () => {
      canvas.clear();
      canvas.showDigit(pixels);
      source = { input: `test digit ${n}`, digit: pixels }; // already MNIST-style: explained as it is
      request(sourceContent);
    });
    row.append(button);
  }
}

for (const name of METHOD_NAMES) {
  const option = document.createElement('option');
  option.value = name;
  option.textContent = SLOW_METHODS.has(name) ? `${name} (slow)` : name;
  methodPicker.append(option);
}
// Another method explains the same input: a request already waiting (a newer stroke) goes with the new
// method as it is; otherwise the input of the last explanation — taken when its answer arrives, if one is
// being computed — is explained again, exactly.
methodPicker.addEventListener('change', () => {
  if (pending === null) request(sameInputContent);
});

/**
 * A picture file (dropped on the page, or opened) explained as `xcnn explain --image FILE` explains it: its
 * pixels as they are in the file (decoded by the browser, no colour conversion), made into the model's input by
 * the worker exactly as a drawing is. The canvas shows it; a stroke drawn over it makes it a drawing again.
 */
async function explainPicture(file) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch {
    return setStatus(`${file.name}: not a picture this browser can decode; give a PNG, JPEG, GIF, BMP or WebP file`, true);
  }
  const { width, height } = bitmap;
  const context = new OffscreenCanvas(width, height).getContext('2d');
  context.drawImage(bitmap, 0, 0);
  canvas.showPicture(bitmap);
  bitmap.close();
  source = { input: `picture ${file.name}`, picture: { rgba: context.getImageData(0, 0, width, height).data, width, height } };
  setStatus(`Explaining ${file.name} (${width} × ${height}).`);
  request(sourceContent);
}

document.getElementById('picture-file').addEventListener('change', (event) => {
  if (event.target.files[0]) explainPicture(event.target.files[0]);
});
// A file dropped anywhere but the studio's drop zone (which takes folders, and says it took the drop) or a file
// input (which takes it as its own) is a picture to explain; without this the browser would leave the page to
// show the file.
const isFileInput = (target) => target instanceof HTMLInputElement && target.type === 'file';
document.addEventListener('dragover', (event) => {
  if (!isFileInput(event.target)) event.preventDefault();
});
document.addEventListener('drop', async (event) => {
  if (event.defaultPrevented || isFileInput(event.target)) return;
  event.preventDefault();
  const files = await droppedFiles(event.dataTransfer).catch(() => []);
  if (files.length === 1 && !files[0].path.includes('/')) return explainPicture(files[0].file);
  setStatus(`Drop one picture here to explain it (this drop held ${files.length === 1 ? 'a folder' : `${files.length} files`}); a folder of pictures to train on goes on the studio's drop zone, below.`, true);
});

document.getElementById('clear').addEventListener('click', () => {
  canvas.clear();
  pending = null;
  source = { input: 'drawing' };
  latest = null;
  showBlank();
  updateState();
});

/**
 * A model file made into one that describes itself (safetensors with xcnn's metadata), the bytes the worker
 * reads, as `xcnn export --format safetensors` converts one: decoded here, on this thread, on the reference
 * backend, then encoded. An ONNX file goes through the 'xcnn/onnx' modules (loaded now, with protobufjs through
 * the page's import map); a PyTorch state_dict (safetensors with no metadata) through decodeModel with the
 * architecture typed beside the file picker — a file xcnn wrote carries its own, and one that differs from the
 * typed one is refused. The explainer, the studio and the faithfulness panel then read it as any model of ours;
 * a file that is no model fails here, in one line.
 */
async function selfDescribingModel(bytes, name, arch) {
  const { decodeModel, encodeModel, ReferenceBackend } = await import('../dist/src/index.js');
  const { network, info } = isOnnxModel(bytes, name)
    ? (await import('../dist/src/onnx/onnx-import.js')).decodeOnnxModel(bytes, name, new ReferenceBackend())
    : decodeModel(bytes, name, new ReferenceBackend(), { arch });
  try {
    return encodeModel(network, info);
  } finally {
    network.dispose();
  }
}

document.getElementById('model-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  const arch = document.getElementById('model-arch').value.trim();
  if (!isOnnxModel(bytes, file.name) && arch === '') return loadModel(bytes, file.name);
  try {
    loadModel(await selfDescribingModel(bytes, file.name, arch), file.name);
  } catch (error) {
    setStatus(`Error: ${error.message}${modelReady ? ' (the previous model is still in use)' : ''}`, true);
  }
});

clearOverlay();
updateState();
// The trained model of the studio (train-panel.js) explains drawings from now on.
document.addEventListener('xcnn:model', ({ detail }) => loadModel(detail.bytes, detail.name, detail.testSet ?? null));

showTestDigits().catch((error) => setStatus(`Cannot load the test digits: ${error.message}`, true));
fetchFile(new URL('model.safetensors', root))
  .then(({ bytes, name }) => loadModel(bytes, name ?? 'model.safetensors'))
  .catch((error) => setStatus(`Cannot load the model: ${error.message}`, true));
