/**
 * Any class count works in every command (issue 16): a 350-class model (its labels in a 16-bit IDX file) and a
 * two-class one go through evaluate, explain, report --png and faithfulness. Nothing crashes; the terminal's
 * confusion matrix becomes its largest confusions beyond 20 classes; figures with a row or column per class
 * shrink as the classes grow and are left out, saying so, beyond their limit; JSON stays complete. A data
 * folder's name never decides its class count: a folder `fashion-emnist` of 26 classes trains and evaluates
 * with classes 0 to 25. `--index all` streams explain.json, which must be whole, valid JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../src/files/safetensors.js';
import { cliWorkspace } from './fixtures/cli.js';
import { dimAndBrightSplit, FLAT_SIZE, randomSplit, saveFlatModel, saveSeededModel, writeDataFolder } from './fixtures/class-count-data.js';

const { work, xcnn } = cliWorkspace('xcnn-classes-');

/** The off-diagonal cells of a confusion matrix holding images, largest first (ties by true, then predicted class). */
function confusions(matrix: number[][]): Array<[number, number, number]> {
  const cells: Array<[number, number, number]> = [];
  matrix.forEach((row, t) => row.forEach((count, p) => t !== p && count > 0 && cells.push([t, p, count])));
  return cells.sort((a, b) => b[2] - a[2] || a[0] - b[0] || a[1] - b[1]);
}

function pngSize(path: string): [number, number] {
  const png = PNG.sync.read(readFileSync(path));
  return [png.width, png.height];
}

describe('350 classes', () => {
  const size = 12;
  writeDataFolder(join(work, 'c350'), randomSplit(350, 1, size, 1), randomSplit(350, 2, size, 2), size, 350);
  saveSeededModel(join(work, 'c350.safetensors'), 'conv(4,3) relu maxpool(2) flatten linear(350)', size, 350);
  const common = ['--model', 'c350.safetensors', '--data', 'c350'];

  it('evaluate: the whole matrix in --json, and in the terminal the 20 largest confusions instead of a 350-column table', () => {
    const json = xcnn('evaluate', ...common, '--json');
    expect(json.status, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result.confusion).toHaveLength(350);
    expect(result.confusion.every((row: number[]) => row.length === 350)).toBe(true);
    expect(result.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(700);
    expect(result.report.perClass).toHaveLength(350);

    const text = xcnn('evaluate', ...common);
    expect(text.status, text.stderr).toBe(0);
    const cells = confusions(result.confusion);
    const lines = text.stdout.trim().split('\n');
    const heading = lines.findIndex((line) => line.startsWith('confusion matrix: 350 classes, too many for a table (more than 20); '));
    expect(heading, text.stdout).toBeGreaterThan(0);
    expect(lines[heading]).toContain(`the 20 largest of the ${cells.length} confusions, true → predicted: images. The whole matrix is in the JSON`);
    const listed = lines.slice(heading + 1).map((line) => line.trim().split(/\s+/));
    expect(listed.map(([t, , p, count]) => [Number(t), Number(p), Number(count)])).toEqual(cells.slice(0, 20));
    expect(text.stdout).not.toContain('true ↓ / predicted →');
  });

  it('explain: 350 probabilities an image; --index all streams a whole, valid explain.json, the same as --json prints', () => {
    const run = xcnn('explain', ...common, '--index', 'all', '--figures', '2', '--out', 'ex350', '--json');
    expect(run.status, run.stderr).toBe(0);
    const file = readFileSync(join(work, 'ex350', 'explain.json'), 'utf8');
    expect(run.stdout).toBe(file);
    const json = JSON.parse(file);
    expect(json).toMatchObject({ model: 'c350.safetensors', method: 'grad-cam', layer: 'relu1', count: 700 });
    expect(json.images).toHaveLength(700);
    expect(json.images.map((image: { source: { testIndex: number } }) => image.source.testIndex)).toEqual(Array.from({ length: 700 }, (_, n) => n));
    expect(json.images[699].label).toBe(349);
    for (const image of [json.images[0], json.images[699]]) {
      expect(image.probabilities).toHaveLength(350);
      expect(image.predicted).toBeGreaterThanOrEqual(0);
      expect(image.predicted).toBeLessThan(350);
    }
    expect(pngSize(join(work, 'ex350', 'test-1-grad-cam.png'))[0]).toBeGreaterThan(100);
  });

  it('report --png: a scaled confusion matrix, the per-class galleries left out with one line saying so, and the files listed', () => {
    const run = xcnn('report', ...common, '--png', '--out', 'rep350', '--cells', '4');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.trim()).toBe('xcnn report: 350 classes: left out the gallery of correct predictions and the class means (drawn for up to 100 classes); report.html says so');
    const written = ['report.html', 'confusion.png', 'misclassified.png', 'confusion-cells.png'].map((name) => join('rep350', name));
    expect(run.stdout.trim().split('\n')).toEqual(written);
    const html = readFileSync(join(work, 'rep350', 'report.html'), 'utf8');
    expect(html).toContain('The gallery of correct predictions (a row per class) is drawn for up to 100 classes; this model has 350, so it is left out here.');
    expect(html).toContain('The figure of class means (a column per class) is drawn for up to 100 classes; this model has 350, so it is left out here.');
    // 350 cells of 2 pixels: the grid is 700 pixels, the figure not much more.
    const [width, height] = pngSize(join(work, 'rep350', 'confusion.png'));
    expect(width).toBeGreaterThan(700);
    expect(width).toBeLessThan(1000);
    expect(height).toBeLessThan(1000);
  });

  it('faithfulness: every method measured, the JSON complete', () => {
    const run = xcnn('faithfulness', ...common, '--n', '4', '--sanity', '2', '--steps', '4', '--out', 'f350', '--json');
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).methods).toHaveLength(16);
  });
});

