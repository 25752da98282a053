/**
 * Per-class means: what a class looks like on average, to the eye (the mean image) and to the network
 * (the mean heatmap).
 *
 *   meanHeatmap_k = (1 / N_k) Σ_{n : class_n = k} heatmap_n        [H, W], in [0, 1]
 *   meanImage_k   = (1 / N_k) Σ_{n : class_n = k} image_n          [C, H, W], levels 0–255
 *
 * The heatmaps averaged are the normalised ones (each image's map resized and min–max scaled to [0, 1]),
 * so every image weighs the same whatever its map's raw scale. Which class an image counts for is the
 * caller's choice, one class per explained image: its true class (`trueClassesOf`) or its predicted
 * class (`explanation.predicted`). `xcnn report` uses the true class, each image explained for it.
 *
 * A class with no images (N_k = 0) gets an all-zero mean and a count of 0 — never NaN.
 */
import { checkFields, checkImageSetKind, checkMethod, checkModel, checkNumbers, checkOptionFields, checkOptions } from '../argument-checks.js';
import { imageSize, type ImageSet } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import { explainForTargets, TARGETED_EXPLAIN_OPTION_FIELDS, type TargetedExplainOptions } from './explain-for-targets.js';
import { checkPlacement } from './placement.js';
import type { Explanation } from './explanation.js';
import { methodByName } from './methods/by-name.js';
import type { ExplanationMethod } from './methods/explain.js';

export interface ClassMeans {
  classes: number;
  channels: number; // C: the images' channels (1 for the heatmaps)
  height: number; // H
  width: number; // W
  counts: Int32Array; // [classes] N_k, the images averaged for each class
  means: Float32Array; // [classes, C, H, W]
}

/** The mean normalised heatmap of each class over the explained images; `classOf[n]` is row n's class. */
export function classMeanHeatmaps(explanation: Explanation, classOf: ArrayLike<number>, classes: number): ClassMeans {
  checkFields('classMeanHeatmaps', 'explanation', explanation, 'count, height, width and heatmaps, as explainForTargets gives it', { count: 'number', height: 'number', width: 'number', heatmaps: 'numbers' });
  checkNumbers('classMeanHeatmaps', 'classOf', classOf);
  const { count, height, width } = explanation;
  if (classOf.length !== count) {
    throw new XcnnError(`classMeanHeatmaps: ${classOf.length} classes for ${count} explained images; give one class per image`, { code: 'ERR_BAD_ARGUMENT' });
  }
  return classMeans(explanation.heatmaps, classOf, classes, 1, height, width);
}

/** The mean image of each class over the images `indices` of the set; `classOf[n]` is image indices[n]'s class. */
export function classMeanImages(set: ImageSet, indices: ArrayLike<number>, classOf: ArrayLike<number>, classes: number): ClassMeans {
  checkImageSetKind('classMeanImages', 'set', set);
  checkNumbers('classMeanImages', 'indices', indices);
  checkNumbers('classMeanImages', 'classOf', classOf);
  if (classOf.length !== indices.length) {
    throw new XcnnError(`classMeanImages: ${classOf.length} classes for ${indices.length} images; give one class per image`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const pixels = imageSize(set);
  const images = new Float32Array(indices.length * pixels);
  for (let n = 0; n < indices.length; n++) images.set(set.images.subarray(indices[n] * pixels, (indices[n] + 1) * pixels), n * pixels);
  return classMeans(images, classOf, classes, set.channels ?? 1, set.height, set.width);
}

/** The true class of each explained image: `set.labels` at the explanation's indices. */
export function trueClassesOf(explanation: Explanation, set: ImageSet): Int32Array {
  checkFields('trueClassesOf', 'explanation', explanation, 'count, height, width and heatmaps, as explainForTargets gives it', { indices: 'numbers' });
  checkImageSetKind('trueClassesOf', 'set', set);
  return Int32Array.from(explanation.indices, (index) => set.labels[index]);
}

/** Means of the rows of `values` [N, C, H, W] grouped by `classOf` [N]; summed in float64. */
function classMeans(values: Float32Array, classOf: ArrayLike<number>, classes: number, channels: number, height: number, width: number): ClassMeans {
  const pixels = channels * height * width;
  const sums = new Float64Array(classes * pixels);
  const counts = new Int32Array(classes);
  for (let n = 0; n < classOf.length; n++) {
    const k = classOf[n];
    if (!(Number.isInteger(k) && k >= 0 && k < classes)) throw new XcnnError(`class ${k} of image ${n} is outside the ${classes} classes (0 to ${classes - 1})`, { code: 'ERR_BAD_ARGUMENT' });
    counts[k]++;
    for (let p = 0; p < pixels; p++) sums[k * pixels + p] += values[n * pixels + p];
  }
  const means = new Float32Array(classes * pixels);
  for (let k = 0; k < classes; k++) {
    if (counts[k] === 0) continue; // no images: the mean stays all zeros
    for (let p = 0; p < pixels; p++) means[k * pixels + p] = sums[k * pixels + p] / counts[k];
  }
  return { classes, channels, height, width, counts, means };
}

export interface ClassMeansOptions extends TargetedExplainOptions {
  perClass?: number; // the first this many images of each true class are averaged (default: all of them)
}

/** The mean image and the mean heatmap of each true class, and the explanation they come from. */
export interface ExplainedClassMeans {
  method: string;
  images: ClassMeans; // [classes, H, W] grey levels
  heatmaps: ClassMeans; // [classes, H, W] in [0, 1]
  explanation: Explanation; // one row per averaged image, each explained for its true class
}

/**
 * What each class looks like to the network: the first `perClass` images of each true class of the set,
 * each explained for its true class by `method` (a method or its name; default Grad-CAM), averaged per
 * class — with the mean image of the same images beside. `classes` is the model's class count.
 */
export function explainClassMeans(network: Network, set: ImageSet, method: ExplanationMethod | string = 'grad-cam', options: ClassMeansOptions = {}): ExplainedClassMeans {
  checkModel('explainClassMeans', 'network', network);
  checkImageSetKind('explainClassMeans', 'set', set);
  checkMethod('explainClassMeans', 'method', method, true);
  checkOptions('explainClassMeans', options);
  checkOptionFields('explainClassMeans', 'options', options, { ...TARGETED_EXPLAIN_OPTION_FIELDS, perClass: 'number' });
  checkPlacement('explainClassMeans', options.placement);
  const chosen = typeof method === 'string' ? methodByName(method) : method;
  const classes = network.outputShape[0];
  const perClass = options.perClass ?? Infinity;
  const taken = new Int32Array(classes);
  const indices: number[] = [];
  for (let n = 0; n < set.count; n++) {
    const label = set.labels[n];
    if (label < classes && taken[label] < perClass) {
      taken[label]++;
      indices.push(n);
    }
  }
  const labels = indices.map((n) => set.labels[n]);
  const explanation = explainForTargets(network, set, chosen, indices, labels, options);
  return {
    method: chosen.name,
    images: classMeanImages(set, indices, labels, classes),
    heatmaps: classMeanHeatmaps(explanation, labels, classes),
    explanation,
  };
}
