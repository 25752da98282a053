/**
 * createBackend (src/backend/select.ts): the backend of each name the command line's --backend takes, and the
 * one-line usage error for any other name.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { backendNames, createBackend } from '../src/backend/select.js';
import { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { XcnnError } from '../src/errors.js';
import { rejection } from './errors.js';

describe('createBackend', () => {
  it('knows two names, wasm (the default) first, then ts', () => {
    expect(backendNames).toEqual(['wasm', 'ts']);
  });

  it("makes the TypeScript reference for 'ts', in float32", async () => {
    const backend = await createBackend('ts');
    expect(backend).toBeInstanceOf(ReferenceBackend);
    expect(backend.name).toBe('ts');
    expect((backend as ReferenceBackend).precision).toBe('float32');
  });

  it("makes a WebAssembly backend for 'wasm', whose arrays live in its memory", async () => {
    const backend = await createBackend('wasm');
    expect(backend).toBeInstanceOf(WasmBackend);
    expect(backend.name).toBe('wasm');
    expect((backend as WasmBackend).owns(backend.allocFloats(4))).toBe(true);
    backend.dispose();
  });

  it('refuses any other name as a usage error (exit 2) that lists the names', async () => {
    for (const name of ['WASM', '', 'reference']) {
      const error = await rejection(createBackend(name as 'ts'));
      expect(error).toBeInstanceOf(XcnnError);
      expect(error.message).toBe(`unknown backend '${name}': choose one of wasm, ts`);
      expect(error.exitCode).toBe(2);
      expect(error.code).toBe('ERR_BAD_ARGUMENT');
    }
  });
});
