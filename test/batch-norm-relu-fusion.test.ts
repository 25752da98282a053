/**
 * The batch norm + ReLU fusion at the layer level: a BatchNorm with `fuseRelu` followed by a ReLU with
 * `inputRectified` is the same function as the plain BatchNorm → ReLU pair — the same outputs, activations,
 * running statistics, parameter gradients and input gradient, bit for bit, in training and in evaluation —
 * on the wasm backend (whichever build XCNN_WASM_BUILD picks), on the reference, and on a backend that
 * lacks batchNormReluForward (the fallback).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { BatchNorm } from '../src/model/batch-norm.js';
import { EVALUATION, trainingPass } from '../src/model/layer.js';
import { Network } from '../src/model/network.js';
import { ReLU } from '../src/model/relu.js';
import { Random } from '../src/random.js';
import { EXACT, expectParity } from './parity.js';
import { wasm } from './wasm-fixtures.js';

/** A reference backend without the optional fused method: BatchNorm must fall back to the two kernels. */
function referenceWithoutFusion(): Backend {
  const backend = new ReferenceBackend({ precision: 'float32' });
  Object.defineProperty(backend, 'batchNormReluForward', { value: undefined });
  return backend;
}

interface Case {
  batch: number;
  shape: number[]; // [C, H, W] or [F]
  training: boolean;
  seed: number;
}

const cases: fc.Arbitrary<Case> = fc.record({
  batch: fc.integer({ min: 1, max: 4 }),
  shape: fc.oneof(
    fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 })).map((s) => [...s]),
    fc.integer({ min: 1, max: 9 }).map((f) => [f]),
  ),
  training: fc.boolean(),
  seed: fc.integer(),
});

function checkFusedLayers(backend: Backend, c: Case): void {
  const build = (fuse: boolean) => {
    const bn = new BatchNorm(backend, 'bn', c.shape, { fuseRelu: fuse });
    const relu = new ReLU(backend, 'relu', bn.outputShape, { inputRectified: fuse });
    return { network: new Network(backend, [bn, relu]), relu };
  };
  const fused = build(true);
  const plain = build(false);
  const random = new Random(c.seed);
  for (const { network } of [fused, plain]) {
    // γ, β and the running statistics the same random values on both, so that ReLU has something to cut.
    const values = new Random(c.seed ^ 0x1234);
    for (let k = 0; k < network.params.length; k++) network.params[k] = values.uniform(-1.5, 1.5);
    for (let k = 0; k < network.buffers.length; k++) network.buffers[k] = values.uniform(0.5, 2);
  }
  const inputLength = c.batch * c.shape.reduce((a, b) => a * b, 1);
  const input = backend.allocFloats(inputLength);
  for (let k = 0; k < inputLength; k++) input[k] = random.uniform(-1, 1);
  const dOutput = Float32Array.from({ length: inputLength }, () => random.uniform(-1, 1));
  const mode = c.training ? trainingPass(1, 1) : EVALUATION;

  const results = [fused, plain].map(({ network, relu }) => {
    network.zeroGrad();
    const output = Array.from(network.forward(input, c.batch, mode));
    const activations = Array.from(relu.activations());
    const d = backend.allocFloats(inputLength);
    d.set(dOutput);
    const dInput = Array.from(network.backwardToInput(d));
    return { output, activations, buffers: Array.from(network.buffers), grads: Array.from(network.grads), dInput };
  });
  expectParity('fused output', results[0].output, results[1].output, EXACT);
  expectParity('fused activations', results[0].activations, results[1].activations, EXACT);
  expectParity('fused running statistics', results[0].buffers, results[1].buffers, EXACT);
  expectParity('fused parameter gradients', results[0].grads, results[1].grads, EXACT);
  expectParity('fused input gradient', results[0].dInput, results[1].dInput, EXACT);
}

describe('BatchNorm with fuseRelu → ReLU with inputRectified', () => {
  it('is the plain BatchNorm → ReLU pair, bit for bit, on the wasm backend', () => {
    fc.assert(fc.property(cases, (c) => checkFusedLayers(wasm, c)), { numRuns: 80 });
  });

  it('is the plain BatchNorm → ReLU pair, bit for bit, on the reference backend', () => {
    fc.assert(fc.property(cases, (c) => checkFusedLayers(new ReferenceBackend({ precision: 'float32' }), c)), { numRuns: 30 });
  });

  it('falls back to batchNormForward then reluForward on a backend without batchNormReluForward', () => {
    const backend = referenceWithoutFusion();
    expect(backend.batchNormReluForward).toBeUndefined();
    fc.assert(fc.property(cases, (c) => checkFusedLayers(backend, c)), { numRuns: 30 });
  });
});
