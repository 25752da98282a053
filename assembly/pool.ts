/**
 * Max and average pooling over K×K windows with stride S, no padding, floor mode (rows and columns that
 * do not fill a window are dropped, as PyTorch's default): OH = ⌊(H − K)/S⌋ + 1.
 *
 * The paper's 2×2, stride-2 max pool has a SIMD kernel of its own (maxPool2dForward, below); any other
 * K and S goes through maxPool2dWindows (windows overlap when S < K): four windows a step for strides
 * 1 and 2, window by window otherwise.
 * Average pooling: 2×2/2 by shuffles as the max pool, any other window row by row (f32x4 sums of
 * K-float runs when K ≥ 4, e.g. global pooling's whole-plane window). Sums run in float32 — at most K²
 * terms, within test/parity.ts's summation bound of the reference's float64 sum.
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
 * Backward scatters each output gradient to the input element its argmax names (maxPool2dBackward2x2 four
 * windows at a time for the 2×2/2 pool). The argmax array is caller data, so every index is checked
 * against the input's length before it is written through.
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

/**
 * Max pooling with any K and S: output, argmax [P, OH, OW] ← input [P, H, W]. Each window is scanned in
 * row-major order with a strict `>`, as the reference: the first maximum wins ties, and a NaN never
 * displaces an earlier value. (maxPool2dBackward below serves every K and S: it adds, so overlapping
 * windows that share a maximum send it the sum of their gradients.)
 */
export function maxPool2dWindows(input: usize, planes: i32, height: i32, width: i32, kernelSize: i32, stride: i32, output: usize, argmax: usize): void {
  const outH = (height - kernelSize) / stride + 1;
  const outW = (width - kernelSize) / stride + 1;
  let out = output;
  let arg = argmax;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < outH; i++) {
      let j = 0;
      // Strides 1 and 2, four windows a step: window cell (a, b) of outputs j..j+3 is four consecutive
      // floats (S = 1) or the even lanes of eight (S = 2, while the eighth stays inside the row); the
      // same strict > in the same cell order as the scalar loop below, lane by lane.
      if (stride <= 2) {
        const lanes = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(stride));
        for (; j + 4 <= outW && (stride == 1 || 2 * j + 6 + kernelSize < width); j += 4) {
          const first = (plane * height + stride * i) * width + stride * j;
          let where = i32x4.add(i32x4.splat(first), lanes);
          let best = loadWindowCells(input, first, stride);
          for (let a = 0; a < kernelSize; a++) {
            const row = first + a * width;
            for (let b = 0; b < kernelSize; b++) {
              const value = loadWindowCells(input, row + b, stride);
              const wins = f32x4.gt(value, best);
              best = v128.bitselect(value, best, wins);
              where = v128.bitselect(i32x4.add(i32x4.splat(row + b), lanes), where, wins);
            }
          }
          v128.store(out, best);
          v128.store(arg, where);
          out += 16;
          arg += 16;
        }
      }
      for (; j < outW; j++) {
        const first = (plane * height + stride * i) * width + stride * j;
        let where = first;
        let best = load<f32>(input + (<usize>first << 2));
        for (let a = 0; a < kernelSize; a++) {
          const row = first + a * width;
          for (let b = 0; b < kernelSize; b++) {
            const value = load<f32>(input + (<usize>(row + b) << 2));
            if (value > best) {
              best = value;
              where = row + b;
            }
          }
        }
        store<f32>(out, best);
        store<i32>(arg, where);
        out += 4;
        arg += 4;
      }
    }
  }
}

/**
 * maxPool2dBackward for the 2×2, stride-2 pool, four windows a step: each lane's argmax, less its window's
 * top-left index, is 0, 1, W or W+1; those four masks pick dOutput into the window's four cells, and
 * shuffles interleave them into the two input rows (written whole, not zeroed first: the windows tile the
 * rows, and an odd last row or column is zeroed on its own). Added to
 * +0 as the scatter adds to the zeroed input, so a −0 gradient lands as +0, bit for bit the same. An
 * argmax outside its own window (never the forward's, but the argmax is caller data) sends the whole call
 * to the general scatter below, which handles any index, and returns its answer.
 */
