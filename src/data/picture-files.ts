/**
 * Picture files in Node: PNG through pngjs (as the figures are written), JPEG through jpeg-js (pure
 * JavaScript, no native addon), both to RGBA bytes [height, width, 4]. The header is read and checked
 * against the limits before the decoder allocates anything (picture-header.ts).
 */
import { checkList, checkString } from '../argument-checks.js';
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import jpeg from 'jpeg-js';
import { XcnnError } from '../errors.js';
import { readUserFile } from '../files/read-file.js';
import { decodePng, PNG_LIMITS } from '../render/png.js';
import { byCodePoint } from './code-point-order.js';
import { readPictureHeader, type PictureHeader } from './picture-header.js';

/** The largest picture file read: 256 MB (its pixel count is bounded again from its header). */
export const MAX_PICTURE_FILE_BYTES = 256 * 1024 * 1024;

/** The largest picture decoded: PNG's limits, a side of 4096 pixels and 16 M pixels in all, for JPEG too. */
export const PICTURE_LIMITS = PNG_LIMITS;

export interface DecodedPicture {
  header: PictureHeader;
  rgba: Uint8Array; // [height, width, 4]
}

/** Why a picture file cannot be used, without the file's name (the caller adds it). */
export class PictureProblem extends Error {}

/** The header of `bytes`, checked against PICTURE_LIMITS; a problem is a PictureProblem. */
export function checkedPictureHeader(bytes: Uint8Array): PictureHeader {
  const header = readPictureHeader(bytes);
  if (typeof header === 'string') throw new PictureProblem(header);
  const { width, height } = header;
  if (width === 0 || height === 0) throw new PictureProblem(`the ${header.format.toUpperCase()} declares an empty image (${width}×${height})`);
  if (width > PICTURE_LIMITS.maxSide || height > PICTURE_LIMITS.maxSide || width * height > PICTURE_LIMITS.maxPixels) {
    throw new PictureProblem(`the ${header.format.toUpperCase()} declares ${width}×${height} pixels, more than xcnn reads (at most ${PICTURE_LIMITS.maxSide} a side and ${PICTURE_LIMITS.maxPixels / (1024 * 1024)} M pixels); scale it down first`);
  }
  return header;
}

/** Decodes a PNG or JPEG file's bytes to RGBA; a problem is a PictureProblem. */
export function decodePicture(bytes: Uint8Array): DecodedPicture {
  const header = checkedPictureHeader(bytes);
  try {
    if (header.format === 'png') {
      const png = decodePng(bytes, 'png');
      return { header, rgba: png.rgba };
    }
    const image = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: PICTURE_LIMITS.maxPixels / 1e6 + 1, maxMemoryUsageInMB: 1024 });
    if (image.width !== header.width || image.height !== header.height) throw new Error(`decoded ${image.width}×${image.height}, not the ${header.width}×${header.height} its header declares`);
    return { header, rgba: image.data };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new PictureProblem(header.format === 'png' ? message.replace(/^png: /, '') : `not a readable JPEG: ${message}`);
  }
}

/** Reads the picture file at `path` and checks its header (no decoding); any problem is one XcnnError naming the file. */
export function checkPictureFile(path: string): void {
  const bytes = readUserFile(path, { what: 'the image', maxBytes: MAX_PICTURE_FILE_BYTES });
  try {
    checkedPictureHeader(bytes);
  } catch (error) {
    if (error instanceof PictureProblem) throw new XcnnError(`${path}: ${error.message}`, { code: 'ERR_BAD_IMAGE' });
    throw error;
  }
}

/** Reads and decodes the picture file at `path`; any problem is one XcnnError naming the file. */
export function readPicture(path: string): DecodedPicture {
  checkString('readPicture', 'path', path, 'a string (a file path)');
  const bytes = readUserFile(path, { what: 'the image', maxBytes: MAX_PICTURE_FILE_BYTES });
  try {
    return decodePicture(bytes);
  } catch (error) {
    if (error instanceof PictureProblem) throw new XcnnError(`${path}: ${error.message}`, { code: 'ERR_BAD_IMAGE' });
    throw error;
  }
}

/** The most pictures one command reads from the paths it is given (predict, explain --image). */
export const MAX_LISTED_PICTURES = 1_000_000;

/** A picture found from a path a user gave: its path, and a name for what is written about it (unique in the list). */
export interface ListedPicture {
  path: string;
  name: string; // the file's name without extension, or for a file inside a given folder its path under it, '/' → '-'
}

/**
 * The picture files `paths` name: a file as it is (whatever its extension: it is read as a PNG or JPEG),
 * a folder's .png, .jpg and .jpeg files, in its subfolders too, in name order. Hidden entries and other
 * files in a folder are ignored and counted. More than `maxFiles` pictures are refused before any is read.
 */
export function listPictureFiles(paths: string[], maxFiles = MAX_LISTED_PICTURES): { pictures: ListedPicture[]; ignored: number } {
  checkList('listPictureFiles', 'paths', paths, 'file or folder paths');
  const pictures: ListedPicture[] = [];
  let ignored = 0;
  const add = (path: string, name: string) => {
    if (pictures.length >= maxFiles) throw new XcnnError(`${path}: more than ${maxFiles} pictures to read; give fewer files or folders`, { code: 'ERR_BAD_ARGUMENT' });
    pictures.push({ path, name });
  };
  const walk = (folder: string, prefix: string) => {
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => byCodePoint(a.name, b.name));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.name.startsWith('.')) ignored++;
      else if (entry.isDirectory()) walk(path, `${prefix}${entry.name}-`);
      else if (/\.(png|jpe?g)$/i.test(entry.name)) add(path, `${prefix}${entry.name.replace(/\.[^.]*$/, '')}`);
      else ignored++;
    }
  };
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      throw new XcnnError(`${path}: cannot read the image: no such file`, { code: 'ERR_FILE' });
    }
    if (!isFolder) add(path, basename(path).replace(/\.[^.]*$/, ''));
    else {
      const before = pictures.length;
      walk(path, '');
      if (pictures.length === before) throw new XcnnError(`${path}: a folder without PNG or JPEG pictures (.png, .jpg, .jpeg) in it or its subfolders`, { code: 'ERR_FILE' });
    }
  }
  // Names stay unique, so nothing written for one picture overwrites another's: a repeat gets -2, -3, ….
  const seen = new Map<string, number>();
  for (const picture of pictures) {
    const n = (seen.get(picture.name) ?? 0) + 1;
    seen.set(picture.name, n);
    if (n > 1) picture.name = `${picture.name}-${n}`;
  }
  return { pictures, ignored };
}
