/**
 * src/data/idx-files.ts: IDX files read from disk, plain or gzipped, on files each test writes itself — gzip
 * headers with the optional fields `gzip -N` and other tools write (a long original name, a comment, an extra
 * field), streams cut short or padded, files that only look gzipped, and the size limit on a sparse file.
 */
import { mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants as zlibConstants, deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { MAX_HEADER_LENGTH, MAX_IDX_BYTES } from '../src/data/idx.js';
import { gzipDataStart, readIdxFile } from '../src/data/idx-files.js';
import { XcnnError } from '../src/errors.js';
import { idxBytes } from './fixtures/files.js';

const dir = mkdtempSync(join(tmpdir(), 'xcnn-idx-files-'));

/** Writes `bytes` to a file of the temp folder and returns its path. */
function file(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

/** 70,000 pseudo-random bytes (a linear congruential generator's high bits), which deflate cannot shrink: past the 64 KB a short first block is inflated to. */
const LONG = new Uint8Array(70_000);
for (let k = 0, x = 1; k < LONG.length; k++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  LONG[k] = x >>> 24;
}
const longIdx = idxBytes([LONG.length], LONG);

/**
 * A gzip member of `data` with optional header fields (RFC 1952): FEXTRA (flag 4), FNAME (8), FCOMMENT (16),
 * written in that order after the 10 fixed bytes; the deflate data and trailer are gzipSync's own.
 */
function gzipWith(data: Uint8Array, fields: { extra?: Uint8Array; name?: string; comment?: string }): Uint8Array {
  const plain = gzipSync(data);
  const parts: Uint8Array[] = [plain.subarray(0, 10)];
  let flags = 0;
  if (fields.extra !== undefined) {
    flags |= 4;
    parts.push(Uint8Array.of(fields.extra.length & 255, fields.extra.length >> 8), fields.extra);
  }
  if (fields.name !== undefined) {
    flags |= 8;
    parts.push(Buffer.from(`${fields.name}\0`, 'latin1'));
  }
  if (fields.comment !== undefined) {
    flags |= 16;
    parts.push(Buffer.from(`${fields.comment}\0`, 'latin1'));
  }
  parts.push(plain.subarray(10));
  const out = Buffer.concat(parts);
  out[3] = flags;
  return out;
}

describe('gzipDataStart: where the deflate data begins (RFC 1952)', () => {
  it('is byte 10 without optional fields', () => {
    expect(gzipDataStart(gzipSync(Uint8Array.of(1, 2, 3)))).toBe(10);
  });

  it('skips an extra field by its little-endian length, then a zero-terminated name and comment, in that order', () => {
    // 10 fixed bytes, 2 + 300 of extra field, 'abc' and its zero, 'hello' and its zero: 10 + 302 + 4 + 6 = 322.
    expect(gzipDataStart(gzipWith(Uint8Array.of(1), { extra: new Uint8Array(300).fill(9), name: 'abc', comment: 'hello' }))).toBe(322);
    expect(gzipDataStart(gzipWith(Uint8Array.of(1), { name: 'abc' }))).toBe(14);
    expect(gzipDataStart(gzipWith(Uint8Array.of(1), { comment: 'hello' }))).toBe(16);
    expect(gzipDataStart(gzipWith(Uint8Array.of(1), { extra: Uint8Array.of(7, 7, 7) }))).toBe(15);
  });

  it('is past the end for a name without its terminating zero', () => {
    const cut = Uint8Array.of(0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3, 0x61, 0x62);
    expect(gzipDataStart(cut)).toBe(13);
  });
});

describe('readIdxFile on gzipped files', () => {
  it('reads a file whose gzip header holds a name, comment or extra field longer than the first kilobyte', () => {
    // Before gzipDataStart the first kilobyte read was all header: nothing inflated, "only 0 bytes" refused it.
    const long = 'n'.repeat(2000);
    for (const [name, fields] of [
      ['named.gz', { name: long }],
      ['commented.gz', { comment: long }],
      ['extra.gz', { extra: new Uint8Array(3000).fill(1) }],
      ['all.gz', { extra: new Uint8Array(1500).fill(1), name: long, comment: long }],
    ] as const) {
      const read = readIdxFile(file(name, gzipWith(longIdx, fields)));
      expect(read.dims, name).toEqual([LONG.length]);
      expect(Buffer.from(read.data as Uint8Array).equals(Buffer.from(LONG)), name).toBe(true);
    }
  });

  it('reads a gzipped file by its magic bytes, whatever its name', () => {
    const read = readIdxFile(file('labels-without-extension', gzipSync(idxBytes([3], Uint8Array.of(4, 5, 6)))));
    expect([read.dims, [...read.data]]).toEqual([[3], [4, 5, 6]]);
  });

  it('reads a file whose deflate data is longer than a kilobyte, inflating only its first kilobyte to find the header', () => {
    const zipped = gzipSync(longIdx);
    expect(zipped.length).toBeGreaterThan(2048);
    const read = readIdxFile(file('long.gz', zipped));
    expect(read.dims).toEqual([LONG.length]);
    expect(Buffer.from(read.data as Uint8Array).equals(Buffer.from(LONG))).toBe(true);
  });

  it('refuses a stream whose first kilobyte of deflate data holds no header, naming what it found', () => {
    // 300 empty stored blocks (5 bytes each: a not-final stored block header, LEN 0, NLEN 0xFFFF) before the data.
    const padding = Buffer.concat(Array.from({ length: 300 }, () => Uint8Array.of(0, 0, 0, 0xff, 0xff)));
    const plain = gzipSync(longIdx);
    const padded = Buffer.concat([plain.subarray(0, 10), padding, deflateRawSync(longIdx), plain.subarray(plain.length - 8)]);
    const path = file('padded.gz', padded);
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: not a valid IDX file: its first kilobyte of deflate data inflates to 0 bytes, too few for the IDX header`));
    // The same padding before a short file: the whole stream is inflated (within 64 KB), and read.
    const short = idxBytes([2], Uint8Array.of(8, 9));
    const shortPadded = Buffer.concat([plain.subarray(0, 10), padding, deflateRawSync(short), gzipSync(short).subarray(-8)]);
    expect([...readIdxFile(file('short-padded.gz', shortPadded)).data]).toEqual([8, 9]);
  });

  it('checks the header\'s claim from the first kilobyte of deflate data alone, before the rest of the stream is inflated', () => {
    // An IDX header claiming 4,000,000,000 × 28 × 28 bytes and 3,000 random bytes, sync-flushed (byte-aligned),
    // then a block of the reserved type 3 (the byte 0x07) and 2,000 bytes more: inflating past the first
    // kilobyte would fail on that block instead.
    const claim = idxBytes([4_000_000_000, 28, 28], LONG.subarray(0, 3000));
    const deflated = deflateRawSync(claim, { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    const broken = Buffer.concat([gzipSync(Uint8Array.of()).subarray(0, 10), deflated, Uint8Array.of(0x07), new Uint8Array(2000)]);
    const path = file('claim-then-broken.gz', broken);
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: not a valid IDX file: dimensions 4000000000×28×28 claim 3136000000016 bytes, over the 2147483647-byte limit`));
  });

  it('reads a header of exactly MAX_HEADER_LENGTH bytes from the first kilobyte without inflating the whole stream', () => {
    // A stored block of the 20-byte header of a rank-4 file, 250 empty stored blocks (1,250 bytes), then the
    // 70,000 data bytes: the first kilobyte inflates to exactly the header; the whole stream is past 64 KB.
    const header = idxBytes([1, 1, 1, LONG.length], new Uint8Array(0));
    expect(header.length).toBe(MAX_HEADER_LENGTH);
    const stored = Uint8Array.of(0, 20, 0, 0xff - 20, 0xff, ...header);
    const empty = Buffer.concat(Array.from({ length: 250 }, () => Uint8Array.of(0, 0, 0, 0xff, 0xff)));
    const whole = idxBytes([1, 1, 1, LONG.length], LONG);
    const zipped = Buffer.concat([gzipSync(Uint8Array.of()).subarray(0, 10), stored, empty, deflateRawSync(LONG), gzipSync(whole).subarray(-8)]);
    const read = readIdxFile(file('exact-header.gz', zipped));
    expect(read.dims).toEqual([1, 1, 1, LONG.length]);
    expect(Buffer.from(read.data as Uint8Array).equals(Buffer.from(LONG))).toBe(true);
  });

  it('refuses a stream that inflates to more than its dimensions claim, naming them all', () => {
    // Dimensions 2×2: a 12-byte header and 4 data bytes claim 16 bytes; the stream holds 3 more.
    const path = file('longer.gz', gzipSync(Uint8Array.of(...idxBytes([2, 2], Uint8Array.of(1, 2, 3, 4)), 5, 6, 7)));
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: not a valid IDX file: it inflates to more than the 16 bytes its dimensions 2×2 claim`));
  });

  it('refuses a gzip header cut inside its name as a broken gzip stream', () => {
    const path = file('cut-name.gz', Uint8Array.of(0x1f, 0x8b, 8, 8, 0, 0, 0, 0, 0, 3, 0x61, 0x62));
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: not a valid gzip file: unexpected end of file`));
  });

  it('refuses a stream cut short after its IDX header as a broken gzip stream', () => {
    const zipped = gzipSync(longIdx);
    const path = file('cut.gz', zipped.subarray(0, zipped.length - 100));
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: not a valid gzip file: unexpected end of file`));
  });
});

describe('readIdxFile: what is and is not gzip', () => {
  it('takes the two bytes 1F 8B alone for gzip, and refuses them as a broken stream', () => {
    const path = file('magic-only', Uint8Array.of(0x1f, 0x8b));
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: not a valid gzip file: unexpected end of file`));
  });

  it('reads a file starting with only one of the two gzip bytes as IDX, refusing its magic number', () => {
    const first = file('first-byte', Uint8Array.of(0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 0));
    expect(() => readIdxFile(first)).toThrow(new XcnnError(`${first}: not a valid IDX file: the magic number must start with two zero bytes`));
    const second = file('second-byte', Uint8Array.of(0x00, 0x8b, 0x08, 0x01, 0, 0, 0, 0));
    expect(() => readIdxFile(second)).toThrow(new XcnnError(`${second}: not a valid IDX file: the magic number must start with two zero bytes`));
  });

  it('reads a one-byte file as IDX, too short for the magic number', () => {
    const path = file('one-byte', Uint8Array.of(0x1f));
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: not a valid IDX file: only 1 bytes, too short for the 4-byte magic number`));
  });
});

describe('readIdxFile: reading the file', () => {
  it('checks its argument', () => {
    expect(() => readIdxFile(42 as never)).toThrow(new XcnnError('readIdxFile: path must be a string (a file path), not number', { code: 'ERR_BAD_ARGUMENT' }));
  });

  it('names a missing file in one line without a noun for the file', () => {
    const path = join(dir, 'absent');
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: cannot read: no such file`, { code: 'ERR_FILE' }));
  });

  it('refuses a file past the 2^31 − 1 byte limit before reading it (a sparse file, which takes no room)', () => {
    const path = join(dir, 'huge');
    writeFileSync(path, '');
    truncateSync(path, MAX_IDX_BYTES + 1);
    expect(() => readIdxFile(path)).toThrow(new XcnnError(`${path}: cannot read: it is 2147483648 bytes, more than the 2147483647 such a file can be`, { code: 'ERR_FILE' }));
  });
});
