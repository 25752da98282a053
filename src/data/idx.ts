/**
 * The IDX file format of LeCun's MNIST distribution (also used by Fashion-MNIST):
 *
 *   bytes 0–1  zero
 *   byte  2    element type: 0x08 = unsigned byte; 0x0B = 16-bit and 0x0C = 32-bit signed integer, big-endian
 *   byte  3    number of dimensions d (1 for labels, 3 for images)
 *   then d big-endian uint32 sizes, then the data, row-major.
 *
 * MNIST's files are all unsigned bytes. The wider integers are read for label files of data sets with more
 * than 256 classes (a label of 16 or 32 bits); images are always bytes (dataset-files.ts checks it).
 *
 * The reader checks every claim the header makes against the bytes actually there, before allocating
 * anything, so a truncated, padded or lying file is an XcnnError naming the file, never a silent
 * truncation or a huge allocation. This module parses bytes (and runs in a browser); reading files, plain
 * or gzipped, is Node's part, in idx-files.ts.
 */
import { checkBytes } from '../argument-checks.js';
import { XcnnError } from '../errors.js';

export interface IdxArray {
  dims: number[];
  /** Row-major, length = product of dims: an unsigned-byte file's bytes as stored (a view); a 16- or 32-bit file's values. */
  data: Uint8Array | Int32Array;
}

/** The element types xcnn reads, by their code in byte 2, with their size in bytes. */
const ELEMENT_TYPES: Record<number, { name: string; bytes: number }> = {
  0x08: { name: 'unsigned byte', bytes: 1 },
  0x0b: { name: '16-bit integer', bytes: 2 },
  0x0c: { name: '32-bit integer', bytes: 4 },
};
export const MAX_HEADER_LENGTH = 4 + 4 * 4; // magic number and four dimensions

/** No data set xcnn reads comes near this; a header claiming more is refused before anything is allocated. */
export const MAX_IDX_BYTES = 2 ** 31 - 1;

export interface IdxHeader {
  dims: number[];
  elementBytes: number; // 1, 2 or 4
  headerLength: number;
  dataLength: number; // the product of the dims times elementBytes: the bytes of data the header claims
}

/** Reads and checks an IDX header (the first 4 + 4·rank bytes); `bytes` may hold just a prefix of the file. */
export function parseIdxHeader(bytes: Uint8Array, source: string): IdxHeader {
  const fail = (problem: string) => new XcnnError(`${source}: not a valid IDX file: ${problem}`);
  if (bytes.length < 4) throw fail(`only ${bytes.length} bytes, too short for the 4-byte magic number`);
  if (bytes[0] !== 0 || bytes[1] !== 0) throw fail('the magic number must start with two zero bytes');
  const type = ELEMENT_TYPES[bytes[2]];
  if (type === undefined) {
    throw fail(`element type 0x${bytes[2].toString(16).padStart(2, '0')} is not unsigned byte (0x08), 16-bit (0x0b) or 32-bit integer (0x0c)`);
  }
  const rank = bytes[3];
  if (rank < 1 || rank > 4) throw fail(`${rank} dimensions; expected 1 to 4`);
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw fail(`the header needs ${headerLength} bytes, the file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  let dataLength = type.bytes;
  for (let d = 0; d < rank; d++) {
    const size = view.getUint32(4 + 4 * d, false);
    dims.push(size);
    dataLength *= size; // exact enough: at most 4 · 2^32 to the 4th, far above bytes.length, checked next
  }
  return { dims, elementBytes: type.bytes, headerLength, dataLength };
}

/** Parses IDX bytes; `source` names the file in error messages. */
export function parseIdx(bytes: Uint8Array, source: string): IdxArray {
  checkBytes('parseIdx', 'bytes', bytes);
  const { dims, elementBytes, headerLength, dataLength: claimed } = parseIdxHeader(bytes, source);
  const dataLength = bytes.length - headerLength;
  if (claimed !== dataLength) {
    const claim = `dimensions ${dims.join('×')} need ${claimed} bytes of data`;
    const problem = claimed > dataLength ? `${claim}, the file has ${dataLength} (truncated?)` : `${claim}, the file has ${dataLength} (extra bytes at the end)`;
    throw new XcnnError(`${source}: not a valid IDX file: ${problem}`);
  }
  const data = bytes.subarray(headerLength);
  return { dims, data: elementBytes === 1 ? data : bigEndianIntegers(data, elementBytes) };
}

/** The signed big-endian integers of 2 or 4 bytes each in `data`. */
function bigEndianIntegers(data: Uint8Array, elementBytes: number): Int32Array {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const values = new Int32Array(data.length / elementBytes);
  for (let k = 0; k < values.length; k++) values[k] = elementBytes === 2 ? view.getInt16(2 * k, false) : view.getInt32(4 * k, false);
  return values;
}
