/**
 * The TypeScript reference backend: the kernels of this folder behind the Backend interface, with the
 * shared argument checks in front. It runs in float32 like every backend, or in float64 (`precision`)
 * so finite-difference gradient checks are sharp.
 */
import type { AdamStep, Backend, BatchNormGradients, BatchNormShape, BatchNormState, Conv2dShape, DenseShape, Floats, LayerGradients, Pool2dShape } from '../backend.js';
import { checkOptions } from '../../argument-checks.js';
import { XcnnError } from '../../errors.js';
import { checkBatchNormBackward, checkBatchNormForward, checkConv2d, checkDense, checkPool2d, checkSameLength, checkSoftmaxCrossEntropy } from '../shape-checks.js';
import { adamUpdate } from './adam.js';
import { avgPool2dBackward, avgPool2dForward } from './avgpool2d.js';
import { batchNormBackward, batchNormForward } from './batch-norm.js';
import { conv2dBackward, conv2dForward } from './conv2d.js';
import { denseBackward, denseForward } from './dense.js';
import { maxPool2dBackward, maxPool2dForward } from './maxpool2d.js';
import { reluBackward, reluForward } from './relu.js';
import { softmaxCrossEntropy } from './softmax-cross-entropy.js';

export class ReferenceBackend implements Backend {
  readonly name = 'ts' as const;
  readonly precision: 'float32' | 'float64';

  private disposed = false;
  private batchCapacity = 1;

  constructor(options: { precision?: 'float32' | 'float64' } = {}) {
    checkOptions('ReferenceBackend', options, "its options: precision, 'float32' or 'float64'");
    if (options.precision !== undefined && options.precision !== 'float32' && options.precision !== 'float64') {
      throw new XcnnError(`ReferenceBackend: options.precision must be 'float32' or 'float64', not ${JSON.stringify(options.precision)}`, { code: 'ERR_BAD_ARGUMENT' });
    }
    this.precision = options.precision ?? 'float32';
  }

  /** Its arrays are ordinary typed arrays: the garbage collector takes a freed one once nothing holds it. */
  free(_array: Floats | Int32Array): void {}

  growBatchCapacity(samples: number): number {
    this.batchCapacity = Math.max(this.batchCapacity, samples);
    return this.batchCapacity;
  }

  /** Nothing to let go of but the backend itself: every later call throws, as the wasm backend's do. */
  dispose(): void {
    this.disposed = true;
  }

  private checkUsable(): void {
    if (this.disposed) throw new XcnnError('this reference backend was disposed; create a new backend and load the model on it', { code: 'ERR_DISPOSED' });
  }

  allocFloats(length: number): Floats {
    this.checkUsable();
    return this.precision === 'float64' ? new Float64Array(length) : new Float32Array(length);
  }

  allocInts(length: number): Int32Array {
    this.checkUsable();
    return new Int32Array(length);
  }

  conv2dForward(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void {
    this.checkUsable();
    checkConv2d('conv2dForward', s, { input, weight, bias, output });
    conv2dForward(s, input, weight, bias, output);
  }

  /** The fusion's oracle: the plain composition of the two reference kernels. */
  conv2dReluForward(s: Conv2dShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void {
    this.checkUsable();
    this.conv2dForward(s, input, weight, bias, output);
    this.reluForward(output, output);
  }

  conv2dBackward(s: Conv2dShape, g: LayerGradients): void {
    this.checkUsable();
    checkConv2d('conv2dBackward', s, { input: g.input, weight: g.weight, bias: g.dBias, output: g.dOutput });
    checkConv2d('conv2dBackward', s, { input: g.dInput, weight: g.dWeight });
    conv2dBackward(s, g);
  }

  denseForward(s: DenseShape, input: Floats, weight: Floats, bias: Floats, output: Floats): void {
    this.checkUsable();
    checkDense('denseForward', s, { input, weight, bias, output });
    denseForward(s, input, weight, bias, output);
  }

  denseBackward(s: DenseShape, g: LayerGradients): void {
    this.checkUsable();
    checkDense('denseBackward', s, { input: g.input, weight: g.weight, bias: g.dBias, output: g.dOutput });
    checkDense('denseBackward', s, { input: g.dInput, weight: g.dWeight });
    denseBackward(s, g);
  }

  reluForward(input: Floats, output: Floats): void {
    this.checkUsable();
    checkSameLength('reluForward', { input, output });
    reluForward(input, output);
  }

  reluBackward(output: Floats, dOutput: Floats, dInput: Floats): void {
    this.checkUsable();
    checkSameLength('reluBackward', { output, dOutput, dInput });
    reluBackward(output, dOutput, dInput);
  }

  maxPool2dForward(s: Pool2dShape, input: Floats, output: Floats, argmax: Int32Array): void {
    this.checkUsable();
    checkPool2d('maxPool2dForward', s, { input, output, argmax });
    maxPool2dForward(s, input, output, argmax);
  }

  maxPool2dBackward(s: Pool2dShape, dOutput: Floats, argmax: Int32Array, dInput: Floats): void {
    this.checkUsable();
    checkPool2d('maxPool2dBackward', s, { input: dInput, output: dOutput, argmax });
    maxPool2dBackward(s, dOutput, argmax, dInput);
  }

  avgPool2dForward(s: Pool2dShape, input: Floats, output: Floats): void {
    this.checkUsable();
    checkPool2d('avgPool2dForward', s, { input, output });
    avgPool2dForward(s, input, output);
  }

  avgPool2dBackward(s: Pool2dShape, dOutput: Floats, dInput: Floats): void {
    this.checkUsable();
    checkPool2d('avgPool2dBackward', s, { input: dInput, output: dOutput });
    avgPool2dBackward(s, dOutput, dInput);
  }

  batchNormForward(s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState): void {
    this.checkUsable();
    checkBatchNormForward('batchNormForward', s, input, output, state);
    batchNormForward(s, input, output, state);
  }

  batchNormReluForward(s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState): void {
    this.checkUsable();
    this.batchNormForward(s, input, output, state);
    this.reluForward(output, output);
  }

  batchNormBackward(s: BatchNormShape, g: BatchNormGradients): void {
    this.checkUsable();
    checkBatchNormBackward('batchNormBackward', s, g);
    batchNormBackward(s, g);
  }

  multiplyElementwise(input: Floats, mask: Floats, output: Floats): void {
    this.checkUsable();
    checkSameLength('multiplyElementwise', { input, mask, output });
    for (let k = 0; k < input.length; k++) output[k] = input[k] * mask[k];
  }

  softmaxCrossEntropy(batch: number, classes: number, logits: Floats, labels: Int32Array, probs: Floats, dLogits: Floats | null): number {
    this.checkUsable();
    checkSoftmaxCrossEntropy('softmaxCrossEntropy', batch, classes, logits, labels, probs, dLogits);
    return softmaxCrossEntropy(batch, classes, logits, labels, probs, dLogits);
  }

  adamUpdate(params: Floats, grads: Floats, m: Floats, v: Floats, hp: AdamStep): void {
    this.checkUsable();
    checkSameLength('adamUpdate', { params, grads, m, v });
    adamUpdate(params, grads, m, v, hp);
  }
}

