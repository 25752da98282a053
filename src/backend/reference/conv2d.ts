/**
 * 2-D convolution, valid padding, stride 1 — the direct nested-loop form, kept deliberately plain so it
 * checks the im2col + GEMM kernels of the WebAssembly backend independently. Sums run in float64.
 *
 *   input [N,C,H,W], weight [F,C,K,K], bias [F] → output [N,F,OH,OW], OH = H−K+1, OW = W−K+1
 *
 *   forward:  y[n,f,i,j] = b[f] + Σ_c Σ_p Σ_q w[f,c,p,q] · x[n,c,i+p,j+q]
 *   backward: ∂L/∂w[f,c,p,q] = Σ_n Σ_i Σ_j dy[n,f,i,j] · x[n,c,i+p,j+q]
 *             ∂L/∂b[f]       = Σ_n Σ_i Σ_j dy[n,f,i,j]
 *             ∂L/∂x[n,c,u,v] = Σ_f Σ_p Σ_q dy[n,f,u−p,v−q] · w[f,c,p,q]   (terms with u−p, v−q in range)
 */
import type { Conv2dShape, Floats } from '../backend.js';
import { convOutputSize } from '../backend.js';

export function conv2dForward(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
  const OH = convOutputSize(H, K);
  const OW = convOutputSize(W, K);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let sum = bias[f];
          for (let c = 0; c < C; c++) {
            const xPlane = (n * C + c) * H * W;
            const wPlane = (f * C + c) * K * K;
            for (let p = 0; p < K; p++) {
              for (let q = 0; q < K; q++) {
                sum += weight[wPlane + p * K + q] * input[xPlane + (i + p) * W + (j + q)];
              }
            }
          }
          output[((n * F + f) * OH + i) * OW + j] = sum;
        }
      }
    }
  }
}

export function conv2dBackward(
  s: Conv2dShape,
  input: Floats,
  weight: Floats,
  dOutput: Floats,
  dWeight: Floats,
  dBias: Floats,
  dInput: Floats | null,
): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
  const OH = convOutputSize(H, K);
  const OW = convOutputSize(W, K);

  for (let f = 0; f < F; f++) {
    let biasSum = 0;
    for (let n = 0; n < N; n++) {
      const dyPlane = (n * F + f) * OH * OW;
      for (let k = 0; k < OH * OW; k++) biasSum += dOutput[dyPlane + k];
    }
    dBias[f] += biasSum;

    for (let c = 0; c < C; c++) {
      for (let p = 0; p < K; p++) {
        for (let q = 0; q < K; q++) {
          let sum = 0;
          for (let n = 0; n < N; n++) {
            const dyPlane = (n * F + f) * OH * OW;
            const xPlane = (n * C + c) * H * W;
            for (let i = 0; i < OH; i++) {
              for (let j = 0; j < OW; j++) {
                sum += dOutput[dyPlane + i * OW + j] * input[xPlane + (i + p) * W + (j + q)];
              }
            }
          }
          dWeight[((f * C + c) * K + p) * K + q] += sum;
        }
      }
    }
  }

  if (dInput === null) return;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      for (let u = 0; u < H; u++) {
        for (let v = 0; v < W; v++) {
          let sum = 0;
          for (let f = 0; f < F; f++) {
            const dyPlane = (n * F + f) * OH * OW;
            const wPlane = (f * C + c) * K * K;
            for (let p = Math.max(0, u - OH + 1); p <= Math.min(K - 1, u); p++) {
              for (let q = Math.max(0, v - OW + 1); q <= Math.min(K - 1, v); q++) {
                sum += dOutput[dyPlane + (u - p) * OW + (v - q)] * weight[wPlane + p * K + q];
              }
            }
          }
          dInput[((n * C + c) * H + u) * W + v] = sum;
        }
      }
    }
  }
}
