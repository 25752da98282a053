/**
 * Batch normalisation over the channels of [N, C, M'] (M' positions per sample: H·W after a convolution,
 * 1 after flatten) — the formulas of src/backend/reference/batch-norm.ts, PyTorch's semantics:
 *
 *   M = N·M';  training: μ = Σx/M, σ² = Σ(x − μ)²/M (two passes), running_mean ← (1−m)·running_mean + m·μ,
 *              running_var ← (1−m)·running_var + m·σ²·M/(M−1);  evaluation: μ, σ² = the running ones
 *   forward:   y = (x − μ)·s + β,  s = γ/√(σ² + ε)
 *   backward:  ∂γ += Σ dy·x̂,  ∂β += Σ dy  (x̂ = (x − μ)/√(σ² + ε))
 *              training:   ∂x = γ·invStd·dy − (γ·invStd/M)·Σdy − (γ·invStd²/M)·Σ(dy·(x − μ))·(x − μ)
 *              evaluation: ∂x = γ·invStd·dy
 *
 * Accumulation: every per-channel sum (Σx, Σ(x − μ)², Σdy, Σdy·(x − μ)) runs in f64x2 lanes — four
 * floats promoted two at a time — so it is the reference's float64 sum up to the order of its terms
 * (a relative difference of order M·2⁻⁵³, invisible once rounded to float32). The per-channel
 * coefficients (μ, s, β, and the backward's three) are computed in float64 and rounded once to float32;
 * the elementwise passes then run in f32x4 (a subtract, a multiply, an add: three roundings), so an
 * output differs from the reference's by a few float32 units of the magnitude of its terms — the bound
 * the parity test states (test/wasm-batch-norm.test.ts).
 */

import { channelSumsTotal, continueChannelSums, laneTotal, promoteHigh, startChannelSums } from './channel-sums';

// Σ x over channel c's N runs of M' floats at data [N, C, M'], in float64.
// @ts-ignore: decorator
@inline
function channelSum(data: usize, batch: i32, channels: i32, positions: i32, c: i32): f64 {
  startChannelSums();
  continueChannelSums(data, batch, channels, positions, c);
  return channelSumsTotal();
}

// Σ (x − mean)² over channel c's N runs of M' floats, in float64 (the variance's second pass).
// @ts-ignore: decorator
@inline
function channelSquaredDeviations(data: usize, batch: i32, channels: i32, positions: i32, c: i32, mean: f64): f64 {
  const m = f64x2.splat(mean);
  let low = f64x2.splat(0);
  let high = f64x2.splat(0);
  let sum: f64 = 0;
  for (let n = 0; n < batch; n++) {
    const run = data + ((<usize>(n * channels + c) * positions) << 2);
    let k = 0;
    for (; k + 4 <= positions; k += 4) {
      const four = v128.load(run + (<usize>k << 2));
      const dLow = f64x2.sub(f64x2.promote_low_f32x4(four), m);
      const dHigh = f64x2.sub(promoteHigh(four), m);
      low = f64x2.add(low, f64x2.mul(dLow, dLow));
      high = f64x2.add(high, f64x2.mul(dHigh, dHigh));
    }
    for (; k < positions; k++) {
      const d = <f64>load<f32>(run + (<usize>k << 2)) - mean;
      sum += d * d;
    }
  }
  return sum + laneTotal(low, high);
}

/**
 * output [N, C, M'] ← batch norm of input, then max(·, 0) when relu = 1; savedMean, savedInvStd [C] ← μ and
 * 1/√(σ² + ε); in training (training = 1) also runningMean, runningVar [C] updated with `momentum`.
 */
export function batchNormForward(
  input: usize,
  batch: i32,
  channels: i32,
  positions: i32,
  gamma: usize,
  beta: usize,
  runningMean: usize,
  runningVar: usize,
  training: i32,
  momentum: f64,
  epsilon: f64,
  savedMean: usize,
  savedInvStd: usize,
  output: usize,
  relu: i32,
): void {
  if (relu != 0) normalise(input, batch, channels, positions, gamma, beta, runningMean, runningVar, training, momentum, epsilon, savedMean, savedInvStd, output, true);
  else normalise(input, batch, channels, positions, gamma, beta, runningMean, runningVar, training, momentum, epsilon, savedMean, savedInvStd, output, false);
}

