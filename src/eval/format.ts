/** Text renderings of evaluation results for the terminal, laid out like the paper's tables. */
import type { ClassificationReport, ConfusionMatrix } from './metrics.js';

/** The classification report as the paper (and scikit-learn) prints it, four decimals. */
export function formatClassificationReport(report: ClassificationReport): string {
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

/** The confusion matrix with true classes down and predicted classes across. */
export function formatConfusionMatrix(confusion: ConfusionMatrix, classNames: string[]): string {
  const labels = classNames.map((n) => (n.length > 6 ? n.slice(0, 6) : n));
  const width = Math.max(6, ...confusion.flat().map((v) => String(v).length + 1));
  const nameWidth = Math.max(...labels.map((l) => l.length), 4) + 1;
  const lines = [`${'true ↓ / predicted →'}`];
  lines.push(' '.repeat(nameWidth) + labels.map((l) => l.padStart(width)).join(''));
  confusion.forEach((row, t) => lines.push(labels[t].padStart(nameWidth) + row.map((v) => String(v).padStart(width)).join('')));
  return lines.join('\n');
}
