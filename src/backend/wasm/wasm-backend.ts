/**
 * The WebAssembly SIMD backend: the Backend interface over the kernels of assembly/ (build/kernels.wasm).
 *
 *   convolution  = one GEMM per image whose B is the image's im2col matrix, packed straight from the
 *                  image (gemmIm2col), + bias; backward: dW += dOut·colsᵀ (gemmIm2col again), dBias by
 *                  reduction, dInput = col2im(Wᵀ·dOut), skipped when dInput is null. A first layer's few
 *                  taps and filters (usesDirectWeightGradient: C·K·K ≤ 32, F ≤ 16, stride 1) take dW
 *                  straight from the image and dOut instead (direct-weight-gradient.ts), nothing packed, and a
 *                  first layer's forward pass (usesDirectConvolution: C·K·K ≤ 32, stride 1, OW ≥ 8) its output
 *                  straight from the image, the bias and ReLU in registers (direct-convolution.ts). A layer of 8 or
 *                  16 filters on a small map (usesPositionRows) runs its forward pass transposed, outᵀ = colsᵀ·Wᵀ
 *                  over a group of images, the positions as the GEMM's rows (gemmIm2colRows). With padding P
 *                  the same on the image copied into a zero-bordered block, its gradient cropped back;
 *                  with stride S > 1, on the padded image split into its S² phases (a stride-1 read
 *                  for every tap), its gradient merged back. Strided convolutions with small output
 *                  maps instead run one GEMM per group of images over their columns side by side, packed
 *                  straight from the group's phase blocks (im2col.ts, conv-groups.ts), N = G·OH·OW ≈ 512
 *                  (imagesPerGemm).
 *                  3×3, stride-1 convolutions with 8 or more channels on each side (the paper's conv2)
 *                  instead run by Winograd F(2×2, 3×3) (winograd.ts; usesWinograd, and for the backward
 *                  usesWinogradBackward, C·F ≥ 256 too): 16 GEMMs over a chunk of images' 4×4 tiles, 2.25×
 *                  fewer multiplies; on maps where it saves multiplies again, by F(4×4, 3×3), forward and
 *                  backward (winograd-4x4.ts; usesWinograd4): 36 GEMMs over 6×6 tiles, 4× fewer
 *   dense        = GEMMs: out = in·Wᵀ + b;  dW += dOutᵀ·in;  dBias += Σ_n dOut;  dIn = dOut·W
 *   relu, max and average pools, batch norm, dropout's mask and its product, softmax cross-entropy, Adam:
 *                  one kernel each (the paper's 2×2/2 max pool and 2×2/2 average pool have SIMD paths
 *                  of their own)
 *
 * Every method first runs the shared shape checks (shape-checks.ts), then checks that each array is a
 * Float32Array (Int32Array for indices) lying inside THIS backend's memory, and only then passes byte
 * addresses to the module — a wrong shape or a foreign array is an XcnnError, never a stray write.
 *
 * Memory (arena.ts): allocFloats/allocInts return views into one shared WebAssembly memory; they stay
 * valid, even as the memory grows, until `free` gives them back for reuse. The scratch the kernels need
 * (GEMM packing panels, the columns (gradient) of one image or group, a group's product, a padded image)
 * is the backend's own: the panels at creation, the others when a larger convolution first arrives (the
 * smaller block freed), so a training step whose shapes have been seen allocates nothing. `dispose`
 * returns that scratch and lets go of the memory; `memoryStats` says what the arena holds.
 *
 * This file uses no Node-only API: a browser can create the backend from fetched bytes with
 * createWasmBackendFromBytes. In Node, src/backend/wasm/node.ts reads the bytes from disk.
 */
import { checkBufferSource, checkFields, checkInstance, checkOptions, checkSharedKernels } from '../../argument-checks.js';
import { XcnnError } from '../../errors.js';
import type { AdamStep, Backend, BatchNormGradients, ConvGradientChunks, ConvSaved, BatchNormShape, BatchNormState, Conv2dShape, DenseShape, DropoutDraw, Floats, ImputationStencil, LayerGradients, Pool2dShape } from '../backend.js';
import { convGeometry, convOutputSize, poolGeometry } from '../backend.js';
import { checkBatchNormBackward, checkBatchNormForward, checkConv2d, checkDense, checkDims, checkPool2d, checkSameLength, checkSoftmaxCrossEntropy } from '../shape-checks.js';
import { WasmArena, type MemoryStats } from './arena.js';
import {
  compileKernels,
  createSharedMemory,
  instantiateKernels,
  MODULE_MAXIMUM_PAGES,
  WASM_PAGE_BYTES,
  type KernelExports,
  type WasmMemory,
  type WasmModule,
} from './kernels.js';

export interface WasmBackendOptions {
  /**
   * The most memory the backend may ever use (default and upper limit 4 GiB). It is reserved as address
   * space when the backend is created and committed only as the arena grows.
   */
  maximumBytes?: number;
}

/** One thread's pass through a dense layer, as its deferred weight gradient needs it: input [batch, I], dOutput [batch, O]. */
export interface DensePass {
  input: Floats;
  dOutput: Floats;
  batch: number;
}

/** Which compilation of assembly/ runs: plain 128-bit SIMD, or with relaxed-SIMD fused multiply-add. */
export type KernelBuild = 'simd' | 'relaxed-simd';

/** What a worker thread needs to run the same kernels over the same memory as the backend that made it. */
export interface SharedKernels {
  module: WasmModule;
  memory: WasmMemory;
  maximumPages: number;
  build: KernelBuild;
}

const INITIAL_PAGES = 64; // 4 MiB: the module's static data, the GEMM panels, and room to start

/** Creates the backend from the bytes of build/kernels.wasm (browser-safe; Node callers use node.ts). */
export async function createWasmBackendFromBytes(
  bytes: ArrayBuffer | ArrayBufferView,
  options: WasmBackendOptions & { build?: KernelBuild } = {},
): Promise<WasmBackend> {
  checkBufferSource('createWasmBackendFromBytes', 'bytes', bytes);
  checkOptions('createWasmBackendFromBytes', options);
  const maximumPages = Math.min(
    MODULE_MAXIMUM_PAGES,
    Math.max(INITIAL_PAGES, Math.floor((options.maximumBytes ?? MODULE_MAXIMUM_PAGES * WASM_PAGE_BYTES) / WASM_PAGE_BYTES)),
  );
  const module = await compileKernels(bytes);
  const memory = createSharedMemory(INITIAL_PAGES, maximumPages);
  const shared: SharedKernels = { module, memory, maximumPages, build: options.build ?? 'simd' };
  const kernels = await instantiateKernels(module, memory);
  return new WasmBackend(kernels, WasmArena.create(memory, kernels.heapBase(), maximumPages), shared);
}

/** A backend in another thread over the same memory and arena as the one `shared` came from. */
export async function attachWasmBackend(shared: SharedKernels): Promise<WasmBackend> {
  checkSharedKernels('attachWasmBackend', 'shared', shared);
  const kernels = await instantiateKernels(shared.module, shared.memory);
  return new WasmBackend(kernels, WasmArena.attach(shared.memory, kernels.heapBase(), shared.maximumPages), shared);
}

export class WasmBackend implements Backend {
  readonly name = 'wasm' as const;
  /** The columns (or their gradient) of one image or group, [C·K·K, G·OH·OW]; replaced by a larger block when a larger shape arrives. */
  private columns = NO_SCRATCH;
  /** One image with its zero border, [C, H+2P, W+2P] (padded stride-1 convolutions), or its phase block (strided ones); grown likewise. */
  private padded = NO_SCRATCH;
  /** A group's product or gathered dOutput [F, G·OH·OW] (grouped convolutions); grown likewise. */
  private group = NO_SCRATCH;
  /** dWᵀ [C·K·K, F] of a convolution with C·K·K < F, summed over the batch before it is added to dW. */
  private transposedWeightGradient = NO_SCRATCH;
  /** Winograd convolutions (assembly/winograd.ts, winograd-4x4.ts): the transformed kernels [16 or 36, C, F], and the scratch of a chunk of images. */
  private winogradKernels = NO_SCRATCH;
  /** The same kernels packed for the forward pass's products (winogradPackKernels), made with them. */
  private winogradPackedKernels = NO_SCRATCH;
  /**
   * What winogradKernels holds: U transformed by `transform` from a [F, C, 3, 3] weight with these bits. A pass
   * whose weight has the same bits reuses U (winogradTransformedKernels): a training step's backward pass after
   * its forward pass, and every batch of an evaluation, transform the kernels once instead of at each call.
   */
  private transformedFrom: { transform: WinogradAlgorithm['transformKernels']; C: number; bits: Int32Array } | null = null;
  private winogradScratch = NO_SCRATCH;
  /** dU [16 or 36, C, F], a Winograd convolution's kernel gradient summed over the batch before it is folded into dW. */
  private winogradKernelGradients = NO_SCRATCH;
  /** The taps' offsets of the direct weight gradient (assembly/direct-weight-gradient.ts), one i32 a tap. */
  private tapOffsets = NO_SCRATCH;
  /** directConvolution's taps' offsets and packed weights. */
  private directScratch = NO_SCRATCH;
  /** ROAD's imputation solve: the stencil, b, x, r, Ap and the grid (solveImputation); grown likewise. */
  private imputationScratch = NO_SCRATCH;
  /** This thread's GEMM packing panels and edge tile (byte addresses). */
  private readonly gemmScratch: number[];
  private sharedKernels: SharedKernels | null;
  private disposed = false;

  /** Use createWasmBackendFromBytes (or createWasmBackend in node.ts), or attachWasmBackend in a worker. */
  constructor(
    private kernels: KernelExports,
    private arena: WasmArena,
    /** The module and memory, for worker threads that attach to this backend's arena. */
    shared: SharedKernels,
  ) {
    // Internal, but JavaScript can call it: refuse what only the factories make, naming them.
    const made = 'createWasmBackendFromBytes or createWasmBackend makes the backend: call it instead of the constructor';
    checkFields('WasmBackend', 'kernels', kernels, `the kernels' exports: ${made}`, { gemmAPanelFloats: 'function', gemmWorkspace: 'function', heapBase: 'function' });
    checkInstance('WasmBackend', 'arena', arena, WasmArena, `a WasmArena (${made})`);
    checkSharedKernels('WasmBackend', 'shared', shared);
    this.sharedKernels = shared;
    // This thread's own GEMM scratch: panels and edge tile (module globals are per instance).
    const [aPanel, bPanel, edgeTile] = [kernels.gemmAPanelFloats(), kernels.gemmBPanelFloats(), kernels.gemmEdgeTileFloats()].map((floats) => arena.allocate(floats * 4));
    this.gemmScratch = [aPanel, bPanel, edgeTile];
    kernels.gemmWorkspace(aPanel, bPanel, edgeTile);
  }

  get build(): KernelBuild {
    return this.shared.build;
  }

  /** The module and memory, for worker threads that attach to this backend's arena. */
  get shared(): SharedKernels {
    if (this.sharedKernels === null) throw disposedError();
    return this.sharedKernels;
  }

