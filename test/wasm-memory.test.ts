/**
 * The wasm backend's memory and argument checks: views that stay valid while the memory grows, no
 * allocation once shapes are seen, and an XcnnError — never a stray read or write — for a wrong
 * length, a Float64Array, an array from elsewhere, or a missing kernel module.
 */
import { describe, expect, it } from 'vitest';
import type { Conv2dShape } from '../src/backend/backend.js';
import { kernelsWasmPath, createWasmBackend } from '../src/backend/wasm/node.js';
import { createWasmBackendFromBytes } from '../src/backend/wasm/wasm-backend.js';
import { XcnnError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { randomFloats, wasm } from './wasm-fixtures.js';
import { existsSync } from 'node:fs';

const conv: Conv2dShape = { batch: 2, inChannels: 3, height: 6, width: 5, outChannels: 4, kernelSize: 3 };
const sizes = { input: 2 * 3 * 6 * 5, weight: 4 * 3 * 3 * 3, bias: 4, output: 2 * 4 * 4 * 3 };

describe('WasmBackend memory', () => {
  it('hands out zero-filled, 16-byte-aligned views that stay valid while the memory grows', () => {
    const first = wasm.allocFloats(1001);
    const ints = wasm.allocInts(3);
    expect(first.byteOffset % 16).toBe(0);
    expect(ints.byteOffset % 16).toBe(0);
    expect(first.every((x) => x === 0)).toBe(true);
    first.fill(-2);
    ints.set([1, 2, 3]);

    const before = wasm.memoryInUse;
    const large = wasm.allocFloats(24 * 1024 * 1024); // 96 MiB: more than the memory holds, so it grows
    expect(wasm.memoryInUse - before).toBeGreaterThanOrEqual(large.byteLength);
    expect(large[large.length - 1]).toBe(0);

    expect(first.length).toBe(1001); // not detached
    expect(first[1000]).toBe(-2);
    expect([...ints]).toEqual([1, 2, 3]);
    wasm.reluForward(first, large.subarray(0, 1001)); // old and new views work together in a kernel
    expect(large[0]).toBe(0);
    wasm.reluForward(large.subarray(0, 1001).fill(5), first);
    expect(first[0]).toBe(5);
  });

  it('allocates nothing when a layer step repeats shapes it has seen', () => {
    const random = new Random(1);
    const x = randomFloats(sizes.input, random);
    const w = randomFloats(sizes.weight, random);
    const b = randomFloats(sizes.bias, random);
    const y = wasm.allocFloats(sizes.output);
    const [dw, db, dx] = [wasm.allocFloats(sizes.weight), wasm.allocFloats(sizes.bias), wasm.allocFloats(sizes.input)];
    const step = () => {
      wasm.conv2dForward(conv, x, w, b, y);
      wasm.conv2dBackward(conv, { input: x, weight: w, dOutput: y, dWeight: dw, dBias: db, dInput: dx });
    };
    step();
    const seen = wasm.memoryInUse;
    for (let k = 0; k < 3; k++) step();
    expect(wasm.memoryInUse).toBe(seen);
  });
});

describe('WasmBackend argument checks', () => {
  const random = new Random(2);
  const x = randomFloats(sizes.input, random);
  const w = randomFloats(sizes.weight, random);
  const b = randomFloats(sizes.bias, random);

  it('rejects wrong lengths and bad shapes before touching memory', () => {
    const short = wasm.allocFloats(sizes.output - 1);
    expect(() => wasm.conv2dForward(conv, x, w, b, short)).toThrow(XcnnError);
    expect(short.every((v) => v === 0)).toBe(true);
    const y = wasm.allocFloats(sizes.output);
    expect(() => wasm.conv2dForward({ ...conv, kernelSize: 7 }, x, w, b, y)).toThrow(/does not fit/);
    expect(() => wasm.conv2dForward({ ...conv, batch: 0 }, x, w, b, y)).toThrow(XcnnError);
    expect(() => wasm.conv2dBackward(conv, { input: x, weight: w, dOutput: y, dWeight: w, dBias: b, dInput: wasm.allocFloats(sizes.input + 1) })).toThrow(/dInput|input/);
    const dense = { batch: 2, inFeatures: 3, outFeatures: 4 };
    expect(() => wasm.denseForward(dense, wasm.allocFloats(6), wasm.allocFloats(11), wasm.allocFloats(4), wasm.allocFloats(8))).toThrow(
      /weight has length 11, expected 12/,
    );
    expect(() => wasm.reluForward(wasm.allocFloats(4), wasm.allocFloats(5))).toThrow(XcnnError);
    expect(() => wasm.maxPool2dForward({ batch: 1, channels: 1, height: 1, width: 4 }, wasm.allocFloats(4), wasm.allocFloats(0), wasm.allocInts(0))).toThrow(
      XcnnError,
    );
    const labels = wasm.allocInts(2);
    labels.set([0, 10]);
    expect(() => wasm.softmaxCrossEntropy(2, 10, wasm.allocFloats(20), labels, wasm.allocFloats(20), null)).toThrow(/label 10/);
    const hp = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1 };
    expect(() => wasm.adamUpdate(wasm.allocFloats(4), wasm.allocFloats(4), wasm.allocFloats(4), wasm.allocFloats(3), hp)).toThrow(XcnnError);
  });

  it('rejects a GEMM whose matrices do not fit their arrays or strides', () => {
    const A = wasm.allocFloats(12);
    const B = wasm.allocFloats(12);
    const C = wasm.allocFloats(9);
    expect(() => wasm.gemm(false, false, 3, 3, 4, A, 4, B, 3, C, 3, false)).not.toThrow();
    expect(() => wasm.gemm(false, false, 3, 3, 4, A, 3, B, 3, C, 3, false)).toThrow(/row stride of A/);
    expect(() => wasm.gemm(false, false, 3, 3, 4, A, 5, B, 3, C, 3, false)).toThrow(/A \(3×4, row stride 5\) needs 14 floats/);
    expect(() => wasm.gemm(true, true, 3, 3, 5, A, 3, B, 5, C, 3, false)).toThrow(XcnnError);
    expect(() => wasm.gemm(false, false, 3, 3, 4, A, 4, B, 3, C, 4, false)).toThrow(/C \(3×3, row stride 4\) needs 11 floats/);
    expect(() => wasm.gemm(false, false, 0, 3, 4, A, 4, B, 3, C, 3, false)).toThrow(/M must be a positive integer/);
  });

  it('rejects a Float64Array: the wasm backend computes in float32', () => {
    const y = wasm.allocFloats(sizes.output);
    expect(() => wasm.conv2dForward(conv, new Float64Array(sizes.input), w, b, y)).toThrow(/input is a Float64Array.*float32/);
    expect(() => wasm.reluForward(new Float64Array(4), wasm.allocFloats(4))).toThrow(XcnnError);
  });

  it('rejects arrays that are not in its memory, and accepts subarrays of its own', async () => {
    const y = wasm.allocFloats(sizes.output);
    expect(() => wasm.conv2dForward(conv, x, new Float32Array(sizes.weight), b, y)).toThrow(/weight is not in this wasm backend's memory/);
    const other = await createWasmBackend({ maximumBytes: 64 * 1024 * 1024 });
    expect(() => wasm.conv2dForward(conv, x, w, other.allocFloats(sizes.bias), y)).toThrow(/bias is not in this wasm backend's memory/);
    expect(() => wasm.maxPool2dForward({ batch: 1, channels: 1, height: 2, width: 2 }, wasm.allocFloats(4), wasm.allocFloats(1), new Int32Array(1))).toThrow(
      /argmax is not in this wasm backend's memory/,
    );
    const pool = wasm.allocFloats(sizes.weight + sizes.bias + 3);
    pool.set(w, 1);
    pool.set(b, 1 + sizes.weight);
    const expected = wasm.allocFloats(sizes.output);
    wasm.conv2dForward(conv, x, w, b, expected);
    wasm.conv2dForward(conv, x, pool.subarray(1, 1 + sizes.weight), pool.subarray(1 + sizes.weight, 1 + sizes.weight + sizes.bias), y);
    expect(y).toEqual(expected);
  });

  it('reports a missing or broken kernel module as an XcnnError naming the fix', async () => {
    expect(kernelsWasmPath()).toMatch(/build[/\\]kernels\.wasm$/);
    expect(existsSync(kernelsWasmPath())).toBe(true);
    await expect(createWasmBackendFromBytes(new Uint8Array([0, 97, 115, 109]))).rejects.toThrow(/npm run build:wasm/);
  });
});
