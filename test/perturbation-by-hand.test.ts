/**
 * The perturbation methods (src/explain/methods/perturbation.ts) on a "network" whose logits are linear in the
 * input, where each method's answer has a closed form: occlusion's map is the mean, over the windows covering a
 * pixel, of the weighted sum the window removes; KernelSHAP's value of a patch is the weighted sum of its pixels
 * (the Shapley value of an additive game). Several channels, a non-square input and patches that do not divide it.
 * Then KernelSHAP's sampling (sizes ∝ (M − 1)/(s(M − s)), uniform subsets, paired complements) and its constrained
 * fit against a second solver, LIME's batch against its parts, and every refusal's one line.
 */
import { describe, expect, it } from 'vitest';
import type { Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import type { ExplanationRows } from '../src/explain/methods/explain.js';
import { choleskySolve, kernelShap, kernelShapMethod, lime, limeCoalitions, limeFit, limeMethod, occlusionMethod, patchFeatures, type CoalitionValue } from '../src/explain/methods/perturbation.js';
import type { Network } from '../src/model/network.js';
import { Workspace } from '../src/model/workspace.js';
import { Random } from '../src/random.js';

const backend = new ReferenceBackend({ precision: 'float64' });

/** Weights [classes, C·H·W] of the linear "network": distinct numbers of both signs. */
function weightsOf(classes: number, size: number): Float64Array {
  return Float64Array.from({ length: classes * size }, (_, k) => (((k * 37) % 101) - 50) / 25 + 0.01 * Math.floor(k / size));
}

/** A "network" of input [C, H, W] with logits = W x (exact in float64), counting the copies it forwards. */
function linearNetwork(inputShape: [number, number, number], classes: number): Network & { rows: number } {
  const size = inputShape[0] * inputShape[1] * inputShape[2];
  const weights = weightsOf(classes, size);
  const network = {
    backend,
    workspace: new Workspace(backend),
    inputShape,
    outputShape: [classes],
    rows: 0,
    forward(input: Floats, batch: number): Floats {
      network.rows += batch;
      const logits = new Float64Array(batch * classes);
      for (let b = 0; b < batch; b++) {
        for (let j = 0; j < classes; j++) for (let i = 0; i < size; i++) logits[b * classes + j] += weights[j * size + i] * input[b * size + i];
      }
      return logits;
    },
    // The logits-only pass (Network.logits) is forward's logits.
    logits(this: { forward(input: Floats, batch: number): Floats }, input: Floats, batch: number): Floats {
      return this.forward(input, batch);
    },
    zeroGrad() {},
  };
  return network as unknown as Network & { rows: number };
}

/** The rows explainBatch writes for `size` images of an H × W input. */
function rowsFor(size: number, classes: number, pixels: number): ExplanationRows {
  return { logits: new Float32Array(size * classes), targets: new Int32Array(size), maps: new Float32Array(size * pixels), completenessGaps: new Float32Array(size) };
}

/** `size` seeded images [size, C, H, W] in [0, 1), with `blank(c, y, x)` pixels at 0. */
function imagesOf(size: number, shape: [number, number, number], seed: number, blank: (c: number, y: number, x: number) => boolean = () => false): Float64Array {
  const [channels, height, width] = shape;
  const random = new Random(seed);
  return Float64Array.from({ length: size * channels * height * width }, (_, i) => {
    const [c, y, x] = [Math.floor(i / (height * width)) % channels, Math.floor(i / width) % height, i % width];
    const v = 0.1 + random.next();
    return blank(c, y, x) ? 0 : v;
  });
}

/** w_target · x over the given (c, y, x) of one image: the logit its pixels contribute. */
function contribution(image: ArrayLike<number>, shape: [number, number, number], classes: number, target: number, keep: (y: number, x: number) => boolean): number {
  const [channels, height, width] = shape;
  const size = channels * height * width;
  const weights = weightsOf(classes, size);
  let sum = 0;
  for (let c = 0; c < channels; c++) for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (keep(y, x)) sum += weights[target * size + (c * height + y) * width + x] * image[(c * height + y) * width + x];
  return sum;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function messageOf(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    expect((error as XcnnError).code).toBe('ERR_BAD_ARGUMENT');
    return (error as Error).message;
  }
  throw new Error('expected a refusal');
}

describe('occlusion on a linear network, against its closed form', () => {
  // y_c(x) − y_c(x_{−k}) is what window k removes: Σ over its pixels and every channel of w_c · x.
  function occlusionByHand(image: ArrayLike<number>, shape: [number, number, number], classes: number, target: number, window: number, stride: number): Float64Array {
    const [, height, width] = shape;
    const sum = new Float64Array(height * width);
    const covering = new Float64Array(height * width);
    for (let y0 = 0; y0 + window <= height; y0 += stride) {
      for (let x0 = 0; x0 + window <= width; x0 += stride) {
        const removed = contribution(image, shape, classes, target, (y, x) => y >= y0 && y < y0 + window && x >= x0 && x < x0 + window);
        for (let y = y0; y < y0 + window; y++) for (let x = x0; x < x0 + window; x++) (sum[y * width + x] += removed), covering[y * width + x]++;
      }
    }
    return Float64Array.from(sum, (s, p) => (covering[p] === 0 ? 0 : s / covering[p]));
  }

  const cases: Array<{ shape: [number, number, number]; window: number; stride: number }> = [
    { shape: [2, 5, 7], window: 2, stride: 2 }, // rows 0–3 and columns 0–5 covered: row 4 and column 6 never
    { shape: [2, 5, 7], window: 3, stride: 2 }, // overlapping windows
    { shape: [3, 6, 4], window: 4, stride: 1 }, // the window as wide as the input
    { shape: [2, 4, 6], window: 1, stride: 3 },
  ];
  for (const { shape, window, stride } of cases) {
    it(`${shape.join(' × ')}, window ${window}, stride ${stride}: each pixel's map is the mean of what its windows remove; the logits and targets are the clean pass's`, () => {
      const classes = 3;
      const network = linearNetwork(shape, classes);
      const pixels = shape[1] * shape[2];
      const size = 3;
      const input = imagesOf(size, shape, 7 + window);
      const out = rowsFor(size, classes, pixels);
      occlusionMethod({ window, stride }).explainBatch(network, input, size, undefined, out, new Float64Array(size * classes));
      const imageSize = shape[0] * pixels;
      for (let b = 0; b < size; b++) {
        const image = input.subarray(b * imageSize, (b + 1) * imageSize);
        const logits = Array.from({ length: classes }, (_, j) => contribution(image, shape, classes, j, () => true));
        Array.from(out.logits.subarray(b * classes, (b + 1) * classes)).forEach((v, j) => expect(v).toBeCloseTo(logits[j], 5));
        expect(out.targets[b]).toBe(argmax(logits));
        const expected = occlusionByHand(image, shape, classes, out.targets[b], window, stride);
        Array.from(out.maps.subarray(b * pixels, (b + 1) * pixels)).forEach((v, p) => expect(v, `image ${b}, pixel ${p}`).toBeCloseTo(expected[p], 5));
      }
    });
  }

  it('explains the class asked for, not the predicted one', () => {
    const shape: [number, number, number] = [2, 4, 5];
    const network = linearNetwork(shape, 3);
    const input = imagesOf(2, shape, 3);
    const out = rowsFor(2, 3, 20);
    occlusionMethod({ window: 2, stride: 1 }).explainBatch(network, input, 2, 1, out, new Float64Array(6));
    expect(Array.from(out.targets)).toEqual([1, 1]);
    for (let b = 0; b < 2; b++) {
      const expected = occlusionByHand(input.subarray(b * 40, (b + 1) * 40), shape, 3, 1, 2, 1);
      Array.from(out.maps.subarray(b * 20, (b + 1) * 20)).forEach((v, p) => expect(v).toBeCloseTo(expected[p], 5));
    }
  });

  it('forwards only the windows that occlude something: blank in every channel is skipped, blank in one channel is not', () => {
    // 2 × 4 × 6, window 2, stride 2: 2 × 3 = 6 windows. Channel 0 is black in columns 0–3, channel 1 in columns 0–1 and in
    // rows 2–3: windows (0, 0) and (2, 0) are black in both channels (skipped); (0, 2) is lit in channel 1; (2, 2) is
    // black in both (skipped); the two at column 4 are lit. 3 windows forwarded, after the clean pass's 1 image.
    const shape: [number, number, number] = [2, 4, 6];
    const network = linearNetwork(shape, 2);
    const input = imagesOf(1, shape, 5, (c, y, x) => (c === 0 ? x < 4 : x < 2 || (y >= 2 && x < 4)));
    const out = rowsFor(1, 2, 24);
    occlusionMethod({ window: 2, stride: 2 }).explainBatch(network, input, 1, 0, out, new Float64Array(2));
    expect(network.rows).toBe(1 + 3);
    const expected = occlusionByHand(input, shape, 2, 0, 2, 2);
    Array.from(out.maps).forEach((v, p) => expect(v).toBeCloseTo(expected[p], 5));
    expect(out.maps[0]).toBe(0); // a skipped window's pixels: exactly 0
  });

  it('refuses a window or a stride that is not a whole number ≥ 1, and a window larger than either side, each in one line', () => {
    expect(messageOf(() => occlusionMethod({ window: 0 }))).toBe('Occlusion: the window must be a whole number ≥ 1, not 0');
    expect(messageOf(() => occlusionMethod({ window: 2.5 }))).toBe('Occlusion: the window must be a whole number ≥ 1, not 2.5');
    expect(messageOf(() => occlusionMethod({ stride: 0 }))).toBe('Occlusion: the stride must be a whole number ≥ 1, not 0');
    expect(messageOf(() => occlusionMethod({ stride: 1.5 }))).toBe('Occlusion: the stride must be a whole number ≥ 1, not 1.5');
    expect(occlusionMethod({ window: 1, stride: 1 }).name).toBe('occlusion');
    const run = (shape: [number, number, number], window: number) => occlusionMethod({ window, stride: 1 }).explainBatch(linearNetwork(shape, 2), imagesOf(1, shape, 1), 1, undefined, rowsFor(1, 2, shape[1] * shape[2]), new Float64Array(2));
    expect(messageOf(() => run([1, 4, 6], 5))).toBe('Occlusion: the window (5) is larger than the 4 × 6 input; give a smaller window');
    expect(messageOf(() => run([1, 6, 4], 5))).toBe('Occlusion: the window (5) is larger than the 6 × 4 input; give a smaller window');
    expect(() => run([1, 5, 5], 5)).not.toThrow();
  });

  it('is a signed, forward-only method on the input with the input\'s map shape, 4 × 4 windows at stride 2 by default', () => {
    const method = occlusionMethod();
    expect([method.name, method.title, method.layer, method.signed, method.needs]).toEqual(['occlusion', 'Occlusion', 'input', true, ['forward-only']]);
    expect(method.mapShape(linearNetwork([2, 5, 7], 2))).toEqual([5, 7]);
    // The default window, 4 × 4 at stride 2, on an 8 × 6 input: windows at rows 0, 2, 4 and columns 0, 2; map as by hand.
    const shape: [number, number, number] = [1, 8, 6];
    const network = linearNetwork(shape, 2);
    const input = imagesOf(1, shape, 2);
    const out = rowsFor(1, 2, 48);
    method.explainBatch(network, input, 1, 0, out, new Float64Array(2));
    const expected = occlusionByHand(input, shape, 2, 0, 4, 2);
    Array.from(out.maps).forEach((v, p) => expect(v).toBeCloseTo(expected[p], 5));
  });
});

describe('KernelSHAP and LIME through their methods on a linear network', () => {
  it('KernelSHAP: a patch\'s value is what its pixels contribute (exact for an additive game), spread evenly; the gap is ~0', () => {
    // 2 × 5 × 7 at p = 3: 2 × 3 = 6 patches, the last row of patches 2 high and the last column 1 wide.
    const shape: [number, number, number] = [2, 5, 7];
    const [classes, size, patch] = [3, 2, 3];
    const network = linearNetwork(shape, classes);
    const input = imagesOf(size, shape, 11);
    const out = rowsFor(size, classes, 35);
    const method = kernelShapMethod({ patch, samples: 64, seed: 3 });
    expect([method.name, method.title, method.layer, method.signed, method.reportsCompletenessGap, method.seed, method.needs]).toEqual(['kernel-shap', 'KernelSHAP', 'input', true, true, 3, ['forward-only']]);
    method.explainBatch(network, input, size, undefined, out, new Float64Array(size * classes));
    const { featureOf } = patchFeatures(5, 7, patch);
    const patchPixels = [9, 9, 3, 6, 6, 2];
    for (let b = 0; b < size; b++) {
      const image = input.subarray(b * 70, (b + 1) * 70);
      const target = out.targets[b];
      expect(target).toBe(argmax(Array.from({ length: classes }, (_, j) => contribution(image, shape, classes, j, () => true))));
      for (let p = 0; p < 35; p++) {
        const i = featureOf[p];
        const value = contribution(image, shape, classes, target, (y, x) => featureOf[y * 7 + x] === i);
        expect(out.maps[b * 35 + p], `image ${b}, pixel ${p}`).toBeCloseTo(value / patchPixels[i], 5);
      }
      expect(out.completenessGaps[b]).toBeLessThan(1e-9);
    }
  });

  it('KernelSHAP reports the gap |Σ map − (y_c(x) − f(0))|: a network whose black image scores 5 still closes it', () => {
    const shape: [number, number, number] = [1, 4, 4];
    const linear = linearNetwork(shape, 2);
    // The same logits plus 5 on every class: f(0) = 5, and Σ φ = y_c(x) − 5 as before.
    const shifted = { ...linear, forward: (input: Floats, batch: number) => Float64Array.from(linear.forward(input, batch), (v) => v + 5) } as unknown as Network;
    const out = rowsFor(1, 2, 16);
    kernelShapMethod({ patch: 2, samples: 32 }).explainBatch(shifted, imagesOf(1, shape, 2), 1, 1, out, new Float64Array(2));
    expect(out.targets[0]).toBe(1);
    expect(out.completenessGaps[0]).toBeLessThan(1e-9);
    const sum = out.maps.reduce((s, v) => s + v, 0);
    expect(sum).toBeCloseTo(out.logits[1] - 5, 4);
  });

  it('LIME: the batch\'s maps are limeFit of each image\'s coalitions (drawn image after image from the seed) and their scores, β spread over each patch', () => {
    const shape: [number, number, number] = [2, 4, 5];
    const [classes, size, patch, samples] = [3, 3, 2, 40];
    const network = linearNetwork(shape, classes);
    const input = imagesOf(size, shape, 13);
    const out = rowsFor(size, classes, 20);
    const method = limeMethod({ patch, samples, seed: 6 });
    expect([method.name, method.title, method.reportsCompletenessGap, method.seed]).toEqual(['lime', 'LIME', false, 6]);
    method.explainBatch(network, input, size, undefined, out, new Float64Array(size * classes));
    const { features, featureOf } = patchFeatures(4, 5, patch); // 2 × 3 = 6 patches: 4, 4, 2, 4, 4, 2 pixels
    const patchPixels = [4, 4, 2, 4, 4, 2];
    const random = new Random(6);
    for (let b = 0; b < size; b++) {
      const image = input.subarray(b * 40, (b + 1) * 40);
      const target = out.targets[b];
      const z = limeCoalitions(features, samples, random);
      const f = Float64Array.from({ length: samples }, (_, k) => contribution(image, shape, classes, target, (y, x) => z[k * features + featureOf[y * 5 + x]] === 1));
      const { beta } = limeFit(z, f, features, samples);
      for (let p = 0; p < 20; p++) expect(out.maps[b * 20 + p], `image ${b}, pixel ${p}`).toBeCloseTo(beta[featureOf[p]] / patchPixels[featureOf[p]], 5);
      expect(out.completenessGaps[b]).toBe(0);
    }
  });

  it('KernelSHAP\'s gap compares Σ map with the clean pass\'s logit: a network whose logits grow by ½ an image in the batch leaves a gap of ½ (count − 1)', () => {
    // The clean pass forwards 1 image: y(x) + ½. f(0) and f(1) come from one chunk of 2 + 32 copies, 17 more each, so
    // Σ map = Σ φ = f(1) − f(0) = y(x), while y_c(x) − f(0) = y(x) + ½ − 17: the gap is |½ − 17| = 16.5.
    const shape: [number, number, number] = [1, 4, 4];
    const linear = linearNetwork(shape, 2);
    const drifting = { ...linear, forward: (input: Floats, batch: number) => Float64Array.from(linear.forward(input, batch), (v) => v + batch / 2) } as unknown as Network;
    const out = rowsFor(1, 2, 16);
    kernelShapMethod({ patch: 2, samples: 32 }).explainBatch(drifting, imagesOf(1, shape, 3), 1, 0, out, new Float64Array(2));
    expect(out.completenessGaps[0]).toBeCloseTo(16.5, 5);
  });

  it('LIME draws and fits at most 4 MB of coalitions at a time: 784 patches × 2,048 samples is 1.6 MB an image, so 5 images go in groups of 2, 2 and 1', () => {
    const shape: [number, number, number] = [1, 28, 28];
    const network = linearNetwork(shape, 2);
    const [size, samples, m] = [5, 2048, 784];
    const groups: number[] = [];
    const drawn: Uint8Array[] = [];
    const passes = {
      logits: (input: Floats, batch: number) => network.forward(input, batch),
      coalitionScores: (_image: Floats, _target: number, _featureOf: Int32Array, _features: number, _z: Uint8Array, count: number) => new Float64Array(count),
      // Image b of group g is fitted as β_i = 100 g + b for every patch, its intercept −1: the maps tell the images apart.
      limeFits: (coalitions: Uint8Array, _scores: Float64Array, features: number, _samples: number, count: number) => {
        drawn.push(Uint8Array.from(coalitions));
        const fits = new Float64Array(count * (features + 1));
        for (let b = 0; b < count; b++) fits.fill(100 * groups.length + b, b * (features + 1), b * (features + 1) + features).fill(-1, b * (features + 1) + features, (b + 1) * (features + 1));
        groups.push(count);
        return fits;
      },
    } as unknown as Parameters<ReturnType<typeof limeMethod>['explainBatch']>[8];
    const out = rowsFor(size, 2, m);
    limeMethod({ patch: 1, samples, seed: 4 }).explainBatch(network, imagesOf(size, shape, 1), size, 0, out, new Float64Array(2 * size), undefined, undefined, passes);
    expect(groups).toEqual([2, 2, 1]);
    const expected = [0, 1, 100, 101, 200]; // image n: group ⌊n/2⌋, place n mod 2
    for (let n = 0; n < size; n++) expect(out.maps[n * m + 7], `image ${n}`).toBe(expected[n]);
    // The coalitions: one stream from the seed, image after image, whatever the groups.
    const random = new Random(4);
    const stream = Array.from({ length: size }, () => limeCoalitions(m, samples, random));
    expect(drawn.map((z) => z.length)).toEqual([2, 2, 1].map((count) => count * samples * m));
    const differences = (a: Uint8Array, b: Uint8Array) => a.reduce((d, v, i) => d + (v === b[i] ? 0 : 1), a.length === b.length ? 0 : 1);
    expect([differences(drawn[2], stream[4]), differences(drawn[1].subarray(samples * m), stream[3]), differences(drawn[0].subarray(0, samples * m), stream[0])]).toEqual([0, 0, 0]);
  });

  it('refuses a patch or a sample count out of range, naming the method, in one line', () => {
    expect(messageOf(() => kernelShapMethod({ patch: 0 }))).toBe('KernelSHAP: the patch must be a whole number ≥ 1, not 0');
    expect(messageOf(() => limeMethod({ patch: 1.5 }))).toBe('LIME: the patch must be a whole number ≥ 1, not 1.5');
    expect(messageOf(() => kernelShapMethod({ samples: 1 }))).toBe('KernelSHAP: samples must be a whole number ≥ 2, not 1');
    expect(messageOf(() => limeMethod({ samples: 2.5 }))).toBe('LIME: samples must be a whole number ≥ 2, not 2.5');
    expect(kernelShapMethod({ patch: 1, samples: 2 }).name).toBe('kernel-shap');
    expect(messageOf(() => kernelShap(6, 4, new Random(1), () => new Float64Array(6)))).toBe('KernelSHAP: 4 samples do not determine 6 features; give more samples (a few times the number of patches)');
  });
});

describe('KernelSHAP\'s sampling and fit', () => {
  /** Runs kernelShap and keeps the coalitions it asks the value of. */
  function sampled(m: number, samples: number, seed: number, value: (row: Uint8Array) => number) {
    let asked = new Uint8Array(0);
    const fit = kernelShap(m, samples, new Random(seed), (z, count) => {
      asked = Uint8Array.from(z);
      expect(z.length).toBe(count * m);
      return Float64Array.from({ length: count }, (_, k) => value(z.subarray(k * m, (k + 1) * m)));
    });
    return { fit, z: asked, count: asked.length / m };
  }

  it('asks f(0), f(1), then pairs of a coalition and its complement, of sizes 1 to M − 1 with probability ∝ 1/(s(M − s)), subsets uniform', () => {
    const m = 6;
    const { z, count } = sampled(m, 12001, 4, () => 0.5);
    expect(count).toBe(2 + 2 * 6001); // the samples rounded up to pairs, after f(0) and f(1)
    expect(Array.from(z.subarray(0, 2 * m))).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    const bySize = new Array<number>(m + 1).fill(0);
    const inSizeOne = new Array<number>(m).fill(0);
    let notComplements = 0;
    for (let k = 2; k < count; k += 2) {
      const row = z.subarray(k * m, (k + 1) * m);
      const complement = z.subarray((k + 1) * m, (k + 2) * m);
      if (row.some((v, i) => v + complement[i] !== 1)) notComplements++;
      const s = row.reduce((t, v) => t + v, 0);
      bySize[s]++;
      if (s === 1) inSizeOne[row.indexOf(1)]++;
    }
    expect(notComplements).toBe(0);
    expect([bySize[0], bySize[m]]).toEqual([0, 0]);
    // P(s) = (1/(s(M−s))) / Σ: 1/5, 1/8, 1/9, 1/8, 1/5 over their sum 137/180.
    const pairs = 6001;
    const weights = [1 / 5, 1 / 8, 1 / 9, 1 / 8, 1 / 5];
    const total = weights.reduce((a, b) => a + b, 0);
    weights.forEach((w, k) => {
      const p = w / total;
      const sd = Math.sqrt(pairs * p * (1 - p));
      expect(Math.abs(bySize[k + 1] - pairs * p), `size ${k + 1}: ${bySize[k + 1]} of ${pairs}`).toBeLessThan(4 * sd);
    });
    // Size 1 is one feature, uniform over the six.
    const ones = bySize[1];
    inSizeOne.forEach((n, i) => expect(Math.abs(n - ones / m), `feature ${i}`).toBeLessThan(4 * Math.sqrt((ones * (1 / m) * (1 - 1 / m)))));
  });

  it('fits the least squares of f(z) − f(0) on z under Σ φ = f(1) − f(0), as a Lagrange system solved by Gauss–Jordan here', () => {
    // A game with interactions, so that the fit is not exact and the solution depends on every sample.
    const m = 5;
    const game = (z: ArrayLike<number>) => 0.3 + 2 * z[0] * z[1] - z[2] + 1.5 * z[1] * z[3] * z[4] + 0.25 * z[4];
    const { fit, z, count } = sampled(m, 40, 8, game);
    const f = Array.from({ length: count }, (_, k) => game(z.subarray(k * m, (k + 1) * m)));
    const [empty, full] = [f[0], f[1]];
    // Minimise Σ_{k ≥ 2} (f_k − f(0) − Σ_i φ_i z_ki)² with Σ φ = Δ: [ZᵀZ 1; 1ᵀ 0] [φ; μ] = [Zᵀ(f − f(0)); Δ].
    const n = m + 1;
    const a = Array.from({ length: n }, () => new Array<number>(n + 1).fill(0));
    for (let k = 2; k < count; k++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < m; j++) a[i][j] += z[k * m + i] * z[k * m + j];
        a[i][n] += z[k * m + i] * (f[k] - empty);
      }
    }
    for (let i = 0; i < m; i++) a[i][m] = a[m][i] = 1;
    a[m][n] = full - empty;
    for (let col = 0; col < n; col++) {
      let pivot = col;
      for (let r = col + 1; r < n; r++) if (Math.abs(a[r][col]) > Math.abs(a[pivot][col])) pivot = r;
      [a[col], a[pivot]] = [a[pivot], a[col]];
      for (let r = 0; r < n; r++) {
        if (r === col) continue;
        const factor = a[r][col] / a[col][col];
        for (let c = col; c <= n; c++) a[r][c] -= factor * a[col][c];
      }
    }
    const phi = a.slice(0, m).map((row, i) => row[n] / row[i]);
    expect([fit.empty, fit.full]).toEqual([empty, full]);
    fit.phi.forEach((v, i) => expect(Math.abs(v - phi[i]), `φ_${i}: ${v} against ${phi[i]}`).toBeLessThan(1e-10));
    expect(Math.max(...fit.phi) - Math.min(...fit.phi)).toBeGreaterThan(0.1);
  });

  it('gives the one feature of M = 1 all of f(1) − f(0), from those two values alone', () => {
    const { fit, count } = sampled(1, 50, 1, (row) => (row[0] === 1 ? 7.5 : 2));
    expect(count).toBe(2);
    expect(Array.from(fit.phi)).toEqual([5.5]);
    expect([fit.empty, fit.full]).toEqual([2, 7.5]);
  });

  it('M = 2: every pair is {1}, {2}; φ solves the fit exactly for an additive game', () => {
    const additive: CoalitionValue = (z, count) => Float64Array.from({ length: count }, (_, k) => 1 + 3 * z[2 * k] - 2 * z[2 * k + 1]);
    const fit = kernelShap(2, 4, new Random(2), additive);
    expect(fit.phi[0]).toBeCloseTo(3, 12);
    expect(fit.phi[1]).toBeCloseTo(-2, 12);
  });
});

