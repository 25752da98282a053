/**
 * measureFaithfulness's refusals and its thread-pool path (src/faithfulness/faithfulness.ts): each bad argument
 * refused in one line before any work (no progress reported, no pass run), and a run on a pool — a stand-in that
 * runs the same passes and curves on this thread and counts them — giving the same numbers as on this thread,
 * with the curves asked of the pool in groups of up to 64 images.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { networkPasses } from '../src/explain/model-passes.js';
import { networkClassifier, perturbationCurves, type CurveRequest, type CurvesRunner } from '../src/faithfulness/deletion-insertion.js';
import { measureFaithfulness, rankMethods, type FaithfulnessResult } from '../src/faithfulness/faithfulness.js';
import { cascadingRandomisation } from '../src/faithfulness/randomisation.js';
import { createNetwork } from '../src/model/network.js';
import { randomSet } from './fixtures/any-networks.js';
import { GEOMETRY, tinyNetwork } from './fixtures/tiny-network.js';
import { errorOf } from './errors.js';

/** The message of the XcnnError `work` throws. */
const messageOf = (work: () => unknown): string => errorOf(work).message;

/** Everything of a result but the wall times, which differ from run to run. */
function withoutTimes(result: FaithfulnessResult) {
  return { ...result, methods: result.methods.map(({ msPerImage: _, ...rest }) => rest) };
}

describe('measureFaithfulness refuses, in one line and before any work', () => {
  const network = tinyNetwork(1);
  const set = randomSet({ ...GEOMETRY }, 3, 1);
  const NETWORK = 'a network (createNetwork, loadModel, loadModelFromBytes)';
  it.each([
    ['a network that is not one', () => measureFaithfulness({} as never, set, [0]), `measureFaithfulness: network must be ${NETWORK}, not Object`],
    ['a set that is not one', () => measureFaithfulness(network, 'set' as never, [0]), 'measureFaithfulness: set must be an image set (count, height, width, images and labels: loadDataset, createDataset), not string'],
    ['indices that are not numbers', () => measureFaithfulness(network, set, 'all' as never), 'measureFaithfulness: indices must be an array or a typed array of numbers, not string'],
    ['options that are not an object', () => measureFaithfulness(network, set, [0], 7 as never), 'measureFaithfulness: options must be an object (its options), not number'],
    ['rows that are not a list', () => rankMethods('rows' as never), 'rankMethods: rows must be an array of measures, one object per method, not string'],
    // Checked as given, not after a conversion to integers (which made 1.5 image 1 and NaN image 0).
    ['an index that is not whole', () => measureFaithfulness(network, set, [0, 1.5]), 'faithfulness: image index 1.5 is outside the set of 3 images (0 to 2)'],
    ['an index that is not a number', () => measureFaithfulness(network, set, [NaN]), 'faithfulness: image index NaN is outside the set of 3 images (0 to 2)'],
  ])('%s', (_, work, message) => {
    expect(messageOf(work)).toBe(message);
  });

  it('a CAM method on a network without a convolution, or an unknown layer: before the first curve', () => {
    const dense = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'flatten linear(5) relu linear(4)', { ...GEOMETRY });
    const progress: string[] = [];
    const onProgress = (method: string, phase: string) => progress.push(`${method} ${phase}`);
    expect(messageOf(() => measureFaithfulness(dense, set, [0, 1], { methods: ['saliency', 'grad-cam'], onProgress }))).toMatch(/^this network has no convolution, so the CAM methods .* have no layer to explain: use an input-gradient or perturbation method/);
    expect(messageOf(() => measureFaithfulness(network, set, [0, 1], { methods: ['saliency', 'grad-cam'], layer: 'fc9', onProgress }))).toMatch(/'fc9'/);
    expect(messageOf(() => measureFaithfulness(network, set, [0, 1], { methods: ['saliency', 'nonsense'], onProgress }))).toMatch(/'nonsense' is not one of/);
    expect(progress).toEqual([]);
    // A network without a convolution is measured by the methods that need none.
    expect(measureFaithfulness(dense, set, [0, 1], { methods: ['saliency'], steps: 2, randomisationImages: 1 }).methods.map((m) => m.method)).toEqual(['saliency']);
  });
});

