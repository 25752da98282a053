import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { availableParallelism } from 'node:os';
import { MessageChannel } from 'node:worker_threads';
import { pathToFileURL } from 'node:url';
import { BAD, CHUNK, createJob, decodeFiles, decodeShare, decodeWorkerUrl, decodingThreads, DECODED, FILES_PER_WORKER, gatherShares, jobOf, JobSlot, startWorker, startWorkers, stepsOf, workerCount, workerStateSlot, WorkerState, type DecodeWorkerReport, type StartedWorker } from '../src/data/folder-decoding.js';
import { workerExecArgv } from '../src/parallel/node-transport.js';
import { loadImageFolder, loadImageFolderTest } from '../src/data/image-folder-files.js';
import { XcnnError } from '../src/errors.js';
import { greyPng, pngOf, tempFolder, writeTree } from './fixtures/picture-files.js';

const CLASSES = ['a', 'b', 'c'];
/** Enough files for two workers besides this thread (FILES_PER_WORKER each). */
const PER_CLASS = Math.ceil((2 * FILES_PER_WORKER + 60) / CLASSES.length);

/**
 * A folder whose every 2 × 2 image says which file it is: pixels (id mod 256, id div 256, 50 · class, 7).
 * Every fifth is RGB (grey in all three channels, so its bytes survive the conversion to grey); every
 * 40th is 4 × 4 of one level (200 + class), resized to 2 × 2. `bad` names files replaced by junk.
 */
function numberedFolder(bad: string[] = []): string {
  const files: Record<string, Uint8Array | string> = {};
  let id = 0;
  for (const [label, name] of CLASSES.entries()) {
    for (let n = 0; n < PER_CLASS; n++, id++) {
      const path = `${name}/${String(n).padStart(4, '0')}.png`;
      if (bad.includes(path)) files[path] = 'not a picture';
      else if (n % 40 === 39) files[path] = greyPng(200 + label, 4, 4);
      else {
        const levels = [id % 256, Math.floor(id / 256), 50 * label, 7];
        const rgba = new Uint8Array(levels.flatMap((v) => [v, v, v, 255]));
        files[path] = pngOf(rgba, 2, 2, n % 5 === 0 ? 2 : 0);
      }
    }
  }
  return writeTree(tempFolder('xcnn-threads-'), files);
}

/** Every image of a set is one written above: its label is the class its pixels name. */
function expectLabelsMatchPixels(set: { count: number; images: Uint8Array; labels: ArrayLike<number> }): void {
  for (let n = 0; n < set.count; n++) {
    const pixels = set.images.subarray(4 * n, 4 * n + 4);
    const label = pixels[3] === 7 ? pixels[2] / 50 : pixels[0] - 200;
    expect(label).toBe(set.labels[n]);
  }
}

