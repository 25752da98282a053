/**
 * Creates the wasm backend in Node: reads the kernels from the package's build/ folder and hands the
 * bytes to the browser-safe core (wasm-backend.ts).
 *
 * Two builds of assembly/ exist: build/kernels-relaxed.wasm uses relaxed-SIMD fused multiply-add,
 * build/kernels.wasm plain 128-bit SIMD. `auto` (the default) takes the relaxed build when this engine
 * validates it as it is, and the plain one otherwise. Node 20's V8 validates relaxed SIMD only behind
 * `--experimental-wasm-relaxed-simd`, a flag of the whole process (its worker threads too, and any other
 * WebAssembly the program compiles), so a library must not turn it on behind its caller's back: it is
 * turned on only by `enableRelaxedSimd()` — the xcnn command calls it first thing, as the program that owns
 * its process — or by asking for `build: 'relaxed-simd'` explicitly. Otherwise, on Node 20, `auto` is the
 * plain build (4–5 % slower to train); `node --experimental-wasm-relaxed-simd` gives a program the relaxed one.
 */
import { checkOptions } from '../../argument-checks.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { XcnnError } from '../../errors.js';
import { packageRoot } from '../../files/package-root.js';
import { validates } from './kernels.js';
import { createWasmBackendFromBytes, type KernelBuild, type WasmBackend, type WasmBackendOptions } from './wasm-backend.js';

export type { KernelBuild, WasmBackend, WasmBackendOptions };

export type BuildChoice = KernelBuild | 'auto';

const FILES: Record<KernelBuild, string> = { simd: 'kernels.wasm', 'relaxed-simd': 'kernels-relaxed.wasm' };

let relaxedFlagSet = false;

/**
 * Turns on V8's `--experimental-wasm-relaxed-simd` for this whole process (and the worker threads it
 * starts), so that `auto` takes the relaxed-SIMD kernels on Node 20. A program's choice, made before any
 * backend is created; a no-op once done (and unneeded where the engine ships relaxed SIMD).
 */
export function enableRelaxedSimd(): void {
  if (relaxedFlagSet) return;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  relaxedFlagSet = true;
}

export async function createWasmBackend(options: WasmBackendOptions & { build?: BuildChoice } = {}): Promise<WasmBackend> {
  checkOptions('createWasmBackend', options);
  const choice = options.build ?? (process.env.XCNN_WASM_BUILD as BuildChoice | undefined) ?? 'auto';
  if (!['auto', 'simd', 'relaxed-simd'].includes(choice)) {
    throw new XcnnError(`unknown kernel build '${choice}': choose auto, simd or relaxed-simd`, { exitCode: 2, code: 'ERR_BAD_ARGUMENT' });
  }
  if (choice === 'relaxed-simd') enableRelaxedSimd(); // asked for by name: the caller accepts the process-wide flag
  if (choice !== 'simd') {
    const relaxed = await readKernels('relaxed-simd');
    if (validates(relaxed)) return createWasmBackendFromBytes(relaxed, { ...options, build: 'relaxed-simd' });
    if (choice === 'relaxed-simd') throw new XcnnError('this JavaScript engine does not support relaxed SIMD: use the simd build', { code: 'ERR_SETUP' });
  }
  return createWasmBackendFromBytes(await readKernels('simd'), { ...options, build: 'simd' });
}

async function readKernels(build: KernelBuild): Promise<Uint8Array> {
  const path = join(packageRoot(), 'build', FILES[build]);
  try {
    return await readFile(path);
  } catch (cause) {
    throw new XcnnError(`the WebAssembly kernels are missing (${path}): run \`npm run build:wasm\``, { code: 'ERR_SETUP', cause });
  }
}

/** build/kernels.wasm (the plain SIMD build) under the package root. */
export function kernelsWasmPath(build: KernelBuild = 'simd'): string {
  return join(packageRoot(), 'build', FILES[build]);
}

