/**
 * The training recipe against PyTorch itself, where a Python with torch is found (as
 * test/pytorch-interchange.test.ts looks for one; skipped and said otherwise): test/fixtures/pytorch/
 * recipe_fixtures.py gives torch.optim's parameters after three updates (SGD with momentum, Nesterov and weight
 * decay; Adam with L2 decay; AdamW), the schedulers' rate at every update (StepLR, CosineAnnealingLR per epoch;
 * OneCycleLR and LinearLR warm-up per batch), clip_grad_norm_ and CrossEntropyLoss(label_smoothing) with its
 * gradient, all in float64. xcnn's optimisers run on the float64 reference backend (≤ 1e-12) and on the wasm
 * backend's memory (float32, ≤ 1e-5).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import type { Network } from '../src/model/network.js';
import { Adam, ADAM_DEFAULTS, AdamW } from '../src/train/adam.js';
import { clipGradNorm } from '../src/train/gradient-clipping.js';
import type { Optimizer } from '../src/train/optimizer.js';
import { CONSTANT_SCHEDULE, scheduledRate, type ScheduleSettings } from '../src/train/schedule.js';
import { Sgd } from '../src/train/sgd.js';
import { arenas, expectClose, f64, run } from './fixtures/optimizer-runs.js';


const SCRIPT = fileURLToPath(new URL('./fixtures/pytorch/recipe_fixtures.py', import.meta.url));

function findTorchPython(): string | null {
  for (const path of [process.env.XCNN_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p)) {
    if (spawnSync(path, ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 }).status === 0) return path;
  }
  return null;
}

const python = findTorchPython();
if (python === null) console.log('SKIPPED the recipe against PyTorch: no Python that can import torch (set XCNN_PYTHON, or install python3-torch)');

const PARAMS = [0.3, -1.2, 2.5, 0.01];
const GRADS = [
  [0.5, -1, 0.02, 3],
  [0.25, 0.5, -0.7, 1],
  [-0.4, 0.1, 0.3, -2],
];
const RATES = [0.1, 0.05, 0.02];
const OPTIMIZERS = [
  { name: 'sgd', momentum: 0, nesterov: false, weightDecay: 0 },
  { name: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 0.01 },
  { name: 'sgd', momentum: 0.8, nesterov: true, weightDecay: 0.05 },
  { name: 'adam', momentum: 0, nesterov: false, weightDecay: 0 },
  { name: 'adam', momentum: 0, nesterov: false, weightDecay: 0.1 },
  { name: 'adamw', momentum: 0, nesterov: false, weightDecay: 0.1 },
] as const;
const SCHEDULES: Array<ScheduleSettings & { epochs: number; updatesPerEpoch: number; lr: number }> = [
  { ...CONSTANT_SCHEDULE, name: 'step', stepSize: 2, gamma: 0.3, epochs: 5, updatesPerEpoch: 3, lr: 0.1 },
  { ...CONSTANT_SCHEDULE, name: 'cosine', epochs: 6, updatesPerEpoch: 2, lr: 0.01 },
  { ...CONSTANT_SCHEDULE, name: 'one-cycle', epochs: 4, updatesPerEpoch: 5, lr: 0.5 },
  { ...CONSTANT_SCHEDULE, name: 'one-cycle', epochs: 1, updatesPerEpoch: 7, lr: 0.5 },
  { ...CONSTANT_SCHEDULE, warmup: 5, epochs: 3, updatesPerEpoch: 3, lr: 0.2 },
  { ...CONSTANT_SCHEDULE, name: 'step', stepSize: 1, gamma: 0.5, warmup: 4, epochs: 3, updatesPerEpoch: 2, lr: 1 },
];
const CLIPS: Array<[number[], number]> = [
  [[3, 4, 0, -12], 1],
  [[0.1, -0.2], 5],
];
const SMOOTHING = [{ logits: [[2, -1, 0.5], [0.1, 0.2, 0.3]], labels: [0, 2], epsilon: 0.1 }, { logits: [[5, -5]], labels: [1], epsilon: 0.4 }];

describe.skipIf(python === null)('the recipe against PyTorch', () => {
  const answers = (() => {
    if (python === null) return null;
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-recipe-'));
    writeFileSync(join(dir, 'cases.json'), JSON.stringify({ optimizers: OPTIMIZERS.map((o) => ({ ...o, params: PARAMS, grads: GRADS, rates: RATES })), schedules: SCHEDULES, clip: CLIPS, smoothing: SMOOTHING }));
    const result = spawnSync(python, [SCRIPT, join(dir, 'cases.json'), join(dir, 'out.json')], { encoding: 'utf8', timeout: 300_000 });
    if (result.status !== 0) throw new Error(`${SCRIPT} failed: ${result.stderr}`);
    return JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { optimizers: number[][][]; schedules: number[][]; clip: number[][]; smoothing: Array<{ loss: number; grad: number[][] }> };
  })();

  const make = (network: Network, o: (typeof OPTIMIZERS)[number]): Optimizer =>
    o.name === 'sgd' ? new Sgd(network, { learningRate: 1, momentum: o.momentum, nesterov: o.nesterov, weightDecay: o.weightDecay }) : o.name === 'adamw' ? new AdamW(network, ADAM_DEFAULTS, o.weightDecay) : new Adam(network, ADAM_DEFAULTS, o.weightDecay);

  OPTIMIZERS.forEach((o, k) => {
    const label = `${o.name}${o.momentum ? ` momentum ${o.momentum}` : ''}${o.nesterov ? ' nesterov' : ''}${o.weightDecay ? ` decay ${o.weightDecay}` : ''}`;
    it(`${label}: three updates as torch.optim's (float64 ≤ 1e-12; wasm float32 ≤ 1e-5)`, async () => {
      const expected = answers!.optimizers[k];
      const reference = arenas(f64(), PARAMS);
      run(reference, make(reference, o), GRADS, RATES).forEach((after, t) => expectClose(after, expected[t]));
      const wasm = await createWasmBackend();
      try {
        const net = arenas(wasm, PARAMS);
        run(net, make(net, o), GRADS, RATES).forEach((after, t) => expectClose(after, expected[t], 1e-5));
      } finally {
        wasm.dispose();
      }
    });
  });

  SCHEDULES.forEach((s, k) => {
    it(`${s.name}${s.name === 'step' ? `(${s.stepSize},${s.gamma})` : ''}${s.warmup ? ` with warm-up ${s.warmup}` : ''}: every update's rate as torch's scheduler gives it`, () => {
      const mine = Array.from({ length: s.epochs * s.updatesPerEpoch }, (_, update) =>
        scheduledRate(s.lr, s, { update, epoch: Math.floor(update / s.updatesPerEpoch), epochs: s.epochs, updatesPerEpoch: s.updatesPerEpoch }),
      );
      expectClose(mine, answers!.schedules[k], 1e-12);
    });
  });

  it('clip_grad_norm_: the same clipped gradients', () => {
    CLIPS.forEach(([grads, max], k) => {
      const mine = Float64Array.from(grads);
      clipGradNorm(mine, max);
      expectClose(Array.from(mine), answers!.clip[k], 1e-12);
    });
  });

  it('CrossEntropyLoss(label_smoothing): the same loss and gradient', () => {
    SMOOTHING.forEach((c, k) => {
      const classes = c.logits[0].length;
      const h = new SoftmaxCrossEntropy(f64(), classes, c.epsilon);
      const loss = h.forward(Float64Array.from(c.logits.flat()), Int32Array.from(c.labels), c.labels.length, true);
      expect(Math.abs(loss - answers!.smoothing[k].loss)).toBeLessThan(1e-12);
      expectClose(Array.from(h.dLogits!), answers!.smoothing[k].grad.flat(), 1e-12);
    });
  });
});
