/**
 * The thread pool's shared control block and its work split (src/parallel/control.ts), in one thread: each
 * thread's share of n items worked out by hand, with and without alignment; the barrier counting arrivals; a
 * barrier nobody reaches ending in its one-line error; the first failure recorded, its message carried whole
 * (up to the block's 2048 bytes) and thrown as the worker's.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import {
  ACTIVATIONS, MAX_DENSE_PASSES, CORNERS, WINDOW, SAMPLES, FIT_SCORES, OUT_FITS, KERNEL_WIDTH, LAMBDA, IMAGE_STARTS, IMAGES, NOISE_SIGMA, NOISE_STATE,
  ADAM_STEP, BATCH, CAM_RULE, COALITIONS, COMMAND, Command, COMPUTED, ControlBlock, CORRECT, FAILED, FEATURE_OF, FEATURES, GENERATION, INPUT, LABELS, LAYER, LEARNING_RATE, LOSS, MAX_THREADS,
  ORDERS, OUT_CURVES, OUT_GRADIENTS, OUT_HEATMAPS, OUT_LOGITS, OUT_MAPS, OUT_SCORES, OUT_WEIGHTS, PROBS, ROAD_SIGMA, ROAD_TOLERANCE, RULE, SEEDS, shareOf, SPIN, STEPS, NEXT, SUM_ONLY, TARGET, TARGETS, UPDATED,
} from '../src/parallel/control.js';

describe('shareOf', () => {
  it('splits n items into contiguous shares of ⌊k·n/T⌋ boundaries, the last ending at n', () => {
    // 10 items over 3 threads: boundaries 0, ⌊10/3⌋ = 3, ⌊20/3⌋ = 6, 10.
    expect([0, 1, 2].map((t) => shareOf(10, 3, t))).toEqual([[0, 3], [3, 6], [6, 10]]);
    expect([0, 1, 2, 3].map((t) => shareOf(2, 4, t))).toEqual([[0, 0], [0, 1], [1, 1], [1, 2]]);
    expect(shareOf(7, 1, 0)).toEqual([0, 7]);
    expect(shareOf(0, 2, 1)).toEqual([0, 0]);
  });

  it('with an alignment, puts every inner boundary on a multiple of it', () => {
    // 100 over 3 aligned to 4: ⌊33.3/4⌋·4 = 32, ⌊66.6/4⌋·4 = 64, and the last ends at 100.
    expect([0, 1, 2].map((t) => shareOf(100, 3, t, 4))).toEqual([[0, 32], [32, 64], [64, 100]]);
    // 6 over 4 aligned to 4: boundaries 0, 0, 0, 4, 6.
    expect([0, 1, 2, 3].map((t) => shareOf(6, 4, t, 4))).toEqual([[0, 0], [0, 0], [0, 4], [4, 6]]);
  });
});

describe('ControlBlock', () => {
  it('lays out the sync slots, commands and per-thread data slots as the pool expects', () => {
    expect([GENERATION, COMMAND, BATCH, COMPUTED, UPDATED, FAILED, NEXT, SPIN]).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(Command).toEqual({ TRAIN: 1, PREDICT: 2, GRAD_CAM: 3, EXIT: 4, LOGITS: 5, INPUT_GRADIENTS: 6, CURVES: 7, CAM_MAPS: 8, COALITION_SCORES: 9, OCCLUSION_SCORES: 10, MASKED_LOGITS: 11, LIME_FITS: 12, SMOOTHGRAD_MAPS: 13 });
    // The passes' argument slots are distinct and inside the 48 scalar slots, before the per-thread ones.
    const slots = [ADAM_STEP, INPUT, LABELS, PROBS, TARGET, OUT_LOGITS, OUT_WEIGHTS, OUT_MAPS, OUT_HEATMAPS, LEARNING_RATE, SUM_ONLY, OUT_GRADIENTS, TARGETS, RULE, ORDERS, SEEDS, STEPS, ROAD_SIGMA, ROAD_TOLERANCE, OUT_CURVES, CAM_RULE, LAYER, FEATURE_OF, FEATURES, COALITIONS, OUT_SCORES, WINDOW, CORNERS, ACTIVATIONS, SAMPLES, FIT_SCORES, OUT_FITS, KERNEL_WIDTH, LAMBDA, IMAGE_STARTS, IMAGES, NOISE_SIGMA, NOISE_STATE, NOISE_STATE + 1, NOISE_STATE + 2, NOISE_STATE + 3];
    expect(new Set(slots).size).toBe(slots.length);
    expect(Math.max(...slots)).toBeLessThan(LOSS);
    expect([ADAM_STEP, LOSS, CORRECT, MAX_THREADS]).toEqual([0, 48, 112, 64]); // 48 scalar slots, then two per thread
    const control = new ControlBlock();
    expect(control.sync.length).toBe(16);
    expect(control.data.length).toBe(48 + 2 * MAX_THREADS);
    // Then, for TRAIN's deferred dense weight gradients, two addresses per thread and deferred layer; then the error text.
    expect(MAX_DENSE_PASSES).toBe(8);
    expect(control.passes.length).toBe(MAX_THREADS * 8 * 2);
    expect(control.buffer.byteLength).toBe(16 * 4 + (48 + 128) * 8 + 64 * 8 * 2 * 4 + 2048);
    control.data[CORRECT + MAX_THREADS - 1] = 5; // the last thread's slot is inside the block
    expect(new Float64Array(control.buffer, 64, 176)[CORRECT + MAX_THREADS - 1]).toBe(5);
    control.passes[control.passes.length - 1] = 0xfffffff0; // an address near 4 GiB fits
    expect(new Uint32Array(control.buffer, 64 + 176 * 8, 1024)[1023]).toBe(0xfffffff0);
    expect(control.data[CORRECT + MAX_THREADS - 1]).toBe(5);
  });

  it('counts arrivals at a barrier, and waitFor returns once enough have arrived', () => {
    const control = new ControlBlock();
    control.arrive(COMPUTED);
    control.arrive(COMPUTED);
    expect(control.sync[COMPUTED]).toBe(2);
    expect(() => control.waitFor(COMPUTED, 2)).not.toThrow();
    expect(() => control.waitFor(COMPUTED, 1)).not.toThrow();
    expect(control.sync[UPDATED]).toBe(0);
  });

  it('ends a wait nobody answers with one line saying how many threads arrived', () => {
    const control = new ControlBlock();
    control.arrive(UPDATED);
    let caught: unknown;
    try {
      control.waitFor(UPDATED, 3, 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(XcnnError);
    expect((caught as Error).message).toBe('a worker thread stopped responding (1 of 3 threads arrived)');
  });

  it('records the first failure only, and throws it as that worker\'s', () => {
    const control = new ControlBlock();
    expect(() => control.throwIfFailed()).not.toThrow();
    control.fail(2, 'out of memory in conv2');
    control.fail(1, 'a later failure');
    expect(control.sync[FAILED]).toBe(3);
    expect(() => control.throwIfFailed()).toThrow(new XcnnError('worker thread 2 failed: out of memory in conv2', { code: 'ERR_SETUP' }));
    const first = new ControlBlock();
    first.fail(0, 'main');
    expect(() => first.throwIfFailed()).toThrow('worker thread 0 failed: main');
  });

  it('keeps the first 2048 bytes of a long message, and no bytes of an earlier one', () => {
    const control = new ControlBlock();
    new Uint8Array(control.buffer, 64 + 168 * 8, 2048).fill(65); // leftovers in the text area
    control.fail(1, 'é'.repeat(1500)); // 3000 bytes of UTF-8
    let message = '';
    try {
      control.throwIfFailed();
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(`worker thread 1 failed: ${'é'.repeat(1024)}`);
    const short = new ControlBlock();
    new Uint8Array(short.buffer, 64 + 168 * 8, 2048).fill(65);
    short.fail(0, 'x');
    expect(() => short.throwIfFailed()).toThrow(/^worker thread 0 failed: x$/);
  });
});

describe('ControlBlock.spinWhile', () => {
  /** A condition that holds for its first `looks` looks, counting them. */
  function busyFor(looks: number) {
    const state = { looks: 0 };
    return { state, busy: () => state.looks++ < looks };
  }

  it('returns true as soon as the condition stops holding, having looked once more than it held', () => {
    const control = new ControlBlock();
    control.sync[SPIN] = 60_000_000; // a minute: never reached here
    const { state, busy } = busyFor(5);
    expect(control.spinWhile(busy)).toBe(true);
    expect(state.looks).toBe(6);
    expect(control.spinWhile(() => false)).toBe(true);
  });

  it('gives up (false) once sync[SPIN] µs have passed with the condition still holding, and not before', () => {
    const control = new ControlBlock();
    control.sync[SPIN] = 20_000; // 20 ms
    const started = performance.now();
    const { state, busy } = busyFor(Infinity);
    expect(control.spinWhile(busy)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(20);
    expect(state.looks).toBeGreaterThan(1);
  });

  it('with sync[SPIN] 0 (threads that outnumber the cores) looks once: true if the condition does not hold, false if it does', () => {
    const control = new ControlBlock();
    expect(control.sync[SPIN]).toBe(0); // a new block does not spin until the pool says so
    const holding = busyFor(Infinity);
    expect(control.spinWhile(holding.busy)).toBe(false);
    expect(holding.state.looks).toBe(1);
    const done = busyFor(0);
    expect(control.spinWhile(done.busy)).toBe(true);
    expect(done.state.looks).toBe(1);
  });

  it('lets waitFor return without sleeping when the count arrives while it spins', async () => {
    const control = new ControlBlock();
    control.sync[SPIN] = 10_000_000; // 10 s: the arrival comes long before
    // A worker that says it runs (NEXT), then 50 ms later arrives at COMPUTED and never notifies: a waitFor asleep
    // in Atomics.wait would see it only when its first 1 s sleep ends; a spinning one sees it at once.
    const source = `
      const { workerData } = require('node:worker_threads');
      const sync = new Int32Array(workerData, 0, 16);
      Atomics.store(sync, ${NEXT}, 1);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      Atomics.add(sync, ${COMPUTED}, 1);`;
    const worker = new Worker(source, { eval: true, workerData: control.buffer });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      while (Atomics.load(control.sync, NEXT) === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      const started = performance.now();
      control.waitFor(COMPUTED, 1, 10_000);
      expect(performance.now() - started).toBeLessThan(1000);
    } finally {
      await exited;
    }
  });
});

