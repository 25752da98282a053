/**
 * The optimiser interface the trainer drives: one update of the network's parameter arena from the
 * gradients in its grad arena, at the learning rate the schedule has set (schedule.ts). Each optimiser
 * owns its state (moments, momentum buffers) as named arrays laid out like the parameters, which
 * checkpoints save and restore by name (checkpoint-format.ts), and its settings, which they record.
 *
 *   adam    Adam (Kingma & Ba 2015), torch.optim.Adam: the paper's and the default (adam.ts)
 *   adamw   AdamW (Loshchilov & Hutter 2019), torch.optim.AdamW: decay decoupled from the gradient (adam.ts)
 *   sgd     SGD with momentum and optional Nesterov, torch.optim.SGD with dampening 0 (sgd.ts)
 */
import type { Floats } from '../backend/backend.js';

export type OptimizerName = 'adam' | 'adamw' | 'sgd';
export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adam', 'adamw', 'sgd'];

/** An optimiser's settings, as checkpoints and model files record them (besides the base learning rate). */
export interface OptimizerSettings {
  name: OptimizerName;
  weightDecay: number; // adam: L2 added to the gradient; adamw: decoupled; sgd: L2 added to the gradient
  momentum: number; // sgd only
  nesterov: boolean; // sgd only
}

export interface Optimizer {
  readonly name: OptimizerName;
  /** Updates taken so far (Adam's t after the update: its bias correction counts from 1). */
  step: number;
  /** The rate the next update uses; a schedule sets it before each update. */
  learningRate: number;
  /** One update θ ← f(θ, ∇θ, state) from the gradients now in the network's grad arena; increments `step`. */
  update(): void;
  /** The optimiser's state arrays, by name (`adam.m`, `sgd.momentum`, …), each laid out like the parameters. */
  readonly stateArrays: ReadonlyArray<{ name: string; data: Floats }>;
  /** Gives back its state arrays to the backend. */
  dispose(): void;
}
