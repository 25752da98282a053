/**
 * The passes every method is made of on the calling thread (src/explain/model-passes.ts networkPasses), each
 * against the same work done by hand with the network's own forward and backward: the logits; the one-hot
 * input gradient, ordinary or guided, of the predicted class, of one class or of each image's own; a CAM rule's
 * maps on either conv block, with G = ∂y_c/∂A handed to the rule, or A in G's place for a rule that reads no
 * gradients; the copies' scores (coalitions and occlusion windows built here pixel by pixel); Score-CAM's
 * masked logits; LIME's fits side by side. And which CAM rules a pool's workers know (cam-rules.ts).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { CAM_RULES, camRuleIndex, GRAD_CAM_RULE } from '../src/explain/cam-rules.js';
import { gradCamMap, gradCamPlusPlusMap, hiResCamMap, layerCamMap, xGradCamMap } from '../src/explain/methods/cam.js';
import { EIGEN_CAM_RULE } from '../src/explain/methods/eigen-cam.js';
import { camMapsOn, inputGradientsOn, networkPasses, type CamRule } from '../src/explain/model-passes.js';
import { addAbsoluteMax, smoothGradDraws, smoothGradMapsOn } from '../src/explain/smoothgrad-maps.js';
import type { Floats } from '../src/backend/backend.js';
import { Random } from '../src/random.js';
import { limeFit } from '../src/explain/ridge-fit.js';
import { resizeBilinear } from '../src/explain/resize.js';
import { argmaxRow } from '../src/model/loss.js';
import type { Network } from '../src/model/network.js';
import { errorOf } from './errors.js';
import { LENET_GEOMETRY, LENET_SPEC, randomSet, seededNetwork } from './fixtures/any-networks.js';

// 1 × 12 × 12 → conv(4,3) relu1 [4, 10, 10] → avgpool → conv(6,3,pad=1) relu2 [6, 5, 5] → linear(3).
const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), LENET_SPEC, LENET_GEOMETRY, 3);
const SIZE = 3;
const PIXELS = 144;
const set = randomSet(LENET_GEOMETRY, SIZE, 11);
const input = Float64Array.from(set.images, (v) => v / 255);

/** Logits, one-hot dLogits for `classes` (predicted where undefined), by hand. */
function byHand(net: Network, x: Float64Array, size: number, classes?: number[]) {
  const logits = Float64Array.from(net.forward(Float64Array.from(x), size));
  const targets = Array.from({ length: size }, (_, b) => classes?.[b] ?? argmaxRow(logits, b, 3));
  const dLogits = new Float64Array(size * 3);
  targets.forEach((c, b) => { dLogits[b * 3 + c] = 1; });
  return { logits, targets, dLogits };
}

const expectClose = (got: ArrayLike<number>, expected: ArrayLike<number>, digits = 12) => {
  expect(got.length).toBe(expected.length);
  for (let i = 0; i < got.length; i++) expect(got[i], `element ${i}`).toBeCloseTo(expected[i], digits);
};

