/**
 * The gradient family on the input (src/explain/methods/input-gradients.ts) on a three-channel network, each
 * map written out here from the network's input gradient at the points its paper names: saliency's max over
 * the channels of |∂y_c/∂x|, gradient × input's channel sum, SmoothGrad's mean over noisy copies drawn from
 * the seeded generator, Integrated Gradients' Riemann sum from a grey baseline and its completeness gap, Guided
 * Backprop's channel sum of the guided pass and Guided Grad-CAM's product with the stretched Grad-CAM map. The
 * settings' refusals word for word.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { networkPasses } from '../src/explain/model-passes.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { guidedBackpropMethod, guidedGradCamMethod } from '../src/explain/methods/guided.js';
import { gradientTimesInputMethod, INTEGRATED_GRADIENTS_DEFAULTS, integratedGradientsMethod, saliencyMethod, SMOOTHGRAD_DEFAULTS, smoothGradMethod } from '../src/explain/methods/input-gradients.js';
import type { Network } from '../src/model/network.js';
import { resizeBilinear } from '../src/explain/resize.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';
import { COLOUR_GEOMETRY, COLOUR_SPEC, randomSet, seededNetwork } from './fixtures/any-networks.js';

const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), COLOUR_SPEC, COLOUR_GEOMETRY, 4);
const set = randomSet(COLOUR_GEOMETRY, 3, 8);
const SIZE = 3 * 10 * 10; // C · H · W
const PIXELS = 100;
const input = Float64Array.from(set.images, (v) => v / 255); // [3, C, H, W]

/** Logits [size, classes] and ∂y_{c_b}/∂x [size, C, H, W] at the points x, each image for its class. */
function gradientAt(net: Network, x: Float64Array, size: number, classes: number[]): { logits: number[][]; gradient: Float64Array } {
  const logits = net.forward(Float64Array.from(x), size);
  const rows = Array.from({ length: size }, (_, b) => Array.from(logits.subarray(b * 3, b * 3 + 3)));
  const dLogits = new Float64Array(size * 3);
  classes.forEach((c, b) => { dLogits[b * 3 + c] = 1; });
  const gradient = Float64Array.from(net.backwardToInput(dLogits));
  net.zeroGrad();
  return { logits: rows, gradient };
}

const argmax = (row: number[]) => row.indexOf(Math.max(...row));
const clean = gradientAt(network, input, 3, [0, 0, 0]);
const predicted = clean.logits.map(argmax);

function expectMapsClose(got: Float32Array, expected: ArrayLike<number>, digits = 6): void {
  expect(got).toHaveLength(expected.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - expected[i]));
  expect(worst, `largest difference ${worst.toExponential(2)}`).toBeLessThan(10 ** -digits);
}

describe('saliency and gradient × input on three channels', () => {
  const { gradient } = gradientAt(network, input, 3, predicted);

  it('saliency is max over the channels of |∂y_c/∂x_c|, for the predicted class', () => {
    const result = explainImages(network, set, saliencyMethod());
    const expected = Float64Array.from({ length: 3 * PIXELS }, (_, i) => {
      const [b, p] = [Math.floor(i / PIXELS), i % PIXELS];
      return Math.max(...[0, 1, 2].map((c) => Math.abs(gradient[b * SIZE + c * PIXELS + p])));
    });
    expectMapsClose(result.maps, expected);
    expect(Array.from(result.targets)).toEqual(predicted);
  });

  it('gradient × input is Σ_c x_c · ∂y_c/∂x_c, signed, for the class asked for', () => {
    const asked = gradientAt(network, input, 3, [2, 2, 2]).gradient;
    const result = explainImages(network, set, gradientTimesInputMethod(), { targetClass: 2, batchSize: 2 });
    const expected = Float64Array.from({ length: 3 * PIXELS }, (_, i) => {
      const [b, p] = [Math.floor(i / PIXELS), i % PIXELS];
      return [0, 1, 2].reduce((s, c) => s + input[b * SIZE + c * PIXELS + p] * asked[b * SIZE + c * PIXELS + p], 0);
    });
    expectMapsClose(result.maps, expected);
    expect(result.maps.some((v) => v < 0)).toBe(true);
    expect(Array.from(result.targets)).toEqual([2, 2, 2]);
    for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) expect(result.logits[b * 3 + k]).toBeCloseTo(clean.logits[b][k], 6);
  });

  it('describe themselves: names, titles, maps on the input, gradient × input signed', () => {
    const [s, g] = [saliencyMethod(), gradientTimesInputMethod()];
    expect([s.name, s.title, s.layer, s.signed, s.needs]).toEqual(['saliency', 'Saliency', 'input', undefined, ['input-gradients']]);
    expect([g.name, g.title, g.layer, g.signed, g.needs]).toEqual(['gradient-x-input', 'Gradient × input', 'input', true, ['input-gradients']]);
    expect(s.mapShape(network)).toEqual([10, 10]);
  });
});

