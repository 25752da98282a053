/**
 * The table of layer kinds: everything the architecture description (spec.ts) knows about each kind of
 * layer, in one place — its words and arguments in the spec syntax, the shape it gives, the name prefix
 * of its instances, the PyTorch module it stands for, and how to build it. Adding a layer kind means a
 * row here, the layer's own file in src/model/, and its kernels in the backends.
 */
import type { Backend } from '../backend/backend.js';
import { convOutputSize, poolOutputSize } from '../backend/backend.js';
import { BatchNorm } from './batch-norm.js';
import { Conv2d } from './conv2d.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import type { Layer } from './layer.js';
import { AvgPool2d, GlobalAvgPool2d, MaxPool2d } from './pool2d.js';
import { ReLU } from './relu.js';

export type LayerKind = 'conv' | 'maxpool' | 'avgpool' | 'gap' | 'bn' | 'relu' | 'dropout' | 'flatten' | 'linear';

/** One layer of an architecture: its kind and its arguments (all filled in: defaults applied). */
export interface LayerSpec {
  kind: LayerKind;
  args: Record<string, number>;
}

/** An argument of a kind: its name, whether it is written by position, its default and its range. */
export interface ArgumentSpec {
  name: string;
  positional: boolean;
  /** A number, or the name of an argument it defaults to (a pool's stride defaults to its kernel size). */
  default?: number | string;
  min: number;
  max: number;
  integer: boolean;
}

/** What a layer's output would be, or why the layer cannot take its input. */
export type ShapeResult = { shape: number[] } | { problem: string };

/** What building a layer needs besides its spec. */
export interface BuildContext {
  backend: Backend;
  name: string;
  inputShape: number[];
  /** The next layer is a ReLU that a convolution or batch norm may compute in its own pass (fuseRelu). */
  nextIsRelu: boolean;
  /** The previous layer is a convolution or batch norm that already applied this ReLU. */
  previousFusedRelu: boolean;
  ordinal: number; // 1 for the first layer of this kind
}

export interface KindSpec {
  /** The spec word, e.g. 'conv'. */
  word: LayerKind;
  arguments: ArgumentSpec[];
  /** The instance names' prefix: conv → conv1, conv2; linear → fc1, fc2 (PyTorch's usual names). */
  namePrefix: string;
  /** The PyTorch module it equals (for messages and the PyTorch interchange). */
  pytorch: (args: Record<string, number>, inputShape: number[]) => string;
  outputShape: (args: Record<string, number>, input: number[]) => ShapeResult;
  build: (args: Record<string, number>, context: BuildContext) => Layer;
  /** The layer has a spatial [C,H,W] output whose cells have a receptive field (conv and pools). */
  window?: (args: Record<string, number>) => { kernel: number; stride: number; padding: number };
}

const count = (name: string, positional: boolean, min: number, max: number, fallback?: number | string): ArgumentSpec => ({
  name,
  positional,
  default: fallback,
  min,
  max,
  integer: true,
});

/** Largest width, kernel, stride or padding a spec may ask for: bounds that keep memory sane. */
export const LIMITS = { channels: 4096, kernel: 64, stride: 64, padding: 64 } as const;

function spatial(input: number[], what: string): string | null {
  return input.length === 3 ? null : `${what} needs a [channels, height, width] input: put it before flatten`;
}

function poolShape(args: Record<string, number>, input: number[], what: string): ShapeResult {
  const problem = spatial(input, what);
  if (problem !== null) return { problem };
  const [channels, height, width] = input;
  if (args.kernel > height || args.kernel > width) return { problem: `its ${args.kernel}×${args.kernel} window is larger than its ${height}×${width} input` };
  return { shape: [channels, poolOutputSize(height, args.kernel, args.stride), poolOutputSize(width, args.kernel, args.stride)] };
}

function spatialInput(inputShape: number[]): [number, number, number] {
  return inputShape as [number, number, number];
}

