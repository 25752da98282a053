/**
 * The conv + ReLU fusion at the layer level: a Conv2d with `fuseRelu` followed by a ReLU with
 * `inputRectified` is the same function as the plain Conv2d → ReLU pair — the same outputs, activations,
 * parameter gradients and input gradient, bit for bit — on the wasm backend (whichever build
 * XCNN_WASM_BUILD picks), on the reference, and on a backend that lacks conv2dReluForward (the fallback).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { Conv2d } from '../src/model/conv2d.js';
import { Network } from '../src/model/network.js';
import { ReLU } from '../src/model/relu.js';
import { Random } from '../src/random.js';
import { EXACT, expectParity } from './parity.js';
import { wasm } from './wasm-fixtures.js';

/** A reference backend without the optional fused method: Conv2d must fall back to the two kernels. */
function referenceWithoutFusion(): Backend {
  const backend = new ReferenceBackend({ precision: 'float32' });
  Object.defineProperty(backend, 'conv2dReluForward', { value: undefined });
  return backend;
}

interface Case {
  batch: number;
  channels: number;
  height: number;
  width: number;
  outChannels: number;
  kernelSize: number;
  seed: number;
}

const cases: fc.Arbitrary<Case> = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  channels: fc.integer({ min: 1, max: 3 }),
  height: fc.integer({ min: 3, max: 12 }),
  width: fc.integer({ min: 3, max: 12 }),
  outChannels: fc.integer({ min: 1, max: 9 }),
  kernelSize: fc.integer({ min: 1, max: 3 }),
  seed: fc.integer(),
});

function checkFusedLayers(backend: Backend, c: Case): void {
  const build = (fuse: boolean) => {
    const conv = new Conv2d(backend, 'conv', [c.channels, c.height, c.width], c.outChannels, c.kernelSize, { fuseRelu: fuse });
    const relu = new ReLU(backend, 'relu', conv.outputShape, { inputRectified: fuse });
    return { network: new Network(backend, [conv, relu]), relu };
  };
  const fused = build(true);
  const plain = build(false);
  fused.network.initialize(new Random(c.seed));
  plain.network.params.set(fused.network.params);
  expect(fused.relu.outputShape).toEqual(plain.relu.outputShape);

  const random = new Random(c.seed ^ 0x5f3759df);
  const inputLength = c.batch * c.channels * c.height * c.width;
  const input = backend.allocFloats(inputLength);
  for (let k = 0; k < inputLength; k++) input[k] = random.uniform(-1, 1);
  const outputLength = c.batch * fused.relu.outputShape.reduce((a, b) => a * b, 1);
  const dOutput = Float32Array.from({ length: outputLength }, () => random.uniform(-1, 1));

  const results = [fused, plain].map(({ network, relu }) => {
    network.zeroGrad();
    const output = Array.from(network.forward(input, c.batch));
    const activations = Array.from(relu.activations());
    const d = backend.allocFloats(outputLength);
    d.set(dOutput);
    const dInput = Array.from(network.backwardToInput(d));
    return { output, activations, grads: Array.from(network.grads), dInput };
  });
  expectParity('fused output', results[0].output, results[1].output, EXACT);
  expectParity('fused activations', results[0].activations, results[1].activations, EXACT);
  expectParity('fused parameter gradients', results[0].grads, results[1].grads, EXACT);
  expectParity('fused input gradient', results[0].dInput, results[1].dInput, EXACT);
}

describe('Conv2d with fuseRelu → ReLU with inputRectified', () => {
  it('is the plain Conv2d → ReLU pair, bit for bit, on the wasm backend', () => {
    fc.assert(fc.property(cases, (c) => checkFusedLayers(wasm, c)), { numRuns: 60 });
  });

  it('is the plain Conv2d → ReLU pair, bit for bit, on the reference backend', () => {
    fc.assert(fc.property(cases, (c) => checkFusedLayers(new ReferenceBackend({ precision: 'float32' }), c)), { numRuns: 30 });
  });

  it('falls back to conv2dForward then reluForward on a backend without conv2dReluForward', () => {
    const backend = referenceWithoutFusion();
    expect(backend.conv2dReluForward).toBeUndefined();
    fc.assert(fc.property(cases, (c) => checkFusedLayers(backend, c)), { numRuns: 30 });
  });
});
