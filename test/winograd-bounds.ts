/**
 * Rounding bounds for the Winograd convolutions F(2×2, 3×3) (assembly/winograd.ts) and F(4×4, 3×3)
 * (assembly/winograd-4x4.ts), for test/parity.ts.
 *
 * A direct convolution's float32 error is bounded by γ_n·Σ|terms| (parity.ts). Winograd's is not: it
 * rounds sums of transformed values, tiles of input and kernel combinations that cancel in exact
 * arithmetic, so its error follows the magnitudes of those transforms (Barabasz, Anderson, Soodhalter and
 * Gregg, "Error analysis and improving the accuracy of Winograd convolution for deep neural networks",
 * ACM TOMS 2020). The same bound, element by element: run the algorithm in float64 on the absolute values
 * of every operand and every transform matrix — |Bᵀ| |d| |B|, |G| |g| |Gᵀ|, |Aᵀ| (Σ |U| ⊙ |V|) |A| and their
 * adjoints for the gradients — and each float32 result is within γ_m of that magnitude, m the longest
 * chain of roundings it went through. This file computes those magnitudes, independently of the kernels
 * (loops over the definitions, no SIMD, no tiles shared between images).
 */
import type { Conv2dShape } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { sumTolerance, type Tolerance } from './parity.js';

/** One Winograd algorithm F(m×m, 3×3): |Bᵀ|, |G|, |Aᵀ|, and the longest chain of roundings of each step. */
export interface WinogradAlgorithm {
  /** m: the outputs a tile has along each side (its input window is m + 2). */
  outputs: number;
  bT: number[][];
  g: number[][];
  aT: number[][];
  /** Roundings along the longest chain of the input transform, the kernel transform, the output transform and the input transform's adjoint. */
  chains: { input: number; kernel: number; output: number; inputAdjoint: number };
}

/** F(2×2, 3×3): the absolute values of the matrices at the top of assembly/winograd.ts. */
export const F2: WinogradAlgorithm = {
  outputs: 2,
  bT: [
    [1, 0, 1, 0],
    [0, 1, 1, 0],
    [0, 1, 1, 0],
    [0, 1, 0, 1],
  ],
  g: [
    [1, 0, 0],
    [0.5, 0.5, 0.5],
    [0.5, 0.5, 0.5],
    [0, 0, 1],
  ],
  aT: [
    [1, 1, 1, 0],
    [0, 1, 1, 1],
  ],
  // Bᵀ d B: one addition along each side, 3 allowed; G g Gᵀ: two sums of three and a halving; Aᵀ m A: two sums of
  // three each way; B dV Bᵀ: two sums of three each way
  chains: { input: 3, kernel: 3, output: 6, inputAdjoint: 6 },
};

/**
 * F(4×4, 3×3): the absolute values of the matrices at the top of assembly/winograd-4x4.ts. Its input transform
 * rounds at most 3 times along each side (4x0 − 5x2 + x4: the product 5x2, a difference, a sum; ×4 and ×2 are
 * exact), its kernel transform once (computed in float64, then rounded), its output transform 3 times along each
 * side ((x0 + p) + r with p = x1 + x2).
 */
