/**
 * Grad-CAM (Selvaraju et al., 2017, "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", eq. 1–2), batched over an image set.
 *
 * For an image, a target class c and the last convolutional layer's activations A [K, h, w] (for the
 * paper's network `relu2`, the second convolution after its ReLU: K = 64, h = w = 11):
 *
 *   y_c      the class's logit (before the softmax)
 *   α_k      = (1 / hw) Σ_ij ∂y_c/∂A_kij              one weight per channel: the spatial mean of the gradient
 *   map_ij   = ReLU(Σ_k α_k A_kij)                      [h, w]
 *   heatmap  = minmax(bilinear(map → [H, W]))          [H, W] in [0, 1], the input's size
 *
 * The bilinear resize uses half-pixel centres (OpenCV, PyTorch's align_corners=False; see resize.ts)
 * and the min–max normalisation is per image, with a flat map giving all zeros.
 *
 * One pass per batch gives every image's gradients at once: forward the batch, set dLogits to the
 * one-hot rows of the targets (so ∂(Σ_n dLogits_n·logits_n)/∂A_n = ∂y_{c_n}/∂A_n, image by image), and
 * backpropagate only down to `relu2` with `Network.backwardTo`. It runs on whichever backend the network
 * was built on.
 */
import type { Floats } from '../backend/backend.js';
import { BatchLoader, range, type LoadedBatch } from '../data/batch.js';
import type { ImageSet } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import { BatchBuffer } from '../model/layer.js';
import { argmaxRow } from '../model/loss.js';
import type { Network } from '../model/network.js';
import type { ReLU } from '../model/relu.js';
import { resizeBilinear } from './resize.js';

/** The layer Grad-CAM explains: the last convolutional layer's output after its ReLU. */
export const GRAD_CAM_LAYER = 'relu2';

export interface GradCamOptions {
  /** The images of the set to explain, in this order (default: all of them). */
  indices?: ArrayLike<number>;
  /** The class to explain for every image (default: each image's predicted class). */
  targetClass?: number;
  /** Images per forward/backward pass. */
  batchSize?: number;
}

/** Grad-CAM of N images; every array is row-major with the shape given. */
export interface GradCam {
  count: number; // N
  classes: number;
  channels: number; // K, the explained layer's channels
  mapHeight: number; // h
  mapWidth: number; // w
  height: number; // H, the input's
  width: number; // W
  indices: Int32Array; // [N] which images of the set
  logits: Float32Array; // [N, classes]
  probabilities: Float32Array; // [N, classes] softmax of the logits
  predicted: Int32Array; // [N] argmax of the logits
  targets: Int32Array; // [N] the class each map explains
  weights: Float32Array; // [N, K] α
  maps: Float32Array; // [N, h, w] ReLU(Σ_k α_k A_k), raw
  heatmaps: Float32Array; // [N, H, W] the maps resized and min–max normalised to [0, 1]
}

/** Rows of per-image Grad-CAM outputs for a batch of n images: [n, classes], [n, K], [n, h·w], [n, H·W]. */
export interface GradCamRows {
  logits: Float32Array;
  weights: Float32Array;
  maps: Float32Array;
  heatmaps: Float32Array;
}

/**
 * Runs Grad-CAM over one loaded batch, writing its rows: on this thread by default (`gradCamOfBatch`),
 * or on a thread pool (src/parallel/), which splits the batch and runs gradCamOfBatch on every share.
 */
export type GradCamRunner = (batch: LoadedBatch, targetClass: number | undefined, out: GradCamRows) => void;

export function gradCam(network: Network, set: ImageSet, options: GradCamOptions & { runner?: GradCamRunner } = {}): GradCam {
  const classes = network.outputShape[0];
  const layer = network.layer<ReLU>(GRAD_CAM_LAYER);
  const [channels, mapHeight, mapWidth] = layer.outputShape;
  const [, height, width] = network.inputShape;
  const indices = Int32Array.from(options.indices ?? range(0, set.count));
  const batchSize = options.batchSize ?? 256;
  checkInputs(set, indices, options.targetClass, classes, height, width);

  const count = indices.length;
  const mapPixels = mapHeight * mapWidth;
  const result: GradCam = {
    count, classes, channels, mapHeight, mapWidth, height, width, indices,
    logits: new Float32Array(count * classes),
    probabilities: new Float32Array(count * classes),
    predicted: new Int32Array(count),
    targets: new Int32Array(count),
    weights: new Float32Array(count * channels),
    maps: new Float32Array(count * mapPixels),
    heatmaps: new Float32Array(count * height * width),
  };

  const loader = new BatchLoader(network.backend, set);
  const dLogits = BatchBuffer.floats(network.backend, classes);
  const run: GradCamRunner = options.runner ?? ((batch, target, out) => gradCamOfBatch(network, batch.input, batch.size, target, out, dLogits.forBatch(batch.size)));
  for (let start = 0; start < count; start += batchSize) {
    const end = Math.min(start + batchSize, count);
    const batch = loader.load(indices.subarray(start, end));
    run(batch, options.targetClass, {
      logits: result.logits.subarray(start * classes, end * classes),
      weights: result.weights.subarray(start * channels, end * channels),
      maps: result.maps.subarray(start * mapPixels, end * mapPixels),
      heatmaps: result.heatmaps.subarray(start * height * width, end * height * width),
    });
    for (let n = start; n < end; n++) {
      softmaxRow(result.logits, n, classes, result.probabilities.subarray(n * classes, (n + 1) * classes));
      result.predicted[n] = argmaxRow(result.logits, n, classes);
      result.targets[n] = options.targetClass ?? result.predicted[n];
    }
  }
  network.zeroGrad(); // backwardTo accumulated fc1's and fc2's parameter gradients; leave none behind
  return result;
}

