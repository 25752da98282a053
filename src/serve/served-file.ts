/**
 * What the page's server sends: every allow-listed file read once, when the server starts, into one buffer
 * that every request for it shares — never read again per request.
 *
 * Why once rather than streamed per request: the set is small and fixed (about 80 files, 0.7 MB with the
 * shipped model), so the whole of it costs less memory than a few dozen concurrent 64 KB stream buffers
 * would; a thousand concurrent requests for the model share its one buffer (memory grows with the
 * connections, not with connections × file size); nothing on disk is opened after start-up, so no request
 * can make the server read anything, allowed or not; and the model sent is exactly the bytes `xcnn serve`
 * read and checked, not whatever the path holds later. The price: an edit to web/ or a rebuild shows after
 * a restart of the server.
 *
 * Each file gets a strong ETag (a SHA-256 of its bytes), so a browser revalidating (`Cache-Control:
 * no-cache`) gets 304 Not Modified instead of the bytes again, and a restarted server with other bytes is
 * never mistaken for the old one.
 */
import { createHash } from 'node:crypto';
import { readUserFile } from '../files/read-file.js';
import { contentTypeOf, MODEL_URL_PATH, pageFiles, type PageFiles } from './page-files.js';
import { datasetManifest, DATASETS_URL_PATH, pageDatasets, type ServedDataset } from './page-datasets.js';

export interface ServedFile {
  body: Buffer; // shared by every answer
  contentType: string;
  readonly etag: string; // strong: "sha256 of the body, base64url" (hashed on first use)
  headers?: Readonly<Record<string, string>>; // extra headers of this file (the model's file name)
}

/** URL path → what is sent for it. */
export type ServedFiles = ReadonlyMap<string, ServedFile>;

/** The largest page file read (the page's scripts and styles, the core modules, the kernels: all far smaller). */
export const MAX_PAGE_FILE_BYTES = 64 * 1024 * 1024;

/**
 * Bytes to send, with their type and ETag; `headers` adds headers of their own. The ETag is hashed when it is
 * first asked for, once: the data sets' 85 MB would otherwise hold up every start of the server by their hashing,
 * for files a session may never ask for (the bytes are in memory and never change, so the tag is the same).
 */
export function servedBytes(bytes: Uint8Array, contentType: string, headers?: Record<string, string>): ServedFile {
  const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let etag: string | undefined;
  return {
    body,
    contentType,
    get etag() {
      return (etag ??= `"${createHash('sha256').update(body).digest('base64url')}"`);
    },
    headers,
  };
}

/** Every file of an allow-list, read now (each a regular file of sane size, else a one-line error naming it). */
export function readServedFiles(files: PageFiles): Map<string, ServedFile> {
  const served = new Map<string, ServedFile>();
  for (const [path, file] of files) served.set(path, servedBytes(readUserFile(file, { what: 'a file of the page', maxBytes: MAX_PAGE_FILE_BYTES }), contentTypeOf(file)));
  return served;
}

/**
 * The model the page starts with: its bytes, sent with its file name in `Content-Disposition` (RFC 6266's
 * `filename*`, UTF-8 percent-encoded), so the page can name the model it really shows.
 */
export function servedModel(bytes: Uint8Array, fileName: string): ServedFile {
  return servedBytes(bytes, contentTypeOf(MODEL_URL_PATH), { 'Content-Disposition': `inline; filename*=UTF-8''${encodeRFC5987(fileName)}` });
}

/** RFC 5987's value-chars: percent-encoding that also escapes what encodeURIComponent leaves (' ( ) *). */
function encodeRFC5987(text: string): string {
  return encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * Everything the page's server sends: the page's files under `root`, the model (its bytes and file name),
 * and the data sets the studio trains on with their manifest (page-datasets.ts; default: this machine's).
 */
export function pageContent(root: string, model: { bytes: Uint8Array; fileName: string }, datasets: ServedDataset[] = pageDatasets()): ServedFiles {
  const served = readServedFiles(pageFiles(root));
  served.set(MODEL_URL_PATH, servedModel(model.bytes, model.fileName));
  for (const [path, file] of readServedFiles(new Map(datasets.flatMap(({ sources }) => [...sources])))) served.set(path, file);
  served.set(DATASETS_URL_PATH, servedBytes(datasetManifest(datasets.map(({ dataset }) => dataset)), contentTypeOf(DATASETS_URL_PATH)));
  return served;
}

/**
 * Whether an If-None-Match header names `etag` (RFC 9110 §13.1.2: `*`, or a list in which the weak
 * comparison finds it — a `W/` prefix is ignored).
 */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  if (ifNoneMatch.trim() === '*') return true;
  return ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
