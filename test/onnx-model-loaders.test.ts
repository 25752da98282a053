/**
 * The three ways a model file becomes a network with the ONNX reader at hand (src/onnx/): decodeAnyModel (bytes,
 * synchronously: the library's `'xcnn/onnx'`), decodeModelBytes (bytes, loading the ONNX reader only for ONNX:
 * every command and loadClassifier) and loadModel (a path: the package's `'xcnn'`). Each takes an ONNX file and a
 * safetensors one, tells them apart by their bytes whatever the name, passes the load options on, and gives the
 * network the file was written from (logits bit for bit); a bad file gets its own reader's one-line refusal, a bad
 * argument a message that names the function and the argument.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { encodeModel, type LoadedModel, type ModelInfo, type ModelLoadOptions } from '../src/model/model-file.js';
import { loadModel as loadSafetensorsModel, shippedModelPath } from '../src/model/model-io.js';
import type { Network } from '../src/model/network.js';
import type { Backend } from '../src/backend/backend.js';
import { decodeAnyModel } from '../src/onnx/any-model.js';
import { loadModel } from '../src/onnx/load-model.js';
import { decodeModelBytes } from '../src/onnx/model-bytes.js';
import { encodeOnnxModel } from '../src/onnx/onnx-export.js';
import { LENET_GEOMETRY, LENET_SPEC, seededNetwork } from './fixtures/any-networks.js';
import { graphBytes, int, node, randomInput, weights } from './fixtures/onnx-graphs.js';
import { errorOf, refusal } from './errors.js';

const backend = new ReferenceBackend();
const info: ModelInfo = { geometry: LENET_GEOMETRY, dataset: 'loaders', classNames: ['a', 'b', 'c'] };
const network = seededNetwork(backend, LENET_SPEC, LENET_GEOMETRY, 5);
const onnx = encodeOnnxModel(network, info);
const safetensors = encodeModel(network, info);

function logitsOf(net: Network, input: Float32Array, batch: number): number[] {
  const buffer = backend.allocFloats(input.length);
  buffer.set(input);
  return Array.from(net.forward(buffer, batch));
}

/** The loaded model is `network` again: its spec, its class names and dataset, its logits bit for bit. */
function expectSameModel(loaded: LoadedModel): void {
  expect(loaded.network.spec).toBe(network.spec);
  expect([loaded.info.dataset, loaded.info.classNames]).toEqual(['loaders', ['a', 'b', 'c']]);
  const input = randomInput(2 * 12 * 12, 3);
  expect(logitsOf(loaded.network, input, 2)).toEqual(logitsOf(network, input, 2));
}

/** A GlobalAveragePool graph whose input has a free height and width: only `options.input` gives its size. */
const freeSize = graphBytes({
  inputShape: ['N', 1, 'height', 'width'],
  nodes: [node('GlobalAveragePool', ['input'], ['gap']), node('Flatten', ['gap'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])],
  initializers: [weights('fc', [2, 1], 1)],
});
const sized: ModelLoadOptions = { input: { height: 5, width: 7 } };
const needsSize = "free.onnx: the ONNX graph's input 'input' has a free height ('height'): give the image size with --input CxHxW";

/** Not a model in either format: neither a ModelProto's first bytes nor safetensors' '{' at byte 8. */
const neither = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);

type Decode = (bytes: Uint8Array, source: string, backend: Backend, options?: ModelLoadOptions) => LoadedModel | Promise<LoadedModel>;
const DECODERS: Array<[string, Decode]> = [
  ['decodeAnyModel', decodeAnyModel],
  ['decodeModelBytes', decodeModelBytes],
];

async function refusalOf(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return (error as Error).message;
  }
  return 'accepted';
}

