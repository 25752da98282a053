/**
 * The pool's transport in Node: its worker threads are `worker_threads` Workers running worker.js, started
 * with their setup as `workerData`, each saying 'ready' through its `parentPort`. Both sides are here — the
 * pool's (availableCores, startPoolThread) and the worker's (receiveSetup, announceReady, announceExit) — and
 * web-transport.ts has the same exports over web Workers: the page is served that module in place of this
 * one (page-files.ts's BROWSER_MODULES, as a bundler's `browser` field would), so thread-pool.ts and worker.ts
 * run unchanged in a tab.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { XcnnError } from '../errors.js';
import { packageRoot } from '../files/package-root.js';
import type { PoolThread } from './pool-thread.js';
import type { WorkerSetup } from './worker.js';

/** The cores this machine offers. */
export function availableCores(): number {
  return availableParallelism();
}

/** Starts a worker thread of a pool with its setup (the pool's side). */
export function startPoolThread(setup: WorkerSetup): PoolThread {
  const worker = new Worker(workerUrl(), { workerData: setup, execArgv: workerExecArgv(process.execArgv) });
  const ready = new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', (error) => reject(new XcnnError(`a worker thread could not start: ${error.message}`, { code: 'ERR_SETUP' })));
    worker.once('exit', (code) => reject(new XcnnError(`a worker thread exited (code ${code}) before it was ready`, { code: 'ERR_SETUP' })));
  });
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  return {
    ready,
    exited,
    keepAlive: (alive) => (alive ? worker.ref() : worker.unref()),
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/** The setup this worker thread was started with (the worker's side). */
export async function receiveSetup(): Promise<WorkerSetup> {
  return workerData as WorkerSetup;
}

/** Tells the pool this worker waits for its first command. */
export function announceReady(): void {
  parentPort!.postMessage('ready');
}

/** The loop has ended: a Node worker thread then ends by itself, its event loop empty. */
export function announceExit(): void {}

/**
 * A process's Node options (`process.execArgv`) for its worker threads — the pool's and the image decoders'
 * (data/folder-decoding.ts) — as Node would give them, less `--input-type`, which a worker refuses (it is for
 * `node -e` code, and a program run as `node --input-type=module -e …` may start workers).
 */
export function workerExecArgv(execArgv: readonly string[]): string[] {
  return execArgv.filter((arg) => !arg.startsWith('--input-type'));
}

/** dist/src/parallel/worker.js: from dist/ itself, or from src/ when running under vitest. */
function workerUrl(): URL {
  return poolWorkerUrl(import.meta.url, packageRoot(), existsSync);
}

/**
 * The pool's worker module for this module at `moduleUrl`: its neighbour when this is compiled (.js); from
 * src/ (vitest runs the TypeScript), the compiled one under `root`'s dist/, which `exists` must find.
 */
export function poolWorkerUrl(moduleUrl: string, root: string, exists: (path: string) => boolean): URL {
  if (fileURLToPath(moduleUrl).endsWith('.js')) return new URL('./worker.js', moduleUrl);
  const built = join(root, 'dist', 'src', 'parallel', 'worker.js');
  if (!exists(built)) throw new XcnnError(`the worker threads need the compiled code (${built}): run \`npm run build\``, { code: 'ERR_SETUP' });
  return pathToFileURL(built);
}
