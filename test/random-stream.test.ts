/**
 * Random's stream against a second implementation written here from the papers (splitmix32 seeding,
 * Blackman & Vigna's xoshiro128**, in BigInt arithmetic so no 32-bit trick is shared with the code under test),
 * the published first outputs of xoshiro128** from the state [1, 2, 3, 4], and each derived draw (uniform,
 * gaussian, int, shuffle) against its definition on a twin generator.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';

const MASK = (1n << 32n) - 1n;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & MASK;

/** splitmix32 (the constants of murmur3's finaliser) for the four state words, as Random's constructor says. */
function seedState(seed: number): bigint[] {
  let x = BigInt(seed >>> 0);
  const state: bigint[] = [];
  for (let k = 0; k < 4; k++) {
    x = (x + 0x9e3779b9n) & MASK;
    let z = x;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) & MASK;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) & MASK;
    state.push(z ^ (z >> 16n));
  }
  return state;
}

/** xoshiro128**'s state step, the xorshift steps of the paper, in place. */
function stepState(s: bigint[]): void {
  const t = (s[1] << 9n) & MASK;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11n);
}

/** xoshiro128**: result = rotl(s1·5, 7)·9, then the state moves by a step. */
function* xoshiro(state: bigint[]): Generator<number> {
  const s = [...state];
  for (;;) {
    const result = (rotl((s[1] * 5n) & MASK, 7n) * 9n) & MASK;
    stepState(s);
    yield Number(result);
  }
}

describe('Random (xoshiro128** seeded by splitmix32)', () => {
  it('gives the published first outputs from the state [1, 2, 3, 4]', () => {
    const random = Random.fromState([1, 2, 3, 4]);
    // rotl(2·5, 7)·9 = 1280·9; the second has s1 = 0.
    expect([random.nextUint32(), random.nextUint32()]).toEqual([11520, 0]);
    const reference = xoshiro([1n, 2n, 3n, 4n]);
    const again = Random.fromState([1, 2, 3, 4]);
    for (let k = 0; k < 1000; k++) expect(again.nextUint32()).toBe(reference.next().value);
  });

  it('seeds its four words by splitmix32 and draws the stream the second implementation draws, for seeds across the range', () => {
    for (const seed of [0, 1, 2, 42, 65535, 2 ** 31, 2 ** 32 - 1, 123456789]) {
      const random = new Random(seed);
      expect(random.state(), `seed ${seed}`).toEqual(seedState(seed).map(Number));
      const reference = xoshiro(seedState(seed));
      for (let k = 0; k < 200; k++) expect(random.nextUint32()).toBe(reference.next().value);
      expect(random.state().every((word) => Number.isInteger(word) && word >= 0 && word < 2 ** 32)).toBe(true);
    }
  });

  it('reads a seed as its 32-bit unsigned value', () => {
    expect(new Random(-1).state()).toEqual(new Random(2 ** 32 - 1).state());
    expect(new Random(2 ** 32 + 5).state()).toEqual(new Random(5).state());
  });

  it('next is the uint32 over 2³²; uniform(a, b) is a + (b − a)·next', () => {
    const random = Random.fromState([1, 2, 3, 4]);
    expect(random.next()).toBe(11520 / 2 ** 32);
    const a = new Random(9);
    const b = new Random(9);
    for (let k = 0; k < 100; k++) {
      const u = b.nextUint32() / 4294967296;
      expect(a.uniform(-3, 5)).toBe(-3 + 8 * u);
    }
  });

  it('gaussian is Box–Muller on 1 − u and v: √(−2 ln(1 − u))·cos(2πv)', () => {
    const a = new Random(17);
    const b = new Random(17);
    for (let k = 0; k < 100; k++) {
      const u = b.next();
      const v = b.next();
      expect(a.gaussian()).toBe(Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v));
    }
  });

  it('int(n) rejects the draws at or above the largest multiple of n below 2³² and takes the rest modulo n', () => {
    // n = 2³¹ + 1: 2³² mod n = 2³¹ − 1, so the limit is n itself and about half the draws are rejected.
    for (const n of [2 ** 31 + 1, 3, 10, 1, 2 ** 32 - 1]) {
      const a = new Random(23);
      const b = new Random(23);
      const limit = 2 ** 32 - (2 ** 32 % n);
      for (let k = 0; k < 200; k++) {
        let x = b.nextUint32();
        while (x >= limit) x = b.nextUint32();
        expect(a.int(n), `n ${n}`).toBe(x % n);
      }
    }
  });

  it('int(n) with n = 2³¹ + 1 gives numbers of the upper half too (not only those below 2³¹)', () => {
    const random = new Random(3);
    const draws = Array.from({ length: 200 }, () => random.int(2 ** 31 + 1));
    expect(Math.max(...draws)).toBeGreaterThan(2 ** 30);
    expect(draws.every((x) => x >= 0 && x <= 2 ** 31)).toBe(true);
  });

  it('shuffles by Fisher–Yates: from the last position down, swapping with a uniform earlier-or-same one', () => {
    for (const n of [0, 1, 2, 5, 30]) {
      const array = Int32Array.from({ length: n }, (_, k) => k * 10);
      new Random(31).shuffle(array);
      const expected = Array.from({ length: n }, (_, k) => k * 10);
      const twin = new Random(31);
      for (let i = n - 1; i > 0; i--) {
        const j = twin.int(i + 1);
        [expected[i], expected[j]] = [expected[j], expected[i]];
      }
      expect(Array.from(array), `n ${n}`).toEqual(expected);
    }
  });
});

