/**
 * The graph `encodeOnnxModel` writes (src/onnx/onnx-export.ts), node by node: what each layer kind becomes
 * (op type, inputs, every attribute with the value ONNX's operator documentation gives it for xcnn's layer),
 * the weights under their state_dict names with the network's values, the input and output, the Softmax option
 * and the refusal of a network that no spec describes. ONNX Runtime runs the same file as a second
 * implementation. Every file is made inside its test (test/onnx-export.test.ts runs every preset in ONNX Runtime).
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import type { ModelInfo } from '../src/model/model-file.js';
import type { Network, NetworkGeometry } from '../src/model/network.js';
import { decodeOnnxFile } from '../src/onnx/onnx-file.js';
import { encodeOnnxModel, ONNX_IR_VERSION, ONNX_OPSET } from '../src/onnx/onnx-export.js';
import { ATTRIBUTE_TYPE, DATA_TYPE, int64Value, type OnnxAttribute, type OnnxModel } from '../src/onnx/onnx-schema.js';
import { errorOf } from './errors.js';
import { seededNetwork } from './fixtures/any-networks.js';
import { randomInput, runtimeOutput } from './fixtures/onnx-graphs.js';

const backend = new ReferenceBackend();
// Every layer kind: a strided, padded conv, batch norm, both pools (one overlapping), global pooling, dropout.
const SPEC = 'conv(3,3,stride=2,pad=1) bn relu maxpool(2) conv(4,2) avgpool(2,stride=1) gap dropout(0.25) flatten linear(5) relu dropout(0.5) linear(3)';
const geometry: NetworkGeometry = { channels: 2, height: 12, width: 12, classes: 3 };
const info: ModelInfo = { geometry, dataset: 'shapes', classNames: ['circle', 'square', 'star'], training: { epochs: 2 } as ModelInfo['training'] };

/** An attribute as [name, value], checking that its type field says what it holds. */
function attribute(a: OnnxAttribute): [string, number | number[]] {
  if (a.type === ATTRIBUTE_TYPE.INTS) return [a.name!, a.ints!.map((v) => int64Value(v)!)];
  if (a.type === ATTRIBUTE_TYPE.INT) return [a.name!, int64Value(a.i)!];
  if (a.type === ATTRIBUTE_TYPE.FLOAT) return [a.name!, a.f!];
  throw new Error(`attribute ${a.name} of type ${a.type}`);
}

function nodesOf(model: OnnxModel) {
  return model.graph!.node!.map((n) => ({ name: n.name, op: n.opType, input: n.input, output: n.output, attributes: (n.attribute ?? []).map(attribute) }));
}

function logitsOf(network: Network, input: Float32Array, batch: number): Float32Array {
  const buffer = backend.allocFloats(input.length);
  buffer.set(input);
  return Float32Array.from(network.forward(buffer, batch));
}

