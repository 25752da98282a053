/**
 * `xcnn serve`'s web server, without a browser: it sends the page's allow-listed files with their content
 * types and the cross-origin isolation headers, and nothing else — whatever the URL tries (`..`, encoded
 * or not, absolute paths, NUL, backslashes) — listens on 127.0.0.1 by default, says clearly when its port
 * is taken, and stops on Ctrl-C.
 */
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../src/files/package-root.js';
import { shippedModelPath } from '../src/model/model-io.js';
import { fileForRequest, importSpecifiers, MODEL_URL_PATH, pageFiles, type PageFiles } from '../src/serve/page-files.js';
import { startPageServer, type PageServer } from '../src/serve/page-server.js';
import { XcnnError } from '../src/errors.js';

const root = packageRoot();
const bin = join(root, 'bin', 'xcnn.js');

/** A GET of `target` sent as is (no normalisation by a URL class): status, headers and body. */
function get(port: number, target: string, method = 'GET'): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((done, fail) => {
    const req = request({ host: '127.0.0.1', port, path: target, method }, (res) => {
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
  const files: PageFiles = pageFiles(root, shippedModelPath());

  it('allows the page, the core modules it imports, the kernels, the model and the test digits', () => {
    const paths = [...files.keys()];
    for (const path of ['/', '/web/index.html', '/web/page.css', '/web/page.js', '/web/explainer-worker.js', '/dist/src/index.js', '/dist/src/render/overlay.js', '/build/kernels.wasm', '/build/kernels-relaxed.wasm', MODEL_URL_PATH, '/data/page-digits-images-idx3-ubyte']) {
      expect(paths).toContain(path);
    }
    console.log(`${paths.length} files allowed, ${paths.filter((p) => p.startsWith('/dist/src/')).length} of them core modules`);
  });

  it('allows no Node-only module, no source map, nothing from node_modules, no CLI, no package.json', () => {
    for (const path of files.keys()) {
      expect(path).not.toMatch(/node_modules|\/cli\/|\/node\.js$|package\.json|\.map$|\.ts$/);
      expect(path).toMatch(/^\/($|web\/|dist\/src\/|build\/kernels(-relaxed)?\.wasm$|data\/page-digits-|model\.safetensors$)/);
    }
    expect(files.has('/dist/src/node.js')).toBe(false);
    expect(files.has('/dist/src/backend/wasm/node.js')).toBe(false);
  });

  it('maps every allowed path to a file inside the package (the model: the file given)', () => {
    for (const [path, file] of files) {
      if (path === MODEL_URL_PATH) expect(file).toBe(shippedModelPath());
      else expect(file.startsWith(root + '/')).toBe(true);
    }
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

  it('refuses a model file that does not exist, naming it', () => {
    expect(() => pageFiles(root, '/no/such/model.safetensors')).toThrow(XcnnError);
    expect(() => pageFiles(root, '/no/such/model.safetensors')).toThrow(/\/no\/such\/model\.safetensors: cannot read the model: no such file/);
  });
});

describe('the page server (src/serve/page-server.ts)', () => {
  let server: PageServer;
  beforeAll(async () => {
    server = await startPageServer({ files: pageFiles(root, shippedModelPath()), port: 0 });
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
    const { readFileSync } = await import('node:fs');
    expect((await get(server.port, '/build/kernels.wasm')).body.equals(readFileSync(join(root, 'build/kernels.wasm')))).toBe(true);
    expect((await get(server.port, '/model.safetensors')).body.equals(readFileSync(shippedModelPath()))).toBe(true);
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

  it('answers HEAD without a body, and other methods with 405', async () => {
    const head = await get(server.port, '/web/page.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body.length).toBe(0);
    expect((await get(server.port, '/web/page.js', 'POST')).status).toBe(405);
  });

  it('says which port is taken and what to do', async () => {
    const taken = startPageServer({ files: new Map(), port: server.port });
    await expect(taken).rejects.toThrow(XcnnError);
    await expect(startPageServer({ files: new Map(), port: server.port })).rejects.toThrow(
      new RegExp(`^--port ${server.port}: port ${server.port} on 127\\.0\\.0\\.1 is already in use; .*--port N`),
    );
  });
});

describe('xcnn serve', () => {
  it('prints the URL, serves the page, and stops cleanly on Ctrl-C (SIGINT)', async () => {
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    const url = await new Promise<string>((done, fail) => {
      child.stdout.on('data', () => {
        const found = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stdout);
        if (found) done(found[0]);
      });
      child.once('exit', (code) => fail(new Error(`xcnn serve exited with ${code} before printing a URL: ${stdout}`)));
    });
    const port = Number(new URL(url).port);
    expect((await get(port, '/')).status).toBe(200);
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout).toMatch(/stopped/);
  });

  it('refuses a bad --port, a missing --model and a --host that is not this machine, each with one line', async () => {
    const { spawnSync } = await import('node:child_process');
    const cases: Array<[string[], number, string]> = [
      [['--port', '70000'], 2, "error: --port: '70000' is not a whole number from 0 to 65535"],
      [['--port', 'abc'], 2, "error: --port: 'abc' is not a whole number from 0 to 65535"],
      [['--model', '/nonexistent/model.safetensors', '--port', '0'], 1, 'error: /nonexistent/model.safetensors: cannot read the model: no such file (train one with `xcnn train`, or leave out --model for the shipped one)'],
      [['--host', '999.1.1.1', '--port', '0'], 1, 'error: --host 999.1.1.1: not an address of this machine; leave out --host for 127.0.0.1'],
      [['--model', '/dev/zero', '--port', '0'], 1, 'error: /dev/zero: cannot read the model: not a regular file (a FIFO, a device or a socket); give the path of a file'],
      [['--model', join(import.meta.dirname, '..', 'package.json'), '--port', '0'], 1, `error: ${join(import.meta.dirname, '..', 'package.json')}: not a valid safetensors file: the header claims ${readFileSync(join(import.meta.dirname, '..', 'package.json')).readBigUInt64LE(0)} bytes, over the 16777216-byte limit`],
    ];
    for (const [args, status, line] of cases) {
      const refused = spawnSync(process.execPath, [bin, 'serve', ...args], { encoding: 'utf8', timeout: 10_000 });
      expect(refused.status, args.join(' ')).toBe(status);
      expect(refused.stderr.trim().split('\n')).toEqual([line]);
    }
  });

  it('refuses a port in use with one line naming the port', async () => {
    const holder = await startPageServer({ files: new Map(), port: 0 });
    try {
      const { spawnSync } = await import('node:child_process');
      const refused = spawnSync(process.execPath, [bin, 'serve', '--port', String(holder.port)], { encoding: 'utf8' });
      expect(refused.status).toBe(1);
      expect(refused.stderr.trim().split('\n')).toEqual([`error: --port ${holder.port}: port ${holder.port} on 127.0.0.1 is already in use; stop what is using it, or choose another with --port N (--port 0 picks a free one)`]);
    } finally {
      await holder.close();
    }
  });
});
