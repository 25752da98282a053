/**
 * ONNX files that are truncated, mutated or made up (issue 15): reading one never crashes and never
 * allocates what the file does not hold — every refusal is an XcnnError of one line, naming the file, and
 * a size or count the file claims is checked against the bytes that back it before anything is made for
 * it. The bytes come from a real export (LeNet-5 at 28×28 with batch norm, ~250 KB) cut and changed here,
 * and from generated protobuf written to exhaust a reader.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { decodeOnnxFile, MAX_FIELDS } from '../src/onnx/onnx-file.js';
import { encodeOnnxModel } from '../src/onnx/onnx-export.js';
import { decodeOnnxModel } from '../src/onnx/onnx-import.js';
import { isOnnxModel, looksLikeOnnx } from '../src/onnx/onnx-sniff.js';
import { seededNetwork } from './fixtures/any-networks.js';

const backend = new ReferenceBackend();
const geometry = { channels: 1, height: 28, width: 28, classes: 10 };
const network = seededNetwork(backend, 'conv(6,5,pad=2) bn relu avgpool(2) conv(16,5) relu avgpool(2) flatten linear(32) relu linear(10)', geometry, 1);
const exported = encodeOnnxModel(network, { geometry, dataset: 'mnist', classNames: Array.from({ length: 10 }, (_, k) => String(k)) });

/** Reads `bytes`; either a network or an XcnnError of one line naming the file. Anything else fails the test. */
function readOrRefuse(bytes: Uint8Array): 'loaded' | 'refused' {
  try {
    decodeOnnxModel(bytes, 'hostile.onnx', backend).network.dispose();
    return 'loaded';
  } catch (error) {
    if (!(error instanceof XcnnError)) throw new Error(`not an XcnnError: ${(error as Error)?.stack ?? error}`);
    expect(error.message.split('\n')).toHaveLength(1);
    expect(error.message.startsWith('hostile.onnx: ')).toBe(true);
    return 'refused';
  }
}

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

/** A length-delimited field (wire type 2). */
const message = (field: number, body: number[]): number[] => [...varint(field * 8 + 2), ...varint(body.length), ...body];

describe('ONNX files cut, changed or made up', () => {
  it('refuses the export cut at any length with an XcnnError', () => {
    const lengths = [0, 1, 2, 3, ...Array.from({ length: 300 }, (_, k) => 4 + k * 7), ...Array.from({ length: 200 }, (_, k) => Math.floor(((k + 1) * exported.length) / 201)), exported.length - 1];
    const outcomes = lengths.map((length) => readOrRefuse(exported.subarray(0, length)));
    expect(outcomes.every((o) => o === 'refused')).toBe(true);
    expect(readOrRefuse(exported)).toBe('loaded');
  });

  it('reads or refuses the export with random bytes changed, never anything else', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ at: fc.nat(exported.length - 1), value: fc.nat(255) }), { minLength: 1, maxLength: 8 }), (changes) => {
        const bytes = Uint8Array.from(exported);
        for (const { at, value } of changes) bytes[at] = value;
        readOrRefuse(bytes);
      }),
      { numRuns: 300, seed: 15 },
    );
  });

  it('refuses random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (bytes) => {
        expect(readOrRefuse(bytes)).toBe('refused');
      }),
      { numRuns: 300, seed: 16 },
    );
  });

  it('refuses a field that claims more bytes than the file has, naming the byte', () => {
    // ModelProto.graph (field 7) claiming 2 GB in a 12-byte file.
    const bytes = Uint8Array.from([0x08, 0x07, ...varint(7 * 8 + 2), ...varint(2 ** 31), 1, 2, 3, 4]);
    expect(() => decodeOnnxFile(bytes, 'm.onnx')).toThrow('m.onnx: not a valid ONNX file: a field at byte 2 claims 2147483648 bytes, but only 4 remain in its message');
  });

  it(`refuses a graph of more than ${MAX_FIELDS} fields before decoding it (each would become an object)`, () => {
    // A GraphProto of empty NodeProtos: 2 bytes a node, each a JavaScript object once decoded.
    const nodes = new Array<number>(2 * (MAX_FIELDS + 1)).fill(0).map((_, k) => (k % 2 === 0 ? 0x0a : 0x00));
    const bytes = Uint8Array.from([0x08, 0x07, ...message(7, nodes)]);
    expect(() => decodeOnnxFile(bytes, 'm.onnx')).toThrow(`m.onnx: not a valid ONNX file: more than ${MAX_FIELDS} fields in its graph, far more than a small CNN's: not a model xcnn can run`);
  });

  it('refuses groups (wire types 3 and 4), which ONNX never writes, without recursing into them', () => {
    const deep = new Array<number>(100_000).fill(0x0b); // field 1, start group, 100,000 deep
    expect(() => decodeOnnxFile(Uint8Array.from([0x08, 0x07, 0x3a, ...varint(deep.length), ...deep]), 'm.onnx')).toThrow(/^m\.onnx: not a valid ONNX file: wire type 3 at byte \d+ \(a group or no protobuf type\)$/);
  });

  it('refuses a field of the wrong wire type (graph as a number)', () => {
    expect(() => decodeOnnxFile(Uint8Array.from([0x08, 0x07, 0x38, 0x01]), 'm.onnx')).toThrow("m.onnx: not a valid ONNX file: field 'graph' of ModelProto at byte 2 has wire type 0, expected that of a GraphProto");
  });
});

