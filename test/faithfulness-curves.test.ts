/**
 * Deletion and insertion curves (src/faithfulness/deletion-insertion.ts) against their definition: with an
 * oracle order on a model whose class probability is a known pixel set; on a real tiny network, every point of
 * every curve against the network run here on the perturbed image built here, one image at a time (so a
 * classifier that does not run the network, or runs it on the wrong images, fails); the perturbed images
 * themselves, channel by channel; the fractions and the trapezoid rule on worked examples.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import {
  areaUnderCurve,
  attributionOrder,
  CURVE_DEFAULTS,
  curveFractions,
  FILLS,
  networkClassifier,
  perturbationCurves,
  randomOrder,
  type ImageClassifier,
} from '../src/faithfulness/deletion-insertion.js';
import { noisyLinearImputation } from '../src/faithfulness/road-imputation.js';
import { Random } from '../src/random.js';
import { refusal } from './errors.js';
import { fisherYates } from './fixtures/fisher-yates.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';

describe('deletion and insertion curves', () => {
  it('the area under a constant curve is that constant, over [0, 1]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (steps, c) => {
        const xs = curveFractions(784, steps);
        expect(xs[0]).toBe(0);
        expect(xs[xs.length - 1]).toBe(1);
        expect(areaUnderCurve(xs, new Float64Array(xs.length).fill(c))).toBeCloseTo(c, 12);
      }),
    );
  });

  it('orders pixels by heatmap, highest first, ties by pixel index', () => {
    expect(Array.from(attributionOrder([0.2, 0.9, 0.2, 1, 0]))).toEqual([3, 1, 0, 2, 4]);
  });

  /**
   * A model of two classes whose class-0 probability is the mean value of a known set S of 12 scattered
   * pixels: the oracle order (S first) is the best possible one for it.
   */
  const S = [30, 75, 101, 150, 222, 260, 333, 401, 460, 530, 611, 700];
  const model: ImageClassifier = (images, count) => {
    const out = new Float32Array(count * 2);
    for (let n = 0; n < count; n++) {
      const p = Math.min(1, Math.max(0, S.reduce((sum, k) => sum + images[n * 784 + k], 0) / S.length));
      out[n * 2] = p;
      out[n * 2 + 1] = 1 - p;
    }
    return out;
  };
  const image = new Float64Array(784);
  for (const k of S) image[k] = 1; // "ink" exactly on S, background 0
  const oracle = Int32Array.from([...S, ...Array.from({ length: 784 }, (_, k) => k).filter((k) => !S.includes(k))]);

  it('with a perfect oracle order: deletion falls to 0 in the first step and insertion rises to 1, under both fills', () => {
    const [curves] = perturbationCurves(model, [{ image, order: oracle, target: 0, seed: 1 }], 28, 28, { steps: 28 });
    for (const fill of ['zero', 'road'] as const) {
      expect(curves.deletion[fill][0]).toBeCloseTo(1, 6); // nothing removed yet
      expect(curves.deletion[fill][1]).toBeLessThan(0.05); // the 28 first pixels hold all of S
      expect(curves.insertion[fill][1]).toBeGreaterThan(0.95);
      expect(curves.insertion[fill][28]).toBeCloseTo(1, 6); // everything back
    }
    expect(curves.insertion.zero[0]).toBe(0);
  });

  it('the oracle beats a random order: lower deletion AUC, higher insertion AUC', () => {
    const xs = curveFractions(784, 28);
    const requests = [{ image, order: oracle, target: 0, seed: 1 }, ...Array.from({ length: 5 }, (_, k) => ({ image, order: randomOrder(784, new Random(k)), target: 0, seed: 1 }))];
    const [best, ...randoms] = perturbationCurves(model, requests, 28, 28);
    for (const fill of ['zero', 'road'] as const) {
      const mean = (pick: (c: (typeof randoms)[0]) => Float64Array) => randoms.reduce((s, c) => s + areaUnderCurve(xs, pick(c)), 0) / randoms.length;
      expect(areaUnderCurve(xs, best.deletion[fill])).toBeLessThan(0.05);
      expect(mean((c) => c.deletion[fill])).toBeGreaterThan(0.3);
      expect(areaUnderCurve(xs, best.insertion[fill])).toBeGreaterThan(0.95);
      expect(mean((c) => c.insertion[fill])).toBeLessThan(0.7);
    }
  });
});

