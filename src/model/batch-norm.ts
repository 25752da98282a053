/**
 * BatchNorm: PyTorch's `nn.BatchNorm2d(C)` after a convolution (input [N,C,H,W], statistics over N·H·W
 * values per channel) and `nn.BatchNorm1d(F)` after flatten (input [N,F], over N values per feature);
 * eps 1e-5, momentum 0.1. Parameters `weight` (γ, initialised to 1) and `bias` (β, 0); buffers
 * `running_mean` (0), `running_var` (1) and `num_batches_tracked` (0, saved as int64), as in a state_dict.
 *
 * Training passes normalise with the batch's statistics and move the running ones; evaluation passes use the
 * running ones (backend.ts gives the formulas). Keeps its input and the statistics it used for backward.
 * A training pass with a single value per channel (one sample after flatten or gap — a last batch of one, or a
 * thread's share of one) normalises to β as the formulas say, but moves no running statistic and is not counted:
 * the unbiased variance of one value is undefined (PyTorch refuses such a batch; xcnn would rather not stop a run).
 *
 * With `fuseRelu`, its output is already max(batch norm, 0) — the backend's fused batchNormReluForward, one
 * pass over memory fewer — and the ReLU layer after it is built with `inputRectified`, as after a Conv2d
 * (conv2d.ts). Backward is unchanged: the ReLU layer masks the gradient before it reaches this layer.
 */
import type { Backend, BatchNormShape, Floats } from '../backend/backend.js';
import { BatchBuffer, EVALUATION, product, type NetworkBuffer, type BufferSpec, type Layer, type Parameter, type ParameterSpec, type PassMode } from './layer.js';

export const BATCH_NORM_EPSILON = 1e-5;
export const BATCH_NORM_MOMENTUM = 0.1;

export class BatchNorm implements Layer {
  readonly outputShape: number[];
  readonly channels: number;
  private readonly positions: number;
  weight!: Parameter;
  bias!: Parameter;
  runningMean!: NetworkBuffer;
  runningVar!: NetworkBuffer;
  batchesTracked!: NetworkBuffer;
  private readonly output: BatchBuffer<Floats>;
  private readonly dInput: BatchBuffer<Floats>;
  private readonly savedMean: Floats; // [C], the statistics of the last forward
  private readonly savedInvStd: Floats;
  private input: Floats | null = null; // kept for backward
  private batch = 0;
  private training = false;

  constructor(
    private readonly backend: Backend,
    readonly name: string,
    readonly inputShape: number[], // [C,H,W] or [F]
    readonly options: { fuseRelu?: boolean } = {},
  ) {
    this.outputShape = inputShape;
    this.channels = inputShape[0];
    this.positions = product(inputShape.slice(1));
    this.output = BatchBuffer.floats(backend, product(inputShape));
    this.dInput = BatchBuffer.floats(backend, product(inputShape));
    this.savedMean = backend.allocFloats(this.channels);
    this.savedInvStd = backend.allocFloats(this.channels);
  }

  parameterSpecs(): ParameterSpec[] {
    const shape = [this.channels];
    return [
      { name: `${this.name}.weight`, shape, fanIn: 1, constant: 1 },
      { name: `${this.name}.bias`, shape, fanIn: 1, constant: 0 },
    ];
  }

  bindParameters([weight, bias]: Parameter[]): void {
    this.weight = weight;
    this.bias = bias;
  }

  bufferSpecs(): BufferSpec[] {
    const shape = [this.channels];
    return [
      { name: `${this.name}.running_mean`, shape, initial: 0, dtype: 'F32' },
      { name: `${this.name}.running_var`, shape, initial: 1, dtype: 'F32' },
      { name: `${this.name}.num_batches_tracked`, shape: [], initial: 0, dtype: 'I64' },
    ];
  }

  bindBuffers([runningMean, runningVar, batchesTracked]: NetworkBuffer[]): void {
    this.runningMean = runningMean;
    this.runningVar = runningVar;
    this.batchesTracked = batchesTracked;
  }

  shape(batch: number): BatchNormShape {
    return { batch, channels: this.channels, positions: this.positions };
  }

  forward(input: Floats, batch: number, mode: PassMode = EVALUATION): Floats {
    this.input = input;
    this.batch = batch;
    this.training = mode.training;
    const output = this.output.forBatch(batch);
    // A worker thread normalises with its share's statistics but leaves the shared running ones to thread 0:
    // it updates a copy that nobody reads.
    const update = mode.training && mode.updateStatistics && batch * this.positions > 1;
    const runningMean = update ? this.runningMean.value : this.scratchCopy(0, this.runningMean.value);
    const runningVar = update ? this.runningVar.value : this.scratchCopy(1, this.runningVar.value);
    const state = {
      gamma: this.weight.value,
      beta: this.bias.value,
      runningMean,
      runningVar,
      training: mode.training,
      momentum: BATCH_NORM_MOMENTUM,
      epsilon: BATCH_NORM_EPSILON,
      savedMean: this.savedMean,
      savedInvStd: this.savedInvStd,
    };
    if (!this.options.fuseRelu) {
      this.backend.batchNormForward(this.shape(batch), input, output, state);
    } else if (this.backend.batchNormReluForward) {
      this.backend.batchNormReluForward(this.shape(batch), input, output, state);
    } else {
      this.backend.batchNormForward(this.shape(batch), input, output, state);
      this.backend.reluForward(output, output);
    }
    if (update) this.batchesTracked.value[0] += 1;
    return output;
  }

  backward(dOutput: Floats, needInputGrad: boolean, needParameterGrads = true): Floats | null {
    const dInput = needInputGrad ? this.dInput.forBatch(this.batch) : null;
    // dγ and dβ are sums the input gradient needs anyway: when they are not wanted they go to scratch, not to the grads.
    this.backend.batchNormBackward(this.shape(this.batch), {
      input: this.input!,
      dOutput,
      gamma: this.weight.value,
      savedMean: this.savedMean,
      savedInvStd: this.savedInvStd,
      training: this.training,
      dGamma: needParameterGrads ? this.weight.grad : this.discarded()[0],
      dBeta: needParameterGrads ? this.bias.grad : this.discarded()[1],
      dInput,
    });
    return dInput;
  }

  private scratch: Floats[] = [];

  private unwanted: [Floats, Floats] | null = null;

  /** Per-channel scratch for a pass's dγ and dβ that nobody wants (backward with needParameterGrads false). */
  private discarded(): [Floats, Floats] {
    this.unwanted ??= [this.backend.allocFloats(this.channels), this.backend.allocFloats(this.channels)];
    return this.unwanted;
  }

  /** A private copy of a running statistic, for passes that must not change the shared one. */
  private scratchCopy(slot: number, source: Floats): Floats {
    this.scratch[slot] ??= this.backend.allocFloats(this.channels);
    this.scratch[slot].set(source);
    return this.scratch[slot];
  }

  /** Gives back its batch buffers and its per-channel arrays (Network.dispose). */
  dispose(): void {
    this.output.release();
    this.dInput.release();
    for (const array of [this.savedMean, this.savedInvStd, ...this.scratch, ...(this.unwanted ?? [])]) this.backend.free(array);
    this.scratch = [];
    this.unwanted = null;
  }
}
