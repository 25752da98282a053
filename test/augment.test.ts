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

/** A generator that gives the draws written out, in order, and fails on one more (Random.uniform reads next()). */
class Scripted extends Random {
  constructor(private readonly draws: number[]) {
    super(0);
  }

  override next(): number {
    const draw = this.draws.shift();
    if (draw === undefined) throw new Error('a draw more than the script holds');
    return draw;
  }

  get left(): number {
    return this.draws.length;
  }
}

describe('the draws, worked out from given uniform numbers', () => {
  it('every augmentation at once: shift, rotation, scale, crop, flip and erasing, in that order', () => {
    const list = parseAugmentations('shift(2),rotate(30),scale(0.5),crop(3),flip,erase(0.5)');
    // shift: ⌊0.9·5⌋ − 2 = 2, ⌊0.1·5⌋ − 2 = −2; rotate −30 + 60·0.75 = 15°; scale 0.5 + 1·0.25 = 0.75;
    // crop ⌊0.9·7⌋ − 3 = 3, ⌊0.99·7⌋ − 3 = 3 (added to the shift); flip 0.3 < ½ yes; erase 0.4 < 0.5 yes, then its rectangle:
    // area 784·(0.02 + 0.31·0.5) = 137.2, aspect e^(ln 0.3 + ½(ln 3.3 − ln 0.3)) = √0.99, so 12 × 12;
    // top ⌊0.5·(28 − 12 + 1)⌋ = 8, left ⌊0.25·17⌋ = 4.
    const random = new Scripted([0.9, 0.1, 0.75, 0.25, 0.9, 0.99, 0.3, 0.4, 0.5, 0.5, 0.5, 0.25]);
    const t = drawAugmentation(list, random, 28, 28);
    const cos = Math.cos(Math.PI / 12) / 0.75; // 1.2879…: the inverse map shrinks by 1/0.75
    const sin = Math.sin(Math.PI / 12) / 0.75; // 0.3451…
    expect(t.dx).toBe(5);
    expect(t.dy).toBe(1);
    expect(t.a).toBeCloseTo(-cos, 12); // mirrored
    expect(t.b).toBeCloseTo(-sin, 12);
    expect(t.c).toBeCloseTo(-sin, 12);
    expect(t.d).toBeCloseTo(cos, 12);
    expect(t.erase).toEqual({ top: 8, left: 4, height: 12, width: 12 });
    expect(random.left).toBe(0);
  });

  it('draws nothing for an augmentation not asked for: without flip no image is mirrored, however the draws fall', () => {
    // rotate −10 + 20·0.25 = −5°, then erase's draw 0.1 < 0.2: the 0.1 is not spent on a flip.
    const random = new Scripted([0.25, 0.1, 0.5, 0.5, 0.5, 0.9]);
    const t = drawAugmentation(parseAugmentations('rotate(10),erase(0.2)'), random, 10, 10);
    const angle = (-5 * Math.PI) / 180;
    expect([t.a, t.b, t.c, t.d].map((v) => v.toFixed(12))).toEqual([Math.cos(angle), Math.sin(angle), -Math.sin(angle), Math.cos(angle)].map((v) => v.toFixed(12)));
    expect([t.dx, t.dy]).toEqual([0, 0]);
    // 100·0.175 = 17.5 at aspect √0.99: 4 × 4; top ⌊0.5·7⌋ = 3, left ⌊0.9·7⌋ = 6.
    expect(t.erase).toEqual({ top: 3, left: 6, height: 4, width: 4 });
    expect(random.left).toBe(0);
  });

  it('flips and erases only below their probability: a draw of exactly ½ does not flip, one of p does not erase', () => {
    const noFlip = drawAugmentation(parseAugmentations('flip'), new Scripted([0.5]), 8, 8);
    expect(noFlip).toEqual({ a: 1, b: 0, c: -0, d: 1, dx: 0, dy: 0, erase: null });
    expect(drawAugmentation(parseAugmentations('flip'), new Scripted([0.7]), 8, 8).a).toBe(1);
    expect(drawAugmentation(parseAugmentations('erase(0.25)'), new Scripted([0.25]), 8, 8).erase).toBeNull();
    expect(drawAugmentation(parseAugmentations('erase(0.25)'), new Scripted([0.3]), 8, 8).erase).toBeNull();
  });

  it('scale(F) draws its factor from 1 − F to 1 + F, the low end at 0', () => {
    const inverse = (u: number) => drawAugmentation(parseAugmentations('scale(0.5)'), new Scripted([u]), 8, 8).a;
    expect(inverse(0)).toBeCloseTo(1 / 0.5, 12);
    expect(inverse(0.25)).toBeCloseTo(1 / 0.75, 12);
    expect(inverse(0.75)).toBeCloseTo(1 / 1.25, 12);
  });

  it('an erasing rectangle as large as the image, or of no height or width, is drawn again (up to 10 tries, then none)', () => {
    const erase = (size: number, draws: number[]) => {
      const random = new Scripted([0, ...draws]); // 0: below p, so the image is erased
      const t = drawAugmentation(parseAugmentations('erase(0.5)'), random, size, size);
      expect(random.left).toBe(0);
      return t.erase;
    };
    const fits = [0.5, 0.5, 0.5, 0.9]; // 10 × 10: a 4 × 4 rectangle at (3, 6), as above
    expect(erase(10, [1, 1, ...fits])).toEqual({ top: 3, left: 6, height: 4, width: 4 }); // 33·3.3: h = 10, the full height
    expect(erase(10, [1, 0, ...fits])).toEqual({ top: 3, left: 6, height: 4, width: 4 }); // 33/0.3: w = 10, the full width
    // 4 × 4: 0.32 at aspect 0.3 gives h = round(0.31) = 0; at 3.3, w = 0. Then 16·0.175 = 2.8: 2 × 2 at (1, 1).
    expect(erase(4, [0, 0, 0.5, 0.5, 0.5, 0.5])).toEqual({ top: 1, left: 1, height: 2, width: 2 });
    expect(erase(4, [0, 1, 0.5, 0.5, 0.5, 0.5])).toEqual({ top: 1, left: 1, height: 2, width: 2 });
    // A 1 × 1 image has no rectangle smaller than itself: 10 tries of two draws each, then none.
    expect(erase(1, Array(20).fill(0.5))).toBeNull();
  });

  it('each image\'s generator is seeded by (seed, epoch + 1, image) with 8 words discarded', () => {
    const expected = Random.fromState([7, 3, 11, 0x61756731]);
    for (let k = 0; k < 8; k++) expected.nextUint32();
    const random = imageRandom(7, 2, 11);
    for (let k = 0; k < 4; k++) expect(random.nextUint32()).toBe(expected.nextUint32());
  });
});

