/**
 * Adam (Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015, Algorithm 1), the same
 * update as PyTorch's `torch.optim.Adam` without weight decay:
 *
 *   m ← β1·m + (1−β1)·g
 *   v ← β2·v + (1−β2)·g²
 *   m̂ = m / (1−β1ᵗ),  v̂ = v / (1−β2ᵗ)        (bias correction: DIVIDE by 1−βᵗ)
 *   θ ← θ − lr · m̂ / (√v̂ + ε)
 */
import type { AdamStep, Floats } from '../backend.js';

export function adamUpdate(params: Floats, grads: Floats, m: Floats, v: Floats, hp: AdamStep): void {
  const { learningRate, beta1, beta2, epsilon, step } = hp;
  const mCorrection = 1 - Math.pow(beta1, step);
  const vCorrection = 1 - Math.pow(beta2, step);
  for (let k = 0; k < params.length; k++) {
    const g = grads[k];
    m[k] = beta1 * m[k] + (1 - beta1) * g;
    v[k] = beta2 * v[k] + (1 - beta2) * g * g;
    const mHat = m[k] / mCorrection;
    const vHat = v[k] / vCorrection;
    params[k] -= (learningRate * mHat) / (Math.sqrt(vHat) + epsilon);
  }
}
