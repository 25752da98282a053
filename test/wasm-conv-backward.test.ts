/**
 * The wasm convolution's backward pass (WasmBackend.conv2dBackward: per group of images, or one image at a time
 * from the image itself, its bordered copy or its phase block; dW summed directly or transposed in scratch when
 * the patch C·K·K is narrower than F) against the float64 reference's direct loops, on small shapes that reach
 * each of those paths, with every choice of the gradients wanted: dW and dB accumulate onto what they held,
 * dInput is overwritten, and a gradient given as null is computed nowhere. Nothing is written past an array
 * (sentinels after each) or into the module's static data below the arena.
 *
 * Then the scratch blocks: a fresh backend takes its convolution scratch from the top of its arena, so an array
 * allocated right after a first pass lies just above them; a block smaller than what the kernels write would
 * spill into it on the second pass; and a pass without dInput takes no columns block. Then the end of the
 * forward's per-image path (the bias added once, the fused ReLU after it), and each of the backward's refusals,
 * word for word.
 *
 * Fast on purpose (a second or two): the mutation group wasm-conv-backward runs it for every mutant of the
 * backward, where test/wasm-conv-stride-padding.test.ts takes tens of seconds.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { Conv2dShape, Floats } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { kernelsWasmPath } from '../src/backend/wasm/node.js';
import { createWasmBackendFromBytes, imagesPerGemm, usesDirectWeightGradient, type WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';
import { expectParity, sumTolerance } from './parity.js';
import { convShapes } from './fixtures/conv-shapes.js';
import { fenced, SENTINEL, staticDataOf, TAIL } from './fixtures/memory-fences.js';

const simdBytes = readFileSync(kernelsWasmPath('simd'));
const small = { maximumBytes: 64 * 1024 * 1024 };
const backend = await createWasmBackendFromBytes(simdBytes, small);
afterAll(() => backend.dispose());
const reference = new ReferenceBackend({ precision: 'float64' });

/** The paths of the backward, each on a small shape: the name gives the path, G imagesPerGemm's; direct, the weight gradient's kernel. */
const PATHS: { name: string; s: Conv2dShape; G: number; direct?: boolean }[] = [
  { name: 'valid, stride 1 (col2im straight onto dInput)', s: { batch: 2, inChannels: 2, height: 5, width: 4, outChannels: 3, kernelSize: 3 }, G: 0 },
  { name: 'valid, stride 1, patch 4 < F 5, 3 wide (dWᵀ in scratch)', s: { batch: 2, inChannels: 1, height: 4, width: 4, outChannels: 5, kernelSize: 2 }, G: 0 },
  { name: 'padded by 2, stride 1 (the bordered copy, cropped; dW direct)', s: { batch: 2, inChannels: 2, height: 4, width: 5, outChannels: 3, kernelSize: 3, padding: 2 }, G: 0, direct: true },
  { name: 'padded by 1, stride 1, patch 4 < F 17 (dWᵀ in scratch)', s: { batch: 3, inChannels: 1, height: 4, width: 4, outChannels: 17, kernelSize: 2, padding: 1 }, G: 0 },
  // the direct weight gradient (usesDirectWeightGradient): taps not a multiple of 4, an odd F, a row's masked last step
  { name: 'direct dW: 1 channel, 5×5 (25 taps), F 5, 6 wide', s: { batch: 2, inChannels: 1, height: 8, width: 10, outChannels: 5, kernelSize: 5 }, G: 0, direct: true },
  { name: 'direct dW: padded by 1, 3 channels, 3×3 (27 taps), F 16, 4 wide', s: { batch: 2, inChannels: 3, height: 4, width: 4, outChannels: 16, kernelSize: 3, padding: 1 }, G: 0, direct: true },
  { name: 'direct dW: 2 channels, 2×2 (8 taps), F 2, 7 wide', s: { batch: 3, inChannels: 2, height: 5, width: 8, outChannels: 2, kernelSize: 2 }, G: 0, direct: true },
  { name: 'stride 2, padded, 12×12 maps (the phase block, merged)', s: { batch: 2, inChannels: 1, height: 24, width: 23, outChannels: 2, kernelSize: 3, stride: 2, padding: 1 }, G: 0 },
  { name: 'stride 3, unpadded, 12×12 maps, patch 4 < F 5', s: { batch: 2, inChannels: 1, height: 35, width: 35, outChannels: 5, kernelSize: 2, stride: 3 }, G: 0 },
  { name: 'stride 2, 2×2 maps: one partial group', s: { batch: 5, inChannels: 2, height: 5, width: 5, outChannels: 2, kernelSize: 3, stride: 2 }, G: 128 },
  { name: 'stride 2, padded, 4×4 maps, patch 4 < F 6: one group', s: { batch: 5, inChannels: 1, height: 6, width: 6, outChannels: 6, kernelSize: 2, stride: 2, padding: 1 }, G: 32 },
  { name: 'stride 2, 9×9 maps: a group of 6, then one of 1', s: { batch: 7, inChannels: 1, height: 19, width: 19, outChannels: 2, kernelSize: 3, stride: 2 }, G: 6 },
  { name: 'stride 2, 9×9 maps, patch 4 < F 6: a group of 6, then one of 1', s: { batch: 7, inChannels: 1, height: 18, width: 18, outChannels: 6, kernelSize: 2, stride: 2 }, G: 6 },
];

