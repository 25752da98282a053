/**
 * The machine's f32x4 multiply-add ceiling, for the benchmark's "fraction of peak" column: independent
 * accumulators c ← c + x·y, entirely in registers, the GEMM micro-kernel's instruction mix minus its
 * loads. Each build measures the arithmetic it has (chosen at compile time, like madd in gemm.ts):
 *
 *   plain: 8 f32x4.mul + 8 f32x4.add per loop trip. The eight multiplies take distinct pairs of six
 *     operand vectors o0..o5 (distinct, so none can be shared), and the operands rotate by one at the
 *     end of every trip, so no multiply is loop-invariant and none can be hoisted (build/kernels.wat
 *     keeps all 8 f32x4.mul inside the loop). Eight chains hide the add latency; the multiplies are off
 *     the chains. 6 + 8 + 1 temporary = 15 vector registers, exactly what V8 allocates on x64.
 *   relaxed: 12 f32x4.relaxed_madd per trip. A fused chain waits for the whole multiply-add (4 cycles
 *     on Zen, at 2 per cycle), so it needs at least 8 chains; 12 leave a margin (8 measured ~7 % below
 *     12 here; 12 match the plain ceiling, which on Zen has the same peak: 2 fused, or 2 mul + 2 add, a
 *     cycle). Three operands rotate as above: 12 + 3 = 15 registers, no temporary needed.
 *
 * The accumulators are summed into the result so the loop cannot be deleted; the operands are small
 * (seed·k, seed ≈ 1e-3) so the sums stay finite and normal.
 *
 * Variants that measured lower here and why they were not kept: chains x ← x·m + c (latency-bound:
 * each step waits for the previous mul and add), and unrolled loops of invariant products (Binaryen
 * merges the repeated multiplies, so the flop count would be a lie).
 *
 *   flops per trip = chains · 4 lanes · 2 (mul + add) = 64 (plain) or 96 (relaxed)
 */
import { madd } from './gemm';

const CHAINS: i32 = ASC_FEATURE_RELAXED_SIMD ? 12 : 8;
const FLOPS_PER_ITERATION: i32 = CHAINS * 4 * 2;

export function simdCeiling(iterations: i32, seed: f32): f32 {
  if (ASC_FEATURE_RELAXED_SIMD) return fusedCeiling(iterations, seed);
  let o0 = f32x4.splat(seed), o1 = f32x4.splat(seed * 2), o2 = f32x4.splat(seed * 3);
  let o3 = f32x4.splat(seed * 4), o4 = f32x4.splat(seed * 5), o5 = f32x4.splat(seed * 6);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  for (let i = 0; i < iterations; i++) {
    c0 = madd(o0, o1, c0);
    c1 = madd(o0, o2, c1);
    c2 = madd(o0, o3, c2);
    c3 = madd(o0, o4, c3);
    c4 = madd(o0, o5, c4);
    c5 = madd(o1, o2, c5);
    c6 = madd(o1, o3, c6);
    c7 = madd(o1, o4, c7);
    const first = o0;
    o0 = o1;
    o1 = o2;
    o2 = o3;
    o3 = o4;
    o4 = o5;
    o5 = first;
  }
  const sum = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
  return f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
}

// The relaxed build's ceiling: 12 fused chains over the products of three rotating operands (every
// ordered pair of o0..o2, squares included; a fused madd has no separate product to share or hoist).
// @ts-ignore: decorator
@inline
function fusedCeiling(iterations: i32, seed: f32): f32 {
  let o0 = f32x4.splat(seed), o1 = f32x4.splat(seed * 2), o2 = f32x4.splat(seed * 3);
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
  let c4 = f32x4.splat(0), c5 = f32x4.splat(0), c6 = f32x4.splat(0), c7 = f32x4.splat(0);
  let c8 = f32x4.splat(0), c9 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  for (let i = 0; i < iterations; i++) {
    c0 = madd(o0, o1, c0);
    c1 = madd(o0, o2, c1);
    c2 = madd(o1, o2, c2);
    c3 = madd(o1, o0, c3);
    c4 = madd(o2, o0, c4);
    c5 = madd(o2, o1, c5);
    c6 = madd(o0, o0, c6);
    c7 = madd(o1, o1, c7);
    c8 = madd(o2, o2, c8);
    c9 = madd(o0, o1, c9);
    c10 = madd(o1, o2, c10);
    c11 = madd(o2, o0, c11);
    const first = o0;
    o0 = o1;
    o1 = o2;
    o2 = first;
  }
  const sum = f32x4.add(
    f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7))),
    f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11)),
  );
  return f32x4.extract_lane(sum, 0) + f32x4.extract_lane(sum, 1) + f32x4.extract_lane(sum, 2) + f32x4.extract_lane(sum, 3);
}

/** Flops one simdCeiling iteration performs (exported so the benchmark need not repeat the count). */
export function simdCeilingFlopsPerIteration(): i32 {
  return FLOPS_PER_ITERATION;
}
