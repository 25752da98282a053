/**
 * Flatten: [N,C,H,W] → [N, C·H·W] in C,H,W order, as PyTorch's `nn.Flatten`. NCHW memory is already in
 * that order, so forward and backward are the identity on the data: only the shape changes.
 */
import type { Floats } from '../backend/backend.js';
import { ParameterFreeLayer, product } from './layer.js';

export class Flatten extends ParameterFreeLayer {
  readonly outputShape: number[];

  constructor(
    readonly name: string,
    readonly inputShape: number[],
  ) {
    super();
    this.outputShape = [product(inputShape)];
  }

  forward(input: Floats, _batch: number): Floats {
    return input;
  }

  backward(dOutput: Floats, needInputGrad: boolean): Floats | null {
    return needInputGrad ? dOutput : null;
  }
}
