/**
 * Measured faithfulness: every explanation method of the registry (src/explain/methods/by-name.ts) run on
 * the same test images and scored on
 *
 *   deletion AUC   zero-filled and ROAD-imputed (deletion-insertion.ts)      lower is better
 *   insertion AUC  zero-filled and ROAD-imputed                              higher is better
 *   vs random      the mean of those four AUCs' margins over a random order  higher is better (> 0: beats random)
 *   randomisation  mean Spearman ρ / SSIM to the maps of the fully          lower is better; flagged above the threshold
 *                  randomised network (randomisation.ts)
 *   pointing game  hit rate of the heatmap's maximum on the ink              higher is better
 *   cost           wall time of the explanation alone, ms per image          (shown, not ranked)
 *
 * Each method is ranked on the six quality measures (1 = best, ties share the mean rank) and the methods
 * are listed by their mean rank. Every curve follows the class the model predicts for the original image.
 * Only forward passes and the methods' own passes run: the network is left as it was found.
 */
import { checkImageSetKind, checkList, checkModel, checkNumbers, checkOptions } from '../argument-checks.js';
import type { ImageSet } from '../data/dataset.js';
import { METHOD_NAMES, methodByName, type MethodOptions } from '../explain/methods/by-name.js';
import { explainedLayer } from '../explain/explained-layer.js';
import { checkInputs } from '../explain/explanation.js';
import { explainImages, needsConvLayer } from '../explain/methods/explain.js';
import type { ModelPasses } from '../explain/model-passes.js';
import { argmaxRow } from '../model/loss.js';
import type { Network } from '../model/network.js';
import { Random } from '../random.js';
import {
  areaUnderCurve,
  attributionOrder,
  curveFractions,
  networkClassifier,
  perturbationCurves,
  randomOrder,
  type CurveRequest,
  type CurvesRunner,
  type Fill,
  type ImageCurves,
} from './deletion-insertion.js';
import { pointingGame, POINTING_GAME_DEFAULTS, type PointingGameOptions, type PointingGameScore } from './pointing-game.js';
import { cascadingRandomisation, RANDOMISATION_DEFAULTS, type RandomisationResult } from './randomisation.js';
import { averageRanks } from './rank-correlation.js';
import { imputationSolver, ROAD_DEFAULTS, type RoadImputationOptions } from './road-imputation.js';

export interface FaithfulnessOptions {
  methods: readonly string[]; // names as `xcnn explain --method` takes them (default: every registered method)
  methodOptions: MethodOptions;
  steps: number; // K, deletion/insertion steps (28)
  seed: number; // of the random order, the ROAD noise and the randomised weights (1)
  road: Partial<RoadImputationOptions>;
  pointing: Partial<PointingGameOptions>;
  randomisationImages: number; // the first this many of the images go through the randomisation check (100)
  flagThreshold: number; // randomisation: flagged when the final mean ρ or SSIM exceeds this (0.5)
  layer?: string; // the conv block the CAM methods explain (default: the last; explained-layer.ts)
  /**
   * A thread pool (src/parallel/thread-pool.ts) to run the explanations' passes and the curves on: the
   * same numbers bit for bit as on this thread, whatever the thread count (default: this thread).
   */
  pool?: ModelPasses & CurvesRunner;
  /** Called as the work advances: `phase` is 'explain', 'curves' or 'randomisation'. */
  onProgress?: (method: string, phase: string, done: number, total: number) => void;
}

export const FAITHFULNESS_DEFAULTS: FaithfulnessOptions = {
  methods: METHOD_NAMES,
  methodOptions: {},
  steps: 28,
  seed: 1,
  road: {},
  pointing: {},
  randomisationImages: 100,
  flagThreshold: RANDOMISATION_DEFAULTS.flagThreshold,
};

/** An AUC under each fill. */
export type Areas = Record<Fill, number>;

/** The measures a method is ranked on, with the direction that is better. */
export const RANKED_MEASURES = {
  deletionZero: 'lower',
  deletionRoad: 'lower',
  insertionZero: 'higher',
  insertionRoad: 'higher',
  randomisation: 'lower',
  pointingGame: 'higher',
} as const;

export type RankedMeasure = keyof typeof RANKED_MEASURES;

export interface MethodFaithfulness {
  method: string;
  title: string;
  deletion: Areas; // mean AUC over the images
  insertion: Areas;
  vsRandom: number; // mean margin over the random order across the four AUCs (> 0: better than random)
  randomisation: RandomisationResult;
  pointingGame: PointingGameScore;
  msPerImage: number; // the explanation's wall time per image
  ranks: Record<RankedMeasure, number>;
  meanRank: number;
}

