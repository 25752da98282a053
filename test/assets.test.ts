/**
 * The package's files as a web page gets them (src/assets.ts), with `fetch` played by the test: which URL each
 * build and the model come from, each option's say, every failed fetch's one line; and the package root
 * (src/files/package-root.ts), found by walking up, or a one-line error where there is none.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createWasmBackendFromUrl, loadShippedModel, shippedAssetUrls, supportsRelaxedSimd } from '../src/assets.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { packageRoot } from '../src/files/package-root.js';
import { errorOf, rejection } from './errors.js';

const root = resolve(import.meta.dirname, '..');
const kernels = readFileSync(join(root, 'build', 'kernels.wasm'));
const relaxedKernels = readFileSync(join(root, 'build', 'kernels-relaxed.wasm'));
const model = readFileSync(join(root, 'data', 'mnist-small.safetensors'));

/** A fetch that answers from `answers` (URL → a Response, or an Error to reject with), recording every URL asked for. */
function fakeFetch(answers: Record<string, () => Response | Error>): string[] {
  const asked: string[] = [];
  vi.stubGlobal('fetch', async (url: string | URL) => {
    asked.push(String(url));
    const answer = answers[String(url)]?.() ?? new Response('not here', { status: 404 });
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return asked;
}

const bytes = (body: Uint8Array, type = 'application/wasm') => () => new Response(body, { headers: { 'content-type': type } });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('where the package\'s files are (shippedAssetUrls)', () => {
  it('finds each next to the module, two folders up as dist/src/assets.js is, by its literal path', () => {
    const module = import.meta.resolve('../src/assets.js');
    const urls = shippedAssetUrls();
    expect(urls.kernels.href).toBe(new URL('../../build/kernels.wasm', module).href);
    expect(urls.relaxedKernels.href).toBe(new URL('../../build/kernels-relaxed.wasm', module).href);
    expect(urls.model.href).toBe(new URL('../../data/mnist-small.safetensors', module).href);
  });

  it('says what to pass instead where there is no import.meta.url (a bundle as IIFE or CommonJS)', () => {
    // A bundler that leaves import.meta empty makes each `new URL(path, import.meta.url)` a relative URL without a
    // base, which throws; played here by a URL whose base is always missing, as there.
    const RealUrl = URL;
    vi.stubGlobal('URL', class extends RealUrl {
      constructor(input: string | URL) {
        super(input, undefined);
      }
    });
    const error = errorOf(() => shippedAssetUrls(), 'ERR_SETUP');
    vi.unstubAllGlobals();
    expect(error.message).toBe("xcnn cannot locate its files here (this bundle has no import.meta.url): bundle as an ES module, or pass the files' URLs (with esbuild: import the package paths xcnn/kernels.wasm and xcnn/model.safetensors with the file loader)");
    expect(error.cause).toBeInstanceOf(TypeError);
    expect((error.cause as { code?: string }).code).toBe('ERR_INVALID_URL');
  });
});

describe('the wasm backend from URLs (createWasmBackendFromUrl)', () => {
  it('names itself when its argument is no options object', async () => {
    expect((await rejection(createWasmBackendFromUrl(5 as never))).message).toMatch(/^createWasmBackendFromUrl: options must be /);
  });

  it('refuses an unknown build, naming the choices', async () => {
    const error = await rejection(createWasmBackendFromUrl({ build: 'fast' as never }));
    expect([error.code, error.message]).toEqual(['ERR_BAD_ARGUMENT', "unknown kernel build 'fast': choose auto, simd or relaxed-simd"]);
  });

  it('without relaxed SIMD in the engine: the plain build from its URL, and relaxed-simd asked for is refused', async () => {
    // The tests' setup turns relaxed SIMD on for the process; an engine without it is played by the probe's
    // validation failing (the probe is the only module of under 100 bytes validated).
    vi.resetModules();
    vi.doMock('../src/backend/wasm/kernels.js', async (original) => {
      const kernelsModule = await original<typeof import('../src/backend/wasm/kernels.js')>();
      return { ...kernelsModule, validates: (bytes: ArrayBufferView) => bytes.byteLength >= 100 && kernelsModule.validates(bytes) };
    });
    try {
      const plain = await import('../src/assets.js');
      expect(plain.supportsRelaxedSimd()).toBe(false);
      const asked = fakeFetch({ 'https://x/k.wasm': bytes(kernels), 'https://x/r.wasm': bytes(relaxedKernels) });
      const backend = await plain.createWasmBackendFromUrl({ kernelsUrl: 'https://x/k.wasm', relaxedKernelsUrl: 'https://x/r.wasm', maximumBytes: 64 * 2 ** 20 });
      expect([backend.build, asked]).toEqual(['simd', ['https://x/k.wasm']]);
      backend.dispose();
      const shipped = fakeFetch({ [shippedAssetUrls().kernels.href]: bytes(kernels) });
      const fromPackage = await plain.createWasmBackendFromUrl({});
      expect([fromPackage.build, shipped]).toEqual(['simd', [shippedAssetUrls().kernels.href]]);
      fromPackage.dispose();
      // (A fresh copy of the modules: its XcnnError is not this file's, so the error is matched by its fields.)
      await expect(plain.createWasmBackendFromUrl({ build: 'relaxed-simd', relaxedKernelsUrl: 'https://x/r.wasm' })).rejects.toMatchObject({
        name: 'XcnnError', code: 'ERR_SETUP', message: 'this JavaScript engine does not support relaxed SIMD: use the simd build',
      });
    } finally {
      vi.doUnmock('../src/backend/wasm/kernels.js');
      vi.resetModules();
    }
  });

  it('with relaxed SIMD: auto takes the relaxed build where there is one to take, simd the plain one', async () => {
    expect(supportsRelaxedSimd()).toBe(true); // the tests' setup turns it on (test/setup/relaxed-simd.ts)
    const shipped = shippedAssetUrls();
    const cases: Array<[Parameters<typeof createWasmBackendFromUrl>[0], string, string]> = [
      [{}, 'relaxed-simd', shipped.relaxedKernels.href],
      [{ build: 'auto' }, 'relaxed-simd', shipped.relaxedKernels.href],
      [{ relaxedKernelsUrl: 'https://x/r.wasm' }, 'relaxed-simd', 'https://x/r.wasm'],
      [{ kernelsUrl: 'https://x/k.wasm' }, 'simd', 'https://x/k.wasm'], // only the plain build given: auto uses it
      [{ kernelsUrl: 'https://x/k.wasm', relaxedKernelsUrl: 'https://x/r.wasm' }, 'relaxed-simd', 'https://x/r.wasm'],
      [{ build: 'simd', relaxedKernelsUrl: 'https://x/r.wasm' }, 'simd', shipped.kernels.href],
      [{ build: 'simd', kernelsUrl: new URL('https://x/k.wasm') }, 'simd', 'https://x/k.wasm'],
      [{ build: 'relaxed-simd' }, 'relaxed-simd', shipped.relaxedKernels.href],
      [{ build: 'relaxed-simd', kernelsUrl: 'https://x/k.wasm' }, 'relaxed-simd', shipped.relaxedKernels.href],
    ];
    for (const [options, build, url] of cases) {
      const asked = fakeFetch({
        'https://x/k.wasm': bytes(kernels), 'https://x/r.wasm': bytes(relaxedKernels), [shipped.kernels.href]: bytes(kernels), [shipped.relaxedKernels.href]: bytes(relaxedKernels),
      });
      const backend = await createWasmBackendFromUrl(options);
      expect([backend.build, asked], JSON.stringify(options)).toEqual([build, [url]]);
      backend.dispose();
    }
  });

  it('says in one line which file could not be fetched, from where, why, and the package path to import instead', async () => {
    const fix = (path: string) => `serve the file there, or pass its URL (with esbuild: import the package path ${path} with the file loader)`;
    fakeFetch({ 'https://x/down.wasm': () => new TypeError('fetch failed'), 'https://x/page.wasm': bytes(kernels, 'text/html; charset=utf-8') });
    const cases: Array<[Parameters<typeof createWasmBackendFromUrl>[0], string]> = [
      [{ build: 'simd', kernelsUrl: 'https://x/down.wasm' }, `cannot fetch the kernels from https://x/down.wasm (TypeError: fetch failed): ${fix('xcnn/kernels.wasm')}`],
      [{ build: 'simd', kernelsUrl: 'https://x/gone.wasm' }, `cannot fetch the kernels from https://x/gone.wasm (HTTP 404): ${fix('xcnn/kernels.wasm')}`],
      [{ build: 'relaxed-simd', relaxedKernelsUrl: 'https://x/gone.wasm' }, `cannot fetch the relaxed-SIMD kernels from https://x/gone.wasm (HTTP 404): ${fix('xcnn/kernels-relaxed.wasm')}`],
      [
        { build: 'simd', kernelsUrl: 'https://x/page.wasm' },
        `cannot fetch the kernels from https://x/page.wasm: the server answered with an HTML page, not the file; ${fix('xcnn/kernels.wasm')} — on Vite's dev server, set optimizeDeps.exclude: ['xcnn']`,
      ],
    ];
    for (const [options, message] of cases) {
      const error = await rejection(createWasmBackendFromUrl(options));
      expect([error.code, error.message]).toEqual(['ERR_FILE', message]);
    }
  });

  it('takes bytes sent without a content type, or as any type but HTML', async () => {
    for (const type of [undefined, 'application/octet-stream', 'text/plain']) {
      fakeFetch({ 'https://x/k.wasm': () => new Response(kernels, type === undefined ? {} : { headers: { 'content-type': type } }) });
      const backend = await createWasmBackendFromUrl({ build: 'simd', kernelsUrl: 'https://x/k.wasm' });
      expect(backend.build).toBe('simd');
      backend.dispose();
    }
  });
});

describe('the shipped model from a URL (loadShippedModel)', () => {
  it('fetches it from next to the module, or from the URL given, and loads it', async () => {
    const asked = fakeFetch({ [shippedAssetUrls().model.href]: bytes(model, 'application/octet-stream'), 'https://x/m.safetensors': bytes(model, 'application/octet-stream') });
    const { network, info } = await loadShippedModel(new ReferenceBackend());
    expect(info.classNames).toHaveLength(10);
    expect(network.outputShape).toEqual([10]);
    await loadShippedModel(new ReferenceBackend(), { url: 'https://x/m.safetensors' });
    expect(asked).toEqual([shippedAssetUrls().model.href, 'https://x/m.safetensors']);
  });

  it('names itself when its backend or options are not what it takes', async () => {
    expect((await rejection(loadShippedModel({} as never))).message).toMatch(/^loadShippedModel: backend must be /);
    expect((await rejection(loadShippedModel(new ReferenceBackend(), 5 as never))).message).toMatch(/^loadShippedModel: options must be /);
  });

  it('names the URL and the package path when it cannot, and the URL as the file when the bytes are no model', async () => {
    fakeFetch({ 'https://x/text': bytes(Buffer.from('hello, world: not a model'), 'application/octet-stream') });
    const missing = await rejection(loadShippedModel(new ReferenceBackend(), { url: 'https://x/none' }));
    expect(missing.message).toBe('cannot fetch the shipped model from https://x/none (HTTP 404): serve the file there, or pass its URL (with esbuild: import the package path xcnn/model.safetensors with the file loader)');
    const notModel = await rejection(loadShippedModel(new ReferenceBackend(), { url: 'https://x/text' }));
    expect(notModel.message).toMatch(/^https:\/\/x\/text: /);
  });
});

describe('the package root (packageRoot)', () => {
  it('is the folder holding package.json above the module, found once', () => {
    expect(packageRoot()).toBe(root);
    expect(packageRoot()).toBe(root);
  });

  it('is a one-line error where no folder above holds a package.json', async () => {
    vi.resetModules();
    vi.doMock('node:fs', async (original) => ({ ...(await original<typeof import('node:fs')>()), existsSync: () => false }));
    try {
      const { packageRoot: lost } = await import('../src/files/package-root.js');
      const here = resolve(import.meta.dirname, '..', 'src', 'files');
      expect(() => lost()).toThrow(expect.objectContaining({ code: 'ERR_SETUP', message: `cannot find the xcnn package root (no package.json above ${here})` }));
    } finally {
      vi.doUnmock('node:fs');
      vi.resetModules();
    }
  });
});
