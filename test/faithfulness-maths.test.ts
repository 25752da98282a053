/**
 * The numerical pieces of the faithfulness measures, each against a second implementation written here or a
 * published value: ROAD's noisy linear imputation against a dense solve of its equations (Gaussian elimination
 * with the neighbour weights of Rong et al. 2022 spelled out), conjugate gradients against their closed-form
 * first step, and Spearman's ρ against scipy.stats.spearmanr's documented example.
 */
import { describe, expect, it } from 'vitest';
import { averageRanks, pearsonCorrelation, spearmanCorrelation } from '../src/faithfulness/rank-correlation.js';
import { conjugateGradients, noisyLinearImputation, ROAD_DEFAULTS } from '../src/faithfulness/road-imputation.js';
import { Random } from '../src/random.js';

/**
 * The imputation written out densely: for each removed pixel i, Σ_n w_in (x_i − x_n) = 0 over its neighbours
 * inside the image (w = 1/6 direct, 1/12 diagonal), solved by Gaussian elimination with partial pivoting.
 */
function denseImputation(image: ArrayLike<number>, removed: Uint8Array, height: number, width: number): Float64Array {
  const unknowns: number[] = [];
  for (let p = 0; p < height * width; p++) if (removed[p]) unknowns.push(p);
  const n = unknowns.length;
  const a = Array.from({ length: n }, () => new Float64Array(n + 1)); // [A | b]
  unknowns.forEach((p, i) => {
    const y = Math.floor(p / width);
    const x = p % width;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) {
        if (dy === 0 && dx === 0) continue;
        const ny = y + dy;
        const nx = x + dx;
        if (ny < 0 || ny >= height || nx < 0 || nx >= width) continue;
        const w = dy === 0 || dx === 0 ? 1 / 6 : 1 / 12;
        const q = ny * width + nx;
        a[i][i] += w;
        const j = unknowns.indexOf(q);
        if (j >= 0) a[i][j] -= w;
        else a[i][n] += w * image[q];
      }
    }
  });
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[pivot][c])) pivot = r;
    [a[c], a[pivot]] = [a[pivot], a[c]];
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c] / a[c][c];
      for (let k = c; k <= n; k++) a[r][k] -= f * a[c][k];
    }
  }
  const out = Float64Array.from(image);
  unknowns.forEach((p, i) => { out[p] = a[i][n] / a[i][i]; });
  return out;
}

function randomImage(seed: number, pixels: number): Float64Array {
  const random = new Random(seed);
  return Float64Array.from({ length: pixels }, () => random.next());
}

function randomMask(seed: number, pixels: number, fraction: number): Uint8Array {
  const random = new Random(seed);
  return Uint8Array.from({ length: pixels }, () => (random.next() < fraction ? 1 : 0));
}

const largestDifference = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0);

