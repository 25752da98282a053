/**
 * The reference backend's refusals, message by message (src/backend/shape-checks.ts, shared by every backend),
 * its dispose, and its kernels on small examples worked out by hand where the finite-difference checks of
 * reference-layers.test.ts see nothing: defaults of a shape, stride with padding in backward, an input
 * gradient that is overwritten while parameter gradients accumulate, float32 and float64 storage.
 */
import { describe, expect, it } from 'vitest';
import type { BatchNormState, Conv2dShape, Floats, Pool2dShape } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { checkSameLength } from '../src/backend/shape-checks.js';
import { XcnnError } from '../src/errors.js';

const backend = new ReferenceBackend({ precision: 'float64' });
const zeros = (n: number) => new Float64Array(n);

function messageOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    expect((error as XcnnError).code).toBe('ERR_BAD_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('expected an error');
}

describe('convolution argument checks', () => {
  const s: Conv2dShape = { batch: 2, inChannels: 3, height: 4, width: 5, outChannels: 2, kernelSize: 3 };
  // output 2×3 a plane: input 2·3·4·5 = 120, weight 2·3·3·3 = 54, bias 2, output 2·2·2·3 = 24
  const forward = (shape: Conv2dShape, input = 120, weight = 54, bias = 2, output = 24) =>
    messageOf(() => backend.conv2dForward(shape, zeros(input), zeros(weight), zeros(bias), zeros(output)));

  it('names the kernel, the array, its length and the length the shape implies', () => {
    expect(forward(s, 119)).toBe('conv2dForward: input has length 119, expected 120');
    expect(forward(s, 120, 53)).toBe('conv2dForward: weight has length 53, expected 54');
    expect(forward(s, 120, 54, 3)).toBe('conv2dForward: bias has length 3, expected 2');
    expect(forward(s, 120, 54, 2, 25)).toBe('conv2dForward: output has length 25, expected 24');
    expect(() => backend.conv2dForward(s, zeros(120), zeros(54), zeros(2), zeros(24))).not.toThrow();
  });

  it('refuses a size that is not a positive integer, a negative padding, and a kernel larger than the (padded) input', () => {
    expect(forward({ ...s, batch: 0 })).toBe('conv2dForward: batch must be a positive integer, got 0');
    expect(forward({ ...s, inChannels: 1.5 })).toBe('conv2dForward: inChannels must be a positive integer, got 1.5');
    expect(forward({ ...s, width: Number.NaN })).toBe('conv2dForward: width must be a positive integer, got NaN');
    expect(forward({ ...s, stride: 0 })).toBe('conv2dForward: stride must be a positive integer, got 0');
    expect(forward({ ...s, padding: -1 })).toBe('conv2dForward: padding must be a non-negative integer, got -1');
    expect(forward({ ...s, padding: 0.5 })).toBe('conv2dForward: padding must be a non-negative integer, got 0.5');
    expect(forward({ ...s, kernelSize: 5 })).toBe('conv2dForward: a 5×5 kernel does not fit a 4×5 input');
    expect(forward({ ...s, kernelSize: 7, padding: 1 })).toBe('conv2dForward: a 7×7 kernel does not fit a 4×5 input (padded by 1 to 6×7)');
    // A 1×1 output fits: 4 + 2 − 6 = 0 → one row.
    expect(() => backend.conv2dForward({ ...s, kernelSize: 6, padding: 1 }, zeros(120), zeros(2 * 3 * 36), zeros(2), zeros(2 * 2 * 1 * 2))).not.toThrow();
  });

  it('checks backward\'s gradients against the shape too: dBias, dOutput, dInput and dWeight', () => {
    const small: Conv2dShape = { batch: 1, inChannels: 1, height: 2, width: 2, outChannels: 1, kernelSize: 1 };
    const gradients = { input: zeros(4), weight: zeros(1), dOutput: zeros(4), dWeight: zeros(1), dBias: zeros(1), dInput: zeros(4) as Floats | null };
    const backward = (change: Partial<typeof gradients>) => messageOf(() => backend.conv2dBackward(small, { ...gradients, ...change }));
    expect(backward({ dBias: zeros(2) })).toBe('conv2dBackward: bias has length 2, expected 1');
    expect(backward({ dOutput: zeros(3) })).toBe('conv2dBackward: output has length 3, expected 4');
    expect(backward({ dInput: zeros(5) })).toBe('conv2dBackward: input has length 5, expected 4');
    expect(backward({ dWeight: zeros(2) })).toBe('conv2dBackward: weight has length 2, expected 1');
    expect(backward({ input: zeros(3) })).toBe('conv2dBackward: input has length 3, expected 4');
    expect(() => backend.conv2dBackward(small, { ...gradients, dInput: null })).not.toThrow();
  });
});

