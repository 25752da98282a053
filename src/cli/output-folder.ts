/**
 * The folder a command writes into (--out, or train's --resume), checked before the command reads a model
 * or data, so an hour of work never ends in "cannot write". Every command that writes calls
 * `checkOutputFolder` once, after its flags are read and before anything heavy: train, explain, report,
 * faithfulness (and any later command that writes files, such as an export).
 *
 * A missing folder is fine — it is created when the first file is written — as long as it could be: the check
 * creates the missing folders, makes a file in the folder, then removes what it made, so a command that fails
 * later leaves nothing behind. The file is an unnamed one (Linux's O_TMPFILE) where the file system allows it,
 * so an existing folder is not changed at all, not even its modification time; elsewhere a named probe file is
 * made and removed. (Asking with access(2) instead would say yes to root where the file system still says
 * no, as in /sys.)
 *
 * Exit statuses, one rule for every command:
 *   2  the path can never be a folder as given: it, or a folder above it, is a file, a device, a FIFO, a
 *      socket or a link to nothing — the command line has to change (a usage error);
 *   1  the path could be a folder but the file system refuses it: no permission, a read-only or full disk, a
 *      place such as /proc that takes no new entries — the place has to change, as with any file xcnn
 *      cannot read or write.
 */
import { closeSync, constants, lstatSync, mkdirSync, openSync, readlinkSync, rmdirSync, rmSync, statSync, type Stats } from 'node:fs';
import { dirname, join } from 'node:path';
import { usageError, XcnnError } from '../errors.js';

export interface OutputFolderOptions {
  /** The flag that names the folder (default 'out'). */
  flag?: string;
  /** How the message names the folder (default `--flag folder`), for one the user did not type. */
  name?: string;
  /** The folder of an earlier run, to be written into again (--resume), rather than one to create. */
  earlierRun?: boolean;
}

/** Refuses, in one line naming the flag and the folder, a folder this process cannot create or write into. */
export function checkOutputFolder(folder: string, options: OutputFolderOptions = {}): void {
  const flag = options.flag ?? 'out';
  const name = options.name ?? `--${flag} ${folder}`;
  const fixes = options.earlierRun
    ? { notFolder: "give the run's folder", unwritable: "copy the run's folder where you can write and resume the copy" }
    : { notFolder: 'give a folder (created if missing)', unwritable: `give another --${flag}` };
  const missing = missingFolders(folder, name, fixes);
  const created: string[] = [];
  try {
    for (const dir of missing) {
      mkdirSync(dir);
      created.push(dir);
    }
    makeFileIn(folder);
  } catch (error) {
    throw new XcnnError(`${name}: cannot write there: ${reason(error)}; ${fixes.unwritable}`, { code: 'ERR_FILE', cause: error });
  } finally {
    for (const dir of created.reverse()) {
      try {
        rmdirSync(dir); // only the folders this check made, and only while empty
      } catch {
        break; // something else wrote into it meanwhile: leave it and its parents
      }
    }
  }
}

/** Linux's O_TMPFILE (asm-generic's value): open(folder) makes a file with no name in it, gone when closed. */
const O_TMPFILE = 0o20000000;

/** Makes a file in `folder` and removes it again, or throws what the file system said. */
function makeFileIn(folder: string): void {
  if (process.platform === 'linux') {
    try {
      closeSync(openSync(folder, O_TMPFILE | constants.O_DIRECTORY | constants.O_WRONLY, 0o600));
      return;
    } catch (error) {
      // A file system (or kernel) without unnamed files says so: fall back to a named file. Any other answer is the folder's.
      if (!['EOPNOTSUPP', 'ENOTSUP', 'EISDIR', 'EINVAL'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    }
  }
  const probe = join(folder, `.xcnn-write-test-${process.pid}`);
  closeSync(openSync(probe, 'w'));
  rmSync(probe, { force: true });
}

/** What a refusal tells the user to do: for a path that can never be a folder, and for a place that refuses writing. */
interface Fixes {
  notFolder: string;
  unwritable: string;
}

/**
 * The folders from the first existing one (exclusive) down to `folder`, top first; a usage error when
 * `folder`, or the nearest existing path above it, is not a folder.
 */
function missingFolders(folder: string, name: string, fixes: Fixes): string[] {
  const fix = fixes.notFolder;
  const missing: string[] = [];
  for (let dir = folder; ; dir = dirname(dir)) {
    const stats = statOrNull(dir, name, fixes);
    if (stats !== null) {
      if (stats.isDirectory()) return missing.reverse();
      const kind = kindOf(stats);
      if (dir === folder) throw usageError(`${name}: is ${kind}, not a folder; ${fix}`);
      throw usageError(`${name}: ${dir} is ${kind}, not a folder, so nothing can be made in it; ${fix}`);
    }
    missing.push(dir);
    if (dirname(dir) === dir) return missing.reverse();
  }
}

/**
 * The path's stat (following links), or null when nothing is there; a link to nothing is a usage error, and
 * what else stops the look (a loop of links, no permission to look) the place's error.
 */
function statOrNull(path: string, name: string, fixes: Fixes): Stats | null {
  try {
    return statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR') return null; // a file further up: found as the walk goes up
    if (code !== 'ENOENT') throw new XcnnError(`${name}: cannot write there: ${reason(error)}; ${fixes.unwritable}`, { code: 'ERR_FILE', cause: error });
    let link: string | null = null;
    try {
      link = lstatSync(path).isSymbolicLink() ? readlinkSync(path) : null;
    } catch {
      // nothing at all is there
    }
    if (link !== null) throw usageError(`${name}: ${path} is a link to ${link}, which does not exist; ${fixes.notFolder}`);
    return null;
  }
}

function kindOf(stats: Stats): string {
  if (stats.isFile()) return 'a file';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  return 'not a folder';
}

/** What the file system said, in words, with its code for searching. */
function reason(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'a read-only file system',
    ENOSPC: 'no space left on the device',
    EDQUOT: 'over the disk quota',
    ENOENT: 'the file system takes no new entries there',
  };
  // Own keys only: `in` would find an object's inherited names too ('toString', 'constructor').
  return code !== undefined && Object.hasOwn(words, code) ? `${words[code]} (${code})` : message;
}
