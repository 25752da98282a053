/**
 * The argument checks of src/argument-checks.ts, function by function, called directly: what each accepts, and
 * the exact one-line message of each refusal — `WHAT: NAME must be KIND, not WHAT-IT-GOT`, where what it got is
 * `null`, a primitive's type (`string`, `undefined`) or an object's class (`Object`, `ArrayBuffer`). The
 * messages below are written out by hand from that rule, not copied from the code. (public-arguments.test.ts
 * checks that each public function calls its checks; this file checks the checks.)
 */
import { describe, expect, it } from 'vitest';
import * as checks from '../src/argument-checks.js';
import { errorOf } from './errors.js';

/** The message of the ERR_BAD_ARGUMENT `run` throws. */
const refused = (run: () => unknown) => errorOf(run, 'ERR_BAD_ARGUMENT').message;
const accepts = (run: () => unknown) => expect(run).not.toThrow();
const noop = () => {};

describe('the kinds of bytes', () => {
  it('checkBytes takes a Uint8Array (a Buffer is one), not an ArrayBuffer nor another view', () => {
    accepts(() => checks.checkBytes('parseIdx', 'bytes', new Uint8Array(2)));
    accepts(() => checks.checkBytes('parseIdx', 'bytes', Buffer.from([1])));
    expect(refused(() => checks.checkBytes('parseIdx', 'bytes', new ArrayBuffer(2)))).toBe('parseIdx: bytes must be a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…)), not ArrayBuffer');
    expect(refused(() => checks.checkBytes('f', 'b', new Int8Array(2)))).toBe('f: b must be a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…)), not Int8Array');
  });

  it('checkBufferSource takes an ArrayBuffer or any view of one (a DataView too), nothing else', () => {
    accepts(() => checks.checkBufferSource('compile', 'bytes', new ArrayBuffer(1)));
    accepts(() => checks.checkBufferSource('compile', 'bytes', new Uint8Array(1)));
    accepts(() => checks.checkBufferSource('compile', 'bytes', new DataView(new ArrayBuffer(1))));
    expect(refused(() => checks.checkBufferSource('compile', 'bytes', [1]))).toBe('compile: bytes must be bytes: an ArrayBuffer or a Uint8Array, not Array');
    expect(refused(() => checks.checkBufferSource('compile', 'bytes', null))).toBe('compile: bytes must be bytes: an ArrayBuffer or a Uint8Array, not null');
  });

  it('checkPixelBytes takes a Uint8Array or a Uint8ClampedArray, not other bytes', () => {
    accepts(() => checks.checkPixelBytes('p', 'rgba', new Uint8Array(4)));
    accepts(() => checks.checkPixelBytes('p', 'rgba', new Uint8ClampedArray(4)));
    expect(refused(() => checks.checkPixelBytes('p', 'rgba', new Int8Array(4)))).toBe('p: rgba must be a Uint8Array or Uint8ClampedArray of pixel bytes (ImageData.data is one), not Int8Array');
  });
});

describe('the kinds of arrays', () => {
  it('checkList takes a plain array, naming what it holds', () => {
    accepts(() => checks.checkList('f', 'names', [], 'class names'));
    expect(refused(() => checks.checkList('f', 'names', new Uint8Array(1), 'class names'))).toBe('f: names must be an array of class names, not Uint8Array');
  });

  it('checkFloats takes a Float32Array or a Float64Array', () => {
    accepts(() => checks.checkFloats('f', 'x', new Float32Array(1)));
    accepts(() => checks.checkFloats('f', 'x', new Float64Array(1)));
    expect(refused(() => checks.checkFloats('f', 'x', [0.5]))).toBe("f: x must be a Float32Array or Float64Array (the backend's allocFloats gives one), not Array");
  });

  it('checkNumbers takes an array or a typed array, but not a DataView', () => {
    accepts(() => checks.checkNumbers('f', 'x', [1]));
    accepts(() => checks.checkNumbers('f', 'x', new Int32Array(1)));
    expect(refused(() => checks.checkNumbers('f', 'x', new DataView(new ArrayBuffer(4))))).toBe('f: x must be an array or a typed array of numbers, not DataView');
    expect(refused(() => checks.checkNumbers('f', 'x', '1,2'))).toBe('f: x must be an array or a typed array of numbers, not string');
  });
});

