/**
 * Explanations on networks that are not the paper's: a 3-channel net with batch norm, padding, a strided
 * conv and global average pooling on 3 × 10 × 10, a LeNet-like 1 × 12 × 12 net with average pooling, and a
 * network with no convolution at all. Every method runs on the reference and the wasm backend; the CAM maps
 * on a chosen block are the formulas on that block's activations and finite-difference gradients; the
 * receptive-field placement comes from the network and matches the field worked out by hand; the
 * faithfulness measures run end to end; a CAM method on the network without a conv refuses in one line.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { Backend } from '../src/backend/backend.js';
import { XcnnError } from '../src/errors.js';
import { explainClassMeans } from '../src/explain/class-means.js';
import { explainedLayer, explainableLayersOf, formatExplainableLayers } from '../src/explain/explained-layer.js';
import { heatmapFromMap } from '../src/explain/explanation.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { METHOD_NAMES, methodByName, type MethodOptions } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { placeMap } from '../src/explain/placement.js';
import { measureFaithfulness } from '../src/faithfulness/faithfulness.js';
import { EVALUATION } from '../src/model/layer.js';
import type { Network, NetworkGeometry } from '../src/model/network.js';
import { COLOUR_GEOMETRY, COLOUR_SPEC, LENET_GEOMETRY, LENET_SPEC, randomSet, seededNetwork } from './fixtures/any-networks.js';
import { wasm } from './wasm-fixtures.js';

const MLP_SPEC = 'flatten linear(5) relu linear(3)';
const MLP_GEOMETRY: NetworkGeometry = { channels: 1, height: 6, width: 6, classes: 3 };

/** Options that keep the many-pass methods quick on tiny images. */
const QUICK: MethodOptions = {
  smoothGrad: { samples: 3 },
  integratedGradients: { steps: 8 },
  occlusion: { window: 3, stride: 2 },
  kernelShap: { patch: 3, samples: 40 },
  lime: { patch: 3, samples: 40 },
};

const float64 = new ReferenceBackend({ precision: 'float64' });

describe.each([
  ['reference', () => new ReferenceBackend()],
  ['wasm', () => wasm],
] as const)('every method on non-paper networks (%s backend)', (_, makeBackend) => {
  it.each([
    ['3×10×10 with bn, padding, a strided conv and gap', COLOUR_SPEC, COLOUR_GEOMETRY],
    ['1×12×12 LeNet-like with avgpool', LENET_SPEC, LENET_GEOMETRY],
  ] as const)('%s: finite maps of the right shape, on the default block and on the first', (_, spec, geometry) => {
    const network = seededNetwork(makeBackend(), spec, geometry, 3);
    const set = randomSet(geometry, 3, 4);
    const [first, last] = explainableLayersOf(network);
    for (const name of METHOD_NAMES) {
      const method = methodByName(name, QUICK);
      for (const layer of [undefined, first.conv]) {
        const result = explainImages(network, set, method, { layer });
        const block = layer === undefined ? last : first;
        const [h, w] = method.layer === 'cam' ? block.shape.slice(1) : [geometry.height, geometry.width];
        expect([result.mapHeight, result.mapWidth], `${name} on ${layer ?? 'the default'}`).toEqual([h, w]);
        expect(result.layer).toBe(method.layer === 'cam' ? block.name : 'input');
        expect(result.maps).toHaveLength(3 * h * w);
        expect(result.heatmaps).toHaveLength(3 * geometry.height * geometry.width);
        expect(result.maps.every(Number.isFinite), name).toBe(true);
        expect(result.heatmaps.every((v) => v >= 0 && v <= 1), name).toBe(true);
        expect(result.probabilities.every(Number.isFinite)).toBe(true);
      }
    }
  });
});

/**
 * y_c as a function of block `layer`'s activations A [K, h, w] of one image: the layers after it run on A
 * (float64 reference backend), so central differences give ∂y_c/∂A independently of the backward pass.
 */
function finiteDifferenceGradients(network: Network, layer: string, activations: Float64Array, target: number): Float64Array {
  const tail = network.layers.slice(network.layers.findIndex((l) => l.name === layer) + 1);
  const logit = (a: Float64Array) => {
    let x = network.backend.allocFloats(a.length);
    x.set(a);
    for (const l of tail) x = l.forward(x, 1, EVALUATION);
    return x[target];
  };
  const h = 1e-6;
  return Float64Array.from(activations, (_, i) => {
    const up = Float64Array.from(activations);
    const down = Float64Array.from(activations);
    up[i] += h;
    down[i] -= h;
    return (logit(up) - logit(down)) / (2 * h);
  });
}