describe('measureFaithfulness on a thread pool', () => {
  it('gives the numbers of this thread, classifying and explaining through the pool and asking it for curves 64 images at a time', () => {
    const network = tinyNetwork(3);
    const set = randomSet({ ...GEOMETRY }, 10, 4);
    const indices = [9, 0, 1, 2, 3, 4, 5, 6, 7, 8];
    const options = { methods: ['saliency', 'occlusion'], steps: 3, seed: 2, randomisationImages: 2 };
    const alone: string[] = [];
    const here = measureFaithfulness(network, set, indices, { ...options, onProgress: (m, phase, done, total) => alone.push(`${m} ${phase} ${done}/${total}`) });

    const passes = networkPasses(network);
    const counts = { logits: 0, occlusion: [] as number[], curves: [] as number[] };
    const pool = {
      ...passes,
      logits: (input: Parameters<typeof passes.logits>[0], size: number) => (counts.logits++, passes.logits(input, size)),
      occlusionScoresOfImages: (...args: Parameters<typeof passes.occlusionScoresOfImages>) => (counts.occlusion.push(args[1].length), passes.occlusionScoresOfImages(...args)),
      curves: ((requests: CurveRequest[], height: number, width: number, curveOptions) => {
        counts.curves.push(requests.length);
        return perturbationCurves(networkClassifier(network), requests, height, width, curveOptions);
      }) satisfies CurvesRunner['curves'],
    };
    const pooled: string[] = [];
    const there = measureFaithfulness(network, set, indices, { ...options, pool, onProgress: (m, phase, done, total) => pooled.push(`${m} ${phase} ${done}/${total}`) });

    expect(withoutTimes(there)).toEqual(withoutTimes(here));
    // One call of 10 curves for the random order and one for each method: on this thread they come 8 at a time.
    expect(counts.curves).toEqual([10, 10, 10]);
    expect(pooled.filter((line) => line.includes('curves'))).toEqual(['random curves 10/10', 'saliency curves 10/10', 'occlusion curves 10/10']);
    expect(alone.filter((line) => line.includes('curves'))).toEqual(['random curves 8/10', 'random curves 10/10', 'saliency curves 8/10', 'saliency curves 10/10', 'occlusion curves 8/10', 'occlusion curves 10/10']);
    expect(counts.logits).toBeGreaterThan(0); // the predictions, the clean passes
    // Occlusion's 10 images in one pass of the pool, then the randomisation's 2 images before and after each of the 4 stages.
    expect(counts.occlusion).toEqual([10, 2, 2, 2, 2, 2]);
  });
});

describe('measureFaithfulness with a layer', () => {
  it('explains the CAM methods on the block given, in the maps and in the randomisation check alike', () => {
    const network = tinyNetwork(5);
    const set = randomSet({ ...GEOMETRY }, 3, 6);
    const indices = [2, 0, 1];
    const result = measureFaithfulness(network, set, indices, { methods: ['grad-cam'], steps: 2, randomisationImages: 2, layer: 'relu1' });
    const maps = explainImages(network, set, methodByName('grad-cam'), { indices, layer: 'relu1' }).heatmaps;
    expect(Array.from(result.heatmaps['grad-cam'])).toEqual(Array.from(maps));
    const lastBlock = explainImages(network, set, methodByName('grad-cam'), { indices }).heatmaps;
    expect(Array.from(maps)).not.toEqual(Array.from(lastBlock)); // relu1's maps are not relu2's
    const randomisation = cascadingRandomisation(network, set, indices.slice(0, 2), result.predicted.subarray(0, 2), () => methodByName('grad-cam'), { seed: 1, layer: 'relu1' });
    expect(result.methods[0].randomisation).toEqual(randomisation);
  });
});
