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

  /** Each refusal, with its exact problem (a pattern only where the JSON parser's own words are quoted). */
  const broken: Array<[string, Uint8Array, string | RegExp]> = [
    ['too short', Uint8Array.of(1, 2, 3), 'only 3 bytes, too short for the 8-byte header length'],
    ['a header length past the end', (() => { const b = new Uint8Array(16); b[0] = 200; return b; })(), 'the header claims 200 bytes but the file has 8 after the length field'],
    ['a header length just past the end', (() => { const b = new Uint8Array(16); b[0] = 9; return b; })(), 'the header claims 9 bytes but the file has 8 after the length field'],
    ['a header length over the limit', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true); return b; })(), 'the header claims 1099511627776 bytes, over the 16777216-byte limit'],
    ['a header that is not JSON', rawSafetensors('x').map((v, k) => (k === 8 ? 0x7b : v)), /^the header is not UTF-8 JSON \(.+\)$/],
    ['a header that is not UTF-8', rawSafetensors('xy').map((v, k) => (k === 9 ? 0xff : v)), /^the header is not UTF-8 JSON \(.+\)$/],
    ['a JSON array header', rawSafetensors([1, 2]), 'the header is not a JSON object'],
    ['a null header', rawSafetensors(null), 'the header is not a JSON object'],
    ['a string header', rawSafetensors('x'), 'the header is not a JSON object'],
    ['__metadata__ that is a list', rawSafetensors({ __metadata__: ['a'] }), '__metadata__ is not an object'],
    ['__metadata__ that is null', rawSafetensors({ __metadata__: null }), '__metadata__ is not an object'],
    ['__metadata__ that is a string', rawSafetensors({ __metadata__: 'a' }), '__metadata__ is not an object'],
    ['a tensor entry that is not an object', rawSafetensors({ a: 3 }), "tensor 'a' is not an object"],
    ['a tensor entry that is null', rawSafetensors({ a: null }), "tensor 'a' is not an object"],
    ['an unknown dtype', rawSafetensors({ a: { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(8)), 'tensor \'a\' has dtype "I8"; xcnn reads F32 (and converts F16, BF16, F64, I64)'],
    ['a dtype that is not a string', rawSafetensors({ a: { dtype: 4, shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), "tensor 'a' has dtype 4; xcnn reads F32 (and converts F16, BF16, F64, I64)"],
    ['a dtype that is an Object.prototype key', rawSafetensors({ a: { dtype: 'toString', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'tensor \'a\' has dtype "toString"; xcnn reads F32 (and converts F16, BF16, F64, I64)'],
    ['a bad shape', rawSafetensors({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, new Uint8Array(4)), "tensor 'a' has shape [-1], not a list of non-negative integers"],
    ['a fractional dimension', rawSafetensors({ a: { dtype: 'F32', shape: [1.5], data_offsets: [0, 4] } }, new Uint8Array(4)), "tensor 'a' has shape [1.5], not a list of non-negative integers"],
    ['a shape that is not a list', rawSafetensors({ a: { dtype: 'F32', shape: 2, data_offsets: [0, 8] } }, new Uint8Array(8)), "tensor 'a' has shape 2, not a list of non-negative integers"],
    ['offsets that are not a pair', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4, 8] } }, new Uint8Array(8)), "tensor 'a' has data_offsets [0,4,8], not [begin, end]"],
    ['offsets that are not a list', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: 4 } }, new Uint8Array(4)), "tensor 'a' has data_offsets 4, not [begin, end]"],
    ['a negative offset', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [-4, 0] } }, new Uint8Array(4)), "tensor 'a' has data_offsets [-4,0], not [begin, end]"],
    ['a fractional offset', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4.5] } }, new Uint8Array(8)), "tensor 'a' has data_offsets [0,4.5], not [begin, end]"],
    ['offsets past the data', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(4)), "tensor 'a' has data_offsets [0, 8] outside the 4-byte data buffer"],
    ['offsets one byte past the data', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [1, 5] } }, new Uint8Array(4)), "tensor 'a' has data_offsets [1, 5] outside the 4-byte data buffer"],
    ['offsets in the wrong order', rawSafetensors({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4)), "tensor 'a' has data_offsets [4, 0] outside the 4-byte data buffer"],
    ['offsets that disagree with the shape', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(8)), "tensor 'a' of shape [2] F32 needs 8 bytes, its offsets span 4"],
    ['offsets that disagree with an F16 shape', rawSafetensors({ a: { dtype: 'F16', shape: [2, 1], data_offsets: [0, 8] } }, new Uint8Array(8)), "tensor 'a' of shape [2, 1] F16 needs 4 bytes, its offsets span 8"],
    ['a shape whose product overflows', rawSafetensors({ a: { dtype: 'F32', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, new Uint8Array(4)), "tensor 'a' has shape [1099511627776, 1099511627776], larger than the whole 4-byte data buffer"],
    ['a shape one element too large for the buffer', rawSafetensors({ a: { dtype: 'F64', shape: [1, 2], data_offsets: [0, 8] } }, new Uint8Array(8)), "tensor 'a' has shape [1, 2], larger than the whole 8-byte data buffer"],
    ['overlapping tensors', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12)), "tensors 'a' and 'b' overlap"],
    ['overlapping tensors listed in reverse', rawSafetensors({ b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] }, a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(12)), "tensors 'a' and 'b' overlap"],
    ['a tensor overlapping the last of three', rawSafetensors({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] }, c: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, new Uint8Array(12)), "tensors 'b' and 'c' overlap"],
    ['metadata that is not strings', rawSafetensors({ __metadata__: { a: 1 } }), '__metadata__.a is not a string'],
    ['only the length field, of an empty header', new Uint8Array(8), /^the header is not UTF-8 JSON \(.+\)$/],
    ['only the length field, claiming 2 bytes', Uint8Array.of(2, 0, 0, 0, 0, 0, 0, 0), 'the header claims 2 bytes but the file has 0 after the length field'],
    ['a header length of exactly the limit, past the end', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 16n * 1024n * 1024n, true); return b; })(), 'the header claims 16777216 bytes but the file has 8 after the length field'],
    ['a header length one over the limit', (() => { const b = new Uint8Array(16); new DataView(b.buffer).setBigUint64(0, 16n * 1024n * 1024n + 1n, true); return b; })(), 'the header claims 16777217 bytes, over the 16777216-byte limit'],
    ['a dtype that is a list', rawSafetensors({ a: { dtype: ['F32'], shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)), 'tensor \'a\' has dtype ["F32"]; xcnn reads F32 (and converts F16, BF16, F64, I64)'],
    ['offsets not at the start that disagree with the shape', rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [4, 8] } }, new Uint8Array(8)), "tensor 'a' of shape [2] F32 needs 8 bytes, its offsets span 4"],
    ['more metadata entries than a model has', rawSafetensors({ __metadata__: Object.fromEntries(Array.from({ length: 1025 }, (_, k) => [`k${k}`, 'v'])) }), '__metadata__ has 1025 entries, more than the 1024 a model file can have'],
  ];

  for (const [what, bytes, problem] of broken) {
    it(`refuses ${what}, naming the file and the problem`, () => {
      let error: unknown;
      try {
        decodeSafetensors(bytes, 'model.safetensors');
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(XcnnError);
      const prefix = 'model.safetensors: not a valid safetensors file: ';
      const message = (error as Error).message;
      expect(message.startsWith(prefix), message).toBe(true);
      if (typeof problem === 'string') expect(message.slice(prefix.length)).toBe(problem);
      else expect(message.slice(prefix.length)).toMatch(problem);
    });
  }

  it('reads what sits exactly at the limits: 1024 metadata entries, a header as long as the file allows, empty and adjacent tensors', () => {
    const metadata = Object.fromEntries(Array.from({ length: 1024 }, (_, k) => [`k${k}`, `v${k}`]));
    expect(Object.keys(decodeSafetensors(rawSafetensors({ __metadata__: metadata }), 'f').metadata)).toHaveLength(1024);
    const bytes = rawSafetensors({ e: { dtype: 'F32', shape: [0], data_offsets: [4, 4] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1, 1], data_offsets: [4, 8] } }, new Uint8Array(Float32Array.of(2, 3).buffer));
    const file = decodeSafetensors(bytes, 'f');
    expect([...file.tensors.keys()]).toEqual(['e', 'a', 'b']);
    expect([file.tensors.get('e')!.data.length, file.tensors.get('a')!.data[0], file.tensors.get('b')!.data[0]]).toEqual([0, 2, 3]);
    expect(file.tensors.get('b')!.shape).toEqual([1, 1]);
    expect(decodeSafetensors(rawSafetensors({}), 'f').tensors.size).toBe(0); // the header ends the file: no data
  });

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

