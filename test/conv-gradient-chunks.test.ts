/**
 * A convolution's parameter gradients summed a chunk of images at a time — what a training pass's first block
 * needs (src/model/first-block.ts) — on the wasm backend:
 *   - WasmBackend.convGradientChunks gives, bit for bit, the dWeight and dBias of one conv2dBackward over the whole
 *     batch, however the batch is cut into chunks, from gradients that already hold something, on each of the
 *     backward's image-by-image paths (the direct kernel, the GEMM into dW, the transposed sum of a patch narrower
 *     than the filters), and batch after batch;
 *   - it refuses the convolutions it cannot split so (Winograd, grouped strided GEMMs), and misuse;
 *   - under it, the kernels biasGradientChunk and finishBiasGradient give accumulateBiasGradient's sums bit for bit,
 *     and accumulateBiasGradient agrees with the float64 sum of its terms.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape, Floats } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { usesDirectWeightGradient } from '../src/backend/wasm/wasm-backend.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';

const backend = await createWasmBackend();

function floats(length: number, random: Random, scale = 1): Float32Array {
  const array = backend.allocFloats(length);
  for (let k = 0; k < length; k++) array[k] = scale * random.uniform(-1, 1);
  return array;
}

/** array[k] = f(array[k], k) in place (Float32Array.map would make an array outside the backend's memory). */
function mapInPlace(array: Float32Array, f: (value: number, k: number) => number): Float32Array {
  array.forEach((value, k) => (array[k] = f(value, k)));
  return array;
}

/** The bits of an array, so that a test tells +0 from −0 and compares every float exactly. */
function bits(array: Floats): number[] {
  return Array.from(new Uint32Array(array.buffer, array.byteOffset, array.length));
}

/** Chunk sizes adding up to `batch`, cut where `cuts` (fractions) say. */
function chunkSizes(batch: number, cuts: number[]): number[] {
  const ends = [...new Set(cuts.map((c) => Math.floor(c * batch)).filter((e) => e > 0 && e < batch))].sort((a, b) => a - b);
  return [...ends, batch].map((end, k, all) => end - (k === 0 ? 0 : all[k - 1]));
}

interface Case {
  s: Conv2dShape;
  input: Float32Array;
  dOutput: Float32Array;
  weight: Float32Array;
  startWeight: Float32Array; // what dWeight holds before the pass (a gradient accumulating on an earlier one)
  startBias: Float32Array;
}

function makeCase(s: Conv2dShape, seed: number): Case {
  const random = new Random(seed);
  const { outHeight, outWidth } = convGeometry(s);
  const patch = s.inChannels * s.kernelSize * s.kernelSize;
  return {
    s,
    input: floats(s.batch * s.inChannels * s.height * s.width, random),
    // ReLU'd, pooled gradients are mostly zeros: a third of these are.
    dOutput: mapInPlace(floats(s.batch * s.outChannels * outHeight * outWidth, random), (v, k) => (k % 3 === 0 ? 0 : v)),
    weight: floats(s.outChannels * patch, random),
    startWeight: floats(s.outChannels * patch, random, 1e-3),
    startBias: floats(s.outChannels, random, 1e-3),
  };
}

/** conv2dBackward of the whole batch: dWeight and dBias from their start values. */
function whole(c: Case): { dWeight: Float32Array; dBias: Float32Array } {
  const dWeight = backend.allocFloats(c.startWeight.length);
  const dBias = backend.allocFloats(c.startBias.length);
  dWeight.set(c.startWeight);
  dBias.set(c.startBias);
  backend.conv2dBackward(c.s, { input: c.input, weight: c.weight, dOutput: c.dOutput, dWeight, dBias, dInput: null });
  return { dWeight, dBias };
}

/** The same by convGradientChunks, in chunks of the given sizes. */
function chunked(c: Case, sizes: number[]): { dWeight: Float32Array; dBias: Float32Array } {
  const dWeight = backend.allocFloats(c.startWeight.length);
  const dBias = backend.allocFloats(c.startBias.length);
  dWeight.set(c.startWeight);
  dBias.set(c.startBias);
  const chunks = backend.convGradientChunks(c.s)!;
  const pixels = c.s.inChannels * c.s.height * c.s.width;
  const { outHeight, outWidth } = convGeometry(c.s);
  const outputs = c.s.outChannels * outHeight * outWidth;
  let first = 0;
  for (const n of sizes) {
    chunks.add(c.input.subarray(first * pixels, (first + n) * pixels), c.dOutput.subarray(first * outputs, (first + n) * outputs), n, dWeight);
    first += n;
  }
  chunks.finish(dWeight, dBias);
  chunks.dispose();
  return { dWeight, dBias };
}

const shape = (batch: number, inChannels: number, size: number, outChannels: number, kernelSize: number, stride = 1, padding = 0): Conv2dShape => ({
  batch,
  inChannels,
  height: size,
  width: size,
  outChannels,
  kernelSize,
  stride,
  padding,
});

