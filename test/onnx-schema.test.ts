/**
 * The ONNX schema subset (src/onnx/onnx-schema.ts) against the protobuf wire format written out by hand here:
 * a ModelProto that sets every field the subset names is encoded to exactly the bytes onnx.proto's field numbers
 * and wire types give (proto2: repeated numbers unpacked unless onnx.proto packs them, as ONNX's own C++ writes
 * them), and those bytes decode back to the same model. int64Value reads both forms an int64 takes in
 * protobufjs: a number, or a long.js Long's two 32-bit halves.
 */
import { describe, expect, it } from 'vitest';
import { decodeOnnxFile, encodeOnnxFile } from '../src/onnx/onnx-file.js';
import { int64Value, MODEL_PROTO, type OnnxModel } from '../src/onnx/onnx-schema.js';

// The wire format (protobuf's encoding guide): a key is the varint (field << 3 | wire type); wire type 0 is a
// varint, 2 a length-delimited run (a varint length, then the bytes), 5 four little-endian bytes.
function varint(value: number | bigint): number[] {
  let v = BigInt(value);
  if (v < 0n) v += 2n ** 64n; // a negative int64 or int32 is ten bytes
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}
const key = (field: number, wireType: number) => varint((field << 3) | wireType);
const number = (field: number, value: number | bigint) => [...key(field, 0), ...varint(value)];
const run = (field: number, bytes: ArrayLike<number>) => [...key(field, 2), ...varint(bytes.length), ...Array.from(bytes)];
const text = (field: number, value: string) => run(field, new TextEncoder().encode(value));
const float32 = (field: number, value: number) => [...key(field, 5), ...new Uint8Array(Float32Array.of(value).buffer)];

/** A model with every field of the subset set, each to a value that shows in its bytes. */
const MODEL: OnnxModel & { domain: string; modelVersion: number } = {
  irVersion: 7,
  producerName: 'p',
  producerVersion: 'v1',
  domain: 'org.x',
  modelVersion: 3,
  graph: {
    node: [
      {
        input: ['a', ''],
        output: ['c'],
        name: 'n',
        opType: 'Conv',
        attribute: [
          { name: 'f', type: 1, f: 0.5 },
          { name: 'i', type: 2, i: -2 },
          { name: 's', type: 3, s: Uint8Array.of(0x53) },
          { name: 't', type: 4, t: { dims: [1], dataType: 7, int64Data: [Uint8Array.of(5)] } },
          { name: 'fs', type: 6, floats: [1, -2] },
          { name: 'is', type: 7, ints: [300, 0] },
          { name: 'ss', type: 8, strings: [Uint8Array.of(0x61), Uint8Array.of()] },
        ],
        domain: 'ai.x',
      },
    ],
    name: 'g',
    initializer: [
      {
        dims: [2, 3],
        dataType: 1,
        floatData: [Uint8Array.of(1, 2, 3, 4)],
        int32Data: [Uint8Array.of(0, 1)],
        int64Data: [Uint8Array.of(2)],
        name: 'w',
        rawData: Uint8Array.of(9, 8),
        doubleData: [Uint8Array.of(7)],
        externalData: [{ key: 'location', value: 'w.bin' }],
        dataLocation: 1,
      },
    ],
    input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }, { dimValue: 28 }] } } } }],
    output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
  },
  opsetImport: [{ version: 13 }, { domain: 'com.x', version: 1 }],
  metadataProps: [{ key: 'k', value: 'val' }],
};

