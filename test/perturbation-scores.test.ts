/**
 * The perturbed copies the perturbation family forwards (src/explain/coalition-scores.ts,
 * src/explain/occlusion-scores.ts): every copy starts as the image, keeps what its coalition or window keeps,
 * and its score is the target's logit, over several chunks of CHUNK copies and several channels. The expected
 * scores are worked out here by brute force: a "network" whose logits are weighted sums of the input with
 * weights that tell every pixel apart, applied to copies masked pixel by pixel from the definition.
 */
import { describe, expect, it } from 'vitest';
import type { Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { BASELINE, CHUNK, coalitionScoresOn, forwardCopies, scoreCopies } from '../src/explain/coalition-scores.js';
import { checkOcclusionImages, occludeWindow, occlusionScoresOfImagesOn, occlusionScoresOn } from '../src/explain/occlusion-scores.js';
import { errorOf } from './errors.js';
import { BatchBuffer } from '../src/model/layer.js';
import type { Network } from '../src/model/network.js';
import { Random } from '../src/random.js';

const backend = new ReferenceBackend({ precision: 'float64' });

/** Weights [classes, size] of a linear "network": class j's weight of input i is a distinct number per (j, i). */
function weightsOf(classes: number, size: number): Float64Array {
  return Float64Array.from({ length: classes * size }, (_, k) => 1 + ((k * 37) % 101) / 7 + Math.floor(k / size) * 0.5);
}

/** A "network" of input [C, H, W] whose logits are weights · x, one row per class: no layers, exact in float64. */
function linearNetwork(inputShape: [number, number, number], classes: number): Network {
  const size = inputShape[0] * inputShape[1] * inputShape[2];
  const weights = weightsOf(classes, size);
  return {
    backend,
    inputShape,
    outputShape: [classes],
    forward(input: Floats, batch: number): Floats {
      expect(input.length).toBe(batch * size); // the batch holds exactly `batch` copies
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
  } as unknown as Network;
}

/** weights_target · x of one copy: the score expected of it. */
function linearScore(copy: ArrayLike<number>, classes: number, target: number): number {
  const weights = weightsOf(classes, copy.length);
  let y = 0;
  for (let i = 0; i < copy.length; i++) y += weights[target * copy.length + i] * copy[i];
  return y;
}

/** A seeded image of `size` values in (0, 1], none at the baseline. */
function imageOf(size: number, seed: number): Float64Array {
  const random = new Random(seed);
  return Float64Array.from({ length: size }, () => 0.05 + random.next());
}

describe('forwardCopies and scoreCopies', () => {
  it('give every copy the image first, in chunks of CHUNK copies (300 = 128 + 128 + 44), and read each chunk before the next pass', () => {
    const image = Float64Array.of(3, 1, 4, 1, 5);
    const count = 2 * CHUNK + 44;
    const copies = BatchBuffer.floats(backend, image.length);
    const seen: number[] = [];
    const chunks: Array<[number, number]> = [];
    const perturb = (k: number, copy: Floats) => {
      expect(Array.from(copy)).toEqual(Array.from(image)); // a fresh copy of the image, not the last chunk's copy
      seen.push(k);
      copy[k % image.length] = -k; // one value changed, different for every copy
    };
    // The logits of a batch are its copies themselves (5 "classes"), in a fresh array each pass.
    const forward = (batch: Floats, size: number) => {
      expect(batch.length).toBe(size * image.length);
      return Float64Array.from(batch);
    };
    forwardCopies(forward, image, count, perturb, copies, (start, size, logits) => {
      chunks.push([start, size]);
      for (let b = 0; b < size; b++) {
        const k = start + b;
        const expected = Array.from(image);
        expected[k % image.length] = -k;
        expect(Array.from(logits.subarray(b * image.length, (b + 1) * image.length))).toEqual(expected);
      }
    });
    expect(chunks).toEqual([[0, CHUNK], [CHUNK, CHUNK], [2 * CHUNK, 44]]);
    expect(seen).toEqual(Array.from({ length: count }, (_, k) => k));
  });

  it('start copy k as image(k) when given a function of the copy: copies of several images in one chunk', () => {
    // Three images of 4 values, copy k from image ⌊k / 100⌋: 300 copies, so chunks cross from one image to the next.
    const images = [Float64Array.of(1, 2, 3, 4), Float64Array.of(-5, 6, -7, 8), Float64Array.of(0.5, 0, 0, 9)];
    const imageOf = (k: number) => images[Math.floor(k / 100)];
    const count = 300;
    const firsts: number[] = [];
    forwardCopies(
      (batch) => Float64Array.from(batch),
      imageOf,
      count,
      (k, copy) => {
        expect(Array.from(copy)).toEqual(Array.from(imageOf(k)));
        copy[3] = k;
      },
      BatchBuffer.floats(backend, 4),
      (start, size, logits) => {
        for (let b = 0; b < size; b++) {
          const k = start + b;
          expect(Array.from(logits.subarray(b * 4, b * 4 + 4))).toEqual([...Array.from(imageOf(k)).slice(0, 3), k]);
          firsts.push(logits[b * 4]);
        }
      },
    );
    expect(firsts).toEqual(Array.from({ length: count }, (_, k) => images[Math.floor(k / 100)][0]));
  });

  it('forwards nothing for no copies', () => {
    let passes = 0;
    const scores = scoreCopies(() => (passes++, new Float64Array(0)), 3, Float64Array.of(1), 0, 0, () => {}, BatchBuffer.floats(backend, 1));
    expect([scores.length, passes]).toEqual([0, 0]);
  });

  it('score a copy by its target logit, row b of the chunk\'s [size, classes] logits, over 3 chunks', () => {
    // Copy k holds k in its first value; class j's logit of a copy is 10·x_0 + j, so the score of copy k is 10k + target.
    const classes = 3;
    const count = 2 * CHUNK + 1;
    for (const target of [0, 2]) {
      const scores = scoreCopies(
        (batch, size) => Float64Array.from({ length: size * classes }, (_, i) => 10 * batch[Math.floor(i / classes) * 2] + (i % classes)),
        classes, Float64Array.of(0.5, 0.25), target, count, (k, copy) => { copy[0] = k; }, BatchBuffer.floats(backend, 2),
      );
      expect(Array.from(scores)).toEqual(Array.from({ length: count }, (_, k) => 10 * k + target));
    }
  });
});

describe('coalitionScoresOn', () => {
  it('keeps the patches of each coalition in every channel, sets the others to the baseline (0), and scores y_c: 3 channels, 150 coalitions', () => {
    const [channels, height, width] = [3, 3, 4];
    const pixels = height * width;
    const network = linearNetwork([channels, height, width], 4);
    const image = imageOf(channels * pixels, 5);
    // Patches of 2 × 2 (the last column pair and row smaller): 2 rows × 2 columns = 4 features.
    const featureOf = Int32Array.from({ length: pixels }, (_, p) => Math.floor(Math.floor(p / width) / 2) * 2 + Math.floor((p % width) / 2));
    const features = 4;
    const count = CHUNK + 22;
    const random = new Random(9);
    const coalitions = Uint8Array.from({ length: count * features }, () => (random.next() < 0.5 ? 1 : 0));
    coalitions.fill(0, 0, features); // row 0: nothing kept
    coalitions.fill(1, features, 2 * features); // row 1: everything kept
    const target = 2;
    const scores = coalitionScoresOn(network, image, target, featureOf, features, coalitions, count, BatchBuffer.floats(backend, image.length));
    expect(scores.length).toBe(count);
    for (let k = 0; k < count; k++) {
      const copy = Float64Array.from(image, (v, i) => (coalitions[k * features + featureOf[i % pixels]] === 1 ? v : BASELINE));
      expect(scores[k], `coalition ${k}`).toBeCloseTo(linearScore(copy, 4, target), 12);
    }
    expect(scores[0]).toBe(0);
    expect(scores[1]).toBeCloseTo(linearScore(image, 4, target), 12);
  });
});

describe('occludeWindow and occlusionScoresOn', () => {
  it('occludeWindow sets the w × w window at (y0, x0) to 0 in every channel and nothing else (2 × 4 × 5, windows at the edges)', () => {
    const [channels, height, width] = [2, 4, 5];
    for (const [y0, x0, window] of [[0, 0, 2], [2, 3, 2], [1, 2, 3], [0, 4, 1]]) {
      const image = imageOf(channels * height * width, 3);
      const occluded = Float64Array.from(image);
      occludeWindow(occluded, channels, height, width, y0, x0, window);
      for (let c = 0; c < channels; c++) {
        for (let y = 0; y < height; y++) {
          for (let x = 0; x < width; x++) {
            const i = (c * height + y) * width + x;
            const inside = y >= y0 && y < y0 + window && x >= x0 && x < x0 + window;
            expect(occluded[i], `window (${y0}, ${x0}) of ${window}: c ${c}, y ${y}, x ${x}`).toBe(inside ? BASELINE : image[i]);
          }
        }
      }
    }
  });

  it('scores copy k with the window at corners[k] occluded: 2 channels of 4 × 5, 140 corners (two chunks)', () => {
    const [channels, height, width] = [2, 4, 5];
    const network = linearNetwork([channels, height, width], 3);
    const image = imageOf(channels * height * width, 4);
    const window = 2;
    const starts: Array<[number, number]> = [];
    for (let y0 = 0; y0 + window <= height; y0++) for (let x0 = 0; x0 + window <= width; x0++) starts.push([y0, x0]);
    const count = CHUNK + 12;
    const corners = Int32Array.from({ length: 2 * count }, (_, i) => starts[(Math.floor(i / 2) * 5) % starts.length][i % 2]);
    const target = 1;
    const scores = occlusionScoresOn(network, image, target, window, corners, count, BatchBuffer.floats(backend, image.length));
    expect(scores.length).toBe(count);
    for (let k = 0; k < count; k++) {
      const [y0, x0] = [corners[2 * k], corners[2 * k + 1]];
      const copy = Float64Array.from(image, (v, i) => {
        const [y, x] = [Math.floor((i % (height * width)) / width), i % width];
        return y >= y0 && y < y0 + window && x >= x0 && x < x0 + window ? BASELINE : v;
      });
      expect(scores[k], `corner ${k} (${y0}, ${x0})`).toBeCloseTo(linearScore(copy, 3, target), 12);
    }
  });

  it('checkOcclusionImages counts the copies and names what does not add up, for a 2 × 4 × 5 input (windows up to 4)', () => {
    const shape = [2, 4, 5];
    const two = new Float64Array(80);
    const check = (images: Float64Array, window: number) => checkOcclusionImages(images, Int32Array.of(0, 1), window, Int32Array.of(0, 3, 7), new Int32Array(14), shape, 2, 'caller');
    expect(check(two, 4)).toBe(7);
    expect(check(two, 1)).toBe(7);
    expect(errorOf(() => check(two, 5), 'ERR_BAD_ARGUMENT').message).toBe("caller: the window's side is 5; give a whole number from 1 to 4");
    expect(errorOf(() => check(new Float64Array(40), 2), 'ERR_BAD_ARGUMENT').message).toBe('caller: the images have 40 values; 2 images of 2 × 4 × 5 are 80');
  });

  it('occlusionScoresOfImagesOn scores several images\' copies, each by its image and its target, from any first copy on', () => {
    // Four images of 2 × 4 × 5: 60, 0, 90 and 5 windows (two chunks, and an image with none), targets 2, 0, 1, 2.
    const [channels, height, width] = [2, 4, 5];
    const size = channels * height * width;
    const network = linearNetwork([channels, height, width], 3);
    const images = Float64Array.from({ length: 4 * size }, (_, i) => imageOf(4 * size, 5)[i]);
    const targets = Int32Array.of(2, 0, 1, 2);
    const starts = Int32Array.of(0, 60, 60, 150, 155);
    const window = 2;
    const corners = Int32Array.from({ length: 2 * 155 }, (_, i) => (i % 2 === 0 ? (i * 7) % 3 : (i * 5) % 4));
    const imageAt = (k: number) => (k < 60 ? 0 : k < 150 ? 2 : 3);
    const expected = Array.from({ length: 155 }, (_, k) => {
      const b = imageAt(k);
      const [y0, x0] = [corners[2 * k], corners[2 * k + 1]];
      const copy = Float64Array.from(images.subarray(b * size, (b + 1) * size), (v, i) => {
        const [y, x] = [Math.floor((i % (height * width)) / width), i % width];
        return y >= y0 && y < y0 + window && x >= x0 && x < x0 + window ? BASELINE : v;
      });
      return linearScore(copy, 3, targets[b]);
    });
    const copies = BatchBuffer.floats(backend, size);
    const all = occlusionScoresOfImagesOn(network, images, targets, window, starts, corners, 0, 155, copies);
    expect(all.length).toBe(155);
    all.forEach((score, k) => expect(score, `copy ${k}`).toBeCloseTo(expected[k], 12));
    // A thread's share: copies 55 … 154, its corners from copy 55 on (from image 0's last windows into image 3's).
    const share = occlusionScoresOfImagesOn(network, images, targets, window, starts, corners.subarray(2 * 55), 55, 100, copies);
    expect(Array.from(share)).toEqual(Array.from(all.subarray(55)));
    // One image's scores are occlusionScoresOn's for it alone.
    const third = occlusionScoresOn(network, images.subarray(2 * size, 3 * size), 1, window, corners.subarray(120, 300), 90, copies);
    expect(Array.from(all.subarray(60, 150))).toEqual(Array.from(third));
  });
});
