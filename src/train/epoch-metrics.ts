/**
 * The per-epoch records as files show them: metrics.csv (a row per epoch, written as the run goes) and the
 * history a model file keeps (the figures without the timings or the learning rate, so the same settings
 * give the same model bytes however the run went, and the paper's run the bytes it always had).
 */
import type { EpochRecord } from './trainer.js';

/** The columns of metrics.csv, in order; the validation columns are empty for a run without a validation set. */
export const METRICS_CSV_COLUMNS = ['epoch', 'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'test_loss', 'test_accuracy', 'learning_rate', 'seconds'] as const;

/** metrics.csv: a header and one row per epoch; numbers as JavaScript writes them (shortest round-trip form). */
export function metricsCsv(history: readonly EpochRecord[]): string {
  const cell = (value: number | undefined) => (value === undefined ? '' : String(value));
  const rows = history.map((r) =>
    [r.epoch, r.trainLoss, r.trainAccuracy, r.valLoss, r.valAccuracy, r.testLoss, r.testAccuracy, r.learningRate, r.seconds].map(cell).join(','),
  );
  return `${[METRICS_CSV_COLUMNS.join(','), ...rows].join('\n')}\n`;
}

/** The history a model file records: each epoch's losses and accuracies (validation ones when there were). */
export function modelFileHistory(history: readonly EpochRecord[]) {
  return history.map(({ seconds: _seconds, learningRate: _rate, ...figures }) => figures);
}
