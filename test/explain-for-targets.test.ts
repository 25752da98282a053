/**
 * Explaining each image for a class of its own (src/explain/explain-for-targets.ts): every row equals the
 * image explained alone for its class — maps, heatmaps, logits, completeness gaps — for Grad-CAM on either
 * placement, an input method and a CAM method on another block; the seeded methods draw one stream class
 * after class; the progress counts the images; a mismatch of lengths is refused word for word.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { explainForTargets, explainForTargetsSteps } from '../src/explain/explain-for-targets.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { Random } from '../src/random.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';

const network = tinyNetwork(8);
const random = new Random(6);
const set: ImageSet = { count: 4, height: GEOMETRY.height, width: GEOMETRY.width, images: Uint8Array.from({ length: 4 * PIXELS }, () => Math.floor(random.next() * 256)), labels: new Uint8Array(4) };
const indices = [3, 0, 3, 1, 2];
const targets = [2, 0, 1, 2, 0];

type Rows = ReturnType<typeof explainForTargets>;
function expectRow(result: Rows, n: number, alone: Rows): void {
  const { mapHeight, mapWidth } = result;
  const slice = (a: Float32Array, size: number, k: number) => Array.from(a.subarray(k * size, (k + 1) * size));
  expect(result.indices[n]).toBe(alone.indices[0]);
  expect(result.targets[n]).toBe(alone.targets[0]);
  expect(result.predicted[n]).toBe(alone.predicted[0]);
  expect(slice(result.logits, 4, n)).toEqual(slice(alone.logits, 4, 0));
  expect(slice(result.probabilities, 4, n)).toEqual(slice(alone.probabilities, 4, 0));
  expect(slice(result.maps, mapHeight * mapWidth, n)).toEqual(slice(alone.maps, mapHeight * mapWidth, 0));
  expect(slice(result.heatmaps, PIXELS, n)).toEqual(slice(alone.heatmaps, PIXELS, 0));
}

describe('explainForTargets', () => {
  it.each([
    ['grad-cam', {}],
    ['grad-cam', { placement: 'receptive-field' as const }],
    ['grad-cam++', { layer: 'conv1' }],
    ['saliency', { batchSize: 1 }],
  ])('%s %j: each row is the image explained alone for its class', (name, options) => {
    const method = methodByName(name);
    const result = explainForTargets(network, set, method, indices, targets, options);
    expect(result.count).toBe(5);
    // Grad-CAM with the default placement goes through gradCam (which can run on a thread pool), the rest through explainImages.
    const alone = (index: number, targetClass: number) => (name === 'grad-cam' && !('placement' in options) ? gradCam(network, set, { indices: [index], targetClass }) : explainImages(network, set, method, { indices: [index], targetClass, ...options }));
    indices.forEach((index, n) => expectRow(result, n, alone(index, targets[n])));
    expect(result.completenessGaps).toBeUndefined();
  });

  it('gathers Integrated Gradients\' completeness gaps into their rows', () => {
    const method = methodByName('integrated-gradients', { integratedGradients: { steps: 3 } });
    const result = explainForTargets(network, set, method, indices, targets);
    indices.forEach((index, n) => {
      const alone = explainImages(network, set, method, { indices: [index], targetClass: targets[n] });
      expectRow(result, n, alone);
      expect(result.completenessGaps![n]).toBe(alone.completenessGaps![0]);
    });
  });

  it('draws a seeded method\'s noise from one generator, class by class in order of first request, from the seed given', () => {
    const method = methodByName('smoothgrad', { smoothGrad: { samples: 2, sigma: 0.5 } });
    const result = explainForTargets(network, set, method, indices, targets, { seed: 3 });
    const stream = new Random(3);
    for (const target of [2, 0, 1]) {
      const rows = targets.flatMap((t, n) => (t === target ? [n] : []));
      const part = explainImages(network, set, method, { indices: rows.map((n) => indices[n]), targetClass: target, random: stream });
      rows.forEach((n, k) => expect(Array.from(result.maps.subarray(n * PIXELS, (n + 1) * PIXELS))).toEqual(Array.from(part.maps.subarray(k * PIXELS, (k + 1) * PIXELS))));
    }
  });

  it('counts the images done across the classes', () => {
    const steps = explainForTargetsSteps(network, set, methodByName('saliency'), indices, targets, { batchSize: 1 });
    const done: number[] = [];
    let next = steps.next();
    while (!next.done) {
      expect(next.value.total).toBe(5);
      done.push(next.value.done);
      next = steps.next();
    }
    expect(done).toEqual([1, 2, 3, 4, 5]);
  });

  it('refuses index and target lists of different lengths, and an unknown layer, before any work', () => {
    expect(() => explainForTargets(network, set, methodByName('saliency'), [0, 1], [0])).toThrow(XcnnError);
    expect(() => explainForTargets(network, set, methodByName('saliency'), [0, 1], [0])).toThrow('explainForTargets: 2 image indices but 1 target classes; give one class per image');
    expect(() => explainForTargets(network, set, methodByName('grad-cam'), [0], [0], { layer: 'fc1' })).toThrow(/^layer: 'fc1' is not a conv block of this network/);
    expect(explainForTargets(network, set, methodByName('saliency'), [0], [0], { layer: 'fc1' }).count).toBe(1); // an input method reads no layer
  });
});
