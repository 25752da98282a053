/**
 * A worker thread's side of the pool's commands (thread-pool.ts is the main thread's, worker.ts starts the
 * thread): wait for a command, run this thread's shard of it (shard.ts), count itself in at the barriers,
 * until EXIT. A failure is recorded in the control block, never thrown, and the thread still arrives at every
 * barrier, so that nobody waits for it: the main thread raises the failure (ControlBlock.throwIfFailed).
 */
import type { WasmBackend } from '../backend/wasm/wasm-backend.js';
import { XcnnError } from '../errors.js';
import { createNetwork, type Network } from '../model/network.js';
import { Command, COMMAND, COMPUTED, type ControlBlock, FAILED, GENERATION, UPDATED } from './control.js';
import { Shard } from './shard.js';
import type { WorkerSetup } from './worker.js';

/**
 * A worker's twin of the pool's network and its shard, on `backend` (attached to the pool's memory): the
 * shared parameters, Adam moments and buffers, and the gradient arena of thread setup.thread, at their
 * addresses in that memory.
 */
export function workerShard(backend: WasmBackend, setup: WorkerSetup): { network: Network; shard: Shard } {
  const views = (address: number) => backend.viewFloats(address, setup.parameterCount);
  const { addresses } = setup;
  const arenas = { params: views(addresses.params), m: views(addresses.m), v: views(addresses.v), grads: addresses.grads.map(views) };
  const buffers = backend.viewFloats(addresses.buffers, setup.bufferCount);
  const network = createNetwork(backend, setup.spec, setup.geometry, { params: arenas.params, grads: arenas.grads[setup.thread], buffers });
  const shard = new Shard(backend, network, arenas, setup.adam, setup.seed, setup.thread, setup.threads, setup.labelSmoothing);
  return { network, shard };
}

/** This thread's share of `command` (TRAIN's: its forward and backward; the update is serveCommand's). */
export function computeShare(shard: Shard, command: number, control: ControlBlock): void {
  switch (command) {
    case Command.TRAIN: return shard.computeGradients(control);
    case Command.PREDICT: return shard.predict(control);
    case Command.GRAD_CAM: return shard.gradCam(control);
    case Command.LOGITS: return shard.logits(control);
    case Command.INPUT_GRADIENTS: return shard.inputGradients(control);
    case Command.CURVES: return shard.curves(control);
    case Command.CAM_MAPS: return shard.camMaps(control);
    case Command.COALITION_SCORES: return shard.coalitionScores(control);
    case Command.OCCLUSION_SCORES: return shard.occlusionScores(control);
    case Command.MASKED_LOGITS: return shard.maskedLogits(control);
    case Command.LIME_FITS: return shard.limeFits(control);
    case Command.SMOOTHGRAD_MAPS: return shard.smoothGradMaps(control);
    default: throw new XcnnError(`worker thread ${shard.thread}: unknown command ${command}; the pool and its workers must come from the same build`, { code: 'ERR_SETUP' });
  }
}

/**
 * One command on this worker thread: its share, the barrier (COMPUTED), and for TRAIN its slice of the
 * gradient sum and Adam — skipped when any thread failed — and the second barrier (UPDATED).
 */
export function serveCommand(shard: Shard, control: ControlBlock, command: number): void {
  try {
    computeShare(shard, command, control);
  } catch (error) {
    control.fail(shard.thread, messageOf(error));
  }
  control.arrive(COMPUTED);
  if (command !== Command.TRAIN) return;
  control.waitFor(COMPUTED, shard.threads);
  try {
    // Any thread's failure (this one's too: fail() records the first) stops every thread's update.
    if (Atomics.load(control.sync, FAILED) === 0) shard.sumAndUpdate(control);
  } catch (error) {
    control.fail(shard.thread, messageOf(error));
  }
  control.arrive(UPDATED);
}

/**
 * Serves the pool's commands until EXIT. Every pool's control block starts at generation 0: reading it here
 * instead would race the main thread, which may start the first command as soon as the thread says 'ready'.
 */
export function serveCommands(shard: Shard, control: ControlBlock): void {
  let served = 0;
  for (;;) {
    served = nextGeneration(control, served);
    const command = Atomics.load(control.sync, COMMAND);
    if (command === Command.EXIT) return;
    serveCommand(shard, control, command);
  }
}

/**
 * The generation of the pool's next command after generation `served`, once it is posted: spinning for
 * sync[SPIN] µs, then asleep in Atomics.wait. A wake-up that finds no new generation sleeps again. It comes:
 * the main thread posts a command (bumps the generation), then notifies; descheduled between the two on a busy
 * machine, it may notify only after this thread has seen the command while spinning, served it and fallen
 * asleep on its generation. Served a second time, that command would count this thread in twice at COMPUTED;
 * the extra arrival then lets the main thread pass the next command's barrier before this thread has written
 * its rows, and read the rows of the command before (a 2-thread evaluation 1–2 % below one thread's).
 */
export function nextGeneration(control: ControlBlock, served: number): number {
  control.spinWhile(() => Atomics.load(control.sync, GENERATION) === served);
  for (;;) {
    const generation = Atomics.load(control.sync, GENERATION);
    if (generation !== served) return generation;
    Atomics.wait(control.sync, GENERATION, served);
  }
}

/** A thrown value's message: an Error's, or the value as text (a worker may meet a throw of anything). */
function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
