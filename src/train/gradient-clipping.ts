/**
 * Gradient clipping by global norm, as torch.nn.utils.clip_grad_norm_(parameters, max_norm) defines it:
 *
 *   n = ‖g‖₂ over every parameter's gradient at once;  c = max_norm / (n + 1e-6);  g ← g·c if c < 1
 *
 * As an optimiser around another (the decorator the trainer and checkpoints see as the inner one), so
 * clipping happens between the backward pass and the update wherever the update runs.
 */
import type { Floats } from '../backend/backend.js';
import type { Network } from '../model/network.js';
import type { Optimizer } from './optimizer.js';

/** Scales `grads` in place so their global L2 norm is at most `maxNorm`; returns the norm before clipping. */
export function clipGradNorm(grads: Floats, maxNorm: number): number {
  let sumOfSquares = 0;
  for (let k = 0; k < grads.length; k++) sumOfSquares += grads[k] * grads[k];
  const norm = Math.sqrt(sumOfSquares);
  const coefficient = maxNorm / (norm + 1e-6);
  if (coefficient < 1) for (let k = 0; k < grads.length; k++) grads[k] *= coefficient;
  return norm;
}

/** `inner`, with the network's gradients clipped to `maxNorm` before each of its updates. */
export class ClippedOptimizer implements Optimizer {
  constructor(
    readonly inner: Optimizer,
    private readonly network: Network,
    readonly maxNorm: number,
  ) {}

  get name() {
    return this.inner.name;
  }

  get step(): number {
    return this.inner.step;
  }

  set step(value: number) {
    this.inner.step = value;
  }

  get learningRate(): number {
    return this.inner.learningRate;
  }

  set learningRate(value: number) {
    this.inner.learningRate = value;
  }

  get stateArrays() {
    return this.inner.stateArrays;
  }

  update(): void {
    clipGradNorm(this.network.grads, this.maxNorm);
    this.inner.update();
  }

  dispose(): void {
    this.inner.dispose();
  }
}
