/**
 * Conv2d: a convolution with a bias, PyTorch's `nn.Conv2d(C, F, K, stride=S, padding=P)`.
 * input [N,C,H,W] → output [N,F,OH,OW], OH = ⌊(H + 2P − K)/S⌋ + 1; parameters `weight` [F,C,K,K], `bias` [F].
 * Keeps its input for the backward pass (∂L/∂W needs it).
 *
 * A training forward pass may also keep, in the backend's ConvSaved, what the backward pass would compute again
 * (the wasm backend: Winograd's transformed input tiles); an evaluation pass keeps nothing.
 *
 * With `fuseRelu`, its output is already max(conv + bias, 0) — the backend's fused conv2dReluForward,
 * one pass over memory fewer — and the ReLU layer after it is built with `inputRectified` so it keeps
 * that output instead of recomputing it. Backward is unchanged: the ReLU layer still masks the gradient
 * before it reaches this layer, which therefore receives ∂L/∂(conv + bias) as before.
 */
import type { Backend, Conv2dShape, ConvSaved, Floats } from '../backend/backend.js';
import { convOutputSize } from '../backend/backend.js';
import { BatchBuffer, type Layer, type Parameter, type ParameterSpec, type PassMode } from './layer.js';

export interface Conv2dOptions {
  stride?: number; // default 1
  padding?: number; // default 0
  fuseRelu?: boolean;
}

export class Conv2d implements Layer {
  readonly inputShape: number[];
  readonly outputShape: number[];
  readonly stride: number;
  readonly padding: number;
  weight!: Parameter;
  bias!: Parameter;
  private readonly output: BatchBuffer<Floats>;
  private readonly dInput: BatchBuffer<Floats>;
  private input: Floats | null = null; // kept for backward
  private batch = 0;
  /** The backend's place for what training passes keep (made on the first one; null when the backend keeps nothing). */
  private saved: ConvSaved | null | undefined = undefined;
  /** What the last forward pass kept for backward: `saved` after a training pass, null after an evaluation pass. */
  private savedByLast: ConvSaved | null = null;

  constructor(
    private readonly backend: Backend,
    readonly name: string,
    inputShape: [number, number, number],
    readonly outChannels: number,
    readonly kernelSize: number,
    readonly options: Conv2dOptions = {},
  ) {
    const [channels, height, width] = inputShape;
    this.inputShape = inputShape;
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.outputShape = [outChannels, convOutputSize(height, kernelSize, this.stride, this.padding), convOutputSize(width, kernelSize, this.stride, this.padding)];
    this.output = BatchBuffer.floats(backend, outChannels * this.outputShape[1] * this.outputShape[2]);
    this.dInput = BatchBuffer.floats(backend, channels * height * width);
  }

  parameterSpecs(): ParameterSpec[] {
    const [channels] = this.inputShape;
    const fanIn = channels * this.kernelSize * this.kernelSize;
    return [
      { name: `${this.name}.weight`, shape: [this.outChannels, channels, this.kernelSize, this.kernelSize], fanIn },
      { name: `${this.name}.bias`, shape: [this.outChannels], fanIn },
    ];
  }

  bindParameters([weight, bias]: Parameter[]): void {
    this.weight = weight;
    this.bias = bias;
  }

  shape(batch: number): Conv2dShape {
    const [inChannels, height, width] = this.inputShape;
    return { batch, inChannels, height, width, outChannels: this.outChannels, kernelSize: this.kernelSize, stride: this.stride, padding: this.padding };
  }

  forward(input: Floats, batch: number, mode?: PassMode): Floats {
    this.input = input;
    this.batch = batch;
    const output = this.output.forBatch(batch);
    const s = this.shape(batch);
    const training = mode?.training === true;
    if (training && this.saved === undefined) this.saved = this.backend.convSaved?.() ?? null;
    const saved = training ? (this.saved ?? null) : null;
    this.savedByLast = saved;
    if (!this.options.fuseRelu) {
      this.backend.conv2dForward(s, input, this.weight.value, this.bias.value, output, saved);
    } else if (this.backend.conv2dReluForward) {
      this.backend.conv2dReluForward(s, input, this.weight.value, this.bias.value, output, saved);
    } else {
      this.backend.conv2dForward(s, input, this.weight.value, this.bias.value, output, saved);
      this.backend.reluForward(output, output);
    }
    return output;
  }

  backward(dOutput: Floats, needInputGrad: boolean, needParameterGrads = true): Floats | null {
    const dInput = needInputGrad ? this.dInput.forBatch(this.batch) : null;
    const [dWeight, dBias] = needParameterGrads ? [this.weight.grad, this.bias.grad] : [null, null];
    this.backend.conv2dBackward(this.shape(this.batch), { input: this.input!, weight: this.weight.value, dOutput, dWeight, dBias, dInput }, this.savedByLast);
    return dInput;
  }

  /** Gives back its batch buffers and what it kept (Network.dispose). */
  dispose(): void {
    this.output.release();
    this.dInput.release();
    this.saved?.dispose();
    this.saved = undefined;
    this.savedByLast = null;
  }
}
