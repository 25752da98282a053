/**
 * A picture already of the set's size takes picture-input.ts's direct path, which must give the bytes the
 * general conversion (model-image.ts, what explain --image and the library use) gives: checked on random
 * pictures, opaque and not, grey and RGB, for both channel counts.
 */
import { describe, expect, it } from 'vitest';
import { modelImageFromRgba } from '../src/explain/model-image.js';
import { pictureToInput } from '../src/data/picture-input.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';

describe('a picture of the input size, converted directly', () => {
  it('gives model-image.ts\'s bytes, for grey and RGB input, opaque or with transparency', () => {
    const random = new Random(14);
    for (let trial = 0; trial < 60; trial++) {
      const width = 1 + random.int(9);
      const height = 1 + random.int(9);
      const opaque = trial % 2 === 0;
      const rgba = Uint8Array.from({ length: width * height * 4 }, (_, k) => (opaque && k % 4 === 3 ? 255 : random.int(256)));
      for (const channels of [1, 3] as const) {
        const out = new Uint8Array(channels * height * width);
        const steps = pictureToInput(rgba, width, height, 3, { channels, height, width, preprocess: 'none' }, out, 'picture');
        const reference = modelImageFromRgba(rgba, width, height, channels, height, width, 'picture');
        expect(Array.from(out), `${width}×${height}, ${channels} channel(s), ${opaque ? 'opaque' : 'transparent'}`).toEqual(Array.from(reference));
        expect(steps.resized).toBe(false);
        expect(steps.alpha).toBe(!opaque && Array.from({ length: width * height }, (_, p) => rgba[4 * p + 3]).some((a) => a !== 255));
      }
    }
  });

  it('says what it did: grey made RGB, RGB made grey, resized when either side differs (MNIST: when not 28 × 28)', () => {
    const picture = (width: number, height: number) => new Uint8Array(width * height * 4).fill(255);
    const steps = (width: number, height: number, pictureChannels: 1 | 3, channels: 1 | 3, preprocess: 'none' | 'mnist' = 'none', size = [4, 4]) =>
      pictureToInput(picture(width, height), width, height, pictureChannels, { channels, height: size[0], width: size[1], preprocess }, new Uint8Array(channels * size[0] * size[1]), 'p');
    expect(steps(4, 4, 1, 3)).toEqual({ resized: false, toGrey: false, toColour: true, alpha: false });
    expect(steps(4, 4, 3, 1)).toEqual({ resized: false, toGrey: true, toColour: false, alpha: false });
    expect(steps(4, 4, 3, 3)).toEqual({ resized: false, toGrey: false, toColour: false, alpha: false });
    expect(steps(4, 4, 1, 1)).toEqual({ resized: false, toGrey: false, toColour: false, alpha: false });
    expect(steps(5, 4, 1, 1).resized).toBe(true);
    expect(steps(4, 5, 1, 1).resized).toBe(true);
    // MNIST preprocessing always makes 28 × 28: a white picture is inverted to an empty digit, so ink is drawn first.
    const digit = (width: number, height: number) => {
      const rgba = picture(width, height);
      for (let y = 1; y < height - 1; y++) rgba.fill(0, 4 * (y * width + 1), 4 * (y * width + width - 1));
      for (let k = 3; k < rgba.length; k += 4) rgba[k] = 255;
      return pictureToInput(rgba, width, height, 3, { channels: 1, height: 28, width: 28, preprocess: 'mnist' }, new Uint8Array(784), 'digit');
    };
    expect(digit(28, 28)).toEqual({ resized: false, toGrey: true, toColour: false, alpha: false });
    expect(digit(28, 30).resized).toBe(true);
    expect(digit(30, 28).resized).toBe(true);
  });
});

describe('lengths that do not match the picture or the image, refused', () => {
  // A 2 × 2 RGBA picture is 2 · 2 · 4 = 16 bytes; a 1 × 2 × 2 image 4, a 3 × 1 × 4 image 12.
  const grey = { channels: 1, height: 2, width: 2, preprocess: 'none' } as const;
  const opaque = (bytes: number) => new Uint8Array(bytes).fill(255);

  it('an rgba one byte short or long of width · height · 4 (it would be read past its end)', () => {
    for (const bytes of [15, 17]) {
      const error = errorOf(() => pictureToInput(opaque(bytes), 2, 2, 3, grey, new Uint8Array(4), 'p'), 'ERR_BAD_IMAGE');
      expect(error.message).toBe(`pictureToInput: rgba holds ${bytes} bytes, but a 2 × 2 RGBA picture is 16; give 4 bytes a pixel, row by row`);
    }
  });

  it('an out one byte short or long of channels · height · width (it would be written in part, or past the image)', () => {
    for (const bytes of [3, 5]) {
      const error = errorOf(() => pictureToInput(opaque(16), 2, 2, 3, grey, new Uint8Array(bytes), 'p'), 'ERR_BAD_ARGUMENT');
      expect(error.message).toBe(`pictureToInput: out holds ${bytes} bytes, but one 1×2×2 image is 4; give that image's slot`);
    }
    const colour = { channels: 3, height: 1, width: 4, preprocess: 'none' } as const;
    const error = errorOf(() => pictureToInput(opaque(16), 2, 2, 3, colour, new Uint8Array(11), 'p'), 'ERR_BAD_ARGUMENT');
    expect(error.message).toBe("pictureToInput: out holds 11 bytes, but one 3×1×4 image is 12; give that image's slot");
  });

  it('accepts the exact lengths, and writes every byte of out', () => {
    const out = new Uint8Array(4).fill(7);
    pictureToInput(opaque(16), 2, 2, 3, grey, out, 'p');
    expect([...out]).toEqual([255, 255, 255, 255]); // white: 0.299 · 255 + 0.587 · 255 + 0.114 · 255 = 255
  });
});
