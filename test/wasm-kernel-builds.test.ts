/**
 * Which kernels createWasmBackend (src/backend/wasm/node.ts) loads: the build asked for by name, by
 * XCNN_WASM_BUILD, or `auto` — the relaxed-SIMD build where this engine validates it (test processes turn the
 * flag on, as the xcnn command does: test/setup/relaxed-simd.ts), else the plain one — and its one-line
 * errors. node:fs/promises' readFile is wrapped so a test can make a kernel file missing or unusable.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WasmBackendOptions } from '../src/backend/wasm/node.js';
import { validates } from '../src/backend/wasm/kernels.js';

/** What readFile answers for a kernels file instead of its bytes: nothing (the real file), an error, or other bytes. */
const stand = vi.hoisted(() => ({ in: undefined as undefined | 'missing' | 'invalid relaxed' }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const original = await importOriginal<typeof import('node:fs/promises')>();
  const readFile = async (path: string, ...rest: unknown[]) => {
    if (stand.in === 'missing' && String(path).includes('kernels')) throw Object.assign(new Error(`ENOENT: ${String(path)}`), { code: 'ENOENT' });
    if (stand.in === 'invalid relaxed' && String(path).endsWith('kernels-relaxed.wasm')) return new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]);
    return (original.readFile as (...args: unknown[]) => unknown)(path, ...rest);
  };
  return { ...original, readFile, default: { ...original, readFile } };
});

// The test setup imported node.ts before this file's mock: import it again, now reading through the mock.
vi.resetModules();
const { createWasmBackend, kernelsWasmPath } = await import('../src/backend/wasm/node.js');
const { XcnnError } = await import('../src/errors.js'); // the class node.ts now throws

/** The XcnnError a promise rejects with. */
async function rejection(promise: Promise<unknown>): Promise<InstanceType<typeof XcnnError>> {
  const error = await promise.then(() => new Error('expected a rejection, got a result'), (reason: unknown) => reason);
  expect(error).toBeInstanceOf(XcnnError);
  return error as InstanceType<typeof XcnnError>;
}

const relaxedValidates = validates(readFileSync(kernelsWasmPath('relaxed-simd')));
const environment = process.env.XCNN_WASM_BUILD;

afterEach(() => {
  stand.in = undefined;
  if (environment === undefined) delete process.env.XCNN_WASM_BUILD;
  else process.env.XCNN_WASM_BUILD = environment;
});

async function buildOf(options?: WasmBackendOptions & { build?: string }): Promise<string> {
  const backend = await createWasmBackend({ maximumBytes: 64 * 1024 * 1024, ...options } as never);
  const { build } = backend;
  backend.dispose();
  return build;
}

describe('createWasmBackend', () => {
  it('finds both builds under build/', () => {
    expect(kernelsWasmPath()).toMatch(/build[/\\]kernels\.wasm$/);
    expect(kernelsWasmPath('simd')).toBe(kernelsWasmPath());
    expect(kernelsWasmPath('relaxed-simd')).toMatch(/build[/\\]kernels-relaxed\.wasm$/);
  });

  it('loads the build asked for by name', async () => {
    expect(await buildOf({ build: 'simd' })).toBe('simd');
    expect(await buildOf({ build: 'relaxed-simd' })).toBe('relaxed-simd');
  });

  it('hands the other options on, whichever build it loads', async () => {
    for (const build of ['simd', 'relaxed-simd'] as const) {
      const backend = await createWasmBackend({ build, maximumBytes: 100 * 65536 });
      expect(backend.shared.maximumPages).toBe(100);
      backend.dispose();
    }
  });

  it('by default (auto), loads the relaxed build where the engine validates it', async () => {
    delete process.env.XCNN_WASM_BUILD;
    expect(relaxedValidates).toBe(true); // the test setup turned the flag on
    expect(await buildOf()).toBe('relaxed-simd');
    expect(await buildOf({ build: 'auto' })).toBe('relaxed-simd');
  });

  it('takes XCNN_WASM_BUILD when no build is asked for, and the option over it', async () => {
    process.env.XCNN_WASM_BUILD = 'simd';
    expect(await buildOf()).toBe('simd');
    expect(await buildOf({ build: 'auto' })).toBe('relaxed-simd');
    process.env.XCNN_WASM_BUILD = 'avx';
    expect(await buildOf({ build: 'simd' })).toBe('simd');
  });

  it('refuses an unknown build, from the option or the environment, as a usage error', async () => {
    for (const [options, name] of [[{ build: 'avx' }, 'avx'], [{}, 'fast']] as const) {
      if (name === 'fast') process.env.XCNN_WASM_BUILD = 'fast';
      const error = await rejection(createWasmBackend(options as never));
      expect(error.message).toBe(`unknown kernel build '${name}': choose auto, simd or relaxed-simd`);
      expect(error.code).toBe('ERR_BAD_ARGUMENT');
      expect(error.exitCode).toBe(2);
    }
    expect((await rejection(createWasmBackend(null as never))).message).toBe('createWasmBackend: options must be an object (its options), not null');
  });

  it('falls back to the plain build where the relaxed one does not validate, unless it was asked for by name', async () => {
    stand.in = 'invalid relaxed';
    expect(await buildOf()).toBe('simd');
    const error = await rejection(createWasmBackend({ build: 'relaxed-simd' }));
    expect(error.message).toBe('this JavaScript engine does not support relaxed SIMD: use the simd build');
    expect(error.code).toBe('ERR_SETUP');
  });

  it('says a missing kernel file is a setup error, naming the file and the build command', async () => {
    stand.in = 'missing';
    for (const build of ['simd', 'relaxed-simd'] as const) {
      const error = await rejection(createWasmBackend({ build }));
      expect(error.message).toBe(`the WebAssembly kernels are missing (${kernelsWasmPath(build)}): run \`npm run build:wasm\``);
      expect(error.code).toBe('ERR_SETUP');
      expect((error.cause as { code: string }).code).toBe('ENOENT');
    }
  });
});
