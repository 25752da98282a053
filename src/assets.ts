/**
 * The package's files in a web page: the WebAssembly kernels (build/kernels.wasm, build/kernels-relaxed.wasm)
 * and the shipped model (data/mnist-small.safetensors), fetched over HTTP. Browser-safe.
 *
 * By default each is found with `new URL('../../build/kernels.wasm', import.meta.url)` — relative to this
 * module as built, dist/src/assets.js — which is the pattern Vite and webpack 5 recognise: they copy the
 * file into the build and rewrite the URL, with no configuration. Served unbundled (the package's files as
 * they are, e.g. an import map or a static server over node_modules), the same URLs point at the files.
 * esbuild does not follow `new URL(…, import.meta.url)`: there, import each file's URL by its package
 * path (xcnn/kernels.wasm, xcnn/kernels-relaxed.wasm, xcnn/model.safetensors; esbuild's `file` loader for
 * .wasm and .safetensors gives the URL) and pass them in.
 *
 * In Node, use src/node.ts's createWasmBackend and loadShippedModel, which read the files from disk
 * (Node's fetch has no file: URLs).
 */
import { checkBackend, checkOptions } from './argument-checks.js';
import type { Backend } from './backend/backend.js';
import { validates } from './backend/wasm/kernels.js';
import { createWasmBackendFromBytes, type KernelBuild, type WasmBackend, type WasmBackendOptions } from './backend/wasm/wasm-backend.js';
import { XcnnError } from './errors.js';
import { loadModelFromBytes, type LoadedModel } from './model/model-file.js';

/** The package's own files, where this module finds them. */
export interface ShippedAssetUrls {
  kernels: URL; // build/kernels.wasm: 128-bit SIMD
  relaxedKernels: URL; // build/kernels-relaxed.wasm: with relaxed-SIMD fused multiply-add
  model: URL; // data/mnist-small.safetensors
}

/**
 * The URLs of the package's files next to this module. Each `new URL` is written out with its literal
 * path so that bundlers see it; an environment without `import.meta.url` (a script bundled as IIFE or
 * CommonJS) gets a one-line error saying what to pass instead.
 */
export function shippedAssetUrls(): ShippedAssetUrls {
  try {
    return {
      kernels: new URL('../../build/kernels.wasm', import.meta.url),
      relaxedKernels: new URL('../../build/kernels-relaxed.wasm', import.meta.url),
      model: new URL('../../data/mnist-small.safetensors', import.meta.url),
    };
  } catch (cause) {
    throw new XcnnError(
      "xcnn cannot locate its files here (this bundle has no import.meta.url): bundle as an ES module, or pass the files' URLs (with esbuild: import the package paths xcnn/kernels.wasm and xcnn/model.safetensors with the file loader)",
      { code: 'ERR_SETUP', cause },
    );
  }
}

/** The bytes at `url`; a failed request names the file, and the package path its URL can be imported from. */
async function fetchAsset(url: string | URL, what: string, packagePath: string): Promise<Uint8Array> {
  const fix = `serve the file there, or pass its URL (with esbuild: import the package path ${packagePath} with the file loader)`;
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new XcnnError(`cannot fetch ${what} from ${String(url)} (${String(cause)}): ${fix}`, { code: 'ERR_FILE', cause });
  }
  if (!response.ok) throw new XcnnError(`cannot fetch ${what} from ${String(url)} (HTTP ${response.status}): ${fix}`, { code: 'ERR_FILE' });
  // A dev server answers a path it does not have with its index page (Vite's, when it pre-bundled xcnn
  // and moved the modules away from the files: optimizeDeps.exclude ['xcnn']).
  if (response.headers.get('content-type')?.startsWith('text/html')) {
    throw new XcnnError(`cannot fetch ${what} from ${String(url)}: the server answered with an HTML page, not the file; ${fix} — on Vite's dev server, set optimizeDeps.exclude: ['xcnn']`, { code: 'ERR_FILE' });
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * A module of one function that uses one relaxed-SIMD instruction (f32x4.relaxed_madd on three zero
 * vectors): the engine validates it exactly when it can run the relaxed build, so only one build is
 * downloaded.
 *
 *   (module (func (result v128) v128.const 0 v128.const 0 v128.const 0 f32x4.relaxed_madd))
 */
const RELAXED_SIMD_PROBE = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // \0asm, version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, // type section: () → v128
  0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
  0x0a, 0x3d, 0x01, 0x3b, 0x00, // code section: one body of 59 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]), // v128.const 0, three times
  0xfd, 0x85, 0x02, // f32x4.relaxed_madd (0xfd 0x105)
  0x0b, // end
]);

