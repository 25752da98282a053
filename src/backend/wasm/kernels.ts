/**
 * The compiled kernel module (assembly/*.ts → build/kernels.wasm): its exports, typed, and how to
 * instantiate it from bytes. Nothing here touches the file system or any Node-only API, so the same
 * code loads the module in a browser (given the bytes, e.g. from fetch).
 *
 * Every kernel takes byte addresses into the module's one linear memory and sizes in elements; the
 * layouts are documented at the top of each assembly file. Flags are 0 or 1.
 */
import { XcnnError } from '../../errors.js';

export interface KernelExports {
  /** First byte above the module's static data: where the arena may start. */
  heapBase(): number;

  /** C (M×N) = / += op(A)·op(B); see assembly/gemm.ts for the transpose convention. */
  gemm(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    A: number,
    lda: number,
    B: number,
    ldb: number,
    C: number,
    ldc: number,
    accumulate: number,
  ): void;
  /** Floats of a K×N B packed whole (packBWhole): K · ⌈N/8⌉·8. */
  packedBFloats(K: number, N: number): number;
  /** packed ← B [K, N] (ldb floats a row) packed as gemm packs it, every panel, once for many products. */
  packBWhole(B: number, ldb: number, K: number, N: number, packed: number): void;
  /** gemm(transA, 0, …) with B as packBWhole packed it: the same C bit for bit, without packing B. */
  gemmPackedB(transA: number, M: number, N: number, K: number, A: number, lda: number, packed: number, C: number, ldc: number, accumulate: number): void;
  /**
   * gemm with B the im2col matrix of the image at `image` ([C,H,W]; transB = 1 for its transpose), never
   * materialised; with stride S > 1, `image` is the padded image's phase block (splitPhases) and height, width its sides.
   * N (transB = 0) or K (transB = 1) may span a group of images' positions, their blocks `imageFloats` apart.
   */
  gemmIm2col(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    A: number,
    lda: number,
    image: number,
    imageFloats: number,
    height: number,
    width: number,
    kernelSize: number,
    stride: number,
    C: number,
    ldc: number,
    accumulate: number,
  ): void;
  /**
   * gemm with A the transposed im2col matrix of a group of images at `image` ([G·OH·OW, C·K·K]; M = G·OH·OW,
   * K = C·K·K), their images (or phase blocks) `imageFloats` apart, never materialised.
   */
  gemmIm2colRows(
    transB: number,
    M: number,
    N: number,
    K: number,
    image: number,
    imageFloats: number,
    height: number,
    width: number,
    kernelSize: number,
    stride: number,
    B: number,
    ldb: number,
    C: number,
    ldc: number,
    accumulate: number,
  ): void;
  /** gemm with A the im2col matrix of the image at `image` ([C,H,W]; M = C·K·K, K = OH·OW), never materialised. */
  gemmIm2colA(
    transB: number,
    M: number,
    N: number,
    K: number,
    image: number,
    height: number,
    width: number,
    kernelSize: number,
    stride: number,
    B: number,
    ldb: number,
    C: number,
    ldc: number,
    accumulate: number,
  ): void;
  gemmWorkspace(aPanel: number, bPanel: number, edgeTile: number): void;
  /** out [count] floats = bytes [count] / 255, in float32 (assembly/elementwise.ts). */
  unitFloatsFromBytes(bytes: number, count: number, out: number): void;
  gemmAPanelFloats(): number;
  gemmBPanelFloats(): number;
  gemmEdgeTileFloats(): number;

