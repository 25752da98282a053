/**
 * The browser-safe PNG encoder (src/render/png-encoder.ts, deflate.ts): what it writes, pngjs (over Node's
 * zlib, an independent decoder) reads back pixel for pixel; Node's zlib inflates its zlib streams to the
 * input; its CRC-32 and Adler-32 match zlib's on the same bytes and the check values of their standards.
 */
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { crc32 as zlibCrc32, deflateSync, inflateRawSync, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { adler32, deflateFixed, zlibCompress } from '../src/render/deflate.js';
import { crc32, encodeRgbaPng, PNG_SIGNATURE } from '../src/render/png-encoder.js';

/** The properties' (and the large inputs') time limit: seconds here, minutes under StrykerJS's instrumentation on a busy machine (no test asserts a time). */
const PROPERTY_TIMEOUT = 900_000;

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

/** A PNG's chunks in file order: type, data, and the CRC stored after them. */
function chunksOf(png: Uint8Array): Array<{ type: string; data: Uint8Array; crc: number }> {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const chunks = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    chunks.push({ type: String.fromCharCode(...png.subarray(at + 4, at + 8)), data: png.subarray(at + 8, at + 8 + length), crc: view.getUint32(at + 8 + length) });
    at += 12 + length;
  }
  return chunks;
}

/**
 * The rows as the PNG spec says an encoder with the minimum-sum-of-absolute-differences heuristic (§12.8)
 * writes them before compression, written out per byte from §9.2's definitions: for byte x with a (left, bpp
 * back), b (above) and c (above-left), each 0 outside the image, the filters give x, x − a, x − b,
 * x − ⌊(a + b)/2⌋ and x − Paeth(a, b, c) (mod 256); the row takes the first filter whose bytes, read as signed,
 * have the least sum of absolute values. [height, 1 + width·bpp]
 */
function expectedFilteredRows(pixels: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const stride = width * bpp;
  const at = (y: number, k: number) => (y < 0 || k < 0 ? 0 : pixels[y * stride + k]);
  const paethOf = (a: number, b: number, c: number) => {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    if (pa <= pb && pa <= pc) return a;
    return pb <= pc ? b : c;
  };
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    const candidates = [0, 1, 2, 3, 4].map((filter) =>
      Array.from({ length: stride }, (_, k) => {
        const [x, a, b, c] = [at(y, k), at(y, k - bpp), at(y - 1, k), k < bpp ? 0 : at(y - 1, k - bpp)];
        const predicted = [0, a, b, Math.floor((a + b) / 2), paethOf(a, b, c)][filter];
        return (x - predicted + 256) % 256;
      }),
    );
    const cost = (bytes: number[]) => bytes.reduce((sum, v) => sum + Math.min(v, 256 - v), 0);
    let chosen = 0;
    for (let filter = 1; filter < 5; filter++) if (cost(candidates[filter]) < cost(candidates[chosen])) chosen = filter;
    out.push(chosen, ...candidates[chosen]);
  }
  return Uint8Array.from(out);
}

/** A DEFLATE token: a literal byte, or a match of `length` bytes `distance` back. */
type Token = { literal: number } | { length: number; distance: number };

/**
 * The tokens of one final fixed-Huffman block (RFC 1951 §3.2.3–3.2.6), read back bit by bit: the block header,
 * then codes read most significant bit first (7-bit 0000000–0010111: 256–279; 8-bit 00110000–10111111:
 * literals 0–143, 11000000–11000111: 280–287; 9-bit 110010000–111111111: literals 144–255), extra bits least
 * significant first, 5-bit distance codes. Also returns the bits after the end-of-block code (padding).
 */
