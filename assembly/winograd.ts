/**
 * Winograd F(2×2, 3×3): a 3×3, stride-1 convolution with 16 multiplies for every 2×2 block of outputs
 * instead of 36 (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks", CVPR 2016).
 *
 * In one dimension, two outputs of a 3-tap correlation y[i] = Σ_k d[i+k]·g[k] from four inputs:
 *
 *   m0 = (d0 − d2)·g0     m1 = (d1 + d2)·(g0 + g1 + g2)/2     m2 = (d2 − d1)·(g0 − g1 + g2)/2     m3 = (d1 − d3)·g2
 *   y0 = m0 + m1 + m2     y1 = m1 − m2 − m3
 *
 * that is y = Aᵀ[(G g) ⊙ (Bᵀ d)] with
 *
 *   Bᵀ = | 1  0 −1  0 |     G = | 1    0    0  |     Aᵀ = | 1  1  1  0 |
 *        | 0  1  1  0 |         | ½    ½    ½  |          | 0  1 −1 −1 |
 *        | 0 −1  1  0 |         | ½   −½    ½  |
 *        | 0  1  0 −1 |         | 0    0    1  |
 *
 * and in two, nested: the 4×4 input tile d of a 2×2 output block becomes V = Bᵀ d B, the 3×3 kernel
 * g becomes U = G g Gᵀ, and Y = Aᵀ (U ⊙ V) A. Summed over input channels, the 16 products of a tile are
 * 16 independent matrix products — one GEMM per position ξ of the 4×4 tile:
 *
 *   M_ξ [T, F] = V_ξᵀ [T, C] · U_ξ [C, F]        T = the tiles of all images of the call
 *
 * which the blocked GEMM of gemm.ts runs at its usual speed. Per 2×2 outputs of one channel pair that is
 * 16 multiply-adds against the direct convolution's 36: 2.25× fewer, or 1.9× on the paper's 11×11 map,
 * whose 6×6 tiles compute 144 outputs for its 121. The transforms are additions only (the ½ of G is
 * applied to the kernel, once per call), so the result differs from the direct sum by a few float32
 * roundings, well inside the parity tests' bound.
 *
 * Layouts (floats, row-major):
 *
 *   input   [N, C, H, W], zero padding P on every side (any P ≥ 0)
 *   output  [N, F, OH, OW], OH = H + 2P − 2, OW likewise; tiles TH × TW = ⌈OH/2⌉ × ⌈OW/2⌉ an image,
 *           tile t = (n·TH + ty)·TW + tx covering outputs (2ty .. 2ty+1, 2tx .. 2tx+1), its input window
 *           rows 2ty .. 2ty+3 and columns 2tx .. 2tx+3 of the padded image
 *   U       [16, C, F]  the transformed kernels (winogradKernels); ξ = 4i + j for row i, column j
 *   V       [16, C, TP] the transformed input tiles, TP = tilesPadded(T) (a row rounded up, see below)
 *   M       [T, 16, F]  the products, a tile's 16·F values together for the output transform
 *   plane   [PH, PW]    one input channel with its zero border, PH = 2·TH + 2, PW = 2·TW + 2
 *   offsets [TH·TW]     i32: each tile's window corner in the plane (2ty·PW + 2tx)
 *
 * Four tiles at a time: the input transform loads row r of four tiles' windows (a v128 each), transposes
 * the 4×4 block so that each v128 holds one window element of the four tiles, and transforms them lane
 * by lane — 16 v128 stores into V, four consecutive tiles each. An image whose tile count is not a
 * multiple of four ends with a group whose spare lanes repeat its last tile; their stores fall on the
 * next image's first tiles, which are written after them, or on the last row's padding (TP ≥ T + 3).
 * The output transform takes four output channels of one tile at a time (M's rows are contiguous in f),
 * adds the bias and, when asked, applies the ReLU, and stores each lane to its channel's plane.
 *
 * The backward pass (winogradBackward) is the adjoint of each step, in reverse: dM = A dY Aᵀ per tile,
 * then two GEMMs per ξ on the same dM — the kernels' gradient dU_ξ [C, F] += V_ξ · dM_ξ (the input
 * transformed again, or V as a training forward pass kept it) and the tiles' dV_ξ [C, T] = U_ξ · dM_ξᵀ —
 * then each tile's window of the input gradient += B dV Bᵀ, and once for the batch dWeight += Gᵀ dU G
 * (winogradKernelGradient). Both GEMMs have the forward pass's 16·C·F multiply-adds a tile: the whole layer,
 * forward and backward, does 2.25× fewer multiplies than the direct convolution's three products.
 */

