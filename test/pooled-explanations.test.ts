/**
 * Explanations and faithfulness on the thread pool: the pool's passes (logits, input gradients ordinary
 * and guided, deletion/insertion curves) give the numbers the calling thread gives, bit for bit, for any
 * split of the batch — an image's row depends on that image alone — so every method routed through them,
 * and `measureFaithfulness`, gives the same maps and scores on 1, 2 or 3 threads.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { Floats } from '../src/backend/backend.js';
import { takeFirst } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { methodByName, type MethodName } from '../src/explain/methods/by-name.js';
import { explainForTargets } from '../src/explain/explain-for-targets.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { networkPasses } from '../src/explain/model-passes.js';
import { networkClassifier, perturbationCurves, randomOrder } from '../src/faithfulness/deletion-insertion.js';
import { measureFaithfulness } from '../src/faithfulness/faithfulness.js';
import { createNetwork, createPaperNetwork, type Network } from '../src/model/network.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { randomSpecs } from '../src/testing/specs.js';
import { cliWorkspace } from './fixtures/cli.js';

const mnist = loadDataset();
const pools: ThreadPool[] = [];
afterAll(async () => {
  for (const pool of pools) await pool.close();
});

async function paperNetwork(seed: number): Promise<Network> {
  const network = createPaperNetwork(await createWasmBackend());
  network.initialize(new Random(seed));
  return network;
}

async function poolOf(network: Network, threads: number): Promise<ThreadPool> {
  const pool = await ThreadPool.create(network, threads);
  pools.push(pool);
  return pool;
}

const bytes = (values: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }) => Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');

/** Images with values in [0, 1] in the network's backend: [size, C, H, W]. */
function randomInput(network: Network, size: number, random: Random): Floats {
  const input = network.backend.allocFloats(size * network.inputShape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < input.length; i++) input[i] = random.next();
  return input;
}

describe('the pool passes', () => {
  it('give the logits and input gradients of one thread bit for bit, on random small networks and odd batch splits', async () => {
    const cases = fc.record({ spec: randomSpecs({ maxSize: 8, maxLayers: 5, kinds: ['conv', 'maxpool', 'avgpool', 'relu', 'bn', 'linear', 'flatten'] }), size: fc.integer({ min: 1, max: 7 }), seed: fc.nat() });
    await fc.assert(
      fc.asyncProperty(cases, async ({ spec, size, seed }) => {
        const network = createNetwork(await createWasmBackend(), spec.explicit, spec.geometry);
        const random = new Random(seed);
        network.initialize(random);
        const pool = await ThreadPool.create(network, 2);
        try {
          const input = randomInput(network, size, random);
          const serial = networkPasses(network);
          expect(bytes(pool.logits(input, size))).toBe(bytes(Float32Array.from(serial.logits(input, size))));
          for (const rule of ['ordinary', 'guided'] as const) {
            const one = serial.inputGradients(input, size, undefined, rule);
            const [logits, targets, gradients] = [Float32Array.from(one.logits), Int32Array.from(one.targets), Float32Array.from(one.gradients)];
            const two = pool.inputGradients(input, size, undefined, rule);
            expect([...two.targets]).toEqual([...targets]);
            expect(bytes(two.logits)).toBe(bytes(logits));
            expect(bytes(two.gradients)).toBe(bytes(gradients));
          }
        } finally {
          await pool.close();
        }
      }),
      { numRuns: 6 },
    );
  });

  it('give the deletion/insertion curves of one thread bit for bit, each image with its own ROAD noise', async () => {
    const network = await paperNetwork(2);
    const pool = await poolOf(network, 3);
    const random = new Random(9);
    const requests = Array.from({ length: 5 }, (_, r) => ({
      image: Float32Array.from(mnist.test.images.subarray(r * 784, (r + 1) * 784), (v) => v / 255),
      order: randomOrder(784, random),
      target: r % 10,
      seed: 1000 + r,
    }));
    const options = { steps: 7, road: { sigma: 0.01 } };
    const serial = perturbationCurves(networkClassifier(network), requests, 28, 28, options);
    const pooled = pool.curves(requests, 28, 28, options);
    expect(pooled).toEqual(serial);
    // The curves are probabilities of the target class: a wrong plane or request would not stay in [0, 1] and start at the clean image's.
    expect(pooled[0].deletion.zero.length).toBe(8);
  });
});

