/**
 * A picture (RGBA pixels, e.g. a decoded PNG's or a canvas's) made into an input of any model, for models
 * that are not MNIST's 1 × 28 × 28 (those get mnist-digit.ts's MNIST preprocessing instead):
 *
 *   1. channels  transparency composited over white; one channel: luminance 0.299 R + 0.587 G + 0.114 B
 *                (ITU-R BT.601, as mnist-digit.ts); three: R, G, B planes. Other channel counts have no
 *                meaning for a picture and are refused.
 *   2. size      each plane resized to the model's H × W: area-averaged when the picture is larger along
 *                both axes (no aliasing), bilinear with half-pixel centres otherwise (resize.ts). The
 *                aspect ratio is not kept: the model's input is the whole picture.
 *   3. bytes     rounded to 0–255, [C, H, W], as an IDX image set stores them.
 *
 * No inversion, cropping or centring: those are MNIST's conventions, not a general model's. Browser-safe.
 */
import { checkPositiveWhole, checkRgba, checkString } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { resizeArea, resizeBilinear } from './resize.js';

/** RGBA [pictureHeight, pictureWidth, 4] → bytes [channels, height, width]; `source` names the picture in errors. */
export function modelImageFromRgba(rgba: Uint8Array | Uint8ClampedArray, pictureWidth: number, pictureHeight: number, channels: number, height: number, width: number, source = 'image'): Uint8Array {
  checkRgba('modelImageFromRgba', rgba, pictureWidth, pictureHeight, ['pictureWidth', 'pictureHeight']);
  for (const [name, size] of Object.entries({ channels, height, width })) checkPositiveWhole('modelImageFromRgba', name, size);
  checkString('modelImageFromRgba', 'source', source, 'a string (the picture\'s name, for messages)');
  if (channels !== 1 && channels !== 3) throw new XcnnError(`${source}: a picture gives 1 (grey) or 3 (RGB) channels, but the model takes ${channels}`, { code: 'ERR_BAD_IMAGE' });
  const planes: Float32Array[] = [];
  const pixelCount = pictureWidth * pictureHeight;
  const composite = (p: number, value: number) => {
    const alpha = rgba[4 * p + 3] / 255;
    return alpha * value + (1 - alpha) * 255;
  };
  if (channels === 1) {
    planes.push(Float32Array.from({ length: pixelCount }, (_, p) => composite(p, 0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2])));
  } else {
    for (let c = 0; c < 3; c++) planes.push(Float32Array.from({ length: pixelCount }, (_, p) => composite(p, rgba[4 * p + c])));
  }
  const shrinking = pictureWidth >= width && pictureHeight >= height;
  const out = new Uint8Array(channels * height * width);
  planes.forEach((plane, c) => {
    const resized = shrinking ? resizeArea(plane, pictureHeight, pictureWidth, height, width) : resizeBilinear(plane, pictureHeight, pictureWidth, height, width);
    for (let p = 0; p < height * width; p++) out[c * height * width + p] = Math.round(Math.min(255, Math.max(0, resized[p])));
  });
  return out;
}
