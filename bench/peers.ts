/**
 * Group "Peers": xcnn beside the tools a user would pick — PyTorch (CPU), TensorFlow.js (cpu and wasm
 * backends), ONNX Runtime (web; node where onnxruntime-node resolves; its native build also through its Python
 * package, where a python imports onnxruntime), ConvNetJS — on the same network (the
 * paper preset; $XCNN_BENCH_PRESETS races others, one after another, and $XCNN_BENCH_PEERS_NET a spec), the
 * same initial weights, batches and MNIST images, in one run. A tool that has no layer of the network (ConvNetJS:
 * batch norm, average pooling) is a "skipped: why" row.
 *
 * Every contender (a tool at a thread count) is a child process of its own (bench/peers-child.ts is the
 * protocol; one driver file per tool), so its start-up and its memory are its own: the "time to the first
 * result" is the parent's clock from spawn to the child's first prediction, the peak memory the child's peak
 * RSS. The children are started one after another on a quiet parent; then each measurement (training
 * steps of 64, inference and Grad-CAM passes of 256) is calibrated to ~ROUND_SECONDS and run in ROUNDS
 * rounds, every contender in turn, the order reversing each round (as bench/pytorch.ts races), so all see
 * the same machine; images/s are the medians over rounds and "xcnn ÷ this" the median of the per-round
 * ratios against xcnn at the same thread count. Last, each tool that trains (its 1-thread child) runs the
 * accuracy protocol: from the shared initial weights, one epoch over the first ACCURACY_TRAIN training
 * images in order, batch 64, then the first ACCURACY_TEST test images.
 *
 * The initial weights are xcnn's (seed 1), written once as raw floats for every driver and as xcnn's own
 * ONNX export for ONNX Runtime; each child reports its network's parameter count, which must be xcnn's, or
 * its row says why it was not raced. A tool that is not installed, or whose child fails, is a "skipped: why"
 * row; the bench goes on.
 *
 * Output: the rows in runs/bench.json (as every group), runs/peers.json (bench/peers-report.ts's PeersFile)
 * and docs/figures/peers.svg (another preset: runs/peers-NAME.json, docs/figures/peers-NAME.svg); `node dist/bench/peers-table.js` prints README's table from runs/peers.json.
 * XCNN_BENCH_QUICK=1 runs one short round on few images: a smoke test of the machinery, not a measurement.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defaultDataDir, loadDataset } from '../src/data/dataset-files.js';
import { explainedLayer } from '../src/explain/explained-layer.js';
import { packageRoot } from '../src/files/package-root.js';
import { createNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { parseSpec, planNetwork, PRESETS, resolveSpec } from '../src/model/spec.js';
import { encodeOnnxModel } from '../src/onnx/onnx-export.js';
import { Random } from '../src/random.js';
import type { BenchContext, BenchGroup, BenchRow } from './bench-group.js';
import { LineChild } from './line-child.js';
import { INFER_BATCH, TRAIN_BATCH, type PeerConfig } from './peers-child.js';
import { LOSS_TOLERANCE, lossMismatch, median, medianRatio, peersOutputs, svgTable, type PeerResult, type PeersFile } from './peers-report.js';

const QUICK = process.env.XCNN_BENCH_QUICK === '1';
const ROUNDS = QUICK ? 1 : 5;
const ROUND_SECONDS = QUICK ? 0.1 : 0.6; // per measurement per contender per round
const CALIBRATION_SECONDS = QUICK ? 0.02 : 0.15;
const ACCURACY_TRAIN = QUICK ? 128 : 1280; // 20 steps of 64: ConvNetJS needs minutes for it
const ACCURACY_TEST = QUICK ? 256 : 1000;
/** A measurement whose first single call takes this long is not repeated: that call is its one sample (ConvNetJS, TensorFlow.js's cpu backend). */
const SLOW_SECONDS = QUICK ? 1 : 5;
/** The accuracy protocol is skipped for a tool that would need longer than this at its measured speed. */
const ACCURACY_BUDGET_SECONDS = QUICK ? 20 : 240;
const START_TIMEOUT_MS = 180_000;
const RUN_TIMEOUT_MS = 300_000;

