/**
 * xcnn in a web page, as a user builds one: the README's browser example (examples/browser/), whose script imports 'xcnn' by its package name
 * (node_modules/xcnn → this package, as `npm install` would leave it) is bundled by esbuild with the
 * settings the README gives, served from a sub-path (http://127.0.0.1:PORT/some/sub/path/…) with the
 * cross-origin isolation the wasm backend's shared memory needs, and opened in headless Chromium. It must
 * classify the shipped test digits as the Node API does with the same model, and draw a PNG overlay.
 *
 * Two more pages pin down where the files are found: the package served unbundled (its ES modules as
 * they are) finds the kernels and the model by `new URL(…, import.meta.url)` with no URL passed — the
 * paths Vite and webpack follow — and an esbuild bundle that passes no URL (esbuild does not follow that
 * pattern) fails with the one-line error that says what to pass. Run after a build.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { readIdxFile } from '../src/data/idx-files.js';
import { predictImages } from '../src/eval/predict.js';
import { loadModel, shippedModelPath } from '../src/model/model-io.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const example = join(root, 'examples', 'browser'); // the README's browser example: index.html, main.js, digits.js
const CHROMIUM = process.env.XCNN_CHROMIUM ?? '/usr/bin/chromium'; // Debian's package
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED: the bundler test needs ${CHROMIUM} to open the page (apt-get install chromium; .ci/run installs it)`);

const SUB_PATH = '/some/sub/path/';
/** The esbuild settings the README's "Assets and bundlers" gives: an ES module, and the file loader for the package's files. */
const ESBUILD_SETTINGS = { bundle: true, format: 'esm', platform: 'browser', target: 'es2022', loader: { '.wasm': 'file', '.safetensors': 'file' } } as const;

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.png': 'image/png' };

