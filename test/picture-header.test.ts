/**
 * A picture's header read from its first bytes (src/data/picture-header.ts), on files built byte by byte: PNG's
 * signature and IHDR, JPEG's segments up to the frame header, with the markers that carry no length, fill
 * bytes, the markers in the SOF range that are not frames, and every way the bytes can stop short.
 */
import { describe, expect, it } from 'vitest';
import { pictureFormat, readPictureHeader } from '../src/data/picture-header.js';

const SOI = [0xff, 0xd8];
/** A segment: FF, the marker, the big-endian length (counting itself), the payload. */
const segment = (marker: number, payload: number[]) => [0xff, marker, (payload.length + 2) >> 8, (payload.length + 2) & 0xff, ...payload];
/** A frame header's payload: precision 8, height, width (big-endian), the components and 3 bytes for each. */
const frame = (height: number, width: number, components: number) => [8, height >> 8, height & 0xff, width >> 8, width & 0xff, components, ...Array(3 * components).fill(1)];
const jpeg = (...parts: number[][]) => Uint8Array.from([...SOI, ...parts.flat()]);
const APP0 = segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** A PNG's signature and IHDR: width, height (big-endian uint32), bit depth 8, the colour type, then the rest of IHDR and its CRC (zeros: not read). */
const png = (width: number, height: number, colourType: number) =>
  Uint8Array.from([...PNG_SIGNATURE, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, ...[24, 16, 8, 0].map((s) => (width >>> s) & 0xff), ...[24, 16, 8, 0].map((s) => (height >>> s) & 0xff), 8, colourType, 0, 0, 0, 0, 0, 0, 0]);

describe('a PNG header', () => {
  it('reads width and height as big-endian 32-bit numbers, and one channel for grey (0) and grey + alpha (4) only', () => {
    expect(readPictureHeader(png(70_000, 258, 0))).toEqual({ format: 'png', width: 70_000, height: 258, channels: 1 });
    expect(readPictureHeader(png(3, 5, 4))).toEqual({ format: 'png', width: 3, height: 5, channels: 1 });
    for (const colourType of [2, 3, 6]) expect(readPictureHeader(png(3, 5, colourType))).toEqual({ format: 'png', width: 3, height: 5, channels: 3 });
  });

  it('needs the signature, and the IHDR chunk within the first 26 bytes', () => {
    expect(pictureFormat(Uint8Array.from(PNG_SIGNATURE))).toBe('png');
    expect(pictureFormat(Uint8Array.from(PNG_SIGNATURE.slice(0, 7)))).toBeNull();
    expect(pictureFormat(Uint8Array.from([...PNG_SIGNATURE.slice(0, 7), 0]))).toBeNull();
    expect(readPictureHeader(Uint8Array.from(PNG_SIGNATURE))).toBe('a PNG without its IHDR header (truncated?)');
    expect(readPictureHeader(png(3, 5, 0).subarray(0, 25))).toBe('a PNG without its IHDR header (truncated?)');
    expect(readPictureHeader(png(3, 5, 0).subarray(0, 26))).toEqual({ format: 'png', width: 3, height: 5, channels: 1 });
    const renamed = png(3, 5, 0);
    renamed[12] = 0x69; // 'iHDR'
    expect(readPictureHeader(renamed)).toBe('a PNG without its IHDR header (truncated?)');
  });
});

