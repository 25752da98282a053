/**
 * The page's web server in-process (src/serve/page-server.ts), on a few files of a few bytes each: every status
 * it answers with and the headers of each, byte ranges worked out by hand, the host and port it listens on,
 * each refusal's one line, and a connection caught mid-request when it stops. (test/serve.test.ts serves the real
 * package, and runs `xcnn serve` itself.)
 */
import { request } from 'node:http';
import { connect, Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { byteRange, checkedHost, DEFAULT_HOST, isLoopbackAddress, PAGE_HEADERS, startPageServer, type PageServer } from '../src/serve/page-server.js';
import { servedBytes, servedModel, type ServedFile } from '../src/serve/served-file.js';
import { errorOf, rejection } from './errors.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request for `target` sent as is: status, headers and body (as text). */
function get(port: number, target: string, method = 'GET', headers: Record<string, string> = {}, host = '127.0.0.1'): Promise<Answer> {
  return new Promise((done, fail) => {
    const req = request({ host, port, path: target, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('latin1') }));
    });
    req.on('error', fail);
    req.end();
  });
}

/** The headers every answer carries, as Node's client lower-cases them. */
const ISOLATION = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

const TEXT = '0123456789'; // ten bytes: ranges are easy to work out by hand
const files = new Map<string, ServedFile>([
  ['/', servedBytes(Buffer.from('<!doctype html>'), 'text/html; charset=utf-8')],
  ['/digits.txt', servedBytes(Buffer.from(TEXT), 'text/plain')],
  ['/model.safetensors', servedModel(Buffer.from('MODEL'), 'my model.safetensors')],
  ['/empty', servedBytes(new Uint8Array(0), 'application/octet-stream')],
]);
const etag = files.get('/digits.txt')!.etag;

