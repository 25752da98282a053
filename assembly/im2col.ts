/**
 * im2col and col2im: the reshuffles that turn a valid, stride-1 convolution of one image into a GEMM.
 *
 * Memory layout (row-major, one image at a time):
 *
 *   image    [C, H, W]
 *   columns  [C·K·K, OH·OW],  OH = H−K+1, OW = W−K+1
 *            row r = (c·K + p)·K + q,  column s = i·OW + j,  columns[r, s] = image[c, i+p, j+q]
 *
 * Row r is the image plane c shifted by (p, q), so it is built from OH contiguous runs of OW floats
 * (v128 copies, scalar tail). With this layout, and PyTorch's weight layout [F, C, K, K] = [F, C·K·K]:
 *
 *   forward       out[F, OH·OW]   = W[F, CKK] · columns                 gemm(0, 0, …)
 *   weight grad   dW[F, CKK]     += dOut[F, OH·OW] · columnsᵀ           gemm(0, 1, …)
 *   input grad    dColumns[CKK, OH·OW] = Wᵀ · dOut, then col2im          gemm(1, 0, …)
 *
 * col2im is im2col's adjoint: every column entry is added back to the pixel it was copied from,
 * so a pixel covered by several kernel positions receives the sum of their gradients.
 */

import { addRun, copyRun } from './float-runs';

export function im2col(image: usize, channels: i32, height: i32, width: i32, kernelSize: i32, columns: usize): void {
  const outH = height - kernelSize + 1;
  const outW = width - kernelSize + 1;
  let dst = columns;
  for (let c = 0; c < channels; c++) {
    const plane = image + ((<usize>c * height * width) << 2);
    for (let p = 0; p < kernelSize; p++) {
      for (let q = 0; q < kernelSize; q++) {
        for (let i = 0; i < outH; i++) {
          copyRun(plane + ((<usize>(i + p) * width + q) << 2), dst, outW);
          dst += <usize>outW << 2;
        }
      }
    }
  }
}

export function col2im(columns: usize, channels: i32, height: i32, width: i32, kernelSize: i32, image: usize): void {
  const outH = height - kernelSize + 1;
  const outW = width - kernelSize + 1;
  memory.fill(image, 0, (<usize>channels * height * width) << 2);
  let src = columns;
  for (let c = 0; c < channels; c++) {
    const plane = image + ((<usize>c * height * width) << 2);
    for (let p = 0; p < kernelSize; p++) {
      for (let q = 0; q < kernelSize; q++) {
        for (let i = 0; i < outH; i++) {
          addRun(src, plane + ((<usize>(i + p) * width + q) << 2), outW);
          src += <usize>outW << 2;
        }
      }
    }
  }
}
