/**
 * The browser-safe PNG encoder (src/render/png-encoder.ts, deflate.ts): what it writes, pngjs (over Node's
 * zlib, an independent decoder) reads back pixel for pixel; Node's zlib inflates its zlib streams to the
 * input; its CRC-32 and Adler-32 match zlib's on the same bytes and the check values of their standards.
 */
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { crc32 as zlibCrc32, deflateSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { adler32, zlibCompress } from '../src/render/deflate.js';
import { crc32, encodeRgbaPng } from '../src/render/png-encoder.js';

/** A PNG's pixels as pngjs decodes them (always RGBA) and its IHDR colour type. */
function decode(png: Uint8Array): { width: number; height: number; rgba: Uint8Array; colorType: number } {
  const decoded = PNG.sync.read(Buffer.from(png));
  return { width: decoded.width, height: decoded.height, rgba: new Uint8Array(decoded.data), colorType: png[25] };
}

/** Random pixels: uniform noise, or few colours in runs (what figures look like), so both LZ77 and the filters are exercised. */
const images = fc
  .record({ width: fc.integer({ min: 1, max: 70 }), height: fc.integer({ min: 1, max: 40 }), palette: fc.integer({ min: 1, max: 256 }), seed: fc.integer() })
  .chain(({ width, height, palette }) =>
    fc.record({
      width: fc.constant(width),
      height: fc.constant(height),
      rgba: fc.uint8Array({ minLength: width * height * 4, maxLength: width * height * 4, max: palette - 1 }).map((bytes) => {
        if (palette > 16) return bytes;
        // Few colours: scale the small values up and repeat each pixel along the row, as an enlarged figure does.
        const out = new Uint8Array(bytes.length);
        for (let p = 0; p < bytes.length; p += 4) {
          const source = p - (p % 12); // pixels 3k, 3k + 1, 3k + 2 all take pixel 3k's colour
          out.set(bytes.subarray(source, source + 4).map((v) => v * 17), p);
        }
        return out;
      }),
    }),
  );

describe('encodeRgbaPng (browser-safe PNG writer)', () => {
  it('writes RGBA pixels that pngjs reads back exactly, with alpha kept (colour type 6)', () => {
    fc.assert(
      fc.property(images, ({ width, height, rgba }) => {
        const decoded = decode(encodeRgbaPng(rgba, width, height, { alpha: true }));
        expect([decoded.width, decoded.height, decoded.colorType]).toEqual([width, height, 6]);
        expect(Buffer.from(decoded.rgba).equals(Buffer.from(rgba))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('drops alpha by default (colour type 2): the RGB channels come back exactly, alpha as 255', () => {
    fc.assert(
      fc.property(images, ({ width, height, rgba }) => {
        const decoded = decode(encodeRgbaPng(rgba, width, height));
        expect(decoded.colorType).toBe(2);
        const expected = Uint8Array.from(rgba, (v, k) => (k % 4 === 3 ? 255 : v));
        expect(Buffer.from(decoded.rgba).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('reads back a large figure-like image (long runs, matches at distances up to the 32 KiB window)', () => {
    const width = 900;
    const height = 300;
    const rgba = new Uint8Array(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) rgba.set([(Math.floor(x / 8) * 37) & 255, (Math.floor(y / 8) * 53) & 255, (x * y) & 255, 255], 4 * (y * width + x));
    }
    const png = encodeRgbaPng(rgba, width, height);
    expect(Buffer.from(decode(png).rgba).equals(Buffer.from(rgba))).toBe(true);
    console.log(`900×300 figure-like image: ${png.length} bytes (raw RGB ${width * height * 3})`);
  });

  it('refuses a size that is not whole and positive, and pixels that do not fill it, naming the fix', () => {
    expect(() => encodeRgbaPng(new Uint8Array(0), 0, 1)).toThrow(XcnnError);
    expect(() => encodeRgbaPng(new Uint8Array(8), 1.5, 1)).toThrow(/not a positive whole number/);
    expect(() => encodeRgbaPng(new Uint8Array(7), 1, 2)).toThrow(/7 bytes of pixels for 1×2 RGBA; give width·height·4 = 8 bytes/);
  });
});

describe('zlibCompress (LZ77 + fixed Huffman codes)', () => {
  it("is a zlib stream that Node's zlib inflates back to the input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 5000 }), fc.uint8Array({ maxLength: 5000, max: 2 }), fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 300 }).map((parts) => Uint8Array.from(parts.flatMap((p) => [...p, ...p, ...p])))), (data) => {
        expect(Buffer.from(inflateSync(zlibCompress(data))).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('compresses runs: 100,000 equal bytes take under 1 % of their size (a match is at most 258 bytes, ~15 bits)', () => {
    const data = new Uint8Array(100_000).fill(7);
    const stream = zlibCompress(data);
    expect(stream.length).toBeLessThan(1000);
    expect(Buffer.from(inflateSync(stream)).equals(Buffer.from(data))).toBe(true);
  });
});

describe('the checksums', () => {
  it("CRC-32 gives the standard's check value for '123456789' (0xCBF43926) and agrees with zlib's", () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        expect(crc32(data)).toBe(zlibCrc32(data));
      }),
    );
  });

  it("Adler-32 gives RFC 1950's value for 'Wikipedia' (0x11E60398) and agrees with the trailer zlib writes", () => {
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (data) => {
        const stream = deflateSync(data);
        expect(adler32(data)).toBe(stream.readUInt32BE(stream.length - 4));
      }),
      { numRuns: 50 },
    );
  });
});
