/**
 * The vitest configuration of mutation runs: the project's, restricted to the group's test files
 * (XCNN_MUTATE_TESTS, comma-separated, set by stryker.config.mjs), plus a reporter that turns a test file that
 * cannot load into a failed test, so the mutant that broke it is killed, not a survivor.
 *
 * The files are chosen here rather than with StrykerJS's own `testFiles` option: with that option StrykerJS
 * 9.6 activates even a static mutant (one in code that runs at import) only after the test file has loaded,
 * so such a mutant is never switched on and survives.
 */
import { defineConfig } from 'vitest/config';
import base from '../vitest.config.js';
import { LoadFailureReporter } from './load-failure-reporter.js';

const testFiles = (process.env.XCNN_MUTATE_TESTS ?? '').split(',').filter((file) => file !== '');
if (testFiles.length === 0) throw new Error('stryker/vitest.config.ts: XCNN_MUTATE_TESTS names no test file; run npm run mutate -- GROUP');

// XCNN_MUTATE_WITHOUT_LOAD_REPORTER=1 leaves the reporter out, to see what it changes (docs/mutation.md).
const reporters = process.env.XCNN_MUTATE_WITHOUT_LOAD_REPORTER === '1' ? ['default'] : ['default', new LoadFailureReporter()];

// Spread, not mergeConfig: mergeConfig would append these files to the project's include glob (the whole suite).
export default defineConfig({ ...base, test: { ...base.test, include: testFiles, reporters } });
