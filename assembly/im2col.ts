/**
 * im2col and col2im: the reshuffles that turn a valid, stride-1 convolution of one image into a GEMM.
 *
 * Memory layout (row-major, one image at a time):
 *
 *   image    [C, H, W]
 *   columns  [C·K·K, OH·OW],  OH = H−K+1, OW = W−K+1
 *            row r = (c·K + p)·K + q,  column s = i·OW + j,  columns[r, s] = image[c, i+p, j+q]
 *
 * With this layout, and PyTorch's weight layout [F, C, K, K] = [F, C·K·K]:
 *
 *   forward       out[F, OH·OW]   = W[F, CKK] · columns                 gemmIm2col(0, 0, …)
 *   weight grad   dW[F, CKK]     += dOut[F, OH·OW] · columnsᵀ           gemmIm2col(0, 1, …)
 *                 (or, when CKK < F, dWᵀ[CKK, F] += columns · dOutᵀ     gemmIm2colA(1, …))
 *   input grad    dColumns[CKK, OH·OW] = Wᵀ · dOut, then col2im          gemm(1, 0, …)
 *   (few filters: outᵀ[OH·OW, F] = columnsᵀ · Wᵀ                          gemmIm2colRows(1, …))
 *
 * The columns matrix is never materialised for the first two: it is a GEMM operand, and the GEMM copies
 * its operands into panels anyway (gemm.ts), so the packing routines below read the image and write the
 * panel directly — one pass over memory instead of im2col's write and the packing's read. Each panel is
 * bit-for-bit the one packB / packBTransposed / packA would make from the materialised columns.
 *
 * Element (r, s) of the columns is image[o_r + b_s], the sum of a row offset o_r = c·H·W + p·W + q and a
 * position offset b_s = i·W + j. Four consecutive positions s..s+3 in one output row are four
 * consecutive floats of the image (one v128 load). A group that runs off the end of output row i into
 * row i+1 skips the K−1 image columns between them: its first L floats start at b_s, the rest at
 * b_s + K−1, so it is two loads and a lane select. Both loads stay between the image elements of the
 * group's first and last position, so nothing outside the image is read. Groups spanning three output
 * rows (OW < 3) and partial slivers take a scalar path.
 *
 * Strided convolutions use the same packers on the padded image's phase block [C, S, S, PH, PW]
 * (splitPhases, im2col-strided.ts; PH = ⌈(H + 2P)/S⌉, PW likewise, with H, W here the padded sides):
 * tap (p, q) of output (i, j) reads block[c, p mod S, q mod S, i + ⌊p/S⌋, j + ⌊q/S⌋], so the row offset is
 * o_r = (c·S² + (p mod S)·S + q mod S)·PH·PW + ⌊p/S⌋·PW + ⌊q/S⌋ and the position offset b_s = i·PW + j —
 * again consecutive floats along an output row, the next row PW − OW floats on. Stride 1 is the case
 * S = 1 (PH, PW = H, W; PW − OW = K − 1).
 *
 * Groups: the two B packers and the transposed A packer also take the columns of G images side by side,
 * [C·K·K, G·OH·OW] (image g's in columns g·OH·OW ..), from G images (or phase blocks) `imageFloats` apart:
 * output row i of the stack is image ⌊i/OH⌋'s row i mod OH, at (⌊i/OH⌋·imageFloats + (i mod OH)·PW). A group
 * of four positions that runs off an image's last row into the next image's first is two loads and a lane
 * select as above, the gap then the one between the two images' rows. One GEMM then serves the G images
 * (conv-groups.ts), without the columns being written out.
 *
 * col2im is im2col's adjoint: every column entry is added back to the pixel it was copied from,
 * so a pixel covered by several kernel positions receives the sum of their gradients. It stays a pass
 * of its own (its input, dColumns, is a GEMM's output C, which the GEMM writes tile by tile).
 */

import { addRun } from './float-runs';

