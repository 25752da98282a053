/**
 * One object for a trained model, as ONNX Runtime's InferenceSession or a tfjs model is: load it once,
 * then ask it with async calls —
 *
 *   const model = await loadClassifier({ model: bytes });          // or a path, or nothing: the shipped model (Node)
 *   const [first] = await model.predict({ data, shape: [1, 28, 28] });   // class index, name, probabilities
 *   const maps = await model.explain(images, { method: 'smoothgrad', targets: 3, signal, onProgress });
 *   const evaluation = await model.evaluate(testSet);               // loss, accuracy, confusion, report
 *   await model.close();                                            // or `await using model = …`
 *
 * Every call checks all of its arguments before any work and refuses a bad one with an XcnnError whose
 * `code` says what kind (errors.ts) and whose message names the option as the API spells it. Long calls run
 * in batches and give the event loop a turn between two (steps.ts), report `{ done, total }` to
 * `onProgress`, and stop at the next batch when their AbortSignal fires (rejecting with an AbortError).
 * Calls on one classifier run one at a time, in the order made. The results are the command line's: the
 * same batches, the same kernels, the same seeds.
 *
 * This file is the browser-safe core: the model comes as bytes (or, left out, the shipped one fetched next
 * to the package's modules, src/assets.ts), the backend as an object or by name (the wasm one from the
 * kernels' bytes, or fetched likewise). Node's `loadClassifier` (classifier-node.ts) reads the files from
 * disk instead, and adds model paths and worker threads.
 */
/// <reference lib="esnext.disposable" preserve="true" />
import type { Backend } from './backend/backend.js';
import { createWasmBackendFromUrl, loadShippedModel } from './assets.js';
import { ReferenceBackend } from './backend/reference/index.js';
import { createWasmBackendFromBytes } from './backend/wasm/wasm-backend.js';
import { checkImageSet, describeArray, type ImageSet } from './data/dataset.js';
import { abortError, XcnnError } from './errors.js';
import { evaluationOf, type Evaluation } from './eval/evaluate.js';
import { predictSteps, type BatchPredictor, type Predictions } from './eval/predict.js';
import { explainClassMeans, type ExplainedClassMeans } from './explain/class-means.js';
import { confusionCellExplanations, type ConfusionCellExplanations } from './explain/confusion-cells.js';
import { explainForTargetsSteps } from './explain/explain-for-targets.js';
import { explainableLayersOf, explainedLayer, findLayer, layerChoices } from './explain/explained-layer.js';
import type { Explanation } from './explain/explanation.js';
import { gradCamSteps, type GradCam, type GradCamRunner } from './explain/grad-cam.js';
import type { ModelPasses } from './explain/model-passes.js';
import { isMethodName, METHOD_NAMES, METHOD_SETTINGS, methodByName, type MethodName, type MethodOptions } from './explain/methods/by-name.js';
import { explainImageSteps, needsConvLayer, type ExplanationMethod } from './explain/methods/explain.js';
import { PLACEMENTS, type Placement } from './explain/placement.js';
import { imageSetOf, type Images } from './classifier-images.js';
import { isOnnxModel } from './onnx/onnx-sniff.js';
import { decodeModel, encodeModel, type LoadedModel, type ModelInfo, type ModelLoadOptions } from './model/model-file.js';
import type { Network } from './model/network.js';
import type { Optimizer } from './train/optimizer.js';
import type { TrainStep } from './train/step.js';
import { runStepsAsync, type StepProgress, type Steps } from './steps.js';
import { checkModel, checkModelInfo, checkPredictions } from './argument-checks.js';

export type { ImageTensor, Images, RgbaImage } from './classifier-images.js';
export type { StepProgress } from './steps.js';

/** What `model.info` tells about the loaded model. */
export interface ClassifierInfo {
  spec: string | null; // the architecture, canonical (null for a network assembled by hand)
  inputShape: [number, number, number]; // [C, H, W]
  classes: number;
  classNames: string[];
  parameters: number; // learned parameters (batch norm's running statistics not counted)
  dataset: string; // the data set it was trained on, as its file says
  backend: 'wasm' | 'ts';
  threads: number;
  training?: Record<string, unknown>; // the training settings its file records
  metrics?: Record<string, unknown>; // the history and test accuracy its file records
}

/** One image's prediction. */
export interface Prediction {
  classIndex: number; // the most probable class
  className: string;
  probabilities: Float32Array; // [classes], softmax of the logits
}

