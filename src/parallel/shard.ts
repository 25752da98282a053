/**
 * What each thread of a pool does for a command, the main thread (thread 0) and every worker alike.
 * Data parallelism with a fixed order, so a run is bit-for-bit reproducible for a given thread count:
 *
 *   TRAIN   1. thread t runs forward and backward on its contiguous share of the batch (images
 *              [start_t, end_t)), into its own gradient arena g_t, with ∂L/∂logits scaled by n_t/N so
 *              that Σ_t g_t is the gradient of the whole batch's mean loss — except the dense layers'
 *              weight gradients (deferred: each thread leaves the addresses of its layer's input and dOutput
 *              in the control block instead);
 *           2. barrier;
 *           3. thread t takes its slice of the parameters and, there, sums g_0 += g_1 += … += g_{T−1}
 *              in thread order; makes the deferred weight gradients' elements of the slice in g_0 from
 *              every thread's pass, Σ_s dOutput_sᵀ · input_s in thread order (the same numbers as summing
 *              per-thread ones); then runs Adam on the slice — unless the batch's loss is not finite, which
 *              every thread sees alike, and then nobody updates;
 *           4. barrier (the main thread waits for all slices before the next forward pass reads them).
 *           Deferring a dense layer's weight gradient (fc1's is 98 % of the paper net's parameters) saves each
 *           thread zeroing it, writing it whole and reading it again for the sum.
 *   PREDICT thread t runs forward on its share and writes its probabilities into the shared output.
 *   GRAD_CAM thread t runs Grad-CAM (gradCamOfBatch) of the conv block asked for on its share and writes its rows
 *           into the shared output.
 *   LOGITS  thread t forwards its share and writes its logits into the shared output.
 *   INPUT_GRADIENTS  thread t runs forward, one-hot dLogits and backward to the input (ordinary or guided)
 *           on its share and writes its logits and gradients into the shared output.
 *   CURVES  every thread takes requests one at a time from a shared counter, computes their deletion/insertion
 *           curves (zero and ROAD), each from its own seed, and writes them into the shared output.
 *   CAM_MAPS  thread t runs forward, one-hot dLogits and backward down to the conv block (camMapsOn) on its
 *           share, combines each image's map with the CAM rule, and writes its logits, maps and chosen classes.
 *   COALITION_SCORES  thread t makes its share of the one image's coalition copies (coalition-scores.ts),
 *           forwards them a chunk at a time and writes their scores: the main thread only wrote the coalitions.
 *   OCCLUSION_SCORES  the same with occluded windows of one image or several (occlusion-scores.ts): the main thread
 *           only wrote the corners, and where each image's start; a thread's share may span images.
 *   MASKED_LOGITS  thread t makes its share of Score-CAM's K + 1 copies of each image, one image's or several's
 *           in turn (masked-logits.ts: the masks from the block's activations, then the black image), forwards them
 *           and writes their logits.
 *   LIME_FITS  thread t fits LIME's ridge to each image of its share (ridge-fit.ts) and writes β and the intercept.
 *   SMOOTHGRAD_MAPS  thread t makes its share's S noisy copies, drawing their noise itself from the one seeded stream
 *           jumped ahead to its values (smoothgrad-maps.ts), runs each copy's saliency pass and writes the mean maps.
 * In the last nine an image's (or copy's) numbers depend on that image (copy) alone, so they do not depend on
 * the thread count.
 */
