/**
 * Group 4: one whole training step on 64 real MNIST training images — load the batch, zeroGrad, forward,
 * softmax cross-entropy, backward, Adam — the trainer's own step (SerialStep), on wasm and on the
 * TypeScript reference: images/s and the speed-up (the issue's target: wasm ≥ 30× ts). For both, the
 * arithmetic rate from an analytic count of the step's FLOPs; for wasm, that rate against the SIMD
 * ceiling measured by group 1 (null when that group did not run, e.g. under --only).
 *
 * A second group, 'Training step, presets', times the same step for the spec presets lenet5 and modern
 * (wasm only, 1 and 2 threads): `npm run bench -- --only presets`.
 *
 * The reference takes ~0.85 s a step, so it gets one step per round, for a few rounds. The rounds
 * interleave the backends (interleavedRounds, below) rather than timing one after the other: the machine
 * is shared, and a speed-up is only meaningful between samples taken under the same conditions.
 */
import type { Backend } from '../src/backend/backend.js';
import { BatchLoader, range } from '../src/data/batch.js';
import type { ImageSet } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { XcnnError } from '../src/errors.js';
import { createNetwork, createPaperNetwork, MNIST_GEOMETRY, type Network } from '../src/model/network.js';
import { planNetwork, PRESETS, type PlannedLayer } from '../src/model/spec.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { SerialStep, type TrainStep } from '../src/train/step.js';
import { gemmRateOf, percentOf, significant, type BenchGroup } from './bench-group.js';

export const BATCH = 64;

/*
 * FLOPs of the step, counted from the layer shapes: the multiply-adds (MACs) of the convolutions and
 * dense layers, 2 FLOPs each. Bias, ReLU, pooling, softmax and Adam (~1M parameters × ~10 FLOPs per
 * batch) add about 1 % and are left out. conv2 counts as the direct convolution it computes, though it runs by
 * Winograd F(4×4, 3×3) (assembly/winograd-4x4.ts: 36·C·F multiply-adds a 4×4 tile of outputs, 3.4× fewer on its
 * 11×11 map), as cuDNN's and oneDNN's benchmarks count Winograd: the rate says how fast the layer runs, and can
 * pass the ceiling's rate of multiply-adds actually done.
 *
 *   forward MACs per image   conv1  26·26·32·9    =   194,688
 *                            conv2  11·11·64·288  = 2,230,272
 *                            fc1    7744·128      =   991,232
 *                            fc2    128·10        =     1,280
 *                                                   3,417,472
 *   backward MACs per image  2× forward (weight gradient + input gradient), except conv1, whose input
 *                            gradient nobody needs: 194,688 + 2·(2,230,272 + 991,232 + 1,280) = 6,640,256
 *   one step                 2·(3,417,472 + 6,640,256) = 20,115,456 FLOPs per image, 1.287 GFLOP per batch of 64
 */
const FORWARD_MACS = { conv1: 26 * 26 * 32 * 9, conv2: 11 * 11 * 64 * 288, fc1: 7744 * 128, fc2: 128 * 10 };
const BACKWARD_MACS = FORWARD_MACS.conv1 + 2 * (FORWARD_MACS.conv2 + FORWARD_MACS.fc1 + FORWARD_MACS.fc2);
export const FORWARD_FLOPS_PER_IMAGE = 2 * (FORWARD_MACS.conv1 + FORWARD_MACS.conv2 + FORWARD_MACS.fc1 + FORWARD_MACS.fc2);
export const STEP_FLOPS_PER_IMAGE = FORWARD_FLOPS_PER_IMAGE + 2 * BACKWARD_MACS;

/** A planned layer's multiply-adds an image in the forward pass: a convolution's outputs times C·K·K, a linear layer's outputs times its inputs; 0 for the rest. */
export function forwardMultiplyAdds(layer: PlannedLayer): number {
  const outputs = layer.outputShape.reduce((a, b) => a * b, 1);
  if (layer.spec.kind === 'conv') return outputs * layer.inputShape[0] * (layer.spec.args as { kernel: number }).kernel ** 2;
  if (layer.spec.kind === 'linear') return outputs * layer.inputShape[0];
  return 0;
}

/** Its backward pass's: the forward's again for the weight gradient and again for the input gradient, except the first layer's (nobody needs the gradient of the images). */
export function backwardMultiplyAdds(layer: PlannedLayer): number {
  return (layer.index === 0 ? 1 : 2) * forwardMultiplyAdds(layer);
}

