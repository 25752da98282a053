/**
 * Network.trainingForward: a training step's forward pass, with the first convolution block (a convolution, its
 * ReLU or none, a max pool, as the first layers) run a few images at a time forward and backward
 * (src/model/first-block.ts). What it chunks; that its logits, and the parameter gradients and batch-norm
 * statistics of the backward pass after it, are forward's and backward's bit for bit — batches that are not a
 * multiple of the chunk, no ReLU, an overlapping pool, colour images, each of the convolution's gradient paths,
 * layers in training mode after the block, gradients that already hold something; and what it refuses.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Backend, Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { EVALUATION, trainingPass } from '../src/model/layer.js';
import { Conv2d } from '../src/model/conv2d.js';
import { Dense } from '../src/model/dense.js';
import { Flatten } from '../src/model/flatten.js';
import { Network } from '../src/model/network.js';
import { MaxPool2d } from '../src/model/pool2d.js';
import { ReLU } from '../src/model/relu.js';
import { PRESETS } from '../src/model/spec.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { SerialStep } from '../src/train/step.js';
import { errorOf } from './errors.js';
import { MNIST, seededNetwork } from './seeded-network.js';

const wasm = await createWasmBackend();
const network = seededNetwork;

function floats(backend: Backend, count: number, seed: number, scale = 1): Floats {
  const array = backend.allocFloats(count);
  const random = new Random(seed);
  for (let k = 0; k < array.length; k++) array[k] = scale * random.uniform(-1, 1);
  return array;
}

/** The bits of an array: +0 and −0 differ, every float compared exactly. */
function bits(array: Floats): number[] {
  return Array.from(new Uint32Array(array.buffer, array.byteOffset, array.length));
}

describe('what Network.trainingForward runs a chunk of images at a time', () => {
  it('a first convolution, its ReLU and a max pool, as many images as 384 KB of the convolution\'s map hold', () => {
    // The paper net: conv1's 32×26×26 map is 86,528 bytes an image, so 4 images.
    expect(network(wasm, PRESETS.paper(10)).trainingChunks).toEqual({ layers: 3, images: 4 });
    expect(network(wasm, 'conv(4,3) maxpool(2) flatten linear(10)').trainingChunks).toEqual({ layers: 2, images: Math.floor((384 * 1024) / (4 * 4 * 26 * 26)) });
    expect(network(wasm, 'conv(8,3,stride=2) relu maxpool(3,stride=2) flatten linear(10)').trainingChunks).toEqual({ layers: 3, images: Math.floor((384 * 1024) / (4 * 8 * 13 * 13)) });
    // A map larger than the chunk's bytes still makes chunks of one image.
    expect(network(wasm, 'conv(32,3,pad=1) relu maxpool(2) flatten linear(10)', { channels: 3, height: 64, width: 64, classes: 10 }).trainingChunks).toEqual({ layers: 3, images: 1 });
  });

  it('nothing for layers assembled by hand that are not that block: a fused ReLU with no ReLU layer after it (whose backward would not mask), or a ReLU that computes its own; nor on a backend that cannot fuse the ReLU', () => {
    const conv = (fuseRelu: boolean) => new Conv2d(wasm, 'conv1', [1, 28, 28], 4, 3, { fuseRelu });
    const head = () => [new Flatten('flatten', [4, 13, 13]), new Dense(wasm, 'fc', 4 * 13 * 13, 10)];
    const pool = () => new MaxPool2d(wasm, 'pool1', [4, 26, 26]);
    expect(new Network(wasm, [conv(true), pool(), ...head()]).trainingChunks).toBeNull();
    expect(new Network(wasm, [conv(true), new ReLU(wasm, 'relu1', [4, 26, 26]), pool(), ...head()]).trainingChunks).toBeNull();
    expect(new Network(wasm, [conv(true), new ReLU(wasm, 'relu1', [4, 26, 26], { inputRectified: true }), pool(), ...head()]).trainingChunks).toEqual({ layers: 3, images: Math.floor((384 * 1024) / (4 * 4 * 26 * 26)) });
    expect(new Network(wasm, [conv(false), pool(), ...head()]).trainingChunks).toEqual({ layers: 2, images: Math.floor((384 * 1024) / (4 * 4 * 26 * 26)) });
    // The same layers on a backend with the gradient accumulator but not the fused convolution and ReLU.
    const unfused = Object.create(wasm, { conv2dReluForward: { value: undefined } }) as Backend;
    expect(new Network(unfused, [conv(true), new ReLU(wasm, 'relu1', [4, 26, 26], { inputRectified: true }), pool(), ...head()]).trainingChunks).toBeNull();
  });

  it('nothing when the first layers are not that block, or the backend cannot split the convolution\'s gradient', () => {
    expect(network(wasm, PRESETS.lenet5(10)).trainingChunks).toBeNull(); // an average pool
    expect(network(wasm, PRESETS.modern(10)).trainingChunks).toBeNull(); // batch norm, no pool
    expect(network(wasm, 'conv(8,3) bn relu maxpool(2) flatten linear(10)').trainingChunks).toBeNull();
    expect(network(wasm, 'conv(8,3) relu conv(8,3) relu maxpool(2) flatten linear(10)').trainingChunks).toBeNull();
    expect(network(wasm, 'flatten linear(10)').trainingChunks).toBeNull();
    // Grouped strided GEMMs (a 6×6 output: 14 images a GEMM) sum across images in another order.
    expect(network(wasm, 'conv(8,3,stride=2,pad=1) relu maxpool(2) flatten linear(10)', { channels: 1, height: 12, width: 12, classes: 10 }).trainingChunks).toBeNull();
    // The reference backend has no ConvGradientChunks: its pass runs whole.
    expect(network(new ReferenceBackend(), PRESETS.paper(10)).trainingChunks).toBeNull();
  });
});