  /** dst += src, elementwise (not part of the Backend interface: the thread pool's gradient reduction). */
  addInto(dst: Float32Array, src: Float32Array): void {
    checkSameLength('addInto', { dst, src });
    this.kernels.addInto(this.address('addInto', 'dst', dst), this.address('addInto', 'src', src), dst.length);
  }

  /** True when `view` lies inside this backend's arena (any thread's allocations). */
  owns(view: ArrayBufferView): boolean {
    return this.arena.owns(view);
  }

  /** A view of floats another thread allocated from this arena (by address, as workers receive them). */
  viewFloats(address: number, length: number): Float32Array {
    return this.arena.viewFloats(address, length);
  }

  viewInts(address: number, length: number): Int32Array {
    return this.arena.viewInts(address, length);
  }

  /**
   * What the arena holds, every thread's blocks together: bytes in live blocks, the high-water mark (the
   * most it has ever spanned, free blocks waiting for reuse included; it only grows), the memory's size
   * now and its maximum. Once the arena has served the largest batch and every kind of call, the
   * high-water mark stays put (test/memory-plateau.test.ts).
   */
  memoryStats(): MemoryStats {
    return this.arena.stats();
  }

  allocFloats(length: number): Float32Array {
    return this.arena.allocFloats(length);
  }

  allocInts(length: number): Int32Array {
    return this.arena.allocInts(length);
  }

  /** See Backend.growBatchCapacity: kept in the arena's header, so every thread on the memory agrees. */
  growBatchCapacity(samples: number): number {
    return this.arena.growBatchCapacity(samples);
  }

  /** Gives an array back for reuse (see Backend.free); nothing to do once the backend is disposed. */
  free(array: Floats | Int32Array): void {
    if (this.disposed) return;
    if (!(array instanceof Float32Array || array instanceof Int32Array)) throw new XcnnError(`free: a ${describe(array)} is not an array of this wasm backend's`, { code: 'ERR_BAD_ARGUMENT' });
    this.arena.free(array);
  }

  /**
   * Gives back this thread's GEMM panels, convolution and imputation scratch, and lets go of the kernels and the
   * memory: every later call throws. The arrays it allocated stay where they are (their networks free
   * them); once nothing refers to the memory any more, the garbage collector takes it. A worker thread's
   * backend disposes as its thread exits, which returns its scratch to the shared arena.
   */
  dispose(): void {
    if (this.disposed) return;
    for (const address of this.gemmScratch) this.arena.freeBlock(address, 0);
    for (const scratch of [this.columns, this.padded, this.group, this.transposedWeightGradient, this.winogradKernels, this.winogradPackedKernels, this.winogradScratch, this.winogradKernelGradients, this.tapOffsets, this.directScratch, this.imputationScratch]) {
      if (scratch.address !== 0) this.arena.freeBlock(scratch.address, scratch.floats * 4);
    }
    this.disposed = true;
    this.kernels = disposedStandIn<KernelExports>();
    this.arena = disposedStandIn<WasmArena>();
    this.sharedKernels = null;
  }

  // input [N,C,H,W], weight [F,C,K,K], bias [F] → output [N,F,OH,OW]
  conv2dForward(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats, saved?: ConvSaved | null): void {
    this.convolve('conv2dForward', s, input, weight, bias, output, false, saved);
  }

  // input [N,C,H,W], weight [F,C,K,K], bias [F] → output [N,F,OH,OW] = max(conv + bias, 0)
  conv2dReluForward(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats, saved?: ConvSaved | null): void {
    this.convolve('conv2dReluForward', s, input, weight, bias, output, true, saved);
  }

  // input [N,C,H,W] → pooled [N,F,⌊OH/2⌋,⌊OW/2⌋], the 2×2/2 max pool of max(conv + bias, 0), the map never stored —
  // where the direct kernel makes the convolution (usesDirectConvolution)
  conv2dReluMaxPoolForward(conv: Conv2dShape, pool: Pool2dShape, input: Floats, weight: Floats, bias: Floats, pooled: Floats): boolean {
    const kernel = 'conv2dReluMaxPoolForward';
    checkConv2d(kernel, conv, { input, weight, bias });
    checkPool2d(kernel, pool, { output: pooled });
    const { outHeight, outWidth } = convGeometry(conv);
    if (pool.batch !== conv.batch || pool.channels !== conv.outChannels || pool.height !== outHeight || pool.width !== outWidth) {
      throw new XcnnError(`${kernel}: the pool's input (${pool.batch}×${pool.channels}×${pool.height}×${pool.width}) must be the convolution's output (${conv.batch}×${conv.outChannels}×${outHeight}×${outWidth})`, { code: 'ERR_BAD_ARGUMENT' });
    }
    const [x, w, b, y] = [this.address(kernel, 'input', input), this.address(kernel, 'weight', weight), this.address(kernel, 'bias', bias), this.address(kernel, 'pooled', pooled)];
    const { kernelSize, stride } = poolGeometry(pool);
    if (kernelSize !== 2 || stride !== 2 || !usesDirectConvolution(conv)) return false;
    const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = conv;
    this.directScratch = this.grown(this.directScratch, this.kernels.directConvolutionScratchFloats(C * K * K, F));
    const pooledBytes = F * (outHeight >> 1) * (outWidth >> 1) * 4;
    for (let n = 0; n < N; n++) {
      const image = this.paddedImage(x + n * C * H * W * 4, conv);
      this.kernels.directConvolutionReluMaxPool(image.address, C, image.height, image.width, K, w, F, b, y + n * pooledBytes, this.directScratch.address);
    }
    return true;
  }

  /**
   * A convolution layer's place for what its training forward passes keep (Backend.convSaved): the transformed
   * input tiles V of a Winograd convolution whose backward pass is Winograd too, which the backward's kernel
   * gradient would otherwise transform again — the same numbers either way.
   */
  convSaved(): ConvSaved {
    if (this.disposed) throw disposedError();
    return new KeptTiles(this, (block) => {
      if (!this.disposed && block.address !== 0) this.arena.freeBlock(block.address, block.floats * 4);
    });
  }

  /**
   * Strided convolutions with small maps (see imagesPerGemm): one GEMM per group of images over their
   * materialised columns side by side, its product scattered into the output with the bias (and ReLU) on
   * the way. Otherwise one GEMM per image, its B the image's im2col matrix packed straight from the image
   * (after padding it into a bordered block when P > 0, or splitting it into its phase block when S > 1);
   * then the bias over the whole batch, or — fused with the ReLU — bias
   * and ReLU in one pass over each image's output right after its GEMM, while it is still in cache.
   */
  private convolve(kernel: string, s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats, relu: boolean, saved?: ConvSaved | null): void {
    checkConv2d(kernel, s, { input, weight, bias, output });
    const kept = this.keptTiles(kernel, saved);
    if (kept !== null) kept.of = null; // it holds this pass's V only if the pass keeps it (tilesToKeep)
    const x = this.address(kernel, 'input', input);
    const w = this.address(kernel, 'weight', weight);
    const b = this.address(kernel, 'bias', bias);
    const y = this.address(kernel, 'output', output);
    const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
    const { stride: S, padding: P, outHeight, outWidth } = convGeometry(s);
    const positions = outHeight * outWidth;
    const patch = C * K * K;
    if (usesWinograd(s)) {
      // Winograd F(4×4, 3×3) or F(2×2, 3×3): the kernels transformed once, then a chunk of images at a time
      const winograd = this.winogradAlgorithm(s);
      const { packed: packedU } = this.winogradTransformedKernels(winograd, w, F, C);
      // V kept for the backward pass where it pays (keepsTransformedTiles: a Winograd backward, by the same algorithm)
      const tiles = kept !== null && keepsTransformedTiles(s) ? this.tilesToKeep(kept, s, x, winograd) : null;
      this.winogradChunks(s, winograd, (n0, g, scratch) =>
        winograd.convolve(x + n0 * C * H * W * 4, g, C, H, W, P, packedU, F, b, relu ? 1 : 0, y + n0 * F * positions * 4, scratch, tiles === null ? 0 : tiles(g)),
      );
      return;
    }
    const G = imagesPerGemm(S, positions);
    if (G > 0) {
      const product = this.groupScratch(F * G * positions);
      for (let n0 = 0; n0 < N; n0 += G) {
        const g = Math.min(G, N - n0);
        const columns = g * positions;
        // product [F, g·OH·OW] = W [F, CKK] · the g images' columns [CKK, g·OH·OW], packed straight from their
        // phase blocks; then out [g, F, OH·OW] = product + bias (ReLU)
        const blocks = this.paddedImages(x + n0 * C * H * W * 4, s, g);
        this.kernels.gemmIm2col(0, 0, F, columns, patch, w, patch, blocks.address, blocks.floats, blocks.height, blocks.width, K, S, product, columns, 0);
        this.kernels.scatterGroup(product, g, F, positions, b, relu ? 1 : 0, y + n0 * F * positions * 4);
      }
      return;
    }
    if (usesDirectConvolution(s)) {
      // few taps (a first layer): each image's output straight from the (padded) image, the bias (and ReLU) in registers
      this.directScratch = this.grown(this.directScratch, this.kernels.directConvolutionScratchFloats(patch, F));
      for (let n = 0; n < N; n++) {
        const image = this.paddedImage(x + n * C * H * W * 4, s);
        this.kernels.directConvolution(image.address, C, image.height, image.width, K, w, F, b, relu ? 1 : 0, y + n * F * positions * 4, this.directScratch.address);
      }
      return;
    }
    if (usesPositionRows(s)) {
      // few filters: outᵀ [g·OH·OW, F] = columnsᵀ · Wᵀ, the positions as the GEMM's rows, then moved into
      // [g, F, OH·OW] with the bias (ReLU)
      const G = Math.max(1, Math.floor(ROWS_GROUP_POSITIONS / positions));
      const product = this.groupScratch(G * positions * F);
      for (let n0 = 0; n0 < N; n0 += G) {
        const g = Math.min(G, N - n0);
        const images = this.paddedImages(x + n0 * C * H * W * 4, s, g);
        this.kernels.gemmIm2colRows(1, g * positions, F, patch, images.address, images.floats, images.height, images.width, K, S, w, patch, product, F, 0);
        this.kernels.scatterTransposed(product, g, F, positions, b, relu ? 1 : 0, y + n0 * F * positions * 4);
      }
      return;
    }
    for (let n = 0; n < N; n++) {
      const xN = x + n * C * H * W * 4;
      const yN = y + n * F * positions * 4;
      // out_n [F, OH·OW] = W [F, CKK] · cols_n [CKK, OH·OW]
      const image = this.paddedImage(xN, s);
      this.kernels.gemmIm2col(0, 0, F, positions, patch, w, patch, image.address, image.floats, image.height, image.width, K, S, yN, positions, 0);
      if (relu) this.kernels.addBiasRelu(yN, 1, F, positions, b);
    }
    if (!relu) this.kernels.addBias(y, N, F, positions, b);
  }

