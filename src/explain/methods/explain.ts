/**
 * Any explanation method over an image set, batched: the loop every method shares (load a batch, run the
 * method's batch function, softmax and argmax of the logits, resize and normalise each raw map into a
 * heatmap the input's size; explanation.ts). A method is the batch function plus its name, what it needs
 * of the network (`needs`), the layer its map lives on and that map's shape: the CAM family (cam.ts, and
 * without gradients eigen-cam.ts and score-cam.ts) on a conv block's cells — the last block by default,
 * another with `layer` (explained-layer.ts; for the paper's network relu2, [11, 11]) — brought to the
 * input's size by the chosen placement (placement.ts: stretched by default, or each cell at its receptive
 * field's centre); the gradient family (input-gradients.ts), the guided methods (guided.ts) and the
 * perturbation family (perturbation.ts) on the input, [H, W], where the "resize" keeps the size and only
 * normalises. A method that needs a conv layer refuses a network without one in one line, before any work.
 * A flat map (all zero, or constant) gives an all-zero heatmap, never NaN.
 *
 * The seeded methods (SmoothGrad's noise, KernelSHAP's and LIME's coalitions) draw from one generator a
 * run, made afresh from the seed at the start of every call: the same images and seed give the same maps
 * on every call, whatever ran before. `explainImageSteps` is the same run pausing after every batch
 * (steps.ts), for the async API.
 *
 * Grad-CAM itself keeps its own driver (`gradCam` in grad-cam.ts), which also reports the channel
 * weights and runs on the thread pool; `grad-cam` here is the same map, on this thread.
 */
import { checkImageSetKind, checkMethod, checkModel, checkOptionFields, checkOptions, checkRandom } from '../../argument-checks.js';
import type { Floats } from '../../backend/backend.js';
import { BatchLoader, range } from '../../data/batch.js';
import type { ImageSet } from '../../data/dataset.js';
import { XcnnError } from '../../errors.js';
import { argmaxRow } from '../../model/loss.js';
import type { Network } from '../../model/network.js';
import { Random } from '../../random.js';
import { runSteps, type Steps } from '../../steps.js';
import { explainedLayer } from '../explained-layer.js';
import { allocateExplanation, checkInputs, softmaxRow, writeHeatmap, type Explanation } from '../explanation.js';
import type { ModelPasses } from '../model-passes.js';
import { checkPlacement, type Placement } from '../placement.js';

/** The rows a batch function writes for its `size` images. */
export interface ExplanationRows {
  logits: Float32Array; // [size, classes] of the images themselves
  targets: Int32Array; // [size] the class each map explains
  maps: Float32Array; // [size, h, w] raw
  completenessGaps: Float32Array; // [size] Integrated Gradients and KernelSHAP only: |Σ attributions − (y_c(x) − y_c(x′))|
}

/**
 * Explains `size` images of a batch (input [size, C, H, W] in the network's backend) for `targetClass`
 * (undefined: each image's predicted class). `dLogits` is [size, classes] scratch in the backend. `layer`
 * is the conv block a method that needs one explains (explainImages resolves it; default the last block).
 * `random` is the run's generator, which the seeded methods draw from (a batch explained on its own: a
 * fresh one from the method's seed). `passes` runs the forward and input-gradient passes of the methods
 * that make many (perturbations, noise samples, IG steps, Score-CAM's masks): this thread by default, or a
 * thread pool, with the same numbers bit for bit (model-passes.ts).
 */
export type BatchExplainer = (network: Network, input: Floats, size: number, targetClass: number | undefined, out: ExplanationRows, dLogits: Floats, layer?: string, random?: Random, passes?: ModelPasses) => void;

/**
 * What a method needs of the network: `conv-layer`, a conv block to read (the CAM family); gradients,
 * `layer-gradients` down to that block or `input-gradients` down to the input (backward passes); or
 * `forward-only` (perturbations, Eigen-CAM and Score-CAM). A network that cannot give it is refused
 * before any work.
 */
export type MethodNeed = 'conv-layer' | 'layer-gradients' | 'input-gradients' | 'forward-only';

