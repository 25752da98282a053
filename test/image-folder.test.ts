import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { digitFromPng } from '../src/explain/digit-image.js';
import { formatFolderSummary, TEST_SPLIT_SEED } from '../src/data/image-folder.js';
import { isImageFolder, loadImageFolder, loadImageFolderTest } from '../src/data/image-folder-files.js';
import { readPictureHeader } from '../src/data/picture-header.js';
import { stratifiedHoldOut } from '../src/data/split.js';
import { greyPng, jpegOf, pngOf, solidRgba, tempFolder, writeTree } from './fixtures/picture-files.js';

/** `count` grey PNGs per class, class k at level 10·(k+1) + n (so every image is told apart by its bytes). */
function classFolders(classes: string[], count: number, prefix = ''): Record<string, Uint8Array> {
  const files: Record<string, Uint8Array> = {};
  classes.forEach((name, k) => {
    for (let n = 0; n < count; n++) files[`${prefix}${name}/${String(n).padStart(3, '0')}.png`] = greyPng(10 * (k + 1) + n);
  });
  return files;
}

describe('image folders: layout and classes', () => {
  it('reads train/ and test/ class folders, class names sorted, each image its bytes and its label', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), { ...classFolders(['zebra', 'ant'], 3, 'train/'), ...classFolders(['zebra', 'ant'], 2, 'test/') });
    const { dataset, summary } = loadImageFolder(dir);
    expect(dataset.classNames).toEqual(['ant', 'zebra']);
    expect([dataset.train.count, dataset.test.count]).toEqual([6, 4]);
    expect([dataset.train.channels, dataset.train.height, dataset.train.width]).toEqual([1, 4, 4]);
    // 'zebra' listed first is class 1, its images at levels 10..12; 'ant' class 0 at 20..22.
    for (let n = 0; n < dataset.train.count; n++) {
      const level = dataset.train.images[16 * n];
      expect(dataset.train.images.subarray(16 * n, 16 * (n + 1)).every((v) => v === level)).toBe(true);
      expect(dataset.train.labels[n]).toBe(level >= 20 ? 0 : 1);
    }
    expect(summary.trainCounts).toEqual([3, 3]);
    expect(summary.testCounts).toEqual([2, 2]);
    expect(isImageFolder(dir)).toBe(true);
  });

  it('splits one folder of classes by --test-split: round(F · n) of each class tested, the same split every time', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), classFolders(['a', 'b', 'c'], 10));
    const first = loadImageFolder(dir, { testSplit: 0.3 });
    expect(first.summary.testCounts).toEqual([3, 3, 3]);
    expect(first.summary.trainCounts).toEqual([7, 7, 7]);
    const again = loadImageFolder(dir, { testSplit: 0.3 });
    expect(again.dataset.test.images).toEqual(first.dataset.test.images);
    // The test images are exactly the split's, whatever order the set holds them in: compare as level sets.
    const levels = (set: { images: Uint8Array; count: number }) => Array.from({ length: set.count }, (_, n) => set.images[16 * n]).sort((x, y) => x - y);
    const trainLevels = new Set(levels(first.dataset.train));
    expect(levels(first.dataset.test).some((level) => trainLevels.has(level))).toBe(false);
    expect(first.summary.testSplit).toBe(0.3);
    expect(TEST_SPLIT_SEED).toBeTypeOf('number');
  });

  it('mixes the classes in the training order, so the first N images are not all of one class', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), classFolders(['a', 'b'], 20));
    const { dataset } = loadImageFolder(dir, { testSplit: 0.2 });
    const firstTen = Array.from(dataset.train.labels.subarray(0, 10));
    expect(new Set(firstTen).size).toBe(2);
  });

  it('ignores hidden entries and non-image files, and counts them', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), {
      ...classFolders(['a', 'b'], 5),
      'a/.DS_Store': 'x',
      '.hidden/x.png': greyPng(1),
      'b/notes.txt': 'hello',
      'README.md': 'data',
    });
    const { summary } = loadImageFolder(dir);
    expect(summary.ignored).toEqual({ hidden: 2, other: 2 });
    expect(summary.classNames).toEqual(['a', 'b']);
  });

  it('refuses, in one line each: an empty class, a single class, a test class the training set lacks, train/ without test/', () => {
    const empty = writeTree(tempFolder('xcnn-folder-'), { ...classFolders(['a', 'b'], 3), 'c/readme.txt': 'no images' });
    expect(() => loadImageFolder(empty)).toThrow(/[\\/]c: a class folder with no images/);
    const single = writeTree(tempFolder('xcnn-folder-'), classFolders(['only'], 3));
    expect(() => loadImageFolder(single)).toThrow(/only one class folder \(only\)/);
    const extra = writeTree(tempFolder('xcnn-folder-'), { ...classFolders(['a', 'b'], 2, 'train/'), ...classFolders(['a', 'b', 'c'], 2, 'test/') });
    expect(() => loadImageFolder(extra)).toThrow(/test[\\/]c: a test class the training set lacks/);
    const half = writeTree(tempFolder('xcnn-folder-'), classFolders(['a', 'b'], 2, 'train/'));
    expect(() => loadImageFolder(half)).toThrow(/has train\/ but no test\//);
    expect(() => loadImageFolder(join(half, 'train'), { testSplit: 0.5 })).not.toThrow();
  });

  it('refuses --test-split for a folder with its own test/', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), { ...classFolders(['a', 'b'], 2, 'train/'), ...classFolders(['a', 'b'], 2, 'test/') });
    expect(() => loadImageFolder(dir, { testSplit: 0.2 })).toThrow(/--test-split: .* has its own test\/ folder/);
  });
});

