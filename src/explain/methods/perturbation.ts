/**
 * The perturbation family on the input: attributions from how the target's logit y_c changes when parts of
 * the image x [C, H, W] are replaced by a baseline x′ (0: black, MNIST's background). No gradients: only
 * forward passes, many perturbed copies of one image run as one batch. The class c is the clean image's
 * (or the one asked for), and the score is always its logit y_c, never the probability. Every map is
 * [H, W]; the heatmap is the map min–max normalised, as for the gradient family.
 *
 * Occlusion (Zeiler & Fergus, 2014, "Visualizing and Understanding Convolutional Networks", ECCV; §4.2):
 * a w × w window (all channels) filled with x′, slid with stride s over the positions 0, s, 2s, … ≤ H − w
 * (and W − w); with x_{−k} the image with window k occluded,
 *   map_ij = (1/|K_ij|) Σ_{k ∈ K_ij} (y_c(x) − y_c(x_{−k})),   K_ij = the windows covering pixel ij
 * (0 for a pixel no window covers). A window that is already all baseline changes nothing, so its term is
 * exactly 0 and it is not evaluated (most of an MNIST digit's border). The occluded copies are made where
 * the pass runs them (occlusion-scores.ts): on a thread pool, each worker makes its own share.
 *
 * The other two explain over M patch features: the image cut into a grid of p × p patches (the last row and
 * column smaller when p does not divide the size; 7 × 7 = 49 patches of 4 × 4 for MNIST at p = 4). A
 * coalition z ∈ {0,1}^M keeps the patches with z_i = 1 and sets the others to x′: h(z); f(z) = y_c(h(z)).
 * A patch's value is spread evenly over its pixels, so the map sums to Σ_i φ_i.
 *
 * KernelSHAP (Lundberg & Lee, 2017, "A Unified Approach to Interpreting Model Predictions", NeurIPS;
 * Theorem 2): the weighted least-squares fit of g(z) = φ_0 + Σ_i φ_i z_i to f(z) with the Shapley kernel
 *   π(z) = (M − 1) / (C(M, |z|) · |z| · (M − |z|)),
 * infinite at |z| = 0 and M, which the theorem turns into the constraints φ_0 = f(0) = y_c(x′) and
 * Σ_i φ_i = f(1) − f(0) = y_c(x) − y_c(x′). Here they are constraints, not large weights: φ_M is
 * eliminated as Δ − Σ_{i<M} φ_i and the fit is over M − 1 unknowns, so completeness holds to rounding.
 * Coalitions are sampled with probability ∝ π (a size s ∈ 1..M−1 with probability ∝ (M−1)/(s(M−s)), the
 * kernel summed over the C(M, s) coalitions of that size, then a uniform subset of that size), each with
 * its complement (paired sampling, as in the shap library), so every sample's regression weight is 1.
 * The M−1 normal equations are solved by Cholesky; too few samples for them to be definite is an error.
 *
 * LIME (Ribeiro, Singh & Guestrin, 2016, "Why Should I Trust You?", KDD; eq. 1 and §3.4, "sparse linear
 * explanations" without the feature selection): z uniform on/off per patch (the first sample is all on,
 * the image itself, as in the lime library), weighted by the exponential kernel on the cosine distance to
 * the all-on vector,
 *   D(z) = 1 − |z| / √(|z| · M)  (1 for z = 0),   π(z) = exp(−D(z)² / σ²),   σ = 0.25 (lime's for images),
 * and the weighted ridge fit  min Σ π(z) (f(z) − β_0 − Σ_i β_i z_i)² + λ Σ_i β_i²,  λ = 1 (lime's, scikit-
 * learn's Ridge default), the intercept not penalised. The map is β (no completeness: ridge shrinks).
 *
 * The seeded methods draw from the run's `Random` (explain.ts): one stream a call, continued across its
 * batches and images, started afresh from the seed by every call.
 */
