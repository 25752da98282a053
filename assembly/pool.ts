/**
 * 2×2, stride-2 max pooling (floor mode: an odd last row or column is dropped, as PyTorch's default).
 *
 * Memory layout: input [P, H, W] where P = N·C planes, output and argmax [P, ⌊H/2⌋, ⌊W/2⌋];
 * argmax holds the flat index into the whole input tensor of each window's maximum.
 *
 * Forward, four output columns per step: two v128 loads take eight consecutive floats of input row 2i,
 * shuffles split them into the even columns (each window's top-left, a) and odd columns (top-right, b);
 * likewise row 2i+1 gives c and d. The maximum is then chosen in the order a, b, c, d with a strict
 * f32x4.gt and bitselect — exactly the reference's sequential `if (x > best)`, so the first maximum wins
 * ties and a NaN never displaces an earlier value. A scalar loop finishes a row's last 0–3 windows.
 *
 * addBiasReluMaxPool is conv1's epilogue: addBiasRelu and this forward pass over one image's GEMM output in
 * one pass, each window rectified in registers and pooled from them, instead of a second pass over the
 * whole batch's output from memory.
 *
 * Backward scatters each output gradient to the input element its argmax names. The argmax array is
 * caller data, so every index is checked against the input's length before it is written through.
 */

import { addBiasToRun } from './elementwise';

export function maxPool2dForward(input: usize, planes: i32, height: i32, width: i32, output: usize, argmax: usize): void {
  const outH = height >> 1;
  const outW = width >> 1;
  let out = output;
  let arg = argmax;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < outH; i++) {
      const top = plane * height * width + 2 * i * width; // flat index of the row pair's first element
      poolRowPair(input + (<usize>top << 2), top, width, outW, out, arg, false, 0);
      out += <usize>outW << 2;
      arg += <usize>outW << 2;
    }
  }
}

/**
 * conv1's epilogue: bias, ReLU and the 2×2 max pool over one image's convolution output, in one pass.
 * output [F, H, W] (the GEMM's C) becomes max(output + bias[f], 0) in place — addBiasRelu's arithmetic,
 * element by element — and pooled and argmax [F, ⌊H/2⌋, ⌊W/2⌋] are maxPool2dForward's of the rectified
 * values, pooled from the registers they were rectified in. argmax holds flat indices into the batch's
 * output tensor: `firstIndex` is this image's first (n·F·H·W). So the results are bit-for-bit addBiasRelu
 * then maxPool2dForward.
 */
export function addBiasReluMaxPool(
  output: usize,
  channels: i32,
  height: i32,
  width: i32,
  bias: usize,
  pooled: usize,
  argmax: usize,
  firstIndex: i32,
): void {
  const outH = height >> 1;
  const outW = width >> 1;
  let out = pooled;
  let arg = argmax;
  for (let f = 0; f < channels; f++) {
    const b = load<f32>(bias + (<usize>f << 2));
    const plane = f * height * width;
    for (let i = 0; i < outH; i++) {
      const top = plane + 2 * i * width;
      const row0 = output + (<usize>top << 2);
      poolRowPair(row0, firstIndex + top, width, outW, out, arg, true, b);
      if (width & 1) {
        // The last column, in no window.
        addBiasToRun(row0 + (<usize>(width - 1) << 2), 1, b, true);
        addBiasToRun(row0 + (<usize>(2 * width - 1) << 2), 1, b, true);
      }
      out += <usize>outW << 2;
      arg += <usize>outW << 2;
    }
    if (height & 1) addBiasToRun(output + (<usize>(plane + (height - 1) * width) << 2), width, b, true);
  }
}