/** True when this engine runs relaxed SIMD (every current Chromium does; Node 20 only with a V8 flag, which enableRelaxedSimd in node.ts sets). */
export function supportsRelaxedSimd(): boolean {
  return validates(RELAXED_SIMD_PROBE);
}

export interface KernelUrlOptions {
  /** Which build: `auto` (default) takes the relaxed-SIMD one where the engine runs it. */
  build?: KernelBuild | 'auto';
  /** Where build/kernels.wasm is served (default: found next to the package's module, see above). */
  kernelsUrl?: string | URL;
  /** Where build/kernels-relaxed.wasm is served; when only `kernelsUrl` is given, `auto` uses that build. */
  relaxedKernelsUrl?: string | URL;
}

/**
 * The wasm backend in a web page: fetches the kernels the engine runs best and compiles them. The page
 * must be cross-origin isolated (COOP/COEP headers), as the backend's memory is shared.
 */
export async function createWasmBackendFromUrl(options: WasmBackendOptions & KernelUrlOptions = {}): Promise<WasmBackend> {
  checkOptions('createWasmBackendFromUrl', options);
  const choice = options.build ?? 'auto';
  if (!['auto', 'simd', 'relaxed-simd'].includes(choice)) throw new XcnnError(`unknown kernel build '${String(choice)}': choose auto, simd or relaxed-simd`, { code: 'ERR_BAD_ARGUMENT' });
  const given = options.kernelsUrl !== undefined || options.relaxedKernelsUrl !== undefined;
  const relaxedUrl = options.relaxedKernelsUrl ?? (given ? undefined : shippedAssetUrls().relaxedKernels);
  const plainUrl = () => options.kernelsUrl ?? shippedAssetUrls().kernels;
  if (choice === 'relaxed-simd' && !supportsRelaxedSimd()) throw new XcnnError('this JavaScript engine does not support relaxed SIMD: use the simd build', { code: 'ERR_SETUP' });
  const relaxed = choice === 'relaxed-simd' || (choice === 'auto' && relaxedUrl !== undefined && supportsRelaxedSimd());
  const build: KernelBuild = relaxed ? 'relaxed-simd' : 'simd';
  const url = relaxed ? (relaxedUrl ?? shippedAssetUrls().relaxedKernels) : plainUrl();
  const bytes = relaxed ? await fetchAsset(url, 'the relaxed-SIMD kernels', 'xcnn/kernels-relaxed.wasm') : await fetchAsset(url, 'the kernels', 'xcnn/kernels.wasm');
  return createWasmBackendFromBytes(bytes, { maximumBytes: options.maximumBytes, build });
}

/** The pretrained MNIST model that ships with the package, fetched (from `url` when given) and loaded on `backend`. */
export async function loadShippedModel(backend: Backend, options: { url?: string | URL } = {}): Promise<LoadedModel> {
  checkBackend('loadShippedModel', 'backend', backend);
  checkOptions('loadShippedModel', options);
  const url = options.url ?? shippedAssetUrls().model;
  return loadModelFromBytes(await fetchAsset(url, 'the shipped model', 'xcnn/model.safetensors'), backend, String(url));
}