describe('the page server\'s answers', () => {
  let server: PageServer;
  beforeAll(async () => {
    server = await startPageServer({ files, port: 0 });
  });
  afterAll(() => server.close());

  it('sends an allowed file whole: 200, its type, length, tag, Accept-Ranges and the isolation headers', async () => {
    const answer = await get(server.port, '/digits.txt');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe(TEXT);
    expect(answer.headers).toMatchObject({ ...ISOLATION, 'content-type': 'text/plain', 'content-length': '10', etag, 'accept-ranges': 'bytes' });
    expect(answer.headers['content-range']).toBeUndefined();
    expect(PAGE_HEADERS).toEqual({
      'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp', 'Cross-Origin-Resource-Policy': 'same-origin',
      'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache',
    });
  });

  it('sends a file\'s own headers with it (the model\'s name), and the page at /', async () => {
    const model = await get(server.port, '/model.safetensors');
    expect([model.status, model.body, model.headers['content-disposition']]).toEqual([200, 'MODEL', "inline; filename*=UTF-8''my%20model.safetensors"]);
    expect((await get(server.port, '/')).body).toBe('<!doctype html>');
    expect((await get(server.port, '/digits.txt')).headers['content-disposition']).toBeUndefined();
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const head = await get(server.port, '/digits.txt', 'HEAD');
    expect([head.status, head.body, head.headers['content-length'], head.headers.etag]).toEqual([200, '', '10', etag]);
    const missing = await get(server.port, '/nothing', 'HEAD');
    expect([missing.status, missing.body, missing.headers['content-length']]).toEqual([404, '', '10']);
  });

  it('answers an unknown or refused path with 404 "not found", in plain text, with the isolation headers', async () => {
    for (const target of ['/nothing', '/digits.txt/', '/%2e%2e/digits.txt', '/a/../digits.txt', '/digits.txt%00']) {
      const answer = await get(server.port, target);
      expect([answer.status, answer.body], target).toEqual([404, 'not found\n']);
      expect(answer.headers).toMatchObject({ ...ISOLATION, 'content-type': 'text/plain; charset=utf-8', 'content-length': '10' });
    }
  });

  it('answers any method but GET and HEAD with 405, Allow: GET, HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const answer = await get(server.port, '/digits.txt', method);
      expect([answer.status, answer.body, answer.headers.allow], method).toEqual([405, 'method not allowed\n', 'GET, HEAD']);
      expect(answer.headers).toMatchObject({ ...ISOLATION, 'content-type': 'text/plain; charset=utf-8', 'content-length': '19' });
    }
  });

  it('answers 304 with the headers and no body when If-None-Match names the tag', async () => {
    const answer = await get(server.port, '/digits.txt', 'GET', { 'If-None-Match': `"x", ${etag}` });
    expect([answer.status, answer.body]).toEqual([304, '']);
    expect(answer.headers).toMatchObject({ ...ISOLATION, etag, 'content-type': 'text/plain', 'accept-ranges': 'bytes' });
    expect((await get(server.port, '/model.safetensors', 'GET', { 'If-None-Match': '*' })).headers['content-disposition']).toBe("inline; filename*=UTF-8''my%20model.safetensors");
    expect((await get(server.port, '/digits.txt', 'GET', { 'If-None-Match': '"x"' })).status).toBe(200);
  });

  it('sends one range with 206, Content-Range and its length; HEAD without the bytes', async () => {
    const cases: Array<[string, string, string]> = [['bytes=2-4', '234', 'bytes 2-4/10'], ['bytes=7-', '789', 'bytes 7-9/10'], ['bytes=-2', '89', 'bytes 8-9/10'], ['bytes=0-99', TEXT, 'bytes 0-9/10']];
    for (const [range, body, contentRange] of cases) {
      const answer = await get(server.port, '/digits.txt', 'GET', { Range: range });
      expect([answer.status, answer.body, answer.headers['content-range'], answer.headers['content-length']], range).toEqual([206, body, contentRange, String(body.length)]);
      expect(answer.headers).toMatchObject({ ...ISOLATION, etag, 'content-type': 'text/plain', 'accept-ranges': 'bytes' });
    }
    const head = await get(server.port, '/digits.txt', 'HEAD', { Range: 'bytes=1-3' });
    expect([head.status, head.body, head.headers['content-length'], head.headers['content-range']]).toEqual([206, '', '3', 'bytes 1-3/10']);
    expect((await get(server.port, '/digits.txt', 'GET', { Range: 'bytes=1-3', 'If-Range': etag })).body).toBe('123');
    expect((await get(server.port, '/model.safetensors', 'GET', { Range: 'bytes=0-1' })).headers['content-disposition']).toBe("inline; filename*=UTF-8''my%20model.safetensors");
  });

  it('answers a range past the end with 416 and Content-Range bytes */size; sends the whole file for a range it does not take', async () => {
    const past = await get(server.port, '/digits.txt', 'GET', { Range: 'bytes=10-' });
    expect([past.status, past.body, past.headers['content-range']]).toEqual([416, 'range not satisfiable\n', 'bytes */10']);
    expect(past.headers).toMatchObject({ ...ISOLATION, 'content-type': 'text/plain; charset=utf-8', 'content-length': '22' });
    expect((await get(server.port, '/empty', 'GET', { Range: 'bytes=-1' })).headers['content-range']).toBe('bytes */0');
    const ignored: Array<Record<string, string>> = [{ Range: 'bytes=0-1,3-4' }, { Range: 'bytes=4-2' }, { Range: 'items=0-1' }, { Range: 'bytes=0-1', 'If-Range': '"other"' }];
    for (const headers of ignored) {
      const whole = await get(server.port, '/digits.txt', 'GET', headers);
      expect([whole.status, whole.body, whole.headers['content-length']], JSON.stringify(headers)).toEqual([200, TEXT, '10']);
    }
  });
});

