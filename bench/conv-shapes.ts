/**
 * The wasm convolution's forward and backward pass on 3×3 shapes, in this checkout or another built one: what
 * chose which convolutions run by Winograd, and by which (usesWinograd, usesWinograd4, usesWinogradBackward in
 * src/backend/wasm/wasm-backend.ts).
 *
 *   node dist/bench/conv-shapes.js [/path/to/other/checkout]   (built: npm run build)
 *
 * Run it in each of two checkouts, e.g. one from before the change, to compare them shape by shape. Prints, per
 * shape (C → F channels, a square map, padding 1 unless said), the CPU-time median of 15 calls at batch 64 on the
 * relaxed-SIMD build, one thread: the forward pass, and the backward pass with every gradient.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Conv2dShape } from '../src/backend/backend.js';
import type { createWasmBackend as CreateWasmBackend } from '../src/backend/wasm/node.js';
import { median } from './training-step.js';

const BATCH = 64;
const CALLS = 15;

/** [C, F, side, padding] */
const SHAPES: [number, number, number, number][] = [
  [8, 8, 7, 1], [8, 8, 14, 1], [8, 8, 20, 1], [8, 8, 28, 1], [8, 8, 56, 1], [12, 12, 28, 1], [8, 16, 14, 1], [16, 16, 14, 1],
  [16, 16, 28, 1], [8, 32, 28, 1], [32, 8, 28, 1], [16, 32, 28, 1], [32, 32, 28, 1], [32, 64, 13, 0], [32, 64, 14, 1],
  // small maps, where F(4×4) pays or not (usesWinograd4): 8×8 and 7×7 outputs (4 tiles), 5×5 (as many multiplies), 4×4 (one tile)
  [8, 8, 8, 1], [64, 64, 7, 1], [64, 128, 5, 1], [32, 32, 4, 1],
];

/** CPU ms of `fn`, the median of CALLS calls after 3 to warm up. */
function cpuMs(fn: () => void): number {
  for (let k = 0; k < 3; k++) fn();
  const times: number[] = [];
  for (let k = 0; k < CALLS; k++) {
    const usage = process.cpuUsage();
    fn();
    const used = process.cpuUsage(usage);
    times.push((used.user + used.system) / 1000);
  }
  return median(times);
}

async function main(): Promise<void> {
  const root = resolve(process.argv[2] ?? '.');
  const node = (await import(pathToFileURL(resolve(root, 'dist/src/backend/wasm/node.js')).href)) as { createWasmBackend: typeof CreateWasmBackend };
  const backend = await node.createWasmBackend({ build: 'relaxed-simd' });
  console.log(`conv shapes in ${root}: batch ${BATCH}, relaxed-SIMD build, one thread, CPU-time medians of ${CALLS} calls (ms)`);
  for (const [C, F, side, P] of SHAPES) {
    const s: Conv2dShape = { batch: BATCH, inChannels: C, height: side, width: side, outChannels: F, kernelSize: 3, padding: P };
    const out = side + 2 * P - 2;
    const draw = (length: number) => {
      const array = backend.allocFloats(length);
      for (let i = 0; i < length; i++) array[i] = Math.random() - 0.5;
      return array;
    };
    const [x, w, b, dy] = [draw(BATCH * C * side * side), draw(F * C * 9), draw(F), draw(BATCH * F * out * out)];
    const [y, dw, db, dx] = [backend.allocFloats(BATCH * F * out * out), backend.allocFloats(F * C * 9), backend.allocFloats(F), backend.allocFloats(BATCH * C * side * side)];
    const forward = cpuMs(() => backend.conv2dForward(s, x, w, b, y));
    const backward = cpuMs(() => backend.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: dw, dBias: db, dInput: dx }));
    console.log(`${C} → ${F}, ${side}×${side}${P === 1 ? '' : `, padding ${P}`}: forward ${forward.toFixed(3)}, backward ${backward.toFixed(3)}`);
    for (const array of [x, w, b, dy, y, dw, db, dx]) backend.free(array);
  }
  backend.dispose();
}

await main();
