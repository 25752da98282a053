/**
 * The small pretrained model that ships in data/ (made by `npm run pretrained`), and the `--widths` flag
 * that made it: the file is a few hundred KB, says how it was trained, reaches its recorded accuracy on
 * MNIST's test images, and `xcnn explain`, `evaluate`, `report`, `faithfulness` and `serve` use it when no
 * --model is given, saying so in one line on stderr.
 */
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { evaluate } from '../src/eval/evaluate.js';
import { loadModel, shippedModelPath } from '../src/model/model-io.js';
import { paperSpec } from '../src/model/spec.js';
import { cliWorkspace } from './fixtures/cli.js';

const { work, xcnn } = cliWorkspace('xcnn-pretrained-');
/** What a command says when it defaults to the shipped model (run outside the package, it names the file's full path). */
const notice = `using the shipped model ${shippedModelPath()} (pass --model to use yours)`;

describe('the shipped pretrained model (data/mnist-small.safetensors)', () => {
  const { network, info } = loadModel(shippedModelPath(), new ReferenceBackend());

  it('is the paper network at widths 8,16,32, a few hundred KB', () => {
    expect(network.spec).toBe(paperSpec(10, { conv1Channels: 8, conv2Channels: 16, hidden: 32 }));
    const bytes = statSync(shippedModelPath()).size;
    console.log(`data/mnist-small.safetensors: ${bytes} bytes`);
    expect(bytes).toBeGreaterThan(100_000);
    expect(bytes).toBeLessThan(400_000);
  });

  it('records the command that made it and a test accuracy of at least 98.5 %', () => {
    expect(info.training).toMatchObject({ arch: 'conv(8,3) relu maxpool(2) conv(16,3) relu flatten linear(32) relu linear(10)', epochs: 6, seed: 1, threads: 2, limit: null, data: null });
    expect((info.metrics as { testAccuracy: number }).testAccuracy).toBeGreaterThanOrEqual(0.985);
  });

  it('classifies the 10,000 MNIST test images with the recorded accuracy', async () => {
    const loaded = loadModel(shippedModelPath(), await createWasmBackend({ build: 'simd' }));
    const evaluation = evaluate(loaded.network, loadDataset().test, info.classNames);
    const recorded = (info.metrics as { testAccuracy: number }).testAccuracy;
    console.log(`test accuracy ${(100 * evaluation.accuracy).toFixed(2)}% (recorded when trained: ${(100 * recorded).toFixed(2)}%)`);
    expect(Math.abs(evaluation.accuracy - recorded)).toBeLessThanOrEqual(0.0002); // two images at most: another batching may round differently
  });

  it('is what `xcnn explain` uses when no --model is given', () => {
    const explained = xcnn('explain', '--index', '0', '--figures', '0', '--json', '--backend', 'ts');
    expect(explained.status, explained.stderr).toBe(0);
    const json = JSON.parse(explained.stdout);
    expect(json.model).toBe(shippedModelPath());
    expect(json.images[0].predicted).toBe(json.images[0].label);
    expect(explained.stderr.trim()).toBe(notice);
  });

  it('is what evaluate and faithfulness use when no --model is given, and they say so', () => {
    const evaluated = xcnn('evaluate', '--test-limit', '50', '--json', '--backend', 'ts');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    expect(JSON.parse(evaluated.stdout).model).toBe(shippedModelPath());
    expect(evaluated.stderr.trim()).toBe(notice);
    const measured = xcnn('faithfulness', '--methods', 'grad-cam', '--n', '2', '--sanity', '1', '--steps', '4', '--figure-rows', '1', '--out', 'faith', '--json');
    expect(measured.status, measured.stderr).toBe(0);
    expect(JSON.parse(measured.stdout).model).toBe(shippedModelPath());
    expect(measured.stderr.split('\n')[0]).toBe(notice); // then the progress bars
  });

  it('is what serve starts the page with when no --model is given, said once the server is up', async () => {
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'xcnn.js'), 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'], cwd: work });
    let [stdout, stderr] = ['', ''];
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    await new Promise<void>((done, fail) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk;
        if (stdout.includes('the page is at')) done();
      });
      child.once('exit', (code) => fail(new Error(`xcnn serve exited with ${code}: ${stderr}`)));
    });
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGINT');
    await exited;
    expect(stderr.trim()).toBe(notice);
  });
});

describe('xcnn train --widths', () => {
  it('trains the paper network at the given widths and saves them with the settings', () => {
    const trained = xcnn('train', '--widths', '3,5,7', '--backend', 'ts', '--limit', '64', '--test-limit', '32', '--epochs', '1', '--out', 'narrow');
    expect(trained.status, trained.stderr).toBe(0);
    expect(trained.stdout).toContain('arch conv(3,3) relu maxpool(2) conv(5,3) relu flatten linear(7) relu linear(10)');
    const { network, info } = loadModel(join(work, 'narrow', 'model.safetensors'), new ReferenceBackend());
    expect(network.spec).toBe(paperSpec(10, { conv1Channels: 3, conv2Channels: 5, hidden: 7 }));
    expect(network.parameter('fc1.weight').shape).toEqual([7, 5 * 11 * 11]);
    expect(info.training).toMatchObject({ arch: 'conv(3,3) relu maxpool(2) conv(5,3) relu flatten linear(7) relu linear(10)' });
    expect(JSON.parse(readFileSync(join(work, 'narrow', 'metrics.json'), 'utf8')).settings.arch).toBe('conv(3,3) relu maxpool(2) conv(5,3) relu flatten linear(7) relu linear(10)');
  });

  it.each([['8,16'], ['8,0,32'], ['a,b,c']])('refuses --widths %s as a usage error', (widths) => {
    const refused = xcnn('train', '--widths', widths);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^error: --widths: /);
  });
});
