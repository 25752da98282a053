// web/explainer-worker.js — the page's network, in a Web Worker so drawing stays smooth while it computes.
//
// It builds the WebAssembly backend from the kernels' bytes (the relaxed-SIMD build where the browser
// validates it, else the plain SIMD one), loads a model from its bytes, and answers each drawing with
// the prediction and an explanation — the same core code `xcnn explain` runs in Node:
//
//   canvas RGBA → the model's input [C, H, W]: for a 1 × 28 × 28 model greyFromRgba → mnistDigit (MNIST-style:
//   ink, crop, 20 × 20 box, centre of mass in 28 × 28); for any other model modelImageFromRgba (its channels,
//   resized to its size) → explainImages(network, one image, method) → probabilities [classes], heatmap
//   [H, W] → overlay RGBA [H, W, 4] = (1 − ½)·input + ½·colour(heat), the input in grey or in colour, as the
//   figures of `xcnn explain` draw it: a signed map on the input (method.signed: both signs mean something)
//   zero-centred, v / (2 max|v|) + ½, in the diverging coolwarm (blue −, grey 0, red +); any other map
//   min–max normalised in jet. A CAM method on a network without a conv answers with its one-line error.
//
// Messages in:  { type: 'model', bytes: ArrayBuffer, name }
//               { type: 'explain', id, input, method, picture: { rgba, width, height } }   a drawing
//               { type: 'explain', id, input, method, digit: Uint8Array [784] }            an MNIST digit (as is for a
//                                                                                         1 × 28 × 28 model, else converted)
//               { type: 'explain', id, input, method, modelInput: Uint8Array [C·H·W] }     an input explained before,
//                                                                                         again as it is (another method)
//               (input: the page's name for what is explained, sent back with the answer)
// Messages out: { type: 'model', name, description, model: { spec, input, classes, dataset, parameters, testAccuracy },
//                 classNames, kernels }  or  { type: 'error', id?, message }
//               { type: 'explained', id, input, predicted, target, probabilities, modelInput, overlay, width, height,
//                 method, signed, seconds }   (modelInput: the model's input [C, H, W] that was explained)
//               { type: 'blank', id } when the drawing holds no stroke yet
// and, for every method side by side on one input:
//   in:  { type: 'compare', modelInput: Uint8Array [C·H·W] }   (an input explained before)
//   out: { type: 'compared', png, methods, skipped: [{ method, reason }], predicted, seconds }  the figure of
//        `xcnn faithfulness` (methodsComparisonPng): the input, then a column per method, each map of the
//        predicted class; a signed map zero-centred in coolwarm. A method the network cannot take (a CAM
//        method without a conv layer) is left out, with its reason.
import { createWasmBackendFromBytes, explainImages, greyFromRgba, loadModelFromBytes, METHOD_NAMES, methodByName, methodsComparisonPng, mnistDigit, XcnnError, zeroCentred } from '../dist/src/index.js';
import { modelImageFromRgba } from '../dist/src/explain/model-image.js';
import { inputColour, overlayColor } from '../dist/src/render/overlay.js';
import { coolwarm, jet } from '../dist/src/render/colormap.js';

let kernelBytes = null; // { bytes, build } of the kernels chosen
let backend = null;
let model = null; // { network, info, name }

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

/**
 * `bytes` (a model file) loaded on the worker's one backend, the previous model disposed so the next reuses
 * its memory (the network keeps its buffers between drawings, so memory stays flat however long the page
 * is used); a file that does not load leaves the previous model in place.
 */
async function loadModel(bytes, name) {
  kernelBytes ??= await chooseKernels();
  backend ??= await createWasmBackendFromBytes(kernelBytes.bytes, { build: kernelBytes.build, maximumBytes: 1024 * 1024 * 1024 });
  const { network, info } = loadModelFromBytes(bytes, backend, name);
  model?.network.dispose();
  model = { network, info, name };
}

/** What the page shows of a model, from the network and its metadata. */
function summary({ network, info }) {
  const accuracy = info.metrics?.testAccuracy;
  return {
    spec: network.spec ?? 'a network built by hand',
    input: [...network.inputShape], // [C, H, W]
    classes: info.classNames.length,
    dataset: info.dataset,
    parameters: network.parameters.reduce((sum, p) => sum + p.value.length, 0),
    testAccuracy: typeof accuracy === 'number' ? accuracy : null,
  };
}

/** 'name: mnist, 1×28×28, conv(8,3) relu … (63,594 parameters), test accuracy 98.65%', from the model and its metadata. */
function describe(model) {
  const s = summary(model);
  const trained = s.testAccuracy === null ? '' : `, test accuracy ${(100 * s.testAccuracy).toFixed(2)}%`;
  return `${model.name}: ${s.dataset}, ${s.input.join('×')}, ${s.spec} (${s.parameters.toLocaleString('en')} parameters)${trained}`;
}

/** Whether the model takes MNIST's 1 × 28 × 28 (then drawings get MNIST's preprocessing, and test digits go in as they are). */
function takesMnist(network) {
  const [channels, height, width] = network.inputShape;
  return channels === 1 && height === 28 && width === 28;
}

/** A 28 × 28 grey digit (white ink on black) as RGBA, for converting to another model's input. */
function digitRgba(digit) {
  const rgba = new Uint8Array(digit.length * 4);
  for (let k = 0; k < digit.length; k++) rgba.set([digit[k], digit[k], digit[k], 255], 4 * k);
  return rgba;
}

