/**
 * The taps resizeBilinearInto keeps between calls (src/explain/resize.ts cachedTaps): the same sizes give the
 * same taps object, which holds halfPixelTaps' values; up to TAPS_KEPT size pairs are kept and all are dropped
 * when one more comes; sizes past the key's room (65,536 pixels an axis) are made afresh every time. Each test
 * loads the module afresh, so that the cache starts empty and its count is known.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as Resize from '../src/explain/resize.js';

let resize: typeof Resize;
beforeEach(async () => {
  vi.resetModules();
  resize = await import('../src/explain/resize.js');
});

/** The taps' three arrays as plain numbers, to compare values. */
function values(taps: Resize.LinearTaps): number[][] {
  return [Array.from(taps.lower), Array.from(taps.upper), Array.from(taps.weight)];
}

describe('cachedTaps', () => {
  it("holds halfPixelTaps' values, and gives the same object for the same sizes", () => {
    const first = resize.cachedTaps(11, 28);
    expect(values(first)).toEqual(values(resize.halfPixelTaps(11, 28)));
    expect(resize.cachedTaps(11, 28)).toBe(first);
  });

  it('keeps each size pair apart, the two directions of an axis included', () => {
    const up = resize.cachedTaps(11, 28);
    const down = resize.cachedTaps(28, 11);
    const other = resize.cachedTaps(11, 27);
    expect(values(down)).toEqual(values(resize.halfPixelTaps(28, 11)));
    expect(values(other)).toEqual(values(resize.halfPixelTaps(11, 27)));
    expect(resize.cachedTaps(11, 28)).toBe(up);
    expect(resize.cachedTaps(28, 11)).toBe(down);
    expect(resize.cachedTaps(11, 27)).toBe(other);
  });

  it('keeps TAPS_KEPT (64) pairs, and drops them all when one more comes', () => {
    expect(resize.TAPS_KEPT).toBe(64);
    const kept = Array.from({ length: 64 }, (_, k) => resize.cachedTaps(k + 1, 5));
    kept.forEach((taps, k) => expect(resize.cachedTaps(k + 1, 5)).toBe(taps)); // all 64 still there
    const next = resize.cachedTaps(100, 5); // the 65th: the 64 are dropped, and it is kept alone
    expect(resize.cachedTaps(100, 5)).toBe(next);
    const again = resize.cachedTaps(1, 5);
    expect(again).not.toBe(kept[0]);
    expect(values(again)).toEqual(values(kept[0]));
    expect(resize.cachedTaps(100, 5)).toBe(next); // made again only for the dropped pair
  });

  it('makes the taps of a size of 65,536 or more afresh each time, on either side, and right', () => {
    for (const [inSize, outSize] of [[65_536, 3], [3, 65_536], [65_535, 2]]) {
      const taps = resize.cachedTaps(inSize, outSize);
      const made = resize.halfPixelTaps(inSize, outSize);
      const same = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.prototype.every.call(a, (v: number, k: number) => v === b[k]);
      expect([same(taps.lower, made.lower), same(taps.upper, made.upper), same(taps.weight, made.weight)]).toEqual([true, true, true]);
      // Kept just inside the room, made again past it (identity compared directly: not.toBe would diff 65,536 taps).
      expect(resize.cachedTaps(inSize, outSize) === taps).toBe(inSize === 65_535);
    }
  });
});
