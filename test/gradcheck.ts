/**
 * Finite-difference gradient checking in float64, where it is sharp: for a scalar function f of an
 * array x, the central difference (f(x + h·e_k) − f(x − h·e_k)) / 2h differs from ∂f/∂x_k by O(h²).
 * The check reports the largest relative difference, |numeric − analytic| / max(1, |numeric|, |analytic|),
 * so a failing test says how far off it was and where.
 */
import { expect } from 'vitest';

export interface GradientComparison {
  maxError: number;
  worstIndex: number;
  numeric: number;
  analytic: number;
}

export function compareGradient(
  f: () => number,
  x: Float64Array,
  analytic: ArrayLike<number>,
  indices: Iterable<number> = x.keys(),
  h = 1e-6,
): GradientComparison {
  let worst: GradientComparison = { maxError: 0, worstIndex: -1, numeric: 0, analytic: 0 };
  for (const k of indices) {
    const saved = x[k];
    x[k] = saved + h;
    const plus = f();
    x[k] = saved - h;
    const minus = f();
    x[k] = saved;
    const numeric = (plus - minus) / (2 * h);
    const error = Math.abs(numeric - analytic[k]) / Math.max(1, Math.abs(numeric), Math.abs(analytic[k]));
    if (error > worst.maxError) worst = { maxError: error, worstIndex: k, numeric, analytic: analytic[k] };
  }
  return worst;
}

/**
 * The jump between f's one-sided slopes at x along coordinate k, |(f(x + h·e_k) − f(x))/h − (f(x) − f(x − h·e_k))/h|:
 * O(h) where f is smooth, but the jump in slope where a kink (a ReLU input, a max-pool tie) lies within h of
 * the point — where the central difference averages two slopes and tests no analytic gradient.
 */
export function slopeJump(f: () => number, x: Float64Array, k: number, h = 1e-6): number {
  const saved = x[k];
  const centre = f();
  x[k] = saved + h;
  const right = (f() - centre) / h;
  x[k] = saved - h;
  const left = (centre - f()) / h;
  x[k] = saved;
  return Math.abs(right - left);
}

/** Asserts a comparison is within `tolerance`, naming the tensor and the worst element on failure. */
export function expectGradientClose(name: string, comparison: GradientComparison, tolerance = 1e-6): void {
  const { maxError, worstIndex, numeric, analytic } = comparison;
  expect(maxError, `${name}[${worstIndex}]: numeric ${numeric} vs analytic ${analytic}`).toBeLessThan(tolerance);
}

/** Deterministic values in [−1, 1) from a seed (mulberry32), for inputs whose ties or zeros would put a kink under h. */
export function seededValues(seed: number, length: number): Float64Array {
  let a = seed >>> 0;
  const out = new Float64Array(length);
  for (let k = 0; k < length; k++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[k] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** Σ_k y_k·r_k: a scalar "loss" whose gradient with respect to y is exactly r. */
export function dot(y: ArrayLike<number>, r: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < y.length; k++) sum += y[k] * r[k];
  return sum;
}
