/**
 * Measured faithfulness (src/faithfulness/): each measure against its definition on constructed inputs —
 * rank correlation and SSIM by their properties, ROAD's imputation on a ramp (the deletion and insertion
 * curves are in faithfulness-curves.test.ts), the pointing game on hand-made
 * maps, the randomisation check restoring the network bit for bit — then `xcnn faithfulness` end to end
 * on a small subset.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/dataset.js';
import { MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import type { ExplanationMethod } from '../src/explain/methods/explain.js';
import { measureFaithfulness, rankMethods } from '../src/faithfulness/faithfulness.js';
import { formatFaithfulness, faithfulnessJson } from '../src/faithfulness/format.js';
import { pointingGame, pointingGameOutcome } from '../src/faithfulness/pointing-game.js';
import { cascadingRandomisation, layersTopDown, withParametersRestored } from '../src/faithfulness/randomisation.js';
import { averageRanks, pearsonCorrelation, spearmanCorrelation } from '../src/faithfulness/rank-correlation.js';
import { noisyLinearImputation } from '../src/faithfulness/road-imputation.js';
import { ssim } from '../src/faithfulness/ssim.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { figureImages } from '../src/cli/faithfulness-command.js';
import { colormapByName } from '../src/render/colormap.js';
import { methodsFigure } from '../src/render/methods-figure.js';
import { idxBytes } from './fixtures/files.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';

const values = (length: number) => fc.array(fc.integer({ min: -1000, max: 1000 }), { minLength: length, maxLength: length });
const distinctValues = (min: number, max: number) => fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: min, maxLength: max });

describe('Spearman rank correlation', () => {
  it('gives tied values the mean of their ranks', () => {
    expect(Array.from(averageRanks([3, 1, 3]))).toEqual([2.5, 1, 2.5]);
    expect(Array.from(averageRanks([5, 5, 5, 0]))).toEqual([3, 3, 3, 1]);
  });

  it('is the Pearson correlation of the ranks, and 1 − 6Σd²/(n(n²−1)) when there are no ties', () => {
    fc.assert(
      fc.property(distinctValues(3, 40), fc.integer(), (a, seed) => {
        const b = Float64Array.from(a);
        new Random(seed).shuffle(b);
        const rho = spearmanCorrelation(a, b);
        expect(rho).toBeCloseTo(pearsonCorrelation(averageRanks(a), averageRanks(b)), 12);
        const ra = averageRanks(a);
        const rb = averageRanks(b);
        const n = a.length;
        const d2 = ra.reduce((sum, r, k) => sum + (r - rb[k]) ** 2, 0);
        expect(rho).toBeCloseTo(1 - (6 * d2) / (n * (n * n - 1)), 10);
      }),
    );
  });

  it('is 1 for a strictly increasing map of the values and −1 for a decreasing one, ties or not', () => {
    fc.assert(
      fc.property(values(30), (a) => {
        fc.pre(new Set(a).size > 1);
        expect(spearmanCorrelation(a, a.map((x) => x ** 3 + 2 * x))).toBeCloseTo(1, 12);
        expect(spearmanCorrelation(a, a.map((x) => -Math.exp(x / 500)))).toBeCloseTo(-1, 12);
      }),
    );
  });

  it('is 0, not NaN, when a sample is constant', () => {
    expect(spearmanCorrelation([1, 2, 3], [4, 4, 4])).toBe(0);
  });
});

describe('SSIM (Wang et al. 2004, 11 × 11 Gaussian window, σ = 1.5)', () => {
  const map = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 28 * 28, maxLength: 28 * 28 });

  it('is 1 for a map and itself, symmetric, and at most 1', () => {
    fc.assert(
      fc.property(map, map, (a, b) => {
        expect(ssim(a, a, 28, 28)).toBeCloseTo(1, 12);
        expect(ssim(a, b, 28, 28)).toBeCloseTo(ssim(b, a, 28, 28), 12);
        expect(ssim(a, b, 28, 28)).toBeLessThanOrEqual(1 + 1e-12);
      }),
      { numRuns: 20 },
    );
  });

  it('is below 1 for different maps, and lower the more they differ', () => {
    const a = Float64Array.from({ length: 784 }, (_, p) => (p % 28) / 27);
    const slightly = a.map((v, p) => (p === 400 ? 1 - v : v));
    const reversed = a.map((v) => 1 - v);
    expect(ssim(a, slightly, 28, 28)).toBeLessThan(1);
    expect(ssim(a, reversed, 28, 28)).toBeLessThan(ssim(a, slightly, 28, 28));
  });
});

describe('ROAD noisy linear imputation', () => {
  const ramp = Float64Array.from({ length: 28 * 28 }, (_, p) => 0.1 + 0.02 * Math.floor(p / 28) + 0.01 * (p % 28));

  it('reproduces a linear ramp exactly where all 8 neighbours exist, with σ = 0', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 26 * 26 - 1 }), { minLength: 1, maxLength: 300 }), (interior) => {
        const removed = new Uint8Array(784);
        for (const k of interior) removed[(1 + Math.floor(k / 26)) * 28 + 1 + (k % 26)] = 1;
        const out = noisyLinearImputation(ramp, removed, 28, 28, new Random(1), { sigma: 0, tolerance: 1e-13 });
        let worst = 0;
        for (let p = 0; p < 784; p++) worst = Math.max(worst, Math.abs(out[p] - ramp[p]));
        expect(worst).toBeLessThan(1e-9);
      }),
      { numRuns: 30 },
    );
  });

  it('sets a lone removed pixel to the 1/6–1/12 weighted mean of its neighbours, and leaves known pixels untouched', () => {
    const random = new Random(3);
    const image = Float64Array.from({ length: 784 }, () => random.next());
    const removed = new Uint8Array(784);
    removed[5 * 28 + 5] = 1;
    removed[20 * 28 + 9] = 1;
    const out = noisyLinearImputation(image, removed, 28, 28, new Random(1), { sigma: 0 });
    const at = (y: number, x: number) => image[y * 28 + x];
    const expected = (at(4, 5) + at(6, 5) + at(5, 4) + at(5, 6)) / 6 + (at(4, 4) + at(4, 6) + at(6, 4) + at(6, 6)) / 12;
    expect(out[5 * 28 + 5]).toBeCloseTo(expected, 12);
    const noisy = noisyLinearImputation(image, removed, 28, 28, new Random(1));
    for (let p = 0; p < 784; p++) if (!removed[p]) expect(noisy[p]).toBe(image[p]);
    expect(noisy[5 * 28 + 5]).not.toBe(out[5 * 28 + 5]); // σ = 0.01 of noise on the imputed ones
    expect(Math.abs(noisy[5 * 28 + 5] - out[5 * 28 + 5])).toBeLessThan(0.06);
  });

  it('imputes the background, 0, when every pixel is removed', () => {
    const out = noisyLinearImputation(ramp, new Uint8Array(784).fill(1), 28, 28, new Random(1), { sigma: 0 });
    expect(Array.from(out).every((v) => v === 0)).toBe(true);
  });
});

describe('pointing game', () => {
  const ink = new Float64Array(100);
  for (let x = 2; x < 8; x++) ink[5 * 10 + x] = 1; // a horizontal stroke on row 5 of a 10 × 10 image
  const mapWithPeak = (...peaks: number[]) => {
    const m = new Float32Array(100).fill(0.2);
    for (const p of peaks) m[p] = 1;
    return m;
  };

  it('hits when the maximum is on the ink, misses when it is off, allowing the tolerance', () => {
    expect(pointingGameOutcome(mapWithPeak(5 * 10 + 4), ink, 10, 10)).toBe('hit');
    expect(pointingGameOutcome(mapWithPeak(0), ink, 10, 10)).toBe('miss');
    expect(pointingGameOutcome(mapWithPeak(6 * 10 + 4), ink, 10, 10)).toBe('hit'); // one row below, within 1 px
    expect(pointingGameOutcome(mapWithPeak(6 * 10 + 4), ink, 10, 10, { tolerance: 0 })).toBe('miss');
  });

  it('needs every tied maximum on the ink, and counts a flat map as a miss', () => {
    expect(pointingGameOutcome(mapWithPeak(5 * 10 + 3, 5 * 10 + 6), ink, 10, 10)).toBe('hit');
    expect(pointingGameOutcome(mapWithPeak(5 * 10 + 3, 0), ink, 10, 10)).toBe('miss');
    expect(pointingGameOutcome(new Float32Array(100), ink, 10, 10)).toBe('flat');
    const score = pointingGame(Float32Array.from([...mapWithPeak(54), ...mapWithPeak(0), ...new Float32Array(100)]), Float64Array.from([...ink, ...ink, ...ink]), 3, 10, 10);
    expect(score).toEqual({ hits: 1, misses: 2, flat: 1, hitRate: 1 / 3 });
  });
});

function randomImages(seed: number, count: number): ImageSet {
  const random = new Random(seed);
  const images = Uint8Array.from({ length: count * PIXELS }, () => (random.next() < 0.3 ? 255 : 0));
  return { count, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: Uint8Array.from({ length: count }, (_, n) => n % GEOMETRY.classes) };
}

/** A "method" that ignores the model: its map is the image itself. The randomisation check must flag it. */
const inputCopy: ExplanationMethod = {
  name: 'input-copy',
  title: 'Input copy',
  layer: 'input',
  mapShape: (network) => [network.inputShape[1], network.inputShape[2]],
  explainBatch: (network, input, size, targetClass, out) => {
    const classes = network.outputShape[0];
    out.logits.set(network.forward(input, size).subarray(0, size * classes));
    out.targets.fill(targetClass ?? 0);
    out.maps.set(input.subarray(0, out.maps.length));
  },
};

