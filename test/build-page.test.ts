/**
 * `xcnn build-page --out DIR` (src/cli/build-page-command.ts, src/serve/static-page.ts): the page as static
 * files — the files `xcnn serve` sends, by URL path, with each data set cut to its first images as plain IDX
 * files — and its refusals, each one line before anything is written. test/studio.test.ts opens such a
 * folder in Chromium from a plain static server.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../src/data/dataset-files.js';
import { parseIdx } from '../src/data/idx.js';
import { readIdxFile } from '../src/data/idx-files.js';
import { shippedModelPath } from '../src/model/model-io.js';
import { pageFiles } from '../src/serve/page-files.js';
import { encodeIdx } from '../src/serve/static-page.js';
import { packageRoot } from '../src/files/package-root.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';

describe('encodeIdx', () => {
  it('writes the IDX layout: two zero bytes, type 0x08, the rank, each dimension big-endian, the bytes', () => {
    expect(Array.from(encodeIdx([2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6])))).toEqual([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6]);
    const parsed = parseIdx(encodeIdx([1, 2, 2], Uint8Array.from([9, 8, 7, 6])), 'round trip');
    expect(parsed.dims).toEqual([1, 2, 2]);
    expect(Array.from(parsed.data)).toEqual([9, 8, 7, 6]);
  });
});

describe('xcnn build-page', () => {
  const { work, xcnn } = cliWorkspace('xcnn-build-page-');

  it('writes the page, its modules, the kernels, the model and the first images of each data set', () => {
    const run = xcnn('build-page', '--out', 'site', '--train-images', '300', '--test-images', '100');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr.trim()).toMatch(/^using the shipped model \S*data\/mnist-small\.safetensors \(pass --model to use yours\)$/);
    expect(run.stdout).toMatch(/^xcnn build-page: wrote the page to site \(\d+ files, [\d.]+ MB; model mnist-small\.safetensors\); serve it with any static file server, e\.g\. python3 -m http\.server -d site\n$/);
    const site = join(work, 'site');
    // Every file `xcnn serve` allows, at its URL path ('/' as index.html).
    for (const urlPath of pageFiles(packageRoot()).keys()) expect(existsSync(join(site, urlPath === '/' ? 'index.html' : urlPath.slice(1))), urlPath).toBe(true);
    expect(readFileSync(join(site, 'model.safetensors')).equals(readFileSync(shippedModelPath()))).toBe(true);
    const manifest = JSON.parse(readFileSync(join(site, 'data', 'datasets.json'), 'utf8'));
    const mnist = manifest.datasets.find((d: { name: string }) => d.name === 'mnist');
    expect(mnist.files).toEqual({ trainImages: 'data/mnist/train-images-idx3-ubyte', trainLabels: 'data/mnist/train-labels-idx1-ubyte', testImages: 'data/mnist/t10k-images-idx3-ubyte', testLabels: 'data/mnist/t10k-labels-idx1-ubyte' });
    // The subset is MNIST's first images and labels, byte for byte.
    const original = readIdxFile(join(defaultDataDir(), 'train-images-idx3-ubyte'));
    const subset = readIdxFile(join(site, mnist.files.trainImages));
    expect(subset.dims).toEqual([300, 28, 28]);
    expect(Buffer.from(subset.data as Uint8Array).equals(Buffer.from((original.data as Uint8Array).subarray(0, 300 * 784)))).toBe(true);
    expect(readIdxFile(join(site, mnist.files.testLabels)).dims).toEqual([100]);
    expect(readdirSync(join(site, 'dist', 'src')).some((name) => name === 'cli')).toBe(false); // the browser's modules only
  });

  it('leaves the data sets out with --train-images 0', () => {
    expect(xcnn('build-page', '--out', 'bare', '--train-images', '0').status).toBe(0);
    expect(JSON.parse(readFileSync(join(work, 'bare', 'data', 'datasets.json'), 'utf8'))).toEqual({ datasets: [] });
    expect(existsSync(join(work, 'bare', 'data', 'mnist'))).toBe(false);
  });

  it('refuses, in one line and before writing anything, a missing or unusable --out, a bad count and a file that is not a model', () => {
    writeFileSync(join(work, 'a-file'), 'x');
    writeFileSync(join(work, 'junk.safetensors'), 'not a model at all');
    expectOneLineError(xcnn('build-page'), 2, 'xcnn build-page needs --out DIR: the folder to write the page into, e.g. --out page');
    expectOneLineError(xcnn('build-page', '--out', 'a-file'), 2, '--out a-file: is a file, not a folder; give a folder (created if missing)');
    expectOneLineError(xcnn('build-page', '--out', 'x', '--train-images=-1'), 2, /^error: (xcnn build-page: )?--train-images.*0 to 60000/);
    expectOneLineError(xcnn('build-page', '--out', 'x', '--test-images', '0'), 2, /^error: (xcnn build-page: )?--test-images.*1 to 10000/);
    expectOneLineError(xcnn('build-page', '--out', 'never', '--model', 'junk.safetensors'), 1, /^error: junk\.safetensors: /);
    expectOneLineError(xcnn('build-page', '--out', 'x', '--port', '80'), 2, /^error: .*--port/);
    expect(existsSync(join(work, 'never'))).toBe(false);
    expect(existsSync(join(work, 'x'))).toBe(false);
  });
});