describe('checkObject and checkOptions', () => {
  it('take an object that is not null, an array or bytes', () => {
    accepts(() => checks.checkObject('f', 'o', {}, 'its fields'));
    accepts(() => checks.checkObject('f', 'o', new Map(), 'its fields'));
    const message = (value: unknown) => refused(() => checks.checkObject('f', 'o', value, 'its fields'));
    expect(message(null)).toBe('f: o must be an object (its fields), not null');
    expect(message(undefined)).toBe('f: o must be an object (its fields), not undefined');
    expect(message('x')).toBe('f: o must be an object (its fields), not string');
    expect(message(noop)).toBe('f: o must be an object (its fields), not function');
    expect(message([])).toBe('f: o must be an object (its fields), not Array');
    expect(message(new ArrayBuffer(1))).toBe('f: o must be an object (its fields), not ArrayBuffer');
    expect(message(new Float32Array(1))).toBe('f: o must be an object (its fields), not Float32Array');
  });

  it('checkOptions lets options be left out, and names them "options", with its options by default', () => {
    accepts(() => checks.checkOptions('f', undefined));
    accepts(() => checks.checkOptions('f', {}));
    expect(refused(() => checks.checkOptions('f', 'fast'))).toBe('f: options must be an object (its options), not string');
    expect(refused(() => checks.checkOptions('f', null, 'its options: seed'))).toBe('f: options must be an object (its options: seed), not null');
  });
});

describe('checkFields: an object holding each field the function reads, of its kind', () => {
  const kinds = { n: 'number', s: 'string', a: 'array', xs: 'numbers', o: 'object', fn: 'function' } as const;
  const good = { n: 0, s: '', a: [], xs: new Float32Array(1), o: {}, fn: noop };
  const message = (value: unknown) => refused(() => checks.checkFields('f', 'arg', value, 'six fields', kinds));

  it('accepts an object with every field of its kind (others are not looked at)', () => {
    accepts(() => checks.checkFields('f', 'arg', good, 'six fields', kinds));
    accepts(() => checks.checkFields('f', 'arg', { ...good, xs: [1, 2], extra: 'x' }, 'six fields', kinds));
  });

  it('refuses what is not an object, before any field', () => {
    expect(message(null)).toBe('f: arg must be an object (six fields), not null');
    expect(message([good])).toBe('f: arg must be an object (six fields), not Array');
  });

  it('names the first field in the order given that is missing or of another kind, with its kind and the whole argument', () => {
    expect(message({})).toBe('f: arg.n must be a number (arg: six fields), not undefined');
    expect(message({ ...good, n: '1' })).toBe('f: arg.n must be a number (arg: six fields), not string');
    expect(message({ ...good, s: 1, a: 1 })).toBe('f: arg.s must be a string (arg: six fields), not number');
    expect(message({ ...good, a: new Int8Array(1) })).toBe('f: arg.a must be an array (arg: six fields), not Int8Array');
    expect(message({ ...good, xs: new DataView(new ArrayBuffer(1)) })).toBe('f: arg.xs must be an array or a typed array of numbers (arg: six fields), not DataView');
    expect(message({ ...good, xs: 'x' })).toBe('f: arg.xs must be an array or a typed array of numbers (arg: six fields), not string');
    expect(message({ ...good, o: [] })).toBe('f: arg.o must be an object (arg: six fields), not Array');
    expect(message({ ...good, o: null })).toBe('f: arg.o must be an object (arg: six fields), not null');
    expect(message({ ...good, o: noop })).toBe('f: arg.o must be an object (arg: six fields), not function');
    expect(message({ ...good, fn: {} })).toBe('f: arg.fn must be a function (arg: six fields), not Object');
  });
});

/**
 * A check built on checkFields: a good value is accepted, and a value lacking each field in turn is refused
 * naming that field, with the check's words for the whole argument.
 */
