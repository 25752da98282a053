/**
 * ONNX tensors (TensorProto) to typed arrays and back. A tensor's elements are in raw_data (fixed width,
 * little-endian) or in the typed field of its type (float_data for FLOAT, double_data for DOUBLE,
 * int32_data for INT32, BOOL and FLOAT16 / BFLOAT16 bit patterns, int64_data for INT64). The element count
 * its dims give is checked against the bytes that hold the elements before any array is made, so a tensor
 * never allocates more than the file holds. Weights of any float type become float32, as safetensors' do.
 */
import { readElements } from '../files/safetensors.js';
import { DATA_TYPE, int64Value, type OnnxTensor } from './onnx-schema.js';

/** Why a tensor cannot be read; the caller names the tensor and the file. */
export class TensorProblem extends Error {}

const FLOAT_TYPES: Record<number, { name: string; dtype: string; bytes: number }> = {
  [DATA_TYPE.FLOAT]: { name: 'FLOAT', dtype: 'F32', bytes: 4 },
  [DATA_TYPE.DOUBLE]: { name: 'DOUBLE', dtype: 'F64', bytes: 8 },
  [DATA_TYPE.FLOAT16]: { name: 'FLOAT16', dtype: 'F16', bytes: 2 },
  [DATA_TYPE.BFLOAT16]: { name: 'BFLOAT16', dtype: 'BF16', bytes: 2 },
};

/** The most dims a tensor may have and the most elements an integer (shape) tensor may hold. */
const MAX_RANK = 8;
const MAX_INT_ELEMENTS = 64;

/** The tensor's dims as numbers, each a whole number from 0 to 2³¹. */
export function tensorDims(tensor: OnnxTensor): number[] {
  const dims = (tensor.dims ?? []).map(int64Value);
  if (dims.length > MAX_RANK) throw new TensorProblem(`it has ${dims.length} dimensions; at most ${MAX_RANK}`);
  for (const d of dims) if (d === null || d < 0 || d > 2 ** 31) throw new TensorProblem(`a dimension is ${d ?? 'beyond 2^53'}`);
  return dims as number[];
}

function checkStoredInside(tensor: OnnxTensor): void {
  if (tensor.dataLocation === 1 || (tensor.externalData?.length ?? 0) > 0) {
    throw new TensorProblem('its data is in an external file (external_data): save the model with its weights inside it');
  }
}

/** One buffer of a typed field's packed runs (usually there is one run: then it is a view, nothing copied). */
function joined(runs: Uint8Array[] | undefined): Uint8Array | null {
  if (runs === undefined || runs.length === 0) return null;
  if (runs.length === 1) return runs[0];
  const total = runs.reduce((sum, run) => sum + run.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const run of runs) {
    out.set(run, at);
    at += run.length;
  }
  return out;
}

/**
 * The varints in `bytes` as numbers, each read as a two's-complement int64 (protobuf writes a negative int32 or
 * int64 in ten bytes). Summed in BigInt: a double cannot hold 2⁶⁴ − 1, so -1 (ten bytes, 2⁶⁴ − 1 unsigned)
 * would round to 2⁶⁴ and come back as 0. A varint is at most ten bytes, which also keeps each sum small.
 */
function readVarints(bytes: Uint8Array, limit: number): number[] {
  const values: number[] = [];
  let value = 0n;
  let shift = 0n;
  for (let k = 0; k < bytes.length; k++) {
    value |= BigInt(bytes[k] & 0x7f) << shift;
    shift += 7n;
    if (bytes[k] < 0x80) {
      if (values.length >= limit) throw new TensorProblem(`it holds more than the ${limit} values its dims give`);
      values.push(Number(BigInt.asIntN(64, value)));
      value = 0n;
      shift = 0n;
    } else if (shift === 70n) throw new TensorProblem('a number in its int data is longer than 10 bytes');
  }
  if (shift !== 0n) throw new TensorProblem('its int data ends inside a number');
  return values;
}

/** A float tensor's dims and elements as float32. */
export function floatTensor(tensor: OnnxTensor): { dims: number[]; data: Float32Array } {
  checkStoredInside(tensor);
  const type = FLOAT_TYPES[tensor.dataType ?? 0];
  if (type === undefined) throw new TensorProblem(`its data type is ${dataTypeName(tensor.dataType)}, not a float type (FLOAT, DOUBLE, FLOAT16 or BFLOAT16)`);
  const dims = tensorDims(tensor);
  const elements = dims.reduce((a, b) => a * b, 1);
  const raw = tensor.rawData !== undefined && tensor.rawData.length > 0 ? tensor.rawData : null;
  const typed = type.dtype === 'F32' ? joined(tensor.floatData) : type.dtype === 'F64' ? joined(tensor.doubleData) : null;
  const bytes = raw ?? typed;
  if (bytes === null && (type.dtype === 'F16' || type.dtype === 'BF16') && tensor.int32Data !== undefined) {
    // FLOAT16 / BFLOAT16 in int32_data: each element's 16 bits as a varint.
    const bits = readVarints(joined(tensor.int32Data)!, elements);
    if (bits.length !== elements) throw new TensorProblem(`its dims [${dims.join(', ')}] give ${elements} elements, but int32_data holds ${bits.length}`);
    const packed = new DataView(new ArrayBuffer(2 * elements));
    bits.forEach((b, k) => packed.setUint16(2 * k, b & 0xffff, true));
    return { dims, data: readElements(packed, 0, elements, type.dtype) };
  }
  const held = bytes === null ? 0 : bytes.length;
  if (held !== elements * type.bytes) {
    throw new TensorProblem(`its dims [${dims.join(', ')}] give ${elements} ${type.name} elements (${elements * type.bytes} bytes), but it holds ${held} bytes`);
  }
  const view = new DataView(bytes!.buffer, bytes!.byteOffset, bytes!.byteLength);
  return { dims, data: readElements(view, 0, elements, type.dtype) };
}