export interface FaithfulnessResult {
  count: number; // N images
  indices: Int32Array; // [N] in the set
  labels: Int32Array; // [N]
  predicted: Int32Array; // [N] the model's class for each, the class every curve follows
  height: number;
  width: number;
  settings: { steps: number; seed: number; road: RoadImputationOptions; pointing: PointingGameOptions; randomisationImages: number; flagThreshold: number };
  random: { deletion: Areas; insertion: Areas }; // the random-order baseline's mean AUCs
  methods: MethodFaithfulness[]; // best mean rank first
  heatmaps: Record<string, Float32Array>; // method → [N, H, W], for figures (not written to JSON)
}

/** Images compared per model call when scoring curves (on a pool, POOLED_CURVE_GROUP, shared by its threads). */
const CURVE_GROUP = 8;
const POOLED_CURVE_GROUP = 64;

/** The ROAD noise seed of one image, the same for every order of it (methods and random alike). */
function noiseSeed(seed: number, index: number): number {
  return (Math.imul(seed, 0x9e3779b1) + index) >>> 0;
}

/** Mean AUCs of a list of images' curves. */
function meanAreas(curves: ImageCurves[], fractions: Float64Array): { deletion: Areas; insertion: Areas } {
  const mean = (pick: (c: ImageCurves) => Float64Array) => curves.reduce((sum, c) => sum + areaUnderCurve(fractions, pick(c)), 0) / curves.length;
  return {
    deletion: { zero: mean((c) => c.deletion.zero), road: mean((c) => c.deletion.road) },
    insertion: { zero: mean((c) => c.insertion.zero), road: mean((c) => c.insertion.road) },
  };
}

/**
 * The mean over the channels of images [N, C, H·W]: [N, H·W] (the images themselves when C = 1). The
 * pointing game's object is where this mean exceeds its ink threshold — MNIST's ink; on colour images
 * the bright parts.
 */
function channelMeans(images: Float32Array, count: number, channels: number, pixels: number): Float32Array {
  if (channels === 1) return images;
  const means = new Float32Array(count * pixels);
  for (let n = 0; n < count; n++) {
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < pixels; p++) means[n * pixels + p] += images[(n * channels + c) * pixels + p] / channels;
    }
  }
  return means;
}

/** Ranks (1 = best, ties averaged) of each method on each measure, and their mean. */
export function rankMethods(rows: Array<Record<RankedMeasure, number>>): Array<{ ranks: Record<RankedMeasure, number>; meanRank: number }> {
  checkList('rankMethods', 'rows', rows, 'measures, one object per method');
  const measures = Object.keys(RANKED_MEASURES) as RankedMeasure[];
  const columns = measures.map((measure) => averageRanks(rows.map((row) => (RANKED_MEASURES[measure] === 'lower' ? row[measure] : -row[measure]))));
  return rows.map((_, m) => {
    const ranks = Object.fromEntries(measures.map((measure, k) => [measure, columns[k][m]])) as Record<RankedMeasure, number>;
    return { ranks, meanRank: measures.reduce((sum, measure) => sum + ranks[measure], 0) / measures.length };
  });
}

