/**
 * src/data/image-folder-files.ts on hostile folders, each built by its test in a temp folder of its own:
 * nested folders, empty ones, symbolic links (to folders, to files, broken), hidden entries, other extensions
 * and extensions in capitals, files too large to read, a folder that is a file, and the exact one-line
 * refusal of each.
 */
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { byCodePoint } from '../src/data/code-point-order.js';
import { checkClassCount, isImageFolder, loadImageFolder, loadImageFolderTest, MAX_FOLDER_IMAGES } from '../src/data/image-folder-files.js';
import { MAX_PICTURE_FILE_BYTES } from '../src/data/picture-files.js';
import { mixedOrder, TEST_SPLIT_SEED } from '../src/data/image-folder.js';
import { splitValidation, stratifiedHoldOut } from '../src/data/split.js';
import { greyPng, pngOf, solidRgba, tempFolder, writeTree } from './fixtures/picture-files.js';

const folder = (files: Record<string, Uint8Array | string>) => writeTree(tempFolder('xcnn-files-'), files);

/** The levels of a set's images (each image uniform), in the set's order. */
const levels = (set: { count: number; images: Uint8Array }, size = 16) => Array.from({ length: set.count }, (_, n) => set.images[size * n]);

/** The error `action` throws (failing the test if it throws none). */
function errorOf(action: () => unknown): { message: string; code?: string; exitCode?: number } {
  try {
    action();
  } catch (error) {
    return error as { message: string; code?: string; exitCode?: number };
  }
  throw new Error('expected an error');
}

describe('isImageFolder: class folders, not IDX files', () => {
  it('says yes to a folder of folders, a symbolic link to a folder among them included', () => {
    const dir = folder({ 'a/1.png': greyPng(1) });
    expect(isImageFolder(dir)).toBe(true);
    const linked = tempFolder('xcnn-files-');
    symlinkSync(join(dir, 'a'), join(linked, 'a'));
    expect(isImageFolder(linked)).toBe(true);
  });

  it('says no to a missing folder, a file, files only, hidden folders only, a broken link, and a folder holding IDX images', () => {
    const dir = folder({ 'x.png': greyPng(1), '.git/config': 'x' });
    expect(isImageFolder(join(dir, 'missing'))).toBe(false);
    expect(isImageFolder(join(dir, 'x.png'))).toBe(false);
    expect(isImageFolder(dir)).toBe(false);
    symlinkSync(join(dir, 'nowhere'), join(dir, 'broken'));
    expect(isImageFolder(dir)).toBe(false);
    symlinkSync(join(dir, 'x.png'), join(dir, 'file-link'));
    expect(isImageFolder(dir)).toBe(false);
    for (const name of ['train-images-idx3-ubyte', 't10k-images-idx3-ubyte.gz']) {
      const idx = folder({ [name]: 'x', 'sub/1.png': greyPng(1) });
      expect(isImageFolder(idx)).toBe(false);
    }
    // Names that only look like IDX files do not count as them.
    expect(isImageFolder(folder({ 'train-images-idx3-ubyte.txt': 'x', 'xtrain-images-idx3-ubyte': 'x', 'sub/1.png': greyPng(1) }))).toBe(true);
  });
});