describe('explanation methods on the pool', () => {
  const methods: Array<[MethodName, Parameters<typeof methodByName>[1]]> = [
    ['saliency', {}],
    ['gradient-x-input', {}],
    ['smoothgrad', { smoothGrad: { samples: 3 } }],
    ['integrated-gradients', { integratedGradients: { steps: 3 } }],
    ['guided-backprop', {}],
    ['occlusion', { occlusion: { window: 7, stride: 7 } }],
    ['kernel-shap', { kernelShap: { samples: 40, patch: 7 } }],
    ['lime', { lime: { samples: 24, patch: 7 } }],
    ['score-cam', {}],
  ];

  it.each(methods)('%s gives the same maps, logits and gaps on 2 threads as on 1', async (name, options) => {
    const network = await paperNetwork(4);
    const pool = await poolOf(network, 2);
    const set = takeFirst(mnist.test, 5);
    const serial = explainImages(network, set, methodByName(name, options), { batchSize: 3 });
    const pooled = explainImages(network, set, methodByName(name, options), { batchSize: 3, passes: pool });
    expect(bytes(pooled.maps)).toBe(bytes(serial.maps));
    expect(bytes(pooled.logits)).toBe(bytes(serial.logits));
    expect(bytes(pooled.heatmaps)).toBe(bytes(serial.heatmaps));
    expect([...pooled.targets]).toEqual([...serial.targets]);
    if (serial.completenessGaps) expect(bytes(pooled.completenessGaps!)).toBe(bytes(serial.completenessGaps));
    // Not trivially equal: the maps say something.
    expect(serial.maps.some((v) => v !== 0)).toBe(true);
  });
});

describe('explanations for targets on the pool (the report\'s class means and confusion cells)', () => {
  it('gives each image the map it gets on one thread, for its own class', async () => {
    const network = await paperNetwork(7);
    const pool = await poolOf(network, 2);
    const indices = [4, 1, 4, 0, 3];
    const targets = [2, 7, 9, 2, 0];
    const methods: Array<[MethodName, Parameters<typeof methodByName>[1]]> = [['smoothgrad', { smoothGrad: { samples: 2 } }], ['occlusion', { occlusion: { window: 7, stride: 7 } }]];
    for (const [name, options] of methods) {
      const serial = explainForTargets(network, mnist.test, methodByName(name, options), indices, targets);
      const pooled = explainForTargets(network, mnist.test, methodByName(name, options), indices, targets, { passes: pool });
      expect([...pooled.targets]).toEqual(targets);
      expect(bytes(pooled.heatmaps)).toBe(bytes(serial.heatmaps));
    }
  });
});

describe('measureFaithfulness on the pool', () => {
  it('scores every measure as on one thread (only the timings differ)', async () => {
    const network = await paperNetwork(6);
    const pool = await poolOf(network, 2);
    const options = {
      methods: ['saliency', 'occlusion', 'grad-cam'],
      methodOptions: { occlusion: { window: 7, stride: 7 } },
      steps: 4,
      randomisationImages: 2,
    };
    const indices = [0, 1, 2];
    const serial = measureFaithfulness(network, mnist.test, indices, options);
    const pooled = measureFaithfulness(network, mnist.test, indices, { ...options, pool });
    const withoutTimes = (result: typeof serial) => JSON.stringify({ ...result, methods: result.methods.map(({ msPerImage: _, ...row }) => row), heatmaps: Object.entries(result.heatmaps).map(([k, v]) => [k, bytes(v)]) });
    expect(withoutTimes(pooled)).toBe(withoutTimes(serial));
    expect(serial.methods).toHaveLength(3);
  });
});

describe('xcnn faithfulness --threads', () => {
  const { xcnn } = cliWorkspace('xcnn-pooled-faithfulness-');

  it('prints the same scores on 2 threads as on 1', () => {
    const run = (threads: string) => {
      const result = xcnn('faithfulness', '--methods', 'saliency,occlusion', '--n', '4', '--sanity', '2', '--steps', '4', '--figure-rows', '0', '--threads', threads, '--out', `out-${threads}`, '--json');
      expect(result.status, result.stderr).toBe(0);
      const json = JSON.parse(result.stdout);
      return JSON.stringify(json, (key, value) => (key === 'msPerImage' ? undefined : value));
    };
    const one = run('1');
    expect(run('2')).toBe(one);
    expect(one).toContain('"occlusion"');
  });
});
