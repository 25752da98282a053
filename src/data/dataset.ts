/**
 * A labelled image data set laid out as MNIST: four IDX files in one folder,
 *
 *   train-images-idx3-ubyte  [60000, 28, 28]   train-labels-idx1-ubyte  [60000]
 *   t10k-images-idx3-ubyte   [10000, 28, 28]   t10k-labels-idx1-ubyte   [10000]
 *
 * each plain or gzipped (`…-ubyte.gz`). Fashion-MNIST ships exactly so. Colour images are rank-4 image files,
 * [count, channels, rows, columns] (planar: each channel's rows × columns bytes in turn, as NCHW). Images stay as bytes (47 MB for
 * MNIST's training set rather than 188 MB of floats) and are scaled to [0,1] one batch at a time.
 *
 * This module holds the types and the browser-safe helpers; reading a folder is Node's part, in
 * dataset-files.ts.
 */
import { checkBytes, checkImageSetKind } from '../argument-checks.js';
import type { Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';

/**
 * The class of each image, 0 to classes − 1: bytes as MNIST stores them, or wider integers for a data set of
 * more than 256 classes (a label file of 16- or 32-bit integers).
 */
export type Labels = Uint8Array | Uint16Array | Int32Array;

/** The most classes a data set may have (labels 0 to 65,535): far beyond any small CNN's, and a bound on what a label file can make xcnn allocate. */
export const MAX_CLASSES = 65_536;

export interface ImageSet {
  count: number; // N
  channels?: number; // C: 1 (grey, the default when absent) or 3 (RGB)
  height: number;
  width: number;
  images: Uint8Array; // [N, C, H, W], 0 = background, 255 = ink (for grey images)
  labels: Labels; // [N]
  /**
   * [N, C, H, W] the network's input itself, for images that came as floats (the library's Float32Array
   * images, src/classifier.ts): batches are loaded from it instead of from `images` / 255, which then holds
   * the same pictures rounded to bytes, for drawing.
   */
  inputs?: Float32Array;
}

/** The bytes of one image of a set: C·H·W. */
export function imageSize(set: Pick<ImageSet, 'channels' | 'height' | 'width'>): number {
  return (set.channels ?? 1) * set.height * set.width;
}

export interface Dataset {
  name: string; // 'mnist', 'fashion-mnist' or the folder's name
  classNames: string[]; // one per class: max label + 1 of them
  train: ImageSet;
  test: ImageSet;
  /** Images held out of the training set to watch training with (`--val-split F`, split.ts); none when absent. */
  validation?: ImageSet;
}

/** A data set's test split with its name and class names: all a trained model is evaluated and explained on. */
export type TestData = Omit<Dataset, 'train' | 'validation'>;

export const MNIST_CLASS_NAMES = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
export const FASHION_MNIST_CLASS_NAMES = [
  'T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot',
];

/**
 * An unlabelled image set over a caller's bytes (a view, no copy): `pixels` [count, height, width],
 * 0 = background, 255 = ink, as MNIST. The labels are all 0, so only predictions and explanations of it
 * mean anything, not its loss or accuracy.
 */
export function imagesFromPixels(pixels: Uint8Array, count: number, height = 28, width = 28, channels = 1): ImageSet {
  checkBytes('imagesFromPixels', 'pixels', pixels);
  if (!Number.isSafeInteger(count) || count < 0) throw new XcnnError(`images: count ${count} is not a whole number of images`, { code: 'ERR_BAD_ARGUMENT' });
  const size = channels * height * width;
  if (pixels.length !== count * size) {
    const what = channels === 1 ? `${height}×${width}` : `${channels}×${height}×${width}`;
    throw new XcnnError(`images: ${pixels.length} bytes for ${count} images of ${what}; pass count × ${size} bytes, one per pixel${channels === 1 ? '' : ' and channel'}`, { code: 'ERR_BAD_IMAGE' });
  }
  return { count, channels, height, width, images: pixels, labels: new Uint8Array(count) };
}

/**
 * Refuses, in one line naming `what` (the call), an image set that does not hold what it says — a count
 * that is not a whole number, fewer or more bytes than count × C × H × W, a label per image missing — or
 * whose images are not the model's input `inputShape` [C, H, W]. Before any batch is loaded, so a wrong
 * array is never a kernel's message about its arguments.
 */
export function checkImageSet(set: ImageSet, inputShape: readonly number[], what: string): void {
  const [channels, height, width] = inputShape;
  const setChannels = set.channels ?? 1;
  const shape = (c: number, h: number, w: number) => (c === 1 ? `${h}×${w}` : `${c}×${h}×${w}`);
  if (set.height !== height || set.width !== width || setChannels !== channels) {
    throw new XcnnError(`${what}: the images are ${shape(setChannels, set.height, set.width)} but the model takes ${shape(channels, height, width)}`, { code: 'ERR_BAD_IMAGE' });
  }
  if (!Number.isSafeInteger(set.count) || set.count < 0) throw new XcnnError(`${what}: the set's count ${set.count} is not a whole number of images`, { code: 'ERR_BAD_ARGUMENT' });
  const size = imageSize(set);
  if (!(set.images instanceof Uint8Array)) throw new XcnnError(`${what}: the set's images are a ${describeArray(set.images)}; give a Uint8Array of bytes, one per pixel and channel`, { code: 'ERR_BAD_IMAGE' });
  if (set.images.length !== set.count * size || (set.inputs !== undefined && set.inputs.length !== set.count * size)) {
    throw new XcnnError(`${what}: the set holds ${set.images.length} pixel values, but ${set.count} images of ${shape(channels, height, width)} are ${set.count * size}`, { code: 'ERR_BAD_IMAGE' });
  }
  if (set.labels.length !== set.count) throw new XcnnError(`${what}: the set has ${set.labels.length} labels for ${set.count} images; give one label per image`, { code: 'ERR_BAD_DATA' });
}

/** 'Float32Array', 'Array', 'undefined': what a caller passed where an array was wanted. */
export function describeArray(value: unknown): string {
  return value === null || typeof value !== 'object' ? String(value === null ? 'null' : typeof value) : (value.constructor?.name ?? 'object');
}

/** The first `limit` examples of a set (a view, no copy). */
export function takeFirst(set: ImageSet, limit: number): ImageSet {
  checkImageSetKind('takeFirst', 'set', set);
  const count = Math.min(limit, set.count);
  const pixels = imageSize(set);
  const inputs = set.inputs === undefined ? {} : { inputs: set.inputs.subarray(0, count * pixels) };
  return { ...set, count, images: set.images.subarray(0, count * pixels), labels: set.labels.subarray(0, count), ...inputs };
}

/**
 * Scales the images `indices` of a set into `out` [indices.length, C, H, W] as floats in [0,1] (or copies
 * them from the set's float `inputs`), and their labels into `labels`. This is the one place bytes become floats
 * in JavaScript; a backend that scales them itself (Backend.unitFloatsFromBytes) is given stageBatch's bytes.
 */
export function fillBatch(set: ImageSet, indices: ArrayLike<number>, out: Floats, labels: Int32Array): void {
  const pixels = imageSize(set);
  for (let b = 0; b < indices.length; b++) {
    const source = indices[b] * pixels;
    if (set.inputs !== undefined) out.set(set.inputs.subarray(source, source + pixels), b * pixels);
    else for (let k = 0; k < pixels; k++) out[b * pixels + k] = set.images[source + k] / 255;
    labels[b] = set.labels[indices[b]];
  }
}

/** The bytes of the images `indices` of a set into `bytes` [indices.length, C, H, W], as they are, and their labels. */
export function stageBatch(set: ImageSet, indices: ArrayLike<number>, bytes: Uint8Array, labels: Int32Array): void {
  const pixels = imageSize(set);
  for (let b = 0; b < indices.length; b++) {
    const source = indices[b] * pixels;
    bytes.set(set.images.subarray(source, source + pixels), b * pixels);
    labels[b] = set.labels[indices[b]];
  }
}
