/**
 * The README's library examples, run as written: every ```js block of its "## Use it in your program" and
 * "## Library" sections is one of the files in examples/ (it names the file on its first line) and must be
 * that file word for word; the Node ones (examples/*.mjs) are then copied into a fresh folder where `xcnn`
 * is installed (node_modules/xcnn → this package, as `npm install` would leave it) and run with node in the
 * README's order. The browser example (examples/browser/) is bundled and run in Chromium by
 * test/bundler.test.ts. Run after a build.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { decodeModel } from '../src/model/model-file.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The js blocks of the README section `heading`, each with the example file it names. */
function sectionBlocks(heading: string): Array<{ file: string; code: string }> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => {
    const file = /^\/\/ (examples\/(?:browser\/)?[\w-]+\.m?js)\b/.exec(match[1])?.[1];
    if (!file) throw new Error(`a js block of the README's ${heading} section does not start with "// examples/NAME.mjs":\n${match[1].slice(0, 80)}`);
    return { file, code: match[1] };
  });
}

function libraryBlocks(): Array<{ file: string; code: string }> {
  return [...sectionBlocks('Use it in your program'), ...sectionBlocks('Library')];
}

describe("the README's library examples", () => {
  const blocks = libraryBlocks();
  const folder = mkdtempSync(join(tmpdir(), 'xcnn-examples-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('are the files in examples/, word for word, and all of them', () => {
    expect(blocks.map((b) => b.file)).toEqual([
      'examples/classify.mjs',
      'examples/explain-digits.mjs',
      'examples/evaluate-test-set.mjs',
      'examples/train-classifier.mjs',
      'examples/train.mjs',
      'examples/predict.mjs',
      'examples/explain.mjs',
      'examples/evaluate.mjs',
      'examples/browser/main.js',
      'examples/pictures.mjs',
      'examples/gradcheck.mjs',
    ]);
    for (const { file, code } of blocks) expect(code, file).toBe(readFileSync(join(root, file), 'utf8'));
    const nodeExamples = blocks.filter((b) => b.file.endsWith('.mjs')).map((b) => b.file.slice('examples/'.length));
    expect(readdirSync(join(root, 'examples')).sort()).toEqual([...nodeExamples, 'browser'].sort());
    expect(readdirSync(join(root, 'examples', 'browser')).sort()).toEqual(['digits.js', 'index.html', 'main.js']);
  });

  it('run as written where xcnn is installed: the classifier on the shipped model; then train, and predict, explain and evaluate its model', () => {
    mkdirSync(join(folder, 'node_modules'));
    symlinkSync(root, join(folder, 'node_modules', 'xcnn'), 'dir');
    // fast-check, as a user installs it beside xcnn for property tests (examples/gradcheck.mjs).
    symlinkSync(join(root, 'node_modules', 'fast-check'), join(folder, 'node_modules', 'fast-check'), 'dir');
    const output: Record<string, string> = {};
    for (const { file, code } of blocks.filter((b) => b.file.endsWith('.mjs'))) {
      const name = file.slice('examples/'.length);
      writeFileSync(join(folder, name), code);
      output[name] = execFileSync(process.execPath, [name], { cwd: folder, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 });
      console.log(`node ${name}: ${output[name].split('\n').filter(Boolean).slice(-1)[0]}`);
    }
    // The shipped model (98.65 % on the test set; of the first five it reads all right).
    expect(output['classify.mjs']).toMatch(/^conv\(8,3\) .* linear\(10\): 63562 parameters, input 1×28×28$/m);
    const classified = [...output['classify.mjs'].matchAll(/^image \d: (\d) \([\d.]+%\), labelled (\d)$/gm)];
    expect(classified.map(([, predicted, label]) => `${predicted} for ${label}`)).toEqual(['7 for 7', '2 for 2', '1 for 1', '0 for 0', '4 for 4']);
    expect(output['explain-digits.mjs'].match(/^predicted \d, explaining 3:$/gm)).toHaveLength(2);
    expect(output['explain-digits.mjs'].split('\n').filter((line) => /^[ .:\-=+*#%@]{28}$/.test(line))).toHaveLength(2 * 14);
    expect(output['evaluate-test-set.mjs']).toMatch(/^accuracy 98\.65%$/m); // the shipped model's test accuracy, as its file and the README say
    expect(output['evaluate-test-set.mjs']).toMatch(/weighted avg .* 10000$/m);
    const lenet = /^test accuracy ([\d.]+)% after 1 epoch$/m.exec(output['train-classifier.mjs']);
    expect(lenet, output['train-classifier.mjs']).not.toBeNull();
    expect(Number(lenet![1])).toBeGreaterThan(40); // 2,000 images, one epoch: far above chance (10 %)
    const saved = decodeModel(readFileSync(join(folder, 'lenet5.safetensors')), 'lenet5.safetensors', new ReferenceBackend());
    expect(saved.network.spec).toMatch(/^conv\(6,5,pad=2\) relu avgpool\(2\) conv\(16,5\)/); // the LeNet-5 preset, as written
    const trained = /epoch 1: test accuracy ([\d.]+)%/.exec(output['train.mjs']);
    expect(trained, output['train.mjs']).not.toBeNull();
    expect(Number(trained![1])).toBeGreaterThan(50); // 2,000 images, one epoch: far above chance (10 %)
    expect(output['predict.mjs'].match(/^image \d: \d \([\d.]+%\), labelled \d$/gm)).toHaveLength(5);
    expect(output['explain.mjs']).toMatch(/^test image 0: predicted \d, explaining \d$/m);
    expect(output['explain.mjs'].split('\n').filter((line) => /^[ .:\-=+*#%@]{28}$/.test(line))).toHaveLength(2 * 14);
    expect(output['evaluate.mjs']).toMatch(/weighted avg/);
    expect(output['evaluate.mjs']).toMatch(/^accuracy [\d.]+%/m);
    expect(output['pictures.mjs']).toMatch(/^wrote heatmap\.png, overlay\.png, confusion\.png and report\.html \(accuracy [\d.]+%\)$/m);
    for (const png of ['heatmap.png', 'overlay.png', 'confusion.png']) expect(readFileSync(join(folder, png)).subarray(1, 4).toString(), png).toBe('PNG');
    expect(readFileSync(join(folder, 'report.html'), 'utf8')).toContain('<h2>Why a t was read as p</h2>');
    expect(output['gradcheck.mjs']).toMatch(/^swish: the backward pass matches finite differences on 100 random inputs$/m);
    expect(output['gradcheck.mjs'].match(/^(input|conv1\.weight|conv1\.bias|bn1\.weight|bn1\.bias|fc1\.weight|fc1\.bias) +\d+ checked/gm)).toHaveLength(7);
    expect(output['gradcheck.mjs']).toMatch(/^gradcheck passed$/m);
  });
});
