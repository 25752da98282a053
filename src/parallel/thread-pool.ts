/**
 * Training and evaluation on every core: a pool of worker threads over the wasm backend's shared
 * memory (SharedArrayBuffer + Atomics: a step exchanges no messages), each running the same kernels on
 * its share of the batch (shard.ts says what each thread does and in which fixed order, so a run with a
 * given seed and thread count is reproducible bit for bit). The calling thread is thread 0 and works too.
 *
 * The pool is a TrainStep and a BatchPredictor, so the trainer and `predict` use it as they use one
 * thread. Its Adam state is the optimiser's own (m, v, step), so checkpoints work unchanged.
 */
import { checkInstance, checkList, checkModel, checkOptimizer } from '../argument-checks.js';
import type { BackendName, Floats } from '../backend/backend.js';
import { WasmBackend } from '../backend/wasm/wasm-backend.js';
import type { LoadedBatch } from '../data/batch.js';
import { optionError, XcnnError } from '../errors.js';
import type { BatchPredictor } from '../eval/predict.js';
import { BatchBuffer } from '../model/layer.js';
import { geometryOf, type Network } from '../model/network.js';
import { ADAM_DEFAULTS } from '../train/adam.js';
import type { Optimizer } from '../train/optimizer.js';
import { isPlainAdam } from '../train/recipe.js';
import type { StepResult, TrainStep } from '../train/step.js';
import { ADAM_STEP, BATCH, Command, COMMAND, COMPUTED, ControlBlock, CORRECT, FAILED, GENERATION, INPUT, LABELS, LEARNING_RATE, LOSS, MAX_THREADS, OUT_HEATMAPS, OUT_LOGITS, OUT_MAPS, OUT_WEIGHTS, PROBS, SUM_ONLY, TARGET, UPDATED } from './control.js';
import type { GradCamRows, GradCamRunner } from '../explain/grad-cam.js';
import type { Workspace } from '../model/workspace.js';
import { Shard } from './shard.js';
import { argmaxRow } from '../model/loss.js';
import { NEXT, ORDERS, OUT_CURVES, OUT_GRADIENTS, ROAD_SIGMA, ROAD_TOLERANCE, RULE, SEEDS, SPIN, SPIN_MICROSECONDS, STEPS, TARGETS } from './control.js';
import { networkPasses, type CamMaps, type CamRule, type GradientRule, type InputGradients, type ModelPasses } from '../explain/model-passes.js';
import { camRuleIndex } from '../explain/cam-rules.js';
import { checkMaskActivations, checkMaskedImages } from '../explain/masked-logits.js';
import { checkOcclusionImages } from '../explain/occlusion-scores.js';
import type { LimeOptions } from '../explain/ridge-fit.js';
import { explainableLayersOf, explainedLayer } from '../explain/explained-layer.js';
import { ACTIVATIONS, CAM_RULE, COALITIONS, CORNERS, FEATURE_OF, FEATURES, FIT_SCORES, IMAGE_STARTS, IMAGES, KERNEL_WIDTH, LAMBDA, LAYER, NOISE_SIGMA, NOISE_STATE, OUT_FITS, OUT_SCORES, SAMPLES, WINDOW } from './control.js';
import type { Targets } from '../explain/explanation.js';
import { CURVE_DEFAULTS, type CurveOptions, type CurveRequest, type CurvesRunner, type ImageCurves } from '../faithfulness/deletion-insertion.js';
import { ROAD_DEFAULTS } from '../faithfulness/road-imputation.js';
import type { WorkerSetup } from './worker.js';
import { availableCores, startPoolThread } from './node-transport.js'; // in a page, web-transport.ts (page-files.ts)
import type { PoolThread } from './pool-thread.js';
import { checkSmoothGradPass, smoothGradDraws } from '../explain/smoothgrad-maps.js';
import type { Random } from '../random.js';

/**
 * `length` float64 values over `floats` of the pool's memory, two floats a value: how the threads exchange float64
 * arrays (the arena's 16-byte alignment suits a Float64Array).
 */
function float64Over(floats: Floats, length: number): Float64Array {
  return new Float64Array(floats.buffer, floats.byteOffset, length);
}

/** The cores this machine offers: the default thread count. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_THREADS, availableCores()));
}

/** A thread count the named backend can run: 1 to MAX_THREADS, and more than 1 only on wasm. */
export function checkThreads(threads: number, backend: BackendName): void {
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > MAX_THREADS) throw optionError('threads', `threads: ${threads} is not a whole number from 1 to ${MAX_THREADS}`);
  if (threads > 1 && backend !== 'wasm') throw optionError('threads', `threads ${threads} needs the wasm backend; the ts reference runs on one thread`);
}

