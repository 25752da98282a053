/**
 * The GEMM at the heart of the wasm backend, against a plain float64 triple loop written here, over
 * random sizes (1, 3, 5, 7 and others that are not multiples of the micro-tile: 4×8 in the plain build,
 * 5×8 in the relaxed one; XCNN_WASM_BUILD picks the build under test), row strides wider than the
 * matrices, all four transpose combinations, and accumulate on and off. The tolerance is the float32
 * summation bound of test/parity.ts with n = K products (+1 for the C being added to); nothing past C, nor
 * in the padding between its rows, is written. And, on both builds, a row of C does not depend on how many rows
 * there are: a last tile of fewer rows than the micro-tile's (run by a kernel of its own height) gives, bit for bit,
 * what the same rows give inside full tiles. A B packed once whole (packBWhole, for products that share it) gives
 * gemmPackedB, on both builds, bit for bit what gemm gives packing it each time, across every cache block.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { KernelExports } from '../src/backend/wasm/kernels.js';
import type { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { Random } from '../src/random.js';
import { expectParity, printMargins, sumTolerance } from './parity.js';
import { randomFloats, wasm } from './wasm-fixtures.js';
import { bothBuilds, randomFloatsIn } from './fixtures/both-builds.js';
import { fenced, SENTINEL, TAIL } from './fixtures/memory-fences.js';

interface GemmCase {
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  padA: number; // extra floats per row beyond the minimum row stride
  padB: number;
  padC: number;
  accumulate: boolean;
  seed: number;
}

// C (M×N) [+]= op(A)·op(B) in float64, and Σ|terms| per element for the tolerance.
function naiveGemm(c: GemmCase, A: Float32Array, lda: number, B: Float32Array, ldb: number, C0: Float32Array, ldc: number) {
  const product = new Float64Array(c.M * c.N);
  const magnitude = new Float64Array(c.M * c.N);
  for (let i = 0; i < c.M; i++) {
    for (let j = 0; j < c.N; j++) {
      let sum = c.accumulate ? C0[i * ldc + j] : 0;
      let abs = Math.abs(sum);
      for (let k = 0; k < c.K; k++) {
        const a = c.transA ? A[k * lda + i] : A[i * lda + k];
        const b = c.transB ? B[j * ldb + k] : B[k * ldb + j];
        sum += a * b;
        abs += Math.abs(a * b);
      }
      product[i * c.N + j] = sum;
      magnitude[i * c.N + j] = abs;
    }
  }
  return { product, magnitude };
}

function checkGemm(c: GemmCase): void {
  const random = new Random(c.seed);
  const lda = (c.transA ? c.M : c.K) + c.padA;
  const ldb = (c.transB ? c.K : c.N) + c.padB;
  const ldc = c.N + c.padC;
  const A = randomFloats((c.transA ? c.K : c.M) * lda, random);
  const B = randomFloats((c.transB ? c.N : c.K) * ldb, random);
  // C with a fence after it: nothing past its last row is written (an edge tile's rows below M are not stored)
  const fence = fenced(wasm, randomFloats(c.M * ldc, random));
  const C = fence.array;
  const C0 = C.slice();
  const expected = naiveGemm(c, A, lda, B, ldb, C0, ldc);

  wasm.gemm(c.transA, c.transB, c.M, c.N, c.K, A, lda, B, ldb, C, ldc, c.accumulate);

  const actual = new Float32Array(c.M * c.N);
  for (let i = 0; i < c.M; i++) {
    actual.set(C.subarray(i * ldc, i * ldc + c.N), i * c.N);
    // The padding between rows of C is never written.
    for (let j = c.N; j < ldc; j++) expect(C[i * ldc + j]).toBe(C0[i * ldc + j]);
  }
  expect(fence.tail(), 'past C').toEqual(new Array(TAIL).fill(SENTINEL));
  const name = `gemm ${c.transA ? 'T' : 'N'}${c.transB ? 'T' : 'N'}${c.accumulate ? ' +=' : ''}`;
  expectParity(name, actual, expected.product, sumTolerance(c.K + 1, expected.magnitude));
}

const size = fc.oneof(fc.constantFrom(1, 3, 5, 7), fc.integer({ min: 1, max: 40 }));
const gemmCase: fc.Arbitrary<GemmCase> = fc.record({
  transA: fc.boolean(),
  transB: fc.boolean(),
  M: size,
  N: size,
  K: size,
  padA: fc.integer({ min: 0, max: 3 }),
  padB: fc.integer({ min: 0, max: 3 }),
  padC: fc.integer({ min: 0, max: 3 }),
  accumulate: fc.boolean(),
  seed: fc.integer(),
});

const builds = await bothBuilds();

/**
 * The first M rows of op(A)·op(B) (+ C) with M rows, against the same rows of the product with `extra` more rows
 * of A after them (so that they lie in full tiles: M + extra a multiple of 20, both builds' tile heights): equal, bit
 * for bit.
 */