describe('cascading randomisation', () => {
  it('randomises fc2, then fc1, conv2, conv1, and leaves the network exactly as it was', () => {
    const network = tinyNetwork(5);
    const before = new Uint8Array(network.params.slice().buffer);
    const set = randomImages(1, 6);
    const result = cascadingRandomisation(network, set, [0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 0, 1], () => methodByName('saliency'));
    expect(result.stages.map((s) => s.layers)).toEqual([['fc2'], ['fc2', 'fc1'], ['fc2', 'fc1', 'conv2'], ['fc2', 'fc1', 'conv2', 'conv1']]);
    for (const stage of result.stages) {
      expect(Math.abs(stage.spearman)).toBeLessThanOrEqual(1);
      expect(stage.ssim).toBeLessThanOrEqual(1 + 1e-12);
    }
    expect(new Uint8Array(network.params.slice().buffer)).toEqual(before);
  });

  it('flags a method that does not depend on the weights (ρ = SSIM = 1), and restores even when a method throws', () => {
    const network = tinyNetwork(6);
    const result = cascadingRandomisation(network, randomImages(2, 4), [0, 1, 2, 3], [0, 0, 0, 0], () => inputCopy);
    expect(result.spearman).toBeCloseTo(1, 12);
    expect(result.ssim).toBeCloseTo(1, 12);
    expect(result.flagged).toBe(true);
    const before = network.params.slice();
    expect(() => withParametersRestored(network, () => {
      network.params.fill(0);
      throw new Error('boom');
    })).toThrow('boom');
    expect(network.params).toEqual(before);
  });

  it('lists the layers with parameters top down', () => {
    expect(layersTopDown(tinyNetwork(1))).toEqual(['fc2', 'fc1', 'conv2', 'conv1']);
  });
});

