/**
 * The public gradient check (src/gradcheck.ts, `import { gradcheck } from 'xcnn'`): what a user relies on
 * when they check their own function, a spec of theirs, or a backend.
 *
 * The expected values are closed forms written here (sin's derivative, |x|'s kink, PyTorch's pass rule
 * |numeric − analytic| ≤ atol + rtol·|numeric| at its edge), and "notices a wrong gradient" is shown by
 * making a kernel wrong on purpose (a spy that scales one gradient by 1 %), never by trusting the output.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { Network } from '../src/model/network.js';
import { checkGradient, compareWithReference, gradcheck } from '../src/gradcheck.js';
import { errorOf } from './errors.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';

/** `f` throws an XcnnError with exactly this code and message. */
function expectXcnnError(f: () => unknown, code: string, message: string): void {
  const error = errorOf(f);
  expect([error.code, error.message]).toEqual([code, message]);
}

afterEach(() => {
  vi.restoreAllMocks();
});

/** f(x) = Σ_k (k + 1)·sin(x_k), whose gradient is (k + 1)·cos(x_k). */
const weightedSines = (x: Float64Array) => () => x.reduce((sum, v, k) => sum + (k + 1) * Math.sin(v), 0);
const weightedCosines = (x: Float64Array) => Float64Array.from(x, (v, k) => (k + 1) * Math.cos(v));

