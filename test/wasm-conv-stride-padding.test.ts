/**
 * The wasm convolution with stride S and zero padding P (forward, fused bias + ReLU, weight, bias and
 * input gradients) against the float32 reference's direct loops, over random shapes: kernels 1–5,
 * strides 1–3, paddings 0–2 (also wider than the kernel, where whole output rows see only padding), odd
 * sizes, batches 1–5 — on whichever build XCNN_WASM_BUILD picks. Tolerances are test/parity.ts's float32
 * summation bound, Σ|terms| from the reference run on absolute values. Stride 1 with padding runs the
 * packers of the valid convolution on a zero-bordered copy of each image, so it must equal, bit for bit,
 * the wasm valid convolution of an explicitly padded input — an independent check of the border logic.
 * Strided convolutions with small output maps run one GEMM per group of images (imagesPerGemm); shapes with
 * several groups and a partial last one must match the reference too, and their output and dInput must
 * equal, bit for bit, the same convolution run one image at a time (a group's GEMM sums each output in the
 * same order). Strided convolutions with large maps run per image on the image's phase block; their output
 * must equal, bit for bit, every S-th output of the stride-1 convolution with the same padding.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Conv2dShape } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { imagesPerGemm } from '../src/backend/wasm/wasm-backend.js';
import { XcnnError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { EXACT, expectParity, printMargins, sumTolerance } from './parity.js';
import { checkConv2dParity, checkConv2dWithoutDInput, convSizes } from './wasm-conv-parity.js';
import { randomFloats, reference, wasm } from './wasm-fixtures.js';
import { convShapes } from './fixtures/conv-shapes.js';
import { paddedByDefinition } from './fixtures/im2col-by-definition.js';

const shapes = convShapes({ batch: 5, inChannels: 4, outChannels: fc.oneof(fc.constantFrom(1, 3, 5, 9), fc.integer({ min: 1, max: 12 })), kernelSize: 5, stride: 3, padding: 2, extra: 9 });

/**
 * Strided shapes whose batch makes 2–3 groups of imagesPerGemm images, the last one partial or full: output
 * maps of 36–121 positions (4–14 images a group) on inputs of every size that gives them.
 */
const groupedShapes: fc.Arbitrary<Conv2dShape> = fc
  .record({
    inChannels: fc.integer({ min: 1, max: 3 }),
    outChannels: fc.integer({ min: 1, max: 12 }),
    kernelSize: fc.integer({ min: 1, max: 5 }),
    stride: fc.integer({ min: 2, max: 3 }),
    padding: fc.integer({ min: 0, max: 2 }),
    outHeight: fc.integer({ min: 6, max: 11 }),
    outWidth: fc.integer({ min: 6, max: 11 }),
    extraHeight: fc.nat(2),
    extraWidth: fc.nat(2),
    fullGroups: fc.integer({ min: 1, max: 2 }),
    lastGroup: fc.double({ min: 0, max: 1, noNaN: true }),
  })
  .filter((r) => (r.outHeight - 1) * r.stride + r.kernelSize > 2 * r.padding)
  .map(({ outHeight, outWidth, extraHeight, extraWidth, fullGroups, lastGroup, ...s }) => {
    const G = imagesPerGemm(s.stride, outHeight * outWidth);
    return {
      ...s,
      // ⌊(H + 2P − K)/S⌋ + 1 = outHeight for H = (outHeight − 1)·S + K − 2P + extra, extra < S
      height: (outHeight - 1) * s.stride + s.kernelSize - 2 * s.padding + (extraHeight % s.stride),
      width: Math.max(1, (outWidth - 1) * s.stride + s.kernelSize - 2 * s.padding + (extraWidth % s.stride)),
      batch: fullGroups * G + 1 + Math.floor(lastGroup * (G - 0.5)), // the last group holds 1..G images
    };
  });

/**
 * Strided shapes whose output maps are large enough (132–289 positions) to run one GEMM per image, packed
 * from the image's phase block (imagesPerGemm = 0), on inputs of every size that gives them.
 */
const phaseShapes: fc.Arbitrary<Conv2dShape> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    inChannels: fc.integer({ min: 1, max: 3 }),
    outChannels: fc.integer({ min: 1, max: 12 }),
    kernelSize: fc.integer({ min: 1, max: 5 }),
    stride: fc.integer({ min: 2, max: 3 }),
    padding: fc.integer({ min: 0, max: 2 }),
    outHeight: fc.integer({ min: 12, max: 17 }),
    outWidth: fc.integer({ min: 11, max: 17 }),
    extraHeight: fc.nat(2),
    extraWidth: fc.nat(2),
  })
  .filter((r) => (r.outHeight - 1) * r.stride + r.kernelSize > 2 * r.padding)
  .map(({ outHeight, outWidth, extraHeight, extraWidth, ...s }) => ({
    ...s,
    height: (outHeight - 1) * s.stride + s.kernelSize - 2 * s.padding + (extraHeight % s.stride),
    width: Math.max(1, (outWidth - 1) * s.stride + s.kernelSize - 2 * s.padding + (extraWidth % s.stride)),
  }));

