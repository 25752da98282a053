/** Model files on disk, in Node: model-file.ts encodes and decodes the bytes. */
import { checkBackend, checkModel, checkModelInfo, checkOptions, checkString } from '../argument-checks.js';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend/backend.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { readUserFile } from '../files/read-file.js';
import { packageRoot } from '../files/package-root.js';
import { XcnnError } from '../errors.js';
import { decodeModel, encodeModel, type LoadedModel, type ModelInfo } from './model-file.js';
import type { Network } from './network.js';

/**
 * Writes the model file atomically (a crash leaves the old file or the new one). The folder must exist —
 * a path with a typo is an error naming the folder, not a new folder somewhere — unless `mkdir` is true
 * (the command line's --out), which creates it and its missing parents.
 */
export function saveModel(path: string, network: Network, info: ModelInfo, options: { mkdir?: boolean } = {}): void {
  checkString('saveModel', 'path', path);
  checkModel('saveModel', 'network', network);
  checkModelInfo('saveModel', 'info', info);
  checkOptions('saveModel', options);
  const folder = dirname(path);
  if (!options.mkdir && !existsSync(folder)) {
    throw new XcnnError(`${path}: cannot write the model: the folder ${folder} does not exist; create it first, or pass { mkdir: true }`, { code: 'ERR_FILE' });
  }
  writeFileAtomic(path, encodeModel(network, info));
}

/** Reads a model file's bytes; check them with `decodeModel`. */
export function readModelFile(path: string): Uint8Array {
  checkString('readModelFile', 'path', path, 'a string (a file path)');
  return readUserFile(path, { what: 'the model', maxBytes: MAX_MODEL_BYTES, missing: 'no such file (train one with `xcnn train`)', folder: 'is a directory, not a model file' });
}

/** The largest model file xcnn reads (2 GiB − 1, the most one buffer holds): far beyond any small CNN. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** A safetensors model file from disk (the package's `loadModel`, src/onnx/load-model.ts, reads ONNX too). */
export function loadModel(path: string, backend: Backend): LoadedModel {
  checkString('loadModel', 'path', path, 'a string (a file path)');
  checkBackend('loadModel', 'backend', backend);
  return decodeModel(readModelFile(path), path, backend);
}

/**
 * The small pretrained MNIST model that ships with the package (data/mnist-small.safetensors: the paper's
 * network at widths 8,16,32, made by `npm run pretrained`), so `xcnn explain` and the page work before
 * anyone trains.
 */
export function shippedModelPath(): string {
  return join(packageRoot(), 'data', 'mnist-small.safetensors');
}

/**
 * The shipped model loaded on `backend`, read from disk (or from `url`: a path, a file: URL, or an
 * http(s) URL, fetched). The core's loadShippedModel (src/assets.ts) fetches it instead.
 */
export async function loadShippedModel(backend: Backend, options: { url?: string | URL } = {}): Promise<LoadedModel> {
  checkBackend('loadShippedModel', 'backend', backend);
  checkOptions('loadShippedModel', options);
  const given = options.url;
  if (given === undefined) return loadModel(shippedModelPath(), backend);
  const url = given instanceof URL ? given : /^(https?|file):/i.test(given) ? new URL(given) : null;
  if (url === null) return loadModel(String(given), backend); // a path
  if (url.protocol === 'file:') return loadModel(fileURLToPath(url), backend);
  const response = await fetch(url);
  if (!response.ok) throw new XcnnError(`cannot fetch the model from ${url} (HTTP ${response.status}): check the URL`, { code: 'ERR_FILE' });
  return decodeModel(new Uint8Array(await response.arrayBuffer()), String(url), backend);
}
