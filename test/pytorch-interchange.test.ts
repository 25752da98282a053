/**
 * Networks from the spec syntax against PyTorch. test/fixtures/pytorch/make_fixtures.py translates each
 * case's spec into an nn.Sequential by its own code, initialises it from the seed (batch norm's weight, bias
 * and running statistics randomised), and writes its state_dict as safetensors with PyTorch's numeric names
 * together with PyTorch's answers on a random batch: evaluation logits, one training pass (logits, mean
 * cross-entropy, every parameter's gradient — batch norm's batch statistics included — and the running
 * statistics after it) and Grad-CAM by autograd on the last convolution's block. xcnn loads the state_dict
 * with `loadModelFromBytes(…, { arch })` on the float64 reference backend and on the wasm backend and must
 * give the same numbers:
 *
 *   logits               max |Δ| ≤ 1e-4
 *   gradients            max |Δ| ≤ 1e-4 × the tensor's largest |gradient|
 *   running statistics   max |Δ| ≤ 1e-4 × max(1, the tensor's largest |value|); num_batches_tracked exactly
 *   Grad-CAM maps        max |Δ| ≤ 1e-3 × max(1e-3, the image's largest map value), same target class
 *
 * PyTorch computes in float64 from the float32 weights and inputs xcnn reads, so the float64 reference
 * should agree to rounding (~1e-12) and wasm to float32's (~1e-6); every test prints its largest difference.
 *
 * Dropout: PyTorch draws its masks from its own generator, which cannot be shared. The evaluation logits
 * and Grad-CAM (evaluation mode) need no mask; for the training pass the test hands the fixture script
 * xcnn's masks (each element decided by dropout.ts's `uniformAt(seed, step, layer, sample, element)`), which
 * PyTorch applies with nn.Dropout's inverted scaling. So what is compared is the layers' arithmetic given a
 * mask; that xcnn's masks keep each element with probability 1 − p is dropout's own test's business.
 *
 * One Python process makes every case's fixture (~3 s). Without a Python that can `import torch` (tried:
 * $XCNN_PYTHON, python3, /usr/bin/python3) the comparisons are skipped and say so; .ci/run installs Debian's
 * python3-torch so that CI runs them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend, Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { ImageSet } from '../src/data/dataset.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { encodeSafetensors } from '../src/files/safetensors.js';
import { uniformAt } from '../src/model/dropout.js';
import { trainingPass } from '../src/model/layer.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { loadModelFromBytes, networkTensors } from '../src/model/model-file.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { explainableLayers, planNetwork, resolveSpec, type NetworkGeometry } from '../src/model/spec.js';
import { Random } from '../src/random.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/pytorch/make_fixtures.py', import.meta.url));
const BATCH = 4;
const TRAINING_STEP = 1; // the step number the training pass's dropout masks are drawn for

interface Case {
  name: string;
  spec: string; // resolved: no preset names
  geometry: NetworkGeometry;
  seed: number;
}

const mnist = (classes = 10): NetworkGeometry => ({ channels: 1, height: 28, width: 28, classes });
const colour = (classes = 10): NetworkGeometry => ({ channels: 3, height: 32, width: 32, classes });

const HAND_WRITTEN: Case[] = [
  { name: 'stride-pad-bn2d-overlapping-avgpool', spec: 'conv(6,3,stride=2,pad=1) bn relu conv(8,3,pad=2) relu avgpool(3,stride=2) flatten linear(10)', geometry: mnist(), seed: 11 },
  { name: 'colour-overlapping-maxpool-bn1d', spec: 'conv(6,5) relu maxpool(3,stride=2) conv(8,3,stride=2,pad=1) bn relu flatten bn linear(16) relu linear(7)', geometry: colour(7), seed: 12 },
  { name: 'colour-gap-dropout', spec: 'conv(8,3,pad=1) bn relu avgpool(2) conv(12,3) relu dropout(0.3) gap flatten dropout(0.5) linear(10)', geometry: colour(), seed: 13 },
  { name: 'mnist-maxpool-stride-1-no-relu-before-pool', spec: 'conv(5,4,stride=3,pad=3) maxpool(2,stride=1) relu flatten linear(12) bn dropout(0.2) linear(3)', geometry: mnist(3), seed: 14 },
  { name: 'preset-paper', spec: resolveSpec('paper', 10), geometry: mnist(), seed: 21 },
  { name: 'preset-lenet5', spec: resolveSpec('lenet5', 10), geometry: mnist(), seed: 22 },
  { name: 'preset-lenet5-colour', spec: resolveSpec('lenet5', 10), geometry: colour(), seed: 23 },
  { name: 'preset-modern', spec: resolveSpec('modern', 10), geometry: mnist(), seed: 24 },
  { name: 'preset-modern-colour', spec: resolveSpec('modern', 10), geometry: colour(), seed: 25 },
];

/**
 * A random valid spec: one or two conv blocks (stride 1–2, padding below the kernel, bn and dropout
 * sometimes, a max or average pool with or without overlap most times), sometimes gap, then flatten, an
 * optional hidden linear layer (with bn, dropout) and the classifier. Drawn until planNetwork accepts it.
 */
