/**
 * The pool's transports: how a worker thread is started, says it is ready or has exited, and gets its setup.
 * web-transport.ts runs here on a web Worker and a page scope the test plays (the browser itself runs it in
 * test/page-worker.test.ts, in a child Chromium, which no mutation run reaches); node-transport.ts on real
 * worker threads, one of which fails as it starts.
 */
import { availableParallelism } from 'node:os';
import { workerData } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as node from '../src/parallel/node-transport.js';
import * as web from '../src/parallel/web-transport.js';
import type { WorkerSetup } from '../src/parallel/worker.js';
import { errorOf, rejection } from './errors.js';

/** Whether a promise has settled by the time this turn's microtasks have run, and how. */
async function stateOf(promise: Promise<unknown>): Promise<string> {
  const pending = new Promise((resolve) => setImmediate(() => resolve('pending')));
  return Promise.race([promise.then(() => 'resolved', () => 'rejected'), pending]) as Promise<string>;
}

/** A web Worker the test plays: what it was made with, what it was sent, whether it was ended. */
class PlayedWorker {
  static made: PlayedWorker[] = [];
  static refuseMessages: Error | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: { message?: string; preventDefault?: () => void }) => void) | null = null;
  readonly sent: unknown[] = [];
  terminated = 0;

  constructor(
    readonly url: URL,
    readonly options: unknown,
  ) {
    PlayedWorker.made.push(this);
  }

  postMessage(message: unknown): void {
    if (PlayedWorker.refuseMessages !== null) throw PlayedWorker.refuseMessages;
    this.sent.push(message);
  }

  terminate(): void {
    this.terminated++;
  }
}

const SETUP = { thread: 3, threads: 4 } as unknown as WorkerSetup;

