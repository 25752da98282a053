/**
 * What `npm pack` puts in the tarball (package.json's `files`): the entry points and their declarations,
 * the two kernel builds, the shipped model, the page and the CLI — and none of the build's by-products
 * (the kernels' .wat text), the benchmarks or compiled tests. Every path package.json's `exports`, `bin`,
 * `main` and `types` name must be in it. Run after a build (`npm pack --dry-run` lists what is there).
 * And what the `exports` conditions give a browser bundle's TypeScript: the core's declarations.
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

describe("the package's types for a browser bundle", () => {
  it("a TypeScript page (moduleResolution bundler) sees the core's declarations under 'xcnn', and the asset paths as modules the bundler provides", async () => {
    const { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-browser-types-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(root, join(dir, 'node_modules', 'xcnn'), 'dir');
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
      const compilerOptions = { module: 'ESNext', moduleResolution: 'Bundler', target: 'ES2022', lib: ['ES2022', 'DOM'], strict: true, noEmit: true, types: [] };
      writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
      writeFileSync(join(dir, 'assets.d.ts'), "declare module '*.wasm' { const url: string; export default url; }\n");
      writeFileSync(
        join(dir, 'page.ts'),
        [
          "import { createWasmBackendFromUrl, heatmapToPng, loadShippedModel, type WasmBackend } from 'xcnn';",
          "import kernelsUrl from 'xcnn/kernels.wasm';",
          'export const backend: Promise<WasmBackend> = createWasmBackendFromUrl({ kernelsUrl });',
          'export const model = backend.then((b) => loadShippedModel(b));',
          'export const png: Uint8Array = heatmapToPng([0], { width: 1, height: 1 });',
        ].join('\n'),
      );
      const tsc = join(root, 'node_modules/typescript/bin/tsc');
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      // The Node glue is not in a browser bundle's 'xcnn', and its types say so.
      writeFileSync(join(dir, 'node-only.ts'), "import { loadDataset } from 'xcnn';\nexport const data = loadDataset;\n");
      let errors = '';
      try {
        execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      } catch (error) {
        errors = String((error as { stdout: string }).stdout);
      }
      expect(errors).toMatch(/node-only\.ts.*error TS2305: Module '"xcnn"' has no exported member 'loadDataset'/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