describe('listing: what counts as a class and as an image', () => {
  it('takes .png, .jpg and .jpeg in any case, and ignores other names, nested folders, hidden entries and broken links, counting them', () => {
    const dir = folder({
      'a/1.PNG': greyPng(11),
      'a/2.Jpeg': greyPng(12), // a PNG named .Jpeg: the bytes decide the format, the name only whether to read it
      'a/3.png.txt': 'x', // other
      'a/4.gif': 'x', // other
      'a/png': 'x', // other: no extension
      'a/nested/5.png': greyPng(13), // other: a folder in a class folder is not read
      'a/.6.png': greyPng(14), // hidden
      'b/1.jpg': greyPng(21),
      'b/2.png': greyPng(22),
      '.cache/1.png': greyPng(31), // hidden folder
      'notes.md': 'x', // other
    });
    symlinkSync(join(dir, 'nowhere.png'), join(dir, 'b', '3.png')); // other: a broken link is no file
    mkdirSync(join(dir, 'b', '4.png')); // other: a folder named like an image is no file
    const { dataset, summary } = loadImageFolder(dir, { testSplit: 0.5, threads: 1 });
    expect(summary.classNames).toEqual(['a', 'b']);
    expect(summary.ignored).toEqual({ hidden: 2, other: 7 });
    expect([...levels(dataset.train), ...levels(dataset.test)].sort((x, y) => x - y)).toEqual([11, 12, 21, 22]);
  });

  it('follows a symbolic link to a class folder and to an image file', () => {
    const elsewhere = folder({ 'pics/1.png': greyPng(40), 'pics/2.png': greyPng(41), 'one.png': greyPng(50) });
    const dir = folder({ 'b/1.png': greyPng(60) });
    symlinkSync(join(elsewhere, 'pics'), join(dir, 'a'));
    symlinkSync(join(elsewhere, 'one.png'), join(dir, 'b', '2.png'));
    const { dataset, summary } = loadImageFolder(dir, { testSplit: 0.5, threads: 1 });
    expect(summary.classNames).toEqual(['a', 'b']);
    expect(summary.trainCounts).toEqual([1, 1]);
    expect(summary.testCounts).toEqual([1, 1]);
    expect(summary.ignored).toEqual({ hidden: 0, other: 0 });
    expect([...levels(dataset.train), ...levels(dataset.test)].sort((x, y) => x - y)).toEqual([40, 41, 50, 60]);
  });

  it('names the classes in code-point order (capitals first, as ls in the C locale), labels following', () => {
    const dir = folder({ 'b/1.png': greyPng(10), 'b/2.png': greyPng(10), 'B/1.png': greyPng(20), 'B/2.png': greyPng(20), 'a/1.png': greyPng(30), 'a/2.png': greyPng(30) });
    const { dataset } = loadImageFolder(dir, { testSplit: 0.5, threads: 1 });
    expect(dataset.classNames).toEqual(['B', 'a', 'b']);
    const byLevel = { 20: 0, 30: 1, 10: 2 } as Record<number, number>;
    for (const set of [dataset.train, dataset.test]) levels(set).forEach((level, n) => expect(set.labels[n]).toBe(byLevel[level]));
  });

  it('orders names by code point as torchvision does, not by UTF-16 unit: z, full-width ｚ (U+FF5A), 😀 (U+1F600)', () => {
    // JavaScript's '😀' < 'ｚ' holds (its high surrogate 0xD83D is below 0xFF5A); Python's sorted() and ls give ｚ first.
    const dir = folder({ '😀/1.png': greyPng(40), '😀/2.png': greyPng(40), 'ｚ/1.png': greyPng(30), 'ｚ/2.png': greyPng(30), 'z/1.png': greyPng(20), 'z/2.png': greyPng(20), 'Z/1.png': greyPng(10), 'Z/2.png': greyPng(10) });
    const { dataset } = loadImageFolder(dir, { testSplit: 0.5, threads: 1 });
    expect(dataset.classNames).toEqual(['Z', 'z', 'ｚ', '😀']);
    const byLevel = { 10: 0, 20: 1, 30: 2, 40: 3 } as Record<number, number>;
    for (const set of [dataset.train, dataset.test]) levels(set).forEach((level, n) => expect(set.labels[n]).toBe(byLevel[level]));
  });

  it('lists classes and files in code-point order whatever order the file system gives (written in reverse here)', () => {
    // Twelve classes and ten files each, written last-name-first: the listing must sort both itself.
    const names = ['z', 'Y', 'x1', 'X0', 'm', 'L', 'k9', 'K', 'c', 'B', 'a2', 'A'];
    const files: Record<string, Uint8Array> = {};
    names.forEach((name, k) => {
      for (let n = 9; n >= 0; n--) files[`${name}/${n}.png`] = greyPng(10 * k + n, 1, 1);
    });
    const { dataset } = loadImageFolder(folder(files), { testSplit: 0.3, threads: 1 });
    const sorted = [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect(dataset.classNames).toEqual(sorted);
    // The test split is drawn over the files in sorted order (splitTestFiles: stratifiedHoldOut with TEST_SPLIT_SEED).
    const level = (name: string, n: number) => 10 * names.indexOf(name) + n;
    const listed = sorted.flatMap((name) => Array.from({ length: 10 }, (_, n) => ({ level: level(name, n), label: sorted.indexOf(name) })));
    const { held } = stratifiedHoldOut(listed.map((f) => f.label), 0.3, TEST_SPLIT_SEED);
    expect(levels(dataset.test, 1).sort((x, y) => x - y)).toEqual(Array.from(held, (k) => listed[k].level).sort((x, y) => x - y));
  });

  it('takes the size of the first image of the first class in name order (10.png before 2.png), not of another class', () => {
    const dir = folder({ 'b/1.png': greyPng(5, 8, 8), 'b/2.png': greyPng(5, 8, 8), 'a/2.png': greyPng(5, 4, 4), 'a/10.png': greyPng(5, 6, 3) });
    const { dataset, summary } = loadImageFolder(dir, { testSplit: 0.5, threads: 1 });
    expect([dataset.train.height, dataset.train.width]).toEqual([3, 6]);
    expect(summary.conversion).toEqual({ channels: 1, height: 3, width: 6, preprocess: 'none' });
    expect(summary.converted.resized).toBe(3);
    expect(Object.fromEntries(summary.sizes)).toEqual({ '6×3': 1, '4×4': 1, '8×8': 2 });
  });

  it('takes the size of the first training image in name order, not in the mixed training order', () => {
    // train/a holds 1.png (6 wide, 3 high) and seven 4 × 4 images: the mixed order starts elsewhere, the size is 1.png's.
    const files: Record<string, Uint8Array> = { 'train/a/1.png': greyPng(1, 6, 3), 'test/a/1.png': greyPng(1), 'test/b/1.png': greyPng(2) };
    for (let n = 2; n <= 8; n++) {
      files[`train/a/${n}.png`] = greyPng(n);
      files[`train/b/${n}.png`] = greyPng(20 + n);
    }
    const { dataset } = loadImageFolder(folder(files), { threads: 1 });
    expect(levels(dataset.train, 18)[0]).not.toBe(1); // the mixed order does not start with train/a/1.png
    expect(dataset.train.images.length).toBe(15 * 18);
    expect([dataset.train.height, dataset.train.width]).toEqual([3, 6]);
  });

  it('counts what sits beside train/ and test/, hidden or not, and reads links named train and test', () => {
    const data = folder({ 'tr/a/1.png': greyPng(1), 'tr/b/1.png': greyPng(2), 'te/a/1.png': greyPng(3), 'te/b/1.png': greyPng(4) });
    const dir = folder({ 'README.md': 'x', 'extra/1.png': greyPng(9), '.git/x': 'x' });
    symlinkSync(join(data, 'tr'), join(dir, 'train'));
    symlinkSync(join(data, 'te'), join(dir, 'test'));
    const { dataset, summary } = loadImageFolder(dir, { threads: 1 });
    expect(summary.ignored).toEqual({ hidden: 1, other: 2 });
    expect(summary.testSplit).toBeUndefined();
    expect('testSplit' in summary).toBe(false);
    expect('validationCounts' in summary).toBe(false);
    expect('validation' in dataset).toBe(false);
    expect(levels(dataset.test).sort()).toEqual([3, 4]);
  });

  it('names the set after the folder, a trailing slash or two left off', () => {
    const dir = folder({ 'a/1.png': greyPng(1), 'a/2.png': greyPng(1), 'b/1.png': greyPng(2), 'b/2.png': greyPng(2) });
    const name = dir.split(/[\\/]/).pop();
    expect(loadImageFolder(`${dir}//`, { testSplit: 0.5, threads: 1 }).dataset.name).toBe(name);
    expect(loadImageFolder(dir, { testSplit: 0.5, threads: 1 }).dataset.name).toBe(name);
    expect(loadImageFolderTest(dir, { channels: 1, height: 4, width: 4, preprocess: 'none' }, { testSplit: 0.5, threads: 1 }).name).toBe(name);
    expect(loadImageFolderTest(`${dir}/`, { channels: 1, height: 4, width: 4, preprocess: 'none' }, { testSplit: 0.5, threads: 1 }).name).toBe(name);
  });
});

describe('refusals, one line each, naming the folder or file', () => {
  it('a missing folder and a file are usage errors (exit 2, ERR_FILE)', () => {
    const dir = folder({ 'x.png': greyPng(1) });
    const missing = errorOf(() => loadImageFolder(join(dir, 'nope')));
    expect(missing).toMatchObject({ message: `${join(dir, 'nope')}: no such data folder`, exitCode: 2, code: 'ERR_FILE' });
    const file = errorOf(() => loadImageFolderTest(join(dir, 'x.png'), { channels: 1, height: 4, width: 4, preprocess: 'none' }));
    expect(file).toMatchObject({ message: `${join(dir, 'x.png')}: not a folder; --data takes a folder of class folders of images, or of the four IDX files`, exitCode: 2, code: 'ERR_FILE' });
  });

  it('no class folders, only hidden ones, one class, a class without images (ERR_BAD_DATA)', () => {
    const none = folder({ 'x.png': greyPng(1), '.hidden/1.png': greyPng(1) });
    expect(errorOf(() => loadImageFolder(none))).toMatchObject({ message: `${none}: no class folders; an image-folder data set holds a folder of images per class (${none}/<class>/*.png)`, code: 'ERR_BAD_DATA' });
    const single = folder({ 'only/1.png': greyPng(1), 'only/2.png': greyPng(2) });
    expect(errorOf(() => loadImageFolder(single))).toMatchObject({ message: `${single}: only one class folder (only); a classifier needs at least two classes`, code: 'ERR_BAD_DATA' });
    const empty = folder({ 'a/1.png': greyPng(1), 'b/1.png': greyPng(2), 'b/2.png': greyPng(2) });
    mkdirSync(join(empty, 'c'));
    expect(errorOf(() => loadImageFolder(empty))).toMatchObject({ message: `${join(empty, 'c')}: a class folder with no images (.png, .jpg or .jpeg); add its images or remove the folder`, code: 'ERR_BAD_DATA' });
    // A class whose only entries are hidden or not images is empty too.
    const hiddenOnly = folder({ 'a/1.png': greyPng(1), 'b/.1.png': greyPng(2), 'b/sub/1.png': greyPng(2) });
    expect(errorOf(() => loadImageFolder(hiddenOnly)).message).toBe(`${join(hiddenOnly, 'b')}: a class folder with no images (.png, .jpg or .jpeg); add its images or remove the folder`);
  });

  it('train/ without test/ and test/ without train/, and a test class the training set lacks', () => {
    const trainOnly = folder({ 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2) });
    expect(errorOf(() => loadImageFolder(trainOnly))).toMatchObject({
      message: `${trainOnly}: has train/ but no test/; give both ${trainOnly}/train/<class>/ and ${trainOnly}/test/<class>/, or put the class folders in ${trainOnly} itself (split by --test-split)`,
      code: 'ERR_BAD_DATA',
    });
    const testOnly = folder({ 'test/a/1.png': greyPng(1), 'test/b/1.png': greyPng(2) });
    expect(errorOf(() => loadImageFolder(testOnly)).message).toBe(`${testOnly}: has test/ but no train/; give both ${testOnly}/train/<class>/ and ${testOnly}/test/<class>/, or put the class folders in ${testOnly} itself (split by --test-split)`);
    // A file named test is no test folder.
    const fileTest = folder({ 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2), test: 'x' });
    expect(errorOf(() => loadImageFolder(fileTest)).message).toMatch(/has train\/ but no test\//);
    const extra = folder({ 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2), 'test/a/1.png': greyPng(1), 'test/c/1.png': greyPng(3) });
    expect(errorOf(() => loadImageFolder(extra))).toMatchObject({
      message: `${join(extra, 'test', 'c')}: a test class the training set lacks (no ${join(extra, 'train', 'c')}); the network can only learn classes it trains on`,
      code: 'ERR_BAD_DATA',
    });
    // One class in train/ is refused as one class, whatever test/ holds.
    const oneTrain = folder({ 'train/a/1.png': greyPng(1), 'test/a/1.png': greyPng(1) });
    expect(errorOf(() => loadImageFolder(oneTrain)).message).toBe(`${join(oneTrain, 'train')}: only one class folder (a); a classifier needs at least two classes`);
  });

  it('a test class the training set has is fine even when the test set lacks one of its classes', () => {
    const dir = folder({ 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2), 'test/b/1.png': greyPng(3) });
    const { summary, dataset } = loadImageFolder(dir, { threads: 1 });
    expect(summary.testCounts).toEqual([0, 1]);
    expect(Array.from(dataset.test.labels)).toEqual([1]);
  });

  it('--test-split beside a test/ folder (a usage error), out of range, or leaving no test image', () => {
    const split = folder({ 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2), 'test/a/1.png': greyPng(1), 'test/b/1.png': greyPng(2) });
    expect(errorOf(() => loadImageFolder(split, { testSplit: 0.2 }))).toMatchObject({ message: `--test-split: ${split} has its own test/ folder; leave --test-split out`, exitCode: 2 });
    const one = folder({ 'a/1.png': greyPng(1), 'b/1.png': greyPng(2) });
    expect(errorOf(() => loadImageFolder(one, { testSplit: 1 })).message).toBe('--test-split: 1 is not a fraction above 0 and at most 0.99');
    // One image a class: each keeps it for training, so no test image is left, whatever the fraction.
    expect(errorOf(() => loadImageFolder(one, { testSplit: 0.9 }))).toMatchObject({
      message: `${one}: a test split of 0.9 leaves no test image of its 2 (each class keeps at least one for training); give a larger --test-split or more images`,
      code: 'ERR_BAD_DATA',
    });
    // The default split is 0.2: of 3 images a class round(0.6) = 1 is tested.
    const three = folder({ 'a/1.png': greyPng(1), 'a/2.png': greyPng(1), 'a/3.png': greyPng(1), 'b/1.png': greyPng(2), 'b/2.png': greyPng(2), 'b/3.png': greyPng(2) });
    expect(loadImageFolder(three, { threads: 1 }).summary).toMatchObject({ testCounts: [1, 1], trainCounts: [2, 2], testSplit: 0.2 });
  });

  it('--val-split out of range, before the folder is even read', () => {
    expect(errorOf(() => loadImageFolder(folder({}), { validationSplit: 0 })).message).toBe('--val-split: 0 is not a fraction above 0 and at most 0.99');
  });

  it('more images than maxFiles, counted across train/ and test/, naming the folder where the count ran over', () => {
    const dir = folder({ 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2), 'test/a/1.png': greyPng(1), 'test/b/1.png': greyPng(2) });
    expect(loadImageFolder(dir, { maxFiles: 4, threads: 1 }).dataset.test.count).toBe(2);
    expect(errorOf(() => loadImageFolder(dir, { maxFiles: 3 }))).toMatchObject({
      message: `${join(dir, 'test', 'b')}: the data set holds more than 3 images, more than xcnn reads from a folder; use a subset`,
      code: 'ERR_BAD_DATA',
    });
    expect(MAX_FOLDER_IMAGES).toBe(2_000_000);
  });

  it('more decoded bytes than an IDX file may hold, before decoding', () => {
    // An image of 3 × 4096 × 4096 is 50,331,648 bytes: 43 of them are 2,164,260,864 > 2³¹ − 1. Only the first
    // image is a picture; the refusal comes before any other file is read.
    const dir = folder({ 'a/1.png': greyPng(1), 'b/1.png': greyPng(2), 'b/2.png': 'not decoded' });
    for (let k = 0; k < 40; k++) writeFileSync(join(dir, 'a', `x${k}.png`), 'not decoded either');
    expect(errorOf(() => loadImageFolder(dir, { channels: 3, size: { height: 4096, width: 4096 }, testSplit: 0.5 }))).toMatchObject({
      message: `${dir}: 43 images of 3×4096×4096 would take 2164260864 bytes, more than the 2147483647 xcnn holds; give a smaller --size or use a subset`,
      code: 'ERR_BAD_DATA',
    });
  });

  it('--preprocess mnist with other channels or another size (a usage error); with --size 28 it is fine', () => {
    // A dark stroke on white paper: what MNIST's preprocessing takes (a blank picture it refuses).
    const rgba = solidRgba(8, 8, [255, 255, 255, 255]);
    for (let y = 2; y < 6; y++) rgba.set([0, 0, 0, 255], 4 * (y * 8 + 4));
    const stroke = pngOf(rgba, 8, 8, 2);
    const dir = folder({ 'a/1.png': stroke, 'a/2.png': stroke, 'b/1.png': stroke, 'b/2.png': stroke });
    const message = "--preprocess mnist: makes 1×28×28 images, as MNIST's; leave --channels and --size out (or give --channels 1 --size 28)";
    expect(errorOf(() => loadImageFolder(dir, { preprocess: 'mnist', channels: 3, testSplit: 0.5 }))).toMatchObject({ message, exitCode: 2 });
    expect(errorOf(() => loadImageFolder(dir, { preprocess: 'mnist', size: { height: 28, width: 27 }, testSplit: 0.5 })).message).toBe(message);
    expect(errorOf(() => loadImageFolder(dir, { preprocess: 'mnist', size: { height: 27, width: 28 }, testSplit: 0.5 })).message).toBe(message);
    const ok = loadImageFolder(dir, { preprocess: 'mnist', channels: 1, size: { height: 28, width: 28 }, testSplit: 0.5, threads: 1 });
    expect(ok.summary.conversion).toEqual({ channels: 1, height: 28, width: 28, preprocess: 'mnist' });
  });
});

