/**
 * src/data/split.ts on a split worked out by hand: which examples of a tiny labelled set are held out per
 * class, from the seed's first numbers, the Fisher–Yates shuffle and round(F · n) capped at n − 1.
 */
import { describe, expect, it } from 'vitest';
import { selectImages, splitValidation, stratifiedHoldOut } from '../src/data/split.js';
import type { ImageSet } from '../src/data/dataset.js';

// Ten examples of four classes, the classes mixed:   index  0  1  2  3  4  5  6  7  8  9
const LABELS = [2, 0, 1, 0, 3, 1, 0, 2, 1, 0]; //      label  2  0  1  0  3  1  0  2  1  0
// class 0: indices 1, 3, 6, 9 (n = 4); class 1: 2, 5, 8 (n = 3); class 2: 0, 7 (n = 2); class 3: 4 (n = 1).

/*
 * Seed 1's first uint32 draws, from a separate xoshiro128** (seeded by splitmix32) written in Python for this
 * test: 2442144158, 3238099751, 3819917871, 2104621829, 2021136066, 4223536128. Random.int(n) takes a draw
 * mod n (no draw here is rejected: 2³² mod 4 = mod 2 = 0, and for n = 3 only 2³² − 1 would be).
 * The classes are shuffled in ascending order, each from position n − 1 down to 1, swapping with j = int(i + 1):
 *   class 0 [1, 3, 6, 9]: i = 3, j = 2442144158 mod 4 = 2 → [1, 3, 9, 6]; i = 2, j = 3238099751 mod 3 = 2 (digit
 *     sum 47) → same; i = 1, j = 3819917871 mod 2 = 1 → same.                               shuffled [1, 3, 9, 6]
 *   class 1 [2, 5, 8]: i = 2, j = 2104621829 mod 3 = 2 (digit sum 35) → same; i = 1, j = 2021136066 mod 2 = 0
 *     → [5, 2, 8].                                                                              shuffled [5, 2, 8]
 *   class 2 [0, 7]: i = 1, j = 4223536128 mod 2 = 0 → [7, 0].                                   shuffled [7, 0]
 *   class 3 [4]: nothing to draw.                                                               shuffled [4]
 * Each class then holds out the first min(round(F · n), n − 1) of its shuffled indices.
 */
const SEED = 1;

describe('stratifiedHoldOut on a split worked out by hand', () => {
  it('holds out round(0.4 · n) of each class: 2 of 4, 1 of 3, 1 of 2, 0 of 1', () => {
    // round(1.6) = 2 of class 0 → 1, 3; round(1.2) = 1 of class 1 → 5; round(0.8) = 1 of class 2 → 7;
    // round(0.4) = 0 of class 3. (Rounding down would hold out 1, 1, 0, 0; rounding up 2, 2, 1, 1.)
    const { kept, held } = stratifiedHoldOut(LABELS, 0.4, SEED);
    expect(held).toBeInstanceOf(Int32Array);
    expect(kept).toBeInstanceOf(Int32Array);
    expect(Array.from(held)).toEqual([1, 3, 5, 7]);
    expect(Array.from(kept)).toEqual([0, 2, 4, 6, 8, 9]);
  });

  it('keeps one example of every class however large the fraction: at most n − 1 held out', () => {
    // round(0.99 · n) = n for n = 4, 3, 2, 1, capped at 3, 2, 1, 0: class 0 → 1, 3, 9; class 1 → 5, 2;
    // class 2 → 7; class 3 keeps its only example.
    const { kept, held } = stratifiedHoldOut(LABELS, 0.99, SEED);
    expect(Array.from(held)).toEqual([1, 2, 3, 5, 7, 9]);
    expect(Array.from(kept)).toEqual([0, 4, 6, 8]);
  });

  it('gives the same split for the same seed, and typed-array labels the same as an array', () => {
    const again = stratifiedHoldOut(Uint8Array.from(LABELS), 0.4, SEED);
    expect(Array.from(again.held)).toEqual([1, 3, 5, 7]);
    expect(Array.from(again.kept)).toEqual([0, 2, 4, 6, 8, 9]);
  });

  it('holds out nothing of one example, and one of two', () => {
    expect(Array.from(stratifiedHoldOut([0], 0.5, SEED).held)).toEqual([]);
    expect(Array.from(stratifiedHoldOut([0], 0.5, SEED).kept)).toEqual([0]);
    // Class 0 is [0, 1]; seed 1's first draw mod 2 is 0, so the two swap to [1, 0]: index 1 is held out.
    expect(Array.from(stratifiedHoldOut([0, 0], 0.5, SEED).held)).toEqual([1]);
    expect(Array.from(stratifiedHoldOut([], 0.5, SEED).kept)).toEqual([]);
  });

  it('names the argument it refuses', () => {
    expect(() => stratifiedHoldOut({ length: 2 } as never, 0.5, SEED)).toThrow('stratifiedHoldOut: labels must be an array or a typed array of numbers, not Object');
  });
});