/** Which gradients a pass asks for (null for the others). */
const WANTED = [
  { parameters: true, input: true },
  { parameters: true, input: false },
  { parameters: false, input: true },
] as const;

function sizesOf(s: Conv2dShape) {
  const { outHeight, outWidth } = convGeometry(s);
  const positions = outHeight * outWidth;
  return {
    positions,
    input: s.batch * s.inChannels * s.height * s.width,
    weight: s.outChannels * s.inChannels * s.kernelSize ** 2,
    bias: s.outChannels,
    output: s.batch * s.outChannels * positions,
  };
}

/**
 * conv2dBackward on `b` with the gradients `wanted`, against the float64 reference: dW and dB start from random
 * values and must be those plus the reference's sums, dInput starts as garbage and must be the reference's. The
 * tolerance is test/parity.ts's float32 summation bound, Σ|terms| from the reference on absolute values.
 */
function checkBackward(b: WasmBackend, s: Conv2dShape, wanted: { parameters: boolean; input: boolean }, seed: number): void {
  const n = sizesOf(s);
  const random = new Random(seed);
  const draw = (length: number) => Array.from({ length }, () => random.uniform(-1, 1));
  const values = { input: draw(n.input), weight: draw(n.weight), dOutput: draw(n.output), dWeight: draw(n.weight), dBias: draw(n.bias), dInput: draw(n.input) };

  const wasmArrays = Object.fromEntries(Object.entries(values).map(([name, v]) => [name, fenced(b, v)]));
  const array = (name: string) => wasmArrays[name].array;
  b.conv2dBackward(s, {
    input: array('input'), weight: array('weight'), dOutput: array('dOutput'),
    dWeight: wanted.parameters ? array('dWeight') : null, dBias: wanted.parameters ? array('dBias') : null, dInput: wanted.input ? array('dInput') : null,
  });

  const on = (transform: (x: number) => number) => {
    const copy = (name: keyof typeof values) => Float64Array.from(values[name], transform);
    const g = { input: copy('input'), weight: copy('weight'), dOutput: copy('dOutput'), dWeight: copy('dWeight'), dBias: copy('dBias'), dInput: new Float64Array(n.input) };
    reference.conv2dBackward(s, g);
    return g;
  };
  const expected = on((x) => x);
  const scale = on(Math.abs);
  const images = s.batch * n.positions;
  const label = `${JSON.stringify(s)} ${JSON.stringify(wanted)}`;
  if (wanted.parameters) {
    expectParity(`${label} dWeight`, array('dWeight'), expected.dWeight, sumTolerance(images + s.batch + 1, scale.dWeight));
    expectParity(`${label} dBias`, array('dBias'), expected.dBias, sumTolerance(images + 1, scale.dBias));
  }
  if (wanted.input) expectParity(`${label} dInput`, array('dInput'), expected.dInput, sumTolerance(s.outChannels * s.kernelSize ** 2 + 1, scale.dInput));
  // What was not wanted is untouched; what was given is unchanged; nothing past any array.
  const unchanged = ['input', 'weight', 'dOutput', ...(wanted.parameters ? [] : ['dWeight', 'dBias']), ...(wanted.input ? [] : ['dInput'])];
  for (const name of unchanged) expect([...array(name)], `${label} ${name}`).toEqual([...Float32Array.from(values[name as keyof typeof values])]);
  for (const name of Object.keys(values)) expect(wasmArrays[name].tail(), `${label}: past ${name}`).toEqual(new Array(TAIL).fill(SENTINEL));
}