import { gemm, gemmPackedB, packBWhole, packedBFloats } from './gemm';
import { zeroRun } from './float-runs';
import { partialLoad, storeLanes, transposeInto } from './lanes';
import {
  channelIntoPlane, corner, keepTilesAt, mBlock, outH, outW, perImage, plane, planeIntoChannel, planeSize, planeW, setTileGeometry, stride, tileCols, tileRows, tiles, tileScratchFloats, transformedTileFloats, vBlock,
} from './winograd-planes';

/**
 * Floats of scratch winogradConvolve wants for `images` images of [channels, H, W] with padding P into
 * outChannels maps: V, then M (with four floats' slack, for the last tile's spare lanes), then the plane,
 * then the tile offsets (as many i32s as tiles an image). Every block starts 16-byte aligned.
 */
export function winogradScratchFloats(images: i32, channels: i32, height: i32, width: i32, padding: i32, outChannels: i32): i32 {
  return tileScratchFloats(2, images, channels, height, width, padding, outChannels);
}

/** Floats of the transformed input tiles V of a winogradConvolve call on those sizes: what `keptTiles` holds. */
export function winogradKeptTileFloats(images: i32, channels: i32, height: i32, width: i32, padding: i32): i32 {
  return transformedTileFloats(2, images, channels, height, width, padding);
}


/** U [16, C, F] = G g Gᵀ for every kernel g = weight[f, c] ([F, C, 3, 3], PyTorch's layout). */
export function winogradKernels(weight: usize, outChannels: i32, inChannels: i32, u: usize): void {
  const F = outChannels;
  const C = inChannels;
  const plane = <usize>(F * C) << 2; // bytes between two ξ of U
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const g = weight + (<usize>((f * C + c) * 9) << 2);
      const g00 = load<f32>(g, 0), g01 = load<f32>(g, 4), g02 = load<f32>(g, 8);
      const g10 = load<f32>(g, 12), g11 = load<f32>(g, 16), g12 = load<f32>(g, 20);
      const g20 = load<f32>(g, 24), g21 = load<f32>(g, 28), g22 = load<f32>(g, 32);
      // G g: four rows of three (rows 1 and 2 halved sums)
      const a0 = g00, a1 = g01, a2 = g02;
      const b0: f32 = 0.5 * (g00 + g10 + g20), b1: f32 = 0.5 * (g01 + g11 + g21), b2: f32 = 0.5 * (g02 + g12 + g22);
      const c0: f32 = 0.5 * (g00 - g10 + g20), c1: f32 = 0.5 * (g01 - g11 + g21), c2: f32 = 0.5 * (g02 - g12 + g22);
      const d0 = g20, d1 = g21, d2 = g22;
      // (G g) Gᵀ, row by row, into U[ξ = 4i + j] at the kernel's slot
      const at = u + (<usize>(c * F + f) << 2);
      kernelRow(at, plane, 0, a0, a1, a2);
      kernelRow(at, plane, 4, b0, b1, b2);
      kernelRow(at, plane, 8, c0, c1, c2);
      kernelRow(at, plane, 12, d0, d1, d2);
    }
  }
}

// One row (x, y, z) of G g times Gᵀ: (x, (x + y + z)/2, (x − y + z)/2, z), stored at ξ = first .. first + 3.
// @ts-ignore: decorator
@inline
function kernelRow(at: usize, plane: usize, first: i32, x: f32, y: f32, z: f32): void {
  store<f32>(at + <usize>first * plane, x);
  store<f32>(at + <usize>(first + 1) * plane, 0.5 * (x + y + z));
  store<f32>(at + <usize>(first + 2) * plane, 0.5 * (x - y + z));
  store<f32>(at + <usize>(first + 3) * plane, z);
}

/**
 * Floats of the transformed kernels U [positions, C, F] packed for the forward pass's products (winogradPackKernels):
 * each U_ξ as packBWhole packs it. `positions` is 16 for F(2×2), 36 for F(4×4).
 */
export function winogradPackedKernelFloats(positions: i32, channels: i32, outChannels: i32): i32 {
  return positions * packedBFloats(channels, outChannels);
}

