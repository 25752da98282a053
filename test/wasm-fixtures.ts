/**
 * What the wasm parity tests share: one wasm backend and one float32 reference backend per test file,
 * and seeded random tensors allocated in the wasm backend's memory (fast-check draws the seed, so a
 * failing case shrinks and replays like any other).
 */
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { randomFloatsIn } from './fixtures/both-builds.js';
import { Random } from '../src/random.js';

export const wasm = await createWasmBackend();
export const reference = new ReferenceBackend({ precision: 'float32' });

/** A wasm-owned array of `length` values uniform in [low, high). */
export function randomFloats(length: number, random: Random, low = -1, high = 1): Float32Array {
  return randomFloatsIn(wasm, length, random, low, high);
}


/** A wasm-owned copy of `source`. */
export function wasmCopy(source: ArrayLike<number>): Float32Array {
  const array = wasm.allocFloats(source.length);
  array.set(source);
  return array;
}

/** |source|, elementwise: fed to the reference, it gives Σ|terms| for every output of a sum. */
export function absolute(source: ArrayLike<number>): Float32Array {
  return Float32Array.from(source, Math.abs);
}