describe('conv2dBackward (wasm) on each of its paths', () => {
  it('takes the path each shape is meant for (imagesPerGemm, usesDirectWeightGradient)', () => {
    for (const { name, s, G, direct } of PATHS) {
      expect(imagesPerGemm(s.stride ?? 1, sizesOf(s).positions), name).toBe(G);
      expect(usesDirectWeightGradient(s), name).toBe(direct === true);
    }
  });

  it('equals the float64 reference with every choice of gradients, accumulating dW and dB, overwriting dInput, writing nothing else', async () => {
    const staticData = await staticDataOf(backend);
    const before = staticData();
    let seed = 1;
    for (const { s } of PATHS) for (const wanted of WANTED) checkBackward(backend, s, wanted, seed++);
    expect(staticData()).toEqual(before);
  });

  it('equals the reference over random shapes, strides 1–3, paddings 0–2 and the gradients wanted', () => {
    const shapes = convShapes({ batch: 9, inChannels: 2, outChannels: 6, kernelSize: 3, stride: 3, padding: 2, extra: 8 });
    fc.assert(fc.property(shapes, fc.constantFrom(...WANTED), fc.integer(), (s, wanted, seed) => checkBackward(backend, s, wanted, seed)), { numRuns: 40 });
  });
});

describe('the direct weight gradient (assembly/direct-weight-gradient.ts)', () => {
  it('takes stride-1 convolutions of at most 32 taps, 16 filters or fewer and outputs at least 4 wide, and no others', () => {
    // LeNet-5's conv1 (1 → 6, 5×5, padding 2 on 28×28): its weight gradient ran 2× faster this way (docs/speed-history.md)
    const lenet: Conv2dShape = { batch: 64, inChannels: 1, height: 28, width: 28, outChannels: 6, kernelSize: 5, padding: 2 };
    expect(usesDirectWeightGradient(lenet)).toBe(true);
    expect(usesDirectWeightGradient({ ...lenet, outChannels: 16 })).toBe(true);
    expect(usesDirectWeightGradient({ ...lenet, outChannels: 17 })).toBe(false); // the paper's conv1 (F 32) too: the GEMM was faster
    expect(usesDirectWeightGradient({ ...lenet, inChannels: 3, kernelSize: 3 })).toBe(true); // 27 taps
    expect(usesDirectWeightGradient({ ...lenet, inChannels: 2, kernelSize: 4 })).toBe(true); // 32 taps
    expect(usesDirectWeightGradient({ ...lenet, inChannels: 3, kernelSize: 4 })).toBe(false); // 48
    expect(usesDirectWeightGradient({ ...lenet, stride: 2 })).toBe(false);
    expect(usesDirectWeightGradient({ ...lenet, width: 8, padding: 0 })).toBe(true); // OW 8 − 5 + 1 = 4
    expect(usesDirectWeightGradient({ ...lenet, width: 7, padding: 0 })).toBe(false); // OW 3
  });

  // One 3×6 image, x[r][c] = 6r + c + 1 unless `pixels` says otherwise, K = 2 (OH = 2, OW = 5: a full step of four
  // columns, then a step at columns 1–4 whose lanes 1–3 are masked off), F = 3 (odd), dWeight starting at 0.5; the
  // expected dW is the definition's sum, every term a small integer (or ±∞, or 0·∞ = NaN, as PyTorch's sum has it),
  // so float32 has it exactly.
  function directCase(dOutput: number[], pixels: Record<number, number> = {}) {
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 3, width: 6, outChannels: 3, kernelSize: 2 };
    const image = Array.from({ length: 18 }, (_, k) => pixels[k] ?? k + 1);
    const expected: number[] = [];
    for (let f = 0; f < 3; f++) {
      for (const [ky, kx] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
        let sum = 0.5;
        for (let y = 0; y < 2; y++) for (let x = 0; x < 5; x++) sum += dOutput[f * 10 + y * 5 + x] * image[(y + ky) * 6 + x + kx];
        expected.push(sum);
      }
    }
    const [input, dy, dWeight, dBias, weight] = [backend.allocFloats(18), backend.allocFloats(30), backend.allocFloats(12).fill(0.5), backend.allocFloats(3), backend.allocFloats(12)];
    input.set(image);
    dy.set(dOutput);
    backend.conv2dBackward(s, { input, weight, dOutput: dy, dWeight, dBias, dInput: null });
    const got = [...dWeight];
    for (const array of [input, dy, dWeight, dBias, weight]) backend.free(array);
    return { got, expected };
  }
  // filter 0's dOutput all ones, filter 1's all twos, filter 2's a single 1 at (1, 4), the masked step's one new column
  const dOutput = [...new Array(10).fill(1), ...new Array(10).fill(2), 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

  it('equals the float64 reference over random shapes it takes: 1–3 channels, kernels 1–5, 1–16 filters, paddings 0–2', () => {
    const shapes = convShapes({ batch: 3, inChannels: 3, outChannels: 16, kernelSize: 5, stride: 1, padding: 2, extra: 9 }).filter(usesDirectWeightGradient);
    fc.assert(fc.property(shapes, fc.constantFrom(...WANTED), fc.integer(), (s, wanted, seed) => checkBackward(backend, s, wanted, seed)), { numRuns: 60 });
  });

  it("sums each filter's dOutput times the windows, by hand: a full step, a masked step, an odd F", () => {
    const { got, expected } = directCase(dOutput);
    expect(got).toEqual(expected);
    // filter 2 saw only the window at (1, 4): x[1 + ky][4 + kx] = 11, 12, 17, 18, each + 0.5
    expect(got.slice(8)).toEqual([11.5, 12.5, 17.5, 18.5]);
  });

  it('sums each lane over the positions, then the lanes as (l0 + l1) + (l2 + l3): its own rounding, not the GEMM\'s running sum', () => {
    // one 1×4 image, a 1×1 kernel, one filter whose dOutput is all ones: dW = x0 + x1 + x2 + x3 with x = 2²⁴, 1, 1, 1.
    // Lanes, then pairs: (2²⁴ + 1) + (1 + 1) = 2²⁴ + 2 exactly (2²⁴ + 1 rounds to 2²⁴, and 2²⁴ + 2 is a float32);
    // a running sum, as the GEMM's, loses each 1 in turn and ends at 2²⁴.
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 1, width: 4, outChannels: 1, kernelSize: 1 };
    expect(usesDirectWeightGradient(s)).toBe(true);
    const [input, dOutput, weight, dWeight, dBias] = [backend.allocFloats(4), backend.allocFloats(4), backend.allocFloats(1), backend.allocFloats(1), backend.allocFloats(1)];
    input.set([2 ** 24, 1, 1, 1]);
    dOutput.fill(1);
    backend.conv2dBackward(s, { input, weight, dOutput, dWeight, dBias, dInput: null });
    expect(dWeight[0]).toBe(2 ** 24 + 2);
    for (const array of [input, dOutput, weight, dWeight, dBias]) backend.free(array);
  });

  it('adds exactly 0 for the masked lanes, in dOutput and the image alike: an infinite value there stays +∞, not NaN', () => {
    // +∞ in filter 0's dOutput at column 1 (a lane the last step masks off)
    const infiniteGradient = directCase(dOutput.map((value, k) => (k === 1 ? Infinity : value)));
    expect(infiniteGradient.got).toEqual(infiniteGradient.expected);
    expect(infiniteGradient.got.slice(0, 4)).toEqual([Infinity, Infinity, Infinity, Infinity]);
    // +∞ at pixel (0, 2), which the masked step's old lanes read at taps (0, 0) and (0, 1); filter 2's dOutput is 0
    // at the positions that read it, and 0·∞ is NaN in the definition's sum too
    const infinitePixel = directCase(dOutput, { 2: Infinity });
    expect(infinitePixel.got).toEqual(infinitePixel.expected);
    expect(infinitePixel.got.slice(0, 2)).toEqual([Infinity, Infinity]);
    expect(infinitePixel.got.slice(8)).toEqual([NaN, NaN, 17.5, 18.5]);
  });
});