describe('networkPasses on the calling thread', () => {
  const passes = networkPasses(network);
  const plain = byHand(network, input, SIZE);

  it('logits are the forward pass of the batch', () => {
    expectClose(Float64Array.from(passes.logits(input, SIZE)), plain.logits);
  });

  it('the predicted classes differ between the images (so a target taken from the wrong row would show)', () => {
    expect(new Set(plain.targets).size).toBeGreaterThan(1);
  });

  it('inputGradients: ordinary by default, each image for its predicted class', () => {
    const expected = Float64Array.from(network.backwardToInput(byHand(network, input, SIZE).dLogits, 'ordinary'));
    const got = passes.inputGradients(input, SIZE, undefined);
    expect(Array.from(got.targets)).toEqual(plain.targets);
    expectClose(Float64Array.from(got.logits), plain.logits);
    expectClose(Float64Array.from(got.gradients), expected);
    expect(got.gradients.length).toBe(SIZE * PIXELS);
  });

  it('inputGradients: guided, for one class for all, and for each image its own class', () => {
    const one = byHand(network, input, SIZE, [2, 2, 2]);
    const guided = Float64Array.from(network.backwardToInput(one.dLogits, 'guided'));
    const ordinary = Float64Array.from(network.backwardToInput(byHand(network, input, SIZE, [2, 2, 2]).dLogits, 'ordinary'));
    let differ = 0;
    for (let i = 0; i < guided.length; i++) differ = Math.max(differ, Math.abs(guided[i] - ordinary[i]));
    expect(differ, 'the guided rule changes something on this network').toBeGreaterThan(1e-6);
    const got = passes.inputGradients(input, SIZE, 2, 'guided');
    expect(Array.from(got.targets)).toEqual([2, 2, 2]);
    expectClose(Float64Array.from(got.gradients), guided);
    const own = byHand(network, input, SIZE, [1, 0, 2]);
    const ownGradients = Float64Array.from(network.backwardToInput(own.dLogits));
    const eachOwn = passes.inputGradients(input, SIZE, Int32Array.of(1, 0, 2));
    expect(Array.from(eachOwn.targets)).toEqual([1, 0, 2]);
    expectClose(Float64Array.from(eachOwn.gradients), ownGradients);
  });

  it('inputGradientsOn writes the one-hot rows into the dLogits it is given', () => {
    const dLogits = new Float64Array(SIZE * 3).fill(7);
    inputGradientsOn(network, input, SIZE, Int32Array.of(1, 0, 2), dLogits);
    expect(Array.from(dLogits)).toEqual([0, 1, 0, 1, 0, 0, 0, 0, 1]);
  });

  /** A rule whose map is Σ_k (1000·A + G) at each cell: it shows both tensors it was handed. */
  const probe = (gradients: boolean): CamRule => ({
    name: 'probe',
    gradients,
    combine: (A, G, n, channels, pixels, map) => {
      for (let p = 0; p < pixels; p++) {
        let sum = 0;
        for (let k = 0; k < channels; k++) sum += 1000 * A[(n * channels + k) * pixels + p] + G[(n * channels + k) * pixels + p];
        map[p] = sum;
      }
    },
  });
  const probeMaps = (A: ArrayLike<number>, G: ArrayLike<number>, channels: number, pixels: number) =>
    Float64Array.from({ length: SIZE * pixels }, (_, i) => {
      const [b, p] = [Math.floor(i / pixels), i % pixels];
      let sum = 0;
      for (let k = 0; k < channels; k++) sum += 1000 * A[(b * channels + k) * pixels + p] + G[(b * channels + k) * pixels + p];
      return sum;
    });

  it('camMaps: the rule gets the last block\'s A and G = ∂y_c/∂A, image by image, and the maps come out [B, h·w]', () => {
    const own = byHand(network, input, SIZE, [1, 0, 2]);
    const G = Float64Array.from(network.backwardTo('relu2', own.dLogits));
    const A = Float64Array.from(network.activations('relu2'));
    const got = passes.camMaps(input, SIZE, Int32Array.of(1, 0, 2), probe(true));
    expect(got.maps).toBeInstanceOf(Float32Array);
    expect(got.maps.length).toBe(SIZE * 25);
    expectClose(got.maps, Float32Array.from(probeMaps(A, G, 6, 25)), 2);
    expect(Array.from(got.targets)).toEqual([1, 0, 2]);
    expectClose(Float64Array.from(got.logits), own.logits);
  });

  it('camMaps on another block (relu1, [4, 10, 10]), for the predicted classes', () => {
    const G = Float64Array.from(network.backwardTo('relu1', plain.dLogits));
    const A = Float64Array.from(network.activations('relu1'));
    const got = passes.camMaps(input, SIZE, undefined, probe(true), 'relu1');
    expect(got.maps.length).toBe(SIZE * 100);
    expectClose(got.maps, Float32Array.from(probeMaps(A, G, 4, 100)), 2);
    expect(Array.from(got.targets)).toEqual(plain.targets);
  });

  it('camMaps: a rule that reads no gradients is handed A in G\'s place', () => {
    network.forward(Float64Array.from(input), SIZE);
    const A = Float64Array.from(network.activations('relu2'));
    const got = passes.camMaps(input, SIZE, 0, probe(false));
    expectClose(got.maps, Float32Array.from(probeMaps(A, A, 6, 25)), 2);
    expect(Array.from(got.targets)).toEqual([0, 0, 0]);
  });

  it('camMapsOn writes each image\'s map at its own row of `maps`, and the one-hot rows into dLogits', () => {
    const maps = new Float32Array(SIZE * 25).fill(-1);
    const dLogits = new Float64Array(SIZE * 3);
    const own = byHand(network, input, SIZE, [2, 1, 0]);
    const G = Float64Array.from(network.backwardTo('relu2', own.dLogits));
    const A = Float64Array.from(network.activations('relu2'));
    const { targets } = camMapsOn(network, input, SIZE, Int32Array.of(2, 1, 0), probe(true), dLogits, maps);
    expect(Array.from(targets)).toEqual([2, 1, 0]);
    expect(Array.from(dLogits)).toEqual([0, 0, 1, 0, 1, 0, 1, 0, 0]);
    expectClose(maps, Float32Array.from(probeMaps(A, G, 6, 25)), 2);
  });

  it('coalitionScores: y_c of copies that keep only the patches their coalition holds, the rest black', () => {
    const image = input.subarray(PIXELS, 2 * PIXELS); // image 1
    // Two patches: the left half (x < 6) is patch 0, the right half patch 1.
    const featureOf = Int32Array.from({ length: PIXELS }, (_, p) => (p % 12 < 6 ? 0 : 1));
    const coalitions = Uint8Array.of(1, 1, 1, 0, 0, 1, 0, 0);
    const copies = new Float64Array(4 * PIXELS);
    for (let k = 0; k < 4; k++) for (let p = 0; p < PIXELS; p++) copies[k * PIXELS + p] = coalitions[k * 2 + featureOf[p]] === 1 ? image[p] : 0;
    const logits = Float64Array.from(network.forward(copies, 4));
    const got = passes.coalitionScores(image, 1, featureOf, 2, coalitions, 4);
    expect(got).toBeInstanceOf(Float64Array);
    expectClose(got, [logits[1], logits[4], logits[7], logits[10]]);
  });

  it('occlusionScores: y_c of copies each with one window set to black', () => {
    const image = input.subarray(0, PIXELS);
    const corners = Int32Array.of(0, 0, 2, 5, 9, 9);
    const copies = new Float64Array(3 * PIXELS);
    for (let k = 0; k < 3; k++) {
      for (let p = 0; p < PIXELS; p++) {
        const [y, x] = [Math.floor(p / 12), p % 12];
        const inside = y >= corners[2 * k] && y < corners[2 * k] + 3 && x >= corners[2 * k + 1] && x < corners[2 * k + 1] + 3;
        copies[k * PIXELS + p] = inside ? 0 : image[p];
      }
    }
    const logits = Float64Array.from(network.forward(copies, 3));
    expectClose(passes.occlusionScores(image, 2, 3, corners, 3), [logits[2], logits[5], logits[8]]);
  });

  it('occlusionScoresOfImages: each image\'s copies scored by its target, as occlusionScores scores each image alone', () => {
    const corners = Int32Array.of(0, 0, 2, 5, 9, 9, 4, 4, 1, 7);
    const starts = Int32Array.of(0, 2, 2, 5); // image 0: two windows, image 1: none, image 2: three
    const targets = Int32Array.of(1, 0, 2);
    const got = passes.occlusionScoresOfImages(input, targets, 3, starts, corners);
    expect(got).toBeInstanceOf(Float64Array);
    expect(got.length).toBe(5);
    expectClose(got.subarray(0, 2), passes.occlusionScores(input.subarray(0, PIXELS), 1, 3, corners.subarray(0, 4), 2));
    expectClose(got.subarray(2), passes.occlusionScores(input.subarray(2 * PIXELS, 3 * PIXELS), 2, 3, corners.subarray(4), 3));
    // and by hand: copy 3 is image 2 with the window at (4, 4) black, scored by class 2
    const copy = Float64Array.from(input.subarray(2 * PIXELS, 3 * PIXELS), (v, p) => (Math.floor(p / 12) >= 4 && Math.floor(p / 12) < 7 && p % 12 >= 4 && p % 12 < 7 ? 0 : v));
    expect(got[3]).toBeCloseTo(network.forward(copy, 1)[2], 12);
  });

  it('occlusionScoresOfImages refuses images, targets, starts, corners or a window that do not add up, in one line', () => {
    const refusal = (f: () => unknown) => errorOf(f, 'ERR_BAD_ARGUMENT').message;
    const corners = new Int32Array(10);
    const two = input.subarray(0, 2 * PIXELS);
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0, 1), 3, Int32Array.of(0), corners))).toBe("occlusionScoresOfImages: starts has 1 entries; give B + 1 for B ≥ 1 images, from 0 up to the copies' count");
    expect(refusal(() => passes.occlusionScoresOfImages(input, Int32Array.of(0, 1), 3, Int32Array.of(0, 1, 2), corners))).toBe('occlusionScoresOfImages: the images have 432 values; 2 images of 1 × 12 × 12 are 288');
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0), 3, Int32Array.of(0, 1, 2), corners))).toBe('occlusionScoresOfImages: 1 targets for 2 images; give one class an image');
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0, 3), 3, Int32Array.of(0, 1, 2), corners))).toBe('occlusionScoresOfImages: target 3 of image 1 is not a class from 0 to 2');
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(-1, 0), 3, Int32Array.of(0, 1, 2), corners))).toBe('occlusionScoresOfImages: target -1 of image 0 is not a class from 0 to 2');
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0, 1), 3, Int32Array.of(1, 1, 2), corners))).toBe("occlusionScoresOfImages: starts begins at 1; image 0's copies start at 0");
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0, 1), 3, Int32Array.of(0, 2, 1), corners))).toBe("occlusionScoresOfImages: starts falls from 2 to 1 at image 2; each image's copies follow the one before's");
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0, 1), 3, Int32Array.of(0, 2, 6), corners))).toBe('occlusionScoresOfImages: 6 copies need 12 corners; 10 were given');
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0, 1), 13, Int32Array.of(0, 2, 5), corners))).toBe("occlusionScoresOfImages: the window's side is 13; give a whole number from 1 to 12");
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0, 1), 0, Int32Array.of(0, 2, 5), corners))).toBe("occlusionScoresOfImages: the window's side is 0; give a whole number from 1 to 12");
    expect(refusal(() => passes.occlusionScoresOfImages(two, Int32Array.of(0, 1), 1.5, Int32Array.of(0, 2, 5), corners))).toBe("occlusionScoresOfImages: the window's side is 1.5; give a whole number from 1 to 12");
    // at the edges: a 12-pixel window and exactly enough corners are taken
    expect(passes.occlusionScoresOfImages(two, Int32Array.of(0, 2), 12, Int32Array.of(0, 2, 5), corners).length).toBe(5);
  });

  it("maskedLogits: the logits of the image masked by each channel of the block (stretched, min–max), then of the black image", () => {
    const image = input.subarray(0, PIXELS);
    // relu1's four channels [10, 10]: a ramp along x, one along y, a flat one (mask all zeros) and a bright cell.
    const activations = new Float64Array(4 * 100);
    for (let p = 0; p < 100; p++) {
      activations[p] = p % 10;
      activations[100 + p] = Math.floor(p / 10);
      activations[200 + p] = 3;
      activations[300 + p] = p === 55 ? 2 : 0;
    }
    const copies = new Float64Array(5 * PIXELS);
    for (let k = 0; k < 4; k++) {
      const stretched = resizeBilinear(activations.subarray(k * 100, (k + 1) * 100), 10, 10, 12, 12);
      const [lo, hi] = [Math.min(...stretched), Math.max(...stretched)];
      for (let p = 0; p < PIXELS; p++) copies[k * PIXELS + p] = image[p] * (hi > lo ? (stretched[p] - lo) / (hi - lo) : 0);
    }
    const expected = Float64Array.from(network.forward(copies, 5));
    const got = passes.maskedLogits(image, activations, 'relu1');
    expect(got.length).toBe(5 * 3);
    expectClose(Float64Array.from(got), expected, 6);
  });

  it('maskedLogits takes the last block by default, and refuses activations of another size', () => {
    const image = input.subarray(0, PIXELS);
    const activations = Float64Array.from({ length: 6 * 25 }, (_, i) => (i * 7) % 11);
    const copies = new Float64Array(7 * PIXELS);
    for (let k = 0; k < 6; k++) {
      const stretched = resizeBilinear(activations.subarray(k * 25, (k + 1) * 25), 5, 5, 12, 12);
      const [lo, hi] = [Math.min(...stretched), Math.max(...stretched)];
      for (let p = 0; p < PIXELS; p++) copies[k * PIXELS + p] = (image[p] * (stretched[p] - lo)) / (hi - lo);
    }
    const expected = Float64Array.from(network.forward(copies, 7));
    expectClose(Float64Array.from(passes.maskedLogits(image, activations)), expected, 6);
    expect(errorOf(() => passes.maskedLogits(image, new Float64Array(100)), 'ERR_BAD_ARGUMENT').message).toBe(
      "maskedLogits: the activations have 100 values; relu2's are [6, 5, 5], 150 values: give that block's activations of one image",
    );
  });

  it('maskedLogits of several images: each image\'s K + 1 rows in turn, the rows built by hand, image by image', () => {
    // relu2's six channels [5, 5], different for each of the three images; the copies made by hand as above.
    const activations = Float64Array.from({ length: SIZE * 6 * 25 }, (_, i) => ((i * 7 + Math.floor(i / 150) * 5) % 13) - 2);
    const copies = new Float64Array(SIZE * 7 * PIXELS); // each image's six masked copies, then the black image
    for (let b = 0; b < SIZE; b++) {
      const image = input.subarray(b * PIXELS, (b + 1) * PIXELS);
      for (let k = 0; k < 6; k++) {
        const at = (b * 6 + k) * 25;
        const stretched = resizeBilinear(activations.subarray(at, at + 25), 5, 5, 12, 12);
        const [lo, hi] = [Math.min(...stretched), Math.max(...stretched)];
        for (let p = 0; p < PIXELS; p++) copies[(b * 7 + k) * PIXELS + p] = hi > lo ? (image[p] * (stretched[p] - lo)) / (hi - lo) : 0;
      }
    }
    const expected = Float64Array.from(network.forward(copies, SIZE * 7));
    const got = passes.maskedLogits(input, activations, 'relu2', SIZE);
    expect(got.length).toBe(SIZE * 7 * 3);
    expectClose(Float64Array.from(got), expected, 6);
    // one image of the three, asked alone, has the same rows
    const second = passes.maskedLogits(input.subarray(PIXELS, 2 * PIXELS), activations.subarray(150, 300), 'relu2');
    expect(Array.from(second)).toEqual(Array.from(got.subarray(7 * 3, 14 * 3)));
  });

  it('maskedLogits refuses a count of images that is not a whole number from 1, and images or activations not that many', () => {
    const activations = new Float64Array(2 * 150);
    expect(errorOf(() => passes.maskedLogits(input.subarray(0, 2 * PIXELS), activations, 'relu2', 0), 'ERR_BAD_ARGUMENT').message).toBe('maskedLogits: the count of images must be a whole number from 1, got 0');
    expect(errorOf(() => passes.maskedLogits(input.subarray(0, 2 * PIXELS), activations, 'relu2', 1.5), 'ERR_BAD_ARGUMENT').message).toBe('maskedLogits: the count of images must be a whole number from 1, got 1.5');
    expect(errorOf(() => passes.maskedLogits(input.subarray(0, 2 * PIXELS), activations, 'relu2', 3), 'ERR_BAD_ARGUMENT').message).toBe('maskedLogits: the image has 288 values; 3 images of 144 (1 × 12 × 12) are 432');
    expect(errorOf(() => passes.maskedLogits(input.subarray(0, PIXELS + 1), new Float64Array(150), 'relu2'), 'ERR_BAD_ARGUMENT').message).toBe('maskedLogits: the image has 145 values; the model takes 144 (1 × 12 × 12)');
    expect(errorOf(() => passes.maskedLogits(input.subarray(0, 2 * PIXELS), new Float64Array(150), 'relu2', 2), 'ERR_BAD_ARGUMENT').message).toBe(
      "maskedLogits: the activations have 150 values; relu2's are [6, 5, 5], 150 values: give that block's activations of each of the 2 images, 300 values in all",
    );
  });

  it("limeFits: each image's β then its intercept, side by side, [count, M + 1]", () => {
    const features = 2;
    const samples = 5;
    const coalitions = Uint8Array.of(1, 1, 1, 0, 0, 1, 0, 0, 1, 1, /* image 1 */ 1, 0, 0, 1, 1, 1, 0, 0, 1, 0);
    const scores = Float64Array.of(3, 2, 1.5, 0, 3.1, /* image 1 */ 1, -1, 2, 0, 1);
    const options = { kernelWidth: 0.5, lambda: 0.1 };
    const got = passes.limeFits(coalitions, scores, features, samples, 2, options);
    expect(got.length).toBe(2 * 3);
    for (let b = 0; b < 2; b++) {
      const { beta, intercept } = limeFit(coalitions.subarray(b * 10, (b + 1) * 10), scores.subarray(b * 5, (b + 1) * 5), features, samples, options);
      expectClose(got.subarray(b * 3, (b + 1) * 3), [beta[0], beta[1], intercept]);
    }
    expect(got[0]).not.toBeCloseTo(got[3], 3); // the two images' fits differ
  });

  it('smoothGradMaps: the mean over copies of max_c |∂y_c/∂x|, the noise drawn copy by copy, value by value, in order; the stream moved past it', () => {
    const samples = 3;
    const sigma = 0.2;
    const targets = Int32Array.of(2, 0, 1);
    const drawn = new Random(21);
    const expected = new Float64Array(SIZE * PIXELS);
    for (let s = 0; s < samples; s++) {
      const x = Float64Array.from(input, (v) => v + sigma * drawn.gaussian());
      const gradients = network.backwardToInput(byHand(network, x, SIZE, [...targets]).dLogits, 'ordinary');
      for (let b = 0; b < SIZE; b++) for (let p = 0; p < PIXELS; p++) expected[b * PIXELS + p] += Math.abs(gradients[b * PIXELS + p]) / samples;
    }
    const random = new Random(21);
    const got = passes.smoothGradMaps(input, SIZE, targets, samples, sigma, random);
    expectClose(got, expected);
    expect(random.state()).toEqual(drawn.state());
    expect(smoothGradDraws(samples, SIZE, PIXELS)).toBe(2 * samples * SIZE * PIXELS);
  });

  it('smoothGradMapsOn of any share of a batch gives that share\'s rows of the whole batch\'s maps, bit for bit', () => {
    const samples = 2;
    const targets = Int32Array.of(1, 2, 0);
    const state = new Random(8).state();
    const run = (start: number, n: number) => {
      const maps = new Float64Array(n * PIXELS).fill(-1);
      const gradientsOf = (x: Floats) => inputGradientsOn(network, x, n, targets.subarray(start, start + n), new Float64Array(n * 3)).gradients;
      smoothGradMapsOn(network.inputShape, input.subarray(start * PIXELS, (start + n) * PIXELS), start, n, SIZE, samples, 0.3, state, gradientsOf, new Float64Array(n * PIXELS), maps);
      return maps;
    };
    const whole = run(0, SIZE);
    for (const [start, n] of [[0, 1], [1, 1], [2, 1], [0, 2], [1, 2]]) expect(run(start, n), `images ${start}…${start + n - 1}`).toEqual(whole.subarray(start * PIXELS, (start + n) * PIXELS));
    // the noise is each image's own: a share read from the wrong place in the stream would differ
    const unjumped = new Float64Array(PIXELS);
    smoothGradMapsOn(network.inputShape, input.subarray(PIXELS, 2 * PIXELS), 0, 1, 1, samples, 0.3, state, (x) => inputGradientsOn(network, x, 1, targets.subarray(1, 2), new Float64Array(3)).gradients, new Float64Array(PIXELS), unjumped);
    expect(unjumped).not.toEqual(whole.subarray(PIXELS, 2 * PIXELS));
  });

  it('addAbsoluteMax adds scale · max_c |g_c| of each image\'s pixel, over its own channels', () => {
    // 2 images × 3 channels × 2 pixels, the largest |g| of each pixel in a different channel
    const gradients = Float64Array.of(1, -6, -2, 5, 3, 0, /* image 1 */ -7, 1, 0, -1, 4, 2);
    const map = Float64Array.of(10, 20, 30, 40);
    addAbsoluteMax(gradients, 2, 3, 2, 0.5, map);
    expect([...map]).toEqual([10 + 0.5 * 3, 20 + 0.5 * 6, 30 + 0.5 * 7, 40 + 0.5 * 2]);
  });

  it('smoothGradMaps with σ = 0 and one sample is the saliency map |∂y_c/∂x|', () => {
    const targets = Int32Array.of(1, 1, 2);
    const expected = Float64Array.from(passes.inputGradients(input, SIZE, targets).gradients, Math.abs);
    expectClose(passes.smoothGradMaps(input, SIZE, targets, 1, 0, new Random(3)), expected);
  });

  it('smoothGradMaps refuses sizes, inputs, targets, samples, sigmas and generators that do not fit, in one line; no images, no maps', () => {
    const refusal = (f: () => unknown) => errorOf(f, 'ERR_BAD_ARGUMENT').message;
    const targets = Int32Array.of(0, 1, 2);
    const random = new Random(1);
    expect(refusal(() => passes.smoothGradMaps(input, 1.5, targets, 2, 0.1, random))).toBe('smoothGradMaps: size is 1.5; give the number of images, a whole number ≥ 0');
    expect(refusal(() => passes.smoothGradMaps(input, -1, targets, 2, 0.1, random))).toBe('smoothGradMaps: size is -1; give the number of images, a whole number ≥ 0');
    expect(refusal(() => passes.smoothGradMaps(input.subarray(0, 2 * PIXELS + 1), SIZE, targets, 2, 0.1, random))).toBe(`smoothGradMaps: the input has ${2 * PIXELS + 1} values; 3 images of 1 × 12 × 12 are ${3 * PIXELS}`);
    expect(refusal(() => passes.smoothGradMaps(input, SIZE, targets.subarray(0, 2), 2, 0.1, random))).toBe('smoothGradMaps: 2 targets for 3 images; give one class an image');
    expect(refusal(() => passes.smoothGradMaps(input, SIZE, Int32Array.of(0, 3, 1), 2, 0.1, random))).toBe('smoothGradMaps: target 3 of image 1 is not a class from 0 to 2');
    expect(refusal(() => passes.smoothGradMaps(input, SIZE, Int32Array.of(0, 1, -1), 2, 0.1, random))).toBe('smoothGradMaps: target -1 of image 2 is not a class from 0 to 2');
    expect(refusal(() => passes.smoothGradMaps(input, SIZE, targets, 0, 0.1, random))).toBe('smoothGradMaps: samples is 0; give a whole number ≥ 1');
    expect(refusal(() => passes.smoothGradMaps(input, SIZE, targets, 2.5, 0.1, random))).toBe('smoothGradMaps: samples is 2.5; give a whole number ≥ 1');
    expect(refusal(() => passes.smoothGradMaps(input, SIZE, targets, 2, -0.1, random))).toBe('smoothGradMaps: sigma is -0.1; give a number ≥ 0');
    expect(refusal(() => passes.smoothGradMaps(input, SIZE, targets, 2, NaN, random))).toBe('smoothGradMaps: sigma is NaN; give a number ≥ 0');
    expect(refusal(() => passes.smoothGradMaps(input, SIZE, targets, 2, 0.1, {} as Random))).toMatch(/^smoothGradMaps: random /);
    const before = random.state();
    expect(passes.smoothGradMaps(input, 0, new Int32Array(0), 2, 0.1, random)).toEqual(new Float64Array(0));
    expect(random.state()).toEqual(before);
  });
});

