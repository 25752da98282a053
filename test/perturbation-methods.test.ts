/**
 * The perturbation family (src/explain/methods/perturbation.ts): Occlusion on a hand-computed linear
 * "network" and on blank regions, KernelSHAP's completeness, exactness on additive functions and the
 * Shapley values of a small game, LIME's coefficients on a linear function, the seeded methods'
 * reproducibility, and `xcnn explain --method occlusion|kernel-shap|lime` as a user runs it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { choleskySolve, kernelShap, kernelShapMethod, lime, limeFit, limeMethod, occlusionMethod, patchFeatures, type CoalitionValue } from '../src/explain/methods/perturbation.js';
import { limeFitInto } from '../src/explain/ridge-fit.js';
import { saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY, type Network } from '../src/model/network.js';
import { Workspace } from '../src/model/workspace.js';
import { Random } from '../src/random.js';
import { seededValues } from './gradcheck.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';

/** Random 12 × 12 images whose left half (columns 0–5) is black. */
function halfBlankImages(seed: number, count: number): ImageSet {
  const values = seededValues(seed, count * PIXELS);
  const images = Uint8Array.from(values, (v, i) => (i % GEOMETRY.width < 6 ? 0 : Math.floor(((v + 1) / 2) * 256)));
  return { count, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: new Uint8Array(count) };
}

/** A "network" of one 1 × 4 × 4 image whose logits are [Σ_p x_p, 0]: occlusion by hand. */
function sumNetwork(): Network {
  const backend = new ReferenceBackend({ precision: 'float64' });
  return {
    backend,
    workspace: new Workspace(backend),
    inputShape: [1, 4, 4],
    outputShape: [2],
    forward(input: Floats, batch: number): Floats {
      const logits = new Float64Array(batch * 2);
      for (let b = 0; b < batch; b++) for (let p = 0; p < 16; p++) logits[b * 2] += input[b * 16 + p];
      return logits;
    },
    // The logits-only pass (Network.logits) is forward's logits.
    logits(this: { forward(input: Floats, batch: number): Floats }, input: Floats, batch: number): Floats {
      return this.forward(input, batch);
    },
    zeroGrad() {},
  } as unknown as Network;
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i];
  return total;
}

describe('Occlusion', () => {
  // A 4 × 4 image of ones with a black top-left pixel: y_0 = Σ x = 15.
  const ones: ImageSet = { count: 1, height: 4, width: 4, images: Uint8Array.from({ length: 16 }, (_, p) => (p === 0 ? 0 : 255)), labels: new Uint8Array(1) };

  it('by hand: with y = Σ x, each pixel gets the sum of its window (2 × 2, stride 2), and pixels no window covers get 0', () => {
    const tiled = explainImages(sumNetwork(), ones, occlusionMethod({ window: 2, stride: 2 }));
    expect([tiled.mapHeight, tiled.mapWidth]).toEqual([4, 4]);
    expect(Array.from(tiled.maps)).toEqual([3, 3, 4, 4, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4]);
    // A 3 × 3 window at stride 2 fits only at (0, 0): it removes 8 ones; row 3 and column 3 are never covered.
    const single = explainImages(sumNetwork(), ones, occlusionMethod({ window: 3, stride: 2 }));
    expect(Array.from(single.maps)).toEqual([8, 8, 8, 0, 8, 8, 8, 0, 8, 8, 8, 0, 0, 0, 0, 0]);
    // Overlapping windows (2 × 2, stride 1) average: pixel (0, 0) lies in one window, which removes 3.
    const overlapping = explainImages(sumNetwork(), ones, occlusionMethod({ window: 2, stride: 1 }));
    expect(overlapping.maps[0]).toBe(3);
    expect(overlapping.maps[5]).toBeCloseTo((3 + 4 + 4 + 4) / 4, 12); // (1, 1): the four windows around it
  });

  it('occluding a region that is already black changes nothing: exactly 0 where every covering window is black', () => {
    const network = tinyNetwork(1);
    const set = halfBlankImages(2, 3);
    const window = 4;
    const stride = 2;
    const result = explainImages(network, set, occlusionMethod({ window, stride }), { batchSize: 2 });
    expect([result.mapHeight, result.mapWidth]).toEqual([12, 12]);
    expect(result.maps.length).toBe(3 * PIXELS);
    // Windows start at columns 0, 2, 4, 6, 8; those covering columns 0–3 lie within the black columns 0–5.
    let checked = 0;
    for (let n = 0; n < set.count; n++) {
      for (let y = 0; y < 12; y++) {
        for (let x = 0; x < 12; x++) {
          const coveringAllBlank = [0, 2, 4, 6, 8].filter((x0) => x0 <= x && x < x0 + window).every((x0) => x0 + window <= 6);
          if (coveringAllBlank) {
            expect(result.maps[n * PIXELS + y * 12 + x]).toBe(0);
            checked++;
          }
        }
      }
      expect(Math.max(...Array.from(result.maps.subarray(n * PIXELS, (n + 1) * PIXELS), Math.abs))).toBeGreaterThan(0);
    }
    expect(checked).toBe(3 * 12 * 4); // columns 0–3 of every row of every image
  });

  it('refuses a window larger than the input and non-whole settings with an XcnnError', () => {
    expect(() => occlusionMethod({ window: 0 })).toThrow(XcnnError);
    expect(() => occlusionMethod({ stride: 1.5 })).toThrow(XcnnError);
    expect(() => explainImages(tinyNetwork(1), halfBlankImages(1, 1), occlusionMethod({ window: 13 }))).toThrow(/larger than the 12 × 12 input/);
  });
});

