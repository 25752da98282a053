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
    mutate: ['src/train/trainer.ts', 'src/train/step.ts', 'src/train/deferred-weights.ts'],
    tests: ['test/training-loop.test.ts', 'test/train-options.test.ts', 'test/validation-and-early-stopping.test.ts', 'test/deferred-dense-gradient.test.ts'],
  },
  // The recipe beyond the paper's: optimisers, clipping, schedules, the best epoch, label smoothing, metrics.csv.
  recipe: {
    mutate: [
      'src/train/adam.ts', 'src/train/sgd.ts', 'src/train/gradient-clipping.ts', 'src/train/schedule.ts', 'src/train/early-stopping.ts',
      'src/train/epoch-metrics.ts', 'src/train/recipe.ts', 'src/model/loss.ts', 'src/train/augment.ts',
    ],
    tests: ['test/training-recipe.test.ts', 'test/validation-and-early-stopping.test.ts', 'test/augment.test.ts', 'test/loss-head.test.ts'],
  },
  // Adam and AdamW alone (the recipe group runs adam.ts too, among 9 modules, where its disposal was not reached).
  adam: {
    mutate: ['src/train/adam.ts'],
    tests: ['test/training-recipe.test.ts'],
  },
  // Augmentation alone (the recipe group runs it too, among 8 modules): shift, rotation, scale, crop, flip, erasing.
  augment: {
    mutate: ['src/train/augment.ts'],
    tests: ['test/augment.test.ts'],
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
    // public-arguments.test.ts asserts the argument checks' messages (the names of the function and the argument).
    tests: ['test/faithfulness-curves.test.ts', 'test/public-arguments.test.ts'],
  },
  // model-passes.test.ts builds the masked copies of several images by hand (maskedLogitsOn's images > 1).
  'score-cam': {
    mutate: ['src/explain/methods/score-cam.ts', 'src/explain/masked-logits.ts'],
    tests: ['test/score-cam.test.ts', 'test/model-passes.test.ts'],
  },
  idx: {
    mutate: ['src/data/idx.ts'],
    tests: ['test/idx.test.ts'],
  },
  // IDX data folders on disk: the four files found (plain or .gz), each split's checks, the set's name; the gzip
  // reading of idx-files.ts (test/idx.test.ts also loads MNIST itself once, a few seconds).
  'idx-files': {
    mutate: ['src/data/dataset-files.ts', 'src/data/idx-files.ts'],
    tests: ['test/idx.test.ts', 'test/idx-files.test.ts', 'test/dataset-files.test.ts'],
  },
  'model-file': {
    mutate: ['src/model/model-file.ts'],
    tests: ['test/model-file.test.ts', 'test/model-file-any-cnn.test.ts'],
  },
  // Image-folder data sets, their browser-safe part: splits, picture headers, conversion, the summary, arrays.
  // public-arguments.test.ts pins the names the argument checks give (20 mutants that survived without it, branch
  // mut20r); it imports every module, a few seconds a load, and covers only those checks' lines here.
  'image-data': {
    mutate: ['src/data/split.ts', 'src/data/picture-header.ts', 'src/data/picture-input.ts', 'src/data/image-folder.ts', 'src/data/dataset-arrays.ts'],
    tests: ['test/image-folder.test.ts', 'test/dataset-arrays.test.ts', 'test/split.test.ts', 'test/picture-header.test.ts', 'test/picture-input.test.ts', 'test/folder-summary.test.ts', 'test/public-arguments.test.ts'],
  },
  // Image folders on disk: listing, bounds, decoding, bad files (every test writes its own small folder;
  // test/image-folder-files.test.ts the hostile ones: links, hidden and nested entries, extensions, each refusal).
  // Decoding on worker threads: the main thread's share and the claim order run in-process and are mutated; the
  // workers run the built dist/ code, which mutants never reach (their tests still see the main thread's part).
  'image-folder-files': {
    mutate: ['src/data/image-folder-files.ts', 'src/data/picture-files.ts', 'src/data/folder-decoding.ts', 'src/data/code-point-order.ts'],
    tests: ['test/image-folder-files.test.ts', 'test/picture-files.test.ts', 'test/image-folder.test.ts', 'test/dataset-arrays.test.ts', 'test/folder-decoding.test.ts'],
  },
  // Folder decoding alone (the image-folder-files group runs it too, among its four modules), with the tests that
  // play workers by hand and start real ones on a job this thread takes no share of.
  'folder-decoding': {
    mutate: ['src/data/folder-decoding.ts'],
    tests: ['test/folder-decoding.test.ts', 'test/image-folder-files.test.ts'],
  },
  // public-arguments.test.ts pins the names the argument checks give (gradcheck, compareWithReference, the arbitraries).
  gradcheck: {
    mutate: ['src/gradcheck.ts', 'src/testing/data.ts'],
    tests: ['test/gradcheck.test.ts', 'test/testing-arbitraries.test.ts', 'test/public-arguments.test.ts'],
  },
  // The model (issue 20's 77 % for network.ts and 69 % for layer.ts): the description, the network, the layers.
  // public-arguments.test.ts pins the names the argument checks give (23 mutants that survived without it, branch mut20v).
  spec: {
    mutate: ['src/model/spec.ts', 'src/model/layer-kinds.ts'],
    tests: ['test/spec.test.ts', 'test/public-arguments.test.ts'],
  },
  network: {
    mutate: ['src/model/layer.ts', 'src/model/network.ts', 'src/model/first-block.ts'],
    tests: ['test/network-contract.test.ts', 'test/network.test.ts', 'test/network-forward.test.ts', 'test/layer-gradients.test.ts', 'test/dropout.test.ts', 'test/conv-relu-fusion.test.ts', 'test/input-gradient-only.test.ts', 'test/deferred-dense-gradient.test.ts', 'test/network-logits.test.ts', 'test/network-forward-keeping.test.ts', 'test/training-forward.test.ts'],
  },
  layers: {
    mutate: ['src/model/conv2d.ts', 'src/model/dense.ts', 'src/model/pool2d.ts', 'src/model/batch-norm.ts', 'src/model/dropout.ts', 'src/model/relu.ts', 'src/model/flatten.ts', 'src/model/loss.ts'],
    // loss-head.test.ts: the head's edges (a class ruled out by a logit of −∞ costs nothing), which the recipe group ran alone.
    tests: ['test/layer-contract.test.ts', 'test/layer-gradients.test.ts', 'test/network-forward.test.ts', 'test/network.test.ts', 'test/dropout.test.ts', 'test/conv-relu-fusion.test.ts', 'test/input-gradient-only.test.ts', 'test/loss-head.test.ts', 'test/deferred-dense-gradient.test.ts', 'test/winograd-kept-tiles.test.ts'],
  },
  // The reference backend: the TypeScript kernels every other backend is checked against, and the shared checks.
  // createBackend (select.ts) by name: test/backend-select.test.ts.
  backend: {
    mutate: ['src/backend/reference/*.ts', 'src/backend/shape-checks.ts', 'src/backend/select.ts'],
    tests: ['test/reference-backend-checks.test.ts', 'test/reference-layers.test.ts', 'test/layer-gradients.test.ts', 'test/network-forward.test.ts', 'test/input-gradient-only.test.ts', 'test/reference-kernel-edges.test.ts', 'test/backend-select.test.ts', 'test/reference-conv-dense.test.ts'],
  },
  // The reference convolution and dense layer on fast files (test/reference-conv-dense.test.ts: a second
  // implementation, exact on integers): with their loops instrumented, test/input-gradient-only.test.ts's reference
  // backward on the paper net's conv2 passes vitest's 120 s in the initial run, which stops the backend group's run
  // of these lines, and the finite-difference files (reference-layers, layer-gradients) take tens of seconds a mutant
  // instrumented, where these take a few. The backend group runs these files too,
  // so a mutant they kill the backend group's tests kill: each score is a lower bound of that group's.
  'reference-conv-dense': {
    mutate: ['src/backend/reference/conv2d.ts', 'src/backend/reference/dense.ts'],
    tests: ['test/reference-conv-dense.test.ts', 'test/reference-backend-checks.test.ts'],
  },
  // Every exported function's argument checks (src/argument-checks.ts), each check called directly with the exact
  // message of each refusal (public-arguments.test.ts, which imports every module, is left out: docs/mutation.md).
  'argument-checks': {
    mutate: ['src/argument-checks.ts'],
    tests: ['test/argument-checks.test.ts'],
  },
  // The WebAssembly backend's TypeScript side: the glue around the kernels (wasm-backend-glue: creation, attach,
  // refusals, dispose's scratch), the choice of build (wasm-kernel-builds, readFile wrapped), the memory, and the
  // parity tests against the reference that check what each method passes the kernels. Slow ones (tens of
  // seconds: conv-stride-padding, layers) are reached only by the convolution's and dense layer's mutants; run it
  // in chunks of lines (`--mutate src/backend/wasm/wasm-backend.ts:FROM-TO`).
  'wasm-backend': {
    mutate: ['src/backend/wasm/wasm-backend.ts', 'src/backend/wasm/kernels.ts', 'src/backend/wasm/node.ts'],
    tests: [
      'test/wasm-backend-glue.test.ts', 'test/wasm-kernel-builds.test.ts', 'test/wasm-memory.test.ts', 'test/wasm-gemm.test.ts', 'test/wasm-im2col-gemm.test.ts',
      'test/wasm-pool.test.ts', 'test/wasm-batch-norm.test.ts', 'test/wasm-elementwise.test.ts', 'test/wasm-dropout-mask.test.ts',
      'test/wasm-conv-stride-padding.test.ts', 'test/wasm-layers.test.ts', 'test/wasm-conv-backward.test.ts', 'test/wasm-winograd.test.ts',
      'test/wasm-direct-convolution.test.ts', 'test/wasm-conv-relu-max-pool.test.ts', 'test/wasm-conv-position-rows.test.ts',
      'test/wasm-road-imputation.test.ts',
    ],
  },
  // The same modules on the fast test files only (seconds, not minutes, a test run): the mutants in code that runs
  // while a test file loads (the fixtures create a backend) run every test of their group, so the glue is measured
  // here. A mutant these kill, the wasm-backend group's tests kill too: each score is a lower bound of that group's.
  'wasm-glue': {
    mutate: ['src/backend/wasm/wasm-backend.ts', 'src/backend/wasm/kernels.ts', 'src/backend/wasm/node.ts'],
    tests: [
      'test/wasm-backend-glue.test.ts', 'test/wasm-kernel-builds.test.ts', 'test/wasm-memory.test.ts', 'test/wasm-elementwise.test.ts',
      'test/wasm-dropout-mask.test.ts', 'test/wasm-pool.test.ts', 'test/wasm-batch-norm.test.ts', 'test/wasm-im2col-gemm.test.ts',
      'test/wasm-conv-backward.test.ts', 'test/wasm-winograd.test.ts', 'test/deferred-dense-gradient.test.ts', 'test/conv-gradient-chunks.test.ts', 'test/winograd-kernel-reuse.test.ts',
      'test/winograd-kept-tiles.test.ts', 'test/unit-floats.test.ts', 'test/wasm-direct-convolution.test.ts', 'test/wasm-conv-relu-max-pool.test.ts',
      'test/wasm-conv-position-rows.test.ts',
    ],
  },
  // The convolution's backward (wasm-backend.ts lines 251–340: grouped and per image, dWᵀ in scratch) on its fast
  // test files: test/wasm-conv-backward.test.ts checks each path against the float64 reference in a second or two,
  // where the wasm-backend group's parity files take tens of seconds a mutant. Run it with `--mutate` on those lines:
  // the constructor's mutants are static and would run every test here too.
  'wasm-conv-backward': {
    mutate: ['src/backend/wasm/wasm-backend.ts'],
    tests: ['test/wasm-conv-backward.test.ts', 'test/wasm-backend-glue.test.ts'],
  },
  // Data in memory, the generator, and the optimiser's and checkpoints' modules (the CLI's resume tests run in a
  // child process: test/checkpoint-format.test.ts checks the same fields in-process).
  data: {
    mutate: ['src/data/dataset.ts', 'src/data/batch.ts', 'src/random.ts'],
    tests: ['test/image-sets.test.ts', 'test/random-stream.test.ts', 'test/random.test.ts', 'test/unit-floats.test.ts'],
  },
  checkpoint: {
    mutate: ['src/train/adam.ts', 'src/train/checkpoint-format.ts', 'src/train/checkpoint-checks.ts', 'src/train/settings.ts'],
    tests: ['test/checkpoint-format.test.ts', 'test/training-loop.test.ts', 'test/public-arguments.test.ts'],
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
  // The explanation modules (issue 20's second round), on their in-process test files; any-network-explain.test.ts
  // (every method on both backends) and flat-maps.test.ts (CLI) are left out for time: explained-layer.test.ts and
  // explain-images.test.ts check what they did of these modules.
  'explain-maps': {
    mutate: ['src/explain/grad-cam.ts', 'src/explain/explanation.ts', 'src/explain/explained-layer.ts', 'src/explain/placement.ts', 'src/explain/resize.ts'],
    // public-arguments.test.ts asserts the argument checks' messages (the names of the function and the argument).
    tests: ['test/grad-cam.test.ts', 'test/grad-cam-driver.test.ts', 'test/cam-channel-loops.test.ts', 'test/explain-images.test.ts', 'test/explanation-helpers.test.ts', 'test/explained-layer.test.ts', 'test/placement.test.ts', 'test/resize.test.ts', 'test/resize-taps-cache.test.ts', 'test/heatmap-into.test.ts', 'test/degenerate-images.test.ts', 'test/signed-maps.test.ts', 'test/explain-input-checks.test.ts', 'test/public-arguments.test.ts'],
  },
  // Grad-CAM alone, on its own test files: the quick check of its module while the explain-maps group takes long.
  'grad-cam': {
    mutate: ['src/explain/grad-cam.ts'],
    tests: ['test/grad-cam.test.ts', 'test/grad-cam-driver.test.ts', 'test/cam-channel-loops.test.ts', 'test/explain-input-checks.test.ts'],
  },
  'explain-classes': {
    mutate: ['src/explain/explain-for-targets.ts', 'src/explain/class-means.ts', 'src/explain/confusion-cells.ts'],
    // public-arguments.test.ts asserts the argument checks' messages (fast: in process, no network trained).
    tests: ['test/class-summary.test.ts', 'test/class-summary-checks.test.ts', 'test/explain-for-targets.test.ts', 'test/public-arguments.test.ts', 'test/explain-classes-arguments.test.ts'],
  },
  'explain-methods': {
    mutate: ['src/explain/methods/cam.ts', 'src/explain/methods/input-gradients.ts', 'src/explain/methods/guided.ts', 'src/explain/methods/eigen-cam.ts', 'src/explain/methods/explain.ts', 'src/explain/methods/by-name.ts'],
    // public-arguments.test.ts asserts the argument checks' messages, as in explain-classes.
    tests: ['test/explain-methods.test.ts', 'test/input-gradient-methods.test.ts', 'test/cam-combine.test.ts', 'test/methods-by-name.test.ts', 'test/explain-images.test.ts', 'test/gradient-free-and-guided-methods.test.ts', 'test/signed-maps.test.ts', 'test/degenerate-images.test.ts', 'test/public-arguments.test.ts', 'test/method-argument-checks.test.ts', 'test/eigen-cam.test.ts', 'test/guided-passes.test.ts', 'test/explain-images-refusals.test.ts'],
  },
  // The explanation modules no other group mutates: the passes every method is made of (model-passes.ts, on a
  // hand-weighted network: test/model-passes.test.ts), the CAM rules a pool's workers know, and a person's picture
  // made into a model's input (mnist-digit.ts's MNIST steps, digit-image.ts's PNG, model-image.ts's any model).
  // test/pooled-explanations.test.ts (thread pools, MNIST) is left out for time.
  'explain-helpers': {
    mutate: ['src/explain/model-passes.ts', 'src/explain/smoothgrad-maps.ts', 'src/explain/cam-rules.ts', 'src/explain/mnist-digit.ts', 'src/explain/digit-image.ts', 'src/explain/model-image.ts'],
    tests: ['test/model-passes.test.ts', 'test/mnist-digit.test.ts', 'test/model-image.test.ts', 'test/digit-image.test.ts', 'test/picture-input.test.ts', 'test/public-arguments.test.ts'],
  },
  // The perturbation family: its methods (perturbation-by-hand.test.ts: closed forms on a linear network, KernelSHAP's
  // sampling and fit against a second solver), the copies it forwards (perturbation-scores.test.ts: several channels
  // and chunks of copies against brute force) and its fits.
  perturbation: {
    mutate: ['src/explain/methods/perturbation.ts', 'src/explain/occlusion-scores.ts', 'src/explain/coalition-scores.ts', 'src/explain/ridge-fit.ts'],
    // model-passes.test.ts: occlusionScoresOfImages' refusals (checkOcclusionImages).
    tests: ['test/perturbation-methods.test.ts', 'test/perturbation-scores.test.ts', 'test/perturbation-by-hand.test.ts', 'test/model-passes.test.ts'],
  },
  // The faithfulness maths on their own fast tests; the measurement (which runs every method through them) apart.
  // public-arguments.test.ts asserts their argument checks' messages.
  'faithfulness-maths': {
    mutate: ['src/faithfulness/road-imputation.ts', 'src/faithfulness/rank-correlation.ts', 'src/faithfulness/ssim.ts', 'src/faithfulness/pointing-game.ts'],
    tests: ['test/faithfulness-maths.test.ts', 'test/wasm-road-imputation.test.ts', 'test/public-arguments.test.ts'],
  },
  // randomisation.test.ts and faithfulness-measure-checks.test.ts (the check and the pool path against their parts,
  // every refusal's message) are fast and come first.
  'faithfulness-measure': {
    mutate: ['src/faithfulness/randomisation.ts', 'src/faithfulness/faithfulness.ts', 'src/faithfulness/format.ts'],
    tests: ['test/randomisation.test.ts', 'test/faithfulness-measure-checks.test.ts', 'test/faithfulness-format.test.ts', 'test/faithfulness-measure.test.ts', 'test/faithfulness.test.ts'],
  },
  // The measurement's modules each on its fast test files (the faithfulness-measure group's test files run every
  // method through the measurement, tens of seconds a mutant on the shared core): a mutant these kill, the
  // faithfulness-measure group's tests kill too, so each score is a lower bound of the group's.
  randomisation: {
    mutate: ['src/faithfulness/randomisation.ts'],
    tests: ['test/randomisation.test.ts'],
  },
  'faithfulness-format': {
    mutate: ['src/faithfulness/format.ts'],
    tests: ['test/faithfulness-format.test.ts'],
  },
  // measureFaithfulness on its in-process tests: assembled from its parts, on a pool, each refusal.
  'faithfulness-run': {
    mutate: ['src/faithfulness/faithfulness.ts'],
    tests: ['test/faithfulness-measure-checks.test.ts', 'test/faithfulness-measure.test.ts'],
  },
  eval: {
    mutate: ['src/eval/predict.ts', 'src/eval/evaluate.ts', 'src/eval/format.ts'],
    tests: ['test/evaluation.test.ts', 'test/metrics.test.ts'],
  },
  // The command line's parsing: flags, ranges, applicability, help (main() in-process; --version alone spawns bin/xcnn.js).
  'cli-args': {
    mutate: ['src/cli/args.ts', 'src/cli/flag-wording.ts'],
    tests: ['test/cli-arguments.test.ts', 'test/cli-args-units.test.ts'],
  },
  // The command line's shared steps (issue 20, branch mut20o): the data a command reads and its check against the
  // model, the model it loads, the threads and backend, train's data flags, run folders and the --out check, each
  // called in this process on files the tests write (the CLI tests of these steps run dist/ and reach no mutant).
  'cli-steps': {
    mutate: ['src/cli/common.ts', 'src/cli/image-data.ts', 'src/cli/run-folder.ts', 'src/cli/output-folder.ts'],
    tests: ['test/cli-steps-common.test.ts', 'test/cli-steps-image-data.test.ts', 'test/cli-steps-run-folder.test.ts', 'test/cli-steps-output-folder.test.ts', 'test/output-folder.test.ts'],
  },
  report: {
    mutate: ['src/report/galleries.ts', 'src/report/faithfulness-file.ts'],
    tests: ['test/galleries.test.ts', 'test/faithfulness-file.test.ts'],
  },
  // The page's server and what it sends (issue 20, branch mut20i): the allow-list and its import walk, each refused
  // request target, the bytes and tags sent, ranges, the data sets, the static build. Both test files work on a
  // package of the page's shape written in a temp folder (test/fixtures/page-package.ts) and a server started
  // in-process; test/serve.test.ts is left out (it reads the real data sets, 85 MB, and runs `xcnn serve`).
  serve: {
    mutate: ['src/serve/page-files.ts', 'src/serve/served-file.ts', 'src/serve/page-server.ts', 'src/serve/static-page.ts', 'src/serve/page-datasets.ts'],
    tests: ['test/served-files.test.ts', 'test/page-server.test.ts'],
  },
  // The report page (what it says, which figures it holds), modelReport's selections and checks, the faithfulness
  // section; report.test.ts's CLI tests run once and reach no mutant.
  'report-pages': {
    mutate: ['src/report/model-report.ts', 'src/report/report-html.ts', 'src/report/faithfulness-section.ts'],
    tests: ['test/report-page.test.ts', 'test/report.test.ts', 'test/report-untrusted-text.test.ts'],
  },
  // The package's files for a web page (fetch stubbed) and the package root.
  assets: {
    mutate: ['src/assets.ts', 'src/files/package-root.ts'],
    tests: ['test/assets.test.ts'],
  },
  // ONNX in and out: the reader's structural walk, tensors, the graph mapping and the export. Left out: the
  // PyTorch comparison (it probes for torch each time its file loads, seconds a mutant) and the export's runs of
  // every preset in ONNX Runtime (tens of seconds); onnx-import's graphs run ONNX Runtime on small nets.
  onnx: {
    mutate: ['src/onnx/onnx-file.ts', 'src/onnx/onnx-tensors.ts', 'src/onnx/onnx-import.ts', 'src/onnx/onnx-export.ts', 'src/onnx/onnx-sniff.ts', 'src/onnx/onnx-schema.ts'],
    tests: ['test/onnx-import.test.ts', 'test/onnx-hostile.test.ts', 'test/onnx-file.test.ts', 'test/onnx-tensors.test.ts', 'test/onnx-export-graph.test.ts', 'test/onnx-round-trip.test.ts', 'test/onnx-schema.test.ts'],
  },
  // The same modules a group each, on the test files that check them (the whole onnx group is about 1,000 mutants):
  // the reader's walk byte by byte; tensors on their hand-written bytes; the mapping on hand-built
  // graphs run by ONNX Runtime; the export node by node (test/onnx-export-graph.test.ts makes each file inside its
  // test, so that no export mutant is static, which would run every test for it).
  // (onnx-hostile.test.ts's cut and random files take seconds a mutant: they run in the onnx group.)
  'onnx-file': {
    mutate: ['src/onnx/onnx-file.ts'],
    tests: ['test/onnx-file.test.ts', 'test/onnx-import.test.ts'],
  },
  'onnx-tensors': {
    mutate: ['src/onnx/onnx-tensors.ts'],
    tests: ['test/onnx-tensors.test.ts', 'test/onnx-import.test.ts'],
  },
  // The schema: most of its mutants are static (the schema is built when the module loads), so each runs every test
  // of its group; these are the fast ones that write and read the schema's bytes (the wire format by hand, the walk,
  // tensors).
  'onnx-schema': {
    mutate: ['src/onnx/onnx-schema.ts'],
    tests: ['test/onnx-schema.test.ts', 'test/onnx-file.test.ts', 'test/onnx-tensors.test.ts'],
  },
  'onnx-import': {
    mutate: ['src/onnx/onnx-import.ts'],
    tests: ['test/onnx-import.test.ts'],
  },
  'onnx-export': {
    mutate: ['src/onnx/onnx-export.ts'],
    tests: ['test/onnx-export-graph.test.ts'],
  },
  // The three model loaders with the ONNX reader at hand (decodeAnyModel, decodeModelBytes, the package's loadModel),
  // on their in-process tests: the onnx group's tests never call them, and the CLI tests that do run dist/.
  'onnx-loaders': {
    mutate: ['src/onnx/any-model.ts', 'src/onnx/load-model.ts', 'src/onnx/model-bytes.ts'],
    tests: ['test/onnx-model-loaders.test.ts', 'test/public-arguments.test.ts'],
  },
  // The library this issue (19) added: the async facade, its images and its steps; the arena and the workspace; the errors; the PNG encoder.
  // The facade on hand-weighted networks of a few pixels (test/classifier-facade.test.ts), its images and its
  // steps on hand-built inputs. test/classifier.test.ts (the shipped MNIST model, worker threads from dist/,
  // training) is left out: it takes minutes a run, and what it checks of these modules the three files check too.
  classifier: {
    mutate: ['src/classifier.ts', 'src/classifier-images.ts', 'src/steps.ts'],
    tests: ['test/classifier-facade.test.ts', 'test/classifier-images.test.ts', 'test/steps.test.ts', 'test/public-arguments.test.ts'],
  },
  // Files a user names (model files, checkpoints), fine-tuning's start, the optimiser's names and the random specs of
  // 'xcnn/testing', each on its in-process tests (test/pictures-api.test.ts reaches checkpoint.ts only through dist/).
  'training-io': {
    mutate: ['src/train/checkpoint.ts', 'src/model/model-io.ts', 'src/train/initial-weights.ts', 'src/train/optimizer.ts', 'src/testing/specs.ts'],
    tests: ['test/initial-weights.test.ts', 'test/model-io.test.ts', 'test/checkpoint-files.test.ts', 'test/optimizer-names.test.ts', 'test/specs-worked.test.ts', 'test/testing-arbitraries.test.ts', 'test/spec.test.ts', 'test/public-arguments.test.ts'],
  },
  // The training front door (trainClassifier's options, its run and what its classifier records) and Node's
  // loadClassifier / trainClassifier / classifierOf, on tiny hand-made sets (test/classifier.test.ts trains on
  // MNIST for minutes and is left out).
  'classifier-training': {
    mutate: ['src/classifier-training.ts', 'src/classifier-node.ts'],
    tests: ['test/classifier-training.test.ts', 'test/public-arguments.test.ts'],
  },
  memory: {
    mutate: ['src/backend/wasm/arena.ts', 'src/model/workspace.ts'],
    tests: ['test/wasm-arena.test.ts', 'test/wasm-memory.test.ts', 'test/memory-plateau.test.ts', 'test/workspace.test.ts'],
  },
  // The thread pool (issue 20's third round). Its worker threads run the built dist/ code, which no mutant reaches:
  // the pool's side is mutated through the pool on one thread and on three (test/parallel-pool.test.ts, a network
  // of a few pixels), the workers' side — the shards and the worker's loop — in this process
  // (test/parallel-shards.test.ts runs every command on 1–3 shards built as a worker builds its own;
  // test/parallel-worker-loop.test.ts plays the shards). worker.ts, the worker's entry, runs only in a worker
  // thread; web-transport.ts runs on a fake web Worker and scope (test/parallel-transport.test.ts).
  'parallel-shard': {
    mutate: ['src/parallel/shard.ts', 'src/parallel/worker-loop.ts', 'src/train/deferred-weights.ts'],
    tests: ['test/parallel-shards.test.ts', 'test/parallel-worker-loop.test.ts', 'test/parallel-pool.test.ts', 'test/deferred-dense-gradient.test.ts', 'test/pooled-smoothgrad.test.ts'],
  },
  'parallel-pool': {
    mutate: ['src/parallel/thread-pool.ts', 'src/parallel/node-transport.ts', 'src/parallel/web-transport.ts'],
    tests: ['test/parallel-pool.test.ts', 'test/parallel-pool-start.test.ts', 'test/parallel-transport.test.ts', 'test/pooled-smoothgrad.test.ts'],
  },
  // The allocator alone, with its direct tests only (no network, no thread pool): the memory group's plateau
  // tests cover every arena line and take minutes a mutant on the shared core, so the arena's score is measured
  // here. A mutant these tests kill the memory group's tests kill too: the score is a lower bound of the group's.
  arena: {
    mutate: ['src/backend/wasm/arena.ts'],
    tests: ['test/wasm-arena.test.ts', 'test/wasm-memory.test.ts'],
  },
  errors: {
    mutate: ['src/errors.ts'],
    tests: ['test/error-codes.test.ts'],
  },
  'png-encoder': {
    mutate: ['src/render/png-encoder.ts', 'src/render/deflate.ts'],
    tests: ['test/png-encoder.test.ts'],
  },
  // The bench's counts and bounds: a training step's multiply-adds by layer (training-step.ts, its counting
  // functions only: the rest of that file times steps) and the step profile's bounds.
  'bench-bounds': {
    mutate: ['bench/step-bound.ts', 'bench/training-step.ts:54-74'],
    tests: ['test/bench-step-bound.test.ts', 'test/bench-flops.test.ts'],
  },
  // Checks the setup itself: mutants that break a test file's import must count as killed (expect 100 %).
  'self-check': {
    mutate: ['stryker/self-check/loads.ts'],
    tests: ['stryker/self-check/loads.test.ts'],
  },
};