describe('Network.trainingForward and backward give forward\'s and backward\'s numbers bit for bit', () => {
  const COLOUR = { channels: 3, height: 20, width: 20, classes: 7 };
  const cases = [
    { name: 'the paper net, 10 images (chunks of 4, 4 and 2)', spec: PRESETS.paper(10), geometry: MNIST, batch: 10 },
    { name: 'one image', spec: PRESETS.paper(10), geometry: MNIST, batch: 1 },
    { name: 'no ReLU in the block, 23 images', spec: 'conv(4,3) maxpool(2) conv(8,3) relu flatten linear(10)', geometry: MNIST, batch: 23 },
    { name: 'an overlapping pool after a strided convolution', spec: 'conv(8,3,stride=2) relu maxpool(3,stride=2) flatten linear(10)', geometry: MNIST, batch: 37 },
    { name: 'colour images, padding, the direct weight-gradient kernel', spec: 'conv(8,3,pad=1) relu maxpool(2) flatten linear(7)', geometry: COLOUR, batch: 9 },
    { name: 'a 7×7 kernel (its gradient a GEMM into dW)', spec: 'conv(8,7) relu maxpool(2) flatten linear(7)', geometry: COLOUR, batch: 5 },
    { name: 'batch norm and dropout in training mode after the block', spec: 'conv(16,3) relu maxpool(2) bn conv(8,3) relu flatten dropout(0.5) linear(10)', geometry: MNIST, batch: 11 },
  ];
  for (const { name, spec, geometry, batch } of cases) {
    it(name, () => {
      const [chunking, whole] = [network(wasm, spec, geometry, 3), network(wasm, spec, geometry, 3)];
      expect(chunking.trainingChunks).not.toBeNull();
      const pixels = geometry.channels * geometry.height * geometry.width;
      const input = floats(wasm, batch * pixels, batch);
      const dLogits = floats(wasm, batch * geometry.classes, 2 * batch);
      // Gradients that already hold something: the block adds to them, as backward does.
      const start = floats(wasm, chunking.grads.length, 5, 1e-3);
      for (let pass = 1; pass <= 2; pass++) {
        const mode = trainingPass(7, pass);
        chunking.grads.set(start);
        whole.grads.set(start);
        expect(bits(chunking.trainingForward(input, batch, mode))).toEqual(bits(whole.forward(input, batch, mode)));
        chunking.backward(dLogits);
        whole.backward(dLogits);
        expect(bits(chunking.grads)).toEqual(bits(whole.grads));
        expect(bits(chunking.buffers)).toEqual(bits(whole.buffers)); // batch norm's running statistics
      }
    });
  }

  it('SerialStep trains by it: the same parameters after a few steps as a step by forward', () => {
    const [chunking, whole] = [network(wasm, PRESETS.paper(10)), network(wasm, PRESETS.paper(10))];
    const step = new SerialStep(chunking, new Adam(chunking));
    const plain = new SerialStep(whole, new Adam(whole));
    const watched = vi.spyOn(chunking, 'trainingForward');
    vi.spyOn(whole, 'trainingForward').mockImplementation((input, batch, mode) => whole.forward(input, batch, mode));
    const labels = wasm.allocInts(6);
    labels.set([3, 1, 4, 1, 5, 9]);
    for (let k = 0; k < 3; k++) {
      const batch = { size: 6, input: floats(wasm, 6 * 784, 20 + k), labels };
      expect(step.run(batch)).toEqual(plain.run(batch));
    }
    expect(watched).toHaveBeenCalledTimes(3);
    expect(bits(chunking.params)).toEqual(bits(whole.params));
  });
});

