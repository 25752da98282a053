/**
 * readUserFile (src/files/read-file.ts) in-process: a file is read whole; a missing path, a folder, a FIFO, a
 * device and a file larger than its format allows are each one line naming the path, what the file was
 * meant to be and the problem, with the caller's own words where it gives them. Hostile files are made here,
 * in a temporary folder.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readUserFile } from '../src/files/read-file.js';
import { errorOf } from './errors.js';

const folder = mkdtempSync(join(tmpdir(), 'xcnn-read-'));
const MODEL = { what: 'the model', maxBytes: 16 };
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** The error `action` throws, which must be an XcnnError with code ERR_FILE. */
const fileError = (action: () => unknown) => errorOf(action, 'ERR_FILE');

describe('readUserFile', () => {
  it('reads every byte of a file, up to the largest it may be; an empty file is no bytes', () => {
    const path = join(folder, 'sixteen.bin');
    const bytes = Uint8Array.from({ length: 16 }, (_, k) => k * 7);
    writeFileSync(path, bytes);
    expect(Array.from(readUserFile(path, MODEL))).toEqual(Array.from(bytes));
    writeFileSync(join(folder, 'empty.bin'), new Uint8Array(0));
    expect(readUserFile(join(folder, 'empty.bin'), MODEL).length).toBe(0);
  });

  it('refuses a file larger than its format can be, before reading it', () => {
    const path = join(folder, 'seventeen.bin');
    writeFileSync(path, new Uint8Array(17));
    expect(fileError(() => readUserFile(path, MODEL)).message).toBe(`${path}: cannot read the model: it is 17 bytes, more than the 16 such a file can be`);
  });

  it('says a missing file is missing, in the caller\'s words when it gives them', () => {
    const path = join(folder, 'absent.bin');
    expect(fileError(() => readUserFile(path, MODEL)).message).toBe(`${path}: cannot read the model: no such file`);
    expect(fileError(() => readUserFile(path, { ...MODEL, missing: 'no such file (train one)' })).message).toBe(`${path}: cannot read the model: no such file (train one)`);
    expect(fileError(() => readUserFile(path, { what: '', maxBytes: 16 })).message).toBe(`${path}: cannot read: no such file`);
  });

  it('refuses a folder, in the caller\'s words when it gives them', () => {
    const path = join(folder, 'a-folder');
    mkdirSync(path);
    expect(fileError(() => readUserFile(path, MODEL)).message).toBe(`${path}: cannot read the model: is a directory`);
    expect(fileError(() => readUserFile(path, { ...MODEL, folder: 'is a directory, not a model file' })).message).toBe(`${path}: cannot read the model: is a directory, not a model file`);
  });

  it('refuses a device and a FIFO without waiting on them', () => {
    const device = '/dev/zero';
    expect(fileError(() => readUserFile(device, MODEL)).message).toBe(`${device}: cannot read the model: not a regular file (a FIFO, a device or a socket); give the path of a file`);
    const fifo = join(folder, 'pipe');
    execFileSync('mkfifo', [fifo]);
    expect(fileError(() => readUserFile(fifo, MODEL)).message).toBe(`${fifo}: cannot read the model: not a regular file (a FIFO, a device or a socket); give the path of a file`);
  });

  it('refuses a path through a file as the system says (not a folder)', () => {
    const file = join(folder, 'plain.txt');
    writeFileSync(file, 'x');
    const path = join(file, 'inside.bin');
    expect(fileError(() => readUserFile(path, MODEL)).message).toBe(`${path}: cannot read the model: ENOTDIR: not a directory, open '${path}'`);
  });
});

/** How plain fs fares with `path`: its bytes, or the error code it throws (undefined where the path does not exist). */
function plainRead(path: string): { bytes?: Buffer; code?: string } | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return { bytes: readFileSync(path) };
  } catch (error) {
    return { code: (error as NodeJS.ErrnoException).code };
  }
}

// Linux's sysfs has files that behave as no file on a disk can: the tests below use them where this machine has them.
const SHORTER_THAN_STATED = '/sys/kernel/uevent_seqnum'; // stat says 4096 bytes; a read gives a few digits and a newline
const WRITE_ONLY = '/sys/bus/cpu/uevent'; // mode --w-------: opening it to read is EACCES, even for root
const READ_FAILS = '/sys/devices/virtual/mem/null/power/autosuspend_delay_ms'; // /dev/null has no autosuspend: a read is EIO
const shorter = plainRead(SHORTER_THAN_STATED);
const writeOnly = plainRead(WRITE_ONLY);
const readFails = plainRead(READ_FAILS);

describe('readUserFile on files whose size or reads are not what stat says (Linux sysfs)', () => {
  it.skipIf(shorter?.bytes === undefined)('returns the bytes a file really has when it ends before the size stat gave', () => {
    const bytes = readUserFile(SHORTER_THAN_STATED, { what: 'the counter', maxBytes: 1 << 16 });
    // The plain read and ours a moment apart: the counter may move on, but it is a line of digits either way, far short of 4096 bytes.
    expect(Buffer.from(bytes).toString('latin1')).toMatch(/^\d+\n$/);
    expect(bytes.length).toBeLessThan(64);
  });

  it.skipIf(writeOnly?.code !== 'EACCES')('says permission denied for a file it may not open', () => {
    expect(fileError(() => readUserFile(WRITE_ONLY, MODEL)).message).toBe(`${WRITE_ONLY}: cannot read the model: permission denied`);
  });

  it.skipIf(readFails?.code !== 'EIO')('turns a read that fails into its one line, with the system\'s reason', () => {
    expect(fileError(() => readUserFile(READ_FAILS, { what: 'the setting', maxBytes: 1 << 16 })).message).toBe(`${READ_FAILS}: cannot read the setting: EIO: i/o error, read`);
  });
});

describe('readUserFile and the descriptors it opens', () => {
  it.skipIf(!existsSync('/proc/self/fd'))('closes the file it opened, whether it reads it or refuses it', () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const path = join(folder, 'closed.bin');
    writeFileSync(path, Uint8Array.of(1, 2, 3));
    const folderPath = join(folder, 'closed-folder');
    mkdirSync(folderPath);
    const tooLarge = join(folder, 'closed-too-large.bin');
    writeFileSync(tooLarge, new Uint8Array(17));
    const before = open();
    expect(Array.from(readUserFile(path, MODEL))).toEqual([1, 2, 3]);
    fileError(() => readUserFile(folderPath, MODEL));
    fileError(() => readUserFile('/dev/zero', MODEL));
    fileError(() => readUserFile(tooLarge, MODEL));
    expect(open()).toBe(before);
  });
});
