/**
 * The kinds of pass every explanation method and faithfulness measure is made of, for a batch of B
 * images already in the network's backend:
 *
 *   logits            forward only                                          [B, classes]
 *   inputGradients    forward, dLogits = one-hot rows of the targets,       [B, classes] and ∂y_{c_b}/∂x_b [B, C, H, W]
 *                     backward to the input (ordinary or guided rule)
 *   camMaps           forward, one-hot dLogits, backward down to a conv      [B, classes] and the maps [B, h·w]
 *                     block (none for a forward-only rule), and a CAM
 *                     rule combining its activations A and gradients G
 *                     into each image's map (cam.ts, cam-rules.ts)
 *   coalitionScores   y_c of the copies of one image that keep only the     [count]
 *                     patches a coalition holds (coalition-scores.ts)
 *   occlusionScores   y_c of the copies of one image with one window each   [count]
 *                     set to the baseline (occlusion-scores.ts); of several
 *                     images' in one pass (occlusionScoresOfImages)
 *   maskedLogits      the logits of Score-CAM's K copies of an image, each   [K + 1, classes] an image
 *                     masked by a channel of its conv block, and of the
 *                     black image (masked-logits.ts), for one image or
 *                     several in one pass
 *   limeFits          LIME's ridge fits of N images' coalition scores        [N, M + 1]
 *                     (ridge-fit.ts): no network pass, but work a
 *                     worker can take from the main thread (its
 *                     coalition draws, one seeded stream, it cannot)
 *   smoothGradMaps    SmoothGrad's S noisy copies of every image, each     [B, H·W]
 *                     forward and backward to the input, their saliency
 *                     maps averaged (smoothgrad-maps.ts): the noise from
 *                     one seeded stream, which each thread of a pool
 *                     jumps ahead to draw its own share
 *
 * `networkPasses` runs them on the calling thread; a thread pool (src/parallel/thread-pool.ts) runs the same
 * passes with the batch split over its threads. Each image's row depends only on that image (the kernels
 * compute a row the same way whatever batch it sits in), so both give the same numbers bit for bit, whatever
 * the thread count. The arrays returned live until the next pass. coalitionScores, occlusionScores and
 * maskedLogits build their copies where they are forwarded: on a pool, each thread makes its own share from the
 * image and a short description of them.
 */
import type { Floats } from '../backend/backend.js';
import { NO_PARAMETER_GRADIENTS, type Network } from '../model/network.js';
import { coalitionScoresOn } from './coalition-scores.js';
import { explainedLayer } from './explained-layer.js';
import { oneHotTargets, type Targets } from './explanation.js';
import { checkMaskActivations, checkMaskedImages, maskedLogitsOn } from './masked-logits.js';
import type { CamCombine } from './methods/cam.js';
import { checkOcclusionImages, occlusionScoresOfImagesOn, occlusionScoresOn } from './occlusion-scores.js';
import { limeFitInto, type LimeOptions } from './ridge-fit.js';
import { checkSmoothGradPass, smoothGradDraws, smoothGradMapsOn } from './smoothgrad-maps.js';
import type { Random } from '../random.js';

export type GradientRule = 'ordinary' | 'guided';

/** ∂y_{c_n}/∂x_n of every image of a batch, with its logits and the classes chosen. */
export interface InputGradients {
  logits: Floats; // [B, classes]
  targets: Int32Array; // [B]
  gradients: Floats; // [B, C, H, W]
}

/**
 * How a CAM method makes an image's map from a conv block's activations A and the gradients G of the target's
 * logit (cam.ts): `combine`, and whether it reads G at all (Eigen-CAM does not: no backward pass). A pool's
 * workers find a rule by its name among cam-rules.ts's.
 */
export interface CamRule {
  name: string; // the method's: 'grad-cam++'
  combine: CamCombine;
  gradients: boolean;
}

/** Every image's CAM map of a batch, with its logits and the classes explained. */
export interface CamMaps {
  logits: Floats; // [B, classes]
  targets: Int32Array; // [B]
  maps: Floats; // [B, h·w] raw, on the block's cells
}

