/**
 * scripts/build-if-stale.mjs, what `npm start`, `npm test` and the bench build with: a part is rebuilt when an
 * output is missing or an input (a file, or anything under a folder) is newer than its oldest output, as make
 * decides. Each case builds a small tree in a temporary folder and sets every time by hand.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, without types
import { BUILD_PARTS, newestTime, staleReason } from '../scripts/build-if-stale.mjs';

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A tree of files, each given its modification time in seconds; folders get time 0 unless listed. */
function tree(files: Record<string, number>, folders: Record<string, number> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'xcnn-build-if-stale-'));
  roots.push(root);
  for (const path of Object.keys(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), path);
  }
  for (const [path, seconds] of Object.entries(files)) utimesSync(join(root, path), seconds, seconds);
  // Writing a file changes its folder's time: set the folders last.
  const allFolders = new Set(Object.keys(files).flatMap((path) => path.split('/').slice(0, -1).map((_, k, parts) => parts.slice(0, k + 1).join('/'))));
  for (const folder of allFolders) utimesSync(join(root, folder), folders[folder] ?? 0, folders[folder] ?? 0);
  return root;
}

const PART = { script: 'build:x', inputs: ['src', 'config.json'], outputs: ['out/a.js', 'out/b.js'] };

describe('when a part of the build is stale', () => {
  it('is current when every input is older than the oldest output', () => {
    const root = tree({ 'src/a.ts': 100, 'src/deep/b.ts': 150, 'config.json': 120, 'out/a.js': 200, 'out/b.js': 160 });
    expect(staleReason(root, PART)).toBeNull();
  });

  it('is stale when a file deep in an input folder is newer than the oldest output, even if older than the newest', () => {
    const root = tree({ 'src/a.ts': 100, 'src/deep/b.ts': 170, 'config.json': 120, 'out/a.js': 200, 'out/b.js': 160 });
    expect(staleReason(root, PART)).toBe('src changed since the last build');
  });

  it('is stale when an input file is newer than the oldest output', () => {
    const root = tree({ 'src/a.ts': 100, 'config.json': 161, 'out/a.js': 200, 'out/b.js': 160 });
    expect(staleReason(root, PART)).toBe('config.json changed since the last build');
  });

  it('is stale when a folder changed after the build (a source file removed), though every file in it is older', () => {
    const root = tree({ 'src/a.ts': 100, 'config.json': 120, 'out/a.js': 200, 'out/b.js': 160 }, { src: 180 });
    expect(staleReason(root, PART)).toBe('src changed since the last build');
  });

  it('is stale when an output is missing, naming it', () => {
    const root = tree({ 'src/a.ts': 100, 'config.json': 120, 'out/a.js': 200 });
    expect(staleReason(root, PART)).toBe('out/b.js is missing');
  });

  it('is current when an input is absent (nothing to be newer) and the outputs exist', () => {
    const root = tree({ 'src/a.ts': 100, 'out/a.js': 200, 'out/b.js': 160 });
    expect(staleReason(root, PART)).toBeNull();
  });

  it('takes an input of the same time as the oldest output as built from it (make\'s rule: only newer is stale)', () => {
    const root = tree({ 'src/a.ts': 160, 'config.json': 120, 'out/a.js': 200, 'out/b.js': 160 });
    expect(staleReason(root, PART)).toBeNull();
  });
});

describe('the times it reads', () => {
  it('gives a file its own time, a folder the newest of itself and everything under it, and nothing -Infinity', () => {
    const root = tree({ 'f/a': 50, 'f/g/b': 70, 'f/c': 60 }, { f: 10, 'f/g': 20 });
    expect(newestTime(join(root, 'f/a'))).toBe(50_000);
    expect(newestTime(join(root, 'f'))).toBe(70_000);
    expect(newestTime(join(root, 'nothing-here'))).toBe(-Infinity);
  });
});

describe('the parts of xcnn\'s build', () => {
  it('builds the kernels from assembly/ and the TypeScript from src/ and bench/, each by its npm script', () => {
    expect(BUILD_PARTS.map((part: { script: string }) => part.script)).toEqual(['build:wasm', 'build:ts']);
    expect(BUILD_PARTS[0].inputs).toContain('assembly');
    expect(BUILD_PARTS[1].inputs).toEqual(expect.arrayContaining(['src', 'bench', 'tsconfig.json']));
    expect(BUILD_PARTS[1].outputs).toContain('dist/src/cli/xcnn-bundle.js');
  });
});
