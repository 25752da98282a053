/**
 * The numerical pieces of the faithfulness measures, each against a second implementation written here or a
 * published value: ROAD's noisy linear imputation against a dense solve of its equations (Gaussian elimination
 * with the neighbour weights of Rong et al. 2022 spelled out), conjugate gradients against their closed-form
 * first step, and Spearman's ρ against scipy.stats.spearmanr's documented example.
 */
import { XcnnError } from '../src/errors.js';
import { describe, expect, it } from 'vitest';
import { averageRanks, pearsonCorrelation, spearmanCorrelation } from '../src/faithfulness/rank-correlation.js';
import { pointingGame, pointingGameOutcome, POINTING_GAME_DEFAULTS } from '../src/faithfulness/pointing-game.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { conjugateGradients, imputationSolver, noisyLinearImputation, ROAD_DEFAULTS } from '../src/faithfulness/road-imputation.js';
import { ssim, SSIM_DEFAULTS } from '../src/faithfulness/ssim.js';
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

  it('draws exactly one number per imputed pixel, and none when σ = 0: a generator shared by successive calls goes on where it stopped', () => {
    const image = randomImage(5, 30);
    const removed = randomMask(6, 30, 0.4);
    const imputed = removed.reduce((s, r) => s + r, 0);
    const shared = new Random(21);
    noisyLinearImputation(image, removed, 5, 6, shared, { sigma: 0.5 });
    const after = new Random(21);
    for (let k = 0; k < imputed; k++) after.gaussian();
    expect(shared.next()).toBe(after.next());
    const untouched = new Random(22);
    noisyLinearImputation(image, removed, 5, 6, untouched, { sigma: 0 });
    expect(untouched.next()).toBe(new Random(22).next());
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

  // [what is wrong, call, message]: each refused before any work, ERR_BAD_ARGUMENT naming the argument and the fix.
  const image = new Float64Array(6);
  const removed = Uint8Array.of(0, 1, 0, 0, 1, 0);
  const sizeRows: Array<[string, () => unknown, string]> = [
    ['a size of no pixels', () => noisyLinearImputation([], new Uint8Array(0), 0, 3, new Random(1)), 'the size 0 × 3 is not a whole number of pixels each way; give height and width ≥ 1'],
    ['a negative size (no RangeError from the default out)', () => noisyLinearImputation(image, removed, -2, 3, new Random(1)), 'the size -2 × 3 is not a whole number of pixels each way; give height and width ≥ 1'],
    ['a fractional size', () => noisyLinearImputation(image, removed, 2, 2.5, new Random(1)), 'the size 2 × 2.5 is not a whole number of pixels each way; give height and width ≥ 1'],
    ['a width of no pixels', () => noisyLinearImputation([], new Uint8Array(0), 3, 0, new Random(1)), 'the size 3 × 0 is not a whole number of pixels each way; give height and width ≥ 1'],
    ['a height given as text', () => noisyLinearImputation(image, removed, '2' as never, 3, new Random(1)), 'height must be a number, not string'],
    ['a width that is no number', () => noisyLinearImputation(image, removed, 2, {} as never, new Random(1)), 'width must be a number, not Object'],
    ['an image of another size', () => noisyLinearImputation(new Float64Array(5), removed, 2, 3, new Random(1)), 'image has 5 values for 2 × 3; give height × width = 6'],
    ['a mask of another size', () => noisyLinearImputation(image, new Uint8Array(7), 2, 3, new Random(1)), 'removed has 7 values for 2 × 3; give height × width = 6'],
    ['options that are no object', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), 0.01 as never), 'options must be an object (sigma and tolerance), not number'],
    ['a negative σ', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), { sigma: -0.01 }), "options.sigma must be a finite number ≥ 0 (the noise's standard deviation; 0.01 by default), not -0.01"],
    ['a σ of NaN', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), { sigma: Number.NaN }), "options.sigma must be a finite number ≥ 0 (the noise's standard deviation; 0.01 by default), not NaN"],
    ['an infinite σ', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), { sigma: Infinity }), "options.sigma must be a finite number ≥ 0 (the noise's standard deviation; 0.01 by default), not Infinity"],
    ['a σ given as text', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), { sigma: '0.1' as never }), "options.sigma must be a finite number ≥ 0 (the noise's standard deviation; 0.01 by default), not 0.1"],
    ['a negative tolerance', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), { tolerance: -1 }), "options.tolerance must be a finite number ≥ 0 (conjugate gradients' relative residual; 0.000001 by default), not -1"],
    ['a tolerance of NaN', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), { tolerance: Number.NaN }), "options.tolerance must be a finite number ≥ 0 (conjugate gradients' relative residual; 0.000001 by default), not NaN"],
    ['an infinite tolerance', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), { tolerance: Infinity }), "options.tolerance must be a finite number ≥ 0 (conjugate gradients' relative residual; 0.000001 by default), not Infinity"],
    ['a tolerance given as text', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), { tolerance: '0.1' as never }), "options.tolerance must be a finite number ≥ 0 (conjugate gradients' relative residual; 0.000001 by default), not 0.1"],
    ['an out of integers', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), {}, new Int32Array(6) as never), "out must be a Float32Array or Float64Array (the backend's allocFloats gives one), not Int32Array"],
    ['an out of another size', () => noisyLinearImputation(image, removed, 2, 3, new Random(1), {}, new Float32Array(4)), 'out has 4 values for 2 × 3; give height × width = 6'],
  ];
  it.each(sizeRows)('refuses %s, naming it (ERR_BAD_ARGUMENT)', (_, call, message) => {
    let error: unknown;
    try {
      call();
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(XcnnError);
    expect([(error as XcnnError).code, (error as XcnnError).message]).toEqual(['ERR_BAD_ARGUMENT', `noisyLinearImputation: ${message}`]);
  });

  it('takes the edges of the ranges: σ = 0, a tolerance of 0 (it iterates to its limit), a 1 × 1 image', () => {
    expect(Array.from(noisyLinearImputation([0.5, 0, 1], Uint8Array.of(0, 1, 0), 1, 3, new Random(1), { sigma: 0, tolerance: 0 }))).toEqual([0.5, 0.75, 1]);
    expect(Array.from(noisyLinearImputation([0.25], new Uint8Array(1), 1, 1, new Random(1)))).toEqual([0.25]);
  });
});

