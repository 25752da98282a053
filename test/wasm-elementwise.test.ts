/**
 * The wasm ReLU, softmax cross-entropy and Adam kernels against the float32 reference.
 *
 * ReLU is a mask: bit-for-bit. Softmax cross-entropy runs in float64 on both sides and rounds once to
 * float32, so probabilities agree to about one float32 ulp (the two engines' exp may differ in the last
 * float64 bit); a gradient (p − 1)/N near p ≈ 1 inherits that ulp of p, hence its atol of 2⁻²³/N.
 * Adam runs in float32 SIMD against the reference's float64: each of m, v and the step is a handful of
 * float32 operations, so they agree to a few ulps of the magnitudes involved (16u is generous).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { EXACT, expectParity, FLOAT32_UNIT_ROUNDOFF, printMargins } from './parity.js';
import { randomFloats, reference, wasm, wasmCopy } from './wasm-fixtures.js';

const lengths = fc.oneof(fc.constantFrom(1, 3, 5, 7), fc.integer({ min: 1, max: 300 }));

/** Values with the awkward cases mixed in: zeros of both signs, NaN, tiny and huge numbers. */
function awkwardValues(length: number, random: Random): Float32Array {
  const specials = [0, -0, NaN, 1e-40, -1e-40, 3e38, -3e38, Infinity, -Infinity];
  const array = randomFloats(length, random);
  for (let i = 0; i < length; i++) if (random.next() < 0.2) array[i] = specials[random.int(specials.length)];
  return array;
}

describe('relu (wasm)', () => {
  afterAll(printMargins);

  it('forward and backward equal the reference bit for bit, out of place and in place', () => {
    fc.assert(
      fc.property(lengths, fc.integer(), (length, seed) => {
        const random = new Random(seed);
        const x = awkwardValues(length, random);
        const dy = awkwardValues(length, random);
        const expected = { y: new Float32Array(length), dx: new Float32Array(length) };
        reference.reluForward(x, expected.y);
        reference.reluBackward(expected.y, dy, expected.dx);

        const y = wasm.allocFloats(length);
        const dx = wasm.allocFloats(length);
        wasm.reluForward(x, y);
        wasm.reluBackward(y, dy, dx);
        expectParity('relu output', y, expected.y, EXACT);
        expectParity('relu dInput', dx, expected.dx, EXACT);

        const inPlace = wasmCopy(x);
        wasm.reluForward(inPlace, inPlace);
        expectParity('relu output in place', inPlace, expected.y, EXACT);
        const dInPlace = wasmCopy(dy);
        wasm.reluBackward(y, dInPlace, dInPlace);
        expectParity('relu dInput in place', dInPlace, expected.dx, EXACT);
      }),
      { numRuns: 200 },
    );
  });
});

describe('softmaxCrossEntropy (wasm)', () => {
  afterAll(printMargins);

  it('gives the reference probabilities, mean loss and gradient, with and without dLogits', () => {
    const shapes = fc.record({
      batch: fc.oneof(fc.constantFrom(1, 3, 5, 7, 64), fc.integer({ min: 1, max: 20 })),
      classes: fc.oneof(fc.constantFrom(1, 2, 10), fc.integer({ min: 1, max: 17 })),
      spread: fc.constantFrom(1, 10, 60), // 60: logits far apart, probabilities near 0 and 1
    });
    fc.assert(
      fc.property(shapes, fc.integer(), ({ batch, classes, spread }, seed) => {
        const random = new Random(seed);
        const logits = randomFloats(batch * classes, random, -spread, spread);
        const labels = wasm.allocInts(batch);
        for (let n = 0; n < batch; n++) labels[n] = random.int(classes);
        const expected = { probs: new Float32Array(batch * classes), dLogits: new Float32Array(batch * classes) };
        const expectedLoss = reference.softmaxCrossEntropy(batch, classes, logits, labels, expected.probs, expected.dLogits);

        const probs = wasm.allocFloats(batch * classes);
        const dLogits = wasm.allocFloats(batch * classes);
        const loss = wasm.softmaxCrossEntropy(batch, classes, logits, labels, probs, dLogits);
        const probsOnly = wasm.allocFloats(batch * classes);
        const lossOnly = wasm.softmaxCrossEntropy(batch, classes, logits, labels, probsOnly, null);

        const ulp = 2 * FLOAT32_UNIT_ROUNDOFF;
        expectParity('softmax probs', probs, expected.probs, { atol: 1e-45, rtol: ulp });
        expectParity('softmax probs (no dLogits)', probsOnly, expected.probs, { atol: 1e-45, rtol: ulp });
        expectParity('softmax dLogits', dLogits, expected.dLogits, { atol: ulp / batch, rtol: ulp });
        expectParity('softmax loss', [loss, lossOnly], [expectedLoss, expectedLoss], { atol: 1e-12, rtol: 1e-12 });
      }),
      { numRuns: 200 },
    );
  });
});