function specifiesFields(check: (what: string, name: string, value: unknown) => void, good: Record<string, unknown>, holding: string, words: Record<string, string>): void {
  accepts(() => check('g', 'v', good));
  expect(refused(() => check('g', 'v', 7))).toBe(`g: v must be an object (${holding}), not number`);
  for (const [field, kind] of Object.entries(words)) {
    const { [field]: _, ...lacking } = good;
    expect(refused(() => check('g', 'v', lacking))).toBe(`g: v.${field} must be ${kind} (v: ${holding}), not undefined`);
  }
}

describe('the checks of the library\'s records', () => {
  it('checkModelInfo: geometry, dataset and classNames', () => {
    specifiesFields(checks.checkModelInfo, { geometry: {}, dataset: 'mnist', classNames: [] }, 'geometry, dataset and classNames, as loadModel gives it', {
      geometry: 'an object', dataset: 'a string', classNames: 'an array',
    });
  });

  it('checkGeometryFields: channels, height, width and classes', () => {
    specifiesFields(checks.checkGeometryFields, { channels: 1, height: 2, width: 3, classes: 4 }, 'channels, height, width and classes', {
      channels: 'a number', height: 'a number', width: 'a number', classes: 'a number',
    });
  });

  it('checkPlan: layers and geometry', () => {
    specifiesFields(checks.checkPlan, { layers: [], geometry: {} }, 'layers and geometry, as planNetwork gives it', { layers: 'an array', geometry: 'an object' });
  });

  it('checkPictureSize: width and height', () => {
    specifiesFields(checks.checkPictureSize, { width: 1, height: 1 }, 'width and height at least', { width: 'a number', height: 'a number' });
  });

  it('checkTrainSettings: the six settings a checkpoint rebuilds a run from', () => {
    const settings = { epochs: 1, batchSize: 2, learningRate: 0.1, seed: 3, arch: 'paper', backend: 'ts' };
    specifiesFields(checks.checkTrainSettings, settings, 'the training settings: checkpointSettings(state, run)', {
      epochs: 'a number', batchSize: 'a number', learningRate: 'a number', seed: 'a number', arch: 'a string', backend: 'a string',
    });
  });

  it('checkOptimizer: its step, its state arrays and its update', () => {
    specifiesFields(checks.checkOptimizer, { step: 0, stateArrays: [], update: noop }, 'an optimiser: new Adam(network), say', {
      step: 'a number', stateArrays: 'an array', update: 'a function',
    });
  });
});

const random = { next: noop, uniform: noop, shuffle: noop, state: noop };
const backend = { allocFloats: noop };
const network = { params: new Float32Array(1), grads: new Float32Array(1), backend };
const optimizer = { step: 0, stateArrays: [], update: noop };

describe('checkRandom', () => {
  it('takes an object with next, uniform, shuffle and state as functions, refusing one that lacks any of them', () => {
    accepts(() => checks.checkRandom('f', 'random', random));
    const message = 'f: random must be a Random (new Random(seed)), not Object';
    for (const method of Object.keys(random)) {
      const { [method as keyof typeof random]: _, ...lacking } = random;
      expect(refused(() => checks.checkRandom('f', 'random', lacking))).toBe(message);
      expect(refused(() => checks.checkRandom('f', 'random', { ...random, [method]: 1 }))).toBe(message);
    }
    expect(refused(() => checks.checkRandom('f', 'random', null))).toBe('f: random must be a Random (new Random(seed)), not null');
    expect(refused(() => checks.checkRandom('f', 'random', 42))).toBe('f: random must be a Random (new Random(seed)), not number');
  });
});

