/**
 * Import of ONNX models (issue 15). Graphs written here by hand in the shapes torch.onnx.export and tf2onnx
 * write them — conv with and without bias, explicit and SAME padding, batch norm with another ε, the
 * Shape → Gather → Unsqueeze → Concat → Reshape flatten, Gemm with transB either way and alpha / beta, MatMul
 * + Add, an NHWC Transpose first, Dropout, Identity, a trailing Softmax, weights in raw_data and in typed
 * fields — are run by ONNX Runtime, and xcnn's network from `decodeOnnxModel` must give its logits (≤ 1e-5).
 * xcnn's own exports come back bit for bit. What the spec cannot express is refused in one line naming the
 * node, its op type and what xcnn takes, before the network is allocated.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { decodeModel, type ModelLoadOptions } from '../src/model/model-file.js';
import { modelForPage } from '../src/serve/page-files.js';
import { decodeSafetensors } from '../src/files/safetensors.js';
import { isOnnxModel } from '../src/onnx/onnx-sniff.js';
import type { Network, NetworkGeometry } from '../src/model/network.js';
import { encodeOnnxModel } from '../src/onnx/onnx-export.js';
import { decodeOnnxFile } from '../src/onnx/onnx-file.js';
import { decodeOnnxModel, readOnnxNetwork } from '../src/onnx/onnx-import.js';
import { DATA_TYPE, type OnnxAttribute, type OnnxModel, type OnnxTensor } from '../src/onnx/onnx-schema.js';
import { floatTensorProto } from '../src/onnx/onnx-tensors.js';
import { seededNetwork } from './fixtures/any-networks.js';
import { float, graphBytes, int, int64TensorProto, ints, node, randomInput, runtimeOutput, tensorAttribute, text, weights, type GraphOptions } from './fixtures/onnx-graphs.js';
import { errorOf, refusal } from './errors.js';

const backend = new ReferenceBackend();

function logitsOf(network: Network, input: Float32Array, batch: number): Float32Array {
  const buffer = backend.allocFloats(input.length);
  buffer.set(input);
  return Float32Array.from(network.forward(buffer, batch));
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}

/** Imports `graph`, runs it and ONNX Runtime on the same batch, and checks the logits; returns the network. */
async function expectRuntimeLogits(graph: GraphOptions, runtimeInput?: (nchw: Float32Array) => Float32Array): Promise<Network> {
  const bytes = graphBytes(graph);
  const { network } = decodeOnnxModel(bytes, 'graph.onnx', backend);
  const [c, h, w] = network.inputShape;
  const batch = 2;
  const input = randomInput(batch * c * h * w, 9);
  const shape = graph.inputShape.map((d, k) => (k === 0 ? batch : (d as number)));
  const expected = await runtimeOutput(bytes, runtimeInput ? runtimeInput(input) : input, shape, graph.output ?? 'logits');
  const difference = maxAbsDifference(logitsOf(network, input, batch), expected);
  console.log(`${network.spec}: max |Δ logits| against ONNX Runtime ${difference.toExponential(1)}`);
  expect(difference).toBeLessThanOrEqual(1e-5);
  return network;
}

/** The torch.onnx.export way of writing x.view(x.size(0), -1): Shape → Gather → Unsqueeze → Concat → Reshape. */
function torchFlatten(from: string, to: string): { nodes: ReturnType<typeof node>[]; initializers: OnnxTensor[] } {
  return {
    nodes: [
      node('Shape', [from], ['shape']),
      node('Constant', [], ['zero'], [tensorAttribute('value', { dims: [], dataType: DATA_TYPE.INT64, rawData: new Uint8Array(8) })]),
      node('Gather', ['shape', 'zero'], ['batch'], [int('axis', 0)]),
      node('Unsqueeze', ['batch', 'axes0'], ['batch1']),
      node('Constant', [], ['minus1'], [tensorAttribute('value', int64TensorProto('minus1', [-1]))]),
      node('Concat', ['batch1', 'minus1'], ['target'], [int('axis', 0)]),
      node('Reshape', [from, 'target'], [to]),
    ],
    initializers: [int64TensorProto('axes0', [0])],
  };
}

describe('ONNX graphs as torch.onnx.export and tf2onnx write them, against ONNX Runtime', () => {
  it('conv (stride, padding) → batch norm (ε 10⁻³) → relu → maxpool → the folded flatten → Gemm', async () => {
    const flatten = torchFlatten('pool', 'flat');
    const network = await expectRuntimeLogits({
      inputShape: ['batch', 2, 10, 10],
      nodes: [
        node('Conv', ['input', 'conv.w', 'conv.b'], ['conv'], [ints('kernel_shape', [3, 3]), ints('strides', [2, 2]), ints('pads', [1, 1, 1, 1]), ints('dilations', [1, 1]), int('group', 1)]),
        node('BatchNormalization', ['conv', 'bn.scale', 'bn.b', 'bn.mean', 'bn.var'], ['bn'], [float('epsilon', 1e-3), float('momentum', 0.9)]),
        node('Relu', ['bn'], ['relu']),
        node('MaxPool', ['relu'], ['pool'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2])]),
        ...flatten.nodes,
        node('Gemm', ['flat', 'fc.w', 'fc.b'], ['logits'], [float('alpha', 1), float('beta', 1), int('transB', 1)]),
      ],
      initializers: [
        weights('conv.w', [4, 2, 3, 3], 1),
        weights('conv.b', [4], 2),
        weights('bn.scale', [4], 3, 0.5, 1.5),
        weights('bn.b', [4], 4),
        weights('bn.mean', [4], 5, -0.2, 0.2),
        weights('bn.var', [4], 6, 0.5, 2),
        weights('fc.w', [3, 16], 7),
        weights('fc.b', [3], 8),
        ...flatten.initializers,
      ],
    });
    expect(network.spec).toBe('conv(4,3,stride=2,pad=1) bn relu maxpool(2) flatten linear(3)');
  });

  it('an NHWC input through a Transpose, SAME padding, average and global pooling, Flatten, MatMul + Add', async () => {
    const [h, w, c] = [8, 8, 3];
    const network = await expectRuntimeLogits(
      {
        inputShape: ['N', h, w, c],
        nodes: [
          node('Transpose', ['input'], ['nchw'], [ints('perm', [0, 3, 1, 2])]),
          node('Conv', ['nchw', 'conv.w'], ['conv'], [ints('kernel_shape', [3, 3]), text('auto_pad', 'SAME_UPPER')]),
          node('Relu', ['conv'], ['relu']),
          node('AveragePool', ['relu'], ['pool'], [ints('kernel_shape', [2, 2]), ints('strides', [2, 2]), int('count_include_pad', 1)]),
          node('GlobalAveragePool', ['pool'], ['gap']),
          node('Flatten', ['gap'], ['flat'], [int('axis', 1)]),
          node('MatMul', ['flat', 'dense.w'], ['mm']),
          node('Add', ['dense.b', 'mm'], ['logits']),
        ],
        initializers: [weights('conv.w', [5, 3, 3, 3], 11), weights('dense.w', [5, 4], 12), weights('dense.b', [4], 13)],
      },
      // ONNX Runtime is fed the same images laid out [N, H, W, C].
      (nchw) => {
        const nhwc = new Float32Array(nchw.length);
        for (let n = 0; n < 2; n++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) nhwc[((n * h + y) * w + x) * c + k] = nchw[((n * c + k) * h + y) * w + x];
        return nhwc;
      },
    );
    expect(network.spec).toBe('conv(5,3,pad=1) relu avgpool(2) gap flatten linear(4)');
    expect(network.inputShape).toEqual([3, 8, 8]);
  });

  it('the Keras way (tf2onnx): NHWC in, a Transpose to NHWC before the flatten, Reshape [-1, F], MatMul + Add, Softmax', async () => {
    const [h, w, c] = [6, 6, 2];
    const bytes = graphBytes({
      inputShape: ['N', h, w, c],
      output: 'probabilities',
      nodes: [
        node('Transpose', ['input'], ['nchw'], [ints('perm', [0, 3, 1, 2])]),
        node('Conv', ['nchw', 'conv.w', 'conv.b'], ['conv'], [ints('kernel_shape', [3, 3]), ints('strides', [1, 1]), text('auto_pad', 'VALID')]),
        node('Relu', ['conv'], ['relu']),
        node('Transpose', ['relu'], ['nhwc'], [ints('perm', [0, 2, 3, 1])]),
        node('Reshape', ['nhwc', 'shape'], ['flat']),
        node('MatMul', ['flat', 'dense.w'], ['mm']),
        node('Add', ['mm', 'dense.b'], ['logits']),
        node('Softmax', ['logits'], ['probabilities'], [int('axis', -1)]),
      ],
      initializers: [weights('conv.w', [3, 2, 3, 3], 41), weights('conv.b', [3], 42), int64TensorProto('shape', [-1, 48]), weights('dense.w', [48, 4], 43), weights('dense.b', [4], 44)],
    });
    const { network } = decodeOnnxModel(bytes, 'keras.onnx', backend);
    expect(network.spec).toBe('conv(3,3) relu flatten linear(4)');
    const nchw = randomInput(2 * c * h * w, 6);
    const nhwc = new Float32Array(nchw.length);
    for (let n = 0; n < 2; n++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) nhwc[((n * h + y) * w + x) * c + k] = nchw[((n * c + k) * h + y) * w + x];
    const probabilities = await runtimeOutput(bytes, nhwc, [2, h, w, c], 'probabilities');
    const logits = logitsOf(network, nchw, 2);
    for (let n = 0; n < 2; n++) {
      const row = Array.from(logits.subarray(4 * n, 4 * n + 4));
      const total = row.reduce((sum, z) => sum + Math.exp(z), 0);
      row.forEach((z, k) => expect(probabilities[4 * n + k]).toBeCloseTo(Math.exp(z) / total, 6));
    }
  });

  it('a Transpose to NHWC before the flatten of a 3×5×3 map (H, W and C all different) and a Gemm, as ONNX Runtime computes it', async () => {
    const [h, w, c] = [5, 7, 2]; // the conv (VALID, 3×3, 3 channels out) makes [3, 3, 5]
    const network = await expectRuntimeLogits(
      {
        inputShape: ['N', h, w, c],
        nodes: [
          node('Transpose', ['input'], ['nchw'], [ints('perm', [0, 3, 1, 2])]),
          node('Conv', ['nchw', 'conv.w', 'conv.b'], ['conv'], [ints('kernel_shape', [3, 3])]),
          node('Transpose', ['conv'], ['nhwc'], [ints('perm', [0, 2, 3, 1])]),
          node('Flatten', ['nhwc'], ['flat']),
          node('Gemm', ['flat', 'fc.w', 'fc.b'], ['logits'], [int('transB', 1)]),
        ],
        initializers: [weights('conv.w', [3, 2, 3, 3], 61), weights('conv.b', [3], 62), weights('fc.w', [4, 45], 63), weights('fc.b', [4], 64)],
      },
      (nchw) => {
        const nhwc = new Float32Array(nchw.length);
        for (let n = 0; n < 2; n++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) nhwc[((n * h + y) * w + x) * c + k] = nchw[((n * c + k) * h + y) * w + x];
        return nhwc;
      },
    );
    expect(network.spec).toBe('conv(3,3) flatten linear(4)');
    expect(network.inputShape).toEqual([2, 5, 7]);
  });

  it('Gemm with transB 0, alpha and beta, and without a bias; weights in float_data; Identity and Dropout', async () => {
    const asFloatData = (t: OnnxTensor): OnnxTensor => ({ name: t.name, dims: t.dims, dataType: DATA_TYPE.FLOAT, floatData: [t.rawData!] });
    const network = await expectRuntimeLogits(
      {
        inputShape: ['N', 1, 4, 4],
        opset: 13,
        nodes: [
          node('Flatten', ['input'], ['flat']),
          node('Gemm', ['flat', 'fc1.w', 'fc1.b'], ['fc1'], [float('alpha', 0.5), float('beta', 2)]),
          node('Relu', ['fc1'], ['relu']),
          node('Dropout', ['relu', 'ratio'], ['dropped']),
          node('Identity', ['dropped'], ['same']),
          node('Gemm', ['same', 'fc2.w'], ['logits'], [int('transB', 1)]),
        ],
        initializers: [asFloatData(weights('fc1.w', [16, 6], 21)), weights('fc1.b', [6], 22), weights('fc2.w', [3, 6], 23), { ...weights('ratio', [], 0), rawData: new Uint8Array(Float32Array.of(0.25).buffer) }],
      },
    );
    expect(network.spec).toBe('flatten linear(6) relu dropout(0.25) linear(3)');
  });

  it("Dropout's training_mode false as ONNX stores a BOOL in int32_data, an initializer or a Constant; ONNX Runtime reads 1 there as true", async () => {
    // int32_data is TensorProto field 5, a packed run of varints: [0] is false, [1] true. The Dropout is last, where
    // ONNX Runtime's optimiser cannot take it out, so ONNX Runtime itself reads the flag.
    const bool = (name: string, varint: number): OnnxTensor => ({ name, dims: [], dataType: DATA_TYPE.BOOL, int32Data: [Uint8Array.of(varint)] });
    const graph = (flag: number, from: 'initializer' | 'Constant'): GraphOptions => ({
      inputShape: ['N', 1, 4, 4],
      nodes: [
        node('Flatten', ['input'], ['flat']),
        node('Gemm', ['flat', 'fc.w', 'fc.b'], ['fc'], [int('transB', 1)]),
        ...(from === 'Constant' ? [node('Constant', [], ['flag'], [tensorAttribute('value', bool('', flag))])] : []),
        node('Dropout', ['fc', 'ratio', 'flag'], ['logits']),
      ],
      initializers: [weights('fc.w', [6, 16], 24), weights('fc.b', [6], 25, 0.5, 1), floatTensorProto('ratio', [], [0.5]), ...(from === 'initializer' ? [bool('flag', flag)] : [])],
    });
    const input = randomInput(2 * 16, 9);
    for (const from of ['initializer', 'Constant'] as const) {
      const network = await expectRuntimeLogits(graph(0, from));
      expect(network.spec).toBe('flatten linear(6) dropout(0.5)');
      // The same bytes with 1: ONNX Runtime drops units (and doubles the rest), so its logits leave the evaluation's; xcnn refuses.
      const training = graphBytes(graph(1, from));
      expect(maxAbsDifference(await runtimeOutput(training, input, [2, 1, 4, 4]), logitsOf(network, input, 2))).toBeGreaterThan(0.1);
      expect(refusal(() => decodeOnnxModel(training, 'graph.onnx', backend))).toBe("graph.onnx: node 'logits' (Dropout): its training_mode is not a constant false: xcnn reads networks in evaluation form");
    }
  });

  it('drops a trailing Softmax: the network gives the logits whose softmax ONNX Runtime gives', async () => {
    const bytes = graphBytes({
      inputShape: ['N', 1, 3, 3],
      output: 'probabilities',
      nodes: [node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'w', 'b'], ['logits'], [int('transB', 1)]), node('Softmax', ['logits'], ['probabilities'], [int('axis', -1)])],
      initializers: [weights('w', [4, 9], 31), weights('b', [4], 32)],
    });
    const { network } = decodeOnnxModel(bytes, 'softmax.onnx', backend);
    const input = randomInput(9, 3);
    const logits = logitsOf(network, input, 1);
    const probabilities = await runtimeOutput(bytes, input, [1, 1, 3, 3], 'probabilities');
    const largest = Math.max(...logits);
    const total = logits.reduce((sum, z) => sum + Math.exp(z - largest), 0);
    logits.forEach((z, c) => expect(probabilities[c]).toBeCloseTo(Math.exp(z - largest) / total, 6));
  });

  it('reads FLOAT16 and DOUBLE weights as float32 (values exact in half precision give the same logits)', () => {
    const values = Float32Array.from({ length: 8 * 2 }, (_, k) => (k - 7) / 16);
    const graph = (w: OnnxTensor) =>
      graphBytes({ inputShape: ['N', 2, 2, 2], nodes: [node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'w'], ['logits'], [int('transB', 1)])], initializers: [w] });
    const half = new DataView(new ArrayBuffer(2 * values.length));
    // (k − 7)/16 in IEEE half precision, written by hand: sign, exponent 15 + e, 10-bit fraction.
    values.forEach((v, k) => {
      if (v === 0) return half.setUint16(2 * k, 0, true);
      const e = Math.floor(Math.log2(Math.abs(v)));
      half.setUint16(2 * k, (v < 0 ? 0x8000 : 0) | ((e + 15) << 10) | Math.round((Math.abs(v) / 2 ** e - 1) * 1024), true);
    });
    const double = new DataView(new ArrayBuffer(8 * values.length));
    values.forEach((v, k) => double.setFloat64(8 * k, v, true));
    const input = randomInput(8, 4);
    const reference = logitsOf(decodeOnnxModel(graph(weights('w', [2, 8], 0)), 'f', backend).network, input, 1); // shape only
    expect(reference).toHaveLength(2);
    const asFloat = logitsOf(decodeOnnxModel(graph({ name: 'w', dims: [2, 8], dataType: DATA_TYPE.FLOAT, rawData: new Uint8Array(values.buffer) }), 'f', backend).network, input, 1);
    for (const [type, raw] of [[DATA_TYPE.FLOAT16, half], [DATA_TYPE.DOUBLE, double]] as const) {
      const network = decodeOnnxModel(graph({ name: 'w', dims: [2, 8], dataType: type, rawData: new Uint8Array(raw.buffer) }), 'f', backend).network;
      expect(Array.from(logitsOf(network, input, 1)), `data type ${type}`).toEqual(Array.from(asFloat));
    }
  });
});

