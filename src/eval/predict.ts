/**
 * Runs a network over a whole image set, forward only, in batches: the predicted class and the class
 * probabilities of every image, and the mean cross-entropy loss.
 */
import { BatchLoader, range } from '../data/batch.js';
import type { ImageSet } from '../data/dataset.js';
import { argmaxRow, SoftmaxCrossEntropy } from '../model/loss.js';
import type { Network } from '../model/network.js';

export interface Predictions {
  labels: Uint8Array; // [N] the true classes
  predicted: Uint8Array; // [N]
  probabilities: Float32Array; // [N, classes]
  loss: number; // mean cross-entropy
  accuracy: number;
}

export function predict(network: Network, set: ImageSet, batchSize = 256): Predictions {
  const classes = network.outputShape[0];
  const loader = new BatchLoader(network.backend, set);
  const head = new SoftmaxCrossEntropy(network.backend, classes);
  const predicted = new Uint8Array(set.count);
  const probabilities = new Float32Array(set.count * classes);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const batch = loader.load(range(start, Math.min(start + batchSize, set.count)));
    const logits = network.forward(batch.input, batch.size);
    lossSum += head.forward(logits, batch.labels, batch.size, false) * batch.size;
    probabilities.set(head.probs!, start * classes);
    for (let n = 0; n < batch.size; n++) {
      predicted[start + n] = argmaxRow(head.probs!, n, classes);
      if (predicted[start + n] === batch.labels[n]) correct++;
    }
  }
  return { labels: set.labels.slice(0, set.count), predicted, probabilities, loss: lossSum / set.count, accuracy: correct / set.count };
}
