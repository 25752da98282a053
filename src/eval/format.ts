/** Text renderings of evaluation results for the terminal, laid out like the paper's tables. */
import { checkFields, checkList } from '../argument-checks.js';
import type { ClassificationReport, ConfusionMatrix } from './metrics.js';

/** The classification report as the paper (and scikit-learn) prints it, four decimals. */
export function formatClassificationReport(report: ClassificationReport): string {
  checkFields('formatClassificationReport', 'report', report, 'as classificationReport gives it', { classNames: 'array', perClass: 'array', accuracy: 'number', total: 'number', macroAvg: 'object', weightedAvg: 'object' });
  const nameWidth = Math.max(12, ...report.classNames.map((n) => n.length));
  const row = (name: string, cells: string[]) => name.padStart(nameWidth) + cells.map((c) => c.padStart(11)).join('');
  const f = (x: number) => x.toFixed(4);
  const lines = [row('', ['precision', 'recall', 'f1-score', 'support']), ''];
  report.perClass.forEach((c, k) => lines.push(row(report.classNames[k], [f(c.precision), f(c.recall), f(c.f1), String(c.support)])));
  lines.push('');
  lines.push(row('accuracy', ['', '', f(report.accuracy), String(report.total)]));
  for (const [name, avg] of [['macro avg', report.macroAvg], ['weighted avg', report.weightedAvg]] as const) {
    lines.push(row(name, [f(avg.precision), f(avg.recall), f(avg.f1), String(avg.support)]));
  }
  return lines.join('\n');
}

/** The most classes whose confusion matrix is printed as a table (20 columns of 6 characters fill a wide terminal). */
export const MAX_CONFUSION_TABLE_CLASSES = 20;

/** How many of the largest confusions are listed instead of a matrix too wide to print. */
export const TOP_CONFUSIONS = 20;

/**
 * The confusion matrix with true classes down and predicted classes across; beyond
 * MAX_CONFUSION_TABLE_CLASSES classes, where a table is unreadable, the largest off-diagonal cells instead,
 * saying so (the whole matrix stays in the JSON).
 */
export function formatConfusionMatrix(confusion: ConfusionMatrix, classNames: string[]): string {
  checkList('formatConfusionMatrix', 'confusion', confusion, 'rows of counts (confusionMatrix)');
  checkList('formatConfusionMatrix', 'classNames', classNames, 'strings');
  if (confusion.length > MAX_CONFUSION_TABLE_CLASSES) return formatTopConfusions(confusion, classNames);
  const labels = classNames.map((n) => (n.length > 6 ? n.slice(0, 6) : n));
  const width = Math.max(6, ...confusion.flat().map((v) => String(v).length + 1), ...labels.map((l) => l.length + 1));
  const nameWidth = Math.max(...labels.map((l) => l.length), 4) + 1;
  const lines = [`${'true ↓ / predicted →'}`];
  lines.push(' '.repeat(nameWidth) + labels.map((l) => l.padStart(width)).join(''));
  confusion.forEach((row, t) => lines.push(labels[t].padStart(nameWidth) + row.map((v) => String(v).padStart(width)).join('')));
  return lines.join('\n');
}

/** The off-diagonal cells holding images, largest first (ties: by true class, then predicted class). */
export function largestConfusions(confusion: ConfusionMatrix): Array<{ trueClass: number; predictedClass: number; count: number }> {
  const cells: Array<{ trueClass: number; predictedClass: number; count: number }> = [];
  confusion.forEach((row, t) => row.forEach((count, p) => {
    if (t !== p && count > 0) cells.push({ trueClass: t, predictedClass: p, count });
  }));
  return cells.sort((a, b) => b.count - a.count || a.trueClass - b.trueClass || a.predictedClass - b.predictedClass);
}

function formatTopConfusions(confusion: ConfusionMatrix, classNames: string[]): string {
  const cells = largestConfusions(confusion);
  const shown = cells.slice(0, TOP_CONFUSIONS);
  const lines = [
    `confusion matrix: ${confusion.length} classes, too many for a table (more than ${MAX_CONFUSION_TABLE_CLASSES}); ` +
      (cells.length === 0
        ? 'no image is misclassified. The whole matrix is in the JSON (--json, metrics.json).'
        : `the ${shown.length === cells.length ? `${cells.length}` : `${shown.length} largest of the ${cells.length}`} confusions, true → predicted: images. The whole matrix is in the JSON (--json, metrics.json).`),
  ];
  const names = shown.map((c) => `${classNames[c.trueClass] ?? c.trueClass} → ${classNames[c.predictedClass] ?? c.predictedClass}`);
  const width = Math.max(0, ...names.map((n) => n.length));
  shown.forEach((c, k) => lines.push(`  ${names[k].padEnd(width)}  ${c.count}`));
  return lines.join('\n');
}
