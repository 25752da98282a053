/**
 * The direct forward convolution (assembly/direct-convolution.ts): a first layer's few taps, stride 1, straight
 * from the image. What it takes (usesDirectConvolution); a worked example in small integers, exact in float32, on
 * each way a row can end; and, on both kernel builds, over random shapes it takes, the same output bit for bit as
 * the GEMM path it replaces (gemmIm2col on the zero-padded image, then the bias and ReLU in float32), within the
 * summation bound of the float64 reference, and nothing written past the output.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { KernelExports } from '../src/backend/wasm/kernels.js';
import { usesDirectConvolution, type WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { Random } from '../src/random.js';
import { directConvShapes } from './fixtures/conv-shapes.js';
import { bothBuilds } from './fixtures/both-builds.js';
import { fenced, SENTINEL, TAIL } from './fixtures/memory-fences.js';
import { convolutionByDefinition, smallIntegerOperands } from './fixtures/small-integer-convolution.js';
import { expectParity, sumTolerance } from './parity.js';

const builds = await bothBuilds();
const reference = new ReferenceBackend({ precision: 'float64' });

describe('usesDirectConvolution', () => {
  it('takes stride-1 convolutions of at most 32 taps whose output is at least 8 wide, and no others', () => {
    const paper: Conv2dShape = { batch: 64, inChannels: 1, height: 28, width: 28, outChannels: 32, kernelSize: 3 };
    expect(usesDirectConvolution(paper)).toBe(true); // the paper's conv1: 9 taps, 26 wide
    expect(usesDirectConvolution({ ...paper, outChannels: 6, kernelSize: 5, padding: 2 })).toBe(true); // LeNet-5's conv1: 25 taps
    expect(usesDirectConvolution({ ...paper, padding: 1 })).toBe(true); // the modern preset's conv1
    expect(usesDirectConvolution({ ...paper, inChannels: 3 })).toBe(true); // 27 taps
    expect(usesDirectConvolution({ ...paper, inChannels: 2, kernelSize: 4 })).toBe(true); // 32 taps
    expect(usesDirectConvolution({ ...paper, inChannels: 3, kernelSize: 4 })).toBe(false); // 48
    expect(usesDirectConvolution({ ...paper, inChannels: 6, outChannels: 16, kernelSize: 5, height: 14, width: 14 })).toBe(false); // LeNet-5's conv2: 150
    expect(usesDirectConvolution({ ...paper, stride: 2 })).toBe(false);
    expect(usesDirectConvolution({ ...paper, width: 10 })).toBe(true); // OW 8
    expect(usesDirectConvolution({ ...paper, width: 9 })).toBe(false); // OW 7
    expect(usesDirectConvolution({ ...paper, width: 7, padding: 1 })).toBe(false); // OW 7
  });
});

/** The forward pass of `s` on the backend, its output fenced; returns the output and what followed it. */
function forward(backend: WasmBackend, s: Conv2dShape, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, relu: boolean) {
  const { outHeight, outWidth } = convGeometry(s);
  const [input, weight, bias] = [x, w, b].map((values) => {
    const array = backend.allocFloats(values.length);
    array.set(values);
    return array;
  });
  const output = fenced(backend, new Float32Array(s.batch * s.outChannels * outHeight * outWidth).fill(-99));
  if (relu) backend.conv2dReluForward(s, input, weight, bias, output.array);
  else backend.conv2dForward(s, input, weight, bias, output.array);
  const result = { output: Float32Array.from(output.array), tail: output.tail() };
  for (const array of [input, weight, bias]) backend.free(array);
  return result;
}