describe('the CAM rules a thread pool\'s workers know (cam-rules.ts)', () => {
  it('are the five gradient rules and Eigen-CAM, in this order, each by its name and combine', () => {
    expect(CAM_RULES.map((rule) => [rule.name, rule.gradients])).toEqual([
      ['grad-cam', true], ['grad-cam++', true], ['xgrad-cam', true], ['layer-cam', true], ['hires-cam', true], ['eigen-cam', false],
    ]);
    expect(CAM_RULES.map((rule) => rule.combine)).toEqual([gradCamMap, gradCamPlusPlusMap, xGradCamMap, layerCamMap, hiResCamMap, EIGEN_CAM_RULE.combine]);
    expect(CAM_RULES[0]).toBe(GRAD_CAM_RULE);
  });

  it('camRuleIndex finds each by its place, a copy of it too', () => {
    CAM_RULES.forEach((rule, k) => expect(camRuleIndex({ ...rule })).toBe(k));
  });

  it('camRuleIndex is −1 for a rule that differs from a known one in its name, its combine or its gradients', () => {
    expect(camRuleIndex({ ...GRAD_CAM_RULE, name: 'my-cam' })).toBe(-1);
    expect(camRuleIndex({ ...GRAD_CAM_RULE, combine: (A, G, n, k, p, map) => gradCamMap(A, G, n, k, p, map) })).toBe(-1);
    expect(camRuleIndex({ ...GRAD_CAM_RULE, gradients: false })).toBe(-1);
    expect(camRuleIndex({ ...EIGEN_CAM_RULE, gradients: true })).toBe(-1);
  });
});
