/**
 * Elementwise kernels and the two bias kernels, four floats per v128 step with a scalar tail.
 *
 * Layout: every tensor here is viewed as [N, F, S] — N samples, F channels (or features), S positions
 * per channel: S = OH·OW for a convolution's NCHW output, S = 1 for a dense layer's [N, O] output.
 *
 *   reluForward            y = x where x > 0, else 0            (v128.and with the mask x > 0)
 *   reluBackward           dx = dy where y > 0, else 0
 *   addBias                out[n, f, s] += bias[f]
 *   addBiasRelu            out[n, f, s] = max(out[n, f, s] + bias[f], 0)   (a convolution's bias and the
 *                          ReLU after it in one pass, run on each image's GEMM output while it is in cache)
 *   accumulateBiasGradient dBias[f] += Σ_n Σ_s dOut[n, f, s]     (summed in float64, see below)
 *   addInto                dst[k] += src[k]   (the thread pool sums the threads' gradients with it)
 *   multiplyElementwise    out[k] = x[k] · mask[k]   (dropout's scaled mask)
 *   unitFloatsFromBytes    out[k] = bytes[k] / 255   (a batch's pixels scaled to [0, 1]: one float32 divide each)
 *
 * ReLU as a mask rather than f32x4.max gives exactly the reference's `x > 0 ? x : 0`: −0 and NaN
 * become +0. The bias gradient sums up to N·S = 64·676 terms per channel; it accumulates in f64x2
 * lanes (f32 promoted two at a time), so its rounding error is negligible next to the GEMMs'.
 */

import { addRun } from './float-runs';
import { CHANNEL_SUMS_BYTES, channelSumsTotal, continueChannelSums, loadChannelSums, startChannelSums, storeChannelSums } from './channel-sums';

export function reluForward(input: usize, output: usize, length: i32): void {
  const zero = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= length; k += 4) {
    const x = v128.load(input + (<usize>k << 2));
    v128.store(output + (<usize>k << 2), v128.and(x, f32x4.gt(x, zero)));
  }
  for (; k < length; k++) {
    const x = load<f32>(input + (<usize>k << 2));
    store<f32>(output + (<usize>k << 2), x > 0 ? x : 0);
  }
}

export function reluBackward(output: usize, dOutput: usize, dInput: usize, length: i32): void {
  const zero = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= length; k += 4) {
    const y = v128.load(output + (<usize>k << 2));
    const dy = v128.load(dOutput + (<usize>k << 2));
    v128.store(dInput + (<usize>k << 2), v128.and(dy, f32x4.gt(y, zero)));
  }
  for (; k < length; k++) {
    const y = load<f32>(output + (<usize>k << 2));
    store<f32>(dInput + (<usize>k << 2), y > 0 ? load<f32>(dOutput + (<usize>k << 2)) : 0);
  }
}

export function addBias(output: usize, batch: i32, channels: i32, positions: i32, bias: usize): void {
  if (positions == 1) {
    // [N, F]: add the bias vector to every row.
    for (let n = 0; n < batch; n++) addRun(bias, output + ((<usize>n * channels) << 2), channels);
    return;
  }
  addBiasToPlanes(output, batch, channels, positions, bias, false);
}

/**
 * addBias then reluForward, fused: the same f32 add and the same mask, so the result is bit-for-bit the
 * two passes' — one read and one write of the output instead of two of each.
 */
export function addBiasRelu(output: usize, batch: i32, channels: i32, positions: i32, bias: usize): void {
  addBiasToPlanes(output, batch, channels, positions, bias, true);
}

// [N, F, S]: add one splatted bias to each channel's S positions, then (relu) mask to max(y, 0) as
// reluForward does. Inlined with a literal `relu`, so each caller compiles to its own branch-free loop.
// @ts-ignore: decorator
@inline
function addBiasToPlanes(output: usize, batch: i32, channels: i32, positions: i32, bias: usize, relu: bool): void {
  const zero = f32x4.splat(0);
  let row = output;
  for (let n = 0; n < batch; n++) {
    for (let f = 0; f < channels; f++) {
      const b = load<f32>(bias + (<usize>f << 2));
      const splat = f32x4.splat(b);
      let s = 0;
      for (; s + 4 <= positions; s += 4) {
        const at = row + (<usize>s << 2);
        let y = f32x4.add(v128.load(at), splat);
        if (relu) y = v128.and(y, f32x4.gt(y, zero));
        v128.store(at, y);
      }
      for (; s < positions; s++) {
        const at = row + (<usize>s << 2);
        const y = load<f32>(at) + b;
        store<f32>(at, relu ? (y > 0 ? y : 0) : y);
      }
      row += <usize>positions << 2;
    }
  }
}

