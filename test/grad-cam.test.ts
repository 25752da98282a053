/**
 * Grad-CAM: its channel weights α against finite differences (float64 reference backend, a shrunk paper
 * network), the properties that pin its definition down (the target's logit alone, any batching, the
 * predicted class by default, a flat map gives zeros), and `xcnn explain` as a user runs it. The WebAssembly
 * maps against the reference ones, on a network trained on MNIST, are in grad-cam-wasm.test.ts (seconds of
 * training, kept out of the mutation runs).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import type { Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { heatmapFromMap, minMaxNormalize } from '../src/explain/explanation.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY, type Network, type NetworkGeometry, type PaperWidths } from '../src/model/network.js';
import { Random } from '../src/random.js';

/** The paper network's explained layer: the second convolution after its ReLU. */
const GRAD_CAM_LAYER = 'relu2';
import { compareGradient, expectGradientClose, seededValues } from './gradcheck.js';

const SMALL_GEOMETRY: NetworkGeometry = { channels: 1, height: 12, width: 12, classes: 4 };
const SMALL_WIDTHS: PaperWidths = { conv1Channels: 3, conv2Channels: 4, hidden: 6 };

function smallNetwork(seed: number, precision: 'float32' | 'float64' = 'float64', geometry = SMALL_GEOMETRY, widths = SMALL_WIDTHS): Network {
  const network = createPaperNetwork(new ReferenceBackend({ precision }), geometry, widths);
  network.initialize(new Random(seed));
  return network;
}

/** `count` images of random bytes, the shape of the geometry. */
function randomImages(seed: number, count: number, { height, width }: NetworkGeometry = SMALL_GEOMETRY): ImageSet {
  const images = Uint8Array.from(seededValues(seed, count * height * width), (v) => Math.floor(((v + 1) / 2) * 256));
  return { count, height, width, images, labels: new Uint8Array(count) };
}

/** The logit y_c of image n as a function of the explained layer's activations A [K, h, w] (float64). */
function logitOfActivations(network: Network, activations: Float64Array, c: number): number {
  const start = network.layers.findIndex((layer) => layer.name === GRAD_CAM_LAYER) + 1;
  let x: Floats = activations;
  for (const layer of network.layers.slice(start)) x = layer.forward(x, 1);
  return x[c];
}

