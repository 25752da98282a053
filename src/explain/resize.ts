/**
 * Resizing single-channel images (row-major [H, W] arrays of numbers).
 *
 * `resizeBilinear` uses half-pixel centres, the convention of OpenCV's `cv2.resize(INTER_LINEAR)` and
 * PyTorch's `F.interpolate(mode='bilinear', align_corners=False)`: output pixel d along an axis of
 * `in` → `out` pixels samples the input at
 *
 *   s = (d + 0.5) · in/out − 0.5,   clamped to [0, in − 1],
 *
 * between its neighbours ⌊s⌋ and min(⌊s⌋ + 1, in − 1) with weight s − ⌊s⌋ on the second. Grad-CAM's
 * maps (11 × 11 on MNIST) are brought to the input's size (28 × 28) this way so they agree with the usual Python implementations.
 *
 * `resizeArea` averages the input over the footprint of each output pixel (OpenCV's INTER_AREA), the
 * right filter to shrink a photographed digit without aliasing.
 */

/** One axis of a bilinear resize: for each output index, its two source indices and the second's weight. */
export interface LinearTaps {
  lower: Int32Array; // [out]
  upper: Int32Array; // [out]
  weight: Float64Array; // [out], the weight of `upper`; `lower` gets 1 − weight
}

/** The half-pixel sampling positions of an axis resized from `inSize` to `outSize` pixels. */
export function halfPixelTaps(inSize: number, outSize: number): LinearTaps {
  const taps = { lower: new Int32Array(outSize), upper: new Int32Array(outSize), weight: new Float64Array(outSize) };
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    const s = Math.min(Math.max((d + 0.5) * scale - 0.5, 0), inSize - 1);
    const lower = Math.floor(s);
    taps.lower[d] = lower;
    taps.upper[d] = Math.min(lower + 1, inSize - 1);
    taps.weight[d] = s - lower;
  }
  return taps;
}

/** input [inH, inW] → output [outH, outW], bilinear with half-pixel centres. */
export function resizeBilinear(input: ArrayLike<number>, inH: number, inW: number, outH: number, outW: number): Float32Array {
  return resizeBilinearInto(input, inH, inW, outH, outW, new Float32Array(outH * outW));
}

/**
 * resizeBilinear into `output` (its first outH · outW values; a row of a larger array, say): for the loops
 * that resize a map an image, where allocating the output and the taps each time cost more than the
 * interpolation itself (a 10 × 10 map to 28 × 28: about 45 µs against under 10 here).
 */
export function resizeBilinearInto(input: ArrayLike<number>, inH: number, inW: number, outH: number, outW: number, output: Float32Array): Float32Array {
  return interpolate(input, inW, cachedTaps(inH, outH), cachedTaps(inW, outW), output);
}

// The taps of the few axis sizes a run meets (a map's side to the input's, both ways), made once each.
const tapsBySize = new Map<number, LinearTaps>();
export const TAPS_KEPT = 64;

/**
 * halfPixelTaps(inSize, outSize), kept for the next call with the same sizes: up to TAPS_KEPT pairs, all
 * dropped when one more comes; a size of 65,536 or more is past the key's room, and its taps are made afresh
 * each time. Exported for its tests; callers take the taps as read-only.
 */
export function cachedTaps(inSize: number, outSize: number): LinearTaps {
  if (inSize >= 65_536 || outSize >= 65_536) return halfPixelTaps(inSize, outSize); // beyond the key's room: not kept
  const key = inSize * 65_536 + outSize;
  let taps = tapsBySize.get(key);
  if (taps === undefined) {
    if (tapsBySize.size >= TAPS_KEPT) tapsBySize.clear();
    taps = halfPixelTaps(inSize, outSize);
    tapsBySize.set(key, taps);
  }
  return taps;
}

/**
 * input [inH, inW] → output [rows, cols] (the taps' lengths), bilinear between the source indices each axis's
 * taps name: the interpolation every bilinear resize here shares, whatever its sampling positions.
 */
export function resizeWithTaps(input: ArrayLike<number>, inW: number, rows: LinearTaps, cols: LinearTaps): Float32Array {
  return interpolate(input, inW, rows, cols, new Float32Array(rows.lower.length * cols.lower.length));
}

function interpolate(input: ArrayLike<number>, inW: number, rows: LinearTaps, cols: LinearTaps, output: Float32Array): Float32Array {
  const outH = rows.lower.length;
  const outW = cols.lower.length;
  for (let y = 0; y < outH; y++) {
    const top = rows.lower[y] * inW;
    const bottom = rows.upper[y] * inW;
    const wy = rows.weight[y];
    for (let x = 0; x < outW; x++) {
      const left = cols.lower[x];
      const right = cols.upper[x];
      const wx = cols.weight[x];
      const upperRow = input[top + left] * (1 - wx) + input[top + right] * wx;
      const lowerRow = input[bottom + left] * (1 - wx) + input[bottom + right] * wx;
      output[y * outW + x] = upperRow * (1 - wy) + lowerRow * wy;
    }
  }
  return output;
}

/**
 * One axis of an area resize as a sparse matrix: output pixel d covers the input interval
 * [d·in/out, (d+1)·in/out) and takes each input pixel with the fraction of it that lies inside,
 * divided by in/out so the weights of a row sum to 1.
 */
function areaWeights(inSize: number, outSize: number): Array<Array<[index: number, weight: number]>> {
  const scale = inSize / outSize;
  return Array.from({ length: outSize }, (_, d) => {
    const start = d * scale;
    const end = (d + 1) * scale;
    const taps: Array<[number, number]> = [];
    for (let k = Math.floor(start); k < Math.min(Math.ceil(end), inSize); k++) {
      const overlap = Math.min(end, k + 1) - Math.max(start, k);
      if (overlap > 0) taps.push([k, overlap / scale]);
    }
    return taps;
  });
}

/** input [inH, inW] → output [outH, outW], each output pixel the mean of the input under it. */
export function resizeArea(input: ArrayLike<number>, inH: number, inW: number, outH: number, outW: number): Float32Array {
  const rows = areaWeights(inH, outH);
  const cols = areaWeights(inW, outW);
  // Separable: first along x ([inH, outW]), then along y.
  const across = new Float64Array(inH * outW);
  for (let y = 0; y < inH; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (const [k, w] of cols[x]) sum += input[y * inW + k] * w;
      across[y * outW + x] = sum;
    }
  }
  const output = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    for (let x = 0; x < outW; x++) {
      let sum = 0;
      for (const [k, w] of rows[y]) sum += across[k * outW + x] * w;
      output[y * outW + x] = sum;
    }
  }
  return output;
}