function fixedBlockTokens(deflated: Uint8Array): { header: number[]; tokens: Token[]; paddingBits: number[] } {
  let bit = 0;
  const read = () => (deflated[bit >> 3] >> (bit++ & 7)) & 1;
  const extra = (count: number) => {
    let value = 0;
    for (let k = 0; k < count; k++) value |= read() << k;
    return value;
  };
  const code = (count: number, prefix = 0) => {
    let value = prefix;
    for (let k = 0; k < count; k++) value = (value << 1) | read();
    return value;
  };
  // RFC 1951 §3.2.5's tables, lengths 257–285 and distances 0–29: [base, extra bits].
  const lengths = [[3, 0], [4, 0], [5, 0], [6, 0], [7, 0], [8, 0], [9, 0], [10, 0], [11, 1], [13, 1], [15, 1], [17, 1], [19, 2], [23, 2], [27, 2], [31, 2], [35, 3], [43, 3], [51, 3], [59, 3], [67, 4], [83, 4], [99, 4], [115, 4], [131, 5], [163, 5], [195, 5], [227, 5], [258, 0]];
  const distances = Array.from({ length: 30 }, (_, d) => (d < 4 ? [d + 1, 0] : [(1 << ((d >> 1) - 1)) * (2 + (d & 1)) + 1, (d >> 1) - 1]));
  const header = [read(), extra(2)];
  const tokens: Token[] = [];
  for (;;) {
    let symbol: number;
    const seven = code(7);
    if (seven <= 0b0010111) symbol = 256 + seven;
    else {
      const eight = code(1, seven);
      if (eight >= 0b00110000 && eight <= 0b10111111) symbol = eight - 0b00110000;
      else if (eight >= 0b11000000 && eight <= 0b11000111) symbol = 280 + eight - 0b11000000;
      else symbol = 144 + code(1, eight) - 0b110010000;
    }
    if (symbol < 256) tokens.push({ literal: symbol });
    else if (symbol === 256) break;
    else {
      const [base, bits] = lengths[symbol - 257];
      const length = base + extra(bits);
      const [distanceBase, distanceBits] = distances[code(5)];
      tokens.push({ length, distance: distanceBase + extra(distanceBits) });
    }
  }
  const paddingBits: number[] = [];
  while (bit < deflated.length * 8) paddingBits.push(read());
  return { header, tokens, paddingBits };
}

/**
 * Greedy LZ77 by brute force: at each position the longest earlier match (3–258 bytes, at most 32,768 back),
 * the nearest of equally long ones; else a literal. What the hash-chain search finds whenever no 3-byte
 * prefix repeats more often than its chain limit (the inputs below keep well under it).
 */
function greedyTokens(data: Uint8Array): Token[] {
  const tokens: Token[] = [];
  for (let p = 0; p < data.length; ) {
    const limit = Math.min(258, data.length - p);
    let best = { length: 0, distance: 0 };
    for (let distance = 1; distance <= Math.min(p, 32768) && limit >= 3; distance++) {
      let length = 0;
      while (length < limit && data[p - distance + length] === data[p + length]) length++;
      if (length > best.length) best = { length, distance };
      if (length === limit) break;
    }
    if (best.length >= 3) {
      tokens.push(best);
      p += best.length;
    } else tokens.push({ literal: data[p++] });
  }
  return tokens;
}

/**
 * Short inputs whose 3-byte prefixes repeat a few times each: random bytes of 3–256 values, and repeated parts.
 * Lengths up to the maximum (`size: 'max'`): fast-check's default size keeps arrays to about ten elements,
 * too short for a hash chain of more than a candidate or two, where the nearest match is nearly always the longest.
 */
const shortInputs = fc.oneof(
  fc.integer({ min: 3, max: 256 }).chain((values) => fc.uint8Array({ maxLength: 300, max: values - 1, size: 'max' })),
  fc.array(fc.uint8Array({ minLength: 1, maxLength: 30, size: 'max' }), { maxLength: 12, size: 'max' }).map((parts) => Uint8Array.from(parts.flatMap((p) => [...p, ...p]))),
);

describe('the checksums', () => {
  it("CRC-32 gives the standard's check value for '123456789' (0xCBF43926) and agrees with zlib's", () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (data) => {
        expect(crc32(data)).toBe(zlibCrc32(data));
      }),
    );
  }, PROPERTY_TIMEOUT);

  it("Adler-32 gives RFC 1950's value for 'Wikipedia' (0x11E60398) and agrees with the trailer zlib writes", () => {
    expect(adler32(new TextEncoder().encode('Wikipedia'))).toBe(0x11e60398);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 20_000 }), (data) => {
        const stream = deflateSync(data);
        expect(adler32(data)).toBe(stream.readUInt32BE(stream.length - 4));
      }),
      { numRuns: 50 },
    );
  }, PROPERTY_TIMEOUT);
});

