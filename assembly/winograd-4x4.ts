/**
 * Winograd F(4×4, 3×3): a 3×3, stride-1 convolution with 36 multiplies for every 4×4 block of outputs instead
 * of 144 (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016) — 1.78× fewer than
 * F(2×2, 3×3) (winograd.ts), 4× fewer than the direct sum. In one dimension, four outputs of a 3-tap
 * correlation y[i] = Σ_k d[i+k]·g[k] from six inputs, interpolating at 0, ±1, ±2 and ∞:
 *
 *   y = Aᵀ[(G g) ⊙ (Bᵀ d)]    Bᵀ = | 4   0  −5   0   1   0 |    G = |  1/4     0     0  |    Aᵀ = | 1  1  1  1  1  0 |
 *                                  | 0  −4  −4   1   1   0 |        | −1/6  −1/6  −1/6 |         | 0  1 −1  2 −2  0 |
 *                                  | 0   4  −4  −1   1   0 |        | −1/6   1/6  −1/6 |         | 0  1  1  4  4  0 |
 *                                  | 0  −2  −1   2   1   0 |        | 1/24  1/12   1/6 |         | 0  1 −1  8 −8  1 |
 *                                  | 0   2  −1  −2   1   0 |        | 1/24 −1/12   1/6 |
 *                                  | 0   4   0  −5   0   1 |        |   0     0     1  |
 *
 * and in two, nested: the 6×6 input window d of a 4×4 output block becomes V = Bᵀ d B, the kernel g becomes
 * U = G g Gᵀ, and Y = Aᵀ (U ⊙ V) A. As in winograd.ts, the 36 products of a tile summed over input channels
 * are one GEMM per position ξ = 6i + j of the 6×6 tile, M_ξ [T, F] = V_ξᵀ [T, C] · U_ξ [C, F], run by gemm.ts.
 *
 * The price is rounding: the transforms' entries reach 5 and 8 and the kernel's fractions 1/24, so the result
 * lands further from the direct sum than F(2×2)'s — about ten times, 2e-6 of the largest output against 2e-7
 * on the paper's conv2 (bench/winograd_error.py) — still within the parity tests' bound for the algorithm
 * (test/winograd-bounds.ts, which runs it in float64 on absolute values). The kernels are transformed in
 * float64 and rounded once, so 1/6 and 1/24 cost one rounding, not one per product.
 *
 * Layouts (floats, row-major):
 *
 *   input   [N, C, H, W], zero padding P on every side (any P ≥ 0)
 *   output  [N, F, OH, OW], OH = H + 2P − 2, OW likewise; tiles TH × TW = ⌈OH/4⌉ × ⌈OW/4⌉ an image,
 *           tile t = (n·TH + ty)·TW + tx covering outputs (4ty .. 4ty+3, 4tx .. 4tx+3), its input window
 *           rows 4ty .. 4ty+5 and columns 4tx .. 4tx+5 of the padded image
 *   U       [36, C, F]  the transformed kernels (winograd4Kernels)
 *   V       [36, C, TP] the transformed input tiles, TP = T + 3 or more, a multiple of four (winograd.ts's rule)
 *   M       [T, 36, F]  the products, a tile's 36·F values together for the output transform
 *   plane   [PH, PW]    one input channel with its zero border, PH = 4·TH + 2, PW = 4·TW + 2 (the backward's)
 *   offsets [TH·TW]     i32: each tile's window corner in the plane (4ty·PW + 4tx)
 *   rows    [6, 6] v128 the input transform's rows (d B) of four tiles, between its two passes
 *   planes  [N, PH, PW] the input transform's: one channel of every image of the call, each with its zero border
 *   corners [T]         i32: each of the call's tiles' window corner in `planes` (n·|plane| + 4ty·PW + 4tx)
 *
 * Four tiles at a time, as winograd.ts does it: each window row of the four tiles is loaded (columns 0–3 as a
 * v128, 4–5 as a 64-bit load), transposed so that each v128 holds one window element of the four tiles, and
 * transformed lane by lane — first along the rows (into `rows`), then along the columns, 36 v128 stores into
 * V. The four are any four consecutive tiles of the call, from one image or two, so that only the call's last
 * group has spare lanes (9 tiles an image, taken an image at a time, filled 12 lanes); they repeat the call's last
 * tile, and their stores fall on V's padding. The output transform takes four output channels of
 * one tile at a time, adds the bias and, when asked, applies the ReLU, and stores each channel's 4×4 block —
 * a v128 a row where the block lies wholly inside the map, lane by lane at its right and bottom edges.
 *
 * The backward pass (winograd4Backward) is, as in winograd.ts, the adjoint of each step in reverse: dM = A dY Aᵀ
 * per tile (4×4 → 6×6), the kernels' gradient dU_ξ [C, F] += V_ξ · dM_ξ and the tiles' dV_ξ [C, T] = U_ξ · dM_ξᵀ,
 * each tile's 6×6 window of the input gradient += B dV Bᵀ (neighbouring windows overlap by two rows and columns,
 * so the tiles add in turn), and once for the batch dWeight += Gᵀ dU G (winograd4KernelGradient, in float64).
 */

import { gemm, gemmPackedB, packedBFloats } from './gemm';
import { zeroRun } from './float-runs';
import { partialLoad, storeLanes, transposeInto } from './lanes';
import {
  afterOffsets, align4, channelIntoPlane, corner, keepTilesAt, mBlock, offsets, outH, outW, perImage, plane, planeIntoChannel, planeFloats, planeSize, planeW, setTileGeometry, stride, tileCols, tileRows, tiles, tilesAlong, tileScratchFloats, transformedTileFloats, vBlock,
} from './winograd-planes';


