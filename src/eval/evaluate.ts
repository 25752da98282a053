/** A model's evaluation on an image set: loss, accuracy, confusion matrix and the per-class report. */
import type { ImageSet } from '../data/dataset.js';
import type { Network } from '../model/network.js';
import { classificationReport, confusionMatrix, type ClassificationReport, type ConfusionMatrix } from './metrics.js';
import { predict, type BatchPredictor, type Predictions } from './predict.js';

export interface Evaluation {
  count: number;
  loss: number;
  accuracy: number;
  confusion: ConfusionMatrix;
  report: ClassificationReport;
}

export function evaluate(model: Network | BatchPredictor, set: ImageSet, classNames: string[]): Evaluation & { predictions: Predictions } {
  return evaluationOf(predict(model, set), classNames);
}

/** The evaluation of predictions already made (the trainer's last test pass, say). */
export function evaluationOf(predictions: Predictions, classNames: string[]): Evaluation & { predictions: Predictions } {
  const confusion = confusionMatrix(predictions.labels, predictions.predicted, classNames.length);
  return {
    count: predictions.labels.length,
    loss: predictions.loss,
    accuracy: predictions.accuracy,
    confusion,
    report: classificationReport(confusion, classNames),
    predictions,
  };
}

/** The evaluation as plain JSON (no typed arrays). */
export function evaluationJson(e: Evaluation): Evaluation {
  return { count: e.count, loss: e.loss, accuracy: e.accuracy, confusion: e.confusion, report: e.report };
}
