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
import { explainableLayers } from '../model/spec.js';
import { placeMap, type Placement } from './placement.js';
import { resizeBilinear } from './resize.js';

/**
 * The layer the CAM family explains by default: the last convolution's block — its output after the bn and
 * relu that follow it (spec.ts explainableLayers). For the paper's network, relu2. A network without a
 * convolution has none, and the CAM methods say so.
 */
export function camLayerOf(network: Network): string {
  const blocks = network.plan === null ? [] : explainableLayers(network.plan);
  if (blocks.length > 0) return blocks[blocks.length - 1].name;
  const spatial = network.layers.filter((layer) => layer.outputShape.length === 3);
  if (network.plan === null && spatial.length > 0) return spatial[spatial.length - 1].name;
  throw new XcnnError('this network has no convolution, so the CAM methods (grad-cam, score-cam, …) have no layer to explain: use an input-gradient or perturbation method');
}

export interface GradCamOptions {
  /** The images of the set to explain, in this order (default: all of them). */
  indices?: ArrayLike<number>;
  /** The class to explain for every image (default: each image's predicted class). */
  targetClass?: number;
  /** Images per forward/backward pass. */
  batchSize?: number;
}

/**
 * What every explanation method of N images gives (src/explain/methods/); every array is row-major with
 * the shape given. The map is the method's raw one: [h, w] on relu2 for the CAM family, [H, W] on the
 * input for the gradient family.
 */
export interface Explanation {
  count: number; // N
  classes: number;
  mapHeight: number; // h
  mapWidth: number; // w
  height: number; // H, the input's
  width: number; // W
  indices: Int32Array; // [N] which images of the set
  logits: Float32Array; // [N, classes]
  probabilities: Float32Array; // [N, classes] softmax of the logits
  predicted: Int32Array; // [N] argmax of the logits
  targets: Int32Array; // [N] the class each map explains
  maps: Float32Array; // [N, h, w] raw
  heatmaps: Float32Array; // [N, H, W] the maps resized and min–max normalised to [0, 1]
}

/** An explanation of the images `indices` with every array allocated (zeros), for a method to fill. */
export function allocateExplanation(indices: Int32Array, classes: number, mapHeight: number, mapWidth: number, height: number, width: number): Explanation {
  const count = indices.length;
  return {
    count, classes, mapHeight, mapWidth, height, width, indices,
    logits: new Float32Array(count * classes),
    probabilities: new Float32Array(count * classes),
    predicted: new Int32Array(count),
    targets: new Int32Array(count),
    maps: new Float32Array(count * mapHeight * mapWidth),
    heatmaps: new Float32Array(count * height * width),
  };
}

/** Grad-CAM of N images: an explanation whose maps are ReLU(Σ_k α_k A_k), with its channel weights. */
export interface GradCam extends Explanation {
  channels: number; // K, the explained layer's channels
  weights: Float32Array; // [N, K] α
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
  const layer = network.layer(camLayerOf(network));
  const [channels, mapHeight, mapWidth] = layer.outputShape;
  const [, height, width] = network.inputShape;
  const indices = Int32Array.from(options.indices ?? range(0, set.count));
  const batchSize = options.batchSize ?? 256;
  checkInputs(set, indices, options.targetClass, classes, height, width);

