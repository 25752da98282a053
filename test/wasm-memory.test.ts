/**
 * The wasm backend's memory and argument checks: views that stay valid while the memory grows, no
 * allocation once shapes are seen, freed blocks reused by their size class (zero-filled), a full memory
 * that stays usable, a disposed backend that refuses every use, and an XcnnError — never a stray read or
 * write — for a wrong length, a Float64Array, an array from elsewhere, or a missing kernel module.
 */
import { describe, expect, it } from 'vitest';
import type { Conv2dShape } from '../src/backend/backend.js';
import { kernelsWasmPath, createWasmBackend } from '../src/backend/wasm/node.js';
import { sizeClass } from '../src/backend/wasm/arena.js';
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

    const before = wasm.memoryStats().usedBytes;
    const large = wasm.allocFloats(24 * 1024 * 1024); // 96 MiB: more than the memory holds, so it grows
    expect(wasm.memoryStats().usedBytes - before).toBeGreaterThanOrEqual(large.byteLength);
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
    const seen = wasm.memoryStats();
    for (let k = 0; k < 3; k++) step();
    expect(wasm.memoryStats()).toEqual(seen);
  });

  it('hands a freed block to the next request of its size class, zero-filled, without growing', () => {
    const first = wasm.allocFloats(1000).fill(7);
    const { usedBytes, highWaterBytes } = wasm.memoryStats();
    wasm.free(first);
    expect(wasm.memoryStats().usedBytes).toBeLessThan(usedBytes);
    const again = wasm.allocFloats(990); // 3,960 bytes: the same class as 4,000 (3,968 … 4,096)
    expect(again.byteOffset).toBe(first.byteOffset);
    expect(again.every((x) => x === 0)).toBe(true);
    expect(wasm.memoryStats()).toMatchObject({ usedBytes, highWaterBytes });
  });

  it('rounds a request up to its class by less than 1/8, each class one size, over the whole 4 GiB', () => {
    // Every 16-byte step from 16 bytes to 1 MiB, then powers of two and their neighbours up to 4 GiB.
    const requests = Array.from({ length: 65536 }, (_, k) => 16 * (k + 1));
    for (let p = 20; p < 32; p++) requests.push(2 ** p - 16, 2 ** p, 2 ** p + 16);
    requests.push(2 ** 32 - 16);
    const sizeOf = new Map<number, number>();
    const wrong: string[] = [];
    let previous = -1;
    for (const bytes of requests) {
      const { index, blockBytes } = sizeClass(bytes);
      if (blockBytes < bytes || blockBytes > Math.max(16, (bytes * 9) / 8)) wrong.push(`${bytes} bytes → a block of ${blockBytes}`);
      if (index < previous) wrong.push(`${bytes} bytes → class ${index}, below the previous request's ${previous}`);
      if ((sizeOf.get(index) ?? blockBytes) !== blockBytes) wrong.push(`class ${index} is ${sizeOf.get(index)} and ${blockBytes} bytes`);
      sizeOf.set(index, blockBytes);
      previous = index;
    }
    expect(wrong).toEqual([]);
    expect(previous).toBe(207); // 16 exact classes, then 8 for each of 24 doublings
    expect(sizeOf.get(16)).toBe(288); // the first rounded class: 17 and 18 units of 16 bytes
  });

  it('refuses to free an array twice, or a subarray, in one line naming the fix', () => {
    const array = wasm.allocFloats(64);
    expect(() => wasm.free(array.subarray(4))).toThrow(/nothing allocated starts at byte \d+ \(freed already, or a subarray\); free the array allocFloats returned, once/);
    wasm.free(array);
    expect(() => wasm.free(array)).toThrow(/freed already/);
    expect(() => wasm.free(new Float32Array(4))).toThrow(/not in this backend's memory/);
    expect(() => wasm.free(new Float32Array(4))).toThrow(expect.objectContaining({ code: 'ERR_BAD_ARGUMENT' }));
  });

  it('stays usable after a request it cannot hold: a later one that fits still succeeds', async () => {
    const small = await createWasmBackend({ maximumBytes: 64 * 1024 * 1024 });
    const before = small.memoryStats();
    expect(() => small.allocFloats(20 * 1024 * 1024)).toThrow(/memory is full: \d+ bytes needed, 67108864 available; dispose\(\) the networks you no longer use/);
    expect(() => small.allocFloats(20 * 1024 * 1024)).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_MEMORY', exitCode: 1 }));
    expect(small.memoryStats()).toEqual(before); // the failed request moved nothing
    for (let k = 0; k < 3; k++) expect(small.allocFloats(1024 * 1024).length).toBe(1024 * 1024);
  });

  it('refuses every use once disposed, in one line; disposing twice and freeing afterwards do nothing', async () => {
    const backend = await createWasmBackend({ maximumBytes: 64 * 1024 * 1024 });
    const x = backend.allocFloats(4);
    const y = backend.allocFloats(4);
    backend.dispose();
    const disposed = /^this wasm backend was disposed \(dispose\(\) let go of its memory\); create a new backend and load the model on it$/;
    expect(() => backend.reluForward(x, y)).toThrow(disposed);
    expect(() => backend.allocFloats(4)).toThrow(disposed);
    expect(() => backend.memoryStats()).toThrow(disposed);
    expect(() => backend.shared).toThrow(disposed);
    expect(() => backend.dispose()).not.toThrow();
    expect(() => backend.free(x)).not.toThrow();
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