describe('the convolution scratch', () => {
  /**
   * Runs `pass` on a fresh backend twice, with a fence of SENTINEL allocated between the two: the scratch
   * blocks the first pass took are the last ones cut from the arena's top, so the fence lies right above them
   * and a block smaller than what its kernel writes spills into it on the second pass. Returns what the
   * second pass's `pass` returned, and the fence.
   */
  async function twiceWithFence<T>(pass: (b: WasmBackend) => T): Promise<{ result: T; fence: number[] }> {
    const fresh = await createWasmBackendFromBytes(simdBytes, small);
    try {
      pass(fresh);
      const fence = (fresh.allocFloats(4096) as Float32Array).fill(SENTINEL);
      const result = pass(fresh);
      return { result, fence: [...fence] };
    } finally {
      fresh.dispose();
    }
  }

  const valuesOf = (s: Conv2dShape, seed: number) => {
    const n = sizesOf(s);
    const random = new Random(seed);
    const draw = (length: number) => Float64Array.from({ length }, () => random.uniform(-1, 1));
    return { input: draw(n.input), weight: draw(n.weight), bias: draw(n.bias), dOutput: draw(n.output) };
  };
  const copyTo = (b: WasmBackend, values: Float64Array) => {
    const array = b.allocFloats(values.length);
    array.set(values);
    return array;
  };
  const close = (got: Floats, want: Floats) => expect(Math.max(0, ...[...got].map((x, i) => Math.abs(x - want[i])))).toBeLessThan(1e-4);

  // Grouped shapes whose patch C·K·K is wider than F (so a group's columns outgrow its product) and narrower.
  const SCRATCH_SHAPES: Conv2dShape[] = [
    { batch: 7, inChannels: 2, height: 19, width: 19, outChannels: 2, kernelSize: 3, stride: 2 }, // G 6, patch 18 > F 2
    { batch: 5, inChannels: 1, height: 6, width: 6, outChannels: 6, kernelSize: 2, stride: 2, padding: 1 }, // G 32, patch 4 < F 6
    { batch: 2, inChannels: 2, height: 6, width: 5, outChannels: 3, kernelSize: 3, padding: 1 }, // per image, padded, patch 18 > F 3
    { batch: 2, inChannels: 1, height: 24, width: 23, outChannels: 5, kernelSize: 2, stride: 2, padding: 1 }, // per image, phase block, patch 4 < F 5
  ];

  it("forward: a group's columns and product fit their blocks, and the output is the reference's", async () => {
    for (const [k, s] of SCRATCH_SHAPES.entries()) {
      const values = valuesOf(s, 100 + k);
      const want = reference.allocFloats(sizesOf(s).output);
      reference.conv2dForward(s, values.input, values.weight, values.bias, want);
      const { result, fence } = await twiceWithFence((b) => {
        const output = b.allocFloats(want.length);
        b.conv2dForward(s, copyTo(b, values.input), copyTo(b, values.weight), copyTo(b, values.bias), output);
        return output;
      });
      expect(fence, JSON.stringify(s)).toEqual(new Array(4096).fill(SENTINEL));
      close(result, want);
    }
  });

  it('backward: the columns, the gathered dOutput, the bordered or phase block and dWᵀ fit their blocks, and the gradients are the reference\'s', async () => {
    for (const [k, s] of SCRATCH_SHAPES.entries()) {
      const n = sizesOf(s);
      const values = valuesOf(s, 200 + k);
      const want = { dWeight: reference.allocFloats(n.weight), dBias: reference.allocFloats(n.bias), dInput: reference.allocFloats(n.input) };
      reference.conv2dBackward(s, { input: values.input, weight: values.weight, dOutput: values.dOutput, ...want });
      const { result, fence } = await twiceWithFence((b) => {
        const g = { input: copyTo(b, values.input), weight: copyTo(b, values.weight), dOutput: copyTo(b, values.dOutput), dWeight: b.allocFloats(n.weight), dBias: b.allocFloats(n.bias), dInput: b.allocFloats(n.input) };
        b.conv2dBackward(s, g);
        return g;
      });
      expect(fence, JSON.stringify(s)).toEqual(new Array(4096).fill(SENTINEL));
      close(result.dWeight, want.dWeight);
      close(result.dBias, want.dBias);
      close(result.dInput, want.dInput);
    }
  });

  it("backward: the direct weight gradient's tap offsets fit their block (32 taps, no dInput, so that block is the last taken)", async () => {
    const s: Conv2dShape = { batch: 2, inChannels: 2, height: 6, width: 8, outChannels: 4, kernelSize: 4 };
    expect(usesDirectWeightGradient(s)).toBe(true);
    const n = sizesOf(s);
    const values = valuesOf(s, 300);
    const want = { dWeight: reference.allocFloats(n.weight), dBias: reference.allocFloats(n.bias) };
    reference.conv2dBackward(s, { input: values.input, weight: values.weight, dOutput: values.dOutput, ...want, dInput: null });
    const { result, fence } = await twiceWithFence((b) => {
      const g = { input: copyTo(b, values.input), weight: copyTo(b, values.weight), dOutput: copyTo(b, values.dOutput), dWeight: b.allocFloats(n.weight), dBias: b.allocFloats(n.bias), dInput: null };
      b.conv2dBackward(s, g);
      return g;
    });
    expect(fence).toEqual(new Array(4096).fill(SENTINEL));
    close(result.dWeight, want.dWeight);
    close(result.dBias, want.dBias);
  });
});