export interface ExplanationMethod {
  name: string; // as on the command line: 'grad-cam++'
  title: string; // as in a figure: 'Grad-CAM++'
  layer: 'cam' | 'input'; // where the raw map lives: on the explained conv block's cells (explained-layer.ts), or on the input
  needs?: readonly MethodNeed[]; // (default: a conv layer for a 'cam' map, nothing particular otherwise)
  mapShape(network: Network, layer?: string): [number, number];
  explainBatch: BatchExplainer;
  reportsCompletenessGap?: boolean;
  classAgnostic?: boolean; // the map does not depend on the target class (Eigen-CAM)
  signed?: boolean; // the map takes both signs: its figures use a diverging colormap centred at zero
  seed?: number; // the seeded methods (SmoothGrad, KernelSHAP, LIME): the seed a run starts from unless it is given another
}

/** An explanation by a named method; `completenessGaps` [N] for Integrated Gradients and KernelSHAP. */
export interface MethodExplanation extends Explanation {
  method: string;
  layer: string; // the explained layer's name, or 'input'
  placement: Placement; // how the maps were brought to the input's size
  completenessGaps?: Float32Array;
}

export interface ExplainOptions {
  indices?: ArrayLike<number>; // the images of the set to explain, in this order (default: all)
  targetClass?: number; // the class to explain for every image (default: each image's predicted class)
  batchSize?: number; // images per batch (default 64; SmoothGrad and IG make many passes per batch, the perturbation family many per image)
  placement?: Placement; // conv-block maps only: 'stretch' (default) or 'receptive-field' (src/explain/placement.ts)
  layer?: string; // the conv block the CAM methods explain, by its end's or its conv's name (default: the last block)
  seed?: number; // the seeded methods: this run's seed (default: the method's own, 1 unless it was made with another)
  random?: Random; // the seeded methods: a generator to go on drawing from, for a run made of several calls (overrides seed)
  passes?: ModelPasses; // where the many-pass methods run their passes: a thread pool (default: this thread; model-passes.ts)
}

/** The generator a run of `method` draws from: the one given to continue, or a fresh one from the seed. */
export function runRandom(method: ExplanationMethod, options: { seed?: number; random?: Random }): Random {
  return options.random ?? new Random(options.seed ?? method.seed ?? 1);
}

/**
 * Whether a method reads a conv block (the CAM family, Guided Grad-CAM). Refuses a method of one's own whose
 * `layer` and `needs` disagree: a map on a conv block's cells whose needs leave the block out would be run with
 * no block looked up (options.layer ignored, the result's layer 'input', no receptive field to place it by).
 */
export function needsConvLayer(method: ExplanationMethod): boolean {
  checkMethod('needsConvLayer', 'method', method);
  if (method.layer !== 'cam' && method.layer !== 'input') {
    throw new XcnnError(`${method.title}: layer must be 'cam' (a map on a conv block's cells) or 'input' (a map on the input's pixels), not '${String(method.layer)}'`, { code: 'ERR_BAD_ARGUMENT' });
  }
  if (method.layer === 'cam' && method.needs !== undefined && !method.needs.includes('conv-layer')) {
    const needs = method.needs.length === 0 ? 'none' : method.needs.join(', ');
    throw new XcnnError(`${method.title}: its map is on a conv block's cells (layer 'cam'), but its needs (${needs}) leave out 'conv-layer'; add 'conv-layer' to the method's needs`, { code: 'ERR_BAD_ARGUMENT' });
  }
  return method.needs?.includes('conv-layer') ?? method.layer === 'cam';
}

export function explainImages(network: Network, set: ImageSet, method: ExplanationMethod, options: ExplainOptions = {}): MethodExplanation {
  checkModel('explainImages', 'network', network);
  checkImageSetKind('explainImages', 'set', set);
  checkMethod('explainImages', 'method', method);
  checkOptions('explainImages', options);
  const fields = { indices: 'numbers', targetClass: 'number', batchSize: 'number', placement: 'string', layer: 'string', seed: 'number', random: 'object', passes: 'object' } as const;
  checkOptionFields('explainImages', 'options', options, fields);
  checkPlacement('explainImages', options.placement);
  if (options.random !== undefined) checkRandom('explainImages', 'options.random', options.random);
  return runSteps(explainImageSteps(network, set, method, options));
}

