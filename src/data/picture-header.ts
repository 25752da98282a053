/**
 * What a picture file is, from its first bytes, before anything is decoded: its format, its size and its
 * channels. Decoding allocates width × height × 4 bytes before reading a pixel, so a tiny file can ask
 * for gigabytes; the size read here is checked against the limits first (image-folder-files.ts).
 *
 *   PNG   bytes 0–7 the signature 89 50 4E 47 0D 0A 1A 0A; bytes 12–15 "IHDR"; 16–23 width, height
 *         (big-endian uint32); byte 25 the colour type: 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA
 *   JPEG  bytes 0–1 FF D8 (SOI), then segments FF xx [length: big-endian uint16, counting itself]; the
 *         frame header SOFn (C0–CF but C4 DHT, C8 JPG, CC DAC) holds precision (1 byte), height, width
 *         (big-endian uint16 each) and the component count: 1 grey, 3 YCbCr, 4 CMYK
 *
 * Browser-safe: bytes in, numbers out.
 */
import { checkBytes } from '../argument-checks.js';

export type PictureFormat = 'png' | 'jpeg';

export interface PictureHeader {
  format: PictureFormat;
  width: number;
  height: number;
  channels: 1 | 3; // grey (PNG grey, grey + alpha; JPEG one component) or colour (everything else)
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The format the bytes start with, or null for neither PNG nor JPEG. */
export function pictureFormat(bytes: Uint8Array): PictureFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, k) => bytes[k] === b)) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return null;
}

/**
 * The header of a PNG or JPEG file, or the reason it has none that xcnn can read (a string: the caller
 * names the file). Never throws and never allocates more than a few numbers.
 */
export function readPictureHeader(bytes: Uint8Array): PictureHeader | string {
  checkBytes('readPictureHeader', 'bytes', bytes);
  const format = pictureFormat(bytes);
  if (format === 'png') return pngHeader(bytes);
  if (format === 'jpeg') return jpegHeader(bytes);
  return 'not a PNG or JPEG file (it starts with neither signature)';
}

function pngHeader(bytes: Uint8Array): PictureHeader | string {
  if (bytes.length < 26 || String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return 'a PNG without its IHDR header (truncated?)';
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const colourType = bytes[25];
  return { format: 'png', width: view.getUint32(16), height: view.getUint32(20), channels: colourType === 0 || colourType === 4 ? 1 : 3 };
}

/** SOF markers: C0–CF except C4 (DHT), C8 (JPG, reserved) and CC (DAC). */
function isFrameMarker(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function jpegHeader(bytes: Uint8Array): PictureHeader | string {
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return `a JPEG whose segment at byte ${at} does not start with FF`;
    const marker = bytes[at + 1];
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) break; // end of image, or start of scan before any frame header
    const length = (bytes[at + 2] << 8) | bytes[at + 3];
    if (isFrameMarker(marker)) {
      if (at + 10 > bytes.length || length < 8) return 'a JPEG whose frame header is truncated';
      const height = (bytes[at + 5] << 8) | bytes[at + 6];
      const width = (bytes[at + 7] << 8) | bytes[at + 8];
      const components = bytes[at + 9];
      if (height === 0) return 'a JPEG that gives its height only after the image data (a DNL marker), which xcnn does not read';
      return { format: 'jpeg', width, height, channels: components === 1 ? 1 : 3 };
    }
    at += 2 + length;
  }
  return 'a JPEG without a frame header (truncated?)';
}