/**
 * IEEE 754 binary16 (F16: 1 sign, 5 exponent, 10 fraction bits) to float32 by moving bits, not by arithmetic:
 * rebias the exponent (15 → 127) and widen the fraction (10 → 23 bits); a subnormal half is shifted until its
 * leading 1 becomes the implicit bit; exponent 31 (infinity, NaN) becomes 255. A second implementation to check
 * the reader's arithmetic one against.
 */
function halfBitsToFloat(h: number): number {
  const sign = (h >>> 15) << 31;
  let exponent = (h >>> 10) & 0x1f;
  let fraction = h & 0x3ff;
  let bits: number;
  if (exponent === 0x1f) bits = sign | (0xff << 23) | (fraction << 13);
  else if (exponent === 0 && fraction === 0) bits = sign;
  else {
    if (exponent === 0) {
      // subnormal: 0.fraction × 2^−14; normalise so the leading 1 is implicit
      exponent = 1;
      while ((fraction & 0x400) === 0) {
        fraction <<= 1;
        exponent -= 1;
      }
      fraction &= 0x3ff;
    }
    bits = sign | ((exponent - 15 + 127) << 23) | (fraction << 13);
  }
  return new Float32Array(Uint32Array.of(bits >>> 0).buffer)[0];
}

/** bfloat16 (1 sign, 8 exponent, 7 fraction bits) by arithmetic: (−1)^s · 2^(e−127) · (1 + f/128), or 2^−126 · f/128. */
function bfloat16ByArithmetic(b: number): number {
  const sign = b & 0x8000 ? -1 : 1;
  const exponent = (b >>> 7) & 0xff;
  const fraction = b & 0x7f;
  if (exponent === 0xff) return fraction === 0 ? sign * Infinity : NaN;
  if (exponent === 0) return sign * 2 ** -126 * (fraction / 128);
  return sign * 2 ** (exponent - 127) * (1 + fraction / 128);
}

