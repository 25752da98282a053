/**
 * Explanations and faithfulness at full speed, with the shipped model (data/mnist-small.safetensors, the
 * paper's network) on the MNIST test images, each on 1 thread and on the pool (the cores there are):
 *
 *   Grad-CAM            the 10,000 test images                            target < 1 s
 *   each method         images/s on the first N test images (N per method below)
 *   faithfulness        all 16 methods on M images with the randomisation check on S of them, in process,
 *                       its time split into the part that grows with the images and the part that grows with
 *                       the check, extrapolated to the command's defaults (500 images, check on 100)   target < 4 min
 *   xcnn faithfulness   the command on M images (S checked): wall, CPU and peak resident memory       target < 500 MB
 *   xcnn report         the command on the 10,000 test images: wall, CPU, peak resident memory        target < 20 s
 *
 * Wall time is what a user waits for; CPU time (all threads, user + system) is what the work costs, which
 * other processes on a shared machine do not change: both are shown. "main CPU s" is the calling thread's
 * alone (Linux: /proc), which is thread 0 of the pool and also does the work no worker can take; "workers CPU s"
 * is the pool's worker threads' (the threads the pool started, found in /proc as it starts them), and
 * "serial s" = main − workers / (T − 1): with an even split, the main thread's work that no worker shared —
 * what the workers wait for. The process's CPU also counts V8's and libuv's own threads (the collector), so
 * CPU − main is not the workers' alone on a loaded machine. XCNN_BENCH_FAITHFULNESS_N=500 runs
 * the faithfulness rows on 500 images (and the check on 100) instead of extrapolating.
 * XCNN_BENCH_EXPLAIN_METHODS=lime,kernel-shap times only those methods' rows (no Grad-CAM, faithfulness or
 * commands): a before/after comparison of a few methods in a minute; XCNN_BENCH_EXPLAIN_IMAGES=N times each of
 * them on N images instead of its own count below (the CPU times are in 10 ms ticks: give enough work).
 * XCNN_BENCH_EXPLAIN_LAYER=relu1 explains that conv block instead of the last one, in the Grad-CAM rows and the
 * CAM methods' (the Grad-CAM rows run also with XCNN_BENCH_EXPLAIN_METHODS when it names grad-cam).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeFirst } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { METHOD_NAMES, methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { measureFaithfulness } from '../src/faithfulness/faithfulness.js';
import { packageRoot } from '../src/files/package-root.js';
import { loadModel, shippedModelPath } from '../src/model/model-io.js';
import type { Network } from '../src/model/network.js';
import { defaultThreads, ThreadPool } from '../src/parallel/thread-pool.js';
import { significant, type BenchContext, type BenchGroup, type BenchRow } from './bench-group.js';

/** Images each method is timed on: enough for a second or more of work on one thread. */
const METHOD_IMAGES: Record<string, number> = { 'score-cam': 64, smoothgrad: 64, 'integrated-gradients': 64, occlusion: 64, 'kernel-shap': 16, lime: 16 };
const CHEAP_METHOD_IMAGES = 1000;

interface Cost {
  wallMs: number;
  cpuMs: number; // every thread of the process, user + system
  mainCpuMs?: number | null; // the calling thread's alone, where the system tells it (Linux)
  workersCpuMs?: number | null; // the pool's worker threads' (Linux), when the work ran on a pool
  threads?: number;
}

