/**
 * measureFaithfulness (src/faithfulness/faithfulness.ts) against the same measurement assembled here from its
 * parts, each tested on its own (the curves in faithfulness-curves.test.ts; ROAD, SSIM, ρ and the pointing game
 * in faithfulness-maths.test.ts): the model's predictions, the random orders drawn one generator for all images,
 * the ROAD noise seeded per image, the AUC means, the margin over random, the randomisation on the first images,
 * the pointing game on the ink (the channel mean), the ranks and the order of the rows — on a one-channel
 * network with more images than one model call takes, and on a colour one.
 */
import { describe, expect, it, vi } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { areaUnderCurve, attributionOrder, curveFractions, networkClassifier, perturbationCurves, randomOrder, type ImageCurves } from '../src/faithfulness/deletion-insertion.js';
import { FAITHFULNESS_DEFAULTS, measureFaithfulness, RANKED_MEASURES, rankMethods, type FaithfulnessOptions } from '../src/faithfulness/faithfulness.js';
import { pointingGame } from '../src/faithfulness/pointing-game.js';
import { cascadingRandomisation } from '../src/faithfulness/randomisation.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { COLOUR_GEOMETRY, COLOUR_SPEC, randomSet, seededNetwork } from './fixtures/any-networks.js';
import { GEOMETRY, tinyNetwork } from './fixtures/tiny-network.js';

/** The measurement written out from its parts, as the header of faithfulness.ts describes it. */
function expectedMeasurement(network: Network, set: ImageSet, indices: number[], o: { methods: string[]; steps: number; seed: number; road: { sigma: number }; pointing: { tolerance: number; inkThreshold: number }; randomisationImages: number; flagThreshold: number }) {
  const [channels, height, width] = network.inputShape;
  const pixels = height * width;
  const size = channels * pixels;
  const count = indices.length;
  const images = Float32Array.from({ length: count * size }, (_, i) => set.images[indices[Math.floor(i / size)] * size + (i % size)] / 255);
  const image = (n: number) => images.subarray(n * size, (n + 1) * size);
  const ink = new Float32Array(count * pixels);
  for (let n = 0; n < count; n++) for (let c = 0; c < channels; c++) for (let p = 0; p < pixels; p++) ink[n * pixels + p] += images[n * size + c * pixels + p] / channels;
  const classify = networkClassifier(network);
  const probabilities = classify(images, count);
  const classes = network.outputShape[0];
  const predicted = Array.from({ length: count }, (_, n) => {
    const row = Array.from(probabilities.subarray(n * classes, (n + 1) * classes));
    return row.indexOf(Math.max(...row));
  });
  // The ROAD noise of image n is seeded by (seed · 0x9e3779b1 + its index in the set) mod 2³², whatever the order.
  const noiseSeed = (index: number) => (Math.imul(o.seed, 0x9e3779b1) + index) >>> 0;
  const fractions = curveFractions(pixels, o.steps);
  const meanAreas = (orders: Int32Array[]) => {
    const curves: ImageCurves[] = orders.map((order, n) => perturbationCurves(classify, [{ image: image(n), order, target: predicted[n], seed: noiseSeed(indices[n]) }], height, width, { steps: o.steps, road: o.road })[0]);
    const mean = (pick: (c: ImageCurves) => Float64Array) => curves.reduce((s, c) => s + areaUnderCurve(fractions, pick(c)), 0) / count;
    return { deletion: { zero: mean((c) => c.deletion.zero), road: mean((c) => c.deletion.road) }, insertion: { zero: mean((c) => c.insertion.zero), road: mean((c) => c.insertion.road) } };
  };
  const orderRandom = new Random(o.seed);
  const random = meanAreas(indices.map(() => randomOrder(pixels, orderRandom)));
  const sanity = Math.min(o.randomisationImages, count);
  const rows = o.methods.map((name) => {
    const explanation = explainImages(network, set, methodByName(name), { indices });
    const areas = meanAreas(indices.map((_, n) => attributionOrder(explanation.heatmaps.subarray(n * pixels, (n + 1) * pixels))));
    const randomisation = cascadingRandomisation(network, set, indices.slice(0, sanity), Int32Array.from(predicted.slice(0, sanity)), () => methodByName(name), { seed: o.seed, flagThreshold: o.flagThreshold });
    const vsRandom = (random.deletion.zero - areas.deletion.zero + random.deletion.road - areas.deletion.road + areas.insertion.zero - random.insertion.zero + areas.insertion.road - random.insertion.road) / 4;
    return { method: name, ...areas, vsRandom, randomisation, pointingGame: pointingGame(explanation.heatmaps, ink, count, height, width, o.pointing), heatmaps: explanation.heatmaps };
  });
  return { predicted, random, rows, sanity };
}

