/**
 * PNG files, through pngjs: rasters out (8-bit RGB), and any PNG in (every colour type and bit depth,
 * which pngjs expands to 8-bit RGBA).
 *
 * A PNG declares its size in its first chunk (IHDR), and decoding allocates width·height·4 bytes before
 * reading a pixel, so a tiny file can ask for gigabytes. `decodePng` reads that header first and refuses
 * an absurd size before pngjs sees the file.
 *
 *   bytes 0–7    the signature 89 50 4E 47 0D 0A 1A 0A
 *   bytes 8–11   the first chunk's length (13 for IHDR), big-endian
 *   bytes 12–15  "IHDR"
 *   bytes 16–23  width, height: big-endian uint32
 */
import { PNG } from 'pngjs';
import { XcnnError } from '../errors.js';
import type { Raster } from './raster.js';

import { PNG_SIGNATURE } from './png-encoder.js';

export { PNG_SIGNATURE };

/** The largest image `decodePng` accepts: a side of 4096 pixels and 16 M pixels in all. */
export const PNG_LIMITS = { maxSide: 4096, maxPixels: 16 * 1024 * 1024 };

export interface DecodedPng {
  width: number;
  height: number;
  rgba: Uint8Array; // [height, width, 4], 8 bits a channel
}

/** A raster as an 8-bit RGB PNG. */
export function encodePng(raster: Raster): Uint8Array {
  const image = { width: raster.width, height: raster.height, data: Buffer.from(raster.data.buffer, raster.data.byteOffset, raster.data.byteLength) };
  return PNG.sync.write(image as PNG, { colorType: 2, inputColorType: 6, inputHasAlpha: true });
}

/** Width and height from a PNG's IHDR chunk, without decoding; `source` names the file in errors. */
export function readPngSize(bytes: Uint8Array, source: string): { width: number; height: number } {
  const isPng = bytes.length >= 24 && PNG_SIGNATURE.every((b, k) => bytes[k] === b);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isPng || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') {
    throw new XcnnError(`${source}: not a PNG file (it does not start with the PNG signature and header); give a .png image of the digit`);
  }
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

export function decodePng(bytes: Uint8Array, source: string): DecodedPng {
  const { width, height } = readPngSize(bytes, source);
  if (width === 0 || height === 0) throw new XcnnError(`${source}: the PNG declares an empty image (${width}×${height})`);
  if (width > PNG_LIMITS.maxSide || height > PNG_LIMITS.maxSide || width * height > PNG_LIMITS.maxPixels) {
    throw new XcnnError(
      `${source}: the PNG declares ${width}×${height} pixels, more than xcnn reads (at most ${PNG_LIMITS.maxSide} a side and ` +
        `${PNG_LIMITS.maxPixels / (1024 * 1024)} M pixels); scale the image down first`,
    );
  }
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data.buffer, png.data.byteOffset, png.data.byteLength) };
  } catch (error) {
    throw new XcnnError(`${source}: not a readable PNG: ${(error as Error).message}`, { cause: error });
  }
}
