/**
 * Dense: a fully connected layer, PyTorch's `nn.Linear(I, O)`.
 * input [N,I] → output [N,O] = input·weightᵀ + bias; parameters `weight` [O,I], `bias` [O].
 * Keeps its input for the backward pass (∂L/∂W needs it), and the last dOutput for a weight gradient made later.
 */
import type { Backend, DenseShape, Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import { BatchBuffer, type Layer, type Parameter, type ParameterSpec } from './layer.js';

export class Dense implements Layer {
  readonly inputShape: number[];
  readonly outputShape: number[];
  weight!: Parameter;
  bias!: Parameter;
  private readonly output: BatchBuffer<Floats>;
  private readonly dInput: BatchBuffer<Floats>;
  private input: Floats | null = null; // kept for backward
  private dOutput: Floats | null = null; // the last backward's, kept for a deferred weight gradient
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
    return this.backwardPass(dOutput, needInputGrad, needParameterGrads, needParameterGrads);
  }

  /**
   * backward without ∂L/∂W: dInput and the bias gradient only. The thread pool leaves a dense layer's weight
   * gradient for its update phase, where it computes it once from every thread's pass (shard.ts), each pass's
   * input and dOutput taken from weightGradientOperands.
   */
  backwardWithoutWeightGradient(dOutput: Floats, needInputGrad: boolean): Floats | null {
    return this.backwardPass(dOutput, needInputGrad, false, true);
  }

  /** What ∂L/∂W = dOutputᵀ · input is made of, from the last backward pass: input [N, I], dOutput [N, O], N. */
  weightGradientOperands(): { input: Floats; dOutput: Floats; batch: number } {
    // A backward pass follows a forward pass, so a dOutput comes with the input it was computed for.
    if (this.dOutput === null) throw new XcnnError(`${this.name}: no backward pass has run yet, so there is no weight gradient to make`, { code: 'ERR_BAD_ARGUMENT' });
    return { input: this.input!, dOutput: this.dOutput, batch: this.batch };
  }

  private backwardPass(dOutput: Floats, needInputGrad: boolean, weightGradient: boolean, biasGradient: boolean): Floats | null {
    const dInput = needInputGrad ? this.dInput.forBatch(this.batch) : null;
    this.dOutput = dOutput;
    const dWeight = weightGradient ? this.weight.grad : null;
    const dBias = biasGradient ? this.bias.grad : null;
    this.backend.denseBackward(this.shape(this.batch), { input: this.input!, weight: this.weight.value, dOutput, dWeight, dBias, dInput });
    return dInput;
  }

  /** Gives back its batch buffers (Network.dispose). */
  dispose(): void {
    this.output.release();
    this.dInput.release();
  }
}
