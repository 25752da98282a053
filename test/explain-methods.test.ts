/**
 * The explanation methods beyond Grad-CAM (src/explain/methods/): each method's map against its formula
 * evaluated by hand on a tiny float64 network, the properties the papers state (HiResCAM = Grad-CAM under
 * spatially constant gradients, Grad-CAM++'s closed form there, XGrad-CAM's conservation, IG's
 * completeness, SmoothGrad's seeding and σ = 0), the input gradient against finite differences, and
 * `xcnn explain --method` as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { relativeDifference } from './fixtures/compare.js';
import type { Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { classActivationMap, gradCam } from '../src/explain/grad-cam.js';
import { METHOD_NAMES, methodByName } from '../src/explain/methods/by-name.js';
import { gradCamPlusPlusWeights, hiResCamMap, layerCamMap, xGradCamWeights } from '../src/explain/methods/cam.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { integratedGradientsMethod, smoothGradMethod } from '../src/explain/methods/input-gradients.js';
import { saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY, type Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { compareGradient, dot, expectGradientClose, seededValues } from './gradcheck.js';

/** The paper network's explained layer: the second convolution after its ReLU. */
const GRAD_CAM_LAYER = 'relu2';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';

function randomImages(seed: number, count: number): ImageSet {
  const images = Uint8Array.from(seededValues(seed, count * PIXELS), (v) => Math.floor(((v + 1) / 2) * 256));
  return { count, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: new Uint8Array(count) };
}

/** Image n of the set as the network sees it, [1, H, W] in [0, 1], float64. */
function imageOf(set: ImageSet, n: number): Float64Array {
  return Float64Array.from(set.images.subarray(n * PIXELS, (n + 1) * PIXELS), (v) => v / 255);
}

/** relu2's activations A and ∂y_c/∂A by central differences (not by backpropagation), [K·h·w] each. */
function activationsAndNumericGradients(network: Network, image: Float64Array, c: number): { a: Float64Array; g: Float64Array } {
  network.forward(image, 1);
  const a = Float64Array.from(network.activations(GRAD_CAM_LAYER));
  const start = network.layers.findIndex((layer) => layer.name === GRAD_CAM_LAYER) + 1;
  const logit = () => {
    let x: Floats = a;
    for (const layer of network.layers.slice(start)) x = layer.forward(x, 1);
    return x[c];
  };
  const g = new Float64Array(a.length);
  for (let k = 0; k < a.length; k++) {
    const saved = a[k];
    a[k] = saved + 1e-6;
    const plus = logit();
    a[k] = saved - 1e-6;
    const minus = logit();
    a[k] = saved;
    g[k] = (plus - minus) / 2e-6;
  }
  return { a, g };
}

const relu = (v: number) => Math.max(0, v);

/** The CAM formulas written out straight from the papers, on one image's A and G [K, P]. */
const HAND: Record<string, (a: Float64Array, g: Float64Array, K: number, P: number) => number[]> = {
  'hires-cam': (a, g, K, P) => Array.from({ length: P }, (_, p) => relu(sum(K, (k) => g[k * P + p] * a[k * P + p]))),
  'layer-cam': (a, g, K, P) => Array.from({ length: P }, (_, p) => relu(sum(K, (k) => relu(g[k * P + p]) * a[k * P + p]))),
  'xgrad-cam': (a, g, K, P) => {
    const alpha = Array.from({ length: K }, (_, k) => sum(P, (p) => a[k * P + p] * g[k * P + p]) / (sum(P, (q) => a[k * P + q]) || Infinity));
    return Array.from({ length: P }, (_, p) => relu(sum(K, (k) => alpha[k] * a[k * P + p])));
  },
  'grad-cam++': (a, g, K, P) => {
    const alpha = Array.from({ length: K }, (_, k) => {
      const s = sum(P, (q) => a[k * P + q]);
      return sum(P, (p) => {
        const gp = g[k * P + p];
        return gp === 0 ? 0 : ((gp ** 2) / (2 * gp ** 2 + s * gp ** 3)) * relu(gp);
      });
    });
    return Array.from({ length: P }, (_, p) => relu(sum(K, (k) => alpha[k] * a[k * P + p])));
  },
};

function sum(n: number, f: (k: number) => number): number {
  let total = 0;
  for (let k = 0; k < n; k++) total += f(k);
  return total;
}

