/**
 * The thread pool's own code (thread-pool.ts) on a network of a few pixels: its thread counts and refusals,
 * each pass against the one-thread computation on a twin of the network (same weights, its own backend), on
 * one thread (no worker: the pool's code only) and on three (two real workers, which run dist/ on the setup
 * the pool gives them), the images it copies into its memory, the scratch it grows, every argument check with
 * its message, and close() giving back all it took. test/thread-pool.test.ts trains the paper's network on MNIST.
 */
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { CAM_RULES, GRAD_CAM_RULE } from '../src/explain/cam-rules.js';
import { coalitionScoresOn } from '../src/explain/coalition-scores.js';
import { explainableLayersOf } from '../src/explain/explained-layer.js';
import { gradCam, gradCamOfBatch } from '../src/explain/grad-cam.js';
import { maskedLogitsOn } from '../src/explain/masked-logits.js';
import { networkPasses } from '../src/explain/model-passes.js';
import { occlusionScoresOn } from '../src/explain/occlusion-scores.js';
import { limeFit } from '../src/explain/ridge-fit.js';
import { networkClassifier, perturbationCurves, randomOrder } from '../src/faithfulness/deletion-insertion.js';
import { BatchBuffer } from '../src/model/layer.js';
import { createNetwork, Network } from '../src/model/network.js';
import { ControlBlock, GENERATION, MAX_THREADS } from '../src/parallel/control.js';
import { checkThreads, defaultThreads, ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { Adam, ADAM_DEFAULTS } from '../src/train/adam.js';
import { Sgd } from '../src/train/sgd.js';
import { SerialStep } from '../src/train/step.js';
import { errorOf, rejection } from './errors.js';

const SPEC = 'conv(3,3) relu maxpool(2) conv(2,2) relu flatten linear(4)';
const GEOMETRY = { channels: 1, height: 8, width: 8, classes: 4 };
const PIXELS = 64;
const CLASSES = 4;

const pools: ThreadPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
});

async function networkOf(seed: number): Promise<Network> {
  const network = createNetwork(await createWasmBackend(), SPEC, GEOMETRY);
  network.initialize(new Random(seed));
  return network;
}

/** A network with the weights of `network`, on a backend of its own: the one-thread answers. */
async function twinOf(network: Network): Promise<Network> {
  const twin = createNetwork(await createWasmBackend(), SPEC, GEOMETRY);
  twin.params.set(network.params);
  return twin;
}

function imagesIn(network: Network, size: number, random: Random): Floats {
  const input = network.backend.allocFloats(size * PIXELS);
  for (let i = 0; i < input.length; i++) input[i] = random.next();
  return input;
}

function copyIn(network: Network, values: Floats | Int32Array): Floats {
  const copy = network.backend.allocFloats(values.length);
  copy.set(values);
  return copy;
}

function intsIn(network: Network, values: number[]): Int32Array {
  const ints = network.backend.allocInts(values.length);
  ints.set(values);
  return ints;
}

const same = (actual: ArrayLike<number>, expected: ArrayLike<number>, what?: string) => expect(Array.from(actual), what).toEqual(Array.from(expected));

describe('thread counts', () => {
  it('defaults to the cores this machine offers, at most MAX_THREADS', () => {
    expect(defaultThreads()).toBe(Math.max(1, Math.min(64, availableParallelism())));
    expect(MAX_THREADS).toBe(64);
  });

  it('accepts 1 to 64 threads on wasm and 1 on ts; refuses the rest with the option named', () => {
    for (const threads of [1, 2, 64]) expect(() => checkThreads(threads, 'wasm')).not.toThrow();
    expect(() => checkThreads(1, 'ts')).not.toThrow();
    for (const threads of [0, -1, 65, 1.5, Number.NaN, 2 ** 53]) {
      const error = errorOf(() => checkThreads(threads, 'wasm'), 'ERR_BAD_ARGUMENT');
      expect(error.message).toBe(`threads: ${threads} is not a whole number from 1 to 64`);
      expect(error.option).toBe('threads');
    }
    const error = errorOf(() => checkThreads(2, 'ts'), 'ERR_BAD_ARGUMENT');
    expect(error.message).toBe('threads 2 needs the wasm backend; the ts reference runs on one thread');
    expect(error.option).toBe('threads');
  });
});

