/**
 * Decoding an image folder's files (image-folder-files.ts lists them) into the compact bytes training
 * reads, on this thread and on worker threads (node:worker_threads, decode-worker.ts): each thread reads,
 * decodes and converts its share of the files and writes each image straight into its slot of one shared
 * byte array, so no image is copied from a worker. The result does not depend on the thread count: the
 * same bytes in the same order, the same files skipped, the same first bad file.
 *
 * Memory, shared by the threads (SharedArrayBuffers; plain ArrayBuffers when this thread decodes alone):
 *
 *   images    [N, C, H, W] bytes: file k's image in slot k (a skipped file's slot is closed up afterwards)
 *   results   Int32 [N, 3]: file k's width, height and flags (DECODED or BAD, and the conversion steps)
 *   control   Int32: [NEXT] the next unclaimed file; [FIRST_BAD] the lowest index of a bad file (N while
 *             none; --skip-bad leaves it at N); [DONE] files finished (the progress bar); [FATAL] 1 after
 *             an unexpected error; then one state per worker (WAITING, RUNNING, REPORTED or CANCELLED)
 *
 * Order: the threads claim CHUNK files at a time, in file order, through NEXT, and no thread decodes a
 * file after FIRST_BAD. So every file before the lowest bad one is decoded by someone, and the bad file
 * reported is the first in file order, whichever thread met it and whenever.
 *
 * This thread decodes too, and never waits on a worker that has not started: once no file is left to
 * claim, it cancels every worker still WAITING (one that cannot start cannot hang the load) and waits
 * only for the RUNNING ones, which always report (their reasons for bad files, by message). The wait
 * blocks this thread (Atomics.wait), so loading stays a synchronous call, with progress reported while
 * it waits.
 */
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { optionError, XcnnError } from '../errors.js';
import { packageRoot } from '../files/package-root.js';
import { readUserFile } from '../files/read-file.js';
import { MAX_THREADS } from '../parallel/control.js';
import { workerExecArgv } from '../parallel/node-transport.js';
import { imageSize } from './dataset.js';
import { decodePicture, MAX_PICTURE_FILE_BYTES, PictureProblem } from './picture-files.js';
import { pictureToInput, type ConversionSteps, type InputConversion } from './picture-input.js';

/** Files a thread claims at a time: few enough to share the work evenly, enough to claim rarely. */
export const CHUNK = 16;

/** Files an extra thread must have before it is started: a worker takes tens of ms to start, the time of some hundreds of small PNGs. */
export const FILES_PER_WORKER = 256;

/** The control block's slots (see the header); the workers' states follow from STATES on. */
export const JobSlot = { NEXT: 0, FIRST_BAD: 1, DONE: 2, FATAL: 3, STATES: 4 } as const;
const { NEXT, FIRST_BAD, DONE, FATAL, STATES } = JobSlot;

export const WorkerState = { WAITING: 0, RUNNING: 1, REPORTED: 2, CANCELLED: 3 } as const;

/** results[3k + 2]: the file was decoded, or could not be; the low bits are its conversion steps. */
export const DECODED = 1 << 4;
export const BAD = 1 << 5;
const STEP_BITS: Record<keyof ConversionSteps, number> = { resized: 1, toGrey: 2, toColour: 4, alpha: 8 };

/** The work every thread shares: the files, what each becomes, and the shared arrays (see the header). */
export interface DecodeJob {
  paths: string[];
  conversion: InputConversion;
  skipBad: boolean;
  images: Uint8Array;
  results: Int32Array;
  control: Int32Array;
}

/** A file that could not be used: its index in the job, and why (without its path). */
export type FileProblem = [index: number, reason: string];

/** What a worker is given (workerData): the job's buffers rather than their views, and its port for the report. */
export interface DecodeWorkerSetup {
  paths: string[];
  conversion: InputConversion;
  skipBad: boolean;
  images: SharedArrayBuffer;
  results: SharedArrayBuffer;
  control: SharedArrayBuffer;
  worker: number;
  port: MessagePort;
}

