/**
 * Dropout: PyTorch's `nn.Dropout(p)`, inverted — in training each element is kept with probability 1 − p
 * and scaled by 1/(1 − p), so evaluation is the identity; any shape.
 *
 * The mask is not drawn from a stateful generator but is a pure function of (seed, step, sample,
 * element): a counter-based hash (below) of those four numbers decides each element. So the mask of a
 * sample does not depend on how a batch is split over threads, a resumed run redraws exactly the masks
 * it would have drawn, and nothing needs saving in a checkpoint beyond the step count it already has.
 * The wasm backend draws the same mask in a SIMD kernel (Backend.dropoutMask); drawMask is the loop.
 */
import type { Backend, DropoutDraw, Floats } from '../backend/backend.js';
import { BatchBuffer, EVALUATION, ParameterFreeLayer, product, type PassMode } from './layer.js';

export class Dropout extends ParameterFreeLayer {
  readonly outputShape: number[];
  private readonly perSample: number;
  private readonly mask: BatchBuffer<Floats>; // kept for backward: 0 or 1/(1 − p)
  private readonly output: BatchBuffer<Floats>;
  private active = false;
  private batch = 0;

  constructor(
    private readonly backend: Backend,
    readonly name: string,
    readonly inputShape: number[],
    readonly probability: number, // p ∈ [0, 1)
    private readonly ordinal: number, // which dropout layer of the network (each draws its own masks)
  ) {
    super();
    this.outputShape = inputShape;
    this.perSample = product(inputShape);
    this.mask = BatchBuffer.floats(backend, this.perSample);
    this.output = BatchBuffer.floats(backend, this.perSample);
  }

  forward(input: Floats, batch: number, mode: PassMode = EVALUATION): Floats {
    this.active = mode.training && this.probability > 0;
    this.batch = batch;
    if (!this.active) return input;
    const mask = this.mask.forBatch(batch);
    const draw = { seed: mode.seed, step: mode.step, layer: this.ordinal, firstSample: mode.firstSample, batch, perSample: this.perSample, probability: this.probability };
    if (this.backend.dropoutMask) this.backend.dropoutMask(draw, mask);
    else drawMask(draw, mask);
    const output = this.output.forBatch(batch);
    this.backend.multiplyElementwise(input, mask, output);
    return output;
  }

  backward(dOutput: Floats, needInputGrad: boolean): Floats | null {
    if (!needInputGrad) return null;
    if (!this.active) return dOutput;
    const mask = this.mask.forBatch(this.batch);
    this.backend.multiplyElementwise(dOutput, mask, dOutput);
    return dOutput;
  }

  /** Gives back its batch buffers (Network.dispose). */
  dispose(): void {
    this.mask.release();
    this.output.release();
  }
}

/** mask [batch, perSample] ← 1/(1 − p) where the element's uniformAt draw is below 1 − p, else 0 (Backend.dropoutMask's definition). */
export function drawMask(draw: DropoutDraw, mask: Floats): void {
  const { seed, step, layer, firstSample, batch, perSample, probability } = draw;
  const keep = 1 - probability;
  const scale = 1 / keep;
  for (let n = 0; n < batch; n++) {
    for (let k = 0; k < perSample; k++) mask[n * perSample + k] = uniformAt(seed, step, layer, firstSample + n, k) < keep ? scale : 0;
  }
}

/**
 * A uniform number in [0, 1) from five 32-bit counters: each is mixed in with a round of the
 * murmur3 / splitmix32 finaliser, a bijection on 32 bits with full avalanche, so neighbouring counters
 * give unrelated numbers.
 */
export function uniformAt(seed: number, step: number, layer: number, sample: number, element: number): number {
  let h = mix(seed ^ 0x9e3779b9);
  h = mix(h ^ step);
  h = mix(h ^ layer);
  h = mix(h ^ sample);
  h = mix(h ^ element);
  return (h >>> 8) / 16777216; // 24 bits: exactly representable in float32 too
}

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}
