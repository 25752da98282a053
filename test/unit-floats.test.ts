/**
 * A batch's pixels become floats in [0, 1] as byte / 255. The wasm backend scales them itself
 * (Backend.unitFloatsFromBytes: sixteen bytes a step, one float32 divide each), and BatchLoader gives it the batch's
 * bytes to do so. What must hold is that the floats are those JavaScript's `byte / 255` (a float64 divide, rounded
 * to float32 as it is stored) gives — for each of the 256 byte values, at any length and offset, on both builds —
 * so every batch is fillBatch's bit for bit, and that the bytes' buffer is taken once, not at every load.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { createBackend } from '../src/backend/select.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { BatchLoader } from '../src/data/batch.js';
import { fillBatch, type ImageSet } from '../src/data/dataset.js';
import { BatchBuffer } from '../src/model/layer.js';
import { Workspace } from '../src/model/workspace.js';

const builds = await Promise.all((['simd', 'relaxed-simd'] as const).map((build) => createWasmBackend({ build })));
const [backend] = builds;

/** `values` as bytes in the backend's memory (a view of an allocInts array), with `after` bytes of 7 past them. */
function bytesIn(b: typeof backend, values: ArrayLike<number>, after = 0): Uint8Array {
  const ints = b.allocInts(Math.ceil((values.length + after) / 4) + 1);
  const all = new Uint8Array(ints.buffer, ints.byteOffset, values.length + after).fill(7);
  all.set(values);
  return all.subarray(0, values.length);
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe('pixels scaled to [0, 1] by the wasm backend', () => {
  it('gives every byte value the float32 of JavaScript\'s byte / 255, on both builds', () => {
    for (const b of builds) {
      const values = Array.from({ length: 256 }, (_, k) => k);
      const out = b.allocFloats(256);
      b.unitFloatsFromBytes(bytesIn(b, values), out);
      expect(bits(out), b.build).toEqual(bits(Float32Array.from(values, (v) => v / 255)));
    }
  });

  it('at any length and start, writing nothing past the floats asked for', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 70 }), fc.integer({ min: 0, max: 3 }), (values, skip) => {
        const bytes = bytesIn(backend, [...new Array(skip).fill(0), ...values]).subarray(skip);
        const floats = backend.allocFloats(values.length + 4).fill(-1);
        backend.unitFloatsFromBytes(bytes, floats.subarray(0, values.length));
        expect(bits(floats.subarray(0, values.length))).toEqual(bits(Float32Array.from(values, (v) => v / 255)));
        expect(Array.from(floats.subarray(values.length))).toEqual([-1, -1, -1, -1]);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses bytes or floats that are not its own, or lengths that differ, naming them', () => {
    const out = backend.allocFloats(4);
    expect(() => backend.unitFloatsFromBytes(new Uint8Array(4), out)).toThrow(/unitFloatsFromBytes: bytes is not in this wasm backend's memory: allocate it with this backend's allocInts/);
    expect(() => backend.unitFloatsFromBytes(new Uint16Array(4) as unknown as Uint8Array, out)).toThrow(expect.objectContaining({ code: 'ERR_BAD_ARGUMENT', message: expect.stringMatching(/unitFloatsFromBytes: bytes is a Uint16Array, not a Uint8Array/) }));
    expect(() => backend.unitFloatsFromBytes(bytesIn(backend, [1, 2, 3, 4]), new Float32Array(4))).toThrow(/unitFloatsFromBytes: out is not in this wasm backend's memory/);
    expect(() => backend.unitFloatsFromBytes(bytesIn(backend, [1, 2, 3]), out)).toThrow(expect.objectContaining({ code: 'ERR_BAD_ARGUMENT', message: 'unitFloatsFromBytes: out holds 4 floats for 3 bytes; give one float a byte' }));
  });
});

