/**
 * F(4×4, 3×3)'s kernel transforms (assembly/winograd-4x4.ts), which run two kernels at a time in the lanes of an
 * f64x2: U = G g Gᵀ of every kernel (winograd4Kernels), and its adjoint dWeight += Gᵀ dU G (winograd4KernelGradient).
 * Each is specified one kernel at a time, in float64, by the rows of G and Gᵀ in the file's header,
 *   G g, row by row: x0/4, −(x0 + x1 + x2)/6, −(x0 − x1 + x2)/6, x0/24 + x1/12 + x2/6, x0/24 − x1/12 + x2/6, x2
 *   Gᵀ x, row by row: x0/4 − (x1 + x2)/6 + (x3 + x4)/24, (x2 − x1)/6 + (x3 − x4)/12, (x3 + x4)/6 − (x1 + x2)/6 + x5
 * each value rounded once to float32 (and the gradient's added to dWeight in float32). JavaScript's numbers are
 * float64, so the specification below, written from those rows, must agree with the kernels bit for bit — for any
 * F and C (an odd F pairs its last kernel with itself), and for values of every magnitude, subnormal included.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { KernelExports } from '../src/backend/wasm/kernels.js';

const backend = await createWasmBackend();
const kernels = (backend as unknown as { kernels: KernelExports }).kernels;

const G = (x0: number, x1: number, x2: number): number[] => [x0 / 4, -(x0 + x1 + x2) / 6, -(x0 - x1 + x2) / 6, x0 / 24 + x1 / 12 + x2 / 6, x0 / 24 - x1 / 12 + x2 / 6, x2];
const Gt = (x: number[]): number[] => [x[0] / 4 - (x[1] + x[2]) / 6 + (x[3] + x[4]) / 24, (x[2] - x[1]) / 6 + (x[3] - x[4]) / 12, (x[3] + x[4]) / 6 - (x[1] + x[2]) / 6 + x[5]];

/** U [36, C, F] of weight [F, C, 3, 3], one kernel at a time. */
function transformed(weight: Float32Array, F: number, C: number): Float32Array {
  const u = new Float32Array(36 * C * F);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const g = (p: number, q: number) => weight[(f * C + c) * 9 + p * 3 + q];
      const columns = [0, 1, 2].map((q) => G(g(0, q), g(1, q), g(2, q))); // columns[q][i] = (G g)[i][q]
      for (let i = 0; i < 6; i++) G(columns[0][i], columns[1][i], columns[2][i]).forEach((value, j) => (u[((6 * i + j) * C + c) * F + f] = value));
    }
  }
  return u;
}

/** dWeight + Gᵀ dU G, dU [36, C, F], one kernel at a time. */
function folded(du: Float32Array, dWeight: Float32Array, F: number, C: number): Float32Array {
  const out = Float32Array.from(dWeight);
  for (let f = 0; f < F; f++) {
    for (let c = 0; c < C; c++) {
      const d = (i: number, j: number) => du[((6 * i + j) * C + c) * F + f];
      const columns = [0, 1, 2, 3, 4, 5].map((j) => Gt([0, 1, 2, 3, 4, 5].map((i) => d(i, j)))); // columns[j][p] = (Gᵀ dU)[p][j]
      for (let p = 0; p < 3; p++) {
        Gt(columns.map((column) => column[p])).forEach((value, q) => {
          const at = (f * C + c) * 9 + p * 3 + q;
          out[at] = Math.fround(out[at] + Math.fround(value));
        });
      }
    }
  }
  return out;
}

/** Floats of every magnitude: ordinary, tiny (subnormal in float32), huge, and mixed, with some zeros. */
const values = (length: number) =>
  fc.array(fc.oneof(fc.float({ min: -4, max: 4, noNaN: true }), fc.float({ min: Math.fround(-1e-39), max: Math.fround(1e-39), noNaN: true }), fc.float({ min: Math.fround(-1e30), max: Math.fround(1e30), noNaN: true }), fc.constant(0)), { minLength: length, maxLength: length }).map((v) => Float32Array.from(v));

function onBackend(values: Float32Array): Float32Array {
  const array = backend.allocFloats(values.length);
  array.set(values);
  return array;
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));

describe("F(4×4)'s kernel transforms, two kernels at a time", () => {
  const sizes = fc.record({ F: fc.integer({ min: 1, max: 9 }), C: fc.integer({ min: 1, max: 5 }) });

  it('make U = G g Gᵀ of every kernel as one kernel at a time in float64 would, bit for bit', () => {
    fc.assert(
      fc.property(sizes.chain(({ F, C }) => fc.record({ F: fc.constant(F), C: fc.constant(C), weight: values(F * C * 9) })), ({ F, C, weight }) => {
        const u = backend.allocFloats(36 * C * F).fill(NaN);
        kernels.winograd4Kernels(onBackend(weight).byteOffset, F, C, u.byteOffset);
        expect(bits(u)).toEqual(bits(transformed(weight, F, C)));
      }),
      { numRuns: 60 },
    );
  });

  it('add Gᵀ dU G to every kernel\'s weight gradient as one kernel at a time would, bit for bit', () => {
    const cases = sizes.chain(({ F, C }) => fc.record({ F: fc.constant(F), C: fc.constant(C), du: values(36 * C * F), dWeight: values(F * C * 9) }));
    fc.assert(
      fc.property(cases, ({ F, C, du, dWeight }) => {
        const dw = onBackend(dWeight);
        kernels.winograd4KernelGradient(onBackend(du).byteOffset, F, C, dw.byteOffset);
        expect(bits(dw)).toEqual(bits(folded(du, dWeight, F, C)));
      }),
      { numRuns: 60 },
    );
  });

  it("leave what lies past the last kernel's values alone (an odd F writes its last kernel once)", () => {
    const [F, C] = [3, 2];
    const weight = Float32Array.from({ length: F * C * 9 }, (_, k) => (k % 7) - 3);
    const u = backend.allocFloats(36 * C * F + 4).fill(7);
    kernels.winograd4Kernels(onBackend(weight).byteOffset, F, C, u.byteOffset);
    expect(Array.from(u.subarray(36 * C * F))).toEqual([7, 7, 7, 7]);
    const dw = backend.allocFloats(F * C * 9 + 4).fill(1);
    kernels.winograd4KernelGradient(onBackend(transformed(weight, F, C)).byteOffset, F, C, dw.byteOffset);
    expect(Array.from(dw.subarray(F * C * 9))).toEqual([1, 1, 1, 1]);
    expect(bits(dw.subarray(0, F * C * 9))).toEqual(bits(folded(transformed(weight, F, C), new Float32Array(F * C * 9).fill(1), F, C)));
  });
});