describe('the byte range a Range header asks for (byteRange), worked out by hand for a file of 10 bytes', () => {
  it.each([
    ['bytes=0-4', { first: 0, last: 4 }], [' bytes=2-3 ', { first: 2, last: 3 }], ['bytes=3-3', { first: 3, last: 3 }], ['bytes=9-9', { first: 9, last: 9 }],
    ['bytes=4-100', { first: 4, last: 9 }], ['bytes=4-9', { first: 4, last: 9 }], ['bytes=5-', { first: 5, last: 9 }], ['bytes=0-', { first: 0, last: 9 }], ['bytes=-3', { first: 7, last: 9 }],
    ['bytes=-10', { first: 0, last: 9 }], ['bytes=-30', { first: 0, last: 9 }], ['bytes=-1', { first: 9, last: 9 }],
    ['bytes=10-', 'unsatisfiable'], ['bytes=10-20', 'unsatisfiable'], ['bytes=123456789012345-', 'unsatisfiable'], ['bytes=-0', 'unsatisfiable'],
    ['bytes=-', null], ['bytes=3-2', null], ['bytes=0-1,3-4', null], ['bytes=1234567890123456-', null], ['bytes=0-1234567890123456', null], ['Bytes=0-1', null], ['xbytes=0-1', null],
    ['bytes=0-1x', null], ['bytes=a-b', null], ['bytes 0-1', null], ['bytes=+1-2', null],
  ])('%j → %j', (header, range) => {
    expect(byteRange(header, undefined, '"e"', 10)).toEqual(range);
  });

  it('sends the whole file without a header, and with an If-Range that is not the tag', () => {
    expect(byteRange(undefined, undefined, '"e"', 10)).toBeNull();
    expect(byteRange(undefined, '"e"', '"e"', 10)).toBeNull();
    expect(byteRange('bytes=0-4', '"e"', '"e"', 10)).toEqual({ first: 0, last: 4 });
    expect(byteRange('bytes=0-4', ' "e" ', '"e"', 10)).toEqual({ first: 0, last: 4 });
    expect(byteRange('bytes=0-4', '"f"', '"e"', 10)).toBeNull();
    expect(byteRange('bytes=0-4', 'W/"e"', '"e"', 10)).toBeNull(); // If-Range compares strongly
  });

  it('finds nothing to send of an empty file', () => {
    expect(byteRange('bytes=-5', undefined, '"e"', 0)).toBe('unsatisfiable');
    expect(byteRange('bytes=0-', undefined, '"e"', 0)).toBe('unsatisfiable');
    expect(byteRange('bytes=-5', undefined, '"e"', 1)).toEqual({ first: 0, last: 0 });
  });
});

