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
 *   stride S > 1          im2colStrided materialises the columns matrix in the backend's scratch, the
 *                         plain gemm runs on it, and col2imStrided scatter-adds dColumns back, skipping
 *                         the entries that came from the padding. Strided rows are gathers, so the
 *                         direct packers' contiguous v128 loads would not apply anyway. The columns of a
 *                         group of G images lie side by side, [C·K·K, G·OH·OW]: image g's at column offset
 *                         g·OH·OW of rows `columnsStride` = G·OH·OW floats apart, so one GEMM serves the
 *                         whole group (conv-groups.ts).
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
