/**
 * ONNX through the command line and Node's library, as a user runs them (issue 15): `xcnn export` writes
 * the shipped model as ONNX (and back as safetensors), `xcnn evaluate` / `explain` read the .onnx file as
 * they read safetensors and give the same results, loadClassifier takes its path, and the flags and files
 * export cannot use are refused in one line.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadClassifier } from '../src/classifier-node.js';
import { decodeOnnxFile } from '../src/onnx/onnx-file.js';
import { graphBytes, int, node, weights } from './fixtures/onnx-graphs.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';

const { work, xcnn } = cliWorkspace('xcnn-onnx-');
const shipped = join(import.meta.dirname, '..', 'data', 'mnist-small.safetensors');

function evaluation(model: string): { accuracy: number; loss: number } {
  const run = xcnn('evaluate', '--model', model, '--test-limit', '100', '--json', '--backend', 'ts');
  expect(run.status, run.stderr).toBe(0);
  const { accuracy, loss } = JSON.parse(run.stdout) as { accuracy: number; loss: number };
  return { accuracy, loss };
}

describe('xcnn export and ONNX models on the command line', () => {
  it('exports the shipped model to ONNX, which evaluates as the original does (the same logits, so the same loss)', () => {
    const run = xcnn('export', '--model', shipped, '--out', 'out/model.onnx');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/mnist-small\.safetensors → out\/model\.onnx \(onnx, conv\(8,3\) relu maxpool\(2\) conv\(16,3\) relu flatten linear\(32\) relu linear\(10\), [\d,]+ bytes\)/);
    const model = decodeOnnxFile(readFileSync(join(work, 'out', 'model.onnx')), 'model.onnx');
    expect(model.graph?.output?.[0].name).toBe('logits');
    const fromOnnx = evaluation('out/model.onnx');
    const original = evaluation(shipped);
    expect(fromOnnx.accuracy).toBe(original.accuracy);
    expect(fromOnnx.loss).toBe(original.loss);
  });

  it('ends the graph in a Softmax with --softmax', () => {
    expect(xcnn('export', '--model', shipped, '--out', 'probabilities.onnx', '--softmax').status).toBe(0);
    const model = decodeOnnxFile(readFileSync(join(work, 'probabilities.onnx')), 'p.onnx');
    expect(model.graph?.node?.at(-1)?.opType).toBe('Softmax');
    expect(model.graph?.output?.[0].name).toBe('probabilities');
  });

  it('explains an ONNX model, and converts it back to safetensors', () => {
    expect(xcnn('export', '--model', shipped, '--out', 'model.onnx').status).toBe(0);
    const explained = xcnn('explain', '--model', 'model.onnx', '--index', '0,1', '--out', 'explained', '--backend', 'ts');
    expect(explained.status, explained.stderr).toBe(0);
    expect(existsSync(join(work, 'explained', 'explain.json'))).toBe(true);
    const back = xcnn('export', '--model', 'model.onnx', '--format', 'safetensors', '--out', 'back.safetensors');
    expect(back.status, back.stderr).toBe(0);
    expect(evaluation('back.safetensors')).toEqual(evaluation(shipped));
  });

  it('train --init reads an ONNX model too: fine-tuning from it trains exactly as from the safetensors it came from', () => {
    expect(xcnn('export', '--model', shipped, '--out', 'init.onnx').status).toBe(0);
    const tune = (init: string, out: string) => xcnn('train', '--init', init, '--limit', '64', '--test-limit', '64', '--epochs', '1', '--batch', '32', '--backend', 'ts', '--out', out);
    for (const [init, out] of [['init.onnx', 'tuned-onnx'], [shipped, 'tuned-safetensors']]) {
      const run = tune(init, out);
      expect(run.status, run.stderr).toBe(0);
    }
    expect(evaluation('tuned-onnx/model.safetensors')).toEqual(evaluation('tuned-safetensors/model.safetensors'));
  });

  it('loadClassifier reads an .onnx path', async () => {
    expect(xcnn('export', '--model', shipped, '--out', 'lib.onnx').status).toBe(0);
    const classifier = await loadClassifier({ model: join(work, 'lib.onnx'), backend: 'ts' });
    try {
      expect(classifier.info.spec).toBe('conv(8,3) relu maxpool(2) conv(16,3) relu flatten linear(32) relu linear(10)');
      expect(classifier.info.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    } finally {
      await classifier.close();
    }
  });

  it('starts every command without the ONNX reader: protobufjs is loaded only for an ONNX file', () => {
    const main = join(import.meta.dirname, '..', 'dist', 'src', 'cli', 'main.js');
    const program = `import { createRequire } from 'node:module'; await import(${JSON.stringify(main)}); console.log(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('protobufjs')));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
    expect(run.stdout.trim(), run.stderr).toBe('false');
  });

  it('loadClassifier reads a safetensors model without the ONNX reader too (the same lazy step as the commands)', () => {
    const node = join(import.meta.dirname, '..', 'dist', 'src', 'classifier-node.js');
    const model = join(import.meta.dirname, '..', 'data', 'mnist-small.safetensors');
    const program = `import { createRequire } from 'node:module'; const { loadClassifier } = await import(${JSON.stringify(node)}); const classifier = await loadClassifier({ model: ${JSON.stringify(model)}, backend: 'ts' }); await classifier.close(); console.log(Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('protobufjs')));`;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8' });
    expect(run.stdout.trim(), run.stderr).toBe('false');
  });

  it.each([
    ['no --out', ['export'], 2, 'xcnn export needs --out FILE: where to write the model, e.g. --out model.onnx'],
    ['--softmax for safetensors', ['export', '--out', 'm.safetensors', '--format', 'safetensors', '--softmax'], 2, '--softmax applies only to --format onnx (a Softmax node after the logits); a safetensors file holds the weights only: leave --softmax out'],
    ['an --out of the other format', ['export', '--out', 'm.safetensors'], 2, '--out m.safetensors names a .safetensors file, but the format is onnx (the default): give --format safetensors, or an --out ending in .onnx'],
    ['an --out that is a folder', ['export', '--out', '.'], 2, '--out . is a folder: give the file to write, e.g. --out ./model.onnx'],
  ])('refuses %s in one line', (_, args, status, message) => {
    expectOneLineError(xcnn(...(args as string[])), status as number, message as string);
  });

  it('takes --input (without --arch) for an ONNX graph whose height and width are free, and asks for it otherwise', async () => {
    const free = graphBytes({
      inputShape: ['N', 1, 'height', 'width'],
      nodes: [node('Conv', ['input', 'w', 'b'], ['conv']), node('Relu', ['conv'], ['relu']), node('GlobalAveragePool', ['relu'], ['gap']), node('Flatten', ['gap'], ['flat']), node('Gemm', ['flat', 'fc'], ['logits'], [int('transB', 1)])],
      initializers: [weights('w', [3, 1, 3, 3], 1), weights('b', [3], 2), weights('fc', [10, 3], 3)],
    });
    writeFileSync(join(work, 'free.onnx'), free);
    expectOneLineError(xcnn('evaluate', '--model', 'free.onnx', '--test-limit', '20'), 2, "free.onnx: the ONNX graph's input 'input' has a free height ('height'): give the image size with --input CxHxW");
    const run = xcnn('evaluate', '--model', 'free.onnx', '--input', '1x28x28', '--test-limit', '20', '--backend', 'ts');
    expect(run.status, run.stderr).toBe(0);
    const classifier = await loadClassifier({ model: join(work, 'free.onnx'), input: '28x28', backend: 'ts' });
    expect(classifier.info.inputShape).toEqual([1, 28, 28]);
    await classifier.close();
  });

  it('refuses a file named .onnx that is not ONNX, in one line', () => {
    writeFileSync(join(work, 'junk.onnx'), 'hello, world');
    expectOneLineError(xcnn('evaluate', '--model', 'junk.onnx', '--test-limit', '10'), 1, /^error: junk\.onnx: not a valid ONNX file: /);
  });
});
