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
 * Backward scatters each output gradient to the input element its argmax names. The argmax array is
 * caller data, so every index is checked against the input's length before it is written through.
 */

export function maxPool2dForward(input: usize, planes: i32, height: i32, width: i32, output: usize, argmax: usize): void {
  const outH = height >> 1;
  const outW = width >> 1;
  let out = output;
  let arg = argmax;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < outH; i++) {
      const top = plane * height * width + 2 * i * width; // flat index of the row pair's first element
      const row0 = input + (<usize>top << 2);
      const row1 = row0 + (<usize>width << 2);
      let j = 0;
      for (; j + 4 <= outW; j += 4) {
        const lo0 = v128.load(row0 + (<usize>(2 * j) << 2));
        const hi0 = v128.load(row0 + (<usize>(2 * j) << 2), 16);
        const lo1 = v128.load(row1 + (<usize>(2 * j) << 2));
        const hi1 = v128.load(row1 + (<usize>(2 * j) << 2), 16);
        const a = v128.shuffle<f32>(lo0, hi0, 0, 2, 4, 6);
        const b = v128.shuffle<f32>(lo0, hi0, 1, 3, 5, 7);
        const c = v128.shuffle<f32>(lo1, hi1, 0, 2, 4, 6);
        const d = v128.shuffle<f32>(lo1, hi1, 1, 3, 5, 7);
        const indexA = i32x4.add(i32x4.splat(top + 2 * j), i32x4(0, 2, 4, 6));
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
        v128.store(out, best);
        v128.store(arg, where);
        out += 16;
        arg += 16;
      }
      for (; j < outW; j++) {
        const at = top + 2 * j;
        let where = at;
        let best = load<f32>(input + (<usize>at << 2));
        let value = load<f32>(input + (<usize>(at + 1) << 2));
        if (value > best) {
          best = value;
          where = at + 1;
        }
        value = load<f32>(input + (<usize>(at + width) << 2));
        if (value > best) {
          best = value;
          where = at + width;
        }
        value = load<f32>(input + (<usize>(at + width + 1) << 2));
        if (value > best) {
          best = value;
          where = at + width + 1;
        }
        store<f32>(out, best);
        store<i32>(arg, where);
        out += 4;
        arg += 4;
      }
    }
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