describe('ThreadPool.create and the constructor refuse what they cannot run', () => {
  it('refuses a network on the ts backend, one without a spec, and a bad thread count', async () => {
    const reference = createNetwork(new ReferenceBackend(), SPEC, GEOMETRY);
    const notWasm = await rejection(ThreadPool.create(reference, 1));
    expect(notWasm.message).toBe('a thread pool needs the wasm backend');
    expect(notWasm.code).toBe('ERR_BAD_ARGUMENT');
    expect((await rejection(ThreadPool.create(reference, 2))).message).toBe('threads 2 needs the wasm backend; the ts reference runs on one thread');
    const network = await networkOf(1);
    const bare = new Network(network.backend, network.layers);
    const noSpec = await rejection(ThreadPool.create(bare, 1));
    expect(noSpec.message).toBe('ThreadPool.create: the network has no spec; a thread pool needs a network built from one (createNetwork), since its workers build their twins from it');
    expect(noSpec.code).toBe('ERR_BAD_ARGUMENT');
    expect((await rejection(ThreadPool.create(network, 0))).message).toBe('threads: 0 is not a whole number from 1 to 64');
    expect((await rejection(ThreadPool.create({} as Network, 1))).message).toMatch(/^ThreadPool\.create: network must be a network/);
  });

  it('refuses the constructor\'s arguments that only create() makes, by name', async () => {
    const network = await networkOf(1);
    const pool = await ThreadPool.create(network, 1);
    pools.push(pool);
    const Made = ThreadPool as unknown as new (...args: unknown[]) => ThreadPool;
    const made = 'ThreadPool.create(network, threads) makes it: call that instead of the constructor';
    const { shard, workerGrads, workers, control } = pool as unknown as Record<string, unknown>;
    const args = [network, null, shard, workerGrads, workers, control];
    const refusalWith = (k: number, value: unknown) => errorOf(() => new Made(...args.map((a, j) => (j === k ? value : a))), 'ERR_BAD_ARGUMENT').message;
    expect(refusalWith(0, 7)).toMatch(/^ThreadPool: network must be a network/);
    expect(refusalWith(1, {})).toMatch(/^ThreadPool: optimizer\.step must be /);
    expect(refusalWith(2, {})).toMatch(new RegExp(`^ThreadPool: shard must be a Shard \\(${made.replace(/[()]/g, '\\$&')}\\)`));
    expect(refusalWith(3, null)).toMatch(new RegExp(`^ThreadPool: workerGrads must be an array of gradient arrays \\(${made.replace(/[()]/g, '\\$&')}\\)`));
    expect(refusalWith(4, 'x')).toMatch(new RegExp(`^ThreadPool: workers must be an array of worker threads \\(${made.replace(/[()]/g, '\\$&')}\\)`));
    expect(refusalWith(5, new SharedArrayBuffer(8))).toMatch(new RegExp(`^ThreadPool: control must be a ControlBlock \\(${made.replace(/[()]/g, '\\$&')}\\)`));
    expect(() => new Made(...args)).not.toThrow();
    expect(control).toBeInstanceOf(ControlBlock);
  });
});

