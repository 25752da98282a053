/**
 * bench/step-profile.js refuses a bad argument in one line, with exit code 2, before it loads any data: a step
 * count that is no whole number ≥ 1, an --after that is no whole number ≥ 0, an architecture spec that does not parse.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../dist/bench/step-profile.js', import.meta.url));
const profile = (...args: string[]) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });

describe('the step profile’s arguments', () => {
  it.each([
    [['lenet5', 'x'], "step-profile: the number of steps must be a whole number ≥ 1, got 'x'"],
    [['lenet5', '0'], "step-profile: the number of steps must be a whole number ≥ 1, got '0'"],
    [['lenet5', '2.5'], "step-profile: the number of steps must be a whole number ≥ 1, got '2.5'"],
    [['lenet5', '3', '--after', '-1'], "step-profile: --after needs a whole number of steps ≥ 0, got '-1'"],
    [['conv(8,3', '3'], "architecture spec, layer 1: 'conv(' has no closing parenthesis"],
  ])('%j: one line and exit code 2', (args, message) => {
    const run = profile(...args);
    expect(run.status).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`error: ${message}\n`);
  });
});
