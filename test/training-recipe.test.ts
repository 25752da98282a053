/**
 * The training recipe beyond the paper's, each piece against a worked example of PyTorch's definition (and
 * against torch itself in training-recipe-pytorch.test.ts):
 *
 *   optimisers   SGD (momentum, Nesterov, weight decay; dampening 0), Adam with L2 decay, AdamW's decoupled decay
 *   clipping     clip_grad_norm_ by the global L2 norm
 *   schedules    StepLR and CosineAnnealingLR per epoch, OneCycleLR per batch, LinearLR warm-up per batch
 *   loss         CrossEntropyLoss(label_smoothing): the loss by hand and the gradient by finite differences
 *
 * The optimisers run on the float64 reference backend here, so the hand figures hold to rounding.
 */
import { describe, expect, it, vi } from 'vitest';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { createNetwork } from '../src/model/network.js';
import { createOptimizer, isPlainAdam, recipeOptions } from '../src/train/recipe.js';
import type { TrainSettings } from '../src/train/settings.js';
import { Adam, ADAM_DEFAULTS, AdamW } from '../src/train/adam.js';
import { clipGradNorm, ClippedOptimizer } from '../src/train/gradient-clipping.js';
import { CONSTANT_SCHEDULE, oneCycleRate, SCHEDULE_NAMES, scheduledRate, type ScheduleSettings } from '../src/train/schedule.js';
import { Sgd } from '../src/train/sgd.js';
import { arenas, expectClose, f64, run } from './fixtures/optimizer-runs.js';


const G1 = [0.5, -1];
const G2 = [0.25, 0.5];

describe('SGD (torch.optim.SGD, dampening 0)', () => {
  it('with momentum μ = 0.9: b ← μb + g (b₁ = g), θ ← θ − lr·b', () => {
    const net = arenas(f64(), [1, -2]);
    const [first, second] = run(net, new Sgd(net, { learningRate: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 }), [G1, G2], [0.1, 0.1]);
    expectClose(first, [0.95, -1.9]); // θ − 0.1·(0.5, −1)
    expectClose(second, [0.88, -1.86]); // b = (0.9·0.5 + 0.25, 0.9·(−1) + 0.5) = (0.7, −0.4)
  });

  it('with Nesterov: θ ← θ − lr·(g + μb)', () => {
    const net = arenas(f64(), [1, -2]);
    const [first, second] = run(net, new Sgd(net, { learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0 }), [G1, G2], [0.1, 0.1]);
    expectClose(first, [0.905, -1.81]); // g + μb = (0.5 + 0.45, −1 − 0.9)
    expectClose(second, [0.817, -1.824]); // b = (0.7, −0.4); g + μb = (0.88, 0.14)
  });

  it('adds weight decay λθ to the gradient before the momentum', () => {
    const net = arenas(f64(), [1, -2]);
    const [first] = run(net, new Sgd(net, { learningRate: 0.1, momentum: 0, nesterov: false, weightDecay: 0.1 }), [G1], [0.1]);
    expectClose(first, [0.94, -1.88]); // g + 0.1θ = (0.6, −1.2)
  });

  it('counts its updates, names itself sgd, and keeps a momentum buffer laid out like the parameters', () => {
    const net = arenas(f64(), [1, -2]);
    const sgd = new Sgd(net, { learningRate: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 });
    expect([sgd.name, sgd.step]).toEqual(['sgd', 0]);
    run(net, sgd, [G1, G2], [0.1, 0.1]);
    expect(sgd.step).toBe(2);
    expect(sgd.stateArrays).toHaveLength(1);
    expect(sgd.stateArrays[0].data).toBe(sgd.momentumBuffer);
    expectClose(Array.from(sgd.momentumBuffer), [0.7, -0.4]); // b₂ = μ·g₁ + g₂, as in the worked example above
  });

  it('without momentum keeps no buffer: it stays at zero, as torch keeps momentum_buffer None', () => {
    const net = arenas(f64(), [1, -2]);
    const sgd = new Sgd(net, { learningRate: 0.1, momentum: 0, nesterov: false, weightDecay: 0 });
    const [first, second] = run(net, sgd, [G1, G2], [0.1, 0.1]);
    expectClose(first, [0.95, -1.9]); // θ − 0.1·g₁
    expectClose(second, [0.925, -1.95]); // − 0.1·g₂: nothing carried over from g₁
    expect(Array.from(sgd.momentumBuffer)).toEqual([0, 0]);
  });

  it('gives its buffer back to the backend when disposed', () => {
    const net = arenas(f64(), [1, -2]);
    const sgd = new Sgd(net, { learningRate: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 });
    const free = vi.spyOn(net.backend, 'free');
    sgd.dispose();
    expect(free).toHaveBeenCalledWith(sgd.momentumBuffer);
  });
});

