/**
 * The IDX file format of LeCun's MNIST distribution (also used by Fashion-MNIST):
 *
 *   bytes 0–1  zero
 *   byte  2    element type: 0x08 = unsigned byte (the only type xcnn reads)
 *   byte  3    number of dimensions d (1 for labels, 3 for images)
 *   then d big-endian uint32 sizes, then the data, row-major, one byte per element.
 *
 * The reader checks every claim the header makes against the bytes actually there, before allocating
 * anything, so a truncated, padded or lying file is an XcnnError naming the file, never a silent
 * truncation or a huge allocation. A file ending in `.gz` (or starting with gzip's magic) is inflated.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { XcnnError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array; // row-major, length = product of dims
}

const UNSIGNED_BYTE = 0x08;

/** Parses IDX bytes; `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const fail = (problem: string) => new XcnnError(`${source}: not a valid IDX file: ${problem}`);
  if (bytes.length < 4) throw fail(`only ${bytes.length} bytes, too short for the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw fail('the magic number must start with two zero bytes');
  if (bytes[2] !== UNSIGNED_BYTE) {
    throw fail(`element type 0x${bytes[2].toString(16).padStart(2, '0')} is not unsigned byte (0x08)`);
  }
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw fail(`${rank} dimensions; expected 1 to 4`);
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw fail(`the header needs ${headerLength} bytes, the file has ${bytes.length}`);

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    count *= size; // exact: at most 2^32 to the 4th, far above bytes.length, checked next
  }
  const dataLength = bytes.length - headerLength;
  if (count !== dataLength) {
    const claim = `dimensions ${dims.join('×')} need ${count} bytes of data`;
    throw fail(count > dataLength ? `${claim}, the file has ${dataLength} (truncated?)` : `${claim}, the file has ${dataLength} (extra bytes at the end)`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads bytes from disk, inflating gzip; errors name the file. */
export function readMaybeGzipped(path: string): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new XcnnError(`${path}: cannot read: ${why}`);
  }
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: 1 << 30 });
  } catch (error) {
    throw new XcnnError(`${path}: not a valid gzip file: ${(error as Error).message}`);
  }
}

export function readIdxFile(path: string): IdxArray {
  return parseIdx(readMaybeGzipped(path), path);
}
