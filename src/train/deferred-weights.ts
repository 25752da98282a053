/**
 * Dense layers' weight gradients made after the backward pass instead of inside it: each by GEMMs that overwrite it
 * (WasmBackend.denseWeightGradientElements), from what the layer kept of the pass (Dense.weightGradientOperands).
 * A step then zeroes only the rest of the gradients, and writes each such weight gradient once: fc1's is 4 MB of the
 * paper net's 4 MB. The thread pool makes them from every thread's pass in its update phase (src/parallel/shard.ts);
 * the one-thread step right after its backward pass (step.ts). The numbers are those of the backward pass's own
 * accumulation into a zeroed gradient, bit for bit.
 */
import { Dense } from '../model/dense.js';
import type { Network } from '../model/network.js';

/** A dense layer whose weight gradient is made after the backward pass. */
export interface DeferredWeight {
  layer: Dense;
  first: number; // where the weight starts in the parameter (and gradient) arenas
  length: number; // O·I
}

/** The network's dense layers, or the `most` largest when there are more, in the arenas' order. */
export function deferredWeights(network: Network, most = Infinity): DeferredWeight[] {
  const origin = network.grads.byteOffset;
  const dense = network.layers.filter((layer): layer is Dense => layer instanceof Dense);
  const kept = new Set([...dense].sort((a, b) => b.weight.grad.length - a.weight.grad.length).slice(0, most));
  return dense.filter((layer) => kept.has(layer)).map((layer) => ({ layer, first: (layer.weight.grad.byteOffset - origin) / 4, length: layer.weight.grad.length }));
}

/** [lo, hi) without the ranges [first, first + length) of `holes` (in increasing order, not overlapping), as ranges. */
export function rangesWithout(lo: number, hi: number, holes: readonly { first: number; length: number }[]): [number, number][] {
  const ranges: [number, number][] = [];
  let at = lo; // [lo, at) is done
  for (const { first, length } of holes) {
    if (at >= hi) break;
    if (first > at) ranges.push([at, Math.min(first, hi)]);
    at = Math.max(at, first + length);
  }
  if (at < hi) ranges.push([at, hi]);
  return ranges;
}