describe('a JPEG header', () => {
  it('reads the frame header after other segments: height, width (big-endian), one component grey, three or four colour', () => {
    expect(readPictureHeader(jpeg(APP0, segment(0xc0, frame(300, 258, 3))))).toEqual({ format: 'jpeg', width: 258, height: 300, channels: 3 });
    expect(readPictureHeader(jpeg(segment(0xc0, frame(16, 32, 1))))).toEqual({ format: 'jpeg', width: 32, height: 16, channels: 1 });
    expect(readPictureHeader(jpeg(segment(0xc0, frame(16, 32, 4))))).toEqual({ format: 'jpeg', width: 32, height: 16, channels: 3 });
  });

  it('takes every SOF marker as a frame (C0–CF but C4, C8 and CC, which are other segments)', () => {
    for (const marker of [0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]) {
      expect(readPictureHeader(jpeg(segment(marker, frame(7, 9, 1)))), marker.toString(16)).toEqual({ format: 'jpeg', width: 9, height: 7, channels: 1 });
    }
    // A DHT, JPG or DAC segment whose bytes look like a frame is stepped over to the real frame after it.
    for (const marker of [0xc4, 0xc8, 0xcc]) {
      expect(readPictureHeader(jpeg(segment(marker, frame(99, 99, 1)), segment(0xc0, frame(7, 9, 3)))), marker.toString(16)).toEqual({ format: 'jpeg', width: 9, height: 7, channels: 3 });
    }
    // Neither end of the range is a frame: BF and D0 are not SOF markers.
    expect(readPictureHeader(jpeg(segment(0xbf, frame(99, 99, 1)), segment(0xc0, frame(7, 9, 3))))).toEqual({ format: 'jpeg', width: 9, height: 7, channels: 3 });
  });

  it('skips fill bytes (FF FF) and the markers without a length (01, D0–D7, D8)', () => {
    const bare = [[0xff, 0x01], [0xff, 0xd0], [0xff, 0xd7], [0xff, 0xd8], [0xff]];
    expect(readPictureHeader(jpeg(...bare, segment(0xc2, frame(5, 6, 1))))).toEqual({ format: 'jpeg', width: 6, height: 5, channels: 1 });
  });

  it('reads a frame header that ends exactly at the end of the bytes', () => {
    expect(readPictureHeader(jpeg([0xff, 0xc0, 0, 8, 8, 0, 16, 0, 32, 1]))).toEqual({ format: 'jpeg', width: 32, height: 16, channels: 1 });
  });

  it('says why there is no header: truncated, a stray byte, image data or the end before any frame, a DNL height', () => {
    expect(pictureFormat(Uint8Array.from([0xff, 0xd8, 0xff]))).toBe('jpeg');
    expect(pictureFormat(Uint8Array.from([0xff, 0xd8]))).toBeNull();
    expect(pictureFormat(Uint8Array.from([0xff, 0xd8, 0xfe]))).toBeNull();
    expect(pictureFormat(Uint8Array.from([0x00, 0xd8, 0xff]))).toBeNull();
    expect(pictureFormat(Uint8Array.from([0xff, 0x00, 0xff]))).toBeNull();
    expect(pictureFormat(Uint8Array.from([0x00, 0x00, 0xff]))).toBeNull();
    expect(readPictureHeader(Uint8Array.from([0xff, 0xd8, 0xff]))).toBe('a JPEG without a frame header (truncated?)');
    expect(readPictureHeader(jpeg(APP0, [0x00, 0xff, 0xc0, 0, 11]))).toBe(`a JPEG whose segment at byte ${2 + APP0.length} does not start with FF`);
    expect(readPictureHeader(jpeg([0xff, 0xc0, 0, 17]))).toBe('a JPEG whose frame header is truncated'); // 4 bytes of a frame
    expect(readPictureHeader(jpeg([0xff, 0xc0, 0, 8, 8, 0, 16, 0, 32]))).toBe('a JPEG whose frame header is truncated'); // no component count
    expect(readPictureHeader(jpeg([0xff, 0xc0, 0, 7, 8, 0, 16, 0, 32, 1]))).toBe('a JPEG whose frame header is truncated'); // a length below 8
    expect(readPictureHeader(jpeg(segment(0xda, [1, 2, 3]), segment(0xc0, frame(7, 9, 1))))).toBe('a JPEG without a frame header (truncated?)');
    expect(readPictureHeader(jpeg([0xff, 0xd9], segment(0xc0, frame(7, 9, 1))))).toBe('a JPEG without a frame header (truncated?)');
    // The end of the image has no length: the 00 02 after it is not one, and the frame beyond is never read.
    expect(readPictureHeader(jpeg([0xff, 0xd9, 0x00, 0x02], segment(0xc0, frame(7, 9, 1))))).toBe('a JPEG without a frame header (truncated?)');
    expect(readPictureHeader(jpeg(segment(0xc0, frame(0, 9, 1))))).toBe('a JPEG that gives its height only after the image data (a DNL marker), which xcnn does not read');
  });

  it('is neither for other bytes', () => {
    expect(readPictureHeader(Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]))).toBe('not a PNG or JPEG file (it starts with neither signature)');
    expect(pictureFormat(new Uint8Array(0))).toBeNull();
  });
});
