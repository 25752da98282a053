import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import * as node from '../src/node.js';
import { createDataset } from '../src/data/dataset-arrays.js';
import { checkSplitFraction, MAX_SPLIT, selectImages, splitValidation, stratifiedHoldOut } from '../src/data/split.js';
import { Random } from '../src/random.js';
import { greyPng, tempFolder, writeTree } from './fixtures/picture-files.js';

/** `count` 1×2×2 images, image n all of value n, labelled n mod 2. */
function arrays(count: number) {
  const images = new Uint8Array(count * 4);
  for (let n = 0; n < count; n++) images.fill(n, 4 * n, 4 * n + 4);
  return { images, labels: Array.from({ length: count }, (_, n) => n % 2) };
}

describe('createDataset: a data set from arrays', () => {
  it('holds the images and labels as given, with the class names and shape', () => {
    const dataset = createDataset({ classNames: ['even', 'odd'], shape: [1, 2, 2], train: arrays(6), test: arrays(2), name: 'parity' });
    expect(dataset.name).toBe('parity');
    expect(dataset.classNames).toEqual(['even', 'odd']);
    expect([dataset.train.count, dataset.test.count]).toEqual([6, 2]);
    expect([dataset.train.channels, dataset.train.height, dataset.train.width]).toEqual([1, 2, 2]);
    expect(Array.from(dataset.train.labels)).toEqual([0, 1, 0, 1, 0, 1]);
    expect(dataset.validation).toBeUndefined();
  });

  it('holds out round(F · n) of each class as validation, the rest left to train, nothing lost', () => {
    const dataset = createDataset({ classNames: ['even', 'odd'], shape: [1, 2, 2], train: arrays(20), test: arrays(2), validationSplit: 0.2, seed: 3 });
    expect(dataset.validation!.count).toBe(4); // round(0.2 · 10) of each class
    expect(dataset.train.count).toBe(16);
    const values = (set: core.ImageSet) => Array.from({ length: set.count }, (_, n) => set.images[4 * n]);
    expect([...values(dataset.train), ...values(dataset.validation!)].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    for (const set of [dataset.train, dataset.validation!]) values(set).forEach((v, n) => expect(set.labels[n]).toBe(v % 2)); // each label stays with its image
  });

  it('refuses arrays that do not hold what they say, naming the option', () => {
    const base = { classNames: ['a', 'b'], shape: [1, 2, 2], test: arrays(2) };
    expect(() => createDataset({ ...base, train: { images: new Uint8Array(5), labels: [0] } })).toThrow(/createDataset: train\.images holds 5 bytes, not a whole number/);
    expect(() => createDataset({ ...base, train: { images: new Uint8Array(8), labels: [0] } })).toThrow(/train has 1 labels for 2 images/);
    expect(() => createDataset({ ...base, train: { images: new Uint8Array(4), labels: [2] } })).toThrow(/train\.labels\[0\] is 2, not a class number from 0 to 1/);
    expect(() => createDataset({ ...base, classNames: ['a'], train: arrays(2) })).toThrow(/classNames must be 2 to/);
    expect(() => createDataset({ ...base, shape: [2, 2, 2], train: arrays(2) })).toThrow(/shape \[2,2,2\] is not/);
    expect(() => createDataset({ ...base, train: { images: new Float32Array(4) as unknown as Uint8Array, labels: [0] } })).toThrow(/train\.images is a Float32Array/);
  });

  it('refuses each wrong argument in one line, with its code: every field, every bound', () => {
    const base = { classNames: ['a', 'b'], shape: [1, 2, 2], train: arrays(2), test: arrays(2) };
    const NAMES = 'createDataset: classNames must be 2 to 65536 strings, one per class';
    const SHAPE = (shape: string) => `createDataset: shape ${shape} is not one image's [C, H, W] with C 1 or 3 and H, W from 1 to 4096`;
    const cases: Array<[unknown, string, string]> = [
      [null, 'createDataset: give { classNames, shape, train, test }, not null', 'ERR_BAD_ARGUMENT'],
      [7, 'createDataset: give { classNames, shape, train, test }, not number', 'ERR_BAD_ARGUMENT'],
      [{ ...base, classNames: 'ab' }, NAMES, 'ERR_BAD_ARGUMENT'],
      [{ ...base, classNames: Array.from({ length: 65_537 }, (_, k) => `c${k}`) }, NAMES, 'ERR_BAD_ARGUMENT'],
      [{ ...base, classNames: ['a', 2] }, NAMES, 'ERR_BAD_ARGUMENT'],
      [{ ...base, classNames: [1, 'b'] }, NAMES, 'ERR_BAD_ARGUMENT'],
      [{ ...base, classNames: ['b', 'a', 'a'] }, 'createDataset: classNames repeat a name (a); give each class its own', 'ERR_BAD_ARGUMENT'],
      [{ ...base, shape: '1,2,2' }, SHAPE('"1,2,2"'), 'ERR_BAD_ARGUMENT'],
      [{ ...base, shape: [1, 2] }, SHAPE('[1,2]'), 'ERR_BAD_ARGUMENT'],
      [{ ...base, shape: [1, 2, 0] }, SHAPE('[1,2,0]'), 'ERR_BAD_ARGUMENT'],
      [{ ...base, shape: [1, 4097, 2] }, SHAPE('[1,4097,2]'), 'ERR_BAD_ARGUMENT'],
      [{ ...base, shape: [1, 2, 1.5] }, SHAPE('[1,2,1.5]'), 'ERR_BAD_ARGUMENT'],
      [{ ...base, shape: [3, 2, 2, 1] }, SHAPE('[3,2,2,1]'), 'ERR_BAD_ARGUMENT'],
      [{ ...base, train: null }, 'createDataset: train must be { images, labels }, not null', 'ERR_BAD_ARGUMENT'],
      [{ ...base, test: 'x' }, 'createDataset: test must be { images, labels }, not string', 'ERR_BAD_ARGUMENT'],
      [{ ...base, train: { images: new Uint8Array(0), labels: [] } }, 'createDataset: train.images holds 0 bytes, not a whole number (at least one) of 1×2×2 images', 'ERR_BAD_DATA'],
      [{ ...base, train: { images: new Uint8Array(4), labels: null } }, 'createDataset: train.labels is null; give an array of class numbers', 'ERR_BAD_ARGUMENT'],
      [{ ...base, train: { images: new Uint8Array(4), labels: 5 } }, 'createDataset: train.labels is number; give an array of class numbers', 'ERR_BAD_ARGUMENT'],
      [{ ...base, train: { images: new Uint8Array(8), labels: 'xy' } }, 'createDataset: train.labels is string; give an array of class numbers', 'ERR_BAD_ARGUMENT'],
      [{ ...base, train: { images: new Uint8Array(4), labels: {} } }, 'createDataset: train.labels is Object; give an array of class numbers', 'ERR_BAD_ARGUMENT'],
      [{ ...base, train: { images: new Uint8Array(8), labels: [0] } }, 'createDataset: train has 1 labels for 2 images; give one per image', 'ERR_BAD_DATA'],
      [{ ...base, train: { images: new Uint8Array(4), labels: [-1] } }, 'createDataset: train.labels[0] is -1, not a class number from 0 to 1', 'ERR_BAD_DATA'],
      [{ ...base, train: { images: new Uint8Array(8), labels: [0, 0.5] } }, 'createDataset: train.labels[1] is 0.5, not a class number from 0 to 1', 'ERR_BAD_DATA'],
      [{ ...base, validationSplit: 0.5, seed: -1 }, 'createDataset: seed -1 is not a whole number from 0 to 4294967295', 'ERR_BAD_ARGUMENT'],
      [{ ...base, validationSplit: 0.5, seed: 4_294_967_296 }, 'createDataset: seed 4294967296 is not a whole number from 0 to 4294967295', 'ERR_BAD_ARGUMENT'],
      [{ ...base, validationSplit: 0.5, seed: 1.5 }, 'createDataset: seed 1.5 is not a whole number from 0 to 4294967295', 'ERR_BAD_ARGUMENT'],
    ];
    for (const [argument, message, code] of cases) {
      let error: unknown;
      try {
        createDataset(argument as never);
      } catch (thrown) {
        error = thrown;
      }
      expect(error, message).toBeInstanceOf(core.XcnnError);
      expect((error as core.XcnnError).message).toBe(message);
      expect((error as core.XcnnError).code, message).toBe(code);
    }
  });

  it('takes the bounds: 65,536 classes, sides of 4096, seeds 0 and 2³² − 1, and labels as 16-bit numbers above 256 classes', () => {
    const wide = createDataset({ classNames: Array.from({ length: 65_536 }, (_, k) => `c${k}`), shape: [1, 1, 1], train: { images: Uint8Array.of(1, 2), labels: [65_535, 300] }, test: { images: Uint8Array.of(3), labels: [0] } });
    expect(wide.train.labels).toBeInstanceOf(Uint16Array);
    expect(Array.from(wide.train.labels)).toEqual([65_535, 300]);
    const classes256 = createDataset({ classNames: Array.from({ length: 256 }, (_, k) => `c${k}`), shape: [1, 1, 1], train: { images: Uint8Array.of(1), labels: [255] }, test: { images: Uint8Array.of(3), labels: [0] } });
    expect(classes256.train.labels).toBeInstanceOf(Uint8Array);
    const classes257 = createDataset({ classNames: Array.from({ length: 257 }, (_, k) => `c${k}`), shape: [1, 1, 1], train: { images: Uint8Array.of(1), labels: [256] }, test: { images: Uint8Array.of(3), labels: [0] } });
    expect(classes257.train.labels).toBeInstanceOf(Uint16Array);
    expect(classes257.train.labels[0]).toBe(256);
    expect(createDataset({ classNames: ['a', 'b'], shape: [3, 4096, 1], train: { images: new Uint8Array(3 * 4096), labels: [1] }, test: { images: new Uint8Array(3 * 4096), labels: [0] } }).train.width).toBe(1);
    for (const seed of [0, 4_294_967_295]) expect(createDataset({ classNames: ['a', 'b'], shape: [1, 2, 2], train: arrays(20), test: arrays(2), validationSplit: 0.2, seed }).validation!.count).toBe(4);
    expect(createDataset({ classNames: ['a', 'b'], shape: [1, 2, 2], train: arrays(2), test: arrays(2) }).name).toBe('custom');
  });

  it('draws the validation split with the seed (1 when not given), as splitValidation does', () => {
    const given = createDataset({ classNames: ['a', 'b'], shape: [1, 2, 2], train: arrays(40), test: arrays(2), validationSplit: 0.25 });
    const expected = splitValidation(createDataset({ classNames: ['a', 'b'], shape: [1, 2, 2], train: arrays(40), test: arrays(2) }).train, 0.25, 1);
    expect(Array.from(given.validation!.images)).toEqual(Array.from(expected.validation.images));
    const other = createDataset({ classNames: ['a', 'b'], shape: [1, 2, 2], train: arrays(40), test: arrays(2), validationSplit: 0.25, seed: 2 });
    expect(Array.from(other.validation!.images)).not.toEqual(Array.from(expected.validation.images));
  });

  it('the split of a set keeps its float inputs with their images', () => {
    const set: core.ImageSet = { count: 4, height: 1, width: 1, images: Uint8Array.from([0, 1, 2, 3]), inputs: Float32Array.from([0, 0.1, 0.2, 0.3]), labels: Uint8Array.from([0, 0, 1, 1]) };
    const { train, validation } = splitValidation(set, 0.5, 1);
    for (const part of [train, validation]) for (let n = 0; n < part.count; n++) expect(part.inputs![n]).toBeCloseTo(part.images[n] / 10, 6);
  });
});

describe('split fractions and selections', () => {
  it('takes a fraction above 0 up to 0.99 and refuses the rest, naming it', () => {
    for (const fraction of [0.01, 0.5, MAX_SPLIT]) expect(() => checkSplitFraction(fraction, 'split')).not.toThrow();
    for (const fraction of [0, -0.1, 0.995, 1, Number.NaN, Number.POSITIVE_INFINITY]) expect(() => checkSplitFraction(fraction, 'split')).toThrow(`split: ${fraction} is not a fraction above 0 and at most 0.99`);
    expect(MAX_SPLIT).toBe(0.99);
    expect(() => checkSplitFraction(0, 'split')).toThrow(expect.objectContaining({ code: 'ERR_BAD_ARGUMENT' }));
    expect(() => splitValidation({ count: 2, height: 1, width: 1, images: Uint8Array.of(5, 6), labels: Uint8Array.of(0, 1) }, 2, 1)).toThrow('validation split: 2 is not a fraction above 0 and at most 0.99');
  });

  it('draws the classes in ascending order of their numbers from one generator, whatever order they come in', () => {
    // Class 10 comes first and sorts first as text; class 2 is drawn first all the same.
    const labels = [...Array(20).fill(10), ...Array(20).fill(2)];
    const random = new Random(5);
    const two = Int32Array.from({ length: 20 }, (_, k) => 20 + k);
    random.shuffle(two);
    const ten = Int32Array.from({ length: 20 }, (_, k) => k);
    random.shuffle(ten);
    // round(¼ · 20) = 5 of each class held out: the first five of its shuffled indices.
    const { held, kept } = stratifiedHoldOut(labels, 0.25, 5);
    expect(Array.from(held)).toEqual([...ten.subarray(0, 5), ...two.subarray(0, 5)].sort((a, b) => a - b));
    expect(kept.length).toBe(30);
  });

  it('refuses a validation split that would hold out nothing, saying why', () => {
    const set: core.ImageSet = { count: 2, height: 1, width: 1, images: Uint8Array.of(5, 6), labels: Uint8Array.of(0, 1) };
    expect(() => splitValidation(set, 0.4, 1)).toThrow('validation split 0.4: of 2 training images, none would be held out (each class keeps at least one); give a larger fraction or more images');
    expect(() => splitValidation(set, 0.4, 1)).toThrow(expect.objectContaining({ code: 'ERR_BAD_DATA' }));
  });

  it('selects images of several bytes each in the order asked, with their labels', () => {
    const set: core.ImageSet = { count: 3, channels: 1, height: 1, width: 2, images: Uint8Array.of(1, 2, 3, 4, 5, 6), labels: Uint8Array.of(7, 8, 9) };
    const picked = selectImages(set, [2, 0]);
    expect(Array.from(picked.images)).toEqual([5, 6, 1, 2]);
    expect(Array.from(picked.labels)).toEqual([9, 7]);
    expect(picked.count).toBe(2);
    const floats = selectImages({ ...set, inputs: Float32Array.of(0.1, 0.2, 0.3, 0.4, 0.5, 0.6) }, [2, 0]);
    expect(Array.from(floats.inputs!)).toEqual([0.5, 0.6, 0.1, 0.2].map(Math.fround));
  });
});

describe('the library exports', () => {
  it('gives createDataset and the splits in the core, and image folders in Node', () => {
    expect(core.createDataset).toBe(createDataset);
    expect(typeof core.splitValidation).toBe('function');
    const files = Object.fromEntries(['a', 'b'].flatMap((c, k) => [1, 2, 3, 4].map((n) => [`${c}/${n}.png`, greyPng(10 * k + n)])));
    const dir = writeTree(tempFolder('xcnn-lib-folder-'), files);
    // 4 per class: 1 tested (round(0.25 · 4)); of the 3 left, round(0.5 · 3) = 2 validated, 1 trained on.
    const { dataset } = node.loadImageFolder(dir, { testSplit: 0.25, validationSplit: 0.5 });
    expect([dataset.train.count, dataset.validation!.count, dataset.test.count]).toEqual([2, 4, 2]);
    // 2 per class: 1 tested; of the 1 left none can be held out (each class keeps one), which is refused.
    const small = writeTree(tempFolder('xcnn-lib-folder-'), { 'a/1.png': greyPng(1), 'a/2.png': greyPng(2), 'b/1.png': greyPng(3), 'b/2.png': greyPng(4) });
    expect(() => node.loadImageFolder(small, { testSplit: 0.5, validationSplit: 0.5 })).toThrow(/none would be held out/);
  });
});
