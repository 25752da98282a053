/**
 * src/data/dataset-files.ts: data folders of IDX files laid out as MNIST, each built by its test in a temp
 * folder — every check of readImageSet at its bounds with its exact line, the class count taken from either
 * split, the two splits' shapes compared one by one, gzipped files found by name, and the set's name.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { datasetNames, loadDataset, loadTestData, readImageSet } from '../src/data/dataset-files.js';
import { XcnnError } from '../src/errors.js';
import { idxBytes, idxIntegers } from './fixtures/files.js';

const root = mkdtempSync(join(tmpdir(), 'xcnn-dataset-files-'));
let made = 0;

/** A fresh folder under the temp root holding `files` (name → bytes). */
function folder(files: Record<string, Uint8Array>, name = `set-${made++}`): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
  return dir;
}

/** `count` grey images of h×w whose bytes are 0, 1, 2, … in order (mod 256). */
const images = (count: number, h: number, w: number, channels?: number) =>
  idxBytes(channels === undefined ? [count, h, w] : [count, channels, h, w], Uint8Array.from({ length: count * (channels ?? 1) * h * w }, (_, k) => k & 255));
const labels = (...values: number[]) => idxBytes([values.length], Uint8Array.from(values));

/** The four files of a data folder, from each split's images and labels. */
function dataFolder(train: [Uint8Array, Uint8Array], test: [Uint8Array, Uint8Array], name?: string): string {
  return folder(
    {
      'train-images-idx3-ubyte': train[0],
      'train-labels-idx1-ubyte': train[1],
      't10k-images-idx3-ubyte': test[0],
      't10k-labels-idx1-ubyte': test[1],
    },
    name,
  );
}

/** readImageSet on two files written for it. */
function readPair(imageBytes: Uint8Array, labelBytes: Uint8Array) {
  const dir = folder({ images: imageBytes, labels: labelBytes });
  return { read: () => readImageSet(join(dir, 'images'), join(dir, 'labels')), imagesPath: join(dir, 'images'), labelsPath: join(dir, 'labels') };
}

