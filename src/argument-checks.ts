/**
 * The checks of the library's public functions on the kind of each argument, before any work: a wrong kind
 * (a string where a network goes, an ArrayBuffer where bytes go, nothing at all) is an XcnnError with code
 * ERR_BAD_ARGUMENT naming the function, the argument and what it takes — never a TypeError from deep inside.
 * The checks are structural (what the function reads of the argument), so objects from another copy of the
 * package, or a thread pool where a network's predictions are asked, pass. Browser-safe.
 */
import { describeArray } from './data/dataset.js';
import { XcnnError } from './errors.js';

function refuse(what: string, name: string, expected: string, value: unknown): XcnnError {
  return new XcnnError(`${what}: ${name} must be ${expected}, not ${describeArray(value)}`, { code: 'ERR_BAD_ARGUMENT' });
}

const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object';

/** Bytes: a Uint8Array (a Node Buffer is one). */
export function checkBytes(what: string, name: string, value: unknown): void {
  if (!(value instanceof Uint8Array)) throw refuse(what, name, 'a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…))', value);
}

/** Bytes where an ArrayBuffer will do as well: an ArrayBuffer or any view of one (WebAssembly.compile's BufferSource). */
export function checkBufferSource(what: string, name: string, value: unknown): void {
  if (!(value instanceof ArrayBuffer || ArrayBuffer.isView(value))) throw refuse(what, name, 'bytes: an ArrayBuffer or a Uint8Array', value);
}

/** Pixels as bytes: a Uint8Array or a Uint8ClampedArray (a canvas's ImageData.data is one). */
export function checkPixelBytes(what: string, name: string, value: unknown): void {
  if (!(value instanceof Uint8Array || value instanceof Uint8ClampedArray)) throw refuse(what, name, 'a Uint8Array or Uint8ClampedArray of pixel bytes (ImageData.data is one)', value);
}

/** An array (a plain one). */
export function checkList(what: string, name: string, value: unknown, of: string): void {
  if (!Array.isArray(value)) throw refuse(what, name, `an array of ${of}`, value);
}

/** A backend's float array: a Float32Array (the wasm backend's, and the reference's by default) or a Float64Array. */
export function checkFloats(what: string, name: string, value: unknown): void {
  if (!(value instanceof Float32Array || value instanceof Float64Array)) throw refuse(what, name, "a Float32Array or Float64Array (the backend's allocFloats gives one)", value);
}

/** Numbers in order: an array or a typed array. */
export function checkNumbers(what: string, name: string, value: unknown): void {
  if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) throw refuse(what, name, 'an array or a typed array of numbers', value);
}

/** An object of options or fields (not null, not an array, not bytes). */
export function checkObject(what: string, name: string, value: unknown, holding: string): void {
  const bytes = value instanceof ArrayBuffer || ArrayBuffer.isView(value);
  if (!isObject(value) || Array.isArray(value) || bytes) throw refuse(what, name, `an object (${holding})`, value);
}

/** What a field of an argument holds, as checkFields tells them apart. */
export type FieldKind = 'number' | 'string' | 'array' | 'numbers' | 'object' | 'function';

const FIELD_KINDS: Record<FieldKind, { words: string; holds: (value: unknown) => boolean }> = {
  number: { words: 'a number', holds: (value) => typeof value === 'number' },
  string: { words: 'a string', holds: (value) => typeof value === 'string' },
  array: { words: 'an array', holds: (value) => Array.isArray(value) },
  numbers: { words: 'an array or a typed array of numbers', holds: (value) => Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)) },
  object: { words: 'an object', holds: (value) => isObject(value) && !Array.isArray(value) },
  function: { words: 'a function', holds: (value) => typeof value === 'function' },
};

/**
 * An object holding the fields the function reads, each of its kind. `{}`, or an object of another shape, is
 * refused naming the first field it lacks (`formatPlan: plan.layers must be an array (plan: layers and
 * geometry, as planNetwork gives it), not undefined`) instead of failing inside, where the field is used.
 */
export function checkFields(what: string, name: string, value: unknown, holding: string, fields: Readonly<Record<string, FieldKind>>): void {
  checkObject(what, name, value, holding);
  const record = value as Record<string, unknown>;
  for (const [field, kind] of Object.entries(fields)) {
    if (!FIELD_KINDS[kind].holds(record[field])) throw refuse(what, `${name}.${field}`, `${FIELD_KINDS[kind].words} (${name}: ${holding})`, record[field]);
  }
}

/** A model's info: what a model file says besides its tensors (loadModel, createClassifier, encodeModel take it). */
export function checkModelInfo(what: string, name: string, value: unknown): void {
  checkFields(what, name, value, 'geometry, dataset and classNames, as loadModel gives it', { geometry: 'object', dataset: 'string', classNames: 'array' });
}

/** The input and output of a network: channels, height, width (of the input) and classes. */
export function checkGeometryFields(what: string, name: string, value: unknown): void {
  checkFields(what, name, value, 'channels, height, width and classes', { channels: 'number', height: 'number', width: 'number', classes: 'number' });
}