describe('the scratch a pass takes', () => {
  it('takes no columns block for a backward pass without dInput (its columns are only the input gradient\'s)', async () => {
    // Unpadded, stride 1, patch 18 ≥ F 3: the weight gradient is packed straight from the image, no scratch at all.
    const s: Conv2dShape = { batch: 2, inChannels: 2, height: 5, width: 5, outChannels: 3, kernelSize: 3 };
    const n = sizesOf(s);
    const fresh = await createWasmBackendFromBytes(simdBytes, small);
    try {
      const g = { input: fresh.allocFloats(n.input).fill(1), weight: fresh.allocFloats(n.weight).fill(1), dOutput: fresh.allocFloats(n.output).fill(1), dWeight: fresh.allocFloats(n.weight), dBias: fresh.allocFloats(n.bias) };
      const before = fresh.memoryStats().usedBytes;
      fresh.conv2dBackward(s, { ...g, dInput: null });
      expect(fresh.memoryStats().usedBytes).toBe(before);
      // dOutput and the input all 1: each weight's gradient counts the outputs, N·OH·OW = 2·3·3.
      expect([...g.dWeight]).toEqual(new Array(n.weight).fill(18));
      const dInput = fresh.allocFloats(n.input);
      const withInput = fresh.memoryStats().usedBytes;
      fresh.conv2dBackward(s, { ...g, dInput });
      // With dInput, the columns [C·K·K, OH·OW] = 18 × 9 floats: a block of at least that.
      expect(fresh.memoryStats().usedBytes - withInput).toBeGreaterThanOrEqual(18 * 9 * 4);
    } finally {
      fresh.dispose();
    }
  });
});

