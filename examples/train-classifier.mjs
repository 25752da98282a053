// examples/train-classifier.mjs — train LeNet-5 on 2,000 MNIST images for an epoch, evaluate it, and save it.
import { writeFile } from 'node:fs/promises';
import { loadDataset, takeFirst, trainClassifier } from 'xcnn';

const mnist = loadDataset();
const model = await trainClassifier({
  train: takeFirst(mnist.train, 2000),
  test: takeFirst(mnist.test, 1000), // evaluated after every epoch, into model.info.metrics
  arch: 'lenet5', // any spec or preset, as xcnn train --arch
  epochs: 1,
  classNames: mnist.classNames,
  onProgress: ({ done, total, loss }) => process.stderr.write(`\r${done}/${total} images, loss ${loss.toFixed(3)}`),
});
try {
  const { accuracy } = await model.evaluate(takeFirst(mnist.test, 1000));
  console.log(`\ntest accuracy ${(100 * accuracy).toFixed(1)}% after ${model.info.training.epochs} epoch`);
  await writeFile('lenet5.safetensors', model.toBytes()); // as xcnn train writes it: loadClassifier({ model: 'lenet5.safetensors' })
} finally {
  await model.close();
}
