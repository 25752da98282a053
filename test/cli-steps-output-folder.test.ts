/**
 * The --out check (src/cli/output-folder.ts) beyond test/output-folder.test.ts: how it tries a folder (an
 * unnamed file on Linux, a named probe where the file system has none), the words it gives each answer of the
 * file system (one by one, made by a wrapped node:fs), the fixes it names for --resume's earlier run, a link to
 * nothing further up, a loop of links, and a FIFO and a socket where a folder should be. Every message is asserted
 * whole; nothing is left behind.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { constants, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { checkOutputFolder } from '../src/cli/output-folder.js';
import { errorOf } from './errors.js';

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, mkdirSync: vi.fn(actual.mkdirSync), openSync: vi.fn(actual.openSync) };
});

afterEach(() => {
  vi.mocked(fs.mkdirSync).mockReset();
  vi.mocked(fs.openSync).mockReset();
});

const scratch = () => mkdtempSync(join(tmpdir(), 'xcnn-out-steps-'));

/** Linux's O_TMPFILE, from the kernel's asm-generic/fcntl.h (__O_TMPFILE 020000000, with O_DIRECTORY). */
const LINUX_O_TMPFILE = 0o20000000;

/** An error as node:fs throws it: the code, then the message. */
function fsError(code: string | undefined, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), code === undefined ? {} : { code });
}

/** The real node:fs functions the wrappers stand for. */
const real = await vi.importActual<typeof import('node:fs')>('node:fs');

