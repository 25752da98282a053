// examples/predict.mjs — load a model from its bytes and classify 28 × 28 images given as bytes.
import { readFile } from 'node:fs/promises';
import { createWasmBackend, loadDataset, loadModelFromBytes, predictImages } from 'xcnn';

const backend = await createWasmBackend();
const { network, info } = loadModelFromBytes(await readFile('model.safetensors'), backend);

const { test } = loadDataset();
const pixels = test.images.subarray(0, 5 * 28 * 28); // five images, one byte a pixel, 0 = background
const { predicted, probabilities } = predictImages(network, pixels, 5);
for (let n = 0; n < 5; n++) {
  const p = probabilities[n * info.classNames.length + predicted[n]];
  console.log(`image ${n}: ${info.classNames[predicted[n]]} (${(100 * p).toFixed(1)}%), labelled ${info.classNames[test.labels[n]]}`);
}
