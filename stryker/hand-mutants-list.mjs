/**
 * The wrong changes issue 20 named — each passed every test once — as node stryker/hand-mutants.mjs makes them by
 * hand: [what, file, the text replaced, its replacement, the test file that must fail]. test/hand-mutants-list.test.ts
 * checks that each file still holds its text, so the list cannot go stale unnoticed.
 */
export const MUTANTS = [
  ['training: the shuffle deleted', 'src/train/trainer.ts', '  random.shuffle(order);\n  return order;', '  return order;', 'test/training-loop.test.ts'],
  ['training: batch losses summed without the batch size', 'src/train/trainer.ts', 'state.lossSum += loss * batch.size;', 'state.lossSum += loss;', 'test/training-loop.test.ts'],
  ['training: every image of a batch counted correct', 'src/train/trainer.ts', 'state.correct += correct;', 'state.correct += batch.size;', 'test/training-loop.test.ts'],
  ['training: an infinite loss not stopping the run', 'src/train/trainer.ts', 'if (!Number.isFinite(loss)) {', 'if (Number.isNaN(loss)) {', 'test/training-loop.test.ts'],
  ['faithfulness: a classifier that never runs the network', 'src/faithfulness/deletion-insertion.ts', '      const logits = passes === undefined ? network.logits(input, size) : passes.logits(input, size);\n      for (let b = 0; b < size; b++) softmaxRow(', '      const logits = new Float32Array(size * classes);\n      if (size < 0) softmaxRow(', 'test/faithfulness-curves.test.ts'],
  ["Score-CAM: the default target replaced by class 0", 'src/explain/methods/score-cam.ts', 'targetClass ?? argmaxRow(logits, b, classes)', 'targetClass ?? 0', 'test/score-cam.test.ts'],
  ['safetensors: a wrong F16 fraction', 'src/files/safetensors.ts', 'return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);', 'return sign * 2 ** (exponent - 15) * (1 + fraction / 1000);', 'test/safetensors.test.ts'],
  ['safetensors: a wrong F16 element offset', 'src/files/safetensors.ts', 'halfToFloat(view.getUint16(at + 2 * k, true))', 'halfToFloat(view.getUint16(at + k, true))', 'test/safetensors.test.ts'],
  ['safetensors: F16 subnormals read as normals', 'src/files/safetensors.ts', 'if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);', '', 'test/safetensors.test.ts'],
  ['safetensors: a wrong BF16 element offset', 'src/files/safetensors.ts', 'bfloat16ToFloat(view.getUint16(at + 2 * k, true))', 'bfloat16ToFloat(view.getUint16(at + 2 * k + 2, true))', 'test/safetensors.test.ts'],
  ['metrics: F1 = 0 whenever precision equals recall', 'src/eval/metrics.ts', 'const f1 = precision + recall === 0 ?', 'const f1 = precision === recall ?', 'test/metrics.test.ts'],
];