describe('conjugate gradients on the stencil', () => {
  // A 1 × 2 image, both pixels unknown: on its grid with a border (stride 4) they sit in cells 5 and 6, each the
  // other's right or left neighbour, so A = [[4, −1/6], [−1/6, 3]] with the diagonal given as [4, 3].
  // det A = 12 − 1/36 = 431/36, and for b = [1, 2]: x = A⁻¹b = [(3 + 2/6), (8 + 1/6)] · 36/431 = [120/431, 294/431].
  const twoUnknowns = { stride: 4, cells: Int32Array.of(5, 6), diagonal: Float64Array.of(4, 3) };
  const solve = (b: Float64Array, tolerance: number, maxIterations: number) => conjugateGradients(twoUnknowns, b, tolerance, maxIterations);

  it('solves a 2 × 2 system in two iterations', () => {
    const x = solve(Float64Array.of(1, 2), 1e-12, 2);
    expect(x[0]).toBeCloseTo(120 / 431, 12);
    expect(x[1]).toBeCloseTo(294 / 431, 12);
  });

  it('takes x = (bᵀb / bᵀAb) b as its first step, and stops there when given one iteration', () => {
    // bᵀb = 5, Ab = [4 − 2/6, −1/6 + 6] = [11/3, 35/6], bᵀAb = 11/3 + 35/3 = 46/3: x = 15/46 · b.
    const x = solve(Float64Array.of(1, 2), 1e-12, 1);
    expect(x[0]).toBeCloseTo(15 / 46, 14);
    expect(x[1]).toBeCloseTo(30 / 46, 14);
  });

  it('stops as soon as ‖r‖ ≤ tolerance·‖b‖: a tolerance of 1 leaves x = 0, and the first residual ‖r₁‖/‖b‖ = 9/92 stops a tolerance of 0.1', () => {
    expect(Array.from(solve(Float64Array.of(1, 2), 1, 10))).toEqual([0, 0]);
    // r₁ = b − 15/46 · Ab = [−9/46, 9/92], ‖r₁‖ = 9/92 · √5 = 9/92 · ‖b‖: stops after one step under 0.1, goes on under 0.09.
    const once = solve(Float64Array.of(1, 2), 0.1, 10);
    expect(once[0]).toBeCloseTo(15 / 46, 14);
    expect(once[1]).toBeCloseTo(30 / 46, 14);
    const further = solve(Float64Array.of(1, 2), 0.09, 10);
    expect(further[0]).toBeCloseTo(120 / 431, 12);
  });

  it('couples an unknown to each of its 8 neighbours — 1/6 straight, 1/12 diagonally — and to no cell beyond them', () => {
    // A 5 × 5 image's grid (stride 7); the centre pixel (2, 2) in cell 24 and one other unknown at a time, each with
    // diagonal 1: A = [[1, −w], [−w, 1]], b = [1, 0] gives x₀ = 1/(1 − w²), x₁ = w/(1 − w²) (w = 0: no coupling).
    for (const [dy, dx, w] of [[-1, 0, 1 / 6], [1, 0, 1 / 6], [0, -1, 1 / 6], [0, 1, 1 / 6], [-1, -1, 1 / 12], [-1, 1, 1 / 12], [1, -1, 1 / 12], [1, 1, 1 / 12], [0, 2, 0], [2, 2, 0], [-2, 0, 0]]) {
      const other = 24 + dy * 7 + dx;
      const stencil = { stride: 7, cells: Int32Array.of(24, other), diagonal: Float64Array.of(1, 1) };
      const x = conjugateGradients(stencil, Float64Array.of(1, 0), 1e-14, 10);
      expect([x[0], x[1]].map((v) => +v.toFixed(12)), `neighbour (${dy}, ${dx})`).toEqual([1 / (1 - w * w), w / (1 - w * w)].map((v) => +v.toFixed(12)));
    }
  });

  it('gives 0 for b = 0, and stops on a direction with pᵀAp ≤ 0 instead of dividing by it', () => {
    expect(Array.from(solve(new Float64Array(2), 1e-6, 4))).toEqual([0, 0]);
    // pixels 0 and 2 of a 1 × 3 image (stride 5: cells 6 and 8) are not neighbours; with a zero diagonal A = 0
    const zero = conjugateGradients({ stride: 5, cells: Int32Array.of(6, 8), diagonal: new Float64Array(2) }, Float64Array.of(1, 2), 1e-6, 4);
    expect(Array.from(zero)).toEqual([0, 0]);
  });
});

