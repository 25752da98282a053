/**
 * A person's own picture of a digit, made into an image like MNIST's, as LeCun, Cortes & Burges made
 * theirs: "The original black and white images from NIST were size normalized to fit in a 20x20 pixel box
 * while preserving their aspect ratio ... the images were centered in a 28x28 image by computing the center
 * of mass of the pixels, and translating the image so as to position this point at the center of the
 * 28x28 field."
 *
 *   1. grey      luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), transparency composited over white
 *   2. ink       MNIST's ink is bright on black: a picture whose border is light (dark ink on paper) is
 *                inverted; then the background level (the border's median) is subtracted and the
 *                result stretched so the darkest ink is 255
 *   3. crop      to the bounding box of the pixels with ink above a quarter of the full level
 *   4. scale     so the longer side is 20 pixels, aspect ratio kept: area-averaged when shrinking,
 *                bilinear when enlarging
 *   5. centre    in 28 × 28, shifted by whole pixels so the centre of mass falls at (14, 14) in pixel
 *                indices, kept wholly inside the field. That is where MNIST put it: the centres of mass
 *                of its 10,000 test digits average (14.01, 13.99) — half a pixel right of and below the
 *                geometric centre 13.5, as a field of 28 has no middle pixel and NIST rounded one way.
 *
 * Pure arithmetic on pixels, browser-safe: `xcnn explain --image` (through digit-image.ts, which decodes
 * the PNG) and the page's drawing canvas (its RGBA pixels) go through the same steps.
 */
import { checkFields, checkRgba, checkString } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { resizeArea, resizeBilinear } from './resize.js';

export const MNIST_SIZE = 28;
export const MNIST_BOX = 20;

/** Ink below this fraction of the full level is left out of the bounding box (specks, paper texture). */
const INK_THRESHOLD = 0.25;
/** A picture whose ink rises less than this above its background (of 255) holds no digit. */
const BLANK_CONTRAST = 24;

/** A single-channel image, row-major [height, width], values 0–255. */
export interface GreyImage {
  width: number;
  height: number;
  pixels: Float32Array;
}

export interface DigitImage {
  pixels: Uint8Array; // [28, 28], ink 255 on 0, as an MNIST image
  inverted: boolean; // the picture was dark ink on a light background
  crop: { x: number; y: number; width: number; height: number }; // the digit's box in the picture
}

/** Step 1: RGBA → luminance, transparent pixels composited over white. */
export function greyFromRgba(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number): GreyImage {
  checkRgba('greyFromRgba', rgba, width, height);
  const pixels = new Float32Array(width * height);
  for (let p = 0; p < pixels.length; p++) {
    const alpha = rgba[4 * p + 3] / 255;
    const luminance = 0.299 * rgba[4 * p] + 0.587 * rgba[4 * p + 1] + 0.114 * rgba[4 * p + 2];
    pixels[p] = alpha * luminance + (1 - alpha) * 255;
  }
  return { width, height, pixels };
}

/** Steps 2–5 on a grey picture. */
export function mnistDigit(picture: GreyImage, source: string): DigitImage {
  checkFields('mnistDigit', 'picture', picture, 'width, height and grey pixels: greyFromRgba', { width: 'number', height: 'number', pixels: 'numbers' });
  checkString('mnistDigit', 'source', source, "a string (the picture's name, for messages)");
  const { ink, inverted } = inkFromGrey(picture, source);
  const crop = inkBoundingBox(ink, INK_THRESHOLD * 255);
  const cropped = cropImage(ink, crop);
  const boxed = fitInBox(cropped, MNIST_BOX);
  return { pixels: centreByMass(boxed, MNIST_SIZE), inverted, crop };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The outermost ring of pixels. */
function borderValues(image: GreyImage): number[] {
  const { width, height, pixels } = image;
  const values: number[] = [];
  for (let x = 0; x < width; x++) values.push(pixels[x], pixels[(height - 1) * width + x]);
  for (let y = 1; y < height - 1; y++) values.push(pixels[y * width], pixels[y * width + width - 1]);
  return values;
}

/** Step 2: ink high on a zero background, stretched to 0–255; throws on a blank picture. */
export function inkFromGrey(picture: GreyImage, source: string): { ink: GreyImage; inverted: boolean } {
  const inverted = median(borderValues(picture)) > 127.5;
  const oriented = inverted ? picture.pixels.map((v) => 255 - v) : Float32Array.from(picture.pixels);
  const background = median(borderValues({ ...picture, pixels: oriented }));
  let peak = 0;
  for (const v of oriented) peak = Math.max(peak, v - background);
  if (peak < BLANK_CONTRAST) {
    throw new XcnnError(`${source}: the image is blank (no stroke stands out from the background); draw the digit darker or on a plainer background`, { code: 'ERR_BAD_IMAGE' });
  }
  const pixels = oriented.map((v) => Math.min(255, Math.max(0, ((v - background) / peak) * 255)));
  return { ink: { width: picture.width, height: picture.height, pixels }, inverted };
}

/** The smallest box holding every pixel above `threshold`. */
export function inkBoundingBox(image: GreyImage, threshold: number): DigitImage['crop'] {
  let x0 = image.width;
  let y0 = image.height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      if (image.pixels[y * image.width + x] > threshold) {
        x0 = Math.min(x0, x);
        y0 = Math.min(y0, y);
        x1 = Math.max(x1, x);
        y1 = Math.max(y1, y);
      }
    }
  }
  return { x: x0, y: y0, width: x1 - x0 + 1, height: y1 - y0 + 1 };
}

function cropImage(image: GreyImage, box: DigitImage['crop']): GreyImage {
  const pixels = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const row = (box.y + y) * image.width + box.x;
    pixels.set(image.pixels.subarray(row, row + box.width), y * box.width);
  }
  return { width: box.width, height: box.height, pixels };
}

/** Step 4: scaled so the longer side is `box` pixels, aspect ratio kept (the shorter side at least 1). */
export function fitInBox(image: GreyImage, box: number): GreyImage {
  const scale = box / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const resize = scale < 1 ? resizeArea : resizeBilinear;
  return { width, height, pixels: resize(image.pixels, image.height, image.width, height, width) };
}

/** The intensity-weighted mean position (x, y) in pixel indices. */
export function centreOfMass(image: GreyImage): { x: number; y: number } {
  let total = 0;
  let sx = 0;
  let sy = 0;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const v = image.pixels[y * image.width + x];
      total += v;
      sx += v * x;
      sy += v * y;
    }
  }
  return total > 0 ? { x: sx / total, y: sy / total } : { x: (image.width - 1) / 2, y: (image.height - 1) / 2 };
}

/** Step 5: placed in a size × size field so its centre of mass is nearest (size/2, size/2), as MNIST's. */
export function centreByMass(image: GreyImage, size: number): Uint8Array {
  const mass = centreOfMass(image);
  const centre = size / 2;
  const left = Math.min(Math.max(Math.round(centre - mass.x), 0), size - image.width);
  const top = Math.min(Math.max(Math.round(centre - mass.y), 0), size - image.height);
  const field = new Uint8Array(size * size);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) field[(top + y) * size + left + x] = Math.round(Math.min(255, Math.max(0, image.pixels[y * image.width + x])));
  }
  return field;
}