describe('checkGradient: any function of a float64 array', () => {
  it('passes the true gradient, with errors at the O(ε²) of central differences', () => {
    const x = Float64Array.of(0.3, -1.2, 2.0, 0.7);
    const check = checkGradient(weightedSines(x), x, weightedCosines(x), { name: 'w' });
    expect(check).toMatchObject({ name: 'w', elements: 4, checked: 4, atKinks: 0, passed: true });
    expect(check.maxAbsoluteError).toBeLessThan(1e-8);
    expect(Array.from(x)).toEqual([0.3, -1.2, 2.0, 0.7]); // restored
  });

  it('fails a gradient with one wrong element and points at it, with the true value beside the claimed one', () => {
    const x = Float64Array.of(0.3, -1.2, 2.0, 0.7);
    const claimed = weightedCosines(x);
    claimed[2] = -claimed[2];
    const check = checkGradient(weightedSines(x), x, claimed);
    expect(check.passed).toBe(false);
    expect(check.worstIndex).toBe(2);
    expect(check.numeric).toBeCloseTo(3 * Math.cos(2.0), 8);
    expect(check.analytic).toBe(-3 * Math.cos(2.0));
    expect(check.maxAbsoluteError).toBeCloseTo(6 * Math.abs(Math.cos(2.0)), 8);
    expect(check.maxRelativeError).toBeCloseTo(2, 6); // |n − (−n)| / |n|
  });

  it("uses PyTorch's rule: an error just inside atol + rtol·|numeric| passes, just outside fails", () => {
    // f(x) = 10·x, numeric = 10 (exact for a linear function): allowed = 1e-5 + 1e-3 · 10 = 0.01001.
    const x = Float64Array.of(0.5);
    const f = () => 10 * x[0];
    expect(checkGradient(f, x, [10 + 0.0099]).passed).toBe(true);
    expect(checkGradient(f, x, [10 + 0.0102]).passed).toBe(false);
    expect(checkGradient(f, x, [10 + 0.0102], { rtol: 2e-3 }).passed).toBe(true);
    expect(checkGradient(f, x, [10.5], { atol: 1, rtol: 0 }).passed).toBe(true);
  });

  it('passes an error exactly at atol + rtol·|numeric|, and ranks elements by their error over what each is allowed', () => {
    // f = 8x at x = ½ with ε = 2⁻²⁰: both sides are exact in binary, so the difference is exactly 8.
    const x = Float64Array.of(0.5, 0.5);
    const f = () => 8 * x[0] + 8 * x[1];
    const exact = { eps: 2 ** -20 };
    expect(checkGradient(f, x, [8.5, 8], { ...exact, atol: 0.5, rtol: 0 }).passed).toBe(true);
    expect(checkGradient(f, x, [8.5, 8], { ...exact, atol: 0.25, rtol: 0 }).passed).toBe(false);
    // Two elements equally far past: the first is reported.
    expect(checkGradient(f, x, [9, 9], exact).worstIndex).toBe(0);
    // A larger error within a looser bound ranks below a smaller error past a tight one: g = 10·x₀ + 0·x₁.
    const g = () => 10 * x[0];
    const ranked = checkGradient(g, x, [10.004, 0.003], { ...exact, atol: 1e-5, rtol: 1e-3 });
    expect([ranked.worstIndex, ranked.numeric, ranked.analytic]).toEqual([1, 0, 0.003]);
    // With no tolerance at all, only exact agreement passes, and a zero gradient has no relative error.
    expect(checkGradient(g, x, [10, 0], { ...exact, atol: 0, rtol: 0 })).toMatchObject({ passed: true, maxAbsoluteError: 0, maxRelativeError: 0, worstIndex: 0 });
    const strict = checkGradient(g, x, [10, 1e-9], { ...exact, atol: 0, rtol: 0 });
    expect([strict.passed, strict.worstIndex, strict.maxRelativeError]).toEqual([false, 1, 1]);
  });

  it('passes when asked to check nothing (no indices), as a vacuous check', () => {
    const x = Float64Array.of(1);
    expect(checkGradient(() => x[0], x, [5], { indices: [] })).toMatchObject({ checked: 0, atKinks: 0, passed: true, worstIndex: -1 });
  });

  it('checks only the indices asked for', () => {
    const x = Float64Array.of(0.1, 0.2, 0.3);
    const claimed = weightedCosines(x);
    claimed[0] = 99; // wrong, but not checked
    const check = checkGradient(weightedSines(x), x, claimed, { indices: [1, 2] });
    expect(check).toMatchObject({ checked: 2, passed: true });
  });

  it('leaves out an element sitting on a kink, counts it, and checks the rest', () => {
    // f(x) = Σ|x_k|: at 0 the one-sided slopes are −1 and +1, and the central difference (0) tests nothing.
    const x = Float64Array.of(0, 0.5, -0.25);
    const f = () => x.reduce((sum, v) => sum + Math.abs(v), 0);
    const check = checkGradient(f, x, [0.123, 1, -1]);
    expect(check).toMatchObject({ checked: 2, atKinks: 1, passed: true });
    expect(checkGradient(f, x, [0.123, 1, 1]).passed).toBe(false); // a wrong element off the kink still fails
  });

  it('does not pass a tensor whose every element sat on a kink: nothing was compared', () => {
    const x = Float64Array.of(0, 0);
    const check = checkGradient(() => Math.abs(x[0]) + Math.abs(x[1]), x, [0, 0]);
    expect(check).toMatchObject({ checked: 0, atKinks: 2, passed: false, worstIndex: -1 });
  });

  it('refuses what it cannot check, with the code and a one-line reason', () => {
    const x = Float64Array.of(1, 2);
    expectXcnnError(() => checkGradient(() => 0, Float32Array.of(1) as unknown as Float64Array, [0]), 'ERR_BAD_ARGUMENT', 'checkGradient: x must be a Float64Array (finite differences need float64), not Float32Array');
    expectXcnnError(() => checkGradient(() => 0, x, [0]), 'ERR_BAD_ARGUMENT', 'checkGradient: analytic has 1 elements, x has 2; give one gradient element per element of x');
    expectXcnnError(() => checkGradient(() => 0, x, [0, 0], { indices: [2] }), 'ERR_BAD_ARGUMENT', 'checkGradient: index 2 is outside x (0 to 1)');
    expectXcnnError(() => checkGradient(() => 0, x, [0, 0], { indices: [-1] }), 'ERR_BAD_ARGUMENT', 'checkGradient: index -1 is outside x (0 to 1)');
    expectXcnnError(() => checkGradient(() => 0, x, [0, 0], { indices: [0.5] }), 'ERR_BAD_ARGUMENT', 'checkGradient: index 0.5 is outside x (0 to 1)');
    expectXcnnError(() => checkGradient(() => Math.log(x[0] - 1 + 1e-7), x, [0, 0], { indices: [0] }), 'ERR_BAD_ARGUMENT', 'checkGradient: f returned NaN with x[0] moved; the function must be finite near the point');
    expectXcnnError(() => checkGradient(() => 0, x, [0, 0], { eps: '1e-6' as unknown as number }), 'ERR_BAD_ARGUMENT', 'eps is 1e-6; give a finite number, more than 0');
    const zero = Float64Array.of(0, 1);
    expectXcnnError(() => checkGradient(() => 1 / zero[0], zero, [0, 0]), 'ERR_BAD_ARGUMENT', 'checkGradient: f returned Infinity at the point; the function must be finite near the point');
    expectXcnnError(() => checkGradient(() => Math.log(x[1] - 2 + 1e-7), x, [0, 0], { indices: [1] }), 'ERR_BAD_ARGUMENT', 'checkGradient: f returned NaN with x[1] moved; the function must be finite near the point');
    expectXcnnError(() => checkGradient(() => 0, x, [0, 0], { eps: 0 }), 'ERR_BAD_ARGUMENT', 'eps is 0; give a finite number, more than 0');
    expectXcnnError(() => checkGradient(() => 0, x, [0, 0], { atol: -1 }), 'ERR_BAD_ARGUMENT', 'atol is -1; give a finite number, 0 or more');
    expectXcnnError(() => checkGradient(() => 0, x, [0, 0], { rtol: Number.NaN }), 'ERR_BAD_ARGUMENT', 'rtol is NaN; give a finite number, 0 or more');
  });
});