describe('a thread\'s share of the files (the order every thread keeps)', () => {
  // 40 files, 2 × 2 grey of level k for file k; `bad` are junk. Another thread is played by setting the control block.
  const folder = (bad: number[]) => {
    const dir = writeTree(tempFolder('xcnn-share-'), Object.fromEntries(Array.from({ length: 40 }, (_, k) => [`f${k}.png`, bad.includes(k) ? 'junk' : greyPng(k, 2, 2)])));
    return Array.from({ length: 40 }, (_, k) => join(dir, `f${k}.png`));
  };
  const conversion = { channels: 1 as const, height: 2, width: 2, preprocess: 'none' as const };
  const flags = (job: ReturnType<typeof createJob>) => Array.from({ length: 40 }, (_, k) => job.results[3 * k + 2] & (DECODED | BAD));

  it('takes the chunks no other thread took, and nothing after a bad file another thread found', () => {
    const job = createJob(folder([]), conversion, false, 0);
    job.control[JobSlot.NEXT] = 16; // another thread holds files 0–15
    job.control[JobSlot.FIRST_BAD] = 30; // and found file 30 bad
    const share = decodeShare(job, () => {});
    // Files 16–30 decoded (30 is the other thread's to report; decoding it again changes nothing), none after.
    expect(flags(job)).toEqual(Array.from({ length: 40 }, (_, k) => (k >= 16 && k <= 30 ? DECODED : 0)));
    expect(share).toEqual({ finished: 15, problems: [] });
    expect(job.control[JobSlot.DONE]).toBe(15);
    expect(Array.from(job.images.subarray(4 * 16, 4 * 17))).toEqual([16, 16, 16, 16]);
    expect(Array.from(job.images.subarray(4 * 31, 4 * 32))).toEqual([0, 0, 0, 0]);
  });

  it('lowers the first bad index to a bad file before it, and stops there', () => {
    const job = createJob(folder([20, 25]), conversion, false, 0);
    job.control[JobSlot.NEXT] = 16;
    job.control[JobSlot.FIRST_BAD] = 30;
    const share = decodeShare(job, () => {});
    expect(job.control[JobSlot.FIRST_BAD]).toBe(20);
    expect(flags(job)).toEqual(Array.from({ length: 40 }, (_, k) => (k >= 16 && k < 20 ? DECODED : k === 20 ? BAD : 0)));
    expect(share.problems).toEqual([[20, expect.stringMatching(/^not a PNG or JPEG file/)]]);
  });

  it('never raises the first bad index: a later bad file leaves an earlier one standing', () => {
    const job = createJob(folder([20]), conversion, false, 0);
    job.control[JobSlot.FIRST_BAD] = 5; // another thread's bad file 5 comes first
    job.control[JobSlot.NEXT] = 16;
    const share = decodeShare(job, () => {});
    expect(job.control[JobSlot.FIRST_BAD]).toBe(5);
    expect(share).toEqual({ finished: 0, problems: [] });
  });

  it('with skipBad goes on past bad files to the end, leaving the first bad index at the total', () => {
    const job = createJob(folder([3, 20, 39]), conversion, true, 0);
    const calls: number[] = [];
    const share = decodeShare(job, () => calls.push(job.control[JobSlot.DONE]));
    expect(job.control[JobSlot.FIRST_BAD]).toBe(40);
    expect(share.finished).toBe(40);
    expect(share.problems.map(([k]) => k)).toEqual([3, 20, 39]);
    expect(flags(job)).toEqual(Array.from({ length: 40 }, (_, k) => ([3, 20, 39].includes(k) ? BAD : DECODED)));
    expect(calls).toEqual(Array.from({ length: 40 }, (_, k) => k + 1));
  });

  it('stops at its first claim past the end or past the first bad file: no empty chunk claimed after it', () => {
    expect(CHUNK).toBe(16);
    // 40 files: chunks 0, 16 and 32 decoded, the claim at 48 is past the end; NEXT is then 64.
    const all = createJob(folder([]), conversion, false, 0);
    expect(decodeShare(all, () => {}).finished).toBe(40);
    expect(all.control[JobSlot.NEXT]).toBe(64);
    // 32 files (a whole number of chunks): the claim at 32 is already past the end; NEXT is 48.
    const whole = createJob(folder([]).slice(0, 32), conversion, false, 0);
    expect(decodeShare(whole, () => {}).finished).toBe(32);
    expect(whole.control[JobSlot.NEXT]).toBe(48);
    // A bad file 20 in the chunk from 16: the claim at 32 is past it, so the thread stops there; NEXT is 48.
    const bad = createJob(folder([20]), conversion, false, 0);
    bad.control[JobSlot.NEXT] = 16;
    expect(decodeShare(bad, () => {}).finished).toBe(5);
    expect(bad.control[JobSlot.NEXT]).toBe(48);
  });

  it('claims nothing once another thread has stopped on an unexpected error', () => {
    const job = createJob(folder([]), conversion, false, 0);
    job.control[JobSlot.FATAL] = 1;
    expect(decodeShare(job, () => {})).toEqual({ finished: 0, problems: [] });
    expect(flags(job)).toEqual(Array.from({ length: 40 }, () => 0));
  });

  it('stops every thread on an error that is no bad file\'s, and throws it', () => {
    // A conversion whose preprocess cannot be read: an error of the program, not of a file.
    const broken = { channels: 1 as const, height: 2, width: 2, get preprocess(): 'none' { throw new Error('boom'); } };
    const job = createJob(folder([]), broken, true, 0);
    expect(() => decodeShare(job, () => {})).toThrow(/^boom$/);
    expect(job.control[JobSlot.FATAL]).toBe(1);
    expect(job.control[JobSlot.DONE]).toBe(0);
    expect(flags(job)[0]).toBe(0);
    expect(() => decodeFiles(folder([]), broken, { skipBad: true, threads: 1 }, () => new Error('no bad file here'))).toThrow(/^boom$/);
  });
});

