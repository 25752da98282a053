/**
 * The child side of the peers bench (bench/peers.ts): what every Node tool's driver shares. A driver
 * (bench/peers-xcnn.ts, peers-tfjs.ts, peers-onnxruntime.ts, peers-convnetjs.ts; PyTorch's is
 * bench/peers_pytorch.py) only builds its tool's model of the spec and says how to predict, train a step
 * and run Grad-CAM on a batch; `serveDriver` does the rest, the same way for all of them:
 *
 *   1. builds the model with the shared initial weights and predicts the first test image, then prints
 *      `first <class>` — the parent's clock from spawn to this line is the "time to the first result";
 *   2. loads MNIST and prints `ready {"parameters":…,"detail":…,"optimizer":…,"can":[…]}`;
 *   3. answers, one line each: `train K` (K steps of batch 64, Adam), `infer K` (K forward passes of
 *      batch 256), `gradcam K` (K Grad-CAM passes of batch 256) → the seconds they took;
 *      `accuracy N M` → back to the initial weights and a fresh optimiser, one epoch over the first N
 *      training images in order (batches of 64), then the accuracy on the first M test images, and after
 *      it the last step's loss where the tool gives it (`0.753 0.4121`): the parent checks it against
 *      xcnn's, so a driver whose step differs from xcnn's cannot pass as the same training;
 *      `memory` → the peak resident set size in bytes; `quit`.
 *   On an error it prints `error <message>` and exits with status 1.
 *
 * Batches are given as a slice of an image set (bytes, 0–255): each tool converts them to its own input
 * on every call, as a user's code would, so loading is part of every timed step.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { ImageSet } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import type { NetworkGeometry } from '../src/model/spec.js';
import type { LayoutLayer } from './peers-layout.js';

export const TRAIN_BATCH = 64;
export const INFER_BATCH = 256;
/** Distinct training batches the timed steps cycle through; inference cycles through TEST_BATCHES. */
const TRAIN_BATCHES = 16;
const TEST_BATCHES = 8;

/** What the parent tells a child: a JSON file, whose path is the child's first argument. */
export interface PeerConfig {
  tool: string;
  threads: number;
  /** The tool's own options: `backend` (tfjs: cpu | wasm), `runtime` (ONNX Runtime: web | node). */
  options: Record<string, string>;
  spec: string; // presets resolved
  geometry: NetworkGeometry;
  /** The parameters' names and shapes, in order, as xcnn and PyTorch lay them out (conv OIHW, linear [out, in]). */
  parameters: { name: string; shape: number[] }[];
  /** Float32 little-endian: every parameter's initial value, in order (xcnn's initialisation, seed 1). */
  initPath: string;
  onnxPath: string; // the same initial network as ONNX (xcnn's export)
  /** The spec's layers, planned: kind, arguments, shapes, and how many parameter tensors each has (conv, linear, bn: 2). */
  layers: (LayoutLayer & { args: Record<string, number>; outputShape: number[] })[];
  /** How many of the spec's layers compute the activations Grad-CAM explains (the last conv block, ReLU included). */
  camLayers: number;
  firstImage: number[]; // the first test image's bytes, [C·H·W]
  mnist: { trainImages: string; trainLabels: string; testImages: string; testLabels: string } | null;
}

/** A batch: `count` images of `set` from `start`. */
export interface Batch {
  set: ImageSet;
  start: number;
  count: number;
}

export interface PeerModel {
  parameters: number;
  detail: string; // the tool's version and backend
  optimizer?: string; // when it trains: which optimiser, if not Adam
  predict(batch: Batch): Int32Array | Promise<Int32Array>;
  /** One Adam step; returns the batch's mean cross-entropy before the update, where the tool gives it. */
  trainStep?(batch: Batch): number | void | Promise<number | void>;
  /** The Grad-CAM heatmaps [N, H, W] of each image's predicted class. */
  gradCam?(batch: Batch): Float32Array | Promise<Float32Array>;
  /** Back to the initial weights, with a fresh optimiser. */
  reset(): void | Promise<void>;
}

/** The config in the file the command line names. */
export function peerConfig(): PeerConfig {
  return JSON.parse(readFileSync(process.argv[2], 'utf8')) as PeerConfig;
}

/** The initial parameters, one array each, in the config's order. */
export function initialParameters(config: PeerConfig): Float32Array[] {
  const bytes = readFileSync(config.initPath);
  const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  let at = 0;
  return config.parameters.map(({ shape }) => {
    const size = shape.reduce((a, b) => a * b, 1);
    at += size;
    return all.slice(at - size, at);
  });
}

/** The images of a batch as floats in [0, 1], [N, C·H·W] (NCHW). */
export function batchFloats(batch: Batch): Float32Array {
  const pixels = batch.set.images.length / batch.set.count;
  const bytes = batch.set.images.subarray(batch.start * pixels, (batch.start + batch.count) * pixels);
  const out = new Float32Array(bytes.length);
  for (let k = 0; k < bytes.length; k++) out[k] = bytes[k] / 255;
  return out;
}

