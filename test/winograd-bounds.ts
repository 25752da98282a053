/**
 * Rounding bounds for the Winograd F(2×2, 3×3) convolution (assembly/winograd.ts), for test/parity.ts.
 *
 * A direct convolution's float32 error is bounded by γ_n·Σ|terms| (parity.ts). Winograd's is not: it
 * rounds sums of transformed values, 4×4 tiles of input and kernel combinations that cancel in exact
 * arithmetic, so its error follows the magnitudes of those transforms (Barabasz, Anderson, Soodhalter and
 * Gregg, "Error analysis and improving the accuracy of Winograd convolution for deep neural networks",
 * ACM TOMS 2020). The same bound, element by element: run the algorithm in float64 on the absolute values
 * of every operand and every transform matrix — |Bᵀ| |d| |B|, |G| |g| |Gᵀ|, |Aᵀ| (Σ |U| ⊙ |V|) |A| and their
 * adjoints for the gradients — and each float32 result is within γ_m of that magnitude, m the longest
 * chain of roundings it went through. This file computes those magnitudes, independently of the kernel
 * (loops over the definitions, no SIMD, no tiles shared between images).
 */
import type { Conv2dShape } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { sumTolerance, type Tolerance } from './parity.js';

// |Bᵀ|, |G| and |Aᵀ| of F(2×2, 3×3): the absolute values of the matrices at the top of assembly/winograd.ts
const B_T = [
  [1, 0, 1, 0],
  [0, 1, 1, 0],
  [0, 1, 1, 0],
  [0, 1, 0, 1],
];
const G = [
  [1, 0, 0],
  [0.5, 0.5, 0.5],
  [0.5, 0.5, 0.5],
  [0, 0, 1],
];
const A_T = [
  [1, 1, 1, 0],
  [0, 1, 1, 1],
];

/** The magnitudes each Winograd result is within γ_m of, and m for each (roundings along its longest chain). */
export interface WinogradMagnitudes {
  output: Float64Array;
  dWeight: Float64Array;
  dInput: Float64Array;
}

/**
 * For x [N,C,H,W], w [F,C,3,3], bias [F], dy [N,F,OH,OW] and the dWeight the backward pass adds to: the
 * float64 magnitudes of the forward output, the accumulated dWeight and dInput.
 */