describe('dense, pool, batch-norm, elementwise and loss argument checks', () => {
  it('dense: each size and each array, forward and backward', () => {
    const s = { batch: 2, inFeatures: 3, outFeatures: 4 };
    const forward = (input: number, weight: number, bias: number, output: number) => messageOf(() => backend.denseForward(s, zeros(input), zeros(weight), zeros(bias), zeros(output)));
    expect(forward(5, 12, 4, 8)).toBe('denseForward: input has length 5, expected 6');
    expect(forward(6, 11, 4, 8)).toBe('denseForward: weight has length 11, expected 12');
    expect(forward(6, 12, 3, 8)).toBe('denseForward: bias has length 3, expected 4');
    expect(forward(6, 12, 4, 9)).toBe('denseForward: output has length 9, expected 8');
    expect(messageOf(() => backend.denseForward({ ...s, outFeatures: -4 }, zeros(6), zeros(12), zeros(4), zeros(8)))).toBe('denseForward: outFeatures must be a positive integer, got -4');
    const gradients = { input: zeros(6), weight: zeros(12), dOutput: zeros(8), dWeight: zeros(12), dBias: zeros(4), dInput: zeros(6) };
    expect(messageOf(() => backend.denseBackward(s, { ...gradients, dBias: zeros(5) }))).toBe('denseBackward: bias has length 5, expected 4');
    expect(messageOf(() => backend.denseBackward(s, { ...gradients, dOutput: zeros(7) }))).toBe('denseBackward: output has length 7, expected 8');
    expect(messageOf(() => backend.denseBackward(s, { ...gradients, dInput: zeros(7) }))).toBe('denseBackward: input has length 7, expected 6');
    expect(messageOf(() => backend.denseBackward(s, { ...gradients, dWeight: zeros(13) }))).toBe('denseBackward: weight has length 13, expected 12');
  });

  it('pools: a window larger than the input, each array, and the defaults 2×2 stride 2', () => {
    const s: Pool2dShape = { batch: 1, channels: 2, height: 5, width: 4 };
    // Defaults: 2×2 windows, stride 2 → 2×2 a plane: output 8
    expect(() => backend.maxPool2dForward(s, zeros(40), zeros(8), new Int32Array(8))).not.toThrow();
    expect(messageOf(() => backend.maxPool2dForward(s, zeros(40), zeros(8), new Int32Array(7)))).toBe('maxPool2dForward: argmax has length 7, expected 8');
    expect(messageOf(() => backend.maxPool2dForward(s, zeros(40), zeros(9), new Int32Array(8)))).toBe('maxPool2dForward: output has length 9, expected 8');
    expect(messageOf(() => backend.maxPool2dForward(s, zeros(41), zeros(8), new Int32Array(8)))).toBe('maxPool2dForward: input has length 41, expected 40');
    expect(messageOf(() => backend.avgPool2dForward({ ...s, kernelSize: 5 }, zeros(40), zeros(2)))).toBe('avgPool2dForward: a 5×5 pool needs an input of at least 5×5, got 5×4');
    expect(messageOf(() => backend.avgPool2dForward({ ...s, kernelSize: 6 }, zeros(40), zeros(2)))).toBe('avgPool2dForward: a 6×6 pool needs an input of at least 6×6, got 5×4');
    expect(() => backend.avgPool2dForward({ ...s, kernelSize: 4, stride: 1 }, zeros(40), zeros(4))).not.toThrow(); // 2×1 a plane
    expect(messageOf(() => backend.avgPool2dForward({ ...s, stride: 0 }, zeros(40), zeros(8)))).toBe('avgPool2dForward: stride must be a positive integer, got 0');
    expect(messageOf(() => backend.avgPool2dBackward(s, zeros(8), zeros(39)))).toBe('avgPool2dBackward: input has length 39, expected 40');
    expect(messageOf(() => backend.maxPool2dBackward(s, zeros(7), new Int32Array(8), zeros(40)))).toBe('maxPool2dBackward: output has length 7, expected 8');
  });

  it('batch norm: the [N,C,M] tensors and the [C] ones, by name', () => {
    const s = { batch: 2, channels: 3, positions: 2 };
    const state = (change: Partial<BatchNormState> = {}): BatchNormState => ({
      gamma: zeros(3), beta: zeros(3), runningMean: zeros(3), runningVar: zeros(3), training: true, momentum: 0.1, epsilon: 1e-5, savedMean: zeros(3), savedInvStd: zeros(3), ...change,
    });
    expect(() => backend.batchNormForward(s, zeros(12), zeros(12), state())).not.toThrow();
    expect(messageOf(() => backend.batchNormForward(s, zeros(11), zeros(12), state()))).toBe('batchNormForward: input has length 11, expected 12');
    expect(messageOf(() => backend.batchNormForward(s, zeros(12), zeros(13), state()))).toBe('batchNormForward: output has length 13, expected 12');
    for (const name of ['gamma', 'beta', 'runningMean', 'runningVar', 'savedMean', 'savedInvStd'] as const) {
      expect(messageOf(() => backend.batchNormForward(s, zeros(12), zeros(12), state({ [name]: zeros(4) })))).toBe(`batchNormForward: ${name} has length 4, expected 3`);
    }
    expect(messageOf(() => backend.batchNormForward({ ...s, positions: 0 }, zeros(0), zeros(0), state()))).toBe('batchNormForward: positions must be a positive integer, got 0');
    const gradients = { input: zeros(12), dOutput: zeros(12), dInput: zeros(12) as Floats | null, gamma: zeros(3), savedMean: zeros(3), savedInvStd: zeros(3), training: true, dGamma: zeros(3), dBeta: zeros(3) };
    for (const name of ['input', 'dOutput', 'dInput'] as const) {
      expect(messageOf(() => backend.batchNormBackward(s, { ...gradients, [name]: zeros(10) }))).toBe(`batchNormBackward: ${name} has length 10, expected 12`);
    }
    for (const name of ['gamma', 'savedMean', 'savedInvStd', 'dGamma', 'dBeta'] as const) {
      expect(messageOf(() => backend.batchNormBackward(s, { ...gradients, [name]: zeros(2) }))).toBe(`batchNormBackward: ${name} has length 2, expected 3`);
    }
    expect(() => backend.batchNormBackward(s, { ...gradients, dInput: null })).not.toThrow();
  });

  it('elementwise kernels: every array the first one\'s length', () => {
    expect(messageOf(() => backend.reluForward(zeros(3), zeros(4)))).toBe('reluForward: output has length 4, but input has 3');
    expect(messageOf(() => backend.reluBackward(zeros(3), zeros(3), zeros(2)))).toBe('reluBackward: dInput has length 2, but output has 3');
    expect(messageOf(() => backend.reluBackward(zeros(3), zeros(1), zeros(3)))).toBe('reluBackward: dOutput has length 1, but output has 3');
    expect(messageOf(() => backend.multiplyElementwise(zeros(3), zeros(2), zeros(3)))).toBe('multiplyElementwise: mask has length 2, but input has 3');
    const hp = { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1 };
    expect(messageOf(() => backend.adamUpdate(zeros(2), zeros(2), zeros(2), zeros(3), hp))).toBe('adamUpdate: v has length 3, but params has 2');
    expect(messageOf(() => backend.adamUpdate(zeros(2), zeros(1), zeros(2), zeros(2), hp))).toBe('adamUpdate: grads has length 1, but params has 2');
  });

  it('softmax cross-entropy: sizes, each array, and each label inside [0, classes)', () => {
    const run = (labels: number[], lengths = [6, 2, 6, 6], classes = 3) =>
      messageOf(() => backend.softmaxCrossEntropy(2, classes, zeros(lengths[0]), Int32Array.from(labels), zeros(lengths[2]), lengths[3] === 0 ? null : zeros(lengths[3])));
    expect(run([0, 3])).toBe('softmaxCrossEntropy: label 3 of sample 1 is outside [0, 3)');
    expect(run([-1, 0])).toBe('softmaxCrossEntropy: label -1 of sample 0 is outside [0, 3)');
    expect(run([0, 0], [5, 2, 6, 6])).toBe('softmaxCrossEntropy: logits has length 5, expected 6');
    expect(run([0, 0, 0])).toBe('softmaxCrossEntropy: labels has length 3, expected 2');
    expect(run([0, 0], [6, 2, 7, 6])).toBe('softmaxCrossEntropy: probs has length 7, expected 6');
    expect(run([0, 0], [6, 2, 6, 5])).toBe('softmaxCrossEntropy: dLogits has length 5, expected 6');
    expect(run([0, 0], [0, 2, 0, 0], 0)).toBe('softmaxCrossEntropy: classes must be a positive integer, got 0');
    expect(backend.softmaxCrossEntropy(2, 3, zeros(6), Int32Array.from([2, 0]), zeros(6), null)).toBeCloseTo(Math.log(3), 12);
  });
});

