/**
 * The new kernels at work in whole networks: one training pass (forward in training mode with dropout,
 * softmax cross-entropy, backward) of the spec presets LeNet-5 and 'modern', and of a spec that takes
 * every other path (a stride-2 padded conv, an overlapping max pool, a strided average pool, batch norm
 * after flatten), on the wasm backend (the build XCNN_WASM_BUILD picks) against the TypeScript reference,
 * from the same weights and the same 8 MNIST images; then an evaluation pass with the updated running
 * statistics.
 *
 * Tolerances as test/training-step-parity.test.ts: each gradient tensor within 1e-4 × its layer's largest
 * |gradient| (float32 sums in another order, through several layers; the margin is printed) — the layer's,
 * not the tensor's, because a convolution's bias before a batch norm has a gradient that is zero in exact
 * arithmetic (the norm subtracts the mean), so both backends give rounding noise there — logits within
 * 1e-4 × the largest |logit|, running statistics within 1e-5 × the largest |statistic|.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { BatchLoader, range } from '../src/data/batch.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { trainingPass } from '../src/model/layer.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { createNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { PRESETS } from '../src/model/spec.js';
import { Random } from '../src/random.js';

const mnist = loadDataset();
const wasmBackend = await createWasmBackend();

const SPECS: Record<string, string> = {
  lenet5: PRESETS.lenet5(10),
  modern: PRESETS.modern(10),
  'strided, overlapping, bn after flatten':
    'conv(8,3,stride=2,pad=1) bn relu maxpool(3,stride=2) conv(12,3,pad=2) relu avgpool(3,stride=1) flatten bn dropout(0.3) linear(16) relu linear(10)',
};

function pass(backend: Backend, spec: string) {
  const network = createNetwork(backend, spec, MNIST_GEOMETRY);
  network.initialize(new Random(7));
  const batch = new BatchLoader(backend, mnist.train).load(range(200, 208));
  const head = new SoftmaxCrossEntropy(backend, 10);
  network.zeroGrad();
  const logits = network.forward(batch.input, batch.size, trainingPass(11, 1));
  const trainingLogits = Float32Array.from(logits);
  const loss = head.forward(logits, batch.labels, batch.size, true);
  network.backward(head.dLogits!);
  const evaluationLogits = Float32Array.from(network.forward(batch.input, batch.size));
  return { network, loss, trainingLogits, evaluationLogits, grads: Float32Array.from(network.grads), buffers: Float32Array.from(network.buffers) };
}

const maxAbs = (values: ArrayLike<number>) => Array.prototype.reduce.call(values, (m: number, v: number) => Math.max(m, Math.abs(v)), 0) as number;

/** max |actual − expected| ≤ relative × scale (default max |expected|), printed. */
function expectClose(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, relative: number, scale = maxAbs(expected)): void {
  expect(actual.length, label).toBe(expected.length);
  let worst = 0;
  for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
  console.log(`${label.padEnd(56)} max |Δ| ${worst.toExponential(2)} = ${(worst / (scale || 1)).toExponential(2)} × scale`);
  expect(worst, label).toBeLessThanOrEqual(relative * scale);
}

describe.each(Object.entries(SPECS))('a training pass of %s, wasm against the reference', (name, spec) => {
  const reference = pass(new ReferenceBackend(), spec);
  const wasm = pass(wasmBackend, spec);

  it('gives the same logits in training (dropout masks included) and evaluation, and the same loss', () => {
    expectClose(`${name}: training logits`, wasm.trainingLogits, reference.trainingLogits, 1e-4);
    expectClose(`${name}: evaluation logits`, wasm.evaluationLogits, reference.evaluationLogits, 1e-4);
    expect(Math.abs(wasm.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
  });

  it('gives the same gradient for every parameter tensor and the same running statistics', () => {
    const gradient = (grads: Float32Array, p: { grad: ArrayBufferView & { length: number } }) => {
      const offset = p.grad.byteOffset / 4 - reference.network.grads.byteOffset / 4;
      return grads.subarray(offset, offset + p.grad.length);
    };
    const layerOf = (parameterName: string) => parameterName.slice(0, parameterName.lastIndexOf('.'));
    const layerScale = new Map<string, number>();
    for (const p of reference.network.parameters) {
      layerScale.set(layerOf(p.name), Math.max(layerScale.get(layerOf(p.name)) ?? 0, maxAbs(gradient(reference.grads, p))));
    }
    for (const p of reference.network.parameters) {
      expectClose(`${name}: ${p.name}`, gradient(wasm.grads, p), gradient(reference.grads, p), 1e-4, layerScale.get(layerOf(p.name)));
    }
    for (const b of reference.network.bufferViews) {
      const offset = b.value.byteOffset / 4 - reference.network.buffers.byteOffset / 4;
      expectClose(`${name}: ${b.name}`, wasm.buffers.subarray(offset, offset + b.value.length), reference.buffers.subarray(offset, offset + b.value.length), 1e-5);
    }
  });
});
