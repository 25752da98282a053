/**
 * The new layers' hand-derived backward passes against float64 finite differences, over random shapes
 * from fast-check: convolution with stride and padding, max pooling with and without overlapping windows,
 * average and global average pooling, batch normalisation in training mode (through the batch statistics)
 * and in evaluation mode, dropout with its mask fixed, and whole networks built from random valid specs in
 * training mode. Each output is reduced to L = Σ y·r with a random r, so ∂L/∂y = r is what backward receives.
 *
 * Batch norm's forward pass is checked against its closed form (PyTorch's semantics), written out here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape, Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { BatchNorm } from '../src/model/batch-norm.js';
import { Dropout } from '../src/model/dropout.js';
import { EVALUATION, trainingPass, type Layer, type PassMode } from '../src/model/layer.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { createNetwork, Network } from '../src/model/network.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../src/model/pool2d.js';
import { Random } from '../src/random.js';
import { compareGradient, dot, expectGradientClose, seededValues } from './gradcheck.js';
import { convOut, poolOut, randomSpecs } from '../src/testing.js';

const backend = new ReferenceBackend({ precision: 'float64' });
const product = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** `length` distinct values, 0.01 apart and shuffled: no two tie within a finite-difference step. */
function distinctValues(length: number, seed: number): Float64Array {
  const order = Int32Array.from({ length }, (_, k) => k);
  new Random(seed).shuffle(order);
  return Float64Array.from(order, (k) => (k - length / 2) * 0.01);
}

/**
 * Checks a parameter-free layer's backward against finite differences of L = Σ layer(x)·r, and returns the
 * layer's output at x (for the forward checks).
 */
function checkInputGradient(layer: Layer, x: Float64Array, batch: number, seed: number, mode: PassMode = EVALUATION): Float64Array {
  const r = seededValues(seed, batch * product(layer.outputShape));
  const loss = () => dot(layer.forward(x, batch, mode), r);
  const y = Float64Array.from(layer.forward(x, batch, mode));
  const dx = Float64Array.from(layer.backward(Float64Array.from(r), true)!);
  expectGradientClose(`${layer.name} dInput`, compareGradient(loss, x, dx));
  return y;
}

describe('conv2d with stride and padding (reference, float64)', () => {
  const shapes = fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    inChannels: fc.integer({ min: 1, max: 3 }),
    outChannels: fc.integer({ min: 1, max: 3 }),
    kernelSize: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }),
    padding: fc.integer({ min: 0, max: 2 }),
    height: fc.integer({ min: 1, max: 8 }),
    width: fc.integer({ min: 1, max: 8 }),
  }).filter((s) => s.kernelSize <= s.height + 2 * s.padding && s.kernelSize <= s.width + 2 * s.padding);

  it('backward matches finite differences for input, weight and bias', () => {
    fc.assert(
      fc.property(shapes, fc.integer(), (s: Required<Conv2dShape>, seed) => {
        const [oh, ow] = [convOut(s.height, s.kernelSize, s.stride, s.padding), convOut(s.width, s.kernelSize, s.stride, s.padding)];
        const x = seededValues(seed, s.batch * s.inChannels * s.height * s.width);
        const w = seededValues(seed + 1, s.outChannels * s.inChannels * s.kernelSize ** 2);
        const b = seededValues(seed + 2, s.outChannels);
        const r = seededValues(seed + 3, s.batch * s.outChannels * oh * ow);
        const y = new Float64Array(r.length);
        const loss = () => {
          backend.conv2dForward(s, x, w, b, y);
          return dot(y, r);
        };
        const [dw, db, dx] = [new Float64Array(w.length), new Float64Array(b.length), new Float64Array(x.length)];
        loss();
        backend.conv2dBackward(s, { input: x, weight: w, dOutput: r, dWeight: dw, dBias: db, dInput: dx });
        expectGradientClose('dInput', compareGradient(loss, x, dx));
        expectGradientClose('dWeight', compareGradient(loss, w, dw));
        expectGradientClose('dBias', compareGradient(loss, b, db));
      }),
      { numRuns: 60 },
    );
  });

  it('computes a worked example: stride 2 and padding 1 read the zero border', () => {
    // x = 1…9 in a 3×3 image, a 3×3 kernel of ones, stride 2, padding 1: output 2×2, each the sum of a
    // corner's 2×2 block of x: 1+2+4+5, 2+3+5+6, 4+5+7+8, 5+6+8+9.
    const s = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernelSize: 3, stride: 2, padding: 1 };
    const y = new Float64Array(4);
    backend.conv2dForward(s, Float64Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9), new Float64Array(9).fill(1), Float64Array.of(0.5), y);
    expect([...y]).toEqual([12.5, 16.5, 24.5, 28.5]);
  });
});