describe('deletion and insertion curves: worked examples', () => {
  it('moves ⌈P/K⌉ pixels a step, the last step what is left', () => {
    expect(Array.from(curveFractions(10, 3))).toEqual([0, 0.4, 0.8, 1]); // 4, 8, then all 10
    expect(Array.from(curveFractions(10, 5))).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(Array.from(curveFractions(3, 5))).toEqual([0, 1 / 3, 2 / 3, 1, 1, 1]); // more steps than pixels
    expect(CURVE_DEFAULTS.steps).toBe(28);
    expect(FILLS).toEqual(['zero', 'road']);
  });

  it('takes the area by the trapezoid rule', () => {
    // (0.4 · (1 + 0.5) + 0.4 · (0.5 + 0.25) + 0.2 · (0.25 + 0)) / 2 = 0.3 + 0.15 + 0.025
    expect(areaUnderCurve([0, 0.4, 0.8, 1], [1, 0.5, 0.25, 0])).toBeCloseTo(0.475, 15);
    expect(areaUnderCurve([0, 1], [0, 1])).toBe(0.5);
    expect(areaUnderCurve([0.5], [3])).toBe(0);
  });

  it('orders negative and tied values too: highest first, ties by pixel index', () => {
    expect(Array.from(attributionOrder([-1, 3, 3, -1, 0, -5]))).toEqual([1, 2, 4, 0, 3, 5]);
  });

  it('draws a random order as Fisher–Yates with the generator', () => {
    for (const seed of [1, 2, 3]) expect(Array.from(randomOrder(50, new Random(seed)))).toEqual(fisherYates(50, new Random(seed)));
  });
});

/** softmax(z)_c, written out. */
const softmaxAt = (logits: ArrayLike<number>, c: number) => Math.exp(logits[c]) / Array.from(logits).reduce((s, z) => s + Math.exp(z), 0);