  const count = indices.length;
  const mapPixels = mapHeight * mapWidth;
  const result: GradCam = {
    ...allocateExplanation(indices, classes, mapHeight, mapWidth, height, width),
    channels,
    weights: new Float32Array(count * channels),
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
  const [channels, mapHeight, mapWidth] = network.layer(camLayerOf(network)).outputShape;
  const [, height, width] = network.inputShape;
  const mapPixels = mapHeight * mapWidth;
  const { logits, activations, gradients } = activationsAndGradients(network, input, size, targetClass, dLogits);
  out.logits.set(logits);
  const alpha = new Float64Array(channels);
  const map = new Float64Array(mapPixels);
  for (let b = 0; b < size; b++) {
    classActivationMap(activations, gradients, b, channels, mapPixels, alpha, map);
    out.weights.set(alpha, b * channels);
    out.maps.set(map, b * mapPixels);
    out.heatmaps.set(heatmapFromMap(map, mapHeight, mapWidth, height, width), b * height * width);
  }
}

/**
 * The class each image of a batch is explained for: one class for all (a number), each image's own
 * (an array, e.g. fixed from an earlier pass), or each image's predicted class (undefined).
 */
export type Targets = number | Int32Array | undefined;

/** dLogits [size, classes] = the one-hot rows of the targets; returns the targets as an array [size]. */
export function oneHotTargets(logits: Floats, size: number, classes: number, targets: Targets, dLogits: Floats): Int32Array {
  const chosen = new Int32Array(size);
  dLogits.fill(0);
  for (let b = 0; b < size; b++) {
    chosen[b] = typeof targets === 'number' ? targets : targets === undefined ? argmaxRow(logits, b, classes) : targets[b];
    dLogits[b * classes + chosen[b]] = 1;
  }
  return chosen;
}

/** What one forward/backward pass gives every method of the CAM family, for a batch of B images. */
export interface LayerGradients {
  logits: Floats; // [B, classes], the last layer's buffer
  targets: Int32Array; // [B] the class each image is explained for
  activations: Floats; // [B, K, h, w] A, relu2's output
  gradients: Floats; // [B, K, h, w] ∂y_c/∂A, a buffer of the next layer's
}

/**
 * The shared part of every CAM method (Grad-CAM and src/explain/methods/cam.ts): forward the batch, set
 * dLogits to the one-hot rows of the targets (so ∂(Σ_n dLogits_n·logits_n)/∂A_n = ∂y_{c_n}/∂A_n, image
 * by image), and backpropagate only down to `relu2`. The arrays are the network's buffers: read them
 * before the next pass. `dLogits` is [size, classes] scratch in the network's backend.
 */
export function activationsAndGradients(network: Network, input: Floats, size: number, targets: Targets, dLogits: Floats): LayerGradients {
  const logits = network.forward(input, size);
  const chosen = oneHotTargets(logits, size, network.outputShape[0], targets, dLogits);
  const layer = camLayerOf(network);
  const gradients = network.backwardTo(layer, dLogits);
  return { logits, targets: chosen, activations: network.activations(layer), gradients };
}

/** Checks a run's images, indices and target class against the model; `what` names the method in the message. */
export function checkInputs(set: ImageSet, indices: Int32Array, targetClass: number | undefined, classes: number, height: number, width: number, what = 'Grad-CAM'): void {
  if (set.height !== height || set.width !== width) {
    throw new XcnnError(`${what}: the images are ${set.height}×${set.width} but the model takes ${height}×${width}`);
  }
  for (const index of indices) {
    if (!Number.isInteger(index) || index < 0 || index >= set.count) {
      throw new XcnnError(`${what}: image index ${index} is outside the set of ${set.count} images (0 to ${set.count - 1})`);
    }
  }
  if (targetClass !== undefined && !(Number.isInteger(targetClass) && targetClass >= 0 && targetClass < classes)) {
    throw new XcnnError(`${what}: class ${targetClass} is outside the model's ${classes} classes (0 to ${classes - 1})`);
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

/**
 * The map [h, w] brought to the input's size [H, W] (by default stretched: bilinear, half-pixel centres; see
 * placement.ts for `receptive-field`) and min–max normalised.
 */
export function heatmapFromMap(map: ArrayLike<number>, mapHeight: number, mapWidth: number, height: number, width: number, placement: Placement = 'stretch'): Float32Array {
  return minMaxNormalize(placement === 'stretch' ? resizeBilinear(map, mapHeight, mapWidth, height, width) : placeMap(map, mapHeight, mapWidth, height, width, placement));
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

/**
 * A signed map for a diverging colormap: v / (2 max|v|) + 1/2, so 0 sits at 0.5, the largest magnitude at 0
 * or 1 and the sign is kept (min–max would put zero wherever the range puts it). All 0.5 (zero) when the
 * map is all zeros or max|v| is not finite, so never NaN. Figures only; the JSON heatmap stays min–max.
 */
export function zeroCentred(values: ArrayLike<number>): Float32Array {
  let largest = 0;
  for (let p = 0; p < values.length; p++) largest = Math.max(largest, Math.abs(values[p]));
  const out = new Float32Array(values.length).fill(0.5);
  if (!(largest > 0 && Number.isFinite(largest))) return out;
  for (let p = 0; p < values.length; p++) out[p] = 0.5 + values[p] / (2 * largest);
  return out;
}

/** out = softmax(logits row b), computed stably in float64 (the max subtracted first). */
export function softmaxRow(logits: Floats, b: number, classes: number, out: Float32Array): void {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[b * classes + k]);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[b * classes + k] - max);
  for (let k = 0; k < classes; k++) out[k] = Math.exp(logits[b * classes + k] - max) / sum;
}

/** One image of an explanation (Grad-CAM's or any method's), as views. */
export interface GradCamImage {
  index: number; // in the image set
  logits: Float32Array; // [classes]
  probabilities: Float32Array; // [classes]
  predicted: number;
  target: number;
  map: Float32Array; // [h, w]
  heatmap: Float32Array; // [H, W]
}

export function gradCamImage(result: Explanation, n: number): GradCamImage {
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
