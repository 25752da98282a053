/**
 * The forward pass of a convolution with few taps (a first layer: C·K·K ≤ 32 on 1 to 3 channels), stride 1,
 * computed straight from the (padded) image, one image a call:
 *
 *   output[f, y, x] = Σ_tap weight[f, tap] · image[c, y + ky, x + kx]  + bias[f]     tap = (c, ky, kx)
 *                     then max(·, 0) when `relu`
 *
 * Why: the GEMM runs this product with the im2col matrix as B and an inner size of only C·K·K (9 for the paper's
 * conv1), so each C tile is set up, summed over 9 steps and stored, B's panel is packed from the image first,
 * and the bias (and ReLU) takes another pass over the output: such forward passes ran at 15–21 GFLOP/s, a third
 * of the ceiling. Here nothing of the image is packed and the bias is added in registers.
 *
 * Tile: the GEMM's micro-kernel tile (gemm.ts) — MR filters × 8 consecutive columns of one output row, MR = 5
 * with fused multiply-add (relaxed build), 4 without (a last sliver of 1 or 2 filters: 2) — whose B row for tap k is
 * read straight from the image:
 * two v128 at the tile's first input pixel plus the tap's offset. The weights are packed as the GEMM packs A,
 * slivers of MR filters, a tap's MR weights side by side, the filters past F zero. A row whose width is not a
 * multiple of 8 ends with a tile of 8 columns at OW − 8 when more than 4 are left, else of 4 at OW − 4, which
 * overlaps the tile before it and writes the overlapped columns again with the same values (OW 26, the paper's:
 * 8 + 8 + 8 + 4 columns computed). Every read stays inside the image.
 *
 * Bit for bit the GEMM path's output: each output's sum runs over the taps in the same order (c, ky, kx), from
 * zero, by the same multiply-add (madd), as the GEMM's one K block (C·K·K ≤ KC) sums it; the bias is then added
 * in float32 and the ReLU masks as addBias and addBiasRelu (elementwise.ts) do after the GEMM.
 *
 * directConvolutionReluMaxPool is the same convolution with its ReLU and a 2×2, stride-2 max pool, for an
 * evaluation pass's first block: the tile stacked over two map rows, pooled in registers, the map never stored.
 */

import { writeTapOffsets } from './direct-weight-gradient';
import { madd, MR } from './gemm';

/** Floats of scratch directConvolution wants: the taps' offsets (i32s, rounded up to 16 bytes), then the weights packed in slivers. */
export function directConvolutionScratchFloats(taps: i32, filters: i32): i32 {
  return offsetsFloats(taps) + ((filters + MR - 1) / MR) * MR * taps;
}

// The taps' offsets' share of the scratch, in floats: taps rounded up to a multiple of 4, so the slivers after them are 16-byte aligned.
// @ts-ignore: decorator
@inline
function offsetsFloats(taps: i32): i32 {
  return (taps + 3) & ~3;
}

/**
 * output [F, OH, OW] ← the stride-1 convolution of one image [C, H, W] (padded already; OH = H − K + 1,
 * OW = W − K + 1 ≥ 8) with weight [F, C, K, K], + bias, then the ReLU when relu = 1. `scratch` holds
 * directConvolutionScratchFloats(C·K·K, F) floats, 16-byte aligned.
 */
export function directConvolution(
  image: usize,
  channels: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  weight: usize,
  filters: i32,
  bias: usize,
  relu: i32,
  output: usize,
  scratch: usize,
): void {
  const taps = channels * kernelSize * kernelSize;
  const outH = height - kernelSize + 1;
  const outW = width - kernelSize + 1;
  const offsets = scratch;
  const slivers = prepareScratch(scratch, channels, height, width, kernelSize, weight, filters);
  const plane = <usize>(outH * outW) << 2;
  const sliverBytes = <usize>(taps * MR) << 2;
  for (let f0 = 0; f0 < filters; f0 += MR) {
    const rows = min(MR, filters - f0);
    const sliver = slivers + <usize>(f0 / MR) * sliverBytes;
    const out = output + <usize>f0 * plane;
    const b = bias + (<usize>f0 << 2);
    for (let y = 0; y < outH; y++) {
      const inRow = image + (<usize>(y * width) << 2);
      const outRow = out + (<usize>(y * outW) << 2);
      let x = 0;
      for (; x + 8 <= outW; x += 8) {
        if (relu) tile(taps, sliver, inRow + (<usize>x << 2), offsets, outRow + (<usize>x << 2), plane, b, rows, true);
        else tile(taps, sliver, inRow + (<usize>x << 2), offsets, outRow + (<usize>x << 2), plane, b, rows, false);
      }
      if (x == outW) continue;
      // the row's last columns: 8 from OW − 8 when more than 4 are left, else 4 from OW − 4, overlapping the tile before
      if (outW - x > 4) {
        x = outW - 8;
        if (relu) tile(taps, sliver, inRow + (<usize>x << 2), offsets, outRow + (<usize>x << 2), plane, b, rows, true);
        else tile(taps, sliver, inRow + (<usize>x << 2), offsets, outRow + (<usize>x << 2), plane, b, rows, false);
      } else {
        x = outW - 4;
        if (relu) halfTile(taps, sliver, inRow + (<usize>x << 2), offsets, outRow + (<usize>x << 2), plane, b, rows, true);
        else halfTile(taps, sliver, inRow + (<usize>x << 2), offsets, outRow + (<usize>x << 2), plane, b, rows, false);
      }
    }
  }
}

