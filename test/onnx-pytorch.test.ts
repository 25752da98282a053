/**
 * ONNX files from torch.onnx.export (issue 15): test/fixtures/pytorch/make_onnx_fixtures.py writes the
 * paper's network (flattened with x.view(x.size(0), -1), so the export carries the shape arithmetic xcnn
 * folds) and a net with strided and padded convolutions, BatchNorm2d and 1d, AvgPool2d (which torch exports
 * behind a Pad of zeros), AdaptiveAvgPool2d(1) and Dropout, each as .onnx, as a safetensors state_dict and
 * with PyTorch's evaluation logits on a random batch. Importing the .onnx file must give PyTorch's logits
 * (≤ 1e-4) and the same predictions as loading the state_dict. Skipped, and saying so, without a Python
 * that imports torch (the same probe as test/pytorch-interchange.test.ts; .ci/run installs python3-torch).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { decodeModel } from '../src/model/model-file.js';
import type { Network } from '../src/model/network.js';
import { decodeAnyModel } from '../src/onnx/any-model.js';

const SCRIPT = fileURLToPath(new URL('./fixtures/pytorch/make_onnx_fixtures.py', import.meta.url));

function findTorchPython(): string | null {
  for (const path of [process.env.XCNN_PYTHON, 'python3', '/usr/bin/python3']) {
    if (path && spawnSync(path, ['-c', 'import torch'], { timeout: 120_000 }).status === 0) return path;
  }
  return null;
}

const python = findTorchPython();
if (python === null) console.log('SKIPPED ONNX files from torch.onnx.export: no Python that can import torch (set XCNN_PYTHON, or install python3-torch)');

const CASES = [
  { name: 'paper', arch: undefined, spec: 'conv(32,3) relu maxpool(2) conv(64,3) relu flatten linear(128) relu linear(10)' },
  {
    name: 'bn',
    arch: 'conv(8,3,stride=2,pad=1) bn relu avgpool(2) conv(16,3,pad=1) bn relu gap flatten linear(12) bn relu dropout(0.3) linear(5)',
    // The export in evaluation mode has no Dropout, and torch folds each BatchNorm2d into the conv before it.
    spec: 'conv(8,3,stride=2,pad=1) relu avgpool(2) conv(16,3,pad=1) relu gap flatten linear(12) bn relu linear(5)',
  },
];

function logitsOf(network: Network, input: number[], batch: number): Float32Array {
  const buffer = network.backend.allocFloats(input.length);
  buffer.set(input);
  return Float32Array.from(network.forward(buffer, batch));
}

function argmaxes(logits: ArrayLike<number>, classes: number): number[] {
  return Array.from({ length: logits.length / classes }, (_, n) => {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[n * classes + c] > logits[n * classes + best]) best = c;
    return best;
  });
}

describe.skipIf(python === null)('ONNX files from torch.onnx.export', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'xcnn-onnx-torch-'));
    const run = spawnSync(python!, [SCRIPT, dir], { encoding: 'utf8', timeout: 300_000 });
    if (run.status !== 0) throw new Error(`${SCRIPT} failed (status ${run.status}): ${run.stderr || run.error}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(CASES)('$name: the .onnx file is the network PyTorch ran, with its logits (≤ 1e-4) on both backends, and the state_dict\'s predictions', async ({ name, arch, spec }) => {
    const expected = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as { shape: number[]; input: number[]; logits: number[]; torch: string };
    const [batch, channels, height, width] = expected.shape;
    const classes = expected.logits.length / batch;
    for (const backend of [new ReferenceBackend(), await createWasmBackend()]) {
      const { network, info } = decodeAnyModel(readFileSync(join(dir, `${name}.onnx`)), `${name}.onnx`, backend);
      expect(network.spec).toBe(spec);
      expect(info.geometry).toEqual({ channels, height, width, classes });
      const logits = logitsOf(network, expected.input, batch);
      let worst = 0;
      for (let k = 0; k < logits.length; k++) worst = Math.max(worst, Math.abs(logits[k] - expected.logits[k]));
      console.log(`${name}.onnx (torch ${expected.torch}) on ${backend.name}: max |Δ logits| against PyTorch ${worst.toExponential(1)}`);
      expect(worst).toBeLessThanOrEqual(1e-4);

      const stateDict = decodeModel(readFileSync(join(dir, `${name}.safetensors`)), `${name}.safetensors`, backend, arch ? { arch, input: { channels, height, width } } : {});
      expect(argmaxes(logits, classes)).toEqual(argmaxes(logitsOf(stateDict.network, expected.input, batch), classes));
      expect(argmaxes(logits, classes)).toEqual(argmaxes(expected.logits, classes));
    }
  });
});
