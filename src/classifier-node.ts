/**
 * loadClassifier and trainClassifier in Node: the core's (classifier.ts, classifier-training.ts) with what
 * Node adds — a model given by its path, the shipped model and the wasm kernels read from the package's
 * folders, and worker threads (a ThreadPool: training steps and large batches of predict, evaluate and
 * Grad-CAM split over `threads`). The pool's workers do not keep the process alive, so a classifier that is
 * never closed does not hang a program.
 */
import { createBackend } from './backend/select.js';
import { Classifier, openClassifier, threadsOption, type ClassifierEnvironment, type ClassifierOptions, type ClassifierThreads } from './classifier.js';
import type { ModelInfo } from './model/model-file.js';
import type { Network } from './model/network.js';
import { trainClassifierWith, type TrainClassifierOptions } from './classifier-training.js';
import { loadShippedModel, readModelFile } from './model/model-io.js';
import { decodeModelBytes } from './onnx/model-bytes.js';
import { MAX_THREADS } from './parallel/control.js';
import { ThreadPool } from './parallel/thread-pool.js';
import { checkModel, checkModelInfo } from './argument-checks.js';

/** Node's files and threads: the model and kernels read from disk, a ThreadPool for threads > 1. */
const NODE_ENVIRONMENT: ClassifierEnvironment = {
  readModel: readModelFile,
  decodeModel: decodeModelBytes, // the ONNX reader (and protobufjs) loaded only for an ONNX file
  loadShippedModel: (backend) => loadShippedModel(backend),
  createWasmBackend: () => createBackend('wasm'),
  startThreads: async (network, threads, optimizer, seed, labelSmoothing): Promise<ClassifierThreads> => {
    const pool = await ThreadPool.create(network, threads, optimizer ?? null, seed ?? 0, labelSmoothing ?? 0);
    return { count: pool.threads, predictor: pool, gradCamRunner: pool.gradCamRunner(), passes: pool, ...(optimizer === undefined ? {} : { trainStep: pool }), close: () => pool.close() };
  },
  maxThreads: MAX_THREADS,
};

/**
 * Loads a model into a classifier: `model` is a path, the file's bytes, or left out for the shipped MNIST
 * model (data/mnist-small.safetensors); `backend` 'wasm' (default) or 'ts'; `threads` 1 (default) to
 * MAX_THREADS, worker threads for the wasm backend.
 */
export function loadClassifier(options: ClassifierOptions = {}): Promise<Classifier> {
  return openClassifier(options, NODE_ENVIRONMENT);
}

/** Trains a network on labelled images and gives its classifier (classifier-training.ts), on `threads` worker threads. */
export function trainClassifier(options: TrainClassifierOptions): Promise<Classifier> {
  return trainClassifierWith(options, NODE_ENVIRONMENT);
}

/**
 * A classifier over a network already loaded, on `threads` worker threads (1: none): how the command line
 * comes in, since it loads models itself to word their errors in its flags. Closing it disposes the network,
 * not its backend.
 */
export async function classifierOf(network: Network, info: ModelInfo, threads = 1): Promise<Classifier> {
  checkModel('classifierOf', 'network', network);
  checkModelInfo('classifierOf', 'info', info);
  const count = threadsOption('classifierOf', threads, network.backend, NODE_ENVIRONMENT);
  return new Classifier(network, info, { threads: count > 1 ? await NODE_ENVIRONMENT.startThreads!(network, count) : null });
}
