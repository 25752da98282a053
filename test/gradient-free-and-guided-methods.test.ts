/**
 * Eigen-CAM, Score-CAM, Guided Backpropagation and Guided Grad-CAM (src/explain/methods/eigen-cam.ts,
 * score-cam.ts, guided.ts), each against its definition computed a second, independent way: Eigen-CAM's
 * principal component against Jacobi's eigenvalue algorithm and a rank-1 matrix whose answer is known
 * (Score-CAM's weights against masked images run one by one are in score-cam.test.ts); Guided Backprop
 * against a guided backward of the tiny network written out by hand, and the reduction it must satisfy (no negative gradient anywhere: the
 * ordinary gradient); Guided Grad-CAM as the product of its two factors; both backends agreeing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { relativeDifference } from './fixtures/compare.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { ImageSet } from '../src/data/dataset.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { eigenCamMap } from '../src/explain/methods/eigen-cam.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { resizeBilinear } from '../src/explain/resize.js';
import type { Conv2d } from '../src/model/conv2d.js';
import type { Dense } from '../src/model/dense.js';
import { saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY, type Network } from '../src/model/network.js';
import type { ReLU } from '../src/model/relu.js';
import { Random } from '../src/random.js';
import { seededValues } from './gradcheck.js';

/** The paper network's explained layer: the second convolution after its ReLU. */
const GRAD_CAM_LAYER = 'relu2';
import { GEOMETRY, PIXELS, tinyNetwork, WIDTHS } from './fixtures/tiny-network.js';

function randomImages(seed: number, count: number): ImageSet {
  const images = Uint8Array.from(seededValues(seed, count * PIXELS), (v) => Math.floor(((v + 1) / 2) * 256));
  return { count, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: new Uint8Array(count) };
}

function imageOf(set: ImageSet, n: number): Float64Array {
  return Float64Array.from(set.images.subarray(n * PIXELS, (n + 1) * PIXELS), (v) => v / 255);
}

/**
 * The eigenvalues and eigenvectors of a symmetric matrix [n, n] by cyclic Jacobi rotations (Golub & Van Loan
 * §8.5): a different algorithm from the power iteration under test. Returns the largest eigenvalue, its
 * eigenvector and the second largest eigenvalue.
 */