  /** image [C, H, W] (stride 1) or its phase block (stride S > 1) ← col2im of columns [C·K·K, OH·OW] (assembly/im2col.ts). */
  col2im(columns: number, channels: number, height: number, width: number, kernelSize: number, stride: number, image: number): void;
  /** block [C, S, S, ⌈(H+2P)/S⌉, ⌈(W+2P)/S⌉] ← the phases of image [C, H, W] zero-padded by P (assembly/im2col-strided.ts). */
  splitPhases(image: number, channels: number, height: number, width: number, padding: number, stride: number, block: number): void;
  /** image [C, H, W] ← the pixels of a phase block (splitPhases' inverse, the padding dropped). */
  mergePhases(block: number, channels: number, height: number, width: number, padding: number, stride: number, image: number): void;
  /** padded [C, H+2P, W+2P] ← image [C, H, W] with a zero border (assembly/im2col-strided.ts). */
  padImage(image: number, channels: number, height: number, width: number, padding: number, padded: number): void;
  /** image [C, H, W] ← the interior of padded [C, H+2P, W+2P]. */
  cropImage(padded: number, channels: number, height: number, width: number, padding: number, image: number): void;
  /** columns [C·K·K, OH·OW] (rows columnsStride floats apart) ← the im2col matrix with stride and padding, materialised. */
  im2colStrided(image: number, channels: number, height: number, width: number, kernelSize: number, stride: number, padding: number, columns: number, columnsStride: number): void;
  /** image [C, H, W] ← col2im of columns (rows columnsStride floats apart) with stride and padding (zeroed, then scatter-added). */
  col2imStrided(columns: number, columnsStride: number, channels: number, height: number, width: number, kernelSize: number, stride: number, padding: number, image: number): void;
  /** mask [batch, perSample] ← scale or 0: dropout's counter-based draw, element by element the layer's (assembly/dropout.ts). */
  dropoutMask(seed: number, step: number, layer: number, firstSample: number, batch: number, perSample: number, threshold: number, scale: number, mask: number): void;
  /**
   * x [n] ← ROAD's imputation solve of the stencil (cells [n] i32, diagonal [n] f64, `stride` cells a row) for b [n]
   * f64, with r and ap [n] f64 and the grid p [gridCells] f64 as scratch; returns the iterations run
   * (assembly/road-imputation.ts).
   */
  stencilConjugateGradients(n: number, stride: number, cells: number, diagonal: number, b: number, x: number, r: number, ap: number, p: number, gridCells: number, tolerance: number, maxIterations: number): number;
  /** output [G, F, P] ← product [F, G·P] + bias, then the ReLU when relu = 1 (assembly/conv-groups.ts). */
  scatterGroup(product: number, images: number, channels: number, positions: number, bias: number, relu: number, output: number): void;
  /** output [G, F, P] ← productᵀ [G·P, F] + bias, then the ReLU when relu = 1 (assembly/conv-groups.ts). */
  scatterTransposed(product: number, images: number, channels: number, positions: number, bias: number, relu: number, output: number): void;
  /** group [F, G·P] ← dOutput [G, F, P]. */
  gatherGroup(dOutput: number, images: number, channels: number, positions: number, group: number): void;
  /**
   * dWeight [F, C, K, K] += the weight gradient of one stride-1 convolution's image [C, H, W] (padded already, OW ≥ 4)
   * against dOutput [F, OH, OW], straight from both (assembly/direct-weight-gradient.ts); offsets: scratch for C·K·K i32s.
   */
  directWeightGradient(image: number, channels: number, height: number, width: number, kernelSize: number, dOutput: number, outChannels: number, dWeight: number, offsets: number): void;
  /**
   * output [F, OH, OW] ← the stride-1 convolution of one image [C, H, W] (padded already, OW ≥ 8) with weight
   * [F, C, K, K], + bias, ReLU when relu = 1, straight from the image (assembly/direct-convolution.ts); bit for bit
   * the GEMM path's. scratch: directConvolutionScratchFloats(C·K·K, F) floats.
   */
  directConvolution(image: number, channels: number, height: number, width: number, kernelSize: number, weight: number, outChannels: number, bias: number, relu: number, output: number, scratch: number): void;
  /** Floats of scratch directConvolution wants for taps C·K·K and F filters. */
  directConvolutionScratchFloats(taps: number, outChannels: number): number;
  /**
   * pooled [F, ⌊OH/2⌋, ⌊OW/2⌋] ← the 2×2, stride-2 max pool of directConvolution's output with relu = 1, for one
   * (padded) image, the map never stored; bit for bit the two kernels in turn. OW ≥ 4. scratch:
   * directConvolutionScratchFloats(C·K·K, F) floats.
   */
  directConvolutionReluMaxPool(image: number, channels: number, height: number, width: number, kernelSize: number, weight: number, outChannels: number, bias: number, pooled: number, scratch: number): void;
  /** Winograd F(2×2, 3×3) (assembly/winograd.ts): u [16, C, F] ← the kernels weight [F, C, 3, 3] transformed. */
  winogradKernels(weight: number, outChannels: number, inChannels: number, u: number): void;
  /** Floats of u [positions, C, F] packed for the forward pass's products (positions 16 for F(2×2), 36 for F(4×4)). */
  winogradPackedKernelFloats(positions: number, channels: number, outChannels: number): number;
  /** packed ← u [positions, C, F] (winogradKernels' or winograd4Kernels') packed for the forward pass, U_ξ by U_ξ (packBWhole). */
  winogradPackKernels(u: number, positions: number, channels: number, outChannels: number, packed: number): void;
  /**
   * output [N, F, OH, OW] ← the 3×3, stride-1 convolution of input [N, C, H, W] (padding P) with u packed by
   * winogradPackKernels, + bias (0: none), ReLU when relu = 1; the transformed input tiles V written at keptTiles
   * (0: in the scratch) for the backward pass.
   */
  winogradConvolve(input: number, images: number, channels: number, height: number, width: number, padding: number, packedU: number, outChannels: number, bias: number, relu: number, output: number, scratch: number, keptTiles: number): void;
  /**
   * Its backward pass (no bias or ReLU): du [16, C, F] += the transformed kernels' gradient (0: not wanted),
   * dInput [N, C, H, W] ← the input gradient (0: not wanted), from dOutput [N, F, OH, OW]; u as for winogradConvolve;
   * du from the V a forward pass on the same input kept at keptTiles, or (0) from the input transformed again.
   */
  winogradBackward(input: number, images: number, channels: number, height: number, width: number, padding: number, u: number, outChannels: number, dOutput: number, du: number, dInput: number, scratch: number, keptTiles: number): void;
  /** dWeight [F, C, 3, 3] += the kernel gradient that du [16, C, F] transforms back to. */
  winogradKernelGradient(du: number, outChannels: number, inChannels: number, dWeight: number): void;
  /** Floats of scratch winogradConvolve and winogradBackward want for those sizes. */
  winogradScratchFloats(images: number, channels: number, height: number, width: number, padding: number, outChannels: number): number;
  /** Floats of a winogradConvolve call's transformed input tiles V, which `keptTiles` (when not 0) holds from the forward pass for the backward. */
  winogradKeptTileFloats(images: number, channels: number, height: number, width: number, padding: number): number;
  /** Winograd F(4×4, 3×3) (assembly/winograd-4x4.ts): u [36, C, F] ← the kernels weight [F, C, 3, 3] transformed. */
  winograd4Kernels(weight: number, outChannels: number, inChannels: number, u: number): void;
  /** As winogradConvolve, with u from winograd4Kernels (packed by winogradPackKernels with 36 positions). */
  winograd4Convolve(input: number, images: number, channels: number, height: number, width: number, padding: number, packedU: number, outChannels: number, bias: number, relu: number, output: number, scratch: number, keptTiles: number): void;
  /** Its backward pass, as winogradBackward, with du [36, C, F] and u from winograd4Kernels. */
  winograd4Backward(input: number, images: number, channels: number, height: number, width: number, padding: number, u: number, outChannels: number, dOutput: number, du: number, dInput: number, scratch: number, keptTiles: number): void;
  /** dWeight [F, C, 3, 3] += the kernel gradient that du [36, C, F] transforms back to. */
  winograd4KernelGradient(du: number, outChannels: number, inChannels: number, dWeight: number): void;
  /** Floats of scratch winograd4Convolve and winograd4Backward want for those sizes. */
  winograd4ScratchFloats(images: number, channels: number, height: number, width: number, padding: number, outChannels: number): number;
  /** As winogradKeptTileFloats, for winograd4Convolve. */
  winograd4KeptTileFloats(images: number, channels: number, height: number, width: number, padding: number): number;

