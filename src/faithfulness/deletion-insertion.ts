/**
 * Deletion and insertion curves (Petsiuk, Das & Saenko, 2018, "RISE: Randomized Input Sampling for
 * Explanation of Black-box Models", BMVC; §4.1 "Deletion and insertion metrics").
 *
 * The explained class c is the model's prediction on the original image. Its P pixels are ordered by the
 * heatmap, most important first (ties by pixel index, so the order is deterministic), and moved in K steps
 * of m = ⌈P/K⌉ pixels (28 steps of 28 pixels on MNIST). After step k the first n_k = min(k·m, P) pixels of
 * the order are
 *
 *   deletion:   removed from the image                 (p_c falls fast if the order is right: lower AUC is better)
 *   insertion:  the only ones kept, the rest removed    (p_c rises fast if the order is right: higher AUC is better)
 *
 * and the curve is p_c (the softmax probability) at the fractions n_k / P, k = 0 … K. Its area is taken
 * by the trapezoid rule over [0, 1]. "Removed" is one of two fills:
 *
 *   zero  the pixel set to 0 — on MNIST that is the background itself, so the mask leaks the digit's shape;
 *   road  noisy linear imputation from the pixels kept (ROAD, Rong et al. 2022; road-imputation.ts).
 *
 * The baseline to beat is the same curves under a random order (seeded). All K + 1 perturbed images of
 * a curve, and the four curves of an image, go through the model as one batch.
 */
import { checkFunction, checkList, checkModel, checkNumber, checkNumbers, checkOptions, checkRandom } from '../argument-checks.js';
import { softmaxRow } from '../explain/explanation.js';
import type { ModelPasses } from '../explain/model-passes.js';
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import { Random } from '../random.js';
import { conjugateGradients, noisyLinearImputation, type ImputationSolver, type RoadImputationOptions } from './road-imputation.js';

/** Class probabilities [count, classes] of `count` images [count, C·H·W] (values in [0, 1]). */
export type ImageClassifier = (images: Float32Array, count: number) => Float32Array;

/**
 * A network as an ImageClassifier: forwards in batches of `batchSize`, then the softmax of each row. The
 * forward passes go through `passes` when given (a thread pool: the same numbers; model-passes.ts).
 */
export function networkClassifier(network: Network, batchSize = 256, passes?: ModelPasses): ImageClassifier {
  checkModel('networkClassifier', 'network', network);
  const classes = network.outputShape[0];
  const imageSize = network.inputShape.reduce((a, b) => a * b, 1);
  return (images, count) => {
    const buffer = network.workspace.floats('classifier.input', imageSize);
    const probabilities = new Float32Array(count * classes);
    for (let start = 0; start < count; start += batchSize) {
      const size = Math.min(batchSize, count - start);
      const input = buffer.forBatch(size);
      input.set(images.subarray(start * imageSize, (start + size) * imageSize));
      const logits = passes === undefined ? network.logits(input, size) : passes.logits(input, size);
      for (let b = 0; b < size; b++) softmaxRow(logits, b, classes, probabilities.subarray((start + b) * classes, (start + b + 1) * classes));
    }
    return probabilities;
  };
}

export type Fill = 'zero' | 'road';
export const FILLS: readonly Fill[] = ['zero', 'road'];

export interface CurveOptions {
  steps: number; // K
  road: Partial<RoadImputationOptions>;
}

export const CURVE_DEFAULTS: CurveOptions = { steps: 28, road: {} };

/** The pixels by heatmap value, highest first; equal values in increasing pixel index. */
export function attributionOrder(heatmap: ArrayLike<number>): Int32Array {
  checkNumbers('attributionOrder', 'heatmap', heatmap);
  const order = Int32Array.from({ length: heatmap.length }, (_, k) => k);
  return order.sort((i, j) => heatmap[j] - heatmap[i] || i - j);
}

/** A uniformly random order of `pixels` pixels (Fisher–Yates with `random`). */
export function randomOrder(pixels: number, random: Random): Int32Array {
  checkRandom('randomOrder', 'random', random);
  const order = Int32Array.from({ length: pixels }, (_, k) => k);
  random.shuffle(order);
  return order;
}

/** The fractions n_k / P of the pixels moved after step k = 0 … K, n_k = min(k·⌈P/K⌉, P). [K + 1] */
export function curveFractions(pixels: number, steps: number): Float64Array {
  checkNumber('curveFractions', 'pixels', pixels);
  checkNumber('curveFractions', 'steps', steps);
  const perStep = Math.ceil(pixels / steps);
  return Float64Array.from({ length: steps + 1 }, (_, k) => Math.min(k * perStep, pixels) / pixels);
}

