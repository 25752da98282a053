/**
 * The one-line summary of a loaded image folder (formatFolderSummary), on summaries written out by hand:
 * every part of the line, each present only when there is something to say.
 */
import { describe, expect, it } from 'vitest';
import { formatFolderSummary, type FolderSummary } from '../src/data/image-folder.js';

const plain: FolderSummary = {
  root: 'digits',
  classNames: ['a', 'b'],
  trainCounts: [40, 38],
  testCounts: [10, 9],
  sizes: new Map([['28×28', 97]]),
  conversion: { channels: 1, height: 28, width: 28, preprocess: 'none' },
  converted: { resized: 0, toGrey: 0, toColour: 0, alpha: 0 },
  ignored: { hidden: 0, other: 0 },
  skipped: [],
};

describe('the summary line of an image folder', () => {
  it('says the classes with their counts, the sizes seen and the input, and that nothing was converted', () => {
    expect(formatFolderSummary(plain)).toBe('digits: 2 classes (a 40+10, b 38+9 train+test); sizes seen 28×28 ×97; input 1×28×28 grey; converted: nothing');
  });

  it('adds each conversion, the ignored files, the test split and the skipped files, in that order', () => {
    const summary: FolderSummary = {
      ...plain,
      validationCounts: [5, 4],
      sizes: new Map([['32×32', 60], ['28×28', 37]]),
      conversion: { channels: 3, height: 28, width: 28, preprocess: 'none' },
      converted: { resized: 60, toGrey: 2, toColour: 3, alpha: 4 },
      ignored: { hidden: 1, other: 2 },
      testSplit: 0.2,
      skipped: [{ file: 'digits/a/x.png', reason: 'broken' }],
    };
    expect(formatFolderSummary(summary)).toBe(
      'digits: 2 classes (a 40+5+10, b 38+4+9 train+val+test); sizes seen 32×32 ×60, 28×28 ×37; input 3×28×28 RGB; ' +
        'converted: 60 resized (area when shrinking, else bilinear), 2 colour→grey, 3 grey→RGB, 4 with transparency composited on white; ' +
        'ignored 1 hidden and 2 non-image file(s); test split 0.2 of each class; skipped 1 unreadable',
    );
  });

  it('says ignored files when only hidden or only other files were ignored', () => {
    expect(formatFolderSummary({ ...plain, ignored: { hidden: 3, other: 0 } })).toMatch(/; ignored 3 hidden and 0 non-image file\(s\)$/);
    expect(formatFolderSummary({ ...plain, ignored: { hidden: 0, other: 1 } })).toMatch(/; ignored 0 hidden and 1 non-image file\(s\)$/);
  });

  it('names MNIST preprocessing, and the first ten classes of more', () => {
    const names = Array.from({ length: 12 }, (_, k) => `c${k}`);
    const summary: FolderSummary = { ...plain, classNames: names, trainCounts: names.map(() => 2), testCounts: names.map(() => 1), conversion: { channels: 1, height: 28, width: 28, preprocess: 'mnist' } };
    expect(formatFolderSummary(summary)).toBe(
      `digits: 12 classes (${names.slice(0, 10).map((n) => `${n} 2+1`).join(', ')}, … 2 more train+test); sizes seen 28×28 ×97; ` +
        'input 1×28×28 grey (MNIST preprocessing: inverted if light, cropped, centred); converted: nothing',
    );
    const ten = names.slice(0, 10);
    expect(formatFolderSummary({ ...summary, classNames: ten })).not.toContain('more');
  });
});
