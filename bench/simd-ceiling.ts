/**
 * Group 1: the f32x4 multiply-add ceiling of one core under this JavaScript engine — a register-only
 * loop of independent mul + add chains (assembly/ceiling.ts), counting mul + add as 2 flops per lane.
 * It is the 100 % the GEMM group measures against.
 */
import { medianMs, significant, type BenchGroup } from './bench-group.js';

const ITERATIONS = 1_000_000; // ~1 ms per call

export const simdCeilingGroup: BenchGroup = {
  name: 'SIMD ceiling',
  description: 'register-only f32x4 mul+add loop, 8 independent accumulators; mul+add = 2 flops per lane',
  async run(context) {
    let flops = 0;
    const ms = await medianMs('simd ceiling', () => {
      flops = context.wasm.simdCeiling(ITERATIONS);
    }, { time: 1500, iterations: 50 });
    const gflops = flops / (ms * 1e6);
    context.ceilingGflops = gflops;
    return [{ kernel: 'f32x4.mul + f32x4.add', 'ms/call': significant(ms), 'GFLOP/s': significant(gflops) }];
  },
};
