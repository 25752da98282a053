/**
 * The --out check every writing command makes before it reads a model or data: it refuses what can never be a
 * folder as a usage error (exit 2) and what the file system refuses with exit 1, each in one line naming the
 * flag and the path, and it leaves nothing behind — no probe file, no folder it made to try.
 */
import { mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutputFolder } from '../src/cli/output-folder.js';
import { XcnnError } from '../src/errors.js';

const scratch = () => mkdtempSync(join(tmpdir(), 'xcnn-out-'));

/** The error the check throws for `folder` (it must throw one of xcnn's). */
function refusal(folder: string, options = {}): XcnnError {
  try {
    checkOutputFolder(folder, options);
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return error as XcnnError;
  }
  throw new Error(`${folder} was not refused`);
}

describe('checkOutputFolder', () => {
  it('accepts an existing folder and leaves it as it was', () => {
    const folder = scratch();
    writeFileSync(join(folder, 'model.safetensors'), 'kept');
    checkOutputFolder(folder);
    expect(readdirSync(folder)).toEqual(['model.safetensors']);
  });

  it('accepts a missing folder some levels down, and does not leave it made', () => {
    const parent = scratch();
    checkOutputFolder(join(parent, 'runs', 'a', 'b'));
    expect(readdirSync(parent)).toEqual([]);
  });

  it('refuses a file, a device and a path inside a file as usage errors (exit 2), naming the flag and the path', () => {
    const file = join(scratch(), 'notes.txt');
    writeFileSync(file, 'text');
    const cases: Array<[string, string]> = [
      [file, `--out ${file}: is a file, not a folder; give a folder (created if missing)`],
      ['/dev/null', '--out /dev/null: is a device, not a folder; give a folder (created if missing)'],
      [join(file, 'figures'), `--out ${join(file, 'figures')}: ${file} is a file, not a folder, so nothing can be made in it; give a folder (created if missing)`],
    ];
    for (const [folder, message] of cases) {
      const error = refusal(folder);
      expect([error.exitCode, error.message]).toEqual([2, message]);
    }
  });

  it('refuses a link to nothing as a usage error, and says where it points', () => {
    const parent = scratch();
    symlinkSync('gone', join(parent, 'latest'));
    const error = refusal(join(parent, 'latest'));
    expect([error.exitCode, error.message]).toEqual([2, `--out ${join(parent, 'latest')}: ${join(parent, 'latest')} is a link to gone, which does not exist; give a folder (created if missing)`]);
  });

  it('refuses a place the file system will not write with exit 1, naming the flag the caller gives', () => {
    const error = refusal('/proc/xcnn-out', { flag: 'resume', earlierRun: true });
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(/^--resume \/proc\/xcnn-out: cannot write there: .+; copy the run's folder where you can write and resume the copy$/);
  });

  it('names a folder the user did not type as the caller says', () => {
    const file = join(scratch(), 'runs');
    writeFileSync(file, 'not a folder');
    expect(refusal(file, { name: 'runs (where runs go without --out)' }).message).toBe('runs (where runs go without --out): is a file, not a folder; give a folder (created if missing)');
  });

  it('leaves a folder made meanwhile by someone else alone', () => {
    // The check removes only the folders it made, and only while empty: a folder that exists is never removed.
    const parent = scratch();
    mkdirSync(join(parent, 'runs'));
    checkOutputFolder(join(parent, 'runs', 'train'));
    expect(readdirSync(parent)).toEqual(['runs']);
  });
});
