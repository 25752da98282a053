/**
 * A PNG file of a digit made into an MNIST-style image: decoded here (pngjs, so Node only), then the
 * browser-safe steps of mnist-digit.ts — grey, ink, crop, scale into 20 × 20, centre by mass in 28 × 28.
 */
import { decodePng } from '../render/png.js';
import { greyFromRgba, mnistDigit, type DigitImage } from './mnist-digit.js';

export * from './mnist-digit.js';

/** Reads a PNG file's bytes and makes the MNIST-style digit; `source` names the file in errors. */
export function digitFromPng(bytes: Uint8Array, source: string): DigitImage {
  const png = decodePng(bytes, source);
  return mnistDigit(greyFromRgba(png.rgba, png.width, png.height), source);
}