describe('telling ONNX from safetensors by the first bytes', () => {
  const bytes = (...values: number[]) => Uint8Array.from(values);

  it('takes ir_version (field 1) followed by any ModelProto field for ONNX', () => {
    for (const tag of [0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]) expect(looksLikeOnnx(bytes(0x08, 0x07, tag)), `tag ${tag}`).toBe(true);
    expect(looksLikeOnnx(bytes(0x08, 0x87, 0x01, 0x3a))).toBe(true); // ir_version 135: a two-byte varint
    expect(looksLikeOnnx(bytes(0x08, 0x80, 0x80, 0x80, 0x80, 0x01, 0x3a))).toBe(true); // five bytes
  });

  it('takes nothing else', () => {
    expect(looksLikeOnnx(bytes())).toBe(false);
    expect(looksLikeOnnx(bytes(0x08, 0x07))).toBe(false); // too short to hold a second field
    expect(looksLikeOnnx(bytes(0x09, 0x07, 0x3a))).toBe(false); // field 1 with another wire type
    expect(looksLikeOnnx(bytes(0x10, 0x07, 0x3a))).toBe(false); // field 2 first
    expect(looksLikeOnnx(bytes(0x08, 0x07, 0x0a))).toBe(false); // field 1 again: no ModelProto field follows
    expect(looksLikeOnnx(bytes(0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x3a))).toBe(false); // a six-byte "version"
    expect(looksLikeOnnx(bytes(0x08, 0x07, 0x3a, 0, 0, 0, 0, 0, 0x7b))).toBe(false); // '{' at byte 8: a safetensors header
    expect(looksLikeOnnx(bytes(0x08, 0x07, 0x3a, 0, 0, 0, 0, 0))).toBe(true); // eight bytes: no byte 8 to look at
  });

  it('lets the bytes decide over the name, and the name decide bytes that are neither', () => {
    const onnx = bytes(0x08, 0x07, 0x3a, 0x00);
    const safetensors = bytes(2, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d);
    const junk = new TextEncoder().encode('hello, world');
    expect([isOnnxModel(onnx, 'm.safetensors'), isOnnxModel(onnx, 'm')]).toEqual([true, true]);
    expect([isOnnxModel(safetensors, 'm.onnx'), isOnnxModel(safetensors, 'm')]).toEqual([false, false]);
    expect([isOnnxModel(junk, 'junk.ONNX'), isOnnxModel(junk, 'junk.safetensors'), isOnnxModel(junk, 'model')]).toEqual([true, false, false]);
    expect(isOnnxModel(bytes(1, 2, 3, 4, 5, 6, 7, 8), 'x.onnx')).toBe(true); // eight bytes, no '{' to read
  });
});
