/**
 * The network: a plain list of layers, built from an architecture description (spec.ts) by
 * `createNetwork` — the paper's CNN is the spec preset 'paper'.
 *
 * All parameters live in one backend allocation (`params`) with a named view per tensor, and all their
 * gradients in a second one (`grads`) with mirrored views, as in llm.c: one `zeroGrad` clears every
 * gradient, one Adam pass updates every parameter, and a model file is these views written in order.
 * Buffers (batch norm's running statistics) live in a third (`buffers`), saved but not learned.
 *
 * Memory: every array the network uses is its own — those arenas, each layer's batch buffers, and the
 * `workspace` that evaluation and the explanations keep their scratch in — all grown to the largest batch
 * seen and reused by every later call (layer.ts, workspace.ts). `dispose()` gives all of it back to the
 * backend, except arenas a caller passed in (a worker's twin does not free the main thread's parameters);
 * a disposed network throws when it is used.
 */
import type { Backend, Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import type { Random } from '../random.js';
import { LAYER_KINDS } from './layer-kinds.js';
import { BatchBuffer, EVALUATION, product, type NetworkBuffer, type Layer, type Parameter, type PassMode } from './layer.js';
import type { Dense } from './dense.js';
import { Conv2d } from './conv2d.js';
import { FirstBlock, imagesPerChunk } from './first-block.js';
import { AvgPool2d, MaxPool2d } from './pool2d.js';
import { ReLU } from './relu.js';
import { Workspace } from './workspace.js';
import { paperSpec, PAPER_WIDTHS, planNetwork, type NetworkGeometry, type NetworkPlan, type PaperWidths } from './spec.js';
import { checkBackend, checkFloats, checkGeometryFields, checkLayers, checkModel, checkObject, checkPlan } from '../argument-checks.js';

export { PAPER_WIDTHS, type NetworkGeometry, type PaperWidths } from './spec.js';

/** Storage a caller may own: a worker thread's network uses the main thread's parameters and buffers. */
/**
 * How backwardTo and backwardToInput run. `parameterGradients: false` (an explanation's pass, which wants
 * only the gradient it returns) skips the parameter gradients: the convolutions' and dense layers' weight
 * and bias gradients are not computed — a third or more of a backward pass — and the grads are left as
 * they were. Default true.
 */
export interface BackwardOptions {
  parameterGradients?: boolean;
}

/** The options of every explanation's backward pass: the gradient it returns, no parameter gradients. */
export const NO_PARAMETER_GRADIENTS: BackwardOptions = Object.freeze({ parameterGradients: false });

const NOTHING_DEFERRED: ReadonlySet<Dense> = new Set();

export interface NetworkArenas {
  params?: Floats;
  grads?: Floats;
  buffers?: Floats;
}

export class Network {
  /** The plan it was built from (createNetwork); null for a network assembled from layers by hand. */
  readonly plan: NetworkPlan | null;
  private readonly arrays: { params: Floats; grads: Floats; buffers: Floats; parameters: Parameter[]; bufferViews: NetworkBuffer[] };
  private readonly scratch: Workspace;
  private readonly ownArenas: Floats[]; // the arenas it allocated itself (dispose frees them)
  private outputs: Floats[] = []; // each layer's output of the last forward pass
  // What the last pass kept: every layer's output (forward), nothing for a backward pass (logits), or all but the
  // first block's maps: trainingForward runs the block a few images at a time; forwardKeepingFrom's evaluation pass
  // ('keeping') so or in one pass, and its block keeps no state for a backward pass through it.
  private lastPass: 'forward' | 'logits' | 'training' | 'keeping' = 'forward';
  private trainingBlock: FirstBlock | null | undefined = undefined; // trainingForward's first block, decided at its first call
  private readonly chunked: ChunkedPrefix | null; // logits()'s plan
  private isDisposed = false;

  /**
   * `arenas` lets the caller own the storage: a worker thread's network uses the main thread's
   * parameters and buffers (shared arenas) and a gradient arena of its own.
   */
  constructor(
    readonly backend: Backend,
    readonly layers: Layer[],
    arenas: NetworkArenas = {},
    plan: NetworkPlan | null = null,
  ) {
    checkBackend('Network', 'backend', backend);
    checkLayers('Network', 'layers', layers);
    checkObject('Network', 'arenas', arenas, 'params, grads and buffers, each an array of floats or left out');
    for (const name of ['params', 'grads', 'buffers'] as const) if (arenas[name] !== undefined) checkFloats('Network', `arenas.${name}`, arenas[name]);
    if (plan !== null) checkPlan('Network', 'plan', plan);
    this.plan = plan;
    const specs = layers.flatMap((layer) => layer.parameterSpecs());
    const total = specs.reduce((sum, spec) => sum + product(spec.shape), 0);
    const bufferSpecs = layers.flatMap((layer) => layer.bufferSpecs?.() ?? []);
    const bufferTotal = bufferSpecs.reduce((sum, spec) => sum + product(spec.shape), 0);
    const expected: Record<string, number> = { params: total, grads: total, buffers: bufferTotal };
    for (const [name, arena] of Object.entries(arenas)) {
      if (arena !== undefined && arena.length !== expected[name]) throw new XcnnError(`the ${name} arena has ${arena.length} numbers; the network has ${expected[name]}`, { code: 'ERR_BAD_ARGUMENT' });
    }
    this.ownArenas = [];
    const own = (given: Floats | undefined, length: number): Floats => {
      if (given !== undefined) return given;
      const arena = backend.allocFloats(length);
      this.ownArenas.push(arena);
      return arena;
    };
    const params = own(arenas.params, total);
    const grads = own(arenas.grads, total);
    const buffers = own(arenas.buffers, bufferTotal);
    this.arrays = { params, grads, buffers, parameters: [], bufferViews: [] };
    this.scratch = new Workspace(backend);
    this.chunked = chunkedPrefix(backend, layers);
    let offset = 0;
    let bufferOffset = 0;
    for (const layer of layers) {
      const bound = layer.parameterSpecs().map((spec) => {
        const length = product(spec.shape);
        const parameter: Parameter = {
          ...spec,
          value: params.subarray(offset, offset + length),
          grad: grads.subarray(offset, offset + length),
        };
        offset += length;
        return parameter;
      });
      layer.bindParameters(bound);
      this.arrays.parameters.push(...bound);
      const views = (layer.bufferSpecs?.() ?? []).map((spec) => {
        const length = product(spec.shape);
        const buffer: NetworkBuffer = { ...spec, value: buffers.subarray(bufferOffset, bufferOffset + length) };
        if (arenas.buffers === undefined) buffer.value.fill(spec.initial);
        bufferOffset += length;
        return buffer;
      });
      layer.bindBuffers?.(views);
      this.arrays.bufferViews.push(...views);
    }
  }

  /** Every parameter, one arena. */
  get params(): Floats {
    return this.usable().params;
  }

  /** Every gradient, the same layout. */
  get grads(): Floats {
    return this.usable().grads;
  }

  /** Every buffer (running statistics), one arena. */
  get buffers(): Floats {
    return this.usable().buffers;
  }

  /** Named views into params and grads, in layer order. */
  get parameters(): Parameter[] {
    return this.usable().parameters;
  }

  /** Named views into `buffers`, in layer order. */
  get bufferViews(): NetworkBuffer[] {
    return this.usable().bufferViews;
  }

  /** The scratch of the code that calls the network, by role (workspace.ts), given back with the network. */
  get workspace(): Workspace {
    this.usable();
    return this.scratch;
  }

  get disposed(): boolean {
    return this.isDisposed;
  }

  /**
   * Gives back to the backend every array the network allocated — its arenas, its layers' batch buffers,
   * its workspace — for the next network or batch to reuse; arenas passed in by the caller stay theirs.
   * Afterwards every use of the network throws. Disposing twice does nothing.
   */
  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    this.outputs.length = 0;
    this.scratch.dispose();
    this.chunked?.staging.release();
    this.trainingBlock?.dispose();
    for (const layer of this.layers) layer.dispose?.();
    for (const arena of this.ownArenas) this.backend.free(arena);
  }

  private usable(): Network['arrays'] {
    if (this.isDisposed) throw new XcnnError('this network was disposed: its memory went back to the backend; load or create the network again to use it', { code: 'ERR_DISPOSED' });
    return this.arrays;
  }

  /** The canonical architecture spec, when the network was built from one. */
  get spec(): string | null {
    return this.plan?.spec ?? null;
  }

  get inputShape(): number[] {
    return this.layers[0].inputShape;
  }

  get outputShape(): number[] {
    return this.layers[this.layers.length - 1].outputShape;
  }

  parameter(name: string): Parameter {
    const found = this.parameters.find((p) => p.name === name);
    if (!found) throw new XcnnError(`the network has no parameter '${name}'`, { code: 'ERR_BAD_ARGUMENT' });
    return found;
  }

  layer<T extends Layer>(name: string): T {
    const found = this.layers.find((layer) => layer.name === name);
    if (!found) throw new XcnnError(`the network has no layer '${name}'`, { code: 'ERR_BAD_ARGUMENT' });
    return found as T;
  }

  /**
   * input [N, ...inputShape] → logits [N, classes] (the last layer's buffer). Evaluation mode unless
   * `mode` says training (batch norm's batch statistics, dropout), as PyTorch's train()/eval().
   */
  forward(input: Floats, batch: number, mode: PassMode = EVALUATION): Floats {
    this.usable();
    let x = input;
    this.outputs.length = 0;
    this.lastPass = 'forward';
    for (const layer of this.layers) {
      x = layer.forward(x, batch, mode);
      this.outputs.push(x);
    }
    return x;
  }

  /** What logits() runs a chunk of images at a time: the first `layers` layers, `images` at a time; null when nothing. */
  get logitsChunks(): { layers: number; images: number } | null {
    return this.chunked === null ? null : { layers: this.chunked.layers, images: this.chunked.images };
  }

  /**
   * The logits [N, classes] of an evaluation-mode pass, forward's bit for bit (in evaluation mode each image's
   * numbers are its own), for the passes that read nothing else: prediction, the perturbation methods' scores.
   * The first convolution block — the layers up to the first pooling layer, when one convolution precedes it — runs
   * a few images at a time (384 KB of its largest map: imagesPerChunk), so that its large maps stay in the core's cache instead
   * of going out to memory and back between its layers (the paper net's conv1 map is 86 KB an image); its pooled
   * output is gathered for the rest of the network, which runs on the whole batch. A block that is a convolution, its
   * ReLU and a max pool runs instead as one pass of the backend's where it has one (conv2dReluMaxPoolForward: the
   * map never stored), whatever the batch. The pass keeps nothing for a backward pass or activations(): they refuse
   * until the next forward.
   */
  logits(input: Floats, batch: number): Floats {
    this.usable();
    const pixels = this.checkBatch('logits', input, batch);
    const plan = this.chunked;
    if (plan === null || blockRunsWhole(plan, batch)) {
      const logits = this.forward(input, batch);
      this.lastPass = 'logits';
      return logits;
    }
    this.outputs.length = 0;
    this.lastPass = 'logits';
    let x = this.blockOutput(plan, input, batch, pixels);
    for (let k = plan.layers; k < this.layers.length; k++) x = this.layers[k].forward(x, batch, EVALUATION);
    return x;
  }

  /**
   * An evaluation pass for a reader of one layer: forward's logits bit for bit, keeping what activations(layerName)
   * and backwardTo(layerName) read — that layer's output and every later one's. When logits()'s first block ends at
   * or before `layerName`, it runs as there — a few images at a time, its maps staying in the core's cache (the paper
   * net's conv1 map is 22 MB a batch of 256, which forward writes out to memory and reads back), or as one pass of the
   * backend's that never stores them; only its pooled output is kept, so activations() of its earlier layers,
   * backwardTo them, backward and backwardToInput refuse until the next forward. Otherwise it is forward. The CAM
   * family's pass: Grad-CAM reads the last conv block and the gradient down to it, nothing before.
   */
  forwardKeepingFrom(input: Floats, batch: number, layerName: string): Floats {
    this.usable();
    const keep = this.layers.findIndex((layer) => layer.name === layerName);
    if (keep < 0) throw new XcnnError(`forwardKeepingFrom: the network has no layer '${layerName}'`, { code: 'ERR_BAD_ARGUMENT' });
    const pixels = this.checkBatch('forwardKeepingFrom', input, batch);
    const plan = this.chunked;
    if (plan === null || blockRunsWhole(plan, batch) || keep < plan.layers - 1) return this.forward(input, batch);
    this.outputs.length = 0;
    this.lastPass = 'keeping';
    let x = this.blockOutput(plan, input, batch, pixels);
    for (let k = 0; k < plan.layers; k++) this.outputs.push(x); // only the last, the pool's, may be read (activations)
    for (let k = plan.layers; k < this.layers.length; k++) {
      x = this.layers[k].forward(x, batch, EVALUATION);
      this.outputs.push(x);
    }
    return x;
  }

  // logits()'s first block over the batch, `plan.images` images at a time: its pooled rows [batch, ...], gathered in
  // the plan's buffer — or in one pass of the backend's, the map never stored, where it has one (conv2dReluMaxPoolForward).
  private blockOutput(plan: ChunkedPrefix, input: Floats, batch: number, pixels: number): Floats {
    const pooled = product(this.layers[plan.layers - 1].outputShape);
    const staging = plan.staging.forBatch(batch);
    const fused = plan.fused;
    if (fused !== null && this.backend.conv2dReluMaxPoolForward!(fused.conv.shape(batch), fused.pool.shape(batch), input, fused.conv.weight.value, fused.conv.bias.value, staging)) return staging;
    for (let first = 0; first < batch; first += plan.images) {
      const n = Math.min(plan.images, batch - first);
      let x = input.subarray(first * pixels, (first + n) * pixels);
      for (let k = 0; k < plan.layers; k++) x = this.layers[k].forward(x, n, EVALUATION);
      staging.set(x.subarray(0, n * pooled), first * pooled);
    }
    return staging;
  }

  /**
   * forward in training mode for a training step, which reads the loss and then calls backward: forward's logits
   * and backward's parameter gradients bit for bit, but the first convolution block — a convolution, its ReLU and
   * a max pool as the first layers (first-block.ts), on a backend that can split the convolution's gradient —
   * runs a few images at a time, forward and backward, its maps staying in the core's cache. Only its pooled
   * output is kept: its other layers' activations, and backwardTo them or backwardToInput, refuse until the next
   * forward. Without such a block it is forward.
   */
  trainingForward(input: Floats, batch: number, mode: PassMode): Floats {
    this.usable();
    if (mode?.training !== true) throw new XcnnError('trainingForward: mode must be a training pass (trainingPass(seed, step)); an evaluation pass is forward or logits', { code: 'ERR_BAD_ARGUMENT' });
    this.checkBatch('trainingForward', input, batch);
    const block = this.firstBlock();
    if (block === null) return this.forward(input, batch, mode);
    this.outputs.length = 0;
    this.lastPass = 'training';
    let x = block.forward(input, batch);
    for (let k = 0; k < block.layers; k++) this.outputs.push(x); // only the last, the pool's, may be read (activations)
    for (let k = block.layers; k < this.layers.length; k++) {
      x = this.layers[k].forward(x, batch, mode);
      this.outputs.push(x);
    }
    return x;
  }

  /** trainingForward's first block (first-block.ts): how many layers it stands for and how many images a chunk; null when the pass runs whole. */
  get trainingChunks(): { layers: number; images: number } | null {
    const block = this.firstBlock();
    return block === null ? null : { layers: block.layers, images: block.images };
  }

  // trainingForward's first block, or null: decided at the first call, its buffers allocated then.
  private firstBlock(): FirstBlock | null {
    if (this.trainingBlock === undefined) this.trainingBlock = FirstBlock.of(this.backend, this.layers);
    return this.trainingBlock;
  }

  // input must hold `batch` images; returns an image's values.
  private checkBatch(method: string, input: Floats, batch: number): number {
    const pixels = product(this.inputShape);
    if (!Number.isSafeInteger(batch) || batch < 1 || input?.length !== batch * pixels) {
      throw new XcnnError(`${method}: input must hold batch × ${this.inputShape.join('×')} = ${Number.isSafeInteger(batch) && batch > 0 ? batch * pixels : 'a positive whole number of'} values for batch ${batch}, got ${input?.length ?? input}`, { code: 'ERR_BAD_ARGUMENT' });
    }
    return pixels;
  }

  // Refuses a read of layer k's output, or a gradient down to it, that the last pass did not keep.
  private kept(method: string, k: number): void {
    if (this.lastPass === 'logits') throw afterLogits(method);
    if (this.lastPass === 'training' && k < this.trainingBlock!.layers - 1) throw this.afterChunkedBlock(method, 'trainingForward', this.trainingBlock!.layers);
    if (this.lastPass === 'keeping' && k < this.chunked!.layers - 1) throw this.afterChunkedBlock(method, 'forwardKeepingFrom', this.chunked!.layers);
  }

  // The refusal of a read, or a backward pass, that needs the maps of a first block (its first `layers` layers) that `pass` did not keep.
  private afterChunkedBlock(method: string, pass: string, layers: number): XcnnError {
    const pool = this.layers[layers - 1].name;
    return new XcnnError(`${method}: the last pass was Network.${pass}, which kept of the first block only its pooled output ('${pool}'), not its maps; run forward first`, { code: 'ERR_BAD_ARGUMENT' });
  }

  /** A layer's output of the last forward pass [N, ...outputShape] (the CAM methods' activations). Read it before the next pass. */
  activations(layerName: string): Floats {
    this.usable();
    const k = this.layers.findIndex((layer) => layer.name === layerName);
    if (k < 0) throw new XcnnError(`the network has no layer '${layerName}'`, { code: 'ERR_BAD_ARGUMENT' });
    this.kept('activations', k);
    if (k >= this.outputs.length) throw new XcnnError(`no forward pass has reached layer '${layerName}' yet`, { code: 'ERR_BAD_ARGUMENT' });
    return this.outputs[k];
  }

  /**
   * Backpropagates dLogits [N, classes] through the layers of the last forward, accumulating parameter
   * gradients; the first layer's input gradient is not computed. The dense layers in `deferred` leave their
   * weight gradients out (Dense.backwardWithoutWeightGradient): the one-thread step makes them right after, each
   * overwritten by its GEMM (step.ts), and the thread pool in its update phase, once for every thread's pass (shard.ts).
   */
  backward(dLogits: Floats, deferred: ReadonlySet<Dense> = NOTHING_DEFERRED): void {
    this.usable();
    if (this.lastPass === 'logits') throw afterLogits('backward');
    if (this.lastPass === 'keeping') throw this.afterChunkedBlock('backward', 'forwardKeepingFrom', this.chunked!.layers); // its block kept no state to go back through
    const block = this.lastPass === 'training' ? this.trainingBlock! : null;
    let d: Floats | null = dLogits;
    for (let k = this.layers.length - 1; k >= (block?.layers ?? 0) && d !== null; k--) {
      const layer = this.layers[k];
      d = deferred.has(layer as Dense) ? (layer as Dense).backwardWithoutWeightGradient(d, k > 0) : layer.backward(d, k > 0);
    }
    if (block !== null) block.backward(d!); // the block's pool is not the first layer: its input gradient came back
  }

  /**
   * Backpropagates dLogits [N, classes] through the layers after `layerName` only, and returns the
   * gradient with respect to that layer's output [N, ...outputShape] (a buffer of the next layer's; read
   * it before the next pass). Parameter gradients of those later layers accumulate as usual, unless
   * `options.parameterGradients` is false: then they are left as they are and their work is skipped. Grad-CAM
   * uses this to get ∂y_c/∂A for the last convolutional layer's activations A.
   */
  backwardTo(layerName: string, dLogits: Floats, options: BackwardOptions = {}): Floats {
    this.usable();
    const stop = this.layers.findIndex((layer) => layer.name === layerName);
    if (stop < 0) throw new XcnnError(`the network has no layer '${layerName}'`, { code: 'ERR_BAD_ARGUMENT' });
    this.kept('backwardTo', stop);
    const parameterGradients = options.parameterGradients ?? true;
    let d: Floats = dLogits;
    for (let k = this.layers.length - 1; k > stop; k--) d = this.layers[k].backward(d, true, parameterGradients)!;
    return d;
  }

  /**
   * Backpropagates dLogits [N, classes] through every layer, the first one included, and returns the
   * gradient with respect to the input [N, ...inputShape] (a buffer of the first layer's; read it before
   * the next pass). Parameter gradients accumulate as in `backward` (or not: `options` as in backwardTo). The input-space explanations
   * (saliency, gradient × input, SmoothGrad, Integrated Gradients) use this to get ∂y_c/∂x.
   *
   * `rule = 'guided'` applies Guided Backpropagation's rule at every ReLU layer (`ReLU.guidedBackward`:
   * negative incoming gradients are zeroed as well as those of inactive units), every other layer
   * backpropagating as usual: the guided "gradient" of Guided Backprop and Guided Grad-CAM.
   */
  backwardToInput(dLogits: Floats, rule: 'ordinary' | 'guided' = 'ordinary', options: BackwardOptions = {}): Floats {
    this.usable();
    this.kept('backwardToInput', -1);
    const parameterGradients = options.parameterGradients ?? true;
    let d: Floats = dLogits;
    for (let k = this.layers.length - 1; k >= 0; k--) {
      const layer = this.layers[k];
      d = rule === 'guided' && layer instanceof ReLU ? layer.guidedBackward(d) : layer.backward(d, true, parameterGradients)!;
    }
    return d;
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  /**
   * PyTorch's default initialisation for Conv2d and Linear: every weight and bias ~ U(−1/√fanIn, 1/√fanIn);
   * with `layerName`, that layer's parameters only (the randomisation sanity check re-draws one at a time).
   */
  initialize(random: Random, layerName?: string): void {
    for (const p of this.parameters) {
      if (layerName !== undefined && !p.name.startsWith(`${layerName}.`)) continue;
      if (p.constant !== undefined) {
        p.value.fill(p.constant);
        continue;
      }
      const bound = 1 / Math.sqrt(p.fanIn);
      for (let k = 0; k < p.value.length; k++) p.value[k] = random.uniform(-bound, bound);
    }
    for (const b of this.bufferViews) {
      if (layerName === undefined || b.name.startsWith(`${layerName}.`)) b.value.fill(b.initial);
    }
  }
}

/**
 * Builds the network a spec describes for inputs and classes of `geometry` (spec.ts checks it first and
 * refuses it in one line if its shapes do not work out). A convolution or batch norm directly followed by a
 * ReLU computes the ReLU in its own pass (fuseRelu); the ReLU layer stays in the list, holding the
 * activations and masking the gradient in backward.
 */
export function createNetwork(backend: Backend, spec: string, geometry: NetworkGeometry, arenas: NetworkArenas = {}): Network {
  checkBackend('createNetwork', 'backend', backend);
  checkGeometryFields('createNetwork', 'geometry', geometry);
  const plan = planNetwork(spec, geometry);
  const layers: Layer[] = [];
  plan.layers.forEach((layer, k) => {
    const next = plan.layers[k + 1];
    const previous = plan.layers[k - 1];
    layers.push(
      LAYER_KINDS[layer.spec.kind].build(layer.spec.args, {
        backend,
        name: layer.name,
        inputShape: layer.inputShape,
        nextIsRelu: RELU_FUSING.has(layer.spec.kind) && next?.spec.kind === 'relu',
        previousFusedRelu: layer.spec.kind === 'relu' && RELU_FUSING.has(previous?.spec.kind),
        ordinal: layer.ordinal,
      }),
    );
  });
  return new Network(backend, layers, arenas, plan);
}

// The kinds that compute a ReLU right after them in their own pass (Conv2d and BatchNorm `fuseRelu`).
const RELU_FUSING = new Set<string | undefined>(['conv', 'bn']);

export const MNIST_GEOMETRY: NetworkGeometry = { channels: 1, height: 28, width: 28, classes: 10 };

/**
 * The paper's CNN (for MNIST: [1,28,28] → conv1 [32,26,26] → pool1 [32,13,13] → conv2 [64,11,11]
 * → flatten [7744] → fc1 [128] → fc2 [10]); softmax cross-entropy is applied to the logits by the trainer.
 * It is the spec preset 'paper' (at the given widths).
 */
export function createPaperNetwork(
  backend: Backend,
  geometry: NetworkGeometry = MNIST_GEOMETRY,
  widths: PaperWidths = PAPER_WIDTHS,
  arenas: NetworkArenas = {},
): Network {
  checkBackend('createPaperNetwork', 'backend', backend);
  checkGeometryFields('createPaperNetwork', 'geometry', geometry);
  return createNetwork(backend, paperSpec(geometry.classes, widths), geometry, arenas);
}

/** The input geometry of a network: its input shape and class count. */
export function geometryOf(network: Network): NetworkGeometry {
  checkModel('geometryOf', 'network', network);
  const [channels, height, width] = network.inputShape;
  return { channels, height, width, classes: network.outputShape[0] };
}

/**
 * logits()'s plan: the layers up to and including the first max or average pool, when exactly one convolution
 * precedes it, and how many images of their largest map a chunk holds (imagesPerChunk); null when there is no such block. (Past a
 * second convolution, chunks of a few images would starve its GEMMs: chunking the paper net through conv2, with
 * its Winograd GEMMs over a chunk's tiles, took 59 ms a batch of 256 at 2 images a chunk against 37 unchunked.)
 */
function chunkedPrefix(backend: Backend, layers: Layer[]): ChunkedPrefix | null {
  const pool = layers.findIndex((layer) => layer instanceof MaxPool2d || layer instanceof AvgPool2d);
  if (pool < 0 || layers.slice(0, pool).filter((layer) => layer instanceof Conv2d).length !== 1) return null;
  const largest = Math.max(...layers.slice(0, pool + 1).map((layer) => product(layer.outputShape)));
  const images = imagesPerChunk(largest);
  return { layers: pool + 1, images, staging: BatchBuffer.floats(backend, product(layers[pool].outputShape)), fused: fusedBlock(backend, layers.slice(0, pool + 1)) };
}

// Whether a batch runs the plan's block by forward: one no larger than a chunk, unless the block is one pass.
function blockRunsWhole(plan: ChunkedPrefix, batch: number): boolean {
  return batch <= plan.images && plan.fused === null;
}

/** logits()'s plan: its first `layers` layers, `images` at a time, their pooled rows gathered in `staging`. */
interface ChunkedPrefix {
  layers: number;
  images: number;
  staging: BatchBuffer<Floats>;
  /** The block as one pass of the backend's (conv2dReluMaxPoolForward), when it is a convolution, its ReLU and a max pool. */
  fused: { conv: Conv2d; pool: MaxPool2d } | null;
}

// The block [conv, ReLU, max pool] as conv2dReluMaxPoolForward takes it, on a backend that has it; else null. (Its ReLU,
// fused into the convolution or not, is max(·, 0) either way; a block is at most its one convolution, then up to its pool.)
function fusedBlock(backend: Backend, block: Layer[]): ChunkedPrefix['fused'] {
  const [conv, relu, pool] = block;
  const fusable = conv instanceof Conv2d && relu instanceof ReLU && pool instanceof MaxPool2d;
  return fusable && backend.conv2dReluMaxPoolForward !== undefined ? { conv, pool } : null;
}

function afterLogits(method: string): XcnnError {
  return new XcnnError(`${method}: the last pass was Network.logits, which keeps nothing for a backward pass or activations(); run forward first`, { code: 'ERR_BAD_ARGUMENT' });
}