describe('checkTrainable and checkTrainingState', () => {
  const refusal = (value: unknown) => refused(() => checks.checkTrainable('f', 'network', value));
  const words = 'f: network must be a network (createNetwork, loadModel, loadModelFromBytes), not';

  it('checkTrainable takes parameter and gradient views and a backend that allocates', () => {
    accepts(() => checks.checkTrainable('f', 'network', network));
    accepts(() => checks.checkTrainable('f', 'network', { ...network, params: new DataView(new ArrayBuffer(4)) }));
    expect(refusal(null)).toBe(`${words} null`);
    expect(refusal({ ...network, params: [0] })).toBe(`${words} Object`);
    expect(refusal({ ...network, grads: undefined })).toBe(`${words} Object`);
    expect(refusal({ ...network, backend: null })).toBe(`${words} Object`);
    expect(refusal({ ...network, backend: {} })).toBe(`${words} Object`);
    expect(refusal({ ...network, backend: { allocFloats: 1 } })).toBe(`${words} Object`);
  });

  it('checkTrainingState checks its fields, then its network, optimiser and generator each by name', () => {
    const state = { network, optimizer, random };
    accepts(() => checks.checkTrainingState('f', 'state', state));
    const holding = 'state: network, optimiser and progress, as createTrainingState gives it';
    expect(refused(() => checks.checkTrainingState('f', 'state', { optimizer, random }))).toBe(`f: state.network must be an object (${holding}), not undefined`);
    expect(refused(() => checks.checkTrainingState('f', 'state', { network, random }))).toBe(`f: state.optimizer must be an object (${holding}), not undefined`);
    expect(refused(() => checks.checkTrainingState('f', 'state', { network, optimizer }))).toBe(`f: state.random must be an object (${holding}), not undefined`);
    expect(refused(() => checks.checkTrainingState('f', 'state', { ...state, network: { backend } }))).toBe('f: state.network must be a network (createNetwork, loadModel, loadModelFromBytes), not Object');
    expect(refused(() => checks.checkTrainingState('f', 'state', { ...state, optimizer: { step: 0 } }))).toBe('f: state.optimizer.stateArrays must be an array (state.optimizer: an optimiser: new Adam(network), say), not undefined');
    expect(refused(() => checks.checkTrainingState('f', 'state', { ...state, random: { next: noop } }))).toBe('f: state.random must be a Random (new Random(seed)), not Object');
  });
});

describe('checkModel and checkBackend', () => {
  const model = { inputShape: [1, 2, 2], outputShape: [3], backend: {} };
  const words = 'f: model must be a network (createNetwork, loadModel, loadModelFromBytes), not';

  it('checkModel takes what has array shapes and a backend object, named by default as a network', () => {
    accepts(() => checks.checkModel('f', 'model', model));
    expect(refused(() => checks.checkModel('f', 'model', null))).toBe(`${words} null`);
    expect(refused(() => checks.checkModel('f', 'model', { ...model, inputShape: undefined }))).toBe(`${words} Object`);
    expect(refused(() => checks.checkModel('f', 'model', { ...model, outputShape: new Int32Array(1) }))).toBe(`${words} Object`);
    expect(refused(() => checks.checkModel('f', 'model', { ...model, backend: null }))).toBe(`${words} Object`);
    expect(refused(() => checks.checkModel('f', 'model', { ...model, backend: 'wasm' }))).toBe(`${words} Object`);
    expect(refused(() => checks.checkModel('f', 'pool', 3, 'a network or a thread pool'))).toBe('f: pool must be a network or a thread pool, not number');
  });

  it('checkBackend takes an object whose allocFloats is a function (a function itself is not one)', () => {
    const words = 'f: backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not';
    accepts(() => checks.checkBackend('f', 'backend', backend));
    expect(refused(() => checks.checkBackend('f', 'backend', 'wasm'))).toBe(`${words} string`);
    expect(refused(() => checks.checkBackend('f', 'backend', null))).toBe(`${words} null`);
    expect(refused(() => checks.checkBackend('f', 'backend', Object.assign(() => {}, { allocFloats: noop })))).toBe(`${words} function`);
    expect(refused(() => checks.checkBackend('f', 'backend', { allocFloats: {} }))).toBe(`${words} Object`);
  });
});