describe('directConvolution: a worked example in small integers', () => {
  // Rows of every ending: OW 8 (one whole tile), 9 (a tile of 4 at 5, overlapping), 12 (a tile of 4 at 8, no
  // overlap), 13 (a tile of 8 at 5, overlapping) and 16 (two whole tiles); F = 6 and 11 (a partial sliver on
  // either build) and 1; 2 channels; padding 0 and 1.
  const shapes: Conv2dShape[] = [
    { batch: 1, inChannels: 1, height: 3, width: 10, outChannels: 1, kernelSize: 3 },
    { batch: 2, inChannels: 2, height: 4, width: 11, outChannels: 6, kernelSize: 3 },
    { batch: 1, inChannels: 1, height: 2, width: 12, outChannels: 11, kernelSize: 1 },
    { batch: 1, inChannels: 2, height: 3, width: 12, outChannels: 6, kernelSize: 2, padding: 1 },
    { batch: 1, inChannels: 1, height: 5, width: 16, outChannels: 6, kernelSize: 5, padding: 2 },
  ];
  for (const s of shapes) {
    const { outWidth } = convGeometry(s);
    it(`${s.inChannels} → ${s.outChannels} channels, ${s.kernelSize}×${s.kernelSize}, padding ${s.padding ?? 0}, ${outWidth} wide: the definition exactly, with and without the ReLU`, () => {
      expect(usesDirectConvolution(s)).toBe(true);
      // biases of both signs: negative sums for the ReLU to clear
      const { x, w, b } = smallIntegerOperands(s);
      for (const relu of [false, true]) {
        const expected = convolutionByDefinition(s, x, w, b, relu);
        if (relu) expect(expected.some((v) => v === 0) && expected.some((v) => v > 0)).toBe(true);
        else expect(expected.some((v) => v < 0)).toBe(true);
        for (const [build, backend] of builds) {
          const { output, tail } = forward(backend, s, x, w, b, relu);
          expect([...output], `${build}, relu ${relu}`).toEqual(expected);
          expect(tail, `${build}: nothing written past the output`).toEqual(new Array(TAIL).fill(SENTINEL));
        }
      }
    });
  }

  it('masks NaN to 0 under the ReLU and keeps it without, as the GEMM path does', () => {
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 1, width: 8, outChannels: 2, kernelSize: 1 };
    const x = [1, 2, NaN, 4, 5, 6, 7, 8];
    for (const [build, backend] of builds) {
      const plain = forward(backend, s, x, [1, -1], [0, 0], false).output;
      const rectified = forward(backend, s, x, [1, -1], [0, 0], true).output;
      expect(Number.isNaN(plain[2]) && Number.isNaN(plain[10]), build).toBe(true);
      expect([...rectified], build).toEqual([1, 2, 0, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, 0, 0]);
    }
  });
});

/** Shapes the direct kernel takes: 1–3 channels, kernels 1–5 (at most 32 taps), 1–17 filters, paddings 0–2, outputs 8–21 wide. */
const directShapes = directConvShapes({ min: 1, max: 6 }, { min: 8, max: 21 });

/** The GEMM path's output: each image zero-padded, gemmIm2col (the weight times its im2col matrix), + bias, ReLU. */
function gemmPath(backend: WasmBackend, s: Conv2dShape, x: Float32Array, w: Float32Array, b: Float32Array, relu: boolean): Float32Array {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
  const { padding: P, outHeight, outWidth } = convGeometry(s);
  const positions = outHeight * outWidth;
  const [PH, PW] = [H + 2 * P, W + 2 * P];
  const image = backend.allocFloats(C * PH * PW);
  const weight = backend.allocFloats(w.length);
  weight.set(w);
  const product = backend.allocFloats(F * positions);
  const out = new Float32Array(N * F * positions);
  for (let n = 0; n < N; n++) {
    image.fill(0);
    for (let c = 0; c < C; c++) for (let i = 0; i < H; i++) image.set(x.subarray(((n * C + c) * H + i) * W, ((n * C + c) * H + i + 1) * W), (c * PH + i + P) * PW + P);
    backend.gemmIm2col(false, false, F, weight, C * K * K, image, { channels: C, height: PH, width: PW, kernelSize: K }, product, positions, false);
    for (let f = 0; f < F; f++) {
      for (let p = 0; p < positions; p++) {
        const y = Math.fround(product[f * positions + p] + b[f]);
        out[(n * F + f) * positions + p] = relu ? (y > 0 ? y : 0) : y;
      }
    }
  }
  for (const array of [image, weight, product]) backend.free(array);
  return out;
}

