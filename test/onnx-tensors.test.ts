/**
 * ONNX tensors as numbers (src/onnx/onnx-tensors.ts): every place a TensorProto may keep its elements — raw_data,
 * float_data, double_data, int32_data (FLOAT16 / BFLOAT16 bits, INT32, BOOL), int64_data — read back to the values the
 * bytes were written from by hand here (IEEE 754 bit patterns, protobuf varints with their ten-byte negative
 * numbers), and every way a tensor can be wrong refused with its own sentence.
 */
import { describe, expect, it } from 'vitest';
import { DATA_TYPE, type OnnxTensor } from '../src/onnx/onnx-schema.js';
import { boolScalar, dataTypeName, floatTensor, floatTensorProto, int64TensorProto, intTensor, TensorProblem, tensorDims } from '../src/onnx/onnx-tensors.js';

/** A protobuf varint of a non-negative BigInt (a negative int64 is first taken modulo 2⁶⁴: ten bytes). */
function varint(value: bigint): number[] {
  let v = value < 0n ? value + 2n ** 64n : value;
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v % 128n) | 0x80);
    v /= 128n;
  }
  out.push(Number(v));
  return out;
}
const varints = (...values: number[]) => Uint8Array.from(values.flatMap((v) => varint(BigInt(v))));
const float32Bytes = (...values: number[]) => new Uint8Array(Float32Array.from(values).buffer);
const float64Bytes = (...values: number[]) => new Uint8Array(Float64Array.from(values).buffer);

function problemOf(read: () => unknown): string {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(TensorProblem);
    return (error as Error).message;
  }
  throw new Error('expected a TensorProblem');
}