type Measure = 'train' | 'infer' | 'gradcam';
const MEASURES: Measure[] = ['train', 'infer', 'gradcam'];
const BATCH_OF: Record<Measure, number> = { train: TRAIN_BATCH, infer: INFER_BATCH, gradcam: INFER_BATCH };

/** A tool as the bench starts it. */
export interface PeerTool {
  tool: string;
  threads: number[];
  /**
   * The packages it needs to resolve from here (a Node tool), or the module a python must import (PyTorch, ONNX
   * Runtime's Python package) and, when the "skipped" row should say it, how to get that module.
   */
  requires: string[] | { python: string; install?: string };
  driver: string; // the driver file in bench/
  options?: Record<string, string>;
}

export const PEER_TOOLS: PeerTool[] = [
  { tool: 'xcnn', threads: [1, 2], requires: [], driver: 'peers-xcnn' },
  { tool: 'PyTorch', threads: [1, 2], requires: { python: 'torch' }, driver: 'peers_pytorch.py' },
  { tool: 'TensorFlow.js (cpu)', threads: [1], requires: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-cpu'], driver: 'peers-tfjs', options: { backend: 'cpu' } },
  { tool: 'TensorFlow.js (wasm)', threads: [1], requires: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers', '@tensorflow/tfjs-backend-wasm'], driver: 'peers-tfjs', options: { backend: 'wasm' } },
  { tool: 'ONNX Runtime (web)', threads: [1, 2], requires: ['onnxruntime-web'], driver: 'peers-onnxruntime', options: { runtime: 'web' } },
  { tool: 'ONNX Runtime (node)', threads: [1, 2], requires: ['onnxruntime-node'], driver: 'peers-onnxruntime', options: { runtime: 'node' } },
  // the same native CPU build (MLAS) through ONNX Runtime's Python package, where onnxruntime-node cannot install
  { tool: 'ONNX Runtime (native, Python)', threads: [1, 2], requires: { python: 'onnxruntime', install: 'pip install onnxruntime, with PYTHONPATH naming where it went if not site-packages' }, driver: 'peers_onnxruntime.py' },
  { tool: 'ConvNetJS', threads: [1], requires: ['convnetjs'], driver: 'peers-convnetjs' },
];

/**
 * Why a tool cannot run here, or null when it can: the first package that does not resolve, or no python that
 * imports the module it needs (`pythonFor(module)`: the python that does, or null).
 */
export function whyUnavailable(tool: PeerTool, resolve: (name: string) => unknown, pythonFor: (module: string) => string | null): string | null {
  if (!Array.isArray(tool.requires)) {
    const { python: module, install } = tool.requires;
    if (pythonFor(module) !== null) return null;
    return `no python3 with ${module} (tried ${pythonCandidates().join(', ')}${install === undefined ? '' : `; ${install}`})`;
  }
  for (const name of tool.requires) {
    try {
      resolve(name);
    } catch {
      return `${name} is not installed (${name === 'onnxruntime-node' ? 'npm install onnxruntime-node, where its native build installs' : 'npm install, with dev dependencies'})`;
    }
  }
  return null;
}

/** The tools $XCNN_BENCH_PEERS_TOOLS names (comma-separated parts of their names, any case), or all. */
function selectedTools(): PeerTool[] {
  const wanted = (process.env.XCNN_BENCH_PEERS_TOOLS ?? '').split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  return wanted.length === 0 ? PEER_TOOLS : PEER_TOOLS.filter((tool) => wanted.some((name) => tool.tool.toLowerCase().includes(name)));
}

function pythonCandidates(): string[] {
  return [process.env.XCNN_BENCH_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => p !== undefined && p !== '');
}

const pythons = new Map<string, string | null>(); // module → the python that imports it: looked for once, the networks raced in turn share it

/** The first python that imports `module`; the answer is kept, as importing torch can take minutes on a loaded machine. */
function findPython(module: string): string | null {
  if (!pythons.has(module)) {
    pythons.set(module, pythonCandidates().find((path) => spawnSync(path, ['-c', `import ${module}`], { timeout: START_TIMEOUT_MS }).status === 0) ?? null);
  }
  return pythons.get(module)!;
}

/** The MNIST files where loadDataset finds them, for the Python child (plain or .gz). */
function mnistFiles(): PeerConfig['mnist'] {
  const find = (base: string) => [base, `${base}.gz`].map((name) => join(defaultDataDir(), name)).find((path) => existsSync(path));
  const [trainImages, trainLabels, testImages, testLabels] = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map(find);
  return trainImages && trainLabels && testImages && testLabels ? { trainImages, trainLabels, testImages, testLabels } : null;
}

/** The shared part of every child's config: the network, its initial weights (written to `folder`) and the first test image. */
export function sharedConfig(folder: string, context: BenchContext, specText: string): Omit<PeerConfig, 'tool' | 'threads' | 'options'> {
  const spec = resolveSpec(specText, MNIST_GEOMETRY.classes);
  const plan = planNetwork(spec, MNIST_GEOMETRY);
  const network = createNetwork(context.wasm, spec, MNIST_GEOMETRY);
  network.initialize(new Random(1));
  const initPath = join(folder, 'initial.f32');
  const values = network.parameters.map((parameter) => Float32Array.from(parameter.value));
  writeFileSync(initPath, Buffer.concat(values.map((value) => Buffer.from(value.buffer))));
  const onnxPath = join(folder, 'initial.onnx');
  writeFileSync(onnxPath, encodeOnnxModel(network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: Array.from({ length: 10 }, (_, k) => String(k)) }));
  const camEnd = explainedLayer(network).name;
  const camLayers = plan.layers.findIndex((layer) => layer.name === camEnd) + 1;
  const parameters = network.parameters.map(({ name, shape }) => ({ name, shape: [...shape] }));
  network.dispose();
  const { test } = loadDataset();
  return {
    spec,
    geometry: MNIST_GEOMETRY,
    parameters,
    initPath,
    onnxPath,
    camLayers,
    layers: plan.layers.map((layer) => ({
      kind: layer.spec.kind,
      args: layer.spec.args,
      inputShape: layer.inputShape,
      outputShape: layer.outputShape,
      parameterCount: ['conv', 'linear', 'bn'].includes(layer.spec.kind) ? 2 : 0,
    })),
    firstImage: Array.from(test.images.subarray(0, 28 * 28)),
    mnist: mnistFiles(),
  };
}


/** A started contender. */
interface Racer {
  tool: PeerTool;
  threads: number;
  child: LineChild;
  firstResultMs: number;
  ready: { parameters: number; detail: string; optimizer: string | null; can: string[] };
  steps: Partial<Record<Measure, number>>; // per round, calibrated
  samples: Record<Measure, number[]>; // images/s per round
  notes: string[];
}

/** A number as the drivers print it (Python's nan and inf included). */
const NUMBER = String.raw`[-+]?(?:[0-9.]+(?:e[-+]?[0-9]+)?|nan|inf|NaN|Infinity)`;
const PROTOCOL_LINE = new RegExp(`^(?:first|ready|error) |^${NUMBER}(?: ${NUMBER})*$`);

/** Whether a child's stdout line is an answer (`first`, `ready`, `error`, or numbers such as an accuracy and a loss), not a library's banner. */
export function isProtocolLine(line: string): boolean {
  return PROTOCOL_LINE.test(line);
}

async function startRacer(tool: PeerTool, threads: number, shared: ReturnType<typeof sharedConfig>): Promise<Racer> {
  const config: PeerConfig = { ...shared, tool: tool.tool, threads, options: tool.options ?? {} };
  const configPath = join(dirname(shared.initPath), `${tool.tool.replace(/\W+/g, '-')}-${threads}.json`);
  writeFileSync(configPath, JSON.stringify(config));
  const started = performance.now();
  const process_ =
    !Array.isArray(tool.requires)
      ? spawn(findPython(tool.requires.python)!, [join(packageRoot(), 'bench', tool.driver), configPath])
      : spawn(process.execPath, [join(packageRoot(), 'dist', 'bench', `${tool.driver}.js`), configPath]);
  const child = new LineChild(process_, { name: 'the child', accepts: isProtocolLine });
  try {
    await child.nextLine(START_TIMEOUT_MS); // 'first <class>'
    const firstResultMs = performance.now() - started;
    const ready = JSON.parse((await child.nextLine(START_TIMEOUT_MS)).slice('ready '.length)) as Racer['ready'];
    const expected = shared.parameters.reduce((sum, { shape }) => sum + shape.reduce((a, b) => a * b, 1), 0);
    if (ready.parameters !== expected) throw new Error(`its network has ${ready.parameters} parameters, xcnn's ${expected}: not the same network`);
    return { tool, threads, child, firstResultMs, ready, steps: {}, samples: { train: [], infer: [], gradcam: [] }, notes: [] };
  } catch (error) {
    await child.close();
    throw error;
  }
}

/**
 * Doubles the count until a run lasts CALIBRATION_SECONDS, then scales it to ROUND_SECONDS; or, when one call
 * already lasts SLOW_SECONDS, keeps that call as the measurement's only sample and returns undefined (no rounds).
 */
async function calibrate(racer: Racer, measure: Measure): Promise<number | undefined> {
  let count = 1;
  let seconds = Number(await racer.child.request(`${measure} ${count}`, RUN_TIMEOUT_MS));
  if (seconds >= SLOW_SECONDS) {
    racer.samples[measure].push(BATCH_OF[measure] / seconds);
    racer.notes.push(`${measure === 'gradcam' ? 'Grad-CAM' : measure}: one call of ${seconds.toFixed(1)} s, not repeated`);
    return undefined;
  }
  while (seconds < CALIBRATION_SECONDS) seconds = Number(await racer.child.request(`${measure} ${(count *= 2)}`, RUN_TIMEOUT_MS));
  return Math.min(2000, Math.max(1, Math.round((ROUND_SECONDS * count) / seconds)));
}

/**
 * The networks to race, one after another: the presets $XCNN_BENCH_PRESETS names (comma-separated, as
 * --only pytorch takes them), or the one preset or spec $XCNN_BENCH_PEERS_NET gives, or the paper's.
 */
export function peersNetworks(environment: NodeJS.ProcessEnv = process.env): string[] {
  const presets = (environment.XCNN_BENCH_PRESETS ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  for (const name of presets) {
    if (!(name in PRESETS)) throw new Error(`XCNN_BENCH_PRESETS: '${name}' is not a preset; the presets are ${Object.keys(PRESETS).join(', ')}`);
  }
  if (presets.length > 0 && environment.XCNN_BENCH_PEERS_NET) throw new Error('XCNN_BENCH_PRESETS and XCNN_BENCH_PEERS_NET both name networks: give one');
  return presets.length > 0 ? presets : [environment.XCNN_BENCH_PEERS_NET || 'paper'];
}

/** Whether the network draws dropout masks: every tool draws its own, so their trainings cannot agree step for step. */
export function hasDropout(specText: string): boolean {
  return parseSpec(resolveSpec(specText, MNIST_GEOMETRY.classes)).some((layer) => layer.kind === 'dropout');
}

function describeProtocol(network: string): string {
  return (
    `Network ${network}, MNIST. Training: steps of ${TRAIN_BATCH} images (softmax cross-entropy, Adam lr 1e-3 β 0.9/0.999 ε 1e-8 in every tool), ` +
    `inference: forward passes of ${INFER_BATCH} test images to the predicted class; Grad-CAM: passes of ${INFER_BATCH} (the last conv block, each image's predicted class, ` +
    `bilinear to 28×28, min–max per image), where the tool has the gradients for it. Each measurement ~${ROUND_SECONDS} s per contender per round, ` +
    `${ROUNDS} interleaved round(s), medians; xcnn ÷ this = median of per-round ratios against xcnn at the same thread count (> 1: xcnn faster). ` +
    `First result: spawn of the tool's own process → its first prediction (start-up, import, building the net, loading weights). Peak RSS: of that process. ` +
    `Test accuracy: every tool starts from xcnn's initial weights (seed 1), trains one epoch over the first ${ACCURACY_TRAIN} training images in order ` +
    `(batch ${TRAIN_BATCH}), then predicts the first ${ACCURACY_TEST} test images` +
    (hasDropout(network)
      ? `; this network has dropout, whose masks each tool draws from its own generator, so the accuracies need not agree and the last-step losses are not checked.`
      : `; each tool's loss on the last of those steps must be within ${LOSS_TOLERANCE * 100} % of xcnn's, or its row says it is not the same training.`)
  );
}

function resultOf(racer: Racer, xcnnAt: (threads: number) => Racer | undefined): PeerResult {
  const mid = (measure: Measure) => (racer.samples[measure].length > 0 ? median(racer.samples[measure]) : null);
  const xcnn = xcnnAt(racer.threads);
  const ratio = (measure: Measure) => (xcnn === undefined ? null : medianRatio(xcnn.samples[measure], racer.samples[measure]));
  return {
    tool: racer.tool.tool,
    threads: racer.threads,
    status: 'ok',
    detail: racer.ready.detail,
    optimizer: racer.ready.optimizer,
    parameters: racer.ready.parameters,
    firstResultMs: Math.round(racer.firstResultMs),
    trainImagesPerSecond: mid('train'),
    inferImagesPerSecond: mid('infer') ?? undefined,
    gradCamImagesPerSecond: mid('gradcam'),
    ratios: { train: ratio('train'), infer: ratio('infer'), gradCam: ratio('gradcam') },
    notes: racer.notes,
  };
}

/** The results as runs/bench.json rows. */
export function benchRows(results: PeerResult[]): BenchRow[] {
  return results.map((result) => ({
    tool: result.tool,
    threads: result.threads,
    status: result.status,
    'train img/s': result.trainImagesPerSecond ?? null,
    'infer img/s': result.inferImagesPerSecond ?? null,
    'Grad-CAM img/s': result.gradCamImagesPerSecond ?? null,
    'first result ms': result.firstResultMs ?? null,
    'peak RSS MB': result.peakRssMb ?? null,
    'test accuracy': result.testAccuracy ?? null,
    'xcnn ÷ this train': result.ratios?.train ?? null,
    'xcnn ÷ this infer': result.ratios?.infer ?? null,
    'xcnn ÷ this Grad-CAM': result.ratios?.gradCam ?? null,
    detail: result.detail ?? null,
  }));
}

async function runPeers(context: BenchContext): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const network of peersNetworks()) {
    console.log(`  network ${network}`);
    rows.push(...(await raceNetwork(context, network)).map((row) => ({ network, ...row })));
  }
  return rows;
}

