/**
 * The wasm backend's dropout mask (assembly/dropout.ts, four hashes per v128 step) against the layer's own
 * loop (drawMask, src/model/dropout.ts, uniformAt element by element), over random counters, batch shapes
 * off the SIMD width and probabilities — including those where (1 − p)·2²⁴ is an integer, the edge of the
 * kernel's integer threshold: the two masks must be equal bit for bit, on whichever build XCNN_WASM_BUILD
 * picks, so a run's masks do not depend on the backend.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DropoutDraw } from '../src/backend/backend.js';
import { drawMask } from '../src/model/dropout.js';
import { EXACT, expectParity } from './parity.js';
import { wasm } from './wasm-fixtures.js';

const draws: fc.Arbitrary<DropoutDraw> = fc.record({
  seed: fc.oneof(fc.integer(), fc.integer({ min: 0, max: 2 ** 32 + 5 })),
  step: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  layer: fc.integer({ min: 1, max: 6 }),
  firstSample: fc.nat(5000),
  batch: fc.integer({ min: 1, max: 4 }),
  perSample: fc.oneof(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 10, max: 300 })),
  probability: fc.oneof(fc.constantFrom(0, 0.25, 0.5, 0.75, 1 - 2 ** -24, 2 ** -24), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true })),
});

describe('dropout mask (wasm)', () => {
  it("is the layer's loop, bit for bit, for random counters, shapes and probabilities", () => {
    fc.assert(
      fc.property(draws, (draw) => {
        const expected = new Float32Array(draw.batch * draw.perSample);
        drawMask(draw, expected);
        const mask = wasm.allocFloats(expected.length);
        mask.fill(-1); // every element must be written
        wasm.dropoutMask(draw, mask);
        expectParity('dropout mask', mask, expected, EXACT);
        wasm.free(mask);
      }),
      { numRuns: 300 },
    );
  });

  it('keeps about 1 − p of a large mask and scales the kept elements by 1/(1 − p)', () => {
    const draw: DropoutDraw = { seed: 7, step: 3, layer: 1, firstSample: 0, batch: 64, perSample: 3136, probability: 0.25 };
    const mask = wasm.allocFloats(draw.batch * draw.perSample);
    wasm.dropoutMask(draw, mask);
    const kept = mask.filter((value) => value !== 0);
    expect(new Set(kept)).toEqual(new Set([Math.fround(1 / 0.75)]));
    const bound = 6 * Math.sqrt((0.75 * 0.25) / mask.length); // six standard deviations of a binomial proportion
    expect(Math.abs(kept.length / mask.length - 0.75)).toBeLessThanOrEqual(bound);
    wasm.free(mask);
  });

  it('refuses a mask of the wrong length in one line', () => {
    const mask = wasm.allocFloats(10);
    expect(() => wasm.dropoutMask({ seed: 1, step: 1, layer: 1, firstSample: 0, batch: 2, perSample: 6, probability: 0.5 }, mask)).toThrow(
      'dropoutMask: mask has 10 floats, but 2 samples of 6 need 12',
    );
    wasm.free(mask);
  });
});
