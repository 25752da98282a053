/**
 * A worker thread of the pool (thread-pool.ts): it instantiates the kernels over the pool's shared
 * memory, builds its twin of the network over the shared parameters and a gradient arena of its own,
 * then loops: wait for a command, run its shard, count itself in at the barriers. The same module runs in
 * a Node worker thread and in a web Worker: the transport (how the setup arrives, how 'ready' goes back)
 * is node-transport.ts's, which the page serves as web-transport.ts (page-files.ts).
 */
import { announceExit, announceReady, receiveSetup } from './node-transport.js';
import { attachWasmBackend, type SharedKernels } from '../backend/wasm/wasm-backend.js';
import { createNetwork, type NetworkGeometry } from '../model/network.js';
import type { AdamSettings } from '../train/adam.js';
import { Command, COMMAND, COMPUTED, ControlBlock, FAILED, GENERATION, UPDATED } from './control.js';
import { Shard } from './shard.js';

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
const views = (address: number) => backend.viewFloats(address, setup.parameterCount);
const arenas = { params: views(setup.addresses.params), m: views(setup.addresses.m), v: views(setup.addresses.v), grads: setup.addresses.grads.map(views) };
const buffers = backend.viewFloats(setup.addresses.buffers, setup.bufferCount);
const network = createNetwork(backend, setup.spec, setup.geometry, { params: arenas.params, grads: arenas.grads[setup.thread], buffers });
const shard = new Shard(backend, network, arenas, setup.adam, setup.seed, setup.thread, setup.threads, setup.labelSmoothing);
// Every pool's control block starts at generation 0. Reading it here instead would race the main
// thread, which may start the first command as soon as 'ready' arrives.
let generation = 0;
announceReady();

for (;;) {
  Atomics.wait(control.sync, GENERATION, generation);
  generation = Atomics.load(control.sync, GENERATION);
  const command = Atomics.load(control.sync, COMMAND);
  if (command === Command.EXIT) break;
  let failed = false;
  try {
    if (command === Command.TRAIN) shard.computeGradients(control);
    else if (command === Command.GRAD_CAM) shard.gradCam(control);
    else if (command === Command.LOGITS) shard.logits(control);
    else if (command === Command.INPUT_GRADIENTS) shard.inputGradients(control);
    else if (command === Command.CURVES) shard.curves(control);
    else if (command === Command.CAM_MAPS) shard.camMaps(control);
    else if (command === Command.COALITION_SCORES) shard.coalitionScores(control);
    else if (command === Command.OCCLUSION_SCORES) shard.occlusionScores(control);
    else if (command === Command.MASKED_LOGITS) shard.maskedLogits(control);
    else if (command === Command.LIME_FITS) shard.limeFits(control);
    else shard.predict(control);
  } catch (error) {
    control.fail(setup.thread, (error as Error)?.message ?? String(error));
    failed = true;
  }
  control.arrive(COMPUTED);
  if (command !== Command.TRAIN) continue;
  control.waitFor(COMPUTED, setup.threads);
  try {
    if (!failed && Atomics.load(control.sync, FAILED) === 0) shard.sumAndUpdate(control);
  } catch (error) {
    control.fail(setup.thread, (error as Error)?.message ?? String(error));
  }
  control.arrive(UPDATED);
}
// Give this thread's buffers and scratch back to the shared arena before the thread ends.
shard.dispose();
network.dispose();
backend.dispose();
announceExit();