// max(x + b, 0) by the mask, as addBiasToRun computes it (elementwise.ts).
// @ts-ignore: decorator
@inline
function rectified(x: v128, b: v128): v128 {
  const y = f32x4.add(x, b);
  return v128.and(y, f32x4.gt(y, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline
function rectifiedScalar(x: f32, b: f32): f32 {
  const y = x + b;
  return y > 0 ? y : 0;
}

// One output row of the pool: the windows of input rows row0 and row0 + width (`topIndex` is row0's flat
// index, recorded in argmax), four output columns per step (see the top of this file), a scalar tail.
// With `rectify` (a literal), each window's four values first become max(x + b, 0), stored back in place.
// @ts-ignore: decorator
@inline
function poolRowPair(row0: usize, topIndex: i32, width: i32, outW: i32, out: usize, arg: usize, rectify: bool, bias: f32): void {
  const row1 = row0 + (<usize>width << 2);
  const b4 = f32x4.splat(bias);
  let j = 0;
  for (; j + 4 <= outW; j += 4) {
    const at0 = row0 + (<usize>(2 * j) << 2);
    const at1 = row1 + (<usize>(2 * j) << 2);
    let lo0 = v128.load(at0);
    let hi0 = v128.load(at0, 16);
    let lo1 = v128.load(at1);
    let hi1 = v128.load(at1, 16);
    if (rectify) {
      lo0 = rectified(lo0, b4);
      hi0 = rectified(hi0, b4);
      lo1 = rectified(lo1, b4);
      hi1 = rectified(hi1, b4);
      v128.store(at0, lo0);
      v128.store(at0, hi0, 16);
      v128.store(at1, lo1);
      v128.store(at1, hi1, 16);
    }
    const a = v128.shuffle<f32>(lo0, hi0, 0, 2, 4, 6);
    const b = v128.shuffle<f32>(lo0, hi0, 1, 3, 5, 7);
    const c = v128.shuffle<f32>(lo1, hi1, 0, 2, 4, 6);
    const d = v128.shuffle<f32>(lo1, hi1, 1, 3, 5, 7);
    const indexA = i32x4.add(i32x4.splat(topIndex + 2 * j), i32x4(0, 2, 4, 6));
    if (rectify) {
      // Rectified values are +0 or greater, never NaN or −0: the plain maximum (pmax, one instruction) is
      // exact, and the first of a, b, c, d equal to it is the window's first maximum, as the chain below finds.
      const best = f32x4.pmax(f32x4.pmax(a, b), f32x4.pmax(c, d));
      let where = i32x4.add(indexA, i32x4.splat(width + 1));
      where = v128.bitselect(i32x4.add(indexA, i32x4.splat(width)), where, f32x4.eq(c, best));
      where = v128.bitselect(i32x4.add(indexA, i32x4.splat(1)), where, f32x4.eq(b, best));
      where = v128.bitselect(indexA, where, f32x4.eq(a, best));
      v128.store(out + (<usize>j << 2), best);
      v128.store(arg + (<usize>j << 2), where);
      continue;
    }
    let best = a;
    let where = indexA;
    let wins = f32x4.gt(b, best);
    best = v128.bitselect(b, best, wins);
    where = v128.bitselect(i32x4.add(indexA, i32x4.splat(1)), where, wins);
    wins = f32x4.gt(c, best);
    best = v128.bitselect(c, best, wins);
    where = v128.bitselect(i32x4.add(indexA, i32x4.splat(width)), where, wins);
    wins = f32x4.gt(d, best);
    best = v128.bitselect(d, best, wins);
    where = v128.bitselect(i32x4.add(indexA, i32x4.splat(width + 1)), where, wins);
    v128.store(out + (<usize>j << 2), best);
    v128.store(arg + (<usize>j << 2), where);
  }
  for (; j < outW; j++) {
    const at0 = row0 + (<usize>(2 * j) << 2);
    const at1 = row1 + (<usize>(2 * j) << 2);
    let a = load<f32>(at0);
    let b = load<f32>(at0, 4);
    let c = load<f32>(at1);
    let d = load<f32>(at1, 4);
    if (rectify) {
      a = rectifiedScalar(a, bias);
      b = rectifiedScalar(b, bias);
      c = rectifiedScalar(c, bias);
      d = rectifiedScalar(d, bias);
      store<f32>(at0, a);
      store<f32>(at0, b, 4);
      store<f32>(at1, c);
      store<f32>(at1, d, 4);
    }
    let where = topIndex + 2 * j;
    let best = a;
    if (b > best) {
      best = b;
      where = topIndex + 2 * j + 1;
    }
    if (c > best) {
      best = c;
      where = topIndex + 2 * j + width;
    }
    if (d > best) {
      best = d;
      where = topIndex + 2 * j + width + 1;
    }
    store<f32>(out + (<usize>j << 2), best);
    store<i32>(arg + (<usize>j << 2), where);
  }
}

/** Returns −1, or the position of the first argmax entry outside [0, inLength) (nothing written past it). */
export function maxPool2dBackward(dOutput: usize, argmax: usize, outLength: i32, dInput: usize, inLength: i32): i32 {
  memory.fill(dInput, 0, <usize>inLength << 2);
  for (let j = 0; j < outLength; j++) {
    const k = load<i32>(argmax + (<usize>j << 2));
    if (<u32>k >= <u32>inLength) return j;
    const at = dInput + (<usize>k << 2);
    store<f32>(at, load<f32>(at) + load<f32>(dOutput + (<usize>j << 2)));
  }
  return -1;
}
