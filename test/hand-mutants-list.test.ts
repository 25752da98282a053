/**
 * stryker/hand-mutants.mjs makes by hand the wrong changes issue 20 named, each in a scratch copy, and runs the test
 * file that must catch it (too slow for the suite: one vitest run a mutant). What the suite can check is that the
 * list still applies: each file holds the text to replace exactly once, the replacement differs, and the test
 * file exists — otherwise the script stops with "update this list" and the changes go unchecked.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MUTANTS } from '../stryker/hand-mutants-list.mjs';

const root = join(import.meta.dirname, '..');
const list = MUTANTS as [string, string, string, string, string][];

describe("the hand-made mutants of issue 20's examples", () => {
  it('names the eleven wrong changes, each once', () => {
    expect(list).toHaveLength(11);
    expect(new Set(list.map(([what]) => what)).size).toBe(list.length);
  });

  it.each(list)('%s: its file holds the text once, the change differs, and its test file exists', (_what, file, from, to, testFile) => {
    const text = readFileSync(join(root, file), 'utf8');
    expect(text.split(from).length - 1).toBe(1);
    expect(to).not.toBe(from);
    expect(existsSync(join(root, testFile))).toBe(true);
  });
});
