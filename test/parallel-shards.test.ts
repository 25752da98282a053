/**
 * The pool's threads in one process: the main thread's shard and the workers' shards (built by workerShard, as
 * a worker builds its own, over the same shared memory) run each command one after another on one control
 * block, the way the pool's threads run it side by side. Every command's rows land where the one-thread
 * computation (the network's own forward, input gradients, CAM maps, Grad-CAM, copies, fits and curves on the
 * whole batch) puts them, for splits where some thread has nothing, one thread has one image and the last has
 * more; TRAIN's summed gradient and update are SerialStep's. The output rows and the per-thread sums are filled
 * with garbage first, so that a row or a sum a thread fails to write shows.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { attachWasmBackend, type WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { Floats } from '../src/backend/backend.js';
import { CAM_RULES } from '../src/explain/cam-rules.js';
import { coalitionScoresOn } from '../src/explain/coalition-scores.js';
import { explainableLayersOf } from '../src/explain/explained-layer.js';
import { gradCamOfBatch } from '../src/explain/grad-cam.js';
import { maskedLogitsOn } from '../src/explain/masked-logits.js';
import { camMapsOn, inputGradientsOn } from '../src/explain/model-passes.js';
import { occlusionScoresOn } from '../src/explain/occlusion-scores.js';
import { limeFit } from '../src/explain/ridge-fit.js';
import { networkClassifier, perturbationCurves, randomOrder } from '../src/faithfulness/deletion-insertion.js';
import { BatchBuffer } from '../src/model/layer.js';
import { createNetwork, geometryOf, type Network } from '../src/model/network.js';
import {
  ACTIVATIONS, ADAM_STEP, BATCH, CAM_RULE, COALITIONS, Command, ControlBlock, CORNERS, CORRECT, FEATURE_OF, FEATURES, FIT_SCORES, IMAGE_STARTS, IMAGES, INPUT, KERNEL_WIDTH, LABELS, LAMBDA, LAYER,
  LEARNING_RATE, LOSS, NEXT, ORDERS, OUT_CURVES, OUT_FITS, OUT_GRADIENTS, OUT_HEATMAPS, OUT_LOGITS, OUT_MAPS, OUT_SCORES, OUT_WEIGHTS, PROBS, ROAD_SIGMA, ROAD_TOLERANCE, RULE, SAMPLES, SEEDS, shareOf,
  STEPS, SUM_ONLY, TARGET, TARGETS, WINDOW, NOISE_SIGMA, NOISE_STATE,
} from '../src/parallel/control.js';
import { Shard } from '../src/parallel/shard.js';
import type { WorkerSetup } from '../src/parallel/worker.js';
import { computeShare, workerShard } from '../src/parallel/worker-loop.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { Adam, ADAM_DEFAULTS } from '../src/train/adam.js';
import { SerialStep } from '../src/train/step.js';

// Two conv blocks (GRAD_CAM, CAM_MAPS and MASKED_LOGITS are asked for the second too), four classes, 8×8 images.
const SPEC = 'conv(3,3) relu maxpool(2) conv(2,2) relu flatten linear(4)';
const GEOMETRY = { channels: 1, height: 8, width: 8, classes: 4 };
const PIXELS = 64;
const CLASSES = 4;
const GARBAGE = 12345;

/** T threads of a pool in this process: thread 0 on the network's own backend, the others on attached ones. */
interface InProcessPool {
  backend: WasmBackend;
  network: Network;
  control: ControlBlock;
  shards: Shard[];
  grads: Float32Array[];
  m: Float32Array;
  v: Float32Array;
}

async function inProcessPool(threads: number, seed = 7, labelSmoothing = 0, spec = SPEC): Promise<InProcessPool> {
  const backend = await createWasmBackend();
  const network = createNetwork(backend, spec, GEOMETRY);
  network.initialize(new Random(seed));
  const count = network.params.length;
  const control = new ControlBlock();
  const grads = [network.grads as Float32Array, ...Array.from({ length: threads - 1 }, () => backend.allocFloats(count))];
  const [m, v] = [backend.allocFloats(count), backend.allocFloats(count)];
  const adam = { ...ADAM_DEFAULTS, learningRate: 0.01 };
  const shards = [new Shard(backend, network, { params: network.params as Float32Array, m, v, grads }, adam, seed, 0, threads, labelSmoothing)];
  for (let thread = 1; thread < threads; thread++) {
    const setup: WorkerSetup = {
      shared: backend.shared,
      control: control.buffer,
      thread,
      threads,
      spec,
      geometry: geometryOf(network),
      seed,
      adam,
      labelSmoothing,
      parameterCount: count,
      bufferCount: network.buffers.length,
      addresses: { params: network.params.byteOffset, m: m.byteOffset, v: v.byteOffset, grads: grads.map((g) => g.byteOffset), buffers: network.buffers.byteOffset },
    };
    shards.push(workerShard(await attachWasmBackend(backend.shared), setup).shard);
  }
  return { backend, network, control, shards, grads, m, v };
}

