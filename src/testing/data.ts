/**
 * fast-check arbitraries for the data xcnn takes: float tensors, images as bytes, labelled image sets and
 * whole data sets. Sizes default small (a property test runs a network on each value a hundred times);
 * every value is one xcnn accepts, so a property that fails on one is a finding, not a bad input.
 */
import fc from 'fast-check';
import { checkFields, checkOptions } from '../argument-checks.js';
import type { Dataset, ImageSet } from '../data/dataset.js';

/** What a drawn image looks like: its channels and its size range. */
export interface ImageShapeOptions {
  channels?: 1 | 3 | Array<1 | 3>; // default 1
  minSize?: number; // smallest height and width (default 1)
  maxSize?: number; // largest height and width (default 12)
}

/** An image geometry: C × H × W, within the options' bounds. */
export function imageShapes(options: ImageShapeOptions = {}): fc.Arbitrary<{ channels: number; height: number; width: number }> {
  checkOptions('imageShapes', options);
  const channels = Array.isArray(options.channels) ? fc.constantFrom(...options.channels) : fc.constant(options.channels ?? 1);
  const size = fc.integer({ min: options.minSize ?? 1, max: options.maxSize ?? 12 });
  return fc.record({ channels, height: size, width: size });
}

export interface TensorOptions {
  length: number;
  min?: number; // default −1
  max?: number; // default 1
  precision?: 'float32' | 'float64'; // default float32, as the WebAssembly kernels take
}

/** A tensor of `length` finite values in [min, max] (no NaN, no infinity). */
export function tensors(options: TensorOptions): fc.Arbitrary<Float32Array | Float64Array> {
  checkFields('tensors', 'options', options, 'length, and min, max and precision if wanted', { length: 'number' });
  const min = options.min ?? -1;
  const max = options.max ?? 1;
  if (options.precision === 'float64') {
    return fc.float64Array({ min, max, noNaN: true, noDefaultInfinity: true, minLength: options.length, maxLength: options.length });
  }
  return fc.float32Array({ min: Math.fround(min), max: Math.fround(max), noNaN: true, noDefaultInfinity: true, minLength: options.length, maxLength: options.length });
}

/** One image's bytes [C, H, W] for a given geometry, 0 = background, 255 = ink. */
export function images(shape: { channels?: number; height: number; width: number }): fc.Arbitrary<Uint8Array> {
  checkFields('images', 'shape', shape, 'height and width, and channels if not 1', { height: 'number', width: 'number' });
  const length = (shape.channels ?? 1) * shape.height * shape.width;
  return fc.uint8Array({ minLength: length, maxLength: length });
}

export interface ImageSetOptions extends ImageShapeOptions {
  classes?: number; // labels 0 … classes − 1 (default 3)
  minCount?: number; // default 1
  maxCount?: number; // default 8
}

/** A labelled image set: count images of one geometry, a label each below `classes`. */
export function imageSets(options: ImageSetOptions = {}): fc.Arbitrary<ImageSet> {
  checkOptions('imageSets', options);
  const classes = options.classes ?? 3;
  return fc
    .record({ shape: imageShapes(options), count: fc.integer({ min: options.minCount ?? 1, max: options.maxCount ?? 8 }) })
    .chain(({ shape, count }) => setOf(shape, count, classes));
}

/**
 * A data set: a training and a test set of one geometry, and a class name for each class. Every class
 * appears at least once in the training set (its first images are one of each class), as a real data set's
 * would, so class counts and per-class metrics have something to count.
 */
export function datasets(options: ImageSetOptions = {}): fc.Arbitrary<Dataset> {
  checkOptions('datasets', options);
  const classes = options.classes ?? 3;
  const minCount = Math.max(options.minCount ?? 1, classes);
  return fc
    .record({
      shape: imageShapes(options),
      trainCount: fc.integer({ min: minCount, max: Math.max(minCount, options.maxCount ?? 8) }),
      testCount: fc.integer({ min: 1, max: options.maxCount ?? 8 }),
    })
    .chain(({ shape, trainCount, testCount }) =>
      fc.record({
        name: fc.constant('generated'),
        classNames: fc.constant(Array.from({ length: classes }, (_, k) => `class ${k}`)),
        train: setOf(shape, trainCount, classes).map((set) => {
          for (let k = 0; k < classes; k++) set.labels[k] = k;
          return set;
        }),
        test: setOf(shape, testCount, classes),
      }),
    );
}

function setOf(shape: { channels: number; height: number; width: number }, count: number, classes: number): fc.Arbitrary<ImageSet> {
  const size = shape.channels * shape.height * shape.width;
  return fc
    .record({
      images: fc.uint8Array({ minLength: count * size, maxLength: count * size }),
      labels: fc.array(fc.integer({ min: 0, max: classes - 1 }), { minLength: count, maxLength: count }),
    })
    .map(({ images, labels }) => ({ count, ...shape, images, labels: Int32Array.from(labels) }));
}
