/**
 * Gradient checking for users, as `torch.autograd.gradcheck` does it: every layer's backward pass in xcnn
 * is derived by hand, and these functions let anyone see that it is right — for a spec of their own, a
 * preset, or a function they wrote themselves.
 *
 * - `checkGradient(f, x, analytic)`: any scalar function of a float64 array against its claimed gradient,
 *   by central differences (f(x + ε·e_k) − f(x − ε·e_k)) / 2ε, whose error is O(ε²) where f is smooth.
 * - `gradcheck({ arch, input, classes })`: a whole network built from a spec on the float64 reference
 *   backend, its softmax cross-entropy loss differentiated with respect to every parameter tensor and the
 *   input, in training mode (batch statistics, a fixed dropout mask) or evaluation mode.
 * - `compareWithReference({ arch, input, classes, backend })`: the same forward and backward pass run on
 *   another backend (the WebAssembly kernels, float32) and on the float64 reference from the same weights,
 *   tensor by tensor.
 *
 * The pass criterion is PyTorch's: |numeric − analytic| ≤ atol + rtol·|numeric| for every element checked
 * (gradcheck's defaults: ε = 1e-6, atol = 1e-5, rtol = 1e-3). An element where the function has a kink
 * within ε — a ReLU input or a batch-norm'd value at 0, a max-pool tie — has no derivative the central
 * difference could measure; such elements are found by the jump between the two one-sided slopes, left
 * out of the comparison, and counted in `atKinks`, so nothing is hidden.
 */
import { checkBackend, checkObject } from './argument-checks.js';
import type { Backend, Floats } from './backend/backend.js';
import { ReferenceBackend } from './backend/reference/index.js';
import { describeArray } from './data/dataset.js';
import { XcnnError } from './errors.js';
import { EVALUATION, trainingPass, type PassMode } from './model/layer.js';
import { SoftmaxCrossEntropy } from './model/loss.js';
import { createNetwork, type Network } from './model/network.js';
import { resolveSpec, type NetworkGeometry } from './model/spec.js';
import { Random } from './random.js';

/** One tensor's comparison: the largest errors over the elements checked, and where the worst one is. */
export interface TensorCheck {
  name: string; // 'input', or the parameter's PyTorch name ('conv1.weight', 'bn1.bias', …)
  elements: number;
  checked: number; // elements compared (all, or a seeded sample)
  atKinks: number; // elements left out: the function has a kink within ε of the point along them
  maxAbsoluteError: number; // max |numeric − analytic|
  maxRelativeError: number; // max |numeric − analytic| / max(|numeric|, |analytic|, atol)
  worstIndex: number; // the element with the largest error for its tolerance, |numeric − analytic| ÷ (atol + rtol·|numeric|); −1 if none checked
  numeric: number; // the finite difference there
  analytic: number; // the hand-derived gradient there
  passed: boolean; // every element checked is within atol + rtol·|numeric| (false when every element asked for sat on a kink)
}

export interface Tolerance {
  /** The finite-difference step (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
}

export interface CheckGradientOptions extends Tolerance {
  /** The tensor's name in the result (default 'x'). */
  name?: string;
  /** The elements to check (default: all of them). */
  indices?: Iterable<number>;
}

const DEFAULT_TOLERANCE = { eps: 1e-6, atol: 1e-5, rtol: 1e-3 };

/**
 * Compares `analytic` with central differences of `f` along each element of `x`. `f` must read `x` (which
 * is changed in place and restored before returning) and return a finite number.
 */
export function checkGradient(f: () => number, x: Float64Array, analytic: ArrayLike<number>, options: CheckGradientOptions = {}): TensorCheck {
  const { eps, atol, rtol } = tolerances(options);
  const name = options.name ?? 'x';
  if (!(x instanceof Float64Array)) throw badArgument(`checkGradient: x must be a Float64Array (finite differences need float64), not ${describeArray(x)}`);
  if (analytic.length !== x.length) throw badArgument(`checkGradient: analytic has ${analytic.length} elements, x has ${x.length}; give one gradient element per element of x`);
  const check: TensorCheck = { name, elements: x.length, checked: 0, atKinks: 0, maxAbsoluteError: 0, maxRelativeError: 0, worstIndex: -1, numeric: 0, analytic: 0, passed: true };
  let worstExcess = -Infinity;
  const centre = finite(f(), name, -1);
  for (const k of options.indices ?? x.keys()) {
    if (!Number.isInteger(k) || k < 0 || k >= x.length) throw badArgument(`checkGradient: index ${k} is outside x (0 to ${x.length - 1})`);
    const saved = x[k];
    x[k] = saved + eps;
    const plus = finite(f(), name, k);
    x[k] = saved - eps;
    const minus = finite(f(), name, k);
    x[k] = saved;
    const numeric = (plus - minus) / (2 * eps);
    const allowed = atol + rtol * Math.abs(numeric);
    // The two one-sided slopes differ by O(ε·|f''|) where f is smooth, by the slope's jump at a kink.
    if (Math.abs((plus - centre) / eps - (centre - minus) / eps) > allowed) {
      check.atKinks++;
      continue;
    }
    const error = Math.abs(numeric - analytic[k]);
    check.checked++;
    check.maxAbsoluteError = Math.max(check.maxAbsoluteError, error);
    check.maxRelativeError = Math.max(check.maxRelativeError, relative(error, numeric, analytic[k], atol));
    if (error > allowed) check.passed = false;
    if (excess(error, allowed) > worstExcess) {
      worstExcess = excess(error, allowed);
      Object.assign(check, { worstIndex: k, numeric, analytic: analytic[k] });
    }
  }
  // Nothing compared proves nothing: a tensor whose every element sat on a kink has not passed.
  if (check.checked === 0 && check.atKinks > 0) check.passed = false;
  return check;
}