describe('CAM methods on a chosen block are the formulas on its activations and finite-difference gradients', () => {
  it.each([
    ['conv1 of the colour net (its block ends at relu1, after bn)', COLOUR_SPEC, COLOUR_GEOMETRY, 'conv1', 'relu1'],
    ['relu2 of the colour net (the default, before gap)', COLOUR_SPEC, COLOUR_GEOMETRY, 'relu2', 'relu2'],
    ['relu1 of the LeNet-like net (before avgpool)', LENET_SPEC, LENET_GEOMETRY, 'relu1', 'relu1'],
  ] as const)('%s', (_, spec, geometry, asked, blockEnd) => {
    const network = seededNetwork(float64, spec, geometry, 11);
    const set = randomSet(geometry, 2, 12);
    const target = 1;
    const [channels, h, w] = network.layer(blockEnd).outputShape;
    const pixels = h * w;
    const results = Object.fromEntries(['grad-cam', 'hires-cam', 'layer-cam'].map((name) => [name, explainImages(network, set, methodByName(name), { layer: asked, targetClass: target })]));
    const driver = gradCam(network, set, { layer: asked, targetClass: target });
    expect(driver.layer).toBe(blockEnd);
    let largest = 0;
    for (let n = 0; n < set.count; n++) {
      // A by a forward pass of image n alone, G by central differences through the layers after the block.
      const input = float64.allocFloats(geometry.channels * geometry.height * geometry.width);
      for (let i = 0; i < input.length; i++) input[i] = set.images[n * input.length + i] / 255;
      network.forward(input, 1);
      const a = Float64Array.from(network.activations(blockEnd).subarray(0, channels * pixels));
      const g = finiteDifferenceGradients(network, blockEnd, a, target);
      const expected: Record<string, Float64Array> = { 'grad-cam': new Float64Array(pixels), 'hires-cam': new Float64Array(pixels), 'layer-cam': new Float64Array(pixels) };
      for (let k = 0; k < channels; k++) {
        let alpha = 0;
        for (let p = 0; p < pixels; p++) alpha += g[k * pixels + p] / pixels;
        for (let p = 0; p < pixels; p++) {
          expected['grad-cam'][p] += alpha * a[k * pixels + p];
          expected['hires-cam'][p] += g[k * pixels + p] * a[k * pixels + p];
          expected['layer-cam'][p] += Math.max(0, g[k * pixels + p]) * a[k * pixels + p];
        }
      }
      for (const [name, map] of Object.entries(expected)) {
        const scale = Math.max(1e-12, ...map.map(Math.abs));
        for (let p = 0; p < pixels; p++) {
          const difference = Math.abs(results[name].maps[n * pixels + p] - Math.max(0, map[p])) / scale;
          largest = Math.max(largest, difference);
          expect(difference, `${name} image ${n} cell ${p}`).toBeLessThan(1e-6);
        }
      }
      for (let p = 0; p < pixels; p++) expect(driver.maps[n * pixels + p]).toBe(results['grad-cam'].maps[n * pixels + p]);
    }
    console.log(`${asked}: largest relative difference from the formulas with finite-difference gradients ${largest.toExponential(2)}`);
  });
});

