/**
 * A dense layer's weight gradient made later, from several threads' passes at once — how the thread pool's
 * TRAIN step makes its dense layers' weight gradients (shard.ts, step 3):
 *   - WasmBackend.denseWeightGradientElements gives, bit for bit, what each pass accumulating into a zeroed dW of
 *     its own and the dWs added in pass order give (the pool's sum before deferring), however the elements are
 *     split between calls, leaves every other element alone, and agrees with Σ_p dOutᵀ·in in float64;
 *   - rowPieces and rangesWithout, the bookkeeping that splits the elements;
 *   - Dense.backwardWithoutWeightGradient and Network.backward(dLogits, deferred): everything but the deferred
 *     weight gradients, the same as an ordinary backward pass;
 *   - SerialStep on the wasm backend, which zeroes all but the dense weights' gradients and makes those after the
 *     backward pass: every gradient what zeroGrad and an ordinary backward pass give, bit for bit.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { rowPieces, type DensePass } from '../src/backend/wasm/wasm-backend.js';
import { Dense } from '../src/model/dense.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { createNetwork } from '../src/model/network.js';
import { deferredWeights, rangesWithout } from '../src/train/deferred-weights.js';
import { Random } from '../src/random.js';
import type { Optimizer } from '../src/train/optimizer.js';
import { SerialStep } from '../src/train/step.js';
import { trainingPass } from '../src/model/layer.js';
import { errorOf } from './errors.js';

const backend = await createWasmBackend();
const GARBAGE = 12345;

function floats(length: number, random: Random): Float32Array {
  const array = backend.allocFloats(length);
  for (let k = 0; k < length; k++) array[k] = random.uniform(-1, 1);
  return array;
}

/** The passes' dW the way the pool made it before deferring: each pass into a zeroed dW of its own, then added in order. */
function summedPerPass(I: number, O: number, passes: DensePass[]): Float32Array {
  const sum = backend.allocFloats(O * I);
  passes.filter((p) => p.batch > 0).forEach((p, k) => {
    const own = backend.allocFloats(O * I);
    backend.denseBackward({ batch: p.batch, inFeatures: I, outFeatures: O }, { input: p.input, weight: own, dOutput: p.dOutput, dWeight: own, dBias: null, dInput: null });
    if (k === 0) sum.set(own);
    else backend.addInto(sum, own);
  });
  return sum;
}

