/**
 * A network built from a spec computes what the spec says: every layer's activations of random valid specs
 * against a plain interpreter written here from the layers' definitions (PyTorch's Conv2d with stride and
 * zero padding, MaxPool2d / AvgPool2d in floor mode, AdaptiveAvgPool2d(1), BatchNorm with batch or running
 * statistics, inverted dropout, Flatten in C,H,W order, Linear), in evaluation and in training mode.
 * Gradient checks cannot catch a forward pass that is wrong but self-consistent; this can.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { uniformAt } from '../src/model/dropout.js';
import { EVALUATION, type PassMode } from '../src/model/layer.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { randomSpecs, type ExpectedLayer, type RandomSpec } from '../src/testing.js';

const backend = new ReferenceBackend({ precision: 'float64' });
const EPSILON = 1e-5;

/** Runs `spec` on input [N, ...] by the definitions, reading the network's parameters and running statistics by name. */
function interpret(spec: RandomSpec, network: Network, input: Float64Array, batch: number, mode: PassMode): Map<string, Float64Array> {
  const outputs = new Map<string, Float64Array>();
  const value = (name: string) => network.parameters.find((p) => p.name === name)?.value ?? network.bufferViews.find((b) => b.name === name)!.value;
  let x = input;
  for (const layer of spec.layers) {
    x = interpretLayer(layer, x, batch, mode, (tensor) => value(`${layer.name}.${tensor}`));
    outputs.set(layer.name, x);
  }
  return outputs;
}

function interpretLayer(layer: ExpectedLayer, x: Float64Array, N: number, mode: PassMode, tensor: (name: string) => ArrayLike<number>): Float64Array {
  const input = layer.inputShape;
  const output = layer.outputShape;
  const y = new Float64Array(N * output.reduce((a, b) => a * b, 1));
  const { args } = layer;
  switch (layer.kind) {
    case 'conv': {
      const [C, H, W] = input;
      const [F, OH, OW] = output;
      const [w, b] = [tensor('weight'), tensor('bias')];
      const pixel = (n: number, c: number, u: number, v: number) => (u < 0 || u >= H || v < 0 || v >= W ? 0 : x[((n * C + c) * H + u) * W + v]);
      for (let n = 0; n < N; n++)
        for (let f = 0; f < F; f++)
          for (let i = 0; i < OH; i++)
            for (let j = 0; j < OW; j++) {
              let sum = b[f];
              for (let c = 0; c < C; c++)
                for (let p = 0; p < args.kernel; p++)
                  for (let q = 0; q < args.kernel; q++) sum += w[((f * C + c) * args.kernel + p) * args.kernel + q] * pixel(n, c, args.stride * i + p - args.pad, args.stride * j + q - args.pad);
              y[((n * F + f) * OH + i) * OW + j] = sum;
            }
      return y;
    }
    case 'maxpool':
    case 'avgpool':
    case 'gap': {
      const [C, H, W] = input;
      const [, OH, OW] = output;
      const [K, S] = layer.kind === 'gap' ? [0, 0] : [args.kernel, args.stride];
      for (let plane = 0; plane < N * C; plane++)
        for (let i = 0; i < OH; i++)
          for (let j = 0; j < OW; j++) {
            const window: number[] = [];
            const [rows, columns] = layer.kind === 'gap' ? [H, W] : [K, K];
            for (let a = 0; a < rows; a++) for (let b = 0; b < columns; b++) window.push(x[plane * H * W + (S * i + a) * W + S * j + b]);
            y[(plane * OH + i) * OW + j] = layer.kind === 'maxpool' ? Math.max(...window) : window.reduce((s, v) => s + v, 0) / window.length;
          }
      return y;
    }
    case 'bn': {
      const C = input[0];
      const P = input.slice(1).reduce((a, b) => a * b, 1);
      const [gamma, beta] = [tensor('weight'), tensor('bias')];
      for (let c = 0; c < C; c++) {
        const values: number[] = [];
        for (let n = 0; n < N; n++) for (let k = 0; k < P; k++) values.push(x[(n * C + c) * P + k]);
        const batchMean = values.reduce((s, v) => s + v, 0) / values.length;
        const batchVariance = values.reduce((s, v) => s + (v - batchMean) ** 2, 0) / values.length;
        const [mean, variance] = mode.training ? [batchMean, batchVariance] : [tensor('running_mean')[c], tensor('running_var')[c]];
        for (let n = 0; n < N; n++) for (let k = 0; k < P; k++) y[(n * C + c) * P + k] = ((x[(n * C + c) * P + k] - mean) / Math.sqrt(variance + EPSILON)) * gamma[c] + beta[c];
      }
      return y;
    }
    case 'relu':
      return x.map((v) => Math.max(v, 0));
    case 'dropout': {
      if (!mode.training) return Float64Array.from(x);
      const perSample = y.length / N;
      const ordinal = Number(layer.name.slice('dropout'.length));
      for (let n = 0; n < N; n++)
        for (let k = 0; k < perSample; k++) {
          const keep = uniformAt(mode.seed, mode.step, ordinal, mode.firstSample + n, k) < 1 - args.p;
          y[n * perSample + k] = keep ? x[n * perSample + k] / (1 - args.p) : 0;
        }
      return y;
    }
    case 'flatten':
      return Float64Array.from(x);
    case 'linear': {
      const [I, O] = [input[0], output[0]];
      const [w, b] = [tensor('weight'), tensor('bias')];
      for (let n = 0; n < N; n++)
        for (let o = 0; o < O; o++) {
          let sum = b[o];
          for (let i = 0; i < I; i++) sum += x[n * I + i] * w[o * I + i];
          y[n * O + o] = sum;
        }
      return y;
    }
  }
}

