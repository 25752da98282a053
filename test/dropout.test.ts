/**
 * Dropout's mask as a specification: a pure function of (seed, step, layer ordinal, sample, element), so
 * the same pass gives the same mask, and another seed, step, layer or sample gives an independent one; each
 * element is kept with probability 1 − p (checked against a binomial bound over many elements) and scaled by
 * 1/(1 − p); splitting a batch over passes with `firstSample` offsets (as the thread pool does) changes no
 * mask; evaluation is the identity.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { Dropout, uniformAt } from '../src/model/dropout.js';
import { EVALUATION, trainingPass, type PassMode } from '../src/model/layer.js';
import { seededValues } from './gradcheck.js';

const backend = new ReferenceBackend({ precision: 'float64' });
const FEATURES = 1000;

/** The mask a training pass draws, read as the output of an all-ones input: 0 (dropped) or 1/(1 − p). */
function maskOf(mode: PassMode, { p = 0.5, ordinal = 1, batch = 1, features = FEATURES } = {}): Float64Array {
  const layer = new Dropout(backend, `dropout${ordinal}`, [features], p, ordinal);
  return Float64Array.from(layer.forward(new Float64Array(batch * features).fill(1), batch, mode));
}

/** The fraction of elements where two masks agree (both keep or both drop). */
function agreement(a: Float64Array, b: Float64Array): number {
  let same = 0;
  for (let k = 0; k < a.length; k++) if ((a[k] === 0) === (b[k] === 0)) same++;
  return same / a.length;
}

/** |observed − expected| ≤ 6 standard deviations of a binomial proportion over n trials. */
function expectProportion(observed: number, expected: number, n: number, what: string): void {
  const bound = 6 * Math.sqrt((expected * (1 - expected)) / n);
  expect(Math.abs(observed - expected), `${what}: ${observed.toFixed(4)} vs ${expected} ± ${bound.toFixed(4)}`).toBeLessThanOrEqual(bound);
}

describe('dropout', () => {
  it('draws the same mask for the same seed, step, layer and samples, in a new layer as in the same one', () => {
    const mode = trainingPass(42, 7);
    const layer = new Dropout(backend, 'dropout1', [FEATURES], 0.5, 1);
    const ones = new Float64Array(2 * FEATURES).fill(1);
    const first = Float64Array.from(layer.forward(ones, 2, mode));
    expect([...layer.forward(ones, 2, mode)]).toEqual([...first]);
    expect([...maskOf(mode, { batch: 2 })]).toEqual([...first]);
    expect(uniformAt(42, 7, 1, 0, 5)).toBe(uniformAt(42, 7, 1, 0, 5));
  });

  it('draws an independent mask for another seed, step, layer or sample: they agree about as often as chance says', () => {
    const p = 0.5;
    const base = maskOf(trainingPass(42, 7), { p });
    const chance = p * p + (1 - p) * (1 - p);
    expectProportion(agreement(base, maskOf(trainingPass(43, 7), { p })), chance, FEATURES, 'another seed');
    expectProportion(agreement(base, maskOf(trainingPass(42, 8), { p })), chance, FEATURES, 'another step');
    expectProportion(agreement(base, maskOf(trainingPass(42, 7), { p, ordinal: 2 })), chance, FEATURES, 'another layer');
    const two = maskOf(trainingPass(42, 7), { p, batch: 2 });
    expectProportion(agreement(two.subarray(0, FEATURES), two.subarray(FEATURES)), chance, FEATURES, 'another sample');
    // Neighbouring elements are independent too: the mask is not a run of keeps and drops.
    expectProportion(agreement(base.subarray(0, FEATURES - 1), base.subarray(1)), chance, FEATURES - 1, 'the next element');
  });

  it('keeps a fraction 1 − p of the elements, within a binomial bound over 200,000 draws', () => {
    for (const p of [0.05, 0.25, 0.5, 0.9]) {
      const batch = 200;
      const mask = maskOf(trainingPass(9, 3), { p, batch });
      const kept = mask.reduce((count, m) => count + (m !== 0 ? 1 : 0), 0) / mask.length;
      expectProportion(kept, 1 - p, mask.length, `p = ${p}`);
    }
    // uniformAt itself is uniform on [0, 1): each tenth holds a tenth of 100,000 draws.
    const deciles = new Array(10).fill(0);
    let outside = 0;
    for (let k = 0; k < 100_000; k++) {
      const u = uniformAt(1, 2, 3, k >> 10, k & 1023);
      if (!(u >= 0 && u < 1)) outside++;
      else deciles[Math.floor(u * 10)]++;
    }
    expect(outside).toBe(0);
    for (const count of deciles) expectProportion(count / 100_000, 0.1, 100_000, 'decile');
  });

  it('scales every kept value by exactly 1/(1 − p) and zeroes the others, in forward and backward alike', () => {
    for (const p of [0.1, 0.3, 0.5, 0.75]) {
      const layer = new Dropout(backend, 'dropout1', [FEATURES], p, 1);
      const x = seededValues(5, 2 * FEATURES);
      const y = Float64Array.from(layer.forward(x, 2, trainingPass(5, 1)));
      const dy = seededValues(6, 2 * FEATURES);
      const dx = Float64Array.from(layer.backward(Float64Array.from(dy), true)!);
      let kept = 0;
      for (let k = 0; k < x.length; k++) {
        if (y[k] === 0) {
          expect(dx[k] === 0, `dInput[${k}]`).toBe(true); // ±0
          continue;
        }
        kept++;
        expect(y[k]).toBe(x[k] * (1 / (1 - p)));
        expect(dx[k]).toBe(dy[k] * (1 / (1 - p)));
      }
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(x.length);
    }
  });

  it('gives a batch split into two passes (firstSample offsets) exactly the masks of one pass', () => {
    const batch = 7;
    const whole = maskOf(trainingPass(11, 4), { batch });
    for (const split of [1, 3, 6]) {
      const head = maskOf({ ...trainingPass(11, 4), firstSample: 0 }, { batch: split });
      const tail = maskOf({ ...trainingPass(11, 4), firstSample: split, updateStatistics: false }, { batch: batch - split });
      expect([...head, ...tail]).toEqual([...whole]);
    }
  });

  it('is the identity in evaluation, and with p = 0', () => {
    const x = seededValues(3, 2 * FEATURES);
    const dy = seededValues(4, 2 * FEATURES);
    for (const [p, mode] of [[0.5, EVALUATION], [0, trainingPass(1, 1)]] as const) {
      const layer = new Dropout(backend, 'dropout1', [FEATURES], p, 1);
      expect([...layer.forward(x, 2, mode)]).toEqual([...x]);
      expect([...layer.backward(Float64Array.from(dy), true)!]).toEqual([...dy]);
    }
  });
});
