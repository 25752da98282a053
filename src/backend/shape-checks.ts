/**
 * Argument checks shared by every backend: each kernel's arrays must have exactly the length its shape
 * implies. A wrong length is an XcnnError naming the kernel and the argument, raised before any memory
 * is touched — in WebAssembly a wrong length would otherwise read or write another tensor.
 */
import { XcnnError } from '../errors.js';
import type { BatchNormGradients, BatchNormShape, BatchNormState, Conv2dShape, DenseShape, Floats, Pool2dShape } from './backend.js';
import { convGeometry, poolGeometry } from './backend.js';

type Sized = { length: number } | null;

/** Each of `dims` a positive integer, or an XcnnError naming the kernel, the dimension and its value. */
export function checkDims(kernel: string, dims: Record<string, number>): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new XcnnError(`${kernel}: ${name} must be a positive integer, got ${value}`, { code: 'ERR_BAD_ARGUMENT' });
    }
  }
}

function checkLength(kernel: string, name: string, array: Sized, expected: number): void {
  if (array !== null && array.length !== expected) {
    throw new XcnnError(`${kernel}: ${name} has length ${array.length}, expected ${expected}`, { code: 'ERR_BAD_ARGUMENT' });
  }
}

export function checkConv2d(
  kernel: string,
  s: Conv2dShape,
  arrays: { input?: Sized; weight?: Sized; bias?: Sized; output?: Sized },
): void {
  const { stride, padding, outHeight: outH, outWidth: outW } = convGeometry(s);
  const { padding: _, ...dims } = s;
  checkDims(kernel, { ...dims, stride });
  if (!Number.isSafeInteger(padding) || padding < 0) throw new XcnnError(`${kernel}: padding must be a non-negative integer, got ${padding}`, { code: 'ERR_BAD_ARGUMENT' });
  if (outH < 1 || outW < 1) {
    const padded = padding > 0 ? ` (padded by ${padding} to ${s.height + 2 * padding}×${s.width + 2 * padding})` : '';
    throw new XcnnError(`${kernel}: a ${s.kernelSize}×${s.kernelSize} kernel does not fit a ${s.height}×${s.width} input${padded}`, { code: 'ERR_BAD_ARGUMENT' });
  }
  checkLength(kernel, 'input', arrays.input ?? null, s.batch * s.inChannels * s.height * s.width);
  checkLength(kernel, 'weight', arrays.weight ?? null, s.outChannels * s.inChannels * s.kernelSize * s.kernelSize);
  checkLength(kernel, 'bias', arrays.bias ?? null, s.outChannels);
  checkLength(kernel, 'output', arrays.output ?? null, s.batch * s.outChannels * outH * outW);
}

export function checkDense(
  kernel: string,
  s: DenseShape,
  arrays: { input?: Sized; weight?: Sized; bias?: Sized; output?: Sized },
): void {
  checkDims(kernel, { ...s });
  checkLength(kernel, 'input', arrays.input ?? null, s.batch * s.inFeatures);
  checkLength(kernel, 'weight', arrays.weight ?? null, s.outFeatures * s.inFeatures);
  checkLength(kernel, 'bias', arrays.bias ?? null, s.outFeatures);
  checkLength(kernel, 'output', arrays.output ?? null, s.batch * s.outFeatures);
}

export function checkPool2d(kernel: string, s: Pool2dShape, arrays: { input?: Sized; output?: Sized; argmax?: Sized }): void {
  const { kernelSize, stride, outHeight, outWidth } = poolGeometry(s);
  checkDims(kernel, { ...s, kernelSize, stride });
  if (s.height < kernelSize || s.width < kernelSize) {
    throw new XcnnError(`${kernel}: a ${kernelSize}×${kernelSize} pool needs an input of at least ${kernelSize}×${kernelSize}, got ${s.height}×${s.width}`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const outLength = s.batch * s.channels * outHeight * outWidth;
  checkLength(kernel, 'input', arrays.input ?? null, s.batch * s.channels * s.height * s.width);
  checkLength(kernel, 'output', arrays.output ?? null, outLength);
  checkLength(kernel, 'argmax', arrays.argmax ?? null, outLength);
}

function checkBatchNorm(kernel: string, s: BatchNormShape, tensors: Record<string, Sized | undefined>, perChannel: Record<string, Sized>): void {
  checkDims(kernel, { ...s });
  for (const [name, array] of Object.entries(tensors)) checkLength(kernel, name, array ?? null, s.batch * s.channels * s.positions);
  for (const [name, array] of Object.entries(perChannel)) checkLength(kernel, name, array, s.channels);
}

/** The arrays of a batch-norm forward pass, checked against its shape. */
export function checkBatchNormForward(kernel: string, s: BatchNormShape, input: Floats, output: Floats, state: BatchNormState): void {
  const { gamma, beta, runningMean, runningVar, savedMean, savedInvStd } = state;
  checkBatchNorm(kernel, s, { input, output }, { gamma, beta, runningMean, runningVar, savedMean, savedInvStd });
}

/** The arrays of a batch-norm backward pass, checked against its shape. */
export function checkBatchNormBackward(kernel: string, s: BatchNormShape, g: BatchNormGradients): void {
  const { input, dOutput, dInput, gamma, savedMean, savedInvStd, dGamma, dBeta } = g;
  checkBatchNorm(kernel, s, { input, dOutput, dInput }, { gamma, savedMean, savedInvStd, dGamma, dBeta });
}

export function checkSameLength(kernel: string, arrays: Record<string, Sized>): void {
  const entries = Object.entries(arrays);
  const [firstName, first] = entries[0];
  for (const [name, array] of entries.slice(1)) {
    if (array !== null && first !== null && array.length !== first.length) {
      throw new XcnnError(`${kernel}: ${name} has length ${array.length}, but ${firstName} has ${first.length}`, { code: 'ERR_BAD_ARGUMENT' });
    }
  }
}

export function checkSoftmaxCrossEntropy(
  kernel: string,
  batch: number,
  classes: number,
  logits: Floats,
  labels: Int32Array,
  probs: Floats,
  dLogits: Floats | null,
): void {
  checkDims(kernel, { batch, classes });
  checkLength(kernel, 'logits', logits, batch * classes);
  checkLength(kernel, 'labels', labels, batch);
  checkLength(kernel, 'probs', probs, batch * classes);
  checkLength(kernel, 'dLogits', dLogits, batch * classes);
  for (let n = 0; n < batch; n++) {
    const label = labels[n];
    if (!(label >= 0 && label < classes)) {
      throw new XcnnError(`${kernel}: label ${label} of sample ${n} is outside [0, ${classes})`, { code: 'ERR_BAD_ARGUMENT' });
    }
  }
}
