/**
 * Spearman's rank correlation (Spearman, 1904): the Pearson correlation of the two samples' ranks,
 *
 *   ρ(a, b) = pearson(rank(a), rank(b)),
 *
 * with tied values given the average of the ranks they span (the "fractional" or "average" ranking, as
 * scipy.stats.spearmanr), so ρ is 1 for any strictly increasing relation, −1 for a decreasing one, and
 * defined with ties. A constant sample has no order to compare: ρ is then 0, not NaN (the randomisation
 * check meets flat maps — a CAM of a randomised network can be all zero).
 */

import { checkNumbers } from '../argument-checks.js';
import { XcnnError } from '../errors.js';

/** The ranks 1..n of `values`, ties sharing the mean of their ranks: [3, 1, 3] → [2.5, 1, 2.5]. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  checkNumbers('averageRanks', 'values', values);
  const n = values.length;
  const order = Array.from({ length: n }, (_, k) => k).sort((i, j) => values[i] - values[j] || i - j);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // the mean of ranks start+1 … end
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** Pearson's correlation Σ(a−ā)(b−b̄) / √(Σ(a−ā)² Σ(b−b̄)²), in float64; 0 when either sample is constant. */
export function pearsonCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkNumbers('pearsonCorrelation', 'a', a);
  checkNumbers('pearsonCorrelation', 'b', b);
  if (a.length !== b.length) throw new XcnnError(`pearsonCorrelation: samples of ${a.length} and ${b.length} values; give two samples of one length`, { code: 'ERR_BAD_ARGUMENT' });
  const n = a.length;
  let meanA = 0;
  let meanB = 0;
  for (let k = 0; k < n; k++) {
    meanA += a[k];
    meanB += b[k];
  }
  meanA /= n;
  meanB /= n;
  let cov = 0;
  let varA = 0;
  let varB = 0;
  for (let k = 0; k < n; k++) {
    const da = a[k] - meanA;
    const db = b[k] - meanB;
    cov += da * db;
    varA += da * da;
    varB += db * db;
  }
  if (!(varA > 0 && varB > 0)) return 0;
  return Math.max(-1, Math.min(1, cov / Math.sqrt(varA * varB)));
}

/** Spearman's ρ of two samples of equal length: Pearson of their average ranks; 0 when either is constant. */
export function spearmanCorrelation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkNumbers('spearmanCorrelation', 'a', a);
  checkNumbers('spearmanCorrelation', 'b', b);
  return pearsonCorrelation(averageRanks(a), averageRanks(b));
}
