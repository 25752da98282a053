/**
 * A convolution of few filters on a small map runs transposed (usesPositionRows): outᵀ [G·OH·OW, F] = columnsᵀ · Wᵀ
 * over a group of images, the columns packed straight from the images (gemmIm2colRows, assembly/im2col.ts
 * packIm2colRowsPanel), then moved into [G, F, OH·OW] with the bias and ReLU (scatterTransposed). What takes it; the
 * transposed GEMM against gemm on the columns written out by the definition, bit for bit, on both kernel builds, over
 * random shapes and groups (positions that run off a row or an image inside a sliver, partial slivers, K blocks); the
 * move on its own against its definition, any channel count; and whole convolutions, batches of several groups,
 * against W · columns + b (ReLU) in float32 by the plain GEMM, bit for bit, and the float64 reference within the
 * summation bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape } from '../src/backend/backend.js';
import { convGeometry, convOutputSize } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { KernelExports } from '../src/backend/wasm/kernels.js';
import { usesPositionRows } from '../src/backend/wasm/wasm-backend.js';
import { Random } from '../src/random.js';
import { bothBuilds, randomFloatsIn } from './fixtures/both-builds.js';
import { columnsByDefinition, paddedByDefinition } from './fixtures/im2col-by-definition.js';
import { expectParity, sumTolerance } from './parity.js';

const builds = await bothBuilds();
const reference = new ReferenceBackend({ precision: 'float64' });

describe('usesPositionRows', () => {
  it('takes stride-1 convolutions of 8 or 16 filters on maps of at most 128 positions that neither Winograd nor the direct kernel takes', () => {
    const lenetConv2: Conv2dShape = { batch: 64, inChannels: 6, height: 14, width: 14, outChannels: 16, kernelSize: 5 };
    expect(usesPositionRows(lenetConv2)).toBe(true); // 10×10
    expect(usesPositionRows({ ...lenetConv2, outChannels: 8 })).toBe(true);
    expect(usesPositionRows({ ...lenetConv2, outChannels: 12 })).toBe(false); // a partial sliver of filters
    expect(usesPositionRows({ ...lenetConv2, outChannels: 32 })).toBe(false);
    expect(usesPositionRows({ ...lenetConv2, height: 15, width: 15 })).toBe(true); // 121 positions
    expect(usesPositionRows({ ...lenetConv2, height: 20, width: 12 })).toBe(true); // 16×8 = 128, the most
    expect(usesPositionRows({ ...lenetConv2, height: 21, width: 12 })).toBe(false); // 17×8 = 136
    expect(usesPositionRows({ ...lenetConv2, height: 16, width: 16 })).toBe(false); // 144
    expect(usesPositionRows({ ...lenetConv2, stride: 2 })).toBe(false);
    expect(usesPositionRows({ ...lenetConv2, inChannels: 8, kernelSize: 3 })).toBe(false); // Winograd's
    expect(usesPositionRows({ ...lenetConv2, inChannels: 1, height: 12, width: 12 })).toBe(false); // the direct kernel's: 25 taps, 8 wide
  });
});

describe('gemmIm2colRows (wasm): the transposed columns of a group of images packed straight into the A panel', () => {
  const cases = fc.record({
    channels: fc.integer({ min: 1, max: 12 }),
    kernelSize: fc.integer({ min: 1, max: 5 }),
    extraHeight: fc.integer({ min: 0, max: 9 }),
    extraWidth: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 14 })),
    images: fc.integer({ min: 1, max: 4 }),
    N: fc.oneof(fc.constantFrom(8, 16), fc.integer({ min: 1, max: 20 })),
    transB: fc.boolean(),
    accumulate: fc.boolean(),
    seed: fc.integer(),
  });

  it('is gemm on the materialised columns (op(A) = columnsᵀ), bit for bit, on both builds', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const [H, W, K, C, G] = [c.kernelSize + c.extraHeight, c.kernelSize + c.extraWidth, c.kernelSize, c.channels, c.images];
        const M = G * convOutputSize(H, K) * convOutputSize(W, K);
        const patch = C * K * K;
        for (const [build, backend] of builds) {
          const random = new Random(c.seed);
          const images = randomFloatsIn(backend, G * C * H * W, random);
          const B = randomFloatsIn(backend, patch * c.N, random);
          const start = randomFloatsIn(backend, M * c.N, random);
          const [packed, materialised] = [backend.allocFloats(M * c.N), backend.allocFloats(M * c.N)];
          packed.set(start);
          materialised.set(start);
          const ldb = c.transB ? patch : c.N;
          backend.gemmIm2colRows(c.transB, c.N, images, { channels: C, height: H, width: W, kernelSize: K, images: G }, B, ldb, packed, c.N, c.accumulate);
          const columns = columnsByDefinition(backend, images, G, C, H, W, K);
          backend.gemm(true, c.transB, M, c.N, patch, columns, M, B, ldb, materialised, c.N, c.accumulate);
          expect([...packed], `${build}: ${G} image(s) ${C}×${H}×${W}, K ${K}`).toEqual([...materialised]);
          for (const array of [images, B, start, packed, materialised, columns]) backend.free(array);
        }
      }),
      { numRuns: 120 },
    );
  });

  it('is exact over more taps than one K block (C·K·K > 256) and more positions than one M block', () => {
    for (const [, backend] of builds) {
      const random = new Random(3);
      const [C, H, W, K, G, N] = [12, 9, 11, 5, 9, 16]; // 300 taps; 9 images of 35 positions
      const images = randomFloatsIn(backend, G * C * H * W, random);
      const B = randomFloatsIn(backend, N * C * K * K, random);
      const M = G * 5 * 7;
      const [packed, materialised] = [backend.allocFloats(M * N), backend.allocFloats(M * N)];
      backend.gemmIm2colRows(true, N, images, { channels: C, height: H, width: W, kernelSize: K, images: G }, B, C * K * K, packed, N, false);
      backend.gemm(true, true, M, N, C * K * K, columnsByDefinition(backend, images, G, C, H, W, K), M, B, C * K * K, materialised, N, false);
      expect([...packed]).toEqual([...materialised]);
    }
  });
});

describe('scatterTransposed (wasm): productᵀ [G·P, F] into [G, F, P] with the bias and ReLU', () => {
  it('is its definition, y = x + b then max(y, 0), for any image, channel and position count', () => {
    const sizes = fc.record({ images: fc.integer({ min: 1, max: 3 }), channels: fc.integer({ min: 1, max: 11 }), positions: fc.integer({ min: 1, max: 13 }), relu: fc.boolean(), seed: fc.integer() });
    fc.assert(
      fc.property(sizes, ({ images: G, channels: F, positions: P, relu, seed }) => {
        const backend = builds[1][1];
        const kernels = (backend as unknown as { kernels: KernelExports }).kernels;
        const random = new Random(seed);
        const product = randomFloatsIn(backend, G * P * F, random);
        const bias = randomFloatsIn(backend, F, random);
        const output = backend.allocFloats(G * F * P + 4); // one fenced float past the end
        output.fill(7);
        kernels.scatterTransposed(product.byteOffset, G, F, P, bias.byteOffset, relu ? 1 : 0, output.byteOffset);
        const expected = new Float32Array(G * F * P);
        for (let g = 0; g < G; g++)
          for (let f = 0; f < F; f++)
            for (let p = 0; p < P; p++) {
              const y = Math.fround(product[(g * P + p) * F + f] + bias[f]);
              expected[(g * F + f) * P + p] = relu ? (y > 0 ? y : 0) : y;
            }
        expect([...output.subarray(0, G * F * P)]).toEqual([...expected]);
        expect([...output.subarray(G * F * P)]).toEqual([7, 7, 7, 7]);
      }),
      { numRuns: 150 },
    );
  });
});

describe('a convolution of few filters on a small map (the transposed path)', () => {
  const shapes: fc.Arbitrary<Conv2dShape & { relu: boolean; seed: number }> = fc
    .record({
      batch: fc.integer({ min: 1, max: 25 }),
      inChannels: fc.integer({ min: 3, max: 7 }), // 48 taps or more: not the direct kernel's
      outChannels: fc.constantFrom(8, 16),
      kernelSize: fc.integer({ min: 4, max: 5 }),
      padding: fc.integer({ min: 0, max: 2 }),
      outHeight: fc.integer({ min: 1, max: 11 }),
      outWidth: fc.integer({ min: 1, max: 11 }),
      relu: fc.boolean(),
      seed: fc.integer(),
    })
    .filter((r) => r.outHeight - 1 + r.kernelSize > 2 * r.padding && r.outWidth - 1 + r.kernelSize > 2 * r.padding)
    .map(({ outHeight, outWidth, ...r }) => ({ ...r, height: outHeight - 1 + r.kernelSize - 2 * r.padding, width: outWidth - 1 + r.kernelSize - 2 * r.padding }));

  it('is W · columns + b (ReLU) by the plain GEMM, bit for bit, and the float64 reference within the bound, on both builds', () => {
    fc.assert(
      fc.property(shapes, ({ relu, seed, ...s }) => {
        expect(usesPositionRows(s)).toBe(true);
        const { outHeight: OH, outWidth: OW, padding: P } = convGeometry(s);
        const { batch: N, inChannels: C, outChannels: F, kernelSize: K } = s;
        const [Hp, Wp] = [s.height + 2 * P, s.width + 2 * P];
        for (const [build, backend] of builds) {
          const random = new Random(seed);
          const input = randomFloatsIn(backend, N * C * s.height * s.width, random);
          const weight = randomFloatsIn(backend, F * C * K * K, random);
          const bias = randomFloatsIn(backend, F, random);
          const output = backend.allocFloats(N * F * OH * OW);
          if (relu) backend.conv2dReluForward!(s, input, weight, bias, output);
          else backend.conv2dForward(s, input, weight, bias, output);
          // the zero-padded images, their columns side by side, W · columns by the plain GEMM, + b, ReLU
          const padded = paddedByDefinition(backend, input, s, P);
          const columns = columnsByDefinition(backend, padded, N, C, Hp, Wp, K);
          const product = backend.allocFloats(F * N * OH * OW);
          backend.gemm(false, false, F, N * OH * OW, C * K * K, weight, C * K * K, columns, N * OH * OW, product, N * OH * OW, false);
          const expected = new Float32Array(N * F * OH * OW);
          for (let n = 0; n < N; n++)
            for (let f = 0; f < F; f++)
              for (let p = 0; p < OH * OW; p++) {
                const y = Math.fround(product[f * N * OH * OW + n * OH * OW + p] + bias[f]);
                expected[(n * F + f) * OH * OW + p] = relu ? (y > 0 ? y : 0) : y;
              }
          expect([...output], build).toEqual([...expected]);
          const exact = new Float64Array(N * F * OH * OW);
          reference.conv2dForward(s, Float64Array.from(input), Float64Array.from(weight), Float64Array.from(bias), exact);
          const magnitude = new Float64Array(N * F * OH * OW);
          reference.conv2dForward(s, Float64Array.from(input, Math.abs), Float64Array.from(weight, Math.abs), Float64Array.from(bias, Math.abs), magnitude);
          if (relu) for (let k = 0; k < exact.length; k++) exact[k] = Math.max(exact[k], 0);
          expectParity(`${build} transposed conv`, output, exact, sumTolerance(C * K * K + 1, magnitude));
          for (const array of [input, weight, bias, output, padded, columns, product]) backend.free(array);
        }
      }),
      { numRuns: 60 },
    );
  });
});
