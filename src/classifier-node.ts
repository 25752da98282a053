/**
 * loadClassifier in Node: the core's (classifier.ts) with what Node adds — a model given by its path, the
 * shipped model when none is given, the wasm kernels read from the package's build/ folder, and worker
 * threads (a ThreadPool: large batches of predict, evaluate and Grad-CAM split over `threads`). The pool's
 * workers do not keep the process alive, so a classifier that is never closed does not hang a program.
 */
import { createBackend } from './backend/select.js';
import { openClassifier, type Classifier, type ClassifierOptions, type ClassifierThreads } from './classifier.js';
import { loadShippedModel, readModelFile } from './model/model-io.js';
import { MAX_THREADS } from './parallel/control.js';
import { ThreadPool } from './parallel/thread-pool.js';

/**
 * Loads a model into a classifier: `model` is a path, the file's bytes, or left out for the shipped MNIST
 * model (data/mnist-small.safetensors); `backend` 'wasm' (default) or 'ts'; `threads` 1 (default) to
 * MAX_THREADS, worker threads for the wasm backend.
 */
export function loadClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  return openClassifier(options, {
    readModel: readModelFile,
    loadShippedModel: (backend) => loadShippedModel(backend),
    createWasmBackend: () => createBackend('wasm'),
    startThreads: async (network, threads): Promise<ClassifierThreads> => {
      const pool = await ThreadPool.create(network, threads);
      return { count: pool.threads, predictor: pool, gradCamRunner: pool.gradCamRunner(), close: () => pool.close() };
    },
    maxThreads: MAX_THREADS,
  });
}
