/**
 * `xcnn serve`'s web server, without a browser: it sends the page's allow-listed files — read once at
 * start-up, one shared buffer each — with their content types, ETags and the cross-origin isolation
 * headers, and nothing else — whatever the URL tries (`..`, encoded or not, absolute paths, NUL,
 * backslashes, very long) — answers a thousand concurrent requests for the model with the model's bytes
 * without memory growing with them, listens on 127.0.0.1 by default (a blank --host is refused, another
 * interface is warned about), says clearly when its port is taken, and stops on Ctrl-C.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request, ServerResponse } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/files/package-root.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { readModelFile, saveModel, shippedModelPath } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { fileForRequest, importSpecifiers, MAX_TARGET_LENGTH, MODEL_URL_PATH, pageFiles, type PageFiles } from '../src/serve/page-files.js';
import { checkedHost, isLoopbackAddress, startPageServer, type PageServer } from '../src/serve/page-server.js';
import { etagMatches, pageContent } from '../src/serve/served-file.js';
import { DATASETS_URL_PATH, pageDatasets } from '../src/serve/page-datasets.js';
import { defaultDataDir } from '../src/data/dataset-files.js';
import { XcnnError } from '../src/errors.js';

const root = packageRoot();
const bin = join(root, 'bin', 'xcnn.js');
const shippedModel = () => ({ bytes: readModelFile(shippedModelPath()), fileName: 'mnist-small.safetensors' });

/** A request for `target` sent as is (no normalisation by a URL class): status, headers and body. */
function get(port: number, target: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path: target, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** Request targets that try to leave the page's files. */
const TRAVERSALS = [
  '/../package.json',
  '/web/../package.json',
  '/web/../../../../etc/passwd',
  '/%2e%2e/package.json',
  '/%2E%2E/%2e%2e/etc/passwd',
  '/web/%2e%2e/package.json',
  '/web%2f..%2fpackage.json',
  '/web/..%2fpackage.json',
  '/web/..%5cpackage.json',
  '/web\\..\\package.json',
  '/%252e%252e/package.json',
  '/web/page.js%00.html',
  '/web/%00',
  '/./web/page.js',
  '//etc/passwd',
  '/etc/passwd',
  '/work/wt-page/package.json',
  'http://127.0.0.1/web/page.js',
  'web/page.js',
  '/%',
  '/%zz',
];

describe('the page files (src/serve/page-files.ts)', () => {
  const files: PageFiles = pageFiles(root);

  it('allows the page, the core modules it imports, the kernels and the test digits; the model comes as bytes', () => {
    const paths = [...files.keys()];
    for (const path of ['/', '/web/page.css', '/web/page.js', '/web/explainer-worker.js', '/dist/src/index.js', '/dist/src/render/overlay.js', '/build/kernels.wasm', '/build/kernels-relaxed.wasm', '/data/page-digits-images-idx3-ubyte']) {
      expect(paths).toContain(path);
    }
    expect(paths).not.toContain(MODEL_URL_PATH);
    expect(paths).not.toContain('/web/index.html'); // the page is at '/' only, where its relative links resolve
    const served = pageContent(root, shippedModel());
    const datasetPaths = pageDatasets().flatMap(({ sources }) => [...sources.keys()]);
    expect(datasetPaths).toContain('/data/mnist/train-images-idx3-ubyte');
    expect([...served.keys()].sort()).toEqual([...paths, MODEL_URL_PATH, DATASETS_URL_PATH, ...datasetPaths].sort());
    const bytes = [...served.values()].reduce((sum, file) => sum + file.body.length, 0);
    console.log(`${paths.length} files allowed, ${paths.filter((p) => p.startsWith('/dist/src/')).length} of them core modules; ${served.size} served, ${bytes} bytes in all`);
  });

  it('allows no Node-only module, no source map, nothing from node_modules, no CLI, no package.json', () => {
    for (const path of pageContent(root, shippedModel()).keys()) {
      expect(path).not.toMatch(/node_modules|\/cli\/|\/node\.js$|package\.json|\.map$|\.ts$/);
      expect(path).toMatch(/^\/($|web\/|dist\/src\/|build\/kernels(-relaxed)?\.wasm$|data\/page-digits-|data\/datasets\.json$|data\/(fashion-)?mnist\/(train|t10k)-(images-idx3|labels-idx1)-ubyte(\.gz)?$|model\.safetensors$)/);
    }
    expect(files.has('/dist/src/node.js')).toBe(false);
    expect(files.has('/dist/src/backend/wasm/node.js')).toBe(false);
  });

  it('sends the thread pool to a tab with its web transport: web-transport.js at node-transport.js\'s URL, and the worker module, which no script imports', () => {
    expect(files.get('/dist/src/parallel/node-transport.js')).toBe(join(root, 'dist/src/parallel/web-transport.js'));
    expect(files.has('/dist/src/parallel/web-transport.js')).toBe(false); // imported by no module under its own name
    expect(files.get('/dist/src/parallel/worker.js')).toBe(join(root, 'dist/src/parallel/worker.js'));
    expect(files.get('/dist/src/parallel/thread-pool.js')).toBe(join(root, 'dist/src/parallel/thread-pool.js'));
    // Whatever the walk did: no module the page is sent names a Node built-in, statically or dynamically.
    const nodeImports = [...files.values()].filter((file) => file.endsWith('.js')).filter((file) => /\bfrom\s*['"]node:|\bimport\s*\(?\s*['"]node:|\brequire\s*\(/.test(readFileSync(file, 'utf8')));
    expect(nodeImports.map((file) => relative(root, file))).toEqual([]);
  });

  it('maps every allowed path to a file inside the package', () => {
    for (const file of files.values()) expect(file.startsWith(root + '/')).toBe(true);
  });

  it('finds a script\'s imports, static and dynamic', () => {
    expect(importSpecifiers(`import { a } from './a.js';\nexport * from "../b.js";\nimport './c.js';\nawait import('./d.js');`)).toEqual(['./a.js', '../b.js', './c.js', './d.js']);
  });

  it('names allowed files exactly, ignoring the query and fragment', () => {
    expect(fileForRequest('/web/page.js', files)).toBe(join(root, 'web/page.js'));
    expect(fileForRequest('/web/page.js?v=1#top', files)).toBe(join(root, 'web/page.js'));
    expect(fileForRequest('/web/%70age.js', files)).toBe(join(root, 'web/page.js')); // percent-encoded letters are still the same name
    expect(fileForRequest('/', files)).toBe(join(root, 'web/index.html'));
  });

  it.each(TRAVERSALS)('names no file for %j', (target) => {
    expect(fileForRequest(target, files)).toBeNull();
  });

  it('does not look at a target longer than any allowed path could be, even percent-encoded', () => {
    const longest = Math.max(...[...files.keys()].map((path) => path.length));
    expect(3 * longest).toBeLessThan(MAX_TARGET_LENGTH); // every byte of every allowed path encoded as %XX still fits
    expect(fileForRequest(`/web/page.js?${'a'.repeat(MAX_TARGET_LENGTH)}`, files)).toBeNull();
    expect(fileForRequest(`/web/page.js?${'a'.repeat(MAX_TARGET_LENGTH - 20)}`, files)).toBe(join(root, 'web/page.js'));
  });
});

describe('the served files (src/serve/served-file.ts)', () => {
  it('hold each file\'s bytes, read once, with a strong ETag that is the SHA-256 of the bytes', () => {
    const served = pageContent(root, shippedModel());
    const page = served.get('/web/page.js')!;
    expect(page.body.equals(readFileSync(join(root, 'web/page.js')))).toBe(true);
    expect(page.etag).toBe(`"${createHash('sha256').update(readFileSync(join(root, 'web/page.js'))).digest('base64url')}"`);
    expect(served.get(MODEL_URL_PATH)!.body.equals(readFileSync(shippedModelPath()))).toBe(true);
  });

  it('name the model file in Content-Disposition, percent-encoded (RFC 6266 filename*)', () => {
    const served = pageContent(root, { bytes: new Uint8Array(4), fileName: "my model (v2)'s ü.safetensors" });
    expect(served.get(MODEL_URL_PATH)!.headers).toEqual({ 'Content-Disposition': "inline; filename*=UTF-8''my%20model%20%28v2%29%27s%20%C3%BC.safetensors" });
  });

  it('match If-None-Match as RFC 9110 says: a list, weak tags compared weakly, and *', () => {
    expect(etagMatches(undefined, '"a"')).toBe(false);
    expect(etagMatches('"a"', '"a"')).toBe(true);
    expect(etagMatches('"b", W/"a"', '"a"')).toBe(true);
    expect(etagMatches('*', '"a"')).toBe(true);
    expect(etagMatches('"ab"', '"a"')).toBe(false);
  });
});

describe('the host the server listens on', () => {
  it.each(['', ' ', '\t', '[]'])('refuses the blank host %j as a usage error (Node would listen on every interface)', (host) => {
    expect(() => checkedHost(host)).toThrow(expect.objectContaining({ exitCode: 2, message: `--host: '${host}' is empty; give an address: 127.0.0.1 (the default) keeps the page to this machine, 0.0.0.0 opens it to the network` }));
  });

  it('takes an IPv6 address in URL brackets', () => {
    expect(checkedHost('[::1]')).toBe('::1');
    expect(checkedHost('127.0.0.1')).toBe('127.0.0.1');
  });

  it.each([
    ['127.0.0.1', true], ['127.1.2.3', true], ['::1', true], ['0:0:0:0:0:0:0:1', true], ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false], ['::', false], ['192.168.1.5', false], ['10.0.0.1', false], ['::2', false], ['fe80::1', false], ['128.0.0.1', false], ['::ffff:10.0.0.1', false],
  ])('counts %s as loopback: %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });
});

describe('the page server (src/serve/page-server.ts)', () => {
  let server: PageServer;
  beforeAll(async () => {
    server = await startPageServer({ files: pageContent(root, shippedModel()), port: 0 });
  });
  afterAll(() => server.close());

  it('listens on 127.0.0.1 by default, on the free port --port 0 picked', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.port).toBeGreaterThan(0);
  });

  it.each([
    ['/', 'text/html; charset=utf-8'],
    ['/web/page.js', 'text/javascript; charset=utf-8'],
    ['/web/page.css', 'text/css; charset=utf-8'],
    ['/dist/src/index.js', 'text/javascript; charset=utf-8'],
    ['/build/kernels.wasm', 'application/wasm'],
    ['/model.safetensors', 'application/octet-stream'],
  ])('sends %s as %s, with the cross-origin isolation headers', async (path, type) => {
    const answer = await get(server.port, path);
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(type);
    expect(answer.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect(answer.headers['cross-origin-embedder-policy']).toBe('require-corp');
    expect(answer.body.length).toBe(Number(answer.headers['content-length']));
  });

  it('sends the files\' bytes unchanged', async () => {
    expect((await get(server.port, '/build/kernels.wasm')).body.equals(readFileSync(join(root, 'build/kernels.wasm')))).toBe(true);
    expect((await get(server.port, '/model.safetensors')).body.equals(readFileSync(shippedModelPath()))).toBe(true);
  });

  it('sends the model with its file name, so the page can say which model it shows', async () => {
    expect((await get(server.port, MODEL_URL_PATH)).headers['content-disposition']).toBe("inline; filename*=UTF-8''mnist-small.safetensors");
  });

  it('sends a strong ETag, and 304 without a body when If-None-Match names it', async () => {
    const first = await get(server.port, '/web/page.js');
    const etag = String(first.headers.etag);
    expect(etag).toBe(`"${createHash('sha256').update(readFileSync(join(root, 'web/page.js'))).digest('base64url')}"`);
    expect(first.headers['cache-control']).toBe('no-cache');
    const again = await get(server.port, '/web/page.js', 'GET', { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    expect(again.headers.etag).toBe(etag);
    expect((await get(server.port, '/web/page.js', 'GET', { 'If-None-Match': '"something else"' })).status).toBe(200);
    expect((await get(server.port, '/web/page.css', 'GET', { 'If-None-Match': etag })).status).toBe(200); // another file's tag
  });

  it('sends one byte range with 206 and Content-Range, a range past the end with 416, and the whole file otherwise', async () => {
    const model = readFileSync(shippedModelPath());
    const size = model.length;
    const part = await get(server.port, MODEL_URL_PATH, 'GET', { Range: 'bytes=8-23' });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 8-23/${size}`);
    expect(part.body.equals(model.subarray(8, 24))).toBe(true);
    const suffix = await get(server.port, MODEL_URL_PATH, 'GET', { Range: 'bytes=-10' });
    expect([suffix.status, suffix.headers['content-range']]).toEqual([206, `bytes ${size - 10}-${size - 1}/${size}`]);
    expect(suffix.body.equals(model.subarray(size - 10))).toBe(true);
    const tail = await get(server.port, MODEL_URL_PATH, 'GET', { Range: `bytes=${size - 3}-` });
    expect(tail.body.equals(model.subarray(size - 3))).toBe(true);
    const beyond = await get(server.port, MODEL_URL_PATH, 'GET', { Range: `bytes=${size}-` });
    expect([beyond.status, beyond.headers['content-range']]).toEqual([416, `bytes */${size}`]);
    const head = await get(server.port, MODEL_URL_PATH, 'HEAD', { Range: 'bytes=0-99' });
    expect([head.status, head.headers['content-length'], head.body.length]).toEqual([206, '100', 0]);
    // Ignored, so the whole file comes: several ranges, a malformed or reversed one, an If-Range of other bytes.
    for (const headers of [{ Range: 'bytes=0-1,4-5' }, { Range: 'bytes=a-b' }, { Range: 'bytes=9-3' }, { Range: 'items=0-1' }, { Range: 'bytes=0-1', 'If-Range': '"other"' }]) {
      const whole = await get(server.port, MODEL_URL_PATH, 'GET', headers);
      expect(whole.status, JSON.stringify(headers)).toBe(200);
      expect(whole.body.equals(model)).toBe(true);
    }
    const current = String(part.headers.etag);
    expect((await get(server.port, MODEL_URL_PATH, 'GET', { Range: 'bytes=0-1', 'If-Range': current })).status).toBe(206);
  });

  it('serves the studio\'s data sets: the manifest, and MNIST\'s first images by a range', async () => {
    const manifest = JSON.parse((await get(server.port, DATASETS_URL_PATH)).body.toString('utf8'));
    const mnist = manifest.datasets.find((d: { name: string }) => d.name === 'mnist');
    expect(mnist.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // 16 header bytes and the first image (28 × 28), as the studio asks for them.
    const first = await get(server.port, `/${mnist.files.trainImages}`, 'GET', { Range: `bytes=0-${16 + 784 - 1}` });
    expect(first.status).toBe(206);
    const original = readFileSync(join(defaultDataDir(), 'train-images-idx3-ubyte'));
    expect(first.body.equals(original.subarray(0, 16 + 784))).toBe(true);
  });

  it.each([...TRAVERSALS.filter((t) => t !== 'web/page.js'), '/package.json', '/src/index.ts', '/dist/src/cli/main.js', '/dist/src/node.js', '/node_modules/vitest/package.json', '/web/', '/web', '/data/README.md'])(
    'answers %j with 404 and no file',
    async (target) => {
      const answer = await get(server.port, target);
      expect(answer.status).toBe(404);
      expect(answer.body.toString()).toBe('not found\n');
      expect(answer.headers['cross-origin-embedder-policy']).toBe('require-corp');
    },
  );

  it('leaves a request target that is no path at all to Node\'s parser, which refuses it (400)', async () => {
    const answer = await get(server.port, 'web/page.js');
    expect(answer.status).toBe(400);
    expect(answer.body.length).toBe(0);
  });

  it('answers every request for the model with the one buffer read at start-up, whatever the count in flight', async () => {
    const files = pageContent(root, shippedModel());
    const own = await startPageServer({ files, port: 0 });
    const sent = new Set<unknown>();
    const end = ServerResponse.prototype.end;
    ServerResponse.prototype.end = function (this: ServerResponse, ...args: unknown[]) {
      if (Buffer.isBuffer(args[0])) sent.add(args[0]);
      return (end as (...a: unknown[]) => ServerResponse).apply(this, args);
    } as typeof end;
    try {
      const answers = await concurrentGets(own.port, MODEL_URL_PATH, 200);
      const expected = createHash('sha256').update(readFileSync(shippedModelPath())).digest('hex');
      expect(answers.every((a) => a.status === 200 && a.sha256 === expected)).toBe(true);
    } finally {
      ServerResponse.prototype.end = end;
      await own.close();
    }
    expect([...sent]).toHaveLength(1);
    expect([...sent][0]).toBe(files.get(MODEL_URL_PATH)!.body); // the same object: no copy, no read per request
  });

  it('answers a long target with 404 without decoding it, and one past 16 KB is refused by Node\'s parser (431)', async () => {
    const long = await get(server.port, `/web/page.js?${'%2e'.repeat(1000)}`);
    expect(long.status).toBe(404);
    expect(long.body.toString()).toBe('not found\n');
    expect((await get(server.port, `/${'..%2f'.repeat(4000)}etc/passwd`)).status).toBe(431);
  });

  it('answers HEAD with the length and no body, and other methods with 405 and Allow: GET, HEAD', async () => {
    const head = await get(server.port, MODEL_URL_PATH, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect(Number(head.headers['content-length'])).toBe(readFileSync(shippedModelPath()).length);
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE']) {
      const refused = await get(server.port, '/web/page.js', method);
      expect(refused.status, method).toBe(405);
      expect(refused.headers.allow).toBe('GET, HEAD');
      expect(refused.headers['cross-origin-embedder-policy']).toBe('require-corp');
    }
  });

  it('says which port is taken and what to do', async () => {
    const taken = startPageServer({ files: new Map(), port: server.port });
    await expect(taken).rejects.toThrow(XcnnError);
    await expect(startPageServer({ files: new Map(), port: server.port })).rejects.toThrow(
      new RegExp(`^--port ${server.port}: port ${server.port} on 127\\.0\\.0\\.1 is already in use; .*--port N`),
    );
  });
});

/** `xcnn serve ARGS` running in a child process, once it has printed its URL. */
interface RunningServe {
  pid: number;
  port: number;
  stdout: () => string;
  stderr: () => string;
  stop: () => Promise<number | null>; // SIGINT, then the exit status
}

/** What serve says on stderr, once it is up, when it starts the page with the shipped model (no --model), the path as from the tests' folder: the package's, so data/mnist-small.safetensors. */
const SHIPPED_NOTICE = `using the shipped model ${relative(process.cwd(), shippedModelPath())} (pass --model to use yours)`;

async function startServe(...args: string[]): Promise<RunningServe> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const port = await new Promise<number>((done, fail) => {
    child.stdout.on('data', () => {
      const found = /the page is at http:\/\/[^ ]*:(\d+)\//.exec(stdout);
      if (found) done(Number(found[1]));
    });
    void exited.then((code) => fail(new Error(`xcnn serve exited with ${code} before printing a URL: ${stdout}${stderr}`)));
  });
  return {
    pid: child.pid!,
    port,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}

/** A process's resident set now and at its peak, in bytes (Linux: /proc/PID/status). */
function residentBytes(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (field: string) => 1024 * Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)![1]);
  return { now: kib('VmRSS'), peak: kib('VmHWM') };
}

/** GETs of `target`, all sent at once on their own connections: each answer's status, length and SHA-256 (bodies are not kept). */
function concurrentGets(port: number, target: string, count: number): Promise<Array<{ status: number; length: number; sha256: string }>> {
  return Promise.all(
    Array.from({ length: count }, () =>
      new Promise<{ status: number; length: number; sha256: string }>((done, fail) => {
        const req = request({ host: '127.0.0.1', port, path: target, agent: false }, (res) => {
          const hash = createHash('sha256');
          let length = 0;
          res.on('data', (chunk: Buffer) => {
            hash.update(chunk);
            length += chunk.length;
          });
          res.on('end', () => done({ status: res.statusCode ?? 0, length, sha256: hash.digest('hex') }));
          res.on('error', fail);
        });
        req.on('error', fail);
        req.end();
      }),
    ),
  );
}

describe('xcnn serve', () => {
  it('prints the URL, serves the page, and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const serve = await startServe();
    expect(serve.stdout()).toMatch(/^xcnn serve: the page is at http:\/\/127\.0\.0\.1:\d+\/ \(Ctrl-C stops\)$/m);
    expect((await get(serve.port, '/')).status).toBe(200);
    expect(await serve.stop()).toBe(0);
    expect(serve.stdout()).toMatch(/stopped/);
    expect(serve.stderr()).toBe(`${SHIPPED_NOTICE}\n`); // 127.0.0.1: no warning, only which model the page starts with
  });

  it('answers 1,000 concurrent requests for the model, each with the model\'s bytes, without memory growing with them', async () => {
    // A 1 MB model (the paper's network at widths 16, 32, 64), so that a copy per request would show.
    const network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 16, conv2Channels: 32, hidden: 64 });
    network.initialize(new Random(3));
    const modelPath = join(mkdtempSync(join(tmpdir(), 'xcnn-serve-')), 'wide.safetensors');
    saveModel(modelPath, network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES });
    const model = readFileSync(modelPath);
    const expected = createHash('sha256').update(model).digest('hex');
    const serve = await startServe('--model', modelPath);
    try {
      await concurrentGets(serve.port, MODEL_URL_PATH, 10); // warm up: the first connections, the JIT
      const before = residentBytes(serve.pid);
      const answers = await concurrentGets(serve.port, MODEL_URL_PATH, 1000);
      const after = residentBytes(serve.pid);
      expect(answers.filter((a) => a.status !== 200 || a.length !== model.length || a.sha256 !== expected)).toEqual([]);
      // By construction every answer sends the one buffer read at start-up. Had each request a copy of its
      // own, the peak could rise by up to 1,000 × the model (1 GB); an eighth of that is a generous ceiling
      // for what a thousand connections cost by themselves.
      const proportional = 1000 * model.length;
      const grown = after.peak - before.peak;
      console.log(`1,000 concurrent requests for the ${model.length}-byte model: peak RSS ${(before.peak / 2 ** 20).toFixed(1)} → ${(after.peak / 2 ** 20).toFixed(1)} MB (+${(grown / 2 ** 20).toFixed(1)} MB; a copy each could be +${(proportional / 2 ** 20).toFixed(0)} MB)`);
      expect(grown).toBeLessThan(proportional / 8);
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  }, 60_000);

  it('warns on stderr, in one line, when it listens beyond this machine (0.0.0.0, ::), not for localhost, ::1 or 127.x', async () => {
    const warning = (address: string, wildcard: boolean) =>
      `xcnn serve: warning: listening on ${address}${wildcard ? ' (every network interface)' : ''}: the page and the model mnist-small.safetensors can be reached from other machines; leave out --host to keep them to this one`;
    for (const [host, address] of [['0.0.0.0', '0.0.0.0'], ['::', '::']]) {
      const serve = await startServe('--host', host);
      expect(serve.stderr().trim().split('\n'), host).toEqual([SHIPPED_NOTICE, warning(address, true)]);
      expect(serve.stdout()).toContain(`the page is at http://127.0.0.1:${serve.port}/`); // the URL that opens it here
      expect((await get(serve.port, '/')).status).toBe(200);
      expect(await serve.stop()).toBe(0);
    }
    for (const host of ['localhost', '::1', '[::1]', '127.0.0.2']) {
      const serve = await startServe('--host', host);
      expect(serve.stderr(), host).toBe(`${SHIPPED_NOTICE}\n`);
      expect(await serve.stop()).toBe(0);
    }
  }, 120_000); // six starts, each reading the studio's data sets (85 MB) once: seconds each on a loaded machine

  it('refuses a blank --host, a bad --port, a --host not of this machine, and a --model that is missing, a FIFO, a folder, a device or not a model — each in one line, before listening', () => {
    const work = mkdtempSync(join(tmpdir(), 'xcnn-serve-'));
    spawnSync('mkfifo', [join(work, 'fifo.safetensors')]);
    mkdirSync(join(work, 'folder.safetensors'));
    writeFileSync(join(work, 'text.safetensors'), 'hello, world: not a model');
    const notModel = join(work, 'text.safetensors');
    const emptyHost = (host: string) => `error: --host: '${host}' is empty; give an address: 127.0.0.1 (the default) keeps the page to this machine, 0.0.0.0 opens it to the network`;
    const cases: Array<[string[], number, string]> = [
      [['--host', ''], 2, emptyHost('')],
      [['--host', '  '], 2, emptyHost('  ')],
      [['--host='], 2, emptyHost('')],
      [['--port', '70000'], 2, "error: --port: '70000' is not a whole number from 0 to 65535"],
      [['--port', 'abc'], 2, "error: --port: 'abc' is not a whole number from 0 to 65535"],
      [['--host', '999.1.1.1'], 1, 'error: --host 999.1.1.1: not an address of this machine; leave out --host for 127.0.0.1'],
      [['--model', '/nonexistent/model.safetensors'], 1, 'error: /nonexistent/model.safetensors: cannot read the model: no such file (train one with `xcnn train`)'],
      [['--model', join(work, 'fifo.safetensors')], 1, `error: ${join(work, 'fifo.safetensors')}: cannot read the model: not a regular file (a FIFO, a device or a socket); give the path of a file`],
      [['--model', join(work, 'folder.safetensors')], 1, `error: ${join(work, 'folder.safetensors')}: cannot read the model: is a directory, not a model file`],
      [['--model', '/dev/zero'], 1, 'error: /dev/zero: cannot read the model: not a regular file (a FIFO, a device or a socket); give the path of a file'],
      [['--model', notModel], 1, `error: ${notModel}: not a valid safetensors file: the header claims ${readFileSync(notModel).readBigUInt64LE(0)} bytes, over the 16777216-byte limit`],
    ];
    for (const [args, status, line] of cases) {
      // A server that started listening would not exit: the timeout would leave the status null.
      const port = args.some((arg) => arg.startsWith('--port')) ? [] : ['--port', '0'];
      const refused = spawnSync(process.execPath, [bin, 'serve', ...port, ...args], { encoding: 'utf8', timeout: 10_000 });
      expect(refused.status, args.join(' ')).toBe(status);
      expect(refused.stderr.trim().split('\n')).toEqual([line]);
      expect(refused.stdout).toBe('');
    }
  });

  it('refuses a port in use with one line naming the port', async () => {
    const holder = await startPageServer({ files: new Map(), port: 0 });
    try {
      const refused = spawnSync(process.execPath, [bin, 'serve', '--port', String(holder.port)], { encoding: 'utf8' });
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim().split('\n')).toEqual([`error: --port ${holder.port}: port ${holder.port} on 127.0.0.1 is already in use; stop what is using it, or choose another with --port N (--port 0 picks a free one)`]);
    } finally {
      await holder.close();
    }
  });
});