describe('image folders: bounds and bad files', () => {
  it('refuses a folder of more images than the limit before decoding any', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), { ...classFolders(['a', 'b'], 3), 'b/bad.png': 'not a png' });
    // The bad file would stop decoding: refused by the count first shows nothing was decoded.
    expect(() => loadImageFolder(dir, { maxFiles: 5 })).toThrow(/more than 5 images/);
  });

  it('refuses a picture whose header declares more pixels than the limit, without decoding it', () => {
    const png = greyPng(0, 4, 4);
    new DataView(png.buffer, png.byteOffset).setUint32(16, 5000); // width 5000 in IHDR (its CRC is now wrong: never read)
    const dir = writeTree(tempFolder('xcnn-folder-'), { ...classFolders(['a', 'b'], 2), 'a/huge.png': png });
    expect(() => loadImageFolder(dir)).toThrow(/huge\.png: cannot use this image: the PNG declares 5000×4 pixels, more than xcnn reads/);
  });

  it('stops on a file that cannot be decoded, naming it; --skip-bad lists it and carries on', () => {
    const truncated = greyPng(50).subarray(0, 40);
    const dir = writeTree(tempFolder('xcnn-folder-'), { ...classFolders(['a', 'b'], 3), 'a/zz-broken.png': truncated, 'b/zz-text.jpg': 'plain text' });
    expect(() => loadImageFolder(dir, { testSplit: 0.4 })).toThrow(/zz-(broken\.png|text\.jpg): cannot use this image: .*--skip-bad/);
    const { dataset, summary } = loadImageFolder(dir, { testSplit: 0.4, skipBad: true });
    expect(summary.skipped.map((s) => s.file.split(/[\\/]/).pop()).sort()).toEqual(['zz-broken.png', 'zz-text.jpg']);
    expect(summary.skipped.find((s) => s.file.endsWith('zz-text.jpg'))!.reason).toMatch(/not a PNG or JPEG file/);
    expect(dataset.train.count + dataset.test.count).toBe(6);
    expect(dataset.train.images.length).toBe(16 * dataset.train.count);
    expect(formatFolderSummary(summary)).toMatch(/skipped 2 unreadable/);
  });
});

