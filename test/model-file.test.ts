import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { decodeSafetensors, encodeSafetensors } from '../src/files/safetensors.js';
import { XcnnError } from '../src/errors.js';
import { decodeModel, encodeModel, infoMetadata, loadModelFromBytes, readInfo, TENSOR_NAMES } from '../src/model/model-file.js';
import { loadModel, saveModel } from '../src/model/model-io.js';
import { createNetwork, createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { Random } from '../src/random.js';

const backend = new ReferenceBackend();
const info = { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES, training: { epochs: 1 }, metrics: { testAccuracy: 0.5 } };

function trainedLookingNetwork() {
  const network = createPaperNetwork(backend);
  network.initialize(new Random(11));
  return network;
}

/** The eight tensors as PyTorch's `safetensors.torch.save_file(model.state_dict())` lays them out: no metadata, sorted by name. */
function pytorchStyleFile(network = trainedLookingNetwork(), drop?: string, reshape?: string): Uint8Array {
  const tensors = network.parameters
    .filter((p) => p.name !== drop)
    .map((p) => ({ name: p.name, shape: p.name === reshape ? [p.value.length] : p.shape, data: Float32Array.from(p.value) }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return encodeSafetensors(tensors);
}

describe('model files', () => {
  it('save and load the eight PyTorch-named tensors bit for bit, with the metadata', () => {
    const network = trainedLookingNetwork();
    const path = join(mkdtempSync(join(tmpdir(), 'xcnn-model-')), 'model.safetensors');
    saveModel(path, network, info);
    const file = decodeSafetensors(readFileSync(path), path);
    expect([...file.tensors.keys()]).toEqual(TENSOR_NAMES);
    expect(file.metadata.format).toBe('xcnn');
    expect(JSON.parse(file.metadata.class_names)).toEqual(MNIST_CLASS_NAMES);
    const loaded = loadModel(path, backend);
    expect(Buffer.from(loaded.network.params.buffer).equals(Buffer.from(network.params.buffer))).toBe(true);
    expect(loaded.info.training).toEqual({ epochs: 1 });
  });

  it('loads a PyTorch state_dict with no metadata as an MNIST model', () => {
    const network = trainedLookingNetwork();
    const loaded = decodeModel(pytorchStyleFile(network), 'state_dict.safetensors', backend);
    expect(loaded.info.classNames).toEqual(MNIST_CLASS_NAMES);
    expect(loaded.info.geometry).toEqual(MNIST_GEOMETRY);
    expect(Buffer.from(loaded.network.params.buffer).equals(Buffer.from(network.params.buffer))).toBe(true);
  });

  it('names a missing tensor, a wrong shape, or an unexpected tensor', () => {
    expect(() => decodeModel(pytorchStyleFile(undefined, 'fc1.bias'), 'm.safetensors', backend)).toThrow(/^m\.safetensors: not an xcnn model: tensor 'fc1\.bias' is missing/);
    expect(() => decodeModel(pytorchStyleFile(undefined, undefined, 'fc2.weight'), 'm.safetensors', backend)).toThrow(/tensor 'fc2\.weight' has shape \[1280\], expected \[10, 128\]/);
    const extra = encodeSafetensors([...decodeSafetensors(pytorchStyleFile(), 'x').tensors].map(([name, t]) => ({ name, ...t })).concat([{ name: 'fc3.weight', shape: [1], data: new Float32Array(1) }]));
    expect(() => decodeModel(extra, 'm.safetensors', backend)).toThrow(/unexpected tensor 'fc3\.weight'/);
  });

  it('refuses metadata that does not describe the tensors', () => {
    const bytes = encodeModel(trainedLookingNetwork(), { ...info, classNames: ['a', 'b'] });
    expect(() => decodeModel(bytes, 'm.safetensors', backend)).toThrow(/class_names' must be a list of 10 strings/);
  });
});

describe('model metadata, each check word for word', () => {
  /** The message readInfo gives for a file with this metadata and no tensors (the geometry must come from it). */
  const refusal = (metadata: Record<string, string>): string => {
    try {
      readInfo({ tensors: new Map(), metadata }, 'm.safetensors');
    } catch (error) {
      expect(error).toBeInstanceOf(XcnnError);
      return (error as Error).message;
    }
    return 'accepted';
  };
  const geometry = (g: Record<string, unknown>) => ({ geometry: JSON.stringify({ channels: 1, height: 28, width: 28, classes: 10, ...g }) });

  it('gives each refusal of the metadata the code of a bad model', () => {
    const codeOf = (metadata: Record<string, string>): string | undefined => {
      try {
        readInfo({ tensors: new Map(), metadata }, 'm.safetensors');
      } catch (error) {
        return (error as XcnnError).code;
      }
      return 'accepted';
    };
    expect([{ geometry: '{' }, { geometry: 'null' }, geometry({ channels: 0 }), { ...geometry({ classes: 2 }), class_names: '["a"]' }].map(codeOf)).toEqual(new Array(4).fill('ERR_BAD_MODEL'));
  });

  it('needs the geometry to be a JSON object of four whole numbers from 1 to 4096', () => {
    expect(refusal({ geometry: '{' })).toBe("m.safetensors: metadata 'geometry' is not valid JSON");
    expect(refusal({ geometry: 'null' })).toBe("m.safetensors: metadata 'geometry' is not an object");
    expect(refusal({ geometry: '3' })).toBe("m.safetensors: metadata 'geometry' is not an object");
    expect(refusal(geometry({ channels: 0 }))).toBe("m.safetensors: metadata 'geometry' has a bad channels: 0");
    expect(refusal(geometry({ height: 4097 }))).toBe("m.safetensors: metadata 'geometry' has a bad height: 4097");
    expect(refusal(geometry({ width: 1.5 }))).toBe("m.safetensors: metadata 'geometry' has a bad width: 1.5");
    expect(refusal(geometry({ classes: '10' }))).toBe('m.safetensors: metadata \'geometry\' has a bad classes: "10"');
    expect(refusal(geometry({ classes: -1 }))).toBe("m.safetensors: metadata 'geometry' has a bad classes: -1");
    expect(refusal({ geometry: JSON.stringify({ channels: 1, height: 28, width: 28 }) })).toBe("m.safetensors: metadata 'geometry' has a bad classes: undefined");
    // the limits themselves are fine
    expect(readInfo({ tensors: new Map(), metadata: geometry({ channels: 1, height: 4096, width: 1, classes: 1 }) }, 'm').geometry).toEqual({ channels: 1, height: 4096, width: 1, classes: 1 });
  });

  it('needs one string a class in class_names', () => {
    expect(refusal({ ...geometry({ classes: 2 }), class_names: '[' })).toBe("m.safetensors: metadata 'class_names' is not valid JSON");
    expect(refusal({ ...geometry({ classes: 2 }), class_names: '["a"]' })).toBe("m.safetensors: metadata 'class_names' must be a list of 2 strings");
    expect(refusal({ ...geometry({ classes: 2 }), class_names: '["a", 2]' })).toBe("m.safetensors: metadata 'class_names' must be a list of 2 strings");
    expect(refusal({ ...geometry({ classes: 2 }), class_names: '{"0": "a", "1": "b"}' })).toBe("m.safetensors: metadata 'class_names' must be a list of 2 strings");
    expect(refusal({ ...geometry({ classes: 2 }), class_names: '["a", "b", "c"]' })).toBe("m.safetensors: metadata 'class_names' must be a list of 2 strings");
  });

  it('needs training and metrics to be JSON when present', () => {
    expect(refusal({ ...geometry({}), training: 'epochs: 3' })).toBe("m.safetensors: metadata 'training' is not valid JSON");
    expect(refusal({ ...geometry({}), metrics: '' })).toBe("m.safetensors: metadata 'metrics' is not valid JSON");
  });

  it('fills in what a file leaves out: MNIST\'s digits for ten classes, 0 … n−1 otherwise, and the data set mnist', () => {
    expect(readInfo({ tensors: new Map(), metadata: {} }, 'm')).toEqual({ geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES, training: undefined, metrics: undefined });
    const three = readInfo({ tensors: new Map(), metadata: { ...geometry({ classes: 3 }), dataset: 'shapes', training: '{"epochs":2}', metrics: '{"a":1}' } }, 'm');
    expect(three).toEqual({ geometry: { channels: 1, height: 28, width: 28, classes: 3 }, dataset: 'shapes', classNames: ['0', '1', '2'], training: { epochs: 2 }, metrics: { a: 1 } });
  });

  it('writes training and metrics only when there are some, and the arch when the network has a spec', () => {
    const network = trainedLookingNetwork();
    const bare = infoMetadata({ geometry: MNIST_GEOMETRY, dataset: 'd', classNames: ['x'] });
    expect(bare).toStrictEqual({ format: 'xcnn', geometry: JSON.stringify(MNIST_GEOMETRY), dataset: 'd', class_names: '["x"]' });
    expect(Object.keys(bare)).toEqual(['format', 'geometry', 'dataset', 'class_names']); // no training or metrics key at all
    const full = infoMetadata(info, network);
    expect(Object.keys(full)).toEqual(['format', 'arch', 'geometry', 'dataset', 'class_names', 'training', 'metrics']);
    expect([full.arch, full.training, full.metrics]).toEqual([network.spec, '{"epochs":1}', '{"testAccuracy":0.5}']);
  });

  it('refuses a tensor holding a value that is not finite, naming the element', () => {
    const network = trainedLookingNetwork();
    network.parameter('fc1.bias').value[3] = NaN;
    expect(() => decodeModel(encodeModel(network, info), 'm.safetensors', backend)).toThrow(new XcnnError("m.safetensors: not an xcnn model: tensor 'fc1.bias' holds NaN at element 3; retrain or repair the model", { code: 'ERR_BAD_MODEL' }));
    network.parameter('fc1.bias').value[3] = 0;
    network.parameter('conv1.weight').value[0] = -Infinity;
    expect(() => decodeModel(encodeModel(network, info), 'm.safetensors', backend)).toThrow(new XcnnError("m.safetensors: not an xcnn model: tensor 'conv1.weight' holds -Infinity at element 0; retrain or repair the model", { code: 'ERR_BAD_MODEL' }));
  });

  it('refuses a legacy file (no arch) missing one of the eight tensors, or with an empty bias', () => {
    expect(() => decodeModel(pytorchStyleFile(undefined, 'conv2.weight'), 'm.safetensors', backend)).toThrow(
      new XcnnError("m.safetensors: not an xcnn model: tensor 'conv2.weight' is missing, and the file has no 'arch' metadata to say what network it is (give arch, a spec, for a PyTorch state_dict)", { code: 'ERR_BAD_MODEL', option: 'arch' }),
    );
    const tensors = [...decodeSafetensors(pytorchStyleFile(), 'x').tensors].map(([name, t]) => ({ name, ...t, ...(name === 'conv2.bias' ? { shape: [0], data: new Float32Array(0) } : {}) }));
    expect(() => decodeModel(encodeSafetensors(tensors), 'm.safetensors', backend)).toThrow(new XcnnError('m.safetensors: not an xcnn model: conv1.bias, conv2.bias and fc1.bias must be non-empty vectors', { code: 'ERR_BAD_MODEL' }));
  });

  it('refuses an input whose channels the first convolution does not take', () => {
    const network = createNetwork(backend, 'conv(2,3) relu flatten linear(3)', { channels: 3, height: 8, width: 8, classes: 3 });
    const bytes = encodeSafetensors(network.parameters.map((p) => ({ name: p.name, shape: p.shape, data: Float32Array.from(p.value) })), { arch: network.spec! });
    const error = (() => {
      try {
        decodeModel(bytes, 'm.safetensors', backend, { input: { channels: 1, height: 8, width: 8 } });
      } catch (e) {
        return e as XcnnError;
      }
      throw new Error('accepted');
    })();
    expect(error.message).toBe("m.safetensors: the input is given as 1 channel(s), but the first convolution's weight takes 3");
    expect(error.exitCode).toBe(2);
    expect([error.code, error.option]).toEqual(['ERR_BAD_ARGUMENT', 'input']);
    expect(decodeModel(bytes, 'm', backend, { input: { channels: 3, height: 8, width: 8 } }).info.geometry).toEqual({ channels: 3, height: 8, width: 8, classes: 3 });
    expect(decodeModel(bytes, 'm', backend, { input: { height: 8, width: 8 } }).info.geometry).toEqual({ channels: 3, height: 8, width: 8, classes: 3 });
  });
});

describe('files from elsewhere: what is read from the tensors, and each refusal', () => {
  const tensor = (name: string, shape: number[], fill = 0.5) => ({ name, shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill) });
  const errorOf = (run: () => unknown): XcnnError => {
    try {
      run();
    } catch (error) {
      expect(error).toBeInstanceOf(XcnnError);
      return error as XcnnError;
    }
    throw new Error('accepted');
  };

  it('loads from bytes under the name "model" unless told another', () => {
    expect(errorOf(() => loadModelFromBytes(Uint8Array.of(1, 2, 3), backend)).message).toBe('model: not a valid safetensors file: only 3 bytes, too short for the 8-byte header length');
    const network = trainedLookingNetwork();
    const loaded = loadModelFromBytes(encodeModel(network, info), backend, 'given.safetensors');
    expect(Buffer.from(loaded.network.params.buffer).equals(Buffer.from(network.params.buffer))).toBe(true);
    expect(loaded.info.dataset).toBe('mnist');
  });

  it('needs the architecture of a file with nn.Sequential\'s numeric names, as a usage error', () => {
    const error = errorOf(() => decodeModel(encodeSafetensors([tensor('1.weight', [3, 4]), tensor('1.bias', [3])]), 'sd', backend));
    expect(error.message).toBe("sd: its tensors have nn.Sequential's numeric names (1.weight, …) and no architecture: give it with arch, a spec of the same layers as the Sequential");
    expect(error.exitCode).toBe(2);
    expect([error.code, error.option]).toEqual(['ERR_BAD_ARGUMENT', 'arch']);
  });

  it('reads a file as nn.Sequential\'s when any tensor has a numeric name, and then refuses the others', () => {
    const bytes = encodeSafetensors([tensor('1.weight', [3, 4]), tensor('1.bias', [3]), tensor('note', [1])], { arch: 'flatten linear(3)', geometry: JSON.stringify({ channels: 1, height: 2, width: 2, classes: 3 }) });
    expect(errorOf(() => decodeModel(bytes, 'sd', backend)).message).toBe("sd: not an xcnn model: unexpected tensor 'note'; the architecture flatten linear(3) has 1.weight, 1.bias");
  });

  it('finds a Sequential layer with a two-digit index', () => {
    const spec = 'flatten relu relu relu relu relu relu relu relu relu linear(3)'; // linear is layer 10
    const loaded = decodeModel(encodeSafetensors([tensor('10.weight', [3, 4], 0.25), tensor('10.bias', [3], -1)]), 'sd', backend, { arch: spec });
    expect(Array.from(loaded.network.parameter('fc1.weight').value)).toEqual(new Array(12).fill(0.25));
    expect(Array.from(loaded.network.parameter('fc1.bias').value)).toEqual([-1, -1, -1]);
    expect(loaded.info.geometry).toEqual({ channels: 1, height: 2, width: 2, classes: 3 }); // 4 features: 2 × 2
  });

  it('refuses a legacy file whose conv1, conv2 or fc1 bias is empty or not a vector', () => {
    const legacy = (name: string, shape: number[]) =>
      encodeSafetensors([...decodeSafetensors(pytorchStyleFile(), 'x').tensors].map(([n, t]) => (n === name ? tensor(n, shape) : { name: n, ...t })));
    for (const [name, shape] of [['conv1.bias', [0]], ['conv2.bias', [0]], ['fc1.bias', [0]], ['conv1.bias', [32, 1]]] as const) {
      expect(errorOf(() => decodeModel(legacy(name, [...shape]), 'm', backend)).message, `${name} [${shape}]`).toBe('m: not an xcnn model: conv1.bias, conv2.bias and fc1.bias must be non-empty vectors');
    }
  });

  it('reads the classes from the last layer with weights, a convolution too, whatever follows it', () => {
    const endsInRelu = decodeModel(encodeSafetensors([tensor('1.weight', [3, 4]), tensor('1.bias', [3])]), 'sd', backend, { arch: 'flatten linear(3) relu' });
    expect(endsInRelu.info.geometry).toEqual({ channels: 1, height: 2, width: 2, classes: 3 });
    const convolutional = decodeModel(encodeSafetensors([tensor('0.weight', [4, 2, 3, 3]), tensor('0.bias', [4]), tensor('2.weight', [3, 4, 3, 3]), tensor('2.bias', [3])]), 'sd', backend, {
      arch: 'conv(4,3) relu conv(3,3) gap flatten',
    });
    expect(convolutional.info.geometry).toEqual({ channels: 2, height: 28, width: 28, classes: 3 }); // gap fits any size: 28
  });

  it('names the tensor that is missing when it cannot read the channels or the classes', () => {
    const spec = 'conv(2,3) relu flatten linear(3)';
    const file = (...names: string[]) =>
      encodeSafetensors([tensor('conv1.weight', [2, 1, 3, 3]), tensor('conv1.bias', [2]), tensor('fc1.weight', [3, 1352]), tensor('fc1.bias', [3])].filter((t) => names.includes(t.name)), { arch: spec });
    expect(errorOf(() => decodeModel(file('conv1.bias', 'fc1.weight', 'fc1.bias'), 'm', backend)).message).toBe(`m: its tensors do not match the architecture ${spec} (no conv1.weight)`);
    expect(errorOf(() => decodeModel(file('conv1.weight', 'conv1.bias', 'fc1.weight'), 'm', backend)).message).toBe(`m: its tensors do not match the architecture ${spec} (no fc1.bias)`);
    expect(errorOf(() => decodeModel(file('conv1.weight', 'conv1.bias', 'fc1.weight'), 'm', backend)).code).toBe('ERR_BAD_MODEL');
    // With both there, the image size is inferred (28: 2 × 26 × 26 = 1352 features) and the missing weight named.
    expect(errorOf(() => decodeModel(file('conv1.weight', 'conv1.bias', 'fc1.bias'), 'm', backend)).message).toBe(
      `m: not an xcnn model: tensor 'fc1.weight' is missing (the architecture ${spec} has conv1.weight, conv1.bias, fc1.weight, fc1.bias)`,
    );
  });

  it('refuses an architecture with no layer to read the classes from, as a usage error', () => {
    const error = errorOf(() => decodeModel(encodeSafetensors([tensor('0.weight', [2, 4])]), 'sd', backend, { arch: 'flatten' }));
    expect(error.message).toBe("sd: the architecture flatten has no linear or conv layer, so nothing in the file gives the class count: give the layers of the file's network");
    expect(error.exitCode).toBe(2);
    expect(error.code).toBe('ERR_BAD_ARGUMENT');
  });

  it('tries image sizes up to 1024, and says so when no size fits and none plans', () => {
    // maxpool(64) then 256 features: 16 × 16 cells, first at 1024 × 1024.
    const big = decodeModel(encodeSafetensors([tensor('fc1.weight', [2, 256]), tensor('fc1.bias', [2])], { arch: 'maxpool(64) flatten linear(2)' }), 'm', backend);
    expect(big.info.geometry).toEqual({ channels: 1, height: 1024, width: 1024, classes: 2 });
    // A bias of 5 for a linear(3): no geometry plans, whatever the size.
    const none = encodeSafetensors([tensor('fc1.weight', [3, 4]), tensor('fc1.bias', [5])], { arch: 'flatten linear(3)' });
    expect(errorOf(() => decodeModel(none, 'm', backend)).message).toBe("m: no square image size makes the architecture flatten linear(3) fit its tensors' shapes");
    expect(errorOf(() => decodeModel(none, 'm', backend)).code).toBe('ERR_BAD_MODEL');
  });

  it('fits the image size to the linear layers\' weights only, not to a misshapen convolution weight', () => {
    // fc1 takes 3 × 28 × 28 = 2352 features: 32 × 32 inputs (two 3 × 3 convolutions take 4 off). conv2's weight is
    // 2-D, [3, 5]: read as a linear layer's it would fit no size, and the search would fall back to the first that plans (28).
    const spec = 'conv(2,3) relu conv(3,3) flatten linear(2)';
    const tensors = [tensor('conv1.weight', [2, 1, 3, 3]), tensor('conv1.bias', [2]), tensor('conv2.weight', [3, 5]), tensor('conv2.bias', [3]), tensor('fc1.weight', [2, 2352]), tensor('fc1.bias', [2])];
    expect(errorOf(() => decodeModel(encodeSafetensors(tensors, { arch: spec }), 'm', backend)).message).toBe(
      "m: not an xcnn model: tensor 'conv2.weight' has shape [3, 5], expected [3, 2, 3, 3] for 32×32 inputs and 2 classes",
    );
  });

  it('refuses an ONNX model in the core, saying where ONNX is read', () => {
    const error = errorOf(() => decodeModel(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), 'x.onnx', backend));
    expect(error.message).toBe(
      "x.onnx: an ONNX model: the core ('xcnn/core') reads safetensors; read ONNX with 'xcnn' in Node or decodeOnnxModel from 'xcnn/onnx', or convert it with xcnn export --format safetensors",
    );
    expect(error.code).toBe('ERR_BAD_MODEL');
  });

  it('names the function and the argument when an argument is of the wrong kind', () => {
    const bytesKind = 'a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…))';
    const backendKind = 'a backend (createWasmBackend, createBackend, new ReferenceBackend())';
    expect(errorOf(() => encodeModel({} as never, info)).message).toMatch(/^encodeModel: network must be /);
    expect(errorOf(() => encodeModel(trainedLookingNetwork(), 'info' as never)).message).toBe('encodeModel: info must be an object (geometry, dataset and classNames, as loadModel gives it), not string');
    expect(errorOf(() => decodeModel([1] as never, 'm', backend)).message).toBe(`decodeModel: bytes must be ${bytesKind}, not Array`);
    expect(errorOf(() => decodeModel(new Uint8Array(8), 'm', 'ts' as never)).message).toBe(`decodeModel: backend must be ${backendKind}, not string`);
    expect(errorOf(() => loadModelFromBytes([1] as never, backend)).message).toBe(`loadModelFromBytes: bytes must be ${bytesKind}, not Array`);
    expect(errorOf(() => loadModelFromBytes(new Uint8Array(8), 'ts' as never)).message).toBe(`loadModelFromBytes: backend must be ${backendKind}, not string`);
  });
});