/** The network a check runs on: a spec or a preset, the input it takes and its class count. */
export interface NetworkToCheck {
  /** A spec ('conv(8,3) relu maxpool(2) flatten linear(10)') or a preset name ('paper', 'lenet5', 'modern'). */
  arch: string;
  /** The input of one image (channels default 1). */
  input: { channels?: number; height: number; width: number };
  classes: number;
  /** Images in the batch (default 2; batch norm's training statistics need 2 or more for a gradient). */
  batch?: number;
  /** Seeds the weights, the input, the labels and dropout's mask (default 0). */
  seed?: number;
  /** 'training' (default: batch statistics, dropout active with a fixed mask) or 'evaluation'. */
  mode?: 'training' | 'evaluation';
}

export interface GradcheckOptions extends NetworkToCheck, Tolerance {
  /** Elements checked per tensor: a seeded sample of this many (default 16), or 'all'. */
  samples?: number | 'all';
  /** Called with each tensor's result as soon as it is checked (a check of a large net takes seconds a tensor). */
  onTensor?: (check: TensorCheck) => void;
}

export interface GradcheckReport {
  arch: string; // the spec as checked (a preset resolved)
  mode: 'training' | 'evaluation';
  batch: number;
  passed: boolean;
  tensors: TensorCheck[]; // the input first, then every parameter tensor in the network's order
}

/**
 * Checks a network's hand-derived backward pass: the mean softmax cross-entropy loss of a seeded batch,
 * differentiated with respect to the input and every parameter, against central differences, in float64.
 */
export function gradcheck(options: GradcheckOptions): GradcheckReport {
  checkObject('gradcheck', 'options', options, 'the function or network to check, and its inputs');
  const tolerance = tolerances(options);
  const samples = options.samples ?? 16;
  if (samples !== 'all' && (!Number.isInteger(samples) || samples < 1)) throw badArgument(`gradcheck: samples is ${String(samples)}; give a whole number of elements per tensor, 1 or more, or 'all'`);
  if (options.onTensor !== undefined && typeof options.onTensor !== 'function') throw badArgument(`gradcheck: onTensor is ${describeArray(options.onTensor)}; give a function or leave it out`);
  const pass = passOf('gradcheck', new ReferenceBackend({ precision: 'float64' }), options);
  const { network, input, mode, batch } = pass;
  const loss = () => pass.loss(network.forward(input, batch, mode));
  const { dInput, grads } = pass.gradients(network);
  const random = new Random(pass.seed + 1);
  const pick = (length: number) => (samples === 'all' || samples >= length ? undefined : sampleIndices(length, samples, random));
  const tensors: TensorCheck[] = [];
  const check = (name: string, x: Float64Array, analytic: Float64Array) => {
    const result = checkGradient(loss, x, analytic, { ...tolerance, name, indices: pick(x.length) });
    tensors.push(result);
    options.onTensor?.(result);
  };
  check('input', input as Float64Array, dInput);
  let offset = 0;
  for (const p of network.parameters) {
    check(p.name, p.value as Float64Array, grads.subarray(offset, offset + p.value.length));
    offset += p.value.length;
  }
  pass.dispose();
  return { arch: pass.arch, mode: pass.modeName, batch, passed: tensors.every((t) => t.passed), tensors };
}

export interface CompareWithReferenceOptions extends NetworkToCheck {
  /** The backend under test, e.g. `await createWasmBackend()`. */
  backend: Backend;
  /** Absolute tolerance (default 1e-4: float32 against float64). */
  atol?: number;
  /** Relative tolerance (default 1e-3). */
  rtol?: number;
}