/**
 * Starts `command` on `size` items as the pool does (the counters cleared, the sums garbage), then runs every
 * thread's share in turn: in thread order, or last thread first (so that a share written past its end, into
 * the next share's rows, is not written over again by the next thread).
 */
let lastFirst = false;
function runOnEveryThread(pool: InProcessPool, command: number, size: number, setData: (data: Float64Array) => void): void {
  const { sync, data } = pool.control;
  sync[BATCH] = size;
  sync[NEXT] = 0;
  for (let t = 0; t < pool.shards.length; t++) [data[LOSS + t], data[CORRECT + t]] = [GARBAGE, GARBAGE];
  setData(data);
  const shards = lastFirst ? [...pool.shards].reverse() : pool.shards;
  for (const shard of shards) computeShare(shard, command, pool.control);
}

function images(backend: WasmBackend, size: number, random: Random): Floats {
  const input = backend.allocFloats(size * PIXELS);
  for (let i = 0; i < input.length; i++) input[i] = random.next();
  return input;
}

/** Rows [size, width] of the backend's memory filled with garbage, for a command to overwrite. */
function garbageRows(backend: WasmBackend, length: number): Float32Array {
  const rows = backend.allocFloats(length);
  rows.fill(GARBAGE);
  return rows;
}

/** A second network, with the same weights, that computes the one-thread answers. */
async function twinOf(pool: InProcessPool, spec = SPEC): Promise<Network> {
  const network = createNetwork(await createWasmBackend(), spec, GEOMETRY);
  network.params.set(pool.network.params);
  network.buffers.set(pool.network.buffers);
  return network;
}

function copyIn(network: Network, values: Floats): Floats {
  const copy = network.backend.allocFloats(values.length);
  copy.set(values);
  return copy;
}

function copyInts(network: Network, values: Int32Array): Int32Array {
  const copy = network.backend.allocInts(values.length);
  copy.set(values);
  return copy;
}

const same = (actual: ArrayLike<number>, expected: ArrayLike<number>) => expect(Array.from(actual)).toEqual(Array.from(expected));

// The splits: 3 threads over 2 items leave thread 0 nothing; over 7 they take 2, 2 and 3.
// 1 on 3 leaves threads 0 and 1 nothing. Each split runs in thread order and last thread first.
const SPLITS = [
  { threads: 3, size: 1 },
  { threads: 3, size: 2 },
  { threads: 3, size: 7 },
  { threads: 2, size: 5 },
].flatMap((split) => [false, true].map((reversed) => ({ ...split, reversed, name: `${split.size} on ${split.threads} threads${reversed ? ', last thread first' : ''}` })));

describe('shareOf splits as these tests expect', () => {
  it('gives threads 0 and 1 nothing of 1 item on 3 threads, thread 0 nothing of 2, and 2, 2, 3 of 7', () => {
    expect([0, 1, 2].map((t) => shareOf(1, 3, t))).toEqual([[0, 0], [0, 0], [0, 1]]);
    expect([0, 1, 2].map((t) => shareOf(2, 3, t))).toEqual([[0, 0], [0, 1], [1, 2]]);
    expect([0, 1, 2].map((t) => shareOf(7, 3, t))).toEqual([[0, 2], [2, 4], [4, 7]]);
  });
});

