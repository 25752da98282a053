/**
 * The xcnn package's root folder (the one holding package.json), found by walking up from this module,
 * so the same code finds build/, dist/ and bench/ whether it runs from src/ (vitest) or from dist/src/.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XcnnError } from '../errors.js';

let cached: string | null = null;

export function packageRoot(): string {
  if (cached !== null) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return (cached = dir);
    if (dirname(dir) === dir) throw new XcnnError(`cannot find the xcnn package root (no package.json above ${here})`, { code: 'ERR_SETUP' });
  }
}
