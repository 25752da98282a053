/**
 * Reading a file a user names, without trusting it: the path is stat-ed first, so a folder, a FIFO, a
 * device such as /dev/zero or /dev/urandom, or a socket is a one-line error rather than a hang or an
 * endless read, and a file larger than its format can be is refused before anything is allocated. Only
 * then is it read — at most the size stat reported.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { XcnnError } from '../errors.js';

export interface UserFile {
  /** What the file is, for the message: 'the model' → "FILE: cannot read the model: …" ('' → "cannot read: …"). */
  what: string;
  /** The largest the file may be, in bytes: what its format allows. */
  maxBytes: number;
  /** The reason given when there is no such file (default 'no such file'). */
  missing?: string;
  /** The reason given for a folder (default 'is a directory'). */
  folder?: string;
}

export function readUserFile(path: string, file: UserFile): Uint8Array {
  const fail = (why: string) => new XcnnError(`${path}: cannot read${file.what === '' ? '' : ` ${file.what}`}: ${why}`, { code: 'ERR_FILE' });
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO that has no writer must not wait for one (regular files ignore the flag).
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw fail(reason(error, file));
  }
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw fail(file.folder ?? 'is a directory');
    if (!stats.isFile()) throw fail('not a regular file (a FIFO, a device or a socket); give the path of a file');
    if (stats.size > file.maxBytes) throw fail(`it is ${stats.size} bytes, more than the ${file.maxBytes} such a file can be`);
    const bytes = new Uint8Array(stats.size);
    let read = 0;
    while (read < bytes.length) {
      const count = readSync(fd, bytes, read, bytes.length - read, read);
      if (count === 0) break; // the file shrank while it was read: what is there is checked by its parser
      read += count;
    }
    return read === bytes.length ? bytes : bytes.subarray(0, read);
  } catch (error) {
    if (error instanceof XcnnError) throw error;
    throw fail(reason(error, file));
  } finally {
    closeSync(fd);
  }
}

function reason(error: unknown, file: UserFile): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return file.missing ?? 'no such file';
  if (code === 'EISDIR') return file.folder ?? 'is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message;
}