/**
 * Floats of scratch winograd4Convolve wants for `images` images of [channels, H, W] with padding P into
 * outChannels maps: V, M (with four floats' slack: the output transform's whole-v128 loads of a last, partial
 * group of channels), the plane, the tile offsets (as many i32s as tiles an image), then the 36 v128 rows.
 * Every block starts 16-byte aligned.
 */
export function winograd4ScratchFloats(images: i32, channels: i32, height: i32, width: i32, padding: i32, outChannels: i32): i32 {
  const tilesDown = tilesAlong(4, height + 2 * padding - 2);
  const tilesAcross = tilesAlong(4, width + 2 * padding - 2);
  return tileScratchFloats(4, images, channels, height, width, padding, outChannels) + ROWS_FLOATS + images * planeFloats(4, tilesDown, tilesAcross) + align4(images * tilesDown * tilesAcross);
}

const ROWS_FLOATS = 36 * 4;

/** Floats of the transformed input tiles V of a winograd4Convolve call on those sizes: what `keptTiles` holds. */
export function winograd4KeptTileFloats(images: i32, channels: i32, height: i32, width: i32, padding: i32): i32 {
  return transformedTileFloats(4, images, channels, height, width, padding);
}


/**
 * U [36, C, F] = G g Gᵀ for every kernel g = weight[f, c] ([F, C, 3, 3], PyTorch's layout), computed in
 * float64 and rounded once. Two kernels at a time, one in each lane of an f64x2 (the transform is bound by its
 * float64 divides, which f64x2.div does two at once), each value by the same operations in the same order as one
 * kernel at a time would — so the same bits.
 */
export function winograd4Kernels(weight: usize, outChannels: i32, inChannels: i32, u: usize): void {
  const F = outChannels;
  const C = inChannels;
  const plane = <usize>(F * C) << 2; // bytes between two ξ of U
  // Kernels f and f + 1 of input channel c, side by side in U[ξ][c][·] (an odd F's last kernel fills both lanes)
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f += 2) {
      const f1 = min(f + 1, F - 1);
      winograd4KernelPair(weight + (<usize>((f * C + c) * 9) << 2), weight + (<usize>((f1 * C + c) * 9) << 2), u + (<usize>(c * F + f) << 2), u + (<usize>(c * F + f1) << 2), plane);
    }
  }
}

// U of the kernels g0 and g1 (each [3, 3]), at at0 and at1 (+ ξ·plane bytes for ξ = 0 .. 35), in the lanes of an f64x2.
// @ts-ignore: decorator
@inline
function winograd4KernelPair(g0: usize, g1: usize, at0: usize, at1: usize, plane: usize): void {
  // G g: column q of g (g[0][q], g[1][q], g[2][q]) gives column q of G g, rq0 .. rq5
  let x0 = lanePair(g0, g1, 0), x1 = lanePair(g0, g1, 3), x2 = lanePair(g0, g1, 6);
  const r00 = gRow0(x0), r01 = gRow1(x0, x1, x2), r02 = gRow2(x0, x1, x2), r05 = x2;
  let a = f64x2.div(x0, f64x2.splat(24)), b = f64x2.div(x1, f64x2.splat(12)), c = f64x2.div(x2, f64x2.splat(6));
  const r03 = f64x2.add(f64x2.add(a, b), c), r04 = f64x2.add(f64x2.sub(a, b), c);
  x0 = lanePair(g0, g1, 1); x1 = lanePair(g0, g1, 4); x2 = lanePair(g0, g1, 7);
  const r10 = gRow0(x0), r11 = gRow1(x0, x1, x2), r12 = gRow2(x0, x1, x2), r15 = x2;
  a = f64x2.div(x0, f64x2.splat(24)); b = f64x2.div(x1, f64x2.splat(12)); c = f64x2.div(x2, f64x2.splat(6));
  const r13 = f64x2.add(f64x2.add(a, b), c), r14 = f64x2.add(f64x2.sub(a, b), c);
  x0 = lanePair(g0, g1, 2); x1 = lanePair(g0, g1, 5); x2 = lanePair(g0, g1, 8);
  const r20 = gRow0(x0), r21 = gRow1(x0, x1, x2), r22 = gRow2(x0, x1, x2), r25 = x2;
  a = f64x2.div(x0, f64x2.splat(24)); b = f64x2.div(x1, f64x2.splat(12)); c = f64x2.div(x2, f64x2.splat(6));
  const r23 = f64x2.add(f64x2.add(a, b), c), r24 = f64x2.add(f64x2.sub(a, b), c);
  // (G g) Gᵀ, row i of G g (r0i, r1i, r2i) into U[ξ = 6i .. 6i + 5]
  kernelRow(at0, at1, plane, 0, r00, r10, r20);
  kernelRow(at0, at1, plane, 6, r01, r11, r21);
  kernelRow(at0, at1, plane, 12, r02, r12, r22);
  kernelRow(at0, at1, plane, 18, r03, r13, r23);
  kernelRow(at0, at1, plane, 24, r04, r14, r24);
  kernelRow(at0, at1, plane, 30, r05, r15, r25);
}

// The float32s at a and b (+ `at` floats each) as the two lanes of an f64x2.
// @ts-ignore: decorator
@inline
function lanePair(a: usize, b: usize, at: i32): v128 {
  const offset = <usize>at << 2;
  return f64x2.replace_lane(f64x2.splat(<f64>load<f32>(a + offset)), 1, <f64>load<f32>(b + offset));
}

