/**
 * `xcnn train`'s data flags (src/cli/image-data.ts), in this process: --size, the flags an image folder takes
 * (passed to its loader as they were given), the refusal of those flags with IDX files, --limit and
 * --test-limit, --val-split (its counts in the folder's summary, or its own line for IDX data), --skip-bad's
 * list, and the record a model file keeps of them (dataRecord, and dataFlagValues reading it back). The data
 * are tiny folders this test writes, so every count is worked out by hand: round(F · n) of each class's n.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi, type MockInstance } from 'vitest';
import { GIVEN, type FlagValues } from '../src/cli/args.js';
import { dataFlagValues, dataRecord, imageDataFlags, loadTrainingData, sizeFlag } from '../src/cli/image-data.js';
import * as folderFiles from '../src/data/image-folder-files.js';
import { splitValidation } from '../src/data/split.js';
import { errorOf } from './errors.js';
import { idxBytes } from './fixtures/files.js';
import { greyPng } from './fixtures/picture-files.js';

vi.mock('../src/data/image-folder-files.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../src/data/image-folder-files.js')>();
  return { ...actual, loadImageFolder: vi.fn(actual.loadImageFolder) };
});

const scratch = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** Values as parseFlags gives them: `given` names the flags the user typed (a default is in `values` only). */
function flagValues(values: Record<string, string | number | boolean | undefined>, given: string[] = Object.keys(values)): FlagValues {
  return { ...values, [GIVEN]: new Set(given) };
}

/** Class folders a and b of `perClass` grey 4×4 pictures, and `extra` files (path → bytes) beside them. */
function imageFolder(perClass: number, extra: Record<string, Uint8Array | string> = {}): string {
  const dir = scratch('xcnn-image-data-');
  ['a', 'b'].forEach((name, c) => {
    mkdirSync(join(dir, name));
    for (let k = 0; k < perClass; k++) writeFileSync(join(dir, name, `${k}.png`), greyPng(20 * c + k));
  });
  for (const [path, bytes] of Object.entries(extra)) writeFileSync(join(dir, path), bytes);
  return dir;
}

/** An IDX data folder of 1×2×2 images: `train` and `test` are each split's labels. */
function idxFolder(train: number[], test: number[]): string {
  const dir = scratch('xcnn-image-data-idx-');
  const write = (images: string, labels: string, values: number[]) => {
    writeFileSync(join(dir, images), idxBytes([values.length, 2, 2], new Uint8Array(values.length * 4).map((_, k) => k)));
    writeFileSync(join(dir, labels), idxBytes([values.length], Uint8Array.from(values)));
  };
  write('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', train);
  write('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', test);
  return dir;
}

let stdout: MockInstance;
let stderr: MockInstance;
let stderrWrites: MockInstance;
beforeEach(() => {
  stdout = vi.spyOn(console, 'log').mockImplementation(() => {});
  stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
  stderrWrites = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  vi.mocked(folderFiles.loadImageFolder).mockClear();
});
afterEach(() => {
  stdout.mockRestore();
  stderr.mockRestore();
  stderrWrites.mockRestore();
});

const printed = () => stdout.mock.calls.map((call) => call.join(' '));
const warned = () => stderr.mock.calls.map((call) => call.join(' '));

describe('the image-folder flag table', () => {
  it('gives each flag its choices, default, range and check', () => {
    expect(imageDataFlags.channels).toMatchObject({ type: 'string', choices: ['1', '3'] });
    expect(imageDataFlags.channels.default).toBeUndefined();
    expect(imageDataFlags.size.type).toBe('string');
    expect(() => imageDataFlags.size.check!('28x32')).not.toThrow();
    expect(errorOf(() => imageDataFlags.size.check!('0')).message).toBe("--size: '0' is not a whole number from 1 to 4096");
    expect(imageDataFlags.preprocess).toMatchObject({ type: 'string', default: 'none', choices: ['none', 'mnist'] });
    expect(imageDataFlags['test-split']).toMatchObject({ type: 'string', default: '0.2', range: { min: 0, max: 0.99, whole: false, aboveMin: true } });
    expect(imageDataFlags['val-split']).toMatchObject({ type: 'string', range: { min: 0, max: 0.99, whole: false, aboveMin: true } });
    expect(imageDataFlags['val-split'].default).toBeUndefined();
    expect(imageDataFlags['skip-bad'].type).toBe('boolean');
  });
});

describe('sizeFlag', () => {
  it('reads H (square) or HxW, with x in either case', () => {
    expect(sizeFlag('28')).toEqual({ height: 28, width: 28 });
    expect(sizeFlag('32x48')).toEqual({ height: 32, width: 48 });
    expect(sizeFlag('1X4096')).toEqual({ height: 1, width: 4096 });
  });

  it('refuses three parts, and a side outside 1 to 4096', () => {
    const error = errorOf(() => sizeFlag('3x32x32'));
    expect([error.exitCode, error.message]).toEqual([2, "--size: '3x32x32' is not H or HxW, e.g. 28 or 32x48"]);
    expect(errorOf(() => sizeFlag('4097')).message).toBe("--size: '4097' is not a whole number from 1 to 4096");
    expect(errorOf(() => sizeFlag('8x0')).message).toBe("--size: '0' is not a whole number from 1 to 4096");
  });
});