const SMALL = { arch: 'conv(3,3,stride=2,pad=1) bn relu maxpool(2) dropout(0.25) flatten linear(4) relu linear(3)', input: { channels: 2, height: 7, width: 7 }, classes: 3 };

describe('gradcheck: a network built from a spec', () => {
  it('passes every tensor of a net with stride, padding, batch norm, pooling and dropout, in both modes', () => {
    for (const mode of ['training', 'evaluation'] as const) {
      const report = gradcheck({ ...SMALL, mode, samples: 'all' });
      expect(report.passed, JSON.stringify(report.tensors.filter((t) => !t.passed))).toBe(true);
      expect(report.mode).toBe(mode);
      // The input, then each parameter tensor by its PyTorch name, every element checked (or at a kink).
      expect(report.tensors.map((t) => t.name)).toEqual(['input', 'conv1.weight', 'conv1.bias', 'bn1.weight', 'bn1.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
      expect(report.tensors.map((t) => t.elements)).toEqual([2 * 2 * 7 * 7, 3 * 2 * 9, 3, 3, 3, 4 * 3 * 2 * 2, 4, 3 * 4, 3]);
      for (const t of report.tensors) expect(t.checked + t.atKinks).toBe(t.elements);
    }
  });

  it('resolves a preset and samples the asked number of elements per tensor', () => {
    const seen: string[] = [];
    const report = gradcheck({ arch: 'lenet5', input: { height: 12, width: 12 }, classes: 4, samples: 3, onTensor: (t) => seen.push(t.name) });
    expect(report.arch).toBe('conv(6,5,pad=2) relu avgpool(2) conv(16,5) relu avgpool(2) flatten linear(120) relu linear(84) relu linear(4)');
    expect(report.passed).toBe(true);
    expect(seen).toEqual(report.tensors.map((t) => t.name));
    for (const t of report.tensors) expect(t.checked + t.atKinks).toBe(Math.min(3, t.elements));
  });

  it('checks every element of a tensor smaller than the sample, and samples the same elements for the same seed', () => {
    const report = gradcheck({ ...SMALL, samples: 40 });
    const sizes = report.tensors.map((t) => [t.name, t.checked + t.atKinks]);
    expect(sizes).toEqual(report.tensors.map((t) => [t.name, Math.min(40, t.elements)]));
    expect(gradcheck({ ...SMALL, samples: 1 }).tensors.every((t) => t.checked + t.atKinks === 1)).toBe(true);
    expect(gradcheck({ ...SMALL, samples: 5 })).toEqual(gradcheck({ ...SMALL, samples: 5 }));
  });

  it('runs the network in the mode asked for: training with the running statistics kept still, or evaluation', () => {
    const forward = vi.spyOn(Network.prototype, 'forward');
    gradcheck({ ...SMALL, samples: 1, seed: 5 });
    expect(forward.mock.calls.every(([, , mode]) => mode?.training === true && mode.updateStatistics === false && mode.seed === 5 && mode.step === 1)).toBe(true);
    forward.mockClear();
    gradcheck({ ...SMALL, samples: 1, mode: 'evaluation' });
    expect(forward.mock.calls.every(([, , mode]) => mode?.training === false && mode.updateStatistics === false)).toBe(true);
  });

  it('draws batch norm away from β = 0, so a channel constant over the batch does not leave ReLU on its kink', () => {
    // Batch 1, one value a channel: batch norm outputs exactly β, and ReLU(β) at β = 0 would have no derivative.
    const report = gradcheck({ arch: 'conv(2,1) bn relu flatten linear(2)', input: { height: 1, width: 1 }, classes: 2, batch: 1, samples: 'all' });
    expect(report.passed, JSON.stringify(report.tensors)).toBe(true);
    expect(report.tensors.find((t) => t.name === 'bn1.bias')).toMatchObject({ checked: 2, atKinks: 0 });
  });

  it("notices a dense layer's weight gradient 1 % too large, and names that tensor alone", () => {
    const original = ReferenceBackend.prototype.denseBackward;
    vi.spyOn(ReferenceBackend.prototype, 'denseBackward').mockImplementation(function (this: ReferenceBackend, s, g) {
      const before = Float64Array.from(g.dWeight);
      original.call(this, s, g);
      for (let k = 0; k < g.dWeight.length; k++) g.dWeight[k] = before[k] + 1.01 * (g.dWeight[k] - before[k]);
    });
    const report = gradcheck({ ...SMALL, samples: 'all' });
    expect(report.passed).toBe(false);
    expect(report.tensors.filter((t) => !t.passed).map((t) => t.name)).toEqual(['fc1.weight', 'fc2.weight']);
    const fc2 = report.tensors.find((t) => t.name === 'fc2.weight')!;
    expect(fc2.analytic / fc2.numeric).toBeCloseTo(1.01, 3);
  });

  it('refuses bad options with the code and the option named', () => {
    expectXcnnError(() => gradcheck({ ...SMALL, samples: 0 }), 'ERR_BAD_ARGUMENT', "gradcheck: samples is 0; give a whole number of elements per tensor, 1 or more, or 'all'");
    expectXcnnError(() => gradcheck({ ...SMALL, batch: 0 }), 'ERR_BAD_ARGUMENT', 'gradcheck: batch is 0; give a whole number of images from 1 to 64');
    expectXcnnError(() => gradcheck({ ...SMALL, seed: -1 }), 'ERR_BAD_ARGUMENT', 'gradcheck: seed is -1; give a whole number from 0 to 4294967295');
    expectXcnnError(() => gradcheck({ ...SMALL, mode: 'train' as 'training' }), 'ERR_BAD_ARGUMENT', "gradcheck: mode is train; give 'training' or 'evaluation'");
    expectXcnnError(() => gradcheck({ ...SMALL, arch: 7 as unknown as string }), 'ERR_BAD_ARGUMENT', "gradcheck: arch is number; give a spec such as 'conv(8,3) relu maxpool(2) flatten linear(10)' or a preset name");
    expectXcnnError(() => gradcheck({ ...SMALL, input: { channels: 4, height: 7, width: 7 } }), 'ERR_BAD_ARGUMENT', 'gradcheck: input.channels is 4; give a whole number from 1 to 3');
    expectXcnnError(() => gradcheck({ ...SMALL, classes: 0 }), 'ERR_BAD_ARGUMENT', 'gradcheck: classes is 0; give a whole number from 1 to 4096');
    expectXcnnError(() => gradcheck({ ...SMALL, input: null as unknown as { height: number; width: number } }), 'ERR_BAD_ARGUMENT', 'gradcheck: input is null; give the input of one image, e.g. { channels: 1, height: 28, width: 28 }');
    expectXcnnError(() => gradcheck({ ...SMALL, onTensor: 3 as unknown as () => void }), 'ERR_BAD_ARGUMENT', 'gradcheck: onTensor is number; give a function or leave it out');
    expectXcnnError(() => gradcheck({ ...SMALL, batch: 65 }), 'ERR_BAD_ARGUMENT', 'gradcheck: batch is 65; give a whole number of images from 1 to 64');
    expectXcnnError(() => gradcheck({ ...SMALL, batch: 1.5 }), 'ERR_BAD_ARGUMENT', 'gradcheck: batch is 1.5; give a whole number of images from 1 to 64');
    expectXcnnError(() => gradcheck({ ...SMALL, seed: 2 ** 32 }), 'ERR_BAD_ARGUMENT', 'gradcheck: seed is 4294967296; give a whole number from 0 to 4294967295');
    expectXcnnError(() => gradcheck({ ...SMALL, seed: 0.5 }), 'ERR_BAD_ARGUMENT', 'gradcheck: seed is 0.5; give a whole number from 0 to 4294967295');
    expectXcnnError(() => gradcheck({ ...SMALL, input: 'big' as unknown as { height: number; width: number } }), 'ERR_BAD_ARGUMENT', 'gradcheck: input is string; give the input of one image, e.g. { channels: 1, height: 28, width: 28 }');
    expectXcnnError(() => gradcheck({ ...SMALL, input: { height: 0, width: 7 } }), 'ERR_BAD_ARGUMENT', 'gradcheck: input.height is 0; give a whole number from 1 to 4096');
    expectXcnnError(() => gradcheck({ ...SMALL, input: { height: 7, width: 4097 } }), 'ERR_BAD_ARGUMENT', 'gradcheck: input.width is 4097; give a whole number from 1 to 4096');
    expectXcnnError(() => gradcheck({ ...SMALL, classes: 4097 }), 'ERR_BAD_ARGUMENT', 'gradcheck: classes is 4097; give a whole number from 1 to 4096');
  });

  it('takes each bound itself: batch 1 and 64, seed 2³² − 1, 3 channels, 4096 classes, one sample', () => {
    const tiny = { arch: 'flatten linear(3)', input: { channels: 3 as const, height: 1, width: 1 }, classes: 3, samples: 1 };
    for (const options of [{ batch: 1 }, { batch: 64 }, { seed: 2 ** 32 - 1 }, { arch: 'flatten linear(4096)', classes: 4096 }]) {
      expect(gradcheck({ ...tiny, ...options }).passed, JSON.stringify(options)).toBe(true);
    }
  });
});

describe('compareWithReference: a backend against the float64 reference', () => {
  it('finds the WebAssembly kernels within float32 rounding of the reference on every tensor', async () => {
    const backend = await createWasmBackend();
    try {
      const result = compareWithReference({ ...SMALL, backend });
      expect(result.passed, JSON.stringify(result.tensors.filter((t) => !t.passed))).toBe(true);
      expect(result.backend).toBe('wasm');
      expect(result.tensors.slice(0, 3).map((t) => [t.name, t.elements])).toEqual([['logits', 2 * 3], ['loss', 1], ['input.grad', 2 * 2 * 7 * 7]]);
      expect(result.tensors.slice(3).map((t) => [t.name, t.elements])).toEqual([
        ['conv1.weight.grad', 3 * 2 * 9],
        ['conv1.bias.grad', 3],
        ['bn1.weight.grad', 3],
        ['bn1.bias.grad', 3],
        ['fc1.weight.grad', 4 * 3 * 2 * 2],
        ['fc1.bias.grad', 4],
        ['fc2.weight.grad', 3 * 4],
        ['fc2.bias.grad', 3],
      ]);
      expect(Math.max(...result.tensors.map((t) => t.maxRelativeError))).toBeGreaterThan(0);
      // It gives back what it allocated on the backend under test.
      const used = backend.memoryStats().usedBytes;
      compareWithReference({ ...SMALL, backend });
      expect(backend.memoryStats().usedBytes).toBe(used);
      // float32 against float64: above zero error, well below the tolerance.
      const largest = Math.max(...result.tensors.map((t) => t.maxAbsoluteError));
      expect(largest).toBeGreaterThan(0);
      expect(largest).toBeLessThan(1e-5);
    } finally {
      backend.dispose();
    }
  });

  it('notices a wrong kernel on the tested backend and names what it broke', async () => {
    const backend = await createWasmBackend();
    const original = WasmBackend.prototype.reluBackward;
    vi.spyOn(WasmBackend.prototype, 'reluBackward').mockImplementation(function (this: WasmBackend, output, dOutput, dInput) {
      original.call(this, output, dOutput, dInput);
      dInput[0] += 0.5;
    });
    try {
      const result = compareWithReference({ ...SMALL, backend });
      expect(result.passed).toBe(false);
      const failed = result.tensors.filter((t) => !t.passed).map((t) => t.name);
      expect(failed).toContain('input.grad');
      expect(failed).not.toContain('logits');
      expect(failed).not.toContain('loss');
      // The worst element is reported with both values: its distance is the largest error.
      const input = result.tensors.find((t) => t.name === 'input.grad')!;
      expect(input.worstIndex).toBeGreaterThanOrEqual(0);
      expect(Math.abs(input.value - input.reference)).toBe(input.maxAbsoluteError);
    } finally {
      backend.dispose();
    }
  });

  it('compares against float64: a float32 reference backend differs from it, but within the tolerance', () => {
    const result = compareWithReference({ ...SMALL, backend: new ReferenceBackend({ precision: 'float32' }) });
    expect(result.passed).toBe(true);
    expect(Math.max(...result.tensors.map((t) => t.maxAbsoluteError))).toBeGreaterThan(0);
    expect(compareWithReference({ ...SMALL, backend: new ReferenceBackend({ precision: 'float64' }), atol: 0, rtol: 0 }).passed).toBe(true);
  });

  it('refuses a backend that is not one, and negative tolerances', () => {
    expectXcnnError(() => compareWithReference({ ...SMALL, backend: {} as WasmBackend }), 'ERR_BAD_ARGUMENT', 'compareWithReference: options.backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not Object');
    expectXcnnError(() => compareWithReference({ ...SMALL, backend: null as unknown as WasmBackend }), 'ERR_BAD_ARGUMENT', 'compareWithReference: options.backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not null');
    expectXcnnError(() => compareWithReference({ ...SMALL, backend: 'wasm' as unknown as WasmBackend }), 'ERR_BAD_ARGUMENT', 'compareWithReference: options.backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not string');
    expectXcnnError(() => compareWithReference({ ...SMALL, backend: Object.create(null) }), 'ERR_BAD_ARGUMENT', 'compareWithReference: options.backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not object');
    expectXcnnError(() => compareWithReference({ ...SMALL, backend: new ReferenceBackend(), rtol: Number.NaN }), 'ERR_BAD_ARGUMENT', 'compareWithReference: rtol is NaN; give a finite number, 0 or more');
    expectXcnnError(() => compareWithReference({ ...SMALL, backend: new ReferenceBackend(), atol: -1 }), 'ERR_BAD_ARGUMENT', 'compareWithReference: atol is -1; give a finite number, 0 or more');
    // The network's options are checked as gradcheck checks them, in compareWithReference's name.
    expectXcnnError(() => compareWithReference({ ...SMALL, backend: new ReferenceBackend(), batch: 0 }), 'ERR_BAD_ARGUMENT', 'compareWithReference: batch is 0; give a whole number of images from 1 to 64');
  });
});

describe('xcnn gradcheck', () => {
  const { xcnn } = cliWorkspace('xcnn-gradcheck-');

  it('prints a line per tensor for both checks and exits 0 when they pass', () => {
    const run = xcnn('gradcheck', '--arch', SMALL.arch, '--input', '2x7x7', '--classes', '3', '--samples', '5');
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.filter((line) => /^(input|conv1\.weight|conv1\.bias|bn1\.weight|bn1\.bias|fc1\.weight|fc1\.bias|fc2\.weight|fc2\.bias) /.test(line))).toHaveLength(9);
    expect(lines.filter((line) => line.endsWith('.grad') || /\.grad /.test(line))).toHaveLength(9);
    expect(lines.filter((line) => line.startsWith('passed:'))).toHaveLength(2);
  });

  it('--json gives both reports whole', () => {
    const run = xcnn('gradcheck', '--arch', 'conv(2,3) relu flatten linear(2)', '--input', '1x4x4', '--classes', '2', '--json');
    expect(run.status, run.stderr).toBe(0);
    const parsed = JSON.parse(run.stdout);
    expect(parsed.gradcheck.passed).toBe(true);
    expect(parsed.gradcheck.tensors.map((t: { name: string }) => t.name)).toEqual(['input', 'conv1.weight', 'conv1.bias', 'fc1.weight', 'fc1.bias']);
    expect(parsed.kernels.passed).toBe(true);
  });

  it('refuses a bad --samples and a spec that does not fit its input, each in one line', () => {
    expectOneLineError(xcnn('gradcheck', '--samples', 'some'), 2, "--samples: 'some' is not a whole number from 1 to 1,000,000 or 'all'");
    expectOneLineError(xcnn('gradcheck', '--arch', 'conv(2,9) flatten linear(2)', '--input', '1x4x4', '--classes', '2'), 2, /conv1.*9/);
  });
});
