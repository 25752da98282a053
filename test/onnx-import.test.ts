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
import { decodeModel, type ModelInfo } from '../src/model/model-file.js';
import { modelForPage } from '../src/serve/page-files.js';
import { decodeSafetensors } from '../src/files/safetensors.js';
import { isOnnxModel } from '../src/onnx/onnx-sniff.js';
import type { Network, NetworkGeometry } from '../src/model/network.js';
import { resolveSpec } from '../src/model/spec.js';
import { decodeAnyModel } from '../src/onnx/any-model.js';
import { encodeOnnxModel } from '../src/onnx/onnx-export.js';
import { decodeOnnxModel } from '../src/onnx/onnx-import.js';
import { DATA_TYPE, type OnnxTensor } from '../src/onnx/onnx-schema.js';
import { seededNetwork } from './fixtures/any-networks.js';
import { float, graphBytes, int, int64TensorProto, ints, node, randomInput, runtimeOutput, tensorAttribute, text, weights, type GraphOptions } from './fixtures/onnx-graphs.js';
import { errorOf } from './errors.js';

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

describe('xcnn exports imported back', () => {
  const info = (geometry: NetworkGeometry): ModelInfo => ({ geometry, dataset: 'fashion', classNames: Array.from({ length: geometry.classes }, (_, k) => `item ${k}`) });

  it.each(['paper', 'lenet5', 'modern'])('the %s preset gives the same logits bit for bit, with its spec (dropout kept) and class names', (preset) => {
    const geometry: NetworkGeometry = { channels: 3, height: 28, width: 28, classes: 5 };
    const network = seededNetwork(backend, resolveSpec(preset, geometry.classes), geometry, 8);
    const loaded = decodeAnyModel(encodeOnnxModel(network, info(geometry)), 'model', backend); // recognised by its bytes
    expect(loaded.network.spec).toBe(network.spec);
    expect(loaded.info.classNames).toEqual(info(geometry).classNames);
    expect(loaded.info.dataset).toBe('fashion');
    const input = randomInput(2 * 3 * 28 * 28, 1);
    expect(Array.from(logitsOf(loaded.network, input, 2))).toEqual(Array.from(logitsOf(network, input, 2)));
  });

  it('names the classes 0 … K−1 when the file has no class_names', () => {
    const bytes = graphBytes({ inputShape: ['N', 1, 2, 2], nodes: [node('Flatten', ['input'], ['flat']), node('Gemm', ['flat', 'w'], ['logits'], [int('transB', 1)])], initializers: [weights('w', [3, 4], 1)] });
    expect(decodeOnnxModel(bytes, 'm.onnx', backend).info.classNames).toEqual(['0', '1', '2']);
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
    expect(errorOf(() => decodeOnnxModel(bytes, 'm.onnx', backend, { arch: 'flatten linear(2) relu' })).message).toBe('m.onnx: the ONNX graph is the network flatten linear(2), but --arch says flatten linear(2) relu: leave --arch out for an ONNX file');
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