export interface ModelPasses {
  /** The logits [size, classes] of `input` [size, C, H, W]. */
  logits(input: Floats, size: number): Floats;
  /** Forward, one-hot dLogits of `targets` (undefined: each image's predicted class), backward to the input. */
  inputGradients(input: Floats, size: number, targets: Targets, rule?: GradientRule): InputGradients;
  /** Forward, one-hot dLogits, backward down to the conv block `layer` (default the last), `rule`'s map of every image. */
  camMaps(input: Floats, size: number, targets: Targets, rule: CamRule, layer?: string): CamMaps;
  /**
   * y_c of `count` copies of `image` [C, H, W], copy k keeping the patches i with coalitions[k·M + i] = 1 and the
   * others black, featureOf [H·W] being every pixel's patch (coalition-scores.ts). [count] float64.
   */
  coalitionScores(image: Floats, target: number, featureOf: Int32Array, features: number, coalitions: Uint8Array, count: number): Float64Array;
  /**
   * y_c of `count` copies of `image` [C, H, W], copy k with the `window` × `window` window whose top-left corner
   * is corners [count, 2] (y0, x0) set to the baseline (occlusion-scores.ts). [count] float64.
   */
  occlusionScores(image: Floats, target: number, window: number, corners: Int32Array, count: number): Float64Array;
  /**
   * occlusionScores of several images in one pass: `images` [B, C, H, W], image b's copies the corners of copies
   * starts[b] … starts[b + 1] − 1 (starts [B + 1], from 0), scored by the logit of targets[b] [B]. [starts[B]] float64,
   * each image's scores the ones occlusionScores gives it alone (occlusion-scores.ts occlusionScoresOfImagesOn).
   */
  occlusionScoresOfImages(images: Floats, targets: Int32Array, window: number, starts: Int32Array, corners: Int32Array): Float64Array;
  /**
   * The logits [K + 1, classes] of `image` [C, H, W] masked by each channel of `activations` [K, h, w], the
   * conv block `layer`'s (default the last), then of the black image (masked-logits.ts). With `images` > 1, `image`
   * holds that many images and `activations` theirs, and the result is each image's K + 1 rows in turn,
   * [images·(K + 1), classes]: the same rows as one call an image, forwarded in fuller batches.
   */
  maskedLogits(image: Floats, activations: Float64Array, layer?: string, images?: number): Floats;
  /**
   * LIME's fit (ridge-fit.ts limeFit) of each of `count` images from its coalitions [count, samples, M] and their
   * scores [count, samples]: [count, M + 1] float64, each image's β then its intercept.
   */
  limeFits(coalitions: Uint8Array, scores: Float64Array, features: number, samples: number, count: number, options: LimeOptions): Float64Array;
  /**
   * SmoothGrad's maps [size, H·W] float64 of `input` [size, C, H, W] for the classes `targets` [size]: each the mean
   * over `samples` copies, every value plus σ times a gaussian from `random`, of the copy's max_c |∂y_c/∂x|
   * (smoothgrad-maps.ts). `random` moves on by the draws taken (smoothGradDraws), as if drawn one by one in order.
   */
  smoothGradMaps(input: Floats, size: number, targets: Int32Array, samples: number, sigma: number, random: Random): Float64Array;
}

