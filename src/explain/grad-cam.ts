/**
 * Grad-CAM (Selvaraju et al., 2017, "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", eq. 1–2), batched over an image set.
 *
 * For an image, a target class c and a conv block's activations A [K, h, w] (by default the last one's,
 * explained-layer.ts; for the paper's network `relu2`, the second convolution after its ReLU: K = 64,
 * h = w = 11; `layer` picks another block):
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
 * backpropagate only down to the explained layer with `Network.backwardTo`. It runs on whichever backend the network
 * was built on.
 */
import { checkImageSetKind, checkModel, checkOptionFields, checkOptions } from '../argument-checks.js';
import type { Floats } from '../backend/backend.js';
import { BatchLoader, range, type LoadedBatch } from '../data/batch.js';
import type { ImageSet } from '../data/dataset.js';
import { argmaxRow } from '../model/loss.js';
import { NO_PARAMETER_GRADIENTS, type Network } from '../model/network.js';
import { XcnnError } from '../errors.js';
import { runSteps, type Steps } from '../steps.js';
import { explainedLayer } from './explained-layer.js';
import { allocateExplanation, checkInputs, explanationImage, oneHotTargets, softmaxRow, writeHeatmap, type Explanation, type ExplanationImage, type Targets } from './explanation.js';


export interface GradCamOptions {
  /** The images of the set to explain, in this order (default: all of them). */
  indices?: ArrayLike<number>;
  /** The class to explain for every image (default: each image's predicted class). */
  targetClass?: number;
  /** Images per forward/backward pass. */
  batchSize?: number;
  /** The conv block to explain, by its end's or its conv's name (default: the last block; explained-layer.ts). */
  layer?: string;
}

/** Grad-CAM of N images: an explanation whose maps are ReLU(Σ_k α_k A_k), with its channel weights. */
export interface GradCam extends Explanation {
  layer: string; // the explained block's name
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
 * Runs Grad-CAM of the conv block `layer` (its name, as explainedLayer gives it) over one loaded batch,
 * writing its rows: on this thread by default (`gradCamOfBatch`), or on a thread pool (src/parallel/), which
 * splits the batch and runs gradCamOfBatch on every share. `gradCam` always names the block, the default one too.
 */
export type GradCamRunner = (batch: LoadedBatch, targetClass: number | undefined, out: GradCamRows, layer: string) => void;

export function gradCam(network: Network, set: ImageSet, options: GradCamOptions & { runner?: GradCamRunner } = {}): GradCam {
  checkModel('gradCam', 'network', network);
  checkImageSetKind('gradCam', 'set', set);
  checkOptions('gradCam', options);
  checkOptionFields('gradCam', 'options', options, { indices: 'numbers', targetClass: 'number', batchSize: 'number', layer: 'string', runner: 'function' });
  return runSteps(gradCamSteps(network, set, options));
}

/** `gradCam`, pausing after each batch with the number of images done (steps.ts). */
export function* gradCamSteps(network: Network, set: ImageSet, options: GradCamOptions & { runner?: GradCamRunner } = {}): Steps<GradCam> {
  const classes = network.outputShape[0];
  const explained = explainedLayer(network, options.layer); // before any work: no conv, or an unknown name, is one line
  const [channels, mapHeight, mapWidth] = explained.shape;
  const [inputChannels, height, width] = network.inputShape;
  const requested = options.indices ?? range(0, set.count); // checked as given, then made an Int32Array
  const batchSize = options.batchSize ?? 256;
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) throw new XcnnError(`Grad-CAM: batchSize must be a whole number ≥ 1, not ${batchSize}`, { code: 'ERR_BAD_ARGUMENT' });
  checkInputs(set, requested, options.targetClass, classes, height, width, 'Grad-CAM', inputChannels);
  const indices = Int32Array.from(requested);

  const count = indices.length;
  const mapPixels = mapHeight * mapWidth;
  const result: GradCam = {
    ...allocateExplanation(indices, classes, mapHeight, mapWidth, height, width),
    layer: explained.name,
    channels,
    weights: new Float32Array(count * channels),
  };

  const loader = BatchLoader.inWorkspace(network.workspace, 'grad-cam', set);
  const dLogits = network.workspace.floats('grad-cam.dLogits', classes);
  const run: GradCamRunner = options.runner ?? ((batch, target, out, layer) => gradCamOfBatch(network, batch.input, batch.size, target, out, dLogits.forBatch(batch.size), layer));
  try {
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(start + batchSize, count);
      const batch = loader.load(indices.subarray(start, end));
      run(batch, options.targetClass, {
        logits: result.logits.subarray(start * classes, end * classes),
        weights: result.weights.subarray(start * channels, end * channels),
        maps: result.maps.subarray(start * mapPixels, end * mapPixels),
        heatmaps: result.heatmaps.subarray(start * height * width, end * height * width),
      }, explained.name);
      for (let n = start; n < end; n++) {
        softmaxRow(result.logits, n, classes, result.probabilities.subarray(n * classes, (n + 1) * classes));
        result.predicted[n] = argmaxRow(result.logits, n, classes);
        result.targets[n] = options.targetClass ?? result.predicted[n];
      }
      yield { done: end, total: count };
    }
  } finally {
    network.zeroGrad(); // this thread's passes leave the parameter gradients alone (NO_PARAMETER_GRADIENTS), a runner given may not: leave none behind
  }
  return result;
}

/**
 * Grad-CAM of `size` images on this thread: forward, dLogits = the one-hot rows of the targets (each
 * image's predicted class unless `targetClass` is given, so ∂(Σ_n dLogits_n·logits_n)/∂A_n = ∂y_{c_n}/∂A_n),
 * backward down to the explained layer only (`layer`, default the last conv block), then α, the map and
 * the heatmap of every image into `out`. `dLogits` is [size, classes] scratch in the network's backend.
 */