const NR: i32 = 8; // the GEMM's B sliver width (gemm.ts)

// The v128 of columns[r, s..s+3] (row offset o in floats, position s = (i, j), b = i·W + j), for a group
// of four positions whose last lies in output row i or i+1: lanes t < L = OW − j come from image[o + b + t],
// the rest from image[o + b + t + gap], gap the floats between row i's end and row i+1's start (K − 1 for
// stride 1 in one image). `split` is the lane mask t < L (all ones when L ≥ 4).
// @ts-ignore: decorator
@inline
function loadPositions(image: usize, o: i32, b: i32, gapBytes: usize, split: v128): v128 {
  const at = image + (<usize>(o + b) << 2);
  return v128.bitselect(v128.load(at), v128.load(at + gapBytes), split);
}

// image[o + b .. o + b + 3] as a v128.
// @ts-ignore: decorator
@inline
function loadAt(image: usize, o: i32, b: i32): v128 {
  return v128.load(image + (<usize>(o + b) << 2));
}

// The lane mask t < OW − j for a group of four positions starting at output column j.
// @ts-ignore: decorator
@inline
function splitMask(j: i32, outW: i32): v128 {
  return i32x4.lt_s(i32x4(0, 1, 2, 3), i32x4.splat(outW - j));
}

// dst[0:count] ← the image offsets of columns rows r0 .. r0 + count − 1, row r = (c·K + p)·K + q:
// c·H·W + p·W + q for stride 1; with stride S, in the phase block [C, S, S, PH, PW] of planes PH × PW (see
// the top), (c·S² + (p mod S)·S + q mod S)·PH·PW + ⌊p/S⌋·PW + ⌊q/S⌋. Divides once, then steps counters
// (an i32 division costs tens of cycles, and the packers want these for every panel and sliver).
// @ts-ignore: decorator
@inline
function fillRowOffsets(dst: usize, r0: i32, count: i32, planeH: i32, planeW: i32, kernelSize: i32, stride: i32): void {
  const kk = kernelSize * kernelSize;
  let c = r0 / kk;
  let p = (r0 - c * kk) / kernelSize;
  let q = r0 - c * kk - p * kernelSize;
  const plane = planeH * planeW;
  const channel = stride * stride * plane;
  let pPhase = p % stride;
  let pShift = p / stride;
  let qPhase = q % stride;
  let qShift = q / stride;
  for (let k = 0; k < count; k++) {
    store<i32>(dst + (<usize>k << 2), c * channel + (pPhase * stride + qPhase) * plane + pShift * planeW + qShift);
    if (++q == kernelSize) {
      q = 0;
      qPhase = 0;
      qShift = 0;
      if (++p == kernelSize) {
        p = 0;
        pPhase = 0;
        pShift = 0;
        c++;
      } else if (++pPhase == stride) {
        pPhase = 0;
        pShift++;
      }
    } else if (++qPhase == stride) {
      qPhase = 0;
      qShift++;
    }
  }
}

// The side of a phase plane: ⌈size/S⌉ (the size itself for stride 1).
// @ts-ignore: decorator
@inline
function phaseSize(size: i32, stride: i32): i32 {
  return (size + stride - 1) / stride;
}

// Where output row `row` of image `imageBase`'s stack starts (see Groups at the top), and the gap in floats from
// the end of that row to the start of the next — PW − OW inside an image, the rest of its block at its last row.
// @ts-ignore: decorator
@inline
function rowStart(imageBase: i32, row: i32, planeW: i32): i32 {
  return imageBase + row * planeW;
}
// @ts-ignore: decorator
@inline
function gapAfterRow(row: i32, outH: i32, outW: i32, planeW: i32, imageFloats: i32): usize {
  const next = row + 1 == outH ? imageFloats : (row + 1) * planeW;
  return <usize>(next - row * planeW - outW) << 2;
}

/** i32s of scratch the packers below want (the GEMM keeps them after its B panel): KC row offsets + 8. */
export function im2colPackScratchInts(kc: i32): i32 {
  return kc + NR;
}

