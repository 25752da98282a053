/**
 * A training pass's first convolution block, a few images at a time (Network.trainingForward): the network's
 * first layer a convolution, then a ReLU (fused into it) or not, then a max pool. The paper net's conv1 map is
 * 86 KB an image, 5.5 MB for a batch of 64: run whole, the convolution writes it to memory, the pool reads it
 * back, and the backward pass makes its gradient there and reads it twice more (ReLU, convolution). Here a
 * chunk's map (imagesPerChunk) is made, pooled, and in the backward pass its gradient made and used, while it is
 * still in the core's cache; only the pooled output and the pool's argmax are kept for the whole batch.
 *
 *   forward, chunk by chunk:   y = conv(x) (ReLU fused);  pooled, argmax = maxpool(y)
 *   backward, chunk by chunk:  dPooled' = dPooled where pooled > 0  (the ReLU's backward, moved before the pool's)
 *                              dy = the pool's backward of dPooled';  dW, dB += conv's gradients (x, dy)
 *
 * The ReLU's mask moves before the pool's backward because the pool routes each gradient to its window's winner
 * e, and pooled = y[e] there: pooled > 0 exactly when y[e] > 0, the mask the ReLU would apply at e (every window
 * e won has the same pooled value y[e], so overlapping windows agree). The numbers are those of the whole
 * batch through each layer's forward and backward, bit for bit: the convolution and the pool are image by image,
 * the mask selects the same values, and the parameter gradients are summed across chunks by the backend's
 * ConvGradientChunks as one conv2dBackward sums them across images. A backend without it (or a convolution it
 * cannot split so) has no plan: the pass then runs whole.
 *
 * The first layer's input gradient is never made (a training step does not want it), so the block must be the
 * network's first layers.
 */
import type { Backend, ConvGradientChunks, Floats } from '../backend/backend.js';
import { Conv2d } from './conv2d.js';
import { BatchBuffer, product, type Layer } from './layer.js';
import { MaxPool2d } from './pool2d.js';
import { ReLU } from './relu.js';

const CHUNK_BYTES = 384 * 1024;

/**
 * Images a chunk of a first block holds, here and in Network.logits: as many as 384 KB of its largest map
 * (`floatsAnImage` floats an image) hold, and at least one — inside a core's L2 with the chunk's gradient beside it.
 */
export function imagesPerChunk(floatsAnImage: number): number {
  return Math.max(1, Math.floor(CHUNK_BYTES / (4 * floatsAnImage)));
}

export class FirstBlock {
  /** The layers the block stands for: the first `layers` of the network (conv, [ReLU], max pool). */
  readonly layers: number;
  /** Images a chunk. */
  readonly images: number;
  private readonly relu: boolean;
  private readonly sizes: { pixels: number; map: number; pooled: number }; // floats an image: input, conv map, pooled output
  private readonly map: Floats; // a chunk's conv map, then its gradient
  private readonly maskedGradient: Floats; // a chunk's pooled gradient, masked by the ReLU
  private readonly pooled: BatchBuffer<Floats>; // the whole batch's pooled output
  private readonly argmax: BatchBuffer<Int32Array>; // and its pool's winners, each relative to its own chunk
  private pass: { input: Floats; batch: number } | null = null;

  private constructor(
    private readonly backend: Backend,
    private readonly conv: Conv2d,
    private readonly pool: MaxPool2d,
    private readonly gradients: ConvGradientChunks,
  ) {
    this.relu = conv.options.fuseRelu === true;
    this.layers = this.relu ? 3 : 2;
    this.sizes = { pixels: product(conv.inputShape), map: product(conv.outputShape), pooled: product(pool.outputShape) };
    this.images = imagesPerChunk(this.sizes.map);
    this.map = backend.allocFloats(this.images * this.sizes.map);
    this.maskedGradient = backend.allocFloats(this.images * this.sizes.pooled);
    this.pooled = BatchBuffer.floats(backend, this.sizes.pooled);
    this.argmax = BatchBuffer.ints(backend, this.sizes.pooled);
  }

  /**
   * The block of `layers`, or null: the first layer a Conv2d, then a ReLU it computes itself (fuseRelu) or
   * nothing, then a MaxPool2d; and a backend that splits the convolution's gradient (convGradientChunks)
   * and fuses its ReLU when there is one.
   */
  static of(backend: Backend, layers: readonly Layer[]): FirstBlock | null {
    const [conv, second, third] = layers;
    if (!(conv instanceof Conv2d)) return null;
    const relu = conv.options.fuseRelu === true;
    if (relu && !(second instanceof ReLU && second.options.inputRectified === true && backend.conv2dReluForward)) return null;
    const pool = relu ? third : second;
    if (!(pool instanceof MaxPool2d)) return null;
    const gradients = backend.convGradientChunks?.(conv.shape(1)) ?? null;
    return gradients === null ? null : new FirstBlock(backend, conv, pool, gradients);
  }

  /** The block's forward pass in training mode: input [N, ...] → the pool's output [N, ...] (a buffer of the block's; read it before the next pass). */
  forward(input: Floats, batch: number): Floats {
    const { backend, conv, pool, sizes } = this;
    const pooled = this.pooled.forBatch(batch);
    const argmax = this.argmax.forBatch(batch);
    for (let first = 0; first < batch; first += this.images) {
      const n = Math.min(this.images, batch - first);
      const x = input.subarray(first * sizes.pixels, (first + n) * sizes.pixels);
      const y = this.map.subarray(0, n * sizes.map);
      if (this.relu) backend.conv2dReluForward!(conv.shape(n), x, conv.weight.value, conv.bias.value, y);
      else backend.conv2dForward(conv.shape(n), x, conv.weight.value, conv.bias.value, y);
      backend.maxPool2dForward(pool.shape(n), y, chunkRows(pooled, first, n, sizes.pooled), chunkRows(argmax, first, n, sizes.pooled));
    }
    this.pass = { input, batch };
    return pooled;
  }

  /** The block's backward pass from dPooled [N, ...] (the gradient of forward's output): the convolution's dWeight and dBias accumulate. */
  backward(dPooled: Floats): void {
    const { backend, conv, pool, sizes } = this;
    const { input, batch } = this.pass!;
    const pooled = this.pooled.forBatch(batch);
    const argmax = this.argmax.forBatch(batch);
    for (let first = 0; first < batch; first += this.images) {
      const n = Math.min(this.images, batch - first);
      let d = chunkRows(dPooled, first, n, sizes.pooled);
      if (this.relu) {
        const masked = this.maskedGradient.subarray(0, n * sizes.pooled);
        backend.reluBackward(chunkRows(pooled, first, n, sizes.pooled), d, masked);
        d = masked;
      }
      const dy = this.map.subarray(0, n * sizes.map);
      backend.maxPool2dBackward(pool.shape(n), d, chunkRows(argmax, first, n, sizes.pooled), dy);
      this.gradients.add(chunkRows(input, first, n, sizes.pixels), dy, n, conv.weight.grad);
    }
    this.gradients.finish(conv.weight.grad, conv.bias.grad);
  }

  /** Gives back its buffers and the gradient accumulator (Network.dispose). */
  dispose(): void {
    this.backend.free(this.map);
    this.backend.free(this.maskedGradient);
    this.pooled.release();
    this.argmax.release();
    this.gradients.dispose();
  }
}

// Images first .. first + n − 1 of a batch array with `size` values an image.
function chunkRows<T extends Floats | Int32Array>(array: T, first: number, n: number, size: number): T {
  return array.subarray(first * size, (first + n) * size) as T;
}