/**
 * The model's input [C, H, W] of a message, as `xcnn explain --image` makes it: for a 1 × 28 × 28 model the
 * drawing preprocessed MNIST-style, or a test digit as it is (null when the drawing is blank, mnistDigit's
 * only complaint); for any other model the drawing or digit converted to its channels and size. An input
 * explained before (`modelInput`) is taken as it is, so another method explains exactly the same input.
 */
function modelInputOf(message) {
  const [channels, height, width] = model.network.inputShape;
  if (message.modelInput) {
    if (message.modelInput.length !== channels * height * width) throw new XcnnError(`the input to explain again has ${message.modelInput.length} values, but the model takes ${channels}×${height}×${width}`);
    return message.modelInput;
  }
  if (!takesMnist(model.network)) {
    const picture = message.digit ? { rgba: digitRgba(message.digit), width: 28, height: 28 } : message.picture;
    return modelImageFromRgba(new Uint8Array(picture.rgba), picture.width, picture.height, channels, height, width, 'the drawing');
  }
  if (message.digit) return message.digit;
  const { rgba, width: pictureWidth, height: pictureHeight } = message.picture;
  try {
    return mnistDigit(greyFromRgba(new Uint8Array(rgba), pictureWidth, pictureHeight), 'the drawing').pixels;
  } catch (error) {
    if (error instanceof XcnnError) return null;
    throw error;
  }
}

/** Explains one input [C, H, W]: the prediction, the method's heatmap drawn over the input. */
function explain(message, modelInput) {
  const started = performance.now();
  const method = methodByName(message.method);
  const [channels, height, width] = model.network.inputShape;
  const set = { count: 1, channels, height, width, images: modelInput, labels: new Uint8Array(1) };
  const result = explainImages(model.network, set, method, { indices: [0] });
  const classes = result.classes;
  // As `xcnn explain` decides: a signed map on the input is drawn zero-centred in the diverging colormap.
  const signed = method.signed === true && result.mapHeight === height && result.mapWidth === width;
  const heat = signed ? zeroCentred(result.maps) : result.heatmaps;
  const colormap = signed ? coolwarm : jet;
  const overlay = new Uint8ClampedArray(height * width * 4);
  const image = { width, height, channels, pixels: modelInput, heatmap: heat };
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = overlayColor(inputColour(image, x, y), heat[y * width + x], colormap);
      overlay.set([r, g, b, 255], 4 * (y * width + x));
    }
  }
  return {
    type: 'explained',
    id: message.id,
    input: message.input,
    method: method.title,
    predicted: result.predicted[0],
    target: result.targets[0],
    probabilities: Array.from(result.probabilities.subarray(0, classes)),
    modelInput,
    overlay,
    width,
    height,
    signed,
    seconds: (performance.now() - started) / 1000,
  };
}

/** Every method on one input [C, H, W], side by side in one figure (the faithfulness command's). */
function compareMethods(modelInput) {
  const started = performance.now();
  const [channels, height, width] = model.network.inputShape;
  if (modelInput.length !== channels * height * width) throw new XcnnError(`the input to compare has ${modelInput.length} values, but the model takes ${channels}×${height}×${width}`);
  const set = { count: 1, channels, height, width, images: modelInput, labels: new Uint8Array(1) };
  const titles = [];
  const maps = [];
  const signed = [];
  const skipped = [];
  let predicted = null;
  for (const name of METHOD_NAMES) {
    const method = methodByName(name);
    let result;
    try {
      result = explainImages(model.network, set, method, { indices: [0] });
    } catch (error) {
      if (!(error instanceof XcnnError)) throw error;
      skipped.push({ method: name, reason: error.message });
      continue;
    }
    predicted = result.predicted[0];
    const onInput = method.signed === true && result.mapHeight === height && result.mapWidth === width;
    titles.push(method.title);
    maps.push(onInput ? result.maps : result.heatmaps); // methodsComparisonPng zero-centres a signed map itself
    signed.push(onInput);
  }
  const className = model.info.classNames[predicted] ?? String(predicted);
  const row = { pixels: modelInput, label: `→${className.length <= 3 ? className : predicted}`, correct: true, heatmaps: maps };
  const png = methodsComparisonPng(titles, [row], { width, height, channels, signed, title: `Each method's map of the predicted class, ${className}` });
  return { type: 'compared', png, methods: titles, skipped, predicted, seconds: (performance.now() - started) / 1000 };
}

onmessage = async ({ data: message }) => {
  try {
    if (message.type === 'model') {
      await loadModel(new Uint8Array(message.bytes), message.name);
      postMessage({ type: 'model', name: message.name, description: describe(model), model: summary(model), classNames: model.info.classNames, kernels: kernelBytes.build });
    } else if (message.type === 'explain') {
      const modelInput = model === null ? null : modelInputOf(message);
      postMessage(modelInput === null ? { type: 'blank', id: message.id } : explain(message, modelInput));
    } else if (message.type === 'compare') {
      if (model === null) throw new XcnnError('no model loaded yet');
      const answer = compareMethods(message.modelInput);
      postMessage(answer, [answer.png.buffer]);
    }
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    postMessage(message.type === 'compare' ? { type: 'compare-error', message: text } : { type: 'error', id: message.id, message: text });
  }
};
