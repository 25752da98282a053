/**
 * SmoothGrad's passes on a thread pool (ThreadPool.smoothGradMaps, the SMOOTHGRAD_MAPS command, shard.ts): every
 * thread draws its own images' noise from the one seeded stream jumped ahead to them (smoothgrad-maps.ts,
 * Random.jump), and the maps are one thread's bit for bit, whatever the thread count and the split, with the stream
 * left where one thread leaves it. test/pooled-explanations.test.ts runs the method itself on the pool.
 */
import { describe, expect, it } from 'vitest';
import { networkPasses } from '../src/explain/model-passes.js';
import { Random } from '../src/random.js';
import { bytes, closingPools, paperNetwork, randomInput } from './fixtures/pools.js';

const poolOf = closingPools();

describe("SmoothGrad's passes on the pool (smoothGradMaps: every thread draws its own images' noise)", () => {
  it('give the maps of one thread bit for bit, on 2 and 3 threads and shares of 1 to 3 images, and move the stream as far', async () => {
    const network = await paperNetwork(12);
    const input = randomInput(network, 7, new Random(3));
    const targets = Int32Array.of(3, 1, 4, 1, 5, 9, 2);
    for (const threads of [2, 3]) {
      const pool = await poolOf(network, threads);
      for (const size of [7, 5, 2, 1]) {
        const serialStream = new Random(40 + size);
        serialStream.jump(12_345); // a stream already under way
        const pooledStream = Random.fromState(serialStream.state());
        const serial = networkPasses(network).smoothGradMaps(input, size, targets, 3, 0.25, serialStream);
        const pooled = pool.smoothGradMaps(input, size, targets, 3, 0.25, pooledStream);
        expect(bytes(pooled), `${threads} threads, ${size} images`).toBe(bytes(serial));
        expect(pooledStream.state()).toEqual(serialStream.state());
        expect(serial.some((v) => v > 0)).toBe(true);
      }
    }
  });

  it('copy a batch that is not in the pool\'s memory, refuse what does not fit as one thread does, and give no maps for no images', async () => {
    const network = await paperNetwork(13);
    const pool = await poolOf(network, 2);
    const outside = Float32Array.from(randomInput(network, 2, new Random(5)));
    const serial = networkPasses(network).smoothGradMaps(outside, 2, Int32Array.of(0, 7), 2, 0.1, new Random(1));
    expect(bytes(pool.smoothGradMaps(outside, 2, Int32Array.of(0, 7), 2, 0.1, new Random(1)))).toBe(bytes(serial));
    expect(() => pool.smoothGradMaps(outside, 2, Int32Array.of(0, 10), 2, 0.1, new Random(1))).toThrow('smoothGradMaps: target 10 of image 1 is not a class from 0 to 9');
    expect(() => pool.smoothGradMaps(outside, 2, Int32Array.of(0, 1), 0, 0.1, new Random(1))).toThrow('smoothGradMaps: samples is 0; give a whole number ≥ 1');
    const random = new Random(2);
    expect(pool.smoothGradMaps(outside, 0, new Int32Array(0), 2, 0.1, random)).toEqual(new Float64Array(0));
    expect(random.state()).toEqual(new Random(2).state());
  });
});
