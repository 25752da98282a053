/**
 * Batch normalisation (Ioffe & Szegedy 2015, Algorithm 1 and §3) with PyTorch's conventions, over the
 * channels of [N, C, M'] (M' positions per sample: H·W after a convolution, 1 after flatten). Sums in float64.
 *
 *   M = N·M' values per channel;  μ_c = (1/M) Σ x;  σ²_c = (1/M) Σ (x − μ_c)²   (biased, used to normalise)
 *   training:   x̂ = (x − μ_c)/√(σ²_c + ε);  y = γ_c·x̂ + β_c
 *               running_mean ← (1 − m)·running_mean + m·μ_c
 *               running_var  ← (1 − m)·running_var  + m·σ²_c·M/(M − 1)   (unbiased; M = 1 keeps σ² = 0)
 *   evaluation: x̂ = (x − running_mean)/√(running_var + ε);  y = γ·x̂ + β
 *
 *   backward (training), with invStd = 1/√(σ² + ε), x̂ as above, sums over a channel's M values:
 *     ∂L/∂γ = Σ dy·x̂;  ∂L/∂β = Σ dy;  ∂L/∂x = γ·invStd/M · (M·dy − Σdy − x̂·Σ(dy·x̂))
 *   backward (evaluation): the same ∂L/∂γ, ∂L/∂β; ∂L/∂x = γ·invStd·dy (the statistics are constants).
 */
import type { BatchNormGradients, BatchNormShape, BatchNormState, Floats } from '../backend.js';

export function batchNormForward(s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState): void {
  const { batch: N, channels: C, positions: P } = s;
  const { gamma, beta, runningMean, runningVar, training, momentum, epsilon, savedMean, savedInvStd } = state;
  const M = N * P;
  for (let c = 0; c < C; c++) {
    let mean: number;
    let variance: number;
    if (training) {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let k = 0; k < P; k++) sum += input[(n * C + c) * P + k];
      mean = sum / M;
      let squares = 0;
      for (let n = 0; n < N; n++) {
        for (let k = 0; k < P; k++) {
          const d = input[(n * C + c) * P + k] - mean;
          squares += d * d;
        }
      }
      variance = squares / M;
      runningMean[c] = (1 - momentum) * runningMean[c] + momentum * mean;
      runningVar[c] = (1 - momentum) * runningVar[c] + momentum * (M > 1 ? (variance * M) / (M - 1) : variance);
    } else {
      mean = runningMean[c];
      variance = runningVar[c];
    }
    const invStd = 1 / Math.sqrt(variance + epsilon);
    savedMean[c] = mean;
    savedInvStd[c] = invStd;
    const scale = gamma[c] * invStd;
    const shift = beta[c] - mean * scale;
    for (let n = 0; n < N; n++) for (let k = 0; k < P; k++) output[(n * C + c) * P + k] = input[(n * C + c) * P + k] * scale + shift;
  }
}

export function batchNormBackward(s: BatchNormShape, g: BatchNormGradients): void {
  const { batch: N, channels: C, positions: P } = s;
  const { input, dOutput, gamma, savedMean, savedInvStd, training, dGamma, dBeta, dInput } = g;
  const M = N * P;
  for (let c = 0; c < C; c++) {
    const mean = savedMean[c];
    const invStd = savedInvStd[c];
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < P; k++) {
        const at = (n * C + c) * P + k;
        sumDy += dOutput[at];
        sumDyXhat += dOutput[at] * (input[at] - mean) * invStd;
      }
    }
    dGamma[c] += sumDyXhat;
    dBeta[c] += sumDy;
    if (dInput === null) continue;
    const g = gamma[c] * invStd;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < P; k++) {
        const at = (n * C + c) * P + k;
        dInput[at] = training ? (g / M) * (M * dOutput[at] - sumDy - (input[at] - mean) * invStd * sumDyXhat) : g * dOutput[at];
      }
    }
  }
}