describe('pooling layers (reference, float64)', () => {
  const pools = fc.record({
    batch: fc.integer({ min: 1, max: 2 }),
    channels: fc.integer({ min: 1, max: 3 }),
    height: fc.integer({ min: 1, max: 8 }),
    width: fc.integer({ min: 1, max: 8 }),
    kernel: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 4 }),
  }).filter((s) => s.kernel <= s.height && s.kernel <= s.width);

  /** Each window's values, by brute force: windows[n,c,i,j] = {x[n,c,S·i+a,S·j+b]}. */
  function windows(s: { batch: number; channels: number; height: number; width: number; kernel: number; stride: number }, x: Float64Array): number[][] {
    const [oh, ow] = [poolOut(s.height, s.kernel, s.stride), poolOut(s.width, s.kernel, s.stride)];
    const out: number[][] = [];
    for (let plane = 0; plane < s.batch * s.channels; plane++) {
      for (let i = 0; i < oh; i++) {
        for (let j = 0; j < ow; j++) {
          const values: number[] = [];
          for (let a = 0; a < s.kernel; a++) for (let b = 0; b < s.kernel; b++) values.push(x[plane * s.height * s.width + (s.stride * i + a) * s.width + s.stride * j + b]);
          out.push(values);
        }
      }
    }
    return out;
  }

  it('max pool: the window maxima, and backward as finite differences say, with and without overlap', () => {
    const maxPoolOf = (s: { batch: number; channels: number; height: number; width: number; kernel: number; stride: number }, seed: number) => {
      const layer = new MaxPool2d(backend, 'pool1', [s.channels, s.height, s.width], s.kernel, s.stride);
      const x = distinctValues(s.batch * s.channels * s.height * s.width, seed);
      const y = checkInputGradient(layer, x, s.batch, seed);
      expect([...y]).toEqual(windows(s, x).map((w) => Math.max(...w)));
    };
    fc.assert(fc.property(pools, fc.integer(), maxPoolOf), { numRuns: 80 });
    // overlapping windows (stride < kernel: a gradient sums where windows share their maximum) in every run, not by chance
    fc.assert(fc.property(pools.filter((s) => s.stride < s.kernel), fc.integer(), maxPoolOf), { numRuns: 20 });
  });

  it('average pool: the window means, and backward as finite differences say', () => {
    fc.assert(
      fc.property(pools, fc.integer(), (s, seed) => {
        const layer = new AvgPool2d(backend, 'pool1', [s.channels, s.height, s.width], s.kernel, s.stride);
        const x = seededValues(seed, s.batch * s.channels * s.height * s.width);
        const y = checkInputGradient(layer, x, s.batch, seed + 1);
        const means = windows(s, x).map((w) => w.reduce((a, b) => a + b, 0) / w.length);
        for (let k = 0; k < means.length; k++) expect(y[k]).toBeCloseTo(means[k], 12);
      }),
      { numRuns: 80 },
    );
  });

  it('global average pool: each plane\'s mean, and backward as finite differences say, square or not', () => {
    // Half the cases square (the layer runs the pool kernels with K = H = W), half of any shape (its own mean).
    const shapes = fc
      .record({ batch: fc.integer({ min: 1, max: 3 }), channels: fc.integer({ min: 1, max: 3 }), height: fc.integer({ min: 1, max: 7 }), width: fc.integer({ min: 1, max: 7 }), square: fc.boolean() })
      .map((s) => ({ ...s, width: s.square ? s.height : s.width }));
    fc.assert(
      fc.property(shapes, fc.integer(), (s, seed) => {
        const layer = new GlobalAvgPool2d(backend, 'gap1', [s.channels, s.height, s.width]);
        expect(layer.outputShape).toEqual([s.channels, 1, 1]);
        const x = seededValues(seed, s.batch * s.channels * s.height * s.width);
        const y = checkInputGradient(layer, x, s.batch, seed + 1);
        const positions = s.height * s.width;
        for (let plane = 0; plane < s.batch * s.channels; plane++) {
          const mean = x.subarray(plane * positions, (plane + 1) * positions).reduce((a, b) => a + b, 0) / positions;
          expect(y[plane]).toBeCloseTo(mean, 12);
        }
      }),
      { numRuns: 60 },
    );
  });
});

