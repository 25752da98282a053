/**
 * MNIST's preprocessing steps one by one (src/explain/mnist-digit.ts), on pictures of a few pixels whose every
 * value is worked out in the comments: BT.601 luminance over white, the border's median as the background
 * (the mean of the two middle values, sorted as numbers), which side is ink, the stretch to 255 and the blank
 * picture's limit, the bounding box above a quarter of full ink, the fit into the 20-pixel box, the centre of
 * mass and the placement that puts it nearest (14, 14) without leaving the field; then the whole chain on a bar.
 */
import { describe, expect, it } from 'vitest';
import { centreByMass, centreOfMass, fitInBox, greyFromRgba, inkBoundingBox, inkFromGrey, mnistDigit, MNIST_BOX, MNIST_SIZE, type GreyImage } from '../src/explain/mnist-digit.js';
import { errorOf } from './errors.js';

const grey = (width: number, height: number, values: number[]): GreyImage => ({ width, height, pixels: Float32Array.from(values) });
const BLANK = (source: string) => `${source}: the image is blank (no stroke stands out from the background); draw the digit darker or on a plainer background`;

describe('greyFromRgba', () => {
  it('is 0.299 R + 0.587 G + 0.114 B, composited over white by alpha', () => {
    const rgba = Uint8Array.of(100, 50, 200, 255, /* clear */ 0, 0, 0, 0, /* a fifth opaque */ 10, 20, 30, 51);
    const { width, height, pixels } = greyFromRgba(rgba, 3, 1);
    expect([width, height]).toEqual([3, 1]);
    // 29.9 + 29.35 + 22.8 = 82.05; 255; 0.2 · (2.99 + 11.74 + 3.42) + 0.8 · 255 = 0.2 · 18.15 + 204 = 207.63.
    expect(pixels[0]).toBeCloseTo(82.05, 4);
    expect(pixels[1]).toBe(255);
    expect(pixels[2]).toBeCloseTo(207.63, 4);
  });
});

describe('inkFromGrey', () => {
  it('dark ink on light paper is inverted; the background is the border\'s median, the peak stretched to 255', () => {
    // 3 × 3, border (8 values) 200, 230, 240, 250 twice each; centre 40. Inverted: 55, 25, 15, 5 and 215.
    // The median of 5, 5, 15, 15, 25, 25, 55, 55 is (15 + 25) / 2 = 20; the peak 215 − 20 = 195.
    const { ink, inverted } = inkFromGrey(grey(3, 3, [200, 230, 240, 250, 40, 250, 240, 230, 200]), 'p');
    expect(inverted).toBe(true);
    const expected = [55, 25, 15, 5, 215, 5, 15, 25, 55].map((v) => Math.max(0, ((v - 20) / 195) * 255));
    Array.from(ink.pixels).forEach((v, k) => expect(v, `pixel ${k}`).toBeCloseTo(expected[k], 3));
    expect([ink.width, ink.height]).toEqual([3, 3]);
  });

  it('light ink on a dark background is kept; the median sorts numbers as numbers (5 < 20 < 100)', () => {
    // Border 100, 5, 20, 9, 30, 40, 50, 60 (top row 100 5 20, sides 9 and 30, bottom 40 50 60): as numbers the middle
    // two are 30 and 40, median 35 (as strings, "40" and "5"); centre 135, the peak 100.
    const { ink, inverted } = inkFromGrey(grey(3, 3, [100, 5, 20, 9, 135, 30, 40, 50, 60]), 'p');
    expect(inverted).toBe(false);
    expect(ink.pixels[4]).toBe(255);
    expect(ink.pixels[0]).toBeCloseTo(((100 - 35) / 100) * 255, 3);
    expect(ink.pixels[1]).toBe(0); // below the background: 0, not negative
    expect(ink.pixels[3]).toBe(0);
  });

  it('the median is of the border sorted as numbers, whatever order the border is read in', () => {
    // 4 × 3: the border is read as p0, p8, p1, p9, p2, p10, p3, p11, p4, p7; p2 = 0 and p10 = 100 come fifth and
    // sixth. Sorted as numbers (0, 10, 12, 14, 16, 18, 20, 22, 24, 100) the middle two are 16 and 18: background 17
    // (unsorted it would be 50, as strings 15). The centre p5 = p6 = 117 stands 100 above it.
    const values = [10, 14, 0, 18, 22, 117, 117, 24, 12, 16, 100, 20];
    const { ink, inverted } = inkFromGrey(grey(4, 3, values), 'p');
    expect(inverted).toBe(false);
    const expected = values.map((v) => Math.min(255, Math.max(0, ((v - 17) / 100) * 255)));
    Array.from(ink.pixels).forEach((v, k) => expect(v, `pixel ${k}`).toBeCloseTo(expected[k], 3));
  });

  it('a border whose median is exactly 127.5 counts as dark (no inversion)', () => {
    // Border 127 and 128, four each: median 127.5. Kept, the centre 200 stands 72.5 above it. Inverted, every
    // pixel would be within 0.5 of the background, and the picture blank.
    const { ink, inverted } = inkFromGrey(grey(3, 3, [127, 128, 127, 128, 200, 128, 127, 128, 127]), 'p');
    expect(inverted).toBe(false);
    expect(ink.pixels[4]).toBe(255);
    expect(ink.pixels[1]).toBeCloseTo((0.5 / 72.5) * 255, 3);
  });

  it('a stroke exactly 24 above the background is a digit; 23.9 is blank, named by its source', () => {
    const { ink } = inkFromGrey(grey(3, 3, [0, 0, 0, 0, 24, 0, 0, 0, 0]), 'p');
    expect(Array.from(ink.pixels)).toEqual([0, 0, 0, 0, 255, 0, 0, 0, 0]);
    expect(errorOf(() => inkFromGrey(grey(3, 3, [0, 0, 0, 0, 23.9, 0, 0, 0, 0]), 'faint.png'), 'ERR_BAD_IMAGE').message).toBe(BLANK('faint.png'));
  });
});

