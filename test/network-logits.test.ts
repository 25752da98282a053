/**
 * Network.logits: the logits of an evaluation-mode pass with the first convolution block run a few images at a
 * time. What it chunks (the layers up to the first pool when one convolution precedes it; images by the block's
 * largest map), that its logits are forward's bit for bit on both backends — for batches that are not a multiple of
 * the chunk, batch norm in the block, max and average pools — and that a backward pass or activations() after it
 * refuse, as it keeps the block's state for its last chunk only.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Backend, Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { Conv2d } from '../src/model/conv2d.js';
import { Dense } from '../src/model/dense.js';
import { Flatten } from '../src/model/flatten.js';
import { Network } from '../src/model/network.js';
import { MaxPool2d } from '../src/model/pool2d.js';
import { ReLU } from '../src/model/relu.js';
import { PRESETS } from '../src/model/spec.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';
import { MNIST, seededNetwork } from './seeded-network.js';

const wasm = await createWasmBackend();
const network = seededNetwork;

function images(backend: Backend, count: number, pixels: number, seed: number): Floats {
  const input = backend.allocFloats(count * pixels);
  const random = new Random(seed);
  for (let k = 0; k < input.length; k++) input[k] = random.next();
  return input;
}

describe('what Network.logits runs a chunk of images at a time', () => {
  it('the first block up to its pool, as many images as 384 KB of its largest map hold', () => {
    // The paper net: conv1's 32×26×26 map is 86,528 bytes an image, so 4 images; LeNet-5: conv1's 6×28×28, 18,816 bytes, 20.
    expect(network(wasm, PRESETS.paper(10)).logitsChunks).toEqual({ layers: 3, images: 4 });
    expect(network(wasm, PRESETS.lenet5(10)).logitsChunks).toEqual({ layers: 3, images: 20 });
    expect(network(wasm, 'conv(8,3) bn relu avgpool(2) flatten linear(10)').logitsChunks).toEqual({ layers: 4, images: Math.floor((384 * 1024) / (4 * 8 * 26 * 26)) });
    // A convolution straight into its pool; the block's maps, not a larger one later, set the chunk.
    expect(network(wasm, 'conv(4,3) maxpool(2) flatten linear(10)').logitsChunks).toEqual({ layers: 2, images: Math.floor((384 * 1024) / (4 * 4 * 26 * 26)) });
    expect(network(wasm, 'conv(2,3) relu maxpool(2) conv(64,3,pad=1) relu flatten linear(10)').logitsChunks).toEqual({ layers: 3, images: Math.floor((384 * 1024) / (4 * 2 * 26 * 26)) });
  });

  it('runs the block in chunks only past a chunk\'s images, gathering the pooled rows in a buffer of its own', async () => {
    const usedAfter = async (pass: 'forward' | 'logits', batch: number) => {
      // a backend without the one-pass block (conv2dReluMaxPoolForward), as the reference backend is: the chunks run
      const backend: Backend = Object.assign(await createWasmBackend(), { conv2dReluMaxPoolForward: undefined });
      const net = network(backend, PRESETS.paper(10));
      const input = images(backend, batch, 784, 7);
      const before = backend.memoryStats().usedBytes;
      net[pass](input, batch);
      return backend.memoryStats().usedBytes - before;
    };
    // 40 images: every batch buffer grows to 64 images either way (the arena's batch capacity), and the chunked
    // pass adds the gathered rows: 64 × 32·13·13 floats, in a block of the arena's size class for them (at most ⅛ more).
    const gathered = (await usedAfter('logits', 40)) - (await usedAfter('forward', 40));
    expect(gathered).toBeGreaterThanOrEqual(64 * 5408 * 4);
    expect(gathered).toBeLessThanOrEqual(64 * 5408 * 4 * 1.125 + 16);
    // 4 images, a chunk's: one forward pass, the same buffers and nothing gathered.
    expect(await usedAfter('logits', 4)).toBe(await usedAfter('forward', 4));
  });

  it('on the wasm backend conv1, its ReLU and the pool run as one pass: the block\'s map is never allocated', async () => {
    const usedAfter = async (pass: 'forward' | 'logits', batch = 40) => {
      const backend = await createWasmBackend();
      const net = network(backend, PRESETS.paper(10));
      const input = images(backend, batch, 784, 7);
      const before = backend.memoryStats().usedBytes;
      net[pass](input, batch);
      return backend.memoryStats().usedBytes - before;
    };
    // forward holds conv1's map (64 images' room: 64 × 32·26·26 floats), pool1's output and argmax (64 × 32·13·13 each);
    // the one pass only the gathered rows (64 × 32·13·13), each in a block of the arena's size class (at most ⅛ more).
    const [map, rows] = [64 * 21632 * 4, 64 * 5408 * 4];
    const saved = (await usedAfter('forward')) - (await usedAfter('logits'));
    // and so at 2 images, fewer than a chunk, the buffers then grown for 2: the one pass whatever the batch
    const savedAt2 = (await usedAfter('forward', 2)) - (await usedAfter('logits', 2));
    expect(savedAt2).toBeGreaterThanOrEqual(2 * (21632 + 5408) * 4);
    expect(savedAt2).toBeLessThanOrEqual(2 * (21632 + 2 * 5408) * 4 * 1.125 + 16);
    expect(saved).toBeGreaterThanOrEqual(map + 2 * rows - rows * 1.125 - 16);
    expect(saved).toBeLessThanOrEqual((map + 2 * rows) * 1.125 - rows + 16);
  });

  it('a hand-built block whose ReLU is its own pass (not fused into the convolution) runs as one pass too, forward\'s logits bit for bit', () => {
    const build = () => {
      const net = new Network(wasm, [
        new Conv2d(wasm, 'conv1', [1, 28, 28], 4, 3),
        new ReLU(wasm, 'relu1', [4, 26, 26]),
        new MaxPool2d(wasm, 'pool1', [4, 26, 26]),
        new Flatten('flatten', [4, 13, 13]),
        new Dense(wasm, 'fc', 4 * 13 * 13, 10),
      ]);
      net.initialize(new Random(4));
      return net;
    };
    const [onePass, whole] = [build(), build()];
    const input = images(wasm, 9, 784, 8);
    const calls = vi.spyOn(wasm, 'conv2dReluMaxPoolForward');
    const logits = Array.from(onePass.logits(input, 9));
    expect(calls).toHaveBeenCalledTimes(1);
    calls.mockRestore();
    expect(logits).toEqual(Array.from(whole.forward(input, 9)));
  });

  it('nothing without a pool, or with a second convolution before the first pool (small chunks would starve its GEMMs)', () => {
    expect(network(wasm, PRESETS.modern(10)).logitsChunks).toBeNull();
    expect(network(wasm, 'conv(8,3) relu conv(8,3) relu maxpool(2) flatten linear(10)').logitsChunks).toBeNull();
    expect(network(wasm, 'flatten linear(10)').logitsChunks).toBeNull();
  });
});

describe('Network.logits gives forward\'s logits bit for bit', () => {
  const cases = [
    { name: 'the paper net, 10 images (chunks of 4, 4 and 2)', spec: PRESETS.paper(10), batch: 10 },
    { name: 'LeNet-5, 45 images (20, 20, 5)', spec: PRESETS.lenet5(10), batch: 45 },
    { name: 'batch norm and an overlapping max pool in the block', spec: 'conv(16,5,pad=2) bn relu maxpool(3,stride=2) conv(8,3) relu flatten linear(10)', batch: 33 },
    { name: 'batch norm between the convolution and a 2×2 max pool (no one-pass block: not a ReLU)', spec: 'conv(8,3) bn maxpool(2) flatten linear(10)', batch: 11 },
    { name: 'a batch smaller than a chunk, its block one pass on wasm', spec: PRESETS.paper(10), batch: 2 },
    { name: 'a batch no larger than a chunk (one forward pass)', spec: PRESETS.paper(10), batch: 3 },
    { name: 'the modern preset, which has no block to chunk (one forward pass)', spec: PRESETS.modern(10), batch: 6 },
  ];
  for (const backendName of ['wasm', 'reference'] as const) {
    for (const { name, spec, batch } of cases) {
      it(`${name} (${backendName})`, () => {
        const backend = backendName === 'wasm' ? wasm : new ReferenceBackend();
        const [chunking, whole] = [network(backend, spec, MNIST, 3), network(backend, spec, MNIST, 3)];
        // Running statistics that are not the initial ones, so that batch norm's evaluation mode shows.
        chunking.buffers.forEach((_, k) => (chunking.buffers[k] = 0.5 + (k % 7) / 10));
        whole.buffers.set(chunking.buffers);
        const input = images(backend, batch, 784, batch);
        const expected = Array.from(whole.forward(input, batch));
        expect(Array.from(chunking.logits(input, batch))).toEqual(expected);
        // Again after a larger batch grew the block's buffers, and after a forward pass of other images.
        chunking.logits(images(backend, batch + 7, 784, 99), batch + 7);
        chunking.forward(images(backend, 2, 784, 98), 2);
        expect(Array.from(chunking.logits(input, batch))).toEqual(expected);
      });
    }
  }
});

describe('after Network.logits', () => {
  it('on a block that runs in chunks (LeNet-5\'s average pool), a batch no larger than a chunk — one forward pass — refuses the same', () => {
    const net = network(wasm, PRESETS.lenet5(10));
    const input = images(wasm, 3, 784, 5);
    net.logits(input, 3);
    expect(errorOf(() => net.activations('relu2'), 'ERR_BAD_ARGUMENT').message).toBe("activations: the last pass was Network.logits, which keeps nothing for a backward pass or activations(); run forward first");
    expect(errorOf(() => net.backward(images(wasm, 3, 10, 6))).message).toBe('backward: the last pass was Network.logits, which keeps nothing for a backward pass or activations(); run forward first');
  });

  it('a backward pass and activations() refuse, naming what to do; a forward pass makes them work again', () => {
    const net = network(wasm, PRESETS.paper(10));
    const input = images(wasm, 9, 784, 5);
    const dLogits = wasm.allocFloats(9 * 10).fill(0.1);
    for (const batch of [9, 2]) {
      net.logits(input.subarray(0, batch * 784), batch);
      const message = (method: string) => `${method}: the last pass was Network.logits, which keeps nothing for a backward pass or activations(); run forward first`;
      expect(errorOf(() => net.backward(dLogits.subarray(0, batch * 10)), 'ERR_BAD_ARGUMENT').message).toBe(message('backward'));
      expect(errorOf(() => net.backwardTo('relu2', dLogits.subarray(0, batch * 10))).message).toBe(message('backwardTo'));
      expect(errorOf(() => net.backwardToInput(dLogits.subarray(0, batch * 10))).message).toBe(message('backwardToInput'));
      expect(errorOf(() => net.activations('relu1')).message).toBe(message('activations'));
    }
    net.forward(input, 9);
    expect(net.activations('relu1').length).toBe(9 * 32 * 26 * 26);
    expect(() => net.backwardToInput(dLogits)).not.toThrow();
  });

  it('refuses an input whose length is not the batch\'s, before running anything', () => {
    const net = network(wasm, PRESETS.paper(10));
    const input = images(wasm, 9, 784, 5);
    expect(errorOf(() => net.logits(input, 8), 'ERR_BAD_ARGUMENT').message).toBe('logits: input must hold batch × 1×28×28 = 6272 values for batch 8, got 7056');
    expect(errorOf(() => net.logits(input.subarray(0, 784 * 5), 6)).message).toBe('logits: input must hold batch × 1×28×28 = 4704 values for batch 6, got 3920');
    expect(errorOf(() => net.logits(input, 0)).message).toBe('logits: input must hold batch × 1×28×28 = a positive whole number of values for batch 0, got 7056');
    expect(errorOf(() => net.logits(input, 2.5)).message).toContain('for batch 2.5');
    // Where the length would fit: no images for batch 0, half an image's values for batch ½; and no array at all.
    expect(errorOf(() => net.logits(input.subarray(0, 0), 0)).message).toBe('logits: input must hold batch × 1×28×28 = a positive whole number of values for batch 0, got 0');
    expect(errorOf(() => net.logits(input.subarray(0, 392), 0.5)).message).toBe('logits: input must hold batch × 1×28×28 = a positive whole number of values for batch 0.5, got 392');
    expect(errorOf(() => net.logits(null as unknown as Floats, 1)).message).toBe('logits: input must hold batch × 1×28×28 = 784 values for batch 1, got null');
    expect(net.logits(input.subarray(0, 784), 1).length).toBe(10);
  });

  it('dispose gives back the block\'s gathering buffer with the rest', () => {
    const input = images(wasm, 12, 784, 6);
    const before = wasm.memoryStats().usedBytes;
    const net = network(wasm, PRESETS.paper(10));
    net.logits(input, 12);
    expect(wasm.memoryStats().usedBytes).toBeGreaterThan(before);
    net.dispose();
    expect(wasm.memoryStats().usedBytes).toBe(before);
  });
});