describe('patch features and the Cholesky solver', () => {
  it('cuts 28 × 28 into 7 × 7 patches of 4 × 4, and 12 × 12 at p = 5 into 3 × 3 with smaller edge patches', () => {
    const mnist = patchFeatures(28, 28, 4);
    expect(mnist.features).toBe(49);
    expect([mnist.featureOf[0], mnist.featureOf[3], mnist.featureOf[4], mnist.featureOf[4 * 28], mnist.featureOf[28 * 28 - 1]]).toEqual([0, 0, 1, 7, 48]);
    const edge = patchFeatures(12, 12, 5);
    expect(edge.features).toBe(9);
    expect(edge.featureOf.filter((i) => i === 8).length).toBe(4);
  });

  it('solves a symmetric positive definite system, and reports a singular one as null', () => {
    const a = Float64Array.from([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]);
    const x = [1, -2, 0.5];
    const b = Float64Array.from([0, 1, 2], (i) => a[i * 3] * x[0] + a[i * 3 + 1] * x[1] + a[i * 3 + 2] * x[2]);
    const solved = choleskySolve(Float64Array.from(a), b, 3)!;
    solved.forEach((v, i) => expect(v).toBeCloseTo(x[i], 12));
    expect(choleskySolve(Float64Array.from([1, 1, 1, 1]), Float64Array.from([1, 2]), 2)).toBeNull();
  });

  it('reads only the lower triangle and the diagonal (the fits fill no more): what lies above changes nothing', () => {
    const a = Float64Array.from([4, 2, 0.6, 2, 5, 1, 0.6, 1, 3]);
    const b = [0.3, -1, 2];
    const full = choleskySolve(Float64Array.from(a), Float64Array.from(b), 3)!;
    const lower = Float64Array.from(a, (v, i) => (i % 3 > Math.floor(i / 3) ? (i === 1 ? NaN : 1e9) : v)); // above: NaN and garbage
    expect([...choleskySolve(lower, Float64Array.from(b), 3)!]).toEqual([...full]);
  });
});

/** f(z) = c_0 + Σ_i c_i z_i over M features. */
function additive(c0: number, c: number[]): CoalitionValue {
  return (z, count) => Float64Array.from({ length: count }, (_, k) => c0 + c.reduce((s, ci, i) => s + ci * z[k * c.length + i], 0));
}

