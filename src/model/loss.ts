/**
 * The loss head: softmax over the logits and cross-entropy against the labels (the paper's "softmax
 * output" and "categorical cross-entropy", fused). Keeps the probabilities of the last batch and the
 * gradient with respect to the logits.
 */
import type { Backend, Floats } from '../backend/backend.js';
import { BatchBuffer } from './layer.js';

export class SoftmaxCrossEntropy {
  private readonly probsBuffer: BatchBuffer<Floats>;
  private readonly dLogitsBuffer: BatchBuffer<Floats>;
  probs: Floats | null = null; // [N, classes] of the last call
  dLogits: Floats | null = null; // [N, classes] ∂(mean loss)/∂logits of the last call with withGrad

  constructor(
    private readonly backend: Backend,
    readonly classes: number,
  ) {
    this.probsBuffer = BatchBuffer.floats(backend, classes);
    this.dLogitsBuffer = BatchBuffer.floats(backend, classes);
  }

  /** logits [N, classes], labels [N] → the mean loss over the batch. */
  forward(logits: Floats, labels: Int32Array, batch: number, withGrad: boolean): number {
    this.probs = this.probsBuffer.forBatch(batch);
    this.dLogits = withGrad ? this.dLogitsBuffer.forBatch(batch) : null;
    return this.backend.softmaxCrossEntropy(batch, this.classes, logits, labels, this.probs, this.dLogits);
  }

  /** Gives back its buffers. */
  dispose(): void {
    this.probsBuffer.release();
    this.dLogitsBuffer.release();
    this.probs = null;
    this.dLogits = null;
  }
}

/** The index of the largest of `classes` numbers starting at `row·classes`. */
export function argmaxRow(values: Floats, row: number, classes: number): number {
  let best = 0;
  for (let k = 1; k < classes; k++) if (values[row * classes + k] > values[row * classes + best]) best = k;
  return best;
}