describe('adamUpdate (wasm)', () => {
  afterAll(printMargins);

  it('moves parameters and moments as the reference (bias correction divides by 1 − βᵗ)', () => {
    const steps = fc.record({
      length: lengths,
      step: fc.oneof(fc.constantFrom(1, 2, 3), fc.integer({ min: 1, max: 10_000 })),
      learningRate: fc.constantFrom(1e-3, 1e-2, 0.1),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(steps, ({ length, step, learningRate, seed }) => {
        const random = new Random(seed);
        const hp = { learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step };
        const params = randomFloats(length, random);
        const grads = randomFloats(length, random);
        const m = randomFloats(length, random, -0.1, 0.1);
        const v = randomFloats(length, random, 0, 0.01);
        const expected = { params: params.slice(), m: m.slice(), v: v.slice() };
        reference.adamUpdate(expected.params, grads, expected.m, expected.v, hp);

        // Magnitudes of the terms each result is made of: β·m and (1−β)·g for m, likewise for v; for θ, θ and
        // the step, plus m's own rounding carried into the step: where β1·m and (1−β1)·g nearly cancel, m's
        // error (≤ u·Σ|terms|) is large next to m, and reaches θ as lr·err(m)/(1−β1ᵗ)/(√v̂ + ε).
        const scale = {
          m: m.map((mk, k) => hp.beta1 * Math.abs(mk) + (1 - hp.beta1) * Math.abs(grads[k])),
          v: v.map((vk, k) => hp.beta2 * vk + (1 - hp.beta2) * grads[k] ** 2),
          params: params.map((p, k) => {
            const mTerms = hp.beta1 * Math.abs(m[k]) + (1 - hp.beta1) * Math.abs(grads[k]);
            const vHat = expected.v[k] / (1 - hp.beta2 ** step);
            const carried = (learningRate * mTerms) / (1 - hp.beta1 ** step) / (Math.sqrt(vHat) + hp.epsilon);
            return Math.abs(p) + Math.abs(p - expected.params[k]) + carried;
          }),
        };
        wasm.adamUpdate(params, grads, m, v, hp);
        const tolerance = (magnitudes: ArrayLike<number>) => ({ atol: 0, rtol: 16 * FLOAT32_UNIT_ROUNDOFF, magnitudes });
        expectParity('adam m', m, expected.m, tolerance(scale.m));
        expectParity('adam v', v, expected.v, tolerance(scale.v));
        expectParity('adam params', params, expected.params, tolerance(scale.params));
      }),
      { numRuns: 200 },
    );
  });

  it('stores a moment that falls below the smallest normal float32 (2⁻¹²⁶) as +0, leaving the parameters as the reference moves them', () => {
    // dead units: g = 0, and m, v already tiny; β1·m and β2·v land in the subnormal range (or stay normal, the last lane)
    const hp = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 700 };
    // six: four in a v128 step, two in the scalar tail (the last of which is flushed there)
    const startM = [1.2e-38, -1.2e-38, 5e-39, 0, 2e-38, -1.2e-38];
    const startV = [1.1e-38, 1.2e-38, 1e-40, 1.1e-38, 1.3e-38, 1.1e-38];
    const startParams = [0.5, -0.25, 1e-20, 3, 1, 2]; // above 1e-26: the flushed moments move none of them
    const params = wasmCopy(startParams);
    const m = wasmCopy(startM);
    const v = wasmCopy(startV);
    wasm.adamUpdate(params, wasm.allocFloats(6), m, v, hp);
    // 0.9 · 1.2e-38 = 1.08e-38 (subnormal) and 0.9 · 2e-38 = 1.8e-38 (normal); 0.999 · 1.2e-38 ≈ 1.1988e-38 and 0.999 · 1.3e-38 stay normal
    expect([...m]).toEqual([0, 0, 0, 0, Math.fround(Math.fround(0.9) * Math.fround(2e-38)), 0]);
    expect([...v].map((x, k) => (k === 1 || k === 4 ? x > 0 : x))).toEqual([0, true, 0, 0, true, 0]);
    expect(Object.is(m[1], 0) && Object.is(m[5], 0)).toBe(true); // +0, not −0
    const expected = { params: Float64Array.from(startParams), m: Float64Array.from(startM), v: Float64Array.from(startV) };
    reference.adamUpdate(expected.params, new Float64Array(6), expected.m, expected.v, hp);
    expect([...params]).toEqual([...Float32Array.from(expected.params)]);
  });

  it('adds 0 to v for a gradient under 2⁻⁶³, whose square would be subnormal (a term under 1.2e-38)', () => {
    const hp = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 700 };
    // lanes 0–3 in a v128 step, 4 in the scalar tail; gradients 1e-20 (squared: 1e-40) and, lane 2, 2⁻⁶³ itself (kept)
    const g = [1e-20, -1e-20, 2 ** -63, 1e-20, 1e-20];
    const v = wasmCopy([2e-38, 2e-38, 2e-38, 0, 2e-38]);
    wasm.adamUpdate(wasmCopy([1, 1, 1, 1, 1]), wasmCopy(g), wasm.allocFloats(5), v, hp);
    const decayed = Math.fround(Math.fround(0.999) * Math.fround(2e-38));
    const kept = Math.fround(decayed + Math.fround(Math.fround(1 - 0.999) * 2 ** -126));
    expect([...v]).toEqual([decayed, decayed, kept, 0, decayed]);
    expect(kept).not.toBe(decayed); // the square of 2⁻⁶³, 2⁻¹²⁶, is the smallest normal: it counts
  });

  it('gives every parameter the float32 specification\'s step bit for bit, eight, four or one at a time (lengths 1 to 40)', () => {
    // The kernel's operations one by one in float32 (each rounded as f32x4 rounds it): m, v flushed below 2⁻¹²⁶, a
    // gradient under 2⁻⁶³ squared as 0, m̂ / (√v̂ + ε) · lr. Dead units' tiny moments and gradients sit among the
    // others, so the flushes fall in every lane of every path.
    const f = Math.fround;
    const hp = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 700 };
    const [b1, b2, omb1, omb2, lr, eps] = [f(0.9), f(0.999), f(1 - 0.9), f(1 - 0.999), f(1e-3), f(1e-8)];
    const [mC, vC] = [f(1 - 0.9 ** 700), f(1 - 0.999 ** 700)];
    const flush = (x: number) => (Math.abs(x) >= 2 ** -126 ? x : 0);
    const random = new Random(41);
    for (let length = 1; length <= 40; length++) {
      const pick = (normal: () => number, tiny: number) => Array.from({ length }, (_, k) => f((k * 7 + length) % 5 === 0 ? tiny * (k % 2 ? -1 : 1) : normal()));
      const g0 = pick(() => random.uniform(-1, 1), 1e-20);
      const m0 = pick(() => random.uniform(-0.1, 0.1), 1.2e-38);
      const v0 = pick(() => random.uniform(0, 0.01), 0).map(Math.abs).map((x, k) => (x === 0 ? f(1.1e-38 * (1 + (k % 3))) : x));
      const p0 = pick(() => random.uniform(-2, 2), 0.5);
      const [params, grads, m, v] = [wasmCopy(p0), wasmCopy(g0), wasmCopy(m0), wasmCopy(v0)];
      wasm.adamUpdate(params, grads, m, v, hp);
      for (let k = 0; k < length; k++) {
        const mk = flush(f(f(b1 * m0[k]) + f(omb1 * g0[k])));
        const gg = Math.abs(g0[k]) >= 2 ** -63 ? f(g0[k] * g0[k]) : 0;
        const vk = flush(f(f(b2 * v0[k]) + f(omb2 * gg)));
        const step = f(lr * f(f(mk / mC) / f(f(Math.sqrt(f(vk / vC))) + eps)));
        const at = `length ${length}, parameter ${k}`;
        expect(Object.is(m[k], mk === 0 ? 0 : mk), `m, ${at}`).toBe(true);
        expect(v[k], `v, ${at}`).toBe(vk);
        expect(params[k], `θ, ${at}`).toBe(f(p0[k] - step));
      }
    }
  });

  it('takes a first step of lr·g/(|g| + ε) against the gradient (m̂ = g, v̂ = g² at t = 1)', () => {
    const g = [0.5, -2, 1e-3, -1e-3, 4];
    const params = wasm.allocFloats(5);
    const grads = wasmCopy(g);
    const m = wasm.allocFloats(5);
    const v = wasm.allocFloats(5);
    wasm.adamUpdate(params, grads, m, v, { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1 });
    const expected = g.map((gk) => (-0.01 * gk) / (Math.abs(gk) + 1e-8));
    expectParity('adam first step', params, expected, { atol: 0, rtol: 16 * FLOAT32_UNIT_ROUNDOFF });
  });
});
