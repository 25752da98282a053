/**
 * The mutation groups of `npm run mutate -- GROUP`: the modules each mutates and the test files that cover them.
 *
 * The test files are the in-process ones. Test files that only run the CLI (bin/xcnn.js on dist/, in a child
 * process) are left out: StrykerJS switches mutants on inside the test process, in the instrumented copy of
 * src/, and a child process running dist/ never sees one (docs/mutation.md). Files that mix both kinds are in
 * where their in-process tests cover the module; their CLI tests run once in the initial run and then never
 * again, since they cover no mutant.
 *
 * A group should take minutes, not hours, on one core of this 2-core machine: a few hundred mutants at most,
 * and no test file that loads MNIST or trains for seconds (test/train.test.ts takes minutes here).
 */
export const MUTATION_GROUPS = {
  train: {
    mutate: ['src/train/trainer.ts', 'src/train/step.ts'],
    tests: ['test/training-loop.test.ts', 'test/train-options.test.ts'],
  },
  files: {
    mutate: ['src/files/safetensors.ts'],
    tests: ['test/safetensors.test.ts'],
  },
  metrics: {
    mutate: ['src/eval/metrics.ts'],
    tests: ['test/metrics.test.ts'],
  },
  curves: {
    mutate: ['src/faithfulness/deletion-insertion.ts'],
    tests: ['test/faithfulness-curves.test.ts'],
  },
  'score-cam': {
    mutate: ['src/explain/methods/score-cam.ts'],
    tests: ['test/score-cam.test.ts'],
  },
  idx: {
    mutate: ['src/data/idx.ts'],
    tests: ['test/idx.test.ts'],
  },
  'model-file': {
    mutate: ['src/model/model-file.ts'],
    tests: ['test/model-file.test.ts', 'test/model-file-any-cnn.test.ts'],
  },
  gradcheck: {
    mutate: ['src/gradcheck.ts', 'src/testing/data.ts'],
    tests: ['test/gradcheck.test.ts', 'test/testing-arbitraries.test.ts'],
  },
  // The model (issue 20's 77 % for network.ts and 69 % for layer.ts): the description, the network, the layers.
  spec: {
    mutate: ['src/model/spec.ts', 'src/model/layer-kinds.ts'],
    tests: ['test/spec.test.ts'],
  },
  network: {
    mutate: ['src/model/layer.ts', 'src/model/network.ts'],
    tests: ['test/network-contract.test.ts', 'test/network.test.ts', 'test/network-forward.test.ts', 'test/layer-gradients.test.ts', 'test/dropout.test.ts', 'test/conv-relu-fusion.test.ts'],
  },
  layers: {
    mutate: ['src/model/conv2d.ts', 'src/model/dense.ts', 'src/model/pool2d.ts', 'src/model/batch-norm.ts', 'src/model/dropout.ts', 'src/model/relu.ts', 'src/model/flatten.ts', 'src/model/loss.ts'],
    tests: ['test/layer-contract.test.ts', 'test/layer-gradients.test.ts', 'test/network-forward.test.ts', 'test/network.test.ts', 'test/dropout.test.ts', 'test/conv-relu-fusion.test.ts'],
  },
  // The reference backend: the TypeScript kernels every other backend is checked against, and the shared checks.
  backend: {
    mutate: ['src/backend/reference/*.ts', 'src/backend/shape-checks.ts'],
    tests: ['test/reference-backend-checks.test.ts', 'test/reference-layers.test.ts', 'test/layer-gradients.test.ts', 'test/network-forward.test.ts'],
  },
  // Data in memory, the generator, and the optimiser's and checkpoints' modules (the CLI's resume tests run in a
  // child process: test/checkpoint-format.test.ts checks the same fields in-process).
  data: {
    mutate: ['src/data/dataset.ts', 'src/data/batch.ts', 'src/random.ts'],
    tests: ['test/image-sets.test.ts', 'test/random-stream.test.ts', 'test/random.test.ts'],
  },
  checkpoint: {
    mutate: ['src/train/adam.ts', 'src/train/checkpoint-format.ts', 'src/train/checkpoint-checks.ts', 'src/train/settings.ts'],
    tests: ['test/checkpoint-format.test.ts', 'test/training-loop.test.ts'],
  },
  // Reading and writing the files a user names (atomic-write.test.ts fakes the failures of node:fs).
  'file-io': {
    mutate: ['src/files/atomic-write.ts', 'src/files/read-file.ts'],
    tests: ['test/atomic-write.test.ts', 'test/read-user-file.test.ts'],
  },
  // The thread pool's control block (shard.ts runs only inside a wasm pool: test/thread-pool.test.ts, which loads MNIST).
  control: {
    mutate: ['src/parallel/control.ts'],
    tests: ['test/control-block.test.ts'],
  },
  // Checks the setup itself: mutants that break a test file's import must count as killed (expect 100 %).
  'self-check': {
    mutate: ['stryker/self-check/loads.ts'],
    tests: ['stryker/self-check/loads.test.ts'],
  },
};