  // dOutput [N,F,OH,OW] → dWeight [F,C,K,K] +=, dBias [F] +=, dInput [N,C,H,W] = (when not null)
  conv2dBackward(s: Conv2dShape, g: LayerGradients, saved?: ConvSaved | null): void {
    const kernel = 'conv2dBackward';
    checkConv2d(kernel, s, { input: g.input, weight: g.weight, bias: g.dBias, output: g.dOutput });
    checkConv2d(kernel, s, { input: g.dInput, weight: g.dWeight });
    const kept = this.keptTiles(kernel, saved);
    const { x, w, dy, dw, db, dx } = this.backwardAddresses(kernel, g);
    const { batch: N, inChannels: C, outChannels: F, kernelSize: K } = s;
    const { stride: S, outHeight, outWidth } = convGeometry(s);
    const positions = outHeight * outWidth;
    const patch = C * K * K;
    if (db !== null) this.kernels.accumulateBiasGradient(dy, N, F, positions, db);
    if (usesWinogradBackward(s)) {
      this.winogradBackward(s, { x, w, dy, dw, dx }, kept !== null && keptFrom(kept, x, s) ? kept.block.address : 0);
      return;
    }
    if (dw !== null && usesDirectWeightGradient(s)) {
      // few taps (a first layer): dW straight from each image and its dOutput, then dInput, if wanted, as below
      this.directWeightGradients(s, x, dy, dw);
      if (dx !== null) this.convolveImagesBackward(s, { x, w, dy, dw: null, dx }, 0);
      return;
    }
    // A patch narrower than F (conv1: 9 against 32) makes a thin GEMM N; its transpose makes it a thin M,
    // which the GEMM tiles with less padding (see gemmIm2colA): dWᵀ [CKK, F] is summed in scratch, then added.
    const dwT = patch < F && dw !== null ? this.weightGradientScratch(patch * F) : null;
    const G = imagesPerGemm(S, positions);
    if (G > 0) this.convolveGroupsBackward(s, G, { x, w, dy, dw, dx }, dwT === null ? 0 : dwT.byteOffset);
    else this.convolveImagesBackward(s, { x, w, dy, dw, dx }, dwT === null ? 0 : dwT.byteOffset);
    if (dwT !== null) addTransposed(dwT, g.dWeight as Float32Array, F, patch);
  }

  /**
   * conv2dBackward's dWeight and dBias a chunk of images at a time (Backend.convGradientChunks), for the
   * convolutions whose backward runs image by image (neither Winograd nor grouped): the bias gradient's float64
   * sums are carried between chunks (assembly/elementwise.ts biasGradientChunk), the direct kernel and the
   * GEMM into dW add each image where they would, and the transposed sum of a patch narrower than the filters
   * (dWᵀ, see conv2dBackward) runs on in a scratch of the accumulator's own, added to dW at `finish` — so the
   * numbers are conv2dBackward's on the whole batch, bit for bit.
   */
  convGradientChunks(s: Conv2dShape): ConvGradientChunks | null {
    const kernel = 'convGradientChunks';
    checkConv2d(kernel, s, {});
    const { stride: S, outHeight, outWidth } = convGeometry(s);
    const positions = outHeight * outWidth;
    if (usesWinogradBackward(s) || imagesPerGemm(S, positions) > 0) return null;
    const F = s.outChannels;
    const patch = s.inChannels * s.kernelSize * s.kernelSize;
    const direct = usesDirectWeightGradient(s);
    const carry = this.allocFloats((F * BIAS_CARRY_BYTES) / 4);
    const dwT = !direct && patch < F ? this.allocFloats(patch * F) : null;
    let started = false; // whether this batch has had a chunk
    let disposed = false;
    const usable = () => {
      if (disposed) throw new XcnnError(`${kernel}: this accumulator was disposed`, { code: 'ERR_DISPOSED' });
    };
    return {
      add: (input, dOutput, images, dWeight) => {
        usable();
        const chunk = { ...s, batch: images };
        checkConv2d(kernel, chunk, { input, output: dOutput, weight: dWeight });
        const x = this.address(kernel, 'input', input);
        const dy = this.address(kernel, 'dOutput', dOutput);
        const dw = this.address(kernel, 'dWeight', dWeight);
        this.kernels.biasGradientChunk(dy, images, F, positions, carry.byteOffset, started ? 0 : 1);
        if (direct) this.directWeightGradients(chunk, x, dy, dw);
        else this.convolveImagesBackward(chunk, { x, w: 0, dy, dw, dx: null }, dwT === null ? 0 : dwT.byteOffset, started);
        started = true;
      },
      finish: (dWeight, dBias) => {
        usable();
        checkConv2d(kernel, { ...s, batch: 1 }, { weight: dWeight, bias: dBias });
        const db = this.address(kernel, 'dBias', dBias);
        this.address(kernel, 'dWeight', dWeight);
        if (!started) throw new XcnnError(`${kernel}: finish came before any add: a batch has at least one image`, { code: 'ERR_BAD_ARGUMENT' });
        this.kernels.finishBiasGradient(carry.byteOffset, F, db);
        if (dwT !== null) addTransposed(dwT, dWeight as Float32Array, F, patch);
        started = false;
      },
      dispose: () => {
        if (disposed) return;
        disposed = true;
        this.free(carry);
        if (dwT !== null) this.free(dwT);
      },
    };
  }

  /**
   * conv2dBackward per group of G images: dOut_g [F, g·OH·OW] gathered; dW [F, CKK] += dOut_g · cols_gᵀ, cols_g
   * [CKK, g·OH·OW] packed straight from the group's phase blocks as in convolve (or dWᵀ (+)= cols_g · dOut_gᵀ
   * into `dwT` when it is not 0, cols_g written out by im2colStrided), and dCols_g = Wᵀ · dOut_g scattered back
   * onto each image by col2imStrided.
   */
  private convolveGroupsBackward(s: Conv2dShape, G: number, a: ConvAddresses, dwT: number): void {
    const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
    const { stride: S, padding: P, outHeight, outWidth } = convGeometry(s);
    const positions = outHeight * outWidth;
    const patch = C * K * K;
    const cols = this.columnsFor(patch * G * positions);
    const dyG = this.groupScratch(F * G * positions);
    for (let n0 = 0; n0 < N; n0 += G) {
      const g = Math.min(G, N - n0);
      const columns = g * positions;
      this.kernels.gatherGroup(a.dy + n0 * F * positions * 4, g, F, positions, dyG);
      if (a.dw === null) {
        // the parameter gradients are not wanted: only dCols below
      } else if (dwT === 0) {
        // dW += dOut_g · cols_gᵀ, the columns packed straight from the g images' phase blocks
        const blocks = this.paddedImages(a.x + n0 * C * H * W * 4, s, g);
        this.kernels.gemmIm2col(0, 1, F, patch, columns, dyG, columns, blocks.address, blocks.floats, blocks.height, blocks.width, K, S, a.dw, patch, 1);
      } else {
        // dWᵀ (+)= cols_g · dOut_gᵀ, the columns written out (the packers that read an image as A take one image)
        for (let i = 0; i < g; i++) this.kernels.im2colStrided(a.x + (n0 + i) * C * H * W * 4, C, H, W, K, S, P, cols + i * positions * 4, columns);
        this.kernels.gemm(0, 1, patch, F, columns, cols, columns, dyG, columns, dwT, F, n0 > 0 ? 1 : 0);
      }
      if (a.dx === null) continue;
      this.kernels.gemm(1, 0, patch, columns, F, a.w, patch, dyG, columns, cols, columns, 0);
      for (let i = 0; i < g; i++) this.kernels.col2imStrided(cols + i * positions * 4, columns, C, H, W, K, S, P, a.dx + (n0 + i) * C * H * W * 4);
    }
  }

  /** dW [F, C·K·K] += the weight gradient of each image in turn, by assembly/direct-weight-gradient.ts. */
  private directWeightGradients(s: Conv2dShape, x: number, dy: number, dw: number): void {
    const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
    const { padding: P, outHeight, outWidth } = convGeometry(s);
    this.tapOffsets = this.grown(this.tapOffsets, C * K * K);
    for (let n = 0; n < N; n++) {
      const image = this.paddedImage(x + n * C * H * W * 4, s);
      this.kernels.directWeightGradient(image.address, C, H + 2 * P, W + 2 * P, K, dy + n * F * outHeight * outWidth * 4, F, dw, this.tapOffsets.address);
    }
  }

  /**
   * conv2dBackward one image at a time, its columns packed straight from the (padded) image; dwT as above, its
   * first image overwriting it unless the sum `continues` from an earlier call (convGradientChunks).
   */
  private convolveImagesBackward(s: Conv2dShape, a: ConvAddresses, dwT: number, continues = false): void {
    const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
    const { stride: S, padding: P, outHeight, outWidth } = convGeometry(s);
    const positions = outHeight * outWidth;
    const patch = C * K * K;
    const { x, w, dy, dw, dx } = a;
    const cols = dx === null ? 0 : this.columnsFor(patch * positions);
    for (let n = 0; n < N; n++) {
      const dyN = dy + n * F * positions * 4;
      const xN = x + n * C * H * W * 4;
      const dxN = dx === null ? 0 : dx + n * C * H * W * 4;
      const image = this.paddedImage(xN, s);
      if (dw === null) {
        // the parameter gradients are not wanted: only dCols below
      } else if (dwT === 0) {
        // dW [F, CKK] += dOut_n [F, OH·OW] · cols_nᵀ
        this.kernels.gemmIm2col(0, 1, F, patch, positions, dyN, positions, image.address, image.floats, image.height, image.width, K, S, dw, patch, 1);
      } else {
        // dWᵀ [CKK, F] (+)= cols_n [CKK, OH·OW] · dOut_nᵀ (the first image overwrites the scratch)
        this.kernels.gemmIm2colA(1, patch, F, positions, image.address, image.height, image.width, K, S, dyN, positions, dwT, F, n > 0 || continues ? 1 : 0);
      }
      if (dx === null) continue;
      // dCols [CKK, OH·OW] = Wᵀ · dOut_n, then scattered back onto the image's pixels — with padding or
      // stride, onto the bordered block or the phase block (the input's copy is no longer needed), from
      // which the image's pixels are the gradient.
      this.kernels.gemm(1, 0, patch, positions, F, w, patch, dyN, positions, cols, positions, 0);
      if (P === 0 && S === 1) {
        this.kernels.col2im(cols, C, H, W, K, 1, dxN);
      } else {
        this.kernels.col2im(cols, C, image.height, image.width, K, S, image.address);
        if (S === 1) this.kernels.cropImage(image.address, C, H, W, P, dxN);
        else this.kernels.mergePhases(image.address, C, H, W, P, S, dxN);
      }
    }
  }