describe('deletion and insertion curves of a real network', () => {
  const network = tinyNetwork(3);
  const { height, width, classes } = GEOMETRY;
  /** The tiny network's class probabilities of one image, computed here: its forward pass alone, then softmax. */
  const probabilities = (image: ArrayLike<number>) => {
    const logits = Array.from(network.forward(Float64Array.from(image), 1).subarray(0, classes));
    return logits.map((_, c) => softmaxAt(logits, c));
  };
  const imageOf = (seed: number) => {
    const random = new Random(seed);
    return Float64Array.from({ length: PIXELS }, () => (random.next() < 0.4 ? random.next() : 0));
  };

  it('networkClassifier gives each image the softmax of the network\'s logits, in batches of any size', () => {
    const count = 7;
    const images = new Float32Array(count * PIXELS);
    for (let n = 0; n < count; n++) images.set(imageOf(n), n * PIXELS);
    const expected = Array.from({ length: count }, (_, n) => probabilities(images.subarray(n * PIXELS, (n + 1) * PIXELS)));
    for (const batchSize of [1, 3, 7, 256]) {
      const got = networkClassifier(network, batchSize)(images, count);
      expect(got).toHaveLength(count * classes);
      for (let n = 0; n < count; n++) {
        for (let c = 0; c < classes; c++) expect(got[n * classes + c], `batch ${batchSize}, image ${n}, class ${c}`).toBeCloseTo(expected[n][c], 6);
      }
    }
  });

  it('the curve helpers refuse an argument of the wrong kind, naming the function and the argument', () => {
    expect(refusal(() => curveFractions({} as never, 5))).toBe('curveFractions: pixels must be a number, not Object');
    expect(refusal(() => areaUnderCurve(null as never, [0, 1]))).toBe('areaUnderCurve: xs must be an array or a typed array of numbers, not null');
    expect(refusal(() => perturbationCurves(networkClassifier(network), [], 5, 5, 3 as never))).toBe('perturbationCurves: options must be an object (its options), not number');
  });

  it('networkClassifier runs its forward passes through the passes it is given (a thread pool), batch by batch', () => {
    // A stand-in for a pool that answers every image with the logits (0, ln 3, 0, …), whose softmax is 3/(classes + 2)
    // for class 1 and 1/(classes + 2) for the others: the probabilities show whose logits were used, the calls the batches.
    const calls: number[] = [];
    const logits = (_input: unknown, size: number) => {
      calls.push(size);
      return Float32Array.from({ length: size * classes }, (_, k) => (k % classes === 1 ? Math.log(3) : 0));
    };
    const images = new Float32Array(5 * PIXELS);
    const got = networkClassifier(network, 2, { logits } as never)(images, 5);
    expect(calls).toEqual([2, 2, 1]);
    const rest = 1 / (classes + 2); // e^0 = 1 for every class but class 1, whose e^(ln 3) = 3
    for (let n = 0; n < 5; n++) {
      for (let c = 0; c < classes; c++) expect(got[n * classes + c]).toBeCloseTo(c === 1 ? 3 * rest : rest, 6);
    }
  });

  it('gives every point of all four curves as the network run on the image perturbed by hand says', () => {
    const steps = 5;
    const perStep = Math.ceil(PIXELS / steps); // 29 of 144 pixels a step
    const requests = [
      { image: imageOf(10), order: attributionOrder(imageOf(11)), target: 2, seed: 4 },
      { image: imageOf(12), order: randomOrder(PIXELS, new Random(5)), target: 1, seed: 9 },
    ];
    const curves = perturbationCurves(networkClassifier(network), requests, height, width, { steps, road: { sigma: 0.05 } });
    expect(curves).toHaveLength(2);
    requests.forEach((request, r) => {
      const noise = new Random(request.seed); // ROAD's noise: deletion's images first, then insertion's, in step order
      for (const mode of ['deletion', 'insertion'] as const) {
        for (let k = 0; k <= steps; k++) {
          const moved = new Set(Array.from(request.order.subarray(0, Math.min(k * perStep, PIXELS))));
          const removed = Uint8Array.from({ length: PIXELS }, (_, p) => Number(mode === 'deletion' ? moved.has(p) : !moved.has(p)));
          const zeroFilled = Array.from(request.image, (v, p) => (removed[p] ? 0 : v));
          const imputed = noisyLinearImputation(request.image, removed, height, width, noise, { sigma: 0.05 });
          const where = `image ${r}, ${mode}, step ${k}`;
          expect(curves[r][mode].zero[k], `${where}, zero`).toBeCloseTo(probabilities(zeroFilled)[request.target], 6);
          expect(curves[r][mode].road[k], `${where}, road`).toBeCloseTo(probabilities(Float32Array.from(imputed))[request.target], 6);
        }
      }
    });
    // Deletion starts from the image itself, insertion from nothing kept (zero) and ends at the image.
    expect(curves[0].deletion.zero[0]).toBeCloseTo(probabilities(requests[0].image)[2], 6);
    expect(curves[0].insertion.zero[steps]).toBeCloseTo(probabilities(requests[0].image)[2], 6);
    expect(curves[0].insertion.zero[0]).toBeCloseTo(probabilities(new Float64Array(PIXELS))[2], 6);
  });

  it("solves ROAD's systems with the solver it is given: one a step that removes a pixel, and what it returns is imputed", () => {
    // A solver that answers 0 for every unknown, with σ = 0: ROAD's images are then the zero-filled ones, so are its curves.
    const steps = 5;
    let solves = 0;
    const zeros = (_: unknown, b: Float64Array) => ((solves += 1), new Float64Array(b.length));
    const requests = [{ image: imageOf(20), order: randomOrder(PIXELS, new Random(21)), target: 3, seed: 22 }];
    const [curves] = perturbationCurves(networkClassifier(network), requests, height, width, { steps, road: { sigma: 0 } }, zeros);
    // deletion's steps 1 … 5 and insertion's 0 … 4 remove pixels; deletion's step 0 and insertion's last remove none
    expect(solves).toBe(2 * steps);
    for (const mode of ['deletion', 'insertion'] as const) expect(Array.from(curves[mode].road)).toEqual(Array.from(curves[mode].zero));
    expect(refusal(() => perturbationCurves(networkClassifier(network), requests, height, width, {}, 'cg' as never))).toMatch(/^perturbationCurves: solve must be a solver of the ROAD imputation system/);
  });

  it('takes 28 steps by default', () => {
    const [curves] = perturbationCurves(networkClassifier(network), [{ image: imageOf(1), order: randomOrder(PIXELS, new Random(1)), target: 0, seed: 1 }], height, width);
    for (const fill of FILLS) {
      expect(curves.deletion[fill]).toHaveLength(29);
      expect(curves.insertion[fill]).toHaveLength(29);
    }
  });
});