describe('ROAD noisy linear imputation against a dense solve', () => {
  it('solves the neighbour equations jointly, at the edges and corners too (σ = 0), on masks of 10–90 % of a 6 × 7 image', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const image = randomImage(seed, 42);
      const removed = randomMask(100 + seed, 42, 0.1 + 0.8 * ((seed - 1) / 11));
      if (removed.every((r) => r === 1)) removed[0] = 0;
      const got = noisyLinearImputation(image, removed, 6, 7, new Random(1), { sigma: 0, tolerance: 1e-12 });
      const expected = denseImputation(image, removed, 6, 7);
      const difference = largestDifference(got, expected);
      expect(difference, `seed ${seed}: largest difference ${difference.toExponential(2)}`).toBeLessThan(1e-9);
    }
  });

  it('sets a removed corner pixel to its 3 neighbours\' weighted mean: (x_right/6 + x_below/6 + x_diagonal/12) / (5/12)', () => {
    const image = Float64Array.of(0.9, 0.2, 0.7, 0.4, 0.3, 0.8, 0.5, 0.6, 0.1); // 3 × 3
    for (const [corner, right, below, diagonal] of [[0, 1, 3, 4], [2, 1, 5, 4], [6, 7, 3, 4], [8, 7, 5, 4]]) {
      const removed = new Uint8Array(9);
      removed[corner] = 1;
      const out = noisyLinearImputation(image, removed, 3, 3, new Random(1), { sigma: 0 });
      expect(out[corner]).toBeCloseTo((image[right] / 6 + image[below] / 6 + image[diagonal] / 12) / (5 / 12), 9);
    }
  });

  it('couples removed neighbours: two removed pixels side by side on a 1 × 4 row take 2/3 of their known side and 1/3 of the other', () => {
    // Row [a, u, v, d]: u = (a + v)/2 and v = (u + d)/2 (only direct neighbours) give u = (2a + d)/3, v = (a + 2d)/3.
    const out = noisyLinearImputation(Float64Array.of(0.3, 0, 0, 0.9), Uint8Array.of(0, 1, 1, 0), 1, 4, new Random(1), { sigma: 0, tolerance: 1e-12 });
    expect(out[1]).toBeCloseTo((2 * 0.3 + 0.9) / 3, 10);
    expect(out[2]).toBeCloseTo((0.3 + 2 * 0.9) / 3, 10);
    expect([out[0], out[3]]).toEqual([0.3, 0.9]);
  });

  it('copies the image when nothing is removed, and writes into the array given', () => {
    const image = randomImage(4, 12);
    const out = new Float32Array(12).fill(-1);
    expect(noisyLinearImputation(image, new Uint8Array(12), 3, 4, new Random(1), {}, out)).toBe(out);
    expect(Array.from(out)).toEqual(Array.from(Float32Array.from(image)));
  });

  it('adds σ·N(0, 1) to each imputed pixel, drawn in pixel order from the generator, and nothing to the known ones', () => {
    const image = randomImage(5, 30);
    const removed = randomMask(6, 30, 0.4);
    const clean = noisyLinearImputation(image, removed, 5, 6, new Random(1), { sigma: 0, tolerance: 1e-12 });
    const noisy = noisyLinearImputation(image, removed, 5, 6, new Random(77), { sigma: 0.5, tolerance: 1e-12 });
    const draws = new Random(77);
    for (let p = 0; p < 30; p++) {
      if (removed[p]) expect(noisy[p]).toBeCloseTo(clean[p] + 0.5 * draws.gaussian(), 9);
      else expect(noisy[p]).toBe(image[p]);
    }
  });

  it("uses the paper's defaults, σ = 0.01 and a tolerance of 10⁻⁶", () => {
    expect(ROAD_DEFAULTS).toEqual({ sigma: 0.01, tolerance: 1e-6 });
    const image = randomImage(8, 30);
    const removed = randomMask(9, 30, 0.5);
    const byDefault = noisyLinearImputation(image, removed, 5, 6, new Random(3));
    const spelledOut = noisyLinearImputation(image, removed, 5, 6, new Random(3), { sigma: 0.01, tolerance: 1e-6 });
    expect(Array.from(byDefault)).toEqual(Array.from(spelledOut));
    const clean = denseImputation(image, removed, 5, 6);
    const draws = new Random(3);
    for (let p = 0; p < 30; p++) if (removed[p]) expect(byDefault[p]).toBeCloseTo(clean[p] + 0.01 * draws.gaussian(), 5);
  });
});