export function winogradMagnitudes(s: Conv2dShape, x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number>, dy: ArrayLike<number>, dWeightBefore: ArrayLike<number>): WinogradMagnitudes {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F } = s;
  const { padding: P, outHeight: OH, outWidth: OW } = convGeometry(s);
  const [TH, TW] = [Math.ceil(OH / 2), Math.ceil(OW / 2)];
  const pixel = (n: number, c: number, r: number, q: number) => {
    const [i, j] = [r - P, q - P];
    return i < 0 || j < 0 || i >= H || j >= W ? 0 : Math.abs(x[((n * C + c) * H + i) * W + j]);
  };
  const gradient = (n: number, f: number, i: number, j: number) => (i >= OH || j >= OW ? 0 : Math.abs(dy[((n * F + f) * OH + i) * OW + j]));
  // |U| [f][c][16] = |G| |g| |Gᵀ|
  const U = new Float64Array(F * C * 16);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < 4; i++) {
        for (let j = 0; j < 4; j++) {
          let sum = 0;
          for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) sum += G[i][p] * Math.abs(w[((f * C + c) * 3 + p) * 3 + q]) * G[j][q];
          U[(f * C + c) * 16 + i * 4 + j] = sum;
        }
      }
    }
  }
  // |V| [n][c][tile][16] = |Bᵀ| |d| |B|, d the tile's 4×4 window of the padded image
  const V = new Float64Array(N * C * TH * TW * 16);
  // |dM| [n][f][tile][16] = |Aᵀ|ᵀ |dY| |Aᵀ|, dY the tile's 2×2 block of dOutput (0 past the map)
  const dM = new Float64Array(N * F * TH * TW * 16);
  for (let n = 0; n < N; n++) {
    for (let ty = 0; ty < TH; ty++) {
      for (let tx = 0; tx < TW; tx++) {
        const tile = ty * TW + tx;
        for (let i = 0; i < 4; i++) {
          for (let j = 0; j < 4; j++) {
            for (let c = 0; c < C; c++) {
              let sum = 0;
              for (let r = 0; r < 4; r++) for (let q = 0; q < 4; q++) sum += B_T[i][r] * pixel(n, c, 2 * ty + r, 2 * tx + q) * B_T[j][q];
              V[((n * C + c) * TH * TW + tile) * 16 + i * 4 + j] = sum;
            }
            for (let f = 0; f < F; f++) {
              let sum = 0;
              for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) sum += A_T[a][i] * gradient(n, f, 2 * ty + a, 2 * tx + b) * A_T[b][j];
              dM[((n * F + f) * TH * TW + tile) * 16 + i * 4 + j] = sum;
            }
          }
        }
      }
    }
  }
  const output = new Float64Array(N * F * OH * OW);
  const dInput = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++) {
    for (let ty = 0; ty < TH; ty++) {
      for (let tx = 0; tx < TW; tx++) {
        const tile = ty * TW + tx;
        // output: |Aᵀ| (Σ_c |U| ⊙ |V|) |A| + |bias|
        for (let f = 0; f < F; f++) {
          const M = new Float64Array(16);
          for (let c = 0; c < C; c++) for (let k = 0; k < 16; k++) M[k] += U[(f * C + c) * 16 + k] * V[((n * C + c) * TH * TW + tile) * 16 + k];
          for (let a = 0; a < 2 && 2 * ty + a < OH; a++) {
            for (let b = 0; b < 2 && 2 * tx + b < OW; b++) {
              let sum = Math.abs(bias[f]);
              for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) sum += A_T[a][i] * M[i * 4 + j] * A_T[b][j];
              output[((n * F + f) * OH + 2 * ty + a) * OW + 2 * tx + b] = sum;
            }
          }
        }
        // dInput: each window position (r, q) of the tile adds |Bᵀ|ᵀ (Σ_f |U| ⊙ |dM|) |Bᵀ| at that pixel
        for (let c = 0; c < C; c++) {
          const dV = new Float64Array(16);
          for (let f = 0; f < F; f++) for (let k = 0; k < 16; k++) dV[k] += U[(f * C + c) * 16 + k] * dM[((n * F + f) * TH * TW + tile) * 16 + k];
          for (let r = 0; r < 4; r++) {
            for (let q = 0; q < 4; q++) {
              const [i0, j0] = [2 * ty + r - P, 2 * tx + q - P];
              if (i0 < 0 || j0 < 0 || i0 >= H || j0 >= W) continue;
              let sum = 0;
              for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) sum += B_T[i][r] * dV[i * 4 + j] * B_T[j][q];
              dInput[((n * C + c) * H + i0) * W + j0] += sum;
            }
          }
        }
      }
    }
  }
  // dWeight: |dW before| + |G|ᵀ (Σ_tiles |V| ⊙ |dM|) |G|
  const dWeight = Float64Array.from(dWeightBefore, Math.abs);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const dU = new Float64Array(16);
      for (let n = 0; n < N; n++) {
        for (let tile = 0; tile < TH * TW; tile++) {
          for (let k = 0; k < 16; k++) dU[k] += V[((n * C + c) * TH * TW + tile) * 16 + k] * dM[((n * F + f) * TH * TW + tile) * 16 + k];
        }
      }
      for (let p = 0; p < 3; p++) {
        for (let q = 0; q < 3; q++) {
          let sum = 0;
          for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) sum += G[i][p] * dU[i * 4 + j] * G[j][q];
          dWeight[((f * C + c) * 3 + p) * 3 + q] += sum;
        }
      }
    }
  }
  return { output, dWeight, dInput };
}

/**
 * The tolerances for each result: γ_m of its magnitude, m its longest chain of roundings — the input and
 * kernel transforms (3 each), the GEMM's sum (C for the output, N·tiles for the kernel gradient, F for the
 * input gradient), the output transform or its adjoint (6; the kernel's 4), the bias or the gradient
 * accumulated before, and for dInput the up to 4 overlapping windows a pixel receives.
 */
export function winogradTolerances(s: Conv2dShape, m: WinogradMagnitudes): { output: Tolerance; dWeight: Tolerance; dInput: Tolerance } {
  const { outHeight, outWidth } = convGeometry(s);
  const tiles = s.batch * Math.ceil(outHeight / 2) * Math.ceil(outWidth / 2);
  return {
    output: sumTolerance(3 + 3 + s.inChannels + 6 + 1, m.output),
    dWeight: sumTolerance(3 + 6 + tiles + 4 + 1, m.dWeight),
    dInput: sumTolerance(3 + 6 + s.outChannels + 6 + 4, m.dInput),
  };
}
