/**
 * The conv blocks a CAM method can explain (src/explain/explained-layer.ts), on small networks built here: the
 * blocks of a planned network with their fields, the spatial layers of a network built by hand, the choice by
 * name, the table of `--list-layers`, and the refusals word for word.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { camLayerOf, explainableLayersOf, explainedLayer, findLayer, formatExplainableLayers, layerChoices } from '../src/explain/explained-layer.js';
import { createNetwork, Network } from '../src/model/network.js';
import { GEOMETRY, tinyNetwork } from './fixtures/tiny-network.js';

const NO_CONVOLUTION = 'this network has no convolution, so the CAM methods (grad-cam, grad-cam++, xgrad-cam, layer-cam, hires-cam, score-cam, eigen-cam, guided-grad-cam) have no layer to explain: use an input-gradient or perturbation method (saliency, integrated-gradients, occlusion, …)';

describe('explainable layers', () => {
  const network = tinyNetwork(1); // conv1 relu1 pool1 conv2 relu2 …: 12 → 10 → 5 → 3

  it("lists a planned network's conv blocks by their ends, with conv, shape and receptive field", () => {
    const blocks = explainableLayersOf(network);
    expect(blocks.map((b) => [b.name, b.conv, b.shape])).toEqual([['relu1', 'conv1', [3, 10, 10]], ['relu2', 'conv2', [4, 3, 3]]]);
    expect(blocks.map((b) => b.field)).toEqual([{ size: 3, stride: 1, start: 0, centre: 1 }, { size: 8, stride: 2, start: 0, centre: 3.5 }].map((f) => expect.objectContaining({ size: f.size, stride: f.stride, centre: f.centre })));
  });

  it('lists the spatial layers of a network built by hand, each its own conv, without fields', () => {
    const handBuilt = new Network(new ReferenceBackend(), tinyNetwork(2).layers);
    const blocks = explainableLayersOf(handBuilt);
    expect(blocks.map((b) => [b.name, b.conv, b.shape, b.field])).toEqual([
      ['conv1', 'conv1', [3, 10, 10], null],
      ['relu1', 'relu1', [3, 10, 10], null],
      ['pool1', 'pool1', [3, 5, 5], null],
      ['conv2', 'conv2', [4, 3, 3], null],
      ['relu2', 'relu2', [4, 3, 3], null],
    ]);
    expect(layerChoices(blocks)).toBe('conv1, relu1, pool1, conv2, relu2');
    expect(camLayerOf(handBuilt)).toBe('relu2');
  });

  it('chooses the last block by default, a block by its end or its conv, and refuses any other name', () => {
    expect(explainedLayer(network).name).toBe('relu2');
    expect(camLayerOf(network)).toBe('relu2');
    expect(explainedLayer(network, 'conv1').name).toBe('relu1');
    expect(explainedLayer(network, 'relu1').name).toBe('relu1');
    expect(findLayer(explainableLayersOf(network), 'conv2')?.name).toBe('relu2');
    expect(findLayer(explainableLayersOf(network), 'fc1')).toBeUndefined();
    let caught: unknown;
    try {
      explainedLayer(network, 'pool1');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(XcnnError);
    expect((caught as XcnnError).exitCode).toBe(2);
    expect((caught as XcnnError).option).toBe('layer'); // the command line words it as --layer
    expect((caught as Error).message).toBe("layer: 'pool1' is not a conv block of this network; the choices are relu1 (or conv1), relu2 (or conv2)");
  });

  it('prints the table of blocks, the default marked, and says when there is none', () => {
    expect(formatExplainableLayers(network).split('\n')).toEqual([
      'layer            conv   shape [K, h, w]  receptive field',
      'relu1            conv1  [3, 10, 10]      3×3 pixels, stride 1, cell 0 centred at 1',
      'relu2 (default)  conv2  [4, 3, 3]        8×8 pixels, stride 2, cell 0 centred at 3.5',
    ]);
    const handBuilt = new Network(new ReferenceBackend(), tinyNetwork(3).layers.slice(0, 2));
    expect(formatExplainableLayers(handBuilt).split('\n')).toEqual([
      'layer            conv   shape [K, h, w]  receptive field',
      'conv1            conv1  [3, 10, 10]',
      'relu1 (default)  relu1  [3, 10, 10]',
    ]);
    const mlp = createNetwork(new ReferenceBackend(), 'flatten linear(4)', GEOMETRY);
    expect(formatExplainableLayers(mlp)).toBe(NO_CONVOLUTION);
    let caught: unknown;
    try {
      explainedLayer(mlp);
    } catch (error) {
      caught = error;
    }
    expect((caught as XcnnError).code).toBe('ERR_BAD_MODEL');
    expect((caught as Error).message).toBe(NO_CONVOLUTION);
  });
});