/** MODEL's bytes, field by field in field-number order (as protobuf writers write them). */
function modelBytes(): Uint8Array {
  const attributes = [
    [...text(1, 'f'), ...float32(2, 0.5), ...number(20, 1)],
    [...text(1, 'i'), ...number(3, -2), ...number(20, 2)],
    [...text(1, 's'), ...run(4, [0x53]), ...number(20, 3)],
    [...text(1, 't'), ...run(5, [...number(1, 1), ...number(2, 7), ...run(7, [5])]), ...number(20, 4)],
    // floats (field 7) and ints (field 8) unpacked: a key before each element.
    [...text(1, 'fs'), ...float32(7, 1), ...float32(7, -2), ...number(20, 6)],
    [...text(1, 'is'), ...number(8, 300), ...number(8, 0), ...number(20, 7)],
    [...text(1, 'ss'), ...run(9, [0x61]), ...run(9, []), ...number(20, 8)],
  ];
  const nodeProto = [...text(1, 'a'), ...text(1, ''), ...text(2, 'c'), ...text(3, 'n'), ...text(4, 'Conv'), ...attributes.flatMap((a) => run(5, a)), ...text(7, 'ai.x')];
  const tensor = [
    ...number(1, 2), ...number(1, 3), // dims unpacked
    ...number(2, 1),
    ...run(4, [1, 2, 3, 4]), // float_data, int32_data, int64_data, double_data: one packed run each
    ...run(5, [0, 1]),
    ...run(7, [2]),
    ...text(8, 'w'),
    ...run(9, [9, 8]),
    ...run(10, [7]),
    ...run(13, [...text(1, 'location'), ...text(2, 'w.bin')]),
    ...number(14, 1),
  ];
  const dimension = (fields: number[]) => run(1, fields);
  const input = [...text(1, 'x'), ...run(2, run(1, [...number(1, 1), ...run(2, [...dimension(text(2, 'N')), ...dimension(number(1, 28))])]))];
  const output = [...text(1, 'y'), ...run(2, run(1, number(1, 1)))];
  const graph = [...run(1, nodeProto), ...text(2, 'g'), ...run(5, tensor), ...run(11, input), ...run(12, output)];
  return Uint8Array.from([
    ...number(1, 7),
    ...text(2, 'p'),
    ...text(3, 'v1'),
    ...text(4, 'org.x'),
    ...number(5, 3),
    ...run(7, graph),
    ...run(8, number(2, 13)),
    ...run(8, [...text(1, 'com.x'), ...number(2, 1)]),
    ...run(14, [...text(1, 'k'), ...text(2, 'val')]),
  ]);
}

