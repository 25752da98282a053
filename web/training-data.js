// web/training-data.js — the images the studio trains on, made into the core's image sets (ImageSet:
// { count, channels, height, width, images: bytes [N, C, H, W], labels }), in the training worker:
//
//   a served data set (data/datasets.json lists them: MNIST, Fashion-MNIST) → the first `trainCount`
//     training and `testCount` test images of its four IDX files (a plain file's by Range requests; a `.gz`
//     one fetched whole and unzipped by the browser's DecompressionStream) → parseIdx;
//   a dropped folder (one sub-folder per class) → each file decoded by the browser (createImageBitmap →
//     OffscreenCanvas → RGBA) → modelImageFromRgba (its channels, resized to the input size, as
//     `xcnn train --data DIR` converts a picture) → a stratified test split with the folder split's seed.
import { parseIdx, stratifiedHoldOut, XcnnError } from '../dist/src/index.js';
import { MAX_HEADER_LENGTH, parseIdxHeader } from '../dist/src/data/idx.js';
import { modelImageFromRgba } from '../dist/src/explain/model-image.js';
import { TEST_SPLIT_SEED } from '../dist/src/data/image-folder.js';

/** A file's bytes from the page's root (`path` relative to it, as the manifest writes them), unzipped when it ends in .gz. */
export async function fetchDataFile(root, path) {
  const response = await fetch(new URL(path, root));
  if (!response.ok) throw new XcnnError(`${path}: ${response.status} ${response.statusText}; the server does not have this data set`);
  const body = path.endsWith('.gz') ? response.body.pipeThrough(new DecompressionStream('gzip')) : response.body;
  return new Uint8Array(await new Response(body).arrayBuffer());
}

/** The first `count` images of an IDX pair as an image set (grey [N, H, W] or colour [N, C, H, W] images). */
function imageSetOf(images, labels, count, source) {
  const [total, ...rest] = images.dims;
  const [channels, height, width] = rest.length === 3 ? rest : [1, ...rest];
  if (labels.dims[0] !== total) throw new XcnnError(`${source}: ${labels.dims[0]} labels for ${total} images`);
  const n = Math.min(count, total);
  const size = channels * height * width;
  return { count: n, channels, height, width, images: images.data.slice(0, n * size), labels: Uint8Array.from(labels.data.subarray(0, n)) };
}

/** Bytes `first` to `last` of a file (a Range request): { bytes, partial } — partial false when the server sent it whole. */
async function fetchRange(url, first, last, path) {
  const response = await fetch(url, { headers: { Range: `bytes=${first}-${last}` } });
  if (!response.ok) throw new XcnnError(`${path}: ${response.status} ${response.statusText}; the server does not have this data set`);
  return { bytes: new Uint8Array(await response.arrayBuffer()), partial: response.status === 206 };
}

/**
 * The first `count` records of an IDX file (all of them if it has fewer): for a plain file the header, then
 * only the bytes of those records, by Range requests — MNIST's 600 first images are 0.5 MB of its 47 — made
 * into an IDX file of `count` records; a gzipped file, or a server that ignores Range, is read whole.
 */
export async function fetchIdxPrefix(root, path, count) {
  if (path.endsWith('.gz')) return parseIdx(await fetchDataFile(root, path), path);
  const url = new URL(path, root);
  const head = await fetchRange(url, 0, MAX_HEADER_LENGTH - 1, path);
  if (!head.partial) return parseIdx(head.bytes, path);
  const { dims, elementBytes, headerLength } = parseIdxHeader(head.bytes, path);
  const recordBytes = dims.slice(1).reduce((product, d) => product * d, elementBytes);
  const n = Math.min(count, dims[0]);
  const prefix = await fetchRange(url, 0, headerLength + n * recordBytes - 1, path);
  if (!prefix.partial) return parseIdx(prefix.bytes, path);
  new DataView(prefix.bytes.buffer, prefix.bytes.byteOffset).setUint32(4, n); // the header now counts the records sent
  return parseIdx(prefix.bytes, path);
}

/** Each served data set's first images as fetched, per file and count, so the same Train again fetches nothing. */
const fetched = new Map();

function fetchedIdx(root, path, count) {
  const key = `${new URL(path, root).href}#${count}`;
  if (!fetched.has(key)) {
    const parsed = fetchIdxPrefix(root, path, count);
    fetched.set(key, parsed);
    parsed.catch(() => fetched.delete(key)); // a failed fetch is tried again on the next Train
  }
  return fetched.get(key);
}

/** A served data set's first `trainCount` training and `testCount` test images. */
export async function servedDataset(root, dataset, trainCount, testCount) {
  const { files } = dataset;
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all([
    fetchedIdx(root, files.trainImages, trainCount),
    fetchedIdx(root, files.trainLabels, trainCount),
    fetchedIdx(root, files.testImages, testCount),
    fetchedIdx(root, files.testLabels, testCount),
  ]);
  return {
    name: dataset.name,
    classNames: dataset.classNames,
    train: imageSetOf(trainImages, trainLabels, trainCount, dataset.files.trainImages),
    test: imageSetOf(testImages, testLabels, testCount, dataset.files.testImages),
  };
}

/** A served data set's first `testCount` test images (the faithfulness table's sample). */
export async function servedTestSet(root, dataset, testCount) {
  const [testImages, testLabels] = await Promise.all([fetchedIdx(root, dataset.files.testImages, testCount), fetchedIdx(root, dataset.files.testLabels, testCount)]);
  return imageSetOf(testImages, testLabels, testCount, dataset.files.testImages);
}

/** A picture file's RGBA, decoded by the browser; a file it cannot decode is a one-line error naming it. */
async function decodePicture(file, path) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new XcnnError(`${path}: not a picture this browser can decode; the folder should hold PNG, JPEG, GIF, BMP or WebP images only`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { rgba: context.getImageData(0, 0, canvas.width, canvas.height).data, width: canvas.width, height: canvas.height };
}

/**
 * A dropped folder's images: `files` [{ file: File, path, label }] (label: the class's index in `classNames`),
 * each converted to `input` [C, H, W]; a fifth of each class (at least one image, where a class has two)
 * held out as the test set, with the seed `xcnn train --data` splits folders with.
 */
export async function folderDataset(name, files, classNames, input, onDecoded = () => {}) {
  const [channels, height, width] = input;
  const size = channels * height * width;
  const images = new Uint8Array(files.length * size);
  const labels = new Uint8Array(files.length);
  for (let n = 0; n < files.length; n++) {
    const { rgba, width: w, height: h } = await decodePicture(files[n].file, files[n].path);
    images.set(modelImageFromRgba(rgba, w, h, channels, height, width, files[n].path), n * size);
    labels[n] = files[n].label;
    onDecoded(n + 1, files.length);
  }
  const { kept, held } = stratifiedHoldOut(labels, 0.2, TEST_SPLIT_SEED);
  if (kept.length === 0 || held.length === 0) throw new XcnnError(`${name}: ${files.length} images are too few to hold out a test set; give at least two images of a class`);
  const pick = (indices) => {
    const set = { count: indices.length, channels, height, width, images: new Uint8Array(indices.length * size), labels: new Uint8Array(indices.length) };
    indices.forEach((k, n) => {
      set.images.set(images.subarray(k * size, (k + 1) * size), n * size);
      set.labels[n] = labels[k];
    });
    return set;
  };
  return { name, classNames, train: pick(Array.from(kept)), test: pick(Array.from(held)) };
}