/**
 * panel ← columns[pc:+kc, jc:+nc] in the GEMM's B-panel layout (⌈nc/8⌉ slivers, each kc×8, row k of a
 * sliver at k·8), read straight from the image: op(B) = columns, the forward convolution's B. Columns past
 * the image's OH·OW are the next images' (`imageFloats` apart; see Groups at the top).
 * `scratch` holds im2colPackScratchInts(kc) i32s: the kc row offsets, then a partial sliver's 8 position offsets.
 */
export function packIm2colPanel(
  panel: usize,
  scratch: usize,
  image: usize,
  imageFloats: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  pc: i32,
  jc: i32,
  kc: i32,
  nc: i32,
): void {
  const outH = (height - kernelSize) / stride + 1;
  const outW = (width - kernelSize) / stride + 1;
  const planeH = phaseSize(height, stride);
  const planeW = phaseSize(width, stride);
  // The row offsets o_r of rows pc..pc+kc.
  fillRowOffsets(scratch, pc, kc, planeH, planeW, kernelSize, stride);
  const positionOffsets = scratch + (<usize>kc << 2);
  let dst = panel;
  // The sliver's first position: row i0 of the image whose block starts at base0, column j0; advanced sliver by sliver.
  let i0 = jc / outW;
  let j0 = jc - i0 * outW;
  const firstImage = i0 / outH;
  i0 -= firstImage * outH;
  let base0 = firstImage * imageFloats;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    // The second half's first position.
    let i1 = i0;
    let base1 = base0;
    let j1 = j0 + 4;
    while (j1 >= outW) {
      j1 -= outW;
      if (++i1 == outH) {
        i1 = 0;
        base1 += imageFloats;
      }
    }
    if (cols == NR && j0 + 3 < 2 * outW && j1 + 3 < 2 * outW) {
      const b0 = rowStart(base0, i0, planeW) + j0;
      const b1 = rowStart(base1, i1, planeW) + j1;
      if (j0 + 8 <= outW) {
        // The common case: all eight positions in one output row, eight consecutive floats of each image row.
        for (let k = 0; k < kc; k++) {
          const at = image + (<usize>(load<i32>(scratch + (<usize>k << 2)) + b0) << 2);
          v128.store(dst, v128.load(at));
          v128.store(dst, v128.load(at, 16), 16);
          dst += NR << 2;
        }
      } else {
        // A half that runs into the next output row reads it `gap` on; one that does not reads its own floats twice.
        const split0 = splitMask(j0, outW);
        const split1 = splitMask(j1, outW);
        const gap0 = j0 + 4 > outW ? gapAfterRow(i0, outH, outW, planeW, imageFloats) : 0;
        const gap1 = j1 + 4 > outW ? gapAfterRow(i1, outH, outW, planeW, imageFloats) : 0;
        for (let k = 0; k < kc; k++) {
          const o = load<i32>(scratch + (<usize>k << 2));
          v128.store(dst, loadPositions(image, o, b0, gap0, split0));
          v128.store(dst, loadPositions(image, o, b1, gap1, split1), 16);
          dst += NR << 2;
        }
      }
    } else {
      // A partial sliver or short output rows: element by element, zeros past the last column.
      dst = packByElement(dst, image, scratch, positionOffsets, kc, NR, cols, i0, j0, base0, outH, outW, planeW, imageFloats);
    }
    i0 = i1;
    base0 = base1;
    j0 = j1 + 4;
    while (j0 >= outW) {
      j0 -= outW;
      if (++i0 == outH) {
        i0 = 0;
        base0 += imageFloats;
      }
    }
  }
}

