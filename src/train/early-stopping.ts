/**
 * Which epoch is best, for the best epoch's weights and early stopping, as Keras' EarlyStopping decides it
 * with min_delta 0: the validation loss strictly lower (`val-loss`, the default) or the validation accuracy
 * strictly higher (`val-accuracy`) than the best epoch's so far; a tie keeps the earlier epoch.
 */
export type Monitor = 'val-loss' | 'val-accuracy';
export const MONITORS: readonly Monitor[] = ['val-loss', 'val-accuracy'];

interface ValidationFigures {
  valLoss?: number;
  valAccuracy?: number;
}

/** True when `epoch` is better than `best` (always when there is no best yet). */
export function improves(epoch: ValidationFigures, best: ValidationFigures | null, monitor: Monitor): boolean {
  if (best === null) return true;
  return monitor === 'val-loss' ? epoch.valLoss! < best.valLoss! : epoch.valAccuracy! > best.valAccuracy!;
}
