/**
 * src/data/picture-files.ts: the pictures a user's paths name (predict, explain --image) and the checks and
 * decoding of one picture file, on files and folders each test writes in a temp folder of its own.
 */
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkedPictureHeader, checkPictureFile, decodePicture, listPictureFiles, MAX_LISTED_PICTURES, MAX_PICTURE_FILE_BYTES, PICTURE_LIMITS, PictureProblem, readPicture } from '../src/data/picture-files.js';
import { greyPng, jpegOf, pngOf, solidRgba, tempFolder, writeTree } from './fixtures/picture-files.js';

const folder = (files: Record<string, Uint8Array | string>) => writeTree(tempFolder('xcnn-pictures-'), files);

/** The error `action` throws (failing the test if it throws none). */
function errorOf(action: () => unknown): { message: string; code?: string } {
  try {
    action();
  } catch (error) {
    return error as { message: string; code?: string };
  }
  throw new Error('expected an error');
}

/** A PNG whose header declares `width` × `height` (the rest of the file as a 4 × 4 grey picture's). */
function declaring(width: number, height: number): Uint8Array {
  const png = greyPng(0, 4, 4);
  const view = new DataView(png.buffer, png.byteOffset);
  view.setUint32(16, width);
  view.setUint32(20, height);
  return png;
}

describe('listPictureFiles: the pictures a list of paths names', () => {
  it('walks a folder and its subfolders in name order, naming each by its path under the folder, - for /', () => {
    const dir = folder({ 'b.png': greyPng(1), 'A.JPG': greyPng(1), 'sub/c.jpeg': greyPng(1), 'sub/deeper/d.Png': greyPng(1), 'a.png': greyPng(1) });
    const { pictures, ignored } = listPictureFiles([dir]);
    expect(pictures).toEqual([
      { path: join(dir, 'A.JPG'), name: 'A' },
      { path: join(dir, 'a.png'), name: 'a' },
      { path: join(dir, 'b.png'), name: 'b' },
      { path: join(dir, 'sub', 'c.jpeg'), name: 'sub-c' },
      { path: join(dir, 'sub', 'deeper', 'd.Png'), name: 'sub-deeper-d' },
    ]);
    expect(ignored).toBe(0);
  });

  it('ignores and counts hidden entries (a hidden folder as one) and files of other extensions', () => {
    const dir = folder({ '1.png': greyPng(1), '.2.png': greyPng(1), '.cache/3.png': greyPng(1), 'notes.txt': 'x', '4.png.bak': 'x', 'gif/5.gif': 'x' });
    const { pictures, ignored } = listPictureFiles([dir]);
    expect(pictures.map((p) => p.name)).toEqual(['1']);
    expect(ignored).toBe(5);
  });

  it('lists names in code-point order: z, then full-width ｚ (U+FF5A), then 😀 (U+1F600)', () => {
    const dir = folder({ '😀.png': greyPng(1), 'ｚ.png': greyPng(1), 'z.png': greyPng(1), 'sub/😀.png': greyPng(1), 'sub/ｚ.png': greyPng(1) });
    expect(listPictureFiles([dir]).pictures.map((p) => p.name)).toEqual(['sub-ｚ', 'sub-😀', 'z', 'ｚ', '😀']);
  });

  it('goes by the last extension after a dot: "xpng" and "jpg" are no pictures, "v.1.png" is one named v.1', () => {
    const dir = folder({ xpng: greyPng(1), jpg: greyPng(1), 'v.1.png': greyPng(1), 'w.jpeg.png': greyPng(1) });
    const { pictures, ignored } = listPictureFiles([dir]);
    expect(pictures).toEqual([{ path: join(dir, 'v.1.png'), name: 'v.1' }, { path: join(dir, 'w.jpeg.png'), name: 'w.jpeg' }]);
    expect(ignored).toBe(2);
  });

  it('refuses paths that are not an array, in one line', () => {
    expect(errorOf(() => listPictureFiles('a.png' as unknown as string[]))).toMatchObject({ message: 'listPictureFiles: paths must be an array of file or folder paths, not string', code: 'ERR_BAD_ARGUMENT' });
  });

  it('takes a file named as it is, whatever its extension, its name without the last extension', () => {
    const dir = folder({ 'scan.v2.dat': greyPng(1), 'noext': greyPng(1) });
    const { pictures } = listPictureFiles([join(dir, 'scan.v2.dat'), join(dir, 'noext')]);
    expect(pictures).toEqual([{ path: join(dir, 'scan.v2.dat'), name: 'scan.v2' }, { path: join(dir, 'noext'), name: 'noext' }]);
  });

  it('keeps names unique: a repeated name gets -2, -3 in the order listed', () => {
    const one = folder({ 'x.png': greyPng(1) });
    const two = folder({ 'x.jpg': greyPng(1), 'y.png': greyPng(1) });
    const { pictures } = listPictureFiles([join(one, 'x.png'), two, join(one, 'x.png')]);
    expect(pictures.map((p) => p.name)).toEqual(['x', 'x-2', 'y', 'x-3']);
  });

  it('refuses more than maxFiles pictures before reading any, naming the first past the limit', () => {
    const dir = folder({ '1.png': 'not read', '2.png': 'not read', '3.png': 'not read' });
    expect(listPictureFiles([dir], 3).pictures).toHaveLength(3);
    expect(errorOf(() => listPictureFiles([dir], 2))).toMatchObject({ message: `${join(dir, '3.png')}: more than 2 pictures to read; give fewer files or folders`, code: 'ERR_BAD_ARGUMENT' });
    expect(errorOf(() => listPictureFiles([join(dir, '1.png'), join(dir, '2.png')], 1)).message).toBe(`${join(dir, '2.png')}: more than 1 pictures to read; give fewer files or folders`);
    expect(MAX_LISTED_PICTURES).toBe(1_000_000);
  });

  it('refuses a path that is not there, and a folder with no pictures in it or its subfolders', () => {
    const dir = folder({ 'notes.txt': 'x', 'sub/.hidden.png': greyPng(1) });
    expect(errorOf(() => listPictureFiles([join(dir, 'missing.png')]))).toMatchObject({ message: `${join(dir, 'missing.png')}: cannot read the image: no such file`, code: 'ERR_FILE' });
    expect(errorOf(() => listPictureFiles([dir]))).toMatchObject({ message: `${dir}: a folder without PNG or JPEG pictures (.png, .jpg, .jpeg) in it or its subfolders`, code: 'ERR_FILE' });
    // Pictures found in an earlier path do not count for a later empty folder.
    const full = folder({ '1.png': greyPng(1) });
    const empty = tempFolder('xcnn-pictures-');
    mkdirSync(join(empty, 'sub'));
    expect(errorOf(() => listPictureFiles([full, empty])).message).toBe(`${empty}: a folder without PNG or JPEG pictures (.png, .jpg, .jpeg) in it or its subfolders`);
  });
});

