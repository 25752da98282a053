/**
 * The files `xcnn serve` may send, and nothing else: an explicit allow-list from URL path to file,
 * made once when the server starts.
 *
 *   /                                    web/index.html (the page; its links are relative to this root)
 *   /web/page.css, page.js, explainer-worker.js, and the page's other files (the studio's too)
 *   /dist/src/…                          the browser-safe core modules the page's scripts import, found
 *                                        by walking their static imports (the same graph a bundler
 *                                        would take; src/index.ts's walk test keeps it free of Node),
 *                                        and the thread pool's worker (PAGE_WORKER_MODULES) with its own;
 *                                        a module with a browser stand-in (BROWSER_MODULES) is sent as that
 *   /build/kernels.wasm, kernels-relaxed.wasm   the WebAssembly kernels (plain and relaxed SIMD)
 *   /web/vendor/protobuf.min.js          protobufjs's browser build, for ONNX in and out (PAGE_IMPORT_MAP)
 *   /data/page-digits-*-ubyte            the row of MNIST test digits the page shows
 *   /model.safetensors                   the model the page starts with (default: data/mnist-small.safetensors),
 *                                        sent from the bytes `xcnn serve` read and checked (served-file.ts)
 *
 * URL paths mirror the package's folders, so the scripts' relative imports (`../dist/src/index.js`)
 * resolve in the browser as on disk. A request names a file only by matching one of these paths
 * exactly: a URL with `..`, a backslash, a NUL, an absolute or protocol-relative form, a bad
 * percent-encoding, or longer than any allowed path could be is refused before the lookup, and anything
 * else unknown is not found.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import { ReferenceBackend } from '../backend/reference/index.js';
import { XcnnError } from '../errors.js';
import { decodeModel, encodeModel, type LoadedModel, type ModelLoadOptions } from '../model/model-file.js';
import { isOnnxModel } from '../onnx/onnx-sniff.js';

/** The page's own files, in web/ (the scripts' imports are added to these). */
export const PAGE_FILES = [
  'web/index.html', 'web/page.css', 'web/page.js', 'web/explainer-worker.js', 'web/digit-canvas.js', 'web/probability-bars.js',
  'web/train-panel.js', 'web/trainer-worker.js', 'web/training-curves.js', 'web/training-data.js', 'web/protobuf-light.js',
  'web/faithfulness-panel.js', 'web/faithfulness-worker.js', 'web/dropped-files.js',
];

/**
 * The bare specifiers web/index.html's import map resolves, and the page's module each goes to: the ONNX
 * modules (src/onnx, for ONNX in and out on the page's main thread) import protobufjs, whose browser build
 * the page loads as a classic script (PROTOBUF_URL_PATH) and web/protobuf-light.js exports.
 */
export const PAGE_IMPORT_MAP: Readonly<Record<string, string>> = { 'protobufjs/light.js': 'web/protobuf-light.js' };

/** Where the page loads protobufjs's browser build from (the package's dist/light/protobuf.min.js). */
export const PROTOBUF_URL_PATH = '/web/vendor/protobuf.min.js';

/**
 * Modules the page starts as Workers (`new Worker(new URL(…, import.meta.url))`, which no import names): the
 * thread pool's worker, which the studio's training starts when the page is cross-origin isolated.
 */
export const PAGE_WORKER_MODULES = ['dist/src/parallel/worker.js'];

/**
 * Modules the page is sent a browser stand-in for, at the module's own URL, as a bundler's `browser` field
 * maps them: the thread pool's transport (worker_threads in Node, web Workers in a tab), so thread-pool.js
 * and worker.js import './node-transport.js' everywhere and a tab gets web-transport.js's code.
 */
export const BROWSER_MODULES: Readonly<Record<string, string>> = { 'dist/src/parallel/node-transport.js': 'dist/src/parallel/web-transport.js' };

/** The file of the package sent for a module (a package-relative path with '/'): its browser stand-in, if it has one. */
function browserFileOf(relativePath: string): string {
  return BROWSER_MODULES[relativePath] ?? relativePath;
}

/** Files the page fetches at run time (not imported): the kernels and the example digits. */
export const PAGE_DATA_FILES = ['build/kernels.wasm', 'build/kernels-relaxed.wasm', 'data/page-digits-images-idx3-ubyte', 'data/page-digits-labels-idx1-ubyte'];

/** The URL path the page fetches its starting model from. */
export const MODEL_URL_PATH = '/model.safetensors';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
};

/** The Content-Type a served file goes out with (IDX files and anything unlisted: bytes). */
export function contentTypeOf(file: string): string {
  return CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
}

/** URL path → absolute file path, for every file of the package the server may send. */
export type PageFiles = ReadonlyMap<string, string>;

/**
 * The allow-list of a package rooted at `root`, the model aside (its bytes are added by served-file.ts).
 * Every file must exist (a missing build is reported with what to run), and every module a script imports
 * must lie inside the package.
 */
