/**
 * Model files for any network the spec describes: a round trip keeps every tensor bit for bit (batch norm's
 * buffers included, num_batches_tracked stored as int64) and the canonical spec as `arch`; a PyTorch
 * nn.Sequential state_dict (numeric names, no metadata) loads given its spec and gives the same logits; a
 * file that does not match its spec is refused with a line naming the tensor; the paper network's legacy
 * files still load; and without geometry metadata the input's channels, size and the classes are inferred.
 * The files are built here from a network's tensors, renamed as PyTorch names them.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { encodeSafetensors, type Tensor } from '../src/files/safetensors.js';
import { decodeModel, encodeModel, type ModelInfo } from '../src/model/model-file.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { paperSpec, type NetworkGeometry } from '../src/model/spec.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';
import { randomSpecs, type RandomSpec } from '../src/testing.js';

const backend = new ReferenceBackend();

/** A network of `spec` with random parameters and random (plausible) batch-norm buffers. */
function randomNetwork(spec: string, geometry: NetworkGeometry, seed: number): Network {
  const network = createNetwork(backend, spec, geometry);
  const random = new Random(seed);
  network.initialize(random);
  for (const p of network.parameters) if (p.constant !== undefined) for (let k = 0; k < p.value.length; k++) p.value[k] = random.uniform(0.5, 1.5) * (p.constant || random.uniform(-1, 1));
  for (const b of network.bufferViews) {
    for (let k = 0; k < b.value.length; k++) {
      b.value[k] = b.name.endsWith('num_batches_tracked') ? 1 + Math.floor(random.uniform(0, 1e6)) : b.name.endsWith('running_var') ? random.uniform(0.5, 2) : random.uniform(-1, 1);
    }
  }
  return network;
}

const infoFor = (geometry: NetworkGeometry): ModelInfo => ({ geometry, dataset: 'synthetic', classNames: Array.from({ length: geometry.classes }, (_, k) => `class ${k}`) });

/** The header of a safetensors file, read by hand: 8-byte little-endian length, then JSON. */
function rawHeader(bytes: Uint8Array): Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } & Record<string, string>> {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
}

/**
 * The network's tensors as torch.save_file(nn.Sequential(…).state_dict()) writes them: each named by its
 * layer's index in the spec (`3.running_var`), with no metadata. `edit` may drop, reshape or add tensors.
 */
function sequentialFile(network: Network, spec: RandomSpec | { layers: Array<{ name: string; index: number }> }, edit: (tensors: Array<{ name: string } & Tensor>) => void = () => {}): Uint8Array {
  const indexOf = new Map(spec.layers.map((l) => [l.name, l.index]));
  const rename = (name: string) => `${indexOf.get(name.split('.')[0])}.${name.split('.').slice(1).join('.')}`;
  const tensors: Array<{ name: string } & Tensor> = [
    ...network.parameters.map((p) => ({ name: rename(p.name), shape: p.shape, data: Float32Array.from(p.value) })),
    ...network.bufferViews.map((b) => ({ name: rename(b.name), shape: b.shape, data: Float32Array.from(b.value), dtype: b.dtype })),
  ];
  edit(tensors);
  return encodeSafetensors(tensors);
}

/** The logits of `batch` seeded random inputs (evaluation mode: batch norm's running statistics). */
function logitsOf(network: Network, batch = 2, seed = 1): Float32Array {
  const random = new Random(seed);
  const input = backend.allocFloats(batch * network.inputShape.reduce((a, b) => a * b, 1));
  for (let k = 0; k < input.length; k++) input[k] = random.uniform(0, 1);
  return Float32Array.from(network.forward(input, batch));
}

