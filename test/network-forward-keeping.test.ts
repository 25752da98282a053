/**
 * Network.forwardKeepingFrom: the CAM family's evaluation pass, which keeps a layer's output and every later one's.
 * When logits()'s first block ends at or before that layer, the block runs a few images at a time (or, on the wasm
 * backend, a convolution, its ReLU and a max pool as one pass); the logits, the kept activations and the gradients
 * down to the layer are then forward's bit for bit (on both backends, with batch norm's running statistics, max and
 * average pools, batches that are not a multiple of the chunk), and every read or backward pass that would need the
 * block's own maps refuses, naming what to do. Otherwise the pass is forward.
 */
import { describe, expect, it } from 'vitest';
import type { Backend, Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { NO_PARAMETER_GRADIENTS } from '../src/model/network.js';
import { PRESETS } from '../src/model/spec.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';
import { MNIST, seededNetwork as network } from './seeded-network.js';

const wasm = await createWasmBackend();
// The wasm backend's one-pass block (conv2dReluMaxPoolForward) runs whatever the batch: forward is what a backend
// without it runs on a chunk's images or fewer.
const withoutOnePass: Backend = Object.assign(await createWasmBackend(), { conv2dReluMaxPoolForward: undefined });

function floats(backend: Backend, length: number, seed: number): Floats {
  const values = backend.allocFloats(length);
  const random = new Random(seed);
  for (let k = 0; k < length; k++) values[k] = random.uniform(-1, 1);
  return values;
}

const bits = (values: Floats) => Array.from(new Float32Array(values));

describe('forwardKeepingFrom keeps the layer and what follows it, forward\'s bits', () => {
  const cases = [
    { name: 'the paper net from relu2, 10 images (chunks of 4, 4 and 2)', spec: PRESETS.paper(10), batch: 10, layer: 'relu2', later: ['fc1', 'fc2'] },
    { name: 'the paper net from its pool (the block\'s own output)', spec: PRESETS.paper(10), batch: 9, layer: 'pool1', later: ['conv2', 'relu2'] },
    { name: 'LeNet-5 from relu2, 45 images (20, 20, 5; average pools)', spec: PRESETS.lenet5(10), batch: 45, layer: 'relu2', later: ['pool2', 'fc3'] },
    { name: 'batch norm and an overlapping max pool in the block', spec: 'conv(16,5,pad=2) bn relu maxpool(3,stride=2) conv(8,3) relu flatten linear(10)', batch: 33, layer: 'relu2', later: ['fc1'] },
  ];
  for (const backendName of ['wasm', 'reference'] as const) {
    for (const { name, spec, batch, layer, later } of cases) {
      it(`${name} (${backendName})`, () => {
        const backend = backendName === 'wasm' ? wasm : new ReferenceBackend();
        const [keeping, whole] = [network(backend, spec, MNIST, 3), network(backend, spec, MNIST, 3)];
        // Running statistics that are not the initial ones, so that batch norm's evaluation mode shows.
        keeping.buffers.forEach((_, k) => (keeping.buffers[k] = 0.5 + (k % 7) / 10));
        whole.buffers.set(keeping.buffers);
        const input = floats(backend, batch * 784, batch);
        const dLogits = floats(backend, batch * 10, batch + 1);
        const logits = bits(keeping.forwardKeepingFrom(input, batch, layer));
        expect(logits).toEqual(bits(whole.forward(input, batch)));
        for (const kept of [layer, ...later]) expect(bits(keeping.activations(kept)), kept).toEqual(bits(whole.activations(kept)));
        expect(bits(keeping.backwardTo(layer, dLogits, NO_PARAMETER_GRADIENTS))).toEqual(bits(whole.backwardTo(layer, dLogits, NO_PARAMETER_GRADIENTS)));
        // The block ran in chunks: the layers before its pool are not kept.
        expect(errorOf(() => keeping.activations('conv1'), 'ERR_BAD_ARGUMENT').message).toContain('the last pass was Network.forwardKeepingFrom');
      });
    }
  }
});

describe('after forwardKeepingFrom ran the first block without its maps', () => {
  it('reads of the block\'s maps, backward and backwardToInput refuse in one line; a forward pass makes them work again', () => {
    const net = network(wasm, PRESETS.paper(10));
    const input = floats(wasm, 9 * 784, 5);
    const dLogits = floats(wasm, 9 * 10, 6);
    // 2 images, fewer than a chunk: on the wasm backend the block is one pass at any batch, and keeps no map either
    net.forwardKeepingFrom(input.subarray(0, 2 * 784), 2, 'relu2');
    expect(errorOf(() => net.activations('conv1'), 'ERR_BAD_ARGUMENT').message).toContain("kept of the first block only its pooled output ('pool1')");
    net.forwardKeepingFrom(input, 9, 'relu2');
    const message = (method: string) => `${method}: the last pass was Network.forwardKeepingFrom, which kept of the first block only its pooled output ('pool1'), not its maps; run forward first`;
    expect(errorOf(() => net.activations('conv1'), 'ERR_BAD_ARGUMENT').message).toBe(message('activations'));
    expect(errorOf(() => net.activations('relu1')).message).toBe(message('activations'));
    expect(errorOf(() => net.backwardTo('relu1', dLogits)).message).toBe(message('backwardTo'));
    expect(errorOf(() => net.backwardToInput(dLogits)).message).toBe(message('backwardToInput'));
    // backward goes through the block, whose layers hold only their last chunk's state: refused, whatever it defers.
    expect(errorOf(() => net.backward(dLogits)).message).toBe(message('backward'));
    expect(net.activations('pool1').length).toBe(9 * 32 * 13 * 13);
    net.forward(input, 9);
    expect(net.activations('relu1').length).toBe(9 * 32 * 26 * 26);
    expect(() => net.backwardToInput(dLogits)).not.toThrow();
    expect(() => net.backward(dLogits)).not.toThrow();
  });
});

describe('when forwardKeepingFrom is forward', () => {
  // Each: what a full forward pass keeps, so the earliest layer can be read and the input gradient made.
  const cases = [
    { name: 'a layer inside the block', spec: PRESETS.paper(10), batch: 9, layer: 'relu1' },
    { name: 'the first layer', spec: PRESETS.paper(10), batch: 9, layer: 'conv1' },
    { name: 'a batch no larger than a chunk, on a backend without the one-pass block', spec: PRESETS.paper(10), batch: 4, layer: 'relu2', withoutOnePass: true },
    { name: 'a network with no block to chunk (the modern preset)', spec: PRESETS.modern(10), batch: 6, layer: 'relu4' },
  ];
  for (const { name, spec, batch, layer, withoutOnePass: without } of cases) {
    it(name, () => {
      const backend = without === true ? withoutOnePass : wasm;
      const [net, twin] = [network(backend, spec), network(backend, spec)];
      const input = floats(backend, batch * 784, 7);
      const dLogits = floats(backend, batch * 10, 8);
      expect(bits(net.forwardKeepingFrom(input, batch, layer))).toEqual(bits(twin.forward(input, batch)));
      expect(bits(net.activations('conv1'))).toEqual(bits(twin.activations('conv1')));
      expect(bits(net.backwardToInput(dLogits, 'ordinary', NO_PARAMETER_GRADIENTS))).toEqual(bits(twin.backwardToInput(dLogits, 'ordinary', NO_PARAMETER_GRADIENTS)));
    });
  }
});

describe('forwardKeepingFrom refuses', () => {
  it('a layer the network does not have, and an input that is not the batch\'s, before running anything', () => {
    const net = network(wasm, PRESETS.paper(10));
    const input = floats(wasm, 9 * 784, 5);
    expect(errorOf(() => net.forwardKeepingFrom(input, 9, 'conv9'), 'ERR_BAD_ARGUMENT').message).toBe("forwardKeepingFrom: the network has no layer 'conv9'");
    expect(errorOf(() => net.forwardKeepingFrom(input, 8, 'relu2'), 'ERR_BAD_ARGUMENT').message).toBe('forwardKeepingFrom: input must hold batch × 1×28×28 = 6272 values for batch 8, got 7056');
    // Nothing ran: the network is as it was, and still refuses reads before any pass.
    expect(errorOf(() => net.activations('relu2')).message).toBe("no forward pass has reached layer 'relu2' yet");
  });
});