/** The ten examples above as 1×1×2 images: image n is (10n, 10n + 1), its float inputs n and n + 0.5. */
function tenImages(): ImageSet {
  const images = Uint8Array.from({ length: 20 }, (_, k) => 10 * (k >> 1) + (k & 1));
  const inputs = Float32Array.from({ length: 20 }, (_, k) => (k >> 1) + (k & 1) / 2);
  return { count: 10, channels: 1, height: 1, width: 2, images, inputs, labels: Uint8Array.from(LABELS) };
}

describe('splitValidation on the same set', () => {
  it('gives the held-out examples 1, 3, 5, 7 to validation and the rest to training, images, inputs and labels alike', () => {
    const { train, validation } = splitValidation(tenImages(), 0.4, SEED);
    expect(validation.count).toBe(4);
    expect(Array.from(validation.images)).toEqual([10, 11, 30, 31, 50, 51, 70, 71]);
    expect(Array.from(validation.inputs!)).toEqual([1, 1.5, 3, 3.5, 5, 5.5, 7, 7.5]);
    expect(Array.from(validation.labels)).toEqual([0, 0, 1, 2]);
    expect(validation.labels).toBeInstanceOf(Uint8Array);
    expect(train.count).toBe(6);
    expect(Array.from(train.images)).toEqual([0, 1, 20, 21, 40, 41, 60, 61, 80, 81, 90, 91]);
    expect(Array.from(train.labels)).toEqual([2, 1, 3, 0, 1, 0]);
    expect([train.channels, train.height, train.width]).toEqual([1, 1, 2]);
  });

  it('leaves a set without float inputs without them', () => {
    const { inputs: _, ...bytes } = tenImages();
    const { train, validation } = splitValidation(bytes, 0.4, SEED);
    expect('inputs' in train).toBe(false);
    expect('inputs' in validation).toBe(false);
  });

  it('names the argument it refuses, and the split fraction', () => {
    expect(() => splitValidation(null as never, 0.4, SEED)).toThrow('splitValidation: train must be an image set (count, height, width, images and labels: loadDataset, createDataset), not null');
    expect(() => splitValidation(tenImages(), 0, SEED)).toThrow('validation split: 0 is not a fraction above 0 and at most 0.99');
  });
});

describe('selectImages', () => {
  it('keeps the label array type of the set (Uint16Array labels stay Uint16Array)', () => {
    const set: ImageSet = { count: 2, height: 1, width: 1, images: Uint8Array.of(4, 5), labels: Uint16Array.of(300, 7) };
    const picked = selectImages(set, [1, 0, 1]);
    expect(picked.labels).toBeInstanceOf(Uint16Array);
    expect(Array.from(picked.labels)).toEqual([7, 300, 7]);
    expect(Array.from(picked.images)).toEqual([5, 4, 5]);
    expect(picked.count).toBe(3);
  });

  it('names the argument it refuses', () => {
    const set: ImageSet = { count: 1, height: 1, width: 1, images: Uint8Array.of(4), labels: Uint8Array.of(0) };
    expect(() => selectImages(set, 0 as never)).toThrow('selectImages: indices must be an array or a typed array of numbers, not number');
    expect(() => selectImages({} as never, [0])).toThrow('selectImages: set must be an image set (count, height, width, images and labels: loadDataset, createDataset), not Object');
  });
});
