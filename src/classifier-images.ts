/**
 * The images the library's classifier (classifier.ts) takes, checked and made into an image set for the
 * model's input [C, H, W]:
 *
 *   { data, shape }          a tensor: shape [N, C, H, W] or [C, H, W] (one image), C × H × W the model's;
 *                            data a Uint8Array of bytes (0–255, scaled to [0, 1] as the data sets are) or a
 *                            Float32Array of the network's input itself (pixels in [0, 1], taken as they are)
 *   { data, width, height }  one picture as RGBA bytes, row by row: a canvas's ImageData, or a decoded PNG's
 *                            pixels; converted to the model's channels and resized to its size as
 *                            model-image.ts does (no MNIST-style centring: for a drawn digit, make it with
 *                            mnistDigit(greyFromRgba(…)) first and pass its pixels as a tensor)
 *   an array of those        their images in order
 *
 * Anything else is refused in one line that names the call, the input and what was expected. Browser-safe.
 */
import { describeArray, type ImageSet } from './data/dataset.js';
import { XcnnError } from './errors.js';
import { modelImageFromRgba } from './explain/model-image.js';

/** Images as a tensor: [N, C, H, W] or [C, H, W]. */
export interface ImageTensor {
  data: Uint8Array | Uint8ClampedArray | Float32Array;
  shape: readonly number[];
}

/** One picture as RGBA bytes [height, width, 4], as a canvas's ImageData holds it. */
export interface RgbaImage {
  data: Uint8ClampedArray | Uint8Array;
  width: number;
  height: number;
}

export type Images = ImageTensor | RgbaImage | ReadonlyArray<ImageTensor | RgbaImage>;

/** Images of one form, as bytes and, for floats, as the network's input. */
interface ImagePart {
  count: number;
  bytes: Uint8Array; // [count, C, H, W]
  floats: Float32Array | null; // [count, C, H, W], for Float32Array data
}

/** The images as an unlabelled image set for a model whose input is [C, H, W]; `what` names the call in errors. */
export function imageSetOf(images: Images, inputShape: readonly number[], what: string): ImageSet {
  const [channels, height, width] = inputShape;
  const list = Array.isArray(images) ? (images as ReadonlyArray<ImageTensor | RgbaImage>) : [images as ImageTensor | RgbaImage];
  if (list.length === 0) throw new XcnnError(`${what}: the list of images is empty; give at least one image`, { code: 'ERR_BAD_ARGUMENT' });
  const parts = list.map((item, k) => imagePart(item, inputShape, Array.isArray(images) ? `${what}: images[${k}]` : `${what}: images`));
  const size = channels * height * width;
  const count = parts.reduce((sum, part) => sum + part.count, 0);
  const bytes = new Uint8Array(count * size);
  const anyFloats = parts.some((part) => part.floats !== null);
  const floats = anyFloats ? new Float32Array(count * size) : null;
  let offset = 0;
  for (const part of parts) {
    bytes.set(part.bytes, offset);
    if (floats !== null) {
      if (part.floats !== null) floats.set(part.floats, offset);
      else for (let i = 0; i < part.bytes.length; i++) floats[offset + i] = part.bytes[i] / 255;
    }
    offset += part.bytes.length;
  }
  return { count, channels, height, width, images: bytes, labels: new Uint8Array(count), ...(floats === null ? {} : { inputs: floats }) };
}

function imagePart(item: ImageTensor | RgbaImage, inputShape: readonly number[], what: string): ImagePart {
  if (item === null || typeof item !== 'object') {
    throw new XcnnError(`${what} is ${item === null ? 'null' : typeof item}; give { data, shape } (a tensor [N, C, H, W] or [C, H, W]) or { data, width, height } (RGBA pixels, as ImageData)`, { code: 'ERR_BAD_ARGUMENT' });
  }
  if ('shape' in item) return tensorPart(item, inputShape, what);
  if ('width' in item || 'height' in item) return rgbaPart(item, inputShape, what);
  throw new XcnnError(`${what} has neither a shape nor a width and height; give { data, shape } (a tensor [N, C, H, W] or [C, H, W]) or { data, width, height } (RGBA pixels, as ImageData)`, { code: 'ERR_BAD_ARGUMENT' });
}

const shapeText = (shape: readonly unknown[]) => `[${shape.join(', ')}]`;

function tensorPart(tensor: ImageTensor, inputShape: readonly number[], what: string): ImagePart {
  const { data, shape } = tensor;
  const fail = (problem: string, code: 'ERR_BAD_ARGUMENT' | 'ERR_BAD_IMAGE' = 'ERR_BAD_IMAGE') => new XcnnError(`${what}: ${problem}`, { code });
  if (!Array.isArray(shape) || (shape.length !== 3 && shape.length !== 4) || !shape.every((n) => Number.isSafeInteger(n) && n >= 1)) {
    throw fail(`the shape ${Array.isArray(shape) ? shapeText(shape) : String(shape)} is not [N, C, H, W] or [C, H, W] of whole numbers ≥ 1`, 'ERR_BAD_ARGUMENT');
  }
  const [count, ...imageShape] = shape.length === 4 ? shape : [1, ...shape];
  if (imageShape.some((n, k) => n !== inputShape[k])) {
    throw fail(`images of shape ${shapeText(shape)}, but the model takes [C, H, W] = ${shapeText(inputShape)}${shape.length === 4 ? '' : ' (or [N, C, H, W] for N images)'}`);
  }
  const isBytes = data instanceof Uint8Array || data instanceof Uint8ClampedArray;
  if (!isBytes && !(data instanceof Float32Array)) {
    throw fail(`data is a ${describeArray(data)}; give a Uint8Array (bytes, 0–255) or a Float32Array (the network's input, pixels in [0, 1])`);
  }
  const expected = shape.reduce((a, b) => a * b, 1);
  if (data.length !== expected) throw fail(`data holds ${data.length} values, but the shape ${shapeText(shape)} needs ${expected}`);
  if (isBytes) return { count, bytes: data instanceof Uint8Array ? data : new Uint8Array(data.buffer, data.byteOffset, data.length), floats: null };
  const bytes = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) throw fail(`data[${i}] is ${v}; every value must be a finite number`);
    bytes[i] = Math.round(Math.min(1, Math.max(0, v)) * 255); // for pictures only: the network reads `floats`
  }
  return { count, bytes, floats: data };
}

function rgbaPart(image: RgbaImage, inputShape: readonly number[], what: string): ImagePart {
  const { data, width, height } = image;
  const fail = (problem: string, code: 'ERR_BAD_ARGUMENT' | 'ERR_BAD_IMAGE' = 'ERR_BAD_IMAGE') => new XcnnError(`${what}: ${problem}`, { code });
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1) {
    throw fail(`width ${width} and height ${height} must be whole numbers ≥ 1`, 'ERR_BAD_ARGUMENT');
  }
  if (!(data instanceof Uint8ClampedArray || data instanceof Uint8Array)) {
    throw fail(`data is a ${describeArray(data)}; RGBA pixels are a Uint8ClampedArray (as ImageData's) or a Uint8Array, 4 bytes a pixel`);
  }
  if (data.length !== 4 * width * height) {
    throw fail(`data holds ${data.length} bytes, but ${width} × ${height} RGBA pixels are ${4 * width * height} (4 a pixel: red, green, blue, alpha)`);
  }
  const [channels, modelHeight, modelWidth] = inputShape;
  return { count: 1, bytes: modelImageFromRgba(data, width, height, channels, modelHeight, modelWidth, what), floats: null };
}