// A sliver `width` positions wide whose first `count` are the positions from row i, column j of the image whose block
// starts at `base` on (zeros after them), for the kc taps whose row offsets are at `rowOffsets`, element by element:
// each tap's `width` values in turn from dst (the B panel's row k of a sliver, or the A panel's column k). The
// positions' offsets go to `offsets` (width i32s) first. Returns the address past the sliver.
// @ts-ignore: decorator
@inline
function packByElement(
  dst: usize,
  image: usize,
  rowOffsets: usize,
  offsets: usize,
  kc: i32,
  width: i32,
  count: i32,
  i: i32,
  j: i32,
  base: i32,
  outH: i32,
  outW: i32,
  planeW: i32,
  imageFloats: i32,
): usize {
  for (let t = 0; t < count; t++) {
    store<i32>(offsets + (<usize>t << 2), rowStart(base, i, planeW) + j);
    if (++j == outW) {
      j = 0;
      if (++i == outH) {
        i = 0;
        base += imageFloats;
      }
    }
  }
  for (let k = 0; k < kc; k++) {
    const o = load<i32>(rowOffsets + (<usize>k << 2));
    for (let t = 0; t < width; t++) {
      const value: f32 = t < count ? load<f32>(image + (<usize>(o + load<i32>(offsets + (<usize>t << 2))) << 2)) : 0;
      store<f32>(dst + (<usize>t << 2), value);
    }
    dst += <usize>width << 2;
  }
  return dst;
}

/**
 * panel ← columnsᵀ[pc:+kc, jc:+nc] in the GEMM's B-panel layout, read straight from the image:
 * op(B) = columnsᵀ [OH·OW, C·K·K], the weight gradient's B. Sliver column t is columns row jc+jr+t; four
 * positions at a time, the sliver's left four columns and its right four are each a 4×4 transpose of
 * four rows' loadPositions (zeros for the columns past a partial sliver's last). Positions past the image's
 * OH·OW are the next images' (`imageFloats` apart; see Groups at the top).
 * `scratch` holds im2colPackScratchInts(kc) i32s (only the last 8 are used here: the sliver's row offsets).
 */
