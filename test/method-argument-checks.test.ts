/**
 * The argument checks of the explanation methods' own functions (src/explain/methods/) that
 * test/public-arguments.test.ts does not reach: each wrong argument refused with the message that names the
 * function, the argument and what it must be, word for word — so that a check given the wrong name, or
 * dropped, fails here.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { camMethod, gradCamMap } from '../src/explain/methods/cam.js';
import { eigenCamMap } from '../src/explain/methods/eigen-cam.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { guidedGradients } from '../src/explain/methods/guided.js';
import { saliencyMethod } from '../src/explain/methods/input-gradients.js';
import { createNetwork } from '../src/model/network.js';
import { errorOf, refusal } from './errors.js';

const network = createNetwork(new ReferenceBackend(), 'conv(2,3) relu flatten linear(3)', { channels: 1, height: 5, width: 5, classes: 3 });
const set = { count: 1, height: 5, width: 5, images: new Uint8Array(25), labels: new Uint8Array(1) };
const NUMBERS = 'an array or a typed array of numbers';
const FLOATS = "a Float32Array or Float64Array (the backend's allocFloats gives one)";

describe('the methods refuse a wrong argument by its name', () => {
  it('guidedGradients: size, targets and dLogits', () => {
    const input = new Float32Array(25);
    expect(refusal(() => guidedGradients(network, input, '1' as never, [0], new Float32Array(3)))).toBe('guidedGradients: size must be a number, not string');
    expect(refusal(() => guidedGradients(network, input, 1, null as never, new Float32Array(3)))).toBe(`guidedGradients: targets must be ${NUMBERS}, not null`);
    expect(refusal(() => guidedGradients(network, input, 1, [0], [0, 0, 0] as never))).toBe(`guidedGradients: dLogits must be ${FLOATS}, not Array`);
    const error = errorOf(() => guidedGradients(network, input, 1, [0], [0, 0, 0] as never));
    expect([error.code, error.exitCode]).toEqual(['ERR_BAD_ARGUMENT', 2]);
    network.zeroGrad();
  });

  it("camMethod: the title", () => {
    expect(refusal(() => camMethod('grad-cam', 7 as never, gradCamMap))).toBe('camMethod: title must be a string, not number');
    expect(refusal(() => camMethod('grad-cam', 'Grad-CAM', gradCamMap))).toBe('accepted');
  });

  it('eigenCamMap: the activations, the channels and the positions', () => {
    const map = new Float64Array(4);
    expect(refusal(() => eigenCamMap(null as never, 0, 1, 4, map))).toBe(`eigenCamMap: activations must be ${NUMBERS}, not null`);
    expect(refusal(() => eigenCamMap(new Float32Array(4), 0, '1' as never, 4, map))).toBe('eigenCamMap: channels must be a number, not string');
    expect(refusal(() => eigenCamMap(new Float32Array(4), 0, 1, null as never, map))).toBe('eigenCamMap: pixels must be a number, not null');
    expect(refusal(() => eigenCamMap(new Float32Array(4), 0, 1, 4, map))).toBe('accepted');
  });

  it('explainImages: the network and the options', () => {
    expect(refusal(() => explainImages('model' as never, set, saliencyMethod()))).toBe('explainImages: network must be a network (createNetwork, loadModel, loadModelFromBytes), not string');
    expect(refusal(() => explainImages(network, set, saliencyMethod(), 3 as never))).toBe('explainImages: options must be an object (its options), not number');
    expect(refusal(() => explainImages(network, set, saliencyMethod(), { seed: '2' } as never))).toBe('explainImages: options.seed must be a number, not string');
  });
});
