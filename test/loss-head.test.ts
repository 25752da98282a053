/**
 * The loss head's edges (src/model/loss.ts) and the monitor names early stopping takes: argmaxRow reads one row
 * and breaks ties as torch.argmax does (the first), a class ruled out by a logit of −∞ costs nothing, and
 * dispose gives both buffers back. Expected values are worked by hand.
 */
import { describe, expect, it, vi } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { argmaxRow, SoftmaxCrossEntropy } from '../src/model/loss.js';
import { MONITORS } from '../src/train/early-stopping.js';

describe('argmaxRow: the class of the largest number in a row', () => {
  // Two rows of three classes: row 0 = (9, 8, 0), row 1 = (1, 5, 3).
  const rows = Float32Array.of(9, 8, 0, 1, 5, 3);

  it('finds each row\'s largest, comparing within the row only', () => {
    expect(argmaxRow(rows, 0, 3)).toBe(0);
    expect(argmaxRow(rows, 1, 3)).toBe(1);
  });

  it('never looks past its row: the next row\'s larger first number does not count', () => {
    expect(argmaxRow(Float32Array.of(0.1, 0.2, 0.9, 0), 0, 2)).toBe(1);
  });

  it('breaks a tie by the first class, as torch.argmax and numpy.argmax do', () => {
    expect(argmaxRow(Float32Array.of(0.5, 0.5, 0.1), 0, 3)).toBe(0);
    expect(argmaxRow(Float32Array.of(0.1, 0.5, 0.5), 0, 3)).toBe(1);
  });
});

describe('the loss head at its edges', () => {
  it('costs nothing for a class a logit of −∞ rules out, without smoothing: loss 0, not NaN', () => {
    const head = new SoftmaxCrossEntropy(new ReferenceBackend({ precision: 'float64' }), 2);
    // p = (1, 0): −log 1 = 0 for label 0.
    expect(head.forward(Float64Array.of(0, -Infinity), Int32Array.of(0), 1, true)).toBe(0);
    expect(Array.from(head.probs!)).toEqual([1, 0]);
  });

  it('gives both its buffers back on dispose, and forgets the last batch', () => {
    const backend = new ReferenceBackend({ precision: 'float64' });
    const free = vi.spyOn(backend, 'free');
    const head = new SoftmaxCrossEntropy(backend, 2);
    head.forward(Float64Array.of(0, 0), Int32Array.of(1), 1, true);
    head.dispose();
    expect(free).toHaveBeenCalledTimes(2);
    expect([head.probs, head.dLogits]).toEqual([null, null]);
  });
});

describe('what early stopping can monitor', () => {
  it('takes Keras\' names: the validation loss and the validation accuracy', () => {
    expect(MONITORS).toEqual(['val-loss', 'val-accuracy']);
  });
});