export const F4: WinogradAlgorithm = {
  outputs: 4,
  bT: [
    [4, 0, 5, 0, 1, 0],
    [0, 4, 4, 1, 1, 0],
    [0, 4, 4, 1, 1, 0],
    [0, 2, 1, 2, 1, 0],
    [0, 2, 1, 2, 1, 0],
    [0, 4, 0, 5, 0, 1],
  ],
  g: [
    [1 / 4, 0, 0],
    [1 / 6, 1 / 6, 1 / 6],
    [1 / 6, 1 / 6, 1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, 1 / 12, 1 / 6],
    [0, 0, 1],
  ],
  aT: [
    [1, 1, 1, 1, 1, 0],
    [0, 1, 1, 2, 2, 0],
    [0, 1, 1, 4, 4, 0],
    [0, 1, 1, 8, 8, 1],
  ],
  chains: { input: 6, kernel: 1, output: 6, inputAdjoint: 6 },
};

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
export function winogradMagnitudes(
  s: Conv2dShape,
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  bias: ArrayLike<number>,
  dy: ArrayLike<number>,
  dWeightBefore: ArrayLike<number>,
  algorithm: WinogradAlgorithm = F2,
): WinogradMagnitudes {
  const { outputs: m, bT: B_T, g: G, aT: A_T } = algorithm;
  const n = m + 2; // the input window's side
  const XI = n * n; // positions of a tile
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F } = s;
  const { padding: P, outHeight: OH, outWidth: OW } = convGeometry(s);
  const [TH, TW] = [Math.ceil(OH / m), Math.ceil(OW / m)];
  const pixel = (n: number, c: number, r: number, q: number) => {
    const [i, j] = [r - P, q - P];
    return i < 0 || j < 0 || i >= H || j >= W ? 0 : Math.abs(x[((n * C + c) * H + i) * W + j]);
  };
  const gradient = (n: number, f: number, i: number, j: number) => (i >= OH || j >= OW ? 0 : Math.abs(dy[((n * F + f) * OH + i) * OW + j]));
  // |U| [f][c][XI] = |G| |g| |Gᵀ|
  const U = new Float64Array(F * C * XI);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          let sum = 0;
          for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) sum += G[i][p] * Math.abs(w[((f * C + c) * 3 + p) * 3 + q]) * G[j][q];
          U[(f * C + c) * XI + i * n + j] = sum;
        }
      }
    }
  }
  // |V| [image][c][tile][XI] = |Bᵀ| |d| |B|, d the tile's n×n window of the padded image
  const V = new Float64Array(N * C * TH * TW * XI);
  // |dM| [image][f][tile][XI] = |Aᵀ|ᵀ |dY| |Aᵀ|, dY the tile's m×m block of dOutput (0 past the map)
  const dM = new Float64Array(N * F * TH * TW * XI);
  for (let image = 0; image < N; image++) {
    for (let ty = 0; ty < TH; ty++) {
      for (let tx = 0; tx < TW; tx++) {
        const tile = ty * TW + tx;
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < n; j++) {
            for (let c = 0; c < C; c++) {
              let sum = 0;
              for (let r = 0; r < n; r++) for (let q = 0; q < n; q++) sum += B_T[i][r] * pixel(image, c, m * ty + r, m * tx + q) * B_T[j][q];
              V[((image * C + c) * TH * TW + tile) * XI + i * n + j] = sum;
            }
            for (let f = 0; f < F; f++) {
              let sum = 0;
              for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) sum += A_T[a][i] * gradient(image, f, m * ty + a, m * tx + b) * A_T[b][j];
              dM[((image * F + f) * TH * TW + tile) * XI + i * n + j] = sum;
            }
          }
        }
      }
    }
  }
  const output = new Float64Array(N * F * OH * OW);
  const dInput = new Float64Array(N * C * H * W);
  for (let image = 0; image < N; image++) {
    for (let ty = 0; ty < TH; ty++) {
      for (let tx = 0; tx < TW; tx++) {
        const tile = ty * TW + tx;
        // output: |Aᵀ| (Σ_c |U| ⊙ |V|) |A| + |bias|
        for (let f = 0; f < F; f++) {
          const M = new Float64Array(XI);
          for (let c = 0; c < C; c++) for (let k = 0; k < XI; k++) M[k] += U[(f * C + c) * XI + k] * V[((image * C + c) * TH * TW + tile) * XI + k];
          for (let a = 0; a < m && m * ty + a < OH; a++) {
            for (let b = 0; b < m && m * tx + b < OW; b++) {
              let sum = Math.abs(bias[f]);
              for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sum += A_T[a][i] * M[i * n + j] * A_T[b][j];
              output[((image * F + f) * OH + m * ty + a) * OW + m * tx + b] = sum;
            }
          }
        }
        // dInput: each window position (r, q) of the tile adds |Bᵀ|ᵀ (Σ_f |U| ⊙ |dM|) |Bᵀ| at that pixel
        for (let c = 0; c < C; c++) {
          const dV = new Float64Array(XI);
          for (let f = 0; f < F; f++) for (let k = 0; k < XI; k++) dV[k] += U[(f * C + c) * XI + k] * dM[((image * F + f) * TH * TW + tile) * XI + k];
          for (let r = 0; r < n; r++) {
            for (let q = 0; q < n; q++) {
              const [i0, j0] = [m * ty + r - P, m * tx + q - P];
              if (i0 < 0 || j0 < 0 || i0 >= H || j0 >= W) continue;
              let sum = 0;
              for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sum += B_T[i][r] * dV[i * n + j] * B_T[j][q];
              dInput[((image * C + c) * H + i0) * W + j0] += sum;
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
      const dU = new Float64Array(XI);
      for (let image = 0; image < N; image++) {
        for (let tile = 0; tile < TH * TW; tile++) {
          for (let k = 0; k < XI; k++) dU[k] += V[((image * C + c) * TH * TW + tile) * XI + k] * dM[((image * F + f) * TH * TW + tile) * XI + k];
        }
      }
      for (let p = 0; p < 3; p++) {
        for (let q = 0; q < 3; q++) {
          let sum = 0;
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sum += G[i][p] * dU[i * n + j] * G[j][q];
          dWeight[((f * C + c) * 3 + p) * 3 + q] += sum;
        }
      }
    }
  }
  return { output, dWeight, dInput };
}

/**
 * The tolerances for each result: γ_m of its magnitude, m its longest chain of roundings — the input and
 * kernel transforms (the algorithm's chains), the GEMM's sum (C for the output, N·tiles for the kernel
 * gradient, F for the input gradient), the output transform or its adjoint (the kernel's 4 for F(2×2)'s
 * Gᵀ dU G), the bias or the gradient accumulated before, and for dInput the up to 4 overlapping windows a pixel
 * receives. Only F(2×2) runs a backward pass; F(4×4)'s gradients' tolerances are not used.
 */
export function winogradTolerances(s: Conv2dShape, m: WinogradMagnitudes, algorithm: WinogradAlgorithm = F2): { output: Tolerance; dWeight: Tolerance; dInput: Tolerance } {
  const { outHeight, outWidth } = convGeometry(s);
  const { input, kernel, output, inputAdjoint } = algorithm.chains;
  const tiles = s.batch * Math.ceil(outHeight / algorithm.outputs) * Math.ceil(outWidth / algorithm.outputs);
  return {
    output: sumTolerance(input + kernel + s.inChannels + output + 1, m.output),
    dWeight: sumTolerance(input + output + tiles + 4 + 1, m.dWeight),
    dInput: sumTolerance(kernel + output + s.outChannels + inputAdjoint + 4, m.dInput),
  };
}
