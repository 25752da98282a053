/**
 * Grad-CAM's driver (src/explain/grad-cam.ts) around its maths: the channel weights of a worked example, the
 * batches and their progress, the runner (a thread pool's) used for every block and told which, the targets, the
 * gradients cleared afterwards, and the batch size's refusal word for word.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { heatmapFromMap } from '../src/explain/explanation.js';
import { classActivationMap, gradCam, gradCamSteps, type GradCamRunner } from '../src/explain/grad-cam.js';
import { Random } from '../src/random.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';

const network = tinyNetwork(9);
const random = new Random(7);
const set: ImageSet = { count: 5, height: GEOMETRY.height, width: GEOMETRY.width, images: Uint8Array.from({ length: 5 * PIXELS }, () => Math.floor(random.next() * 256)), labels: new Uint8Array(5) };

describe('Grad-CAM, worked and driven', () => {
  it('α_k is the mean of G_k over the positions, and the map ReLU(Σ α_k A_k), for image n of the batch', () => {
    // Image 1: A_0 = [1, 2], A_1 = [3, −1]; G_0 = [2, 4] → α₀ = 3; G_1 = [−1, −3] → α₁ = −2; map = ReLU([3 − 6, 6 + 2]) = [0, 8].
    const A = Float64Array.of(7, 7, 7, 7, 1, 2, 3, -1);
    const G = Float64Array.of(7, 7, 7, 7, 2, 4, -1, -3);
    const alpha = new Float64Array(2);
    const map = Float64Array.of(5, 5);
    classActivationMap(A, G, 1, 2, 2, alpha, map);
    expect(Array.from(alpha)).toEqual([3, -2]);
    expect(Array.from(map)).toEqual([0, 8]);
  });

  it('gives the same rows in batches of any size, pausing after each, and leaves no gradient behind', () => {
    const whole = gradCam(network, set);
    const steps = gradCamSteps(network, set, { batchSize: 2 });
    const done: Array<[number, number]> = [];
    let next = steps.next();
    while (!next.done) {
      done.push([next.value.done, next.value.total]);
      next = steps.next();
    }
    expect(done).toEqual([[2, 5], [4, 5], [5, 5]]);
    const batched = next.value;
    expect(Array.from(batched.maps)).toEqual(Array.from(whole.maps));
    expect(Array.from(batched.weights)).toEqual(Array.from(whole.weights));
    expect(Array.from(batched.heatmaps)).toEqual(Array.from(whole.heatmaps));
    expect(network.grads.every((g) => g === 0)).toBe(true);
    expect([whole.layer, whole.channels, whole.weights.length]).toEqual(['relu2', 4, 20]);
    for (let n = 0; n < 5; n++) {
      // From the float64 map (the stored one is float32): equal to float32 rounding.
      const expected = heatmapFromMap(whole.maps.subarray(n * 9, (n + 1) * 9), 3, 3, 12, 12);
      whole.heatmaps.subarray(n * PIXELS, (n + 1) * PIXELS).forEach((v, p) => expect(Math.abs(v - expected[p])).toBeLessThan(1e-6));
      expect(whole.targets[n]).toBe(whole.predicted[n]);
    }
    expect(Array.from(gradCam(network, set, { targetClass: 3, indices: [4, 0] }).targets)).toEqual([3, 3]);
  });

  it('runs each batch on the runner given, naming the block it explains, the default one too', () => {
    const calls: Array<[number, number | undefined, string]> = [];
    const runner: GradCamRunner = (batch, target, out, layer) => {
      calls.push([batch.size, target, layer]);
      out.logits.fill(1);
      out.maps.fill(2);
      out.weights.fill(3);
      out.heatmaps.fill(0.5);
    };
    const result = gradCam(network, set, { runner, batchSize: 3, targetClass: 1 });
    expect(calls).toEqual([[3, 1, 'relu2'], [2, 1, 'relu2']]);
    expect([result.maps.every((v) => v === 2), result.weights.every((v) => v === 3), result.heatmaps.every((v) => v === 0.5)]).toEqual([true, true, true]);
    expect(Array.from(result.probabilities.subarray(0, 4))).toEqual([0.25, 0.25, 0.25, 0.25]);
    calls.length = 0;
    // Another block, by its conv's name: the runner is told the block's name and fills rows of its shape.
    const other = gradCam(network, set, { runner, layer: 'conv1' });
    expect(calls).toEqual([[5, undefined, 'relu1']]);
    expect(other.layer).toBe('relu1');
    expect([other.mapHeight, other.mapWidth]).toEqual([10, 10]);
    expect(other.maps.length).toBe(5 * 10 * 10);
    expect(other.maps.every((v) => v === 2)).toBe(true);
  });

  it('leaves no parameter gradient behind even when the runner given accumulated some', () => {
    // This thread's passes skip the parameter gradients; a runner of one's own may not (here: it writes some).
    const runner: GradCamRunner = (batch, _target, out) => {
      network.forward(batch.input, batch.size);
      network.grads.fill(0.5);
      out.logits.fill(0);
    };
    gradCam(network, set, { runner, batchSize: 2 });
    expect(network.grads.length).toBeGreaterThan(0);
    expect(network.grads.every((g) => g === 0)).toBe(true);
  });

  it('refuses a batch size that is not a whole number ≥ 1', () => {
    for (const batchSize of [0, 2.5, NaN, -3]) {
      expect(() => gradCam(network, set, { batchSize })).toThrow(new XcnnError(`Grad-CAM: batchSize must be a whole number ≥ 1, not ${batchSize}`).message);
    }
    expect(() => gradCam(network, set, { batchSize: 1 })).not.toThrow();
    let caught: unknown;
    try {
      gradCam(network, set, { batchSize: 0 });
    } catch (error) {
      caught = error;
    }
    expect([(caught as XcnnError).code, (caught as XcnnError).exitCode]).toEqual(['ERR_BAD_ARGUMENT', 2]);
  });

  it("names Grad-CAM in the input checks' refusals", () => {
    expect(() => gradCam(network, set, { indices: [5] })).toThrow('Grad-CAM: image index 5 is outside the set of 5 images (0 to 4)');
    expect(() => gradCam(network, set, { targetClass: 4 })).toThrow("Grad-CAM: class 4 is outside the model's 4 classes (0 to 3)");
  });
});
