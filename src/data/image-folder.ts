/**
 * Image-folder data sets, the layout of torchvision's ImageFolder — the browser-safe part: the files'
 * order and splits, and the one-line summary. Finding, reading and decoding the files is Node's part, in
 * image-folder-files.ts.
 *
 *   DIR/train/<class>/*.png|jpg   DIR/test/<class>/*   a given test set, or
 *   DIR/<class>/*                                        one set, split by --test-split F (stratified)
 *
 * Classes are the folder names, sorted (code-point order, as `ls` in the C locale), class k the k-th.
 * The test split takes round(F · n) of each class's n images with a fixed seed (TEST_SPLIT_SEED), not the
 * run's --seed: the split is a property of the folder, so every run, and `xcnn evaluate --data DIR`
 * afterwards, tests on the same images, none of which any run trained on.
 */
import { checkFields } from '../argument-checks.js';
import { Random } from '../random.js';
import type { InputConversion } from './picture-input.js';
import { stratifiedHoldOut } from './split.js';

/** One image file of a folder data set: its path (as shown in messages) and its class number. */
export interface FolderFile {
  path: string;
  label: number;
}

/** The seed of the test split and of the files' order. */
export const TEST_SPLIT_SEED = 20_260_101;

/** The test split of a folder without train/ and test/ when --test-split is not given. */
export const DEFAULT_TEST_SPLIT = 0.2;

/** A one-folder set split into training and test files, stratified, with the fixed seed. */
export function splitTestFiles(files: FolderFile[], fraction: number): { train: FolderFile[]; test: FolderFile[] } {
  const { kept, held } = stratifiedHoldOut(files.map((file) => file.label), fraction, TEST_SPLIT_SEED);
  return { train: Array.from(kept, (k) => files[k]), test: Array.from(held, (k) => files[k]) };
}

/**
 * The files in a shuffled order fixed by their list (the fixed seed): a folder lists class after class,
 * and `--limit N` takes the first N images, which must not all be of the first class.
 */
export function mixedOrder(files: FolderFile[]): FolderFile[] {
  const order = Int32Array.from(files, (_, k) => k);
  new Random(TEST_SPLIT_SEED).shuffle(order);
  return Array.from(order, (k) => files[k]);
}

/** What loading a folder found and did, for the summary line and for a program. */
export interface FolderSummary {
  root: string;
  classNames: string[];
  trainCounts: number[]; // per class
  testCounts: number[];
  validationCounts?: number[];
  testSplit?: number; // the fraction split off when the folder has no test/
  sizes: Map<string, number>; // 'W×H' → images of that size, in the order first seen
  conversion: InputConversion;
  converted: { resized: number; toGrey: number; toColour: number; alpha: number };
  ignored: { hidden: number; other: number };
  skipped: Array<{ file: string; reason: string }>; // --skip-bad: the files that could not be read
}

/** The most classes the summary names one by one. */
const NAMED_CLASSES = 10;

/**
 * One line: `digits: 3 classes (a 40+10, b 40+10, c 38+10 train+test); sizes seen 28×28 ×120, 32×32 ×18;
 * input 1×28×28 grey; converted: 18 resized, 10 colour→grey; ignored 2 hidden, 1 non-image`.
 */
export function formatFolderSummary(summary: FolderSummary): string {
  checkFields('formatFolderSummary', 'summary', summary, 'as loadImageFolder gives it', {
    root: 'string', classNames: 'array', trainCounts: 'array', testCounts: 'array', sizes: 'object', conversion: 'object', converted: 'object', ignored: 'object', skipped: 'array',
  });
  const { classNames, trainCounts, testCounts, validationCounts } = summary;
  const parts = validationCounts ? 'train+val+test' : 'train+test';
  const count = (k: number) => [trainCounts[k], ...(validationCounts ? [validationCounts[k]] : []), testCounts[k]].join('+');
  const named = classNames.slice(0, NAMED_CLASSES).map((name, k) => `${name} ${count(k)}`);
  if (classNames.length > NAMED_CLASSES) named.push(`… ${classNames.length - NAMED_CLASSES} more`);
  const sizes = [...summary.sizes].map(([size, n]) => `${size} ×${n}`).join(', ');
  const { channels, height, width, preprocess } = summary.conversion;
  const input = `input ${channels}×${height}×${width} ${channels === 1 ? 'grey' : 'RGB'}${preprocess === 'mnist' ? ' (MNIST preprocessing: inverted if light, cropped, centred)' : ''}`;
  const { resized, toGrey, toColour, alpha } = summary.converted;
  const steps = [
    resized > 0 ? `${resized} resized (area when shrinking, else bilinear)` : '',
    toGrey > 0 ? `${toGrey} colour→grey` : '',
    toColour > 0 ? `${toColour} grey→RGB` : '',
    alpha > 0 ? `${alpha} with transparency composited on white` : '',
  ].filter((step) => step !== '');
  const { hidden, other } = summary.ignored;
  const ignored = hidden + other > 0 ? `; ignored ${hidden} hidden and ${other} non-image file(s)` : '';
  const split = summary.testSplit === undefined ? '' : `; test split ${summary.testSplit} of each class`;
  const skipped = summary.skipped.length > 0 ? `; skipped ${summary.skipped.length} unreadable` : '';
  return (
    `${summary.root}: ${classNames.length} classes (${named.join(', ')} ${parts}); sizes seen ${sizes}; ${input}; ` +
    `converted: ${steps.length === 0 ? 'nothing' : steps.join(', ')}${ignored}${split}${skipped}`
  );
}
