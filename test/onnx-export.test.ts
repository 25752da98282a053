/**
 * Export to ONNX (issue 15): every preset and random specs from xcnn/testing (src/testing/specs.ts), exported with
 * `encodeOnnxModel` and run by ONNX Runtime (onnxruntime-web's WebAssembly build, in Node), give xcnn's
 * evaluation logits within 1e-5 (absolute); with `softmax` the output is the softmax of those logits.
 * Weights, biases and batch norm's statistics are seeded away from their initial values so that every
 * tensor matters. The file itself: opset 13, a dynamic batch dimension, `input` [N, C, H, W] and `logits`
 * [N, classes], no Dropout node, the metadata in metadata_props.
 */
import { build } from 'esbuild';
import fc from 'fast-check';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { ModelInfo } from '../src/model/model-file.js';
import type { Network, NetworkGeometry } from '../src/model/network.js';
import { resolveSpec } from '../src/model/spec.js';
import { decodeOnnxFile } from '../src/onnx/onnx-file.js';
import { encodeOnnxModel } from '../src/onnx/onnx-export.js';
import { int64Value } from '../src/onnx/onnx-schema.js';
import { Random } from '../src/random.js';
import { seededNetwork } from './fixtures/any-networks.js';
import { randomSpecs } from '../src/testing.js';

ort.env.wasm.numThreads = 1;

const BATCH = 3;

function infoOf(geometry: NetworkGeometry): ModelInfo {
  return { geometry, dataset: 'test', classNames: Array.from({ length: geometry.classes }, (_, k) => `class ${k}`) };
}

/** A random batch of inputs in [0, 1], [N, C, H, W]. */
function randomInput(geometry: NetworkGeometry, seed: number): Float32Array {
  const random = new Random(seed);
  return Float32Array.from({ length: BATCH * geometry.channels * geometry.height * geometry.width }, () => random.next());
}

function xcnnLogits(network: Network, input: Float32Array): Float32Array {
  const buffer = network.backend.allocFloats(input.length);
  buffer.set(input);
  return Float32Array.from(network.forward(buffer, BATCH));
}

async function runtimeOutput(bytes: Uint8Array, input: Float32Array, geometry: NetworkGeometry, output = 'logits'): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ input: new ort.Tensor('float32', input, [BATCH, geometry.channels, geometry.height, geometry.width]) });
    expect(result[output].dims).toEqual([BATCH, geometry.classes]);
    return result[output].data as Float32Array;
  } finally {
    await session.release();
  }
}

function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}

const mnist: NetworkGeometry = { channels: 1, height: 28, width: 28, classes: 10 };
const colour: NetworkGeometry = { channels: 3, height: 32, width: 32, classes: 7 };

describe('exported ONNX models in ONNX Runtime', () => {
  let wasm: Backend;
  beforeAll(async () => {
    wasm = await createWasmBackend();
  });

  const presets = ['paper', 'lenet5', 'modern'].flatMap((preset) => [
    { preset, geometry: mnist },
    { preset, geometry: colour },
  ]);

  it.each(presets)('gives xcnn\'s logits for the $preset preset on $geometry.channels×$geometry.height×$geometry.width (both backends)', async ({ preset, geometry }) => {
    const spec = resolveSpec(preset, geometry.classes);
    const input = randomInput(geometry, 7);
    for (const backend of [new ReferenceBackend(), wasm]) {
      const network = seededNetwork(backend, spec, geometry, 3);
      const expected = xcnnLogits(network, input);
      const actual = await runtimeOutput(encodeOnnxModel(network, infoOf(geometry)), input, geometry);
      const difference = maxAbsDifference(actual, expected);
      console.log(`${preset} ${geometry.channels}×${geometry.height}×${geometry.width} on ${backend.name}: max |Δ logits| ${difference.toExponential(1)}`);
      expect(difference).toBeLessThanOrEqual(1e-5);
      network.dispose();
    }
  });

  it('gives xcnn\'s logits for random specs (every layer kind, strides, padding, overlapping pools, bn 1d and 2d)', async () => {
    const specs = fc.sample(randomSpecs({ maxSize: 10, maxChannels: 4, maxLayers: 8 }), { numRuns: 40, seed: 15 });
    let worst = 0;
    for (const [k, spec] of specs.entries()) {
      const network = seededNetwork(new ReferenceBackend(), spec.explicit, spec.geometry, k);
      const input = randomInput(spec.geometry, k);
      const actual = await runtimeOutput(encodeOnnxModel(network, infoOf(spec.geometry)), input, spec.geometry);
      const difference = maxAbsDifference(actual, xcnnLogits(network, input));
      worst = Math.max(worst, difference);
      expect(difference, spec.canonical).toBeLessThanOrEqual(1e-5);
    }
    console.log(`${specs.length} random specs: max |Δ logits| ${worst.toExponential(1)}`);
  });

  it('with softmax, outputs the probabilities of those logits', async () => {
    const spec = resolveSpec('lenet5', mnist.classes);
    const network = seededNetwork(new ReferenceBackend(), spec, mnist, 5);
    const input = randomInput(mnist, 5);
    const logits = xcnnLogits(network, input);
    const probabilities = await runtimeOutput(encodeOnnxModel(network, infoOf(mnist), { softmax: true }), input, mnist, 'probabilities');
    for (let n = 0; n < BATCH; n++) {
      const row = Array.from(logits.subarray(n * 10, n * 10 + 10));
      const largest = Math.max(...row);
      const total = row.reduce((sum, z) => sum + Math.exp(z - largest), 0);
      for (let c = 0; c < 10; c++) expect(probabilities[n * 10 + c]).toBeCloseTo(Math.exp(row[c] - largest) / total, 6);
    }
  });
});