describe('checkImageSetKind and checkPredictions', () => {
  it('checkImageSetKind takes a count, a height and a width as numbers and images as a view', () => {
    const set = { count: 1, height: 1, width: 1, images: new Uint8Array(1) };
    const words = 'f: set must be an image set (count, height, width, images and labels: loadDataset, createDataset), not';
    accepts(() => checks.checkImageSetKind('f', 'set', set));
    expect(refused(() => checks.checkImageSetKind('f', 'set', null))).toBe(`${words} null`);
    for (const field of ['count', 'height', 'width'] as const) {
      expect(refused(() => checks.checkImageSetKind('f', 'set', { ...set, [field]: '1' }))).toBe(`${words} Object`);
    }
    expect(refused(() => checks.checkImageSetKind('f', 'set', { ...set, images: [0] }))).toBe(`${words} Object`);
  });

  it('checkPredictions takes labels, predicted and probabilities as views', () => {
    const predictions = { labels: new Uint8Array(1), predicted: new Uint8Array(1), probabilities: new Float32Array(10) };
    const words = 'f: p must be predictions (labels, predicted and probabilities, as predict gives them), not';
    accepts(() => checks.checkPredictions('f', 'p', predictions));
    expect(refused(() => checks.checkPredictions('f', 'p', undefined))).toBe(`${words} undefined`);
    for (const field of Object.keys(predictions)) {
      expect(refused(() => checks.checkPredictions('f', 'p', { ...predictions, [field]: [0] }))).toBe(`${words} Object`);
    }
  });
});

describe('checkMethod, checkInstance, checkFunction and checkSharedKernels', () => {
  it('checkMethod takes an object with explainBatch, or, where byName says so, a name too', () => {
    const method = { explainBatch: noop };
    accepts(() => checks.checkMethod('f', 'method', method));
    accepts(() => checks.checkMethod('f', 'method', method, true));
    accepts(() => checks.checkMethod('f', 'method', 'gradcam', true));
    expect(refused(() => checks.checkMethod('f', 'method', 'gradcam'))).toBe('f: method must be an explanation method (methodByName), not string');
    expect(refused(() => checks.checkMethod('f', 'method', {}, false))).toBe('f: method must be an explanation method (methodByName), not Object');
    expect(refused(() => checks.checkMethod('f', 'method', 3, true))).toBe('f: method must be an explanation method or its name (methodByName, METHOD_NAMES), not number');
    expect(refused(() => checks.checkMethod('f', 'method', null, true))).toBe('f: method must be an explanation method or its name (methodByName, METHOD_NAMES), not null');
  });

  it('checkInstance takes an instance of the class given, with the words given', () => {
    class Part {}
    accepts(() => checks.checkInstance('f', 'part', new Part(), Part, 'a Part'));
    expect(refused(() => checks.checkInstance('f', 'part', {}, Part, 'a Part (only the package makes one)'))).toBe('f: part must be a Part (only the package makes one), not Object');
  });

  it('checkFunction takes a function', () => {
    accepts(() => checks.checkFunction('f', 'onStep', noop, 'a function'));
    expect(refused(() => checks.checkFunction('f', 'onStep', { call: noop }, 'a function (step) => void'))).toBe('f: onStep must be a function (step) => void, not Object');
  });

  it('checkSharedKernels takes a module and a memory object and a number of pages', () => {
    const shared = { module: {}, memory: {}, maximumPages: 10 };
    const words = "f: shared must be a WasmBackend's shared kernels (its module and memory: backend.shared), not";
    accepts(() => checks.checkSharedKernels('f', 'shared', shared));
    expect(refused(() => checks.checkSharedKernels('f', 'shared', null))).toBe(`${words} null`);
    expect(refused(() => checks.checkSharedKernels('f', 'shared', { ...shared, module: null }))).toBe(`${words} Object`);
    expect(refused(() => checks.checkSharedKernels('f', 'shared', { ...shared, memory: 'm' }))).toBe(`${words} Object`);
    expect(refused(() => checks.checkSharedKernels('f', 'shared', { ...shared, maximumPages: '10' }))).toBe(`${words} Object`);
  });
});