/**
 * The same count for any spec on MNIST's geometry, from its plan (src/model/spec.ts), layer by layer
 * (forwardMultiplyAdds, backwardMultiplyAdds). For the paper's spec it gives STEP_FLOPS_PER_IMAGE.
 */
export function stepFlopsPerImage(spec: string): number {
  let multiplyAdds = 0;
  for (const layer of planNetwork(spec, MNIST_GEOMETRY).layers) multiplyAdds += forwardMultiplyAdds(layer) + backwardMultiplyAdds(layer);
  return 2 * multiplyAdds;
}

const ROUNDS = 5;
const WASM_STEPS_PER_ROUND = 15; // ~0.5 s
const REFERENCE_STEPS_PER_ROUND = 1; // ~0.85 s

/**
 * Times `fns` in interleaved rounds: in each round every function runs `calls[k]` times and its sample
 * is the median of those, the order reversing every round, so all of them see the same machine
 * conditions. One extra round first warms up (JIT, wasm tier-up, first touch of buffers) and is dropped.
 * Returns the samples in ms per call, [function][round].
 */
export function interleavedRounds(fns: (() => void)[], calls: number[], rounds: number): number[][] {
  const samples = fns.map(() => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    const order = fns.map((_, k) => k);
    if (round % 2 !== 0) order.reverse();
    for (const k of order) {
      const times: number[] = [];
      for (let c = 0; c < calls[k]; c++) {
        const started = performance.now();
        fns[k]();
        times.push(performance.now() - started);
      }
      if (round >= 0) samples[k].push(median(times));
    }
  }
  return samples;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The paper's network on `backend`, initialised from `seed`, with its Adam optimiser. */
export function paperNetworkWithAdam(backend: Backend, seed = 1): { network: Network; optimizer: Adam } {
  const network = createPaperNetwork(backend);
  network.initialize(new Random(seed));
  return { network, optimizer: new Adam(network) };
}

/**
 * A training step ready to time: each call loads the next batch of 64 training images in order
 * (wrapping round) into `backend` memory and runs `step` on it (zeroGrad → forward → loss → backward → Adam).
 */
export function onMnistBatches(step: TrainStep, backend: Backend, train: ImageSet): () => void {
  const loader = new BatchLoader(backend, train);
  const batches = Math.floor(train.count / BATCH);
  const order = range(0, batches * BATCH);
  let next = 0;
  return () => {
    const { loss } = step.run(loader.load(order.subarray(next * BATCH, (next + 1) * BATCH)));
    // A diverged step skips Adam: it would time less than a real one.
    if (!Number.isFinite(loss)) throw new XcnnError(`benchmark training step on batch ${next} diverged (loss ${loss})`);
    next = (next + 1) % batches;
  };
}

/** The trainer's default step (SerialStep: the calling thread, the backend's kernels) on MNIST batches. */
export function mnistTrainingStep(backend: Backend, train: ImageSet): () => void {
  const { network, optimizer } = paperNetworkWithAdam(backend);
  return onMnistBatches(new SerialStep(network, optimizer), backend, train);
}

export const trainingStepGroup: BenchGroup = {
  name: 'Training step',
  description:
    `load 64 MNIST images, zeroGrad, forward, softmax cross-entropy, backward, Adam; medians of ${ROUNDS} interleaved rounds; ` +
    `GFLOP/s from ${significant(STEP_FLOPS_PER_IMAGE / 1e6, 4)} MFLOP per image, conv2 counted as the direct convolution though it runs by Winograd (see bench/training-step.ts); speed-up = median of the per-round ts ms ÷ wasm ms, target ≥ 30×`,
  async run(context) {
    const { train } = loadDataset();
    const [tsSamples, wasmSamples] = interleavedRounds(
      [mnistTrainingStep(context.reference, train), mnistTrainingStep(context.wasm, train)],
      [REFERENCE_STEPS_PER_ROUND, WASM_STEPS_PER_ROUND],
      ROUNDS,
    );
    const speedUp = median(tsSamples.map((tsMs, round) => tsMs / wasmSamples[round]));
    const row = (backend: string, ms: number) => ({
      backend,
      'ms/step': significant(ms),
      'images/s': significant((1000 * BATCH) / ms),
      'GFLOP/s': significant((BATCH * STEP_FLOPS_PER_IMAGE) / (ms * 1e6)),
    });
    const wasmMs = median(wasmSamples);
    return [
      { ...row('ts', median(tsSamples)), '% of SIMD ceiling': null, 'speed-up ×': 1, 'target ≥ 30×': null },
      {
        ...row('wasm', wasmMs),
        '% of SIMD ceiling': percentOf((BATCH * STEP_FLOPS_PER_IMAGE) / (wasmMs * 1e6), context.ceilingGflops),
        'speed-up ×': Number(speedUp.toFixed(1)), // one decimal: a borderline 29.96 must not print as 30
        'target ≥ 30×': speedUp >= 30 ? 'met' : 'not met',
      },
    ];
  },
};

/** The network of `arch`, a preset's name (PRESETS) or a spec, for MNIST's 28×28×1 and 10 classes, on `backend`, initialised from `seed`, with Adam. */
export function networkWithAdam(backend: Backend, arch: string, seed = 1): { network: Network; optimizer: Adam } {
  const network = createNetwork(backend, arch, MNIST_GEOMETRY);
  network.initialize(new Random(seed));
  return { network, optimizer: new Adam(network) };
}

const PRESET_NAMES = ['lenet5', 'modern'];
const PRESET_THREADS = [1, 2];
const PRESET_ROUNDS = 5;
const PRESET_STEPS_PER_ROUND = 10;

/**
 * The same step for the spec presets LeNet-5 and 'modern' (bn, padding, gap, dropout) on the wasm
 * backend (the build `auto` picks), on 1 and 2 threads (the thread pool), all four configurations in
 * interleaved rounds; speed-up = 2 threads ÷ 1 thread per round.
 */
export const presetTrainingStepGroup: BenchGroup = {
  name: 'Training step, presets',
  description:
    `the training step (batch ${BATCH}) of the presets ${PRESET_NAMES.join(' and ')} on wasm, 1 and 2 threads; ` +
    `medians of ${PRESET_ROUNDS} interleaved rounds of ${PRESET_STEPS_PER_ROUND} steps; GFLOP/s from each spec's multiply-adds ` +
    `(stepFlopsPerImage: ${PRESET_NAMES.map((name) => `${name} ${significant(stepFlopsPerImage(PRESETS[name](MNIST_GEOMETRY.classes)) / 1e6, 4)}`).join(', ')} MFLOP ` +
    `an image, 3×3 convolutions counted as direct ones though they may run by Winograd); % of ceiling = GFLOP/s ÷ (one core's ceiling × threads); ` +
    `% of GEMM rate = GFLOP/s ÷ (one core's GEMM on a panel-sized product, this build × threads: the SIMD ceiling group's)`,
  async run(context) {
    const { train } = loadDataset();
    const configurations: { preset: string; threads: number; build: string; step: () => void; close: () => Promise<void> }[] = [];
    try {
      for (const preset of PRESET_NAMES) {
        for (const threads of PRESET_THREADS) {
          const backend = await createWasmBackend();
          const { network, optimizer } = networkWithAdam(backend, preset);
          const pool = threads > 1 ? await ThreadPool.create(network, threads, optimizer) : null;
          const step = onMnistBatches(pool ?? new SerialStep(network, optimizer), backend, train);
          configurations.push({ preset, threads, build: backend.build, step, close: async () => pool?.close() });
        }
      }
      const samples = interleavedRounds(configurations.map((c) => c.step), configurations.map(() => PRESET_STEPS_PER_ROUND), PRESET_ROUNDS);
      return configurations.map((c, k) => {
        const single = configurations.findIndex((o) => o.preset === c.preset && o.threads === 1);
        const ms = median(samples[k]);
        const gflops = (BATCH * stepFlopsPerImage(PRESETS[c.preset](MNIST_GEOMETRY.classes))) / (ms * 1e6);
        return {
          preset: c.preset,
          build: c.build,
          threads: c.threads,
          'ms/step': significant(ms),
          'images/s': significant((1000 * BATCH) / ms),
          'GFLOP/s': significant(gflops),
          '% of ceiling': percentOf(gflops, context.ceilingGflops === null ? null : context.ceilingGflops * c.threads),
          '% of GEMM rate': percentOf(gflops, gemmRateOf(context, c.build, c.threads)),
          'speed-up vs 1 thread': significant(median(samples[single].map((oneMs, round) => oneMs / samples[k][round]))),
        };
      });
    } finally {
      for (const c of configurations) await c.close();
    }
  },
};
