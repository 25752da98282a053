/**
 * Fine-tuning's start (src/train/initial-weights.ts, `xcnn train --init MODEL [--reset-head]`), in-process on
 * networks of a few weights: the spec with another head, the head's parameter names, and the copy by name. The
 * expected values are written out by hand: the specs' text, the layer names the spec's ordinals give (fc1, fc2,
 * bn1), and each weight set to a value that tells where it came from.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createNetwork, type Network } from '../src/model/network.js';
import type { NetworkGeometry } from '../src/model/spec.js';
import { copyInitialWeights, headParameterNames, specWithHead } from '../src/train/initial-weights.js';
import { errorOf } from './errors.js';

const backend = new ReferenceBackend();
const GEOMETRY: NetworkGeometry = { channels: 1, height: 2, width: 2, classes: 3 };

/** A network whose every parameter and buffer element is `base + its index in the whole network's list`. */
function numbered(spec: string, base: number, geometry: NetworkGeometry = GEOMETRY): Network {
  const network = createNetwork(backend, spec, geometry);
  let k = 0;
  for (const t of [...network.parameters, ...network.bufferViews]) for (let i = 0; i < t.value.length; i++) t.value[i] = base + k++;
  return network;
}

const valuesOf = (network: Network) => Object.fromEntries([...network.parameters, ...network.bufferViews].map((t) => [t.name, Array.from(t.value)]));

describe('specWithHead', () => {
  it('changes the class count of the last linear layer only, whatever the digits and the space before them', () => {
    expect(specWithHead('conv(8,3) relu flatten linear(64) relu linear(10)', 3)).toBe('conv(8,3) relu flatten linear(64) relu linear(3)');
    expect(specWithHead('flatten linear(10)', 125)).toBe('flatten linear(125)');
    expect(specWithHead('flatten linear(  7)', 2)).toBe('flatten linear(2)');
    expect(specWithHead('flatten linear(\t12) relu', 4)).toBe('flatten linear(4) relu');
    expect(specWithHead('linear(10)', 6)).toBe('linear(6)'); // the linear layer first in the text
  });

  it('leaves a spec without a linear layer as it is (a preset name, say)', () => {
    expect(specWithHead('paper', 3)).toBe('paper');
    expect(specWithHead('conv(8,3) gap', 3)).toBe('conv(8,3) gap');
  });
});

describe('headParameterNames', () => {
  it("gives the last layer with parameters' weight and bias, not an earlier layer's, nor a buffer", () => {
    expect(headParameterNames(createNetwork(backend, 'flatten linear(3)', GEOMETRY))).toEqual(['fc1.weight', 'fc1.bias']);
    expect(headParameterNames(createNetwork(backend, 'flatten linear(4) relu linear(3)', GEOMETRY))).toEqual(['fc2.weight', 'fc2.bias']);
    // bn1 has parameters and buffers, and comes after the linear layer: it is the last layer with parameters.
    expect(headParameterNames(createNetwork(backend, 'flatten linear(3) bn', GEOMETRY))).toEqual(['bn1.weight', 'bn1.bias']);
  });

  it('gives no names for a network without parameters', () => {
    expect(headParameterNames(createNetwork(backend, 'flatten', { ...GEOMETRY, classes: 4 }))).toEqual([]);
  });
});

describe('copyInitialWeights', () => {
  it('copies every parameter and buffer by name from a network of the same spec', () => {
    const from = numbered('conv(2,1) bn relu flatten linear(3)', 100);
    const to = numbered('conv(2,1) bn relu flatten linear(3)', 0);
    copyInitialWeights(from, to, 'm.safetensors', false);
    expect(valuesOf(to)).toEqual(valuesOf(from));
    expect(valuesOf(to)['bn1.running_var']).toEqual([137, 138]); // the buffers too: after the 35 parameters (conv 2 + 2, bn 2 + 2, fc 24 + 3) and running_mean's 2
  });

  it('with resetHead keeps the new network\'s own head, of another class count, and copies the rest', () => {
    const from = numbered('conv(2,1) relu flatten linear(3)', 100);
    const to = numbered('conv(2,1) relu flatten linear(5)', 0, { ...GEOMETRY, classes: 5 });
    const before = valuesOf(to);
    copyInitialWeights(from, to, 'm.safetensors', true);
    const after = valuesOf(to);
    expect(after['conv1.weight']).toEqual([100, 101]);
    expect(after['conv1.bias']).toEqual([102, 103]);
    expect(after['fc1.weight']).toEqual(before['fc1.weight']);
    expect(after['fc1.bias']).toEqual(before['fc1.bias']);
  });

  it('with resetHead leaves the head alone even when the model\'s head would fit', () => {
    const from = numbered('flatten linear(3)', 100);
    const to = numbered('flatten linear(3)', 0);
    copyInitialWeights(from, to, 'm.safetensors', true);
    expect(valuesOf(to)['fc1.bias']).toEqual([12, 13, 14]);
  });

  it('refuses a head of another class count without resetHead, suggesting --reset-head (ERR_BAD_ARGUMENT)', () => {
    const from = numbered('conv(2,1) relu flatten linear(3)', 100);
    const to = numbered('conv(2,1) relu flatten linear(5)', 0, { ...GEOMETRY, classes: 5 });
    const error = errorOf(() => copyInitialWeights(from, to, 'old.safetensors', false), 'ERR_BAD_ARGUMENT');
    expect(error.message).toBe("--init old.safetensors: its tensor fc1.weight is [3, 8], this run's network needs [5, 8]; give --reset-head for another class count");
    expect(error.exitCode).toBe(2);
  });

  it('refuses a body of another shape, or a tensor the model lacks, suggesting the same --arch and input size', () => {
    const wider = numbered('conv(3,1) relu flatten linear(3)', 100);
    const to = () => numbered('conv(2,1) relu flatten linear(3)', 0);
    expect(errorOf(() => copyInitialWeights(wider, to(), 'wide.safetensors', false)).message).toBe(
      "--init wide.safetensors: its tensor conv1.weight is [3, 1, 1, 1], this run's network needs [2, 1, 1, 1]; give --init a model of the same --arch and input size",
    );
    // With resetHead the body's mismatch gets the same hint (the head is skipped, so no --reset-head advice).
    expect(errorOf(() => copyInitialWeights(wider, to(), 'wide.safetensors', true)).message).toBe(
      "--init wide.safetensors: its tensor conv1.weight is [3, 1, 1, 1], this run's network needs [2, 1, 1, 1]; give --init a model of the same --arch and input size",
    );
    const withoutBn = numbered('conv(2,1) relu flatten linear(3)', 100);
    expect(errorOf(() => copyInitialWeights(withoutBn, numbered('conv(2,1) bn relu flatten linear(3)', 0), 'plain.safetensors', true)).message).toBe(
      "--init plain.safetensors: its tensor bn1.weight is missing, this run's network needs [2]; give --init a model of the same --arch and input size",
    );
  });

  it('names the head hint only for the head: a missing head tensor without resetHead gets --reset-head advice', () => {
    const from = numbered('conv(2,1) relu flatten', 100, { ...GEOMETRY, classes: 8 });
    const to = numbered('conv(2,1) relu flatten linear(3)', 0);
    expect(errorOf(() => copyInitialWeights(from, to, 'body.safetensors', false)).message).toBe(
      "--init body.safetensors: its tensor fc1.weight is missing, this run's network needs [3, 8]; give --reset-head for another class count",
    );
  });
});