describe('the imputation solver', () => {
  it('is the one noisyLinearImputation is given: the removed pixels take its solution (plus the noise), in pixel order', () => {
    const image = Float64Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6);
    const removed = Uint8Array.of(0, 1, 0, 0, 1, 1);
    const calls: { stride: number; cells: number[]; diagonal: number[]; b: number[]; tolerance: number; maxIterations: number }[] = [];
    const solver = (stencil: { stride: number; cells: Int32Array; diagonal: Float64Array }, b: Float64Array, tolerance: number, maxIterations: number) => {
      calls.push({ stride: stencil.stride, cells: Array.from(stencil.cells), diagonal: Array.from(stencil.diagonal), b: Array.from(b), tolerance, maxIterations });
      return Float64Array.of(7, 8, 9);
    };
    const out = noisyLinearImputation(image, removed, 2, 3, new Random(1), { sigma: 0, tolerance: 0.25 }, undefined, solver);
    expect(Array.from(out)).toEqual([0.1, 7, 0.3, 0.4, 8, 9]);
    // 2 × 3 image, stride 5: pixel 1 (0, 1) → cell 7, pixel 4 (1, 1) → cell 12, pixel 5 (1, 2) → cell 13. Pixel 1 has 5
    // neighbours inside: left 0.1 and right 0.3 known (1/6 each), down (pixel 4) unknown, down-left 0.4 known, down-right unknown.
    expect(calls).toHaveLength(1);
    expect(calls[0].stride).toBe(5);
    expect(calls[0].cells).toEqual([7, 12, 13]);
    expect(calls[0].diagonal[0]).toBeCloseTo(3 / 6 + 2 / 12, 15);
    expect(calls[0].b[0]).toBeCloseTo(0.1 / 6 + 0.3 / 6 + 0.4 / 12, 15);
    expect([calls[0].tolerance, calls[0].maxIterations]).toEqual([0.25, 6]);
  });

  it("sums each unknown's known neighbours into b in the equations' order: up, down, left, right, then the diagonals", () => {
    // The centre of a 3 × 3 image, all 8 neighbours known, with values whose sum rounds differently in another order:
    // the orders mirrored up–down, left–right and both each give other bits for one of the two images.
    const [D, G] = [1 / 6, 1 / 12];
    const sum = (terms: [number, number][]) => terms.reduce((total, [w, v]) => total + w * v, 0);
    const mirrorsSeen = [false, false, false];
    for (const [up, down, left, right, upLeft, upRight, downLeft, downRight] of [[0.13, 0.7, 0.41, 0.3, 0.9, 0.17, 0.2, 0.6], [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]]) {
      const image = Float64Array.of(upLeft, up, upRight, left, 0.5, right, downLeft, down, downRight);
      let b = NaN;
      const solver = (_: unknown, rhs: Float64Array) => ((b = rhs[0]), Float64Array.of(0));
      noisyLinearImputation(image, Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0), 3, 3, new Random(1), { sigma: 0 }, undefined, solver);
      const inOrder = sum([[D, up], [D, down], [D, left], [D, right], [G, upLeft], [G, upRight], [G, downLeft], [G, downRight]]);
      expect(b).toBe(inOrder);
      const mirrored = [
        sum([[D, down], [D, up], [D, left], [D, right], [G, downLeft], [G, downRight], [G, upLeft], [G, upRight]]),
        sum([[D, up], [D, down], [D, right], [D, left], [G, upRight], [G, upLeft], [G, downRight], [G, downLeft]]),
        sum([[D, down], [D, up], [D, right], [D, left], [G, downRight], [G, downLeft], [G, upRight], [G, upLeft]]),
      ];
      mirrored.forEach((other, k) => (mirrorsSeen[k] ||= other !== inOrder));
    }
    expect(mirrorsSeen).toEqual([true, true, true]); // so that the order is what the assertions above check
  });

  it('is conjugateGradients for a backend without a kernel of its own (the TypeScript reference)', () => {
    expect(imputationSolver(new ReferenceBackend())).toBe(conjugateGradients);
  });

  it('refuses what is not a solver, or not a backend, naming it', () => {
    expect(() => noisyLinearImputation([0, 1], Uint8Array.of(1, 0), 1, 2, new Random(1), {}, undefined, 'cg' as never)).toThrow(/^noisyLinearImputation: solve must be a solver of the imputation system/);
    expect(() => imputationSolver({} as never)).toThrow(/^imputationSolver: backend must be a backend/);
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
    expect(() => pearsonCorrelation([1, 2, 3], [1, 2])).toThrow(new XcnnError('pearsonCorrelation: samples of 3 and 2 values; give two samples of one length', { code: 'ERR_BAD_ARGUMENT' }));
  });
});

