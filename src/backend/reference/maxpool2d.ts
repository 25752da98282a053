/**
 * Max pooling over K×K windows with stride S, no padding, floor mode (trailing rows or columns that do not
 * fill a window are dropped), PyTorch's `nn.MaxPool2d(K, stride=S)`.
 *
 *   input [N,C,H,W] → output [N,C,OH,OW], OH = ⌊(H − K)/S⌋ + 1; argmax of the same shape (flat indices into input)
 *
 *   forward:  y[n,c,i,j] = max over the window {x[n,c,S·i+a,S·j+b] : 0 ≤ a,b < K}; argmax remembers where
 *             (the first maximum in row-major order on ties, as PyTorch).
 *   backward: the gradient of a max flows only to the element that won:
 *             ∂L/∂x[k] = Σ over the windows whose argmax is k of dy (windows overlap when S < K); 0 elsewhere.
 */
import type { Floats, Pool2dShape } from '../backend.js';
import { poolGeometry } from '../backend.js';

export function maxPool2dForward(s: Pool2dShape, input: Floats, output: Floats, argmax: Int32Array): void {
  const { batch: N, channels: C, height: H, width: W } = s;
  const { kernelSize: K, stride: S, outHeight: OH, outWidth: OW } = poolGeometry(s);
  for (let plane = 0; plane < N * C; plane++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let best = plane * H * W + S * i * W + S * j;
        for (let a = 0; a < K; a++) {
          for (let b = 0; b < K; b++) {
            const k = plane * H * W + (S * i + a) * W + S * j + b;
            if (input[k] > input[best]) best = k;
          }
        }
        const out = (plane * OH + i) * OW + j;
        output[out] = input[best];
        argmax[out] = best;
      }
    }
  }
}

export function maxPool2dBackward(_s: Pool2dShape, dOutput: Floats, argmax: Int32Array, dInput: Floats): void {
  dInput.fill(0);
  for (let out = 0; out < dOutput.length; out++) dInput[argmax[out]] += dOutput[out];
}
