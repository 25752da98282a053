/**
 * What explainImages (src/explain/methods/explain.ts) and methodByName (by-name.ts) hand back beyond their
 * messages: the code of each refusal of a run's settings (ERR_BAD_ARGUMENT, a usage error), the option an
 * unknown method name is about, and no parameter gradient left behind by a method that accumulated some.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { explainedLayer } from '../src/explain/explained-layer.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';
import { explainImages, type ExplanationMethod } from '../src/explain/methods/explain.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { inputMapShape } from '../src/explain/methods/input-gradients.js';
import { errorOf } from './errors.js';
import { LENET_GEOMETRY, LENET_SPEC, randomSet, seededNetwork } from './fixtures/any-networks.js';

const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), LENET_SPEC, LENET_GEOMETRY, 3);
const set = randomSet(LENET_GEOMETRY, 2, 5);

describe('explainImages refusals carry ERR_BAD_ARGUMENT', () => {
  it('a batch size below 1', () => {
    expect(errorOf(() => explainImages(network, set, methodByName('saliency'), { batchSize: 0 }), 'ERR_BAD_ARGUMENT').message).toBe('Saliency: batchSize must be a whole number ≥ 1, not 0');
  });

  it('a placement for a map already on the input', () => {
    expect(errorOf(() => explainImages(network, set, methodByName('saliency'), { placement: 'receptive-field' }), 'ERR_BAD_ARGUMENT').message).toBe(
      "Saliency: its map is already on the input's 12 × 12 pixels; placement 'receptive-field' is for the CAM family's relu2 maps only",
    );
  });

  it('a receptive-field placement on a network built by hand (its blocks have no field)', () => {
    const handBuilt = new Network(new ReferenceBackend({ precision: 'float64' }), tinyNetwork(2).layers);
    handBuilt.initialize(new Random(2));
    const tinySet = { count: 1, height: GEOMETRY.height, width: GEOMETRY.width, images: new Uint8Array(PIXELS), labels: new Uint8Array(1) };
    const layer = explainedLayer(handBuilt).name;
    expect(errorOf(() => explainImages(handBuilt, tinySet, methodByName('grad-cam'), { placement: 'receptive-field' }), 'ERR_BAD_ARGUMENT').message).toBe(
      `Grad-CAM: ${layer} has no receptive field (the network was not built from a spec); use placement 'stretch'`,
    );
  });
});

describe('methodByName', () => {
  it("an unknown name is an error about the option 'method'", () => {
    const error = errorOf(() => methodByName('gradcam'), 'ERR_BAD_ARGUMENT');
    expect(error.option).toBe('method');
  });
});

describe('explainImages leaves no parameter gradient behind', () => {
  it('even when the method accumulated some (a backward pass with parameter gradients)', () => {
    const accumulating: ExplanationMethod = {
      name: 'mine',
      title: 'Mine',
      layer: 'input',
      mapShape: inputMapShape,
      explainBatch: (net, input, size, _target, out, dLogits) => {
        const logits = net.forward(input, size);
        out.logits.set(logits);
        dLogits.fill(1);
        net.backwardToInput(dLogits); // parameter gradients accumulate (the default)
        expect(net.parameters.some((p) => p.grad.some((g) => g !== 0))).toBe(true);
      },
    };
    explainImages(network, set, accumulating);
    expect(network.parameters.every((p) => p.grad.every((g) => g === 0))).toBe(true);
  });
});
