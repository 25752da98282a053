/**
 * Long computations as generators (src/steps.ts): run to the end at once, as one part of a larger count, or
 * asynchronously with a turn of the event loop, progress, an AbortSignal and a stop check between two steps;
 * and quickTurn, train()'s pause, a turn without setTimeout's millisecond.
 * The generators here are hand-made: they log each step they run and whether their `finally` ran.
 */
import { describe, expect, it, vi } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { partOfSteps, quickTurn, runSteps, runStepsAsync, type StepProgress, type Steps } from '../src/steps.js';

/** `count` steps of 10 images each, returning 'result'; `log` records each step begun and the `finally`. */
function* tenAStep(count: number, log: string[]): Steps<string> {
  try {
    for (let k = 1; k <= count; k++) {
      log.push(`step ${k}`);
      yield { done: 10 * k, total: 10 * count };
    }
    log.push('end');
    return 'result';
  } finally {
    log.push('finally');
  }
}

const progressText = ({ done, total }: StepProgress) => `${done}/${total}`;

describe('runSteps', () => {
  it('runs every step and gives the result', () => {
    const log: string[] = [];
    expect(runSteps(tenAStep(3, log))).toBe('result');
    expect(log).toEqual(['step 1', 'step 2', 'step 3', 'end', 'finally']);
  });
});

describe('partOfSteps', () => {
  it('adds the offset to every done, replaces the total, and gives the result', () => {
    const log: string[] = [];
    const part = partOfSteps(tenAStep(2, log), 100, 500);
    expect([part.next().value, part.next().value, part.next()]).toEqual([{ done: 110, total: 500 }, { done: 120, total: 500 }, { done: true, value: 'result' }]);
    expect(runSteps(partOfSteps(tenAStep(0, []), 7, 9))).toBe('result');
  });
});

describe('runStepsAsync', () => {
  it('reports each step\'s progress in order and gives the result', async () => {
    const log: string[] = [];
    const seen: string[] = [];
    expect(await runStepsAsync(tenAStep(3, log), { what: 'predict', onProgress: (p) => seen.push(progressText(p)) })).toBe('result');
    expect(seen).toEqual(['10/30', '20/30', '30/30']);
    expect(log).toEqual(['step 1', 'step 2', 'step 3', 'end', 'finally']);
  });

  it('runs without a signal, a progress callback or a stop check', async () => {
    expect(await runStepsAsync(tenAStep(2, []), { what: 'predict' })).toBe('result');
  });

  it('gives timers a turn between two steps (a later turn of the event loop, not only the microtasks)', async () => {
    const log: string[] = [];
    const onProgress = ({ done }: StepProgress) => {
      if (done === 10) setTimeout(() => log.push('timer'), 0);
    };
    await runStepsAsync(tenAStep(3, log), { what: 'explain', onProgress });
    expect(log).toEqual(['step 1', 'timer', 'step 2', 'step 3', 'end', 'finally']);
  });

  it('rejects with an AbortError before the first step when the signal has already fired; the generator never runs', async () => {
    const controller = new AbortController();
    controller.abort(new Error('left'));
    const log: string[] = [];
    const steps = tenAStep(3, log);
    const error = await runStepsAsync(steps, { what: 'evaluate', signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcnnError);
    expect([(error as XcnnError).name, (error as XcnnError).code, (error as XcnnError).message, ((error as XcnnError).cause as Error).message]).toEqual(['AbortError', 'ERR_ABORTED', 'evaluate: aborted', 'left']);
    expect(log).toEqual([]);
    expect(steps.next()).toEqual({ done: true, value: undefined }); // closed
  });

  it('stops at the pause after the signal fires, closing the generator (its finally runs)', async () => {
    const controller = new AbortController();
    const log: string[] = [];
    const onProgress = ({ done }: StepProgress) => {
      if (done === 20) controller.abort();
    };
    const error = await runStepsAsync(tenAStep(5, log), { what: 'explain', signal: controller.signal, onProgress }).catch((e: unknown) => e);
    expect([(error as XcnnError).name, (error as XcnnError).message]).toEqual(['AbortError', 'explain: aborted']);
    expect(log).toEqual(['step 1', 'step 2', 'finally']);
  });

  it('stops with the error the stop check gives at a pause, asking before every step', async () => {
    const log: string[] = [];
    let asked = 0;
    const closed = new XcnnError('predict: this classifier is closed', { code: 'ERR_DISPOSED' });
    const stopped = () => (++asked === 3 ? closed : null);
    const error = await runStepsAsync(tenAStep(5, log), { what: 'predict', stopped }).catch((e: unknown) => e);
    expect(error).toBe(closed);
    expect([asked, log]).toEqual([3, ['step 1', 'step 2', 'finally']]);
    // A check that never stops is asked before each step and once more before the end.
    let times = 0;
    await runStepsAsync(tenAStep(2, []), { what: 'predict', stopped: () => (times++, null) });
    expect(times).toBe(3);
  });

  it('closes the generator when the progress callback throws, and rejects with its error', async () => {
    const log: string[] = [];
    const failure = new Error('callback failed');
    const error = await runStepsAsync(tenAStep(3, log), { what: 'predict', onProgress: () => { throw failure; } }).catch((e: unknown) => e);
    expect(error).toBe(failure);
    expect(log).toEqual(['step 1', 'finally']);
  });
});

describe('quickTurn (train()\'s pauses)', () => {
  it('is one turn of the event loop, through a MessageChannel: not setTimeout(0), which waits a millisecond on Node.js', async () => {
    const timeout = vi.spyOn(globalThis, 'setTimeout');
    try {
      await quickTurn();
      expect(timeout).not.toHaveBeenCalled();
    } finally {
      timeout.mockRestore();
    }
    // A timer already due runs within two pauses (a whole turn of the loop lies between them).
    let ran = false;
    setTimeout(() => (ran = true), 0);
    const until = performance.now() + 5;
    while (performance.now() < until);
    await quickTurn();
    await quickTurn();
    expect(ran).toBe(true);
  });
});
