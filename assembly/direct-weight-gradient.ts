/**
 * The weight gradient of a convolution with few taps (a first layer: C·K·K ≤ 32 on 1 or 3 channels), stride 1,
 * computed straight from the (padded) image and dOutput, one image a call:
 *
 *   dWeight[f, tap] += Σ_{y,x} dOutput[f, y, x] · image[c, y + ky, x + kx]      tap = (c, ky, kx)
 *
 * Why: the GEMM runs this product with the im2col matrix as an operand, and with an inner size of OH·OW
 * (676 for the paper's conv1) against only C·K·K × F outputs, packing that matrix from the image costs as
 * much as the multiply-adds — such weight gradients ran at 14–20 GFLOP/s, a quarter of the ceiling. Here
 * nothing is packed: four consecutive output columns of a row are one v128 of dOutput, and their four
 * inputs at a tap are one (unaligned) v128 of the image.
 *
 * Blocking: 2 filters × 4 taps, eight f32x4 accumulators, each summing its product over the image's output
 * positions four columns at a time; a step loads the two filters' dOutput (2 v128) and the four taps' inputs
 * (4 v128) and does 8 multiply-adds: 8 + 2 + 4 = 14 registers, inside V8's 15 on x64 (it hoists every load
 * of a loop body to its top). A filter count that is odd repeats the last filter, and a tap count that is not
 * a multiple of four repeats the last tap, in lanes of work whose sums are not stored.
 *
 * A row whose width is not a multiple of four ends with a step at OW − 4 that overlaps the one before; a
 * mask keeps only its new columns (in dOutput and the input alike, so a masked lane adds exactly 0), and every
 * read stays inside the row. That step is written out after the loop rather than masking every step with an
 * all-ones mask in one loop, which was 1.25× slower (docs/speed-history.md). At the end of the image each accumulator's four lanes are summed,
 * (l0 + l1) + (l2 + l3), and added to dWeight in float32, as the GEMM path adds one image's product: the
 * order of the sum differs from the GEMM's, within the parity tests' bound for a sum of OH·OW terms.
 */

import { madd } from './gemm';

/** The most taps (C·K·K) the backend sends here; larger kernels go to the GEMM. */
export const DIRECT_GRADIENT_MAX_TAPS: i32 = 32;

/**
 * dWeight [F, C, K, K] += the weight gradient of one image [C, H, W] (padded already; OH = H − K + 1,
 * OW = W − K + 1 ≥ 4) against dOutput [F, OH, OW]. `offsets` is scratch for C·K·K i32s (the taps' offsets).
 */
