import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { decodeSafetensors, encodeSafetensors } from '../src/files/safetensors.js';
import { decodeModel, encodeModel, TENSOR_NAMES } from '../src/model/model-file.js';
import { loadModel, saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
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
