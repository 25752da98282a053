/**
 * The structural similarity index (Wang, Bovik, Sheikh & Simoncelli, 2004, "Image Quality Assessment:
 * From Error Visibility to Structural Similarity", IEEE TIP; eq. 13 and §III-C), of two maps [H, W]:
 *
 *   SSIM(x, y) = mean over windows of  (2 μx μy + C1)(2 σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))
 *
 * with the paper's settings: an 11 × 11 circular-symmetric Gaussian window, σ = 1.5, normalised to sum 1;
 * C1 = (K1 L)², C2 = (K2 L)², K1 = 0.01, K2 = 0.03, and L = 1, the dynamic range of the heatmaps in
 * [0, 1]. Only windows wholly inside the map are used ("valid"; 18 × 18 of them on a 28 × 28 map), so
 * no padding value enters. SSIM(x, x) = 1 exactly and SSIM(x, y) = SSIM(y, x); a map smaller than the
 * window uses one window the map's size.
 */

import { checkNumbers, checkOptions } from '../argument-checks.js';
import { XcnnError } from '../errors.js';

export interface SsimOptions {
  window: number; // side of the Gaussian window (11)
  sigma: number; // its standard deviation in pixels (1.5)
  k1: number; // 0.01
  k2: number; // 0.03
  range: number; // L, the values' dynamic range (1 for heatmaps)
}

export const SSIM_DEFAULTS: SsimOptions = { window: 11, sigma: 1.5, k1: 0.01, k2: 0.03, range: 1 };

/** The normalised 2-D Gaussian window [sideY, sideX], centred, of standard deviation `sigma`. */
function gaussianWindow(sideY: number, sideX: number, sigma: number): Float64Array {
  const weights = new Float64Array(sideY * sideX);
  let sum = 0;
  for (let y = 0; y < sideY; y++) {
    for (let x = 0; x < sideX; x++) {
      const w = Math.exp(-((x - (sideX - 1) / 2) ** 2 + (y - (sideY - 1) / 2) ** 2) / (2 * sigma * sigma));
      weights[y * sideX + x] = w;
      sum += w;
    }
  }
  for (let k = 0; k < weights.length; k++) weights[k] /= sum;
  return weights;
}

/** Mean SSIM of two maps a, b [height, width] over the valid window positions. */
export function ssim(a: ArrayLike<number>, b: ArrayLike<number>, height: number, width: number, options: Partial<SsimOptions> = {}): number {
  checkNumbers('ssim', 'a', a);
  checkNumbers('ssim', 'b', b);
  checkOptions('ssim', options);
  const { window, sigma, k1, k2, range } = { ...SSIM_DEFAULTS, ...options };
  if (a.length !== height * width || b.length !== height * width) throw new XcnnError(`ssim: maps of ${a.length} and ${b.length} values for ${height} × ${width}; give two maps of height × width values`, { code: 'ERR_BAD_ARGUMENT' });
  const sideY = Math.min(window, height);
  const sideX = Math.min(window, width);
  const weights = gaussianWindow(sideY, sideX, sigma);
  const c1 = (k1 * range) ** 2;
  const c2 = (k2 * range) ** 2;
  let total = 0;
  let windows = 0;
  for (let top = 0; top + sideY <= height; top++) {
    for (let left = 0; left + sideX <= width; left++) {
      let muA = 0;
      let muB = 0;
      let aa = 0;
      let bb = 0;
      let ab = 0;
      for (let y = 0; y < sideY; y++) {
        for (let x = 0; x < sideX; x++) {
          const w = weights[y * sideX + x];
          const p = (top + y) * width + left + x;
          muA += w * a[p];
          muB += w * b[p];
          aa += w * a[p] * a[p];
          bb += w * b[p] * b[p];
          ab += w * a[p] * b[p];
        }
      }
      const varA = aa - muA * muA;
      const varB = bb - muB * muB;
      const cov = ab - muA * muB;
      total += ((2 * muA * muB + c1) * (2 * cov + c2)) / ((muA * muA + muB * muB + c1) * (varA + varB + c2));
      windows++;
    }
  }
  return total / windows;
}
