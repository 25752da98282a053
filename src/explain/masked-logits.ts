/**
 * Score-CAM's masked copies of one image (methods/score-cam.ts) and their logits. For an image x [C, H, W]
 * and its conv block's activations A [K, h, w]:
 *
 *   M_k      = minmax(bilinear(A_k → [H, W]))      channel k as a mask in [0, 1] (all zeros if A_k is flat)
 *   copy k   = x ⊙ M_k  for k < K                  the mask multiplies every input channel
 *   copy K   = the black image (the baseline x_b)
 *
 * The copies are made next to the pass that forwards them (coalition-scores.ts forwardCopies), so a thread
 * pool's worker builds its own share of them — the masks' resizing included — from the image and A
 * (model-passes.ts): the calling thread writes only A, K·h·w numbers an image.
 */
import type { Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import type { BatchBuffer } from '../model/layer.js';
import type { Network } from '../model/network.js';
import { forwardCopies } from './coalition-scores.js';
import type { ExplainableLayer } from './explained-layer.js';
import { minMaxNormalize } from './explanation.js';
import { resizeBilinearInto } from './resize.js';

/** The baseline x_b every mask is measured against: black. */
export const MASK_BASELINE = 0;

/** Channel k's mask M_k [H, W] from its activations A_k [h, w]: bilinear to the input's size, then min–max to [0, 1]. */
export function scoreCamMask(channel: ArrayLike<number>, mapHeight: number, mapWidth: number, height: number, width: number, out = new Float32Array(height * width)): Float32Array {
  return minMaxNormalize(resizeBilinearInto(channel, mapHeight, mapWidth, height, width, out));
}

/** Refuses activations that are not the block's [K, h, w] (a mask a channel: the wrong count would be silent). */
export function checkMaskActivations(activations: Float64Array, block: ExplainableLayer, caller: string): void {
  const length = block.shape[0] * block.shape[1] * block.shape[2];
  if (activations.length !== length) throw new XcnnError(`${caller}: the activations have ${activations.length} values; ${block.name}'s are [${block.shape.join(', ')}], ${length} values: give that block's activations of one image`, { code: 'ERR_BAD_ARGUMENT' });
}

/**
 * The logits [count, classes] of copies first … first + count − 1 of the K + 1 above (the K masked copies of
 * `image` [C, H, W] by its activations [K, h, w] — float64, so any value given is used as it is — then the
 * black image), written into `out`; forwarded CHUNK copies at a time through `copies` (scratch in the
 * network's backend). Each row depends only on its copy, so any split of the K + 1 gives the same rows.
 */
export function maskedLogitsOn(network: Network, image: Floats, activations: Float64Array, mapHeight: number, mapWidth: number, first: number, count: number, copies: BatchBuffer<Floats>, out: Floats): void {
  const [channels, height, width] = network.inputShape;
  const classes = network.outputShape[0];
  const pixels = height * width;
  const mapPixels = mapHeight * mapWidth;
  const maskCount = activations.length / mapPixels;
  const maskRow = new Float32Array(pixels); // one mask at a time, made into this row
  const mask = (k: number, copy: Floats): void => {
    const channel = first + k;
    if (channel === maskCount) {
      copy.fill(MASK_BASELINE);
      return;
    }
    const m = scoreCamMask(activations.subarray(channel * mapPixels, (channel + 1) * mapPixels), mapHeight, mapWidth, height, width, maskRow);
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < pixels; p++) copy[c * pixels + p] *= m[p];
    }
  };
  forwardCopies((batch, size) => network.logits(batch, size), image, count, mask, copies, (start, size, logits) => out.set(logits.subarray(0, size * classes), start * classes));
}
