/**
 * Augmentation (src/train/augment.ts): the --augment list and its one-line refusals; each transform on a
 * small image worked out by hand (a shift moves a pixel by whole pixels exactly, a flip mirrors, a quarter
 * turn moves the top edge to a side, erasing zeroes a rectangle); the draws within their ranges; and the
 * reproducibility a resumed run needs: an image's augmentation depends only on (seed, epoch, its index), not
 * on the batch it falls in.
 */
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { augmentBatch, augmentImage, drawAugmentation, formatAugmentations, imageRandom, parseAugmentations, type ImageAugmentation } from '../src/train/augment.js';

const IDENTITY: ImageAugmentation = { a: 1, b: 0, c: 0, d: 1, dx: 0, dy: 0, erase: null };
/** A 3 × 3 grey image, 0 but for one pixel of 1 at (x, y). */
const dot = (x: number, y: number) => {
  const image = new Float64Array(9);
  image[y * 3 + x] = 1;
  return image;
};
const apply = (image: Float64Array, t: ImageAugmentation) => {
  const copy = Float64Array.from(image);
  augmentImage(copy, 0, 1, 3, 3, t, new Float64Array(9));
  return Array.from(copy, (v) => Math.round(v * 1e9) / 1e9 + 0);
};

describe('--augment LIST', () => {
  it('reads each augmentation with its parameter, and writes the list back as given', () => {
    const list = parseAugmentations('shift(2), rotate(10),scale(0.1),crop(4),flip,erase(0.25)');
    expect(list).toEqual([
      { kind: 'shift', pixels: 2 }, { kind: 'rotate', degrees: 10 }, { kind: 'scale', fraction: 0.1 }, { kind: 'crop', padding: 4 }, { kind: 'flip' }, { kind: 'erase', probability: 0.25 },
    ]);
    expect(formatAugmentations(list)).toBe('shift(2),rotate(10),scale(0.1),crop(4),flip,erase(0.25)');
  });

  it.each([
    ['blur(2)', "--augment: 'blur' is not an augmentation; give a comma-separated list of shift(PIXELS), rotate(DEGREES), scale(FRACTION), crop(PADDING), flip, erase(PROBABILITY)"],
    ['shift(2', "--augment: 'shift(2' is not an augmentation; give a comma-separated list of shift(PIXELS), rotate(DEGREES), scale(FRACTION), crop(PADDING), flip, erase(PROBABILITY)"],
    ['shift(1.5)', '--augment: shift(1.5) needs a whole number above 0 and at most 64, e.g. shift(2)'],
    ['rotate(0)', '--augment: rotate(0) needs a number above 0 and at most 180, e.g. rotate(10)'],
    ['erase(2)', '--augment: erase(2) needs a number above 0 and at most 1, e.g. erase(0.1)'],
    ['shift', '--augment: shift() needs a whole number above 0 and at most 64, e.g. shift(2)'],
    ['flip(1)', "--augment: flip takes no parameter; give 'flip'"],
    ['shift(1),shift(2)', '--augment: shift is given twice; give each augmentation once'],
  ])('refuses %j in one line', (text, message) => {
    const error = (() => {
      try {
        parseAugmentations(text);
      } catch (e) {
        return e as XcnnError;
      }
      throw new Error('accepted');
    })();
    expect(error).toBeInstanceOf(XcnnError);
    expect(error.message).toBe(message);
    expect(error.exitCode).toBe(2);
  });
});

describe('the transforms, on a 3 × 3 image', () => {
  it('the identity leaves the image alone', () => {
    expect(apply(dot(0, 2), IDENTITY)).toEqual(Array.from(dot(0, 2)));
  });

  it('a shift by (1, −1) moves the pixel one right and one up, exactly; what leaves the image is gone', () => {
    expect(apply(dot(0, 2), { ...IDENTITY, dx: 1, dy: -1 })).toEqual(Array.from(dot(1, 1)));
    expect(apply(dot(2, 2), { ...IDENTITY, dx: 1 })).toEqual(Array(9).fill(0));
  });

  it('a flip mirrors left and right', () => {
    expect(apply(dot(0, 1), { ...IDENTITY, a: -1 })).toEqual(Array.from(dot(2, 1)));
  });

  it('a quarter turn takes the top centre to a side centre (source = R⁻¹(output − centre) + centre)', () => {
    const quarter = { ...IDENTITY, a: Math.cos(Math.PI / 2), b: Math.sin(Math.PI / 2), c: -Math.sin(Math.PI / 2), d: Math.cos(Math.PI / 2) };
    expect(apply(dot(1, 0), quarter)).toEqual(Array.from(dot(2, 1)));
  });

  it('a half-pixel shift mixes neighbours bilinearly: ½ and ½', () => {
    expect(apply(dot(1, 1), { ...IDENTITY, dx: 0.5 })).toEqual([0, 0, 0, 0, 0.5, 0.5, 0, 0, 0]);
  });

  it('erasing sets its rectangle to 0 in every channel and nothing else', () => {
    const image = Float64Array.from({ length: 18 }, () => 1);
    augmentImage(image, 0, 2, 3, 3, { ...IDENTITY, erase: { top: 1, left: 0, height: 2, width: 2 } }, new Float64Array(18));
    expect(Array.from(image)).toEqual([1, 1, 1, 0, 0, 1, 0, 0, 1, 1, 1, 1, 0, 0, 1, 0, 0, 1]);
  });
});

