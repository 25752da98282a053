/**
 * A worker thread's side of the pool's protocol (worker-loop.ts), run in this process on shards the test
 * plays: which shard method each command runs, the barriers it arrives at, a failure recorded (never thrown)
 * with the thread's number and message, TRAIN's update only once every thread has computed and none failed,
 * and the loop serving commands from generation 0 until EXIT, spinning on the generation (sync[SPIN]) before it
 * sleeps until a command comes. test/parallel-shards.test.ts runs the real shards.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Command, COMMAND, COMPUTED, ControlBlock, FAILED, GENERATION, SPIN, UPDATED } from '../src/parallel/control.js';
import type { Shard } from '../src/parallel/shard.js';
import { computeShare, nextGeneration, serveCommand, serveCommands } from '../src/parallel/worker-loop.js';
import { errorOf } from './errors.js';

const METHODS = {
  TRAIN: 'computeGradients',
  PREDICT: 'predict',
  GRAD_CAM: 'gradCam',
  LOGITS: 'logits',
  INPUT_GRADIENTS: 'inputGradients',
  CURVES: 'curves',
  CAM_MAPS: 'camMaps',
  COALITION_SCORES: 'coalitionScores',
  OCCLUSION_SCORES: 'occlusionScores',
  MASKED_LOGITS: 'maskedLogits',
  LIME_FITS: 'limeFits',
  SMOOTHGRAD_MAPS: 'smoothGradMaps',
} as const;

/** A shard that records the methods called on it (with the control block they were given), doing what `act` says. */
function playedShard(thread: number, threads: number, act: Partial<Record<string, (control: ControlBlock) => void>> = {}) {
  const calls: string[] = [];
  const controls: ControlBlock[] = [];
  const methods = [...Object.values(METHODS), 'sumAndUpdate'];
  const shard = Object.fromEntries(
    methods.map((name) => [
      name,
      (control: ControlBlock) => {
        calls.push(name);
        controls.push(control);
        act[name]?.(control);
      },
    ]),
  );
  return { shard: { ...shard, thread, threads } as unknown as Shard, calls, controls };
}

describe('computeShare', () => {
  it('runs the shard method of each command, given the control block', () => {
    const control = new ControlBlock();
    for (const [command, method] of Object.entries(METHODS)) {
      const { shard, calls, controls } = playedShard(1, 2);
      computeShare(shard, Command[command as keyof typeof METHODS], control);
      expect(calls, command).toEqual([method]);
      expect(controls[0]).toBe(control);
    }
  });

  it('refuses a command it does not know (EXIT, which the loop handles, among them) with the thread and the number', () => {
    const { shard, calls } = playedShard(3, 4);
    expect(errorOf(() => computeShare(shard, 99, new ControlBlock()), 'ERR_SETUP').message).toBe('worker thread 3: unknown command 99; the pool and its workers must come from the same build');
    expect(errorOf(() => computeShare(shard, Command.EXIT, new ControlBlock()), 'ERR_SETUP').message).toBe('worker thread 3: unknown command 4; the pool and its workers must come from the same build');
    expect(calls).toEqual([]);
  });
});

