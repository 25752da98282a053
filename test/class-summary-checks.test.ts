/**
 * The class-summary modules' worked examples and refusals, word for word (src/explain/class-means.ts,
 * confusion-cells.ts): class means of hand-made rows, the images a class-mean run picks, the cells of a
 * hand-made set of predictions, and every limit of the options.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/dataset.js';
import type { Predictions } from '../src/eval/predict.js';
import { classMeanHeatmaps, classMeanImages, explainClassMeans, trueClassesOf } from '../src/explain/class-means.js';
import { confusionCellExplanations, confusionCells } from '../src/explain/confusion-cells.js';
import { allocateExplanation } from '../src/explain/explanation.js';
import { Random } from '../src/random.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';
import { refusal } from './errors.js';

describe('class means, worked by hand', () => {
  it('averages the rows of each class; a class with none is zeros with a count of 0', () => {
    const explanation = allocateExplanation(Int32Array.of(0, 1, 2), 3, 1, 1, 1, 2);
    explanation.heatmaps.set([0.2, 0.4, 0.6, 0.8, 1, 0]);
    const means = classMeanHeatmaps(explanation, [2, 0, 2], 3);
    expect([means.classes, means.channels, means.height, means.width]).toEqual([3, 1, 1, 2]);
    expect(Array.from(means.counts)).toEqual([1, 0, 2]);
    expect(Array.from(means.means)).toEqual(Array.from(Float32Array.of(0.6, 0.8, 0, 0, 0.6, 0.2)));
  });

  it('averages the images named by index, channels and all', () => {
    const set: ImageSet = { count: 3, channels: 2, height: 1, width: 1, images: Uint8Array.of(10, 20, 30, 40, 50, 60), labels: Uint8Array.of(0, 1, 0) };
    const means = classMeanImages(set, [2, 0, 1], [0, 0, 1], 2);
    expect(means.channels).toBe(2);
    expect(Array.from(means.counts)).toEqual([2, 1]);
    expect(Array.from(means.means)).toEqual([30, 40, 30, 40]);
    expect(Array.from(trueClassesOf(allocateExplanation(Int32Array.of(2, 1), 2, 1, 1, 1, 1), set))).toEqual([0, 1]);
  });

  it('refuses class lists of the wrong length and classes outside the range, word for word', () => {
    const explanation = allocateExplanation(Int32Array.of(0, 1), 2, 1, 1, 1, 1);
    expect(refusal(() => classMeanHeatmaps(explanation, [0], 2))).toBe('classMeanHeatmaps: 1 classes for 2 explained images; give one class per image');
    const set: ImageSet = { count: 2, height: 1, width: 1, images: Uint8Array.of(1, 2), labels: Uint8Array.of(0, 1) };
    expect(refusal(() => classMeanImages(set, [0, 1], [0], 2))).toBe('classMeanImages: 1 classes for 2 images; give one class per image');
    expect(refusal(() => classMeanHeatmaps(explanation, [0, 2], 2))).toBe('class 2 of image 1 is outside the 2 classes (0 to 1)');
    expect(refusal(() => classMeanHeatmaps(explanation, [-1, 0], 2))).toBe('class -1 of image 0 is outside the 2 classes (0 to 1)');
    expect(refusal(() => classMeanHeatmaps(explanation, [0.5, 0], 2))).toBe('class 0.5 of image 0 is outside the 2 classes (0 to 1)');
    expect(refusal(() => classMeanHeatmaps(explanation, [1, 1], 2))).toBe('accepted');
  });

  it('explainClassMeans takes the first perClass images of each class the model has, in set order', () => {
    const network = tinyNetwork(4);
    const random = new Random(2);
    const labels = [3, 1, 3, 0, 3, 1, 7, 0];
    const set: ImageSet = { count: 8, height: GEOMETRY.height, width: GEOMETRY.width, images: Uint8Array.from({ length: 8 * PIXELS }, () => Math.floor(random.next() * 256)), labels: Uint8Array.from(labels) };
    const result = explainClassMeans(network, set, 'saliency', { perClass: 2 });
    expect(result.method).toBe('saliency');
    expect(Array.from(result.explanation.indices)).toEqual([0, 1, 2, 3, 5, 7]); // the third 3 and the 7 (no such class) left out
    expect(Array.from(result.explanation.targets)).toEqual([3, 1, 3, 0, 1, 0]);
    expect(Array.from(result.images.counts)).toEqual([2, 2, 0, 2]);
    expect(Array.from(result.heatmaps.counts)).toEqual([2, 2, 0, 2]);
    expect(Array.from(explainClassMeans(network, set, 'saliency').explanation.indices)).toEqual([0, 1, 2, 3, 4, 5, 7]);
  });
});

describe('confusion cells, worked by hand', () => {
  // 7 images of the tiny network's 4 classes (none of class 3); the predicted class's probability is the confidence.
  const predictions: Predictions = {
    labels: Uint8Array.of(0, 0, 1, 0, 2, 0, 1),
    predicted: Int32Array.of(1, 1, 0, 0, 1, 1, 0),
    probabilities: Float32Array.of(0.2, 0.7, 0.1, 0, 0.1, 0.8, 0.1, 0, 0.6, 0.3, 0.1, 0, 0.9, 0.05, 0.05, 0, 0.1, 0.5, 0.4, 0, 0.1, 0.8, 0.1, 0, 0.7, 0.2, 0.1, 0),
    loss: 0,
    accuracy: 1 / 7,
  };

  it('lists the off-diagonal cells, largest first, each with its images most confident first (ties by index)', () => {
    expect(confusionCells(predictions)).toEqual([
      { trueClass: 0, predictedClass: 1, count: 3, indices: [1, 5, 0] },
      { trueClass: 1, predictedClass: 0, count: 2, indices: [6, 2] },
      { trueClass: 2, predictedClass: 1, count: 1, indices: [4] },
    ]);
    expect(confusionCells({ ...predictions, labels: new Uint8Array(0), predicted: new Int32Array(0), probabilities: new Float32Array(0) })).toEqual([]);
  });

  it('breaks ties of count by true class, then by predicted class, whatever order the cells first appear in', () => {
    // Three cells of one image each, met as (2, 1), (0, 2), (0, 1); four classes, confidences all 0.5.
    const tied: Predictions = {
      labels: Uint8Array.of(2, 0, 0, 3),
      predicted: Int32Array.of(1, 2, 1, 3),
      probabilities: new Float32Array(16).fill(0.5),
      loss: 0,
      accuracy: 0.25,
    };
    expect(confusionCells(tied).map((cell) => [cell.trueClass, cell.predictedClass])).toEqual([[0, 1], [0, 2], [2, 1]]);
  });

  it('keeps images of equal confidence in index order, in a cell of 150 (past a sort\'s insertion-sort runs)', () => {
    // 150 images of class 1 taken for 0, every third at 0.9 and the others at 0.6: the 0.9s first, each group in index order.
    const count = 150;
    const labels = new Uint8Array(count).fill(1);
    const predicted = new Int32Array(count);
    const probabilities = new Float32Array(count * 2);
    for (let n = 0; n < count; n++) probabilities[n * 2] = n % 3 === 0 ? 0.9 : 0.6;
    const expected = [...Array.from({ length: count }, (_, n) => n).filter((n) => n % 3 === 0), ...Array.from({ length: count }, (_, n) => n).filter((n) => n % 3 !== 0)];
    expect(confusionCells({ labels, predicted, probabilities, loss: 0, accuracy: 0 })).toEqual([{ trueClass: 1, predictedClass: 0, count, indices: expected }]);
  });

  it('refuses a perCell or a cells that is not a whole number in range, word for word', () => {
    const network = tinyNetwork(1);
    const set: ImageSet = { count: 7, height: GEOMETRY.height, width: GEOMETRY.width, images: new Uint8Array(7 * PIXELS), labels: predictions.labels };
    const run = (options: object) => refusal(() => confusionCellExplanations(network, set, predictions, 'saliency', options));
    expect(run({ perCell: 0 })).toBe('confusionCellExplanations: perCell is 0; it must be a whole number ≥ 1');
    expect(run({ perCell: 1.5 })).toBe('confusionCellExplanations: perCell is 1.5; it must be a whole number ≥ 1');
    expect(run({ cells: -1 })).toBe('confusionCellExplanations: cells is -1; it must be a whole number ≥ 0');
    expect(run({ cells: 0.5 })).toBe('confusionCellExplanations: cells is 0.5; it must be a whole number ≥ 0');
    expect(run({ cells: 0 })).toBe('accepted');
    expect(run({ cells: Infinity, perCell: 1 })).toBe('accepted');
    expect(refusal(() => confusionCellExplanations(network, { ...set, count: 6, images: new Uint8Array(6 * PIXELS), labels: predictions.labels.subarray(0, 6) }, predictions))).toBe('confusionCellExplanations: the predictions are of 7 images but the set has 6; predict on the same set');
    const none = confusionCellExplanations(network, set, predictions, 'saliency', { cells: 0 });
    expect([none.cells.length, none.cellCount, none.explanation.count, none.method]).toEqual([0, 3, 0, 'saliency']);
  });

  it('explains each cell\'s first perCell images for t then for p, with their confidences (Grad-CAM by default)', () => {
    const network = tinyNetwork(1);
    const random = new Random(4);
    const set: ImageSet = { count: 7, height: GEOMETRY.height, width: GEOMETRY.width, images: Uint8Array.from({ length: 7 * PIXELS }, () => Math.floor(random.next() * 256)), labels: predictions.labels };
    const result = confusionCellExplanations(network, set, predictions, undefined, { perCell: 2 });
    expect(result.method).toBe('grad-cam');
    expect(Array.from(result.explanation.indices)).toEqual([1, 5, 1, 5, 6, 2, 6, 2, 4, 4]);
    expect(Array.from(result.explanation.targets)).toEqual([0, 0, 1, 1, 1, 1, 0, 0, 2, 1]);
    expect(result.cells.map((c) => c.mistakes.map((m) => [m.index, m.confidence, m.forTrue.index, m.forTrue.target, m.forPredicted.index, m.forPredicted.target]))).toEqual([
      [[1, Math.fround(0.8), 1, 0, 1, 1], [5, Math.fround(0.8), 5, 0, 5, 1]],
      [[6, Math.fround(0.7), 6, 1, 6, 0], [2, Math.fround(0.6), 2, 1, 2, 0]],
      [[4, Math.fround(0.5), 4, 2, 4, 1]],
    ]);
    expect(confusionCellExplanations(network, set, predictions).cells[0].mistakes).toHaveLength(3); // perCell 3 by default
  });
});