describe('conjugate gradients', () => {
  // A = [[4, 1], [1, 3]], b = [1, 2]: x = A⁻¹b = [1/11, 7/11].
  const a = [[4, 1], [1, 3]];
  const multiply = (v: Float64Array, out: Float64Array) => {
    out[0] = a[0][0] * v[0] + a[0][1] * v[1];
    out[1] = a[1][0] * v[0] + a[1][1] * v[1];
  };

  it('solves a 2 × 2 system in two iterations', () => {
    const x = conjugateGradients(multiply, Float64Array.of(1, 2), 1e-12, 2);
    expect(x[0]).toBeCloseTo(1 / 11, 12);
    expect(x[1]).toBeCloseTo(7 / 11, 12);
  });

  it('takes x = (bᵀb / bᵀAb) b as its first step, and stops there when given one iteration', () => {
    // bᵀb = 5, Ab = [6, 7], bᵀAb = 20: x = b/4.
    const x = conjugateGradients(multiply, Float64Array.of(1, 2), 1e-12, 1);
    expect(x[0]).toBeCloseTo(0.25, 14);
    expect(x[1]).toBeCloseTo(0.5, 14);
  });

  it('stops as soon as ‖r‖ ≤ tolerance·‖b‖: a tolerance of 1 leaves x = 0, and the first residual ‖r₁‖/‖b‖ = 0.25 stops a tolerance of 0.5', () => {
    expect(Array.from(conjugateGradients(multiply, Float64Array.of(1, 2), 1, 10))).toEqual([0, 0]);
    // r₁ = b − A b/4 = [−0.5, 0.25], ‖r₁‖/‖b‖ = √0.3125/√5 = 0.25: stops after one step under 0.5, goes on under 0.2.
    const once = conjugateGradients(multiply, Float64Array.of(1, 2), 0.5, 10);
    expect(once[0]).toBeCloseTo(0.25, 14);
    expect(once[1]).toBeCloseTo(0.5, 14);
    const further = conjugateGradients(multiply, Float64Array.of(1, 2), 0.2, 10);
    expect(further[0]).toBeCloseTo(1 / 11, 12);
  });

  it('gives 0 for b = 0, and stops on a direction with pᵀAp ≤ 0 instead of dividing by it', () => {
    expect(Array.from(conjugateGradients(multiply, new Float64Array(2), 1e-6, 4))).toEqual([0, 0]);
    const zero = (_: Float64Array, out: Float64Array) => out.fill(0);
    expect(Array.from(conjugateGradients(zero, Float64Array.of(1, 2), 1e-6, 4))).toEqual([0, 0]);
  });
});

describe('rank correlation', () => {
  it('ranks from 1, ties sharing the mean of the ranks they span, whatever the order and sign of the values', () => {
    expect(Array.from(averageRanks([3, 1, 3]))).toEqual([2.5, 1, 2.5]);
    expect(Array.from(averageRanks([-2, 10, -7, 10, 10, 0]))).toEqual([2, 5, 1, 5, 5, 3]);
    expect(Array.from(averageRanks([4, 4, 4, 4]))).toEqual([2.5, 2.5, 2.5, 2.5]);
    expect(Array.from(averageRanks([0.5, 0.25, 0.25, 9, 0.25]))).toEqual([4, 2, 2, 5, 2]);
    expect(Array.from(averageRanks([]))).toEqual([]);
  });

  it("is scipy.stats.spearmanr's documented example: ρ([1, 2, 3, 4, 5], [5, 6, 7, 8, 7]) = 0.8207826816681233", () => {
    expect(spearmanCorrelation([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])).toBeCloseTo(0.8207826816681233, 12);
    expect(spearmanCorrelation([5, 6, 7, 8, 7], [1, 2, 3, 4, 5])).toBeCloseTo(0.8207826816681233, 12);
  });

  it('Pearson: Σ(a−ā)(b−b̄)/√(Σ(a−ā)²Σ(b−b̄)²) on a worked example, ±1 on lines, 0 for a constant sample', () => {
    // a = [1, 2, 3], b = [1, 2, 4]: ā = 2, b̄ = 7/3; cov = (−1)(−4/3) + 0 + (1)(5/3) = 3; Σda² = 2; Σdb² = 16/9 + 1/9 + 25/9 = 42/9.
    expect(pearsonCorrelation([1, 2, 3], [1, 2, 4])).toBeCloseTo(3 / Math.sqrt(2 * 42 / 9), 14);
    expect(pearsonCorrelation([1, 2, 3, 4], [-3, -1, 1, 3])).toBe(1);
    expect(pearsonCorrelation([1, 2, 3, 4], [8, 6, 4, 2])).toBe(-1);
    expect(pearsonCorrelation([1, 2, 3], [5, 5, 5])).toBe(0);
    expect(pearsonCorrelation([5, 5, 5], [1, 2, 3])).toBe(0);
    // Offset samples: the means must be subtracted (a sum of products alone would not give −1).
    expect(pearsonCorrelation([101, 102, 103], [1003, 1002, 1001])).toBeCloseTo(-1, 12);
  });

  it('refuses samples of different lengths, saying both', () => {
    expect(() => pearsonCorrelation([1, 2, 3], [1, 2])).toThrow(new RangeError('pearsonCorrelation: samples of 3 and 2 values'));
  });
});
