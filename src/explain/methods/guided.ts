/**
 * Guided Backpropagation and Guided Grad-CAM: fine, input-resolution maps from a modified backward pass.
 *
 * Guided Backpropagation (Springenberg, Dosovitskiy, Brox & Riedmiller, 2015, "Striving for Simplicity: The
 * All Convolutional Net", ICLR workshop; fig. 1): the gradient of the target's logit y_c with
 * respect to the input, except that every ReLU's backward pass keeps a gradient only where the unit was
 * active (the ordinary rule) AND the gradient arriving from above is positive:
 *   R_in = (f_in > 0) · (R_out > 0) · R_out     at every ReLU (relu1, relu2, relu3; Network.backwardToInput(…, 'guided'))
 *   map_ij = Σ_c R_cij                          [H, W], signed (C = 1 for MNIST)
 * The convolutions, the pool and the dense layers backpropagate as usual. It is not a gradient of anything
 * and, as Adebayo et al. (2018, "Sanity Checks for Saliency Maps") showed, barely depends on the higher
 * layers' weights: a picture of the input's edges more than of the network's reasons.
 *
 * Guided Grad-CAM (Selvaraju et al., 2017, "Grad-CAM: Visual Explanations from Deep Networks via
 * Gradient-based Localization", §3 "Guided Grad-CAM"): Guided Backpropagation made class-discriminative by
 * multiplying it, pixel by pixel, with the Grad-CAM map brought to the input's size:
 *   map = GuidedBackprop ⊙ bilinear(ReLU(Σ_k α_k A_k) → [H, W])      [H, W], signed
 * The Grad-CAM map is the raw one (not normalised), stretched with half-pixel centres as the heatmap's
 * default (resize.ts), from its float32 values. On one thread both factors come from the same forward pass: an
 * ordinary backward down to the conv block (relu2 by default in the paper's network, any other with `layer`) for
 * Grad-CAM, then a guided one down to the input; on a thread pool (`passes`) from two, the pool's CAM pass and
 * its guided one, each split over the threads — the same numbers.
 */
import { checkFloats, checkModel, checkNoArguments, checkNumber, checkNumbers } from '../../argument-checks.js';
import type { Floats } from '../../backend/backend.js';
import { NO_PARAMETER_GRADIENTS, type Network } from '../../model/network.js';
import { explainedLayer } from '../explained-layer.js';
import { oneHotTargets, type Targets } from '../explanation.js';
import { classActivationMap } from '../grad-cam.js';
import { GRAD_CAM_RULE } from '../cam-rules.js';
import { networkPasses } from '../model-passes.js';
import { resizeBilinearInto } from '../resize.js';
import type { BatchExplainer, ExplanationMethod } from './explain.js';
import { inputGradients, inputMapShape, type InputGradients } from './input-gradients.js';

/** Guided Backpropagation of every image of a batch: `gradients` [B, C, H, W] is the guided "gradient" R. */
export type GuidedGradients = InputGradients;

/** Forward `input` [size, C, H, W], dLogits = one-hot rows of the targets, guided backward to the input. */
export function guidedGradients(network: Network, input: Floats, size: number, targets: Targets, dLogits: Floats): GuidedGradients {
  checkModel('guidedGradients', 'network', network);
  checkFloats('guidedGradients', 'input', input);
  checkNumber('guidedGradients', 'size', size);
  checkNumbers('guidedGradients', 'targets', targets);
  checkFloats('guidedGradients', 'dLogits', dLogits);
  return inputGradients(network, input, size, targets, dLogits, 'guided');
}

/** maps [size, H·W] = Σ_c R_c · scale, with scale [size, H·W] or 1 everywhere (null). */
function channelSum(gradients: Floats, size: number, channels: number, pixels: number, scale: ArrayLike<number> | null, maps: Float32Array): void {
  for (let b = 0; b < size; b++) {
    for (let p = 0; p < pixels; p++) {
      let sum = 0;
      for (let c = 0; c < channels; c++) sum += gradients[(b * channels + c) * pixels + p];
      maps[b * pixels + p] = scale === null ? sum : sum * scale[b * pixels + p];
    }
  }
}

