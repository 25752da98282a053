/**
 * The in-place forms the per-image loops use (Grad-CAM, explainImages, guided Grad-CAM, Score-CAM's masks):
 * resizeBilinearInto and writeHeatmap write into a row of a larger array exactly what resizeBilinear and
 * heatmapFromMap return — bit for bit, whatever sizes came before (the axis taps are kept between calls) —
 * and touch nothing outside that row.
 */
import { describe, expect, it } from 'vitest';
import { heatmapFromMap, writeHeatmap } from '../src/explain/explanation.js';
import { halfPixelTaps, resizeBilinear, resizeBilinearInto, resizeWithTaps } from '../src/explain/resize.js';
import { Random } from '../src/random.js';

const randomMap = (random: Random, length: number) => Float64Array.from({ length }, () => random.uniform(-1, 3));
const SENTINEL = -7;

describe('resizeBilinearInto', () => {
  it('writes resizeBilinear\'s values into the row it is given, and nothing around it', () => {
    const random = new Random(5);
    const map = randomMap(random, 11 * 11);
    const rows = new Float32Array(3 * 784).fill(SENTINEL);
    const returned = resizeBilinearInto(map, 11, 11, 28, 28, rows.subarray(784, 1568));
    expect(Array.from(rows.subarray(784, 1568))).toEqual(Array.from(resizeBilinear(map, 11, 11, 28, 28)));
    expect(rows.subarray(784, 1568).every((v) => Number.isFinite(v) && v !== SENTINEL)).toBe(true);
    expect(returned.byteOffset).toBe(784 * 4); // the row itself, not a copy
    expect(rows.subarray(0, 784).every((v) => v === SENTINEL) && rows.subarray(1568).every((v) => v === SENTINEL)).toBe(true);
  });

  it('gives the taps made afresh for every size pair, in any order, over more sizes than it keeps (64 pairs)', () => {
    const random = new Random(9);
    for (let round = 0; round < 2; round++) {
      for (let k = 1; k <= 40; k++) {
        // Shrinking and enlarging, square and not: sides k and 41 − k, and back.
        const [inH, inW, outH, outW] = [k, 41 - k, 1 + ((k * 7) % 30), 1 + ((k * 11) % 29)];
        const input = randomMap(random, inH * inW);
        const expected = resizeWithTaps(input, inW, halfPixelTaps(inH, outH), halfPixelTaps(inW, outW));
        expect(Array.from(resizeBilinearInto(input, inH, inW, outH, outW, new Float32Array(outH * outW))), `${inH}×${inW} → ${outH}×${outW}`).toEqual(Array.from(expected));
        const back = randomMap(random, outH * outW);
        expect(Array.from(resizeBilinear(back, outH, outW, inH, inW))).toEqual(Array.from(resizeWithTaps(back, outW, halfPixelTaps(outH, inH), halfPixelTaps(outW, inW))));
      }
    }
  });

  it('resizes a side of 65,536 or more too (beyond what it keeps taps for)', () => {
    const input = Float64Array.from({ length: 70_000 }, (_, k) => k);
    // One row of 70,000 to 7: each output samples at (d + 0.5) · 10,000 − 0.5, between two inputs whose values are their indices.
    expect(Array.from(resizeBilinearInto(input, 1, 70_000, 1, 7, new Float32Array(7)))).toEqual([4999.5, 14999.5, 24999.5, 34999.5, 44999.5, 54999.5, 64999.5]);
  });
});

describe('writeHeatmap', () => {
  const field = { stride: 2, size: 6, centre: 2.5 };

  it.each(['stretch', 'receptive-field'] as const)('writes heatmapFromMap\'s heatmap (%s) into the row it is given, and nothing around it', (placement) => {
    const random = new Random(3);
    const map = randomMap(random, 11 * 11);
    const rows = new Float32Array(2 * 784).fill(SENTINEL);
    writeHeatmap(map, 11, 11, 28, 28, rows.subarray(784), placement, field);
    expect(Array.from(rows.subarray(784))).toEqual(Array.from(heatmapFromMap(map, 11, 11, 28, 28, placement, field)));
    expect(rows.subarray(0, 784).every((v) => v === SENTINEL)).toBe(true);
    expect(Math.min(...rows.subarray(784))).toBe(0); // min–max normalised: 0 …
    expect(Math.max(...rows.subarray(784))).toBe(1); // … to 1
  });

  it('writes zeros for a flat map, over whatever the row held', () => {
    const rows = new Float32Array(3 * 784).fill(SENTINEL);
    writeHeatmap(new Float64Array(121).fill(0.25), 11, 11, 28, 28, rows.subarray(784, 1568));
    expect(rows.subarray(784, 1568).every((v) => v === 0)).toBe(true);
    expect(rows.subarray(0, 784).every((v) => v === SENTINEL) && rows.subarray(1568).every((v) => v === SENTINEL)).toBe(true);
  });

  it('uses only the first height · width values of a longer array', () => {
    const map = randomMap(new Random(4), 9);
    const longer = new Float32Array(16 + 5).fill(SENTINEL);
    writeHeatmap(map, 3, 3, 4, 4, longer);
    expect(Array.from(longer.subarray(0, 16))).toEqual(Array.from(heatmapFromMap(map, 3, 3, 4, 4)));
    expect(Array.from(longer.subarray(16))).toEqual([SENTINEL, SENTINEL, SENTINEL, SENTINEL, SENTINEL]);
  });
});
