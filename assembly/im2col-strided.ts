/**
 * Convolutions with stride S and zero padding P, as GEMMs (the layout and GEMMs of im2col.ts):
 *
 *   image    [C, H, W];  OH = ⌊(H + 2P − K)/S⌋ + 1,  OW likewise
 *   columns  [C·K·K, OH·OW],  row r = (c·K + p)·K + q,  column s = i·OW + j,
 *            columns[r, s] = image[c, S·i + p − P, S·j + q − P], 0 where that lies in the padding
 *
 * Two ways in, chosen by the backend (src/backend/wasm/wasm-backend.ts):
 *
 *   stride 1, padding P   padImage copies the image into a zero-bordered [C, H+2P, W+2P] block; the
 *                         valid convolution of that block IS the padded convolution, so the packers of
 *                         im2col.ts run on it unchanged (their panels straight from the block, the
 *                         GEMM bit-for-bit as on the materialised columns). The input gradient goes
 *                         through col2im onto a padded block, and cropImage keeps its interior — the
 *                         border's gradients belong to the padding and are dropped. The copy is C·H·W
 *                         floats against the C·K²·OH·OW the GEMM reads: 9–25× less for 3×3 and 5×5.
 *   stride S > 1          splitPhases splits the padded image into its S² phases, on which every tap reads
 *                         a run of consecutive floats, so the packers of im2col.ts read it as they read a
 *                         stride-1 image (one image, or the phase blocks of a group of G images side by
 *                         side: conv-groups.ts); the input gradient goes through col2im onto a phase block,
 *                         merged back by mergePhases. A group's input gradient is col2imStrided's:
 *                         dColumns [C·K·K, G·OH·OW] (image g's at column offset g·OH·OW of rows
 *                         `columnsStride` = G·OH·OW floats apart) scatter-added back, the entries that came
 *                         from the padding skipped; im2colStrided, its adjoint, writes the columns out for
 *                         the one GEMM that reads them as A (a group's transposed weight gradient).
 *
 * In a row of the columns, the output columns j whose source column v = S·j + q − P lies inside the
 * image form one run [jLow, jHigh): zeros before and after it, the image between (a copyRun when S = 1).
 */

import { addRun, copyRun, zeroRun } from './float-runs';

/** padded [C, H+2P, W+2P] ← image [C, H, W] in the interior, zeros in the border. */
export function padImage(image: usize, channels: i32, height: i32, width: i32, padding: i32, padded: usize): void {
  const paddedWidth = width + 2 * padding;
  const borderRows = (<usize>padding * paddedWidth) << 2;
  let src = image;
  let dst = padded;
  for (let c = 0; c < channels; c++) {
    memory.fill(dst, 0, borderRows); // top border
    dst += borderRows;
    for (let u = 0; u < height; u++) {
      zeroRun(dst, padding);
      copyRun(src, dst + (<usize>padding << 2), width);
      zeroRun(dst + (<usize>(padding + width) << 2), padding);
      src += <usize>width << 2;
      dst += <usize>paddedWidth << 2;
    }
    memory.fill(dst, 0, borderRows); // bottom border
    dst += borderRows;
  }
}

/** image [C, H, W] ← the interior of padded [C, H+2P, W+2P]. */
export function cropImage(padded: usize, channels: i32, height: i32, width: i32, padding: i32, image: usize): void {
  const paddedWidth = width + 2 * padding;
  let dst = image;
  for (let c = 0; c < channels; c++) {
    let src = padded + ((<usize>(c * (height + 2 * padding) + padding) * paddedWidth + padding) << 2);
    for (let u = 0; u < height; u++) {
      copyRun(src, dst, width);
      src += <usize>paddedWidth << 2;
      dst += <usize>width << 2;
    }
  }
}

/**
 * block [C, S, S, PH, PW] ← the phases of image [C, H, W] zero-padded by P (PH = ⌈(H + 2P)/S⌉, PW likewise):
 * block[c, a, b, u, v] = padded[c, S·u + a, S·v + b], 0 in the border and past the padded image's edge.
 * A stride-S convolution reads tap (p, q) of output (i, j) at padded[c, S·i + p, S·j + q] = block[c, p mod S,
 * q mod S, i + ⌊p/S⌋, j + ⌊q/S⌋]: for each tap a run of consecutive floats, as a stride-1 convolution reads
 * its image, so the direct packers of im2col.ts serve strided convolutions too.
 */
