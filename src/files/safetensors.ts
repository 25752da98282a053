/**
 * The safetensors format (Hugging Face): a model file anyone can read without executing code.
 *
 *   bytes 0–7   N, the header's length, a little-endian uint64
 *   bytes 8…    the header: N bytes of UTF-8 JSON, padded with spaces (writers align the data to 8 bytes)
 *               { "<name>": { "dtype": "F32", "shape": [..], "data_offsets": [begin, end] }, …,
 *                 "__metadata__": { "<key>": "<string value>", … } }
 *   then        the data buffer; offsets are relative to its start, little-endian, row-major
 *
 * The reader trusts nothing: it bounds the header's size before reading it, checks every tensor's
 * dtype, shape and offsets against the buffer (in range, the right length, no two overlapping), and
 * reports the first problem as an XcnnError naming the file. F16, BF16, F64 and I64 tensors are converted
 * to float32; xcnn writes F32, and I64 for the tensors that PyTorch keeps as int64 (batch norm's
 * num_batches_tracked).
 */
import { XcnnError } from '../errors.js';

export interface Tensor {
  shape: number[];
  data: Float32Array;
  /** The stored type: F32 unless the file said otherwise (the data is converted to float32 either way). */
  dtype?: 'F32' | 'F16' | 'BF16' | 'F64' | 'I64';
}

export interface SafetensorsFile {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** No sane header is larger; a hostile length field is refused before anything is allocated. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

/** Metadata entries a file may have: a model file writes about ten; thousands mean a file made to be slow to read. */
export const MAX_METADATA_ENTRIES = 1024;

const BYTES_PER_ELEMENT: Record<string, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8 };

export function encodeSafetensors(tensors: Array<{ name: string } & Tensor>, metadata: Record<string, string> = {}): Uint8Array {
  // No prototype: a tensor may be called 'toString' or '__proto__' like any other name.
  const header: Record<string, unknown> = Object.create(null);
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const names = new Set<string>(['__metadata__']);
  let offset = 0;
  for (const { name, shape, data, dtype } of tensors) {
    if (names.has(name)) throw new XcnnError(`safetensors: the tensor name '${name}' is used twice (or is __metadata__); names must be unique`, { code: 'ERR_BAD_ARGUMENT' });
    names.add(name);
    const bytes = dtype === 'I64' ? 8 : 4;
    if (dtype !== undefined && dtype !== 'F32' && dtype !== 'I64') throw new XcnnError(`safetensors: xcnn writes F32 and I64 tensors, not ${dtype} ('${name}')`, { code: 'ERR_BAD_ARGUMENT' });
    header[name] = { dtype: dtype ?? 'F32', shape, data_offsets: [offset, offset + data.length * bytes] };
    offset += data.length * bytes;
  }
  // TextEncoder rather than Node's Buffer, so the core runs in a browser; spaces pad the header (8 + its bytes) to 8.
  const json = JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(json + ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8));
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const { data, dtype } of tensors) {
    if (dtype === 'I64') {
      for (let k = 0; k < data.length; k++) view.setBigInt64(at + 8 * k, BigInt(Math.round(data[k])), true);
      at += data.length * 8;
      continue;
    }
    for (let k = 0; k < data.length; k++) view.setFloat32(at + 4 * k, data[k], true);
    at += data.length * 4;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source: string): SafetensorsFile {
  const fail = (problem: string) => new XcnnError(`${source}: not a valid safetensors file: ${problem}`, { code: 'ERR_BAD_MODEL' });
  if (bytes.length < 8) throw fail(`only ${bytes.length} bytes, too short for the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) throw fail(`the header claims ${headerLength} bytes, over the ${MAX_HEADER_BYTES}-byte limit`);
  if (headerLength > BigInt(bytes.length - 8)) throw fail(`the header claims ${headerLength} bytes but the file has ${bytes.length - 8} after the length field`);
  const dataStart = 8 + Number(headerLength);

  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, dataStart)));
  } catch (error) {
    throw fail(`the header is not UTF-8 JSON (${(error as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail('the header is not a JSON object');

  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = Object.create(null); // any key, '__proto__' included
  const tensors = new Map<string, Tensor>();
  const ranges: Array<{ name: string; begin: number; end: number }> = [];

  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw fail('__metadata__ is not an object');
      const keys = Object.keys(entry).length;
      if (keys > MAX_METADATA_ENTRIES) throw fail(`__metadata__ has ${keys} entries, more than the ${MAX_METADATA_ENTRIES} a model file can have`);
      for (const [key, value] of Object.entries(entry)) {
        if (typeof value !== 'string') throw fail(`__metadata__.${key} is not a string`);
        metadata[key] = value;
      }
      continue;
    }
    if (typeof entry !== 'object' || entry === null) throw fail(`tensor '${name}' is not an object`);
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
    // hasOwn, not `in`: 'toString' or 'constructor' is in every object, and would pass as a dtype of NaN bytes.
    if (typeof dtype !== 'string' || !Object.hasOwn(BYTES_PER_ELEMENT, dtype)) {
      throw fail(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; xcnn reads F32 (and converts F16, BF16, F64, I64)`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw fail(`tensor '${name}' has shape ${JSON.stringify(shape)}, not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw fail(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, not [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLength) {
      throw fail(`tensor '${name}' has data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data buffer`);
    }
    let elements = 1;
    for (const d of shape as number[]) {
      elements *= d;
      if (elements * BYTES_PER_ELEMENT[dtype] > dataLength) {
        throw fail(`tensor '${name}' has shape [${shape.join(', ')}], larger than the whole ${dataLength}-byte data buffer`);
      }
    }
    if (end - begin !== elements * BYTES_PER_ELEMENT[dtype]) {
      throw fail(`tensor '${name}' of shape [${shape.join(', ')}] ${dtype} needs ${elements * BYTES_PER_ELEMENT[dtype]} bytes, its offsets span ${end - begin}`);
    }
    ranges.push({ name, begin, end });
    tensors.set(name, { shape: shape as number[], data: readElements(view, dataStart + begin, elements, dtype), dtype: dtype as Tensor['dtype'] });
  }

  ranges.sort((a, b) => a.begin - b.begin);
  for (let k = 1; k < ranges.length; k++) {
    if (ranges[k].begin < ranges[k - 1].end) throw fail(`tensors '${ranges[k - 1].name}' and '${ranges[k].name}' overlap`);
  }
  return { tensors, metadata };
}

/** `elements` values of `dtype` from `view` at byte `at`, little-endian, as float32 (the ONNX reader uses it too). */
export function readElements(view: DataView, at: number, elements: number, dtype: string): Float32Array {
  const out = new Float32Array(elements);
  for (let k = 0; k < elements; k++) {
    switch (dtype) {
      case 'F32':
        out[k] = view.getFloat32(at + 4 * k, true);
        break;
      case 'F64':
        out[k] = view.getFloat64(at + 8 * k, true);
        break;
      case 'F16':
        out[k] = halfToFloat(view.getUint16(at + 2 * k, true));
        break;
      case 'BF16':
        out[k] = bfloat16ToFloat(view.getUint16(at + 2 * k, true));
        break;
      case 'I64':
        out[k] = Number(view.getBigInt64(at + 8 * k, true));
        break;
    }
  }
  return out;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

const bfloatScratch = new DataView(new ArrayBuffer(4));
function bfloat16ToFloat(b: number): number {
  bfloatScratch.setUint32(0, b << 16);
  return bfloatScratch.getFloat32(0);
}
