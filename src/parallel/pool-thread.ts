/**
 * A worker thread of a pool as the pool (thread-pool.ts) sees it, whatever runs it: a Node `worker_threads`
 * Worker (node-transport.ts) or a web Worker (web-transport.ts). The pool exchanges no message with a thread
 * after it is ready — commands and results go through the shared memory and the control block — so this is
 * all the transport a pool needs: start, ready, exited, and whether an idle thread keeps its process alive.
 */
export interface PoolThread {
  /** Resolves once the thread waits for its first command; rejects, with a one-line XcnnError, if it failed to start. */
  readonly ready: Promise<void>;
  /** Resolves once the thread has ended (after the pool's EXIT, or terminate). */
  readonly exited: Promise<void>;
  /** Whether the thread keeps its process alive while it idles (Node's ref/unref; a browser tab ignores it). */
  keepAlive(alive: boolean): void;
  /** Ends the thread at once, wherever it is. */
  terminate(): Promise<void>;
}
