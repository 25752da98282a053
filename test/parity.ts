/**
 * The one parity check every wasm kernel test calls: `actual` against `expected`, element by element,
 *
 *   |actual[i] − expected[i]| ≤ atol + rtol · magnitude[i]
 *
 * where magnitude[i] is |expected[i]|, or — for sums — Σ|terms| of element i (`magnitudes`). A failure
 * names the tensor, how many elements are out of tolerance, and the worst one (index, both values,
 * difference, allowed); a pass records the margin (the largest difference / allowed), which
 * printMargins shows, so a test says how close it came and not only that it passed.
 *
 * Why sums get a tolerance, and how big (Higham, "Accuracy and Stability of Numerical Algorithms",
 * 2nd ed., §3.1): a float32 sum or dot product of n terms, added in ANY order, satisfies
 *   |fl(s) − s| ≤ γ_n · Σ|terms|,   γ_n = n·u / (1 − n·u),   u = 2⁻²⁴ (float32 unit roundoff).
 * The reference sums in float64 and rounds once (≤ u·|s|); the SIMD kernels sum in float32, in another
 * order (four lanes, blocked by the GEMM). So the two may differ by up to γ_{n+1}·Σ|terms| —
 * `sumTolerance(n, Σ|terms|)`. It is a worst-case bound, so it never fails by bad luck, and it is
 * tight enough to catch a missing or doubled term (an error of order |term|, not u·Σ|terms|).
 * Margins reach ~0.5 for the shortest sums and fall as n grows: real rounding errors grow like √n, not n.
 */
import { expect } from 'vitest';

export const FLOAT32_UNIT_ROUNDOFF = 2 ** -24;

export interface Tolerance {
  atol: number;
  rtol: number;
  /** Per-element magnitude the rtol scales (default |expected[i]|). */
  magnitudes?: ArrayLike<number>;
}

/** Bit-for-bit (NaN equals NaN, −0 equals +0). */
export const EXACT: Tolerance = { atol: 0, rtol: 0 };

/** The float32 error bound for a sum of `terms` terms whose absolute values sum to `magnitudes[i]`. */
export function sumTolerance(terms: number, magnitudes: ArrayLike<number>): Tolerance {
  const nu = (terms + 1) * FLOAT32_UNIT_ROUNDOFF;
  return { atol: 0, rtol: nu / (1 - nu), magnitudes };
}

export interface ParityReport {
  label: string;
  /** Largest |difference| / allowed over all elements (≤ 1 passes; 0 when every element is exact). */
  margin: number;
  worstIndex: number;
  worstDifference: number;
}

const worstMargins = new Map<string, ParityReport>();

export function expectParity(
  label: string,
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tolerance: Tolerance,
): ParityReport {
  expect(actual.length, `${label}: length`).toBe(expected.length);
  let failures = 0;
  let worst = { index: -1, difference: 0, allowed: 0, ratio: 0 };
  let firstFailure = worst;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue; // equal infinities included
    const magnitude = tolerance.magnitudes === undefined ? Math.abs(e) : Math.abs(tolerance.magnitudes[i]);
    const allowed = tolerance.atol + tolerance.rtol * magnitude;
    const difference = Math.abs(a - e);
    const ok = difference <= allowed; // false for a NaN on one side only
    const ratio = ok ? (difference === 0 ? 0 : difference / allowed) : Infinity;
    if (!ok && failures++ === 0) firstFailure = { index: i, difference, allowed, ratio };
    if (ratio > worst.ratio || (ratio === Infinity && difference > worst.difference)) {
      worst = { index: i, difference, allowed, ratio };
    }
  }
  if (failures > 0) {
    const w = worst.index;
    throw new Error(
      `${label}: ${failures} of ${expected.length} elements differ beyond atol=${tolerance.atol}, rtol=${tolerance.rtol}; ` +
        `worst at [${w}]: got ${actual[w]}, expected ${expected[w]} (|Δ| = ${worst.difference}, allowed ${worst.allowed}); ` +
        `first at [${firstFailure.index}]`,
    );
  }
  const report = { label, margin: worst.ratio, worstIndex: worst.index, worstDifference: worst.difference };
  const previous = worstMargins.get(label);
  if (previous === undefined || report.margin > previous.margin) worstMargins.set(label, report);
  return report;
}

/** Prints, per label, the worst margin seen by expectParity in this file (call from afterAll). */
export function printMargins(): void {
  const rows = [...worstMargins.values()].map((r) => `  ${r.label.padEnd(36)} worst |Δ|/allowed = ${r.margin.toFixed(4)}`);
  if (rows.length > 0) console.log(`parity margins (1 = at the bound):\n${rows.join('\n')}`);
  worstMargins.clear();
}