describe('serveCommand', () => {
  it('runs a command that is not TRAIN and arrives at COMPUTED only', () => {
    const control = new ControlBlock();
    const { shard, calls } = playedShard(1, 3);
    serveCommand(shard, control, Command.LOGITS);
    expect(calls).toEqual(['logits']);
    expect([control.sync[COMPUTED], control.sync[UPDATED], control.sync[FAILED]]).toEqual([1, 0, 0]);
  });

  it('records a thrown Error as this thread\'s failure, and still arrives', () => {
    const control = new ControlBlock();
    const { shard } = playedShard(2, 3, { predict: () => { throw new Error('out of memory in the shard'); } });
    serveCommand(shard, control, Command.PREDICT);
    expect([control.sync[COMPUTED], control.sync[FAILED]]).toEqual([1, 3]);
    expect(errorOf(() => control.throwIfFailed(), 'ERR_SETUP').message).toBe('worker thread 2 failed: out of memory in the shard');
  });

  it('records a thrown value that is not an Error as its text', () => {
    const control = new ControlBlock();
    const { shard } = playedShard(1, 2, { gradCam: () => { throw 'a bare string'; } });
    serveCommand(shard, control, Command.GRAD_CAM);
    expect(errorOf(() => control.throwIfFailed()).message).toBe('worker thread 1 failed: a bare string');
  });

  it('TRAIN: computes, arrives, sums and updates its slice once every thread has computed, and arrives at UPDATED', () => {
    const control = new ControlBlock();
    control.sync[COMPUTED] = 2; // the two other threads of three are done
    const { shard, calls } = playedShard(1, 3, { sumAndUpdate: (c) => expect(c.sync[COMPUTED]).toBe(3) });
    serveCommand(shard, control, Command.TRAIN);
    expect(calls).toEqual(['computeGradients', 'sumAndUpdate']);
    expect([control.sync[COMPUTED], control.sync[UPDATED], control.sync[FAILED]]).toEqual([3, 1, 0]);
  });

  it('TRAIN: waits at the barrier for a thread that arrives later before it sums', async () => {
    const control = new ControlBlock();
    control.sync[COMPUTED] = 1; // of three threads, one is done and one (a real thread here) is still computing
    let seen = -1;
    const { shard } = playedShard(2, 3, { sumAndUpdate: (c) => (seen = Atomics.load(c.sync, COMPUTED)) });
    const late = new Worker(
      `const { workerData } = require('node:worker_threads');
       const sync = new Int32Array(workerData, 0, 16);
       Atomics.wait(sync, 15, 0, 300); // a while, then arrive at COMPUTED (slot ${COMPUTED})
       Atomics.add(sync, ${COMPUTED}, 1);
       Atomics.notify(sync, ${COMPUTED});`,
      { eval: true, workerData: control.buffer },
    );
    const exited = new Promise((resolve) => late.once('exit', resolve));
    serveCommand(shard, control, Command.TRAIN);
    await exited;
    expect(seen).toBe(3);
    expect(control.sync[UPDATED]).toBe(1);
  });

  it('TRAIN: a thread that failed to compute does not update, and still arrives at both barriers', () => {
    const control = new ControlBlock();
    control.sync[COMPUTED] = 1;
    const { shard, calls } = playedShard(1, 2, { computeGradients: () => { throw new Error('a NaN kernel'); } });
    serveCommand(shard, control, Command.TRAIN);
    expect(calls).toEqual(['computeGradients']);
    expect([control.sync[COMPUTED], control.sync[UPDATED], control.sync[FAILED]]).toEqual([2, 1, 2]);
  });

  it('TRAIN: no thread updates after another thread failed', () => {
    const control = new ControlBlock();
    control.sync[COMPUTED] = 1;
    control.fail(0, 'the main thread failed');
    const { shard, calls } = playedShard(1, 2);
    serveCommand(shard, control, Command.TRAIN);
    expect(calls).toEqual(['computeGradients']);
    expect(control.sync[UPDATED]).toBe(1);
    expect(errorOf(() => control.throwIfFailed()).message).toBe('worker thread 0 failed: the main thread failed');
  });

  it('TRAIN: a failed update is recorded, and the thread still arrives at UPDATED', () => {
    const control = new ControlBlock();
    control.sync[COMPUTED] = 2;
    const { shard } = playedShard(2, 3, { sumAndUpdate: () => { throw new Error('the slice is out of range'); } });
    serveCommand(shard, control, Command.TRAIN);
    expect([control.sync[UPDATED], control.sync[FAILED]]).toEqual([1, 3]);
    expect(errorOf(() => control.throwIfFailed()).message).toBe('worker thread 2 failed: the slice is out of range');
  });

  it('TRAIN: a failed update of a value that is not an Error is recorded as its text', () => {
    const control = new ControlBlock();
    control.sync[COMPUTED] = 1;
    const { shard } = playedShard(1, 2, { sumAndUpdate: () => { throw 42; } });
    serveCommand(shard, control, Command.TRAIN);
    expect(errorOf(() => control.throwIfFailed()).message).toBe('worker thread 1 failed: 42');
  });
});