import { checkFields, checkFunction, checkNumber, checkOptionFields, checkRandom } from '../../argument-checks.js';
import type { Floats } from '../../backend/backend.js';
import { XcnnError } from '../../errors.js';
import { product } from '../../model/layer.js';
import { argmaxRow } from '../../model/loss.js';
import type { Network } from '../../model/network.js';
import { Random } from '../../random.js';
import { BASELINE } from '../coalition-scores.js';
import { choleskySolve, LIME_FIT_DEFAULTS, limeFit, type LimeOptions } from '../ridge-fit.js';
import { networkPasses, type ModelPasses } from '../model-passes.js';
import type { BatchExplainer, ExplanationMethod, ExplanationRows } from './explain.js';

export { choleskySolve, LIME_FIT_DEFAULTS, limeFit, type LimeOptions } from '../ridge-fit.js';

/** The [H, W] map shape of an input-space method. */
function inputMapShape(network: Network): [number, number] {
  const [, height, width] = network.inputShape;
  return [height, width];
}

/**
 * Forwards the clean batch: writes out.logits (float32) and out.targets; returns the targets and the
 * logits at the backend's precision (a copy: the buffer is reused by the next pass).
 */
function cleanPass(network: Network, input: Floats, size: number, targetClass: number | undefined, out: ExplanationRows, passes: ModelPasses): { targets: Int32Array; clean: Float64Array } {
  const classes = network.outputShape[0];
  const clean = Float64Array.from(passes.logits(input, size).subarray(0, size * classes));
  out.logits.set(clean);
  for (let b = 0; b < size; b++) out.targets[b] = targetClass ?? argmaxRow(clean, b, classes);
  return { targets: out.targets, clean };
}

// ---------------------------------------------------------------------------------------------- Occlusion

export interface OcclusionOptions {
  window: number; // w, the square window's side in pixels
  stride: number; // s, pixels between window positions
}

export const OCCLUSION_DEFAULTS: OcclusionOptions = { window: 4, stride: 2 };
/** Occlusion's options and what each holds (occlusionMethod and methodByName check them). */
export const OCCLUSION_OPTION_FIELDS = { window: 'number', stride: 'number' } as const;

/** The window positions 0, s, 2s, … ≤ size − w along one axis. */
function windowStarts(size: number, window: number, stride: number): number[] {
  const starts: number[] = [];
  for (let start = 0; start + window <= size; start += stride) starts.push(start);
  return starts;
}

export function occlusionMethod(options: Partial<OcclusionOptions> = {}): ExplanationMethod {
  checkOptionFields('occlusionMethod', 'options', options, OCCLUSION_OPTION_FIELDS);
  const { window, stride } = { ...OCCLUSION_DEFAULTS, ...options };
  if (!(Number.isInteger(window) && window >= 1)) throw new XcnnError(`Occlusion: the window must be a whole number ≥ 1, not ${window}`, { code: 'ERR_BAD_ARGUMENT' });
  if (!(Number.isInteger(stride) && stride >= 1)) throw new XcnnError(`Occlusion: the stride must be a whole number ≥ 1, not ${stride}`, { code: 'ERR_BAD_ARGUMENT' });
  return {
    name: 'occlusion',
    signed: true, // occluding a part can raise y_c
    title: 'Occlusion',
    layer: 'input',
    needs: ['forward-only'],
    mapShape: inputMapShape,
    explainBatch: ((network, input, size, targetClass, out, _dLogits, _layer, _random, passes = networkPasses(network)) => {
      const [channels, height, width] = network.inputShape;
      if (window > height || window > width) throw new XcnnError(`Occlusion: the window (${window}) is larger than the ${height} × ${width} input; give a smaller window`, { code: 'ERR_BAD_ARGUMENT' });
      const pixels = height * width;
      const imageSize = channels * pixels;
      const { targets, clean } = cleanPass(network, input, size, targetClass, out, passes);
      const classes = network.outputShape[0];
      const ys = windowStarts(height, window, stride);
      const xs = windowStarts(width, window, stride);
      const covering = new Float64Array(pixels); // |K_ij|, the blank windows included
      for (const y0 of ys) {
        for (const x0 of xs) {
          for (let y = y0; y < y0 + window; y++) for (let x = x0; x < x0 + window; x++) covering[y * width + x]++;
        }
      }
      // Every image's windows first, then all their copies in one pass (occlusionScoresOfImages): image b's are copies
      // starts[b] … starts[b + 1] − 1.
      const corners: number[] = [];
      const starts = new Int32Array(size + 1);
      for (let b = 0; b < size; b++) {
        const image = input.subarray(b * imageSize, (b + 1) * imageSize);
        // The windows that occlude something (their top-left corners, [count, 2]); the others contribute exactly 0.
        for (const y0 of ys) {
          for (const x0 of xs) {
            let blank = true;
            for (let c = 0; c < channels && blank; c++) {
              for (let y = y0; y < y0 + window && blank; y++) {
                for (let x = x0; x < x0 + window; x++) {
                  if (image[c * pixels + y * width + x] !== BASELINE) {
                    blank = false;
                    break;
                  }
                }
              }
            }
            if (!blank) corners.push(y0, x0);
          }
        }
        starts[b + 1] = corners.length / 2;
      }
      const scores = passes.occlusionScoresOfImages(input.subarray(0, size * imageSize), targets.subarray(0, size), window, starts, Int32Array.from(corners));
      for (let b = 0; b < size; b++) {
        const sum = new Float64Array(pixels);
        const y = clean[b * classes + targets[b]];
        for (let k = starts[b]; k < starts[b + 1]; k++) {
          const [y0, x0] = [corners[2 * k], corners[2 * k + 1]];
          for (let py = y0; py < y0 + window; py++) for (let px = x0; px < x0 + window; px++) sum[py * width + px] += y - scores[k];
        }
        for (let p = 0; p < pixels; p++) out.maps[b * pixels + p] = covering[p] === 0 ? 0 : sum[p] / covering[p];
      }
    }) satisfies BatchExplainer,
  };
}

