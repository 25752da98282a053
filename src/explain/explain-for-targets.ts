/**
 * Explaining many images, each for a class of its own: image n of the request for class targets[n].
 *
 * Every method (src/explain/methods/) and Grad-CAM's own driver take one target class per call (or each
 * image's predicted class), since a batch shares one backward pass. So the requests are grouped by
 * target — one call per distinct class, the images of that class in request order — and the rows are
 * put back in request order afterwards. An image may appear more than once (for two classes, say).
 *
 * Each row is exactly what explaining that image alone for its target gives: the methods treat the
 * images of a batch independently (tested in test/class-summary.test.ts) — all but the seeded ones, whose
 * draws go on from image to image and class to class within a call, from the seed.
 */
import { checkImageSetKind, checkMethod, checkModel, checkNumbers, checkOptionFields, checkOptions } from '../argument-checks.js';
import type { ImageSet } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import { explainedLayer } from './explained-layer.js';
import { allocateExplanation, type Explanation } from './explanation.js';
import { gradCamSteps, type GradCamRunner } from './grad-cam.js';
import { explainImageSteps, needsConvLayer, runRandom, type ExplanationMethod } from './methods/explain.js';
import type { ModelPasses } from './model-passes.js';
import { checkPlacement, type Placement } from './placement.js';
import type { Random } from '../random.js';
import { partOfSteps, runSteps, type Steps } from '../steps.js';

export interface TargetedExplainOptions {
  batchSize?: number; // images per batch (default: the method's)
  /** Grad-CAM on a thread pool (ThreadPool.gradCamRunner()); used only when the method is `grad-cam`. */
  runner?: GradCamRunner;
  /** The other methods' passes on a thread pool (the pool itself; model-passes.ts): the same maps, bit for bit. */
  passes?: ModelPasses;
  /** The conv block the CAM methods explain (default: the last; explained-layer.ts). */
  layer?: string;
  /** The seeded methods' seed for this call (default: the method's own); one generator serves every class. */
  seed?: number;
  /** CAM methods: how a block's map is brought to the input's size (default 'stretch'; placement.ts). */
  placement?: Placement;
}

/** What each of TargetedExplainOptions holds (explainForTargets, explainClassMeans and confusionCellExplanations check them). */
export const TARGETED_EXPLAIN_OPTION_FIELDS = { batchSize: 'number', runner: 'function', passes: 'object', layer: 'string', seed: 'number', placement: 'string' } as const;

/**
 * Explains image `indices[n]` of the set for class `targets[n]`, for every n: an explanation of N rows
 * in the request's order, whatever order the calls ran in. `grad-cam` goes through `gradCam` (so it can
 * run on the thread pool); every other method through `explainImages`.
 */
export function explainForTargets(
  network: Network,
  set: ImageSet,
  method: ExplanationMethod,
  indices: ArrayLike<number>,
  targets: ArrayLike<number>,
  options: TargetedExplainOptions = {},
): Explanation & { completenessGaps?: Float32Array } {
  checkModel('explainForTargets', 'network', network);
  checkImageSetKind('explainForTargets', 'set', set);
  checkMethod('explainForTargets', 'method', method);
  checkNumbers('explainForTargets', 'indices', indices);
  checkNumbers('explainForTargets', 'targets', targets);
  checkOptions('explainForTargets', options);
  checkOptionFields('explainForTargets', 'options', options, TARGETED_EXPLAIN_OPTION_FIELDS, 'passed on');
  checkPlacement('explainForTargets', options.placement);
  return runSteps(explainForTargetsSteps(network, set, method, indices, targets, options));
}

/** `explainForTargets`, pausing after each batch with the number of images done (steps.ts). */
export function* explainForTargetsSteps(
  network: Network,
  set: ImageSet,
  method: ExplanationMethod,
  indices: ArrayLike<number>,
  targets: ArrayLike<number>,
  options: TargetedExplainOptions = {},
): Steps<Explanation & { completenessGaps?: Float32Array }> {
  if (indices.length !== targets.length) {
    throw new XcnnError(`explainForTargets: ${indices.length} image indices but ${targets.length} target classes; give one class per image`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const layer = needsConvLayer(method) ? explainedLayer(network, options.layer).name : undefined; // no conv, or an unknown layer: before any work
  const byTarget = new Map<number, number[]>(); // target → the request rows it explains, in order
  for (let n = 0; n < targets.length; n++) {
    const rows = byTarget.get(targets[n]) ?? [];
    rows.push(n);
    byTarget.set(targets[n], rows);
  }
  const random = runRandom(method, options);
  const parts: { rows: number[]; explanation: Explanation & { completenessGaps?: Float32Array } }[] = [];
  let done = 0;
  for (const [target, rows] of byTarget) {
    const steps = explainOneTarget(network, set, method, Int32Array.from(rows, (n) => indices[n]), target, { ...options, layer }, random);
    parts.push({ rows, explanation: yield* partOfSteps(steps, done, indices.length) });
    done += rows.length;
  }
  return gatherRows(network, method, indices.length, parts, layer);
}

function explainOneTarget(network: Network, set: ImageSet, method: ExplanationMethod, indices: Int32Array, targetClass: number, options: TargetedExplainOptions, random: Random): Steps<Explanation> {
  const { batchSize, runner, layer, placement, passes } = options;
  return method.name === 'grad-cam' && (placement ?? 'stretch') === 'stretch'
    ? gradCamSteps(network, set, { indices, targetClass, batchSize, runner, layer })
    : explainImageSteps(network, set, method, { indices, targetClass, batchSize, layer, placement, random, passes });
}

/** One explanation of `count` rows from parts whose row k goes to row `rows[k]`. */
function gatherRows(network: Network, method: ExplanationMethod, count: number, parts: { rows: number[]; explanation: Explanation & { completenessGaps?: Float32Array } }[], layer: string | undefined): Explanation & { completenessGaps?: Float32Array } {
  const classes = network.outputShape[0];
  const [mapHeight, mapWidth] = method.mapShape(network, layer);
  const [, height, width] = network.inputShape;
  const mapPixels = mapHeight * mapWidth;
  const pixels = height * width;
  const out: Explanation & { completenessGaps?: Float32Array } = allocateExplanation(new Int32Array(count), classes, mapHeight, mapWidth, height, width);
  if (method.reportsCompletenessGap) out.completenessGaps = new Float32Array(count);
  for (const { rows, explanation: part } of parts) {
    rows.forEach((n, k) => {
      const copy = (from: Float32Array, to: Float32Array, size: number) => to.set(from.subarray(k * size, (k + 1) * size), n * size);
      out.indices[n] = part.indices[k];
      out.predicted[n] = part.predicted[k];
      out.targets[n] = part.targets[k];
      copy(part.logits, out.logits, classes);
      copy(part.probabilities, out.probabilities, classes);
      copy(part.maps, out.maps, mapPixels);
      copy(part.heatmaps, out.heatmaps, pixels);
      if (out.completenessGaps !== undefined && part.completenessGaps !== undefined) out.completenessGaps[n] = part.completenessGaps[k];
    });
  }
  return out;
}
