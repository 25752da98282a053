/**
 * Atomic writes when a step fails: the failure is injected into node:fs (a full disk on write, an I/O error
 * on fsync or close, a refused rename, a removal that fails too) or made real (a rename over a folder), and
 * every time the target keeps its old contents, the temporary file is gone (where it can be removed), and the
 * error the user sees is the first failure — never the clean-up's. Files written in pieces (AtomicFileWriter,
 * explain.json streamed an image at a time) keep the same promise: until `commit`, the file under its name is
 * whatever was there before; after it, the whole new contents; `abort` or a failure leaves the old file and no
 * temporary one behind.
 */
import * as fs from 'node:fs';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { AtomicFileWriter, writeFileAtomic } from '../src/files/atomic-write.js';
import { errorOf } from './errors.js';

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  const spy = <F extends (...args: never[]) => unknown>(f: F) => vi.fn(f);
  return { ...actual, writeSync: spy(actual.writeSync), fsyncSync: spy(actual.fsyncSync), closeSync: spy(actual.closeSync), renameSync: spy(actual.renameSync), rmSync: spy(actual.rmSync) };
});

/** An error as node:fs throws it: the code, then the message. */
function fsError(code: string, words: string, syscall: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${words}, ${syscall}`), { code, syscall });
}

/** A folder holding `target` with its old contents; returns the target's path. */
function folderWithOldFile(): string {
  const folder = mkdtempSync(join(tmpdir(), 'xcnn-atomic-'));
  const target = join(folder, 'model.safetensors');
  writeFileSync(target, 'old contents');
  return target;
}

/** Runs the write, which must fail; returns its error. */
function failedWrite(target: string): XcnnError {
  try {
    writeFileAtomic(target, 'new contents that never land');
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    expect((error as XcnnError).code).toBe('ERR_FILE');
    return error as XcnnError;
  }
  throw new Error('the write did not fail');
}

const leftovers = (target: string) => readdirSync(join(target, '..')).filter((name) => name.endsWith('.tmp'));

// A failure injected once and not reached must not leak into the next test: back to the real functions.
afterEach(() => {
  for (const f of [fs.writeSync, fs.fsyncSync, fs.closeSync, fs.renameSync, fs.rmSync]) vi.mocked(f).mockReset();
});

describe('writeFileAtomic when a step fails', () => {
  it('writes the new contents and leaves no temporary file when nothing fails', () => {
    const target = folderWithOldFile();
    writeFileAtomic(target, 'new contents');
    expect(readFileSync(target, 'utf8')).toBe('new contents');
    expect(leftovers(target)).toEqual([]);
  });

  it('a full disk on write: the old file stays, the temporary file is removed, the error is ENOSPC', () => {
    const target = folderWithOldFile();
    const full = fsError('ENOSPC', 'no space left on device', 'write');
    vi.mocked(fs.writeSync).mockImplementationOnce(() => {
      throw full;
    });
    const error = failedWrite(target);
    expect(error.message).toBe(`${target}: cannot write: ENOSPC: no space left on device, write`);
    expect(error.cause).toBe(full);
    expect(error.exitCode).toBe(1);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(leftovers(target)).toEqual([]);
  });

  it('a full disk, and then the close fails too: the error is still the full disk, and the temporary file is removed', () => {
    const target = folderWithOldFile();
    vi.mocked(fs.writeSync).mockImplementationOnce(() => {
      throw fsError('ENOSPC', 'no space left on device', 'write');
    });
    vi.mocked(fs.closeSync).mockImplementationOnce(() => {
      throw fsError('EIO', 'i/o error', 'close');
    });
    expect(failedWrite(target).message).toMatch(/cannot write: ENOSPC: no space left on device, write$/);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(leftovers(target)).toEqual([]);
  });

  it('an I/O error on fsync: the temporary file is removed and the error is EIO', () => {
    const target = folderWithOldFile();
    vi.mocked(fs.fsyncSync).mockImplementationOnce(() => {
      throw fsError('EIO', 'i/o error', 'fsync');
    });
    expect(failedWrite(target).message).toBe(`${target}: cannot write: EIO: i/o error, fsync`);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(leftovers(target)).toEqual([]);
  });

  it('a close that fails after a good write is a failed write: the temporary file is removed', () => {
    const target = folderWithOldFile();
    vi.mocked(fs.closeSync).mockImplementationOnce(() => {
      throw fsError('EIO', 'i/o error', 'close');
    });
    expect(failedWrite(target).message).toBe(`${target}: cannot write: EIO: i/o error, close`);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(leftovers(target)).toEqual([]);
  });

  it('a rename refused, and the removal refused too: the error is the rename\'s, not the removal\'s', () => {
    const target = folderWithOldFile();
    vi.mocked(fs.renameSync).mockImplementationOnce(() => {
      throw fsError('EACCES', 'permission denied', 'rename');
    });
    vi.mocked(fs.rmSync).mockImplementationOnce(() => {
      throw fsError('EBUSY', 'resource busy or locked', 'unlink');
    });
    const error = failedWrite(target);
    expect(error.message).toBe(`${target}: cannot write: EACCES: permission denied, rename`);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    // The removal really failed, so the temporary file is still there: nothing pretended otherwise.
    expect(leftovers(target)).toHaveLength(1);
  });

  it('a real rename failure — the target is a folder with a file in it — removes the temporary file and reports the rename', () => {
    const folder = mkdtempSync(join(tmpdir(), 'xcnn-atomic-'));
    const target = join(folder, 'report.html');
    mkdirSync(target);
    writeFileSync(join(target, 'keep'), 'inside');
    const error = failedWrite(target);
    expect(error.message).toMatch(new RegExp(`^${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot write: (EISDIR|ENOTEMPTY|EEXIST|EPERM)\\b.*rename`));
    expect(readFileSync(join(target, 'keep'), 'utf8')).toBe('inside');
    expect(readdirSync(folder)).toEqual(['report.html']);
  });
});

describe('AtomicFileWriter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xcnn-atomic-pieces-'));

  it('shows the old file until commit, then all of the new one, through buffer flushes', () => {
    const path = join(dir, 'streamed.json');
    writeFileSync(path, 'old');
    const writer = new AtomicFileWriter(path, 64); // a small buffer: many flushes before the commit
    const pieces = Array.from({ length: 500 }, (_, k) => `${k === 0 ? '[' : ','}${k}`);
    for (const piece of pieces) writer.write(piece);
    writer.write(']');
    expect(readFileSync(path, 'utf8')).toBe('old');
    writer.commit();
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(Array.from({ length: 500 }, (_, k) => k));
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the old file and no temporary one on abort', () => {
    const path = join(dir, 'kept.txt');
    writeFileSync(path, 'kept');
    const writer = new AtomicFileWriter(path, 4);
    writer.write('half a file');
    writer.abort();
    writer.abort();
    expect(readFileSync(path, 'utf8')).toBe('kept');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect(() => writer.commit()).toThrow(/kept\.txt: cannot write: the file was already committed or aborted/);
    expect(readFileSync(path, 'utf8')).toBe('kept');
  });

  it('a full disk in the middle: the old file stays, the temporary file is removed, the error is ENOSPC', () => {
    const target = folderWithOldFile();
    const full = fsError('ENOSPC', 'no space left on device', 'write');
    const writer = new AtomicFileWriter(target, 8);
    writer.write('four');
    vi.mocked(fs.writeSync).mockImplementationOnce(() => {
      throw full;
    });
    let error: unknown;
    try {
      writer.write('more than eight characters');
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(XcnnError);
    expect((error as XcnnError).message).toBe(`${target}: cannot write: ENOSPC: no space left on device, write`);
    expect((error as XcnnError).cause).toBe(full);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(leftovers(target)).toEqual([]);
  });

  it('a rename refused on commit: the old file stays and the temporary file is removed', () => {
    const target = folderWithOldFile();
    const writer = new AtomicFileWriter(target);
    writer.write('new contents that never land');
    vi.mocked(fs.renameSync).mockImplementationOnce(() => {
      throw fsError('EACCES', 'permission denied', 'rename');
    });
    expect(() => writer.commit()).toThrow(`${target}: cannot write: EACCES: permission denied, rename`);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
    expect(leftovers(target)).toEqual([]);
  });

  it('creates the folders on the way, and names the file when it cannot', () => {
    const path = join(dir, 'a', 'b', 'new.txt');
    const writer = new AtomicFileWriter(path);
    writer.write('text');
    writer.commit();
    expect(readFileSync(path, 'utf8')).toBe('text');
    expect(() => new AtomicFileWriter('/proc/xcnn-no/file.json')).toThrow(/^\/proc\/xcnn-no\/file\.json: cannot write: /);
    expect(existsSync('/proc/xcnn-no')).toBe(false);
  });
});

/** The descriptors this process holds open (Linux's /proc/self/fd), to show that none is left behind. */
const openDescriptors = () => readdirSync('/proc/self/fd').length;
const hasProcFd = existsSync('/proc/self/fd');

/** The error `action` throws, which must be an XcnnError with code ERR_FILE. */
const fileError = (action: () => unknown) => errorOf(action, 'ERR_FILE');

describe('what the file-io mutation run showed untested', () => {
  it('fsyncs the file and then its folder, and closes both descriptors', () => {
    const target = folderWithOldFile();
    const before = openDescriptors();
    writeFileAtomic(target, 'new contents');
    expect(vi.mocked(fs.fsyncSync)).toHaveBeenCalledTimes(2); // the temporary file's data, then the folder's entry for the rename
    expect(vi.mocked(fs.closeSync)).toHaveBeenCalledTimes(2);
    if (hasProcFd) expect(openDescriptors()).toBe(before);
    vi.mocked(fs.fsyncSync).mockClear();
    const writer = new AtomicFileWriter(join(target, '..', 'pieces.txt'));
    writer.write('text');
    writer.commit();
    expect(vi.mocked(fs.fsyncSync)).toHaveBeenCalledTimes(2);
    if (hasProcFd) expect(openDescriptors()).toBe(before);
  });

  it('closes the temporary file when a write fails, and when a writer aborts', () => {
    const target = folderWithOldFile();
    const before = openDescriptors();
    vi.mocked(fs.writeSync).mockImplementationOnce(() => {
      throw fsError('ENOSPC', 'no space left on device', 'write');
    });
    failedWrite(target);
    if (hasProcFd) expect(openDescriptors()).toBe(before);
    const writer = new AtomicFileWriter(target);
    if (hasProcFd) expect(openDescriptors()).toBe(before + 1);
    writer.abort();
    if (hasProcFd) expect(openDescriptors()).toBe(before);
    expect(readFileSync(target, 'utf8')).toBe('old contents');
  });

  it('goes on after a short write from where it stopped, whole file and in pieces', async () => {
    const actual = await vi.importActual<typeof import('node:fs')>('node:fs');
    // The system writes only the first 3 bytes; the rest must follow from byte 3.
    const shortWrite = (fd: number, buffer: Uint8Array, offset: number, length: number) => actual.writeSync(fd, buffer, offset, Math.min(length, 3));
    const target = folderWithOldFile();
    vi.mocked(fs.writeSync).mockImplementationOnce(shortWrite as never);
    writeFileAtomic(target, 'new contents, é included');
    expect(readFileSync(target, 'utf8')).toBe('new contents, é included');
    vi.mocked(fs.writeSync).mockImplementationOnce(shortWrite as never);
    const writer = new AtomicFileWriter(target);
    writer.write('pieces, ');
    writer.write('written short');
    writer.commit();
    expect(readFileSync(target, 'utf8')).toBe('pieces, written short');
  });

  it('flushes once the buffered text reaches bufferChars, not before', () => {
    const path = join(folderWithOldFile(), '..', 'flushed.txt');
    const temporary = `${path}.${process.pid}.tmp`;
    const writer = new AtomicFileWriter(path, 4);
    writer.write('abc');
    expect(readFileSync(temporary, 'utf8')).toBe(''); // 3 characters: still buffered
    writer.write('d');
    expect(readFileSync(temporary, 'utf8')).toBe('abcd'); // 4 = bufferChars: written
    writer.write('e');
    expect(readFileSync(temporary, 'utf8')).toBe('abcd');
    writer.commit();
    expect(readFileSync(path, 'utf8')).toBe('abcde');
  });

  it('gives every failure of a writer the code ERR_FILE: opening, writing, renaming, and a second commit', () => {
    expect(fileError(() => new AtomicFileWriter('/proc/xcnn-no/file.json')).message).toMatch(/^\/proc\/xcnn-no\/file\.json: cannot write: /);
    const target = folderWithOldFile();
    const full = new AtomicFileWriter(target, 2);
    vi.mocked(fs.writeSync).mockImplementationOnce(() => {
      throw fsError('ENOSPC', 'no space left on device', 'write');
    });
    expect(fileError(() => full.write('abc')).message).toBe(`${target}: cannot write: ENOSPC: no space left on device, write`);
    const renamed = new AtomicFileWriter(target);
    renamed.write('x');
    vi.mocked(fs.renameSync).mockImplementationOnce(() => {
      throw fsError('EACCES', 'permission denied', 'rename');
    });
    expect(fileError(() => renamed.commit()).message).toBe(`${target}: cannot write: EACCES: permission denied, rename`);
    const twice = new AtomicFileWriter(target);
    twice.commit();
    expect(fileError(() => twice.commit()).message).toBe(`${target}: cannot write: the file was already committed or aborted`);
    expect(readFileSync(target, 'utf8')).toBe('');
  });
});
