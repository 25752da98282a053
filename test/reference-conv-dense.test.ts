/**
 * The reference convolution and dense layer (src/backend/reference/conv2d.ts, dense.ts) against a second
 * implementation written here another way: the convolution on an explicitly zero-padded copy of the input, its
 * backward by scattering each dOutput onto the taps that read it (where the reference gathers, for each input
 * pixel, the outputs whose windows hold it), then cropping the border off. The operands are small integers, so
 * every sum is exact in float64 and the two must agree exactly, whatever order they add in. The dense layer
 * likewise against a sample-at-a-time version. Plus an example of each worked by hand: a convolution whose every
 * pixel is read by exactly one tap (kernel 2, stride 2, padding 1), and a dense layer's 2×3 by 3×2 product.
 *
 * Fast on purpose: the mutation group reference-conv-dense runs it for every mutant of those two modules.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape, DenseShape } from '../src/backend/backend.js';
import { conv2dBackward, conv2dForward } from '../src/backend/reference/conv2d.js';
import { denseBackward, denseForward } from '../src/backend/reference/dense.js';
import { Random } from '../src/random.js';
import { convShapes } from './fixtures/conv-shapes.js';

/** `length` integers in −3…3. */
function integers(length: number, random: Random): Float64Array {
  return Float64Array.from({ length }, () => random.int(7) - 3);
}

/** The gradients a backward pass is handed; null: not wanted. */
interface Gradients {
  dWeight: Float64Array | null;
  dBias: Float64Array | null;
  dInput: Float64Array | null;
}

/**
 * A backward pass against the second implementation's gradients (`want`, from zero): with every gradient, dW and
 * dB accumulate onto what they hold and dInput is overwritten; without dInput the parameter gradients are the
 * same, and without them dInput is.
 */
function expectBackward(backward: (gradients: Gradients) => void, want: { dw: Float64Array; db: Float64Array; dx: Float64Array }, random: Random): void {
  const [dw0, db0] = [integers(want.dw.length, random), integers(want.db.length, random)];
  const [dw, db, dx] = [dw0.slice(), db0.slice(), new Float64Array(want.dx.length).fill(NaN)];
  backward({ dWeight: dw, dBias: db, dInput: dx });
  expect([...dx]).toEqual([...want.dx]);
  expect([...dw]).toEqual([...want.dw].map((v, k) => v + dw0[k]));
  expect([...db]).toEqual([...want.db].map((v, k) => v + db0[k]));
  const [dwOnly, dbOnly] = [dw0.slice(), db0.slice()];
  backward({ dWeight: dwOnly, dBias: dbOnly, dInput: null });
  expect([...dwOnly]).toEqual([...dw]);
  expect([...dbOnly]).toEqual([...db]);
  const dxOnly = new Float64Array(want.dx.length).fill(NaN);
  backward({ dWeight: null, dBias: null, dInput: dxOnly });
  expect([...dxOnly]).toEqual([...want.dx]);
}

