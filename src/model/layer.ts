/**
 * The face every layer shows (after ConvNetJS): `forward`, `backward`, `parameters`. A reader who
 * understands one layer understands them all. Layers compute nothing themselves: they call the backend's
 * kernels, and keep on themselves what their backward pass needs (their input, their output, the
 * argmax of a pool), saying so.
 *
 * Tensors are flat arrays with their shape written in comments: a batch of N samples of a per-sample
 * shape [C,H,W] is an array of N·C·H·W numbers, NCHW.
 */
import { checkNumber } from '../argument-checks.js';
import type { Backend, Floats } from '../backend/backend.js';

/** A learnable tensor: its value and its gradient, both views into the network's parameter arenas. */
export interface Parameter {
  name: string; // PyTorch's state_dict name, e.g. 'conv1.weight'
  shape: number[];
  fanIn: number; // inputs feeding one output unit: PyTorch's default init draws U(−1/√fanIn, 1/√fanIn)
  constant?: number; // initialised to this value instead (batch norm: weight 1, bias 0)
  value: Floats;
  grad: Floats;
}

/** What a layer declares about a parameter before the network gives it storage. */
export interface ParameterSpec {
  name: string;
  shape: number[];
  fanIn: number;
  constant?: number;
}

/**
 * A tensor a layer keeps that is saved with the model but not learned (PyTorch's buffers: batch norm's
 * running statistics). Lives in the network's buffer arena, shared by every thread.
 */
export interface BufferSpec {
  name: string; // e.g. 'bn1.running_mean'
  shape: number[];
  initial: number; // the value a new network starts with
  dtype: 'F32' | 'I64'; // how it is saved (PyTorch stores num_batches_tracked as int64)
}

export interface NetworkBuffer extends BufferSpec {
  value: Floats;
}

/**
 * How a forward pass runs. Evaluation (the default) uses batch norm's running statistics and no dropout;
 * training normalises with the batch's statistics and drops units. Dropout's mask is a pure function of
 * (seed, step, sample, element) — see dropout.ts — so a run is reproducible and resumable bit for bit
 * whatever the thread count. `firstSample` is this pass's first sample's index within the whole batch
 * (a thread's share starts there); `updateStatistics` is false on the pool's workers, whose running
 * statistics would race thread 0's (PyTorch's DataParallel likewise keeps replica 0's buffers).
 */
export interface PassMode {
  training: boolean;
  seed: number;
  step: number;
  firstSample: number;
  updateStatistics: boolean;
}

export const EVALUATION: PassMode = { training: false, seed: 0, step: 0, firstSample: 0, updateStatistics: false };

/** A training pass on a whole batch (one thread). */
export function trainingPass(seed: number, step: number): PassMode {
  checkNumber('trainingPass', 'seed', seed);
  checkNumber('trainingPass', 'step', step);
  return { training: true, seed, step, firstSample: 0, updateStatistics: true };
}

export interface Layer {
  readonly name: string;
  readonly inputShape: number[]; // per sample
  readonly outputShape: number[]; // per sample
  parameterSpecs(): ParameterSpec[];
  /** Receives the storage for its parameters, in the order of `parameterSpecs()`. */
  bindParameters(parameters: Parameter[]): void;
  /** Buffers (saved, not learned), when the layer has any. */
  bufferSpecs?(): BufferSpec[];
  bindBuffers?(buffers: NetworkBuffer[]): void;
  /**
   * input [N, ...inputShape] → output [N, ...outputShape] (`mode` defaults to evaluation). The returned
   * array is the layer's own buffer, or its input when the layer leaves the data as it is.
   */
  forward(input: Floats, batch: number, mode?: PassMode): Floats;
  /**
   * dOutput [N, ...outputShape] → dInput [N, ...inputShape] (null when `needInputGrad` is false), for the
   * batch and mode of the last forward; parameter gradients accumulate, unless `needParameterGrads` is
   * false (an explanation's pass, which wants only dInput): then they are left as they are and their work
   * is skipped.
   */
  backward(dOutput: Floats, needInputGrad: boolean, needParameterGrads?: boolean): Floats | null;
  /** Gives back the memory the layer allocated itself (its batch buffers, its scratch); Network.dispose calls it. */
  dispose?(): void;
}

/** The common face of the layers without parameters (ReLU, pools, flatten, dropout). */
export abstract class ParameterFreeLayer implements Layer {
  abstract readonly name: string;
  abstract readonly inputShape: number[];
  abstract readonly outputShape: number[];

  parameterSpecs(): ParameterSpec[] {
    return [];
  }

  bindParameters(_: Parameter[]): void {}

  abstract forward(input: Floats, batch: number, mode?: PassMode): Floats;
  abstract backward(dOutput: Floats, needInputGrad: boolean, needParameterGrads?: boolean): Floats | null;
}

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * A per-batch buffer of `perSample` numbers a sample, handed out as an exact-length view for each batch.
 * It is allocated from the backend once, for a capacity of several samples, and reused by every smaller
 * batch; a larger batch frees it and allocates a larger one, so a view from before must not be used after
 * a larger batch's `forBatch` (layers and callers read a pass's buffers before the next pass).
 *
 * The capacity is the backend's (Backend.growBatchCapacity): the largest batch any buffer on the backend
 * has been asked for, rounded up to a power of two. So batches of 1 … 300 in any order cost at most 9
 * growths, not 300; a network loaded, or a worker thread started, after the largest batch allocates each
 * buffer once, at that size; and every buffer of a given per-sample size is one size, which the wasm
 * arena's free lists reuse exactly (arena.ts) — the high-water mark stops rising once the largest batch
 * has been seen. Steady-state steps allocate nothing.
 */
export class BatchBuffer<T extends Floats | Int32Array> {
  private storage: T | null = null;
  private capacity = 0;
  private view: T | null = null;
  private viewBatch = -1;

  private constructor(
    private readonly backend: Backend,
    private readonly kind: 'floats' | 'ints',
    private readonly perSample: number,
  ) {}

  static floats(backend: Backend, perSample: number): BatchBuffer<Floats> {
    return new BatchBuffer<Floats>(backend, 'floats', perSample);
  }

  static ints(backend: Backend, perSample: number): BatchBuffer<Int32Array> {
    return new BatchBuffer<Int32Array>(backend, 'ints', perSample);
  }

  forBatch(batch: number): T {
    if (batch === this.viewBatch && this.view !== null) return this.view;
    if (this.storage === null || batch > this.capacity) this.grow(batch);
    this.view = this.storage!.subarray(0, batch * this.perSample) as T;
    this.viewBatch = batch;
    return this.view;
  }

  /** Gives the storage back to the backend; a later forBatch allocates again. */
  release(): void {
    const storage = this.storage;
    this.storage = null;
    this.capacity = 0;
    this.view = null;
    this.viewBatch = -1;
    if (storage !== null) this.backend.free(storage);
  }

  private grow(batch: number): void {
    const capacity = this.backend.growBatchCapacity(2 ** Math.ceil(Math.log2(Math.max(1, batch))));
    this.release();
    const length = capacity * this.perSample;
    this.storage = (this.kind === 'floats' ? this.backend.allocFloats(length) : this.backend.allocInts(length)) as T;
    this.capacity = capacity;
  }
}
