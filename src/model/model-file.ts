/**
 * Model files: any network xcnn can describe, saved as safetensors with PyTorch's state_dict names and
 * shapes (for the paper's network `conv1.weight` [32,1,3,3], `conv1.bias` [32], …, `fc2.bias` [10]; batch
 * norm adds `bnK.weight`, `.bias`, `.running_mean`, `.running_var` and `.num_batches_tracked` as int64), so a
 * model moves between xcnn and PyTorch both ways, and a `__metadata__` entry with what xcnn needs besides:
 *
 *   format      "xcnn"
 *   arch        the architecture spec (spec.ts), canonical form
 *   geometry    JSON {channels, height, width, classes}
 *   dataset     the data set's name
 *   class_names JSON list of the class names
 *   training    JSON of the training settings
 *   metrics     JSON of the history and the final evaluation
 *
 * Files from elsewhere load too:
 * - a PyTorch `nn.Sequential` state_dict saved with the safetensors library has numeric names (`0.weight`,
 *   `3.running_var`): given the spec (`arch`), each spec layer's tensors are looked up by its index in the
 *   Sequential;
 * - a file with the paper network's eight tensors and no metadata loads as a paper network, its widths
 *   read from the tensors.
 * Without geometry metadata, the input's channels come from the first convolution, the
 * class count from the last layer, and the image size is the one (28, then 32, then the smallest) the tensors'
 * shapes allow.
 * Every tensor's shape is checked against the spec before use; a mismatch names the tensor, the shape found
 * and the shape expected.
 *
 * This module turns bytes into a network and back (and runs in a browser); reading and writing files is
 * Node's part, in model-io.ts.
 */
import type { Backend } from '../backend/backend.js';
import { MNIST_CLASS_NAMES } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import { decodeSafetensors, encodeSafetensors, type SafetensorsFile, type Tensor } from '../files/safetensors.js';
import { isOnnxModel } from '../onnx/onnx-sniff.js';
import { createNetwork, geometryOf, MNIST_GEOMETRY, type Network } from './network.js';
import { checkGeometry, layerNames, paperSpec, parseSpec, planNetwork, resolveSpec, type NetworkGeometry, type NetworkPlan } from './spec.js';
import { checkBackend, checkBytes, checkModel, checkModelInfo } from '../argument-checks.js';

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

/** How to read a file that does not describe itself. */
export interface ModelLoadOptions {
  /** The architecture (a spec or a preset name), for a file without `arch` metadata: a PyTorch state_dict. */
  arch?: string;
  /**
   * The input's size (--input CxHxW), for a file without `geometry` metadata. Without it the image size is
   * inferred from the tensors, which cannot pin it when the network has `gap` (any size fits: 28 is taken).
   * The channels and classes still come from the tensors; given channels that differ are refused.
   */
  input?: { channels?: number; height: number; width: number };
}

/** The paper network's tensor names, in order. */
export const TENSOR_NAMES = ['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias'];

/** Every tensor of a network, parameters then buffers, as a state_dict would hold them. */
export function networkTensors(network: Network): Array<{ name: string } & Tensor> {
  return [
    ...network.parameters.map((p) => ({ name: p.name, shape: p.shape, data: Float32Array.from(p.value) })),
    ...network.bufferViews.map((b) => ({ name: b.name, shape: b.shape, data: Float32Array.from(b.value), dtype: b.dtype })),
  ];
}

export function encodeModel(network: Network, info: ModelInfo): Uint8Array {
  checkModel('encodeModel', 'network', network);
  checkModelInfo('encodeModel', 'info', info);
  return encodeSafetensors(networkTensors(network), infoMetadata(info, network));
}

export function decodeModel(bytes: Uint8Array, source: string, backend: Backend, options: ModelLoadOptions = {}): LoadedModel {
  checkBytes('decodeModel', 'bytes', bytes);
  checkBackend('decodeModel', 'backend', backend);
  if (isOnnxModel(bytes, source)) {
    // The ONNX reader (src/onnx/) needs protobufjs, a package the browser-safe core does without.
    throw new XcnnError(`${source}: an ONNX model: the core ('xcnn/core') reads safetensors; read ONNX with 'xcnn' in Node or decodeOnnxModel from 'xcnn/onnx', or convert it with xcnn export --format safetensors`, { code: 'ERR_BAD_MODEL' });
  }
  const file = decodeSafetensors(bytes, source);
  const network = networkFromFile(file, source, backend, [], options);
  return { network, info: disposedOnFailure(network, () => readInfo(file, source, network)) };
}

