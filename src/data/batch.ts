/**
 * Batches of a data set in backend memory: the images of a batch scaled to [0,1] as floats
 * [N,C,H,W], and their labels [N]. The buffers are allocated once at the largest batch size seen.
 */
import type { Backend, Floats } from '../backend/backend.js';
import { BatchBuffer } from '../model/layer.js';
import { fillBatch, imageSize, type ImageSet } from './dataset.js';

export interface LoadedBatch {
  size: number; // N
  input: Floats; // [N, C, H, W] in [0,1]
  labels: Int32Array; // [N]
}

export class BatchLoader {
  private readonly input: BatchBuffer<Floats>;
  private readonly labels: BatchBuffer<Int32Array>;

  constructor(
    backend: Backend,
    readonly set: ImageSet,
  ) {
    this.input = BatchBuffer.floats(backend, imageSize(set));
    this.labels = BatchBuffer.ints(backend, 1);
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