  // input [N,I], weight [O,I], bias [O] → output [N,O]
  denseForward(s: DenseShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void {
    const kernel = 'denseForward';
    checkDense(kernel, s, { input, weight, bias, output });
    const x = this.address(kernel, 'input', input);
    const w = this.address(kernel, 'weight', weight);
    const b = this.address(kernel, 'bias', bias);
    const y = this.address(kernel, 'output', output);
    const { batch: N, inFeatures: I, outFeatures: O } = s;
    // out [N, O] = in [N, I] · Wᵀ, W stored [O, I]
    this.kernels.gemm(0, 1, N, O, I, x, I, w, I, y, O, 0);
    this.kernels.addBias(y, N, O, 1, b);
  }

  // dOutput [N,O] → dWeight [O,I] +=, dBias [O] +=, dInput [N,I] = (when not null)
  denseBackward(s: DenseShape, g: LayerGradients): void {
    const kernel = 'denseBackward';
    checkDense(kernel, s, { input: g.input, weight: g.weight, bias: g.dBias, output: g.dOutput });
    checkDense(kernel, s, { input: g.dInput, weight: g.dWeight });
    const { x, w, dy, dw, db, dx } = this.backwardAddresses(kernel, g);
    const { batch: N, inFeatures: I, outFeatures: O } = s;
    if (db !== null) this.kernels.accumulateBiasGradient(dy, N, O, 1, db);
    // dW [O, I] += dOutᵀ · in, dOut stored [N, O]
    if (dw !== null) this.kernels.gemm(1, 0, O, I, N, dy, O, x, I, dw, I, 1);
    // dIn [N, I] = dOut [N, O] · W [O, I]
    if (dx !== null) this.kernels.gemm(0, 0, N, I, O, dy, O, w, I, dx, I, 0);
  }

  /**
   * Elements [first, first + count) of a dense layer's weight gradient dW [O, I] (flat, row-major), from the
   * passes of several threads at once — not part of the Backend interface: the thread pool computes its dense
   * layers' weight gradients this way, each thread the elements of its slice of the parameters (shard.ts).
   *   dW[o, i] = Σ_p Σ_n dOutput_p[n, o] · input_p[n, i]
   * Pass p's product overwrites the elements when it is the first pass with images and is added to them
   * otherwise: the numbers are those, bit for bit (zeros' signs aside), of each pass accumulating into a zeroed
   * dW of its own and the dWs being added in pass order, however the elements are split between calls (each
   * element's sum runs over n in the same order whatever GEMM tile it falls in). The elements outside the
   * range are left alone. The range is at most three GEMMs a pass: the tail of its first row, its whole rows,
   * the head of its last row.
   */
  denseWeightGradientElements(s: { inFeatures: number; outFeatures: number }, passes: readonly DensePass[], dWeight: Floats, first: number, count: number): void {
    const kernel = 'denseWeightGradientElements';
    const { inFeatures: I, outFeatures: O } = s;
    checkDense(kernel, { batch: 1, inFeatures: I, outFeatures: O }, {});
    const dw = this.address(kernel, 'dWeight', dWeight);
    if (dWeight.length !== O * I) throw new XcnnError(`${kernel}: dWeight has length ${dWeight.length}, expected ${O}×${I} = ${O * I}`, { code: 'ERR_BAD_ARGUMENT' });
    if (!Number.isSafeInteger(first) || !Number.isSafeInteger(count) || first < 0 || count < 0 || first + count > O * I) {
      throw new XcnnError(`${kernel}: elements [${first}, ${first} + ${count}) are not inside the ${O}×${I} weight gradient`, { code: 'ERR_BAD_ARGUMENT' });
    }
    const operands = passes
      .filter((pass) => pass.batch > 0)
      .map((pass) => {
        checkDense(kernel, { batch: pass.batch, inFeatures: I, outFeatures: O }, { input: pass.input, output: pass.dOutput });
        return { x: this.address(kernel, 'input', pass.input), dy: this.address(kernel, 'dOutput', pass.dOutput), n: pass.batch };
      });
    if (operands.length === 0) {
      dWeight.subarray(first, first + count).fill(0);
      return;
    }
    for (const [row, column, rows, columns] of rowPieces(first, count, I)) {
      operands.forEach(({ x, dy, n }, p) => {
        // dW[row:+rows, column:+columns] (+)= dOutᵀ[row:+rows, :] · in[:, column:+columns], dOut stored [n, O]
        this.kernels.gemm(1, 0, rows, columns, n, dy + row * 4, O, x + column * 4, I, dw + (row * I + column) * 4, I, p === 0 ? 0 : 1);
      });
    }
  }

  // bytes [n] (a view of this backend's memory) → out [n] = bytes / 255 in float32
  unitFloatsFromBytes(bytes: Uint8Array, out: Floats): void {
    const kernel = 'unitFloatsFromBytes';
    if (!(bytes instanceof Uint8Array)) throw new XcnnError(`${kernel}: bytes is a ${describe(bytes)}, not a Uint8Array: view an allocInts array of this backend's as bytes`, { code: 'ERR_BAD_ARGUMENT' });
    const from = this.ownedAddress(kernel, 'bytes', bytes, 'allocInts');
    const to = this.address(kernel, 'out', out);
    if (out.length !== bytes.length) throw new XcnnError(`${kernel}: out holds ${out.length} floats for ${bytes.length} bytes; give one float a byte`, { code: 'ERR_BAD_ARGUMENT' });
    this.kernels.unitFloatsFromBytes(from, bytes.length, to);
  }

  reluForward(input: Floats, output: Floats): void {
    const kernel = 'reluForward';
    checkSameLength(kernel, { input, output });
    this.kernels.reluForward(this.address(kernel, 'input', input), this.address(kernel, 'output', output), input.length);
  }

  reluBackward(output: Floats, dOutput: Floats, dInput: Floats): void {
    const kernel = 'reluBackward';
    checkSameLength(kernel, { output, dOutput, dInput });
    this.kernels.reluBackward(
      this.address(kernel, 'output', output),
      this.address(kernel, 'dOutput', dOutput),
      this.address(kernel, 'dInput', dInput),
      output.length,
    );
  }

  // input [N,C,H,W] → output, argmax [N,C,OH,OW]
  maxPool2dForward(s: Pool2dShape, input: Floats, output: Floats, argmax: Int32Array): void {
    const kernel = 'maxPool2dForward';
    checkPool2d(kernel, s, { input, output, argmax });
    const x = this.address(kernel, 'input', input);
    const y = this.address(kernel, 'output', output);
    const where = this.intAddress(kernel, 'argmax', argmax);
    const { kernelSize: K, stride: S } = poolGeometry(s);
    const planes = s.batch * s.channels;
    if (K === 2 && S === 2) this.kernels.maxPool2dForward(x, planes, s.height, s.width, y, where);
    else this.kernels.maxPool2dWindows(x, planes, s.height, s.width, K, S, y, where);
  }

  // dOutput, argmax [N,C,OH,OW] → dInput [N,C,H,W] (any K and S: the kernel adds, so overlapping windows sum)
  maxPool2dBackward(s: Pool2dShape, dOutput: Floats, argmax: Int32Array, dInput: Floats): void {
    const kernel = 'maxPool2dBackward';
    checkPool2d(kernel, s, { input: dInput, output: dOutput, argmax });
    const dy = this.address(kernel, 'dOutput', dOutput);
    const where = this.intAddress(kernel, 'argmax', argmax);
    const dx = this.address(kernel, 'dInput', dInput);
    const { kernelSize: K, stride: S } = poolGeometry(s);
    const bad =
      K === 2 && S === 2
        ? this.kernels.maxPool2dBackward2x2(dy, where, s.batch * s.channels, s.height, s.width, dx, dInput.length)
        : this.kernels.maxPool2dBackward(dy, where, dOutput.length, dx, dInput.length);
    if (bad >= 0) throw badArgmax(kernel, bad, argmax[bad], dInput.length);
  }

  // input [N,C,H,W] → output [N,C,OH,OW]
  avgPool2dForward(s: Pool2dShape, input: Floats, output: Floats): void {
    const kernel = 'avgPool2dForward';
    checkPool2d(kernel, s, { input, output });
    const { kernelSize: K, stride: S } = poolGeometry(s);
    this.kernels.avgPool2dForward(this.address(kernel, 'input', input), s.batch * s.channels, s.height, s.width, K, S, this.address(kernel, 'output', output));
  }

  // dOutput [N,C,OH,OW] → dInput [N,C,H,W]
  avgPool2dBackward(s: Pool2dShape, dOutput: Floats, dInput: Floats): void {
    const kernel = 'avgPool2dBackward';
    checkPool2d(kernel, s, { input: dInput, output: dOutput });
    const { kernelSize: K, stride: S } = poolGeometry(s);
    this.kernels.avgPool2dBackward(this.address(kernel, 'dOutput', dOutput), s.batch * s.channels, s.height, s.width, K, S, this.address(kernel, 'dInput', dInput));
  }

  // input, output [N, C, positions]; per-channel state [C]
  batchNormForward(s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState): void {
    this.normalise('batchNormForward', s, input, output, state, false);
  }

  // input, output [N, C, positions] → output = max(batch norm, 0), in the same pass
  batchNormReluForward(s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState): void {
    this.normalise('batchNormReluForward', s, input, output, state, true);
  }

  private normalise(kernel: string, s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState, relu: boolean): void {
    checkBatchNormForward(kernel, s, input, output, state);
    const a = (name: keyof BatchNormState) => this.address(kernel, name, state[name] as Floats);
    this.kernels.batchNormForward(
      this.address(kernel, 'input', input),
      s.batch,
      s.channels,
      s.positions,
      a('gamma'),
      a('beta'),
      a('runningMean'),
      a('runningVar'),
      state.training ? 1 : 0,
      state.momentum,
      state.epsilon,
      a('savedMean'),
      a('savedInvStd'),
      this.address(kernel, 'output', output),
      relu ? 1 : 0,
    );
  }

  // dOutput [N, C, positions] → dGamma, dBeta [C] +=, dInput [N, C, positions] = (when not null)
  batchNormBackward(s: BatchNormShape, g: BatchNormGradients): void {
    const kernel = 'batchNormBackward';
    checkBatchNormBackward(kernel, s, g);
    const a = (name: Exclude<keyof BatchNormGradients, 'training' | 'dInput'>) => this.address(kernel, name, g[name]);
    this.kernels.batchNormBackward(
      a('input'),
      a('dOutput'),
      s.batch,
      s.channels,
      s.positions,
      a('gamma'),
      a('savedMean'),
      a('savedInvStd'),
      g.training ? 1 : 0,
      a('dGamma'),
      a('dBeta'),
      g.dInput === null ? 0 : this.address(kernel, 'dInput', g.dInput),
    );
  }

  // input, mask, output: the same length (dropout: output = input · mask, the mask holding 0 or 1/(1 − p))
  multiplyElementwise(input: Floats, mask: Floats, output: Floats): void {
    const kernel = 'multiplyElementwise';
    checkSameLength(kernel, { input, mask, output });
    this.kernels.multiplyElementwise(this.address(kernel, 'input', input), this.address(kernel, 'mask', mask), this.address(kernel, 'output', output), input.length);
  }

  // mask [N, perSample] ← 1/(1 − p) or 0, the dropout layer's draw (assembly/dropout.ts)
  dropoutMask(draw: DropoutDraw, mask: Floats): void {
    const kernel = 'dropoutMask';
    const { seed, step, layer, firstSample, batch, perSample, probability } = draw;
    checkDims(kernel, { batch, perSample });
    if (!(probability >= 0 && probability < 1)) throw new XcnnError(`${kernel}: the probability must be in [0, 1), got ${probability}`, { code: 'ERR_BAD_ARGUMENT' });
    if (mask.length !== batch * perSample) {
      throw new XcnnError(`${kernel}: mask has ${mask.length} floats, but ${batch} samples of ${perSample} need ${batch * perSample}`, { code: 'ERR_BAD_ARGUMENT' });
    }
    const keep = 1 - probability;
    // uniformAt's draw is (h >>> 8)/2²⁴ < keep, i.e. h >>> 8 < keep·2²⁴ (exact), i.e. h >>> 8 < ⌈keep·2²⁴⌉.
    const threshold = Math.ceil(keep * 16777216);
    this.kernels.dropoutMask(seed, step, layer, firstSample, batch, perSample, threshold, 1 / keep, this.address(kernel, 'mask', mask));
  }

  /**
   * x with A x = b for ROAD's imputation stencil, by the kernel (assembly/road-imputation.ts): conjugateGradients
   * of src/faithfulness/road-imputation.ts bit for bit. The stencil is checked first, so that the kernel reads
   * only its own grid: every cell inside the border (row and column 1 … stride − 2), b as long as the cells.
   */
  solveImputation(stencil: ImputationStencil, b: Float64Array, tolerance: number, maxIterations: number): Float64Array {
    const kernel = 'solveImputation';
    checkFields(kernel, 'stencil', stencil, 'stride, cells and diagonal, as noisyLinearImputation builds them', { stride: 'number', cells: 'object', diagonal: 'object' });
    if (typeof tolerance !== 'number') throw new XcnnError(`${kernel}: tolerance must be a number (conjugate gradients' relative residual), not ${typeof tolerance}`, { code: 'ERR_BAD_ARGUMENT' });
    const { stride, cells, diagonal } = stencil;
    if (!(cells instanceof Int32Array) || !(diagonal instanceof Float64Array) || !(b instanceof Float64Array)) {
      throw new XcnnError(`${kernel}: the cells must be an Int32Array and the diagonal and b Float64Arrays`, { code: 'ERR_BAD_ARGUMENT' });
    }
    const n = b.length;
    if (cells.length !== n || diagonal.length !== n) {
      throw new XcnnError(`${kernel}: ${cells.length} cells and ${diagonal.length} diagonal values for ${n} unknowns; give one of each an unknown`, { code: 'ERR_BAD_ARGUMENT' });
    }
    if (!Number.isSafeInteger(stride) || stride < 3) throw new XcnnError(`${kernel}: the grid's stride must be a whole number ≥ 3 (a width and its border), not ${stride}`, { code: 'ERR_BAD_ARGUMENT' });
    if (!Number.isSafeInteger(maxIterations) || maxIterations < 0 || maxIterations > 0x7fffffff) throw new XcnnError(`${kernel}: maxIterations must be a whole number ≥ 0, not ${maxIterations}`, { code: 'ERR_BAD_ARGUMENT' });
    let lastCell = 0;
    for (let k = 0; k < n; k++) {
      const cell = cells[k];
      const column = cell % stride;
      if (cell < stride || column < 1 || column > stride - 2) throw new XcnnError(`${kernel}: cell ${cell} of unknown ${k} is on the grid's border (stride ${stride}); every unknown's 8 neighbours must be cells of the grid`, { code: 'ERR_BAD_ARGUMENT' });
      lastCell = Math.max(lastCell, cell);
    }
    const gridCells = lastCell + stride + 2; // up to the last unknown's lower right neighbour
    // in float64 the grid, then the diagonal, b, x, r and Ap; then the cells in i32
    this.imputationScratch = this.grown(this.imputationScratch, 2 * (gridCells + 5 * n) + n);
    const gridAt = this.imputationScratch.address;
    const [diagonalAt, bAt, xAt, rAt, apAt, cellsAt] = [0, 1, 2, 3, 4, 5].map((k) => gridAt + 8 * (gridCells + n * k));
    this.arena.viewInts(cellsAt, n).set(cells);
    const buffer = this.arena.viewInts(gridAt, 1).buffer;
    new Float64Array(buffer, diagonalAt, n).set(diagonal);
    new Float64Array(buffer, bAt, n).set(b);
    this.kernels.stencilConjugateGradients(n, stride, cellsAt, diagonalAt, bAt, xAt, rAt, apAt, gridAt, gridCells, tolerance, maxIterations);
    return new Float64Array(buffer, xAt, n).slice();
  }

  // logits, probs, dLogits [N, classes]; labels [N]
  softmaxCrossEntropy(
    batch: number,
    classes: number,
    logits: Floats,
    labels: Int32Array,
    probs: Floats,
    dLogits: Floats | null,
  ): number {
    const kernel = 'softmaxCrossEntropy';
    checkSoftmaxCrossEntropy(kernel, batch, classes, logits, labels, probs, dLogits);
    return this.kernels.softmaxCrossEntropy(
      this.address(kernel, 'logits', logits),
      this.intAddress(kernel, 'labels', labels),
      batch,
      classes,
      this.address(kernel, 'probs', probs),
      dLogits === null ? 0 : this.address(kernel, 'dLogits', dLogits),
      dLogits === null ? 0 : 1,
    );
  }

  // params, grads, m, v: one flat arena each, the same length
  adamUpdate(params: Floats, grads: Floats, m: Floats, v: Floats, hp: AdamStep): void {
    const kernel = 'adamUpdate';
    checkSameLength(kernel, { params, grads, m, v });
    const { learningRate, beta1, beta2, epsilon, step } = hp;
    // The scalars in float64, as the reference computes them, rounded once to float32 by the call.
    const mCorrection = 1 - Math.pow(beta1, step);
    const vCorrection = 1 - Math.pow(beta2, step);
    this.kernels.adamUpdate(
      this.address(kernel, 'params', params),
      this.address(kernel, 'grads', grads),
      this.address(kernel, 'm', m),
      this.address(kernel, 'v', v),
      params.length,
      learningRate,
      beta1,
      beta2,
      1 - beta1,
      1 - beta2,
      epsilon,
      mCorrection,
      vCorrection,
    );
  }

  /**
   * C (M×N, row stride ldc) = op(A)·op(B), or += when `accumulate` — the GEMM every layer above is built
   * on, exposed for tests and benchmarks. op(A) is M×K: A (stored M×K, row stride lda), or Aᵀ when
   * transA (A stored K×M). op(B) is K×N: B (stored K×N, row stride ldb), or Bᵀ when transB (B stored N×K).
   */
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    C: Float32Array,
    ldc: number,
    accumulate: boolean,
  ): void {
    const kernel = 'gemm';
    checkDims(kernel, { M, N, K });
    const a = this.address(kernel, 'A', A);
    const b = this.address(kernel, 'B', B);
    const c = this.address(kernel, 'C', C);
    checkMatrix(kernel, 'A', A, transA ? K : M, transA ? M : K, lda);
    checkMatrix(kernel, 'B', B, transB ? N : K, transB ? K : N, ldb);
    checkMatrix(kernel, 'C', C, M, N, ldc);
    this.kernels.gemm(transA ? 1 : 0, transB ? 1 : 0, M, N, K, a, lda, b, ldb, c, ldc, accumulate ? 1 : 0);
  }

