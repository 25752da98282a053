/**
 * A zlib stream (RFC 1950) around DEFLATE (RFC 1951), in plain TypeScript so PNGs can be written where
 * Node's zlib is not: in a browser, in a worker, in the browser-safe core.
 *
 * The compressor is the simplest one that does well on figures: LZ77 with a hash chain over 3-byte
 * prefixes (greedy matching, a 32 KiB window, at most MAX_CHAIN candidates a position), its literals,
 * lengths and distances written with DEFLATE's *fixed* Huffman codes (block type 01) in one final
 * block. No dynamic Huffman tables: figures are mostly flat colour and repeated rows, which LZ77 alone
 * takes down by one or two orders of magnitude; a dynamic table would save perhaps a further 10–20 %.
 *
 *   zlib stream  = CMF 0x78 (deflate, 32 KiB window) · FLG 0x01 (check bits) · deflate data · Adler-32 (big-endian)
 *   fixed codes  literal/length 0–143: 8 bits from 0x30, 144–255: 9 bits from 0x190, 256–279: 7 bits from 0,
 *                280–287: 8 bits from 0xC0; distance codes: 5 bits. Huffman codes are sent most significant
 *                bit first, everything else (header bits, extra bits) least significant bit first.
 */

const WINDOW = 32768;
const MIN_MATCH = 3;
const MAX_MATCH = 258;
const MAX_CHAIN = 48;
const HASH_BITS = 15;

/** DEFLATE's length codes 257–285: the shortest length of each and its extra bits. */
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
/** Distance codes 0–29: the shortest distance of each and its extra bits. */
const DISTANCE_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DISTANCE_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];

/** `code` of `length` bits with its bit order reversed (Huffman codes go out most significant bit first). */
function reverseBits(code: number, length: number): number {
  let reversed = 0;
  for (let k = 0; k < length; k++) reversed |= ((code >> k) & 1) << (length - 1 - k);
  return reversed;
}

/** The fixed literal/length code of each symbol 0–287, bit-reversed, and its length. */
const FIXED_LITERALS = Array.from({ length: 288 }, (_, symbol) => {
  const [start, first, length] = symbol < 144 ? [0, 0x30, 8] : symbol < 256 ? [144, 0x190, 9] : symbol < 280 ? [256, 0, 7] : [280, 0xc0, 8];
  return { code: reverseBits(first + symbol - start, length), length };
});
const FIXED_DISTANCES = Array.from({ length: 30 }, (_, symbol) => reverseBits(symbol, 5));

/** The largest k with table[k] ≤ value (tables ascend). */
function codeIndex(table: readonly number[], value: number): number {
  let k = table.length - 1;
  while (table[k] > value) k--;
  return k;
}

/** Bits out, least significant first, into a buffer of `capacity` bytes (the caller's bound on what it writes). */
class BitWriter {
  private readonly bytes: Uint8Array;
  private length = 0;
  private buffer = 0; // pending bits, fewer than 8 between calls
  private count = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  /** Appends the `count` (≤ 16) low bits of `value`. */
  write(value: number, count: number): void {
    this.buffer |= value << this.count;
    this.count += count;
    while (this.count >= 8) {
      this.pushByte(this.buffer & 0xff);
      this.buffer >>>= 8;
      this.count -= 8;
    }
  }

  pushByte(byte: number): void {
    this.bytes[this.length++] = byte;
  }

  /** Pads the last byte with zero bits and returns everything written. */
  finish(): Uint8Array {
    if (this.count > 0) this.pushByte(this.buffer & 0xff);
    this.buffer = 0;
    this.count = 0;
    return this.bytes.subarray(0, this.length);
  }
}

function writeLiteral(out: BitWriter, symbol: number): void {
  const { code, length } = FIXED_LITERALS[symbol];
  out.write(code, length);
}

function writeMatch(out: BitWriter, length: number, distance: number): void {
  const l = codeIndex(LENGTH_BASE, length);
  writeLiteral(out, 257 + l);
  out.write(length - LENGTH_BASE[l], LENGTH_EXTRA[l]); // no extra bits: 0 bits of 0, nothing written
  const d = codeIndex(DISTANCE_BASE, distance);
  out.write(FIXED_DISTANCES[d], 5);
  out.write(distance - DISTANCE_BASE[d], DISTANCE_EXTRA[d]);
}

