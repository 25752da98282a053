import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';

describe('Random (xoshiro128**)', () => {
  it('gives the same stream for the same seed and resumes exactly from a saved state', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 0, max: 50 }), (seed, skip) => {
        const a = new Random(seed);
        const b = new Random(seed);
        for (let k = 0; k < skip; k++) expect(a.nextUint32()).toBe(b.nextUint32());
        const resumed = Random.fromState(a.state());
        for (let k = 0; k < 10; k++) expect(resumed.next()).toBe(a.next());
      }),
    );
  });

  it('draws uniform numbers in [0,1) with a mean near 1/2', () => {
    const random = new Random(3);
    let sum = 0;
    for (let k = 0; k < 100_000; k++) {
      const x = random.next();
      expect(x >= 0 && x < 1).toBe(true);
      sum += x;
    }
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.01);
  });

  it('shuffles into a permutation', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer(), (n, seed) => {
        const array = Int32Array.from({ length: n }, (_, k) => k);
        new Random(seed).shuffle(array);
        expect([...array].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, k) => k));
      }),
    );
  });

  it('draws standard normal numbers: finite, mean near 0, variance near 1, two uniform draws each', () => {
    const random = new Random(3);
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < 100_000; i++) {
      const x = random.gaussian();
      expect(Number.isFinite(x)).toBe(true);
      sum += x;
      squares += x * x;
    }
    expect(Math.abs(sum / 100_000)).toBeLessThan(0.02);
    expect(Math.abs(squares / 100_000 - 1)).toBeLessThan(0.02);
    const a = new Random(5);
    const b = new Random(5);
    a.gaussian();
    b.next();
    b.next();
    expect(a.next()).toBe(b.next());
  });
});

describe('Random: its argument checks, word for word', () => {
  it('names the constructor or fromState, the argument and what it must be', () => {
    expect(() => new Random('1' as never)).toThrow('Random: seed must be a number (the seed, a whole number), not string');
    expect(() => Random.fromState('s' as never)).toThrow('Random.fromState: state must be an array or a typed array of numbers, not string');
    let caught: unknown;
    try {
      Random.fromState([1, 2, 3]);
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toBe('Random.fromState: state must hold 4 numbers, as random.state() gives them, not 3');
    expect((caught as { code?: string }).code).toBe('ERR_BAD_ARGUMENT');
  });
});