describe('KernelSHAP', () => {
  it('recovers the exact contributions of a function additive over 49 features (the Shapley values of an additive game)', () => {
    const c = Array.from(seededValues(3, 49));
    const fit = kernelShap(49, 1024, new Random(1), additive(0.7, c));
    let worst = 0;
    fit.phi.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - c[i]))));
    console.log(`KernelSHAP on an additive function of 49 features: largest |φ_i − c_i| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-9);
    expect(fit.empty).toBeCloseTo(0.7, 12);
  });

  it('approaches the exact Shapley values of a game with interactions, f = z0 z1 + 3 z1 z2 z3 (φ = ½, 3/2, 1, 1, 0)', () => {
    const game: CoalitionValue = (z, count) => Float64Array.from({ length: count }, (_, k) => z[k * 5] * z[k * 5 + 1] + 3 * z[k * 5 + 1] * z[k * 5 + 2] * z[k * 5 + 3]);
    const fit = kernelShap(5, 4096, new Random(2), game);
    const exact = [0.5, 1.5, 1, 1, 0];
    let worst = 0;
    fit.phi.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - exact[i]))));
    console.log(`KernelSHAP on a 5-player game with interactions, 4096 samples: largest |φ_i − Shapley_i| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(0.05);
    expect(sum(fit.phi)).toBeCloseTo(4, 12);
  });

  // Completeness is a constraint of the fit (φ_M = Δ − Σ_{i<M} φ_i), exact in float64; the map is stored
  // as float32 (relative rounding 6e-8 per pixel and per logit, 144 pixels), hence 1e-6 of the logits' scale.
  it('its attributions sum to y_c(x) − y_c(black) on a network, within float32 rounding of the stored map', () => {
    const network = tinyNetwork(3);
    const set = halfBlankImages(4, 3);
    const result = explainImages(network, set, kernelShapMethod({ patch: 3, samples: 256 }), { batchSize: 2 });
    const black = Float64Array.from(network.forward(new Float64Array(set.count * PIXELS), set.count));
    for (let n = 0; n < set.count; n++) {
      const c = result.targets[n];
      const difference = result.logits[n * GEOMETRY.classes + c] - black[n * GEOMETRY.classes + c];
      const gap = Math.abs(sum(result.maps.subarray(n * PIXELS, (n + 1) * PIXELS)) - difference);
      console.log(`KernelSHAP image ${n}: y_c(x) − y_c(black) = ${difference.toFixed(5)}, |Σ map − difference| = ${gap.toExponential(2)}, reported gap ${result.completenessGaps![n].toExponential(2)}`);
      expect(gap).toBeLessThan(1e-6 * Math.max(1, Math.abs(difference)));
      expect(result.completenessGaps![n]).toBeLessThan(1e-9);
    }
  });

  it('is reproducible for a seed, changes with the seed, and refuses too few samples', () => {
    const network = tinyNetwork(4);
    const set = halfBlankImages(5, 2);
    const run = (seed: number) => Array.from(explainImages(network, set, kernelShapMethod({ patch: 4, samples: 64, seed })).maps);
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
    expect(() => kernelShap(49, 4, new Random(1), additive(0, Array.from({ length: 49 }, () => 1)))).toThrow(/give more samples/);
    expect(() => kernelShapMethod({ samples: 1 })).toThrow(XcnnError);
  });
});