/**
 * U [positions, C, F] (winogradKernels' or winograd4Kernels') packed for the forward pass, U_ξ after U_ξ₋₁, into
 * `packed` (winogradPackedKernelFloats floats, 16-byte aligned): the B of every product M_ξ = V_ξᵀ · U_ξ, the
 * same for every chunk of images a layer's pass is cut into and, while the weight stays, for every batch — so
 * packed once, not in each product. winogradConvolve and winograd4Convolve read their kernels from it.
 */
export function winogradPackKernels(u: usize, positions: i32, channels: i32, outChannels: i32, packed: usize): void {
  const packedFloats = packedBFloats(channels, outChannels);
  for (let xi = 0; xi < positions; xi++) {
    packBWhole(u + (<usize>(xi * channels * outChannels) << 2), outChannels, channels, outChannels, packed + (<usize>(xi * packedFloats) << 2));
  }
}

/**
 * output [N, F, OH, OW] = the 3×3, stride-1 convolution of input [N, C, H, W] (zero padding P) with the
 * kernels U made by winogradKernels and packed by winogradPackKernels (`packedU`), + bias [F] (none when `bias`
 * is 0), then the ReLU (y > 0 ? y : 0) when `relu` is 1.
 * `scratch` holds winogradScratchFloats(N, C, H, W, P, F) floats, 16-byte aligned.
 * With `keptTiles` not 0, the transformed input tiles V are written there instead of into the scratch
 * (winogradKeptTileFloats(N, C, H, W, P) floats, 16-byte aligned) and left for the backward pass on the same input.
 */
export function winogradConvolve(
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
  setTileGeometry(2, images, channels, height, width, padding, F, scratch);
  if (keptTiles) keepTilesAt(keptTiles);
  transformInputs(input, images, channels, height, width, padding);
  // M_ξ [T, F] = V_ξᵀ · U_ξ
  const packedFloats = packedBFloats(channels, F);
  for (let xi = 0; xi < 16; xi++) {
    gemmPackedB(1, tiles, F, channels, vAt(xi, channels), stride, packedU + (<usize>(xi * packedFloats) << 2), mAt(xi, F), 16 * F, 0);
  }
  eachTile(images, F, output, false, bias, relu);
}

/**
 * The backward pass of winogradConvolve (without its bias and ReLU), as the adjoint of each of its steps:
 *
 *   dM_t = A dY_t Aᵀ              each tile's 2×2 block of dOutput (zero past the map's edge) → 4×4
 *   dU_ξ += V_ξ · dM_ξ            [C, F], over the call's tiles (V kept by the forward pass, or made again)
 *   dV_ξ  = U_ξ · dM_ξᵀ           [C, T]
 *   dInput window_t += B dV_t Bᵀ  windows overlap by two rows and columns, so each tile adds in turn
 *
 * dU accumulates ([16, C, F]: the caller zeroes it once, winogradKernelGradient folds it into dWeight);
 * dInput is overwritten. `du` or `dInput` 0: that gradient is not wanted. Scratch as for winogradConvolve. With
 * `keptTiles` not 0, dU reads V there — what winogradConvolve kept on this input — instead of transforming it again.
 */
