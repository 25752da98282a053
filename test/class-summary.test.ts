/**
 * Explanations that meet evaluation: per-class mean heatmaps (src/explain/class-means.ts), the confusion
 * matrix's cells explained for the true and the predicted class (src/explain/confusion-cells.ts), the
 * grouping by target both rest on (src/explain/explain-for-targets.ts), their figures, and the two report
 * sections as a user gets them from `xcnn report`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { predict, type Predictions } from '../src/eval/predict.js';
import { classMeanHeatmaps, classMeanImages, explainClassMeans, trueClassesOf } from '../src/explain/class-means.js';
import { confusionCellExplanations, confusionCells } from '../src/explain/confusion-cells.js';
import { explainForTargets } from '../src/explain/explain-for-targets.js';
import type { Explanation } from '../src/explain/explanation.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY, type Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { classMeansFigure } from '../src/render/class-means-figure.js';
import { jet } from '../src/render/colormap.js';
import { confusionCellsFigure, type ConfusionCellPanel } from '../src/render/confusion-cells-figure.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';
import { seededValues } from './gradcheck.js';

/** `count` random 12 × 12 images with random labels of the tiny network's 4 classes. */
function randomSet(seed: number, count: number): ImageSet {
  const images = Uint8Array.from(seededValues(seed, count * PIXELS), (v) => Math.floor(((v + 1) / 2) * 256));
  const labels = Uint8Array.from(seededValues(seed + 1, count), (v) => Math.min(3, Math.floor(((v + 1) / 2) * 4)));
  return { count, height: GEOMETRY.height, width: GEOMETRY.width, images, labels };
}

/** An explanation of N images with only the fields the class means read (heatmaps, indices) filled in. */
function explanationOf(heatmaps: Float32Array, count: number, height: number, width: number): Explanation {
  return {
    count, classes: 1, mapHeight: height, mapWidth: width, height, width,
    indices: Int32Array.from({ length: count }, (_, n) => n),
    logits: new Float32Array(count), probabilities: new Float32Array(count),
    predicted: new Int32Array(count), targets: new Int32Array(count),
    maps: heatmaps, heatmaps,
  };
}

/** max |a − b| over two arrays of one length. */
function maxDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let k = 0; k < a.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
  return worst;
}

describe('class mean heatmaps', () => {
  it('the mean heatmap of a class equals the hand-averaged heatmaps of its images; a class with none is all zeros', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }), // classes
        fc.integer({ min: 1, max: 4 }), // H = W
        fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 12 }),
        fc.integer(),
        (classes, side, rawClasses, seed) => {
          const classOf = rawClasses.map((k) => k % classes);
          const count = classOf.length;
          const pixels = side * side;
          const heatmaps = Float32Array.from(seededValues(seed, count * pixels), (v) => (v + 1) / 2);
          const result = classMeanHeatmaps(explanationOf(heatmaps, count, side, side), classOf, classes);
          for (let k = 0; k < classes; k++) {
            const members = classOf.flatMap((c, n) => (c === k ? [n] : []));
            expect(result.counts[k]).toBe(members.length);
            const mean = result.means.subarray(k * pixels, (k + 1) * pixels);
            for (let p = 0; p < pixels; p++) {
              const hand = members.length === 0 ? 0 : members.reduce((s, n) => s + heatmaps[n * pixels + p], 0) / members.length;
              expect(Number.isNaN(mean[p])).toBe(false);
              expect(Math.abs(mean[p] - hand)).toBeLessThan(1e-6);
            }
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('the mean image of a class is the pixelwise mean of its images', () => {
    const set: ImageSet = { count: 3, height: 1, width: 2, images: Uint8Array.of(10, 20, 30, 40, 200, 100), labels: Uint8Array.of(0, 1, 0) };
    const means = classMeanImages(set, [0, 1, 2], [0, 1, 0], 3);
    expect(Array.from(means.means)).toEqual([105, 60, 30, 40, 0, 0]);
    expect(Array.from(means.counts)).toEqual([2, 1, 0]);
  });

  it('refuses a class list of the wrong length or a class outside the range', () => {
    const explanation = explanationOf(new Float32Array(2), 2, 1, 1);
    expect(() => classMeanHeatmaps(explanation, [0], 2)).toThrow(XcnnError);
    expect(() => classMeanHeatmaps(explanation, [0, 2], 2)).toThrow(/class 2 of image 1 is outside the 2 classes/);
  });

  it('explainClassMeans averages the first perClass images of each true class, each explained for its true class', () => {
    const network = tinyNetwork(3);
    const set = randomSet(5, 24);
    const result = explainClassMeans(network, set, 'grad-cam++', { perClass: 2 });
    const labels = trueClassesOf(result.explanation, set);
    expect(Array.from(result.explanation.targets)).toEqual(Array.from(labels));
    for (let k = 0; k < 4; k++) {
      const expected = Math.min(2, set.labels.filter((l) => l === k).length);
      expect(result.heatmaps.counts[k]).toBe(expected);
    }
    const hand = classMeanHeatmaps(result.explanation, labels, 4);
    expect(maxDifference(result.heatmaps.means, hand.means)).toBe(0);
    expect(result.method).toBe('grad-cam++');
  });
});

