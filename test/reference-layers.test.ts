/**
 * The reference backend's hand-derived backward passes against finite differences, in float64, over
 * random shapes and values from fast-check. Each layer's output is reduced to a scalar L = Σ y·r with a
 * random r, so ∂L/∂y = r is fed to the backward pass and every computed gradient is checked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape, DenseShape, Pool2dShape } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { compareGradient, dot, expectGradientClose, seededValues } from './gradcheck.js';

const backend = new ReferenceBackend({ precision: 'float64' });
const f64 = (n: number, seed: number) => seededValues(seed, n);

describe('conv2d (reference)', () => {
  const shapes = fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    inChannels: fc.integer({ min: 1, max: 3 }),
    outChannels: fc.integer({ min: 1, max: 3 }),
    kernelSize: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 3, max: 6 }),
    width: fc.integer({ min: 3, max: 6 }),
  });

  it('backward matches finite differences for input, weight and bias', () => {
    fc.assert(
      fc.property(shapes, fc.integer(), (s: Conv2dShape, seed) => {
        const oh = s.height - s.kernelSize + 1;
        const ow = s.width - s.kernelSize + 1;
        const x = f64(s.batch * s.inChannels * s.height * s.width, seed);
        const w = f64(s.outChannels * s.inChannels * s.kernelSize ** 2, seed + 1);
        const b = f64(s.outChannels, seed + 2);
        const r = f64(s.batch * s.outChannels * oh * ow, seed + 3);
        const y = new Float64Array(r.length);
        const loss = () => {
          backend.conv2dForward(s, x, w, b, y);
          return dot(y, r);
        };
        const dw = new Float64Array(w.length);
        const db = new Float64Array(b.length);
        const dx = new Float64Array(x.length);
        loss();
        backend.conv2dBackward(s, { input: x, weight: w, dOutput: r, dWeight: dw, dBias: db, dInput: dx });
        expectGradientClose('dInput', compareGradient(loss, x, dx));
        expectGradientClose('dWeight', compareGradient(loss, w, dw));
        expectGradientClose('dBias', compareGradient(loss, b, db));
      }),
      { numRuns: 25 },
    );
  });

  it('computes a hand-worked example', () => {
    // x = [[1,2,3],[4,5,6],[7,8,9]], w = [[1,0],[0,−1]], b = 10: y[i,j] = x[i,j] − x[i+1,j+1] + 10 = 6.
    const s = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernelSize: 2 };
    const y = new Float64Array(4);
    backend.conv2dForward(s, Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), Float64Array.of(1, 0, 0, -1), Float64Array.of(10), y);
    expect([...y]).toEqual([6, 6, 6, 6]);
  });

  it('accumulates parameter gradients and overwrites the input gradient', () => {
    const s = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernelSize: 2 };
    const x = f64(9, 1);
    const w = f64(4, 2);
    const dy = f64(4, 3);
    const [dw, db, dx] = [new Float64Array(4), new Float64Array(1), new Float64Array(9).fill(123)];
    backend.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: dw, dBias: db, dInput: dx });
    const once = { dw: [...dw], db: [...db], dx: [...dx] };
    backend.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: dw, dBias: db, dInput: dx });
    expect([...dw]).toEqual(once.dw.map((v) => 2 * v));
    expect([...db]).toEqual(once.db.map((v) => 2 * v));
    expect([...dx]).toEqual(once.dx);
  });

  it('refuses arrays whose length does not match the shape', () => {
    const s = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernelSize: 2 };
    expect(() => backend.conv2dForward(s, new Float64Array(8), new Float64Array(4), new Float64Array(1), new Float64Array(4))).toThrow(XcnnError);
    expect(() => backend.conv2dForward({ ...s, kernelSize: 4 }, new Float64Array(9), new Float64Array(16), new Float64Array(1), new Float64Array(0))).toThrow(/does not fit/);
  });
});

describe('dense (reference)', () => {
  it('backward matches finite differences for input, weight and bias', () => {
    const shapes = fc.record({ batch: fc.integer({ min: 1, max: 4 }), inFeatures: fc.integer({ min: 1, max: 9 }), outFeatures: fc.integer({ min: 1, max: 7 }) });
    fc.assert(
      fc.property(shapes, fc.integer(), (s: DenseShape, seed) => {
        const x = f64(s.batch * s.inFeatures, seed);
        const w = f64(s.outFeatures * s.inFeatures, seed + 1);
        const b = f64(s.outFeatures, seed + 2);
        const r = f64(s.batch * s.outFeatures, seed + 3);
        const y = new Float64Array(r.length);
        const loss = () => {
          backend.denseForward(s, x, w, b, y);
          return dot(y, r);
        };
        const [dw, db, dx] = [new Float64Array(w.length), new Float64Array(b.length), new Float64Array(x.length)];
        backend.denseBackward(s, { input: x, weight: w, dOutput: r, dWeight: dw, dBias: db, dInput: dx });
        expectGradientClose('dInput', compareGradient(loss, x, dx));
        expectGradientClose('dWeight', compareGradient(loss, w, dw));
        expectGradientClose('dBias', compareGradient(loss, b, db));
      }),
      { numRuns: 50 },
    );
  });
});

describe('relu (reference)', () => {
  it('backward matches finite differences away from zero', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer(), (n, seed) => {
        const x = f64(n, seed);
        const r = f64(n, seed + 1);
        const y = new Float64Array(n);
        const loss = () => {
          backend.reluForward(x, y);
          return dot(y, r);
        };
        loss();
        const dx = new Float64Array(n);
        backend.reluBackward(y, r, dx);
        expectGradientClose('dInput', compareGradient(loss, x, dx));
      }),
    );
  });

  it('runs in place', () => {
    const x = Float64Array.of(-2, -0.5, 0, 0.5, 2);
    backend.reluForward(x, x);
    expect([...x]).toEqual([0, 0, 0, 0.5, 2]);
  });
});

describe('maxPool2d (reference)', () => {
  const shapes = fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    channels: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 2, max: 7 }),
    width: fc.integer({ min: 2, max: 7 }),
  });

  it('routes each gradient to its window\'s maximum and nowhere else', () => {
    fc.assert(
      fc.property(shapes, fc.integer(), (s: Pool2dShape, seed) => {
        const [oh, ow] = [Math.floor(s.height / 2), Math.floor(s.width / 2)];
        const x = f64(s.batch * s.channels * s.height * s.width, seed);
        const outLength = s.batch * s.channels * oh * ow;
        const [y, argmax] = [new Float64Array(outLength), new Int32Array(outLength)];
        backend.maxPool2dForward(s, x, y, argmax);
        const dy = f64(outLength, seed + 1);
        const dx = new Float64Array(x.length);
        backend.maxPool2dBackward(s, dy, argmax, dx);
        let routed = 0;
        for (let plane = 0; plane < s.batch * s.channels; plane++) {
          for (let i = 0; i < oh; i++) {
            for (let j = 0; j < ow; j++) {
              const window = [0, 1, s.width, s.width + 1].map((o) => plane * s.height * s.width + 2 * i * s.width + 2 * j + o);
              const winner = window.reduce((best, k) => (x[k] > x[best] ? k : best));
              const out = (plane * oh + i) * ow + j;
              expect(y[out]).toBe(x[winner]);
              expect(dx[winner]).toBe(dy[out]);
              for (const k of window) if (k !== winner) expect(dx[k]).toBe(0);
              routed++;
            }
          }
        }
        // Elements outside every window (a trailing odd row or column) get no gradient.
        expect(dx.filter((v) => v !== 0).length).toBeLessThanOrEqual(routed);
      }),
    );
  });

  it('backward matches finite differences', () => {
    fc.assert(
      fc.property(shapes, fc.integer(), (s: Pool2dShape, seed) => {
        const x = f64(s.batch * s.channels * s.height * s.width, seed);
        const outLength = s.batch * s.channels * Math.floor(s.height / 2) * Math.floor(s.width / 2);
        const r = f64(outLength, seed + 1);
        const [y, argmax] = [new Float64Array(outLength), new Int32Array(outLength)];
        const loss = () => {
          backend.maxPool2dForward(s, x, y, argmax);
          return dot(y, r);
        };
        loss();
        const dx = new Float64Array(x.length);
        backend.maxPool2dBackward(s, r, argmax, dx);
        expectGradientClose('dInput', compareGradient(loss, x, dx));
      }),
    );
  });

  it('takes the first maximum on ties, as PyTorch', () => {
    const [y, argmax] = [new Float64Array(1), new Int32Array(1)];
    backend.maxPool2dForward({ batch: 1, channels: 1, height: 2, width: 2 }, Float64Array.of(1, 3, 3, 0), y, argmax);
    expect(argmax[0]).toBe(1);
  });
});

describe('softmaxCrossEntropy (reference)', () => {
  const cases = fc.record({ batch: fc.integer({ min: 1, max: 5 }), classes: fc.integer({ min: 2, max: 10 }), seed: fc.integer() });

  it('gradient matches finite differences of the mean loss', () => {
    fc.assert(
      fc.property(cases, ({ batch, classes, seed }) => {
        const z = f64(batch * classes, seed).map((v) => 4 * v);
        const labels = Int32Array.from({ length: batch }, (_, n) => Math.abs(seed + 7 * n) % classes);
        const probs = new Float64Array(z.length);
        const dz = new Float64Array(z.length);
        backend.softmaxCrossEntropy(batch, classes, z, labels, probs, dz);
        const loss = () => backend.softmaxCrossEntropy(batch, classes, z, labels, probs, null);
        expectGradientClose('dLogits', compareGradient(loss, z, dz));
      }),
    );
  });

  it('gradient sums to zero per sample and probabilities sum to one', () => {
    fc.assert(
      fc.property(cases, ({ batch, classes, seed }) => {
        const z = f64(batch * classes, seed).map((v) => 30 * v);
        const labels = new Int32Array(batch).fill(classes - 1);
        const [probs, dz] = [new Float64Array(z.length), new Float64Array(z.length)];
        backend.softmaxCrossEntropy(batch, classes, z, labels, probs, dz);
        for (let n = 0; n < batch; n++) {
          const row = (a: Float64Array) => a.subarray(n * classes, (n + 1) * classes).reduce((s, v) => s + v, 0);
          expect(Math.abs(row(dz))).toBeLessThan(1e-12);
          expect(row(probs)).toBeCloseTo(1, 12);
        }
      }),
    );
  });

  it('stays finite for logits far apart', () => {
    const probs = new Float64Array(2);
    const loss = backend.softmaxCrossEntropy(1, 2, Float64Array.of(1000, -1000), Int32Array.of(1), probs, null);
    expect(loss).toBeCloseTo(2000, 6);
  });

  it('refuses a label outside the classes', () => {
    expect(() => backend.softmaxCrossEntropy(1, 3, new Float64Array(3), Int32Array.of(3), new Float64Array(3), null)).toThrow(/label 3/);
  });
});

describe('adamUpdate (reference)', () => {
  it('moves each parameter by lr·sign(g) on its first step (m̂ = g, v̂ = g²)', () => {
    const params = Float64Array.of(1, 1, 1);
    const grads = Float64Array.of(0.5, -2, 1e-3);
    const [m, v] = [new Float64Array(3), new Float64Array(3)];
    backend.adamUpdate(params, grads, m, v, { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-12, step: 1 });
    expect(params[0]).toBeCloseTo(0.9, 9);
    expect(params[1]).toBeCloseTo(1.1, 9);
    expect(params[2]).toBeCloseTo(0.9, 6);
  });

  it('matches Algorithm 1 of Kingma & Ba over several steps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer(), (steps, seed) => {
        const n = 5;
        const params = f64(n, seed);
        const expected = Float64Array.from(params);
        const [m, v, em, ev] = [new Float64Array(n), new Float64Array(n), new Float64Array(n), new Float64Array(n)];
        const hp = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };
        for (let t = 1; t <= steps; t++) {
          const g = f64(n, seed + t);
          backend.adamUpdate(params, g, m, v, { ...hp, step: t });
          for (let k = 0; k < n; k++) {
            em[k] = hp.beta1 * em[k] + (1 - hp.beta1) * g[k];
            ev[k] = hp.beta2 * ev[k] + (1 - hp.beta2) * g[k] ** 2;
            const mHat = em[k] / (1 - hp.beta1 ** t);
            const vHat = ev[k] / (1 - hp.beta2 ** t);
            expected[k] -= (hp.learningRate * mHat) / (Math.sqrt(vHat) + hp.epsilon);
          }
        }
        for (let k = 0; k < n; k++) expect(params[k]).toBeCloseTo(expected[k], 12);
      }),
    );
  });
});
