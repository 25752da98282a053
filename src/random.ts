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
    advanceState(s);
    return result;
  }

  /**
   * Moves the stream on by `draws` draws — as many nextUint32 calls, or half as many gaussian ones — in a time that
   * grows with the number's bits, not its size: xoshiro's step is linear over GF(2), so `draws` steps are the state
   * times the step's matrix to that power, the product of the matrices for the power's set bits (made once, on
   * first use). A worker can so start its share of one seeded stream where a single thread would have reached it.
   */
  jump(draws: number): void {
    if (!Number.isSafeInteger(draws) || draws < 0) throw new XcnnError(`Random.jump: draws must be a whole number from 0 to 2^53 − 1, not ${draws}`, { code: 'ERR_BAD_ARGUMENT' });
    const powers = stepPowers();
    let state = this.s;
    for (let bit = 0; draws > 0; bit++, draws = Math.floor(draws / 2)) if (draws % 2 === 1) state = applyMatrix(powers[bit], state);
    this.s = state;
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

/** xoshiro128**'s state update (the step nextUint32 takes after reading its output), in place. */
function advanceState(s: Uint32Array): void {
  const t = s[1] << 9;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 11);
}

/*
 * A 128 × 128 matrix over GF(2) as its 128 columns, four uint32 words each: column j (words 4j … 4j + 3) is the image
 * of the state whose only set bit is bit j (bit j & 31 of word j >> 5). The state update is linear (xors, shifts and a
 * rotation), so its matrix is the update applied to each such state.
 */
const STATE_BITS = 128;

/** M · v: the xor of the columns of M for the bits set in v. */
function applyMatrix(matrix: Uint32Array, v: Uint32Array): Uint32Array {
  const out = new Uint32Array(4);
  for (let j = 0; j < STATE_BITS; j++) {
    if (((v[j >>> 5] >>> (j & 31)) & 1) === 0) continue;
    const at = 4 * j;
    out[0] ^= matrix[at];
    out[1] ^= matrix[at + 1];
    out[2] ^= matrix[at + 2];
    out[3] ^= matrix[at + 3];
  }
  return out;
}

/** M · N, column by column. */
function multiplyMatrices(m: Uint32Array, n: Uint32Array): Uint32Array {
  const out = new Uint32Array(4 * STATE_BITS);
  for (let j = 0; j < STATE_BITS; j++) out.set(applyMatrix(m, n.subarray(4 * j, 4 * j + 4)), 4 * j);
  return out;
}

let powersOfStep: Uint32Array[] | null = null;

/** The step's matrix A to the powers 2⁰ … 2⁵², A^(2^(k+1)) = A^(2^k) · A^(2^k). */
function stepPowers(): Uint32Array[] {
  if (powersOfStep !== null) return powersOfStep;
  const step = new Uint32Array(4 * STATE_BITS);
  for (let j = 0; j < STATE_BITS; j++) {
    const state = new Uint32Array(4);
    state[j >>> 5] = 1 << (j & 31);
    advanceState(state);
    step.set(state, 4 * j);
  }
  const powers: Uint32Array[] = [step];
  for (let k = 1; k < 53; k++) powers.push(multiplyMatrices(powers[k - 1], powers[k - 1]));
  powersOfStep = powers;
  return powers;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