export class ThreadPool implements TrainStep, BatchPredictor, ModelPasses, CurvesRunner {
  readonly backend: WasmBackend;
  readonly inputShape: number[];
  readonly outputShape: number[];
  private readonly control: ControlBlock;
  private readonly probs: BatchBuffer<Floats>;
  /** Grad-CAM's output rows, shared by the threads, by block (made on a block's first batch). */
  private readonly gradCamRows = new Map<string, Record<keyof GradCamRows, BatchBuffer<Floats>>>();
  /** The explanation passes' and the curves' shared rows (made on first use; model-passes.ts, faithfulness). */
  private readonly passRows = new Map<string, BatchBuffer<Floats> | BatchBuffer<Int32Array>>();
  /**
   * Arrays that are not rows of a batch (a pass's coalition bytes, its scores), grown to fit: a BatchBuffer
   * would raise the backend's batch capacity to their length, and every network buffer grown after with it.
   */
  private readonly scratch = new Map<string, Floats | Int32Array>();
  private closed = false;

  private constructor(
    private readonly network: Network,
    private readonly optimizer: Optimizer | null,
    private readonly shard: Shard,
    private readonly workerGrads: Float32Array[],
    private readonly workers: PoolThread[],
    control: ControlBlock,
  ) {
    // The constructor is internal, but JavaScript can call it: what only create() makes is refused by name.
    checkModel('ThreadPool', 'network', network);
    if (optimizer !== null) checkOptimizer('ThreadPool', 'optimizer', optimizer);
    const made = 'ThreadPool.create(network, threads) makes it: call that instead of the constructor';
    checkInstance('ThreadPool', 'shard', shard, Shard, `a Shard (${made})`);
    checkList('ThreadPool', 'workerGrads', workerGrads, `gradient arrays (${made})`);
    checkList('ThreadPool', 'workers', workers, `worker threads (${made})`);
    checkInstance('ThreadPool', 'control', control, ControlBlock, `a ControlBlock (${made})`);
    this.backend = network.backend as WasmBackend;
    this.inputShape = network.inputShape;
    this.outputShape = network.outputShape;
    this.control = control;
    this.probs = BatchBuffer.floats(network.backend, network.outputShape[0]);
  }