describe('ControlBlock error text (gaps the control run showed)', () => {
  it('keeps the error text in the block\'s last 2048 bytes, after the data slots, which it leaves alone', () => {
    const control = new ControlBlock();
    control.data.fill(1.5);
    control.passes.fill(7);
    control.fail(3, 'xy');
    const text = new Uint8Array(control.buffer, 16 * 4 + (48 + 2 * MAX_THREADS) * 8 + MAX_THREADS * MAX_DENSE_PASSES * 2 * 4, 2048);
    expect(Array.from(text.subarray(0, 3))).toEqual([120, 121, 0]);
    expect(Array.from(control.data).every((value) => value === 1.5)).toBe(true);
    expect(Array.from(control.passes).every((value) => value === 7)).toBe(true);
  });

  it('strips only the trailing zero bytes: a NUL inside the message stays', () => {
    const control = new ControlBlock();
    control.fail(0, 'a\0b');
    expect(() => control.throwIfFailed()).toThrow(new XcnnError('worker thread 0 failed: a\0b', { code: 'ERR_SETUP' }));
  });
});

describe('ControlBlock.waitFor across threads (gaps the control run showed)', () => {
  it('waits for a thread that arrives later, well inside the time limit', async () => {
    const control = new ControlBlock();
    // A worker that sleeps 200 ms on a slot nobody notifies, then arrives at COMPUTED.
    const source = `
      const { workerData } = require('node:worker_threads');
      const sync = new Int32Array(workerData, 0, 16);
      const sleeper = new Int32Array(new SharedArrayBuffer(4));
      Atomics.wait(sleeper, 0, 0, 200);
      Atomics.add(sync, ${COMPUTED}, 1);
      Atomics.notify(sync, ${COMPUTED});`;
    const worker = new Worker(source, { eval: true, workerData: control.buffer });
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    try {
      // Blocks this thread until the worker arrives: the deadline (10 s ahead) is not yet past when the first look finds no one.
      expect(() => control.waitFor(COMPUTED, 1, 10_000)).not.toThrow();
      expect(control.sync[COMPUTED]).toBe(1);
    } finally {
      await exited;
    }
  });

  it('ends a wait nobody answers with an XcnnError whose code is ERR_SETUP', () => {
    const control = new ControlBlock();
    let caught: unknown;
    try {
      control.waitFor(COMPUTED, 1, 1);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(XcnnError);
    expect((caught as XcnnError).code).toBe('ERR_SETUP');
  });
});
