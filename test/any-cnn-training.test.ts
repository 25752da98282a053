/**
 * Training a network with the new layers (batch norm, a strided convolution, global average pooling,
 * dropout) end to end with the trainer, on a tiny synthetic problem made here: 3-channel 8×8 images of a
 * red or a blue square at a random place on a noisy background, the class being the colour. It learns to
 * near-perfect accuracy on the reference and the wasm backends; the same seed gives the same weights and
 * running statistics bit for bit, on one thread and on a 2-thread pool; and on the pool batch norm's
 * running statistics are those of thread 0's share of the batch (PyTorch DataParallel's convention), moved
 * once a step.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend, Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { BatchLoader, range } from '../src/data/batch.js';
import type { ImageSet } from '../src/data/dataset.js';
import type { BatchNorm } from '../src/model/batch-norm.js';
import { trainingPass } from '../src/model/layer.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { Adam, ADAM_DEFAULTS } from '../src/train/adam.js';
import { SerialStep } from '../src/train/step.js';
import { createTrainingState, train, type TrainingState } from '../src/train/trainer.js';

const SPEC = 'conv(6,3,pad=1) bn relu conv(8,3,stride=2,pad=1) bn relu gap flatten dropout(0.25) linear(2)';
const GEOMETRY = { channels: 3, height: 8, width: 8, classes: 2 };
const [C, H, W] = [3, 8, 8];

/** `count` images [count, 3, 8, 8] of a 3×3 square, red (class 0) or blue (class 1), at a random place on a dim noisy background. */
function squares(count: number, seed: number): ImageSet {
  const random = new Random(seed);
  const images = new Uint8Array(count * C * H * W);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 2;
    labels[n] = label;
    for (let k = 0; k < C * H * W; k++) images[n * C * H * W + k] = Math.floor(random.uniform(0, 60));
    const [top, left] = [Math.floor(random.uniform(0, H - 2)), Math.floor(random.uniform(0, W - 2))];
    const channel = label === 0 ? 0 : 2;
    for (let u = top; u < top + 3; u++) for (let v = left; v < left + 3; v++) images[((n * C + channel) * H + u) * W + v] = 200 + Math.floor(random.uniform(0, 55));
  }
  return { count, channels: C, height: H, width: W, images, labels };
}

const trainSet = squares(256, 1);
const testSet = squares(128, 2);
const OPTIONS = { epochs: 3, batchSize: 32, train: trainSet, test: testSet };

function setup(backend: Backend, seed: number): TrainingState {
  const network = createNetwork(backend, SPEC, GEOMETRY);
  const random = new Random(seed);
  network.initialize(random);
  return createTrainingState(network, new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.01 }), random, seed);
}

const bytesOf = (a: Floats) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
const tracked = (network: Network) => network.bufferViews.filter((b) => b.name.endsWith('num_batches_tracked')).map((b) => b.value[0]);

const pools: ThreadPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
});