export function packIm2colTransposedPanel(
  panel: usize,
  scratch: usize,
  image: usize,
  imageFloats: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  pc: i32,
  jc: i32,
  kc: i32,
  nc: i32,
): void {
  const outH = (height - kernelSize) / stride + 1;
  const outW = (width - kernelSize) / stride + 1;
  const planeH = phaseSize(height, stride);
  const planeW = phaseSize(width, stride);
  const rowBytes = <usize>NR << 2;
  const rowOffsets = scratch + (<usize>kc << 2);
  const zero = f32x4.splat(0);
  let dst = panel;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    // Row offsets of the sliver's columns; past a partial sliver's last, its last (a valid address; the value is dropped).
    fillRowOffsets(rowOffsets, jc + jr, cols, planeH, planeW, kernelSize, stride);
    for (let t = cols; t < NR; t++) store<i32>(rowOffsets + (<usize>t << 2), load<i32>(rowOffsets + (<usize>(cols - 1) << 2)));
    const o0 = load<i32>(rowOffsets), o1 = load<i32>(rowOffsets, 4), o2 = load<i32>(rowOffsets, 8), o3 = load<i32>(rowOffsets, 12);
    const o4 = load<i32>(rowOffsets, 16), o5 = load<i32>(rowOffsets, 20), o6 = load<i32>(rowOffsets, 24), o7 = load<i32>(rowOffsets, 28);
    // Position pc + k: row i of the image whose block starts at `base`, column j.
    let i = pc / outW;
    let j = pc - i * outW;
    const firstImage = i / outH;
    i -= firstImage * outH;
    let base = firstImage * imageFloats;
    let k = 0;
    for (; k + 4 <= kc && j + 3 < 2 * outW; k += 4) {
      const b = rowStart(base, i, planeW) + j;
      const to = dst + ((<usize>k * NR) << 2);
      if (j + 4 <= outW && cols == NR) {
        // The common case: four positions in one output row, a plain load from each of the eight rows.
        transpose4(loadAt(image, o0, b), loadAt(image, o1, b), loadAt(image, o2, b), loadAt(image, o3, b), to, rowBytes);
        transpose4(loadAt(image, o4, b), loadAt(image, o5, b), loadAt(image, o6, b), loadAt(image, o7, b), to + 16, rowBytes);
        j += 4;
        while (j >= outW) {
          j -= outW;
          if (++i == outH) {
            i = 0;
            base += imageFloats;
          }
        }
        continue;
      }
      const split = splitMask(j, outW);
      const gapBytes = j + 4 > outW ? gapAfterRow(i, outH, outW, planeW, imageFloats) : 0;
      transpose4(
        loadPositions(image, o0, b, gapBytes, split),
        cols > 1 ? loadPositions(image, o1, b, gapBytes, split) : zero,
        cols > 2 ? loadPositions(image, o2, b, gapBytes, split) : zero,
        cols > 3 ? loadPositions(image, o3, b, gapBytes, split) : zero,
        to,
        rowBytes,
      );
      transpose4(
        cols > 4 ? loadPositions(image, o4, b, gapBytes, split) : zero,
        cols > 5 ? loadPositions(image, o5, b, gapBytes, split) : zero,
        cols > 6 ? loadPositions(image, o6, b, gapBytes, split) : zero,
        cols > 7 ? loadPositions(image, o7, b, gapBytes, split) : zero,
        to + 16,
        rowBytes,
      );
      j += 4;
      while (j >= outW) {
        j -= outW;
        if (++i == outH) {
          i = 0;
          base += imageFloats;
        }
      }
    }
    // The last 0–3 positions (or all of them when output rows are shorter than 3), one element at a time.
    for (; k < kc; k++) {
      const b = rowStart(base, i, planeW) + j;
      for (let t = 0; t < NR; t++) {
        const value: f32 = t < cols ? load<f32>(image + (<usize>(load<i32>(rowOffsets + (<usize>t << 2)) + b) << 2)) : 0;
        store<f32>(dst + ((<usize>(k * NR + t)) << 2), value);
      }
      if (++j == outW) {
        j = 0;
        if (++i == outH) {
          i = 0;
          base += imageFloats;
        }
      }
    }
    dst += (<usize>kc * NR) << 2;
  }
}

/**
 * panel ← columns[ic:+mc, pc:+kc] in the GEMM's A-panel layout (⌈mc/mr⌉ slivers, each kc×mr, column k of a
 * sliver at k·mr), read straight from the image: op(A) = columns (gemmIm2colA). `mr` is the GEMM's MR, 4 or
 * 5. Four positions at a time, rows 0–3 of a sliver are a 4×4 transpose of four rows' loadPositions, and
 * row 4 (when mr = 5) is stored lane by lane; rows past a partial sliver's last are zeros.
 * `scratch` holds at least mr i32s (a sliver's row offsets).
 */
