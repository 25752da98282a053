/**
 * The wasm convolution and dense kernels (im2col + GEMM, GEMMs) against the float32 reference backend,
 * over random shapes — sizes 1, 3, 5, 7 and others that are not multiples of the GEMM's 4×8 tile —
 * random values, and the network's own layer shapes. Tolerances are the float32 summation bound of
 * test/parity.ts; each sum's Σ|terms| comes from running the reference on absolute values, and its
 * length n is the number of terms the reference adds for that output (plus the bias or the gradient
 * already accumulated, and one per image for a weight gradient the wasm backend sums image by image).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Conv2dShape, DenseShape } from '../src/backend/backend.js';
import { Random } from '../src/random.js';
import { EXACT, expectParity, printMargins, sumTolerance } from './parity.js';
import { checkConv2dParity, checkConv2dWithoutDInput, convSizes } from './wasm-conv-parity.js';
import { absolute, randomFloats, reference, wasm } from './wasm-fixtures.js';

const edgeSize = (max: number) => fc.oneof(fc.constantFrom(1, 3, 5, 7), fc.integer({ min: 1, max }));

const convShapes: fc.Arbitrary<Conv2dShape> = fc
  .record({
    batch: fc.integer({ min: 1, max: 3 }),
    inChannels: fc.integer({ min: 1, max: 5 }),
    outChannels: edgeSize(9),
    kernelSize: fc.integer({ min: 1, max: 4 }),
    extraHeight: fc.integer({ min: 0, max: 9 }),
    extraWidth: fc.integer({ min: 0, max: 9 }),
  })
  .map(({ extraHeight, extraWidth, ...s }) => ({ ...s, height: s.kernelSize + extraHeight, width: s.kernelSize + extraWidth }));

const denseShapes: fc.Arbitrary<DenseShape> = fc.record({
  batch: edgeSize(9),
  inFeatures: edgeSize(40),
  outFeatures: edgeSize(20),
});

/** Forward and backward (dInput included) against the reference; gradients start non-zero to check +=. */
const checkConv = (s: Conv2dShape, seed: number) => void checkConv2dParity('conv2d', s, new Random(seed));

/** Forward and backward (dInput included) against the reference; gradients start non-zero to check +=. */
function checkDense(s: DenseShape, seed: number): void {
  const random = new Random(seed);
  const { batch: N, inFeatures: I, outFeatures: O } = s;
  const x = randomFloats(N * I, random);
  const w = randomFloats(O * I, random);
  const b = randomFloats(O, random);
  const dy = randomFloats(N * O, random);
  const dw = randomFloats(O * I, random);
  const db = randomFloats(O, random);
  const dx = randomFloats(N * I, random);
  const y = wasm.allocFloats(N * O);

  const expected = { y: new Float32Array(N * O), dw: dw.slice(), db: db.slice(), dx: new Float32Array(N * I) };
  reference.denseForward(s, x, w, b, expected.y);
  reference.denseBackward(s, { input: x, weight: w, dOutput: dy, dWeight: expected.dw, dBias: expected.db, dInput: expected.dx });
  const scale = { y: new Float32Array(N * O), dw: absolute(dw), db: absolute(db), dx: new Float32Array(N * I) };
  reference.denseForward(s, absolute(x), absolute(w), absolute(b), scale.y);
  reference.denseBackward(s, { input: absolute(x), weight: absolute(w), dOutput: absolute(dy), dWeight: scale.dw, dBias: scale.db, dInput: scale.dx });

  wasm.denseForward(s, x, w, b, y);
  wasm.denseBackward(s, { input: x, weight: w, dOutput: dy, dWeight: dw, dBias: db, dInput: dx });

  expectParity('dense output', y, expected.y, sumTolerance(I + 1, scale.y));
  expectParity('dense dWeight', dw, expected.dw, sumTolerance(N + 1, scale.dw));
  expectParity('dense dBias', db, expected.db, sumTolerance(N + 1, scale.db));
  expectParity('dense dInput', dx, expected.dx, sumTolerance(O, scale.dx));
}

/** The paper network's two convolutions, on a batch of 2. */
const NETWORK_CONVS: Conv2dShape[] = [
  { batch: 2, inChannels: 1, height: 28, width: 28, outChannels: 32, kernelSize: 3 },
  { batch: 2, inChannels: 32, height: 13, width: 13, outChannels: 64, kernelSize: 3 },
];

describe('conv2d (wasm)', () => {
  afterAll(printMargins);

  it('forward and backward match the reference for random shapes and values', () => {
    fc.assert(fc.property(convShapes, fc.integer(), checkConv), { numRuns: 120 });
  });

  it("matches the reference on the network's layer shapes", () => {
    NETWORK_CONVS.forEach((s, k) => checkConv(s, 1 + k));
  });

  it('skips dInput when it is null and leaves the parameter gradients exactly as with it', () => {
    fc.assert(fc.property(convShapes, fc.integer(), checkConv2dWithoutDInput), { numRuns: 30 });
  });

  it('accumulates parameter gradients: two backward passes from zero give twice one pass', () => {
    fc.assert(
      fc.property(convShapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const n = convSizes(s);
        const x = randomFloats(n.input, random);
        const w = randomFloats(n.weight, random);
        const dy = randomFloats(n.output, random);
        const once = { dw: wasm.allocFloats(n.weight), db: wasm.allocFloats(s.outChannels) };
        const twice = { dw: wasm.allocFloats(n.weight), db: wasm.allocFloats(s.outChannels) };
        wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: once.dw, dBias: once.db, dInput: null });
        wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: twice.dw, dBias: twice.db, dInput: null });
        wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: twice.dw, dBias: twice.db, dInput: null });
        const doubled = (a: Float32Array) => a.map((v) => 2 * v);
        const scale = { dw: new Float32Array(n.weight), db: new Float32Array(s.outChannels) };
        reference.conv2dBackward(s, { input: absolute(x), weight: absolute(w), dOutput: absolute(dy), dWeight: scale.dw, dBias: scale.db, dInput: null });
        // The second pass adds its per-image sums onto a non-zero start, so the roundings differ a little.
        const terms = 2 * (s.batch * n.positions + s.batch);
        expectParity('conv2d dWeight twice', twice.dw, doubled(once.dw), sumTolerance(terms, doubled(scale.dw)));
        expectParity('conv2d dBias twice', twice.db, doubled(once.db), sumTolerance(terms, doubled(scale.db)));
      }),
      { numRuns: 30 },
    );
  });
});