/** A batch-norm layer in a one-layer network (which gives it its parameters and buffers), with random γ, β and running statistics. */
function batchNorm(shape: number[], seed: number) {
  const layer = new BatchNorm(backend, 'bn1', shape);
  const network = new Network(backend, [layer]);
  const random = new Random(seed);
  for (const p of network.parameters) for (let k = 0; k < p.value.length; k++) p.value[k] = random.uniform(0.5, 1.5) * (p.name.endsWith('weight') ? 1 : random.uniform(-1, 1));
  for (let c = 0; c < shape[0]; c++) {
    layer.runningMean.value[c] = random.uniform(-1, 1);
    layer.runningVar.value[c] = random.uniform(0.5, 2);
  }
  return { layer, network };
}

/** PyTorch's batch norm, written out: per channel c over its M = N·positions values. */
function batchNormClosedForm(x: Float64Array, batch: number, shape: number[], gamma: Floats, beta: Floats, statistics?: { mean: Floats; variance: Floats }) {
  const channels = shape[0];
  const positions = product(shape.slice(1));
  const at = (n: number, c: number, k: number) => (n * channels + c) * positions + k;
  const values = (c: number) => Array.from({ length: batch * positions }, (_, m) => x[at(Math.floor(m / positions), c, m % positions)]);
  const mean = Array.from({ length: channels }, (_, c) => values(c).reduce((a, b) => a + b, 0) / (batch * positions));
  const biased = Array.from({ length: channels }, (_, c) => values(c).reduce((a, v) => a + (v - mean[c]) ** 2, 0) / (batch * positions));
  const unbiased = biased.map((v) => (v * batch * positions) / (batch * positions - 1));
  const useMean = statistics ? statistics.mean : mean;
  const useVar = statistics ? statistics.variance : biased;
  const y = new Float64Array(x.length);
  for (let n = 0; n < batch; n++) {
    for (let c = 0; c < channels; c++) {
      for (let k = 0; k < positions; k++) y[at(n, c, k)] = (gamma[c] * (x[at(n, c, k)] - useMean[c])) / Math.sqrt(useVar[c] + 1e-5) + beta[c];
    }
  }
  return { y, mean, biased, unbiased };
}

