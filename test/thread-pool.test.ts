/**
 * The thread pool: data-parallel steps across worker threads over one shared WebAssembly memory.
 * Two threads compute the same step as one (up to float32 summation order), the same seed and thread
 * count give the same weights bit for bit, and evaluation on the pool matches evaluation on one thread.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { BatchLoader, range } from '../src/data/batch.js';
import { takeFirst } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { predict } from '../src/eval/predict.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { createPaperNetwork } from '../src/model/network.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { SerialStep } from '../src/train/step.js';
import { createTrainingState, train } from '../src/train/trainer.js';

const mnist = loadDataset();
const pools: ThreadPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
});

async function setup(seed: number, threads: number) {
  const backend = await createWasmBackend();
  const random = new Random(seed);
  const network = createPaperNetwork(backend);
  network.initialize(random);
  const optimizer = new Adam(network);
  const pool = threads > 1 ? await ThreadPool.create(network, threads, optimizer) : null;
  if (pool) pools.push(pool);
  return { backend, network, optimizer, random, pool };
}

describe('ThreadPool', () => {
  it('takes the same step on 2 threads as on 1: loss, correct count, and weights within float32 rounding', async () => {
    const one = await setup(3, 1);
    const two = await setup(3, 2);
    const indices = range(0, 64);
    const serial = new SerialStep(one.network, one.optimizer).run(new BatchLoader(one.backend, mnist.train).load(indices));
    const gradsBefore = Float32Array.from(one.network.grads);
    const parallel = two.pool!.run(new BatchLoader(two.backend, mnist.train).load(indices));
    expect(parallel.correct).toBe(serial.correct);
    expect(Math.abs(parallel.loss - serial.loss)).toBeLessThan(1e-6 * serial.loss);
    expect(two.optimizer.step).toBe(1);
    // The summed gradient sits in the main network's grads: compare it with the serial one.
    const scale = gradsBefore.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    let worst = 0;
    for (let k = 0; k < gradsBefore.length; k++) worst = Math.max(worst, Math.abs(two.network.grads[k] - gradsBefore[k]));
    console.log(`2 threads vs 1: max |Δgrad| = ${(worst / scale).toExponential(2)} × max |grad|`);
    expect(worst).toBeLessThan(1e-5 * scale);
  });

  it('gives bit-identical weights for the same seed and thread count, run after run', async () => {
    const run = async () => {
      const { network, optimizer, random, pool } = await setup(11, 2);
      await train(createTrainingState(network, optimizer, random), { epochs: 1, batchSize: 64, train: takeFirst(mnist.train, 640), test: takeFirst(mnist.test, 100), compute: { step: pool!, predictor: pool! } });
      return Buffer.from(network.params.buffer, network.params.byteOffset, network.params.byteLength).toString('base64');
    };
    expect(await run()).toBe(await run());
  });

  it('evaluates on every thread to the same predictions as one thread', async () => {
    const { network } = await setup(5, 1);
    const pool = await ThreadPool.create(network, 2);
    pools.push(pool);
    const set = takeFirst(mnist.test, 500);
    const [serial, parallel] = [predict(network, set), predict(pool, set)];
    expect([...parallel.predicted]).toEqual([...serial.predicted]);
    let worst = 0;
    for (let k = 0; k < serial.probabilities.length; k++) worst = Math.max(worst, Math.abs(parallel.probabilities[k] - serial.probabilities[k]));
    expect(worst).toBe(0); // the forward pass of an image does not depend on which thread runs it
    expect(parallel.loss).toBeCloseTo(serial.loss, 6);
  });

  it('computes Grad-CAM on every thread to exactly the one-thread result', async () => {
    const { network } = await setup(8, 1);
    const pool = await ThreadPool.create(network, 2);
    pools.push(pool);
    const indices = range(0, 300);
    const serial = gradCam(network, mnist.test, { indices });
    const parallel = gradCam(network, mnist.test, { indices, runner: pool.gradCamRunner() });
    for (const key of ['logits', 'weights', 'maps', 'heatmaps', 'predicted'] as const) {
      expect(Buffer.from(parallel[key].buffer).equals(Buffer.from(serial[key].buffer)), key).toBe(true);
    }
    const forClassThree = gradCam(network, mnist.test, { indices, targetClass: 3, runner: pool.gradCamRunner() });
    expect([...forClassThree.targets].every((t) => t === 3)).toBe(true);
    expect(Buffer.from(forClassThree.maps.buffer).equals(Buffer.from(gradCam(network, mnist.test, { indices, targetClass: 3 }).maps.buffer))).toBe(true);
  });

  it('refuses to train without an optimiser', async () => {
    const { backend, network } = await setup(5, 1);
    const pool = await ThreadPool.create(network, 2);
    pools.push(pool);
    expect(() => pool.run(new BatchLoader(backend, mnist.train).load(range(0, 8)))).toThrow(/can only predict/);
  });
});
