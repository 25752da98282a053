/**
 * The pool's transport in a web page: its worker threads are module Workers running worker.js, each sent its
 * setup as its first message (the shared WebAssembly memory, the compiled module and the control block are
 * shared, not copied) and answering 'ready', then 'exited' once its loop has ended. The same exports as
 * node-transport.ts, which the page is served this module in place of (page-files.ts's BROWSER_MODULES):
 * thread-pool.ts and worker.ts import './node-transport.js', and in a tab they get this file.
 *
 * Sharing memory with a Worker needs a cross-origin isolated page (COOP/COEP headers, as `xcnn serve` sends
 * them); elsewhere a thread fails to start with a line that says so. The pool's thread 0 waits on Atomics,
 * which a page's main thread may not: a pool runs in a worker of its own (the studio's trainer-worker.js).
 */
import { XcnnError } from '../errors.js';
import type { PoolThread } from './pool-thread.js';
import type { WorkerSetup } from './worker.js';

/** The little of a web Worker this file uses (the project compiles without the DOM's types). */
interface WebWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string; preventDefault?: () => void }) => void) | null;
}

/** A window's or a worker's global scope, as far as this file uses it. */
interface WebScope {
  Worker: new (url: URL, options: { type: 'module'; name: string }) => WebWorker;
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  onmessage: ((event: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

const scope = globalThis as unknown as WebScope;

/** The cores the browser reports (navigator.hardwareConcurrency; 1 where it does not say). */
export function availableCores(): number {
  return scope.navigator?.hardwareConcurrency ?? 1;
}

/** Starts a worker thread of a pool with its setup (the pool's side). */
export function startPoolThread(setup: WorkerSetup): PoolThread {
  let markExited!: () => void;
  const exited = new Promise<void>((resolve) => (markExited = resolve));
  if (scope.crossOriginIsolated !== true) {
    markExited();
    const refusal = new XcnnError(`a worker thread could not start: threads share memory only in a cross-origin isolated page (COOP/COEP headers, as \`xcnn serve\` sends them); use 1 thread here`, { code: 'ERR_SETUP' });
    return { ready: Promise.reject(refusal), exited, keepAlive: () => {}, terminate: async () => {} };
  }
  const worker = new scope.Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `xcnn pool thread ${setup.thread}` });
  const ready = new Promise<void>((resolve, reject) => {
    worker.onmessage = ({ data }) => {
      if (data === 'ready') resolve();
      else if (data === 'exited') {
        markExited();
        reject(new XcnnError('a worker thread exited before it was ready', { code: 'ERR_SETUP' }));
      }
    };
    worker.onerror = (event) => {
      event.preventDefault?.();
      reject(new XcnnError(`a worker thread could not start: ${event.message ?? 'its module failed to load'}`, { code: 'ERR_SETUP' }));
    };
    try {
      worker.postMessage(setup);
    } catch (error) {
      reject(new XcnnError(`a worker thread could not start: ${(error as Error).message}`, { code: 'ERR_SETUP' }));
    }
  });
  return {
    ready,
    exited,
    keepAlive: () => {}, // a tab's workers end with the tab
    terminate: async () => {
      worker.terminate();
      markExited();
    },
  };
}

/** The setup this worker was started with: its first message (the worker's side). */
export function receiveSetup(): Promise<WorkerSetup> {
  return new Promise((resolve) => {
    scope.onmessage = ({ data }) => {
      scope.onmessage = null;
      resolve(data as WorkerSetup);
    };
  });
}

/** Tells the pool this worker waits for its first command. */
export function announceReady(): void {
  scope.postMessage('ready');
}

/** The loop has ended and this thread has given its memory back: tell the pool, and end. */
export function announceExit(): void {
  scope.postMessage('exited');
  scope.close();
}