describe('receptive-field placement from the network', () => {
  it('gives the fields worked out by hand for each block', () => {
    // Colour net: conv1 (3×3, pad 1) → cell j sees pixels j−1 … j+1; conv2 (3×3, stride 2) → cell i sees relu1
    // cells 2i … 2i+2, so pixels 2i−1 … 2i+3: 5 pixels at stride 2, centred at 2i + 1.
    const colour = seededNetwork(float64, COLOUR_SPEC, COLOUR_GEOMETRY, 1);
    expect(explainableLayersOf(colour).map((b) => [b.name, b.conv, b.shape, b.field])).toEqual([
      ['relu1', 'conv1', [4, 10, 10], { stride: 1, size: 3, centre: 0 }],
      ['relu2', 'conv2', [6, 4, 4], { stride: 2, size: 5, centre: 1 }],
    ]);
    // LeNet-like: conv1 (3×3) → pixels j … j+2; avgpool(2) → pool cell m sees conv cells 2m, 2m+1, pixels 2m … 2m+3;
    // conv2 (3×3, pad 1) → cell i sees pool cells i−1 … i+1, pixels 2i−2 … 2i+5: 8 at stride 2, centred at 2i + 1.5.
    const lenet = seededNetwork(float64, LENET_SPEC, LENET_GEOMETRY, 1);
    expect(explainableLayersOf(lenet).map((b) => b.field)).toEqual([
      { stride: 1, size: 3, centre: 1 },
      { stride: 2, size: 8, centre: 1.5 },
    ]);
  });

  it('places each cell of a block map at its field\'s centre: a one-hot cell i peaks at pixel 2i + 1 on the colour net', () => {
    const field = { stride: 2, size: 5, centre: 1 };
    for (let i = 0; i < 4; i++) {
      const map = Float64Array.from({ length: 16 }, (_, c) => (c === i * 4 + i ? 1 : 0));
      const placed = placeMap(map, 4, 4, 10, 10, 'receptive-field', field);
      expect(placed[(2 * i + 1) * 10 + (2 * i + 1)]).toBe(1);
    }
  });

  it('is what explainImages uses for the chosen block\'s heatmaps', () => {
    const network = seededNetwork(float64, LENET_SPEC, LENET_GEOMETRY, 5);
    const set = randomSet(LENET_GEOMETRY, 2, 6);
    for (const [layer, field] of [['conv1', { stride: 1, size: 3, centre: 1 }], [undefined, { stride: 2, size: 8, centre: 1.5 }]] as const) {
      const result = explainImages(network, set, methodByName('grad-cam'), { placement: 'receptive-field', layer });
      const { mapHeight: h, mapWidth: w } = result;
      for (let n = 0; n < 2; n++) {
        const expected = heatmapFromMap(result.maps.subarray(n * h * w, (n + 1) * h * w), h, w, 12, 12, 'receptive-field', field);
        expect(Array.from(result.heatmaps.subarray(n * 144, (n + 1) * 144))).toEqual(Array.from(expected));
      }
    }
  });
});

describe('choosing the block', () => {
  it('takes a block end\'s name or its conv\'s, and refuses any other name in one line listing the choices', () => {
    const network = seededNetwork(float64, COLOUR_SPEC, COLOUR_GEOMETRY, 1);
    expect(explainedLayer(network).name).toBe('relu2');
    expect(explainedLayer(network, 'conv1').name).toBe('relu1');
    expect(explainedLayer(network, 'relu1').name).toBe('relu1');
    const set = randomSet(COLOUR_GEOMETRY, 1, 1);
    for (const name of ['bn1', 'fc1', 'pool1', 'nothing']) {
      expect(() => explainImages(network, set, methodByName('grad-cam'), { layer: name })).toThrow(XcnnError);
      expect(() => gradCam(network, set, { layer: name })).toThrow(`layer: '${name}' is not a conv block of this network; the choices are relu1 (or conv1), relu2 (or conv2)`);
    }
  });

  it('lists the blocks with their shapes and receptive fields, the default marked', () => {
    const network = seededNetwork(float64, COLOUR_SPEC, COLOUR_GEOMETRY, 1);
    expect(formatExplainableLayers(network).split('\n')).toEqual([
      'layer            conv   shape [K, h, w]  receptive field',
      'relu1            conv1  [4, 10, 10]      3×3 pixels, stride 1, cell 0 centred at 0',
      'relu2 (default)  conv2  [6, 4, 4]        5×5 pixels, stride 2, cell 0 centred at 1',
    ]);
  });
});

