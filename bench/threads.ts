/**
 * Issue 6's measurements: the training step on 1 and 2 threads, with the plain SIMD kernels and with the
 * relaxed-SIMD (fused multiply-add) build, in interleaved rounds so every configuration sees the same
 * machine conditions. Reports images/s, GFLOP/s, the fraction of the measured ceiling (one core's
 * ceiling × threads), and each build's 2-thread ÷ 1-thread speed-up (target ≥ 1.7×).
 */
import { createWasmBackend, type KernelBuild } from '../src/backend/wasm/node.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { SerialStep } from '../src/train/step.js';
import { gemmRateOf, percentOf, significant, type BenchGroup, type BenchRow } from './bench-group.js';
import { BATCH, interleavedRounds, median, onMnistBatches, paperNetworkWithAdam, STEP_FLOPS_PER_IMAGE } from './training-step.js';

const ROUNDS = 5;
const STEPS_PER_ROUND = 12;
const BUILDS: KernelBuild[] = ['simd', 'relaxed-simd'];
const THREADS = [1, 2];

export const threadsGroup: BenchGroup = {
  name: 'Threads and builds',
  description:
    `training step (batch ${BATCH}) on 1 and 2 threads, plain SIMD and relaxed-SIMD builds; medians of ${ROUNDS} interleaved rounds; ` +
    '% of ceiling = GFLOP/s ÷ (one core\'s measured ceiling × threads); % of GEMM rate = GFLOP/s ÷ (this build\'s GEMM on a panel-sized product × threads); ' +
    'speed-up = 2 threads ÷ 1 thread, per round, target ≥ 1.7×',
  async run(context) {
    const { train } = loadDataset();
    const configurations: { build: KernelBuild; threads: number; step: () => void; close: () => Promise<void> }[] = [];
    for (const build of BUILDS) {
      for (const threads of THREADS) {
        const backend = await createWasmBackend({ build });
        const { network, optimizer } = paperNetworkWithAdam(backend);
        const pool = threads > 1 ? await ThreadPool.create(network, threads, optimizer) : null;
        const step = onMnistBatches(pool ?? new SerialStep(network, optimizer), backend, train);
        configurations.push({ build, threads, step, close: async () => pool?.close() });
      }
    }
    try {
      const samples = interleavedRounds(configurations.map((c) => c.step), configurations.map(() => STEPS_PER_ROUND), ROUNDS);
      return configurations.map((c, k): BenchRow => {
        const ms = median(samples[k]);
        const gflops = (BATCH * STEP_FLOPS_PER_IMAGE) / (ms * 1e6);
        const single = configurations.findIndex((o) => o.build === c.build && o.threads === 1);
        const speedUp = median(samples[single].map((oneMs, round) => oneMs / samples[k][round]));
        return {
          build: c.build,
          threads: c.threads,
          'ms/step': significant(ms),
          'images/s': significant((1000 * BATCH) / ms),
          'GFLOP/s': significant(gflops),
          '% of ceiling': context.ceilingGflops === null ? null : percentOf(gflops, context.ceilingGflops * c.threads),
          '% of GEMM rate': percentOf(gflops, gemmRateOf(context, c.build, c.threads)),
          'speed-up vs 1 thread': significant(speedUp),
        };
      });
    } finally {
      for (const c of configurations) await c.close();
    }
  },
};