/** What a worker reports when it is done: the files it finished and those of them it could not use, or the unexpected error that stopped it. */
export interface DecodeWorkerReport {
  finished: number;
  problems: FileProblem[];
  fatal?: string;
}

/** A job over `paths` with nothing claimed yet, in memory `workers` threads can share (none: plain ArrayBuffers). */
export function createJob(paths: string[], conversion: InputConversion, skipBad: boolean, workers: number): DecodeJob {
  const Memory = workers > 0 ? SharedArrayBuffer : ArrayBuffer;
  const total = paths.length;
  const control = new Int32Array(new Memory(4 * (STATES + workers)));
  control[FIRST_BAD] = total;
  return { paths, conversion, skipBad, images: new Uint8Array(new Memory(total * imageSize(conversion))), results: new Int32Array(new Memory(3 * 4 * total)), control };
}

export function jobOf(setup: DecodeWorkerSetup): DecodeJob {
  return { paths: setup.paths, conversion: setup.conversion, skipBad: setup.skipBad, images: new Uint8Array(setup.images), results: new Int32Array(setup.results), control: new Int32Array(setup.control) };
}

export function workerStateSlot(worker: number): number {
  return STATES + worker;
}

/** Why a file failed, without its path (an XcnnError from the reader starts with it). */
export function reasonOf(error: unknown, path: string): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message;
}

/** Reads, decodes and converts one file into `out` (its slot); a bad file throws a PictureProblem or an XcnnError. */
function decodeFile(path: string, conversion: InputConversion, out: Uint8Array): { width: number; height: number; steps: ConversionSteps } {
  const { header, rgba } = decodePicture(readUserFile(path, { what: 'the image', maxBytes: MAX_PICTURE_FILE_BYTES }));
  const steps = pictureToInput(rgba, header.width, header.height, header.channels, conversion, out, path);
  return { width: header.width, height: header.height, steps };
}

/** Lowers control[slot] to `value` if it is higher (an atomic minimum). */
function lowerTo(control: Int32Array, slot: number, value: number): void {
  for (let seen = Atomics.load(control, slot); value < seen; ) {
    const was = Atomics.compareExchange(control, slot, seen, value);
    if (was === seen) return;
    seen = was;
  }
}

/**
 * One thread's share: claims chunks of files until none is left (or none before the first bad file),
 * decoding each into its slot; returns how many files it finished and those it could not use.
 * `afterFile` runs after each file. An error other than a bad file's stops every thread (FATAL) and is thrown.
 */
export function decodeShare(job: DecodeJob, afterFile: () => void): { finished: number; problems: FileProblem[] } {
  const { paths, control, results } = job;
  const total = paths.length;
  const size = imageSize(job.conversion);
  const problems: FileProblem[] = [];
  let finished = 0;
  for (;;) {
    const start = Atomics.add(control, NEXT, CHUNK);
    if (start >= total || start > Atomics.load(control, FIRST_BAD) || Atomics.load(control, FATAL) !== 0) return { finished, problems };
    const end = Math.min(start + CHUNK, total);
    for (let k = start; k < end && k <= Atomics.load(control, FIRST_BAD); k++) {
      try {
        const { width, height, steps } = decodeFile(paths[k], job.conversion, job.images.subarray(k * size, (k + 1) * size));
        let flags = DECODED;
        for (const step of Object.keys(STEP_BITS) as Array<keyof ConversionSteps>) if (steps[step]) flags |= STEP_BITS[step];
        results[3 * k] = width;
        results[3 * k + 1] = height;
        results[3 * k + 2] = flags;
      } catch (error) {
        if (!(error instanceof PictureProblem || error instanceof XcnnError)) {
          Atomics.store(control, FATAL, 1);
          throw error;
        }
        results[3 * k + 2] = BAD;
        problems.push([k, reasonOf(error, paths[k])]);
        if (!job.skipBad) lowerTo(control, FIRST_BAD, k);
      }
      finished++;
      Atomics.add(control, DONE, 1);
      afterFile();
    }
  }
}

