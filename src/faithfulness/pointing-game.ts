/**
 * The pointing game (Zhang, Bargal, Lin, Brandt, Shen & Sclaroff, 2018, "Top-down Neural Attention by
 * Excitation Backprop", IJCV; §5.1), with the digit's own ink as the object: a heatmap scores a hit when
 * its maximum lies on the digit.
 *
 *   ink      the pixels whose value exceeds `inkThreshold` (0.5, pixels in [0, 1])
 *   hit      every pixel holding the heatmap's maximum lies within `tolerance` pixels (Chebyshev distance,
 *            default 1 — Zhang et al. allow 15 px on ImageNet's ~224 px images; 1 px on 28 × 28 is the
 *            same order) of an ink pixel. Tied maxima must all point at the digit: a broad plateau that
 *            spills off the stroke is not rewarded.
 *   flat     a heatmap with no maximum above its minimum (all zero after min–max normalisation) points
 *            nowhere: a miss, counted separately as `flat`.
 *
 * The hit rate is hits / images.
 */
import { checkNumber, checkNumbers, checkOptions } from '../argument-checks.js';
import { XcnnError } from '../errors.js';

export interface PointingGameOptions {
  inkThreshold: number; // a pixel is ink when its value is above this (0.5)
  tolerance: number; // pixels of slack around the ink (1)
}

export const POINTING_GAME_DEFAULTS: PointingGameOptions = { inkThreshold: 0.5, tolerance: 1 };

export type PointingOutcome = 'hit' | 'miss' | 'flat';

/** Whether a heatmap [height, width] points at the ink of its image [height, width] (values in [0, 1]). */
export function pointingGameOutcome(heatmap: ArrayLike<number>, image: ArrayLike<number>, height: number, width: number, options: Partial<PointingGameOptions> = {}): PointingOutcome {
  checkNumbers('pointingGameOutcome', 'heatmap', heatmap);
  checkNumbers('pointingGameOutcome', 'image', image);
  checkNumber('pointingGameOutcome', 'height', height);
  checkNumber('pointingGameOutcome', 'width', width);
  checkOptions('pointingGameOutcome', options);
  if (heatmap.length !== height * width || image.length !== height * width) {
    throw new XcnnError(`pointingGameOutcome: a heatmap of ${heatmap.length} and an image of ${image.length} values for ${height} × ${width}; give each as height × width values`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const { inkThreshold, tolerance } = { ...POINTING_GAME_DEFAULTS, ...options };
  let max = -Infinity;
  let min = Infinity;
  for (let p = 0; p < height * width; p++) {
    max = Math.max(max, heatmap[p]);
    min = Math.min(min, heatmap[p]);
  }
  if (!(max > min)) return 'flat';
  const nearInk = (y: number, x: number) => {
    for (let ny = Math.max(0, y - tolerance); ny <= Math.min(height - 1, y + tolerance); ny++) {
      for (let nx = Math.max(0, x - tolerance); nx <= Math.min(width - 1, x + tolerance); nx++) if (image[ny * width + nx] > inkThreshold) return true;
    }
    return false;
  };
  for (let p = 0; p < height * width; p++) {
    if (heatmap[p] === max && !nearInk(Math.floor(p / width), p % width)) return 'miss';
  }
  return 'hit';
}

export interface PointingGameScore {
  hits: number;
  misses: number; // flat maps included
  flat: number; // maps with no maximum (counted as misses)
  hitRate: number; // hits / (hits + misses)
}

/** The pointing game over the first `count` heatmaps [N, H, W] and their images [N, H, W] (values in [0, 1]). */
export function pointingGame(heatmaps: Float32Array, images: Float32Array | Float64Array, count: number, height: number, width: number, options: Partial<PointingGameOptions> = {}): PointingGameScore {
  checkNumbers('pointingGame', 'heatmaps', heatmaps);
  checkNumbers('pointingGame', 'images', images);
  checkOptions('pointingGame', options);
  const pixels = height * width;
  // The first `count` of each: longer arrays are fine, shorter ones would be read past their end.
  if (heatmaps.length < count * pixels || images.length < count * pixels) {
    throw new XcnnError(`pointingGame: ${heatmaps.length} heatmap and ${images.length} image values for ${count} × ${height} × ${width}; give at least count × height × width values of each`, { code: 'ERR_BAD_ARGUMENT' });
  }
  let hits = 0;
  let flat = 0;
  for (let n = 0; n < count; n++) {
    const outcome = pointingGameOutcome(heatmaps.subarray(n * pixels, (n + 1) * pixels), images.subarray(n * pixels, (n + 1) * pixels), height, width, options);
    if (outcome === 'hit') hits++;
    if (outcome === 'flat') flat++;
  }
  return { hits, misses: count - hits, flat, hitRate: count === 0 ? 0 : hits / count };
}