/** One image's explanation: its prediction, the class explained and the maps. */
export interface ImageExplanation extends Prediction {
  logits: Float32Array; // [classes], the network's outputs before the softmax
  target: number; // the class the maps explain (the predicted one unless `targets` said otherwise)
  targetName: string;
  heatmap: Float32Array; // [H, W], the input's size, min–max normalised to [0, 1] (all zeros when flat)
  map: Float32Array; // [h, w], the method's raw map: on the explained conv block's cells, or on the input
  mapShape: [number, number]; // [h, w]
  layer: string; // the explained conv block, or 'input'
  completenessGap?: number; // integrated-gradients and kernel-shap: |Σ attributions − (y_c(x) − y_c(baseline))|
  weights?: Float32Array; // grad-cam: [K] α_k, the weight of each of the explained block's K channels in the map
}

/** What every long call takes besides its own options. */
export interface CallOptions {
  signal?: AbortSignal; // stops the call at its next batch; it rejects with an AbortError (code ERR_ABORTED)
  onProgress?: (progress: StepProgress) => void; // after every batch: images done of the total
}

export interface ClassifierExplainOptions extends CallOptions {
  method?: MethodName; // default 'grad-cam'
  targets?: number | ArrayLike<number>; // the class to explain: one for every image, or one per image (default: each image's predicted class)
  layer?: string; // the conv block the CAM methods (and guided-grad-cam) explain, by its name or its convolution's (default: the last)
  placement?: Placement; // the CAM methods: 'stretch' (default) or 'receptive-field'
  seed?: number; // smoothgrad, kernel-shap, lime: the seed of this call's draws (default 1); the same seed, the same maps
  samples?: number; // smoothgrad: noisy copies (default 50); kernel-shap, lime: coalitions per image (default 1024)
  sigma?: number; // smoothgrad: the noise's standard deviation, pixels being in [0, 1] (default 0.15)
  steps?: number; // integrated-gradients: steps from the black baseline (default 64)
  window?: number; // occlusion: the side of the black square, in pixels (default 4)
  stride?: number; // occlusion: pixels between its positions (default 2)
  patch?: number; // kernel-shap, lime: the side of the square patches, in pixels (default 4)
}

export interface ClassifierEvaluateOptions extends CallOptions {
  predictions?: boolean; // also give each image's prediction (labels, predicted, probabilities), as the report's galleries pick from
}

/** What explainClasses explains: the per-class means and the confusion matrix's largest cells. */
export interface ClassifierClassesOptions extends CallOptions {
  method?: MethodName; // default 'grad-cam'
  layer?: string; // the conv block the CAM methods explain (default: the last)
  classImages?: number; // the first this many images of each true class are averaged (default 100)
  cells?: number; // the largest this many confusion cells are explained (default 12)
  perCell?: number; // the most confident this many mistakes of each cell (default 3)
  means?: boolean; // false: the cells only (default true)
  predictions?: Predictions; // the set's predictions, if already made (evaluate with predictions: true); made here otherwise
}

/** The class summaries: each class's mean image and mean heatmap, and why a t was read as p, cell by cell. */
export interface ClassExplanations {
  methodTitle: string; // e.g. 'Grad-CAM'
  means?: ExplainedClassMeans; // absent with means: false
  cells: ConfusionCellExplanations;
}

/** A labelled image set: the library's ImageSet (loadDataset().test), or images with their labels. */
export type LabelledImages = ImageSet | { images: Images; labels: ArrayLike<number> };

/** What a classifier computes with when it has worker threads (Node: classifier-node.ts's ThreadPool). */
export interface ClassifierThreads {
  readonly count: number;
  readonly predictor: BatchPredictor;
  readonly gradCamRunner: GradCamRunner;
  readonly passes?: ModelPasses; // the other methods' forward and input-gradient passes on the threads
  readonly trainStep?: TrainStep; // when started with an optimiser (trainClassifier)
  close(): Promise<void>;
}

/** The model and backend options of loadClassifier, as the command line's --model, --arch, --input, --backend, --threads. */
export interface ClassifierOptions {
  model?: Uint8Array | ArrayBuffer | string; // the model file's bytes (in Node also its path); left out, the shipped MNIST model
  arch?: string; // the architecture of a file without one (a PyTorch state_dict): a spec or a preset name
  input?: string | { channels?: number; height: number; width: number }; // with arch: the input size, 'CxHxW' or 'HxW'
  backend?: 'wasm' | 'ts' | Backend; // default 'wasm'; a Backend object is used as it is (and not disposed by close)
  threads?: number; // Node, wasm: split large batches over this many threads (default 1: no worker threads)
  kernels?: Uint8Array | ArrayBuffer; // the bytes of build/kernels.wasm (or kernels-relaxed.wasm), for backend 'wasm' (default: the package's, fetched or read)
}