describe('the forward per image: bias, and the ReLU fused after each image\'s GEMM', () => {
  it('conv2dForward adds the bias once, conv2dReluForward adds it once and then takes max(·, 0), on each per-image path', () => {
    let seed = 300;
    for (const { s } of PATHS.filter((path) => path.G === 0)) {
      const n = sizesOf(s);
      const random = new Random(seed++);
      const draw = (length: number) => Float64Array.from({ length }, () => random.uniform(-1, 1));
      const [x, w, b] = [draw(n.input), draw(n.weight), draw(n.bias).map((v) => 4 * v)]; // biases up to 4: a bias added twice or not at all shows
      const want = new Float64Array(n.output);
      reference.conv2dForward(s, x, w, b, want);
      const copy = (values: Float64Array) => {
        const array = backend.allocFloats(values.length);
        array.set(values);
        return array;
      };
      const [plain, fused] = [backend.allocFloats(n.output).fill(NaN), backend.allocFloats(n.output).fill(NaN)];
      backend.conv2dForward(s, copy(x), copy(w), copy(b), plain);
      backend.conv2dReluForward(s, copy(x), copy(w), copy(b), fused);
      const worst = (got: Floats, expected: ArrayLike<number>) => Math.max(...[...got].map((v, k) => Math.abs(v - expected[k])));
      expect(worst(plain, want), JSON.stringify(s)).toBeLessThan(1e-4);
      expect(worst(fused, want.map((v) => Math.max(v, 0))), JSON.stringify(s)).toBeLessThan(1e-4);
    }
  });
});

