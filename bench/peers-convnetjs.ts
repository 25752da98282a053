/**
 * ConvNetJS's driver for the peers bench (protocol: bench/peers-child.ts): the spec's layers as ConvNetJS layer
 * definitions (conv, relu, pool = max pooling, dropout, fc; flatten is implicit; the last linear is ConvNetJS's
 * `softmax` layer, which puts its own fc before the softmax), channels-last with the shared initial weights
 * rearranged (peers-layout.ts). ConvNetJS takes one image at a time; a step runs forward and backward over the
 * 64 images (its layers sum the gradients) and then Adam (lr 10⁻³, β 0.9/0.999, ε 10⁻⁸) on the mean gradient —
 * a dozen lines below over its getParamsAndGrads, since its Trainer has SGD, Adagrad, Adadelta and RMSprop
 * ("windowgrad") but no Adam. No Grad-CAM: ConvNetJS has no gradient of a logit with respect to a layer.
 */
import { createRequire } from 'node:module';
import { batchFloats, batchLabels, initialParameters, serveDriver, type PeerConfig } from './peers-child.js';
import { channelsLastParameters } from './peers-layout.js';

/** The part of ConvNetJS this driver uses. */
interface Vol {
  w: Float64Array;
  dw: Float64Array;
}
interface ConvNetLayer {
  layer_type: string;
  filters?: Vol[];
  biases?: Vol;
}
interface ConvNet {
  Vol: new (sx: number, sy: number, depth: number, fill?: number) => Vol;
  Net: new () => {
    layers: ConvNetLayer[];
    makeLayers(definitions: object[]): void;
    forward(input: Vol, training: boolean): Vol;
    backward(label: number): number;
    getParamsAndGrads(): { params: Float64Array; grads: Float64Array }[];
  };
}

const require = createRequire(import.meta.url);

function definitionsOf(config: PeerConfig): object[] {
  const [depth, sy, sx] = config.layers[0].inputShape;
  const definitions: object[] = [{ type: 'input', out_sx: sx, out_sy: sy, out_depth: depth }];
  config.layers.forEach(({ kind, args }, k) => {
    if (kind === 'conv') definitions.push({ type: 'conv', sx: args.kernel, filters: args.out, stride: args.stride ?? 1, pad: args.pad ?? 0 });
    else if (kind === 'relu') definitions.push({ type: 'relu' });
    else if (kind === 'maxpool') definitions.push({ type: 'pool', sx: args.kernel, stride: args.stride ?? args.kernel, pad: 0 });
    else if (kind === 'dropout') definitions.push({ type: 'dropout', drop_prob: args.p });
    else if (kind === 'flatten') return;
    else if (kind === 'linear') definitions.push(k === config.layers.length - 1 ? { type: 'softmax', num_classes: args.out } : { type: 'fc', num_neurons: args.out });
    else throw new Error(`ConvNetJS has no '${kind}' layer`);
  });
  return definitions;
}

await serveDriver(async (config) => {
  const convnetjs = require('convnetjs') as ConvNet;
  const net = new convnetjs.Net();
  net.makeLayers(definitionsOf(config));
  const weighted = net.layers.filter((layer) => layer.filters !== undefined);
  const shared = channelsLastParameters(config.layers, config.parameters, initialParameters(config));
  const [channels, height, width] = config.layers[0].inputShape;

  let moments: { m: Float64Array; v: Float64Array }[] = [];
  let steps = 0;
  const reset = () => {
    weighted.forEach((layer, k) => {
      const weight = shared[2 * k]; // channels-last [..., O]: output o's weights are every O-th value from o
      const filters = layer.filters!;
      const out = filters.length;
      filters.forEach((filter, o) => {
        for (let j = 0; j < filter.w.length; j++) filter.w[j] = weight[j * out + o];
        filter.dw.fill(0);
      });
      layer.biases!.w.set(shared[2 * k + 1]);
      layer.biases!.dw.fill(0);
    });
    moments = net.getParamsAndGrads().map(({ params }) => ({ m: new Float64Array(params.length), v: new Float64Array(params.length) }));
    steps = 0;
  };
  reset();

  const volume = (pixels: Float32Array, n: number) => {
    const vol = new convnetjs.Vol(width, height, channels, 0);
    const size = channels * height * width;
    for (let c = 0; c < channels; c++) for (let p = 0; p < height * width; p++) vol.w[p * channels + c] = pixels[n * size + c * height * width + p];
    return vol;
  };
  const parameters = net.getParamsAndGrads().reduce((sum, { params }) => sum + params.length, 0);
  return {
    parameters,
    detail: `ConvNetJS ${(require('convnetjs/package.json') as { version: string }).version}, one image at a time`,
    optimizer: 'Adam (a dozen lines over getParamsAndGrads: ConvNetJS has none)',
    predict: (batch) => {
      const pixels = batchFloats(batch);
      const predicted = new Int32Array(batch.count);
      for (let n = 0; n < batch.count; n++) {
        const probabilities = net.forward(volume(pixels, n), false).w;
        let best = 0;
        for (let c = 1; c < probabilities.length; c++) if (probabilities[c] > probabilities[best]) best = c;
        predicted[n] = best;
      }
      return predicted;
    },
    trainStep: (batch) => {
      const pixels = batchFloats(batch);
      const labels = batchLabels(batch);
      let loss = 0;
      for (let n = 0; n < batch.count; n++) {
        net.forward(volume(pixels, n), true);
        loss += net.backward(labels[n]); // the softmax layer's cross-entropy for this image
      }
      steps++;
      const [beta1, beta2, rate, epsilon] = [0.9, 0.999, 1e-3, 1e-8];
      const correction1 = 1 - beta1 ** steps;
      const correction2 = 1 - beta2 ** steps;
      net.getParamsAndGrads().forEach(({ params, grads }, k) => {
        const { m, v } = moments[k];
        for (let j = 0; j < params.length; j++) {
          const g = grads[j] / batch.count;
          m[j] = beta1 * m[j] + (1 - beta1) * g;
          v[j] = beta2 * v[j] + (1 - beta2) * g * g;
          params[j] -= (rate * (m[j] / correction1)) / (Math.sqrt(v[j] / correction2) + epsilon);
          grads[j] = 0;
        }
      });
      return loss / batch.count;
    },
    reset,
  };
});
