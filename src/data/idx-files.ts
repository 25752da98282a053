/**
 * Reads IDX files (idx.ts describes the format) in Node: plain, or gzipped — a file ending in `.gz` or
 * starting with gzip's magic is inflated, without trusting its header, before it is parsed.
 */
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { checkString } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { readUserFile } from '../files/read-file.js';
import { MAX_HEADER_LENGTH, MAX_IDX_BYTES, parseIdx, parseIdxHeader, type IdxArray } from './idx.js';

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Where a gzip member's deflate data starts (RFC 1952): after its 10 fixed bytes, the optional extra field
 * (FEXTRA, flag 4: a little-endian length, then that many bytes) and the optional zero-terminated original
 * name (FNAME, flag 8) and comment (FCOMMENT, flag 16); past the end when the header is cut short. The header's
 * CRC (FHCRC, 2 bytes) is not skipped: the 1 KB read after this point has room for it.
 */
export function gzipDataStart(bytes: Uint8Array): number {
  const flags = bytes[3];
  let at = 10;
  if (flags & 4) at += 2 + (bytes[at] | (bytes[at + 1] << 8));
  if (flags & 8) at = afterZero(bytes, at);
  if (flags & 16) at = afterZero(bytes, at);
  return at;
}

/** The index after the first zero byte at or after `at` (past the end when there is none). */
function afterZero(bytes: Uint8Array, at: number): number {
  while (at < bytes.length && bytes[at] !== 0) at++;
  return at + 1;
}

function readBytes(path: string): Uint8Array {
  return readUserFile(path, { what: '', maxBytes: MAX_IDX_BYTES });
}

/**
 * Inflates a gzipped IDX file without trusting it: the first kilobyte of deflate data (after the gzip
 * header, whose name or comment may be long) is inflated alone to read the IDX header, the header's claim is
 * bounded, and the whole file is then inflated with exactly that much room, so a gzip bomb or a lying header is
 * refused before a large allocation.
 */
function gunzipIdx(compressed: Uint8Array, path: string): Uint8Array {
  const fail = (error: unknown) => new XcnnError(`${path}: not a valid gzip file: ${(error as Error).message}`);
  let prefix: Uint8Array = new Uint8Array(0);
  try {
    prefix = gunzipSync(compressed.subarray(0, gzipDataStart(compressed) + 1024), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    // A first block too short for any header: inflate it all (it is tiny, or the stream is broken).
    if (prefix.length < MAX_HEADER_LENGTH) prefix = gunzipSync(compressed, { maxOutputLength: 1 << 16 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw fail(error);
    // Over 64 KB in all, yet not an IDX header's bytes from its first kilobyte: a stream padded with empty blocks.
    throw new XcnnError(`${path}: not a valid IDX file: its first kilobyte of deflate data inflates to ${prefix.length} bytes, too few for the IDX header`);
  }
  const header = parseIdxHeader(prefix, path);
  const total = header.headerLength + header.dataLength;
  if (total > MAX_IDX_BYTES) {
    throw new XcnnError(`${path}: not a valid IDX file: dimensions ${header.dims.join('×')} claim ${total} bytes, over the ${MAX_IDX_BYTES}-byte limit`);
  }
  try {
    const inflated = gunzipSync(compressed, { maxOutputLength: total + 1 }); // one byte of room to notice extra data
    return new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.length); // a plain view, as a plain file's bytes are
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new XcnnError(`${path}: not a valid IDX file: it inflates to more than the ${total} bytes its dimensions ${header.dims.join('×')} claim`);
    }
    throw fail(error);
  }
}

export function readIdxFile(path: string): IdxArray {
  checkString('readIdxFile', 'path', path, 'a string (a file path)');
  const bytes = readBytes(path);
  return parseIdx(isGzip(bytes) ? gunzipIdx(bytes, path) : bytes, path);
}