describe('files that cannot be used', () => {
  /** A file past the size limit, sparse: it takes no room on disk. */
  function tooLarge(path: string): void {
    writeFileSync(path, '');
    truncateSync(path, MAX_PICTURE_FILE_BYTES + 1);
  }

  it('the first training image too large to read stops the run, naming it; skipBad takes the size of the next', () => {
    const dir = folder({ 'a/2.png': greyPng(7, 2, 2), 'a/3.png': greyPng(7, 2, 2), 'b/1.png': greyPng(9, 2, 2), 'b/2.png': greyPng(9, 2, 2) });
    tooLarge(join(dir, 'a', '1.png'));
    const error = errorOf(() => loadImageFolder(dir, { testSplit: 0.25, threads: 1 }));
    expect(error).toMatchObject({
      message: `${join(dir, 'a', '1.png')}: cannot use this image: cannot read the image: it is ${MAX_PICTURE_FILE_BYTES + 1} bytes, more than the ${MAX_PICTURE_FILE_BYTES} such a file can be (fix or remove the file, or give --skip-bad to leave unreadable files out)`,
      code: 'ERR_BAD_IMAGE',
    });
    const { dataset, summary } = loadImageFolder(dir, { testSplit: 0.25, skipBad: true, threads: 1 });
    expect([dataset.train.height, dataset.train.width]).toEqual([2, 2]);
    expect(summary.skipped).toEqual([{ file: join(dir, 'a', '1.png'), reason: expect.stringMatching(/^cannot read the image: it is \d+ bytes/) }]);
    expect(dataset.train.count + dataset.test.count).toBe(4);
  });

  it('names the first unreadable training image in name order when the size is taken from it, not the first the decoder meets', () => {
    // train/a/1.png and train/b/5.png are junk; the mixed training order (what the decoder follows) meets b/5.png first.
    const files: Record<string, Uint8Array | string> = { 'test/a/1.png': greyPng(1), 'test/b/1.png': greyPng(2) };
    for (let n = 1; n <= 8; n++) {
      files[`train/a/${n}.png`] = n === 1 ? 'junk' : greyPng(n);
      files[`train/b/${n}.png`] = n === 5 ? 'junk' : greyPng(20 + n);
    }
    const dir = folder(files);
    const listed = ['a', 'b'].flatMap((name, label) => Array.from({ length: 8 }, (_, n) => ({ path: join(dir, 'train', name, `${n + 1}.png`), label })));
    const mixed = mixedOrder(listed).map((file) => file.path);
    expect(mixed.indexOf(join(dir, 'train', 'b', '5.png'))).toBeLessThan(mixed.indexOf(join(dir, 'train', 'a', '1.png')));
    expect(errorOf(() => loadImageFolder(dir, { threads: 1 })).message).toBe(
      `${join(dir, 'train', 'a', '1.png')}: cannot use this image: not a PNG or JPEG file (it starts with neither signature) (fix or remove the file, or give --skip-bad to leave unreadable files out)`,
    );
    // Given the size, nothing is read first: the decoder names the first bad file in its order.
    expect(errorOf(() => loadImageFolder(dir, { threads: 1, channels: 1, size: { height: 4, width: 4 } })).message).toMatch(new RegExp(`^${join(dir, 'train', 'b', '5.png').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot use this image`));
  });

  it('no readable training image at all, with skipBad', () => {
    const dir = folder({ 'a/1.png': 'x', 'a/2.png': 'x', 'b/1.png': 'y', 'b/2.png': 'y' });
    // The message names the first training file in the mixed training order, whichever it is.
    expect(errorOf(() => loadImageFolder(dir, { testSplit: 0.5, skipBad: true, threads: 1 }))).toMatchObject({ message: expect.stringMatching(/[\\/][ab][\\/][12]\.png: no training image could be read$/), code: 'ERR_BAD_DATA' });
  });

  it('a class whose every training image was unreadable, with skipBad', () => {
    const dir = folder({ 'a/1.png': greyPng(1), 'a/2.png': greyPng(1), 'b/1.png': 'broken', 'b/2.png': 'broken' });
    expect(errorOf(() => loadImageFolder(dir, { testSplit: 0.5, skipBad: true, threads: 1 }))).toMatchObject({
      message: `${dir}: every training image of class b was unreadable (--skip-bad left them out); a class needs at least one`,
      code: 'ERR_BAD_DATA',
    });
  });

  it('a file skipped among good ones: the later images move down, their labels with them, in file order', () => {
    // train/ and test/ keep the listed order apart from mixedOrder's shuffle; a test set of one class shows the order.
    const dir = folder({ 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2), 'test/a/1.png': greyPng(11), 'test/a/2.png': 'broken', 'test/a/3.png': greyPng(13), 'test/b/1.png': greyPng(21) });
    const { dataset, summary } = loadImageFolder(dir, { skipBad: true, threads: 1 });
    expect(summary.skipped.map((s) => s.file)).toEqual([join(dir, 'test', 'a', '2.png')]);
    expect(dataset.test.count).toBe(3);
    expect(dataset.test.images.length).toBe(48);
    const pairs = levels(dataset.test).map((level, n) => [level, dataset.test.labels[n]]);
    expect(pairs.sort((x, y) => x[0] - y[0])).toEqual([[11, 0], [13, 0], [21, 1]]);
    expect(dataset.test.labels).toBeInstanceOf(Uint8Array);
    expect(summary.testCounts).toEqual([2, 1]);
    expect(dataset.train.count).toBe(2);
  });
});

