/**
 * The two loops every CAM map is made of (src/explain/grad-cam.ts), which run four channels at a time:
 * channelMeans, each channel's mean over its positions, and addWeightedChannels, a weighted sum of channels added
 * into a map. On a worked example of K = 6 channels (a group of four and two left over) and, over random shapes,
 * values and offsets, bit for bit the one-channel-at-a-time definitions below: each sum in the same order; and
 * nothing written past the K means or the P map values.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addWeightedChannels, channelMeans, classActivationMap } from '../src/explain/grad-cam.js';

// The definitions, one channel at a time: mean_k = (Σ_p v[k, p]) / P, p in order; map[p] += Σ_k w_k · v[k, p], k in order.
function meansOneByOne(values: ArrayLike<number>, offset: number, channels: number, pixels: number): number[] {
  const means: number[] = [];
  for (let k = 0; k < channels; k++) {
    let sum = 0;
    for (let p = 0; p < pixels; p++) sum += values[offset + k * pixels + p];
    means.push(sum / pixels);
  }
  return means;
}
function weightedOneByOne(values: ArrayLike<number>, offset: number, channels: number, pixels: number, weights: ArrayLike<number>, map: Float64Array): number[] {
  const out = Array.from(map);
  for (let k = 0; k < channels; k++) {
    for (let p = 0; p < pixels; p++) out[p] += weights[k] * values[offset + k * pixels + p];
  }
  return out;
}

const SENTINEL = 42;

// Six channels of two positions after an offset of 3 values that must not be read: channel k = [k + 1, −(k + 1)·2].
const offset = 3;
const values = Float64Array.of(99, 99, 99, ...[1, 2, 3, 4, 5, 6].flatMap((v) => [v, -2 * v]));

describe('channelMeans', () => {
  it('each channel\'s mean, the four-channel group and the two after it alike: (k + 1 − 2(k + 1))/2 = −(k + 1)/2', () => {
    const means = new Float64Array(6).fill(42);
    channelMeans(values, offset, 6, 2, means);
    expect(Array.from(means)).toEqual([-0.5, -1, -1.5, -2, -2.5, -3]);
  });

  it('bit for bit the one-channel-at-a-time sums, over random shapes and values', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 5 }), fc.integer(), (channels, pixels, at, seed) => {
        const data = Float32Array.from({ length: at + channels * pixels }, (_, k) => Math.fround(Math.sin(seed + k * 7.3) * 10 ** ((k % 5) - 2)));
        const means = new Float64Array(channels + 4).fill(SENTINEL); // room after the K means, which stays untouched
        channelMeans(data, at, channels, pixels, means);
        expect(Array.from(means)).toEqual([...meansOneByOne(data, at, channels, pixels), ...new Array(4).fill(SENTINEL)]);
      }),
    );
  });
});

describe('addWeightedChannels', () => {
  it('adds Σ_k w_k · channel k into the map: w = [1, 0, −1, 2, 0.5, −0.5] on top of [10, 20]', () => {
    // Position 0: 1 − 3 + 8 + 2.5 − 3 = 5.5; position 1: −2 + 6 − 16 − 5 + 6 = −11.
    const map = Float64Array.of(10, 20);
    addWeightedChannels(values, offset, 6, 2, [1, 0, -1, 2, 0.5, -0.5], map);
    expect(Array.from(map)).toEqual([15.5, 9]);
  });

  it('bit for bit the one-channel-at-a-time sums, over random shapes, values and starting maps', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 13 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 5 }), fc.integer(), (channels, pixels, at, seed) => {
        const wave = (k: number, scale: number) => Math.sin(seed + k * scale) * 10 ** ((k % 7) - 3);
        const data = Float32Array.from({ length: at + channels * pixels }, (_, k) => Math.fround(wave(k, 7.3)));
        const weights = Float64Array.from({ length: channels }, (_, k) => wave(k, 1.7));
        const map = Float64Array.from({ length: pixels + 1 }, (_, k) => (k < pixels ? wave(k, 3.1) : SENTINEL)); // and a value after the P that stays
        const expected = [...weightedOneByOne(data, at, channels, pixels, weights, map.subarray(0, pixels)), SENTINEL];
        addWeightedChannels(data, at, channels, pixels, weights, map);
        expect(Array.from(map)).toEqual(expected);
      }),
    );
  });
});

describe('classActivationMap over six channels', () => {
  it('α the channels\' mean gradients, the map ReLU(Σ α_k A_k), for the second image of two', () => {
    // Image 1's gradients: channel k constant k − 2 (α = [−2, −1, 0, 1, 2, 3]); its activations are `values`' channels.
    const channels = 6;
    const pixels = 2;
    const activations = new Float64Array(2 * channels * pixels).fill(7);
    activations.set(values.subarray(offset), channels * pixels);
    const gradients = new Float64Array(2 * channels * pixels).fill(5);
    for (let k = 0; k < channels; k++) gradients.fill(k - 2, (channels + k) * pixels, (channels + k + 1) * pixels);
    const alpha = new Float64Array(channels);
    const map = Float64Array.of(42, 42);
    classActivationMap(activations, gradients, 1, channels, pixels, alpha, map);
    expect(Array.from(alpha)).toEqual([-2, -1, 0, 1, 2, 3]);
    // Position 0: −2 − 2 + 0 + 4 + 10 + 18 = 28; position 1: −2·that = −56 → 0 after the ReLU.
    expect(Array.from(map)).toEqual([28, 0]);
  });
});
