/**
 * The wasm max pool against the float32 reference: bit-for-bit (a max and a scatter involve no
 * rounding). Values are drawn from a few small integers so ties are common and "first maximum wins"
 * is exercised; heights and widths run over odd sizes, where floor mode drops the last row or column.
 * Then any kernel size K and stride S (windows overlapping when S < K: their gradients add up, in the
 * reference's order, so still bit for bit), and the average pool against the reference's float64 sums
 * within test/parity.ts's float32 summation bound: K² terms, plus one rounding each for the 1/K² and
 * its product (K² + 2).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pool2dShape } from '../src/backend/backend.js';
import { Random } from '../src/random.js';
import { XcnnError } from '../src/errors.js';
import { EXACT, expectParity, printMargins, sumTolerance } from './parity.js';
import { absolute, randomFloats, reference, wasm } from './wasm-fixtures.js';
import { poolGeometry } from '../src/backend/backend.js';

const poolShapes: fc.Arbitrary<Pool2dShape> = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  channels: fc.constantFrom(1, 3, 5, 7),
  height: fc.integer({ min: 2, max: 13 }),
  width: fc.integer({ min: 2, max: 21 }),
});

function outLength(s: Pool2dShape): number {
  return s.batch * s.channels * Math.floor(s.height / 2) * Math.floor(s.width / 2);
}

/** Values in {−2, −1, 0, 1, 2}: many ties. */
function tiedValues(length: number, random: Random): Float32Array {
  const array = wasm.allocFloats(length);
  for (let i = 0; i < length; i++) array[i] = random.int(5) - 2;
  return array;
}

describe('maxPool2d (wasm)', () => {
  afterAll(printMargins);

  it('forward picks the same maximum and the same argmax (first on ties) as the reference', () => {
    fc.assert(
      fc.property(poolShapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const input = tiedValues(s.batch * s.channels * s.height * s.width, random);
        const output = wasm.allocFloats(outLength(s));
        const argmax = wasm.allocInts(outLength(s));
        const expected = { output: new Float32Array(outLength(s)), argmax: new Int32Array(outLength(s)) };
        reference.maxPool2dForward(s, input, expected.output, expected.argmax);
        wasm.maxPool2dForward(s, input, output, argmax);
        expectParity('maxPool2d output', output, expected.output, EXACT);
        expectParity('maxPool2d argmax', argmax, expected.argmax, EXACT);
      }),
      { numRuns: 200 },
    );
  });

  it('backward routes each gradient to its window’s maximum and zeroes the rest, as the reference', () => {
    fc.assert(
      fc.property(poolShapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const input = tiedValues(s.batch * s.channels * s.height * s.width, random);
        const argmax = wasm.allocInts(outLength(s));
        wasm.maxPool2dForward(s, input, wasm.allocFloats(outLength(s)), argmax);
        const dOutput = wasm.allocFloats(outLength(s));
        for (let i = 0; i < dOutput.length; i++) dOutput[i] = random.uniform(-1, 1);
        const dInput = wasm.allocFloats(input.length);
        dInput.fill(7); // overwritten, not accumulated
        const expected = new Float32Array(input.length);
        reference.maxPool2dBackward(s, dOutput, argmax, expected);
        wasm.maxPool2dBackward(s, dOutput, argmax, dInput);
        expectParity('maxPool2d dInput', dInput, expected, EXACT);
      }),
      { numRuns: 200 },
    );
  });

  it('scatters an argmax that points outside its own window (caller data, not the forward’s) as the reference does', () => {
    fc.assert(
      fc.property(poolShapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const inLength = s.batch * s.channels * s.height * s.width;
        const argmax = wasm.allocInts(outLength(s));
        for (let j = 0; j < argmax.length; j++) argmax[j] = random.int(inLength); // anywhere in the input, repeats included
        const dOutput = wasm.allocFloats(outLength(s));
        for (let j = 0; j < dOutput.length; j++) dOutput[j] = random.uniform(-1, 1);
        const dInput = wasm.allocFloats(inLength);
        const expected = new Float32Array(inLength);
        reference.maxPool2dBackward(s, dOutput, argmax, expected);
        wasm.maxPool2dBackward(s, dOutput, argmax, dInput);
        expectParity('maxPool2d dInput, foreign argmax', dInput, expected, EXACT);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects an argmax that points outside the input', () => {
    const s = { batch: 1, channels: 1, height: 4, width: 4 };
    const argmax = wasm.allocInts(4);
    argmax.set([0, 2, 8, 16]); // 16 is one past the end
    expect(() => wasm.maxPool2dBackward(s, wasm.allocFloats(4), argmax, wasm.allocFloats(16))).toThrow(XcnnError);
    argmax.set([0, 2, 8, -1]);
    expect(() => wasm.maxPool2dBackward(s, wasm.allocFloats(4), argmax, wasm.allocFloats(16))).toThrow(/argmax\[3\] = -1/);
    // Four windows a row: the SIMD step of the 2×2/2 backward meets the bad index first.
    const wide = { batch: 1, channels: 1, height: 2, width: 8 };
    const wideArgmax = wasm.allocInts(4);
    wideArgmax.set([0, 3, 4, 1 << 30]);
    expect(() => wasm.maxPool2dBackward(wide, wasm.allocFloats(4), wideArgmax, wasm.allocFloats(16))).toThrow(/argmax\[3\] = 1073741824/);
  });
});