describe('the Cholesky solver\'s test of definiteness is relative to the matrix\'s scale', () => {
  const solve = (scale: number, a: number[], b: number[]) => choleskySolve(Float64Array.from(a, (v) => v * scale), Float64Array.from(b, (v) => v * scale), Math.sqrt(a.length));

  it('solves a well-conditioned system at any scale: 10⁻¹⁴ and 10⁶ times [[4, 2], [2, 5]] x = (8, 1) give x = (2.375, −0.75)', () => {
    for (const scale of [1e-14, 1, 1e6]) {
      const x = solve(scale, [4, 2, 2, 5], [8, 1])!;
      expect(x[0], `scale ${scale}`).toBeCloseTo(2.375, 10);
      expect(x[1], `scale ${scale}`).toBeCloseTo(-0.75, 10);
    }
  });

  it('refuses a pivot below 10⁻¹² of the largest diagonal: [[1, 1], [1, 1 + 10⁻¹³]] at scale 10⁶ (pivot 10⁻⁷), also when the large entry is last', () => {
    expect(solve(1e6, [1, 1, 1, 1 + 1e-13], [1, 2])).toBeNull();
    expect(solve(1e6, [1 + 1e-13, 1, 1, 1], [1, 2])).toBeNull();
    // 1 + 10⁻¹⁰ leaves a pivot of 10⁻⁴, 10⁻¹⁰ of the diagonal: solved, x = (1 − 10¹⁰, 10¹⁰) for b = (1, 2)·10⁶.
    const x = solve(1e6, [1, 1, 1, 1 + 1e-10], [1, 2])!;
    expect(x[1] / 1e10).toBeCloseTo(1, 4);
    expect((x[0] + x[1]) / 1).toBeCloseTo(1, 2);
  });
});