function check(network: Network, set: ImageSet, indices: number[], options: Partial<FaithfulnessOptions> & { methods: string[]; steps: number; seed: number; randomisationImages: number }) {
  const o = { road: { sigma: 0.01 }, pointing: { tolerance: 1, inkThreshold: 0.5 }, flagThreshold: 0.5, ...options } as Parameters<typeof expectedMeasurement>[3];
  const expected = expectedMeasurement(network, set, indices, o);
  const progress: string[] = [];
  const result = measureFaithfulness(network, set, indices, { ...options, onProgress: (method, phase, done, total) => progress.push(`${method} ${phase} ${done}/${total}`) });

  expect(result.count).toBe(indices.length);
  expect(Array.from(result.indices)).toEqual(indices);
  expect(Array.from(result.labels)).toEqual(indices.map((i) => set.labels[i]));
  expect(Array.from(result.predicted)).toEqual(expected.predicted);
  expect([result.height, result.width]).toEqual(network.inputShape.slice(1));
  expect(result.random).toEqual(expected.random);
  expect(result.settings).toEqual({ steps: o.steps, seed: o.seed, road: { sigma: o.road.sigma, tolerance: 1e-6 }, pointing: o.pointing, randomisationImages: expected.sanity, flagThreshold: o.flagThreshold });

  const ranked = rankMethods(expected.rows.map((r) => ({ deletionZero: r.deletion.zero, deletionRoad: r.deletion.road, insertionZero: r.insertion.zero, insertionRoad: r.insertion.road, randomisation: r.randomisation.spearman, pointingGame: r.pointingGame.hitRate })));
  const rows = expected.rows.map((r, m) => ({ ...r, ...ranked[m] })).sort((a, b) => a.meanRank - b.meanRank || a.method.localeCompare(b.method));
  expect(result.methods.map((m) => m.method)).toEqual(rows.map((r) => r.method));
  result.methods.forEach((m, k) => {
    const e = rows[k];
    expect(m.title).toBe(methodByName(e.method).title);
    expect([m.deletion, m.insertion]).toEqual([e.deletion, e.insertion]);
    expect(m.vsRandom).toBeCloseTo(e.vsRandom, 12);
    expect(m.randomisation).toEqual(e.randomisation);
    expect(m.pointingGame).toEqual(e.pointingGame);
    expect(m.ranks).toEqual(e.ranks);
    expect(m.meanRank).toBe(e.meanRank);
    expect(m.msPerImage).toBeGreaterThan(0);
    expect(Array.from(result.heatmaps[m.method])).toEqual(Array.from(e.heatmaps));
  });

  // Progress: the random order's curves a group of 8 images at a time, then each method's phases in order.
  const count = indices.length;
  const groups = Array.from({ length: Math.ceil(count / 8) }, (_, g) => Math.min(8 * (g + 1), count));
  expect(progress).toEqual([
    ...groups.map((done) => `random curves ${done}/${count}`),
    ...options.methods.flatMap((name) => [`${name} explain 0/${count}`, `${name} explain ${count}/${count}`, ...groups.map((done) => `${name} curves ${done}/${count}`), `${name} randomisation 0/${expected.sanity}`, `${name} randomisation ${expected.sanity}/${expected.sanity}`]),
  ]);
  return result;
}

