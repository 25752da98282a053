/**
 * `xcnn/testing`, as a user imports it: the arbitraries our own tests use (test/spec.test.ts,
 * test/layer-gradients.test.ts, … take randomSpecs from it) give only values xcnn accepts, of the sizes
 * asked for, and the gradient checks of the main entry run on what they draw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as published from 'xcnn/testing';
import { checkImageSet } from '../src/data/dataset.js';
import { gradcheck } from '../src/gradcheck.js';
import { planNetwork } from '../src/model/spec.js';
import * as testing from '../src/testing.js';

describe("'xcnn/testing'", () => {
  it('exports the arbitraries by name through package.json', () => {
    expect(Object.keys(published)).toEqual(Object.keys(testing));
    expect(Object.keys(testing).sort()).toEqual(['buildSpec', 'convOut', 'datasets', 'imageSets', 'imageShapes', 'images', 'poolOut', 'randomSpecs', 'respelled', 'tensors']);
  });

  it('randomSpecs: every spec plans, with the shapes and parameter counts it says', () => {
    fc.assert(
      fc.property(testing.randomSpecs({ maxSize: 9 }), (spec) => {
        const plan = planNetwork(spec.explicit, spec.geometry);
        expect(plan.layers.map((l) => l.outputShape)).toEqual(spec.layers.map((l) => l.outputShape));
        expect(plan.layers.map((l) => l.name)).toEqual(spec.layers.map((l) => l.name));
      }),
      { numRuns: 50 },
    );
  });

  it('tensors: the length asked for, finite, within the bounds, in the precision asked for', () => {
    fc.assert(
      fc.property(testing.tensors({ length: 7, min: -2, max: 3 }), testing.tensors({ length: 4, precision: 'float64' }), (single, double) => {
        expect(single).toBeInstanceOf(Float32Array);
        expect(double).toBeInstanceOf(Float64Array);
        expect([single.length, double.length]).toEqual([7, 4]);
        for (const v of single) expect(v >= -2 && v <= 3).toBe(true);
        for (const v of double) expect(v >= -1 && v <= 1).toBe(true);
      }),
    );
  });

  it('images and image sets: the bytes of their geometry, labels below the class count', () => {
    fc.assert(
      fc.property(testing.imageSets({ channels: [1, 3], maxSize: 6, classes: 4, maxCount: 5 }), (set) => {
        checkImageSet(set, [set.channels ?? 1, set.height, set.width], 'drawn set');
        expect(set.count).toBeGreaterThanOrEqual(1);
        expect(set.count).toBeLessThanOrEqual(5);
        for (const label of set.labels) expect(label >= 0 && label < 4).toBe(true);
      }),
    );
    fc.assert(fc.property(testing.images({ channels: 3, height: 2, width: 5 }), (image) => {
      expect(image.length).toBe(30);
    }));
  });

  it('datasets: train and test of one geometry, every class in the training set, a name per class', () => {
    fc.assert(
      fc.property(testing.datasets({ classes: 3, maxSize: 5, maxCount: 6 }), (dataset) => {
        const shape = [dataset.train.channels ?? 1, dataset.train.height, dataset.train.width];
        checkImageSet(dataset.train, shape, 'train');
        checkImageSet(dataset.test, shape, 'test');
        expect(dataset.classNames).toHaveLength(3);
        expect(new Set(dataset.train.labels)).toEqual(new Set([0, 1, 2]));
      }),
    );
  });

  it('by default: grey images 1 to 12 pixels a side, 1 to 8 of them, 3 classes; tensors in [−1, 1] as float32', () => {
    const sets = fc.sample(testing.imageSets(), { numRuns: 400, seed: 7 });
    const sides = sets.flatMap((set) => [set.height, set.width]);
    expect([Math.min(...sides), Math.max(...sides)]).toEqual([1, 12]);
    expect(new Set(sets.map((set) => set.channels))).toEqual(new Set([1]));
    expect([Math.min(...sets.map((set) => set.count)), Math.max(...sets.map((set) => set.count))]).toEqual([1, 8]);
    expect(new Set(sets.flatMap((set) => [...set.labels]))).toEqual(new Set([0, 1, 2]));
    const shapes = fc.sample(testing.imageShapes({ minSize: 3, maxSize: 4, channels: 3 }), { numRuns: 100, seed: 7 });
    expect(new Set(shapes.map((s) => `${s.channels}x${s.height}x${s.width}`))).toEqual(new Set(['3x3x3', '3x3x4', '3x4x3', '3x4x4']));
    const values = fc.sample(testing.tensors({ length: 50 }), { numRuns: 40, seed: 7 }).flatMap((t) => [...t]);
    expect(fc.sample(testing.tensors({ length: 2 }), { numRuns: 1 })[0]).toBeInstanceOf(Float32Array);
    expect(Math.min(...values)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...values)).toBeLessThanOrEqual(1);
    expect(Math.min(...values)).toBeLessThan(-0.5);
    expect(Math.max(...values)).toBeGreaterThan(0.5);
    // Never NaN or infinite, in either precision, over many draws.
    for (const precision of ['float32', 'float64'] as const) {
      const drawn = fc.sample(testing.tensors({ length: 20, min: -1e30, max: 1e30, precision }), { numRuns: 300, seed: 3 }).flatMap((t) => [...t]);
      expect(drawn.every(Number.isFinite), precision).toBe(true);
    }
    // More classes than maxCount: the training set still holds one of each.
    const crowded = fc.sample(testing.datasets({ classes: 5, maxCount: 3, maxSize: 2 }), { numRuns: 20, seed: 7 });
    expect(crowded.every((d) => d.train.count === 5)).toBe(true);
    const worlds = fc.sample(testing.datasets(), { numRuns: 200, seed: 7 });
    expect(new Set(worlds.map((d) => d.classNames.join('|')))).toEqual(new Set(['class 0|class 1|class 2']));
    expect(worlds.every((d) => d.name === 'generated' && d.train.count >= 3 && d.train.count <= 8 && d.test.count >= 1 && d.test.count <= 8)).toBe(true);
    expect(Math.max(...worlds.map((d) => d.test.count))).toBe(8);
    expect(new Set(worlds.flatMap((d) => [...d.test.labels]))).toEqual(new Set([0, 1, 2]));
  });

  it('a user property: gradcheck passes on drawn specs, as our own gradient tests check', () => {
    fc.assert(
      fc.property(testing.randomSpecs({ maxSize: 5, maxLayers: 4 }), fc.integer({ min: 0, max: 1000 }), (spec, seed) => {
        const report = gradcheck({ arch: spec.explicit, input: spec.geometry, classes: spec.geometry.classes, seed, samples: 6 });
        expect(report.passed, JSON.stringify(report.tensors.filter((t) => !t.passed))).toBe(true);
      }),
      { numRuns: 15 },
    );
  });
});
