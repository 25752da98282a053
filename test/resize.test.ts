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
import { halfPixelTaps, resizeArea, resizeBilinear, resizeBilinearInto, resizeWithTaps } from '../src/explain/resize.js';

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

/**
 * A second bilinear resize, written from the definition rather than from the module's two passes of taps: each
 * output pixel blends its four source pixels with the product weights (1 − fy)(1 − fx), (1 − fy)fx, fy(1 − fx)
 * and fy·fx, where s = (d + 0.5) · in/out − 0.5 clamped to [0, in − 1] along each axis.
 */
function bilinearByDefinition(input: ArrayLike<number>, inH: number, inW: number, outH: number, outW: number): number[] {
  const source = (d: number, inSize: number, outSize: number) => Math.min(Math.max(((d + 0.5) * inSize) / outSize - 0.5, 0), inSize - 1);
  const out: number[] = [];
  for (let y = 0; y < outH; y++) {
    const sy = source(y, inH, outH);
    const [y0, fy] = [Math.floor(sy), sy - Math.floor(sy)];
    const y1 = Math.min(y0 + 1, inH - 1);
    for (let x = 0; x < outW; x++) {
      const sx = source(x, inW, outW);
      const [x0, fx] = [Math.floor(sx), sx - Math.floor(sx)];
      const x1 = Math.min(x0 + 1, inW - 1);
      const at = (row: number, column: number) => input[row * inW + column];
      out.push(at(y0, x0) * (1 - fy) * (1 - fx) + at(y0, x1) * (1 - fy) * fx + at(y1, x0) * fy * (1 - fx) + at(y1, x1) * fy * fx);
    }
  }
  return out;
}

describe('resizeBilinear against the definition', () => {
  it('agrees with the four-neighbour blend on any sizes, enlarging, shrinking and mixed', () => {
    const sizes = fc.record({ inH: fc.integer({ min: 1, max: 7 }), inW: fc.integer({ min: 1, max: 7 }), outH: fc.integer({ min: 1, max: 13 }), outW: fc.integer({ min: 1, max: 13 }) });
    fc.assert(
      fc.property(sizes, fc.integer({ min: 0, max: 1000 }), ({ inH, inW, outH, outW }, seed) => {
        // Values that differ in every pixel (a hash of the position), so any wrong neighbour or weight shows.
        const input = Array.from({ length: inH * inW }, (_, k) => ((k * 7919 + seed * 104729) % 1000) / 100 - 5);
        const expected = bilinearByDefinition(input, inH, inW, outH, outW);
        const actual = resizeBilinear(input, inH, inW, outH, outW);
        expect(actual.length).toBe(outH * outW);
        actual.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 4));
      }),
    );
  });

  it('keeps a linear ramp linear wherever no sample is clamped, and constant where both are', () => {
    // f(y, x) = 3y − 2x + 1 on 4 × 5 → 10 × 9: bilinear interpolation is exact on a linear function, so output
    // (y, x) is f(sy, sx) at its (clamped) source position.
    const [inH, inW, outH, outW] = [4, 5, 10, 9];
    const ramp = (y: number, x: number) => 3 * y - 2 * x + 1;
    const input = Array.from({ length: inH * inW }, (_, k) => ramp(Math.floor(k / inW), k % inW));
    const out = resizeBilinear(input, inH, inW, outH, outW);
    const clamp = (s: number, size: number) => Math.min(Math.max(s, 0), size - 1);
    for (let y = 0; y < outH; y++) {
      for (let x = 0; x < outW; x++) {
        const sy = clamp(((y + 0.5) * inH) / outH - 0.5, inH);
        const sx = clamp(((x + 0.5) * inW) / outW - 0.5, inW);
        expect(out[y * outW + x]).toBeCloseTo(ramp(sy, sx), 5);
      }
    }
    // Row 0 samples y at 0.5·0.4 − 0.5 < 0 → clamped to 0: along x it is the ramp 1 − 2·sx.
    expect(out[0]).toBeCloseTo(1 - 2 * 0, 6); // sx = 0.5·5/9 − 0.5 < 0 → 0
    expect(out[4]).toBeCloseTo(1 - 2 * ((4.5 * 5) / 9 - 0.5), 6); // sx = 2
  });
});