describe('loadTrainingData on an image folder', () => {
  it('passes the flags the user gave to the loader, and only those', () => {
    const dir = imageFolder(5);
    loadTrainingData(flagValues({ data: dir, channels: '3', size: '2x3', preprocess: 'none', 'test-split': '0.4', threads: '1' }), null, 1);
    const options = vi.mocked(folderFiles.loadImageFolder).mock.calls[0][1]!;
    expect(vi.mocked(folderFiles.loadImageFolder).mock.calls[0][0]).toBe(dir);
    expect({ ...options, onProgress: undefined }).toStrictEqual({ channels: 3, size: { height: 2, width: 3 }, preprocess: 'none', testSplit: 0.4, skipBad: false, threads: 1, onProgress: undefined });

    // What the loader makes of MNIST's preprocessing is its own test's: here it only answers with the options it got.
    vi.mocked(folderFiles.loadImageFolder).mockImplementationOnce(() => {
      throw new Error('options seen');
    });
    expect(() => loadTrainingData(flagValues({ data: dir, preprocess: 'mnist', 'test-split': '0.2', 'skip-bad': true }, ['data', 'skip-bad']), null, 1)).toThrow('options seen');
    const defaults = vi.mocked(folderFiles.loadImageFolder).mock.calls[1][1]!;
    // channels, size and the split were not given (the split's default is the loader's too); no --threads: the cores there are.
    expect({ ...defaults, onProgress: undefined }).toStrictEqual({ preprocess: 'mnist', skipBad: true, onProgress: undefined });
  });

  it('converts as asked, splits each class round(F · n), and prints the summary and a progress line', () => {
    const dir = imageFolder(5);
    const dataset = loadTrainingData(flagValues({ data: dir, channels: '3', size: '2x3', 'test-split': '0.4', threads: '1' }), null, 1);
    // 0.4 · 5 = 2 test images per class, 3 for training.
    expect([dataset.train.count, dataset.test.count, dataset.train.channels, dataset.train.height, dataset.train.width]).toEqual([6, 4, 3, 2, 3]);
    expect(dataset.validation).toBeUndefined();
    expect(printed()).toHaveLength(1);
    expect(printed()[0]).toMatch(new RegExp(`^${dir}: 2 classes \\(a 3\\+2, b 3\\+2 train\\+test\\);`));
    const progress = stderrWrites.mock.calls.map((call) => String(call[0]));
    expect(progress.some((line) => line.startsWith('decoding ['))).toBe(true);
    expect(warned()).toEqual([]);
  });

  it('--limit takes the first N training images, --test-limit the first N test images', () => {
    const dir = imageFolder(5);
    const dataset = loadTrainingData(flagValues({ data: dir, 'test-split': '0.4', 'test-limit': 3, threads: '1' }), 4, 1);
    expect([dataset.train.count, dataset.test.count]).toEqual([4, 3]);
    const unlimited = loadTrainingData(flagValues({ data: dir, 'test-split': '0.4', 'test-limit': undefined, threads: '1' }), null, 1);
    expect([unlimited.train.count, unlimited.test.count]).toEqual([6, 4]);
  });

  it('--val-split holds out round(F · n) of each training class, and the summary counts train+val+test', () => {
    const dir = imageFolder(5);
    const dataset = loadTrainingData(flagValues({ data: dir, 'test-split': '0.4', 'val-split': '0.34', threads: '1' }), null, 7);
    // Of each class's 3 training images, round(0.34 · 3) = 1 is held out.
    expect([dataset.train.count, dataset.validation?.count, dataset.test.count]).toEqual([4, 2, 4]);
    expect(printed()).toHaveLength(1);
    expect(printed()[0]).toMatch(new RegExp(`^${dir}: 2 classes \\(a 2\\+1\\+2, b 2\\+1\\+2 train\\+val\\+test\\);`));
  });

  it('--skip-bad leaves out an unreadable file and lists it on stderr', () => {
    const dir = imageFolder(5);
    writeFileSync(join(dir, 'a', 'broken.png'), 'not a picture');
    const dataset = loadTrainingData(flagValues({ data: dir, 'test-split': '0.4', 'skip-bad': true, threads: '1' }), null, 1);
    expect(dataset.train.count + dataset.test.count).toBe(10);
    const lines = warned();
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('skipped 1 unreadable file(s) (--skip-bad):');
    expect(lines[1].startsWith(`  ${join(dir, 'a', 'broken.png')}: `)).toBe(true);
  });
});

