/**
 * How near a network's step can come to the SIMD ceiling, read off a profile of its parts (bench/step-profile.ts).
 *
 * A step is its multiply-adds — the convolutions' and linear layers' passes, counted as direct ones
 * (training-step.ts forwardMultiplyAdds) — and the rest: pools, ReLUs, batch norm, dropout, the loss, Adam and
 * zeroGrad, passes over memory with few or no multiply-adds. Were the multiply-adds done at a rate R and the rest
 * to take what it was measured to take, the step would run at
 *
 *     counted / (counted / R + rest)   GFLOP/s,   that is   100 · counted / (counted / R + rest) / ceiling   % of the ceiling.
 *
 * With R the ceiling loop's own rate it is a bound that no kernel doing the counted multiply-adds can pass: only
 * doing fewer (Winograd, as the paper's conv2 does) or a cheaper rest can. With R the GEMM's own rate on a product
 * that fits its packing panels (simd-ceiling.ts GEMM_RATE_SHAPE), it is what the same step would reach were every
 * convolution and linear layer a GEMM of good shape. Turned round, requiredRatePercent says what rate the
 * multiply-adds would need for the step to reach a target share of the ceiling with the rest as measured: above
 * 100 %, no kernel doing the counted multiply-adds reaches it.
 */
import type { NetworkPlan } from '../src/model/spec.js';
import { backwardMultiplyAdds, forwardMultiplyAdds } from './training-step.js';

/**
 * The counted FLOPs of each profiled part that does multiply-adds, for `batch` images: `NAME forward` and, in a
 * training step, `NAME backward` of every convolution and linear layer of `plan` (2 FLOPs a multiply-add). A part
 * not in the map is the rest.
 */
export function partFlops(plan: NetworkPlan, batch: number, training: boolean): Map<string, number> {
  const flops = new Map<string, number>();
  for (const layer of plan.layers) {
    const forward = forwardMultiplyAdds(layer);
    if (forward === 0) continue;
    flops.set(`${layer.name} forward`, 2 * forward * batch);
    if (training) flops.set(`${layer.name} backward`, 2 * backwardMultiplyAdds(layer) * batch);
  }
  return flops;
}

/**
 * The step's percentage of `ceiling` (GFLOP/s) were its `countedMflop` of multiply-adds done at `rate` (GFLOP/s)
 * and its rest to take `restMs`: 100 · counted / (counted / rate + rest) / ceiling.
 */
export function boundPercent(countedMflop: number, restMs: number, rate: number, ceiling: number): number {
  const ms = countedMflop / rate + restMs; // MFLOP ÷ GFLOP/s = ms
  return (100 * countedMflop) / ms / ceiling;
}

/**
 * The rate, in % of `ceiling`, at which `countedMflop` of multiply-adds would have to run for the step to reach
 * `targetPercent` of the ceiling with its rest taking `restMs`: R = counted / (counted / (target · ceiling) − rest).
 * Infinity when the rest alone takes the whole budget.
 */
export function requiredRatePercent(countedMflop: number, restMs: number, ceiling: number, targetPercent: number): number {
  const budgetMs = countedMflop / ((targetPercent / 100) * ceiling) - restMs;
  return budgetMs <= 0 ? Infinity : (100 * countedMflop) / budgetMs / ceiling;
}