export function winogradBackward(
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
  setTileGeometry(2, images, C, height, width, padding, F, scratch);
  eachTile(images, F, dOutput, true, 0, 0);
  if (du) {
    // V: the forward pass's, kept (bit for bit what transformInputs makes again), or transformed here
    if (keptTiles == 0) transformInputs(input, images, C, height, width, padding);
    const v = keptTiles != 0 ? keptTiles : vBlock;
    for (let xi = 0; xi < 16; xi++) {
      gemm(0, 0, C, F, tiles, v + (<usize>(xi * C * stride) << 2), stride, mAt(xi, F), 16 * F, du + (<usize>(xi * C * F) << 2), F, 1);
    }
  }
  if (dInput == 0) return;
  // dV_ξ [C, T] = U_ξ [C, F] · dM_ξᵀ, over V's block
  for (let xi = 0; xi < 16; xi++) {
    gemm(0, 1, C, tiles, F, u + (<usize>(xi * C * F) << 2), F, mAt(xi, F), 16 * F, vAt(xi, C), stride, 0);
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
 * dWeight [F, C, 3, 3] += Gᵀ dU G for every kernel, dU [16, C, F] as winogradBackward accumulated it:
 * the adjoint of U = G g Gᵀ.
 */
export function winogradKernelGradient(du: usize, outChannels: i32, inChannels: i32, dWeight: usize): void {
  const F = outChannels;
  const C = inChannels;
  const xi = <usize>(F * C) << 2;
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const at = du + (<usize>(c * F + f) << 2);
      // Gᵀ along each column j of dU: rows (u0 + u1/2 + u2/2, u1/2 − u2/2, u1/2 + u2/2 + u3)
      const r00 = kernelAdjoint0(at, xi, 0), r01 = kernelAdjoint0(at, xi, 1), r02 = kernelAdjoint0(at, xi, 2), r03 = kernelAdjoint0(at, xi, 3);
      const r10 = kernelAdjoint1(at, xi, 0), r11 = kernelAdjoint1(at, xi, 1), r12 = kernelAdjoint1(at, xi, 2), r13 = kernelAdjoint1(at, xi, 3);
      const r20 = kernelAdjoint2(at, xi, 0), r21 = kernelAdjoint2(at, xi, 1), r22 = kernelAdjoint2(at, xi, 2), r23 = kernelAdjoint2(at, xi, 3);
      // then G along each row
      const dw = dWeight + (<usize>((f * C + c) * 9) << 2);
      addKernelRow(dw, 0, r00, r01, r02, r03);
      addKernelRow(dw, 12, r10, r11, r12, r13);
      addKernelRow(dw, 24, r20, r21, r22, r23);
    }
  }
}

// Row p of Gᵀ times column j of dU (ξ = 4i + j at `at` + ξ·xi bytes).
// @ts-ignore: decorator
@inline
function kernelAdjoint0(at: usize, xi: usize, j: i32): f32 {
  return load<f32>(at + <usize>j * xi) + 0.5 * (load<f32>(at + <usize>(4 + j) * xi) + load<f32>(at + <usize>(8 + j) * xi));
}
// @ts-ignore: decorator
@inline
function kernelAdjoint1(at: usize, xi: usize, j: i32): f32 {
  return 0.5 * (load<f32>(at + <usize>(4 + j) * xi) - load<f32>(at + <usize>(8 + j) * xi));
}
// @ts-ignore: decorator
@inline
function kernelAdjoint2(at: usize, xi: usize, j: i32): f32 {
  return 0.5 * (load<f32>(at + <usize>(4 + j) * xi) + load<f32>(at + <usize>(8 + j) * xi)) + load<f32>(at + <usize>(12 + j) * xi);
}

// dw[row] += (x0 + x1/2 + x2/2, x1/2 − x2/2, x1/2 + x2/2 + x3): a row of (Gᵀ dU) times G.
// @ts-ignore: decorator
@inline
function addKernelRow(dw: usize, rowBytes: usize, x0: f32, x1: f32, x2: f32, x3: f32): void {
  const at = dw + rowBytes;
  store<f32>(at, load<f32>(at) + (x0 + 0.5 * (x1 + x2)));
  store<f32>(at, load<f32>(at, 4) + 0.5 * (x1 - x2), 4);
  store<f32>(at, load<f32>(at, 8) + (0.5 * (x1 + x2) + x3), 8);
}

// For every tile of the call, four channels at a time: M → the output maps [N, F, OH, OW] by the output
// transform (+ bias, ReLU), or, `adjoint`, the maps (dOutput) → dM by its adjoint.
function eachTile(images: i32, F: i32, maps: usize, adjoint: bool, bias: usize, relu: i32): void {
  const planeBytes = <usize>(outH * outW) << 2;
  for (let n = 0; n < images; n++) {
    const image = maps + <usize>(n * F) * planeBytes;
    for (let ty = 0; ty < tileRows; ty++) {
      const y = 2 * ty;
      const secondRow = y + 1 < outH;
      for (let tx = 0; tx < tileCols; tx++) {
        const x = 2 * tx;
        const secondCol = x + 1 < outW;
        const mTile = mBlock + (<usize>((n * perImage + ty * tileCols + tx) * 16 * F) << 2);
        const at = image + (<usize>(y * outW + x) << 2);
        if (adjoint) {
          // the last, partial group first: its whole-v128 stores run into the next ξ's first channels,
          // which the groups after it then write (and the last ξ's into the next tile's, or M's slack)
          for (let f = (F - 1) & ~3; f >= 0; f -= 4) {
            outputTransformAdjoint(at + <usize>f * planeBytes, planeBytes, secondRow, secondCol, min(4, F - f), mTile + (<usize>f << 2), F);
          }
        } else {
          for (let f = 0; f < F; f += 4) {
            outputTransform(mTile + (<usize>f << 2), F, bias, f, relu, at + <usize>f * planeBytes, planeBytes, secondRow, secondCol, min(4, F - f));
          }
        }
      }
    }
  }
}

