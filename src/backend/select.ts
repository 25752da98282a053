/**
 * Picks a backend by name: `wasm` (the default; WebAssembly SIMD kernels) or `ts` (the TypeScript
 * reference). Creating the WebAssembly backend compiles its module, hence the promise.
 */
import { usageError } from '../errors.js';
import type { Backend, BackendName } from './backend.js';
import { ReferenceBackend } from './reference/index.js';

export const backendNames: readonly BackendName[] = ['wasm', 'ts'];

export async function createBackend(name: BackendName): Promise<Backend> {
  switch (name) {
    case 'ts':
      return new ReferenceBackend();
    case 'wasm': {
      const { createWasmBackend } = await import('./wasm/node.js');
      return createWasmBackend();
    }
    default:
      throw usageError(`unknown backend '${String(name)}': choose one of ${backendNames.join(', ')}`);
  }
}
