/**
 * The page as static files (`xcnn build-page --out DIR`): exactly what `xcnn serve` sends, laid out under DIR
 * by URL path, so any static file server (or host) serves the page, the studio and its data with no xcnn
 * server behind it:
 *
 *   DIR/index.html                      the page (the server's `/`)
 *   DIR/web/…                           the page's scripts and styles
 *   DIR/dist/src/…                      the core modules they import (page-files.ts's walk)
 *   DIR/build/kernels(-relaxed).wasm    the kernels
 *   DIR/model.safetensors               the model the page starts with
 *   DIR/data/page-digits-*              the row of test digits
 *   DIR/data/datasets.json              the data sets the studio trains on, and each one's subset:
 *   DIR/data/mnist/train-images-idx3-ubyte …  the first `trainImages` training and `testImages` test images,
 *                                       plain IDX (MNIST's whole 47 MB training file is more than a page needs)
 *
 * The page finds every file relative to its own folder, so DIR may be served from any sub-path. A static
 * server sends no COOP/COEP headers: the page then runs unisolated, and the studio trains on one thread (its
 * threads share memory, which a browser gives only an isolated page).
 */
import { readFileSync } from 'node:fs';
import { readImageSet } from '../data/dataset-files.js';
import type { ImageSet } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import { MODEL_URL_PATH, pageFiles } from './page-files.js';
import { DATASET_FILE_NAMES, datasetManifest, DATASETS_URL_PATH, pageDatasets, type DatasetFileRole, type PageDataset, type ServedDataset } from './page-datasets.js';

/** The images of each data set a static build holds by default: enough to train a small network well, 9.4 MB for MNIST. */
export const STATIC_TRAIN_IMAGES = 10_000;
export const STATIC_TEST_IMAGES = 2_000;

/** An IDX file of unsigned bytes (type 0x08): the magic, each dimension big-endian, then the data. */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((product, d) => product * d, 1);
  if (count !== data.length) throw new XcnnError(`encodeIdx: ${data.length} bytes for dimensions ${dims.join('×')} (${count} elements)`, { code: 'ERR_BAD_ARGUMENT' });
  const bytes = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0, 0, 0x08, dims.length]);
  dims.forEach((d, k) => view.setUint32(4 + 4 * k, d));
  bytes.set(data, 4 + 4 * dims.length);
  return bytes;
}

/** The first `count` images of a set as an IDX pair: images [N, H, W] (grey) or [N, C, H, W], labels [N]. */
function idxPair(set: ImageSet, count: number): { images: Uint8Array; labels: Uint8Array } {
  const n = Math.min(count, set.count);
  const channels = set.channels ?? 1;
  const size = channels * set.height * set.width;
  const dims = channels === 1 ? [n, set.height, set.width] : [n, channels, set.height, set.width];
  return { images: encodeIdx(dims, set.images.slice(0, n * size)), labels: encodeIdx([n], Uint8Array.from(set.labels.subarray(0, n))) };
}

/** A data set cut to its first images: the manifest's entry (plain IDX file names) and each file's bytes by URL path. */
export function datasetSubset(served: ServedDataset, trainImages: number, testImages: number): { dataset: PageDataset; files: Map<string, Uint8Array> } {
  const source = (role: DatasetFileRole) => served.sources.get(`/${served.dataset.files[role]}`)!;
  const train = idxPair(readImageSet(source('trainImages'), source('trainLabels')), trainImages);
  const test = idxPair(readImageSet(source('testImages'), source('testLabels')), testImages);
  const bytes: Record<DatasetFileRole, Uint8Array> = { trainImages: train.images, trainLabels: train.labels, testImages: test.images, testLabels: test.labels };
  const files = new Map<string, Uint8Array>();
  const paths = {} as Record<DatasetFileRole, string>;
  for (const role of Object.keys(DATASET_FILE_NAMES) as DatasetFileRole[]) {
    paths[role] = `data/${served.dataset.name}/${DATASET_FILE_NAMES[role]}`;
    files.set(`/${paths[role]}`, bytes[role]);
  }
  return { dataset: { ...served.dataset, files: paths }, files };
}

export interface StaticPageOptions {
  trainImages?: number; // per data set (default STATIC_TRAIN_IMAGES); 0 leaves the data sets out
  testImages?: number; // default STATIC_TEST_IMAGES
  datasets?: ServedDataset[]; // default: this machine's (pageDatasets)
}

/**
 * Every file of the static page: its path relative to DIR → its bytes. The page's own files are those
 * `xcnn serve` allows (pageFiles), read now; the model is the bytes given (checked by the caller).
 */
export function staticPageFiles(root: string, model: Uint8Array, options: StaticPageOptions = {}): Map<string, Uint8Array> {
  const files = new Map<string, Uint8Array>();
  for (const [urlPath, file] of pageFiles(root)) files.set(urlPath === '/' ? 'index.html' : urlPath.slice(1), readFileSync(file));
  files.set(MODEL_URL_PATH.slice(1), model);
  const trainImages = options.trainImages ?? STATIC_TRAIN_IMAGES;
  const subsets = trainImages === 0 ? [] : (options.datasets ?? pageDatasets()).map((served) => datasetSubset(served, trainImages, options.testImages ?? STATIC_TEST_IMAGES));
  for (const { files: dataFiles } of subsets) for (const [urlPath, bytes] of dataFiles) files.set(urlPath.slice(1), bytes);
  files.set(DATASETS_URL_PATH.slice(1), datasetManifest(subsets.map(({ dataset }) => dataset)));
  return files;
}