// Rows 0, 1 and 2 of G times (x0, x1, x2), lane by lane: x0/4 (times 1/4: exactly the same), −(x0 + x1 + x2)/6 and
// −(x0 − x1 + x2)/6. Rows 3 and 4 are x0/24 ± x1/12 + x2/6 (their three quotients shared), row 5 is x2.
// @ts-ignore: decorator
@inline
function gRow0(x0: v128): v128 {
  return f64x2.mul(x0, f64x2.splat(0.25));
}
// @ts-ignore: decorator
@inline
function gRow1(x0: v128, x1: v128, x2: v128): v128 {
  return f64x2.div(f64x2.neg(f64x2.add(f64x2.add(x0, x1), x2)), f64x2.splat(6));
}
// @ts-ignore: decorator
@inline
function gRow2(x0: v128, x1: v128, x2: v128): v128 {
  return f64x2.div(f64x2.neg(f64x2.add(f64x2.sub(x0, x1), x2)), f64x2.splat(6));
}

// One row (x0, x1, x2) of G g times Gᵀ, lane by lane, rounded to float32 and stored at ξ = first .. first + 5 of
// the kernel at at0 (lane 0) and of the one at at1 (lane 1).
// @ts-ignore: decorator
@inline
function kernelRow(at0: usize, at1: usize, plane: usize, first: i32, x0: v128, x1: v128, x2: v128): void {
  const a = f64x2.div(x0, f64x2.splat(24)), b = f64x2.div(x1, f64x2.splat(12)), c = f64x2.div(x2, f64x2.splat(6));
  storeLanes32(at0, at1, <usize>first * plane, gRow0(x0));
  storeLanes32(at0, at1, <usize>(first + 1) * plane, gRow1(x0, x1, x2));
  storeLanes32(at0, at1, <usize>(first + 2) * plane, gRow2(x0, x1, x2));
  storeLanes32(at0, at1, <usize>(first + 3) * plane, f64x2.add(f64x2.add(a, b), c));
  storeLanes32(at0, at1, <usize>(first + 4) * plane, f64x2.add(f64x2.sub(a, b), c));
  storeLanes32(at0, at1, <usize>(first + 5) * plane, x2);
}

// Lane 0 of v rounded to float32 at at0 + offset, lane 1 at at1 + offset.
// @ts-ignore: decorator
@inline
function storeLanes32(at0: usize, at1: usize, offset: usize, v: v128): void {
  store<f32>(at0 + offset, <f32>f64x2.extract_lane(v, 0));
  store<f32>(at1 + offset, <f32>f64x2.extract_lane(v, 1));
}

/**
 * output [N, F, OH, OW] = the 3×3, stride-1 convolution of input [N, C, H, W] (zero padding P) with the
 * kernels U made by winograd4Kernels and packed by winogradPackKernels (winograd.ts; `packedU`), + bias [F] (none
 * when `bias` is 0), then the ReLU (y > 0 ? y : 0) when `relu` is 1.
 * `scratch` holds winograd4ScratchFloats(N, C, H, W, P, F) floats, 16-byte aligned.
 * With `keptTiles` not 0, the transformed input tiles V are written there instead of into the scratch
 * (winograd4KeptTileFloats(N, C, H, W, P) floats, 16-byte aligned) and left for the backward pass on the same input.
 */
export function winograd4Convolve(
  input: usize,
  images: i32,
  channels: i32,
  height: i32,
  width: i32,
  padding: i32,
  packedU: usize,
  outChannels: i32,
  bias: usize,
  relu: i32,
  output: usize,
  scratch: usize,
  keptTiles: usize,
): void {
  const F = outChannels;
  setGeometry(images, channels, height, width, padding, F, scratch);
  if (keptTiles) keepTilesAt(keptTiles);
  transformInputs(input, images, channels, height, width, padding);
  // M_ξ [T, F] = V_ξᵀ · U_ξ
  const packedFloats = packedBFloats(channels, F);
  for (let xi = 0; xi < 36; xi++) {
    gemmPackedB(1, tiles, F, channels, vBlock + (<usize>(xi * channels * stride) << 2), stride, packedU + (<usize>(xi * packedFloats) << 2), mBlock + (<usize>(xi * F) << 2), 36 * F, 0);
  }
  eachTile(images, F, output, false, bias, relu);
}

/**
 * The backward pass of winograd4Convolve (without its bias and ReLU), as the adjoint of each of its steps:
 *
 *   dM_t = A dY_t Aᵀ              each tile's 4×4 block of dOutput (zero past the map's edge) → 6×6
 *   dU_ξ += V_ξ · dM_ξ            [C, F], over the call's tiles (V kept by the forward pass, or made again)
 *   dV_ξ  = U_ξ · dM_ξᵀ           [C, T]
 *   dInput window_t += B dV_t Bᵀ  windows overlap by two rows and columns, so each tile adds in turn
 *
 * dU accumulates ([36, C, F]: the caller zeroes it once, winograd4KernelGradient folds it into dWeight);
 * dInput is overwritten. `du` or `dInput` 0: that gradient is not wanted. Scratch as for winograd4Convolve. With
 * `keptTiles` not 0, dU reads V there — what winograd4Convolve kept on this input — instead of transforming it again.
 */
