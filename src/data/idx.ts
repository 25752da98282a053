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
 * truncation or a huge allocation. This module parses bytes (and runs in a browser); reading files, plain
 * or gzipped, is Node's part, in idx-files.ts.
 */
import { XcnnError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  data: Uint8Array; // row-major, length = product of dims
}

const UNSIGNED_BYTE = 0x08;
export const MAX_HEADER_LENGTH = 4 + 4 * 4; // magic number and four dimensions

/** No data set xcnn reads comes near this; a header claiming more is refused before anything is allocated. */
export const MAX_IDX_BYTES = 2 ** 31 - 1;

export interface IdxHeader {
  dims: number[];
  headerLength: number;
  dataLength: number; // the product of the dims: the bytes of data the header claims
}

/** Reads and checks an IDX header (the first 4 + 4·rank bytes); `bytes` may hold just a prefix of the file. */
export function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader {
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
