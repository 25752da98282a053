/**
 * The pooling layers, PyTorch's `nn.MaxPool2d(K, stride=S)`, `nn.AvgPool2d(K, stride=S)` and
 * `nn.AdaptiveAvgPool2d(1)` (global average pooling), no padding, floor mode:
 * input [N,C,H,W] → output [N,C,OH,OW], OH = ⌊(H − K)/S⌋ + 1 (1×1 for the global pool).
 * The max pool keeps the argmax of each window for the backward pass, which routes each output gradient
 * to the input element that won its window; the average pools spread it evenly over the window.
 */
import type { Backend, Floats, Pool2dShape } from '../backend/backend.js';
import { poolOutputSize } from '../backend/backend.js';
import { BatchBuffer, ParameterFreeLayer, product } from './layer.js';

/** Shared by the pools: the shapes, and the output and input-gradient buffers. */
abstract class Pool2d extends ParameterFreeLayer {
  readonly inputShape: number[];
  protected readonly output: BatchBuffer<Floats>;
  protected readonly dInput: BatchBuffer<Floats>;
  protected batch = 0;

  constructor(
    protected readonly backend: Backend,
    readonly name: string,
    inputShape: [number, number, number],
    readonly outputShape: [number, number, number],
  ) {
    super();
    this.inputShape = inputShape;
    this.output = BatchBuffer.floats(backend, product(outputShape));
    this.dInput = BatchBuffer.floats(backend, product(inputShape));
  }

  /** Gives back its batch buffers (Network.dispose). */
  dispose(): void {
    this.output.release();
    this.dInput.release();
  }
}

/** Shared by the K×K pools with stride S: their output size, and the kernels' shape of a batch. */
abstract class WindowPool2d extends Pool2d {
  constructor(
    backend: Backend,
    name: string,
    inputShape: [number, number, number],
    readonly kernelSize: number,
    readonly stride: number,
  ) {
    const [channels, height, width] = inputShape;
    super(backend, name, inputShape, [channels, poolOutputSize(height, kernelSize, stride), poolOutputSize(width, kernelSize, stride)]);
  }

  shape(batch: number): Pool2dShape {
    const [channels, height, width] = this.inputShape;
    return { batch, channels, height, width, kernelSize: this.kernelSize, stride: this.stride };
  }
}

export class MaxPool2d extends WindowPool2d {
  private readonly argmax: BatchBuffer<Int32Array>; // kept for backward

  /** A K×K max pool with stride S (the paper's: 2 and 2). */
  constructor(backend: Backend, name: string, inputShape: [number, number, number], kernelSize = 2, stride = kernelSize) {
    super(backend, name, inputShape, kernelSize, stride);
    this.argmax = BatchBuffer.ints(backend, product(this.outputShape));
  }

  forward(input: Floats, batch: number): Floats {
    this.batch = batch;
    const output = this.output.forBatch(batch);
    this.backend.maxPool2dForward(this.shape(batch), input, output, this.argmax.forBatch(batch));
    return output;
  }

  backward(dOutput: Floats, needInputGrad: boolean): Floats | null {
    if (!needInputGrad) return null;
    const dInput = this.dInput.forBatch(this.batch);
    this.backend.maxPool2dBackward(this.shape(this.batch), dOutput, this.argmax.forBatch(this.batch), dInput);
    return dInput;
  }

  override dispose(): void {
    super.dispose();
    this.argmax.release();
  }
}

export class AvgPool2d extends WindowPool2d {
  forward(input: Floats, batch: number): Floats {
    this.batch = batch;
    const output = this.output.forBatch(batch);
    this.backend.avgPool2dForward(this.shape(batch), input, output);
    return output;
  }

  backward(dOutput: Floats, needInputGrad: boolean): Floats | null {
    if (!needInputGrad) return null;
    const dInput = this.dInput.forBatch(this.batch);
    this.backend.avgPool2dBackward(this.shape(this.batch), dOutput, dInput);
    return dInput;
  }
}

/**
 * Global average pooling: [N,C,H,W] → [N,C,1,1], the mean of each channel's H·W values. It is the
 * average pool whose one window is the whole plane, so a square input runs the pool kernels; a
 * non-square one is pooled by the same mean written here.
 */
export class GlobalAvgPool2d extends Pool2d {
  constructor(backend: Backend, name: string, inputShape: [number, number, number]) {
    super(backend, name, inputShape, [inputShape[0], 1, 1]);
  }

  private squareShape(batch: number): Pool2dShape | null {
    const [channels, height, width] = this.inputShape;
    return height === width ? { batch, channels, height, width, kernelSize: height, stride: 1 } : null;
  }

  forward(input: Floats, batch: number): Floats {
    this.batch = batch;
    const output = this.output.forBatch(batch);
    const square = this.squareShape(batch);
    if (square !== null) {
      this.backend.avgPool2dForward(square, input, output);
      return output;
    }
    const positions = this.inputShape[1] * this.inputShape[2];
    for (let plane = 0; plane < output.length; plane++) {
      let sum = 0;
      for (let k = 0; k < positions; k++) sum += input[plane * positions + k];
      output[plane] = sum / positions;
    }
    return output;
  }

  backward(dOutput: Floats, needInputGrad: boolean): Floats | null {
    if (!needInputGrad) return null;
    const dInput = this.dInput.forBatch(this.batch);
    const square = this.squareShape(this.batch);
    if (square !== null) {
      this.backend.avgPool2dBackward(square, dOutput, dInput);
      return dInput;
    }
    const positions = this.inputShape[1] * this.inputShape[2];
    for (let plane = 0; plane < dOutput.length; plane++) dInput.fill(dOutput[plane] / positions, plane * positions, (plane + 1) * positions);
    return dInput;
  }
}
