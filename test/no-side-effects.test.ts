/**
 * The library does nothing a caller did not ask for: creating a wasm backend leaves V8's flags as they
 * were (relaxed SIMD is turned on only by enableRelaxedSimd, or by asking for that build by name), and
 * saveModel does not make a missing folder unless told to. The flag is a property of the whole process, and
 * the test processes turn it on (test/setup/relaxed-simd.ts), so it is checked in fresh child processes
 * running the built package. (That the explanation methods give the same map on every call is tested in
 * explain-methods.test.ts and classifier.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { loadModel, saveModel, shippedModelPath } from '../src/model/model-io.js';
import { errorOf } from './errors.js';

const root = join(import.meta.dirname, '..');

/** Runs `body` (an ES module's code, with `xcnn` the built package's Node entry) in a fresh node; its stdout parsed as JSON. */
function inFreshNode(body: string): Record<string, unknown> {
  const entry = pathToFileURL(join(root, 'dist', 'src', 'node.js')).href;
  const relaxed = join(root, 'build', 'kernels-relaxed.wasm');
  const program = [
    `const xcnn = await import(${JSON.stringify(entry)});`,
    `const relaxed = (await import('node:fs')).readFileSync(${JSON.stringify(relaxed)});`,
    body,
  ].join('\n');
  const { XCNN_WASM_BUILD: _, ...env } = process.env; // the default build choice, auto
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', env, timeout: 60_000 });
  expect(run.stderr).toBe('');
  expect(run.status).toBe(0);
  return JSON.parse(run.stdout);
}

describe('createWasmBackend', () => {
  it('leaves V8 as it found it: relaxed SIMD validates afterwards exactly when it did before, and auto picks the build that validates', () => {
    const seen = inFreshNode([
      'const before = WebAssembly.validate(relaxed);',
      'const backend = await xcnn.createWasmBackend();',
      'console.log(JSON.stringify({ before, after: WebAssembly.validate(relaxed), build: backend.build }));',
    ].join('\n'));
    console.log(`relaxed SIMD validates before: ${seen.before}, after: ${seen.after}; auto built ${seen.build}`);
    expect(seen.after).toBe(seen.before);
    expect(seen.build).toBe(seen.before ? 'relaxed-simd' : 'simd');
  });

  it('turns relaxed SIMD on for the process when the program asks: enableRelaxedSimd(), or the relaxed-simd build by name', () => {
    const enabled = inFreshNode('xcnn.enableRelaxedSimd(); const backend = await xcnn.createWasmBackend(); console.log(JSON.stringify({ after: WebAssembly.validate(relaxed), build: backend.build }));');
    expect(enabled).toEqual({ after: true, build: 'relaxed-simd' });
    const named = inFreshNode("const backend = await xcnn.createWasmBackend({ build: 'relaxed-simd' }); console.log(JSON.stringify({ after: WebAssembly.validate(relaxed), build: backend.build }));");
    expect(named).toEqual({ after: true, build: 'relaxed-simd' });
  });
});

describe('saveModel', () => {
  const work = mkdtempSync(join(tmpdir(), 'xcnn-save-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const { network, info } = loadModel(shippedModelPath(), new ReferenceBackend());

  it('refuses a folder that does not exist, naming it (ERR_FILE), and creates nothing', () => {
    const path = join(work, 'typo', 'deeper', 'model.safetensors');
    const error = errorOf(() => saveModel(path, network, info));
    expect([error.code, error.message]).toEqual(['ERR_FILE', `${path}: cannot write the model: the folder ${join(work, 'typo', 'deeper')} does not exist; create it first, or pass { mkdir: true }`]);
    expect(existsSync(join(work, 'typo'))).toBe(false);
  });

  it('creates the folder and its parents when asked ({ mkdir: true }), as the command line does for --out', () => {
    const path = join(work, 'runs', 'latest', 'model.safetensors');
    saveModel(path, network, info, { mkdir: true });
    expect(existsSync(path)).toBe(true);
  });
});