export function splitPhases(image: usize, channels: i32, height: i32, width: i32, padding: i32, stride: i32, block: usize): void {
  if (stride == 2) {
    splitTwoPhases(image, channels, height, width, padding, block);
    return;
  }
  const planeH = (height + 2 * padding + stride - 1) / stride;
  const planeW = (width + 2 * padding + stride - 1) / stride;
  const plane = <usize>planeH * planeW; // floats
  memory.fill(block, 0, (<usize>channels * stride * stride * plane) << 2);
  // Padded row U = u + P lies in phase row U mod S at ⌊U/S⌋, column V = v + P likewise: counters, not divisions.
  const firstPhase = padding % stride;
  const firstShift = padding / stride;
  let src = image;
  for (let c = 0; c < channels; c++) {
    const phases = block + ((<usize>c * stride * stride * plane) << 2);
    for (let u = 0, uPhase = firstPhase, uShift = firstShift; u < height; u++) {
      // Phase (U mod S, 0)'s block row ⌊U/S⌋; phase (U mod S, b)'s is b planes further.
      const rows = phases + ((<usize>(uPhase * stride) * plane + <usize>uShift * planeW) << 2);
      for (let v = 0, vPhase = padding % stride, vShift = padding / stride; v < width; v++) {
        store<f32>(rows + ((<usize>vPhase * plane + <usize>vShift) << 2), load<f32>(src + (<usize>v << 2)));
        if (++vPhase == stride) {
          vPhase = 0;
          vShift++;
        }
      }
      src += <usize>width << 2;
      if (++uPhase == stride) {
        uPhase = 0;
        uShift++;
      }
    }
  }
}

/** image [C, H, W] ← the pixels of block [C, S, S, PH, PW] (splitPhases' layout; the padding's entries are dropped). */
export function mergePhases(block: usize, channels: i32, height: i32, width: i32, padding: i32, stride: i32, image: usize): void {
  if (stride == 2) {
    mergeTwoPhases(block, channels, height, width, padding, image);
    return;
  }
  const planeH = (height + 2 * padding + stride - 1) / stride;
  const planeW = (width + 2 * padding + stride - 1) / stride;
  const plane = <usize>planeH * planeW; // floats
  const firstPhase = padding % stride;
  const firstShift = padding / stride;
  let dst = image;
  for (let c = 0; c < channels; c++) {
    const phases = block + ((<usize>c * stride * stride * plane) << 2);
    for (let u = 0, uPhase = firstPhase, uShift = firstShift; u < height; u++) {
      const rows = phases + ((<usize>(uPhase * stride) * plane + <usize>uShift * planeW) << 2);
      for (let v = 0, vPhase = padding % stride, vShift = padding / stride; v < width; v++) {
        store<f32>(dst + (<usize>v << 2), load<f32>(rows + ((<usize>vPhase * plane + <usize>vShift) << 2)));
        if (++vPhase == stride) {
          vPhase = 0;
          vShift++;
        }
      }
      dst += <usize>width << 2;
      if (++uPhase == stride) {
        uPhase = 0;
        uShift++;
      }
    }
  }
}

/*
 * Stride 2, the common case (the modern net's strided convolutions): pixel v of an image row goes to phase
 * (v + P) mod 2 at column ⌊(v + P)/2⌋, so eight pixels from a v with v + P even are four for phase 0 (their
 * even lanes) and four for phase 1 (their odd lanes), at the same four columns of both. A row's last eight
 * pixels are taken in one more such step, overlapping the one before it (the same values written again), so at
 * most a pixel at each end goes alone (the SIMD steps and a scalar tail of up to 7 took 1.4× as long on the modern
 * net's conv4 input; zeroing only the border instead of the whole block first, in short runs, was no faster).
 */

// The first pixel of the row's last eight-pixel step: the last v ≤ W − 8 with v + P even (below `first` when there is none).
// @ts-ignore: decorator
@inline
function lastEight(width: i32, padding: i32): i32 {
  const v = width - 8;
  return v - ((v + padding) & 1);
}

