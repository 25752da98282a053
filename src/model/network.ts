/**
 * The network: a plain list of layers, and the paper's CNN built from it.
 *
 * All parameters live in one backend allocation (`params`) with a named view per tensor, and all their
 * gradients in a second one (`grads`) with mirrored views, as in llm.c: one `zeroGrad` clears every
 * gradient, one Adam pass updates every parameter, and a model file is these views written in order.
 */
import type { Backend, Floats } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import type { Random } from '../random.js';
import { Conv2d } from './conv2d.js';
import { Dense } from './dense.js';
import { Flatten } from './flatten.js';
import { product, type Layer, type Parameter } from './layer.js';
import { MaxPool2d } from './maxpool2d.js';
import { ReLU } from './relu.js';

export class Network {
  readonly params: Floats; // every parameter, one arena
  readonly grads: Floats; // every gradient, the same layout
  readonly parameters: Parameter[]; // named views into both, in layer order

  /**
   * `arenas` lets the caller own the storage: a worker thread's network uses the main thread's
   * parameters (one shared arena) and a gradient arena of its own.
   */
  constructor(
    readonly backend: Backend,
    readonly layers: Layer[],
    arenas: { params?: Floats; grads?: Floats } = {},
  ) {
    const specs = layers.flatMap((layer) => layer.parameterSpecs());
    const total = specs.reduce((sum, spec) => sum + product(spec.shape), 0);
    for (const [name, arena] of Object.entries(arenas)) {
      if (arena !== undefined && arena.length !== total) throw new XcnnError(`the ${name} arena has ${arena.length} numbers; the network has ${total} parameters`);
    }
    this.params = arenas.params ?? backend.allocFloats(total);
    this.grads = arenas.grads ?? backend.allocFloats(total);
    this.parameters = [];
    let offset = 0;
    for (const layer of layers) {
      const bound = layer.parameterSpecs().map((spec) => {
        const length = product(spec.shape);
        const parameter: Parameter = {
          ...spec,
          value: this.params.subarray(offset, offset + length),
          grad: this.grads.subarray(offset, offset + length),
        };
        offset += length;
        return parameter;
      });
      layer.bindParameters(bound);
      this.parameters.push(...bound);
    }
  }

  get inputShape(): number[] {
    return this.layers[0].inputShape;
  }

  get outputShape(): number[] {
    return this.layers[this.layers.length - 1].outputShape;
  }

  parameter(name: string): Parameter {
    const found = this.parameters.find((p) => p.name === name);
    if (!found) throw new XcnnError(`the network has no parameter '${name}'`);
    return found;
  }

  layer<T extends Layer>(name: string): T {
    const found = this.layers.find((layer) => layer.name === name);
    if (!found) throw new XcnnError(`the network has no layer '${name}'`);
    return found as T;
  }

  /** input [N, ...inputShape] → logits [N, classes] (the last layer's buffer). */
  forward(input: Floats, batch: number): Floats {
    let x = input;
    for (const layer of this.layers) x = layer.forward(x, batch);
    return x;
  }

  /**
   * Backpropagates dLogits [N, classes] through the layers of the last forward, accumulating parameter
   * gradients; the first layer's input gradient is not computed.
   */
  backward(dLogits: Floats): void {
    let d: Floats | null = dLogits;
    for (let k = this.layers.length - 1; k >= 0 && d !== null; k--) {
      d = this.layers[k].backward(d, k > 0);
    }
  }

  /**
   * Backpropagates dLogits [N, classes] through the layers after `layerName` only, and returns the
   * gradient with respect to that layer's output [N, ...outputShape] (a buffer of the next layer's; read
   * it before the next pass). Parameter gradients of those later layers accumulate as usual. Grad-CAM
   * uses this to get ∂y_c/∂A for the last convolutional layer's activations A.
   */
  backwardTo(layerName: string, dLogits: Floats): Floats {
    const stop = this.layers.findIndex((layer) => layer.name === layerName);
    if (stop < 0) throw new XcnnError(`the network has no layer '${layerName}'`);
    let d: Floats = dLogits;
    for (let k = this.layers.length - 1; k > stop; k--) d = this.layers[k].backward(d, true)!;
    return d;
  }

