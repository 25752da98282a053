#!/usr/bin/env node
/**
 * npm run mutate -- GROUP [StrykerJS options…]
 *
 * Mutation testing of one group of modules (stryker/groups.mjs) with StrykerJS and the vitest runner, on one
 * core: each mutant is a small wrong change to a module, and the group's tests must fail on it. The report goes
 * to runs/mutation/GROUP.html (and .json). Extra options go to StrykerJS, e.g.
 * `npm run mutate -- train --mutate src/train/trainer.ts:90-130` (mutants on those lines only) or `--incremental`
 * (reuse the results of mutants and tests that did not change, from runs/mutation/GROUP.incremental.json).
 * docs/mutation.md has the scores and the surviving mutants that are equivalent.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTATION_GROUPS } from '../stryker/groups.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [group, ...strykerArguments] = process.argv.slice(2);
const names = Object.keys(MUTATION_GROUPS);

if (group === undefined || group === '--help' || group === '-h') {
  console.log(`usage: npm run mutate -- GROUP [StrykerJS options]\n\ngroups:\n${names.map((name) => `  ${name.padEnd(12)}${MUTATION_GROUPS[name].mutate.join(', ')}`).join('\n')}`);
  process.exit(group === undefined ? 2 : 0);
}
if (!(group in MUTATION_GROUPS)) {
  console.error(`error: no mutation group '${group}'; the groups are ${names.join(', ')}`);
  process.exit(2);
}

const stryker = join(dirname(createRequire(import.meta.url).resolve('@stryker-mutator/core/package.json')), 'bin', 'stryker.js');
const result = spawnSync(process.execPath, [stryker, 'run', 'stryker.config.mjs', ...strykerArguments], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, XCNN_MUTATE_GROUP: group },
});
process.exit(result.status ?? 1);
