/**
 * Model files: the paper's network saved as safetensors, with PyTorch's state_dict names and shapes
 * (`conv1.weight` [32,1,3,3], `conv1.bias` [32], `conv2.weight` [64,32,3,3], `conv2.bias` [64],
 * `fc1.weight` [128,7744], `fc1.bias` [128], `fc2.weight` [10,128], `fc2.bias` [10]) so a model moves
 * between xcnn and PyTorch both ways, and a `__metadata__` entry with what xcnn needs besides:
 *
 *   format      "xcnn"
 *   geometry    JSON {channels, height, width, classes}
 *   dataset     the data set's name
 *   class_names JSON list of the class names
 *   training    JSON of the training settings
 *   metrics     JSON of the history and the final evaluation
 *
 * A file with the eight tensors and no metadata (a PyTorch state_dict saved with the safetensors
 * library) loads as an MNIST model.
 *
 * This module turns bytes into a network and back (and runs in a browser); reading and writing files is
 * Node's part, in model-io.ts.
 */
import type { Backend } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile } from '../files/safetensors.js';
import { MNIST_CLASS_NAMES } from '../data/dataset.js';
import { createPaperNetwork, MNIST_GEOMETRY, type Network, type NetworkGeometry } from './network.js';

export interface ModelInfo {
  geometry: NetworkGeometry;
  dataset: string;
  classNames: string[];
  training?: Record<string, unknown>;
  metrics?: Record<string, unknown>;
}

export interface LoadedModel {
  network: Network;
  info: ModelInfo;
}

export const TENSOR_NAMES = ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'];

export function encodeModel(network: Network, info: ModelInfo): Uint8Array {
  const metadata = infoMetadata(info);
  const tensors = network.parameters.map((p) => ({ name: p.name, shape: p.shape, data: Float32Array.from(p.value) }));
  return encodeSafetensors(tensors, metadata);
}

export function decodeModel(bytes: Uint8Array, source: string, backend: Backend): LoadedModel {
  const file = decodeSafetensors(bytes, source);
  return { network: networkFromFile(file, source, backend), info: readInfo(file, source) };
}

/** A model from a file's bytes (fetched, read, or from `encodeModel`): the network on `backend`, and its info. */
export function loadModelFromBytes(bytes: Uint8Array, backend: Backend, source = 'model'): LoadedModel {
  return decodeModel(bytes, source, backend);
}

/**
 * Builds the network a decoded file describes and fills in its eight tensors. Tensors named in
 * `otherTensors` (a checkpoint's optimiser state) may be present besides; any other is an error.
 */
export function networkFromFile(file: SafetensorsFile, source: string, backend: Backend, otherTensors: string[] = []): Network {
  const { geometry } = readInfo(file, source);
  const fail = (problem: string) => new XcnnError(`${source}: not an xcnn model: ${problem}`);

  for (const name of TENSOR_NAMES) if (!file.tensors.has(name)) throw fail(`tensor '${name}' is missing`);
  for (const name of file.tensors.keys()) {
    if (!TENSOR_NAMES.includes(name) && !otherTensors.includes(name)) throw fail(`unexpected tensor '${name}'; the network has ${TENSOR_NAMES.join(', ')}`);
  }
  // The widths come from the biases (1-D, so nothing to transpose); every weight is then checked against them.
  const units = (name: string) => (file.tensors.get(name)!.shape.length === 1 ? file.tensors.get(name)!.shape[0] : 0);
  const widths = { conv1Channels: units('conv1.bias'), conv2Channels: units('conv2.bias'), hidden: units('fc1.bias') };
  if (!(widths.conv1Channels > 0 && widths.conv2Channels > 0 && widths.hidden > 0)) throw fail('conv1.bias, conv2.bias and fc1.bias must be non-empty vectors');
  const network = createPaperNetwork(backend, geometry, widths);
  for (const p of network.parameters) {
    const tensor = file.tensors.get(p.name)!;
    if (tensor.shape.join(',') !== p.shape.join(',')) {
      throw fail(`tensor '${p.name}' has shape [${tensor.shape.join(', ')}], expected [${p.shape.join(', ')}] for ${geometry.height}×${geometry.width} inputs and ${geometry.classes} classes`);
    }
    p.value.set(tensor.data);
  }
  return network;
}

/** The metadata entries every xcnn file (model or checkpoint) carries. */
export function infoMetadata(info: ModelInfo): Record<string, string> {
  const metadata: Record<string, string> = {
    format: 'xcnn',
    geometry: JSON.stringify(info.geometry),
    dataset: info.dataset,
    class_names: JSON.stringify(info.classNames),
  };
  if (info.training) metadata.training = JSON.stringify(info.training);
  if (info.metrics) metadata.metrics = JSON.stringify(info.metrics);
  return metadata;
}

/** Reads (and checks) the metadata of a decoded file; a file without any is an MNIST model. */
export function readInfo(file: SafetensorsFile, source: string): ModelInfo {
  const m = file.metadata;
  const parse = (key: string): unknown => {
    try {
      return JSON.parse(m[key]);
    } catch {
      throw new XcnnError(`${source}: metadata '${key}' is not valid JSON`);
    }
  };
  const geometry = m.geometry === undefined ? MNIST_GEOMETRY : (parse('geometry') as NetworkGeometry);
  for (const key of ['channels', 'height', 'width', 'classes'] as const) {
    const value = geometry?.[key];
    if (!Number.isSafeInteger(value) || value < 1 || value > 4096) throw new XcnnError(`${source}: metadata 'geometry' has a bad ${key}: ${JSON.stringify(value)}`);
  }
  const classNames = m.class_names === undefined ? MNIST_CLASS_NAMES : parse('class_names');
  if (!Array.isArray(classNames) || classNames.length !== geometry.classes || !classNames.every((c) => typeof c === 'string')) {
    throw new XcnnError(`${source}: metadata 'class_names' must be a list of ${geometry.classes} strings`);
  }
  return {
    geometry,
    dataset: m.dataset ?? 'mnist',
    classNames: classNames as string[],
    training: m.training === undefined ? undefined : (parse('training') as Record<string, unknown>),
    metrics: m.metrics === undefined ? undefined : (parse('metrics') as Record<string, unknown>),
  };
}