describe('checking and decoding one picture', () => {
  it('reads a PNG and a JPEG to RGBA bytes with their header', () => {
    const dir = folder({ 'g.png': greyPng(77, 3, 2), 'c.jpg': jpegOf(solidRgba(8, 8, [200, 200, 200, 255]), 8, 8) });
    const png = readPicture(join(dir, 'g.png'));
    expect(png.header).toEqual({ format: 'png', width: 3, height: 2, channels: 1 });
    expect(Array.from(png.rgba.subarray(0, 4))).toEqual([77, 77, 77, 255]);
    expect(png.rgba.length).toBe(24);
    const jpg = readPicture(join(dir, 'c.jpg'));
    expect(jpg.header).toEqual({ format: 'jpeg', width: 8, height: 8, channels: 3 });
    expect(jpg.rgba.length).toBe(256);
    expect(Math.abs(jpg.rgba[0] - 200)).toBeLessThanOrEqual(2);
    expect(() => checkPictureFile(join(dir, 'g.png'))).not.toThrow();
  });

  it('refuses a file of neither format, naming it (ERR_BAD_IMAGE), when checked and when read', () => {
    const dir = folder({ 'x.png': 'hello' });
    const path = join(dir, 'x.png');
    const expected = { message: `${path}: not a PNG or JPEG file (it starts with neither signature)`, code: 'ERR_BAD_IMAGE' };
    expect(errorOf(() => checkPictureFile(path))).toMatchObject(expected);
    expect(errorOf(() => readPicture(path))).toMatchObject(expected);
  });

  it('refuses an empty image and one past the limits from the header alone', () => {
    expect(errorOf(() => checkedPictureHeader(declaring(0, 4)))).toBeInstanceOf(PictureProblem);
    expect(errorOf(() => checkedPictureHeader(declaring(0, 4))).message).toBe('the PNG declares an empty image (0×4)');
    expect(errorOf(() => checkedPictureHeader(declaring(4, 0))).message).toBe('the PNG declares an empty image (4×0)');
    const past = (w: number, h: number) => `the PNG declares ${w}×${h} pixels, more than xcnn reads (at most 4096 a side and 16 M pixels); scale it down first`;
    expect(errorOf(() => checkedPictureHeader(declaring(4097, 1))).message).toBe(past(4097, 1));
    expect(errorOf(() => checkedPictureHeader(declaring(1, 4097))).message).toBe(past(1, 4097));
    expect(checkedPictureHeader(declaring(4096, 4096))).toEqual({ format: 'png', width: 4096, height: 4096, channels: 1 });
    expect(PICTURE_LIMITS).toEqual({ maxSide: 4096, maxPixels: 16 * 1024 * 1024 });
    const dir = folder({ 'big.png': declaring(5000, 2) });
    expect(errorOf(() => checkPictureFile(join(dir, 'big.png')))).toMatchObject({ message: `${join(dir, 'big.png')}: ${past(5000, 2)}`, code: 'ERR_BAD_IMAGE' });
  });

  it('says why a PNG or a JPEG with a good header cannot be decoded (PNG without its "png: " prefix)', () => {
    const png = greyPng(5, 4, 4).subarray(0, 40);
    const pngError = errorOf(() => decodePicture(png));
    expect(pngError).toBeInstanceOf(PictureProblem);
    expect(pngError.message).toMatch(/^not a readable PNG: /);
    const jpeg = jpegOf(solidRgba(8, 8, [1, 2, 3, 255]), 8, 8);
    const cut = jpeg.subarray(0, jpeg.length - 200);
    const jpegError = errorOf(() => decodePicture(cut));
    expect(jpegError).toBeInstanceOf(PictureProblem);
    expect(jpegError.message).toMatch(/^not a readable JPEG: ./);
    const dir = folder({ 'cut.png': png });
    expect(errorOf(() => readPicture(join(dir, 'cut.png')))).toMatchObject({ message: expect.stringMatching(new RegExp(`^${join(dir, 'cut.png').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a readable PNG: `)), code: 'ERR_BAD_IMAGE' });
  });

  it('lets a JPEG of the largest size (4,096 × 4,096) past the decoder\'s own resolution limit', () => {
    // A start of frame declaring 4,096 × 4,096 and no scan: jpeg-js fails on the missing data, not on the size
    // (its maxResolutionInMP, 16.78 + 1 MP, would refuse it at 15.78 MP).
    const sof = [0xff, 0xc0, 0, 11, 8, 0x10, 0x00, 0x10, 0x00, 1, 1, 0x11, 0];
    const bytes = Uint8Array.from([0xff, 0xd8, ...sof, 0xff, 0xd9]);
    expect(checkedPictureHeader(bytes)).toMatchObject({ format: 'jpeg', width: 4096, height: 4096 });
    let message = '';
    try {
      decodePicture(bytes);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/^not a readable JPEG: /);
    expect(message).not.toMatch(/maxResolutionInMP/);
  });

  it('refuses a path that is not a string, in one line', () => {
    expect(errorOf(() => readPicture(3 as unknown as string))).toMatchObject({ message: 'readPicture: path must be a string (a file path), not number', code: 'ERR_BAD_ARGUMENT' });
  });

  it('lets a file it cannot read through as the reader worded it (not as a picture problem)', () => {
    const dir = tempFolder('xcnn-pictures-');
    mkdirSync(join(dir, 'a.png'));
    writeFileSync(join(dir, 'ok.png'), greyPng(1));
    expect(errorOf(() => readPicture(join(dir, 'a.png'))).message).toMatch(/^.*a\.png: cannot read the image: /);
    expect(errorOf(() => checkPictureFile(join(dir, 'a.png')))).toMatchObject({ message: `${join(dir, 'a.png')}: cannot read the image: is a directory`, code: 'ERR_FILE' });
    // A file past the limit is refused before it is read (a sparse file: it takes no room on disk).
    const large = join(dir, 'large.png');
    writeFileSync(large, '');
    truncateSync(large, MAX_PICTURE_FILE_BYTES + 1);
    const tooLarge = `${large}: cannot read the image: it is ${MAX_PICTURE_FILE_BYTES + 1} bytes, more than the ${MAX_PICTURE_FILE_BYTES} such a file can be`;
    expect(errorOf(() => checkPictureFile(large))).toMatchObject({ message: tooLarge, code: 'ERR_FILE' });
    expect(errorOf(() => readPicture(large)).message).toBe(tooLarge);
    expect(MAX_PICTURE_FILE_BYTES).toBe(256 * 1024 * 1024);
  });
});