import type { Floats } from '../backend/backend.js';
import type { DensePass, WasmBackend } from '../backend/wasm/wasm-backend.js';
import { argmaxRow, SoftmaxCrossEntropy } from '../model/loss.js';
import type { Dense } from '../model/dense.js';
import type { Network } from '../model/network.js';
import type { AdamSettings } from '../train/adam.js';
import { explainableLayersOf } from '../explain/explained-layer.js';
import { gradCamOfBatch } from '../explain/grad-cam.js';
import { BatchBuffer, type PassMode } from '../model/layer.js';
import { camMapsOn, inputGradientsOn } from '../explain/model-passes.js';
import { CAM_RULES } from '../explain/cam-rules.js';
import { coalitionScoresOn } from '../explain/coalition-scores.js';
import { maskedLogitsOn } from '../explain/masked-logits.js';
import { occlusionScoresOfImagesOn } from '../explain/occlusion-scores.js';
import { limeFitInto } from '../explain/ridge-fit.js';
import { smoothGradMapsOn } from '../explain/smoothgrad-maps.js';
import type { RandomState } from '../random.js';
import { XcnnError } from '../errors.js';
import { deferredWeights, rangesWithout, type DeferredWeight } from '../train/deferred-weights.js';
import { networkClassifier, perturbationCurves, type CurveRequest } from '../faithfulness/deletion-insertion.js';
import { imputationSolver } from '../faithfulness/road-imputation.js';
import {
  ACTIVATIONS, ADAM_STEP, BATCH, CAM_RULE, CORNERS, IMAGE_STARTS, IMAGES, WINDOW, FIT_SCORES, KERNEL_WIDTH, LAMBDA, OUT_FITS, SAMPLES, COALITIONS, CORRECT, FEATURE_OF, FEATURES, INPUT, LABELS, LAYER, LEARNING_RATE, LOSS, NEXT, ORDERS, OUT_CURVES, OUT_GRADIENTS, OUT_HEATMAPS,
  MAX_DENSE_PASSES, NOISE_SIGMA, NOISE_STATE, OUT_LOGITS, OUT_MAPS, OUT_SCORES, OUT_WEIGHTS, PROBS, ROAD_SIGMA, ROAD_TOLERANCE, RULE, SEEDS, shareOf, STEPS, SUM_ONLY, TARGET, TARGETS, type ControlBlock,
} from './control.js';

export interface ShardArenas {
  params: Float32Array; // shared by every thread
  m: Float32Array; // Adam's moments, shared
  v: Float32Array;
  grads: Float32Array[]; // one gradient arena per thread; grads[0] is the main network's and receives the sum
}

export class Shard {
  private readonly deferred: DeferredWeight[];
  private readonly deferredLayers: ReadonlySet<Dense>;
  private readonly zeroedRanges: [number, number][]; // what step 1 zeroes of this thread's arena: all but the deferred
  private readonly head: SoftmaxCrossEntropy; // the training loss, label smoothing and all
  private readonly plainHead: SoftmaxCrossEntropy; // PREDICT's: validation and test losses are plain cross-entropy
  private readonly dLogits: BatchBuffer<Floats>;
  private readonly copies: BatchBuffer<Floats>; // COALITION_SCORES: this thread's perturbed copies
  private readonly classes: number;
  private readonly pixels: number;

  constructor(
    private readonly backend: WasmBackend,
    private readonly network: Network,
    private readonly arenas: ShardArenas,
    private readonly adam: AdamSettings,
    private readonly seed: number,
    readonly thread: number,
    readonly threads: number,
    labelSmoothing = 0,
  ) {
    this.classes = network.outputShape[0];
    this.pixels = network.inputShape.reduce((a, b) => a * b, 1);
    this.head = new SoftmaxCrossEntropy(backend, this.classes, labelSmoothing);
    this.plainHead = labelSmoothing === 0 ? this.head : new SoftmaxCrossEntropy(backend, this.classes, 0);
    this.dLogits = BatchBuffer.floats(backend, this.classes);
    this.copies = BatchBuffer.floats(backend, this.pixels);
    this.deferred = deferredWeights(network, MAX_DENSE_PASSES); // every dense layer, or the largest the control block has room for
    this.deferredLayers = new Set(this.deferred.map((d) => d.layer));
    this.zeroedRanges = rangesWithout(0, network.grads.length, this.deferred);
  }