const bytesOf = (a: Floats) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('model files of any network', () => {
  it('round-trip every tensor bit for bit over random specs, bn buffers included, with the canonical arch', () => {
    fc.assert(
      fc.property(randomSpecs({ maxSize: 8 }), fc.integer({ min: 0, max: 2 ** 31 }), (spec, seed) => {
        const network = randomNetwork(spec.explicit, spec.geometry, seed);
        const bytes = encodeModel(network, infoFor(spec.geometry));
        const header = rawHeader(bytes);
        expect(header.__metadata__.arch).toBe(spec.canonical);
        expect(JSON.parse(header.__metadata__.geometry)).toEqual(spec.geometry);
        const loaded = decodeModel(bytes, 'model.safetensors', backend);
        expect(loaded.network.spec).toBe(spec.canonical);
        expect(loaded.info.geometry).toEqual(spec.geometry);
        expect(bytesOf(loaded.network.params).equals(bytesOf(network.params))).toBe(true);
        expect(bytesOf(loaded.network.buffers).equals(bytesOf(network.buffers))).toBe(true);
        expect(loaded.network.bufferViews.map((b) => b.name)).toEqual(network.bufferViews.map((b) => b.name));
      }),
      { numRuns: 60 },
    );
  });

  it('stores num_batches_tracked as a scalar int64 and everything else as float32', () => {
    const network = randomNetwork('conv(3,3) bn relu flatten bn linear(4)', { channels: 2, height: 6, width: 6, classes: 4 }, 3);
    const tracked = network.bufferViews.filter((b) => b.name.endsWith('num_batches_tracked'));
    tracked[0].value[0] = 0;
    tracked[1].value[0] = 123_456;
    const bytes = encodeModel(network, infoFor({ channels: 2, height: 6, width: 6, classes: 4 }));
    const header = rawHeader(bytes);
    const dataStart = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    for (const [name, entry] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      if (name.endsWith('num_batches_tracked')) {
        expect(entry, name).toMatchObject({ dtype: 'I64', shape: [] });
        expect(entry.data_offsets[1] - entry.data_offsets[0]).toBe(8);
      } else {
        expect(entry.dtype, name).toBe('F32');
      }
    }
    const read = (name: string) => new DataView(bytes.buffer, bytes.byteOffset + dataStart + header[name].data_offsets[0]).getBigInt64(0, true);
    expect(read('bn1.num_batches_tracked')).toBe(0n);
    expect(read('bn2.num_batches_tracked')).toBe(123_456n);
    expect(Object.keys(header).filter((n) => n !== '__metadata__')).toEqual([
      'conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.bias', 'bn2.weight', 'bn2.bias', 'fc1.weight', 'fc1.bias',
      'bn1.running_mean', 'bn1.running_var', 'bn1.num_batches_tracked', 'bn2.running_mean', 'bn2.running_var', 'bn2.num_batches_tracked',
    ]);
  });

  it('loads an nn.Sequential state_dict (numeric names, no metadata) given its spec, to the same logits', () => {
    const cases: Array<[string, NetworkGeometry]> = [
      ['conv(4,3,pad=1) bn relu maxpool(2) conv(6,3,stride=2) bn relu gap flatten dropout(0.25) linear(10)', { channels: 1, height: 28, width: 28, classes: 10 }],
      ['conv(4,5,pad=2) relu avgpool(2) conv(5,5) relu avgpool(2) flatten linear(12) bn relu linear(3)', { channels: 3, height: 32, width: 32, classes: 3 }],
      ['conv(4,3) relu maxpool(2) conv(4,3) relu flatten linear(8) relu linear(5)', { channels: 1, height: 28, width: 28, classes: 5 }],
      ['flatten bn linear(7) relu linear(2)', { channels: 1, height: 28, width: 28, classes: 2 }],
    ];
    for (const [text, geometry] of cases) {
      const spec = { layers: planLayers(text, geometry) };
      const network = randomNetwork(text, geometry, 5);
      const loaded = decodeModel(sequentialFile(network, spec), 'state_dict.safetensors', backend, { arch: text });
      expect(loaded.info.geometry, text).toEqual(geometry);
      expect(bytesOf(logitsOf(loaded.network)).equals(bytesOf(logitsOf(network))), text).toBe(true);
      expect(bytesOf(loaded.network.buffers).equals(bytesOf(network.buffers)), text).toBe(true);
    }
  });

  it('loads an nn.Sequential state_dict of any random spec given the spec (and the geometry metadata), to the same logits', () => {
    fc.assert(
      fc.property(randomSpecs({ maxSize: 8 }), fc.integer({ min: 0, max: 2 ** 31 }), (spec, seed) => {
        const network = randomNetwork(spec.explicit, spec.geometry, seed);
        const state = decodeSafetensorsOf(sequentialFile(network, spec));
        const bytes = encodeSafetensors(state, { geometry: JSON.stringify(spec.geometry) });
        const loaded = decodeModel(bytes, 'state_dict.safetensors', backend, { arch: spec.explicit });
        expect(bytesOf(loaded.network.params).equals(bytesOf(network.params))).toBe(true);
        expect(bytesOf(logitsOf(loaded.network)).equals(bytesOf(logitsOf(network)))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });

  it('starts num_batches_tracked at 0 when a state_dict leaves it out', () => {
    const text = 'conv(2,3) bn relu flatten linear(10)';
    const geometry = { channels: 1, height: 28, width: 28, classes: 10 };
    const network = randomNetwork(text, geometry, 2);
    const file = sequentialFile(network, { layers: planLayers(text, geometry) }, (tensors) => tensors.splice(tensors.findIndex((t) => t.name === '1.num_batches_tracked'), 1));
    const loaded = decodeModel(file, 'sd', backend, { arch: text });
    expect(loaded.network.bufferViews.find((b) => b.name === 'bn1.num_batches_tracked')!.value[0]).toBe(0);
    expect(bytesOf(logitsOf(loaded.network)).equals(bytesOf(logitsOf(network)))).toBe(true);
  });

  it('refuses a file that does not match its spec, naming the tensor and the shapes (or dtypes) found and expected', () => {
    const text = 'conv(4,3) bn relu maxpool(2) flatten linear(10)';
    const canonical = text;
    const geometry = { channels: 1, height: 28, width: 28, classes: 10 };
    const spec = { layers: planLayers(text, geometry) };
    const network = randomNetwork(text, geometry, 7);
    const names = '0.weight, 0.bias, 1.weight, 1.bias, 5.weight, 5.bias, 1.running_mean, 1.running_var, 1.num_batches_tracked';
    const cases: Array<[Uint8Array, { arch?: string }, string]> = [
      [sequentialFile(network, spec), {}, "sd: its tensors have nn.Sequential's numeric names (0.weight, …) and no architecture: give it with arch, a spec of the same layers as the Sequential"],
      [
        sequentialFile(network, spec, (t) => t.splice(t.findIndex((x) => x.name === '1.running_var'), 1)),
        { arch: text },
        `sd: not an xcnn model: tensor '1.running_var' is missing (the architecture ${canonical} has ${names})`,
      ],
      [
        sequentialFile(network, spec, (t) => (t.find((x) => x.name === '5.weight')!.shape = [10, 4, 13, 13])),
        { arch: text },
        "sd: not an xcnn model: tensor '5.weight' has shape [10, 4, 13, 13], expected [10, 676] for 28×28 inputs and 10 classes",
      ],
      [
        sequentialFile(network, spec, (t) => {
          const fc1 = t.find((x) => x.name === '5.weight')!;
          [fc1.shape, fc1.data] = [[10, 677], new Float32Array(6770)]; // fits no image size
        }),
        { arch: text },
        "sd: not an xcnn model: tensor '5.weight' has shape [10, 677], expected [10, 676] for 28×28 inputs and 10 classes",
      ],
      [
        sequentialFile(network, spec, (t) => (t.find((x) => x.name === '1.weight')!.shape = [1, 4])),
        { arch: text },
        "sd: not an xcnn model: tensor '1.weight' has shape [1, 4], expected [4] for 28×28 inputs and 10 classes",
      ],
      [
        sequentialFile(network, spec, (t) => (t.find((x) => x.name === '0.weight')!.dtype = 'I64')),
        { arch: text },
        "sd: not an xcnn model: tensor '0.weight' has dtype I64, expected a float type (F32, F16, BF16 or F64)",
      ],
      [
        sequentialFile(network, spec, (t) => (t.find((x) => x.name === '1.num_batches_tracked')!.dtype = 'F32')),
        { arch: text },
        "sd: not an xcnn model: tensor '1.num_batches_tracked' has dtype F32, expected I64",
      ],
      [
        sequentialFile(network, spec, (t) => t.push({ name: '6.weight', shape: [2], data: new Float32Array(2) })),
        { arch: text },
        `sd: not an xcnn model: unexpected tensor '6.weight'; the architecture ${canonical} has ${names}`,
      ],
    ];
    for (const [bytes, options, message] of cases) expect(errorOf(() => decodeModel(bytes, 'sd', backend, options)).message).toBe(message);
  });

  it('refuses an --arch that disagrees with the arch the file records, and accepts one that agrees however it is written', () => {
    const geometry = { channels: 1, height: 12, width: 12, classes: 3 };
    const network = randomNetwork('conv(4,3) relu maxpool(2) flatten linear(3)', geometry, 8);
    const bytes = encodeModel(network, infoFor(geometry));
    const error = errorOf(() => decodeModel(bytes, 'model.safetensors', backend, { arch: 'conv(4,3) relu avgpool(2) flatten linear(3)' }));
    expect(error.message).toBe('model.safetensors: the file\'s architecture is conv(4,3) relu maxpool(2) flatten linear(3), but arch says conv(4,3) relu avgpool(2) flatten linear(3): leave arch out for a model xcnn wrote');
    expect(error.exitCode).toBe(2);
    expect([error.code, error.option]).toEqual(['ERR_BAD_ARGUMENT', 'arch']);
    const loaded = decodeModel(bytes, 'model.safetensors', backend, { arch: ' CONV(4, 3, stride=1)  relu maxpool(2,stride=2) flatten linear(3)' });
    expect(bytesOf(loaded.network.params).equals(bytesOf(network.params))).toBe(true);
    const paper = randomNetwork(paperSpec(10, { conv1Channels: 2, conv2Channels: 3, hidden: 4 }), { channels: 1, height: 28, width: 28, classes: 10 }, 1);
    const paperBytes = encodeModel(paper, infoFor({ channels: 1, height: 28, width: 28, classes: 10 }));
    expect(errorOf(() => decodeModel(paperBytes, 'p', backend, { arch: 'paper' })).message).toMatch(/^p: the file's architecture is conv\(2,3\) relu maxpool\(2\) conv\(3,3\) .*, but arch says conv\(32,3\) /);
  });

  it('still loads the paper network\'s legacy files: the eight tensors, with or without the old metadata', () => {
    const widths = { conv1Channels: 3, conv2Channels: 5, hidden: 7 };
    const geometry = { channels: 1, height: 28, width: 28, classes: 10 };
    const network = randomNetwork(paperSpec(10, widths), geometry, 9);
    const eight = network.parameters.map((p) => ({ name: p.name, shape: p.shape, data: Float32Array.from(p.value) })).sort((a, b) => a.name.localeCompare(b.name));
    expect(eight.map((t) => t.name)).toEqual(['conv1.bias', 'conv1.weight', 'conv2.bias', 'conv2.weight', 'fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
    const oldMetadata = { format: 'xcnn', geometry: JSON.stringify(geometry), dataset: 'mnist', class_names: JSON.stringify(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) };
    for (const metadata of [{}, oldMetadata]) {
      const loaded = decodeModel(encodeSafetensors(eight, metadata), 'legacy.safetensors', backend);
      expect(loaded.network.spec).toBe('conv(3,3) relu maxpool(2) conv(5,3) relu flatten linear(7) relu linear(10)');
      expect(loaded.info.geometry).toEqual(geometry);
      expect(bytesOf(logitsOf(loaded.network)).equals(bytesOf(logitsOf(network)))).toBe(true);
    }
  });

  it('infers channels, classes and image size from the tensors of a file without geometry (28 first, else 32)', () => {
    const cases: Array<[string, NetworkGeometry]> = [
      // Global pooling fits any size: 28 is preferred.
      ['conv(4,3,pad=1) bn relu gap flatten linear(6)', { channels: 3, height: 28, width: 28, classes: 6 }],
      // flatten → linear fixes the size: 28×28 …
      ['conv(2,3) relu maxpool(2) flatten linear(10)', { channels: 1, height: 28, width: 28, classes: 10 }],
      // … or only 32×32 (2·15·15 = 450 features; 28 would give 2·13·13).
      ['conv(2,3) relu maxpool(2) flatten linear(10)', { channels: 3, height: 32, width: 32, classes: 10 }],
      ['conv(6,5,pad=2) relu avgpool(2) conv(16,5) relu avgpool(2) flatten linear(120) relu linear(84) relu linear(4)', { channels: 3, height: 32, width: 32, classes: 4 }],
      // Neither: the smallest size whose features match (2·5·5 = 50 at 12×12).
      ['conv(2,3) relu maxpool(2) flatten linear(3)', { channels: 2, height: 12, width: 12, classes: 3 }],
    ];
    for (const [text, geometry] of cases) {
      const network = randomNetwork(text, geometry, 4);
      const loaded = decodeModel(sequentialFile(network, { layers: planLayers(text, geometry) }), 'sd', backend, { arch: text });
      expect(loaded.info.geometry, text).toEqual(geometry);
      expect(loaded.info.classNames, text).toHaveLength(geometry.classes);
      expect(bytesOf(logitsOf(loaded.network)).equals(bytesOf(logitsOf(network))), text).toBe(true);
      // An xcnn-named file with arch but no geometry metadata infers the same.
      const plain = encodeSafetensors(
        [...network.parameters, ...network.bufferViews].map((t) => ({ name: t.name, shape: t.shape, data: Float32Array.from(t.value), dtype: 'dtype' in t ? t.dtype : undefined })),
        { arch: text },
      );
      expect(decodeModel(plain, 'm', backend).info.geometry, text).toEqual(geometry);
      expect(decodeModel(plain, 'm', backend, { arch: text }).info.geometry, `${text} with an --arch that agrees`).toEqual(geometry);
    }
  });
});

/** The layers' names and their indices in the spec (the Sequential's indices), as spec.ts plans them. */
function planLayers(text: string, geometry: NetworkGeometry): Array<{ name: string; index: number }> {
  return createNetwork(backend, text, geometry).plan!.layers.map((l) => ({ name: l.name, index: l.index }));
}

function decodeSafetensorsOf(bytes: Uint8Array): Array<{ name: string } & Tensor> {
  const header = rawHeader(bytes);
  const dataStart = 8 + Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return Object.entries(header)
    .filter(([name]) => name !== '__metadata__')
    .map(([name, entry]) => {
      const [begin, end] = entry.data_offsets;
      const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, end - begin);
      const data = entry.dtype === 'I64' ? Float32Array.from({ length: (end - begin) / 8 }, (_, k) => Number(view.getBigInt64(8 * k, true))) : Float32Array.from({ length: (end - begin) / 4 }, (_, k) => view.getFloat32(4 * k, true));
      return { name, shape: entry.shape, data, dtype: entry.dtype as Tensor['dtype'] };
    });
}
