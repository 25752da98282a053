/**
 * A picture made into any model's input (src/explain/model-image.ts), on pictures of a few pixels worked out by
 * hand: BT.601 grey or R, G, B planes, each composited over white by alpha; area means when the picture is at
 * least the model's size along both axes, bilinear samples (half-pixel centres) otherwise — on values that are
 * not a ramp, where the two differ; bytes rounded; and the channel counts a picture cannot give.
 */
import { describe, expect, it } from 'vitest';
import { PNG } from 'pngjs';
import { modelImageFromPng } from '../src/explain/digit-image.js';
import { modelImageFromRgba } from '../src/explain/model-image.js';
import { errorOf } from './errors.js';

/** RGBA of opaque grey pixels. */
const greys = (values: number[]) => Uint8Array.from(values.flatMap((v) => [v, v, v, 255]));
// Along the long side: 0, 10, 50, 30, 0, 100. Area means of three: 20 and 43.3; bilinear samples at x = 1 and 4: 10 and 0.
const ROW = [0, 10, 50, 30, 0, 100];

describe('modelImageFromRgba', () => {
  it('one channel: 0.299 R + 0.587 G + 0.114 B over white; three: the planes over white', () => {
    const rgba = Uint8Array.of(100, 50, 200, 255, /* clear */ 0, 0, 0, 0, /* a fifth opaque */ 10, 20, 30, 51);
    // 29.9 + 29.35 + 22.8 = 82.05 → 82; 255; 0.2 · 18.15 + 204 = 207.63 → 208.
    expect(Array.from(modelImageFromRgba(rgba, 3, 1, 1, 1, 3))).toEqual([82, 255, 208]);
    // R plane 100, 255, 0.2 · 10 + 204 = 206; G 50, 255, 208; B 200, 255, 210.
    expect(Array.from(modelImageFromRgba(rgba, 3, 1, 3, 1, 3))).toEqual([100, 255, 206, 50, 255, 208, 200, 255, 210]);
  });

  it('area-averages a picture at least the model\'s size along both axes (6 × 1 → 2 × 1; 1 × 6 → 1 × 2)', () => {
    expect(Array.from(modelImageFromRgba(greys(ROW), 6, 1, 1, 1, 2))).toEqual([20, 43]);
    expect(Array.from(modelImageFromRgba(greys(ROW), 1, 6, 1, 2, 1))).toEqual([20, 43]);
  });

  it('samples bilinearly when the model is larger along either axis (6 × 1 → 2 × 2; 1 × 6 → 2 × 2)', () => {
    expect(Array.from(modelImageFromRgba(greys(ROW), 6, 1, 1, 2, 2))).toEqual([10, 0, 10, 0]);
    expect(Array.from(modelImageFromRgba(greys(ROW), 1, 6, 1, 2, 2))).toEqual([10, 10, 0, 0]);
  });

  it('resizes each of three planes alike, into [C, H, W]', () => {
    const rgba = Uint8Array.from(ROW.flatMap((v) => [v, 2 * v, 255 - v, 255]));
    // R: 20, 43.3; G: 40, 86.7; B: 235, 211.7.
    expect(Array.from(modelImageFromRgba(rgba, 6, 1, 3, 1, 2))).toEqual([20, 43, 40, 87, 235, 212]);
  });

  it('refuses a channel count a picture cannot give, naming the picture (by default "image")', () => {
    expect(errorOf(() => modelImageFromRgba(greys([1]), 1, 1, 2, 1, 1, 'cat.png'), 'ERR_BAD_IMAGE').message).toBe(
      'cat.png: a picture gives 1 (grey) or 3 (RGB) channels, but the model takes 2',
    );
    expect(errorOf(() => modelImageFromRgba(greys([1]), 1, 1, 4, 1, 1), 'ERR_BAD_IMAGE').message).toBe(
      'image: a picture gives 1 (grey) or 3 (RGB) channels, but the model takes 4',
    );
  });

  it("names the picture's width and height when either is not a positive whole number", () => {
    expect(errorOf(() => modelImageFromRgba(greys([1]), '1' as never, 1, 1, 1, 1), 'ERR_BAD_ARGUMENT').message).toBe('modelImageFromRgba: pictureWidth must be a whole number ≥ 1, not string');
    expect(errorOf(() => modelImageFromRgba(greys([1]), 1, 0, 1, 1, 1), 'ERR_BAD_ARGUMENT').message).toBe('modelImageFromRgba: pictureHeight must be a whole number ≥ 1, not 0');
  });

  it('refuses a size that is not a positive whole number, naming it', () => {
    for (const [name, args] of [['channels', [0, 1, 1]], ['height', [1, 1.5, 1]], ['width', [1, 1, -1]]] as const) {
      expect(errorOf(() => modelImageFromRgba(greys([1]), 1, 1, ...(args as [number, number, number])), 'ERR_BAD_ARGUMENT').message).toMatch(new RegExp(`^modelImageFromRgba: ${name} must be `));
    }
  });
});

describe('modelImageFromPng', () => {
  it('decodes the PNG and makes its pixels the model\'s input (the 6 × 1 row above, area-averaged to 2)', () => {
    const png = new PNG({ width: 6, height: 1 });
    png.data.set(greys(ROW));
    expect(Array.from(modelImageFromPng(PNG.sync.write(png), 'row.png', 1, 1, 2))).toEqual([20, 43]);
  });

  it('names the file when its bytes are not a PNG, and when the model takes channels a picture cannot give', () => {
    expect(errorOf(() => modelImageFromPng(Uint8Array.of(1, 2, 3), 'notes.txt', 1, 1, 1)).message).toMatch(/^notes\.txt: /);
    const png = new PNG({ width: 1, height: 1 });
    expect(errorOf(() => modelImageFromPng(PNG.sync.write(png), 'dot.png', 2, 1, 1)).message).toBe('dot.png: a picture gives 1 (grey) or 3 (RGB) channels, but the model takes 2');
  });
});
