/**
 * Score-CAM (Wang, Wang, Du, Yang, Zhang, Ding, Mardziel & Hu, 2020, "Score-CAM: Score-Weighted Visual
 * Explanations for Convolutional Neural Networks", CVPR workshops; §3, the
 * "increase of confidence", and Algorithm 1):
 * the CAM family's weighted sum of the explained conv block's channels (relu2's in the paper's network), each channel weighted by how much the target's
 * probability rises when the network sees only the part of the image that channel highlights. No gradients.
 *
 * For an image x [C, H, W], the block's activations A [K, h, w] and the target class c:
 *   M_k   = minmax(bilinear(A_k → [H, W]))        the channel as a mask in [0, 1] (all zeros if A_k is flat)
 *   w_k   = p_c(x ⊙ M_k) − p_c(x_b)                the paper's "increase of confidence", p = softmax(logits)
 *   map   = ReLU(Σ_k w_k A_k)                      [h, w]
 * The upsampling is the same bilinear stretch with half-pixel centres as the heatmap's default (resize.ts);
 * the mask multiplies every input channel. The baseline x_b is the black image (all zeros, MNIST's
 * background; the same baseline as Integrated Gradients and the perturbation family), so a channel whose
 * mask is all zeros (x ⊙ M_k = x_b) gets w_k = 0 exactly. The official code leaves p_c(x_b) out (w_k =
 * p_c(x ⊙ M_k)), which adds −p_c(x_b)·Σ_k A_k to the sum before the ReLU; subtracting it is the definition.
 *
 * Cost: K + 1 forward passes an image (K = 64 masked copies and the baseline), run in batches through the
 * network's backend — several images' copies a batch when K is small (MASKED_COPIES_A_PASS); on a thread pool,
 * each thread makes and forwards its share of them (masked-logits.ts).
 */
import { checkFields, checkFloats, checkModel, checkNoArguments, checkNumber, checkNumbers, checkString } from '../../argument-checks.js';
import type { Floats } from '../../backend/backend.js';
import { product, type BatchBuffer } from '../../model/layer.js';
import { argmaxRow } from '../../model/loss.js';
import type { Network } from '../../model/network.js';
import { explainedLayer } from '../explained-layer.js';
import { weightedChannelMap } from '../grad-cam.js';
import { checkMaskActivations, maskedLogitsOn } from '../masked-logits.js';
import { camMapShape } from './cam.js';
import { networkPasses, type ModelPasses } from '../model-passes.js';
import type { BatchExplainer, ExplanationMethod } from './explain.js';

export { scoreCamMask } from '../masked-logits.js';

/** softmax(logits row b)_c in float64 (the row's max subtracted first). */
export function softmaxProbability(logits: Floats, b: number, classes: number, c: number): number {
  let max = -Infinity;
  for (let k = 0; k < classes; k++) max = Math.max(max, logits[b * classes + k]);
  let sum = 0;
  for (let k = 0; k < classes; k++) sum += Math.exp(logits[b * classes + k] - max);
  return Math.exp(logits[b * classes + c] - max) / sum;
}

/**
 * Score-CAM's weights w [K] for one image [C, H, W] and its block's activations A [K, h, w] (a copy: the masked
 * passes overwrite the network's buffers): the K masked copies and the baseline (masked-logits.ts) forwarded
 * as one batch of K + 1, on this thread through `copies` (scratch in the network's backend, an image a
 * sample), or by `passes` (a thread pool, whose threads each make and forward their share: model-passes.ts).
 */
