/**
 * Each layer's face beyond its arithmetic (which layer-gradients and network-forward check): its defaults, its
 * parameters' declared fan-in, what backward returns when no input gradient is wanted, the fused
 * convolution + ReLU on a backend without the fused kernel, batch norm's bookkeeping of its running statistics,
 * dropout's hash as a second implementation computes it, the loss head, and what each layer gives back on dispose.
 * Expected values are worked out by hand or by the definitions written here.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, BatchNorm } from '../src/model/batch-norm.js';
import { Conv2d } from '../src/model/conv2d.js';
import { Dense } from '../src/model/dense.js';
import { Dropout, uniformAt } from '../src/model/dropout.js';
import { Flatten } from '../src/model/flatten.js';
import { EVALUATION, type NetworkBuffer, type Parameter, type ParameterSpec, trainingPass } from '../src/model/layer.js';
import { argmaxRow, SoftmaxCrossEntropy } from '../src/model/loss.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from '../src/model/pool2d.js';
import { ReLU } from '../src/model/relu.js';
import { RecordingBackend } from './fixtures/recording-backend.js';

/** Gives a layer's parameters storage holding `values` (in the order of its specs), gradients zero. */
function bind(layer: { parameterSpecs(): ParameterSpec[]; bindParameters(p: Parameter[]): void }, ...values: number[][]): Parameter[] {
  const parameters = layer.parameterSpecs().map((spec, k) => ({ ...spec, value: Float64Array.from(values[k]), grad: new Float64Array(values[k].length) }));
  layer.bindParameters(parameters);
  return parameters;
}

/** Every array the backend allocated went back to it. */
function expectAllFreed(backend: RecordingBackend): void {
  expect(backend.allocated.length).toBeGreaterThan(0);
  for (const array of backend.allocated) expect(backend.freed).toContain(array);
}

describe('Conv2d', () => {
  it('defaults to stride 1 and no padding, and declares weight [F,C,K,K] and bias [F] with fan-in C·K·K', () => {
    const conv = new Conv2d(new ReferenceBackend(), 'conv7', [2, 4, 5], 3, 2);
    expect([conv.stride, conv.padding]).toEqual([1, 0]);
    expect(conv.outputShape).toEqual([3, 3, 4]);
    expect(conv.parameterSpecs()).toEqual([
      { name: 'conv7.weight', shape: [3, 2, 2, 2], fanIn: 8 },
      { name: 'conv7.bias', shape: [3], fanIn: 8 },
    ]);
    expect(new Conv2d(new ReferenceBackend(), 'c', [1, 5, 5], 1, 3, { stride: 2, padding: 1 }).outputShape).toEqual([1, 3, 3]);
  });

  // One 1×1 kernel of weight 1 and bias −1 on [1,1,1,3] = [0, 1, 3]: conv + bias = [−1, 0, 2], ReLU [0, 0, 2].
  const input = Float64Array.from([0, 1, 3]);
  const fused = (backend: Backend) => {
    const conv = new Conv2d(backend, 'conv1', [1, 1, 3], 1, 1, { fuseRelu: true });
    bind(conv, [1], [-1]);
    return Array.from(conv.forward(input, 1));
  };

  it('with fuseRelu gives max(conv + bias, 0): by the fused kernel, or by conv then ReLU on a backend without it', () => {
    const backend = new ReferenceBackend({ precision: 'float64' });
    expect(fused(backend)).toEqual([0, 0, 2]);
    const withoutFused = Object.assign(Object.create(backend) as Backend, { conv2dReluForward: undefined });
    expect(fused(withoutFused)).toEqual([0, 0, 2]);
    let fusedCalls = 0;
    const counting = Object.assign(Object.create(backend) as Backend, {
      conv2dReluForward: (...args: Parameters<NonNullable<Backend['conv2dReluForward']>>) => {
        fusedCalls++;
        backend.conv2dReluForward(...args);
      },
    });
    expect(fused(counting)).toEqual([0, 0, 2]);
    expect(fusedCalls).toBe(1);
    const plain = new Conv2d(backend, 'conv1', [1, 1, 3], 1, 1);
    bind(plain, [1], [-1]);
    expect(Array.from(plain.forward(input, 1))).toEqual([-1, 0, 2]);
  });

  it('backward returns null when no input gradient is wanted, and still accumulates ∂W and ∂b', () => {
    const conv = new Conv2d(new ReferenceBackend({ precision: 'float64' }), 'conv1', [1, 1, 3], 1, 1);
    const [weight, bias] = bind(conv, [2], [0]);
    conv.forward(input, 1);
    expect(conv.backward(Float64Array.from([1, 1, 1]), false)).toBeNull();
    expect([weight.grad[0], bias.grad[0]]).toEqual([4, 3]); // Σ x = 4, Σ 1 = 3
    conv.forward(input, 1);
    expect(Array.from(conv.backward(Float64Array.from([1, 2, 3]), true)!)).toEqual([2, 4, 6]);
  });

  it('gives back its batch buffers on dispose', () => {
    const backend = new RecordingBackend({ precision: 'float64' });
    const conv = new Conv2d(backend, 'conv1', [1, 2, 2], 1, 1);
    bind(conv, [1], [0]);
    conv.forward(new Float64Array(4), 1);
    conv.backward(new Float64Array(4), true);
    conv.dispose();
    expectAllFreed(backend);
  });
});