describe('inkBoundingBox', () => {
  it('is the smallest box of the pixels strictly above the threshold', () => {
    // 5 × 4; above 10: (1, 1), (3, 2), (2, 1); exactly 10 at (4, 3) and (0, 0) is left out.
    const values = [10, 0, 0, 0, 0, 0, 50, 11, 0, 0, 0, 0, 0, 99, 0, 0, 0, 0, 0, 10];
    expect(inkBoundingBox(grey(5, 4, values), 10)).toEqual({ x: 1, y: 1, width: 3, height: 2 });
  });
});

describe('inkBoundingBox at the edges', () => {
  it('a box of the first column or the first row alone starts and ends there', () => {
    expect(inkBoundingBox(grey(3, 3, [0, 0, 0, 9, 0, 0, 0, 0, 0]), 1)).toEqual({ x: 0, y: 1, width: 1, height: 1 });
    expect(inkBoundingBox(grey(3, 3, [0, 9, 0, 0, 0, 0, 0, 0, 0]), 1)).toEqual({ x: 1, y: 0, width: 1, height: 1 });
    expect(inkBoundingBox(grey(3, 3, [9, 0, 0, 0, 0, 0, 0, 0, 0]), 1)).toEqual({ x: 0, y: 0, width: 1, height: 1 });
  });
});

describe('fitInBox', () => {
  it('shrinks by area, not by bilinear samples: 60 × 3 of 0, 0, 9 repeated becomes 20 × 1 of 3s', () => {
    // Each output pixel covers a 3 × 3 block, whose mean is 3; a bilinear sample (s = 3d + 1) would read the 0 between.
    const boxed = fitInBox(grey(60, 3, Array.from({ length: 180 }, (_, p) => (p % 3 === 2 ? 9 : 0))), 20);
    expect([boxed.width, boxed.height]).toEqual([20, 1]);
    Array.from(boxed.pixels).forEach((v, j) => expect(v, `pixel ${j}`).toBeCloseTo(3, 4));
  });


  it('shrinks by area: a 40 × 8 picture becomes 20 × 4 of 2 × 2 means', () => {
    const values = Array.from({ length: 8 * 40 }, (_, p) => (p % 40) * 2 + Math.floor(p / 40) * 100);
    const boxed = fitInBox(grey(40, 8, values), 20);
    expect([boxed.width, boxed.height]).toEqual([20, 4]);
    // Block (i, j): columns 2j, 2j + 1 → 4j + 1 on average; rows 2i, 2i + 1 → 100 · (2i + 0.5).
    for (let i = 0; i < 4; i++) for (let j = 0; j < 20; j++) expect(boxed.pixels[i * 20 + j]).toBeCloseTo(4 * j + 1 + 100 * (2 * i + 0.5), 3);
  });

  it('keeps the aspect ratio with a shorter side of at least 1, rounding (30 × 7 → 20 × 5; 100 × 1 → 20 × 1)', () => {
    const seven = fitInBox(grey(30, 7, new Array(210).fill(9)), 20);
    expect([seven.width, seven.height]).toEqual([20, 5]); // 7 · 2/3 = 4.67
    expect(Array.from(seven.pixels).every((v) => Math.abs(v - 9) < 1e-4)).toBe(true);
    const thin = fitInBox(grey(1, 100, new Array(100).fill(3)), 20);
    expect([thin.width, thin.height]).toEqual([1, 20]); // 0.2 rounds to 0, made 1
  });

  it('enlarges bilinearly (half-pixel centres): a 2 × 1 ramp 0, 10 becomes 20 × 10', () => {
    const boxed = fitInBox(grey(2, 1, [0, 10]), 20);
    expect([boxed.width, boxed.height]).toEqual([20, 10]);
    // Output column j samples x = (j + 0.5) / 10 − 0.5, clamped to [0, 1]: 0 up to j = 4, then 10 · x, 10 from j = 15.
    const row = Array.from(boxed.pixels.subarray(0, 20));
    const expected = Array.from({ length: 20 }, (_, j) => 10 * Math.min(1, Math.max(0, (j + 0.5) / 10 - 0.5)));
    row.forEach((v, j) => expect(v, `column ${j}`).toBeCloseTo(expected[j], 4));
  });
});