describe('float tensors', () => {
  it('reads FLOAT from raw_data, also from a view into a larger buffer', () => {
    const buffer = Uint8Array.from([9, 9, 9, 9, 0, 0, 0xc0, 0x3f, 0, 0, 0x20, 0xc1]); // junk, 1.5, -10 (little-endian)
    const tensor: OnnxTensor = { dims: [1, 2], dataType: DATA_TYPE.FLOAT, rawData: buffer.subarray(4) };
    const { dims, data } = floatTensor(tensor);
    expect(dims).toEqual([1, 2]);
    expect(Array.from(data)).toEqual([1.5, -10]);
  });

  it('reads FLOAT from float_data split over several packed runs, in order', () => {
    const tensor: OnnxTensor = { dims: [4], dataType: DATA_TYPE.FLOAT, floatData: [float32Bytes(1.5), float32Bytes(-2.25, 4), float32Bytes(0.125)] };
    expect(Array.from(floatTensor(tensor).data)).toEqual([1.5, -2.25, 4, 0.125]);
  });

  it('takes float_data when raw_data is there but empty', () => {
    const tensor: OnnxTensor = { dims: [1], dataType: DATA_TYPE.FLOAT, rawData: new Uint8Array(0), floatData: [float32Bytes(7)] };
    expect(Array.from(floatTensor(tensor).data)).toEqual([7]);
  });

  it('reads a scalar (no dims) as one element', () => {
    expect(Array.from(floatTensor({ dataType: DATA_TYPE.FLOAT, rawData: float32Bytes(3) }).data)).toEqual([3]);
  });

  it('reads DOUBLE from double_data and from raw_data, rounded to float32', () => {
    expect(Array.from(floatTensor({ dims: [2], dataType: DATA_TYPE.DOUBLE, doubleData: [float64Bytes(0.1, -3)] }).data)).toEqual([Math.fround(0.1), -3]);
    expect(Array.from(floatTensor({ dims: [2], dataType: DATA_TYPE.DOUBLE, rawData: float64Bytes(0.1, -3) }).data)).toEqual([Math.fround(0.1), -3]);
  });

  // IEEE 754 half: 0x3C00 = 1, 0xC000 = −2, 0x3555 = 1365/4096, 0x0001 = 2⁻²⁴ (the smallest subnormal), 0x7BFF = 65504.
  const half = { bits: [0x3c00, 0xc000, 0x3555, 0x0001, 0x7bff], values: [1, -2, 1365 / 4096, 2 ** -24, 65504] };
  // bfloat16 is float32's top half: 0x3F80 = 1, 0x4049 = 3.140625, 0xBF00 = −0.5.
  const brain = { bits: [0x3f80, 0x4049, 0xbf00], values: [1, 3.140625, -0.5] };
  const littleEndian = (bits: number[]) => Uint8Array.from(bits.flatMap((b) => [b & 0xff, b >> 8]));

  it('reads FLOAT16 and BFLOAT16 from raw_data', () => {
    expect(Array.from(floatTensor({ dims: [5], dataType: DATA_TYPE.FLOAT16, rawData: littleEndian(half.bits) }).data)).toEqual(half.values);
    expect(Array.from(floatTensor({ dims: [3], dataType: DATA_TYPE.BFLOAT16, rawData: littleEndian(brain.bits) }).data)).toEqual(brain.values);
  });

  it('reads FLOAT16 and BFLOAT16 from int32_data, each element\'s bits one varint, over several runs', () => {
    const [first, ...rest] = half.bits;
    expect(Array.from(floatTensor({ dims: [5], dataType: DATA_TYPE.FLOAT16, int32Data: [varints(first), varints(...rest)] }).data)).toEqual(half.values);
    expect(Array.from(floatTensor({ dims: [3], dataType: DATA_TYPE.BFLOAT16, int32Data: [varints(...brain.bits)] }).data)).toEqual(brain.values);
  });

  it('reads raw_data first, and each type only from its own typed field', () => {
    // FLOAT16 1 in raw_data, 2 in int32_data: raw_data wins.
    expect(Array.from(floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT16, rawData: littleEndian([0x3c00]), int32Data: [varints(0x4000)] }).data)).toEqual([1]);
    expect(Array.from(floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT, rawData: float32Bytes(3), int32Data: [varints(0x4000)] }).data)).toEqual([3]);
    expect(problemOf(() => floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT16, doubleData: [float64Bytes(1)] }))).toBe('its dims [1] give 1 FLOAT16 elements (2 bytes), but it holds 0 bytes');
    expect(problemOf(() => floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT16 }))).toBe('its dims [1] give 1 FLOAT16 elements (2 bytes), but it holds 0 bytes');
    expect(problemOf(() => floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT, int32Data: [varints(0x3f80)] }))).toBe('its dims [1] give 1 FLOAT elements (4 bytes), but it holds 0 bytes');
  });

  it('refuses FLOAT16 int32_data that holds another number of elements than the dims give', () => {
    expect(problemOf(() => floatTensor({ dims: [2, 2], dataType: DATA_TYPE.FLOAT16, int32Data: [varints(0x3c00, 0x3c00, 0x3c00)] }))).toBe('its dims [2, 2] give 4 elements, but int32_data holds 3');
    expect(problemOf(() => floatTensor({ dims: [2], dataType: DATA_TYPE.FLOAT16, int32Data: [varints(0x3c00, 0x3c00, 0x3c00)] }))).toBe('it holds more than the 2 values its dims give');
  });

  it('refuses elements that do not fill the dims exactly, naming the type and both sizes', () => {
    expect(problemOf(() => floatTensor({ dims: [2, 3], dataType: DATA_TYPE.FLOAT, rawData: new Uint8Array(20) }))).toBe('its dims [2, 3] give 6 FLOAT elements (24 bytes), but it holds 20 bytes');
    expect(problemOf(() => floatTensor({ dims: [2], dataType: DATA_TYPE.DOUBLE, doubleData: [float64Bytes(1)] }))).toBe('its dims [2] give 2 DOUBLE elements (16 bytes), but it holds 8 bytes');
    expect(problemOf(() => floatTensor({ dims: [3], dataType: DATA_TYPE.FLOAT16, rawData: new Uint8Array(4) }))).toBe('its dims [3] give 3 FLOAT16 elements (6 bytes), but it holds 4 bytes');
    expect(problemOf(() => floatTensor({ dims: [3], dataType: DATA_TYPE.BFLOAT16, rawData: new Uint8Array(8) }))).toBe('its dims [3] give 3 BFLOAT16 elements (6 bytes), but it holds 8 bytes');
    expect(problemOf(() => floatTensor({ dims: [2], dataType: DATA_TYPE.FLOAT }))).toBe('its dims [2] give 2 FLOAT elements (8 bytes), but it holds 0 bytes');
    // FLOAT keeps no elements in double_data, nor DOUBLE in float_data.
    expect(problemOf(() => floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT, doubleData: [float64Bytes(1)] }))).toBe('its dims [1] give 1 FLOAT elements (4 bytes), but it holds 0 bytes');
    expect(problemOf(() => floatTensor({ dims: [1], dataType: DATA_TYPE.DOUBLE, floatData: [float32Bytes(1, 2)] }))).toBe('its dims [1] give 1 DOUBLE elements (8 bytes), but it holds 0 bytes');
  });

  it('refuses a type that is not a float, by its ONNX name', () => {
    const message = (type: string) => `its data type is ${type}, not a float type (FLOAT, DOUBLE, FLOAT16 or BFLOAT16)`;
    expect(problemOf(() => floatTensor({ dims: [1], dataType: DATA_TYPE.INT64, rawData: new Uint8Array(8) }))).toBe(message('INT64'));
    expect(problemOf(() => floatTensor({ dims: [1], rawData: new Uint8Array(4) }))).toBe(message('UNDEFINED'));
    expect(problemOf(() => floatTensor({ dims: [1], dataType: 99, rawData: new Uint8Array(4) }))).toBe(message('type 99'));
  });

  it('refuses weights kept in an external file, whichever field says so', () => {
    const message = 'its data is in an external file (external_data): save the model with its weights inside it';
    expect(problemOf(() => floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT, dataLocation: 1 }))).toBe(message);
    expect(problemOf(() => floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT, externalData: [{ key: 'location', value: 'w.bin' }] }))).toBe(message);
    expect(problemOf(() => intTensor({ dims: [1], dataType: DATA_TYPE.INT64, dataLocation: 1 }))).toBe(message);
    // data_location 0 (DEFAULT) and an empty external_data list are weights inside the file.
    expect(Array.from(floatTensor({ dims: [1], dataType: DATA_TYPE.FLOAT, dataLocation: 0, externalData: [], rawData: float32Bytes(2) }).data)).toEqual([2]);
  });
});

