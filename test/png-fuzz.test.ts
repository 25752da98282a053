/**
 * The PNG-input reader (`explain --image`) against hostile bytes: for arbitrary bytes, and for valid
 * PNGs truncated, bit-flipped or with their declared size rewritten, it returns a 28×28 digit or throws
 * XcnnError — never a RangeError, a hang or an out-of-memory. Declared sizes are checked before decoding.
 */
import { PNG } from 'pngjs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { digitFromPng } from '../src/explain/digit-image.js';

/** A 40×30 grey PNG with a bar of ink: a valid starting point for the mutations. */
function validPng(): Uint8Array {
  const png = new PNG({ width: 40, height: 30 });
  for (let y = 0; y < 30; y++) {
    for (let x = 0; x < 40; x++) {
      const at = (y * 40 + x) * 4;
      const ink = x > 15 && x < 22 && y > 4 && y < 26 ? 0 : 255;
      png.data.set([ink, ink, ink, 255], at);
    }
  }
  return PNG.sync.write(png);
}

function readsOrRefuses(bytes: Uint8Array): void {
  try {
    const digit = digitFromPng(bytes, 'fuzz.png');
    expect(digit.pixels.length).toBe(28 * 28);
  } catch (error) {
    expect(error, String(error)).toBeInstanceOf(XcnnError);
  }
}

describe('PNG input reader', () => {
  const valid = validPng();

  it('reads the valid starting image', () => {
    expect(digitFromPng(valid, 'ok.png').pixels.length).toBe(784);
  });

  it('returns a digit or throws XcnnError for arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), readsOrRefuses), { numRuns: 300 });
  });

  it('returns a digit or throws XcnnError for a valid PNG truncated and bit-flipped', () => {
    const mutations = fc.record({
      cut: fc.integer({ min: 8, max: valid.length }),
      flips: fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(mutations, ({ cut, flips }) => {
        const bytes = Uint8Array.from(valid.subarray(0, cut));
        for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
        readsOrRefuses(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses declared sizes it will not decode, whatever they are, before decoding', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 2 ** 32 - 1 }), (width, height) => {
        const bytes = Uint8Array.from(valid);
        const view = new DataView(bytes.buffer);
        view.setUint32(16, width);
        view.setUint32(20, height);
        const started = performance.now();
        readsOrRefuses(bytes);
        expect(performance.now() - started).toBeLessThan(1000);
      }),
      { numRuns: 200 },
    );
  });
});