function checkRowsIndependentOfM(backend: WasmBackend, c: GemmCase, extra: number): void {
  const random = new Random(c.seed);
  const tall = c.M + extra;
  const [lda, ldb, ldc] = [c.transA ? tall : c.K, c.transB ? c.K : c.N, c.N];
  const floats = (length: number) => randomFloatsIn(backend, length, random);
  const A = floats((c.transA ? c.K : tall) * lda); // op(A) is tall × K; its first M rows are the short product's
  const B = floats((c.transB ? c.N : c.K) * ldb);
  const start = floats(tall * ldc);
  const [short, full] = [backend.allocFloats(c.M * ldc), backend.allocFloats(tall * ldc)];
  short.set(start.subarray(0, c.M * ldc));
  full.set(start);
  backend.gemm(c.transA, c.transB, c.M, c.N, c.K, A, lda, B, ldb, short, ldc, c.accumulate);
  backend.gemm(c.transA, c.transB, tall, c.N, c.K, A, lda, B, ldb, full, ldc, c.accumulate);
  expect([...short], `${backend.build}, M = ${c.M} against ${tall}`).toEqual([...full.subarray(0, c.M * ldc)]);
  for (const array of [A, B, start, short, full]) backend.free(array);
}

/**
 * B [K, N] packed once by packBWhole (into a fenced block of packedBFloats floats), then gemmPackedB: C bit for bit
 * gemm(transA, 0, …)'s from the same operands, and nothing written past the packed block.
 */
function checkPackedB(backend: WasmBackend, c: Omit<GemmCase, 'transB' | 'padB'>): void {
  const kernels = (backend as unknown as { kernels: KernelExports }).kernels;
  const random = new Random(c.seed);
  const [lda, ldb, ldc] = [(c.transA ? c.M : c.K) + c.padA, c.N, c.N + c.padC];
  const floats = (length: number) => randomFloatsIn(backend, length, random);
  const [A, B, start] = [floats((c.transA ? c.K : c.M) * lda), floats(c.K * ldb), floats(c.M * ldc)];
  const [packing, packed] = [backend.allocFloats(c.M * ldc), backend.allocFloats(c.M * ldc)];
  packing.set(start);
  packed.set(start);
  const panels = fenced(backend, new Float32Array(kernels.packedBFloats(c.K, c.N)));
  kernels.packBWhole(B.byteOffset, ldb, c.K, c.N, panels.array.byteOffset);
  expect(panels.tail(), `${backend.build}: nothing written past the packed B`).toEqual(new Array(TAIL).fill(SENTINEL));
  backend.gemm(c.transA, false, c.M, c.N, c.K, A, lda, B, ldb, packing, ldc, c.accumulate);
  kernels.gemmPackedB(c.transA ? 1 : 0, c.M, c.N, c.K, A.byteOffset, lda, panels.array.byteOffset, packed.byteOffset, ldc, c.accumulate ? 1 : 0);
  expect([...packed], `${backend.build}, ${JSON.stringify(c)}`).toEqual([...packing]);
  for (const array of [A, B, start, packing, packed, panels.array]) backend.free(array);
}