describe('checkNumber and checkString', () => {
  it('checkNumber takes any number (NaN included: the function checks the range), named "a number" by default', () => {
    accepts(() => checks.checkNumber('f', 'n', Number.NaN));
    expect(refused(() => checks.checkNumber('f', 'n', '3'))).toBe('f: n must be a number, not string');
    expect(refused(() => checks.checkNumber('f', 'n', 3n, 'a whole number'))).toBe('f: n must be a whole number, not bigint');
  });

  it('checkString takes any string, named "a string" by default', () => {
    accepts(() => checks.checkString('f', 's', ''));
    expect(refused(() => checks.checkString('f', 's', 1))).toBe('f: s must be a string, not number');
    expect(refused(() => checks.checkString('f', 'path', {}, 'a string (a file path)'))).toBe('f: path must be a string (a file path), not Object');
  });
});

describe('checkLayers', () => {
  const layer = { name: 'conv1', inputShape: [], outputShape: [], parameterSpecs: noop, bindParameters: noop, forward: noop, backward: noop };
  const holding = 'a layer: name, shapes, parameterSpecs, forward and backward';

  it('takes a non-empty array of objects with a layer\'s name, shapes and functions', () => {
    accepts(() => checks.checkLayers('Network', 'layers', [layer, layer]));
    const words = 'Network: layers must be a non-empty array of layers (planNetwork and createNetwork build them from a spec), not';
    expect(refused(() => checks.checkLayers('Network', 'layers', []))).toBe(`${words} Array`);
    expect(refused(() => checks.checkLayers('Network', 'layers', {}))).toBe(`${words} Object`);
  });

  it('names the layer by its index and the field it lacks', () => {
    const kinds = { name: 'a string', inputShape: 'an array', outputShape: 'an array', parameterSpecs: 'a function', bindParameters: 'a function', forward: 'a function', backward: 'a function' };
    for (const [field, words] of Object.entries(kinds)) {
      const { [field as keyof typeof layer]: _, ...lacking } = layer;
      expect(refused(() => checks.checkLayers('Network', 'layers', [layer, lacking]))).toBe(`Network: layers[1].${field} must be ${words} (layers[1]: ${holding}), not undefined`);
    }
    expect(refused(() => checks.checkLayers('Network', 'layers', [null]))).toBe(`Network: layers[0] must be an object (${holding}), not null`);
  });
});

describe('checkOptionFields: options whose every field may be left out', () => {
  const fields = { samples: 'number', seed: 'number', layer: 'string' } as const;
  const message = (value: unknown, others?: 'refused' | 'passed on') => refused(() => checks.checkOptionFields('smoothGrad', 'options', value, fields, others));

  it('accepts no options, an empty object, and fields left undefined', () => {
    accepts(() => checks.checkOptionFields('f', 'options', undefined, fields));
    accepts(() => checks.checkOptionFields('f', 'options', {}, fields));
    accepts(() => checks.checkOptionFields('f', 'options', { samples: 8, seed: undefined, layer: 'conv1' }, fields));
  });

  it('refuses what is not an object, listing the options there are (or none)', () => {
    expect(message(8)).toBe('smoothGrad: options must be an object (any of samples, seed, layer), not number');
    expect(message([])).toBe('smoothGrad: options must be an object (any of samples, seed, layer), not Array');
    expect(refused(() => checks.checkOptionFields('f', 'options', 'x', {}))).toBe('f: options must be an object (no fields), not string');
  });

  it('refuses a field it does not have, naming the ones it has; passed-on options keep theirs', () => {
    expect(message({ sample: 8 })).toBe('smoothGrad: options.sample is not an option; the options are samples, seed, layer');
    expect(message({ sample: 8 }, 'refused')).toBe('smoothGrad: options.sample is not an option; the options are samples, seed, layer');
    expect(refused(() => checks.checkOptionFields('f', 'o', { a: 1 }, {}))).toBe('f: o.a is not an option; the options are ');
    accepts(() => checks.checkOptionFields('f', 'options', { perClass: 3, samples: 2 }, fields, 'passed on'));
  });

  it('refuses a field of another kind, with the kind alone, passed on or not', () => {
    expect(message({ samples: '8' })).toBe('smoothGrad: options.samples must be a number, not string');
    expect(message({ layer: 3 })).toBe('smoothGrad: options.layer must be a string, not number');
    expect(message({ other: 1, seed: null }, 'passed on')).toBe('smoothGrad: options.seed must be a number, not null');
  });
});

