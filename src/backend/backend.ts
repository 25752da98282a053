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

/**
 * A 2-D convolution over a batch, PyTorch's `nn.Conv2d(C, F, K, stride=S, padding=P)`:
 * input [N,C,H,W] → output [N,F,OH,OW], OH = ⌊(H + 2P − K)/S⌋ + 1 (likewise OW), zeros outside the image.
 * `stride` and `padding` default to 1 and 0 (a valid, stride-1 convolution).
 */
export interface Conv2dShape {
  batch: number; // N
  inChannels: number; // C
  height: number; // H
  width: number; // W
  outChannels: number; // F
  kernelSize: number; // K (square kernels)
  stride?: number; // S ≥ 1, default 1
  padding?: number; // P ≥ 0, default 0
}

/** A fully connected layer over a batch: input [N,I], weight [O,I], bias [O] → output [N,O]. */
export interface DenseShape {
  batch: number; // N
  inFeatures: number; // I
  outFeatures: number; // O
}

/**
 * A K×K pool with stride S, no padding, floor mode (PyTorch's defaults for MaxPool2d and AvgPool2d):
 * input [N,C,H,W] → output [N,C,OH,OW], OH = ⌊(H − K)/S⌋ + 1. `kernelSize` defaults to 2 and `stride`
 * to the kernel size (the paper's 2×2, stride-2 pool). Windows overlap when S < K.
 */
export interface Pool2dShape {
  batch: number; // N
  channels: number; // C
  height: number; // H
  width: number; // W
  kernelSize?: number; // K, default 2
  stride?: number; // S, default K
}

/**
 * Batch normalisation over the channels of [N, C, positions] (positions = H·W after a convolution, 1 after
 * `flatten`), PyTorch's BatchNorm2d / BatchNorm1d: y = γ·(x − μ)/√(σ² + ε) + β per channel.
 */
export interface BatchNormShape {
  batch: number; // N
  channels: number; // C
  positions: number; // H·W, or 1
}

/** What a batch-norm forward pass uses and updates; see Backend.batchNormForward. */
export interface BatchNormState {
  gamma: Floats; // weight [C]
  beta: Floats; // bias [C]
  runningMean: Floats; // [C]
  runningVar: Floats; // [C]
  /** Training: normalise with the batch's statistics and update the running ones; else use the running ones. */
  training: boolean;
  momentum: number; // 0.1 in PyTorch: running ← (1 − momentum)·running + momentum·batch
  epsilon: number; // 1e-5 in PyTorch
  /** Written: the mean and 1/√(σ² + ε) each channel was normalised with (backward reads them). */
  savedMean: Floats; // [C]
  savedInvStd: Floats; // [C]
}

/**
 * The arrays of a convolution's or dense layer's backward pass: the forward's input and weight, the
 * incoming gradient, and where the gradients go — dWeight and dBias ACCUMULATE, dInput (when not null) is
 * OVERWRITTEN.
 */
export interface LayerGradients {
  input: Floats;
  weight: Floats;
  dOutput: Floats;
  dWeight: Floats | null; // accumulated; null: not wanted (an explanation's pass), and then no work is spent on it
  dBias: Floats | null; // accumulated; null as dWeight
  dInput: Floats | null; // overwritten; null: not wanted
}

/** The arrays of a batch-norm backward pass (after a forward that wrote savedMean and savedInvStd). */
export interface BatchNormGradients {
  input: Floats;
  dOutput: Floats;
  gamma: Floats;
  savedMean: Floats;
  savedInvStd: Floats;
  training: boolean; // the mode of the forward pass
  dGamma: Floats; // accumulated
  dBeta: Floats; // accumulated
  dInput: Floats | null; // overwritten
}

/**
 * ROAD's imputation system on an image's grid (src/faithfulness/road-imputation.ts): unknown k sits in cell
 * cells[k] of a grid `stride` cells a row with a border of one cell all round, and its row of A is diagonal[k] on
 * itself, −1/6 on its 4 direct and −1/12 on its 4 diagonal neighbours' cells — the cells of known pixels and of the
 * border hold 0 in the solver's vectors, so their terms add nothing.
 */
export interface ImputationStencil {
  stride: number;
  cells: Int32Array; // [n], increasing
  diagonal: Float64Array; // [n]
}

/** Which dropout mask a pass draws (src/model/dropout.ts): the counters of its hash, the batch's shape, p. */
export interface DropoutDraw {
  seed: number;
  step: number;
  layer: number; // the dropout layer's ordinal
  firstSample: number; // the index of the pass's first sample in the whole batch
  batch: number; // N
  perSample: number; // elements per sample
  probability: number; // p ∈ [0, 1)
}

/** Adam's hyper-parameters and the 1-based step count t used for bias correction. */
export interface AdamStep {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  step: number; // t ≥ 1
}

/**
 * conv2dBackward's parameter gradients of a batch given a chunk of images at a time, in the batch's order
 * (Backend.convGradientChunks): what one conv2dBackward carries from one image to the next — the bias
 * gradient's partial sums, and a weight gradient it sums apart before adding it — lives here between chunks.
 */