describe('the fits\' argument checks', () => {
  it.each([
    ['kernelShap features', () => kernelShap('6' as never, 10, new Random(1), () => new Float64Array(0)), 'kernelShap: features must be a number, not string'],
    ['kernelShap samples', () => kernelShap(6, null as never, new Random(1), () => new Float64Array(0)), 'kernelShap: samples must be a number, not null'],
    ['kernelShap random', () => kernelShap(6, 10, {} as never, () => new Float64Array(0)), 'kernelShap: random must be a Random (new Random(seed)), not Object'],
    ['kernelShap value', () => kernelShap(6, 10, new Random(1), 3 as never), 'kernelShap: value must be a function from a coalition to its value, not number'],
    ['lime features', () => lime([] as never, 10, new Random(1), () => new Float64Array(0)), 'lime: features must be a number, not Array'],
    ['lime samples', () => lime(6, '10' as never, new Random(1), () => new Float64Array(0)), 'lime: samples must be a number, not string'],
    ['lime random', () => lime(6, 10, 1 as never, () => new Float64Array(0)), 'lime: random must be a Random (new Random(seed)), not number'],
    ['lime value', () => lime(6, 10, new Random(1), {} as never), 'lime: value must be a function from a coalition to its value, not Object'],
    ['occlusionMethod options', () => occlusionMethod({ size: 3 } as never), 'occlusionMethod: options.size is not an option; the options are window, stride'],
    ['kernelShapMethod options', () => kernelShapMethod({ patches: 3 } as never), 'kernelShapMethod: options.patches is not an option; the options are patch, samples, seed'],
    ['limeMethod options', () => limeMethod({ sample: 3 } as never), 'limeMethod: options.sample is not an option; the options are patch, samples, seed'],
    ['lime options', () => lime(6, 10, new Random(1), () => new Float64Array(10), { kernelWidth: 0.25 } as never), 'lime: options.lambda must be a number (options: kernelWidth and lambda, as LIME_FIT_DEFAULTS), not undefined'],
  ])('%s', (_, work, message) => {
    expect(messageOf(work)).toBe(message);
  });
});

