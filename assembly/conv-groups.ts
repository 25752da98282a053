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