describe('explaining images each for its own class', () => {
  it('gives the rows in request order, each equal to explaining that image alone for its class', () => {
    const network = tinyNetwork(4);
    const set = randomSet(9, 6);
    const method = methodByName('saliency');
    const indices = [5, 0, 5, 2, 3];
    const targets = [1, 3, 2, 1, 0];
    const result = explainForTargets(network, set, method, indices, targets);
    expect(Array.from(result.indices)).toEqual(indices);
    expect(Array.from(result.targets)).toEqual(targets);
    let worst = 0;
    indices.forEach((index, n) => {
      const alone = explainImages(network, set, method, { indices: [index], targetClass: targets[n] });
      worst = Math.max(worst, maxDifference(result.maps.subarray(n * PIXELS, (n + 1) * PIXELS), alone.maps));
      worst = Math.max(worst, maxDifference(result.probabilities.subarray(n * 4, (n + 1) * 4), alone.probabilities));
    });
    console.log(`explainForTargets vs one image at a time: max |difference| ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-6);
  });

  it('refuses a target list of another length', () => {
    expect(() => explainForTargets(tinyNetwork(1), randomSet(1, 2), methodByName('grad-cam'), [0, 1], [0])).toThrow(/2 image indices but 1 target classes/);
  });
});

describe('confusion cells', () => {
  it('lists every off-diagonal cell once, largest first, with exactly its images ordered by confidence', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 5 }), fc.array(fc.tuple(fc.nat(), fc.nat(), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 40 }), (classes, rows) => {
        const labels = Uint8Array.from(rows, ([t]) => t % classes);
        const predicted = Uint8Array.from(rows, ([, p]) => p % classes);
        const probabilities = new Float32Array(rows.length * classes);
        rows.forEach(([, , confidence], n) => (probabilities[n * classes + predicted[n]] = confidence));
        const predictions: Predictions = { labels, predicted, probabilities, loss: 0, accuracy: 0 };
        const cells = confusionCells(predictions);
        const mistakes = rows.filter((_, n) => labels[n] !== predicted[n]).length;
        expect(cells.reduce((s, c) => s + c.count, 0)).toBe(mistakes);
        expect(new Set(cells.map((c) => `${c.trueClass},${c.predictedClass}`)).size).toBe(cells.length);
        cells.forEach((cell, k) => {
          expect(cell.trueClass).not.toBe(cell.predictedClass);
          if (k > 0) expect(cell.count).toBeLessThanOrEqual(cells[k - 1].count);
          expect(cell.indices).toHaveLength(cell.count);
          expect(cell.count).toBe(rows.filter((_, n) => labels[n] === cell.trueClass && predicted[n] === cell.predictedClass).length);
          cell.indices.forEach((n, j) => {
            expect([labels[n], predicted[n]]).toEqual([cell.trueClass, cell.predictedClass]);
            if (j > 0) expect(probabilities[n * classes + predicted[n]]).toBeLessThanOrEqual(probabilities[cell.indices[j - 1] * classes + predicted[cell.indices[j - 1]]]);
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  // An untrained tiny network on random labels gets most images wrong, so there are cells of every size.
  const network = tinyNetwork(7);
  const set = randomSet(11, 40);
  const predictions = predict(network, set);

  for (const methodName of ['grad-cam', 'gradient-x-input']) {
    it(`${methodName}: every cell with c images shows min(c, perCell) of them, each with the maps of explaining it alone for t and for p`, () => {
      const perCell = 2;
      const result = confusionCellExplanations(network, set, predictions, methodName, { perCell });
      const all = confusionCells(predictions);
      expect(result.cells.map((c) => [c.trueClass, c.predictedClass, c.count])).toEqual(all.map((c) => [c.trueClass, c.predictedClass, c.count]));
      expect(result.cellCount).toBe(all.length);
      expect(all.some((c) => c.count > perCell)).toBe(true); // the cap is exercised
      const alone = (index: number, targetClass: number) =>
        methodName === 'grad-cam' ? gradCam(network, set, { indices: [index], targetClass }) : explainImages(network, set, methodByName(methodName), { indices: [index], targetClass });
      let worst = 0;
      for (const cell of result.cells) {
        expect(cell.mistakes).toHaveLength(Math.min(cell.count, perCell));
        cell.mistakes.forEach((mistake, k) => {
          expect(mistake.index).toBe(cell.indices[k]);
          expect([set.labels[mistake.index], predictions.predicted[mistake.index]]).toEqual([cell.trueClass, cell.predictedClass]);
          if (k > 0) expect(mistake.confidence).toBeLessThanOrEqual(cell.mistakes[k - 1].confidence);
          expect([mistake.forTrue.target, mistake.forPredicted.target]).toEqual([cell.trueClass, cell.predictedClass]);
          const forTrue = alone(mistake.index, cell.trueClass);
          const forPredicted = alone(mistake.index, cell.predictedClass);
          worst = Math.max(worst, maxDifference(mistake.forTrue.map, forTrue.maps), maxDifference(mistake.forTrue.heatmap, forTrue.heatmaps));
          worst = Math.max(worst, maxDifference(mistake.forPredicted.map, forPredicted.maps), maxDifference(mistake.forPredicted.heatmap, forPredicted.heatmaps));
        });
      }
      console.log(`${methodName}: cell maps vs each image explained alone: max |difference| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-6);
    });
  }

  it('keeps the largest cells only when asked, and refuses predictions of another set', () => {
    const result = confusionCellExplanations(network, set, predictions, 'grad-cam', { cells: 2, perCell: 1 });
    expect(result.cells).toHaveLength(2);
    expect(result.cells.map((c) => c.count)).toEqual(confusionCells(predictions).slice(0, 2).map((c) => c.count));
    expect(result.explanation.count).toBe(4); // two cells, one image each, for t and for p
    expect(() => confusionCellExplanations(network, randomSet(1, 3), predictions)).toThrow(/predictions are of 40 images but the set has 3/);
    expect(() => confusionCellExplanations(network, set, predictions, 'grad-cam', { perCell: 0 })).toThrow(/perCell is 0/);
    expect(() => confusionCellExplanations(network, set, predictions, 'grad-cam', { cells: -1 })).toThrow(/cells is -1/);
  });
});

