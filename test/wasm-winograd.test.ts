/**
 * The wasm backend's Winograd convolutions, F(2×2, 3×3) (assembly/winograd.ts) and F(4×4, 3×3)
 * (assembly/winograd-4x4.ts): every 3×3, stride-1 convolution with at least 8 channels on each side runs its
 * forward pass by one of them — F(4×4) where it needs at most ¾ of F(2×2)'s multiplies and an image has 4 tiles
 * or more — and its backward pass by the same one, F(2×2)'s only when C·F ≥ 256 as well:
 * - which convolutions take which (usesWinograd, usesWinograd4, usesWinogradBackward), and that F(4×4) is what
 *   runs where the rule says so: its sixths show where F(2×2)'s arithmetic is exact;
 * - worked examples whose values are exact in float32 (small integers and halves), so they are compared
 *   bit for bit: a constant image gives 9·C·w in the interior and fewer taps at a padded border, an
 *   impulse gives back the kernel (turned 180° for the input gradient);
 * - random shapes against the float32 reference's direct loops, within Winograd's own rounding bound
 *   (test/winograd-bounds.ts: the algorithm run in float64 on absolute values): odd and even output sides
 *   (half-empty edge tiles), tile counts that are not a multiple of four (the input transform's spare
 *   lanes), channel counts that are not (the output transform's partial lanes), paddings 0–3;
 * - a batch cut into chunks gives, bit for bit, the same output and input gradient as one image at a time,
 *   writing nothing past either;
 * - each gradient alone is, bit for bit, what it is beside the other, the one not wanted untouched;
 * - on a fresh backend every scratch block fits what the kernels write in it (a fence allocated after a first
 *   pass stays intact through a second);
 * - it is Winograd that runs, not the direct sum: on a tile where every direct sum is exact in float32, the
 *   transforms' roundings show in the output and both gradients.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import type { KernelExports } from '../src/backend/wasm/kernels.js';
import { kernelsWasmPath } from '../src/backend/wasm/node.js';
import { createWasmBackendFromBytes, usesWinograd, usesWinograd4, usesWinogradBackward } from '../src/backend/wasm/wasm-backend.js';
import { Random } from '../src/random.js';
import { EXACT, expectParity, sumTolerance } from './parity.js';
import { convOperands, convSizes } from './wasm-conv-parity.js';
import { absolute, randomFloats, reference, wasm, wasmCopy } from './wasm-fixtures.js';
import { fenced, SENTINEL, staticDataOf, TAIL } from './fixtures/memory-fences.js';
import { F2, F4, winogradMagnitudes, winogradTolerances } from './winograd-bounds.js';

const conv3 = (s: Omit<Conv2dShape, 'kernelSize'>): Conv2dShape => ({ ...s, kernelSize: 3 });

/** The tolerances of the algorithm the backend runs the convolution by (test/winograd-bounds.ts). */
function tolerances(s: Conv2dShape, x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array, dWeightBefore: Float32Array): ReturnType<typeof winogradTolerances> {
  const algorithm = usesWinograd4(s) ? F4 : F2;
  return winogradTolerances(s, winogradMagnitudes(s, x, w, b, dy, dWeightBefore, algorithm), algorithm);
}

/**
 * Forward, fused forward and backward (dInput included) against the reference, each within the bound of the
 * path that ran it (Winograd's, or for a backward pass below C·F = 256 the direct sum's, test/parity.ts); the
 * output and dInput start as garbage (overwritten), the parameter gradients non-zero (accumulated).
 */
function checkWinograd(name: string, s: Conv2dShape, random: Random): void {
  const n = convSizes(s);
  const { x, w, b, dy, dw, db, dx, y } = convOperands(s, random);
  const fused = randomFloats(n.output, random);
  const expected = { y: new Float32Array(n.output), fused: new Float32Array(n.output), dw: dw.slice(), db: db.slice(), dx: new Float32Array(n.input) };
  reference.conv2dForward(s, x, w, b, expected.y);
  reference.conv2dReluForward(s, x, w, b, expected.fused);
  reference.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: expected.dw, dBias: expected.db, dInput: expected.dx });
  const tolerance = tolerances(s, x, w, b, dy, dw);
  // the direct sums' bounds: Σ|terms| from the reference on absolute values
  const scale = { dw: absolute(dw), db: absolute(db), dx: new Float32Array(n.input) };
  reference.conv2dBackward(s, { input: absolute(x), weight: absolute(w), dOutput: absolute(dy), dWeight: scale.dw, dBias: scale.db, dInput: scale.dx });
  const positions = s.batch * convGeometry(s).outHeight * convGeometry(s).outWidth;
  const backward = usesWinogradBackward(s)
    ? tolerance
    : { dWeight: sumTolerance(positions + s.batch + 1, scale.dw), dInput: sumTolerance(s.outChannels * 9 + 1, scale.dx) };

  wasm.conv2dForward(s, x, w, b, y);
  wasm.conv2dReluForward(s, x, w, b, fused);
  wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: dw, dBias: db, dInput: dx });

  expectParity(`${name} output`, y, expected.y, tolerance.output);
  // |max(a, 0) − max(e, 0)| ≤ |a − e|, and the fusion is the plain output's ReLU exactly
  expectParity(`${name} output + relu`, fused, expected.fused, tolerance.output);
  expectParity(`${name} output + relu vs output then relu`, fused, y.map((v) => (v > 0 ? v : 0)), EXACT);
  expectParity(`${name} dWeight`, dw, expected.dw, backward.dWeight);
  expectParity(`${name} dBias`, db, expected.db, sumTolerance(positions + 1, scale.db));
  expectParity(`${name} dInput`, dx, expected.dx, backward.dInput);
}

