/**
 * Copying and adding contiguous runs of floats, four per v128 step and a scalar tail; shared by
 * im2col/col2im and the bias kernels. Addresses need no alignment (wasm v128 loads are unaligned-safe).
 */

/** dst[0:n] = src[0:n] */
// @ts-ignore: decorator
@inline
export function copyRun(src: usize, dst: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), v128.load(src + (<usize>j << 2)));
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
}

/**
 * dst[0:n] = 0. For the few floats of an im2col row's border (n is 0–2 there, a row 7–28): inline
 * stores, where memory.fill would be a call into the engine for each run.
 */
// @ts-ignore: decorator
@inline
export function zeroRun(dst: usize, n: i32): void {
  const zero = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) v128.store(dst + (<usize>j << 2), zero);
  for (; j < n; j++) store<f32>(dst + (<usize>j << 2), 0);
}

/** dst[0:n] += src[0:n] */
// @ts-ignore: decorator
@inline
export function addRun(src: usize, dst: usize, n: i32): void {
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const at = dst + (<usize>j << 2);
    v128.store(at, f32x4.add(v128.load(at), v128.load(src + (<usize>j << 2))));
  }
  for (; j < n; j++) {
    const at = dst + (<usize>j << 2);
    store<f32>(at, load<f32>(at) + load<f32>(src + (<usize>j << 2)));
  }
}