/** Serves `folder` at SUB_PATH on loopback, cross-origin isolated (COOP/COEP) as the wasm backend's shared memory needs. */
async function serveAtSubPath(folder: string): Promise<{ server: Server; url: string }> {
  const base = realpathSync(folder);
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    const file = path.startsWith(SUB_PATH) ? resolve(base, path.slice(SUB_PATH.length)) : null;
    if (file === null || !(file === base || file.startsWith(base + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end('not found');
      return;
    }
    response.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
    });
    response.end(readFileSync(file));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${SUB_PATH}` };
}

describe.skipIf(!hasChromium)('xcnn in a web page, bundled and served from a sub-path (headless Chromium)', () => {
  const folder = mkdtempSync(join(tmpdir(), 'xcnn-bundler-'));
  const digitFile = readIdxFile(join(root, 'data', 'page-digits-images-idx3-ubyte'));
  const digits = new Uint8Array(digitFile.data);
  let server: Server;
  let url: string;
  let browser: Browser;
  const warnings: string[] = [];

  /** Opens `page` under the sub-path; waits for #result to hold a prediction or an error, and returns its data attributes. */
  async function open(page: string): Promise<{ predicted?: string; build?: string; error?: string; overlayWidth: number; isolated: boolean; pageErrors: string[] }> {
    const tab = await browser.newPage();
    const pageErrors: string[] = [];
    tab.on('pageerror', (error) => pageErrors.push(error.message));
    await tab.goto(url + page);
    await tab.waitForFunction(() => {
      const result = document.getElementById('result');
      return result?.dataset.predicted !== undefined || result?.dataset.error !== undefined;
    }, null, { timeout: 30_000 });
    const overlayWidth = await tab.evaluate(async () => {
      const image = document.getElementById('overlay') as HTMLImageElement | null;
      if (!image?.getAttribute('src')) return 0;
      await image.decode();
      return image.naturalWidth;
    });
    const result = await tab.evaluate(() => ({ ...document.getElementById('result')!.dataset, isolated: crossOriginIsolated }));
    await tab.close();
    return { ...result, overlayWidth, pageErrors };
  }

  beforeAll(async () => {
    mkdirSync(join(folder, 'node_modules'));
    symlinkSync(root, join(folder, 'node_modules', 'xcnn'), 'dir');
    copyFileSync(join(example, 'digits.js'), join(folder, 'digits.js'));

    // The user's page: the example's HTML and script, bundled into bundle/.
    copyFileSync(join(example, 'main.js'), join(folder, 'main.js'));
    mkdirSync(join(folder, 'bundle'));
    copyFileSync(join(example, 'index.html'), join(folder, 'bundle', 'index.html'));
    const bundled = await build({ ...ESBUILD_SETTINGS, absWorkingDir: folder, entryPoints: ['main.js'], outdir: 'bundle', logLevel: 'silent' });
    warnings.push(...bundled.warnings.map((w) => w.text));

    // The same page passing no URL, bundled by esbuild: the package's own `new URL(…, import.meta.url)` is left as is.
    mkdirSync(join(folder, 'defaults'));
    writeFileSync(join(folder, 'defaults.js'), readFileSync(join(example, 'main.js'), 'utf8').replace(/^import \w+ from 'xcnn\/.*\n/gm, '').replace('{ kernelsUrl, relaxedKernelsUrl }', '').replace('model: await (await fetch(modelUrl)).arrayBuffer(), ', ''));
    copyFileSync(join(example, 'index.html'), join(folder, 'defaults', 'index.html'));
    await build({ ...ESBUILD_SETTINGS, absWorkingDir: folder, entryPoints: { main: 'defaults.js' }, outdir: 'defaults', logLevel: 'silent' });

    // The package unbundled: the page imports dist/src/index.js as it is and passes no URL.
    mkdirSync(join(folder, 'plain'));
    writeFileSync(join(folder, 'plain', 'main.js'), readFileSync(join(folder, 'defaults.js'), 'utf8').replace("from 'xcnn'", "from '../node_modules/xcnn/dist/src/index.js'").replace("'./digits.js'", "'../digits.js'"));
    copyFileSync(join(example, 'index.html'), join(folder, 'plain', 'index.html'));

    ({ server, url } = await serveAtSubPath(folder));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise((done) => server?.close(done));
    rmSync(folder, { recursive: true, force: true });
  });

  /** The shipped model's predictions of the ten digits, by the Node API on the TypeScript reference backend. */
  function nodePredictions(): string {
    const { network } = loadModel(shippedModelPath(), new ReferenceBackend());
    return Array.from(predictImages(network, digits, digitFile.dims[0]).predicted).join(',');
  }

  it("the example's digits are the package's ten page digits", async () => {
    const { digits: exampleDigits } = (await import(join(example, 'digits.js'))) as { digits: Uint8Array };
    expect(Buffer.from(exampleDigits).equals(Buffer.from(digits))).toBe(true);
  });

  it('esbuild bundles the page without a warning, copying the kernels and the model beside the script', () => {
    expect(warnings).toEqual([]);
    const files = readdirSync(join(folder, 'bundle'));
    console.log(`bundle/: ${files.join(', ')}`);
    expect(files.filter((f) => /^kernels-[A-Z0-9]+\.wasm$/.test(f))).toHaveLength(1);
    expect(files.filter((f) => /^kernels-relaxed-[A-Z0-9]+\.wasm$/.test(f))).toHaveLength(1);
    expect(files.filter((f) => /^mnist-small-[A-Z0-9]+\.safetensors$/.test(f))).toHaveLength(1);
    expect(statSync(join(folder, 'bundle', 'main.js')).size).toBeLessThan(1_000_000); // the files are copied, not inlined
  });

  it('the bundled page classifies the ten shipped test digits as the Node API does, with the relaxed-SIMD kernels, and draws the overlay', async () => {
    const page = await open('bundle/index.html');
    expect(page.pageErrors).toEqual([]);
    expect(page.error).toBeUndefined();
    expect(page.isolated).toBe(true);
    expect(page.predicted).toBe(nodePredictions());
    expect(page.build).toBe('relaxed-simd'); // Chromium runs relaxed SIMD; the probe picked that build
    expect(page.overlayWidth).toBe(28 * 4);
  });

  it('unbundled, the package finds its kernels and model next to its modules (new URL(…, import.meta.url)), under the sub-path', async () => {
    const page = await open('plain/index.html');
    expect(page.error).toBeUndefined();
    expect(page.predicted).toBe(nodePredictions());
    expect(page.overlayWidth).toBe(28 * 4);
  });

  it('an esbuild bundle that passes no URL fails in one line that names the file and the fix', async () => {
    const page = await open('defaults/index.html');
    expect(page.predicted).toBeUndefined();
    expect(page.error).toMatch(/^cannot fetch the relaxed-SIMD kernels from http:\/\/127\.0\.0\.1:\d+\/some\/sub\/build\/kernels-relaxed\.wasm \(HTTP 404\): serve the file there, or pass its URL \(with esbuild: import the package path xcnn\/kernels-relaxed\.wasm with the file loader\)$/);
  });
});
