/**
 * The conv + ReLU + max-pool fusion (conv1's epilogue in the paper network): bias, ReLU and the 2×2 max
 * pool with its argmax in the pass after each image's GEMM. It must be the unfused path bit for bit —
 * the pool's output and argmax, the rectified output the ReLU keeps for backward, and so every gradient:
 *
 * - the wasm kernel (whichever build XCNN_WASM_BUILD picks) against the same backend's two kernels,
 *   conv2dReluForward then maxPool2dForward, on integer-valued images and weights, so that ties inside a
 *   window (first maximum wins) and windows of zeros after the ReLU are common;
 * - at the layer level, Conv2d with fusePool → ReLU with inputRectified → MaxPool2d with inputPooled against
 *   the plain Conv2d → ReLU → MaxPool2d, forward and backward, on the wasm backend, the reference and a
 *   backend without the fused method (the fallback).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend, Conv2dShape } from '../src/backend/backend.js';
import { convOutputPool, convOutputSize } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { Conv2d } from '../src/model/conv2d.js';
import { MaxPool2d } from '../src/model/maxpool2d.js';
import { Network } from '../src/model/network.js';
import { ReLU } from '../src/model/relu.js';
import { Random } from '../src/random.js';
import { EXACT, expectParity } from './parity.js';
import { wasm } from './wasm-fixtures.js';

interface Case extends Conv2dShape {
  seed: number;
}

// Outputs of at least 2×2 (the pool's minimum), odd and even, so floor mode drops a row or column.
const cases: fc.Arbitrary<Case> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    inChannels: fc.integer({ min: 1, max: 3 }),
    outChannels: fc.integer({ min: 1, max: 9 }),
    kernelSize: fc.integer({ min: 1, max: 3 }),
    outHeight: fc.integer({ min: 2, max: 13 }),
    outWidth: fc.integer({ min: 2, max: 19 }),
    seed: fc.integer(),
  })
  .map(({ outHeight, outWidth, ...c }) => ({ ...c, height: outHeight + c.kernelSize - 1, width: outWidth + c.kernelSize - 1 }));

const sizes = (c: Conv2dShape) => {
  const pool = convOutputPool(c);
  return {
    input: c.batch * c.inChannels * c.height * c.width,
    weight: c.outChannels * c.inChannels * c.kernelSize ** 2,
    output: c.batch * c.outChannels * pool.height * pool.width,
    pooled: c.batch * c.outChannels * (pool.height >> 1) * (pool.width >> 1),
  };
};

/** A wasm-owned array of integers in [−2, 2]: sums of their products are exact, so maxima tie often. */
function smallIntegers(length: number, random: Random): Float32Array {
  const array = wasm.allocFloats(length);
  for (let i = 0; i < length; i++) array[i] = random.int(5) - 2;
  return array;
}

function checkKernel({ seed, ...c }: Case): void {
  const random = new Random(seed);
  const n = sizes(c);
  const [input, weight, bias] = [smallIntegers(n.input, random), smallIntegers(n.weight, random), smallIntegers(c.outChannels, random)];
  const run = (fused: boolean) => {
    const [output, pooled, argmax] = [wasm.allocFloats(n.output), wasm.allocFloats(n.pooled), wasm.allocInts(n.pooled)];
    if (fused) wasm.conv2dReluMaxPoolForward(c, input, weight, bias, output, pooled, argmax);
    else {
      wasm.conv2dReluForward(c, input, weight, bias, output);
      wasm.maxPool2dForward(convOutputPool(c), output, pooled, argmax);
    }
    return { output, pooled, argmax };
  };
  const [fused, unfused] = [run(true), run(false)];
  expectParity('fused rectified output', fused.output, unfused.output, EXACT);
  expectParity('fused pooled output', fused.pooled, unfused.pooled, EXACT);
  expect(Array.from(fused.argmax)).toEqual(Array.from(unfused.argmax));
}

/** A reference backend without the optional fused method: Conv2d must fall back to the separate kernels. */
function referenceWithoutFusion(): Backend {
  const backend = new ReferenceBackend({ precision: 'float32' });
  Object.defineProperty(backend, 'conv2dReluMaxPoolForward', { value: undefined });
  return backend;
}