describe('the schema subset on the wire', () => {
  it('the hand-written encoder writes protobuf\'s examples: 150 as field 1 is 08 96 01, -1 ten bytes', () => {
    expect(number(1, 150)).toEqual([0x08, 0x96, 0x01]);
    expect(varint(-1)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(text(2, 'testing')).toEqual([0x12, 0x07, 0x74, 0x65, 0x73, 0x74, 0x69, 0x6e, 0x67]);
    expect(number(20, 1)).toEqual([0xa0, 0x01, 0x01]);
  });

  it('encodes every field to the bytes its number and wire type give, repeated numbers unpacked', () => {
    expect(Array.from(encodeOnnxFile(MODEL))).toEqual(Array.from(modelBytes()));
  });

  it('decodes those bytes to the same model, field by field', () => {
    const decoded = decodeOnnxFile(modelBytes(), 'm.onnx') as typeof MODEL;
    expect(decoded).toEqual(MODEL);
  });

  it("writes an empty string of a single field as absent, which readers take for the default ''; keeps one in a list", () => {
    expect(Array.from(encodeOnnxFile({ opsetImport: [{ domain: '', version: 13 }] }))).toEqual(run(8, number(2, 13)));
    expect(Array.from(encodeOnnxFile({ graph: { node: [{ input: ['', 'b'] }] } }))).toEqual(run(7, run(1, [...text(1, ''), ...text(1, 'b')])));
  });

  it('decodes dims, floats and ints also when a writer packs them (proto2 readers take both)', () => {
    const packedDims = run(7, run(5, [...run(1, [...varint(2), ...varint(3)]), ...text(8, 'w')]));
    expect(decodeOnnxFile(Uint8Array.from([...number(1, 7), ...packedDims]), 'm.onnx').graph?.initializer?.[0].dims).toEqual([2, 3]);
    const floats = [...new Uint8Array(Float32Array.of(1, -2).buffer)];
    const attribute = [...text(1, 'a'), ...run(7, floats), ...run(8, [...varint(300), ...varint(0)])];
    const packedLists = run(7, run(1, [...text(4, 'Conv'), ...run(5, attribute)]));
    const read = decodeOnnxFile(Uint8Array.from([...number(1, 7), ...packedLists]), 'm.onnx').graph?.node?.[0].attribute?.[0];
    expect([read?.floats, read?.ints]).toEqual([[1, -2], [300, 0]]);
  });

  it('decodes a negative int64 (ten bytes) and one beyond 2³² as numbers', () => {
    const bytes = Uint8Array.from([...number(1, 7), ...run(7, run(5, [...number(1, -1), ...number(1, 2 ** 32 + 5)]))]);
    expect(decodeOnnxFile(bytes, 'm.onnx').graph?.initializer?.[0].dims).toEqual([-1, 2 ** 32 + 5]);
  });

  it('decodes int64 fields as long.js Longs without the number conversion, which int64Value reads', () => {
    const message = MODEL_PROTO.decode(Uint8Array.from([...number(1, 2 ** 32 + 5), ...number(5, -3)])) as unknown as { irVersion: unknown; modelVersion: unknown };
    expect(int64Value(message.irVersion as never)).toBe(2 ** 32 + 5);
    expect(int64Value(message.modelVersion as never)).toBe(-3);
  });
});

describe('int64Value', () => {
  it('reads a number: a safe integer as itself, anything else as null; nothing as 0', () => {
    expect([int64Value(0), int64Value(-7), int64Value(2 ** 53 - 1), int64Value(-(2 ** 53 - 1))]).toEqual([0, -7, 2 ** 53 - 1, -(2 ** 53 - 1)]);
    expect([int64Value(2 ** 53), int64Value(0.5), int64Value(Number.NaN)]).toEqual([null, null, null]);
    expect([int64Value(undefined), int64Value(null)]).toEqual([0, 0]);
  });

  it("reads a Long's halves: high × 2³² + low, low always unsigned, high signed unless the Long is unsigned", () => {
    expect(int64Value({ low: 5, high: 0 })).toBe(5);
    expect(int64Value({ low: -1, high: 0 })).toBe(2 ** 32 - 1); // low's 32 bits are unsigned
    expect(int64Value({ low: 0, high: 1 })).toBe(2 ** 32);
    expect(int64Value({ low: 3, high: 2 })).toBe(2 * 2 ** 32 + 3);
    expect(int64Value({ low: -1, high: -1 })).toBe(-1); // two's complement
    expect(int64Value({ low: 0, high: -1 })).toBe(-(2 ** 32));
    expect(int64Value({ low: -1, high: 0x1fffff })).toBe(2 ** 53 - 1);
    expect(int64Value({ low: 0, high: 0x200000 })).toBeNull(); // 2⁵³
    expect(int64Value({ low: 0, high: -0x200000 })).toBeNull(); // −2⁵³, one past the safe integers
  });

  it('reads an unsigned Long\'s high half as unsigned', () => {
    expect(int64Value({ low: 7, high: 1, unsigned: true })).toBe(2 ** 32 + 7);
    expect(int64Value({ low: 0, high: -1, unsigned: true })).toBeNull(); // (2³² − 1) × 2³²
    expect(int64Value({ low: 0, high: -1, unsigned: false })).toBe(-(2 ** 32));
  });

  it('keeps a high half given beyond 32 bits to its 32 bits, as long.js stores it', () => {
    expect(int64Value({ low: 0, high: 2 ** 32 + 1 })).toBe(2 ** 32);
    expect(int64Value({ low: 0, high: 2 ** 32 - 1 })).toBe(-(2 ** 32)); // 0xffffffff signed is −1
  });
});
