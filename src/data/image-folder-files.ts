/**
 * Reads an image-folder data set (image-folder.ts describes the layout) in Node: the folders are listed,
 * checked and bounded before any image is decoded, then every image is decoded once (PNG or JPEG,
 * picture-files.ts), converted to the set's input (picture-input.ts) and stored as bytes [N, C, H, W],
 * the compact form training reads, on as many threads as asked for (folder-decoding.ts: the same bytes
 * whatever the count). Memory: the decoded sets, allocated once at their final size (one array for both,
 * shared with the decoding threads), and one picture per thread besides.
 *
 * Refused in one line each, before decoding: a folder with train/ but no test/ (or the reverse), a class
 * folder with no images, a single class, a test class the training set lacks, more than `maxFiles` images,
 * more decoded bytes than an IDX file may hold. Then, while decoding: a file that cannot be read or
 * decoded, unless `skipBad` (the files are listed in the summary instead). Hidden entries (names starting
 * with '.') and files that are not .png, .jpg or .jpeg are ignored and counted.
 */
import { readdirSync, statSync, type Dirent } from 'node:fs';
import { basename, join } from 'node:path';
import { checkFields, checkOptions, checkString } from '../argument-checks.js';
import { usageError, XcnnError } from '../errors.js';
import { readUserFile } from '../files/read-file.js';
import { byCodePoint } from './code-point-order.js';
import { imageSize, MAX_CLASSES, type Dataset, type ImageSet, type Labels, type TestData } from './dataset.js';
import { MAX_IDX_BYTES } from './idx.js';
import { DEFAULT_TEST_SPLIT, mixedOrder, splitTestFiles, type FolderFile, type FolderSummary } from './image-folder.js';
import { decodeFiles, decodingThreads, DECODED, reasonOf, stepsOf, type DecodedFiles } from './folder-decoding.js';
import { checkedPictureHeader, MAX_PICTURE_FILE_BYTES } from './picture-files.js';
import type { PictureHeader } from './picture-header.js';
import type { InputConversion, Preprocess } from './picture-input.js';
import { checkSplitFraction, splitValidation } from './split.js';

/** The most images a folder data set may hold: far more than MNIST's 70,000, a bound on the listing and on what is decoded. */
export const MAX_FOLDER_IMAGES = 2_000_000;

const IMAGE_FILE = /\.(png|jpe?g)$/i;

export interface ImageFolderOptions {
  channels?: 1 | 3; // default: the first image's (its file's colour type)
  size?: { height: number; width: number }; // default: the first image's (28 × 28 with preprocess 'mnist')
  preprocess?: Preprocess; // 'mnist': MNIST's digit preprocessing (grey, 28 × 28)
  testSplit?: number; // a folder without train/ and test/: the fraction of each class tested on (default 0.2)
  validationSplit?: number; // the fraction of each training class held out for validation (seeded by `seed`)
  seed?: number; // of the validation split (default 1)
  skipBad?: boolean; // leave out files that cannot be read or decoded, listing them, instead of stopping
  maxFiles?: number; // default MAX_FOLDER_IMAGES
  threads?: number; // decoding threads, this one included (default: the cores there are); 1 decodes here alone
  onProgress?: (done: number, total: number) => void; // while decoding, every few dozen images
}

export interface LoadedImageFolder {
  dataset: Dataset;
  summary: FolderSummary;
  threads: number; // the threads that decoded images (this one, and the workers that started before the files ran out)
}

/** Whether --data names an image folder (class folders) rather than an IDX folder. */
export function isImageFolder(dir: string): boolean {
  checkString('isImageFolder', 'dir', dir, 'a string (a folder path)');
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false; // the IDX reader words the error
  }
  if (entries.some((entry) => /^(train-images|t10k-images)-idx\d-ubyte(\.gz)?$/.test(entry.name))) return false;
  return entries.some((entry) => !entry.name.startsWith('.') && isFolder(dir, entry));
}

function isFolder(dir: string, entry: Dirent): boolean {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, entry.name)).isDirectory();
  } catch {
    return false;
  }
}

function isFile(dir: string, entry: Dirent): boolean {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(dir, entry.name)).isFile();
  } catch {
    return false;
  }
}

/** Names in code-point order (as `ls` in the C locale, and torchvision's ImageFolder), whatever the file system lists. */
const byName = (a: Dirent, b: Dirent) => byCodePoint(a.name, b.name);

interface Listing {
  classes: Map<string, string[]>; // class name → its image files, sorted
  ignored: { hidden: number; other: number };
}

