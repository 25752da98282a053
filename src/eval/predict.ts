/**
 * Runs a network over a whole image set, forward only, in batches: the predicted class and the class
 * probabilities of every image, and the mean cross-entropy loss. `predictSteps` is the same computation
 * pausing after every batch (steps.ts), for the async API.
 */
import type { Backend, Floats } from '../backend/backend.js';
import { BatchLoader, range, type LoadedBatch } from '../data/batch.js';
import { checkImageSet, describeArray, imagesFromPixels, type ImageSet, type Labels } from '../data/dataset.js';
import { XcnnError } from '../errors.js';
import { argmaxRow, SoftmaxCrossEntropy } from '../model/loss.js';
import type { Network } from '../model/network.js';
import type { Workspace } from '../model/workspace.js';
import { runSteps, type Steps } from '../steps.js';
import { checkModel } from '../argument-checks.js';

export interface Predictions {
  labels: Labels; // [N] the true classes
  predicted: Int32Array; // [N] (any class count: a byte would wrap past class 255)
  probabilities: Float32Array; // [N, classes]
  loss: number; // mean cross-entropy
  accuracy: number;
}

/** What runs the forward passes: a network on this thread, or a thread pool. */
export interface BatchPredictor {
  readonly backend: Backend;
  readonly inputShape: number[]; // [C, H, W]
  readonly outputShape: number[]; // [classes]
  /** The network's workspace, where `predict` keeps its batch buffers between calls. */
  readonly workspace: Workspace;
  /** Class probabilities [N, classes] of a loaded batch, and the batch's summed cross-entropy. */
  predictBatch(batch: LoadedBatch): { probs: Floats; lossSum: number };
}

/** A network predicting on the calling thread. */
export function serialPredictor(network: Network): BatchPredictor {
  const classes = network.outputShape[0];
  const workspace = network.workspace;
  const head = workspace.owned('predict.head', () => new SoftmaxCrossEntropy(network.backend, classes));
  return {
    backend: network.backend,
    inputShape: network.inputShape,
    outputShape: network.outputShape,
    workspace,
    predictBatch(batch) {
      const loss = head.forward(network.logits(batch.input, batch.size), batch.labels, batch.size, false);
      return { probs: head.probs!, lossSum: loss * batch.size };
    },
  };
}

export function predict(model: Network | BatchPredictor, set: ImageSet, batchSize = 256): Predictions {
  return runSteps(predictSteps(model, set, batchSize));
}

/** `predict`, pausing after each batch with the number of images done. */
export function* predictSteps(model: Network | BatchPredictor, set: ImageSet, batchSize = 256): Steps<Predictions> {
  checkModel('predict', 'model', model, 'a network or a thread pool');
  const predictor = 'predictBatch' in model ? model : serialPredictor(model);
  const classes = predictor.outputShape[0];
  checkImageSet(set, predictor.inputShape, 'predict');
  const loader = BatchLoader.inWorkspace(predictor.workspace, 'predict', set);
  const predicted = new Int32Array(set.count);
  const probabilities = new Float32Array(set.count * classes);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const batch = loader.load(range(start, Math.min(start + batchSize, set.count)));
    const { probs, lossSum: batchLoss } = predictor.predictBatch(batch);
    lossSum += batchLoss;
    probabilities.set(probs, start * classes);
    for (let n = 0; n < batch.size; n++) {
      predicted[start + n] = argmaxRow(probs, n, classes);
      if (predicted[start + n] === batch.labels[n]) correct++;
    }
    yield { done: start + batch.size, total: set.count };
  }
  return { labels: set.labels.slice(0, set.count), predicted, probabilities, loss: lossSum / set.count, accuracy: correct / set.count };
}

/**
 * Classifies `count` images given as bytes [count, C, H, W] (0 = background, 255 = ink, C × H × W the network's
 * input, 1 × 28 × 28 for MNIST): each image's class and its class probabilities [count, classes].
 */
export function predictImages(network: Network, pixels: Uint8Array, count: number): { predicted: Int32Array; probabilities: Float32Array } {
  checkModel('predictImages', 'network', network);
  const [channels, height, width] = network.inputShape;
  if (!(pixels instanceof Uint8Array)) throw new XcnnError(`predictImages: the pixels are a ${describeArray(pixels)}; give a Uint8Array, one byte a pixel and channel`, { code: 'ERR_BAD_IMAGE' });
  const { predicted, probabilities } = predict(network, imagesFromPixels(pixels, count, height, width, channels));
  return { predicted, probabilities };
}
