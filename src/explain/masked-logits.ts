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

/**
 * Refuses activations that are not the block's [K, h, w] for each of `images` images (a mask a channel: the wrong
 * count would be silent).
 */
export function checkMaskActivations(activations: Float64Array, block: ExplainableLayer, caller: string, images = 1): void {
  const length = block.shape[0] * block.shape[1] * block.shape[2];
  if (activations.length === images * length) return;
  const given = images === 1 ? 'of one image' : `of each of the ${images} images, ${images * length} values in all`;
  throw new XcnnError(`${caller}: the activations have ${activations.length} values; ${block.name}'s are [${block.shape.join(', ')}], ${length} values: give that block's activations ${given}`, { code: 'ERR_BAD_ARGUMENT' });
}

/**
 * Refuses a count of images that is not a whole number from 1 up, or images that are not that many of the model's
 * input; returns the size of one image.
 */
export function checkMaskedImages(image: Floats, images: number, inputShape: readonly number[], caller: string): number {
  const imageSize = inputShape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(images) || images < 1) throw new XcnnError(`${caller}: the count of images must be a whole number from 1, got ${images}`, { code: 'ERR_BAD_ARGUMENT' });
  if (image.length !== images * imageSize) {
    const wanted = images === 1 ? `the model takes ${imageSize} (${inputShape.join(' × ')})` : `${images} images of ${imageSize} (${inputShape.join(' × ')}) are ${images * imageSize}`;
    throw new XcnnError(`${caller}: the image has ${image.length} values; ${wanted}`, { code: 'ERR_BAD_ARGUMENT' });
  }
  return imageSize;
}

/**
 * The logits [count, classes] of copies first … first + count − 1 of the K + 1 above (the K masked copies of
 * `image` [C, H, W] by its activations [K, h, w] — float64, so any value given is used as it is — then the
 * black image), written into `out`; forwarded CHUNK copies at a time through `copies` (scratch in the
 * network's backend). Each row depends only on its copy, so any split of the K + 1 gives the same rows.
 *
 * With `images` > 1, `image` holds that many images [images, C, H, W] and `activations` theirs [images, K, h, w],
 * and the copies are every image's K + 1 in turn: copy j is copy j mod (K + 1) of image ⌊j / (K + 1)⌋. A chunk
 * then takes copies of several images into one pass — the GEMM-sized batches a few masks an image would not make.
 */
export function maskedLogitsOn(network: Network, image: Floats, activations: Float64Array, mapHeight: number, mapWidth: number, first: number, count: number, copies: BatchBuffer<Floats>, out: Floats, images = 1): void {
  const [channels, height, width] = network.inputShape;
  const classes = network.outputShape[0];
  const pixels = height * width;
  const imageSize = channels * pixels;
  const mapPixels = mapHeight * mapWidth;
  const maskCount = activations.length / (images * mapPixels);
  const maskRow = new Float32Array(pixels); // one mask at a time, made into this row
  const imageIndex = (k: number) => Math.floor((first + k) / (maskCount + 1)); // copy k's image
  const imageOf = (k: number) => {
    const b = imageIndex(k);
    return image.subarray(b * imageSize, (b + 1) * imageSize);
  };
  const mask = (k: number, copy: Floats): void => {
    const b = imageIndex(k);
    const channel = (first + k) % (maskCount + 1);
    if (channel === maskCount) {
      copy.fill(MASK_BASELINE);
      return;
    }
    const at = (b * maskCount + channel) * mapPixels;
    const m = scoreCamMask(activations.subarray(at, at + mapPixels), mapHeight, mapWidth, height, width, maskRow);
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < pixels; p++) copy[c * pixels + p] *= m[p];
    }
  };
  forwardCopies((batch, size) => network.logits(batch, size), imageOf, count, mask, copies, (start, size, logits) => out.set(logits.subarray(0, size * classes), start * classes));
}