function jacobiLeading(matrix: Float64Array, n: number): { first: number; second: number; vector: Float64Array } {
  const a = Float64Array.from(matrix);
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  // Converged when the off-diagonal part is negligible RELATIVE to the matrix (an absolute threshold left a
  // matrix of 1e-18s unrotated: a counterexample fast-check found with activations of 1e-9).
  let total = 0;
  for (let k = 0; k < n * n; k++) total += a[k] ** 2;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += a[p * n + q] ** 2;
    if (off <= 1e-30 * total) break;
    for (let p = 0; p < n; p++) {
      for (let q = p + 1; q < n; q++) {
        if (a[p * n + q] === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * a[p * n + q]);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // columns p and q of a, then rows p and q: a ← Jᵀ a J
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => a[j * n + j] - a[i * n + i]);
  return {
    first: a[order[0] * n + order[0]],
    second: n > 1 ? a[order[1] * n + order[1]] : 0,
    vector: Float64Array.from({ length: n }, (_, k) => v[k * n + order[0]]),
  };
}

/** Eigen-CAM of A [K, P] the second way: XᵀX's leading eigenvector by Jacobi, X v, the sign making Σ_p m_p s_p ≥ 0, ReLU. */
function eigenCamByJacobi(activations: Float64Array, channels: number, pixels: number): { map: Float64Array; gap: number } {
  const gram = new Float64Array(channels * channels);
  for (let k = 0; k < channels; k++) {
    for (let l = 0; l < channels; l++) {
      for (let p = 0; p < pixels; p++) gram[k * channels + l] += activations[k * pixels + p] * activations[l * pixels + p];
    }
  }
  const { first, second, vector } = jacobiLeading(gram, channels);
  const map = new Float64Array(pixels);
  let dot = 0;
  for (let p = 0; p < pixels; p++) {
    let sum = 0;
    for (let k = 0; k < channels; k++) {
      map[p] += activations[k * pixels + p] * vector[k];
      sum += activations[k * pixels + p];
    }
    dot += map[p] * sum;
  }
  const sign = dot < 0 ? -1 : 1;
  return { map: map.map((m) => Math.max(0, sign * m)), gap: first > 0 ? second / first : 0 };
}

describe('Eigen-CAM', () => {
  const nonNegativeMatrices = fc
    .record({ channels: fc.integer({ min: 1, max: 6 }), pixels: fc.integer({ min: 1, max: 12 }) })
    .chain(({ channels, pixels }) =>
      fc.record({
        channels: fc.constant(channels),
        pixels: fc.constant(pixels),
        values: fc.array(fc.oneof(fc.constant(0), fc.double({ min: 0, max: 3, noNaN: true })), { minLength: channels * pixels, maxLength: channels * pixels }),
      }),
    );

  it('is the projection on the leading eigenvector of XᵀX that Jacobi rotations find, for non-negative activations', () => {
    let worst = 0;
    fc.assert(
      fc.property(nonNegativeMatrices, ({ channels, pixels, values }) => {
        const activations = Float64Array.from(values);
        const expected = eigenCamByJacobi(activations, channels, pixels);
        fc.pre(expected.gap < 0.95); // a leading eigenvector worth the name: not a near tie
        const map = new Float64Array(pixels);
        eigenCamMap(activations, 0, channels, pixels, map);
        const difference = relativeDifference(map, expected.map);
        worst = Math.max(worst, difference);
        expect(difference).toBeLessThan(1e-7);
      }),
      { numRuns: 300 },
    );
    console.log(`Eigen-CAM vs Jacobi: largest relative difference ${worst.toExponential(2)}`);
  });

  it('on a rank-1 activation matrix A_kp = v_k u_p (u, v ≥ 0) is u·|v|, exactly the known first component', () => {
    const u = [0, 0.5, 2, 1.25, 0, 3, 0.1, 0, 0.75];
    const v = [1, 0, 2, 0.5];
    const activations = Float64Array.from({ length: v.length * u.length }, (_, i) => v[Math.floor(i / u.length)] * u[i % u.length]);
    const map = new Float64Array(u.length);
    eigenCamMap(activations, 0, v.length, u.length, map);
    const norm = Math.hypot(...v);
    for (let p = 0; p < u.length; p++) expect(map[p]).toBeCloseTo(u[p] * norm, 12);
  });

  it('is all zeros, not NaN, for all-zero activations', () => {
    const map = new Float64Array(9).fill(7);
    eigenCamMap(new Float64Array(4 * 9), 0, 4, 9, map);
    expect(Array.from(map)).toEqual(new Array(9).fill(0));
  });

  it('is class-agnostic: the maps are the same whatever the target class, and only the reported target changes', () => {
    const network = tinyNetwork(5);
    const set = randomImages(5, 4);
    const byClass = [0, 1, 2, 3].map((targetClass) => explainImages(network, set, methodByName('eigen-cam'), { targetClass }));
    for (const result of byClass) expect(Array.from(result.maps)).toEqual(Array.from(byClass[0].maps));
    expect(byClass.map((r) => r.targets[0])).toEqual([0, 1, 2, 3]);
    expect(methodByName('eigen-cam').classAgnostic).toBe(true);
    expect(Math.max(...byClass[0].maps)).toBeGreaterThan(0);
  });
});

/** The tiny network's forward pass keeping what a hand-written backward needs. */
function guidedByHand(network: Network, image: Float64Array, c: number): Float64Array {
  network.forward(image, 1);
  const conv1 = network.layer<Conv2d>('conv1');
  const conv2 = network.layer<Conv2d>('conv2');
  const fc1 = network.layer<Dense>('fc1');
  const fc2 = network.layer<Dense>('fc2');
  const a1 = network.layer<ReLU>('relu1').activations(); // [C1, H1, W1]
  const a2 = network.layer<ReLU>('relu2').activations(); // [C2, H2, W2]
  const a3 = network.layer<ReLU>('relu3').activations(); // [hidden]
  const [C1, H1, W1] = conv1.outputShape;
  const [C2, H2, W2] = conv2.outputShape;
  const [, Hp, Wp] = conv2.inputShape;
  const hidden = a3.length;
  const guide = (d: number, out: number) => (out > 0 && d > 0 ? d : 0);

  // fc2: d3 = W2ᵀ e_c, then relu3's guided rule
  const d3 = Array.from({ length: hidden }, (_, j) => guide(fc2.weight.value[c * hidden + j], a3[j]));
  // fc1: d2 = W1ᵀ d3 over the flattened relu2, then relu2's rule
  const flat = C2 * H2 * W2;
  const d2 = Array.from({ length: flat }, (_, i) => guide(d3.reduce((s, dj, j) => s + dj * fc1.weight.value[j * flat + i], 0), a2[i]));
  // conv2: the transposed convolution into pool1's output [C1, Hp, Wp]
  const dPool = new Float64Array(C1 * Hp * Wp);
  for (let f = 0; f < C2; f++) {
    for (let y = 0; y < H2; y++) {
      for (let x = 0; x < W2; x++) {
        for (let ch = 0; ch < C1; ch++) {
          for (let i = 0; i < 3; i++) {
            for (let j = 0; j < 3; j++) dPool[(ch * Hp + y + i) * Wp + x + j] += conv2.weight.value[((f * C1 + ch) * 3 + i) * 3 + j] * d2[(f * H2 + y) * W2 + x];
          }
        }
      }
    }
  }
  // pool1: each window's gradient to its first maximum, then relu1's rule
  const d1 = new Float64Array(C1 * H1 * W1);
  for (let ch = 0; ch < C1; ch++) {
    for (let y = 0; y < Hp; y++) {
      for (let x = 0; x < Wp; x++) {
        let best = -1;
        for (const [i, j] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
          const at = (ch * H1 + 2 * y + i) * W1 + 2 * x + j;
          if (best < 0 || a1[at] > a1[best]) best = at;
        }
        d1[best] = dPool[(ch * Hp + y) * Wp + x];
      }
    }
  }
  for (let i = 0; i < d1.length; i++) d1[i] = guide(d1[i], a1[i]);
  // conv1: the transposed convolution into the input [1, H, W]
  const { height, width } = GEOMETRY;
  const dInput = new Float64Array(height * width);
  for (let f = 0; f < C1; f++) {
    for (let y = 0; y < H1; y++) {
      for (let x = 0; x < W1; x++) {
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) dInput[(y + i) * width + x + j] += conv1.weight.value[(f * 3 + i) * 3 + j] * d1[(f * H1 + y) * W1 + x];
        }
      }
    }
  }
  return dInput;
}

