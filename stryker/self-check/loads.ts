/**
 * The self-check of the mutation setup (`npm run mutate -- self-check`, docs/mutation.md): a module with code
 * that runs while it is imported. A mutant there (`true` → `false`, the condition flipped) makes the test file
 * that imports it throw before it has any test; the run must count those mutants as killed, so the expected
 * score is 100 %.
 */
export function mustHold(condition: boolean): number {
  if (!condition) throw new Error('loads.ts: a check made at import failed');
  return 1;
}

export const LOADED = mustHold(true);

export function twice(x: number): number {
  return x * 2;
}
