/**
 * The wasm batch norm (forward and backward, training and evaluation) and the dropout mask product
 * against the float32 reference (src/backend/reference/batch-norm.ts, float64 sums), over random shapes:
 * batches 1–5, 1–6 channels, 1 position (BatchNorm1d) or up to 40 (odd counts: the f32x4 loops' tails),
 * inputs centred at 0, 3 or 1000 (where a float32 one-pass variance would lose every digit).
 *
 * Tolerances, with u = 2⁻²⁴ (assembly/batch-norm.ts explains the arithmetic):
 * - Per-channel sums (μ, σ², Σdy, Σdy·x̂) run in float64 in both, in different orders: they differ by
 *   about M·2⁻⁵³·Σ|terms| — far below one float32 rounding. So the values rounded once from them
 *   (savedMean, savedInvStd, the running statistics, dGamma, dBeta) are within 2u of the reference's,
 *   relative to |value| (+ the sum's Σ|terms| for a mean or an accumulated gradient, whose value may
 *   cancel to near 0).
 * - The elementwise passes run in float32: y = (x − μ)·s + β has the roundings of μ and s, of the
 *   subtraction, the product and the sum, each ≤ u times a term of m = |x·s| + |μ·s| + |β|, so
 *   |Δy| ≤ 6u·m; the test allows 8u·m. Likewise ∂x = a·dy − (b·(x − μ) + d) within 8u·(|a·dy| +
 *   |b|·(|x| + |μ|) + |d|). A missing or wrong term is an error of order m itself, far outside.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { BatchNormShape, BatchNormState } from '../src/backend/backend.js';
import { XcnnError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { EXACT, FLOAT32_UNIT_ROUNDOFF as u, expectParity, printMargins } from './parity.js';
import { randomFloats, reference, wasm, wasmCopy } from './wasm-fixtures.js';

interface Case {
  shape: BatchNormShape;
  training: boolean;
  centre: number;
  momentum: number;
  seed: number;
}

const cases: fc.Arbitrary<Case> = fc.record({
  shape: fc.record({
    batch: fc.integer({ min: 1, max: 5 }),
    channels: fc.integer({ min: 1, max: 6 }),
    positions: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 40 })),
  }),
  training: fc.boolean(),
  centre: fc.constantFrom(0, 3, 1000),
  momentum: fc.oneof(fc.constant(0.1), fc.double({ min: 0, max: 1, noNaN: true })),
  seed: fc.integer(),
});

/** A state in wasm memory: γ, β random, running statistics plausible, saved ones garbage (overwritten). */
function randomState(C: number, random: Random, c: Case): BatchNormState {
  return {
    gamma: randomFloats(C, random, -2, 2),
    beta: randomFloats(C, random, -1, 1),
    runningMean: randomFloats(C, random, c.centre - 1, c.centre + 1),
    runningVar: randomFloats(C, random, 0.01, 2),
    training: c.training,
    momentum: c.momentum,
    epsilon: 1e-5,
    savedMean: randomFloats(C, random),
    savedInvStd: randomFloats(C, random),
  };
}

/** A plain copy of a state (for the reference), with its own arrays. */
function copyState(state: BatchNormState): BatchNormState {
  const copy = (a: ArrayLike<number>) => Float32Array.from(a);
  return { ...state, gamma: copy(state.gamma), beta: copy(state.beta), runningMean: copy(state.runningMean), runningVar: copy(state.runningVar), savedMean: copy(state.savedMean), savedInvStd: copy(state.savedInvStd) };
}

/** Relative tolerance `rtol` of a per-element magnitude. */
function relative(rtol: number, magnitudes: ArrayLike<number>) {
  return { atol: 0, rtol, magnitudes };
}

