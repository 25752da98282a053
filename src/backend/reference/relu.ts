/**
 * ReLU, elementwise.  forward: y = max(x, 0).  backward: ∂L/∂x = ∂L/∂y · [y > 0].
 * The backward reads the output, not the input: y > 0 exactly where x > 0, and the output is what the
 * layer keeps anyway. Both may run in place.
 */
import type { Floats } from '../backend.js';

export function reluForward(input: Floats, output: Floats): void {
  for (let k = 0; k < input.length; k++) output[k] = input[k] > 0 ? input[k] : 0;
}

export function reluBackward(output: Floats, dOutput: Floats, dInput: Floats): void {
  for (let k = 0; k < output.length; k++) dInput[k] = output[k] > 0 ? dOutput[k] : 0;
}
