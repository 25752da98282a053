/**
 * The loss head: softmax over the logits and cross-entropy against the labels (the paper's "softmax
 * output" and "categorical cross-entropy", fused). Keeps the probabilities of the last batch and the
 * gradient with respect to the logits.
 *
 * Label smoothing ε (torch.nn.CrossEntropyLoss(label_smoothing=ε)) trains against the target
 * q = (1 − ε)·onehot(y) + ε/K instead of onehot(y), K the classes:
 *   loss    −Σₖ qₖ log pₖ = (1 − ε)·(−log p_y) + (ε/K)·Σₖ (−log pₖ),  log pₖ = zₖ − logΣⱼ exp zⱼ
 *   ∂/∂z    (p − q)/N = (p − onehot(y))/N + (ε/N)·(onehot(y) − 1/K)
 * The backend kernel gives the ε = 0 loss and gradient; the ε terms are added here (not at all for ε = 0).
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
    readonly labelSmoothing = 0,
  ) {
    this.probsBuffer = BatchBuffer.floats(backend, classes);
    this.dLogitsBuffer = BatchBuffer.floats(backend, classes);
  }

  /** logits [N, classes], labels [N] → the mean loss over the batch. */
  forward(logits: Floats, labels: Int32Array, batch: number, withGrad: boolean): number {
    this.probs = this.probsBuffer.forBatch(batch);
    this.dLogits = withGrad ? this.dLogitsBuffer.forBatch(batch) : null;
    const loss = this.backend.softmaxCrossEntropy(batch, this.classes, logits, labels, this.probs, this.dLogits);
    return this.labelSmoothing === 0 ? loss : this.smooth(loss, logits, labels, batch);
  }

  /** The label-smoothed loss from the plain one, and the smoothed gradient in dLogits (see the top). */
  private smooth(loss: number, logits: Floats, labels: Int32Array, batch: number): number {
    const { classes, labelSmoothing: epsilon } = this;
    let uniformSum = 0; // Σₙ Σₖ −log pₙₖ
    for (let n = 0; n < batch; n++) {
      const row = n * classes;
      let max = -Infinity;
      for (let k = 0; k < classes; k++) max = Math.max(max, logits[row + k]);
      let sum = 0;
      for (let k = 0; k < classes; k++) sum += Math.exp(logits[row + k] - max);
      const logSum = max + Math.log(sum);
      for (let k = 0; k < classes; k++) uniformSum += logSum - logits[row + k];
      if (this.dLogits !== null) {
        for (let k = 0; k < classes; k++) this.dLogits[row + k] -= epsilon / classes / batch;
        this.dLogits[row + labels[n]] += epsilon / batch;
      }
    }
    return (1 - epsilon) * loss + (epsilon / classes) * (uniformSum / batch);
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