export function pageFiles(root: string): PageFiles {
  const files = new Map<string, string>();
  const add = (relativePath: string) => {
    const file = join(root, browserFileOf(relativePath.split(sep).join('/')));
    if (!existsSync(file)) throw new XcnnError(`${file}: missing; the page needs it (run \`npm run build\` in the package)`, { code: 'ERR_SETUP' });
    files.set(`/${relativePath.split(sep).join('/')}`, file);
  };
  for (const file of PAGE_FILES) add(file);
  for (const file of PAGE_WORKER_MODULES) add(file);
  const scripts = [...PAGE_FILES.filter((file) => file.endsWith('.js')), ...PAGE_WORKER_MODULES].map((file) => join(root, file));
  for (const module of importedModules(scripts, root)) add(relative(root, module));
  for (const file of PAGE_DATA_FILES) add(file);
  files.set(PROTOBUF_URL_PATH, protobufBrowserBuild(root));
  // The page is at '/' only: its links (web/page.css, web/page.js) are relative to the page's root.
  files.delete('/web/index.html');
  files.set('/', join(root, 'web/index.html'));
  return files;
}

/** protobufjs's browser build (UMD: it sets globalThis.protobuf): the package's own copy, else the one Node resolves (a hoisted install). */
function protobufBrowserBuild(root: string): string {
  const build = ['dist', 'light', 'protobuf.min.js'];
  const own = join(root, 'node_modules', 'protobufjs', ...build);
  const file = existsSync(own) ? own : join(dirname(createRequire(import.meta.url).resolve('protobufjs/package.json')), ...build);
  if (!existsSync(file)) throw new XcnnError(`${file}: missing; the page's ONNX in and out needs protobufjs's browser build (reinstall the package)`, { code: 'ERR_SETUP' });
  return file;
}

/**
 * The bytes of the model the page starts with, from a model file's `bytes` (read with `readModelFile`):
 * decoded here with every command's checks — so a file that is not a model, or does not fit `--arch`, fails
 * before the server starts — and sent as they are, or, when `--arch` or `--input` had to say what the file
 * does not, written again with the architecture and geometry in its metadata, so the page loads it without them.
 * An ONNX file (read by `decode`, the ONNX reader, which the caller loads) is sent as safetensors: the page's
 * core reads only that.
 */
export function modelForPage(bytes: Uint8Array, source: string, options: ModelLoadOptions = {}, decode: typeof decodeModel = decodeModel): Uint8Array {
  const onnx = isOnnxModel(bytes, source);
  const { network, info }: LoadedModel = (onnx ? decode : decodeModel)(bytes, source, new ReferenceBackend(), options);
  return options.arch === undefined && options.input === undefined && !onnx ? bytes : encodeModel(network, info);
}

/** Every module specifier a script names: static imports and re-exports, side-effect and dynamic imports, spaced or minified. */
export function importSpecifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

/**
 * The modules `entries` reach through relative imports, transitively (the entries excluded), as a browser
 * would load them: a module with a browser stand-in (BROWSER_MODULES) is listed by its own path and walked in
 * its stand-in's text. A bare specifier (a package) or an import leaving `root` cannot be served to a browser,
 * so it is an error.
 */
export function importedModules(entries: string[], root: string): string[] {
  const seen = new Set<string>(entries);
  const reached: string[] = [];
  const visit = (module: string) => {
    const file = join(root, browserFileOf(relative(root, module).split(sep).join('/')));
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (specifier in PAGE_IMPORT_MAP) continue; // the import map's module, itself one of PAGE_FILES
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) throw new XcnnError(`${file}: imports '${specifier}', which a browser cannot load without a bundler`, { code: 'ERR_SETUP' });
      const target = resolve(dirname(module), specifier); // a URL relative to the module's, stand-in or not
      if (relative(root, target).startsWith('..')) throw new XcnnError(`${file}: imports '${specifier}', outside the package`, { code: 'ERR_SETUP' });
      if (seen.has(target)) continue;
      if (!existsSync(join(root, browserFileOf(relative(root, target).split(sep).join('/'))))) throw new XcnnError(`${file}: imports '${specifier}', which does not exist (run \`npm run build\`)`, { code: 'ERR_SETUP' });
      seen.add(target);
      reached.push(target);
      visit(target);
    }
  };
  for (const entry of entries) visit(entry);
  return reached;
}

/**
 * The longest request target looked at: every allowed path is far shorter, even percent-encoded throughout
 * (a longer one is not found without being decoded; past 16 KB Node's parser refuses it itself, with 431).
 */
export const MAX_TARGET_LENGTH = 1024;

/**
 * The entry a request target (`req.url`, e.g. `/web/page.js?v=2`) names in `files` (the allow-list), or
 * null when it names none the page may have. The query and fragment are ignored; the path is percent-decoded
 * once and must then be a plain absolute path: no `..` or `.` segment, no backslash, no NUL or other control
 * character, no `//`. Only then is it looked up, exactly.
 */
export function fileForRequest<T>(target: string, files: ReadonlyMap<string, T>): T | null {
  if (target.length > MAX_TARGET_LENGTH) return null;
  const path = target.split(/[?#]/, 1)[0];
  if (!path.startsWith('/') || path.startsWith('//')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null; // a malformed percent-encoding
  }
  if (/[\u0000-\u001f\u007f\\]/.test(decoded) || decoded.includes('//')) return null;
  if (decoded.split('/').some((segment) => segment === '..' || segment === '.')) return null;
  return files.get(decoded) ?? null;
}