describe('integer tensors (shapes, axes, indices)', () => {
  it('reads INT64 and INT32 from raw_data, negative numbers included', () => {
    const int64 = Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0, 0, 0, 0, 0]); // -1, 3
    expect(intTensor({ dims: [2], dataType: DATA_TYPE.INT64, rawData: int64 })).toEqual({ dims: [2], values: [-1, 3] });
    const int32 = Uint8Array.from([0xfe, 0xff, 0xff, 0xff, 7, 0, 0, 0]); // -2, 7
    expect(intTensor({ dims: [2], dataType: DATA_TYPE.INT32, rawData: int32 })).toEqual({ dims: [2], values: [-2, 7] });
  });

  it('reads int64_data and int32_data varints, a negative one being ten bytes (two\'s complement in 64 bits)', () => {
    expect(varint(-1n)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(intTensor({ dims: [4], dataType: DATA_TYPE.INT64, int64Data: [varints(-1, 300), varints(-3, 2 ** 40)] }).values).toEqual([-1, 300, -3, 2 ** 40]);
    expect(intTensor({ dims: [3], dataType: DATA_TYPE.INT32, int32Data: [varints(-5, 0, 2 ** 31 - 1)] }).values).toEqual([-5, 0, 2 ** 31 - 1]);
  });

  it('takes int64_data when raw_data is there but empty; an INT32 varint keeps its low 32 bits, as protobuf reads an int32', () => {
    expect(intTensor({ dims: [1], dataType: DATA_TYPE.INT64, rawData: new Uint8Array(0), int64Data: [varints(5)] }).values).toEqual([5]);
    expect(intTensor({ dims: [2], dataType: DATA_TYPE.INT32, int32Data: [varints(2 ** 32 + 5, 2 ** 32 - 1)] }).values).toEqual([5, -1]);
    expect(intTensor({ dims: [1], dataType: DATA_TYPE.INT64, int64Data: [varints(2 ** 32 + 5)] }).values).toEqual([2 ** 32 + 5]);
  });

  it('reads an empty tensor as no values', () => {
    expect(intTensor({ dims: [0], dataType: DATA_TYPE.INT64 })).toEqual({ dims: [0], values: [] });
  });

  it('takes at most 64 elements', () => {
    expect(intTensor({ dims: [64], dataType: DATA_TYPE.INT64, rawData: new Uint8Array(8 * 64) }).values).toHaveLength(64);
    expect(problemOf(() => intTensor({ dims: [5, 13], dataType: DATA_TYPE.INT64, rawData: new Uint8Array(8 * 65) }))).toBe('it is an integer tensor of 65 elements; xcnn folds shape arithmetic of at most 64');
  });

  it('refuses another type, and elements that do not fill the dims', () => {
    expect(problemOf(() => intTensor({ dims: [1], dataType: DATA_TYPE.FLOAT, rawData: new Uint8Array(4) }))).toBe('its data type is FLOAT, expected INT64 or INT32');
    expect(problemOf(() => intTensor({ dims: [1, 2], dataType: DATA_TYPE.INT64, rawData: new Uint8Array(8) }))).toBe('its dims [1, 2] give 2 elements (16 bytes), but it holds 8 bytes');
    expect(problemOf(() => intTensor({ dims: [2], dataType: DATA_TYPE.INT32, rawData: new Uint8Array(16) }))).toBe('its dims [2] give 2 elements (8 bytes), but it holds 16 bytes');
    expect(problemOf(() => intTensor({ dims: [3, 1], dataType: DATA_TYPE.INT64, int64Data: [varints(1, 2)] }))).toBe('its dims [3, 1] give 3 elements, but it holds 2');
    expect(problemOf(() => intTensor({ dims: [2], dataType: DATA_TYPE.INT64 }))).toBe('its dims [2] give 2 elements, but it holds 0');
    // INT32 keeps its elements in int32_data, not int64_data.
    expect(problemOf(() => intTensor({ dims: [1], dataType: DATA_TYPE.INT32, int64Data: [varints(1)] }))).toBe('its dims [1] give 1 elements, but it holds 0');
    expect(problemOf(() => intTensor({ dims: [1], dataType: DATA_TYPE.INT64, int64Data: [varints(1, 2)] }))).toBe('it holds more than the 1 values its dims give');
  });

  it('refuses varints cut short or longer than ten bytes', () => {
    expect(problemOf(() => intTensor({ dims: [1], dataType: DATA_TYPE.INT64, int64Data: [Uint8Array.from([0x81])] }))).toBe('its int data ends inside a number');
    const eleven = Uint8Array.from([...new Array<number>(10).fill(0x80), 0x01]);
    expect(problemOf(() => intTensor({ dims: [1], dataType: DATA_TYPE.INT64, int64Data: [eleven] }))).toBe('a number in its int data is longer than 10 bytes');
    // Ten bytes is the longest a varint may be: 2⁶³ reads as −2⁶³.
    const ten = Uint8Array.from([...new Array<number>(9).fill(0x80), 0x01]);
    expect(intTensor({ dims: [1], dataType: DATA_TYPE.INT64, int64Data: [ten] }).values).toEqual([-(2 ** 63)]);
  });
});

