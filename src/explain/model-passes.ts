/**
 * The two kinds of pass every explanation method and faithfulness measure is made of, for a batch of B
 * images already in the network's backend:
 *
 *   logits          forward only                                          [B, classes]
 *   inputGradients  forward, dLogits = one-hot rows of the targets,       [B, classes] and ∂y_{c_b}/∂x_b [B, C, H, W]
 *                   backward to the input (ordinary or guided rule)
 *
 * `networkPasses` runs them on the calling thread; a thread pool (src/parallel/thread-pool.ts) runs the same
 * passes with the batch split over its threads. Each image's row depends only on that image (the kernels
 * compute a row the same way whatever batch it sits in), so both give the same numbers bit for bit, whatever
 * the thread count. The arrays returned live until the next pass.
 */
import type { Floats } from '../backend/backend.js';
import type { Network } from '../model/network.js';
import { oneHotTargets, type Targets } from './explanation.js';

export type GradientRule = 'ordinary' | 'guided';

/** ∂y_{c_n}/∂x_n of every image of a batch, with its logits and the classes chosen. */
export interface InputGradients {
  logits: Floats; // [B, classes]
  targets: Int32Array; // [B]
  gradients: Floats; // [B, C, H, W]
}

export interface ModelPasses {
  /** The logits [size, classes] of `input` [size, C, H, W]. */
  logits(input: Floats, size: number): Floats;
  /** Forward, one-hot dLogits of `targets` (undefined: each image's predicted class), backward to the input. */
  inputGradients(input: Floats, size: number, targets: Targets, rule?: GradientRule): InputGradients;
}

/** The passes on the calling thread, with the network's own buffers. */
export function networkPasses(network: Network): ModelPasses {
  return {
    logits: (input, size) => network.forward(input, size),
    inputGradients: (input, size, targets, rule = 'ordinary') => {
      const dLogits = network.workspace.floats('passes.dLogits', network.outputShape[0]).forBatch(size);
      return inputGradientsOn(network, input, size, targets, dLogits, rule);
    },
  };
}

/** One thread's input-gradient pass, dLogits [size, classes] being scratch in the network's backend. */
export function inputGradientsOn(network: Network, input: Floats, size: number, targets: Targets, dLogits: Floats, rule: GradientRule = 'ordinary'): InputGradients {
  const logits = network.forward(input, size);
  const chosen = oneHotTargets(logits, size, network.outputShape[0], targets, dLogits);
  return { logits, targets: chosen, gradients: network.backwardToInput(dLogits, rule) };
}