describe('batch norm (reference, float64)', () => {
  const cases = fc.record({
    batch: fc.integer({ min: 2, max: 4 }),
    shape: fc.oneof(
      fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })).map((s) => [...s]),
      fc.integer({ min: 1, max: 5 }).map((f) => [f]),
    ),
    seed: fc.integer({ min: 0, max: 2 ** 31 }),
  });

  it('training: backward through the batch statistics matches finite differences for input, γ and β', () => {
    fc.assert(
      fc.property(cases, ({ batch, shape, seed }) => {
        const { layer, network } = batchNorm(shape, seed);
        const mode = trainingPass(seed, 1);
        const x = seededValues(seed, batch * product(shape)).map((v, k) => v * (1 + (k % 3))); // spread: variances well above ε
        const r = seededValues(seed + 1, x.length);
        const loss = () => dot(layer.forward(x, batch, mode), r);
        network.zeroGrad();
        loss();
        const dx = Float64Array.from(layer.backward(Float64Array.from(r), true)!);
        expectGradientClose('dInput', compareGradient(loss, x, dx), 1e-6);
        expectGradientClose('dγ', compareGradient(loss, layer.weight.value as Float64Array, Float64Array.from(layer.weight.grad)));
        expectGradientClose('dβ', compareGradient(loss, layer.bias.value as Float64Array, Float64Array.from(layer.bias.grad)));
      }),
      { numRuns: 60 },
    );
  });

  it('evaluation: backward (an affine map of the running statistics) matches finite differences', () => {
    fc.assert(
      fc.property(cases, ({ batch, shape, seed }) => {
        const { layer, network } = batchNorm(shape, seed);
        const x = seededValues(seed, batch * product(shape));
        const r = seededValues(seed + 1, x.length);
        const loss = () => dot(layer.forward(x, batch, EVALUATION), r);
        network.zeroGrad();
        loss();
        const dx = Float64Array.from(layer.backward(Float64Array.from(r), true)!);
        expectGradientClose('dInput', compareGradient(loss, x, dx));
        expectGradientClose('dγ', compareGradient(loss, layer.weight.value as Float64Array, Float64Array.from(layer.weight.grad)));
        expectGradientClose('dβ', compareGradient(loss, layer.bias.value as Float64Array, Float64Array.from(layer.bias.grad)));
      }),
      { numRuns: 40 },
    );
  });

  it('training forward: normalises with the batch mean and biased variance; running stats move 0.1 toward the mean and the unbiased variance', () => {
    fc.assert(
      fc.property(cases, ({ batch, shape, seed }) => {
        const { layer } = batchNorm(shape, seed);
        const x = seededValues(seed, batch * product(shape)).map((v, k) => v + (k % 2));
        const runningMean = Float64Array.from(layer.runningMean.value);
        const runningVar = Float64Array.from(layer.runningVar.value);
        const expected = batchNormClosedForm(x, batch, shape, layer.weight.value, layer.bias.value);
        const y = layer.forward(x, batch, trainingPass(seed, 1));
        for (let k = 0; k < y.length; k++) expect(y[k]).toBeCloseTo(expected.y[k], 10);
        for (let c = 0; c < shape[0]; c++) {
          expect(layer.runningMean.value[c]).toBeCloseTo(0.9 * runningMean[c] + 0.1 * expected.mean[c], 12);
          expect(layer.runningVar.value[c]).toBeCloseTo(0.9 * runningVar[c] + 0.1 * expected.unbiased[c], 12);
        }
        expect(layer.batchesTracked.value[0]).toBe(1);
        layer.forward(x, batch, trainingPass(seed, 2));
        expect(layer.batchesTracked.value[0]).toBe(2); // one count a training pass
      }),
      { numRuns: 40 },
    );
  });

  it('evaluation forward: normalises with the running statistics and changes nothing', () => {
    fc.assert(
      fc.property(cases, ({ batch, shape, seed }) => {
        const { layer, network } = batchNorm(shape, seed);
        const x = seededValues(seed, batch * product(shape));
        const buffers = Float64Array.from(network.buffers);
        const expected = batchNormClosedForm(x, batch, shape, layer.weight.value, layer.bias.value, { mean: layer.runningMean.value, variance: layer.runningVar.value });
        const y = layer.forward(x, batch, EVALUATION);
        for (let k = 0; k < y.length; k++) expect(y[k]).toBeCloseTo(expected.y[k], 10);
        expect([...network.buffers]).toEqual([...buffers]);
      }),
      { numRuns: 30 },
    );
  });

  it('a training pass with updateStatistics false normalises with the batch statistics but leaves the running ones untouched', () => {
    const shape = [2, 3, 3];
    const { layer, network } = batchNorm(shape, 5);
    const x = seededValues(5, 3 * product(shape));
    const buffers = Float64Array.from(network.buffers);
    const worker = Float64Array.from(layer.forward(x, 3, { ...trainingPass(5, 1), updateStatistics: false }));
    expect([...network.buffers]).toEqual([...buffers]);
    const expected = batchNormClosedForm(x, 3, shape, layer.weight.value, layer.bias.value);
    for (let k = 0; k < worker.length; k++) expect(worker[k]).toBeCloseTo(expected.y[k], 10);
    const main = layer.forward(x, 3, trainingPass(5, 1));
    expect([...main]).toEqual([...worker]);
    expect([...network.buffers]).not.toEqual([...buffers]);
  });

  it('moves no running statistic for a single value per channel (M = 1: its unbiased variance is undefined), and normalises it to β', () => {
    const { layer, network } = batchNorm([2], 3);
    const before = Float64Array.from(network.buffers);
    const y = layer.forward(Float64Array.of(0.3, -0.7), 1, trainingPass(3, 1));
    expect([...network.buffers]).toEqual([...before]);
    for (let c = 0; c < 2; c++) expect(y[c]).toBeCloseTo(layer.bias.value[c], 6);
    layer.forward(Float64Array.of(0.3, -0.7, 0.1, 0.9), 2, trainingPass(3, 2));
    expect([...network.buffers]).not.toEqual([...before]);
  });
});

