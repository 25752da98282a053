/**
 * The CAM family on a conv block (by default the last: relu2, A [K, h, w], K = 64, h = w = 11 for the paper's
 * network; any other with `layer`, explained-layer.ts), one file for the family: every method reads the same two tensors of an image, its activations
 * A and the gradients G = ∂y_c/∂A of the target's logit, from one shared pass (`activationsAndGradients`
 * in grad-cam.ts), and differs from the others only in how it combines them into an [h, w] map — a few
 * lines each, best read side by side. Then the same bilinear resize and min–max normalisation as Grad-CAM.
 * Sums run over the P = h·w positions ij (or ab) of a channel; ⊙ is the elementwise product.
 *
 * Grad-CAM (Selvaraju et al., 2017, "Grad-CAM: Visual Explanations from Deep Networks via Gradient-based
 * Localization"), for comparison:
 *   α_k = (1/P) Σ_ij G_kij;   map = ReLU(Σ_k α_k A_k)
 *
 * Grad-CAM++ (Chattopadhay, Sarkar, Howlader & Balasubramanian, 2018, "Grad-CAM++: Generalized
 * Gradient-based Visual Explanations for Deep Convolutional Networks", WACV; eq. 19 and 10):
 *   a_kij = G_kij² / (2 G_kij² + Σ_ab A_kab · G_kij³)      (0 where G_kij = 0)
 *   α_k   = Σ_ij a_kij · ReLU(G_kij);   map = ReLU(Σ_k α_k A_k)
 * The paper derives the closed form for the score Y = exp(y_c), whose higher derivatives are powers of
 * the first; its weights are then exp(y_c) times these. As in the common implementation (pytorch-grad-cam)
 * the gradients are the logit's and the factor exp(y_c), one positive number per image, is left out: the
 * normalised heatmap does not change.
 *
 * XGrad-CAM (Fu, Hu, Dong, Wang & Li, 2020, "Axiom-based Grad-CAM: Towards Accurate Visualization and
 * Explanation of CNNs", BMVC; eq. 8):
 *   α_k = Σ_ij (A_kij / Σ_ab A_kab) · G_kij   (0 for a channel that is all zeros);   map = ReLU(Σ_k α_k A_k)
 * It satisfies the paper's conservation axiom Σ_k α_k Σ_ij A_kij = Σ_kij A_kij G_kij.
 *
 * LayerCAM (Jiang, Zhang, Hou, Cheng & Wei, 2021, "LayerCAM: Exploring Hierarchical Class Activation
 * Maps for Localization", IEEE TIP; eq. 6–7): a weight per position, the positive gradient,
 *   map = ReLU(Σ_k ReLU(G_k) ⊙ A_k)
 *
 * HiResCAM (Draelos & Carin, 2020, "Use HiResCAM instead of Grad-CAM for faithful explanations of
 * convolutional neural networks", arXiv:2011.08891; eq. 4): the gradient itself, signs kept,
 *   map = ReLU(Σ_k G_k ⊙ A_k)
 * It equals Grad-CAM when G_k is spatially constant, which is the case when the layer is followed by
 * global average pooling and a linear layer (the paper's theorem) — not in the paper's MNIST network, whose
 * relu2 is flattened into fc1.
 */
import { checkFunction, checkString } from '../../argument-checks.js';
import type { Floats } from '../../backend/backend.js';
import type { Network } from '../../model/network.js';
import { explainedLayer } from '../explained-layer.js';
import { classActivationMap, weightedChannelMap } from '../grad-cam.js';
import { networkPasses, type CamRule } from '../model-passes.js';
import type { BatchExplainer, ExplanationMethod } from './explain.js';

/**
 * Image n's map [P] from the batch's activations A and gradients G, both [B, K, P]; writes `map` (float64
 * scratch of P numbers).
 */
export type CamCombine = (activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, map: Float64Array) => void;

/** Grad-CAM's map (the channel weights, which `gradCam` reports, are dropped here). */
export function gradCamMap(activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, map: Float64Array): void {
  classActivationMap(activations, gradients, n, channels, pixels, new Float64Array(channels), map);
}