/** The labels of a batch. */
export function batchLabels(batch: Batch): Int32Array {
  return Int32Array.from(batch.set.labels.subarray(batch.start, batch.start + batch.count));
}

/** The index of the largest of each row of `values` [N, classes]. */
export function argmaxRows(values: ArrayLike<number>, classes: number): Int32Array {
  const count = values.length / classes;
  const out = new Int32Array(count);
  for (let n = 0; n < count; n++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (values[n * classes + c] > values[n * classes + best]) best = c;
    out[n] = best;
  }
  return out;
}

/** Per-image min–max normalisation of heatmaps [N, size], in place: a flat map gives zeros (as xcnn's). */
export function minMaxRows(maps: Float32Array, size: number): Float32Array {
  for (let at = 0; at < maps.length; at += size) {
    let low = Infinity;
    let high = -Infinity;
    for (let k = at; k < at + size; k++) {
      low = Math.min(low, maps[k]);
      high = Math.max(high, maps[k]);
    }
    for (let k = at; k < at + size; k++) maps[k] = high > low ? (maps[k] - low) / (high - low) : 0;
  }
  return maps;
}

function firstImageSet(config: PeerConfig): ImageSet {
  const { channels, height, width } = config.geometry;
  return { count: 1, channels, height, width, images: Uint8Array.from(config.firstImage), labels: new Uint8Array(1) };
}

/** Runs the protocol above for the model `build` makes from the config. */
export async function serveDriver(build: (config: PeerConfig) => Promise<PeerModel>): Promise<void> {
  try {
    const config = peerConfig();
    const model = await build(config);
    const [first] = await model.predict({ set: firstImageSet(config), start: 0, count: 1 });
    console.log(`first ${first}`);

    const { train, test } = loadDataset();
    const can = ['infer', ...(model.trainStep ? ['train'] : []), ...(model.gradCam ? ['gradcam'] : [])];
    console.log(`ready ${JSON.stringify({ parameters: model.parameters, detail: model.detail, optimizer: model.optimizer ?? null, can })}`);

    let trainAt = 0;
    let testAt = 0;
    const timed = async (count: number, one: () => unknown): Promise<number> => {
      const started = performance.now();
      for (let k = 0; k < count; k++) await one();
      return (performance.now() - started) / 1000;
    };
    const nextTrain = (): Batch => ({ set: train, start: (trainAt++ % TRAIN_BATCHES) * TRAIN_BATCH, count: TRAIN_BATCH });
    const nextTest = (): Batch => ({ set: test, start: (testAt++ % TEST_BATCHES) * INFER_BATCH, count: INFER_BATCH });

    for await (const line of createInterface({ input: process.stdin })) {
      const [command, ...numbers] = line.trim().split(/\s+/);
      const [a, b] = numbers.map(Number);
      if (command === 'quit') break;
      else if (command === 'train' && model.trainStep) console.log((await timed(a, () => model.trainStep!(nextTrain()))).toFixed(6));
      else if (command === 'infer') console.log((await timed(a, () => model.predict(nextTest()))).toFixed(6));
      else if (command === 'gradcam' && model.gradCam) console.log((await timed(a, () => model.gradCam!(nextTest()))).toFixed(6));
      else if (command === 'accuracy' && model.trainStep) console.log((await accuracy(model, train, test, a, b)).join(' '));
      else if (command === 'memory') console.log(String(process.resourceUsage().maxRSS * 1024));
      else throw new Error(`unknown command '${line.trim()}'`);
    }
    process.exit(0);
  } catch (error) {
    console.log(`error ${error instanceof Error ? error.message : String(error)}`.replace(/\n/g, ' '));
    process.exit(1);
  }
}

/**
 * One epoch over the first `trainCount` training images from the initial weights, then the accuracy on the
 * first `testCount` test images: [accuracy] or [accuracy, the last step's loss].
 */
async function accuracy(model: PeerModel, train: ImageSet, test: ImageSet, trainCount: number, testCount: number): Promise<number[]> {
  await model.reset();
  let loss: number | void = undefined;
  for (let start = 0; start + TRAIN_BATCH <= trainCount; start += TRAIN_BATCH) loss = await model.trainStep!({ set: train, start, count: TRAIN_BATCH });
  let right = 0;
  for (let start = 0; start < testCount; start += INFER_BATCH) {
    const count = Math.min(INFER_BATCH, testCount - start);
    const predicted = await model.predict({ set: test, start, count });
    predicted.forEach((label, k) => (right += label === test.labels[start + k] ? 1 : 0));
  }
  return typeof loss === 'number' ? [right / testCount, loss] : [right / testCount];
}