describe('measureFaithfulness, assembled from its parts', () => {
  it('one channel, 10 images (two model calls of curves), three methods, the first 3 images randomised', () => {
    const network = tinyNetwork(7);
    const random = new Random(2);
    const set: ImageSet = { count: 12, height: GEOMETRY.height, width: GEOMETRY.width, images: Uint8Array.from({ length: 12 * 144 }, () => (random.next() < 0.3 ? 255 : Math.floor(random.next() * 100))), labels: Uint8Array.from({ length: 12 }, (_, n) => (3 * n) % 4) };
    const before = network.params.slice();
    const result = check(network, set, [11, 0, 3, 5, 7, 2, 9, 1, 4, 6], { methods: ['grad-cam', 'saliency', 'gradient-x-input'], steps: 5, seed: 4, randomisationImages: 3, pointing: { tolerance: 0, inkThreshold: 0.3 }, road: { sigma: 0.05 }, flagThreshold: 0.2 });
    expect(network.params).toEqual(before);
    expect(result.methods).toHaveLength(3);
  });

  it('eight images, one model call of curves exactly: one progress report each, no call for an empty group after them', () => {
    const network = tinyNetwork(3);
    const set = randomSet({ ...GEOMETRY }, 8, 6);
    check(network, set, [0, 1, 2, 3, 4, 5, 6, 7], { methods: ['saliency'], steps: 3, seed: 2, randomisationImages: 2 });
  });

  it('three channels: the pointing game looks for the channel mean above the ink threshold; all images randomised when there are fewer than asked', () => {
    const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), COLOUR_SPEC, COLOUR_GEOMETRY, 5);
    const set = randomSet(COLOUR_GEOMETRY, 4, 9);
    const before = { params: network.params.slice(), buffers: network.buffers.slice() };
    check(network, set, [2, 0, 3], { methods: ['saliency', 'grad-cam'], steps: 4, seed: 1, randomisationImages: 100 });
    // The randomisation re-draws bn1 too, which resets its running statistics: they must come back with the weights.
    expect({ params: network.params, buffers: network.buffers }).toEqual(before);
  });

  it('finds the ink of colour images by the mean of their channels: one bright channel of three is not ink (1/3), two are (2/3)', () => {
    // 'flatten linear(2)' on [3, 4, 4] whose weights read pixel 0 of each channel at 1 and the rest at 0.1: saliency's
    // map (max over the channels of |∂z/∂x|) peaks at pixel 0 alone, of every image.
    const geometry = { channels: 3, height: 4, width: 4, classes: 2 };
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'flatten linear(2)', geometry);
    const [weight, bias] = network.parameters.map((p) => p.value); // [2, 48], [2]
    for (let k = 0; k < 2; k++) for (let i = 0; i < 48; i++) weight[k * 48 + i] = i % 16 === 0 ? (k === 0 ? 1 : -1) : (k === 0 ? 0.1 : -0.1);
    bias.fill(0);
    const setOf = (bright: number[]): ImageSet => ({
      count: 3, channels: 3, height: 4, width: 4, labels: Uint8Array.of(0, 1, 0),
      images: Uint8Array.from({ length: 3 * 48 }, (_, i) => (bright.includes(Math.floor((i % 48) / 16)) ? 255 : 0)),
    });
    const measure = (set: ImageSet) => measureFaithfulness(network, set, [0, 1, 2], { methods: ['saliency'], steps: 2, randomisationImages: 1 }).methods[0].pointingGame;
    expect(measure(setOf([0]))).toEqual({ hits: 0, misses: 3, flat: 0, hitRate: 0 }); // mean 1/3 everywhere: no ink
    expect(measure(setOf([0, 1]))).toEqual({ hits: 3, misses: 0, flat: 0, hitRate: 1 }); // mean 2/3 everywhere
  });

  it("measures every registered method at K = 28 steps, seed 1, 100 images' randomisation and the 0.5 flag by default", () => {
    expect(FAITHFULNESS_DEFAULTS).toEqual({ methods: expect.any(Array), methodOptions: {}, steps: 28, seed: 1, road: {}, pointing: {}, randomisationImages: 100, flagThreshold: 0.5 });
    expect(FAITHFULNESS_DEFAULTS.methods).toContain('grad-cam');
    expect(RANKED_MEASURES).toEqual({ deletionZero: 'lower', deletionRoad: 'lower', insertionZero: 'higher', insertionRoad: 'higher', randomisation: 'lower', pointingGame: 'higher' });
  });

  it('ranks the lower or the higher value first as each measure says, and orders tied mean ranks by name', () => {
    const row = (v: number) => ({ deletionZero: v, deletionRoad: v, insertionZero: v, insertionRoad: v, randomisation: v, pointingGame: v });
    // Method 0 is lower everywhere: first on the four "lower" measures' ... deletion ×2 and randomisation, last on the three "higher".
    const [a, b] = rankMethods([row(0.1), row(0.9)]);
    expect(a.ranks).toEqual({ deletionZero: 1, deletionRoad: 1, insertionZero: 2, insertionRoad: 2, randomisation: 1, pointingGame: 2 });
    expect(b.ranks).toEqual({ deletionZero: 2, deletionRoad: 2, insertionZero: 1, insertionRoad: 1, randomisation: 2, pointingGame: 1 });
    expect([a.meanRank, b.meanRank]).toEqual([1.5, 1.5]);
  });

  it('orders methods of equal mean rank by name: on a GAP network Grad-CAM, HiResCAM and XGrad-CAM give one map, so they tie on every measure', () => {
    // After global average pooling ∂z/∂A_k is the same at every cell (w_k / HW), so Grad-CAM's α_k·A_k, HiResCAM's
    // (∂z/∂A_k)·A_k and XGrad-CAM's (Σ A·∂z/∂A / Σ A)·A_k are one map — on the randomised networks too.
    const geometry = { channels: 1, height: 6, width: 6, classes: 3 };
    const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), 'conv(3,3) relu gap flatten linear(3)', geometry, 3);
    const result = measureFaithfulness(network, randomSet(geometry, 3, 2), [0, 1, 2], { methods: ['xgrad-cam', 'saliency', 'hires-cam', 'grad-cam'], steps: 4, randomisationImages: 3 });
    const tied = ['grad-cam', 'hires-cam', 'xgrad-cam'].map((name) => result.methods.find((m) => m.method === name)!);
    for (const m of tied) {
      expect(Array.from(result.heatmaps[m.method])).toEqual(Array.from(result.heatmaps['grad-cam'])); // the premise
      expect(m.meanRank).toBe(tied[0].meanRank);
    }
    const saliency = result.methods.find((m) => m.method === 'saliency')!;
    expect(saliency.meanRank).toBeGreaterThan(tied[0].meanRank);
    expect(result.methods.map((m) => m.method)).toEqual(['grad-cam', 'hires-cam', 'xgrad-cam', 'saliency']);
  });

  it("gives each method's explanation time per image: the clock's reading after explaining less the one before, over the image count", () => {
    // A clock set by hand (the measurement reads it only around each method's explanation): 90 ms for saliency's
    // 3 images, 240 ms for Grad-CAM's.
    const readings = [1000, 1090, 2000, 2240];
    const now = vi.spyOn(performance, 'now').mockImplementation(() => readings.shift()!);
    try {
      const result = measureFaithfulness(tinyNetwork(2), randomSet({ ...GEOMETRY }, 3, 5), [0, 1, 2], { methods: ['saliency', 'grad-cam'], steps: 3, randomisationImages: 1 });
      expect(now).toHaveBeenCalledTimes(4);
      expect(result.methods.find((m) => m.method === 'saliency')!.msPerImage).toBe(30);
      expect(result.methods.find((m) => m.method === 'grad-cam')!.msPerImage).toBe(80);
    } finally {
      now.mockRestore();
    }
  });

  it('refuses an image index outside the set, naming faithfulness', () => {
    expect(() => measureFaithfulness(tinyNetwork(1), randomSet({ ...GEOMETRY }, 2, 1), [0, 2], { methods: ['saliency'] })).toThrow('faithfulness: image index 2 is outside the set of 2 images (0 to 1)');
  });
});
