// @ts-check
/**
 * StrykerJS configuration for `npm run mutate -- GROUP` (scripts/mutate.mjs sets XCNN_MUTATE_GROUP).
 * Each group mutates a few modules and runs only the test files that cover them, on one core: see
 * docs/mutation.md for why, for the scores and for the surviving mutants that are equivalent.
 */
import { MUTATION_GROUPS } from './stryker/groups.mjs';

const name = process.env.XCNN_MUTATE_GROUP ?? '';
const group = MUTATION_GROUPS[name];
if (group === undefined) {
  throw new Error(`stryker.config.mjs: no mutation group '${name}'; run npm run mutate -- GROUP with one of ${Object.keys(MUTATION_GROUPS).join(', ')}`);
}

// The vitest config reads the group's test files from here (and so do StrykerJS's worker processes).
process.env.XCNN_MUTATE_TESTS = group.tests.join(',');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'stryker/vitest.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: group.mutate,
  coverageAnalysis: 'perTest',
  // Only TypeScript of the project's own (assembly/ is AssemblyScript, whose decorators Babel cannot parse).
  disableTypeChecks: '{src,test,stryker}/**/*.{ts,mts}',
  // Two cores shared by many: one test runner, and patience with a busy machine.
  concurrency: 1,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  dryRunTimeoutMinutes: 10,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `runs/mutation/${name}.html` },
  jsonReporter: { fileName: `runs/mutation/${name}.json` },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  // Off by default: StrykerJS 9.6 reuses an earlier "survived" for a static mutant (one in code run at import,
  // covered by no test in particular) even when a new test kills it. `--incremental` turns it on for quick
  // re-runs while working; a score for docs/mutation.md comes from a full run.
  incremental: false,
  incrementalFile: `runs/mutation/${name}.incremental.json`,
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['runs'],
  cleanTempDir: true,
  thresholds: { high: 90, low: 80, break: null },
};