/** A model from a file's bytes (fetched, read, or from `encodeModel`): the network on `backend`, and its info. */
export function loadModelFromBytes(bytes: Uint8Array, backend: Backend, source = 'model', options: ModelLoadOptions = {}): LoadedModel {
  checkBytes('loadModelFromBytes', 'bytes', bytes);
  checkBackend('loadModelFromBytes', 'backend', backend);
  return decodeModel(bytes, source, backend, options);
}

/**
 * Builds the network a decoded file describes and fills in its tensors. Tensors named in `otherTensors`
 * (a checkpoint's optimiser state) may be present besides; any other is an error.
 */
export function networkFromFile(file: SafetensorsFile, source: string, backend: Backend, otherTensors: string[] = [], options: ModelLoadOptions = {}): Network {
  const { plan, naming } = planFromFile(file, source, options);
  const network = createNetwork(backend, plan.spec, plan.geometry);
  disposedOnFailure(network, () => fillTensors(network, file, source, plan, naming, otherTensors));
  return network;
}

/** Runs `work`; if it throws, the half-made network gives its memory back first (a file that fails to load leaves nothing behind). */
function disposedOnFailure<T>(network: Network, work: () => T): T {
  try {
    return work();
  } catch (error) {
    network.dispose();
    throw error;
  }
}

/** Copies the file's tensors into the network, checking each against the network's. */
function fillTensors(network: Network, file: SafetensorsFile, source: string, plan: NetworkPlan, naming: 'xcnn' | 'sequential', otherTensors: string[]): void {
  const fail = (problem: string) => new XcnnError(`${source}: not an xcnn model: ${problem}`, { code: 'ERR_BAD_MODEL' });
  const fileName = (name: string) => (naming === 'sequential' ? sequentialName(plan, name) : name);
  const expected = [...network.parameters, ...network.bufferViews];
  const used = new Set(otherTensors);
  for (const p of expected) {
    const name = fileName(p.name);
    const tensor = file.tensors.get(name);
    if (tensor === undefined) {
      // PyTorch writes num_batches_tracked; a file without it (older PyTorch, other tools) starts the count at 0.
      if (name.endsWith('num_batches_tracked')) continue;
      throw fail(`tensor '${name}' is missing (the architecture ${plan.spec} has ${expected.map((e) => fileName(e.name)).join(', ')})`);
    }
    if (tensor.shape.join(',') !== p.shape.join(',')) {
      const { height, width, classes } = plan.geometry;
      throw fail(`tensor '${name}' has shape [${tensor.shape.join(', ')}], expected [${p.shape.join(', ')}] for ${height}×${width} inputs and ${classes} classes`);
    }
    // A count is int64 (as PyTorch saves it); a weight or statistic any float type (converted to float32 on reading).
    const count = 'dtype' in p && p.dtype === 'I64';
    if (count !== (tensor.dtype === 'I64')) throw fail(`tensor '${name}' has dtype ${tensor.dtype ?? 'F32'}, expected ${count ? 'I64' : 'a float type (F32, F16, BF16 or F64)'}`);
    const bad = tensor.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw fail(`tensor '${name}' holds ${tensor.data[bad]} at element ${bad}; retrain or repair the model`);
    p.value.set(tensor.data);
    used.add(name);
  }
  for (const name of file.tensors.keys()) {
    if (!used.has(name)) throw fail(`unexpected tensor '${name}'; the architecture ${plan.spec} has ${expected.map((e) => fileName(e.name)).join(', ')}`);
  }
}

/** The plan a file describes: from its metadata, from `options.arch`, or (no metadata) the paper network its tensors fit. */
function planFromFile(file: SafetensorsFile, source: string, options: ModelLoadOptions): { plan: NetworkPlan; naming: 'xcnn' | 'sequential' } {
  const m = file.metadata;
  const naming = [...file.tensors.keys()].some((name) => /^\d+\./.test(name)) ? 'sequential' : 'xcnn';
  const geometryGiven = m.geometry !== undefined ? readGeometry(m.geometry, source) : null;
  if (m.arch !== undefined && options.arch !== undefined) {
    const geometry = geometryGiven ?? inferGeometry(file, source, m.arch, naming);
    const given = planNetwork(options.arch, geometry).spec;
    if (given !== planNetwork(m.arch, geometry).spec) {
      throw new XcnnError(`${source}: the file's architecture is ${m.arch}, but arch says ${given}: leave arch out for a model xcnn wrote`, { code: 'ERR_BAD_ARGUMENT', option: 'arch' });
    }
  }
  const spec = m.arch ?? options.arch ?? null;
  if (spec === null) {
    if (naming === 'sequential') {
      throw new XcnnError(`${source}: its tensors have nn.Sequential's numeric names (${[...file.tensors.keys()][0]}, …) and no architecture: give it with arch, a spec of the same layers as the Sequential`, { code: 'ERR_BAD_ARGUMENT', option: 'arch' });
    }
    return { plan: paperPlanFromTensors(file, source, geometryGiven), naming };
  }
  const fileGeometry = geometryGiven ?? inferGeometry(file, source, spec, naming, options.input);
  return { plan: planNetwork(spec, fileGeometry), naming };
}