  /** Step 1 of TRAIN: this thread's share of forward and backward. */
  computeGradients(control: ControlBlock): void {
    const { network, head, thread } = this;
    const batch = control.sync[BATCH];
    const [start, end] = shareOf(batch, this.threads, thread);
    const n = end - start;
    for (const [a, b] of this.zeroedRanges) network.grads.fill(0, a, b);
    control.data[LOSS + thread] = 0;
    control.data[CORRECT + thread] = 0;
    if (n === 0) return;
    const { input, labels } = this.batchViews(control, start, end);
    // Each thread normalises with its share's batch statistics; only thread 0 moves the running ones.
    const mode: PassMode = { training: true, seed: this.seed, step: control.data[ADAM_STEP], firstSample: start, updateStatistics: thread === 0 };
    const loss = head.forward(network.trainingForward(input, n, mode), labels, n, true);
    const dLogits = head.dLogits!;
    const share = n / batch;
    for (let k = 0; k < dLogits.length; k++) dLogits[k] *= share;
    let correct = 0;
    for (let i = 0; i < n; i++) if (argmaxRow(head.probs!, i, this.classes) === labels[i]) correct++;
    control.data[LOSS + thread] = loss * n;
    control.data[CORRECT + thread] = correct;
    if (!Number.isFinite(loss)) return;
    network.backward(dLogits, this.deferredLayers);
    this.deferred.forEach((d, j) => {
      const { input, dOutput } = d.layer.weightGradientOperands();
      const slot = (thread * MAX_DENSE_PASSES + j) * 2;
      control.passes[slot] = input.byteOffset;
      control.passes[slot + 1] = dOutput.byteOffset;
    });
  }

  /** Step 3 of TRAIN: the gradient sum and Adam on this thread's slice of the parameters. */
  sumAndUpdate(control: ControlBlock): void {
    let lossSum = 0;
    for (let t = 0; t < this.threads; t++) lossSum += control.data[LOSS + t];
    const { params, m, v, grads } = this.arenas;
    const [lo, hi] = shareOf(params.length, this.threads, this.thread, 4);
    if (hi <= lo) return;
    if (!Number.isFinite(lossSum)) {
      // No update; the deferred weights' gradients read as zeros, as after zeroGrad.
      for (const d of this.deferred) grads[0].fill(0, Math.max(lo, d.first), Math.min(hi, d.first + d.length));
      return;
    }
    for (const [a, b] of rangesWithout(lo, hi, this.deferred)) {
      const sum = grads[0].subarray(a, b);
      for (let t = 1; t < this.threads; t++) this.backend.addInto(sum, grads[t].subarray(a, b));
    }
    this.deferred.forEach((d, j) => {
      const [a, b] = [Math.max(lo, d.first), Math.min(hi, d.first + d.length)];
      if (a >= b) return;
      const { inFeatures, outFeatures } = d.layer;
      const passes = this.densePasses(control, j, inFeatures, outFeatures);
      this.backend.denseWeightGradientElements(d.layer, passes, grads[0].subarray(d.first, d.first + d.length), a - d.first, b - a);
    });
    // Another optimiser (or clipping, which needs the whole sum) updates on the main thread after the barrier.
    if (control.data[SUM_ONLY] === 1) return;
    this.backend.adamUpdate(params.subarray(lo, hi), grads[0].subarray(lo, hi), m.subarray(lo, hi), v.subarray(lo, hi), { ...this.adam, learningRate: control.data[LEARNING_RATE], step: control.data[ADAM_STEP] });
  }

  /** The passes through the j-th deferred dense layer of the threads that had images, in thread order, from the addresses each left. */
  private densePasses(control: ControlBlock, j: number, inFeatures: number, outFeatures: number): DensePass[] {
    return Array.from({ length: this.threads }, (_, t) => t).flatMap((t) => {
      const [start, end] = shareOf(control.sync[BATCH], this.threads, t);
      const batch = end - start;
      if (batch === 0) return [];
      const slot = (t * MAX_DENSE_PASSES + j) * 2;
      return [{ input: this.backend.viewFloats(control.passes[slot], batch * inFeatures), dOutput: this.backend.viewFloats(control.passes[slot + 1], batch * outFeatures), batch }];
    });
  }