  /**
   * The convolution's GEMM with its B operand packed straight from one image (exposed for tests and
   * benchmarks): C (+)= op(A)·op(B), where B is the im2col matrix columns [C·K·K, OH·OW] of `image`
   * [C,H,W] (assembly/im2col.ts) — op(B) = columns, or columnsᵀ when transB — and op(A) as in gemm.
   * With `images` G (default 1), `image` holds G images back to back and B is their columns side by side,
   * [C·K·K, G·OH·OW]. It equals gemm on the materialised columns, bit for bit.
   */
  gemmIm2col(
    transA: boolean,
    transB: boolean,
    M: number,
    A: Float32Array,
    lda: number,
    image: Float32Array,
    imageShape: ImageOperandShape,
    C: Float32Array,
    ldc: number,
    accumulate: boolean,
  ): void {
    const kernel = 'gemmIm2col';
    const x = this.imageOperand(kernel, image, imageShape);
    checkDims(kernel, { M });
    const [K, N] = transB ? [x.positions, x.patch] : [x.patch, x.positions];
    const a = this.address(kernel, 'A', A);
    const c = this.address(kernel, 'C', C);
    checkMatrix(kernel, 'A', A, transA ? K : M, transA ? M : K, lda);
    checkMatrix(kernel, 'C', C, M, N, ldc);
    this.kernels.gemmIm2col(transA ? 1 : 0, transB ? 1 : 0, M, N, K, a, lda, x.address, x.imageFloats, x.height, x.width, x.kernelSize, 1, c, ldc, accumulate ? 1 : 0);
  }

  /**
   * gemm with its A operand packed straight from one image (exposed for tests and benchmarks):
   * C (M×N) (+)= columns · op(B), where columns [C·K·K, OH·OW] is the im2col matrix of `image` [C,H,W]
   * (so M = C·K·K and K = OH·OW) and op(B) is as in gemm. It equals gemm on the materialised columns, bit for bit.
   */
  gemmIm2colA(
    transB: boolean,
    N: number,
    image: Float32Array,
    imageShape: { channels: number; height: number; width: number; kernelSize: number },
    B: Float32Array,
    ldb: number,
    C: Float32Array,
    ldc: number,
    accumulate: boolean,
  ): void {
    const kernel = 'gemmIm2colA';
    const x = this.imageOperand(kernel, image, { ...imageShape, images: 1 });
    checkDims(kernel, { N });
    const [M, K] = [x.patch, x.positions];
    const b = this.address(kernel, 'B', B);
    const c = this.address(kernel, 'C', C);
    checkMatrix(kernel, 'B', B, transB ? N : K, transB ? K : N, ldb);
    checkMatrix(kernel, 'C', C, M, N, ldc);
    this.kernels.gemmIm2colA(transB ? 1 : 0, M, N, K, x.address, x.height, x.width, x.kernelSize, 1, b, ldb, c, ldc, accumulate ? 1 : 0);
  }

  /**
   * gemm with its A operand the transposed columns of a group of images, packed straight from them (exposed for
   * tests and benchmarks): C (M×N) (+)= columnsᵀ · op(B), where columns [C·K·K, G·OH·OW] are the im2col matrices of
   * the G = `images` images [G,C,H,W] at `image` side by side (so M = G·OH·OW and K = C·K·K) and op(B) is as in
   * gemm. It equals gemm on the materialised columns (transA), bit for bit.
   */
  gemmIm2colRows(
    transB: boolean,
    N: number,
    image: Float32Array,
    imageShape: ImageOperandShape,
    B: Float32Array,
    ldb: number,
    C: Float32Array,
    ldc: number,
    accumulate: boolean,
  ): void {
    const kernel = 'gemmIm2colRows';
    const x = this.imageOperand(kernel, image, imageShape);
    checkDims(kernel, { N });
    const [M, K] = [x.positions, x.patch];
    const b = this.address(kernel, 'B', B);
    const c = this.address(kernel, 'C', C);
    checkMatrix(kernel, 'B', B, transB ? N : K, transB ? K : N, ldb);
    checkMatrix(kernel, 'C', C, M, N, ldc);
    this.kernels.gemmIm2colRows(transB ? 1 : 0, M, N, K, x.address, x.imageFloats, x.height, x.width, x.kernelSize, 1, b, ldb, c, ldc, accumulate ? 1 : 0);
  }