describe('dropout with its mask fixed (reference, float64)', () => {
  it('backward matches finite differences of a training pass with a given seed and step', () => {
    const cases = fc.record({ batch: fc.integer({ min: 1, max: 3 }), features: fc.integer({ min: 1, max: 30 }), p: fc.constantFrom(0, 0.1, 0.5, 0.9), seed: fc.integer({ min: 0, max: 2 ** 31 }), step: fc.integer({ min: 1, max: 1000 }) });
    fc.assert(
      fc.property(cases, ({ batch, features, p, seed, step }) => {
        const layer = new Dropout(backend, 'dropout1', [features], p, 1);
        checkInputGradient(layer, seededValues(seed, batch * features), batch, seed + 1, trainingPass(seed, step));
      }),
      { numRuns: 40 },
    );
  });
});

describe('whole networks from random specs (reference, float64, training mode)', () => {
  it('backpropagates the loss to every parameter and to the input, as finite differences say', () => {
    const cases = fc.record({ spec: randomSpecs({ maxSize: 7, maxLayers: 6 }), batch: fc.integer({ min: 2, max: 3 }), seed: fc.integer({ min: 0, max: 2 ** 31 }) });
    fc.assert(
      fc.property(cases, ({ spec, batch, seed }) => {
        const network = createNetwork(backend, spec.explicit, spec.geometry);
        const random = new Random(seed);
        network.initialize(random);
        // bn's γ and β away from their initial 1 and 0: a channel constant over the batch normalises to exactly β,
        // and a ReLU after it would then sit on its kink at β = 0.
        for (const p of network.parameters) if (p.constant !== undefined) for (let k = 0; k < p.value.length; k++) p.value[k] = random.uniform(0.5, 1.5) * (p.constant || (random.next() < 0.5 ? -1 : 1));
        const { classes } = spec.geometry;
        const input = seededValues(seed, batch * product(network.inputShape));
        const labels = Int32Array.from({ length: batch }, (_, n) => (seed + n) % classes);
        const head = new SoftmaxCrossEntropy(backend, classes);
        const mode = trainingPass(seed, 7); // the same dropout masks on every pass
        const loss = () => head.forward(network.forward(input, batch, mode), labels, batch, false);

        network.zeroGrad();
        head.forward(network.forward(input, batch, mode), labels, batch, true);
        const dInput = Float64Array.from(network.backwardToInput(head.dLogits!));
        const grads = Float64Array.from(network.grads);
        expectGradientClose(`parameters of ${spec.explicit}`, compareGradient(loss, network.params as Float64Array, grads), 1e-5);
        expectGradientClose(`input of ${spec.explicit}`, compareGradient(loss, input, dInput), 1e-5);
      }),
      { numRuns: 40 },
    );
  });
});
