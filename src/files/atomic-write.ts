/**
 * Writes a file so that a crash at any instant leaves either the old file or the new one under the
 * final name, never a half-written one: write a temporary file beside it, fsync it, rename it over the
 * target (atomic on POSIX file systems), then fsync the folder so the rename itself is durable.
 * `writeFileAtomic` takes the whole contents at once; `AtomicFileWriter` takes them piece by piece (a JSON
 * file of every test image's explanation, streamed instead of built as one string), with the same guarantee.
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

/**
 * A file written in pieces, atomically: `write` appends (buffered, so many small pieces cost few system
 * calls), `commit` makes the whole file appear under its name at once, `abort` leaves the old file as it
 * was. Until `commit`, nothing is under the final name but whatever was there before. A failing step
 * removes the temporary file and reports that first failure, as writeFileAtomic does.
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
      throw new XcnnError(`${path}: cannot write: ${(error as Error).message}`, { cause: error });
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
      const fd = this.openFd();
      fsyncSync(fd);
      this.fd = null;
      closeSync(fd); // a failing close after a good fsync is a failed write like any other
      renameSync(this.temporary, this.path);
    } catch (error) {
      this.abort();
      throw error instanceof XcnnError ? error : new XcnnError(`${this.path}: cannot write: ${(error as Error).message}`, { cause: error });
    }
    syncFolder(dirname(this.path));
  }

  /** Closes and removes the temporary file; the file under `path` is left as it was. Safe to call twice. */
  abort(): void {
    const fd = this.fd;
    this.fd = null;
    this.pending = [];
    if (fd !== null) ignoreFailure(() => closeSync(fd));
    ignoreFailure(() => rmSync(this.temporary, { force: true }));
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLength = 0;
    try {
      const fd = this.openFd();
      let written = 0;
      while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    } catch (error) {
      this.abort();
      throw error instanceof XcnnError ? error : new XcnnError(`${this.path}: cannot write: ${(error as Error).message}`, { cause: error });
    }
  }

  private openFd(): number {
    if (this.fd === null) throw new XcnnError(`${this.path}: cannot write: the file was already committed or aborted`);
    return this.fd;
  }
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
