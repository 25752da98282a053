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
    tests: ['test/training-loop.test.ts'],
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
  // The library this issue (19) added: the async facade, its images and its steps; the arena and the workspace; the errors; the PNG encoder.
  classifier: {
    mutate: ['src/classifier.ts', 'src/classifier-images.ts', 'src/steps.ts'],
    tests: ['test/classifier.test.ts', 'test/public-arguments.test.ts'],
  },
  memory: {
    mutate: ['src/backend/wasm/arena.ts', 'src/model/workspace.ts'],
    tests: ['test/wasm-memory.test.ts', 'test/memory-plateau.test.ts', 'test/workspace.test.ts'],
  },
  errors: {
    mutate: ['src/errors.ts'],
    tests: ['test/error-codes.test.ts'],
  },
  'png-encoder': {
    mutate: ['src/render/png-encoder.ts', 'src/render/deflate.ts'],
    tests: ['test/png-encoder.test.ts'],
  },
  // Checks the setup itself: mutants that break a test file's import must count as killed (expect 100 %).
  'self-check': {
    mutate: ['stryker/self-check/loads.ts'],
    tests: ['stryker/self-check/loads.test.ts'],
  },
};