describe('Dense', () => {
  it('declares weight [O,I] and bias [O] with fan-in I; backward without an input gradient returns null', () => {
    const backend = new RecordingBackend({ precision: 'float64' });
    const dense = new Dense(backend, 'fc3', 2, 1);
    expect(dense.inputShape).toEqual([2]);
    expect(dense.outputShape).toEqual([1]);
    expect(dense.parameterSpecs()).toEqual([
      { name: 'fc3.weight', shape: [1, 2], fanIn: 2 },
      { name: 'fc3.bias', shape: [1], fanIn: 2 },
    ]);
    const [weight, bias] = bind(dense, [3, -1], [0.5]);
    expect(Array.from(dense.forward(Float64Array.from([1, 2]), 1))).toEqual([1.5]); // 3 − 2 + 0.5
    expect(dense.backward(Float64Array.from([2]), false)).toBeNull();
    expect([...weight.grad, ...bias.grad]).toEqual([2, 4, 2]);
    dense.forward(Float64Array.from([1, 2]), 1);
    expect(Array.from(dense.backward(Float64Array.from([2]), true)!)).toEqual([6, -2]);
    dense.dispose();
    expectAllFreed(backend);
  });
});

describe('Flatten and ReLU', () => {
  it('flatten passes the data through as it is and backward gives the same array, or null when not wanted', () => {
    const flatten = new Flatten('flatten', [2, 1, 3]);
    expect(flatten.outputShape).toEqual([6]);
    expect(flatten.parameterSpecs()).toEqual([]);
    const x = new Float64Array(6);
    expect(flatten.forward(x, 1)).toBe(x);
    expect(flatten.backward(x, true)).toBe(x);
    expect(flatten.backward(x, false)).toBeNull();
  });

  it('ReLU after a fused convolution keeps its input as its output, and masks the gradient by it', () => {
    const backend = new RecordingBackend({ precision: 'float64' });
    const relu = new ReLU(backend, 'relu1', [3], { inputRectified: true });
    const rectified = Float64Array.from([0, 2, 0]);
    expect(relu.forward(rectified, 1)).toBe(rectified);
    expect(relu.activations()).toBe(rectified);
    expect(backend.allocated).toEqual([]);
    expect(Array.from(relu.backward(Float64Array.from([5, 6, 7]), true))).toEqual([0, 6, 0]);
  });

  it('ReLU computes max(x, 0) into its own buffer, its guided backward zeroes negative gradients too, and frees it', () => {
    const backend = new RecordingBackend({ precision: 'float64' });
    const relu = new ReLU(backend, 'relu1', [4]);
    const y = relu.forward(Float64Array.from([-1, 2, 3, 0]), 1);
    expect(Array.from(y)).toEqual([0, 2, 3, 0]);
    expect(relu.activations()).toBe(y);
    expect(Array.from(relu.guidedBackward(Float64Array.from([1, -4, 5, 6])))).toEqual([0, 0, 5, 0]);
    relu.dispose();
    expectAllFreed(backend);
  });
});

