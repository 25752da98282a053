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
import { MUTANTS } from './hand-mutants-list.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const scratch = mkdtempSync(join(tmpdir(), 'xcnn-hand-mutants-'));
for (const entry of ['src', 'test', 'build', 'data', 'package.json', 'vitest.config.ts']) cpSync(join(root, entry), join(scratch, entry), { recursive: true });
symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));

const vitest = (testFile) => spawnSync(process.execPath, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', testFile], { cwd: scratch, encoding: 'utf8' });

let missed = 0;
try {
  // A failure means something only if the unchanged code passes.
  for (const testFile of new Set(MUTANTS.map((m) => m[4]))) {
    const run = vitest(testFile);
    if (run.status !== 0) throw new Error(`${testFile} fails on the unchanged code:\n${run.stdout.slice(-2000)}`);
  }

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
} finally {
  // the scratch copy goes whatever happens, a stale list's error included
  rmSync(scratch, { recursive: true, force: true });
}
console.log(`${MUTANTS.length - missed} of ${MUTANTS.length} caught`);
process.exit(missed === 0 ? 0 : 1);
