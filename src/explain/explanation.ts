/**
 * The machinery every explanation method shares, whatever its map and whatever the network: the
 * Explanation record and its allocation, the target classes and their one-hot dLogits, the check of a
 * run's images against the model, the softmax of the logits, and how a raw map becomes a heatmap — brought
 * to the input's size (placement.ts: stretched, or each cell at its receptive field's centre) and min–max
 * normalised to [0, 1] (a flat map gives all zeros, never NaN; `isFlatMap` says which maps are flat). Grad-CAM (grad-cam.ts) and the methods
 * (methods/) build on it; nothing here knows a layer's name or an image size.
 */
import { checkFields, checkNumber, checkNumbers, checkPositiveWhole, type FieldKind } from '../argument-checks.js';
import type { Floats } from '../backend/backend.js';
import { checkImageSet, type ImageSet } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import { argmaxRow } from '../model/loss.js';
import type { ReceptiveField } from '../model/spec.js';
import { checkPlacement, placeMap, type Placement } from './placement.js';
import { resizeBilinearInto } from './resize.js';

/**
 * What every explanation method of N images gives (src/explain/methods/); every array is row-major with
 * the shape given. The map is the method's raw one: [h, w] on the explained conv block's cells for the CAM
 * family, [H, W] on the input (summed or reduced over its channels) for the others.
 */
export interface Explanation {
  count: number; // N
  classes: number;
  mapHeight: number; // h
  mapWidth: number; // w
  height: number; // H, the input's
  width: number; // W
  indices: Int32Array; // [N] which images of the set
  logits: Float32Array; // [N, classes]
  probabilities: Float32Array; // [N, classes] softmax of the logits
  predicted: Int32Array; // [N] argmax of the logits
  targets: Int32Array; // [N] the class each map explains
  maps: Float32Array; // [N, h, w] raw
  heatmaps: Float32Array; // [N, H, W] the maps resized and min–max normalised to [0, 1]
}

/** An explanation of the images `indices` with every array allocated (zeros), for a method to fill. */
export function allocateExplanation(indices: Int32Array, classes: number, mapHeight: number, mapWidth: number, height: number, width: number): Explanation {
  const count = indices.length;
  return {
    count, classes, mapHeight, mapWidth, height, width, indices,
    logits: new Float32Array(count * classes),
    probabilities: new Float32Array(count * classes),
    predicted: new Int32Array(count),
    targets: new Int32Array(count),
    maps: new Float32Array(count * mapHeight * mapWidth),
    heatmaps: new Float32Array(count * height * width),
  };
}

/**
 * The class each image of a batch is explained for: one class for all (a number), each image's own
 * (an array, e.g. fixed from an earlier pass), or each image's predicted class (undefined).
 */
export type Targets = number | Int32Array | undefined;

/** dLogits [size, classes] = the one-hot rows of the targets; returns the targets as an array [size]. */
export function oneHotTargets(logits: Floats, size: number, classes: number, targets: Targets, dLogits: Floats): Int32Array {
  const chosen = new Int32Array(size);
  dLogits.fill(0);
  for (let b = 0; b < size; b++) {
    chosen[b] = typeof targets === 'number' ? targets : targets === undefined ? argmaxRow(logits, b, classes) : targets[b];
    dLogits[b * classes + chosen[b]] = 1;
  }
  return chosen;
}

/**
 * Checks a run's images, indices (as the caller gave them: an Int32Array would have made 1.5 image 1) and target
 * class against the model's input [C, H, W] (`channels` may be left out for a one-channel model); `what` names the method.
 */