/**
 * SSIM written a second way: the window as the outer product of a 1-D Gaussian (separable, as skimage builds
 * it), the local statistics by the two-pass definitions μ = Σ w x, σ² = Σ w (x − μ)², σxy = Σ w (x − μx)(y − μy).
 */
function referenceSsim(a: ArrayLike<number>, b: ArrayLike<number>, height: number, width: number, { window = 11, sigma = 1.5, k1 = 0.01, k2 = 0.03, range = 1 } = {}): number {
  const gaussian = (side: number) => {
    const g = Array.from({ length: side }, (_, k) => Math.exp(-((k - (side - 1) / 2) ** 2) / (2 * sigma ** 2)));
    const sum = g.reduce((s, v) => s + v, 0);
    return g.map((v) => v / sum);
  };
  const sy = Math.min(window, height);
  const sx = Math.min(window, width);
  const gy = gaussian(sy);
  const gx = gaussian(sx);
  const c1 = (k1 * range) ** 2;
  const c2 = (k2 * range) ** 2;
  const scores: number[] = [];
  for (let top = 0; top <= height - sy; top++) {
    for (let left = 0; left <= width - sx; left++) {
      const cells: Array<[w: number, x: number, y: number]> = [];
      for (let y = 0; y < sy; y++) for (let x = 0; x < sx; x++) cells.push([gy[y] * gx[x], a[(top + y) * width + left + x], b[(top + y) * width + left + x]]);
      const mx = cells.reduce((s, [w, x]) => s + w * x, 0);
      const my = cells.reduce((s, [w, , y]) => s + w * y, 0);
      const vx = cells.reduce((s, [w, x]) => s + w * (x - mx) ** 2, 0);
      const vy = cells.reduce((s, [w, , y]) => s + w * (y - my) ** 2, 0);
      const cxy = cells.reduce((s, [w, x, y]) => s + w * (x - mx) * (y - my), 0);
      scores.push(((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2)));
    }
  }
  return scores.reduce((s, v) => s + v, 0) / scores.length;
}