export function maxPool2dBackward2x2(dOutput: usize, argmax: usize, planes: i32, height: i32, width: i32, dInput: usize, inLength: i32): i32 {
  const outH = height >> 1;
  const outW = width >> 1;
  const zero = f32x4.splat(0);
  const right = i32x4.splat(1);
  const below = i32x4.splat(width);
  const belowRight = i32x4.splat(width + 1);
  let dy = dOutput;
  let arg = argmax;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < outH; i++) {
      const top = plane * height * width + 2 * i * width; // flat index of the row pair's first element
      const row0 = dInput + (<usize>top << 2);
      const row1 = row0 + (<usize>width << 2);
      let j = 0;
      for (; j + 4 <= outW; j += 4) {
        const where = i32x4.sub(v128.load(arg), i32x4.add(i32x4.splat(top + 2 * j), i32x4(0, 2, 4, 6)));
        const isA = i32x4.eq(where, i32x4.splat(0));
        const isB = i32x4.eq(where, right);
        const isC = i32x4.eq(where, below);
        const isD = i32x4.eq(where, belowRight);
        if (!i32x4.all_true(v128.or(v128.or(isA, isB), v128.or(isC, isD)))) return maxPool2dBackward(dOutput, argmax, planes * outH * outW, dInput, inLength);
        const g = v128.load(dy);
        const a = f32x4.add(zero, v128.and(g, isA));
        const b = f32x4.add(zero, v128.and(g, isB));
        const c = f32x4.add(zero, v128.and(g, isC));
        const d = f32x4.add(zero, v128.and(g, isD));
        const at = <usize>(2 * j) << 2;
        v128.store(row0 + at, v128.shuffle<f32>(a, b, 0, 4, 1, 5));
        v128.store(row0 + at, v128.shuffle<f32>(a, b, 2, 6, 3, 7), 16);
        v128.store(row1 + at, v128.shuffle<f32>(c, d, 0, 4, 1, 5));
        v128.store(row1 + at, v128.shuffle<f32>(c, d, 2, 6, 3, 7), 16);
        dy += 16;
        arg += 16;
      }
      for (; j < outW; j++) {
        const corner = top + 2 * j;
        const k = load<i32>(arg);
        if (k != corner && k != corner + 1 && k != corner + width && k != corner + width + 1) {
          return maxPool2dBackward(dOutput, argmax, planes * outH * outW, dInput, inLength);
        }
        const at = <usize>(2 * j) << 2;
        store<f32>(row0 + at, 0);
        store<f32>(row0 + at, 0, 4);
        store<f32>(row1 + at, 0);
        store<f32>(row1 + at, 0, 4);
        store<f32>(dInput + (<usize>k << 2), <f32>0 + load<f32>(dy));
        dy += 4;
        arg += 4;
      }
      if (width & 1) {
        // The odd last column no window covers.
        store<f32>(row0 + (<usize>(width - 1) << 2), 0);
        store<f32>(row1 + (<usize>(width - 1) << 2), 0);
      }
    }
    // The odd last row no window covers.
    if (height & 1) memory.fill(dInput + ((<usize>(plane + 1) * height * width - width) << 2), 0, <usize>width << 2);
  }
  return -1;
}

// input[at + S·t] for t = 0..3, S = 1 or 2, as a v128.
// @ts-ignore: decorator
@inline
function loadWindowCells(input: usize, at: i32, stride: i32): v128 {
  const from = input + (<usize>at << 2);
  if (stride == 1) return v128.load(from);
  return v128.shuffle<f32>(v128.load(from), v128.load(from, 16), 0, 2, 4, 6);
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

/** output [P, OH, OW] ← the mean of each K×K window of input [P, H, W] (Σ in float32, then × 1/K²). */
export function avgPool2dForward(input: usize, planes: i32, height: i32, width: i32, kernelSize: i32, stride: i32, output: usize): void {
  const outH = (height - kernelSize) / stride + 1;
  const outW = (width - kernelSize) / stride + 1;
  const scale: f32 = <f32>(1.0 / <f64>(kernelSize * kernelSize));
  let out = output;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < outH; i++) {
      const top = (plane * height + stride * i) * width; // flat index of the window row's first element
      let j = 0;
      if (kernelSize == 2 && stride == 2) {
        // Four windows a step: even and odd columns of the two rows, by shuffles as in maxPool2dForward,
        // summed in the reference's order ((a + b) + c) + d.
        const row0 = input + (<usize>top << 2);
        const row1 = row0 + (<usize>width << 2);
        const quarter = f32x4.splat(scale);
        for (; j + 4 <= outW; j += 4) {
          const lo0 = v128.load(row0 + (<usize>(2 * j) << 2));
          const hi0 = v128.load(row0 + (<usize>(2 * j) << 2), 16);
          const lo1 = v128.load(row1 + (<usize>(2 * j) << 2));
          const hi1 = v128.load(row1 + (<usize>(2 * j) << 2), 16);
          let sum = f32x4.add(v128.shuffle<f32>(lo0, hi0, 0, 2, 4, 6), v128.shuffle<f32>(lo0, hi0, 1, 3, 5, 7));
          sum = f32x4.add(sum, v128.shuffle<f32>(lo1, hi1, 0, 2, 4, 6));
          sum = f32x4.add(sum, v128.shuffle<f32>(lo1, hi1, 1, 3, 5, 7));
          v128.store(out, f32x4.mul(sum, quarter));
          out += 16;
        }
      }
      for (; j < outW; j++) {
        let sum: f32 = 0;
        for (let a = 0; a < kernelSize; a++) sum += sumRun(input + (<usize>(top + a * width + stride * j) << 2), kernelSize);
        store<f32>(out, sum * scale);
        out += 4;
      }
    }
  }
}

