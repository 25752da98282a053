/**
 * The data flags of `xcnn train` beyond --data: how an image folder's pictures become the network's
 * input (--channels, --size, --preprocess), its test split (--test-split), bad files (--skip-bad), and the
 * validation split of any training set (--val-split). Loading prints the folder's one-line summary and a
 * progress bar while decoding, on --threads threads (src/data/image-folder-files.ts does the work).
 */
import { existsSync } from 'node:fs';
import { usageError } from '../errors.js';
import { takeFirst, type Dataset } from '../data/dataset.js';
import { formatFolderSummary, type FolderSummary } from '../data/image-folder.js';
import { isImageFolder, loadImageFolder, type ImageFolderOptions } from '../data/image-folder-files.js';
import { MAX_SPLIT, splitValidation } from '../data/split.js';
import type { DataFlags } from '../train/settings.js';
import { given, GIVEN, intFlag, realRange, type Flags, type FlagValues } from './args.js';
import { loadData } from './common.js';
import { ProgressBar } from './progress-bar.js';

/** The flags that apply only to an image folder (refused with IDX data once --data is looked at). */
const FOLDER_ONLY = ['channels', 'size', 'preprocess', 'test-split', 'skip-bad'] as const;

export const imageDataFlags: Flags = {
  channels: {
    type: 'string',
    value: '1|3',
    help: "Image folders: the network's input channels, 1 grey (luminance 0.299 R + 0.587 G + 0.114 B) or 3 RGB; transparency is composited on white.",
    defaultNote: "the first image's",
    choices: ['1', '3'],
  },
  size: {
    type: 'string',
    value: 'H[xW]',
    help: 'Image folders: the input size every image is resized to (area averaging when shrinking, bilinear when enlarging), each side 1 to 4096.',
    defaultNote: "the first image's",
    check: (text) => sizeFlag(text),
  },
  preprocess: {
    type: 'string',
    value: 'none|mnist',
    help: "Image folders: mnist makes photos of digits like MNIST's, as explain --image does: grey, light backgrounds inverted, cropped to the ink, 20×20 centred by mass in 28×28.",
    default: 'none',
    choices: ['none', 'mnist'],
  },
  'test-split': {
    type: 'string',
    value: 'F',
    help: 'Image folders without train/ and test/: the fraction of each class tested on, split with a fixed seed so every run and xcnn evaluate test on the same images.',
    default: '0.2',
    range: realRange(0, MAX_SPLIT, true),
  },
  'val-split': {
    type: 'string',
    value: 'F',
    help: 'The fraction of each training class held out for validation (after --limit), drawn with --seed.',
    range: realRange(0, MAX_SPLIT, true),
  },
  'skip-bad': { type: 'boolean', help: 'Image folders: leave out files that cannot be read or decoded, listing them, instead of stopping at the first.' },
};

/** --size H or HxW: each side a whole number from 1 to 4096. */
export function sizeFlag(text: string): { height: number; width: number } {
  const parts = text.toLowerCase().split('x');
  if (parts.length > 2) throw usageError(`--size: '${text}' is not H or HxW, e.g. 28 or 32x48`);
  const [height, width] = parts.map((part) => intFlag('size', part, 1, 4096));
  return { height, width: width ?? height };
}

/** The data flags as a loader takes them. */
function folderOptions(values: FlagValues): ImageFolderOptions {
  return {
    ...(given(values, 'channels') ? { channels: Number(values.channels) as 1 | 3 } : {}),
    ...(given(values, 'size') ? { size: sizeFlag(String(values.size)) } : {}),
    preprocess: values.preprocess === 'mnist' ? 'mnist' : 'none',
    ...(given(values, 'test-split') ? { testSplit: Number(values['test-split']) } : {}),
    skipBad: values['skip-bad'] === true,
    // Decoding takes --threads as training does (the cores there are when it is left out).
    ...(values.threads === undefined ? {} : { threads: Number(values.threads) }),
  };
}