describe('CAM family (relu2; reference backend, float64)', () => {
  it.each(Object.keys(HAND))('%s: the map is its paper formula of A and finite-difference ∂y_c/∂A', (name) => {
    const network = tinyNetwork(3);
    const set = randomImages(3, 3);
    const result = explainImages(network, set, methodByName(name), { batchSize: 2 });
    const [K, h, w] = network.layer(GRAD_CAM_LAYER).outputShape;
    expect([result.mapHeight, result.mapWidth]).toEqual([h, w]);
    let worst = 0;
    for (let n = 0; n < set.count; n++) {
      const { a, g } = activationsAndNumericGradients(network, imageOf(set, n), result.targets[n]);
      const expected = HAND[name](a, g, K, h * w);
      worst = Math.max(worst, relativeDifference(result.maps.subarray(n * h * w, (n + 1) * h * w), expected));
    }
    console.log(`${name} vs its formula on finite differences: largest relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
  });

  it('grad-cam through the shared pass gives the same maps and heatmaps as gradCam', () => {
    const network = tinyNetwork(4);
    const set = randomImages(4, 5);
    const method = explainImages(network, set, methodByName('grad-cam'), { batchSize: 3 });
    const reference = gradCam(network, set, { batchSize: 2 });
    expect(Array.from(method.maps)).toEqual(Array.from(reference.maps));
    // gradCam resizes its float64 map, the shared driver the stored float32 one: a rounding apart.
    expect(relativeDifference(method.heatmaps, reference.heatmaps)).toBeLessThan(1e-6);
    expect(Array.from(method.targets)).toEqual(Array.from(reference.targets));
  });

  // Synthetic A ≥ 0 and G for one image: K channels of P positions.
  const K = 5;
  const P = 9;
  const activations = Float64Array.from(seededValues(11, K * P), (v) => relu(v) * 2);
  const constantGradients = Float64Array.from({ length: K * P }, (_, i) => [0.7, -0.4, 0.05, 1.3, 0][Math.floor(i / P)]);

  it('HiResCAM equals Grad-CAM when every gradient channel is spatially constant (as after global average pooling)', () => {
    const hiRes = new Float64Array(P);
    const grad = new Float64Array(P);
    hiResCamMap(activations, constantGradients, 0, K, P, hiRes);
    classActivationMap(activations, constantGradients, 0, K, P, new Float64Array(K), grad);
    for (let p = 0; p < P; p++) expect(hiRes[p]).toBeCloseTo(grad[p], 12);
    expect(Math.max(...hiRes)).toBeGreaterThan(0);
  });

  it("Grad-CAM++'s weights are Grad-CAM's times P/(2 + g_k Σ A_k) when gradients are spatially constant (0 where g_k ≤ 0)", () => {
    const plusPlus = new Float64Array(K);
    const grad = new Float64Array(K);
    gradCamPlusPlusWeights(activations, constantGradients, 0, K, P, plusPlus);
    classActivationMap(activations, constantGradients, 0, K, P, grad, new Float64Array(P));
    for (let k = 0; k < K; k++) {
      const activationSum = sum(P, (p) => activations[k * P + p]);
      const factor = grad[k] > 0 ? P / (2 + grad[k] * activationSum) : 0;
      expect(plusPlus[k], `channel ${k}`).toBeCloseTo(factor * grad[k], 12);
    }
  });

  it("XGrad-CAM conserves Σ_k α_k Σ_ij A_kij = Σ_kij A_kij G_kij, and equals Grad-CAM's weights on spatially constant activations", () => {
    const gradients = seededValues(12, K * P);
    const alpha = new Float64Array(K);
    xGradCamWeights(activations, gradients, 0, K, P, alpha);
    expect(sum(K, (k) => alpha[k] * sum(P, (p) => activations[k * P + p]))).toBeCloseTo(sum(K * P, (i) => activations[i] * gradients[i]), 12);

    const flat = Float64Array.from({ length: K * P }, (_, i) => 1 + Math.floor(i / P));
    const grad = new Float64Array(K);
    xGradCamWeights(flat, gradients, 0, K, P, alpha);
    classActivationMap(flat, gradients, 0, K, P, grad, new Float64Array(P));
    for (let k = 0; k < K; k++) expect(alpha[k]).toBeCloseTo(grad[k], 12);
  });

  it('LayerCAM equals HiResCAM where every gradient is ≥ 0, and ignores negative gradients', () => {
    const positive = Float64Array.from(seededValues(13, K * P), Math.abs);
    const [layer, hiRes] = [new Float64Array(P), new Float64Array(P)];
    layerCamMap(activations, positive, 0, K, P, layer);
    hiResCamMap(activations, positive, 0, K, P, hiRes);
    expect(Array.from(layer)).toEqual(Array.from(hiRes));
    const withNegatives = Float64Array.from(positive, (g, i) => (i % 2 ? -g : g));
    const onlyPositive = Float64Array.from(withNegatives, relu);
    const [a, b] = [new Float64Array(P), new Float64Array(P)];
    layerCamMap(activations, withNegatives, 0, K, P, a);
    layerCamMap(activations, onlyPositive, 0, K, P, b);
    expect(Array.from(a)).toEqual(Array.from(b));
  });
});

describe('Network.backwardToInput (reference backend, float64)', () => {
  it('returns ∂(Σ r·logits)/∂x equal to finite differences, for a batch of 2', () => {
    for (const seed of [1, 2]) {
      const network = tinyNetwork(seed);
      const x = Float64Array.from(seededValues(seed + 100, 2 * PIXELS), (v) => (v + 1) / 2);
      const r = seededValues(seed + 200, 2 * GEOMETRY.classes);
      network.forward(x, 2);
      const analytic = Float64Array.from(network.backwardToInput(Float64Array.from(r)));
      network.zeroGrad();
      expectGradientClose(`seed ${seed} ∂L/∂x`, compareGradient(() => dot(network.forward(x, 2), r), x, analytic), 1e-6);
    }
  });
});

describe('gradient family (input; reference backend, float64)', () => {
  const network = tinyNetwork(5);
  const set = randomImages(5, 3);

  /** ∂y_c/∂x of image n by finite differences. */
  function numericInputGradient(n: number, c: number): Float64Array {
    const x = imageOf(set, n);
    const g = new Float64Array(PIXELS);
    for (let k = 0; k < PIXELS; k++) {
      const saved = x[k];
      x[k] = saved + 1e-6;
      const plus = network.forward(x, 1)[c];
      x[k] = saved - 1e-6;
      const minus = network.forward(x, 1)[c];
      x[k] = saved;
      g[k] = (plus - minus) / 2e-6;
    }
    return g;
  }

  it('saliency is |∂y_c/∂x| and gradient × input is x ⊙ ∂y_c/∂x, as finite differences say', () => {
    const saliency = explainImages(network, set, methodByName('saliency'), { batchSize: 2 });
    const times = explainImages(network, set, methodByName('gradient-x-input'), { batchSize: 2 });
    expect([saliency.mapHeight, saliency.mapWidth]).toEqual([12, 12]);
    let worst = 0;
    for (let n = 0; n < set.count; n++) {
      const g = numericInputGradient(n, saliency.targets[n]);
      const x = imageOf(set, n);
      worst = Math.max(worst, relativeDifference(saliency.maps.subarray(n * PIXELS, (n + 1) * PIXELS), Array.from(g, Math.abs)));
      worst = Math.max(worst, relativeDifference(times.maps.subarray(n * PIXELS, (n + 1) * PIXELS), Array.from(g, (v, k) => v * x[k])));
    }
    console.log(`saliency and gradient × input vs finite differences: largest relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-5);
  });

  it('SmoothGrad is reproducible for a seed, changes with the seed, and with σ = 0 is the saliency map', () => {
    const run = (options: { seed?: number; sigma?: number }) => explainImages(network, set, smoothGradMethod({ samples: 8, ...options }), { batchSize: 2 }).maps;
    expect(Array.from(run({ seed: 7 }))).toEqual(Array.from(run({ seed: 7 })));
    expect(Array.from(run({ seed: 7 }))).not.toEqual(Array.from(run({ seed: 8 })));
    const saliency = explainImages(network, set, methodByName('saliency')).maps;
    expect(relativeDifference(run({ sigma: 0 }), saliency)).toBeLessThan(1e-6);
  });

  it('the seeded methods are pure: one method object gives the same maps on every call, and a seed given to the call replaces its own', () => {
    for (const [name, options] of [['smoothgrad', { smoothGrad: { samples: 4 } }], ['kernel-shap', { kernelShap: { samples: 32, patch: 4 } }], ['lime', { lime: { samples: 32, patch: 4 } }]] as const) {
      const method = methodByName(name, options);
      const first = Array.from(explainImages(network, set, method, { batchSize: 2 }).maps);
      expect(Array.from(explainImages(network, set, method, { batchSize: 2 }).maps), name).toEqual(first);
      const reseeded = Array.from(explainImages(network, set, method, { batchSize: 2, seed: 9 }).maps);
      expect(reseeded, name).not.toEqual(first);
      expect(Array.from(explainImages(network, set, methodByName(name, { [Object.keys(options)[0]]: { ...Object.values(options)[0], seed: 9 } }), { batchSize: 2 }).maps), name).toEqual(reseeded);
    }
  });

  // The paper (§5) suggests enough steps to bring the sum within 5 % of the difference; the right Riemann
  // sum's error falls as 1/m, and 128 steps bring it under 2 % here.
  it('Integrated Gradients: the completeness gap |Σ IG − (y_c(x) − y_c(black))| shrinks as steps grow, under 2 % of the difference at 128', () => {
    const gaps = [4, 16, 128].map((steps) => explainImages(network, set, integratedGradientsMethod({ steps }), { batchSize: 2 }).completenessGaps!);
    const black = Float64Array.from(network.forward(new Float64Array(set.count * PIXELS), set.count)); // a copy: the buffer is reused
    const result = explainImages(network, set, integratedGradientsMethod({ steps: 128 }));
    for (let n = 0; n < set.count; n++) {
      const c = result.targets[n];
      const difference = Math.abs(result.logits[n * GEOMETRY.classes + c] - black[n * GEOMETRY.classes + c]);
      console.log(`IG image ${n}: |y_c(x) − y_c(black)| = ${difference.toFixed(4)}, gap at 4/16/128 steps: ${gaps.map((g) => g[n].toExponential(2)).join(' / ')}`);
      expect(gaps[1][n]).toBeLessThan(gaps[0][n]);
      expect(gaps[2][n]).toBeLessThan(gaps[1][n]);
      expect(gaps[2][n]).toBeLessThan(0.02 * difference);
      // The gap is what it says: Σ of the map against the logit difference.
      const total = sum(PIXELS, (p) => result.maps[n * PIXELS + p]);
      expect(Math.abs(Math.abs(total - (result.logits[n * GEOMETRY.classes + c] - black[n * GEOMETRY.classes + c])) - result.completenessGaps![n])).toBeLessThan(1e-4);
    }
  });

  it('refuses bad SmoothGrad and Integrated Gradients settings with an XcnnError', () => {
    expect(() => smoothGradMethod({ samples: 0 })).toThrow(XcnnError);
    expect(() => smoothGradMethod({ sigma: -1 })).toThrow(XcnnError);
    expect(() => integratedGradientsMethod({ steps: 1.5 })).toThrow(XcnnError);
    expect(() => methodByName('gradcam')).toThrow(/^method: 'gradcam' is not one of grad-cam, grad-cam\+\+/);
  });
});

