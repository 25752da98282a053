/**
 * Softmax followed by cross-entropy against integer labels, fused because the fused gradient is simple
 * and numerically safe:
 *
 *   p[n,k] = exp(z[n,k] − max_k z[n,·]) / Σ_k exp(z[n,k] − max_k z[n,·])      (shifted for stability)
 *   L      = (1/N) Σ_n −log p[n, label_n]
 *   ∂L/∂z[n,k] = (p[n,k] − [k = label_n]) / N
 *
 * −log p is computed as log Σ exp(z − max) − (z_label − max), so a confident wrong answer gives a large
 * finite loss rather than −log 0 = ∞.
 */
import type { Floats } from '../backend.js';

export function softmaxCrossEntropy(
  batch: number,
  classes: number,
  logits: Floats,
  labels: Int32Array,
  probs: Floats,
  dLogits: Floats | null,
): number {
  let lossSum = 0;
  for (let n = 0; n < batch; n++) {
    const row = n * classes;
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, logits[row + k]);
    let expSum = 0;
    for (let k = 0; k < classes; k++) expSum += Math.exp(logits[row + k] - max);
    for (let k = 0; k < classes; k++) probs[row + k] = Math.exp(logits[row + k] - max) / expSum;
    const label = labels[n];
    lossSum += Math.log(expSum) - (logits[row + label] - max);
    if (dLogits !== null) {
      for (let k = 0; k < classes; k++) dLogits[row + k] = (probs[row + k] - (k === label ? 1 : 0)) / batch;
    }
  }
  return lossSum / batch;
}