/** The test's own convolution: y, dW, dB and dx of shape s, on the padded copy of x; dW and dB start at zero. */
function convolveByScatter(s: Conv2dShape, x: Float64Array, w: Float64Array, b: Float64Array, dy: Float64Array) {
  const { batch: N, inChannels: C, height: H, width: W, outChannels: F, kernelSize: K } = s;
  const [S, P] = [s.stride ?? 1, s.padding ?? 0];
  const [HP, WP] = [H + 2 * P, W + 2 * P];
  const [OH, OW] = [Math.floor((HP - K) / S) + 1, Math.floor((WP - K) / S) + 1];
  const xp = new Float64Array(N * C * HP * WP);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let u = 0; u < H; u++) for (let v = 0; v < W; v++) xp[((n * C + c) * HP + u + P) * WP + v + P] = x[((n * C + c) * H + u) * W + v];
  const y = new Float64Array(N * F * OH * OW);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(F);
  const dxp = new Float64Array(xp.length);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      for (let i = 0; i < OH; i++) {
        for (let j = 0; j < OW; j++) {
          const at = ((n * F + f) * OH + i) * OW + j;
          y[at] = b[f];
          db[f] += dy[at];
          for (let c = 0; c < C; c++) {
            for (let p = 0; p < K; p++) {
              for (let q = 0; q < K; q++) {
                const tap = ((n * C + c) * HP + S * i + p) * WP + S * j + q;
                const weight = ((f * C + c) * K + p) * K + q;
                y[at] += w[weight] * xp[tap];
                dw[weight] += dy[at] * xp[tap];
                dxp[tap] += dy[at] * w[weight];
              }
            }
          }
        }
      }
    }
  }
  const dx = new Float64Array(x.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let u = 0; u < H; u++) for (let v = 0; v < W; v++) dx[((n * C + c) * H + u) * W + v] = dxp[((n * C + c) * HP + u + P) * WP + v + P];
  return { y, dw, db, dx };
}

const shapes = convShapes({ batch: 3, inChannels: 3, outChannels: 3, kernelSize: 4, stride: 3, padding: 3, extra: 5 });

describe('reference conv2d against a second implementation (padded copy, backward by scatter)', () => {
  it('forward and backward agree exactly over random shapes, strides 1–3 and paddings 0–3 (past the kernel too)', () => {
    fc.assert(
      fc.property(shapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const x = integers(s.batch * s.inChannels * s.height * s.width, random);
        const w = integers(s.outChannels * s.inChannels * s.kernelSize ** 2, random);
        const b = integers(s.outChannels, random);
        const dy = integers(outputLength(s), random);
        const want = convolveByScatter(s, x, w, b, dy);
        const y = new Float64Array(want.y.length).fill(NaN); // overwritten
        conv2dForward(s, x, w, b, y);
        expect([...y]).toEqual([...want.y]);
        expectBackward((gradients) => conv2dBackward(s, { input: x, weight: w, dOutput: dy, ...gradients }), want, random);
      }),
      { numRuns: 60 },
    );
  });

  it('by hand: a 3×3 image, a 2×2 kernel, stride 2, padding 1 — each pixel read by exactly one tap', () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,2],[3,4]], b = 0; output (i, j) reads rows 2i−1…2i, columns 2j−1…2j.
    // Pixel row 0 is read by tap row 1 (i = 0), row 1 by tap row 0 (i = 1), row 2 by tap row 1 (i = 1); columns alike.
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernelSize: 2, stride: 2, padding: 1 };
    const x = Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9);
    const w = Float64Array.of(1, 2, 3, 4);
    const [dw, db, dx] = [new Float64Array(4), new Float64Array(1), new Float64Array(9)];
    conv2dBackward(s, { input: x, weight: w, dOutput: Float64Array.of(1, 1, 1, 1), dWeight: dw, dBias: db, dInput: dx });
    // dx[u, v] = w[tap row of u, tap column of v]: rows (1, 0, 1), columns (1, 0, 1).
    expect([...dx]).toEqual([4, 3, 4, 2, 1, 2, 4, 3, 4]);
    // dW[p, q] = Σ of the pixels tap (p, q) reads: (0,0) x[1,1] = 5; (0,1) x[1,0] + x[1,2] = 10;
    // (1,0) x[0,1] + x[2,1] = 10; (1,1) x[0,0] + x[0,2] + x[2,0] + x[2,2] = 20. dB = four outputs × 1.
    expect([...dw]).toEqual([5, 10, 10, 20]);
    expect([...db]).toEqual([4]);
  });
});

/**
 * The test's own dense layer, a sample at a time as matrix-vector products: y_n = W·x_n + b,
 * dW = Σ_n dy_n ⊗ x_n, dB = Σ_n dy_n, dx_n = Wᵀ·dy_n; dW and dB start at zero.
 */
