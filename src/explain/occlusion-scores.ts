/**
 * The scores of one image's occluded copies (occlusion, methods/perturbation.ts): copy k of the image
 * [C, H, W] has the w × w window whose top-left corner is corners[k] = (y0, x0) set to the baseline in every
 * channel, and its score is the target's logit y_c of that copy. The copies are made next to the pass that
 * forwards them (coalition-scores.ts forwardCopies), so a thread pool's worker builds its own share from the
 * image and the corners (model-passes.ts): the calling thread writes only the corners, 8 bytes a copy.
 */
import type { Floats } from '../backend/backend.js';
import type { BatchBuffer } from '../model/layer.js';
import type { Network } from '../model/network.js';
import { BASELINE, scoreCopies } from './coalition-scores.js';

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
