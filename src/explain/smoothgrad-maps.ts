/**
 * SmoothGrad's passes (methods/input-gradients.ts) for a share of a batch: images [start, start + n) of `total`,
 * each image's map the mean over `samples` noisy copies of its saliency map,
 *
 *   map_b = (1/samples) Σ_s max_c |∂y_{c_b}/∂x (x_b + ε_{s,b})|,
 *
 * where the noise is one seeded stream drawn in a fixed order: sample s's values for the whole batch, image by image
 * (element i of the batch's values [total, C, H, W] takes the stream's (s·total·P + i)-th gaussian, P = C·H·W, two
 * draws each). A share jumps the stream (Random.jump) to its first value of each sample instead of drawing the others'
 * — so a pool's threads draw their own noise, and every share's maps are the ones a single pass over the whole batch
 * gives, bit for bit, whatever the split.
 */
import { checkRandom } from '../argument-checks.js';
import type { Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import { Random, type RandomState } from '../random.js';

/** map [size, H·W] += scale · max_c |g_c|: saliency's reduction over the channels, of gradients [size, C, H·W]. */
export function addAbsoluteMax(gradients: Floats, size: number, channels: number, pixels: number, scale: number, map: Float64Array): void {
  for (let b = 0; b < size; b++) {
    for (let p = 0; p < pixels; p++) {
      let largest = 0;
      for (let c = 0; c < channels; c++) largest = Math.max(largest, Math.abs(gradients[(b * channels + c) * pixels + p]));
      map[b * pixels + p] += scale * largest;
    }
  }
}

/** Refuses a smoothGradMaps pass's bad arguments in one line naming the pass and what is wrong. */
export function checkSmoothGradPass(input: Floats, size: number, targets: Int32Array, samples: number, sigma: number, random: Random, inputShape: readonly number[], classes: number, caller: string): void {
  const fail = (problem: string) => new XcnnError(`${caller}: ${problem}`, { code: 'ERR_BAD_ARGUMENT' });
  const imageSize = inputShape.reduce((a, b) => a * b, 1);
  if (!(Number.isSafeInteger(size) && size >= 0)) throw fail(`size is ${size}; give the number of images, a whole number ≥ 0`);
  if (input.length < size * imageSize) throw fail(`the input has ${input.length} values; ${size} images of ${inputShape.join(' × ')} are ${size * imageSize}`);
  if (targets.length < size) throw fail(`${targets.length} targets for ${size} images; give one class an image`);
  for (let b = 0; b < size; b++) if (!(targets[b] >= 0 && targets[b] < classes)) throw fail(`target ${targets[b]} of image ${b} is not a class from 0 to ${classes - 1}`);
  if (!(Number.isSafeInteger(samples) && samples >= 1)) throw fail(`samples is ${samples}; give a whole number ≥ 1`);
  if (!(Number.isFinite(sigma) && sigma >= 0)) throw fail(`sigma is ${sigma}; give a number ≥ 0`);
  checkRandom(caller, 'random', random);
}

/** The stream's draws SmoothGrad takes for a batch: two a noise value, one value a pixel of every copy. */
export function smoothGradDraws(samples: number, total: number, imageSize: number): number {
  return 2 * samples * total * imageSize;
}

/**
 * maps [n, H·W] ← SmoothGrad's maps of images [start, start + n) of a batch of `total` images of `inputShape`
 * [C, H, W] (`input` holds just those n images), the noise from the stream whose state `state` is at the batch's
 * first draw. `gradientsOf(x)` is the saliency pass of the n noisy images x (∂y_c/∂x of each image's class, [n, C, H, W]:
 * inputGradientsOn, model-passes.ts); `noisy` is scratch for n images in the network's backend.
 */
export function smoothGradMapsOn(
  inputShape: readonly number[],
  input: Floats,
  start: number,
  n: number,
  total: number,
  samples: number,
  sigma: number,
  state: RandomState,
  gradientsOf: (x: Floats) => Floats,
  noisy: Floats,
  maps: Float64Array,
): void {
  const [channels, height, width] = inputShape;
  const imageSize = channels * height * width;
  const values = n * imageSize;
  const random = Random.fromState(state);
  random.jump(2 * start * imageSize);
  maps.fill(0, 0, n * height * width);
  for (let s = 0; s < samples; s++) {
    if (s > 0) random.jump(2 * (total - n) * imageSize); // past the other images' values of this sample
    for (let i = 0; i < values; i++) noisy[i] = input[i] + sigma * random.gaussian();
    addAbsoluteMax(gradientsOf(noisy), n, channels, height * width, 1 / samples, maps);
  }
}