/** The class folders of `dir` and their image files; refuses an empty class and counts past `maxFiles`. */
function listClasses(dir: string, ignored: Listing['ignored'], maxFiles: number, counted: { files: number }): Map<string, string[]> {
  const classes = new Map<string, string[]>();
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort(byName)) {
    if (entry.name.startsWith('.')) ignored.hidden++;
    else if (isFolder(dir, entry)) classes.set(entry.name, listImages(join(dir, entry.name), ignored, maxFiles, counted));
    else ignored.other++;
  }
  for (const [name, files] of classes) {
    if (files.length === 0) throw new XcnnError(`${join(dir, name)}: a class folder with no images (.png, .jpg or .jpeg); add its images or remove the folder`, { code: 'ERR_BAD_DATA' });
  }
  return classes;
}

function listImages(folder: string, ignored: Listing['ignored'], maxFiles: number, counted: { files: number }): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort(byName)) {
    if (entry.name.startsWith('.')) ignored.hidden++;
    else if (!IMAGE_FILE.test(entry.name) || !isFile(folder, entry)) ignored.other++;
    else if (++counted.files > maxFiles) {
      throw new XcnnError(`${folder}: the data set holds more than ${maxFiles} images, more than xcnn reads from a folder; use a subset`, { code: 'ERR_BAD_DATA' });
    } else files.push(join(folder, entry.name));
  }
  return files;
}

/** The files of the training and test sets, with the class names, checked (see the header). */
function listFolder(dir: string, options: ImageFolderOptions): { classNames: string[]; train: FolderFile[]; test: FolderFile[]; ignored: Listing['ignored']; testSplit?: number } {
  const maxFiles = options.maxFiles ?? MAX_FOLDER_IMAGES;
  const ignored = { hidden: 0, other: 0 };
  const counted = { files: 0 };
  const top = readdirSync(dir, { withFileTypes: true });
  const has = (name: string) => top.some((entry) => entry.name === name && isFolder(dir, entry));
  if (has('train') !== has('test')) {
    const [there, missing] = has('train') ? ['train', 'test'] : ['test', 'train'];
    throw new XcnnError(`${dir}: has ${there}/ but no ${missing}/; give both ${dir}/train/<class>/ and ${dir}/test/<class>/, or put the class folders in ${dir} itself (split by --test-split)`, { code: 'ERR_BAD_DATA' });
  }
  const classesOf = (folder: string) => listClasses(folder, ignored, maxFiles, counted);
  if (has('train')) {
    if (options.testSplit !== undefined) throw usageError(`--test-split: ${dir} has its own test/ folder; leave --test-split out`);
    for (const entry of top) {
      if (entry.name === 'train' || entry.name === 'test') continue;
      if (entry.name.startsWith('.')) ignored.hidden++;
      else ignored.other++;
    }
    const trainClasses = classesOf(join(dir, 'train'));
    const testClasses = classesOf(join(dir, 'test'));
    const classNames = checkClassCount(join(dir, 'train'), [...trainClasses.keys()]);
    for (const name of testClasses.keys()) {
      if (!trainClasses.has(name)) throw new XcnnError(`${join(dir, 'test', name)}: a test class the training set lacks (no ${join(dir, 'train', name)}); the network can only learn classes it trains on`, { code: 'ERR_BAD_DATA' });
    }
    const filesOf = (classes: Map<string, string[]>) => [...classes].flatMap(([name, files]) => files.map((path) => ({ path, label: classNames.indexOf(name) })));
    return { classNames, train: mixedOrder(filesOf(trainClasses)), test: mixedOrder(filesOf(testClasses)), ignored };
  }
  const testSplit = options.testSplit ?? DEFAULT_TEST_SPLIT;
  checkSplitFraction(testSplit, `--test-split`);
  const classes = classesOf(dir);
  const classNames = checkClassCount(dir, [...classes.keys()]);
  const files = [...classes.values()].flatMap((paths, label) => paths.map((path) => ({ path, label })));
  const split = splitTestFiles(files, testSplit);
  if (split.test.length === 0) throw new XcnnError(`${dir}: a test split of ${testSplit} leaves no test image of its ${files.length} (each class keeps at least one for training); give a larger --test-split or more images`, { code: 'ERR_BAD_DATA' });
  return { classNames, train: mixedOrder(split.train), test: mixedOrder(split.test), ignored, testSplit };
}