export function guidedBackpropMethod(): ExplanationMethod {
  checkNoArguments('guidedBackpropMethod', arguments.length, 'Guided Backprop has no settings');
  return {
    name: 'guided-backprop',
    signed: true,
    title: 'Guided Backprop',
    layer: 'input',
    needs: ['input-gradients'],
    mapShape: inputMapShape,
    explainBatch: ((network, input, size, targetClass, out, _dLogits, _layer, _random, passes = networkPasses(network)) => {
      const [channels, height, width] = network.inputShape;
      const { logits, targets, gradients } = passes.inputGradients(input, size, targetClass, 'guided');
      out.logits.set(logits);
      out.targets.set(targets);
      channelSum(gradients, size, channels, height * width, null, out.maps);
    }) satisfies BatchExplainer,
  };
}

export function guidedGradCamMethod(): ExplanationMethod {
  checkNoArguments('guidedGradCamMethod', arguments.length, "the conv block to explain is explainImages' layer option");
  return {
    name: 'guided-grad-cam',
    signed: true,
    title: 'Guided Grad-CAM',
    layer: 'input',
    needs: ['conv-layer', 'layer-gradients', 'input-gradients'],
    mapShape: inputMapShape,
    explainBatch: ((network, input, size, targetClass, out, dLogits, layer, _random, passes) => {
      const [channels, height, width] = network.inputShape;
      const explained = explainedLayer(network, layer);
      const [mapChannels, mapHeight, mapWidth] = explained.shape;
      const mapPixels = mapHeight * mapWidth;
      const pixels = height * width;
      // Grad-CAM, upsampled from its float32 map (so this thread and a pool, whose maps are float32 rows, agree).
      const cam = new Float32Array(size * pixels);
      const upsample = (maps: ArrayLike<number> & { subarray(start: number, end: number): ArrayLike<number> }) => {
        for (let b = 0; b < size; b++) resizeBilinearInto(maps.subarray(b * mapPixels, (b + 1) * mapPixels), mapHeight, mapWidth, height, width, cam.subarray(b * pixels, (b + 1) * pixels));
      };
      if (passes !== undefined) {
        // On a pool: the CAM pass, then the guided pass for the same classes — two forward passes, split over the threads.
        const grad = passes.camMaps(input, size, targetClass, GRAD_CAM_RULE, explained.name);
        out.logits.set(grad.logits.subarray(0, out.logits.length));
        out.targets.set(grad.targets);
        upsample(Float32Array.from(grad.maps.subarray(0, size * mapPixels)));
        channelSum(passes.inputGradients(input, size, out.targets, 'guided').gradients, size, channels, pixels, cam, out.maps);
        return;
      }
      const logits = network.forward(input, size);
      out.logits.set(logits);
      const targets = oneHotTargets(logits, size, network.outputShape[0], targetClass, dLogits);
      out.targets.set(targets);
      // An ordinary backward down to the block (dLogits is only read, so it serves twice).
      const layerGradients = network.backwardTo(explained.name, dLogits, NO_PARAMETER_GRADIENTS);
      const maps = new Float32Array(size * mapPixels);
      const map = new Float64Array(mapPixels);
      for (let b = 0; b < size; b++) {
        classActivationMap(network.activations(explained.name), layerGradients, b, mapChannels, mapPixels, new Float64Array(mapChannels), map);
        maps.set(map, b * mapPixels);
      }
      upsample(maps);
      // Guided Backpropagation from the same forward pass.
      channelSum(network.backwardToInput(dLogits, 'guided', NO_PARAMETER_GRADIENTS), size, channels, pixels, cam, out.maps);
    }) satisfies BatchExplainer,
  };
}