/** The conversion steps a file's flags hold. */
export function stepsOf(flags: number): ConversionSteps {
  return { resized: (flags & STEP_BITS.resized) !== 0, toGrey: (flags & STEP_BITS.toGrey) !== 0, toColour: (flags & STEP_BITS.toColour) !== 0, alpha: (flags & STEP_BITS.alpha) !== 0 };
}

/** The decoding threads: the option's (1 to MAX_THREADS), else the cores there are. */
export function decodingThreads(threads: number | undefined): number {
  if (threads === undefined) return Math.max(1, Math.min(MAX_THREADS, availableParallelism()));
  if (!Number.isSafeInteger(threads) || threads < 1 || threads > MAX_THREADS) throw optionError('threads', `threads: ${threads} is not a whole number from 1 to ${MAX_THREADS}`);
  return threads;
}

export interface DecodedFiles {
  images: Uint8Array; // [N, C, H, W], file k's image in slot k
  results: Int32Array; // [N, 3]: width, height, flags
  problems: FileProblem[]; // in file order
  threads: number; // the threads that decoded at least one file (this one included when it did)
}

export interface DecodeOptions {
  skipBad: boolean;
  threads: number;
  onProgress?: (done: number, total: number) => void;
}

/** The worker threads a job of `total` files gets of `threads` in all: one for each FILES_PER_WORKER files at most. */
export function workerCount(threads: number, total: number): number {
  return Math.max(0, Math.min(threads - 1, Math.floor(total / FILES_PER_WORKER)));
}

/**
 * Decodes `paths` into one byte array, on `threads` threads at most (this one included: fewer when
 * there are fewer than FILES_PER_WORKER files for each extra one). Without skipBad, the first bad file
 * in file order is thrown as the caller words it (`badFile`), once every file before it is decoded.
 */
export function decodeFiles(paths: string[], conversion: InputConversion, options: DecodeOptions, badFile: (path: string, reason: string) => Error): DecodedFiles {
  const total = paths.length;
  const workers = workerCount(options.threads, total);
  const job = createJob(paths, conversion, options.skipBad, workers);
  const started = startWorkers(job, workers);
  let reported = 0;
  const progress = () => {
    // A bad file without skipBad ends the load in its one-line error: no more progress after it (a
    // non-terminal bar prints whole lines, which would come before the error).
    if (Atomics.load(job.control, FIRST_BAD) < total) return;
    const done = Atomics.load(job.control, DONE);
    if (done - reported >= 64 || (done === total && reported < total)) {
      reported = done;
      options.onProgress?.(done, total);
    }
  };
  let own: OwnShare;
  try {
    own = decodeShare(job, progress);
  } catch (error) {
    own = { fatal: error };
  }
  const { problems, threads, fatal } = gatherShares(job, started, own, progress);
  if (fatal !== undefined) throw fatal;
  if (!options.skipBad && problems.length > 0) throw badFile(paths[problems[0][0]], problems[0][1]);
  progress();
  return { images: job.images, results: job.results, problems, threads };
}

/** A worker started on a job: its thread, and the port its report comes on. */
export interface StartedWorker {
  thread: Pick<Worker, 'terminate'>;
  port: MessagePort;
}

/** This thread's share of a job: what decodeShare returned, or the unexpected error it threw. */
export type OwnShare = { finished: number; problems: FileProblem[] } | { fatal: unknown };

/**
 * Once this thread's share is done: cancels each worker still WAITING (started[w] is worker w), waits for
 * each RUNNING one to report (calling `progress` between waits), and gathers every thread's bad files in
 * file order, the threads that decoded at least one file (at least 1), and the first unexpected error,
 * this thread's before any worker's.
 */