// ------------------------------------------------------------------------------- patch features and fits

/** f of `count` coalitions [count, M] (1: the feature kept), as [count] float64. */
export type CoalitionValue = (coalitions: Uint8Array, count: number) => Float64Array;

/** The grid of p × p patches over an H × W image: the feature of every pixel, [H·W], and their number M. */
export function patchFeatures(height: number, width: number, patch: number): { features: number; featureOf: Int32Array } {
  const columns = Math.ceil(width / patch);
  const featureOf = new Int32Array(height * width);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) featureOf[y * width + x] = Math.floor(y / patch) * columns + Math.floor(x / patch);
  return { features: Math.ceil(height / patch) * columns, featureOf };
}

/** Sets the first `size` entries of `order` to a uniform random subset of 0..M−1 (partial Fisher–Yates). */
function randomSubset(order: Int32Array, size: number, random: Random): void {
  for (let i = 0; i < size; i++) {
    const j = i + random.int(order.length - i);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
}

export interface KernelShapFit {
  phi: Float64Array; // [M] the attributions φ_1..φ_M
  empty: number; // f(0) = φ_0
  full: number; // f(1); Σ φ = full − empty to rounding
}

/** KernelSHAP's φ over M features from `samples` sampled coalitions (rounded up to pairs); see the header. */
export function kernelShap(features: number, samples: number, random: Random, value: CoalitionValue): KernelShapFit {
  checkNumber('kernelShap', 'features', features);
  checkNumber('kernelShap', 'samples', samples);
  checkRandom('kernelShap', 'random', random);
  checkFunction('kernelShap', 'value', value, 'a function from a coalition to its value');
  const m = features;
  const pairs = m < 2 ? 0 : Math.ceil(samples / 2);
  const count = 2 + 2 * pairs;
  const z = new Uint8Array(count * m); // row 0: empty, row 1: full, then the pairs
  z.fill(1, m, 2 * m);
  const sizeWeights = Float64Array.from({ length: Math.max(0, m - 1) }, (_, k) => 1 / ((k + 1) * (m - k - 1))); // s = k + 1
  const total = sizeWeights.reduce((s, w) => s + w, 0);
  const order = Int32Array.from({ length: m }, (_, i) => i);
  for (let k = 0; k < pairs; k++) {
    let u = random.next() * total;
    let size = 1;
    while (size < m - 1 && u >= sizeWeights[size - 1]) u -= sizeWeights[size++ - 1];
    randomSubset(order, size, random);
    const row = (2 + 2 * k) * m;
    z.fill(1, row + m, row + 2 * m); // the complement starts full
    for (let i = 0; i < size; i++) {
      z[row + order[i]] = 1;
      z[row + m + order[i]] = 0;
    }
  }
  const f = value(z, count);
  const [empty, full] = [f[0], f[1]];
  const difference = full - empty;
  const phi = new Float64Array(m);
  if (m === 1) {
    phi[0] = difference;
    return { phi, empty, full };
  }
  // φ_M = Δ − Σ_{i<M} φ_i: regress f(z) − f(0) − z_M Δ on x_i = z_i − z_M, i < M, weights 1 (sampled ∝ π).
  const n = m - 1;
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const x = new Float64Array(n);
  for (let k = 2; k < count; k++) {
    const row = k * m;
    const last = z[row + n];
    for (let i = 0; i < n; i++) x[i] = z[row + i] - last;
    const y = f[k] - empty - last * difference;
    for (let i = 0; i < n; i++) {
      if (x[i] === 0) continue;
      b[i] += x[i] * y;
      for (let j = 0; j <= i; j++) a[i * n + j] += x[i] * x[j]; // the lower triangle: all choleskySolve reads
    }
  }
  if (choleskySolve(a, b, n) === null) throw new XcnnError(`KernelSHAP: ${samples} samples do not determine ${m} features; give more samples (a few times the number of patches)`, { code: 'ERR_BAD_ARGUMENT' });
  let sum = 0;
  for (let i = 0; i < n; i++) sum += phi[i] = b[i];
  phi[n] = difference - sum;
  return { phi, empty, full };
}

/** LIME's coalitions z [samples, M]: the first all on (the image itself), the others uniform on/off per patch. */
export function limeCoalitions(features: number, samples: number, random: Random): Uint8Array {
  const z = new Uint8Array(samples * features);
  z.fill(1, 0, features);
  for (let i = features; i < z.length; i++) z[i] = random.next() < 0.5 ? 1 : 0;
  return z;
}

/** LIME's ridge coefficients β [M] and intercept over M features from `samples` coalitions; see the header. */
export function lime(features: number, samples: number, random: Random, value: CoalitionValue, options: LimeOptions = LIME_FIT_DEFAULTS): { beta: Float64Array; intercept: number } {
  checkNumber('lime', 'features', features);
  checkNumber('lime', 'samples', samples);
  checkRandom('lime', 'random', random);
  checkFunction('lime', 'value', value, 'a function from a coalition to its value');
  checkFields('lime', 'options', options, 'kernelWidth and lambda, as LIME_FIT_DEFAULTS', { kernelWidth: 'number', lambda: 'number' });
  const z = limeCoalitions(features, samples, random);
  return limeFit(z, value(z, samples), features, samples, options);
}

/**
 * f(z) = y_c(h(z)) of one image: its patches with z_i = 0 set to the baseline. The copies are made where the pass
 * runs them (coalition-scores.ts): on a thread pool, each worker makes its own share.
 */
function imageCoalitionValue(image: Floats, target: number, featureOf: Int32Array, features: number, passes: ModelPasses): CoalitionValue {
  return (z, count) => passes.coalitionScores(image, target, featureOf, features, z, count);
}

export interface PatchSamplingOptions {
  patch: number; // p, the patches' side in pixels
  samples: number; // coalitions per image
  seed: number;
}

export const KERNEL_SHAP_DEFAULTS: PatchSamplingOptions = { patch: 4, samples: 1024, seed: 1 };
export const LIME_DEFAULTS: PatchSamplingOptions = { patch: 4, samples: 1024, seed: 1 };
/** KernelSHAP's and LIME's options and what each holds. */
export const PATCH_SAMPLING_OPTION_FIELDS = { patch: 'number', samples: 'number', seed: 'number' } as const;

/**
 * Fits the patch values [M] of a batch's images from their coalition values (one an image, in order), drawing from
 * `random` image by image; KernelSHAP also gives f(0) for the gap.
 */
type PatchFits = (features: number, samples: number, random: Random, values: CoalitionValue[], passes: ModelPasses) => Array<{ values: Float64Array; empty?: number }>;

function patchMethod(name: string, title: string, settings: PatchSamplingOptions, fits: PatchFits): ExplanationMethod {
  const { patch, samples, seed } = settings;
  if (!(Number.isInteger(patch) && patch >= 1)) throw new XcnnError(`${title}: the patch must be a whole number ≥ 1, not ${patch}`, { code: 'ERR_BAD_ARGUMENT' });
  if (!(Number.isInteger(samples) && samples >= 2)) throw new XcnnError(`${title}: samples must be a whole number ≥ 2, not ${samples}`, { code: 'ERR_BAD_ARGUMENT' });
  const completeness = name === 'kernel-shap';
  return {
    name,
    signed: true,
    title,
    layer: 'input',
    needs: ['forward-only'],
    seed,
    mapShape: inputMapShape,
    reportsCompletenessGap: completeness,
    explainBatch: ((network, input, size, targetClass, out, _dLogits, _layer, random = new Random(seed), passes = networkPasses(network)) => {
      const [, height, width] = network.inputShape;
      const classes = network.outputShape[0];
      const pixels = height * width;
      const imageSize = product(network.inputShape);
      const { targets, clean } = cleanPass(network, input, size, targetClass, out, passes);
      const { features, featureOf } = patchFeatures(height, width, patch);
      const patchPixels = new Float64Array(features);
      for (const i of featureOf) patchPixels[i]++;
      const coalitionValues = Array.from({ length: size }, (_, b) => imageCoalitionValue(input.subarray(b * imageSize, (b + 1) * imageSize), targets[b], featureOf, features, passes));
      const fitted = fits(features, samples, random, coalitionValues, passes);
      for (let b = 0; b < size; b++) {
        const { values, empty } = fitted[b];
        let total = 0;
        for (let p = 0; p < pixels; p++) {
          const v = values[featureOf[p]] / patchPixels[featureOf[p]];
          out.maps[b * pixels + p] = v;
          total += v;
        }
        if (completeness && empty !== undefined) out.completenessGaps[b] = Math.abs(total - (clean[b * classes + targets[b]] - empty));
      }
    }) satisfies BatchExplainer,
  };
}

export function kernelShapMethod(options: Partial<PatchSamplingOptions> = {}): ExplanationMethod {
  checkOptionFields('kernelShapMethod', 'options', options, PATCH_SAMPLING_OPTION_FIELDS);
  return patchMethod('kernel-shap', 'KernelSHAP', { ...KERNEL_SHAP_DEFAULTS, ...options }, (m, samples, random, values) =>
    values.map((value) => {
      const { phi, empty } = kernelShap(m, samples, random, value);
      return { values: phi, empty };
    }),
  );
}

/** The most coalition bytes LIME draws ahead of its fits: 64 images of 1,024 coalitions of 49 patches, 3.2 MB, fit in one group. */
const LIME_GROUP_BYTES = 1 << 22;

export function limeMethod(options: Partial<PatchSamplingOptions> = {}): ExplanationMethod {
  checkOptionFields('limeMethod', 'options', options, PATCH_SAMPLING_OPTION_FIELDS);
  return patchMethod('lime', 'LIME', { ...LIME_DEFAULTS, ...options }, (m, samples, random, values, passes) => {
    // A group of images' coalitions first, from the one stream in image order (as lime() draws them image by image:
    // scoring draws nothing), then their scores, then the fits, which a thread pool shares out image by image.
    // Groups of at most LIME_GROUP_BYTES of coalitions (one image at least) keep the memory of one image's.
    const fits: Array<{ values: Float64Array }> = [];
    const group = Math.max(1, Math.floor(LIME_GROUP_BYTES / (samples * m)));
    for (let first = 0; first < values.length; first += group) {
      const count = Math.min(group, values.length - first);
      const coalitions = new Uint8Array(count * samples * m);
      for (let b = 0; b < count; b++) coalitions.set(limeCoalitions(m, samples, random), b * samples * m);
      const scores = new Float64Array(count * samples);
      for (let b = 0; b < count; b++) scores.set(values[first + b](coalitions.subarray(b * samples * m, (b + 1) * samples * m), samples), b * samples);
      const fitted = passes.limeFits(coalitions, scores, m, samples, count, LIME_FIT_DEFAULTS);
      for (let b = 0; b < count; b++) fits.push({ values: fitted.subarray(b * (m + 1), b * (m + 1) + m) });
    }
    return fits;
  });
}
