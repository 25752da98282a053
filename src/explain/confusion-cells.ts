/**
 * Why a t was read as p: for each off-diagonal cell (true t, predicted p) of the confusion matrix, its
 * misclassified images — the most confident mistakes first — each explained twice, once for t and once
 * for p. The map for t shows what evidence for the true class the network found; the map for p what it
 * took for the wrong one (a 4 whose open top reads as the loop of a 9).
 *
 * Cells come largest first (ties by t, then p), so the top few are the model's typical confusions.
 * Confidence is the predicted class's probability in the predictions given (those of `evaluate`).
 */
import { checkImageSetKind, checkMethod, checkModel, checkOptionFields, checkOptions, checkPredictions } from '../argument-checks.js';
import type { ImageSet } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import type { Predictions } from '../eval/predict.js';
import type { Network } from '../model/network.js';
import { explainForTargets, TARGETED_EXPLAIN_OPTION_FIELDS, type TargetedExplainOptions } from './explain-for-targets.js';
import { checkPlacement } from './placement.js';
import type { Explanation } from './explanation.js';
import { gradCamImage, type GradCamImage } from './grad-cam.js';
import { methodByName } from './methods/by-name.js';
import type { ExplanationMethod } from './methods/explain.js';

/** An off-diagonal cell of the confusion matrix and the images it holds. */
export interface ConfusionCell {
  trueClass: number; // t
  predictedClass: number; // p ≠ t
  count: number; // images with label t predicted p
  indices: number[]; // all of them, the most confident (highest p probability) first; ties by index
}

/** Every off-diagonal cell with at least one image, largest first (ties by true class, then predicted). */
export function confusionCells(predictions: Predictions): ConfusionCell[] {
  checkPredictions('confusionCells', 'predictions', predictions);
  const { labels, predicted, probabilities } = predictions;
  const classes = labels.length === 0 ? 0 : probabilities.length / labels.length;
  const cells = new Map<number, ConfusionCell>(); // keyed t·classes + p
  for (let n = 0; n < labels.length; n++) {
    const [t, p] = [labels[n], predicted[n]];
    if (t === p) continue;
    const key = t * classes + p;
    const cell = cells.get(key) ?? { trueClass: t, predictedClass: p, count: 0, indices: [] };
    cell.count++;
    cell.indices.push(n);
    cells.set(key, cell);
  }
  const confidence = (n: number) => probabilities[n * classes + predicted[n]];
  // Array.prototype.sort is stable: images of equal confidence keep the index order they were pushed in.
  for (const cell of cells.values()) cell.indices.sort((a, b) => confidence(b) - confidence(a));
  return [...cells.values()].sort((a, b) => b.count - a.count || a.trueClass - b.trueClass || a.predictedClass - b.predictedClass);
}

export interface ConfusionCellOptions extends TargetedExplainOptions {
  perCell?: number; // images explained per cell, the most confident first (default 3)
  cells?: number; // at most this many cells, the largest first (default: every one)
}

/** A misclassified image with its maps for its true and its predicted class. */
export interface ExplainedMistake {
  index: number; // in the image set
  confidence: number; // the predicted class's probability
  forTrue: GradCamImage; // explained for t
  forPredicted: GradCamImage; // explained for p
}

export interface ExplainedCell extends ConfusionCell {
  mistakes: ExplainedMistake[]; // min(count, perCell) of them, in the order of `indices`
}

export interface ConfusionCellExplanations {
  method: string; // the method's name, e.g. 'grad-cam'
  cells: ExplainedCell[]; // the largest `options.cells` of them
  cellCount: number; // the off-diagonal cells holding at least one image, shown or not
  /** Every map, one row per (image, class): each cell's mistakes for t, then the same for p. */
  explanation: Explanation;
}

/**
 * The confusion matrix's off-diagonal cells of `predictions` (made on `set`, image n of one being image n
 * of the other), each with its first `perCell` mistakes explained for the true and the predicted class by
 * `method` (a method or its name; default Grad-CAM). All maps of one class are made in one batched call.
 */
export function confusionCellExplanations(
  network: Network,
  set: ImageSet,
  predictions: Predictions,
  method: ExplanationMethod | string = 'grad-cam',
  options: ConfusionCellOptions = {},
): ConfusionCellExplanations {
  checkModel('confusionCellExplanations', 'network', network);
  checkImageSetKind('confusionCellExplanations', 'set', set);
  checkPredictions('confusionCellExplanations', 'predictions', predictions);
  checkMethod('confusionCellExplanations', 'method', method, true);
  checkOptions('confusionCellExplanations', options);
  checkOptionFields('confusionCellExplanations', 'options', options, { ...TARGETED_EXPLAIN_OPTION_FIELDS, perCell: 'number', cells: 'number' });
  checkPlacement('confusionCellExplanations', options.placement);
  if (predictions.labels.length !== set.count) {
    throw new XcnnError(`confusionCellExplanations: the predictions are of ${predictions.labels.length} images but the set has ${set.count}; predict on the same set`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const chosen = typeof method === 'string' ? methodByName(method) : method;
  const perCell = options.perCell ?? 3;
  if (!(Number.isInteger(perCell) && perCell >= 1)) throw new XcnnError(`confusionCellExplanations: perCell is ${perCell}; it must be a whole number ≥ 1`, { code: 'ERR_BAD_ARGUMENT' });
  const cellLimit = options.cells ?? Infinity;
  if (!(cellLimit === Infinity || (Number.isInteger(cellLimit) && cellLimit >= 0))) throw new XcnnError(`confusionCellExplanations: cells is ${cellLimit}; it must be a whole number ≥ 0`, { code: 'ERR_BAD_ARGUMENT' });
  const allCells = confusionCells(predictions);
  const cells = allCells.slice(0, cellLimit);

  // Rows: for each cell, its shown images for t, then the same images for p.
  const indices: number[] = [];
  const targets: number[] = [];
  const firstRow: number[] = [];
  for (const cell of cells) {
    const shown = cell.indices.slice(0, perCell);
    firstRow.push(indices.length);
    for (const target of [cell.trueClass, cell.predictedClass]) {
      indices.push(...shown);
      targets.push(...shown.map(() => target));
    }
  }
  const explanation = explainForTargets(network, set, chosen, indices, targets, options);
  const classes = explanation.classes;
  return {
    method: chosen.name,
    cellCount: allCells.length,
    explanation,
    cells: cells.map((cell, c) => {
      const shown = Math.min(cell.count, perCell);
      return {
        ...cell,
        mistakes: cell.indices.slice(0, shown).map((index, k) => ({
          index,
          confidence: predictions.probabilities[index * classes + cell.predictedClass],
          forTrue: gradCamImage(explanation, firstRow[c] + k),
          forPredicted: gradCamImage(explanation, firstRow[c] + shown + k),
        })),
      };
    }),
  };
}