/**
 * pooled [F, PH, PW] ← the 2×2, stride-2 max pool of max(conv, 0), conv the stride-1 convolution of one image
 * [C, H, W] (padded already; OH = H − K + 1, OW = W − K + 1 ≥ 4) with weight [F, C, K, K] + bias, as directConvolution
 * makes it: PH = ⌊OH/2⌋, PW = ⌊OW/2⌋ (a last odd row or column of the map is left out, as the pool leaves it). An
 * evaluation pass's first block in one go, the map never stored: the tile is directConvolution's with its two B
 * vectors stacked — 4 columns of map row 2i and the same 4 of row 2i + 1, so its MR × 8 sums are each filter's two
 * rows of one pair of 2×2 windows — and the bias, the ReLU and the pool are taken in registers, 2 outputs a filter
 * stored. A row of the pool ends with a pair at PW − 2, overlapping the one before when PW is odd. `scratch` holds
 * directConvolutionScratchFloats(C·K·K, F) floats, 16-byte aligned.
 *
 * Bit for bit directConvolution with relu = 1 and then maxPool2dForward: each map value is the same sum plus the
 * bias, masked the same way, and after the mask every value is +0 or positive (NaN and −0 become +0), so a window's
 * largest is one number whichever order its four are compared in — pmax's here, the pool's strict > there.
 */
export function directConvolutionReluMaxPool(
  image: usize,
  channels: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  weight: usize,
  filters: i32,
  bias: usize,
  pooled: usize,
  scratch: usize,
): void {
  const taps = channels * kernelSize * kernelSize;
  const poolH = (height - kernelSize + 1) >> 1;
  const poolW = (width - kernelSize + 1) >> 1;
  const offsets = scratch;
  const slivers = prepareScratch(scratch, channels, height, width, kernelSize, weight, filters);
  const plane = <usize>(poolH * poolW) << 2;
  const sliverBytes = <usize>(taps * MR) << 2;
  const rowBytes = <usize>width << 2;
  for (let f0 = 0; f0 < filters; f0 += MR) {
    const rows = min(MR, filters - f0);
    const sliver = slivers + <usize>(f0 / MR) * sliverBytes;
    const out = pooled + <usize>f0 * plane;
    const b = bias + (<usize>f0 << 2);
    for (let i = 0; i < poolH; i++) {
      const upper = image + <usize>(2 * i) * rowBytes; // map row 2i's first input pixel
      const outRow = out + (<usize>(i * poolW) << 2);
      for (let j = 0; j < poolW; j += 2) {
        const first = min(j, poolW - 2); // the pair of outputs: first and first + 1
        pooledTile(taps, sliver, upper + (<usize>(2 * first) << 2), offsets, outRow + (<usize>first << 2), plane, b, rows, rowBytes);
      }
    }
  }
}

// One pair of outputs for each of `rows` filters: out[r, 0:2] (row r at out + r·plane) = the 2×2 max of
// relu(Σ_k sliver[k, r] · image[p + offsets[k], 0:4] + bias[r]) over map rows p and p + rowBytes.
// @ts-ignore: decorator
@inline
function pooledTile(taps: i32, sliver: usize, p: usize, offsets: usize, out: usize, plane: usize, bias: usize, rows: i32, rowBytes: usize): void {
  if (rows <= 2) tile2x8(taps, sliver, p, offsets, out, plane, bias, rows, true, true, rowBytes);
  else if (ASC_FEATURE_RELAXED_SIMD) tile5x8(taps, sliver, p, offsets, out, plane, bias, rows, true, true, rowBytes);
  else tile4x8(taps, sliver, p, offsets, out, plane, bias, rows, true, true, rowBytes);
}