describe('image folders: conversion to the network input', () => {
  it('takes the first image\'s channels and size by default, and resizes the others (area when shrinking)', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), {
      'a/1.png': greyPng(100, 4, 4),
      'a/2.png': greyPng(100, 4, 4),
      'b/1.png': greyPng(200, 8, 8), // a uniform image stays uniform under any averaging filter
      'b/2.png': greyPng(200, 4, 4),
    });
    const { dataset, summary } = loadImageFolder(dir, { testSplit: 0.5 });
    expect([dataset.train.height, dataset.train.width]).toEqual([4, 4]);
    const all = [dataset.train, dataset.test].flatMap((set) => Array.from(set.images));
    expect(new Set(all)).toEqual(new Set([100, 200]));
    expect([...summary.sizes]).toEqual(expect.arrayContaining([['4×4', 3], ['8×8', 1]]));
    expect(summary.converted.resized).toBe(1);
  });

  it('makes colour grey with the luma weights and composites transparency over white', () => {
    // (200, 100, 50) → 0.299·200 + 0.587·100 + 0.114·50 = 124.2 → 124; black at alpha 51/255 = 0.2 over white: 0.8 · 255 = 204.
    const dir = writeTree(tempFolder('xcnn-folder-'), {
      'a/1.png': greyPng(0, 2, 2),
      'a/2.png': pngOf(solidRgba(2, 2, [200, 100, 50, 255]), 2, 2, 2),
      'b/1.png': pngOf(solidRgba(2, 2, [0, 0, 0, 51]), 2, 2, 6),
      'b/2.png': greyPng(0, 2, 2),
    });
    const { dataset, summary } = loadImageFolder(dir, { testSplit: 0.5 });
    const values = new Set([dataset.train, dataset.test].flatMap((set) => Array.from(set.images)));
    expect(values).toEqual(new Set([0, 124, 204]));
    expect(summary.conversion.channels).toBe(1);
    expect(summary.converted).toMatchObject({ toGrey: 2, alpha: 1 });
  });

  it('gives a grey picture three equal planes with --channels 3, and resizes to --size HxW', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), classFolders(['a', 'b'], 2));
    const { dataset, summary } = loadImageFolder(dir, { channels: 3, size: { height: 2, width: 3 }, testSplit: 0.5 });
    expect([dataset.train.channels, dataset.train.height, dataset.train.width]).toEqual([3, 2, 3]);
    const first = dataset.train.images.subarray(0, 18);
    expect(first.every((v) => v === first[0])).toBe(true); // uniform grey → every channel and pixel the same
    expect(summary.converted.toColour).toBe(4);
  });

  it('decodes JPEG files (baseline, quality 100: a uniform colour within 2 levels)', () => {
    const rgba = solidRgba(8, 8, [90, 90, 90, 255]);
    const dir = writeTree(tempFolder('xcnn-folder-'), { 'a/1.jpg': jpegOf(rgba, 8, 8), 'a/2.jpeg': jpegOf(rgba, 8, 8), 'b/1.JPG': jpegOf(solidRgba(8, 8, [30, 30, 30, 255]), 8, 8), 'b/2.jpg': jpegOf(rgba, 8, 8) });
    const { dataset } = loadImageFolder(dir, { channels: 1, testSplit: 0.5 });
    for (const set of [dataset.train, dataset.test]) {
      for (let n = 0; n < set.count; n++) {
        const expected = set.labels[n] === 0 ? 90 : [30, 90];
        for (const v of set.images.subarray(64 * n, 64 * (n + 1))) {
          const target = Array.isArray(expected) ? (Math.abs(v - 30) < Math.abs(v - 90) ? 30 : 90) : expected;
          expect(Math.abs(v - target)).toBeLessThanOrEqual(2);
        }
      }
    }
  });

  it('--preprocess mnist makes each image as explain --image makes a digit', () => {
    const rgba = solidRgba(40, 40, [255, 255, 255, 255]);
    for (let y = 10; y < 30; y++) for (let x = 18; x < 22; x++) rgba.set([0, 0, 0, 255], 4 * (y * 40 + x)); // a dark stroke on paper
    const stroke = pngOf(rgba, 40, 40, 2);
    const dir = writeTree(tempFolder('xcnn-folder-'), { 'a/1.png': stroke, 'a/2.png': stroke, 'b/1.png': stroke, 'b/2.png': stroke });
    const { dataset } = loadImageFolder(dir, { preprocess: 'mnist', testSplit: 0.5 });
    expect([dataset.train.channels, dataset.train.height, dataset.train.width]).toEqual([1, 28, 28]);
    expect(dataset.train.images.subarray(0, 784)).toEqual(digitFromPng(stroke, 'stroke').pixels);
  });
});

describe('image folders: validation split and the test split alone', () => {
  it('holds out round(F · n) of each training class for validation, seeded', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), classFolders(['a', 'b'], 10));
    const { dataset, summary } = loadImageFolder(dir, { testSplit: 0.2, validationSplit: 0.25, seed: 7 });
    expect(summary.validationCounts).toEqual([2, 2]); // round(0.25 · 8)
    expect(summary.trainCounts).toEqual([6, 6]);
    expect(dataset.validation!.count).toBe(4);
    const again = loadImageFolder(dir, { testSplit: 0.2, validationSplit: 0.25, seed: 7 });
    expect(again.dataset.validation!.images).toEqual(dataset.validation!.images);
    expect(formatFolderSummary(summary)).toMatch(/a 6\+2\+2, b 6\+2\+2 train\+val\+test/);
  });

  it('reads the same test images alone as with the training set', () => {
    const dir = writeTree(tempFolder('xcnn-folder-'), classFolders(['a', 'b'], 10));
    const both = loadImageFolder(dir, { testSplit: 0.2 });
    const alone = loadImageFolderTest(dir, both.summary.conversion, { testSplit: 0.2 });
    expect(alone.test.images).toEqual(both.dataset.test.images);
    expect(alone.classNames).toEqual(['a', 'b']);
  });
});

describe('stratified hold-out', () => {
  it('holds out round(F · n) of each class and keeps at least one of each', () => {
    const labels = [...new Array(10).fill(0), ...new Array(3).fill(1), 2];
    const { kept, held } = stratifiedHoldOut(labels, 0.5, 1);
    const heldOf = (c: number) => Array.from(held).filter((k) => labels[k] === c).length;
    expect([heldOf(0), heldOf(1), heldOf(2)]).toEqual([5, 2, 0]); // round(1.5) = 2; a class of 1 keeps it
    expect(kept.length + held.length).toBe(labels.length);
  });
});

describe('picture headers', () => {
  it('reads a PNG\'s and a JPEG\'s size and channels from their first bytes', () => {
    expect(readPictureHeader(greyPng(0, 5, 3))).toEqual({ format: 'png', width: 5, height: 3, channels: 1 });
    expect(readPictureHeader(pngOf(solidRgba(2, 7, [1, 2, 3, 255]), 2, 7, 2))).toEqual({ format: 'png', width: 2, height: 7, channels: 3 });
    expect(readPictureHeader(jpegOf(solidRgba(9, 6, [1, 2, 3, 255]), 9, 6))).toEqual({ format: 'jpeg', width: 9, height: 6, channels: 3 });
    expect(readPictureHeader(new TextEncoder().encode('hello'))).toMatch(/not a PNG or JPEG/);
  });
});

