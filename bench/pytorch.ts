/**
 * Group 6: xcnn's training step against PyTorch's on the same network, batch and images — for each of the
 * presets paper, lenet5 and modern, PyTorch builds its nn.Sequential from the same spec (bench/pytorch_step.py,
 * with the spec translation the interchange tests check) — batch 64 of MNIST, Adam, training mode: PyTorch on
 * the CPU with 1 and with 2 threads (torch.set_num_threads), xcnn with the steps it is given.
 *
 * PyTorch runs in long-lived children (bench/pytorch_step.py, one per thread count and network) driven over
 * stdin/stdout: "run K" → the seconds K steps took, so Python's start-up is never timed. Every contender
 * runs ~ROUND_SECONDS of steps per round, the order reversing each round, for ROUNDS rounds: all of them see
 * the same machine conditions. The ratio "xcnn ÷ this" is the median over the rounds of the paired
 * per-round ratio of images/s (> 1: xcnn is faster). A child reports its network's parameter count, which
 * must be xcnn's: both sides build the same network or the race is not run.
 *
 * xcnn's side is a list of contenders, so another step joins the race with one entry; a thread pool,
 * say (src/parallel/thread-pool.ts is a TrainStep):
 *
 *   { name: 'xcnn wasm', threads: 2, prepare: async (context, train, spec) => {
 *       const { network, optimizer } = networkWithAdam(context.wasm, spec);
 *       const pool = await ThreadPool.create(network, 2, optimizer);
 *       return { step: onMnistBatches(pool, context.wasm, train), detail: 'thread pool', close: () => pool.close() };
 *   } }
 *
 * The Python is the first of $XCNN_BENCH_PYTHON, python3, /usr/bin/python3 that can `import torch`.
 * Without one the group prints why and returns a "skipped" row; a PyTorch child failing likewise skips
 * that network's race, never the bench.
 *
 * Environment: XCNN_BENCH_PRESETS=paper,lenet5 races only those networks; XCNN_BENCH_QUICK=1 runs one short
 * round (a smoke test of the machinery, not a measurement).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/files/package-root.js';
import type { ImageSet } from '../src/data/dataset.js';
import { defaultDataDir, loadDataset } from '../src/data/dataset-files.js';
import { significant, type BenchContext, type BenchGroup, type BenchRow } from './bench-group.js';
import type { Backend } from '../src/backend/backend.js';
import { createNetwork, MNIST_GEOMETRY, type Network } from '../src/model/network.js';
import { planNetwork, PRESETS, resolveSpec } from '../src/model/spec.js';
import { ThreadPool } from '../src/parallel/thread-pool.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { SerialStep } from '../src/train/step.js';
import { BATCH, median, onMnistBatches } from './training-step.js';
import { LineChild, LineChildError } from './line-child.js';

const QUICK = process.env.XCNN_BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 5;
const ROUND_SECONDS = QUICK ? 0.2 : 0.8; // per contender per round
const CALIBRATION_SECONDS = QUICK ? 0.05 : 0.25;
const PRESET_NAMES = ['paper', 'lenet5', 'modern'];
const XCNN_WARMUP_STEPS = 3; // the child warms PyTorch up itself
const START_TIMEOUT_MS = 180_000; // importing torch on a busy machine
const RUN_TIMEOUT_MS = 120_000;

/** An xcnn training step to race PyTorch with. */
export interface XcnnContender {
  name: string; // e.g. 'xcnn wasm'
  threads: number;
  /** Builds the network `spec` describes, its optimiser and batches once; `step` then runs one training step on 64 MNIST images. */
  prepare(context: BenchContext, train: ImageSet, spec: string): PreparedStep | Promise<PreparedStep>;
}

export interface PreparedStep {
  step(): void | Promise<void>;
  /** Shown in the table: the kernels used, say. */
  detail: string;
  close?(): void | Promise<void>;
}

/** The network a spec describes for MNIST, initialised from `seed`, with its Adam optimiser. */
export function networkWithAdam(backend: Backend, spec: string, seed = 1): { network: Network; optimizer: Adam } {
  const network = createNetwork(backend, spec, MNIST_GEOMETRY);
  network.initialize(new Random(seed));
  return { network, optimizer: new Adam(network) };
}

/** xcnn's step on the calling thread with the wasm kernels: what `xcnn train` runs by default. */
export const wasmSerialContender: XcnnContender = {
  name: 'xcnn wasm',
  threads: 1,
  prepare: (context, train, spec) => {
    const { network, optimizer } = networkWithAdam(context.wasm, spec);
    return { step: onMnistBatches(new SerialStep(network, optimizer, 1), context.wasm, train), detail: `${context.wasm.build} kernels` };
  },
};

/** One contender as the race sees it. */
interface Racer {
  label: string;
  threads: number;
  detail: string;
  /** Runs `steps` training steps; returns the seconds they took. */
  run(steps: number): Promise<number>;
  close(): Promise<void>;
}