describe('Guided Backpropagation', () => {
  it('equals a guided backward of the tiny network written out by hand in float64', () => {
    const network = tinyNetwork(8);
    const set = randomImages(8, 3);
    const result = explainImages(network, set, methodByName('guided-backprop'), { batchSize: 2 });
    let worst = 0;
    for (let n = 0; n < set.count; n++) {
      const expected = guidedByHand(network, imageOf(set, n), result.targets[n]);
      worst = Math.max(worst, relativeDifference(result.maps.subarray(n * PIXELS, (n + 1) * PIXELS), expected));
    }
    console.log(`Guided Backprop vs the hand-written guided backward: largest relative difference ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6);
  });

  it('is the ordinary gradient when no negative gradient ever reaches a ReLU (non-negative conv2, fc1, fc2), and differs from it otherwise', () => {
    const network = tinyNetwork(9);
    const image = imageOf(randomImages(9, 1), 0);
    const dLogits = Float64Array.from([0, 0, 1, 0]);
    const gradients = () => {
      network.forward(image, 1);
      const ordinary = Array.from(network.backwardToInput(dLogits));
      network.forward(image, 1);
      return { ordinary, guided: Array.from(network.backwardToInput(dLogits, 'guided')) };
    };
    const signedWeights = gradients();
    expect(relativeDifference(signedWeights.guided, signedWeights.ordinary)).toBeGreaterThan(1e-3);
    for (const name of ['conv2.weight', 'fc1.weight', 'fc2.weight']) {
      const weight = network.parameter(name).value;
      for (let i = 0; i < weight.length; i++) weight[i] = Math.abs(weight[i]);
    }
    const { ordinary, guided } = gradients();
    expect(guided).toEqual(ordinary);
    expect(Math.max(...ordinary.map(Math.abs))).toBeGreaterThan(0);
  });

  it('leaves the ordinary backward pass as it was: the same input gradient before and after a guided pass', () => {
    const network = tinyNetwork(10);
    const image = imageOf(randomImages(10, 1), 0);
    const dLogits = Float64Array.from([0, 1, 0, 0]);
    network.forward(image, 1);
    const before = Float64Array.from(network.backwardToInput(dLogits));
    network.forward(image, 1);
    network.backwardToInput(dLogits, 'guided');
    network.forward(image, 1);
    expect(Array.from(network.backwardToInput(dLogits))).toEqual(Array.from(before));
  });
});

describe('Guided Grad-CAM', () => {
  it('is Guided Backprop ⊙ the Grad-CAM map upsampled to the input, pixel by pixel', () => {
    const network = tinyNetwork(9);
    const set = randomImages(9, 3);
    const combined = explainImages(network, set, methodByName('guided-grad-cam'), { batchSize: 2 });
    const guided = explainImages(network, set, methodByName('guided-backprop'));
    const cam = explainImages(network, set, methodByName('grad-cam'));
    const { mapHeight: h, mapWidth: w } = cam;
    let nonZero = 0;
    for (let n = 0; n < set.count; n++) {
      const upsampled = resizeBilinear(cam.maps.subarray(n * h * w, (n + 1) * h * w), h, w, GEOMETRY.height, GEOMETRY.width);
      const expected = Array.from(upsampled, (u, p) => u * guided.maps[n * PIXELS + p]);
      expect(relativeDifference(combined.maps.subarray(n * PIXELS, (n + 1) * PIXELS), expected)).toBeLessThan(1e-6);
      nonZero += expected.filter((v) => v !== 0).length;
    }
    expect(nonZero).toBeGreaterThan(0);
  });
});

describe('both backends', () => {
  it.each(['eigen-cam', 'score-cam', 'guided-backprop', 'guided-grad-cam'])('%s: WebAssembly maps agree with the float32 reference', async (name) => {
    const reference = createPaperNetwork(new ReferenceBackend({ precision: 'float32' }), GEOMETRY, WIDTHS);
    const wasm = createPaperNetwork(await createWasmBackend(), GEOMETRY, WIDTHS);
    reference.params.set(tinyNetwork(10).params);
    wasm.params.set(reference.params);
    const set = randomImages(10, 5);
    const onReference = explainImages(reference, set, methodByName(name), { targetClass: 2 });
    const onWasm = explainImages(wasm, set, methodByName(name), { targetClass: 2 });
    const difference = relativeDifference(onWasm.maps, onReference.maps);
    console.log(`${name}: wasm vs reference, largest relative difference ${difference.toExponential(2)}`);
    expect(difference).toBeLessThan(1e-4);
    expect(Math.max(...onReference.maps.map(Math.abs))).toBeGreaterThan(0);
  });
});

describe('xcnn explain with these methods and --placement (CLI)', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
  const work = mkdtempSync(join(tmpdir(), 'xcnn-more-methods-'));
  const xcnn = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
  const network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 4, conv2Channels: 6, hidden: 16 });
  network.initialize(new Random(1));
  saveModel(join(work, 'model.safetensors'), network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });
  const explain = (...args: string[]) => {
    const run = xcnn('explain', '--model', 'model.safetensors', '--index', '0', '--json', '--figures', '0', ...args);
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout);
    return { ...json.images[0], layer: json.layer, placement: json.placement, classAgnostic: json.classAgnostic };
  };

  it('eigen-cam says it is class-agnostic, and --class changes the target but not the map', () => {
    const [zero, three] = [explain('--method', 'eigen-cam', '--class', '0'), explain('--method', 'eigen-cam', '--class', '3')];
    expect(zero.classAgnostic).toBe(true);
    expect([zero.targetClass, three.targetClass]).toEqual([0, 3]);
    expect(three.map).toEqual(zero.map);
    expect(zero.map).toHaveLength(11);
    const run = xcnn('explain', '--model', 'model.safetensors', '--index', '0', '--method', 'eigen-cam', '--out', 'eigen');
    expect(run.stdout).toContain('Eigen-CAM (the same map for any class) → eigen/test-0-eigen-cam.png');
  });

  it('score-cam, guided-backprop and guided-grad-cam run on the default (WebAssembly) backend with maps of the documented size', () => {
    expect(explain('--method', 'score-cam').map).toHaveLength(11);
    for (const method of ['guided-backprop', 'guided-grad-cam']) {
      const explanation = explain('--method', method);
      expect(explanation.layer).toBe('input');
      expect(explanation.map).toHaveLength(28);
      expect(explanation.placement).toBeUndefined();
      expect(typeof explanation.flat).toBe('boolean');
    }
  });

  it('--placement receptive-field moves the heatmap of a CAM method, not its raw map, and says so in the JSON', () => {
    const stretched = explain('--method', 'grad-cam');
    const placed = explain('--method', 'grad-cam', '--placement', 'receptive-field');
    expect(stretched.placement).toBe('stretch');
    expect(placed.placement).toBe('receptive-field');
    expect(placed.map).toEqual(stretched.map);
    expect(placed.heatmap).not.toEqual(stretched.heatmap);
  });

  it('refuses --placement receptive-field for a method on the input, and an unknown placement, with one line and status 2', () => {
    const input = xcnn('explain', '--model', 'model.safetensors', '--index', '0', '--method', 'saliency', '--placement', 'receptive-field');
    expect(input.status).toBe(2);
    expect(input.stderr.trim().split('\n')).toHaveLength(1);
    expect(input.stderr).toContain("--placement receptive-field: only for the CAM methods, whose maps live on a convolution's cells; saliency's map is already on the input's pixels");
    const unknown = xcnn('explain', '--model', 'model.safetensors', '--index', '0', '--placement', 'centre');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("--placement: 'centre' is not one of stretch, receptive-field");
  });
});