describe('WasmBackend.convGradientChunks', () => {
  const paths = [
    // The paper's conv1: 9 taps against 32 filters, so dWᵀ is summed apart and added at the end.
    { name: 'a patch narrower than the filters (dWᵀ summed apart: the paper\'s conv1)', s: shape(11, 1, 28, 32, 3) },
    { name: 'the direct kernel (few taps, at most 16 filters)', s: shape(9, 3, 12, 8, 3, 1, 1) },
    { name: 'the GEMM into dW (a patch as wide as the filters or wider)', s: shape(7, 1, 14, 8, 7) },
    { name: 'a strided convolution on a large map (image by image)', s: shape(6, 1, 40, 12, 3, 2, 1) },
    { name: 'an odd width, padding 2, 5×5 (LeNet-5\'s conv1)', s: shape(5, 1, 27, 6, 5, 1, 2) },
    { name: 'a patch exactly as wide as the filters (25 taps, 25 filters: the GEMM into dW)', s: shape(4, 1, 12, 25, 5) },
  ];
  for (const { name, s } of paths) {
    it(`gives conv2dBackward's dWeight and dBias bit for bit: ${name}`, () => {
      fc.assert(
        fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }), fc.integer({ min: 1, max: 1e6 }), (cuts, seed) => {
          const c = makeCase(s, seed);
          const expected = whole(c);
          const got = chunked(c, chunkSizes(s.batch, cuts));
          expect(bits(got.dWeight)).toEqual(bits(expected.dWeight));
          expect(bits(got.dBias)).toEqual(bits(expected.dBias));
        }),
        { numRuns: 12 },
      );
    });
  }

  it('the paths above are the ones named: which of them each shape takes', () => {
    expect(paths.map(({ s }) => usesDirectWeightGradient(s))).toEqual([false, true, false, false, true, false]);
  });

  it('one accumulator serves batch after batch, each started by its first chunk after finish', () => {
    const s = shape(6, 1, 28, 32, 3);
    const [a, b] = [makeCase(s, 1), makeCase(s, 2)];
    const chunks = backend.convGradientChunks(s)!;
    const pixels = 784;
    const outputs = 32 * 26 * 26;
    for (const c of [a, b, a]) {
      const dWeight = backend.allocFloats(c.startWeight.length);
      const dBias = backend.allocFloats(c.startBias.length);
      dWeight.set(c.startWeight);
      dBias.set(c.startBias);
      for (const [first, n] of [[0, 4], [4, 2]]) chunks.add(c.input.subarray(first * pixels, (first + n) * pixels), c.dOutput.subarray(first * outputs, (first + n) * outputs), n, dWeight);
      chunks.finish(dWeight, dBias);
      const expected = whole(c);
      expect(bits(dWeight)).toEqual(bits(expected.dWeight));
      expect(bits(dBias)).toEqual(bits(expected.dBias));
    }
    chunks.dispose();
  });

  it('is null for a convolution whose backward is not image by image: Winograd, or grouped strided GEMMs', () => {
    expect(backend.convGradientChunks(shape(1, 32, 13, 64, 3))).toBeNull(); // the paper's conv2, Winograd
    expect(backend.convGradientChunks(shape(1, 64, 14, 64, 3, 2, 1))).toBeNull(); // the modern net's conv4: 7×7 outputs, grouped
    expect(backend.convGradientChunks(shape(1, 1, 28, 32, 3))).not.toBeNull();
  });

  it('refuses misuse, naming what is wrong', () => {
    const s = shape(2, 1, 28, 32, 3);
    const c = makeCase(s, 3);
    const chunks = backend.convGradientChunks(s)!;
    const dWeight = backend.allocFloats(c.startWeight.length);
    const dBias = backend.allocFloats(32);
    expect(errorOf(() => chunks.finish(dWeight, dBias), 'ERR_BAD_ARGUMENT').message).toBe('convGradientChunks: finish came before any add: a batch has at least one image');
    // A chunk whose arrays are not its images' size, and gradients of another convolution's size.
    expect(errorOf(() => chunks.add(c.input, c.dOutput, 1, dWeight), 'ERR_BAD_ARGUMENT').message).toMatch(/^convGradientChunks: input/);
    chunks.add(c.input, c.dOutput, 2, dWeight);
    expect(errorOf(() => chunks.finish(dWeight, dBias.subarray(0, 31)), 'ERR_BAD_ARGUMENT').message).toMatch(/^convGradientChunks: bias/);
    expect(errorOf(() => chunks.finish(dWeight.subarray(1), dBias), 'ERR_BAD_ARGUMENT').message).toMatch(/^convGradientChunks: weight/);
    // Each array from outside the backend's memory, named.
    const foreign = (array: Float32Array) => new Float32Array(array);
    const notOwned = (name: string) => new RegExp(`^convGradientChunks: ${name} is not in this wasm backend's memory`);
    expect(errorOf(() => chunks.add(foreign(c.input), c.dOutput, 2, dWeight), 'ERR_BAD_ARGUMENT').message).toMatch(notOwned('input'));
    expect(errorOf(() => chunks.add(c.input, foreign(c.dOutput), 2, dWeight)).message).toMatch(notOwned('dOutput'));
    expect(errorOf(() => chunks.add(c.input, c.dOutput, 2, foreign(dWeight))).message).toMatch(notOwned('dWeight'));
    expect(errorOf(() => chunks.finish(dWeight, foreign(dBias))).message).toMatch(notOwned('dBias'));
    expect(errorOf(() => chunks.finish(foreign(dWeight), dBias)).message).toMatch(notOwned('dWeight'));
    chunks.dispose();
    chunks.dispose(); // twice does nothing
    expect(errorOf(() => chunks.add(c.input, c.dOutput, 2, dWeight), 'ERR_DISPOSED').message).toBe('convGradientChunks: this accumulator was disposed');
    expect(errorOf(() => chunks.finish(dWeight, dBias), 'ERR_DISPOSED').message).toBe('convGradientChunks: this accumulator was disposed');
  });

  it('holds 40 bytes a filter for the bias\'s sums and, for dWᵀ, patch × filters floats; gives them back on dispose', () => {
    const before = backend.memoryStats().usedBytes;
    const chunks = backend.convGradientChunks(shape(1, 1, 28, 32, 3))!;
    // 32 × 40 bytes and 9 × 32 floats, each in a block of the arena's size class for it (at most ⅛ more).
    const held = backend.memoryStats().usedBytes - before;
    expect(held).toBeGreaterThanOrEqual(32 * 40 + 9 * 32 * 4);
    expect(held).toBeLessThanOrEqual((32 * 40 + 9 * 32 * 4) * 1.125 + 32);
    chunks.dispose();
    expect(backend.memoryStats().usedBytes).toBe(before);
    // The direct kernel adds into dW itself: no dWᵀ.
    const direct = backend.convGradientChunks(shape(1, 1, 28, 8, 3))!;
    expect(backend.memoryStats().usedBytes - before).toBeLessThanOrEqual(8 * 40 * 1.125 + 16);
    direct.dispose();
  });
});

