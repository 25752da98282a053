/**
 * Where a one-thread training step's time goes, layer by layer: each layer's forward and backward pass,
 * zeroGrad, the loss and Adam, timed by CPU time around each call of the trainer's own step (SerialStep's
 * sequence, written out here so each part can be timed: the dense layers' weight gradients made after the backward
 * pass and timed with their layer's backward, the other gradients zeroed), over many steps on 64 MNIST images a batch.
 *
 *   node dist/bench/step-profile.js [ARCH] [steps]      (ARCH a preset of src/model/spec.ts or a spec in quotes,
 *                                                        for MNIST's 1×28×28 images; default modern, 60 steps)
 *   node dist/bench/step-profile.js ARCH STEPS --inference
 *   node dist/bench/step-profile.js ARCH STEPS --after N       (N untimed training steps first)
 *
 * With `--after N` the profiled steps come after N steps of training (the data in order, again from the start
 * after each pass): a trained network's step, not a fresh one's — the state in which Adam's moments once turned
 * subnormal and slowed it 6.6× (docs/speed-history.md).
 * With `--inference` it profiles `predict`'s batch instead: 256 test images a batch, loaded, each layer's forward
 * pass in evaluation mode, and the softmax head, as src/eval/predict.ts runs them.
 *
 * Prints, per part, the median ms per step and its share of the summed medians; for the parts that do multiply-adds
 * (each convolution's and linear layer's passes), their counted rate and its percentage of one core's SIMD ceiling
 * loop, measured between the steps (assembly/ceiling.ts, as the bench's ceiling group does). Then the bounds of
 * bench/step-bound.ts: the step's percentage of the ceiling were every counted multiply-add done at the ceiling
 * loop's rate (or at the GEMM's own rate on a panel-sized product, also measured between the steps) and the
 * rest as measured. A profile to read, not a benchmark: the timer's own cost, measured, is taken off each part.
 * The bounds are the profiled sequence's: where the trainer fuses passes this profile times apart (the paper's
 * first block, run by trainingForward in chunks of images, its conv, ReLU and pool at once), the real step has less
 * rest, and the output says so.
 */
import { createWasmBackend, enableRelaxedSimd } from '../src/backend/wasm/node.js';
import { BatchLoader, range } from '../src/data/batch.js';
import { loadDataset } from '../src/data/dataset-files.js';
import type { Dense } from '../src/model/dense.js';
import { EVALUATION, trainingPass, type Layer } from '../src/model/layer.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { MNIST_GEOMETRY } from '../src/model/network.js';
import { planNetwork } from '../src/model/spec.js';
import { Random } from '../src/random.js';
import { deferredWeights, rangesWithout } from '../src/train/deferred-weights.js';
import { randomFloats } from './bench-group.js';
import { GEMM_RATE_SHAPE } from './simd-ceiling.js';
import { boundPercent, partFlops, requiredRatePercent } from './step-bound.js';
import { BATCH, median, networkWithAdam } from './training-step.js';