describe('serveCommands', () => {
  it('serves the command posted before it started (generation 1), then the next, and returns at EXIT', () => {
    const control = new ControlBlock();
    // The pool posts PREDICT at generation 1 before the loop waits; the shard, as the pool would, posts LOGITS and then EXIT.
    Atomics.store(control.sync, COMMAND, Command.PREDICT);
    Atomics.store(control.sync, GENERATION, 1);
    const post = (command: number) => {
      Atomics.store(control.sync, COMMAND, command);
      Atomics.add(control.sync, GENERATION, 1);
    };
    const { shard, calls } = playedShard(1, 2, { predict: () => post(Command.LOGITS), logits: () => post(Command.EXIT) });
    serveCommands(shard, control);
    expect(calls).toEqual(['predict', 'logits']);
    expect(control.sync[COMPUTED]).toBe(2);
  });

  /**
   * Another thread (slot 15 its start-up flag) that posts PREDICT at generation 1 after `postMs`, notifying only
   * if `notify`, and notifies GENERATION once more at `rescueMs` (so that no wait outlives the test) — with no new
   * generation, as a late notify would; then, if `exitMs` is given, posts EXIT at generation 2 at `exitMs`, notifying.
   */
  async function laterPoster(control: ControlBlock, postMs: number, notify: boolean, rescueMs: number, exitMs?: number) {
    const poster = new Worker(
      `const { workerData } = require('node:worker_threads');
       const sync = new Int32Array(workerData, 0, 16);
       const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
       Atomics.store(sync, 15, 1);
       sleep(${postMs});
       Atomics.store(sync, ${COMMAND}, ${Command.PREDICT});
       Atomics.store(sync, ${GENERATION}, 1);
       if (${notify}) Atomics.notify(sync, ${GENERATION});
       sleep(${rescueMs - postMs});
       Atomics.notify(sync, ${GENERATION});
       if (${exitMs !== undefined}) {
         sleep(${(exitMs ?? rescueMs) - rescueMs});
         Atomics.store(sync, ${COMMAND}, ${Command.EXIT});
         Atomics.store(sync, ${GENERATION}, 2);
         Atomics.notify(sync, ${GENERATION});
       }`,
      { eval: true, workerData: control.buffer },
    );
    const exited = new Promise((resolve) => poster.once('exit', resolve));
    while (Atomics.load(control.sync, 15) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    return { exited }; // (a promise returned bare would be awaited with this function's)
  }

  /** A played worker whose PREDICT posts EXIT, as the pool would after it. */
  const exitingAfterPredict = () => playedShard(1, 2, { predict: (c) => (Atomics.store(c.sync, COMMAND, Command.EXIT), Atomics.add(c.sync, GENERATION, 1)) });

  it('spinning (sync[SPIN]), sees a command posted without a notify as soon as it is posted, and serves it once', async () => {
    const control = new ControlBlock();
    control.sync[SPIN] = 1_500_000; // 1.5 s, far more than the 50 ms the command takes to come
    const { exited } = await laterPoster(control, 50, false, 3000);
    const { shard, calls } = exitingAfterPredict();
    const started = performance.now();
    serveCommands(shard, control);
    // A loop that slept at once would wake at the rescue, 3 s in; one that spun on past the change, after 1.5 s.
    expect(performance.now() - started).toBeLessThan(1000);
    expect(calls).toEqual(['predict']);
    expect([control.sync[COMPUTED], control.sync[FAILED]]).toEqual([1, 0]);
    await exited;
  });

  it('once its spin is spent, sleeps until the command is posted: it serves nothing before', async () => {
    const control = new ControlBlock();
    control.sync[SPIN] = 20_000; // 20 ms, and the command comes at 200 ms, with a notify
    const { exited } = await laterPoster(control, 200, true, 400);
    const { shard, calls } = exitingAfterPredict();
    serveCommands(shard, control);
    // A loop that did not sleep would have served generation 0's command (none: a failure) before PREDICT.
    expect(calls).toEqual(['predict']);
    expect([control.sync[COMPUTED], control.sync[FAILED]]).toEqual([1, 0]);
    await exited;
  });

  it('serves a command once when its notify comes after the thread served it and fell asleep (a late notify)', async () => {
    const control = new ControlBlock();
    control.sync[SPIN] = 1000; // 1 ms, as a pool sets it
    // PREDICT posted and notified at 50 ms; at 250 ms, the command long served and this thread asleep, a notify with
    // no new generation; EXIT at 450 ms.
    const { exited } = await laterPoster(control, 50, true, 250, 450);
    const { shard, calls } = playedShard(1, 2);
    serveCommands(shard, control);
    // Served again, PREDICT would count this thread in twice: COMPUTED 2.
    expect(calls).toEqual(['predict']);
    expect([control.sync[COMPUTED], control.sync[FAILED]]).toEqual([1, 0]);
    await exited;
  });

  it('returns at once on EXIT, running nothing', () => {
    const control = new ControlBlock();
    Atomics.store(control.sync, COMMAND, Command.EXIT);
    Atomics.store(control.sync, GENERATION, 1);
    const { shard, calls } = playedShard(1, 2);
    serveCommands(shard, control);
    expect(calls).toEqual([]);
    expect(control.sync[COMPUTED]).toBe(0);
  });
});

describe('nextGeneration', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('returns the posted generation at once when it is past the one served, without sleeping', () => {
    const control = new ControlBlock();
    const wait = vi.spyOn(Atomics, 'wait');
    Atomics.store(control.sync, GENERATION, 8);
    expect(nextGeneration(control, 7)).toBe(8);
    expect(wait).not.toHaveBeenCalled();
  });

  it('sleeps on the generation served, and again after each wake-up that finds no new one', () => {
    const control = new ControlBlock(); // sync[SPIN] 0: no spin
    Atomics.store(control.sync, GENERATION, 4);
    let wakes = 0;
    const wait = vi.spyOn(Atomics, 'wait').mockImplementation(() => {
      wakes++;
      if (wakes === 3) Atomics.store(control.sync, GENERATION, 5); // the third wake-up finds the command posted
      return 'ok';
    });
    expect(nextGeneration(control, 4)).toBe(5);
    expect(wait).toHaveBeenCalledTimes(3);
    for (const call of wait.mock.calls) expect(call).toEqual([control.sync, GENERATION, 4]);
  });

  it('sees a command posted while it spins without sleeping', () => {
    const control = new ControlBlock();
    control.sync[SPIN] = 10_000_000; // far longer than the test
    Atomics.store(control.sync, GENERATION, 1);
    const wait = vi.spyOn(Atomics, 'wait');
    let looks = 0;
    const load = Atomics.load;
    vi.spyOn(Atomics, 'load').mockImplementation((array, index) => {
      if (array === control.sync && index === GENERATION && ++looks === 50) Atomics.store(control.sync, GENERATION, 2);
      return load(array as Int32Array, index);
    });
    expect(nextGeneration(control, 1)).toBe(2);
    expect(wait).not.toHaveBeenCalled();
  });
});