  /** PREDICT: this thread's share of the forward pass, its probabilities written into the shared output. */
  predict(control: ControlBlock): void {
    const { thread } = this;
    const [start, end] = shareOf(control.sync[BATCH], this.threads, thread);
    const n = end - start;
    control.data[LOSS + thread] = 0;
    if (n === 0) return;
    const { input, labels } = this.batchViews(control, start, end);
    const loss = this.plainHead.forward(this.network.logits(input, n), labels, n, false);
    this.backend.viewFloats(control.data[PROBS] + start * this.classes * 4, n * this.classes).set(this.plainHead.probs!);
    control.data[LOSS + thread] = loss * n;
  }

  /** GRAD_CAM: Grad-CAM of this thread's share on the block data[LAYER], its rows written into the shared output. */
  gradCam(control: ControlBlock): void {
    const [start, end] = shareOf(control.sync[BATCH], this.threads, this.thread);
    const n = end - start;
    if (n === 0) return;
    const input = this.inputView(control, start, end); // no labels: Grad-CAM's batch may come without them
    const block = explainableLayersOf(this.network)[control.data[LAYER]];
    const [channels, mapHeight, mapWidth] = block.shape;
    const rows = (slot: number, width: number) => this.backend.viewFloats(control.data[slot] + start * width * 4, n * width);
    const out = {
      logits: rows(OUT_LOGITS, this.classes),
      weights: rows(OUT_WEIGHTS, channels),
      maps: rows(OUT_MAPS, mapHeight * mapWidth),
      heatmaps: rows(OUT_HEATMAPS, this.pixels),
    };
    const target = control.data[TARGET];
    gradCamOfBatch(this.network, input, n, target < 0 ? undefined : target, out, this.dLogits.forBatch(n), block.name);
  }

  /** LOGITS: the logits of this thread's share, written into the shared output. */
  logits(control: ControlBlock): void {
    const [start, end] = shareOf(control.sync[BATCH], this.threads, this.thread);
    const n = end - start;
    if (n === 0) return;
    const input = this.inputView(control, start, end);
    this.rows(control, OUT_LOGITS, start, n, this.classes).set(this.network.logits(input, n));
  }

  /** INPUT_GRADIENTS: logits and ∂y_c/∂x of this thread's share, written into the shared output. */
  inputGradients(control: ControlBlock): void {
    const [start, end] = shareOf(control.sync[BATCH], this.threads, this.thread);
    const n = end - start;
    if (n === 0) return;
    const input = this.inputView(control, start, end);
    const targets = this.givenTargets(control, start, n, 'INPUT_GRADIENTS');
    const { logits, gradients } = inputGradientsOn(this.network, input, n, targets, this.dLogits.forBatch(n), control.data[RULE] === 1 ? 'guided' : 'ordinary');
    this.rows(control, OUT_LOGITS, start, n, this.classes).set(logits);
    this.rows(control, OUT_GRADIENTS, start, n, this.pixels).set(gradients);
  }

  /** SMOOTHGRAD_MAPS: this thread's share's SmoothGrad maps, its noise drawn here from the jumped stream (smoothgrad-maps.ts). */
  smoothGradMaps(control: ControlBlock): void {
    const total = control.sync[BATCH];
    const [start, end] = shareOf(total, this.threads, this.thread);
    const n = end - start;
    if (n === 0) return;
    const input = this.inputView(control, start, end);
    const targets = Int32Array.from(this.backend.viewInts(control.data[TARGETS] + start * 4, n));
    const [, height, width] = this.network.inputShape;
    const maps = this.float64At(control.data[OUT_MAPS] + start * height * width * 8, n * height * width);
    const state: RandomState = [0, 1, 2, 3].map((k) => control.data[NOISE_STATE + k]) as RandomState;
    const dLogits = this.dLogits.forBatch(n);
    const noisy = this.network.workspace.floats('smoothgrad.noisy', this.pixels).forBatch(n);
    const gradientsOf = (x: Floats) => inputGradientsOn(this.network, x, n, targets, dLogits).gradients;
    smoothGradMapsOn(this.network.inputShape, input, start, n, total, control.data[SAMPLES], control.data[NOISE_SIGMA], state, gradientsOf, noisy, maps);
  }