async function raceNetwork(context: BenchContext, network: string): Promise<BenchRow[]> {
  const folder = mkdtempSync(join(tmpdir(), 'xcnn-peers-'));
  const racers: Racer[] = [];
  const slots: (Racer | PeerResult)[] = []; // the table's order: every tool's thread counts, measured or skipped
  try {
    const shared = sharedConfig(folder, context, network);
    const resolve = createRequire(import.meta.url).resolve;
    for (const tool of selectedTools()) {
      const why = whyUnavailable(tool, resolve, findPython);
      for (const threads of tool.threads) {
        if (why !== null) {
          slots.push({ tool: tool.tool, threads, status: `skipped: ${why}` });
          continue;
        }
        try {
          const racer = await startRacer(tool, threads, shared);
          racers.push(racer);
          slots.push(racer);
          console.log(`  ${tool.tool} ${threads}T: first result after ${Math.round(racer.firstResultMs)} ms; ${racer.ready.detail}`);
        } catch (error) {
          const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
          console.log(`  ${tool.tool} ${threads}T skipped: ${message}`);
          slots.push({ tool: tool.tool, threads, status: `skipped: ${message}` });
        }
      }
    }

    const failed = new Set<Racer>();
    const guard = async (racer: Racer, work: () => Promise<void>) => {
      if (failed.has(racer)) return;
      try {
        await work();
      } catch (error) {
        failed.add(racer);
        const at = slots.indexOf(racer);
        slots[at] = { tool: racer.tool.tool, threads: racer.threads, status: `skipped: ${(error instanceof Error ? error.message : String(error)).slice(0, 300)}` };
        await racer.child.close();
      }
    };
    for (const racer of racers) {
      await guard(racer, async () => {
        for (const measure of MEASURES) if (racer.ready.can.includes(measure)) racer.steps[measure] = await calibrate(racer, measure);
      });
    }
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? racers : [...racers].reverse();
      for (const racer of order) {
        await guard(racer, async () => {
          for (const measure of MEASURES) {
            const steps = racer.steps[measure];
            if (steps === undefined) continue;
            const seconds = Number(await racer.child.request(`${measure} ${steps}`, RUN_TIMEOUT_MS));
            racer.samples[measure].push((steps * BATCH_OF[measure]) / seconds);
          }
        });
      }
      console.log(`  round ${round + 1} of ${ROUNDS} done`);
    }
    const live = racers.filter((racer) => !failed.has(racer));
    const xcnnAt = (threads: number) => live.find((racer) => racer.tool.tool === 'xcnn' && racer.threads === threads);
    const results = new Map<Racer, PeerResult>(live.map((racer) => [racer, resultOf(racer, xcnnAt)]));
    // Accuracy is not timed: the tools train side by side.
    await Promise.all(
      live.map((racer) =>
        guard(racer, async () => {
          const result = results.get(racer)!;
          const needs = ACCURACY_TRAIN / (result.trainImagesPerSecond ?? Infinity) + ACCURACY_TEST / (result.inferImagesPerSecond ?? Infinity);
          let trainer = racer.ready.can.includes('train') && racer.threads === Math.min(...racer.tool.threads);
          if (trainer && needs > ACCURACY_BUDGET_SECONDS) {
            result.notes = [...(result.notes ?? []), `accuracy protocol not run: it would take ~${Math.round(needs)} s at this speed`];
            trainer = false;
          }
          const [accuracy, loss] = trainer ? (await racer.child.request(`accuracy ${ACCURACY_TRAIN} ${ACCURACY_TEST}`, RUN_TIMEOUT_MS)).split(' ').map(Number) : [];
          result.testAccuracy = accuracy ?? null;
          result.trainLoss = loss ?? null;
          result.peakRssMb = Math.round(Number(await racer.child.request('memory', RUN_TIMEOUT_MS)) / 2 ** 20);
          console.log(`  ${racer.tool.tool} ${racer.threads}T: ${trainer ? `test accuracy ${result.testAccuracy}, last loss ${result.trainLoss}, ` : ''}peak RSS ${result.peakRssMb} MB`);
        }),
      ),
    );
    const xcnnTrainer = xcnnAt(1);
    const xcnnLoss = xcnnTrainer === undefined ? undefined : results.get(xcnnTrainer)?.trainLoss;
    for (const result of hasDropout(network) ? [] : results.values()) {
      const mismatch = lossMismatch(result.trainLoss, xcnnLoss);
      if (mismatch === null) continue;
      result.notes = [...(result.notes ?? []), mismatch];
      console.log(`  ${result.tool} ${result.threads}T: ${mismatch}`);
    }
    const finished = slots.map((slot) => ('child' in slot ? (results.get(slot) ?? { tool: slot.tool.tool, threads: slot.threads, status: 'skipped: failed' }) : slot));
    const file: PeersFile = {
      date: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version, shared: process.env.XCNN_BENCH_SHARED === '1' },
      network,
      protocol: describeProtocol(network),
      results: finished,
    };
    writeOutputs(file);
    return benchRows(finished);
  } finally {
    await Promise.all(racers.map((racer) => racer.child.close()));
    rmSync(folder, { recursive: true, force: true });
  }
}

/** The run's JSON and figure where peersOutputs puts them (a quick run: its JSON only, as it is no measurement). */
function writeOutputs(file: PeersFile): void {
  const root = packageRoot();
  const outputs = peersOutputs(file.network, QUICK);
  const json = join(root, outputs.json);
  mkdirSync(dirname(json), { recursive: true });
  writeFileSync(json, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`wrote ${json}`);
  if (outputs.svg === null) return;
  const svg = join(root, outputs.svg);
  mkdirSync(dirname(svg), { recursive: true });
  writeFileSync(svg, svgTable(file));
  console.log(`wrote ${svg}`);
}

export const peersGroup: BenchGroup = {
  name: 'Peers',
  description: describeProtocol(process.env.XCNN_BENCH_PEERS_NET || 'paper'),
  run: runPeers,
};
