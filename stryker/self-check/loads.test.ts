// Not part of `npm test` (vitest's include is test/**): run by `npm run mutate -- self-check` only.
import { expect, it } from 'vitest';
import { LOADED, mustHold, twice } from './loads.js';

it('doubles', () => expect(twice(3)).toBe(6));
it('checks at import', () => {
  expect(LOADED).toBe(1);
  expect(() => mustHold(false)).toThrow(new Error('loads.ts: a check made at import failed'));
});