/** Any K in 1–5 and S in 1–3 (overlapping when S < K), on inputs the window fits, odd sizes included. */
const windowShapes: fc.Arbitrary<Pool2dShape> = fc
  .record({
    batch: fc.integer({ min: 1, max: 5 }),
    channels: fc.integer({ min: 1, max: 4 }),
    kernelSize: fc.integer({ min: 1, max: 5 }),
    stride: fc.integer({ min: 1, max: 3 }),
    extraHeight: fc.integer({ min: 0, max: 12 }),
    extraWidth: fc.integer({ min: 0, max: 16 }),
  })
  .map(({ extraHeight, extraWidth, ...s }) => ({ ...s, height: s.kernelSize + extraHeight, width: s.kernelSize + extraWidth }));

/** The paper's 2×2/2 (the SIMD paths), global pooling (K = H = W, S = 1) and the random ones. */
const anyPool = fc.oneof(
  windowShapes,
  windowShapes.map((s) => ({ ...s, kernelSize: 2, stride: 2, height: s.height + 1, width: s.width + 1 })),
  windowShapes.map((s) => ({ ...s, kernelSize: s.height, stride: 1, width: s.height })),
);

function lengths(s: Pool2dShape) {
  const { outHeight, outWidth } = poolGeometry(s);
  return { input: s.batch * s.channels * s.height * s.width, output: s.batch * s.channels * outHeight * outWidth };
}

describe('maxPool2d with any kernel and stride (wasm)', () => {
  afterAll(printMargins);

  it('forward picks the same maximum and argmax (first on ties), backward adds overlapping windows’ gradients, as the reference', () => {
    fc.assert(
      fc.property(anyPool, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const n = lengths(s);
        const input = tiedValues(n.input, random);
        const output = wasm.allocFloats(n.output);
        const argmax = wasm.allocInts(n.output);
        const expected = { output: new Float32Array(n.output), argmax: new Int32Array(n.output), dInput: new Float32Array(n.input) };
        reference.maxPool2dForward(s, input, expected.output, expected.argmax);
        wasm.maxPool2dForward(s, input, output, argmax);
        expectParity('maxPool2d K×K/S output', output, expected.output, EXACT);
        expectParity('maxPool2d K×K/S argmax', argmax, expected.argmax, EXACT);

        const dOutput = randomFloats(n.output, random);
        const dInput = randomFloats(n.input, random); // garbage: overwritten
        reference.maxPool2dBackward(s, dOutput, expected.argmax, expected.dInput);
        wasm.maxPool2dBackward(s, dOutput, argmax, dInput);
        expectParity('maxPool2d K×K/S dInput', dInput, expected.dInput, EXACT);
      }),
      { numRuns: 200 },
    );
  });

  it('sends an element that wins two overlapping windows the sum of their gradients', () => {
    // A 3×3 plane, zero but its centre, under 2×2 windows with stride 1: the centre wins all four.
    const s: Pool2dShape = { batch: 1, channels: 1, height: 3, width: 3, kernelSize: 2, stride: 1 };
    const input = wasm.allocFloats(9);
    input[4] = 5;
    const output = wasm.allocFloats(4);
    const argmax = wasm.allocInts(4);
    wasm.maxPool2dForward(s, input, output, argmax);
    expect([...argmax]).toEqual([4, 4, 4, 4]);
    const dOutput = wasm.allocFloats(4);
    dOutput.set([1, 2, 3, 4]);
    const dInput = wasm.allocFloats(9);
    wasm.maxPool2dBackward(s, dOutput, argmax, dInput);
    expect([...dInput]).toEqual([0, 0, 0, 0, 10, 0, 0, 0, 0]);
  });
});