/** Where the package's files come from, and what else the environment offers (classifier-node.ts gives Node's). */
export interface ClassifierEnvironment {
  loadShippedModel: (backend: Backend) => Promise<LoadedModel>;
  createWasmBackend: () => Promise<Backend>;
  readModel?: (path: string) => Uint8Array;
  /** Reads a model file's bytes (default: the core's, safetensors; Node's reads ONNX too). */
  decodeModel?: (bytes: Uint8Array, source: string, backend: Backend, options: ModelLoadOptions) => LoadedModel | Promise<LoadedModel>;
  startThreads?: (network: Network, threads: number, optimizer?: Optimizer, seed?: number, labelSmoothing?: number) => Promise<ClassifierThreads>;
  maxThreads?: number;
}

const LOAD_OPTIONS = ['model', 'arch', 'input', 'backend', 'threads', 'kernels'] as const;

/**
 * Loads a model into a classifier, browser-safe: the model as bytes, or the shipped one fetched; the wasm
 * kernels fetched (assets.ts) unless given as bytes. In Node the package's entry (node.ts) gives
 * classifier-node.ts's instead, which reads the files and also takes paths.
 */
export async function loadClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  return openClassifier(options, WEB_ENVIRONMENT);
}

/** The package's files fetched next to its modules (assets.ts); no worker threads. */
export const WEB_ENVIRONMENT: ClassifierEnvironment = { loadShippedModel: (backend) => loadShippedModel(backend), createWasmBackend: () => createWasmBackendFromUrl() };

/** loadClassifier with what `environment` adds: paths, the shipped model, the kernels on disk, threads. */
export async function openClassifier(options: ClassifierOptions, environment: ClassifierEnvironment): Promise<Classifier> {
  const what = 'loadClassifier';
  checkOptionNames(what, options, LOAD_OPTIONS);
  const file = options.model === undefined ? null : modelBytes(options.model, environment);
  const arch = options.arch;
  if (arch !== undefined && typeof arch !== 'string') throw badArgument(`${what}: arch must be a string (a spec such as "conv(8,3) relu flatten linear(10)", or a preset name), not ${describeArray(arch)}`);
  const input = options.input === undefined ? undefined : inputOption(options.input);
  // An ONNX graph may leave its height and width free (a dim_param): input gives them.
  if (input !== undefined && arch === undefined && !(file !== null && isOnnxModel(file.bytes, file.source))) throw badArgument(`${what}: input is for a file without an architecture, given with arch (or an ONNX graph of free size); a model xcnn wrote knows its input size`);
  if (file === null && arch !== undefined) throw badArgument(`${what}: arch is for a model file without an architecture; the shipped model has one (give the file as model)`);
  const backendChoice = options.backend ?? 'wasm';
  const threads = threadsOption(what, options.threads, backendChoice, environment);
  const { backend, owned } = await backendOf(what, backendChoice, options.kernels, environment);
  try {
    const { network, info } = file === null ? await environment.loadShippedModel(backend) : await (environment.decodeModel ?? decodeModel)(file.bytes, file.source, backend, { arch, input } satisfies ModelLoadOptions);
    const pool = threads > 1 ? await environment.startThreads!(network, threads) : null;
    return new Classifier(network, info, { threads: pool, ownsBackend: owned });
  } catch (error) {
    if (owned) backend.dispose(); // a model that does not load leaves no backend behind
    throw error;
  }
}

/** The threads option: 1 (the default) to the environment's most, and more than 1 only on wasm. */
export function threadsOption(what: string, threads: unknown, backend: ClassifierOptions['backend'], environment: ClassifierEnvironment): number {
  if (threads === undefined) return 1;
  const most = Math.max(1, environment.maxThreads ?? 1);
  if (typeof threads !== 'number' || !Number.isSafeInteger(threads) || threads < 1 || threads > most) {
    const more = environment.startThreads === undefined ? ' (more threads need Node: its worker threads)' : '';
    throw badArgument(`${what}: threads ${String(threads)} is not a whole number from 1 to ${most}${more}`);
  }
  const isWasm = backend === 'wasm' || (typeof backend === 'object' && backend?.name === 'wasm');
  if (threads > 1 && !isWasm) throw badArgument(`${what}: threads ${threads} needs the wasm backend; the ts reference runs on one thread`);
  return threads;
}

/** The given model's bytes and its name in errors. */
function modelBytes(model: NonNullable<ClassifierOptions['model']>, environment: ClassifierEnvironment): { bytes: Uint8Array; source: string } {
  if (typeof model === 'string') {
    if (environment.readModel === undefined) throw badArgument(`loadClassifier: model '${model}' is a path, which needs Node; here give the file's bytes (a Uint8Array or an ArrayBuffer)`);
    return { bytes: environment.readModel(model), source: model };
  }
  if (model instanceof Uint8Array) return { bytes: model, source: 'model' };
  if (model instanceof ArrayBuffer) return { bytes: new Uint8Array(model), source: 'model' };
  throw badArgument(`loadClassifier: model is a ${describeArray(model)}; give the model file's bytes (a Uint8Array or an ArrayBuffer)${environment.readModel ? ', its path' : ''}, or leave it out for the shipped model`);
}

