/**
 * The scores of one image's patch coalitions (KernelSHAP's and LIME's f(z) = y_c(h(z)), perturbation.ts): copy
 * k of the image [C, H, W] keeps the patches i with z_ki = 1 and sets the others to the baseline, and its score
 * is the target's logit y_c of that copy. The copies are made next to the pass that forwards them, CHUNK at a
 * time, so a thread pool's worker builds its own share of them from the image, the pixels' patches and the
 * coalitions (model-passes.ts): the calling thread writes only the coalitions, M bytes a copy.
 */
import type { Floats } from '../backend/backend.js';
import type { BatchBuffer } from '../model/layer.js';
import type { Network } from '../model/network.js';

/** Perturbed copies of one image forwarded per pass: a GEMM-sized batch. */
export const CHUNK = 128;

/** The baseline x′ a patch left out of a coalition is set to: black. */
export const BASELINE = 0;

/**
 * Forwards `count` perturbed copies of one image [C, H, W], CHUNK at a time through `copies` (scratch in the
 * network's backend): `perturb(k, copy)` writes copy k, which starts as the image — or, when `image` is a
 * function, as image(k), the copies then coming from several images; `forward(batch, size)` gives the batch's
 * logits [size, classes], which `read(start, size, logits)` takes before the next chunk's pass overwrites them.
 * Occlusion's windows and Score-CAM's masks go through it too (occlusion-scores.ts, masked-logits.ts).
 */
export function forwardCopies(forward: (batch: Floats, size: number) => Floats, image: Floats | ((k: number) => Floats), count: number, perturb: (k: number, copy: Floats) => void, copies: BatchBuffer<Floats>, read: (start: number, size: number, logits: Floats) => void): void {
  const imageOf = typeof image === 'function' ? image : () => image;
  for (let start = 0; start < count; start += CHUNK) {
    const size = Math.min(CHUNK, count - start);
    const batch = copies.forBatch(size);
    for (let b = 0; b < size; b++) {
      const source = imageOf(start + b);
      const copy = batch.subarray(b * source.length, (b + 1) * source.length);
      copy.set(source);
      perturb(start + b, copy);
    }
    read(start, size, forward(batch, size));
  }
}

/** y_c of `count` perturbed copies of one image (forwardCopies): [count] float64 (float32 logits, exactly). */
export function scoreCopies(forward: (batch: Floats, size: number) => Floats, classes: number, image: Floats, target: number, count: number, perturb: (k: number, copy: Floats) => void, copies: BatchBuffer<Floats>): Float64Array {
  const scores = new Float64Array(count);
  forwardCopies(forward, image, count, perturb, copies, (start, size, logits) => {
    for (let b = 0; b < size; b++) scores[start + b] = logits[b * classes + target];
  });
  return scores;
}

/**
 * y_c of `count` coalitions z [count, M] (1: the patch kept) of `image` [C, H, W], where featureOf [H·W] is the
 * patch of every pixel; forwarded CHUNK copies at a time through `copies` (scratch in the network's backend).
 * Returns [count] float64 (float32 logits, exactly).
 */
export function coalitionScoresOn(network: Network, image: Floats, target: number, featureOf: Int32Array, features: number, coalitions: Uint8Array, count: number, copies: BatchBuffer<Floats>): Float64Array {
  const pixels = featureOf.length;
  const channels = image.length / pixels;
  const blackOutLeftOut = (k: number, copy: Floats): void => {
    const row = k * features;
    for (let p = 0; p < pixels; p++) {
      if (coalitions[row + featureOf[p]] === 0) for (let c = 0; c < channels; c++) copy[c * pixels + p] = BASELINE;
    }
  };
  return scoreCopies((batch, size) => network.logits(batch, size), network.outputShape[0], image, target, count, blackOutLeftOut, copies);
}