  /**
   * The image operand of gemmIm2col, gemmIm2colA and gemmIm2colRows, checked (`images` images [G, C, H, W], G = 1
   * when absent): its byte address, the floats from one image to the next, its patch C·K·K and its G·OH·OW positions.
   */
  private imageOperand(kernel: string, image: Float32Array, shape: ImageOperandShape) {
    const { channels, height, width, kernelSize, images = 1 } = shape;
    checkConv2d(kernel, { batch: images, inChannels: channels, height, width, outChannels: 1, kernelSize }, { input: image });
    return {
      address: this.address(kernel, 'image', image),
      imageFloats: channels * height * width,
      patch: channels * kernelSize * kernelSize,
      positions: images * convOutputSize(height, kernelSize) * convOutputSize(width, kernelSize),
      height,
      width,
      kernelSize,
    };
  }

  /**
   * Runs the register-only f32x4 multiply-add loop of assembly/ceiling.ts for `iterations` trips and
   * returns the flops it performed (for the benchmark's ceiling).
   */
  simdCeiling(iterations: number): number {
    this.kernels.simdCeiling(iterations, 1e-3);
    return iterations * this.kernels.simdCeilingFlopsPerIteration();
  }

  /** The byte addresses a layer's backward pass works on (each array checked to be this backend's). */
  private backwardAddresses(kernel: string, g: LayerGradients) {
    return {
      x: this.address(kernel, 'input', g.input),
      w: this.address(kernel, 'weight', g.weight),
      dy: this.address(kernel, 'dOutput', g.dOutput),
      dw: g.dWeight === null ? null : this.address(kernel, 'dWeight', g.dWeight),
      db: g.dBias === null ? null : this.address(kernel, 'dBias', g.dBias),
      dx: g.dInput === null ? null : this.address(kernel, 'dInput', g.dInput),
    };
  }

  /**
   * A Winograd convolution's batch a chunk of images at a time: `run(first, images, scratch)` for chunks of as many
   * images as fill about the algorithm's `tilesPerCall` tiles, so that a chunk's transformed tiles and products
   * stay in cache, with the scratch a chunk needs.
   */
  private winogradChunks(s: Conv2dShape, winograd: WinogradAlgorithm, run: (first: number, images: number, scratch: number) => void): void {
    const { batch: N, inChannels: C, height: H, width: W, outChannels: F } = s;
    const { padding: P } = convGeometry(s);
    // a whole chunk's scratch even for a smaller batch, so that it grows once, not with each batch size
    const G = winogradChunkImages(s, winograd);
    this.winogradScratch = this.grown(this.winogradScratch, winograd.scratchFloats(G, C, H, W, P, F));
    for (let n0 = 0; n0 < N; n0 += G) run(n0, Math.min(G, N - n0), this.winogradScratch.address);
  }

  /** `saved` as the kept tiles it must be (null when not given): one of this backend's convSaved, not disposed. */
  private keptTiles(kernel: string, saved: ConvSaved | null | undefined): KeptTiles | null {
    if (saved === undefined || saved === null) return null;
    if (!(saved instanceof KeptTiles) || saved.backend !== this) {
      throw new XcnnError(`${kernel}: saved is ${describe(saved)}, not this backend's: make it with this backend's convSaved()`, { code: 'ERR_BAD_ARGUMENT' });
    }
    if (saved.disposed) throw new XcnnError(`${kernel}: saved was disposed; make another with convSaved()`, { code: 'ERR_DISPOSED' });
    return saved;
  }

  /**
   * Makes `kept` hold V of a forward pass on the input at `x` (grown to the batch's chunks: V [(m+2)², C, T] of each
   * chunk after the one before) and marks it that pass's; returns, for each chunk in turn, where its V goes.
   */
  private tilesToKeep(kept: KeptTiles, s: Conv2dShape, x: number, winograd: WinogradAlgorithm): (images: number) => number {
    const { batch: N, inChannels: C, height: H, width: W } = s;
    const P = convGeometry(s).padding;
    const G = winogradChunkImages(s, winograd);
    const chunkFloats = (images: number) => winograd.keptTileFloats(images, C, H, W, P);
    const floats = Math.floor(N / G) * chunkFloats(G) + (N % G === 0 ? 0 : chunkFloats(N % G));
    kept.block = this.grown(kept.block, floats);
    kept.of = { input: x, shape: { ...s } };
    return keptTileChunks(kept.block.address, chunkFloats);
  }

  /** The kernels and sizes of the Winograd algorithm a convolution runs by: F(4×4, 3×3) where usesWinograd4 says so, else F(2×2, 3×3). */
  private winogradAlgorithm(s: Conv2dShape): WinogradAlgorithm {
    const k = this.kernels;
    return usesWinograd4(s)
      ? { outputsPerSide: 4, tilesPerCall: WINOGRAD4_TILES, transformKernels: k.winograd4Kernels, convolve: k.winograd4Convolve, backward: k.winograd4Backward, kernelGradient: k.winograd4KernelGradient, scratchFloats: k.winograd4ScratchFloats, keptTileFloats: k.winograd4KeptTileFloats }
      : { outputsPerSide: 2, tilesPerCall: WINOGRAD_TILES, transformKernels: k.winogradKernels, convolve: k.winogradConvolve, backward: k.winogradBackward, kernelGradient: k.winogradKernelGradient, scratchFloats: k.winogradScratchFloats, keptTileFloats: k.winogradKeptTileFloats };
  }

  /**
   * conv2dBackward by Winograd, by the forward pass's algorithm (assembly/winograd.ts winogradBackward, or
   * winograd-4x4.ts winograd4Backward: the adjoint of the forward pass): dU [16 or 36, C, F] summed over the
   * batch, then folded into dW; dInput written chunk by chunk.
   */
  private winogradBackward(s: Conv2dShape, a: ConvAddresses, keptTiles: number): void {
    if (a.dw === null && a.dx === null) return;
    const { inChannels: C, height: H, width: W, outChannels: F } = s;
    const { padding: P, outHeight, outWidth } = convGeometry(s);
    // by the forward pass's algorithm (F(4×4)'s tiles have 36 positions, F(2×2)'s 16)
    const winograd = this.winogradAlgorithm(s);
    const positions = tilePositions(winograd);
    const u = a.dx === null ? 0 : this.winogradTransformedKernels(winograd, a.w, F, C).u;
    let du = 0;
    if (a.dw !== null) {
      this.winogradKernelGradients = this.grown(this.winogradKernelGradients, positions * C * F);
      du = this.winogradKernelGradients.address;
      this.arena.viewFloats(du, positions * C * F).fill(0);
    }
    const [inBytes, outBytes] = [C * H * W * 4, F * outHeight * outWidth * 4];
    // the kernel gradient from the forward pass's V where it was kept (only the kernel gradient reads it)
    const tiles = keptTiles === 0 || du === 0 ? null : keptTileChunks(keptTiles, (images) => winograd.keptTileFloats(images, C, H, W, P));
    this.winogradChunks(s, winograd, (n0, g, scratch) =>
      winograd.backward(a.x + n0 * inBytes, g, C, H, W, P, u, F, a.dy + n0 * outBytes, du, a.dx === null ? 0 : a.dx + n0 * inBytes, scratch, tiles === null ? 0 : tiles(g)),
    );
    if (a.dw !== null) winograd.kernelGradient(du, F, C, a.dw);
  }

  /**
   * The byte addresses of U [16 or 36, C, F], a Winograd convolution's kernels transformed from the weight [F, C, 3, 3]
   * at byte address `w`, and of U packed for the forward pass's products (winogradPackKernels) — both reused when the
   * blocks already hold them for a weight with the same bits by the same algorithm (the same bits make the same U),
   * else made there together (the blocks grown on first need).
   */
  private winogradTransformedKernels(winograd: WinogradAlgorithm, w: number, F: number, C: number): { u: number; packed: number } {
    // The blocks only grow, and only here: when `held` matches, they were this size already and still hold U.
    const positions = tilePositions(winograd);
    this.winogradKernels = this.grown(this.winogradKernels, positions * C * F);
    this.winogradPackedKernels = this.grown(this.winogradPackedKernels, this.kernels.winogradPackedKernelFloats(positions, C, F));
    const [u, packed] = [this.winogradKernels.address, this.winogradPackedKernels.address];
    const bits = this.arena.viewInts(w, F * C * 9);
    const held = this.transformedFrom;
    // The same algorithm, and the same bits laid out as [F, C, 3, 3] (their count F·C·9 and C give F).
    if (held !== null && held.transform === winograd.transformKernels && held.C === C && sameInts(held.bits, bits)) return { u, packed };
    winograd.transformKernels(w, F, C, u);
    this.kernels.winogradPackKernels(u, positions, C, F, packed);
    // the bits copied into the held array when it has their length (a training step's every forward pass), else a new one
    const copy = held !== null && held.bits.length === bits.length ? held.bits : new Int32Array(bits.length);
    copy.set(bits);
    this.transformedFrom = { transform: winograd.transformKernels, C, bits: copy };
    return { u, packed };
  }

  /** A scratch block for a transposed weight gradient [C·K·K, F] (conv2dBackward), grown on first need. */
  private weightGradientScratch(floats: number): Float32Array {
    this.transposedWeightGradient = this.grown(this.transposedWeightGradient, floats);
    return this.arena.viewFloats(this.transposedWeightGradient.address, floats);
  }

  /**
   * The image at byte address `image` ([C,H,W] of shape s) as a stride-1 convolution's packers see it:
   * itself when there is no padding, else copied into the scratch block with its zero border.
   */
  private paddedImage(image: number, s: Conv2dShape): PaddedImages {
    return this.paddedImages(image, s, 1);
  }

  /**
   * `count` consecutive images from byte address `image` as the packers see them (paddedImage's form of
   * each, `floats` apart): the images themselves when there is no padding, else each copied into its block of
   * the scratch — with its zero border for stride 1, split into its phase block for stride S.
   */
  private paddedImages(image: number, s: Conv2dShape, count: number): PaddedImages {
    const P = s.padding ?? 0;
    const S = s.stride ?? 1;
    const C = s.inChannels;
    if (P === 0 && S === 1) return { address: image, floats: C * s.height * s.width, height: s.height, width: s.width };
    const height = s.height + 2 * P;
    const width = s.width + 2 * P;
    // Stride 1: [C, H+2P, W+2P]; stride S: the phase block [C, S, S, ⌈(H+2P)/S⌉, ⌈(W+2P)/S⌉].
    const floats = C * S * S * Math.ceil(height / S) * Math.ceil(width / S);
    this.padded = this.grown(this.padded, floats * count);
    for (let i = 0; i < count; i++) {
      const from = image + i * C * s.height * s.width * 4;
      const to = this.padded.address + i * floats * 4;
      if (S === 1) this.kernels.padImage(from, C, s.height, s.width, P, to);
      else this.kernels.splitPhases(from, C, s.height, s.width, P, S, to);
    }
    return { address: this.padded.address, floats, height, width };
  }