/** Grad-CAM++'s channel weights α [K] of image n (see the header). */
export function gradCamPlusPlusWeights(activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, alpha: Float64Array): void {
  for (let k = 0; k < channels; k++) {
    const offset = (n * channels + k) * pixels;
    let activationSum = 0;
    for (let p = 0; p < pixels; p++) activationSum += activations[offset + p];
    let weight = 0;
    for (let p = 0; p < pixels; p++) {
      const g = gradients[offset + p];
      if (g <= 0) continue; // ReLU(G) = 0, and a_kij = 0 where G = 0
      const g2 = g * g;
      weight += (g2 / (2 * g2 + activationSum * g2 * g)) * g;
    }
    alpha[k] = weight;
  }
}

/** XGrad-CAM's channel weights α [K] of image n (see the header). */
export function xGradCamWeights(activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, alpha: Float64Array): void {
  for (let k = 0; k < channels; k++) {
    const offset = (n * channels + k) * pixels;
    let activationSum = 0;
    let weighted = 0;
    for (let p = 0; p < pixels; p++) {
      activationSum += activations[offset + p];
      weighted += activations[offset + p] * gradients[offset + p];
    }
    alpha[k] = activationSum === 0 ? 0 : weighted / activationSum;
  }
}

export function gradCamPlusPlusMap(activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, map: Float64Array): void {
  const alpha = new Float64Array(channels);
  gradCamPlusPlusWeights(activations, gradients, n, channels, pixels, alpha);
  weightedChannelMap(activations, n, channels, pixels, alpha, map);
}

export function xGradCamMap(activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, map: Float64Array): void {
  const alpha = new Float64Array(channels);
  xGradCamWeights(activations, gradients, n, channels, pixels, alpha);
  weightedChannelMap(activations, n, channels, pixels, alpha, map);
}

/** map_p = ReLU(Σ_k w(G_kp) A_kp), a weight per position: w = ReLU for LayerCAM, the identity for HiResCAM. */
function positionWeightedMap(activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, map: Float64Array, positiveOnly: boolean): void {
  map.fill(0);
  for (let k = 0; k < channels; k++) {
    const offset = (n * channels + k) * pixels;
    for (let p = 0; p < pixels; p++) {
      const g = gradients[offset + p];
      map[p] += (positiveOnly ? Math.max(0, g) : g) * activations[offset + p];
    }
  }
  for (let p = 0; p < pixels; p++) map[p] = Math.max(0, map[p]);
}

export function layerCamMap(activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, map: Float64Array): void {
  positionWeightedMap(activations, gradients, n, channels, pixels, map, true);
}

export function hiResCamMap(activations: Floats, gradients: Floats, n: number, channels: number, pixels: number, map: Float64Array): void {
  positionWeightedMap(activations, gradients, n, channels, pixels, map, false);
}

/** The [h, w] map shape of a CAM method on `layer` (default: the last conv block). */
export function camMapShape(network: Network, layer?: string): [number, number] {
  const [, h, w] = explainedLayer(network, layer).shape;
  return [h, w];
}

/**
 * A CAM method: the shared pass on the explained block, then `combine` image by image — on this thread, or on a
 * thread pool's (`passes`, model-passes.ts camMaps), whose workers each run the pass and the combine on their
 * share of the batch: the same maps, bit for bit.
 */
export function camMethod(name: string, title: string, combine: CamCombine): ExplanationMethod {
  checkString('camMethod', 'name', name);
  checkString('camMethod', 'title', title);
  checkFunction('camMethod', 'combine', combine, 'a function (activations, gradients, n, channels, pixels, map) that writes the maps, as gradCamMap');
  const rule: CamRule = { name, combine, gradients: true };
  return {
    name,
    title,
    layer: 'cam',
    needs: ['conv-layer', 'layer-gradients'],
    mapShape: camMapShape,
    explainBatch: ((network, input, size, targetClass, out, _dLogits, layer, _random, passes = networkPasses(network)) => {
      const { logits, targets, maps } = passes.camMaps(input, size, targetClass, rule, layer);
      out.logits.set(logits.subarray(0, out.logits.length));
      out.targets.set(targets);
      out.maps.set(maps);
    }) satisfies BatchExplainer,
  };
}