// The scratch of both kernels: the taps' offsets into the image at `scratch`, then the weights packed in slivers
// after them; returns where the slivers start.
function prepareScratch(scratch: usize, channels: i32, height: i32, width: i32, kernelSize: i32, weight: usize, filters: i32): usize {
  const taps = channels * kernelSize * kernelSize;
  const slivers = scratch + (<usize>offsetsFloats(taps) << 2);
  writeTapOffsets(scratch, channels, height, width, kernelSize);
  packWeights(weight, filters, taps, slivers);
  return slivers;
}

// slivers[s][k][r] = weight[s·MR + r, k], or 0 for a filter past the last.
function packWeights(weight: usize, filters: i32, taps: i32, slivers: usize): void {
  let at = slivers;
  for (let f0 = 0; f0 < filters; f0 += MR) {
    for (let k = 0; k < taps; k++) {
      for (let r = 0; r < MR; r++) {
        const f = f0 + r;
        store<f32>(at, f < filters ? load<f32>(weight + ((<usize>(f * taps + k)) << 2)) : 0);
        at += 4;
      }
    }
  }
}

// One tile: out[r, 0:8] (row r at out + r·plane) = relu?(Σ_k sliver[k, r] · image[p + offsets[k], 0:8] + bias[r]), r < rows.
// @ts-ignore: decorator
@inline
function tile(taps: i32, sliver: usize, p: usize, offsets: usize, out: usize, plane: usize, bias: usize, rows: i32, relu: bool): void {
  if (rows <= 2) tile2x8(taps, sliver, p, offsets, out, plane, bias, rows, relu, false, 0);
  else if (ASC_FEATURE_RELAXED_SIMD) tile5x8(taps, sliver, p, offsets, out, plane, bias, rows, relu, false, 0);
  else tile4x8(taps, sliver, p, offsets, out, plane, bias, rows, relu, false, 0);
}

// A tile of 4 columns (a row's last): out[r, 0:4] (row r at out + r·plane), r < rows, as `tile`.
// @ts-ignore: decorator
@inline
function halfTile(taps: i32, sliver: usize, p: usize, offsets: usize, out: usize, plane: usize, bias: usize, rows: i32, relu: bool): void {
  if (ASC_FEATURE_RELAXED_SIMD) tile5x4(taps, sliver, p, offsets, out, plane, bias, rows, relu);
  else tile4x4(taps, sliver, p, offsets, out, plane, bias, rows, relu);
}

// The relaxed build's 5×8 tile, its loop the GEMM's microKernel5x8 with B read from the image: 8 columns of a row, or
// `stacked`, 4 columns of two rows (rowBytes apart) pooled by storePooled. (`stacked` is a constant where it is inlined.)
// @ts-ignore: decorator
@inline
function tile5x8(taps: i32, a: usize, p: usize, offsets: usize, out: usize, plane: usize, bias: usize, rows: i32, relu: bool, stacked: bool, rowBytes: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  const end = offsets + (<usize>taps << 2);
  for (let o = offsets; o < end; o += 4) {
    const b = p + <usize>load<i32>(o);
    const b0 = v128.load(b);
    const b1 = stacked ? v128.load(b + rowBytes) : v128.load(b, 16); // (stacked a constant after inlining: one of the two)
    let ai = v128.load32_splat(a, 16);
    c40 = madd(ai, b0, c40);
    c41 = madd(ai, b1, c41);
    const a03 = v128.load(a); // filters 0–3 at tap k
    ai = v128.shuffle<f32>(a03, a03, 0, 0, 0, 0);
    c00 = madd(ai, b0, c00);
    c01 = madd(ai, b1, c01);
    ai = v128.shuffle<f32>(a03, a03, 1, 1, 1, 1);
    c10 = madd(ai, b0, c10);
    c11 = madd(ai, b1, c11);
    ai = v128.shuffle<f32>(a03, a03, 2, 2, 2, 2);
    c20 = madd(ai, b0, c20);
    c21 = madd(ai, b1, c21);
    ai = v128.shuffle<f32>(a03, a03, 3, 3, 3, 3);
    c30 = madd(ai, b0, c30);
    c31 = madd(ai, b1, c31);
    a += 5 * 4;
  }
  if (stacked) {
    storePooled(out, c00, c01, bias);
    if (rows > 1) storePooled(out + plane, c10, c11, bias + 4);
    if (rows > 2) storePooled(out + 2 * plane, c20, c21, bias + 8);
    if (rows > 3) storePooled(out + 3 * plane, c30, c31, bias + 12);
    if (rows > 4) storePooled(out + 4 * plane, c40, c41, bias + 16);
    return;
  }
  storeRow(out, c00, c01, bias, relu);
  if (rows > 1) storeRow(out + plane, c10, c11, bias + 4, relu);
  if (rows > 2) storeRow(out + 2 * plane, c20, c21, bias + 8, relu);
  if (rows > 3) storeRow(out + 3 * plane, c30, c31, bias + 12, relu);
  if (rows > 4) storeRow(out + 4 * plane, c40, c41, bias + 16, relu);
}

