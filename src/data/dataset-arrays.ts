/**
 * A data set built in code from arrays — the library's counterpart of `--data DIR`, for images a program
 * already holds (decoded elsewhere, drawn, generated):
 *
 *   const dataset = createDataset({ classNames: ['cat', 'dog'], shape: [3, 32, 32],
 *                                   train: { images, labels }, test: { images: testImages, labels: testLabels },
 *                                   validationSplit: 0.1, seed: 1 });
 *
 * `images` are bytes [N, C, H, W] (0–255, as a data set stores them), `labels` class numbers from 0. Every
 * array is checked before anything is copied; the validation split is split.ts's (seeded, stratified).
 * Browser-safe; from folders on disk, image-folder-files.ts's loadImageFolder gives the same Dataset.
 */
import { XcnnError } from '../errors.js';
import { describeArray, MAX_CLASSES, type Dataset, type ImageSet, type Labels } from './dataset.js';
import { splitValidation } from './split.js';

/** One split's images [N, C, H, W] as bytes and a class number per image. */
export interface ImageArrays {
  images: Uint8Array;
  labels: ArrayLike<number>;
}

export interface DatasetArrays {
  name?: string; // as model files record it (default 'custom')
  classNames: readonly string[]; // one per class, at least two
  shape: readonly number[]; // one image's [C, H, W]: C 1 (grey) or 3 (RGB), H and W 1 to 4096
  train: ImageArrays;
  test: ImageArrays;
  validationSplit?: number; // the fraction of each training class held out as `validation`
  seed?: number; // of the validation split (default 1)
}

const fail = (message: string, code: 'ERR_BAD_ARGUMENT' | 'ERR_BAD_DATA' = 'ERR_BAD_ARGUMENT') => new XcnnError(`createDataset: ${message}`, { code });

export function createDataset(arrays: DatasetArrays): Dataset {
  if (arrays === null || typeof arrays !== 'object') throw fail(`give { classNames, shape, train, test }, not ${describeArray(arrays)}`);
  const { classNames, shape } = arrays;
  if (!Array.isArray(classNames) || classNames.length < 2 || classNames.length > MAX_CLASSES || !classNames.every((name) => typeof name === 'string')) {
    throw fail(`classNames must be 2 to ${MAX_CLASSES} strings, one per class`);
  }
  if (new Set(classNames).size !== classNames.length) throw fail(`classNames repeat a name (${classNames.find((name, k) => classNames.indexOf(name) !== k)}); give each class its own`);
  if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isSafeInteger(n) && n >= 1 && n <= 4096) || (shape[0] !== 1 && shape[0] !== 3)) {
    throw fail(`shape ${JSON.stringify(shape)} is not one image's [C, H, W] with C 1 or 3 and H, W from 1 to 4096`);
  }
  const [channels, height, width] = shape;
  const train = imageSet(arrays.train, 'train', channels, height, width, classNames.length);
  const test = imageSet(arrays.test, 'test', channels, height, width, classNames.length);
  const dataset: Dataset = { name: arrays.name ?? 'custom', classNames: [...classNames], train, test };
  if (arrays.validationSplit === undefined) return dataset;
  const seed = arrays.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw fail(`seed ${String(seed)} is not a whole number from 0 to 4294967295`);
  const split = splitValidation(train, arrays.validationSplit, seed);
  return { ...dataset, train: split.train, validation: split.validation };
}

function imageSet(arrays: ImageArrays, what: string, channels: number, height: number, width: number, classes: number): ImageSet {
  if (arrays === null || typeof arrays !== 'object') throw fail(`${what} must be { images, labels }, not ${describeArray(arrays)}`);
  const { images, labels } = arrays;
  if (!(images instanceof Uint8Array)) throw fail(`${what}.images is a ${describeArray(images)}; give a Uint8Array of bytes [N, C, H, W]`);
  const size = channels * height * width;
  if (images.length === 0 || images.length % size !== 0) throw fail(`${what}.images holds ${images.length} bytes, not a whole number (at least one) of ${channels}×${height}×${width} images`, 'ERR_BAD_DATA');
  const count = images.length / size;
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') throw fail(`${what}.labels is ${describeArray(labels)}; give an array of class numbers`);
  if (labels.length !== count) throw fail(`${what} has ${labels.length} labels for ${count} images; give one per image`, 'ERR_BAD_DATA');
  const out: Labels = classes <= 256 ? new Uint8Array(count) : new Uint16Array(count);
  for (let n = 0; n < count; n++) {
    const label = labels[n];
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw fail(`${what}.labels[${n}] is ${label}, not a class number from 0 to ${classes - 1}`, 'ERR_BAD_DATA');
    out[n] = label;
  }
  return { count, channels, height, width, images, labels: out };
}