/** onnx.proto: BOOL is a byte an element in raw_data, or a varint an element in int32_data (field 5). */
describe('BOOL flags (one element)', () => {
  const flag = (fields: Partial<OnnxTensor>, dims: number[] = []): OnnxTensor => ({ dims, dataType: DATA_TYPE.BOOL, ...fields });

  it('reads false and true from raw_data, one byte each, any non-zero byte being true', () => {
    expect(boolScalar(flag({ rawData: Uint8Array.of(0) }))).toBe(false);
    expect(boolScalar(flag({ rawData: Uint8Array.of(1) }))).toBe(true);
    expect(boolScalar(flag({ rawData: Uint8Array.of(0x80) }))).toBe(true);
    // A view into a larger buffer reads its own byte.
    expect(boolScalar(flag({ rawData: Uint8Array.of(1, 0, 1).subarray(1, 2) }))).toBe(false);
    expect(boolScalar(flag({ rawData: Uint8Array.of(0, 1, 0).subarray(1, 2) }, [1, 1]))).toBe(true);
  });

  it('reads false and true from int32_data\'s varints, also when raw_data is there but empty', () => {
    expect(boolScalar(flag({ int32Data: [varints(0)] }))).toBe(false);
    expect(boolScalar(flag({ int32Data: [varints(1)] }))).toBe(true);
    expect(boolScalar(flag({ int32Data: [varints(300)] }, [1]))).toBe(true); // two bytes, 0xac 0x02
    expect(boolScalar(flag({ rawData: new Uint8Array(0), int32Data: [varints(0)] }))).toBe(false);
    expect(boolScalar(flag({ rawData: new Uint8Array(0), int32Data: [varints(1)] }))).toBe(true);
  });

  it('refuses another type, not one element, elements that do not fill the dims, and an external file', () => {
    expect(problemOf(() => boolScalar({ dims: [], dataType: DATA_TYPE.INT32, int32Data: [varints(0)] }))).toBe('its data type is INT32, expected BOOL');
    expect(problemOf(() => boolScalar({ dims: [], rawData: Uint8Array.of(0) }))).toBe('its data type is UNDEFINED, expected BOOL');
    expect(problemOf(() => boolScalar(flag({ rawData: Uint8Array.of(0, 0) }, [2])))).toBe('its dims [2] give 2 elements, expected one');
    expect(problemOf(() => boolScalar(flag({}, [1, 0])))).toBe('its dims [1, 0] give 0 elements, expected one');
    expect(problemOf(() => boolScalar(flag({ rawData: Uint8Array.of(0, 0) })))).toBe('its dims [] give 1 elements (1 bytes), but it holds 2 bytes');
    expect(problemOf(() => boolScalar(flag({})))).toBe('its dims [] give 1 elements, but it holds 0');
    expect(problemOf(() => boolScalar(flag({ int64Data: [varints(0)] })))).toBe('its dims [] give 1 elements, but it holds 0');
    expect(problemOf(() => boolScalar(flag({ int32Data: [varints(0, 1)] })))).toBe('it holds more than the 1 values its dims give');
    expect(problemOf(() => boolScalar(flag({ rawData: Uint8Array.of(0), dataLocation: 1 })))).toBe('its data is in an external file (external_data): save the model with its weights inside it');
    expect(problemOf(() => boolScalar(flag({ rawData: Uint8Array.of(0) }, [-1])))).toBe('a dimension is -1');
  });
});