/** ∫ y dx by the trapezoid rule over the points (xs[k], ys[k]), xs increasing. */
export function areaUnderCurve(xs: ArrayLike<number>, ys: ArrayLike<number>): number {
  checkNumbers('areaUnderCurve', 'xs', xs);
  checkNumbers('areaUnderCurve', 'ys', ys);
  let area = 0;
  for (let k = 1; k < xs.length; k++) area += ((xs[k] - xs[k - 1]) * (ys[k] + ys[k - 1])) / 2;
  return area;
}

/** One image's four curves, each p_c at the K + 1 fractions. */
export interface ImageCurves {
  deletion: Record<Fill, Float64Array>; // [K + 1]
  insertion: Record<Fill, Float64Array>; // [K + 1]
}

/** What one image's curves are made from. */
export interface CurveRequest {
  image: ArrayLike<number>; // [C·H·W] in [0, 1]: C planes of H·W pixels
  order: Int32Array; // [H·W] pixels, most important first (a pixel moves in every channel at once)
  target: number; // the class whose probability is followed
  seed: number; // of the ROAD noise (the same for every order of this image, so methods share it)
}

/**
 * Something that computes the curves of several requests as `perturbationCurves` does: a thread pool
 * (src/parallel/thread-pool.ts) splits them over its threads, each request from its own seed, with the
 * same numbers bit for bit.
 */
export interface CurvesRunner {
  curves(requests: CurveRequest[], height: number, width: number, options?: Partial<CurveOptions>): ImageCurves[];
}

/**
 * The deletion and insertion curves, zero-filled and ROAD-imputed, of several images (one model call
 * for all their 4·(K + 1) perturbed images). A removed pixel is removed in every channel; ROAD imputes
 * each channel's plane from that channel's kept pixels, the channels in order from one noise stream, its
 * systems solved by `solve` (imputationSolver(backend) for a backend's kernel: the same curves).
 */
export function perturbationCurves(classify: ImageClassifier, requests: CurveRequest[], height: number, width: number, options: Partial<CurveOptions> = {}, solve: ImputationSolver = conjugateGradients): ImageCurves[] {
  checkFunction('perturbationCurves', 'classify', classify, 'a function from images to probabilities (networkClassifier)');
  checkFunction('perturbationCurves', 'solve', solve, 'a solver of the ROAD imputation system (imputationSolver(backend), or conjugateGradients)');
  checkList('perturbationCurves', 'requests', requests, 'curve requests (image, order, target, seed)');
  checkOptions('perturbationCurves', options);
  const { steps, road } = { ...CURVE_DEFAULTS, ...options };
  const pixels = height * width;
  const imageSize = requests[0]?.image.length ?? pixels;
  const channels = imageSize / pixels;
  const points = steps + 1;
  const perImage = 4 * points; // deletion zero, deletion road, insertion zero, insertion road
  const images = new Float32Array(requests.length * perImage * imageSize);
  requests.forEach((request, r) => {
    if (request.image.length !== imageSize) throw new XcnnError(`perturbationCurves: image ${r} has ${request.image.length} values but image 0 has ${imageSize}; give images of one shape`, { code: 'ERR_BAD_ARGUMENT' });
    const random = new Random(request.seed);
    const removed = new Uint8Array(pixels);
    const at = (curve: number, k: number) => images.subarray(((r * 4 + curve) * points + k) * imageSize, ((r * 4 + curve) * points + k + 1) * imageSize);
    const plane = (values: ArrayLike<number>, c: number): ArrayLike<number> => (channels === 1 ? values : Float64Array.from({ length: pixels }, (_, p) => values[c * pixels + p]));
    for (const [first, mode] of [[0, 'deletion'], [2, 'insertion']] as const) {
      for (let k = 0; k < points; k++) {
        const moved = Math.min(k * Math.ceil(pixels / steps), pixels);
        // deletion removes the first `moved` pixels of the order; insertion removes all the others
        removed.fill(mode === 'deletion' ? 0 : 1);
        for (let j = 0; j < moved; j++) removed[request.order[j]] = mode === 'deletion' ? 1 : 0;
        const zero = at(first, k);
        for (let c = 0; c < channels; c++) {
          for (let p = 0; p < pixels; p++) zero[c * pixels + p] = removed[p] ? 0 : request.image[c * pixels + p];
        }
        const imputed = at(first + 1, k);
        for (let c = 0; c < channels; c++) noisyLinearImputation(plane(request.image, c), removed, height, width, random, road, imputed.subarray(c * pixels, (c + 1) * pixels), solve);
      }
    }
  });
  const probabilities = classify(images, requests.length * perImage);
  const classes = probabilities.length / (requests.length * perImage);
  return requests.map((request, r) => {
    const curve = (c: number) => Float64Array.from({ length: points }, (_, k) => probabilities[((r * 4 + c) * points + k) * classes + request.target]);
    return { deletion: { zero: curve(0), road: curve(1) }, insertion: { zero: curve(2), road: curve(3) } };
  });
}