function checkBatchNorm(c: Case): void {
  const { batch: N, channels: C, positions: P } = c.shape;
  const random = new Random(c.seed);
  const length = N * C * P;
  const input = randomFloats(length, random, c.centre - 1, c.centre + 1);
  const state = randomState(C, random, c);
  const previous = copyState(state);
  const expectedState = copyState(state);
  const output = randomFloats(length, random); // garbage: overwritten
  const expectedOutput = new Float32Array(length);
  reference.batchNormForward(c.shape, input, expectedOutput, expectedState);
  wasm.batchNormForward(c.shape, input, output, state);

  const at = (n: number, ch: number, k: number) => (n * C + ch) * P + k;
  // Per channel: mean |x| (a mean's Σ|terms|/M), and the forward's m = |x·s| + |μ·s| + |β| per element.
  const meanAbs = new Float64Array(C);
  const outputScale = new Float64Array(length);
  for (let ch = 0; ch < C; ch++) {
    const s = expectedState.gamma[ch] * expectedState.savedInvStd[ch];
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < P; k++) {
        const x = input[at(n, ch, k)];
        meanAbs[ch] += Math.abs(x) / (N * P);
        outputScale[at(n, ch, k)] = Math.abs(x * s) + Math.abs(expectedState.savedMean[ch] * s) + Math.abs(expectedState.beta[ch]);
      }
    }
  }
  const plus = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => Math.abs(v) + Math.abs(b[i]));
  expectParity('batchNorm savedMean', state.savedMean, expectedState.savedMean, relative(2 * u, plus(expectedState.savedMean, meanAbs)));
  expectParity('batchNorm savedInvStd', state.savedInvStd, expectedState.savedInvStd, relative(2 * u, expectedState.savedInvStd));
  // running ← (1 − m)·running + m·batch: magnitude |(1 − m)·old| + |m·batch| (≤ |old| + |batch|).
  expectParity('batchNorm runningMean', state.runningMean, expectedState.runningMean, relative(2 * u, plus(previous.runningMean, plus(expectedState.savedMean, meanAbs))));
  expectParity('batchNorm runningVar', state.runningVar, expectedState.runningVar, relative(2 * u, plus(previous.runningVar, expectedState.runningVar)));
  if (!c.training) {
    expectParity('batchNorm running statistics unchanged in evaluation', state.runningMean, previous.runningMean, EXACT);
    expectParity('batchNorm running variance unchanged in evaluation', state.runningVar, previous.runningVar, EXACT);
  }
  expectParity(`batchNorm output (${c.training ? 'training' : 'evaluation'})`, output, expectedOutput, relative(8 * u, outputScale));

  // Backward, from the forward's saved statistics (the reference gets the same, wasm-written ones).
  const dOutput = randomFloats(length, random);
  const dGamma = randomFloats(C, random);
  const dBeta = randomFloats(C, random);
  const dInput = randomFloats(length, random); // garbage: overwritten
  const before = { dGamma: dGamma.slice(), dBeta: dBeta.slice() };
  const expected = { dGamma: dGamma.slice(), dBeta: dBeta.slice(), dInput: new Float32Array(length) };
  const common = { input, dOutput, gamma: state.gamma, savedMean: state.savedMean, savedInvStd: state.savedInvStd, training: c.training };
  reference.batchNormBackward(c.shape, { ...common, dGamma: expected.dGamma, dBeta: expected.dBeta, dInput: expected.dInput });
  wasm.batchNormBackward(c.shape, { ...common, dGamma, dBeta, dInput });

  // Magnitudes: Σ|dy·x̂| and Σ|dy| per channel (+ the gradient already there), and ∂x's m.
  const sumAbsDyXhat = new Float64Array(C);
  const sumAbsDy = new Float64Array(C);
  const sumDy = new Float64Array(C);
  const sumDyXhat = new Float64Array(C);
  for (let ch = 0; ch < C; ch++) {
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < P; k++) {
        const dy = dOutput[at(n, ch, k)];
        const xhat = (input[at(n, ch, k)] - state.savedMean[ch]) * state.savedInvStd[ch];
        sumAbsDyXhat[ch] += Math.abs(dy * xhat);
        sumAbsDy[ch] += Math.abs(dy);
        sumDy[ch] += dy;
        sumDyXhat[ch] += dy * xhat;
      }
    }
  }
  const dInputScale = new Float64Array(length);
  for (let ch = 0; ch < C; ch++) {
    const a = state.gamma[ch] * state.savedInvStd[ch];
    const b = c.training ? ((a / (N * P)) * state.savedInvStd[ch] * sumDyXhat[ch]) : 0;
    const d = c.training ? (a / (N * P)) * sumDy[ch] : 0;
    for (let n = 0; n < N; n++) {
      for (let k = 0; k < P; k++) {
        const i = at(n, ch, k);
        dInputScale[i] = Math.abs(a * dOutput[i]) + Math.abs(b) * (Math.abs(input[i]) + Math.abs(state.savedMean[ch])) + Math.abs(d);
      }
    }
  }
  // dGamma ← dGamma + Σ: magnitude |dGamma before| + Σ|terms| (the sum may cancel to near 0).
  expectParity('batchNorm dGamma', dGamma, expected.dGamma, relative(2 * u, plus(before.dGamma, sumAbsDyXhat)));
  expectParity('batchNorm dBeta', dBeta, expected.dBeta, relative(2 * u, plus(before.dBeta, sumAbsDy)));
  expectParity(`batchNorm dInput (${c.training ? 'training' : 'evaluation'})`, dInput, expected.dInput, relative(8 * u, dInputScale));

  // Without dInput: the same parameter gradients, nothing else written.
  const again = { dGamma: wasm.allocFloats(C), dBeta: wasm.allocFloats(C) };
  const once = { dGamma: wasm.allocFloats(C), dBeta: wasm.allocFloats(C) };
  wasm.batchNormBackward(c.shape, { ...common, ...again, dInput: null });
  wasm.batchNormBackward(c.shape, { ...common, ...once, dInput: wasm.allocFloats(length) });
  expectParity('batchNorm dGamma without dInput', again.dGamma, once.dGamma, EXACT);
  expectParity('batchNorm dBeta without dInput', again.dBeta, once.dBeta, EXACT);
}

