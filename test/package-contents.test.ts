/**
 * What `npm pack` puts in the tarball (package.json's `files`): the entry points and their declarations,
 * the two kernel builds, the shipped model, the page and the CLI — and none of the build's by-products
 * (the kernels' .wat text), the benchmarks or compiled tests. Every path package.json's `exports`, `bin`,
 * `main` and `types` name must be in it. Run after a build (`npm pack --dry-run` lists what is there).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The tarball's file list; --ignore-scripts, so `prepare` does not rebuild everything first. */
function packedFiles(): string[] {
  const output = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'silent' } });
  const [pack] = JSON.parse(output) as Array<{ files: Array<{ path: string }> }>;
  return pack.files.map((f) => f.path);
}

/** Every file path package.json's exports (all conditions), main, types and bin point to. */
function declaredPaths(): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const paths: string[] = [pkg.main, pkg.types, ...Object.values(pkg.bin as Record<string, string>)];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') paths.push(value);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(pkg.exports);
  return [...new Set(paths.map((p) => p.replace(/^\.\//, '')))];
}

describe('the npm tarball', () => {
  const files = packedFiles();

  it('holds every path package.json declares: the entries, their types, the kernels, the model, the CLI', () => {
    const declared = declaredPaths();
    expect(declared).toEqual(expect.arrayContaining(['dist/src/node.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'build/kernels.wasm', 'build/kernels-relaxed.wasm', 'data/mnist-small.safetensors', 'bin/xcnn.js']));
    expect(declared.filter((path) => !files.includes(path))).toEqual([]);
  });

  it('holds the page and the modules it and the CLI load', () => {
    expect(files).toEqual(expect.arrayContaining(['web/index.html', 'web/explainer-worker.js', 'dist/src/cli/main.js', 'dist/src/parallel/worker.js', 'dist/src/assets.js', 'README.md']));
  });

  it('leaves out the .wat text of the kernels, the benchmarks and compiled tests', () => {
    console.log(`${files.length} files`);
    expect(files.filter((path) => path.endsWith('.wat'))).toEqual([]);
    expect(files.filter((path) => /^(dist\/)?(bench|test)\//.test(path))).toEqual([]);
    expect(files.filter((path) => path.startsWith('src/') || path.startsWith('assembly/'))).toEqual([]);
  });
});
