/**
 * The report's galleries (src/report/galleries.ts) on predictions and explanations written by hand: which
 * images each gallery picks and in which order, the captions and percentages, and each tile's pixels, heatmap
 * and flat mark taken from the right image.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/dataset.js';
import type { Predictions } from '../src/eval/predict.js';
import type { ExplainedCell } from '../src/explain/confusion-cells.js';
import { allocateExplanation, explanationImage } from '../src/explain/explanation.js';
import type { GradCam } from '../src/explain/grad-cam.js';
import { cellCaption, cellPanels, correctByClass, galleryTiles, misclassifiedByConfidence, mistakeCaption, percentText, shortName, tiles } from '../src/report/galleries.js';

// Eight images, three classes; probabilities of the predicted class in the third column of each comment.
//   n:        0    1    2    3    4    5    6    7
//   label:    0    1    0    2    1    0    2    1
//   predicted 0    2    0    2    0    1    0    1
const predictions: Predictions = {
  labels: Uint8Array.of(0, 1, 0, 2, 1, 0, 2, 1),
  predicted: Int32Array.of(0, 2, 0, 2, 0, 1, 0, 1),
  probabilities: Float32Array.of(
    0.9, 0.05, 0.05, //
    0.1, 0.2, 0.7, // 1: wrong, 0.7
    0.8, 0.1, 0.1, //
    0.1, 0.1, 0.8, //
    0.6, 0.3, 0.1, // 4: wrong, 0.6
    0.2, 0.7, 0.1, // 5: wrong, 0.7 (ties with 1: the smaller index first)
    0.95, 0.03, 0.02, // 6: wrong, 0.95
    0.1, 0.8, 0.1, //
  ),
  loss: 0,
  accuracy: 0.5,
};

describe('which images the galleries pick', () => {
  it('the first right ones of each class, at most perClass, in set order', () => {
    expect(correctByClass(predictions, 3, 5)).toEqual([[0, 2], [7], [3]]);
    expect(correctByClass(predictions, 3, 1)).toEqual([[0], [7], [3]]);
    expect(correctByClass(predictions, 4, 2)).toEqual([[0, 2], [7], [3], []]);
    expect(correctByClass(predictions, 3, 0)).toEqual([[], [], []]);
  });

  it('the mistakes, most confident first, ties by index', () => {
    expect(misclassifiedByConfidence(predictions, 3)).toEqual([6, 1, 5, 4]);
    const right = { ...predictions, predicted: Int32Array.from(predictions.labels) };
    expect(misclassifiedByConfidence(right, 3)).toEqual([]);
  });
});

describe('captions', () => {
  it('rounds to a whole percentage, and never shows 100% short of certainty', () => {
    expect(percentText(0.87)).toBe('87%');
    expect(percentText(0.004)).toBe('0%');
    expect(percentText(0.995)).toBe('>99%');
    expect(percentText(0.9949)).toBe('99%');
    expect(percentText(1)).toBe('100%');
    expect(mistakeCaption('4', '9', 0.87)).toBe('4→9 87%');
    expect(cellCaption('4', '9', 0.999)).toBe('true 4 → pred 9 (>99%)');
  });

  it('names a class by its name when every name has at most 3 characters, else by its index', () => {
    expect(shortName(['cat', 'dog', 'owl'], 2)).toBe('owl');
    expect(shortName(['cat', 'dog', 'bird'], 0)).toBe('0');
    expect(shortName(['a', 'bb', 'ccc'], 1)).toBe('bb');
  });
});

/** A 2 × 3 image per n, every byte 10·n + p, and a Grad-CAM result over `indices` whose heatmap pixels say which row they are. */
const set: ImageSet = { count: 8, height: 2, width: 3, images: Uint8Array.from({ length: 48 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6)), labels: predictions.labels };

function gradCamOf(indices: number[]): GradCam {
  const result = allocateExplanation(Int32Array.from(indices), 3, 1, 2, 2, 3);
  indices.forEach((index, n) => {
    result.predicted[n] = predictions.predicted[index];
    result.probabilities.set(predictions.probabilities.subarray(index * 3, index * 3 + 3), n * 3);
    result.heatmaps.fill(n / 10, n * 6, (n + 1) * 6);
    result.maps.set(n % 2 === 0 ? [1, 2] : [5, 5], n * 2); // odd rows flat
  });
  return { ...result, layer: 'relu2', channels: 1, weights: new Float32Array(indices.length) };
}

