/**
 * The structural walk of src/onnx/onnx-file.ts, problem by problem: each file is written byte by byte here, and
 * the refusal must name the byte where the walk stops (counted by hand) and what is wrong there. (Files cut,
 * changed at random or made up: test/onnx-hostile.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { decodeOnnxFile, MAX_FIELDS } from '../src/onnx/onnx-file.js';

/** A varint's bytes. */
function varint(value: number): number[] {
  const out: number[] = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** Length-delimited fields one inside the other (`fields` outermost first) around `body`. */
function nested(fields: number[], body: Uint8Array): Uint8Array {
  let inner = body;
  for (const field of [...fields].reverse()) {
    const head = [...varint(field * 8 + 2), ...varint(inner.length)];
    const out = new Uint8Array(head.length + inner.length);
    out.set(head);
    out.set(inner, head.length);
    inner = out;
  }
  return inner;
}

/** A length-delimited field (wire type 2) of `body`, and byte arrays one after the other. */
const field = (id: number, body: Uint8Array): Uint8Array => concat(Uint8Array.from([...varint(id * 8 + 2), ...varint(body.length)]), body);
function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A length-delimited field (wire type 2). */
const message = (field: number, body: number[]): number[] => [...varint(field * 8 + 2), ...varint(body.length), ...body];

describe('the structural walk, byte by byte', () => {
  const refusalOf = (...values: number[]) => refusalOfBytes(Uint8Array.from(values));
  const refusalOfBytes = (bytes: Uint8Array) => {
    try {
      decodeOnnxFile(bytes, 'm.onnx');
    } catch (error) {
      expect(error).toBeInstanceOf(XcnnError);
      expect((error as XcnnError).code).toBe('ERR_BAD_MODEL');
      return (error as Error).message.replace('m.onnx: not a valid ONNX file: ', '');
    }
    return 'accepted';
  };

  it('refuses an empty file, and field number 0', () => {
    expect(refusalOf()).toBe('the file is empty');
    expect(refusalOf(0x08, 0x07, 0x00, 0x00)).toBe('field number 0 at byte 2');
    expect(refusalOf(0x08, 0x07, 0x02, 0x00)).toBe('field number 0 at byte 2');
  });

  it('refuses wire types 3, 4, 6 and 7, known field or not', () => {
    for (const wireType of [3, 4, 6, 7]) {
      expect(refusalOf(0x08, 0x07, (1 << 3) | wireType, 0, 0, 0, 0, 0, 0, 0, 0), `wire type ${wireType}`).toBe(`wire type ${wireType} at byte 2 (a group or no protobuf type)`);
      expect(refusalOf(0x08, 0x07, (15 << 3) | wireType, 0, 0, 0, 0, 0, 0, 0, 0), `wire type ${wireType}, field 15`).toBe(`wire type ${wireType} at byte 2 (a group or no protobuf type)`);
    }
  });

  it('takes a length that ends exactly at its message\'s end, and refuses one byte more, inside a nested message too', () => {
    expect(decodeOnnxFile(Uint8Array.from([0x12, 0x02, 0x61, 0x62]), 'm.onnx').producerName).toBe('ab');
    expect(refusalOf(0x12, 0x03, 0x61, 0x62)).toBe('a field at byte 0 claims 3 bytes, but only 2 remain in its message');
    // graph (7) of 2 bytes holding a node (1) that claims 5: the file has them, the graph does not.
    expect(refusalOf(...message(7, [0x0a, 0x05]), 1, 2, 3, 4, 5)).toBe('a field at byte 2 claims 5 bytes, but only 0 remain in its message');
    // A two-byte length: producer_name of 200 letters.
    expect(decodeOnnxFile(Uint8Array.from(message(2, new Array<number>(200).fill(0x61))), 'm.onnx').producerName).toBe('a'.repeat(200));
  });

  it('refuses a field of the subset sent with another wire type', () => {
    expect(refusalOf(0x0a, 0x00)).toBe("field 'irVersion' of ModelProto at byte 0 is length-delimited, expected a int64");
    expect(refusalOf(0x10, 0x01)).toBe("field 'producerName' of ModelProto at byte 0 has wire type 0, expected that of a string");
    expect(refusalOf(0x0d, 1, 2, 3, 4)).toBe("field 'irVersion' of ModelProto at byte 0 has wire type 5, expected that of a int64");
    expect(refusalOf(0x09, 1, 2, 3, 4, 5, 6, 7, 8)).toBe("field 'irVersion' of ModelProto at byte 0 has wire type 1, expected that of a int64");
    // AttributeProto.f (2) is a float: fixed 32-bit; in a node (1) of the graph (7).
    const attribute = (body: number[]) => message(7, message(1, message(5, body)));
    expect(refusalOf(...attribute([0x12, 0x00]))).toBe("field 'f' of AttributeProto at byte 6 is length-delimited, expected a float");
    expect(refusalOf(...attribute([0x10, 0x01]))).toBe("field 'f' of AttributeProto at byte 6 has wire type 0, expected that of a float");
    expect(decodeOnnxFile(Uint8Array.from(attribute([0x15, 0, 0, 0xc0, 0x3f])), 'm.onnx').graph?.node?.[0].attribute?.[0].f).toBe(1.5);
  });

  it('skips fields outside the subset of any wire type, and refuses a fixed one that runs past its message', () => {
    expect(decodeOnnxFile(Uint8Array.from([0x79, 1, 2, 3, 4, 5, 6, 7, 8, 0x7d, 1, 2, 3, 4, 0x78, 0x05, 0x7a, 0x02, 0x08, 0x09, 0xa0, 0x06, 0x01, 0x08, 0x07]), 'm.onnx').irVersion).toBe(7); // fields 15 (wire types 1, 5, 0, 2) and 100
    expect(refusalOf(0x79, 1, 2, 3, 4, 5, 6, 7)).toBe('a 8-byte field at byte 0 runs past the end of its message');
    expect(refusalOf(0x7d, 1, 2, 3)).toBe('a 4-byte field at byte 0 runs past the end of its message');
    expect(refusalOf(...message(7, [0x7d, 1, 2]), 3, 4)).toBe('a 4-byte field at byte 2 runs past the end of its message');
  });

  it('reads varints of up to ten bytes, and says where one is cut or too long', () => {
    expect(refusalOf(0x08, 0x87)).toBe('the file ends inside a number at byte 1');
    expect(refusalOf(...message(7, [0x0a, 0x80]), 0x01)).toBe('the file ends inside a number at byte 3 (inside its message)');
    expect(refusalOf(0x08, ...new Array<number>(10).fill(0x80), 0x01)).toBe('a number at byte 1 is longer than 10 bytes');
    expect(decodeOnnxFile(Uint8Array.from([0x08, ...new Array<number>(9).fill(0x80), 0x01]), 'm.onnx').irVersion).toBe(-(2 ** 63)); // int64: two's complement
    expect(decodeOnnxFile(Uint8Array.from([0x08, 0x87, 0x01]), 'm.onnx').irVersion).toBe(135);
  });

  it(`counts packed numbers one a value (a varint ends at a byte below 0x80, a float is 4 bytes), to ${MAX_FIELDS} fields in all`, () => {
    // graph (7), node (1), attribute (5) and its ints (8) or floats (7) field are four fields; the values the rest.
    const attribute = (field: number, values: Uint8Array) => nested([7, 1, 5, field], values);
    const tooMany = `more than ${MAX_FIELDS} fields in its graph, far more than a small CNN's: not a model xcnn can run`;
    expect(decodeOnnxFile(attribute(7, new Uint8Array(4 * (MAX_FIELDS - 4))), 'm.onnx').graph?.node?.[0].attribute?.[0].floats).toHaveLength(MAX_FIELDS - 4);
    expect(refusalOfBytes(attribute(7, new Uint8Array(4 * (MAX_FIELDS - 4) + 1)))).toBe(tooMany); // a part of a float is one more
    // Varints of ten bytes (2⁶³) are one value each, however many bytes; one-byte ones (1) likewise.
    const varints = (count: number, width: number) => Uint8Array.from({ length: count * width }, (_, k) => (k % width === width - 1 ? 0x01 : 0x80));
    expect(decodeOnnxFile(attribute(8, varints(20_001, 10)), 'm.onnx').graph?.node?.[0].attribute?.[0].ints).toHaveLength(20_001);
    expect(refusalOfBytes(attribute(8, varints(MAX_FIELDS - 3, 1)))).toBe(tooMany);
  });

  it(`counts a string, a repeated string and a packed run as one field each, and no field outside the subset`, () => {
    // graph { node { input "x", attribute { floats: MAX − 5 values } } } and field 15 (unknown): MAX_FIELDS exactly.
    const floats = concat(field(5, field(7, new Uint8Array(4 * (MAX_FIELDS - 5)))));
    const file = concat(field(7, field(1, concat(field(1, Uint8Array.of(0x78)), floats))), Uint8Array.of(0x78, 0x05));
    expect(decodeOnnxFile(file, 'm.onnx').graph?.node?.[0].input).toEqual(['x']);
    // A packed run ends where its length says: the attribute's name (field 1, tag 0x0a) right after it is one field.
    const ints = concat(field(7, field(1, field(5, concat(field(8, new Uint8Array(MAX_FIELDS - 5).fill(1)), field(1, Uint8Array.of(0x61)))))));
    expect(decodeOnnxFile(ints, 'm.onnx').graph?.node?.[0].attribute?.[0].name).toBe('a');
  });

  it('refuses in one line what the decoder still cannot read after the walk', () => {
    // Packed floats of 5 bytes: the walk counts two values; protobufjs runs out of bytes.
    const floats = Uint8Array.from(message(7, message(1, message(5, message(7, [0, 0, 0, 0, 0])))));
    const refused = refusalOf(...floats);
    expect(refused).not.toBe('accepted');
    expect(refused.split('\n')).toHaveLength(1);
  });
});
