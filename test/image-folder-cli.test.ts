/**
 * Your own images on the command line: `xcnn train --data DIR` on a generated image folder (its summary
 * line, the class names in the model and the tables), `--val-split`, `xcnn predict` on files and folders
 * in its three forms and with --explain, and every refusal of bad folders and files in one line. Runs the
 * built CLI (npm run build first) on tiny folders written by the tests themselves.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';
import { jpegOf, pngOf, solidRgba, writeTree } from './fixtures/picture-files.js';

const { work, xcnn } = cliWorkspace('xcnn-folder-cli-');
const TINY = ['--arch', 'conv(2,3) relu flatten linear(2)', '--epochs', '1', '--batch', '8', '--backend', 'ts'];

/** A bar across (class 'across') or down (class 'down') an 8 × 8 picture, at offset n: 20 of each, PNG and JPEG mixed. */
function barFolder(root: string): string {
  const files: Record<string, Uint8Array> = {};
  for (const [label, across] of [['across', true], ['down', false]] as const) {
    for (let n = 0; n < 20; n++) {
      const rgba = solidRgba(8, 8, [0, 0, 0, 255]);
      for (let k = 0; k < 8; k++) rgba.set([255, 255, 255, 255], 4 * (across ? (1 + (n % 6)) * 8 + k : k * 8 + 1 + (n % 6)));
      files[`${label}/${String(n).padStart(2, '0')}.${n % 5 === 4 ? 'jpg' : 'png'}`] = n % 5 === 4 ? jpegOf(rgba, 8, 8) : pngOf(rgba, 8, 8, 0);
    }
  }
  return writeTree(join(work, root), files);
}

const bars = barFolder('bars');

describe('xcnn train on an image folder', () => {
  it('prints the summary, trains, and records the class names, which evaluate shows', () => {
    const run = xcnn('train', '--data', bars, ...TINY, '--val-split', '0.25', '--out', 'run');
    expect(run.status, run.stderr).toBe(0);
    // 20 per class: round(0.2 · 20) = 4 tested; of the 16 left, round(0.25 · 16) = 4 for validation, 12 to train.
    expect(run.stdout).toContain(`${bars}: 2 classes (across 12+4+4, down 12+4+4 train+val+test); sizes seen 8×8 ×40; input 1×8×8 grey`);
    expect(run.stdout).toContain('xcnn train: bars, 24 training, 8 validation and 8 test images');
    const evaluation = xcnn('evaluate', '--model', 'run/model.safetensors', '--data', bars, '--backend', 'ts', '--json');
    expect(evaluation.status, evaluation.stderr).toBe(0);
    const json = JSON.parse(evaluation.stdout);
    expect(json.classNames).toEqual(['across', 'down']);
    expect(json.count).toBe(8);
  });

  it('records --test-split in the model, so evaluate tests on the same images training held out', () => {
    const run = xcnn('train', '--data', bars, ...TINY, '--test-split', '0.3', '--out', 'split');
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(xcnn('evaluate', '--model', 'split/model.safetensors', '--data', bars, '--backend', 'ts', '--json').stdout);
    expect(json.count).toBe(12); // round(0.3 · 20) of each class, not the default 0.2's 8
  });

  it('--size and --channels convert every image (the summary says so)', () => {
    const run = xcnn('train', '--data', bars, ...TINY, '--size', '10x12', '--channels', '3', '--print-shapes');
    expect(run.status, run.stderr).toBe(0);
    // The 8 JPEGs are colour files already (YCbCr): the 32 grey PNGs are given three planes.
    expect(run.stdout).toMatch(/input 3×10×12 RGB; converted: 40 resized \(area when shrinking, else bilinear\), 32 grey→RGB/);
  });
});

