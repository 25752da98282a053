/**
 * One Adam step over a flat parameter arena (Kingma & Ba 2015, Algorithm 1; the formula of
 * src/backend/reference/adam.ts), eight parameters a step (two v128s), then four, then a scalar tail:
 *
 *   m ← β1·m + (1−β1)·g
 *   v ← β2·v + (1−β2)·g²
 *   θ ← θ − lr · ((m / mCorrection) / (√(v / vCorrection) + ε))
 *
 * The caller computes the scalars in float64 and passes them rounded once: mCorrection = 1−β1ᵗ and
 * vCorrection = 1−β2ᵗ (bias correction DIVIDES by them), and 1−β1, 1−β2 too — formed here from the
 * float32 β2 = 0.999, 1−β2 would be off by 1.3e-5 relative, a thousand times float32's precision.
 * Memory layout: params, grads, m, v are four float32 arrays of the same length.
 *
 * No subnormal float32 is made or read on the way. Every multiply or divide that reads or writes a subnormal
 * takes a microcode assist on x86, and WebAssembly cannot set the CPU's flush-to-zero mode; the moments of a
 * parameter whose gradient has stopped (a dead ReLU unit's weights: m shrinks by β1 every step) reach that range
 * after some 700 steps, and the paper recipe's Adam then ran 6.6× slower, the whole step 1.2× (docs/speed-history.md).
 * So a moment whose magnitude falls below the smallest normal float32 (2⁻¹²⁶ ≈ 1.2e-38) is stored as +0; a gradient
 * under 2⁻⁶³, whose square would be subnormal, adds 0 to v; and the step divides m̂ by √v̂ + ε before multiplying by
 * lr (PyTorch's order), so a tiny m̂ is not first made smaller. None of it changes a parameter: such a moment moves θ by
 * lr·m̂/(√v̂ + ε) < 1e-33, and v's lost terms are under 1.2e-38, whose root is far below ε = 1e-8's float32 ulp.
 */

export function adamUpdate(
  params: usize,
  grads: usize,
  m: usize,
  v: usize,
  length: i32,
  learningRate: f32,
  beta1: f32,
  beta2: f32,
  oneMinusBeta1: f32,
  oneMinusBeta2: f32,
  epsilon: f32,
  mCorrection: f32,
  vCorrection: f32,
): void {
  const b1 = f32x4.splat(beta1);
  const b2 = f32x4.splat(beta2);
  const oneMinusB1 = f32x4.splat(oneMinusBeta1);
  const oneMinusB2 = f32x4.splat(oneMinusBeta2);
  const lr = f32x4.splat(learningRate);
  const eps = f32x4.splat(epsilon);
  const mC = f32x4.splat(mCorrection);
  const vC = f32x4.splat(vCorrection);
  let k = 0;
  // Eight parameters a step, as two fours: their chains of dependent operations interleave (1.17 → 0.98 ns a
  // parameter, docs/speed-history.md); each four the same operations as alone.
  for (; k + 8 <= length; k += 8) {
    const at = <usize>k << 2;
    updateFour(params + at, grads + at, m + at, v + at, b1, b2, oneMinusB1, oneMinusB2, lr, eps, mC, vC);
    updateFour(params + at + 16, grads + at + 16, m + at + 16, v + at + 16, b1, b2, oneMinusB1, oneMinusB2, lr, eps, mC, vC);
  }
  for (; k + 4 <= length; k += 4) {
    const at = <usize>k << 2;
    updateFour(params + at, grads + at, m + at, v + at, b1, b2, oneMinusB1, oneMinusB2, lr, eps, mC, vC);
  }
  for (; k < length; k++) {
    const at = <usize>k << 2;
    const g = load<f32>(grads + at);
    const mk = flushSubnormal(beta1 * load<f32>(m + at) + oneMinusBeta1 * g);
    const vk = flushSubnormal(beta2 * load<f32>(v + at) + oneMinusBeta2 * (Mathf.abs(g) >= SMALLEST_SQUARED ? g * g : 0));
    store<f32>(m + at, mk);
    store<f32>(v + at, vk);
    store<f32>(params + at, load<f32>(params + at) - learningRate * (mk / mCorrection / (Mathf.sqrt(vk / vCorrection) + epsilon)));
  }
}

// One Adam step of the four parameters at params (their gradients, m and v at the other three addresses), the scalars
// splatted: m and v updated and stored, then θ.
// @ts-ignore: decorator
@inline
function updateFour(params: usize, grads: usize, m: usize, v: usize, b1: v128, b2: v128, oneMinusB1: v128, oneMinusB2: v128, lr: v128, eps: v128, mC: v128, vC: v128): void {
  const g = v128.load(grads);
  const mk = flushSubnormals(f32x4.add(f32x4.mul(b1, v128.load(m)), f32x4.mul(oneMinusB1, g)));
  const gg = squareUnlessSubnormal(g);
  const vk = flushSubnormals(f32x4.add(f32x4.mul(b2, v128.load(v)), f32x4.mul(oneMinusB2, gg)));
  v128.store(m, mk);
  v128.store(v, vk);
  const step = f32x4.mul(lr, f32x4.div(f32x4.div(mk, mC), f32x4.add(f32x4.sqrt(f32x4.div(vk, vC)), eps)));
  v128.store(params, f32x4.sub(v128.load(params), step));
}

// The smallest normal float32, 2⁻¹²⁶: below it a moment is subnormal.
const SMALLEST_NORMAL: f32 = 1.17549435e-38;
// 2⁻⁶³: a gradient smaller than this has a subnormal square (or 0).
const SMALLEST_SQUARED: f32 = 1.08420217e-19;

// g², with the lanes whose square would be subnormal (|g| < 2⁻⁶³) squared as 0 — the multiply never makes a subnormal.
// @ts-ignore: decorator
@inline
function squareUnlessSubnormal(g: v128): v128 {
  const kept = v128.and(g, f32x4.ge(f32x4.abs(g), f32x4.splat(SMALLEST_SQUARED)));
  return f32x4.mul(kept, kept);
}

// x, with each lane whose magnitude is below the smallest normal float32 set to +0.
// @ts-ignore: decorator
@inline
function flushSubnormals(x: v128): v128 {
  return v128.and(x, f32x4.ge(f32x4.abs(x), f32x4.splat(SMALLEST_NORMAL)));
}

// @ts-ignore: decorator
@inline
function flushSubnormal(x: f32): f32 {
  return Mathf.abs(x) >= SMALLEST_NORMAL ? x : 0;
}