// The tile of a last sliver of 1 or 2 filters (the paper's conv1: 32 = 6·5 + 2 filters on the relaxed build;
// LeNet-5's: 6 = 5 + 1, or 4 + 2 on the plain one), as tile5x8 but for the sliver's first two rows only — the others
// are zeros that no output reads, whose MR × 8 multiply-adds the full tile spent. Each output's sum is the same, by
// the same madd in the same order.
// @ts-ignore: decorator
@inline
function tile2x8(taps: i32, a: usize, p: usize, offsets: usize, out: usize, plane: usize, bias: usize, rows: i32, relu: bool, stacked: bool, rowBytes: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  const end = offsets + (<usize>taps << 2);
  for (let o = offsets; o < end; o += 4) {
    const b = p + <usize>load<i32>(o);
    const b0 = v128.load(b);
    const b1 = stacked ? v128.load(b + rowBytes) : v128.load(b, 16);
    let ai = v128.load32_splat(a);
    c00 = madd(ai, b0, c00);
    c01 = madd(ai, b1, c01);
    ai = v128.load32_splat(a, 4);
    c10 = madd(ai, b0, c10);
    c11 = madd(ai, b1, c11);
    a += MR * 4;
  }
  if (stacked) {
    storePooled(out, c00, c01, bias);
    if (rows > 1) storePooled(out + plane, c10, c11, bias + 4);
    return;
  }
  storeRow(out, c00, c01, bias, relu);
  if (rows > 1) storeRow(out + plane, c10, c11, bias + 4, relu);
}

// The plain build's 4×8 tile, its loop the GEMM's microKernel4x8 with B read from the image, as tile5x8.
// @ts-ignore: decorator
@inline
function tile4x8(taps: i32, a: usize, p: usize, offsets: usize, out: usize, plane: usize, bias: usize, rows: i32, relu: bool, stacked: bool, rowBytes: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  const end = offsets + (<usize>taps << 2);
  for (let o = offsets; o < end; o += 4) {
    const b = p + <usize>load<i32>(o);
    const b0 = v128.load(b);
    const b1 = stacked ? v128.load(b + rowBytes) : v128.load(b, 16); // (stacked a constant after inlining: one of the two)
    let ai = v128.load32_splat(a);
    c00 = madd(ai, b0, c00);
    c01 = madd(ai, b1, c01);
    ai = v128.load32_splat(a, 4);
    c10 = madd(ai, b0, c10);
    c11 = madd(ai, b1, c11);
    ai = v128.load32_splat(a, 8);
    c20 = madd(ai, b0, c20);
    c21 = madd(ai, b1, c21);
    ai = v128.load32_splat(a, 12);
    c30 = madd(ai, b0, c30);
    c31 = madd(ai, b1, c31);
    a += 4 * 4;
  }
  if (stacked) {
    storePooled(out, c00, c01, bias);
    if (rows > 1) storePooled(out + plane, c10, c11, bias + 4);
    if (rows > 2) storePooled(out + 2 * plane, c20, c21, bias + 8);
    if (rows > 3) storePooled(out + 3 * plane, c30, c31, bias + 12);
    return;
  }
  storeRow(out, c00, c01, bias, relu);
  if (rows > 1) storeRow(out + plane, c10, c11, bias + 4, relu);
  if (rows > 2) storeRow(out + 2 * plane, c20, c21, bias + 8, relu);
  if (rows > 3) storeRow(out + 3 * plane, c30, c31, bias + 12, relu);
}