/** A file of the given [name, dtype, element size, raw little-endian bytes] tensors, one after another. */
function fileOf(tensors: Array<[string, string, number, Uint8Array]>): Uint8Array {
  const header: Record<string, unknown> = {};
  let at = 0;
  for (const [name, dtype, size, bytes] of tensors) {
    header[name] = { dtype, shape: [bytes.length / size], data_offsets: [at, at + bytes.length] };
    at += bytes.length;
  }
  const data = new Uint8Array(at);
  let offset = 0;
  for (const [, , , bytes] of tensors) {
    data.set(bytes, offset);
    offset += bytes.length;
  }
  return rawSafetensors(header, data);
}

const uint16Bytes = (values: number[]) => new Uint8Array(Uint16Array.from(values).buffer); // little-endian, as x86 and ARM
const everyUint16 = Array.from({ length: 65536 }, (_, k) => k);

describe('safetensors: reading F16, BF16, F64 and I64 tensors', () => {
  // Each tensor sits after another one, so an element read from the wrong offset shows.
  const file = decodeSafetensors(
    fileOf([
      ['f32', 'F32', 4, new Uint8Array(Float32Array.of(7, -7, 0.5).buffer)],
      ['f16', 'F16', 2, uint16Bytes(everyUint16)],
      ['bf16', 'BF16', 2, uint16Bytes(everyUint16)],
      ['f64', 'F64', 8, new Uint8Array(Float64Array.of(0.1, -2.5, 1e300, -1e-50, 3).buffer)],
      ['i64', 'I64', 8, new Uint8Array(BigInt64Array.of(0n, 1n, -1n, 7n, 2n ** 40n, -(2n ** 31n)).buffer)],
    ]),
    'f',
  );
  const tensor = (name: string) => file.tensors.get(name)!;
  /** Equal as float32, −0 apart from +0 and NaN equal to NaN. */
  const sameFloat = (a: number, b: number) => Object.is(Math.fround(a), Math.fround(b));

  it('decodes all 65,536 F16 bit patterns as the bitwise decoder does, element by element', () => {
    expect(tensor('f16').dtype).toBe('F16');
    expect(tensor('f16').shape).toEqual([65536]);
    const wrong = everyUint16.filter((h) => !sameFloat(tensor('f16').data[h], halfBitsToFloat(h)));
    expect(wrong.map((h) => `0x${h.toString(16)}`).slice(0, 5)).toEqual([]);
  });

  it('decodes the F16 values everyone knows', () => {
    const known: Array<[number, number]> = [
      [0x0000, 0],
      [0x8000, -0],
      [0x3c00, 1],
      [0xc000, -2],
      [0x3555, 0.333251953125], // 1/3 rounded: 1.0101010101₂ × 2^−2
      [0x3e00, 1.5],
      [0xbc01, -1.0009765625], // −(1 + 2^−10)
      [0x7bff, 65504], // the largest half
      [0x0400, 2 ** -14], // the smallest normal
      [0x03ff, 1023 * 2 ** -24], // the largest subnormal
      [0x0001, 2 ** -24], // the smallest subnormal
      [0x8001, -(2 ** -24)],
      [0x0200, 2 ** -15],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    for (const [h, value] of known) expect(tensor('f16').data[h], `0x${h.toString(16)}`).toBe(value);
    for (const h of [0x7c01, 0x7e00, 0xfe00, 0x7fff]) expect(tensor('f16').data[h], `0x${h.toString(16)}`).toBeNaN();
  });

  it('decodes all 65,536 BF16 bit patterns as (−1)^s · 2^(e−127) · (1 + f/128) says', () => {
    expect(tensor('bf16').dtype).toBe('BF16');
    const wrong = everyUint16.filter((b) => !sameFloat(tensor('bf16').data[b], bfloat16ByArithmetic(b)));
    expect(wrong.map((b) => `0x${b.toString(16)}`).slice(0, 5)).toEqual([]);
    const known: Array<[number, number]> = [
      [0x3f80, 1],
      [0xc040, -3],
      [0x3e80, 0.25],
      [0x4049, 3.140625],
      [0x8000, -0],
      [0x0001, 2 ** -133], // the smallest subnormal
      [0x7f80, Infinity],
      [0xff80, -Infinity],
    ];
    for (const [b, value] of known) expect(tensor('bf16').data[b], `0x${b.toString(16)}`).toBe(value);
    expect(tensor('bf16').data[0x7fc0]).toBeNaN();
  });

  it('converts F64 and I64 elements to the nearest float32, and leaves F32 as it is', () => {
    expect(Array.from(tensor('f32').data)).toEqual([7, -7, 0.5]);
    expect(tensor('f32').dtype).toBe('F32');
    expect(Array.from(tensor('f64').data)).toEqual([Math.fround(0.1), -2.5, Infinity, -0, 3]);
    expect(tensor('f64').dtype).toBe('F64');
    expect(Array.from(tensor('i64').data)).toEqual([0, 1, -1, 7, 2 ** 40, -(2 ** 31)]);
    expect(tensor('i64').dtype).toBe('I64');
  });
});

describe('safetensors: writing', () => {
  it('writes I64 tensors as little-endian int64 and F32 ones as float32, at the offsets the header gives', () => {
    const bytes = encodeSafetensors([
      { name: 'a', shape: [3], data: Float32Array.of(1.5, -2, 0.25) },
      { name: 'count', shape: [4], data: Float32Array.of(0, 3, -2, 2 ** 31), dtype: 'I64' },
      { name: 'b', shape: [2], data: Float32Array.of(9, 10) },
    ]);
    const view = new DataView(bytes.buffer);
    const headerLength = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
    expect(header).toEqual({
      a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] },
      count: { dtype: 'I64', shape: [4], data_offsets: [12, 44] },
      b: { dtype: 'F32', shape: [2], data_offsets: [44, 52] },
    });
    const data = 8 + headerLength;
    expect(bytes.length).toBe(data + 52);
    expect([0, 1, 2].map((k) => view.getFloat32(data + 4 * k, true))).toEqual([1.5, -2, 0.25]);
    expect([0, 1, 2, 3].map((k) => view.getBigInt64(data + 12 + 8 * k, true))).toEqual([0n, 3n, -2n, 2n ** 31n]);
    expect([0, 1].map((k) => view.getFloat32(data + 44 + 4 * k, true))).toEqual([9, 10]);
    expect(Object.keys(decodeSafetensors(bytes, 'f').metadata)).toEqual([]); // no metadata: no __metadata__ entry
    expect(header.__metadata__).toBeUndefined();
  });

  it('pads the header with spaces to a multiple of 8 bytes, and no more', () => {
    for (let length = 1; length <= 16; length++) {
      const bytes = encodeSafetensors([{ name: 'x'.repeat(length), shape: [1], data: Float32Array.of(1) }]);
      const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
      const json = JSON.stringify({ ['x'.repeat(length)]: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } });
      expect(headerLength - json.length).toBe((8 - ((8 + json.length) % 8)) % 8);
      expect(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))).toBe(json + ' '.repeat(headerLength - json.length));
    }
  });

  it('refuses to write a tensor named __metadata__, and writes an explicit F32 as F32', () => {
    expect(() => encodeSafetensors([{ name: '__metadata__', shape: [1], data: Float32Array.of(1) }])).toThrow(
      new XcnnError("safetensors: the tensor name '__metadata__' is used twice (or is __metadata__); names must be unique", { exitCode: 2, code: 'ERR_BAD_ARGUMENT' }),
    );
    const file = decodeSafetensors(encodeSafetensors([{ name: 'w', shape: [2], data: Float32Array.of(1, 2), dtype: 'F32' }]), 'f');
    expect([file.tensors.get('w')!.dtype, ...file.tensors.get('w')!.data]).toEqual(['F32', 1, 2]);
  });

  it('refuses to write a dtype it does not write', () => {
    expect(() => encodeSafetensors([{ name: 'h', shape: [1], data: Float32Array.of(1), dtype: 'F16' }])).toThrow(
      new XcnnError("safetensors: xcnn writes F32 and I64 tensors, not F16 ('h')", { exitCode: 2, code: 'ERR_BAD_ARGUMENT' }),
    );
  });
});
