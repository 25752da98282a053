/** Model files on disk, in Node: model-file.ts encodes and decodes the bytes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Backend } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { packageRoot } from '../files/package-root.js';
import { decodeModel, encodeModel, type LoadedModel, type ModelInfo } from './model-file.js';
import type { Network } from './network.js';

export function saveModel(path: string, network: Network, info: ModelInfo): void {
  writeFileAtomic(path, encodeModel(network, info));
}

/** Reads a model file's bytes; check them with `decodeModel`. */
export function readModelFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file (train one with `xcnn train`)' : code === 'EISDIR' ? 'is a directory, not a model file' : String(error);
    throw new XcnnError(`${path}: cannot read the model: ${why}`);
  }
}

export function loadModel(path: string, backend: Backend): LoadedModel {
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