describe('SmoothGrad on three channels', () => {
  /** (1/n) Σ_s max_c |∂y_c/∂x (x + σ ε_s)|, ε drawn batch by batch, copy by copy, pixel by pixel, from `random`. */
  function smoothGradByHand(samples: number, sigma: number, random: Random, batchSize: number): Float64Array {
    const map = new Float64Array(3 * PIXELS);
    for (let start = 0; start < 3; start += batchSize) {
      const size = Math.min(batchSize, 3 - start);
      for (let s = 0; s < samples; s++) {
        const x = Float64Array.from(input.subarray(start * SIZE, (start + size) * SIZE), (v) => v + sigma * random.gaussian());
        const { gradient } = gradientAt(network, x, size, predicted.slice(start, start + size));
        for (let b = 0; b < size; b++) {
          for (let p = 0; p < PIXELS; p++) map[(start + b) * PIXELS + p] += Math.max(...[0, 1, 2].map((c) => Math.abs(gradient[b * SIZE + c * PIXELS + p]))) / samples;
        }
      }
    }
    return map;
  }

  it('averages the saliency of n noisy copies, the noise continuing across batches, the class the clean image\'s', () => {
    const result = explainImages(network, set, smoothGradMethod({ samples: 3, sigma: 0.3, seed: 9 }), { batchSize: 2 });
    expectMapsClose(result.maps, smoothGradByHand(3, 0.3, new Random(9), 2));
    expect(Array.from(result.targets)).toEqual(predicted);
  });

  it("takes the run's seed, or its generator, over the method's own", () => {
    const method = smoothGradMethod({ samples: 2, sigma: 0.3, seed: 9 });
    expectMapsClose(explainImages(network, set, method, { seed: 4 }).maps, smoothGradByHand(2, 0.3, new Random(4), 64));
    const random = new Random(11);
    random.gaussian();
    const continued = new Random(11);
    continued.gaussian();
    expectMapsClose(explainImages(network, set, method, { random }).maps, smoothGradByHand(2, 0.3, continued, 64));
    expect(method.seed).toBe(9);
  });

  it('draws its noise from the generator a method called directly gets, or from its seed', () => {
    const method = smoothGradMethod({ samples: 2, sigma: 0.3, seed: 6 });
    const out = { logits: new Float32Array(9), targets: new Int32Array(3), maps: new Float32Array(3 * PIXELS), completenessGaps: new Float32Array(3) };
    method.explainBatch(network, Float64Array.from(input), 3, undefined, out, new Float64Array(9));
    network.zeroGrad();
    expectMapsClose(out.maps, smoothGradByHand(2, 0.3, new Random(6), 3));
  });

  it('has the paper\'s defaults (n = 50, σ = 0.15) and seed 1, and refuses bad settings', () => {
    expect(SMOOTHGRAD_DEFAULTS).toEqual({ samples: 50, sigma: 0.15, seed: 1 });
    expect(smoothGradMethod().seed).toBe(1);
    const method = smoothGradMethod();
    expect([method.name, method.title, method.layer, method.needs]).toEqual(['smoothgrad', 'SmoothGrad', 'input', ['input-gradients']]);
    const refusal = (options: object) => {
      try {
        smoothGradMethod(options);
        return 'accepted';
      } catch (error) {
        expect(error).toBeInstanceOf(XcnnError);
        expect((error as XcnnError).code).toBe('ERR_BAD_ARGUMENT');
        return (error as Error).message;
      }
    };
    expect(refusal({ samples: 0 })).toBe('SmoothGrad: samples must be a whole number ≥ 1, not 0');
    expect(refusal({ samples: 2.5 })).toBe('SmoothGrad: samples must be a whole number ≥ 1, not 2.5');
    expect(refusal({ samples: 1 })).toBe('accepted');
    expect(refusal({ sigma: -0.1 })).toBe('SmoothGrad: sigma must be a number ≥ 0, not -0.1');
    expect(refusal({ sigma: NaN })).toBe('SmoothGrad: sigma must be a number ≥ 0, not NaN');
    expect(refusal({ sigma: Infinity })).toBe('SmoothGrad: sigma must be a number ≥ 0, not Infinity');
    expect(refusal({ sigma: 0 })).toBe('accepted');
  });
});

