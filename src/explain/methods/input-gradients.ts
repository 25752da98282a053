/**
 * The gradient family on the input: attributions to the pixels x [C, H, W] (C = 1 for MNIST) from the
 * gradient of the target's logit y_c with respect to the input, ∂y_c/∂x, which `inputGradients` gets for a
 * whole batch in one pass (forward, one-hot dLogits, `Network.backwardToInput`). Every map is [H, W]: a
 * method's per-channel values are reduced over the C channels as its paper does (max for saliency, sum
 * for the others). The heatmap is the map min–max normalised, as for Grad-CAM (no resize: same size).
 *
 * Saliency, the vanilla gradient (Simonyan, Vedaldi & Zisserman, 2014, "Deep Inside Convolutional
 * Networks: Visualising Image Classification Models and Saliency Maps", ICLR workshop; §3.1):
 *   map_ij = max_c |∂y_c/∂x_cij|
 *
 * Gradient × input (Shrikumar, Greenside, Shcherbina & Kundaje, 2016, "Not Just a Black Box: Learning
 * Important Features Through Propagating Activation Differences", arXiv:1605.01713):
 *   map_ij = Σ_c x_cij · ∂y_c/∂x_cij          signed
 *
 * SmoothGrad (Smilkov, Thorat, Kim, Viégas & Wattenberg, 2017, "SmoothGrad: removing noise by adding
 * noise", arXiv:1706.03825; eq. 3), the mean of a sensitivity map M over n noisy copies of the image:
 *   map = (1/n) Σ_{s=1..n} M(x + ε_s),   ε_s ~ N(0, σ²) per pixel, M = the saliency map above
 * σ is in the input's units (pixels in [0, 1], so σ = 0.15 is the paper's 15 % of the range); the class c
 * is the clean image's. With σ = 0 it is the saliency map. The noise comes from `Random` (seeded).
 *
 * Integrated Gradients (Sundararajan, Taly & Yan, 2017, "Axiomatic Attribution for Deep Networks", ICML;
 * eq. 1 and its Riemann sum, §5): with a baseline x′ (default black, all zeros) and m steps,
 *   IG_cij = (x_cij − x′_cij) · (1/m) Σ_{k=1..m} ∂y_c/∂x_cij (x′ + (k/m)(x − x′));   map_ij = Σ_c IG_cij
 * Completeness (the paper's axiom, exact in the limit m → ∞): Σ_cij IG_cij = y_c(x) − y_c(x′); the
 * result reports each image's gap |Σ IG − (y_c(x) − y_c(x′))|, which shrinks as m grows.
 */
import { checkNoArguments, checkOptionFields } from '../../argument-checks.js';
import type { Floats } from '../../backend/backend.js';
import { XcnnError } from '../../errors.js';
import { product } from '../../model/layer.js';
import type { Network } from '../../model/network.js';
import { Random } from '../../random.js';
import { oneHotTargets, type Targets } from '../explanation.js';
import { inputGradientsOn, networkPasses, type InputGradients } from '../model-passes.js';
import { addAbsoluteMax } from '../smoothgrad-maps.js';
import type { BatchExplainer, ExplanationMethod } from './explain.js';

export type { InputGradients };

/**
 * Forward `input` [size, C, H, W], dLogits = one-hot rows of the targets, backward to the input: the
 * ordinary backward pass, or the guided one (every ReLU also drops negative incoming gradients; guided.ts).
 */
export function inputGradients(network: Network, input: Floats, size: number, targets: Targets, dLogits: Floats, rule: 'ordinary' | 'guided' = 'ordinary'): InputGradients {
  return inputGradientsOn(network, input, size, targets, dLogits, rule);
}

/** The [H, W] map shape of an input-space method. */
export function inputMapShape(network: Network): [number, number] {
  const [, height, width] = network.inputShape;
  return [height, width];
}

export function saliencyMethod(): ExplanationMethod {
  checkNoArguments('saliencyMethod', arguments.length, 'Saliency has no settings');
  return {
    name: 'saliency',
    title: 'Saliency',
    layer: 'input',
    needs: ['input-gradients'],
    mapShape: inputMapShape,
    explainBatch: ((network, input, size, targetClass, out, _dLogits, _layer, _random, passes = networkPasses(network)) => {
      const [channels, height, width] = network.inputShape;
      const { logits, targets, gradients } = passes.inputGradients(input, size, targetClass);
      out.logits.set(logits);
      out.targets.set(targets);
      const map = new Float64Array(size * height * width);
      addAbsoluteMax(gradients, size, channels, height * width, 1, map);
      out.maps.set(map);
    }) satisfies BatchExplainer,
  };
}

export function gradientTimesInputMethod(): ExplanationMethod {
  checkNoArguments('gradientTimesInputMethod', arguments.length, 'Gradient × input has no settings');
  return {
    name: 'gradient-x-input',
    signed: true,
    title: 'Gradient × input',
    layer: 'input',
    needs: ['input-gradients'],
    mapShape: inputMapShape,
    explainBatch: ((network, input, size, targetClass, out, _dLogits, _layer, _random, passes = networkPasses(network)) => {
      const [channels, height, width] = network.inputShape;
      const pixels = height * width;
      const { logits, targets, gradients } = passes.inputGradients(input, size, targetClass);
      out.logits.set(logits);
      out.targets.set(targets);
      out.maps.fill(0);
      for (let b = 0; b < size; b++) {
        for (let c = 0; c < channels; c++) {
          const offset = (b * channels + c) * pixels;
          for (let p = 0; p < pixels; p++) out.maps[b * pixels + p] += input[offset + p] * gradients[offset + p];
        }
      }
    }) satisfies BatchExplainer,
  };
}

