/**
 * The page's web server: node:http sending the files of the allow-list (page-files.ts) and nothing else.
 *
 * It listens on 127.0.0.1 unless told otherwise, so the page is reachable from this machine only. Every
 * answer carries `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 * require-corp`: together they make the page cross-origin isolated, which browsers require before they
 * allow the shared WebAssembly.Memory the wasm backend runs on.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { XcnnError } from '../errors.js';
import { contentTypeOf, fileForRequest, type PageFiles } from './page-files.js';

export const DEFAULT_HOST = '127.0.0.1';

/** The headers of every answer, found or not. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
};

export interface PageServerOptions {
  files: PageFiles;
  host?: string; // default 127.0.0.1
  port?: number; // 0 picks a free port
}

export interface PageServer {
  url: string; // e.g. http://127.0.0.1:8080/
  port: number;
  close(): Promise<void>;
}

/** Answers one request: GET or HEAD of an allow-listed file, else 404 (or 405 for other methods). */
async function answer(request: IncomingMessage, response: ServerResponse, files: PageFiles): Promise<void> {
  for (const [name, value] of Object.entries(PAGE_HEADERS)) response.setHeader(name, value);
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  const file = fileForRequest(request.url ?? '', files);
  if (file === null) {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  let body: Buffer;
  try {
    body = await readFile(file);
  } catch {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  response.writeHead(200, { 'Content-Type': contentTypeOf(file), 'Content-Length': body.length });
  response.end(request.method === 'HEAD' ? undefined : body);
}

/**
 * Starts serving `files` on host:port. A port in use (or not ours to take) is an XcnnError naming the
 * port and what to do.
 */
export async function startPageServer(options: PageServerOptions): Promise<PageServer> {
  const host = options.host ?? DEFAULT_HOST;
  const port = options.port ?? 8080;
  const server: Server = createServer((request, response) => {
    answer(request, response, options.files).catch(() => response.destroy());
  });
  await new Promise<void>((done, fail) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') fail(new XcnnError(`--port ${port}: port ${port} on ${host} is already in use; stop what is using it, or choose another with --port N (--port 0 picks a free one)`));
      else if (error.code === 'EACCES') fail(new XcnnError(`--port ${port}: not allowed to listen on port ${port} on ${host}; choose a port above 1023 with --port N`));
      else if (error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND') fail(new XcnnError(`--host ${host}: not an address of this machine; leave out --host for 127.0.0.1`));
      else fail(error);
    });
    server.listen(port, host, () => done());
  });
  const bound = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${bound}/`,
    port: bound,
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