  /** The network's workspace: `predict` keeps its batches there (BatchPredictor). */
  get workspace(): Workspace {
    return this.network.workspace;
  }

  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `threads − 1` workers beside the calling thread. The network must be on the wasm backend.
   * Without an optimiser the pool only predicts. `seed` seeds dropout's masks (the run's seed);
   * `labelSmoothing` is the training loss's (loss.ts). Plain Adam updates on every thread, each its slice;
   * any other optimiser (or clipping) on the main thread, once the threads have summed the gradients.
   */
  static async create(network: Network, threads: number, optimizer: Optimizer | null = null, seed = 0, labelSmoothing = 0): Promise<ThreadPool> {
  checkModel('ThreadPool.create', 'network', network);
    const backend = network.backend;
    checkThreads(threads, backend.name);
    if (!(backend instanceof WasmBackend)) throw new XcnnError('a thread pool needs the wasm backend', { code: 'ERR_BAD_ARGUMENT' });
    const control = new ControlBlock();
    control.sync[SPIN] = threads <= availableCores() ? SPIN_MICROSECONDS : 0;
    const count = network.params.length;
    const workerGrads = Array.from({ length: threads - 1 }, () => backend.allocFloats(count));
    const grads = [network.grads as Float32Array, ...workerGrads];
    // Without an optimiser there is no Adam state; the parameters stand in for it and are never updated.
    // So do they for an optimiser other than plain Adam: the threads only sum its gradients.
    const moments = optimizer !== null && isPlainAdam(optimizer) ? optimizer : { m: network.params, v: network.params, settings: ADAM_DEFAULTS };
    const arenas = { params: network.params as Float32Array, m: moments.m as Float32Array, v: moments.v as Float32Array, grads };
    const shard = new Shard(backend, network, arenas, moments.settings, seed, 0, threads, labelSmoothing);
    const spec = network.spec;
    if (spec === null) throw new XcnnError('ThreadPool.create: the network has no spec; a thread pool needs a network built from one (createNetwork), since its workers build their twins from it', { code: 'ERR_BAD_ARGUMENT' });
    const geometry = geometryOf(network);
    const started: PoolThread[] = [];
    const ready = Promise.all(
      Array.from({ length: threads - 1 }, (_, k) => {
        const setup: WorkerSetup = {
          shared: backend.shared,
          control: control.buffer,
          thread: k + 1,
          threads,
          spec,
          geometry,
          seed,
          adam: moments.settings,
          labelSmoothing,
          parameterCount: count,
          bufferCount: network.buffers.length,
          addresses: { params: arenas.params.byteOffset, m: arenas.m.byteOffset, v: arenas.v.byteOffset, grads: grads.map((g) => g.byteOffset), buffers: network.buffers.byteOffset },
        };
        const worker = startPoolThread(setup);
        started.push(worker);
        return worker.ready.then(() => worker);
      }),
    );
    try {
      const workers = await ready;
      // An idle pool must not keep the process alive: a program that forgets close() still exits when
      // its own work is done (the workers are stopped with it). close() refs them again to wait for their exit.
      for (const worker of workers) worker.keepAlive(false);
      return new ThreadPool(network, optimizer, shard, workerGrads, workers, control);
    } catch (error) {
      // Leave nothing running: a live worker would keep the process from exiting.
      await Promise.all(started.map((worker) => worker.terminate()));
      shard.dispose();
      for (const g of workerGrads) backend.free(g);
      throw error;
    }
  }

  /** One optimiser step on every thread (TrainStep). */
  run(batch: LoadedBatch): StepResult {
    const optimizer = this.optimizer;
    if (optimizer === null) throw new XcnnError('this thread pool was made without an optimiser: it can only predict', { code: 'ERR_BAD_ARGUMENT' });
    const sharded = isPlainAdam(optimizer);
    const setUp = () => {
      this.data[ADAM_STEP] = optimizer.step + 1;
      this.data[LEARNING_RATE] = optimizer.learningRate;
      this.data[SUM_ONLY] = sharded ? 0 : 1;
    };
    this.computeOnEveryThread(Command.TRAIN, batch, setUp, () => this.shard.computeGradients(this.control));
    const { loss, correct } = this.totals(batch.size);
    if (Atomics.load(this.control.sync, FAILED) === 0) this.shard.sumAndUpdate(this.control);
    this.control.arrive(UPDATED);
    this.control.waitFor(UPDATED, this.threads);
    this.control.throwIfFailed();
    if (Number.isFinite(loss)) {
      // The summed gradient is in the network's grad arena (grads[0]) now.
      if (sharded) optimizer.step += 1;
      else optimizer.update();
    }
    return { loss, correct };
  }

  /** Probabilities of a batch, computed on every thread (BatchPredictor). */
  predictBatch(batch: LoadedBatch): { probs: Floats; lossSum: number } {
    const probs = this.probs.forBatch(batch.size);
    this.computeOnEveryThread(Command.PREDICT, batch, () => (this.data[PROBS] = probs.byteOffset), () => this.shard.predict(this.control));
    this.control.throwIfFailed();
    return { probs, lossSum: this.totals(batch.size).loss * batch.size };
  }

  /**
   * A Grad-CAM runner (see explain/grad-cam.ts) that splits each batch over every thread, for any conv block:
   * each thread runs gradCamOfBatch on its share of the block the runner is given.
   */
  gradCamRunner(): GradCamRunner {
    const pixels = this.network.inputShape.reduce((a, b) => a * b, 1);
    return (batch, targetClass, out, layer) => {
      const blocks = explainableLayersOf(this.network);
      const explained = explainedLayer(this.network, layer);
      const [channels, mapHeight, mapWidth] = explained.shape;
      // A block's rows: the shared outputs are rows of fixed widths, so each block gets its own.
      const shared = this.gradCamRows.get(explained.name) ?? {
        logits: BatchBuffer.floats(this.backend, this.outputShape[0]),
        weights: BatchBuffer.floats(this.backend, channels),
        maps: BatchBuffer.floats(this.backend, mapHeight * mapWidth),
        heatmaps: BatchBuffer.floats(this.backend, pixels),
      };
      this.gradCamRows.set(explained.name, shared);
      const rows = { logits: shared.logits.forBatch(batch.size), weights: shared.weights.forBatch(batch.size), maps: shared.maps.forBatch(batch.size), heatmaps: shared.heatmaps.forBatch(batch.size) };
      const setOutputs = () => {
        this.data[TARGET] = targetClass ?? -1;
        this.data[LAYER] = blocks.findIndex((block) => block.name === explained.name);
        this.data[OUT_LOGITS] = rows.logits.byteOffset;
        this.data[OUT_WEIGHTS] = rows.weights.byteOffset;
        this.data[OUT_MAPS] = rows.maps.byteOffset;
        this.data[OUT_HEATMAPS] = rows.heatmaps.byteOffset;
      };
      this.computeOnEveryThread(Command.GRAD_CAM, batch, setOutputs, () => this.shard.gradCam(this.control));
      this.control.throwIfFailed();
      for (const key of ['logits', 'weights', 'maps', 'heatmaps'] as const) out[key].set(rows[key]);
    };
  }

  /** The logits [size, classes] of `input` [size, C, H, W] (in the pool's memory), the batch split over every thread (ModelPasses). */
  logits(input: Floats, size: number): Floats {
    const logits = this.floatRows('logits', this.outputShape[0]).forBatch(size);
    this.computeOnEveryThread(Command.LOGITS, { input, size }, () => (this.data[OUT_LOGITS] = logits.byteOffset), () => this.shard.logits(this.control));
    this.control.throwIfFailed();
    return logits;
  }

  /** Forward, one-hot dLogits and backward to the input, the batch split over every thread (ModelPasses). */
  inputGradients(input: Floats, size: number, targets: Targets, rule: GradientRule = 'ordinary'): InputGradients {
    const classes = this.outputShape[0];
    const logits = this.floatRows('logits', classes).forBatch(size);
    const gradients = this.floatRows('gradients', this.inputShape.reduce((a, b) => a * b, 1)).forBatch(size);
    const chosen = this.targetRows(size, targets);
    const setData = () => {
      this.data[OUT_LOGITS] = logits.byteOffset;
      this.data[OUT_GRADIENTS] = gradients.byteOffset;
      this.data[TARGETS] = chosen.byteOffset;
      this.data[RULE] = rule === 'guided' ? 1 : 0;
    };
    this.computeOnEveryThread(Command.INPUT_GRADIENTS, { input, size }, setData, () => this.shard.inputGradients(this.control));
    this.control.throwIfFailed();
    const resolved = Int32Array.from(chosen);
    if (targets === undefined) for (let b = 0; b < size; b++) resolved[b] = argmaxRow(logits, b, classes);
    return { logits, targets: resolved, gradients };
  }

  /**
   * Every image's map by a CAM rule (cam-rules.ts) on the block `layer` (default the last), the batch split over
   * every thread, each running forward, backward to the block and the rule on its share (ModelPasses). A rule
   * the workers do not know (a method made with camMethod and a combine of one's own) runs on this thread.
   */
  camMaps(input: Floats, size: number, targets: Targets, rule: CamRule, layer?: string): CamMaps {
    const ruleIndex = camRuleIndex(rule);
    if (ruleIndex < 0) return networkPasses(this.network).camMaps(input, size, targets, rule, layer);
    const explained = explainedLayer(this.network, layer);
    const layerIndex = explainableLayersOf(this.network).findIndex((block) => block.name === explained.name);
    const [, mapHeight, mapWidth] = explained.shape;
    const logits = this.floatRows('logits', this.outputShape[0]).forBatch(size);
    const maps = this.floatRows(`cam-maps ${mapHeight * mapWidth}`, mapHeight * mapWidth).forBatch(size);
    const chosen = this.targetRows(size, targets);
    const setData = () => {
      this.data[OUT_LOGITS] = logits.byteOffset;
      this.data[OUT_MAPS] = maps.byteOffset;
      this.data[TARGETS] = chosen.byteOffset;
      this.data[CAM_RULE] = ruleIndex;
      this.data[LAYER] = layerIndex;
    };
    this.computeOnEveryThread(Command.CAM_MAPS, { input, size }, setData, () => this.shard.camMaps(this.control));
    this.control.throwIfFailed();
    // Each thread wrote the classes it chose over the given ones (−1: predicted).
    return { logits, targets: Int32Array.from(chosen), maps };
  }

  /**
   * y_c of `count` coalition copies of `image` (coalition-scores.ts), the copies split over every thread, each
   * making its own share from the image, the patches and the coalitions: the calling thread copies only the
   * coalitions, M bytes a copy (ModelPasses).
   */
  coalitionScores(image: Floats, target: number, featureOf: Int32Array, features: number, coalitions: Uint8Array, count: number): Float64Array {
    const imageSize = this.inputShape.reduce((a, b) => a * b, 1);
    const [, height, width] = this.inputShape;
    if (image.length !== imageSize || featureOf.length !== height * width || coalitions.length < count * features) {
      throw new XcnnError(`coalitionScores: the image has ${image.length} values, featureOf ${featureOf.length} pixels and the coalitions ${coalitions.length} bytes; the model takes ${imageSize} values and ${height * width} pixels, and ${count} coalitions of ${features} patches need ${count * features} bytes`, { code: 'ERR_BAD_ARGUMENT' });
    }
    if (count === 0) return new Float64Array(0);
    // The image is usually a row of a batch already in the pool's memory; one from elsewhere is copied in.
    const input = this.backend.owns(image) ? image : this.scratchFloats('coalition image', imageSize);
    if (input !== image) input.set(image);
    const patches = this.scratchInts('coalition patches', featureOf.length);
    patches.set(featureOf);
    const covering = this.scratchInts('coalitions', Math.ceil((count * features) / 4));
    new Uint8Array(covering.buffer, covering.byteOffset, count * features).set(coalitions.subarray(0, count * features));
    const scores = this.scratchFloats('coalition scores', count);
    const setData = () => {
      this.data[TARGET] = target;
      this.data[FEATURE_OF] = patches.byteOffset;
      this.data[FEATURES] = features;
      this.data[COALITIONS] = covering.byteOffset;
      this.data[OUT_SCORES] = scores.byteOffset;
    };
    this.computeOnEveryThread(Command.COALITION_SCORES, { input, size: count }, setData, () => this.shard.coalitionScores(this.control));
    this.control.throwIfFailed();
    return Float64Array.from(scores.subarray(0, count));
  }

  /**
   * y_c of `count` occluded copies of `image` (occlusion-scores.ts), the copies split over every thread, each
   * making its own share from the image, the window and the corners [count, 2] (ModelPasses).
   */
  occlusionScores(image: Floats, target: number, window: number, corners: Int32Array, count: number): Float64Array {
    const [, height, width] = this.inputShape;
    if (corners.length < 2 * count || !(Number.isSafeInteger(window) && window >= 1 && window <= Math.min(height, width))) {
      throw new XcnnError(`occlusionScores: ${count} windows of ${window} pixels need ${2 * count} corners and a side from 1 to ${Math.min(height, width)}; ${corners.length} corners were given`, { code: 'ERR_BAD_ARGUMENT' });
    }
    if (count === 0) return new Float64Array(0);
    return this.occludedScores(this.imageInPool(image, 'occlusionScores'), Int32Array.of(target), window, Int32Array.of(0, count), corners);
  }

  /**
   * occlusionScores of several images in one command (ModelPasses): every image's copies split over the threads as
   * one run, a thread's share spanning images.
   */
  occlusionScoresOfImages(images: Floats, targets: Int32Array, window: number, starts: Int32Array, corners: Int32Array): Float64Array {
    const count = checkOcclusionImages(images, targets, window, starts, corners, this.inputShape, this.outputShape[0], 'occlusionScoresOfImages');
    if (count === 0) return new Float64Array(0);
    return this.occludedScores(this.inPool(images), targets, window, starts, corners);
  }

  // OCCLUSION_SCORES of the images in the pool's memory, image b's copies starts[b] … starts[b + 1] − 1 (count > 0).
  private occludedScores(input: Floats, targets: Int32Array, window: number, starts: Int32Array, corners: Int32Array): Float64Array {
    const images = targets.length;
    const count = starts[images];
    const shared = this.scratchInts('occlusion corners', 2 * count);
    shared.set(corners.subarray(0, 2 * count));
    const sharedTargets = this.scratchInts('occlusion targets', images);
    sharedTargets.set(targets);
    const sharedStarts = this.scratchInts('occlusion starts', images + 1);
    sharedStarts.set(starts);
    const scores = this.scratchFloats('occlusion scores', count);
    const setData = () => {
      this.data[IMAGES] = images;
      this.data[TARGETS] = sharedTargets.byteOffset;
      this.data[IMAGE_STARTS] = sharedStarts.byteOffset;
      this.data[WINDOW] = window;
      this.data[CORNERS] = shared.byteOffset;
      this.data[OUT_SCORES] = scores.byteOffset;
    };
    this.computeOnEveryThread(Command.OCCLUSION_SCORES, { input, size: count }, setData, () => this.shard.occlusionScores(this.control));
    this.control.throwIfFailed();
    return Float64Array.from(scores.subarray(0, count));
  }

  /**
   * The logits [K + 1, classes] of Score-CAM's copies of `image` (masked-logits.ts): the K + 1 split over every
   * thread, each making its own share — the masks' resizing included — from the image and the block's
   * activations [K, h, w] (ModelPasses). With `images` > 1, the images' B·(K + 1) copies split likewise, in one
   * command: [B·(K + 1), classes].
   */
  maskedLogits(image: Floats, activations: Float64Array, layer?: string, images = 1): Floats {
    const explained = explainedLayer(this.network, layer);
    const [maskCount, mapHeight, mapWidth] = explained.shape;
    const length = images * maskCount * mapHeight * mapWidth;
    checkMaskedImages(image, images, this.inputShape, 'maskedLogits');
    checkMaskActivations(activations, explained, 'maskedLogits', images);
    const input = this.inPool(image);
    const covering = this.scratchFloats('masked activations', 2 * length);
    float64Over(covering, length).set(activations);
    // Every image's K + 1 copies in turn, split over the threads as one batch (a thread's share may span images).
    const copies = images * (maskCount + 1);
    const logits = this.floatRows('logits', this.outputShape[0]).forBatch(copies);
    const setData = () => {
      this.data[ACTIVATIONS] = covering.byteOffset;
      this.data[LAYER] = explainableLayersOf(this.network).findIndex((block) => block.name === explained.name);
      this.data[OUT_LOGITS] = logits.byteOffset;
    };
    this.computeOnEveryThread(Command.MASKED_LOGITS, { input, size: copies }, setData, () => this.shard.maskedLogits(this.control));
    this.control.throwIfFailed();
    return logits;
  }

  /**
   * LIME's fits of `count` images (ridge-fit.ts) from their coalitions [count, samples, M] and scores [count,
   * samples], the images split over every thread: [count, M + 1] float64, each image's β then its intercept,
   * the same numbers as on one thread (ModelPasses).
   */
  limeFits(coalitions: Uint8Array, scores: Float64Array, features: number, samples: number, count: number, options: LimeOptions): Float64Array {
    if (coalitions.length < count * samples * features || scores.length < count * samples) {
      throw new XcnnError(`limeFits: ${count} images of ${samples} coalitions of ${features} patches need ${count * samples * features} coalition bytes and ${count * samples} scores; ${coalitions.length} and ${scores.length} were given`, { code: 'ERR_BAD_ARGUMENT' });
    }
    if (count === 0) return new Float64Array(0);
    const bytes = count * samples * features;
    const sharedCoalitions = this.scratchFloats('fit coalitions', Math.ceil(bytes / 4));
    new Uint8Array(sharedCoalitions.buffer, sharedCoalitions.byteOffset, bytes).set(coalitions.subarray(0, bytes));
    const sharedScores = this.scratchFloats('fit scores', 2 * count * samples);
    float64Over(sharedScores, count * samples).set(scores.subarray(0, count * samples));
    const fitsLength = count * (features + 1);
    const sharedFits = this.scratchFloats('fits', 2 * fitsLength);
    const setData = () => {
      this.data[COALITIONS] = sharedCoalitions.byteOffset;
      this.data[FEATURES] = features;
      this.data[SAMPLES] = samples;
      this.data[FIT_SCORES] = sharedScores.byteOffset;
      this.data[KERNEL_WIDTH] = options.kernelWidth;
      this.data[LAMBDA] = options.lambda;
      this.data[OUT_FITS] = sharedFits.byteOffset;
    };
    // No image rows: the command's input is only there to be in the pool's memory.
    this.computeOnEveryThread(Command.LIME_FITS, { input: sharedScores, size: count }, setData, () => this.shard.limeFits(this.control));
    this.control.throwIfFailed();
    return Float64Array.from(float64Over(sharedFits, fitsLength));
  }

  /**
   * SmoothGrad's maps [size, H·W] of `input` [size, C, H, W] for the classes `targets` (ModelPasses): every thread makes
   * its share's noisy copies, drawing their noise from `random`'s stream jumped ahead to them, and runs their passes,
   * all in one command; `random` then moves on past the batch's draws. The maps networkPasses gives, bit for bit.
   */
  smoothGradMaps(input: Floats, size: number, targets: Int32Array, samples: number, sigma: number, random: Random): Float64Array {
    checkSmoothGradPass(input, size, targets, samples, sigma, random, this.inputShape, this.outputShape[0], 'smoothGradMaps');
    const [, height, width] = this.inputShape;
    const imageSize = this.inputShape.reduce((a, b) => a * b, 1);
    if (size === 0) return new Float64Array(0);
    const images = this.inPool(input.subarray(0, size * imageSize));
    const chosen = this.targetRows(size, targets);
    const maps = this.scratchFloats('smoothgrad maps', 2 * size * height * width); // float64 values, two floats each
    const state = random.state();
    const setData = () => {
      this.data[TARGETS] = chosen.byteOffset;
      this.data[SAMPLES] = samples;
      this.data[NOISE_SIGMA] = sigma;
      for (let k = 0; k < 4; k++) this.data[NOISE_STATE + k] = state[k];
      this.data[OUT_MAPS] = maps.byteOffset;
    };
    this.computeOnEveryThread(Command.SMOOTHGRAD_MAPS, { input: images, size }, setData, () => this.shard.smoothGradMaps(this.control));
    this.control.throwIfFailed();
    random.jump(smoothGradDraws(samples, size, imageSize));
    return Float64Array.from(float64Over(maps, size * height * width));
  }

  /** One image [C, H, W] in the pool's memory: itself when it is there already (a row of a batch), else a copy. */
  private imageInPool(image: Floats, pass: string): Floats {
    const imageSize = this.inputShape.reduce((a, b) => a * b, 1);
    if (image.length !== imageSize) throw new XcnnError(`${pass}: the image has ${image.length} values; the model takes ${imageSize} (${this.inputShape.join(' × ')})`, { code: 'ERR_BAD_ARGUMENT' });
    return this.inPool(image);
  }

  /** `values` where the threads can read them: themselves when they live in the pool's memory, else a copy in its scratch. */
  private inPool(values: Floats): Floats {
    if (this.backend.owns(values)) return values;
    const input = this.scratchFloats('pass image', values.length);
    input.set(values);
    return input;
  }

  /**
   * The deletion/insertion curves of `requests` (deletion-insertion.ts), the requests split over every
   * thread, each computed from its own seed: the same curves as perturbationCurves on one thread (CurvesRunner).
   */
  curves(requests: CurveRequest[], height: number, width: number, options: Partial<CurveOptions> = {}): ImageCurves[] {
    const count = requests.length;
    if (count === 0) return [];
    const { steps, road } = { ...CURVE_DEFAULTS, ...options };
    const { sigma, tolerance } = { ...ROAD_DEFAULTS, ...road };
    const imageSize = this.inputShape.reduce((a, b) => a * b, 1);
    const pixels = height * width;
    const points = steps + 1;
    const images = this.floatRows('curve-images', imageSize).forBatch(count);
    const orders = this.intRows('curve-orders', pixels).forBatch(count);
    const targets = this.intRows('targets', 1).forBatch(count);
    const seeds = this.intRows('curve-seeds', 1).forBatch(count);
    const curves = this.floatRows(`curves ${points}`, 4 * points).forBatch(count);
    requests.forEach((request, r) => {
      if (request.image.length !== imageSize || request.order.length !== pixels) throw new XcnnError(`curves: request ${r} has ${request.image.length} values and ${request.order.length} pixels in its order; the model takes ${imageSize} and ${pixels}`, { code: 'ERR_BAD_ARGUMENT' });
      images.set(request.image, r * imageSize);
      orders.set(request.order, r * pixels);
      targets[r] = request.target;
      seeds[r] = request.seed | 0;
    });
    const setData = () => {
      this.data[ORDERS] = orders.byteOffset;
      this.data[TARGETS] = targets.byteOffset;
      this.data[SEEDS] = seeds.byteOffset;
      this.data[STEPS] = steps;
      this.data[ROAD_SIGMA] = sigma;
      this.data[ROAD_TOLERANCE] = tolerance;
      this.data[OUT_CURVES] = curves.byteOffset;
    };
    this.computeOnEveryThread(Command.CURVES, { input: images, size: count }, setData, () => this.shard.curves(this.control));
    this.control.throwIfFailed();
    const curve = (r: number, c: number) => Float64Array.from(curves.subarray((r * 4 + c) * points, (r * 4 + c + 1) * points));
    return requests.map((_, r) => ({ deletion: { zero: curve(r, 0), road: curve(r, 1) }, insertion: { zero: curve(r, 2), road: curve(r, 3) } }));
  }

  /** The shared targets [size] of a pass: the class given for every image, each one's, or −1 (predicted). */
  private targetRows(size: number, targets: Targets): Int32Array {
    const chosen = this.intRows('targets', 1).forBatch(size);
    if (typeof targets === 'number') chosen.fill(targets);
    else if (targets === undefined) chosen.fill(-1);
    else chosen.set(targets.subarray(0, size));
    return chosen;
  }

  private scratchFloats(role: string, length: number): Floats {
    return this.scratchOf(role, length, (n) => this.backend.allocFloats(n)) as Floats;
  }

  private scratchInts(role: string, length: number): Int32Array {
    return this.scratchOf(`${role} ints`, length, (n) => this.backend.allocInts(n)) as Int32Array;
  }

  /** A scratch array of at least `length` numbers (a power of two, so growing is rare), exactly `length` long. */
  private scratchOf(role: string, length: number, alloc: (n: number) => Floats | Int32Array): Floats | Int32Array {
    let array = this.scratch.get(role);
    if (array === undefined || array.length < length) {
      if (array !== undefined) this.backend.free(array);
      this.scratch.set(role, (array = alloc(2 ** Math.ceil(Math.log2(Math.max(1, length))))));
    }
    return array.subarray(0, length);
  }

  private floatRows(role: string, width: number): BatchBuffer<Floats> {
    return this.rowsOf(role, () => BatchBuffer.floats(this.backend, width)) as BatchBuffer<Floats>;
  }

  private intRows(role: string, width: number): BatchBuffer<Int32Array> {
    return this.rowsOf(`${role} ints`, () => BatchBuffer.ints(this.backend, width)) as BatchBuffer<Int32Array>;
  }

  private rowsOf(role: string, make: () => BatchBuffer<Floats> | BatchBuffer<Int32Array>): BatchBuffer<Floats> | BatchBuffer<Int32Array> {
    let rows = this.passRows.get(role);
    if (rows === undefined) this.passRows.set(role, (rows = make()));
    return rows;
  }

  /**
   * Stops the workers — each gives its network's buffers and its scratch back to the shared arena as it
   * exits — and gives back the pool's own arrays (the workers' gradient arenas, the shared outputs). The
   * network stays the caller's. Resolves once the workers have exited.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const exited = this.workers.map((worker) => worker.exited);
    // Referenced again while they exit, or a process with nothing else to do would end before this resolves.
    for (const worker of this.workers) worker.keepAlive(true);
    Atomics.store(this.control.sync, COMMAND, Command.EXIT);
    Atomics.add(this.control.sync, GENERATION, 1);
    Atomics.notify(this.control.sync, GENERATION);
    await Promise.all(exited);
    this.shard.dispose();
    this.probs.release();
    for (const block of this.gradCamRows.values()) for (const rows of Object.values(block)) rows.release();
    for (const rows of this.passRows.values()) rows.release();
    for (const array of this.scratch.values()) this.backend.free(array);
    for (const g of this.workerGrads) this.backend.free(g);
  }

  private get data(): Float64Array {
    return this.control.data;
  }

  /**
   * Starts `command` on `batch` for every thread (after `setData` has filled in its arguments), does
   * this thread's share (`work`), and returns once every thread has done its share. A failure anywhere
   * is recorded in the control block (ControlBlock.throwIfFailed raises it).
   */
  private computeOnEveryThread(command: number, batch: { input: Floats; labels?: Int32Array; size: number }, setData: () => void, work: () => void): void {
    if (this.closed) throw new XcnnError('the thread pool is closed', { code: 'ERR_DISPOSED' });
    if (!this.backend.owns(batch.input) || (batch.labels !== undefined && !this.backend.owns(batch.labels))) throw new XcnnError('a pool batch must live in the pool backend\'s memory', { code: 'ERR_BAD_ARGUMENT' });
    const { sync } = this.control;
    Atomics.store(sync, COMMAND, command);
    Atomics.store(sync, BATCH, batch.size);
    Atomics.store(sync, COMPUTED, 0);
    Atomics.store(sync, UPDATED, 0);
    Atomics.store(sync, NEXT, 0);
    // A failure is the command's that met it (raised by throwIfFailed): the next command starts without it.
    Atomics.store(sync, FAILED, 0);
    this.data[INPUT] = batch.input.byteOffset;
    this.data[LABELS] = batch.labels?.byteOffset ?? 0;
    setData();
    Atomics.add(sync, GENERATION, 1);
    Atomics.notify(sync, GENERATION);
    try {
      work();
    } catch (error) {
      this.control.fail(0, (error as Error).message);
    }
    this.control.arrive(COMPUTED);
    this.control.waitFor(COMPUTED, this.threads);
  }

  private totals(batchSize: number): { loss: number; correct: number } {
    let lossSum = 0;
    let correct = 0;
    for (let t = 0; t < this.threads; t++) {
      lossSum += this.data[LOSS + t];
      correct += this.data[CORRECT + t];
    }
    return { loss: lossSum / batchSize, correct };
  }
}