describe('how the check tries a folder', () => {
  it('makes an unnamed file (O_TMPFILE) in an existing folder on Linux, and nothing with a name', () => {
    vi.mocked(fs.openSync).mockImplementation(real.openSync);
    const folder = scratch();
    checkOutputFolder(folder);
    expect(vi.mocked(fs.openSync).mock.calls).toEqual([[folder, LINUX_O_TMPFILE | constants.O_DIRECTORY | constants.O_WRONLY, 0o600]]);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('falls back to a named probe file, removed again, where the file system has no unnamed files', () => {
    for (const code of ['EOPNOTSUPP', 'ENOTSUP', 'EISDIR', 'EINVAL']) {
      const folder = scratch();
      vi.mocked(fs.openSync).mockReset().mockImplementation(real.openSync).mockImplementationOnce(() => {
        throw fsError(code, `${code}: not here, open`);
      });
      checkOutputFolder(folder);
      expect(vi.mocked(fs.openSync).mock.calls[1]).toEqual([join(folder, `.xcnn-write-test-${process.pid}`), 'w']);
      expect(readdirSync(folder)).toEqual([]);
    }
  });

  it('takes any other answer to the unnamed file as the folder\'s, and refuses it', () => {
    const folder = scratch();
    vi.mocked(fs.openSync).mockImplementationOnce(() => {
      throw fsError('EACCES', 'EACCES: permission denied, open');
    });
    const error = errorOf(() => checkOutputFolder(folder), 'ERR_FILE');
    expect([error.exitCode, error.message]).toEqual([1, `--out ${folder}: cannot write there: permission denied (EACCES); give another --out`]);
    expect(vi.mocked(fs.openSync)).toHaveBeenCalledTimes(1);
  });

  it('refuses a folder whose named probe cannot be made', () => {
    const folder = scratch();
    vi.mocked(fs.openSync)
      .mockImplementationOnce(() => {
        throw fsError('EOPNOTSUPP', 'EOPNOTSUPP: operation not supported, open');
      })
      .mockImplementationOnce(() => {
        throw fsError('EROFS', 'EROFS: read-only file system, open');
      });
    expect(errorOf(() => checkOutputFolder(folder)).message).toBe(`--out ${folder}: cannot write there: a read-only file system (EROFS); give another --out`);
  });
});

describe('the words for what the file system says', () => {
  const cases: Array<[string | undefined, string]> = [
    ['EACCES', 'permission denied (EACCES)'],
    ['EPERM', 'operation not permitted (EPERM)'],
    ['EROFS', 'a read-only file system (EROFS)'],
    ['ENOSPC', 'no space left on the device (ENOSPC)'],
    ['EDQUOT', 'over the disk quota (EDQUOT)'],
    ['ENOENT', 'the file system takes no new entries there (ENOENT)'],
    ['EIO', 'EIO: i/o error, mkdir'],
    ['toString', 'toString: i/o error, mkdir'], // a code that is a property of every object is still no word
    [undefined, 'undefined: i/o error, mkdir'],
  ];

  it('names each refusal in words with its code, and any other by its message', () => {
    for (const [code, words] of cases) {
      const parent = scratch();
      vi.mocked(fs.mkdirSync).mockReset().mockImplementationOnce(() => {
        throw fsError(code, `${code}: i/o error, mkdir`);
      });
      const error = errorOf(() => checkOutputFolder(join(parent, 'new')), 'ERR_FILE');
      expect([error.exitCode, error.message]).toEqual([1, `--out ${join(parent, 'new')}: cannot write there: ${words}; give another --out`]);
      expect(readdirSync(parent)).toEqual([]);
    }
  });

  it('refuses the real places that take no writing: /proc (no new entries) and /sys (no permission)', () => {
    vi.mocked(fs.mkdirSync).mockImplementation(real.mkdirSync);
    vi.mocked(fs.openSync).mockImplementation(real.openSync);
    expect(errorOf(() => checkOutputFolder('/proc/xcnn-out')).message).toBe('--out /proc/xcnn-out: cannot write there: the file system takes no new entries there (ENOENT); give another --out');
    expect(errorOf(() => checkOutputFolder('/sys')).message).toBe('--out /sys: cannot write there: permission denied (EACCES); give another --out');
  });
});

describe('what the check makes and removes', () => {
  it('removes the folders it made, from the deepest up, after trying the deepest', () => {
    vi.mocked(fs.mkdirSync).mockImplementation(real.mkdirSync);
    const parent = scratch();
    let seen: string[] = [];
    vi.mocked(fs.openSync).mockImplementationOnce((path, flags, mode) => {
      seen = readdirSync(join(parent, 'a', 'b'));
      return real.openSync(path, flags, mode);
    });
    checkOutputFolder(join(parent, 'a', 'b', 'c'));
    expect(vi.mocked(fs.mkdirSync).mock.calls.map(([path]) => path)).toEqual([join(parent, 'a'), join(parent, 'a', 'b'), join(parent, 'a', 'b', 'c')]);
    expect(vi.mocked(fs.openSync).mock.calls[0][0]).toBe(join(parent, 'a', 'b', 'c'));
    expect(seen).toEqual(['c']);
    expect(readdirSync(parent)).toEqual([]);
  });

  it('removes what it made when a deeper mkdir fails, and leaves a folder someone wrote into meanwhile', () => {
    const parent = scratch();
    vi.mocked(fs.mkdirSync)
      .mockImplementationOnce(real.mkdirSync)
      .mockImplementationOnce(() => {
        throw fsError('ENOSPC', 'ENOSPC: no space left on device, mkdir');
      });
    expect(errorOf(() => checkOutputFolder(join(parent, 'a', 'b'))).message).toBe(`--out ${join(parent, 'a', 'b')}: cannot write there: no space left on the device (ENOSPC); give another --out`);
    expect(readdirSync(parent)).toEqual([]);

    vi.mocked(fs.mkdirSync).mockReset().mockImplementation(real.mkdirSync);
    vi.mocked(fs.openSync).mockImplementationOnce((path, flags, mode) => {
      writeFileSync(join(parent, 'x', 'theirs.txt'), 'written meanwhile');
      return real.openSync(path, flags, mode);
    });
    checkOutputFolder(join(parent, 'x', 'y'));
    expect(readdirSync(parent)).toEqual(['x']);
    expect(readdirSync(join(parent, 'x'))).toEqual(['theirs.txt']);
  });
});

describe('paths that can never be a folder, and places that cannot be looked at', () => {
  it('names the fixes of --resume\'s earlier run: give the run\'s folder', () => {
    const file = join(scratch(), 'run');
    writeFileSync(file, 'not a folder');
    const error = errorOf(() => checkOutputFolder(file, { flag: 'resume', earlierRun: true }));
    expect([error.exitCode, error.message]).toEqual([2, `--resume ${file}: is a file, not a folder; give the run's folder`]);
  });

  it('refuses a link to nothing further up the path, naming that link', () => {
    const parent = scratch();
    symlinkSync('gone', join(parent, 'latest'));
    const error = errorOf(() => checkOutputFolder(join(parent, 'latest', 'figures')));
    expect([error.exitCode, error.message]).toEqual([2, `--out ${join(parent, 'latest', 'figures')}: ${join(parent, 'latest')} is a link to gone, which does not exist; give a folder (created if missing)`]);
  });

  it('refuses a loop of links as the place\'s error (exit 1), with the fix', () => {
    const parent = scratch();
    symlinkSync('b', join(parent, 'a'));
    symlinkSync('a', join(parent, 'b'));
    const error = errorOf(() => checkOutputFolder(join(parent, 'a')), 'ERR_FILE');
    expect([error.exitCode, error.message]).toEqual([1, `--out ${join(parent, 'a')}: cannot write there: ELOOP: too many symbolic links encountered, stat '${join(parent, 'a')}'; give another --out`]);
  });

  // A block device, where this machine shows one (a loop device, a disk): /dev/null is a character device.
  const blockDevice = readdirSync('/dev').map((name) => join('/dev', name)).find((path) => {
    try {
      return statSync(path).isBlockDevice();
    } catch {
      return false;
    }
  });
  it.runIf(blockDevice !== undefined)('names a block device a device, as a character device', () => {
    expect(errorOf(() => checkOutputFolder(blockDevice!)).message).toBe(`--out ${blockDevice}: is a device, not a folder; give a folder (created if missing)`);
  });

  it('names a FIFO and a socket for what they are', async () => {
    const parent = scratch();
    const fifo = join(parent, 'pipe');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(errorOf(() => checkOutputFolder(fifo)).message).toBe(`--out ${fifo}: is a FIFO, not a folder; give a folder (created if missing)`);
    const socket = join(parent, 'socket');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      expect(errorOf(() => checkOutputFolder(join(socket, 'x'))).message).toBe(`--out ${join(socket, 'x')}: ${socket} is a socket, not a folder, so nothing can be made in it; give a folder (created if missing)`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