describe('WasmBackend.denseWeightGradientElements', () => {
  it('gives the per-pass sum bit for bit, element range by element range, and touches nothing outside the range', () => {
    fc.assert(
      fc.property(
        fc.record({
          O: fc.integer({ min: 1, max: 19 }),
          I: fc.integer({ min: 1, max: 37 }),
          batches: fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 3 }),
          cuts: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
          seed: fc.integer({ min: 1, max: 1e6 }),
        }),
        ({ O, I, batches, cuts, seed }) => {
          const random = new Random(seed);
          const passes = batches.map((batch) => ({ input: floats(batch * I, random), dOutput: floats(batch * O, random), batch }));
          const expected = summedPerPass(I, O, passes);
          const dWeight = backend.allocFloats(O * I).fill(GARBAGE);
          const bounds = [0, ...cuts.map((c) => Math.floor(c * O * I)).sort((a, b) => a - b), O * I];
          for (let k = 0; k + 1 < bounds.length; k++) {
            backend.denseWeightGradientElements({ inFeatures: I, outFeatures: O }, passes, dWeight, bounds[k], bounds[k + 1] - bounds[k]);
            // Past the range just made, nothing has been written yet.
            expect(Array.from(dWeight.subarray(bounds[k + 1])).every((x) => x === GARBAGE)).toBe(true);
          }
          expect(Array.from(dWeight)).toEqual(Array.from(expected));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('agrees with Σ_p Σ_n dOut[n, o]·in[n, i], computed in float64', () => {
    const [O, I] = [13, 29];
    const random = new Random(5);
    const passes = [3, 0, 7].map((batch) => ({ input: floats(batch * I, random), dOutput: floats(batch * O, random), batch }));
    const dWeight = backend.allocFloats(O * I);
    backend.denseWeightGradientElements({ inFeatures: I, outFeatures: O }, passes, dWeight, 0, O * I);
    for (let o = 0; o < O; o++) {
      for (let i = 0; i < I; i++) {
        let sum = 0;
        for (const { input, dOutput, batch } of passes) for (let n = 0; n < batch; n++) sum += dOutput[n * O + o] * input[n * I + i];
        expect(Math.abs(dWeight[o * I + i] - sum)).toBeLessThan(1e-5);
      }
    }
  });

  it('writes zeros when no pass had images (a batch smaller than the threads leaves passes empty)', () => {
    const dWeight = backend.allocFloats(12).fill(GARBAGE);
    backend.denseWeightGradientElements({ inFeatures: 4, outFeatures: 3 }, [], dWeight, 2, 7);
    expect(Array.from(dWeight)).toEqual([GARBAGE, GARBAGE, 0, 0, 0, 0, 0, 0, 0, GARBAGE, GARBAGE, GARBAGE]);
  });

  it('refuses a range outside the weight and a pass whose arrays do not fit the layer, naming them', () => {
    const dWeight = backend.allocFloats(12);
    const pass = { input: backend.allocFloats(8), dOutput: backend.allocFloats(6), batch: 2 };
    const call = (first: number, count: number, passes: DensePass[] = [pass]) => () => backend.denseWeightGradientElements({ inFeatures: 4, outFeatures: 3 }, passes, dWeight, first, count);
    expect(errorOf(call(10, 3), 'ERR_BAD_ARGUMENT').message).toBe('denseWeightGradientElements: elements [10, 10 + 3) are not inside the 3×4 weight gradient');
    expect(errorOf(call(-1, 2)).message).toContain('are not inside');
    expect(errorOf(call(5, -2)).message).toBe('denseWeightGradientElements: elements [5, 5 + -2) are not inside the 3×4 weight gradient');
    expect(errorOf(call(0, 1.5)).message).toContain('are not inside');
    expect(errorOf(call(0, 12, [{ ...pass, batch: 3 }])).message).toMatch(/^denseWeightGradientElements: input /);
    const short = backend.allocFloats(11);
    expect(errorOf(() => backend.denseWeightGradientElements({ inFeatures: 4, outFeatures: 3 }, [pass], short, 0, 11), 'ERR_BAD_ARGUMENT').message).toBe('denseWeightGradientElements: dWeight has length 11, expected 3×4 = 12');
    expect(errorOf(() => backend.denseWeightGradientElements({ inFeatures: 0, outFeatures: 3 }, [pass], dWeight, 0, 0)).message).toBe('denseWeightGradientElements: inFeatures must be a positive integer, got 0');
    expect(errorOf(() => backend.denseWeightGradientElements({ inFeatures: 4, outFeatures: 1.5 }, [pass], dWeight, 0, 0)).message).toBe('denseWeightGradientElements: outFeatures must be a positive integer, got 1.5');
    expect(errorOf(() => backend.denseWeightGradientElements({ inFeatures: 4, outFeatures: 3 }, [pass], null as unknown as Float32Array, 0, 12)).message).toMatch(/^denseWeightGradientElements: dWeight is a null, but the wasm backend computes in float32/);
    // Arrays outside the backend's memory, each named.
    const outside = (name: string, replaced: Partial<DensePass>, weight = dWeight) => {
      const message = errorOf(() => backend.denseWeightGradientElements({ inFeatures: 4, outFeatures: 3 }, [{ ...pass, ...replaced }], weight, 0, 12), 'ERR_BAD_ARGUMENT').message;
      expect(message.startsWith(`denseWeightGradientElements: ${name} is not in this wasm backend's memory`)).toBe(true);
    };
    outside('input', { input: new Float32Array(8) });
    outside('dOutput', { dOutput: new Float32Array(6) });
    outside('dWeight', {}, new Float32Array(12));
    expect(() => call(0, 12)()).not.toThrow();
  });
});

describe('rowPieces: a range of a row-major matrix\'s elements as rectangles', () => {
  it('splits into the first row\'s tail, the whole rows and the last row\'s head', () => {
    expect(rowPieces(3, 10, 4)).toEqual([[0, 3, 1, 1], [1, 0, 2, 4], [3, 0, 1, 1]]);
    expect(rowPieces(4, 8, 4)).toEqual([[1, 0, 2, 4]]);
    expect(rowPieces(5, 2, 4)).toEqual([[1, 1, 1, 2]]);
    expect(rowPieces(8, 3, 4)).toEqual([[2, 0, 1, 3]]);
    expect(rowPieces(6, 0, 4)).toEqual([]);
  });

  it('covers exactly the range, in order, with rectangles inside the matrix', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 150 }), (width, first, count) => {
        const covered: number[] = [];
        for (const [row, column, rows, columns] of rowPieces(first, count, width)) {
          expect(column + columns).toBeLessThanOrEqual(width);
          for (let r = row; r < row + rows; r++) for (let c = column; c < column + columns; c++) covered.push(r * width + c);
        }
        expect(covered).toEqual(Array.from({ length: count }, (_, k) => first + k));
      }),
    );
  });
});

