/**
 * Eigen-CAM (Muhammad & Yeasin, 2020, "Eigen-CAM: Class Activation Map using Principal Components", IJCNN):
 * the projection of the last convolutional layer's activations on their first principal component.
 * No gradients and no class: one forward pass, and the map is the same whatever the target class — it shows
 * what the layer responds to most, not why the network chose a class (the output says `classAgnostic`).
 *
 * For one image, the explained block's activations (relu2's in the paper's network) as a matrix X [P, K]
 * (P = h·w = 121 positions, K = 64 channels,
 * X_pk = A_kp), its singular value decomposition X = U Σ Vᵀ and v₁ the first right singular vector (the leading
 * eigenvector of XᵀX):
 *   map_p = ReLU(±(X v₁)_p) = ReLU(±σ₁ u₁p)     [h, w]
 * Not centred, as in the paper (which factorises the activations themselves): a block ending in a ReLU is ≥ 0,
 * so XᵀX ≥ 0 elementwise and by Perron–Frobenius v₁ can be taken ≥ 0; the first component is then the
 * direction the activations are strongest in, and the map is ≥ 0. Centring each channel first (what
 * pytorch-grad-cam does) would find the direction of largest variation about the mean instead, a signed
 * map whose negative half the ReLU drops.
 * The sign of a singular vector is arbitrary; it is fixed so the projection m = X v₁ correlates positively
 * with the activation sum s_p = Σ_k A_kp, uncentred like the decomposition: Σ_p m_p s_p ≥ 0 (the centred
 * covariance could come out negative for the non-negative v₁ on odd maps, and flip a non-negative map into
 * one the ReLU empties). All-zero activations give an all-zero map.
 *
 * v₁ by power iteration on XᵀX [K, K] in float64, from the all-ones vector (never orthogonal to a
 * non-negative v₁ unless XᵀX = 0), until the direction moves by less than 1e-12 (largest component change
 * of the unit vector) or after 1,000 steps.
 */
import { checkNoArguments, checkNumber, checkNumbers } from '../../argument-checks.js';
import type { Floats } from '../../backend/backend.js';
import type { Network } from '../../model/network.js';
import { networkPasses, type CamRule } from '../model-passes.js';
import { camMapShape } from './cam.js';
import type { BatchExplainer, ExplanationMethod } from './explain.js';

const MAX_STEPS = 1000;
const TOLERANCE = 1e-12;

/** The leading eigenvector [K] (unit length) of a symmetric matrix with non-negative entries, gram [K, K]; all zeros when gram is 0. */
export function leadingEigenvector(gram: Float64Array, size: number): Float64Array {
  let v = new Float64Array(size).fill(1 / Math.sqrt(size));
  let next = new Float64Array(size);
  for (let step = 0; step < MAX_STEPS; step++) {
    let norm = 0;
    for (let i = 0; i < size; i++) {
      let sum = 0;
      for (let j = 0; j < size; j++) sum += gram[i * size + j] * v[j];
      next[i] = sum;
      norm += sum * sum;
    }
    norm = Math.sqrt(norm);
    if (!(norm > 0 && Number.isFinite(norm))) return new Float64Array(size);
    let change = 0;
    for (let i = 0; i < size; i++) {
      next[i] /= norm;
      change = Math.max(change, Math.abs(next[i] - v[i]));
    }
    [v, next] = [next, v];
    if (change < TOLERANCE) break;
  }
  return v;
}

/** Eigen-CAM's map [P] of image n from the batch's activations A [B, K, P] (see the header); writes `map`. */
export function eigenCamMap(activations: Floats, n: number, channels: number, pixels: number, map: Float64Array): void {
  checkNumbers('eigenCamMap', 'activations', activations);
  checkNumbers('eigenCamMap', 'map', map);
  for (const [name, value] of Object.entries({ n, channels, pixels })) checkNumber('eigenCamMap', name, value);
  const base = n * channels * pixels;
  // XᵀX [K, K]: (XᵀX)_kl = Σ_p A_kp A_lp.
  const gram = new Float64Array(channels * channels);
  for (let k = 0; k < channels; k++) {
    for (let l = k; l < channels; l++) {
      let sum = 0;
      for (let p = 0; p < pixels; p++) sum += activations[base + k * pixels + p] * activations[base + l * pixels + p];
      gram[k * channels + l] = sum;
      gram[l * channels + k] = sum;
    }
  }
  const v = leadingEigenvector(gram, channels);
  const activationSum = new Float64Array(pixels);
  map.fill(0);
  for (let k = 0; k < channels; k++) {
    for (let p = 0; p < pixels; p++) {
      const a = activations[base + k * pixels + p];
      map[p] += a * v[k];
      activationSum[p] += a;
    }
  }
  if (projectionSign(map, activationSum) < 0) for (let p = 0; p < pixels; p++) map[p] = -map[p];
  for (let p = 0; p < pixels; p++) map[p] = Math.max(0, map[p]);
}

/** The sign of Σ_p m_p s_p, the uncentred correlation of the projection m with the activation sum s. */
function projectionSign(m: Float64Array, s: Float64Array): number {
  let dot = 0;
  for (let p = 0; p < m.length; p++) dot += m[p] * s[p];
  return Math.sign(dot);
}

/** Eigen-CAM's rule for the CAM pass: its map from the activations alone (no backward pass). */
export const EIGEN_CAM_RULE: CamRule = {
  name: 'eigen-cam',
  combine: (activations, _gradients, n, channels, pixels, map) => eigenCamMap(activations, n, channels, pixels, map),
  gradients: false,
};

/** Eigen-CAM as an explanation method: one forward pass a batch, no backward; on a thread pool with `passes`. */
export function eigenCamMethod(): ExplanationMethod {
  checkNoArguments('eigenCamMethod', arguments.length, "the conv block to explain is explainImages' layer option");
  return {
    name: 'eigen-cam',
    title: 'Eigen-CAM',
    layer: 'cam',
    classAgnostic: true,
    needs: ['conv-layer', 'forward-only'],
    mapShape: camMapShape,
    explainBatch: ((network: Network, input, size, targetClass, out, _dLogits, layer, _random, passes = networkPasses(network)) => {
      // The targets are reported only: the map ignores them.
      const { logits, targets, maps } = passes.camMaps(input, size, targetClass, EIGEN_CAM_RULE, layer);
      out.logits.set(logits.subarray(0, out.logits.length));
      out.targets.set(targets);
      out.maps.set(maps);
    }) satisfies BatchExplainer,
  };
}