describe('the draws', () => {
  it('shift(2) draws whole pixels from −2 to 2, each of them; rotate(10) angles within ±10°; flip about half the images', () => {
    const list = parseAugmentations('shift(2),rotate(10),flip');
    const draws = Array.from({ length: 400 }, (_, k) => drawAugmentation(list, new Random(k), 28, 28));
    expect(new Set(draws.map((t) => t.dx))).toEqual(new Set([-2, -1, 0, 1, 2]));
    for (const t of draws) expect(Math.abs(Math.atan2(-t.c, t.d))).toBeLessThanOrEqual((10 * Math.PI) / 180 + 1e-12);
    const flipped = draws.filter((t) => t.a < 0).length;
    expect(flipped).toBeGreaterThan(150);
    expect(flipped).toBeLessThan(250);
  });

  it('erase(p) erases about p of the images, with rectangles of 2 % to 33 % of the area inside the image', () => {
    const list = parseAugmentations('erase(0.5)');
    const draws = Array.from({ length: 400 }, (_, k) => drawAugmentation(list, new Random(k), 28, 28));
    const erased = draws.filter((t) => t.erase !== null);
    expect(erased.length).toBeGreaterThan(150);
    expect(erased.length).toBeLessThan(250);
    for (const { erase } of erased) {
      const e = erase!;
      expect(e.top + e.height).toBeLessThanOrEqual(28);
      expect(e.left + e.width).toBeLessThanOrEqual(28);
      expect(e.height * e.width).toBeGreaterThanOrEqual(0.015 * 784);
      expect(e.height * e.width).toBeLessThanOrEqual(0.35 * 784);
    }
  });
});

describe('reproducibility', () => {
  const list = parseAugmentations('shift(2),rotate(10),scale(0.1),crop(2),erase(0.5)');
  const images = (count: number) => Float32Array.from({ length: count * 64 }, (_, k) => ((k * 37) % 101) / 100);
  const augmented = (indices: number[], seed: number, epoch: number) => {
    const input = images(indices.length);
    augmentBatch(input, indices, [1, 8, 8], list, seed, epoch);
    return input;
  };

  it('an image\'s augmentation depends on (seed, epoch, its index) only, not on the batch it falls in', () => {
    const together = augmented([3, 7], 1, 0);
    const alone = [augmented([3], 1, 0), augmented([7], 1, 0)];
    // Image 7 alone sits at n = 0 with image 0's pixels; compare each with the same pixels augmented in place.
    expect(Array.from(together.subarray(0, 64))).toEqual(Array.from(alone[0]));
    const seventh = images(1);
    augmentImage(seventh, 0, 1, 8, 8, drawAugmentation(list, imageRandom(1, 0, 7), 8, 8), new Float64Array(64));
    const inBatch = images(2).subarray(64, 128);
    const again = Float32Array.from(inBatch);
    augmentImage(again, 0, 1, 8, 8, drawAugmentation(list, imageRandom(1, 0, 7), 8, 8), new Float64Array(64));
    expect(Array.from(together.subarray(64))).toEqual(Array.from(again));
  });

  it('the same seed and epoch give the same bytes; another epoch or seed gives others', () => {
    const indices = [0, 1, 2, 3, 4, 5];
    expect(Buffer.from(augmented(indices, 1, 0).buffer).equals(Buffer.from(augmented(indices, 1, 0).buffer))).toBe(true);
    expect(Buffer.from(augmented(indices, 1, 0).buffer).equals(Buffer.from(augmented(indices, 1, 1).buffer))).toBe(false);
    expect(Buffer.from(augmented(indices, 1, 0).buffer).equals(Buffer.from(augmented(indices, 2, 0).buffer))).toBe(false);
  });
});