describe('after Network.trainingForward', () => {
  it('the block\'s maps before its pool are not kept: their activations and gradients refuse until the next forward', () => {
    const net = network(wasm, PRESETS.paper(10));
    const twin = network(wasm, PRESETS.paper(10));
    const input = floats(wasm, 9 * 784, 4);
    const dLogits = floats(wasm, 9 * 10, 6);
    const mode = trainingPass(1, 1);
    net.trainingForward(input, 9, mode);
    twin.forward(input, 9, mode);
    const message = (method: string) => `${method}: the last pass was Network.trainingForward, which kept of the first block only its pooled output ('pool1'), not its maps; run forward first`;
    expect(errorOf(() => net.activations('conv1'), 'ERR_BAD_ARGUMENT').message).toBe(message('activations'));
    expect(errorOf(() => net.activations('relu1')).message).toBe(message('activations'));
    expect(errorOf(() => net.backwardTo('relu1', dLogits)).message).toBe(message('backwardTo'));
    expect(errorOf(() => net.backwardToInput(dLogits)).message).toBe(message('backwardToInput'));
    // The pool's output and everything after it are kept.
    expect(bits(net.activations('pool1'))).toEqual(bits(twin.activations('pool1')));
    expect(bits(net.activations('fc1'))).toEqual(bits(twin.activations('fc1')));
    expect(bits(net.backwardTo('pool1', dLogits, { parameterGradients: false }))).toEqual(bits(twin.backwardTo('pool1', dLogits, { parameterGradients: false })));
    net.forward(input, 9);
    expect(net.activations('relu1').length).toBe(9 * 32 * 26 * 26);
    expect(() => net.backwardToInput(dLogits)).not.toThrow();
  });

  it('without a ReLU, the block is the convolution and its pool: the convolution\'s output is not kept', () => {
    const net = network(wasm, 'conv(4,3) maxpool(2) flatten linear(10)');
    const input = floats(wasm, 5 * 784, 4);
    net.trainingForward(input, 5, trainingPass(1, 1));
    const message = (method: string) => `${method}: the last pass was Network.trainingForward, which kept of the first block only its pooled output ('pool1'), not its maps; run forward first`;
    expect(errorOf(() => net.activations('conv1')).message).toBe(message('activations'));
    expect(errorOf(() => net.backwardToInput(floats(wasm, 50, 1))).message).toBe(message('backwardToInput'));
    expect(net.activations('pool1').length).toBe(5 * 4 * 13 * 13);
  });

  it('decides its block once: passes after the first allocate nothing more', () => {
    const backend = wasm;
    const net = network(backend, PRESETS.paper(10));
    const input = floats(backend, 6 * 784, 4);
    const dLogits = floats(backend, 60, 2);
    net.trainingForward(input, 6, trainingPass(1, 1));
    net.backward(dLogits);
    const used = backend.memoryStats().usedBytes;
    for (let pass = 2; pass <= 3; pass++) {
      expect(net.trainingChunks).toEqual({ layers: 3, images: 4 });
      net.trainingForward(input, 6, trainingPass(1, pass));
      net.backward(dLogits);
    }
    expect(backend.memoryStats().usedBytes).toBe(used);
  });

  it('on a network without a block it is forward, and keeps everything', () => {
    const net = network(wasm, PRESETS.lenet5(10));
    const input = floats(wasm, 3 * 784, 4);
    net.trainingForward(input, 3, trainingPass(1, 1));
    expect(net.activations('relu1').length).toBe(3 * 6 * 28 * 28);
    expect(() => net.backwardToInput(floats(wasm, 30, 1))).not.toThrow();
  });

  it('refuses an evaluation pass and an input that is not the batch\'s, before running anything', () => {
    const net = network(wasm, PRESETS.paper(10));
    const input = floats(wasm, 5 * 784, 4);
    expect(errorOf(() => net.trainingForward(input, 5, EVALUATION), 'ERR_BAD_ARGUMENT').message).toBe(
      'trainingForward: mode must be a training pass (trainingPass(seed, step)); an evaluation pass is forward or logits',
    );
    expect(errorOf(() => net.trainingForward(input, 5, undefined as never)).message).toContain('trainingForward: mode must be a training pass');
    expect(errorOf(() => net.trainingForward(input, 4, trainingPass(1, 1)), 'ERR_BAD_ARGUMENT').message).toBe('trainingForward: input must hold batch × 1×28×28 = 3136 values for batch 4, got 3920');
    expect(errorOf(() => net.trainingForward(input, 0, trainingPass(1, 1))).message).toBe('trainingForward: input must hold batch × 1×28×28 = a positive whole number of values for batch 0, got 3920');
  });

  it('dispose gives back the block\'s buffers and its gradient accumulator with the rest', () => {
    const input = floats(wasm, 6 * 784, 6);
    const before = wasm.memoryStats().usedBytes;
    const net = network(wasm, PRESETS.paper(10));
    net.trainingForward(input, 6, trainingPass(1, 1));
    net.backward(floats(wasm, 60, 2));
    net.dispose();
    // The two test arrays allocated after `before` stay; everything of the network's is back.
    expect(wasm.memoryStats().usedBytes).toBeLessThanOrEqual(before + 60 * 4 + 64);
  });
});
