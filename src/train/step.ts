/**
 * One training step — forward, loss, backward, the optimiser's update — behind a small interface, so the trainer runs the
 * same loop on one thread (SerialStep, here) or on several (the thread pool in src/parallel/).
 */
import type { LoadedBatch } from '../data/batch.js';
import { argmaxRow, SoftmaxCrossEntropy } from '../model/loss.js';
import { trainingPass } from '../model/layer.js';
import type { Network } from '../model/network.js';
import type { Optimizer } from './optimizer.js';

export interface StepResult {
  loss: number; // mean cross-entropy over the batch (label-smoothed when asked), before the update
  correct: number; // correct predictions in the batch, before the update
}

export interface TrainStep {
  /** One optimiser step on `batch`. When the loss is not finite the update is skipped (nothing is poisoned). */
  run(batch: LoadedBatch): StepResult;
}

/** The step on the calling thread: the network's own kernels, one batch at a time. */
export class SerialStep implements TrainStep {
  private readonly head: SoftmaxCrossEntropy;
  private readonly classes: number;

  /**
   * `seed` seeds dropout's masks (the run's seed); a network without dropout does not use it.
   * `labelSmoothing` ε mixes ε/K of every class into the target (torch's CrossEntropyLoss(label_smoothing)).
   */
  constructor(
    private readonly network: Network,
    private readonly optimizer: Optimizer,
    private readonly seed = 0,
    labelSmoothing = 0,
  ) {
    this.classes = network.outputShape[0];
    this.head = network.workspace.owned(labelSmoothing === 0 ? 'train.head' : `train.head.smoothed.${labelSmoothing}`, () => new SoftmaxCrossEntropy(network.backend, this.classes, labelSmoothing));
  }

  run(batch: LoadedBatch): StepResult {
    const { network, head, classes } = this;
    network.zeroGrad();
    const logits = network.forward(batch.input, batch.size, trainingPass(this.seed, this.optimizer.step + 1));
    const loss = head.forward(logits, batch.labels, batch.size, true);
    let correct = 0;
    for (let n = 0; n < batch.size; n++) if (argmaxRow(head.probs!, n, classes) === batch.labels[n]) correct++;
    if (Number.isFinite(loss)) {
      network.backward(head.dLogits!);
      this.optimizer.update();
    }
    return { loss, correct };
  }
}