describe('Adam with L2 decay and AdamW (decoupled), first update: Adam moves each θ by lr·sign(g)', () => {
  const step = (g: number) => g / (Math.abs(g) + 1e-8); // m̂/(√v̂ + ε) at t = 1
  it('Adam: g ← g + λθ, then the Adam step', () => {
    const net = arenas(f64(), [1, -2]);
    const [first] = run(net, new Adam(net, ADAM_DEFAULTS, 0.5), [G1], [0.1]);
    expectClose(first, [1 - 0.1 * step(0.5 + 0.5), -2 - 0.1 * step(-1 - 1)]);
  });

  it('AdamW: θ ← θ·(1 − lr·λ), then the Adam step with g unchanged', () => {
    const net = arenas(f64(), [1, -2]);
    const [first] = run(net, new AdamW(net, ADAM_DEFAULTS, 0.5), [G1], [0.1]);
    expectClose(first, [1 * 0.95 - 0.1 * step(0.5), -2 * 0.95 - 0.1 * step(-1)]);
  });

  it('AdamW without decay is Adam, bit for bit', () => {
    const [a, b] = [arenas(f64(), [1, -2]), arenas(f64(), [1, -2])];
    expect(run(a, new AdamW(a, ADAM_DEFAULTS, 0), [G1, G2], [0.1, 0.1])).toEqual(run(b, new Adam(b), [G1, G2], [0.1, 0.1]));
  });
});