describe('the test split alone', () => {
  it('decodes only the test files (a broken training file is never read) and counts no training image', () => {
    const dir = folder({ 'train/a/1.png': 'broken', 'train/b/1.png': 'broken', 'test/a/1.png': greyPng(5), 'test/b/1.png': greyPng(6), 'test/b/2.png': greyPng(7) });
    const alone = loadImageFolderTest(dir, { channels: 1, height: 4, width: 4, preprocess: 'none' }, { threads: 1 });
    expect(alone.classNames).toEqual(['a', 'b']);
    expect(alone.summary.trainCounts).toEqual([0, 0]);
    expect(alone.summary.testCounts).toEqual([1, 2]);
    expect(alone.summary.skipped).toEqual([]);
    expect(alone.summary.ignored).toEqual({ hidden: 0, other: 0 });
    expect(Object.fromEntries(alone.summary.sizes)).toEqual({ '4×4': 3 });
    expect(levels(alone.test).sort()).toEqual([5, 6, 7]);
  });
});

describe('labels of many classes', () => {
  it('takes 65,536 class folders and refuses 65,537 (the names alone: so many folders take minutes to write here)', () => {
    const names = Array.from({ length: 65_537 }, (_, k) => `c${k}`);
    expect(checkClassCount('d', names.slice(0, 65_536))).toHaveLength(65_536);
    expect(errorOf(() => checkClassCount('d', names))).toMatchObject({ message: 'd: 65537 class folders, more than the 65536 classes xcnn takes', code: 'ERR_BAD_DATA' });
    expect(checkClassCount('d', ['a', 'b'])).toEqual(['a', 'b']);
  });

  it('stores labels as Uint16Array above 256 classes (257 class folders), as Uint8Array at 256', () => {
    const files: Record<string, Uint8Array> = {};
    const png = greyPng(3, 1, 1);
    for (let k = 0; k < 257; k++) {
      const name = `c${String(k).padStart(3, '0')}`;
      files[`train/${name}/1.png`] = png;
      if (k === 256) files[`test/${name}/1.png`] = png;
    }
    const dir = folder(files);
    const { dataset } = loadImageFolder(dir, { threads: 1 });
    expect(dataset.test.labels).toBeInstanceOf(Uint16Array);
    expect(Array.from(dataset.test.labels)).toEqual([256]);
    delete files['train/c256/1.png'];
    delete files['test/c256/1.png'];
    files['test/c255/1.png'] = png;
    const { dataset: fewer } = loadImageFolder(folder(files), { threads: 1 });
    expect(fewer.test.labels).toBeInstanceOf(Uint8Array);
    expect(Array.from(fewer.test.labels)).toEqual([255]);
  });
});