export function directWeightGradient(
  image: usize,
  channels: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  dOutput: usize,
  filters: i32,
  dWeight: usize,
  offsets: usize,
): void {
  const taps = channels * kernelSize * kernelSize;
  const outH = height - kernelSize + 1;
  const outW = width - kernelSize + 1;
  writeTapOffsets(offsets, channels, height, width, kernelSize);
  const fullSteps = outW >> 2;
  const newLanes = outW & 3; // the last, overlapping step's new columns: its lanes 4 − newLanes .. 3
  const mask = i32x4.gt_s(i32x4(0, 1, 2, 3), i32x4.splat(3 - newLanes));
  const plane = <usize>(outH * outW) << 2;
  for (let f0 = 0; f0 < filters; f0 += 2) {
    const f1 = min(f0 + 1, filters - 1);
    for (let t0 = 0; t0 < taps; t0 += 4) {
      const o0 = <usize>load<i32>(offsets + (<usize>t0 << 2));
      const o1 = <usize>load<i32>(offsets + (<usize>min(t0 + 1, taps - 1) << 2));
      const o2 = <usize>load<i32>(offsets + (<usize>min(t0 + 2, taps - 1) << 2));
      const o3 = <usize>load<i32>(offsets + (<usize>min(t0 + 3, taps - 1) << 2));
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
      let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
      for (let y = 0; y < outH; y++) {
        let d0 = dOutput + <usize>f0 * plane + (<usize>(y * outW) << 2);
        let d1 = dOutput + <usize>f1 * plane + (<usize>(y * outW) << 2);
        let p = image + (<usize>(y * width) << 2);
        for (let s = 0; s < fullSteps; s++) {
          const g0 = v128.load(d0);
          const g1 = v128.load(d1);
          const x0 = v128.load(p + o0);
          const x1 = v128.load(p + o1);
          const x2 = v128.load(p + o2);
          const x3 = v128.load(p + o3);
          a00 = madd(g0, x0, a00);
          a01 = madd(g0, x1, a01);
          a02 = madd(g0, x2, a02);
          a03 = madd(g0, x3, a03);
          a10 = madd(g1, x0, a10);
          a11 = madd(g1, x1, a11);
          a12 = madd(g1, x2, a12);
          a13 = madd(g1, x3, a13);
          d0 += 16;
          d1 += 16;
          p += 16;
        }
        if (newLanes) {
          // the step at OW − 4, back by 4 − newLanes columns, its old lanes masked off
          const back = <usize>(4 - newLanes) << 2;
          const g0 = v128.and(v128.load(d0 - back), mask);
          const g1 = v128.and(v128.load(d1 - back), mask);
          const x0 = v128.and(v128.load(p - back + o0), mask);
          const x1 = v128.and(v128.load(p - back + o1), mask);
          const x2 = v128.and(v128.load(p - back + o2), mask);
          const x3 = v128.and(v128.load(p - back + o3), mask);
          a00 = madd(g0, x0, a00);
          a01 = madd(g0, x1, a01);
          a02 = madd(g0, x2, a02);
          a03 = madd(g0, x3, a03);
          a10 = madd(g1, x0, a10);
          a11 = madd(g1, x1, a11);
          a12 = madd(g1, x2, a12);
          a13 = madd(g1, x3, a13);
        }
      }
      const row0 = dWeight + (<usize>(f0 * taps + t0) << 2);
      addLaneSum(row0, a00);
      if (t0 + 1 < taps) addLaneSum(row0 + 4, a01);
      if (t0 + 2 < taps) addLaneSum(row0 + 8, a02);
      if (t0 + 3 < taps) addLaneSum(row0 + 12, a03);
      if (f1 != f0) {
        const row1 = dWeight + (<usize>(f1 * taps + t0) << 2);
        addLaneSum(row1, a10);
        if (t0 + 1 < taps) addLaneSum(row1 + 4, a11);
        if (t0 + 2 < taps) addLaneSum(row1 + 8, a12);
        if (t0 + 3 < taps) addLaneSum(row1 + 12, a13);
      }
    }
  }
}

/**
 * offsets[tap] = the byte offset of tap (c, ky, kx) from a window's first pixel in an image [C, H, W], for the taps
 * in weight order: ((c·H + ky)·W + kx)·4. The direct kernels' (here and direct-convolution.ts) only address arithmetic.
 */
export function writeTapOffsets(offsets: usize, channels: i32, height: i32, width: i32, kernelSize: i32): void {
  let at = offsets;
  for (let c = 0; c < channels; c++) {
    for (let ky = 0; ky < kernelSize; ky++) {
      for (let kx = 0; kx < kernelSize; kx++) {
        store<i32>(at, ((c * height + ky) * width + kx) << 2);
        at += 4;
      }
    }
  }
}

// *at += (l0 + l1) + (l2 + l3) of `sum`.
// @ts-ignore: decorator
@inline
function addLaneSum(at: usize, sum: v128): void {
  const pairs = f32x4.add(sum, v128.shuffle<f32>(sum, sum, 1, 0, 3, 2)); // (l0 + l1, ·, l2 + l3, ·)
  store<f32>(at, load<f32>(at) + (f32x4.extract_lane(pairs, 0) + f32x4.extract_lane(pairs, 2)));
}
