/**
 * PNG files written without Node's zlib or a canvas, for the browser-safe core: 8-bit RGB (colour type 2)
 * or RGBA (6), non-interlaced, compressed by deflate.ts (LZ77 with DEFLATE's fixed Huffman codes).
 *
 *   file    = signature 89 50 4E 47 0D 0A 1A 0A · IHDR · IDAT · IEND
 *   chunk   = length (uint32 BE) · type (4 ASCII) · data · CRC-32 of type and data (uint32 BE)
 *   IHDR    = width, height (uint32 BE) · bit depth 8 · colour type · compression 0 · filter 0 · interlace 0
 *   IDAT    = zlib(rows), each row = its filter type byte · the row's bytes filtered
 *
 * Each row's filter (None, Sub, Up, Average, Paeth; PNG spec §9) is the one whose output has the smallest
 * sum of absolute values taken as signed bytes — the heuristic the PNG spec recommends (§12.8) and
 * libpng uses. Nearest-neighbour-enlarged figures then become rows of zeros (Up) that LZ77 takes almost
 * for free.
 */
import { checkNumber, checkOptions, checkPixelBytes } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { zlibCompress } from './deflate.js';

export const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

export interface PngEncodeOptions {
  /** Keep the alpha channel (colour type 6); by default it is dropped (colour type 2, RGB). */
  alpha?: boolean;
}

/** CRC-32 (ISO 3309, the polynomial 0xEDB88320 reflected) as PNG chunks use it. */
const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

export function crc32(bytes: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let k = 0; k < bytes.length; k++) c = CRC_TABLE[(c ^ bytes[k]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(12 + data.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, data.length);
  for (let k = 0; k < 4; k++) bytes[4 + k] = type.charCodeAt(k);
  bytes.set(data, 8);
  view.setUint32(8 + data.length, crc32(bytes.subarray(4, 8 + data.length)));
  return bytes;
}

/** The Paeth predictor (PNG spec §9.4): of left, up and up-left, the one nearest left + up − up-left. */
function paeth(left: number, up: number, upLeft: number): number {
  const estimate = left + up - upLeft;
  const dLeft = Math.abs(estimate - left);
  const dUp = Math.abs(estimate - up);
  const dUpLeft = Math.abs(estimate - upLeft);
  return dLeft <= dUp && dLeft <= dUpLeft ? left : dUp <= dUpLeft ? up : upLeft;
}

/** One filter's output for a row (`previous` all zeros for the first row), bytes per pixel `bpp`; a loop per filter, as this runs for every byte five times. */
function filterRow(row: Uint8Array, previous: Uint8Array, bpp: number, filter: number, out: Uint8Array): void {
  const n = row.length;
  switch (filter) {
    case 0: // None
      out.set(row);
      return;
    case 1: // Sub: the byte to the left
      for (let k = 0; k < bpp; k++) out[k] = row[k];
      for (let k = bpp; k < n; k++) out[k] = (row[k] - row[k - bpp]) & 0xff;
      return;
    case 2: // Up: the byte above
      for (let k = 0; k < n; k++) out[k] = (row[k] - previous[k]) & 0xff;
      return;
    case 3: // Average of left and above, rounded down
      for (let k = 0; k < bpp; k++) out[k] = (row[k] - (previous[k] >> 1)) & 0xff;
      for (let k = bpp; k < n; k++) out[k] = (row[k] - ((row[k - bpp] + previous[k]) >> 1)) & 0xff;
      return;
    default: // Paeth
      for (let k = 0; k < bpp; k++) out[k] = (row[k] - previous[k]) & 0xff; // left and up-left are 0: Paeth picks up
      for (let k = bpp; k < n; k++) out[k] = (row[k] - paeth(row[k - bpp], previous[k], previous[k - bpp])) & 0xff;
  }
}

/** Σ |byte as a signed value|: the smaller, the better the filter predicted the row. */
function signedSum(bytes: Uint8Array): number {
  let sum = 0;
  for (let k = 0; k < bytes.length; k++) sum += bytes[k] < 128 ? bytes[k] : 256 - bytes[k];
  return sum;
}

/** Rows of pixels as IDAT wants them before compression: [height, 1 + width · bpp], each with its best filter. */
function filteredRows(pixels: Uint8Array, width: number, height: number, bpp: number): Uint8Array {
  const rowBytes = width * bpp;
  const out = new Uint8Array(height * (1 + rowBytes));
  const candidate = new Uint8Array(rowBytes);
  const best = new Uint8Array(rowBytes);
  let previous: Uint8Array = new Uint8Array(rowBytes);
  for (let y = 0; y < height; y++) {
    const row = pixels.subarray(y * rowBytes, (y + 1) * rowBytes);
    let bestFilter = 0;
    let bestSum = Infinity;
    for (let filter = 0; filter < 5; filter++) {
      filterRow(row, previous, bpp, filter, candidate);
      const sum = signedSum(candidate);
      if (sum < bestSum) {
        bestSum = sum;
        bestFilter = filter;
        best.set(candidate);
        if (sum === 0) break; // nothing beats a row of zeros
      }
    }
    out[y * (1 + rowBytes)] = bestFilter;
    out.set(best, y * (1 + rowBytes) + 1);
    previous = row;
  }
  return out;
}

/**
 * A PNG of RGBA pixels [height, width, 4] (e.g. a canvas's ImageData.data), 8 bits a channel: RGB unless
 * `alpha` is set. Returns the file's bytes.
 */
export function encodeRgbaPng(rgba: Uint8Array | Uint8ClampedArray, width: number, height: number, options: PngEncodeOptions = {}): Uint8Array {
  checkPixelBytes('encodeRgbaPng', 'rgba', rgba);
  checkNumber('encodeRgbaPng', 'width', width);
  checkNumber('encodeRgbaPng', 'height', height);
  checkOptions('encodeRgbaPng', options, 'alpha');
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new XcnnError(`PNG: the size ${width}×${height} is not a positive whole number of pixels each way`, { code: 'ERR_BAD_IMAGE' });
  }
  if (rgba.length !== width * height * 4) {
    throw new XcnnError(`PNG: ${rgba.length} bytes of pixels for ${width}×${height} RGBA; give width·height·4 = ${width * height * 4} bytes`, { code: 'ERR_BAD_IMAGE' });
  }
  const bpp = options.alpha ? 4 : 3;
  let pixels: Uint8Array = new Uint8Array(rgba.buffer, rgba.byteOffset, rgba.length);
  if (bpp === 3) {
    const rgb = new Uint8Array(width * height * 3);
    for (let p = 0, q = 0; q < rgb.length; p += 4, q += 3) {
      rgb[q] = pixels[p];
      rgb[q + 1] = pixels[p + 1];
      rgb[q + 2] = pixels[p + 2];
    }
    pixels = rgb;
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, bpp === 4 ? 6 : 2, 0, 0, 0], 8);
  const parts = [Uint8Array.from(PNG_SIGNATURE), chunk('IHDR', header), chunk('IDAT', zlibCompress(filteredRows(pixels, width, height, bpp))), chunk('IEND', new Uint8Array(0))];
  const file = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    file.set(part, offset);
    offset += part.length;
  }
  return file;
}