describe('the input the images become, when the options give only part of it', () => {
  // A stroke on paper (what --preprocess mnist takes) and a first image that is RGB, 3 wide and 2 high.
  const stroke = () => {
    const rgba = solidRgba(8, 8, [255, 255, 255, 255]);
    for (let y = 2; y < 6; y++) rgba.set([0, 0, 0, 255], 4 * (y * 8 + 4));
    return pngOf(rgba, 8, 8, 2);
  };

  it('takes the first image\'s channels when only the size is given, and its size when only the channels are', () => {
    const dir = folder({ 'a/1.png': pngOf(solidRgba(3, 2, [10, 20, 30, 255]), 3, 2, 2), 'a/2.png': greyPng(5, 4, 4), 'b/1.png': greyPng(6, 4, 4), 'b/2.png': greyPng(7, 4, 4) });
    const sized = loadImageFolder(dir, { size: { height: 5, width: 6 }, testSplit: 0.5, threads: 1 });
    expect(sized.summary.conversion).toEqual({ channels: 3, height: 5, width: 6, preprocess: 'none' });
    expect(sized.dataset.train.images.length).toBe(2 * 3 * 5 * 6);
    const grey = loadImageFolder(dir, { channels: 1, testSplit: 0.5, threads: 1 });
    expect(grey.summary.conversion).toEqual({ channels: 1, height: 2, width: 3, preprocess: 'none' });
    expect(grey.dataset.test.images.length).toBe(2 * 6);
  });

  it('--preprocess mnist alone, or with --channels 1 alone, or with --size 28 alone, makes 1×28×28', () => {
    const dir = folder({ 'a/1.png': stroke(), 'a/2.png': stroke(), 'b/1.png': stroke(), 'b/2.png': stroke() });
    const mnist = { channels: 1, height: 28, width: 28, preprocess: 'mnist' };
    for (const options of [{}, { channels: 1 as const }, { size: { height: 28, width: 28 } }]) {
      expect(loadImageFolder(dir, { preprocess: 'mnist', testSplit: 0.5, threads: 1, ...options }).summary.conversion).toEqual(mnist);
    }
  });
});

