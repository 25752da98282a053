/**
 * Creates the wasm backend in Node: reads build/kernels.wasm from disk and hands the bytes to the
 * browser-safe core (wasm-backend.ts). The file is found by walking up from this module to the folder
 * holding package.json, so the same code works from src/ (vitest) and from dist/src/ (after tsc).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XcnnError } from '../../errors.js';
import { createWasmBackendFromBytes, type WasmBackend, type WasmBackendOptions } from './wasm-backend.js';

export type { WasmBackend, WasmBackendOptions };

export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const path = kernelsWasmPath();
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new XcnnError(`the WebAssembly kernels are missing (${path}): run \`npm run build:wasm\``, { cause });
  }
  return createWasmBackendFromBytes(bytes, options);
}

/** build/kernels.wasm under the package root. */
export function kernelsWasmPath(): string {
  return join(packageRoot(), 'build', 'kernels.wasm');
}

function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) {
      throw new XcnnError(`cannot find the xcnn package root (no package.json above ${here}): run \`npm run build:wasm\` inside it`);
    }
  }
}