  /** CAM_MAPS: logits and CAM maps of this thread's share, and the classes explained, written into the shared output. */
  camMaps(control: ControlBlock): void {
    const [start, end] = shareOf(control.sync[BATCH], this.threads, this.thread);
    const n = end - start;
    if (n === 0) return;
    const input = this.inputView(control, start, end);
    const targets = this.givenTargets(control, start, n, 'CAM_MAPS');
    const rule = CAM_RULES[control.data[CAM_RULE]];
    const block = explainableLayersOf(this.network)[control.data[LAYER]];
    const [, mapHeight, mapWidth] = block.shape;
    const maps = this.rows(control, OUT_MAPS, start, n, mapHeight * mapWidth);
    const { logits, targets: chosen } = camMapsOn(this.network, input, n, targets, rule, this.dLogits.forBatch(n), maps, block.name);
    this.rows(control, OUT_LOGITS, start, n, this.classes).set(logits.subarray(0, n * this.classes));
    this.backend.viewInts(control.data[TARGETS] + start * 4, n).set(chosen);
  }

  /** COALITION_SCORES: this thread's share of the image's coalition copies, made here, and their scores. */
  coalitionScores(control: ControlBlock): void {
    const [start, end] = shareOf(control.sync[BATCH], this.threads, this.thread);
    const n = end - start;
    if (n === 0) return;
    const [, height, width] = this.network.inputShape;
    const features = control.data[FEATURES];
    const featureOf = this.backend.viewInts(control.data[FEATURE_OF], height * width);
    // The coalitions are bytes: a view of the ints that cover them.
    const covering = this.backend.viewInts(control.data[COALITIONS], Math.ceil((end * features) / 4));
    const coalitions = new Uint8Array(covering.buffer, covering.byteOffset + start * features, n * features);
    const scores = coalitionScoresOn(this.network, this.inputView(control, 0, 1), control.data[TARGET], featureOf, features, coalitions, n, this.copies);
    this.rows(control, OUT_SCORES, start, n, 1).set(scores);
  }

  /** OCCLUSION_SCORES: this thread's share of the images' occluded copies (one run, across images), made here, and their scores. */
  occlusionScores(control: ControlBlock): void {
    const [start, end] = shareOf(control.sync[BATCH], this.threads, this.thread);
    const n = end - start;
    if (n === 0) return;
    const images = control.data[IMAGES];
    const corners = this.backend.viewInts(control.data[CORNERS] + start * 2 * 4, n * 2);
    const targets = this.backend.viewInts(control.data[TARGETS], images);
    const starts = this.backend.viewInts(control.data[IMAGE_STARTS], images + 1);
    const scores = occlusionScoresOfImagesOn(this.network, this.inputView(control, 0, images), targets, control.data[WINDOW], starts, corners, start, n, this.copies);
    this.rows(control, OUT_SCORES, start, n, 1).set(scores);
  }

  /** MASKED_LOGITS: this thread's share of Score-CAM's K + 1 copies of each image, made here, and their logits. */
  maskedLogits(control: ControlBlock): void {
    const [start, end] = shareOf(control.sync[BATCH], this.threads, this.thread);
    const n = end - start;
    if (n === 0) return;
    const [maskCount, mapHeight, mapWidth] = explainableLayersOf(this.network)[control.data[LAYER]].shape;
    const images = control.sync[BATCH] / (maskCount + 1);
    const activations = this.float64At(control.data[ACTIVATIONS], images * maskCount * mapHeight * mapWidth);
    maskedLogitsOn(this.network, this.inputView(control, 0, images), activations, mapHeight, mapWidth, start, n, this.copies, this.rows(control, OUT_LOGITS, start, n, this.classes), images);
  }

  /** LIME_FITS: LIME's fit of each image of this thread's share, written as its row of the shared fits. */
  limeFits(control: ControlBlock): void {
    const count = control.sync[BATCH];
    const [start, end] = shareOf(count, this.threads, this.thread);
    if (end === start) return;
    const [features, samples] = [control.data[FEATURES], control.data[SAMPLES]];
    // Bytes: a view of the floats that cover them (the address is 16-byte aligned).
    const coveringBytes = this.backend.viewFloats(control.data[COALITIONS], Math.ceil((count * samples * features) / 4));
    const coalitions = new Uint8Array(coveringBytes.buffer, coveringBytes.byteOffset, count * samples * features);
    const scores = this.float64At(control.data[FIT_SCORES], count * samples);
    const fits = this.float64At(control.data[OUT_FITS], count * (features + 1));
    const options = { kernelWidth: control.data[KERNEL_WIDTH], lambda: control.data[LAMBDA] };
    for (let b = start; b < end; b++) limeFitInto(coalitions, scores, features, samples, b, options, fits);
  }