describe('the bias gradient\'s kernels', () => {
  const kernels = () => (backend as unknown as { kernels: Record<string, (...args: number[]) => void> }).kernels;

  it('biasGradientChunk then finishBiasGradient: accumulateBiasGradient\'s dBias bit for bit, however the images are cut', () => {
    fc.assert(
      fc.property(
        fc.record({
          batch: fc.integer({ min: 1, max: 9 }),
          channels: fc.integer({ min: 1, max: 6 }),
          positions: fc.integer({ min: 1, max: 23 }),
          cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ batch, channels, positions, cuts, seed }) => {
          const random = new Random(seed);
          // Terms of many magnitudes, so that the order of the sums shows in their last bits.
          const dOutput = mapInPlace(floats(batch * channels * positions, random), (v, k) => v * 2 ** (((k * 7) % 40) - 20));
          const start = floats(channels, random);
          const expected = backend.allocFloats(channels);
          expected.set(start);
          kernels().accumulateBiasGradient(dOutput.byteOffset, batch, channels, positions, expected.byteOffset);
          const got = backend.allocFloats(channels);
          got.set(start);
          const carry = backend.allocFloats(10 * channels).fill(Number.NaN); // garbage: the first chunk must not read it
          let first = 0;
          for (const n of chunkSizes(batch, cuts)) {
            kernels().biasGradientChunk(dOutput.byteOffset + first * channels * positions * 4, n, channels, positions, carry.byteOffset, first === 0 ? 1 : 0);
            first += n;
          }
          kernels().finishBiasGradient(carry.byteOffset, channels, got.byteOffset);
          expect(bits(got)).toEqual(bits(expected));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('accumulateBiasGradient adds each channel\'s sum of its terms, float64 against float32 rounding', () => {
    const [batch, channels, positions] = [3, 4, 13];
    const random = new Random(9);
    const dOutput = floats(batch * channels * positions, random);
    const dBias = floats(channels, random);
    const expected = Array.from(dBias, (start, f) => {
      let sum = 0;
      for (let n = 0; n < batch; n++) for (let s = 0; s < positions; s++) sum += dOutput[(n * channels + f) * positions + s];
      return start + sum;
    });
    kernels().accumulateBiasGradient(dOutput.byteOffset, batch, channels, positions, dBias.byteOffset);
    Array.from(dBias).forEach((value, f) => expect(value).toBeCloseTo(expected[f], 6));
  });
});