describe('gallery tiles', () => {
  it("each tile shows its image's pixels and its row's heatmap, and is marked flat when its raw map is", () => {
    const result = gradCamOf([3, 0, 5]);
    const shown = tiles(set, result, 1, 2, (n) => `row ${n}`);
    expect(shown).toHaveLength(2);
    expect(shown.map((t) => [Array.from(t.image.pixels), Array.from(t.image.heatmap), t.caption, t.flat])).toEqual([
      [[0, 1, 2, 3, 4, 5], Array(6).fill(Math.fround(0.1)), 'row 1', true],
      [[50, 51, 52, 53, 54, 55], Array(6).fill(Math.fround(0.2)), 'row 2', false],
    ]);
    expect([shown[0].image.width, shown[0].image.height, shown[0].image.channels]).toEqual([3, 2, undefined]);
    expect(tiles(set, result, 0, 1)[0].caption).toBeUndefined();
  });

  it('splits one pass into a row per class, then the mistakes captioned true→predicted p%', () => {
    const correct = correctByClass(predictions, 3, 2); // [[0, 2], [7], [3]]
    const mistakes = misclassifiedByConfidence(predictions, 3); // [6, 1, 5, 4]
    const result = gradCamOf([...correct.flat(), ...mistakes]);
    const { rows, mistakes: wrong } = galleryTiles(set, result, correct, mistakes, ['a', 'b', 'c']);
    expect(rows.map((row) => row.map((t) => t.image.pixels[0]))).toEqual([[0, 20], [70], [30]]);
    expect(rows.flat().map((t) => t.caption)).toEqual([undefined, undefined, undefined, undefined]);
    expect(wrong.map((t) => t.image.pixels[0])).toEqual([60, 10, 50, 40]);
    expect(wrong.map((t) => t.image.heatmap[0])).toEqual([4, 5, 6, 7].map((n) => Math.fround(n / 10)));
    expect(wrong.map((t) => t.caption)).toEqual(['c→a 95%', 'b→c 70%', 'a→b 70%', 'b→a 60%']);
    const long = galleryTiles(set, result, correct, mistakes, ['zero', 'one', 'two']);
    expect(long.mistakes.map((t) => t.caption)).toEqual(['2→0 95%', '1→2 70%', '0→1 70%', '1→0 60%']);
  });
});

describe('confusion-cell panels', () => {
  it('a panel per cell: its heading with the count, the column titles, and a row per mistake with its image and both heatmaps', () => {
    const explanation = gradCamOf([1, 4, 6, 1]);
    const image = (n: number) => explanationImage(explanation, n);
    const cells: ExplainedCell[] = [
      { trueClass: 1, predictedClass: 2, count: 1, indices: [1], mistakes: [{ index: 1, confidence: 0.7, forTrue: image(0), forPredicted: image(3) }] },
      { trueClass: 2, predictedClass: 0, count: 3, indices: [6, 4, 1], mistakes: [{ index: 6, confidence: 0.95, forTrue: image(2), forPredicted: image(1) }, { index: 4, confidence: 0.6, forTrue: image(1), forPredicted: image(2) }] },
    ];
    const panels = cellPanels({ ...set, channels: 1 }, cells, ['zero', 'one', 'two']);
    expect(panels.map((p) => [p.heading, p.columnTitles])).toEqual([
      ['one → two: 1 image', ['digit', 'for one', 'for two']],
      ['two → zero: 3 images', ['digit', 'for two', 'for zero']],
    ]);
    expect(panels.map((p) => p.rows.map((r) => [r.caption, r.forTrue.pixels[0], r.forPredicted.pixels[0], r.forTrue.heatmap[0], r.forPredicted.heatmap[0]]))).toEqual([
      [['true one → pred two (70%)', 10, 10, 0, Math.fround(0.3)]],
      [['true two → pred zero (95%)', 60, 60, Math.fround(0.2), Math.fround(0.1)], ['true two → pred zero (60%)', 40, 40, Math.fround(0.1), Math.fround(0.2)]],
    ]);
    const row = panels[1].rows[1];
    expect([row.forTrue.width, row.forTrue.height, row.forTrue.channels, Array.from(row.forTrue.pixels)]).toEqual([3, 2, 1, [40, 41, 42, 43, 44, 45]]);
    expect([row.forPredicted.width, row.forPredicted.height, row.forPredicted.channels, row.forPredicted.pixels.length]).toEqual([3, 2, 1, 6]);
  });
});