export const LAYER_KINDS: Record<LayerKind, KindSpec> = {
  conv: {
    word: 'conv',
    arguments: [
      count('out', true, 1, LIMITS.channels),
      count('kernel', true, 1, LIMITS.kernel),
      count('stride', false, 1, LIMITS.stride, 1),
      count('pad', false, 0, LIMITS.padding, 0),
    ],
    namePrefix: 'conv',
    pytorch: (a, input) => `nn.Conv2d(${input[0]}, ${a.out}, ${a.kernel}, stride=${a.stride}, padding=${a.pad})`,
    outputShape: (a, input) => {
      const problem = spatial(input, 'conv');
      if (problem !== null) return { problem };
      const [, height, width] = input;
      const outHeight = convOutputSize(height, a.kernel, a.stride, a.pad);
      const outWidth = convOutputSize(width, a.kernel, a.stride, a.pad);
      if (outHeight < 1 || outWidth < 1) {
        const padded = a.pad > 0 ? ` (${height + 2 * a.pad}×${width + 2 * a.pad} padded)` : '';
        return { problem: `its ${a.kernel}×${a.kernel} kernel is larger than its ${height}×${width} input${padded}` };
      }
      return { shape: [a.out, outHeight, outWidth] };
    },
    build: (a, c) => new Conv2d(c.backend, c.name, spatialInput(c.inputShape), a.out, a.kernel, { stride: a.stride, padding: a.pad, fuseRelu: c.nextIsRelu }),
    window: (a) => ({ kernel: a.kernel, stride: a.stride, padding: a.pad }),
  },
  maxpool: {
    word: 'maxpool',
    arguments: [count('kernel', true, 1, LIMITS.kernel), count('stride', false, 1, LIMITS.stride, 'kernel')],
    namePrefix: 'pool',
    pytorch: (a) => `nn.MaxPool2d(${a.kernel}, stride=${a.stride})`,
    outputShape: (a, input) => poolShape(a, input, 'maxpool'),
    build: (a, c) => new MaxPool2d(c.backend, c.name, spatialInput(c.inputShape), a.kernel, a.stride),
    window: (a) => ({ kernel: a.kernel, stride: a.stride, padding: 0 }),
  },
  avgpool: {
    word: 'avgpool',
    arguments: [count('kernel', true, 1, LIMITS.kernel), count('stride', false, 1, LIMITS.stride, 'kernel')],
    namePrefix: 'pool',
    pytorch: (a) => `nn.AvgPool2d(${a.kernel}, stride=${a.stride})`,
    outputShape: (a, input) => poolShape(a, input, 'avgpool'),
    build: (a, c) => new AvgPool2d(c.backend, c.name, spatialInput(c.inputShape), a.kernel, a.stride),
    window: (a) => ({ kernel: a.kernel, stride: a.stride, padding: 0 }),
  },
  gap: {
    word: 'gap',
    arguments: [],
    namePrefix: 'gap',
    pytorch: () => 'nn.AdaptiveAvgPool2d(1)',
    outputShape: (_, input) => {
      const problem = spatial(input, 'gap');
      return problem !== null ? { problem } : { shape: [input[0], 1, 1] };
    },
    build: (_, c) => new GlobalAvgPool2d(c.backend, c.name, spatialInput(c.inputShape)),
  },
  bn: {
    word: 'bn',
    arguments: [],
    namePrefix: 'bn',
    pytorch: (_, input) => (input.length === 3 ? `nn.BatchNorm2d(${input[0]})` : `nn.BatchNorm1d(${input[0]})`),
    outputShape: (_, input) =>
      input.length === 3 || input.length === 1 ? { shape: input } : { problem: 'bn needs a [channels, height, width] or [features] input' },
    build: (_, c) => new BatchNorm(c.backend, c.name, c.inputShape, { fuseRelu: c.nextIsRelu }),
  },
  relu: {
    word: 'relu',
    arguments: [],
    namePrefix: 'relu',
    pytorch: () => 'nn.ReLU()',
    outputShape: (_, input) => ({ shape: input }),
    build: (_, c) => new ReLU(c.backend, c.name, c.inputShape, { inputRectified: c.previousFusedRelu }),
  },
  dropout: {
    word: 'dropout',
    arguments: [{ name: 'p', positional: true, min: 0, max: 0.99, integer: false }],
    namePrefix: 'dropout',
    pytorch: (a) => `nn.Dropout(${a.p})`,
    outputShape: (_, input) => ({ shape: input }),
    build: (a, c) => new Dropout(c.backend, c.name, c.inputShape, a.p, c.ordinal),
  },
  flatten: {
    word: 'flatten',
    arguments: [],
    namePrefix: 'flatten',
    pytorch: () => 'nn.Flatten()',
    outputShape: (_, input) => ({ shape: [input.reduce((a, b) => a * b, 1)] }),
    build: (_, c) => new Flatten(c.name, c.inputShape),
  },
  linear: {
    word: 'linear',
    arguments: [count('out', true, 1, LIMITS.channels)],
    namePrefix: 'fc',
    pytorch: (a, input) => `nn.Linear(${input[0]}, ${a.out})`,
    outputShape: (a, input) =>
      input.length === 1 ? { shape: [a.out] } : { problem: 'linear needs a flat [features] input: put flatten before it' },
    build: (a, c) => new Dense(c.backend, c.name, c.inputShape[0], a.out),
  },
};
