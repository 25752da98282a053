/**
 * A Winograd convolution's training forward pass keeps its transformed input tiles V (Backend.convSaved) so that
 * the backward pass's kernel gradient need not transform the input again. What must hold:
 * - keeping never shows: every gradient is, bit for bit, the one computed without it, on every path and chunking;
 * - the backward does read what was kept (else the first point would hold trivially): after the input changes in
 *   place, the weight gradient is still the one of the input the forward pass saw — which is why a layer keeps
 *   tiles only in training, where its input does not change between its two passes;
 * - what is kept belongs to the last forward pass that was given the ConvSaved, on that input, batch and shape;
 * - the rule of which convolutions keep (keepsTransformedTiles), the refusals, and the memory given back.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape, ConvSaved, Floats } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { keepsTransformedTiles, usesWinograd4, usesWinogradBackward, type WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { Conv2d } from '../src/model/conv2d.js';
import { EVALUATION, trainingPass, type Parameter } from '../src/model/layer.js';
import { Random } from '../src/random.js';

const backend = await createWasmBackend();

const shape = (batch: number, inChannels: number, size: number, outChannels: number, padding = 0): Conv2dShape => ({ batch, inChannels, height: size, width: size, outChannels, kernelSize: 3, stride: 1, padding });

function fill(array: Float32Array, seed: number): Float32Array {
  const random = new Random(seed);
  for (let k = 0; k < array.length; k++) array[k] = random.uniform(-1, 1);
  return array;
}

function bits(array: Floats | null): number[] {
  return array === null ? [] : Array.from(new Uint32Array(array.buffer, array.byteOffset, array.length));
}

/** A convolution's arrays on the backend: input, weight, bias and dOutput drawn from `seed`, gradients zeroed. */
function operands(s: Conv2dShape, seed: number) {
  const { outHeight, outWidth } = convGeometry(s);
  const floats = (length: number, k: number) => fill(backend.allocFloats(length), seed + k);
  return {
    input: floats(s.batch * s.inChannels * s.height * s.width, 0),
    weight: floats(s.outChannels * s.inChannels * 9, 1),
    bias: floats(s.outChannels, 2),
    output: backend.allocFloats(s.batch * s.outChannels * outHeight * outWidth),
    dOutput: floats(s.batch * s.outChannels * outHeight * outWidth, 3),
  };
}

/** conv2dBackward's gradients (those asked for), from fresh zeroed arrays, with `saved` or without. */
function gradients(s: Conv2dShape, o: ReturnType<typeof operands>, want: { dWeight: boolean; dInput: boolean }, saved?: ConvSaved) {
  const dWeight = want.dWeight ? backend.allocFloats(o.weight.length) : null;
  const dBias = want.dWeight ? backend.allocFloats(s.outChannels) : null;
  const dInput = want.dInput ? backend.allocFloats(o.input.length) : null;
  backend.conv2dBackward(s, { input: o.input, weight: o.weight, dOutput: o.dOutput, dWeight, dBias, dInput }, saved);
  return { dWeight: bits(dWeight), dBias: bits(dBias), dInput: bits(dInput) };
}

/** A layer's parameters on the backend, drawn from `seed`, gradients zeroed. */
function parametersOf(layer: Conv2d, seed: number): Parameter[] {
  return layer.parameterSpecs().map((spec, k) => {
    const length = spec.shape.reduce((a, b) => a * b, 1);
    return { ...spec, value: fill(backend.allocFloats(length), seed + k), grad: backend.allocFloats(length) };
  });
}

/** A 16 → 32 channel Conv2d on 13×13 maps (the paper's conv2, narrower), with a batch's input and dOutput, from `seed`. */
function layerWithBatch(batch: number, seed: number): { layer: Conv2d; input: Float32Array; dOutput: Float32Array } {
  const layer = new Conv2d(backend, 'conv', [16, 13, 13], 32, 3);
  layer.bindParameters(parametersOf(layer, seed));
  return { layer, input: fill(backend.allocFloats(batch * 16 * 13 * 13), seed + 2), dOutput: fill(backend.allocFloats(batch * 32 * 11 * 11), seed + 3) };
}