/**
 * dBias[f] += Σ_n Σ_s dOutput[n, f, s] over a batch [N, F, S]: each channel's sum in float64 (channel-sums.ts, as
 * batch norm's mean), added to dBias[f] once, rounded to float32 at the store.
 */
export function accumulateBiasGradient(dOutput: usize, batch: i32, channels: i32, positions: i32, dBias: usize): void {
  for (let f = 0; f < channels; f++) {
    startChannelSums();
    continueChannelSums(dOutput, batch, channels, positions, f);
    addChannelSum(dBias + (<usize>f << 2));
  }
}

/**
 * accumulateBiasGradient of a batch given a chunk of images at a time (a training pass that runs the first block
 * in chunks, src/model/first-block.ts): this chunk's images continue each channel's float64 sums where the chunks
 * before left them in `carry` — CHANNEL_SUMS_BYTES a channel (channel-sums.ts) — which the first chunk
 * (first = 1) starts from zero. finishBiasGradient then adds them to dBias: the same additions in the same order
 * as one accumulateBiasGradient over the whole batch, so the same dBias, bit for bit.
 */
export function biasGradientChunk(dOutput: usize, batch: i32, channels: i32, positions: i32, carry: usize, first: i32): void {
  for (let f = 0; f < channels; f++) {
    const at = carry + <usize>f * CHANNEL_SUMS_BYTES;
    if (first != 0) startChannelSums();
    else loadChannelSums(at);
    continueChannelSums(dOutput, batch, channels, positions, f);
    storeChannelSums(at);
  }
}

/** dBias[f] += the sums biasGradientChunk carried for channel f, as accumulateBiasGradient adds its own. */
export function finishBiasGradient(carry: usize, channels: i32, dBias: usize): void {
  for (let f = 0; f < channels; f++) {
    loadChannelSums(carry + <usize>f * CHANNEL_SUMS_BYTES);
    addChannelSum(dBias + (<usize>f << 2));
  }
}

// dBias[f] (at `at`) += the channel's sum, in float64, rounded once to float32.
// @ts-ignore: decorator
@inline
function addChannelSum(at: usize): void {
  store<f32>(at, <f32>(<f64>load<f32>(at) + channelSumsTotal()));
}

/** dst[0:length] += src[0:length]: one thread's gradients added into the sum, four floats a step. */
export function addInto(dst: usize, src: usize, length: i32): void {
  addRun(src, dst, length);
}

/** output[0:length] = input · mask, elementwise (one f32 multiply each, the reference's product). */
export function multiplyElementwise(input: usize, mask: usize, output: usize, length: i32): void {
  let k = 0;
  for (; k + 4 <= length; k += 4) {
    const o = <usize>k << 2;
    v128.store(output + o, f32x4.mul(v128.load(input + o), v128.load(mask + o)));
  }
  for (; k < length; k++) {
    const o = <usize>k << 2;
    store<f32>(output + o, load<f32>(input + o) * load<f32>(mask + o));
  }
}

/**
 * out[0:count] = bytes[0:count] / 255, each byte converted to float32 and divided by 255 in float32 — sixteen bytes a
 * step, widened to four f32x4. One correctly rounded float32 divide gives, for every byte value, the float32 that
 * JavaScript's `byte / 255` (a float64 divide) rounds to (test/unit-floats.test.ts checks all 256).
 */
export function unitFloatsFromBytes(bytes: usize, count: i32, out: usize): void {
  const scale = f32x4.splat(255);
  let k = 0;
  for (; k + 16 <= count; k += 16) {
    const b = v128.load(bytes + <usize>k);
    const low = i16x8.extend_low_i8x16_u(b);
    const high = i16x8.extend_high_i8x16_u(b);
    const at = out + (<usize>k << 2);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(low)), scale));
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(low)), scale), 16);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(high)), scale), 32);
    v128.store(at, f32x4.div(f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(high)), scale), 48);
  }
  for (; k < count; k++) store<f32>(out + (<usize>k << 2), <f32>load<u8>(bytes + <usize>k) / 255);
}