describe('Integrated Gradients on three channels', () => {
  /** Σ_c (x − x′)·(1/m) Σ_{k=1..m} ∂y_c/∂x(x′ + (k/m)(x − x′)), and |Σ IG − (y_c(x) − y_c(x′))|. */
  function integratedByHand(steps: number, baseline: number, classes: number[]): { map: Float64Array; gaps: number[] } {
    const sum = new Float64Array(3 * SIZE);
    for (let k = 1; k <= steps; k++) {
      const x = Float64Array.from(input, (v) => baseline + (k / steps) * (v - baseline));
      const { gradient } = gradientAt(network, x, 3, classes);
      for (let i = 0; i < sum.length; i++) sum[i] += gradient[i];
    }
    const atBaseline = gradientAt(network, new Float64Array(3 * SIZE).fill(baseline), 3, classes).logits;
    const map = new Float64Array(3 * PIXELS);
    const gaps = [0, 1, 2].map((b) => {
      let total = 0;
      for (let c = 0; c < 3; c++) {
        for (let p = 0; p < PIXELS; p++) {
          const i = b * SIZE + c * PIXELS + p;
          const a = ((input[i] - baseline) * sum[i]) / steps;
          map[b * PIXELS + p] += a;
          total += a;
        }
      }
      return Math.abs(total - (clean.logits[b][classes[b]] - atBaseline[b][classes[b]]));
    });
    return { map, gaps };
  }

  it('is the Riemann sum from a grey baseline, summed over the channels, with each image\'s completeness gap', () => {
    const expected = integratedByHand(4, 0.3, predicted);
    const result = explainImages(network, set, integratedGradientsMethod({ steps: 4, baseline: 0.3 }), { batchSize: 2 });
    expectMapsClose(result.maps, expected.map);
    expect(result.completenessGaps).toHaveLength(3);
    for (let b = 0; b < 3; b++) expect(result.completenessGaps![b]).toBeCloseTo(expected.gaps[b], 6);
    expect(expected.gaps.every((g) => g > 5e-5)).toBe(true); // 4 steps leave gaps of 1e-4 to 3e-4: enough to tell a wrong sum
  });

  it("writes the rows of its batch's images only, called directly with longer rows", () => {
    // Rows for 4 images, a batch of 3: the fourth row of every output stays as it was.
    const out = { logits: new Float32Array(12).fill(-7), targets: new Int32Array(4).fill(-7), maps: new Float32Array(4 * PIXELS).fill(-7), completenessGaps: new Float32Array(4).fill(-7) };
    integratedGradientsMethod({ steps: 2 }).explainBatch(network, Float64Array.from(input), 3, undefined, { ...out, logits: out.logits.subarray(0, 9), targets: out.targets.subarray(0, 3), maps: out.maps.subarray(0, 3 * PIXELS) }, new Float64Array(9));
    network.zeroGrad();
    expect(out.completenessGaps[3]).toBe(-7);
    for (let b = 0; b < 3; b++) expect(out.completenessGaps[b]).toBeCloseTo(integratedByHand(2, 0, predicted).gaps[b], 6);
  });

  it('explains the class asked for, from black by default', () => {
    const expected = integratedByHand(2, 0, [1, 1, 1]);
    const result = explainImages(network, set, integratedGradientsMethod({ steps: 2 }), { targetClass: 1 });
    expectMapsClose(result.maps, expected.map);
    for (let b = 0; b < 3; b++) expect(result.completenessGaps![b]).toBeCloseTo(expected.gaps[b], 6);
  });

  it('has 64 steps and a black baseline by default, and refuses bad settings', () => {
    expect(INTEGRATED_GRADIENTS_DEFAULTS).toEqual({ steps: 64, baseline: 0 });
    const method = integratedGradientsMethod();
    expect([method.name, method.title, method.layer, method.signed, method.reportsCompletenessGap, method.needs]).toEqual(['integrated-gradients', 'Integrated Gradients', 'input', true, true, ['input-gradients']]);
    for (const options of [{ steps: 0 }, { baseline: NaN }]) {
      const error = errorOf(() => integratedGradientsMethod(options));
      expect([error.code, error.exitCode]).toEqual(['ERR_BAD_ARGUMENT', 2]);
    }
    expect(() => integratedGradientsMethod({ steps: 0 })).toThrow('Integrated Gradients: steps must be a whole number ≥ 1, not 0');
    expect(() => integratedGradientsMethod({ steps: 1.5 })).toThrow('Integrated Gradients: steps must be a whole number ≥ 1, not 1.5');
    expect(() => integratedGradientsMethod({ steps: 1 })).not.toThrow();
    expect(() => integratedGradientsMethod({ baseline: NaN })).toThrow('Integrated Gradients: the baseline must be a number, not NaN');
    expect(() => integratedGradientsMethod({ baseline: -Infinity })).toThrow('Integrated Gradients: the baseline must be a number, not -Infinity');
    expect(() => integratedGradientsMethod({ baseline: -1 })).not.toThrow();
  });
});