/**
 * dInput [P, H, W] ← the adjoint of avgPool2dForward: zeroed, then each dOutput[i, j]/K² added onto its
 * window's K² elements (overlapping windows add up; rows and columns no window covers stay 0).
 */
export function avgPool2dBackward(dOutput: usize, planes: i32, height: i32, width: i32, kernelSize: i32, stride: i32, dInput: usize): void {
  const outH = (height - kernelSize) / stride + 1;
  const outW = (width - kernelSize) / stride + 1;
  const scale: f32 = <f32>(1.0 / <f64>(kernelSize * kernelSize));
  memory.fill(dInput, 0, (<usize>planes * height * width) << 2);
  let dy = dOutput;
  for (let plane = 0; plane < planes; plane++) {
    for (let i = 0; i < outH; i++) {
      const top = (plane * height + stride * i) * width;
      let j = 0;
      if (kernelSize == 2 && stride == 2) {
        // Windows do not overlap: each gradient is stored (onto zeros) at two columns of two rows.
        const row0 = dInput + (<usize>top << 2);
        const row1 = row0 + (<usize>width << 2);
        const quarter = f32x4.splat(scale);
        for (; j + 4 <= outW; j += 4) {
          const d = f32x4.mul(v128.load(dy), quarter);
          const lo = v128.shuffle<f32>(d, d, 0, 0, 1, 1);
          const hi = v128.shuffle<f32>(d, d, 2, 2, 3, 3);
          const at = <usize>(2 * j) << 2;
          v128.store(row0 + at, lo);
          v128.store(row0 + at, hi, 16);
          v128.store(row1 + at, lo);
          v128.store(row1 + at, hi, 16);
          dy += 16;
        }
      }
      for (; j < outW; j++) {
        const d = load<f32>(dy) * scale;
        for (let a = 0; a < kernelSize; a++) addToRun(dInput + (<usize>(top + a * width + stride * j) << 2), kernelSize, d);
        dy += 4;
      }
    }
  }
}

// Σ run[0:n], four lanes then a scalar tail.
// @ts-ignore: decorator
@inline
function sumRun(run: usize, n: i32): f32 {
  let k = 0;
  let sum: f32 = 0;
  if (n >= 4) {
    let lanes = f32x4.splat(0);
    for (; k + 4 <= n; k += 4) lanes = f32x4.add(lanes, v128.load(run + (<usize>k << 2)));
    sum = (f32x4.extract_lane(lanes, 0) + f32x4.extract_lane(lanes, 1)) + (f32x4.extract_lane(lanes, 2) + f32x4.extract_lane(lanes, 3));
  }
  for (; k < n; k++) sum += load<f32>(run + (<usize>k << 2));
  return sum;
}

// run[0:n] += value, four lanes then a scalar tail.
// @ts-ignore: decorator
@inline
function addToRun(run: usize, n: i32, value: f32): void {
  const splat = f32x4.splat(value);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    const at = run + (<usize>k << 2);
    v128.store(at, f32x4.add(v128.load(at), splat));
  }
  for (; k < n; k++) {
    const at = run + (<usize>k << 2);
    store<f32>(at, load<f32>(at) + value);
  }
}
