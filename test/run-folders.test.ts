/**
 * No run overwrites another: without --out, `xcnn train` puts each run in a new folder (runs/train,
 * runs/train2, …) and points the link runs/latest at the newest; an --out that holds a run is refused unless
 * --force; the quick start (`train`, then `report --model runs/latest/model.safetensors`) works twice in a row
 * and the report lands in the run's own folder.
 */
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { claimRunFolder, nextRunName, pointLatestAt, runNumber } from '../src/cli/run-folder.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';

describe('run folder names', () => {
  it('numbers runs train, train2, train3, … and reads the number back', () => {
    expect([1, 2, 3, 10].map((n) => nextRunName(Array.from({ length: n - 1 }, (_, k) => (k === 0 ? 'train' : `train${k + 1}`))))).toEqual(['train', 'train2', 'train3', 'train10']);
    expect(['train', 'train2', 'train17', 'latest', 'trainer', 'train-old', 'fashion'].map(runNumber)).toEqual([1, 2, 17, null, null, null, null]);
  });

  it('takes one past the highest number, so a deleted run leaves a gap instead of a newer run with an older number', () => {
    expect(nextRunName(['train', 'train3', 'latest'])).toBe('train4');
    expect(nextRunName(['latest', 'fashion', 'explain'])).toBe('train');
  });

  it('claims a new folder each time, creating the runs folder when missing', () => {
    const root = join(mkdtempSync(join(tmpdir(), 'xcnn-runs-')), 'runs');
    expect([claimRunFolder(root), claimRunFolder(root), claimRunFolder(root)]).toEqual(['train', 'train2', 'train3'].map((name) => join(root, name)));
    expect(readdirSync(root).sort()).toEqual(['train', 'train2', 'train3']);
  });
});

describe('runs/latest', () => {
  const runsFolder = () => {
    const root = join(mkdtempSync(join(tmpdir(), 'xcnn-latest-')), 'runs');
    for (const name of ['train', 'train2']) mkdirSync(join(root, name), { recursive: true });
    return root;
  };

  it('is a relative link to the newest run, replaced when a newer one starts', () => {
    const root = runsFolder();
    expect(pointLatestAt(join(root, 'train'), join(root, 'latest'))).toBeNull();
    expect(readlinkSync(join(root, 'latest'))).toBe('train');
    expect(pointLatestAt(join(root, 'train2'), join(root, 'latest'))).toBeNull();
    expect(readlinkSync(join(root, 'latest'))).toBe('train2');
    expect(readdirSync(root).sort()).toEqual(['latest', 'train', 'train2']); // no temporary link left
  });

  it('replaces a link to a run that was deleted', () => {
    const root = runsFolder();
    symlinkSync('train9', join(root, 'latest'));
    expect(pointLatestAt(join(root, 'train2'), join(root, 'latest'))).toBeNull();
    expect(readlinkSync(join(root, 'latest'))).toBe('train2');
  });

  it('leaves a real folder left by an older xcnn alone, and says so', () => {
    const root = runsFolder();
    mkdirSync(join(root, 'latest'));
    writeFileSync(join(root, 'latest', 'model.safetensors'), 'an old run');
    const note = pointLatestAt(join(root, 'train2'), join(root, 'latest'));
    expect(note).toMatch(/latest is a folder left by an older xcnn, not a link: it is left as it is and still holds that run, not this one/);
    expect(lstatSync(join(root, 'latest')).isDirectory()).toBe(true);
    expect(readFileSync(join(root, 'latest', 'model.safetensors'), 'utf8')).toBe('an old run');
  });
});