/** A thread's user + system CPU milliseconds so far (Linux: its /proc task's stat), or null elsewhere. */
function threadCpuMs(tid: number | string): number | null {
  const path = `/proc/self/task/${tid}/stat`;
  if (!existsSync(path)) return null;
  const text = readFileSync(path, 'utf8');
  // After the ")" that ends the command name: field 3 is the state, 14 and 15 (utime, stime) in clock ticks of 10 ms.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** The calling thread's user + system CPU milliseconds so far, or null where the system does not tell. */
function mainThreadCpuMs(): number | null {
  return threadCpuMs(process.pid);
}

/** The process's threads now (Linux), to find the ones a pool starts: none elsewhere. */
function threadIds(): string[] {
  return existsSync('/proc/self/task') ? readdirSync('/proc/self/task') : [];
}

/** The summed CPU milliseconds of `tids`, or null when one cannot be read. */
function threadsCpuMs(tids: string[]): number | null {
  let sum = 0;
  for (const tid of tids) {
    const ms = threadCpuMs(tid);
    if (ms === null) return null;
    sum += ms;
  }
  return sum;
}

/** Runs `work`, measuring its wall and CPU time (all threads, the calling thread's, and the pool workers' `workers`). */
function measured<T>(work: () => T, workers: string[] = []): { result: T } & Cost {
  const cpu = process.cpuUsage();
  const mainBefore = mainThreadCpuMs();
  const workersBefore = threadsCpuMs(workers);
  const started = performance.now();
  const result = work();
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const mainAfter = mainThreadCpuMs();
  const workersAfter = threadsCpuMs(workers);
  return {
    result,
    wallMs,
    cpuMs: (used.user + used.system) / 1000,
    mainCpuMs: mainBefore === null || mainAfter === null ? null : mainAfter - mainBefore,
    ...(workers.length === 0 ? {} : { workersCpuMs: workersBefore === null || workersAfter === null ? null : workersAfter - workersBefore, threads: workers.length + 1 }),
  };
}

/** Runs the xcnn command in a child process, with its wall time, CPU time and peak resident memory. */
function xcnnCommand(args: string[], cwd: string): Cost & { peakMB: number } {
  // The child reports its own resource use as it exits (all its threads: Node counts the process).
  const report = `process.on('exit', () => { const u = process.resourceUsage(); process.stderr.write('\\nbench-usage ' + JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, maxRssKb: u.maxRSS }) + '\\n'); });`;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(report)}`, join(packageRoot(), 'bin', 'xcnn.js'), ...args], { cwd, encoding: 'utf8', maxBuffer: 1 << 28 });
  const wallMs = performance.now() - started;
  if (result.status !== 0) throw new Error(`xcnn ${args.join(' ')} failed: ${result.stderr.slice(-2000)}`);
  const line = result.stderr.split('\n').find((l) => l.startsWith('bench-usage '));
  if (line === undefined) throw new Error(`xcnn ${args.join(' ')} did not report its resource use`);
  const usage = JSON.parse(line.slice('bench-usage '.length)) as { cpuMs: number; maxRssKb: number };
  return { wallMs, cpuMs: usage.cpuMs, peakMB: Math.round(usage.maxRssKb / 1024) };
}

function row(measure: string, threads: number, images: number | null, cost: Cost, target: string | null = null): BenchRow {
  return {
    measure,
    threads,
    images,
    'wall s': significant(cost.wallMs / 1000),
    'CPU s': significant(cost.cpuMs / 1000),
    'main CPU s': cost.mainCpuMs === undefined || cost.mainCpuMs === null ? null : significant(cost.mainCpuMs / 1000),
    'workers CPU s': cost.workersCpuMs === undefined || cost.workersCpuMs === null ? null : significant(cost.workersCpuMs / 1000),
    'serial s': cost.workersCpuMs === undefined || cost.workersCpuMs === null || cost.mainCpuMs === undefined || cost.mainCpuMs === null ? null : significant((cost.mainCpuMs - cost.workersCpuMs / (cost.threads! - 1)) / 1000),
    'images/s': images === null ? null : significant((1000 * images) / cost.wallMs),
    target,
  };
}

async function shippedModel(context: BenchContext): Promise<Network> {
  return loadModel(shippedModelPath(), context.wasm).network;
}

export const explainGroup: BenchGroup = {
  name: 'Explain',
  description: 'Grad-CAM, each explanation method, faithfulness and the report with the shipped model on MNIST test images, on 1 thread and on the pool; wall and CPU (all threads) seconds',
  async run(context) {
    const { test } = loadDataset();
    const network = await shippedModel(context);
    const threads = defaultThreads();
    const before = new Set(threadIds());
    const pool = threads > 1 ? await ThreadPool.create(network, threads) : null;
    // The threads the pool started: its workers (V8 and libuv start theirs with the process, before it).
    const workers = pool === null ? [] : threadIds().filter((tid) => !before.has(tid));
    const counts = [1, ...(pool === null ? [] : [threads])];
    const rows: BenchRow[] = [];
    const only = process.env.XCNN_BENCH_EXPLAIN_METHODS?.split(',').map((name) => name.trim()).filter((name) => name !== '');
    const unknown = only?.filter((name) => !(METHOD_NAMES as readonly string[]).includes(name)) ?? [];
    if (unknown.length > 0) throw new Error(`XCNN_BENCH_EXPLAIN_METHODS: '${unknown.join("', '")}' is not a method; the methods are ${METHOD_NAMES.join(', ')}`);
    try {
      // Grad-CAM on the 10,000 test images.
      const layer = process.env.XCNN_BENCH_EXPLAIN_LAYER || undefined;
      for (const t of only === undefined || only.includes('grad-cam') ? counts : []) {
        const runner = t > 1 ? pool!.gradCamRunner() : undefined;
        gradCam(network, takeFirst(test, 512), { runner, layer }); // warm-up: compile the kernels' paths, grow the buffers
        const cost = measured(() => gradCam(network, test, { runner, layer }), t > 1 ? workers : []);
        rows.push(row(`Grad-CAM${layer === undefined ? '' : ` of ${layer}`}, 10,000 test images`, t, test.count, cost, '< 1 s'));
      }
      // Each method on its images.
      for (const name of only ?? METHOD_NAMES) {
        const images = Number(process.env.XCNN_BENCH_EXPLAIN_IMAGES ?? 0) || (METHOD_IMAGES[name] ?? CHEAP_METHOD_IMAGES);
        const set = takeFirst(test, images);
        for (const t of counts) {
          const passes = t > 1 ? pool! : undefined;
          const method = methodByName(name);
          const options = { passes, ...(layer !== undefined && method.layer === 'cam' ? { layer } : {}) };
          explainImages(network, takeFirst(test, 2), method, options);
          const cost = measured(() => explainImages(network, set, method, options), t > 1 ? workers : []);
          rows.push(row(`${name}`, t, images, cost));
        }
      }
      // Faithfulness in process: the part that grows with the images and the part that grows with the check.
      const full = Number(process.env.XCNN_BENCH_FAITHFULNESS_N ?? 0) >= 500;
      const [images, checked] = full ? [500, 100] : [40, 20];
      for (const t of only === undefined ? counts.slice(-1) : []) {
        let checkMs = 0;
        let checkStarted = 0;
        const cost = measured(() =>
          measureFaithfulness(network, test, Array.from({ length: images }, (_, n) => n), {
            randomisationImages: checked,
            ...(t > 1 ? { pool: pool! } : {}),
            onProgress: (_method, step, done, total) => {
              if (step !== 'randomisation') return;
              if (done === 0) checkStarted = performance.now();
              else if (done === total) checkMs += performance.now() - checkStarted;
            },
          }),
        );
        rows.push(row(`faithfulness, 16 methods, ${images} images (check on ${checked})`, t, images, cost));
        if (!full) {
          // Wall time scaled part by part; CPU time in the same proportion.
          const perImageMs = (cost.wallMs - checkMs) / images;
          const wallMs = perImageMs * 500 + (checkMs / checked) * 100;
          rows.push(row('faithfulness, 16 methods, 500 images (check on 100): extrapolated', t, 500, { wallMs, cpuMs: (cost.cpuMs * wallMs) / cost.wallMs }, '< 240 s'));
        }
      }
    } finally {
      await pool?.close();
    }
    if (only !== undefined) return rows;
    // The commands as a user runs them: time and peak memory.
    const work = mkdtempSync(join(tmpdir(), 'xcnn-bench-explain-'));
    try {
      const [images, checked] = Number(process.env.XCNN_BENCH_FAITHFULNESS_N ?? 0) >= 500 ? [500, 100] : [40, 20];
      const faithfulness = xcnnCommand(['faithfulness', '--n', String(images), '--sanity', String(checked), '--figure-rows', '0', '--out', 'faithfulness'], work);
      rows.push({ ...row(`xcnn faithfulness --n ${images} --sanity ${checked}`, threads, images, faithfulness, '< 500 MB at --n 500'), 'peak MB': faithfulness.peakMB });
      const report = xcnnCommand(['report', '--out', 'report'], work);
      rows.push({ ...row('xcnn report, 10,000 test images', threads, test.count, report, '< 20 s'), 'peak MB': report.peakMB });
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    return rows;
  },
};