describe('a network without a convolution', () => {
  const network = seededNetwork(float64, MLP_SPEC, MLP_GEOMETRY, 2);
  const set = randomSet(MLP_GEOMETRY, 2, 3);
  const CAM_METHODS = ['grad-cam', 'grad-cam++', 'xgrad-cam', 'layer-cam', 'hires-cam', 'score-cam', 'eigen-cam', 'guided-grad-cam'];

  it('refuses every CAM method in one line, before any pass', () => {
    for (const name of CAM_METHODS) {
      let forwards = 0;
      const forward = network.forward.bind(network);
      network.forward = (...args) => {
        forwards++;
        return forward(...args);
      };
      try {
        expect(() => explainImages(network, set, methodByName(name))).toThrow(/^this network has no convolution, so the CAM methods .* have no layer to explain: use an input-gradient or perturbation method/);
      } finally {
        network.forward = forward;
      }
      expect(forwards, name).toBe(0);
    }
    expect(() => gradCam(network, set)).toThrow(/has no convolution/);
    expect(() => explainClassMeans(network, set, 'score-cam')).toThrow(/has no convolution/);
    expect(() => measureFaithfulness(network, set, [0, 1], { methods: ['saliency', 'grad-cam'] })).toThrow(/has no convolution/);
  });

  it('explains with every other method', () => {
    for (const name of METHOD_NAMES.filter((m) => !CAM_METHODS.includes(m))) {
      const result = explainImages(network, set, methodByName(name, QUICK));
      expect([result.mapHeight, result.mapWidth]).toEqual([6, 6]);
      expect(result.maps.every(Number.isFinite), name).toBe(true);
    }
  });
});

describe('colour inputs', () => {
  it('input-level maps on 3 channels are one H × W map: Σ_c for gradient × input, max_c |·| for saliency', () => {
    const network = seededNetwork(float64, COLOUR_SPEC, COLOUR_GEOMETRY, 7);
    const set = randomSet(COLOUR_GEOMETRY, 1, 8);
    const saliency = explainImages(network, set, methodByName('saliency'), { targetClass: 0 });
    const times = explainImages(network, set, methodByName('gradient-x-input'), { targetClass: 0 });
    // ∂y_0/∂x by central differences on the whole input.
    const input = Float64Array.from(set.images, (v) => v / 255);
    const logit = (x: Float64Array) => {
      const buffer = float64.allocFloats(x.length);
      buffer.set(x);
      return network.forward(buffer, 1)[0];
    };
    const pixels = 100;
    for (let p = 0; p < pixels; p += 7) {
      let largest = 0;
      let sum = 0;
      for (let c = 0; c < 3; c++) {
        const i = c * pixels + p;
        const up = Float64Array.from(input);
        const down = Float64Array.from(input);
        up[i] += 1e-6;
        down[i] -= 1e-6;
        const g = (logit(up) - logit(down)) / 2e-6;
        largest = Math.max(largest, Math.abs(g));
        sum += input[i] * g;
      }
      expect(saliency.maps[p]).toBeCloseTo(largest, 6);
      expect(times.maps[p]).toBeCloseTo(sum, 6);
    }
  });

  it('refuses images whose channels do not match the model, naming both shapes', () => {
    const network = seededNetwork(float64, COLOUR_SPEC, COLOUR_GEOMETRY, 7);
    const grey = randomSet({ ...COLOUR_GEOMETRY, channels: 1 }, 1, 8);
    expect(() => explainImages(network, grey, methodByName('saliency'))).toThrow('Saliency: the images are 10×10 but the model takes 3×10×10');
  });
});

describe('faithfulness on non-paper networks', () => {
  it.each([
    ['the colour net', COLOUR_SPEC, COLOUR_GEOMETRY],
    ['the LeNet-like net', LENET_SPEC, LENET_GEOMETRY],
  ] as const)('runs every measure end to end on %s', (_, spec, geometry) => {
    const network = seededNetwork(new ReferenceBackend(), spec, geometry, 21);
    const before = network.params.slice();
    const set = randomSet(geometry, 3, 22);
    const methods = ['grad-cam', 'score-cam', 'saliency', 'occlusion', 'guided-grad-cam'];
    const result = measureFaithfulness(network, set, [0, 1, 2], { methods, steps: 5, randomisationImages: 2, methodOptions: QUICK, layer: 'conv1' });
    expect(result.methods.map((m) => m.method).sort()).toEqual([...methods].sort());
    for (const m of result.methods) {
      for (const value of [m.deletion.zero, m.deletion.road, m.insertion.zero, m.insertion.road]) expect(value >= 0 && value <= 1, m.method).toBe(true);
      expect(Number.isFinite(m.randomisation.spearman)).toBe(true);
      expect(Number.isFinite(m.randomisation.ssim)).toBe(true);
      expect(m.pointingGame.hits + m.pointingGame.misses).toBe(3);
      expect(result.heatmaps[m.method]).toHaveLength(3 * geometry.height * geometry.width);
    }
    expect(Array.from(network.params)).toEqual(Array.from(before));
  });
});
