/**
 * Writes a file so that a crash at any instant leaves either the old file or the new one under the
 * final name, never a half-written one: write a temporary file beside it, fsync it, rename it over the
 * target (atomic on POSIX file systems), then fsync the folder so the rename itself is durable.
 *
 * When a step fails (a full disk, a folder that refuses the file, a rename that cannot happen), the
 * temporary file is removed and the error that reaches the user is that first failure: a close or a
 * removal that fails while cleaning up is ignored rather than allowed to replace it.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { XcnnError } from '../errors.js';

export function writeFileAtomic(path: string, contents: Uint8Array | string): void {
  const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    ensureFolder(dirname(path));
    writeAndSync(temporary, bytes);
    renameSync(temporary, path);
  } catch (error) {
    ignoreFailure(() => rmSync(temporary, { force: true }));
    throw new XcnnError(`${path}: cannot write: ${(error as Error).message}`, { cause: error });
  }
  syncFolder(dirname(path));
}

/** Writes every byte to a new file at `path` and fsyncs it; the file is closed whatever happens. */
function writeAndSync(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } catch (error) {
    ignoreFailure(() => closeSync(fd)); // the write's error is the one to report
    throw error;
  }
  closeSync(fd); // a failing close after a good fsync is a failed write like any other
}

/** Runs a clean-up step whose own failure must not hide the error being reported. */
function ignoreFailure(step: () => void): void {
  try {
    step();
  } catch {
    // the first error is reported; this one would only mask it
  }
}

function syncFolder(folder: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(folder, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms cannot fsync a folder; the rename is still atomic there.
  } finally {
    if (fd !== null) ignoreFailure(() => closeSync(fd!));
  }
}

/**
 * Creates a folder and its missing parents, one level at a time. (Node 20's `mkdirSync(…, { recursive:
 * true })` never returns under a parent that refuses new entries with ENOENT, such as /proc.)
 */
export function ensureFolder(folder: string): void {
  const missing: string[] = [];
  for (let dir = folder; !existsSync(dir); dir = dirname(dir)) {
    missing.push(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing.reverse()) mkdirSync(dir);
}
