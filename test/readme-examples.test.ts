/**
 * The README's Library examples, run as written: every ```js block of its "## Library" section is one of
 * the files in examples/ (it names the file on its first line) and must be that file word for word; the
 * blocks are then copied into a fresh folder where `xcnn` is installed (node_modules/xcnn → this package,
 * as `npm install` would leave it) and run with node in the README's order. Run after a build.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function libraryBlocks(): Array<{ file: string; code: string }> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const start = readme.indexOf('\n## Library\n');
  if (start < 0) throw new Error('README.md has no "## Library" section');
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(/```js\n([\s\S]*?)```/g)].map((match) => {
    const file = /^\/\/ (examples\/[\w-]+\.mjs)\b/.exec(match[1])?.[1];
    if (!file) throw new Error(`a js block of the README's Library section does not start with "// examples/NAME.mjs":\n${match[1].slice(0, 80)}`);
    return { file, code: match[1] };
  });
}

describe("the README's Library examples", () => {
  const blocks = libraryBlocks();
  const folder = mkdtempSync(join(tmpdir(), 'xcnn-examples-'));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('are the files in examples/, word for word, and all of them', () => {
    expect(blocks.map((b) => b.file)).toEqual(['examples/train.mjs', 'examples/predict.mjs', 'examples/explain.mjs', 'examples/evaluate.mjs']);
    for (const { file, code } of blocks) expect(code, file).toBe(readFileSync(join(root, file), 'utf8'));
    expect(readdirSync(join(root, 'examples')).sort()).toEqual(blocks.map((b) => b.file.slice('examples/'.length)).sort());
  });

  it('run as written where xcnn is installed: train, then predict, explain and evaluate its model', () => {
    mkdirSync(join(folder, 'node_modules'));
    symlinkSync(root, join(folder, 'node_modules', 'xcnn'), 'dir');
    const output: Record<string, string> = {};
    for (const { file, code } of blocks) {
      const name = file.slice('examples/'.length);
      writeFileSync(join(folder, name), code);
      output[name] = execFileSync(process.execPath, [name], { cwd: folder, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 120_000 });
      console.log(`node ${name}: ${output[name].split('\n').filter(Boolean).slice(-1)[0]}`);
    }
    const trained = /epoch 1: test accuracy ([\d.]+)%/.exec(output['train.mjs']);
    expect(trained, output['train.mjs']).not.toBeNull();
    expect(Number(trained![1])).toBeGreaterThan(50); // 2,000 images, one epoch: far above chance (10 %)
    expect(output['predict.mjs'].match(/^image \d: \d \([\d.]+%\), labelled \d$/gm)).toHaveLength(5);
    expect(output['explain.mjs']).toMatch(/^test image 0: predicted \d, explaining \d$/m);
    expect(output['explain.mjs'].split('\n').filter((line) => /^[ .:\-=+*#%@]{28}$/.test(line))).toHaveLength(2 * 14);
    expect(output['evaluate.mjs']).toMatch(/weighted avg/);
    expect(output['evaluate.mjs']).toMatch(/^accuracy [\d.]+%/m);
  });
});