export function scoreCamWeights(network: Network, image: Floats, activations: Float64Array, target: number, copies: BatchBuffer<Floats>, layer?: string, passes?: ModelPasses): Float64Array {
  checkModel('scoreCamWeights', 'network', network);
  checkFloats('scoreCamWeights', 'image', image);
  checkNumbers('scoreCamWeights', 'activations', activations);
  checkNumber('scoreCamWeights', 'target', target);
  checkFields('scoreCamWeights', 'copies', copies, "a batch buffer of the input's size: network.workspace.floats(name, size)", { forBatch: 'function' });
  if (layer !== undefined) checkString('scoreCamWeights', 'layer', layer, 'a string (a conv block, or left out for the last)');
  const explained = explainedLayer(network, layer);
  const [maskCount, mapHeight, mapWidth] = explained.shape;
  const classes = network.outputShape[0];
  let logits: Floats;
  if (passes === undefined) {
    checkMaskActivations(activations, explained, 'scoreCamWeights');
    logits = network.workspace.floats('score-cam.logits', classes).forBatch(maskCount + 1); // the backend's precision
    maskedLogitsOn(network, image, activations, mapHeight, mapWidth, 0, maskCount + 1, copies, logits);
  } else {
    logits = passes.maskedLogits(image, activations, layer);
  }
  return weightsFromLogits(logits, 0, maskCount, classes, target);
}

/** w_k = p_c(x ⊙ M_k) − p_c(x_b), k < K, from an image's K + 1 rows of masked logits starting at row `first`. */
function weightsFromLogits(logits: Floats, first: number, maskCount: number, classes: number, target: number): Float64Array {
  const baseline = softmaxProbability(logits, first + maskCount, classes, target);
  return Float64Array.from({ length: maskCount }, (_, k) => softmaxProbability(logits, first + k, classes, target) - baseline);
}

/**
 * About how many masked copies explainBatch forwards a pass: its images' K + 1 copies go together, as many images as
 * fill this (at least one), so that the passes are GEMM-sized even when the block has few channels, and each of a
 * pool's threads forwards a share of them with one round trip for the lot.
 */
export const MASKED_COPIES_A_PASS = 512;

/** Score-CAM as an explanation method: a clean forward pass a batch, then K + 1 masked passes an image. */
export function scoreCamMethod(): ExplanationMethod {
  checkNoArguments('scoreCamMethod', arguments.length, "the conv block to explain is explainImages' layer option");
  return {
    name: 'score-cam',
    title: 'Score-CAM',
    layer: 'cam',
    needs: ['conv-layer', 'forward-only'],
    mapShape: camMapShape,
    explainBatch: ((network, input, size, targetClass, out, _dLogits, layer, _random, passes = networkPasses(network)) => {
      const explained = explainedLayer(network, layer);
      const [channels, mapHeight, mapWidth] = explained.shape;
      const mapPixels = mapHeight * mapWidth;
      const classes = network.outputShape[0];
      const imageSize = product(network.inputShape);
      const logits = network.forwardKeepingFrom(input, size, explained.name); // only the block's activations are read
      out.logits.set(logits.subarray(0, size * classes));
      for (let b = 0; b < size; b++) out.targets[b] = targetClass ?? argmaxRow(logits, b, classes);
      const activations = Float64Array.from(network.activations(explained.name).subarray(0, size * channels * mapPixels)); // before the masked passes overwrite them
      const map = new Float64Array(mapPixels);
      // The masked copies of several images a pass (MASKED_COPIES_A_PASS): each image's rows are the ones a pass of its own gives.
      const imagesAPass = Math.max(1, Math.floor(MASKED_COPIES_A_PASS / (channels + 1)));
      const block = channels * mapPixels; // one image's activations
      for (let b0 = 0; b0 < size; b0 += imagesAPass) {
        const images = Math.min(imagesAPass, size - b0);
        const masked = passes.maskedLogits(input.subarray(b0 * imageSize, (b0 + images) * imageSize), activations.subarray(b0 * block, (b0 + images) * block), explained.name, images);
        for (let i = 0; i < images; i++) {
          const b = b0 + i;
          const a = activations.subarray(b * block, (b + 1) * block);
          const weights = weightsFromLogits(masked, i * (channels + 1), channels, classes, out.targets[b]);
          weightedChannelMap(a, 0, channels, mapPixels, weights, map);
          out.maps.set(map, b * mapPixels);
        }
      }
    }) satisfies BatchExplainer,
  };
}
