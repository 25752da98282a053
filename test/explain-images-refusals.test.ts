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
import { explainImages, needsConvLayer, type ExplanationMethod } from '../src/explain/methods/explain.js';
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

describe("a method of one's own whose map is on a conv block (layer 'cam') declares the block it reads", () => {
  // Grad-CAM's own map on the explained block, so only what the method declares differs from the built-in one.
  const gradCam = methodByName('grad-cam');
  const undeclared: ExplanationMethod = { ...gradCam, name: 'my-cam', title: 'My CAM', needs: ['layer-gradients'] };
  const expected = "My CAM: its map is on a conv block's cells (layer 'cam'), but its needs (layer-gradients) leave out 'conv-layer'; add 'conv-layer' to the method's needs";

  it('is refused in one line naming the method and what to declare, wherever it is asked about', () => {
    expect(errorOf(() => needsConvLayer(undeclared), 'ERR_BAD_ARGUMENT').message).toBe(expected);
    expect(errorOf(() => explainImages(network, set, undeclared), 'ERR_BAD_ARGUMENT').message).toBe(expected);
    expect(errorOf(() => explainImages(network, set, undeclared, { placement: 'receptive-field' }), 'ERR_BAD_ARGUMENT').message).toBe(expected);
    const two: ExplanationMethod = { ...undeclared, needs: ['layer-gradients', 'input-gradients'] };
    expect(errorOf(() => needsConvLayer(two), 'ERR_BAD_ARGUMENT').message).toBe("My CAM: its map is on a conv block's cells (layer 'cam'), but its needs (layer-gradients, input-gradients) leave out 'conv-layer'; add 'conv-layer' to the method's needs");
    const none = { ...undeclared, needs: [] };
    expect(errorOf(() => needsConvLayer(none), 'ERR_BAD_ARGUMENT').message).toBe("My CAM: its map is on a conv block's cells (layer 'cam'), but its needs (none) leave out 'conv-layer'; add 'conv-layer' to the method's needs");
  });

  it('is explained like the built-in method once it declares the block, on the layer it names', () => {
    const declared: ExplanationMethod = { ...undeclared, needs: ['conv-layer', 'layer-gradients'] };
    for (const options of [{}, { layer: 'relu1' }, { placement: 'receptive-field' as const }]) {
      const mine = explainImages(network, set, declared, options);
      const builtIn = explainImages(network, set, gradCam, options);
      expect(mine.layer).toBe(builtIn.layer);
      expect(mine.heatmaps).toEqual(builtIn.heatmaps);
    }
    expect(explainImages(network, set, declared, { layer: 'relu1' }).layer).toBe('relu1');
    expect(explainImages(network, set, declared).layer).toBe('relu2');
  });

  it("names the result's layer 'input' for a method that reads a block but maps the input (Guided Grad-CAM)", () => {
    const guidedGradCam = methodByName('guided-grad-cam');
    expect(needsConvLayer(guidedGradCam)).toBe(true);
    expect(explainImages(network, set, guidedGradCam, { layer: 'relu1' }).layer).toBe('input');
  });

  it("refuses a layer that is neither 'cam' nor 'input'", () => {
    const elsewhere = { ...gradCam, title: 'My CAM', layer: 'conv1' } as unknown as ExplanationMethod;
    expect(errorOf(() => needsConvLayer(elsewhere), 'ERR_BAD_ARGUMENT').message).toBe("My CAM: layer must be 'cam' (a map on a conv block's cells) or 'input' (a map on the input's pixels), not 'conv1'");
    expect(errorOf(() => explainImages(network, set, elsewhere, { placement: 'receptive-field' }), 'ERR_BAD_ARGUMENT').message).toBe("My CAM: layer must be 'cam' (a map on a conv block's cells) or 'input' (a map on the input's pixels), not 'conv1'");
  });
});
