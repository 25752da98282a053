/**
 * A/B of a change: the one-thread training step (SerialStep on 64 MNIST images, as the Training step
 * group) of THIS checkout against another built checkout of xcnn, in one process, in interleaved rounds.
 *
 *   node dist/bench/ab-checkouts.js /path/to/other/checkout [rounds] [--arch PRESET] [--threads T]   (both built: npm run build)
 *   node dist/bench/ab-checkouts.js /path/to/other/checkout [rounds] --pass grad-cam|logits [--arch PRESET]
 *
 * With --pass, what is timed is an evaluation pass on one thread instead of a training step: `grad-cam`, each
 * side's gradCam driver over the first 256 MNIST test images in one batch (forward, the backward down to the last
 * conv block, every map and heatmap), or `logits`, each side's Network.logits of those images (what `predict` and
 * the perturbation methods run) — the network the paper's (or --arch's) preset, initialised from seed 1 on each side.
 *
 * With --arch, the network is that spec preset (PRESETS in src/model/spec.ts, e.g. lenet5 or modern),
 * built on each side by that side's own createNetwork, instead of the paper's. With --threads T (T > 1) each
 * side's step is its own ThreadPool of T threads (the trainer's step on T cores) instead of SerialStep; then
 * the wall clock is the ratio to read, and CPU time counts every thread's.
 *
 * Each step is timed by the process's CPU time (user + system) as well as by the wall clock: on a
 * machine shared with other jobs the wall clock also counts the time this process waits for a core,
 * which CPU time leaves out, so the CPU-time ratio is the steadier one. Prints, per kernel build, the
 * median ms of each side and the median and range of the per-round ratios other ÷ this (> 1: this
 * checkout is faster).
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Backend } from '../src/backend/backend.js';
import { createWasmBackend, type KernelBuild } from '../src/backend/wasm/node.js';
import { takeFirst, type ImageSet } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import type { Network } from '../src/model/network.js';
import type { Adam } from '../src/train/adam.js';
import type { TrainStep } from '../src/train/step.js';
import { median, mnistTrainingStep, onMnistBatches, networkWithAdam } from './training-step.js';

const STEPS_PER_ROUND = 15;

/** ms per call of each of `fns`, [fn][round]: each sample the median of `calls` calls, the order reversing every round. */
function interleavedCpuAndWall(fns: (() => void)[], calls: number, rounds: number): { cpu: number[][]; wall: number[][] } {
  const cpu = fns.map(() => [] as number[]);
  const wall = fns.map(() => [] as number[]);
  for (let round = -1; round < rounds; round++) {
    const order = fns.map((_, k) => k);
    if (round % 2 !== 0) order.reverse();
    for (const k of order) {
      const [cpuTimes, wallTimes] = [[] as number[], [] as number[]];
      for (let call = 0; call < calls; call++) {
        const [usage, started] = [process.cpuUsage(), performance.now()];
        fns[k]();
        wallTimes.push(performance.now() - started);
        const used = process.cpuUsage(usage);
        cpuTimes.push((used.user + used.system) / 1000);
      }
      if (round >= 0) {
        cpu[k].push(median(cpuTimes));
        wall[k].push(median(wallTimes));
      }
    }
  }
  return { cpu, wall };
}