describe('ranking and the whole measurement', () => {
  it('ranks each measure in its direction, ties sharing the mean rank', () => {
    const ranked = rankMethods([
      { deletionZero: 0.1, deletionRoad: 0.2, insertionZero: 0.9, insertionRoad: 0.8, randomisation: 0.1, pointingGame: 1 },
      { deletionZero: 0.5, deletionRoad: 0.6, insertionZero: 0.5, insertionRoad: 0.4, randomisation: 0.9, pointingGame: 1 },
    ]);
    expect(ranked[0].ranks).toEqual({ deletionZero: 1, deletionRoad: 1, insertionZero: 1, insertionRoad: 1, randomisation: 1, pointingGame: 1.5 });
    expect(ranked[0].meanRank).toBeCloseTo(6.5 / 6, 12);
    expect(ranked[1].meanRank).toBeCloseTo(11.5 / 6, 12);
  });

  it('measures every method on a tiny network, sorted by mean rank, without changing the network', () => {
    const network = tinyNetwork(7);
    const before = network.params.slice();
    const set = randomImages(3, 5);
    const result = measureFaithfulness(network, set, [0, 1, 2, 3, 4], { methods: ['grad-cam', 'saliency', 'occlusion'], steps: 6, randomisationImages: 3 });
    expect(network.params).toEqual(before);
    expect(result.methods.map((m) => m.method).sort()).toEqual(['grad-cam', 'occlusion', 'saliency']);
    for (let k = 1; k < result.methods.length; k++) expect(result.methods[k].meanRank).toBeGreaterThanOrEqual(result.methods[k - 1].meanRank);
    for (const m of result.methods) {
      for (const auc of [m.deletion.zero, m.deletion.road, m.insertion.zero, m.insertion.road]) {
        expect(auc).toBeGreaterThanOrEqual(0);
        expect(auc).toBeLessThanOrEqual(1);
      }
      expect(m.msPerImage).toBeGreaterThan(0);
      expect(result.heatmaps[m.method]).toHaveLength(5 * PIXELS);
    }
    expect(result.settings.randomisationImages).toBe(3);
    const text = formatFaithfulness(result);
    expect(text).toMatch(/del·zero ↓[\s\S]*ins·ROAD ↑[\s\S]*\(random order\)/);
    const json = faithfulnessJson(result);
    expect(json.methods).toHaveLength(3);
    expect(json).not.toHaveProperty('heatmaps');
  });

  it('refuses an unknown method name before doing any work', () => {
    expect(() => measureFaithfulness(tinyNetwork(1), randomImages(1, 2), [0, 1], { methods: ['grad-cam', 'nonsense'] })).toThrow(/'nonsense' is not one of/);
  });
});