describe('zlibCompress (LZ77 + fixed Huffman codes)', () => {
  it('is one final block of fixed Huffman codes holding the greedy longest-match tokens (nearest on ties), padded with zero bits', () => {
    fc.assert(
      fc.property(shortInputs, (data) => {
        const { header, tokens, paddingBits } = fixedBlockTokens(deflateFixed(data));
        expect(header).toEqual([1, 1]); // BFINAL 1, BTYPE 01
        expect(tokens).toEqual(greedyTokens(data));
        expect(paddingBits.length).toBeLessThan(8);
        expect(paddingBits.every((b) => b === 0)).toBe(true);
      }),
      { numRuns: 100 },
    );
  }, PROPERTY_TIMEOUT);

  it('writes the zlib header 78 01 and the Adler-32 of the data, big-endian, around the block', () => {
    const data = new TextEncoder().encode('Wikipedia');
    const stream = zlibCompress(data);
    expect([stream[0], stream[1]]).toEqual([0x78, 0x01]);
    expect((stream[0] * 256 + stream[1]) % 31).toBe(0);
    expect(Array.from(stream.subarray(stream.length - 4))).toEqual([0x11, 0xe6, 0x03, 0x98]);
    expect(Array.from(stream.subarray(2, stream.length - 4))).toEqual(Array.from(deflateFixed(data)));
  });

  it('matches up to 258 bytes at a time and codes every length and distance code (runs, and repeats at distances 1 … 32,768)', () => {
    const run = new Uint8Array(1000).fill(7);
    expect(fixedBlockTokens(deflateFixed(run)).tokens).toEqual([{ literal: 7 }, { length: 258, distance: 1 }, { length: 258, distance: 1 }, { length: 258, distance: 1 }, { length: 225, distance: 1 }]);
    // Distances of 24 and more: a 6-byte pattern at 0 and again `distance` on, zeros between and after; the
    // second copy matches the first, zeros and all (20 bytes, to the end), and nothing nearer does.
    const pattern = [251, 252, 253, 254, 255, 250];
    for (const distance of [24, 25, 32, 33, 100, 1000, 4096, 4097, 20000, 24577, 32768]) {
      const data = new Uint8Array(distance + 20);
      data.set(pattern, 0);
      data.set(pattern, distance);
      const tokens = fixedBlockTokens(deflateFixed(data)).tokens;
      expect(tokens.at(-1)).toEqual({ length: 20, distance });
      expect(Buffer.from(inflateSync(zlibCompress(data))).equals(Buffer.from(data))).toBe(true);
    }
    for (const distance of [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17]) {
      const data = Uint8Array.from({ length: distance + 20 }, (_, k) => (k % distance) + 1); // period `distance`, distinct bytes within it
      expect(fixedBlockTokens(deflateFixed(data)).tokens).toEqual([...Array.from({ length: distance }, (_, k) => ({ literal: k + 1 })), { length: 20, distance }]);
    }
    for (let length = 3; length <= 255; length++) { // distinct bytes 0 … length − 1, then 255, then them again
      const data = Uint8Array.from([...Array.from({ length }, (_, k) => k), 255, ...Array.from({ length }, (_, k) => k)]);
      expect(fixedBlockTokens(deflateFixed(data)).tokens.at(-1)).toEqual({ length, distance: length + 1 });
    }
  }, PROPERTY_TIMEOUT);

  it('does not reach back more than 32,768 bytes (the window): a repeat at 32,769 is literals', () => {
    const pattern = [201, 202, 203, 204, 205];
    for (const [distance, matched] of [[32768, true], [32769, false]] as const) {
      const data = new Uint8Array(distance + pattern.length); // zeros between: they match only each other
      data.set(pattern, 0);
      data.set(pattern, distance);
      const tokens = fixedBlockTokens(deflateFixed(data)).tokens;
      expect(tokens.slice(-1)[0]).toEqual(matched ? { length: 5, distance } : { literal: 205 });
      expect(Buffer.from(inflateSync(zlibCompress(data))).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('looks at no more than 48 earlier places of a 3-byte prefix (its chain), the newest first', () => {
    // 1 2 3 9 8 7 6, then `between` copies of 1 2 3 and a byte of its own, then 1 2 3 9 8 7 6 again: the last
    // 1 2 3 matches each copy for 3 bytes (the nearest, 4 back, first) and the first place for all 7.
    const tokensFor = (between: number) => {
      const data = Uint8Array.from([1, 2, 3, 9, 8, 7, 6, ...Array.from({ length: between }, (_, k) => [1, 2, 3, 10 + k]).flat(), 1, 2, 3, 9, 8, 7, 6]);
      return { tokens: fixedBlockTokens(deflateFixed(data)).tokens, lastAt: data.length - 7 };
    };
    const reached = tokensFor(47); // 47 copies and the first place: 48 places
    expect(reached.tokens.at(-1)).toEqual({ length: 7, distance: reached.lastAt });
    const beyond = tokensFor(48); // the first place is the 49th: the nearest copy, then 9 8 7 6 from the first place
    expect(beyond.tokens.slice(-2)).toEqual([{ length: 3, distance: 4 }, { length: 4, distance: beyond.lastAt }]);
  });

  it('writes 9 bits a byte at worst (the literals 144–255, which no match shortens), and not a byte more than header, literals and end of block take', () => {
    for (let n = 0; n <= 112; n++) {
      const data = Uint8Array.from({ length: n }, (_, k) => 144 + k); // distinct bytes: no 3-byte prefix repeats
      const deflated = deflateFixed(data);
      expect(deflated.length).toBe(Math.ceil((3 + 9 * n + 7) / 8)); // RFC 1951 §3.2.6: BFINAL + BTYPE, 9-bit codes, 7-bit code 256
      expect(Buffer.from(inflateRawSync(deflated)).equals(Buffer.from(data))).toBe(true);
    }
  });

  it('writes an empty input as the end-of-block code alone', () => {
    expect(Array.from(deflateFixed(new Uint8Array(0)))).toEqual([0x03, 0x00]); // 1, 01, then 0000000 (256), padding
    expect(Buffer.from(inflateSync(zlibCompress(new Uint8Array(0)))).length).toBe(0);
  });

  it("is a zlib stream that Node's zlib inflates back to the input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 5000, size: 'max' }), fc.uint8Array({ maxLength: 5000, max: 2, size: 'max' }), fc.array(fc.uint8Array({ minLength: 1, maxLength: 40 }), { maxLength: 300, size: 'max' }).map((parts) => Uint8Array.from(parts.flatMap((p) => [...p, ...p, ...p])))), (data) => {
        expect(Buffer.from(inflateSync(zlibCompress(data))).equals(Buffer.from(data))).toBe(true);
      }),
      { numRuns: 100 },
    );
  }, PROPERTY_TIMEOUT);

  it('compresses runs: 100,000 equal bytes take under 1 % of their size (a match is at most 258 bytes, ~15 bits)', () => {
    const data = new Uint8Array(100_000).fill(7);
    const stream = zlibCompress(data);
    expect(stream.length).toBeLessThan(1000);
    expect(Buffer.from(inflateSync(stream)).equals(Buffer.from(data))).toBe(true);
  }, PROPERTY_TIMEOUT);
});

