#!/usr/bin/env node
/**
 * node stryker/hand-mutants.mjs
 *
 * The wrong changes issue 20 named — the ones that passed every test before — made by hand, each in a scratch
 * copy of the project, with the test file that must now catch it. Prints one line a mutant and exits 1 if any is
 * missed. StrykerJS makes most of them too, but not all (it does not delete a single statement such as the
 * shuffle), so this list keeps them checked by name.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** [what, file, the text replaced, its replacement, the test file that must fail]. */
const MUTANTS = [
  ['training: the shuffle deleted', 'src/train/trainer.ts', '  random.shuffle(order);\n  return order;', '  return order;', 'test/training-loop.test.ts'],
  ['training: batch losses summed without the batch size', 'src/train/trainer.ts', 'state.lossSum += loss * batch.size;', 'state.lossSum += loss;', 'test/training-loop.test.ts'],
  ['training: every image of a batch counted correct', 'src/train/trainer.ts', 'state.correct += correct;', 'state.correct += batch.size;', 'test/training-loop.test.ts'],
  ['training: an infinite loss not stopping the run', 'src/train/trainer.ts', 'if (!Number.isFinite(loss)) {', 'if (Number.isNaN(loss)) {', 'test/training-loop.test.ts'],
  ['faithfulness: a classifier that never runs the network', 'src/faithfulness/deletion-insertion.ts', '      const logits = network.forward(input, size);\n      for (let b = 0; b < size; b++) softmaxRow(', '      const logits = new Float32Array(size * classes);\n      if (size < 0) softmaxRow(', 'test/faithfulness-curves.test.ts'],
  ["Score-CAM: the default target replaced by class 0", 'src/explain/methods/score-cam.ts', 'targetClass ?? argmaxRow(logits, b, classes)', 'targetClass ?? 0', 'test/score-cam.test.ts'],
  ['safetensors: a wrong F16 fraction', 'src/files/safetensors.ts', 'return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);', 'return sign * 2 ** (exponent - 15) * (1 + fraction / 1000);', 'test/safetensors.test.ts'],
  ['safetensors: a wrong F16 element offset', 'src/files/safetensors.ts', 'halfToFloat(view.getUint16(at + 2 * k, true))', 'halfToFloat(view.getUint16(at + k, true))', 'test/safetensors.test.ts'],
  ['safetensors: F16 subnormals read as normals', 'src/files/safetensors.ts', 'if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);', '', 'test/safetensors.test.ts'],
  ['safetensors: a wrong BF16 element offset', 'src/files/safetensors.ts', 'bfloat16ToFloat(view.getUint16(at + 2 * k, true))', 'bfloat16ToFloat(view.getUint16(at + 2 * k + 2, true))', 'test/safetensors.test.ts'],
  ['metrics: F1 = 0 whenever precision equals recall', 'src/eval/metrics.ts', 'const f1 = precision + recall === 0 ?', 'const f1 = precision === recall ?', 'test/metrics.test.ts'],
];

const scratch = mkdtempSync(join(tmpdir(), 'xcnn-hand-mutants-'));
for (const entry of ['src', 'test', 'build', 'data', 'package.json', 'vitest.config.ts']) cpSync(join(root, entry), join(scratch, entry), { recursive: true });
symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));

const vitest = (testFile) => spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', testFile], { cwd: scratch, encoding: 'utf8' });

// A failure means something only if the unchanged code passes.
for (const testFile of new Set(MUTANTS.map((m) => m[4]))) {
  const run = vitest(testFile);
  if (run.status !== 0) throw new Error(`${testFile} fails on the unchanged code:\n${run.stdout.slice(-2000)}`);
}

let missed = 0;
for (const [what, file, from, to, testFile] of MUTANTS) {
  const path = join(scratch, file);
  const original = readFileSync(path, 'utf8');
  if (!original.includes(from)) throw new Error(`${file} no longer contains ${JSON.stringify(from)}: update this list`);
  writeFileSync(path, original.replace(from, to));
  const run = vitest(testFile);
  writeFileSync(path, original);
  const caught = run.status !== 0;
  if (!caught) missed++;
  console.log(`${caught ? 'caught' : 'MISSED'}  ${what}  (${testFile})`);
}
rmSync(scratch, { recursive: true, force: true });
console.log(`${MUTANTS.length - missed} of ${MUTANTS.length} caught`);
process.exit(missed === 0 ? 0 : 1);