/** The class names of `dir`, refused when there are none, one, or more than MAX_CLASSES (exported for its test: 65,537 folders take minutes to write). */
export function checkClassCount(dir: string, classNames: string[]): string[] {
  if (classNames.length === 0) throw new XcnnError(`${dir}: no class folders; an image-folder data set holds a folder of images per class (${dir}/<class>/*.png)`, { code: 'ERR_BAD_DATA' });
  if (classNames.length > MAX_CLASSES) throw new XcnnError(`${dir}: ${classNames.length} class folders, more than the ${MAX_CLASSES} classes xcnn takes`, { code: 'ERR_BAD_DATA' });
  if (classNames.length === 1) throw new XcnnError(`${dir}: only one class folder (${classNames[0]}); a classifier needs at least two classes`, { code: 'ERR_BAD_DATA' });
  return classNames;
}

/** A file's problem as one line: the file, then why; `--skip-bad` leaves such files out instead. */
function fileError(path: string, reason: string): XcnnError {
  return new XcnnError(`${path}: cannot use this image: ${reason} (fix or remove the file, or give --skip-bad to leave unreadable files out)`, { code: 'ERR_BAD_IMAGE' });
}

/** The input every image becomes: the options', else the first readable training image's channels and size (in folder order). */
function conversionFor(files: FolderFile[], options: ImageFolderOptions): InputConversion {
  const preprocess = options.preprocess ?? 'none';
  if (preprocess === 'mnist') {
    if ((options.channels ?? 1) !== 1 || (options.size !== undefined && (options.size.height !== 28 || options.size.width !== 28))) {
      throw usageError('--preprocess mnist: makes 1×28×28 images, as MNIST\'s; leave --channels and --size out (or give --channels 1 --size 28)');
    }
    return { channels: 1, height: 28, width: 28, preprocess };
  }
  let first: PictureHeader | undefined;
  if (options.channels === undefined || options.size === undefined) {
    // The first in the folders' order (class by class, names sorted), not in the mixed training order.
    const listed = [...files].sort((a, b) => a.label - b.label || byCodePoint(a.path, b.path));
    for (const file of listed) {
      try {
        first = checkedPictureHeader(readUserFile(file.path, { what: 'the image', maxBytes: MAX_PICTURE_FILE_BYTES }));
        break;
      } catch (error) {
        if (!options.skipBad) throw fileError(file.path, reasonOf(error, file.path));
      }
    }
    if (first === undefined) throw new XcnnError(`${files[0]?.path ?? 'data'}: no training image could be read`, { code: 'ERR_BAD_DATA' });
  }
  return { channels: options.channels ?? first!.channels, height: options.size?.height ?? first!.height, width: options.size?.width ?? first!.width, preprocess };
}

/**
 * Loads an image-folder data set: both splits (and the validation split), decoded and converted, with
 * its summary (formatFolderSummary gives the line the command line prints).
 */
export function loadImageFolder(dir: string, options: ImageFolderOptions = {}): LoadedImageFolder {
  checkString('loadImageFolder', 'dir', dir, 'a string (a folder path)');
  checkOptions('loadImageFolder', options);
  checkFolder(dir);
  const threads = decodingThreads(options.threads);
  if (options.validationSplit !== undefined) checkSplitFraction(options.validationSplit, '--val-split');
  const listing = listFolder(dir, options);
  const conversion = conversionFor(listing.train, options);
  const size = conversion.channels * conversion.height * conversion.width;
  const total = listing.train.length + listing.test.length;
  if (total * size > MAX_IDX_BYTES) {
    throw new XcnnError(`${dir}: ${total} images of ${conversion.channels}×${conversion.height}×${conversion.width} would take ${total * size} bytes, more than the ${MAX_IDX_BYTES} xcnn holds; give a smaller --size or use a subset`, { code: 'ERR_BAD_DATA' });
  }
  const decoded = decodeSets([listing.train, listing.test], conversion, listing.classNames.length, threads, options);
  let [train] = decoded.sets;
  const test = decoded.sets[1];
  const trainCounts = classCounts(train.labels, listing.classNames.length);
  const emptied = trainCounts.findIndex((n) => n === 0);
  if (emptied >= 0) throw new XcnnError(`${dir}: every training image of class ${listing.classNames[emptied]} was unreadable (--skip-bad left them out); a class needs at least one`, { code: 'ERR_BAD_DATA' });
  let validation: ImageSet | undefined;
  if (options.validationSplit !== undefined) ({ train, validation } = splitValidation(train, options.validationSplit, options.seed ?? 1));
  const summary: FolderSummary = {
    root: dir,
    classNames: listing.classNames,
    trainCounts: classCounts(train.labels, listing.classNames.length),
    testCounts: classCounts(test.labels, listing.classNames.length),
    ...(validation === undefined ? {} : { validationCounts: classCounts(validation.labels, listing.classNames.length) }),
    ...(listing.testSplit === undefined ? {} : { testSplit: listing.testSplit }),
    sizes: decoded.sizes,
    conversion,
    converted: decoded.converted,
    ignored: listing.ignored,
    skipped: decoded.skipped,
  };
  const name = basename(dir.replace(/[\\/]+$/, '')) || 'images';
  return { dataset: { name, classNames: listing.classNames, train, test, ...(validation === undefined ? {} : { validation }) }, summary, threads: decoded.threads };
}

