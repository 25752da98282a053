/**
 * Fully connected layer, PyTorch's `Linear` layout. Sums run in float64.
 *
 *   input [N,I], weight [O,I], bias [O] → output [N,O]
 *
 *   forward:  y[n,o] = b[o] + Σ_i x[n,i] · w[o,i]
 *   backward: ∂L/∂w[o,i] = Σ_n dy[n,o] · x[n,i]
 *             ∂L/∂b[o]   = Σ_n dy[n,o]
 *             ∂L/∂x[n,i] = Σ_o dy[n,o] · w[o,i]
 */
import type { DenseShape, Floats, LayerGradients } from '../backend.js';

export function denseForward(s: DenseShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void {
  const { batch: N, inFeatures: I, outFeatures: O } = s;
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      let sum = bias[o];
      for (let i = 0; i < I; i++) sum += input[n * I + i] * weight[o * I + i];
      output[n * O + o] = sum;
    }
  }
}

export function denseBackward(s: DenseShape, { input, weight, dOutput, dWeight, dBias, dInput }: LayerGradients): void {
  const { batch: N, inFeatures: I, outFeatures: O } = s;
  for (let o = 0; o < O; o++) {
    if (dBias !== null) {
      let biasSum = 0;
      for (let n = 0; n < N; n++) biasSum += dOutput[n * O + o];
      dBias[o] += biasSum;
    }
    if (dWeight === null) continue;
    for (let i = 0; i < I; i++) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += dOutput[n * O + o] * input[n * I + i];
      dWeight[o * I + i] += sum;
    }
  }
  if (dInput === null) return;
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < I; i++) {
      let sum = 0;
      for (let o = 0; o < O; o++) sum += dOutput[n * O + o] * weight[o * I + i];
      dInput[n * I + i] = sum;
    }
  }
}