/** The fused conv2dReluForward against the reference's composition, and bit-for-bit against the wasm's own two passes. */
function checkConvRelu(s: Conv2dShape, seed: number): void {
  const random = new Random(seed);
  const n = convSizes(s);
  const x = randomFloats(n.input, random);
  const w = randomFloats(n.weight, random);
  const b = randomFloats(s.outChannels, random);
  const fused = randomFloats(n.output, random); // garbage: the output is overwritten
  const unfused = wasm.allocFloats(n.output);

  const expected = new Float32Array(n.output);
  reference.conv2dReluForward(s, x, w, b, expected);
  const scale = new Float32Array(n.output);
  reference.conv2dForward(s, absolute(x), absolute(w), absolute(b), scale);

  wasm.conv2dReluForward(s, x, w, b, fused);
  wasm.conv2dForward(s, x, w, b, unfused);
  wasm.reluForward(unfused, unfused);

  // |max(a, 0) − max(e, 0)| ≤ |a − e|, so the convolution's own bound holds after the ReLU.
  expectParity('conv2d+relu output', fused, expected, sumTolerance(n.patch + 1, scale));
  expectParity('conv2d+relu vs conv2d then relu (wasm)', fused, unfused, EXACT);
  expect(fused.every((v) => v >= 0 && !Object.is(v, -0))).toBe(true);
}

describe('conv2dReluForward (wasm)', () => {
  afterAll(printMargins);

  it('is max(conv + bias, 0): the reference composition within the sum bound, the wasm two passes bit for bit', () => {
    fc.assert(fc.property(convShapes, fc.integer(), checkConvRelu), { numRuns: 120 });
  });

  it("matches on the network's layer shapes", () => {
    NETWORK_CONVS.forEach((s, k) => checkConvRelu(s, 8 + k));
  });

  it('checks its arguments like conv2dForward', () => {
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 4, width: 4, outChannels: 2, kernelSize: 3 };
    const n = convSizes(s);
    const args = [wasm.allocFloats(n.input), wasm.allocFloats(n.weight), wasm.allocFloats(s.outChannels)] as const;
    expect(() => wasm.conv2dReluForward(s, ...args, wasm.allocFloats(n.output + 1))).toThrow(/conv2dReluForward/);
    expect(() => wasm.conv2dReluForward(s, ...args, new Float32Array(n.output))).toThrow(/conv2dReluForward.*allocFloats/);
  });
});

describe('dense (wasm)', () => {
  afterAll(printMargins);

  it('forward and backward match the reference for random shapes and values', () => {
    fc.assert(fc.property(denseShapes, fc.integer(), checkDense), { numRuns: 200 });
  });

  it("matches the reference on the network's layer shapes and on batches of 1, 3 and 1000", () => {
    checkDense({ batch: 2, inFeatures: 7744, outFeatures: 128 }, 3);
    checkDense({ batch: 64, inFeatures: 128, outFeatures: 10 }, 4);
    checkDense({ batch: 1, inFeatures: 128, outFeatures: 10 }, 5);
    checkDense({ batch: 3, inFeatures: 128, outFeatures: 10 }, 6);
    checkDense({ batch: 1000, inFeatures: 37, outFeatures: 10 }, 7);
  });

  it('skips dInput when it is null and accumulates parameter gradients', () => {
    fc.assert(
      fc.property(denseShapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const { batch: N, inFeatures: I, outFeatures: O } = s;
        const x = randomFloats(N * I, random);
        const w = randomFloats(O * I, random);
        const dy = randomFloats(N * O, random);
        const once = { dw: wasm.allocFloats(O * I), db: wasm.allocFloats(O) };
        const twice = { dw: wasm.allocFloats(O * I), db: wasm.allocFloats(O) };
        wasm.denseBackward(s, { input: x, weight: w, dOutput: dy, dWeight: once.dw, dBias: once.db, dInput: wasm.allocFloats(N * I) });
        wasm.denseBackward(s, { input: x, weight: w, dOutput: dy, dWeight: twice.dw, dBias: twice.db, dInput: null });
        expect(twice.dw).toEqual(once.dw);
        expect(twice.db).toEqual(once.db);
        wasm.denseBackward(s, { input: x, weight: w, dOutput: dy, dWeight: twice.dw, dBias: twice.db, dInput: null });
        const scale = { dw: new Float32Array(O * I), db: new Float32Array(O) };
        reference.denseBackward(s, { input: absolute(x), weight: absolute(w), dOutput: absolute(dy), dWeight: scale.dw, dBias: scale.db, dInput: null });
        const doubled = (a: Float32Array) => a.map((v) => 2 * v);
        expectParity('dense dWeight twice', twice.dw, doubled(once.dw), sumTolerance(2 * N, doubled(scale.dw)));
        expectParity('dense dBias twice', twice.db, doubled(once.db), sumTolerance(2 * N, doubled(scale.db)));
      }),
      { numRuns: 50 },
    );
  });
});