function cpuMs(fn: () => void): number {
  const started = process.cpuUsage();
  fn();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

const INFERENCE_BATCH = 256; // predict()'s default
const CEILING_ITERATIONS = 1_000_000; // ~1 ms a call, as the ceiling group's

async function main(): Promise<void> {
  const [arch = 'modern', stepsArgument = '60'] = process.argv.slice(2).filter((argument, k, all) => !argument.startsWith('--') && all[k - 1] !== '--after');
  const steps = Number(stepsArgument);
  if (!Number.isSafeInteger(steps) || steps < 1) throw new Error(`step-profile: the number of steps must be a whole number ≥ 1, got '${stepsArgument}'`);
  const inference = process.argv.includes('--inference');
  enableRelaxedSimd(); // as the xcnn command and the bench do: the kernels the command runs
  const backend = await createWasmBackend();
  const { network, optimizer } = networkWithAdam(backend, arch);
  const head = new SoftmaxCrossEntropy(backend, network.outputShape[0]);
  const { train, test } = loadDataset();
  const samples = new Map<string, number[]>();
  const record = (part: string, ms: number) => (samples.get(part) ?? samples.set(part, []).get(part)!).push(ms);
  const after = process.argv.indexOf('--after');
  const warmUp = after < 0 ? 5 : Number(process.argv[after + 1]);
  if (!Number.isSafeInteger(warmUp) || warmUp < 0) throw new Error(`step-profile: --after needs a whole number of steps ≥ 0, got '${process.argv[after + 1]}'`);
  // Between the steps: one core's ceiling loop and the GEMM's own rate (GFLOP/s), so the parts are read against
  // the machine of the same minutes; and the cost of the timer itself, taken off every part.
  const rates = { ceiling: [] as number[], gemm: [] as number[], timerMs: [] as number[] };
  const { M, N, K } = GEMM_RATE_SHAPE;
  const operands = [M * K, K * N].map((length) => randomFloats(backend, length, new Random(1)));
  const product = backend.allocFloats(M * N);
  const sampleRates = () => {
    let flops = 0;
    const ceilingMs = cpuMs(() => (flops = backend.simdCeiling(CEILING_ITERATIONS)));
    rates.ceiling.push(flops / (ceilingMs * 1e6));
    const gemm = () => backend.gemm(false, false, M, N, K, operands[0], K, operands[1], N, product, N, false);
    gemm(); // its panels and operands into the caches, as in the ceiling group's repeated calls
    rates.gemm.push((2 * M * N * K) / (cpuMs(gemm) * 1e6));
    rates.timerMs.push(cpuMs(() => {}));
  };
  const print = (title: string, imagesPerStep: number) => {
    const timerMs = median(rates.timerMs);
    const ceiling = median(rates.ceiling);
    const gemm = median(rates.gemm);
    const flops = partFlops(planNetwork(arch, MNIST_GEOMETRY), imagesPerStep, !inference);
    const rows = [...samples].map(([part, ms]) => ({ part, ms: Math.max(0, median(ms) - timerMs), flops: flops.get(part) }));
    const total = rows.reduce((sum, row) => sum + row.ms, 0);
    console.log(`${arch} ${title}, 1 thread, ${backend.build}, batch ${imagesPerStep}, medians of ${steps} steps (CPU time, less the timer's ${(1000 * timerMs).toFixed(1)} µs a part); total ${total.toFixed(2)} ms = ${((1000 * imagesPerStep) / total).toFixed(0)} images/s`);
    console.log(`between the steps: the ceiling loop ${ceiling.toFixed(1)} GFLOP/s, the GEMM on ${M} × ${N} × ${K} ${gemm.toFixed(1)} (${((100 * gemm) / ceiling).toFixed(0)} % of it)`);
    for (const { part, ms, flops: partFlops } of rows) {
      const rate = partFlops === undefined ? '' : `  ${(partFlops / (ms * 1e6)).toFixed(1).padStart(6)} GFLOP/s ${((100 * partFlops) / (ms * 1e6) / ceiling).toFixed(0).padStart(4)} % of the ceiling`;
      console.log(`${part.padEnd(22)} ${ms.toFixed(3).padStart(8)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)} %${rate}`);
    }
    const countedMflop = [...flops.values()].reduce((sum, f) => sum + f, 0) / 1e6;
    const multiplyAddMs = rows.reduce((sum, row) => sum + (row.flops === undefined ? 0 : row.ms), 0);
    const restMs = total - multiplyAddMs;
    const whole = inference ? 'the batch' : 'the step';
    const share = boundPercent(countedMflop, restMs, countedMflop / multiplyAddMs, ceiling);
    const atCeiling = boundPercent(countedMflop, restMs, ceiling, ceiling);
    console.log(`multiply-adds, counted as direct: ${countedMflop.toFixed(1)} MFLOP in ${multiplyAddMs.toFixed(2)} ms; ${whole} ${share.toFixed(0)} % of the ceiling; the rest ${restMs.toFixed(2)} ms`);
    console.log(`bound: every multiply-add at the ceiling loop's rate, the rest as measured: ${atCeiling.toFixed(0)} % of the ceiling`);
    if (share > atCeiling) console.log(`(${whole} passes it: some of its convolutions run by Winograd, with fewer multiply-adds than counted)`);
    console.log(`bound: every multiply-add at the GEMM's own rate, the rest as measured: ${boundPercent(countedMflop, restMs, gemm, ceiling).toFixed(0)} % of the ceiling`);
    const needed = requiredRatePercent(countedMflop, restMs, ceiling, 80);
    console.log(
      needed === Infinity
        ? `for 80 % of the ceiling with the rest as measured: out of reach at any rate of the multiply-adds (the rest alone takes the time 80 % allows)`
        : `for 80 % of the ceiling with the rest as measured, the multiply-adds would need ${needed.toFixed(0)} % of the ceiling loop's rate`,
    );
    const chunks = network.trainingChunks;
    if (!inference && chunks !== null) {
      console.log(`(the trainer runs this net's first ${chunks.layers} layers ${chunks.images} images at a time in one pass, trainingForward's first block, where this profile times them apart: its step has less rest than here)`);
    }
  };
  if (inference) {
    const loader = new BatchLoader(backend, test);
    const batches = Math.floor(test.count / INFERENCE_BATCH);
    for (let step = 0; step < steps + warmUp; step++) {
      const timed = (part: string, fn: () => void) => {
        const ms = cpuMs(fn);
        if (step >= warmUp) record(part, ms);
      };
      if (step >= warmUp) sampleRates();
      const first = (step % batches) * INFERENCE_BATCH;
      let batch: ReturnType<BatchLoader['load']> | undefined;
      timed('load', () => (batch = loader.load(range(first, first + INFERENCE_BATCH))));
      let x = batch!.input;
      for (const layer of network.layers) timed(`${layer.name} forward`, () => (x = layer.forward(x, INFERENCE_BATCH, EVALUATION)));
      timed('softmax head', () => head.forward(x, batch!.labels, INFERENCE_BATCH, false));
    }
    print('inference batch', INFERENCE_BATCH);
    return;
  }
  const loader = new BatchLoader(backend, train);
  const batches = Math.floor(train.count / BATCH);
  const order = range(0, batches * BATCH);
  // As SerialStep (src/train/step.ts): the dense layers' weight gradients made after the backward pass, each
  // overwriting its gradient (timed as part of that layer's backward), so the step zeroes only the others.
  const deferred = deferredWeights(network);
  const deferredLayers = new Set<Layer>(deferred.map((d) => d.layer));
  const zeroed = rangesWithout(0, network.grads.length, deferred);
  for (let step = 0; step < steps + warmUp; step++) {
    const stepMs = new Map<string, number>();
    const timed = (part: string, fn: () => void) => stepMs.set(part, (stepMs.get(part) ?? 0) + cpuMs(fn));
    if (step >= warmUp) sampleRates();
    const first = (step % batches) * BATCH;
    const batch = loader.load(order.subarray(first, first + BATCH));
    timed('zeroGrad', () => {
      for (const [a, b] of zeroed) network.grads.fill(0, a, b);
    });
    const mode = trainingPass(0, optimizer.step + 1);
    let x = batch.input;
    for (const layer of network.layers) timed(`${layer.name} forward`, () => (x = layer.forward(x, BATCH, mode)));
    timed('loss', () => head.forward(x, batch.labels, BATCH, true));
    let d = head.dLogits;
    for (let k = network.layers.length - 1; k >= 0 && d !== null; k--) {
      const layer = network.layers[k];
      const backward = deferredLayers.has(layer) ? () => (d = (layer as Dense).backwardWithoutWeightGradient(d!, k > 0)) : () => (d = layer.backward(d!, k > 0));
      timed(`${layer.name} backward`, backward);
    }
    for (const w of deferred) {
      timed(`${w.layer.name} backward`, () => backend.denseWeightGradientElements(w.layer, [w.layer.weightGradientOperands()], w.layer.weight.grad, 0, w.length));
    }
    timed('adam', () => optimizer.update());
    if (step >= warmUp) for (const [part, ms] of stepMs) record(part, ms);
  }
  print(after < 0 ? 'training step' : `training step after ${warmUp} steps`, BATCH);
}

// A bad argument or spec is one line, as the command's errors are, not a stack.
await main().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(2);
});