describe('the flags of a decoded file', () => {
  it('hold each conversion step in a bit of its own, beside DECODED and BAD', () => {
    expect([DECODED, BAD]).toEqual([16, 32]);
    const none = { resized: false, toGrey: false, toColour: false, alpha: false };
    expect(stepsOf(DECODED)).toEqual(none);
    expect(stepsOf(DECODED | 1)).toEqual({ ...none, resized: true });
    expect(stepsOf(DECODED | 2)).toEqual({ ...none, toGrey: true });
    expect(stepsOf(DECODED | 4)).toEqual({ ...none, toColour: true });
    expect(stepsOf(DECODED | 8)).toEqual({ ...none, alpha: true });
    expect(stepsOf(DECODED | 15)).toEqual({ resized: true, toGrey: true, toColour: true, alpha: true });
  });
});

describe('decodeFiles on one thread: progress and the first bad file', () => {
  const conversion = { channels: 1 as const, height: 1, width: 1, preprocess: 'none' as const };
  /** `count` 1 × 1 grey files, file k of level k mod 256; `bad` are junk. */
  const files = (count: number, bad: number[] = []) => {
    const dir = writeTree(tempFolder('xcnn-progress-'), Object.fromEntries(Array.from({ length: count }, (_, k) => [`f${String(k).padStart(3, '0')}.png`, bad.includes(k) ? 'junk' : greyPng(k % 256, 1, 1)])));
    return Array.from({ length: count }, (_, k) => join(dir, `f${String(k).padStart(3, '0')}.png`));
  };
  const badFile = (path: string, reason: string) => new Error(`${path} / ${reason}`);

  it('reports progress every 64 files and at the end: 64, 128, 130 of 130', () => {
    const seen: Array<[number, number]> = [];
    const decoded = decodeFiles(files(130), conversion, { skipBad: false, threads: 1, onProgress: (done, total) => seen.push([done, total]) }, badFile);
    expect(seen).toEqual([[64, 130], [128, 130], [130, 130]]);
    expect(Array.from(decoded.images)).toEqual(Array.from({ length: 130 }, (_, k) => k));
    expect(decoded.threads).toBe(1);
    expect(decoded.problems).toEqual([]);
  });

  it('reports no progress from the bad file on, and throws it as the caller words it', () => {
    // File 63 is bad: after it 64 files are done, which would be a report; none comes, since the load stops.
    const paths = files(100, [63]);
    const seen: number[] = [];
    expect(() => decodeFiles(paths, conversion, { skipBad: false, threads: 1, onProgress: (done) => seen.push(done) }, badFile)).toThrow(`${paths[63]} / not a PNG or JPEG file (it starts with neither signature)`);
    expect(seen).toEqual([]);
  });

  it('with skipBad lists every bad file in order and reports progress to the end', () => {
    const paths = files(70, [5, 63, 69]);
    const seen: number[] = [];
    const decoded = decodeFiles(paths, conversion, { skipBad: true, threads: 1, onProgress: (done) => seen.push(done) }, badFile);
    expect(decoded.problems.map(([k]) => k)).toEqual([5, 63, 69]);
    expect(seen).toEqual([64, 70]);
    expect(decoded.results[3 * 5 + 2]).toBe(BAD);
    expect(decoded.results[3 * 6 + 2]).toBe(DECODED);
    expect(Array.from(decoded.results.subarray(3 * 6, 3 * 6 + 2))).toEqual([1, 1]);
  });
});

