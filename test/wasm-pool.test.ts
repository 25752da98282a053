/**
 * The wasm max pool against the float32 reference: bit-for-bit (a max and a scatter involve no
 * rounding). Values are drawn from a few small integers so ties are common and "first maximum wins"
 * is exercised; heights and widths run over odd sizes, where floor mode drops the last row or column.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Pool2dShape } from '../src/backend/backend.js';
import { Random } from '../src/random.js';
import { XcnnError } from '../src/errors.js';
import { EXACT, expectParity, printMargins } from './parity.js';
import { reference, wasm } from './wasm-fixtures.js';

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

  it('rejects an argmax that points outside the input', () => {
    const s = { batch: 1, channels: 1, height: 4, width: 4 };
    const argmax = wasm.allocInts(4);
    argmax.set([0, 2, 8, 16]); // 16 is one past the end
    expect(() => wasm.maxPool2dBackward(s, wasm.allocFloats(4), argmax, wasm.allocFloats(16))).toThrow(XcnnError);
    argmax.set([0, 2, 8, -1]);
    expect(() => wasm.maxPool2dBackward(s, wasm.allocFloats(4), argmax, wasm.allocFloats(16))).toThrow(/argmax\[3\] = -1/);
  });
});
