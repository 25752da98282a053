/**
 * The report: a self-contained HTML page (every figure a data URI, nothing fetched) with the paper's
 * table, figures and Grad-CAM galleries; how it picks the images it shows; and `xcnn report` as a user
 * runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { correctByClass, misclassifiedByConfidence, mistakeCaption, trainingHistory } from '../src/cli/report-command.js';
import type { Predictions } from '../src/eval/predict.js';
import { classificationReport } from '../src/eval/metrics.js';
import { saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Raster } from '../src/render/raster.js';
import { encodePng } from '../src/render/png.js';
import { escapeHtml, reportHtml, type ReportContent } from '../src/report/report-html.js';

const png = encodePng(new Raster(2, 2));
const history = [
  { epoch: 1, trainLoss: 0.2, trainAccuracy: 0.94, testLoss: 0.06, testAccuracy: 0.981, seconds: 50 },
  { epoch: 2, trainLoss: 0.05, trainAccuracy: 0.985, testLoss: 0.04, testAccuracy: 0.987, seconds: 50 },
];

function content(overrides: Partial<ReportContent> = {}): ReportContent {
  const confusion = [[9, 1], [2, 8]];
  return {
    modelPath: 'runs/latest/model.safetensors',
    dataset: 'mnist',
    imageCount: 20,
    accuracy: 0.85,
    loss: 0.4,
    report: classificationReport(confusion, ['0', '1']),
    backend: 'ts',
    colormap: 'jet',
    explainedLayer: 'relu2, 64 × 11 × 11',
    curves: { png, alt: 'curves' },
    confusion: { png, alt: 'confusion' },
    classGallery: { png, alt: 'gallery' },
    galleryPerClass: 8,
    misclassified: { png, alt: 'mistakes' },
    misclassifiedShown: 3,
    misclassifiedTotal: 3,
    ...overrides,
  };
}

/** Every URL-bearing attribute and CSS url() of a page. */
function references(html: string): string[] {
  return [...html.matchAll(/\b(?:src|href|srcset|poster|data)\s*=\s*"([^"]*)"/g), ...html.matchAll(/url\(([^)]*)\)/g)].map((m) => m[1]);
}

describe('report page', () => {
  it('is self-contained: every figure is a PNG data URI and nothing else is referenced', () => {
    const html = reportHtml(content());
    const refs = references(html);
    expect(refs).toHaveLength(4); // curves, confusion, gallery, mistakes
    for (const ref of refs) expect(ref).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    expect(html).not.toMatch(/<script|<link|<iframe|@import|https?:/i);
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
  });

  it("has the paper's classification report: four decimals, support, accuracy and both averages", () => {
    const html = reportHtml(content());
    // Class 0: precision 9/11, recall 9/10; class 1: precision 8/9, recall 8/10.
    expect(html).toContain('<tr><th scope="row">0</th><td>0.8182</td><td>0.9000</td><td>0.8571</td><td>10</td></tr>');
    expect(html).toMatch(/accuracy<\/th><td><\/td><td><\/td><td>0\.8500<\/td><td>20<\/td>/);
    expect(html).toContain('macro avg');
    expect(html).toContain('weighted avg');
    expect(html).toContain('85.00%');
  });

  it('says so when there is no training history, or when nothing was misclassified', () => {
    const html = reportHtml(content({ curves: undefined, misclassifiedTotal: 0, misclassifiedShown: 0 }));
    expect(html).toContain('records no training history');
    expect(html).toContain('classified every test image correctly');
    expect(references(html)).toHaveLength(2);
  });

  it('escapes what it did not write itself', () => {
    expect(escapeHtml(`<img src=x onerror="a">&'`)).toBe('&lt;img src=x onerror=&quot;a&quot;&gt;&amp;&#39;');
    const html = reportHtml(content({ modelPath: 'runs/<b>evil</b>.safetensors', training: { note: '<script>' } }));
    expect(html).not.toContain('<b>evil</b>');
    expect(html).not.toMatch(/<script/i);
  });
});