/** A small integer tensor (INT64 or INT32: shapes, axes, indices) as numbers. */
export function intTensor(tensor: OnnxTensor): { dims: number[]; values: number[] } {
  checkStoredInside(tensor);
  const dims = tensorDims(tensor);
  const elements = dims.reduce((a, b) => a * b, 1);
  if (elements > MAX_INT_ELEMENTS) throw new TensorProblem(`it is an integer tensor of ${elements} elements; xcnn folds shape arithmetic of at most ${MAX_INT_ELEMENTS}`);
  const width = tensor.dataType === DATA_TYPE.INT64 ? 8 : tensor.dataType === DATA_TYPE.INT32 ? 4 : 0;
  if (width === 0) throw new TensorProblem(`its data type is ${dataTypeName(tensor.dataType)}, expected INT64 or INT32`);
  return { dims, values: integers(tensor, dims, elements, width) };
}

/**
 * A BOOL tensor of one element (a flag such as Dropout's training_mode) as a boolean. onnx.proto stores BOOL in
 * raw_data as a byte an element, or in int32_data as a varint an element (as it stores every integer type
 * narrower than 32 bits); any value but 0 is true, as ONNX Runtime casts it.
 */
export function boolScalar(tensor: OnnxTensor): boolean {
  checkStoredInside(tensor);
  if (tensor.dataType !== DATA_TYPE.BOOL) throw new TensorProblem(`its data type is ${dataTypeName(tensor.dataType)}, expected BOOL`);
  const dims = tensorDims(tensor);
  const elements = dims.reduce((a, b) => a * b, 1);
  if (elements !== 1) throw new TensorProblem(`its dims [${dims.join(', ')}] give ${elements} elements, expected one`);
  return integers(tensor, dims, 1, 1)[0] !== 0;
}

/** The `elements` integers of `width` bytes in raw_data, or the varints of int64_data (width 8) or int32_data. */
function integers(tensor: OnnxTensor, dims: number[], elements: number, width: 1 | 4 | 8): number[] {
  if (tensor.rawData !== undefined && tensor.rawData.length > 0) {
    if (tensor.rawData.length !== elements * width) throw new TensorProblem(`its dims [${dims.join(', ')}] give ${elements} elements (${elements * width} bytes), but it holds ${tensor.rawData.length} bytes`);
    const view = new DataView(tensor.rawData.buffer, tensor.rawData.byteOffset, tensor.rawData.byteLength);
    return Array.from({ length: elements }, (_, k) => (width === 8 ? Number(view.getBigInt64(8 * k, true)) : width === 4 ? view.getInt32(4 * k, true) : view.getUint8(k)));
  }
  const runs = joined(width === 8 ? tensor.int64Data : tensor.int32Data);
  const values = runs === null ? [] : readVarints(runs, elements).map((v) => (width === 4 ? v | 0 : v));
  if (values.length !== elements) throw new TensorProblem(`its dims [${dims.join(', ')}] give ${elements} elements, but it holds ${values.length}`);
  return values;
}

/** A float32 tensor for a file: dims and little-endian raw_data. */
export function floatTensorProto(name: string, dims: number[], data: ArrayLike<number>): OnnxTensor {
  const raw = new Uint8Array(4 * data.length);
  const view = new DataView(raw.buffer);
  for (let k = 0; k < data.length; k++) view.setFloat32(4 * k, data[k], true);
  return { name, dims, dataType: DATA_TYPE.FLOAT, rawData: raw };
}

/** An int64 tensor for a file (a Reshape's shape). */
export function int64TensorProto(name: string, values: number[]): OnnxTensor {
  const raw = new Uint8Array(8 * values.length);
  const view = new DataView(raw.buffer);
  values.forEach((v, k) => view.setBigInt64(8 * k, BigInt(v), true));
  return { name, dims: [values.length], dataType: DATA_TYPE.INT64, rawData: raw };
}

const TYPE_NAMES: Record<number, string> = { 0: 'UNDEFINED', 1: 'FLOAT', 2: 'UINT8', 3: 'INT8', 4: 'UINT16', 5: 'INT16', 6: 'INT32', 7: 'INT64', 8: 'STRING', 9: 'BOOL', 10: 'FLOAT16', 11: 'DOUBLE', 12: 'UINT32', 13: 'UINT64', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16' };

export function dataTypeName(type: number | undefined): string {
  return TYPE_NAMES[type ?? 0] ?? `type ${type}`;
}