describe('the shards of a pool, run in one process', () => {
  beforeEach(() => {
    lastFirst = false;
  });

  for (const { threads, size, reversed, name } of SPLITS) {
    it(`LOGITS and PREDICT: every image's logits and probabilities in its row, the loss summed per thread (${name})`, async () => {
      lastFirst = reversed;
      const pool = await inProcessPool(threads);
      const random = new Random(size);
      const input = images(pool.backend, size, random);
      const labels = pool.backend.allocInts(size);
      for (let i = 0; i < size; i++) labels[i] = i % CLASSES;
      const logits = garbageRows(pool.backend, size * CLASSES);
      runOnEveryThread(pool, Command.LOGITS, size, (data) => ([data[INPUT], data[OUT_LOGITS]] = [input.byteOffset, logits.byteOffset]));
      const twin = await twinOf(pool);
      const expected = Float32Array.from(twin.forward(copyIn(twin, input), size));
      same(logits, expected);

      const probs = garbageRows(pool.backend, size * CLASSES);
      runOnEveryThread(pool, Command.PREDICT, size, (data) => ([data[INPUT], data[LABELS], data[PROBS]] = [input.byteOffset, labels.byteOffset, probs.byteOffset]));
      let lossSum = 0;
      for (let i = 0; i < size; i++) {
        const row = Array.from(expected.subarray(i * CLASSES, (i + 1) * CLASSES));
        const top = Math.max(...row);
        const total = row.reduce((s, z) => s + Math.exp(z - top), 0);
        row.forEach((z, k) => expect(probs[i * CLASSES + k]).toBeCloseTo(Math.exp(z - top) / total, 6));
        lossSum += Math.log(total) - (row[labels[i]] - top);
      }
      const perThread = Array.from({ length: threads }, (_, t) => pool.control.data[LOSS + t]);
      perThread.forEach((loss, t) => {
        const [start, end] = shareOf(size, threads, t);
        if (start === end) expect(loss).toBe(0);
        else expect(loss).toBeGreaterThan(0);
      });
      expect(perThread.reduce((a, b) => a + b, 0)).toBeCloseTo(lossSum, 4);
    });

    it(`TRAIN: the threads' gradients sum to one thread's, Adam updates every slice, the loss and correct counts add up (${name})`, async () => {
      lastFirst = reversed;
      const pool = await inProcessPool(threads);
      const twin = await twinOf(pool);
      const random = new Random(size + 100);
      const input = images(pool.backend, size, random);
      const labels = pool.backend.allocInts(size);
      for (let i = 0; i < size; i++) labels[i] = (i * 3) % CLASSES;
      for (const g of pool.grads) g.fill(GARBAGE); // each thread zeroes its own
      const optimizer = new Adam(twin, { ...ADAM_DEFAULTS, learningRate: 0.01 });
      const serial = new SerialStep(twin, optimizer, 7).run({ input: copyIn(twin, input), labels: copyInts(twin, labels), size });
      const setData = (data: Float64Array) => {
        [data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 1, 0.01, 0];
      };
      runOnEveryThread(pool, Command.TRAIN, size, setData);
      let [loss, correct] = [0, 0];
      for (let t = 0; t < threads; t++) [loss, correct] = [loss + pool.control.data[LOSS + t], correct + pool.control.data[CORRECT + t]];
      expect(loss / size).toBeCloseTo(serial.loss, 5);
      expect(correct).toBe(serial.correct);
      for (const shard of pool.shards) shard.sumAndUpdate(pool.control);
      // The sum is in thread 0's arena; every parameter moved as one thread's Adam step moved it.
      const scale = twin.grads.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
      for (let k = 0; k < twin.grads.length; k++) expect(Math.abs(pool.grads[0][k] - twin.grads[k])).toBeLessThan(1e-5 * scale);
      for (let k = 0; k < twin.params.length; k++) expect(pool.network.params[k]).toBeCloseTo(twin.params[k], 5);
      expect(Array.from(pool.m).some((x) => x !== 0)).toBe(true);
    });
  }

  it('TRAIN with nine dense layers (eight deferred, the smallest summed as usual): the gradient and the update are one thread\'s', async () => {
    const spec = `conv(2,3) relu flatten ${Array.from({ length: 8 }, (_, k) => `linear(${12 - k}) relu`).join(' ')} linear(4)`;
    const pool = await inProcessPool(3, 7, 0, spec);
    const twin = await twinOf(pool, spec);
    const input = images(pool.backend, 7, new Random(8));
    const labels = pool.backend.allocInts(7);
    for (let i = 0; i < 7; i++) labels[i] = i % CLASSES;
    for (const g of pool.grads) g.fill(GARBAGE);
    new SerialStep(twin, new Adam(twin, { ...ADAM_DEFAULTS, learningRate: 0.01 }), 7).run({ input: copyIn(twin, input), labels: copyInts(twin, labels), size: 7 });
    runOnEveryThread(pool, Command.TRAIN, 7, (data) => ([data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 1, 0.01, 0]));
    for (const shard of pool.shards) shard.sumAndUpdate(pool.control);
    const scale = twin.grads.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    for (const p of twin.parameters) {
      const summed = pool.network.parameter(p.name).grad;
      for (let k = 0; k < p.grad.length; k++) expect(Math.abs(summed[k] - p.grad[k]), `${p.name}[${k}]`).toBeLessThan(1e-5 * scale);
    }
    for (let k = 0; k < twin.params.length; k++) expect(pool.network.params[k]).toBeCloseTo(twin.params[k], 5);
  });

  it('TRAIN with SUM_ONLY: the threads sum the gradient and leave the parameters and moments alone', async () => {
    const pool = await inProcessPool(3);
    const twin = await twinOf(pool);
    const before = Float32Array.from(pool.network.params);
    const input = images(pool.backend, 7, new Random(3));
    const labels = pool.backend.allocInts(7);
    const serial = new SerialStep(twin, new Adam(twin), 7).run({ input: copyIn(twin, input), labels: copyInts(twin, labels), size: 7 });
    runOnEveryThread(pool, Command.TRAIN, 7, (data) => ([data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 1, 0.01, 1]));
    for (const shard of pool.shards) shard.sumAndUpdate(pool.control);
    same(pool.network.params, before);
    expect(Array.from(pool.m).every((x) => x === 0)).toBe(true);
    const scale = twin.grads.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
    for (let k = 0; k < twin.grads.length; k++) expect(Math.abs(pool.grads[0][k] - twin.grads[k])).toBeLessThan(1e-5 * scale);
    expect(serial.loss).toBeGreaterThan(0);
  });

  it('TRAIN on a network gone to NaN: every thread\'s loss is not finite, no thread runs its backward pass, and the summed gradient reads as zeros', async () => {
    const pool = await inProcessPool(2);
    pool.network.params[pool.network.params.length - 1] = Number.NaN;
    const before = Float32Array.from(pool.network.params);
    const input = images(pool.backend, 4, new Random(4));
    const labels = pool.backend.allocInts(4);
    for (const g of pool.grads) g.fill(GARBAGE);
    runOnEveryThread(pool, Command.TRAIN, 4, (data) => ([data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 1, 0.01, 0]));
    for (let t = 0; t < 2; t++) expect(Number.isFinite(pool.control.data[LOSS + t])).toBe(false);
    // Each thread zeroes its arena but the dense weight's gradient, which the update phase makes in thread 0's.
    const weight = pool.network.parameter('fc1.weight').grad;
    const [first, last] = [(weight.byteOffset - pool.grads[0].byteOffset) / 4, (weight.byteOffset - pool.grads[0].byteOffset) / 4 + weight.length];
    for (const g of pool.grads) expect(Array.from(g).every((x, k) => (k >= first && k < last ? x === GARBAGE : x === 0))).toBe(true);
    for (const shard of pool.shards) shard.sumAndUpdate(pool.control);
    expect(Array.from(pool.grads[0]).every((x) => x === 0)).toBe(true);
    same(pool.network.params, before);
  });

  it('TRAIN with dropout and batch norm: each thread masks its samples by their place in the batch and the step, and only thread 0 moves the running statistics', async () => {
    const spec = 'conv(3,3) bn relu maxpool(2) flatten dropout(0.5) linear(4)';
    const pool = await inProcessPool(2, 11, 0, spec);
    const twin = await twinOf(pool, spec);
    const input = images(pool.backend, 5, new Random(5));
    const labels = pool.backend.allocInts(5);
    labels.set([0, 1, 2, 3, 1]);
    runOnEveryThread(pool, Command.TRAIN, 5, (data) => ([data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 3, 0.01, 1]));
    // One thread's computation of each share: a training pass at the run's seed and step, from the share's first sample.
    const head = new SoftmaxCrossEntropy(twin.backend, CLASSES, 0);
    for (const [t, [start, end]] of [shareOf(5, 2, 0), shareOf(5, 2, 1)].entries()) {
      const mode = { training: true, seed: 11, step: 3, firstSample: start, updateStatistics: t === 0 };
      const logits = twin.forward(copyIn(twin, input.subarray(start * PIXELS, end * PIXELS)), end - start, mode);
      const loss = head.forward(logits, copyInts(twin, labels.subarray(start, end)), end - start, true);
      expect(pool.control.data[LOSS + t]).toBeCloseTo(loss * (end - start), 5);
    }
    same(pool.network.buffers, twin.buffers); // the running mean and variance: thread 0's share's
    expect(Array.from(pool.network.buffers).some((x, k) => x !== [0, 1][Math.floor(k / 3)])).toBe(true); // they moved
  });

  it('TRAIN whose summed loss is not finite (one thread\'s is +∞): no thread sums the gradients or updates', async () => {
    const pool = await inProcessPool(2);
    const before = Float32Array.from(pool.network.params);
    const input = images(pool.backend, 4, new Random(4));
    const labels = pool.backend.allocInts(4);
    runOnEveryThread(pool, Command.TRAIN, 4, (data) => ([data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 1, 0.01, 0]));
    pool.control.data[LOSS + 1] = Infinity; // as a thread whose share overflowed reports it
    const threadZero = Float32Array.from(pool.grads[0]);
    for (const shard of pool.shards) shard.sumAndUpdate(pool.control);
    same(pool.network.params, before);
    same(pool.grads[0], threadZero);
    expect(Array.from(pool.m).every((x) => x === 0)).toBe(true);
  });

  for (const { threads, size, reversed, name } of SPLITS) {
    it(`GRAD_CAM, INPUT_GRADIENTS and CAM_MAPS: each image's rows where one thread puts them, on either block (${name})`, async () => {
      lastFirst = reversed;
      const pool = await inProcessPool(threads);
      const twin = await twinOf(pool);
      const random = new Random(size + 200);
      const input = images(pool.backend, size, random);
      const blocks = explainableLayersOf(pool.network);
      expect(blocks.length).toBe(2);
      for (const [layer, block] of blocks.entries()) {
        const [channels, mapHeight, mapWidth] = block.shape;
        for (const target of [-1, 0, 2]) {
          const out = { logits: garbageRows(pool.backend, size * CLASSES), weights: garbageRows(pool.backend, size * channels), maps: garbageRows(pool.backend, size * mapHeight * mapWidth), heatmaps: garbageRows(pool.backend, size * PIXELS) };
          runOnEveryThread(pool, Command.GRAD_CAM, size, (data) => {
            [data[INPUT], data[TARGET], data[LAYER]] = [input.byteOffset, target, layer];
            [data[OUT_LOGITS], data[OUT_WEIGHTS], data[OUT_MAPS], data[OUT_HEATMAPS]] = [out.logits.byteOffset, out.weights.byteOffset, out.maps.byteOffset, out.heatmaps.byteOffset];
          });
          const expected = { logits: new Float32Array(size * CLASSES), weights: new Float32Array(size * channels), maps: new Float32Array(size * mapHeight * mapWidth), heatmaps: new Float32Array(size * PIXELS) };
          gradCamOfBatch(twin, copyIn(twin, input), size, target < 0 ? undefined : target, expected, twin.backend.allocFloats(size * CLASSES), block.name);
          for (const key of ['logits', 'weights', 'maps', 'heatmaps'] as const) same(out[key], expected[key]);
        }
      }

      for (const [rule, name] of [[0, 'ordinary'], [1, 'guided']] as const) {
        for (const given of [null, [3, 1, 0, 2, 1, 3, 0].slice(0, size), new Array(size).fill(0)]) {
          const targets = pool.backend.allocInts(size);
          targets.set(given ?? new Array(size).fill(-1));
          const [logits, gradients] = [garbageRows(pool.backend, size * CLASSES), garbageRows(pool.backend, size * PIXELS)];
          runOnEveryThread(pool, Command.INPUT_GRADIENTS, size, (data) => {
            [data[INPUT], data[TARGETS], data[RULE], data[OUT_LOGITS], data[OUT_GRADIENTS]] = [input.byteOffset, targets.byteOffset, rule, logits.byteOffset, gradients.byteOffset];
          });
          const expected = inputGradientsOn(twin, copyIn(twin, input), size, given === null ? undefined : Int32Array.from(given), twin.backend.allocFloats(size * CLASSES), name);
          same(logits, expected.logits);
          same(gradients, expected.gradients);
        }
      }

      for (const [layer, block] of blocks.entries()) {
        const [, mapHeight, mapWidth] = block.shape;
        for (const [index, rule] of CAM_RULES.entries()) {
          const targets = pool.backend.allocInts(size);
          const given = [-1, 1, 0][index % 3];
          targets.fill(given);
          const [logits, maps] = [garbageRows(pool.backend, size * CLASSES), garbageRows(pool.backend, size * mapHeight * mapWidth)];
          runOnEveryThread(pool, Command.CAM_MAPS, size, (data) => {
            [data[INPUT], data[TARGETS], data[CAM_RULE], data[LAYER], data[OUT_LOGITS], data[OUT_MAPS]] = [input.byteOffset, targets.byteOffset, index, layer, logits.byteOffset, maps.byteOffset];
          });
          const expectedMaps = new Float32Array(size * mapHeight * mapWidth);
          const expected = camMapsOn(twin, copyIn(twin, input), size, given < 0 ? undefined : given, rule, twin.backend.allocFloats(size * CLASSES), expectedMaps, block.name);
          same(logits, expected.logits.subarray(0, size * CLASSES));
          same(maps, expectedMaps);
          same(targets, expected.targets); // the classes chosen, written back over the targets
        }
      }
    });
  }

  it('INPUT_GRADIENTS and CAM_MAPS refuse a share with some targets given and some not, naming the command', async () => {
    const pool = await inProcessPool(1);
    const input = images(pool.backend, 3, new Random(1));
    const targets = pool.backend.allocInts(3);
    targets.set([1, -1, 2]);
    const out = garbageRows(pool.backend, 3 * PIXELS);
    const setData = (data: Float64Array) => ([data[INPUT], data[TARGETS], data[OUT_LOGITS], data[OUT_GRADIENTS], data[OUT_MAPS], data[LAYER], data[CAM_RULE]] = [input.byteOffset, targets.byteOffset, out.byteOffset, out.byteOffset, out.byteOffset, 0, 0]);
    expect(errorOf(() => runOnEveryThread(pool, Command.INPUT_GRADIENTS, 3, setData), 'ERR_BAD_ARGUMENT').message).toBe('INPUT_GRADIENTS: some targets are given and some are not; give every image a class or none');
    expect(errorOf(() => runOnEveryThread(pool, Command.CAM_MAPS, 3, setData), 'ERR_BAD_ARGUMENT').message).toBe('CAM_MAPS: some targets are given and some are not; give every image a class or none');
  });

  for (const { threads, size, reversed, name } of SPLITS) {
    it(`COALITION_SCORES, OCCLUSION_SCORES and MASKED_LOGITS: each copy's score where one thread puts it (${name})`, async () => {
      lastFirst = reversed;
      const pool = await inProcessPool(threads);
      const twin = await twinOf(pool);
      const random = new Random(size + 300);
      const image = images(pool.backend, 1, random);
      const features = 4;
      const featureOf = pool.backend.allocInts(PIXELS);
      for (let p = 0; p < PIXELS; p++) featureOf[p] = (Math.floor(p / 8) >= 4 ? 2 : 0) + (p % 8 >= 4 ? 1 : 0); // quadrants
      const coalitionInts = pool.backend.allocInts(Math.ceil((size * features) / 4));
      const coalitions = new Uint8Array(coalitionInts.buffer, coalitionInts.byteOffset, size * features);
      for (let k = 0; k < coalitions.length; k++) coalitions[k] = random.int(2);
      const guarded = garbageRows(pool.backend, 2 * size); // the scores, and as many again that must stay garbage
      const scores = guarded.subarray(0, size);
      const untouched = () => expect(Array.from(guarded.subarray(size)).every((x) => x === GARBAGE)).toBe(true);
      runOnEveryThread(pool, Command.COALITION_SCORES, size, (data) => {
        [data[INPUT], data[TARGET], data[FEATURE_OF], data[FEATURES], data[COALITIONS], data[OUT_SCORES]] = [image.byteOffset, 2, featureOf.byteOffset, features, coalitionInts.byteOffset, scores.byteOffset];
      });
      const copies = BatchBuffer.floats(twin.backend, PIXELS);
      same(scores, Float32Array.from(coalitionScoresOn(twin, copyIn(twin, image), 2, Int32Array.from(featureOf), features, Uint8Array.from(coalitions), size, copies)));
      untouched();

      const corners = pool.backend.allocInts(2 * size);
      for (let k = 0; k < size; k++) corners.set([k % 6, (3 * k) % 6], 2 * k);
      scores.fill(GARBAGE);
      const targets = pool.backend.allocInts(2);
      const starts = pool.backend.allocInts(3);
      targets.set([1, 2]);
      starts.set([0, size]);
      runOnEveryThread(pool, Command.OCCLUSION_SCORES, size, (data) => {
        [data[INPUT], data[IMAGES], data[TARGETS], data[IMAGE_STARTS], data[WINDOW], data[CORNERS], data[OUT_SCORES]] = [image.byteOffset, 1, targets.byteOffset, starts.byteOffset, 3, corners.byteOffset, scores.byteOffset];
      });
      same(scores, Float32Array.from(occlusionScoresOn(twin, copyIn(twin, image), 1, 3, Int32Array.from(corners), size, copies)));
      untouched();
      // two images: the first's copies 0 … ⌊size/2⌋ − 1, the second's the rest, scored by class 2
      const two = images(pool.backend, 2, random);
      const half = Math.floor(size / 2);
      starts.set([0, half, size]);
      scores.fill(GARBAGE);
      runOnEveryThread(pool, Command.OCCLUSION_SCORES, size, (data) => {
        [data[INPUT], data[IMAGES], data[TARGETS], data[IMAGE_STARTS], data[WINDOW], data[CORNERS], data[OUT_SCORES]] = [two.byteOffset, 2, targets.byteOffset, starts.byteOffset, 3, corners.byteOffset, scores.byteOffset];
      });
      const first = occlusionScoresOn(twin, copyIn(twin, two.subarray(0, PIXELS)), 1, 3, Int32Array.from(corners.subarray(0, 2 * half)), half, copies);
      const second = occlusionScoresOn(twin, copyIn(twin, two.subarray(PIXELS)), 2, 3, Int32Array.from(corners.subarray(2 * half)), size - half, copies);
      same(scores, Float32Array.from([...first, ...second]));
      untouched();

      for (const [layer, block] of explainableLayersOf(pool.network).entries()) {
        const [maskCount, mapHeight, mapWidth] = block.shape;
        const length = maskCount * mapHeight * mapWidth;
        const covering = pool.backend.allocFloats(2 * length);
        const activations = new Float64Array(covering.buffer, covering.byteOffset, length);
        for (let k = 0; k < length; k++) activations[k] = random.next() - 0.3;
        const logits = garbageRows(pool.backend, (maskCount + 1) * CLASSES);
        runOnEveryThread(pool, Command.MASKED_LOGITS, maskCount + 1, (data) => {
          [data[INPUT], data[ACTIVATIONS], data[LAYER], data[OUT_LOGITS]] = [image.byteOffset, covering.byteOffset, layer, logits.byteOffset];
        });
        const expected = new Float32Array((maskCount + 1) * CLASSES);
        maskedLogitsOn(twin, copyIn(twin, image), Float64Array.from(activations), mapHeight, mapWidth, 0, maskCount + 1, copies, expected);
        same(logits, expected);
      }
    });

    it(`LIME_FITS and CURVES: each image's fit and curves in its row (${name})`, async () => {
      lastFirst = reversed;
      const pool = await inProcessPool(threads);
      const twin = await twinOf(pool);
      const random = new Random(size + 400);
      const [features, samples] = [3, 9];
      const bytes = size * samples * features;
      const coveringBytes = pool.backend.allocFloats(Math.ceil(bytes / 4));
      const coalitions = new Uint8Array(coveringBytes.buffer, coveringBytes.byteOffset, bytes);
      for (let k = 0; k < bytes; k++) coalitions[k] = random.int(2);
      const coveringScores = pool.backend.allocFloats(2 * size * samples);
      const scores = new Float64Array(coveringScores.buffer, coveringScores.byteOffset, size * samples);
      for (let k = 0; k < scores.length; k++) scores[k] = random.next() * 4 - 1;
      const coveringFits = pool.backend.allocFloats(2 * size * (features + 1));
      const fits = new Float64Array(coveringFits.buffer, coveringFits.byteOffset, size * (features + 1));
      fits.fill(GARBAGE);
      const options = { kernelWidth: 0.6, lambda: 0.05 };
      runOnEveryThread(pool, Command.LIME_FITS, size, (data) => {
        [data[COALITIONS], data[FEATURES], data[SAMPLES], data[FIT_SCORES], data[KERNEL_WIDTH], data[LAMBDA], data[OUT_FITS]] = [coveringBytes.byteOffset, features, samples, coveringScores.byteOffset, options.kernelWidth, options.lambda, coveringFits.byteOffset];
      });
      for (let b = 0; b < size; b++) {
        const { beta, intercept } = limeFit(coalitions.slice(b * samples * features, (b + 1) * samples * features), scores.slice(b * samples, (b + 1) * samples), features, samples, options);
        same(fits.subarray(b * (features + 1), (b + 1) * (features + 1)), [...beta, intercept]);
      }

      const steps = 4;
      const input = images(pool.backend, size, random);
      const orders = pool.backend.allocInts(size * PIXELS);
      const targets = pool.backend.allocInts(size);
      const seeds = pool.backend.allocInts(size);
      const requests = Array.from({ length: size }, (_, r) => ({ image: Float32Array.from(input.subarray(r * PIXELS, (r + 1) * PIXELS)), order: randomOrder(PIXELS, random), target: r % CLASSES, seed: 0x9e3779b9 + r }));
      requests.forEach((request, r) => {
        orders.set(request.order, r * PIXELS);
        targets[r] = request.target;
        seeds[r] = request.seed | 0; // as unsigned, read back with >>> 0
      });
      const curves = garbageRows(pool.backend, (size + 1) * 4 * (steps + 1)); // and a row past the last, to stay garbage
      const road = { sigma: 0.7, tolerance: 1e-5 };
      runOnEveryThread(pool, Command.CURVES, size, (data) => {
        [data[INPUT], data[ORDERS], data[TARGETS], data[SEEDS], data[STEPS], data[ROAD_SIGMA], data[ROAD_TOLERANCE], data[OUT_CURVES]] = [input.byteOffset, orders.byteOffset, targets.byteOffset, seeds.byteOffset, steps, road.sigma, road.tolerance, curves.byteOffset];
      });
      const expected = perturbationCurves(networkClassifier(twin), requests, 8, 8, { steps, road });
      expected.forEach((curve, r) => {
        [curve.deletion.zero, curve.deletion.road, curve.insertion.zero, curve.insertion.road].forEach((values, c) => {
          same(curves.subarray((r * 4 + c) * (steps + 1), (r * 4 + c + 1) * (steps + 1)), Float32Array.from(values));
        });
      });
      expect(pool.control.sync[NEXT]).toBeGreaterThanOrEqual(size); // every request taken
      expect(Array.from(curves.subarray(size * 4 * (steps + 1))).every((x) => x === GARBAGE)).toBe(true);
    });

    it(`SMOOTHGRAD_MAPS: each image's map in its row, its noise drawn by its thread from the jumped stream (${name})`, async () => {
      lastFirst = reversed;
      const pool = await inProcessPool(threads);
      const twin = await twinOf(pool);
      const random = new Random(size + 500);
      const input = images(pool.backend, size, random);
      const targets = pool.backend.allocInts(size);
      for (let b = 0; b < size; b++) targets[b] = (b * 3 + 1) % CLASSES;
      const stream = new Random(size + 600);
      stream.jump(777); // a stream under way
      const [samples, sigma] = [3, 0.3];
      // float64 maps, two floats each, and one row past the last to stay garbage
      const covering = garbageRows(pool.backend, 2 * (size + 1) * PIXELS);
      const maps = new Float64Array(covering.buffer, covering.byteOffset, (size + 1) * PIXELS);
      maps.fill(GARBAGE);
      const state = stream.state();
      runOnEveryThread(pool, Command.SMOOTHGRAD_MAPS, size, (data) => {
        [data[INPUT], data[TARGETS], data[SAMPLES], data[NOISE_SIGMA], data[OUT_MAPS]] = [input.byteOffset, targets.byteOffset, samples, sigma, covering.byteOffset];
        for (let k = 0; k < 4; k++) data[NOISE_STATE + k] = state[k];
      });
      // one thread: the copies of the whole batch, the noise drawn in order, by hand
      const expected = new Float64Array(size * PIXELS);
      for (let s = 0; s < samples; s++) {
        const noisy = copyIn(twin, Float32Array.from(input, (v) => v + sigma * stream.gaussian()));
        const { gradients } = inputGradientsOn(twin, noisy, size, Int32Array.from(targets), twin.backend.allocFloats(size * CLASSES));
        for (let k = 0; k < size * PIXELS; k++) expected[k] += (1 / samples) * Math.abs(gradients[k]); // as addAbsoluteMax scales
      }
      same(maps.subarray(0, size * PIXELS), expected);
      expect(Array.from(maps.subarray(size * PIXELS)).every((x) => x === GARBAGE)).toBe(true);
    });
  }

  it('a shard of label-smoothed training predicts with plain cross-entropy: PREDICT\'s loss is −ln p(label)', async () => {
    const pool = await inProcessPool(1, 7, 0.2);
    const input = images(pool.backend, 3, new Random(9));
    const labels = pool.backend.allocInts(3);
    labels.set([0, 1, 3]);
    const probs = garbageRows(pool.backend, 3 * CLASSES);
    runOnEveryThread(pool, Command.PREDICT, 3, (data) => ([data[INPUT], data[LABELS], data[PROBS]] = [input.byteOffset, labels.byteOffset, probs.byteOffset]));
    const plain = [0, 1, 2].reduce((s, i) => s - Math.log(probs[i * CLASSES + labels[i]]), 0);
    expect(pool.control.data[LOSS]).toBeCloseTo(plain, 4);
    // Training's loss is the smoothed one: (1 − ε)·onehot + ε/K.
    runOnEveryThread(pool, Command.TRAIN, 3, (data) => ([data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 1, 0.01, 1]));
    let smoothed = 0;
    for (let i = 0; i < 3; i++) for (let k = 0; k < CLASSES; k++) smoothed -= ((k === labels[i] ? 0.8 : 0) + 0.05) * Math.log(probs[i * CLASSES + k]);
    expect(pool.control.data[LOSS]).toBeCloseTo(smoothed, 4);
  });

  for (const labelSmoothing of [0, 0.1]) {
    it(`gives back all it allocated on dispose, after a PREDICT and a TRAIN (label smoothing ${labelSmoothing}: ${labelSmoothing === 0 ? 'one head' : 'two heads'})`, async () => {
      const pool = await inProcessPool(1);
      const input = images(pool.backend, 3, new Random(2));
      const labels = pool.backend.allocInts(3);
      const probs = garbageRows(pool.backend, 3 * CLASSES);
      // A first PREDICT and TRAIN grow the network's own buffers to the batch; the shard's come after.
      runOnEveryThread(pool, Command.PREDICT, 3, (data) => ([data[INPUT], data[LABELS], data[PROBS]] = [input.byteOffset, labels.byteOffset, probs.byteOffset]));
      runOnEveryThread(pool, Command.TRAIN, 3, (data) => ([data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 1, 0.01, 1]));
      const before = pool.backend.memoryStats().usedBytes;
      const shard = new Shard(pool.backend, pool.network, { params: pool.network.params as Float32Array, m: pool.m, v: pool.v, grads: pool.grads }, ADAM_DEFAULTS, 1, 0, 1, labelSmoothing);
      pool.shards = [shard];
      runOnEveryThread(pool, Command.PREDICT, 3, (data) => ([data[INPUT], data[LABELS], data[PROBS]] = [input.byteOffset, labels.byteOffset, probs.byteOffset]));
      runOnEveryThread(pool, Command.TRAIN, 3, (data) => ([data[INPUT], data[LABELS], data[ADAM_STEP], data[LEARNING_RATE], data[SUM_ONLY]] = [input.byteOffset, labels.byteOffset, 1, 0.01, 1]));
      expect(pool.backend.memoryStats().usedBytes).toBeGreaterThan(before);
      shard.dispose();
      expect(pool.backend.memoryStats().usedBytes).toBe(before);
    });
  }
});
