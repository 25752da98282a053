/**
 * The Adam optimiser over the network's parameter arena: it owns the first and second moment estimates
 * (m, v, laid out like the parameters) and the step count, and calls the backend's one-pass update.
 * Defaults are the paper's (Keras/PyTorch): lr 1e-3, β1 0.9, β2 0.999; ε 1e-8 as PyTorch.
 *
 * The moments are two arrays of the backend's memory, as large as the parameters: `dispose()` gives them
 * back when training is over (a thread pool started with this optimiser keeps their addresses, so close
 * it first). A disposed optimiser refuses to update (ERR_DISPOSED).
 */
import type { Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import { checkModel } from '../argument-checks.js';

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAM_DEFAULTS: AdamSettings = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

export class Adam {
  readonly m: Floats;
  readonly v: Floats;
  step = 0;
  #disposed = false;

  constructor(
    private readonly network: Network,
    readonly settings: AdamSettings = ADAM_DEFAULTS,
  ) {
    checkModel('Adam', 'network', network);
    this.m = network.backend.allocFloats(network.params.length);
    this.v = network.backend.allocFloats(network.params.length);
  }

  /** θ ← θ − lr·m̂/(√v̂+ε) with the gradients now in the network's grad arena. */
  update(): void {
    if (this.#disposed) throw new XcnnError('this Adam optimiser was disposed: its moments went back to the backend; make a new one (or restore a checkpoint) to train on', { code: 'ERR_DISPOSED' });
    this.step += 1;
    this.network.backend.adamUpdate(this.network.params, this.network.grads, this.m, this.v, { ...this.settings, step: this.step });
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Gives the moment arrays back to the backend. Disposing twice does nothing. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.network.backend.free(this.m);
    this.network.backend.free(this.v);
  }
}