// V_ξ (and dV_ξ): [C, T], rows `stride` floats apart.
// @ts-ignore: decorator
@inline
function vAt(xi: i32, channels: i32): usize {
  return vBlock + (<usize>(xi * channels * stride) << 2);
}

// M_ξ (and dM_ξ): [T, F], rows 16·F floats apart.
// @ts-ignore: decorator
@inline
function mAt(xi: i32, outChannels: i32): usize {
  return mBlock + (<usize>(xi * outChannels) << 2);
}

// V [16, C, T] ← the input transform of every tile of the call's images (setTileGeometry first).
function transformInputs(input: usize, images: i32, channels: i32, height: i32, width: i32, padding: i32): void {
  // the plane's border stays zero: each channel overwrites only its own rectangle
  zeroRun(plane, planeSize);
  const xiBytes = <usize>(channels * stride) << 2;
  for (let n = 0; n < images; n++) {
    for (let c = 0; c < channels; c++) {
      channelIntoPlane(input + (<usize>((n * channels + c) * height * width) << 2), height, width, plane, planeW, padding);
      const vRow = vBlock + (<usize>(c * stride + n * perImage) << 2);
      for (let t = 0; t < perImage; t += 4) transformTiles(t, vRow, xiBytes);
    }
  }
}



// Input transform of tiles first .. first + 3 of an image: V = Bᵀ d B for each, lane k of every store being
// tile first + k; `xiBytes` is the distance between two ξ of V.
// @ts-ignore: decorator
@inline
function transformTiles(first: i32, vRow: usize, xiBytes: usize): void {
  const p0 = corner(first, 0), p1 = corner(first, 1), p2 = corner(first, 2), p3 = corner(first, 3);
  const rowBytes = <usize>planeW << 2;
  // d[r][j]: window element (r, j) of the four tiles, one per lane
  const a00 = v128.load(p0), a01 = v128.load(p1), a02 = v128.load(p2), a03 = v128.load(p3);
  const d00 = transposeInto(a00, a01, a02, a03, 0), d01 = transposeInto(a00, a01, a02, a03, 1);
  const d02 = transposeInto(a00, a01, a02, a03, 2), d03 = transposeInto(a00, a01, a02, a03, 3);
  const a10 = v128.load(p0 + rowBytes), a11 = v128.load(p1 + rowBytes), a12 = v128.load(p2 + rowBytes), a13 = v128.load(p3 + rowBytes);
  const d10 = transposeInto(a10, a11, a12, a13, 0), d11 = transposeInto(a10, a11, a12, a13, 1);
  const d12 = transposeInto(a10, a11, a12, a13, 2), d13 = transposeInto(a10, a11, a12, a13, 3);
  const r2 = rowBytes * 2;
  const a20 = v128.load(p0 + r2), a21 = v128.load(p1 + r2), a22 = v128.load(p2 + r2), a23 = v128.load(p3 + r2);
  const d20 = transposeInto(a20, a21, a22, a23, 0), d21 = transposeInto(a20, a21, a22, a23, 1);
  const d22 = transposeInto(a20, a21, a22, a23, 2), d23 = transposeInto(a20, a21, a22, a23, 3);
  const r3 = rowBytes * 3;
  const a30 = v128.load(p0 + r3), a31 = v128.load(p1 + r3), a32 = v128.load(p2 + r3), a33 = v128.load(p3 + r3);
  const d30 = transposeInto(a30, a31, a32, a33, 0), d31 = transposeInto(a30, a31, a32, a33, 1);
  const d32 = transposeInto(a30, a31, a32, a33, 2), d33 = transposeInto(a30, a31, a32, a33, 3);
  // Bᵀ d: along each column j, rows (d0 − d2, d1 + d2, d2 − d1, d1 − d3)
  const e00 = f32x4.sub(d00, d20), e01 = f32x4.sub(d01, d21), e02 = f32x4.sub(d02, d22), e03 = f32x4.sub(d03, d23);
  const e10 = f32x4.add(d10, d20), e11 = f32x4.add(d11, d21), e12 = f32x4.add(d12, d22), e13 = f32x4.add(d13, d23);
  const e20 = f32x4.sub(d20, d10), e21 = f32x4.sub(d21, d11), e22 = f32x4.sub(d22, d12), e23 = f32x4.sub(d23, d13);
  const e30 = f32x4.sub(d10, d30), e31 = f32x4.sub(d11, d31), e32 = f32x4.sub(d12, d32), e33 = f32x4.sub(d13, d33);
  // (Bᵀ d) B: the same along each row i, stored at ξ = 4i .. 4i + 3
  const at = vRow + (<usize>first << 2);
  inputRow(at, 0, xiBytes, e00, e01, e02, e03);
  inputRow(at, 4, xiBytes, e10, e11, e12, e13);
  inputRow(at, 8, xiBytes, e20, e21, e22, e23);
  inputRow(at, 12, xiBytes, e30, e31, e32, e33);
}