describe('choosing the images to show', () => {
  // Ten images of 3 classes: labels, predictions and the predicted class's probability.
  const labels = [0, 0, 0, 1, 1, 2, 2, 2, 1, 0];
  const predicted = [0, 1, 0, 1, 1, 2, 0, 2, 2, 0];
  const confidence = [0.9, 0.8, 0.7, 0.99, 0.6, 0.95, 0.55, 0.9, 0.97, 0.5];
  const probabilities = new Float32Array(30);
  predicted.forEach((p, n) => (probabilities[n * 3 + p] = confidence[n]));
  const predictions: Predictions = { labels: Uint8Array.from(labels), predicted: Uint8Array.from(predicted), probabilities, loss: 0, accuracy: 0.7 };

  it('shows the first correct predictions of each class, up to the number asked for', () => {
    expect(correctByClass(predictions, 3, 2)).toEqual([[0, 2], [3, 4], [5, 7]]);
    expect(correctByClass(predictions, 3, 1)).toEqual([[0], [3], [5]]);
  });

  it('shows the misclassified images most confident first', () => {
    expect(misclassifiedByConfidence(predictions, 3)).toEqual([8, 1, 6]); // 0.97, 0.8, 0.55
  });

  it('labels a mistake true→predicted with the probability, never rounding a doubt up to 100%', () => {
    expect(mistakeCaption('4', '9', 0.87)).toBe('4→9 87%');
    expect(mistakeCaption('3', '5', 0.998)).toBe('3→5 >99%');
    expect(mistakeCaption('3', '5', 1)).toBe('3→5 100%');
  });

  it("reads the training history from the model's metadata, else from metrics.json beside the model", () => {
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-history-'));
    const model = join(dir, 'model.safetensors');
    expect(trainingHistory({ history }, model)).toEqual(history);
    expect(trainingHistory(undefined, model)).toBeUndefined();
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ history }));
    expect(trainingHistory({}, model)).toEqual(history);
    writeFileSync(join(dir, 'metrics.json'), '{ not json');
    expect(trainingHistory({ history: [{ epoch: 1 }] }, model)).toBeUndefined();
  });
});

describe('xcnn report (CLI)', () => {
  const bin = join(import.meta.dirname, '..', 'bin', 'xcnn.js');
  const work = mkdtempSync(join(tmpdir(), 'xcnn-report-'));
  const xcnn = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', cwd: work });
  mkdirSync(join(work, 'run'));
  const network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 4, conv2Channels: 6, hidden: 16 });
  network.initialize(new Random(2));
  const classNames = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
  saveModel(join(work, 'run', 'model.safetensors'), network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames, metrics: { history, testAccuracy: 0.987 } });

  it('writes one self-contained report.html beside the model and prints its path', () => {
    const run = xcnn('report', '--backend', 'ts', '--model', join('run', 'model.safetensors'), '--test-limit', '60', '--per-class', '3', '--mistakes', '12');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim()).toBe(join('run', 'report.html'));
    const html = readFileSync(join(work, 'run', 'report.html'), 'utf8');
    const figures = references(html);
    expect(figures).toHaveLength(6); // the history gives curves; an untrained model gets plenty wrong; class means, confusion cells
    for (const ref of figures) {
      expect(ref).toMatch(/^data:image\/png;base64,/);
      const image = PNG.sync.read(Buffer.from(ref.split(',')[1], 'base64'));
      expect(image.width).toBeGreaterThan(100);
    }
    expect(html).toMatch(/Test accuracy <strong>[\d.]+%<\/strong> on 60 mnist test images/);
    expect(html).toContain('precision');
    expect(html).toMatch(/most confident of the \d+ misclassified|All \d+ misclassified/);
  });

  it('writes into --out when given', () => {
    const run = xcnn('report', '--backend', 'ts', '--model', join('run', 'model.safetensors'), '--test-limit', '30', '--out', 'elsewhere', '--colormap', 'viridis');
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(join(work, 'elsewhere', 'report.html'))).toBe(true);
    expect(existsSync(join(work, 'elsewhere', 'confusion.png'))).toBe(false);
  });

  it('also writes each figure as a PNG with --png, and prints every file it wrote', () => {
    const run = xcnn('report', '--backend', 'ts', '--model', join('run', 'model.safetensors'), '--test-limit', '30', '--out', 'figures', '--png');
    expect(run.status, run.stderr).toBe(0);
    const names = ['curves', 'confusion', 'correct', 'misclassified', 'class-means', 'confusion-cells'];
    expect(run.stdout.trim().split('\n')).toEqual([join('figures', 'report.html'), ...names.map((name) => join('figures', `${name}.png`))]);
    for (const name of names) {
      expect(readFileSync(join(work, 'figures', `${name}.png`)).subarray(1, 4).toString(), name).toBe('PNG');
    }
  });

  it('reports on the shipped model when --model is left out, saying so, into runs/report', () => {
    const run = xcnn('report', '--backend', 'ts', '--test-limit', '20', '--class-images', '2', '--cells', '1');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.trim()).toBe(`using the shipped model ${join(import.meta.dirname, '..', 'data', 'mnist-small.safetensors')} (pass --model to use yours)`);
    expect(run.stdout.trim()).toBe(join('runs', 'report', 'report.html'));
  });

  it('refuses a missing model file or a bad flag with one line', () => {
    const missing = xcnn('report', '--model', 'nope.safetensors');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^error: nope\.safetensors: cannot read the model: no such file/);
    const badColormap = xcnn('report', '--model', join('run', 'model.safetensors'), '--colormap', 'hot');
    expect(badColormap.status).toBe(2);
    expect(badColormap.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('documents its flags in --help', () => {
    const help = xcnn('report', '--help').stdout;
    for (const flag of ['--model', '--out', '--data', '--backend', '--colormap', '--test-limit']) expect(help).toContain(flag);
    expect(xcnn('--help').stdout).toMatch(/explain[\s\S]*report/);
  });
});