describe('avgPool2d (wasm)', () => {
  afterAll(printMargins);

  it('forward and backward match the reference within the float32 bound of a K² sum', () => {
    fc.assert(
      fc.property(anyPool, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const n = lengths(s);
        const K = poolGeometry(s).kernelSize;
        const input = randomFloats(n.input, random);
        const dOutput = randomFloats(n.output, random);
        const output = randomFloats(n.output, random); // garbage: overwritten
        const dInput = randomFloats(n.input, random); // garbage: overwritten
        const expected = { output: new Float32Array(n.output), dInput: new Float32Array(n.input) };
        const scale = { output: new Float32Array(n.output), dInput: new Float32Array(n.input) };
        reference.avgPool2dForward(s, input, expected.output);
        reference.avgPool2dBackward(s, dOutput, expected.dInput);
        reference.avgPool2dForward(s, absolute(input), scale.output);
        reference.avgPool2dBackward(s, absolute(dOutput), scale.dInput);
        wasm.avgPool2dForward(s, input, output);
        wasm.avgPool2dBackward(s, dOutput, dInput);
        expectParity('avgPool2d output', output, expected.output, sumTolerance(K * K + 2, scale.output));
        expectParity('avgPool2d dInput', dInput, expected.dInput, sumTolerance(K * K + 2, scale.dInput));
      }),
      { numRuns: 200 },
    );
  });

  it('averages a worked example: 2×2/2 over a 3×5 plane, the last row and column dropped', () => {
    const s: Pool2dShape = { batch: 1, channels: 1, height: 3, width: 5 };
    const input = wasm.allocFloats(15);
    input.set([1, 2, 3, 4, 9, 5, 6, 7, 8, 9, 9, 9, 9, 9, 9]);
    const output = wasm.allocFloats(2);
    wasm.avgPool2dForward(s, input, output);
    expect([...output]).toEqual([(1 + 2 + 5 + 6) / 4, (3 + 4 + 7 + 8) / 4]);
    const dInput = wasm.allocFloats(15);
    dInput.fill(7);
    wasm.avgPool2dBackward(s, output, dInput);
    // each window's gradient, divided by its 4 elements, on each of them
    expect([...dInput]).toEqual([0.875, 0.875, 1.375, 1.375, 0, 0.875, 0.875, 1.375, 1.375, 0, 0, 0, 0, 0, 0]);
  });
});

describe('pools (wasm): foreign arrays and wrong lengths', () => {
  const s: Pool2dShape = { batch: 2, channels: 3, height: 7, width: 6, kernelSize: 3, stride: 2 };
  const n = lengths(s);

  it('refuses arrays outside the backend memory, naming them', () => {
    expect(() => wasm.maxPool2dForward(s, new Float32Array(n.input), wasm.allocFloats(n.output), wasm.allocInts(n.output))).toThrow(/input is not in this wasm backend's memory/);
    expect(() => wasm.maxPool2dForward(s, wasm.allocFloats(n.input), wasm.allocFloats(n.output), new Int32Array(n.output))).toThrow(/argmax is not in this wasm backend's memory/);
    expect(() => wasm.avgPool2dForward(s, wasm.allocFloats(n.input), new Float32Array(n.output))).toThrow(/output is not in this wasm backend's memory/);
    expect(() => wasm.avgPool2dBackward(s, new Float32Array(n.output), wasm.allocFloats(n.input))).toThrow(/dOutput is not in this wasm backend's memory/);
  });

  it('refuses arrays of the wrong length', () => {
    expect(() => wasm.maxPool2dForward(s, wasm.allocFloats(n.input - 1), wasm.allocFloats(n.output), wasm.allocInts(n.output))).toThrow(XcnnError);
    expect(() => wasm.maxPool2dBackward(s, wasm.allocFloats(n.output), wasm.allocInts(n.output + 1), wasm.allocFloats(n.input))).toThrow(XcnnError);
    expect(() => wasm.avgPool2dForward(s, wasm.allocFloats(n.input), wasm.allocFloats(n.output + 1))).toThrow(XcnnError);
    expect(() => wasm.avgPool2dBackward(s, wasm.allocFloats(n.output), wasm.allocFloats(n.input + 2))).toThrow(XcnnError);
  });
});
