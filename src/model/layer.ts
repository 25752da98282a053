/**
 * The face every layer shows (after ConvNetJS): `forward`, `backward`, `parameters`. A reader who
 * understands one layer understands them all. Layers compute nothing themselves: they call the backend's
 * kernels, and keep on themselves what their backward pass needs (their input, their output, the
 * argmax of a pool), saying so.
 *
 * Tensors are flat arrays with their shape written in comments: a batch of N samples of a per-sample
 * shape [C,H,W] is an array of N·C·H·W numbers, NCHW.
 */
import type { Backend, Floats } from '../backend/backend.js';

/** A learnable tensor: its value and its gradient, both views into the network's parameter arenas. */
export interface Parameter {
  name: string; // PyTorch's state_dict name, e.g. 'conv1.weight'
  shape: number[];
  fanIn: number; // inputs feeding one output unit: PyTorch's default init draws U(−1/√fanIn, 1/√fanIn)
  value: Floats;
  grad: Floats;
}

/** What a layer declares about a parameter before the network gives it storage. */
export interface ParameterSpec {
  name: string;
  shape: number[];
  fanIn: number;
}

export interface Layer {
  readonly name: string;
  readonly inputShape: number[]; // per sample
  readonly outputShape: number[]; // per sample
  parameterSpecs(): ParameterSpec[];
  /** Receives the storage for its parameters, in the order of `parameterSpecs()`. */
  bindParameters(parameters: Parameter[]): void;
  /** input [N, ...inputShape] → output [N, ...outputShape]. The returned array is the layer's own buffer. */
  forward(input: Floats, batch: number): Floats;
  /**
   * dOutput [N, ...outputShape] → dInput [N, ...inputShape] (null when `needInputGrad` is false), for the
   * batch of the last forward; parameter gradients accumulate.
   */
  backward(dOutput: Floats, needInputGrad: boolean): Floats | null;
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A per-batch buffer of `perSample` numbers a sample, allocated from the backend at the largest batch
 * seen so far and handed out as an exact-length view for each batch. Steady-state steps allocate nothing.
 */
export class BatchBuffer<T extends Floats | Int32Array> {
  private storage: T | null = null;
  private capacity = 0;
  private view: T | null = null;
  private viewBatch = -1;

  constructor(
    private readonly allocate: (length: number) => T,
    private readonly perSample: number,
  ) {}

  static floats(backend: Backend, perSample: number): BatchBuffer<Floats> {
    return new BatchBuffer<Floats>((length) => backend.allocFloats(length), perSample);
  }

  static ints(backend: Backend, perSample: number): BatchBuffer<Int32Array> {
    return new BatchBuffer<Int32Array>((length) => backend.allocInts(length), perSample);
  }

  forBatch(batch: number): T {
    if (batch === this.viewBatch && this.view !== null) return this.view;
    if (this.storage === null || batch > this.capacity) {
      this.storage = this.allocate(batch * this.perSample);
      this.capacity = batch;
    }
    this.view = this.storage.subarray(0, batch * this.perSample) as T;
    this.viewBatch = batch;
    return this.view;
  }
}