function isolatedPage(): void {
  PlayedWorker.made = [];
  PlayedWorker.refuseMessages = null;
  vi.stubGlobal('Worker', PlayedWorker);
  vi.stubGlobal('crossOriginIsolated', true);
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('web-transport.ts (on a played page)', () => {
  it('reports the cores the browser reports, and 1 where it does not say', () => {
    vi.stubGlobal('navigator', { hardwareConcurrency: 6 });
    expect(web.availableCores()).toBe(6);
    vi.stubGlobal('navigator', {});
    expect(web.availableCores()).toBe(1);
    vi.stubGlobal('navigator', undefined);
    expect(web.availableCores()).toBe(1);
  });

  it('starts no thread on a page that is not cross-origin isolated, and says why', async () => {
    for (const isolated of [false, undefined, 'true']) {
      PlayedWorker.made = [];
      vi.stubGlobal('Worker', PlayedWorker);
      vi.stubGlobal('crossOriginIsolated', isolated);
      const thread = web.startPoolThread(SETUP);
      const error = await rejection(thread.ready);
      expect(error.message).toBe('a worker thread could not start: threads share memory only in a cross-origin isolated page (COOP/COEP headers, as `xcnn serve` sends them); use 1 thread here');
      expect(error.code).toBe('ERR_SETUP');
      expect(await stateOf(thread.exited)).toBe('resolved');
      expect(PlayedWorker.made).toEqual([]);
      thread.keepAlive(true);
      await thread.terminate();
    }
  });

  it('starts a module Worker on worker.js, named for its thread, sends it the setup, and is ready when it says so', async () => {
    isolatedPage();
    const thread = web.startPoolThread(SETUP);
    expect(PlayedWorker.made.length).toBe(1);
    const [worker] = PlayedWorker.made;
    expect(worker.url.href).toBe(new URL('../src/parallel/worker.js', import.meta.url).href);
    expect(worker.options).toEqual({ type: 'module', name: 'xcnn pool thread 3' });
    expect(worker.sent).toEqual([SETUP]);
    expect(worker.sent[0]).toBe(SETUP); // shared, not copied: the page's postMessage clones it
    worker.onmessage!({ data: 'something else' });
    expect(await stateOf(thread.ready)).toBe('pending');
    worker.onmessage!({ data: 'ready' });
    expect(await stateOf(thread.ready)).toBe('resolved');
    expect(await stateOf(thread.exited)).toBe('pending');
    thread.keepAlive(false); // a tab's workers end with the tab: nothing to do
    await thread.terminate();
    expect(worker.terminated).toBe(1);
    expect(await stateOf(thread.exited)).toBe('resolved');
  });

  it('reports a worker that exits before it is ready, and has it exited', async () => {
    isolatedPage();
    const thread = web.startPoolThread(SETUP);
    PlayedWorker.made[0].onmessage!({ data: 'exited' });
    const error = await rejection(thread.ready);
    expect(error.message).toBe('a worker thread exited before it was ready');
    expect(error.code).toBe('ERR_SETUP');
    expect(await stateOf(thread.exited)).toBe('resolved');
  });

  it('reports a worker whose module fails to load, with the browser\'s message or without one, and keeps the page from reporting it too', async () => {
    isolatedPage();
    const first = web.startPoolThread(SETUP);
    const preventDefault = vi.fn();
    PlayedWorker.made[0].onerror!({ message: 'SyntaxError: Unexpected token', preventDefault });
    const error = await rejection(first.ready);
    expect(error.message).toBe('a worker thread could not start: SyntaxError: Unexpected token');
    expect(error.code).toBe('ERR_SETUP');
    expect(preventDefault).toHaveBeenCalledTimes(1);
    expect(await stateOf(first.exited)).toBe('pending'); // it has not said it exited

    const second = web.startPoolThread(SETUP);
    PlayedWorker.made[1].onerror!({});
    expect((await rejection(second.ready)).message).toBe('a worker thread could not start: its module failed to load');
  });

  it('reports a setup the page cannot send', async () => {
    isolatedPage();
    PlayedWorker.refuseMessages = new Error('#<Object> could not be cloned.');
    const thread = web.startPoolThread(SETUP);
    const error = await rejection(thread.ready);
    expect(error.message).toBe('a worker thread could not start: #<Object> could not be cloned.');
    expect(error.code).toBe('ERR_SETUP');
  });

  it('the worker\'s side: takes its first message as its setup and stops listening, says ready, and says exited before it closes', async () => {
    const posted: unknown[] = [];
    vi.stubGlobal('onmessage', null);
    vi.stubGlobal('postMessage', (message: unknown) => posted.push(message));
    vi.stubGlobal('close', () => posted.push('(closed)'));
    const setup = web.receiveSetup();
    expect(await stateOf(setup)).toBe('pending');
    const scope = globalThis as unknown as { onmessage: ((event: { data: unknown }) => void) | null };
    expect(typeof scope.onmessage).toBe('function');
    scope.onmessage!({ data: SETUP });
    expect(await setup).toBe(SETUP);
    expect(scope.onmessage).toBeNull();
    web.announceReady();
    expect(posted).toEqual(['ready']);
    web.announceExit();
    expect(posted).toEqual(['ready', 'exited', '(closed)']);
  });
});

describe('node-transport.ts', () => {
  it('reports the cores Node reports', () => {
    expect(node.availableCores()).toBe(availableParallelism());
  });

  it('gives a worker this process\'s Node options less --input-type, which a worker refuses', () => {
    expect(node.workerExecArgv(['--input-type=module', '--max-old-space-size=512', '--input-type', 'commonjs', '--enable-source-maps'])).toEqual(['--max-old-space-size=512', 'commonjs', '--enable-source-maps']);
    expect(node.workerExecArgv(['--conditions=input-type'])).toEqual(['--conditions=input-type']);
    expect(node.workerExecArgv([])).toEqual([]);
  });

  it('the worker\'s side: its setup is the thread\'s workerData, and exit needs no message (the thread ends by itself)', async () => {
    expect(await node.receiveSetup()).toBe(workerData);
    expect(node.announceExit()).toBeUndefined();
  });

  it('finds the worker module: beside a compiled module, and in dist/ for the TypeScript, refusing a package not built', () => {
    expect(node.poolWorkerUrl('file:///pkg/dist/src/parallel/node-transport.js', '/pkg', () => false).href).toBe('file:///pkg/dist/src/parallel/worker.js');
    const asked: string[] = [];
    const found = node.poolWorkerUrl('file:///pkg/src/parallel/node-transport.ts', '/pkg', (path) => (asked.push(path), true));
    expect(found.href).toBe('file:///pkg/dist/src/parallel/worker.js');
    expect(asked).toEqual(['/pkg/dist/src/parallel/worker.js']);
    const error = errorOf(() => node.poolWorkerUrl('file:///pkg/src/parallel/node-transport.ts', '/pkg', () => false), 'ERR_SETUP');
    expect(error.message).toBe('the worker threads need the compiled code (/pkg/dist/src/parallel/worker.js): run `npm run build`');
    // A folder named like a module is not one: only the file's own name counts.
    expect(node.poolWorkerUrl('file:///p.js/src/parallel/node-transport.ts', '/p.js', () => true).href).toBe('file:///p.js/dist/src/parallel/worker.js');
  });

  it('reports a worker thread that fails as it starts (a setup without the kernels), and has it exited', async () => {
    const thread = node.startPoolThread({ ...SETUP, shared: {} } as unknown as WorkerSetup);
    const error = await rejection(thread.ready);
    expect(error.message).toMatch(/^a worker thread could not start: attachWasmBackend: shared /);
    expect(error.code).toBe('ERR_SETUP');
    await thread.exited;
    await thread.terminate(); // ended already: nothing to do
  });

  it('reports a worker thread ended before it was ready', async () => {
    const thread = node.startPoolThread({ ...SETUP, shared: {} } as unknown as WorkerSetup);
    await thread.terminate(); // before its module has loaded
    const error = await rejection(thread.ready);
    expect(error.message).toMatch(/^a worker thread exited \(code \d+\) before it was ready$/); // 0 or 1, as Node ends it
    expect(error.code).toBe('ERR_SETUP');
    await thread.exited;
  });
});