function randomSpec(random: Random, geometry: NetworkGeometry): string {
  const chance = (p: number) => random.next() < p;
  for (;;) {
    const layers: string[] = [];
    for (let block = 1 + random.int(2); block > 0; block--) {
      const kernel = 1 + random.int(5);
      const stride = 1 + random.int(2);
      const pad = random.int(Math.min(kernel, 3));
      layers.push(`conv(${2 + random.int(6)},${kernel}${stride > 1 ? `,stride=${stride}` : ''}${pad > 0 ? `,pad=${pad}` : ''})`);
      if (chance(0.5)) layers.push('bn');
      layers.push('relu');
      if (chance(0.3)) layers.push(`dropout(0.${1 + random.int(5)})`);
      if (chance(0.7)) {
        const poolKernel = 2 + random.int(2);
        const poolStride = 1 + random.int(poolKernel);
        layers.push(`${chance(0.5) ? 'maxpool' : 'avgpool'}(${poolKernel}${poolStride !== poolKernel ? `,stride=${poolStride}` : ''})`);
      }
    }
    if (chance(0.3)) layers.push('gap');
    layers.push('flatten');
    if (chance(0.5)) {
      layers.push(`linear(${4 + random.int(12)})`);
      if (chance(0.5)) layers.push('bn');
      layers.push('relu');
      if (chance(0.4)) layers.push('dropout(0.5)');
    }
    layers.push(`linear(${geometry.classes})`);
    const spec = layers.join(' ');
    try {
      planNetwork(spec, geometry);
      return spec;
    } catch {
      continue;
    }
  }
}

const RANDOM: Case[] = (() => {
  const random = new Random(2026);
  return Array.from({ length: 6 }, (_, k) => {
    const geometry = { channels: [1, 3][random.int(2)], height: [28, 32][random.int(2)], width: 0, classes: 2 + random.int(9) };
    geometry.width = geometry.height;
    return { name: `random-${k + 1}`, spec: randomSpec(random, geometry), geometry, seed: 100 + k };
  });
})();

const CASES = [...HAND_WRITTEN, ...RANDOM];

// ---------------------------------------------------------------- PyTorch's side

function pythonCandidates(): string[] {
  return [process.env.XCNN_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => p !== undefined && p !== '');
}

/** The first candidate Python that can import torch (and numpy, which the fixture script writes with). */
function findTorchPython(): { path: string; version: string } | null {
  for (const path of pythonCandidates()) {
    const probe = spawnSync(path, ['-c', 'import numpy, torch; print(torch.__version__)'], { encoding: 'utf8', timeout: 120_000 });
    if (probe.status === 0) return { path, version: probe.stdout.trim() };
  }
  return null;
}