export interface ConvGradientChunks {
  /** The batch's next `images` images: their input [n, C, H, W] and dOutput [n, F, OH, OW]; dWeight is the layer's. */
  add(input: Floats, dOutput: Floats, images: number, dWeight: Floats): void;
  /** Ends the batch: dWeight and dBias have then gained what conv2dBackward of the whole batch adds. The next add starts a batch. */
  finish(dWeight: Floats, dBias: Floats): void;
  /** Gives back its memory; it may not be used afterwards. */
  dispose(): void;
}

/**
 * What a convolution's forward pass in training keeps for the backward pass after it, so that the backward need
 * not compute it again (Backend.convSaved; the wasm backend keeps Winograd's transformed input tiles there).
 * Nothing in it changes a number: the backward uses it only after the forward pass that filled it, on the same
 * input array, batch and shape, and otherwise computes as without it.
 */
export interface ConvSaved {
  /** Gives back its memory; it may not be used afterwards. */
  dispose(): void;
}

export interface Backend {
  readonly name: BackendName;

  /** A zero-filled array owned by this backend, valid until it is given to `free` (or the backend disposed). */
  allocFloats(length: number): Floats;
  allocInts(length: number): Int32Array;
  /**
   * Gives back an array allocFloats or allocInts returned (the whole array, not a subarray), for a later
   * allocation to reuse; neither the caller nor anyone else may touch it afterwards. The wasm backend
   * puts it on its arena's free list; the reference backend leaves it to the garbage collector. Does
   * nothing once the backend is disposed.
   */
  free(array: Floats | Int32Array): void;
  /**
   * Raises the backend's batch capacity to at least `samples` and returns it: the number of samples a
   * per-batch buffer (model/layer.ts BatchBuffer) is allocated for when it must grow — the largest batch
   * any buffer on this backend has needed, so far, so every buffer of a kind is one size. It belongs to the
   * backend's memory: the wasm backend's threads share it.
   */
  growBatchCapacity(samples: number): number;
  /**
   * Lets go of the backend's memory (the wasm backend: its scratch returned, the kernels and the
   * WebAssembly memory let go of); every later call throws an XcnnError. Disposing twice does nothing.
   */
  dispose(): void;

  /**
   * output = conv(input, weight) + bias, per output channel. With `saved` (a training pass, from convSaved), it
   * may keep there what conv2dBackward on the same input would compute again.
   */
  conv2dForward(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats, saved?: ConvSaved | null): void;
  /**
   * OPTIONAL, a fusion: output = max(conv(input, weight) + bias, 0) — exactly conv2dForward followed by
   * reluForward in place, in fewer passes over memory. A backend without it is called as those two.
   */
  conv2dReluForward?(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats, saved?: ConvSaved | null): void;
  /**
   * OPTIONAL, a fusion for evaluation passes: pooled = maxPool2dForward(conv2dReluForward(input)) without the map
   * or the pool's argmax ever stored — the same pooled numbers bit for bit. Returns false, having written nothing,
   * when this backend has no such pass for these shapes (the caller then runs the two); true when it wrote `pooled`.
   */
  conv2dReluMaxPoolForward?(conv: Conv2dShape, pool: Pool2dShape, input: Floats, weight: Floats, bias: Floats, pooled: Floats): boolean;
  /**
   * dWeight += ∂L/∂W, dBias += ∂L/∂b; dInput = ∂L/∂input (the "full" correlation with the flipped kernel). With
   * `saved`, it may use what the forward pass that filled it kept, when that pass had this input, batch and shape.
   */
  conv2dBackward(s: Conv2dShape, g: LayerGradients, saved?: ConvSaved | null): void;
  /**
   * OPTIONAL: a place for a convolution layer's training forward passes to keep what its backward passes would
   * compute again (ConvSaved). A backend without it keeps nothing.
   */
  convSaved?(): ConvSaved;
  /**
   * OPTIONAL, for a training pass that runs a first convolution block a few images at a time
   * (model/first-block.ts): conv2dBackward's dWeight and dBias, without dInput, of a batch given a chunk of
   * images at a time — bit for bit one conv2dBackward of the whole batch — or null for a convolution whose
   * gradient this backend cannot split so. The batch size of `s` is not read.
   */
  convGradientChunks?(s: Conv2dShape): ConvGradientChunks | null;

  /**
   * OPTIONAL: out[k] = bytes[k] / 255 in float32 — a batch's pixels scaled to [0, 1], exactly what JavaScript's
   * `bytes[k] / 255` stored into a Float32Array gives — both arrays in this backend's memory (bytes as a view of an
   * allocInts array). A backend without it has its batches filled by data/dataset.ts fillBatch's loop.
   */
  unitFloatsFromBytes?(bytes: Uint8Array, out: Floats): void;