describe('class-summary figures', () => {
  const means = (classes: number, fill: number) => ({ classes, height: 4, width: 4, counts: new Int32Array(classes).fill(2), means: new Float32Array(classes * 16).fill(fill) });

  it('the class-mean strip has a column per class, and its map row shows the mean heat in the colormap', () => {
    const names = ['0', '1', '2'];
    const narrow = classMeansFigure(means(3, 0), means(3, 1), names, { colormap: jet, scale: 2 });
    const wide = classMeansFigure(means(6, 0), means(6, 1), [...names, '3', '4', '5'], { colormap: jet, scale: 2 });
    expect(wide.width - narrow.width).toBe(3 * (4 * 2 + 6)); // three more tiles and their gaps
    let hot = 0;
    for (let y = 0; y < narrow.height; y++) for (let x = 0; x < narrow.width; x++) if (narrow.getPixel(x, y).join() === jet(1).join()) hot++;
    expect(hot).toBeGreaterThanOrEqual(3 * 64); // every class's 8 × 8 map tile (and the colorbar's top)
  });

  it('the confusion-cell figure grows a row per mistake and says so when there are none', () => {
    const image = { width: 4, height: 4, pixels: new Uint8Array(16), heatmap: new Float32Array(16) };
    const panel = (rows: number): ConfusionCellPanel => ({
      heading: '4 → 9: 3 images',
      columnTitles: ['digit', 'for 4', 'for 9'],
      rows: Array.from({ length: rows }, () => ({ forTrue: image, forPredicted: image, caption: 'true 4 → pred 9 (87%)' })),
    });
    const one = confusionCellsFigure([panel(1)], { colormap: jet });
    const three = confusionCellsFigure([panel(3)], { colormap: jet });
    expect(three.height).toBeGreaterThan(one.height);
    expect(confusionCellsFigure([], { colormap: jet }).width).toBeGreaterThan(100);
  });
});