describe('a pool on one thread (its own code, no worker) and on three (two workers)', () => {
  for (const threads of [1, 3]) {
    it(`trains as SerialStep does: loss, correct count, the summed gradient and Adam's update (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const network = await networkOf(2);
      const twin = await twinOf(network);
      const optimizer = new Adam(network, { ...ADAM_DEFAULTS, learningRate: 0.02 });
      const pool = await ThreadPool.create(network, threads, optimizer, 5);
      pools.push(pool);
      expect(pool.threads).toBe(threads);
      expect(pool.inputShape).toEqual([1, 8, 8]);
      expect(pool.outputShape).toEqual([4]);
      expect(pool.workspace).toBe(network.workspace);
      const serialOptimizer = new Adam(twin, { ...ADAM_DEFAULTS, learningRate: 0.02 });
      const serial = new SerialStep(twin, serialOptimizer, 5);
      const random = new Random(3);
      for (let step = 1; step <= 2; step++) {
        const input = imagesIn(network, 7, random);
        const labels = intsIn(network, [0, 1, 2, 3, 0, 1, 2]);
        // As a schedule sets it: the threads read the rate each step.
        [optimizer.learningRate, serialOptimizer.learningRate] = [0.02 / step, 0.02 / step];
        const expected = serial.run({ input: copyIn(twin, input), labels: intsIn(twin, [...labels]), size: 7 });
        const got = pool.run({ input, labels, size: 7 });
        expect(got.correct).toBe(expected.correct);
        expect(got.loss).toBeCloseTo(expected.loss, 5);
        expect(optimizer.step).toBe(step);
      }
      for (let k = 0; k < twin.params.length; k++) expect(network.params[k]).toBeCloseTo(twin.params[k], 5);
    });
  }

  it('lets another optimiser update on the calling thread after the threads summed the gradient (SGD), and skips a step whose loss is not finite', async () => {
    const network = await networkOf(4);
    const twin = await twinOf(network);
    const optimizer = new Sgd(network, { learningRate: 0.1, momentum: 0.5, nesterov: false, weightDecay: 0 } as never);
    const pool = await ThreadPool.create(network, 1, optimizer);
    pools.push(pool);
    const serial = new SerialStep(twin, new Sgd(twin, { learningRate: 0.1, momentum: 0.5, nesterov: false, weightDecay: 0 } as never));
    const input = imagesIn(network, 5, new Random(8));
    const labels = intsIn(network, [3, 2, 1, 0, 3]);
    const expected = serial.run({ input: copyIn(twin, input), labels: intsIn(twin, [...labels]), size: 5 });
    const got = pool.run({ input, labels, size: 5 });
    expect(got.loss).toBeCloseTo(expected.loss, 5);
    expect(optimizer.step).toBe(1);
    for (let k = 0; k < twin.params.length; k++) expect(network.params[k]).toBeCloseTo(twin.params[k], 6);
    // A parameter gone to NaN makes every loss NaN: nothing updates, the step count stays.
    const before = Float32Array.from(network.params);
    network.params[network.params.length - 1] = Number.NaN;
    before[before.length - 1] = Number.NaN;
    const nan = pool.run({ input, labels, size: 5 });
    expect(nan.loss).toBeNaN();
    expect(optimizer.step).toBe(1);
    same(network.params, before);
  });

  for (const threads of [1, 3]) {
    it(`raises a thread's failure in a step and updates nothing: a label out of range in the last thread's share (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const network = await networkOf(4);
      const optimizer = new Adam(network);
      const pool = await ThreadPool.create(network, threads, optimizer);
      pools.push(pool);
      const before = Float32Array.from(network.params);
      const batch = { input: imagesIn(network, 6, new Random(1)), labels: intsIn(network, [0, 1, 2, 3, 0, 9]), size: 6 };
      const error = errorOf(() => pool.run(batch), 'ERR_SETUP');
      // The last thread's share is images 4 and 5 of 6 on three threads: the label is its sample 1.
      expect(error.message).toBe(threads === 1 ? 'worker thread 0 failed: softmaxCrossEntropy: label 9 of sample 5 is outside [0, 4)' : 'worker thread 2 failed: softmaxCrossEntropy: label 9 of sample 1 is outside [0, 4)');
      expect(optimizer.step).toBe(0);
      same(network.params, before);
      // The pool goes on: the next good step updates.
      batch.labels[5] = 3;
      pool.run(batch);
      expect(optimizer.step).toBe(1);
    });
  }

  it('skips plain Adam\'s step on a loss that is not finite: the step count stays, no parameter moves', async () => {
    const network = await networkOf(4);
    const optimizer = new Adam(network);
    const pool = await ThreadPool.create(network, 1, optimizer);
    pools.push(pool);
    network.params[network.params.length - 1] = Number.NaN;
    const before = Float32Array.from(network.params);
    const result = pool.run({ input: imagesIn(network, 3, new Random(1)), labels: intsIn(network, [0, 1, 2]), size: 3 });
    expect(result.loss).toBeNaN();
    expect(optimizer.step).toBe(0);
    same(network.params, before);
  });

  for (const threads of [1, 3]) {
    it(`predicts, and gives logits, input gradients and CAM maps as the network does on one thread (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const network = await networkOf(6);
      const twin = await twinOf(network);
      const pool = await ThreadPool.create(network, threads);
      pools.push(pool);
      const twinPasses = networkPasses(twin);
      const random = new Random(threads);
      const input = imagesIn(network, 5, random);
      const labels = intsIn(network, [0, 3, 1, 1, 2]);
      const twinInput = copyIn(twin, input);
      const expectedLogits = Float32Array.from(twinPasses.logits(twinInput, 5));
      same(pool.logits(input, 5), expectedLogits);

      const { probs, lossSum } = pool.predictBatch({ input, labels, size: 5 });
      let loss = 0;
      for (let i = 0; i < 5; i++) {
        const row = Array.from(expectedLogits.subarray(i * CLASSES, (i + 1) * CLASSES));
        const total = row.reduce((s, z) => s + Math.exp(z), 0);
        row.forEach((z, k) => expect(probs[i * CLASSES + k]).toBeCloseTo(Math.exp(z) / total, 6));
        loss += Math.log(total) - row[labels[i]];
      }
      expect(lossSum).toBeCloseTo(loss, 4);

      for (const targets of [undefined, 2, Int32Array.from([3, 0, 1, 2, 3])]) {
        for (const rule of ['ordinary', 'guided'] as const) {
          const got = pool.inputGradients(input, 5, targets, rule);
          const expected = twinPasses.inputGradients(twinInput, 5, targets, rule);
          same(got.logits, expected.logits);
          same(got.gradients, expected.gradients, `${String(targets)} ${rule}`);
          same(got.targets, expected.targets);
        }
      }
      // The default rule is the ordinary one.
      same(pool.inputGradients(input, 5, 1).gradients, twinPasses.inputGradients(twinInput, 5, 1, 'ordinary').gradients);

      for (const block of explainableLayersOf(network)) {
        for (const rule of [...CAM_RULES, { ...GRAD_CAM_RULE, name: 'my own grad-cam' }]) {
          for (const targets of [undefined, Int32Array.from([1, 1, 0, 3, 2])]) {
            const got = pool.camMaps(input, 5, targets, rule, block.name);
            const expected = twinPasses.camMaps(twinInput, 5, targets, rule, block.name);
            same(got.maps, expected.maps, `${rule.name} on ${block.name}`);
            same(got.logits.subarray(0, 5 * CLASSES), expected.logits.subarray(0, 5 * CLASSES));
            same(got.targets, expected.targets);
          }
        }
      }
      // No block named: the last.
      same(pool.camMaps(input, 5, undefined, CAM_RULES[0]).maps, twinPasses.camMaps(twinInput, 5, undefined, CAM_RULES[0], explainableLayersOf(twin).at(-1)!.name).maps);
    });

    it(`gives Grad-CAM through its runner as on one thread, on either block, for the predicted class and a given one (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const network = await networkOf(9);
      const twin = await twinOf(network);
      const pool = await ThreadPool.create(network, threads);
      pools.push(pool);
      const random = new Random(11);
      const images = Uint8Array.from({ length: 6 * PIXELS }, () => random.int(256));
      const set = { images, labels: new Uint8Array([0, 1, 2, 3, 0, 1]), count: 6, channels: 1, height: 8, width: 8 };
      // The runner itself, called as gradCam calls it: the block's rows of a batch in the pool's memory.
      const runner = pool.gradCamRunner();
      expect(typeof runner).toBe('function');
      const batch = { input: imagesIn(network, 3, random), labels: intsIn(network, [0, 1, 2]), size: 3 };
      for (const block of explainableLayersOf(network)) {
        const [channels, mapHeight, mapWidth] = block.shape;
        const rows = () => ({ logits: new Float32Array(3 * CLASSES), weights: new Float32Array(3 * channels), maps: new Float32Array(3 * mapHeight * mapWidth), heatmaps: new Float32Array(3 * PIXELS) });
        const [got, expected] = [rows(), rows()];
        runner(batch, 1, got, block.name);
        gradCamOfBatch(twin, copyIn(twin, batch.input), 3, 1, expected, twin.backend.allocFloats(3 * CLASSES), block.name);
        for (const key of ['logits', 'weights', 'maps', 'heatmaps'] as const) same(got[key], expected[key], `the runner's ${key} of ${block.name}`);
      }
      for (const block of explainableLayersOf(network)) {
        for (const targetClass of [undefined, 2]) {
          const got = gradCam(network, set, { runner: pool.gradCamRunner(), layer: block.name, targetClass, batchSize: 4 });
          const expected = gradCam(twin, set, { layer: block.name, targetClass, batchSize: 4 });
          for (const key of ['logits', 'weights', 'maps', 'heatmaps', 'predicted'] as const) same(got[key], expected[key], `${key} of ${block.name}`);
        }
      }
    });

    it(`scores coalition, occluded and masked copies, fits LIME and draws curves as one thread does (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const network = await networkOf(12);
      const twin = await twinOf(network);
      const pool = await ThreadPool.create(network, threads);
      pools.push(pool);
      const random = new Random(13);
      const image = new Float32Array(PIXELS).map(() => random.next()); // outside the pool's memory: copied in
      const inPool = copyIn(network, image); // inside: used where it is
      const copies = BatchBuffer.floats(twin.backend, PIXELS);
      const featureOf = Int32Array.from({ length: PIXELS }, (_, p) => (p % 8 < 4 ? 0 : 1) + (p < 32 ? 0 : 2));
      for (const count of [1, 5, 40]) {
        const coalitions = Uint8Array.from({ length: count * 4 + 3 }, () => random.int(2)); // 3 bytes past the copies' own
        const expected = coalitionScoresOn(twin, copyIn(twin, image), 1, featureOf, 4, coalitions, count, copies);
        same(pool.coalitionScores(image, 1, featureOf, 4, coalitions, count), expected, `coalitions of ${count}`);
        same(pool.coalitionScores(inPool, 1, featureOf, 4, coalitions, count), expected);
        const corners = Int32Array.from({ length: 2 * count + 2 }, () => random.int(6));
        const occluded = occlusionScoresOn(twin, copyIn(twin, image), 3, 3, corners, count, copies);
        same(pool.occlusionScores(image, 3, 3, corners, count), occluded, `occlusions of ${count}`);
        same(pool.occlusionScores(inPool, 3, 3, corners, count), occluded);
      }
      // Several images' occluded copies in one command, each image's scores as one thread makes them image by image:
      // 37, 0, 52 and 9 windows, so a thread's share starts and ends inside images.
      {
        const pictures = new Float32Array(4 * PIXELS).map(() => random.next());
        const starts = Int32Array.of(0, 37, 37, 89, 98);
        const targets = Int32Array.of(2, 0, 1, 2);
        const corners = Int32Array.from({ length: 2 * 98 }, () => random.int(6));
        const expected = new Float64Array(98);
        [0, 1, 2, 3].forEach((b) => {
          const [first, end] = [starts[b], starts[b + 1]];
          expected.set(occlusionScoresOn(twin, copyIn(twin, pictures.subarray(b * PIXELS, (b + 1) * PIXELS)), targets[b], 3, corners.subarray(2 * first, 2 * end), end - first, copies), first);
        });
        same(pool.occlusionScoresOfImages(pictures, targets, 3, starts, corners), expected, 'occlusions of four images');
        same(pool.occlusionScoresOfImages(copyIn(network, pictures), targets, 3, starts, corners), expected);
        expect(pool.occlusionScoresOfImages(pictures.subarray(0, PIXELS), Int32Array.of(1), 3, Int32Array.of(0, 0), corners).length).toBe(0);
      }
      for (const block of explainableLayersOf(network)) {
        const [maskCount, mapHeight, mapWidth] = block.shape;
        const activations = Float64Array.from({ length: maskCount * mapHeight * mapWidth }, () => random.next() - 0.2);
        const expected = new Float32Array((maskCount + 1) * CLASSES);
        maskedLogitsOn(twin, copyIn(twin, image), activations, mapHeight, mapWidth, 0, maskCount + 1, copies, expected);
        same(pool.maskedLogits(image, activations, block.name), expected, block.name);
        same(pool.maskedLogits(inPool, activations, block.name), expected);
      }
      const last = explainableLayersOf(network).at(-1)!;
      const lastActivations = Float64Array.from({ length: last.shape.reduce((a, b) => a * b, 1) }, () => random.next());
      const lastExpected = new Float32Array((last.shape[0] + 1) * CLASSES);
      maskedLogitsOn(twin, copyIn(twin, image), lastActivations, last.shape[1], last.shape[2], 0, last.shape[0] + 1, copies, lastExpected);
      same(pool.maskedLogits(image, lastActivations), lastExpected); // no block named: the last
      // Several images in one command: each image's K + 1 rows as one thread makes them image by image, whichever
      // images a thread's share of the copies spans (3 or 4 images of K + 1 copies split 2 or 3 ways cut inside images).
      for (const images of [3, 4]) {
        const pictures = new Float32Array(images * PIXELS).map(() => random.next());
        const [maskCount, mapHeight, mapWidth] = last.shape;
        const length = maskCount * mapHeight * mapWidth;
        const many = Float64Array.from({ length: images * length }, () => random.next() - 0.3);
        const byImage = new Float32Array(images * (maskCount + 1) * CLASSES);
        for (let b = 0; b < images; b++) {
          const rows = byImage.subarray(b * (maskCount + 1) * CLASSES, (b + 1) * (maskCount + 1) * CLASSES);
          maskedLogitsOn(twin, copyIn(twin, pictures.subarray(b * PIXELS, (b + 1) * PIXELS)), many.subarray(b * length, (b + 1) * length), mapHeight, mapWidth, 0, maskCount + 1, copies, rows);
        }
        same(pool.maskedLogits(pictures, many, last.name, images), byImage, `${images} images in one command`);
      }

      const [features, samples, count] = [3, 8, 5];
      const z = Uint8Array.from({ length: count * samples * features + 2 }, () => random.int(2));
      const f = Float64Array.from({ length: count * samples + 1 }, () => random.next() * 3);
      const options = { kernelWidth: 0.8, lambda: 0.1 };
      const fits = pool.limeFits(z, f, features, samples, count, options);
      expect(fits.length).toBe(count * (features + 1));
      for (let b = 0; b < count; b++) {
        const { beta, intercept } = limeFit(z.subarray(b * samples * features, (b + 1) * samples * features), f.subarray(b * samples, (b + 1) * samples), features, samples, options);
        same(fits.subarray(b * (features + 1), (b + 1) * (features + 1)), [...beta, intercept]);
      }

      const requests = Array.from({ length: 4 }, (_, r) => ({ image: new Float32Array(PIXELS).map(() => random.next()), order: randomOrder(PIXELS, random), target: r % CLASSES, seed: 0xfedcba98 - r }));
      // Fewer steps first: the rows of longer curves are rows of their own, not the shorter ones' reused.
      for (const options of [{ steps: 5, road: { sigma: 0.5, tolerance: 1e-4 } }, {}]) {
        const got = pool.curves(requests, 8, 8, options);
        const expected = perturbationCurves(networkClassifier(twin), requests, 8, 8, options);
        expect(got.length).toBe(4);
        got.forEach((curve, r) => {
          for (const [kind, side] of [['deletion', 'zero'], ['deletion', 'road'], ['insertion', 'zero'], ['insertion', 'road']] as const) {
            same(curve[kind][side], Float32Array.from(expected[r][kind][side]), `${kind} ${side} of request ${r}`);
          }
        });
      }
      expect(pool.curves([], 8, 8)).toEqual([]);
    });
  }
});

describe('a pool\'s argument checks', () => {
  it('refuses copies and fits whose arrays are too short, each with its numbers, and gives nothing for no copies', async () => {
    const network = await networkOf(1);
    const pool = await ThreadPool.create(network, 1);
    pools.push(pool);
    const image = new Float32Array(PIXELS);
    const featureOf = new Int32Array(PIXELS);
    expect(errorOf(() => pool.coalitionScores(new Float32Array(63), 0, featureOf, 4, new Uint8Array(8), 2), 'ERR_BAD_ARGUMENT').message).toBe('coalitionScores: the image has 63 values, featureOf 64 pixels and the coalitions 8 bytes; the model takes 64 values and 64 pixels, and 2 coalitions of 4 patches need 8 bytes');
    expect(errorOf(() => pool.coalitionScores(image, 0, new Int32Array(65), 4, new Uint8Array(8), 2)).message).toBe('coalitionScores: the image has 64 values, featureOf 65 pixels and the coalitions 8 bytes; the model takes 64 values and 64 pixels, and 2 coalitions of 4 patches need 8 bytes');
    expect(errorOf(() => pool.coalitionScores(image, 0, featureOf, 4, new Uint8Array(7), 2)).message).toBe('coalitionScores: the image has 64 values, featureOf 64 pixels and the coalitions 7 bytes; the model takes 64 values and 64 pixels, and 2 coalitions of 4 patches need 8 bytes');
    expect(pool.coalitionScores(image, 0, featureOf, 4, new Uint8Array(0), 0)).toEqual(new Float64Array(0));

    expect(errorOf(() => pool.occlusionScores(image, 0, 3, new Int32Array(3), 2), 'ERR_BAD_ARGUMENT').message).toBe('occlusionScores: 2 windows of 3 pixels need 4 corners and a side from 1 to 8; 3 corners were given');
    for (const window of [0, 9, 2.5]) expect(errorOf(() => pool.occlusionScores(image, 0, window, new Int32Array(4), 2)).message).toBe(`occlusionScores: 2 windows of ${window} pixels need 4 corners and a side from 1 to 8; 4 corners were given`);
    for (const window of [1, 8]) expect(pool.occlusionScores(image, 0, window, new Int32Array(2), 1).length).toBe(1);
    expect(pool.occlusionScores(image, 0, 3, new Int32Array(0), 0)).toEqual(new Float64Array(0));
    expect(errorOf(() => pool.occlusionScores(new Float32Array(10), 0, 3, new Int32Array(2), 1), 'ERR_BAD_ARGUMENT').message).toBe('occlusionScores: the image has 10 values; the model takes 64 (1 × 8 × 8)');
    expect(errorOf(() => pool.maskedLogits(new Float32Array(65), new Float64Array(12 * 3 * 3))).message).toMatch(/^maskedLogits: /);
    expect(errorOf(() => pool.occlusionScoresOfImages(new Float32Array(PIXELS), Int32Array.of(0), 3, Int32Array.of(0, 2), new Int32Array(2)), 'ERR_BAD_ARGUMENT').message).toBe('occlusionScoresOfImages: 2 copies need 4 corners; 2 were given');

    expect(errorOf(() => pool.limeFits(new Uint8Array(11), new Float64Array(4), 3, 2, 2, { kernelWidth: 1, lambda: 1 }), 'ERR_BAD_ARGUMENT').message).toBe('limeFits: 2 images of 2 coalitions of 3 patches need 12 coalition bytes and 4 scores; 11 and 4 were given');
    expect(errorOf(() => pool.limeFits(new Uint8Array(12), new Float64Array(3), 3, 2, 2, { kernelWidth: 1, lambda: 1 })).message).toBe('limeFits: 2 images of 2 coalitions of 3 patches need 12 coalition bytes and 4 scores; 12 and 3 were given');
    expect(pool.limeFits(new Uint8Array(0), new Float64Array(0), 3, 2, 0, { kernelWidth: 1, lambda: 1 })).toEqual(new Float64Array(0));

    const request = { image: new Float32Array(PIXELS), order: new Int32Array(PIXELS), target: 0, seed: 1 };
    expect(errorOf(() => pool.curves([request, { ...request, image: new Float32Array(63) }], 8, 8), 'ERR_BAD_ARGUMENT').message).toBe('curves: request 1 has 63 values and 64 pixels in its order; the model takes 64 and 64');
    expect(errorOf(() => pool.curves([{ ...request, order: new Int32Array(60) }], 8, 8)).message).toBe('curves: request 0 has 64 values and 60 pixels in its order; the model takes 64 and 64');
  });

  it('names maskedLogits in the refusal of an image of the wrong size, and of activations not the block\'s', async () => {
    const network = await networkOf(1);
    const pool = await ThreadPool.create(network, 1);
    pools.push(pool);
    // The network's last block: conv(2, 2) on the pooled 3 × 3 maps gives 2 maps of 2 × 2.
    const last = explainableLayersOf(network).at(-1)!;
    expect(last.shape).toEqual([2, 2, 2]);
    expect(errorOf(() => pool.maskedLogits(new Float32Array(65), new Float64Array(8)), 'ERR_BAD_ARGUMENT').message).toBe('maskedLogits: the image has 65 values; the model takes 64 (1 × 8 × 8)');
    expect(errorOf(() => pool.maskedLogits(new Float32Array(PIXELS), new Float64Array(9)), 'ERR_BAD_ARGUMENT').message).toBe(`maskedLogits: the activations have 9 values; ${last.name}'s are [2, 2, 2], 8 values: give that block's activations of one image`);
  });

  it('takes an occlusion window up to the shorter side of a model that is not square, and scores it as one thread does', async () => {
    const tall = { channels: 1, height: 8, width: 6, classes: 4 };
    const network = createNetwork(await createWasmBackend(), SPEC, tall);
    network.initialize(new Random(21));
    const twin = createNetwork(await createWasmBackend(), SPEC, tall);
    twin.params.set(network.params);
    const pool = await ThreadPool.create(network, 1);
    pools.push(pool);
    const random = new Random(22);
    const image = new Float32Array(48).map(() => random.next());
    for (const window of [7, 8]) expect(errorOf(() => pool.occlusionScores(image, 0, window, new Int32Array(2), 1), 'ERR_BAD_ARGUMENT').message).toBe(`occlusionScores: 1 windows of ${window} pixels need 2 corners and a side from 1 to 6; 2 corners were given`);
    // A 6-pixel window fits at rows 0–2 and column 0 only.
    const corners = Int32Array.from([0, 0, 2, 0, 1, 0]);
    const expected = occlusionScoresOn(twin, copyIn(twin, image), 2, 6, corners, 3, BatchBuffer.floats(twin.backend, 48));
    same(pool.occlusionScores(image, 2, 6, corners, 3), expected);
  });

  it('refuses a batch outside its memory, training without an optimiser, and every call once closed', async () => {
    const network = await networkOf(1);
    const pool = await ThreadPool.create(network, 1);
    const outside = errorOf(() => pool.logits(new Float32Array(PIXELS), 1), 'ERR_BAD_ARGUMENT');
    expect(outside.message).toBe('a pool batch must live in the pool backend\'s memory');
    const input = imagesIn(network, 2, new Random(1));
    expect(errorOf(() => pool.predictBatch({ input, labels: new Int32Array(2), size: 2 })).message).toBe('a pool batch must live in the pool backend\'s memory');
    expect(errorOf(() => pool.run({ input, labels: intsIn(network, [0, 1]), size: 2 }), 'ERR_BAD_ARGUMENT').message).toBe('this thread pool was made without an optimiser: it can only predict');
    await pool.close();
    await pool.close(); // a second close does nothing
    expect(errorOf(() => pool.logits(input, 2), 'ERR_DISPOSED').message).toBe('the thread pool is closed');
    expect(errorOf(() => pool.predictBatch({ input, labels: intsIn(network, [0, 1]), size: 2 }), 'ERR_DISPOSED').message).toBe('the thread pool is closed');
    // Every pass the workers know goes through the pool, so it is refused too; a CAM rule of one's own runs on this thread.
    for (const rule of CAM_RULES) expect(errorOf(() => pool.camMaps(input, 2, undefined, rule), 'ERR_DISPOSED').message).toBe('the thread pool is closed');
    expect(pool.camMaps(input, 2, undefined, { ...GRAD_CAM_RULE, name: 'my own' }).maps.length).toBeGreaterThan(0);
  });

  it('raises a failure of its own thread\'s share as the control block reports it', async () => {
    const network = await networkOf(1);
    const pool = await ThreadPool.create(network, 1);
    pools.push(pool);
    const input = imagesIn(network, 2, new Random(1));
    const error = errorOf(() => pool.inputGradients(input, 2, Int32Array.from([1, -1])), 'ERR_SETUP');
    expect(error.message).toBe('worker thread 0 failed: INPUT_GRADIENTS: some targets are given and some are not; give every image a class or none');
    // The failure was that call's: the pool's next call runs.
    expect(pool.inputGradients(input, 2, Int32Array.from([1, 2])).targets).toEqual(Int32Array.from([1, 2]));
  });
});

describe('a late notify of the generation', () => {
  it('changes no result: a worker woken with no new command serves nothing', async () => {
    // The main thread posts a command (bumps the generation), then notifies. Descheduled between the two, it may
    // notify only after a spinning worker has seen the command, served it and fallen asleep on its generation.
    // A worker that served that command again counted itself in twice at COMPUTED, and the main thread then read
    // the next command's rows of that worker before it had written them: the rows of the command before.
    const network = await networkOf(6);
    const twin = await twinOf(network);
    const pool = await ThreadPool.create(network, 2);
    pools.push(pool);
    const { sync } = (pool as unknown as { control: ControlBlock }).control;
    const random = new Random(8);
    const size = 4096; // a share that takes the worker some milliseconds, so that its second serving overlaps the next command
    const [first, second] = [imagesIn(network, size, random), imagesIn(network, size, random)];
    const expected = Array.from(twin.logits(copyIn(twin, second), size));
    for (let round = 0; round < 8; round++) {
      pool.logits(first, size);
      await new Promise((resolve) => setTimeout(resolve, 10)); // the worker spins for 1 ms, then sleeps
      Atomics.notify(sync, GENERATION); // the late notify: no new generation
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2); // 2 ms for the worker to wake (and, wrongly, start again)
      same(pool.logits(second, size), expected, `round ${round}`);
    }
  });
});

describe('a pool\'s memory: what it copies in, and the scratch it keeps', () => {
  it('answers no copies, no fits and no curves with nothing: no command runs and no memory is taken', async () => {
    const network = await networkOf(1);
    const pool = await ThreadPool.create(network, 1);
    pools.push(pool);
    const backend = network.backend as WasmBackend;
    const { control } = pool as unknown as { control: ControlBlock };
    const [generation, used] = [control.sync[GENERATION], backend.memoryStats().usedBytes];
    const image = new Float32Array(PIXELS); // outside the pool's memory: a pass would copy it in
    expect(pool.coalitionScores(image, 0, new Int32Array(PIXELS), 4, new Uint8Array(0), 0)).toEqual(new Float64Array(0));
    expect(pool.occlusionScores(image, 0, 3, new Int32Array(0), 0)).toEqual(new Float64Array(0));
    expect(pool.limeFits(new Uint8Array(0), new Float64Array(0), 3, 2, 0, { kernelWidth: 1, lambda: 1 })).toEqual(new Float64Array(0));
    expect(pool.curves([], 8, 8)).toEqual([]);
    expect(control.sync[GENERATION]).toBe(generation);
    expect(backend.memoryStats().usedBytes).toBe(used);
  });

  it('keeps the scratch it grew: a pass repeated allocates nothing, and an image already in its memory is not copied', async () => {
    const network = await networkOf(1);
    const pool = await ThreadPool.create(network, 1);
    pools.push(pool);
    const random = new Random(5);
    const image = new Float32Array(PIXELS).map(() => random.next()); // outside the pool's memory
    const inPool = copyIn(network, image);
    const activations = new Float64Array(8).fill(0.5); // the last block's [2, 2, 2]
    // Lengths that are powers of two (4 scores, 8 corners, 16 float64 halves): a scratch of exactly that size fits.
    const passes = (picture: Floats) => {
      pool.coalitionScores(picture, 1, new Int32Array(PIXELS), 4, new Uint8Array(16), 4);
      pool.occlusionScores(picture, 1, 2, new Int32Array(8), 4);
      pool.maskedLogits(picture, activations);
      pool.limeFits(new Uint8Array(24), new Float64Array(8), 3, 2, 4, { kernelWidth: 1, lambda: 1 });
    };
    passes(inPool);
    const backend = network.backend;
    const floats = vi.spyOn(backend, 'allocFloats');
    const ints = vi.spyOn(backend, 'allocInts');
    passes(inPool);
    expect(floats).not.toHaveBeenCalled();
    expect(ints).not.toHaveBeenCalled();
    // An image from elsewhere is copied in: coalitionScores' and the other passes' image scratch, once each.
    passes(image);
    expect(floats.mock.calls).toEqual([[PIXELS], [PIXELS]]);
    passes(image);
    expect(floats).toHaveBeenCalledTimes(2);
    expect(ints).not.toHaveBeenCalled();
    floats.mockRestore();
    ints.mockRestore();
  });

  it('copies the coalitions in at a byte each (M bytes a copy), in scratch rounded up to a power of two', async () => {
    const network = await networkOf(1);
    const pool = await ThreadPool.create(network, 1);
    pools.push(pool);
    const ints = vi.spyOn(network.backend, 'allocInts');
    const floats = vi.spyOn(network.backend, 'allocFloats');
    // 2 copies of 4 patches: the patch of each pixel (64 ints), then 8 coalition bytes in 2 ints; then the shard's own.
    pool.coalitionScores(new Float32Array(PIXELS), 1, new Int32Array(PIXELS), 4, new Uint8Array(8), 2);
    expect(ints.mock.calls.slice(0, 2)).toEqual([[64], [2]]);
    floats.mockClear();
    // 4 images of 2 coalitions of 3 patches: 24 bytes in 6 floats (8), 8 float64 scores in 16 floats, 4 fits of
    // 3 + 1 float64 values in 32 floats.
    pool.limeFits(new Uint8Array(24), new Float64Array(8), 3, 2, 4, { kernelWidth: 1, lambda: 1 });
    expect(floats.mock.calls).toEqual([[8], [16], [32]]);
    ints.mockRestore();
    floats.mockRestore();
  });
});

describe('a pool gives back what it took', () => {
  for (const threads of [1, 2]) {
    it(`close() frees the workers' gradients, the shard, the shared rows and the scratch: the arena holds what it held before (${threads} thread${threads > 1 ? 's' : ''})`, async () => {
      const network = await networkOf(3);
      const random = new Random(2);
      const input = imagesIn(network, 6, random);
      const labels = intsIn(network, [0, 1, 2, 3, 0, 1]);
      const image = new Float32Array(PIXELS).map(() => random.next());
      const block = explainableLayersOf(network)[0];
      const everything = (pool: ThreadPool) => {
        pool.run({ input, labels, size: 6 });
        pool.predictBatch({ input, labels, size: 6 });
        pool.inputGradients(input, 6, undefined);
        pool.camMaps(input, 6, undefined, CAM_RULES[0], block.name);
        for (const count of [3, 20]) pool.coalitionScores(image, 0, new Int32Array(PIXELS), 2, new Uint8Array(2 * count), count); // the scratch grows
        pool.occlusionScores(image, 0, 2, new Int32Array(6), 3);
        pool.maskedLogits(image, new Float64Array(block.shape.reduce((a, b) => a * b, 1)), block.name);
        pool.limeFits(new Uint8Array(12), new Float64Array(4), 3, 2, 2, { kernelWidth: 1, lambda: 1 });
        pool.curves([{ image, order: randomOrder(PIXELS, random), target: 0, seed: 1 }], 8, 8, { steps: 2 });
        gradCam(network, { images: new Uint8Array(3 * PIXELS), labels: new Uint8Array(3), count: 3, channels: 1, height: 8, width: 8 }, { runner: pool.gradCamRunner(), layer: block.name });
      };
      // A first pool, on this thread alone, grows the network's own buffers to these batches (a worker may take
      // a curve's request that this thread would take another time); the second's allocations are all its own.
      const first = await ThreadPool.create(network, 1, new Adam(network));
      everything(first);
      await first.close();
      const optimizer = new Adam(network);
      const before = (network.backend as WasmBackend).memoryStats().usedBytes;
      const pool = await ThreadPool.create(network, threads, optimizer);
      everything(pool);
      expect((network.backend as WasmBackend).memoryStats().usedBytes).toBeGreaterThan(before);
      await pool.close();
      expect((network.backend as WasmBackend).memoryStats().usedBytes).toBe(before);
    });
  }
});