/** xcnn's dropout masks of the training pass, for the fixture script: Sequential index → keep flags [N, ...shape]. */
function dropoutKeep(c: Case): Record<string, number[]> {
  const keep: Record<string, number[]> = {};
  for (const layer of planNetwork(c.spec, c.geometry).layers) {
    if (layer.spec.kind !== 'dropout') continue;
    const perSample = layer.inputShape.reduce((a, b) => a * b, 1);
    const flags: number[] = [];
    for (let n = 0; n < BATCH; n++) {
      for (let k = 0; k < perSample; k++) flags.push(uniformAt(c.seed, TRAINING_STEP, layer.ordinal, n, k) < 1 - layer.spec.args.p ? 1 : 0);
    }
    keep[String(layer.index)] = flags;
  }
  return keep;
}

/** Runs the fixture script once for every case; returns the folder it wrote. */
function makeFixtures(python: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'xcnn-pytorch-'));
  const cases = CASES.map((c) => ({ name: c.name, spec: c.spec, ...c.geometry, batch: BATCH, seed: c.seed, dropout_keep: dropoutKeep(c) }));
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
  const run = spawnSync(python, [SCRIPT, join(dir, 'cases.json'), dir], { encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) throw new Error(`${SCRIPT} failed (status ${run.status}): ${run.stderr || run.error}`);
  return dir;
}

/** The float64 tensors of a safetensors file the fixture script wrote (its `.expected` files are all F64). */
function readFloat64Tensors(bytes: Uint8Array): Map<string, Float64Array> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { dtype: string; data_offsets: [number, number] }>;
  const tensors = new Map<string, Float64Array>();
  for (const [name, { dtype, data_offsets: [begin, end] }] of Object.entries(header)) {
    if (dtype !== 'F64') throw new Error(`expected F64 tensors, '${name}' is ${dtype}`);
    const data = new Float64Array((end - begin) / 8);
    for (let k = 0; k < data.length; k++) data[k] = view.getFloat64(8 + headerLength + begin + 8 * k, true);
    tensors.set(name, data);
  }
  return tensors;
}

// ---------------------------------------------------------------- xcnn's side

/** What xcnn computes for a case, named as in the Sequential's state_dict. */
interface XcnnAnswers {
  evalLogits: Float64Array;
  camMaps: Float64Array | null; // [N, h, w]
  camTargets: Int32Array | null;
  trainLogits: Float64Array;
  loss: number;
  grads: Map<string, Float64Array>; // 'grad.0.weight' …
  buffers: Map<string, Float64Array>; // 'after.1.running_var' …
}

/** 'bn1.running_var' → '3.running_var': the Sequential index of the xcnn layer. */
function sequentialName(network: Network, name: string): string {
  const dot = name.indexOf('.');
  const layer = network.plan!.layers.find((l) => l.name === name.slice(0, dot))!;
  return `${layer.index}${name.slice(dot)}`;
}