/** `explainImages`, pausing after each batch with the number of images done. */
export function* explainImageSteps(network: Network, set: ImageSet, method: ExplanationMethod, options: ExplainOptions = {}): Steps<MethodExplanation> {
  const classes = network.outputShape[0];
  // A method that reads a conv block finds it first: no conv, or an unknown --layer, is one line before any work.
  const explained = needsConvLayer(method) ? explainedLayer(network, options.layer) : null;
  const [mapHeight, mapWidth] = method.mapShape(network, explained?.name);
  const [channels, height, width] = network.inputShape;
  const requested = options.indices ?? range(0, set.count); // checked as given, then made an Int32Array
  const batchSize = options.batchSize ?? 64;
  if (!(Number.isSafeInteger(batchSize) && batchSize >= 1)) throw new XcnnError(`${method.title}: batchSize must be a whole number ≥ 1, not ${batchSize}`, { code: 'ERR_BAD_ARGUMENT' });
  checkInputs(set, requested, options.targetClass, classes, height, width, method.title, channels);
  const indices = Int32Array.from(requested);
  const placement = options.placement ?? 'stretch';
  if (placement !== 'stretch' && method.layer === 'input') {
    throw new XcnnError(`${method.title}: its map is already on the input's ${height} × ${width} pixels; placement '${placement}' is for the CAM family's ${safeCamLayerName(network)} maps only`, { code: 'ERR_BAD_ARGUMENT' });
  }
  // A map on a conv block has its block: needsConvLayer refused a 'cam' method that looks none up, and a
  // placement other than 'stretch' was refused above for a map on the input.
  const camLayer = method.layer === 'cam' ? explained : null;
  const field = camLayer?.field ?? null;
  if (placement === 'receptive-field' && field === null) {
    throw new XcnnError(`${method.title}: ${camLayer!.name} has no receptive field (the network was not built from a spec); use placement 'stretch'`, { code: 'ERR_BAD_ARGUMENT' });
  }

  const count = indices.length;
  const mapPixels = mapHeight * mapWidth;
  const pixels = height * width;
  const result: MethodExplanation = {
    method: method.name, layer: camLayer?.name ?? 'input', placement,
    ...allocateExplanation(indices, classes, mapHeight, mapWidth, height, width),
  };
  const gaps = new Float32Array(count);
  if (method.reportsCompletenessGap) result.completenessGaps = gaps;

  const loader = BatchLoader.inWorkspace(network.workspace, 'explain', set);
  const dLogits = network.workspace.floats('explain.dLogits', classes);
  const random = runRandom(method, options);
  try {
    for (let start = 0; start < count; start += batchSize) {
      const end = Math.min(start + batchSize, count);
      const batch = loader.load(indices.subarray(start, end));
      method.explainBatch(network, batch.input, batch.size, options.targetClass, {
        logits: result.logits.subarray(start * classes, end * classes),
        targets: result.targets.subarray(start, end),
        maps: result.maps.subarray(start * mapPixels, end * mapPixels),
        completenessGaps: gaps.subarray(start, end),
      }, dLogits.forBatch(batch.size), explained?.name, random, options.passes);
      for (let n = start; n < end; n++) {
        softmaxRow(result.logits, n, classes, result.probabilities.subarray(n * classes, (n + 1) * classes));
        result.predicted[n] = argmaxRow(result.logits, n, classes);
        const map = result.maps.subarray(n * mapPixels, (n + 1) * mapPixels);
        writeHeatmap(map, mapHeight, mapWidth, height, width, result.heatmaps.subarray(n * pixels, (n + 1) * pixels), placement, field);
      }
      yield { done: end, total: count };
    }
  } finally {
    network.zeroGrad(); // the built-in methods' passes skip parameter gradients, a method of the caller's may not: leave none behind
  }
  return result;
}

/** The default CAM layer's name, or 'conv-block' when the network has none. */
function safeCamLayerName(network: Network): string {
  try {
    return explainedLayer(network).name;
  } catch {
    return 'conv-block';
  }
}