  /** The paper's 2×2, stride-2 max pool. */
  maxPool2dForward(input: number, planes: number, height: number, width: number, output: number, argmax: number): void;
  /** Max pool with any kernel size and stride. */
  maxPool2dWindows(input: number, planes: number, height: number, width: number, kernelSize: number, stride: number, output: number, argmax: number): void;
  /** Returns −1, or the position of the first argmax entry outside [0, inLength). */
  maxPool2dBackward(dOutput: number, argmax: number, outLength: number, dInput: number, inLength: number): number;
  /** The same for the 2×2, stride-2 pool, four windows a step (any argmax outside its window: the general scatter). */
  maxPool2dBackward2x2(dOutput: number, argmax: number, planes: number, height: number, width: number, dInput: number, inLength: number): number;

  avgPool2dForward(input: number, planes: number, height: number, width: number, kernelSize: number, stride: number, output: number): void;
  avgPool2dBackward(dOutput: number, planes: number, height: number, width: number, kernelSize: number, stride: number, dInput: number): void;

  batchNormForward(
    input: number,
    batch: number,
    channels: number,
    positions: number,
    gamma: number,
    beta: number,
    runningMean: number,
    runningVar: number,
    training: number,
    momentum: number,
    epsilon: number,
    savedMean: number,
    savedInvStd: number,
    output: number,
    relu: number, // 1: max(·, 0) in the same pass
  ): void;
  /** dInput = 0 skips the input gradient. */
  batchNormBackward(
    input: number,
    dOutput: number,
    batch: number,
    channels: number,
    positions: number,
    gamma: number,
    savedMean: number,
    savedInvStd: number,
    training: number,
    dGamma: number,
    dBeta: number,
    dInput: number,
  ): void;