describe('class names', () => {
  // xcnn's exports imported back, every preset bit for bit: test/onnx-round-trip.test.ts.
  it('names the classes 0 … K−1 when the file has no class_names', () => {
    const bytes = graphBytes({ inputShape: ['N', 1, 2, 2], nodes: [node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'w'], ['logits'], [int('transB', 1)])], initializers: [weights('w', [3, 4], 1)] });
    expect(decodeOnnxModel(bytes, 'm.onnx', backend).info.classNames).toEqual(['0', '1', '2']);
  });
});

describe('decodeOnnxModel: the info beside the network', () => {
  const withMetadata = (metadata: Record<string, string>) =>
    graphBytes({ inputShape: ['N', 1, 2, 2], nodes: [node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'w'], ['logits'], [int('transB', 1)])], initializers: [weights('w', [2, 4], 1)], metadata });

  it('reads class_names, says the dataset is onnx unless the file names one, and takes the geometry from the graph', () => {
    const plain = decodeOnnxModel(withMetadata({}), 'm.onnx', backend).info;
    expect([plain.dataset, plain.classNames, plain.geometry]).toEqual(['onnx', ['0', '1'], { channels: 1, height: 2, width: 2, classes: 2 }]);
    // An xcnn export names its dataset and classes; a geometry in the metadata is not the graph's word, so it is not read.
    const named = decodeOnnxModel(withMetadata({ dataset: 'shapes', class_names: '["cat","dog"]', geometry: '{"channels":3,"height":9,"width":9,"classes":5}' }), 'm.onnx', backend).info;
    expect([named.dataset, named.classNames, named.geometry]).toEqual(['shapes', ['cat', 'dog'], { channels: 1, height: 2, width: 2, classes: 2 }]);
  });

  it('refuses class_names of another count, naming the file', () => {
    const error = errorOf(() => decodeOnnxModel(withMetadata({ class_names: '["a","b","c"]' }), 'm.onnx', backend));
    expect([error.message, error.code]).toEqual(["m.onnx: metadata 'class_names' must be a list of 2 strings", 'ERR_BAD_MODEL']);
  });

  it('checks its arguments: bytes, then a backend', () => {
    expect(errorOf(() => decodeOnnxModel('model.onnx' as never, 'm.onnx', backend)).message).toBe('decodeOnnxModel: bytes must be a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…)), not string');
    expect(errorOf(() => decodeOnnxModel(withMetadata({}), 'm.onnx', {} as never)).message).toBe('decodeOnnxModel: backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not Object');
  });

  it('readOnnxNetwork checks its arguments: a decoded model, a source name, options', () => {
    const m = decodeOnnxFile(withMetadata({}), 'm.onnx');
    expect(errorOf(() => readOnnxNetwork(null as never, 'm.onnx')).message).toBe('readOnnxNetwork: model must be an object (a decoded ONNX ModelProto: its graph and opset), not null');
    expect(errorOf(() => readOnnxNetwork(m, 42 as never)).message).toBe('readOnnxNetwork: source must be a string (the file name, for messages), not number');
    expect(errorOf(() => readOnnxNetwork(m, 'm.onnx', 'fast' as never)).message).toBe('readOnnxNetwork: options must be an object (its options), not string');
  });

  it('gives back the network\'s memory when the info is refused after the network is made', () => {
    // A backend that counts what it hands out and what comes back: every array of the refused network is freed.
    const counting = new ReferenceBackend();
    let [allocated, freed] = [0, 0];
    const [allocFloats, allocInts, free] = [counting.allocFloats.bind(counting), counting.allocInts.bind(counting), counting.free.bind(counting)];
    counting.allocFloats = (length) => (allocated++, allocFloats(length));
    counting.allocInts = (length) => (allocated++, allocInts(length));
    counting.free = (array) => (freed++, free(array));
    expect(errorOf(() => decodeOnnxModel(withMetadata({ class_names: '["a","b","c"]' }), 'm.onnx', counting)).message).toBe("m.onnx: metadata 'class_names' must be a list of 2 strings");
    expect(allocated).toBeGreaterThan(0);
    expect(freed).toBe(allocated);
  });
});