export function packIm2colAPanel(
  panel: usize,
  scratch: usize,
  mr: i32,
  image: usize,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  ic: i32,
  pc: i32,
  mc: i32,
  kc: i32,
): void {
  const outW = (width - kernelSize) / stride + 1;
  const planeH = phaseSize(height, stride);
  const planeW = phaseSize(width, stride);
  const gapBytes = <usize>(planeW - outW) << 2;
  const columnBytes = <usize>mr << 2;
  const zero = f32x4.splat(0);
  let dst = panel;
  for (let ir = 0; ir < mc; ir += mr) {
    const rows = min(mr, mc - ir);
    const r = ic + ir;
    // Row offsets; past a partial sliver's last row, its last (a valid address; the value is dropped).
    fillRowOffsets(scratch, r, rows, planeH, planeW, kernelSize, stride);
    const last = scratch + (<usize>(rows - 1) << 2);
    const o0 = load<i32>(scratch);
    const o1 = load<i32>(rows > 1 ? scratch + 4 : last);
    const o2 = load<i32>(rows > 2 ? scratch + 8 : last);
    const o3 = load<i32>(rows > 3 ? scratch + 12 : last);
    const o4 = load<i32>(rows > 4 ? scratch + 16 : last);
    let i = pc / outW; // position pc + k = (i, j)
    let j = pc - i * outW;
    let k = 0;
    for (; k + 4 <= kc && j + 3 < 2 * outW; k += 4) {
      const b = i * planeW + j;
      const split = splitMask(j, outW);
      const to = dst + <usize>k * columnBytes;
      transpose4(
        loadPositions(image, o0, b, gapBytes, split),
        rows > 1 ? loadPositions(image, o1, b, gapBytes, split) : zero,
        rows > 2 ? loadPositions(image, o2, b, gapBytes, split) : zero,
        rows > 3 ? loadPositions(image, o3, b, gapBytes, split) : zero,
        to,
        columnBytes,
      );
      if (mr == 5) {
        const row4 = rows > 4 ? loadPositions(image, o4, b, gapBytes, split) : zero;
        v128.store32_lane(to, row4, 0, 16);
        v128.store32_lane(to + columnBytes, row4, 1, 16);
        v128.store32_lane(to + 2 * columnBytes, row4, 2, 16);
        v128.store32_lane(to + 3 * columnBytes, row4, 3, 16);
      }
      j += 4;
      while (j >= outW) {
        j -= outW;
        i++;
      }
    }
    // The last 0–3 positions (or all of them when output rows are shorter than 3), one element at a time.
    for (; k < kc; k++) {
      const b = i * planeW + j;
      const to = dst + <usize>k * columnBytes;
      for (let t = 0; t < mr; t++) {
        const o = t == 0 ? o0 : t == 1 ? o1 : t == 2 ? o2 : t == 3 ? o3 : o4;
        store<f32>(to + (<usize>t << 2), t < rows ? load<f32>(image + (<usize>(o + b) << 2)) : 0);
      }
      if (++j == outW) {
        j = 0;
        i++;
      }
    }
    dst += <usize>kc * columnBytes;
  }
}

/**
 * panel ← columnsᵀ[ic:+mc, pc:+kc] in the GEMM's A-panel layout (⌈mc/mr⌉ slivers, each kc×mr, column k of a
 * sliver at k·mr), read straight from the image: op(A) = columnsᵀ [OH·OW, C·K·K], a sliver's rows mr positions
 * and its columns taps (gemmIm2colRows: a convolution's output transposed, positions × filters). Positions past
 * the image's OH·OW are the next images' (`imageFloats` apart; see Groups at the top). mr positions in one output
 * row are mr consecutive floats of each tap's image row: one v128 (and one float for mr = 5) a tap; a sliver that
 * crosses a row or an image, or a partial one, is taken element by element, zeros past its last position.
 * `scratch` holds im2colPackScratchInts(kc) i32s: the kc row offsets, then the sliver's position offsets.
 */
