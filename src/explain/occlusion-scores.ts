/**
 * The scores of one image's occluded copies (occlusion, methods/perturbation.ts): copy k of the image
 * [C, H, W] has the w × w window whose top-left corner is corners[k] = (y0, x0) set to the baseline in every
 * channel, and its score is the target's logit y_c of that copy. The copies are made next to the pass that
 * forwards them (coalition-scores.ts forwardCopies), so a thread pool's worker builds its own share from the
 * image and the corners (model-passes.ts): the calling thread writes only the corners, 8 bytes a copy.
 */
import type { Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import type { BatchBuffer } from '../model/layer.js';
import type { Network } from '../model/network.js';
import { BASELINE, forwardCopies, scoreCopies } from './coalition-scores.js';

/** Sets the w × w window at (y0, x0) of `image` [C, H, W] to the baseline, in every channel. */
export function occludeWindow(image: Floats, channels: number, height: number, width: number, y0: number, x0: number, window: number): void {
  const pixels = height * width;
  for (let c = 0; c < channels; c++) {
    for (let y = y0; y < y0 + window; y++) image.fill(BASELINE, c * pixels + y * width + x0, c * pixels + y * width + x0 + window);
  }
}

/**
 * y_c of `count` copies of `image` [C, H, W], copy k with the `window` × `window` window at corners [count, 2]
 * (y0, x0) occluded; forwarded CHUNK copies at a time through `copies` (scratch in the network's backend).
 * Returns [count] float64 (float32 logits, exactly).
 */
export function occlusionScoresOn(network: Network, image: Floats, target: number, window: number, corners: Int32Array, count: number, copies: BatchBuffer<Floats>): Float64Array {
  const [channels, height, width] = network.inputShape;
  const occlude = (k: number, copy: Floats): void => occludeWindow(copy, channels, height, width, corners[2 * k], corners[2 * k + 1], window);
  return scoreCopies((batch, size) => network.logits(batch, size), network.outputShape[0], image, target, count, occlude, copies);
}

/**
 * Several images' occluded copies, as occlusionScoresOn gives each image's: `images` [B, C, H, W], image b's windows
 * the corners of copies starts[b] … starts[b + 1] − 1 (starts [B + 1], from 0 up to the copies' count), each copy
 * scored by the logit of targets[b]. Copies first … first + count − 1 are made here (corners [count, 2] are theirs),
 * so a thread of a pool takes its share of every image's copies as one run, and a chunk of CHUNK copies may hold
 * several images' — GEMM-sized passes and one round trip of the pool for them all. Returns [count] float64.
 */
export function occlusionScoresOfImagesOn(network: Network, images: Floats, targets: Int32Array, window: number, starts: Int32Array, corners: Int32Array, first: number, count: number, copies: BatchBuffer<Floats>): Float64Array {
  const [channels, height, width] = network.inputShape;
  const imageSize = channels * height * width;
  const classes = network.outputShape[0];
  // The image of copy k (counted from `first`): the last b with starts[b] ≤ first + k.
  const imageOf = (k: number): number => {
    let [low, high] = [0, starts.length - 2];
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= first + k) low = middle;
      else high = middle - 1;
    }
    return low;
  };
  const scores = new Float64Array(count);
  forwardCopies(
    (batch, size) => network.logits(batch, size),
    (k) => {
      const b = imageOf(k);
      return images.subarray(b * imageSize, (b + 1) * imageSize);
    },
    count,
    (k, copy) => occludeWindow(copy, channels, height, width, corners[2 * k], corners[2 * k + 1], window),
    copies,
    (start, size, logits) => {
      for (let b = 0; b < size; b++) scores[start + b] = logits[b * classes + targets[imageOf(start + b)]];
    },
  );
  return scores;
}

/**
 * Refuses occluded copies of several images that do not add up: images not B of the model's input (B = starts'
 * length − 1 ≥ 1), targets not B classes, starts not rising from 0, corners fewer than the copies' two each, a window
 * not from 1 to the input's sides. Returns the copies' count, starts[B].
 */
export function checkOcclusionImages(images: Floats, targets: Int32Array, window: number, starts: Int32Array, corners: Int32Array, inputShape: readonly number[], classes: number, caller: string): number {
  const fail = (problem: string) => new XcnnError(`${caller}: ${problem}`, { code: 'ERR_BAD_ARGUMENT' });
  const [channels, height, width] = inputShape;
  const count = starts.length - 1;
  if (count < 1) throw fail(`starts has ${starts.length} entries; give B + 1 for B ≥ 1 images, from 0 up to the copies' count`);
  if (images.length !== count * channels * height * width) throw fail(`the images have ${images.length} values; ${count} images of ${channels} × ${height} × ${width} are ${count * channels * height * width}`);
  if (targets.length !== count) throw fail(`${targets.length} targets for ${count} images; give one class an image`);
  const badTarget = targets.findIndex((c) => !(c >= 0 && c < classes));
  if (badTarget >= 0) throw fail(`target ${targets[badTarget]} of image ${badTarget} is not a class from 0 to ${classes - 1}`);
  if (starts[0] !== 0) throw fail(`starts begins at ${starts[0]}; image 0's copies start at 0`);
  for (let b = 0; b < count; b++) if (starts[b + 1] < starts[b]) throw fail(`starts falls from ${starts[b]} to ${starts[b + 1]} at image ${b + 1}; each image's copies follow the one before's`);
  const copies = starts[count];
  if (corners.length < 2 * copies) throw fail(`${copies} copies need ${2 * copies} corners; ${corners.length} were given`);
  if (!(Number.isSafeInteger(window) && window >= 1 && window <= Math.min(height, width))) throw fail(`the window's side is ${window}; give a whole number from 1 to ${Math.min(height, width)}`);
  return copies;
}
