/**
 * Image sets in memory (src/data/dataset.ts) and their batches (src/data/batch.ts): the refusals of a set that
 * does not hold what it says, each with its exact message and code; a caller's bytes as a set; the first N of a
 * set as a view; bytes scaled to [0, 1] by /255 (or float inputs copied as they are) into a batch in the order
 * asked; and the loaders' buffers. Every expected value is written out by hand.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { BatchLoader, range } from '../src/data/batch.js';
import { checkImageSet, describeArray, FASHION_MNIST_CLASS_NAMES, fillBatch, imageSize, imagesFromPixels, type ImageSet, MAX_CLASSES, MNIST_CLASS_NAMES, takeFirst } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { Workspace } from '../src/model/workspace.js';

function errorOf(action: () => unknown): XcnnError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return error as XcnnError;
  }
  throw new Error('expected an error');
}

/** Three 1×2 grey images: [0, 255], [51, 102], [204, 153]; labels 2, 0, 1. */
function threeImages(): ImageSet {
  return { count: 3, height: 1, width: 2, images: Uint8Array.from([0, 255, 51, 102, 204, 153]), labels: Uint8Array.from([2, 0, 1]) };
}

describe('image set constants', () => {
  it('MNIST\'s classes are the digits, Fashion-MNIST\'s its ten garments, and at most 65,536 classes', () => {
    expect(MNIST_CLASS_NAMES).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(FASHION_MNIST_CLASS_NAMES).toEqual(['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']);
    expect(MAX_CLASSES).toBe(65_536);
  });

  it('an image is C·H·W bytes, C = 1 when the set does not say', () => {
    expect(imageSize({ height: 28, width: 28 })).toBe(784);
    expect(imageSize({ channels: 3, height: 4, width: 5 })).toBe(60);
  });
});

describe('imagesFromPixels', () => {
  it('views the caller\'s bytes as a set of 28×28 grey images by default, labels all 0', () => {
    const pixels = new Uint8Array(2 * 784);
    const set = imagesFromPixels(pixels, 2);
    expect(set).toEqual({ count: 2, channels: 1, height: 28, width: 28, images: pixels, labels: new Uint8Array(2) });
    expect(set.images).toBe(pixels);
    expect(imagesFromPixels(new Uint8Array(0), 0).count).toBe(0);
    expect(imagesFromPixels(new Uint8Array(24), 2, 2, 2, 3).channels).toBe(3);
  });

  it('refuses a count that is not a whole number, and bytes that are not count × C × H × W, naming both', () => {
    for (const count of [-1, 1.5, Number.NaN]) {
      const error = errorOf(() => imagesFromPixels(new Uint8Array(0), count));
      expect(error.message).toBe(`images: count ${count} is not a whole number of images`);
      expect(error.code).toBe('ERR_BAD_ARGUMENT');
    }
    const grey = errorOf(() => imagesFromPixels(new Uint8Array(10), 2, 2, 3));
    expect(grey.message).toBe('images: 10 bytes for 2 images of 2×3; pass count × 6 bytes, one per pixel');
    expect(grey.code).toBe('ERR_BAD_IMAGE');
    expect(errorOf(() => imagesFromPixels(new Uint8Array(10), 1, 2, 2, 3)).message).toBe('images: 10 bytes for 1 images of 3×2×2; pass count × 12 bytes, one per pixel and channel');
  });
});