describe('SSIM against a second implementation', () => {
  it('agrees on maps taller or wider than the window (3 × 6 and 6 × 3 window positions), and on maps smaller than it', () => {
    for (const [height, width, seed] of [[13, 16, 1], [16, 13, 2], [28, 28, 3], [5, 7, 4], [11, 4, 5], [1, 1, 6]]) {
      const a = randomImage(seed, height * width);
      const b = randomImage(seed + 50, height * width).map((v, k) => 0.5 * v + 0.5 * a[k]);
      const got = ssim(a, b, height, width);
      const expected = referenceSsim(a, b, height, width);
      expect(Math.abs(got - expected), `${height} × ${width}: ${got} vs ${expected}`).toBeLessThan(1e-12);
    }
  });

  it('takes each option: the window, σ, K1, K2 and the range L', () => {
    const a = randomImage(7, 20 * 18);
    const b = randomImage(8, 20 * 18);
    for (const options of [{ window: 7 }, { sigma: 3 }, { k1: 0.2 }, { k2: 0.5 }, { range: 4 }, { window: 5, sigma: 0.8, k1: 0.05, k2: 0.1, range: 2 }]) {
      const got = ssim(a, b, 20, 18, options);
      expect(Math.abs(got - referenceSsim(a, b, 20, 18, options)), JSON.stringify(options)).toBeLessThan(1e-12);
      expect(Math.abs(got - ssim(a, b, 20, 18)), JSON.stringify(options)).toBeGreaterThan(1e-6);
    }
    expect(SSIM_DEFAULTS).toEqual({ window: 11, sigma: 1.5, k1: 0.01, k2: 0.03, range: 1 });
  });

  it('is 1 for two equal constant maps (only C1 and C2 keep it defined), and (2μxμy + C1)/(μx² + μy² + C1) for two constants', () => {
    expect(ssim(new Float64Array(144).fill(0), new Float64Array(144).fill(0), 12, 12)).toBe(1);
    // Constant maps have σ = 0: SSIM = (2·0.2·0.6 + C1)/(0.04 + 0.36 + C1) · C2/C2.
    const c1 = 0.01 ** 2;
    expect(ssim(new Float64Array(144).fill(0.2), new Float64Array(144).fill(0.6), 12, 12)).toBeCloseTo((2 * 0.2 * 0.6 + c1) / (0.04 + 0.36 + c1), 12);
  });

  it('refuses maps whose length is not height × width, naming the lengths and the size', () => {
    expect(() => ssim(new Float64Array(12), new Float64Array(12), 3, 5)).toThrow(new XcnnError('ssim: maps of 12 and 12 values for 3 × 5; give two maps of height × width values', { code: 'ERR_BAD_ARGUMENT' }));
    expect(() => ssim(new Float64Array(15), new Float64Array(14), 3, 5)).toThrow(new XcnnError('ssim: maps of 15 and 14 values for 3 × 5; give two maps of height × width values', { code: 'ERR_BAD_ARGUMENT' }));
    expect(() => ssim(new Float64Array(14), new Float64Array(15), 3, 5)).toThrow(new XcnnError('ssim: maps of 14 and 15 values for 3 × 5; give two maps of height × width values', { code: 'ERR_BAD_ARGUMENT' }));
  });

  it('refuses maps and options of the wrong kind, naming the argument', () => {
    const map = new Float64Array(15);
    expect(() => ssim(null as never, map, 3, 5)).toThrow(/^ssim: a must be an array or a typed array of numbers, not null$/);
    expect(() => ssim(map, 'map' as never, 3, 5)).toThrow(/^ssim: b must be an array or a typed array of numbers, not /);
    expect(() => ssim(map, map, 3, 5, 42 as never)).toThrow(/^ssim: options must be /);
  });
});