describe('resizeBilinearInto', () => {
  it('writes the first outH · outW values of the output it is given, returns it, and leaves the rest alone', () => {
    const output = new Float32Array(20).fill(-7);
    const returned = resizeBilinearInto([1, 2, 3, 4], 2, 2, 4, 4, output);
    expect(returned).toBe(output);
    expect(Array.from(output.subarray(0, 16))).toEqual([1, 1.25, 1.75, 2, 1.5, 1.75, 2.25, 2.5, 2.5, 2.75, 3.25, 3.5, 3, 3.25, 3.75, 4]);
    expect(Array.from(output.subarray(16))).toEqual([-7, -7, -7, -7]);
  });

  it('gives the same as resizeBilinear on every call, whatever was resized before (the taps kept between calls)', () => {
    // Sizes met in turn, each twice, with rows and columns of different sizes so that an axis given the other's
    // taps, or a size pair given another's, shows.
    const pairs: Array<[number, number, number, number]> = [[2, 3, 5, 7], [3, 2, 7, 5], [2, 3, 7, 5], [5, 7, 2, 3], [2, 3, 5, 7], [3, 2, 7, 5]];
    for (const [inH, inW, outH, outW] of pairs) {
      const input = Array.from({ length: inH * inW }, (_, k) => (k * k) % 7);
      const expected = bilinearByDefinition(input, inH, inW, outH, outW);
      Array.from(resizeBilinearInto(input, inH, inW, outH, outW, new Float32Array(outH * outW))).forEach((v, k) => expect(v).toBeCloseTo(expected[k], 5));
    }
  });

  it('resizes past the size the taps are kept for (65,536 pixels an axis) as any other size', () => {
    // A 1 × 2 ramp [0, 1] to 1 × 65,536: x samples (x + 0.5)/32,768 − 0.5, clamped to [0, 1].
    const wide = resizeBilinearInto([0, 1], 1, 2, 1, 65_536, new Float32Array(65_536));
    for (const x of [0, 16_383, 16_384, 32_768, 49_151, 65_535]) expect(wide[x]).toBeCloseTo(Math.min(Math.max((x + 0.5) / 32_768 - 0.5, 0), 1), 6);
    // And 65,536 → 2 along the other axis: the means of the two halves' middle pairs, s = 16,383.5 and 49,151.5.
    const ramp = Float32Array.from({ length: 65_536 }, (_, k) => k);
    expect(Array.from(resizeBilinearInto(ramp, 65_536, 1, 2, 1, new Float32Array(2)))).toEqual([16_383.5, 49_151.5]);
  });
});

describe('resizeWithTaps', () => {
  it('blends between the source indices and weights the taps name, rows and columns each their own', () => {
    // Rows: output 0 is input row 1 alone; output 1 is ¾ of row 0 and ¼ of row 1. Columns: output 0 is column 2;
    // output 1 is half column 0, half column 1; output 2 is column 0.
    const rowTaps = { lower: Int32Array.of(1, 0), upper: Int32Array.of(1, 1), weight: Float64Array.of(0, 0.25) };
    const columnTaps = { lower: Int32Array.of(2, 0, 0), upper: Int32Array.of(2, 1, 0), weight: Float64Array.of(0, 0.5, 0) };
    const input = [1, 2, 4, 10, 20, 40]; // [2, 3]
    expect(rows(resizeWithTaps(input, 3, rowTaps, columnTaps), 3)).toEqual([[40, 15, 10], [0.75 * 4 + 0.25 * 40, 0.75 * 1.5 + 0.25 * 15, 0.75 * 1 + 0.25 * 10]]);
  });
});