/**
 * 3×3, stride-1 shapes the Winograd path takes: 8–21 channels each side (C·F from 64 to 441: the backward
 * direct, by F(2×2) or by F(4×4)), outputs 1–12 a side (either algorithm), paddings 0–3.
 */
const winogradShapes: fc.Arbitrary<Conv2dShape> = fc
  .record({
    batch: fc.integer({ min: 1, max: 4 }),
    inChannels: fc.integer({ min: 8, max: 21 }),
    outChannels: fc.integer({ min: 8, max: 21 }),
    padding: fc.integer({ min: 0, max: 3 }),
    outHeight: fc.integer({ min: 1, max: 12 }),
    outWidth: fc.integer({ min: 1, max: 12 }),
  })
  .filter((r) => r.outHeight + 2 - 2 * r.padding >= 1 && r.outWidth + 2 - 2 * r.padding >= 1)
  .map(({ outHeight, outWidth, ...s }) => conv3({ ...s, height: outHeight + 2 - 2 * s.padding, width: outWidth + 2 - 2 * s.padding }));

describe('Winograd F(2×2, 3×3) and F(4×4, 3×3) convolutions (wasm)', () => {
  it('runs 3×3, stride-1 convolutions with at least 8 channels on each side, their backward when C·F ≥ 256 too, and no others', () => {
    const base = conv3({ batch: 1, inChannels: 8, height: 9, width: 9, outChannels: 8 });
    expect(usesWinograd(base)).toBe(true);
    expect(usesWinograd({ ...base, padding: 2 })).toBe(true);
    expect(usesWinograd({ ...base, stride: 1 })).toBe(true);
    expect(usesWinograd({ ...base, inChannels: 7 })).toBe(false);
    expect(usesWinograd({ ...base, outChannels: 7 })).toBe(false);
    expect(usesWinograd({ ...base, kernelSize: 5 })).toBe(false);
    expect(usesWinograd({ ...base, kernelSize: 1 })).toBe(false);
    expect(usesWinograd({ ...base, stride: 2 })).toBe(false);
    // the paper's conv2 (32 → 64 on 13×13) takes it; its conv1 (one input channel) does not
    expect(usesWinograd(conv3({ batch: 64, inChannels: 32, height: 13, width: 13, outChannels: 64 }))).toBe(true);
    expect(usesWinograd(conv3({ batch: 64, inChannels: 1, height: 28, width: 28, outChannels: 32 }))).toBe(false);
    // the backward, by F(2×2) (5×5 outputs): C·F ≥ 256 as well
    const byF2 = conv3({ batch: 1, inChannels: 8, height: 7, width: 7, outChannels: 8 });
    expect([usesWinograd(byF2), usesWinograd4(byF2)]).toEqual([true, false]);
    expect(usesWinogradBackward({ ...byF2, outChannels: 32 })).toBe(true);
    expect(usesWinogradBackward({ ...byF2, inChannels: 32 })).toBe(true);
    expect(usesWinogradBackward({ ...byF2, inChannels: 16, outChannels: 16 })).toBe(true);
    expect(usesWinogradBackward({ ...byF2, inChannels: 15, outChannels: 17 })).toBe(false); // 255
    expect(usesWinogradBackward(byF2)).toBe(false);
    // by F(4×4) (the 7×7 outputs of `base`, the paper's conv2): whatever C·F
    expect(usesWinograd4(base)).toBe(true);
    expect(usesWinogradBackward(base)).toBe(true);
    expect(usesWinogradBackward(conv3({ batch: 64, inChannels: 32, height: 13, width: 13, outChannels: 64 }))).toBe(true);
    // never where Winograd does not run at all
    expect(usesWinogradBackward({ ...base, inChannels: 7, outChannels: 64 })).toBe(false);
    expect(usesWinogradBackward({ ...base, inChannels: 32, outChannels: 32, stride: 2 })).toBe(false);
  });

  it('runs the forward pass by F(4×4) where its tiles need at most ¾ of F(2×2)\'s multiplies and an image has 4 or more', () => {
    const square = (output: number, padding = 0) => conv3({ batch: 2, inChannels: 8, height: output + 2 - 2 * padding, width: output + 2 - 2 * padding, outChannels: 8, padding });
    // the paper's conv2 (11×11 outputs: 9 tiles of 36 multiplies against 36 of 16, 0.56) and the modern net's padded 14×14 (0.73)
    expect(usesWinograd4(conv3({ batch: 64, inChannels: 32, height: 13, width: 13, outChannels: 64 }))).toBe(true);
    expect(usesWinograd4(conv3({ batch: 64, inChannels: 32, height: 14, width: 14, outChannels: 64, padding: 1 }))).toBe(true);
    // 7×7 and 8×8 outputs: 4 tiles, 0.56
    expect(usesWinograd4(square(7))).toBe(true);
    expect(usesWinograd4(square(8, 1))).toBe(true);
    // 4×4 or smaller: a single tile an image; 5×5, 6×6: as many multiplies; 10×10: 9·36 against 25·16 = 0.81
    for (const output of [1, 2, 3, 4, 5, 6, 10]) expect(usesWinograd4(square(output)), `${output}×${output}`).toBe(false);
    // 7×6 outputs: 4 tiles of 36 multiplies (144) against 12 of 16 (192), ¾ exactly, the bound included; 7×5 and 5×7 likewise
    expect(usesWinograd4(conv3({ batch: 1, inChannels: 8, height: 9, width: 8, outChannels: 8 }))).toBe(true);
    expect(usesWinograd4(conv3({ batch: 1, inChannels: 8, height: 9, width: 7, outChannels: 8 }))).toBe(true);
    expect(usesWinograd4(conv3({ batch: 1, inChannels: 8, height: 7, width: 9, outChannels: 8 }))).toBe(true);
    // 9×5: 6 tiles of 36 (216) against 15 of 16 (240), 0.9: no
    expect(usesWinograd4(conv3({ batch: 1, inChannels: 8, height: 11, width: 7, outChannels: 8 }))).toBe(false);
    // never where Winograd does not run at all
    expect(usesWinograd4({ ...square(8), inChannels: 7 })).toBe(false);
    expect(usesWinograd4({ ...square(8), stride: 2 })).toBe(false);
    expect(usesWinograd4({ ...square(8), kernelSize: 5 })).toBe(false);
  });

  it("runs F(4×4) where the rule says so: on integers and halves, where F(2×2)'s arithmetic is exact, F(4×4)'s sixths show", () => {
    // small integer images and weights that are multiples of ½: every F(2×2) value is a multiple of ¼ well below
    // 2²⁴, so F(2×2) gives the direct sum exactly; F(4×4)'s kernels have sixths and twenty-fourths, which float32
    // rounds, so its outputs are not all exact
    const random = new Random(70);
    // (and likewise the input gradient of an integer dOutput)
    const run = (s: Conv2dShape) => {
      const n = convSizes(s);
      const integers = (length: number) => wasmCopy(Array.from({ length }, () => Math.floor(random.uniform(-4, 5))));
      const [x, dy] = [integers(n.input), integers(n.output)];
      const w = wasmCopy(Array.from({ length: n.weight }, () => Math.floor(random.uniform(-8, 9)) / 2));
      const b = wasm.allocFloats(s.outChannels);
      const [y, direct] = [wasm.allocFloats(n.output), new Float32Array(n.output)];
      wasm.conv2dForward(s, x, w, b, y);
      reference.conv2dForward(s, x, w, b, direct);
      const [dx, directDx] = [wasm.allocFloats(n.input), new Float32Array(n.input)];
      wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: dx });
      reference.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: directDx });
      return { y: [...y], direct: [...direct], dx: [...dx], directDx: [...directDx] };
    };
    const f4 = conv3({ batch: 2, inChannels: 32, height: 13, width: 13, outChannels: 64 }); // the paper's conv2
    const f2 = conv3({ batch: 2, inChannels: 32, height: 7, width: 7, outChannels: 64 }); // 5×5 outputs
    expect([usesWinograd4(f4), usesWinograd(f2) && !usesWinograd4(f2), usesWinogradBackward(f2)]).toEqual([true, true, true]);
    const byF2 = run(f2);
    expect(byF2.y).toEqual(byF2.direct);
    expect(byF2.dx).toEqual(byF2.directDx);
    const byF4 = run(f4);
    expect(byF4.y).not.toEqual(byF4.direct);
    expect(byF4.dx).not.toEqual(byF4.directDx);
  });

  it.each([
    ['F(2×2), 5×4 outputs', conv3({ batch: 2, inChannels: 9, height: 5, width: 4, outChannels: 10, padding: 1 })],
    ['F(4×4), 7×6 outputs', conv3({ batch: 2, inChannels: 9, height: 7, width: 6, outChannels: 10, padding: 1 })],
  ])('gives a constant image 9·C·w + b inside and fewer taps on a padded border, exactly: %s', (_, s) => {
    // input all ones; every tap of output channel f weighs 576·(f/2 + 1): the transformed kernels' denominators
    // (2 for F(2×2), up to 24² = 576 for F(4×4)) cancel, so every value stays exact through the transforms
    expect(usesWinograd4(s)).toBe(s.height === 7);
    const n = convSizes(s);
    const { outHeight, outWidth } = convGeometry(s);
    const x = wasm.allocFloats(n.input).fill(1);
    const w = wasm.allocFloats(n.weight);
    for (let f = 0; f < s.outChannels; f++) w.fill(576 * (f / 2 + 1), f * s.inChannels * 9, (f + 1) * s.inChannels * 9);
    const b = wasmCopy(Array.from({ length: s.outChannels }, (_, f) => -f));
    const y = randomFloats(n.output, new Random(1)); // garbage: overwritten
    wasm.conv2dForward(s, x, w, b, y);
    const expected = new Float32Array(n.output);
    for (let image = 0; image < s.batch; image++) {
      for (let f = 0; f < s.outChannels; f++) {
        for (let i = 0; i < outHeight; i++) {
          for (let j = 0; j < outWidth; j++) {
            // taps inside the image: 3 rows × 3 columns, one fewer of each at a border row or column
            const rows = 3 - (i === 0 ? 1 : 0) - (i === outHeight - 1 ? 1 : 0);
            const cols = 3 - (j === 0 ? 1 : 0) - (j === outWidth - 1 ? 1 : 0);
            expected[((image * s.outChannels + f) * outHeight + i) * outWidth + j] = rows * cols * s.inChannels * 576 * (f / 2 + 1) - f;
          }
        }
      }
    }
    expectParity('constant image', y, expected, EXACT);
  });

  it('gives back the kernel from an impulse, and the kernel turned 180° as the input gradient of an impulse, exactly', () => {
    // weights 576·k, k an integer in [−8, 8]: F(4×4)'s transformed kernels are integers (it runs both passes of
    // these 7×8 outputs; F(2×2)'s would be halves), so every value stays exact
    const s = conv3({ batch: 1, inChannels: 16, height: 9, width: 10, outChannels: 17 });
    expect([usesWinograd4(s), usesWinogradBackward(s)]).toEqual([true, true]);
    const n = convSizes(s);
    const { outHeight, outWidth } = convGeometry(s); // 7 × 8
    const random = new Random(7);
    const w = wasmCopy(Array.from({ length: n.weight }, () => 576 * Math.floor(random.uniform(-8, 9))));
    const tap = (f: number, c: number, p: number, q: number) => w[((f * s.inChannels + c) * 3 + p) * 3 + q];
    const [y0, x0, c0] = [4, 5, 3];
    const x = wasm.allocFloats(n.input);
    x[(c0 * s.height + y0) * s.width + x0] = 1;
    const y = wasm.allocFloats(n.output);
    wasm.conv2dForward(s, x, w, wasm.allocFloats(s.outChannels), y);
    // out(i, j) = Σ_pq in(i + p, j + q)·w(p, q): the impulse at (y0, x0) reaches out(y0 − p, x0 − q) as w(p, q)
    const expected = new Float32Array(n.output);
    for (let f = 0; f < s.outChannels; f++) {
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) expected[(f * outHeight + y0 - p) * outWidth + x0 - q] = tap(f, c0, p, q);
    }
    expectParity('impulse response', y, expected, EXACT);

    // dIn(i + p, j + q) += dOut(i, j)·w(p, q): an impulse of dOut at (i0, j0) in channel f0 spreads w[f0, c] there
    const [i0, j0, f0] = [3, 6, 5];
    const dy = wasm.allocFloats(n.output);
    dy[(f0 * outHeight + i0) * outWidth + j0] = 1;
    const dx = randomFloats(n.input, random); // garbage: overwritten
    wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: dx });
    const expectedDx = new Float32Array(n.input);
    for (let c = 0; c < s.inChannels; c++) {
      for (let p = 0; p < 3; p++) for (let q = 0; q < 3; q++) expectedDx[(c * s.height + i0 + p) * s.width + j0 + q] = tap(f0, c, p, q);
    }
    expectParity('input gradient of an impulse', dx, expectedDx, EXACT);
  });

  it('rectifies as the reference does, by both algorithms: NaN and −0 under the fused ReLU give +0', () => {
    // One NaN pixel makes NaN every output whose tile's transform reads it (a 3×3 patch and, by the transforms,
    // the rest of its tiles): the plain pass keeps them, the fused ReLU makes them +0 — the reference's y > 0 ? y : 0,
    // which gives +0 for the outputs its direct sums carry the NaN to — and rectifies every other output as the plain
    // pass gives it. A bias of −0 on an all-zero image makes every sum −0, rectified to +0.
    for (const s of [conv3({ batch: 1, inChannels: 8, height: 6, width: 6, outChannels: 8 }), conv3({ batch: 1, inChannels: 16, height: 10, width: 10, outChannels: 16 })]) {
      const algorithm = usesWinograd4(s) ? 'F(4×4)' : 'F(2×2)';
      expect(usesWinograd(s), algorithm).toBe(true);
      const n = convSizes(s);
      const { outHeight, outWidth } = convGeometry(s);
      const random = new Random(3);
      const x = randomFloats(n.input, random);
      x[(2 * s.height + 2) * s.width + 3] = NaN; // channel 2, row 2, column 3: the direct sums of outputs (0..2, 1..3) read it
      const w = wasmCopy(Array.from({ length: n.weight }, () => random.uniform(0.5, 1)));
      const b = wasm.allocFloats(s.outChannels);
      const [plain, fused, expected] = [wasm.allocFloats(n.output), wasm.allocFloats(n.output), new Float32Array(n.output)];
      wasm.conv2dForward(s, x, w, b, plain);
      wasm.conv2dReluForward(s, x, w, b, fused);
      reference.conv2dReluForward(s, x, w, b, expected);
      for (let at = 0; at < n.output; at++) {
        const rectified = plain[at] > 0 ? plain[at] : 0;
        expect(Object.is(fused[at], rectified), `${algorithm}: output ${at}, ${plain[at]} rectified`).toBe(true);
        const [i, j] = [Math.floor(at / outWidth) % outHeight, at % outWidth];
        if (i <= 2 && j >= 1 && j <= 3) expect(Number.isNaN(plain[at]) && Object.is(fused[at], 0) && Object.is(expected[at], 0), `${algorithm}: NaN → +0 at ${at}`).toBe(true);
      }
      const zeros = wasm.allocFloats(n.input);
      wasm.conv2dReluForward(s, zeros, w, wasmCopy(new Array(s.outChannels).fill(-0)), fused);
      expect(fused.every((v) => Object.is(v, 0)), `${algorithm}: −0 sums rectified to +0`).toBe(true);
    }
  });

  it('matches the reference, forward, fused with the ReLU and backward, for random shapes and paddings', () => {
    fc.assert(
      fc.property(winogradShapes, fc.integer(), (s, seed) => {
        expect(usesWinograd(s)).toBe(true);
        checkWinograd('winograd conv2d', s, new Random(seed));
      }),
      { numRuns: 60 },
    );
  });

  it("matches the reference on the paper's conv2 and the modern net's padded 3×3", () => {
    checkWinograd('paper conv2', conv3({ batch: 3, inChannels: 32, height: 13, width: 13, outChannels: 64 }), new Random(11));
    checkWinograd('modern conv', conv3({ batch: 2, inChannels: 16, height: 14, width: 14, outChannels: 32, padding: 1 }), new Random(12));
  });

  it('matches the reference on batches of several chunks, the last one partial', () => {
    // 3×3 outputs are 4 tiles an image and a call takes 36 images; 4×4 ones likewise
    checkWinograd('two chunks, 5×5 inputs', conv3({ batch: 40, inChannels: 16, height: 5, width: 5, outChannels: 17 }), new Random(13));
    checkWinograd('two chunks, padded 4×4 inputs', conv3({ batch: 37, inChannels: 17, height: 4, width: 4, outChannels: 16, padding: 1 }), new Random(14));
    // F(4×4): 8×8 outputs are 4 tiles an image and a call takes 24 images (the kernels' gradient summed over both
    // calls); 12×20 outputs are 15, the last group of an image three tiles and a spare lane, a call 6 images
    const byF4 = [conv3({ batch: 26, inChannels: 8, height: 10, width: 10, outChannels: 9 }), conv3({ batch: 8, inChannels: 8, height: 14, width: 22, outChannels: 9 })];
    expect(byF4.map(usesWinograd4)).toEqual([true, true]);
    checkWinograd('F(4×4), two chunks, 8×8 outputs', byF4[0], new Random(16));
    checkWinograd('F(4×4), two chunks, 12×20 outputs', byF4[1], new Random(17));
  });

  it('transforms the kernels each pass is given: a backward pass after a forward pass with other weights', () => {
    // by F(4×4) (8×8 outputs) and by F(2×2) (6×6)
    for (const s of [conv3({ batch: 2, inChannels: 16, height: 8, width: 8, outChannels: 16, padding: 1 }), conv3({ batch: 2, inChannels: 16, height: 6, width: 6, outChannels: 16, padding: 1 })]) {
      expect([usesWinogradBackward(s), usesWinograd4(s)]).toEqual([true, s.height === 8]);
      const random = new Random(15);
      const n = convSizes(s);
      const [x, b, dy] = [randomFloats(n.input, random), randomFloats(s.outChannels, random), randomFloats(n.output, random)];
      const [forwardWeights, weights] = [randomFloats(n.weight, random), randomFloats(n.weight, random)];
      wasm.conv2dForward(s, x, forwardWeights, b, wasm.allocFloats(n.output));
      const dx = wasm.allocFloats(n.input);
      wasm.conv2dBackward(s, { input: x, weight: weights, dOutput: dy, dWeight: null, dBias: null, dInput: dx });
      const want = new Float32Array(n.input);
      reference.conv2dBackward(s, { input: x, weight: weights, dOutput: dy, dWeight: null, dBias: null, dInput: want });
      expectParity(`${s.height}×${s.height}: dInput with the weights given`, dx, want, tolerances(s, x, weights, b, dy, new Float32Array(n.weight)).dInput);
    }
  });

  it('gives a batch cut into chunks the output and input gradient of one image at a time, bit for bit', () => {
    // F(2×2): 4×4 outputs are 4 tiles an image, so a call takes 36 images: 37 images make a full chunk and one
    // of one; 3×3 outputs (2×2 tiles, the second row and column half empty) and 5×5 (3×3 tiles: spare lanes)
    // likewise. F(4×4): 8×8 outputs are 4 tiles an image, a call 24 images; 11×11 are 9 (spare lanes, the last
    // row and column of tiles a quarter empty), a call 10 images
    for (const [side, batch] of [[6, 37], [5, 40], [7, 17], [10, 25], [13, 23]] as const) {
      const s = conv3({ batch, inChannels: 16, height: side, width: side, outChannels: 18 });
      expect(usesWinograd4(s)).toBe(side >= 10);
      const random = new Random(side);
      const n = convSizes(s);
      const x = randomFloats(n.input, random);
      const w = randomFloats(n.weight, random);
      const b = randomFloats(s.outChannels, random);
      const dy = randomFloats(n.output, random);
      const [y, dx] = [fenced(wasm, new Float32Array(n.output)), fenced(wasm, new Float32Array(n.input))];
      const whole = { y: y.array, dx: dx.array };
      wasm.conv2dReluForward(s, x, w, b, whole.y);
      wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: whole.dx });
      expect(y.tail(), 'past the output').toEqual(new Array(TAIL).fill(SENTINEL));
      expect(dx.tail(), 'past dInput').toEqual(new Array(TAIL).fill(SENTINEL));
      const one: Conv2dShape = { ...s, batch: 1 };
      const [inPer, outPer] = [n.input / batch, n.output / batch];
      const single = { y: wasm.allocFloats(n.output), dx: wasm.allocFloats(n.input) };
      for (let image = 0; image < batch; image++) {
        const xImage = x.subarray(image * inPer, (image + 1) * inPer);
        const dyImage = dy.subarray(image * outPer, (image + 1) * outPer);
        wasm.conv2dReluForward(one, xImage, w, b, single.y.subarray(image * outPer, (image + 1) * outPer));
        wasm.conv2dBackward(one, { input: xImage, weight: w, dOutput: dyImage, dWeight: null, dBias: null, dInput: single.dx.subarray(image * inPer, (image + 1) * inPer) });
      }
      expectParity(`${side}×${side}, ${batch} images: output vs one image at a time`, whole.y, single.y, EXACT);
      expectParity(`${side}×${side}, ${batch} images: dInput vs one image at a time`, whole.dx, single.dx, EXACT);
    }
  });

  it('gives each gradient alone, bit for bit, what it gives beside the other, leaving the one not wanted untouched', async () => {
    // the module's static data lies below the arena: a gradient not wanted has address 0, and nothing may write there
    const staticData = await staticDataOf(wasm);
    const before = staticData();
    for (const [k, s] of [conv3({ batch: 3, inChannels: 17, height: 7, width: 8, outChannels: 18, padding: 1 }), conv3({ batch: 40, inChannels: 16, height: 5, width: 5, outChannels: 16 })].entries()) {
      const random = new Random(30 + k);
      const n = convSizes(s);
      const draw = (length: number) => Array.from({ length }, () => random.uniform(-1, 1));
      const values = { input: draw(n.input), weight: draw(n.weight), dOutput: draw(n.output), dWeight: draw(n.weight), dBias: draw(s.outChannels), dInput: draw(n.input) };
      const run = (wanted: { parameters: boolean; input: boolean }) => {
        const arrays = Object.fromEntries(Object.entries(values).map(([name, v]) => [name, fenced(wasm, v)]));
        const array = (name: string) => arrays[name].array;
        wasm.conv2dBackward(s, {
          input: array('input'), weight: array('weight'), dOutput: array('dOutput'),
          dWeight: wanted.parameters ? array('dWeight') : null, dBias: wanted.parameters ? array('dBias') : null, dInput: wanted.input ? array('dInput') : null,
        });
        for (const name of Object.keys(values)) expect(arrays[name].tail(), `${JSON.stringify(wanted)}: past ${name}`).toEqual(new Array(TAIL).fill(SENTINEL));
        return { dWeight: [...array('dWeight')], dBias: [...array('dBias')], dInput: [...array('dInput')] };
      };
      const both = run({ parameters: true, input: true });
      const parameters = run({ parameters: true, input: false });
      const input = run({ parameters: false, input: true });
      const neither = run({ parameters: false, input: false });
      expect(parameters.dWeight).toEqual(both.dWeight);
      expect(parameters.dBias).toEqual(both.dBias);
      expect(input.dInput).toEqual(both.dInput);
      const given = (name: keyof typeof values) => [...Float32Array.from(values[name])];
      expect(parameters.dInput).toEqual(given('dInput'));
      expect([input.dWeight, input.dBias]).toEqual([given('dWeight'), given('dBias')]);
      expect(neither).toEqual({ dWeight: given('dWeight'), dBias: given('dBias'), dInput: given('dInput') });
      expect(both.dWeight).not.toEqual(given('dWeight'));
      expect(both.dInput).not.toEqual(given('dInput'));
    }
    expect(staticData()).toEqual(before);
  });

  it("F(4×4)'s scratch: V, M, the plane and the tile offsets, the input transform's rows, then one plane an image and every tile's corner; the forward pass writes inside it", () => {
    const kernels = (wasm as unknown as { kernels: KernelExports }).kernels;
    // 1, 3 and 10 images; 9, 3×2 and 2×3 tiles an image (11×11, 9×8 and 8×12 outputs); paddings 0, 1 and 2
    const shapes = [
      conv3({ batch: 1, inChannels: 8, height: 13, width: 13, outChannels: 8 }),
      conv3({ batch: 3, inChannels: 9, height: 9, width: 8, outChannels: 12, padding: 1 }),
      conv3({ batch: 10, inChannels: 8, height: 6, width: 10, outChannels: 9, padding: 2 }),
    ];
    expect(shapes.map(usesWinograd4)).toEqual([true, true, true]); // so the backend's pass below is F(4×4) too
    const align4 = (n: number) => Math.ceil(n / 4) * 4;
    for (const s of shapes) {
      const { outHeight, outWidth } = convGeometry(s);
      const P = s.padding ?? 0;
      const [tileRows, tileCols] = [Math.ceil(outHeight / 4), Math.ceil(outWidth / 4)];
      const perImage = tileRows * tileCols;
      const tiles = s.batch * perImage;
      const plane = align4((4 * tileRows + 2) * (4 * tileCols + 2));
      const v = 36 * s.inChannels * (Math.floor((tiles + 6) / 4) * 4);
      const m = align4(tiles * 36 * s.outChannels + 4);
      const expected = v + m + plane + align4(perImage) + 36 * 4 + s.batch * plane + align4(tiles);
      const floats = kernels.winograd4ScratchFloats(s.batch, s.inChannels, s.height, s.width, P, s.outChannels);
      expect(floats, JSON.stringify(s)).toBe(expected);
      const n = convSizes(s);
      const random = new Random(9);
      const [x, w, b] = [randomFloats(n.input, random), randomFloats(n.weight, random), randomFloats(s.outChannels, random)];
      const u = wasm.allocFloats(36 * s.inChannels * s.outChannels);
      kernels.winograd4Kernels(w.byteOffset, s.outChannels, s.inChannels, u.byteOffset);
      const packedU = wasm.allocFloats(kernels.winogradPackedKernelFloats(36, s.inChannels, s.outChannels));
      kernels.winogradPackKernels(u.byteOffset, 36, s.inChannels, s.outChannels, packedU.byteOffset);
      const scratch = fenced(wasm, new Float32Array(floats));
      const y = wasm.allocFloats(n.output);
      kernels.winograd4Convolve(x.byteOffset, s.batch, s.inChannels, s.height, s.width, P, packedU.byteOffset, s.outChannels, b.byteOffset, 0, y.byteOffset, scratch.array.byteOffset, 0);
      expect(scratch.tail(), `${JSON.stringify(s)}: nothing written past the scratch`).toEqual(new Array(TAIL).fill(SENTINEL));
      const expectedY = wasm.allocFloats(n.output);
      wasm.conv2dForward(s, x, w, b, expectedY);
      expect([...y], JSON.stringify(s)).toEqual([...expectedY]); // the backend's pass, whatever its chunks: the same numbers
    }
  });

  it('fits what its kernels write into the blocks it takes, on a fresh backend whatever ran before', async () => {
    // A first pass takes the scratch blocks from the arena's top; a fence allocated right after lies above
    // them, and a block smaller than what its kernel writes would spill into it on the second pass.
    const bytes = readFileSync(kernelsWasmPath('simd'));
    // by F(2×2) (4×5 outputs), then by F(4×4) (11×11), then by F(2×2) on 100 images of 4×4 outputs: chunks of 36
    // images, each of whose 16·C floats a tile is more than F(4×4)'s chunk would hold (96 images of one tile, 36·C)
    const shapes = [
      conv3({ batch: 5, inChannels: 8, height: 6, width: 7, outChannels: 36 }),
      conv3({ batch: 2, inChannels: 36, height: 9, width: 9, outChannels: 8, padding: 2 }),
      conv3({ batch: 100, inChannels: 16, height: 4, width: 4, outChannels: 16, padding: 1 }),
    ];
    expect(shapes.map(usesWinograd4)).toEqual([false, true, false]);
    expect(shapes.map(usesWinogradBackward)).toEqual([true, true, true]);
    for (const [k, [s, backwardOnly]] of shapes.flatMap((s) => [[s, false], [s, true]] as const).entries()) {
      const fresh = await createWasmBackendFromBytes(bytes, { maximumBytes: 64 * 1024 * 1024 });
      try {
        const random = new Random(50 + k);
        const n = convSizes(s);
        const copy = (length: number) => {
          const array = fresh.allocFloats(length) as Float32Array;
          for (let i = 0; i < length; i++) array[i] = random.uniform(-1, 1);
          return array;
        };
        const [x, w, b, dy] = [copy(n.input), copy(n.weight), copy(s.outChannels), copy(n.output)];
        const pass = () => {
          const g = { y: fresh.allocFloats(n.output), dWeight: fresh.allocFloats(n.weight), dBias: fresh.allocFloats(s.outChannels), dInput: fresh.allocFloats(n.input) };
          if (!backwardOnly) fresh.conv2dForward(s, x, w, b, g.y);
          fresh.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: g.dWeight, dBias: g.dBias, dInput: g.dInput });
          return g;
        };
        const first = pass();
        const fence = (fresh.allocFloats(4096) as Float32Array).fill(SENTINEL);
        const second = pass();
        expect([...fence], JSON.stringify(s)).toEqual(new Array(4096).fill(SENTINEL));
        expect(second).toEqual(first);
        const want = { y: new Float32Array(n.output), dWeight: new Float32Array(n.weight), dBias: new Float32Array(s.outChannels), dInput: new Float32Array(n.input) };
        reference.conv2dForward(s, x, w, b, want.y);
        reference.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: want.dWeight, dBias: want.dBias, dInput: want.dInput });
        const tolerance = tolerances(s, x, w, b, dy, new Float32Array(n.weight));
        if (!backwardOnly) expectParity('fresh output', second.y, want.y, tolerance.output);
        expectParity('fresh dWeight', second.dWeight, want.dWeight, tolerance.dWeight);
        expectParity('fresh dInput', second.dInput, want.dInput, tolerance.dInput);
      } finally {
        fresh.dispose();
      }
    }
  });

  it("is Winograd that runs, not the direct sum: on a tile where the direct sums are exact, the transforms' roundings show", () => {
    // One 4×4 tile, one kernel tap w[0, 0, 2, 2] = 1, images of 2²⁵ and 1s: each direct sum adds one non-zero
    // product to zeros, exactly. Winograd first adds values of the tile (Bᵀ d B, A dY Aᵀ), and 2²⁵ ± 1 is not
    // a float32: the 1s are lost, and the results are not exact.
    const s = conv3({ batch: 1, inChannels: 16, height: 4, width: 4, outChannels: 16 });
    const n = convSizes(s);
    const w = wasm.allocFloats(n.weight);
    w[8] = 1; // w[0, 0, 2, 2]
    const none = new Float32Array(s.outChannels);
    // out(i, j) = d(i + 2, j + 2) in channel 0: exactly 1 each (d(1, 1) = 2²⁵ meets only the zero taps)
    const x = wasm.allocFloats(n.input);
    x.set([0, 0, 0, 0, 0, 2 ** 25, 0, 0, 0, 0, 1, 1, 0, 0, 1, 1]);
    const [y, direct] = [wasm.allocFloats(n.output), new Float32Array(n.output)];
    wasm.conv2dForward(s, x, w, wasm.allocFloats(s.outChannels), y);
    reference.conv2dForward(s, x, w, none, direct);
    expect([...direct.subarray(0, 4)]).toEqual([1, 1, 1, 1]);
    expect([...y]).not.toEqual([...direct]);
    // dInput(i + 2, j + 2) = dOutput(i, j) in channel 0, and 0 elsewhere: dOutput 2²⁵ at (0, 0), 1 at (1, 1)
    const dy = wasm.allocFloats(n.output);
    dy.set([2 ** 25, 0, 0, 1]);
    const [dx, directDx] = [wasm.allocFloats(n.input), new Float32Array(n.input)];
    wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: dx });
    reference.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: directDx });
    expect([directDx[2 * 4 + 2], directDx[3 * 4 + 3]]).toEqual([2 ** 25, 1]);
    expect([...dx]).not.toEqual([...directDx]);
  });

  it('writes no gradient it was not asked for, in any chunk: the block a fresh arena hands out first stays as it was', async () => {
    // A null gradient's address is 0; a later chunk's offset added to it would point into the arena: past its
    // GEMM panels (its first megabytes), into the block a fresh backend hands out first.
    const fresh = await createWasmBackendFromBytes(readFileSync(kernelsWasmPath('simd')), { maximumBytes: 64 * 1024 * 1024 });
    try {
      const staticData = await staticDataOf(fresh);
      const low = (fresh.allocFloats(1 << 22) as Float32Array).fill(SENTINEL);
      const before = staticData();
      const s = conv3({ batch: 100, inChannels: 16, height: 40, width: 40, outChannels: 16 }); // F(4×4): 100 tiles, a chunk an image
      expect(usesWinograd4(s)).toBe(true);
      const random = new Random(60);
      const n = convSizes(s);
      const imageBytes = (n.input / s.batch) * 4;
      expect(low.byteOffset).toBeLessThan((s.batch - 1) * imageBytes); // the last chunks would land in `low`
      expect(low.byteOffset + low.byteLength).toBeGreaterThan(s.batch * imageBytes);
      const draw = (length: number) => {
        const array = fresh.allocFloats(length) as Float32Array;
        for (let i = 0; i < length; i++) array[i] = random.uniform(-1, 1);
        return array;
      };
      const [x, w, dy] = [draw(n.input), draw(n.weight), draw(n.output)];
      fresh.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: draw(n.weight), dBias: draw(s.outChannels), dInput: null });
      fresh.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: draw(n.input) });
      expect(low.every((v) => v === SENTINEL)).toBe(true);
      expect(staticData()).toEqual(before);
    } finally {
      fresh.dispose();
    }
  });
});