describe('dims', () => {
  it('reads up to eight dimensions, each from 0 to 2³¹', () => {
    expect(tensorDims({})).toEqual([]);
    expect(tensorDims({ dims: [1, 2, 1, 2, 1, 2, 1, 2] })).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(tensorDims({ dims: [0, 2 ** 31] })).toEqual([0, 2 ** 31]);
    expect(tensorDims({ dims: [{ low: 5, high: 0 }] })).toEqual([5]);
  });

  it('refuses more dimensions, a negative one, one past 2³¹ and one beyond 2⁵³', () => {
    expect(problemOf(() => tensorDims({ dims: new Array<number>(9).fill(1) }))).toBe('it has 9 dimensions; at most 8');
    expect(problemOf(() => tensorDims({ dims: [2, -1] }))).toBe('a dimension is -1');
    expect(problemOf(() => tensorDims({ dims: [2 ** 31 + 1] }))).toBe('a dimension is 2147483649');
    expect(problemOf(() => tensorDims({ dims: [{ low: 0, high: 2 ** 21 }] }))).toBe('a dimension is beyond 2^53'); // 2⁵³
  });
});

describe('tensors for a file', () => {
  it('writes float32 little-endian raw_data', () => {
    expect(floatTensorProto('w', [2], [1, -2])).toEqual({ name: 'w', dims: [2], dataType: DATA_TYPE.FLOAT, rawData: Uint8Array.from([0, 0, 0x80, 0x3f, 0, 0, 0, 0xc0]) });
  });

  it('writes int64 little-endian raw_data, two\'s complement', () => {
    expect(int64TensorProto('s', [-1, 3])).toEqual({ name: 's', dims: [2], dataType: DATA_TYPE.INT64, rawData: Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0, 0, 0, 0, 0]) });
  });
});

describe('data type names', () => {
  it("are TensorProto.DataType's, in onnx.proto's order", () => {
    const names = ['UNDEFINED', 'FLOAT', 'UINT8', 'INT8', 'UINT16', 'INT16', 'INT32', 'INT64', 'STRING', 'BOOL', 'FLOAT16', 'DOUBLE', 'UINT32', 'UINT64', 'COMPLEX64', 'COMPLEX128', 'BFLOAT16'];
    expect(names.map((_, k) => dataTypeName(k))).toEqual(names);
    expect(dataTypeName(undefined)).toBe('UNDEFINED');
    expect(dataTypeName(17)).toBe('type 17');
  });
});