export function checkInputs(set: ImageSet, indices: ArrayLike<number>, targetClass: number | undefined, classes: number, height: number, width: number, what = 'Grad-CAM', channels = 1): void {
  checkImageSet(set, [channels, height, width], what);
  for (const index of Array.from(indices)) {
    if (!Number.isInteger(index) || index < 0 || index >= set.count) {
      throw new XcnnError(`${what}: image index ${index} is outside the set of ${set.count} images (0 to ${set.count - 1})`, { code: 'ERR_BAD_ARGUMENT' });
    }
  }
  if (targetClass !== undefined && !(Number.isInteger(targetClass) && targetClass >= 0 && targetClass < classes)) {
    throw new XcnnError(`${what}: class ${targetClass} is outside the model's ${classes} classes (0 to ${classes - 1})`, { code: 'ERR_BAD_ARGUMENT' });
  }
}

/**
 * The map [h, w] brought to the input's size [H, W] (by default stretched: bilinear, half-pixel centres; see
 * placement.ts for `receptive-field`, which needs the explained layer's field) and min–max normalised.
 */
export function heatmapFromMap(map: ArrayLike<number>, mapHeight: number, mapWidth: number, height: number, width: number, placement: Placement = 'stretch', field: ReceptiveField | null = null): Float32Array {
  checkNumbers('heatmapFromMap', 'map', map);
  for (const [name, size] of Object.entries({ mapHeight, mapWidth, height, width })) checkPositiveWhole('heatmapFromMap', name, size);
  if (map.length !== mapHeight * mapWidth) throw new XcnnError(`heatmapFromMap: map holds ${map.length} values, but mapHeight × mapWidth = ${mapHeight} × ${mapWidth} = ${mapHeight * mapWidth}; give the map's own height and width`, { code: 'ERR_BAD_ARGUMENT' });
  checkPlacement('heatmapFromMap', placement);
  return writeHeatmap(map, mapHeight, mapWidth, height, width, new Float32Array(height * width), placement, field);
}

/**
 * heatmapFromMap into `out` (its first height · width values, e.g. one row of an explanation's heatmaps), without
 * heatmapFromMap's argument checks: for the loops that make a heatmap an image from maps they made themselves,
 * where a new array an image cost more than the resize (see resizeBilinearInto). Returns the heatmap: `out`
 * itself when it is that long, else the view of its first height · width values.
 */
export function writeHeatmap(map: ArrayLike<number>, mapHeight: number, mapWidth: number, height: number, width: number, out: Float32Array, placement: Placement = 'stretch', field: ReceptiveField | null = null): Float32Array {
  const heatmap = out.length === height * width ? out : out.subarray(0, height * width); // [H, W]: out itself when it is that long (no view made)
  if (isFlatMap(map)) return heatmap.fill(0); // nothing to show: min–max would blow rounding noise up to [0, 1]
  if (placement === 'stretch') resizeBilinearInto(map, mapHeight, mapWidth, height, width, heatmap);
  else heatmap.set(placeMap(map, mapHeight, mapWidth, height, width, placement, field));
  return minMaxNormalize(heatmap);
}

/** How far apart a map's values must be, relative to their size, for the map to show anything (float32 rounds at 6·10⁻⁸). */
export const FLAT_TOLERANCE = 1e-6;

/**
 * Whether a raw map is flat — all zero (Grad-CAM's map after its ReLU when Σ_k α_k A_k ≤ 0 everywhere, as
 * for many confidently predicted digits), or constant — so it shows no evidence at all: max − min ≤
 * FLAT_TOLERANCE · max(|max|, |min|), or holds a value that is not finite. Its heatmap is all zeros, and the
 * overlay then means "no evidence found", not "evidence of absence". Decided on the raw map, never on a
 * rendered picture.
 */
export function isFlatMap(map: ArrayLike<number>): boolean {
  checkNumbers('isFlatMap', 'map', map);
  let min = Infinity;
  let max = -Infinity;
  for (let p = 0; p < map.length; p++) {
    if (!Number.isFinite(map[p])) return true; // NaN or infinite: nothing that can be shown
    if (map[p] < min) min = map[p];
    if (map[p] > max) max = map[p];
  }
  return !(max - min > FLAT_TOLERANCE * Math.max(Math.abs(max), Math.abs(min)));
}