describe.each(DECODERS)('%s', (_, decode) => {
  it('reads an ONNX file and a safetensors file as the network they were written from, by their bytes whatever the name', async () => {
    expectSameModel(await decode(onnx, 'model.onnx', backend));
    expectSameModel(await decode(onnx, 'model.safetensors', backend));
    expectSameModel(await decode(safetensors, 'model.safetensors', backend));
    expectSameModel(await decode(safetensors, 'model.onnx', backend));
  });

  it('passes the load options on: an ONNX input of free size takes the size given', async () => {
    expect((await decode(freeSize, 'free.onnx', backend, sized)).network.inputShape).toEqual([1, 5, 7]);
    expect(await refusalOf(() => decode(freeSize, 'free.onnx', backend))).toBe(needsSize);
  });

  it("refuses bytes that are neither with the reader of the name's format, and a cut file with its own", async () => {
    // Byte 0 is a tag of field number 0 (1 >> 3); bytes 0–7 as a little-endian u64 are 0x0807060504030201.
    expect(await refusalOf(() => decode(neither, 'm.onnx', backend))).toBe('m.onnx: not a valid ONNX file: field number 0 at byte 0');
    expect(await refusalOf(() => decode(neither, 'm.safetensors', backend))).toBe('m.safetensors: not a valid safetensors file: the header claims 578437695752307201 bytes, over the 16777216-byte limit');
    expect(await refusalOf(() => decode(onnx.subarray(0, 40), 'cut', backend))).toMatch(/^cut: not a valid ONNX file: a field at byte \d+ claims \d+ bytes, but only \d+ remain in its message$/);
    expect(await refusalOf(() => decode(safetensors.subarray(0, 40), 'cut', backend))).toMatch(/^cut: not a valid safetensors file: the header claims \d+ bytes but the file has 32 after the length field$/);
  });
});

describe('decodeAnyModel', () => {
  it('names itself and the argument in a bad argument\'s message', () => {
    expect(errorOf(() => decodeAnyModel([1, 2] as never, 'm.onnx', backend)).message).toBe('decodeAnyModel: bytes must be a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…)), not Array');
    expect(errorOf(() => decodeAnyModel(onnx, 'm.onnx', {} as never)).message).toBe('decodeAnyModel: backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not Object');
    expect(errorOf(() => decodeAnyModel(safetensors, 'm.safetensors', 'reference' as never)).message).toBe('decodeAnyModel: backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not string');
  });
});

describe("loadModel ('xcnn': safetensors or ONNX from disk)", () => {
  const folder = mkdtempSync(join(tmpdir(), 'xcnn-loaders-'));
  const write = (name: string, bytes: Uint8Array): string => {
    const path = join(folder, name);
    writeFileSync(path, bytes);
    return path;
  };

  it('reads an ONNX file and a safetensors file by their bytes, whatever the name', () => {
    expectSameModel(loadModel(write('model.onnx', onnx), backend));
    expectSameModel(loadModel(write('model.safetensors', safetensors), backend));
    expectSameModel(loadModel(write('onnx.safetensors', onnx), backend));
    expectSameModel(loadModel(write('no-extension', safetensors), backend));
  });

  it('reads the shipped model as the safetensors loader does', () => {
    const shipped = loadModel(shippedModelPath(), backend);
    const expected = loadSafetensorsModel(shippedModelPath(), backend);
    expect([shipped.network.spec, shipped.info]).toEqual([expected.network.spec, expected.info]);
    const input = randomInput(2 * 28 * 28, 4);
    expect(logitsOf(shipped.network, input, 2)).toEqual(logitsOf(expected.network, input, 2));
  });

  it('refuses a missing file, a folder and a bad file in one line naming the path', () => {
    const missing = join(folder, 'missing.onnx');
    expect(refusal(() => loadModel(missing, backend))).toBe(`${missing}: cannot read the model: no such file (train one with \`xcnn train\`)`);
    const sub = join(folder, 'sub.onnx');
    mkdirSync(sub);
    expect(refusal(() => loadModel(sub, backend))).toBe(`${sub}: cannot read the model: is a directory, not a model file`);
    const bad = write('bad.onnx', neither);
    expect(refusal(() => loadModel(bad, backend))).toBe(`${bad}: not a valid ONNX file: field number 0 at byte 0`);
    expect(refusal(() => loadModel(write('free.onnx', freeSize), backend))).toBe(needsSize.replace('free.onnx', join(folder, 'free.onnx')));
  });

  it('names itself and the argument in a bad argument\'s message', () => {
    expect(errorOf(() => loadModel(7 as never, backend)).message).toBe('loadModel: path must be a string (a file path), not number');
    expect(errorOf(() => loadModel(join(folder, 'model.onnx'), null as never)).message).toBe('loadModel: backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not null');
  });
});
