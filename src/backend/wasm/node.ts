/**
 * Creates the wasm backend in Node: reads the kernels from the package's build/ folder and hands the
 * bytes to the browser-safe core (wasm-backend.ts).
 *
 * Two builds of assembly/ exist: build/kernels-relaxed.wasm uses relaxed-SIMD fused multiply-add,
 * build/kernels.wasm plain 128-bit SIMD. `auto` (the default) takes the relaxed build when this engine
 * validates it — Node 20's V8 needs `--experimental-wasm-relaxed-simd`, which is set here before any
 * module is compiled (it applies to the process and its worker threads) — and the plain one otherwise.
 */
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
function allowRelaxedSimd(): void {
  if (relaxedFlagSet) return;
  setFlagsFromString('--experimental-wasm-relaxed-simd');
  relaxedFlagSet = true;
}

export async function createWasmBackend(options: WasmBackendOptions & { build?: BuildChoice } = {}): Promise<WasmBackend> {
  const choice = options.build ?? (process.env.XCNN_WASM_BUILD as BuildChoice | undefined) ?? 'auto';
  if (!['auto', 'simd', 'relaxed-simd'].includes(choice)) {
    throw new XcnnError(`unknown kernel build '${choice}': choose auto, simd or relaxed-simd`, { exitCode: 2 });
  }
  if (choice !== 'simd') allowRelaxedSimd();
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

