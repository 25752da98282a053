/**
 * Grad-CAM on WebAssembly gives the reference backend's maps, for a paper network trained one epoch on 3000
 * MNIST images. Its own file (it was in grad-cam.test.ts) because the training takes seconds: the mutation
 * group of the explanation modules runs grad-cam.test.ts for each mutant and leaves this one out.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { takeFirst } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { Random } from '../src/random.js';

const wasmSource = join(import.meta.dirname, '..', 'src', 'backend', 'wasm', 'node.ts');
const wasmAbsent = !existsSync(wasmSource);
if (wasmAbsent) console.log(`Grad-CAM wasm-vs-reference test skipped: ${wasmSource} does not exist yet`);

describe('Grad-CAM on WebAssembly', () => {
  it.skipIf(wasmAbsent)('gives the reference backend\'s maps, for a trained paper network', async () => {
    const { createWasmBackend } = await import('../src/backend/wasm/node.js');
    const { Adam } = await import('../src/train/adam.js');
    const { createTrainingState, train } = await import('../src/train/trainer.js');
    const mnist = loadDataset();
    const random = new Random(11);
    const onWasm = createPaperNetwork(await createWasmBackend(), MNIST_GEOMETRY);
    onWasm.initialize(random);
    await train(createTrainingState(onWasm, new Adam(onWasm), random), { epochs: 1, batchSize: 64, train: takeFirst(mnist.train, 3000), test: takeFirst(mnist.test, 64) });
    const onReference = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY);
    onReference.params.set(onWasm.params);

    const test = takeFirst(mnist.test, 96);
    const started = performance.now();
    const fast = gradCam(onWasm, test, { batchSize: 40 });
    const wasmSeconds = (performance.now() - started) / 1000;
    const slow = gradCam(onReference, test, { batchSize: 40 });

    expect(Array.from(fast.targets)).toEqual(Array.from(slow.targets));
    const largest = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const difference = (a: Float32Array, b: Float32Array) => a.reduce((m, v, k) => Math.max(m, Math.abs(v - b[k])), 0);
    const mapError = difference(fast.maps, slow.maps) / largest(slow.maps);
    const weightError = difference(fast.weights, slow.weights) / largest(slow.weights);
    const logitError = difference(fast.logits, slow.logits) / largest(slow.logits);
    console.log(`Grad-CAM wasm vs reference on 96 images: largest difference / largest value: maps ${mapError.toExponential(2)}, α ${weightError.toExponential(2)}, logits ${logitError.toExponential(2)} (wasm ${wasmSeconds.toFixed(3)} s)`);
    expect(mapError).toBeLessThan(1e-4);
    expect(weightError).toBeLessThan(1e-4);
    expect(logitError).toBeLessThan(1e-5);
  });
});