describe('the side-by-side figure', () => {
  it('picks the first correct and the first misclassified images', () => {
    expect(figureImages([1, 2, 3, 0, 5, 9], [1, 0, 3, 4, 5, 9], 2)).toEqual([0, 2, 1, 3]);
    expect(figureImages([1, 2], [1, 2], 3)).toEqual([0, 1]);
  });

  it('draws the digit first and one overlay per method in each row, the row of a mistake labelled in red', () => {
    const pixels = new Uint8Array(784).fill(255);
    const rows = [
      { pixels, label: '7→7', correct: true, heatmaps: [new Float32Array(784), new Float32Array(784).fill(1)] },
      { pixels, label: '4→9', correct: false, heatmaps: [new Float32Array(784), new Float32Array(784)] },
    ];
    const one = methodsFigure(['a', 'b'], rows.slice(0, 1), 28, 28, { colormap: colormapByName('jet') });
    const two = methodsFigure(['a', 'b'], rows, 28, 28, { colormap: colormapByName('jet') });
    expect(two.width).toBe(one.width);
    expect(two.height - one.height).toBe(28 * 3 + 6); // one more row of 3× tiles and a gap
    const reds = (raster: typeof two) => {
      let count = 0;
      for (let k = 0; k < raster.data.length; k += 4) if (raster.data[k] === 200 && raster.data[k + 1] === 0 && raster.data[k + 2] === 0) count++;
      return count;
    };
    expect(reds(one)).toBe(0);
    expect(reds(two)).toBeGreaterThan(0);
  });

  it('draws a signed method\'s column in the diverging colormap, with a second colorbar', () => {
    const pixels = new Uint8Array(784); // a blank digit: each tile shows the colormap itself, blended over black
    const zero = new Float32Array(784).fill(0.5); // a zero-centred map that is zero everywhere
    const rows = [{ pixels, label: '7→7', correct: true, heatmaps: [zero, zero] }];
    const jet = colormapByName('jet');
    const plain = methodsFigure(['a', 'b'], rows, 28, 28, { colormap: jet });
    const signed = methodsFigure(['a', 'b'], rows, 28, 28, { colormap: jet, signed: [false, true] });
    expect(signed.width).toBe(plain.width + 70); // room for the second colorbar
    // jet's 0.5 is green, cool-warm's 0.5 grey: column b's 3× tile (84 × 84 pixels) turns from green to grey.
    const greens = (figure: typeof plain) => {
      let count = 0;
      for (let k = 0; k < figure.data.length; k += 4) if (figure.data[k + 1] > figure.data[k] + 40 && figure.data[k + 1] > figure.data[k + 2] + 40) count++;
      return count;
    };
    expect(greens(plain) - greens(signed)).toBe(84 * 84);
  });
});