/** A generator that counts the 32-bit words drawn from it. */
class CountingRandom extends Random {
  words = 0;
  override nextUint32(): number {
    this.words++;
    return super.nextUint32();
  }
}

describe('what the seeded fits draw from the generator', () => {
  it('KernelSHAP draws one number for each pair\'s size and one for each member of its subset, nothing else', () => {
    const m = 6;
    const random = new CountingRandom(12);
    let asked = new Uint8Array(0);
    kernelShap(m, 40, random, (z, count) => ((asked = Uint8Array.from(z)), Float64Array.from({ length: count }, (_, k) => z[k * m] + 2 * z[k * m + 3])));
    let expected = 0;
    for (let k = 2; k < asked.length / m; k += 2) expected += 1 + asked.subarray(k * m, (k + 1) * m).reduce((s, v) => s + v, 0);
    expect(random.words).toBe(expected);
  });

  it('LIME\'s coalitions: the first all on, then patch i of the others on when its draw is below ½, one draw a patch', () => {
    const [m, samples] = [5, 30];
    const random = new CountingRandom(3);
    const z = limeCoalitions(m, samples, random);
    const again = new Random(3);
    const expected = Uint8Array.from({ length: samples * m }, (_, i) => (i < m ? 1 : again.next() < 0.5 ? 1 : 0));
    expect(Array.from(z)).toEqual(Array.from(expected));
    expect(random.words).toBe((samples - 1) * m);
  });
});

describe('the Cholesky solver\'s scale is its largest diagonal entry', () => {
  it('refuses a first pivot of 10⁻⁷ beside a diagonal of 10⁶ further down (the upper triangle left 0, as the fits leave it)', () => {
    expect(choleskySolve(Float64Array.of(1e-7, 0, 0, 1e6), Float64Array.of(1, 1), 2)).toBeNull();
    expect(choleskySolve(Float64Array.of(1e-7, 0, 0, 1e-7), Float64Array.of(1, 1), 2)).not.toBeNull();
  });

  it('refuses a pivot of exactly 10⁻¹² of the largest diagonal, and takes one just above', () => {
    const edge = 1e-12 * 1e12;
    expect(choleskySolve(Float64Array.of(1e12, 0, 0, edge), Float64Array.of(1, 1), 2)).toBeNull();
    expect(choleskySolve(Float64Array.of(1e12, 0, 0, 2 * edge), Float64Array.of(1, 1), 2)).not.toBeNull();
  });
});