/** A network's plan (planNetwork): its layers and its input geometry. */
export function checkPlan(what: string, name: string, value: unknown): void {
  checkFields(what, name, value, 'layers and geometry, as planNetwork gives it', { layers: 'array', geometry: 'object' });
}

/** A picture's size, the least the picture functions' options hold. */
export function checkPictureSize(what: string, name: string, value: unknown): void {
  checkFields(what, name, value, 'width and height at least', { width: 'number', height: 'number' });
}

/** A run's settings (checkpointSettings gives them): what a checkpoint needs to rebuild and continue the run. */
export function checkTrainSettings(what: string, name: string, value: unknown): void {
  const fields = { epochs: 'number', batchSize: 'number', learningRate: 'number', seed: 'number', arch: 'string', backend: 'string' } as const;
  checkFields(what, name, value, 'the training settings: checkpointSettings(state, run)', fields);
}

/** A random generator: the package's Random (its draws and its state are what a run's seed reproduces). */
export function checkRandom(what: string, name: string, value: unknown): void {
  const random = isObject(value) && ['next', 'uniform', 'shuffle', 'state'].every((method) => typeof value[method] === 'function');
  if (!random) throw refuse(what, name, 'a Random (new Random(seed))', value);
}

/** An optimiser (Adam, Sgd): its step count, its state arrays and its update. */
export function checkOptimizer(what: string, name: string, value: unknown): void {
  checkFields(what, name, value, 'an optimiser: new Adam(network), say', { step: 'number', stateArrays: 'array', update: 'function' });
}

/** A training run's state (createTrainingState): the network it trains, its optimiser and its generator. */
export function checkTrainingState(what: string, name: string, value: unknown): void {
  checkFields(what, name, value, 'network, optimiser and progress, as createTrainingState gives it', { network: 'object', optimizer: 'object', random: 'object' });
  const state = value as Record<string, unknown>;
  checkTrainable(what, `${name}.network`, state.network);
  checkOptimizer(what, `${name}.optimizer`, state.optimizer);
  checkRandom(what, `${name}.random`, state.random);
}

/** A network, or what predicts like one (a thread pool): its input and output shapes and its backend. */
export function checkModel(what: string, name: string, value: unknown, kind = 'a network (createNetwork, loadModel, loadModelFromBytes)'): void {
  if (!isObject(value) || !Array.isArray(value.inputShape) || !Array.isArray(value.outputShape) || !isObject(value.backend)) throw refuse(what, name, kind, value);
}

/** What an optimiser updates: a network's parameter and gradient arrays and its backend. */
export function checkTrainable(what: string, name: string, value: unknown): void {
  const arrays = isObject(value) && ArrayBuffer.isView(value.params) && ArrayBuffer.isView(value.grads);
  if (!arrays || !isObject(value.backend) || typeof value.backend.allocFloats !== 'function') throw refuse(what, name, 'a network (createNetwork, loadModel, loadModelFromBytes)', value);
}

/** A backend: the object that allocates and computes (createWasmBackend, createBackend, new ReferenceBackend()). */
export function checkBackend(what: string, name: string, value: unknown): void {
  if (!isObject(value) || typeof value.allocFloats !== 'function') throw refuse(what, name, 'a backend (createWasmBackend, createBackend, new ReferenceBackend())', value);
}

/** Options that may be left out: absent, or an object. */
export function checkOptions(what: string, value: unknown, holding = 'its options'): void {
  if (value !== undefined) checkObject(what, 'options', value, holding);
}

/** An image set: its count, size and bytes (loadDataset, createDataset, takeFirst). */
export function checkImageSetKind(what: string, name: string, value: unknown): void {
  const sized = isObject(value) && typeof value.count === 'number' && typeof value.height === 'number' && typeof value.width === 'number';
  if (!sized || !ArrayBuffer.isView(value.images)) throw refuse(what, name, 'an image set (count, height, width, images and labels: loadDataset, createDataset)', value);
}

/** An explanation method (methodByName), or, where `byName` says so, its name. */
export function checkMethod(what: string, name: string, value: unknown, byName = false): void {
  if (byName && typeof value === 'string') return;
  if (!isObject(value) || typeof value.explainBatch !== 'function') throw refuse(what, name, byName ? 'an explanation method or its name (methodByName, METHOD_NAMES)' : 'an explanation method (methodByName)', value);
}

/** An object of one of the package's own classes (what only the package makes, such as a thread pool's parts). */
export function checkInstance(what: string, name: string, value: unknown, type: { [Symbol.hasInstance](value: unknown): boolean }, kind: string): void {
  if (!(value instanceof type)) throw refuse(what, name, kind, value);
}

/** A function to call back. */
export function checkFunction(what: string, name: string, value: unknown, kind: string): void {
  if (typeof value !== 'function') throw refuse(what, name, kind, value);
}