describe('a network built from a spec', () => {
  const cases = fc.record({ spec: randomSpecs({ maxSize: 9 }), batch: fc.integer({ min: 2, max: 3 }), seed: fc.integer({ min: 0, max: 2 ** 31 }), training: fc.boolean() });

  it('computes every layer as its definition says, in evaluation and in training mode', () => {
    fc.assert(
      fc.property(cases, ({ spec, batch, seed, training }) => {
        const network = createNetwork(backend, spec.explicit, spec.geometry);
        const random = new Random(seed);
        network.initialize(random);
        // Non-trivial batch-norm parameters and running statistics, so evaluation is not the identity.
        for (const p of network.parameters) if (p.constant !== undefined) for (let k = 0; k < p.value.length; k++) p.value[k] = random.uniform(0.5, 1.5) * (p.constant || random.uniform(-1, 1));
        for (const b of network.bufferViews) for (let k = 0; k < b.value.length; k++) b.value[k] = b.name.endsWith('running_var') ? random.uniform(0.5, 2) : random.uniform(-0.5, 0.5);
        const input = Float64Array.from({ length: batch * network.inputShape.reduce((a, b) => a * b, 1) }, () => random.uniform(-1, 1));
        const mode: PassMode = training ? { training: true, seed, step: 3, firstSample: 5, updateStatistics: false } : EVALUATION;
        const expected = interpret(spec, network, input, batch, mode);
        network.forward(input, batch, mode);
        for (const [k, layer] of spec.layers.entries()) {
          const actual = network.activations(layer.name);
          // A convolution or batch norm followed by a ReLU computes the ReLU in its own pass (fuseRelu): its buffer holds the rectified output.
          const fused = (layer.kind === 'conv' || layer.kind === 'bn') && spec.layers[k + 1]?.kind === 'relu';
          const wanted = fused ? expected.get(layer.name)!.map((v) => Math.max(v, 0)) : expected.get(layer.name)!;
          expect(actual.length, layer.name).toBe(wanted.length);
          let worst = 0;
          for (let k = 0; k < wanted.length; k++) worst = Math.max(worst, Math.abs(actual[k] - wanted[k]) / Math.max(1, Math.abs(wanted[k])));
          expect(worst, `${layer.name} of ${spec.explicit} (${training ? 'training' : 'evaluation'})`).toBeLessThan(1e-12);
        }
      }),
      { numRuns: 150 },
    );
  });
});
