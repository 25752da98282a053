/**
 * Batches of a data set in backend memory: the images of a batch scaled to [0,1] as floats
 * [N,C,H,W], and their labels [N]. The buffers grow to the largest batch size seen and are reused: the
 * loader's own, or a network workspace's (inWorkspace), which every call of that role shares.
 */
import type { Backend, Floats } from '../backend/backend.js';
import { BatchBuffer } from '../model/layer.js';
import type { Workspace } from '../model/workspace.js';
import { fillBatch, imageSize, stageBatch, type ImageSet } from './dataset.js';

export interface LoadedBatch {
  size: number; // N
  input: Floats; // [N, C, H, W] in [0,1]
  labels: Int32Array; // [N]
}

/**
 * Where a loader puts a batch: images [N, C·H·W] and labels [N]; and, for a backend that scales pixels itself
 * (Backend.unitFloatsFromBytes), the batch's bytes [N, C·H·W] on their way, in ints enough for them.
 */
export interface BatchBuffers {
  input: BatchBuffer<Floats>;
  labels: BatchBuffer<Int32Array>;
  bytes?: BatchBuffer<Int32Array>;
}

export class BatchLoader {
  private readonly input: BatchBuffer<Floats>;
  private readonly labels: BatchBuffer<Int32Array>;
  private readonly bytes: BatchBuffer<Int32Array> | undefined;

  /** A loader with buffers of its own on `backend` (or the `buffers` given). */
  constructor(
    private readonly backend: Backend,
    readonly set: ImageSet,
    buffers: BatchBuffers = { input: BatchBuffer.floats(backend, imageSize(set)), labels: BatchBuffer.ints(backend, 1), bytes: BatchBuffer.ints(backend, intsForBytes(set)) },
  ) {
    this.input = buffers.input;
    this.labels = buffers.labels;
    this.bytes = buffers.bytes;
  }

  /** A loader of `set` into the workspace's buffers of `role` (`role.input`, `role.labels`, `role.bytes`), kept by the network between calls. */
  static inWorkspace(workspace: Workspace, role: string, set: ImageSet): BatchLoader {
    return new BatchLoader(workspace.backend, set, { input: workspace.floats(`${role}.input`, imageSize(set)), labels: workspace.ints(`${role}.labels`, 1), bytes: workspace.ints(`${role}.bytes`, intsForBytes(set)) });
  }

  /**
   * Loads the examples at `indices` (in that order). Where the backend scales pixels itself, their bytes are copied
   * into its memory and scaled there (the same floats as fillBatch's); otherwise fillBatch scales them.
   */
  load(indices: ArrayLike<number>): LoadedBatch {
    const size = indices.length;
    const batch = { size, input: this.input.forBatch(size), labels: this.labels.forBatch(size) };
    const { backend, set } = this;
    if (this.bytes !== undefined && set.inputs === undefined && backend.unitFloatsFromBytes !== undefined) {
      const ints = this.bytes.forBatch(size);
      const bytes = new Uint8Array(ints.buffer, ints.byteOffset, batch.input.length);
      stageBatch(set, indices, bytes, batch.labels);
      backend.unitFloatsFromBytes(bytes, batch.input);
    } else {
      fillBatch(set, indices, batch.input, batch.labels);
    }
    return batch;
  }
}

/** Ints enough for one image's bytes. */
function intsForBytes(set: ImageSet): number {
  return Math.ceil(imageSize(set) / 4);
}

/** The indices start, start+1, …, end−1 (reused between calls of the same size). */
export function range(start: number, end: number): Int32Array {
  const out = new Int32Array(end - start);
  for (let k = 0; k < out.length; k++) out[k] = start + k;
  return out;
}