describe('Adam\'s contract: defaults, moments over two steps, its name and state, disposal', () => {
  it('has PyTorch\'s defaults: lr 1e-3, β 0.9 and 0.999, ε 1e-8; AdamW decays by 0.01 unless told', () => {
    expect(ADAM_DEFAULTS).toEqual({ learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const net = arenas(f64(), [1, -2]);
    const adamw = new AdamW(net);
    expect([adamw.weightDecay, adamw.learningRate, adamw.settings]).toEqual([0.01, 1e-3, ADAM_DEFAULTS]);
    expect(new Adam(net).weightDecay).toBe(0);
    // AdamW's default decay at lr 0.1: θ·(1 − 0.1·0.01), then the step.
    const step = (g: number) => g / (Math.abs(g) + 1e-8);
    const [first] = run(net, adamw, [G1], [0.1]);
    expectClose(first, [1 * 0.999 - 0.1 * step(0.5), -2 * 0.999 - 0.1 * step(-1)]);
  });

  it('keeps m and v as running averages and corrects their bias by the step count (t = 2 worked out)', () => {
    const net = arenas(f64(), [1, -2]);
    const adam = new Adam(net, { learningRate: 0.1, beta1: 0.5, beta2: 0.75, epsilon: 1e-8 });
    const [, second] = run(net, adam, [G1, G2], [0.1, 0.2]);
    // m₂ = 0.5·(0.5·g₁) + 0.5·g₂, v₂ = 0.75·(0.25·g₁²) + 0.25·g₂²; m̂ = m₂/(1 − 0.5²), v̂ = v₂/(1 − 0.75²)
    const m2 = G1.map((g1, k) => 0.5 * 0.5 * g1 + 0.5 * G2[k]);
    const v2 = G1.map((g1, k) => 0.75 * 0.25 * g1 * g1 + 0.25 * G2[k] * G2[k]);
    expectClose(Array.from(adam.m), m2);
    expectClose(Array.from(adam.v), v2);
    const afterFirst = G1.map((g, k) => [1, -2][k] - (0.1 * g) / (Math.abs(g) + 1e-8)); // t = 1 moves each θ by lr·sign(g), ε aside
    expectClose(second, afterFirst.map((theta, k) => theta - 0.2 * (m2[k] / 0.75) / (Math.sqrt(v2[k] / (1 - 0.5625)) + 1e-8)));
    expect(adam.step).toBe(2);
  });

  it('names itself and its two state arrays, which are its moments', () => {
    const net = arenas(f64(), [1, -2]);
    const [adam, adamw] = [new Adam(net), new AdamW(net)];
    expect([adam.name, adamw.name]).toEqual(['adam', 'adamw']);
    expect(adam.stateArrays.map((s) => s.name)).toEqual(['adam.m', 'adam.v']);
    expect(adam.stateArrays[0].data).toBe(adam.m);
    expect(adam.stateArrays[1].data).toBe(adam.v);
    expect([adam.m.length, adam.v.length, adam.step]).toEqual([2, 2, 0]);
  });

  it('gives both moments back once when disposed, then refuses to update, naming Adam or AdamW', () => {
    for (const [make, name] of [[(n: ReturnType<typeof arenas>) => new Adam(n), 'Adam'], [(n: ReturnType<typeof arenas>) => new AdamW(n), 'AdamW']] as const) {
      const net = arenas(f64(), [1, -2]);
      const optimizer = make(net);
      const free = vi.spyOn(net.backend, 'free');
      expect(optimizer.disposed).toBe(false);
      optimizer.dispose();
      optimizer.dispose();
      expect(free.mock.calls).toEqual([[optimizer.m], [optimizer.v]]);
      expect(optimizer.disposed).toBe(true);
      let caught: unknown;
      try {
        optimizer.update();
      } catch (error) {
        caught = error;
      }
      expect((caught as { code?: string }).code).toBe('ERR_DISPOSED');
      expect((caught as Error).message).toBe(`this ${name} optimiser was disposed: its moments went back to the backend; make a new one (or restore a checkpoint) to train on`);
      expect(Array.from(net.params)).toEqual([1, -2]);
    }
  });

  it('refuses something that is not a network, naming the class', () => {
    expect(() => new Adam('net' as never)).toThrow(/^Adam: network /);
    expect(() => new AdamW(null as never)).toThrow(/^AdamW: network /);
  });
});

describe('gradient clipping by global norm (clip_grad_norm_)', () => {
  it('scales the gradients by max/(‖g‖ + 1e-6) when that is below 1, and returns the norm before', () => {
    const grads = Float64Array.of(3, 4); // ‖g‖ = 5
    expect(clipGradNorm(grads, 1)).toBe(5);
    expectClose(Array.from(grads), [3 / (5 + 1e-6), 4 / (5 + 1e-6)]);
  });

  it('leaves gradients within the norm alone', () => {
    const grads = Float64Array.of(3, 4);
    clipGradNorm(grads, 10);
    expect(Array.from(grads)).toEqual([3, 4]);
  });

  it('clips a norm exactly at the limit too, by max/(max + 1e-6), as torch does (its clamp to 1 comes after the 1e-6)', () => {
    const grads = Float64Array.of(3, 4);
    expect(clipGradNorm(grads, 5)).toBe(5);
    expectClose(Array.from(grads), [15 / (5 + 1e-6), 20 / (5 + 1e-6)]);
  });

  it('leaves zero gradients at zero (norm 0, nothing to scale), signs and all', () => {
    const grads = Float64Array.of(0, 0);
    expect(clipGradNorm(grads, 1)).toBe(0);
    expect(Array.from(grads)).toEqual([0, 0]);
    expect(Object.is(grads[0], 0)).toBe(true);
  });

  it('sums the squares of every gradient: the norm of (1, 2, 2, 4) is 5', () => {
    const grads = Float64Array.of(1, 2, 2, 4);
    expect(clipGradNorm(grads, 100)).toBe(5);
    expect(Array.from(grads)).toEqual([1, 2, 2, 4]);
  });

  it('passes the step, the learning rate, the state and dispose through to the optimiser it wraps', () => {
    const net = arenas(f64(), [1, -2]);
    const inner = new Sgd(net, { learningRate: 1, momentum: 0.5, nesterov: false, weightDecay: 0 });
    const clipped = new ClippedOptimizer(inner, net, 100);
    expect(clipped.name).toBe('sgd');
    clipped.learningRate = 0.25; // what a schedule does before each update
    expect(inner.learningRate).toBe(0.25);
    inner.learningRate = 0.5;
    expect(clipped.learningRate).toBe(0.5);
    const [first] = run(net, clipped, [[0.5, -1]], [0.1]);
    expectClose(first, [0.95, -1.9]); // within the norm: θ − 0.1·g at the rate set through the wrapper
    expect([clipped.step, inner.step]).toEqual([1, 1]);
    clipped.step = 7; // a checkpoint restoring the count
    expect(inner.step).toBe(7);
    expect(clipped.stateArrays.map((a) => a.name)).toEqual(['sgd.momentum']);
    expect(clipped.stateArrays[0].data).toBe(inner.momentumBuffer);
    const dispose = vi.spyOn(inner, 'dispose');
    clipped.dispose();
    expect(dispose).toHaveBeenCalledOnce();
  });

  it('clips before the optimiser it wraps updates', () => {
    const net = arenas(f64(), [1, -2]);
    const [first] = run(net, new ClippedOptimizer(new Sgd(net, { learningRate: 1, momentum: 0, nesterov: false, weightDecay: 0 }), net, 0.5), [[3, 4]], [1]);
    expectClose(first, [1 - 1.5 / (5 + 1e-6), -2 - 2 / (5 + 1e-6)]);
  });
});

describe('learning-rate schedules', () => {
  const rates = (schedule: ScheduleSettings, epochs: number, updatesPerEpoch: number, lr = 1) =>
    Array.from({ length: epochs * updatesPerEpoch }, (_, update) => scheduledRate(lr, schedule, { update, epoch: Math.floor(update / updatesPerEpoch), epochs, updatesPerEpoch }));

  it('constant: the base rate throughout', () => {
    expect(rates(CONSTANT_SCHEDULE, 3, 2, 0.001)).toEqual(Array(6).fill(0.001));
  });

  it('step(2, 0.5): halves every 2 epochs, per epoch (StepLR)', () => {
    expect(rates({ ...CONSTANT_SCHEDULE, name: 'step', stepSize: 2, gamma: 0.5 }, 5, 1)).toEqual([1, 1, 0.5, 0.5, 0.25]);
  });

  it('cosine: (1 + cos(π·e/E))/2 per epoch (CosineAnnealingLR, T_max = epochs, eta_min = 0)', () => {
    expectClose(rates({ ...CONSTANT_SCHEDULE, name: 'cosine' }, 4, 2), [1, 1, 0.8535533905932737, 0.8535533905932737, 0.5, 0.5, 0.14644660940672627, 0.14644660940672627]);
  });

  it('one-cycle over 10 steps: lr/25 at step 0, the peak at step 2 (30 % − 1), lr/25/1e4 at the last', () => {
    expectClose([oneCycleRate(1, 0, 10), oneCycleRate(1, 1, 10), oneCycleRate(1, 2, 10), oneCycleRate(1, 9, 10)], [0.04, 0.52, 1, 4e-6]);
  });

  it('step(3, 0.1) over 7 epochs: lr·γ^⌊e/3⌋, the decay after every third epoch (not before it)', () => {
    expectClose(rates({ ...CONSTANT_SCHEDULE, name: 'step', stepSize: 3, gamma: 0.1 }, 7, 1, 2), [2, 2, 2, 0.2, 0.2, 0.2, 0.02]);
  });

  it('one-cycle over 4 epochs of 5 updates: torch\'s cosine annealing on each phase, worked out', () => {
    // total 20: phase 1 ends at step 0.3·20 − 1 = 5, phase 2 at 19. anneal(a, b, p) = b + (a − b)/2·(cos πp + 1).
    const one = { ...CONSTANT_SCHEDULE, name: 'one-cycle' as const };
    const all = rates(one, 4, 5);
    expect(all).toHaveLength(20);
    // step 3: p = 3/5 in phase 1, from 1/25 to 1: 1 − 0.48·(cos 0.6π + 1), cos 0.6π = −0.30901699437494745.
    expectClose([all[3]], [1 - 0.48 * (1 - 0.30901699437494745)]);
    // step 5: the peak; step 12: p = (12 − 5)/(19 − 5) = ½ in phase 2, halfway from 1 down to 4e-6.
    expectClose([all[0], all[5], all[12], all[19]], [0.04, 1, (1 + 4e-6) / 2, 4e-6]);
    // scaled by the base rate: lr = 0.5 gives half of every rate
    expectClose(rates(one, 4, 5, 0.5), all.map((r) => r / 2));
  });

  it('one-cycle with warm-up 3: the first three updates scaled by 1/3, 2/3, 3/3 of the one-cycle rate', () => {
    const plain = rates({ ...CONSTANT_SCHEDULE, name: 'one-cycle' }, 2, 5);
    const warm = rates({ ...CONSTANT_SCHEDULE, name: 'one-cycle', warmup: 3 }, 2, 5);
    expectClose(warm, plain.map((r, t) => (t < 3 ? (r * (t + 1)) / 3 : r)));
    expectClose([warm[0]], [0.04 / 3]);
  });

  it('names the four schedules, each of which gives a rate', () => {
    expect(SCHEDULE_NAMES).toEqual(['constant', 'step', 'cosine', 'one-cycle']);
    for (const name of SCHEDULE_NAMES) expect(rates({ ...CONSTANT_SCHEDULE, name }, 2, 2).every((r) => r > 0 && r <= 1)).toBe(true);
    expect(CONSTANT_SCHEDULE).toEqual({ name: 'constant', stepSize: 1, gamma: 0.1, warmup: 0 });
  });

  it('warm-up 4: update t uses (t+1)/4 of the rate for t < 4, on top of the schedule', () => {
    expect(rates({ ...CONSTANT_SCHEDULE, warmup: 4 }, 3, 2)).toEqual([0.25, 0.5, 0.75, 1, 1, 1]);
    expect(rates({ ...CONSTANT_SCHEDULE, name: 'step', stepSize: 1, gamma: 0.5, warmup: 4 }, 3, 2)).toEqual([0.25, 0.5, 0.375, 0.5, 0.25, 0.25]);
  });
});

describe('label smoothing (CrossEntropyLoss(label_smoothing))', () => {
  const head = (epsilon: number, classes: number) => new SoftmaxCrossEntropy(f64(), classes, epsilon);

  it('worked example: logits (ln 3, 0), label 0, ε = 0.2: target (0.9, 0.1), loss −0.9·ln ¾ − 0.1·ln ¼, gradient p − q', () => {
    const h = head(0.2, 2);
    const loss = h.forward(Float64Array.of(Math.log(3), 0), Int32Array.of(0), 1, true);
    expect(loss).toBeCloseTo(-0.9 * Math.log(3 / 4) - 0.1 * Math.log(1 / 4), 12);
    expectClose(Array.from(h.dLogits!), [0.75 - 0.9, 0.25 - 0.1]);
  });

  it('ε = 0 is the plain loss and gradient', () => {
    const [plain, smoothed] = [head(0, 3), new SoftmaxCrossEntropy(f64(), 3)];
    const logits = Float64Array.of(0.3, -1, 2, 0.5, 0.5, -0.2);
    expect(plain.forward(logits, Int32Array.of(2, 0), 2, true)).toBe(smoothed.forward(logits, Int32Array.of(2, 0), 2, true));
    expect(Array.from(plain.dLogits!)).toEqual(Array.from(smoothed.dLogits!));
  });

  it('its gradient is the loss\'s derivative (central differences, h = 1e-6, 3 images of 5 classes, ε = 0.1)', () => {
    const logits = Float64Array.from({ length: 15 }, (_, k) => Math.sin(1.7 * k) * 2);
    const labels = Int32Array.of(4, 0, 2);
    const h = head(0.1, 5);
    h.forward(logits, labels, 3, true);
    const analytic = Array.from(h.dLogits!);
    let worst = 0;
    for (let k = 0; k < logits.length; k++) {
      const at = (delta: number) => {
        const moved = Float64Array.from(logits);
        moved[k] += delta;
        return head(0.1, 5).forward(moved, labels, 3, false);
      };
      worst = Math.max(worst, Math.abs((at(1e-6) - at(-1e-6)) / 2e-6 - analytic[k]));
    }
    console.log(`label smoothing: largest |analytic − numeric| gradient ${worst.toExponential(2)}`);
    expect(worst).toBeLessThan(1e-8);
  });
});

describe('the settings made into the recipe (recipe.ts)', () => {
  const network = createNetwork(f64(), 'flatten linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
  const paper: TrainSettings = { ...ADAM_DEFAULTS, learningRate: 0.003, epochs: 2, batchSize: 4, seed: 1, arch: 'flatten linear(2)', data: null, limit: null, testLimit: null, backend: 'ts', threads: 1, checkpointEvery: null };

  it('the paper\'s settings: plain Adam at their rate, and no trainer options', () => {
    const optimizer = createOptimizer(network, paper);
    expect(optimizer).toBeInstanceOf(Adam);
    expect([optimizer.name, (optimizer as Adam).weightDecay, optimizer.learningRate, (optimizer as Adam).settings]).toEqual(['adam', 0, 0.003, { ...ADAM_DEFAULTS, learningRate: 0.003 }]);
    expect(isPlainAdam(optimizer)).toBe(true);
    expect(recipeOptions(paper)).toStrictEqual({});
  });

  it('each trainer option alone gives only its own key (an option not set is absent, not undefined)', () => {
    const schedule = { ...CONSTANT_SCHEDULE, name: 'step' as const, stepSize: 2, gamma: 0.5 };
    expect(recipeOptions({ ...paper, schedule })).toStrictEqual({ schedule: { settings: schedule, learningRate: 0.003 } });
    expect(recipeOptions({ ...paper, patience: 2 })).toStrictEqual({ patience: 2 });
    expect(recipeOptions({ ...paper, monitor: 'val-loss' })).toStrictEqual({ monitor: 'val-loss' });
    expect(recipeOptions({ ...paper, labelSmoothing: 0.2 })).toStrictEqual({ labelSmoothing: 0.2 });
    expect(recipeOptions({ ...paper, augment: 'flip' })).toStrictEqual({ augment: [{ kind: 'flip' }] });
  });

  it('takes Adam for settings that name no optimiser, and only plain Adam for the sharded kernel', () => {
    const adamw = createOptimizer(network, { ...paper, optimizer: { name: 'adamw', weightDecay: 0, momentum: 0, nesterov: false } });
    expect(adamw).toBeInstanceOf(AdamW);
    expect([adamw.name, (adamw as AdamW).weightDecay]).toEqual(['adamw', 0]);
    expect(isPlainAdam(adamw)).toBe(false); // AdamW is an Adam with 0 decay here, but not the paper's update by name
    const named = createOptimizer(network, { ...paper, optimizer: { name: 'adam', weightDecay: 0, momentum: 0, nesterov: false } });
    expect(isPlainAdam(named)).toBe(true);
    const sgd = createOptimizer(network, { ...paper, optimizer: { name: 'sgd', weightDecay: 0, momentum: 0, nesterov: false } });
    expect(isPlainAdam(sgd)).toBe(false);
    const clippedSgd = createOptimizer(network, { ...paper, optimizer: { name: 'sgd', weightDecay: 0, momentum: 0.5, nesterov: false }, clipNorm: 1 }) as ClippedOptimizer;
    expect(clippedSgd.inner).toBeInstanceOf(Sgd);
    expect([clippedSgd.maxNorm, clippedSgd.learningRate]).toEqual([1, 0.003]);
  });

  it('each optimiser with its settings, clipping around it, and each trainer option when set', () => {
    const adam = createOptimizer(network, { ...paper, optimizer: { name: 'adam', weightDecay: 0.1, momentum: 0, nesterov: false } }) as Adam;
    expect([adam.name, adam.weightDecay, isPlainAdam(adam)]).toEqual(['adam', 0.1, false]);
    const adamw = createOptimizer(network, { ...paper, optimizer: { name: 'adamw', weightDecay: 0.2, momentum: 0, nesterov: false } });
    expect(adamw).toBeInstanceOf(AdamW);
    expect([adamw.name, (adamw as AdamW).weightDecay, isPlainAdam(adamw)]).toEqual(['adamw', 0.2, false]);
    const sgd = createOptimizer(network, { ...paper, optimizer: { name: 'sgd', weightDecay: 0.3, momentum: 0.9, nesterov: true } }) as Sgd;
    expect(sgd).toBeInstanceOf(Sgd);
    expect(sgd.settings).toEqual({ learningRate: 0.003, momentum: 0.9, nesterov: true, weightDecay: 0.3 });
    expect(sgd.stateArrays.map((a) => a.name)).toEqual(['sgd.momentum']);
    const clipped = createOptimizer(network, { ...paper, clipNorm: 2 }) as ClippedOptimizer;
    expect(clipped).toBeInstanceOf(ClippedOptimizer);
    expect([clipped.maxNorm, clipped.inner instanceof Adam, clipped.name, isPlainAdam(clipped)]).toEqual([2, true, 'adam', false]);
    expect(clipped.stateArrays.map((a) => a.name)).toEqual(['adam.m', 'adam.v']);
    const schedule = { ...CONSTANT_SCHEDULE, name: 'cosine' as const };
    expect(recipeOptions({ ...paper, schedule, patience: 3, monitor: 'val-accuracy', labelSmoothing: 0.1, augment: 'flip' })).toEqual({
      schedule: { settings: schedule, learningRate: 0.003 }, patience: 3, monitor: 'val-accuracy', labelSmoothing: 0.1, augment: [{ kind: 'flip' }],
    });
  });
});