describe('checkImageSet', () => {
  const model = [1, 1, 2];

  it('takes a set that holds what it says, an empty one too', () => {
    expect(() => checkImageSet(threeImages(), model, 'predict')).not.toThrow();
    expect(() => checkImageSet({ count: 0, height: 1, width: 2, images: new Uint8Array(0), labels: new Uint8Array(0) }, model, 'predict')).not.toThrow();
    expect(() => checkImageSet({ ...threeImages(), channels: 1, inputs: new Float32Array(6) }, model, 'predict')).not.toThrow();
  });

  it('refuses images of another size or channel count than the model\'s, in the caller\'s name', () => {
    const cases: Array<[Partial<ImageSet>, string]> = [
      [{ height: 2, width: 1 }, 'predict: the images are 2×1 but the model takes 1×2'],
      [{ width: 3 }, 'predict: the images are 1×3 but the model takes 1×2'],
      [{ height: 2 }, 'predict: the images are 2×2 but the model takes 1×2'],
      [{ channels: 3 }, 'predict: the images are 3×1×2 but the model takes 1×2'],
    ];
    for (const [change, message] of cases) {
      const error = errorOf(() => checkImageSet({ ...threeImages(), ...change }, model, 'predict'));
      expect(error.message).toBe(message);
      expect(error.code).toBe('ERR_BAD_IMAGE');
    }
    expect(errorOf(() => checkImageSet(threeImages(), [3, 1, 2], 'explain')).message).toBe('explain: the images are 1×2 but the model takes 3×1×2');
  });

  it('refuses a count that is not a whole number', () => {
    for (const count of [-1, 2.5]) {
      const error = errorOf(() => checkImageSet({ ...threeImages(), count }, model, 'evaluate'));
      expect(error.message).toBe(`evaluate: the set's count ${count} is not a whole number of images`);
      expect(error.code).toBe('ERR_BAD_ARGUMENT');
    }
  });

  it('refuses images that are not bytes, saying what they are', () => {
    const error = errorOf(() => checkImageSet({ ...threeImages(), images: new Float32Array(6) as unknown as Uint8Array }, model, 'predict'));
    expect(error.message).toBe('predict: the set\'s images are a Float32Array; give a Uint8Array of bytes, one per pixel and channel');
    expect(error.code).toBe('ERR_BAD_IMAGE');
    expect(errorOf(() => checkImageSet({ ...threeImages(), images: undefined as unknown as Uint8Array }, model, 'predict')).message).toBe(
      'predict: the set\'s images are a undefined; give a Uint8Array of bytes, one per pixel and channel',
    );
  });

  it('refuses too few or too many pixel values, in the bytes or in the float inputs', () => {
    const short = errorOf(() => checkImageSet({ ...threeImages(), images: new Uint8Array(5) }, model, 'predict'));
    expect(short.message).toBe('predict: the set holds 5 pixel values, but 3 images of 1×2 are 6');
    expect(short.code).toBe('ERR_BAD_IMAGE');
    expect(errorOf(() => checkImageSet({ ...threeImages(), images: new Uint8Array(7) }, model, 'predict')).message).toBe('predict: the set holds 7 pixel values, but 3 images of 1×2 are 6');
    expect(errorOf(() => checkImageSet({ ...threeImages(), inputs: new Float32Array(5) }, model, 'predict')).message).toBe('predict: the set holds 6 pixel values, but 3 images of 1×2 are 6');
  });

  it('refuses a label count other than the image count', () => {
    const error = errorOf(() => checkImageSet({ ...threeImages(), labels: new Uint8Array(2) }, model, 'evaluate'));
    expect(error.message).toBe('evaluate: the set has 2 labels for 3 images; give one label per image');
    expect(error.code).toBe('ERR_BAD_DATA');
  });
});

describe('describeArray', () => {
  it('names a typed array or array by its constructor, a primitive by its type, null as null', () => {
    expect(describeArray(new Float32Array(1))).toBe('Float32Array');
    expect(describeArray([1])).toBe('Array');
    expect(describeArray(undefined)).toBe('undefined');
    expect(describeArray(null)).toBe('null');
    expect(describeArray('pixels')).toBe('string');
    expect(describeArray(7)).toBe('number');
    expect(describeArray(Object.create(null))).toBe('object');
  });
});