/** One tensor of a backend comparison: the backend's values against the float64 reference's. */
export interface TensorDifference {
  name: string; // 'logits', 'loss', 'input.grad' or a parameter's name followed by '.grad'
  elements: number;
  maxAbsoluteError: number;
  maxRelativeError: number;
  worstIndex: number; // the element with the largest error for its tolerance, |value − reference| ÷ (atol + rtol·|reference|)
  reference: number;
  value: number;
  passed: boolean; // every element within atol + rtol·|reference|
}

export interface BackendComparison {
  arch: string;
  backend: string;
  mode: 'training' | 'evaluation';
  batch: number;
  passed: boolean;
  tensors: TensorDifference[];
}

/**
 * Runs one forward and backward pass of the same network, weights, batch and dropout mask on `backend`
 * and on the float64 reference, and compares the logits, the loss, the input gradient and every
 * parameter gradient element by element.
 */
export function compareWithReference(options: CompareWithReferenceOptions): BackendComparison {
  checkObject('compareWithReference', 'options', options, 'the backend to compare, at least');
  const atol = options.atol ?? 1e-4;
  const rtol = options.rtol ?? 1e-3;
  for (const [key, value] of [['atol', atol], ['rtol', rtol]] as const) {
    if (!(Number.isFinite(value) && value >= 0)) throw badArgument(`compareWithReference: ${key} is ${String(value)}; give a finite number, 0 or more`);
  }
  checkBackend('compareWithReference', 'options.backend', options.backend);
  const reference = passOf('compareWithReference', new ReferenceBackend({ precision: 'float64' }), options);
  const tested = passOf('compareWithReference', options.backend, options);
  try {
    tested.network.params.set(reference.network.params);
    tested.network.buffers.set(reference.network.buffers);
    const outcome = (pass: typeof reference) => {
      const output = pass.network.forward(pass.input, pass.batch, pass.mode);
      const lossValue = pass.loss(output);
      return { logits: Float64Array.from(output), loss: Float64Array.of(lossValue), ...pass.gradients(pass.network) };
    };
    const [expected, actual] = [outcome(reference), outcome(tested)];
    const tensors = [
      difference('logits', expected.logits, actual.logits, atol, rtol),
      difference('loss', expected.loss, actual.loss, atol, rtol),
      difference('input.grad', expected.dInput, actual.dInput, atol, rtol),
    ];
    let offset = 0;
    for (const p of reference.network.parameters) {
      const end = offset + p.value.length;
      tensors.push(difference(`${p.name}.grad`, expected.grads.subarray(offset, end), actual.grads.subarray(offset, end), atol, rtol));
      offset = end;
    }
    return { arch: reference.arch, backend: options.backend.name, mode: reference.modeName, batch: reference.batch, passed: tensors.every((t) => t.passed), tensors };
  } finally {
    tested.dispose();
    reference.dispose();
  }
}

/** A network with seeded weights, a seeded batch and labels, and its loss and gradients; `what` (the function checking) names it in errors. */
function passOf(what: string, backend: Backend, options: NetworkToCheck) {
  const batch = options.batch ?? 2;
  const seed = options.seed ?? 0;
  const modeName = options.mode ?? 'training';
  if (!Number.isInteger(batch) || batch < 1 || batch > 64) throw badArgument(`${what}: batch is ${String(batch)}; give a whole number of images from 1 to 64`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 2 ** 32 - 1) throw badArgument(`${what}: seed is ${String(seed)}; give a whole number from 0 to 4294967295`);
  if (modeName !== 'training' && modeName !== 'evaluation') throw badArgument(`${what}: mode is ${String(modeName)}; give 'training' or 'evaluation'`);
  if (typeof options.arch !== 'string') throw badArgument(`${what}: arch is ${describeArray(options.arch)}; give a spec such as 'conv(8,3) relu maxpool(2) flatten linear(10)' or a preset name`);
  const geometry = geometryOf(what, options);
  const arch = resolveSpec(options.arch, geometry.classes);
  const network = createNetwork(backend, arch, geometry);
  const random = new Random(seed);
  network.initialize(random);
  // Batch norm's γ and β drawn away from their initial 1 and 0: a channel that is constant over the batch
  // normalises to exactly β, and a ReLU after it would sit on its kink at β = 0.
  for (const p of network.parameters) {
    if (p.constant !== undefined) for (let k = 0; k < p.value.length; k++) p.value[k] = random.uniform(0.5, 1.5) * (p.constant || (random.next() < 0.5 ? -1 : 1));
  }
  const imageSize = network.inputShape.reduce((a, b) => a * b, 1);
  const input = backend.allocFloats(batch * imageSize);
  for (let k = 0; k < input.length; k++) input[k] = random.uniform(0, 1);
  const labels = backend.allocInts(batch);
  for (let n = 0; n < batch; n++) labels[n] = (seed + n) % geometry.classes;
  const head = new SoftmaxCrossEntropy(backend, geometry.classes);
  // Training mode keeps the running statistics still: a check makes many forward passes.
  const mode: PassMode = modeName === 'training' ? { ...trainingPass(seed, 1), updateStatistics: false } : EVALUATION;
  return {
    arch,
    batch,
    seed,
    modeName,
    mode,
    network,
    input,
    loss: (logits: Floats) => head.forward(logits, labels, batch, false),
    gradients(net: Network) {
      net.zeroGrad();
      head.forward(net.forward(input, batch, mode), labels, batch, true);
      const dInput = Float64Array.from(net.backwardToInput(head.dLogits!));
      return { dInput, grads: Float64Array.from(net.grads) };
    },
    dispose() {
      head.dispose();
      backend.free(input);
      backend.free(labels);
      network.dispose();
    },
  };
}

