// web/explainer-worker.js — the page's network, in a Web Worker so drawing stays smooth while it computes.
//
// It builds the WebAssembly backend from the kernels' bytes (the relaxed-SIMD build where the browser
// validates it, else the plain SIMD one), loads a model from its bytes, and answers each drawing with
// the prediction and an explanation — the same core code `xcnn explain` runs in Node:
//
//   canvas RGBA [H, W, 4] → greyFromRgba → mnistDigit (MNIST-style: ink, crop, 20 × 20 box, centre of mass
//   in 28 × 28) → explainImages(network, one image, method) → probabilities [10], heatmap [28, 28] in [0, 1]
//   → overlay RGBA [28, 28, 4] = (1 − ½)·grey(digit) + ½·jet(heat), as the figures of `xcnn explain`.
//
// Messages in:  { type: 'model', bytes: ArrayBuffer, name }
//               { type: 'explain', id, input, method, picture: { rgba, width, height } }   a drawing
//               { type: 'explain', id, input, method, digit: Uint8Array [784] }            an MNIST digit as is
//               (input: the page's name for what is explained, sent back with the answer)
// Messages out: { type: 'model', name, description, classNames, kernels }  or  { type: 'error', id?, message }
//               { type: 'explained', id, input, predicted, target, probabilities, digit, overlay, method, seconds }
//               { type: 'blank', id } when the drawing holds no stroke yet
import { createWasmBackendFromBytes, explainImages, greyFromRgba, imagesFromPixels, loadModelFromBytes, methodByName, mnistDigit, XcnnError } from '../dist/src/index.js';
import { overlayColor } from '../dist/src/render/overlay.js';
import { jet } from '../dist/src/render/colormap.js';

/** Past this much arena memory (explanations allocate and never free), the backend is built afresh. */
const REBUILD_AFTER_BYTES = 128 * 1024 * 1024;

let kernelBytes = null; // { bytes, build } of the kernels chosen
let backend = null;
let model = null; // { network, info, bytes, name }
let rebuilding = false; // a fresh backend is being built (see REBUILD_AFTER_BYTES)

async function fetchBytes(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function chooseKernels() {
  const relaxed = await fetchBytes('../build/kernels-relaxed.wasm');
  if (WebAssembly.validate(relaxed)) return { bytes: relaxed, build: 'relaxed-simd' };
  return { bytes: await fetchBytes('../build/kernels.wasm'), build: 'simd' };
}

/** A fresh backend with `bytes` (a model file) loaded on it; a file that does not load leaves the previous model in place. */
async function loadModel(bytes, name) {
  kernelBytes ??= await chooseKernels();
  const fresh = await createWasmBackendFromBytes(kernelBytes.bytes, { build: kernelBytes.build, maximumBytes: 1024 * 1024 * 1024 });
  const { network, info } = loadModelFromBytes(bytes, fresh, name);
  backend = fresh;
  model = { network, info, bytes, name };
}

/** 'widths 8,16,32 (63,594 parameters), test accuracy 98.65%', from the model and its metadata. */
function describe({ network, info, name }) {
  const width = (parameter) => network.parameter(parameter).shape[0];
  const parameters = network.parameters.reduce((sum, p) => sum + p.value.length, 0);
  const accuracy = info.metrics?.testAccuracy;
  const trained = typeof accuracy === 'number' ? `, test accuracy ${(100 * accuracy).toFixed(2)}%` : '';
  return `${name}: ${info.dataset}, widths ${width('conv1.bias')},${width('conv2.bias')},${width('fc1.bias')} (${parameters.toLocaleString('en')} parameters)${trained}`;
}

/**
 * The 28 × 28 MNIST-style digit of a message: the drawing preprocessed as `xcnn explain --image` does,
 * or a test digit as it is; null when the drawing is blank (mnistDigit's only complaint).
 */
function digitOf(message) {
  if (message.digit) return message.digit;
  const { rgba, width, height } = message.picture;
  try {
    return mnistDigit(greyFromRgba(new Uint8Array(rgba), width, height), 'the drawing').pixels;
  } catch (error) {
    if (error instanceof XcnnError) return null;
    throw error;
  }
}

/** Explains one digit: the prediction, the method's heatmap drawn over the digit. */
function explain(message, digit) {
  const started = performance.now();
  const method = methodByName(message.method);
  const result = explainImages(model.network, imagesFromPixels(digit, 1), method, { indices: [0] });
  const classes = result.classes;
  const overlay = new Uint8ClampedArray(28 * 28 * 4);
  for (let k = 0; k < 28 * 28; k++) {
    const [r, g, b] = overlayColor(digit[k], result.heatmaps[k], jet);
    overlay.set([r, g, b, 255], 4 * k);
  }
  if (backend.memoryInUse > REBUILD_AFTER_BYTES && !rebuilding) {
    rebuilding = true;
    loadModel(model.bytes, model.name)
      .catch((error) => postMessage({ type: 'error', message: error.message }))
      .finally(() => (rebuilding = false));
  }
  return {
    type: 'explained',
    id: message.id,
    input: message.input,
    method: method.title,
    predicted: result.predicted[0],
    target: result.targets[0],
    probabilities: Array.from(result.probabilities.subarray(0, classes)),
    digit,
    overlay,
    seconds: (performance.now() - started) / 1000,
  };
}

onmessage = async ({ data: message }) => {
  try {
    if (message.type === 'model') {
      await loadModel(new Uint8Array(message.bytes), message.name);
      postMessage({ type: 'model', name: message.name, description: describe(model), classNames: model.info.classNames, kernels: kernelBytes.build });
    } else if (message.type === 'explain') {
      const digit = model === null ? null : digitOf(message);
      postMessage(digit === null ? { type: 'blank', id: message.id } : explain(message, digit));
    }
  } catch (error) {
    postMessage({ type: 'error', id: message.id, message: error instanceof Error ? error.message : String(error) });
  }
};