export function pytorchComparisonGroup(options: { xcnn: XcnnContender[]; torchThreads: number[]; presets?: string[] }): BenchGroup {
  const presets = options.presets ?? presetsFromEnvironment();
  return {
    name: 'PyTorch comparison',
    description:
      `images/s of a training step (batch 64) on the presets ${presets.join(', ')}, each built from the same spec on both sides; ` +
      `${ROUNDS} interleaved round(s) of ~${ROUND_SECONDS} s per contender; "÷ this" = median of the per-round ratios (> 1: xcnn faster)`,
    async run(context) {
      const python = findTorchPython();
      if (python === null) return skipped(`no python3 with torch (tried ${pythonCandidates().join(', ')})`);
      console.log(`PyTorch: ${python.path}, torch ${python.version}`);
      const { train } = loadDataset();
      const rows: BenchRow[] = [];
      for (const preset of presets) rows.push(...(await raceOn(preset, python.path, options, context, train)));
      return rows;
    },
  };
}

/** One network's race: xcnn's contenders and PyTorch's children on the preset's spec; rows start with the net's name. */
async function raceOn(preset: string, python: string, options: { xcnn: XcnnContender[]; torchThreads: number[] }, context: BenchContext, train: ImageSet): Promise<BenchRow[]> {
  const spec = resolveSpec(preset, MNIST_GEOMETRY.classes);
  const parameters = planNetwork(spec, MNIST_GEOMETRY).parameters;
  const net = (rows: BenchRow[]) => rows.map((row) => ({ net: preset, ...row }));
  const racers: Racer[] = [];
  try {
    const started = await Promise.allSettled(options.torchThreads.map((threads) => startTorch(python, threads, spec, parameters)));
    for (const result of started) if (result.status === 'fulfilled') racers.push(result.value);
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed !== undefined) return net(skipped(`the PyTorch child failed: ${failed.reason instanceof Error ? failed.reason.message : String(failed.reason)}`));
    // xcnn's racers go first, in the order given (the rows' ratio columns are theirs).
    for (const [k, contender] of options.xcnn.entries()) racers.splice(k, 0, await xcnnRacer(contender, context, train, spec));
    if (racers.some((racer) => racer.detail.includes('reference BLAS'))) {
      console.log(
        "note: PyTorch's Linear layers run on the reference (netlib) BLAS that libblas.so.3 points at here: slow, so " +
          'the ratios overstate xcnn. To race an optimised BLAS without installing it: `apt-get download ' +
          'libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas`, then run the bench with ' +
          'LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread',
      );
    }
    try {
      return net(await race(racers, options.xcnn.length));
    } catch (error) {
      if (error instanceof LineChildError) return net(skipped(`the PyTorch child failed: ${error.message}`));
      throw error;
    }
  } finally {
    await Promise.all(racers.map((racer) => racer.close()));
  }
}

/** The presets to race: $XCNN_BENCH_PRESETS (comma-separated) or all three. */
function presetsFromEnvironment(): string[] {
  const wanted = (process.env.XCNN_BENCH_PRESETS ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of wanted) {
    if (!(name in PRESETS)) throw new Error(`XCNN_BENCH_PRESETS: '${name}' is not a preset; the presets are ${Object.keys(PRESETS).join(', ')}`);
  }
  return wanted.length > 0 ? wanted : PRESET_NAMES;
}

/** xcnn's step on a thread pool: what `xcnn train --threads N` runs. */
export function wasmPoolContender(threads: number): XcnnContender {
  return {
    name: 'xcnn wasm',
    threads,
    prepare: async (context, train, spec) => {
      const { network, optimizer } = networkWithAdam(context.wasm, spec);
      const pool = await ThreadPool.create(network, threads, optimizer, 1);
      return { step: onMnistBatches(pool, context.wasm, train), detail: `${context.wasm.build} kernels, thread pool`, close: () => pool.close() };
    },
  };
}

export const pytorchGroup = pytorchComparisonGroup({ xcnn: [wasmSerialContender, wasmPoolContender(2)], torchThreads: [1, 2] });

function skipped(reason: string): BenchRow[] {
  console.log(`PyTorch comparison skipped: ${reason}`);
  return [{ contender: 'PyTorch', status: `skipped: ${reason}` }];
}

