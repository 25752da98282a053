/** A model's evaluation on an image set: loss, accuracy, confusion matrix and the per-class report. */
import type { ImageSet } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import { classificationReport, confusionMatrix, type ClassificationReport, type ConfusionMatrix } from './metrics.js';
import { predict, type BatchPredictor, type Predictions } from './predict.js';
import { checkFields, checkList, checkModel, checkPredictions } from '../argument-checks.js';

export interface Evaluation {
  count: number;
  loss: number;
  accuracy: number;
  confusion: ConfusionMatrix;
  report: ClassificationReport;
}

/**
 * Refuses, before any work, an empty set (its loss and accuracy would be 0/0), a class name list that is
 * not one name per class of the model, and labels that are not classes of the model.
 */
export function evaluate(model: Network | BatchPredictor, set: ImageSet, classNames: string[]): Evaluation & { predictions: Predictions } {
  checkModel('evaluate', 'model', model, 'a network or a thread pool');
  const classes = model.outputShape[0];
  if (!Array.isArray(classNames) || classNames.length !== classes) {
    throw new XcnnError(`evaluate: ${Array.isArray(classNames) ? `${classNames.length} class names` : 'the class names are not a list'} for a model of ${classes} classes; give one name per class`, { code: 'ERR_BAD_ARGUMENT' });
  }
  if (set.count === 0) throw new XcnnError('evaluate: the test set is empty; give at least one labelled image', { code: 'ERR_BAD_DATA' });
  for (let n = 0; n < Math.min(set.count, set.labels.length); n++) {
    if (set.labels[n] >= classes) throw new XcnnError(`evaluate: label ${set.labels[n]} of image ${n} is outside the model's ${classes} classes (0 to ${classes - 1})`, { code: 'ERR_BAD_DATA' });
  }
  return evaluationOf(predict(model, set), classNames);
}

/** The evaluation of predictions already made (the trainer's last test pass, say). */
export function evaluationOf(predictions: Predictions, classNames: string[]): Evaluation & { predictions: Predictions } {
  checkPredictions('evaluationOf', 'predictions', predictions);
  checkList('evaluationOf', 'classNames', classNames, 'strings');
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
export function evaluationJson(evaluation: Evaluation): Evaluation {
  checkFields('evaluationJson', 'evaluation', evaluation, 'as evaluate gives it', { count: 'number', loss: 'number', accuracy: 'number', confusion: 'array', report: 'object' });
  const { count, loss, accuracy, confusion, report } = evaluation;
  return { count, loss, accuracy, confusion, report };
}