describe('pointing game, worked examples', () => {
  // A 5 × 6 image with ink (> 0.5) at (1, 1) only; 0.5 itself is not ink.
  const image = new Float64Array(30);
  image[1 * 6 + 1] = 0.9;
  image[3 * 6 + 4] = 0.5;
  const peakAt = (y: number, x: number) => {
    const heatmap = new Float32Array(30).fill(0.1);
    heatmap[y * 6 + x] = 1;
    return heatmap;
  };

  it('hits within the tolerance (Chebyshev distance) of an ink pixel, and misses beyond it', () => {
    expect(pointingGameOutcome(peakAt(1, 1), image, 5, 6)).toBe('hit');
    expect(pointingGameOutcome(peakAt(2, 2), image, 5, 6)).toBe('hit'); // diagonal neighbour, distance 1
    expect(pointingGameOutcome(peakAt(0, 0), image, 5, 6)).toBe('hit');
    expect(pointingGameOutcome(peakAt(1, 3), image, 5, 6)).toBe('miss'); // distance 2
    expect(pointingGameOutcome(peakAt(3, 1), image, 5, 6)).toBe('miss');
    expect(pointingGameOutcome(peakAt(1, 3), image, 5, 6, { tolerance: 2 })).toBe('hit');
    expect(pointingGameOutcome(peakAt(3, 3), image, 5, 6, { tolerance: 2 })).toBe('hit');
    expect(pointingGameOutcome(peakAt(4, 4), image, 5, 6, { tolerance: 2 })).toBe('miss');
    expect(pointingGameOutcome(peakAt(1, 1), image, 5, 6, { tolerance: 0 })).toBe('hit');
    expect(pointingGameOutcome(peakAt(1, 2), image, 5, 6, { tolerance: 0 })).toBe('miss');
  });

  it('counts a pixel as ink only above the threshold, 0.5 by default', () => {
    expect(POINTING_GAME_DEFAULTS).toEqual({ inkThreshold: 0.5, tolerance: 1 });
    expect(pointingGameOutcome(peakAt(3, 4), image, 5, 6)).toBe('miss'); // 0.5 is not above 0.5
    expect(pointingGameOutcome(peakAt(3, 4), image, 5, 6, { inkThreshold: 0.4 })).toBe('hit');
    expect(pointingGameOutcome(peakAt(1, 1), image, 5, 6, { inkThreshold: 0.95 })).toBe('miss');
  });

  it('finds ink at the far edges of the image: the last row and column are searched', () => {
    const corner = new Float64Array(30);
    corner[29] = 1; // (4, 5)
    expect(pointingGameOutcome(peakAt(4, 5), corner, 5, 6)).toBe('hit');
    expect(pointingGameOutcome(peakAt(3, 4), corner, 5, 6)).toBe('hit');
    expect(pointingGameOutcome(peakAt(4, 4), corner, 5, 6)).toBe('hit');
    expect(pointingGameOutcome(peakAt(2, 5), corner, 5, 6)).toBe('miss');
  });

  it('looks for ink within the image only: a peak on the right edge does not see the next row\'s left edge', () => {
    // Ink at (2, 0) alone; a peak at (1, 5) is 5 columns from it. Read as one flat array, (1, 6) would be (2, 0).
    const leftInk = new Float64Array(30);
    leftInk[2 * 6 + 0] = 1;
    expect(pointingGameOutcome(peakAt(1, 5), leftInk, 5, 6)).toBe('miss');
    expect(pointingGameOutcome(peakAt(1, 1), leftInk, 5, 6)).toBe('hit');
  });

  it('refuses maps whose length is not the size given, and arguments of the wrong kind, naming each', () => {
    expect(() => pointingGameOutcome(new Float32Array(29), image, 5, 6)).toThrow(new XcnnError('pointingGameOutcome: a heatmap of 29 and an image of 30 values for 5 × 6; give each as height × width values', { code: 'ERR_BAD_ARGUMENT' }));
    expect(() => pointingGameOutcome(peakAt(1, 1), new Float64Array(31), 5, 6)).toThrow(new XcnnError('pointingGameOutcome: a heatmap of 30 and an image of 31 values for 5 × 6; give each as height × width values', { code: 'ERR_BAD_ARGUMENT' }));
    expect(() => pointingGame(new Float32Array(59), new Float64Array(90), 2, 5, 6)).toThrow(new XcnnError('pointingGame: 59 heatmap and 90 image values for 2 × 5 × 6; give at least count × height × width values of each', { code: 'ERR_BAD_ARGUMENT' }));
    expect(() => pointingGame(new Float32Array(90), new Float64Array(59), 2, 5, 6)).toThrow(new XcnnError('pointingGame: 90 heatmap and 59 image values for 2 × 5 × 6; give at least count × height × width values of each', { code: 'ERR_BAD_ARGUMENT' }));
    expect(pointingGame(new Float32Array(60), new Float64Array(60), 2, 5, 6).flat).toBe(2); // exactly enough
    expect(() => pointingGameOutcome(null as never, image, 5, 6)).toThrow(/^pointingGameOutcome: heatmap must be an array or a typed array of numbers, not null$/);
    expect(() => pointingGameOutcome(peakAt(1, 1), null as never, 5, 6)).toThrow(/^pointingGameOutcome: image must be an array or a typed array of numbers, not null$/);
    expect(() => pointingGameOutcome(peakAt(1, 1), image, '5' as never, 6)).toThrow(/^pointingGameOutcome: height must be /);
    expect(() => pointingGameOutcome(peakAt(1, 1), image, 5, null as never)).toThrow(/^pointingGameOutcome: width must be /);
    expect(() => pointingGameOutcome(peakAt(1, 1), image, 5, 6, 42 as never)).toThrow(/^pointingGameOutcome: options must be /);
    expect(() => pointingGame(null as never, new Float64Array(30), 1, 5, 6)).toThrow(/^pointingGame: heatmaps must be an array or a typed array of numbers, not null$/);
    expect(() => pointingGame(new Float32Array(30), null as never, 1, 5, 6)).toThrow(/^pointingGame: images must be an array or a typed array of numbers, not null$/);
    expect(() => pointingGame(new Float32Array(30), new Float64Array(30), 1, 5, 6, 42 as never)).toThrow(/^pointingGame: options must be /);
  });

  it('finds the maximum anywhere, including negative maps, and a map flat at any level is flat', () => {
    const negative = new Float32Array(30).fill(-3);
    negative[4 * 6 + 5] = -1;
    expect(pointingGameOutcome(negative, image, 5, 6)).toBe('miss');
    negative[0] = -0.5;
    negative[4 * 6 + 5] = -3;
    expect(pointingGameOutcome(negative, image, 5, 6)).toBe('hit');
    expect(pointingGameOutcome(new Float32Array(30).fill(-2), image, 5, 6)).toBe('flat');
    expect(pointingGameOutcome(new Float32Array(30).fill(7), image, 5, 6)).toBe('flat');
  });

  it('sums hits, misses (flat ones included) and the hit rate over a set, image by image', () => {
    const heatmaps = new Float32Array(4 * 30);
    heatmaps.set(peakAt(1, 1), 0); // hit
    heatmaps.set(peakAt(4, 4), 30); // miss
    heatmaps.set(new Float32Array(30), 60); // flat
    heatmaps.set(peakAt(2, 1), 90); // hit
    const images = new Float64Array(4 * 30);
    for (let n = 0; n < 4; n++) images.set(image, n * 30);
    expect(pointingGame(heatmaps, images, 4, 5, 6)).toEqual({ hits: 2, misses: 2, flat: 1, hitRate: 0.5 });
    expect(pointingGame(heatmaps, images, 4, 5, 6, { tolerance: 3 })).toEqual({ hits: 3, misses: 1, flat: 1, hitRate: 0.75 });
    expect(pointingGame(heatmaps, images, 0, 5, 6)).toEqual({ hits: 0, misses: 0, flat: 0, hitRate: 0 });
    // Each image is read against its own image: ink moved in image 3 only turns its hit into a miss.
    const moved = Float64Array.from(images);
    moved.fill(0, 90, 120);
    moved[90 + 29] = 1;
    expect(pointingGame(heatmaps, moved, 4, 5, 6)).toEqual({ hits: 1, misses: 3, flat: 1, hitRate: 0.25 });
  });
});