  /** The byte address of the scratch block for a group's product or gathered dOutput, grown on first need. */
  private groupScratch(floats: number): number {
    this.group = this.grown(this.group, floats);
    return this.group.address;
  }

  /** The byte address of the scratch block for one image's columns (or their gradient), grown on first need. */
  private columnsFor(floats: number): number {
    this.columns = this.grown(this.columns, floats);
    return this.columns.address;
  }

  /** `scratch` if it holds `floats`, else a new block that does (the old one freed: its contents are not kept). */
  private grown(scratch: Scratch, floats: number): Scratch {
    if (floats <= scratch.floats) return scratch;
    if (scratch.address !== 0) this.arena.freeBlock(scratch.address, scratch.floats * 4);
    return { address: this.arena.allocate(floats * 4), floats };
  }

  /** The byte address of a float array, after checking that it is float32 and lives in this backend's memory. */
  private address(kernel: string, name: string, array: Floats): number {
    if (!(array instanceof Float32Array)) {
      throw new XcnnError(
        `${kernel}: ${name} is a ${describe(array)}, but the wasm backend computes in float32: ` +
          "allocate it with this backend's allocFloats",
        { code: 'ERR_BAD_ARGUMENT' },
      );
    }
    return this.ownedAddress(kernel, name, array, 'allocFloats');
  }

  private intAddress(kernel: string, name: string, array: Int32Array): number {
    if (!(array instanceof Int32Array)) {
      throw new XcnnError(`${kernel}: ${name} is a ${describe(array)}, not an Int32Array: allocate it with this backend's allocInts`, { code: 'ERR_BAD_ARGUMENT' });
    }
    return this.ownedAddress(kernel, name, array, 'allocInts');
  }

  private ownedAddress(kernel: string, name: string, array: ArrayBufferView, allocator: string): number {
    if (!this.arena.owns(array)) {
      throw new XcnnError(
        `${kernel}: ${name} is not in this wasm backend's memory: allocate it with this backend's ${allocator} ` +
          '(or take a subarray of such an array)',
        { code: 'ERR_BAD_ARGUMENT' },
      );
    }
    return array.byteOffset;
  }
}

/** A scratch block of the backend's: its byte address (0: none yet) and how many floats it holds. */
interface Scratch {
  address: number;
  floats: number;
}

const NO_SCRATCH: Scratch = { address: 0, floats: 0 };

/** The image operand of the GEMMs that pack from images (WasmBackend.gemmIm2col and its kin): G images [G, C, H, W], G = 1 when absent. */
interface ImageOperandShape {
  channels: number;
  height: number;
  width: number;
  kernelSize: number;
  images?: number;
}

/** Images as the im2col packers read them (paddedImages): the first's byte address, the floats from one to the next, the sides of each. */
interface PaddedImages {
  address: number;
  floats: number;
  height: number;
  width: number;
}

function disposedError(): XcnnError {
  return new XcnnError('this wasm backend was disposed (dispose() let go of its memory); create a new backend and load the model on it', { code: 'ERR_DISPOSED' });
}

/** What a disposed backend holds instead of its kernels and arena: anything asked of it throws disposedError. */
function disposedStandIn<T>(): T {
  return new Proxy({}, { get: () => { throw disposedError(); } }) as T;
}

/** The byte addresses of a convolution's backward pass (dx null when dInput is not wanted). */
interface ConvAddresses {
  x: number;
  w: number;
  dy: number;
  dw: number | null; // null: the weight gradient is not wanted
  dx: number | null;
}

// Columns of a group's GEMM, G·OH·OW ≈ 512. Measured (node, one thread, modern preset, batch 64, per-layer
// ms): 384–512 columns beat 1,024–2,048 by 5–10 % on the 7×7 conv4 — the group's columns matrix
// [C·K·K, G·OH·OW] then stays in L2 — and equal them on the 14×14 conv2. Measured again with the columns
// packed straight from the phase blocks (bench/ab-checkouts.ts-style interleaved runs of the layer alone): 512
// still, and 256 or 1,024 no better; grouping the 14×14 conv2 (G = 2) leaves its forward as it is and slows
// its backward 4–5 % (its input gradient's col2imStrided).
const GROUP_COLUMNS = 512;

/**
 * Images per GEMM of a convolution with stride S and OH·OW = positions, or 0 for one GEMM per image with
 * its columns packed straight from the image (padded into a bordered block, or, strided, split into its
 * phase block: assembly/im2col-strided.ts splitPhases).
 *
 * Stride 1 goes per image whatever the map's size: grouping materialised columns the direct packers never
 * write, which cost more than the wider GEMM gained — 14×14 (modern conv3) forward 12.0 against 10.9 ms,
 * backward 23.5 against 22.1; 7×7 even — and with the columns packed straight from the group's images
 * (gemmIm2col over a group) LeNet-5's 10×10 conv2 gains nothing clear (forward 1.05×, backward 0.97×; its
 * M = 16 filters, not its N, hold its GEMMs back). Strided convolutions with small maps go grouped: one GEMM
 * over G images' columns packs W once a group instead of once an image and fills the 8-column slivers — the
 * modern net's 7×7 conv4, per image from the phase block against grouped, the columns then materialised
 * (per-layer ms, one thread, batch 64): forward 8.8 against 7.7, backward 17.2 against 15.4; packed straight
 * from the phase blocks instead, forward 1.15–1.20× and backward 1.06–1.07× faster again. Strided
 * convolutions with large maps go per image from the phase block: the 14×14 conv2 forward 7.4 against 8.5
 * ms, backward 15.7 against 18.0. Between 49 and 196 positions the threshold (a group of fewer than four
 * images) is a guess.
 */
export function imagesPerGemm(stride: number, positions: number): number {
  if (stride === 1) return 0;
  const G = Math.floor(GROUP_COLUMNS / positions);
  return G < DIRECT_BELOW_IMAGES ? 0 : G;
}

// A strided convolution whose group would hold fewer images than this runs per image (imagesPerGemm).
const DIRECT_BELOW_IMAGES = 4;

/**
 * Whether a convolution's weight gradient runs by the direct kernel of assembly/direct-weight-gradient.ts:
 * stride 1, at most 32 taps (C·K·K: a first layer on 1 to 3 channels), at most 16 filters and an output at
 * least 4 wide. Measured (dW and dB of batch 64, one thread, relaxed build, against the GEMM path;
 * docs/speed-history.md): LeNet-5's conv1, 1 → 6 channels 5×5, 1.09 → 0.54 ms; 2 → 16 3×3 1.53 → 1.10, 3 → 16
 * 3×3 2.46 → 1.92, 1 → 16 4×4 0.94 → 0.87; with more filters the GEMM's tiles fill and it was as fast or
 * faster (1 → 20 5×5 1.34 against 1.31, 3 → 32 3×3 3.87 against 3.91, the paper's 1 → 32 3×3 1.28 against 1.44).
 */
export function usesDirectWeightGradient(s: Conv2dShape): boolean {
  const { stride, outWidth } = convGeometry(s);
  return stride === 1 && s.inChannels * s.kernelSize * s.kernelSize <= DIRECT_GRADIENT_MAX_TAPS && s.outChannels <= DIRECT_GRADIENT_MAX_FILTERS && outWidth >= 4;
}

/**
 * Whether a convolution's forward pass runs by the direct kernel of assembly/direct-convolution.ts: stride 1, at
 * most 32 taps (C·K·K: a first layer on 1 to 3 channels) and an output at least 8 wide. Bit for bit the GEMM
 * path's output. Measured (4 images a call, in cache, one thread, CPU time, against the GEMM path and its bias pass;
 * docs/speed-history.md): the paper's conv1 (1 → 32, 3×3, 26 wide) 1.30× relaxed and 1.20× plain, LeNet-5's (1 → 6,
 * 5×5, padding 2) 1.39× and 1.36×, 3 → 16 3×3 on 32×32 1.25×; as fast on 8 wide, slower on 9 (0.96×: 8 + 4 columns
 * computed for 9); with more taps only on wide maps (75–100 taps, 24–28 wide: 1.06–1.10×; 100 taps, 10 wide: 0.84×;
 * LeNet-5's conv2, 150 taps, 10 wide: 0.91×), so they stay on the GEMM.
 */
export function usesDirectConvolution(s: Conv2dShape): boolean {
  const { stride, outWidth } = convGeometry(s);
  return stride === 1 && s.inChannels * s.kernelSize * s.kernelSize <= DIRECT_FORWARD_MAX_TAPS && outWidth >= 8;
}

/**
 * Whether a convolution's forward pass runs transposed, outᵀ = columnsᵀ · Wᵀ (assembly/gemm.ts gemmIm2colRows): stride
 * 1, 8 or 16 filters, an output map of at most 128 positions, and neither Winograd's nor the direct kernel's. With F
 * filters as the GEMM's rows, such a layer fills few tiles (LeNet-5's conv2: 16 = 3·5 + 1 rows of 5) and each image's
 * GEMM packs its weights again for a map of few 8-column slivers; with a group of images' positions as the rows and
 * the filters as one or two whole slivers, the weights are packed once a group. Each output is the same chain of
 * madds, so the numbers are the same. Measured (batch 64, one thread, relaxed build, the layer's forward pass):
 * LeNet-5's conv2 (6 → 16, 5×5, 10×10 out) 1.26–1.35×, 6 → 8 5×5 on 10×10 1.32×, 12 → 16 5×5 on 6×6 1.45×; but
 * on larger maps slower (14×14 out 0.94–0.99×, 16×16 0.91×, 26×26 0.95×) and with 10 or 12 filters (a partial
 * sliver) 0.72–0.89×. The plain build's LeNet-5 conv2 is about the same either way (0.98–1.05×).
 */
export function usesPositionRows(s: Conv2dShape): boolean {
  const { stride, outHeight, outWidth } = convGeometry(s);
  const F = s.outChannels;
  return stride === 1 && (F === 8 || F === 16) && outHeight * outWidth <= POSITION_ROWS_MAX_POSITIONS && !usesWinograd(s) && !usesDirectConvolution(s);
}
const POSITION_ROWS_MAX_POSITIONS = 128;
// Positions (rows) of one transposed GEMM: a group of images, ≈ 1,024 (LeNet-5's conv2: 10 images of 100).
const ROWS_GROUP_POSITIONS = 1024;

// The most taps (C·K·K) of a convolution whose forward pass the direct kernel computes.
const DIRECT_FORWARD_MAX_TAPS = 32;

// The most taps (C·K·K) and filters of a convolution whose weight gradient the direct kernel computes.
const DIRECT_GRADIENT_MAX_TAPS = 32;
const DIRECT_GRADIENT_MAX_FILTERS = 16;

/**
 * Whether a convolution's forward pass runs by Winograd F(2×2, 3×3) (assembly/winograd.ts): 3×3 kernels,
 * stride 1, and at least 8 channels on each side (C and F are its 16 GEMMs' inner and outer sizes). Measured
 * (batch 64, one thread, CPU time, against the direct path; docs/speed-history.md): faster on every such shape
 * tried, from 8 → 8 channels on 7×7 maps (0.25 → 0.17 ms) and 56×56 (7.6 → 6.2) to the paper's 32 → 64 on 13×13
 * (6.0 → 3.8).
 */
