/**
 * Softmax cross-entropy over a batch of logit rows, fused (see src/backend/reference/softmax-cross-entropy.ts
 * for the formulas). Memory layout: logits, probs, dLogits [N, classes] f32; labels [N] i32.
 *
 * With 10 classes this is a few hundred operations per batch, so it runs in scalar float64 (AssemblyScript's
 * Math.exp / Math.log) exactly as the reference does: shift by the row maximum, p = e^(z−max) / Σ e^(z−max),
 * loss_n = log Σ e^(z−max) − (z_label − max). The gradient (p − onehot)/N is formed from the stored
 * float32 probabilities, as in the reference. Returns the mean loss. Labels are checked by the caller.
 */

export function softmaxCrossEntropy(
  logits: usize,
  labels: usize,
  batch: i32,
  classes: i32,
  probs: usize,
  dLogits: usize,
  writeGradient: i32,
): f64 {
  let lossSum: f64 = 0;
  for (let n = 0; n < batch; n++) {
    const z = logits + ((<usize>n * classes) << 2);
    const p = probs + ((<usize>n * classes) << 2);
    let max = -Infinity;
    for (let k = 0; k < classes; k++) max = Math.max(max, <f64>load<f32>(z + (<usize>k << 2)));
    let expSum: f64 = 0;
    for (let k = 0; k < classes; k++) expSum += Math.exp(<f64>load<f32>(z + (<usize>k << 2)) - max);
    for (let k = 0; k < classes; k++) {
      store<f32>(p + (<usize>k << 2), <f32>(Math.exp(<f64>load<f32>(z + (<usize>k << 2)) - max) / expSum));
    }
    const label = load<i32>(labels + (<usize>n << 2));
    lossSum += Math.log(expSum) - (<f64>load<f32>(z + (<usize>label << 2)) - max);
    if (writeGradient) {
      const g = dLogits + ((<usize>n * classes) << 2);
      for (let k = 0; k < classes; k++) {
        const target: f64 = k == label ? 1 : 0;
        store<f32>(g + (<usize>k << 2), <f32>((<f64>load<f32>(p + (<usize>k << 2)) - target) / batch));
      }
    }
  }
  return lossSum / batch;
}
