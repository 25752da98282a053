/**
 * Long computations (a prediction over a data set, an explanation of many images) written once, as
 * generators that yield between two batches: `runSteps` runs one to the end on the calling thread, as the
 * command line does; `runStepsAsync` runs the same steps for the library's async API (src/classifier.ts),
 * giving the event loop a turn between batches so timers, I/O and a page's input keep running, reporting
 * progress, and stopping at the next pause when the call's AbortSignal fires. Either way the batches and
 * their results are the same. Browser-safe.
 */
import { abortError, type XcnnError } from './errors.js';

/** How far a computation is: `done` of `total` images (or whatever it counts). */
export interface StepProgress {
  done: number;
  total: number;
}

/** A computation that pauses after each batch with its progress and ends with its result. */
export type Steps<T> = Generator<StepProgress, T, void>;

/** Runs the steps to the end without pausing: the synchronous result. */
export function runSteps<T>(steps: Steps<T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** `steps` with `offset` added to every `done` and the total replaced: one part of a larger computation. */
export function* partOfSteps<T>(steps: Steps<T>, offset: number, total: number): Steps<T> {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    yield { done: offset + next.value.done, total };
  }
}

export interface AsyncStepOptions {
  /** The call's name in errors: 'predict', 'explain', … */
  what: string;
  signal?: AbortSignal;
  onProgress?: (progress: StepProgress) => void;
  /** Asked at every pause: an error to stop with (a closed classifier's), or null to go on. */
  stopped?: () => XcnnError | null;
}

/**
 * Runs the steps, giving the event loop a turn after each one. An AbortSignal that has fired, before the
 * start or at any pause, rejects with the AbortError of errors.ts; the generator is closed first, so its
 * `finally` blocks run (an explanation clears the gradients it left).
 */
export async function runStepsAsync<T>(steps: Steps<T>, options: AsyncStepOptions): Promise<T> {
  const stop = () => (options.signal?.aborted ? abortError(options.what, options.signal) : (options.stopped?.() ?? null));
  try {
    for (;;) {
      const early = stop();
      if (early !== null) throw early;
      const next = steps.next();
      if (next.done) return next.value;
      options.onProgress?.(next.value);
      await nextTurn();
    }
  } finally {
    steps.return(undefined as T);
  }
}

/**
 * Resolves on a later turn of the event loop (after pending timers and I/O callbacks, not only microtasks): a timer
 * a step sets runs before the next step. Node.js holds setTimeout(0) for at least 1 ms; see quickTurn.
 */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

// A MessageChannel's port as browsers and Node.js both give it (this project's types are Node's, whose port lacks onmessage).
interface WebMessagePort {
  onmessage: (() => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

/**
 * A turn of the event loop without nextTurn's wait, for train()'s pauses: a message through a MessageChannel of
 * its own (closed on arrival), which browsers and Node.js deliver within tens of µs, where setTimeout(0) waits at
 * least 1 ms in Node.js — at train()'s ten pauses a second, 1 % of a run's time, during which a thread pool's
 * workers wait too. Timers, I/O and signal handlers (Ctrl-C) run within two such pauses (a whole turn of the loop
 * lies between them), not always at the first: the message may come before the loop's timers.
 */
export function quickTurn(): Promise<void> {
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel() as unknown as { port1: WebMessagePort; port2: WebMessagePort };
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}