/** --input's value as an option: 'CxHxW', 'HxW', or { channels?, height, width }, each 1 to 4096. */
function inputOption(input: unknown): { channels?: number; height: number; width: number } {
  const fail = () => badArgument(`loadClassifier: input ${typeof input === 'string' ? `'${input}'` : JSON.stringify(input)} is not 'CxHxW', 'HxW' or { channels, height, width } of whole numbers from 1 to 4096, e.g. '3x32x32'`);
  const size = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 1 && (n as number) <= 4096;
  if (typeof input === 'string') {
    const parts = input.toLowerCase().split('x').map((part) => (/^\d+$/.test(part) ? Number(part) : NaN));
    if ((parts.length !== 2 && parts.length !== 3) || !parts.every(size)) throw fail();
    return parts.length === 3 ? { channels: parts[0], height: parts[1], width: parts[2] } : { height: parts[0], width: parts[1] };
  }
  if (input === null || typeof input !== 'object') throw fail();
  const { channels, height, width } = input as Record<string, unknown>;
  if (!size(height) || !size(width) || (channels !== undefined && !size(channels))) throw fail();
  return { ...(channels === undefined ? {} : { channels: channels as number }), height: height as number, width: width as number };
}

/** The backend option made a backend (`owned`: made here, so the classifier disposes it). */
export async function backendOf(what: string, choice: ClassifierOptions['backend'], kernels: ClassifierOptions['kernels'], environment: ClassifierEnvironment): Promise<{ backend: Backend; owned: boolean }> {
  if (kernels !== undefined && !(kernels instanceof Uint8Array || kernels instanceof ArrayBuffer)) {
    throw badArgument(`${what}: kernels must be the bytes of kernels.wasm (a Uint8Array or an ArrayBuffer), not ${describeArray(kernels)}`);
  }
  if (choice === 'ts') return { backend: new ReferenceBackend(), owned: true };
  if (choice === 'wasm') {
    if (kernels !== undefined) return { backend: await createWasmBackendFromBytes(kernels), owned: true };
    return { backend: await environment.createWasmBackend(), owned: true };
  }
  const isBackend = choice !== null && typeof choice === 'object' && typeof (choice as Backend).allocFloats === 'function' && typeof (choice as Backend).name === 'string';
  if (!isBackend) throw badArgument(`${what}: backend ${typeof choice === 'string' ? `'${choice}'` : describeArray(choice)} is not 'wasm', 'ts' or a Backend object`);
  return { backend: choice as Backend, owned: false };
}

const EXPLAIN_OPTIONS = ['method', 'targets', 'layer', 'placement', ...Object.keys(METHOD_SETTINGS), 'signal', 'onProgress'] as const;
const CALL_OPTIONS = ['signal', 'onProgress'] as const;
const EVALUATE_OPTIONS = [...CALL_OPTIONS, 'predictions'] as const;
const CLASSES_OPTIONS = ['method', 'layer', 'classImages', 'cells', 'perCell', 'means', 'predictions', ...CALL_OPTIONS] as const;
const CLASSES_DEFAULTS = { classImages: 100, cells: 12, perCell: 3 };

/** The perturbation methods spend ~10–150 ms an image: they pause every few images, the others every batch. */
const SLOW_METHODS: readonly MethodName[] = ['occlusion', 'kernel-shap', 'lime'];

/** `Symbol.asyncDispose` where the engine has it (Node 20 does; older browsers do not): `await using model = …`. */
const ASYNC_DISPOSE = (Symbol.asyncDispose ?? Symbol.for('Symbol.asyncDispose')) as typeof Symbol.asyncDispose;

/** A loaded model. Make one with loadClassifier; close it when done (a forgotten one does not keep Node running). */
export class Classifier {
  readonly info: Readonly<ClassifierInfo>;
  #network: Network;
  #modelInfo: ModelInfo;
  #threads: ClassifierThreads | null;
  #ownsBackend: boolean;
  #closing: Promise<void> | null = null;
  #queue: Promise<unknown> = Promise.resolve();