  /**
   * CURVES: the deletion/insertion curves of the requests this thread takes, one at a time from the shared
   * counter until none is left (the ROAD solves' cost varies with the order, so a fixed split would leave
   * a thread waiting). Which thread computes a request does not change its curves: each has its own seed.
   */
  curves(control: ControlBlock): void {
    const count = control.sync[BATCH];
    const [, height, width] = this.network.inputShape;
    const planePixels = height * width;
    const steps = control.data[STEPS];
    const points = steps + 1;
    const options = { steps, road: { sigma: control.data[ROAD_SIGMA], tolerance: control.data[ROAD_TOLERANCE] } };
    const classify = networkClassifier(this.network);
    const solve = imputationSolver(this.backend);
    for (let r = Atomics.add(control.sync, NEXT, 1); r < count; r = Atomics.add(control.sync, NEXT, 1)) {
      const request: CurveRequest = {
        image: Float32Array.from(this.inputView(control, r, r + 1)),
        order: Int32Array.from(this.backend.viewInts(control.data[ORDERS] + r * planePixels * 4, planePixels)),
        target: this.backend.viewInts(control.data[TARGETS] + r * 4, 1)[0],
        seed: this.backend.viewInts(control.data[SEEDS] + r * 4, 1)[0] >>> 0,
      };
      const [curve] = perturbationCurves(classify, [request], height, width, options, solve);
      const out = this.rows(control, OUT_CURVES, r, 1, 4 * points);
      [curve.deletion.zero, curve.deletion.road, curve.insertion.zero, curve.insertion.road].forEach((values, c) => out.set(values, c * points));
    }
  }

  /** Gives back its loss head and scratch (the pool's close, and a worker as it exits). */
  dispose(): void {
    this.head.dispose();
    if (this.plainHead !== this.head) this.plainHead.dispose();
    this.dLogits.release();
    this.copies.release();
  }

  /** The classes of images [start, start + n) in the shared targets (−1: each image's predicted class, as undefined). */
  private givenTargets(control: ControlBlock, start: number, n: number, command: string): Int32Array | undefined {
    const given = this.backend.viewInts(control.data[TARGETS] + start * 4, n);
    if (given.every((c) => c < 0)) return undefined;
    if (given.some((c) => c < 0)) throw new XcnnError(`${command}: some targets are given and some are not; give every image a class or none`, { code: 'ERR_BAD_ARGUMENT' });
    return Int32Array.from(given);
  }

  /** `length` float64 values at byte `address` of the shared memory: a view of the floats that cover them (the pool's addresses are 8-byte aligned). */
  private float64At(address: number, length: number): Float64Array {
    const covering = this.backend.viewFloats(address, 2 * length);
    return new Float64Array(covering.buffer, covering.byteOffset, length);
  }

  /** Rows [start, start + n) of `width` floats of the shared output whose address is in data[slot]. */
  private rows(control: ControlBlock, slot: number, start: number, n: number, width: number): Float32Array {
    return this.backend.viewFloats(control.data[slot] + start * width * 4, n * width);
  }

  /** The input rows of images [start, end) (the commands without labels). */
  private inputView(control: ControlBlock, start: number, end: number): Floats {
    return this.backend.viewFloats(control.data[INPUT] + start * this.pixels * 4, (end - start) * this.pixels);
  }

  private batchViews(control: ControlBlock, start: number, end: number): { input: Floats; labels: Int32Array } {
    return {
      input: this.backend.viewFloats(control.data[INPUT] + start * this.pixels * 4, (end - start) * this.pixels),
      labels: this.backend.viewInts(control.data[LABELS] + start * 4, end - start),
    };
  }
}