export function winograd4Backward(
  input: usize,
  images: i32,
  channels: i32,
  height: i32,
  width: i32,
  padding: i32,
  u: usize,
  outChannels: i32,
  dOutput: usize,
  du: usize,
  dInput: usize,
  scratch: usize,
  keptTiles: usize,
): void {
  const C = channels;
  const F = outChannels;
  setGeometry(images, C, height, width, padding, F, scratch);
  eachTile(images, F, dOutput, true, 0, 0);
  if (du) {
    // V: the forward pass's, kept (bit for bit what transformInputs makes again), or transformed here
    if (keptTiles == 0) transformInputs(input, images, C, height, width, padding);
    const v = keptTiles != 0 ? keptTiles : vBlock;
    for (let xi = 0; xi < 36; xi++) {
      gemm(0, 0, C, F, tiles, v + (<usize>(xi * C * stride) << 2), stride, mBlock + (<usize>(xi * F) << 2), 36 * F, du + (<usize>(xi * C * F) << 2), F, 1);
    }
  }
  if (dInput == 0) return;
  // dV_ξ [C, T] = U_ξ [C, F] · dM_ξᵀ, over V's block
  for (let xi = 0; xi < 36; xi++) {
    gemm(0, 1, C, tiles, F, u + (<usize>(xi * C * F) << 2), F, mBlock + (<usize>(xi * F) << 2), 36 * F, vBlock + (<usize>(xi * C * stride) << 2), stride, 0);
  }
  const xiBytes = <usize>(C * stride) << 2;
  for (let n = 0; n < images; n++) {
    for (let c = 0; c < C; c++) {
      zeroRun(plane, planeSize);
      const dvRow = vBlock + (<usize>(c * stride + n * perImage) << 2);
      for (let t = 0; t < perImage; t += 4) transformTilesAdjoint(t, dvRow, xiBytes);
      planeIntoChannel(plane, planeW, padding, dInput + (<usize>((n * C + c) * height * width) << 2), height, width);
    }
  }
}

/**
 * dWeight [F, C, 3, 3] += Gᵀ dU G for every kernel, dU [36, C, F] as winograd4Backward accumulated it: the
 * adjoint of U = G g Gᵀ, in float64, each weight's share rounded once before it is added. Two kernels at a time in
 * the lanes of an f64x2, as winograd4Kernels, by the same operations in the same order as one at a time.
 */
export function winograd4KernelGradient(du: usize, outChannels: i32, inChannels: i32, dWeight: usize): void {
  const F = outChannels;
  const C = inChannels;
  const xi = <usize>(F * C) << 2; // bytes between two ξ of dU
  // Kernels f and f + 1 of input channel c, side by side in dU[ξ][c][·] (an odd F's last kernel is lane 0's alone)
  for (let c = 0; c < C; c++) {
    for (let f = 0; f < F; f += 2) {
      const f1 = min(f + 1, F - 1);
      const dw1: usize = f1 == f ? 0 : dWeight + (<usize>((f1 * C + c) * 9) << 2);
      kernelGradientPair(du + (<usize>(c * F + f) << 2), du + (<usize>(c * F + f1) << 2), xi, dWeight + (<usize>((f * C + c) * 9) << 2), dw1);
    }
  }
}

// dw0 [3, 3] += Gᵀ dU G of the dU at at0 (+ ξ·xi bytes), and dw1 (unless 0) of the one at at1, in the lanes of an f64x2.
// @ts-ignore: decorator
@inline
function kernelGradientPair(at0: usize, at1: usize, xi: usize, dw0: usize, dw1: usize): void {
  for (let p = 0; p < 3; p++) {
    // (Gᵀ dU)[p][j] for the six columns j, then times G along the row: dWeight[p][0 .. 2]
    const r0 = columnAdjoint(at0, at1, xi, p, 0), r1 = columnAdjoint(at0, at1, xi, p, 1), r2 = columnAdjoint(at0, at1, xi, p, 2);
    const r3 = columnAdjoint(at0, at1, xi, p, 3), r4 = columnAdjoint(at0, at1, xi, p, 4), r5 = columnAdjoint(at0, at1, xi, p, 5);
    const s12 = f64x2.div(f64x2.add(r1, r2), f64x2.splat(6)); // (x1 + x2)/6, rows 0 and 2 alike
    const s34 = f64x2.add(r3, r4);
    addLanes32(dw0, dw1, p * 3, gAdjoint0(r0, s12, s34));
    addLanes32(dw0, dw1, p * 3 + 1, gAdjoint1(r1, r2, r3, r4));
    addLanes32(dw0, dw1, p * 3 + 2, gAdjoint2(s12, s34, r5));
  }
}

// Row p of Gᵀ times the column (x0 .. x5) of dU at ξ = j, 6 + j, …, 30 + j of the two kernels at at0 and at1:
//   p = 0: x0/4 − (x1 + x2)/6 + (x3 + x4)/24   (x0/4 as x0 times 1/4: exactly the same)
//   p = 1: (x2 − x1)/6 + (x3 − x4)/12
//   p = 2: (x3 + x4)/6 − (x1 + x2)/6 + x5
// @ts-ignore: decorator
@inline
function columnAdjoint(at0: usize, at1: usize, xi: usize, p: i32, j: i32): v128 {
  const column = <usize>j * xi;
  const x1 = lanePairAt(at0, at1, column + 6 * xi), x2 = lanePairAt(at0, at1, column + 12 * xi);
  const x3 = lanePairAt(at0, at1, column + 18 * xi), x4 = lanePairAt(at0, at1, column + 24 * xi);
  if (p == 1) return gAdjoint1(x1, x2, x3, x4);
  const s12 = f64x2.div(f64x2.add(x1, x2), f64x2.splat(6));
  if (p == 0) return gAdjoint0(lanePairAt(at0, at1, column), s12, f64x2.add(x3, x4));
  return gAdjoint2(s12, f64x2.add(x3, x4), lanePairAt(at0, at1, column + 30 * xi));
}
// @ts-ignore: decorator
@inline
function gAdjoint0(x0: v128, s12: v128, s34: v128): v128 {
  return f64x2.add(f64x2.sub(f64x2.mul(x0, f64x2.splat(0.25)), s12), f64x2.div(s34, f64x2.splat(24)));
}
// @ts-ignore: decorator
@inline
function gAdjoint1(x1: v128, x2: v128, x3: v128, x4: v128): v128 {
  return f64x2.add(f64x2.div(f64x2.sub(x2, x1), f64x2.splat(6)), f64x2.div(f64x2.sub(x3, x4), f64x2.splat(12)));
}
// @ts-ignore: decorator
@inline
function gAdjoint2(s12: v128, s34: v128, x5: v128): v128 {
  return f64x2.add(f64x2.sub(f64x2.div(s34, f64x2.splat(6)), s12), x5);
}

