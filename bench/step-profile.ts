/**
 * Where a one-thread training step's time goes, layer by layer: each layer's forward and backward pass,
 * zeroGrad, the loss and Adam, timed by CPU time around each call of the trainer's own step (SerialStep's
 * sequence, written out here so each part can be timed), over many steps on 64 MNIST images a batch.
 *
 *   node dist/bench/step-profile.js [PRESET] [steps]      (PRESET as in src/model/spec.ts; default modern, 60 steps)
 *   node dist/bench/step-profile.js PRESET STEPS --inference
 *   node dist/bench/step-profile.js PRESET STEPS --after N       (N untimed training steps first)
 *
 * With `--after N` the profiled steps come after N steps of training (the data in order, again from the start
 * after each pass): a trained network's step, not a fresh one's — the state in which Adam's moments once turned
 * subnormal and slowed it 6.6× (docs/speed-history.md).
 * With `--inference` it profiles `predict`'s batch instead: 256 test images a batch, loaded, each layer's forward
 * pass in evaluation mode, and the softmax head, as src/eval/predict.ts runs them.
 *
 * Prints, per part, the median ms per step and its share of the summed medians. A profile to read, not a
 * benchmark: the timer calls add a few µs a part.
 */
import { BatchLoader, range } from '../src/data/batch.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { EVALUATION, trainingPass } from '../src/model/layer.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { BATCH, median, presetNetworkWithAdam } from './training-step.js';

function cpuMs(fn: () => void): number {
  const started = process.cpuUsage();
  fn();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

const INFERENCE_BATCH = 256; // predict()'s default

async function main(): Promise<void> {
  const [preset = 'modern', stepsArgument = '60'] = process.argv.slice(2).filter((argument, k, all) => !argument.startsWith('--') && all[k - 1] !== '--after');
  const steps = Number(stepsArgument);
  const inference = process.argv.includes('--inference');
  const backend = await createWasmBackend();
  const { network, optimizer } = presetNetworkWithAdam(backend, preset);
  const head = new SoftmaxCrossEntropy(backend, network.outputShape[0]);
  const { train, test } = loadDataset();
  const samples = new Map<string, number[]>();
  const record = (part: string, ms: number) => (samples.get(part) ?? samples.set(part, []).get(part)!).push(ms);
  const after = process.argv.indexOf('--after');
  const warmUp = after < 0 ? 5 : Number(process.argv[after + 1]);
  if (!Number.isSafeInteger(warmUp) || warmUp < 0) throw new Error(`--after needs a number of steps, got ${process.argv[after + 1]}`);
  const print = (title: string, imagesPerStep: number) => {
    const rows = [...samples].map(([part, ms]) => ({ part, ms: median(ms) }));
    const total = rows.reduce((sum, row) => sum + row.ms, 0);
    console.log(`${preset} ${title}, 1 thread, ${backend.build}, batch ${imagesPerStep}, medians of ${steps} steps (CPU time); total ${total.toFixed(2)} ms = ${((1000 * imagesPerStep) / total).toFixed(0)} images/s`);
    for (const { part, ms } of rows) console.log(`${part.padEnd(22)} ${ms.toFixed(3).padStart(8)} ms  ${((100 * ms) / total).toFixed(1).padStart(5)} %`);
  };
  if (inference) {
    const loader = new BatchLoader(backend, test);
    const batches = Math.floor(test.count / INFERENCE_BATCH);
    for (let step = 0; step < steps + warmUp; step++) {
      const timed = (part: string, fn: () => void) => {
        const ms = cpuMs(fn);
        if (step >= warmUp) record(part, ms);
      };
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
  for (let step = 0; step < steps + warmUp; step++) {
    const timed = (part: string, fn: () => void) => {
      const ms = cpuMs(fn);
      if (step >= warmUp) record(part, ms);
    };
    const first = (step % batches) * BATCH;
    const batch = loader.load(order.subarray(first, first + BATCH));
    timed('zeroGrad', () => network.zeroGrad());
    const mode = trainingPass(0, optimizer.step + 1);
    let x = batch.input;
    for (const layer of network.layers) timed(`${layer.name} forward`, () => (x = layer.forward(x, BATCH, mode)));
    timed('loss', () => head.forward(x, batch.labels, BATCH, true));
    let d = head.dLogits;
    for (let k = network.layers.length - 1; k >= 0 && d !== null; k--) {
      const layer = network.layers[k];
      timed(`${layer.name} backward`, () => (d = layer.backward(d!, k > 0)));
    }
    timed('adam', () => optimizer.update());
  }
  print(after < 0 ? 'training step' : `training step after ${warmUp} steps`, BATCH);
}

await main();