function answers(backend: Backend, c: Case, stateDict: Uint8Array, expected: Map<string, Float64Array>): XcnnAnswers {
  // A network with gap fits any image size: the state_dict's tensors cannot say which, so the data's geometry is given.
  const options = c.spec.includes('gap') ? { arch: c.spec, input: c.geometry } : { arch: c.spec };
  const { network } = loadModelFromBytes(stateDict, backend, `${c.name}.safetensors`, options);
  const { classes } = c.geometry;
  const input = backend.allocFloats(expected.get('input')!.length);
  input.set(expected.get('input')!);
  const labels = backend.allocInts(BATCH);
  labels.set(expected.get('labels')!);

  const evalLogits = Float64Array.from(network.forward(input, BATCH));

  let camMaps: Float64Array | null = null;
  let camTargets: Int32Array | null = null;
  if (network.layers.some((layer) => layer.name.startsWith('conv'))) {
    // Through the public API, from the images' bytes (the inputs are bytes / 255 exactly, as the loader scales them).
    const images = Uint8Array.from(expected.get('input')!, (x) => Math.round(x * 255));
    const set: ImageSet = { count: BATCH, channels: c.geometry.channels, height: c.geometry.height, width: c.geometry.width, images, labels: new Uint8Array(BATCH) };
    const explanation = gradCam(network, set, { batchSize: BATCH });
    camMaps = Float64Array.from(explanation.maps);
    camTargets = explanation.targets;
  }

  network.zeroGrad();
  const logits = network.forward(input, BATCH, trainingPass(c.seed, TRAINING_STEP));
  const head = new SoftmaxCrossEntropy(backend, classes);
  const loss = head.forward(logits, labels, BATCH, true);
  const trainLogits = Float64Array.from(logits);
  network.backward(head.dLogits!);
  const grads = new Map(network.parameters.map((p) => [`grad.${sequentialName(network, p.name)}`, Float64Array.from(p.grad)]));
  const buffers = new Map(network.bufferViews.map((b) => [`after.${sequentialName(network, b.name)}`, Float64Array.from(b.value)]));
  return { evalLogits, camMaps, camTargets, trainLogits, loss, grads, buffers };
}

function maxAbs(values: ArrayLike<number>): number {
  let largest = 0;
  for (let k = 0; k < values.length; k++) largest = Math.max(largest, Math.abs(values[k]));
  return largest;
}

function maxAbsDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
  return worst;
}

const e = (x: number) => x.toExponential(1);

// ---------------------------------------------------------------- the comparisons

const python = findTorchPython();
if (python === null) {
  console.log(`SKIPPED xcnn against PyTorch: no Python that can import torch (tried ${pythonCandidates().join(', ')}); set XCNN_PYTHON to one, or install python3-torch`);
}