  /** output = input · weightᵀ + bias. */
  denseForward(s: DenseShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void;
  /** dWeight += dOutputᵀ · input, dBias += Σ_n dOutput, dInput = dOutput · weight. */
  denseBackward(s: DenseShape, g: LayerGradients): void;

  /** output = max(input, 0); output may be input (in place). */
  reluForward(input: Floats, output: Floats): void;
  /** dInput = dOutput where output > 0, else 0; dInput may be dOutput (in place). */
  reluBackward(output: Floats, dOutput: Floats, dInput: Floats): void;

  /** output = the max of each window; argmax = the flat index into `input` of that max (first max on ties). */
  maxPool2dForward(s: Pool2dShape, input: Floats, output: Floats, argmax: Int32Array): void;
  /** dInput = 0 everywhere, then dInput[argmax[j]] += dOutput[j] (overlapping windows add up). */
  maxPool2dBackward(s: Pool2dShape, dOutput: Floats, argmax: Int32Array, dInput: Floats): void;

  /** output = the mean of each K×K window (every window lies inside the input: no padding). */
  avgPool2dForward(s: Pool2dShape, input: Floats, output: Floats): void;
  /** dInput = Σ over the windows covering each element of dOutput / K². */
  avgPool2dBackward(s: Pool2dShape, dOutput: Floats, dInput: Floats): void;

  /**
   * Batch normalisation forward, input and output [N, C, positions] (output may be input). In training
   * the batch's mean μ and biased variance σ² normalise, and the running statistics move toward μ and the
   * UNBIASED variance σ²·M/(M − 1), M = N·positions (PyTorch's convention); in evaluation the running
   * statistics normalise and nothing is updated. Writes savedMean and savedInvStd either way.
   */
  batchNormForward(s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState): void;
  /**
   * OPTIONAL, a fusion: output = max(batch norm of input, 0) — exactly batchNormForward followed by
   * reluForward in place, in one pass over memory fewer. A backend without it is called as those two.
   */
  batchNormReluForward?(s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState): void;
  /**
   * Batch normalisation backward from the output [N, C, positions] of the last forward: dGamma +=, dBeta +=,
   * dInput = (when not null). In training mode the batch statistics' dependence on the input is included:
   *   dx = γ·invStd/M · (M·dy − Σdy − x̂·Σ(dy·x̂)),  x̂ = (x − μ)·invStd;
   * in evaluation mode the layer is affine: dx = γ·invStd·dy.
   */
  batchNormBackward(s: BatchNormShape, g: BatchNormGradients): void;

  /** output = input ⊙ mask, elementwise (dropout: the mask holds 0 or 1/(1 − p)); output may be input. */
  multiplyElementwise(input: Floats, mask: Floats, output: Floats): void;
  /**
   * OPTIONAL, the dropout layer's draw as a kernel: mask [batch, perSample] ← 1/(1 − p) where
   * uniformAt(seed, step, layer, firstSample + n, k) < 1 − p, else 0 — bit for bit the loop of
   * src/model/dropout.ts, which a backend without it runs instead.
   */
  dropoutMask?(draw: DropoutDraw, mask: Floats): void;

  /**
   * OPTIONAL: ROAD's imputation solve, A x = b for the stencil by conjugate gradients from x = 0 until
   * ‖r‖₂ ≤ tolerance·‖b‖₂ or maxIterations — conjugateGradients of src/faithfulness/road-imputation.ts as a kernel,
   * the same x bit for bit (float64 throughout). A backend without it has that TypeScript solver run.
   */
  solveImputation?(stencil: ImputationStencil, b: Float64Array, tolerance: number, maxIterations: number): Float64Array;

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
   * with m̂ = m / (1−β1ᵗ) and v̂ = v / (1−β2ᵗ). A float32 backend may store a moment below the smallest normal
   * float32 as 0 and leave out a subnormal g² (the wasm backend does: assembly/adam.ts), which moves no parameter.
   */
  adamUpdate(params: Floats, grads: Floats, m: Floats, v: Floats, hp: AdamStep): void;
}

/** The output size of a convolution along one axis: ⌊(size + 2·padding − K)/stride⌋ + 1 (PyTorch's formula). */
export function convOutputSize(size: number, kernelSize: number, stride = 1, padding = 0): number {
  return Math.floor((size + 2 * padding - kernelSize) / stride) + 1;
}

/** The output size of a pool along one axis (no padding, floor mode): ⌊(size − K)/stride⌋ + 1. */
export function poolOutputSize(size: number, kernelSize: number, stride: number): number {
  return Math.floor((size - kernelSize) / stride) + 1;
}

/** A convolution shape's stride and padding with their defaults filled in. */
export function convGeometry(s: Conv2dShape): { stride: number; padding: number; outHeight: number; outWidth: number } {
  const stride = s.stride ?? 1;
  const padding = s.padding ?? 0;
  return { stride, padding, outHeight: convOutputSize(s.height, s.kernelSize, stride, padding), outWidth: convOutputSize(s.width, s.kernelSize, stride, padding) };
}

/** A pool shape's kernel and stride with their defaults filled in. */
export function poolGeometry(s: Pool2dShape): { kernelSize: number; stride: number; outHeight: number; outWidth: number } {
  const kernelSize = s.kernelSize ?? 2;
  const stride = s.stride ?? kernelSize;
  return { kernelSize, stride, outHeight: poolOutputSize(s.height, kernelSize, stride), outWidth: poolOutputSize(s.width, kernelSize, stride) };
}
