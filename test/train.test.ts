/**
 * Training end to end on real MNIST images: the reference backend learns from a few thousand images in
 * one epoch; the same seed gives the same weights bit for bit; a run stopped between steps and continued
 * ends exactly where an uninterrupted run does; a loss that is not finite stops training.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { takeFirst } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { XcnnError } from '../src/errors.js';
import { createPaperNetwork, MNIST_GEOMETRY, type PaperWidths } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { createTrainingState, train } from '../src/train/trainer.js';

const mnist = loadDataset();
const SMALL: PaperWidths = { conv1Channels: 4, conv2Channels: 4, hidden: 16 };

function setup(seed: number, backend: Backend = new ReferenceBackend(), widths?: PaperWidths) {
  const random = new Random(seed);
  const network = createPaperNetwork(backend, MNIST_GEOMETRY, widths);
  network.initialize(random);
  return createTrainingState(network, new Adam(network), random);
}

const bytesOf = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('training (reference backend)', () => {
  // The paper's network at the shipped model's widths (8, 16, 32): the same layers and code paths, a tenth of the
  // arithmetic, so the reference backend's end-to-end run takes seconds (the full widths' step is checked against
  // WebAssembly's in test/training-step-parity.test.ts).
  it('learns: one epoch on 2,000 images reaches well above chance on 1,000 test images', async () => {
    const state = setup(1, new ReferenceBackend(), { conv1Channels: 8, conv2Channels: 16, hidden: 32 });
    const history = await train(state, { epochs: 1, batchSize: 64, train: takeFirst(mnist.train, 2000), test: takeFirst(mnist.test, 1000) });
    console.log(`reference backend, paper net at 8/16/32, 2,000 images, 1 epoch: test accuracy ${(100 * history[0].testAccuracy).toFixed(1)}%, ${history[0].seconds.toFixed(1)} s`);
    expect(history[0].testAccuracy).toBeGreaterThan(0.6); // chance is 0.1
    expect(history[0].trainLoss).toBeLessThan(Math.log(10)); // below the loss of a uniform guess
  });

  it('gives bit-identical weights for the same seed, and different ones for another', async () => {
    const options = { epochs: 1, batchSize: 16, train: takeFirst(mnist.train, 96), test: takeFirst(mnist.test, 16) };
    const [a, b, c] = [setup(5, undefined, SMALL), setup(5, undefined, SMALL), setup(6, undefined, SMALL)];
    for (const s of [a, b, c]) await train(s, options);
    expect(bytesOf(a.network.params).equals(bytesOf(b.network.params))).toBe(true);
    expect(bytesOf(a.network.params).equals(bytesOf(c.network.params))).toBe(false);
  });

  it('continues a run stopped between steps to exactly the weights of an uninterrupted run', async () => {
    const options = { epochs: 2, batchSize: 16, train: takeFirst(mnist.train, 80), test: takeFirst(mnist.test, 16) };
    const whole = setup(9, undefined, SMALL);
    await train(whole, options);

    const interrupted = setup(9, undefined, SMALL);
    const controller = new AbortController();
    await train(interrupted, { ...options, signal: controller.signal, onStep: (s) => void (s.optimizer.step === 7 && controller.abort()) });
    expect(interrupted.optimizer.step).toBe(7); // stopped mid-way through the second epoch
    await train(interrupted, options);
    expect(bytesOf(interrupted.network.params).equals(bytesOf(whole.network.params))).toBe(true);
    expect(interrupted.history).toEqual(whole.history.map((r, k) => ({ ...r, seconds: interrupted.history[k].seconds })));
  });

  it('stops with an error naming the step when the loss is not finite', async () => {
    const state = setup(3, undefined, SMALL);
    state.network.parameter('fc2.bias').value[0] = NaN;
    const error = await train(state, { epochs: 1, batchSize: 16, train: takeFirst(mnist.train, 32), test: takeFirst(mnist.test, 16) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcnnError);
    expect((error as Error).message).toMatch(/loss became NaN at step 1 \(epoch 1\)/);
  });
});
