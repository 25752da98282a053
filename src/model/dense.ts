/**
 * Dense: a fully connected layer, PyTorch's `nn.Linear(I, O)`.
 * input [N,I] → output [N,O] = input·weightᵀ + bias; parameters `weight` [O,I], `bias` [O].
 * Keeps its input for the backward pass (∂L/∂W needs it).
 */
import type { Backend, DenseShape, Floats } from '../backend/backend.js';
import { BatchBuffer, type Layer, type Parameter, type ParameterSpec } from './layer.js';

export class Dense implements Layer {
  readonly inputShape: number[];
  readonly outputShape: number[];
  weight!: Parameter;
  bias!: Parameter;
  private readonly output: BatchBuffer<Floats>;
  private readonly dInput: BatchBuffer<Floats>;
  private input: Floats | null = null; // kept for backward
  private batch = 0;

  constructor(
    private readonly backend: Backend,
    readonly name: string,
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {
    this.inputShape = [inFeatures];
    this.outputShape = [outFeatures];
    this.output = BatchBuffer.floats(backend, outFeatures);
    this.dInput = BatchBuffer.floats(backend, inFeatures);
  }

  parameterSpecs(): ParameterSpec[] {
    return [
      { name: `${this.name}.weight`, shape: [this.outFeatures, this.inFeatures], fanIn: this.inFeatures },
      { name: `${this.name}.bias`, shape: [this.outFeatures], fanIn: this.inFeatures },
    ];
  }

  bindParameters([weight, bias]: Parameter[]): void {
    this.weight = weight;
    this.bias = bias;
  }

  shape(batch: number): DenseShape {
    return { batch, inFeatures: this.inFeatures, outFeatures: this.outFeatures };
  }

  forward(input: Floats, batch: number): Floats {
    this.input = input;
    this.batch = batch;
    const output = this.output.forBatch(batch);
    this.backend.denseForward(this.shape(batch), input, this.weight.value, this.bias.value, output);
    return output;
  }

  backward(dOutput: Floats, needInputGrad: boolean, needParameterGrads = true): Floats | null {
    const dInput = needInputGrad ? this.dInput.forBatch(this.batch) : null;
    const [dWeight, dBias] = needParameterGrads ? [this.weight.grad, this.bias.grad] : [null, null];
    this.backend.denseBackward(this.shape(this.batch), { input: this.input!, weight: this.weight.value, dOutput, dWeight, dBias, dInput });
    return dInput;
  }

  /** Gives back its batch buffers (Network.dispose). */
  dispose(): void {
    this.output.release();
    this.dInput.release();
  }
}