/**
 * Grad-CAM of `size` images on this thread: forward, dLogits = the one-hot rows of the targets (each
 * image's predicted class unless `targetClass` is given, so ∂(Σ_n dLogits_n·logits_n)/∂A_n = ∂y_{c_n}/∂A_n),
 * backward down to the explained layer only, then α, the map and the heatmap of every image into `out`.
 * `dLogits` is [size, classes] scratch in the network's backend.
 */
export function gradCamOfBatch(network: Network, input: Floats, size: number, targetClass: number | undefined, out: GradCamRows, dLogits: Floats): void {
  const classes = network.outputShape[0];
  const layer = network.layer<ReLU>(GRAD_CAM_LAYER);
  const [channels, mapHeight, mapWidth] = layer.outputShape;
  const [, height, width] = network.inputShape;
  const mapPixels = mapHeight * mapWidth;
  const logits = network.forward(input, size);
  out.logits.set(logits);
  dLogits.fill(0);
  for (let b = 0; b < size; b++) dLogits[b * classes + (targetClass ?? argmaxRow(logits, b, classes))] = 1;
  const gradients = network.backwardTo(GRAD_CAM_LAYER, dLogits); // [B, K, h, w] ∂y_c/∂A, read before the next pass
  const activations = layer.activations(); // [B, K, h, w] A
  const alpha = new Float64Array(channels);
  const map = new Float64Array(mapPixels);
  for (let b = 0; b < size; b++) {
    classActivationMap(activations, gradients, b, channels, mapPixels, alpha, map);
    out.weights.set(alpha, b * channels);
    out.maps.set(map, b * mapPixels);
    out.heatmaps.set(heatmapFromMap(map, mapHeight, mapWidth, height, width), b * height * width);
  }
}

function checkInputs(set: ImageSet, indices: Int32Array, targetClass: number | undefined, classes: number, height: number, width: number): void {
  if (set.height !== height || set.width !== width) {
    throw new XcnnError(`Grad-CAM: the images are ${set.height}×${set.width} but the model takes ${height}×${width}`);
  }
  for (const index of indices) {
    if (!Number.isInteger(index) || index < 0 || index >= set.count) {
      throw new XcnnError(`Grad-CAM: image index ${index} is outside the set of ${set.count} images (0 to ${set.count - 1})`);
    }
  }
  if (targetClass !== undefined && !(Number.isInteger(targetClass) && targetClass >= 0 && targetClass < classes)) {
    throw new XcnnError(`Grad-CAM: class ${targetClass} is outside the model's ${classes} classes (0 to ${classes - 1})`);
  }
}

/**
 * Image n's weights and map from the batch's activations A and gradients G, both [B, K, P] with
 * P = h·w pixels:  α_k = (1/P) Σ_p G[n,k,p];  map_p = max(0, Σ_k α_k A[n,k,p]).
 */
export function classActivationMap(
  activations: Floats,
  gradients: Floats,
  n: number,
  channels: number,
  pixels: number,
  alpha: Float64Array,
  map: Float64Array,
): void {
  map.fill(0);
  for (let k = 0; k < channels; k++) {
    const offset = (n * channels + k) * pixels;
    let sum = 0;
    for (let p = 0; p < pixels; p++) sum += gradients[offset + p];
    const a = sum / pixels;
    alpha[k] = a;
    for (let p = 0; p < pixels; p++) map[p] += a * activations[offset + p];
  }
  for (let p = 0; p < pixels; p++) map[p] = Math.max(0, map[p]);
}

/** The map [h, w] brought to the input's size [H, W] (bilinear, half-pixel centres) and min–max normalised. */
export function heatmapFromMap(map: ArrayLike<number>, mapHeight: number, mapWidth: number, height: number, width: number): Float32Array {
  return minMaxNormalize(resizeBilinear(map, mapHeight, mapWidth, height, width));
}

/** (v − min) / (max − min) elementwise; all zeros when the values are flat (or not finite), so never NaN. */
export function minMaxNormalize(values: Float32Array): Float32Array {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const spread = max - min;
  if (!(spread > 0 && Number.isFinite(spread))) return values.fill(0);
  for (let p = 0; p < values.length; p++) values[p] = (values[p] - min) / spread;
  return values;
}

/** out = softmax(logits row b), computed stably in float64 (the max subtracted first). */
function softmaxRow(logits: Floats, b: number, classes: number, out: Float32Array): void {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[b * classes + k]);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[b * classes + k] - max);
  for (let k = 0; k < classes; k++) out[k] = Math.exp(logits[b * classes + k] - max) / sum;
}

/** One image of a Grad-CAM result, as views. */
export interface GradCamImage {
  index: number; // in the image set
  logits: Float32Array; // [classes]
  probabilities: Float32Array; // [classes]
  predicted: number;
  target: number;
  map: Float32Array; // [h, w]
  heatmap: Float32Array; // [H, W]
}

export function gradCamImage(result: GradCam, n: number): GradCamImage {
  const { classes, mapHeight, mapWidth, height, width } = result;
  const slice = (a: Float32Array, size: number) => a.subarray(n * size, (n + 1) * size);
  return {
    index: result.indices[n],
    logits: slice(result.logits, classes),
    probabilities: slice(result.probabilities, classes),
    predicted: result.predicted[n],
    target: result.targets[n],
    map: slice(result.maps, mapHeight * mapWidth),
    heatmap: slice(result.heatmaps, height * width),
  };
}
