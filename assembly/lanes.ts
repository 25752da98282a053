/**
 * Moving four values between the lanes of a v128 and four places in memory, as the Winograd transforms
 * (winograd.ts, winograd-4x4.ts) do when four tiles, or four channels, share a vector: a 4×4 transpose, and
 * loads and stores of the first `lanes` lanes only, for a last, partial group.
 */

/** Column j of the 4×4 block whose rows are a0 .. a3 (lane k of the result = row k's j-th). */
// @ts-ignore: decorator
@inline
export function transposeInto(a0: v128, a1: v128, a2: v128, a3: v128, j: i32): v128 {
  const lo01 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), lo23 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5);
  const hi01 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7), hi23 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
  if (j == 0) return v128.shuffle<f32>(lo01, lo23, 0, 1, 4, 5);
  if (j == 1) return v128.shuffle<f32>(lo01, lo23, 2, 3, 6, 7);
  if (j == 2) return v128.shuffle<f32>(hi01, hi23, 0, 1, 4, 5);
  return v128.shuffle<f32>(hi01, hi23, 2, 3, 6, 7);
}

/** Lanes 0 .. lanes − 1 from at, at + laneBytes, …; the others zero: never reads past them. */
// @ts-ignore: decorator
@inline
export function partialLoad(at: usize, laneBytes: usize, lanes: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(at));
  if (lanes > 1) v = f32x4.replace_lane(v, 1, load<f32>(at + laneBytes));
  if (lanes > 2) v = f32x4.replace_lane(v, 2, load<f32>(at + 2 * laneBytes));
  if (lanes > 3) v = f32x4.replace_lane(v, 3, load<f32>(at + 3 * laneBytes));
  return v;
}

/** Lane k of `value` to at + k·laneBytes, for k < lanes. */
// @ts-ignore: decorator
@inline
export function storeLanes(at: usize, laneBytes: usize, value: v128, lanes: i32): void {
  store<f32>(at, f32x4.extract_lane(value, 0));
  if (lanes > 1) store<f32>(at + laneBytes, f32x4.extract_lane(value, 1));
  if (lanes > 2) store<f32>(at + 2 * laneBytes, f32x4.extract_lane(value, 2));
  if (lanes > 3) store<f32>(at + 3 * laneBytes, f32x4.extract_lane(value, 3));
}