describe('xcnn report: the class-summary sections', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
  const work = mkdtempSync(join(tmpdir(), 'xcnn-class-summary-'));
  const xcnn = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
  mkdirSync(join(work, 'run'));
  const model: Network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 4, conv2Channels: 6, hidden: 16 });
  model.initialize(new Random(2));
  saveModel(join(work, 'run', 'model.safetensors'), model, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'] });

  it('puts "What each class looks like" and "Why a t was read as p" in report.html, and writes their PNGs with --png', () => {
    const run = xcnn('report', '--backend', 'ts', '--model', join('run', 'model.safetensors'), '--test-limit', '40', '--method', 'grad-cam++', '--class-images', '3', '--cells', '2', '--per-cell', '2', '--png');
    expect(run.status, run.stderr).toBe(0);
    const figures = ['confusion', 'correct', 'misclassified', 'class-means', 'confusion-cells']; // no curves: the model has no training history
    expect(run.stdout.trim().split('\n')).toEqual([join('run', 'report.html'), ...figures.map((name) => join('run', `${name}.png`))]); // the files written, nothing else
    const html = readFileSync(join(work, 'run', 'report.html'), 'utf8');
    expect(html).toContain('<h2>What each class looks like to the network</h2>');
    expect(html).toContain('<h2>Why a t was read as p</h2>');
    expect(html).toMatch(/The 2 largest of the \d+ off-diagonal cells/);
    expect(html).toContain('explained by Grad-CAM++');
    for (const name of ['class-means', 'confusion-cells']) {
      const image = PNG.sync.read(readFileSync(join(work, 'run', `${name}.png`)));
      expect(image.width, name).toBeGreaterThan(200);
    }
  });

  it('refuses an unknown --method or a --cells of 0 with one line, before any work', () => {
    const method = xcnn('report', '--model', join('run', 'model.safetensors'), '--method', 'magic');
    expect(method.status).toBe(2);
    expect(method.stderr.trim()).toMatch(/^error: --method: 'magic' is not one of grad-cam,/);
    const cells = xcnn('report', '--model', join('run', 'model.safetensors'), '--cells', '0');
    expect(cells.status).toBe(2);
    expect(cells.stderr.trim().split('\n')).toHaveLength(1);
  });
});