describe('Grad-CAM (reference backend, float64)', () => {
  it('names itself, the argument and what it must be for each argument of the wrong kind', () => {
    const network = smallNetwork(1);
    const set = randomImages(1, 1);
    expect(() => gradCam('n' as never, set)).toThrow('gradCam: network must be a network (createNetwork, loadModel, loadModelFromBytes), not string');
    expect(() => gradCam(network, null as never)).toThrow('gradCam: set must be an image set (count, height, width, images and labels: loadDataset, createDataset), not null');
    expect(() => gradCam(network, set, 3 as never)).toThrow('gradCam: options must be an object (its options), not number');
    expect(() => gradCam(network, set, { indices: 'x' } as never)).toThrow('gradCam: options.indices must be an array or a typed array of numbers, not string');
  });

  it("weights each channel by the spatial mean of ∂y_c/∂A, as finite differences of the logit say", () => {
    for (const seed of [1, 2, 3]) {
      const network = smallNetwork(seed);
      const set = randomImages(seed, 3);
      const result = gradCam(network, set, { batchSize: 2 });
      const [channels, h, w] = network.layer(GRAD_CAM_LAYER).outputShape;
      for (let n = 0; n < set.count; n++) {
        const c = result.targets[n];
        network.forward(Float64Array.from(set.images.subarray(n * 144, (n + 1) * 144), (v) => v / 255), 1);
        const activations = Float64Array.from(network.activations(GRAD_CAM_LAYER));
        // ∂y_c/∂A by central differences, then α_k = its mean over the h × w positions of channel k.
        const numericGradient = new Float64Array(activations.length);
        const f = () => logitOfActivations(network, activations, c);
        for (let k = 0; k < activations.length; k++) {
          const saved = activations[k];
          activations[k] = saved + 1e-6;
          const plus = f();
          activations[k] = saved - 1e-6;
          const minus = f();
          activations[k] = saved;
          numericGradient[k] = (plus - minus) / 2e-6;
        }
        const numericAlpha = Array.from({ length: channels }, (_, k) => numericGradient.subarray(k * h * w, (k + 1) * h * w).reduce((a, b) => a + b, 0) / (h * w));
        const analyticAlpha = result.weights.subarray(n * channels, (n + 1) * channels);
        const worst = Math.max(...numericAlpha.map((a, k) => Math.abs(a - analyticAlpha[k]) / Math.max(1, Math.abs(a))));
        expect(worst, `seed ${seed} image ${n}: α ${analyticAlpha} vs finite differences ${numericAlpha}`).toBeLessThan(1e-5);

        // And the map is ReLU(Σ_k α_k A_k) of those weights.
        const expectedMap = Array.from({ length: h * w }, (_, p) => Math.max(0, numericAlpha.reduce((sum, a, k) => sum + a * activations[k * h * w + p], 0)));
        const map = result.maps.subarray(n * h * w, (n + 1) * h * w);
        expectedMap.forEach((v, p) => expect(map[p]).toBeCloseTo(v, 5));
      }
    }
  });

  it('agrees with the gradient checker on ∂y_c/∂A that backwardTo returns', () => {
    const network = smallNetwork(9);
    const set = randomImages(9, 1);
    network.forward(Float64Array.from(set.images, (v) => v / 255), 1);
    const activations = Float64Array.from(network.activations(GRAD_CAM_LAYER));
    const dLogits = new Float64Array(SMALL_GEOMETRY.classes);
    dLogits[2] = 1;
    const analytic = Float64Array.from(network.backwardTo(GRAD_CAM_LAYER, dLogits));
    expectGradientClose('∂y_2/∂A', compareGradient(() => logitOfActivations(network, activations, 2), activations, analytic));
  });
});

