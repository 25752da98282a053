/**
 * The backend interface: the small set of kernels a layer calls. Everything above this seam (layers,
 * network, trainer, evaluation, explanations) is backend-agnostic; a backend implements only these.
 *
 * Two backends exist: `ts`, the readable TypeScript reference (direct nested loops, the oracle every
 * other backend is checked against), and `wasm`, AssemblyScript-compiled WebAssembly SIMD kernels
 * (im2col + GEMM) that drive training, evaluation and Grad-CAM.
 *
 * Conventions shared by every kernel:
 * - Layouts follow PyTorch: activations NCHW, conv weights [F, C, K, K], dense weights [O, I]
 *   (so a dense layer computes y = x·Wᵀ + b).
 * - Every array passed to a kernel comes from the same backend's `allocFloats` / `allocInts` (or is
 *   a `subarray` of one), and its length equals exactly the product of the shape it stands for.
 *   A kernel given a wrong length throws an XcnnError; it never reads or writes out of bounds.
 * - Parameter gradients (`dWeight`, `dBias`) are ACCUMULATED (`+=`), so a caller clears them once per
 *   step (llm.c's zeroGrad); input gradients (`dInput`) are OVERWRITTEN. `dInput` may be null when
 *   the caller does not need it (the first layer's input gradient is never computed).
 */

/** The arrays a backend computes on. The reference backend also runs in Float64 for sharp gradient checks. */
export type Floats = Float32Array | Float64Array;

export type BackendName = 'ts' | 'wasm';

/** A valid (unpadded), stride-1 2-D convolution over a batch: input [N,C,H,W] → output [N,F,H-K+1,W-K+1]. */
export interface Conv2dShape {
  batch: number; // N
  inChannels: number; // C
  height: number; // H
  width: number; // W
  outChannels: number; // F
  kernelSize: number; // K (square kernels)
}

/** A fully connected layer over a batch: input [N,I], weight [O,I], bias [O] → output [N,O]. */
export interface DenseShape {
  batch: number; // N
  inFeatures: number; // I
  outFeatures: number; // O
}

/** A 2×2, stride-2 max pool (floor mode, as PyTorch's default): input [N,C,H,W] → output [N,C,⌊H/2⌋,⌊W/2⌋]. */
export interface Pool2dShape {
  batch: number; // N
  channels: number; // C
  height: number; // H
  width: number; // W
}

/** Adam's hyper-parameters and the 1-based step count t used for bias correction. */
export interface AdamStep {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  step: number; // t ≥ 1
}

export interface Backend {
  readonly name: BackendName;

  /** A zero-filled array owned by this backend, valid for the backend's whole lifetime. */
  allocFloats(length: number): Floats;
  allocInts(length: number): Int32Array;

  /** output = conv(input, weight) + bias, per output channel. */
  conv2dForward(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void;
  /**
   * OPTIONAL, a fusion: output = max(conv(input, weight) + bias, 0) — exactly conv2dForward followed by
   * reluForward in place, in fewer passes over memory. A backend without it is called as those two.
   */
  conv2dReluForward?(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void;
  /** dWeight += ∂L/∂W, dBias += ∂L/∂b; dInput = ∂L/∂input (the "full" correlation with the flipped kernel). */
  conv2dBackward(
    s: Conv2dShape,
    input: Floats,
    weight: Floats,
    dOutput: Floats,
    dWeight: Floats,
    dBias: Floats,
    dInput: Floats | null,
  ): void;

  /** output = input · weightᵀ + bias. */
  denseForward(s: DenseShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void;
  /** dWeight += dOutputᵀ · input, dBias += Σ_n dOutput, dInput = dOutput · weight. */
  denseBackward(
    s: DenseShape,
    input: Floats,
    weight: Floats,
    dOutput: Floats,
    dWeight: Floats,
    dBias: Floats,
    dInput: Floats | null,
  ): void;

  /** output = max(input, 0); output may be input (in place). */
  reluForward(input: Floats, output: Floats): void;
  /** dInput = dOutput where output > 0, else 0; dInput may be dOutput (in place). */
  reluBackward(output: Floats, dOutput: Floats, dInput: Floats): void;

  /** output = the max of each 2×2 window; argmax = the flat index into `input` of that max (first max on ties). */
  maxPool2dForward(s: Pool2dShape, input: Floats, output: Floats, argmax: Int32Array): void;
  /** dInput = 0 everywhere except dInput[argmax[j]] = dOutput[j]. */
  maxPool2dBackward(s: Pool2dShape, dOutput: Floats, argmax: Int32Array, dInput: Floats): void;

  /**
   * probs = softmax(logits) per row; returns the mean over the batch of −log probs[label].
   * dLogits, when given, is ∂(mean loss)/∂logits = (probs − onehot(label)) / N.
   * logits, probs, dLogits are [N, classes]; labels is [N] with values in [0, classes).
   */
  softmaxCrossEntropy(
    batch: number,
    classes: number,
    logits: Floats,
    labels: Int32Array,
    probs: Floats,
    dLogits: Floats | null,
  ): number;

  /**
   * One Adam step over a flat parameter arena (Kingma & Ba 2015, Algorithm 1):
   *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  θ ← θ − lr · m̂ / (√v̂ + ε),
   * with m̂ = m / (1−β1ᵗ) and v̂ = v / (1−β2ᵗ).
   */
  adamUpdate(params: Floats, grads: Floats, m: Floats, v: Floats, hp: AdamStep): void;
}

/** The output size of a valid, stride-1 convolution along one axis. */
export function convOutputSize(size: number, kernelSize: number): number {
  return size - kernelSize + 1;
}
