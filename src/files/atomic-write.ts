/**
 * Writes a file so that a crash at any instant leaves either the old file or the new one under the
 * final name, never a half-written one: write a temporary file beside it, fsync it, rename it over the
 * target (atomic on POSIX file systems), then fsync the folder so the rename itself is durable.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { XcnnError } from '../errors.js';

export function writeFileAtomic(path: string, contents: Uint8Array | string): void {
  const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
  const temporary = `${path}.${process.pid}.tmp`;
  try {
    ensureFolder(dirname(path));
    const fd = openSync(temporary, 'w');
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
    syncFolder(dirname(path));
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new XcnnError(`${path}: cannot write: ${(error as Error).message}`);
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
    if (fd !== null) closeSync(fd);
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

/** Fails now, not after an hour of training, when `folder` cannot be created or written. */
export function checkWritableFolder(folder: string): void {
  const probe = join(folder, `.xcnn-write-test-${process.pid}`);
  try {
    ensureFolder(folder);
    closeSync(openSync(probe, 'w'));
    rmSync(probe, { force: true });
  } catch (error) {
    throw new XcnnError(`${folder}: cannot write there: ${(error as Error).message}`);
  }
}