/** What a worker attaches to: a compiled kernel module and the memory it shares (a WasmBackend's `shared`). */
export function checkSharedKernels(what: string, name: string, value: unknown): void {
  const kernels = isObject(value) && isObject(value.module) && isObject(value.memory) && typeof value.maximumPages === 'number';
  if (!kernels) throw refuse(what, name, "a WasmBackend's shared kernels (its module and memory: backend.shared)", value);
}

/** A number (any: the function says which it takes, after the kind is right). */
export function checkNumber(what: string, name: string, value: unknown, kind = 'a number'): void {
  if (typeof value !== 'number') throw refuse(what, name, kind, value);
}

/** What a layer offers the network that holds it (model/layer.ts's Layer): its shapes, parameters and passes. */
const LAYER_FIELDS = { name: 'string', inputShape: 'array', outputShape: 'array', parameterSpecs: 'function', bindParameters: 'function', forward: 'function', backward: 'function' } as const;

/** The layers of a network assembled by hand (new Network): a non-empty array, each with a layer's face. */
export function checkLayers(what: string, name: string, value: unknown): void {
  if (!Array.isArray(value) || value.length === 0) throw refuse(what, name, 'a non-empty array of layers (planNetwork and createNetwork build them from a spec)', value);
  value.forEach((layer, k) => checkFields(what, `${name}[${k}]`, layer, 'a layer: name, shapes, parameterSpecs, forward and backward', LAYER_FIELDS));
}

/** Text: a name, a path, a spec. */
export function checkString(what: string, name: string, value: unknown, kind = 'a string'): void {
  if (typeof value !== 'string') throw refuse(what, name, kind, value);
}

/** A model's predictions on a set (predict): the true classes, the predicted ones and the probabilities. */
export function checkPredictions(what: string, name: string, value: unknown): void {
  const arrays = isObject(value) && ArrayBuffer.isView(value.labels) && ArrayBuffer.isView(value.predicted) && ArrayBuffer.isView(value.probabilities);
  if (!arrays) throw refuse(what, name, 'predictions (labels, predicted and probabilities, as predict gives them)', value);
}

/**
 * Options whose every field may be left out: absent, or an object whose fields are each absent or of their
 * kind, and no others — a misspelt option (`{ sample: 8 }`) is refused, naming the options there are, rather
 * than silently ignored for the default. Options a function hands on whole to another (explainClassMeans's to
 * explainForTargets, with its own perClass among them) are checked `'passed on'`: their kinds only.
 */
export function checkOptionFields(what: string, name: string, value: unknown, fields: Readonly<Record<string, FieldKind>>, others: 'refused' | 'passed on' = 'refused'): void {
  if (value === undefined) return;
  const known = Object.keys(fields);
  checkObject(what, name, value, known.length === 0 ? 'no fields' : `any of ${known.join(', ')}`);
  for (const [field, held] of Object.entries(value as Record<string, unknown>)) {
    if (!Object.hasOwn(fields, field)) {
      if (others === 'passed on') continue;
      throw new XcnnError(`${what}: ${name}.${field} is not an option; the options are ${known.join(', ')}`, { code: 'ERR_BAD_ARGUMENT' });
    }
    if (held !== undefined && !FIELD_KINDS[fields[field]].holds(held)) throw refuse(what, `${name}.${field}`, FIELD_KINDS[fields[field]].words, held);
  }
}

/** A function that takes nothing (a method with no settings): an argument given to it would be ignored, so it is refused. */
export function checkNoArguments(what: string, count: number, instead: string): void {
  if (count > 0) throw new XcnnError(`${what}: takes no arguments, not ${count} (${instead})`, { code: 'ERR_BAD_ARGUMENT' });
}

/** A size or a count of pixels: a whole number ≥ 1. */
export function checkPositiveWhole(what: string, name: string, value: unknown): void {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return;
  const shown = typeof value === 'number' ? String(value) : describeArray(value);
  throw new XcnnError(`${what}: ${name} must be a whole number ≥ 1, not ${shown}`, { code: 'ERR_BAD_ARGUMENT' });
}

/**
 * RGBA pixels of a picture: bytes (ImageData.data, a decoded PNG's), its size in whole pixels, and 4 bytes a
 * pixel, row by row. A length that is not width·height·4 is ERR_BAD_IMAGE (the picture, not the call, is wrong).
 */
export function checkRgba(what: string, rgba: unknown, width: unknown, height: unknown, [widthName, heightName] = ['width', 'height']): void {
  checkPixelBytes(what, 'rgba', rgba);
  checkPositiveWhole(what, widthName, width);
  checkPositiveWhole(what, heightName, height);
  const length = (rgba as Uint8Array).length;
  const expected = (width as number) * (height as number) * 4;
  if (length !== expected) throw new XcnnError(`${what}: rgba holds ${length} bytes, but a ${width as number} × ${height as number} RGBA picture is ${expected}; give 4 bytes a pixel, row by row`, { code: 'ERR_BAD_IMAGE' });
}