describe('Grad-CAM (properties)', () => {
  it("a map computed for class c is unchanged when only another class's row of fc2 changes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 3 }), (seed, c, offset) => {
        const other = (c + offset) % SMALL_GEOMETRY.classes;
        const network = smallNetwork(seed, 'float32');
        const set = randomImages(seed, 4);
        const before = gradCam(network, set, { targetClass: c });
        const weight = network.parameter('fc2.weight').value;
        const hidden = SMALL_WIDTHS.hidden;
        const noise = seededValues(seed + 1, hidden + 1);
        for (let i = 0; i < hidden; i++) weight[other * hidden + i] += 3 * noise[i];
        network.parameter('fc2.bias').value[other] += 3 * noise[hidden];
        const after = gradCam(network, set, { targetClass: c });
        expect(after.weights).toEqual(before.weights);
        expect(after.maps).toEqual(before.maps);
        expect(after.heatmaps).toEqual(before.heatmaps);
        expect(after.logits).not.toEqual(before.logits); // the change did reach the network
      }),
      { numRuns: 20 },
    );
  });

  it('gives each image the same map whatever batch it is computed in', () => {
    const network = smallNetwork(4, 'float32');
    const set = randomImages(4, 7);
    const whole = gradCam(network, set, { batchSize: 256 });
    const inThrees = gradCam(network, set, { batchSize: 3 });
    const reordered = gradCam(network, set, { indices: [6, 5, 4, 3, 2, 1, 0], batchSize: 2 });
    expect(inThrees.maps).toEqual(whole.maps);
    const pixels = whole.mapHeight * whole.mapWidth;
    for (let n = 0; n < 7; n++) {
      expect(reordered.maps.subarray((6 - n) * pixels, (7 - n) * pixels)).toEqual(whole.maps.subarray(n * pixels, (n + 1) * pixels));
    }
  });

  it('explains the predicted class by default, and the class asked for otherwise', () => {
    const network = smallNetwork(5, 'float32');
    const set = randomImages(5, 6);
    const result = gradCam(network, set);
    for (let n = 0; n < set.count; n++) {
      const logits = Array.from(result.logits.subarray(n * 4, n * 4 + 4));
      expect(result.predicted[n]).toBe(logits.indexOf(Math.max(...logits)));
      expect(result.targets[n]).toBe(result.predicted[n]);
      const probabilities = result.probabilities.subarray(n * 4, n * 4 + 4);
      expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    }
    expect(Array.from(gradCam(network, set, { targetClass: 3 }).targets)).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it('normalises every heatmap to [0, 1], reaching 1, at the input size', () => {
    const network = smallNetwork(6, 'float32');
    const result = gradCam(network, randomImages(6, 5));
    expect([result.mapHeight, result.mapWidth]).toEqual([3, 3]); // 12 → conv 10 → pool 5 → conv 3
    expect(result.heatmaps.length).toBe(5 * 12 * 12);
    for (let n = 0; n < 5; n++) {
      const heatmap = result.heatmaps.subarray(n * 144, (n + 1) * 144);
      const map = result.maps.subarray(n * 9, (n + 1) * 9);
      expect(Math.min(...heatmap)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...heatmap)).toBe(new Set(map).size > 1 ? 1 : 0);
    }
  });

  it('gives all-zero heatmaps, never NaN, when the layer is silent', () => {
    const network = smallNetwork(7, 'float32');
    network.parameter('conv2.bias').value.fill(-1e3); // every relu2 activation is 0
    const result = gradCam(network, randomImages(7, 3));
    expect(result.maps.every((v) => v === 0)).toBe(true);
    expect(result.heatmaps.every((v) => v === 0)).toBe(true);
  });

  it('refuses an image index or a class outside the set, naming it', () => {
    const network = smallNetwork(8, 'float32');
    const set = randomImages(8, 2);
    expect(() => gradCam(network, set, { indices: [2] })).toThrow(/image index 2 is outside the set of 2 images/);
    expect(() => gradCam(network, set, { targetClass: 4 })).toThrow(XcnnError);
    expect(() => gradCam(network, set, { targetClass: 4 })).toThrow(/class 4 is outside the model's 4 classes/);
  });
});

describe('heatmap from a map', () => {
  it('min–max normalises: the smallest value becomes 0 and the largest 1', () => {
    expect(Array.from(minMaxNormalize(Float32Array.of(2, 4, 3, 6)))).toEqual([0, 0.5, 0.25, 1]);
  });

  it('makes a flat map all zeros, not NaN', () => {
    expect(Array.from(minMaxNormalize(new Float32Array(5).fill(0.3)))).toEqual([0, 0, 0, 0, 0]);
    expect(Array.from(minMaxNormalize(new Float32Array(3)))).toEqual([0, 0, 0]);
    expect(heatmapFromMap(new Float64Array(121), 11, 11, 28, 28).every((v) => v === 0)).toBe(true);
  });

  it('puts the peak of a single hot map cell where that cell lands in the image', () => {
    const map = new Float64Array(121);
    map[5 * 11 + 5] = 2; // the centre cell, whose centre lands at (5 + 0.5)·28/11 − 0.5 = 13.5
    const heatmap = heatmapFromMap(map, 11, 11, 28, 28);
    for (const [y, x] of [[13, 13], [13, 14], [14, 13], [14, 14]]) expect(heatmap[y * 28 + x]).toBe(1);
    expect(heatmap[0]).toBe(0);
  });
});