  reluForward(input: number, output: number, length: number): void;
  reluBackward(output: number, dOutput: number, dInput: number, length: number): void;
  addBias(output: number, batch: number, channels: number, positions: number, bias: number): void;
  addBiasRelu(output: number, batch: number, channels: number, positions: number, bias: number): void;
  accumulateBiasGradient(dOutput: number, batch: number, channels: number, positions: number, dBias: number): void;
  /** accumulateBiasGradient a chunk of images at a time: the float64 sums carried in `carry` (40 bytes a channel), zeroed first when `first`. */
  biasGradientChunk(dOutput: number, batch: number, channels: number, positions: number, carry: number, first: number): void;
  /** dBias += the sums biasGradientChunk carried. */
  finishBiasGradient(carry: number, channels: number, dBias: number): void;
  addInto(dst: number, src: number, length: number): void;
  multiplyElementwise(input: number, mask: number, output: number, length: number): void;

  softmaxCrossEntropy(
    logits: number,
    labels: number,
    batch: number,
    classes: number,
    probs: number,
    dLogits: number,
    writeGradient: number,
  ): number;

  adamUpdate(
    params: number,
    grads: number,
    m: number,
    v: number,
    length: number,
    learningRate: number,
    beta1: number,
    beta2: number,
    oneMinusBeta1: number,
    oneMinusBeta2: number,
    epsilon: number,
    mCorrection: number,
    vCorrection: number,
  ): void;

  /** A register-only f32x4 multiply-add loop; returns a value only so it cannot be optimised away. */
  simdCeiling(iterations: number, seed: number): number;
  simdCeilingFlopsPerIteration(): number;
}

/** The slice of the WebAssembly JS API used here (the project's `lib` has no DOM typings). */
export interface WasmMemory {
  readonly buffer: ArrayBufferLike;
  grow(deltaPages: number): number;
}
/** A compiled module: compiled once, instantiated by every thread (it can be posted to a worker). */
export interface WasmModule {
  readonly __wasmModule?: never;
}
interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum: number; shared: boolean }) => WasmMemory;
  compile(bytes: ArrayBuffer | ArrayBufferView): Promise<WasmModule>;
  instantiate(module: WasmModule, imports: object): Promise<{ exports: object }>;
  validate(bytes: ArrayBuffer | ArrayBufferView): boolean;
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** True when this engine can compile `bytes` (used to pick the relaxed-SIMD build where it is supported). */
export function validates(bytes: ArrayBuffer | ArrayBufferView): boolean {
  try {
    return wasmApi?.validate(bytes) ?? false;
  } catch {
    return false;
  }
}

export const WASM_PAGE_BYTES = 65536;
/** The module declares this maximum (asconfig.json `maximumMemory`): 65536 pages, the whole 4 GiB of wasm32. */
export const MODULE_MAXIMUM_PAGES = 65536;

/**
 * A shared memory: growing it does not detach the views already handed out (see arena.ts). Shared
 * WebAssembly memory needs SharedArrayBuffer: always there in Node ≥ 20; in a browser only on a
 * cross-origin-isolated page (COOP/COEP headers).
 */
export function createSharedMemory(initialPages: number, maximumPages: number): WasmMemory {
  if (wasmApi === undefined) throw new XcnnError('this JavaScript engine has no WebAssembly: use the ts backend', { code: 'ERR_SETUP' });
  try {
    return new wasmApi.Memory({ initial: initialPages, maximum: maximumPages, shared: true });
  } catch (cause) {
    throw new XcnnError(
      'the wasm backend needs shared WebAssembly memory (SharedArrayBuffer); in a browser, serve the page ' +
        'cross-origin isolated (COOP/COEP headers), or use the ts backend',
      { code: 'ERR_SETUP', cause },
    );
  }
}

export async function compileKernels(bytes: ArrayBuffer | ArrayBufferView): Promise<WasmModule> {
  if (wasmApi === undefined) throw new XcnnError('this JavaScript engine has no WebAssembly: use the ts backend', { code: 'ERR_SETUP' });
  try {
    return await wasmApi.compile(bytes);
  } catch (cause) {
    throw new XcnnError(
      `could not compile the WebAssembly kernels (${String(cause)}): rebuild them with \`npm run build:wasm\`; ` +
        'they need a JavaScript engine with WebAssembly SIMD and threads (Node ≥ 20)',
      { code: 'ERR_SETUP', cause },
    );
  }
}

/** Instantiates the compiled kernels over `memory` (each thread makes its own instance). */
export async function instantiateKernels(module: WasmModule, memory: WasmMemory): Promise<KernelExports> {
  if (wasmApi === undefined) throw new XcnnError('this JavaScript engine has no WebAssembly: use the ts backend', { code: 'ERR_SETUP' });
  const imports = {
    env: {
      memory,
      // Only the debug build has assertions; a failed one is a bug in a kernel, not in the caller's input.
      abort(): never {
        throw new Error('xcnn wasm kernel assertion failed (debug build)');
      },
    },
  };
  const instance = await wasmApi.instantiate(module, imports);
  return instance.exports as unknown as KernelExports;
}