// batchNormForward's body, inlined with a literal `relu` so each caller compiles to its own branch-free
// write pass: y, or max(y, 0) by reluForward's mask (bit for bit batch norm then the ReLU, one pass fewer).
// @ts-ignore: decorator
@inline
function normalise(
  input: usize,
  batch: i32,
  channels: i32,
  positions: i32,
  gamma: usize,
  beta: usize,
  runningMean: usize,
  runningVar: usize,
  training: i32,
  momentum: f64,
  epsilon: f64,
  savedMean: usize,
  savedInvStd: usize,
  output: usize,
  relu: bool,
): void {
  const zero = f32x4.splat(0);
  const M = batch * positions;
  for (let c = 0; c < channels; c++) {
    const at = <usize>c << 2;
    let mean: f64;
    let variance: f64;
    if (training) {
      mean = channelSum(input, batch, channels, positions, c) / <f64>M;
      variance = channelSquaredDeviations(input, batch, channels, positions, c, mean) / <f64>M;
      const unbiased = M > 1 ? (variance * <f64>M) / <f64>(M - 1) : variance;
      store<f32>(runningMean + at, <f32>((1 - momentum) * <f64>load<f32>(runningMean + at) + momentum * mean));
      store<f32>(runningVar + at, <f32>((1 - momentum) * <f64>load<f32>(runningVar + at) + momentum * unbiased));
    } else {
      mean = <f64>load<f32>(runningMean + at);
      variance = <f64>load<f32>(runningVar + at);
    }
    const invStd = 1 / Math.sqrt(variance + epsilon);
    store<f32>(savedMean + at, <f32>mean);
    store<f32>(savedInvStd + at, <f32>invStd);
    const scale = <f32>(<f64>load<f32>(gamma + at) * invStd);
    const shift = load<f32>(beta + at);
    const mean32 = <f32>mean;
    const s4 = f32x4.splat(scale);
    const b4 = f32x4.splat(shift);
    const m4 = f32x4.splat(mean32);
    for (let n = 0; n < batch; n++) {
      const offset = (<usize>(n * channels + c) * positions) << 2;
      const x = input + offset;
      const y = output + offset;
      let k = 0;
      for (; k + 4 <= positions; k += 4) {
        const o = <usize>k << 2;
        let value = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), m4), s4), b4);
        if (relu) value = v128.and(value, f32x4.gt(value, zero));
        v128.store(y + o, value);
      }
      for (; k < positions; k++) {
        const o = <usize>k << 2;
        const value = (load<f32>(x + o) - mean32) * scale + shift;
        store<f32>(y + o, relu ? (value > 0 ? value : 0) : value);
      }
    }
  }
}

/**
 * dGamma, dBeta [C] += Σ dy·x̂, Σ dy; dInput [N, C, M'] ← ∂L/∂x (when dInput ≠ 0), with the μ and
 * invStd the forward saved, in the forward's mode (training = 1: batch statistics).
 */
export function batchNormBackward(
  input: usize,
  dOutput: usize,
  batch: i32,
  channels: i32,
  positions: i32,
  gamma: usize,
  savedMean: usize,
  savedInvStd: usize,
  training: i32,
  dGamma: usize,
  dBeta: usize,
  dInput: usize,
): void {
  const M = <f64>(batch * positions);
  for (let c = 0; c < channels; c++) {
    const at = <usize>c << 2;
    const mean = <f64>load<f32>(savedMean + at);
    const invStd = <f64>load<f32>(savedInvStd + at);
    // Σdy and Σdy·(x − μ) in one pass over the channel.
    const m2 = f64x2.splat(mean);
    let dyLow = f64x2.splat(0), dyHigh = f64x2.splat(0), productLow = f64x2.splat(0), productHigh = f64x2.splat(0);
    let sumDy: f64 = 0;
    let sumProduct: f64 = 0;
    for (let n = 0; n < batch; n++) {
      const offset = (<usize>(n * channels + c) * positions) << 2;
      let k = 0;
      for (; k + 4 <= positions; k += 4) {
        const o = offset + (<usize>k << 2);
        const x = v128.load(input + o);
        const dy = v128.load(dOutput + o);
        const dyL = f64x2.promote_low_f32x4(dy);
        const dyH = promoteHigh(dy);
        dyLow = f64x2.add(dyLow, dyL);
        dyHigh = f64x2.add(dyHigh, dyH);
        productLow = f64x2.add(productLow, f64x2.mul(f64x2.sub(f64x2.promote_low_f32x4(x), m2), dyL));
        productHigh = f64x2.add(productHigh, f64x2.mul(f64x2.sub(promoteHigh(x), m2), dyH));
      }
      for (; k < positions; k++) {
        const o = offset + (<usize>k << 2);
        const dy = <f64>load<f32>(dOutput + o);
        sumDy += dy;
        sumProduct += (<f64>load<f32>(input + o) - mean) * dy;
      }
    }
    sumDy += laneTotal(dyLow, dyHigh);
    const sumDyXhat = (sumProduct + laneTotal(productLow, productHigh)) * invStd;
    store<f32>(dGamma + at, <f32>(<f64>load<f32>(dGamma + at) + sumDyXhat));
    store<f32>(dBeta + at, <f32>(<f64>load<f32>(dBeta + at) + sumDy));
    if (dInput == 0) continue;
    const g = <f64>load<f32>(gamma + at) * invStd;
    // ∂x = a·dy − (b·(x − μ) + d): a = γ·invStd; in training b = a·invStd·Σdy·x̂/M, d = a·Σdy/M, else 0.
    const a = <f32>g;
    const b = training ? <f32>((g / M) * invStd * sumDyXhat) : <f32>0;
    const d = training ? <f32>((g / M) * sumDy) : <f32>0;
    const mean32 = <f32>mean;
    const a4 = f32x4.splat(a);
    const b4 = f32x4.splat(b);
    const d4 = f32x4.splat(d);
    const m4 = f32x4.splat(mean32);
    for (let n = 0; n < batch; n++) {
      const offset = (<usize>(n * channels + c) * positions) << 2;
      const x = input + offset;
      const dy = dOutput + offset;
      const dx = dInput + offset;
      let k = 0;
      for (; k + 4 <= positions; k += 4) {
        const o = <usize>k << 2;
        const correction = f32x4.add(f32x4.mul(f32x4.sub(v128.load(x + o), m4), b4), d4);
        v128.store(dx + o, f32x4.sub(f32x4.mul(v128.load(dy + o), a4), correction));
      }
      for (; k < positions; k++) {
        const o = <usize>k << 2;
        store<f32>(dx + o, load<f32>(dy + o) * a - ((load<f32>(x + o) - mean32) * b + d));
      }
    }
  }
}