// The float32s at at0 + offset and at1 + offset as the two lanes of an f64x2.
// @ts-ignore: decorator
@inline
function lanePairAt(at0: usize, at1: usize, offset: usize): v128 {
  return f64x2.replace_lane(f64x2.splat(<f64>load<f32>(at0 + offset)), 1, <f64>load<f32>(at1 + offset));
}

// dw0[at] += lane 0 of v rounded to float32, and dw1[at] += lane 1 (unless dw1 is 0: no second kernel).
// @ts-ignore: decorator
@inline
function addLanes32(dw0: usize, dw1: usize, at: i32, v: v128): void {
  const offset = <usize>at << 2;
  store<f32>(dw0 + offset, load<f32>(dw0 + offset) + <f32>f64x2.extract_lane(v, 0));
  if (dw1 != 0) store<f32>(dw1 + offset, load<f32>(dw1 + offset) + <f32>f64x2.extract_lane(v, 1));
}

// Where the input transform's rows lie (after the tile offsets: setGeometry), then the planes of one channel of
// every image of the call, side by side, and each of the call's tiles' window corner in them (i32 floats from `planes`).
let rows: usize = 0;
let planes: usize = 0;
let planeOffsets: usize = 0;

// The shared geometry for tiles of 4 outputs a side (winograd-planes.ts), and this algorithm's own blocks after it.
function setGeometry(images: i32, channels: i32, height: i32, width: i32, padding: i32, outChannels: i32, scratch: usize): void {
  setTileGeometry(4, images, channels, height, width, padding, outChannels, scratch);
  rows = afterOffsets;
  planes = rows + (<usize>ROWS_FLOATS << 2);
  planeOffsets = planes + (<usize>(images * planeSize) << 2);
  for (let n = 0; n < images; n++) {
    for (let t = 0; t < perImage; t++) store<i32>(planeOffsets + (<usize>(n * perImage + t) << 2), n * planeSize + load<i32>(offsets + (<usize>t << 2)));
  }
}

// V [36, C, T] ← the input transform of every tile of the call's images (setGeometry first): a channel at a time,
// its planes for every image side by side, four of the call's tiles a step whichever images they are in — so that
// only the call's last group has spare lanes, not each image's (the paper's conv2 has 9 tiles an image: 12 lanes).
function transformInputs(input: usize, images: i32, channels: i32, height: i32, width: i32, padding: i32): void {
  // the planes' borders stay zero: each channel overwrites only its own rectangles
  zeroRun(planes, images * planeSize);
  const xiBytes = <usize>(channels * stride) << 2;
  for (let c = 0; c < channels; c++) {
    for (let n = 0; n < images; n++) {
      channelIntoPlane(input + (<usize>((n * channels + c) * height * width) << 2), height, width, planes + (<usize>(n * planeSize) << 2), planeW, padding);
    }
    const vRow = vBlock + (<usize>(c * stride) << 2);
    for (let t = 0; t < tiles; t += 4) transformTiles(t, vRow, xiBytes);
  }
}

// The window corner of the call's tile first + k (k = 0 .. 3) in `planes` (a byte address); a tile past the call's
// last repeats the last (its lanes' stores fall on V's padding, tilesPadded).
// @ts-ignore: decorator
@inline
function planesCorner(first: i32, k: i32): usize {
  return planes + (<usize>load<i32>(planeOffsets + (<usize>min(first + k, tiles - 1) << 2)) << 2);
}



// Bᵀ x for six v128 of values x0 .. x5 (each lane its own vector), output o stored at dst + o·stepBytes:
//   (4x0 − 5x2 + x4, (x4 − 4x2) ± (x3 − 4x1), (x4 − x2) ± 2(x3 − x1), 4x1 − 5x3 + x5)
// @ts-ignore: decorator
@inline
function transformInput(dst: usize, stepBytes: usize, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128): void {
  const four = f32x4.splat(4);
  const five = f32x4.splat(5);
  const a = f32x4.sub(x4, f32x4.mul(four, x2));
  const b = f32x4.sub(x3, f32x4.mul(four, x1));
  const c = f32x4.sub(x4, x2);
  const d = f32x4.mul(f32x4.splat(2), f32x4.sub(x3, x1));
  v128.store(dst, f32x4.add(f32x4.sub(f32x4.mul(four, x0), f32x4.mul(five, x2)), x4));
  v128.store(dst + stepBytes, f32x4.add(a, b));
  v128.store(dst + 2 * stepBytes, f32x4.sub(a, b));
  v128.store(dst + 3 * stepBytes, f32x4.add(c, d));
  v128.store(dst + 4 * stepBytes, f32x4.sub(c, d));
  v128.store(dst + 5 * stepBytes, f32x4.add(f32x4.sub(f32x4.mul(four, x1), f32x4.mul(five, x3)), x5));
}