describe('what the summary counts after decoding', () => {
  it('refuses a class whose every training image was unreadable when it is the first class too', () => {
    const dir = folder({ 'a/1.png': 'broken', 'a/2.png': 'broken', 'b/1.png': greyPng(1), 'b/2.png': greyPng(1) });
    expect(errorOf(() => loadImageFolder(dir, { testSplit: 0.5, skipBad: true, threads: 1 }))).toMatchObject({
      message: `${dir}: every training image of class a was unreadable (--skip-bad left them out); a class needs at least one`,
      code: 'ERR_BAD_DATA',
    });
  });

  it('counts the sizes and conversions of the decoded images only, not of a skipped file', () => {
    // 3 decoded images of 4 × 4 (one of them RGB, made grey), and a file that is no picture: sizes 4×4: 3, nothing else.
    const dir = folder({ 'train/a/1.png': greyPng(1), 'train/b/1.png': pngOf(solidRgba(4, 4, [9, 9, 9, 255]), 4, 4, 2), 'test/a/1.png': greyPng(3), 'test/b/1.png': 'broken' });
    const { summary } = loadImageFolder(dir, { skipBad: true, threads: 1 });
    expect(Object.fromEntries(summary.sizes)).toEqual({ '4×4': 3 });
    expect(summary.converted).toEqual({ resized: 0, toGrey: 1, toColour: 0, alpha: 0 });
    expect(summary.skipped).toEqual([{ file: join(dir, 'test', 'b', '1.png'), reason: 'not a PNG or JPEG file (it starts with neither signature)' }]);
  });

  it('holds out the validation split as splitValidation does, with the seed given, else seed 1', () => {
    // Ten images a class, each its own level: the split is told by the levels.
    const files: Record<string, Uint8Array> = {};
    for (let n = 0; n < 10; n++) {
      files[`train/a/${n}.png`] = greyPng(n);
      files[`train/b/${n}.png`] = greyPng(100 + n);
    }
    const dir = folder({ ...files, 'test/a/1.png': greyPng(50), 'test/b/1.png': greyPng(150) });
    const { train } = loadImageFolder(dir, { threads: 1 }).dataset;
    for (const seed of [undefined, 1, 7]) {
      const { dataset, summary } = loadImageFolder(dir, { validationSplit: 0.3, threads: 1, ...(seed === undefined ? {} : { seed }) });
      const expected = splitValidation({ ...train, images: train.images.slice(), labels: train.labels.slice() }, 0.3, seed ?? 1);
      expect(levels(dataset.validation!)).toEqual(levels(expected.validation));
      expect(levels(dataset.train)).toEqual(levels(expected.train));
      expect(summary.validationCounts).toEqual([3, 3]); // round(0.3 · 10) of each class
      expect(summary.trainCounts).toEqual([7, 7]);
    }
    const seven = loadImageFolder(dir, { validationSplit: 0.3, seed: 7, threads: 1 }).dataset.validation!;
    const one = loadImageFolder(dir, { validationSplit: 0.3, seed: 1, threads: 1 }).dataset.validation!;
    expect(levels(seven)).not.toEqual(levels(one));
  });
});