function checkLayers(backend: Backend, c: Case): void {
  const build = (fuse: boolean) => {
    const convOutput: [number, number, number] = [c.outChannels, convOutputSize(c.height, c.kernelSize), convOutputSize(c.width, c.kernelSize)];
    const pool = new MaxPool2d(backend, 'pool', convOutput, { inputPooled: fuse });
    const conv = new Conv2d(backend, 'conv', [c.inChannels, c.height, c.width], c.outChannels, c.kernelSize, { fuseRelu: fuse, fusePool: fuse ? pool : undefined });
    const relu = new ReLU(backend, 'relu', conv.outputShape, { inputRectified: fuse });
    return { network: new Network(backend, [conv, relu, pool]), relu };
  };
  const fused = build(true);
  const plain = build(false);
  fused.network.initialize(new Random(c.seed));
  plain.network.params.set(fused.network.params);

  const random = new Random(c.seed ^ 0x2545f491);
  const n = sizes(c);
  const input = backend.allocFloats(n.input);
  for (let k = 0; k < n.input; k++) input[k] = random.uniform(-1, 1);
  const dOutput = Float32Array.from({ length: n.pooled }, () => random.uniform(-1, 1));

  const results = [fused, plain].map(({ network, relu }) => {
    network.zeroGrad();
    const output = Array.from(network.forward(input, c.batch));
    const activations = Array.from(relu.activations());
    const d = backend.allocFloats(n.pooled);
    d.set(dOutput);
    const dInput = Array.from(network.backwardToInput(d));
    return { output, activations, grads: Array.from(network.grads), dInput };
  });
  expectParity('fused pooled output', results[0].output, results[1].output, EXACT);
  expectParity('fused activations', results[0].activations, results[1].activations, EXACT);
  expectParity('fused parameter gradients', results[0].grads, results[1].grads, EXACT);
  expectParity('fused input gradient', results[0].dInput, results[1].dInput, EXACT);
}

describe('conv2dReluMaxPoolForward (wasm)', () => {
  it('is conv2dReluForward then maxPool2dForward, bit for bit: output, pooled output and argmax (first maximum on ties)', () => {
    fc.assert(fc.property(cases, checkKernel), { numRuns: 100 });
  });

  it("is exact on the paper network's conv1 at batch 4", () => {
    checkKernel({ batch: 4, inChannels: 1, height: 28, width: 28, outChannels: 32, kernelSize: 3, seed: 11 });
  });

  it('checks the pooled output and argmax it is given', () => {
    const c: Conv2dShape = { batch: 1, inChannels: 1, height: 6, width: 6, outChannels: 2, kernelSize: 3 };
    const n = sizes(c);
    const [input, weight, bias, output] = [wasm.allocFloats(n.input), wasm.allocFloats(n.weight), wasm.allocFloats(2), wasm.allocFloats(n.output)];
    expect(() => wasm.conv2dReluMaxPoolForward(c, input, weight, bias, output, wasm.allocFloats(n.pooled + 1), wasm.allocInts(n.pooled))).toThrow(XcnnError);
    expect(() => wasm.conv2dReluMaxPoolForward(c, input, weight, bias, output, wasm.allocFloats(n.pooled), new Int32Array(n.pooled))).toThrow(/not in this wasm backend's memory/);
  });
});

describe('Conv2d with fusePool → ReLU with inputRectified → MaxPool2d with inputPooled', () => {
  it('is the plain Conv2d → ReLU → MaxPool2d, bit for bit, on the wasm backend', () => {
    fc.assert(fc.property(cases, (c) => checkLayers(wasm, c)), { numRuns: 60 });
  });

  it('is the plain Conv2d → ReLU → MaxPool2d, bit for bit, on the reference backend', () => {
    fc.assert(fc.property(cases, (c) => checkLayers(new ReferenceBackend({ precision: 'float32' }), c)), { numRuns: 20 });
  });

  it('falls back to the separate kernels on a backend without conv2dReluMaxPoolForward', () => {
    const backend = referenceWithoutFusion();
    expect(backend.conv2dReluMaxPoolForward).toBeUndefined();
    fc.assert(fc.property(cases, (c) => checkLayers(backend, c)), { numRuns: 20 });
  });

  it('refuses a pool that does not take its output, or was not built to be fused', () => {
    const backend = new ReferenceBackend();
    const notPooled = new MaxPool2d(backend, 'pool', [2, 4, 4]);
    const wrongShape = new MaxPool2d(backend, 'pool', [2, 5, 4], { inputPooled: true });
    expect(() => new Conv2d(backend, 'conv', [1, 6, 6], 2, 3, { fuseRelu: true, fusePool: notPooled })).toThrow(XcnnError);
    expect(() => new Conv2d(backend, 'conv', [1, 6, 6], 2, 3, { fuseRelu: true, fusePool: wrongShape })).toThrow(/fusePool/);
    const pool = new MaxPool2d(backend, 'pool', [2, 4, 4], { inputPooled: true });
    expect(() => new Conv2d(backend, 'conv', [1, 6, 6], 2, 3, { fusePool: pool })).toThrow(/needs fuseRelu/);
  });
});