export interface SmoothGradOptions {
  samples: number; // n, noisy copies per image
  sigma: number; // σ, the noise's standard deviation in pixel units (pixels are in [0, 1])
  seed: number;
}

export const SMOOTHGRAD_DEFAULTS: SmoothGradOptions = { samples: 50, sigma: 0.15, seed: 1 };
/** SmoothGrad's options and what each holds (smoothGradMethod and methodByName check them). */
export const SMOOTHGRAD_OPTION_FIELDS = { samples: 'number', sigma: 'number', seed: 'number' } as const;

/**
 * SmoothGrad. The noise comes from the run's generator (explain.ts): one stream for a call, continued
 * across its batches and started afresh from the seed by the next call, so the same images, batches and
 * seed give the same maps on every call.
 */
export function smoothGradMethod(options: Partial<SmoothGradOptions> = {}): ExplanationMethod {
  checkOptionFields('smoothGradMethod', 'options', options, SMOOTHGRAD_OPTION_FIELDS);
  const { samples, sigma, seed } = { ...SMOOTHGRAD_DEFAULTS, ...options };
  if (!(Number.isInteger(samples) && samples >= 1)) throw new XcnnError(`SmoothGrad: samples must be a whole number ≥ 1, not ${samples}`, { code: 'ERR_BAD_ARGUMENT' });
  if (!(sigma >= 0 && Number.isFinite(sigma))) throw new XcnnError(`SmoothGrad: sigma must be a number ≥ 0, not ${sigma}`, { code: 'ERR_BAD_ARGUMENT' });
  return {
    name: 'smoothgrad',
    title: 'SmoothGrad',
    layer: 'input',
    needs: ['input-gradients'],
    seed,
    mapShape: inputMapShape,
    explainBatch: ((network, input, size, targetClass, out, dLogits, _layer, random = new Random(seed), passes = networkPasses(network)) => {
      const logits = passes.logits(input, size);
      out.logits.set(logits);
      const targets = oneHotTargets(logits, size, network.outputShape[0], targetClass, dLogits); // the clean image's class
      out.targets.set(targets);
      // the noisy copies' passes, on a pool each thread drawing its own images' noise (smoothgrad-maps.ts)
      out.maps.set(passes.smoothGradMaps(input, size, targets, samples, sigma, random));
    }) satisfies BatchExplainer,
  };
}

export interface IntegratedGradientsOptions {
  steps: number; // m, points of the Riemann sum
  baseline: number; // x′, a constant image (0: black)
}

export const INTEGRATED_GRADIENTS_DEFAULTS: IntegratedGradientsOptions = { steps: 64, baseline: 0 };
/** Integrated Gradients' options and what each holds. */
export const INTEGRATED_GRADIENTS_OPTION_FIELDS = { steps: 'number', baseline: 'number' } as const;

export function integratedGradientsMethod(options: Partial<IntegratedGradientsOptions> = {}): ExplanationMethod {
  checkOptionFields('integratedGradientsMethod', 'options', options, INTEGRATED_GRADIENTS_OPTION_FIELDS);
  const { steps, baseline } = { ...INTEGRATED_GRADIENTS_DEFAULTS, ...options };
  if (!(Number.isInteger(steps) && steps >= 1)) throw new XcnnError(`Integrated Gradients: steps must be a whole number ≥ 1, not ${steps}`, { code: 'ERR_BAD_ARGUMENT' });
  if (!Number.isFinite(baseline)) throw new XcnnError(`Integrated Gradients: the baseline must be a number, not ${baseline}`, { code: 'ERR_BAD_ARGUMENT' });
  return {
    name: 'integrated-gradients',
    signed: true,
    title: 'Integrated Gradients',
    layer: 'input',
    needs: ['input-gradients'],
    mapShape: inputMapShape,
    reportsCompletenessGap: true,
    explainBatch: ((network, input, size, targetClass, out, dLogits, _layer, _random, passes = networkPasses(network)) => {
      const [channels, height, width] = network.inputShape;
      const classes = network.outputShape[0];
      const pixels = height * width;
      const path = network.workspace.floats('integrated-gradients.path', product(network.inputShape));
      const logits = Float64Array.from(passes.logits(input, size)); // a copy: the buffer is reused by the next pass
      out.logits.set(logits);
      const targets = oneHotTargets(logits, size, classes, targetClass, dLogits);
      out.targets.set(targets);
      const x = path.forBatch(size);

      x.fill(baseline);
      const baselineLogits = passes.logits(x, size);
      const difference = Float64Array.from(targets, (c, b) => logits[b * classes + c] - baselineLogits[b * classes + c]); // y_c(x) − y_c(x′)

      const gradientSum = new Float64Array(x.length); // Σ_k ∂y_c/∂x at x′ + (k/m)(x − x′)
      for (let k = 1; k <= steps; k++) {
        for (let i = 0; i < x.length; i++) x[i] = baseline + (k / steps) * (input[i] - baseline);
        const { gradients } = passes.inputGradients(x, size, targets);
        for (let i = 0; i < x.length; i++) gradientSum[i] += gradients[i];
      }
      const map = new Float64Array(size * pixels);
      for (let b = 0; b < size; b++) {
        let total = 0;
        for (let c = 0; c < channels; c++) {
          for (let p = 0; p < pixels; p++) {
            const i = (b * channels + c) * pixels + p;
            const attribution = ((input[i] - baseline) * gradientSum[i]) / steps;
            map[b * pixels + p] += attribution;
            total += attribution;
          }
        }
        out.completenessGaps[b] = Math.abs(total - difference[b]);
      }
      out.maps.set(map);
    }) satisfies BatchExplainer,
  };
}
