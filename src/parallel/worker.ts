/**
 * A worker thread of the pool (thread-pool.ts): it instantiates the kernels over the pool's shared
 * memory, builds its twin of the network over the shared parameters and a gradient arena of its own,
 * then serves the pool's commands (worker-loop.ts) until EXIT. The same module runs in
 * a Node worker thread and in a web Worker: the transport (how the setup arrives, how 'ready' goes back)
 * is node-transport.ts's, which the page serves as web-transport.ts (page-files.ts).
 */
import { announceExit, announceReady, receiveSetup } from './node-transport.js';
import { attachWasmBackend, type SharedKernels } from '../backend/wasm/wasm-backend.js';
import type { NetworkGeometry } from '../model/network.js';
import type { AdamSettings } from '../train/adam.js';
import { ControlBlock } from './control.js';
import { serveCommands, workerShard } from './worker-loop.js';

export interface WorkerSetup {
  shared: SharedKernels;
  control: SharedArrayBuffer;
  thread: number;
  threads: number;
  spec: string; // the architecture: the worker builds its twin of the network from it
  geometry: NetworkGeometry;
  seed: number; // dropout's
  adam: AdamSettings;
  labelSmoothing: number;
  parameterCount: number;
  bufferCount: number;
  addresses: { params: number; m: number; v: number; grads: number[]; buffers: number };
}

const setup: WorkerSetup = await receiveSetup();
const control = new ControlBlock(setup.control);
const backend = await attachWasmBackend(setup.shared);
const { network, shard } = workerShard(backend, setup);
announceReady();
serveCommands(shard, control);
// Give this thread's buffers and scratch back to the shared arena before the thread ends.
shard.dispose();
network.dispose();
backend.dispose();
announceExit();
