/**
 * One Adam step over a flat parameter arena (Kingma & Ba 2015, Algorithm 1; the formula of
 * src/backend/reference/adam.ts), four parameters per v128 step and a scalar tail:
 *
 *   m ← β1·m + (1−β1)·g
 *   v ← β2·v + (1−β2)·g²
 *   θ ← θ − lr · (m / mCorrection) / (√(v / vCorrection) + ε)
 *
 * The caller computes the scalars in float64 and passes them rounded once: mCorrection = 1−β1ᵗ and
 * vCorrection = 1−β2ᵗ (bias correction DIVIDES by them), and 1−β1, 1−β2 too — formed here from the
 * float32 β2 = 0.999, 1−β2 would be off by 1.3e-5 relative, a thousand times float32's precision.
 * Memory layout: params, grads, m, v are four float32 arrays of the same length.
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
  for (; k + 4 <= length; k += 4) {
    const at = <usize>k << 2;
    const g = v128.load(grads + at);
    const mk = f32x4.add(f32x4.mul(b1, v128.load(m + at)), f32x4.mul(oneMinusB1, g));
    const vk = f32x4.add(f32x4.mul(b2, v128.load(v + at)), f32x4.mul(oneMinusB2, f32x4.mul(g, g)));
    v128.store(m + at, mk);
    v128.store(v + at, vk);
    const step = f32x4.div(f32x4.mul(lr, f32x4.div(mk, mC)), f32x4.add(f32x4.sqrt(f32x4.div(vk, vC)), eps));
    v128.store(params + at, f32x4.sub(v128.load(params + at), step));
  }
  for (; k < length; k++) {
    const at = <usize>k << 2;
    const g = load<f32>(grads + at);
    const mk = beta1 * load<f32>(m + at) + oneMinusBeta1 * g;
    const vk = beta2 * load<f32>(v + at) + oneMinusBeta2 * g * g;
    store<f32>(m + at, mk);
    store<f32>(v + at, vk);
    store<f32>(params + at, load<f32>(params + at) - (learningRate * (mk / mCorrection)) / (Mathf.sqrt(vk / vCorrection) + epsilon));
  }
}