describe('pools', () => {
  it('a max pool defaults to a 2×2 window with stride 2; a stride defaults to the kernel', () => {
    const backend = new ReferenceBackend();
    expect(new MaxPool2d(backend, 'pool1', [3, 6, 7]).outputShape).toEqual([3, 3, 3]);
    const pool = new MaxPool2d(backend, 'pool1', [1, 6, 6], 3);
    expect([pool.kernelSize, pool.stride]).toEqual([3, 3]);
    expect(pool.outputShape).toEqual([1, 2, 2]);
    expect(new AvgPool2d(backend, 'pool2', [1, 5, 5], 3, 1).outputShape).toEqual([1, 3, 3]);
  });

  it('every pool returns null from backward when no input gradient is wanted', () => {
    const backend = new ReferenceBackend({ precision: 'float64' });
    const x = Float64Array.from([1, 2, 3, 4]);
    for (const pool of [new MaxPool2d(backend, 'p', [1, 2, 2]), new AvgPool2d(backend, 'p', [1, 2, 2], 2, 2), new GlobalAvgPool2d(backend, 'g', [1, 2, 2]), new GlobalAvgPool2d(backend, 'g', [1, 1, 4])]) {
      expect(Array.from(pool.forward(x, 1)), pool.constructor.name).toEqual([pool instanceof MaxPool2d ? 4 : 2.5]);
      expect(pool.backward(Float64Array.from([1]), false)).toBeNull();
    }
  });

  it('global pooling of a non-square plane spreads each plane\'s gradient evenly over its own plane', () => {
    const backend = new ReferenceBackend({ precision: 'float64' });
    const gap = new GlobalAvgPool2d(backend, 'gap1', [2, 1, 3]);
    expect(Array.from(gap.forward(Float64Array.from([1, 2, 6, 0, 3, 3, 9, 9, 9, 1, 1, 1]), 2))).toEqual([3, 2, 9, 1]);
    expect(Array.from(gap.backward(Float64Array.from([3, 6, 0, -3]), true)!)).toEqual([1, 1, 1, 2, 2, 2, 0, 0, 0, -1, -1, -1]);
  });

  it('global pooling of a square plane runs the backend\'s average-pool kernels, forward and backward', () => {
    const backend = new ReferenceBackend({ precision: 'float64' });
    const calls: string[] = [];
    const counting = Object.assign(Object.create(backend) as Backend, {
      avgPool2dForward: (...args: Parameters<Backend['avgPool2dForward']>) => {
        calls.push(`forward ${args[0].kernelSize} ${args[0].stride}`);
        backend.avgPool2dForward(...args);
      },
      avgPool2dBackward: (...args: Parameters<Backend['avgPool2dBackward']>) => {
        calls.push(`backward ${args[0].kernelSize} ${args[0].stride}`);
        backend.avgPool2dBackward(...args);
      },
    });
    const gap = new GlobalAvgPool2d(counting, 'gap1', [1, 2, 2]);
    expect(Array.from(gap.forward(Float64Array.from([1, 2, 3, 6]), 1))).toEqual([3]);
    expect(Array.from(gap.backward(Float64Array.from([4]), true)!)).toEqual([1, 1, 1, 1]);
    expect(calls).toEqual(['forward 2 1', 'backward 2 1']);
    const wide = new GlobalAvgPool2d(counting, 'gap2', [1, 1, 2]);
    wide.forward(Float64Array.from([1, 2]), 1);
    wide.backward(Float64Array.from([1]), true);
    expect(calls.length).toBe(2);
  });

  it('gives back its output, input-gradient and argmax buffers on dispose', () => {
    for (const make of [
      (b: Backend) => new MaxPool2d(b, 'p', [1, 2, 2]),
      (b: Backend) => new AvgPool2d(b, 'p', [1, 2, 2], 2, 2),
      (b: Backend) => new GlobalAvgPool2d(b, 'g', [1, 2, 2]),
    ]) {
      const backend = new RecordingBackend({ precision: 'float64' });
      const pool = make(backend);
      pool.forward(Float64Array.from([1, 2, 3, 4]), 1);
      pool.backward(Float64Array.from([1]), true);
      pool.dispose();
      expectAllFreed(backend);
    }
  });
});

