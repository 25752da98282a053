/**
 * The `xcnn` command as a user runs it (the built bin/xcnn.js in a child process): help, one-line errors
 * with exit status 2 for usage and 1 for bad data, and a small train → evaluate round trip.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultDataDir } from '../src/data/dataset-files.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';

const { work, xcnn } = cliWorkspace('xcnn-cli-');

describe('xcnn CLI', () => {
  it('prints help for the program and for every command', () => {
    expect(xcnn('--help').stdout).toMatch(/commands:[\s\S]*train[\s\S]*evaluate/);
    const help = xcnn('train', '--help');
    expect(help.status).toBe(0);
    for (const flag of ['--data', '--epochs', '--batch', '--lr', '--seed', '--limit', '--backend', '--out']) expect(help.stdout).toContain(flag);
    expect(xcnn('evaluate', '--help').stdout).toMatch(/--model FILE[\s\S]*--json/);
  });

  it.each([
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['train', '--bogus'], /unknown option '--bogus' \(see xcnn train --help\)/],
    [['train', '--epochs', '0'], /--epochs: '0' is not a whole number from 1 to 10000/],
    [['train', '--lr', 'fast'], /--lr: 'fast' is not a positive number/],
    [['train', '--backend', 'gpu'], /--backend: 'gpu' is not one of wasm, ts/],
    [['train', 'extra'], /unexpected argument 'extra'/],
    [['explain'], /give either --index N\[,N…\] \(test images\) or --image FILE\.png/],
    [['train', '--data', '/no/such/folder'], /no such data folder/],
  ])('refuses %j as a usage error (status 2)', (args, message) => {
    expectOneLineError(xcnn(...(args as string[])), 2, message as RegExp);
  });

  it('refuses bad data with status 1, naming the file', () => {
    expectOneLineError(xcnn('evaluate', '--model', 'missing.safetensors'), 1, /missing\.safetensors: cannot read the model: no such file/);
    writeFileSync(join(work, 'junk.safetensors'), 'not a model');
    expectOneLineError(xcnn('evaluate', '--model', 'junk.safetensors'), 1, /junk\.safetensors: not a valid safetensors file/);
    expectOneLineError(xcnn('train', '--data', work), 1, /missing train-images-idx3-ubyte/);
  });

  it('trains, writes the model and metrics, and evaluates the model with the same accuracy', () => {
    const trained = xcnn('train', '--backend', 'ts', '--widths', '8,16,32', '--limit', '320', '--test-limit', '200', '--epochs', '1', '--out', 'run');
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stdout).toMatch(/epoch 1\/1 +train loss [\d.]+ acc [\d.]+% +test loss [\d.]+ acc [\d.]+%/);
    expect(trained.stdout).toMatch(/precision\s+recall\s+f1-score\s+support/);
    const metrics = JSON.parse(readFileSync(join(work, 'run', 'metrics.json'), 'utf8'));
    expect(metrics.history).toHaveLength(1);
    expect(metrics.settings).toMatchObject({ epochs: 1, batchSize: 64, learningRate: 0.001, seed: 1, limit: 320, testLimit: 200, backend: 'ts' });
    expect(metrics.images).toEqual({ train: 320, test: 200 });

    const evaluated = xcnn('evaluate', '--backend', 'ts', '--model', join('run', 'model.safetensors'), '--test-limit', '200', '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const result = JSON.parse(evaluated.stdout);
    expect(result.accuracy).toBe(metrics.test.accuracy);
    expect(result.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(200);
    expect(result.report.perClass).toHaveLength(10);

    // A folder holding only the test split is enough for a trained model: the training files are not read.
    const testOnly = join(work, 'test-only');
    mkdirSync(testOnly);
    for (const file of ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']) copyFileSync(join(defaultDataDir(), file), join(testOnly, file));
    const fromTestOnly = xcnn('evaluate', '--backend', 'ts', '--model', join('run', 'model.safetensors'), '--data', testOnly, '--test-limit', '200', '--json');
    expect(fromTestOnly.status, fromTestOnly.stderr).toBe(0);
    expect(JSON.parse(fromTestOnly.stdout).accuracy).toBe(metrics.test.accuracy);
  });
});
