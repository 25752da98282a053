/**
 * A small, seeded, serialisable pseudo-random generator: xoshiro128** (Blackman & Vigna, 2018), seeded
 * through splitmix32 so nearby seeds give unrelated streams. Its whole state is four uint32 words, so a
 * checkpoint can save it and a resumed run continues the very same stream. Same seed → same weights,
 * same shuffles, same run, bit for bit.
 */
import { checkNumber, checkNumbers } from './argument-checks.js';
import { XcnnError } from './errors.js';

export type RandomState = [number, number, number, number];

export class Random {
  private s: Uint32Array;

  constructor(seed: number) {
    checkNumber('Random', 'seed', seed, 'a number (the seed, a whole number)');
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let k = 0; k < 4; k++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[k] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1; // the all-zero state is a fixed point
  }

  static fromState(state: RandomState): Random {
    checkNumbers('Random.fromState', 'state', state);
    if (state.length !== 4) throw new XcnnError(`Random.fromState: state must hold 4 numbers, as random.state() gives them, not ${state.length}`, { code: 'ERR_BAD_ARGUMENT' });
    const random = new Random(0);
    random.s.set(state);
    return random;
  }

  state(): RandomState {
    return [this.s[0], this.s[1], this.s[2], this.s[3]];
  }

  /** The next uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  /** A standard normal number, from two draws (Box–Muller; 1 − u keeps the logarithm finite). */
  gaussian(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    const limit = 4294967296 - (4294967296 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Shuffles in place (Fisher–Yates). */
  shuffle(array: { [k: number]: number; length: number }): void {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