describe('the arguments of the library calls', () => {
  it('refuses a folder that is not a string, and options or a conversion that are not objects, in one line each', () => {
    expect(errorOf(() => loadImageFolder(7 as unknown as string))).toMatchObject({ message: 'loadImageFolder: dir must be a string (a folder path), not number', code: 'ERR_BAD_ARGUMENT' });
    expect(errorOf(() => loadImageFolder('x', 'fast' as unknown as object))).toMatchObject({ message: 'loadImageFolder: options must be an object (its options), not string', code: 'ERR_BAD_ARGUMENT' });
    expect(errorOf(() => loadImageFolderTest(null as unknown as string, { channels: 1, height: 4, width: 4, preprocess: 'none' }))).toMatchObject({ message: 'loadImageFolderTest: dir must be a string (a folder path), not null', code: 'ERR_BAD_ARGUMENT' });
    expect(errorOf(() => loadImageFolderTest('x', { channels: 1, height: 4 } as never))).toMatchObject({
      message: "loadImageFolderTest: conversion.width must be a number (conversion: the model's input size and channels), not undefined",
      code: 'ERR_BAD_ARGUMENT',
    });
    expect(errorOf(() => loadImageFolderTest('x', { channels: 1, height: 4, width: 4, preprocess: 'none' }, [] as never))).toMatchObject({ message: 'loadImageFolderTest: options must be an object (its options), not Array', code: 'ERR_BAD_ARGUMENT' });
    expect(errorOf(() => isImageFolder(undefined as unknown as string))).toMatchObject({ message: 'isImageFolder: dir must be a string (a folder path), not undefined', code: 'ERR_BAD_ARGUMENT' });
  });
});

describe('byCodePoint: the order of names', () => {
  it('compares by code point: a shorter name first where one begins the other, equal names as equal', () => {
    const sign = (a: string, b: string) => Math.sign(byCodePoint(a, b));
    expect([sign('a', 'b'), sign('b', 'a'), sign('B', 'a'), sign('a', 'a'), sign('', '')]).toEqual([-1, 1, -1, 0, 0]);
    expect([sign('a', 'ab'), sign('ab', 'a'), sign('', 'a'), sign('a', '')]).toEqual([-1, 1, -1, 1]);
    // U+FF5A before U+1F600 and U+FFFF before U+10000, against UTF-16's order; two astral characters by their code points.
    expect([sign('ｚ', '😀'), sign('😀', 'ｚ'), sign('\uffff', '\u{10000}'), sign('x😀', 'x😁'), sign('😁', '😀'), sign('😀a', '😀b'), sign('😀', '😀')]).toEqual([-1, 1, -1, -1, 1, -1, 0]);
    expect(['😀', 'ｚ', 'z', '😀a', '\u{10000}', '\uffff'].sort(byCodePoint)).toEqual(['z', 'ｚ', '\uffff', '\u{10000}', '😀', '😀a']);
  });
});
