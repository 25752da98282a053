/**
 * MaxPool2d: 2×2 windows, stride 2, PyTorch's `nn.MaxPool2d(2)`.
 * input [N,C,H,W] → output [N,C,⌊H/2⌋,⌊W/2⌋]. Keeps the argmax of each window for the backward pass,
 * which routes each output gradient to the input element that won its window.
 */
import type { Backend, Floats, Pool2dShape } from '../backend/backend.js';
import { BatchBuffer, type Layer, type Parameter, type ParameterSpec } from './layer.js';

export class MaxPool2d implements Layer {
  readonly inputShape: number[];
  readonly outputShape: number[];
  private readonly output: BatchBuffer<Floats>;
  private readonly argmax: BatchBuffer<Int32Array>; // kept for backward
  private readonly dInput: BatchBuffer<Floats>;
  private batch = 0;

  constructor(
    private readonly backend: Backend,
    readonly name: string,
    inputShape: [number, number, number],
  ) {
    const [channels, height, width] = inputShape;
    this.inputShape = inputShape;
    this.outputShape = [channels, Math.floor(height / 2), Math.floor(width / 2)];
    const outPerSample = channels * this.outputShape[1] * this.outputShape[2];
    this.output = BatchBuffer.floats(backend, outPerSample);
    this.argmax = BatchBuffer.ints(backend, outPerSample);
    this.dInput = BatchBuffer.floats(backend, channels * height * width);
  }

  parameterSpecs(): ParameterSpec[] {
    return [];
  }

  bindParameters(_: Parameter[]): void {}

  shape(batch: number): Pool2dShape {
    const [channels, height, width] = this.inputShape;
    return { batch, channels, height, width };
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
}