// Input transform of the call's tiles first .. first + 3: V = Bᵀ d B for each, lane k of every store being
// tile first + k; `xiBytes` is the distance between two ξ of V.
function transformTiles(first: i32, vRow: usize, xiBytes: usize): void {
  const p0 = planesCorner(first, 0), p1 = planesCorner(first, 1), p2 = planesCorner(first, 2), p3 = planesCorner(first, 3);
  const rowBytes = <usize>planeW << 2;
  // each window row r of the four tiles, transposed to d0 .. d5 (element (r, j) of each tile, one per lane),
  // times B: rows[r][0 .. 5]
  for (let r = 0; r < 6; r++) {
    const at = <usize>r * rowBytes;
    const a0 = v128.load(p0 + at), a1 = v128.load(p1 + at), a2 = v128.load(p2 + at), a3 = v128.load(p3 + at);
    const b01 = v128.shuffle<f32>(v128.load64_zero(p0 + at, 16), v128.load64_zero(p1 + at, 16), 0, 4, 1, 5);
    const b23 = v128.shuffle<f32>(v128.load64_zero(p2 + at, 16), v128.load64_zero(p3 + at, 16), 0, 4, 1, 5);
    const d0 = transposeInto(a0, a1, a2, a3, 0), d1 = transposeInto(a0, a1, a2, a3, 1);
    const d2 = transposeInto(a0, a1, a2, a3, 2), d3 = transposeInto(a0, a1, a2, a3, 3);
    const d4 = v128.shuffle<f32>(b01, b23, 0, 1, 4, 5), d5 = v128.shuffle<f32>(b01, b23, 2, 3, 6, 7);
    transformInput(rows + (<usize>(r * 6) << 4), 16, d0, d1, d2, d3, d4, d5);
  }
  // then Bᵀ along each column j, stored at ξ = 6i + j
  const at = vRow + (<usize>first << 2);
  for (let j = 0; j < 6; j++) {
    const column = rows + (<usize>j << 4);
    const e0 = v128.load(column), e1 = v128.load(column, 96), e2 = v128.load(column, 192);
    const e3 = v128.load(column, 288), e4 = v128.load(column, 384), e5 = v128.load(column, 480);
    transformInput(at + <usize>j * xiBytes, 6 * xiBytes, e0, e1, e2, e3, e4, e5);
  }
}

// B x for six v128 x0 .. x5 (the adjoint of transformInput: Σ_i Bᵀ[i][r]·x_i for r = 0 .. 5), output r stored at
// dst + r·stepBytes: with s = x1 + x2, d = x2 − x1, t = x3 + x4, e = x4 − x3,
//   (4x0, 4d + 2e + 4x5, −5x0 − 4s − t, −d − 2e − 5x5, x0 + s + t, x5)
// @ts-ignore: decorator
@inline
function transformInputAdjoint(dst: usize, stepBytes: usize, x0: v128, x1: v128, x2: v128, x3: v128, x4: v128, x5: v128): void {
  const two = f32x4.splat(2), four = f32x4.splat(4), five = f32x4.splat(5);
  const s = f32x4.add(x1, x2), d = f32x4.sub(x2, x1), t = f32x4.add(x3, x4), e = f32x4.sub(x4, x3);
  v128.store(dst, f32x4.mul(four, x0));
  v128.store(dst + stepBytes, f32x4.add(f32x4.add(f32x4.mul(four, d), f32x4.mul(two, e)), f32x4.mul(four, x5)));
  v128.store(dst + 2 * stepBytes, f32x4.sub(f32x4.sub(f32x4.neg(f32x4.mul(five, x0)), f32x4.mul(four, s)), t));
  v128.store(dst + 3 * stepBytes, f32x4.sub(f32x4.sub(f32x4.neg(d), f32x4.mul(two, e)), f32x4.mul(five, x5)));
  v128.store(dst + 4 * stepBytes, f32x4.add(f32x4.add(x0, s), t));
  v128.store(dst + 5 * stepBytes, x5);
}

// The adjoint of transformTiles: each of tiles first .. first + 3 that is the image's adds B dV Bᵀ to its window
// in the plane, one tile after another (neighbouring windows overlap).
function transformTilesAdjoint(first: i32, dvRow: usize, xiBytes: usize): void {
  const at = dvRow + (<usize>first << 2);
  // B along each row i of dV (ξ = 6i .. 6i + 5): rows[i][0 .. 5]
  for (let i = 0; i < 6; i++) {
    const row = at + <usize>(6 * i) * xiBytes;
    const x0 = v128.load(row), x1 = v128.load(row + xiBytes), x2 = v128.load(row + 2 * xiBytes);
    const x3 = v128.load(row + 3 * xiBytes), x4 = v128.load(row + 4 * xiBytes), x5 = v128.load(row + 5 * xiBytes);
    transformInputAdjoint(rows + (<usize>(i * 6) << 4), 16, x0, x1, x2, x3, x4, x5);
  }
  // then B along each column q, in place: rows[r][q] is window element (r, q) of the four tiles
  for (let q = 0; q < 6; q++) {
    const column = rows + (<usize>q << 4);
    const e0 = v128.load(column), e1 = v128.load(column, 96), e2 = v128.load(column, 192);
    const e3 = v128.load(column, 288), e4 = v128.load(column, 384), e5 = v128.load(column, 480);
    transformInputAdjoint(column, 96, e0, e1, e2, e3, e4, e5);
  }
  // each window row r: transpose the lanes back to the tiles, and add row by row, tile after tile
  const rowBytes = <usize>planeW << 2;
  const count = min(4, perImage - first);
  for (let r = 0; r < 6; r++) {
    const row = rows + (<usize>(r * 6) << 4);
    const w0 = v128.load(row), w1 = v128.load(row, 16), w2 = v128.load(row, 32), w3 = v128.load(row, 48);
    const w4 = v128.load(row, 64), w5 = v128.load(row, 80);
    const lo = v128.shuffle<f32>(w4, w5, 0, 4, 1, 5); // columns 4 and 5 of tiles 0 and 1
    const hi = v128.shuffle<f32>(w4, w5, 2, 6, 3, 7); // of tiles 2 and 3
    const offset = <usize>r * rowBytes;
    addWindowRow(corner(first, 0) + offset, transposeInto(w0, w1, w2, w3, 0), lo);
    if (count > 1) addWindowRow(corner(first, 1) + offset, transposeInto(w0, w1, w2, w3, 1), v128.shuffle<f32>(lo, lo, 2, 3, 0, 1));
    if (count > 2) addWindowRow(corner(first, 2) + offset, transposeInto(w0, w1, w2, w3, 2), hi);
    if (count > 3) addWindowRow(corner(first, 3) + offset, transposeInto(w0, w1, w2, w3, 3), v128.shuffle<f32>(hi, hi, 2, 3, 0, 1));
  }
}