function denseByRows(s: DenseShape, x: Float64Array, w: Float64Array, b: Float64Array, dy: Float64Array) {
  const { batch: N, inFeatures: I, outFeatures: O } = s;
  const y = new Float64Array(N * O);
  const [dw, db, dx] = [new Float64Array(O * I), new Float64Array(O), new Float64Array(N * I)];
  for (let n = 0; n < N; n++) {
    const [xn, dyn] = [x.subarray(n * I, (n + 1) * I), dy.subarray(n * O, (n + 1) * O)];
    for (let o = 0; o < O; o++) {
      const row = w.subarray(o * I, (o + 1) * I);
      y[n * O + o] = row.reduce((sum, wi, i) => sum + wi * xn[i], b[o]);
      db[o] += dyn[o];
      for (let i = 0; i < I; i++) {
        dw[o * I + i] += dyn[o] * xn[i];
        dx[n * I + i] += row[i] * dyn[o];
      }
    }
  }
  return { y, dw, db, dx };
}

describe('reference dense against a second implementation (a sample at a time)', () => {
  it('forward and backward agree exactly over random sizes, with and without each gradient', () => {
    const shapes = fc.record({ batch: fc.integer({ min: 1, max: 4 }), inFeatures: fc.integer({ min: 1, max: 5 }), outFeatures: fc.integer({ min: 1, max: 5 }) });
    fc.assert(
      fc.property(shapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const x = integers(s.batch * s.inFeatures, random);
        const w = integers(s.outFeatures * s.inFeatures, random);
        const b = integers(s.outFeatures, random);
        const dy = integers(s.batch * s.outFeatures, random);
        const want = denseByRows(s, x, w, b, dy);
        const y = new Float64Array(want.y.length).fill(NaN);
        denseForward(s, x, w, b, y);
        expect([...y]).toEqual([...want.y]);
        expectBackward((gradients) => denseBackward(s, { input: x, weight: w, dOutput: dy, ...gradients }), want, random);
      }),
      { numRuns: 60 },
    );
  });

  it('by hand: two samples of 3 features into 2 outputs', () => {
    // x = [[1, 2, 3], [4, 5, 6]], W = [[1, 0, −1], [2, 1, 0]], b = [10, 20]:
    // y = [[1 − 3 + 10, 2 + 2 + 20], [4 − 6 + 10, 8 + 5 + 20]] = [[8, 24], [8, 33]].
    const s: DenseShape = { batch: 2, inFeatures: 3, outFeatures: 2 };
    const [x, w] = [Float64Array.of(1, 2, 3, 4, 5, 6), Float64Array.of(1, 0, -1, 2, 1, 0)];
    const y = new Float64Array(4);
    denseForward(s, x, w, Float64Array.of(10, 20), y);
    expect([...y]).toEqual([8, 24, 8, 33]);
    // dy = [[1, 0], [0, 2]]: dW = dyᵀ·x = [[1, 2, 3], [8, 10, 12]], dB = [1, 2], dx = dy·W = [[1, 0, −1], [4, 2, 0]].
    const [dw, db, dx] = [new Float64Array(6), new Float64Array(2), new Float64Array(6)];
    denseBackward(s, { input: x, weight: w, dOutput: Float64Array.of(1, 0, 0, 2), dWeight: dw, dBias: db, dInput: dx });
    expect([...dw]).toEqual([1, 2, 3, 8, 10, 12]);
    expect([...db]).toEqual([1, 2]);
    expect([...dx]).toEqual([1, 0, -1, 4, 2, 0]);
  });
});

/** N·F·OH·OW for shape s. */
function outputLength(s: Conv2dShape): number {
  const OH = Math.floor((s.height + 2 * (s.padding ?? 0) - s.kernelSize) / (s.stride ?? 1)) + 1;
  const OW = Math.floor((s.width + 2 * (s.padding ?? 0) - s.kernelSize) / (s.stride ?? 1)) + 1;
  return s.batch * s.outChannels * OH * OW;
}