describe('the transforms, beyond one 3 × 3 channel', () => {
  /** A 3 × 3 plane of distinct powers of two, so every bilinear mix of them is told apart. */
  const ramp = () => Float64Array.from({ length: 9 }, (_, k) => 2 ** k);

  it('a fractional shift mixes the four neighbours with weights (1 − fx)(1 − fy), fx(1 − fy), (1 − fx)fy, fx·fy', () => {
    const image = ramp();
    augmentImage(image, 0, 1, 3, 3, { ...IDENTITY, dx: -0.25, dy: -0.5 }, new Float64Array(9));
    // Output (0, 0) reads (0.25, 0.5): ½(¾·1 + ¼·2) + ½(¾·8 + ¼·16) = 5.625.
    expect(image[0]).toBe(5.625);
    // Output (1, 0) reads (1.25, 0.5): ½(¾·2 + ¼·4) + ½(¾·16 + ¼·32) = 11.25.
    expect(image[1]).toBe(11.25);
    // Output (2, 2) reads (2.25, 2.5): only (2, 2) is inside, ½·¾·256 = 96.
    expect(image[8]).toBe(96);
  });

  it('a shift alone down the image, a shear and a stretch each move pixels (none is taken for the identity)', () => {
    expect(apply(dot(1, 0), { ...IDENTITY, dy: 1 })).toEqual(Array.from(dot(1, 1)));
    // b = 1: source x = (x − 1) + (y − 1) + 1, so output (0, 2) reads (1, 2) and output (2, 0) reads (1, 0).
    const shear = apply(ramp(), { ...IDENTITY, b: 1 });
    expect([shear[6], shear[2]]).toEqual([2 ** 7, 2 ** 1]);
    // c = 1: source y = (x − 1) + (y − 1) + 1.
    const shearDown = apply(ramp(), { ...IDENTITY, c: 1 });
    expect([shearDown[2], shearDown[6]]).toEqual([2 ** 5, 2 ** 3]);
    // d = 2: source y = 2(y − 1) + 1, so row 0 reads row −1 (0), row 2 reads row 3 (0), row 1 stays.
    expect(apply(ramp(), { ...IDENTITY, d: 2 })).toEqual([0, 0, 0, 8, 16, 32, 0, 0, 0]);
  });

  it('what comes in from beyond an edge is 0, never the next row\'s pixel', () => {
    expect(apply(dot(2, 0), { ...IDENTITY, dx: 1 })).toEqual(Array(9).fill(0));
    expect(apply(dot(0, 1), { ...IDENTITY, dx: -1 })).toEqual(Array(9).fill(0));
  });

  it('transforms every channel of image n of a batch, and erases in it only, leaving the other images alone', () => {
    // Two images of two 3 × 3 channels; image 1 shifted right by 1 and erased at rows 0–1, column 1.
    const batch = Float64Array.from({ length: 36 }, (_, k) => 1 + (k % 9));
    augmentImage(batch, 1, 2, 3, 3, { ...IDENTITY, dx: 1, erase: { top: 0, left: 1, height: 2, width: 1 } }, new Float64Array(18));
    const plane = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const shifted = [0, 0, 2, 0, 0, 5, 0, 7, 8]; // (x − 1, y), then column 1 of rows 0–1 zeroed
    expect(Array.from(batch)).toEqual([...plane, ...plane, ...shifted, ...shifted]);
  });

  it('augments only the images the indices name, though the buffer may hold more', () => {
    const list = parseAugmentations('shift(2)');
    const input = Float32Array.from({ length: 3 * 16 }, (_, k) => (k % 16) / 16);
    augmentBatch(input, [5, 6], [1, 4, 4], list, 1, 0);
    expect(Array.from(input.subarray(32))).toEqual(Array.from({ length: 16 }, (_, k) => k / 16));
  });
});

describe('--augment LIST, its edges', () => {
  it('takes each parameter\'s upper bound, and refuses a list with a comma inside parentheses as one part', () => {
    expect(parseAugmentations('shift(64),rotate(180),scale(0.9),crop(64),erase(1)')).toEqual([
      { kind: 'shift', pixels: 64 }, { kind: 'rotate', degrees: 180 }, { kind: 'scale', fraction: 0.9 }, { kind: 'crop', padding: 64 }, { kind: 'erase', probability: 1 },
    ]);
    expect(() => parseAugmentations('shift(2,33)')).toThrow(/^--augment: shift\(2,33\) needs a whole number above 0 and at most 64, e.g. shift\(2\)$/);
    expect(() => parseAugmentations('2shift(2)')).toThrow(/^--augment: '2shift\(2\)' is not an augmentation; /);
    expect(() => parseAugmentations('shift( )')).toThrow(/^--augment: shift\( \) needs a whole number/);
    expect(() => parseAugmentations('rotate(1e999)')).toThrow(/^--augment: rotate\(1e999\) needs a number above 0 and at most 180/);
  });
});