describe('takeFirst', () => {
  it('views the first N images, labels and inputs, with no copy; N past the end gives the whole set', () => {
    const set = { ...threeImages(), inputs: Float32Array.from([0, 1, 0.2, 0.4, 0.8, 0.6]) };
    const first = takeFirst(set, 2);
    expect(first.count).toBe(2);
    expect(Array.from(first.images)).toEqual([0, 255, 51, 102]);
    expect(Array.from(first.labels)).toEqual([2, 0]);
    expect(Array.from(first.inputs!)).toEqual(Array.from(Float32Array.from([0, 1, 0.2, 0.4])));
    expect(first.images.buffer).toBe(set.images.buffer);
    expect(first.inputs!.buffer).toBe(set.inputs.buffer);
    expect(takeFirst(set, 10).count).toBe(3);
    expect(takeFirst(set, 10).images.length).toBe(6);
    const plain = takeFirst(threeImages(), 1);
    expect('inputs' in plain).toBe(false);
    expect(plain.height).toBe(1);
  });
});

describe('fillBatch and BatchLoader', () => {
  it('scales bytes by 1/255 into the batch in the order of the indices, with their labels', () => {
    const out = new Float64Array(6);
    const labels = new Int32Array(3);
    fillBatch(threeImages(), [2, 0, 2], out, labels);
    expect(Array.from(out)).toEqual([204 / 255, 153 / 255, 0, 1, 204 / 255, 153 / 255]);
    expect(Array.from(labels)).toEqual([1, 2, 1]);
  });

  it('copies float inputs as they are when the set has them', () => {
    const set = { ...threeImages(), inputs: Float32Array.from([0.5, -1, 2, 3, 4, 5]) };
    const out = new Float32Array(4);
    const labels = new Int32Array(2);
    fillBatch(set, [1, 0], out, labels);
    expect(Array.from(out)).toEqual([2, 3, 0.5, -1]);
    expect(Array.from(labels)).toEqual([0, 2]);
  });

  it('a loader gives exact-length batches from its own buffers, reused', () => {
    const loader = new BatchLoader(new ReferenceBackend({ precision: 'float64' }), threeImages());
    const batch = loader.load(Int32Array.from([1, 2]));
    expect(batch.size).toBe(2);
    expect(Array.from(batch.input)).toEqual([51 / 255, 102 / 255, 204 / 255, 153 / 255]);
    expect(Array.from(batch.labels)).toEqual([0, 1]);
    const one = loader.load([0]);
    expect(Array.from(one.input)).toEqual([0, 1]);
    expect(Array.from(one.labels)).toEqual([2]);
    expect(one.input.buffer).toBe(batch.input.buffer);
  });

  it('a loader in a workspace uses the role\'s buffers, so two loaders of one role share them', () => {
    const workspace = new Workspace(new ReferenceBackend());
    const a = BatchLoader.inWorkspace(workspace, 'predict', threeImages());
    const b = BatchLoader.inWorkspace(workspace, 'predict', threeImages());
    const first = a.load([0]);
    const second = b.load([1]);
    expect(second.input.buffer).toBe(first.input.buffer);
    expect(second.labels.buffer).toBe(first.labels.buffer);
    expect(workspace.floats('predict.input', 2).forBatch(1)).toBe(second.input);
    expect(workspace.ints('predict.labels', 1).forBatch(1)).toBe(second.labels);
    expect(a.set.count).toBe(3);
  });

  it('range gives start … end − 1', () => {
    expect(Array.from(range(3, 7))).toEqual([3, 4, 5, 6]);
    expect(range(3, 3).length).toBe(0);
    expect(range(0, 2)).toBeInstanceOf(Int32Array);
  });
});

describe('image sets: the argument checks of imagesFromPixels and takeFirst, word for word', () => {
  it('names the function, the argument and what it must be', () => {
    expect(() => imagesFromPixels([0] as never, 1, 1, 1)).toThrow('imagesFromPixels: pixels must be a Uint8Array of bytes (wrap an ArrayBuffer in new Uint8Array(…)), not Array');
    expect(() => takeFirst(null as never, 1)).toThrow('takeFirst: set must be an image set (count, height, width, images and labels: loadDataset, createDataset), not null');
  });
});