function hash3(data: Uint8Array, p: number): number {
  return (((data[p] << 16) | (data[p + 1] << 8) | data[p + 2]) * 2654435761) >>> (32 - HASH_BITS);
}

/**
 * The most bytes deflateFixed writes for n bytes: the 3 header bits, 9 bits a byte and the 7-bit end of block.
 * 9 bits is the longest literal code, and a match never costs more than its bytes would as literals: 3 bytes
 * take at most 7 + 5 + 13 = 25 bits (code 257, a distance code and its extra bits), longer ones at most
 * 8 + 5 + 5 + 13 = 31 bits (codes 280–284 carry up to 5 extra bits) for 4 or more bytes.
 */
function deflateFixedBound(n: number): number {
  return Math.ceil((3 + 9 * n + 7) / 8);
}

/** Raw DEFLATE data (RFC 1951) of `data`: one final block with the fixed Huffman codes. */
export function deflateFixed(data: Uint8Array): Uint8Array {
  const out = new BitWriter(deflateFixedBound(data.length));
  out.write(1, 1); // BFINAL
  out.write(1, 2); // BTYPE 01: fixed Huffman codes
  const head = new Int32Array(1 << HASH_BITS).fill(-1); // the latest position with each hash
  const previous = new Int32Array(WINDOW); // the position before p with p's hash, indexed p mod WINDOW
  const insert = (p: number) => {
    const h = hash3(data, p);
    previous[p & (WINDOW - 1)] = head[h];
    head[h] = p;
  };
  let p = 0;
  while (p < data.length) {
    let bestLength = 0;
    let bestDistance = 0;
    if (p + MIN_MATCH <= data.length) {
      const limit = Math.min(MAX_MATCH, data.length - p);
      let candidate = head[hash3(data, p)];
      // `previous` is indexed mod WINDOW, so a slot is reused by the position WINDOW after its owner; that
      // position is inserted only after every search within WINDOW of the owner, so the window check ends a
      // chain before it could follow a reused slot.
      for (let chain = 0; candidate >= 0 && p - candidate <= WINDOW && chain < MAX_CHAIN; chain++) {
        let length = 0;
        while (length < limit && data[candidate + length] === data[p + length]) length++;
        if (length > bestLength) {
          bestLength = length;
          bestDistance = p - candidate;
          if (length === limit) break;
        }
        candidate = previous[candidate & (WINDOW - 1)];
      }
    }
    if (bestLength >= MIN_MATCH) {
      writeMatch(out, bestLength, bestDistance);
      const end = p + bestLength;
      for (; p < end; p++) if (p + MIN_MATCH <= data.length) insert(p);
    } else {
      writeLiteral(out, data[p]);
      if (p + MIN_MATCH <= data.length) insert(p);
      p++;
    }
  }
  writeLiteral(out, 256); // end of block
  return out.finish();
}

/** Adler-32 (RFC 1950) of `data`. */
export function adler32(data: Uint8Array): number {
  let a = 1;
  let b = 0;
  for (let start = 0; start < data.length; start += 5552) {
    // 5552 bytes is the most that can be summed before b must be reduced (zlib's NMAX).
    const end = Math.min(start + 5552, data.length);
    for (let k = start; k < end; k++) {
      a += data[k];
      b += a;
    }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** A zlib stream (RFC 1950) of `data`: what a PNG's IDAT chunks hold. */
export function zlibCompress(data: Uint8Array): Uint8Array {
  const deflated = deflateFixed(data);
  const stream = new Uint8Array(2 + deflated.length + 4);
  stream[0] = 0x78; // CM 8 (deflate), CINFO 7 (32 KiB window)
  stream[1] = 0x01; // FCHECK: (0x78 · 256 + 0x01) is a multiple of 31; no preset dictionary
  stream.set(deflated, 2);
  new DataView(stream.buffer).setUint32(2 + deflated.length, adler32(data));
  return stream;
}
