/**
 * What explainImages (src/explain/methods/explain.ts) adds around every method: the result's fields, the
 * softmax and argmax of each row, the heatmap of each map as its placement says, the batches, the seeded
 * generator's precedence, the gradients cleared afterwards, and each refusal of its options word for word.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { explainedLayer } from '../src/explain/explained-layer.js';
import { heatmapFromMap } from '../src/explain/explanation.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages, explainImageSteps, needsConvLayer, runRandom } from '../src/explain/methods/explain.js';
import { createNetwork, Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';
import { refusal } from './errors.js';

const network = tinyNetwork(6);
const random = new Random(5);
const set: ImageSet = { count: 5, height: GEOMETRY.height, width: GEOMETRY.width, images: Uint8Array.from({ length: 5 * PIXELS }, () => Math.floor(random.next() * 256)), labels: new Uint8Array(5) };

describe('explainImages', () => {
  it('fills every row: softmax probabilities and argmax of the logits, and each heatmap from its map', () => {
    const result = explainImages(network, set, methodByName('grad-cam'), { indices: [4, 1, 3], batchSize: 2 });
    expect([result.method, result.layer, result.placement, result.count, result.mapHeight, result.mapWidth, result.height, result.width]).toEqual(['grad-cam', 'relu2', 'stretch', 3, 3, 3, 12, 12]);
    expect(Array.from(result.indices)).toEqual([4, 1, 3]);
    expect(result.completenessGaps).toBeUndefined();
    for (let n = 0; n < 3; n++) {
      const row = Array.from(result.logits.subarray(n * 4, n * 4 + 4));
      const exps = row.map((z) => Math.exp(z));
      const sum = exps.reduce((a, b) => a + b, 0);
      exps.forEach((e, k) => expect(result.probabilities[n * 4 + k]).toBeCloseTo(e / sum, 6));
      expect(result.predicted[n]).toBe(row.indexOf(Math.max(...row)));
      expect(Array.from(result.heatmaps.subarray(n * PIXELS, (n + 1) * PIXELS))).toEqual(Array.from(heatmapFromMap(result.maps.subarray(n * 9, (n + 1) * 9), 3, 3, 12, 12)));
    }
    // The same rows whatever the batches.
    const whole = explainImages(network, set, methodByName('grad-cam'), { indices: [4, 1, 3] });
    expect(Array.from(whole.maps)).toEqual(Array.from(result.maps));
    expect(Array.from(whole.logits)).toEqual(Array.from(result.logits));
  });

  it('places the maps at their receptive fields when asked, and says so', () => {
    const result = explainImages(network, set, methodByName('hires-cam'), { placement: 'receptive-field' });
    expect(result.placement).toBe('receptive-field');
    const field = explainedLayer(network).field;
    for (let n = 0; n < 5; n++) expect(Array.from(result.heatmaps.subarray(n * PIXELS, (n + 1) * PIXELS))).toEqual(Array.from(heatmapFromMap(result.maps.subarray(n * 9, (n + 1) * 9), 3, 3, 12, 12, 'receptive-field', field)));
  });

  it('names the explained block of a CAM method, the one asked for by its conv, and "input" for a method on the input that reads a block', () => {
    const result = explainImages(network, set, methodByName('grad-cam'), { layer: 'conv1', indices: [0, 2] });
    expect([result.layer, result.mapHeight, result.mapWidth, result.maps.length]).toEqual(['relu1', 10, 10, 200]);
    // Grad-CAM's own driver on the same block: the same maps.
    expect(Array.from(result.maps)).toEqual(Array.from(gradCam(network, set, { layer: 'conv1', indices: [0, 2] }).maps));
    const guided = explainImages(network, set, methodByName('guided-grad-cam'), { indices: [0] });
    expect([guided.layer, guided.mapHeight, guided.mapWidth]).toEqual(['input', 12, 12]);
  });

  it('explains every image by default, pausing after each batch, and leaves no gradient behind', () => {
    const steps = explainImageSteps(network, set, methodByName('integrated-gradients', { integratedGradients: { steps: 2 } }), { batchSize: 2 });
    const done: Array<[number, number]> = [];
    let next = steps.next();
    while (!next.done) {
      done.push([next.value.done, next.value.total]);
      next = steps.next();
    }
    expect(done).toEqual([[2, 5], [4, 5], [5, 5]]);
    expect(Array.from(next.value.indices)).toEqual([0, 1, 2, 3, 4]);
    expect(next.value.layer).toBe('input');
    expect(next.value.completenessGaps).toHaveLength(5);
    expect(next.value.completenessGaps!.every((g) => g > 0)).toBe(true);
    expect(network.grads.every((g) => g === 0)).toBe(true);
  });

  it("draws a seeded method's noise from the run's generator, else the run's seed, else the method's, else 1", () => {
    const method = methodByName('smoothgrad', { smoothGrad: { samples: 1, seed: 9 } });
    const given = new Random(4);
    expect(runRandom(method, { random: given, seed: 2 })).toBe(given);
    expect(runRandom(method, { seed: 2 }).state()).toEqual(new Random(2).state());
    expect(runRandom(method, {}).state()).toEqual(new Random(9).state());
    expect(runRandom(methodByName('saliency'), {}).state()).toEqual(new Random(1).state());
    const a = explainImages(network, set, method, { seed: 2 });
    const b = explainImages(network, set, methodByName('smoothgrad', { smoothGrad: { samples: 1, seed: 2 } }));
    expect(Array.from(a.maps)).toEqual(Array.from(b.maps));
  });

  it('knows which methods need a conv block', () => {
    expect(['grad-cam', 'score-cam', 'eigen-cam', 'guided-grad-cam'].map((name) => needsConvLayer(methodByName(name)))).toEqual([true, true, true, true]);
    expect(['saliency', 'occlusion', 'guided-backprop'].map((name) => needsConvLayer(methodByName(name)))).toEqual([false, false, false]);
    expect(needsConvLayer({ ...methodByName('saliency'), needs: undefined, layer: 'cam' })).toBe(true);
    expect(needsConvLayer({ ...methodByName('saliency'), needs: undefined })).toBe(false);
  });

  it('refuses a batch size that is not a whole number ≥ 1', () => {
    for (const batchSize of [0, -1, 1.5, NaN, Infinity]) {
      expect(refusal(() => explainImages(network, set, methodByName('saliency'), { batchSize }))).toBe(`Saliency: batchSize must be a whole number ≥ 1, not ${batchSize}`);
    }
    expect(refusal(() => explainImages(network, set, methodByName('saliency'), { batchSize: 1 }))).toBe('accepted');
  });

  it("refuses a placement for a map already on the input, naming the CAM family's layer", () => {
    expect(refusal(() => explainImages(network, set, methodByName('saliency'), { placement: 'receptive-field' }))).toBe("Saliency: its map is already on the input's 12 × 12 pixels; placement 'receptive-field' is for the CAM family's relu2 maps only");
    const mlp = createNetwork(new ReferenceBackend(), 'flatten linear(4)', GEOMETRY);
    mlp.initialize(new Random(1));
    expect(refusal(() => explainImages(mlp, set, methodByName('occlusion'), { placement: 'receptive-field' }))).toBe("Occlusion: its map is already on the input's 12 × 12 pixels; placement 'receptive-field' is for the CAM family's conv-block maps only");
  });

  it('refuses the receptive-field placement on a network built by hand, which has no fields', () => {
    const handBuilt = new Network(new ReferenceBackend({ precision: 'float64' }), tinyNetwork(2).layers);
    handBuilt.initialize(new Random(2));
    const layer = explainedLayer(handBuilt).name;
    expect(refusal(() => explainImages(handBuilt, set, methodByName('grad-cam'), { placement: 'receptive-field' }))).toBe(`Grad-CAM: ${layer} has no receptive field (the network was not built from a spec); use placement 'stretch'`);
    expect(refusal(() => explainImages(handBuilt, set, methodByName('grad-cam')))).toBe('accepted');
  });
});

describe('image indices are checked as given, before any conversion', () => {
  // An index 1.5, NaN or 2³² would become image 1, 0 and 0 if it were first stored in an Int32Array.
  it('refuses an index that is not a whole number inside the set, for every method and for Grad-CAM', () => {
    for (const index of [1.5, NaN, 2 ** 32, -0.5]) {
      expect(refusal(() => explainImages(network, set, methodByName('saliency'), { indices: [0, index] }))).toBe(`Saliency: image index ${index} is outside the set of 5 images (0 to 4)`);
      expect(refusal(() => gradCam(network, set, { indices: [index] }))).toBe(`Grad-CAM: image index ${index} is outside the set of 5 images (0 to 4)`);
    }
    expect(Array.from(explainImages(network, set, methodByName('saliency'), { indices: Float64Array.of(4, 0) }).indices)).toEqual([4, 0]);
  });
});