// One row (x0, x1, x2, x3) of Bᵀ d times B: (x0 − x2, x1 + x2, x2 − x1, x1 − x3) at ξ = first .. first + 3.
// @ts-ignore: decorator
@inline
function inputRow(at: usize, first: i32, xiBytes: usize, x0: v128, x1: v128, x2: v128, x3: v128): void {
  v128.store(at + <usize>first * xiBytes, f32x4.sub(x0, x2));
  v128.store(at + <usize>(first + 1) * xiBytes, f32x4.add(x1, x2));
  v128.store(at + <usize>(first + 2) * xiBytes, f32x4.sub(x2, x1));
  v128.store(at + <usize>(first + 3) * xiBytes, f32x4.sub(x1, x3));
}

// The adjoint of transformTiles: each of tiles first .. first + 3 that is the image's adds B dV Bᵀ to its
// window in the plane, one tile after another (neighbouring windows overlap).
// @ts-ignore: decorator
@inline
function transformTilesAdjoint(first: i32, dvRow: usize, xiBytes: usize): void {
  const at = dvRow + (<usize>first << 2);
  // B (·) along each row i of dV: (v0, v1 − v2 + v3, −v0 + v1 + v2, −v3)
  const v00 = v128.load(at), v01 = v128.load(at + xiBytes), v02 = v128.load(at + 2 * xiBytes), v03 = v128.load(at + 3 * xiBytes);
  const v10 = v128.load(at + 4 * xiBytes), v11 = v128.load(at + 5 * xiBytes), v12 = v128.load(at + 6 * xiBytes), v13 = v128.load(at + 7 * xiBytes);
  const v20 = v128.load(at + 8 * xiBytes), v21 = v128.load(at + 9 * xiBytes), v22 = v128.load(at + 10 * xiBytes), v23 = v128.load(at + 11 * xiBytes);
  const v30 = v128.load(at + 12 * xiBytes), v31 = v128.load(at + 13 * xiBytes), v32 = v128.load(at + 14 * xiBytes), v33 = v128.load(at + 15 * xiBytes);
  const e00 = v00, e01 = f32x4.add(f32x4.sub(v01, v02), v03), e02 = f32x4.add(f32x4.sub(v01, v00), v02), e03 = f32x4.neg(v03);
  const e10 = v10, e11 = f32x4.add(f32x4.sub(v11, v12), v13), e12 = f32x4.add(f32x4.sub(v11, v10), v12), e13 = f32x4.neg(v13);
  const e20 = v20, e21 = f32x4.add(f32x4.sub(v21, v22), v23), e22 = f32x4.add(f32x4.sub(v21, v20), v22), e23 = f32x4.neg(v23);
  const e30 = v30, e31 = f32x4.add(f32x4.sub(v31, v32), v33), e32 = f32x4.add(f32x4.sub(v31, v30), v32), e33 = f32x4.neg(v33);
  // then along each column j: rows (e0, e1 − e2 + e3, −e0 + e1 + e2, −e3) of the window, lanes = tiles
  const d00 = e00, d01 = e01, d02 = e02, d03 = e03;
  const d10 = f32x4.add(f32x4.sub(e10, e20), e30), d11 = f32x4.add(f32x4.sub(e11, e21), e31);
  const d12 = f32x4.add(f32x4.sub(e12, e22), e32), d13 = f32x4.add(f32x4.sub(e13, e23), e33);
  const d20 = f32x4.add(f32x4.sub(e10, e00), e20), d21 = f32x4.add(f32x4.sub(e11, e01), e21);
  const d22 = f32x4.add(f32x4.sub(e12, e02), e22), d23 = f32x4.add(f32x4.sub(e13, e03), e23);
  const d30 = f32x4.neg(e30), d31 = f32x4.neg(e31), d32 = f32x4.neg(e32), d33 = f32x4.neg(e33);
  // rows of each tile's window: transpose the lanes back, then add row by row
  const rowBytes = <usize>planeW << 2;
  const count = min(4, perImage - first);
  addWindowRow(first, count, 0, transposeInto(d00, d01, d02, d03, 0), transposeInto(d00, d01, d02, d03, 1), transposeInto(d00, d01, d02, d03, 2), transposeInto(d00, d01, d02, d03, 3));
  addWindowRow(first, count, rowBytes, transposeInto(d10, d11, d12, d13, 0), transposeInto(d10, d11, d12, d13, 1), transposeInto(d10, d11, d12, d13, 2), transposeInto(d10, d11, d12, d13, 3));
  addWindowRow(first, count, 2 * rowBytes, transposeInto(d20, d21, d22, d23, 0), transposeInto(d20, d21, d22, d23, 1), transposeInto(d20, d21, d22, d23, 2), transposeInto(d20, d21, d22, d23, 3));
  addWindowRow(first, count, 3 * rowBytes, transposeInto(d30, d31, d32, d33, 0), transposeInto(d30, d31, d32, d33, 1), transposeInto(d30, d31, d32, d33, 2), transposeInto(d30, d31, d32, d33, 3));
}