describe('centreOfMass and centreByMass', () => {
  it('the centre of mass is the intensity-weighted mean (x, y); an empty image\'s is its middle', () => {
    // 3 × 2: 1 at (0, 0), 3 at (2, 1): x = (0 + 6)/4 = 1.5, y = 3/4.
    expect(centreOfMass(grey(3, 2, [1, 0, 0, 0, 0, 3]))).toEqual({ x: 1.5, y: 0.75 });
    expect(centreOfMass(grey(4, 3, new Array(12).fill(0)))).toEqual({ x: 1.5, y: 1 });
  });

  it('places the image so its centre of mass lands nearest (size/2, size/2), rounded, values rounded into 0–255', () => {
    // 3 × 2 in a 10 × 10 field: 2 at (0, 0), 6 at (2, 1): mass at (1.5, 0.75) → left = round(5 − 1.5) = 4 (3.5
    // rounds up), top = round(4.25) = 4.
    const field = centreByMass(grey(3, 2, [2, 0, 0, 0, 0, 6]), 10);
    const expected = new Uint8Array(100);
    expected[4 * 10 + 4] = 2;
    expected[5 * 10 + 6] = 6;
    expect(Array.from(field)).toEqual(Array.from(expected));
    // Symmetric rows (mass at x = 1) placed at left 4, top 5: 254.5 rounds to 255, 1.4 to 1, 300 to 255, −5 to 0.
    expect(Array.from(centreByMass(grey(3, 1, [254.5, 1.4, 254.5]), 10).subarray(50, 60))).toEqual([0, 0, 0, 0, 255, 1, 255, 0, 0, 0]);
    expect(Array.from(centreByMass(grey(3, 1, [300, -5, 300]), 10).subarray(50, 60))).toEqual([0, 0, 0, 0, 255, 0, 255, 0, 0, 0]);
  });

  it('never leaves the field: mass at the left edge pushes the image right only as far as it fits, and the other way', () => {
    // 6 × 1 in 8: all mass at x = 5 → left = round(4 − 5) = −1 → 0; all at x = 0 → left = 4, clamped to 8 − 6 = 2.
    const right = centreByMass(grey(6, 1, [0, 0, 0, 0, 0, 200]), 8);
    expect(Array.from(right.subarray(32, 40))).toEqual([0, 0, 0, 0, 0, 200, 0, 0]); // top = round(4 − 0) = 4
    const left = centreByMass(grey(6, 1, [200, 0, 0, 0, 0, 0]), 8);
    expect(Array.from(left.subarray(32, 40))).toEqual([0, 0, 200, 0, 0, 0, 0, 0]);
    // The same along y: a 1 × 6 column.
    const down = centreByMass(grey(1, 6, [0, 0, 0, 0, 0, 200]), 8);
    expect(down[5 * 8 + 4]).toBe(200);
    const up = centreByMass(grey(1, 6, [200, 0, 0, 0, 0, 0]), 8);
    expect(up[2 * 8 + 4]).toBe(200);
  });
});

describe('mnistDigit, the whole chain', () => {
  it('a dark 4 × 2 bar on white paper becomes a 20 × 10 bar of 255, centred by mass in 28 × 28', () => {
    // 10 × 8 paper (255), the bar at x 3–6, y 2–3 (grey 0), and a faint speck (grey 200: ink 55, below 63.75) at (8, 6).
    const values = new Array(80).fill(255);
    for (let y = 2; y < 4; y++) for (let x = 3; x < 7; x++) values[y * 10 + x] = 0;
    values[6 * 10 + 8] = 200;
    const digit = mnistDigit(grey(10, 8, values), 'bar');
    expect(digit.inverted).toBe(true);
    expect(digit.crop).toEqual({ x: 3, y: 2, width: 4, height: 2 });
    // Scaled by 5 to 20 × 10, uniform 255; mass at (9.5, 4.5) → left = round(4.5) = 5, top = round(9.5) = 10.
    const expected = new Uint8Array(28 * 28);
    for (let y = 10; y < 20; y++) for (let x = 5; x < 25; x++) expected[y * 28 + x] = 255;
    expect(Array.from(digit.pixels)).toEqual(Array.from(expected));
    expect([MNIST_SIZE, MNIST_BOX]).toEqual([28, 20]);
  });

  it('a blank picture is refused with its source named', () => {
    expect(errorOf(() => mnistDigit(grey(4, 4, new Array(16).fill(128)), 'empty.png'), 'ERR_BAD_IMAGE').message).toBe(BLANK('empty.png'));
  });
});
