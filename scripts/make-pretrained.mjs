// scripts/make-pretrained.mjs — `npm run pretrained`: trains the small model that ships in data/, so
// `xcnn explain`, `xcnn serve` and the page work before anyone trains.
//
// The paper's network, narrowed to widths 8,16,32 (conv1 8 channels, conv2 16, fc1 32 units: 63,562
// parameters, 256 KB of float32 instead of the paper's 4 MB), trained with the paper's recipe (Adam,
// lr 0.001, batch 64) for 6 epochs on the 60,000 MNIST training images. Seed, thread count and kernel
// build are fixed (seed 1, 2 threads, the plain-SIMD build, whose arithmetic is the same on every CPU), so
// the file is reproducible byte for byte from this command for a given version of the kernels (the file in data/
// was made before conv2 ran by Winograd's algorithm: README, The shipped model).
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'runs', 'pretrained');
const target = join(root, 'data', 'mnist-small.safetensors');
// --force: the model is made again from scratch each time, replacing the run an earlier `npm run pretrained` left.
const args = ['train', '--widths', '8,16,32', '--epochs', '6', '--seed', '1', '--threads', '2', '--backend', 'wasm', '--out', out, '--force'];

const run = spawnSync(process.execPath, [join(root, 'bin', 'xcnn.js'), ...args], { stdio: 'inherit', env: { ...process.env, XCNN_WASM_BUILD: 'simd' } });
if (run.status !== 0) process.exit(run.status ?? 1);
copyFileSync(join(out, 'model.safetensors'), target);

const metrics = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
console.log(`wrote ${target}: ${statSync(target).size} bytes, test accuracy ${(100 * metrics.test.accuracy).toFixed(2)}%`);