describe('xcnn explain --method (CLI)', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
  const work = mkdtempSync(join(tmpdir(), 'xcnn-methods-'));
  const xcnn = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
  const network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 4, conv2Channels: 6, hidden: 16 });
  network.initialize(new Random(1));
  saveModel(join(work, 'model.safetensors'), network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });

  it('hires-cam: an 11 × 11 map on relu2 and a 28 × 28 heatmap', () => {
    const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '0', '--method', 'hires-cam', '--out', 'hires', '--json');
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout);
    expect([json.method, json.layer]).toEqual(['hires-cam', 'relu2']);
    const [explanation] = json.images;
    expect(explanation.map).toHaveLength(11);
    expect(explanation.map[0]).toHaveLength(11);
    expect(explanation.heatmap).toHaveLength(28);
    expect(explanation.heatmap.flat().every((v: number) => v >= 0 && v <= 1)).toBe(true);
  });

  it('integrated-gradients: a 28 × 28 map on the input and its completeness gap', () => {
    const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '0', '--method', 'integrated-gradients', '--steps', '16', '--out', 'ig');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Integrated Gradients for \d( \(flat\))? → ig\/test-0-integrated-gradients\.png/);
    const json = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '0', '--method', 'integrated-gradients', '--steps', '16', '--out', 'ig', '--json');
    const parsed = JSON.parse(json.stdout);
    expect([parsed.method, parsed.layer]).toEqual(['integrated-gradients', 'input']);
    const [explanation] = parsed.images;
    expect(explanation.map).toHaveLength(28);
    expect(explanation.map[0]).toHaveLength(28);
    expect(explanation.completenessGap).toBeGreaterThanOrEqual(0);
  });

  it('documents --method and its names, and the SmoothGrad and IG settings, in --help', () => {
    const help = xcnn('explain', '--help').stdout;
    for (const text of ['--method', ...METHOD_NAMES, '--samples', '--sigma', '--steps']) expect(help).toContain(text);
  });

  it('refuses an unknown method with status 2 and one line listing the names', () => {
    const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '0', '--method', 'gradcam');
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toContain(`--method: 'gradcam' is not one of ${METHOD_NAMES.join(', ')}`);
  });
});