describe('BatchNorm bookkeeping', () => {
  function batchNorm(backend: Backend, shape: number[]) {
    const bn = new BatchNorm(backend, 'bn1', shape);
    const channels = shape[0];
    bind(bn, new Array(channels).fill(1), new Array(channels).fill(0));
    const buffers: NetworkBuffer[] = bn.bufferSpecs().map((spec) => ({ ...spec, value: new Float64Array(spec.shape.length === 0 ? 1 : spec.shape[0]).fill(spec.initial) }));
    bn.bindBuffers(buffers);
    return { bn, mean: buffers[0].value, variance: buffers[1].value, tracked: buffers[2].value };
  }

  it('declares γ = 1 and β = 0 with fan-in 1, and the running statistics PyTorch saves (num_batches_tracked as int64)', () => {
    const bn = new BatchNorm(new ReferenceBackend(), 'bn2', [3, 4, 4]);
    expect(bn.channels).toBe(3);
    expect(bn.parameterSpecs()).toEqual([
      { name: 'bn2.weight', shape: [3], fanIn: 1, constant: 1 },
      { name: 'bn2.bias', shape: [3], fanIn: 1, constant: 0 },
    ]);
    expect(bn.bufferSpecs()).toEqual([
      { name: 'bn2.running_mean', shape: [3], initial: 0, dtype: 'F32' },
      { name: 'bn2.running_var', shape: [3], initial: 1, dtype: 'F32' },
      { name: 'bn2.num_batches_tracked', shape: [], initial: 0, dtype: 'I64' },
    ]);
    expect([BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM]).toEqual([1e-5, 0.1]);
  });

  it('counts each training pass that moves the statistics, and no evaluation pass or worker pass', () => {
    const { bn, mean, variance, tracked } = batchNorm(new ReferenceBackend({ precision: 'float64' }), [1]);
    const x = Float64Array.from([1, 3]); // mean 2, unbiased variance 2
    bn.forward(x, 2, trainingPass(0, 0));
    expect(tracked[0]).toBe(1);
    expect(mean[0]).toBeCloseTo(0.2, 12);
    expect(variance[0]).toBeCloseTo(0.9 + 0.1 * 2, 12);
    bn.forward(x, 2, trainingPass(0, 1));
    expect(tracked[0]).toBe(2);
    bn.forward(x, 2, EVALUATION);
    bn.forward(x, 2);
    bn.forward(x, 2, { ...trainingPass(0, 2), updateStatistics: false });
    expect(tracked[0]).toBe(2);
    expect(mean[0]).toBeCloseTo(0.2 * 0.9 + 0.2, 12);
  });

  it('a training pass over two positions of one sample moves the statistics; over one value it does not', () => {
    const spatial = batchNorm(new ReferenceBackend({ precision: 'float64' }), [1, 1, 2]);
    spatial.bn.forward(Float64Array.from([1, 3]), 1, trainingPass(0, 0));
    expect(spatial.tracked[0]).toBe(1);
    expect(spatial.mean[0]).toBeCloseTo(0.2, 12);
    const single = batchNorm(new ReferenceBackend({ precision: 'float64' }), [1]);
    expect(Array.from(single.bn.forward(Float64Array.from([5]), 1, trainingPass(0, 0)))).toEqual([0]);
    expect([single.tracked[0], single.mean[0], single.variance[0]]).toEqual([0, 0, 1]);
  });

  it('backward without an input gradient returns null and still accumulates ∂γ and ∂β', () => {
    const backend = new ReferenceBackend({ precision: 'float64' });
    const { bn } = batchNorm(backend, [1]);
    bn.forward(Float64Array.from([1, 3]), 2, EVALUATION); // running mean 0, var 1: y = x/√(1 + ε)
    expect(bn.backward(Float64Array.from([1, 1]), false)).toBeNull();
    expect(bn.weight.grad[0]).toBeCloseTo(4 / Math.sqrt(1 + 1e-5), 12);
    expect(bn.bias.grad[0]).toBe(2);
    expect(bn.backward(Float64Array.from([1, 1]), true)).not.toBeNull();
  });

  it('gives back its batch buffers, its saved statistics and its scratch copies on dispose', () => {
    const backend = new RecordingBackend({ precision: 'float64' });
    const { bn } = batchNorm(backend, [2]);
    bn.forward(Float64Array.from([1, 2, 3, 4]), 2, EVALUATION); // uses the scratch copies
    bn.backward(Float64Array.from([1, 1, 1, 1]), true);
    bn.forward(Float64Array.from([1, 2, 3, 4]), 2, trainingPass(0, 0));
    bn.dispose();
    expectAllFreed(backend);
    // The constructor allocates the saved mean and inverse deviation [2]; the scratch copies [2] come later.
    const scratch = backend.allocated.slice(2).filter((array) => array.length === 2);
    expect(scratch.length).toBe(2);
    const freed = backend.freed.length;
    bn.dispose(); // the scratch copies went back already: not again
    for (const array of backend.freed.slice(freed)) expect(scratch).not.toContain(array);
    for (const array of backend.freed) expect(backend.allocated).toContain(array);
  });
});