// One row of a tile's window at `at` += (columns 0–3 in `head`, 4–5 in lanes 0–1 of `tail`).
// @ts-ignore: decorator
@inline
function addWindowRow(at: usize, head: v128, tail: v128): void {
  v128.store(at, f32x4.add(v128.load(at), head));
  v128.store64_lane(at, f32x4.add(v128.load64_zero(at, 16), tail), 0, 16);
}

// For every tile of the call, four channels at a time: M → the output maps [N, F, OH, OW] by the output transform
// (+ bias, ReLU), or, `adjoint`, the maps (dOutput) → dM by its adjoint. The adjoint takes the last, partial group
// of channels first: its whole-v128 stores run into the next ξ's first channels, which the groups after it then
// write (and the last ξ's into the next tile's, or M's slack).
function eachTile(images: i32, F: i32, maps: usize, adjoint: bool, bias: usize, relu: i32): void {
  const planeBytes = <usize>(outH * outW) << 2;
  for (let n = 0; n < images; n++) {
    const image = maps + <usize>(n * F) * planeBytes;
    for (let ty = 0; ty < tileRows; ty++) {
      const y = 4 * ty;
      const height = min(4, outH - y);
      for (let tx = 0; tx < tileCols; tx++) {
        const x = 4 * tx;
        const width = min(4, outW - x);
        const mTile = mBlock + (<usize>((n * perImage + ty * tileCols + tx) * 36 * F) << 2);
        const at = image + (<usize>(y * outW + x) << 2);
        if (adjoint) {
          for (let f = (F - 1) & ~3; f >= 0; f -= 4) {
            outputTransformAdjoint(at + <usize>f * planeBytes, planeBytes, height, width, min(4, F - f), mTile + (<usize>f << 2), F);
          }
        } else {
          for (let f = 0; f < F; f += 4) {
            outputTransform(mTile + (<usize>f << 2), F, bias, f, relu, at + <usize>f * planeBytes, planeBytes, height, width, min(4, F - f));
          }
        }
      }
    }
  }
}

// A x for four v128 x0 .. x3 (the adjoint of Aᵀ: Σ_a Aᵀ[a][i]·x_a for i = 0 .. 5), output i stored at
// dst + i·stepBytes: (x0, (x0 + x2) ± (x1 + x3), (x0 + 4x2) ± (2x1 + 8x3), x3)
// @ts-ignore: decorator
@inline
function transformOutputAdjoint(dst: usize, stepBytes: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  const even = f32x4.add(x0, x2), odd = f32x4.add(x1, x3);
  const even4 = f32x4.add(x0, f32x4.mul(f32x4.splat(4), x2));
  const odd8 = f32x4.add(f32x4.mul(f32x4.splat(2), x1), f32x4.mul(f32x4.splat(8), x3));
  v128.store(dst, x0);
  v128.store(dst + stepBytes, f32x4.add(even, odd));
  v128.store(dst + 2 * stepBytes, f32x4.sub(even, odd));
  v128.store(dst + 3 * stepBytes, f32x4.add(even4, odd8));
  v128.store(dst + 4 * stepBytes, f32x4.sub(even4, odd8));
  v128.store(dst + 5 * stepBytes, x3);
}

