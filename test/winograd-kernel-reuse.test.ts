/**
 * The wasm backend transforms a Winograd convolution's kernels (U = G g Gᵀ) once and reuses them while the
 * weight keeps its bits: a training step's backward pass after its forward pass, every batch of an evaluation.
 * What must hold is that reuse never shows: each pass gives, bit for bit, what a fresh backend (which transforms
 * afresh) gives — after the weight changed in place by one bit, for another convolution in between, for the same
 * weight by the other algorithm (F(2×2) on a map too small for F(4×4)), for the input gradient after a forward
 * pass — and that a pass with an unchanged weight runs no transform.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Conv2dShape, Floats } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { usesWinograd, usesWinograd4, type WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { Random } from '../src/random.js';

const shape = (batch: number, inChannels: number, size: number, outChannels: number): Conv2dShape => ({ batch, inChannels, height: size, width: size, outChannels, kernelSize: 3, stride: 1, padding: 0 });

function filled(backend: WasmBackend, length: number, seed: number): Float32Array {
  const array = backend.allocFloats(length);
  const random = new Random(seed);
  for (let k = 0; k < length; k++) array[k] = random.uniform(-1, 1);
  return array;
}

function bits(array: Floats): number[] {
  return Array.from(new Uint32Array(array.buffer, array.byteOffset, array.length));
}

/**
 * The output and input gradient of `s` on `backend`, its weight `weight`'s values written into `w` (one of the
 * backend's arrays, written in place, as an optimiser does) or a new array; the input and dOutput drawn from `seed`.
 */
function passes(backend: WasmBackend, s: Conv2dShape, weight: Float32Array, seed: number, w = backend.allocFloats(weight.length)): { output: number[]; dInput: number[] } {
  const { outHeight, outWidth } = convGeometry(s);
  const input = filled(backend, s.batch * s.inChannels * s.height * s.width, seed);
  w.set(weight);
  const bias = filled(backend, s.outChannels, seed + 1);
  const output = backend.allocFloats(s.batch * s.outChannels * outHeight * outWidth);
  backend.conv2dForward(s, input, w, bias, output);
  const dOutput = filled(backend, output.length, seed + 2);
  const dInput = backend.allocFloats(input.length);
  backend.conv2dBackward(s, { input, weight: w, dOutput, dWeight: null, dBias: null, dInput });
  return { output: bits(output), dInput: bits(dInput) };
}

describe("the wasm backend's transformed Winograd kernels, reused while the weight keeps its bits", () => {
  const f4 = shape(2, 8, 13, 16); // F(4×4): 11×11 outputs
  const f2 = shape(2, 8, 5, 16); // F(2×2): 3×3 outputs, one F(4×4) tile an image
  it('the shapes take the algorithms named', () => {
    expect([usesWinograd(f4), usesWinograd4(f4), usesWinograd(f2), usesWinograd4(f2)]).toEqual([true, true, true, false]);
  });

  it('gives a fresh backend\'s numbers bit for bit, pass after pass, as the weight and the convolution change', async () => {
    const backend = await createWasmBackend();
    const weight = filled(backend, 16 * 8 * 9, 1);
    const other = filled(backend, 16 * 8 * 9, 2);
    const nudged = new Float32Array(weight);
    nudged[77] = Math.fround(nudged[77] * (1 + 2 ** -20)); // one weight, a few bits off
    // A weight of 24 filters whose first 16 are `weight`'s: the same bits as far as the shorter one goes.
    const longer = filled(backend, 24 * 8 * 9, 4);
    longer.set(weight);
    const sequence: [Conv2dShape, Float32Array][] = [
      [f4, weight], [f4, weight], // the same weight twice: reused
      [f4, nudged], // changed in place by a few bits
      [f4, other], [f4, weight], // another weight, then the first again
      [f2, weight], [f4, weight], // the same bits by the other algorithm, then back
      [shape(2, 16, 13, 8), weight], // the same bits as 8 filters of 16 channels
      [f4, weight], [shape(2, 8, 13, 24), longer], // then 24 filters, the first 16 the same bits
    ];
    // One array of the backend's, written in place with each weight in turn.
    const inPlace = backend.allocFloats(longer.length);
    for (const [k, [s, w]] of sequence.entries()) {
      const fresh = await createWasmBackend();
      expect(passes(backend, s, w, 10 + k, inPlace.subarray(0, w.length))).toEqual(passes(fresh, s, w, 10 + k));
      fresh.dispose();
    }
  });

  it('an unchanged weight is transformed once, however many passes run on it; a changed one again', async () => {
    const backend = await createWasmBackend();
    // The module's exports are frozen: the backend's kernels are swapped for a copy whose winograd4Kernels is one
    // counting wrapper (one function, as the backend compares which transform made U).
    const inner = backend as unknown as { kernels: Record<string, unknown> };
    const exports = inner.kernels;
    const transforms = vi.fn((...args: number[]) => (exports.winograd4Kernels as (...a: number[]) => void)(...args));
    inner.kernels = { ...exports, winograd4Kernels: transforms };
    const weight = filled(backend, 16 * 8 * 9, 3);
    const w = backend.allocFloats(weight.length);
    passes(backend, f4, weight, 1, w);
    passes(backend, f4, weight, 2, w);
    expect(transforms).toHaveBeenCalledTimes(1); // two forward and two backward passes
    weight[0] += 1;
    passes(backend, f4, weight, 3, w); // the same array, one weight changed
    expect(transforms).toHaveBeenCalledTimes(2);
  });
});