describe('rangesWithout: a range less the deferred weights\' ranges', () => {
  it('leaves the parts outside the holes, in order', () => {
    const holes = [{ first: 10, length: 5 }, { first: 20, length: 10 }];
    expect(rangesWithout(0, 40, holes)).toEqual([[0, 10], [15, 20], [30, 40]]);
    expect(rangesWithout(12, 25, holes)).toEqual([[15, 20]]);
    expect(rangesWithout(21, 29, holes)).toEqual([]);
    expect(rangesWithout(0, 10, holes)).toEqual([[0, 10]]);
    expect(rangesWithout(30, 31, holes)).toEqual([[30, 31]]);
    expect(rangesWithout(5, 18, [])).toEqual([[5, 18]]);
    expect(rangesWithout(0, 15, holes)).toEqual([[0, 10]]); // ends where a hole ends, before the next
    expect(rangesWithout(10, 32, holes)).toEqual([[15, 20], [30, 32]]); // starts where a hole starts
    expect(rangesWithout(7, 7, holes)).toEqual([]);
  });
});

describe('deferredWeights: the dense layers whose weight gradients the pool defers', () => {
  it('every dense layer, with its weight\'s place in the arenas; of more than the most asked for (the pool\'s eight), the largest', () => {
    const geometry = { channels: 1, height: 6, width: 6, classes: 4 };
    const few = createNetwork(backend, 'conv(2,3) relu flatten linear(5) relu linear(4)', geometry);
    const at = (network: typeof few, name: string) => (network.parameter(name).grad.byteOffset - network.grads.byteOffset) / 4;
    expect(deferredWeights(few).map((d) => [d.layer.name, d.first, d.length])).toEqual([['fc1', at(few, 'fc1.weight'), 5 * 32], ['fc2', at(few, 'fc2.weight'), 4 * 5]]);
    // Nine: fc2 (2 × 3) is the smallest and is left out, though the last one, fc9 (4 × 4), is the next smallest.
    const widths = [3, 2, 9, 8, 7, 6, 5, 4];
    const many = createNetwork(backend, `conv(2,3) relu flatten ${widths.map((w) => `linear(${w})`).join(' ')} linear(4)`, geometry);
    expect(deferredWeights(many, 8).map((d) => d.layer.name)).toEqual(['fc1', 'fc3', 'fc4', 'fc5', 'fc6', 'fc7', 'fc8', 'fc9']);
    expect(deferredWeights(many).map((d) => d.layer.name)).toEqual(['fc1', 'fc2', 'fc3', 'fc4', 'fc5', 'fc6', 'fc7', 'fc8', 'fc9']);
  });
});

describe('Network.backward with deferred dense layers', () => {
  it('computes every gradient an ordinary backward pass does, but the deferred layers\' weight gradients, which it leaves alone', () => {
    const spec = 'conv(3,3) relu maxpool(2) flatten linear(6) relu linear(4)';
    const geometry = { channels: 1, height: 8, width: 8, classes: 4 };
    const [ordinary, deferring] = [createNetwork(backend, spec, geometry), createNetwork(backend, spec, geometry)];
    ordinary.initialize(new Random(3));
    deferring.params.set(ordinary.params);
    const random = new Random(4);
    const input = floats(5 * 64, random);
    const labels = backend.allocInts(5);
    for (let k = 0; k < 5; k++) labels[k] = k % 4;
    const run = (network: typeof ordinary, deferred?: Set<Dense>) => {
      const head = new SoftmaxCrossEntropy(backend, 4);
      head.forward(network.forward(input, 5, { training: true, seed: 1, step: 1, firstSample: 0, updateStatistics: true }), labels, 5, true);
      network.zeroGrad();
      if (deferred !== undefined) network.parameter('fc1.weight').grad.fill(GARBAGE); // to show it is left alone
      network.backward(head.dLogits!, deferred);
    };
    const fc1 = deferring.layer<Dense>('fc1');
    run(ordinary);
    run(deferring, new Set([fc1]));
    for (const p of deferring.parameters) {
      if (p.name === 'fc1.weight') expect(Array.from(p.grad).every((x) => x === GARBAGE)).toBe(true);
      else expect(Array.from(p.grad)).toEqual(Array.from(ordinary.parameter(p.name).grad));
    }
    // What the deferred gradient is made of: fc1's input and dOutput of that pass, which give the ordinary one.
    const { input: x, dOutput, batch } = fc1.weightGradientOperands();
    expect(batch).toBe(5);
    const made = backend.allocFloats(6 * 27);
    backend.denseWeightGradientElements({ inFeatures: 27, outFeatures: 6 }, [{ input: x, dOutput, batch }], made, 0, 6 * 27);
    expect(Array.from(made)).toEqual(Array.from(ordinary.parameter('fc1.weight').grad));
  });

  it('Dense.weightGradientOperands before any backward pass, a forward pass alone included, says there is nothing to make', () => {
    const network = createNetwork(backend, 'flatten linear(2)', { channels: 1, height: 1, width: 3, classes: 2 });
    const dense = network.layer<Dense>('fc1');
    const message = 'fc1: no backward pass has run yet, so there is no weight gradient to make';
    expect(errorOf(() => dense.weightGradientOperands(), 'ERR_BAD_ARGUMENT').message).toBe(message);
    network.forward(backend.allocFloats(3), 1);
    expect(errorOf(() => dense.weightGradientOperands(), 'ERR_BAD_ARGUMENT').message).toBe(message);
  });
});

