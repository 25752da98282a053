/**
 * TensorFlow.js's driver for the peers bench (protocol: bench/peers-child.ts), on the backend the config
 * names (`cpu`: @tensorflow/tfjs-backend-cpu, plain JavaScript; `wasm`: @tensorflow/tfjs-backend-wasm, XNNPACK
 * with SIMD). The spec's layers become tfjs-layers layers one for one (a padded convolution gets a
 * zeroPadding2d before it), channels-last as tfjs computes, with the shared initial weights rearranged
 * (peers-layout.ts); the loss is softmax cross-entropy on the logits and the optimiser tf.train.adam
 * (lr 10⁻³, β 0.9/0.999, ε 10⁻⁸, as PyTorch's and xcnn's). Grad-CAM is xcnn's formula written with tf.grad:
 * the last conv block's activations A, α_k = the spatial mean of ∂y_c/∂A_k for each image's predicted class c,
 * ReLU(Σ_k α_k A_k), resized bilinearly to the input (half-pixel centres) and min–max normalised per image.
 */
import { createRequire } from 'node:module';
import { argmaxRows, batchFloats, batchLabels, initialParameters, minMaxRows, serveDriver, type Batch, type PeerConfig, type PeerModel } from './peers-child.js';
import { channelsLastParameters } from './peers-layout.js';

type Tf = typeof import('@tensorflow/tfjs-core');
type Layers = typeof import('@tensorflow/tfjs-layers');
type Tensor = import('@tensorflow/tfjs-core').Tensor;
type Layer = import('@tensorflow/tfjs-layers').layers.Layer;

const require = createRequire(import.meta.url);

/** tfjs-layers layers for one spec layer (a padded conv is two). */
function layersOf(tfl: Layers, layer: PeerConfig['layers'][number], first: boolean): Layer[] {
  const { kind, args } = layer;
  const input = first ? { inputShape: [layer.inputShape[1], layer.inputShape[2], layer.inputShape[0]] } : {};
  switch (kind) {
    case 'conv': {
      const pad = args.pad ?? 0;
      const padding = pad > 0 ? [tfl.layers.zeroPadding2d({ padding: pad, ...input })] : [];
      return [...padding, tfl.layers.conv2d({ filters: args.out, kernelSize: args.kernel, strides: args.stride ?? 1, padding: 'valid', ...(pad > 0 ? {} : input) })];
    }
    case 'maxpool':
      return [tfl.layers.maxPooling2d({ poolSize: args.kernel, strides: args.stride ?? args.kernel, ...input })];
    case 'avgpool':
      return [tfl.layers.averagePooling2d({ poolSize: args.kernel, strides: args.stride ?? args.kernel, ...input })];
    case 'gap':
      return [tfl.layers.globalAveragePooling2d({ ...input })];
    case 'bn':
      return [tfl.layers.batchNormalization({ epsilon: 1e-5, momentum: 0.9, ...input })];
    case 'relu':
      return [tfl.layers.reLU({ ...input })];
    case 'dropout':
      return [tfl.layers.dropout({ rate: args.p ?? args.rate ?? 0.5, ...input })];
    case 'flatten':
      return [tfl.layers.flatten({ ...input })];
    case 'linear':
      return [tfl.layers.dense({ units: args.out, ...input })];
    default:
      throw new Error(`TensorFlow.js driver: no layer for '${kind}'`);
  }
}

