/**
 * Batches of a data set in backend memory: the images of a batch scaled to [0,1] as floats
 * [N,C,H,W], and their labels [N]. The buffers grow to the largest batch size seen and are reused: the
 * loader's own, or a network workspace's (inWorkspace), which every call of that role shares.
 */
import type { Backend, Floats } from '../backend/backend.js';
import { BatchBuffer } from '../model/layer.js';
import type { Workspace } from '../model/workspace.js';
import { fillBatch, imageSize, type ImageSet } from './dataset.js';

export interface LoadedBatch {
  size: number; // N
  input: Floats; // [N, C, H, W] in [0,1]
  labels: Int32Array; // [N]
}

/** Where a loader puts a batch: images [N, C·H·W] and labels [N]. */
export interface BatchBuffers {
  input: BatchBuffer<Floats>;
  labels: BatchBuffer<Int32Array>;
}

export class BatchLoader {
  private readonly input: BatchBuffer<Floats>;
  private readonly labels: BatchBuffer<Int32Array>;

  /** A loader with buffers of its own on `backend` (or the `buffers` given). */
  constructor(
    backend: Backend,
    readonly set: ImageSet,
    buffers: BatchBuffers = { input: BatchBuffer.floats(backend, imageSize(set)), labels: BatchBuffer.ints(backend, 1) },
  ) {
    this.input = buffers.input;
    this.labels = buffers.labels;
  }

  /** A loader of `set` into the workspace's buffers of `role` (`role.input`, `role.labels`), kept by the network between calls. */
  static inWorkspace(workspace: Workspace, role: string, set: ImageSet): BatchLoader {
    return new BatchLoader(workspace.backend, set, { input: workspace.floats(`${role}.input`, imageSize(set)), labels: workspace.ints(`${role}.labels`, 1) });
  }

  /** Loads the examples at `indices` (in that order). */
  load(indices: ArrayLike<number>): LoadedBatch {
    const size = indices.length;
    const batch = { size, input: this.input.forBatch(size), labels: this.labels.forBatch(size) };
    fillBatch(this.set, indices, batch.input, batch.labels);
    return batch;
  }
}

/** The indices start, start+1, …, end−1 (reused between calls of the same size). */
export function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let k = 0; k < out.length; k++) out[k] = start + k;
  return out;
}