describe('encodeRgbaPng (browser-safe PNG writer)', () => {
  it('writes the signature, then IHDR, one IDAT and IEND, each chunk with its length and the CRC-32 zlib computes', () => {
    const png = encodeRgbaPng(new Uint8Array(3 * 2 * 4).fill(9), 3, 2);
    expect(Array.from(png.subarray(0, 8))).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(PNG_SIGNATURE).toEqual([137, 80, 78, 71, 13, 10, 26, 10]);
    const chunks = chunksOf(png);
    expect(chunks.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    for (const { type, data, crc } of chunks) expect(crc).toBe(zlibCrc32(Buffer.concat([Buffer.from(type, 'latin1'), data])));
    // IEND is always the same 12 bytes: length 0, 'IEND', CRC AE 42 60 82.
    expect(Array.from(png.subarray(png.length - 12))).toEqual([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  });

  it('says width, height, 8 bits, colour type 2 or 6 and no interlace in IHDR, byte for byte', () => {
    const ihdr = (alpha: boolean) => Array.from(chunksOf(encodeRgbaPng(new Uint8Array(300 * 2 * 4), 300, 2, { alpha }))[0].data);
    // 300 = 0x012C; 2 = 0x02; then depth 8, colour type, compression 0, filter 0, interlace 0.
    expect(ihdr(false)).toEqual([0, 0, 0x01, 0x2c, 0, 0, 0, 2, 8, 2, 0, 0, 0]);
    expect(ihdr(true)).toEqual([0, 0, 0x01, 0x2c, 0, 0, 0, 2, 8, 6, 0, 0, 0]);
  });

  it("filters each row with the PNG spec's minimum-sum heuristic: IDAT inflates to the rows §9.2 and §12.8 give, filter bytes included", () => {
    fc.assert(
      fc.property(images, fc.boolean(), ({ width, height, rgba }, alpha) => {
        const bpp = alpha ? 4 : 3;
        const pixels = alpha ? rgba : Uint8Array.from({ length: width * height * 3 }, (_, k) => rgba[Math.floor(k / 3) * 4 + (k % 3)]);
        const idat = chunksOf(encodeRgbaPng(rgba, width, height, { alpha }))[1].data;
        expect(Buffer.from(inflateSync(idat)).equals(Buffer.from(expectedFilteredRows(pixels, width, height, bpp)))).toBe(true);
      }),
      { numRuns: 40 },
    );
  }, PROPERTY_TIMEOUT);

  it('picks each filter where it alone wins, and the first of equal ones (None on a flat first row)', () => {
    // One grey pixel a row, RGB: the rows' bytes and each filter's result (a = left, b = above).
    const rows = (values: number[][]) => {
      const width = values[0].length;
      const rgba = Uint8Array.from(values.flat().flatMap((v) => [v, v, v, 255]));
      return Array.from(inflateSync(chunksOf(encodeRgbaPng(rgba, width, values.length))[1].data));
    };
    const filters = (values: number[][]) => {
      const bytes = rows(values);
      const stride = 1 + values[0].length * 3;
      return values.map((_, y) => bytes[y * stride]);
    };
    expect(filters([[0, 0]])).toEqual([0]); // all filters give zeros: None, the first
    expect(filters([[10, 20, 30, 40]])).toEqual([1]); // a ramp along the row: Sub leaves 10, 10, 10, …
    expect(filters([[90, 10, 200], [90, 10, 200]])).toEqual([0, 2]); // None and Up tie on the first row (468): None; then Up's zeros
    expect(filters([[100, 100], [100, 100]])).toEqual([1, 2]); // Sub (100, 0) beats None; then Up's zeros come first
    expect(filters([[60, 60], [160, 100]])).toEqual([1, 3]); // Average (408) beats Up (420), Sub (468) and Paeth (480)
    expect(filters([[200, 0, 0, 0], [200, 10, 20, 30]])).toEqual([0, 4]); // Paeth takes up, then left: 0, 10, 10, 10 (90 against Up's 180)
  });

  it('refuses an argument of the wrong kind by name (ERR_BAD_ARGUMENT): the pixels, the width, the height, the options', () => {
    const refusal = (call: () => unknown) => {
      try {
        call();
      } catch (error) {
        return [(error as XcnnError).code, (error as Error).message];
      }
      return ['accepted'];
    };
    const refused = (message: string) => ['ERR_BAD_ARGUMENT', message];
    expect(refusal(() => encodeRgbaPng([0, 0, 0, 255] as never, 1, 1))).toEqual(refused('encodeRgbaPng: rgba must be a Uint8Array or Uint8ClampedArray of pixel bytes (ImageData.data is one), not Array'));
    expect(refusal(() => encodeRgbaPng(new Uint8Array(4), '1' as never, 1))).toEqual(refused('encodeRgbaPng: width must be a number, not string'));
    expect(refusal(() => encodeRgbaPng(new Uint8Array(4), 1, null as never))).toEqual(refused('encodeRgbaPng: height must be a number, not null'));
    expect(refusal(() => encodeRgbaPng(new Uint8Array(4), 1, 1, 7 as never))).toEqual(refused('encodeRgbaPng: options must be an object (alpha), not number'));
  });

  it('refuses a size that is not whole and positive, and pixels that do not fill it, naming the fix', () => {
    expect(() => encodeRgbaPng(new Uint8Array(0), 0, 1)).toThrow(XcnnError);
    expect(() => encodeRgbaPng(new Uint8Array(8), 1.5, 1)).toThrow(/not a positive whole number/);
    expect(() => encodeRgbaPng(new Uint8Array(7), 1, 2)).toThrow(/7 bytes of pixels for 1×2 RGBA; give width·height·4 = 8 bytes/);
  });

  it('refuses each bad size by name, and takes the edges: 1 × 1, and a width or height of 2³¹ − 1 (only its pixel count is then wrong)', () => {
    const message = (call: () => unknown) => {
      try {
        call();
      } catch (error) {
        expect(error).toBeInstanceOf(XcnnError);
        return [(error as XcnnError).code, (error as Error).message];
      }
      return ['accepted'];
    };
    const size = (w: number, h: number) => ['ERR_BAD_IMAGE', `PNG: the size ${w}×${h} is not a positive whole number of pixels each way`];
    expect(message(() => encodeRgbaPng(new Uint8Array(4), 0, 1))).toEqual(size(0, 1));
    expect(message(() => encodeRgbaPng(new Uint8Array(4), 1, 0))).toEqual(size(1, 0));
    expect(message(() => encodeRgbaPng(new Uint8Array(4), 1, 1.5))).toEqual(size(1, 1.5));
    expect(message(() => encodeRgbaPng(new Uint8Array(4), 2 ** 31, 1))).toEqual(size(2 ** 31, 1));
    expect(message(() => encodeRgbaPng(new Uint8Array(4), 1, 2 ** 31))).toEqual(size(1, 2 ** 31));
    expect(message(() => encodeRgbaPng(new Uint8Array(4), 2 ** 31 - 1, 1))).toEqual(['ERR_BAD_IMAGE', `PNG: 4 bytes of pixels for ${2 ** 31 - 1}×1 RGBA; give width·height·4 = ${(2 ** 31 - 1) * 4} bytes`]);
    expect(message(() => encodeRgbaPng(new Uint8Array(4), 1, 2 ** 31 - 1))).toEqual(['ERR_BAD_IMAGE', `PNG: 4 bytes of pixels for 1×${2 ** 31 - 1} RGBA; give width·height·4 = ${(2 ** 31 - 1) * 4} bytes`]);
    expect(decode(encodeRgbaPng(Uint8Array.of(1, 2, 3, 4), 1, 1, { alpha: true })).rgba).toEqual(Uint8Array.of(1, 2, 3, 4));
  });

  it('reads a Uint8ClampedArray (ImageData.data) and a view into a larger buffer as the pixels they show', () => {
    const backing = Uint8Array.from({ length: 40 }, (_, k) => k * 5);
    const view = backing.subarray(8, 24); // 2 × 2 RGBA
    expect(decode(encodeRgbaPng(view, 2, 2, { alpha: true })).rgba).toEqual(Uint8Array.from(view));
    const clamped = new Uint8ClampedArray(backing.buffer, 8, 16);
    expect(decode(encodeRgbaPng(clamped, 2, 2, { alpha: true })).rgba).toEqual(Uint8Array.from(view));
  });
  it('writes RGBA pixels that pngjs reads back exactly, with alpha kept (colour type 6)', () => {
    fc.assert(
      fc.property(images, ({ width, height, rgba }) => {
        const decoded = decode(encodeRgbaPng(rgba, width, height, { alpha: true }));
        expect([decoded.width, decoded.height, decoded.colorType]).toEqual([width, height, 6]);
        expect(Buffer.from(decoded.rgba).equals(Buffer.from(rgba))).toBe(true);
      }),
      { numRuns: 50 },
    );
  }, PROPERTY_TIMEOUT);

  it('drops alpha by default (colour type 2): the RGB channels come back exactly, alpha as 255', () => {
    fc.assert(
      fc.property(images, ({ width, height, rgba }) => {
        const decoded = decode(encodeRgbaPng(rgba, width, height));
        expect(decoded.colorType).toBe(2);
        const expected = Uint8Array.from(rgba, (v, k) => (k % 4 === 3 ? 255 : v));
        expect(Buffer.from(decoded.rgba).equals(Buffer.from(expected))).toBe(true);
      }),
      { numRuns: 50 },
    );
  }, PROPERTY_TIMEOUT);

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
  }, PROPERTY_TIMEOUT);

});

