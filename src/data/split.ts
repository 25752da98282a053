/**
 * Seeded, stratified hold-out: a fraction of each class's examples set aside (a test split of an image
 * folder, a validation split of any training set), as scikit-learn's `train_test_split(…, stratify=labels)`.
 *
 * Each class's indices are shuffled with the seed and its first round(F · n) held out, at most n − 1, so
 * every class keeps a training example; the two parts are returned in the original order. The same labels,
 * fraction and seed always give the same split. Browser-safe.
 */
import { checkImageSetKind, checkNumbers } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { Random } from '../random.js';
import { imageSize, type ImageSet, type Labels } from './dataset.js';

/** The indices kept and held out, each ascending. */
export interface HoldOut {
  kept: Int32Array;
  held: Int32Array;
}

/** The largest fraction a split may hold out (at least one example in a hundred stays). */
export const MAX_SPLIT = 0.99;

export function checkSplitFraction(fraction: number, what: string): void {
  if (!Number.isFinite(fraction) || fraction <= 0 || fraction > MAX_SPLIT) {
    throw new XcnnError(`${what}: ${fraction} is not a fraction above 0 and at most ${MAX_SPLIT}`, { code: 'ERR_BAD_ARGUMENT' });
  }
}

/** Splits the examples with `labels` (class numbers from 0): round(F · n) of each class's n held out. */
export function stratifiedHoldOut(labels: ArrayLike<number>, fraction: number, seed: number): HoldOut {
  checkNumbers('stratifiedHoldOut', 'labels', labels);
  const byClass = new Map<number, number[]>();
  for (let n = 0; n < labels.length; n++) {
    const list = byClass.get(labels[n]);
    if (list === undefined) byClass.set(labels[n], [n]);
    else list.push(n);
  }
  const held = new Uint8Array(labels.length);
  const random = new Random(seed);
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const indices = Int32Array.from(byClass.get(label)!);
    random.shuffle(indices);
    const count = Math.min(Math.round(fraction * indices.length), indices.length - 1);
    for (let k = 0; k < count; k++) held[indices[k]] = 1;
  }
  const kept: number[] = [];
  const out: number[] = [];
  for (let n = 0; n < labels.length; n++) (held[n] ? out : kept).push(n);
  return { kept: Int32Array.from(kept), held: Int32Array.from(out) };
}

/** The examples `indices` of a set, copied (images, labels and float inputs alike). */
export function selectImages(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  checkImageSetKind('selectImages', 'set', set);
  checkNumbers('selectImages', 'indices', indices);
  const size = imageSize(set);
  const images = new Uint8Array(indices.length * size);
  const labels = new (set.labels.constructor as new (n: number) => Labels)(indices.length);
  const inputs = set.inputs === undefined ? undefined : new Float32Array(indices.length * size);
  for (let k = 0; k < indices.length; k++) {
    const from = indices[k] * size;
    images.set(set.images.subarray(from, from + size), k * size);
    inputs?.set(set.inputs!.subarray(from, from + size), k * size);
    labels[k] = set.labels[indices[k]];
  }
  return { ...set, count: indices.length, images, labels, ...(inputs === undefined ? {} : { inputs }) };
}

/**
 * A training set split into training and validation parts (`--val-split F`): round(F · n) of each class
 * held out for validation, seeded.
 */
export function splitValidation(train: ImageSet, fraction: number, seed: number): { train: ImageSet; validation: ImageSet } {
  checkImageSetKind('splitValidation', 'train', train);
  checkSplitFraction(fraction, 'validation split');
  const { kept, held } = stratifiedHoldOut(train.labels, fraction, seed);
  if (held.length === 0) {
    throw new XcnnError(`validation split ${fraction}: of ${train.count} training images, none would be held out (each class keeps at least one); give a larger fraction or more images`, { code: 'ERR_BAD_DATA' });
  }
  return { train: selectImages(train, kept), validation: selectImages(train, held) };
}