describe('Random draws at their edges', () => {
  /** The state word s1 that makes the next uint32 exactly `value`: inverts result = rotl(5·s1, 7)·9 mod 2³². */
  function s1For(value: number): number {
    const modulus = 1n << 32n;
    const inverse = (a: bigint) => {
      // Newton's iteration for the inverse of an odd number modulo 2³²
      let x = a;
      for (let k = 0; k < 5; k++) x = (x * (2n - a * x)) % modulus;
      return (x + modulus) % modulus;
    };
    const rotated = (BigInt(value) * inverse(9n)) % modulus; // rotl(5·s1, 7)
    const fiveS1 = ((rotated >> 7n) | (rotated << 25n)) & MASK;
    return Number((fiveS1 * inverse(5n)) % modulus);
  }

  it('int(n) rejects a draw equal to the limit itself and takes the next one', () => {
    const n = 2 ** 31 + 1; // limit = 2³² − (2³² mod n) = n
    const state: [number, number, number, number] = [7, s1For(n), 11, 13];
    expect(Random.fromState(state).nextUint32()).toBe(n);
    const twin = Random.fromState(state);
    twin.nextUint32(); // the rejected draw
    let x = twin.nextUint32();
    while (x >= n) x = twin.nextUint32();
    expect(Random.fromState(state).int(n)).toBe(x % n);
  });

  it('shuffle draws one number a position from the last down to the second, none for the first', () => {
    for (const n of [1, 2, 6]) {
      const random = new Random(12);
      random.shuffle(new Int32Array(n));
      const twin = new Random(12);
      for (let i = n - 1; i > 0; i--) twin.int(i + 1);
      expect(random.state(), `n ${n}`).toEqual(twin.state());
    }
  });
});

describe('Random.jump', () => {
  /** The second implementation's state after `draws` steps from seed `seed`, by stepping (BigInt). */
  function steppedState(seed: number, draws: number): number[] {
    const s = seedState(seed);
    for (let k = 0; k < draws; k++) stepState(s);
    return s.map(Number);
  }

  it('leaves the stream where that many draws would, for counts of every size up to 5,000', () => {
    for (const draws of [0, 1, 2, 3, 4, 31, 32, 33, 127, 128, 129, 1000, 4999]) {
      const random = new Random(77);
      random.jump(draws);
      expect(random.state(), `${draws} draws`).toEqual(steppedState(77, draws));
    }
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 3000 }), (seed, draws) => {
        const jumped = new Random(seed);
        jumped.jump(draws);
        const drawn = new Random(seed);
        for (let k = 0; k < draws; k++) drawn.nextUint32();
        expect(jumped.state()).toEqual(drawn.state());
        expect(jumped.gaussian()).toBe(drawn.gaussian());
      }),
      { numRuns: 30 },
    );
  });

  it('composes: jumps of a and b land where one of a + b does, up to 2⁵³ − 1 draws', () => {
    const pairs = [[2 ** 40 + 12_345, 2 ** 41 + 7], [2 ** 52, 2 ** 52 - 1], [1, 2 ** 53 - 2], [123_456_789, 987_654_321]];
    for (const [a, b] of pairs) {
      const twice = new Random(5);
      twice.jump(a);
      twice.jump(b);
      const once = new Random(5);
      once.jump(a + b);
      expect(twice.state(), `${a} + ${b}`).toEqual(once.state());
    }
    // and a long jump is not the identity: the stream moved
    const far = new Random(5);
    far.jump(2 ** 53 - 1);
    expect(far.state()).not.toEqual(new Random(5).state());
  });

  it('refuses a count that is not a whole number from 0 to 2⁵³ − 1, moving nothing', () => {
    const random = new Random(3);
    const before = random.state();
    for (const draws of [-1, 0.5, NaN, Infinity, 2 ** 53]) {
      expect(errorOf(() => random.jump(draws), 'ERR_BAD_ARGUMENT').message).toBe(`Random.jump: draws must be a whole number from 0 to 2^53 − 1, not ${draws}`);
    }
    expect(random.state()).toEqual(before);
  });
});