describe('checkNoArguments', () => {
  it('takes a count of 0 and refuses any other, saying where the setting goes instead', () => {
    accepts(() => checks.checkNoArguments('eigenCamMethod', 0, 'x'));
    expect(refused(() => checks.checkNoArguments('eigenCamMethod', 1, 'the conv block to explain is explainImages\' layer option'))).toBe("eigenCamMethod: takes no arguments, not 1 (the conv block to explain is explainImages' layer option)");
    expect(refused(() => checks.checkNoArguments('m', 2, 'none'))).toBe('m: takes no arguments, not 2 (none)');
  });
});

describe('checkPositiveWhole', () => {
  it('takes a whole number from 1 up', () => {
    accepts(() => checks.checkPositiveWhole('f', 'width', 1));
    accepts(() => checks.checkPositiveWhole('f', 'width', 2 ** 40));
  });

  it('refuses 0, fractions, NaN and infinities showing the number, and anything else showing its kind', () => {
    const message = (value: unknown) => refused(() => checks.checkPositiveWhole('f', 'width', value));
    expect(message(0)).toBe('f: width must be a whole number ≥ 1, not 0');
    expect(message(-3)).toBe('f: width must be a whole number ≥ 1, not -3');
    expect(message(0.5)).toBe('f: width must be a whole number ≥ 1, not 0.5');
    expect(message(1.5)).toBe('f: width must be a whole number ≥ 1, not 1.5');
    expect(message(Number.NaN)).toBe('f: width must be a whole number ≥ 1, not NaN');
    expect(message(Number.POSITIVE_INFINITY)).toBe('f: width must be a whole number ≥ 1, not Infinity');
    expect(message('4')).toBe('f: width must be a whole number ≥ 1, not string');
    expect(message(null)).toBe('f: width must be a whole number ≥ 1, not null');
    expect(message([4])).toBe('f: width must be a whole number ≥ 1, not Array');
  });
});

describe('checkRgba', () => {
  it('takes width·height·4 pixel bytes', () => {
    accepts(() => checks.checkRgba('f', new Uint8Array(2 * 3 * 4), 2, 3));
    accepts(() => checks.checkRgba('f', new Uint8ClampedArray(4), 1, 1));
  });

  it('checks the bytes, then the width, then the height, by the names given', () => {
    expect(refused(() => checks.checkRgba('f', [0, 0, 0, 0], 0, 0))).toBe('f: rgba must be a Uint8Array or Uint8ClampedArray of pixel bytes (ImageData.data is one), not Array');
    expect(refused(() => checks.checkRgba('f', new Uint8Array(4), 0, 0))).toBe('f: width must be a whole number ≥ 1, not 0');
    expect(refused(() => checks.checkRgba('f', new Uint8Array(4), 1, 0))).toBe('f: height must be a whole number ≥ 1, not 0');
    expect(refused(() => checks.checkRgba('f', new Uint8Array(4), 0, 1, ['options.width', 'options.height']))).toBe('f: options.width must be a whole number ≥ 1, not 0');
    expect(refused(() => checks.checkRgba('f', new Uint8Array(4), 1, 0.5, ['options.width', 'options.height']))).toBe('f: options.height must be a whole number ≥ 1, not 0.5');
  });

  it('refuses another length as a bad image (ERR_BAD_IMAGE), giving the length a picture of that size has', () => {
    const error = errorOf(() => checks.checkRgba('f', new Uint8Array(23), 2, 3), 'ERR_BAD_IMAGE');
    expect(error.message).toBe('f: rgba holds 23 bytes, but a 2 × 3 RGBA picture is 24; give 4 bytes a pixel, row by row');
    expect(errorOf(() => checks.checkRgba('f', new Uint8Array(25), 2, 3), 'ERR_BAD_IMAGE').message).toBe('f: rgba holds 25 bytes, but a 2 × 3 RGBA picture is 24; give 4 bytes a pixel, row by row');
  });
});
