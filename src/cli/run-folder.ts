/**
 * Where `xcnn train` puts a run, so that no run ever overwrites another:
 *
 * - without --out, each run gets a new folder runs/train, runs/train2, runs/train3, … (the convention of
 *   Ultralytics YOLO's `runs/detect/train2`), claimed with an atomic mkdir so two runs started at once never
 *   share one, and runs/latest — a symbolic link, replaced atomically — names the newest. The number is one
 *   more than the highest already there (YOLO takes the first free one), so the numbers keep the order the
 *   runs were started in even after one is deleted, and "latest" is always the highest.
 * - with --out DIR, a folder already holding a run (its model or its checkpoint) is refused unless --force;
 *   --resume DIR is how a run there continues.
 */
import { lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { usageError, XcnnError } from '../errors.js';
import { ensureFolder } from '../files/atomic-write.js';
import { CHECKPOINT_FILE } from '../train/checkpoint.js';

/** Where runs go without --out, and the link to the newest of them. */
export const RUNS_FOLDER = 'runs';
export const LATEST_LINK = join(RUNS_FOLDER, 'latest');
export const MODEL_FILE = 'model.safetensors';
export const METRICS_FILE = 'metrics.json';
export const METRICS_CSV_FILE = 'metrics.csv'; // a row per epoch, written as the run goes
export const BEST_MODEL_FILE = 'best.safetensors'; // the best epoch's weights, with a validation set
export const AUGMENTED_FIGURE_FILE = 'augmented.png'; // samples of --augment's images

const RUN_NAME = /^train(\d*)$/;

/** A run folder's number: 'train' is 1, 'train7' is 7; any other name is not a run folder (null). */
export function runNumber(name: string): number | null {
  const match = RUN_NAME.exec(name);
  if (match === null) return null;
  return match[1] === '' ? 1 : Number(match[1]);
}

/** The name of run number n: train, train2, train3, … */
export function runName(n: number): string {
  return n === 1 ? 'train' : `train${n}`;
}

/** The next run's name among the names in the runs folder: one past the highest run number. */
export function nextRunName(names: string[]): string {
  const numbers = names.map(runNumber).filter((n): n is number => n !== null && Number.isSafeInteger(n));
  return runName(Math.max(0, ...numbers) + 1);
}

/** Creates the next run folder under `root` (and `root` if missing) and returns its path, e.g. runs/train3. */
export function claimRunFolder(root = RUNS_FOLDER): string {
  try {
    ensureFolder(root);
    for (let name = nextRunName(readdirSync(root)); ; name = runName(runNumber(name)! + 1)) {
      try {
        mkdirSync(join(root, name)); // fails if another run took the name first: take the next
        return join(root, name);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  } catch (error) {
    throw new XcnnError(`${root}: cannot make a run folder there: ${(error as Error).message}`, { code: 'ERR_FILE', cause: error });
  }
}

/**
 * Points `link` (runs/latest) at the run folder `run`, replacing a previous link atomically (a new link
 * renamed over it). A real folder or file there — left by an older xcnn, which wrote into runs/latest — is
 * left alone: the returned note says so (null when the link was made).
 */
export function pointLatestAt(run: string, link = LATEST_LINK): string | null {
  let existing: ReturnType<typeof lstatSync> | null = null;
  try {
    existing = lstatSync(link);
  } catch {
    // no link yet
  }
  if (existing !== null && !existing.isSymbolicLink()) {
    return `${link} is a ${existing.isDirectory() ? 'folder' : 'file'} left by an older xcnn, not a link: it is left as it is and still holds that run, not this one (rename it, and the next run makes ${link} a link to the newest)`;
  }
  const temporary = `${link}.${process.pid}.tmp`;
  try {
    rmSync(temporary, { force: true });
    // Relative to the link's folder, so the runs folder can be moved; a junction on Windows, which needs no privilege.
    symlinkSync(relative(join(link, '..'), run), temporary, process.platform === 'win32' ? 'junction' : 'dir');
    renameSync(temporary, link);
    return null;
  } catch (error) {
    rmSync(temporary, { force: true });
    return `could not make ${link} a link to ${run} (${(error as Error).message}); the run is in ${run}`;
  }
}

/** The file that shows `folder` already holds a run (its model, else its checkpoint), or null. */
export function earlierRunFile(folder: string): string | null {
  for (const file of [MODEL_FILE, CHECKPOINT_FILE]) {
    try {
      lstatSync(join(folder, file));
      return file;
    } catch {
      // not there
    }
  }
  return null;
}

/** Refuses an --out that holds a run already, unless `force`. */
export function refuseEarlierRun(folder: string, force: boolean): void {
  const file = earlierRunFile(folder);
  if (file !== null && !force) {
    throw usageError(`${folder} already holds a run (${file}); use --resume ${folder} to continue it, --force to overwrite it, or another --out`);
  }
}

/** With --force: removes the earlier run's models, checkpoint and metrics, so nothing of it is mistaken for the new run's. */
export function clearEarlierRun(folder: string): void {
  for (const file of [MODEL_FILE, BEST_MODEL_FILE, CHECKPOINT_FILE, METRICS_FILE, METRICS_CSV_FILE, AUGMENTED_FIGURE_FILE]) {
    try {
      rmSync(join(folder, file), { force: true });
    } catch (error) {
      throw new XcnnError(`${join(folder, file)}: cannot remove the earlier run's file for --force: ${(error as Error).message}`, { code: 'ERR_FILE', cause: error });
    }
  }
}

/**
 * The folder a link such as runs/latest points to (relative to here when it is below here), so a run that
 * continues in it keeps writing there even if the link moves on to a newer run meanwhile. A folder that is
 * not a link is returned as given.
 */
export function followLink(folder: string): string {
  try {
    if (!lstatSync(folder).isSymbolicLink()) return folder;
    const target = realpathSync(folder);
    const here = relative(process.cwd(), target);
    return here.startsWith('..') || isAbsolute(here) ? target : here;
  } catch {
    return folder; // missing or a link to nothing: the folder check says what is wrong
  }
}
