/**
 * Group 1: the f32x4 multiply-add ceiling of one core under this JavaScript engine — a register-only
 * loop of independent chains (assembly/ceiling.ts): 8 mul + add chains in the plain SIMD build, 12
 * fused relaxed_madd chains in the relaxed-SIMD build; either way 2 flops per lane per multiply-add.
 * The higher of the two is the 100 % every other group measures against.
 */
import { createWasmBackend, type KernelBuild } from '../src/backend/wasm/node.js';
import { medianMs, significant, type BenchGroup, type BenchRow } from './bench-group.js';

const ITERATIONS = 1_000_000; // ~1 ms per call
const LOOPS: Record<KernelBuild, string> = { simd: '8 chains of f32x4.mul + f32x4.add', 'relaxed-simd': '12 chains of f32x4.relaxed_madd (fused)' };

export const simdCeilingGroup: BenchGroup = {
  name: 'SIMD ceiling',
  description: 'register-only multiply-add loops, one per kernel build; a multiply-add = 2 flops per lane; the higher is the ceiling',
  async run(context) {
    const rows: BenchRow[] = [];
    let ceiling = 0;
    for (const build of ['simd', 'relaxed-simd'] as KernelBuild[]) {
      const backend = build === context.wasm.build ? context.wasm : await createWasmBackend({ build }).catch(() => null);
      if (backend === null) {
        rows.push({ build, loop: LOOPS[build], 'ms/call': null, 'GFLOP/s': null });
        continue;
      }
      let flops = 0;
      const ms = await medianMs(`simd ceiling (${build})`, () => {
        flops = backend.simdCeiling(ITERATIONS);
      }, { time: 1500, iterations: 50 });
      const gflops = flops / (ms * 1e6);
      ceiling = Math.max(ceiling, gflops);
      rows.push({ build, loop: LOOPS[build], 'ms/call': significant(ms), 'GFLOP/s': significant(gflops) });
    }
    context.ceilingGflops = ceiling;
    return rows;
  },
};
