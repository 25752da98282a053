/**
 * Adam and AdamW over the network's parameter arena: each owns the first and second moment estimates
 * (m, v, laid out like the parameters) and the step count, and calls the backend's one-pass Adam update
 * (a SIMD kernel on wasm, assembly/adam.ts). Defaults are the paper's (Keras/PyTorch): lr 1e-3, β1 0.9,
 * β2 0.999; ε 1e-8 as PyTorch.
 *
 * Weight decay λ, as torch.optim:
 *   Adam   (L2)          g ← g + λ·θ, then the Adam update with g
 *   AdamW  (decoupled)   θ ← θ·(1 − lr·λ), then the Adam update with g unchanged
 * Both loops run on the backend's memory before the kernel; with λ = 0 neither runs (the paper's recipe is
 * the kernel alone, bit for bit).
 *
 * The moments are two arrays of the backend's memory, as large as the parameters: `dispose()` gives them
 * back when training is over (a thread pool started with this optimiser keeps their addresses, so close
 * it first). A disposed optimiser refuses to update (ERR_DISPOSED).
 */
import { checkTrainable } from '../argument-checks.js';
import type { Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import type { Optimizer } from './optimizer.js';

export interface AdamSettings {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

export const ADAM_DEFAULTS: AdamSettings = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** torch.optim.AdamW's default weight decay. */
export const ADAMW_DEFAULT_DECAY = 0.01;

export class Adam implements Optimizer {
  readonly m: Floats;
  readonly v: Floats;
  step = 0;
  learningRate: number;
  #disposed = false;

  constructor(
    protected readonly network: Network,
    readonly settings: AdamSettings = ADAM_DEFAULTS,
    readonly weightDecay = 0,
  ) {
    checkTrainable(this.constructor.name, 'network', network);
    this.m = network.backend.allocFloats(network.params.length);
    this.v = network.backend.allocFloats(network.params.length);
    this.learningRate = settings.learningRate;
  }

  get name(): 'adam' | 'adamw' {
    return 'adam';
  }

  get stateArrays(): ReadonlyArray<{ name: string; data: Floats }> {
    return [
      { name: 'adam.m', data: this.m },
      { name: 'adam.v', data: this.v },
    ];
  }

  /** θ ← θ − lr·m̂/(√v̂+ε) with the gradients now in the network's grad arena (plus λ·θ when decaying). */
  update(): void {
    if (this.#disposed) throw new XcnnError(`this ${this.name === 'adamw' ? 'AdamW' : 'Adam'} optimiser was disposed: its moments went back to the backend; make a new one (or restore a checkpoint) to train on`, { code: 'ERR_DISPOSED' });
    const { params, grads } = this.network;
    this.step += 1;
    this.decay(params, grads);
    this.network.backend.adamUpdate(params, grads, this.m, this.v, { ...this.settings, learningRate: this.learningRate, step: this.step });
  }

  /** Adam's L2 weight decay: g ← g + λ·θ. */
  protected decay(params: Floats, grads: Floats): void {
    const lambda = this.weightDecay;
    if (lambda === 0) return;
    for (let k = 0; k < params.length; k++) grads[k] += lambda * params[k];
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

/** AdamW: Adam with the weight decay decoupled from the gradient (torch.optim.AdamW). */
export class AdamW extends Adam {
  constructor(network: Network, settings: AdamSettings = ADAM_DEFAULTS, weightDecay = ADAMW_DEFAULT_DECAY) {
    super(network, settings, weightDecay);
  }

  override get name(): 'adamw' {
    return 'adamw';
  }

  /** θ ← θ·(1 − lr·λ), before the Adam step (torch.optim.AdamW). */
  protected override decay(params: Floats): void {
    const lambda = this.weightDecay;
    if (lambda === 0) return;
    const factor = 1 - this.learningRate * lambda;
    for (let k = 0; k < params.length; k++) params[k] *= factor;
  }
}
