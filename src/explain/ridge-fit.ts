/**
 * The least-squares fits of the perturbation family's surrogates (methods/perturbation.ts): the Cholesky solver
 * KernelSHAP and LIME solve their normal equations with, and LIME's weighted ridge fit of one image's coalition
 * scores (Ribeiro, Singh & Guestrin, 2016, eq. 1 and §3.4; the header of perturbation.ts gives the kernel and
 * the penalty). The fit reads only the coalitions z and their scores f, so a thread pool's worker fits its
 * share of a batch's images (model-passes.ts limeFits): the same numbers as on the calling thread.
 */
import { XcnnError } from '../errors.js';

export interface LimeOptions {
  kernelWidth: number; // σ of the exponential kernel on the cosine distance
  lambda: number; // λ, the ridge penalty
}

export const LIME_FIT_DEFAULTS: LimeOptions = { kernelWidth: 0.25, lambda: 1 };

/**
 * Solves A x = b for a symmetric positive definite A [n, n] (row-major, float64) by Cholesky, A = L Lᵀ;
 * A and b are overwritten. Only A's lower triangle and diagonal are read (the fits fill no more: half the
 * work of their normal equations). Returns null when A is not numerically positive definite.
 */
export function choleskySolve(a: Float64Array, b: Float64Array, n: number): Float64Array | null {
  let largest = 0;
  for (let i = 0; i < n; i++) largest = Math.max(largest, Math.abs(a[i * n + i]));
  for (let j = 0; j < n; j++) {
    let d = a[j * n + j];
    for (let k = 0; k < j; k++) d -= a[j * n + k] * a[j * n + k];
    if (!(d > 1e-12 * largest)) return null;
    const l = Math.sqrt(d);
    a[j * n + j] = l;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j];
      for (let k = 0; k < j; k++) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / l;
    }
  }
  for (let i = 0; i < n; i++) { // L y = b
    let s = b[i];
    for (let k = 0; k < i; k++) s -= a[i * n + k] * b[k];
    b[i] = s / a[i * n + i];
  }
  for (let i = n - 1; i >= 0; i--) { // Lᵀ x = y
    let s = b[i];
    for (let k = i + 1; k < n; k++) s -= a[k * n + i] * b[k];
    b[i] = s / a[i * n + i];
  }
  return b;
}

/**
 * LIME's ridge coefficients β [M] and intercept from `samples` coalitions z [samples, M] (1: the patch kept) and
 * their scores f [samples]: min Σ π(z) (f(z) − β_0 − Σ_i β_i z_i)² + λ Σ_i β_i², the intercept not penalised.
 */
export function limeFit(z: Uint8Array, f: ArrayLike<number>, features: number, samples: number, options: LimeOptions = LIME_FIT_DEFAULTS): { beta: Float64Array; intercept: number } {
  const m = features;
  const weights = new Float64Array(samples);
  const mean = new Float64Array(m);
  let weightSum = 0;
  let yMean = 0;
  for (let k = 0; k < samples; k++) {
    let on = 0;
    for (let i = 0; i < m; i++) on += z[k * m + i];
    const distance = on === 0 ? 1 : 1 - on / Math.sqrt(on * m);
    weights[k] = Math.exp(-(distance * distance) / (options.kernelWidth * options.kernelWidth));
    weightSum += weights[k];
    yMean += weights[k] * f[k];
    for (let i = 0; i < m; i++) mean[i] += weights[k] * z[k * m + i];
  }
  yMean /= weightSum;
  for (let i = 0; i < m; i++) mean[i] /= weightSum;
  // (Zcᵀ W Zc + λ I) β = Zcᵀ W (y − ȳ), Zc = Z − z̄: the centred form leaves the intercept unpenalised.
  const a = new Float64Array(m * m);
  const b = new Float64Array(m);
  const x = new Float64Array(m);
  for (let k = 0; k < samples; k++) {
    for (let i = 0; i < m; i++) x[i] = z[k * m + i] - mean[i];
    const wy = weights[k] * (f[k] - yMean);
    for (let i = 0; i < m; i++) {
      b[i] += x[i] * wy;
      const wx = weights[k] * x[i];
      for (let j = 0; j <= i; j++) a[i * m + j] += wx * x[j]; // the lower triangle: all choleskySolve reads
    }
  }
  for (let i = 0; i < m; i++) a[i * m + i] += options.lambda;
  if (choleskySolve(a, b, m) === null) throw new XcnnError(`LIME: the ridge system is not positive definite; give a λ > 0`, { code: 'ERR_BAD_ARGUMENT' });
  let intercept = yMean;
  for (let i = 0; i < m; i++) intercept -= b[i] * mean[i];
  return { beta: b, intercept };
}

/**
 * Image b's fit of a batch: limeFit of its coalitions (rows of coalitions [N, samples, M]) and scores (of
 * scores [N, samples]), written as row b of fits [N, M + 1]: β, then the intercept.
 */
export function limeFitInto(coalitions: Uint8Array, scores: Float64Array, features: number, samples: number, b: number, options: LimeOptions, fits: Float64Array): void {
  const z = coalitions.subarray(b * samples * features, (b + 1) * samples * features);
  const { beta, intercept } = limeFit(z, scores.subarray(b * samples, (b + 1) * samples), features, samples, options);
  fits.set(beta, b * (features + 1));
  fits[b * (features + 1) + features] = intercept;
}