describe('BatchNorm with a fused ReLU', () => {
  // One channel of four positions in evaluation: running mean 0, variance 1, γ = 2, β = −1, so
  // y = 2x / √(1 + ε) − 1, and the ReLU keeps max(0, y).
  const x = [-1, 0.25, 1, 3];
  const expected = x.map((v) => Math.max(0, (2 * v) / Math.sqrt(1 + BATCH_NORM_EPSILON) - 1));
  const layerOn = (backend: Backend) => {
    const bn = new BatchNorm(backend, 'bn1', [1, 2, 2], { fuseRelu: true });
    bind(bn, [2], [-1]);
    bn.bindBuffers(bn.bufferSpecs().map((spec) => ({ ...spec, value: new Float64Array(1).fill(spec.initial) })));
    return bn;
  };

  it('computes the ReLU in the backend\'s fused kernel when it has one', () => {
    // (The reference's fused kernel runs its two kernels in turn; a fast backend's is one pass.)
    const backend = new ReferenceBackend({ precision: 'float64' });
    const fused = vi.spyOn(backend, 'batchNormReluForward');
    const y = Array.from(layerOn(backend).forward(Float64Array.from(x), 1));
    y.forEach((value, k) => expect(value, `position ${k}`).toBeCloseTo(expected[k], 12));
    expect(fused).toHaveBeenCalledTimes(1);
  });

  it('falls back to batch norm then ReLU on a backend without the fused kernel: the same outputs', () => {
    const backend = new ReferenceBackend({ precision: 'float64' });
    Object.defineProperty(backend, 'batchNormReluForward', { value: undefined });
    const y = Array.from(layerOn(backend).forward(Float64Array.from(x), 1));
    expect(y[0]).toBe(0); // 2 · (−1) / √(1 + ε) − 1 < 0
    y.forEach((value, k) => expect(value, `position ${k}`).toBeCloseTo(expected[k], 12));
  });
});