describe('batchNorm (wasm)', () => {
  afterAll(printMargins);

  it('forward and backward match the reference in training and evaluation, within the stated float32 bounds', () => {
    fc.assert(fc.property(cases, checkBatchNorm), { numRuns: 200 });
  });

  it("matches on the modern preset's shapes (32, 64 and 128 channels of 28×28, 14×14 and 7×7)", () => {
    for (const [channels, side] of [[32, 28], [64, 14], [128, 7]]) {
      for (const training of [true, false]) checkBatchNorm({ shape: { batch: 3, channels, positions: side * side }, training, centre: 0, momentum: 0.1, seed: channels + side });
    }
  });

  it('normalises a worked example: one channel [1, 2, 3, 4] → ±1.342, ±0.447 (biased variance 1.25); running variance takes 1.25·4/3', () => {
    const input = wasmCopy([1, 2, 3, 4]);
    const output = wasm.allocFloats(4);
    const state: BatchNormState = {
      gamma: wasmCopy([1]),
      beta: wasmCopy([0]),
      runningMean: wasmCopy([0]),
      runningVar: wasmCopy([1]),
      training: true,
      momentum: 0.1,
      epsilon: 0,
      savedMean: wasm.allocFloats(1),
      savedInvStd: wasm.allocFloats(1),
    };
    wasm.batchNormForward({ batch: 2, channels: 1, positions: 2 }, input, output, state);
    const z = 1 / Math.sqrt(1.25);
    expect([...output].map((v) => +v.toFixed(5))).toEqual([-1.5 * z, -0.5 * z, 0.5 * z, 1.5 * z].map((v) => +v.toFixed(5)));
    expect(state.savedMean[0]).toBe(2.5);
    expect(state.runningMean[0]).toBeCloseTo(0.25, 6);
    expect(state.runningVar[0]).toBeCloseTo(0.9 + 0.1 * (1.25 * 4) / 3, 6);
  });

  it('refuses arrays outside its memory and arrays of the wrong length', () => {
    const s: BatchNormShape = { batch: 2, channels: 3, positions: 4 };
    const random = new Random(1);
    const state = randomState(3, random, { shape: s, training: true, centre: 0, momentum: 0.1, seed: 1 });
    const input = randomFloats(24, random);
    expect(() => wasm.batchNormForward(s, input, new Float32Array(24), state)).toThrow(/output is not in this wasm backend's memory/);
    expect(() => wasm.batchNormForward(s, input, wasm.allocFloats(24), { ...state, runningVar: new Float32Array(3) })).toThrow(/runningVar is not in this wasm backend's memory/);
    expect(() => wasm.batchNormForward(s, input, wasm.allocFloats(23), state)).toThrow(XcnnError);
    expect(() => wasm.batchNormForward(s, input, wasm.allocFloats(24), { ...state, gamma: wasm.allocFloats(2) })).toThrow(XcnnError);
    const g = { input, dOutput: wasm.allocFloats(24), gamma: state.gamma, savedMean: state.savedMean, savedInvStd: state.savedInvStd, training: true, dGamma: wasm.allocFloats(3), dBeta: wasm.allocFloats(3), dInput: wasm.allocFloats(24) };
    expect(() => wasm.batchNormBackward(s, { ...g, dInput: new Float32Array(24) })).toThrow(/dInput is not in this wasm backend's memory/);
    expect(() => wasm.batchNormBackward(s, { ...g, dBeta: new Float32Array(3) })).toThrow(/dBeta is not in this wasm backend's memory/);
    expect(() => wasm.batchNormBackward(s, { ...g, dOutput: wasm.allocFloats(25) })).toThrow(XcnnError);
  });
});

describe('multiplyElementwise (wasm)', () => {
  afterAll(printMargins);

  it("is the reference's product bit for bit (one rounding each), out of place and in place", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 67 }), fc.integer(), (length, seed) => {
        const random = new Random(seed);
        const input = randomFloats(length, random);
        const mask = wasm.allocFloats(length);
        for (let k = 0; k < length; k++) mask[k] = random.uniform(0, 1) < 0.25 ? 0 : 1 / 0.75; // inverted dropout's mask
        const expected = new Float32Array(length);
        reference.multiplyElementwise(input, mask, expected);
        const output = randomFloats(length, random);
        wasm.multiplyElementwise(input, mask, output);
        expectParity('multiplyElementwise', output, expected, EXACT);
        wasm.multiplyElementwise(input, mask, input);
        expectParity('multiplyElementwise in place', input, expected, EXACT);
      }),
      { numRuns: 100 },
    );
  });

  it('refuses arrays outside its memory and arrays of different lengths', () => {
    const a = wasm.allocFloats(8);
    expect(() => wasm.multiplyElementwise(a, new Float32Array(8), wasm.allocFloats(8))).toThrow(/mask is not in this wasm backend's memory/);
    expect(() => wasm.multiplyElementwise(a, wasm.allocFloats(8), wasm.allocFloats(7))).toThrow(XcnnError);
  });
});
