/**
 * The conv2d parity checks the wasm convolution tests share (test/wasm-layers.test.ts, valid convolutions;
 * test/wasm-conv-stride-padding.test.ts, stride and padding): the wasm forward and backward against the
 * float32 reference within test/parity.ts's summation bound, Σ|terms| from the reference run on absolute
 * values and n the number of terms the reference adds for that output (plus the bias or the gradient
 * already accumulated, and one per image for a weight gradient the wasm backend sums image by image).
 */
import { expect } from 'vitest';
import type { Conv2dShape } from '../src/backend/backend.js';
import { convGeometry } from '../src/backend/backend.js';
import { Random } from '../src/random.js';
import { expectParity, sumTolerance } from './parity.js';
import { absolute, randomFloats, reference, wasm } from './wasm-fixtures.js';

/** The element counts of a convolution's tensors, and its output positions OH·OW and patch length C·K·K. */
export function convSizes(s: Conv2dShape) {
  const { outHeight, outWidth } = convGeometry(s);
  const positions = outHeight * outWidth;
  return {
    positions,
    patch: s.inChannels * s.kernelSize ** 2,
    input: s.batch * s.inChannels * s.height * s.width,
    weight: s.outChannels * s.inChannels * s.kernelSize ** 2,
    output: s.batch * s.outChannels * positions,
  };
}

/**
 * A convolution's random operands in wasm memory, drawn in this order: input, weight, bias, dOutput, dWeight and
 * dBias (to be accumulated into), then dInput and the output (garbage, to be overwritten).
 */
export function convOperands(s: Conv2dShape, random: Random) {
  const n = convSizes(s);
  return {
    x: randomFloats(n.input, random),
    w: randomFloats(n.weight, random),
    b: randomFloats(s.outChannels, random),
    dy: randomFloats(n.output, random),
    dw: randomFloats(n.weight, random),
    db: randomFloats(s.outChannels, random),
    dx: randomFloats(n.input, random),
    y: randomFloats(n.output, random),
  };
}

/**
 * Forward and backward (dInput included) against the reference, the checks named `name …`; the output and
 * dInput start as garbage (they are overwritten), the parameter gradients non-zero (they are accumulated).
 * Returns the random operands and the wasm output, with the output's Σ|terms|, for a caller's further checks.
 */
export function checkConv2dParity(name: string, s: Conv2dShape, random: Random) {
  const n = convSizes(s);
  const { x, w, b, dy, dw, db, dx, y } = convOperands(s, random);

  const expected = { y: new Float32Array(n.output), dw: dw.slice(), db: db.slice(), dx: new Float32Array(n.input) };
  reference.conv2dForward(s, x, w, b, expected.y);
  reference.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: expected.dw, dBias: expected.db, dInput: expected.dx });
  const scale = { y: new Float32Array(n.output), dw: absolute(dw), db: absolute(db), dx: new Float32Array(n.input) };
  reference.conv2dForward(s, absolute(x), absolute(w), absolute(b), scale.y);
  reference.conv2dBackward(s, { input: absolute(x), weight: absolute(w), dOutput: absolute(dy), dWeight: scale.dw, dBias: scale.db, dInput: scale.dx });

  wasm.conv2dForward(s, x, w, b, y);
  wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: dw, dBias: db, dInput: dx });

  const images = s.batch * n.positions;
  expectParity(`${name} output`, y, expected.y, sumTolerance(n.patch + 1, scale.y));
  expectParity(`${name} dWeight`, dw, expected.dw, sumTolerance(images + s.batch + 1, scale.dw));
  expectParity(`${name} dBias`, db, expected.db, sumTolerance(images + 1, scale.db));
  expectParity(`${name} dInput`, dx, expected.dx, sumTolerance(s.outChannels * s.kernelSize ** 2 + 1, scale.dx));
  return { input: x, weight: w, bias: b, output: y, outputScale: scale.y };
}

/** A backward pass with dInput null leaves the parameter gradients exactly as one with it. */
export function checkConv2dWithoutDInput(s: Conv2dShape, seed: number): void {
  const random = new Random(seed);
  const n = convSizes(s);
  const x = randomFloats(n.input, random);
  const w = randomFloats(n.weight, random);
  const dy = randomFloats(n.output, random);
  const withInput = { dw: wasm.allocFloats(n.weight), db: wasm.allocFloats(s.outChannels) };
  const without = { dw: wasm.allocFloats(n.weight), db: wasm.allocFloats(s.outChannels) };
  wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: withInput.dw, dBias: withInput.db, dInput: wasm.allocFloats(n.input) });
  wasm.conv2dBackward(s, { input: x, weight: w, dOutput: dy, dWeight: without.dw, dBias: without.db, dInput: null });
  expect(without.dw).toEqual(withInput.dw);
  expect(without.db).toEqual(withInput.db);
}