describe('Dropout', () => {
  /** The hash of dropout.ts written again with BigInt arithmetic: murmur3's finaliser per counter. */
  function uniformByBigInt(...counters: number[]): number {
    const mask = (1n << 32n) - 1n;
    const mix = (value: bigint): bigint => {
      let x = value & mask;
      x = ((x ^ (x >> 16n)) * 0x85ebca6bn) & mask;
      x = ((x ^ (x >> 13n)) * 0xc2b2ae35n) & mask;
      return (x ^ (x >> 16n)) & mask;
    };
    let h = mix(BigInt(counters[0] >>> 0) ^ 0x9e3779b9n);
    for (const counter of counters.slice(1)) h = mix(h ^ BigInt(counter >>> 0));
    return Number(h >> 8n) / 2 ** 24;
  }

  it('draws each element\'s number by the murmur3 finaliser of its five counters, as a second implementation says', () => {
    const cases = [[0, 0, 0, 0, 0], [1, 2, 3, 4, 5], [123456789, 7, 1, 63, 783], [0xffffffff, 0x80000000, 2, 1000, 70000], [42, 0, 1, 0, 1]];
    for (const [seed, step, layer, sample, element] of cases) {
      expect(uniformAt(seed, step, layer, sample, element), String([seed, step, layer, sample, element])).toBe(uniformByBigInt(seed, step, layer, sample, element));
    }
  });

  it('backward without an input gradient returns null; in evaluation it returns the gradient as it is', () => {
    const dropout = new Dropout(new ReferenceBackend({ precision: 'float64' }), 'dropout1', [4], 0.5, 1);
    const x = Float64Array.from([1, 2, 3, 4]);
    expect(dropout.forward(x, 1)).toBe(x);
    const d = Float64Array.from([1, 1, 1, 1]);
    expect(dropout.backward(d, true)).toBe(d);
    expect(dropout.backward(d, false)).toBeNull();
    dropout.forward(x, 1, trainingPass(3, 4));
    expect(dropout.backward(d, false)).toBeNull();
    expect(Array.from(d)).toEqual([1, 1, 1, 1]);
  });

  it('with p = 0 is the identity in training too: it gives back its input itself', () => {
    const dropout = new Dropout(new ReferenceBackend({ precision: 'float64' }), 'dropout1', [2], 0, 1);
    const x = Float64Array.from([1, 2]);
    expect(dropout.forward(x, 1, trainingPass(1, 1))).toBe(x);
  });

  it('keeps an element whose number is below 1 − p and drops one whose number is exactly 1 − p (PyTorch: kept with probability 1 − p)', () => {
    // Found by search: sample 55858773's element 0 of layer 1 at seed 0, step 0 draws exactly 2²³/2²⁴ = 0.5.
    expect(uniformByBigInt(0, 0, 1, 55858773, 0)).toBe(0.5);
    const dropout = new Dropout(new ReferenceBackend({ precision: 'float64' }), 'dropout1', [1], 0.5, 1);
    expect(Array.from(dropout.forward(Float64Array.from([3]), 1, { ...trainingPass(0, 0), firstSample: 55858773 }))).toEqual([0]);
    const below = [0, 1, 2, 3].find((sample) => uniformByBigInt(0, 0, 1, sample, 0) < 0.5)!;
    expect(Array.from(dropout.forward(Float64Array.from([3]), 1, { ...trainingPass(0, 0), firstSample: below }))).toEqual([6]);
  });

  it('draws its mask with the backend\'s dropoutMask when the backend has one, passing the whole draw', () => {
    // A backend whose kernel keeps every other element (a stand-in for the wasm kernel): the output shows whose
    // mask was used, and the draw it was given names the seed, step, layer, first sample, batch, size and p.
    const backend = new ReferenceBackend({ precision: 'float64' });
    const draws: unknown[] = [];
    Object.defineProperty(backend, 'dropoutMask', {
      value: (draw: unknown, mask: Float64Array) => {
        draws.push(draw);
        mask.forEach((_, k) => (mask[k] = k % 2 === 0 ? 4 : 0));
      },
    });
    const dropout = new Dropout(backend, 'dropout3', [3], 0.75, 3);
    const y = Array.from(dropout.forward(Float64Array.from([1, 2, 3, 4, 5, 6]), 2, { ...trainingPass(9, 4), firstSample: 5 }));
    expect(y).toEqual([4, 0, 12, 0, 20, 0]);
    expect(draws).toEqual([{ seed: 9, step: 4, layer: 3, firstSample: 5, batch: 2, perSample: 3, probability: 0.75 }]);
  });

  it('masks by the layer\'s ordinal, sample and element, and gives back its buffers on dispose', () => {
    const backend = new RecordingBackend({ precision: 'float64' });
    const dropout = new Dropout(backend, 'dropout2', [3], 0.5, 2);
    const y = Array.from(dropout.forward(Float64Array.from([1, 1, 1, 1, 1, 1]), 2, { ...trainingPass(9, 4), firstSample: 5 }));
    const expected = [5, 5, 5, 6, 6, 6].map((sample, k) => (uniformByBigInt(9, 4, 2, sample, k % 3) < 0.5 ? 2 : 0));
    expect(y).toEqual(expected);
    dropout.dispose();
    expectAllFreed(backend);
  });
});

