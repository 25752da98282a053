/**
 * Edges of the reference kernels that the layer tests do not reach (found by the backend group's mutation run):
 * ReLU of −0 is +0, as PyTorch's and the wasm kernel's max(x, 0) give it; batch norm's running variance from a
 * single value (M = 1) moves toward that value's variance, 0 — PyTorch's unbiased M/(M − 1) would divide by zero.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';

const reference = new ReferenceBackend({ precision: 'float32' });

describe('reference kernels at their edges', () => {
  it('reluForward gives +0 for −0, as the wasm kernel does', async () => {
    const input = Float32Array.of(-0, 0, -1, 2);
    const output = new Float32Array(4).fill(9);
    reference.reluForward(input, output);
    expect(Object.is(output[0], 0)).toBe(true);
    expect(Array.from(output)).toEqual([0, 0, 0, 2]);
    const wasm = await createWasmBackend();
    const [x, y] = [wasm.allocFloats(4), wasm.allocFloats(4)];
    x.set(input);
    wasm.reluForward(x, y);
    expect(Object.is(y[0], 0)).toBe(true);
  });

  it('batchNormForward in training on one value a channel moves the running variance toward 0, not NaN', () => {
    const state = {
      gamma: Float32Array.of(1),
      beta: Float32Array.of(0),
      runningMean: Float32Array.of(0.5),
      runningVar: Float32Array.of(2),
      training: true,
      momentum: 0.25,
      epsilon: 1e-5,
      savedMean: new Float32Array(1),
      savedInvStd: new Float32Array(1),
    };
    const output = new Float32Array(1);
    reference.batchNormForward({ batch: 1, channels: 1, positions: 1 }, Float32Array.of(3), output, state);
    expect(state.runningVar[0]).toBe(Math.fround(0.75 * 2 + 0.25 * 0)); // the batch's variance of one value is 0
    expect(state.runningMean[0]).toBe(Math.fround(0.75 * 0.5 + 0.25 * 3));
    expect(output[0]).toBe(0); // (3 − 3)/√(0 + ε)
  });
});
