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

  it('gives F1 = p = r when precision equals recall (two classes, one right and one wrong each: 0.5)', () => {
    const half = classificationReport(confusionMatrix([0, 0, 1, 1], [0, 1, 0, 1], 2), ['a', 'b']);
    expect(half.perClass).toEqual([
      { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
      { precision: 0.5, recall: 0.5, f1: 0.5, support: 2 },
    ]);
  });

  // A worked example with a different number in every cell, by hand, as fractions:
  //   true \ predicted   0  1  2     precision      recall   f1 = 2pr / (p + r)
  //   0                 2  1  1     2/3           2/4      (4/6) / (7/6) = 4/7
  //   1                 1  1  0     1/3           1/2      (2/6) / (5/6) = 2/5
  //   2                 0  1  3     3/4           3/4      3/4 (p = r)
  // accuracy 6/10; macro p = (2/3 + 1/3 + 3/4)/3 = 7/12, r = 7/12, f1 = (4/7 + 2/5 + 3/4)/3 = 241/420;
  // weighted (4, 2, 4): p = (8/3 + 2/3 + 3)/10 = 19/30, r = (2 + 1 + 3)/10 = 3/5, f1 = (16/7 + 4/5 + 3)/10 = 213/350.
  const labels = [0, 2, 0, 1, 2, 0, 1, 2, 0, 2];
  const predicted = [0, 2, 1, 0, 1, 2, 1, 2, 0, 2];
  const worked = classificationReport(confusionMatrix(labels, predicted, 3), ['zero', 'one', 'two', 'unused']);

  it('counts a worked example\'s confusion matrix', () => {
    expect(confusionMatrix(labels, predicted, 3)).toEqual([
      [2, 1, 1],
      [1, 1, 0],
      [0, 1, 3],
    ]);
  });

  it('computes every figure of the worked example', () => {
    const close = (actual: number[], expected: number[]) => actual.forEach((a, k) => expect(a, `figure ${k}`).toBeCloseTo(expected[k], 14));
    close(worked.perClass.flatMap((c) => [c.precision, c.recall, c.f1]), [2 / 3, 1 / 2, 4 / 7, 1 / 3, 1 / 2, 2 / 5, 3 / 4, 3 / 4, 3 / 4]);
    expect(worked.perClass.map((c) => c.support)).toEqual([4, 2, 4]);
    expect([worked.accuracy, worked.total]).toEqual([0.6, 10]);
    close([worked.macroAvg.precision, worked.macroAvg.recall, worked.macroAvg.f1], [7 / 12, 7 / 12, 241 / 420]);
    close([worked.weightedAvg.precision, worked.weightedAvg.recall, worked.weightedAvg.f1], [19 / 30, 3 / 5, 213 / 350]);
    expect([worked.macroAvg.support, worked.weightedAvg.support]).toEqual([10, 10]);
    expect(worked.classNames).toEqual(['zero', 'one', 'two']); // one name a class
  });

  it('gives 0 for every figure of an empty matrix, not NaN', () => {
    const empty = classificationReport(confusionMatrix([], [], 2), ['a', 'b']);
    expect([empty.accuracy, empty.total]).toEqual([0, 0]);
    expect(empty.macroAvg).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(empty.weightedAvg).toEqual({ precision: 0, recall: 0, f1: 0, support: 0 });
  });

  it('names the function, the argument and what it must be when an argument is not a list', () => {
    const numbers = 'an array or a typed array of numbers';
    expect(() => confusionMatrix('0' as never, [0], 1)).toThrow(`confusionMatrix: labels must be ${numbers}, not string`);
    expect(() => confusionMatrix([0], 7 as never, 1)).toThrow(`confusionMatrix: predicted must be ${numbers}, not number`);
    expect(() => classificationReport('rows' as never, ['a'])).toThrow('classificationReport: confusion must be an array of rows of counts (confusionMatrix), not string');
    expect(() => classificationReport([[1]], 'a' as never)).toThrow('classificationReport: classNames must be an array of strings, not string');
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