/** Forward, fused forward and backward against the reference; the fused forward also bit for bit against the plain one + ReLU. */
function checkConv(s: Conv2dShape, seed: number): void {
  const random = new Random(seed);
  const { input, weight, bias, output, outputScale } = checkConv2dParity('strided conv2d', s, random);
  const n = convSizes(s);
  const fused = randomFloats(n.output, random); // garbage: overwritten
  const expected = new Float32Array(n.output);
  reference.conv2dReluForward(s, input, weight, bias, expected);
  wasm.conv2dReluForward(s, input, weight, bias, fused);
  // |max(a, 0) − max(e, 0)| ≤ |a − e|: the convolution's bound holds after the ReLU; and the fusion is exact.
  expectParity('strided conv2d+relu output', fused, expected, sumTolerance(n.patch + 1, outputScale));
  expectParity('strided conv2d+relu vs conv2d then relu', fused, output.map((v) => (v > 0 ? v : 0)), EXACT);
}

describe('conv2d with stride and padding (wasm)', () => {
  afterAll(printMargins);

  it('forward, fused forward and backward match the reference for random shapes, strides and paddings', () => {
    fc.assert(fc.property(shapes, fc.integer(), checkConv), { numRuns: 150 });
  });

  it("matches the reference on the presets' shapes: LeNet-5's 5×5 pad 2, the modern net's 3×3 pad 1, and a stride-2 conv", () => {
    checkConv({ batch: 2, inChannels: 1, height: 28, width: 28, outChannels: 6, kernelSize: 5, padding: 2 }, 1);
    checkConv({ batch: 2, inChannels: 32, height: 14, width: 14, outChannels: 64, kernelSize: 3, padding: 1 }, 2);
    checkConv({ batch: 2, inChannels: 8, height: 15, width: 15, outChannels: 16, kernelSize: 3, stride: 2, padding: 1 }, 3);
  });

  it('runs strided convolutions one GEMM per group of images: several groups and a partial last one match the reference', () => {
    fc.assert(
      fc.property(groupedShapes, fc.integer(), (s, seed) => {
        const { outHeight, outWidth } = convGeometry(s);
        const G = imagesPerGemm(s.stride ?? 1, outHeight * outWidth);
        expect(G).toBeGreaterThan(1);
        expect(s.batch).toBeGreaterThan(G);
        checkConv(s, seed);
      }),
      { numRuns: 40 },
    );
  });

  it("runs strided convolutions with large maps one GEMM per image from the image's phase block: they match the reference", () => {
    fc.assert(
      fc.property(phaseShapes, fc.integer(), (s, seed) => {
        const { outHeight, outWidth } = convGeometry(s);
        expect(imagesPerGemm(s.stride ?? 1, outHeight * outWidth)).toBe(0);
        checkConv(s, seed);
      }),
      { numRuns: 40 },
    );
  });

  it('gives, from the phase block, bit for bit every S-th output of the stride-1 convolution with the same padding', () => {
    // Each output is the same dot product over the same C·K·K terms in the same order whichever stride
    // selects it, so subsampling the stride-1 output is an exact, independent check of the phase layout.
    fc.assert(
      fc.property(phaseShapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const S = s.stride ?? 1;
        const n = convSizes(s);
        const dense: Conv2dShape = { ...s, stride: 1 };
        const x = randomFloats(n.input, random);
        const w = randomFloats(n.weight, random);
        const b = randomFloats(s.outChannels, random);
        const strided = wasm.allocFloats(n.output);
        const full = wasm.allocFloats(convSizes(dense).output);
        wasm.conv2dForward(s, x, w, b, strided);
        wasm.conv2dForward(dense, x, w, b, full);
        const { outHeight, outWidth } = convGeometry(s);
        const wide = convGeometry(dense);
        const sampled = new Float32Array(n.output);
        for (let plane = 0; plane < s.batch * s.outChannels; plane++) {
          for (let i = 0; i < outHeight; i++) {
            for (let j = 0; j < outWidth; j++) sampled[(plane * outHeight + i) * outWidth + j] = full[(plane * wide.outHeight + S * i) * wide.outWidth + S * j];
          }
        }
        expectParity('strided conv2d output vs every S-th stride-1 output', strided, sampled, EXACT);
      }),
      { numRuns: 40 },
    );
  });

  it('gives, in a group, the output and dInput of the same strided convolution run one image at a time, bit for bit', () => {
    fc.assert(
      fc.property(groupedShapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const n = convSizes(s);
        const x = randomFloats(n.input, random);
        const w = randomFloats(n.weight, random);
        const b = randomFloats(s.outChannels, random);
        const dy = randomFloats(n.output, random);
        const grouped = { y: wasm.allocFloats(n.output), dx: wasm.allocFloats(n.input) };
        const single = { y: wasm.allocFloats(n.output), dx: wasm.allocFloats(n.input) };
        const gradients = (input: Float32Array, dOutput: Float32Array, dInput: Float32Array) => ({
          input, weight: w, dOutput, dWeight: wasm.allocFloats(n.weight), dBias: wasm.allocFloats(s.outChannels), dInput,
        });
        wasm.conv2dReluForward(s, x, w, b, grouped.y);
        wasm.conv2dBackward(s, gradients(x, dy, grouped.dx));
        const one: Conv2dShape = { ...s, batch: 1 };
        const [inPer, outPer] = [n.input / s.batch, n.output / s.batch];
        for (let image = 0; image < s.batch; image++) {
          const xImage = x.subarray(image * inPer, (image + 1) * inPer);
          wasm.conv2dReluForward(one, xImage, w, b, single.y.subarray(image * outPer, (image + 1) * outPer));
          wasm.conv2dBackward(one, gradients(xImage, dy.subarray(image * outPer, (image + 1) * outPer), single.dx.subarray(image * inPer, (image + 1) * inPer)));
        }
        expectParity('grouped conv2d+relu output vs one image at a time', grouped.y, single.y, EXACT);
        expectParity('grouped conv2d dInput vs one image at a time', grouped.dx, single.dx, EXACT);
      }),
      { numRuns: 30 },
    );
  });

  it('with stride 1, equals bit for bit the valid convolution of the explicitly zero-padded input', () => {
    const stride1 = shapes.map((s) => ({ ...s, stride: 1, padding: Math.max(1, s.padding ?? 0) }));
    fc.assert(
      fc.property(stride1, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const P = s.padding ?? 0;
        const n = convSizes(s);
        const valid: Conv2dShape = { ...s, height: s.height + 2 * P, width: s.width + 2 * P, padding: 0 };
        const x = randomFloats(n.input, random);
        const xPadded = paddedByDefinition(wasm, x, s, P);
        const w = randomFloats(n.weight, random);
        const b = randomFloats(s.outChannels, random);
        const dy = randomFloats(n.output, random);
        const padded = { y: wasm.allocFloats(n.output), dw: wasm.allocFloats(n.weight), db: wasm.allocFloats(s.outChannels), dx: wasm.allocFloats(n.input) };
        const explicit = { y: wasm.allocFloats(n.output), dw: wasm.allocFloats(n.weight), db: wasm.allocFloats(s.outChannels), dx: wasm.allocFloats(xPadded.length) };
        wasm.conv2dReluForward(s, x, w, b, padded.y);
        wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: padded.dw, dBias: padded.db, dInput: padded.dx });
        wasm.conv2dReluForward(valid, xPadded, w, b, explicit.y);
        wasm.conv2dBackward(valid, { input: xPadded, weight: w, dOutput: dy, dWeight: explicit.dw, dBias: explicit.db, dInput: explicit.dx });
        expectParity('padded conv2d output vs explicit padding', padded.y, explicit.y, EXACT);
        expectParity('padded conv2d dWeight vs explicit padding', padded.dw, explicit.dw, EXACT);
        expectParity('padded conv2d dBias vs explicit padding', padded.db, explicit.db, EXACT);
        // The interior of the padded input's gradient; the border's belongs to the padding.
        const interior = new Float32Array(n.input);
        const [H, W] = [valid.height, valid.width];
        for (let plane = 0; plane < s.batch * s.inChannels; plane++) {
          for (let u = 0; u < s.height; u++) {
            interior.set(explicit.dx.subarray((plane * H + u + P) * W + P, (plane * H + u + P) * W + P + s.width), (plane * s.height + u) * s.width);
          }
        }
        expectParity('padded conv2d dInput vs explicit padding', padded.dx, interior, EXACT);
      }),
      { numRuns: 60 },
    );
  });

  it('skips dInput when it is null and leaves the parameter gradients exactly as with it', () => {
    fc.assert(fc.property(shapes, fc.integer(), checkConv2dWithoutDInput), { numRuns: 30 });
  });

  it('refuses arrays outside its memory and arrays of the wrong length, naming them', () => {
    const s: Conv2dShape = { batch: 2, inChannels: 2, height: 7, width: 7, outChannels: 3, kernelSize: 3, stride: 2, padding: 1 };
    const n = convSizes(s);
    const x = wasm.allocFloats(n.input);
    const w = wasm.allocFloats(n.weight);
    const b = wasm.allocFloats(3);
    const y = wasm.allocFloats(n.output);
    expect(() => wasm.conv2dForward(s, new Float32Array(n.input), w, b, y)).toThrow(XcnnError);
    expect(() => wasm.conv2dForward(s, x, w, b, new Float32Array(n.output))).toThrow(/output is not in this wasm backend's memory/);
    expect(() => wasm.conv2dReluForward(s, x, w, b, wasm.allocFloats(n.output + 1))).toThrow(XcnnError);
    const g = { input: x, weight: w, dOutput: y, dWeight: wasm.allocFloats(n.weight), dBias: wasm.allocFloats(3), dInput: wasm.allocFloats(n.input) };
    expect(() => wasm.conv2dBackward(s, { ...g, dInput: new Float32Array(n.input) })).toThrow(/dInput is not in this wasm backend's memory/);
    expect(() => wasm.conv2dBackward(s, { ...g, dWeight: wasm.allocFloats(n.weight - 1) })).toThrow(XcnnError);
  });
});
