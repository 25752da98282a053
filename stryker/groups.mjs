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
  // Image-folder data sets, their browser-safe part: splits, picture headers, conversion, the summary, arrays.
  'image-data': {
    mutate: ['src/data/split.ts', 'src/data/picture-header.ts', 'src/data/picture-input.ts', 'src/data/image-folder.ts', 'src/data/dataset-arrays.ts'],
    tests: ['test/image-folder.test.ts', 'test/dataset-arrays.test.ts'],
  },
  // Image folders on disk: listing, bounds, decoding, bad files (every test writes its own small folder).
  'image-folder-files': {
    mutate: ['src/data/image-folder-files.ts', 'src/data/picture-files.ts'],
    tests: ['test/image-folder.test.ts', 'test/dataset-arrays.test.ts'],
  },
  // Checks the setup itself: mutants that break a test file's import must count as killed (expect 100 %).
  'self-check': {
    mutate: ['stryker/self-check/loads.ts'],
    tests: ['stryker/self-check/loads.test.ts'],
  },
};
