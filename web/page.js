// web/page.js — the page: a drawing canvas, the ten probabilities, the explanation overlay, a row of MNIST
// test digits, and a model of one's own. The network runs in a Web Worker (explainer-worker.js); this
// thread only draws, and keeps at most one request in flight: while the worker computes, the newest
// drawing waits, and older ones are dropped, so the answer follows the pen as fast as the worker allows.
//
// For tests and curious readers, <main data-state> is 'loading', 'working' or 'ready' (nothing pending),
// and #prediction carries data-predicted (the class, or '' when blank) and data-input ('drawing', or
// 'test digit N' for the N-th of the row) of what it shows.
import { METHOD_NAMES, parseIdx } from '../dist/src/index.js';
import { DigitCanvas } from './digit-canvas.js';
import { ProbabilityBars } from './probability-bars.js';

/** Methods that run a thousand forward passes per drawing (1,024 patch coalitions), tens of times Grad-CAM's time. */
const SLOW_METHODS = new Set(['kernel-shap', 'lime']);
const SIZE = 28; // the row of MNIST test digits (data/page-digits-*), 28 × 28 each

const app = document.getElementById('app');
const status = document.getElementById('status');
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

const canvas = new DigitCanvas(document.getElementById('drawing'), {
  onStroke: () => request(() => ({ input: 'drawing', picture: canvas.pixels() })),
});

function clearOverlay() {
  overlay.fillStyle = '#000';
  overlay.fillRect(0, 0, overlay.canvas.width, overlay.canvas.height);
}

function showBlank() {
  prediction.textContent = 'Draw a digit.';
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

function showExplanation(answer) {
  const name = classNames[answer.predicted];
  const p = answer.probabilities[answer.predicted];
  prediction.innerHTML = '';
  prediction.append('It looks like a ', Object.assign(document.createElement('strong'), { textContent: name }), ` (${percent(p)}).`);
  prediction.dataset.predicted = String(answer.predicted);
  prediction.dataset.input = answer.input;
  bars.show(answer.probabilities, answer.predicted, percent);
  drawOverlay(answer.overlay, answer.width, answer.height);
  caption.textContent = `${answer.method} for class ${classNames[answer.target]}, computed in ${Math.max(1, Math.round(1000 * answer.seconds))} ms.`;
}

worker.onmessage = ({ data: answer }) => {
  if (answer.type === 'model') {
    modelReady = true;
    classNames = answer.classNames;
    bars.setClasses(classNames);
    setStatus(`Model ${answer.description}; kernels: ${answer.kernels}.`);
    showBlank();
    request(() => ({ input: 'drawing', picture: canvas.pixels() })); // explain what is drawn already with the new model
    return;
  }
  if (answer.id !== undefined && answer.id === inFlight) inFlight = null;
  if (answer.type === 'explained') {
    if (pending === null) showExplanation(answer); // a newer drawing is waiting: skip to it
  } else if (answer.type === 'blank') {
    if (pending === null) showBlank();
  } else if (answer.type === 'error') {
    // A model file that did not load leaves the previous model working (if there was one).
    modelReady = classNames.length > 0;
    setStatus(`Error: ${answer.message}${answer.id === undefined && modelReady ? ' (the previous model is still in use)' : ''}`, true);
  }
  sendPending();
};

worker.onerror = (event) => setStatus(`The worker failed: ${event.message ?? 'unknown error'}`, true);

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

function loadModel(bytes, name) {
  modelReady = false;
  updateState();
  setStatus(`Loading ${name}…`);
  worker.postMessage({ type: 'model', bytes: bytes.buffer, name }, [bytes.buffer]);
}

/** The row of MNIST test digits: one button each, drawn from the IDX files. */
async function showTestDigits() {
  const images = parseIdx(await fetchBytes('/data/page-digits-images-idx3-ubyte'), 'page-digits-images');
  const labels = parseIdx(await fetchBytes('/data/page-digits-labels-idx1-ubyte'), 'page-digits-labels');
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
      request(() => ({ input: `test digit ${n}`, digit: pixels.slice() })); // already MNIST-style: explained as it is
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
methodPicker.addEventListener('change', () => request(() => ({ input: 'drawing', picture: canvas.pixels() })));

document.getElementById('clear').addEventListener('click', () => {
  canvas.clear();
  pending = null;
  showBlank();
  updateState();
});

document.getElementById('model-file').addEventListener('change', async (event) => {
  const file = event.target.files[0];
  if (file) loadModel(new Uint8Array(await file.arrayBuffer()), file.name);
});

clearOverlay();
updateState();
if (!crossOriginIsolated) setStatus('This page needs cross-origin isolation for WebAssembly threads; open it through `xcnn serve`.', true);
showTestDigits().catch((error) => setStatus(`Cannot load the test digits: ${error.message}`, true));
fetchBytes('/model.safetensors')
  .then((bytes) => loadModel(bytes, 'model.safetensors'))
  .catch((error) => setStatus(`Cannot load the model: ${error.message}`, true));