// Row `rowBytes / planeW` of the windows of tiles first .. first + count − 1 += w0 .. w3 (tile k's row in wk).
// @ts-ignore: decorator
@inline
function addWindowRow(first: i32, count: i32, rowBytes: usize, w0: v128, w1: v128, w2: v128, w3: v128): void {
  const p0 = corner(first, 0) + rowBytes;
  v128.store(p0, f32x4.add(v128.load(p0), w0));
  if (count > 1) {
    const p1 = corner(first, 1) + rowBytes;
    v128.store(p1, f32x4.add(v128.load(p1), w1));
  }
  if (count > 2) {
    const p2 = corner(first, 2) + rowBytes;
    v128.store(p2, f32x4.add(v128.load(p2), w2));
  }
  if (count > 3) {
    const p3 = corner(first, 3) + rowBytes;
    v128.store(p3, f32x4.add(v128.load(p3), w3));
  }
}

// Output transform of one tile for channels f .. f + lanes − 1: Y = Aᵀ m A (+ bias, ReLU), m[ξ] the v128
// at mAt + ξ·F floats; Y's (a, b) of lane k stored at `at` + k planes + a rows + b columns.
// @ts-ignore: decorator
@inline
function outputTransform(mAt: usize, F: i32, bias: usize, f: i32, relu: i32, at: usize, planeBytes: usize, secondRow: bool, secondCol: bool, lanes: i32): void {
  const xi = <usize>F << 2;
  // Aᵀ m: rows (m0 + m1 + m2, m1 − m2 − m3) along each column j
  const m0 = v128.load(mAt), m1 = v128.load(mAt + xi), m2 = v128.load(mAt + 2 * xi), m3 = v128.load(mAt + 3 * xi);
  const m4 = v128.load(mAt + 4 * xi), m5 = v128.load(mAt + 5 * xi), m6 = v128.load(mAt + 6 * xi), m7 = v128.load(mAt + 7 * xi);
  const m8 = v128.load(mAt + 8 * xi), m9 = v128.load(mAt + 9 * xi), m10 = v128.load(mAt + 10 * xi), m11 = v128.load(mAt + 11 * xi);
  const m12 = v128.load(mAt + 12 * xi), m13 = v128.load(mAt + 13 * xi), m14 = v128.load(mAt + 14 * xi), m15 = v128.load(mAt + 15 * xi);
  const s00 = f32x4.add(f32x4.add(m0, m4), m8), s01 = f32x4.add(f32x4.add(m1, m5), m9);
  const s02 = f32x4.add(f32x4.add(m2, m6), m10), s03 = f32x4.add(f32x4.add(m3, m7), m11);
  const s10 = f32x4.sub(f32x4.sub(m4, m8), m12), s11 = f32x4.sub(f32x4.sub(m5, m9), m13);
  const s12 = f32x4.sub(f32x4.sub(m6, m10), m14), s13 = f32x4.sub(f32x4.sub(m7, m11), m15);
  // (Aᵀ m) A: the same along each row
  let y00 = f32x4.add(f32x4.add(s00, s01), s02), y01 = f32x4.sub(f32x4.sub(s01, s02), s03);
  let y10 = f32x4.add(f32x4.add(s10, s11), s12), y11 = f32x4.sub(f32x4.sub(s11, s12), s13);
  if (bias) {
    const b = lanes == 4 ? v128.load(bias + (<usize>f << 2)) : partialLoad(bias + (<usize>f << 2), 4, lanes);
    y00 = f32x4.add(y00, b);
    y01 = f32x4.add(y01, b);
    y10 = f32x4.add(y10, b);
    y11 = f32x4.add(y11, b);
  }
  if (relu) {
    // pmax(0, y) = 0 < y ? y : 0, the reference's ReLU bit for bit (+0 for NaN and −0) in one instruction, where
    // f32x4.max kept NaN and took several
    const zero = f32x4.splat(0);
    y00 = f32x4.pmax(zero, y00);
    y01 = f32x4.pmax(zero, y01);
    y10 = f32x4.pmax(zero, y10);
    y11 = f32x4.pmax(zero, y11);
  }
  const rowBytes = <usize>outW << 2;
  storeLanes(at, planeBytes, y00, lanes);
  if (secondCol) storeLanes(at + 4, planeBytes, y01, lanes);
  if (secondRow) {
    storeLanes(at + rowBytes, planeBytes, y10, lanes);
    if (secondCol) storeLanes(at + rowBytes + 4, planeBytes, y11, lanes);
  }
}