describe("conv2dBackward's refusals", () => {
  it('checks every array against the shape, naming conv2dBackward and the array as the shape checks call it', () => {
    const s: Conv2dShape = { batch: 2, inChannels: 1, height: 4, width: 4, outChannels: 3, kernelSize: 3, stride: 1, padding: 1 };
    const n = sizesOf(s); // input 32, weight 27, bias 3, output 96
    const g = { input: backend.allocFloats(n.input), weight: backend.allocFloats(n.weight), dOutput: backend.allocFloats(n.output), dWeight: backend.allocFloats(n.weight), dBias: backend.allocFloats(n.bias), dInput: backend.allocFloats(n.input) };
    const message = (change: object) => errorOf(() => backend.conv2dBackward(s, { ...g, ...change }), 'ERR_BAD_ARGUMENT').message;
    expect(message({ input: backend.allocFloats(31) })).toBe('conv2dBackward: input has length 31, expected 32');
    expect(message({ weight: backend.allocFloats(28) })).toBe('conv2dBackward: weight has length 28, expected 27');
    expect(message({ dBias: backend.allocFloats(2) })).toBe('conv2dBackward: bias has length 2, expected 3');
    expect(message({ dOutput: backend.allocFloats(95) })).toBe('conv2dBackward: output has length 95, expected 96');
    expect(message({ dInput: backend.allocFloats(33) })).toBe('conv2dBackward: input has length 33, expected 32');
    expect(message({ dWeight: backend.allocFloats(26) })).toBe('conv2dBackward: weight has length 26, expected 27');
    expect(message({ dWeight: new Float32Array(n.weight) })).toBe(
      "conv2dBackward: dWeight is not in this wasm backend's memory: allocate it with this backend's allocFloats (or take a subarray of such an array)",
    );
    expect(errorOf(() => backend.conv2dBackward({ ...s, kernelSize: 7 }, g), 'ERR_BAD_ARGUMENT').message).toBe(
      'conv2dBackward: a 7×7 kernel does not fit a 4×4 input (padded by 1 to 6×6)',
    );
  });
});
