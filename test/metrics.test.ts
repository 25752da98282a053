import { describe, expect, it } from 'vitest';
import { formatClassificationReport, formatConfusionMatrix, largestConfusions } from '../src/eval/format.js';
import { classificationReport, confusionMatrix } from '../src/eval/metrics.js';

describe('classification metrics', () => {
  // scikit-learn's documented example for classification_report:
  // y_true = [0, 1, 2, 2, 2], y_pred = [0, 0, 2, 2, 1].
  const confusion = confusionMatrix([0, 1, 2, 2, 2], [0, 0, 2, 2, 1], 3);
  const report = classificationReport(confusion, ['class 0', 'class 1', 'class 2']);

  it('counts true classes down and predicted classes across', () => {
    expect(confusion).toEqual([
      [1, 0, 0],
      [1, 0, 0],
      [0, 1, 2],
    ]);
  });

  it('agrees with scikit-learn\'s report to the digits it prints', () => {
    const round = (x: number) => Number(x.toFixed(2));
    expect(report.perClass.map((c) => [round(c.precision), round(c.recall), round(c.f1), c.support])).toEqual([
      [0.5, 1, 0.67, 1],
      [0, 0, 0, 1],
      [1, 0.67, 0.8, 3],
    ]);
    expect(round(report.accuracy)).toBe(0.6);
    expect([report.macroAvg.precision, report.macroAvg.recall, report.macroAvg.f1].map(round)).toEqual([0.5, 0.56, 0.49]);
    expect([report.weightedAvg.precision, report.weightedAvg.recall, report.weightedAvg.f1].map(round)).toEqual([0.7, 0.6, 0.61]);
  });

  it('prints the paper\'s table layout with four decimals', () => {
    const text = formatClassificationReport(report);
    expect(text).toMatch(/precision\s+recall\s+f1-score\s+support/);
    expect(text).toMatch(/class 2\s+1\.0000\s+0\.6667\s+0\.8000\s+3/);
    expect(text).toMatch(/accuracy\s+0\.6000\s+5/);
    expect(text).toMatch(/macro avg\s+0\.5000\s+0\.5556\s+0\.4889\s+5/);
    expect(text).toMatch(/weighted avg\s+0\.7000\s+0\.6000\s+0\.6133\s+5/);
  });

  it('gives 0, not NaN, for a class never predicted or never present', () => {
    const empty = classificationReport(confusionMatrix([0, 0], [0, 0], 2), ['a', 'b']);
    expect(empty.perClass[1]).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });
});

describe('the confusion matrix in the terminal', () => {
  it('is a table up to 20 classes, with every label and count apart', () => {
    const lines = formatConfusionMatrix([[10, 0], [2, 8]], ['dim', 'bright']).split('\n');
    expect(lines[0]).toBe('true ↓ / predicted →');
    expect(lines.slice(1).map((line) => line.trim().split(/\s+/))).toEqual([['dim', 'bright'], ['dim', '10', '0'], ['bright', '2', '8']]);
    const twenty = formatConfusionMatrix(Array.from({ length: 20 }, (_, t) => Array.from({ length: 20 }, (_, p) => (t === p ? 5 : 0))), Array.from({ length: 20 }, (_, k) => String(k)));
    expect(twenty.split('\n')).toHaveLength(22);
  });

  it('beyond 20 classes lists the 20 largest confusions, largest first, and says where the whole matrix is', () => {
    // 21 classes; class t is read as class (t + 1) mod 21 in t images (class 0 never), so the largest confusion is 20 → 0.
    const classes = 21;
    const matrix = Array.from({ length: classes }, (_, t) => Array.from({ length: classes }, (_, p) => (p === t ? 50 : p === (t + 1) % classes ? t : 0)));
    const names = Array.from({ length: classes }, (_, k) => `c${k}`);
    const lines = formatConfusionMatrix(matrix, names).split('\n');
    expect(lines[0]).toBe('confusion matrix: 21 classes, too many for a table (more than 20); the 20 confusions, true → predicted: images. The whole matrix is in the JSON (--json, metrics.json).');
    expect(lines.slice(1).map((line) => line.trim().split(/\s+/))).toEqual(Array.from({ length: 20 }, (_, k) => [`c${20 - k}`, '→', `c${(21 - k) % 21}`, String(20 - k)]));
    expect(largestConfusions(matrix)).toHaveLength(20);
    const perfect = formatConfusionMatrix(Array.from({ length: classes }, (_, t) => Array.from({ length: classes }, (_, p) => (p === t ? 3 : 0))), names);
    expect(perfect).toBe('confusion matrix: 21 classes, too many for a table (more than 20); no image is misclassified. The whole matrix is in the JSON (--json, metrics.json).');
  });
});