describe('readImageSet: one split, each check at its bounds', () => {
  it('reads 3-dimension images as one channel, and 4-dimension images with their channels', () => {
    expect(readPair(images(2, 3, 4), labels(1, 0)).read()).toEqual({ count: 2, channels: 1, height: 3, width: 4, images: Uint8Array.from({ length: 24 }, (_, k) => k), labels: Uint8Array.of(1, 0) });
    const rgb = readPair(images(2, 3, 4, 3), labels(0, 1)).read();
    expect([rgb.count, rgb.channels, rgb.height, rgb.width, rgb.images.length]).toEqual([2, 3, 3, 4, 72]);
    const grey4 = readPair(images(1, 2, 2, 1), labels(0)).read();
    expect([grey4.count, grey4.channels, grey4.height, grey4.width]).toEqual([1, 1, 2, 2]);
  });

  it('refuses images of 1 or 2 dimensions, naming the count', () => {
    for (const dims of [[12], [3, 4]]) {
      const pair = readPair(idxBytes(dims, new Uint8Array(12)), labels(0, 0, 0));
      expect(pair.read).toThrow(new XcnnError(`${pair.imagesPath}: an image file has 3 dimensions [count, rows, columns] or 4 [count, channels, rows, columns], this one has ${dims.length}`));
    }
  });

  it('refuses labels of 2 dimensions', () => {
    const pair = readPair(images(2, 2, 2), idxBytes([2, 1], Uint8Array.of(0, 1)));
    expect(pair.read).toThrow(new XcnnError(`${pair.labelsPath}: a label file has 1 dimension [count], this one has 2`));
  });

  it('reads 1 or 3 channels, and refuses 2 or 4', () => {
    for (const channels of [2, 4]) {
      const pair = readPair(images(1, 2, 2, channels), labels(0));
      expect(pair.read).toThrow(new XcnnError(`${pair.imagesPath}: images with ${channels} channels; xcnn reads 1 (grey) or 3 (RGB)`));
    }
  });

  it('reads sides of 1 and 4096 pixels, and refuses 0 and 4097 on either side', () => {
    for (const [h, w] of [[1, 1], [4096, 1], [1, 4096]]) expect(readPair(images(1, h, w), labels(0)).read().images.length).toBe(h * w);
    for (const [h, w] of [[0, 3], [3, 0], [4097, 1], [1, 4097]]) {
      const pair = readPair(images(1, h, w), labels(0));
      expect(pair.read).toThrow(new XcnnError(`${pair.imagesPath}: images of ${h}×${w}; each side must be 1 to 4096 pixels`));
    }
  });

  it('refuses a file of no images, even with its labels agreeing', () => {
    const pair = readPair(images(0, 2, 2), labels());
    expect(pair.read).toThrow(new XcnnError(`${pair.imagesPath}: holds no images; a data set needs at least one training and one test image`));
  });

  it('refuses fewer or more labels than images, naming both files', () => {
    for (const values of [[0], [0, 1, 0]]) {
      const pair = readPair(images(2, 2, 2), labels(...values));
      expect(pair.read).toThrow(new XcnnError(`${pair.labelsPath}: ${values.length} labels for the 2 images of ${pair.imagesPath}`));
    }
  });

  it('reads labels 0 to 65535 and refuses the first one outside, by its image', () => {
    expect([...readPair(images(2, 1, 1), idxIntegers([2], [65_535, 0], 4)).read().labels]).toEqual([65_535, 0]);
    const pair = readPair(images(4, 1, 1), idxIntegers([4], [3, -1, 70_000, -5], 4));
    expect(pair.read).toThrow(new XcnnError(`${pair.labelsPath}: label -1 of image 1 is outside 0 to 65535; a label is a class number, from 0`));
    const last = readPair(images(3, 1, 1), idxIntegers([3], [0, 1, 65_536], 4));
    expect(last.read).toThrow(new XcnnError(`${last.labelsPath}: label 65536 of image 2 is outside 0 to 65535; a label is a class number, from 0`));
  });

  it('checks its arguments, naming each', () => {
    expect(() => readImageSet(7 as never, 'labels')).toThrow(new XcnnError('readImageSet: imagesPath must be a string (a file path), not number', { code: 'ERR_BAD_ARGUMENT' }));
    expect(() => readImageSet('images', null as never)).toThrow(new XcnnError('readImageSet: labelsPath must be a string (a file path), not null', { code: 'ERR_BAD_ARGUMENT' }));
    expect(() => loadDataset(3 as never)).toThrow(new XcnnError('loadDataset: dir must be a string (a folder path), not number', { code: 'ERR_BAD_ARGUMENT' }));
    expect(() => loadTestData(3 as never)).toThrow(new XcnnError('loadTestData: dir must be a string (a folder path), not number', { code: 'ERR_BAD_ARGUMENT' }));
  });
});