/** (v − min) / (max − min) elementwise; all zeros when the values are flat (or not finite), so never NaN. */
export function minMaxNormalize(values: Float32Array): Float32Array {
  checkNumbers('minMaxNormalize', 'values', values);
  let min = Infinity;
  let max = -Infinity;
  const count = values.length;
  for (let p = 0; p < count; p++) {
    // indexed, not for…of: a heatmap a few µs instead of 2.4× as long (the loops that write a batch's heatmaps)
    const v = values[p];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const spread = max - min;
  if (!(spread > 0 && Number.isFinite(spread))) return values.fill(0);
  for (let p = 0; p < count; p++) values[p] = (values[p] - min) / spread;
  return values;
}

/**
 * A signed map for a diverging colormap: v / (2 max|v|) + 1/2, so 0 sits at 0.5, the largest magnitude at 0
 * or 1 and the sign is kept (min–max would put zero wherever the range puts it). All 0.5 (zero) when the
 * map is all zeros or max|v| is not finite, so never NaN. Figures only; the JSON heatmap stays min–max.
 */
export function zeroCentred(values: ArrayLike<number>): Float32Array {
  checkNumbers('zeroCentred', 'values', values);
  let largest = 0;
  for (let p = 0; p < values.length; p++) largest = Math.max(largest, Math.abs(values[p]));
  const out = new Float32Array(values.length).fill(0.5);
  if (!(largest > 0 && Number.isFinite(largest))) return out;
  for (let p = 0; p < values.length; p++) out[p] = 0.5 + values[p] / (2 * largest);
  return out;
}

/** out = softmax(logits row b), computed stably in float64 (the max subtracted first). */
export function softmaxRow(logits: Floats, b: number, classes: number, out: Float32Array): void {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[b * classes + k]);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[b * classes + k] - max);
  for (let k = 0; k < classes; k++) out[k] = Math.exp(logits[b * classes + k] - max) / sum;
}

/** One image of an explanation (Grad-CAM's or any method's), as views. */
export interface ExplanationImage {
  index: number; // in the image set
  logits: Float32Array; // [classes]
  probabilities: Float32Array; // [classes]
  predicted: number;
  target: number;
  map: Float32Array; // [h, w]
  heatmap: Float32Array; // [H, W]
}

/** What explanationImage reads of an explanation. */
const EXPLANATION_FIELDS: Readonly<Record<string, FieldKind>> = {
  count: 'number', classes: 'number', height: 'number', width: 'number', mapHeight: 'number', mapWidth: 'number',
  indices: 'numbers', logits: 'numbers', probabilities: 'numbers', predicted: 'numbers', targets: 'numbers', maps: 'numbers', heatmaps: 'numbers',
};

export function explanationImage(result: Explanation, n: number): ExplanationImage {
  checkFields('explanationImage', 'result', result, 'count, height, width and heatmaps, as gradCam or explainImages gives it', EXPLANATION_FIELDS);
  checkNumber('explanationImage', 'n', n, 'a number (the row of the explanation)');
  if (!(Number.isInteger(n) && n >= 0 && n < result.count)) throw new XcnnError(`explanationImage: row ${n} is outside the explanation's ${result.count} rows (0 to ${result.count - 1})`, { code: 'ERR_BAD_ARGUMENT' });
  const { classes, mapHeight, mapWidth, height, width } = result;
  const slice = (a: Float32Array, size: number) => a.subarray(n * size, (n + 1) * size);
  return {
    index: result.indices[n],
    logits: slice(result.logits, classes),
    probabilities: slice(result.probabilities, classes),
    predicted: result.predicted[n],
    target: result.targets[n],
    map: slice(result.maps, mapHeight * mapWidth),
    heatmap: slice(result.heatmaps, height * width),
  };
}
