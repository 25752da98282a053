/**
 * Explanations and faithfulness on the thread pool: the pool's passes (logits, input gradients ordinary
 * and guided, CAM maps of any rule and block, Grad-CAM's runner on any block, coalition and occlusion scores,
 * Score-CAM's masked logits, deletion/insertion curves) give the numbers the calling thread gives, bit for
 * bit, for any split of the batch — an image's (a copy's) row depends on that image (copy) alone — so every
 * method routed through them, and `measureFaithfulness`, gives the same maps and scores on 1, 2 or 3 threads.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { Floats } from '../src/backend/backend.js';
import { takeFirst } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { methodByName, type MethodName } from '../src/explain/methods/by-name.js';
import { CAM_RULES } from '../src/explain/cam-rules.js';
import { explainableLayersOf } from '../src/explain/explained-layer.js';
import { explainForTargets } from '../src/explain/explain-for-targets.js';
import { gradCam, type GradCamRunner } from '../src/explain/grad-cam.js';
import { scoreCamMask } from '../src/explain/methods/score-cam.js';
import { limeFit } from '../src/explain/ridge-fit.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { networkPasses } from '../src/explain/model-passes.js';
import { networkClassifier, perturbationCurves, randomOrder } from '../src/faithfulness/deletion-insertion.js';
import { measureFaithfulness } from '../src/faithfulness/faithfulness.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { randomSpecs } from '../src/testing/specs.js';
import { cliWorkspace } from './fixtures/cli.js';
import { loadClassifier } from '../src/classifier-node.js';
import { bytes, closingPools, paperNetwork, randomInput } from './fixtures/pools.js';

const mnist = loadDataset();
const poolOf = closingPools();

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

  it('give the CAM maps of one thread bit for bit, for every rule the workers know, on any conv block and odd batch splits', async () => {
    const cases = fc.record({ spec: randomSpecs({ maxSize: 8, maxLayers: 5, kinds: ['conv', 'maxpool', 'relu', 'bn', 'linear', 'flatten'] }), size: fc.integer({ min: 1, max: 7 }), seed: fc.nat(), pick: fc.nat() });
    await fc.assert(
      fc.asyncProperty(cases, async ({ spec, size, seed, pick }) => {
        const network = createNetwork(await createWasmBackend(), spec.explicit, spec.geometry);
        const blocks = explainableLayersOf(network);
        if (blocks.length === 0) return; // no conv block: nothing for a CAM to read
        const layer = blocks[pick % blocks.length].name;
        const random = new Random(seed);
        network.initialize(random);
        const pool = await ThreadPool.create(network, 3);
        try {
          const input = randomInput(network, size, random);
          const serial = networkPasses(network);
          for (const rule of CAM_RULES) {
            for (const targets of [undefined, Int32Array.from({ length: size }, (_, b) => (b * 7 + seed) % network.outputShape[0])]) {
              const one = serial.camMaps(input, size, targets, rule, layer);
              const [logits, chosen, maps] = [Float32Array.from(one.logits.subarray(0, size * network.outputShape[0])), Int32Array.from(one.targets), Float32Array.from(one.maps)];
              const three = pool.camMaps(input, size, targets, rule, layer);
              expect([...three.targets], rule.name).toEqual([...chosen]);
              if (targets !== undefined) expect([...three.targets]).toEqual([...targets]);
              expect(bytes(three.logits), rule.name).toBe(bytes(logits));
              expect(bytes(three.maps), rule.name).toBe(bytes(maps));
            }
          }
        } finally {
          await pool.close();
        }
      }),
      { numRuns: 5 },
    );
  });

  it('run a CAM rule the workers do not know on the calling thread, with the maps it gives there', async () => {
    const network = await paperNetwork(3);
    const pool = await poolOf(network, 2);
    const input = randomInput(network, 3, new Random(1));
    // A combine of one's own: the map is channel 0's activations (a function the workers cannot be sent).
    const own = { name: 'first-channel', gradients: true, combine: (a: Floats, _g: Floats, n: number, channels: number, pixels: number, map: Float64Array) => map.set(a.subarray(n * channels * pixels, (n * channels + 1) * pixels)) };
    const serial = networkPasses(network).camMaps(input, 3, 5, own);
    const expected = [Float32Array.from(serial.maps), [...serial.targets]] as const;
    const pooled = pool.camMaps(input, 3, 5, own);
    expect(bytes(pooled.maps)).toBe(bytes(expected[0]));
    expect([...pooled.targets]).toEqual([5, 5, 5]);
    // Grad-CAM's name with another combine is not Grad-CAM: the pool must not run the workers' rule for it.
    const renamed = { ...own, name: 'grad-cam' };
    expect(bytes(pool.camMaps(input, 3, 5, renamed).maps)).toBe(bytes(expected[0]));
    // And the maps are what the rule says: each image's channel 0 of relu2 [64, 11, 11].
    network.forward(input, 3);
    const relu2 = network.activations('relu2');
    const firstChannels = Float32Array.from({ length: 3 * 121 }, (_, i) => relu2[Math.floor(i / 121) * 64 * 121 + (i % 121)]);
    expect(bytes(expected[0])).toBe(bytes(firstChannels));
    expect(firstChannels.some((v) => v > 0)).toBe(true);
  });

  it('score coalition copies as forwarding each copy, made by hand, does — on one thread and split over three', async () => {
    const network = await paperNetwork(5);
    const pool = await poolOf(network, 3);
    const random = new Random(11);
    const image = Float32Array.from(mnist.test.images.subarray(0, 784), (v) => v / 255);
    // Patches of 10 × 10 over 28 × 28: a 3 × 3 grid, the last row and column 8 wide.
    const featureOf = Int32Array.from({ length: 784 }, (_, p) => Math.floor(Math.floor(p / 28) / 10) * 3 + Math.floor((p % 28) / 10));
    const count = 300; // more than two chunks of 128, split unevenly over 3 threads
    const coalitions = Uint8Array.from({ length: count * 9 }, () => (random.next() < 0.5 ? 1 : 0));
    const target = 3;
    // Independently: each copy built pixel by pixel and forwarded alone.
    const single = network.backend.allocFloats(784);
    const expected = Array.from({ length: count }, (_, k) => {
      for (let p = 0; p < 784; p++) single[p] = coalitions[k * 9 + featureOf[p]] === 1 ? image[p] : 0;
      return network.forward(single, 1)[target];
    });
    const serial = networkPasses(network).coalitionScores(image, target, featureOf, 9, coalitions, count);
    expect([...serial]).toEqual(expected);
    const pooled = pool.coalitionScores(image, target, featureOf, 9, coalitions, count);
    expect([...pooled]).toEqual(expected);
    // Not all alike: the coalitions change the score.
    expect(new Set(expected).size).toBeGreaterThan(20);
  });

  it('give the occlusion scores and Score-CAM\'s masked logits of one thread bit for bit, on random small networks and odd splits', async () => {
    const cases = fc.record({ spec: randomSpecs({ maxSize: 9, maxLayers: 5, kinds: ['conv', 'maxpool', 'relu', 'bn', 'linear', 'flatten'] }), seed: fc.nat(), pick: fc.nat(), threads: fc.integer({ min: 2, max: 3 }) });
    await fc.assert(
      fc.asyncProperty(cases, async ({ spec, seed, pick, threads }) => {
        const network = createNetwork(await createWasmBackend(), spec.explicit, spec.geometry);
        const random = new Random(seed);
        network.initialize(random);
        const pool = await ThreadPool.create(network, threads);
        try {
          const [, height, width] = network.inputShape;
          const image = randomInput(network, 1, random);
          const serial = networkPasses(network);
          // Windows anywhere, repeated and overlapping: 1 to 9 pixels a side, up to 40 of them (an uneven split).
          const window = 1 + (pick % Math.min(height, width));
          const count = 1 + (seed % 40);
          const corners = Int32Array.from({ length: 2 * count }, (_, i) => random.int((i % 2 === 0 ? height : width) - window + 1));
          const target = seed % network.outputShape[0];
          const scores = serial.occlusionScores(image, target, window, corners, count);
          expect(bytes(pool.occlusionScores(image, target, window, corners, count))).toBe(bytes(scores));
          const blocks = explainableLayersOf(network);
          if (blocks.length === 0) return; // no conv block: no masks
          const block = blocks[pick % blocks.length];
          // Float64 activations that float32 cannot hold, signed, one channel flat: they must reach the workers whole.
          const activations = Float64Array.from({ length: block.shape[0] * block.shape[1] * block.shape[2] }, (_, i) => (i < block.shape[1] * block.shape[2] ? 0.25 : random.next() * 2 - 1 + 1e-12));
          const logits = Float32Array.from(serial.maskedLogits(image, activations, block.name));
          expect(logits.length).toBe((block.shape[0] + 1) * network.outputShape[0]);
          expect(bytes(pool.maskedLogits(image, activations, block.name))).toBe(bytes(logits));
        } finally {
          await pool.close();
        }
      }),
      { numRuns: 6 },
    );
  });

  it('score occluded copies as forwarding each copy, made by hand, does — on one thread and split over three', async () => {
    const network = await paperNetwork(5);
    const pool = await poolOf(network, 3);
    const image = Float32Array.from(mnist.test.images.subarray(784, 2 * 784), (v) => v / 255);
    // 5 × 5 windows at 150 corners (more than a chunk of 128, an uneven split over 3 threads), some at the edges.
    const random = new Random(13);
    const count = 150;
    const corners = Int32Array.from({ length: 2 * count }, (_, i) => (i < 4 ? 23 : random.int(24)));
    const target = 2;
    const single = network.backend.allocFloats(784);
    const expected = Array.from({ length: count }, (_, k) => {
      const [y0, x0] = [corners[2 * k], corners[2 * k + 1]];
      for (let p = 0; p < 784; p++) {
        const [y, x] = [Math.floor(p / 28), p % 28];
        single[p] = y >= y0 && y < y0 + 5 && x >= x0 && x < x0 + 5 ? 0 : image[p];
      }
      return network.forward(single, 1)[target];
    });
    expect([...networkPasses(network).occlusionScores(image, target, 5, corners, count)]).toEqual(expected);
    expect([...pool.occlusionScores(image, target, 5, corners, count)]).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(20);
  });

  it('give Score-CAM\'s masked logits as forwarding each masked copy, made by hand, does, the black image last', async () => {
    const network = await paperNetwork(6);
    const pool = await poolOf(network, 3);
    const image = Float32Array.from(mnist.test.images.subarray(2 * 784, 3 * 784), (v) => v / 255);
    const single = network.backend.allocFloats(784);
    single.set(image);
    network.forward(single, 1);
    const activations = Float64Array.from(network.activations('relu1').subarray(0, 32 * 26 * 26)); // relu1 of the paper's network: [32, 26, 26]
    const expected: number[] = [];
    for (let k = 0; k <= 32; k++) {
      const mask = k < 32 ? scoreCamMask(activations.subarray(k * 676, (k + 1) * 676), 26, 26, 28, 28) : new Float32Array(784);
      for (let p = 0; p < 784; p++) single[p] = image[p] * mask[p];
      expected.push(...network.forward(single, 1).subarray(0, 10));
    }
    expect([...networkPasses(network).maskedLogits(image, activations, 'conv1')]).toEqual(expected);
    expect([...pool.maskedLogits(image, activations, 'relu1')]).toEqual(expected);
    expect(new Set(expected).size).toBeGreaterThan(100);
    // Activations of another block's shape are refused before any work, in one line.
    expect(() => pool.maskedLogits(image, activations)).toThrow(`maskedLogits: the activations have ${32 * 676} values; relu2's are [64, 11, 11], 7744 values: give that block's activations of one image`);
  });

  it('give LIME\'s fits of one thread bit for bit, each image\'s row where it belongs, for odd splits', async () => {
    const network = await paperNetwork(3);
    const random = new Random(17);
    const [features, samples] = [9, 40];
    const coalitions = Uint8Array.from({ length: 7 * samples * features }, () => (random.next() < 0.5 ? 1 : 0));
    const scores = Float64Array.from({ length: 7 * samples }, () => random.next() * 4 - 2 + 1e-13); // not float32 values
    const options = { kernelWidth: 0.4, lambda: 0.5 };
    const serial = networkPasses(network).limeFits(coalitions, scores, features, samples, 7, options);
    expect(serial).toHaveLength(7 * (features + 1));
    // Each row is that image's own fit.
    for (const b of [0, 6]) {
      const { beta, intercept } = limeFit(coalitions.subarray(b * samples * features, (b + 1) * samples * features), scores.subarray(b * samples, (b + 1) * samples), features, samples, options);
      expect([...serial.subarray(b * 10, b * 10 + 10)]).toEqual([...beta, intercept]);
    }
    for (const threads of [2, 3]) {
      const pool = await poolOf(network, threads);
      for (const count of [7, 2, 1]) expect(bytes(pool.limeFits(coalitions, scores, features, samples, count, options))).toBe(bytes(serial.subarray(0, count * 10)));
    }
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
    ['grad-cam', {}],
    ['grad-cam++', {}],
    ['xgrad-cam', {}],
    ['layer-cam', {}],
    ['hires-cam', {}],
    ['eigen-cam', {}],
    ['guided-grad-cam', {}],
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

describe('the CAM family on the pool, on another block', () => {
  it.each(['grad-cam++', 'layer-cam', 'eigen-cam'] as const)('%s of relu1, with receptive-field placement, is the same on 3 threads as on 1', async (name) => {
    const network = await paperNetwork(8);
    const pool = await poolOf(network, 3);
    const set = takeFirst(mnist.test, 7);
    const options = { batchSize: 5, layer: 'relu1', placement: 'receptive-field' as const, targetClass: 4 };
    const serial = explainImages(network, set, methodByName(name), options);
    const pooled = explainImages(network, set, methodByName(name), { ...options, passes: pool });
    expect(pooled.layer).toBe('relu1');
    const [, h, w] = explainableLayersOf(network).find((block) => block.name === 'relu1')!.shape;
    expect(h * w).not.toBe(11 * 11); // relu1's cells, not the default relu2's 11 × 11
    expect(serial.maps.length).toBe(7 * h * w);
    expect(bytes(pooled.maps)).toBe(bytes(serial.maps));
    expect(bytes(pooled.heatmaps)).toBe(bytes(serial.heatmaps));
    expect([...pooled.targets]).toEqual(name === 'eigen-cam' ? [...serial.targets] : [4, 4, 4, 4, 4, 4, 4]);
    expect(serial.maps.some((v) => v !== 0)).toBe(true);
  });
});

describe('Grad-CAM through the pool\'s runner (gradCam, xcnn explain --layer)', () => {
  it('explains every conv block on 3 threads as on 1, the runner told each batch\'s block', async () => {
    const network = await paperNetwork(12);
    const pool = await poolOf(network, 3);
    const set = takeFirst(mnist.test, 11);
    const runner = pool.gradCamRunner();
    // Blocks in turn on the same runner: each gets rows of its own shape.
    for (const [layer, block] of [['relu1', 'relu1'], [undefined, 'relu2'], ['conv1', 'relu1'], ['conv2', 'relu2']] as const) {
      for (const targetClass of [undefined, 6]) {
        const serial = gradCam(network, set, { layer, targetClass, batchSize: 4 });
        const told: string[] = [];
        const spy: GradCamRunner = (batch, target, out, name) => {
          told.push(name);
          runner(batch, target, out, name);
        };
        const pooled = gradCam(network, set, { layer, targetClass, batchSize: 4, runner: spy });
        expect(told).toEqual([block, block, block]); // batches of 4, 4 and 3, every one on the pool
        expect(pooled.layer).toBe(block);
        for (const key of ['maps', 'weights', 'heatmaps', 'logits'] as const) expect(bytes(pooled[key]), `${block} ${key}`).toBe(bytes(serial[key]));
        expect([...pooled.targets]).toEqual([...serial.targets]);
        expect(serial.maps.some((v) => v > 0)).toBe(true);
      }
    }
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

describe('the facade on threads (loadClassifier: xcnn explain and xcnn report)', () => {
  it('explains with the CAM family (Grad-CAM of relu1 too), Score-CAM, occlusion and LIME on 2 threads as on 1, and the report\'s class summaries too', async () => {
    const [one, two] = [await loadClassifier({ threads: 1 }), await loadClassifier({ threads: 2 })];
    try {
      expect([one.info.threads, two.info.threads]).toEqual([1, 2]);
      const images = { data: mnist.test.images.slice(0, 6 * 784), shape: [6, 1, 28, 28] };
      const methods = [['grad-cam', { layer: 'relu1' }], ['grad-cam++', {}], ['eigen-cam', {}], ['guided-grad-cam', {}], ['score-cam', {}], ['occlusion', {}], ['lime', { samples: 24, patch: 7 }]] as const;
      for (const [method, settings] of methods) {
        const [a, b] = [await one.explain(images, { method, ...settings }), await two.explain(images, { method, ...settings })];
        expect(b.map((e) => bytes(e.map)), method).toEqual(a.map((e) => bytes(e.map)));
        expect(b.map((e) => e.targetClass)).toEqual(a.map((e) => e.targetClass));
      }
      const set = takeFirst(mnist.test, 40);
      const options = { method: 'layer-cam', classImages: 2, cells: 3, perCell: 1 } as const;
      const [x, y] = [await one.explainClasses(set, options), await two.explainClasses(set, options)];
      expect(JSON.stringify(y, (_, v) => (ArrayBuffer.isView(v) ? bytes(v as Float32Array) : v))).toBe(JSON.stringify(x, (_, v) => (ArrayBuffer.isView(v) ? bytes(v as Float32Array) : v)));
    } finally {
      await Promise.all([one.close(), two.close()]);
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
  const { xcnn, work } = cliWorkspace('xcnn-pooled-faithfulness-');

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

  it('xcnn explain --layer relu1 writes the same explain.json on 2 threads (the pool, from 256 images) as on 1', () => {
    const run = (threads: string) => {
      const result = xcnn('explain', '--index', '0-259', '--layer', 'relu1', '--figures', '0', '--threads', threads, '--out', `explain-${threads}`);
      expect(result.status, result.stderr).toBe(0);
      return readFileSync(join(work, `explain-${threads}`, 'explain.json'), 'utf8');
    };
    const one = run('1');
    expect(run('2')).toBe(one);
    const json = JSON.parse(one);
    expect(json.layer).toBe('relu1');
    expect(json.images).toHaveLength(260);
  });
});