describe('xcnn train and its run folders', () => {
  const { work, xcnn } = cliWorkspace('xcnn-run-folders-');
  const TINY = ['--backend', 'ts', '--widths', '2,4,8', '--limit', '32', '--test-limit', '16', '--epochs', '1'];
  const at = (...parts: string[]) => join(work, ...parts);

  it('puts each run without --out in a new folder, says which at the start, and links runs/latest to the newest', () => {
    const first = xcnn('train', ...TINY);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.split('\n')[0]).toBe(`run folder: ${join('runs', 'train')}`);
    const second = xcnn('train', ...TINY, '--seed', '2');
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout.split('\n')[0]).toBe(`run folder: ${join('runs', 'train2')}`);
    expect(readlinkSync(at('runs', 'latest'))).toBe('train2');
    // The first run is untouched: its settings are still its own.
    expect(JSON.parse(readFileSync(at('runs', 'train', 'metrics.json'), 'utf8')).settings.seed).toBe(1);
    expect(JSON.parse(readFileSync(at('runs', 'train2', 'metrics.json'), 'utf8')).settings.seed).toBe(2);
  });

  it('writes the report of runs/latest/model.safetensors into the newest run\'s folder', () => {
    const report = xcnn('report', '--model', join('runs', 'latest', 'model.safetensors'), '--backend', 'ts', '--test-limit', '16', '--per-class', '1', '--mistakes', '2', '--class-images', '2', '--cells', '1', '--per-cell', '1');
    expect(report.status, report.stderr).toBe(0);
    expect(report.stdout.trim()).toBe(join('runs', 'latest', 'report.html'));
    expect(existsSync(at('runs', 'train2', 'report.html'))).toBe(true);
    expect(existsSync(at('runs', 'train', 'report.html'))).toBe(false);
  });

  it('refuses an --out that holds a run, naming the way to continue, to overwrite or to go elsewhere', () => {
    const before = readFileSync(at('runs', 'train', 'model.safetensors'));
    expectOneLineError(
      xcnn('train', ...TINY, '--out', join('runs', 'train')),
      2,
      `${join('runs', 'train')} already holds a run (model.safetensors); use --resume ${join('runs', 'train')} to continue it, --force to overwrite it, or another --out`,
    );
    expect(readFileSync(at('runs', 'train', 'model.safetensors')).equals(before)).toBe(true);
    // A run that was interrupted before its model was written is a run too.
    mkdirSync(at('interrupted'));
    writeFileSync(at('interrupted', 'checkpoint.safetensors'), 'a checkpoint');
    expectOneLineError(xcnn('train', ...TINY, '--out', 'interrupted'), 2, /^error: interrupted already holds a run \(checkpoint\.safetensors\); use --resume interrupted/);
  });

  it('--force starts a new run there, replacing the earlier run\'s files', () => {
    const forced = xcnn('train', ...TINY, '--seed', '3', '--out', join('runs', 'train'), '--force');
    expect(forced.status, forced.stderr).toBe(0);
    expect(JSON.parse(readFileSync(at('runs', 'train', 'metrics.json'), 'utf8')).settings.seed).toBe(3);
    expect(readlinkSync(at('runs', 'latest'))).toBe('train2'); // an --out run is not a numbered run: latest stays
  });

  it('refuses --force where it means nothing: without --out, and with --resume', () => {
    expectOneLineError(xcnn('train', '--force'), 2, /^error: --force applies only with --out /);
    expectOneLineError(xcnn('train', '--resume', join('runs', 'train'), '--force'), 2, /^error: --force and --resume do different things: give one /);
  });

  it('--resume runs/latest continues the run in the folder the link names', () => {
    const resumed = xcnn('train', '--resume', join('runs', 'latest'), '--epochs', '2');
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stdout.split('\n')[0]).toBe(`run folder: ${join('runs', 'train2')}`);
    expect(JSON.parse(readFileSync(at('runs', 'train2', 'metrics.json'), 'utf8')).history).toHaveLength(2);
  });

  it('a run refused for its flags or data leaves no run folder behind', () => {
    const { work: clean, xcnn: inClean } = cliWorkspace('xcnn-no-run-');
    expectOneLineError(inClean('train', '--data', clean), 1, /missing train-images-idx3-ubyte/);
    expectOneLineError(inClean('train', '--out', join('new', 'run'), '--data', clean), 1, /missing train-images-idx3-ubyte/);
    expect(readdirSync(clean)).toEqual([]);
  });
});