// splitPhases for S = 2: the block zeroed, then each image row into its two phase rows.
function splitTwoPhases(image: usize, channels: i32, height: i32, width: i32, padding: i32, block: usize): void {
  const planeH = (height + 2 * padding + 1) >> 1;
  const planeW = (width + 2 * padding + 1) >> 1;
  memory.fill(block, 0, (<usize>channels * 4 * planeH * planeW) << 2);
  twoPhaseRows(image, channels, height, width, padding, block, true);
}

// mergePhases for S = 2: splitTwoPhases' steps the other way (phase 0's four and phase 1's four, interleaved).
function mergeTwoPhases(block: usize, channels: i32, height: i32, width: i32, padding: i32, image: usize): void {
  twoPhaseRows(image, channels, height, width, padding, block, false);
}

// Each image row against its two phase rows (U + P's phase), a pixel alone at each end where it must and eight at a
// time between: into the phase rows when `split`, out of them into the image otherwise. (`split` is a literal where
// it is inlined: each caller compiles to its own loop.)
// @ts-ignore: decorator
@inline
function twoPhaseRows(image: usize, channels: i32, height: i32, width: i32, padding: i32, block: usize, split: bool): void {
  const planeH = (height + 2 * padding + 1) >> 1;
  const planeW = (width + 2 * padding + 1) >> 1;
  const planeBytes = (<usize>planeH * planeW) << 2;
  const rowBytes = <usize>planeW << 2;
  const first = padding & 1; // the first pixel with v + P even
  const last = lastEight(width, padding);
  let row = image;
  for (let c = 0; c < channels; c++) {
    const phases = block + <usize>c * 4 * planeBytes;
    for (let u = 0; u < height; u++) {
      const U = u + padding;
      const row0 = phases + <usize>((U & 1) * 2) * planeBytes + <usize>(U >> 1) * rowBytes; // phase (U mod 2, 0)
      const row1 = row0 + planeBytes; // phase (U mod 2, 1)
      let v = 0;
      if (first == 1) {
        onePixel(row, 0, padding, row0, row1, split); // pixel 0: V = P odd
        v = 1;
      }
      for (; v + 8 <= width; v += 8) eightPixels(row, v, padding, row0, row1, split);
      if (v < width && last >= first) {
        eightPixels(row, last, padding, row0, row1, split);
        v = last + 8;
      }
      for (; v < width; v++) onePixel(row, v, padding, row0, row1, split);
      row += <usize>width << 2;
    }
  }
}

// Pixel v of the image row at `row` and its place in phase row row0 or row1 (V = v + P: phase V mod 2, column ⌊V/2⌋),
// the one written from the other.
// @ts-ignore: decorator
@inline
function onePixel(row: usize, v: i32, padding: i32, row0: usize, row1: usize, split: bool): void {
  const V = v + padding;
  const phased = (V & 1 ? row1 : row0) + (<usize>(V >> 1) << 2);
  const pixel = row + (<usize>v << 2);
  if (split) store<f32>(phased, load<f32>(pixel));
  else store<f32>(pixel, load<f32>(phased));
}

// Pixels v .. v + 7 of the image row at `row` (v + P even) and their four places in each of phase rows row0 (the even
// pixels) and row1 (the odd ones), the one written from the other.
// @ts-ignore: decorator
@inline
function eightPixels(row: usize, v: i32, padding: i32, row0: usize, row1: usize, split: bool): void {
  const column = <usize>((v + padding) >> 1) << 2;
  const pixels = row + (<usize>v << 2);
  if (split) {
    const eight0 = v128.load(pixels);
    const eight1 = v128.load(pixels, 16);
    v128.store(row0 + column, v128.shuffle<f32>(eight0, eight1, 0, 2, 4, 6));
    v128.store(row1 + column, v128.shuffle<f32>(eight0, eight1, 1, 3, 5, 7));
  } else {
    const even = v128.load(row0 + column);
    const odd = v128.load(row1 + column);
    v128.store(pixels, v128.shuffle<f32>(even, odd, 0, 4, 1, 5));
    v128.store(pixels, v128.shuffle<f32>(even, odd, 2, 6, 3, 7), 16);
  }
}