  /**
   * Backpropagates dLogits [N, classes] through every layer, the first one included, and returns the
   * gradient with respect to the input [N, ...inputShape] (a buffer of the first layer's; read it before
   * the next pass). Parameter gradients accumulate as in `backward`. The input-space explanations
   * (saliency, gradient × input, SmoothGrad, Integrated Gradients) use this to get ∂y_c/∂x.
   *
   * `rule = 'guided'` applies Guided Backpropagation's rule at every ReLU layer (`ReLU.guidedBackward`:
   * negative incoming gradients are zeroed as well as those of inactive units), every other layer
   * backpropagating as usual: the guided "gradient" of Guided Backprop and Guided Grad-CAM.
   */
  backwardToInput(dLogits: Floats, rule: 'ordinary' | 'guided' = 'ordinary'): Floats {
    let d: Floats = dLogits;
    for (let k = this.layers.length - 1; k >= 0; k--) {
      const layer = this.layers[k];
      d = rule === 'guided' && layer instanceof ReLU ? layer.guidedBackward(d) : layer.backward(d, true)!;
    }
    return d;
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  /**
   * PyTorch's default initialisation for Conv2d and Linear: every weight and bias ~ U(−1/√fanIn, 1/√fanIn);
   * with `layerName`, that layer's parameters only (the randomisation sanity check re-draws one at a time).
   */
  initialize(random: Random, layerName?: string): void {
    for (const p of this.parameters) {
      if (layerName !== undefined && !p.name.startsWith(`${layerName}.`)) continue;
      const bound = 1 / Math.sqrt(p.fanIn);
      for (let k = 0; k < p.value.length; k++) p.value[k] = random.uniform(-bound, bound);
    }
  }
}

/** The per-sample input shape [channels, height, width] and the number of classes. */
export interface NetworkGeometry {
  channels: number;
  height: number;
  width: number;
  classes: number;
}

export const MNIST_GEOMETRY: NetworkGeometry = { channels: 1, height: 28, width: 28, classes: 10 };

/** Options that shrink the paper's network, for fast tests; the defaults are the paper's. */
export interface PaperWidths {
  conv1Channels: number; // 32
  conv2Channels: number; // 64
  hidden: number; // 128
}

export const PAPER_WIDTHS: PaperWidths = { conv1Channels: 32, conv2Channels: 64, hidden: 128 };

/**
 * The paper's CNN (for MNIST: [1,28,28] → conv1 [32,26,26] → pool1 [32,13,13] → conv2 [64,11,11]
 * → flatten [7744] → fc1 [128] → fc2 [10]); softmax cross-entropy is applied to the logits by the trainer.
 * Each convolution computes its ReLU in the same pass as its bias (Conv2d's `fuseRelu`); relu1 and relu2
 * stay in the list, holding the activations (Grad-CAM reads relu2's) and masking the gradient in backward.
 */
export function createPaperNetwork(
  backend: Backend,
  geometry: NetworkGeometry = MNIST_GEOMETRY,
  widths: PaperWidths = PAPER_WIDTHS,
  arenas: { params?: Floats; grads?: Floats } = {},
): Network {
  const { channels, height, width, classes } = geometry;
  const conv1 = new Conv2d(backend, 'conv1', [channels, height, width], widths.conv1Channels, 3, { fuseRelu: true });
  const relu1 = new ReLU(backend, 'relu1', conv1.outputShape, { inputRectified: true });
  const pool1 = new MaxPool2d(backend, 'pool1', relu1.outputShape as [number, number, number]);
  const conv2 = new Conv2d(backend, 'conv2', pool1.outputShape as [number, number, number], widths.conv2Channels, 3, { fuseRelu: true });
  const relu2 = new ReLU(backend, 'relu2', conv2.outputShape, { inputRectified: true });
  const flatten = new Flatten('flatten', relu2.outputShape);
  const fc1 = new Dense(backend, 'fc1', flatten.outputShape[0], widths.hidden);
  const relu3 = new ReLU(backend, 'relu3', fc1.outputShape);
  const fc2 = new Dense(backend, 'fc2', widths.hidden, classes);
  return new Network(backend, [conv1, relu1, pool1, conv2, relu2, flatten, fc1, relu3, fc2], arenas);
}

/** The geometry and widths of a paper network, read back from its layers (to build its twin in a worker). */
export function describePaperNetwork(network: Network): { geometry: NetworkGeometry; widths: PaperWidths } {
  const [channels, height, width] = network.inputShape;
  return {
    geometry: { channels, height, width, classes: network.outputShape[0] },
    widths: {
      conv1Channels: network.parameter('conv1.bias').shape[0],
      conv2Channels: network.parameter('conv2.bias').shape[0],
      hidden: network.parameter('fc1.bias').shape[0],
    },
  };
}
