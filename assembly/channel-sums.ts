/**
 * A channel's sum over a batch [N, C, S] of float32 values, in float64, as batch norm's mean (batch-norm.ts) and the
 * bias gradient (elementwise.ts) take it: four positions a step in two f64x2 (positions 0, 1 and 2, 3 of each four),
 * the positions past a run's last four in a scalar, and the total tail + (lane 0 + lane 1 of low + high).
 *
 * The partial sums live in this module's globals between the calls that make one sum, so that a sum can go on over
 * a batch given a chunk of images at a time (elementwise.ts biasGradientChunk), carried in memory between chunks.
 */

// The upper two of four floats, promoted to an f64x2 (wasm promotes only the lower two).
// @ts-ignore: decorator
@inline
export function promoteHigh(four: v128): v128 {
  return f64x2.promote_low_f32x4(v128.shuffle<f32>(four, four, 2, 3, 2, 3));
}

// The total of two f64x2 accumulators: (low + high), lane 0 + lane 1.
// @ts-ignore: decorator
@inline
export function laneTotal(low: v128, high: v128): f64 {
  const lanes = f64x2.add(low, high);
  return f64x2.extract_lane(lanes, 0) + f64x2.extract_lane(lanes, 1);
}

// One sum's partial sums: positions 0, 1 and 2, 3 of each four in two f64x2, the positions past a run's last four
// in a scalar.
let sumsLow: v128 = f64x2.splat(0);
let sumsHigh: v128 = f64x2.splat(0);
let sumsTail: f64 = 0;

/** The bytes a sum's partial sums take in memory (storeChannelSums): two f64x2 and one f64. */
export const CHANNEL_SUMS_BYTES: usize = 40;

// A new sum, from zero.
// @ts-ignore: decorator
@inline
export function startChannelSums(): void {
  sumsLow = f64x2.splat(0);
  sumsHigh = f64x2.splat(0);
  sumsTail = 0;
}

// The partial sums stored at `at` (CHANNEL_SUMS_BYTES) by storeChannelSums, to go on with.
// @ts-ignore: decorator
@inline
export function loadChannelSums(at: usize): void {
  sumsLow = v128.load(at);
  sumsHigh = v128.load(at, 16);
  sumsTail = load<f64>(at, 32);
}

// The partial sums, stored at `at` (CHANNEL_SUMS_BYTES).
// @ts-ignore: decorator
@inline
export function storeChannelSums(at: usize): void {
  v128.store(at, sumsLow);
  v128.store(at, sumsHigh, 16);
  store<f64>(at, sumsTail, 32);
}

// The sum continued over channel c of the batch's images: data [N, C, S] floats.
// @ts-ignore: decorator
@inline
export function continueChannelSums(data: usize, batch: i32, channels: i32, positions: i32, c: i32): void {
  let low = sumsLow;
  let high = sumsHigh;
  let tail = sumsTail;
  for (let n = 0; n < batch; n++) {
    const run = data + ((<usize>(n * channels + c) * positions) << 2);
    let s = 0;
    for (; s + 4 <= positions; s += 4) {
      const four = v128.load(run + (<usize>s << 2));
      low = f64x2.add(low, f64x2.promote_low_f32x4(four));
      high = f64x2.add(high, promoteHigh(four));
    }
    for (; s < positions; s++) tail += <f64>load<f32>(run + (<usize>s << 2));
  }
  sumsLow = low;
  sumsHigh = high;
  sumsTail = tail;
}

// The sum: tail + (lane 0 + lane 1 of low + high).
// @ts-ignore: decorator
@inline
export function channelSumsTotal(): f64 {
  return sumsTail + laneTotal(sumsLow, sumsHigh);
}