export function usesWinograd(s: Conv2dShape): boolean {
  return s.kernelSize === 3 && (s.stride ?? 1) === 1 && s.inChannels >= 8 && s.outChannels >= 8;
}

/**
 * Whether its backward pass does too, by the forward pass's algorithm: always by F(4×4) (usesWinograd4), and by
 * F(2×2) when C·F ≥ 256 as well. The backward's two GEMMs a tile are C × F (over the tiles) and C × tiles (over
 * F), and with few channels the direct path's long GEMMs beat F(2×2)'s on large maps: 8 → 8 channels on 20×20
 * maps took 2.4 ms direct and 2.8 by F(2×2), on 56×56 19.6 and 22.8, and 12 → 12 on 28×28 8.8 and 9.7; from
 * C·F = 256 (8 → 32, 16 → 16, 32 → 8) F(2×2) was faster on every map. F(4×4), with 1.78× fewer multiplies again,
 * beats the direct path on every map it takes, few channels included (batch 64, one thread, CPU time;
 * `node dist/bench/conv-shapes.js`, docs/speed-history.md): 8 → 8 on 8×8 maps 0.58 → 0.29 ms, on 28×28 5.5 → 3.6,
 * on 56×56 22.8 → 14.1, 12 → 12 on 28×28 10.8 → 6.5; and F(2×2) where both run: the paper's conv2 10.6 → 7.8,
 * 32 → 32 on 28×28 36.9 → 22.2.
 */
export function usesWinogradBackward(s: Conv2dShape): boolean {
  return usesWinograd4(s) || (usesWinograd(s) && s.inChannels * s.outChannels >= 256);
}
/**
 * Whether a Winograd convolution's forward pass runs by F(4×4, 3×3) (assembly/winograd-4x4.ts) rather than
 * F(2×2, 3×3): when its tiles need at most ¾ of F(2×2)'s multiplies (36 a tile of 4×4 outputs against 16 a tile
 * of 2×2) and an image has at least 4 of them (its input transform takes four tiles at a time, and an image's
 * last group repeats its last tile in the spare lanes). Measured (batch 64, one thread, CPU time, each shape's
 * forward pass by F(4×4) against F(2×2) in one process; docs/speed-history.md): the paper's 32 → 64 on an 11×11
 * output 1.27×, the modern preset's 32 → 64 on 14×14 1.14×, 8 → 8 on 8×8 1.27× and on 28×28 1.26×; slower where
 * the rule says no: 64 → 128 on 5×5 (as many multiplies) 0.78×, 32 → 32 on 4×4 (one tile an image) 0.69×.
 */
export function usesWinograd4(s: Conv2dShape): boolean {
  if (!usesWinograd(s)) return false;
  const tiles4 = tilesAnImage(s, 4);
  return tiles4 >= 4 && 4 * 36 * tiles4 <= 3 * 16 * tilesAnImage(s, 2);
}

/** Tiles of m × m outputs that cover one image's output map: ⌈OH/m⌉·⌈OW/m⌉. */
function tilesAnImage(s: Conv2dShape, m: number): number {
  const { outHeight, outWidth } = convGeometry(s);
  return Math.ceil(outHeight / m) * Math.ceil(outWidth / m);
}
// Tiles of one winograd4Convolve call (its V is 36·C floats a tile, 2.25× F(2×2)'s): 96 measured as fast as 64–100
// and faster than 27 or 144 on the paper's conv2 (docs/speed-history.md).
const WINOGRAD4_TILES = 96;

/** What a convolution's Winograd passes need of their algorithm (winogradAlgorithm). */
interface WinogradAlgorithm {
  /** m of F(m×m, 3×3): outputs along a tile's side. */
  outputsPerSide: number;
  tilesPerCall: number;
  transformKernels: KernelExports['winogradKernels'];
  convolve: KernelExports['winogradConvolve'];
  backward: KernelExports['winogradBackward'];
  kernelGradient: KernelExports['winogradKernelGradient'];
  scratchFloats: KernelExports['winogradScratchFloats'];
  keptTileFloats: KernelExports['winogradKeptTileFloats'];
}

/**
 * Whether a training forward pass by Winograd keeps its transformed input tiles V for the backward pass (convSaved):
 * when V of one channel of one image takes at most 400 floats (F(4×4): 9 tiles of 36, outputs up to 12×12; F(2×2): 25
 * tiles of 16) and the batch's V at most 3 MiB. Keeping V costs the forward pass its writes to a block the size of the
 * batch's V, which the backward's kernel gradient then reads back, instead of a chunk's scratch that stays in cache;
 * it saves the backward transforming the input again — worth more where each image's channel has few values to
 * transform, so that moving it into its plane weighs more per value. Measured (batch 64, one thread, relaxed build,
 * each pass after 32 MB of other memory traffic, ms forward / backward without → with): the paper's 32 → 64 on 13×13
 * (324 floats), 2.86 / 6.24 → 3.07 / 5.72; 32 → 64 on 11×11 by F(2×2) (400), 3.09 / 6.85 → 3.16 / 6.29; 64 → 64 on
 * 7×7 (144), 2.31 / 4.74 → 2.54 / 4.36; but the modern preset's 32 → 64 on 14×14 with padding (576 floats: 16 tiles),
 * 4.45 / 9.41 → 5.00 / 9.24 (and 2.30 / 4.84 → 2.51 / 4.69 at batch 32), and 32 → 32 on 28×28 (1,764), 8.48 / 18.4
 * → 9.86 / 17.9: slower (docs/speed-history.md).
 */
export function keepsTransformedTiles(s: Conv2dShape): boolean {
  if (!usesWinogradBackward(s)) return false;
  const m = usesWinograd4(s) ? 4 : 2;
  const floatsPerChannel = (m + 2) ** 2 * tilesAnImage(s, m); // of one image
  const bytes = floatsPerChannel * s.inChannels * s.batch * 4;
  return floatsPerChannel <= KEPT_TILE_FLOATS_PER_CHANNEL && bytes <= KEPT_TILES_MAX_BYTES;
}
const KEPT_TILE_FLOATS_PER_CHANNEL = 400;
const KEPT_TILES_MAX_BYTES = 3 * 2 ** 20;

/** Images of one Winograd call (a chunk): as many as fill the algorithm's tiles per call, at least one. */
function winogradChunkImages(s: Conv2dShape, winograd: WinogradAlgorithm): number {
  return Math.max(1, Math.floor(winograd.tilesPerCall / tilesAnImage(s, winograd.outputsPerSide)));
}

/** Where each chunk's kept V lies, chunk after chunk from `address`: called once a chunk, in order, with its images. */
function keptTileChunks(address: number, chunkFloats: (images: number) => number): (images: number) => number {
  let at = address;
  return (images) => {
    const chunk = at;
    at += chunkFloats(images) * 4;
    return chunk;
  };
}

/**
 * Whether `kept` holds V of a forward pass on the input at `x` as `s` reads it: the same images, channels, sides and
 * padding. (V does not depend on the filters; both passes are Winograd's, so 3×3 and stride 1.)
 */
function keptFrom(kept: KeptTiles, x: number, s: Conv2dShape): boolean {
  const of = kept.of;
  if (of === null || of.input !== x) return false;
  const a = of.shape;
  return a.batch === s.batch && a.inChannels === s.inChannels && a.height === s.height && a.width === s.width && convGeometry(a).padding === convGeometry(s).padding;
}

/**
 * The wasm backend's ConvSaved (WasmBackend.convSaved): the transformed input tiles V a Winograd forward pass kept,
 * chunk after chunk in `block`, and the pass they are of (its input's byte address and shape), or null.
 */
class KeptTiles implements ConvSaved {
  block: Scratch = NO_SCRATCH;
  of: { input: number; shape: Conv2dShape } | null = null;
  disposed = false;

  constructor(
    readonly backend: WasmBackend,
    private readonly release: (block: Scratch) => void,
  ) {}

  /** Gives back the block (disposing twice gives back nothing: the block is then none). */
  dispose(): void {
    this.disposed = true;
    this.of = null;
    this.release(this.block);
    this.block = NO_SCRATCH;
  }
}

/** (m + 2)²: the positions of a Winograd tile (its input window), each one GEMM and one transformed kernel value. */
function tilePositions(winograd: WinogradAlgorithm): number {
  return (winograd.outputsPerSide + 2) ** 2;
}
// Tiles of one winogradConvolve call: its transformed tiles and products, 16·(C + F)·4 bytes a tile, stay in cache.
const WINOGRAD_TILES = 144;

// Whether two int arrays have the same length and values (a weight's bits, winogradTransformedKernels).
function sameInts(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

// dW [F, patch] += dWᵀ [patch, F], element by element in float32.
function addTransposed(dwT: Float32Array, dW: Float32Array, F: number, patch: number): void {
  for (let f = 0; f < F; f++) for (let r = 0; r < patch; r++) dW[f * patch + r] += dwT[r * F + f];
}

// The bytes biasGradientChunk carries a channel: CHANNEL_SUMS_BYTES of assembly/channel-sums.ts, two f64x2 and one f64.
const BIAS_CARRY_BYTES = 40;

/**
 * Elements [first, first + count) of a row-major matrix with `width` columns as rectangles [row, column, rows,
 * columns]: the tail of the first row (when the range starts inside it), the whole rows, the head of the last.
 */
export function rowPieces(first: number, count: number, width: number): [number, number, number, number][] {
  const pieces: [number, number, number, number][] = [];
  const end = first + count;
  let at = first;
  if (at % width !== 0 && at < end) {
    const columns = Math.min(width - (at % width), end - at);
    pieces.push([Math.floor(at / width), at % width, 1, columns]);
    at += columns;
  }
  const rows = Math.floor((end - at) / width);
  if (rows > 0) {
    pieces.push([at / width, 0, rows, width]);
    at += rows * width;
  }
  if (at < end) pieces.push([at / width, 0, 1, end - at]);
  return pieces;
}

// A rows×cols matrix stored row-major with row stride ld must fit in `array`.
function checkMatrix(kernel: string, name: string, array: Float32Array, rows: number, cols: number, ld: number): void {
  if (!Number.isSafeInteger(ld) || ld < cols) {
    throw new XcnnError(`${kernel}: the row stride of ${name} must be an integer ≥ ${cols}, got ${ld}`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const needed = (rows - 1) * ld + cols;
  if (array.length < needed) {
    throw new XcnnError(`${kernel}: ${name} (${rows}×${cols}, row stride ${ld}) needs ${needed} floats, got ${array.length}`, { code: 'ERR_BAD_ARGUMENT' });
  }
}

function badArgmax(kernel: string, at: number, value: number, inLength: number): XcnnError {
  return new XcnnError(`${kernel}: argmax[${at}] = ${value} is not an index into the input (length ${inLength}); pass the argmax that maxPool2dForward wrote for this shape`, { code: 'ERR_BAD_ARGUMENT' });
}

function describe(array: unknown): string {
  if (array === null) return 'null';
  return (array as object | undefined)?.constructor?.name ?? typeof array;
}
