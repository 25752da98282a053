import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../src/files/safetensors.js';
import { XcnnError } from '../src/errors.js';
import { rawSafetensors } from './fixtures/files.js';

const tensorLists = fc.uniqueArray(
  fc.record({
    name: fc.string({ minLength: 1, maxLength: 8 }).filter((n) => n !== '__metadata__'),
    shape: fc.array(fc.integer({ min: 1, max: 4 }), { maxLength: 3 }),
  }),
  { maxLength: 5, selector: (t) => t.name },
);

describe('safetensors', () => {
  it('round-trips tensors and metadata, with the data aligned to 8 bytes', () => {
    fc.assert(
      fc.property(tensorLists, fc.dictionary(fc.string(), fc.string()), (specs, metadata) => {
        const tensors = specs.map((s, k) => ({ ...s, data: Float32Array.from({ length: s.shape.reduce((a, b) => a * b, 1) }, (_, i) => k + i / 8) }));
        const bytes = encodeSafetensors(tensors, metadata);
        const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect((8 + headerLength) % 8).toBe(0);
        const decoded = decodeSafetensors(bytes, 'f');
        for (const t of tensors) {
          expect(decoded.tensors.get(t.name)?.shape).toEqual(t.shape);
          expect([...decoded.tensors.get(t.name)!.data]).toEqual([...t.data]);
        }
        expect(decoded.metadata).toEqual(Object.keys(metadata).length ? { ...metadata } : {});
      }),
    );
  });

  it('writes and reads back tensors whose names are Object.prototype keys', () => {
    const tensors = ['toString', '__proto__', 'constructor'].map((name) => ({ name, shape: [1], data: Float32Array.of(1) }));
    expect([...decodeSafetensors(encodeSafetensors(tensors), 'f').tensors.keys()].sort()).toEqual(['__proto__', 'constructor', 'toString']);
  });

  it('refuses to write two tensors of the same name', () => {
    const t = { name: 'w', shape: [1], data: new Float32Array(1) };
    expect(() => encodeSafetensors([t, t])).toThrow(/the tensor name 'w' is used twice/);
  });

  it('converts F16, BF16 and F64 tensors to float32', () => {
    const data = new Uint8Array(2 + 2 + 8);
    const view = new DataView(data.buffer);
    view.setUint16(0, 0x3c00, true); // F16 1.0
    view.setUint16(2, 0xc040, true); // BF16 −3.0
    view.setFloat64(4, 0.25, true);
    const file = decodeSafetensors(
      rawSafetensors({ h: { dtype: 'F16', shape: [1], data_offsets: [0, 2] }, b: { dtype: 'BF16', shape: [1], data_offsets: [2, 4] }, d: { dtype: 'F64', shape: [1], data_offsets: [4, 12] } }, data),
      'f',
    );
    expect([file.tensors.get('h')!.data[0], file.tensors.get('b')!.data[0], file.tensors.get('d')!.data[0]]).toEqual([1, -3, 0.25]);
  });

  const broken: Array<[string, Uint8Array, RegExp]> = [
    ['too short', Uint8Array.of(1, 2, 3), /too short/],
    ['a header length past the end', (() => { const b = new Uint8Array(16); b[0] = 200; return b; })(), /header claims 200 bytes but the file has 8/],
    ['a header length over the limit', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true); return b; })(), /over the .*-byte limit/],
    ['a header that is not JSON', rawSafetensors('x').map((v, k) => (k === 8 ? 0x7b : v)), /not UTF-8 JSON/],
    ['a JSON array header', rawSafetensors([1, 2]), /not a JSON object/],
    ['an unknown dtype', rawSafetensors({ a: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(8)), /dtype "I8"/],
    ['a bad shape', rawSafetensors({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), /shape \[-1\]/],
    ['offsets past the data', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), /outside the 4-byte data buffer/],
    ['offsets that disagree with the shape', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)), /needs 8 bytes, its offsets span 4/],
    ['a shape whose product overflows', rawSafetensors({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4)), /larger than the whole 4-byte data buffer/],
    ['overlapping tensors', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), /'a' and 'b' overlap/],
    ['metadata that is not strings', rawSafetensors({ __metadata__: { a: 1 } }), /__metadata__\.a is not a string/],
    ['more metadata entries than a model has', rawSafetensors({ __metadata__: Object.fromEntries(Array.from({ length: 1025 }, (_, k) => [`k${k}`, 'v'])) }), /__metadata__ has 1025 entries, more than the 1024/],
  ];

  for (const [what, bytes, message] of broken) {
    it(`refuses ${what}, naming the file`, () => {
      expect(() => decodeSafetensors(bytes, 'model.safetensors')).toThrow(XcnnError);
      expect(() => decodeSafetensors(bytes, 'model.safetensors')).toThrow(message);
      expect(() => decodeSafetensors(bytes, 'model.safetensors')).toThrow(/^model\.safetensors: not a valid safetensors file: /);
    });
  }

  it('returns a valid result or throws XcnnError for any mutation of a valid file', () => {
    const valid = encodeSafetensors([{ name: 'w', shape: [2, 3], data: new Float32Array(6).fill(1) }, { name: 'b', shape: [3], data: new Float32Array(3) }], { k: 'v' });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(valid.length), (flips, cut) => {
        const bytes = Uint8Array.from(valid.subarray(0, cut));
        for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
        try {
          decodeSafetensors(bytes, 'm');
        } catch (error) {
          expect(error).toBeInstanceOf(XcnnError);
        }
      }),
      { numRuns: 500 },
    );
  });
});