// The adjoint of outputTransform (before its bias and ReLU): dM = A dY Aᵀ for one tile and channels
// f .. f + lanes − 1, dY's (a, b) of lane k read from `at` + k planes + a rows + b columns (0 past the map),
// dM[ξ] stored at mAt + ξ·F floats.
// @ts-ignore: decorator
@inline
function outputTransformAdjoint(at: usize, planeBytes: usize, secondRow: bool, secondCol: bool, lanes: i32, mAt: usize, F: i32): void {
  const rowBytes = <usize>outW << 2;
  const zero = f32x4.splat(0);
  const y00 = partialLoad(at, planeBytes, lanes);
  const y01 = secondCol ? partialLoad(at + 4, planeBytes, lanes) : zero;
  const y10 = secondRow ? partialLoad(at + rowBytes, planeBytes, lanes) : zero;
  const y11 = secondRow && secondCol ? partialLoad(at + rowBytes + 4, planeBytes, lanes) : zero;
  // A (·) along each row a: (y0, y0 + y1, y0 − y1, −y1)
  const r01 = f32x4.add(y00, y01), r02 = f32x4.sub(y00, y01), r03 = f32x4.neg(y01);
  const r11 = f32x4.add(y10, y11), r12 = f32x4.sub(y10, y11), r13 = f32x4.neg(y11);
  // then along each column j: rows (r0, r0 + r1, r0 − r1, −r1), stored at ξ = 4i + j
  const xi = <usize>F << 2;
  adjointColumn(mAt, xi, 0, y00, y10);
  adjointColumn(mAt, xi, 1, r01, r11);
  adjointColumn(mAt, xi, 2, r02, r12);
  adjointColumn(mAt, xi, 3, r03, r13);
}

// Column j of A (r0; r1) Aᵀ: (r0, r0 + r1, r0 − r1, −r1) at ξ = j, 4 + j, 8 + j, 12 + j.
// @ts-ignore: decorator
@inline
function adjointColumn(mAt: usize, xi: usize, j: i32, r0: v128, r1: v128): void {
  v128.store(mAt + <usize>j * xi, r0);
  v128.store(mAt + <usize>(4 + j) * xi, f32x4.add(r0, r1));
  v128.store(mAt + <usize>(8 + j) * xi, f32x4.sub(r0, r1));
  v128.store(mAt + <usize>(12 + j) * xi, f32x4.neg(r1));
}