describe('the shared checks at their edges', () => {
  it('refuses a kernel too wide for the input though not too tall, and names the padded size with padding 2', () => {
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 5, width: 2, outChannels: 1, kernelSize: 3 };
    expect(messageOf(() => backend.conv2dForward(s, zeros(10), zeros(9), zeros(1), zeros(0)))).toBe('conv2dForward: a 3×3 kernel does not fit a 5×2 input');
    // 4×5 padded by 2 is 8×9: a 9×9 kernel fits the width only.
    const padded = { ...s, height: 4, width: 5, kernelSize: 9, padding: 2 };
    expect(messageOf(() => backend.conv2dForward(padded, zeros(20), zeros(81), zeros(1), zeros(0)))).toBe('conv2dForward: a 9×9 kernel does not fit a 4×5 input (padded by 2 to 8×9)');
  });

  it('refuses a pool window taller than the input though not wider', () => {
    const s: Pool2dShape = { batch: 1, channels: 1, height: 1, width: 4 };
    expect(messageOf(() => backend.maxPool2dForward(s, zeros(4), zeros(2), new Int32Array(2)))).toBe('maxPool2dForward: a 2×2 pool needs an input of at least 2×2, got 1×4');
  });

  it('checks average pooling\'s input and output against the shape', () => {
    const s: Pool2dShape = { batch: 1, channels: 1, height: 2, width: 2 };
    expect(messageOf(() => backend.avgPool2dForward(s, zeros(3), zeros(1)))).toBe('avgPool2dForward: input has length 3, expected 4');
    expect(messageOf(() => backend.avgPool2dForward(s, zeros(4), zeros(2)))).toBe('avgPool2dForward: output has length 2, expected 1');
  });

  it('checkSameLength skips an array given as null, first or later (not given)', () => {
    expect(() => checkSameLength('k', { a: zeros(2), b: null, c: zeros(2) })).not.toThrow();
    expect(() => checkSameLength('k', { a: null, b: zeros(3) })).not.toThrow();
    expect(messageOf(() => checkSameLength('k', { a: zeros(2), b: null, c: zeros(3) }))).toBe('k: c has length 3, but a has 2');
  });
});