function paperPlanFromTensors(file: SafetensorsFile, source: string, geometry: NetworkGeometry | null): NetworkPlan {
  const fail = (problem: string) => new XcnnError(`${source}: not an xcnn model: ${problem}`, { code: 'ERR_BAD_MODEL' });
  for (const name of TENSOR_NAMES) {
    if (!file.tensors.has(name)) throw new XcnnError(`${source}: not an xcnn model: tensor '${name}' is missing, and the file has no 'arch' metadata to say what network it is (give arch, a spec, for a PyTorch state_dict)`, { code: 'ERR_BAD_MODEL', option: 'arch' });
  }
  // The widths come from the biases (1-D, so nothing to transpose); every weight is then checked against them.
  const units = (name: string) => (file.tensors.get(name)!.shape.length === 1 ? file.tensors.get(name)!.shape[0] : 0);
  const widths = { conv1Channels: units('conv1.bias'), conv2Channels: units('conv2.bias'), hidden: units('fc1.bias') };
  if (!(widths.conv1Channels > 0 && widths.conv2Channels > 0 && widths.hidden > 0)) throw fail('conv1.bias, conv2.bias and fc1.bias must be non-empty vectors');
  const g = geometry ?? MNIST_GEOMETRY;
  return planNetwork(paperSpec(g.classes, widths), g);
}

/** The file tensor name of a network tensor for an nn.Sequential state_dict: 'bn1.running_var' → '3.running_var'. */
function sequentialName(plan: NetworkPlan, name: string): string {
  const dot = name.indexOf('.');
  const layer = plan.layers.find((l) => l.name === name.slice(0, dot));
  return layer === undefined ? name : `${layer.index}${name.slice(dot)}`;
}

/**
 * The geometry of a file without metadata: channels from the first convolution's (or linear's) weight, the
 * classes from the last tensor of the last layer, and the first image size (28, 32, then 1…1024) whose plan
 * the tensors' shapes fit.
 */
function inferGeometry(file: SafetensorsFile, source: string, spec: string, naming: 'xcnn' | 'sequential', input?: ModelLoadOptions['input']): NetworkGeometry {
  const shapes = new Map([...file.tensors].map(([name, tensor]) => [name, tensor.shape]));
  // Layer names and indices depend on the kinds alone; a preset's are the same for any class count.
  const kinds = parseSpec(resolveSpec(spec, 1));
  const probe = layerNames(kinds).map((named, index) => ({ ...named, index, kind: kinds[index].kind }));
  const nameOf = (layerName: string, tensor: string) => (naming === 'sequential' ? `${probe.find((l) => l.name === layerName)!.index}.${tensor}` : `${layerName}.${tensor}`);
  const firstConv = probe.find((l) => l.kind === 'conv');
  const lastWeighted = [...probe].reverse().find((l) => l.kind === 'linear' || l.kind === 'conv');
  if (lastWeighted === undefined) {
    throw new XcnnError(`${source}: the architecture ${spec} has no linear or conv layer, so nothing in the file gives the class count: give the layers of the file's network`, { exitCode: 2, code: 'ERR_BAD_ARGUMENT' });
  }
  // The input's channels from the first convolution's weight [out, in, k, k], the classes from the last weighted
  // layer's bias [classes]; the message names the tensor that is not there.
  const channelsTensor = firstConv ? nameOf(firstConv.name, 'weight') : null;
  const classesTensor = nameOf(lastWeighted.name, 'bias');
  const channels = channelsTensor === null ? 1 : shapes.get(channelsTensor)?.[1];
  const classes = shapes.get(classesTensor)?.[0];
  if (channels === undefined || classes === undefined) throw new XcnnError(`${source}: its tensors do not match the architecture ${spec} (no ${channels === undefined ? channelsTensor : classesTensor})`, { code: 'ERR_BAD_MODEL' });
  if (input !== undefined) {
    if (input.channels !== undefined && input.channels !== channels) {
      throw new XcnnError(`${source}: the input is given as ${input.channels} channel(s), but the first convolution's weight takes ${channels}`, { code: 'ERR_BAD_ARGUMENT', option: 'input' });
    }
    return { channels, height: input.height, width: input.width, classes };
  }
  const sizes = [28, 32, ...Array.from({ length: 1024 }, (_, k) => k + 1)];
  let firstPlanned: NetworkGeometry | null = null;
  for (const size of sizes) {
    const geometry = { channels, height: size, width: size, classes };
    let plan: NetworkPlan;
    try {
      plan = planNetwork(spec, geometry);
    } catch {
      continue;
    }
    firstPlanned ??= geometry;
    const fits = plan.layers.every((layer) => {
      if (layer.spec.kind !== 'linear') return true;
      const weight = shapes.get(naming === 'sequential' ? `${layer.index}.weight` : `${layer.name}.weight`);
      return weight === undefined || weight.length !== 2 || weight[1] === layer.inputShape[0];
    });
    if (fits) return geometry;
  }
  // No size fits: the spec differs from the file's network. The first size the spec plans for lets the shape
  // check name the first tensor that does not match.
  if (firstPlanned !== null) return firstPlanned;
  throw new XcnnError(`${source}: no square image size makes the architecture ${spec} fit its tensors' shapes`, { code: 'ERR_BAD_MODEL' });
}