export function gradCamOfBatch(network: Network, input: Floats, size: number, targetClass: number | undefined, out: GradCamRows, dLogits: Floats, layer?: string): void {
  const explained = explainedLayer(network, layer);
  const [channels, mapHeight, mapWidth] = explained.shape;
  const [, height, width] = network.inputShape;
  const mapPixels = mapHeight * mapWidth;
  const { logits, activations, gradients } = activationsAndGradients(network, input, size, targetClass, dLogits, explained.name);
  out.logits.set(logits);
  const alpha = new Float64Array(channels);
  const map = new Float64Array(mapPixels);
  for (let b = 0; b < size; b++) {
    classActivationMap(activations, gradients, b, channels, mapPixels, alpha, map);
    out.weights.set(alpha, b * channels);
    out.maps.set(map, b * mapPixels);
    writeHeatmap(map, mapHeight, mapWidth, height, width, out.heatmaps.subarray(b * height * width, (b + 1) * height * width));
  }
}

/** What one forward/backward pass gives every method of the CAM family, for a batch of B images. */
export interface ActivationsAndGradients {
  logits: Floats; // [B, classes], the last layer's buffer
  targets: Int32Array; // [B] the class each image is explained for
  activations: Floats; // [B, K, h, w] A, the explained layer's output
  gradients: Floats; // [B, K, h, w] ∂y_c/∂A, a buffer of the next layer's
}

/**
 * The shared part of every CAM method (Grad-CAM and src/explain/methods/cam.ts): forward the batch, keeping
 * the explained layer's output and the later ones' (Network.forwardKeepingFrom: the first block may run in chunks), set
 * dLogits to the one-hot rows of the targets (so ∂(Σ_n dLogits_n·logits_n)/∂A_n = ∂y_{c_n}/∂A_n, image
 * by image), and backpropagate only down to the explained layer (`layer`, default the last conv block).
 * The arrays are the network's buffers: read them before the next pass. `dLogits` is [size, classes]
 * scratch in the network's backend.
 */
export function activationsAndGradients(network: Network, input: Floats, size: number, targets: Targets, dLogits: Floats, layer?: string): ActivationsAndGradients {
  const name = explainedLayer(network, layer).name;
  const logits = network.forwardKeepingFrom(input, size, name);
  const chosen = oneHotTargets(logits, size, network.outputShape[0], targets, dLogits);
  const gradients = network.backwardTo(name, dLogits, NO_PARAMETER_GRADIENTS);
  return { logits, targets: chosen, activations: network.activations(name), gradients };
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
  channelMeans(gradients, n * channels * pixels, channels, pixels, alpha);
  weightedChannelMap(activations, n, channels, pixels, alpha, map);
}

/** Image n's map_p = max(0, Σ_k weights[k] · A[n,k,p]) from activations A [B, K, P]: the CAM map of channel weights. */
export function weightedChannelMap(activations: Floats, n: number, channels: number, pixels: number, weights: ArrayLike<number>, map: Float64Array): void {
  map.fill(0);
  addWeightedChannels(activations, n * channels * pixels, channels, pixels, weights, map);
  for (let p = 0; p < pixels; p++) map[p] = Math.max(0, map[p]);
}

/**
 * means[k] = (1/P) Σ_p values[offset + k·P + p] for k < K, each sum in p's order from 0 — four channels at a time,
 * side by side, so that four chains of additions are in flight instead of one (2× as fast; the same numbers).
 */
export function channelMeans(values: Floats, offset: number, channels: number, pixels: number, means: Float64Array): void {
  let k = 0;
  for (; k + 4 <= channels; k += 4) {
    const o0 = offset + k * pixels, o1 = o0 + pixels, o2 = o1 + pixels, o3 = o2 + pixels;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (let p = 0; p < pixels; p++) {
      s0 += values[o0 + p];
      s1 += values[o1 + p];
      s2 += values[o2 + p];
      s3 += values[o3 + p];
    }
    means[k] = s0 / pixels;
    means[k + 1] = s1 / pixels;
    means[k + 2] = s2 / pixels;
    means[k + 3] = s3 / pixels;
  }
  for (; k < channels; k++) {
    const o = offset + k * pixels;
    let sum = 0;
    for (let p = 0; p < pixels; p++) sum += values[o + p];
    means[k] = sum / pixels;
  }
}

/**
 * map[p] += Σ_k weights[k] · values[offset + k·P + p], each map[p] adding its K terms in k's order — four channels
 * a pass over the map, so that it is read and written a quarter as often (2× as fast; the same numbers).
 */
export function addWeightedChannels(values: Floats, offset: number, channels: number, pixels: number, weights: ArrayLike<number>, map: Float64Array): void {
  let k = 0;
  for (; k + 4 <= channels; k += 4) {
    const o0 = offset + k * pixels, o1 = o0 + pixels, o2 = o1 + pixels, o3 = o2 + pixels;
    const w0 = weights[k], w1 = weights[k + 1], w2 = weights[k + 2], w3 = weights[k + 3];
    for (let p = 0; p < pixels; p++) {
      let m = map[p];
      m += w0 * values[o0 + p];
      m += w1 * values[o1 + p];
      m += w2 * values[o2 + p];
      m += w3 * values[o3 + p];
      map[p] = m;
    }
  }
  for (; k < channels; k++) {
    const o = offset + k * pixels;
    const w = weights[k];
    for (let p = 0; p < pixels; p++) map[p] += w * values[o + p];
  }
}

/** One image of an explanation (Grad-CAM's or any method's), as views (explanation.ts). */
export type GradCamImage = ExplanationImage;
export const gradCamImage = explanationImage;