describe('LIME', () => {
  it('on a linear function recovers the coefficients’ signs and order (ridge shrinks their size)', () => {
    const c = [2.5, -1.5, 0.8, -0.3, 1.7, 0.1, -2.2, 1.1];
    const { beta } = lime(c.length, 2000, new Random(3), additive(0.4, c));
    console.log(`LIME on a linear function: c = ${c.join(', ')}; β = ${Array.from(beta, (v) => v.toFixed(3)).join(', ')}`);
    beta.forEach((v, i) => expect(Math.sign(v), `feature ${i}`).toBe(Math.sign(c[i])));
    const order = (values: ArrayLike<number>) => Array.from(values, (_, i) => i).sort((i, j) => values[i] - values[j]);
    expect(order(beta)).toEqual(order(c));
  });

  it('fits the weighted ridge of its definition, solved here uncentred by Gaussian elimination, and writes a batch\'s row b as β then the intercept', () => {
    // M = 4 patches, 30 coalitions with random scores: minimise Σ π_k (f_k − β0 − Σ β_i z_ki)² + λ Σ_{i≥1} β_i²,
    // π_k = exp(−D_k²/σ²), D_k = 1 − |z_k| / √(|z_k| M) (1 for z = 0), over θ = (β0, β_1..β_4) directly:
    // (Xᵀ Π X + diag(0, λ, λ, λ, λ)) θ = Xᵀ Π f with X = [1, Z].
    const [m, samples] = [4, 30];
    const random = new Random(31);
    const z = Uint8Array.from({ length: samples * m }, (_, i) => (i < m ? 0 : random.next() < 0.5 ? 1 : 0)); // row 0: no patch kept
    const f = Float64Array.from({ length: samples }, () => random.next() * 6 - 3);
    const [sigma, lambda] = [0.4, 0.7];
    const a = Array.from({ length: 5 }, () => new Array<number>(6).fill(0));
    for (let k = 0; k < samples; k++) {
      const row = [1, ...z.subarray(k * m, (k + 1) * m)];
      const on = row.slice(1).reduce((s, v) => s + v, 0);
      const d = on === 0 ? 1 : 1 - on / Math.sqrt(on * m);
      const w = Math.exp(-(d * d) / (sigma * sigma));
      for (let i = 0; i < 5; i++) {
        for (let j = 0; j < 5; j++) a[i][j] += w * row[i] * row[j];
        a[i][5] += w * row[i] * f[k];
      }
    }
    for (let i = 1; i < 5; i++) a[i][i] += lambda;
    for (let col = 0; col < 5; col++) { // Gauss–Jordan on the augmented matrix
      for (let r = 0; r < 5; r++) {
        if (r === col) continue;
        const factor = a[r][col] / a[col][col];
        for (let c = col; c < 6; c++) a[r][c] -= factor * a[col][c];
      }
    }
    const theta = a.map((r, i) => r[5] / r[i]);
    const { beta, intercept } = limeFit(z, f, m, samples, { kernelWidth: sigma, lambda });
    expect(Math.abs(intercept - theta[0])).toBeLessThan(1e-10);
    beta.forEach((v, i) => expect(Math.abs(v - theta[i + 1])).toBeLessThan(1e-10));
    expect(beta.some((v) => Math.abs(v) > 0.05)).toBe(true);
    // The same fit as row 1 of a batch of three: the other images' coalitions and scores do not reach it.
    const batchZ = new Uint8Array(3 * samples * m).fill(1);
    batchZ.set(z, samples * m);
    const batchF = new Float64Array(3 * samples).fill(9);
    batchF.set(f, samples);
    const fits = new Float64Array(3 * (m + 1)).fill(-1);
    limeFitInto(batchZ, batchF, m, samples, 1, { kernelWidth: sigma, lambda }, fits);
    expect([...fits]).toEqual([-1, -1, -1, -1, -1, ...beta, intercept, -1, -1, -1, -1, -1]);
  });

  it('refuses a ridge system that is not positive definite (λ = 0 and coalitions that never vary), in one line', () => {
    let caught: unknown;
    try {
      limeFit(new Uint8Array(3 * 5).fill(1), Float64Array.of(1, 2, 3), 5, 3, { kernelWidth: 0.25, lambda: 0 });
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toBe('LIME: the ridge system is not positive definite; give a λ > 0');
    expect((caught as XcnnError).code).toBe('ERR_BAD_ARGUMENT');
  });

  it('is reproducible for a seed and changes with the seed', () => {
    const network = tinyNetwork(5);
    const set = halfBlankImages(6, 2);
    const run = (seed: number) => Array.from(explainImages(network, set, limeMethod({ patch: 4, samples: 64, seed })).maps);
    expect(run(3)).toEqual(run(3));
    expect(run(3)).not.toEqual(run(4));
  });
});

describe('xcnn explain --method occlusion|kernel-shap|lime (CLI)', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
  const work = mkdtempSync(join(tmpdir(), 'xcnn-perturbation-'));
  const xcnn = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
  const network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 4, conv2Channels: 6, hidden: 16 });
  network.initialize(new Random(1));
  saveModel(join(work, 'model.safetensors'), network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });

  it('kernel-shap: a 28 × 28 map on the input, its completeness gap, and the same map for the same --seed', () => {
    const run = (seed: string) => xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '0', '--method', 'kernel-shap', '--samples', '256', '--seed', seed, '--out', 'shap', '--json');
    const first = run('5');
    expect(first.status, first.stderr).toBe(0);
    const json = JSON.parse(first.stdout);
    expect([json.method, json.layer]).toEqual(['kernel-shap', 'input']);
    const [explanation] = json.images;
    expect(explanation.map).toHaveLength(28);
    expect(explanation.map[0]).toHaveLength(28);
    expect(explanation.completenessGap).toBeLessThan(1e-4);
    expect(JSON.parse(run('5').stdout).images[0].map).toEqual(explanation.map);
  });

  it('occlusion: writes the figure, and documents --window, --stride, --patch, --seed in --help', () => {
    const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '0', '--method', 'occlusion', '--window', '6', '--stride', '3', '--out', 'occ');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Occlusion for \d( \(flat\))? → occ\/test-0-occlusion\.png/);
    const help = xcnn('explain', '--help').stdout;
    for (const text of ['occlusion', 'kernel-shap', 'lime', '--window', '--stride', '--patch', '--seed']) expect(help).toContain(text);
  });

  it('refuses a bad option value with status 2 and one line naming the flag', () => {
    for (const [flag, value, method] of [['--window', '0', 'occlusion'], ['--samples', '1', 'lime'], ['--patch', 'x', 'kernel-shap']]) {
      const run = xcnn('explain', '--backend', 'ts', '--model', 'model.safetensors', '--index', '0', '--method', method, flag, value);
      expect(run.status, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toContain(`${flag}: '${value}' is not a whole number`);
    }
  });

  it('every new name is a method', () => {
    for (const name of ['occlusion', 'kernel-shap', 'lime']) expect(methodByName(name).name).toBe(name);
  });
});