describe('loadDataset and loadTestData: a data folder', () => {
  it('loads both splits, taking the class count from the larger label of either', () => {
    // Train labels reach 2, test labels 4: five classes, named 0 to 4; then the other way round.
    const testHigher = loadDataset(dataFolder([images(3, 2, 2), labels(0, 2, 1)], [images(2, 2, 2), labels(4, 0)], 'digits-a'));
    expect([testHigher.name, testHigher.classNames, testHigher.train.count, testHigher.test.count]).toEqual(['digits-a', ['0', '1', '2', '3', '4'], 3, 2]);
    expect([...testHigher.test.labels]).toEqual([4, 0]);
    const trainHigher = loadDataset(dataFolder([images(2, 2, 2), labels(0, 5)], [images(1, 2, 2), labels(1)]));
    expect(trainHigher.classNames).toHaveLength(6);
  });

  it('finds each file gzipped by its .gz name when the plain one is missing', () => {
    const dir = folder({
      'train-images-idx3-ubyte.gz': gzipSync(images(2, 2, 3)),
      'train-labels-idx1-ubyte.gz': gzipSync(labels(0, 1)),
      't10k-images-idx3-ubyte.gz': gzipSync(images(1, 2, 3)),
      't10k-labels-idx1-ubyte': labels(2),
    });
    const set = loadDataset(dir);
    expect([set.train.count, set.train.height, set.train.width, [...set.train.labels], set.test.count, set.classNames.length]).toEqual([2, 2, 3, [0, 1], 1, 3]);
    expect([...set.train.images]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('names the first file missing, plain or gzipped, in one line', () => {
    const dir = folder({ 'train-images-idx3-ubyte': images(1, 2, 2) });
    const error = (() => {
      try {
        loadDataset(dir);
      } catch (caught) {
        return caught as XcnnError;
      }
      throw new Error('expected an error');
    })();
    expect([error.message, error.code, error.exitCode]).toEqual([`${dir}: missing train-labels-idx1-ubyte (or train-labels-idx1-ubyte.gz); a data folder holds the four MNIST-layout IDX files`, 'ERR_FILE', 1]);
  });

  it('refuses test images whose channels, height or width differ from the training images, each alone', () => {
    for (const [test, shape] of [
      [images(1, 2, 3, 3), '3×2×3'],
      [images(1, 4, 3), '1×4×3'],
      [images(1, 2, 5), '1×2×5'],
    ] as const) {
      const dir = dataFolder([images(2, 2, 3), labels(0, 1)], [test, labels(1)]);
      expect(() => loadDataset(dir)).toThrow(new XcnnError(`${dir}: training images are 1×2×3 but test images are ${shape}`));
    }
  });

  it('refuses a folder that does not exist or is a file, as a usage error (exit 2)', () => {
    const absent = join(root, 'absent');
    expect(() => loadDataset(absent)).toThrow(new XcnnError(`${absent}: no such data folder`, { exitCode: 2, code: 'ERR_FILE' }));
    const file = join(root, 'a-file');
    writeFileSync(file, 'not a folder');
    expect(() => loadDataset(file)).toThrow(new XcnnError(`${file}: not a folder; --data takes the folder that holds the four IDX files`, { exitCode: 2, code: 'ERR_FILE' }));
    expect(() => loadTestData(file)).toThrow(new XcnnError(`${file}: not a folder; --data takes the folder that holds the four IDX files`, { exitCode: 2, code: 'ERR_FILE' }));
  });

  it('loads the test split alone, without the training files, its classes from its own labels', () => {
    const dir = folder({ 't10k-images-idx3-ubyte': images(3, 1, 2), 't10k-labels-idx1-ubyte': labels(0, 3, 1) }, 'test-only');
    const data = loadTestData(dir);
    expect([data.name, data.classNames, data.test.count, 'train' in data]).toEqual(['test-only', ['0', '1', '2', '3'], 3, false]);
  });

  it('counts one class when every label is 0', () => {
    const dir = folder({ 't10k-images-idx3-ubyte': images(2, 1, 1), 't10k-labels-idx1-ubyte': labels(0, 0) });
    expect(loadTestData(dir).classNames).toEqual(['0']);
  });
});

describe('datasetNames: the folder\'s words, not its letters', () => {
  const numbers = (count: number) => Array.from({ length: count }, (_, k) => String(k));

  it('takes fashion-mnist with or without one separator, in any case, as a word of the path', () => {
    for (const dir of ['fashionmnist', 'data/Fashion MNIST', 'x/fashion.mnist/y', 'FASHION_MNIST']) expect(datasetNames(dir, 10).name, dir).toBe('fashion-mnist');
  });

  it('does not take fashion-mnist inside a longer word', () => {
    expect(datasetNames('/d/xfashionmnist', 10)).toEqual({ name: 'xfashionmnist', classNames: numbers(10) });
    expect(datasetNames('/d/fashionmnistx', 10)).toEqual({ name: 'fashionmnistx', classNames: numbers(10) });
  });

  it('takes mnist as a word in any case, not inside a longer word', () => {
    expect(datasetNames('/data/MNIST', 10).name).toBe('mnist');
    expect(datasetNames('/data/mnistlike', 10)).toEqual({ name: 'mnistlike', classNames: numbers(10) });
    expect(datasetNames('/data/kmnist', 10)).toEqual({ name: 'kmnist', classNames: numbers(10) });
  });

  it('names the set after the last part of its path, either separator, a trailing one ignored; "data" for the root', () => {
    expect(datasetNames('runs/letters/', 3).name).toBe('letters');
    expect(datasetNames('C:\\sets\\letters', 3).name).toBe('letters');
    expect(datasetNames('/', 3)).toEqual({ name: 'data', classNames: ['0', '1', '2'] });
  });
});
