/**
 * Group 5: forward-only evaluation — `predict` (batches of 256: load, forward, softmax, argmax) over the
 * first test images, as `xcnn evaluate` runs it — on wasm and on the TypeScript reference, in images/s
 * and the speed-up. The weights are freshly initialised: the speed does not depend on them. The
 * reference is timed on one batch of 256 images, once a round; the backends alternate in interleaved
 * rounds (see interleavedRounds) so that the speed-up compares samples taken under the same conditions.
 */
import type { Backend } from '../src/backend/backend.js';
import { takeFirst, type ImageSet } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { predict } from '../src/eval/predict.js';
import { createPaperNetwork } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { significant, type BenchGroup } from './bench-group.js';
import { FORWARD_FLOPS_PER_IMAGE, interleavedRounds, median } from './training-step.js';

const BATCH_SIZE = 256;
const WASM_IMAGES = 2000;
const REFERENCE_IMAGES = 256;

const ROUNDS = 3;
const WASM_PASSES_PER_ROUND = 2; // ~0.4 s each
const REFERENCE_PASSES_PER_ROUND = 1; // ~1 s

function evaluation(backend: Backend, set: ImageSet): () => void {
  const network = createPaperNetwork(backend);
  network.initialize(new Random(1));
  return () => {
    predict(network, set, BATCH_SIZE);
  };
}

export const inferenceGroup: BenchGroup = {
  name: 'Inference',
  description:
    `predict() over the first ${WASM_IMAGES} test images (wasm) / ${REFERENCE_IMAGES} (ts) at batch ${BATCH_SIZE}; medians of ${ROUNDS} interleaved rounds; ` +
    `GFLOP/s from ${significant(FORWARD_FLOPS_PER_IMAGE / 1e6, 4)} MFLOP per image (conv2 counted as the direct convolution, see bench/training-step.ts); speed-up = median of the per-round ratios of images/s`,
  async run(context) {
    const { test } = loadDataset();
    const [tsSamples, wasmSamples] = interleavedRounds(
      [evaluation(context.reference, takeFirst(test, REFERENCE_IMAGES)), evaluation(context.wasm, takeFirst(test, WASM_IMAGES))],
      [REFERENCE_PASSES_PER_ROUND, WASM_PASSES_PER_ROUND],
      ROUNDS,
    );
    const speedUp = median(tsSamples.map((tsMs, round) => tsMs / REFERENCE_IMAGES / (wasmSamples[round] / WASM_IMAGES)));
    const row = (backend: string, images: number, ms: number) => ({
      backend,
      images,
      'ms/pass': significant(ms),
      'images/s': significant((1000 * images) / ms),
      'GFLOP/s': significant((images * FORWARD_FLOPS_PER_IMAGE) / (ms * 1e6)),
    });
    return [
      { ...row('ts', REFERENCE_IMAGES, median(tsSamples)), 'speed-up ×': 1 },
      { ...row('wasm', WASM_IMAGES, median(wasmSamples)), 'speed-up ×': significant(speedUp) },
    ];
  },
};
