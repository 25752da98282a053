/**
 * Max pooling over 2×2 windows with stride 2 (floor mode: a trailing odd row or column is dropped).
 *
 *   input [N,C,H,W] → output [N,C,⌊H/2⌋,⌊W/2⌋], argmax of the same shape (flat indices into input)
 *
 *   forward:  y[n,c,i,j] = max over the window {x[n,c,2i+a,2j+b] : a,b ∈ {0,1}}; argmax remembers where
 *             (the first maximum in row-major order on ties, as PyTorch).
 *   backward: the gradient of a max flows only to the element that won:
 *             ∂L/∂x[argmax[n,c,i,j]] = dy[n,c,i,j]; every other element gets 0.
 */
import type { Floats, Pool2dShape } from '../backend.js';

export function maxPool2dForward(s: Pool2dShape, input: Floats, output: Floats, argmax: Int32Array): void {
  const { batch: N, channels: C, height: H, width: W } = s;
  const OH = Math.floor(H / 2);
  const OW = Math.floor(W / 2);
  for (let plane = 0; plane < N * C; plane++) {
    for (let i = 0; i < OH; i++) {
      for (let j = 0; j < OW; j++) {
        let best = plane * H * W + 2 * i * W + 2 * j;
        for (const offset of [1, W, W + 1]) {
          const k = plane * H * W + 2 * i * W + 2 * j + offset;
          if (input[k] > input[best]) best = k;
        }
        const out = (plane * OH + i) * OW + j;
        output[out] = input[best];
        argmax[out] = best;
      }
    }
  }
}

export function maxPool2dBackward(s: Pool2dShape, dOutput: Floats, argmax: Int32Array, dInput: Floats): void {
  dInput.fill(0);
  for (let out = 0; out < dOutput.length; out++) dInput[argmax[out]] += dOutput[out];
}