describe('ReferenceBackend', () => {
  it('takes a precision of float32 or float64 only, and options only as an object', () => {
    expect(new ReferenceBackend({ precision: 'float32' }).precision).toBe('float32');
    expect(new ReferenceBackend({}).precision).toBe('float32');
    expect(messageOf(() => new ReferenceBackend({ precision: 'float16' as 'float32' }))).toBe(`ReferenceBackend: options.precision must be 'float32' or 'float64', not "float16"`);
    expect(messageOf(() => new ReferenceBackend({ precision: null as unknown as 'float32' }))).toBe(`ReferenceBackend: options.precision must be 'float32' or 'float64', not null`);
    expect(messageOf(() => new ReferenceBackend('float64' as never))).toBe(`ReferenceBackend: options must be an object (its options: precision, 'float32' or 'float64'), not string`);
  });

  it('stores float32 by default and float64 when asked; batch capacity only grows', () => {
    const float32 = new ReferenceBackend();
    expect(float32.precision).toBe('float32');
    expect(float32.name).toBe('ts');
    expect(float32.allocFloats(3)).toBeInstanceOf(Float32Array);
    expect(backend.allocFloats(3)).toBeInstanceOf(Float64Array);
    expect(Array.from(float32.allocFloats(2))).toEqual([0, 0]);
    expect(float32.allocInts(4)).toEqual(new Int32Array(4));
    expect(float32.growBatchCapacity(3)).toBe(3);
    expect(float32.growBatchCapacity(2)).toBe(3);
    expect(float32.growBatchCapacity(8)).toBe(8);
    expect(new ReferenceBackend().growBatchCapacity(0)).toBe(1);
  });

  it('refuses every allocation and kernel once disposed, naming the backend (ERR_DISPOSED)', () => {
    const disposed = new ReferenceBackend({ precision: 'float64' });
    disposed.dispose();
    const conv: Conv2dShape = { batch: 1, inChannels: 1, height: 1, width: 1, outChannels: 1, kernelSize: 1 };
    const pool: Pool2dShape = { batch: 1, channels: 1, height: 1, width: 1, kernelSize: 1 };
    const one = () => zeros(1);
    const bnState: BatchNormState = { gamma: one(), beta: one(), runningMean: one(), runningVar: one(), training: false, momentum: 0.1, epsilon: 1e-5, savedMean: one(), savedInvStd: one() };
    const calls: Array<[string, () => unknown]> = [
      ['allocFloats', () => disposed.allocFloats(1)],
      ['allocInts', () => disposed.allocInts(1)],
      ['conv2dForward', () => disposed.conv2dForward(conv, one(), one(), one(), one())],
      ['conv2dReluForward', () => disposed.conv2dReluForward(conv, one(), one(), one(), one())],
      ['conv2dBackward', () => disposed.conv2dBackward(conv, { input: one(), weight: one(), dOutput: one(), dWeight: one(), dBias: one(), dInput: one() })],
      ['denseForward', () => disposed.denseForward({ batch: 1, inFeatures: 1, outFeatures: 1 }, one(), one(), one(), one())],
      ['denseBackward', () => disposed.denseBackward({ batch: 1, inFeatures: 1, outFeatures: 1 }, { input: one(), weight: one(), dOutput: one(), dWeight: one(), dBias: one(), dInput: one() })],
      ['reluForward', () => disposed.reluForward(one(), one())],
      ['reluBackward', () => disposed.reluBackward(one(), one(), one())],
      ['maxPool2dForward', () => disposed.maxPool2dForward(pool, one(), one(), new Int32Array(1))],
      ['maxPool2dBackward', () => disposed.maxPool2dBackward(pool, one(), new Int32Array(1), one())],
      ['avgPool2dForward', () => disposed.avgPool2dForward(pool, one(), one())],
      ['avgPool2dBackward', () => disposed.avgPool2dBackward(pool, one(), one())],
      ['batchNormForward', () => disposed.batchNormForward({ batch: 1, channels: 1, positions: 1 }, one(), one(), bnState)],
      ['batchNormBackward', () => disposed.batchNormBackward({ batch: 1, channels: 1, positions: 1 }, { input: one(), dOutput: one(), gamma: one(), savedMean: one(), savedInvStd: one(), training: false, dGamma: one(), dBeta: one(), dInput: one() })],
      ['multiplyElementwise', () => disposed.multiplyElementwise(one(), one(), one())],
      ['softmaxCrossEntropy', () => disposed.softmaxCrossEntropy(1, 1, one(), new Int32Array(1), one(), null)],
      ['adamUpdate', () => disposed.adamUpdate(one(), one(), one(), one(), { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1 })],
    ];
    for (const [name, call] of calls) {
      let caught: unknown = null;
      try {
        call();
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(XcnnError);
      expect((caught as XcnnError).message, name).toBe('this reference backend was disposed; create a new backend and load the model on it');
      expect((caught as XcnnError).code, name).toBe('ERR_DISPOSED');
    }
  });
});

describe('reference kernels, worked by hand', () => {
  it('conv2d with stride 2 and padding 1: forward reads the zero border, backward routes each dy to its taps', () => {
    // x [1,1,3,3] = 1..9, one 2×2 kernel [[1,2],[3,4]], bias 0.5; padded 5×5, output ⌊(3 + 2 − 2)/2⌋ + 1 = 2 a side.
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 1, kernelSize: 2, stride: 2, padding: 1 };
    const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = Float64Array.from([1, 2, 3, 4]);
    const y = zeros(4);
    backend.conv2dForward(s, x, w, Float64Array.of(0.5), y);
    // (0,0): window rows −1..0, cols −1..0 → only x[0,0]=1 under w[1,1]=4 → 4.5; (0,1): cols 1..2 → 3·2 + 4·3 = 18.5
    // (1,0): rows 1..2, cols −1..0 → 2·4 + 4·7 = 36.5; (1,1): 1·5 + 2·6 + 3·8 + 4·9 = 77.5
    expect(Array.from(y)).toEqual([4.5, 18.5, 36.5, 77.5]);
    const dWeight = Float64Array.of(10, 10, 10, 10);
    const dBias = Float64Array.of(1);
    const dInput = zeros(9).fill(99);
    backend.conv2dBackward(s, { input: x, weight: w, dOutput: Float64Array.from([1, 0, 0, 0]), dWeight, dBias, dInput });
    // Only output (0,0) has a gradient; its one tap in the image is w[1,1] on x[0,0].
    expect(Array.from(dInput)).toEqual([4, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(dWeight)).toEqual([10, 10, 10, 11]);
    expect(Array.from(dBias)).toEqual([2]);
    backend.conv2dBackward(s, { input: x, weight: w, dOutput: Float64Array.from([0, 0, 0, 1]), dWeight: zeros(4), dBias: zeros(1), dInput });
    // Output (1,1) reads x[1,1], x[1,2], x[2,1], x[2,2] under w = 1, 2, 3, 4.
    expect(Array.from(dInput)).toEqual([0, 0, 0, 0, 1, 2, 0, 3, 4]);
  });

  it('conv2d over two channels, two filters and two samples: every index in its place', () => {
    // 1×1 kernels: y[n,f] = b[f] + Σ_c w[f,c]·x[n,c], a plane of 2 pixels.
    const s: Conv2dShape = { batch: 2, inChannels: 2, height: 1, width: 2, outChannels: 2, kernelSize: 1 };
    const x = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // n0: c0 [1,2], c1 [3,4]; n1: c0 [5,6], c1 [7,8]
    const w = Float64Array.from([1, 10, 100, 1000]); // f0: [1, 10], f1: [100, 1000]
    const y = zeros(8);
    backend.conv2dForward(s, x, w, Float64Array.from([0.5, -0.5]), y);
    expect(Array.from(y)).toEqual([31.5, 42.5, 3099.5, 4199.5, 75.5, 86.5, 7499.5, 8599.5]);
    const dWeight = zeros(4);
    const dBias = zeros(2);
    const dInput = zeros(8);
    const dy = Float64Array.from([1, 0, 0, 0, 0, 0, 0, 2]); // n0 f0 pixel 0; n1 f1 pixel 1
    backend.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight, dBias, dInput });
    expect(Array.from(dBias)).toEqual([1, 2]);
    expect(Array.from(dWeight)).toEqual([1, 3, 12, 16]); // f0: x[n0,c·,p0] = [1, 3]; f1: 2·x[n1,c·,p1] = [12, 16]
    expect(Array.from(dInput)).toEqual([1, 0, 10, 0, 0, 200, 0, 2000]);
  });

  it('dense over a batch: y = xWᵀ + b, and its gradients by hand', () => {
    const s = { batch: 2, inFeatures: 2, outFeatures: 3 };
    const x = Float64Array.from([1, 2, 3, 4]);
    const w = Float64Array.from([1, 0, 0, 1, 1, 1]);
    const y = zeros(6);
    backend.denseForward(s, x, w, Float64Array.from([0, 10, 100]), y);
    expect(Array.from(y)).toEqual([1, 12, 103, 3, 14, 107]);
    const [dWeight, dBias, dInput] = [zeros(6).fill(1), zeros(3), zeros(4).fill(5)];
    backend.denseBackward(s, { input: x, weight: w, dOutput: Float64Array.from([1, 0, 2, 0, 3, 1]), dWeight, dBias, dInput });
    expect(Array.from(dBias)).toEqual([1, 3, 3]);
    expect(Array.from(dWeight)).toEqual([2, 3, 10, 13, 6, 9]);
    expect(Array.from(dInput)).toEqual([3, 2, 1, 4]);
  });

  it('pools over two planes, with overlapping windows, and their backward by hand', () => {
    const s: Pool2dShape = { batch: 1, channels: 2, height: 2, width: 3, kernelSize: 2, stride: 1 };
    const x = Float64Array.from([1, 5, 2, 4, 3, 6, -1, -2, -3, -4, -5, -6]);
    const [y, argmax] = [zeros(4), new Int32Array(4)];
    backend.maxPool2dForward(s, x, y, argmax);
    expect(Array.from(y)).toEqual([5, 6, -1, -2]);
    expect(Array.from(argmax)).toEqual([1, 5, 6, 7]);
    const dInput = zeros(12).fill(7);
    backend.maxPool2dBackward(s, Float64Array.from([1, 2, 3, 4]), argmax, dInput);
    expect(Array.from(dInput)).toEqual([0, 1, 0, 0, 0, 2, 3, 4, 0, 0, 0, 0]);
    const mean = zeros(4);
    backend.avgPool2dForward(s, x, mean);
    expect(Array.from(mean)).toEqual([13 / 4, 16 / 4, -12 / 4, -16 / 4]);
    const dMean = zeros(12).fill(7);
    backend.avgPool2dBackward(s, Float64Array.from([4, 8, 0, 4]), dMean);
    expect(Array.from(dMean)).toEqual([1, 3, 2, 1, 3, 2, 0, 1, 1, 0, 1, 1]);
  });

  it('batch norm over two channels of [N, C, M\']: each channel its own statistics, and backward by the formula', () => {
    const s = { batch: 2, channels: 2, positions: 1 };
    const x = Float64Array.from([1, 10, 3, 30]); // channel 0: [1, 3], channel 1: [10, 30]
    const state: BatchNormState = {
      gamma: Float64Array.from([2, 1]), beta: Float64Array.from([0, 5]), runningMean: zeros(2), runningVar: Float64Array.from([1, 1]),
      training: true, momentum: 0.5, epsilon: 0, savedMean: zeros(2), savedInvStd: zeros(2),
    };
    const y = zeros(4);
    backend.batchNormForward(s, x, y, state);
    // channel 0: μ 2, σ² 1 → x̂ = ∓1 → y = ∓2; channel 1: μ 20, σ² 100 → x̂ = ∓1 → y = 5 ∓ 1
    expect(Array.from(y)).toEqual([-2, 4, 2, 6]);
    expect(Array.from(state.savedMean)).toEqual([2, 20]);
    expect(Array.from(state.savedInvStd)).toEqual([1, 0.1]);
    // running: 0.5·0 + 0.5·μ; 0.5·1 + 0.5·σ²·2/1
    expect(Array.from(state.runningMean)).toEqual([1, 10]);
    expect(Array.from(state.runningVar)).toEqual([1.5, 100.5]);
    const [dGamma, dBeta, dInput] = [zeros(2), zeros(2), zeros(4)];
    backend.batchNormBackward(s, { input: x, dOutput: Float64Array.from([1, 0, 0, 0]), gamma: state.gamma, savedMean: state.savedMean, savedInvStd: state.savedInvStd, training: true, dGamma, dBeta, dInput });
    // channel 0: Σdy = 1, Σdy·x̂ = −1; ∂x = γ·invStd/M·(M·dy − Σdy − x̂·Σdy·x̂) = 1·(2 − 1 − 1) = 0 and 1·(0 − 1 + 1) = 0
    expect(Array.from(dGamma)).toEqual([-1, 0]);
    expect(Array.from(dBeta)).toEqual([1, 0]);
    expect(Array.from(dInput)).toEqual([0, 0, 0, 0]);
    backend.batchNormBackward(s, { input: x, dOutput: Float64Array.from([0, 1, 0, 0]), gamma: state.gamma, savedMean: state.savedMean, savedInvStd: state.savedInvStd, training: false, dGamma, dBeta, dInput });
    // evaluation: ∂x = γ·invStd·dy
    expect(Array.from(dInput)).toEqual([0, 0.1, 0, 0]);
    expect(Array.from(dGamma)).toEqual([-1, -1]);
  });

  it('softmax cross-entropy: the loss of each sample at its own label and offset, and (p − onehot)/N', () => {
    const logits = Float64Array.from([0, 0, Math.log(3), 5, 5, 5]);
    const probs = zeros(6);
    const dLogits = zeros(6);
    const loss = backend.softmaxCrossEntropy(2, 3, logits, Int32Array.from([2, 1]), probs, dLogits);
    // sample 0: p = [1/5, 1/5, 3/5] → −log 3/5; sample 1: p = 1/3 each → log 3
    expect(loss).toBeCloseTo((Math.log(5 / 3) + Math.log(3)) / 2, 12);
    const expected = [0.2, 0.2, 0.6, 1 / 3, 1 / 3, 1 / 3];
    probs.forEach((p, k) => expect(p).toBeCloseTo(expected[k], 12));
    const gradient = [0.1, 0.1, -0.2, 1 / 6, -1 / 3, 1 / 6];
    dLogits.forEach((g, k) => expect(g).toBeCloseTo(gradient[k], 12));
  });

  it('relu and multiplyElementwise, in place', () => {
    const x = Float64Array.from([-2, 0, 3]);
    backend.reluForward(x, x);
    expect(Array.from(x)).toEqual([0, 0, 3]);
    const d = Float64Array.from([5, 6, 7]);
    backend.reluBackward(x, d, d);
    expect(Array.from(d)).toEqual([0, 0, 7]);
    backend.multiplyElementwise(d, Float64Array.from([2, 2, 0.5]), d);
    expect(Array.from(d)).toEqual([0, 0, 3.5]);
  });
});