/**
 * The test split alone (the training images are listed, for the split, but not decoded), converted to a
 * model's input: what evaluate, explain and report read from an image folder.
 */
export function loadImageFolderTest(dir: string, conversion: InputConversion, options: Pick<ImageFolderOptions, 'testSplit' | 'skipBad' | 'maxFiles' | 'onProgress' | 'threads'> = {}): TestData & { summary: FolderSummary } {
  checkString('loadImageFolderTest', 'dir', dir, 'a string (a folder path)');
  checkFields('loadImageFolderTest', 'conversion', conversion, "the model's input size and channels", { channels: 'number', height: 'number', width: 'number' });
  checkOptions('loadImageFolderTest', options);
  checkFolder(dir);
  const threads = decodingThreads(options.threads);
  const listing = listFolder(dir, options);
  const decoded = decodeSets([listing.test], conversion, listing.classNames.length, threads, options);
  const [test] = decoded.sets;
  const counts = classCounts(test.labels, listing.classNames.length);
  const summary: FolderSummary = { root: dir, classNames: listing.classNames, trainCounts: counts.map(() => 0), testCounts: counts, sizes: decoded.sizes, conversion, converted: decoded.converted, ignored: listing.ignored, skipped: decoded.skipped };
  return { name: basename(dir.replace(/[\\/]+$/, '')) || 'images', classNames: listing.classNames, test, summary };
}

function checkFolder(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    throw new XcnnError(`${dir}: no such data folder`, { exitCode: 2, code: 'ERR_FILE' });
  }
  if (!isDir) throw new XcnnError(`${dir}: not a folder; --data takes a folder of class folders of images, or of the four IDX files`, { exitCode: 2, code: 'ERR_FILE' });
}

function classCounts(labels: Labels, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

/**
 * Decodes the training and test files together (on the threads asked for: folder-decoding.ts) into one
 * byte array, then makes each its image set, in file order, and the tallies the summary reports.
 */
function decodeSets(sets: FolderFile[][], conversion: InputConversion, classes: number, threads: number, options: Pick<ImageFolderOptions, 'skipBad' | 'onProgress'>) {
  const paths = sets.flatMap((files) => files.map((file) => file.path));
  const decoded = decodeFiles(paths, conversion, { skipBad: options.skipBad === true, threads, onProgress: options.onProgress }, fileError);
  const sizes = new Map<string, number>();
  const converted = { resized: 0, toGrey: 0, toColour: 0, alpha: 0 };
  for (let k = 0; k < paths.length; k++) {
    const flags = decoded.results[3 * k + 2];
    if ((flags & DECODED) === 0) continue;
    const key = `${decoded.results[3 * k]}×${decoded.results[3 * k + 1]}`;
    sizes.set(key, (sizes.get(key) ?? 0) + 1);
    const steps = stepsOf(flags);
    for (const step of ['resized', 'toGrey', 'toColour', 'alpha'] as const) if (steps[step]) converted[step]++;
  }
  let from = 0;
  const imageSets = sets.map((files) => {
    const set = imageSetOf(decoded, files, from, conversion, classes);
    from += files.length;
    return set;
  });
  const skipped = decoded.problems.map(([k, reason]) => ({ file: paths[k], reason }));
  return { sets: imageSets, sizes, converted, skipped, threads: decoded.threads };
}

/**
 * The image set of `files`, decoded into slots from..from + files.length: a skipped file's slot is closed up
 * by moving the later images down (in place), so the set is a view of the images decoded, in file order.
 */
function imageSetOf(decoded: DecodedFiles, files: FolderFile[], from: number, conversion: InputConversion, classes: number): ImageSet {
  const { channels, height, width } = conversion;
  const size = imageSize({ channels, height, width });
  const labels: Labels = classes <= 256 ? new Uint8Array(files.length) : new Uint16Array(files.length);
  let count = 0;
  for (let n = 0; n < files.length; n++) {
    if ((decoded.results[3 * (from + n) + 2] & DECODED) === 0) continue;
    if (count !== n) decoded.images.copyWithin((from + count) * size, (from + n) * size, (from + n + 1) * size);
    labels[count++] = files[n].label;
  }
  return { count, channels, height, width, images: decoded.images.subarray(from * size, (from + count) * size), labels: labels.subarray(0, count) };
}
