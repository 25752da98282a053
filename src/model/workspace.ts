/**
 * What a network keeps, between calls, for the code that calls it: the scratch of evaluation and of the
 * explanation methods — a batch's images and labels, the one-hot dLogits, SmoothGrad's noisy copies, the
 * perturbed copies of the perturbation methods — by role. Each role is a BatchBuffer (layer.ts): it grows
 * to the largest batch seen and every later call reuses it, so a call allocates nothing once its sizes have
 * been seen, and `Network.dispose` gives everything back with the network's own buffers.
 *
 * A role names one use that is never live twice at once (`'predict.input'`, `'smoothgrad.noisy'`): call
 * sites whose buffers can be in use at the same time take different roles. What a call hands back to its
 * caller is copied out into plain typed arrays, never a view of the workspace, which the next call
 * overwrites.
 */
import type { Backend, Floats } from '../backend/backend.js';
import { BatchBuffer } from './layer.js';

export class Workspace {
  private readonly entries = new Map<string, { value: unknown; release: () => void }>();

  constructor(readonly backend: Backend) {}

  /** The float buffer of `role`, `perSample` numbers a sample. */
  floats(role: string, perSample: number): BatchBuffer<Floats> {
    return this.entry(`${role} floats ${perSample}`, () => BatchBuffer.floats(this.backend, perSample), (buffer) => buffer.release());
  }

  /** The int buffer of `role`, `perSample` numbers a sample. */
  ints(role: string, perSample: number): BatchBuffer<Int32Array> {
    return this.entry(`${role} ints ${perSample}`, () => BatchBuffer.ints(this.backend, perSample), (buffer) => buffer.release());
  }

  /** The object of `role` (a loss head, say), made by `create` on first use and disposed with the workspace. */
  owned<T extends { dispose(): void }>(role: string, create: () => T): T {
    return this.entry(`${role} object`, create, (value) => value.dispose());
  }

  /** Gives back every buffer and disposes every object; a later request makes them afresh. */
  dispose(): void {
    for (const { release } of this.entries.values()) release();
    this.entries.clear();
  }

  private entry<T>(key: string, create: () => T, release: (value: T) => void): T {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const value = create();
      entry = { value, release: () => release(value) };
      this.entries.set(key, entry);
    }
    return entry.value as T;
  }
}