describe('the workers a job gets, and gathering their shares', () => {
  const conversion = { channels: 1 as const, height: 1, width: 1, preprocess: 'none' as const };
  /** `count` 1 × 1 grey files, file k of level k; `bad` are junk. */
  const files = (count: number, bad: number[] = []) => {
    const dir = writeTree(tempFolder('xcnn-workers-'), Object.fromEntries(Array.from({ length: count }, (_, k) => [`f${k}.png`, bad.includes(k) ? 'junk' : greyPng(k, 1, 1)])));
    return Array.from({ length: count }, (_, k) => join(dir, `f${k}.png`));
  };
  /** A worker played by the test: its report is already on its port, its state is `state`. */
  const played = (job: ReturnType<typeof createJob>, worker: number, state: number, report?: DecodeWorkerReport) => {
    const { port1, port2 } = new MessageChannel();
    if (report !== undefined) port1.postMessage(report);
    job.control[workerStateSlot(worker)] = state;
    const terminated: number[] = [];
    const started: StartedWorker = { thread: { terminate: () => (terminated.push(worker), Promise.resolve(0)) }, port: port2 };
    return { started, terminated, close: () => port1.close() };
  };

  it('lays out the control block as its header says: four job slots, then worker w\'s state at 4 + w', () => {
    expect(JobSlot).toEqual({ NEXT: 0, FIRST_BAD: 1, DONE: 2, FATAL: 3, STATES: 4 });
    expect([0, 1, 2].map(workerStateSlot)).toEqual([4, 5, 6]);
    const job = createJob(files(3), conversion, false, 2);
    expect(Array.from(job.control)).toEqual([0, 3, 0, 0, 0, 0]);
    expect(job.images.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(createJob(files(3), conversion, false, 0).images.buffer).toBeInstanceOf(ArrayBuffer);
  });

  it('gives one worker per FILES_PER_WORKER files, at most one fewer than the threads', () => {
    expect(FILES_PER_WORKER).toBe(256);
    expect([workerCount(1, 100_000), workerCount(8, 255), workerCount(8, 256), workerCount(3, 511), workerCount(3, 512), workerCount(3, 100_000), workerCount(2, 0)]).toEqual([0, 0, 1, 1, 2, 2, 0]);
  });

  it('cancels a worker that has not started, counts only the threads that decoded a file, and sorts the bad files across threads', () => {
    const job = createJob(files(40), conversion, true, 4);
    const waiting = played(job, 0, WorkerState.WAITING);
    const idle = played(job, 1, WorkerState.REPORTED, { finished: 0, problems: [] });
    const busy = played(job, 2, WorkerState.REPORTED, { finished: 12, problems: [[3, 'three'], [20, 'twenty']] });
    const other = played(job, 3, WorkerState.REPORTED, { finished: 7, problems: [] });
    const gathered = gatherShares(job, [waiting.started, idle.started, busy.started, other.started], { finished: 5, problems: [[9, 'nine'], [1, 'one']] }, () => {});
    // This thread and the two workers that decoded files: 3 (the idle one and the cancelled one do not count).
    expect(gathered).toStrictEqual({ problems: [[1, 'one'], [3, 'three'], [9, 'nine'], [20, 'twenty']], threads: 3 });
    expect(job.control[workerStateSlot(0)]).toBe(WorkerState.CANCELLED);
    expect([...waiting.terminated, ...idle.terminated, ...busy.terminated, ...other.terminated]).toEqual([0, 1, 2, 3]);
    // No thread that decoded anything still counts as one (this one, which tried).
    expect(gatherShares(createJob(files(2), conversion, true, 0), [], { finished: 0, problems: [] }, () => {})).toStrictEqual({ problems: [], threads: 1 });
    for (const w of [waiting, idle, busy, other]) w.close();
  });

  it('waits for a running worker, calling progress between waits, until it reports', () => {
    const job = createJob(files(4), conversion, false, 1);
    const running = played(job, 0, WorkerState.RUNNING);
    const { port1 } = new MessageChannel();
    let calls = 0;
    // The test finishes the worker's share on the second call: its report, then its state.
    const { port1: reportPort, port2 } = new MessageChannel();
    const started: StartedWorker = { thread: running.started.thread, port: port2 };
    const gathered = gatherShares(job, [started], { finished: 0, problems: [] }, () => {
      if (++calls === 2) {
        reportPort.postMessage({ finished: 4, problems: [[2, 'two']] });
        Atomics.store(job.control, workerStateSlot(0), WorkerState.REPORTED);
      }
    });
    expect(calls).toBe(2);
    expect(gathered).toStrictEqual({ problems: [[2, 'two']], threads: 1 });
    for (const port of [port1, reportPort]) port.close();
    running.close();
  });

  it('keeps this thread\'s unexpected error before a worker\'s, and words a worker\'s as a failed decoding thread', () => {
    const job = createJob(files(4), conversion, false, 2);
    const first = played(job, 0, WorkerState.REPORTED, { finished: 1, problems: [], fatal: 'TypeError: x' });
    const second = played(job, 1, WorkerState.REPORTED, { finished: 1, problems: [], fatal: 'RangeError: y' });
    const gathered = gatherShares(job, [first.started, second.started], { finished: 2, problems: [] }, () => {});
    expect((gathered.fatal as Error).message).toBe('a decoding thread failed: TypeError: x');
    const own = new Error('here');
    const job2 = createJob(files(4), conversion, false, 1);
    const third = played(job2, 0, WorkerState.REPORTED, { finished: 1, problems: [], fatal: 'TypeError: z' });
    expect(gatherShares(job2, [third.started], { fatal: own }, () => {}).fatal).toBe(own);
    for (const w of [first, second, third]) w.close();
  });

  it('gives a worker views of the job\'s own shared buffers (jobOf, in the worker)', () => {
    const job = createJob(files(3), conversion, true, 1);
    const { port1, port2 } = new MessageChannel();
    const setup = { paths: job.paths, conversion, skipBad: true, images: job.images.buffer as SharedArrayBuffer, results: job.results.buffer as SharedArrayBuffer, control: job.control.buffer as SharedArrayBuffer, worker: 0, port: port1 };
    const seen = jobOf(setup);
    expect([seen.paths, seen.conversion, seen.skipBad]).toEqual([job.paths, conversion, true]);
    // A write through the worker's views is a write to the job's arrays.
    seen.images[2] = 9;
    seen.results[4] = 11;
    seen.control[JobSlot.DONE] = 3;
    expect([job.images[2], job.results[4], job.control[JobSlot.DONE]]).toEqual([9, 11, 3]);
    expect([seen.images.length, seen.results.length, seen.control.length]).toEqual([3, 9, 5]);
    port1.close();
    port2.close();
  });

  it('passes the process\'s Node options to a worker, less --input-type, which a worker refuses', () => {
    expect(workerExecArgv(['--input-type=module', '--max-old-space-size=512', '--input-type=commonjs', '--enable-source-maps'])).toEqual(['--max-old-space-size=512', '--enable-source-maps']);
    expect(workerExecArgv([])).toEqual([]);
  });

  it('finds the decoding thread beside the compiled module, or under dist/ for the TypeScript one, refusing a missing build', () => {
    expect(decodeWorkerUrl('file:///opt/xcnn/dist/src/data/folder-decoding.js', '/elsewhere', () => false).href).toBe('file:///opt/xcnn/dist/src/data/decode-worker.js');
    const asked: string[] = [];
    const found = decodeWorkerUrl('file:///home/x/xcnn/src/data/folder-decoding.ts', '/home/x/xcnn', (path) => (asked.push(path), true));
    expect(found.href).toBe(pathToFileURL('/home/x/xcnn/dist/src/data/decode-worker.js').href);
    expect(asked).toEqual(['/home/x/xcnn/dist/src/data/decode-worker.js']);
    expect(() => decodeWorkerUrl('file:///home/x/xcnn/src/data/folder-decoding.ts', '/home/x/xcnn', () => false)).toThrow(
      new XcnnError('the decoding threads need the compiled code (/home/x/xcnn/dist/src/data/decode-worker.js): run `npm run build`', { code: 'ERR_SETUP' }),
    );
  });

  it('starts no worker, and looks for no decoding thread, for a job this thread decodes alone', () => {
    const job = createJob(files(2), conversion, false, 0);
    expect(startWorkers(job, 0, () => { throw new Error('no decoding thread wanted'); })).toEqual([]);
  });

  it('a worker that fails as it starts ends quietly, and is cancelled as one that never started', async () => {
    const job = createJob(files(2), conversion, false, 1);
    const started = startWorker(job, 0, new URL('data:text/javascript,throw new Error("cannot start")'));
    await new Promise((resolve) => (started.thread as unknown as { once: (event: string, listener: () => void) => void }).once('exit', () => resolve(undefined)));
    expect(gatherShares(job, [started], { finished: 2, problems: [] }, () => {})).toStrictEqual({ problems: [], threads: 1 });
    expect(job.control[workerStateSlot(0)]).toBe(WorkerState.CANCELLED);
  });

  it('a real worker decodes the whole job into the shared arrays when this thread takes no share', () => {
    // Workers 0 and 1 start; this thread decodes nothing, so every file is theirs, whenever they start.
    const paths = files(40, [7, 33]);
    const job = createJob(paths, conversion, true, 2);
    const started = startWorkers(job, 2);
    expect(started).toHaveLength(2);
    // Wait (not a timing: the event itself, with a bound against a hang) until the workers have finished every file.
    for (let waits = 0; Atomics.load(job.control, JobSlot.DONE) < 40 && waits < 400; waits++) Atomics.wait(job.control, JobSlot.DONE, Atomics.load(job.control, JobSlot.DONE), 50);
    const gathered = gatherShares(job, started, { finished: 0, problems: [] }, () => {});
    expect(gathered.problems.map(([k, reason]) => [k, reason.slice(0, 22)])).toEqual([[7, 'not a PNG or JPEG file'], [33, 'not a PNG or JPEG file']]);
    expect(gathered.threads).toBeGreaterThanOrEqual(1);
    expect(job.control[JobSlot.DONE]).toBe(40);
    expect(Array.from(job.images)).toEqual(Array.from({ length: 40 }, (_, k) => ([7, 33].includes(k) ? 0 : k)));
    expect(Array.from({ length: 40 }, (_, k) => job.results[3 * k + 2] & (DECODED | BAD))).toEqual(Array.from({ length: 40 }, (_, k) => ([7, 33].includes(k) ? BAD : DECODED)));
    // Each worker reported, or was cancelled before it started (the other had taken every file by then).
    const states = [0, 1].map((worker) => job.control[workerStateSlot(worker)]);
    expect(states.every((state) => state === WorkerState.REPORTED || state === WorkerState.CANCELLED)).toBe(true);
    expect(states).toContain(WorkerState.REPORTED);
  });
});

describe('image folders decoded on worker threads', () => {
  it('gives the same bytes, labels, order and summary on three threads as on one', () => {
    const dir = numberedFolder();
    const one = loadImageFolder(dir, { threads: 1 });
    const three = loadImageFolder(dir, { threads: 3 });
    // How many threads decoded depends on how soon the workers start; the bytes do not.
    expect(one.threads).toBe(1);
    expect(three.threads).toBeGreaterThanOrEqual(1);
    expect(three.threads).toBeLessThanOrEqual(3);
    const total = CLASSES.length * PER_CLASS;
    expect(three.dataset.train.count + three.dataset.test.count).toBe(total);
    for (const part of ['train', 'test'] as const) {
      expect(Buffer.compare(three.dataset[part].images, one.dataset[part].images)).toBe(0);
      expect(Array.from(three.dataset[part].labels)).toEqual(Array.from(one.dataset[part].labels));
      expectLabelsMatchPixels(three.dataset[part]);
    }
    // The 2 × 2 images' ids are each there once: nothing lost, nothing written twice.
    const ids = new Set<number>();
    for (const set of [three.dataset.train, three.dataset.test]) {
      for (let n = 0; n < set.count; n++) if (set.images[4 * n + 3] === 7) ids.add(set.images[4 * n] + 256 * set.images[4 * n + 1]);
    }
    const fourByFour = CLASSES.length * Math.floor(PER_CLASS / 40);
    expect(ids.size).toBe(total - fourByFour);
    expect([...three.summary.sizes]).toEqual([...one.summary.sizes]);
    expect([...three.summary.sizes].map(([size]) => size)).toEqual(['2×2', '4×4']);
    expect(three.summary.sizes.get('4×4')).toBe(fourByFour);
    expect(three.summary.converted).toEqual(one.summary.converted);
    expect(three.summary.converted.resized).toBe(fourByFour);
  });

  it('with skipBad: the same files skipped, listed in file order, and the same sets as on one thread', () => {
    const bad = ['a/0003.png', 'b/0100.png', 'c/0007.png', 'c/0150.png', 'a/0170.png'];
    const dir = numberedFolder(bad);
    const one = loadImageFolder(dir, { threads: 1, skipBad: true });
    const three = loadImageFolder(dir, { threads: 3, skipBad: true });
    expect(three.summary.skipped).toEqual(one.summary.skipped);
    expect(three.summary.skipped.map((s) => s.file.slice(dir.length + 1)).sort()).toEqual([...bad].sort());
    expect(three.summary.skipped.every((s) => s.reason.startsWith('not a PNG or JPEG file'))).toBe(true);
    for (const part of ['train', 'test'] as const) {
      expect(three.dataset[part].count).toBe(one.dataset[part].count);
      expect(Buffer.compare(three.dataset[part].images, one.dataset[part].images)).toBe(0);
      expect(Array.from(three.dataset[part].labels)).toEqual(Array.from(one.dataset[part].labels));
      expectLabelsMatchPixels(three.dataset[part]);
    }
    expect(three.dataset.train.count + three.dataset.test.count).toBe(CLASSES.length * PER_CLASS - bad.length);
  });

  it('without skipBad: stops at the first bad file in file order, as one thread does, whichever thread meets it first', () => {
    // Bad files spread over the whole order: the threads meet several, the error names the first.
    const bad = ['a/0011.png', 'b/0042.png', 'c/0090.png', 'c/0180.png', 'b/0003.png'];
    const dir = numberedFolder(bad);
    const message = (threads: number) => {
      try {
        loadImageFolder(dir, { threads });
      } catch (error) {
        return (error as Error).message;
      }
      return 'no error';
    };
    const expected = message(1);
    expect(expected).toMatch(/: cannot use this image: not a PNG or JPEG file .*--skip-bad/);
    expect(bad.some((path) => expected.startsWith(`${dir}/${path}: `))).toBe(true);
    for (let run = 0; run < 3; run++) expect(message(3)).toBe(expected);
  });

  it('reports progress from every thread up to the total, never going back', () => {
    const dir = numberedFolder();
    const seen: Array<[number, number]> = [];
    loadImageFolder(dir, { threads: 3, onProgress: (done, total) => seen.push([done, total]) });
    const total = CLASSES.length * PER_CLASS;
    expect(seen.at(-1)).toEqual([total, total]);
    expect(seen.every(([, t]) => t === total)).toBe(true);
    for (let k = 1; k < seen.length; k++) expect(seen[k][0]).toBeGreaterThan(seen[k - 1][0]);
    expect(seen.length).toBeGreaterThan(2);
  });

  it('reads a test split alone on threads as on one', () => {
    const dir = numberedFolder();
    const conversion = { channels: 1 as const, height: 2, width: 2, preprocess: 'none' as const };
    const one = loadImageFolderTest(dir, conversion, { testSplit: 0.9, threads: 1 });
    const three = loadImageFolderTest(dir, conversion, { testSplit: 0.9, threads: 3 });
    expect(Buffer.compare(three.test.images, one.test.images)).toBe(0);
    expect(Array.from(three.test.labels)).toEqual(Array.from(one.test.labels));
  });

  it('decodes here alone when there are too few files to share, and refuses a thread count out of range', () => {
    const dir = writeTree(tempFolder('xcnn-threads-'), { 'a/1.png': greyPng(1), 'a/2.png': greyPng(2), 'b/1.png': greyPng(3), 'b/2.png': greyPng(4) });
    expect(loadImageFolder(dir, { threads: 8, testSplit: 0.5 }).threads).toBe(1);
    expect(decodingThreads(undefined)).toBe(Math.min(64, availableParallelism()));
    expect([decodingThreads(1), decodingThreads(64)]).toEqual([1, 64]);
    for (const threads of [0, 1.5, 65, Number.NaN]) expect(() => loadImageFolder(dir, { threads })).toThrow(/^threads: .* is not a whole number from 1 to 64$/);
    try {
      decodingThreads(65);
      expect.unreachable();
    } catch (error) {
      expect(error).toMatchObject({ message: 'threads: 65 is not a whole number from 1 to 64', code: 'ERR_BAD_ARGUMENT', option: 'threads' });
    }
  });
});
