/**
 * Where `xcnn train` puts a run (src/cli/run-folder.ts), in this process: the numbered run folders and the
 * number a new one takes, claiming one when another run took the name first, runs/latest made and replaced
 * (and left alone when it is a real folder or file), an --out that holds a run refused unless --force, --force
 * clearing the earlier run's files, and a link followed to its folder. node:fs is wrapped so a test can make one
 * call fail as the file system would (a name taken meanwhile, a rename that fails); otherwise it is the real one,
 * on temp folders the tests make.
 */
import * as fs from 'node:fs';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  AUGMENTED_FIGURE_FILE,
  BEST_MODEL_FILE,
  claimRunFolder,
  clearEarlierRun,
  earlierRunFile,
  followLink,
  LATEST_LINK,
  METRICS_CSV_FILE,
  METRICS_FILE,
  MODEL_FILE,
  nextRunName,
  pointLatestAt,
  refuseEarlierRun,
  runName,
  runNumber,
  RUNS_FOLDER,
} from '../src/cli/run-folder.js';
import { errorOf } from './errors.js';

vi.mock('node:fs', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs')>();
  return { ...actual, mkdirSync: vi.fn(actual.mkdirSync), renameSync: vi.fn(actual.renameSync) };
});

afterEach(() => {
  vi.mocked(fs.mkdirSync).mockClear();
  vi.mocked(fs.renameSync).mockClear();
});

const scratch = (prefix = 'xcnn-run-folder-') => mkdtempSync(join(tmpdir(), prefix));