describe.skipIf(python === null)(`networks from the spec syntax against PyTorch ${python?.version ?? ''}`, () => {
  let dir = '';
  const wasm = createWasmBackend();
  const backends: Array<{ label: string; backend: () => Promise<Backend> }> = [
    { label: 'reference float64', backend: async () => new ReferenceBackend({ precision: 'float64' }) },
    { label: 'wasm', backend: () => wasm },
  ];
  const computed = new Map<string, Promise<{ ours: XcnnAnswers; theirs: Map<string, Float64Array> }>>();

  beforeAll(() => {
    dir = makeFixtures(python!.path);
  }, 120_000);
  afterAll(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  /** A case's answers on a backend, computed once for all its tests. */
  function run(c: Case, b: (typeof backends)[number]) {
    const key = `${c.name} ${b.label}`;
    if (!computed.has(key)) {
      computed.set(
        key,
        (async () => {
          const theirs = readFloat64Tensors(readFileSync(join(dir, `${c.name}.expected.safetensors`)));
          const ours = answers(await b.backend(), c, readFileSync(join(dir, `${c.name}.safetensors`)), theirs);
          return { ours, theirs };
        })(),
      );
    }
    return computed.get(key)!;
  }

  for (const c of CASES) {
    const { channels, height, width, classes } = c.geometry;
    const plan = planNetwork(c.spec, c.geometry);
    const hasBatchNorm = plan.layers.some((layer) => layer.spec.kind === 'bn');
    const hasConv = plan.layers.some((layer) => layer.spec.kind === 'conv');
    describe(`${c.name}: ${c.spec} on ${channels}×${height}×${width}, ${classes} classes`, () => {
      for (const b of backends) {
        const tag = `${c.name} [${b.label}]`;

        it(`${b.label}: gives PyTorch's evaluation logits (≤ 1e-4)`, async () => {
          const { ours, theirs } = await run(c, b);
          const worst = maxAbsDifference(ours.evalLogits, theirs.get('eval_logits')!);
          console.log(`${tag} eval logits: max |Δ| ${e(worst)} (largest |logit| ${e(maxAbs(theirs.get('eval_logits')!))})`);
          expect(worst).toBeLessThanOrEqual(1e-4);
        });

        it(`${b.label}: a training pass gives PyTorch's logits, loss and every parameter's gradient (≤ 1e-4 of the tensor's largest)`, async () => {
          const { ours, theirs } = await run(c, b);
          const logits = maxAbsDifference(ours.trainLogits, theirs.get('train_logits')!);
          const loss = Math.abs(ours.loss - theirs.get('loss')![0]);
          const gradients = [...theirs].filter(([name]) => name.startsWith('grad.'));
          const largest = Math.max(...gradients.map(([, expected]) => maxAbs(expected)));
          let worst = { name: '', relative: 0 };
          for (const [name, expected] of gradients) {
            const actual = ours.grads.get(name);
            expect(actual, `xcnn has no ${name}`).toBeDefined();
            // A bias right before batch norm has no gradient in training (bn subtracts the batch mean): PyTorch's is
            // float64 rounding (~1e-15), xcnn's must be its backend's rounding, measured against the network's
            // largest gradient: ≤ 1e-5 × that (float32 leaves ~5e-6 after bn's backward on a batch of 4).
            const analyticallyZero = maxAbs(expected) <= 1e-12 * largest;
            const relative = maxAbsDifference(actual!, expected) / (analyticallyZero ? 0.1 * largest : maxAbs(expected));
            if (relative >= worst.relative) worst = { name, relative };
            expect(relative, name).toBeLessThanOrEqual(1e-4);
          }
          expect(ours.grads.size).toBe([...theirs.keys()].filter((name) => name.startsWith('grad.')).length);
          console.log(`${tag} training: logits max |Δ| ${e(logits)}, loss |Δ| ${e(loss)}, gradients max |Δ| ${e(worst.relative)} × max |grad| (${worst.name.slice(5)})`);
          expect(logits).toBeLessThanOrEqual(1e-4);
          expect(loss).toBeLessThanOrEqual(1e-5 * Math.max(1, theirs.get('loss')![0]));
        });

        it.skipIf(!hasBatchNorm)(`${b.label}: the training pass moves batch norm's running statistics as PyTorch's does`, async () => {
          const { ours, theirs } = await run(c, b);
          let worst = { name: '', relative: 0 };
          for (const [name, expected] of [...theirs].filter(([name]) => name.startsWith('after.'))) {
            const actual = ours.buffers.get(name)!;
            expect(actual, `xcnn has no ${name}`).toBeDefined();
            if (name.endsWith('num_batches_tracked')) {
              expect([...actual], name).toEqual([...expected]);
              continue;
            }
            const relative = maxAbsDifference(actual, expected) / Math.max(1, maxAbs(expected));
            if (relative >= worst.relative) worst = { name, relative };
            expect(relative, name).toBeLessThanOrEqual(1e-4);
          }
          console.log(`${tag} running statistics: max |Δ| ${e(worst.relative)} × max(1, |value|) (${worst.name.slice(6)})`);
        });

        it.skipIf(!hasConv)(`${b.label}: gives PyTorch autograd's Grad-CAM maps on the last conv block (≤ 1e-3)`, async () => {
          const { ours, theirs } = await run(c, b);
          expect([...ours.camTargets!]).toEqual([...theirs.get('gradcam_targets')!]);
          const expected = theirs.get('gradcam_maps')!;
          const pixels = expected.length / BATCH;
          let worst = 0;
          for (let n = 0; n < BATCH; n++) {
            const theirMap = expected.subarray(n * pixels, (n + 1) * pixels);
            const difference = maxAbsDifference(ours.camMaps!.subarray(n * pixels, (n + 1) * pixels), theirMap) / Math.max(1e-3, maxAbs(theirMap));
            worst = Math.max(worst, difference);
          }
          console.log(`${tag} Grad-CAM on ${explainableLayers(plan).at(-1)!.name}: max |Δ| ${e(worst)} × the map's largest value`);
          expect(worst).toBeLessThanOrEqual(1e-3);
        });
      }
    });
  }

  it("refuses PyTorch's state_dict for another spec in one line naming the tensor, its shape and the shape expected", () => {
    const stateDict = readFileSync(join(dir, 'preset-lenet5.safetensors'));
    const wider = resolveSpec('lenet5', 10).replace('linear(120)', 'linear(100)');
    expect(() => loadModelFromBytes(stateDict, new ReferenceBackend(), 'lenet5.safetensors', { arch: wider })).toThrow(
      /^lenet5\.safetensors: not an xcnn model: tensor '7\.weight' has shape \[120, 400\], expected \[100, 400\][^\n]*$/,
    );
  });
});

describe("loading an nn.Sequential state_dict with the spec it was built from", () => {
  const geometry: NetworkGeometry = { channels: 1, height: 8, width: 8, classes: 10 };
  /** The network's tensors under nn.Sequential's numeric names, as PyTorch's safetensors.torch.save_file writes them. */
  function sequentialFile(spec: string, shape: NetworkGeometry = geometry): Uint8Array {
    const network = createNetwork(new ReferenceBackend(), spec, shape);
    return encodeSafetensors(networkTensors(network).map((tensor) => ({ ...tensor, name: sequentialName(network, tensor.name) })));
  }

  it('refuses another spec in one line naming the tensor, the shape found and the shape expected', () => {
    const file = sequentialFile('conv(4,3) bn relu flatten linear(10)');
    expect(() => loadModelFromBytes(file, new ReferenceBackend(), 'model.safetensors', { arch: 'conv(5,3) bn relu flatten linear(10)' })).toThrow(
      /^model\.safetensors: not an xcnn model: tensor '0\.weight' has shape \[4, 1, 3, 3\], expected \[5, 1, 3, 3\][^\n]*$/,
    );
    expect(() => loadModelFromBytes(file, new ReferenceBackend(), 'model.safetensors', { arch: 'conv(4,3,pad=1) bn relu flatten linear(10)', input: geometry })).toThrow(
      /^model\.safetensors: not an xcnn model: tensor '4\.weight' has shape \[10, 144\], expected \[10, 256\] for 8×8 inputs and 10 classes$/,
    );
  });

  it('infers the input size from the first linear layer, the channels from the first conv and the classes from the last layer', () => {
    const { network } = loadModelFromBytes(sequentialFile('conv(4,3) bn relu flatten linear(10)'), new ReferenceBackend(), 'model.safetensors', { arch: 'conv(4,3) bn relu flatten linear(10)' });
    expect(network.inputShape).toEqual([1, 8, 8]);
    const colourSeven = { channels: 3, height: 8, width: 8, classes: 7 };
    const seven = loadModelFromBytes(sequentialFile('conv(4,3) relu flatten linear(7)', colourSeven), new ReferenceBackend(), 'm', { arch: 'conv(4,3) relu flatten linear(7)' });
    expect([seven.network.inputShape, seven.network.outputShape]).toEqual([[3, 8, 8], [7]]);
  });

  it("takes the input size it is given (--input) for a network with gap, whose tensors fit any image size", () => {
    const spec = 'conv(4,3) relu gap flatten linear(10)';
    const file = sequentialFile(spec, { ...geometry, height: 12, width: 12 });
    expect(loadModelFromBytes(file, new ReferenceBackend(), 'm', { arch: spec, input: { height: 12, width: 12 } }).network.inputShape).toEqual([1, 12, 12]);
    expect(loadModelFromBytes(file, new ReferenceBackend(), 'm', { arch: spec }).network.inputShape).toEqual([1, 28, 28]); // a guess: the tensors cannot tell
  });
});
