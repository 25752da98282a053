// examples/classify.mjs — load a model (the shipped MNIST one, or the file named on the command line) and classify five test digits.
import { loadClassifier, loadDataset } from 'xcnn';

const model = await loadClassifier({ model: process.argv[2] }); // a path, the file's bytes, or nothing: the shipped model
try {
  console.log(`${model.info.spec}: ${model.info.parameters} parameters, input ${model.info.inputShape.join('×')}`);
  const { test } = loadDataset();
  const images = { data: test.images.subarray(0, 5 * 28 * 28), shape: [5, 1, 28, 28] }; // bytes 0–255, [N, C, H, W]
  const predictions = await model.predict(images);
  predictions.forEach(({ className, probabilities, classIndex }, n) => {
    console.log(`image ${n}: ${className} (${(100 * probabilities[classIndex]).toFixed(1)}%), labelled ${test.labels[n]}`);
  });
} finally {
  await model.close();
}