describe('loadTrainingData on IDX files', () => {
  it('reads both splits, then --limit', () => {
    const dir = idxFolder([0, 1, 0, 1, 0, 1], [1, 0]);
    const dataset = loadTrainingData(flagValues({ data: dir }), null, 1);
    expect([dataset.train.count, dataset.test.count, dataset.validation]).toEqual([6, 2, undefined]);
    expect(loadTrainingData(flagValues({ data: dir }), 5, 1).train.count).toBe(5);
    expect(printed()).toEqual([]);
    expect(vi.mocked(folderFiles.loadImageFolder)).not.toHaveBeenCalled();
  });

  it('--val-split holds out part of each class (after --limit) with the seed given, and says so in one line', () => {
    const dir = idxFolder([0, 1, 0, 1, 0, 1, 0, 1], [1, 0]);
    const dataset = loadTrainingData(flagValues({ data: dir, 'val-split': 0.5 }), 6, 9);
    // After --limit 6, three of each class; round(0.5 · 3) = 2 of each held out.
    expect([dataset.train.count, dataset.validation?.count]).toEqual([2, 4]);
    const limited = loadTrainingData(flagValues({ data: dir }), 6, 9).train;
    const expected = splitValidation(limited, 0.5, 9);
    expect([...dataset.validation!.labels]).toEqual([...expected.validation.labels]);
    expect([...dataset.validation!.images]).toEqual([...expected.validation.images]);
    expect(printed()).toEqual(['validation: 4 of 6 training images held out (--val-split 0.5, each class alike, seed 9)']);
  });

  it('refuses each image-folder flag the user gave, naming the folder (or MNIST) and the flag', () => {
    const dir = idxFolder([0, 1], [1, 0]);
    const values = { channels: '1', size: '28', preprocess: 'mnist', 'test-split': '0.3', 'skip-bad': true };
    for (const [flag, value] of Object.entries(values)) {
      const error = errorOf(() => loadTrainingData(flagValues({ data: dir, [flag]: value }), null, 1));
      expect([error.exitCode, error.message]).toEqual([2, `--${flag} applies only to an image-folder --data (DIR/<class>/*.png); ${dir} is IDX files (leave --${flag} out)`]);
      expect(errorOf(() => loadTrainingData(flagValues({ [flag]: value }), null, 1)).message).toBe(`--${flag} applies only to an image-folder --data (DIR/<class>/*.png); MNIST is IDX files (leave --${flag} out)`);
    }
    // The first given, in the table's order.
    expect(errorOf(() => loadTrainingData(flagValues({ data: dir, 'skip-bad': true, size: '28' }), null, 1)).message).toMatch(/^--size applies only/);
    // Defaults the user did not type are not refused.
    expect(loadTrainingData(flagValues({ data: dir, preprocess: 'none', 'test-split': '0.2' }, ['data']), null, 1).train.count).toBe(2);
  });

  it('a missing --data is the data reader\'s one line, even with an image-folder flag', () => {
    const missing = join(scratch('xcnn-image-data-none-'), 'absent');
    const error = errorOf(() => loadTrainingData(flagValues({ data: missing, channels: '3' }), null, 1));
    expect([error.exitCode, error.message]).toEqual([2, `${missing}: no such data folder`]);
  });
});

describe('dataRecord and dataFlagValues', () => {
  it('records the image-folder flags the user gave, as numbers and sizes', () => {
    const record = dataRecord(flagValues({ channels: '3', size: '32x48', preprocess: 'mnist', 'test-split': '0.25', 'val-split': '0.1', 'skip-bad': true }));
    expect(record).toStrictEqual({ channels: 3, size: { height: 32, width: 48 }, preprocess: 'mnist', testSplit: 0.25, valSplit: 0.1, skipBad: true });
  });

  it('leaves out defaults the user did not type, preprocess none and skip-bad off', () => {
    expect(dataRecord(flagValues({ preprocess: 'none', 'test-split': '0.2', 'skip-bad': false }, ['skip-bad']))).toStrictEqual({});
    expect(dataRecord(flagValues({ channels: '1', size: '28' }))).toStrictEqual({ channels: 1, size: { height: 28, width: 28 } });
  });

  it('reads a record back as the flag values that give it, each marked as given', () => {
    const values = dataFlagValues({ channels: 3, size: { height: 32, width: 48 }, preprocess: 'mnist', testSplit: 0.25, valSplit: 0.1, skipBad: true });
    expect(Object.fromEntries(Object.entries(values))).toStrictEqual({ channels: 3, size: '32x48', preprocess: 'mnist', 'test-split': 0.25, 'val-split': 0.1, 'skip-bad': true });
    expect([...values[GIVEN]!].sort()).toEqual(['channels', 'preprocess', 'size', 'skip-bad', 'test-split', 'val-split']);
    expect(dataRecord(values)).toStrictEqual({ channels: 3, size: { height: 32, width: 48 }, preprocess: 'mnist', testSplit: 0.25, valSplit: 0.1, skipBad: true });
  });

  it('reads an empty record, or none, as no flags at all', () => {
    for (const values of [dataFlagValues({}), dataFlagValues()]) {
      expect(Object.fromEntries(Object.entries(values))).toStrictEqual({});
      expect([...values[GIVEN]!]).toEqual([]);
    }
  });
});
