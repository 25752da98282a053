/**
 * ROAD's imputation solve as a kernel (assembly/road-imputation.ts, WasmBackend.solveImputation): on both kernel
 * builds, over random images, masks, tolerances and iteration limits, the same x bit for bit as the TypeScript
 * solver (conjugateGradients) — and so the same imputed images; what it refuses before the kernel reads a cell
 * outside its grid; and the scratch it reuses.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImputationStencil } from '../src/backend/backend.js';
import { conjugateGradients, imputationSolver, noisyLinearImputation } from '../src/faithfulness/road-imputation.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { bothBuilds, SMALL_MEMORY } from './fixtures/both-builds.js';

const builds = await bothBuilds();

const sameBits = (got: ArrayLike<number>, expected: ArrayLike<number>) => {
  expect(got.length).toBe(expected.length);
  for (let k = 0; k < expected.length; k++) if (!Object.is(got[k], expected[k])) expect(got[k], `element ${k}`).toBe(expected[k]);
};

/** An image, a mask and the options of one imputation, drawn from a seed: values of both signs, zeros and ones among them. */
function imputationCase(seed: number, height: number, width: number, fraction: number) {
  const random = new Random(seed);
  const pixels = height * width;
  const image = Float64Array.from({ length: pixels }, () => [0, 1, random.uniform(-2, 2)][random.int(3)]);
  const removed = Uint8Array.from({ length: pixels }, () => (random.next() < fraction ? 1 : 0));
  return { image, removed };
}

