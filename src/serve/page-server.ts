/**
 * The page's web server: node:http sending the files of the allow-list (page-files.ts), read once at
 * start-up (served-file.ts), and nothing else.
 *
 * It listens on 127.0.0.1 unless told otherwise, so the page is reachable from this machine only; an empty
 * host — which Node would take for every interface — is refused. Every answer carries
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`: together they
 * make the page cross-origin isolated, which browsers require before they allow the shared
 * WebAssembly.Memory the wasm backend runs on.
 *
 *   GET, HEAD of an allowed path     200 with Content-Length and a strong ETag (HEAD: no body);
 *                                    304 when If-None-Match names the ETag;
 *                                    206 with Content-Range for one byte range (`Range: bytes=A-B`, `A-`, `-N`),
 *                                    416 for a range past the end — the studio asks for the first images of a
 *                                    data set this way, not all 47 MB (several ranges, or an If-Range that is not
 *                                    the ETag: the whole file, 200, as RFC 9110 allows)
 *   any other path                   404 (`..`, encoded or not, absolute, NUL, backslash, too long: never looked up)
 *   a target that is no path         400 (Node's parser); headers past 16 KB: 431 (Node's parser)
 *   any other method                 405 with Allow: GET, HEAD
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIPv4, isIPv6, type AddressInfo } from 'node:net';
import { usageError, XcnnError } from '../errors.js';
import { fileForRequest } from './page-files.js';
import { etagMatches, type ServedFiles } from './served-file.js';

export const DEFAULT_HOST = '127.0.0.1';

/** The headers of every answer, found or not. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache', // revalidate (a 304 when unchanged), so a restarted server's files are always seen
};

export interface PageServerOptions {
  files: ServedFiles;
  host?: string; // default 127.0.0.1
  port?: number; // 0 picks a free port
}

export interface PageServer {
  url: string; // e.g. http://127.0.0.1:8080/ (for a wildcard address, the loopback URL that opens it here)
  port: number;
  address: string; // the address bound, e.g. 127.0.0.1, ::1, 0.0.0.0
  loopback: boolean; // whether only this machine can reach it
  close(): Promise<void>;
}

/**
 * The --host value, checked: an empty or blank one is a usage error, since Node would listen on every
 * interface for it — the opposite of what leaving the address out means here. An IPv6 address may be given
 * in URL brackets ([::1]).
 */
export function checkedHost(host: string): string {
  const address = /^\[.*\]$/.test(host) ? host.slice(1, -1) : host;
  if (address.trim() === '') throw usageError(`--host: '${host}' is empty; give an address: 127.0.0.1 (the default) keeps the page to this machine, 0.0.0.0 opens it to the network`);
  return address;
}

/**
 * Whether an address bound is reachable from this machine only: 127.0.0.0/8, ::1, and IPv4-mapped
 * 127.x. The wildcards (0.0.0.0, ::) and every other address are reachable from other machines.
 */
export function isLoopbackAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  const ipv4 = mapped ? mapped[1] : address;
  if (isIPv4(ipv4)) return ipv4.split('.')[0] === '127';
  if (!isIPv6(address)) return false;
  const groups = expandIPv6(address);
  return groups !== null && groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1;
}

/** An IPv6 address's eight 16-bit groups (null for a form with an embedded IPv4 part, never loopback except as handled above). */
function expandIPv6(address: string): number[] | null {
  if (address.includes('.')) return null;
  const [head, tail] = address.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = parse(head);
  const right = parse(tail);
  return tail === undefined ? left : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

/** Answers one request from the files in memory: nothing is read from disk here. */
function answer(request: IncomingMessage, response: ServerResponse, files: ServedFiles): void {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) response.setHeader(name, value);
  const text = (status: number, body: string, headers: Record<string, string> = {}): void => {
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers }).end(request.method === 'HEAD' ? undefined : body);
  };
  if (request.method !== 'GET' && request.method !== 'HEAD') return text(405, 'method not allowed\n', { Allow: 'GET, HEAD' });
  const file = fileForRequest(request.url ?? '', files);
  if (file === null) return text(404, 'not found\n');
  const headers = { 'Content-Type': file.contentType, ETag: file.etag, 'Accept-Ranges': 'bytes', ...file.headers };
  if (etagMatches(request.headers['if-none-match'], file.etag)) return void response.writeHead(304, headers).end();
  const size = file.body.length;
  const ifRange = request.headers['if-range'];
  const range = byteRange(request.headers.range, Array.isArray(ifRange) ? ifRange.join(',') : ifRange, file.etag, size);
  if (range === 'unsatisfiable') return text(416, 'range not satisfiable\n', { 'Content-Range': `bytes */${size}` });
  if (range !== null) {
    response.writeHead(206, { ...headers, 'Content-Range': `bytes ${range.first}-${range.last}/${size}`, 'Content-Length': range.last - range.first + 1 });
    return void response.end(request.method === 'HEAD' ? undefined : file.body.subarray(range.first, range.last + 1)); // a view: no copy
  }
  response.writeHead(200, { ...headers, 'Content-Length': size });
  response.end(request.method === 'HEAD' ? undefined : file.body);
}

/**
 * The one byte range a Range header asks of a file of `size` bytes (RFC 9110 §14.1.2), first and last
 * inclusive: null to send the whole file (no header, a unit other than bytes, several ranges, a malformed or
 * reversed one, or an If-Range that is not the file's ETag), 'unsatisfiable' for a range that starts past the
 * end or a suffix of zero bytes.
 */
export function byteRange(header: string | undefined, ifRange: string | undefined, etag: string, size: number): { first: number; last: number } | 'unsatisfiable' | null {
  if (header === undefined || (ifRange !== undefined && ifRange.trim() !== etag)) return null;
  const match = /^bytes=(\d{0,15})-(\d{0,15})$/.exec(header.trim());
  if (match === null || (match[1] === '' && match[2] === '')) return null;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? 'unsatisfiable' : { first: Math.max(0, size - suffix), last: size - 1 };
  }
  const first = Number(match[1]);
  if (match[2] !== '' && Number(match[2]) < first) return null; // reversed: not a range at all
  if (first >= size) return 'unsatisfiable';
  return { first, last: match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1) };
}

/**
 * Starts serving `files` on host:port. A blank host is a usage error; a port in use (or not ours to take)
 * or a host not of this machine is an XcnnError naming it and what to do.
 */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const host = checkedHost(options.host ?? DEFAULT_HOST);
  const port = options.port ?? 8080;
  const server: Server = createServer((request, response) => {
    try {
      answer(request, response, options.files);
    } catch {
      response.destroy();
    }
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') fail(new XcnnError(`--port ${port}: port ${port} on ${host} is already in use; stop what is using it, or choose another with --port N (--port 0 picks a free one)`));
      else if (error.code === 'EACCES') fail(new XcnnError(`--port ${port}: not allowed to listen on port ${port} on ${host}; choose a port above 1023 with --port N`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') fail(new XcnnError(`--host ${host}: not an address of this machine; leave out --host for 127.0.0.1`));
      else fail(error);
    });
    server.listen(port, host, () => done());
  });
  const bound = server.address() as AddressInfo;
  const shown = isWildcard(bound.address) ? DEFAULT_HOST : host;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${bound.port}/`,
    port: bound.port,
    address: bound.address,
    loopback: isLoopbackAddress(bound.address),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
