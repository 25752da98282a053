/**
 * Memory that plateaus: once the wasm arena has served the largest batch and every kind of call, a long
 * run of predictions, evaluations, explanations (Grad-CAM, the CAM family, SmoothGrad, Integrated
 * Gradients, occlusion, KernelSHAP, Score-CAM) and model loads, in any order at batches of 1 … 300, never
 * raises its high-water mark — by the arena's own counter, not by timing — and its results stay those of
 * the first call (a block reused too early would change them). Training steps allocate nothing after the
 * first; thread pools opened and closed again and again stay at the first pool's mark. And dispose(): a network gives back every byte it allocated, even
 * when its file fails to load, and a disposed network or backend refuses every use in one line.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend, type WasmBackend } from '../src/backend/wasm/node.js';
import { BatchLoader, range } from '../src/data/batch.js';
import { takeFirst, type ImageSet } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { evaluate } from '../src/eval/evaluate.js';
import { predict, predictImages } from '../src/eval/predict.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages, type ExplanationMethod } from '../src/explain/methods/explain.js';
import { integratedGradientsMethod, smoothGradMethod } from '../src/explain/methods/input-gradients.js';
import { kernelShapMethod, occlusionMethod } from '../src/explain/methods/perturbation.js';
import { networkClassifier } from '../src/faithfulness/deletion-insertion.js';
import { decodeModel, encodeModel, loadModelFromBytes } from '../src/model/model-file.js';
import { readModelFile, shippedModelPath } from '../src/model/model-io.js';
import { MNIST_GEOMETRY, type Network } from '../src/model/network.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { SerialStep } from '../src/train/step.js';
import { trainClassifier } from '../src/classifier-node.js';

const LARGEST = 300;
const test = takeFirst(loadDataset().test, LARGEST);
const modelBytes = readModelFile(shippedModelPath()); // the paper's network at widths 8,16,32
const CLASS_NAMES = Array.from({ length: 10 }, (_, k) => String(k));

/** The first n test images. */
const first = (n: number): ImageSet => takeFirst(test, n);

/** The explanation methods of the mix, at settings that keep a call of 300 images quick. */
const METHODS: Record<string, () => ExplanationMethod> = {
  'grad-cam++': () => methodByName('grad-cam++'),
  'guided-grad-cam': () => methodByName('guided-grad-cam'),
  smoothgrad: () => smoothGradMethod({ samples: 2, seed: 3 }),
  'integrated-gradients': () => integratedGradientsMethod({ steps: 2 }),
};

/**
 * The methods that forward perturbed copies image by image (in batches of their own, whatever the call's
 * size): only their clean pass sees the call's batch, so they explain at most 30 images a call.
 */
const PER_IMAGE_METHODS: Record<string, () => ExplanationMethod> = {
  'score-cam': () => methodByName('score-cam'),
  occlusion: () => occlusionMethod({ window: 14, stride: 14 }),
  'kernel-shap': () => kernelShapMethod({ patch: 14, samples: 16, seed: 3 }),
};
const PER_IMAGE_LIMIT = 30;

/** The calls of the mix, each on `n` images as one batch, on whichever network is loaded now. */
function mix(backend: WasmBackend) {
  const state = { network: loadModelFromBytes(modelBytes, backend).network };
  const calls: Record<string, (n: number) => unknown> = {
    predict: (n) => predict(state.network, first(n), n),
    predictImages: (n) => predictImages(state.network, test.images.subarray(0, n * 784), n),
    evaluate: (n) => evaluate(state.network, first(n), CLASS_NAMES),
    'grad-cam': (n) => gradCam(state.network, test, { indices: range(0, n), batchSize: n }),
    faithfulnessClassifier: (n) => networkClassifier(state.network, n)(Float32Array.from(test.images.subarray(0, n * 784), (v) => v / 255), n),
    // A model swap as an application does it: the new one loaded, then the old one disposed.
    loadModel: () => {
      const next = loadModelFromBytes(modelBytes, backend).network;
      state.network.dispose();
      state.network = next;
    },
  };
  for (const [name, make] of Object.entries(METHODS)) calls[name] = (n) => explainImages(state.network, test, make(), { indices: range(0, n), batchSize: n });
  for (const [name, make] of Object.entries(PER_IMAGE_METHODS)) {
    calls[name] = (n) => explainImages(state.network, test, make(), { indices: range(0, Math.min(n, PER_IMAGE_LIMIT)), batchSize: n });
  }
  return { state, calls };
}

