/**
 * The guided methods' entry points that the map tests do not reach on their own (src/explain/methods/guided.ts):
 * `guidedGradients`, the guided backward pass of a batch, against the network's own guided backward (and not
 * its ordinary one); and Guided Grad-CAM handed `passes` (a thread pool's, in use): it must run its two passes
 * there — Grad-CAM's rule on the explained block, then the guided input gradients for the classes it
 * explained — not on the calling thread.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { guidedGradCamMethod, guidedGradients } from '../src/explain/methods/guided.js';
import { networkPasses, type ModelPasses } from '../src/explain/model-passes.js';
import { LENET_GEOMETRY, LENET_SPEC, randomSet, seededNetwork } from './fixtures/any-networks.js';

const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), LENET_SPEC, LENET_GEOMETRY, 3);
const set = randomSet(LENET_GEOMETRY, 3, 7);
const input = Float64Array.from(set.images, (v) => v / 255);

describe('guidedGradients', () => {
  it("is the network's guided backward pass of the one-hot rows, not its ordinary one", () => {
    const dLogits = Float64Array.of(0, 0, 1, 0, 1, 0, 1, 0, 0);
    network.forward(Float64Array.from(input), 3);
    const guided = Float64Array.from(network.backwardToInput(dLogits, 'guided'));
    network.forward(Float64Array.from(input), 3);
    const ordinary = Float64Array.from(network.backwardToInput(dLogits, 'ordinary'));
    expect(guided.some((g, i) => Math.abs(g - ordinary[i]) > 1e-6)).toBe(true);
    const got = guidedGradients(network, input, 3, Int32Array.of(2, 1, 0), new Float64Array(9));
    expect(Array.from(got.targets)).toEqual([2, 1, 0]);
    const gradients = Float64Array.from(got.gradients);
    gradients.forEach((g, i) => expect(g, `element ${i}`).toBeCloseTo(guided[i], 12));
  });
});

describe('Guided Grad-CAM with passes', () => {
  it("runs Grad-CAM's rule on the explained block, then the guided pass for the classes it explained, through them", () => {
    const passes = networkPasses(network);
    const calls: string[] = [];
    const recording: ModelPasses = {
      ...passes,
      camMaps: (batch, size, targets, rule, layer) => {
        calls.push(`camMaps ${size} ${String(targets)} ${rule.name} ${layer}`);
        return passes.camMaps(batch, size, targets, rule, layer);
      },
      inputGradients: (batch, size, targets, rule) => {
        calls.push(`inputGradients ${size} ${Array.from(targets as Int32Array)} ${rule}`);
        return passes.inputGradients(batch, size, targets, rule);
      },
    };
    const viaPasses = explainImages(network, set, guidedGradCamMethod(), { targetClass: 1, layer: 'relu1', passes: recording });
    expect(calls).toEqual(['camMaps 3 1 grad-cam relu1', 'inputGradients 3 1,1,1 guided']);
    const here = explainImages(network, set, guidedGradCamMethod(), { targetClass: 1, layer: 'relu1' });
    viaPasses.maps.forEach((v, i) => expect(v, `element ${i}`).toBeCloseTo(here.maps[i], 6));
  });
});
