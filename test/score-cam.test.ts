/**
 * Score-CAM (src/explain/methods/score-cam.ts) against its definition computed a second way: each channel's
 * weight p_c(x ⊙ M_k) − p_c(black) from masked images built here and run through the network one by one, the
 * map as ReLU(Σ_k w_k A_k), and the explained class c the network's own prediction, read here from its logits
 * (not from what the method reports).
 */
import { describe, expect, it } from 'vitest';
import { relativeDifference } from './fixtures/compare.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { takeFirst, type ImageSet } from '../src/data/dataset.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { scoreCamMask } from '../src/explain/masked-logits.js';
import { MASKED_COPIES_A_PASS, scoreCamMethod, scoreCamWeights, softmaxProbability } from '../src/explain/methods/score-cam.js';
import { networkPasses, type ModelPasses } from '../src/explain/model-passes.js';
import { resizeBilinear } from '../src/explain/resize.js';
import { BatchBuffer } from '../src/model/layer.js';
import { createNetwork, createPaperNetwork, type Network } from '../src/model/network.js';
import { XcnnError } from '../src/errors.js';
import { Random } from '../src/random.js';
import { seededValues } from './gradcheck.js';
import { GEOMETRY, PIXELS, tinyNetwork, WIDTHS } from './fixtures/tiny-network.js';

/** The paper network's explained layer: the second convolution after its ReLU. */
const GRAD_CAM_LAYER = 'relu2';

function randomImages(seed: number, count: number, channels = 1): ImageSet {
  const images = Uint8Array.from(seededValues(seed, count * channels * PIXELS), (v) => Math.floor(((v + 1) / 2) * 256));
  return { count, channels, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: new Uint8Array(count) };
}

function imageOf(set: ImageSet, n: number): Float64Array {
  const size = (set.channels ?? 1) * PIXELS;
  return Float64Array.from(set.images.subarray(n * size, (n + 1) * size), (v) => v / 255);
}

/** softmax(z)_c of the network's logits for one image, and their argmax, written out here. */
function probabilityOf(network: Network, image: Float64Array, c: number): number {
  const logits = Array.from(network.forward(image, 1).subarray(0, GEOMETRY.classes));
  const exp = logits.map((z) => Math.exp(z));
  return exp[c] / exp.reduce((s, e) => s + e, 0);
}
function predictedClass(network: Network, image: Float64Array): number {
  const logits = Array.from(network.forward(image, 1).subarray(0, GEOMETRY.classes));
  return logits.indexOf(Math.max(...logits));
}

/** Score-CAM's weights for one image and class c, by the definition: each masked image run on its own. */
function weightsByHand(network: Network, image: Float64Array, c: number, channels = 1): { weights: number[]; a: Float64Array } {
  const [K, h, w] = network.layer(GRAD_CAM_LAYER).outputShape;
  const P = h * w;
  const { height, width } = GEOMETRY;
  network.forward(image, 1);
  const a = Float64Array.from(network.activations(GRAD_CAM_LAYER));
  const baseline = probabilityOf(network, new Float64Array(channels * PIXELS), c);
  const weights = Array.from({ length: K }, (_, k) => {
    const upsampled = resizeBilinear(a.subarray(k * P, (k + 1) * P), h, w, height, width);
    const low = Math.min(...upsampled);
    const high = Math.max(...upsampled);
    // every input channel times the same mask
    const masked = image.map((x, i) => (high > low ? x * ((upsampled[i % PIXELS] - low) / (high - low)) : 0));
    return probabilityOf(network, masked, c) - baseline;
  });
  return { weights, a };
}