// The first output column j ≥ 0 with S·j + q − P ≥ 0, and the first with S·j + q − P ≥ W, both clamped to [0, OW].
// @ts-ignore: decorator
@inline
function firstInside(q: i32, stride: i32, padding: i32, outW: i32): i32 {
  const gap = padding - q;
  return gap <= 0 ? 0 : min(outW, (gap + stride - 1) / stride);
}
// @ts-ignore: decorator
@inline
function firstPast(q: i32, stride: i32, padding: i32, width: i32, outW: i32): i32 {
  const limit = width + padding - q;
  return limit <= 0 ? 0 : min(outW, (limit + stride - 1) / stride);
}

/**
 * columns [C·K·K, OH·OW] ← the im2col matrix of image [C, H, W] with stride S and zero padding P, its rows
 * `columnsStride` floats apart (OH·OW for a matrix of its own, G·OH·OW for one image of a group's).
 */
export function im2colStrided(
  image: usize,
  channels: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  padding: i32,
  columns: usize,
  columnsStride: i32,
): void {
  const outH = (height + 2 * padding - kernelSize) / stride + 1;
  const outW = (width + 2 * padding - kernelSize) / stride + 1;
  const rowBytes = <usize>outW << 2;
  const rowGap = <usize>(columnsStride - outH * outW) << 2; // from the end of one columns row to the next
  let dst = columns;
  for (let c = 0; c < channels; c++) {
    const plane = image + ((<usize>c * height * width) << 2);
    for (let p = 0; p < kernelSize; p++) {
      for (let q = 0; q < kernelSize; q++) {
        const jHigh = firstPast(q, stride, padding, width, outW);
        const jLow = min(firstInside(q, stride, padding, outW), jHigh);
        for (let i = 0; i < outH; i++) {
          const u = stride * i + p - padding;
          if (u < 0 || u >= height) {
            zeroRun(dst, outW);
          } else {
            zeroRun(dst, jLow);
            // source of output column j: row u, column S·j + q − P
            const src = plane + ((<usize>u * width + q - padding) << 2);
            if (stride == 1) {
              copyRun(src + (<usize>jLow << 2), dst + (<usize>jLow << 2), jHigh - jLow);
            } else {
              let j = jLow;
              if (stride == 2) {
                // four outputs from the eight floats at 2j: their even lanes (the last load ends inside the row)
                for (; j + 4 <= jHigh && 2 * j + 7 + q - padding < width; j += 4) {
                  const at = src + (<usize>(2 * j) << 2);
                  v128.store(dst + (<usize>j << 2), v128.shuffle<f32>(v128.load(at), v128.load(at, 16), 0, 2, 4, 6));
                }
              }
              for (; j < jHigh; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>(stride * j) << 2)));
            }
            zeroRun(dst + (<usize>jHigh << 2), outW - jHigh);
          }
          dst += rowBytes;
        }
        dst += rowGap;
      }
    }
  }
}

/**
 * image [C, H, W] ← col2im of columns [C·K·K, OH·OW] (rows `columnsStride` floats apart) with stride S and
 * padding P: zeroed, then every column entry that came from a pixel is added back onto it (entries from
 * the padding are dropped).
 */
export function col2imStrided(
  columns: usize,
  columnsStride: i32,
  channels: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  padding: i32,
  image: usize,
): void {
  const outH = (height + 2 * padding - kernelSize) / stride + 1;
  const outW = (width + 2 * padding - kernelSize) / stride + 1;
  memory.fill(image, 0, (<usize>channels * height * width) << 2);
  const rowGap = <usize>(columnsStride - outH * outW) << 2;
  let src = columns;
  for (let c = 0; c < channels; c++) {
    const plane = image + ((<usize>c * height * width) << 2);
    for (let p = 0; p < kernelSize; p++) {
      for (let q = 0; q < kernelSize; q++) {
        const jHigh = firstPast(q, stride, padding, width, outW);
        const jLow = min(firstInside(q, stride, padding, outW), jHigh);
        for (let i = 0; i < outH; i++) {
          const u = stride * i + p - padding;
          if (u >= 0 && u < height) {
            const dst = plane + ((<usize>u * width + q - padding) << 2);
            if (stride == 1) {
              addRun(src + (<usize>jLow << 2), dst + (<usize>jLow << 2), jHigh - jLow);
            } else {
              for (let j = jLow; j < jHigh; j++) {
                const at = dst + (<usize>(stride * j) << 2);
                store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>j << 2)));
              }
            }
          }
          src += <usize>outW << 2;
        }
        src += rowGap;
      }
    }
  }
}