/** Calibrates each racer's steps per round, runs the rounds, and makes one row per racer. */
async function race(racers: Racer[], xcnnCount: number): Promise<BenchRow[]> {
  const steps: number[] = [];
  for (const racer of racers) {
    // Double the steps until a run lasts long enough to be timed, then scale to ROUND_SECONDS.
    let calibration = 1;
    let seconds = await racer.run(calibration);
    while (seconds < CALIBRATION_SECONDS) seconds = await racer.run((calibration *= 2));
    steps.push(Math.min(200, Math.max(3, Math.round((ROUND_SECONDS * calibration) / seconds))));
  }
  const imagesPerSecond = racers.map(() => [] as number[]); // [racer][round]
  for (let round = 0; round < ROUNDS; round++) {
    const order = racers.map((_, k) => k);
    if (round % 2 === 1) order.reverse();
    for (const k of order) imagesPerSecond[k][round] = (steps[k] * BATCH) / (await racers[k].run(steps[k]));
  }
  const xcnn = racers.slice(0, xcnnCount);
  return racers.map((racer, k) => {
    const row: BenchRow = { contender: racer.label, threads: racer.threads, detail: racer.detail, 'steps/round': steps[k] };
    imagesPerSecond[k].forEach((value, round) => (row[`round ${round + 1} img/s`] = significant(value)));
    row['median img/s'] = significant(median(imagesPerSecond[k]));
    xcnn.forEach((x, j) => {
      row[`${x.label} ÷ this ×`] = significant(median(imagesPerSecond[j].map((value, round) => value / imagesPerSecond[k][round])));
    });
    return row;
  });
}

async function xcnnRacer(contender: XcnnContender, context: BenchContext, train: ImageSet, spec: string): Promise<Racer> {
  const prepared = await contender.prepare(context, train, spec);
  const run = async (steps: number) => {
    const started = performance.now();
    for (let s = 0; s < steps; s++) await prepared.step();
    return (performance.now() - started) / 1000;
  };
  await run(XCNN_WARMUP_STEPS);
  return {
    label: `${contender.name} ${contender.threads}T`,
    threads: contender.threads,
    detail: prepared.detail,
    run,
    close: async () => {
      await prepared.close?.();
    },
  };
}

function pythonCandidates(): string[] {
  return [process.env.XCNN_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => p !== undefined && p !== '');
}

function findTorchPython(): { path: string; version: string } | null {
  for (const path of pythonCandidates()) {
    const probe = spawnSync(path, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8', timeout: START_TIMEOUT_MS });
    if (probe.status === 0) return { path, version: probe.stdout.trim() };
  }
  return null;
}

/** The MNIST training files for the child, when they are where loadDataset found them (else it uses random batches). */
function mnistFileArguments(): string[] {
  const find = (base: string) => [base, `${base}.gz`].map((name) => join(defaultDataDir(), name)).find((path) => existsSync(path));
  const images = find('train-images-idx3-ubyte');
  const labels = find('train-labels-idx1-ubyte');
  return images !== undefined && labels !== undefined ? ['--images', images, '--labels', labels] : [];
}


/**
 * Starts bench/pytorch_step.py with `threads` threads on the network `spec` describes for MNIST, and waits until
 * it has built and warmed up its model — which must have `parameters` parameters, as xcnn's has.
 */
async function startTorch(python: string, threads: number, spec: string, parameters: number): Promise<Racer> {
  const script = join(packageRoot(), 'bench', 'pytorch_step.py');
  const { channels, height, width, classes } = MNIST_GEOMETRY;
  const geometry = ['--channels', channels, '--height', height, '--width', width, '--classes', classes].map(String);
  const child = new LineChild(spawn(python, [script, '--threads', String(threads), '--arch', spec, ...geometry, ...mnistFileArguments()]));
  let fields: Record<string, string>;
  try {
    const ready = await child.nextLine(START_TIMEOUT_MS);
    fields = Object.fromEntries(ready.split(' ').slice(1).map((field) => field.split('=') as [string, string]));
    if (!ready.startsWith('ready ') || Number(fields.threads) !== threads) {
      throw new LineChildError(`expected 'ready … threads=${threads} …' from ${script}, got '${ready}'`);
    }
    if (Number(fields.params) !== parameters) {
      throw new LineChildError(`PyTorch's network for ${spec} has ${fields.params} parameters, xcnn's ${parameters}: not the same network`);
    }
  } catch (error) {
    await child.close();
    throw error;
  }
  return {
    label: `PyTorch ${threads}T`,
    threads,
    detail: `torch ${fields.torch}, ${fields.data} data, ${blasName(fields.blas ?? 'unknown')}, malloc ${fields.malloc ?? 'unknown'}`,
    async run(steps) {
      const answer = await child.request(`run ${steps}`, RUN_TIMEOUT_MS);
      const seconds = Number(answer);
      if (!(seconds > 0)) throw new LineChildError(`expected the seconds of ${steps} steps, got '${answer}'`);
      return seconds;
    },
    close: () => child.close(),
  };
}

function blasName(paths: string): string {
  if (/openblas/i.test(paths)) return 'OpenBLAS';
  if (/mkl/i.test(paths)) return 'MKL';
  if (/blis/i.test(paths)) return 'BLIS';
  if (/\/blas\/libblas\.so/.test(paths)) return 'reference BLAS';
  return `BLAS ${paths}`;
}

