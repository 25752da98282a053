/**
 * The helpers every explanation method shares (src/explain/explanation.ts), each against values worked out by
 * hand: the one-hot dLogits of the targets, the flat-map test and its tolerance, min–max and zero-centred
 * scaling, the stable softmax, and the views of one image of an explanation.
 */
import { describe, expect, it } from 'vitest';
import { errorOf, refusal } from './errors.js';
import { allocateExplanation, explanationImage, FLAT_TOLERANCE, heatmapFromMap, isFlatMap, minMaxNormalize, oneHotTargets, softmaxRow, writeHeatmap, zeroCentred } from '../src/explain/explanation.js';

describe('oneHotTargets', () => {
  // Two images, three classes: image 0's largest logit is class 2, image 1's is class 0 (a tie with class 1 keeps the first).
  const logits = Float32Array.of(0.1, -1, 3, 5, 5, -2);

  it("sets each row's target column to 1 and every other entry to 0, clearing what the buffer held", () => {
    const dLogits = new Float32Array(6).fill(7);
    const chosen = oneHotTargets(logits, 2, 3, undefined, dLogits);
    expect(Array.from(chosen)).toEqual([2, 0]);
    expect(Array.from(dLogits)).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it('takes one class for all, or each image its own', () => {
    const dLogits = new Float32Array(6);
    expect(Array.from(oneHotTargets(logits, 2, 3, 1, dLogits))).toEqual([1, 1]);
    expect(Array.from(dLogits)).toEqual([0, 1, 0, 0, 1, 0]);
    expect(Array.from(oneHotTargets(logits, 2, 3, Int32Array.of(0, 2), dLogits))).toEqual([0, 2]);
    expect(Array.from(dLogits)).toEqual([1, 0, 0, 0, 0, 1]);
  });

  it('fills only the first `size` rows of a larger buffer, and gives `size` targets', () => {
    const dLogits = new Float32Array(9).fill(3);
    const chosen = oneHotTargets(logits, 1, 3, undefined, dLogits);
    expect(Array.from(chosen)).toEqual([2]);
    expect(Array.from(dLogits)).toEqual([0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });
});

describe('isFlatMap', () => {
  it('calls all zeros, a constant and an empty map flat', () => {
    expect(isFlatMap([0, 0, 0, 0])).toBe(true);
    expect(isFlatMap([-2.5, -2.5, -2.5])).toBe(true);
    expect(isFlatMap([])).toBe(true);
  });

  it('calls a map flat when it holds NaN or ±Infinity anywhere, even where the rest varies', () => {
    expect(isFlatMap([0, 1, NaN, 3])).toBe(true);
    expect(isFlatMap([0, 1, 2, Infinity])).toBe(true);
    expect(isFlatMap([-Infinity, 1, 2, 3])).toBe(true);
    expect(isFlatMap([NaN])).toBe(true);
  });

  it('draws the line at max − min = FLAT_TOLERANCE · max(|max|, |min|)', () => {
    expect(FLAT_TOLERANCE).toBe(1e-6);
    // max = 1 + 2e-6, min = 1: the spread 2e-6 is over 1e-6 · (1 + 2e-6); half of it is under.
    expect(isFlatMap([1, 1 + 2e-6])).toBe(false);
    expect(isFlatMap([1, 1 + 0.5e-6])).toBe(true);
    // Negative maps measure against |min|: min = −1000, max = −1000 + 2e-3 (spread 2e-3 > 1e-3); 0.5e-3 is under.
    expect(isFlatMap([-1000, -1000 + 2e-3])).toBe(false);
    expect(isFlatMap([-1000 + 0.5e-3, -1000])).toBe(true);
    // The largest value found anywhere in the map counts, not only the first or the last.
    expect(isFlatMap([0, 0, 0.25, 0, 0])).toBe(false);
    expect(isFlatMap([0.25, 0.25, -0.5, 0.25])).toBe(false);
  });

  it('measures the spread against the larger magnitude, not the smaller', () => {
    // Spread 1.0000005e-6 between 1 and 1 + 1.0000005e-6: under 1e-6 · (1 + 1.0000005e-6), over 1e-6 · 1.
    expect(isFlatMap([1, 1 + 1.0000005e-6])).toBe(true);
    expect(isFlatMap([-1 - 1.0000005e-6, -1])).toBe(true);
    expect(isFlatMap([1, 1 + 1.000002e-6])).toBe(false);
  });
});

describe('minMaxNormalize', () => {
  it('maps min to 0, max to 1 and the rest linearly, in place', () => {
    const values = Float32Array.of(3, -1, 1, 7);
    const out = minMaxNormalize(values);
    expect(out).toBe(values);
    expect(Array.from(out)).toEqual([0.5, 0, 0.25, 1]);
  });

  it('gives all zeros for a constant, and for values that are not finite', () => {
    expect(Array.from(minMaxNormalize(Float32Array.of(4, 4, 4)))).toEqual([0, 0, 0]);
    expect(Array.from(minMaxNormalize(Float32Array.of(0, Infinity, 1)))).toEqual([0, 0, 0]);
    expect(Array.from(minMaxNormalize(Float32Array.of(-Infinity, 2)))).toEqual([0, 0]);
  });
});

describe('zeroCentred', () => {
  it('is v / (2 max|v|) + 1/2: zero at 0.5, the largest magnitude at 0 or 1, the sign kept', () => {
    expect(Array.from(zeroCentred([2, -4, 0, 1]))).toEqual([0.75, 0, 0.5, 0.625]);
    expect(Array.from(zeroCentred([-1, 0.5]))).toEqual([0, 0.75]);
  });

  it('is all 0.5 for an all-zero map and for an infinite one, never NaN', () => {
    expect(Array.from(zeroCentred([0, 0, 0]))).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(zeroCentred([1, Infinity]))).toEqual([0.5, 0.5]);
  });
});

describe('softmaxRow', () => {
  it('gives exp(z_k) / Σ exp(z_j) of the chosen row, stable for large logits', () => {
    const logits = Float64Array.of(9, 9, 9, 0, Math.log(2), Math.log(5));
    const out = new Float32Array(3);
    softmaxRow(logits, 1, 3, out);
    expect(Array.from(out)).toEqual(Array.from(Float32Array.of(1 / 8, 2 / 8, 5 / 8)));
    // exp(1000) overflows a float64; subtracting the max first gives the exact answer 1/3 each, and e/(e+2) etc.
    softmaxRow(Float64Array.of(1000, 1000, 1000), 0, 3, out);
    expect(Array.from(out)).toEqual(Array.from(Float32Array.of(1 / 3, 1 / 3, 1 / 3)));
    softmaxRow(Float64Array.of(1001, 1000, 1000), 0, 3, out);
    const e = Math.E;
    expect(Array.from(out)).toEqual(Array.from(Float32Array.of(e / (e + 2), 1 / (e + 2), 1 / (e + 2))));
    // A row whose largest logit is negative: the max must be found among them, not start at 0.
    softmaxRow(Float64Array.of(-1000, -1001, -1000 - Math.log(3)), 0, 3, out);
    const sum = 1 + 1 / e + 1 / 3;
    expect(out[0]).toBeCloseTo(1 / sum, 6);
    expect(out[1]).toBeCloseTo(1 / e / sum, 6);
    expect(out[2]).toBeCloseTo(1 / 3 / sum, 6);
  });

  it("writes the row's `classes` values only, into an out longer than that", () => {
    // Row 0 of two rows of 2 classes: softmax(0, ln 3) = (1/4, 3/4); the value after them is left alone.
    const out = Float32Array.of(-7, -7, -7);
    softmaxRow(Float64Array.of(0, Math.log(3), 5, 5), 0, 2, out);
    expect(Array.from(out)).toEqual([0.25, 0.75, -7]);
  });
});

describe('allocateExplanation and explanationImage', () => {
  it('allocates every array with its shape, zeroed', () => {
    const result = allocateExplanation(Int32Array.of(4, 1), 3, 2, 5, 6, 7);
    expect({ count: result.count, classes: result.classes, mapHeight: result.mapHeight, mapWidth: result.mapWidth, height: result.height, width: result.width }).toEqual({ count: 2, classes: 3, mapHeight: 2, mapWidth: 5, height: 6, width: 7 });
    expect(Array.from(result.indices)).toEqual([4, 1]);
    expect([result.logits.length, result.probabilities.length, result.predicted.length, result.targets.length, result.maps.length, result.heatmaps.length]).toEqual([6, 6, 2, 2, 20, 84]);
    for (const array of [result.logits, result.probabilities, result.predicted, result.targets, result.maps, result.heatmaps]) expect(array.every((v) => v === 0)).toBe(true);
  });

  it("gives image n's rows of every array, as views", () => {
    const result = allocateExplanation(Int32Array.of(8, 3, 5), 2, 1, 3, 2, 2);
    const fill = (a: Float32Array | Int32Array) => a.forEach((_, k) => { a[k] = k; });
    for (const array of [result.logits, result.probabilities, result.predicted, result.targets, result.maps, result.heatmaps]) fill(array);
    const image = explanationImage(result, 1);
    expect(image.index).toBe(3);
    expect(Array.from(image.logits)).toEqual([2, 3]);
    expect(Array.from(image.probabilities)).toEqual([2, 3]);
    expect(image.predicted).toBe(1);
    expect(image.target).toBe(1);
    expect(Array.from(image.map)).toEqual([3, 4, 5]);
    expect(Array.from(image.heatmap)).toEqual([4, 5, 6, 7]);
    image.map[0] = -1;
    expect(result.maps[3]).toBe(-1);
    expect(Array.from(explanationImage(result, 2).heatmap)).toEqual([8, 9, 10, 11]);
  });

  it('refuses a row outside the explanation, below, above or between rows, and takes the first and the last', () => {
    const result = allocateExplanation(Int32Array.of(8, 3, 5), 2, 1, 3, 2, 2);
    for (const n of [-1, 3, 0.5]) expect(refusal(() => explanationImage(result, n))).toBe(`explanationImage: row ${n} is outside the explanation's 3 rows (0 to 2)`);
    expect(errorOf(() => explanationImage(result, -1)).code).toBe('ERR_BAD_ARGUMENT');
    expect(explanationImage(result, 0).index).toBe(8);
    expect(explanationImage(result, 2).index).toBe(5);
  });
});

describe('heatmapFromMap', () => {
  it('stretches by default: a 1 × 2 map [0, 1] to 1 × 4 is bilinear with half-pixel centres, then min–max', () => {
    // Output pixel x samples the map at (x + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25 → clamped 0, 0.25, 0.75, 1.
    expect(Array.from(heatmapFromMap([0, 1], 1, 2, 1, 4))).toEqual([0, 0.25, 0.75, 1]);
    expect(Array.from(heatmapFromMap([10, 30], 1, 2, 1, 4, 'stretch'))).toEqual([0, 0.25, 0.75, 1]);
  });

  it('gives zeros of the input size for a flat map', () => {
    expect(Array.from(heatmapFromMap([2, 2], 1, 2, 1, 4))).toEqual([0, 0, 0, 0]);
    expect(Array.from(heatmapFromMap([0, NaN], 1, 2, 2, 3))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('gives zeros for a map flat within FLAT_TOLERANCE, which min–max alone would stretch to [0, 1]', () => {
    // [1, 1 + 5e-7]: a spread of half the tolerance, yet two float32 values apart (1 and 1 + 4 · 2⁻²³).
    expect(Math.fround(1 + 5e-7)).toBeGreaterThan(1);
    expect(Array.from(heatmapFromMap([1, 1 + 5e-7], 1, 2, 1, 4))).toEqual([0, 0, 0, 0]);
  });
});

describe('writeHeatmap', () => {
  it('returns out itself when it is the heatmap\'s size, else the view of its first height · width values', () => {
    const exact = new Float32Array(6).fill(-7);
    expect(writeHeatmap([0, 1], 1, 2, 2, 3, exact)).toBe(exact);
    const longer = new Float32Array(8).fill(-7);
    const view = writeHeatmap([0, 1], 1, 2, 2, 3, longer);
    expect([view.buffer === longer.buffer, view.byteOffset, view.length]).toEqual([true, 0, 6]);
    // Each row [0, 1] → [0, 0.5, 1] (s = −1/6, 1/2, 7/6, clamped to 0, 1/2, 1), then min–max.
    expect(Array.from(longer)).toEqual([0, 0.5, 1, 0, 0.5, 1, -7, -7]);
  });

  it('zeroes the first height · width values for a flat map, and returns them the same way', () => {
    const exact = new Float32Array(6).fill(-7);
    expect(writeHeatmap([3, 3], 1, 2, 2, 3, exact)).toBe(exact);
    expect(Array.from(exact)).toEqual([0, 0, 0, 0, 0, 0]);
    const longer = new Float32Array(8).fill(-7);
    const view = writeHeatmap([3, 3], 1, 2, 2, 3, longer);
    expect([view.buffer === longer.buffer, view.byteOffset, view.length]).toEqual([true, 0, 6]);
    expect(Array.from(longer)).toEqual([0, 0, 0, 0, 0, 0, -7, -7]);
  });
});
