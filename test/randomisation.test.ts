/**
 * The cascading randomisation check (src/faithfulness/randomisation.ts) against the same check assembled here
 * from its parts: a second copy of the network re-drawn layer by layer from the same seed, each image's heatmap
 * before and after from explainImages for its own class, and ρ and SSIM (tested on their own in
 * faithfulness-maths.test.ts) averaged over the images. Then the flag at its threshold's edge, the network
 * restored (parameters, buffers, gradients), one layer re-drawn at a time, the seeded methods' one generator
 * across the classes, and every refusal's one line.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages, type ExplanationMethod } from '../src/explain/methods/explain.js';
import { cascadingRandomisation, heatmapsForTargets, layersTopDown, RANDOMISATION_DEFAULTS, reinitialiseLayer, withParametersRestored } from '../src/faithfulness/randomisation.js';
import { spearmanCorrelation } from '../src/faithfulness/rank-correlation.js';
import { ssim } from '../src/faithfulness/ssim.js';
import type { Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { COLOUR_GEOMETRY, COLOUR_SPEC, seededNetwork } from './fixtures/any-networks.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';
import { errorOf } from './errors.js';

function imagesOf(seed: number, count: number): ImageSet {
  const random = new Random(seed);
  const images = Uint8Array.from({ length: count * PIXELS }, () => (random.next() < 0.35 ? 255 : Math.floor(random.next() * 120)));
  return { count, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: Uint8Array.from({ length: count }, (_, n) => n % GEOMETRY.classes) };
}

/** Image n's heatmap, explained alone for class targets[n]. */
function heatmapsOneByOne(network: Network, set: ImageSet, indices: number[], targets: number[], name: string): Float32Array[] {
  return indices.map((index, n) => explainImages(network, set, methodByName(name), { indices: [index], targetClass: targets[n] }).heatmaps);
}

/** The message of the XcnnError `work` throws. */
const messageOf = (work: () => unknown): string => errorOf(work).message;