describe('Guided Backprop and Guided Grad-CAM on three channels', () => {
  /** The guided "gradient" R [size, C, H, W] of each image for its class. */
  function guidedAt(classes: number[]): Float64Array {
    network.forward(Float64Array.from(input), 3);
    const dLogits = new Float64Array(9);
    classes.forEach((c, b) => { dLogits[b * 3 + c] = 1; });
    const r = Float64Array.from(network.backwardToInput(dLogits, 'guided'));
    network.zeroGrad();
    return r;
  }
  const channelSum = (r: Float64Array) => Float64Array.from({ length: 3 * PIXELS }, (_, i) => {
    const [b, p] = [Math.floor(i / PIXELS), i % PIXELS];
    return r[b * SIZE + p] + r[b * SIZE + PIXELS + p] + r[b * SIZE + 2 * PIXELS + p];
  });

  it('Guided Backprop is Σ_c R_c, for the predicted class or the one asked for', () => {
    expectMapsClose(explainImages(network, set, guidedBackpropMethod(), { batchSize: 2 }).maps, channelSum(guidedAt(predicted)));
    const asked = explainImages(network, set, guidedBackpropMethod(), { targetClass: 1 });
    expectMapsClose(asked.maps, channelSum(guidedAt([1, 1, 1])));
    expect(Array.from(asked.targets)).toEqual([1, 1, 1]);
  });

  it("Guided Grad-CAM is Σ_c R_c times Grad-CAM's raw map stretched to the input, on the default block or another", () => {
    for (const layer of [undefined, 'relu1']) {
      const cam = gradCam(network, set, { targetClass: 2, layer });
      const guided = channelSum(guidedAt([2, 2, 2]));
      const expected = guided.map((v, i) => {
        const b = Math.floor(i / PIXELS);
        const stretched = resizeBilinear(cam.maps.subarray(b * cam.mapHeight * cam.mapWidth, (b + 1) * cam.mapHeight * cam.mapWidth), cam.mapHeight, cam.mapWidth, 10, 10);
        return v * stretched[i % PIXELS];
      });
      const result = explainImages(network, set, guidedGradCamMethod(), { targetClass: 2, batchSize: 2, layer });
      expectMapsClose(result.maps, expected);
      expect(result.maps.some((v) => v !== 0)).toBe(true);
      // The same through the passes a thread pool would run (its CAM pass, then its guided one): here this thread's.
      const passed = explainImages(network, set, guidedGradCamMethod(), { targetClass: 2, batchSize: 2, layer, passes: networkPasses(network) });
      expectMapsClose(passed.maps, expected);
      expect(Array.from(passed.targets)).toEqual([2, 2, 2]);
      for (let b = 0; b < 3; b++) for (let k = 0; k < 3; k++) expect(passed.logits[b * 3 + k]).toBeCloseTo(clean.logits[b][k], 6);
    }
  });

  it('Guided Grad-CAM through the passes explains each image\'s predicted class when none is asked for', () => {
    const cam = gradCam(network, set);
    const guided = channelSum(guidedAt(predicted));
    const expected = guided.map((v, i) => {
      const b = Math.floor(i / PIXELS);
      const stretched = resizeBilinear(cam.maps.subarray(b * cam.mapHeight * cam.mapWidth, (b + 1) * cam.mapHeight * cam.mapWidth), cam.mapHeight, cam.mapWidth, 10, 10);
      return v * stretched[i % PIXELS];
    });
    const passed = explainImages(network, set, guidedGradCamMethod(), { passes: networkPasses(network) });
    expectMapsClose(passed.maps, expected);
    expect(Array.from(passed.targets)).toEqual(predicted);
  });

  it('describe themselves: signed maps on the input; Guided Grad-CAM needs a conv block', () => {
    const [b, g] = [guidedBackpropMethod(), guidedGradCamMethod()];
    expect([b.name, b.title, b.layer, b.signed, b.needs]).toEqual(['guided-backprop', 'Guided Backprop', 'input', true, ['input-gradients']]);
    expect([g.name, g.title, g.layer, g.signed, g.needs]).toEqual(['guided-grad-cam', 'Guided Grad-CAM', 'input', true, ['conv-layer', 'layer-gradients', 'input-gradients']]);
    expect(g.mapShape(network)).toEqual([10, 10]);
  });
});