describe('where the server listens', () => {
  it('refuses a blank host as a usage error, and takes an IPv6 address in brackets', () => {
    for (const host of ['', ' ', '[]', '[ ]']) {
      const error = errorOf(() => checkedHost(host), 'ERR_BAD_ARGUMENT');
      expect(error.message).toBe(`--host: '${host}' is empty; give an address: 127.0.0.1 (the default) keeps the page to this machine, 0.0.0.0 opens it to the network`);
      expect(error.exitCode).toBe(2);
    }
    expect(checkedHost('[::1]')).toBe('::1');
    expect(checkedHost('::1')).toBe('::1');
    expect(checkedHost('[::1')).toBe('[::1');
    expect(checkedHost('[::1]x')).toBe('[::1]x');
    expect(checkedHost('x[::1]')).toBe('x[::1]');
    expect(checkedHost('localhost')).toBe('localhost');
  });

  it.each([
    ['127.0.0.1', true], ['127.255.0.9', true], ['::1', true], ['0:0:0:0:0:0:0:1', true], ['0::1', true], ['::0:1', true], ['::ffff:127.0.0.1', true], ['::FFFF:127.1.2.3', true],
    ['0.0.0.0', false], ['::', false], ['126.0.0.1', false], ['1.127.0.0', false], ['::2', false], ['::1:0', false], ['1::1', false], ['0:0:0:0:0:0:1:1', false], ['1:0:0:0:0:0:0:1', false],
    ['::ffff:127.10.20.30', true], ['::ffff:127.0.0.12x', false], ['1::ffff:127.0.0.1', false], ['0:0:0:0:0:0:0:1:5', false], ['::1.2.3.4', false],
    ['::ffff:10.0.0.1', false], ['::0.0.0.1', false], ['::127.0.0.1', false], ['fe80::1', false], ['localhost', false], ['', false],
  ])('counts %j as loopback: %s', (address, loopback) => {
    expect(isLoopbackAddress(address)).toBe(loopback);
  });

  it('listens on 127.0.0.1 by default, on the port --port 0 picked', async () => {
    const server = await startPageServer({ files, port: 0 });
    try {
      expect(DEFAULT_HOST).toBe('127.0.0.1');
      expect(server.port).toBeGreaterThan(0);
      expect([server.url, server.address, server.loopback]).toEqual([`http://127.0.0.1:${server.port}/`, '127.0.0.1', true]);
    } finally {
      await server.close();
    }
  });

  it('listens on port 8080 when no port is given (or says that 8080 is taken)', async () => {
    try {
      const server = await startPageServer({ files });
      await server.close();
      expect(server.port).toBe(8080);
    } catch (error) {
      expect((error as Error).message).toMatch(/^--port 8080: port 8080 on 127\.0\.0\.1 is already in use; /);
    }
  });

  it('gives an IPv6 address its URL brackets, and the wildcards the loopback URL that opens the page here', async () => {
    const v6 = await startPageServer({ files, host: '[::1]', port: 0 });
    try {
      expect([v6.url, v6.address, v6.loopback]).toEqual([`http://[::1]:${v6.port}/`, '::1', true]);
      expect((await get(v6.port, '/digits.txt', 'GET', {}, '::1')).body).toBe(TEXT);
    } finally {
      await v6.close();
    }
    const any = await startPageServer({ files, host: '0.0.0.0', port: 0 });
    try {
      expect([any.url, any.address, any.loopback]).toEqual([`http://127.0.0.1:${any.port}/`, '0.0.0.0', false]);
    } finally {
      await any.close();
    }
    const anyV6 = await startPageServer({ files, host: '::', port: 0 });
    try {
      expect([anyV6.url, anyV6.address, anyV6.loopback]).toEqual([`http://127.0.0.1:${anyV6.port}/`, '::', false]);
    } finally {
      await anyV6.close();
    }
  });

  it('refuses a port in use and a host not of this machine, each in one line naming it', async () => {
    const holder = await startPageServer({ files, port: 0 });
    try {
      const taken = await rejection(startPageServer({ files, port: holder.port }));
      expect(taken.message).toBe(`--port ${holder.port}: port ${holder.port} on 127.0.0.1 is already in use; stop what is using it, or choose another with --port N (--port 0 picks a free one)`);
    } finally {
      await holder.close();
    }
    for (const host of ['192.0.2.1', '999.1.1.1']) {
      const elsewhere = await rejection(startPageServer({ files, host, port: 0 }));
      expect(elsewhere.message).toBe(`--host ${host}: not an address of this machine; leave out --host for 127.0.0.1`);
    }
    await expect(startPageServer({ files, port: 70_000 })).rejects.toMatchObject({ code: 'ERR_SOCKET_BAD_PORT' }); // Node's own error, passed on
    await expect(startPageServer({ files, host: 'fe80::1', port: 0 })).rejects.toMatchObject({ code: 'EINVAL' }); // a link-local address without its zone: Node's error too
  });

  it('refuses a port it may not take (EACCES) and a host whose lookup failed for now (EAI_AGAIN), each in its line', async () => {
    // Root may listen on any port and this machine's lookups do not fail, so listen is played: it fails as Node's
    // does, with an 'error' event carrying the code (node:http's server listens through net.Server's listen).
    for (const [code, port, host, message] of [
      ['EACCES', 80, '127.0.0.1', '--port 80: not allowed to listen on port 80 on 127.0.0.1; choose a port above 1023 with --port N'],
      ['EAI_AGAIN', 0, 'example.invalid', '--host example.invalid: not an address of this machine; leave out --host for 127.0.0.1'],
    ] as const) {
      const listen = vi.spyOn(Server.prototype, 'listen').mockImplementationOnce(function (this: Server) {
        process.nextTick(() => this.emit('error', Object.assign(new Error(`listen ${code}`), { code })));
        return this;
      });
      try {
        const refused = await rejection(startPageServer({ files, host, port }));
        expect(refused.message).toBe(message);
        expect(listen).toHaveBeenCalledTimes(1);
      } finally {
        listen.mockRestore();
      }
    }
  });

  it('drops the connection when a file cannot be answered, and keeps serving the others', async () => {
    const broken: ServedFile = { body: Buffer.from('x'), contentType: 'text/plain', get etag(): string { throw new Error('no tag'); } };
    const server = await startPageServer({ files: new Map([['/broken', broken], ...files]), port: 0 });
    try {
      await expect(get(server.port, '/broken')).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect((await get(server.port, '/digits.txt')).body).toBe(TEXT);
    } finally {
      await server.close();
    }
  });

  it('closes a connection caught halfway through a request when it stops', async () => {
    const server = await startPageServer({ files, port: 0 });
    const socket = connect(server.port, '127.0.0.1');
    await new Promise<void>((done) => socket.once('connect', () => done()));
    const closed = new Promise<void>((done) => socket.once('close', () => done()));
    socket.on('error', () => {}); // the server resets it: the close is what counts
    socket.write('GET /digits.txt HTTP/1.1\r\nHost: x\r\n'); // the request's headers never end
    await new Promise((done) => setImmediate(done));
    await server.close();
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
