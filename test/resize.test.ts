/**
 * Resizing: bilinear with half-pixel centres, against values worked by hand from the formula of
 * OpenCV's INTER_LINEAR and PyTorch's `interpolate(mode='bilinear', align_corners=False)`,
 *
 *   s = (d + 0.5) · in/out − 0.5, clamped to [0, in − 1];  value = (1 − (s − ⌊s⌋))·x[⌊s⌋] + (s − ⌊s⌋)·x[⌊s⌋ + 1],
 *
 * and area averaging for shrinking.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { halfPixelTaps, resizeArea, resizeBilinear } from '../src/explain/resize.js';

/** Rows of a flat [h, w] array, for readable comparisons. */
function rows(values: ArrayLike<number>, width: number): number[][] {
  return Array.from({ length: values.length / width }, (_, y) => Array.from({ length: width }, (_, x) => values[y * width + x]));
}

describe('resizeBilinear (half-pixel centres)', () => {
  it('enlarges [[1,2],[3,4]] to 4 × 4 as PyTorch does with align_corners=False', () => {
    // Along each axis (2 → 4, in/out = 1/2): s = (d + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25
    // → clamped to 0, 0.25, 0.75, 1 → a row [a, b] becomes [a, a + (b−a)/4, a + 3(b−a)/4, b].
    // Row 0 of [1,2] → [1, 1.25, 1.75, 2]; row 3 of [3,4] → [3, 3.25, 3.75, 4];
    // rows 1 and 2 mix them with weights 1/4 and 3/4: 1.5 = 1 + (3−1)/4, 2.5 = 1 + 3(3−1)/4.
    expect(rows(resizeBilinear([1, 2, 3, 4], 2, 2, 4, 4), 4)).toEqual([
      [1, 1.25, 1.75, 2],
      [1.5, 1.75, 2.25, 2.5],
      [2.5, 2.75, 3.25, 3.5],
      [3, 3.25, 3.75, 4],
    ]);
  });

  it("samples Grad-CAM's 11 → 28 axis where the formula says", () => {
    const taps = halfPixelTaps(11, 28);
    // d = 0:  0.5 · 11/28 − 0.5 = −0.3036 → clamped to 0
    expect([taps.lower[0], taps.upper[0], taps.weight[0]]).toEqual([0, 1, 0]);
    // d = 5:  5.5 · 11/28 − 0.5 = 1.66071… → between 1 and 2, weight 0.66071… on 2
    expect([taps.lower[5], taps.upper[5]]).toEqual([1, 2]);
    expect(taps.weight[5]).toBeCloseTo(5.5 * (11 / 28) - 0.5 - 1, 12);
    // d = 27: 27.5 · 11/28 − 0.5 = 10.3036 → clamped to 10, the last pixel
    expect([taps.lower[27], taps.upper[27], taps.weight[27]]).toEqual([10, 10, 0]);
  });

  it('shrinks [1,2,3,4] to the means of neighbouring pairs (s = 0.5 and 2.5)', () => {
    expect(Array.from(resizeBilinear([1, 2, 3, 4], 1, 4, 1, 2))).toEqual([1.5, 3.5]);
  });

  it('returns the image itself at the same size, and keeps a constant image constant', () => {
    const image = fc.record({ h: fc.integer({ min: 1, max: 6 }), w: fc.integer({ min: 1, max: 6 }), seed: fc.integer() }).chain(({ h, w }) =>
      fc.record({ h: fc.constant(h), w: fc.constant(w), values: fc.array(fc.float({ min: -10, max: 10, noNaN: true, noDefaultInfinity: true }), { minLength: h * w, maxLength: h * w }) }),
    );
    fc.assert(
      fc.property(image, fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 30 }), ({ h, w, values }, outH, outW) => {
        const plusZero = (v: number) => v + 0; // −0 + 0 = +0: the blend with weight 0 does not keep a zero's sign
        expect(Array.from(resizeBilinear(values, h, w, h, w), plusZero)).toEqual(Array.from(Float32Array.from(values), plusZero));
        const constant = resizeBilinear(new Array(h * w).fill(0.75), h, w, outH, outW);
        expect(constant.every((v) => v === 0.75)).toBe(true);
      }),
    );
  });

  it('stays within the range of its input', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 9, maxLength: 9 }), fc.integer({ min: 1, max: 40 }), (values, size) => {
        const out = resizeBilinear(values, 3, 3, size, size);
        const [low, high] = [Math.min(...values), Math.max(...values)];
        for (const v of out) {
          expect(v).toBeGreaterThanOrEqual(Math.fround(low) - 1e-6);
          expect(v).toBeLessThanOrEqual(Math.fround(high) + 1e-6);
        }
      }),
    );
  });
});

describe('resizeArea', () => {
  it('averages whole blocks: 4 × 4 → 2 × 2', () => {
    const image = [1, 3, 5, 7, 1, 3, 5, 7, 0, 0, 8, 8, 0, 0, 8, 8];
    expect(rows(resizeArea(image, 4, 4, 2, 2), 2)).toEqual([[2, 6], [0, 8]]);
  });

  it('shares a pixel that straddles two outputs by the fraction under each: [0,3,6] → [1,5]', () => {
    // Output 0 covers [0, 1.5): (1·0 + 0.5·3)/1.5 = 1; output 1 covers [1.5, 3): (0.5·3 + 1·6)/1.5 = 5.
    const out = resizeArea([0, 3, 6], 1, 3, 1, 2);
    expect(out[0]).toBeCloseTo(1, 6);
    expect(out[1]).toBeCloseTo(5, 6);
  });

  it('keeps the mean of the image', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 20 }), (h, w, outH, outW) => {
        const values = Array.from({ length: h * w }, (_, k) => (k * 37) % 11);
        const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, v) => s + v, 0) / a.length;
        expect(mean(resizeArea(values, h, w, outH, outW))).toBeCloseTo(mean(values), 4);
      }),
    );
  });
});
