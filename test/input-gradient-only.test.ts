/**
 * A backward pass that wants only the input gradient (every explanation's: Grad-CAM's ∂y/∂A, saliency's
 * ∂y/∂x) skips the parameter gradients: the kernels take dWeight = dBias = null and give the same dInput, bit
 * for bit, as the full pass on the same backend; the layers and Network.backwardTo / backwardToInput with
 * { parameterGradients: false } return the same gradient and leave the grads exactly as they were — batch
 * norm's dγ and dβ, which its input gradient needs anyway, go to scratch. The default still accumulates.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Backend, Conv2dShape, DenseShape, Floats } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { createNetwork, NO_PARAMETER_GRADIENTS } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { randomFloats, reference, wasm } from './wasm-fixtures.js';

const BACKENDS: Array<[string, Backend]> = [['wasm', wasm], ['reference', reference]];

const convShapes: fc.Arbitrary<Conv2dShape> = fc
  .record({
    batch: fc.integer({ min: 1, max: 5 }),
    inChannels: fc.integer({ min: 1, max: 4 }),
    outChannels: fc.integer({ min: 1, max: 12 }), // below and above C·K·K: both weight-gradient layouts
    kernelSize: fc.integer({ min: 1, max: 4 }),
    stride: fc.integer({ min: 1, max: 3 }), // 2 and 3 on small maps: the grouped path too
    padding: fc.integer({ min: 0, max: 2 }),
    extraHeight: fc.integer({ min: 0, max: 9 }),
    extraWidth: fc.integer({ min: 0, max: 9 }),
  })
  .map(({ extraHeight, extraWidth, ...s }) => ({ ...s, height: s.kernelSize + extraHeight, width: s.kernelSize + extraWidth }))
  .filter((s) => s.padding < s.kernelSize);

const denseShapes: fc.Arbitrary<DenseShape> = fc.record({
  batch: fc.integer({ min: 1, max: 9 }),
  inFeatures: fc.integer({ min: 1, max: 40 }),
  outFeatures: fc.integer({ min: 1, max: 20 }),
});

/** dInput of a full pass and of one without parameter gradients, on `backend`; the full pass's dWeight and dBias. */
function convPasses(backend: Backend, s: Conv2dShape, seed: number) {
  const random = new Random(seed);
  const { outHeight, outWidth } = convGeometry(s);
  const sizes = { input: s.batch * s.inChannels * s.height * s.width, weight: s.outChannels * s.inChannels * s.kernelSize ** 2, output: s.batch * s.outChannels * outHeight * outWidth };
  const x = randomFloats(sizes.input, random);
  const w = randomFloats(sizes.weight, random);
  const dy = randomFloats(sizes.output, random);
  const full = { dw: backend.allocFloats(sizes.weight), db: backend.allocFloats(s.outChannels), dx: backend.allocFloats(sizes.input) };
  const only = backend.allocFloats(sizes.input).fill(7); // overwritten, whatever it held
  backend.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: full.dw, dBias: full.db, dInput: full.dx });
  backend.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: only });
  return { full, only };
}

describe('the kernels without parameter gradients', () => {
  it.each(BACKENDS)('conv2dBackward (%s) gives the full pass\'s dInput bit for bit, over random shapes, strides and paddings', (_, backend) => {
    fc.assert(
      fc.property(convShapes, fc.integer(), (s, seed) => {
        const { full, only } = convPasses(backend, s, seed);
        expect(Array.from(only)).toEqual(Array.from(full.dx));
        expect(full.dw.some((v) => v !== 0)).toBe(true); // the full pass did compute a weight gradient
      }),
      { numRuns: 60 },
    );
  });

  it.each(BACKENDS)('conv2dBackward (%s) on the paper net\'s conv2 and the modern net\'s strided conv4', (_, backend) => {
    for (const s of [
      { batch: 3, inChannels: 32, height: 13, width: 13, outChannels: 64, kernelSize: 3 },
      { batch: 5, inChannels: 64, height: 14, width: 14, outChannels: 64, kernelSize: 3, stride: 2, padding: 1 },
      { batch: 2, inChannels: 1, height: 28, width: 28, outChannels: 32, kernelSize: 3, padding: 1 }, // C·K·K < F: the transposed weight gradient
    ]) {
      const { full, only } = convPasses(backend, s, 11);
      expect(Array.from(only)).toEqual(Array.from(full.dx));
    }
  });

  it.each(BACKENDS)('denseBackward (%s) gives the full pass\'s dInput bit for bit', (_, backend) => {
    fc.assert(
      fc.property(denseShapes, fc.integer(), (s, seed) => {
        const random = new Random(seed);
        const x = randomFloats(s.batch * s.inFeatures, random);
        const w = randomFloats(s.outFeatures * s.inFeatures, random);
        const dy = randomFloats(s.batch * s.outFeatures, random);
        const full = { dw: backend.allocFloats(w.length), db: backend.allocFloats(s.outFeatures), dx: backend.allocFloats(x.length) };
        const only = backend.allocFloats(x.length);
        backend.denseBackward(s, { input: x, weight: w, dOutput: dy, dWeight: full.dw, dBias: full.db, dInput: full.dx });
        backend.denseBackward(s, { input: x, weight: w, dOutput: dy, dWeight: null, dBias: null, dInput: only });
        expect(Array.from(only)).toEqual(Array.from(full.dx));
      }),
      { numRuns: 60 },
    );
  });
});

