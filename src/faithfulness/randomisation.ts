/**
 * The model-parameter randomisation test (Adebayo, Gilmer, Muelly, Goodfellow, Hardt & Kim, 2018,
 * "Sanity Checks for Saliency Maps", NeurIPS; §3.1, cascading randomisation). An explanation that
 * explains the model must change when the model's weights are destroyed. From the top layer down, the
 * weights and biases of one more layer at a time are re-drawn from the network's default initialisation
 * (`Network.initialize`: U(−1/√fanIn, 1/√fanIn), PyTorch's), seeded:
 *
 *   stage 1: fc2    stage 2: fc2, fc1    stage 3: fc2, fc1, conv2    stage 4: fc2, fc1, conv2, conv1
 *
 * (the layers with parameters, last first; a layer keeps its random weights in later stages). At each
 * stage every image's heatmap is recomputed, for the same class as before (the original network's
 * prediction; the randomised network's own prediction would change the question), and compared with its
 * original heatmap by
 *
 *   Spearman's ρ of the two 28 × 28 heatmaps (rank-correlation.ts), taken as they are drawn — the
 *              min–max normalised maps, so signed maps keep their sign's order (no absolute value);
 *   SSIM       of the two heatmaps (ssim.ts, Wang et al. 2004's window and constants, L = 1),
 *
 * each averaged over the images. A method whose mean ρ or mean SSIM after the last stage (every layer
 * random) is above `flagThreshold` (0.5) is flagged: its maps are more about the input than the model.
 *
 * The caller's network is not changed: its parameters and buffers (batch norm's running statistics) are
 * copied first and written back afterwards (also when a method throws), bit for bit.
 */
import { checkFunction, checkImageSetKind, checkModel, checkNumbers, checkOptions, checkRandom } from '../argument-checks.js';
import type { ImageSet } from '../data/dataset.js';
import { explainImages, runRandom, type ExplanationMethod } from '../explain/methods/explain.js';
import type { ModelPasses } from '../explain/model-passes.js';
import type { Network } from '../model/network.js';
import { Random } from '../random.js';
import { spearmanCorrelation } from './rank-correlation.js';
import { ssim } from './ssim.js';

export interface RandomisationOptions {
  seed: number; // of the re-drawn weights (the same for every method, so they meet the same random networks)
  flagThreshold: number; // a method whose final mean ρ or SSIM exceeds this is flagged (0.5)
  batchSize?: number; // images per explanation batch
  layer?: string; // the conv block the CAM methods explain (default: the last)
  passes?: ModelPasses; // a thread pool to run the explanations' passes on (default: this thread; model-passes.ts)
}

export const RANDOMISATION_DEFAULTS: RandomisationOptions = { seed: 1, flagThreshold: 0.5 };

/** The similarity of the heatmaps after one stage to the originals, means over the images. */
export interface RandomisationStage {
  layers: string[]; // the layers random at this stage, top first
  spearman: number; // mean ρ
  ssim: number; // mean SSIM
}

export interface RandomisationResult {
  stages: RandomisationStage[];
  spearman: number; // after the last stage (every layer random)
  ssim: number;
  flagged: boolean;
}

/** The layers that hold parameters, last (top) first: fc2, fc1, conv2, conv1 for the paper's network. */
export function layersTopDown(network: Network): string[] {
  checkModel('layersTopDown', 'network', network);
  const names: string[] = [];
  for (const layer of network.layers) if (layer.parameterSpecs().length > 0) names.push(layer.name);
  return names.reverse();
}

/** Re-draws the parameters of one layer from the default initialisation, U(−1/√fanIn, 1/√fanIn). */
export function reinitialiseLayer(network: Network, layerName: string, random: Random): void {
  checkModel('reinitialiseLayer', 'network', network);
  checkRandom('reinitialiseLayer', 'random', random);
  network.initialize(random, layerName);
}

/**
 * Runs `work`, then writes the network's parameters and buffers back as they were before it (even if it
 * throws). The buffers too: re-drawing a batch norm layer (`Network.initialize`) resets its running
 * statistics, which are buffers, not parameters.
 */
