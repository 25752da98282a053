/**
 * One training step — forward, loss, backward, the optimiser's update — behind a small interface, so the trainer runs the
 * same loop on one thread (SerialStep, here) or on several (the thread pool in src/parallel/).
 */
import type { LoadedBatch } from '../data/batch.js';
import { argmaxRow, SoftmaxCrossEntropy } from '../model/loss.js';
import { trainingPass } from '../model/layer.js';
import type { Dense } from '../model/dense.js';
import type { Network } from '../model/network.js';
import { WasmBackend } from '../backend/wasm/wasm-backend.js';
import { deferredWeights, rangesWithout, type DeferredWeight } from './deferred-weights.js';
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
  // On the wasm backend the dense layers' weight gradients are made after the backward pass, each overwritten by its
  // GEMM, so the step zeroes only the rest (deferred-weights.ts): the same numbers, one 4 MB pass fewer for the paper
  // net. After the whole pass, right before the optimiser reads them: made inside it, fc1's 4 MB pushed conv2's
  // backward out of the cache (1.016× against 1.036× on one thread, docs/speed-history.md).
  private readonly deferred: { backend: WasmBackend | null; weights: DeferredWeight[]; layers: ReadonlySet<Dense> };
  private readonly zeroed: [number, number][]; // the gradient ranges each step zeroes

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
    const backend = network.backend instanceof WasmBackend ? network.backend : null;
    const weights = backend === null ? [] : deferredWeights(network);
    this.deferred = { backend, weights, layers: new Set(weights.map((d) => d.layer)) };
    this.zeroed = rangesWithout(0, network.grads.length, weights);
    this.head = network.workspace.owned(labelSmoothing === 0 ? 'train.head' : `train.head.smoothed.${labelSmoothing}`, () => new SoftmaxCrossEntropy(network.backend, this.classes, labelSmoothing));
  }

  run(batch: LoadedBatch): StepResult {
    const { network, head, classes, deferred } = this;
    for (const [a, b] of this.zeroed) network.grads.fill(0, a, b);
    const logits = network.trainingForward(batch.input, batch.size, trainingPass(this.seed, this.optimizer.step + 1));
    const loss = head.forward(logits, batch.labels, batch.size, true);
    let correct = 0;
    for (let n = 0; n < batch.size; n++) if (argmaxRow(head.probs!, n, classes) === batch.labels[n]) correct++;
    if (Number.isFinite(loss)) {
      network.backward(head.dLogits!, deferred.layers);
      for (const d of deferred.weights) deferred.backend!.denseWeightGradientElements(d.layer, [d.layer.weightGradientOperands()], d.layer.weight.grad, 0, d.length);
      this.optimizer.update();
    } else {
      for (const d of deferred.weights) d.layer.weight.grad.fill(0); // as after zeroGrad
    }
    return { loss, correct };
  }
}
