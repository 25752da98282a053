/**
 * The thread pool with the recipe beyond the paper's: an optimiser other than plain Adam (or clipping) updates
 * on the main thread once the threads have summed the gradients; plain Adam reads the step's learning rate
 * from the control block (a schedule changes it); label smoothing is the shards' loss too. Each takes the same
 * step on 2 threads as on 1, to float32 rounding (the gradient is summed in another order).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { BatchLoader, range } from '../src/data/batch.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { createNetwork } from '../src/model/network.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { ADAM_DEFAULTS } from '../src/train/adam.js';
import { createOptimizer } from '../src/train/recipe.js';
import type { TrainSettings } from '../src/train/settings.js';
import { SerialStep } from '../src/train/step.js';

const mnist = loadDataset();
const pools: ThreadPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
});

const SPEC = 'conv(4,5) relu maxpool(2) flatten linear(10)';
const base: TrainSettings = { ...ADAM_DEFAULTS, epochs: 1, batchSize: 64, seed: 3, arch: SPEC, data: null, limit: null, testLimit: null, backend: 'wasm', threads: 2, checkpointEvery: null };
const RECIPES: Record<string, Partial<TrainSettings>> = {
  'SGD with Nesterov momentum, weight decay and clipping': { learningRate: 0.1, optimizer: { name: 'sgd', weightDecay: 0.01, momentum: 0.9, nesterov: true }, clipNorm: 0.5 },
  'AdamW': { optimizer: { name: 'adamw', weightDecay: 0.1, momentum: 0, nesterov: false } },
  'plain Adam at a scheduled rate, with label smoothing': { labelSmoothing: 0.1 },
};

async function setup(settings: TrainSettings, threads: number) {
  const backend = await createWasmBackend();
  const network = createNetwork(backend, SPEC, { channels: 1, height: 28, width: 28, classes: 10 });
  network.initialize(new Random(settings.seed));
  const optimizer = createOptimizer(network, settings);
  optimizer.learningRate = settings.learningRate * 0.37; // as a schedule would set it
  const pool = threads > 1 ? await ThreadPool.create(network, threads, optimizer, settings.seed, settings.labelSmoothing ?? 0) : null;
  if (pool) pools.push(pool);
  return { backend, network, optimizer, pool };
}

describe('the thread pool with the recipe', () => {
  for (const [name, recipe] of Object.entries(RECIPES)) {
    it(`${name}: two steps on 2 threads as on 1 (loss, correct count, weights within float32 rounding)`, async () => {
      const settings = { ...base, ...recipe };
      const one = await setup(settings, 1);
      const two = await setup(settings, 2);
      const start = Float32Array.from(one.network.params);
      const serialStep = new SerialStep(one.network, one.optimizer, settings.seed, settings.labelSmoothing ?? 0);
      for (const indices of [range(0, 64), range(64, 128)]) {
        const serial = serialStep.run(new BatchLoader(one.backend, mnist.train).load(indices));
        const parallel = two.pool!.run(new BatchLoader(two.backend, mnist.train).load(indices));
        expect(parallel.correct).toBe(serial.correct);
        expect(Math.abs(parallel.loss - serial.loss)).toBeLessThan(1e-5 * serial.loss);
      }
      expect(two.optimizer.step).toBe(2);
      let moved = 0;
      let worst = 0;
      for (let k = 0; k < start.length; k++) {
        moved = Math.max(moved, Math.abs(one.network.params[k] - start[k]));
        worst = Math.max(worst, Math.abs(two.network.params[k] - one.network.params[k]));
      }
      console.log(`${name}: 2 threads vs 1 after two steps: max |Δθ| = ${(worst / moved).toExponential(2)} × the largest move`);
      expect(moved).toBeGreaterThan(0);
      expect(worst).toBeLessThan(1e-3 * moved);
    });
  }
});

describe('the thread pool evaluates with plain cross-entropy', () => {
  it('a pool trained with label smoothing reports the test loss as −Σ ln p(label), as one thread and xcnn evaluate do', async () => {
    const settings = { ...base, learningRate: 0.01, labelSmoothing: 0.1 };
    const { backend, pool } = await setup(settings, 2);
    // Trained a little, so that its probabilities are peaked and the smoothed loss differs from the plain one.
    const loader = new BatchLoader(backend, mnist.train);
    for (let b = 0; b < 30; b++) pool!.run(loader.load(range(64 * b, 64 * b + 64)));
    const indices = range(0, 50);
    const { probs, lossSum } = pool!.predictBatch(new BatchLoader(backend, mnist.test).load(indices));
    let plain = 0;
    let smoothed = 0;
    for (const i of indices) {
      const row = probs.subarray(i * 10, i * 10 + 10);
      const label = mnist.test.labels[i];
      plain -= Math.log(row[label]);
      // (1 − ε)·onehot + ε/K against the same probabilities: what the training loss would say
      for (let k = 0; k < 10; k++) smoothed -= ((k === label ? 0.9 : 0) + 0.01) * Math.log(row[k]);
    }
    expect(Math.abs(smoothed - plain)).toBeGreaterThan(1); // the two really differ here…
    expect(Math.abs(lossSum - plain)).toBeLessThan(1e-3); // …and the pool's is the plain one
  });
});