describe('SerialStep on the wasm backend: the dense weight gradients made after the backward pass', () => {
  const spec = 'conv(3,3) relu maxpool(2) flatten linear(6) relu dropout(0.5) linear(4)';
  const geometry = { channels: 1, height: 8, width: 8, classes: 4 };
  /** An optimiser that only counts its updates, so the step's gradients are left to read. */
  const counting = (): Optimizer & { updates: number } => ({ name: 'sgd', step: 0, learningRate: 0, updates: 0, stateArrays: [], update() { this.updates++; this.step++; }, dispose() {} });

  it('gives every gradient zeroGrad and an ordinary backward pass give, bit for bit, whatever the arena held', () => {
    const [stepped, plain] = [createNetwork(backend, spec, geometry), createNetwork(backend, spec, geometry)];
    stepped.initialize(new Random(6));
    plain.params.set(stepped.params);
    const input = floats(5 * 64, new Random(7));
    const labels = backend.allocInts(5);
    for (let k = 0; k < 5; k++) labels[k] = (k * 3) % 4;
    stepped.grads.fill(GARBAGE);
    const optimizer = counting();
    new SerialStep(stepped, optimizer, 9).run({ input, labels, size: 5 });
    expect(optimizer.updates).toBe(1);
    const head = new SoftmaxCrossEntropy(backend, 4);
    plain.zeroGrad();
    head.forward(plain.forward(input, 5, trainingPass(9, 1)), labels, 5, true);
    plain.backward(head.dLogits!);
    expect(Array.from(stepped.grads)).toEqual(Array.from(plain.grads));
    expect(Array.from(stepped.parameter('fc1.weight').grad).some((g) => g !== 0)).toBe(true);
  });

  it('leaves the dense weights out of the backward pass and makes each once, by denseWeightGradientElements (the reference backend: in the pass)', async () => {
    for (const [name, on] of [['wasm', backend], ['reference', new ReferenceBackend()]] as const) {
      const network = createNetwork(on, spec, geometry);
      network.initialize(new Random(6));
      const input = on.allocFloats(4 * 64);
      const labels = on.allocInts(4);
      const passes = vi.spyOn(on, 'denseBackward');
      const made = name === 'wasm' ? vi.spyOn(backend, 'denseWeightGradientElements') : null;
      new SerialStep(network, counting()).run({ input, labels, size: 4 });
      expect(passes.mock.calls.map(([, g]) => g.dWeight === null)).toEqual(name === 'wasm' ? [true, true] : [false, false]);
      if (made !== null) expect(made.mock.calls.map(([layer, , , first, count]) => [(layer as Dense).name, first, count])).toEqual([['fc1', 0, 6 * 27], ['fc2', 0, 4 * 6]]);
      vi.restoreAllMocks();
    }
  });

  it('on a loss that is not finite, skips the update and leaves every gradient zero, as zeroGrad would', () => {
    const network = createNetwork(backend, spec, geometry);
    network.initialize(new Random(6));
    network.params[network.params.length - 1] = Number.NaN; // fc2's last bias: every logit row goes NaN
    network.grads.fill(GARBAGE);
    const optimizer = counting();
    const labels = backend.allocInts(3);
    const { loss } = new SerialStep(network, optimizer).run({ input: floats(3 * 64, new Random(8)), labels, size: 3 });
    expect(Number.isFinite(loss)).toBe(false);
    expect(optimizer.updates).toBe(0);
    expect(Array.from(network.grads).every((g) => g === 0)).toBe(true);
  });
});