describe('directConvolution: its scratch', () => {
  it('holds the taps\' offsets, rounded up to 16 bytes, then a sliver of MR filters\' weights a tap for every MR filters begun; the kernel writes inside it', () => {
    for (const [build, backend] of builds) {
      const kernels = (backend as unknown as { kernels: KernelExports }).kernels;
      const MR = build === 'relaxed-simd' ? 5 : 4; // the GEMM's tile rows (assembly/gemm.ts)
      // taps 1, 9, 25, 27, 32 (none but 32 a multiple of 4); filters 1, 6, 32
      for (const [C, K] of [[1, 1], [1, 3], [1, 5], [3, 3], [2, 4]]) {
        for (const F of [1, 6, 32]) {
          const taps = C * K * K;
          const floats = kernels.directConvolutionScratchFloats(taps, F);
          expect(floats, `${build}, ${taps} taps, F ${F}`).toBe(Math.ceil(taps / 4) * 4 + Math.ceil(F / MR) * MR * taps);
          const [H, W] = [K, K + 7]; // one output row 8 wide
          const image = backend.allocFloats(C * H * W).fill(1);
          const weight = backend.allocFloats(F * taps).fill(1);
          const bias = backend.allocFloats(F);
          const output = backend.allocFloats(F * 8);
          const scratch = fenced(backend, new Float32Array(floats));
          kernels.directConvolution(image.byteOffset, C, H, W, K, weight.byteOffset, F, bias.byteOffset, 0, output.byteOffset, scratch.array.byteOffset);
          expect([...output], `${build}, ${taps} taps, F ${F}`).toEqual(new Array(F * 8).fill(taps));
          expect(scratch.tail(), `${build}, ${taps} taps, F ${F}: nothing written past the scratch`).toEqual(new Array(TAIL).fill(SENTINEL));
          for (const array of [image, weight, bias, output]) backend.free(array);
        }
      }
    }
  });
});

describe('directConvolution over random shapes it takes (both builds)', () => {
  it('equals the GEMM path bit for bit and the float64 reference within the summation bound, writing nothing past the output', () => {
    fc.assert(
      fc.property(directShapes, fc.boolean(), fc.integer(), (s, relu, seed) => {
        expect(usesDirectConvolution(s)).toBe(true);
        const random = new Random(seed);
        const draw = (length: number) => Float32Array.from({ length }, () => random.uniform(-1, 1));
        const taps = s.inChannels * s.kernelSize ** 2;
        const x = draw(s.batch * s.inChannels * s.height * s.width);
        const w = draw(s.outChannels * taps);
        const b = draw(s.outChannels);
        const { outHeight, outWidth } = convGeometry(s);
        const expected = new Float32Array(s.batch * s.outChannels * outHeight * outWidth);
        const scale = new Float32Array(expected.length);
        reference.conv2dForward(s, x, w, b, expected);
        reference.conv2dForward(s, x.map(Math.abs), w.map(Math.abs), b.map(Math.abs), scale);
        if (relu) for (let k = 0; k < expected.length; k++) expected[k] = Math.max(expected[k], 0);
        for (const [build, backend] of builds) {
          const { output, tail } = forward(backend, s, x, w, b, relu);
          expect(output, `${build}: the GEMM path's output, bit for bit`).toEqual(gemmPath(backend, s, x, w, b, relu));
          expectParity(`${build} output`, output, expected, sumTolerance(taps + 1, scale));
          expect(tail).toEqual(new Array(TAIL).fill(SENTINEL));
        }
      }),
      { numRuns: 60 },
    );
  });
});