describe('2 classes', () => {
  // The two-class model of fixtures/class-count-data.ts: dim images are class 0, bright ones class 1.
  const split = dimAndBrightSplit([0, 0, 0, 0, 0, 0, 1], [1, 1, 1, 1, 1, 0], 3);
  writeDataFolder(join(work, 'c2'), split, split, FLAT_SIZE, 2);
  saveFlatModel(join(work, 'c2.safetensors'));
  const common = ['--model', 'c2.safetensors', '--data', 'c2'];

  it('evaluate prints the 2 × 2 matrix with its class names apart', () => {
    const run = xcnn('evaluate', ...common);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    const top = lines.indexOf('true ↓ / predicted →');
    expect(lines.slice(top + 1).map((line) => line.trim().split(/\s+/))).toEqual([['dim', 'bright'], ['dim', '6', '1'], ['bright', '1', '5']]);
  });

  it('explain, report --png and faithfulness run and draw every figure', () => {
    const explained = xcnn('explain', ...common, '--index', '0-12', '--out', 'ex2', '--json', '--figures', '1');
    expect(explained.status, explained.stderr).toBe(0);
    expect(JSON.parse(explained.stdout).images[0].probabilities).toHaveLength(2);
    const report = xcnn('report', ...common, '--png', '--out', 'rep2', '--class-images', '3');
    expect(report.status, report.stderr).toBe(0);
    expect(report.stderr).toBe('');
    const names = ['confusion', 'correct', 'misclassified', 'class-means', 'confusion-cells'];
    expect(report.stdout.trim().split('\n')).toEqual([join('rep2', 'report.html'), ...names.map((name) => join('rep2', `${name}.png`))]);
    for (const name of names) expect(pngSize(join(work, 'rep2', `${name}.png`))[0], name).toBeGreaterThan(100);
    const faithfulness = xcnn('faithfulness', ...common, '--n', '4', '--sanity', '2', '--steps', '4', '--out', 'f2', '--json');
    expect(faithfulness.status, faithfulness.stderr).toBe(0);
    expect(JSON.parse(faithfulness.stdout).methods).toHaveLength(16);
  });
});

describe('a data folder named fashion-emnist holding 26 classes', () => {
  const size = 12;
  writeDataFolder(join(work, 'fashion-emnist'), randomSplit(26, 3, size, 4), randomSplit(26, 1, size, 5), size, 26);

  it('trains a 26-class model named 0 to 25 (not Fashion-MNIST\'s ten), which evaluate reads back', () => {
    const trained = xcnn('train', '--data', 'fashion-emnist', '--arch', 'conv(4,3) relu maxpool(2) flatten linear(26)', '--epochs', '1', '--batch', '16', '--backend', 'ts', '--out', 'emnist-run');
    expect(trained.status, trained.stderr).toBe(0);
    const metadata = decodeSafetensors(readFileSync(join(work, 'emnist-run', 'model.safetensors')), 'model').metadata;
    expect(JSON.parse(metadata.geometry).classes).toBe(26);
    expect(JSON.parse(metadata.class_names)).toEqual(Array.from({ length: 26 }, (_, k) => String(k)));
    expect(metadata.dataset).toBe('fashion-emnist');
    const evaluated = xcnn('evaluate', '--model', join('emnist-run', 'model.safetensors'), '--data', 'fashion-emnist', '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout)).toMatchObject({ dataset: 'fashion-emnist', count: 26 });
    expect(JSON.parse(evaluated.stdout).classNames).toHaveLength(26);
  });
});