describe('cascadingRandomisation, assembled from its parts', () => {
  it('stage k re-draws the top k layers from one generator seeded by `seed`, and averages ρ and SSIM of each image\'s heatmaps over the images', () => {
    const [seed, weightsSeed] = [7, 3];
    const network = tinyNetwork(weightsSeed);
    const set = imagesOf(4, 6);
    const indices = [5, 0, 3, 2, 4];
    const targets = [1, 3, 1, 0, 2];
    const result = cascadingRandomisation(network, set, indices, targets, () => methodByName('gradient-x-input'), { seed, flagThreshold: 0.5, batchSize: 2 });

    const copy = tinyNetwork(weightsSeed); // the same weights, re-drawn here step by step
    const before = heatmapsOneByOne(copy, set, indices, targets, 'gradient-x-input');
    const random = new Random(seed);
    const layers = ['fc2', 'fc1', 'conv2', 'conv1'];
    const stages = layers.map((layer, k) => {
      copy.initialize(random, layer);
      const after = heatmapsOneByOne(copy, set, indices, targets, 'gradient-x-input');
      const rho = before.reduce((s, map, n) => s + spearmanCorrelation(map, after[n]), 0) / indices.length;
      const structural = before.reduce((s, map, n) => s + ssim(map, after[n], GEOMETRY.height, GEOMETRY.width), 0) / indices.length;
      return { layers: layers.slice(0, k + 1), spearman: rho, ssim: structural };
    });
    expect(result.stages.map((s) => s.layers)).toEqual(stages.map((s) => s.layers));
    result.stages.forEach((stage, k) => {
      expect(stage.spearman, `stage ${k + 1} ρ`).toBeCloseTo(stages[k].spearman, 12);
      expect(stage.ssim, `stage ${k + 1} SSIM`).toBeCloseTo(stages[k].ssim, 12);
    });
    expect([result.spearman, result.ssim]).toEqual([result.stages[3].spearman, result.stages[3].ssim]);
    // The stages differ from each other (the check would not notice a stage left out otherwise) and from 1.
    expect(new Set(result.stages.map((s) => s.spearman)).size).toBe(4);
    expect(Math.max(...result.stages.map((s) => s.ssim))).toBeLessThan(0.999);
  });

  it('flags when ρ or SSIM is above the threshold, not at it: either one alone is enough (saliency\'s ρ is the larger here, gradient × input\'s SSIM)', () => {
    const network = tinyNetwork(2);
    const set = imagesOf(3, 4);
    for (const [name, larger] of [['saliency', 'spearman'], ['gradient-x-input', 'ssim']] as const) {
      const run = (flagThreshold: number) => cascadingRandomisation(network, set, [0, 1, 2, 3], [0, 1, 2, 3], () => methodByName(name), { flagThreshold });
      const result = run(0.5);
      const [high, low] = larger === 'spearman' ? [result.spearman, result.ssim] : [result.ssim, result.spearman];
      expect(high, name).toBeGreaterThan(low);
      expect(run(high).flagged, `${name} at its larger value`).toBe(false); // neither is above
      expect(run((low + high) / 2).flagged, `${name} between`).toBe(true); // the larger one alone is above
      expect(run(low).flagged, `${name} at its smaller value`).toBe(true);
      expect(run(high + 1e-9).flagged).toBe(false);
    }
  });

  it('uses seed 1 and the threshold 0.5 by default', () => {
    expect(RANDOMISATION_DEFAULTS).toEqual({ seed: 1, flagThreshold: 0.5 });
    const network = tinyNetwork(4);
    const set = imagesOf(5, 3);
    const byDefault = cascadingRandomisation(network, set, [0, 1, 2], [0, 0, 1], () => methodByName('saliency'));
    const seeded = cascadingRandomisation(network, set, [0, 1, 2], [0, 0, 1], () => methodByName('saliency'), { seed: 1, flagThreshold: 0.5 });
    expect(byDefault).toEqual(seeded);
    expect(cascadingRandomisation(network, set, [0, 1, 2], [0, 0, 1], () => methodByName('saliency'), { seed: 2 }).stages).not.toEqual(seeded.stages);
  });
});

describe('heatmapsForTargets', () => {
  it('explains each image for its own class; a seeded method draws from one generator across the classes, in class order', () => {
    const network = tinyNetwork(5);
    const set = imagesOf(6, 5);
    const indices = [4, 1, 0, 3, 2];
    const targets = [2, 0, 2, 3, 0]; // class 1 has no image
    const method = methodByName('smoothgrad', { smoothGrad: { samples: 3, seed: 9 } });
    const heatmaps = heatmapsForTargets(network, set, indices, targets, method);
    // By hand: class 0 (images 1 and 4), then 2 (images 0 and 2), then 3 (image 3), one generator from seed 9.
    const random = new Random(9);
    const expected = new Float32Array(5 * PIXELS);
    for (const [c, members] of [[0, [1, 4]], [2, [0, 2]], [3, [3]]] as const) {
      const result = explainImages(network, set, method, { indices: members.map((n) => indices[n]), targetClass: c, random });
      members.forEach((n, k) => expected.set(result.heatmaps.subarray(k * PIXELS, (k + 1) * PIXELS), n * PIXELS));
    }
    expect(Array.from(heatmaps)).toEqual(Array.from(expected));
    // Not the same maps as each image's predicted class, nor as a fresh generator for every class.
    const fresh = explainImages(network, set, method, { indices: [indices[3]], targetClass: 3 }).heatmaps;
    expect(Array.from(heatmaps.subarray(3 * PIXELS, 4 * PIXELS))).not.toEqual(Array.from(fresh));
  });
});

