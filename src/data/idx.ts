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
import { constants as zlibConstants, gunzipSync } from 'node:zlib';
import { XcnnError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array; // row-major, length = product of dims
}

const UNSIGNED_BYTE = 0x08;
const MAX_HEADER_LENGTH = 4 + 4 * 4; // magic number and four dimensions

/** No data set xcnn reads comes near this; a header claiming more is refused before anything is allocated. */
export const MAX_IDX_BYTES = 2 ** 31 - 1;

interface IdxHeader {
  dims: number[];
  headerLength: number;
  dataLength: number; // the product of the dims: the bytes of data the header claims
}

/** Reads and checks an IDX header (the first 4 + 4·rank bytes); `bytes` may hold just a prefix of the file. */
function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader {
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
  let dataLength = 1;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    dataLength *= size; // exact: at most 2^32 to the 4th, far above bytes.length, checked next
  }
  return { dims, headerLength, dataLength };
}

/** Parses IDX bytes; `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  const { dims, headerLength, dataLength: claimed } = parseIdxHeader(bytes, source);
  const dataLength = bytes.length - headerLength;
  if (claimed !== dataLength) {
    const claim = `dimensions ${dims.join('×')} need ${claimed} bytes of data`;
    const problem = claimed > dataLength ? `${claim}, the file has ${dataLength} (truncated?)` : `${claim}, the file has ${dataLength} (extra bytes at the end)`;
    throw new XcnnError(`${source}: not a valid IDX file: ${problem}`);
  }
  return { dims, data: bytes.subarray(headerLength) };
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : String(error);
    throw new XcnnError(`${path}: cannot read: ${why}`);
  }
}

/**
 * Inflates a gzipped IDX file without trusting it: the first block is inflated alone to read the
 * header, the header's claim is bounded, and the whole file is then inflated with exactly that much room,
 * so a gzip bomb or a lying header is refused before a large allocation.
 */
function gunzipIdx(compressed: Uint8Array, path: string): Uint8Array {
  const fail = (error: unknown) => new XcnnError(`${path}: not a valid gzip file: ${(error as Error).message}`);
  let prefix: Uint8Array = new Uint8Array(0);
  try {
    prefix = gunzipSync(compressed.subarray(0, 1024), { finishFlush: zlibConstants.Z_SYNC_FLUSH });
    // A first block too short for any header: inflate it all (it is tiny, or the stream is broken).
    if (prefix.length < MAX_HEADER_LENGTH) prefix = gunzipSync(compressed, { maxOutputLength: 1 << 16 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_BUFFER_TOO_LARGE') throw fail(error);
  }
  const header = parseIdxHeader(prefix, path);
  const total = header.headerLength + header.dataLength;
  if (total > MAX_IDX_BYTES) {
    throw new XcnnError(`${path}: not a valid IDX file: dimensions ${header.dims.join('×')} claim ${total} bytes, over the ${MAX_IDX_BYTES}-byte limit`);
  }
  try {
    return gunzipSync(compressed, { maxOutputLength: total + 1 }); // one byte of room to notice extra data
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new XcnnError(`${path}: not a valid IDX file: it inflates to more than the ${total} bytes its dimensions ${header.dims.join('×')} claim`);
    }
    throw fail(error);
  }
}

export function readIdxFile(path: string): IdxArray {
  const bytes = readBytes(path);
  return parseIdx(isGzip(bytes) ? gunzipIdx(bytes, path) : bytes, path);
}