describe('training a bn / stride / gap / dropout network', () => {
  for (const name of ['ts', 'wasm'] as const) {
    it(`learns the synthetic colours to near-perfect accuracy on the ${name} backend, the same seed giving the same weights bit for bit`, async () => {
      const backend = name === 'ts' ? new ReferenceBackend() : await createWasmBackend();
      const [a, b, c] = [setup(backend, 7), setup(backend, 7), setup(backend, 8)];
      const history = await train(a, OPTIONS);
      console.log(`${name}: test accuracy ${history.map((r) => (100 * r.testAccuracy).toFixed(1)).join(' → ')} %`);
      expect(history.at(-1)!.testAccuracy).toBeGreaterThanOrEqual(0.97);
      expect(history.at(-1)!.trainLoss).toBeLessThan(history[0].trainLoss);
      // Every bn's running statistics moved, once per step (256 / 32 · 3 epochs).
      expect(tracked(a.network)).toEqual([24, 24]);
      for (const s of [b, c]) await train(s, OPTIONS);
      expect(bytesOf(b.network.params)).toBe(bytesOf(a.network.params));
      expect(bytesOf(b.network.buffers)).toBe(bytesOf(a.network.buffers));
      expect(bytesOf(c.network.params)).not.toBe(bytesOf(a.network.params));
    });
  }

  it('continues a run stopped between steps to exactly the weights and running statistics of an uninterrupted run', async () => {
    const backend = new ReferenceBackend();
    const whole = setup(backend, 5);
    await train(whole, { ...OPTIONS, epochs: 2 });
    const interrupted = setup(backend, 5);
    const controller = new AbortController();
    await train(interrupted, { ...OPTIONS, epochs: 2, signal: controller.signal, onStep: (s) => void (s.optimizer.step === 11 && controller.abort()) });
    expect(interrupted.optimizer.step).toBe(11); // mid-way through the second epoch
    await train(interrupted, { ...OPTIONS, epochs: 2 });
    expect(bytesOf(interrupted.network.params)).toBe(bytesOf(whole.network.params));
    expect(bytesOf(interrupted.network.buffers)).toBe(bytesOf(whole.network.buffers));
  });

  it('drops the same units on a 2-thread pool as on one thread: the step\'s gradient is the serial one', async () => {
    // No batch norm here: its batch statistics are per thread on a pool (by design), dropout's masks are not.
    const spec = 'conv(4,3,pad=1) relu conv(6,3,stride=2) relu gap flatten dropout(0.5) linear(2)';
    const make = async () => {
      const backend = await createWasmBackend();
      const network = createNetwork(backend, spec, GEOMETRY);
      network.initialize(new Random(4));
      return { backend, network, optimizer: new Adam(network) };
    };
    const [one, two] = [await make(), await make()];
    new SerialStep(one.network, one.optimizer, 9).run(new BatchLoader(one.backend, trainSet).load(range(0, 32)));
    const pool = await ThreadPool.create(two.network, 2, two.optimizer, 9);
    pools.push(pool);
    pool.run(new BatchLoader(two.backend, trainSet).load(range(0, 32)));
    const scale = Float32Array.from(one.network.grads).reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    let worst = 0;
    for (let k = 0; k < one.network.grads.length; k++) worst = Math.max(worst, Math.abs(two.network.grads[k] - one.network.grads[k]));
    console.log(`dropout net, 2 threads vs 1: max |Δgrad| = ${(worst / scale).toExponential(2)} × max |grad|`);
    expect(worst).toBeLessThan(1e-5 * scale);
  });

  it('trains on a 2-thread pool to the same weights and running statistics, run after run', async () => {
    const run = async () => {
      const state = setup(await createWasmBackend(), 7);
      const pool = await ThreadPool.create(state.network, 2, state.optimizer, state.seed);
      pools.push(pool);
      const history = await train(state, { ...OPTIONS, compute: { step: pool, predictor: pool } });
      expect(history.at(-1)!.testAccuracy).toBeGreaterThanOrEqual(0.97);
      expect(tracked(state.network)).toEqual([24, 24]); // thread 0 alone counts
      return { params: bytesOf(state.network.params), buffers: bytesOf(state.network.buffers) };
    };
    const [first, second] = [await run(), await run()];
    expect(second).toEqual(first);
  });

  it('moves batch norm\'s running statistics on a pool by thread 0\'s share of the batch only', async () => {
    const backend = await createWasmBackend();
    const state = setup(backend, 3);
    const { network } = state;
    // The pool splits a batch of 32 into contiguous halves: images 0–15 on thread 0, 16–31 on thread 1.
    const batch = new BatchLoader(backend, trainSet).load(range(0, 32));
    const input = Float32Array.from(batch.input);
    const bn1 = network.layer<BatchNorm>('bn1');
    const before = Float32Array.from(bn1.runningMean.value);
    const params = Float32Array.from(network.params); // as the step's forward pass sees them

    // What a training pass over one part of the batch would make of the running statistics, on a twin network.
    const statisticsAfter = (first: number, count: number) => {
      const twin = createNetwork(new ReferenceBackend(), SPEC, GEOMETRY);
      twin.params.set(params);
      twin.forward(input.subarray(first * C * H * W, (first + count) * C * H * W), count, { ...trainingPass(3, 1), firstSample: first });
      const bn = twin.layer<BatchNorm>('bn1');
      return { mean: Array.from(bn.runningMean.value), variance: Array.from(bn.runningVar.value) };
    };

    const pool = await ThreadPool.create(network, 2, state.optimizer, state.seed);
    pools.push(pool);
    pool.run(batch);
    const stored = { mean: Array.from(bn1.runningMean.value), variance: Array.from(bn1.runningVar.value) };
    expect(stored.mean).not.toEqual(Array.from(before));
    expect(tracked(network)).toEqual([1, 1]);
    const close = (a: number[], b: number[]) => a.every((x, k) => Math.abs(x - b[k]) <= 1e-5 * Math.max(1, Math.abs(b[k])));
    const threadZero = statisticsAfter(0, 16);
    expect(close(stored.mean, threadZero.mean) && close(stored.variance, threadZero.variance), JSON.stringify({ stored, threadZero })).toBe(true);
    for (const other of [statisticsAfter(16, 16), statisticsAfter(0, 32)]) expect(close(stored.mean, other.mean)).toBe(false);
  });
});