/** An error as node:fs throws it. */
function fsError(code: string, words: string, syscall: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${words}, ${syscall} '${path}'`), { code, syscall, path });
}

describe('the names of a run\'s files and folders', () => {
  it('are the ones the README gives', () => {
    expect([RUNS_FOLDER, LATEST_LINK]).toEqual(['runs', join('runs', 'latest')]);
    expect([MODEL_FILE, METRICS_FILE, METRICS_CSV_FILE, BEST_MODEL_FILE, AUGMENTED_FIGURE_FILE]).toEqual(['model.safetensors', 'metrics.json', 'metrics.csv', 'best.safetensors', 'augmented.png']);
  });
});

describe('run numbers', () => {
  it('reads train as 1 and trainN as N; any other name is no run folder', () => {
    expect(['train', 'train2', 'train17', 'train007'].map(runNumber)).toEqual([1, 2, 17, 7]);
    expect(['latest', 'trainer', 'train-2', 'xtrain2', 'train2x', 'Train2', 'train 2', ''].map(runNumber)).toEqual([null, null, null, null, null, null, null, null]);
  });

  it('names run 1 train and run n trainN', () => {
    expect([1, 2, 3, 10, 123].map(runName)).toEqual(['train', 'train2', 'train3', 'train10', 'train123']);
  });

  it('takes one past the highest run number there, ignoring other names and numbers past 2⁵³', () => {
    expect(nextRunName([])).toBe('train');
    expect(nextRunName(['latest', 'notes.txt'])).toBe('train');
    expect(nextRunName(['train'])).toBe('train2');
    expect(nextRunName(['train5', 'train', 'train12', 'train3'])).toBe('train13');
    expect(nextRunName(['train2'])).toBe('train3');
    expect(nextRunName(['train', 'train99999999999999999999'])).toBe('train2');
  });
});

describe('claimRunFolder', () => {
  it('makes the runs folder (and its parents) and the next run folder in it', () => {
    const root = join(scratch(), 'deep', 'runs');
    expect(claimRunFolder(root)).toBe(join(root, 'train'));
    mkdirSync(join(root, 'train7'));
    expect(claimRunFolder(root)).toBe(join(root, 'train8'));
    expect(readdirSync(root).sort()).toEqual(['train', 'train7', 'train8']);
  });

  it('takes the next number when another run claims the name first', () => {
    const root = join(scratch(), 'runs');
    mkdirSync(root);
    const actual = vi.mocked(fs.mkdirSync).getMockImplementation()!;
    // Another run makes runs/train between this one's listing and its mkdir.
    vi.mocked(fs.mkdirSync).mockImplementationOnce((path, options) => {
      actual(path, options);
      return actual(path, options);
    });
    expect(claimRunFolder(root)).toBe(join(root, 'train2'));
    expect(readdirSync(root).sort()).toEqual(['train', 'train2']);
  });

  it('refuses a runs folder that cannot be made or written, in one line naming it', () => {
    const file = join(scratch(), 'runs');
    writeFileSync(file, 'not a folder');
    const error = errorOf(() => claimRunFolder(file), 'ERR_FILE');
    expect(error.exitCode).toBe(1);
    expect(error.message).toBe(`${file}: cannot make a run folder there: ENOTDIR: not a directory, scandir '${file}'`);
    const root = join(scratch(), 'runs');
    mkdirSync(root);
    vi.mocked(fs.mkdirSync).mockImplementationOnce(() => {
      throw fsError('EACCES', 'permission denied', 'mkdir', join(root, 'train'));
    });
    expect(errorOf(() => claimRunFolder(root)).message).toBe(`${root}: cannot make a run folder there: EACCES: permission denied, mkdir '${join(root, 'train')}'`);
  });
});

describe('pointLatestAt', () => {
  const runsFolder = () => {
    const root = join(scratch(), 'runs');
    for (const name of ['train', 'train2']) mkdirSync(join(root, name), { recursive: true });
    return root;
  };

  it('links, relative to the link\'s folder, to the run, replacing an earlier link and a stale temporary one', () => {
    const root = runsFolder();
    const link = join(root, 'latest');
    expect(pointLatestAt(join(root, 'train'), link)).toBeNull();
    expect(readlinkSync(link)).toBe('train');
    writeFileSync(`${link}.${process.pid}.tmp`, 'left by a run that was killed');
    expect(pointLatestAt(join(root, 'train2'), link)).toBeNull();
    expect(readlinkSync(link)).toBe('train2');
    expect(readdirSync(root).sort()).toEqual(['latest', 'train', 'train2']);
    mkdirSync(join(root, 'links'));
    expect(pointLatestAt(join(root, 'train2'), join(root, 'links', 'newest'))).toBeNull();
    expect(readlinkSync(join(root, 'links', 'newest'))).toBe(join('..', 'train2'));
  });

  it('leaves a real folder or file at the link alone, and says which', () => {
    const root = runsFolder();
    const link = join(root, 'latest');
    writeFileSync(link, 'an old file');
    expect(pointLatestAt(join(root, 'train2'), link)).toBe(
      `${link} is a file left by an older xcnn, not a link: it is left as it is and still holds that run, not this one (rename it, and the next run makes ${link} a link to the newest)`,
    );
    expect(readFileSync(link, 'utf8')).toBe('an old file');
    const other = runsFolder();
    mkdirSync(join(other, 'latest'));
    expect(pointLatestAt(join(other, 'train2'), join(other, 'latest'))).toMatch(new RegExp(`^${join(other, 'latest')} is a folder left by an older xcnn`));
  });

  it('says so when the link cannot be made, and leaves no temporary link', () => {
    const root = runsFolder();
    const link = join(root, 'missing', 'latest');
    expect(pointLatestAt(join(root, 'train'), link)).toBe(
      `could not make ${link} a link to ${join(root, 'train')} (ENOENT: no such file or directory, symlink '${join('..', 'train')}' -> '${link}.${process.pid}.tmp'); the run is in ${join(root, 'train')}`,
    );
    const latest = join(root, 'latest');
    vi.mocked(fs.renameSync).mockImplementationOnce(() => {
      throw fsError('EIO', 'i/o error', 'rename', latest);
    });
    expect(pointLatestAt(join(root, 'train'), latest)).toBe(`could not make ${latest} a link to ${join(root, 'train')} (EIO: i/o error, rename '${latest}'); the run is in ${join(root, 'train')}`);
    expect(readdirSync(root).sort()).toEqual(['train', 'train2']);
  });
});

describe('an --out that holds a run', () => {
  it('is shown by its model, else its checkpoint (a link counts, even to nothing)', () => {
    const folder = scratch();
    expect(earlierRunFile(folder)).toBeNull();
    expect(earlierRunFile(join(folder, 'absent'))).toBeNull();
    writeFileSync(join(folder, 'checkpoint.safetensors'), 'c');
    expect(earlierRunFile(folder)).toBe('checkpoint.safetensors');
    symlinkSync('gone', join(folder, 'model.safetensors'));
    expect(earlierRunFile(folder)).toBe('model.safetensors');
  });

  it('is refused, naming the file and the three ways on, unless --force', () => {
    const folder = scratch();
    expect(() => refuseEarlierRun(folder, false)).not.toThrow();
    writeFileSync(join(folder, 'model.safetensors'), 'm');
    const error = errorOf(() => refuseEarlierRun(folder, false));
    expect([error.exitCode, error.message]).toEqual([2, `${folder} already holds a run (model.safetensors); use --resume ${folder} to continue it, --force to overwrite it, or another --out`]);
    expect(() => refuseEarlierRun(folder, true)).not.toThrow();
  });

  it('--force removes the earlier run\'s models, checkpoint, metrics and figure, and nothing else', () => {
    const folder = scratch();
    const runFiles = ['model.safetensors', 'best.safetensors', 'checkpoint.safetensors', 'metrics.json', 'metrics.csv', 'augmented.png'];
    for (const file of [...runFiles, 'report.html', 'notes.txt']) writeFileSync(join(folder, file), file);
    clearEarlierRun(folder);
    expect(readdirSync(folder).sort()).toEqual(['notes.txt', 'report.html']);
    clearEarlierRun(folder); // nothing left to remove is fine
  });

  it('--force stops, naming the file, when one cannot be removed', () => {
    const folder = scratch();
    mkdirSync(join(folder, 'metrics.json'));
    writeFileSync(join(folder, 'model.safetensors'), 'm');
    const error = errorOf(() => clearEarlierRun(folder), 'ERR_FILE');
    expect(error.exitCode).toBe(1);
    expect(error.message).toMatch(new RegExp(`^${join(folder, 'metrics.json')}: cannot remove the earlier run's file for --force: .+`));
    expect(existsSync(join(folder, 'model.safetensors'))).toBe(false); // the files before it are gone
  });
});

