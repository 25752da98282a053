/**
 * Group 3: each layer's forward and backward pass at batch 64, wasm against the TypeScript reference,
 * in ms per batch and the speed-up. The backward passes are the ones the network runs: conv1 skips
 * its input gradient (dInput = null, nothing upstream needs it); the others compute it. The reference
 * is slow (seconds per call for conv2), so it gets a few samples only.
 */
import type { Backend, BatchNormShape, Conv2dShape, DenseShape, Pool2dShape } from '../src/backend/backend.js';
import { convGeometry, poolGeometry } from '../src/backend/backend.js';
import { Random } from '../src/random.js';
import { medianMs, randomFloats, significant, type BenchGroup, type BenchRow, type TimingBudget } from './bench-group.js';

const BATCH = 64;
const conv1: Conv2dShape = { batch: BATCH, inChannels: 1, height: 28, width: 28, outChannels: 32, kernelSize: 3 };
const conv2: Conv2dShape = { batch: BATCH, inChannels: 32, height: 13, width: 13, outChannels: 64, kernelSize: 3 };
const fc1: DenseShape = { batch: BATCH, inFeatures: 7744, outFeatures: 128 };
const fc2: DenseShape = { batch: BATCH, inFeatures: 128, outFeatures: 10 };
// The spec presets' new kinds of layer: the modern net's padded conv and its batch norm, LeNet-5's average pool.
const modernConv2: Conv2dShape = { batch: BATCH, inChannels: 32, height: 14, width: 14, outChannels: 64, kernelSize: 3, padding: 1 };
const modernBn2: BatchNormShape = { batch: BATCH, channels: 64, positions: 14 * 14 };
const lenetPool1: Pool2dShape = { batch: BATCH, channels: 6, height: 28, width: 28, kernelSize: 2, stride: 2 };

const WASM_BUDGET: TimingBudget = { time: 500, iterations: 10 };
const REFERENCE_BUDGET: TimingBudget = { time: 0, iterations: 3 };

/** The forward and backward pass of one layer on `backend`, ready to time. */
type LayerPasses = (backend: Backend) => { forward: () => void; backward: () => void };

function convPasses(s: Conv2dShape, computeInputGradient: boolean): LayerPasses {
  return (backend) => {
    const random = new Random(2);
    const { outHeight, outWidth } = convGeometry(s);
    const outputs = s.batch * s.outChannels * outHeight * outWidth;
    const input = randomFloats(backend, s.batch * s.inChannels * s.height * s.width, random);
    const weight = randomFloats(backend, s.outChannels * s.inChannels * s.kernelSize ** 2, random);
    const bias = randomFloats(backend, s.outChannels, random);
    const output = backend.allocFloats(outputs);
    const dOutput = randomFloats(backend, outputs, random);
    const dWeight = backend.allocFloats(weight.length);
    const dBias = backend.allocFloats(bias.length);
    const dInput = computeInputGradient ? backend.allocFloats(input.length) : null;
    return {
      forward: () => backend.conv2dForward(s, input, weight, bias, output),
      backward: () => backend.conv2dBackward(s, { input, weight, dOutput, dWeight, dBias, dInput }),
    };
  };
}

function densePasses(s: DenseShape): LayerPasses {
  return (backend) => {
    const random = new Random(3);
    const input = randomFloats(backend, s.batch * s.inFeatures, random);
    const weight = randomFloats(backend, s.outFeatures * s.inFeatures, random);
    const bias = randomFloats(backend, s.outFeatures, random);
    const output = backend.allocFloats(s.batch * s.outFeatures);
    const dOutput = randomFloats(backend, s.batch * s.outFeatures, random);
    const dWeight = backend.allocFloats(weight.length);
    const dBias = backend.allocFloats(bias.length);
    const dInput = backend.allocFloats(input.length);
    return {
      forward: () => backend.denseForward(s, input, weight, bias, output),
      backward: () => backend.denseBackward(s, { input, weight, dOutput, dWeight, dBias, dInput }),
    };
  };
}

function batchNormPasses(s: BatchNormShape): LayerPasses {
  return (backend) => {
    const random = new Random(4);
    const length = s.batch * s.channels * s.positions;
    const input = randomFloats(backend, length, random);
    const output = backend.allocFloats(length);
    const perChannel = () => randomFloats(backend, s.channels, random);
    const state = { gamma: perChannel(), beta: perChannel(), runningMean: perChannel(), runningVar: backend.allocFloats(s.channels).fill(1), training: true, momentum: 0.1, epsilon: 1e-5, savedMean: perChannel(), savedInvStd: perChannel() };
    const dOutput = randomFloats(backend, length, random);
    const dInput = backend.allocFloats(length);
    const [dGamma, dBeta] = [perChannel(), perChannel()];
    return {
      forward: () => backend.batchNormForward(s, input, output, state),
      backward: () =>
        backend.batchNormBackward(s, { input, dOutput, gamma: state.gamma, savedMean: state.savedMean, savedInvStd: state.savedInvStd, training: true, dGamma, dBeta, dInput }),
    };
  };
}

function avgPoolPasses(s: Pool2dShape): LayerPasses {
  return (backend) => {
    const random = new Random(5);
    const { outHeight, outWidth } = poolGeometry(s);
    const input = randomFloats(backend, s.batch * s.channels * s.height * s.width, random);
    const output = backend.allocFloats(s.batch * s.channels * outHeight * outWidth);
    const dInput = backend.allocFloats(input.length);
    return {
      forward: () => backend.avgPool2dForward(s, input, output),
      backward: () => backend.avgPool2dBackward(s, output, dInput),
    };
  };
}

const layers: { name: string; passes: LayerPasses }[] = [
  { name: 'conv1 1→32 3×3 (28×28)', passes: convPasses(conv1, false) },
  { name: 'conv2 32→64 3×3 (13×13)', passes: convPasses(conv2, true) },
  { name: 'fc1 7744→128', passes: densePasses(fc1) },
  { name: 'fc2 128→10', passes: densePasses(fc2) },
  { name: 'modern conv2 32→64 3×3 pad 1 (14×14)', passes: convPasses(modernConv2, true) },
  { name: 'modern bn2 64 channels (14×14)', passes: batchNormPasses(modernBn2) },
  { name: 'lenet5 avgpool1 2×2 6 channels (28×28)', passes: avgPoolPasses(lenetPool1) },
];

export const layersGroup: BenchGroup = {
  name: 'Layers: wasm vs TypeScript reference',
  description: 'ms per batch of 64, median; speed-up = ts ms / wasm ms',
  async run(context) {
    const rows: BenchRow[] = [];
    for (const layer of layers) {
      const wasm = layer.passes(context.wasm);
      const ts = layer.passes(context.reference);
      for (const pass of ['forward', 'backward'] as const) {
        const wasmMs = await medianMs(`${layer.name} ${pass} wasm`, wasm[pass], WASM_BUDGET);
        const tsMs = await medianMs(`${layer.name} ${pass} ts`, ts[pass], REFERENCE_BUDGET);
        rows.push({
          layer: layer.name,
          pass,
          'wasm ms': significant(wasmMs),
          'ts ms': significant(tsMs),
          'speed-up ×': significant(tsMs / wasmMs),
        });
      }
    }
    return rows;
  },
};