/** The passes on the calling thread, with the network's own buffers. */
export function networkPasses(network: Network): ModelPasses {
  // Nothing is read of the network until a pass runs: a method's default `passes` is made before it checks its arguments.
  const dLogitsFor = (size: number) => network.workspace.floats('passes.dLogits', network.outputShape[0]).forBatch(size);
  return {
    logits: (input, size) => network.logits(input, size),
    inputGradients: (input, size, targets, rule = 'ordinary') => inputGradientsOn(network, input, size, targets, dLogitsFor(size), rule),
    camMaps: (input, size, targets, rule, layer) => {
      const [, mapHeight, mapWidth] = explainedLayer(network, layer).shape;
      const maps = new Float32Array(size * mapHeight * mapWidth);
      return { ...camMapsOn(network, input, size, targets, rule, dLogitsFor(size), maps, layer), maps };
    },
    coalitionScores: (image, target, featureOf, features, coalitions, count) =>
      coalitionScoresOn(network, image, target, featureOf, features, coalitions, count, network.workspace.floats('perturbation.copies', image.length)),
    occlusionScores: (image, target, window, corners, count) => occlusionScoresOn(network, image, target, window, corners, count, network.workspace.floats('perturbation.copies', image.length)),
    occlusionScoresOfImages: (images, targets, window, starts, corners) => {
      const count = checkOcclusionImages(images, targets, window, starts, corners, network.inputShape, network.outputShape[0], 'occlusionScoresOfImages');
      return occlusionScoresOfImagesOn(network, images, targets, window, starts, corners, 0, count, network.workspace.floats('perturbation.copies', images.length / targets.length));
    },
    maskedLogits: (image, activations, layer, images = 1) => {
      const explained = explainedLayer(network, layer);
      const imageSize = checkMaskedImages(image, images, network.inputShape, 'maskedLogits');
      checkMaskActivations(activations, explained, 'maskedLogits', images);
      const [maskCount, mapHeight, mapWidth] = explained.shape;
      const copies = images * (maskCount + 1);
      const logits = network.workspace.floats('passes.maskedLogits', network.outputShape[0]).forBatch(copies); // the backend's precision
      maskedLogitsOn(network, image, activations, mapHeight, mapWidth, 0, copies, network.workspace.floats('score-cam.copies', imageSize), logits, images);
      return logits;
    },
    limeFits: (coalitions, scores, features, samples, count, options) => {
      const fits = new Float64Array(count * (features + 1));
      for (let b = 0; b < count; b++) limeFitInto(coalitions, scores, features, samples, b, options, fits);
      return fits;
    },
    smoothGradMaps: (input, size, targets, samples, sigma, random) => {
      checkSmoothGradPass(input, size, targets, samples, sigma, random, network.inputShape, network.outputShape[0], 'smoothGradMaps');
      const [channels, height, width] = network.inputShape;
      const maps = new Float64Array(size * height * width);
      if (size === 0) return maps;
      const noisy = network.workspace.floats('smoothgrad.noisy', channels * height * width).forBatch(size);
      const dLogits = dLogitsFor(size);
      const gradientsOf = (x: Floats) => inputGradientsOn(network, x, size, targets, dLogits).gradients;
      smoothGradMapsOn(network.inputShape, input, 0, size, size, samples, sigma, random.state(), gradientsOf, noisy, maps);
      random.jump(smoothGradDraws(samples, size, channels * height * width));
      return maps;
    },
  };
}

/** One thread's input-gradient pass, dLogits [size, classes] being scratch in the network's backend. */
export function inputGradientsOn(network: Network, input: Floats, size: number, targets: Targets, dLogits: Floats, rule: GradientRule = 'ordinary'): InputGradients {
  const logits = network.forward(input, size);
  const chosen = oneHotTargets(logits, size, network.outputShape[0], targets, dLogits);
  return { logits, targets: chosen, gradients: network.backwardToInput(dLogits, rule, NO_PARAMETER_GRADIENTS) };
}

/**
 * One thread's CAM pass: forward keeping the block's output and the later ones' (Network.forwardKeepingFrom), dLogits = the one-hot rows of the targets (so ∂(Σ_n dLogits_n·logits_n)/∂A_n
 * = ∂y_{c_n}/∂A_n, image by image), backward down to the block `layer` only (none when the rule reads no
 * gradients), then `rule.combine` image by image into `maps` [size, h·w]. dLogits [size, classes] is scratch in
 * the network's backend.
 */
export function camMapsOn(network: Network, input: Floats, size: number, targets: Targets, rule: CamRule, dLogits: Floats, maps: Floats, layer?: string): { logits: Floats; targets: Int32Array } {
  const explained = explainedLayer(network, layer);
  const [channels, mapHeight, mapWidth] = explained.shape;
  const pixels = mapHeight * mapWidth;
  const logits = network.forwardKeepingFrom(input, size, explained.name);
  const chosen = oneHotTargets(logits, size, network.outputShape[0], targets, dLogits);
  const gradients = rule.gradients ? network.backwardTo(explained.name, dLogits, NO_PARAMETER_GRADIENTS) : null;
  const activations = network.activations(explained.name);
  const map = new Float64Array(pixels);
  for (let b = 0; b < size; b++) {
    // A rule that reads no gradients (Eigen-CAM) is handed A in G's place, and ignores it.
    rule.combine(activations, gradients ?? activations, b, channels, pixels, map);
    maps.set(map, b * pixels);
  }
  return { logits, targets: chosen };
}