describe('the perturbed images of several channels', () => {
  /** A classifier that keeps the images it is given and answers probability 1 for class 0. */
  function recorder(): { classify: ImageClassifier; seen: Float32Array[] } {
    const seen: Float32Array[] = [];
    return {
      seen,
      classify: (images, count) => {
        seen.push(Float32Array.from(images));
        return Float32Array.from({ length: count * 2 }, (_, k) => (k % 2 === 0 ? 1 : 0));
      },
    };
  }

  it('removes a pixel in every channel, and imputes each channel from its own kept pixels', () => {
    const [height, width, channels] = [3, 4, 2];
    const pixels = height * width;
    const image = Float64Array.from({ length: channels * pixels }, (_, k) => (k < pixels ? 0.1 + k / 20 : 0.9 - (k - pixels) / 30));
    const order = Int32Array.from([5, 0, 11, 3, 7, 1, 2, 4, 6, 8, 9, 10]);
    const { classify, seen } = recorder();
    const steps = 3; // 4 pixels a step
    const [curves] = perturbationCurves(classify, [{ image, order, target: 0, seed: 6 }], height, width, { steps, road: { sigma: 0.02 } });
    expect(Array.from(curves.deletion.zero)).toEqual([1, 1, 1, 1]);
    expect(seen).toHaveLength(1); // one call for everything
    const images = seen[0];
    const size = channels * pixels;
    expect(images).toHaveLength(4 * (steps + 1) * size);
    const noise = new Random(6);
    for (const [curve, mode] of [[0, 'deletion'], [2, 'insertion']] as const) {
      for (let k = 0; k <= steps; k++) {
        const moved = new Set(Array.from(order.subarray(0, k * 4)));
        const removed = Uint8Array.from({ length: pixels }, (_, p) => Number(mode === 'deletion' ? moved.has(p) : !moved.has(p)));
        const zero = images.subarray((curve * (steps + 1) + k) * size, (curve * (steps + 1) + k + 1) * size);
        const road = images.subarray(((curve + 1) * (steps + 1) + k) * size, ((curve + 1) * (steps + 1) + k + 1) * size);
        for (let c = 0; c < channels; c++) {
          const plane = image.subarray(c * pixels, (c + 1) * pixels);
          const expectedZero = Array.from(plane, (v, p) => Math.fround(removed[p] ? 0 : v));
          expect(Array.from(zero.subarray(c * pixels, (c + 1) * pixels)), `${mode} ${k} channel ${c} zero`).toEqual(expectedZero);
          const imputed = noisyLinearImputation(plane, removed, height, width, noise, { sigma: 0.02 });
          expect(Array.from(road.subarray(c * pixels, (c + 1) * pixels)), `${mode} ${k} channel ${c} road`).toEqual(Array.from(imputed, Math.fround));
        }
      }
    }
  });

  it('follows each request\'s own target class', () => {
    const classify: ImageClassifier = (_images, count) => Float32Array.from({ length: count * 3 }, (_, k) => (k % 3) / 10 + Math.floor(k / 3) / 1000);
    const order = Int32Array.from([0, 1, 2, 3]);
    const [a, b] = perturbationCurves(classify, [{ image: [1, 1, 1, 1], order, target: 2, seed: 1 }, { image: [1, 1, 1, 1], order, target: 1, seed: 1 }], 2, 2, { steps: 2 });
    // 3 points a curve, 4 curves an image: image a's rows 0–11, b's 12–23; the value is class/10 + row/1000.
    expect(Array.from(a.deletion.zero, (v) => Math.round(v * 1e4) / 1e4)).toEqual([0.2, 0.201, 0.202]);
    expect(Array.from(a.insertion.road, (v) => Math.round(v * 1e4) / 1e4)).toEqual([0.209, 0.21, 0.211]);
    expect(Array.from(b.deletion.road, (v) => Math.round(v * 1e4) / 1e4)).toEqual([0.115, 0.116, 0.117]);
    expect(Array.from(b.insertion.zero, (v) => Math.round(v * 1e4) / 1e4)).toEqual([0.118, 0.119, 0.12]);
  });

  it('gives no curves for no images', () => {
    expect(perturbationCurves(() => new Float32Array(0), [], 28, 28)).toEqual([]);
  });

  it('refuses images of different sizes, naming the one that differs', () => {
    const order = Int32Array.from([0, 1, 2, 3]);
    const call = () => perturbationCurves(() => new Float32Array(0), [{ image: [1, 1, 1, 1], order, target: 0, seed: 1 }, { image: [1, 1, 1, 1, 1, 1, 1, 1, 1], order, target: 0, seed: 1 }], 2, 2);
    expect(call).toThrow(new XcnnError('perturbationCurves: image 1 has 9 values but image 0 has 4; give images of one shape', { exitCode: 2, code: 'ERR_BAD_ARGUMENT' }));
  });
});