describe('xcnn faithfulness', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
  const work = mkdtempSync(join(tmpdir(), 'xcnn-faith-'));
  const xcnn = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
  const network = createPaperNetwork(new ReferenceBackend());
  network.initialize(new Random(11));
  saveModel(join(work, 'model.safetensors'), network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES });

  it('measures a model on 5 test images, writes faithfulness.json and the figure, and report.html takes them in', () => {
    const run = xcnn('faithfulness', '--model', 'model.safetensors', '--n', '5', '--sanity', '2', '--steps', '7', '--methods', 'grad-cam,saliency', '--out', 'faith');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Faithfulness of 2 method\(s\) on 5 test image\(s\)/);
    const json = JSON.parse(readFileSync(join(work, 'faith', 'faithfulness.json'), 'utf8'));
    expect(json.images).toBe(5);
    expect(json.methods.map((m: { method: string }) => m.method).sort()).toEqual(['grad-cam', 'saliency']);
    expect(json.methods[0].randomisation.stages).toHaveLength(4);
    expect(Array.from(readFileSync(join(work, 'faith', 'faithfulness.png')).subarray(0, 4))).toEqual([0x89, 0x50, 0x4e, 0x47]);
    const report = xcnn('report', '--model', 'model.safetensors', '--test-limit', '50', '--out', 'report', '--faithfulness', join('faith', 'faithfulness.json'));
    expect(report.status, report.stderr).toBe(0);
    const html = readFileSync(join(work, 'report', 'report.html'), 'utf8');
    expect(html).toContain('Faithfulness of the explanation methods');
    expect(html).toMatch(/<th scope="row">(grad-cam|saliency)<\/th>/);
    expect(existsSync(join(work, 'report', 'report.html'))).toBe(true);
  }, 120_000);

  it('takes another data folder, and shrinks the default --n 500 to a smaller test set', () => {
    const data = join(work, 'small-data');
    mkdirSync(data, { recursive: true });
    const random = new Random(4);
    const digits = (count: number) => Uint8Array.from({ length: count * 784 }, () => (random.next() < 0.2 ? 255 : 0));
    writeFileSync(join(data, 'train-images-idx3-ubyte'), idxBytes([2, 28, 28], digits(2)));
    writeFileSync(join(data, 'train-labels-idx1-ubyte'), idxBytes([2], Uint8Array.of(0, 1)));
    writeFileSync(join(data, 't10k-images-idx3-ubyte'), idxBytes([4, 28, 28], digits(4)));
    writeFileSync(join(data, 't10k-labels-idx1-ubyte'), idxBytes([4], Uint8Array.of(0, 1, 2, 3)));
    const run = xcnn('faithfulness', '--model', 'model.safetensors', '--data', data, '--methods', 'saliency', '--steps', '4', '--json', '--out', 'small');
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).images).toBe(4);
  }, 60_000);
});
