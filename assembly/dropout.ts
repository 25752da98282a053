/**
 * Dropout's mask, drawn in the kernel: the counter-based hash of src/model/dropout.ts (uniformAt), four
 * elements per v128 step. Element k of sample n is kept when its 24-bit draw h >>> 8 is below
 * ⌈(1 − p)·2²⁴⌉ — the same decision as uniformAt(…) < 1 − p, since h >>> 8 is an integer and the scaling
 * by 2²⁴ is exact — so the mask is the layer's own loop's, bit for bit, at any thread count.
 *
 *   h = mix(mix(mix(mix(mix(seed ^ 0x9e3779b9) ^ step) ^ layer) ^ sample) ^ element)
 *   mix(x): x ^= x >>> 16; x ·= 0x85ebca6b; x ^= x >>> 13; x ·= 0xc2b2ae35; x ^= x >>> 16   (32-bit wrap)
 *   mask [N, perSample] = scale where kept, else 0
 */

// @ts-ignore: decorator
@inline
function mix(x: u32): u32 {
  x = (x ^ (x >>> 16)) * 0x85ebca6b;
  x = (x ^ (x >>> 13)) * 0xc2b2ae35;
  return x ^ (x >>> 16);
}

// mix on four lanes (i32x4.mul keeps the low 32 bits of each product, as Math.imul).
// @ts-ignore: decorator
@inline
function mix4(x: v128): v128 {
  x = i32x4.mul(v128.xor(x, i32x4.shr_u(x, 16)), i32x4.splat(0x85ebca6b));
  x = i32x4.mul(v128.xor(x, i32x4.shr_u(x, 13)), i32x4.splat(0xc2b2ae35));
  return v128.xor(x, i32x4.shr_u(x, 16));
}

/** mask [batch, perSample] ← scale where element k of sample firstSample + n is kept (threshold = ⌈(1 − p)·2²⁴⌉), else 0. */
export function dropoutMask(seed: u32, step: u32, layer: u32, firstSample: u32, batch: i32, perSample: i32, threshold: u32, scale: f32, mask: usize): void {
  const layerHash = mix(mix(mix(seed ^ 0x9e3779b9) ^ step) ^ layer);
  const limit = i32x4.splat(threshold);
  const kept = f32x4.splat(scale);
  const step4 = i32x4.splat(4);
  let dst = mask;
  for (let n = 0; n < batch; n++) {
    const sampleHash = mix(layerHash ^ (firstSample + <u32>n));
    const sample4 = i32x4.splat(sampleHash);
    let element = i32x4(0, 1, 2, 3);
    let k = 0;
    for (; k + 4 <= perSample; k += 4) {
      const draw = i32x4.shr_u(mix4(v128.xor(sample4, element)), 8);
      v128.store(dst, v128.and(kept, i32x4.lt_s(draw, limit)));
      element = i32x4.add(element, step4);
      dst += 16;
    }
    for (; k < perSample; k++) {
      store<f32>(dst, (mix(sampleHash ^ <u32>k) >>> 8) < threshold ? scale : 0);
      dst += 4;
    }
  }
}
