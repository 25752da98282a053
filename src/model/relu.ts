/**
 * ReLU: y = max(x, 0), elementwise; any shape. Keeps its output for the backward pass
 * (∂L/∂x = ∂L/∂y where y > 0), which runs in place on the incoming gradient.
 *
 * With `inputRectified`, the layer before it has already applied the ReLU (a Conv2d with `fuseRelu`):
 * forward keeps that input as its output, without a pass over it; backward and activations() are the same.
 *
 * `guidedBackward` is Guided Backpropagation's rule (Springenberg et al., 2015, eq. at fig. 1): the ordinary
 * mask, then negative gradients zeroed too, ∂L/∂x = ReLU(∂L/∂y) where y > 0 — the ordinary backward followed
 * by a ReLU of the result, both existing kernels, so `backward` itself is untouched. The fused conv + ReLU
 * needs nothing of its own: its ReLU's backward is this layer's (Conv2d receives ∂L/∂(conv + bias) from here).
 */
import type { Backend, Floats } from '../backend/backend.js';
import { BatchBuffer, ParameterFreeLayer, product } from './layer.js';

export class ReLU extends ParameterFreeLayer {
  readonly outputShape: number[];
  private readonly output: BatchBuffer<Floats>;
  private lastOutput: Floats | null = null; // kept for backward

  constructor(
    private readonly backend: Backend,
    readonly name: string,
    readonly inputShape: number[],
    readonly options: { inputRectified?: boolean } = {},
  ) {
    super();
    this.outputShape = inputShape;
    this.output = BatchBuffer.floats(backend, product(inputShape));
  }

  forward(input: Floats, batch: number): Floats {
    if (this.options.inputRectified) {
      this.lastOutput = input;
      return input;
    }
    const output = this.output.forBatch(batch);
    this.backend.reluForward(input, output);
    this.lastOutput = output;
    return output;
  }

  backward(dOutput: Floats, _needInputGrad: boolean): Floats {
    this.backend.reluBackward(this.lastOutput!, dOutput, dOutput);
    return dOutput;
  }

  /** Guided Backpropagation's backward: dInput = ReLU(dOutput) where output > 0, else 0; in place, like `backward`. */
  guidedBackward(dOutput: Floats): Floats {
    this.backend.reluBackward(this.lastOutput!, dOutput, dOutput);
    this.backend.reluForward(dOutput, dOutput);
    return dOutput;
  }

  /** The output of the last forward pass (Grad-CAM reads the last conv layer's activations here). */
  activations(): Floats {
    return this.lastOutput!;
  }

  /** Gives back its batch buffers (Network.dispose). */
  dispose(): void {
    this.output.release();
  }
}