describe('xcnn explain (CLI)', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
  const work = mkdtempSync(join(tmpdir(), 'xcnn-explain-'));
  const xcnn = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
  // An untrained network of the paper's shape, narrowed so the TypeScript backend is quick; its maps are valid all the same.
  const network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 4, conv2Channels: 6, hidden: 16 });
  network.initialize(new Random(1));
  saveModel(join(work, 'model.safetensors'), network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });

  it('explains test images: prints the JSON, and writes explain.json and a figure per image', () => {
    const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '0,3', '--out', 'ex', '--json');
    expect(run.status, run.stderr).toBe(0);
    const printed = JSON.parse(run.stdout);
    expect(printed).toMatchObject({ model: 'model.safetensors', method: 'grad-cam', layer: 'relu2', placement: 'stretch', count: 2 });
    expect(printed.flatCount).toBe(printed.images.filter((image: { flat: boolean }) => image.flat).length);
    expect(printed.images).toHaveLength(2);
    const [first] = printed.images;
    expect(first.source).toEqual({ testIndex: 0 });
    expect(first.label).toBe(7); // MNIST's first test image is a 7
    expect(first.probabilities).toHaveLength(10);
    expect(first.probabilities.reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 4);
    expect(first.targetClass).toBe(first.predicted);
    expect(first.map).toHaveLength(11);
    expect(first.map[0]).toHaveLength(11);
    expect(first.heatmap).toHaveLength(28);
    expect(first.heatmap.flat().every((v: number) => v >= 0 && v <= 1)).toBe(true);
    expect(JSON.parse(readFileSync(join(work, 'ex', 'explain.json'), 'utf8'))).toEqual(printed);
    for (const name of ['test-0-grad-cam.png', 'test-3-grad-cam.png']) {
      const png = PNG.sync.read(readFileSync(join(work, 'ex', name)));
      expect(png.width).toBeGreaterThan(3 * 224); // three panels of 28 × 8 pixels
    }
  });

  it('explains the class given by --class, and a PNG of a digit given by --image', () => {
    const picture = new PNG({ width: 40, height: 60 });
    for (let y = 0; y < 60; y++) for (let x = 0; x < 40; x++) picture.data.set(x >= 16 && x < 24 && y >= 8 && y < 52 ? [0, 0, 0, 255] : [255, 255, 255, 255], 4 * (y * 40 + x));
    writeFileSync(join(work, 'one.png'), PNG.sync.write(picture));
    const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--image', 'one.png', '--class', '1', '--out', 'mine', '--json');
    expect(run.status, run.stderr).toBe(0);
    const [explanation] = JSON.parse(run.stdout).images;
    expect(explanation.source).toEqual({ file: 'one.png' });
    expect(explanation.targetClass).toBe(1);
    expect(explanation.inverted).toBe(true);
    expect(explanation.input).toHaveLength(28);
    expect(existsSync(join(work, 'mine', 'image-one-grad-cam.png'))).toBe(true);
  });

  it('says where it wrote what, without --json', () => {
    const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '1-2', '--out', 'ex2', '--colormap', 'viridis');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/test #1: true 2, predicted \d \(>?[\d.]+%\); Grad-CAM for \d( \(flat\))? → ex2\/test-1-grad-cam\.png/);
    expect(run.stdout).toMatch(/Grad-CAM of 2 image\(s\) in [\d.]+ s on the ts backend; wrote ex2\/explain\.json and 2 figure\(s\)/);
  });

  it.each([
    [['--index', '0', '--image', 'one.png'], 2, /--image and --index both choose the images to explain: give one/],
    [[], 2, /give either --index/],
    [['--index', '10000'], 2, /--index: '10000' is not a whole number from 0 to 9999/],
    [['--index', '5-2'], 2, /the range '5-2' ends before it starts/],
    [['--index', '0', '--class', '10'], 2, /--class: '10' is not a whole number from 0 to 9/],
    [['--index', '0', '--colormap', 'rainbow'], 2, /--colormap: 'rainbow' is not one of jet, viridis/],
    [['--image', 'missing.png'], 1, /missing\.png: cannot read the image: no such file/],
    [['--image', 'model.safetensors'], 1, /model\.safetensors: not a PNG or JPEG file/],
  ])('refuses %j with status %i and one line naming the problem', (args, status, message) => {
    const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', ...(args as string[]));
    expect(run.status).toBe(status);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(message as RegExp);
  });

  it('documents its flags in --help', () => {
    const help = xcnn('explain', '--help').stdout;
    for (const flag of ['--model', '--index', '--image', '--class', '--out', '--json', '--colormap', '--data', '--backend', '--figures']) expect(help).toContain(flag);
  });
});
