/**
 * `xcnn/testing`, as a user imports it: the arbitraries our own tests use (test/spec.test.ts,
 * test/layer-gradients.test.ts, … take randomSpecs from it) give only values xcnn accepts, of the sizes
 * asked for, and the gradient checks of the main entry run on what they draw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { gradcheck, planNetwork } from 'xcnn';
import * as testing from 'xcnn/testing';
import { checkImageSet } from '../src/data/dataset.js';

describe("'xcnn/testing'", () => {
  it('exports the arbitraries by name through package.json', () => {
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
