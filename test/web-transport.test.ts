/**
 * The thread pool's transport in a web page (src/parallel/web-transport.ts), without a browser: a Worker, the
 * scope's postMessage/onmessage/close and crossOriginIsolated are stood in for here. The pool's side sends a
 * thread its setup as the first message and waits for 'ready', then for 'exited'; a thread that cannot start
 * (a page that is not cross-origin isolated, a module that fails to load, a setup that cannot be sent) is a
 * one-line ERR_SETUP. The worker's side takes its first message as the setup, answers 'ready', and at the end
 * 'exited' before it closes. The real thing runs in Chromium: test/studio.test.ts trains on 2 threads.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { announceExit, announceReady, availableCores, receiveSetup, startPoolThread } from '../src/parallel/web-transport.js';
import type { WorkerSetup } from '../src/parallel/worker.js';

type Scope = Record<string, unknown>;
const scope = globalThis as unknown as Scope;
const STUBBED = ['Worker', 'crossOriginIsolated', 'navigator', 'onmessage', 'postMessage', 'close'] as const;
let saved: Map<string, PropertyDescriptor | undefined>;

/** A stand-in Web Worker: it records what it was made with and sent, and lets the test answer for it. */
class FakeWorker {
  static made: FakeWorker[] = [];
  readonly sent: unknown[] = [];
  terminated = false;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: { message?: string; preventDefault?: () => void }) => void) | null = null;
  constructor(
    readonly url: URL,
    readonly options: { type: string; name: string },
  ) {
    FakeWorker.made.push(this);
  }
  postMessage(message: unknown): void {
    if (message === 'uncloneable') throw new Error('DataCloneError: a SharedArrayBuffer could not be cloned');
    this.sent.push(message);
  }
  terminate(): void {
    this.terminated = true;
  }
  answer(data: unknown): void {
    this.onmessage!({ data });
  }
}

// The transport never reads the setup's fields: it only sends it. A marked object shows it is sent as given.
const SETUP = { thread: 1, threads: 2, marker: 'the setup' } as unknown as WorkerSetup;

/** Whether a promise has settled by the time the microtasks queued now have run. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(() => (done = true), () => (done = true));
  await new Promise((resolve) => setTimeout(resolve, 0));
  return done;
}

beforeEach(() => {
  saved = new Map(STUBBED.map((name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)]));
  FakeWorker.made = [];
  for (const name of STUBBED) Object.defineProperty(globalThis, name, { value: undefined, writable: true, configurable: true });
  scope.Worker = FakeWorker;
  scope.crossOriginIsolated = true;
});

afterEach(() => {
  for (const [name, descriptor] of saved) {
    if (descriptor === undefined) delete scope[name];
    else Object.defineProperty(globalThis, name, descriptor);
  }
});

describe('the pool\'s side: starting a thread', () => {
  it('starts worker.js, next to the transport, as a module Worker named for its thread, and sends it the setup first', () => {
    startPoolThread(SETUP);
    expect(FakeWorker.made).toHaveLength(1);
    const [worker] = FakeWorker.made;
    expect(worker.url.pathname.endsWith('/src/parallel/worker.js')).toBe(true);
    expect(worker.options).toEqual({ type: 'module', name: 'xcnn pool thread 1' });
    expect(worker.sent).toEqual([SETUP]);
  });

  it('is ready when the worker says so, and has exited when it says it has', async () => {
    const thread = startPoolThread(SETUP);
    const [worker] = FakeWorker.made;
    expect(await settled(thread.ready)).toBe(false);
    worker.answer('ready');
    await expect(thread.ready).resolves.toBeUndefined();
    expect(await settled(thread.exited)).toBe(false);
    worker.answer('exited');
    await expect(thread.exited).resolves.toBeUndefined();
  });

  it('has exited once terminated, the Worker ended', async () => {
    const thread = startPoolThread(SETUP);
    await thread.terminate();
    expect(FakeWorker.made[0].terminated).toBe(true);
    await expect(thread.exited).resolves.toBeUndefined();
  });

  it('refuses, in one line, to start in a page that is not cross-origin isolated, and starts no Worker', async () => {
    scope.crossOriginIsolated = false;
    const thread = startPoolThread(SETUP);
    await expect(thread.ready).rejects.toThrow(new XcnnError('a worker thread could not start: threads share memory only in a cross-origin isolated page (COOP/COEP headers, as `xcnn serve` sends them); use 1 thread here', { code: 'ERR_SETUP' }));
    await expect(thread.exited).resolves.toBeUndefined();
    expect(FakeWorker.made).toHaveLength(0);
  });

  it('says why a thread could not start: its module failed to load, it ended first, or the setup could not be sent', async () => {
    const failing = startPoolThread(SETUP);
    let prevented = false;
    FakeWorker.made[0].onerror!({ message: 'SyntaxError: Unexpected token', preventDefault: () => (prevented = true) });
    await expect(failing.ready).rejects.toThrow('a worker thread could not start: SyntaxError: Unexpected token');
    expect(prevented).toBe(true); // the page's console is not also given the error as uncaught
    const silent = startPoolThread(SETUP);
    FakeWorker.made[1].onerror!({});
    await expect(silent.ready).rejects.toThrow('a worker thread could not start: its module failed to load');
    const ended = startPoolThread(SETUP);
    FakeWorker.made[2].answer('exited');
    await expect(ended.ready).rejects.toThrow('a worker thread exited before it was ready');
    await expect(ended.exited).resolves.toBeUndefined();
    const uncloneable = startPoolThread('uncloneable' as unknown as WorkerSetup);
    await expect(uncloneable.ready).rejects.toThrow('a worker thread could not start: DataCloneError: a SharedArrayBuffer could not be cloned');
  });

  it('counts the cores the browser reports, and 1 where it reports none', () => {
    scope.navigator = { hardwareConcurrency: 6 };
    expect(availableCores()).toBe(6);
    scope.navigator = {};
    expect(availableCores()).toBe(1);
    scope.navigator = undefined;
    expect(availableCores()).toBe(1);
  });
});

describe('the worker\'s side', () => {
  it('takes its first message as the setup and stops listening; answers ready; at the end says it exited, then closes', async () => {
    const posted: unknown[] = [];
    const events: string[] = [];
    scope.postMessage = (message: unknown) => {
      posted.push(message);
      events.push(`post ${String(message)}`);
    };
    scope.close = () => events.push('close');
    const setup = receiveSetup();
    expect(typeof scope.onmessage).toBe('function');
    (scope.onmessage as (event: { data: unknown }) => void)({ data: SETUP });
    await expect(setup).resolves.toBe(SETUP);
    expect(scope.onmessage).toBeNull();
    announceReady();
    expect(posted).toEqual(['ready']);
    announceExit();
    expect(events).toEqual(['post ready', 'post exited', 'close']);
  });
});