await serveDriver(async (config) => {
  const backendName = config.options.backend ?? 'cpu';
  const tf = require('@tensorflow/tfjs-core') as Tf;
  const tfl = require('@tensorflow/tfjs-layers') as Layers;
  if (backendName === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm');
    wasm.setThreadsCount(config.threads);
  } else require('@tensorflow/tfjs-backend-cpu');
  if (!(await tf.setBackend(backendName))) throw new Error(`TensorFlow.js could not start its ${backendName} backend`);
  await tf.ready();
  if (config.threads > 1 && backendName !== 'wasm') throw new Error('the cpu backend runs on one thread');

  const { channels, height, width, classes } = config.geometry;
  const groups = config.layers.map((layer, k) => layersOf(tfl, layer, k === 0));
  const model = tfl.sequential({ layers: groups.flat() });
  const featureLayers = groups.slice(0, config.camLayers).flat();
  const headLayers = groups.slice(config.camLayers).flat();
  // tfjs's weights in the model's order (model.weights): every layer's trainable ones first (kernel then bias;
  // batch norm's gamma then beta), then every batch norm's moving mean and variance, the non-trainable ones.
  const shared = channelsLastParameters(config.layers, config.parameters, initialParameters(config));
  const initialWeights = (): Tensor[] => {
    const trainable: Tensor[] = [];
    const moving: Tensor[] = [];
    let at = 0;
    for (const [k, layer] of config.layers.entries()) {
      if (layer.parameterCount === 0) continue;
      const own = groups[k][groups[k].length - 1].weights.map((weight) => weight.shape as number[]);
      trainable.push(tf.tensor(shared[at], own[0]), tf.tensor(shared[at + 1], own[1]));
      if (layer.kind === 'bn') moving.push(tf.zeros(own[2]), tf.ones(own[3]));
      at += layer.parameterCount;
    }
    return [...trainable, ...moving];
  };
  let optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  const reset = () => {
    const weights = initialWeights();
    model.setWeights(weights);
    tf.dispose(weights);
    optimizer.dispose();
    optimizer = tf.train.adam(1e-3, 0.9, 0.999, 1e-8);
  };
  reset();

  const images = (batch: Batch): Tensor => tf.transpose(tf.tensor4d(batchFloats(batch), [batch.count, channels, height, width]), [0, 2, 3, 1]);
  const apply = (layers: Layer[], x: Tensor, training = false): Tensor => layers.reduce((y, layer) => layer.apply(y, { training }) as Tensor, x);
  // Trainable weights only: countParams() also counts batch norm's moving statistics, which xcnn and PyTorch keep as buffers.
  const parameters = model.trainableWeights.reduce((sum, weight) => sum + weight.shape.reduce((a: number, b) => a * (b ?? 1), 1), 0);
  // The wasm backend has no convolution gradients (Conv2DBackpropFilter): it cannot train this net.
  const trains = tf.getKernel('Conv2DBackpropFilter', backendName) !== undefined;
  const model_: PeerModel = {
    parameters,
    detail: `TensorFlow.js ${tf.version_core}, ${backendName} backend${backendName === 'wasm' ? `, ${(require('@tensorflow/tfjs-backend-wasm') as { getThreadsCount(): number }).getThreadsCount()} thread(s)` : ''}`,
    predict: async (batch) => {
      const logits = tf.tidy(() => apply(model.layers, images(batch)));
      const values = await logits.data();
      logits.dispose();
      return argmaxRows(values, classes);
    },
    trainStep: (batch) =>
      tf.tidy(() => {
        const x = images(batch);
        const y = tf.oneHot(tf.tensor1d(batchLabels(batch), 'int32'), classes);
        const cost = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(y, apply(model.layers, x, true)) as import('@tensorflow/tfjs-core').Scalar, true);
        return cost?.dataSync()[0]; // and waits for the step, as the other tools do
      }),
    gradCam: async (batch) => {
      const heatmaps = tf.tidy(() => {
        const activations = apply(featureLayers, images(batch)); // [N, h, w, K]
        const logits = apply(headLayers, activations);
        const targets = tf.oneHot(tf.argMax(logits, 1), classes);
        const gradient = tf.grad((a: Tensor) => tf.sum(tf.mul(apply(headLayers, a), targets)))(activations);
        const alpha = tf.mean(gradient, [1, 2], true); // [N, 1, 1, K]
        const map = tf.relu(tf.sum(tf.mul(alpha, activations), 3, true)); // [N, h, w, 1]
        return tf.image.resizeBilinear(map as import('@tensorflow/tfjs-core').Tensor4D, [height, width], false, true);
      });
      const values = (await heatmaps.data()) as Float32Array;
      heatmaps.dispose();
      return minMaxRows(values, height * width);
    },
    reset,
  };
  if (!trains) delete model_.trainStep;
  if (model_.gradCam !== undefined) {
    try {
      await model_.gradCam({ set: { count: 1, height, width, channels, images: new Uint8Array(channels * height * width), labels: new Uint8Array(1) }, start: 0, count: 1 });
    } catch {
      delete model_.gradCam; // a kernel its gradient needs is missing on this backend
    }
  }
  return model_;
});
