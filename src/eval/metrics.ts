/**
 * Classification metrics, as the paper reports them (and as scikit-learn's `classification_report`
 * defines them):
 *
 *   confusion[t][p]  the number of images of true class t predicted as p
 *   precision_k = TP_k / (TP_k + FP_k) = confusion[k][k] / Σ_t confusion[t][k]   (0 when nothing was predicted k)
 *   recall_k    = TP_k / (TP_k + FN_k) = confusion[k][k] / Σ_p confusion[k][p]   (0 when class k has no images)
 *   f1_k        = 2·precision·recall / (precision + recall)                      (0 when both are 0)
 *   support_k   = Σ_p confusion[k][p]
 *   macro avg   = the unweighted mean over classes; weighted avg = the mean weighted by support
 */
import { checkList, checkNumbers } from '../argument-checks.js';
export type ConfusionMatrix = number[][];

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface ClassificationReport {
  classNames: string[];
  perClass: ClassScores[];
  accuracy: number;
  total: number;
  macroAvg: ClassScores;
  weightedAvg: ClassScores;
}

export function confusionMatrix(labels: ArrayLike<number>, predicted: ArrayLike<number>, classes: number): ConfusionMatrix {
  checkNumbers('confusionMatrix', 'labels', labels);
  checkNumbers('confusionMatrix', 'predicted', predicted);
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let n = 0; n < labels.length; n++) matrix[labels[n]][predicted[n]] += 1;
  return matrix;
}

export function classificationReport(confusion: ConfusionMatrix, classNames: string[]): ClassificationReport {
  checkList('classificationReport', 'confusion', confusion, 'rows of counts (confusionMatrix)');
  checkList('classificationReport', 'classNames', classNames, 'strings');
  const classes = confusion.length;
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const perClass = confusion.map((row, k): ClassScores => {
    const truePositives = row[k];
    const predictedK = sum(confusion.map((r) => r[k]));
    const support = sum(row);
    const precision = predictedK === 0 ? 0 : truePositives / predictedK;
    const recall = support === 0 ? 0 : truePositives / support;
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    return { precision, recall, f1, support };
  });
  const total = sum(perClass.map((c) => c.support));
  const correct = sum(confusion.map((row, k) => row[k]));
  const average = (weight: (c: ClassScores) => number): ClassScores => {
    const weights = perClass.map(weight);
    const weightSum = sum(weights);
    const mean = (pick: (c: ClassScores) => number) => (weightSum === 0 ? 0 : sum(perClass.map((c, k) => pick(c) * weights[k])) / weightSum);
    return { precision: mean((c) => c.precision), recall: mean((c) => c.recall), f1: mean((c) => c.f1), support: total };
  };
  return {
    classNames: classNames.slice(0, classes),
    perClass,
    accuracy: total === 0 ? 0 : correct / total,
    total,
    macroAvg: average(() => 1),
    weightedAvg: average((c) => c.support),
  };
}