// The relaxed build's 5×4 tile: tile5x8's loop on one v128 of B.
// @ts-ignore: decorator
@inline
function tile5x4(taps: i32, a: usize, p: usize, offsets: usize, out: usize, plane: usize, bias: usize, rows: i32, relu: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0), c4 = f32x4.splat(0);
  const end = offsets + (<usize>taps << 2);
  for (let o = offsets; o < end; o += 4) {
    const b0 = v128.load(p + <usize>load<i32>(o));
    c4 = madd(v128.load32_splat(a, 16), b0, c4);
    const a03 = v128.load(a);
    c0 = madd(v128.shuffle<f32>(a03, a03, 0, 0, 0, 0), b0, c0);
    c1 = madd(v128.shuffle<f32>(a03, a03, 1, 1, 1, 1), b0, c1);
    c2 = madd(v128.shuffle<f32>(a03, a03, 2, 2, 2, 2), b0, c2);
    c3 = madd(v128.shuffle<f32>(a03, a03, 3, 3, 3, 3), b0, c3);
    a += 5 * 4;
  }
  storeHalfRow(out, c0, bias, relu);
  if (rows > 1) storeHalfRow(out + plane, c1, bias + 4, relu);
  if (rows > 2) storeHalfRow(out + 2 * plane, c2, bias + 8, relu);
  if (rows > 3) storeHalfRow(out + 3 * plane, c3, bias + 12, relu);
  if (rows > 4) storeHalfRow(out + 4 * plane, c4, bias + 16, relu);
}

// The plain build's 4×4 tile: tile4x8's loop on one v128 of B.
// @ts-ignore: decorator
@inline
function tile4x4(taps: i32, a: usize, p: usize, offsets: usize, out: usize, plane: usize, bias: usize, rows: i32, relu: bool): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  const end = offsets + (<usize>taps << 2);
  for (let o = offsets; o < end; o += 4) {
    const b0 = v128.load(p + <usize>load<i32>(o));
    c0 = madd(v128.load32_splat(a), b0, c0);
    c1 = madd(v128.load32_splat(a, 4), b0, c1);
    c2 = madd(v128.load32_splat(a, 8), b0, c2);
    c3 = madd(v128.load32_splat(a, 12), b0, c3);
    a += 4 * 4;
  }
  storeHalfRow(out, c0, bias, relu);
  if (rows > 1) storeHalfRow(out + plane, c1, bias + 4, relu);
  if (rows > 2) storeHalfRow(out + 2 * plane, c2, bias + 8, relu);
  if (rows > 3) storeHalfRow(out + 3 * plane, c3, bias + 12, relu);
}

// out[0:4] = sum + the bias at `bias`, then masked to max(·, 0) when relu.
// @ts-ignore: decorator
@inline
function storeHalfRow(out: usize, sum: v128, bias: usize, relu: bool): void {
  let y = f32x4.add(sum, v128.load32_splat(bias));
  if (relu) y = v128.and(y, f32x4.gt(y, f32x4.splat(0)));
  v128.store(out, y);
}

// out[0:2] = the 2×2 max pool of relu(upper + bias) over relu(lower + bias), upper and lower 4 columns of two map
// rows: the rows' larger, then each pair of columns' larger. The ReLU is storeRow's mask as pmax(0, y) (0 < y ? y : 0:
// the same bits, +0 for NaN and −0, in one instruction), and the maxima pmax too (a < b ? b : a), exact on values that
// are all +0 or positive, where f32x4.max's NaN and −0 rules cost several instructions each.
// @ts-ignore: decorator
@inline
function storePooled(out: usize, upper: v128, lower: v128, bias: usize): void {
  const b = v128.load32_splat(bias);
  const zero = f32x4.splat(0);
  const rows = f32x4.pmax(f32x4.pmax(zero, f32x4.add(upper, b)), f32x4.pmax(zero, f32x4.add(lower, b)));
  v128.store64_lane(out, f32x4.pmax(v128.shuffle<f32>(rows, rows, 0, 2, 0, 2), v128.shuffle<f32>(rows, rows, 1, 3, 1, 3)), 0);
}

// out[0:8] = [lo | hi] + the bias at `bias`, then masked to max(·, 0) when relu, as addBiasToPlanes does.
// @ts-ignore: decorator
@inline
function storeRow(out: usize, lo: v128, hi: v128, bias: usize, relu: bool): void {
  const b = v128.load32_splat(bias);
  let y0 = f32x4.add(lo, b);
  let y1 = f32x4.add(hi, b);
  if (relu) {
    const zero = f32x4.splat(0);
    y0 = v128.and(y0, f32x4.gt(y0, zero));
    y1 = v128.and(y1, f32x4.gt(y1, zero));
  }
  v128.store(out, y0);
  v128.store(out, y1, 16);
}