describe('xcnn predict', () => {
  it('prints a line per picture, CSV and JSON, from files and folders', () => {
    const model = join(work, 'run', 'model.safetensors');
    const text = xcnn('predict', '--model', model, '--backend', 'ts', join(bars, 'across', '00.png'), join(bars, 'down'));
    expect(text.status, text.stderr).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toMatch(/across[\\/]00\.png {2}(across|down) {2}\d+\.\d% {2}\(top 2: (across|down) \d+\.\d%, (across|down) \d+\.\d%\)$/);
    const csv = xcnn('predict', '--model', model, '--backend', 'ts', '--csv', bars).stdout.trim().split('\n');
    expect(csv[0]).toBe('file,class,probability,top1,p1,top2,p2,top3,p3');
    expect(csv).toHaveLength(41);
    for (const row of csv.slice(1)) {
      const [, cls, p, top1, p1, , p2] = row.split(',');
      expect(cls).toBe(top1);
      expect(p).toBe(p1);
      expect(Number(p1) + Number(p2)).toBeCloseTo(1, 5);
    }
    const json = JSON.parse(xcnn('predict', '--model', model, '--backend', 'ts', '--json', join(bars, 'down', '04.jpg')).stdout);
    expect(json.images).toHaveLength(1);
    expect(json.images[0].file).toMatch(/04\.jpg$/);
    expect(json.images[0].top[0].class).toBe(json.images[0].class);
  });

  it('--explain METHOD --out DIR writes a figure per picture, named for the picture and the method', () => {
    const model = join(work, 'run', 'model.safetensors');
    const run = xcnn('predict', '--model', model, '--backend', 'ts', '--explain', 'saliency', '--out', 'figures', join(bars, 'across'));
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(work, 'figures', '00-saliency.png'))).toBe(true);
    expect(existsSync(join(work, 'figures', '04-saliency.png'))).toBe(true);
  });

  it('stops at an unreadable picture naming it; --skip-bad lists it and predicts the rest', () => {
    const folder = writeTree(join(work, 'mixed'), { 'a.png': pngOf(solidRgba(8, 8, [9, 9, 9, 255]), 8, 8), 'b.png': 'not a picture' });
    const model = join(work, 'run', 'model.safetensors');
    expectOneLineError(xcnn('predict', '--model', model, '--backend', 'ts', folder), 1, /mixed[\\/]b\.png: not a PNG or JPEG file/);
    const run = xcnn('predict', '--model', model, '--backend', 'ts', '--skip-bad', folder);
    expect(run.status).toBe(0);
    expect(run.stdout.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/skipped 1 unreadable picture\(s\) \(--skip-bad\):\n {2}.*b\.png: not a PNG or JPEG file/);
    expectOneLineError(xcnn('predict', '--model', model), 2, /give the pictures to predict/);
  });
});

describe('xcnn explain --image with several pictures', () => {
  it('explains files and folders (PNG and JPEG) in one run, a figure each, named by the path under its folder', () => {
    const model = join(work, 'run', 'model.safetensors');
    const run = xcnn('explain', '--model', model, '--backend', 'ts', '--method', 'saliency', '--out', 'explained', '--image', `${join(bars, 'down')},${join(bars, 'across', '04.jpg')}`, '--json');
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout);
    expect(json.count).toBe(21);
    expect(json.images[20].source.file).toMatch(/across[\\/]04\.jpg$/);
    expect(existsSync(join(work, 'explained', 'image-00-saliency.png'))).toBe(true);
    expect(existsSync(join(work, 'explained', 'image-04-2-saliency.png'))).toBe(true); // down/04.jpg was first: the second 04 gets -2
  });
});

describe('bad image folders, in one line each', () => {
  it('refuses an unreadable file naming it (exit 1), and --skip-bad carries on listing it', () => {
    const dir = barFolder('bad-file');
    writeFileSync(join(dir, 'down', '99.png'), 'broken');
    expectOneLineError(xcnn('train', '--data', dir, ...TINY, '--out', 'bad1'), 1, /down[\\/]99\.png: cannot use this image: not a PNG or JPEG file .*--skip-bad/);
    const run = xcnn('train', '--data', dir, ...TINY, '--out', 'bad2', '--skip-bad');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/skipped 1 unreadable file\(s\) \(--skip-bad\):\n {2}.*99\.png: not a PNG or JPEG file/);
    expect(run.stdout).toMatch(/; skipped 1 unreadable/);
  });

  it('refuses an empty class, a single class and a test class the training set lacks (exit 1)', () => {
    const empty = writeTree(join(work, 'empty'), { 'a/1.png': pngOf(solidRgba(4, 4, [0, 0, 0, 255]), 4, 4), 'b/notes.txt': 'x' });
    expectOneLineError(xcnn('train', '--data', empty, ...TINY, '--out', 'e'), 1, /[\\/]b: a class folder with no images/);
    const single = writeTree(join(work, 'single'), { 'a/1.png': pngOf(solidRgba(4, 4, [0, 0, 0, 255]), 4, 4) });
    expectOneLineError(xcnn('train', '--data', single, ...TINY, '--out', 's'), 1, /only one class folder \(a\)/);
    const png = pngOf(solidRgba(4, 4, [0, 0, 0, 255]), 4, 4);
    const extra = writeTree(join(work, 'extra'), { 'train/a/1.png': png, 'train/b/1.png': png, 'test/a/1.png': png, 'test/c/1.png': png });
    expectOneLineError(xcnn('train', '--data', extra, ...TINY, '--out', 'x'), 1, /test[\\/]c: a test class the training set lacks/);
  });

  it('refuses the folder flags with IDX data (exit 2)', () => {
    expectOneLineError(xcnn('train', '--size', '20', '--out', 'i'), 2, '--size applies only to an image-folder --data (DIR/<class>/*.png); MNIST is IDX files (leave --size out)');
  });
});