describe('BatchLoader on a backend that scales pixels itself', () => {
  const sets = fc.record({ count: fc.integer({ min: 1, max: 12 }), channels: fc.constantFrom(1, 3), side: fc.integer({ min: 1, max: 9 }), seed: fc.integer() }).map(({ count, channels, side, seed }): ImageSet => {
    const images = new Uint8Array(count * channels * side * side).map((_, k) => (k * 131 + seed) & 255);
    return { count, channels, height: side, width: side, images, labels: Int32Array.from({ length: count }, (_, k) => (k + seed) % 10) };
  });

  it("loads fillBatch's floats and labels bit for bit, for any indices, in their order", () => {
    fc.assert(
      fc.property(sets.chain((set) => fc.record({ set: fc.constant(set), indices: fc.array(fc.integer({ min: 0, max: set.count - 1 }), { minLength: 1, maxLength: 20 }) })), ({ set, indices }) => {
        const loaded = new BatchLoader(backend, set).load(indices);
        const pixels = (set.channels ?? 1) * set.height * set.width;
        const expected = new Float32Array(indices.length * pixels);
        const labels = new Int32Array(indices.length);
        fillBatch(set, indices, expected, labels);
        expect(loaded.size).toBe(indices.length);
        expect(bits(loaded.input as Float32Array)).toEqual(bits(expected));
        expect(Array.from(loaded.labels)).toEqual(Array.from(labels));
      }),
      { numRuns: 60 },
    );
  });

  it('scales on the backend, the batch\'s bytes in its memory; or by fillBatch when given no buffer for the bytes', () => {
    const set: ImageSet = { count: 3, height: 2, width: 2, images: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), labels: Int32Array.of(7, 8, 9) };
    const scale = vi.spyOn(backend, 'unitFloatsFromBytes');
    const loaded = new BatchLoader(backend, set).load([2, 0]);
    expect(scale).toHaveBeenCalledTimes(1);
    const [bytes, out] = scale.mock.calls[0];
    expect([Array.from(bytes), out]).toEqual([[9, 10, 11, 12, 1, 2, 3, 4], loaded.input]);
    expect(backend.owns(bytes)).toBe(true);
    scale.mockClear();
    const noBytes = new BatchLoader(backend, set, { input: BatchBuffer.floats(backend, 4), labels: BatchBuffer.ints(backend, 1) }).load([2, 0]);
    expect(scale).not.toHaveBeenCalled();
    expect(bits(noBytes.input as Float32Array)).toEqual(bits(loaded.input as Float32Array));
    expect(Array.from(noBytes.labels)).toEqual([9, 7]);
    scale.mockRestore();
  });

  it('copies the float inputs of a set that has them, and scales by fillBatch on a backend without the kernel', async () => {
    const set: ImageSet = { count: 2, height: 2, width: 2, images: Uint8Array.of(0, 255, 0, 255, 9, 9, 9, 9), labels: Int32Array.of(3, 4), inputs: Float32Array.of(0.5, 1, 0.25, 0, -1, 2, 3, 4) };
    expect(Array.from(new BatchLoader(backend, set).load([1, 0]).input)).toEqual([-1, 2, 3, 4, 0.5, 1, 0.25, 0]);
    const reference = await createBackend('ts');
    expect(reference.unitFloatsFromBytes).toBeUndefined();
    const bytesOnly = { ...set, inputs: undefined };
    expect(bits(new BatchLoader(reference, bytesOnly).load([0, 1]).input as Float32Array)).toEqual(bits(new BatchLoader(backend, bytesOnly).load([0, 1]).input as Float32Array));
  });

  it("keeps its bytes in the workspace's buffers: loaders made again and again take no more memory", () => {
    const set: ImageSet = { count: 64, height: 28, width: 28, images: new Uint8Array(64 * 784).map((_, k) => k & 255), labels: new Int32Array(64) };
    const workspace = new Workspace(backend);
    const indices = Array.from({ length: 64 }, (_, k) => 63 - k);
    BatchLoader.inWorkspace(workspace, 'predict', set).load(indices);
    const before = backend.memoryStats().usedBytes;
    for (let k = 0; k < 5; k++) BatchLoader.inWorkspace(workspace, 'predict', set).load(indices);
    expect(backend.memoryStats().usedBytes).toBe(before);
    workspace.dispose();
  });
});
