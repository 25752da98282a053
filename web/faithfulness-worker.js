// web/faithfulness-worker.js — the studio's faithfulness table, measured in a Web Worker of its own so that
// neither drawing (explainer-worker.js) nor training (trainer-worker.js) waits for it.
//
// It runs exactly what `xcnn faithfulness --model FILE --n N` runs (src/faithfulness/faithfulness.ts:
// measureFaithfulness with the command's defaults — 28 steps, seed 1, the randomisation check on the first
// min(100, N) images, the seeded methods seeded with it — on every method that applies to the network) on the
// first N test images of the model's data set, and answers with faithfulnessJson (the numbers of the
// command's faithfulness.json) and the table's cells (faithfulnessCells, the command's and the report's).
//
// Messages in:  { type: 'measure', root, model: { bytes: ArrayBuffer, name }, count,
//                 data: { kind: 'served', dataset }  (a manifest entry: its first `count` test images)
//                     | { kind: 'images', name, set } (an image set [N, C, H, W] held by the page: a folder's test split) }
// Messages out: { type: 'progress', fraction, text }
//               { type: 'measured', json, cells: string[][] (a row per method, FAITHFULNESS_COLUMNS' order), seconds }
//               { type: 'error', message }
import { createWasmBackendFromBytes, faithfulnessJson, loadModelFromBytes, measureFaithfulness, METHOD_NAMES, methodByName, XcnnError } from '../dist/src/index.js';
import { faithfulnessCells } from '../dist/src/faithfulness/format.js';
import { explainableLayersOf } from '../dist/src/explain/explained-layer.js';
import { needsConvLayer } from '../dist/src/explain/methods/explain.js';
import { servedTestSet } from './training-data.js';

/** `xcnn faithfulness`'s defaults (src/cli/faithfulness-command.ts): the page measures as the command does. */
const COMMAND_DEFAULTS = { steps: 28, seed: 1, sanity: 100 };

let backend = null;

async function kernels(root) {
  const fetchBytes = async (path) => new Uint8Array(await (await fetch(new URL(path, root))).arrayBuffer());
  const relaxed = await fetchBytes('build/kernels-relaxed.wasm');
  if (WebAssembly.validate(relaxed)) return { bytes: relaxed, build: 'relaxed-simd' };
  return { bytes: await fetchBytes('build/kernels.wasm'), build: 'simd' };
}

/** The methods `xcnn faithfulness` measures by default: every one, less the CAM family on a network without a conv. */
function methodsFor(network) {
  const hasConv = explainableLayersOf(network).length > 0;
  return METHOD_NAMES.filter((name) => hasConv || !needsConvLayer(methodByName(name)));
}

/** The images measured: the first `count` of the test set, which must fit the network's input and classes. */
async function testImages(message, network) {
  const { data, count } = message;
  const set = data.kind === 'served' ? await servedTestSet(message.root, data.dataset, count) : data.set;
  const name = data.kind === 'served' ? data.dataset.title : data.name;
  const [channels, height, width] = network.inputShape;
  if (set.channels !== channels || set.height !== height || set.width !== width) {
    throw new XcnnError(`${name}: its images are ${set.channels}×${set.height}×${set.width}, but the model takes ${channels}×${height}×${width}; measure a model of this data`);
  }
  const classes = network.outputShape[0];
  if (set.labels.some((label) => label >= classes)) throw new XcnnError(`${name}: its labels go beyond the model's ${classes} classes; measure a model of this data`);
  return { set, name, count: Math.min(count, set.count) };
}

async function measure(message) {
  const started = performance.now();
  postMessage({ type: 'progress', fraction: 0, text: 'Loading the model and the images…' });
  if (backend === null) {
    const chosen = await kernels(message.root);
    backend = await createWasmBackendFromBytes(chosen.bytes, { build: chosen.build, maximumBytes: 1024 * 1024 * 1024 });
  }
  const { network, info } = loadModelFromBytes(new Uint8Array(message.model.bytes), backend, message.model.name);
  try {
    const { set, name, count } = await testImages(message, network);
    const methods = methodsFor(network);
    const { steps, seed, sanity } = COMMAND_DEFAULTS;
    // Progress: the random order's curves, then each method's explain, curves and randomisation, in turn.
    const phases = ['explain', 'curves', 'randomisation'];
    const onProgress = (method, phase, done, total) => {
      const m = method === 'random' ? -1 : methods.indexOf(method);
      const within = method === 'random' ? done / total : (phases.indexOf(phase) + done / Math.max(1, total)) / phases.length;
      postMessage({ type: 'progress', fraction: (m + 1 + within) / (methods.length + 1), text: `${method}: ${phase}, ${done} of ${total} images` });
    };
    const indices = Array.from({ length: count }, (_, n) => n);
    const methodOptions = { smoothGrad: { seed }, kernelShap: { seed }, lime: { seed } };
    const result = measureFaithfulness(network, set, indices, { methods, steps, seed, randomisationImages: sanity, methodOptions, onProgress });
    const json = faithfulnessJson(result, { model: message.model.name, dataset: info.dataset ?? name });
    postMessage({ type: 'measured', json, cells: result.methods.map(faithfulnessCells), seconds: (performance.now() - started) / 1000 });
  } finally {
    network.dispose();
  }
}

onmessage = async ({ data: message }) => {
  try {
    if (message.type === 'measure') await measure(message);
  } catch (error) {
    postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
  }
};