export function packIm2colRowsPanel(
  panel: usize,
  scratch: usize,
  mr: i32,
  image: usize,
  imageFloats: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  ic: i32,
  pc: i32,
  mc: i32,
  kc: i32,
): void {
  const outH = (height - kernelSize) / stride + 1;
  const outW = (width - kernelSize) / stride + 1;
  const planeH = phaseSize(height, stride);
  const planeW = phaseSize(width, stride);
  // The row offsets o_r of columns rows (taps) pc..pc+kc.
  fillRowOffsets(scratch, pc, kc, planeH, planeW, kernelSize, stride);
  const positionOffsets = scratch + (<usize>kc << 2);
  const columnBytes = <usize>mr << 2;
  // The sliver's first position: row i of the image whose block starts at `base`, column j; advanced sliver by sliver.
  let i = ic / outW;
  let j = ic - i * outW;
  const firstImage = i / outH;
  i -= firstImage * outH;
  let base = firstImage * imageFloats;
  let dst = panel;
  for (let ir = 0; ir < mc; ir += mr) {
    const rows = min(mr, mc - ir);
    if (rows == mr && j + mr <= outW) {
      // The common case: the sliver's positions in one output row.
      const b = rowStart(base, i, planeW) + j;
      for (let k = 0; k < kc; k++) {
        const at = image + (<usize>(load<i32>(scratch + (<usize>k << 2)) + b) << 2);
        v128.store(dst, v128.load(at));
        if (mr == 5) store<f32>(dst, load<f32>(at, 16), 16);
        dst += columnBytes;
      }
    } else if (rows == mr && j + mr <= 2 * outW) {
      // Positions that run off their output row into the next (or the next image's first): its first L = OW − j
      // from b on, the rest `gap` further on, as loadPositions takes four positions.
      const b = rowStart(base, i, planeW) + j;
      const gapBytes = gapAfterRow(i, outH, outW, planeW, imageFloats);
      const split = splitMask(j, outW);
      const fifth: usize = mr == 5 && j + 4 >= outW ? gapBytes : 0; // where position 4 lies, past b + 4
      for (let k = 0; k < kc; k++) {
        const o = load<i32>(scratch + (<usize>k << 2));
        v128.store(dst, loadPositions(image, o, b, gapBytes, split));
        if (mr == 5) store<f32>(dst, load<f32>(image + (<usize>(o + b + 4) << 2) + fifth), 16);
        dst += columnBytes;
      }
    } else {
      // A partial sliver, or one across more than two rows: element by element, zeros past its last position.
      dst = packByElement(dst, image, scratch, positionOffsets, kc, mr, rows, i, j, base, outH, outW, planeW, imageFloats);
    }
    j += mr;
    while (j >= outW) {
      j -= outW;
      if (++i == outH) {
        i = 0;
        base += imageFloats;
      }
    }
  }
}

// Writes the transpose of the 4×4 block whose rows are r0..r3 to dst, dst + dstRowBytes, … (4 floats each).
// @ts-ignore: decorator
@inline
function transpose4(r0: v128, r1: v128, r2: v128, r3: v128, dst: usize, dstRowBytes: usize): void {
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(dst + dstRowBytes, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * dstRowBytes, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * dstRowBytes, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/**
 * image ← col2im of columns [C·K·K, OH·OW]: zeroed, then every entry added onto the element it was read
 * from — for stride 1 the image [C, H, W] itself, for stride S its phase block [C, S, S, PH, PW] (the
 * caller merges the block back into an image, mergePhases).
 */
export function col2im(columns: usize, channels: i32, height: i32, width: i32, kernelSize: i32, stride: i32, image: usize): void {
  const outH = (height - kernelSize) / stride + 1;
  const outW = (width - kernelSize) / stride + 1;
  const planeH = phaseSize(height, stride);
  const planeW = phaseSize(width, stride);
  memory.fill(image, 0, (<usize>channels * stride * stride * planeH * planeW) << 2);
  const plane = <usize>planeH * planeW; // floats
  let src = columns;
  // Rows in order (c, p, q), the row offset as fillRowOffsets gives it, p mod S, ⌊p/S⌋ (likewise q) by counters.
  for (let c = 0; c < channels; c++) {
    const phases = image + ((<usize>c * stride * stride * plane) << 2);
    for (let p = 0, pPhase = 0, pShift = 0; p < kernelSize; p++) {
      for (let q = 0, qPhase = 0, qShift = 0; q < kernelSize; q++) {
        const row = phases + ((<usize>(pPhase * stride + qPhase) * plane + <usize>pShift * planeW + qShift) << 2);
        for (let i = 0; i < outH; i++) {
          addRun(src, row + ((<usize>i * planeW) << 2), outW);
          src += <usize>outW << 2;
        }
        if (++qPhase == stride) {
          qPhase = 0;
          qShift++;
        }
      }
      if (++pPhase == stride) {
        pPhase = 0;
        pShift++;
      }
    }
  }
}
