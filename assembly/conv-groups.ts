/**
 * A strided convolution over a group of G images as one GEMM (one image's output map is too small for
 * the GEMM's blocking, see src/backend/wasm/wasm-backend.ts):
 *
 *   columns  [C·K·K, G·P]   the G images' im2col matrices side by side, image g's in columns g·P .. g·P + P − 1,
 *                           P = OH·OW, packed straight from the G phase blocks (gemmIm2col over a group)
 *   product  [F, G·P]       = W [F, C·K·K] · columns, one GEMM
 *   output   [G, F, P]      NCHW, what the layer holds: scatterGroup moves the product there, adding the bias
 *                           (and applying the ReLU) on the way; gatherGroup moves a dOutput [G, F, P] the
 *                           other way, into [F, G·P], for the backward GEMMs.
 *
 * A convolution with few filters runs the product transposed (gemmIm2colRows), productᵀ [G·P, F] = columnsᵀ · Wᵀ,
 * and scatterTransposed moves it into [G, F, P] the same way, four positions × four filters a 4×4 transpose.
 */

import { copyRun } from './float-runs';

/** output [G, F, P] ← product [F, G·P] + bias [F] per channel, then max(·, 0) when relu ≠ 0 (bit for bit addBias / addBiasRelu). */
export function scatterGroup(product: usize, images: i32, channels: i32, positions: i32, bias: usize, relu: i32, output: usize): void {
  if (relu != 0) scatterPlanes(product, images, channels, positions, bias, true, output);
  else scatterPlanes(product, images, channels, positions, bias, false, output);
}

// Inlined with a literal `relu`, so each caller compiles to its own branch-free loop (as addBiasToPlanes).
// @ts-ignore: decorator
@inline
function scatterPlanes(product: usize, images: i32, channels: i32, positions: i32, bias: usize, relu: bool, output: usize): void {
  const zero = f32x4.splat(0);
  const productRow = <usize>images * positions; // floats
  for (let f = 0; f < channels; f++) {
    const b = load<f32>(bias + (<usize>f << 2));
    const splat = f32x4.splat(b);
    for (let g = 0; g < images; g++) {
      const src = product + ((<usize>f * productRow + <usize>g * positions) << 2);
      const dst = output + ((<usize>(g * channels + f) * positions) << 2);
      let s = 0;
      for (; s + 4 <= positions; s += 4) {
        let y = f32x4.add(v128.load(src + (<usize>s << 2)), splat);
        if (relu) y = v128.and(y, f32x4.gt(y, zero));
        v128.store(dst + (<usize>s << 2), y);
      }
      for (; s < positions; s++) {
        const y = load<f32>(src + (<usize>s << 2)) + b;
        store<f32>(dst + (<usize>s << 2), relu ? (y > 0 ? y : 0) : y);
      }
    }
  }
}

/** group [F, G·P] ← dOutput [G, F, P]: the G images' planes of each channel side by side. */
export function gatherGroup(dOutput: usize, images: i32, channels: i32, positions: i32, group: usize): void {
  const groupRow = <usize>images * positions; // floats
  for (let g = 0; g < images; g++) {
    for (let f = 0; f < channels; f++) {
      const src = dOutput + ((<usize>(g * channels + f) * positions) << 2);
      copyRun(src, group + ((<usize>f * groupRow + <usize>g * positions) << 2), positions);
    }
  }
}

/** output [G, F, P] ← productᵀ [G·P, F] + bias [F] per channel, then max(·, 0) when relu ≠ 0 (bit for bit addBias / addBiasRelu). */
export function scatterTransposed(product: usize, images: i32, channels: i32, positions: i32, bias: usize, relu: i32, output: usize): void {
  if (relu != 0) scatterTransposedPlanes(product, images, channels, positions, bias, true, output);
  else scatterTransposedPlanes(product, images, channels, positions, bias, false, output);
}

// @ts-ignore: decorator
@inline
function scatterTransposedPlanes(product: usize, images: i32, channels: i32, positions: i32, bias: usize, relu: bool, output: usize): void {
  const zero = f32x4.splat(0);
  const rowBytes = <usize>channels << 2; // a position's F values in the product
  const planeBytes = <usize>positions << 2; // a channel's P values in the output
  const wholeChannels = channels & ~3;
  const wholePositions = positions & ~3;
  for (let g = 0; g < images; g++) {
    const src = product + <usize>g * planeBytes * channels;
    const dst = output + <usize>g * planeBytes * channels;
    for (let f = 0; f < wholeChannels; f += 4) {
      const b0 = f32x4.splat(load<f32>(bias + (<usize>f << 2)));
      const b1 = f32x4.splat(load<f32>(bias + (<usize>f << 2), 4));
      const b2 = f32x4.splat(load<f32>(bias + (<usize>f << 2), 8));
      const b3 = f32x4.splat(load<f32>(bias + (<usize>f << 2), 12));
      for (let p = 0; p < wholePositions; p += 4) {
        // rows p..p+3 of the product, filters f..f+3: their transpose is filters f..f+3 over positions p..p+3
        const at = src + <usize>p * rowBytes + (<usize>f << 2);
        const r0 = v128.load(at);
        const r1 = v128.load(at + rowBytes);
        const r2 = v128.load(at + 2 * rowBytes);
        const r3 = v128.load(at + 3 * rowBytes);
        const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
        const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
        const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
        const to = dst + <usize>f * planeBytes + (<usize>p << 2);
        storeBiased(to, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), b0, relu, zero);
        storeBiased(to + planeBytes, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), b1, relu, zero);
        storeBiased(to + 2 * planeBytes, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), b2, relu, zero);
        storeBiased(to + 3 * planeBytes, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), b3, relu, zero);
      }
    }
    // The last 0–3 positions of the whole groups of filters, and the last 0–3 filters, one value at a time.
    for (let f = 0; f < channels; f++) {
      const b = load<f32>(bias + (<usize>f << 2));
      for (let p = f < wholeChannels ? wholePositions : 0; p < positions; p++) {
        const y = load<f32>(src + <usize>p * rowBytes + (<usize>f << 2)) + b;
        store<f32>(dst + <usize>f * planeBytes + (<usize>p << 2), relu ? (y > 0 ? y : 0) : y);
      }
    }
  }
}

// dst[0:4] ← value + bias, then max(·, 0) by the ReLU's mask when relu.
// @ts-ignore: decorator
@inline
function storeBiased(dst: usize, value: v128, bias: v128, relu: bool, zero: v128): void {
  let y = f32x4.add(value, bias);
  if (relu) y = v128.and(y, f32x4.gt(y, zero));
  v128.store(dst, y);
}
