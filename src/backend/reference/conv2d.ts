/**
 * 2-D convolution with stride and zero padding — the direct nested-loop form, kept deliberately plain so
 * it checks the im2col + GEMM kernels of the WebAssembly backend independently. Sums run in float64.
 *
 *   input [N,C,H,W], weight [F,C,K,K], bias [F] → output [N,F,OH,OW], OH = ⌊(H + 2P − K)/S⌋ + 1
 *   x̃[n,c,u,v] = x[n,c,u,v] inside the image, 0 outside (the padding)
 *
 *   forward:  y[n,f,i,j] = b[f] + Σ_c Σ_p Σ_q w[f,c,p,q] · x̃[n,c,S·i+p−P, S·j+q−P]
 *   backward: ∂L/∂w[f,c,p,q] = Σ_n Σ_i Σ_j dy[n,f,i,j] · x̃[n,c,S·i+p−P, S·j+q−P]
 *             ∂L/∂b[f]       = Σ_n Σ_i Σ_j dy[n,f,i,j]
 *             ∂L/∂x[n,c,u,v] = Σ_f Σ_p Σ_q dy[n,f,i,j] · w[f,c,p,q]  over the (p, q) with
 *                              u + P − p = S·i and v + P − q = S·j for an output position (i, j)
 */
import type { Conv2dShape, Floats, LayerGradients } from '../backend.js';
import { convGeometry } from '../backend.js';

export function conv2dForward(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
  const { stride: S, padding: P, outHeight: OH, outWidth: OW } = convGeometry(s);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          let sum = bias[f];
          for (let c = 0; c < C; c++) {
            const xPlane = (n * C + c) * H * W;
            const wPlane = (f * C + c) * K * K;
            for (let p = 0; p < K; p++) {
              const u = S * i + p - P;
              if (u < 0 || u >= H) continue;
              for (let q = 0; q < K; q++) {
                const v = S * j + q - P;
                if (v < 0 || v >= W) continue;
                sum += weight[wPlane + p * K + q] * input[xPlane + u * W + v];
              }
            }
          }
          output[((n * F + f) * OH + i) * OW + j] = sum;
        }
      }
    }
  }
}

export function conv2dBackward(s: Conv2dShape, { input, weight, dOutput, dWeight, dBias, dInput }: LayerGradients): void {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
  const { stride: S, padding: P, outHeight: OH, outWidth: OW } = convGeometry(s);

  for (let f = 0; f < F; f++) {
    if (dBias !== null) {
      let biasSum = 0;
      for (let n = 0; n < N; n++) {
        const dyPlane = (n * F + f) * OH * OW;
        for (let k = 0; k < OH * OW; k++) biasSum += dOutput[dyPlane + k];
      }
      dBias[f] += biasSum;
    }
    if (dWeight === null) continue;

    for (let c = 0; c < C; c++) {
      for (let p = 0; p < K; p++) {
        for (let q = 0; q < K; q++) {
          let sum = 0;
          for (let n = 0; n < N; n++) {
            const dyPlane = (n * F + f) * OH * OW;
            const xPlane = (n * C + c) * H * W;
            for (let i = 0; i < OH; i++) {
              const u = S * i + p - P;
              if (u < 0 || u >= H) continue;
              for (let j = 0; j < OW; j++) {
                const v = S * j + q - P;
                if (v < 0 || v >= W) continue;
                sum += dOutput[dyPlane + i * OW + j] * input[xPlane + u * W + v];
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
            for (let p = 0; p < K; p++) {
              const si = u + P - p; // = S·i
              if (si < 0 || si % S !== 0 || si / S >= OH) continue;
              for (let q = 0; q < K; q++) {
                const sj = v + P - q; // = S·j
                if (sj < 0 || sj % S !== 0 || sj / S >= OW) continue;
                sum += dOutput[dyPlane + (si / S) * OW + sj / S] * weight[wPlane + p * K + q];
              }
            }
          }
          dInput[((n * C + c) * H + u) * W + v] = sum;
        }
      }
    }
  }
}