describe('followLink', () => {
  it('returns a folder that is not a link, and a missing one or a link to nothing, as given', () => {
    const folder = scratch();
    expect(followLink(folder)).toBe(folder);
    expect(followLink(join(folder, 'absent'))).toBe(join(folder, 'absent'));
    symlinkSync('gone', join(folder, 'dangling'));
    expect(followLink(join(folder, 'dangling'))).toBe(join(folder, 'dangling'));
  });

  it('follows only a link at the end of the path: a folder inside a linked folder is returned as given', () => {
    const base = realpathSync(scratch());
    mkdirSync(join(base, 'runs', 'train'), { recursive: true });
    symlinkSync('runs', join(base, 'alias'));
    expect(followLink(join(base, 'alias', 'train'))).toBe(join(base, 'alias', 'train'));
    expect(followLink(`${join(base, 'runs', 'train')}/`)).toBe(`${join(base, 'runs', 'train')}/`);
  });

  it('follows a link to the folder it names: relative to here when below here, else the full path', () => {
    const outside = realpathSync(scratch());
    mkdirSync(join(outside, 'train3'));
    symlinkSync('train3', join(outside, 'latest'));
    expect(followLink(join(outside, 'latest'))).toBe(join(outside, 'train3'));
    // A run folder below the working folder (in a scratch folder of runs/, removed after): StrykerJS runs the tests in
    // worker threads, which cannot change the working folder.
    mkdirSync(RUNS_FOLDER, { recursive: true });
    const work = mkdtempSync(join(RUNS_FOLDER, 'xcnn-follow-'));
    try {
      mkdirSync(join(work, 'train2'));
      symlinkSync('train2', join(work, 'latest'));
      expect(followLink(join(work, 'latest'))).toBe(join(work, 'train2'));
      expect(followLink(join(process.cwd(), work, 'latest'))).toBe(join(work, 'train2'));
      symlinkSync(outside, join(work, 'elsewhere'));
      expect(followLink(join(work, 'elsewhere'))).toBe(outside);
      expect(lstatSync(join(work, 'elsewhere')).isSymbolicLink()).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
