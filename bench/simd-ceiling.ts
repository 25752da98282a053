/**
 * Group 1: the f32x4 multiply-add ceiling of one core under this JavaScript engine — a register-only
 * loop of independent chains (assembly/ceiling.ts): 8 mul + add chains in the plain SIMD build, 12
 * fused relaxed_madd chains in the relaxed-SIMD build; either way 2 flops per lane per multiply-add.
 * The higher of the two is the 100 % every other group measures against.
 *
 * Beside it, each build's GEMM on a product that fits its packing panels (GEMM_RATE_SHAPE: one M block, one K
 * block, B's panel in L2): the most the register-tiled micro-kernel makes of that ceiling on this core. The
 * training groups also read their steps against it ("% of GEMM rate"): how near a network comes to running all
 * its multiply-adds as GEMMs of good shapes.
 */
import { Random } from '../src/random.js';
import { createWasmBackend, type KernelBuild } from '../src/backend/wasm/node.js';
import { medianMs, percentOf, randomFloats, significant, type BenchGroup, type BenchRow } from './bench-group.js';

const ITERATIONS = 1_000_000; // ~1 ms per call
const LOOPS: Record<KernelBuild, string> = { simd: '8 chains of f32x4.mul + f32x4.add', 'relaxed-simd': '12 chains of f32x4.relaxed_madd (fused)' };
/** M × N × K of the GEMM rate's product: C [150, 2048] = A [150, 256] · B [256, 2048], the relaxed build's MC × NC × KC. */
export const GEMM_RATE_SHAPE = { M: 150, N: 2048, K: 256 };

/** GFLOP/s of `backend`'s GEMM on GEMM_RATE_SHAPE, A and B uniform in [−1, 1). */
async function gemmRate(backend: Awaited<ReturnType<typeof createWasmBackend>>): Promise<number> {
  const { M, N, K } = GEMM_RATE_SHAPE;
  const random = new Random(1);
  const [A, B] = [M * K, K * N].map((length) => randomFloats(backend, length, random));
  const C = backend.allocFloats(M * N);
  try {
    const ms = await medianMs(`gemm rate (${backend.build})`, () => backend.gemm(false, false, M, N, K, A, K, B, N, C, N, false), { time: 1000, iterations: 20 });
    return (2 * M * N * K) / (ms * 1e6);
  } finally {
    for (const array of [A, B, C]) backend.free(array);
  }
}

export const simdCeilingGroup: BenchGroup = {
  name: 'SIMD ceiling',
  description:
    'register-only multiply-add loops, one per kernel build; a multiply-add = 2 flops per lane; the higher is the ceiling; ' +
    `beside each, its GEMM on ${GEMM_RATE_SHAPE.M} × ${GEMM_RATE_SHAPE.N} × ${GEMM_RATE_SHAPE.K} (a product that fits the packing panels): the GEMM's own rate`,
  async run(context) {
    const rows: BenchRow[] = [];
    let ceiling = 0;
    for (const build of ['simd', 'relaxed-simd'] as KernelBuild[]) {
      const backend = build === context.wasm.build ? context.wasm : await createWasmBackend({ build }).catch(() => null);
      if (backend === null) {
        rows.push({ build, loop: LOOPS[build], 'ms/call': null, 'GFLOP/s': null, 'GEMM GFLOP/s': null });
        continue;
      }
      let flops = 0;
      const ms = await medianMs(`simd ceiling (${build})`, () => {
        flops = backend.simdCeiling(ITERATIONS);
      }, { time: 1500, iterations: 50 });
      const gflops = flops / (ms * 1e6);
      ceiling = Math.max(ceiling, gflops);
      const gemm = await gemmRate(backend);
      context.gemmGflops[build] = gemm;
      rows.push({ build, loop: LOOPS[build], 'ms/call': significant(ms), 'GFLOP/s': significant(gflops), 'GEMM GFLOP/s': significant(gemm) });
    }
    context.ceilingGflops = ceiling;
    for (const row of rows) row['GEMM % of ceiling'] = row['GEMM GFLOP/s'] === null ? null : percentOf(row['GEMM GFLOP/s'] as number, ceiling);
    return rows;
  },
};