function ratios(label: string, other: number[], mine: number[]): string {
  const r = other.map((ms, round) => ms / mine[round]).sort((a, b) => a - b);
  return `${label}: other ${median(other).toFixed(2)} ms, this ${median(mine).toFixed(2)} ms, other ÷ this ${median(r).toFixed(3)} [${r[0].toFixed(3)}–${r[r.length - 1].toFixed(3)}]`;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const archAt = args.indexOf('--arch');
  const given = archAt >= 0 ? args.splice(archAt, 2)[1] : null;
  const threadsAt = args.indexOf('--threads');
  const threads = threadsAt >= 0 ? Number(args.splice(threadsAt, 2)[1]) : 1;
  const passAt = args.indexOf('--pass');
  const pass = passAt >= 0 ? args.splice(passAt, 2)[1] : null;
  const [otherRoot, roundsArg] = args;
  const passes = ['grad-cam', 'logits'];
  if (otherRoot === undefined || (archAt >= 0 && given === undefined) || !Number.isSafeInteger(threads) || threads < 1 || (pass !== null && (!passes.includes(pass) || threads > 1))) {
    console.error('usage: node dist/bench/ab-checkouts.js /path/to/other/checkout [rounds] [--arch PRESET] [--threads T | --pass grad-cam|logits]');
    process.exit(2);
  }
  if (pass !== null) {
    await abEvaluationPass(otherRoot, pass as 'grad-cam' | 'logits', given ?? 'paper', Number(roundsArg ?? 9));
    return;
  }
  // A pool builds its network from a spec on each side: the paper's is the preset 'paper' there.
  const arch = given ?? (threads > 1 ? 'paper' : null);
  const rounds = Number(roundsArg ?? 9);
  const otherModule = (path: string) => import(pathToFileURL(join(resolve(otherRoot), 'dist', path)).href);
  const other = {
    createWasmBackend: (await otherModule('src/backend/wasm/node.js')).createWasmBackend as typeof createWasmBackend,
    mnistTrainingStep: (await otherModule('bench/training-step.js')).mnistTrainingStep as (backend: Backend, train: ImageSet) => () => void,
  };
  const { train } = loadDataset();
  // A preset's step on each side: that side's network, optimiser and step; this side's batch loading.
  const otherPresetStep = async (backend: Backend): Promise<() => void> => {
    const { createNetwork, MNIST_GEOMETRY } = await otherModule('src/model/network.js');
    const { PRESETS } = await otherModule('src/model/spec.js');
    const { Random } = await otherModule('src/random.js');
    const { Adam: OtherAdam } = await otherModule('src/train/adam.js');
    const { SerialStep: OtherSerialStep } = await otherModule('src/train/step.js');
    const network: Network = createNetwork(backend, PRESETS[arch!](MNIST_GEOMETRY.classes), MNIST_GEOMETRY);
    network.initialize(new Random(1));
    const optimizer: Adam = new OtherAdam(network);
    if (threads === 1) return onMnistBatches(new OtherSerialStep(network, optimizer) as TrainStep, backend, train);
    const { ThreadPool: OtherThreadPool } = await otherModule('src/parallel/thread-pool.js');
    return onMnistBatches((await OtherThreadPool.create(network, threads, optimizer)) as TrainStep, backend, train);
  };
  const thisPresetStep = async (backend: Backend): Promise<() => void> => {
    const { SerialStep } = await import('../src/train/step.js');
    const { ThreadPool } = await import('../src/parallel/thread-pool.js');
    const { network, optimizer } = networkWithAdam(backend, arch!);
    return onMnistBatches(threads === 1 ? new SerialStep(network, optimizer) : await ThreadPool.create(network, threads, optimizer), backend, train);
  };
  const stepsPerRound = given === null ? STEPS_PER_ROUND : Math.max(3, Math.round(STEPS_PER_ROUND / 3));
  for (const build of ['relaxed-simd', 'simd'] as KernelBuild[]) {
    const [otherBackend, thisBackend] = [await other.createWasmBackend({ build }), await createWasmBackend({ build })];
    const steps =
      arch === null
        ? [other.mnistTrainingStep(otherBackend, train), mnistTrainingStep(thisBackend, train)]
        : [await otherPresetStep(otherBackend), await thisPresetStep(thisBackend)];
    const { cpu, wall } = interleavedCpuAndWall(steps, stepsPerRound, rounds);
    console.log(`${build}, ${arch ?? 'paper'} training step, ${threads === 1 ? '1 thread' : `${threads} threads`}, ${rounds} rounds — ${ratios('CPU time', cpu[0], cpu[1])}; ${ratios('wall', wall[0], wall[1])}`);
  }
}

const EVALUATION_IMAGES = 256;

/**
 * --pass: `pass` over the first EVALUATION_IMAGES test images on one thread, each side with its own modules: its
 * network of the preset `arch` from seed 1 and its own gradCam or Network.logits; this side's images.
 */
async function abEvaluationPass(otherRoot: string, pass: 'grad-cam' | 'logits', arch: string, rounds: number): Promise<void> {
  const { test } = loadDataset();
  const images = takeFirst(test, EVALUATION_IMAGES);
  const sides = [pathToFileURL(join(resolve(otherRoot), 'dist')).href, new URL('..', import.meta.url).href];
  for (const build of ['relaxed-simd', 'simd'] as KernelBuild[]) {
    const runs: (() => void)[] = [];
    for (const root of sides) {
      const module = (path: string) => import(`${root}/${path}`);
      const backend: Backend = await ((await module('src/backend/wasm/node.js')).createWasmBackend as typeof createWasmBackend)({ build });
      const { createNetwork, MNIST_GEOMETRY } = await module('src/model/network.js');
      const { PRESETS } = await module('src/model/spec.js');
      const { Random } = await module('src/random.js');
      const network: Network = createNetwork(backend, PRESETS[arch](MNIST_GEOMETRY.classes), MNIST_GEOMETRY);
      network.initialize(new Random(1));
      if (pass === 'grad-cam') {
        const { gradCam } = await module('src/explain/grad-cam.js');
        runs.push(() => gradCam(network, images, { batchSize: EVALUATION_IMAGES }));
      } else {
        const input = backend.allocFloats(images.images.length);
        for (let k = 0; k < input.length; k++) input[k] = images.images[k] / 255;
        runs.push(() => network.logits(input, EVALUATION_IMAGES));
      }
    }
    const { cpu, wall } = interleavedCpuAndWall(runs, 5, rounds);
    console.log(`${build}, ${arch} ${pass} of ${EVALUATION_IMAGES} images, 1 thread, ${rounds} rounds — ${ratios('CPU time', cpu[0], cpu[1])}; ${ratios('wall', wall[0], wall[1])}`);
  }
}

await main();
