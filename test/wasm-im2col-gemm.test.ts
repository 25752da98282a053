/**
 * The convolution's GEMM with its B operand packed straight from the image (gemmIm2col) is gemm on the
 * materialised im2col matrix, bit for bit — forward (op(B) = columns) and weight gradient (op(B) =
 * columnsᵀ), and with the columns as A (gemmIm2colA) — over random image shapes: widths whose output rows are shorter than a 4-position group
 * (OW = 1, 2: the scalar path), rows that end inside a group (the two-load select), K-blocks (C·K·K or
 * OH·OW above the GEMM's KC = 256) and partial slivers; and over a group of images, whose columns lie side by side
 * (four positions that run off one image's last row into the next image's first). The columns here are built by the
 * definition columns[(c·K + p)·K + q, g·OH·OW + i·OW + j] = image g[c, i+p, j+q], independently of assembly/im2col.ts.
 */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { convOutputSize } from '../src/backend/backend.js';
import { Random } from '../src/random.js';
import { EXACT, expectParity } from './parity.js';
import { columnsByDefinition } from './fixtures/im2col-by-definition.js';
import { randomFloats, wasm } from './wasm-fixtures.js';

interface ImageCase {
  channels: number;
  height: number;
  width: number;
  kernelSize: number;
  rows: number; // M: output channels (forward) or output channels of the weight gradient
  accumulate: boolean;
  seed: number;
  images?: number; // G, the images side by side (1 when absent)
}

const imageCases: fc.Arbitrary<ImageCase> = fc
  .record({
    channels: fc.integer({ min: 1, max: 32 }),
    kernelSize: fc.integer({ min: 1, max: 4 }),
    extraHeight: fc.integer({ min: 0, max: 20 }),
    extraWidth: fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 30 })),
    rows: fc.integer({ min: 1, max: 12 }),
    accumulate: fc.boolean(),
    seed: fc.integer(),
  })
  .map(({ extraHeight, extraWidth, ...c }) => ({ ...c, height: c.kernelSize + extraHeight, width: c.kernelSize + extraWidth }));

/** columns [C·K·K, G·OH·OW] of the G images [G,C,H,W] at `image`, by the definition (G = c.images, 1 when absent). */
function im2colByDefinition(image: Float32Array, c: ImageCase): Float32Array {
  return columnsByDefinition(wasm, image, c.images ?? 1, c.channels, c.height, c.width, c.kernelSize);
}

function checkBothWays(c: ImageCase, transB: boolean): void {
  const random = new Random(c.seed);
  const { channels, height, width, kernelSize, images = 1 } = c;
  const patch = channels * kernelSize ** 2;
  const positions = images * convOutputSize(height, kernelSize) * convOutputSize(width, kernelSize);
  const [K, N] = transB ? [positions, patch] : [patch, positions];
  const image = randomFloats(images * channels * height * width, random);
  const A = randomFloats(c.rows * K, random);
  const start = randomFloats(c.rows * N, random);
  const packed = wasm.allocFloats(c.rows * N);
  const materialised = wasm.allocFloats(c.rows * N);
  packed.set(start);
  materialised.set(start);
  const columns = im2colByDefinition(image, c);
  wasm.gemmIm2col(false, transB, c.rows, A, K, image, { channels, height, width, kernelSize, images }, packed, N, c.accumulate);
  wasm.gemm(false, transB, c.rows, N, K, A, K, columns, positions, materialised, N, c.accumulate);
  expectParity(`gemmIm2col, ${images} image(s), ${transB ? 'columnsᵀ' : 'columns'}`, packed, materialised, EXACT);
}

/** gemmIm2colA (A = columns [C·K·K, OH·OW]) against gemm on the materialised columns, with op(B) = B or Bᵀ. */
function checkColumnsAsA(c: ImageCase, transB: boolean): void {
  const random = new Random(c.seed);
  const { channels, height, width, kernelSize } = c;
  const M = channels * kernelSize ** 2;
  const K = convOutputSize(height, kernelSize) * convOutputSize(width, kernelSize);
  const N = c.rows;
  const image = randomFloats(channels * height * width, random);
  const B = randomFloats(K * N, random);
  const start = randomFloats(M * N, random);
  const [packed, materialised] = [wasm.allocFloats(M * N), wasm.allocFloats(M * N)];
  packed.set(start);
  materialised.set(start);
  const ldb = transB ? K : N;
  wasm.gemmIm2colA(transB, N, image, { channels, height, width, kernelSize }, B, ldb, packed, N, c.accumulate);
  wasm.gemm(false, transB, M, N, K, im2colByDefinition(image, c), K, B, ldb, materialised, N, c.accumulate);
  expectParity('gemmIm2colA', packed, materialised, EXACT);
}

describe('gemmIm2col (wasm): the im2col matrix packed straight into the GEMM panel', () => {
  it('as A (a narrow convolution\'s weight gradient, transposed), is gemm on the materialised columns, bit for bit', () => {
    fc.assert(fc.property(imageCases, fc.boolean(), (c, transB) => checkColumnsAsA(c, transB)), { numRuns: 150 });
    checkColumnsAsA({ channels: 1, height: 28, width: 28, kernelSize: 3, rows: 32, accumulate: true, seed: 3 }, true); // conv1
  });

  it('is gemm on the materialised columns, bit for bit (forward: op(B) = columns)', () => {
    fc.assert(fc.property(imageCases, (c) => checkBothWays(c, false)), { numRuns: 150 });
  });

  it('is gemm on the materialised columns, bit for bit (weight gradient: op(B) = columnsᵀ)', () => {
    fc.assert(fc.property(imageCases, (c) => checkBothWays(c, true)), { numRuns: 150 });
  });

  it('over a group of images (their columns side by side) is gemm on the materialised columns, bit for bit, both ways', () => {
    const groups = fc.record({ c: imageCases, images: fc.integer({ min: 2, max: 5 }), transB: fc.boolean() });
    fc.assert(fc.property(groups, ({ c, images, transB }) => checkBothWays({ ...c, images }, transB)), { numRuns: 200 });
    // the modern preset's 7×7 conv4 (its phase blocks read as a stride-1 image here): four positions cross images often
    for (const transB of [false, true]) checkBothWays({ channels: 4, height: 9, width: 9, kernelSize: 3, rows: 7, accumulate: transB, seed: 5, images: 10 }, transB);
  });

  it("is exact on the network's shapes and on an output wider than one GEMM column block (N > 2048)", () => {
    const shapes = [
      { channels: 1, height: 28, width: 28, kernelSize: 3, rows: 32 }, // conv1
      { channels: 32, height: 13, width: 13, kernelSize: 3, rows: 64 }, // conv2
      { channels: 1, height: 50, width: 50, kernelSize: 3, rows: 5 }, // 48·48 = 2304 positions
    ];
    for (const s of shapes) {
      for (const transB of [false, true]) checkBothWays({ ...s, accumulate: transB, seed: 7 }, transB);
    }
  });
});
