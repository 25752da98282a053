/**
 * Average pooling over K×K windows with stride S, no padding, floor mode, PyTorch's
 * `nn.AvgPool2d(K, stride=S)` (with no padding, count_include_pad does not matter: every window has K² elements).
 * Global average pooling is the case K = H = W, S = 1 (the layer passes a square input's size; a non-square
 * input is pooled by the GlobalAvgPool layer through the same mean over its H·W positions).
 *
 *   input [N,C,H,W] → output [N,C,OH,OW], OH = ⌊(H − K)/S⌋ + 1
 *
 *   forward:  y[n,c,i,j] = (1/K²) Σ_a Σ_b x[n,c,S·i+a,S·j+b]
 *   backward: ∂L/∂x[n,c,u,v] = (1/K²) Σ over the windows (i, j) that contain (u, v) of dy[n,c,i,j]
 */
import type { Floats, Pool2dShape } from '../backend.js';
import { poolGeometry } from '../backend.js';

export function avgPool2dForward(s: Pool2dShape, input: Floats, output: Floats): void {
  const { batch: N, channels: C, height: H, width: W } = s;
  const { kernelSize: K, stride: S, outHeight: OH, outWidth: OW } = poolGeometry(s);
  const scale = 1 / (K * K);
  for (let plane = 0; plane < N * C; plane++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let sum = 0;
        for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) sum += input[plane * H * W + (S * i + a) * W + S * j + b];
        output[(plane * OH + i) * OW + j] = sum * scale;
      }
    }
  }
}

export function avgPool2dBackward(s: Pool2dShape, dOutput: Floats, dInput: Floats): void {
  const { batch: N, channels: C, height: H, width: W } = s;
  const { kernelSize: K, stride: S, outHeight: OH, outWidth: OW } = poolGeometry(s);
  const scale = 1 / (K * K);
  dInput.fill(0);
  for (let plane = 0; plane < N * C; plane++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        const d = dOutput[(plane * OH + i) * OW + j] * scale;
        for (let a = 0; a < K; a++) for (let b = 0; b < K; b++) dInput[plane * H * W + (S * i + a) * W + S * j + b] += d;
      }
    }
  }
}