/**
 * --data for training: an image folder (decoded with a progress bar, its summary printed) or IDX files;
 * then --limit, and --val-split holding part of what is left out for validation. `limit` and `seed` are the
 * run's settings.
 */
export function loadTrainingData(values: FlagValues, limit: number | null, seed: number): Dataset {
  const dir = values.data === undefined ? undefined : String(values.data);
  let dataset: Dataset;
  let summary: FolderSummary | undefined;
  if (dir !== undefined && isImageFolder(dir)) {
    const bar = new ProgressBar();
    const started = performance.now();
    const loaded = loadImageFolder(dir, { ...folderOptions(values), onProgress: (done, total) => bar.update('decoding', done, total, done / Math.max(1e-3, (performance.now() - started) / 1000), '') });
    bar.finish();
    ({ dataset, summary } = loaded);
    if (values['test-limit'] !== undefined) dataset.test = takeFirst(dataset.test, Number(values['test-limit']));
    if (summary.skipped.length > 0) {
      console.error(`skipped ${summary.skipped.length} unreadable file(s) (--skip-bad):`);
      for (const { file, reason } of summary.skipped) console.error(`  ${file}: ${reason}`);
    }
  } else {
    // A missing folder is the data reader's one line; folder flags with IDX files are refused before those are read.
    const folderOnly = FOLDER_ONLY.find((name) => given(values, name));
    if (folderOnly !== undefined && (dir === undefined || existsSync(dir))) throw usageError(`--${folderOnly} applies only to an image-folder --data (DIR/<class>/*.png); ${dir ?? 'MNIST'} is IDX files (leave --${folderOnly} out)`);
    dataset = loadData(values);
  }
  if (limit !== null) dataset.train = takeFirst(dataset.train, limit);
  if (given(values, 'val-split')) {
    const fraction = Number(values['val-split']);
    const split = splitValidation(dataset.train, fraction, seed);
    dataset = { ...dataset, train: split.train, validation: split.validation };
    if (summary !== undefined) summary = { ...summary, trainCounts: countsOf(split.train.labels, summary.classNames.length), validationCounts: countsOf(split.validation.labels, summary.classNames.length) };
    else console.log(`validation: ${split.validation.count} of ${split.train.count + split.validation.count} training images held out (--val-split ${fraction}, each class alike, seed ${seed})`);
  }
  if (summary !== undefined) console.log(formatFolderSummary(summary));
  return dataset;
}

function countsOf(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let n = 0; n < labels.length; n++) counts[labels[n]]++;
  return counts;
}

/**
 * The image-folder flags a run was given, as its model file records them (under `training`): what
 * evaluate, explain and report need to read the folder's test split as training did (the same --test-split,
 * the same --preprocess), and what a reader of the model needs to know of its input.
 */
export function dataRecord(values: FlagValues): DataFlags {
  const record: DataFlags = {};
  if (given(values, 'channels')) record.channels = Number(values.channels) as 1 | 3;
  if (given(values, 'size')) record.size = sizeFlag(String(values.size));
  if (values.preprocess === 'mnist') record.preprocess = 'mnist';
  if (given(values, 'test-split')) record.testSplit = Number(values['test-split']);
  if (given(values, 'val-split')) record.valSplit = Number(values['val-split']);
  if (values['skip-bad'] === true) record.skipBad = true;
  return record;
}

/** The flag values a run's recorded data flags stand for (dataRecord's inverse): what --resume reads its data with. */
export function dataFlagValues(flags: DataFlags = {}): FlagValues {
  const values: FlagValues = {};
  if (flags.channels !== undefined) values.channels = flags.channels;
  if (flags.size !== undefined) values.size = `${flags.size.height}x${flags.size.width}`;
  if (flags.preprocess !== undefined) values.preprocess = flags.preprocess;
  if (flags.testSplit !== undefined) values['test-split'] = flags.testSplit;
  if (flags.valSplit !== undefined) values['val-split'] = flags.valSplit;
  if (flags.skipBad === true) values['skip-bad'] = true;
  values[GIVEN] = new Set(Object.keys(values));
  return values;
}