describe('the nodes of an exported network', () => {
  it('one a layer but dropout, chained input to logits, with the attributes of xcnn\'s layers', () => {
    const network = seededNetwork(backend, SPEC, geometry, 3);
    const model = decodeOnnxFile(encodeOnnxModel(network, info), 'm.onnx');
    const float32 = Math.fround;
    expect(nodesOf(model)).toEqual([
      { name: 'conv1', op: 'Conv', input: ['input', 'conv1.weight', 'conv1.bias'], output: ['conv1'], attributes: [['kernel_shape', [3, 3]], ['strides', [2, 2]], ['pads', [1, 1, 1, 1]], ['dilations', [1, 1]], ['group', 1]] },
      { name: 'bn1', op: 'BatchNormalization', input: ['conv1', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var'], output: ['bn1'], attributes: [['epsilon', float32(1e-5)], ['momentum', float32(0.9)]] },
      { name: 'relu1', op: 'Relu', input: ['bn1'], output: ['relu1'], attributes: [] },
      { name: 'pool1', op: 'MaxPool', input: ['relu1'], output: ['pool1'], attributes: [['kernel_shape', [2, 2]], ['strides', [2, 2]]] },
      { name: 'conv2', op: 'Conv', input: ['pool1', 'conv2.weight', 'conv2.bias'], output: ['conv2'], attributes: [['kernel_shape', [2, 2]], ['strides', [1, 1]], ['pads', [0, 0, 0, 0]], ['dilations', [1, 1]], ['group', 1]] },
      { name: 'pool2', op: 'AveragePool', input: ['conv2'], output: ['pool2'], attributes: [['kernel_shape', [2, 2]], ['strides', [1, 1]]] },
      { name: 'gap1', op: 'GlobalAveragePool', input: ['pool2'], output: ['gap1'], attributes: [] },
      { name: 'flatten', op: 'Flatten', input: ['gap1'], output: ['flatten'], attributes: [['axis', 1]] },
      { name: 'fc1', op: 'Gemm', input: ['flatten', 'fc1.weight', 'fc1.bias'], output: ['fc1'], attributes: [['alpha', 1], ['beta', 1], ['transB', 1]] },
      { name: 'relu2', op: 'Relu', input: ['fc1'], output: ['relu2'], attributes: [] },
      { name: 'fc2', op: 'Gemm', input: ['relu2', 'fc2.weight', 'fc2.bias'], output: ['logits'], attributes: [['alpha', 1], ['beta', 1], ['transB', 1]] },
    ]);
  });

  it('ends in a Softmax over axis 1 named probabilities when asked, the last layer keeping its own name', () => {
    const network = seededNetwork(backend, 'flatten linear(3)', geometry, 1);
    const model = decodeOnnxFile(encodeOnnxModel(network, info, { softmax: true }), 'm.onnx');
    expect(nodesOf(model).map((n) => [n.name, n.op, n.input[0], n.output, n.attributes])).toEqual([
      ['flatten', 'Flatten', 'input', ['flatten'], [['axis', 1]]],
      ['fc1', 'Gemm', 'flatten', ['fc1'], [['alpha', 1], ['beta', 1], ['transB', 1]]],
      ['softmax', 'Softmax', 'fc1', ['probabilities'], [['axis', 1]]],
    ]);
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['probabilities']);
  });
});

describe('the rest of the exported file', () => {
  it('is IR version 7 with opset 13 of the default domain, made by xcnn', () => {
    const model = decodeOnnxFile(encodeOnnxModel(seededNetwork(backend, SPEC, geometry, 3), info), 'm.onnx');
    expect([ONNX_IR_VERSION, ONNX_OPSET]).toEqual([7, 13]);
    expect([int64Value(model.irVersion), model.opsetImport!.map((o) => [o.domain ?? '', int64Value(o.version)]), model.producerName, model.graph!.name]).toEqual([7, [['', 13]], 'xcnn', 'xcnn']);
  });

  it('declares float32 input [N, C, H, W] and logits [N, classes], N free', () => {
    const model = decodeOnnxFile(encodeOnnxModel(seededNetwork(backend, SPEC, geometry, 3), info), 'm.onnx');
    const described = (v: NonNullable<NonNullable<OnnxModel['graph']>['input']>[number]) => [v.name, v.type?.tensorType?.elemType, v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || int64Value(d.dimValue))];
    expect(model.graph!.input!.map(described)).toEqual([['input', DATA_TYPE.FLOAT, ['N', 2, 12, 12]]]);
    expect(model.graph!.output!.map(described)).toEqual([['logits', DATA_TYPE.FLOAT, ['N', 3]]]);
  });

  it('holds every parameter and batch-norm buffer as a float32 initializer of its shape and values', () => {
    const network = seededNetwork(backend, SPEC, geometry, 3);
    const model = decodeOnnxFile(encodeOnnxModel(network, info), 'm.onnx');
    const expected = [...network.parameters, ...network.bufferViews].filter((t) => !t.name.endsWith('num_batches_tracked'));
    const written = model.graph!.initializer!;
    expect(written.map((t) => t.name).sort()).toEqual(expected.map((t) => t.name).sort());
    for (const t of written) {
      const source = expected.find((e) => e.name === t.name)!;
      expect([t.dataType, t.dims!.map((d) => int64Value(d))], t.name).toEqual([DATA_TYPE.FLOAT, source.shape]);
      const raw = t.rawData!;
      expect(Array.from(new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength))), t.name).toEqual(Array.from(source.value));
    }
  });

  it('keeps the model file\'s metadata in metadata_props, the spec with its dropout layers', () => {
    const model = decodeOnnxFile(encodeOnnxModel(seededNetwork(backend, SPEC, geometry, 3), info), 'm.onnx');
    const metadata = Object.fromEntries(model.metadataProps!.map((e) => [e.key, e.value]));
    expect(metadata).toEqual({ format: 'xcnn', arch: SPEC, geometry: JSON.stringify(geometry), dataset: 'shapes', class_names: JSON.stringify(info.classNames), training: JSON.stringify(info.training) });
  });

  it('refuses arguments of the wrong kind, naming the function and the argument', () => {
    const network = seededNetwork(backend, 'flatten linear(3)', geometry, 1);
    expect(errorOf(() => encodeOnnxModel(null as unknown as Network, info)).message).toBe('encodeOnnxModel: network must be a network (createNetwork, loadModel, loadModelFromBytes), not null');
    expect(errorOf(() => encodeOnnxModel(network, 'shapes' as unknown as ModelInfo)).message).toBe('encodeOnnxModel: info must be an object (geometry, dataset and classNames, as loadModel gives it), not string');
    expect(errorOf(() => encodeOnnxModel(network, info, true as unknown as object)).message).toBe('encodeOnnxModel: options must be an object (its options), not boolean');
  });

  it('ends a network whose last layers are dropout in its last layer\'s node', () => {
    const network = seededNetwork(backend, 'flatten linear(3) dropout(0.5)', geometry, 1);
    const model = decodeOnnxFile(encodeOnnxModel(network, info), 'm.onnx');
    expect(nodesOf(model).map((n) => [n.name, n.output])).toEqual([['flatten', ['flatten']], ['fc1', ['logits']]]);
  });

  it('refuses a network assembled by hand (no spec to write), in one line', () => {
    const network = seededNetwork(backend, 'flatten linear(3)', geometry, 1);
    const byHand = Object.create(network, { plan: { value: null } }) as Network;
    const error = errorOf(() => encodeOnnxModel(byHand, info));
    expect(error).toBeInstanceOf(XcnnError);
    expect([error.message, (error as XcnnError).code]).toEqual(['exportOnnx: the network was assembled by hand, not built from a spec: only a network from createNetwork (or a model file) can be exported', 'ERR_BAD_ARGUMENT']);
  });
});

describe('ONNX Runtime runs the export', () => {
  ort.env.wasm.numThreads = 1;

  it('to xcnn\'s logits, and with softmax to their softmax', async () => {
    const network = seededNetwork(backend, SPEC, geometry, 5);
    const input = randomInput(2 * 2 * 12 * 12, 7);
    const logits = logitsOf(network, input, 2);
    const runtime = await runtimeOutput(encodeOnnxModel(network, info), input, [2, 2, 12, 12]);
    expect(runtime).toHaveLength(6);
    for (let k = 0; k < 6; k++) expect(Math.abs(runtime[k] - logits[k]), `logit ${k}`).toBeLessThanOrEqual(1e-5);
    const probabilities = await runtimeOutput(encodeOnnxModel(network, info, { softmax: true }), input, [2, 2, 12, 12], 'probabilities');
    for (let n = 0; n < 2; n++) {
      const row = Array.from(logits.subarray(3 * n, 3 * n + 3));
      const total = row.reduce((sum, z) => sum + Math.exp(z), 0);
      for (let c = 0; c < 3; c++) expect(Math.abs(probabilities[3 * n + c] - Math.exp(row[c]) / total)).toBeLessThanOrEqual(1e-6);
    }
  });
});
