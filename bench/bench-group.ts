/**
 * What every benchmark group is: a name, what it measures, and a function that measures and returns
 * the rows of its table. bench/run.ts runs the groups in order, prints each table and writes them all
 * to runs/bench.json. To add a group, write one of these and append it to the list in run.ts.
 *
 * Times are medians over tinybench samples: other processes share the machine, and the median shrugs
 * off the samples they disturb. Ratios between rows of one run are what count; absolute numbers move
 * with the machine.
 */
import { Bench } from 'tinybench';
import type { Floats } from '../src/backend/backend.js';
import type { ReferenceBackend } from '../src/backend/reference/index.js';
import type { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import type { Random } from '../src/random.js';

/** One table row; cells are numbers where they are measurements, so runs/bench.json stays machine-readable. */
export type BenchRow = Record<string, string | number | null>;

export interface BenchContext {
  wasm: WasmBackend;
  reference: ReferenceBackend;
  /** The f32x4 multiply-add ceiling in GFLOP/s, set by the SIMD ceiling group for the groups after it. */
  ceilingGflops: number | null;
  /**
   * The GEMM's own rate in GFLOP/s, by kernel build: one core on a product that fits its packing panels
   * (GEMM_RATE_SHAPE), set by the SIMD ceiling group — what a network that runs as GEMMs of good shapes can reach.
   */
  gemmGflops: Partial<Record<'simd' | 'relaxed-simd', number>>;
}

export interface BenchGroup {
  name: string;
  /** One line under the table's title: what is measured and how to read it. */
  description: string;
  run(context: BenchContext): Promise<BenchRow[]>;
}

export interface TimingBudget {
  /** Milliseconds to keep sampling (after warm-up). */
  time?: number;
  /** Minimum number of samples. */
  iterations?: number;
}

/** The median time of one call of `fn`, in milliseconds. */
export async function medianMs(name: string, fn: () => void, budget: TimingBudget = {}): Promise<number> {
  const time = budget.time ?? 500;
  const bench = new Bench({
    time,
    iterations: budget.iterations ?? 10,
    warmupTime: Math.min(200, time / 2),
    warmupIterations: Math.min(5, budget.iterations ?? 5),
    throws: true,
  });
  bench.add(name, fn);
  const [task] = await bench.run();
  const result = task.result;
  if (result.state !== 'completed') throw new Error(`benchmark ${name} did not complete (${result.state})`);
  return result.latency.p50;
}

/** `value` rounded to `digits` significant digits. */
export function significant(value: number, digits = 3): number {
  return Number(value.toPrecision(digits));
}

/** `length` values uniform in [−1, 1), drawn in order from `random`, in an array of `backend`'s (the groups' operands). */
export function randomFloats<T extends Floats>(backend: { allocFloats(length: number): T }, length: number, random: Random): T {
  const array = backend.allocFloats(length);
  for (let i = 0; i < length; i++) array[i] = random.uniform(-1, 1);
  return array;
}

/** A training step's whole at `threads` threads for "% of GEMM rate": the build's GEMM rate × threads, or null before the ceiling group ran. */
export function gemmRateOf(context: BenchContext, build: string, threads: number): number | null {
  const rate = context.gemmGflops[build as 'simd' | 'relaxed-simd'];
  return rate === undefined ? null : rate * threads;
}

/** `part / whole` in percent, rounded, or null when the whole is unknown. */
export function percentOf(part: number, whole: number | null): number | null {
  return whole === null ? null : Math.round((100 * part) / whole);
}