describe("a Winograd convolution's transformed input tiles, kept by its training forward pass for the backward", () => {
  it('changes no number: output and gradients bit for bit as without, by F(4×4) and F(2×2), any batch and chunking', () => {
    // Maps whose tiles hold at most 400 floats a channel (keepsTransformedTiles): F(4×4) on 8, 11 and 12 outputs a
    // side (4 or 9 tiles of 36); F(2×2) where one F(4×4) tile would be all (3×3 outputs: 4 tiles of 16), or where
    // F(4×4) saves too little (5×5 and 9×9: 9 and 25 tiles of 16). Batches up to 25 make
    // several chunks (F(4×4) takes 10 images of 9 tiles a call), the last partial.
    const cases = fc.record({
      outSide: fc.constantFrom(3, 5, 8, 9, 11, 12),
      padding: fc.constantFrom(0, 1),
      inChannels: fc.integer({ min: 16, max: 24 }), // C·F ≥ 256: F(2×2)'s backward is Winograd too
      outChannels: fc.integer({ min: 16, max: 24 }),
      batch: fc.integer({ min: 1, max: 25 }),
      want: fc.constantFrom({ dWeight: true, dInput: true }, { dWeight: true, dInput: false }, { dWeight: false, dInput: true }),
      seed: fc.integer({ min: 1, max: 1000 }),
    });
    fc.assert(
      fc.property(cases, ({ outSide, padding, inChannels, outChannels, batch, want, seed }) => {
        const s = shape(batch, inChannels, outSide + 2 - 2 * padding, outChannels, padding);
        expect(keepsTransformedTiles(s)).toBe(true);
        const o = operands(s, seed);
        backend.conv2dForward(s, o.input, o.weight, o.bias, o.output);
        const plain = { output: bits(o.output), ...gradients(s, o, want) };
        const saved = backend.convSaved();
        o.output.fill(0);
        backend.conv2dReluForward(s, o.input, o.weight, o.bias, o.output, null); // a pass without, in between
        backend.conv2dForward(s, o.input, o.weight, o.bias, o.output, saved);
        const kept = { output: bits(o.output), ...gradients(s, o, want, saved) };
        saved.dispose();
        expect(kept).toEqual(plain);
      }),
      { numRuns: 40 },
    );
  });

  it('is what the backward reads: after the input changes in place, dWeight is that of the input the forward pass saw', () => {
    const s = shape(12, 16, 13, 32); // the paper's conv2 at 16 → 32 channels: 9 tiles an image, 2 chunks
    const o = operands(s, 7);
    const before = gradients(s, o, { dWeight: true, dInput: true });
    const saved = backend.convSaved();
    backend.conv2dForward(s, o.input, o.weight, o.bias, o.output, saved);
    fill(o.input, 99); // the input changes after the forward pass (what a layer's training step never does)
    const afterChange = gradients(s, o, { dWeight: true, dInput: true });
    const fromKept = gradients(s, o, { dWeight: true, dInput: true }, saved);
    expect(afterChange.dWeight).not.toEqual(before.dWeight);
    expect(fromKept.dWeight).toEqual(before.dWeight); // V of the input the forward pass saw
    expect(fromKept.dBias).toEqual(before.dBias);
    expect(fromKept.dInput).toEqual(before.dInput); // which does not read the input at all
    saved.dispose();
  });

  it('belongs to the last forward pass given it, on that input, batch and shape; any other backward computes afresh', () => {
    const s = shape(6, 16, 11, 16, 1);
    const o = operands(s, 11);
    const saved = backend.convSaved();
    const staleThenFresh = (change: () => { s: Conv2dShape; o: ReturnType<typeof operands> }) => {
      backend.conv2dForward(s, o.input, o.weight, o.bias, o.output, saved);
      const other = change();
      const fresh = gradients(other.s, other.o, { dWeight: true, dInput: false });
      return { fresh, withSaved: gradients(other.s, other.o, { dWeight: true, dInput: false }, saved) };
    };
    // another input array of the same shape
    const another = operands(s, 12);
    let { fresh, withSaved } = staleThenFresh(() => ({ s, o: another }));
    expect(withSaved).toEqual(fresh);
    // the same input array, but the backward on its first 5 images only (another batch)
    const five = { ...s, batch: 5 };
    const firstFive = { ...o, input: o.input.subarray(0, 5 * 16 * 11 * 11), dOutput: o.dOutput.subarray(0, 5 * 16 * 11 * 11) };
    ({ fresh, withSaved } = staleThenFresh(() => ({ s: five, o: firstFive })));
    expect(withSaved).toEqual(fresh);
    // the same input array read as another shape: 6 images of 16 channels on 11×11 become 3 of 32
    const reshaped = { ...s, batch: 3, inChannels: 32 };
    ({ fresh, withSaved } = staleThenFresh(() => {
      const w = fill(backend.allocFloats(16 * 32 * 9), 13);
      return { s: reshaped, o: { ...o, weight: w, dOutput: o.dOutput.subarray(0, 3 * 16 * 11 * 11) } };
    }));
    expect(withSaved).toEqual(fresh);
    // the same input array, images and elements, read with one other size: channels, height, width or padding
    const asRead = (other: Conv2dShape) => {
      const { outHeight, outWidth } = convGeometry(other);
      const w = fill(backend.allocFloats(16 * other.inChannels * 9), 15);
      return { s: other, o: { ...o, weight: w, input: o.input.subarray(0, 6 * other.inChannels * other.height * other.width), dOutput: o.dOutput.subarray(0, 6 * 16 * outHeight * outWidth) } };
    };
    // (8 channels, 9 rows or 9 columns: F(4×4) still; padding 0: 9×9 outputs, by F(2×2))
    for (const other of [{ ...s, inChannels: 8 }, { ...s, height: 9 }, { ...s, width: 9 }, { ...s, padding: 0 }]) {
      expect(usesWinogradBackward(other)).toBe(true);
      ({ fresh, withSaved } = staleThenFresh(() => asRead(other)));
      expect(withSaved, JSON.stringify(other)).toEqual(fresh);
    }
    // a later forward pass given `saved` that is not by Winograd leaves nothing for the earlier shape
    backend.conv2dForward(s, o.input, o.weight, o.bias, o.output, saved);
    const fiveByFive = { ...s, kernelSize: 5, padding: 2 };
    backend.conv2dForward(fiveByFive, o.input, fill(backend.allocFloats(16 * 16 * 25), 16), o.bias, o.output, saved);
    const original = o.input.slice();
    fill(o.input, 17);
    expect(gradients(s, o, { dWeight: true, dInput: false }, saved)).toEqual(gradients(s, o, { dWeight: true, dInput: false }));
    o.input.set(original);
    // nor does a Winograd pass that keeps nothing (16 tiles an image)
    backend.conv2dForward(s, o.input, o.weight, o.bias, o.output, saved);
    const wide = shape(1, 16, 16, 16, 1); // 16×16 outputs from the same input array's first 4096 floats
    const wideOut = backend.allocFloats(16 * 16 * 16);
    expect(keepsTransformedTiles(wide)).toBe(false);
    backend.conv2dForward(wide, o.input.subarray(0, 16 * 16 * 16), o.weight, o.bias, wideOut, saved);
    fill(o.input, 14);
    expect(gradients(s, o, { dWeight: true, dInput: false }, saved)).toEqual(gradients(s, o, { dWeight: true, dInput: false }));
    saved.dispose();
  });

  it('is kept by a Conv2d layer in its training passes only', () => {
    const { layer, input, dOutput } = layerWithBatch(4, 3);
    const weightGradient = (mode: typeof EVALUATION | undefined, changeInput: boolean) => {
      layer.weight.grad.fill(0);
      layer.forward(input, 4, mode);
      const original = input.slice();
      if (changeInput) fill(input, 8);
      layer.backward(dOutput, true);
      const result = bits(layer.weight.grad);
      input.set(original);
      return result;
    };
    const seen = weightGradient(EVALUATION, false);
    const changed = (() => {
      const original = input.slice();
      fill(input, 8);
      const result = weightGradient(EVALUATION, false);
      input.set(original);
      return result;
    })();
    expect(changed).not.toEqual(seen);
    // training: the backward's dWeight is of the input the forward pass saw
    expect(weightGradient(trainingPass(1, 1), true)).toEqual(seen);
    // evaluation (and no mode, evaluation's default): the input as it is at the backward
    expect(weightGradient(EVALUATION, true)).toEqual(changed);
    expect(weightGradient(undefined, true)).toEqual(changed);
    // a training pass after an evaluation pass keeps again
    expect(weightGradient(trainingPass(1, 2), true)).toEqual(seen);
    layer.dispose();
    // a layer whose first pass is a training pass keeps from the start
    const fresh = new Conv2d(backend, 'conv', [16, 13, 13], 32, 3);
    fresh.bindParameters(layer.parameterSpecs().map((spec, k) => ({ ...spec, value: [layer.weight, layer.bias][k].value, grad: [layer.weight, layer.bias][k].grad })));
    layer.weight.grad.fill(0);
    fresh.forward(input, 4, trainingPass(1, 3));
    const original = input.slice();
    fill(input, 8);
    fresh.backward(dOutput, true);
    input.set(original);
    expect(bits(fresh.weight.grad)).toEqual(seen);
    fresh.dispose();
  });

  it('takes its memory once: training passes after the first allocate nothing', () => {
    const { layer, input, dOutput } = layerWithBatch(12, 9);
    const pass = (step: number) => {
      layer.forward(input, 12, trainingPass(1, step));
      layer.backward(dOutput, true);
    };
    pass(1);
    const after = backend.memoryStats().usedBytes;
    for (let step = 2; step <= 4; step++) pass(step);
    layer.forward(input, 12, EVALUATION);
    expect(backend.memoryStats().usedBytes).toBe(after);
    layer.dispose();
  });

  it('is kept where measured faster: at most 400 floats of tiles an image\'s channel, 3 MiB in all, a Winograd backward', () => {
    const paperConv2 = (batch: number) => shape(batch, 32, 13, 64);
    expect(keepsTransformedTiles(paperConv2(64))).toBe(true); // 9 tiles of 36 an image, 2.65 MB
    expect(keepsTransformedTiles(paperConv2(32))).toBe(true);
    expect(keepsTransformedTiles(paperConv2(80))).toBe(false); // 3.3 MB
    // F(2×2) on 4×4 outputs, 4 tiles an image of 16 positions, 64 channels: 192 images are 3 MiB exactly
    expect([keepsTransformedTiles(shape(192, 64, 6, 64)), keepsTransformedTiles(shape(193, 64, 6, 64))]).toEqual([true, false]);
    expect(keepsTransformedTiles(shape(64, 32, 14, 64, 1))).toBe(false); // the modern preset's conv3: 16 tiles of 36, 576 floats
    expect(keepsTransformedTiles(shape(32, 32, 11, 64))).toBe(true); // F(2×2) on 9×9 outputs: 25 tiles of 16, 400 floats
    expect(keepsTransformedTiles(shape(64, 32, 11, 64))).toBe(false); // … but 3.3 MB of them at batch 64
    expect(keepsTransformedTiles(shape(64, 32, 11, 64, 1))).toBe(true); // F(4×4) on 11×11: 9 tiles of 36, 324 floats
    expect([usesWinograd4(shape(64, 32, 11, 64)), usesWinograd4(shape(64, 32, 11, 64, 1))]).toEqual([false, true]);
    expect(keepsTransformedTiles(shape(64, 64, 7, 64, 1))).toBe(true); // 4 tiles an image
    expect(keepsTransformedTiles(shape(2, 8, 28, 8, 1))).toBe(false); // 49 tiles an image
    expect(keepsTransformedTiles(shape(4, 16, 5, 16, 1))).toBe(true); // F(2×2), 9 tiles an image, C·F = 256
    const direct = { ...shape(64, 32, 13, 64), kernelSize: 5 };
    expect(keepsTransformedTiles(direct)).toBe(false);
    const noWinogradBackward = shape(4, 8, 7, 8); // F(2×2) forward, C·F = 64 < 256: the direct backward
    expect([usesWinograd4(noWinogradBackward), usesWinogradBackward(noWinogradBackward), keepsTransformedTiles(noWinogradBackward)]).toEqual([false, false, false]);
  });

  it('refuses a ConvSaved it did not make, or one disposed, naming it', async () => {
    const s = shape(2, 8, 13, 16);
    const o = operands(s, 21);
    const other = await createWasmBackend();
    const foreign = other.convSaved();
    expect(() => backend.conv2dForward(s, o.input, o.weight, o.bias, o.output, foreign)).toThrow(/conv2dForward: saved is .*not this backend's: make it with this backend's convSaved\(\)/);
    expect(() => backend.conv2dForward(s, o.input, o.weight, o.bias, o.output, { dispose() {} })).toThrow(expect.objectContaining({ code: 'ERR_BAD_ARGUMENT', message: expect.stringMatching(/saved is .*not this backend's/) }));
    const saved = backend.convSaved();
    saved.dispose();
    saved.dispose(); // twice does nothing
    expect(() => backend.conv2dBackward(s, { input: o.input, weight: o.weight, dOutput: o.dOutput, dWeight: null, dBias: null, dInput: null }, saved)).toThrow(
      expect.objectContaining({ code: 'ERR_DISPOSED', message: expect.stringMatching(/conv2dBackward: saved was disposed/) }),
    );
    foreign.dispose();
    other.dispose();
    expect(() => other.convSaved()).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED' }));
  });

  it('gives its memory back when disposed, and a layer disposes its own', () => {
    const s = shape(20, 16, 13, 32);
    const o = operands(s, 31);
    gradients(s, o, { dWeight: true, dInput: true }); // the backend's own scratch for this shape, grown once
    const layer = new Conv2d(backend, 'conv', [16, 13, 13], 32, 3);
    layer.bindParameters(parametersOf(layer, 4));
    const before = backend.memoryStats().usedBytes;
    const saved = backend.convSaved();
    backend.conv2dForward(s, o.input, o.weight, o.bias, o.output, saved);
    expect(backend.memoryStats().usedBytes - before).toBeGreaterThanOrEqual(36 * 16 * 9 * 20 * 4); // V of 180 tiles
    saved.dispose();
    expect(backend.memoryStats().usedBytes).toBe(before);
    layer.forward(o.input, 20, trainingPass(1, 1));
    layer.backward(o.dOutput, true);
    expect(backend.memoryStats().usedBytes - before).toBeGreaterThanOrEqual(36 * 16 * 9 * 20 * 4);
    layer.dispose();
    expect(backend.memoryStats().usedBytes).toBe(before);
  });
});