describe('Network.backwardTo and backwardToInput with { parameterGradients: false }', () => {
  const SPEC = 'conv(4,3,pad=1) bn relu conv(6,3,stride=2,pad=1) relu maxpool(2) flatten linear(5) bn relu linear(3)';
  const geometry = { channels: 2, height: 9, width: 9, classes: 3 };

  it.each(BACKENDS)('return the default pass\'s gradient bit for bit and leave every parameter gradient as it was (%s)', (_, backend) => {
    const network = createNetwork(backend, SPEC, geometry);
    network.initialize(new Random(2));
    const random = new Random(3);
    const input = randomFloats(4 * 2 * 9 * 9, random);
    const dLogits = randomFloats(4 * 3, random);
    const mode = { training: true, seed: 1, step: 1, firstSample: 0, updateStatistics: false }; // batch norm on the batch's statistics
    const pattern = Float64Array.from(network.grads, (_, k) => (k % 7) - 3);
    const passes = [
      ['backwardTo relu2', (options?: typeof NO_PARAMETER_GRADIENTS) => network.backwardTo('relu2', dLogits, options)],
      ['backwardToInput', (options?: typeof NO_PARAMETER_GRADIENTS) => network.backwardToInput(dLogits, 'ordinary', options)],
      ['backwardToInput guided', (options?: typeof NO_PARAMETER_GRADIENTS) => network.backwardToInput(dLogits, 'guided', options)],
    ] as const;
    for (const [name, pass] of passes) {
      network.grads.set(pattern);
      network.forward(input, 4, mode);
      const withGrads = Array.from(pass());
      expect(Array.from(network.grads), `${name}: the default accumulates`).not.toEqual(Array.from(pattern));
      network.grads.set(pattern);
      network.forward(input, 4, mode);
      const without = Array.from(pass(NO_PARAMETER_GRADIENTS));
      expect(without, name).toEqual(withGrads);
      expect(Array.from(network.grads), `${name}: the grads are untouched`).toEqual(Array.from(pattern));
    }
    network.dispose(); // batch norm's scratch for the unwanted dγ, dβ goes back too
  });
});

describe('batch norm\'s scratch for the unwanted dγ, dβ', () => {
  it.each(BACKENDS)('is made once, reused, and goes back on dispose, after a training pass too (%s)', (_, backend) => {
    const network = createNetwork(backend, 'conv(3,3) bn relu flatten linear(2)', { channels: 1, height: 5, width: 5, classes: 2 });
    network.initialize(new Random(1));
    const input = randomFloats(2 * 25, new Random(2));
    const allocate = vi.spyOn(backend, 'allocFloats');
    // A training pass that updates the running statistics makes no copy of them; the backward that follows skips dγ, dβ.
    for (let pass = 0; pass < 3; pass++) {
      network.forward(input, 2, { training: true, seed: 1, step: pass, firstSample: 0, updateStatistics: true });
      network.backwardToInput(randomFloats(4, new Random(3)), 'ordinary', NO_PARAMETER_GRADIENTS);
    }
    const scratch = allocate.mock.results.filter((r) => (r.value as Floats).length === 3).map((r) => r.value as Floats); // bn1's 3 channels
    allocate.mockRestore();
    expect(scratch).toHaveLength(2); // dγ's and dβ's, once for the three passes
    const free = vi.spyOn(backend, 'free');
    expect(() => network.dispose()).not.toThrow();
    const freed = free.mock.calls.map(([array]) => array);
    free.mockRestore();
    for (const array of scratch) expect(freed).toContain(array);
  });
});