describe.each(builds)('ROAD imputation solve, %s build', (_, backend) => {
  const solve = imputationSolver(backend);

  it("is the backend's kernel, not the TypeScript solver", () => {
    expect(solve).not.toBe(conjugateGradients);
  });

  it('imputes every image as the TypeScript solver does, bit for bit (random sizes, masks, σ and tolerances)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 14 }),
        fc.integer({ min: 1, max: 14 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer({ min: 0, max: 1e6 }),
        fc.constantFrom(0, 1e-12, 1e-6, 0.1, 1),
        fc.constantFrom(0, 0.01, 0.5),
        (height, width, fraction, seed, tolerance, sigma) => {
          const { image, removed } = imputationCase(seed, height, width, fraction);
          const options = { sigma, tolerance };
          const expected = noisyLinearImputation(image, removed, height, width, new Random(seed), options);
          const got = noisyLinearImputation(image, removed, height, width, new Random(seed), options, undefined, solve);
          sameBits(got, expected);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('stops where the TypeScript solver stops: at each iteration limit, and on a direction with pᵀAp ≤ 0', () => {
    const { image, removed } = imputationCase(7, 9, 11, 0.7);
    const stencil = stencilOf(removed, 9, 11);
    const b = Float64Array.from(stencil.cells, (_, k) => image[k % image.length] - 0.5);
    for (const maxIterations of [0, 1, 2, 5, 40]) sameBits(backend.solveImputation(stencil, b, 1e-12, maxIterations), conjugateGradients(stencil, b, 1e-12, maxIterations));
    const zero = { stride: 5, cells: Int32Array.of(6, 8), diagonal: new Float64Array(2) }; // A = 0
    sameBits(backend.solveImputation(zero, Float64Array.of(1, 2), 1e-6, 4), [0, 0]);
    sameBits(backend.solveImputation({ stride: 5, cells: new Int32Array(0), diagonal: new Float64Array(0) }, new Float64Array(0), 1e-6, 4), []);
  });

  it('gives the same x on a smaller system after a larger one: its scratch reused, the grid zeroed again, the first x kept', () => {
    // One iteration leaves the large system's search direction, of b's size, on the grid the small one reuses.
    const large = imputationCase(3, 20, 20, 0.9);
    const largeStencil = stencilOf(large.removed, 20, 20);
    const largeB = Float64Array.from(largeStencil.cells, (_, k) => 1e6 + k);
    const first = backend.solveImputation(largeStencil, largeB, 1e-9, 1);
    const firstCopy = Float64Array.from(first);
    const small = { stride: 4, cells: Int32Array.of(5, 6), diagonal: Float64Array.of(4, 3) };
    sameBits(backend.solveImputation(small, Float64Array.of(1, 2), 1e-12, 10), conjugateGradients(small, Float64Array.of(1, 2), 1e-12, 10));
    sameBits(first, firstCopy);
    sameBits(first, conjugateGradients(largeStencil, largeB, 1e-9, 1));
    // the same system again with another b: the x it gave first is its own array, not a view of the scratch
    const again = backend.solveImputation(largeStencil, Float64Array.from(largeB, (v) => -v), 1e-9, 1);
    expect(again[0]).toBe(-first[0]);
    sameBits(first, firstCopy);
  });

  it('writes nothing outside its scratch: memory handed out before a solve on a fresh backend keeps its values, and memory after it is still zero', async () => {
    const fresh = await createWasmBackend({ ...SMALL_MEMORY, build: backend.build });
    try {
      const before = fresh.allocFloats(4096).fill(7);
      const { removed } = imputationCase(11, 16, 16, 0.8);
      const stencil = stencilOf(removed, 16, 16);
      fresh.solveImputation(stencil, Float64Array.from(stencil.cells, () => 1), 1e-12, 100);
      const after = fresh.allocFloats(4096);
      expect(before.every((v) => v === 7)).toBe(true);
      expect(after.every((v) => v === 0)).toBe(true);
    } finally {
      fresh.dispose();
    }
  });

  it('refuses a stencil whose cells or lengths would take it outside its grid, saying what to give', () => {
    const b = Float64Array.of(1, 2);
    const diagonal = Float64Array.of(1, 1);
    const refusal = (stencil: ImputationStencil, rhs = b, maxIterations = 4) => errorOf(() => backend.solveImputation(stencil, rhs, 1e-6, maxIterations), 'ERR_BAD_ARGUMENT').message;
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 3), diagonal })).toBe("solveImputation: cell 3 of unknown 1 is on the grid's border (stride 4); every unknown's 8 neighbours must be cells of the grid");
    expect(refusal({ stride: 4, cells: Int32Array.of(4, 5), diagonal })).toMatch(/cell 4 of unknown 0 is on the grid's border/);
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 7), diagonal })).toMatch(/cell 7 of unknown 1 is on the grid's border/);
    expect(refusal({ stride: 4, cells: Int32Array.of(-3, 5), diagonal })).toMatch(/cell -3 of unknown 0 is on the grid's border/);
    expect(refusal({ stride: 4, cells: Int32Array.of(5), diagonal })).toBe('solveImputation: 1 cells and 2 diagonal values for 2 unknowns; give one of each an unknown');
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 6), diagonal: Float64Array.of(1) })).toMatch(/2 cells and 1 diagonal values for 2 unknowns/);
    expect(refusal({ stride: 2, cells: Int32Array.of(5, 6), diagonal })).toBe("solveImputation: the grid's stride must be a whole number ≥ 3 (a width and its border), not 2");
    expect(refusal({ stride: 4.5, cells: Int32Array.of(5, 6), diagonal })).toMatch(/not 4.5$/);
    expect(refusal({ stride: 4, cells: Float64Array.of(5, 6) as never, diagonal })).toBe('solveImputation: the cells must be an Int32Array and the diagonal and b Float64Arrays');
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 6), diagonal: Float32Array.of(1, 1) as never })).toMatch(/the cells must be an Int32Array/);
    expect(refusal({ stride: 4, cells: [5, 6] as never, diagonal })).toBe('solveImputation: stencil.cells must be an object (stencil: stride, cells and diagonal, as noisyLinearImputation builds them), not Array');
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 6), diagonal }, [1, 2] as never)).toMatch(/the cells must be an Int32Array/);
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 6), diagonal }, null as never)).toMatch(/the cells must be an Int32Array and the diagonal and b Float64Arrays$/); // not a TypeError from b.length
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 6), diagonal }, b, -1)).toBe('solveImputation: maxIterations must be a whole number ≥ 0, not -1');
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 6), diagonal }, b, 1.5)).toMatch(/not 1.5$/);
    expect(refusal({ stride: 4, cells: Int32Array.of(5, 6), diagonal }, b, 2 ** 31)).toMatch(/not 2147483648$/);
    sameBits(backend.solveImputation({ stride: 4, cells: Int32Array.of(5, 6), diagonal }, b, 1e-6, 2 ** 31 - 1), conjugateGradients({ stride: 4, cells: Int32Array.of(5, 6), diagonal }, b, 1e-6, 10));
    expect(refusal({ stride: 4, cells: Int32Array.of(1, 6), diagonal })).toMatch(/cell 1 of unknown 0 is on the grid's border/); // the top row
    expect(refusal(null as never)).toBe('solveImputation: stencil must be an object (stride, cells and diagonal, as noisyLinearImputation builds them), not null');
    expect(refusal({ cells: Int32Array.of(5, 6), diagonal } as never)).toMatch(/^solveImputation: stencil.stride must be a number/);
    expect(errorOf(() => backend.solveImputation({ stride: 4, cells: Int32Array.of(5, 6), diagonal }, b, '1e-6' as never, 4), 'ERR_BAD_ARGUMENT').message).toBe("solveImputation: tolerance must be a number (conjugate gradients' relative residual), not string");
  });
});

/** The stencil of a mask as noisyLinearImputation builds it (its diagonal 1.5, so A is positive definite: the solves above compare solvers, not systems). */
function stencilOf(removed: Uint8Array, height: number, width: number): ImputationStencil {
  const cells: number[] = [];
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (removed[y * width + x]) cells.push((y + 1) * (width + 2) + x + 1);
  return { stride: width + 2, cells: Int32Array.from(cells), diagonal: Float64Array.from(cells, () => 1.5) };
}