describe('ONNX graphs xcnn cannot express, refused in one line', () => {
  const base = (nodes: ReturnType<typeof node>[], initializers: OnnxTensor[] = [], inputShape: Array<number | string> = ['N', 1, 6, 6]) => graphBytes({ inputShape, nodes, initializers });
  const conv = (attributes: ReturnType<typeof ints>[], weight = weights('w', [2, 1, 3, 3], 1)) =>
    base([node('Conv', ['input', 'w'], ['conv'], attributes, 'conv_0'), node('Flatten', ['conv'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weight, weights('fc', [3, 32], 2)]);
  const cases: Array<[string, Uint8Array, string]> = [
    [
      'unsupported op types, all of them named, with the first node',
      base([node('Sigmoid', ['input'], ['s'], [], 'act_1'), node('LeakyRelu', ['s'], ['l'], [], 'act_2'), node('Sigmoid', ['l'], ['logits'], [], 'act_3')]),
      "m.onnx: the ONNX graph uses Sigmoid, LeakyRelu, which xcnn's layers cannot express (first: node 'act_1' (Sigmoid)); it reads Conv, Relu, MaxPool, AveragePool, GlobalAveragePool, BatchNormalization, Flatten, Reshape, Gemm, MatMul, Add, Dropout, Identity, Pad, Softmax, Transpose and the shape arithmetic before a Reshape",
    ],
    ['a grouped convolution', conv([int('group', 2)], weights('w', [2, 1, 3, 3], 1)), "m.onnx: node 'conv_0' (Conv): group 2: xcnn's conv is a full convolution (group 1), not a grouped or depthwise one"],
    ['asymmetric padding', conv([ints('pads', [0, 0, 1, 1])]), "m.onnx: node 'conv_0' (Conv): pads [0, 0, 1, 1] (top, left, bottom, right): xcnn pads all four sides alike"],
    ['a dilated convolution', conv([ints('dilations', [2, 2])]), "m.onnx: node 'conv_0' (Conv): dilations [2, 2]: xcnn takes dilation 1"],
    ['different strides on the two axes', conv([ints('strides', [1, 2])]), "m.onnx: node 'conv_0' (Conv): strides [1, 2]: xcnn takes the same stride on both axes"],
    [
      'pool padding',
      base([node('MaxPool', ['input'], ['pool'], [ints('kernel_shape', [2, 2]), ints('pads', [1, 1, 1, 1])], 'pool_0'), node('Flatten', ['pool'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 49], 1)]),
      "m.onnx: node 'pool_0' (MaxPool): pool padding (pads [1, 1, 1, 1], auto_pad NOTSET): xcnn pools without padding (put the padding on the convolution before it)",
    ],
    [
      'a skip connection',
      base([node('Relu', ['input'], ['a'], [], 'relu_0'), node('Relu', ['a'], ['b'], [], 'relu_1'), node('Add', ['a', 'b'], ['sum'], [], 'add_0'), node('Flatten', ['sum'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1)]),
      "m.onnx: node 'add_0' (Add): it adds two computed values ('a' and 'b'), a skip connection: xcnn runs a chain of layers",
    ],
    [
      'a Transpose that is not the first node',
      base([node('Relu', ['input'], ['a']), node('Transpose', ['a'], ['t'], [ints('perm', [0, 1, 3, 2])], 'transpose_0'), node('Flatten', ['t'], ['logits'])]),
      "m.onnx: node 'transpose_0' (Transpose) with perm [0, 1, 3, 2]: xcnn takes a Transpose only first, from NHWC to NCHW (perm [0, 3, 1, 2]), or to NHWC (perm [0, 2, 3, 1]) right before a Flatten and a linear layer",
    ],
    [
      'a Transpose to NHWC that no linear layer follows',
      base([node('Relu', ['input'], ['a']), node('Transpose', ['a'], ['t'], [ints('perm', [0, 2, 3, 1])], 'transpose_0'), node('Flatten', ['t'], ['logits'])]),
      "m.onnx: node 'transpose_0' (Transpose): a Transpose to NHWC that no linear layer follows: xcnn takes it only right before a Flatten and a Gemm or MatMul",
    ],
    [
      'a Transpose to NHWC followed by a layer other than a flatten',
      base([node('Relu', ['input'], ['a']), node('Transpose', ['a'], ['t'], [ints('perm', [0, 2, 3, 1])], 'transpose_0'), node('Relu', ['t'], ['r'], [], 'relu_0'), node('Flatten', ['r'], ['logits'])]),
      "m.onnx: node 'relu_0' (Relu) after the Transpose to NHWC node 'transpose_0' (Transpose): xcnn takes that Transpose only right before a Flatten and a linear layer (Gemm or MatMul)",
    ],
    [
      'a reshape that is not a flatten',
      base([node('Reshape', ['input', 'shape'], ['r'], [], 'reshape_0'), node('Flatten', ['r'], ['logits'])], [int64TensorProto('shape', [-1, 6, 6])]),
      "m.onnx: node 'reshape_0' (Reshape): a reshape to [-1, 6, 6] of [N, 1, 6, 6]: xcnn takes a Reshape only as a flatten, to [N, -1]",
    ],
    [
      'weights in an external file',
      base([node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [{ name: 'fc', dims: [2, 36], dataType: DATA_TYPE.FLOAT, dataLocation: 1, externalData: [{ key: 'location', value: 'weights.bin' }] }]),
      "m.onnx: tensor 'fc' (fc1.weight): its data is in an external file (external_data): save the model with its weights inside it",
    ],
    [
      'weights that are not floats',
      base([node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [{ name: 'fc', dims: [2, 36], dataType: DATA_TYPE.INT8, rawData: new Uint8Array(72) }]),
      "m.onnx: tensor 'fc' (fc1.weight): its data type is INT8, not a float type (FLOAT, DOUBLE, FLOAT16 or BFLOAT16)",
    ],
    [
      'dims that promise more than the file holds',
      base([node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [{ name: 'fc', dims: [2, 36], dataType: DATA_TYPE.FLOAT, rawData: new Uint8Array(8) }]),
      "m.onnx: tensor 'fc' (fc1.weight): its dims [2, 36] give 72 FLOAT elements (288 bytes), but it holds 8 bytes",
    ],
  ];

  it.each(cases)('%s', (_, bytes, message) => {
    const error = errorOf(() => decodeOnnxModel(bytes, 'm.onnx', backend));
    expect(error).toBeInstanceOf(XcnnError);
    expect((error as XcnnError).code).toBe('ERR_BAD_MODEL');
    expect(error.message).toBe(message);
  });

  it('asks for the image size of a graph whose height and width are free, and takes it from the input option', () => {
    const bytes = base([node('Conv', ['input', 'w'], ['conv']), node('GlobalAveragePool', ['conv'], ['gap']), node('Flatten', ['gap'], ['logits'])], [weights('w', [3, 1, 3, 3], 1)], ['N', 1, 'height', 'width']);
    const error = errorOf(() => decodeOnnxModel(bytes, 'm.onnx', backend)) as XcnnError;
    expect([error.message, error.exitCode]).toEqual(["m.onnx: the ONNX graph's input 'input' has a free height ('height'): give the image size with --input CxHxW", 2]);
    expect(decodeOnnxModel(bytes, 'm.onnx', backend, { input: { height: 9, width: 7 } }).network.inputShape).toEqual([1, 9, 7]);
  });

  it('refuses an --arch that is not the graph\'s network, and takes one that is', () => {
    const bytes = base([node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1)]);
    const refused = errorOf(() => decodeOnnxModel(bytes, 'm.onnx', backend, { arch: 'flatten linear(2) relu' })) as XcnnError;
    expect([refused.message, refused.exitCode]).toEqual(['m.onnx: the ONNX graph is the network flatten linear(2), but --arch says flatten linear(2) relu: leave --arch out for an ONNX file', 2]);
    expect(decodeOnnxModel(bytes, 'm.onnx', backend, { arch: 'flatten linear(2)' }).network.spec).toBe('flatten linear(2)');
  });
});

describe('the model-loading step: ONNX or safetensors', () => {
  const geometry: NetworkGeometry = { channels: 1, height: 8, width: 8, classes: 3 };
  const network = seededNetwork(backend, 'conv(2,3) relu flatten linear(3)', geometry, 2);
  const onnx = encodeOnnxModel(network, { geometry, dataset: 'd', classNames: ['a', 'b', 'c'] });

  it('tells the formats apart by their bytes first, then by the name', () => {
    expect(isOnnxModel(onnx, 'model.safetensors')).toBe(true);
    expect(isOnnxModel(onnx, 'model')).toBe(true);
    const safetensors = modelForPage(onnx, 'm.onnx', {}, decodeOnnxModel);
    expect(isOnnxModel(safetensors, 'model.onnx')).toBe(false);
    expect(isOnnxModel(new TextEncoder().encode('hello, world'), 'junk.onnx')).toBe(true); // refused as ONNX, the format meant
    expect(isOnnxModel(new TextEncoder().encode('hello, world'), 'junk.safetensors')).toBe(false);
  });

  it("the browser-safe core refuses an ONNX file in one line that says where it is read", () => {
    expect(errorOf(() => decodeModel(onnx, 'net.onnx', backend)).message).toBe(
      "net.onnx: an ONNX model: the core ('xcnn/core') reads safetensors; read ONNX with 'xcnn' in Node or decodeOnnxModel from 'xcnn/onnx', or convert it with xcnn export --format safetensors",
    );
  });

  it('sends the page an ONNX model as safetensors (the page reads only that), with its spec and class names', () => {
    const sent = modelForPage(onnx, 'm.onnx', {}, decodeOnnxModel);
    const file = decodeSafetensors(sent, 'sent');
    expect(file.metadata.arch).toBe('conv(2,3) relu flatten linear(3)');
    expect(JSON.parse(file.metadata.class_names)).toEqual(['a', 'b', 'c']);
    const input = randomInput(64, 2);
    expect(Array.from(logitsOf(decodeModel(sent, 'sent', backend).network, input, 1))).toEqual(Array.from(logitsOf(network, input, 1)));
  });
});

/**
 * Each check of the mapping, on the smallest graph that reaches it: the message it must give (the node, its op
 * type, the numbers worked out by hand here), and the spec of what it takes. The graphs are made as files
 * (graphBytes) and decoded, or the decoded model changed where a file could not say it.
 */
describe('the mapping, check by check', () => {
  type Nodes = ReturnType<typeof node>[];
  /** Flatten and a Gemm to `classes` logits from `from`, with `features` inputs. */
  const head = (from: string, features: number, classes = 2): { nodes: Nodes; initializers: OnnxTensor[] } => ({
    nodes: [node('Flatten', [from], ['flat'], [], 'flatten_0'), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)], 'gemm_0')],
    initializers: [weights('fc', [classes, features], 2)],
  });
  const model = (nodes: Nodes, initializers: OnnxTensor[] = [], inputShape: Array<number | string> = ['N', 1, 6, 6], extra: Partial<GraphOptions> = {}): OnnxModel =>
    decodeOnnxFile(graphBytes({ nodes, initializers, inputShape, ...extra }), 'm.onnx');
  /** `first` nodes on the 1×6×6 input, then the head from `last` with `features` inputs. */
  const chain = (first: Nodes, last: string, features: number, initializers: OnnxTensor[] = [], extra: Partial<GraphOptions> = {}): OnnxModel => {
    const h = head(last, features);
    return model([...first, ...h.nodes], [...initializers, ...h.initializers], ['N', 1, 6, 6], extra);
  };
  const specOf = (m: OnnxModel, options: ModelLoadOptions = {}) => readOnnxNetwork(m, 'm.onnx', options).spec;
  const refusalOf = (m: OnnxModel, options: ModelLoadOptions = {}) => refusal(() => readOnnxNetwork(m, 'm.onnx', options));
  /** What `run` gives, or the message of its refusal. */
  const outcome = (run: () => string): string => {
    let value = '';
    const refused = refusal(() => (value = run()));
    return refused === 'accepted' ? value : refused;
  };
  const conv = (attributes: OnnxAttribute[], inputs = ['input', 'w'], name = 'conv_0') => node('Conv', inputs, ['conv'], attributes, name);
  const w3 = weights('w', [2, 1, 3, 3], 1);

  describe('the graph and its input', () => {
    it('refuses a file without nodes, or without a default-domain opset', () => {
      expect(refusal(() => readOnnxNetwork({ irVersion: 7 }, 'm.onnx'))).toBe('m.onnx: the ONNX file has no graph (no nodes): not a model');
      expect(refusalOf(model([]))).toBe('m.onnx: the ONNX file has no graph (no nodes): not a model');
      const m = chain([], 'input', 36);
      const opset = 'm.onnx: the ONNX file imports no version of the default operator set (opset_import): not a model';
      expect(refusalOf({ ...m, opsetImport: [] })).toBe(opset);
      expect(refusalOf({ ...m, opsetImport: [{ domain: 'com.microsoft', version: 1 }] })).toBe(opset);
      expect(refusalOf({ ...m, opsetImport: [{ domain: '', version: 0 }] })).toBe(opset);
      expect(refusalOf({ ...m, opsetImport: undefined })).toBe(opset);
      expect(specOf({ ...m, opsetImport: [{ domain: '', version: 1 }] })).toBe('flatten linear(2)'); // the first opset
      expect(specOf({ ...m, opsetImport: [{ domain: 'com.microsoft', version: 1 }, { domain: 'ai.onnx', version: 13 }] })).toBe('flatten linear(2)');
    });

    it('names an op type of another domain with its domain, and an op without a type', () => {
      const m = chain([{ ...node('Relu', ['input'], ['r'], [], 'custom_0'), domain: 'com.example' }], 'r', 36);
      expect(refusalOf(m)).toMatch(/^m\.onnx: the ONNX graph uses com\.example\.Relu, which xcnn's layers cannot express \(first: node 'custom_0' \(Relu\)\); it reads Conv, /);
      expect(specOf(chain([{ ...node('Relu', ['input'], ['r']), domain: 'ai.onnx' }], 'r', 36))).toBe('relu flatten linear(2)');
      // An op of the default domain named 'ai.onnx' is named without it.
      expect(refusalOf(chain([{ ...node('Sigmoid', ['input'], ['r'], [], 'sigmoid_0'), domain: 'ai.onnx' }], 'r', 36))).toMatch(/^m\.onnx: the ONNX graph uses Sigmoid, which xcnn's layers cannot express \(first: node 'sigmoid_0' \(Sigmoid\)\)/);
      const untyped = chain([{ input: ['input'], output: ['r'] }], 'r', 36);
      expect(refusalOf(untyped)).toMatch(/^m\.onnx: the ONNX graph uses \(no op_type\), which xcnn's layers cannot express \(first: node 'r' \(undefined\)\)/);
      const nameless = chain([{ input: ['input'], opType: 'Sigmoid' }], 'r', 36);
      expect(refusalOf(nameless)).toMatch(/\(first: node '\?' \(Sigmoid\)\)/);
    });

    it('takes exactly one input besides the initializers, float32, of four dimensions', () => {
      const m = chain([], 'input', 36);
      const input = m.graph!.input![0];
      expect(specOf({ ...m, graph: { ...m.graph, input: [input, { name: 'fc' }] } })).toBe('flatten linear(2)'); // an initializer listed as an input
      expect(refusalOf({ ...m, graph: { ...m.graph, input: [input, { name: 'mask' }] } })).toBe("m.onnx: the ONNX graph has 2 inputs (input, mask); xcnn's networks take one image batch");
      expect(refusalOf({ ...m, graph: { ...m.graph, input: [] } })).toBe("m.onnx: the ONNX graph has 0 inputs (none); xcnn's networks take one image batch");
      expect(refusalOf(model(head('input', 36).nodes, head('input', 36).initializers, ['N', 1, 6, 6]).graph ? { ...m, graph: { ...m.graph, input: [{ ...input, type: { tensorType: { ...input.type!.tensorType, elemType: DATA_TYPE.DOUBLE } } }] } } : m)).toBe(
        "m.onnx: the ONNX graph's input 'input' is DOUBLE, not FLOAT: xcnn feeds float32 images",
      );
      expect(refusalOf({ ...m, graph: { ...m.graph, input: [{ name: 'input' }] } })).toBe("m.onnx: the ONNX graph's input 'input' is UNDEFINED, not FLOAT: xcnn feeds float32 images");
      expect(refusalOf(model(head('input', 36).nodes, head('input', 36).initializers, ['N', 36, 1]))).toBe("m.onnx: the ONNX graph's input 'input' has shape [N, 36, 1]; xcnn takes images [N, C, H, W]");
      const unnamed = { ...m, graph: { ...m.graph, input: [{ ...input, type: { tensorType: { elemType: DATA_TYPE.FLOAT, shape: { dim: [{ dimParam: 'N' }, {}, { dimValue: 6 }] } } } }] } };
      expect(refusalOf(unnamed)).toBe("m.onnx: the ONNX graph's input 'input' has shape [N, ?, 6]; xcnn takes images [N, C, H, W]");
    });

    it('reads an input without a type, or without a shape, as what it lacks; a graph without inputs has none', () => {
      const m = chain([], 'input', 36);
      const withInput = (input: NonNullable<NonNullable<OnnxModel['graph']>['input']>[number]) => refusalOf({ ...m, graph: { ...m.graph, input: [input] } });
      expect(withInput({ name: 'input', type: {} })).toBe("m.onnx: the ONNX graph's input 'input' is UNDEFINED, not FLOAT: xcnn feeds float32 images");
      expect(withInput({ name: 'input', type: { tensorType: { elemType: DATA_TYPE.FLOAT } } })).toBe("m.onnx: the ONNX graph's input 'input' has shape []; xcnn takes images [N, C, H, W]");
      expect(refusalOf({ ...m, graph: { ...m.graph, input: undefined } })).toBe("m.onnx: the ONNX graph has 0 inputs (none); xcnn's networks take one image batch");
    });

    it("counts an input named '' as an input, even beside an initializer named '' (which no node can name)", () => {
      const m = chain([], 'input', 36);
      const unnamed = { ...m, graph: { ...m.graph, input: [{ ...m.graph!.input![0], name: '' }], initializer: [...m.graph!.initializer!, floatTensorProto('', [1], [0])] } };
      expect(refusalOf(unnamed)).toBe("m.onnx: the ONNX graph's input has no name (''): the nodes cannot refer to it; name it (torch.onnx.export's input_names)");
    });

    it('takes a node\'s data only as its first input (an Add\'s either), and a Dropout\'s ratio only as a constant', () => {
      const swapped = model([node('Flatten', ['input'], ['flat']), node('Gemm', ['fc', 'flat'], ['logits'], [int('transB', 1)], 'gemm_0')], [weights('fc', [2, 36], 1)]);
      expect(refusalOf(swapped)).toBe("m.onnx: node 'gemm_0' (Gemm) takes 'fc', which is not the value the node before it made ('flat'): xcnn runs a chain of layers (no branches or skip connections)");
      expect(refusalOf(chain([node('Dropout', ['input', 'r'], ['d'], [], 'dropout_0')], 'd', 36))).toBe("m.onnx: node 'dropout_0' (Dropout): its ratio 'r' is not a constant (an initializer): xcnn reads weights stored in the file");
    });

    it('takes --input sizes that agree with the graph, and refuses one that does not as a usage error', () => {
      const m = chain([], 'input', 36);
      expect(readOnnxNetwork(m, 'm.onnx', { input: { channels: 1, height: 6, width: 6 } }).geometry).toEqual({ channels: 1, height: 6, width: 6, classes: 2 });
      const error = errorOf(() => readOnnxNetwork(m, 'm.onnx', { input: { channels: 3 } }));
      expect([error.message, error.exitCode]).toEqual(["m.onnx: the input is given as channels 3, but the ONNX graph's input 'input' has 1: leave --input out", 2]);
      expect(errorOf(() => readOnnxNetwork(m, 'm.onnx', { input: { width: 5 } })).message).toBe("m.onnx: the input is given as width 5, but the ONNX graph's input 'input' has 6: leave --input out");
      const free = model(head('input', 36).nodes, head('input', 36).initializers, ['N', 'C', 6, 6]);
      const asked = errorOf(() => readOnnxNetwork(free, 'm.onnx'));
      expect([asked.message, asked.exitCode, asked.code]).toEqual(["m.onnx: the ONNX graph's input 'input' has a free channels ('C'): give the image size with --input CxHxW", 2, 'ERR_BAD_ARGUMENT']);
    });

    it('takes one output, the last node\'s, and a chain that ends in one logit per class', () => {
      const m = chain([], 'input', 36);
      const other = (output: NonNullable<OnnxModel['graph']>['output']) => refusalOf({ ...m, graph: { ...m.graph, output } });
      expect(other([{ name: 'flat' }])).toBe("m.onnx: the ONNX graph's outputs are 'flat', but its chain of layers ends in 'logits': xcnn takes one output, the last node's");
      expect(other([{ name: 'logits' }, { name: 'flat' }])).toBe("m.onnx: the ONNX graph's outputs are 'logits', 'flat', but its chain of layers ends in 'logits': xcnn takes one output, the last node's");
      expect(other([])).toBe("m.onnx: the ONNX graph's outputs are none, but its chain of layers ends in 'logits': xcnn takes one output, the last node's");
      expect(other(undefined)).toBe("m.onnx: the ONNX graph's outputs are none, but its chain of layers ends in 'logits': xcnn takes one output, the last node's");
      expect(refusalOf(model([node('Identity', ['input'], ['logits'])]))).toBe('m.onnx: the ONNX graph has no layers xcnn runs');
      expect(refusalOf(model([node('Relu', ['input'], ['logits'])]))).toBe("m.onnx: the ONNX graph ends in [N, 1, 6, 6]; xcnn's networks end in one logit per class, [N, classes] (end with a Flatten and a Gemm)");
    });

    it('refuses a layer that cannot take its input, and a network the spec cannot build, naming the network', () => {
      const pool = model([node('MaxPool', ['input'], ['pool'], [ints('kernel_shape', [3, 3])], 'pool_0'), ...head('pool', 1).nodes], head('pool', 1).initializers, ['N', 1, 2, 2]);
      expect(refusalOf(pool)).toBe("m.onnx: node 'pool_0' (MaxPool) cannot take its input [1, 2, 2]: its 3×3 window is larger than its 2×2 input");
      // 4,097 pixels wide: each layer takes it, but xcnn's geometry stops at 4,096.
      const wide = model(head('input', 4097).nodes, head('input', 4097).initializers, ['N', 1, 1, 4097]);
      expect(refusalOf(wide)).toBe('m.onnx: the ONNX graph is the network flatten linear(2), which xcnn cannot build: the input geometry has a bad width: 4097 (a whole number from 1 to 4096)');
    });

    it('shows a dimension beyond 2^53 as ?, and keeps a metadata entry without a value as empty', () => {
      const m = chain([], 'input', 36, [], { metadata: { note: '' } });
      const input = m.graph!.input![0];
      const huge = { ...m, graph: { ...m.graph, input: [{ ...input, type: { tensorType: { elemType: DATA_TYPE.FLOAT, shape: { dim: [{ dimParam: 'N' }, { dimValue: { low: 0, high: 2 ** 22 } }, { dimValue: 6 }] } } } }] } };
      expect(refusalOf(huge)).toBe("m.onnx: the ONNX graph's input 'input' has shape [N, ?, 6]; xcnn takes images [N, C, H, W]");
      expect(readOnnxNetwork({ ...m, metadataProps: [{ key: 'note' }, { key: 'arch', value: 'flatten linear(2)' }] }, 'm.onnx').metadata).toEqual({ note: '', arch: 'flatten linear(2)' });
    });

    it('refuses a node after the Softmax, and a node that does not take the value before it', () => {
      const h = head('input', 36);
      const after = model([...h.nodes.slice(0, 1), node('Gemm', ['flat', 'fc'], ['z'], [int('transB', 1)]), node('Softmax', ['z'], ['p'], [], 'softmax_0'), node('Relu', ['p'], ['logits'], [], 'relu_9')], h.initializers);
      expect(refusalOf(after)).toBe("m.onnx: node 'relu_9' (Relu) comes after the Softmax node 'softmax_0' (Softmax); xcnn takes a Softmax only as the last node");
      const branch = model([node('Relu', ['input'], ['a']), node('Relu', ['input'], ['b'], [], 'relu_b'), ...head('b', 36).nodes], h.initializers);
      expect(refusalOf(branch)).toBe("m.onnx: node 'relu_b' (Relu) takes 'input', which is not the value the node before it made ('a'): xcnn runs a chain of layers (no branches or skip connections)");
      expect(refusalOf(model([node('Relu', [], ['a'], [], 'relu_0'), ...head('a', 36).nodes], h.initializers))).toBe("m.onnx: node 'relu_0' (Relu): its data is absent (input 1 not given), which Relu requires");
    });

    it('reads class names from metadata, and an xcnn export\'s arch only when it is the graph\'s network', () => {
      const h = head('input', 36);
      const withArch = (arch: string) => model(h.nodes, h.initializers, ['N', 1, 6, 6], { metadata: { arch } });
      expect(specOf(withArch('flatten dropout(0.5) linear(2)'))).toBe('flatten dropout(0.5) linear(2)');
      expect(specOf(withArch('flatten linear(3)'))).toBe('flatten linear(2)');
      expect(specOf(withArch('flatten linear(2) relu'))).toBe('flatten linear(2)');
      expect(specOf(withArch('not a spec ('))).toBe('flatten linear(2)');
      expect(readOnnxNetwork(model(h.nodes, h.initializers, ['N', 1, 6, 6], { metadata: { class_names: '["a","b"]', '': 'x' } }), 'm.onnx').metadata).toEqual({ class_names: '["a","b"]' });
    });
  });

  describe('Conv', () => {
    it('refuses a weight of the wrong rank, channels or shape, and one that is not a constant', () => {
      expect(refusalOf(chain([conv([])], 'conv', 32, [weights('w', [2, 1, 9], 1)]))).toBe("m.onnx: node 'conv_0' (Conv): its weight has dims [2, 1, 9]; a 2-D convolution's is [out, in, kH, kW]");
      expect(refusalOf(chain([conv([])], 'conv', 32, [weights('w', [2, 3, 3, 3], 1)]))).toBe("m.onnx: node 'conv_0' (Conv): its weight [2, 3, 3, 3] takes 3 channels, but its input has 1");
      expect(refusalOf(chain([conv([])], 'conv', 32, [weights('w', [2, 1, 3, 2], 1)]))).toBe("m.onnx: node 'conv_0' (Conv): a 3×2 kernel: xcnn's conv takes a square kernel");
      expect(refusalOf(chain([conv([ints('kernel_shape', [2, 2])])], 'conv', 32, [w3]))).toBe("m.onnx: node 'conv_0' (Conv): kernel_shape [2, 2] does not match its weight [2, 1, 3, 3]");
      expect(specOf(chain([conv([ints('kernel_shape', [3, 3])])], 'conv', 32, [w3]))).toBe('conv(2,3) flatten linear(2)');
      expect(refusalOf(chain([conv([])], 'conv', 32))).toBe("m.onnx: node 'conv_0' (Conv): its weight 'w' is not a constant (an initializer): xcnn reads weights stored in the file");
      expect(refusalOf(chain([conv([], ['input'])], 'conv', 32))).toBe("m.onnx: node 'conv_0' (Conv): its weight is absent (input 2 not given), which Conv requires");
      expect(refusalOf(chain([conv([])], 'conv', 32, [{ ...w3, dims: [2, 1, 3, -3] }]))).toBe("m.onnx: node 'conv_0' (Conv): its weight 'w': a dimension is -3");
    });

    it('reads the bias, or makes a zero one; refuses a bias of other dims', () => {
      const withBias = chain([conv([], ['input', 'w', 'b'])], 'conv', 32, [w3, floatTensorProto('b', [2], [0.5, -1.5])]);
      expect(Array.from(readOnnxNetwork(withBias, 'm.onnx').tensors.get('conv1.bias')!)).toEqual([0.5, -1.5]);
      expect(Array.from(readOnnxNetwork(chain([conv([])], 'conv', 32, [w3]), 'm.onnx').tensors.get('conv1.bias')!)).toEqual([0, 0]);
      expect(refusalOf(chain([conv([], ['input', 'w', 'b'])], 'conv', 32, [w3, weights('b', [3], 1)]))).toBe("m.onnx: node 'conv_0' (Conv): its bias has dims [3], expected [2]");
      expect(refusalOf(chain([conv([], ['input', 'w', 'b'])], 'conv', 32, [w3, weights('b', [1, 2], 1)]))).toBe("m.onnx: node 'conv_0' (Conv): its bias has dims [1, 2], expected [2]");
      expect(refusalOf(chain([conv([], ['input', 'w', 'b'])], 'conv', 32, [w3, { ...weights('b', [2], 1), dims: [-2] }]))).toBe("m.onnx: node 'conv_0' (Conv): its bias 'b': a dimension is -2");
    });

    it('refuses a bias that is not a constant, and one whose dims only join to the right digits', () => {
      expect(refusalOf(chain([conv([], ['input', 'w', 'b'])], 'conv', 32, [w3]))).toBe("m.onnx: node 'conv_0' (Conv): its bias 'b' is not a constant (an initializer): xcnn reads weights stored in the file");
      // 12 channels out, a bias [1, 2]: not [12].
      const twelve = chain([conv([], ['input', 'w', 'b'])], 'conv', 192, [weights('w', [12, 1, 3, 3], 1), weights('b', [1, 2], 2)]);
      expect(refusalOf(twelve)).toBe("m.onnx: node 'conv_0' (Conv): its bias has dims [1, 2], expected [12]");
    });

    it('refuses strides that differ, are not two or are below 1', () => {
      const strides = (s: number[]) => refusalOf(chain([conv([ints('strides', s)])], 'conv', 32, [w3]));
      expect(strides([0, 0])).toBe("m.onnx: node 'conv_0' (Conv): strides [0, 0]: xcnn takes the same stride on both axes");
      expect(strides([2])).toBe("m.onnx: node 'conv_0' (Conv): strides [2]: xcnn takes the same stride on both axes");
      expect(strides([2, 2, 2])).toBe("m.onnx: node 'conv_0' (Conv): strides [2, 2, 2]: xcnn takes the same stride on both axes");
      // strides as one INT instead of INTS: no list, so no stride xcnn can take.
      expect(refusalOf(chain([conv([int('strides', 2)])], 'conv', 8, [w3]))).toBe("m.onnx: node 'conv_0' (Conv): strides []: xcnn takes the same stride on both axes");
      expect(refusalOf(chain([conv([ints('dilations', [1, 2])])], 'conv', 32, [w3]))).toBe("m.onnx: node 'conv_0' (Conv): dilations [1, 2]: xcnn takes dilation 1");
      expect(specOf(chain([conv([ints('dilations', [1, 1])])], 'conv', 32, [w3]))).toBe('conv(2,3) flatten linear(2)');
      expect(specOf(chain([conv([ints('strides', [2, 2])])], 'conv', 8, [w3]))).toBe('conv(2,3,stride=2) flatten linear(2)');
    });

    it('takes explicit padding alike on all four sides, or none', () => {
      const pads = (p: number[], features: number) => outcome(() => specOf(chain([conv([ints('pads', p)])], 'conv', features, [w3])));
      expect(pads([1, 1, 1, 1], 72)).toBe('conv(2,3,pad=1) flatten linear(2)');
      expect(pads([0, 0, 0, 0], 32)).toBe('conv(2,3) flatten linear(2)');
      expect(pads([1, 1], 72)).toBe("m.onnx: node 'conv_0' (Conv): pads [1, 1] (top, left, bottom, right): xcnn pads all four sides alike");
      expect(pads([-1, -1, -1, -1], 8)).toBe("m.onnx: node 'conv_0' (Conv): pads [-1, -1, -1, -1] (top, left, bottom, right): xcnn pads all four sides alike");
      expect(pads([1, 1, 1, 2], 72)).toBe("m.onnx: node 'conv_0' (Conv): pads [1, 1, 1, 2] (top, left, bottom, right): xcnn pads all four sides alike");
    });

    it('works out auto_pad: VALID none; SAME the total (⌈size / stride⌉ − 1)·stride + kernel − size, split evenly', () => {
      const autoPad = (mode: string, attributes: OnnxAttribute[], weight: OnnxTensor, features: number, inputShape: Array<number | string> = ['N', 1, 6, 6]) => {
        const h = head('conv', features);
        return outcome(() => specOf(model([conv([text('auto_pad', mode), ...attributes]), ...h.nodes], [weight, ...h.initializers], inputShape)));
      };
      expect(autoPad('VALID', [ints('pads', [1, 1, 1, 1])], w3, 32)).toBe('conv(2,3) flatten linear(2)'); // pads ignored with auto_pad
      expect(autoPad('SAME_UPPER', [], w3, 72)).toBe('conv(2,3,pad=1) flatten linear(2)'); // 6: (6 − 1)·1 + 3 − 6 = 2
      expect(autoPad('SAME_LOWER', [], weights('w', [2, 1, 5, 5], 1), 72)).toBe('conv(2,5,pad=2) flatten linear(2)'); // 4
      expect(autoPad('SAME_UPPER', [ints('strides', [2, 2])], weights('w', [2, 1, 1, 1], 1), 18)).toBe('conv(2,1,stride=2) flatten linear(2)'); // (3 − 1)·2 + 1 − 6 < 0: none
      expect(autoPad('SAME_UPPER', [ints('strides', [2, 2])], w3, 18)).toBe("m.onnx: node 'conv_0' (Conv): auto_pad SAME_UPPER pads 1 and 1 in all on a 6×6 input, not the same on both sides: xcnn pads all four sides alike");
      expect(autoPad('SAME_LOWER', [ints('strides', [2, 2])], weights('w', [2, 1, 2, 2], 1), 24, ['N', 1, 6, 7])).toBe("m.onnx: node 'conv_0' (Conv): auto_pad SAME_LOWER pads 0 and 1 in all on a 6×7 input, not the same on both sides: xcnn pads all four sides alike");
      expect(autoPad('SAME_UPPER', [ints('strides', [2, 2])], w3, 24, ['N', 1, 7, 6])).toBe("m.onnx: node 'conv_0' (Conv): auto_pad SAME_UPPER pads 2 and 1 in all on a 7×6 input, not the same on both sides: xcnn pads all four sides alike");
      expect(autoPad('SAME', [], w3, 72)).toBe("m.onnx: node 'conv_0' (Conv): auto_pad 'SAME' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER");
      expect(autoPad('NOTSET', [ints('pads', [1, 1, 1, 1])], w3, 72)).toBe('conv(2,3,pad=1) flatten linear(2)');
    });
  });

  describe('pooling', () => {
    const pool = (op: string, attributes: OnnxAttribute[], features: number, inputShape: Array<number | string> = ['N', 1, 6, 6], outputs = ['pool']) => {
      const h = head('pool', features);
      return outcome(() => specOf(model([node(op, ['input'], outputs, attributes, 'pool_0'), ...h.nodes], h.initializers, inputShape)));
    };
    const k2 = ints('kernel_shape', [2, 2]);

    it('takes a square window, strides alike, no padding, dilation 1', () => {
      expect(pool('MaxPool', [k2], 25)).toBe('maxpool(2,stride=1) flatten linear(2)');
      expect(pool('AveragePool', [k2, ints('strides', [2, 2]), ints('pads', [0, 0, 0, 0]), text('auto_pad', 'VALID'), ints('dilations', [1, 1])], 9)).toBe('avgpool(2) flatten linear(2)');
      expect(pool('MaxPool', [ints('kernel_shape', [2, 3])], 20)).toBe("m.onnx: node 'pool_0' (MaxPool): kernel_shape [2, 3]: xcnn pools a square window");
      expect(pool('MaxPool', [ints('kernel_shape', [2])], 20)).toBe("m.onnx: node 'pool_0' (MaxPool): kernel_shape [2]: xcnn pools a square window");
      expect(pool('MaxPool', [], 20)).toBe("m.onnx: node 'pool_0' (MaxPool): kernel_shape []: xcnn pools a square window");
      expect(pool('MaxPool', [k2, ints('dilations', [2, 2])], 16)).toBe("m.onnx: node 'pool_0' (MaxPool): dilations [2, 2]: xcnn takes dilation 1");
      expect(pool('AveragePool', [k2, ints('strides', [1, 2])], 16)).toBe("m.onnx: node 'pool_0' (AveragePool): strides [1, 2]: xcnn takes the same stride on both axes");
      expect(pool('AveragePool', [k2, text('auto_pad', 'SAME_UPPER')], 36)).toBe("m.onnx: node 'pool_0' (AveragePool): pool padding (pads [], auto_pad SAME_UPPER): xcnn pools without padding (put the padding on the convolution before it)");
      expect(pool('AveragePool', [k2, ints('pads', [0, 0, 0, 1])], 36)).toBe("m.onnx: node 'pool_0' (AveragePool): pool padding (pads [0, 0, 0, 1], auto_pad NOTSET): xcnn pools without padding (put the padding on the convolution before it)");
    });

    it('takes ceil mode where it gives floor mode\'s size, on both axes', () => {
      const s2 = ints('strides', [2, 2]);
      expect(pool('MaxPool', [k2, s2, int('ceil_mode', 1)], 9)).toBe('maxpool(2) flatten linear(2)'); // (6 − 2)/2 = 2 either way
      expect(pool('MaxPool', [k2, s2, int('ceil_mode', 0)], 9)).toBe('maxpool(2) flatten linear(2)');
      expect(pool('MaxPool', [ints('kernel_shape', [3, 3]), s2, int('ceil_mode', 1)], 4)).toBe("m.onnx: node 'pool_0' (MaxPool): ceil_mode 1 on a 6×6 input gives another size than floor mode: xcnn pools in floor mode"); // (6 − 3)/2 = 1.5
      expect(pool('MaxPool', [k2, s2, int('ceil_mode', 1)], 6, ['N', 1, 6, 7])).toBe("m.onnx: node 'pool_0' (MaxPool): ceil_mode 1 on a 6×7 input gives another size than floor mode: xcnn pools in floor mode");
      expect(pool('MaxPool', [k2, s2, int('ceil_mode', 1)], 6, ['N', 1, 7, 6])).toBe("m.onnx: node 'pool_0' (MaxPool): ceil_mode 1 on a 7×6 input gives another size than floor mode: xcnn pools in floor mode");
    });

    it('refuses max pooling\'s indices and column-major storage order', () => {
      expect(pool('MaxPool', [k2], 25, ['N', 1, 6, 6], ['pool', 'indices'])).toBe("m.onnx: node 'pool_0' (MaxPool): its Indices output is used: xcnn's max pooling gives the values only");
      expect(pool('MaxPool', [k2], 25, ['N', 1, 6, 6], ['pool', ''])).toBe('maxpool(2,stride=1) flatten linear(2)');
      expect(pool('MaxPool', [k2, int('storage_order', 1)], 25)).toBe("m.onnx: node 'pool_0' (MaxPool): storage_order 1 (column-major indices): xcnn pools row-major");
      expect(pool('AveragePool', [k2, int('storage_order', 1)], 25)).toBe('avgpool(2,stride=1) flatten linear(2)');
    });
  });

  describe('BatchNormalization', () => {
    const statistics = (channels: number) => [floatTensorProto('s', [channels], [1.5]), floatTensorProto('b', [channels], [0.25]), floatTensorProto('m', [channels], [0.5]), floatTensorProto('v', [channels], [2])];
    const bn = (attributes: OnnxAttribute[], tensors = statistics(1), outputs = ['bn']) => chain([node('BatchNormalization', ['input', 's', 'b', 'm', 'v'], outputs, attributes, 'bn_0')], 'bn', 36, tensors);

    it('reads the statistics, folding an ε other than 10⁻⁵ into the variance', () => {
      const read = readOnnxNetwork(bn([]), 'm.onnx');
      expect(read.spec).toBe('bn flatten linear(2)');
      expect(['weight', 'bias', 'running_mean', 'running_var'].map((t) => Array.from(read.tensors.get(`bn1.${t}`)!))).toEqual([[1.5], [0.25], [0.5], [2]]);
      // ε = 0.25 in the file: the variance becomes 2 + 0.25 − 10⁻⁵ (in float32).
      expect(Array.from(readOnnxNetwork(bn([float('epsilon', 0.25)]), 'm.onnx').tensors.get('bn1.running_var')!)).toEqual([Math.fround(2.25 - 1e-5)]);
      expect(Array.from(readOnnxNetwork(bn([float('epsilon', 1e-5)]), 'm.onnx').tensors.get('bn1.running_var')!)).toEqual([2]);
      // A smaller ε lowers the variance: 2 + 2⁻²⁰ − 10⁻⁵.
      expect(Array.from(readOnnxNetwork(bn([float('epsilon', 2 ** -20)]), 'm.onnx').tensors.get('bn1.running_var')!)).toEqual([Math.fround(2 + 2 ** -20 - 1e-5)]);
    });

    it('leaves even a tiny variance as it is when the file\'s ε is 10⁻⁵ (as a float32, 9.99999974738e-6)', () => {
      // Folding 9.99999974738e-6 − 10⁻⁵ ≈ −2.5e-13 into a variance of 10⁻¹² would show; within 10⁻⁹ nothing is folded.
      const tiny = Math.fround(1e-12);
      const [s, b, m] = statistics(1);
      expect(Array.from(readOnnxNetwork(bn([float('epsilon', 1e-5)], [s, b, m, floatTensorProto('v', [1], [tiny])]), 'm.onnx').tensors.get('bn1.running_var')!)).toEqual([tiny]);
    });

    it('refuses statistics whose dims only join to the right digits: [1, 2] for 12 channels', () => {
      const twelve = (k: number) => ['s', 'b', 'm', 'v'].map((n, j) => floatTensorProto(n, j === k ? [1, 2] : [12], new Array(j === k ? 2 : 12).fill(1)));
      const graph = (k: number) => model([node('BatchNormalization', ['input', 's', 'b', 'm', 'v'], ['bn'], [], 'bn_0'), ...head('bn', 12).nodes], [...twelve(k), ...head('bn', 12).initializers], ['N', 12, 1, 1]);
      expect(refusalOf(graph(0))).toBe("m.onnx: node 'bn_0' (BatchNormalization): its weight has dims [1, 2], expected [12] for its input [12, 1, 1]");
      expect(refusalOf(graph(3))).toBe("m.onnx: node 'bn_0' (BatchNormalization): its running_var has dims [1, 2], expected [12] for its input [12, 1, 1]");
    });

    it('refuses training mode, statistics of other dims, and a negative variance', () => {
      const training = "m.onnx: node 'bn_0' (BatchNormalization): it is in training mode (more than one output, or training_mode 1): xcnn reads batch norm in evaluation form";
      expect(refusalOf(bn([int('training_mode', 1)]))).toBe(training);
      expect(refusalOf(bn([], statistics(1), ['bn', 'mean']))).toBe(training);
      expect(specOf(bn([int('training_mode', 0)], statistics(1), ['bn', '']))).toBe('bn flatten linear(2)');
      const [s, b, m] = statistics(1);
      expect(refusalOf(bn([], [s, b, m, floatTensorProto('v', [2], [1, 1])]))).toBe("m.onnx: node 'bn_0' (BatchNormalization): its running_var has dims [2], expected [1] for its input [1, 6, 6]");
      expect(refusalOf(bn([], [floatTensorProto('s', [1, 1], [1]), b, m, statistics(1)[3]]))).toBe("m.onnx: node 'bn_0' (BatchNormalization): its weight has dims [1, 1], expected [1] for its input [1, 6, 6]");
      expect(refusalOf(bn([], [b, m, statistics(1)[3]]))).toBe("m.onnx: node 'bn_0' (BatchNormalization): its scale 's' is not a constant (an initializer): xcnn reads weights stored in the file");
      expect(refusalOf(bn([], [s, b, m, floatTensorProto('v', [1], [-0.5])]))).toBe("m.onnx: tensor 'v' (bn1.running_var) holds a negative variance at element 0");
    });
  });

  describe('Flatten and Reshape', () => {
    const flatten = (axis: number) => outcome(() => specOf(model([node('Flatten', ['input'], ['flat'], [int('axis', axis)], 'flatten_0'), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1)])));
    const reshape = (target: number[]) => outcome(() => specOf(model([node('Reshape', ['input', 'shape'], ['flat'], [], 'reshape_0'), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1), int64TensorProto('shape', target)])));

    it('flattens along axis 1, or its negative −3 of a [N, C, H, W] input', () => {
      expect(flatten(1)).toBe('flatten linear(2)');
      expect(flatten(-3)).toBe('flatten linear(2)');
      expect(flatten(2)).toBe("m.onnx: node 'flatten_0' (Flatten): axis 2: xcnn flattens each sample (axis 1)");
      expect(flatten(-1)).toBe("m.onnx: node 'flatten_0' (Flatten): axis -1: xcnn flattens each sample (axis 1)");
    });

    it('takes a Reshape to [0, −1], [−1, C·H·W] or [0, C·H·W], and no other', () => {
      expect(reshape([0, -1])).toBe('flatten linear(2)');
      expect(reshape([-1, 36])).toBe('flatten linear(2)');
      expect(reshape([0, 36])).toBe('flatten linear(2)');
      for (const target of [[-1, 35], [-1, -1], [2, -1], [2, 36], [0, 35], [0, -1, 1], [-1]]) {
        expect(reshape(target), target.join(',')).toBe(`m.onnx: node 'reshape_0' (Reshape): a reshape to [${target.join(', ')}] of [N, 1, 6, 6]: xcnn takes a Reshape only as a flatten, to [N, -1]`);
      }
      const computed = model([node('Reshape', ['input', 'dynamic'], ['flat'], [], 'reshape_0'), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1)]);
      expect(refusalOf(computed)).toBe("m.onnx: node 'reshape_0' (Reshape): its shape 'dynamic' is not a constant xcnn can work out: xcnn folds the arithmetic torch.onnx.export writes for a flatten");
    });

    it('refuses a Reshape without a shape input, even where a value without a name (a node without outputs) is made', () => {
      const gemm = node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)]);
      const reshape = node('Reshape', ['input'], ['flat'], [], 'reshape_0');
      const absent = "m.onnx: node 'reshape_0' (Reshape): its shape is absent (input 2 not given), which Reshape requires";
      expect(refusalOf(model([reshape, gemm], [weights('fc', [2, 36], 1)]))).toBe(absent);
      // A node without outputs makes no value, so nothing is stored under '' for the Reshape to find.
      const unnamedConstant: ReturnType<typeof node> = { opType: 'Constant', attribute: [ints('value_ints', [0, -1])], name: 'c' };
      expect(refusalOf(model([unnamedConstant, reshape, gemm], [weights('fc', [2, 36], 1)]))).toBe(absent);
      const unnamedIdentity: ReturnType<typeof node> = { opType: 'Identity', input: ['shape'], name: 'i' };
      expect(refusalOf(model([unnamedIdentity, reshape, gemm], [weights('fc', [2, 36], 1), int64TensorProto('shape', [0, -1])]))).toBe(absent);
    });

    it('reads a shape kept in int64_data, whose −1 is ten bytes', () => {
      const minusOne = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
      const shape: OnnxTensor = { name: 'shape', dims: [2], dataType: DATA_TYPE.INT64, int64Data: [Uint8Array.from([0, ...minusOne])] };
      expect(specOf(model([node('Reshape', ['input', 'shape'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1), shape]))).toBe('flatten linear(2)');
    });
  });

  describe('Gemm, MatMul and Add', () => {
    const gemm = (attributes: OnnxAttribute[], fc: OnnxTensor, inputs = ['flat', 'fc'], extra: OnnxTensor[] = []) =>
      model([node('Flatten', ['input'], ['flat']), node('Gemm', inputs, ['logits'], attributes, 'gemm_0')], [fc, ...extra], ['N', 1, 2, 2]);

    it('reads B as [out, in] (transB 1) or [in, out], scaled by alpha, and C scaled by beta', () => {
      const values = [1, 2, 3, 4, 5, 6, 7, 8]; // B [4, 2] with transB 0: in 4, out 2
      const read = readOnnxNetwork(gemm([float('alpha', 0.5), float('beta', 2)], floatTensorProto('fc', [4, 2], values), ['flat', 'fc', 'c'], [floatTensorProto('c', [1, 2], [0.25, -1])]), 'm.onnx');
      expect(read.spec).toBe('flatten linear(2)');
      expect(Array.from(read.tensors.get('fc1.weight')!)).toEqual([0.5, 1.5, 2.5, 3.5, 1, 2, 3, 4]); // Bᵀ · 0.5
      expect(Array.from(read.tensors.get('fc1.bias')!)).toEqual([0.5, -2]);
      const plain = readOnnxNetwork(gemm([int('transB', 1)], floatTensorProto('fc', [2, 4], values)), 'm.onnx');
      expect([Array.from(plain.tensors.get('fc1.weight')!), Array.from(plain.tensors.get('fc1.bias')!)]).toEqual([values, [0, 0]]);
    });

    it('refuses what a linear layer cannot be', () => {
      expect(refusalOf(model([node('Gemm', ['input', 'fc'], ['logits'], [], 'gemm_0')], [weights('fc', [36, 2], 1)]))).toBe("m.onnx: node 'gemm_0' (Gemm): its input is [N, 1, 6, 6]: flatten before it");
      expect(refusalOf(gemm([int('transA', 1)], weights('fc', [4, 2], 1)))).toBe("m.onnx: node 'gemm_0' (Gemm): transA 1 transposes the batch: xcnn takes transA 0");
      expect(specOf(gemm([int('transA', 0)], weights('fc', [4, 2], 1)))).toBe('flatten linear(2)');
      expect(refusalOf(gemm([], weights('fc', [4, 2, 1], 1)))).toBe("m.onnx: node 'gemm_0' (Gemm): its weight (B) has dims [4, 2, 1]; expected a matrix");
      expect(refusalOf(gemm([], weights('fc', [3, 2], 1)))).toBe("m.onnx: node 'gemm_0' (Gemm): its weight (B) [3, 2] takes 3 features (transB 0), but its input has 4");
      expect(refusalOf(gemm([int('transB', 1)], weights('fc', [4, 2], 1)))).toBe("m.onnx: node 'gemm_0' (Gemm): its weight (B) [4, 2] takes 2 features (transB 1), but its input has 4");
      const bias = (dims: number[]) => refusalOf(gemm([], weights('fc', [4, 2], 1), ['flat', 'fc', 'c'], [{ ...weights('c', [2], 1), dims, rawData: new Uint8Array(8) }]));
      expect(bias([2, 1])).toBe("m.onnx: node 'gemm_0' (Gemm): its bias 'c' has dims [2, 1], expected [2]");
      expect(bias([3])).toBe("m.onnx: node 'gemm_0' (Gemm): its bias 'c' has dims [3], expected [2]");
      expect(bias([-2])).toBe("m.onnx: node 'gemm_0' (Gemm): its bias 'c': a dimension is -2");
      expect(bias([1, 1, 2])).toBe('accepted');
    });

    it('names a bias without a name (a Constant node\'s tensor) as \'\' when its dims are bad', () => {
      const unnamed = (dims: number[]) => {
        const { name: _, ...c } = { ...floatTensorProto('c', [2], [1, 2]), dims };
        return refusalOf(model([node('Constant', [], ['c'], [tensorAttribute('value', c)]), node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'fc', 'c'], ['logits'], [], 'gemm_0')], [weights('fc', [4, 2], 1)], ['N', 1, 2, 2]));
      };
      expect(unnamed([3])).toBe("m.onnx: node 'gemm_0' (Gemm): its bias '' has dims [3], expected [2]");
      expect(unnamed([-2])).toBe("m.onnx: node 'gemm_0' (Gemm): its bias '': a dimension is -2");
    });

    it('reads MatMul + Add as a linear layer, the bias on either side of the Add', () => {
      const matmul = (addInputs: string[]) => model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['mm'], [], 'matmul_0'), node('Add', addInputs, ['logits'], [], 'add_0')], [floatTensorProto('w', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]), floatTensorProto('b', [2], [0.5, -0.5])], ['N', 1, 2, 2]);
      for (const inputs of [['mm', 'b'], ['b', 'mm']]) {
        const read = readOnnxNetwork(matmul(inputs), 'm.onnx');
        expect([read.spec, Array.from(read.tensors.get('fc1.weight')!), Array.from(read.tensors.get('fc1.bias')!)]).toEqual(['flatten linear(2)', [1, 3, 5, 7, 2, 4, 6, 8], [0.5, -0.5]]);
      }
      const noAdd = readOnnxNetwork(model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['logits'])], [floatTensorProto('w', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8])], ['N', 1, 2, 2]), 'm.onnx');
      expect(Array.from(noAdd.tensors.get('fc1.bias')!)).toEqual([0, 0]);
    });

    it('names the input that is not a constant, or whose dims are bad: Gemm\'s B and C, MatMul\'s weight', () => {
      expect(refusalOf(gemm([], weights('other', [4, 2], 1)))).toBe("m.onnx: node 'gemm_0' (Gemm): its weight (B) 'fc' is not a constant (an initializer): xcnn reads weights stored in the file");
      expect(refusalOf(gemm([], { ...weights('fc', [4, 2], 1), dims: [4, -2] }))).toBe("m.onnx: node 'gemm_0' (Gemm): its weight (B) 'fc': a dimension is -2");
      expect(refusalOf(gemm([], weights('fc', [4, 2], 1), ['flat', 'fc', 'c']))).toBe("m.onnx: node 'gemm_0' (Gemm): its bias (C) 'c' is not a constant (an initializer): xcnn reads weights stored in the file");
      const matmul = (w: OnnxTensor) => refusalOf(model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['logits'], [], 'matmul_0')], [w], ['N', 1, 2, 2]));
      expect(matmul(weights('other', [4, 2], 1))).toBe("m.onnx: node 'matmul_0' (MatMul): its weight 'w' is not a constant (an initializer): xcnn reads weights stored in the file");
      expect(matmul({ ...weights('w', [4, 2], 1), dims: [-4, 2] })).toBe("m.onnx: node 'matmul_0' (MatMul): its weight 'w': a dimension is -4");
    });

    it('refuses a MatMul of the wrong weight and an Add that is not its bias', () => {
      const w = floatTensorProto('w', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
      expect(refusalOf(model([node('MatMul', ['input', 'w'], ['logits'], [], 'matmul_0')], [w], ['N', 1, 2, 2]))).toBe("m.onnx: node 'matmul_0' (MatMul): its input is [N, 1, 2, 2]: flatten before it");
      expect(refusalOf(model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['logits'], [], 'matmul_0')], [floatTensorProto('w', [3, 2], [1, 2, 3, 4, 5, 6])], ['N', 1, 2, 2]))).toBe("m.onnx: node 'matmul_0' (MatMul): its weight has dims [3, 2]; expected [4, out] for its input [N, 4]");
      expect(refusalOf(model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['logits'], [], 'matmul_0')], [floatTensorProto('w', [8], [1, 2, 3, 4, 5, 6, 7, 8])], ['N', 1, 2, 2]))).toBe("m.onnx: node 'matmul_0' (MatMul): its weight has dims [8]; expected [4, out] for its input [N, 4]");
      // A weight whose first dim is the input's but which is not a matrix: [4, 2, 1], and [4].
      expect(refusalOf(model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['logits'], [], 'matmul_0')], [floatTensorProto('w', [4, 2, 1], [1, 2, 3, 4, 5, 6, 7, 8])], ['N', 1, 2, 2]))).toBe("m.onnx: node 'matmul_0' (MatMul): its weight has dims [4, 2, 1]; expected [4, out] for its input [N, 4]");
      expect(refusalOf(model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['logits'], [], 'matmul_0')], [floatTensorProto('w', [4], [1, 2, 3, 4])], ['N', 1, 2, 2]))).toBe("m.onnx: node 'matmul_0' (MatMul): its weight has dims [4]; expected [4, out] for its input [N, 4]");
      const b = floatTensorProto('b', [4], [1, 2, 3, 4]);
      const onlyAfterMatMul = "xcnn takes an Add only right after a MatMul, with a constant bias (a MatMul and an Add are a linear layer)";
      expect(refusalOf(model([node('Flatten', ['input'], ['flat']), node('Add', ['flat', 'b'], ['logits'], [], 'add_0')], [b], ['N', 1, 2, 2]))).toBe(`m.onnx: node 'add_0' (Add): ${onlyAfterMatMul}`);
      const twice = model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['mm']), node('Add', ['mm', 'c'], ['a1']), node('Add', ['a1', 'c'], ['logits'], [], 'add_1')], [w, floatTensorProto('c', [2], [1, 1])], ['N', 1, 2, 2]);
      expect(refusalOf(twice)).toBe(`m.onnx: node 'add_1' (Add): ${onlyAfterMatMul}`);
      const afterGemm = model([node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'w'], ['g']), node('Add', ['g', 'c'], ['logits'], [], 'add_0')], [w, floatTensorProto('c', [2], [1, 1])], ['N', 1, 2, 2]);
      expect(refusalOf(afterGemm)).toBe(`m.onnx: node 'add_0' (Add): ${onlyAfterMatMul}`);
      const wrongBias = model([node('Flatten', ['input'], ['flat']), node('MatMul', ['flat', 'w'], ['mm']), node('Add', ['mm', 'c'], ['logits'], [], 'add_0')], [w, floatTensorProto('c', [3], [1, 1, 1])], ['N', 1, 2, 2]);
      expect(refusalOf(wrongBias)).toBe("m.onnx: node 'add_0' (Add): its bias 'c' has dims [3], expected [2]");
    });
  });

  describe('Softmax, Dropout, Identity and Pad', () => {
    const h = head('input', 36);
    const softmax = (attributes: OnnxAttribute[], opset = 13) => outcome(() => specOf(model([...h.nodes.slice(0, 1), node('Gemm', ['flat', 'fc'], ['z'], [int('transB', 1)]), node('Softmax', ['z'], ['logits'], attributes, 'softmax_0')], h.initializers, ['N', 1, 6, 6], { opset })));

    it('names the default axis of a Softmax it refuses: −1 from opset 13, 1 before', () => {
      const early = (opset: number) => refusalOf(model([node('Softmax', ['input'], ['s'], [], 'softmax_0'), ...h.nodes.map((n) => (n.input![0] === 'input' ? { ...n, input: ['s'] } : n))], h.initializers, ['N', 1, 6, 6], { opset }));
      const refused = (axis: number) => `m.onnx: node 'softmax_0' (Softmax): a softmax over axis ${axis} of [N, 1, 6, 6]: xcnn takes a Softmax only over the classes, last`;
      expect([early(13), early(14), early(12), early(11)]).toEqual([refused(-1), refused(-1), refused(1), refused(1)]);
    });

    it('drops a Softmax over the classes, by default the last axis (opset 13) or axis 1 (before)', () => {
      expect(softmax([])).toBe('flatten linear(2)');
      expect(softmax([], 11)).toBe('flatten linear(2)');
      expect(softmax([int('axis', 1)])).toBe('flatten linear(2)');
      expect(softmax([int('axis', 0)])).toBe("m.onnx: node 'softmax_0' (Softmax): a softmax over axis 0 of [N, 2]: xcnn takes a Softmax only over the classes, last");
      expect(refusalOf(model([node('Softmax', ['input'], ['s'], [int('axis', 1)], 'softmax_0'), ...h.nodes.map((n) => (n.input![0] === 'input' ? { ...n, input: ['s'] } : n))], h.initializers))).toBe(
        "m.onnx: node 'softmax_0' (Softmax): a softmax over axis 1 of [N, 1, 6, 6]: xcnn takes a Softmax only over the classes, last",
      );
    });

    it('reads Dropout\'s ratio from its attribute (before opset 12) or its input, 0.5 without, none at all outside [0, 0.99]', () => {
      const dropout = (inputs: string[], attributes: OnnxAttribute[], tensors: OnnxTensor[], opset = 13) => outcome(() => specOf(chain([node('Dropout', inputs, ['d'], attributes, 'dropout_0')], 'd', 36, tensors, { opset })));
      expect(dropout(['input'], [float('ratio', 0.25)], [], 11)).toBe('dropout(0.25) flatten linear(2)');
      expect(dropout(['input'], [], [], 11)).toBe('dropout(0.5) flatten linear(2)');
      expect(dropout(['input', 'r'], [], [floatTensorProto('r', [], [0.125])])).toBe('dropout(0.125) flatten linear(2)');
      expect(dropout(['input'], [], [])).toBe('dropout(0.5) flatten linear(2)');
      expect(dropout(['input', 'r'], [], [floatTensorProto('r', [], [0.875])])).toBe('dropout(0.875) flatten linear(2)');
      expect(dropout(['input', 'r'], [], [floatTensorProto('r', [], [0])])).toBe('dropout(0) flatten linear(2)');
      expect(dropout(['input', 'r'], [], [floatTensorProto('r', [], [1])])).toBe('flatten linear(2)');
      expect(dropout(['input', 'r'], [], [floatTensorProto('r', [], [-0.25])])).toBe('flatten linear(2)');
      expect(dropout(['input', 'r'], [], [floatTensorProto('r', [2], [0.5, 0.5])])).toBe("m.onnx: node 'dropout_0' (Dropout): its ratio 'r': it holds 2 values, expected one");
      expect(dropout(['input', 'r'], [], [int64TensorProto('r', [1])])).toBe("m.onnx: node 'dropout_0' (Dropout): its ratio 'r': its data type is INT64, not a float type (FLOAT, DOUBLE, FLOAT16 or BFLOAT16)");
    });

    it('takes Dropout\'s training_mode only as a constant false, in raw_data or in int32_data (as ONNX stores BOOL)', () => {
      const mode = (tensors: OnnxTensor[], before: Nodes = []) => outcome(() => specOf(chain([...before, node('Dropout', ['input', '', 't'], ['d'], [], 'dropout_0')], 'd', 36, tensors)));
      const refused = "m.onnx: node 'dropout_0' (Dropout): its training_mode is not a constant false: xcnn reads networks in evaluation form";
      const flag = (fields: Partial<OnnxTensor>): OnnxTensor => ({ name: 't', dims: [], dataType: DATA_TYPE.BOOL, ...fields });
      // An initializer: one byte in raw_data, or a varint in int32_data (0 false, any other true).
      expect(mode([flag({ rawData: Uint8Array.of(0) })])).toBe('dropout(0.5) flatten linear(2)');
      expect(mode([flag({ rawData: Uint8Array.of(1) })])).toBe(refused);
      expect(mode([flag({ int32Data: [Uint8Array.of(0)] })])).toBe('dropout(0.5) flatten linear(2)');
      expect(mode([flag({ int32Data: [Uint8Array.of(1)] })])).toBe(refused);
      expect(mode([flag({ int32Data: [Uint8Array.of(0xac, 0x02)] })])).toBe(refused); // 300
      // A Constant node's value, the same two ways.
      const constant = (fields: Partial<OnnxTensor>) => [node('Constant', [], ['t'], [tensorAttribute('value', { dims: [], dataType: DATA_TYPE.BOOL, ...fields })])];
      expect(mode([], constant({ int32Data: [Uint8Array.of(0)] }))).toBe('dropout(0.5) flatten linear(2)');
      expect(mode([], constant({ rawData: Uint8Array.of(0) }))).toBe('dropout(0.5) flatten linear(2)');
      expect(mode([], constant({ int32Data: [Uint8Array.of(1)] }))).toBe(refused);
      // Not a constant: the graph's input, or a value nothing gives.
      expect(outcome(() => specOf(chain([node('Dropout', ['input', '', 'input'], ['d'], [], 'dropout_0')], 'd', 36)))).toBe(refused);
      expect(mode([])).toBe(refused);
    });

    it('refuses a training_mode that is not one BOOL, naming the value and the problem', () => {
      const mode = (tensor: OnnxTensor) => outcome(() => specOf(chain([node('Dropout', ['input', '', 'flag'], ['d'], [], 'dropout_0')], 'd', 36, [tensor])));
      const refused = (problem: string) => `m.onnx: node 'dropout_0' (Dropout): its training_mode 'flag': ${problem}`;
      expect(mode({ name: 'flag', dims: [], dataType: DATA_TYPE.INT32, int32Data: [Uint8Array.of(0)] })).toBe(refused('its data type is INT32, expected BOOL'));
      expect(mode(floatTensorProto('flag', [], [0]))).toBe(refused('its data type is FLOAT, expected BOOL'));
      expect(mode({ name: 'flag', dims: [2], dataType: DATA_TYPE.BOOL, rawData: Uint8Array.of(0, 0) })).toBe(refused('its dims [2] give 2 elements, expected one'));
      expect(mode({ name: 'flag', dims: [], dataType: DATA_TYPE.BOOL })).toBe(refused('its dims [] give 1 elements, but it holds 0'));
    });

    it('passes Identity through, also of a constant, and takes a Pad only of zeros', () => {
      const identityWeight = model([node('Flatten', ['input'], ['flat']), node('Identity', ['fc'], ['fc_copy']), node('Identity', ['flat'], ['same']), node('Gemm', ['same', 'fc_copy'], ['logits'], [int('transB', 1)])], [floatTensorProto('fc', [1, 4], [1, 2, 3, 4])], ['N', 1, 2, 2]);
      const read = readOnnxNetwork(identityWeight, 'm.onnx');
      expect([read.spec, Array.from(read.tensors.get('fc1.weight')!)]).toEqual(['flatten linear(1)', [1, 2, 3, 4]]);
      const pad = (pads: OnnxTensor[], attributes: OnnxAttribute[], opset: number) => outcome(() => specOf(chain([node('Pad', ['input', 'pads'], ['p'], attributes, 'pad_0')], 'p', 36, pads, { opset })));
      expect(pad([int64TensorProto('pads', [0, 0, 0, 0, 0, 0, 0, 0])], [], 13)).toBe('flatten linear(2)');
      expect(pad([int64TensorProto('pads', [0, 0, 1, 1, 0, 0, 1, 1])], [], 13)).toBe("m.onnx: node 'pad_0' (Pad): padding [0, 0, 1, 1, 0, 0, 1, 1]: xcnn pads only inside a convolution (its pads attribute)");
      expect(pad([], [], 13)).toBe("m.onnx: node 'pad_0' (Pad): padding [?]: xcnn pads only inside a convolution (its pads attribute)");
      expect(pad([], [ints('pads', [0, 0, 0, 0, 0, 0, 0, 0])], 10)).toBe('flatten linear(2)');
      expect(pad([], [ints('pads', [0, 0, 0, 1, 0, 0, 0, 0])], 10)).toBe("m.onnx: node 'pad_0' (Pad): padding [0, 0, 0, 1, 0, 0, 0, 0]: xcnn pads only inside a convolution (its pads attribute)");
    });
  });

  describe('Transpose', () => {
    const perm = (values: number[]) => ints('perm', values);
    const refusedPerm = (name: string, values: string) =>
      `m.onnx: node '${name}' (Transpose) with perm [${values}]: xcnn takes a Transpose only first, from NHWC to NCHW (perm [0, 3, 1, 2]), or to NHWC (perm [0, 2, 3, 1]) right before a Flatten and a linear layer`;

    it('reorders the next linear layer\'s columns after a Transpose to NHWC, through Identity, Flatten, Relu and Dropout', () => {
      // C, H, W = 2, 1, 2. The file's columns are (w, c) in NHWC order: (0,0) (0,1) (1,0) (1,1); xcnn's are
      // (c, w): (0,0) (0,1) (1,0) (1,1), so the file's [1, 2, 3, 4] is xcnn's [1, 3, 2, 4].
      const nhwc = [node('Relu', ['input'], ['r']), node('Transpose', ['r'], ['t'], [perm([0, 2, 3, 1])]), node('Identity', ['t'], ['i']), node('Flatten', ['i'], ['f']), node('Identity', ['f'], ['i2']), node('Relu', ['i2'], ['r2']), node('Dropout', ['r2'], ['d'])];
      const gemm = readOnnxNetwork(model([...nhwc, node('Gemm', ['d', 'w'], ['logits'], [int('transB', 1)])], [floatTensorProto('w', [1, 4], [1, 2, 3, 4])], ['N', 2, 1, 2]), 'm.onnx');
      expect([gemm.spec, Array.from(gemm.tensors.get('fc1.weight')!)]).toEqual(['relu flatten relu dropout(0.5) linear(1)', [1, 3, 2, 4]]);
      const matmul = readOnnxNetwork(model([...nhwc, node('MatMul', ['d', 'w'], ['logits'])], [floatTensorProto('w', [4, 1], [1, 2, 3, 4])], ['N', 2, 1, 2]), 'm.onnx');
      expect(Array.from(matmul.tensors.get('fc1.weight')!)).toEqual([1, 3, 2, 4]);
      // Only the next linear layer: a second one keeps its columns.
      const two = readOnnxNetwork(model([...nhwc, node('Gemm', ['d', 'w'], ['g'], [int('transB', 1)]), node('Gemm', ['g', 'w2'], ['logits'], [int('transB', 1)])], [floatTensorProto('w', [2, 4], [1, 2, 3, 4, 5, 6, 7, 8]), floatTensorProto('w2', [1, 2], [1, 2])], ['N', 2, 1, 2]), 'm.onnx');
      expect([Array.from(two.tensors.get('fc1.weight')!), Array.from(two.tensors.get('fc2.weight')!)]).toEqual([[1, 3, 2, 4, 5, 7, 6, 8], [1, 2]]);
    });

    it('refuses a Transpose to NHWC first, after the flatten, or twice, and one to NCHW after any node', () => {
      const h = head('t', 36);
      expect(refusalOf(model([node('Transpose', ['input'], ['t'], [perm([0, 2, 3, 1])], 'transpose_0'), ...h.nodes], h.initializers))).toBe(refusedPerm('transpose_0', '0, 2, 3, 1'));
      expect(refusalOf(model([node('Transpose', ['input'], ['t'], [], 'transpose_0'), ...h.nodes], h.initializers))).toBe(refusedPerm('transpose_0', ''));
      const flat = model([node('Flatten', ['input'], ['f']), node('Transpose', ['f'], ['t'], [perm([0, 2, 3, 1])], 'transpose_0'), node('Gemm', ['t', 'fc'], ['logits'], [int('transB', 1)])], h.initializers);
      expect(refusalOf(flat)).toBe(refusedPerm('transpose_0', '0, 2, 3, 1'));
      const twice = model([node('Relu', ['input'], ['r']), node('Transpose', ['r'], ['t0'], [perm([0, 2, 3, 1])]), node('Transpose', ['t0'], ['t'], [perm([0, 2, 3, 1])], 'transpose_1'), ...h.nodes], h.initializers);
      expect(refusalOf(twice)).toBe(refusedPerm('transpose_1', '0, 2, 3, 1'));
      const afterIdentity = model([node('Identity', ['input'], ['i']), node('Transpose', ['i'], ['t'], [perm([0, 3, 1, 2])], 'transpose_0'), ...h.nodes], h.initializers);
      expect(refusalOf(afterIdentity)).toBe(refusedPerm('transpose_0', '0, 3, 1, 2'));
      const beforeBatchNorm = model([node('Relu', ['input'], ['r']), node('Transpose', ['r'], ['t'], [perm([0, 2, 3, 1])], 'transpose_0'), node('Flatten', ['t'], ['f']), node('BatchNormalization', ['f', 's', 's', 's', 's'], ['b'], [], 'bn_0'), node('Gemm', ['b', 'fc'], ['logits'], [int('transB', 1)])], [...h.initializers, floatTensorProto('s', [36], new Array(36).fill(1))]);
      expect(refusalOf(beforeBatchNorm)).toBe("m.onnx: node 'bn_0' (BatchNormalization) after the Transpose to NHWC node 'transpose_0' (Transpose): xcnn takes that Transpose only right before a Flatten and a linear layer (Gemm or MatMul)");
    });
  });

  describe('Pad, Dropout, Add and Shape by opset and place', () => {
    it('reads a Pad\'s pads from its input from opset 11 (an initializer or a Constant), and from its attribute before', () => {
      const pad = (attributes: OnnxAttribute[], opset: number, first: Nodes = [], tensors: OnnxTensor[] = []) => outcome(() => specOf(chain([...first, node('Pad', ['input', 'pads'], ['p'], attributes, 'pad_0')], 'p', 36, tensors, { opset })));
      const refused = (values: string) => `m.onnx: node 'pad_0' (Pad): padding [${values}]: xcnn pads only inside a convolution (its pads attribute)`;
      expect(pad([ints('pads', [0, 0, 0, 0, 0, 0, 0, 0])], 11, [], [int64TensorProto('pads', [0, 0, 1, 1, 0, 0, 1, 1])])).toBe(refused('0, 0, 1, 1, 0, 0, 1, 1'));
      expect(pad([], 11, [node('Constant', [], ['pads'], [ints('value_ints', [0, 0, 0, 1, 0, 0, 0, 0])])])).toBe(refused('0, 0, 0, 1, 0, 0, 0, 0'));
      expect(pad([], 11, [node('Constant', [], ['pads'], [ints('value_ints', [0, 0, 0, 0, 0, 0, 0, 0])])])).toBe('flatten linear(2)');
      expect(pad([], 10)).toBe('flatten linear(2)'); // no pads attribute: no padding
    });

    it('reads Dropout\'s ratio from its input from opset 12', () => {
      expect(specOf(chain([node('Dropout', ['input', 'r'], ['d'], [float('ratio', 0.75)])], 'd', 36, [floatTensorProto('r', [], [0.125])], { opset: 12 }))).toBe('dropout(0.125) flatten linear(2)');
    });

    it('refuses an Add as the first node', () => {
      expect(refusalOf(chain([node('Add', ['input', 'b'], ['a'], [], 'add_0')], 'a', 36, [floatTensorProto('b', [1], [1])]))).toBe(
        "m.onnx: node 'add_0' (Add): xcnn takes an Add only right after a MatMul, with a constant bias (a MatMul and an Add are a linear layer)",
      );
    });

    it('takes a Shape of the value the chain is at, after the layers before it: [N, 36] after a Flatten', () => {
      // Reshape(flat, [-1, dim 1 of Shape(flat)]): −1 and 36 flatten; the input's dim 1 would be 1, which does not.
      const nodes = [node('Flatten', ['input'], ['flat']), node('Shape', ['flat'], ['shape']), node('Gather', ['shape', 'one'], ['n']), node('Unsqueeze', ['n', 'zero'], ['n1']), node('Concat', ['minus1', 'n1'], ['target']), node('Reshape', ['flat', 'target'], ['again']), node('Gemm', ['again', 'fc'], ['logits'], [int('transB', 1)])];
      const tensors = [{ ...int64TensorProto('one', [1]), dims: [] }, int64TensorProto('zero', [0]), int64TensorProto('minus1', [-1]), weights('fc', [2, 36], 1)];
      expect(specOf(model(nodes, tensors))).toBe('flatten flatten linear(2)');
    });
  });

  describe('the shape arithmetic before a Reshape', () => {
    /** `arithmetic` nodes ending in 'target', then Reshape(input, target) and a Gemm of 36 features. */
    const folding = (arithmetic: Nodes, initializers: OnnxTensor[] = [], opset = 13) =>
      outcome(() => specOf(model([...arithmetic, node('Reshape', ['input', 'target'], ['flat'], [], 'reshape_0'), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1), ...initializers], ['N', 1, 6, 6], { opset })));
    const minus1 = int64TensorProto('minus1', [-1]);
    const flattens = 'flatten linear(2)';
    const notFlat = (values: string) => `m.onnx: node 'reshape_0' (Reshape): a reshape to [${values}] of [N, 1, 6, 6]: xcnn takes a Reshape only as a flatten, to [N, -1]`;

    it('folds Shape → Gather (a negative index counts from the end) → Unsqueeze → Concat', () => {
      const gatherUnsqueeze = (index: number, axes: Nodes[number]['attribute'], opset: number, extra: OnnxTensor[] = []) =>
        folding(
          [node('Shape', ['input'], ['shape']), node('Gather', ['shape', 'i'], ['n'], [int('axis', 0)], 'gather_0'), node('Unsqueeze', opset >= 13 ? ['n', 'axes'] : ['n'], ['n1'], axes, 'unsqueeze_0'), node('Concat', ['n1', 'minus1'], ['target'], [int('axis', 0)])],
          [{ ...int64TensorProto('i', [index]), dims: [] }, minus1, int64TensorProto('axes', [0]), ...extra],
          opset,
        );
      expect(gatherUnsqueeze(0, [], 13)).toBe(flattens);
      expect(gatherUnsqueeze(-4, [], 13)).toBe(flattens);
      expect(gatherUnsqueeze(0, [ints('axes', [0])], 11)).toBe(flattens);
      expect(gatherUnsqueeze(1, [], 13)).toBe(notFlat('1, -1'));
      expect(gatherUnsqueeze(-3, [], 13)).toBe(notFlat('1, -1'));
      expect(gatherUnsqueeze(4, [], 13)).toBe("m.onnx: node 'gather_0' (Gather): an index is out of range");
      expect(gatherUnsqueeze(-5, [], 13)).toBe("m.onnx: node 'gather_0' (Gather): an index is out of range");
      expect(gatherUnsqueeze(0, [ints('axes', [1])], 11)).toBe("m.onnx: node 'unsqueeze_0' (Unsqueeze): xcnn folds an Unsqueeze only of a scalar, axis 0");
    });

    it('refuses a Gather along another axis or of a scalar, and indices that depend on the batch', () => {
      const shape = node('Shape', ['input'], ['shape']);
      expect(folding([shape, node('Gather', ['shape', 'i'], ['target'], [int('axis', 1)], 'gather_0')], [int64TensorProto('i', [0])])).toBe("m.onnx: node 'gather_0' (Gather): xcnn folds a Gather only along a 1-D shape");
      expect(folding([shape, node('Gather', ['shape', 'shape'], ['target'], [], 'gather_0')])).toBe("m.onnx: node 'gather_0' (Gather): its indices depends on the batch size");
      expect(folding([shape, node('Gather', ['shape', 'missing'], ['target'], [], 'gather_0')])).toBe("m.onnx: node 'gather_0' (Gather) takes 'missing', which is not a constant xcnn can work out: xcnn folds only the shape arithmetic before a Reshape");
      expect(folding([node('Constant', [], ['s'], [int('value_int', 3)]), node('Gather', ['s', 'i'], ['target'], [], 'gather_0')], [int64TensorProto('i', [0])])).toBe("m.onnx: node 'gather_0' (Gather): xcnn folds a Gather only along a 1-D shape");
    });

    it('folds Squeeze of one value, Cast, and Concat only of 1-D values', () => {
      const shape = node('Shape', ['input'], ['shape']);
      const first = node('Slice', ['shape', 'zero', 'one'], ['n1']);
      const bounds = [int64TensorProto('zero', [0]), int64TensorProto('one', [1]), minus1];
      expect(folding([shape, first, node('Squeeze', ['n1'], ['n']), node('Unsqueeze', ['n', 'zero'], ['n2']), node('Cast', ['n2'], ['n3'], [int('to', 7)]), node('Concat', ['n3', 'minus1'], ['target'])], bounds)).toBe(flattens);
      expect(folding([shape, node('Squeeze', ['shape'], ['n'], [], 'squeeze_0'), node('Concat', ['n', 'minus1'], ['target'])], bounds)).toBe("m.onnx: node 'squeeze_0' (Squeeze): xcnn folds a Squeeze only of one value");
      expect(folding([shape, first, node('Squeeze', ['n1'], ['n']), node('Concat', ['n', 'minus1'], ['target'], [], 'concat_0')], bounds)).toBe("m.onnx: node 'concat_0' (Concat): xcnn folds a Concat only of 1-D shapes");
    });

    it('folds Slice with inputs (opset 10 on) or attributes (before), counting negative bounds from the end and clamping', () => {
      const shape = node('Shape', ['input'], ['shape']);
      const slice = (starts: number, ends: number) =>
        folding([shape, node('Slice', ['shape', 's', 'e'], ['n1'], [], 'slice_0'), node('Concat', ['n1', 'minus1'], ['target'])], [int64TensorProto('s', [starts]), int64TensorProto('e', [ends]), minus1]);
      expect(slice(0, 1)).toBe(flattens); // [N]
      expect(slice(-4, -3)).toBe(flattens); // from the end: [N]
      expect(slice(-9, 1)).toBe(flattens); // clamped to 0
      expect(slice(3, 2 ** 40)).toBe(notFlat('6, -1')); // [6]: the end clamped to the length
      expect(slice(1, 0)).toBe(notFlat('-1')); // empty
      expect(folding([shape, node('Slice', ['shape'], ['n1'], [ints('starts', [0]), ints('ends', [1])]), node('Concat', ['n1', 'minus1'], ['target'])], [minus1], 9)).toBe(flattens);
      expect(folding([shape, node('Slice', ['shape', 's', 'e'], ['n1'], [], 'slice_0'), node('Concat', ['n1', 'minus1'], ['target'])], [int64TensorProto('s', [0, 0]), int64TensorProto('e', [1, 1]), minus1])).toBe("m.onnx: node 'slice_0' (Slice): xcnn folds a Slice only of a 1-D shape");
      expect(folding([shape, node('Slice', ['shape', 's', 'e'], ['n1'], [], 'slice_0'), node('Concat', ['n1', 'minus1'], ['target'])], [int64TensorProto('s', [0]), int64TensorProto('e', [1]), minus1].map((t) => (t.name === 's' ? { ...t, name: 'x' } : t)))).toMatch(/^m\.onnx: node 'slice_0' \(Slice\) takes 's', which is not a constant/);
    });

    it('reads Constant nodes: an integer tensor, value_int, value_ints, value_float; refuses the rest', () => {
      expect(folding([node('Constant', [], ['target'], [tensorAttribute('value', int64TensorProto('v', [0, -1]))])])).toBe(flattens);
      expect(folding([node('Constant', [], ['target'], [tensorAttribute('value', { dims: [2], dataType: DATA_TYPE.INT32, rawData: Uint8Array.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]) })])])).toBe(flattens);
      expect(folding([node('Constant', [], ['target'], [ints('value_ints', [-1, 36])])])).toBe(flattens);
      expect(folding([node('Constant', [], ['zero'], [int('value_int', 0)]), node('Unsqueeze', ['zero', 'axes'], ['z1']), node('Concat', ['z1', 'minus1'], ['target'])], [int64TensorProto('axes', [0]), minus1])).toBe(flattens);
      const constant = (attributes: OnnxAttribute[]) => folding([node('Constant', [], ['target'], attributes, 'constant_0')]);
      expect(constant([])).toBe("m.onnx: node 'constant_0' (Constant): a Constant has exactly one value attribute");
      expect(constant([ints('value_ints', [0, -1]), int('value_int', 0)])).toBe("m.onnx: node 'constant_0' (Constant): a Constant has exactly one value attribute");
      expect(constant([text('value_string', 'x')])).toBe("m.onnx: node 'constant_0' (Constant): a Constant's value_string is not a tensor, an int or a float xcnn reads");
      expect(constant([{ name: 'value', type: 4 }])).toBe("m.onnx: node 'constant_0' (Constant): a Constant's value is not a tensor, an int or a float xcnn reads");
      // A float constant is a weight: value_float as Dropout's ratio, a float tensor as a Gemm's B.
      const ratio = chain([node('Constant', [], ['r'], [float('value_float', 0.375)]), node('Dropout', ['input', 'r'], ['d'])], 'd', 36);
      expect(specOf(ratio)).toBe('dropout(0.375) flatten linear(2)');
      const b = model([node('Constant', [], ['fc'], [tensorAttribute('value', floatTensorProto('fc', [1, 4], [1, 2, 3, 4]))]), node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [], ['N', 1, 2, 2]);
      expect(Array.from(readOnnxNetwork(b, 'm.onnx').tensors.get('fc1.weight')!)).toEqual([1, 2, 3, 4]);
      expect(folding([node('Constant', [], ['target'], [tensorAttribute('value', { name: 'v', dims: [2], dataType: DATA_TYPE.INT64, rawData: new Uint8Array(8) })], 'constant_0')])).toBe(
        "m.onnx: node 'constant_0' (Constant): 'v': its dims [2] give 2 elements (16 bytes), but it holds 8 bytes",
      );
    });

    it('folds each op only of what it takes, naming what depends on the batch (the onnx-import run on lines 528-608)', () => {
      const shape = node('Shape', ['input'], ['shape']);
      const zero = int64TensorProto('zero', [0]);
      // value_int −1 and value_ints [−1]: the second half of [0, −1].
      expect(folding([node('Constant', [], ['m'], [int('value_int', -1)]), node('Unsqueeze', ['m', 'axes'], ['m1']), node('Concat', ['zero', 'm1'], ['target'])], [zero, int64TensorProto('axes', [0])])).toBe(flattens);
      expect(folding([node('Constant', [], ['m'], [ints('value_ints', [-1])]), node('Concat', ['zero', 'm'], ['target'])], [zero])).toBe(flattens);
      // A Concat of a Concat: the inner one is 1-D.
      expect(folding([node('Concat', ['zero', 'minus1'], ['inner']), node('Concat', ['inner'], ['target'])], [zero, minus1])).toBe(flattens);
      // Unsqueeze before opset 13 reads its axes attribute, even when an input is there; none is no axis 0.
      const unsqueeze = (inputs: string[], attributes: OnnxAttribute[], opset: number) =>
        folding([shape, node('Gather', ['shape', 'i'], ['n']), node('Unsqueeze', inputs, ['n1'], attributes, 'unsqueeze_0'), node('Concat', ['n1', 'minus1'], ['target'])], [{ ...int64TensorProto('i', [0]), dims: [] }, minus1, int64TensorProto('axes', [1])], opset);
      expect(unsqueeze(['n', 'axes'], [ints('axes', [0])], 11)).toBe(flattens);
      expect(unsqueeze(['n'], [], 11)).toBe("m.onnx: node 'unsqueeze_0' (Unsqueeze): xcnn folds an Unsqueeze only of a scalar, axis 0");
      expect(unsqueeze(['n', 'shape'], [], 13)).toBe("m.onnx: node 'unsqueeze_0' (Unsqueeze): its axes depends on the batch size");
      expect(folding([shape, node('Unsqueeze', ['shape', 'zero'], ['target'], [], 'unsqueeze_0')], [zero])).toBe("m.onnx: node 'unsqueeze_0' (Unsqueeze): xcnn folds an Unsqueeze only of a scalar, axis 0");
      // Gather: one index out of range among others; no inputs at all.
      expect(folding([shape, node('Gather', ['shape', 'i'], ['target'], [], 'gather_0')], [int64TensorProto('i', [0, 9])])).toBe("m.onnx: node 'gather_0' (Gather): an index is out of range");
      expect(folding([node('Gather', [], ['target'], [], 'gather_0')])).toBe("m.onnx: node 'gather_0' (Gather): its data is absent (input 1 not given), which Gather requires");
      expect(folding([node('Concat', [], ['target'], [], 'concat_0')])).toBe("m.onnx: node 'reshape_0' (Reshape): a reshape to [] of [N, 1, 6, 6]: xcnn takes a Reshape only as a flatten, to [N, -1]");
      // Slice: opset 10 reads inputs; before, attributes (none: no slice); bounds that depend on the batch; one of each.
      const slice = (inputs: string[], attributes: OnnxAttribute[], tensors: OnnxTensor[], opset = 13, data: Nodes = [shape]) =>
        folding([...data, node('Slice', inputs, ['n1'], attributes, 'slice_0'), node('Concat', ['n1', 'minus1'], ['target'])], [...tensors, minus1], opset);
      const s0 = int64TensorProto('s', [0]);
      const e1 = int64TensorProto('e', [1]);
      expect(slice(['shape', 's', 'e'], [], [s0, e1], 10)).toBe(flattens);
      expect(slice(['shape'], [ints('ends', [1])], [], 9)).toBe("m.onnx: node 'slice_0' (Slice): xcnn folds a Slice only of a 1-D shape");
      expect(slice(['shape'], [ints('starts', [0])], [], 9)).toBe("m.onnx: node 'slice_0' (Slice): xcnn folds a Slice only of a 1-D shape");
      expect(slice(['shape', 'shape', 'e'], [], [e1])).toBe("m.onnx: node 'slice_0' (Slice): its starts depends on the batch size");
      expect(slice(['shape', 's', 'shape'], [], [s0])).toBe("m.onnx: node 'slice_0' (Slice): its ends depends on the batch size");
      expect(slice(['shape', 's', 'e'], [], [int64TensorProto('s', [0, 0]), e1])).toBe("m.onnx: node 'slice_0' (Slice): xcnn folds a Slice only of a 1-D shape");
      expect(slice(['shape', 's', 'e'], [], [s0, int64TensorProto('e', [1, 1])])).toBe("m.onnx: node 'slice_0' (Slice): xcnn folds a Slice only of a 1-D shape");
      expect(slice(['n', 's', 'e'], [], [s0, e1, { ...int64TensorProto('i', [0]), dims: [] }], 13, [shape, node('Gather', ['shape', 'i'], ['n'])])).toBe("m.onnx: node 'slice_0' (Slice): xcnn folds a Slice only of a 1-D shape");
      // A Constant's integer tensor without a name, refused with its (empty) name.
      expect(folding([node('Constant', [], ['target'], [tensorAttribute('value', { dims: [2], dataType: DATA_TYPE.INT64, rawData: new Uint8Array(8) })], 'constant_0')])).toBe(
        "m.onnx: node 'constant_0' (Constant): '': its dims [2] give 2 elements (16 bytes), but it holds 8 bytes",
      );
    });

    it('reads a Constant by its attribute\'s name, value_ints without numbers as an empty list, and an Unsqueeze without inputs by its attribute', () => {
      const zero = int64TensorProto('zero', [0]);
      // value_int −1 that also carries a tensor [7]: the name says which to read, so [0, −1] and a flatten.
      const both: OnnxAttribute = { ...int('value_int', -1), t: int64TensorProto('t', [7]) };
      expect(folding([node('Constant', [], ['m'], [both]), node('Unsqueeze', ['m', 'axes'], ['m1']), node('Concat', ['zero', 'm1'], ['target'])], [zero, int64TensorProto('axes', [0])])).toBe(flattens);
      // value_ints with no numbers is [] (dims [0]): nothing to a Concat, and not the one value a Squeeze takes.
      const empty = node('Constant', [], ['empty'], [ints('value_ints', [])]);
      expect(folding([empty, node('Concat', ['empty', 'zero', 'minus1'], ['target'])], [zero, minus1])).toBe(flattens);
      expect(folding([empty, node('Squeeze', ['empty'], ['target'], [], 'squeeze_0')])).toBe("m.onnx: node 'squeeze_0' (Squeeze): xcnn folds a Squeeze only of one value");
      // An Unsqueeze whose axes input is absent ('' or not given) reads them from its attribute, even at opset 13.
      const scalar = node('Constant', [], ['z'], [int('value_int', 0)]);
      for (const inputs of [['z'], ['z', '']]) {
        const unsqueeze = node('Unsqueeze', inputs, ['z1'], [ints('axes', [0])], 'unsqueeze_0');
        expect(folding([scalar, unsqueeze, node('Concat', ['z1', 'minus1'], ['target'])], [minus1]), inputs.join(',')).toBe(flattens);
      }
    });

    it('takes a Shape only of the value the chain is at', () => {
      const other = model([node('Relu', ['input'], ['r']), node('Shape', ['input'], ['shape'], [], 'shape_0'), ...head('r', 36).nodes], head('r', 36).initializers);
      expect(refusalOf(other)).toBe("m.onnx: node 'shape_0' (Shape) takes 'input', which is not the value the node before it made ('r'): xcnn runs a chain of layers (no branches or skip connections)");
    });
  });

  /**
   * ONNX names an optional input that is not given '' (or leaves it off the end of the list). The importer reads
   * such an input as absent wherever the op allows it, and refuses it in one line wherever the op needs it; no
   * value is stored or found under ''.
   */
  describe("an input named '': absent", () => {
    it("reads Conv's and Gemm's bias, Dropout's ratio and training_mode, Slice's axes named '' as absent, as ONNX Runtime does", async () => {
      // Slice(shape, [0], [1], axes '', steps [1]) is [N]: Concat [N, −1] flattens.
      const network = await expectRuntimeLogits({
        inputShape: ['N', 1, 5, 5],
        nodes: [
          node('Conv', ['input', 'conv.w', ''], ['conv'], [ints('kernel_shape', [3, 3])]),
          node('Relu', ['conv'], ['relu']),
          node('Dropout', ['relu', '', ''], ['dropped']),
          node('Shape', ['dropped'], ['shape']),
          node('Slice', ['shape', 'zero', 'one', '', 'one'], ['n1']),
          node('Concat', ['n1', 'minus1'], ['target'], [int('axis', 0)]),
          node('Reshape', ['dropped', 'target'], ['flat']),
          node('Gemm', ['flat', 'fc.w', ''], ['logits'], [int('transB', 1)]),
        ],
        initializers: [weights('conv.w', [2, 1, 3, 3], 51), weights('fc.w', [3, 18], 52), int64TensorProto('zero', [0]), int64TensorProto('one', [1]), int64TensorProto('minus1', [-1])],
      });
      expect(network.spec).toBe('conv(2,3) relu dropout(0.5) flatten linear(3)');
      const read = readOnnxNetwork(decodeOnnxFile(graphBytes({ inputShape: ['N', 1, 2, 2], nodes: [node('Conv', ['input', 'w', ''], ['c']), node('Flatten', ['c'], ['f']), node('Gemm', ['f', 'fc', ''], ['logits'], [int('transB', 1)])], initializers: [weights('w', [2, 1, 1, 1], 1), weights('fc', [2, 8], 2)] }), 'm.onnx'), 'm.onnx');
      expect([Array.from(read.tensors.get('conv1.bias')!), Array.from(read.tensors.get('fc1.bias')!)]).toEqual([[0, 0], [0, 0]]);
    });

    it('refuses a required input named \'\' or not given, naming the node, the input and its op type', () => {
      const absent = (name: string, op: string, what: string, k: number, given = true) => `m.onnx: node '${name}' (${op}): its ${what} is absent (input ${k} ${given ? "named ''" : 'not given'}), which ${op} requires`;
      const h = head('r', 36);
      // The data of a layer, and of a Shape (which is then no Shape of the chain's value).
      expect(refusalOf(model([node('Relu', [''], ['r'], [], 'relu_0'), ...h.nodes], h.initializers))).toBe(absent('relu_0', 'Relu', 'data', 1));
      expect(refusalOf(model([node('Relu', ['input'], ['r']), node('Shape', [''], ['s'], [], 'shape_0'), ...h.nodes], h.initializers))).toBe(absent('shape_0', 'Shape', 'data', 1));
      // Weights: Conv's, BatchNormalization's four, Gemm's B, MatMul's; an Add's bias.
      expect(refusalOf(chain([conv([], ['input', ''])], 'conv', 32))).toBe(absent('conv_0', 'Conv', 'weight', 2));
      const statistics = ['s', 'b', 'm', 'v'].map((n) => floatTensorProto(n, [1], [1]));
      const bn = (inputs: string[]) => refusalOf(chain([node('BatchNormalization', ['input', ...inputs], ['bn'], [], 'bn_0')], 'bn', 36, statistics));
      expect(bn(['', 'b', 'm', 'v'])).toBe(absent('bn_0', 'BatchNormalization', 'scale', 2));
      expect(bn(['s', 'b', 'm', ''])).toBe(absent('bn_0', 'BatchNormalization', 'running_var', 5));
      expect(bn(['s', 'b', 'm'])).toBe(absent('bn_0', 'BatchNormalization', 'running_var', 5, false));
      const flat = node('Flatten', ['input'], ['flat']);
      expect(refusalOf(model([flat, node('Gemm', ['flat', ''], ['logits'], [], 'gemm_0')], [], ['N', 1, 2, 2]))).toBe(absent('gemm_0', 'Gemm', 'weight (B)', 2));
      expect(refusalOf(model([flat, node('MatMul', ['flat', ''], ['logits'], [], 'matmul_0')], [], ['N', 1, 2, 2]))).toBe(absent('matmul_0', 'MatMul', 'weight', 2));
      const w = floatTensorProto('w', [4, 2], [1, 2, 3, 4, 5, 6, 7, 8]);
      expect(refusalOf(model([flat, node('MatMul', ['flat', 'w'], ['mm']), node('Add', ['mm', ''], ['logits'], [], 'add_0')], [w], ['N', 1, 2, 2]))).toBe(absent('add_0', 'Add', 'bias', 2));
      expect(refusalOf(model([flat, node('MatMul', ['flat', 'w'], ['mm']), node('Add', ['', 'mm'], ['logits'], [], 'add_0')], [w], ['N', 1, 2, 2]))).toBe(absent('add_0', 'Add', 'bias', 1));
      // Reshape's shape; Pad's pads (an input from opset 11).
      expect(refusalOf(model([node('Reshape', ['input', ''], ['flat'], [], 'reshape_0'), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1)]))).toBe(absent('reshape_0', 'Reshape', 'shape', 2));
      expect(refusalOf(chain([node('Pad', ['input', ''], ['p'], [], 'pad_0')], 'p', 36, [], { opset: 11 }))).toBe(absent('pad_0', 'Pad', 'pads', 2));
      expect(refusalOf(chain([node('Pad', ['input'], ['p'], [], 'pad_0')], 'p', 36, [], { opset: 13 }))).toBe(absent('pad_0', 'Pad', 'pads', 2, false));
    });

    it('refuses a required input of the shape arithmetic named \'\'', () => {
      const absent = (name: string, op: string, what: string, k: number) => `m.onnx: node '${name}' (${op}): its ${what} is absent (input ${k} named ''), which ${op} requires`;
      const reshaped = (arithmetic: ReturnType<typeof node>[], initializers: OnnxTensor[] = []) =>
        refusalOf(model([node('Shape', ['input'], ['shape']), ...arithmetic, node('Reshape', ['input', 'target'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1), int64TensorProto('zero', [0]), int64TensorProto('one', [1]), int64TensorProto('minus1', [-1]), ...initializers]));
      expect(reshaped([node('Gather', ['', 'zero'], ['target'], [], 'gather_0')])).toBe(absent('gather_0', 'Gather', 'data', 1));
      expect(reshaped([node('Gather', ['shape', ''], ['target'], [], 'gather_0')])).toBe(absent('gather_0', 'Gather', 'indices', 2));
      expect(reshaped([node('Unsqueeze', ['', 'zero'], ['target'], [], 'unsqueeze_0')])).toBe(absent('unsqueeze_0', 'Unsqueeze', 'data', 1));
      expect(reshaped([node('Squeeze', [''], ['target'], [], 'squeeze_0')])).toBe(absent('squeeze_0', 'Squeeze', 'data', 1));
      expect(reshaped([node('Cast', [''], ['target'], [int('to', 7)], 'cast_0')])).toBe(absent('cast_0', 'Cast', 'input', 1));
      expect(reshaped([node('Concat', ['zero', ''], ['target'], [int('axis', 0)], 'concat_0')])).toBe(absent('concat_0', 'Concat', 'input', 2));
      expect(reshaped([node('Slice', ['', 'zero', 'one'], ['target'], [], 'slice_0')])).toBe(absent('slice_0', 'Slice', 'data', 1));
      expect(reshaped([node('Slice', ['shape', '', 'one'], ['target'], [], 'slice_0')])).toBe(absent('slice_0', 'Slice', 'starts', 2));
      expect(reshaped([node('Slice', ['shape', 'zero', ''], ['target'], [], 'slice_0')])).toBe(absent('slice_0', 'Slice', 'ends', 3));
    });

    it("refuses a layer's output named '' and a graph input without a name; a folded value or an Identity's constant named '' is made for nothing", () => {
      const h = head('r', 36);
      expect(refusalOf(model([node('Relu', ['input'], [''], [], 'relu_0'), ...h.nodes], h.initializers))).toBe("m.onnx: node 'relu_0' (Relu): its output is absent (named ''): xcnn runs a chain of layers, each node's output the next one's input");
      expect(refusalOf(model([{ opType: 'Relu', input: ['input'], name: 'relu_0' }, ...h.nodes], h.initializers))).toBe("m.onnx: node 'relu_0' (Relu): its output is absent (not given): xcnn runs a chain of layers, each node's output the next one's input");
      const m = chain([], 'input', 36);
      const noName = "m.onnx: the ONNX graph's input has no name (''): the nodes cannot refer to it; name it (torch.onnx.export's input_names)";
      for (const name of ['', undefined]) expect(refusalOf({ ...m, graph: { ...m.graph, input: [{ ...m.graph!.input![0], name }] } })).toBe(noName);
      // A Constant with a bad value and an Identity of a constant, each with the output '': not read, not stored.
      const unused = [node('Constant', [], [''], [], 'constant_0'), node('Identity', ['fc'], [''], [], 'identity_0')];
      expect(specOf(chain(unused, 'input', 36))).toBe('flatten linear(2)');
    });

    it('takes Slice\'s axes as 0 or −1 of the 1-D shape and steps 1 (inputs from opset 10, the axes attribute before), and refuses others', () => {
      const sliced = (inputs: string[], attributes: OnnxAttribute[] = [], opset = 13) =>
        outcome(() =>
          specOf(model([node('Shape', ['input'], ['shape']), node('Slice', ['shape', ...inputs], ['n1'], attributes, 'slice_0'), node('Concat', ['n1', 'minus1'], ['target']), node('Reshape', ['input', 'target'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])], [weights('fc', [2, 36], 1), ...[['zero', 0], ['one', 1], ['minus1', -1], ['two', 2]].map(([n, v]) => int64TensorProto(n as string, [v as number])), int64TensorProto('zeroOne', [0, 1]), int64TensorProto('oneOne', [1, 1])], ['N', 1, 6, 6], { opset })),
        );
      const flattens = 'flatten linear(2)';
      const refused = (axes: string, steps: string) => `m.onnx: node 'slice_0' (Slice): axes [${axes}] and steps [${steps}]: xcnn folds a Slice only along axis 0, step 1`;
      expect(sliced(['zero', 'one', 'zero', 'one'])).toBe(flattens);
      expect(sliced(['zero', 'one', 'minus1'])).toBe(flattens);
      expect(sliced(['zero', 'one', '', ''])).toBe(flattens);
      expect(sliced(['zero', 'one', 'one'])).toBe(refused('1', '1'));
      expect(sliced(['zero', 'one', '', 'two'])).toBe(refused('0', '2'));
      expect(sliced(['zero', 'one', 'zero', 'minus1'])).toBe(refused('0', '-1'));
      expect(sliced(['zero', 'one', 'shape'])).toBe("m.onnx: node 'slice_0' (Slice): its axes depends on the batch size");
      expect(sliced(['zero', 'one', 'zero', 'shape'])).toBe("m.onnx: node 'slice_0' (Slice): its steps depends on the batch size");
      // From opset 10 on, both are inputs.
      expect(sliced(['zero', 'one', 'one'], [], 10)).toBe(refused('1', '1'));
      expect(sliced(['zero', 'one', '', 'two'], [], 10)).toBe(refused('0', '2'));
      // Lists of more than one are refused, and named in full.
      expect(sliced(['zero', 'one', 'zeroOne'])).toBe(refused('0, 1', '1'));
      expect(sliced(['zero', 'one', 'zero', 'oneOne'])).toBe(refused('0', '1, 1'));
      expect(sliced([], [ints('starts', [0]), ints('ends', [1]), ints('axes', [0])], 9)).toBe(flattens);
      expect(sliced([], [ints('starts', [0]), ints('ends', [1]), ints('axes', [1])], 9)).toBe(refused('1', '1'));
      // Before opset 10 the inputs past the data are not read: steps did not exist.
      expect(sliced(['zero', 'one', 'zero', 'two'], [ints('starts', [0]), ints('ends', [1])], 9)).toBe(flattens);
    });
  });

  describe('the weights, read last', () => {
    it('refuses a weight that is not finite, naming the element', () => {
      const m = model(head('input', 4).nodes, [floatTensorProto('fc', [2, 4], [0, 1, 2, Number.NaN, 4, 5, 6, 7])], ['N', 1, 2, 2]);
      expect(refusalOf(m)).toBe("m.onnx: tensor 'fc' (fc1.weight) holds NaN at element 3; retrain or repair the model");
      const infinite = model(head('input', 4).nodes, [floatTensorProto('fc', [2, 4], [Number.POSITIVE_INFINITY, 1, 2, 3, 4, 5, 6, 7])], ['N', 1, 2, 2]);
      expect(refusalOf(infinite)).toBe("m.onnx: tensor 'fc' (fc1.weight) holds Infinity at element 0; retrain or repair the model");
    });

    it('refuses a negative variance at any element, and takes a variance of 0', () => {
      const bn = (variance: number[]) =>
        refusal(() => readOnnxNetwork(model([node('BatchNormalization', ['input', 's', 'b', 'm', 'v'], ['bn']), ...head('bn', 12).nodes], [...['s', 'b', 'm'].map((n) => floatTensorProto(n, [3], [1, 0, 0])), floatTensorProto('v', [3], variance), weights('fc', [2, 12], 2)], ['N', 3, 2, 2]), 'm.onnx'));
      expect(bn([1, 0, 2])).toBe('accepted');
      expect(bn([1, 0, -0.5])).toBe("m.onnx: tensor 'v' (bn1.running_var) holds a negative variance at element 2");
    });

    it('names a weight without a name as \'\' (a Constant node\'s tensor)', () => {
      const unnamed = (t: OnnxTensor) => refusalOf(model([node('Constant', [], ['fc'], [tensorAttribute('value', t)]), ...head('input', 4).nodes], [], ['N', 1, 2, 2]));
      expect(unnamed({ dims: [2, 4], dataType: DATA_TYPE.FLOAT, rawData: new Uint8Array(8) })).toBe("m.onnx: tensor '' (fc1.weight): its dims [2, 4] give 8 FLOAT elements (32 bytes), but it holds 8 bytes");
      const { name: _, ...nan } = floatTensorProto('x', [2, 4], [0, 1, Number.NaN, 3, 4, 5, 6, 7]);
      expect(unnamed(nan)).toBe("m.onnx: tensor '' (fc1.weight) holds NaN at element 2; retrain or repair the model");
      // A negative variance without a name: a Constant node's tensor as BatchNormalization's running_var.
      const { name: __, ...negative } = floatTensorProto('v', [1], [-0.5]);
      const statistics = ['s', 'b', 'm'].map((n) => floatTensorProto(n, [1], [1]));
      const bn = model([node('Constant', [], ['v'], [tensorAttribute('value', negative)]), node('BatchNormalization', ['input', 's', 'b', 'm', 'v'], ['bn']), ...head('bn', 36).nodes], [...statistics, ...head('bn', 36).initializers]);
      expect(refusalOf(bn)).toBe("m.onnx: tensor '' (bn1.running_var) holds a negative variance at element 0");
    });

    it('reads an int attribute beyond 2⁵³ as NaN, which no check takes', () => {
      const m = chain([conv([{ name: 'group', type: 2, i: { low: 0, high: 2 ** 22 } }])], 'conv', 32, [w3]);
      expect(refusalOf(m)).toBe("m.onnx: node 'conv_0' (Conv): group NaN: xcnn's conv is a full convolution (group 1), not a grouped or depthwise one");
    });

    it('refuses an intsAttribute beyond 2⁵³', () => {
      const m = chain([conv([{ name: 'strides', type: 7, ints: [{ low: 0, high: 2 ** 22 }, 1] }])], 'conv', 32, [w3]);
      expect(refusalOf(m)).toBe("m.onnx: node 'conv_0' (Conv): its strides holds a number beyond 2^53");
    });
  });
});
