/**
 * xcnn's driver for the peers bench (protocol: bench/peers-child.ts): the network the spec describes on the
 * wasm kernels (relaxed SIMD where the CPU has it, as the xcnn command runs), Adam (lr 10⁻³); on 1 thread
 * SerialStep and the calling thread's forward passes, on more a ThreadPool — what `xcnn train/evaluate/explain
 * --threads N` run. Grad-CAM is xcnn's gradCam (the last conv block, each image's predicted class).
 */
import { createWasmBackend, enableRelaxedSimd } from '../src/backend/wasm/node.js';
import { BatchLoader, range } from '../src/data/batch.js';
import type { ImageSet } from '../src/data/dataset.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { serialPredictor, type BatchPredictor } from '../src/eval/predict.js';
import { createNetwork } from '../src/model/network.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Adam } from '../src/train/adam.js';
import { SerialStep, type TrainStep } from '../src/train/step.js';
import { argmaxRows, initialParameters, serveDriver, type Batch } from './peers-child.js';

await serveDriver(async (config) => {
  enableRelaxedSimd();
  const backend = await createWasmBackend();
  const network = createNetwork(backend, config.spec, config.geometry);
  const initial = initialParameters(config);
  const setInitial = () => network.parameters.forEach((parameter, k) => parameter.value.set(initial[k]));
  setInitial();
  const classes = config.geometry.classes;

  let pool: ThreadPool | null = null;
  let step: TrainStep;
  let predictor: BatchPredictor;
  const start = async () => {
    await pool?.close();
    const optimizer = new Adam(network);
    pool = config.threads > 1 ? await ThreadPool.create(network, config.threads, optimizer, 1) : null;
    step = pool ?? new SerialStep(network, optimizer, 1);
    predictor = pool ?? serialPredictor(network);
  };
  await start();
  const loaders = new Map<ImageSet, BatchLoader>();
  const load = (batch: Batch) => {
    let loader = loaders.get(batch.set);
    if (loader === undefined) loaders.set(batch.set, (loader = new BatchLoader(backend, batch.set)));
    return loader.load(range(batch.start, batch.start + batch.count));
  };
  return {
    parameters: network.parameters.reduce((sum, parameter) => sum + parameter.value.length, 0),
    detail: `xcnn, ${backend.build} kernels${config.threads > 1 ? ', thread pool' : ''}`,
    predict: (batch) => argmaxRows(predictor.predictBatch(load(batch)).probs, classes),
    trainStep: (batch) => step.run(load(batch)).loss,
    gradCam: (batch) =>
      gradCam(network, batch.set, { indices: range(batch.start, batch.start + batch.count), batchSize: batch.count, runner: pool?.gradCamRunner() }).heatmaps,
    reset: async () => {
      setInitial();
      await start();
    },
  };
});