export function withParametersRestored<T>(network: Network, work: () => T): T {
  checkModel('withParametersRestored', 'network', network);
  checkFunction('withParametersRestored', 'work', work, 'a function to run');
  const saved = network.params.slice();
  const savedBuffers = network.buffers.slice();
  try {
    return work();
  } finally {
    network.params.set(saved);
    network.buffers.set(savedBuffers);
    network.zeroGrad();
  }
}

/**
 * Heatmaps [N, H, W] of the images `indices` of `set`, image n explained for class targets[n]: the images
 * are run a class at a time (explainImages takes one class a run), in class order, the seeded methods
 * drawing from one generator across the classes, so two calls with the same targets draw the same noise
 * for every image.
 */
export function heatmapsForTargets(network: Network, set: ImageSet, indices: ArrayLike<number>, targets: ArrayLike<number>, method: ExplanationMethod, batchSize?: number, layer?: string, passes?: ModelPasses): Float32Array {
  const [, height, width] = network.inputShape;
  const pixels = height * width;
  const heatmaps = new Float32Array(indices.length * pixels);
  const random = runRandom(method, {});
  for (let c = 0; c < network.outputShape[0]; c++) {
    const members = Array.from({ length: indices.length }, (_, n) => n).filter((n) => targets[n] === c);
    if (members.length === 0) continue;
    const result = explainImages(network, set, method, { indices: members.map((n) => indices[n]), targetClass: c, batchSize, layer, random, passes });
    members.forEach((n, k) => heatmaps.set(result.heatmaps.subarray(k * pixels, (k + 1) * pixels), n * pixels));
  }
  return heatmaps;
}

/**
 * Cascading randomisation of one method over the images `indices` of `set`, each explained for its class
 * in `targets` (the original network's predictions). `makeMethod` gives a fresh method object for each
 * run (seeded methods then draw the same noise before and after), and the heatmaps before are computed
 * here too, the same way, so the comparison is like for like.
 */
export function cascadingRandomisation(
  network: Network,
  set: ImageSet,
  indices: ArrayLike<number>,
  targets: ArrayLike<number>,
  makeMethod: () => ExplanationMethod,
  options: Partial<RandomisationOptions> = {},
): RandomisationResult {
  checkModel('cascadingRandomisation', 'network', network);
  checkImageSetKind('cascadingRandomisation', 'set', set);
  checkNumbers('cascadingRandomisation', 'indices', indices);
  checkNumbers('cascadingRandomisation', 'targets', targets);
  checkFunction('cascadingRandomisation', 'makeMethod', makeMethod, 'a function that makes an explanation method (() => methodByName(…))');
  checkOptions('cascadingRandomisation', options);
  const { seed, flagThreshold, batchSize, layer: explained, passes } = { ...RANDOMISATION_DEFAULTS, ...options };
  const [, height, width] = network.inputShape;
  const pixels = height * width;
  const count = indices.length;
  const before = heatmapsForTargets(network, set, indices, targets, makeMethod(), batchSize, explained, passes);
  const stages: RandomisationStage[] = withParametersRestored(network, () => {
    const random = new Random(seed);
    const randomised: string[] = [];
    return layersTopDown(network).map((layer) => {
      reinitialiseLayer(network, layer, random);
      randomised.push(layer);
      const after = heatmapsForTargets(network, set, indices, targets, makeMethod(), batchSize, explained, passes);
      let rho = 0;
      let structural = 0;
      for (let n = 0; n < count; n++) {
        const a = before.subarray(n * pixels, (n + 1) * pixels);
        const b = after.subarray(n * pixels, (n + 1) * pixels);
        rho += spearmanCorrelation(a, b);
        structural += ssim(a, b, height, width);
      }
      return { layers: [...randomised], spearman: rho / count, ssim: structural / count };
    });
  });
  const last = stages[stages.length - 1];
  return { stages, spearman: last.spearman, ssim: last.ssim, flagged: last.spearman > flagThreshold || last.ssim > flagThreshold };
}
