/**
 * Stochastic gradient descent with momentum and optional Nesterov momentum, as torch.optim.SGD defines it
 * with dampening 0 (its default), over the network's parameter arena:
 *
 *   g ← ∇θ + λ·θ                          (weight decay λ, L2)
 *   b ← μ·b + g                           (b starts at 0, so the first b is g, as torch's clone)
 *   g ← g + μ·b   if Nesterov, else g ← b
 *   θ ← θ − lr·g
 *
 * With μ = 0 there is no buffer and this is plain SGD. The momentum buffer is laid out like the
 * parameters; the loop runs on the backend's memory.
 */
import type { Floats } from '../backend/backend.js';
import type { Network } from '../model/network.js';
import type { Optimizer } from './optimizer.js';

export interface SgdSettings {
  learningRate: number;
  momentum: number; // μ in [0, 1)
  nesterov: boolean; // needs μ > 0 (torch refuses Nesterov without momentum)
  weightDecay: number; // λ ≥ 0
}

export class Sgd implements Optimizer {
  readonly name = 'sgd' as const;
  readonly momentumBuffer: Floats;
  step = 0;
  learningRate: number;

  constructor(
    private readonly network: Network,
    readonly settings: SgdSettings,
  ) {
    this.momentumBuffer = network.backend.allocFloats(network.params.length);
    this.learningRate = settings.learningRate;
  }

  get stateArrays(): ReadonlyArray<{ name: string; data: Floats }> {
    return [{ name: 'sgd.momentum', data: this.momentumBuffer }];
  }

  update(): void {
    const { params, grads } = this.network;
    const { momentum, nesterov, weightDecay } = this.settings;
    const lr = this.learningRate;
    const b = this.momentumBuffer;
    this.step += 1;
    for (let k = 0; k < params.length; k++) {
      let g = grads[k] + weightDecay * params[k];
      if (momentum !== 0) {
        b[k] = momentum * b[k] + g;
        g = nesterov ? g + momentum * b[k] : b[k];
      }
      params[k] -= lr * g;
    }
  }

  dispose(): void {
    this.network.backend.free(this.momentumBuffer);
  }
}