describe('Score-CAM', () => {
  it('explains the predicted class by default, weighting every channel by p_c(x ⊙ M_k) − p_c(black), its map ReLU(Σ w_k A_k)', () => {
    const network = tinyNetwork(6);
    const set = randomImages(6, 6);
    const result = explainImages(network, set, methodByName('score-cam'), { batchSize: 4 });
    const [, h, w] = network.layer(GRAD_CAM_LAYER).outputShape;
    const P = h * w;
    const predicted = Array.from({ length: set.count }, (_, n) => predictedClass(network, imageOf(set, n)));
    expect(predicted.some((c) => c !== 0)).toBe(true); // so "always class 0" cannot pass
    expect(Array.from(result.targets)).toEqual(predicted);
    let worstWeight = 0;
    for (let n = 0; n < set.count; n++) {
      const image = imageOf(set, n);
      const c = predicted[n];
      const logits = Array.from(network.forward(image, 1).subarray(0, GEOMETRY.classes));
      expect(relativeDifference(result.logits.subarray(n * GEOMETRY.classes, (n + 1) * GEOMETRY.classes), logits)).toBeLessThan(1e-6); // stored as float32
      const { weights, a } = weightsByHand(network, image, c);
      const computed = scoreCamWeights(network, image, a, c, BatchBuffer.floats(network.backend, PIXELS));
      worstWeight = Math.max(worstWeight, relativeDifference(computed, weights));
      const expectedMap = Array.from({ length: P }, (_, p) => Math.max(0, weights.reduce((s, wk, k) => s + wk * a[k * P + p], 0)));
      expect(expectedMap.some((v) => v > 0)).toBe(true);
      expect(relativeDifference(result.maps.subarray(n * P, (n + 1) * P), expectedMap)).toBeLessThan(1e-6);
    }
    // The masks are float32 (as the heatmaps): a float32 rounding apart from the float64 ones here.
    console.log(`Score-CAM weights vs one-by-one masked passes: largest relative difference ${worstWeight.toExponential(2)}`);
    expect(worstWeight).toBeLessThan(1e-6);
  });

  it('explains the class it is asked for, whatever the prediction', () => {
    const network = tinyNetwork(6);
    const set = randomImages(8, 3);
    const [, h, w] = network.layer(GRAD_CAM_LAYER).outputShape;
    const P = h * w;
    for (const target of [1, 3]) {
      const result = explainImages(network, set, methodByName('score-cam'), { batchSize: 2, targetClass: target });
      expect(Array.from(result.targets)).toEqual([target, target, target]);
      for (let n = 0; n < set.count; n++) {
        const { weights, a } = weightsByHand(network, imageOf(set, n), target);
        const expectedMap = Array.from({ length: P }, (_, p) => Math.max(0, weights.reduce((s, wk, k) => s + wk * a[k * P + p], 0)));
        expect(relativeDifference(result.maps.subarray(n * P, (n + 1) * P), expectedMap)).toBeLessThan(1e-6);
      }
    }
  });

  it('multiplies every input channel by the mask', () => {
    const network = createPaperNetwork(new ReferenceBackend({ precision: 'float64' }), { ...GEOMETRY, channels: 2 }, WIDTHS);
    network.initialize(new Random(12));
    const set = randomImages(12, 1, 2);
    const image = imageOf(set, 0);
    const c = predictedClass(network, image);
    const { weights, a } = weightsByHand(network, image, c, 2);
    const computed = scoreCamWeights(network, image, a, c, BatchBuffer.floats(network.backend, 2 * PIXELS));
    expect(relativeDifference(computed, weights)).toBeLessThan(1e-6);
  });

  it('gives a channel that is all zeros the weight 0 exactly (its masked image is the baseline)', () => {
    const network = tinyNetwork(7);
    const image = imageOf(randomImages(7, 1), 0);
    network.forward(image, 1);
    const [K, h, w] = network.layer(GRAD_CAM_LAYER).outputShape;
    const a = Float64Array.from(network.activations(GRAD_CAM_LAYER));
    a.fill(0, 0, h * w); // channel 0 silent
    a.fill(0.5, h * w, 2 * h * w); // channel 1 flat: also no mask
    const weights = scoreCamWeights(network, image, a, 1, BatchBuffer.floats(network.backend, PIXELS));
    expect(weights).toHaveLength(K);
    expect(weights[0]).toBe(0);
    expect(weights[1]).toBe(0);
  });

  it('measures against a black baseline whatever the scratch buffer held before', () => {
    const network = tinyNetwork(9);
    const image = imageOf(randomImages(9, 1), 0);
    const c = predictedClass(network, image);
    const { weights, a } = weightsByHand(network, image, c);
    const [K] = network.layer(GRAD_CAM_LAYER).outputShape;
    const copies = BatchBuffer.floats(network.backend, PIXELS);
    copies.forBatch(K + 1).fill(0.7); // what an earlier use of the buffer (or another backend's memory) left
    expect(relativeDifference(scoreCamWeights(network, image, a, c, copies), weights)).toBeLessThan(1e-6);
  });

  it('is a CAM method on a conv block, needing only forward passes', () => {
    const method = methodByName('score-cam');
    expect([method.name, method.title, method.layer, method.needs]).toEqual(['score-cam', 'Score-CAM', 'cam', ['conv-layer', 'forward-only']]);
  });

  it('computes softmax probabilities in float64, safe from overflow', () => {
    // logits (0, ln 3, ln 4) → p = (1, 3, 4) / 8; the same shifted by 1000 (exp(1000) overflows without the max).
    const row = Float64Array.of(0, Math.log(3), Math.log(4));
    [1 / 8, 3 / 8, 1 / 2].forEach((p, c) => expect(softmaxProbability(row, 0, 3, c)).toBeCloseTo(p, 15));
    const shifted = Float64Array.of(9, 9, 9, 1000, 1000 + Math.log(3), 1000 + Math.log(4));
    [1 / 8, 3 / 8, 1 / 2].forEach((p, c) => expect(softmaxProbability(shifted, 1, 3, c)).toBeCloseTo(p, 12));
    [1 / 3, 1 / 3, 1 / 3].forEach((p, c) => expect(softmaxProbability(shifted, 0, 3, c)).toBeCloseTo(p, 15));
  });

  it('forwards more copies than a chunk holds (a block of 130 channels: 131 copies, two passes) in their order', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'conv(130,3) relu flatten linear(3)', { channels: 1, height: 6, width: 6, classes: 3 });
    network.initialize(new Random(21));
    const image = Float64Array.from(seededValues(22, 36), (v) => (v + 1) / 2);
    network.forward(image, 1);
    const a = Float64Array.from(network.activations('relu1')); // [130, 4, 4]
    const probability = (x: Float64Array, c: number) => {
      const z = Array.from(network.forward(x, 1).subarray(0, 3));
      return Math.exp(z[c]) / z.reduce((s, v) => s + Math.exp(v), 0);
    };
    const c = 2;
    const baseline = probability(new Float64Array(36), c);
    const expected = Array.from({ length: 130 }, (_, k) => {
      const up = resizeBilinear(a.subarray(k * 16, (k + 1) * 16), 4, 4, 6, 6);
      const [low, high] = [Math.min(...up), Math.max(...up)];
      return probability(image.map((x, i) => (high > low ? x * ((up[i] - low) / (high - low)) : 0)), c) - baseline;
    });
    const computed = scoreCamWeights(network, image, a, c, BatchBuffer.floats(network.backend, 36));
    expect(computed).toHaveLength(130);
    expect(relativeDifference(computed, expected)).toBeLessThan(1e-6);
    expect(new Set(expected.map((w) => w.toPrecision(6))).size).toBeGreaterThan(50); // the channels' weights differ
  });

  it('masks several images a pass, as many as make about MASKED_COPIES_A_PASS copies, and gives each the map it has alone', () => {
    // 171 copies an image: ⌊512 / 171⌋ = 2 images a pass, so a batch of 7 goes as 2, 2, 2 and 1 (and one of 6 as 2, 2, 2).
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'conv(170,3) relu flatten linear(3)', { channels: 1, height: 6, width: 6, classes: 3 });
    network.initialize(new Random(23));
    const count = 7;
    const images = Uint8Array.from(seededValues(24, count * 36), (v) => Math.floor(((v + 1) / 2) * 256));
    const set: ImageSet = { count, channels: 1, height: 6, width: 6, images, labels: new Uint8Array(count) };
    const serial = networkPasses(network);
    const imagesAPass: number[] = [];
    const counting: ModelPasses = {
      ...serial,
      maskedLogits: (image, activations, layer, many) => {
        imagesAPass.push(many ?? 1);
        return serial.maskedLogits(image, activations, layer, many);
      },
    };
    expect(Math.floor(MASKED_COPIES_A_PASS / 171)).toBe(2);
    const together = explainImages(network, set, scoreCamMethod(), { batchSize: count, passes: counting });
    expect(imagesAPass).toEqual([2, 2, 2, 1]);
    const alone = explainImages(network, set, scoreCamMethod(), { batchSize: 1 });
    expect(Array.from(together.targets)).toEqual(Array.from(alone.targets));
    expect(Array.from(together.maps)).toEqual(Array.from(alone.maps));
    imagesAPass.length = 0;
    const six = explainImages(network, takeFirst(set, 6), scoreCamMethod(), { batchSize: 6, passes: counting });
    expect(imagesAPass).toEqual([2, 2, 2]);
    expect(Array.from(six.maps)).toEqual(Array.from(alone.maps.subarray(0, six.maps.length)));
    expect(new Set(Array.from(alone.maps).map((v) => v.toPrecision(6))).size).toBeGreaterThan(20); // the maps differ between images
  });

  it('refuses activations that are not the block\'s [K, h, w] in one line, before any pass', () => {
    const network = tinyNetwork(5);
    const image = imageOf(randomImages(5, 1), 0);
    const [K, h, w] = network.layer(GRAD_CAM_LAYER).outputShape;
    const short = new Float64Array(K * h * w - 1);
    let caught: unknown;
    try {
      scoreCamWeights(network, image, short, 0, BatchBuffer.floats(network.backend, PIXELS));
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toBe(`scoreCamWeights: the activations have ${K * h * w - 1} values; relu2's are [${K}, ${h}, ${w}], ${K * h * w} values: give that block's activations of one image`);
    expect((caught as XcnnError).code).toBe('ERR_BAD_ARGUMENT');
  });

  it('names the function, the argument and what it must be for each argument of the wrong kind', () => {
    const network = tinyNetwork(5);
    const image = imageOf(randomImages(5, 1), 0);
    const a = new Float64Array(network.layer(GRAD_CAM_LAYER).outputShape.reduce((x, y) => x * y, 1));
    const copies = BatchBuffer.floats(network.backend, PIXELS);
    const batchBuffer = "a batch buffer of the input's size: network.workspace.floats(name, size)";
    expect(() => scoreCamWeights('n' as never, image, a, 0, copies)).toThrow('scoreCamWeights: network must be a network (createNetwork, loadModel, loadModelFromBytes), not string');
    expect(() => scoreCamWeights(network, [0] as never, a, 0, copies)).toThrow("scoreCamWeights: image must be a Float32Array or Float64Array (the backend's allocFloats gives one), not Array");
    expect(() => scoreCamWeights(network, image, 'a' as never, 0, copies)).toThrow('scoreCamWeights: activations must be an array or a typed array of numbers, not string');
    expect(() => scoreCamWeights(network, image, a, '0' as never, copies)).toThrow('scoreCamWeights: target must be a number, not string');
    expect(() => scoreCamWeights(network, image, a, 0, 'c' as never)).toThrow(`scoreCamWeights: copies must be an object (${batchBuffer}), not string`);
    expect(() => scoreCamWeights(network, image, a, 0, {} as never)).toThrow(`scoreCamWeights: copies.forBatch must be a function (copies: ${batchBuffer}), not undefined`);
    expect(() => scoreCamWeights(network, image, a, 0, copies, 7 as never)).toThrow('scoreCamWeights: layer must be a string (a conv block, or left out for the last), not number');
    expect(() => (scoreCamMethod as (...args: unknown[]) => unknown)(42)).toThrow("scoreCamMethod: takes no arguments, not 1 (the conv block to explain is explainImages' layer option)");
  });

  it('makes a mask of the input\'s size when given no buffer to write it in', () => {
    // A 1 × 2 map resized to 1 × 2 is itself; min–max: (1 − 1) / (3 − 1) = 0, (3 − 1) / (3 − 1) = 1.
    const mask = scoreCamMask([1, 3], 1, 2, 1, 2);
    expect(mask).toBeInstanceOf(Float32Array);
    expect(Array.from(mask)).toEqual([0, 1]);
  });
});