describe('memory plateau (wasm backend)', () => {
  it('200 mixed calls at batches of 1 … 300 leave the high-water mark where the warm-up at 300 put it', async () => {
    const backend = await createWasmBackend();
    const { state, calls } = mix(backend);
    const reference = { probabilities: predict(state.network, test).probabilities, heatmaps: gradCam(state.network, test).heatmaps };

    // Warm-up: every call at the largest batch, on the first network and, after a swap, on the next.
    for (let round = 0; round < 2; round++) {
      for (const [name, call] of Object.entries(calls)) if (name !== 'loadModel') call(LARGEST);
      if (round === 0) calls.loadModel(0);
    }
    const warm = backend.memoryStats();

    const random = new Random(19);
    const names = Object.keys(calls);
    const counts: Record<string, number> = {};
    for (let k = 0; k < 200; k++) {
      const name = names[Math.floor(random.uniform(0, names.length))];
      counts[name] = (counts[name] ?? 0) + 1;
      calls[name](1 + Math.floor(random.uniform(0, LARGEST)));
    }
    const after = backend.memoryStats();
    console.log(`memory plateau: warm ${JSON.stringify(warm)}, after 200 calls ${JSON.stringify(after)}; calls ${JSON.stringify(counts)}`);
    expect(Object.keys(counts).sort()).toEqual([...names].sort()); // every kind of call took part
    expect(after.highWaterBytes).toBe(warm.highWaterBytes);
    expect(after.usedBytes).toBeLessThanOrEqual(warm.highWaterBytes);

    // Reused memory must not have leaked into the results: the last network computes what the first did.
    expect(predict(state.network, test).probabilities).toEqual(reference.probabilities);
    expect(gradCam(state.network, test).heatmaps).toEqual(reference.heatmaps);
  }, 120_000);

  it('grows a few times for batches 1, 2, 3, … 300 in turn, not once a batch, and then stays put', async () => {
    const backend = await createWasmBackend();
    const { network } = loadModelFromBytes(modelBytes, backend);
    const start = backend.memoryStats().highWaterBytes;
    const marks = new Set<number>();
    for (let n = 1; n <= LARGEST; n++) {
      predict(network, first(n), n);
      marks.add(backend.memoryStats().highWaterBytes);
    }
    // The buffers grow at batches 1, 2, 3, 5, 9, 17, 33, 65, 129 and 257 (powers of two), and once more where
    // Network.logits starts running the first block in chunks (past 17 images for this model's 8-channel conv1): at
    // most eleven marks.
    expect(marks.size).toBeLessThanOrEqual(11);
    const peak = backend.memoryStats().highWaterBytes;
    for (const n of [LARGEST, 200, 64, 17, 1]) predict(network, first(n), n);
    expect(backend.memoryStats().highWaterBytes).toBe(peak);
    expect(peak - start).toBeLessThan(64 * 1024 * 1024);
  });

  it('the training step allocates nothing after the first, and a test pass between epochs nothing after the first epoch', async () => {
    const backend = await createWasmBackend();
    const network = loadModelFromBytes(modelBytes, backend).network;
    const optimizer = new Adam(network);
    const step = new SerialStep(network, optimizer, 1);
    const loader = BatchLoader.inWorkspace(network.workspace, 'train', test);
    const epoch = () => {
      for (let start = 0; start < LARGEST; start += 64) step.run(loader.load(range(start, Math.min(start + 64, LARGEST)))); // the last batch has 44
      predict(network, test);
    };
    epoch();
    const seen = backend.memoryStats();
    for (let k = 0; k < 3; k++) epoch();
    expect(backend.memoryStats()).toEqual(seen);
  });

  it('train-then-dispose cycles (network, Adam and its moments, trainClassifier and close) give back every byte, and the high-water mark stays where the first cycle put it', async () => {
    const backend = await createWasmBackend();
    const cycle = async () => {
      const network = loadModelFromBytes(modelBytes, backend).network;
      const optimizer = new Adam(network);
      const step = new SerialStep(network, optimizer, 1);
      const loader = BatchLoader.inWorkspace(network.workspace, 'train', test);
      for (let start = 0; start < 128; start += 64) step.run(loader.load(range(start, start + 64)));
      optimizer.dispose();
      network.dispose();
      const classifier = await trainClassifier({ train: first(64), test: first(16), arch: 'conv(4,5) relu maxpool(2) flatten linear(10)', batchSize: 32, backend });
      await classifier.close();
    };
    await cycle();
    const warm = backend.memoryStats();
    for (let k = 0; k < 3; k++) await cycle();
    expect(backend.memoryStats().usedBytes).toBe(warm.usedBytes);
    expect(backend.memoryStats().highWaterBytes).toBe(warm.highWaterBytes);
  });

  it('thread pools opened and closed again and again stay at the first pool\'s high-water mark', async () => {
    const backend = await createWasmBackend();
    const { network } = loadModelFromBytes(modelBytes, backend);
    const cycle = async (sizes: number[]) => {
      const pool = await ThreadPool.create(network, 2);
      for (const n of sizes) {
        predict(pool, first(n), n);
        gradCam(network, test, { indices: range(0, n), batchSize: n, runner: pool.gradCamRunner() });
      }
      await pool.close();
    };
    await cycle([LARGEST]);
    const warm = backend.memoryStats();
    const random = new Random(5);
    for (let k = 0; k < 4; k++) await cycle(Array.from({ length: 5 }, () => 1 + Math.floor(random.uniform(0, LARGEST))));
    expect(backend.memoryStats().highWaterBytes).toBe(warm.highWaterBytes);
    expect(backend.memoryStats().usedBytes).toBe(warm.usedBytes); // every pool gave back all it took
  }, 60_000);
});