  /** Use loadClassifier (or createClassifier for a network in hand). */
  constructor(network: Network, info: ModelInfo, options: { threads?: ClassifierThreads | null; ownsBackend?: boolean } = {}) {
    checkModel('Classifier', 'network', network);
    checkModelInfo('Classifier', 'info', info);
    this.#network = network;
    this.#modelInfo = info;
    this.#threads = options.threads ?? null;
    this.#ownsBackend = options.ownsBackend ?? false;
    const [channels, height, width] = network.inputShape;
    this.info = Object.freeze({
      spec: network.spec,
      inputShape: Object.freeze([channels, height, width]) as [number, number, number],
      classes: network.outputShape[0],
      classNames: Object.freeze([...info.classNames]) as string[],
      parameters: network.params.length,
      dataset: info.dataset,
      backend: network.backend.name,
      threads: this.#threads?.count ?? 1,
      ...(info.training === undefined ? {} : { training: info.training }),
      ...(info.metrics === undefined ? {} : { metrics: info.metrics }),
    });
  }

  /** Each image's class, class name and class probabilities. */
  async predict(images: Images, options: CallOptions = {}): Promise<Prediction[]> {
    const what = 'predict';
    this.#checkOpen(what);
    checkOptionNames(what, options, CALL_OPTIONS);
    const call = callOptions(what, options);
    const set = imageSetOf(images, this.#network.inputShape, what);
    const predictions = await this.#run(what, call, predictSteps(this.#predictor(), set));
    return Array.from({ length: set.count }, (_, n) => this.#prediction(predictions.predicted[n], predictions.probabilities, n));
  }

  /**
   * Each image explained by `method` (default grad-cam) for its predicted class, or `targets`: its
   * prediction, the class explained, the raw map and the heatmap. The seeded methods give the same maps
   * for the same images and seed on every call.
   */
  async explain(images: Images, options: ClassifierExplainOptions = {}): Promise<ImageExplanation[]> {
    const what = 'explain';
    this.#checkOpen(what);
    checkOptionNames(what, options, EXPLAIN_OPTIONS);
    const call = callOptions(what, options);
    const set = imageSetOf(images, this.#network.inputShape, what);
    const name = options.method ?? 'grad-cam';
    if (typeof name !== 'string' || !isMethodName(name)) throw badArgument(`${what}: method ${typeof name === 'string' ? `'${name}'` : describeArray(name)} is not one of ${METHOD_NAMES.join(', ')}`);
    const method = this.#method(what, name, options);
    const layer = this.#layerOption(what, method, options.layer);
    const placement = options.placement ?? 'stretch';
    if (!PLACEMENTS.includes(placement)) throw badArgument(`${what}: placement '${String(placement)}' is not one of ${PLACEMENTS.join(', ')}`);
    if (placement !== 'stretch' && method.layer !== 'cam') throw badArgument(`${what}: placement '${placement}' is for the CAM methods, whose maps live on a conv block's cells; ${name}'s map is already on the input's pixels`);
    const targets = this.#targetsOption(what, options.targets, set.count);
    const batchSize = SLOW_METHODS.includes(name) ? 4 : name === 'grad-cam' ? 256 : 64;
    const runner = this.#threads?.gradCamRunner;
    const passes = this.#threads?.passes;
    let steps: Steps<Explanation & { completenessGaps?: Float32Array }>;
    if (typeof targets === 'object') {
      steps = explainForTargetsSteps(this.#network, set, method, Int32Array.from({ length: set.count }, (_, n) => n), targets, { batchSize, runner, passes, layer, placement, seed: options.seed });
    } else if (name === 'grad-cam' && placement === 'stretch') {
      steps = gradCamSteps(this.#network, set, { targetClass: targets, batchSize, runner, layer });
    } else {
      steps = explainImageSteps(this.#network, set, method, { targetClass: targets, batchSize, layer, placement, seed: options.seed, passes });
    }
    const result = await this.#run(what, call, steps);
    const explained = method.layer === 'cam' ? (layer ?? explainedLayer(this.#network).name) : 'input';
    // Each image's arrays are views of the call's own result arrays (never of the workspace, which the next
    // call reuses): no copy of 10,000 heatmaps.
    const { mapHeight, mapWidth, height, width, classes } = result;
    const weights = 'weights' in result ? (result as GradCam).weights : undefined;
    const channels = 'weights' in result ? (result as GradCam).channels : 0;
    const part = (values: Float32Array, n: number, size: number) => values.subarray(n * size, (n + 1) * size);
    return Array.from({ length: set.count }, (_, n) => ({
      classIndex: result.predicted[n],
      className: this.info.classNames[result.predicted[n]],
      probabilities: part(result.probabilities, n, classes),
      logits: part(result.logits, n, classes),
      target: result.targets[n],
      targetName: this.info.classNames[result.targets[n]],
      heatmap: part(result.heatmaps, n, height * width),
      map: part(result.maps, n, mapHeight * mapWidth),
      mapShape: [mapHeight, mapWidth] as [number, number],
      layer: explained,
      ...(result.completenessGaps === undefined ? {} : { completenessGap: result.completenessGaps[n] }),
      ...(weights === undefined ? {} : { weights: part(weights, n, channels) }),
    }));
  }

  /**
   * Loss, accuracy, confusion matrix and the per-class report on labelled images (the paper's metrics);
   * with `predictions: true`, each image's prediction too.
   */
  async evaluate(dataset: LabelledImages, options: ClassifierEvaluateOptions = {}): Promise<Evaluation & { predictions?: Predictions }> {
    const what = 'evaluate';
    this.#checkOpen(what);
    checkOptionNames(what, options, EVALUATE_OPTIONS);
    const call = callOptions(what, options);
    if (options.predictions !== undefined && typeof options.predictions !== 'boolean') throw badArgument(`${what}: predictions must be true or false, not ${describeArray(options.predictions)}`);
    const set = labelledSetOf(what, dataset, this.#network.inputShape, this.info.classes);
    const predictions = await this.#run(what, call, predictSteps(this.#predictor(), set));
    const { predictions: kept, ...evaluation } = evaluationOf(predictions, this.info.classNames);
    return options.predictions === true ? { ...evaluation, predictions: kept } : evaluation;
  }

  /**
   * The class summaries of `xcnn report` on labelled images: each true class's mean image and mean heatmap
   * (its first `classImages` images, each explained for its class), and the confusion matrix's largest
   * `cells` cells, each mistake explained for its true and its predicted class.
   */
  async explainClasses(dataset: LabelledImages, options: ClassifierClassesOptions = {}): Promise<ClassExplanations> {
    const what = 'explainClasses';
    this.#checkOpen(what);
    checkOptionNames(what, options, CLASSES_OPTIONS);
    const call = callOptions(what, options);
    const name = options.method ?? 'grad-cam';
    if (typeof name !== 'string' || !isMethodName(name)) throw badArgument(`${what}: method ${typeof name === 'string' ? `'${name}'` : describeArray(name)} is not one of ${METHOD_NAMES.join(', ')}`);
    const method = methodByName(name);
    const layer = this.#layerOption(what, method, options.layer);
    const count = (option: 'classImages' | 'cells' | 'perCell') => {
      const value = options[option] ?? CLASSES_DEFAULTS[option];
      if (!Number.isSafeInteger(value) || value < 1) throw badArgument(`${what}: ${option} ${String(value)} is not a whole number ≥ 1`);
      return value;
    };
    const [classImages, cells, perCell] = [count('classImages'), count('cells'), count('perCell')];
    const set = labelledSetOf(what, dataset, this.#network.inputShape, this.info.classes);
    if (options.predictions !== undefined) checkPredictions(what, 'predictions', options.predictions);
    const runner = this.#threads?.gradCamRunner;
    const passes = this.#threads?.passes; // the other methods' passes on the threads: the same maps, bit for bit
    const network = this.#network;
    const predictor = this.#predictor();
    const drawsMeans = options.means !== false;
    function* steps(): Steps<ClassExplanations> {
      const predictions = options.predictions ?? (yield* predictSteps(predictor, set));
      const means = drawsMeans ? explainClassMeans(network, set, method, { perClass: classImages, runner, passes, layer }) : undefined;
      const explained = confusionCellExplanations(network, set, predictions, method, { cells, perCell, runner, passes, layer });
      return { methodTitle: method.title, ...(means === undefined ? {} : { means }), cells: explained };
    }
    return this.#run(what, call, steps());
  }

  /** The model as a model file's bytes (safetensors, as `xcnn train` writes): save them, or load them again. */
  toBytes(): Uint8Array {
    this.#checkOpen('toBytes');
    return encodeModel(this.#network, this.#modelInfo);
  }

  /**
   * Stops the worker threads and gives the model's memory back (Network.dispose; the backend too, when
   * loadClassifier made it). A call in progress stops at its next batch and rejects (ERR_DISPOSED), as does
   * any call made after. Closing twice is harmless.
   */
  close(): Promise<void> {
    this.#closing ??= this.#queue.then(async () => {
      await this.#threads?.close();
      this.#threads = null;
      this.#network.dispose();
      if (this.#ownsBackend) this.#network.backend.dispose();
    });
    return this.#closing;
  }

  async [ASYNC_DISPOSE](): Promise<void> {
    await this.close();
  }

  #checkOpen(what: string): void {
    if (this.#closing !== null) throw closedError(what);
  }

  /** Runs `steps` after every call made before, pausing between batches (steps.ts). */
  #run<T>(what: string, call: CallOptions, steps: Steps<T>): Promise<T> {
    const run = this.#queue.then(() => runStepsAsync(steps, { what, ...call, stopped: () => (this.#closing !== null ? closedError(what) : null) }));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  #predictor(): BatchPredictor | Network {
    return this.#threads?.predictor ?? this.#network;
  }

  #prediction(classIndex: number, probabilities: Float32Array, n: number): Prediction {
    const classes = this.info.classes;
    return { classIndex, className: this.info.classNames[classIndex], probabilities: probabilities.slice(n * classes, (n + 1) * classes) };
  }

  /** The method `name` with the settings of `options` that it reads; a setting it does not read is refused. */
  #method(what: string, name: MethodName, options: ClassifierExplainOptions): ExplanationMethod {
    const [, height, width] = this.#network.inputShape;
    for (const [setting, methods] of Object.entries(METHOD_SETTINGS)) {
      const value = options[setting as keyof typeof METHOD_SETTINGS];
      if (value === undefined) continue;
      if (!(methods as readonly MethodName[]).includes(name)) throw badArgument(`${what}: ${setting} is a setting of ${methods.join(', ')}, not of ${name}`);
      const smallest = setting === 'sigma' ? 0 : setting === 'samples' && name !== 'smoothgrad' ? 2 : setting === 'seed' ? 0 : 1;
      const whole = setting !== 'sigma';
      const largest = setting === 'seed' ? 0xffffffff : setting === 'window' || setting === 'patch' ? Math.min(height, width) : Infinity;
      if (typeof value !== 'number' || !Number.isFinite(value) || value < smallest || value > largest || (whole && !Number.isInteger(value))) {
        const range = largest === Infinity ? `${whole ? 'a whole number' : 'a number'} ≥ ${smallest}` : `a whole number from ${smallest} to ${largest}${setting === 'seed' ? '' : ` (the input is ${height} × ${width})`}`;
        throw badArgument(`${what}: ${setting} ${String(value)} is not ${range}`);
      }
    }
    const { seed, samples, sigma, steps, window, stride, patch } = options;
    const defined = <T extends object>(settings: T) => Object.fromEntries(Object.entries(settings).filter(([, v]) => v !== undefined)) as Partial<T>;
    const settings: MethodOptions = {
      smoothGrad: defined({ samples, sigma, seed }),
      integratedGradients: defined({ steps }),
      occlusion: defined({ window, stride }),
      kernelShap: defined({ patch, samples, seed }),
      lime: defined({ patch, samples, seed }),
    };
    return methodByName(name, settings);
  }

  /** The layer option, checked against the network's conv blocks; undefined for the default. */
  #layerOption(what: string, method: ExplanationMethod, layer: unknown): string | undefined {
    if (needsConvLayer(method)) explainedLayer(this.#network); // a model without a convolution: refused in one line (ERR_BAD_MODEL)
    if (layer === undefined) return undefined;
    const blocks = explainableLayersOf(this.#network);
    if (!needsConvLayer(method)) throw badArgument(`${what}: layer is for the methods that read a conv block (the CAM family and guided-grad-cam); ${method.name} explains the input`);
    const found = typeof layer === 'string' ? findLayer(blocks, layer) : undefined;
    if (found === undefined) throw badArgument(`${what}: layer ${typeof layer === 'string' ? `'${layer}'` : describeArray(layer)} is not a conv block of this model; the choices are ${layerChoices(blocks)}`);
    return found.name;
  }

  /** The targets option: undefined, one class for every image, or an array of one class per image. */
  #targetsOption(what: string, targets: unknown, count: number): number | Int32Array | undefined {
    if (targets === undefined) return undefined;
    const classes = this.info.classes;
    const checkClass = (value: unknown, where: string) => {
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= classes) {
        throw badArgument(`${what}: ${where} ${String(value)} is not a class of this model: a whole number from 0 to ${classes - 1}`);
      }
      return value;
    };
    if (typeof targets === 'number') return checkClass(targets, 'targets');
    if (targets === null || typeof targets !== 'object' || typeof (targets as ArrayLike<number>).length !== 'number') {
      throw badArgument(`${what}: targets must be a class (a number) or one class per image (an array), not ${describeArray(targets)}`);
    }
    const list = targets as ArrayLike<unknown>;
    if (list.length !== count) throw badArgument(`${what}: targets has ${list.length} classes for ${count} images; give one per image, or one number for all`);
    return Int32Array.from({ length: count }, (_, n) => checkClass(list[n], `targets[${n}]`));
  }
}

/** A classifier over a network in hand (trained with the lower-level API, say), on the calling thread. */
export function createClassifier(network: Network, info: ModelInfo): Classifier {
  checkModel('createClassifier', 'network', network);
  checkModelInfo('createClassifier', 'info', info);
  return new Classifier(network, info);
}

/** The [C, H, W] of labelled images before there is a model: an image set's, or its tensor's (a picture's size is the model's to give). */
export function labelledShapeOf(what: string, dataset: LabelledImages): [number, number, number] {
  if (dataset !== null && typeof dataset === 'object' && 'count' in dataset) return [dataset.channels ?? 1, dataset.height, dataset.width];
  const images = dataset !== null && typeof dataset === 'object' && 'images' in dataset ? dataset.images : undefined;
  const first = Array.isArray(images) ? images[0] : images;
  const shape = first !== null && typeof first === 'object' && 'shape' in first && Array.isArray(first.shape) ? first.shape : undefined;
  if (shape === undefined || (shape.length !== 3 && shape.length !== 4)) {
    throw badArgument(`${what}: give an image set (such as loadDataset().train) or { images: { data, shape: [N, C, H, W] }, labels }: the images' shape sets the model's input`);
  }
  const [channels, height, width] = shape.slice(-3);
  return [channels, height, width];
}

/**
 * Labelled images checked for a model of input [C, H, W] and `classes` classes: an image set, or images
 * with one label each; labels that are classes of the model; at least one image.
 */
export function labelledSetOf(what: string, dataset: LabelledImages, inputShape: readonly number[], classes: number): ImageSet {
  const badLabel = (n: number, label: unknown) => new XcnnError(`${what}: label ${String(label)} of image ${n} is not a class of this model (0 to ${classes - 1})`, { code: 'ERR_BAD_DATA' });
  if (dataset === null || typeof dataset !== 'object') throw badArgument(`${what}: the data must be an image set (such as loadDataset().test) or { images, labels }, not ${describeArray(dataset)}`);
  if ('test' in dataset && 'train' in dataset) throw badArgument(`${what}: that is a whole data set; give one of its splits, such as its test set (dataset.test)`);
  let set: ImageSet;
  if ('count' in dataset) {
    set = dataset;
    checkImageSet(set, inputShape, what);
  } else if ('images' in dataset && 'labels' in dataset) {
    const images = imageSetOf(dataset.images, inputShape, what);
    const labels = dataset.labels;
    if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw badArgument(`${what}: labels must be an array of classes, not ${describeArray(labels)}`);
    if (labels.length !== images.count) throw new XcnnError(`${what}: ${labels.length} labels for ${images.count} images; give one label per image`, { code: 'ERR_BAD_DATA' });
    for (let n = 0; n < images.count; n++) if (!(Number.isInteger(labels[n]) && labels[n] >= 0 && labels[n] < classes)) throw badLabel(n, labels[n]);
    set = { ...images, labels: Int32Array.from({ length: images.count }, (_, n) => labels[n]) };
  } else {
    throw badArgument(`${what}: the data must be an image set (count, height, width, images, labels; such as loadDataset().test) or { images, labels }`);
  }
  if (set.count === 0) throw new XcnnError(`${what}: the data set is empty; give at least one labelled image`, { code: 'ERR_BAD_DATA' });
  for (let n = 0; n < set.count; n++) if (set.labels[n] >= classes) throw badLabel(n, set.labels[n]);
  return set;
}

/** The signal and progress callback of a call, checked. */
export function callOptions(what: string, options: CallOptions): CallOptions {
  const { signal, onProgress } = options;
  const isSignal = signal === undefined || (signal !== null && typeof signal === 'object' && typeof signal.aborted === 'boolean' && typeof signal.addEventListener === 'function');
  if (!isSignal) throw badArgument(`${what}: signal must be an AbortSignal (new AbortController().signal), not ${describeArray(signal)}`);
  if (onProgress !== undefined && typeof onProgress !== 'function') throw badArgument(`${what}: onProgress must be a function ({ done, total }) => …, not ${describeArray(onProgress)}`);
  if (signal?.aborted) throw abortError(what, signal);
  return { signal, onProgress };
}

/** Refuses options that are not an object, and option names the call does not know (a typo would otherwise be ignored). */
export function checkOptionNames(what: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw badArgument(`${what}: the options must be an object, not ${describeArray(options)}`);
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) throw badArgument(`${what}: unknown option '${name}'; the options are ${known.join(', ')}`);
  }
}

export function badArgument(message: string): XcnnError {
  return new XcnnError(message, { code: 'ERR_BAD_ARGUMENT' });
}

function closedError(what: string): XcnnError {
  return new XcnnError(`${what}: this classifier is closed; load the model again with loadClassifier`, { code: 'ERR_DISPOSED' });
}
