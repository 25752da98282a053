/**
 * The images the classifier takes (src/classifier-images.ts), made into an image set for a model's input
 * [C, H, W]: each case is a hand-built tensor or picture and the image set worked out by hand (bytes as given;
 * floats kept as the network's input and rounded to bytes for drawing; an RGBA picture's channels and size).
 */
import { describe, expect, it } from 'vitest';
import { imageSetOf } from '../src/classifier-images.js';
import { XcnnError } from '../src/errors.js';

const rows = (values: ArrayLike<number> | undefined) => (values === undefined ? undefined : Array.from(values));
/** The fields of an image set, its arrays as plain arrays. */
const plain = (set: ReturnType<typeof imageSetOf>) => ({ ...set, images: rows(set.images), labels: rows(set.labels), ...('inputs' in set ? { inputs: rows(set.inputs) } : {}) });

describe('imageSetOf', () => {
  it('takes a byte tensor [N, C, H, W] as it is, unlabelled', () => {
    const set = imageSetOf({ data: Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), shape: [2, 1, 2, 2] }, [1, 2, 2], 'predict');
    expect(plain(set)).toEqual({ count: 2, channels: 1, height: 2, width: 2, images: [1, 2, 3, 4, 5, 6, 7, 8], labels: [0, 0] });
    expect('inputs' in set).toBe(false);
  });

  it('takes [C, H, W] as one image, and a Uint8ClampedArray, a view into a larger buffer, as its own bytes', () => {
    const buffer = new Uint8ClampedArray([9, 9, 10, 20, 30, 40, 50, 60, 9]);
    const set = imageSetOf({ data: buffer.subarray(2, 8), shape: [3, 1, 2] }, [3, 1, 2], 'predict');
    expect(plain(set)).toEqual({ count: 1, channels: 3, height: 1, width: 2, images: [10, 20, 30, 40, 50, 60], labels: [0] });
  });

  it('keeps floats as the network\'s input, and rounds them to bytes clamped to 0–255 for drawing', () => {
    const floats = [-0.5, 0, 0.5, 1.25, 0.2, 1, 0.999, 0.001];
    const set = imageSetOf({ data: Float32Array.from(floats), shape: [2, 1, 2, 2] }, [1, 2, 2], 'predict');
    // round(clamp(v, 0, 1) · 255): 0, 0, 127.5 → 128, 255, 51, 255, 254.745 → 255, 0.255 → 0
    expect(rows(set.images)).toEqual([0, 0, 128, 255, 51, 255, 255, 0]);
    expect(rows(set.inputs)).toEqual(Array.from(Float32Array.from(floats)));
  });

  it('concatenates a list in order; with any floats, the byte parts\' inputs are their bytes / 255', () => {
    const bytes = { data: Uint8Array.from([0, 51, 102, 255]), shape: [1, 2, 2] };
    const floats = { data: Float32Array.from([0.5, 0.25, 0.75, 1, 0, 0.1, 0.2, 0.3]), shape: [2, 1, 2, 2] };
    const mixed = imageSetOf([bytes, floats, bytes], [1, 2, 2], 'predict');
    expect(mixed.count).toBe(4);
    expect(rows(mixed.images)).toEqual([0, 51, 102, 255, 128, 64, 191, 255, 0, 26, 51, 77, 0, 51, 102, 255]);
    const expected = [0, 0.2, 0.4, 1, 0.5, 0.25, 0.75, 1, 0, 0.1, 0.2, 0.3, 0, 0.2, 0.4, 1];
    expect(mixed.inputs).toHaveLength(16);
    expected.forEach((v, i) => expect(mixed.inputs![i], `inputs[${i}]`).toBeCloseTo(v, 6));
    const allBytes = imageSetOf([bytes, bytes], [1, 2, 2], 'predict');
    expect([allBytes.count, rows(allBytes.images), 'inputs' in allBytes]).toEqual([2, [0, 51, 102, 255, 0, 51, 102, 255], false]);
  });

  it('converts an ImageData-like RGBA picture to the model\'s channels and size: grey, RGB, and 2 × 2 blocks averaged to one pixel', () => {
    const rgba = (pixels: number[][]) => Uint8ClampedArray.from(pixels.flat());
    const grey = imageSetOf({ data: rgba([[7, 7, 7, 255], [200, 200, 200, 255]]), width: 2, height: 1 }, [1, 1, 2], 'predict');
    expect(plain(grey)).toEqual({ count: 1, channels: 1, height: 1, width: 2, images: [7, 200], labels: [0] });
    const rgb = imageSetOf({ data: rgba([[10, 20, 30, 255], [40, 50, 60, 255]]), width: 2, height: 1 }, [3, 1, 2], 'predict');
    expect(rows(rgb.images)).toEqual([10, 40, 20, 50, 30, 60]); // [C, H, W]: the red plane, the green, the blue
    // 4 × 2 picture, each 2 × 2 block one grey: 40 | 80 → model 1 × 2.
    const blocks = [40, 40, 80, 80, 40, 40, 80, 80].map((v) => [v, v, v, 255]);
    expect(rows(imageSetOf({ data: Uint8Array.from(blocks.flat()), width: 4, height: 2 }, [1, 1, 2], 'predict').images)).toEqual([40, 80]);
    // A picture one pixel wide (or high) is a picture: 1 × 2 grey pixels into a model of 2 × 1.
    expect(rows(imageSetOf({ data: rgba([[30, 30, 30, 255], [90, 90, 90, 255]]), width: 1, height: 2 }, [1, 2, 1], 'predict').images)).toEqual([30, 90]);
    const listed = imageSetOf([{ data: rgba([[7, 7, 7, 255], [200, 200, 200, 255]]), width: 2, height: 1 }, { data: Uint8Array.from([1, 2]), shape: [1, 1, 2] }], [1, 1, 2], 'predict');
    expect([listed.count, rows(listed.images)]).toEqual([2, [7, 200, 1, 2]]);
  });

  describe('refuses, naming the call, the image and what to give', () => {
    const shape = [1, 2, 3];
    const forms = '{ data, shape } (a tensor [N, C, H, W] or [C, H, W]) or { data, width, height } (RGBA pixels, as ImageData)';
    const cases: Array<[string, unknown, string, string]> = [
      ['an empty list', [], 'ERR_BAD_ARGUMENT', 'predict: the list of images is empty; give at least one image'],
      ['null', null, 'ERR_BAD_ARGUMENT', `predict: images is null; give ${forms}`],
      ['a number', 42, 'ERR_BAD_ARGUMENT', `predict: images is number; give ${forms}`],
      ['a string', 'digit.png', 'ERR_BAD_ARGUMENT', `predict: images is string; give ${forms}`],
      ['undefined in a list', [{ data: new Uint8Array(6), shape }, undefined], 'ERR_BAD_ARGUMENT', `predict: images[1] is undefined; give ${forms}`],
      ['an object of neither form', { data: new Uint8Array(6) }, 'ERR_BAD_ARGUMENT', `predict: images has neither a shape nor a width and height; give ${forms}`],
      ['a shape that is not an array', { data: new Uint8Array(6), shape: '1x2x3' }, 'ERR_BAD_ARGUMENT', 'predict: images: the shape 1x2x3 is not [N, C, H, W] or [C, H, W] of whole numbers ≥ 1'],
      ['a shape of rank 2', { data: new Uint8Array(6), shape: [2, 3] }, 'ERR_BAD_ARGUMENT', 'predict: images: the shape [2, 3] is not [N, C, H, W] or [C, H, W] of whole numbers ≥ 1'],
      ['a shape of rank 5', { data: new Uint8Array(6), shape: [1, 1, 1, 2, 3] }, 'ERR_BAD_ARGUMENT', 'predict: images: the shape [1, 1, 1, 2, 3] is not [N, C, H, W] or [C, H, W] of whole numbers ≥ 1'],
      ['a size 0', { data: new Uint8Array(0), shape: [0, 1, 2, 3] }, 'ERR_BAD_ARGUMENT', 'predict: images: the shape [0, 1, 2, 3] is not [N, C, H, W] or [C, H, W] of whole numbers ≥ 1'],
      ['a size 1.5', { data: new Uint8Array(6), shape: [1, 2, 1.5] }, 'ERR_BAD_ARGUMENT', 'predict: images: the shape [1, 2, 1.5] is not [N, C, H, W] or [C, H, W] of whole numbers ≥ 1'],
      ['an unsafe size', { data: new Uint8Array(6), shape: [2 ** 53, 1, 2, 3] }, 'ERR_BAD_ARGUMENT', `predict: images: the shape [${2 ** 53}, 1, 2, 3] is not [N, C, H, W] or [C, H, W] of whole numbers ≥ 1`],
      ['[C, H, W] of another size', { data: new Uint8Array(6), shape: [1, 3, 2] }, 'ERR_BAD_IMAGE', 'predict: images: images of shape [1, 3, 2], but the model takes [C, H, W] = [1, 2, 3] (or [N, C, H, W] for N images)'],
      ['[N, C, H, W] of other channels', { data: new Uint8Array(12), shape: [2, 2, 1, 3] }, 'ERR_BAD_IMAGE', 'predict: images: images of shape [2, 2, 1, 3], but the model takes [C, H, W] = [1, 2, 3]'],
      ['another width only', { data: new Uint8Array(8), shape: [1, 1, 2, 4] }, 'ERR_BAD_IMAGE', 'predict: images: images of shape [1, 1, 2, 4], but the model takes [C, H, W] = [1, 2, 3]'],
      ['a Float64Array', { data: new Float64Array(6), shape }, 'ERR_BAD_IMAGE', 'predict: images: data is a Float64Array; give a Uint8Array (bytes, 0–255) or a Float32Array (the network\'s input, pixels in [0, 1])'],
      ['a plain array', { data: [0, 0, 0, 0, 0, 0], shape }, 'ERR_BAD_IMAGE', 'predict: images: data is a Array; give a Uint8Array (bytes, 0–255) or a Float32Array (the network\'s input, pixels in [0, 1])'],
      ['too few values', { data: new Uint8Array(5), shape }, 'ERR_BAD_IMAGE', 'predict: images: data holds 5 values, but the shape [1, 2, 3] needs 6'],
      ['too many floats', { data: new Float32Array(13), shape: [2, 1, 2, 3] }, 'ERR_BAD_IMAGE', 'predict: images: data holds 13 values, but the shape [2, 1, 2, 3] needs 12'],
      ['NaN', { data: Float32Array.from([0, 0, 0, 0, NaN, 0]), shape }, 'ERR_BAD_IMAGE', 'predict: images: data[4] is NaN; every value must be a finite number'],
      ['Infinity', { data: Float32Array.from([-Infinity, 0, 0, 0, 0, 0]), shape }, 'ERR_BAD_IMAGE', 'predict: images: data[0] is -Infinity; every value must be a finite number'],
      ['a width only', { data: new Uint8ClampedArray(8), width: 2 }, 'ERR_BAD_ARGUMENT', 'predict: images: width 2 and height undefined must be whole numbers ≥ 1'],
      ['a height only', { data: new Uint8ClampedArray(8), height: 2 }, 'ERR_BAD_ARGUMENT', 'predict: images: width undefined and height 2 must be whole numbers ≥ 1'],
      ['width 0', { data: new Uint8ClampedArray(0), width: 0, height: 2 }, 'ERR_BAD_ARGUMENT', 'predict: images: width 0 and height 2 must be whole numbers ≥ 1'],
      ['height 0', { data: new Uint8ClampedArray(0), width: 2, height: 0 }, 'ERR_BAD_ARGUMENT', 'predict: images: width 2 and height 0 must be whole numbers ≥ 1'],
      ['height 1.5', { data: new Uint8ClampedArray(12), width: 2, height: 1.5 }, 'ERR_BAD_ARGUMENT', 'predict: images: width 2 and height 1.5 must be whole numbers ≥ 1'],
      ['width "2"', { data: new Uint8ClampedArray(16), width: '2', height: 2 }, 'ERR_BAD_ARGUMENT', 'predict: images: width 2 and height 2 must be whole numbers ≥ 1'],
      ['RGBA as floats', { data: new Float32Array(16), width: 2, height: 2 }, 'ERR_BAD_IMAGE', 'predict: images: data is a Float32Array; RGBA pixels are a Uint8ClampedArray (as ImageData\'s) or a Uint8Array, 4 bytes a pixel'],
      ['RGBA of the wrong length', { data: new Uint8ClampedArray(15), width: 2, height: 2 }, 'ERR_BAD_IMAGE', 'predict: images: data holds 15 bytes, but 2 × 2 RGBA pixels are 16 (4 a pixel: red, green, blue, alpha)'],
      ['RGBA as RGB', { data: new Uint8Array(12), width: 2, height: 2 }, 'ERR_BAD_IMAGE', 'predict: images: data holds 12 bytes, but 2 × 2 RGBA pixels are 16 (4 a pixel: red, green, blue, alpha)'],
      ['the second of a list', [{ data: new Uint8Array(6), shape }, { data: new Uint8Array(5), shape }], 'ERR_BAD_IMAGE', 'predict: images[1]: data holds 5 values, but the shape [1, 2, 3] needs 6'],
    ];
    for (const [name, images, code, message] of cases) {
      it(name, () => {
        let error: unknown;
        try {
          imageSetOf(images as never, shape, 'predict');
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(XcnnError);
        expect([(error as XcnnError).code, (error as XcnnError).message]).toEqual([code, message]);
      });
    }
  });
});