describe('the exported file', () => {
  const spec = 'conv(4,3,stride=2,pad=1) bn relu maxpool(2) dropout(0.3) flatten linear(5) relu dropout(0.5) linear(3)';
  const geometry: NetworkGeometry = { channels: 2, height: 12, width: 12, classes: 3 };
  const network = seededNetwork(new ReferenceBackend(), spec, geometry, 1);
  const model = decodeOnnxFile(encodeOnnxModel(network, infoOf(geometry)), 'm.onnx');

  it('imports opset 13 of the default domain', () => {
    expect(model.opsetImport?.map((o) => [o.domain ?? '', int64Value(o.version)])).toEqual([['', 13]]);
  });

  it('has one node a layer, named as the layer, and none for dropout', () => {
    expect(model.graph?.node?.map((n) => `${n.name}:${n.opType}`)).toEqual(['conv1:Conv', 'bn1:BatchNormalization', 'relu1:Relu', 'pool1:MaxPool', 'flatten:Flatten', 'fc1:Gemm', 'relu2:Relu', 'fc2:Gemm']);
  });

  it('takes float32 input [N, C, H, W] with a free batch dimension and gives logits [N, classes]', () => {
    const shape = (v: NonNullable<NonNullable<typeof model.graph>['input']>[number]) => v.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || int64Value(d.dimValue));
    expect(model.graph?.input?.map((v) => [v.name, v.type?.tensorType?.elemType, shape(v)])).toEqual([['input', 1, ['N', 2, 12, 12]]]);
    expect(model.graph?.output?.map((v) => [v.name, shape(v)])).toEqual([['logits', ['N', 3]]]);
  });

  it('holds the weights and batch norm\'s running statistics under their state_dict names', () => {
    expect(model.graph?.initializer?.map((t) => t.name)).toEqual(['conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.bias', 'bn1.running_mean', 'bn1.running_var', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
  });

  it('keeps the spec and the class names in metadata_props', () => {
    const metadata = Object.fromEntries(model.metadataProps!.map((e) => [e.key, e.value]));
    expect(metadata.arch).toBe('conv(4,3,stride=2,pad=1) bn relu maxpool(2) dropout(0.3) flatten linear(5) relu dropout(0.5) linear(3)');
    expect(JSON.parse(metadata.class_names!)).toEqual(['class 0', 'class 1', 'class 2']);
    expect(JSON.parse(metadata.geometry!)).toEqual(geometry);
  });
});

describe("the 'xcnn/onnx' entry", () => {
  it('bundles for a browser with esbuild (protobufjs included, no Node built-in needed)', async () => {
    const entry = new URL('../src/onnx/index.ts', import.meta.url).pathname;
    const result = await build({ entryPoints: [entry], bundle: true, platform: 'browser', format: 'esm', target: 'es2022', write: false, logLevel: 'silent' });
    expect(result.errors).toEqual([]);
    const code = new TextDecoder().decode(result.outputFiles[0].contents);
    expect(code).toContain('encodeOnnxModel');
    expect(code).not.toMatch(/from\s*["']node:|require\(["'](fs|path|node:)/);
  });
});