/** The metadata entries every xcnn file (model or checkpoint) carries. */
export function infoMetadata(info: ModelInfo, network?: Network): Record<string, string> {
  const metadata: Record<string, string> = {
    format: 'xcnn',
    ...(network?.spec ? { arch: network.spec } : {}),
    geometry: JSON.stringify(info.geometry),
    dataset: info.dataset,
    class_names: JSON.stringify(info.classNames),
  };
  if (info.training) metadata.training = JSON.stringify(info.training);
  if (info.metrics) metadata.metrics = JSON.stringify(info.metrics);
  return metadata;
}

function parseJson(m: Record<string, string>, key: string, source: string): unknown {
  try {
    return JSON.parse(m[key]);
  } catch {
    throw new XcnnError(`${source}: metadata '${key}' is not valid JSON`, { code: 'ERR_BAD_MODEL' });
  }
}

function readGeometry(text: string, source: string): NetworkGeometry {
  const geometry = parseJson({ geometry: text }, 'geometry', source) as NetworkGeometry;
  if (typeof geometry !== 'object' || geometry === null) throw new XcnnError(`${source}: metadata 'geometry' is not an object`, { code: 'ERR_BAD_MODEL' });
  for (const key of ['channels', 'height', 'width', 'classes'] as const) {
    const value = geometry[key];
    if (!Number.isSafeInteger(value) || value < 1 || value > 4096) throw new XcnnError(`${source}: metadata 'geometry' has a bad ${key}: ${JSON.stringify(value)}`, { code: 'ERR_BAD_MODEL' });
  }
  return { channels: geometry.channels, height: geometry.height, width: geometry.width, classes: geometry.classes };
}

/**
 * Reads (and checks) the metadata of a decoded file. The geometry is the metadata's, or the network's when
 * the file has none; the class names default to 0, 1, … (MNIST's digits for ten classes).
 */
export function readInfo(file: SafetensorsFile, source: string, network?: Network): ModelInfo {
  const m = file.metadata;
  const geometry = m.geometry !== undefined ? readGeometry(m.geometry, source) : network ? geometryOf(network) : MNIST_GEOMETRY;
  checkGeometry(geometry);
  const defaultNames = geometry.classes === 10 ? MNIST_CLASS_NAMES : Array.from({ length: geometry.classes }, (_, k) => String(k));
  const classNames = m.class_names === undefined ? defaultNames : parseJson(m, 'class_names', source);
  if (!Array.isArray(classNames) || classNames.length !== geometry.classes || !classNames.every((c) => typeof c === 'string')) {
    throw new XcnnError(`${source}: metadata 'class_names' must be a list of ${geometry.classes} strings`, { code: 'ERR_BAD_MODEL' });
  }
  return {
    geometry,
    dataset: m.dataset ?? 'mnist',
    classNames: classNames as string[],
    training: m.training === undefined ? undefined : (parseJson(m, 'training', source) as Record<string, unknown>),
    metrics: m.metrics === undefined ? undefined : (parseJson(m, 'metrics', source) as Record<string, unknown>),
  };
}
