/**
 * A PNG file of a digit made into an MNIST-style image: decoded here (pngjs, so Node only), then the
 * browser-safe steps of mnist-digit.ts — grey, ink, crop, scale into 20 × 20, centre by mass in 28 × 28 — or,
 * for a model that does not take MNIST's 1 × 28 × 28, those of model-image.ts (channels and size only).
 */
import { checkBytes, checkString } from '../argument-checks.js';
import { decodePng } from '../render/png.js';
import { greyFromRgba, mnistDigit, type DigitImage } from './mnist-digit.js';
import { modelImageFromRgba } from './model-image.js';

export * from './mnist-digit.js';

/** Reads a PNG file's bytes and makes the MNIST-style digit; `source` names the file in errors. */
export function digitFromPng(bytes: Uint8Array, source: string): DigitImage {
  checkBytes('digitFromPng', 'bytes', bytes);
  checkString('digitFromPng', 'source', source, "a string (the picture's name, for messages)");
  const png = decodePng(bytes, source);
  return mnistDigit(greyFromRgba(png.rgba, png.width, png.height), source);
}

/**
 * Reads a PNG file's bytes and makes it an input of a model of `channels` × `height` × `width` (model-image.ts:
 * converted to the channels and resized, no MNIST preprocessing); `source` names the file in errors.
 */
export function modelImageFromPng(bytes: Uint8Array, source: string, channels: number, height: number, width: number): Uint8Array {
  const png = decodePng(bytes, source);
  return modelImageFromRgba(png.rgba, png.width, png.height, channels, height, width, source);
}