/** Runs every measure for every method on the images `indices` of `set` (see the file's header). */
export function measureFaithfulness(network: Network, set: ImageSet, indices: ArrayLike<number>, options: Partial<FaithfulnessOptions> = {}): FaithfulnessResult {
  checkModel('measureFaithfulness', 'network', network);
  checkImageSetKind('measureFaithfulness', 'set', set);
  checkNumbers('measureFaithfulness', 'indices', indices);
  checkOptions('measureFaithfulness', options);
  const o = { ...FAITHFULNESS_DEFAULTS, ...options };
  const [channels, height, width] = network.inputShape;
  const pixels = height * width;
  const imageSize = channels * pixels;
  const count = indices.length;
  checkInputs(set, indices, undefined, network.outputShape[0], height, width, 'faithfulness', channels);
  const images = new Float32Array(count * imageSize); // [N, C, H, W] in [0, 1]
  for (let n = 0; n < count; n++) {
    for (let i = 0; i < imageSize; i++) images[n * imageSize + i] = set.images[indices[n] * imageSize + i] / 255;
  }
  const image = (n: number) => images.subarray(n * imageSize, (n + 1) * imageSize);
  const ink = channelMeans(images, count, channels, pixels); // [N, H, W]: what the pointing game calls the object
  const classify = networkClassifier(network, undefined, o.pool);
  const group = o.pool === undefined ? CURVE_GROUP : POOLED_CURVE_GROUP;
  const solve = imputationSolver(network.backend);
  const runCurves = (requests: CurveRequest[]) => (o.pool === undefined ? perturbationCurves(classify, requests, height, width, curveOptions, solve) : o.pool.curves(requests, height, width, curveOptions));
  const fractions = curveFractions(pixels, o.steps);
  const curveOptions = { steps: o.steps, road: o.road };
  const makeMethod = (name: string) => () => methodByName(name, o.methodOptions);
  // An unknown name, a CAM method on a network without a conv, or an unknown layer fails before any work.
  for (const name of o.methods) if (needsConvLayer(makeMethod(name)())) explainedLayer(network, o.layer);

  const probabilities = classify(images, count);
  const classes = network.outputShape[0];
  const predicted = Int32Array.from({ length: count }, (_, n) => argmaxRow(probabilities, n, classes));

  /** Mean AUCs of the images under the orders `orderOf(n)`, `group` images a model call. */
  const curvesOf = (orderOf: (n: number) => Int32Array, onGroup: (done: number) => void) => {
    const curves: ImageCurves[] = [];
    for (let start = 0; start < count; start += group) {
      const requests: CurveRequest[] = [];
      for (let n = start; n < Math.min(start + group, count); n++) requests.push({ image: image(n), order: orderOf(n), target: predicted[n], seed: noiseSeed(o.seed, indices[n]) });
      curves.push(...runCurves(requests));
      onGroup(curves.length);
    }
    return meanAreas(curves, fractions);
  };

  const orderRandom = new Random(o.seed);
  const randomOrders = Array.from({ length: count }, () => randomOrder(pixels, orderRandom));
  const random = curvesOf((n) => randomOrders[n], (done) => o.onProgress?.('random', 'curves', done, count));

  const sanityCount = Math.min(o.randomisationImages, count);
  const sanityIndices = Array.from({ length: sanityCount }, (_, n) => indices[n]);
  const heatmaps: Record<string, Float32Array> = {};
  const rows = o.methods.map((name) => {
    o.onProgress?.(name, 'explain', 0, count);
    const method = makeMethod(name)();
    const started = performance.now();
    const explanation = explainImages(network, set, method, { indices, layer: o.layer, passes: o.pool });
    const msPerImage = (performance.now() - started) / count;
    heatmaps[name] = explanation.heatmaps;
    o.onProgress?.(name, 'explain', count, count);
    const areas = curvesOf((n) => attributionOrder(explanation.heatmaps.subarray(n * pixels, (n + 1) * pixels)), (done) => o.onProgress?.(name, 'curves', done, count));
    o.onProgress?.(name, 'randomisation', 0, sanityCount);
    const randomisation = cascadingRandomisation(network, set, sanityIndices, predicted.subarray(0, sanityCount), makeMethod(name), { seed: o.seed, flagThreshold: o.flagThreshold, layer: o.layer, passes: o.pool });
    o.onProgress?.(name, 'randomisation', sanityCount, sanityCount);
    const vsRandom = (random.deletion.zero - areas.deletion.zero + (random.deletion.road - areas.deletion.road) + (areas.insertion.zero - random.insertion.zero) + (areas.insertion.road - random.insertion.road)) / 4;
    return {
      method: name,
      title: method.title,
      ...areas,
      vsRandom,
      randomisation,
      pointingGame: pointingGame(explanation.heatmaps, ink, count, height, width, o.pointing),
      msPerImage,
    };
  });
  const ranked = rankMethods(rows.map((row) => ({
    deletionZero: row.deletion.zero,
    deletionRoad: row.deletion.road,
    insertionZero: row.insertion.zero,
    insertionRoad: row.insertion.road,
    randomisation: row.randomisation.spearman,
    pointingGame: row.pointingGame.hitRate,
  })));
  const methods = rows.map((row, m) => ({ ...row, ...ranked[m] })).sort((a, b) => a.meanRank - b.meanRank || a.method.localeCompare(b.method));
  return {
    count,
    indices: Int32Array.from(indices),
    labels: Int32Array.from({ length: count }, (_, n) => set.labels[indices[n]]),
    predicted,
    height,
    width,
    settings: {
      steps: o.steps,
      seed: o.seed,
      road: { ...ROAD_DEFAULTS, ...o.road },
      pointing: { ...POINTING_GAME_DEFAULTS, ...o.pointing },
      randomisationImages: sanityCount,
      flagThreshold: o.flagThreshold,
    },
    random,
    methods,
    heatmaps,
  };
}