describe('gemmPackedB', () => {
  it('takes K · ⌈N/8⌉·8 floats of packed B: every K row of every 8-column sliver, the last padded', () => {
    const kernels = (builds[0][1] as unknown as { kernels: KernelExports }).kernels;
    expect([[1, 1], [3, 9], [32, 64], [260, 2053]].map(([K, N]) => kernels.packedBFloats(K, N))).toEqual([8, 48, 2048, 260 * 2056]);
  });

  it('gives, bit for bit, what gemm gives packing B each time (both builds)', () => {
    const cases = fc.record({ transA: fc.boolean(), M: size, N: size, K: size, padA: fc.integer({ min: 0, max: 3 }), padC: fc.integer({ min: 0, max: 3 }), accumulate: fc.boolean(), seed: fc.integer() });
    fc.assert(
      fc.property(cases, (c) => {
        for (const [, backend] of builds) checkPackedB(backend, c);
      }),
      { numRuns: 100 },
    );
  });

  it('reads every panel where it lies: across K blocks (KC = 256), N blocks (NC = 2048) and short K blocks (both builds)', () => {
    for (const { M, N, K } of [{ M: 7, N: 2053, K: 260 }, { M: 157, N: 11, K: 513 }, { M: 13, N: 29, K: 128 }, { M: 11, N: 2049, K: 3 }]) {
      for (const [, backend] of builds) checkPackedB(backend, { transA: M % 2 === 1, M, N, K, padA: 1, padC: 2, accumulate: K % 2 === 1, seed: M + N + K });
    }
  });
});

describe('gemm', () => {
  afterAll(printMargins);

  it('gives a last tile of 1 to 4 rows, bit for bit, what those rows give inside full tiles (both builds)', () => {
    const lastTiles = fc.record({
      transA: fc.boolean(),
      transB: fc.boolean(),
      M: fc.integer({ min: 1, max: 39 }).filter((M) => M % 4 !== 0 || M % 5 !== 0),
      N: fc.oneof(fc.constant(8), fc.integer({ min: 1, max: 30 })), // whole slivers (stored straight) and partial ones (through the edge tile)
      K: size,
      padA: fc.constant(0),
      padB: fc.constant(0),
      padC: fc.constant(0),
      accumulate: fc.boolean(),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(lastTiles, (c) => {
        for (const [, backend] of builds) checkRowsIndependentOfM(backend, c, 40 - c.M);
      }),
      { numRuns: 150 },
    );
  });

  it('matches the float64 product for every transpose combination and edge size', () => {
    fc.assert(fc.property(gemmCase, checkGemm), { numRuns: 300 });
  });

  it('matches across the cache blocks (K > KC = 256, M > MC = 128 plain or 150 relaxed, N > NC = 2048)', () => {
    const blockEdges = [
      { M: 130, N: 9, K: 260 }, // two M blocks (plain) × two K blocks
      { M: 157, N: 11, K: 261 }, // two M blocks (both builds, the second a partial sliver) × two K blocks
      { M: 5, N: 2053, K: 260 }, // two N blocks × two K blocks
      { M: 130, N: 2049, K: 3 }, // two M blocks × two N blocks
      // a K block of at most 128 walks C along its rows, a longer one down its columns (gemm.ts, SHORT_KC)
      { M: 13, N: 29, K: 128 },
      { M: 13, N: 29, K: 129 },
    ];
    for (const { M, N, K } of blockEdges) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          checkGemm({ transA, transB, M, N, K, padA: 1, padB: 0, padC: 2, accumulate: transA, seed: M + N + K });
        }
      }
    }
  });

  it('computes a hand-worked product', () => {
    // [[1,2],[3,4]] · [[5,6],[7,8]] = [[19,22],[43,50]]; accumulating adds it to what C holds.
    const A = wasm.allocFloats(4);
    const B = wasm.allocFloats(4);
    const C = wasm.allocFloats(4);
    A.set([1, 2, 3, 4]);
    B.set([5, 6, 7, 8]);
    wasm.gemm(false, false, 2, 2, 2, A, 2, B, 2, C, 2, false);
    expect([...C]).toEqual([19, 22, 43, 50]);
    wasm.gemm(false, false, 2, 2, 2, A, 2, B, 2, C, 2, true);
    expect([...C]).toEqual([38, 44, 86, 100]);
    // Aᵀ·B with A stored transposed: [[1,3],[2,4]]ᵀ = [[1,2],[3,4]].
    A.set([1, 3, 2, 4]);
    wasm.gemm(true, false, 2, 2, 2, A, 2, B, 2, C, 2, false);
    expect([...C]).toEqual([19, 22, 43, 50]);
  });
});