export function gatherShares(job: DecodeJob, started: StartedWorker[], own: OwnShare, progress: () => void): { problems: FileProblem[]; threads: number; fatal?: unknown } {
  // concat, not push(...): a folder may hold hundreds of thousands of bad files, more than a call's arguments.
  let problems: FileProblem[] = [];
  let fatal: unknown;
  let threads = 0;
  if ('fatal' in own) fatal = own.fatal;
  else {
    problems = problems.concat(own.problems);
    if (own.finished > 0) threads++;
  }
  for (const [worker, { thread, port }] of started.entries()) {
    const slot = workerStateSlot(worker);
    if (Atomics.compareExchange(job.control, slot, WorkerState.WAITING, WorkerState.CANCELLED) !== WorkerState.WAITING) {
      while (Atomics.load(job.control, slot) !== WorkerState.REPORTED) {
        Atomics.wait(job.control, slot, WorkerState.RUNNING, 100);
        progress();
      }
      const report = receiveMessageOnPort(port)?.message as DecodeWorkerReport | undefined;
      problems = problems.concat(report?.problems ?? []);
      if ((report?.finished ?? 0) > 0) threads++;
      if (report?.fatal !== undefined) fatal ??= new Error(`a decoding thread failed: ${report.fatal}`);
    }
    port.close();
    thread.terminate().catch(() => {});
  }
  problems.sort((a, b) => a[0] - b[0]);
  return { problems, threads: Math.max(1, threads), ...(fatal === undefined ? {} : { fatal }) };
}

/**
 * Starts `count` workers on a job (worker w in state slot w) on the decoding thread `url()` finds; with none,
 * it looks for none, so that one thread decodes without the compiled code.
 */
export function startWorkers(job: DecodeJob, count: number, url: () => URL = workerUrl): StartedWorker[] {
  if (count === 0) return [];
  const found = url();
  return Array.from({ length: count }, (_, worker) => startWorker(job, worker, found));
}

/** Starts worker `worker` of a job on the decoding thread at `url` (workerUrl). */
export function startWorker(job: DecodeJob, worker: number, url: URL): { thread: Worker; port: MessagePort } {
  const { port1, port2 } = new MessageChannel();
  const setup: DecodeWorkerSetup = {
    paths: job.paths,
    conversion: job.conversion,
    skipBad: job.skipBad,
    images: job.images.buffer as SharedArrayBuffer,
    results: job.results.buffer as SharedArrayBuffer,
    control: job.control.buffer as SharedArrayBuffer,
    worker,
    port: port1,
  };
  const thread = new Worker(url, { workerData: setup, transferList: [port1], execArgv: workerExecArgv(process.execArgv) });
  // A worker that fails to start is cancelled, not waited for (see the header); its error event must not end the process.
  thread.on('error', () => {});
  thread.unref();
  return { thread, port: port2 };
}

/** dist/src/data/decode-worker.js: from dist/ itself, or from src/ when running under vitest (as the thread pool's worker). */
export function workerUrl(): URL {
  return decodeWorkerUrl(import.meta.url, packageRoot(), existsSync);
}

/**
 * The decoding thread's module for this module at `moduleUrl`: its neighbour when this is compiled (.js);
 * else (TypeScript run by vitest) the compiled one under `root`/dist/, which `exists` must find.
 */
export function decodeWorkerUrl(moduleUrl: string, root: string, exists: (path: string) => boolean): URL {
  if (fileURLToPath(moduleUrl).endsWith('.js')) return new URL('./decode-worker.js', moduleUrl);
  const built = join(root, 'dist', 'src', 'data', 'decode-worker.js');
  if (!exists(built)) throw new XcnnError(`the decoding threads need the compiled code (${built}): run \`npm run build\``, { code: 'ERR_SETUP' });
  return pathToFileURL(built);
}