function geometryOf(what: string, options: NetworkToCheck): NetworkGeometry {
  const input = options.input;
  if (typeof input !== 'object' || input === null) throw badArgument(`${what}: input is ${describeArray(input)}; give the input of one image, e.g. { channels: 1, height: 28, width: 28 }`);
  const channels = input.channels ?? 1;
  const sizes: Array<[string, unknown, number]> = [['input.channels', channels, 3], ['input.height', input.height, 4096], ['input.width', input.width, 4096], ['classes', options.classes, 4096]];
  for (const [name, value, most] of sizes) {
    if (!(Number.isInteger(value) && (value as number) >= 1 && (value as number) <= most)) throw badArgument(`${what}: ${name} is ${String(value)}; give a whole number from 1 to ${most}`);
  }
  return { channels, height: input.height, width: input.width, classes: options.classes };
}

function difference(name: string, expected: ArrayLike<number>, actual: ArrayLike<number>, atol: number, rtol: number): TensorDifference {
  const result: TensorDifference = { name, elements: expected.length, maxAbsoluteError: 0, maxRelativeError: 0, worstIndex: -1, reference: 0, value: 0, passed: true };
  let worstExcess = -Infinity;
  for (let k = 0; k < expected.length; k++) {
    const error = Math.abs(actual[k] - expected[k]);
    const allowed = atol + rtol * Math.abs(expected[k]);
    result.maxAbsoluteError = Math.max(result.maxAbsoluteError, error);
    result.maxRelativeError = Math.max(result.maxRelativeError, relative(error, expected[k], actual[k], atol));
    if (!(error <= allowed)) result.passed = false; // NaN fails too
    if (!(excess(error, allowed) <= worstExcess)) {
      worstExcess = Number.isNaN(error) ? Infinity : excess(error, allowed);
      Object.assign(result, { worstIndex: k, reference: expected[k], value: actual[k] });
    }
  }
  return result;
}

/** `count` distinct indices below `length`, drawn without replacement, in increasing order. */
function sampleIndices(length: number, count: number, random: Random): number[] {
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(Math.floor(random.next() * length));
  return [...chosen].sort((a, b) => a - b);
}

function tolerances(options: Tolerance): Required<Tolerance> {
  const merged = { ...DEFAULT_TOLERANCE, ...definedOnly(options) };
  for (const key of ['eps', 'atol', 'rtol'] as const) {
    const value = merged[key];
    const least = key === 'eps' ? 'more than 0' : '0 or more';
    if (!(Number.isFinite(value) && (key === 'eps' ? value > 0 : value >= 0))) throw badArgument(`${key} is ${String(value)}; give a finite number, ${least}`);
  }
  return merged;
}

function definedOnly(options: Tolerance): Tolerance {
  const out: Tolerance = {};
  for (const key of ['eps', 'atol', 'rtol'] as const) if (options[key] !== undefined) out[key] = options[key];
  return out;
}

/** An error as a multiple of what its element allows (above 1: failed). */
function excess(error: number, allowed: number): number {
  return allowed > 0 ? error / allowed : error > 0 ? Infinity : 0;
}

/**
 * |a − b| relative to the larger magnitude, floored at `atol`: an error in values that are themselves
 * below the absolute tolerance (a bias before batch norm, whose gradient is exactly 0) is not a large
 * relative error.
 */
function relative(error: number, a: number, b: number, atol: number): number {
  const scale = Math.max(Math.abs(a), Math.abs(b), atol);
  return scale === 0 ? 0 : error / scale; // a scale of 0 means a = b = 0, so no error
}

function finite(value: number, name: string, k: number): number {
  const where = k < 0 ? 'at the point' : `with ${name}[${k}] moved`;
  if (!Number.isFinite(value)) throw badArgument(`checkGradient: f returned ${value} ${where}; the function must be finite near the point`);
  return value;
}

function badArgument(message: string): XcnnError {
  return new XcnnError(message, { code: 'ERR_BAD_ARGUMENT' });
}