describe('SoftmaxCrossEntropy', () => {
  it('gives the mean −log p of the labels, the probabilities, and ∂/∂logits only when asked', () => {
    const head = new SoftmaxCrossEntropy(new ReferenceBackend({ precision: 'float64' }), 2);
    const logits = Float64Array.from([0, Math.log(3), 0, 0]); // p = [1/4, 3/4] and [1/2, 1/2]
    const loss = head.forward(logits, Int32Array.from([1, 0]), 2, false);
    expect(loss).toBeCloseTo((-Math.log(3 / 4) - Math.log(1 / 2)) / 2, 12);
    expect(Array.from(head.probs!).map((p) => Math.round(p * 1e12) / 1e12)).toEqual([0.25, 0.75, 0.5, 0.5]);
    expect(head.dLogits).toBeNull();
    head.forward(logits, Int32Array.from([1, 0]), 2, true);
    // (p − onehot)/N
    expect(Array.from(head.dLogits!).map((g) => Math.round(g * 1e12) / 1e12)).toEqual([0.125, -0.125, -0.25, 0.25]);
  });

  it('with label smoothing ε, trains against (1 − ε)·onehot + ε/K: its loss and (p − q)/N by hand, logits of any size', () => {
    // Two rows of three classes, ε = 0.1. Row 0 (800, 0, −5), label 0: a logit large enough that exp(800) would
    // overflow, so log p must be taken after subtracting the row's maximum. Row 1 (0.5, −1, 2), label 2.
    const logits = [800, 0, -5, 0.5, -1, 2];
    const labels = [0, 2];
    const epsilon = 0.1;
    const rows = [logits.slice(0, 3), logits.slice(3)];
    const logP = rows.map((z) => {
      const max = Math.max(...z);
      const logSum = max + Math.log(z.reduce((sum, v) => sum + Math.exp(v - max), 0));
      return z.map((v) => v - logSum);
    });
    const target = labels.map((label) => [0, 1, 2].map((k) => (k === label ? 1 - epsilon : 0) + epsilon / 3));
    const loss = (-target[0].reduce((sum, q, k) => sum + q * logP[0][k], 0) - target[1].reduce((sum, q, k) => sum + q * logP[1][k], 0)) / 2;
    const gradient = [0, 1].flatMap((n) => [0, 1, 2].map((k) => (Math.exp(logP[n][k]) - target[n][k]) / 2));
    const head = new SoftmaxCrossEntropy(new ReferenceBackend({ precision: 'float64' }), 3, epsilon);
    expect(head.forward(Float64Array.from(logits), Int32Array.from(labels), 2, true)).toBeCloseTo(loss, 10);
    Array.from(head.dLogits!).forEach((g, k) => expect(g, `∂/∂z ${k}`).toBeCloseTo(gradient[k], 12));
    // Without the gradient asked for: the same loss, and no gradient.
    expect(head.forward(Float64Array.from(logits), Int32Array.from(labels), 2, false)).toBeCloseTo(loss, 10);
    expect(head.dLogits).toBeNull();
    expect(loss).toBeCloseTo(0.9 * 0 + (0.1 / 3) * (805 + 800) / 2 + (0.9 * -logP[1][2] + (0.1 / 3) * -logP[1].reduce((a, b) => a + b)) / 2, 6); // row 0: −log p = 0, 800, 805
  });

  it('gives back its buffers on dispose and forgets the last batch', () => {
    const backend = new RecordingBackend({ precision: 'float64' });
    const head = new SoftmaxCrossEntropy(backend, 3);
    head.forward(new Float64Array(3), Int32Array.from([0]), 1, true);
    head.dispose();
    expectAllFreed(backend);
    expect(head.probs).toBeNull();
    expect(head.dLogits).toBeNull();
  });
});

describe('argmaxRow', () => {
  it('finds the largest of a row, the first of equals, at the row\'s offset', () => {
    const values = Float64Array.from([5, 1, 2, 0, 7, 7, 3, 9, 9]);
    expect(argmaxRow(values, 0, 3)).toBe(0);
    expect(argmaxRow(values, 1, 3)).toBe(1);
    expect(argmaxRow(values, 2, 3)).toBe(1);
    expect(argmaxRow(Float64Array.from([1, 2, 3, 4]), 0, 4)).toBe(3);
    expect(argmaxRow(Float64Array.from([1, 2, 3, 4]), 1, 2)).toBe(1);
    expect(argmaxRow(Float64Array.from([1, 2, 5, 0]), 0, 2)).toBe(1); // the next row's larger value is not this row's
  });
});
