/**
 * Writes a file so that a crash at any instant leaves either the old file or the new one under the
 * final name, never a half-written one: write a temporary file beside it, fsync it, rename it over the
 * target (atomic on POSIX file systems), then fsync the folder so the rename itself is durable.
 * `writeFileAtomic` takes the whole contents at once; `AtomicFileWriter` takes them piece by piece (a JSON
 * file of every test image's explanation, streamed instead of built as one string), with the same guarantee.
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

/**
 * A file written in pieces, atomically: `write` appends (buffered, so many small pieces cost few system
 * calls), `commit` makes the whole file appear under its name at once, `abort` leaves the old file as it
 * was. Until `commit`, nothing is under the final name but whatever was there before.
 */
export class AtomicFileWriter {
  private readonly temporary: string;
  private fd: number | null;
  private pending: string[] = [];
  private pendingLength = 0;

  /** Creates the temporary file beside `path` (and the folders to it). */
  constructor(readonly path: string, private readonly bufferChars = 1 << 20) {
    this.temporary = `${path}.${process.pid}.tmp`;
    try {
      ensureFolder(dirname(path));
      this.fd = openSync(this.temporary, 'w');
    } catch (error) {
      throw new XcnnError(`${path}: cannot write: ${(error as Error).message}`);
    }
  }

  write(text: string): void {
    this.pending.push(text);
    this.pendingLength += text.length;
    if (this.pendingLength >= this.bufferChars) this.flush();
  }

  /** Writes what is buffered, fsyncs, renames the temporary file over `path` and syncs the folder. */
  commit(): void {
    try {
      this.flush();
      fsyncSync(this.openFd());
      closeSync(this.openFd());
      this.fd = null;
      renameSync(this.temporary, this.path);
      syncFolder(dirname(this.path));
    } catch (error) {
      this.abort();
      throw error instanceof XcnnError ? error : new XcnnError(`${this.path}: cannot write: ${(error as Error).message}`);
    }
  }

  /** Closes and removes the temporary file; the file under `path` is left as it was. Safe to call twice. */
  abort(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
    this.pending = [];
    rmSync(this.temporary, { force: true });
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLength = 0;
    try {
      let written = 0;
      while (written < bytes.length) written += writeSync(this.openFd(), bytes, written, bytes.length - written);
    } catch (error) {
      this.abort();
      throw new XcnnError(`${this.path}: cannot write: ${(error as Error).message}`);
    }
  }

  private openFd(): number {
    if (this.fd === null) throw new XcnnError(`${this.path}: cannot write: the file was already committed or aborted`);
    return this.fd;
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