// The adjoint of outputTransform (before its bias and ReLU): dM = A dY Aᵀ for one tile and channels
// f .. f + lanes − 1, dY's (a, b) of lane k read from `at` + k planes + a rows + b columns (0 past the map:
// a ≥ height or b ≥ width), dM[ξ] stored at mAt + ξ·F floats.
// @ts-ignore: decorator
@inline
function outputTransformAdjoint(at: usize, planeBytes: usize, height: i32, width: i32, lanes: i32, mAt: usize, F: i32): void {
  const rowBytes = <usize>outW << 2;
  const zero = f32x4.splat(0);
  // A along each row a of dY (lanes = channels): rows[a][0 .. 5]
  for (let a = 0; a < 4; a++) {
    let y0 = zero, y1 = zero, y2 = zero, y3 = zero;
    if (a < height) {
      const src = at + <usize>a * rowBytes;
      if (width == 4 && lanes == 4) {
        // the four channels' rows, one v128 each: transpose to one column of the block a v128
        const c0 = v128.load(src), c1 = v128.load(src + planeBytes), c2 = v128.load(src + 2 * planeBytes), c3 = v128.load(src + 3 * planeBytes);
        y0 = transposeInto(c0, c1, c2, c3, 0);
        y1 = transposeInto(c0, c1, c2, c3, 1);
        y2 = transposeInto(c0, c1, c2, c3, 2);
        y3 = transposeInto(c0, c1, c2, c3, 3);
      } else {
        y0 = partialLoad(src, planeBytes, lanes);
        if (width > 1) y1 = partialLoad(src + 4, planeBytes, lanes);
        if (width > 2) y2 = partialLoad(src + 8, planeBytes, lanes);
        if (width > 3) y3 = partialLoad(src + 12, planeBytes, lanes);
      }
    }
    transformOutputAdjoint(rows + (<usize>(a * 6) << 4), 16, y0, y1, y2, y3);
  }
  // then A along each column j, stored at ξ = 6i + j
  const xi = <usize>F << 2;
  for (let j = 0; j < 6; j++) {
    const column = rows + (<usize>j << 4);
    transformOutputAdjoint(mAt + <usize>j * xi, 6 * xi, v128.load(column), v128.load(column, 96), v128.load(column, 192), v128.load(column, 288));
  }
}

// Output transform of one tile for channels f .. f + lanes − 1: Y = Aᵀ m A (+ bias, ReLU), m[ξ] the v128 at
// mAt + ξ·F floats; Y's (a, b) of lane k stored at `at` + k planes + a rows + b columns, for a < height and
// b < width. Aᵀ x for six values x0 .. x5, with p = x1 + x2, q = x1 − x2, r = x3 + x4, s = x3 − x4, is
// (x0 + p + r, q + 2s, p + 4r, q + 8s + x5).
// @ts-ignore: decorator
@inline
function outputTransform(mAt: usize, F: i32, bias: usize, f: i32, relu: i32, at: usize, planeBytes: usize, height: i32, width: i32, lanes: i32): void {
  const xi = <usize>F << 2;
  const two = f32x4.splat(2), four = f32x4.splat(4), eight = f32x4.splat(8);
  // Aᵀ along each column j: rows[a][j], a = 0 .. 3
  for (let j = 0; j < 6; j++) {
    const m = mAt + <usize>j * xi;
    const x0 = v128.load(m), x1 = v128.load(m + 6 * xi), x2 = v128.load(m + 12 * xi);
    const x3 = v128.load(m + 18 * xi), x4 = v128.load(m + 24 * xi), x5 = v128.load(m + 30 * xi);
    const p = f32x4.add(x1, x2), q = f32x4.sub(x1, x2), r = f32x4.add(x3, x4), s = f32x4.sub(x3, x4);
    const column = rows + (<usize>j << 4);
    v128.store(column, f32x4.add(f32x4.add(x0, p), r));
    v128.store(column, f32x4.add(q, f32x4.mul(two, s)), 96);
    v128.store(column, f32x4.add(p, f32x4.mul(four, r)), 192);
    v128.store(column, f32x4.add(f32x4.add(q, f32x4.mul(eight, s)), x5), 288);
  }
  const b = bias == 0 ? f32x4.splat(0) : lanes == 4 ? v128.load(bias + (<usize>f << 2)) : partialLoad(bias + (<usize>f << 2), 4, lanes);
  const rowBytes = <usize>outW << 2;
  // then along each row a: Y[a][0 .. 3], lanes = channels
  for (let a = 0; a < height; a++) {
    const row = rows + (<usize>(a * 6) << 4);
    const x0 = v128.load(row), x1 = v128.load(row, 16), x2 = v128.load(row, 32);
    const x3 = v128.load(row, 48), x4 = v128.load(row, 64), x5 = v128.load(row, 80);
    const p = f32x4.add(x1, x2), q = f32x4.sub(x1, x2), r = f32x4.add(x3, x4), s = f32x4.sub(x3, x4);
    let y0 = f32x4.add(f32x4.add(f32x4.add(x0, p), r), b);
    let y1 = f32x4.add(f32x4.add(q, f32x4.mul(two, s)), b);
    let y2 = f32x4.add(f32x4.add(p, f32x4.mul(four, r)), b);
    let y3 = f32x4.add(f32x4.add(f32x4.add(q, f32x4.mul(eight, s)), x5), b);
    if (relu) {
      const zero = f32x4.splat(0); // pmax(0, y): the reference's ReLU bit for bit, in one instruction (winograd.ts)
      y0 = f32x4.pmax(zero, y0);
      y1 = f32x4.pmax(zero, y1);
      y2 = f32x4.pmax(zero, y2);
      y3 = f32x4.pmax(zero, y3);
    }
    const out = at + <usize>a * rowBytes;
    if (width == 4 && lanes == 4) {
      // the four channels' rows: transpose, one v128 store each
      v128.store(out, transposeInto(y0, y1, y2, y3, 0));
      v128.store(out + planeBytes, transposeInto(y0, y1, y2, y3, 1));
      v128.store(out + 2 * planeBytes, transposeInto(y0, y1, y2, y3, 2));
      v128.store(out + 3 * planeBytes, transposeInto(y0, y1, y2, y3, 3));
    } else {
      storeLanes(out, planeBytes, y0, lanes);
      if (width > 1) storeLanes(out + 4, planeBytes, y1, lanes);
      if (width > 2) storeLanes(out + 8, planeBytes, y2, lanes);
      if (width > 3) storeLanes(out + 12, planeBytes, y3, lanes);
    }
  }
}


