/**
 * Export → import (issue 15): every preset exported by `encodeOnnxModel` and read back by the model loader
 * (recognised as ONNX by its bytes) is the same network — the same spec, its dropout layers kept through the
 * metadata, the same class names and dataset, and the same logits bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ModelInfo } from '../src/model/model-file.js';
import type { Network, NetworkGeometry } from '../src/model/network.js';
import { resolveSpec } from '../src/model/spec.js';
import { decodeAnyModel } from '../src/onnx/any-model.js';
import { encodeOnnxModel } from '../src/onnx/onnx-export.js';
import { seededNetwork } from './fixtures/any-networks.js';
import { randomInput } from './fixtures/onnx-graphs.js';

const backend = new ReferenceBackend();

function logitsOf(network: Network, input: Float32Array, batch: number): Float32Array {
  const buffer = backend.allocFloats(input.length);
  buffer.set(input);
  return Float32Array.from(network.forward(buffer, batch));
}

describe('xcnn exports imported back', () => {
  const info = (geometry: NetworkGeometry): ModelInfo => ({ geometry, dataset: 'fashion', classNames: Array.from({ length: geometry.classes }, (_, k) => `item ${k}`) });

  it.each(['paper', 'lenet5', 'modern'])('the %s preset gives the same logits bit for bit, with its spec (dropout kept) and class names', (preset) => {
    const geometry: NetworkGeometry = { channels: 3, height: 28, width: 28, classes: 5 };
    const network = seededNetwork(backend, resolveSpec(preset, geometry.classes), geometry, 8);
    const loaded = decodeAnyModel(encodeOnnxModel(network, info(geometry)), 'model', backend); // recognised by its bytes
    expect(loaded.network.spec).toBe(network.spec);
    expect(loaded.info.classNames).toEqual(info(geometry).classNames);
    expect(loaded.info.dataset).toBe('fashion');
    const input = randomInput(2 * 3 * 28 * 28, 1);
    expect(Array.from(logitsOf(loaded.network, input, 2))).toEqual(Array.from(logitsOf(network, input, 2)));
  });
});