describe('the network is left as it was found', () => {
  it('withParametersRestored gives back the work\'s value and writes back the parameters and buffers (batch norm\'s), and zeroes the gradients', () => {
    const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), COLOUR_SPEC, COLOUR_GEOMETRY, 6);
    network.buffers.set(Float64Array.from(network.buffers, (_, i) => 0.1 * (i + 1))); // running statistics that are not the initial ones
    expect(network.buffers.length).toBeGreaterThan(0);
    const [params, buffers] = [network.params.slice(), network.buffers.slice()];
    const value = withParametersRestored(network, () => {
      network.params.fill(0.5);
      network.buffers.fill(0.25);
      network.grads.fill(3);
      return 'done';
    });
    expect(value).toBe('done');
    expect(network.params).toEqual(params);
    expect(network.buffers).toEqual(buffers);
    expect(network.grads.every((g) => g === 0)).toBe(true);
  });

  it('reinitialiseLayer re-draws that layer\'s parameters alone, as Network.initialize does with the same generator', () => {
    const network = tinyNetwork(8);
    const copy = tinyNetwork(8);
    const before = network.params.slice();
    reinitialiseLayer(network, 'fc1', new Random(4));
    copy.initialize(new Random(4), 'fc1');
    expect(network.params).toEqual(copy.params);
    const changed = Array.from(network.params).map((v, i) => v !== before[i]);
    const fc1 = network.layers.find((layer) => layer.name === 'fc1')!.parameterSpecs().reduce((s, spec) => s + spec.shape.reduce((a, b) => a * b, 1), 0);
    expect(changed.filter(Boolean).length).toBe(fc1); // every fc1 weight and bias, nothing else
  });

  it('layersTopDown lists the layers that hold parameters, last first', () => {
    expect(layersTopDown(tinyNetwork(1))).toEqual(['fc2', 'fc1', 'conv2', 'conv1']);
  });
});

describe('refusals', () => {
  const network = tinyNetwork(1);
  const set = imagesOf(1, 2);
  const make = () => methodByName('saliency') as ExplanationMethod;
  const NETWORK = 'a network (createNetwork, loadModel, loadModelFromBytes)';
  it.each([
    ['layersTopDown', () => layersTopDown({} as never), `layersTopDown: network must be ${NETWORK}, not Object`],
    ['reinitialiseLayer network', () => reinitialiseLayer(42 as never, 'fc1', new Random(1)), `reinitialiseLayer: network must be ${NETWORK}, not number`],
    ['reinitialiseLayer random', () => reinitialiseLayer(network, 'fc1', {} as never), 'reinitialiseLayer: random must be a Random (new Random(seed)), not Object'],
    ['withParametersRestored network', () => withParametersRestored(null as never, () => 1), `withParametersRestored: network must be ${NETWORK}, not null`],
    ['withParametersRestored work', () => withParametersRestored(network, 1 as never), 'withParametersRestored: work must be a function to run, not number'],
    ['cascadingRandomisation network', () => cascadingRandomisation('x' as never, set, [0], [0], make), `cascadingRandomisation: network must be ${NETWORK}, not string`],
    ['cascadingRandomisation set', () => cascadingRandomisation(network, {} as never, [0], [0], make), 'cascadingRandomisation: set must be an image set (count, height, width, images and labels: loadDataset, createDataset), not Object'],
    ['cascadingRandomisation indices', () => cascadingRandomisation(network, set, 0 as never, [0], make), 'cascadingRandomisation: indices must be an array or a typed array of numbers, not number'],
    ['cascadingRandomisation targets', () => cascadingRandomisation(network, set, [0], 'x' as never, make), 'cascadingRandomisation: targets must be an array or a typed array of numbers, not string'],
    ['cascadingRandomisation makeMethod', () => cascadingRandomisation(network, set, [0], [0], null as never), 'cascadingRandomisation: makeMethod must be a function that makes an explanation method (() => methodByName(…)), not null'],
    ['cascadingRandomisation options', () => cascadingRandomisation(network, set, [0], [0], make, 3 as never), 'cascadingRandomisation: options must be an object (its options), not number'],
  ])('%s', (_, work, message) => {
    expect(messageOf(work)).toBe(message);
  });
});