describe('dispose', () => {
  it('a network loaded, used and disposed gives back every byte it allocated', async () => {
    const backend = await createWasmBackend();
    const use = (network: Network) => {
      predict(network, first(40), 16);
      gradCam(network, first(40), { batchSize: 16 });
      explainImages(network, first(40), METHODS.smoothgrad(), { batchSize: 16 });
    };
    // The backend keeps its own convolution scratch once a shape is seen: one network first, to see them.
    const warm = loadModelFromBytes(modelBytes, backend).network;
    use(warm);
    warm.dispose();
    const before = backend.memoryStats().usedBytes;
    const network = loadModelFromBytes(modelBytes, backend).network;
    use(network);
    expect(backend.memoryStats().usedBytes).toBeGreaterThan(before);
    network.dispose();
    expect(backend.memoryStats().usedBytes).toBe(before);
  });

  it('a model file that fails to load leaves no memory behind', async () => {
    const backend = await createWasmBackend();
    const { network } = loadModelFromBytes(modelBytes, backend);
    network.parameter('fc2.bias').value[3] = Number.NaN;
    const poisoned = encodeModel(network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: CLASS_NAMES });
    network.dispose();
    const before = backend.memoryStats().usedBytes;
    expect(() => decodeModel(poisoned, 'poisoned.safetensors', backend)).toThrow(/tensor 'fc2.bias' holds NaN at element 3/);
    expect(backend.memoryStats().usedBytes).toBe(before);
  });

  it('a disposed network refuses every use in one line; disposing twice does nothing', async () => {
    for (const backend of [await createWasmBackend(), new ReferenceBackend()]) {
      const { network } = loadModelFromBytes(modelBytes, backend);
      predict(network, first(8));
      network.dispose();
      expect(network.disposed).toBe(true);
      const disposed = /^this network was disposed: its memory went back to the backend; load or create the network again to use it$/;
      expect(() => predict(network, first(8)), backend.name).toThrow(disposed);
      expect(() => predictImages(network, test.images.subarray(0, 784), 1)).toThrow(disposed);
      expect(() => gradCam(network, first(8))).toThrow(disposed);
      expect(() => explainImages(network, first(8), PER_IMAGE_METHODS.occlusion())).toThrow(disposed);
      expect(() => network.forward(backend.allocFloats(784), 1)).toThrow(disposed);
      expect(() => network.params).toThrow(disposed);
      expect(() => encodeModel(network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: CLASS_NAMES })).toThrow(disposed);
      expect(() => network.dispose()).not.toThrow();
    }
  });

  it('Adam.dispose gives its two moment arrays back; a disposed optimiser refuses to update in one line; disposing twice does nothing', async () => {
    const backend = await createWasmBackend();
    const { network } = loadModelFromBytes(modelBytes, backend);
    const before = backend.memoryStats().usedBytes;
    const optimizer = new Adam(network);
    const momentBytes = 2 * 4 * network.params.length;
    expect(backend.memoryStats().usedBytes - before).toBeGreaterThanOrEqual(momentBytes);
    optimizer.dispose();
    expect(optimizer.disposed).toBe(true);
    expect(backend.memoryStats().usedBytes).toBe(before);
    expect(() => optimizer.update()).toThrow(/^this Adam optimiser was disposed: its moments went back to the backend; make a new one \(or restore a checkpoint\) to train on$/);
    expect(() => optimizer.update()).toThrow(expect.objectContaining({ code: 'ERR_DISPOSED' }));
    expect(() => optimizer.dispose()).not.toThrow();
    expect(backend.memoryStats().usedBytes).toBe(before);
  });

  it('a network on a disposed backend refuses every use in one line', async () => {
    const wasm = await createWasmBackend();
    const reference = new ReferenceBackend();
    const loaded = [loadModelFromBytes(modelBytes, wasm).network, loadModelFromBytes(modelBytes, reference).network];
    wasm.dispose();
    reference.dispose();
    expect(() => predict(loaded[0], first(8))).toThrow(/^this wasm backend was disposed \(dispose\(\) let go of its memory\); create a new backend and load the model on it$/);
    expect(() => predict(loaded[1], first(8))).toThrow(/^this reference backend was disposed; create a new backend and load the model on it$/);
    for (const network of loaded) expect(() => network.dispose()).not.toThrow(); // its memory is gone with the backend
  });
});
