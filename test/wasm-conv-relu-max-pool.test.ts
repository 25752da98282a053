/**
 * An evaluation pass's first block in one pass (assembly/direct-convolution.ts directConvolutionReluMaxPool,
 * WasmBackend.conv2dReluMaxPoolForward): a convolution, its ReLU and a 2×2, stride-2 max pool, the map never stored.
 * What it takes and what it hands back (false: nothing written); a worked example in small integers on every way a
 * row of the pool can end; NaN and −0 under the ReLU; its scratch; and, on both kernel builds, over random shapes it
 * takes, the pooled output bit for bit conv2dReluForward's map pooled by maxPool2dForward, nothing written past it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Conv2dShape, Pool2dShape } from '../src/backend/backend.js';
import { convGeometry, poolGeometry } from '../src/backend/backend.js';
import type { KernelExports } from '../src/backend/wasm/kernels.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { errorOf } from './errors.js';
import { directConvShapes } from './fixtures/conv-shapes.js';
import { bothBuilds, SMALL_MEMORY } from './fixtures/both-builds.js';
import { fenced, SENTINEL, TAIL } from './fixtures/memory-fences.js';
import { convolutionByDefinition, smallIntegerOperands } from './fixtures/small-integer-convolution.js';

const builds = await bothBuilds();

/** The pool a convolution's output feeds: 2×2, stride 2 unless given. */
function poolOf(s: Conv2dShape, kernelSize = 2, stride = kernelSize): Pool2dShape {
  const { outHeight, outWidth } = convGeometry(s);
  return { batch: s.batch, channels: s.outChannels, height: outHeight, width: outWidth, kernelSize, stride };
}

function inBackend(backend: WasmBackend, values: ArrayLike<number>): Float32Array {
  const array = backend.allocFloats(values.length);
  array.set(values);
  return array;
}

/** The one pass on `backend`, its output fenced: whether it ran, the pooled output and what followed it. */
function onePass(backend: WasmBackend, s: Conv2dShape, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, pool = poolOf(s)) {
  const [input, weight, bias] = [x, w, b].map((values) => inBackend(backend, values));
  const { outHeight, outWidth } = poolGeometry(pool);
  const pooled = fenced(backend, new Float32Array(pool.batch * pool.channels * outHeight * outWidth).fill(-99));
  const ran = backend.conv2dReluMaxPoolForward(s, pool, input, weight, bias, pooled.array);
  const result = { ran, pooled: Float32Array.from(pooled.array), tail: pooled.tail() };
  for (const array of [input, weight, bias]) backend.free(array);
  return result;
}

/** The two passes it stands for: conv2dReluForward's map, then maxPool2dForward's pooled output. */
function twoPasses(backend: WasmBackend, s: Conv2dShape, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>): Float32Array {
  const [input, weight, bias] = [x, w, b].map((values) => inBackend(backend, values));
  const pool = poolOf(s);
  const map = backend.allocFloats(pool.batch * pool.channels * pool.height * pool.width);
  backend.conv2dReluForward(s, input, weight, bias, map);
  const pooledLength = pool.batch * pool.channels * Math.floor(pool.height / 2) * Math.floor(pool.width / 2);
  const pooled = backend.allocFloats(pooledLength);
  backend.maxPool2dForward(pool, map, pooled, backend.allocInts(pooledLength));
  const result = Float32Array.from(pooled);
  for (const array of [input, weight, bias, map, pooled]) backend.free(array);
  return result;
}

/** max(conv + bias, 0) pooled 2×2/2, by definition in float64 (exact on small integers); odd last rows and columns left out. */
function definition(s: Conv2dShape, x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>): number[] {
  const { outHeight, outWidth } = convGeometry(s);
  const map = convolutionByDefinition(s, x, w, b, true); // [N, F, OH, OW]
  const at = (plane: number, y: number, xx: number) => map[(plane * outHeight + y) * outWidth + xx];
  const out: number[] = [];
  for (let plane = 0; plane < s.batch * s.outChannels; plane++) {
    for (let i = 0; i < Math.floor(outHeight / 2); i++) {
      for (let j = 0; j < Math.floor(outWidth / 2); j++) out.push(Math.max(at(plane, 2 * i, 2 * j), at(plane, 2 * i, 2 * j + 1), at(plane, 2 * i + 1, 2 * j), at(plane, 2 * i + 1, 2 * j + 1)));
    }
  }
  return out;
}

describe('conv2dReluMaxPoolForward: what it takes', () => {
  const paper: Conv2dShape = { batch: 2, inChannels: 1, height: 28, width: 28, outChannels: 32, kernelSize: 3 };
  const x = new Array(2 * 784).fill(0.5);
  const w = new Array(32 * 9).fill(0.25);
  const b = new Array(32).fill(0);

  it('the paper\'s conv1 and its pool; not a pool other than 2×2 of stride 2, nor a convolution the direct kernel does not make', () => {
    for (const [build, backend] of builds) {
      expect(onePass(backend, paper, x, w, b).ran, build).toBe(true);
      const declined: [string, Conv2dShape, Pool2dShape][] = [
        ['a 3×3 pool', paper, poolOf(paper, 3, 2)],
        ['a 2×2 pool of stride 1', paper, poolOf(paper, 2, 1)],
        ['a strided convolution', { ...paper, stride: 2 }, poolOf({ ...paper, stride: 2 })],
        ['48 taps', { ...paper, inChannels: 3, kernelSize: 4 }, poolOf({ ...paper, inChannels: 3, kernelSize: 4 })],
        ['a map 7 wide (narrower than the direct kernel takes)', { ...paper, width: 9 }, poolOf({ ...paper, width: 9 })],
      ];
      for (const [what, s, pool] of declined) {
        const wants = s.outChannels * s.inChannels * s.kernelSize ** 2;
        const { ran, pooled } = onePass(backend, s, new Array(s.batch * s.inChannels * s.height * s.width).fill(0.5), new Array(wants).fill(0.25), b, pool);
        expect(ran, `${build}: ${what}`).toBe(false);
        expect(pooled.every((v) => v === -99), `${build}: ${what}: nothing written`).toBe(true);
      }
    }
  });

  it('refuses arrays that are not the shapes\' and a pool that is not over the convolution\'s output, before anything runs', () => {
    const backend = builds[0][1];
    const [input, weight, bias] = [x, w, b].map((values) => inBackend(backend, values));
    const pooled = backend.allocFloats(2 * 32 * 13 * 13);
    expect(errorOf(() => backend.conv2dReluMaxPoolForward(paper, poolOf(paper), input.subarray(1), weight, bias, pooled), 'ERR_BAD_ARGUMENT').message).toBe('conv2dReluMaxPoolForward: input has length 1567, expected 1568');
    expect(errorOf(() => backend.conv2dReluMaxPoolForward(paper, poolOf(paper), input, weight, bias, pooled.subarray(1))).message).toBe('conv2dReluMaxPoolForward: output has length 10815, expected 10816');
    expect(errorOf(() => backend.conv2dReluMaxPoolForward(paper, { ...poolOf(paper), channels: 16 }, input, weight, bias, pooled.subarray(0, 2 * 16 * 169))).message).toBe(
      "conv2dReluMaxPoolForward: the pool's input (2×16×26×26) must be the convolution's output (2×32×26×26)",
    );
    expect(errorOf(() => backend.conv2dReluMaxPoolForward(paper, poolOf(paper), input, weight, [0] as unknown as Float32Array, pooled)).message).toBe('conv2dReluMaxPoolForward: bias has length 1, expected 32');
    // every dimension of the pool's input checked against the convolution's output
    const mismatch = (pool: Pool2dShape) => errorOf(() => backend.conv2dReluMaxPoolForward(paper, pool, input, weight, bias, backend.allocFloats(pool.batch * pool.channels * (pool.height >> 1) * (pool.width >> 1))), 'ERR_BAD_ARGUMENT').message;
    expect(mismatch({ ...poolOf(paper), batch: 1 })).toBe("conv2dReluMaxPoolForward: the pool's input (1×32×26×26) must be the convolution's output (2×32×26×26)");
    expect(mismatch({ ...poolOf(paper), height: 24 })).toBe("conv2dReluMaxPoolForward: the pool's input (2×32×24×26) must be the convolution's output (2×32×26×26)");
    expect(mismatch({ ...poolOf(paper), width: 24 })).toBe("conv2dReluMaxPoolForward: the pool's input (2×32×26×24) must be the convolution's output (2×32×26×26)");
    // arrays not in the backend's memory, named — and so when the shapes are ones it declines
    const plain = { input: new Float32Array(input.length), weight: new Float32Array(weight.length), bias: new Float32Array(32), pooled: new Float32Array(pooled.length) };
    const outside = (name: keyof typeof plain, pool = poolOf(paper)) => {
      const args = { input, weight, bias, pooled, [name]: plain[name] };
      return errorOf(() => backend.conv2dReluMaxPoolForward(paper, pool, args.input, args.weight, args.bias, args.pooled), 'ERR_BAD_ARGUMENT').message;
    };
    for (const name of ['input', 'weight', 'bias', 'pooled'] as const) expect(outside(name)).toContain(`conv2dReluMaxPoolForward: ${name} is not in this wasm backend's memory`);
    const strided = { ...poolOf(paper), stride: 1 };
    expect(errorOf(() => backend.conv2dReluMaxPoolForward(paper, strided, input, weight, bias, new Float32Array(2 * 32 * 25 * 25))).message).toContain("conv2dReluMaxPoolForward: pooled is not in this wasm backend's memory");
    for (const array of [input, weight, bias, pooled]) backend.free(array);
  });

  it('fits what its kernel writes into the scratch it takes, on a fresh backend (a fence allocated after a first pass stays intact through a second)', async () => {
    // 3 channels, 3×3: 27 taps, the largest scratch of these shapes; the first call on the backend grows it
    for (const s of [{ ...paper, inChannels: 3, batch: 1 }, { ...paper, kernelSize: 5, padding: 2, outChannels: 6, batch: 1 }]) {
      const fresh = await createWasmBackend({ ...SMALL_MEMORY, build: 'simd' });
      try {
        const wants = s.outChannels * s.inChannels * s.kernelSize ** 2;
        const [input, weight, bias] = [new Array(s.inChannels * 784).fill(0.5), new Array(wants).fill(0.25), new Array(s.outChannels).fill(0)].map((values) => inBackend(fresh, values));
        const pool = poolOf(s);
        const pooled = fresh.allocFloats(s.outChannels * (pool.height >> 1) * (pool.width >> 1));
        expect(fresh.conv2dReluMaxPoolForward(s, pool, input, weight, bias, pooled)).toBe(true);
        const fence = fresh.allocFloats(4096).fill(SENTINEL);
        fresh.conv2dReluMaxPoolForward(s, pool, input, weight, bias, pooled);
        expect([...fence], JSON.stringify(s)).toEqual(new Array(4096).fill(SENTINEL));
      } finally {
        fresh.dispose();
      }
    }
  });
});

describe('conv2dReluMaxPoolForward: a worked example in small integers', () => {
  // Pooled rows of every ending: 4 wide (two pairs), 5 (a last pair from 3, overlapping), 8 (four), 9 (four and one from 7);
  // maps of odd height and width (a last row or column the pool leaves out); F = 6 and 11 (a partial sliver on
  // either build) and 1; 2 channels; padding 0 and 2.
  const shapes: Conv2dShape[] = [
    { batch: 1, inChannels: 1, height: 4, width: 10, outChannels: 1, kernelSize: 3 },
    { batch: 2, inChannels: 2, height: 5, width: 13, outChannels: 6, kernelSize: 3 },
    { batch: 1, inChannels: 1, height: 3, width: 16, outChannels: 11, kernelSize: 1 },
    { batch: 1, inChannels: 1, height: 6, width: 19, outChannels: 6, kernelSize: 5, padding: 2 },
  ];
  for (const s of shapes) {
    const { outHeight, outWidth } = convGeometry(s);
    it(`${s.inChannels} → ${s.outChannels} channels, ${s.kernelSize}×${s.kernelSize}, padding ${s.padding ?? 0}, a ${outHeight}×${outWidth} map: the definition exactly`, () => {
      // biases of both signs: maps with zeros and positives to pool
      const { x, w, b } = smallIntegerOperands(s);
      const expected = definition(s, x, w, b);
      expect(expected.some((v) => v > 0)).toBe(true);
      if (s.outChannels > 1) expect(expected.some((v) => v === 0)).toBe(true); // (the odd filters' bias −4)
      for (const [build, backend] of builds) {
        const { ran, pooled, tail } = onePass(backend, s, x, w, b);
        expect(ran, build).toBe(true);
        expect([...pooled], build).toEqual(expected);
        expect(tail, `${build}: nothing written past the output`).toEqual(new Array(TAIL).fill(SENTINEL));
      }
    });
  }

  it('pools +0 where the ReLU met NaN or −0, as the two passes do', () => {
    // One filter of weight 1 on a 2×8 image: windows (NaN, 1 | 2, 3), (−0, −0 | −0, −0), (−1, −2 | 5, NaN), (4, 4 | 4, 4).
    const s: Conv2dShape = { batch: 1, inChannels: 1, height: 2, width: 8, outChannels: 1, kernelSize: 1 };
    const x = [NaN, 1, -0, -0, -1, -2, 4, 4, 2, 3, -0, -0, 5, NaN, 4, 4];
    for (const [build, backend] of builds) {
      const { pooled } = onePass(backend, s, x, [1], [0]);
      expect([...pooled], build).toEqual([3, 0, 5, 4]);
      expect(Object.is(pooled[1], 0), `${build}: +0, not −0`).toBe(true);
      expect([...twoPasses(backend, s, x, [1], [0])], build).toEqual([...pooled]);
    }
  });
});

describe('directConvolutionReluMaxPool: its scratch', () => {
  it('is directConvolution\'s (the taps\' offsets, then the weights in slivers); the kernel writes inside it', () => {
    for (const [build, backend] of builds) {
      const kernels = (backend as unknown as { kernels: KernelExports }).kernels;
      for (const [C, K] of [[1, 1], [1, 3], [1, 5], [3, 3], [2, 4]]) {
        for (const F of [1, 6, 32]) {
          const taps = C * K * K;
          const [H, W] = [K + 1, K + 7]; // a map 2 × 8: one pooled row 4 wide
          const image = backend.allocFloats(C * H * W).fill(1);
          const weight = backend.allocFloats(F * taps).fill(1);
          const bias = backend.allocFloats(F);
          const pooled = backend.allocFloats(F * 4);
          const scratch = fenced(backend, new Float32Array(kernels.directConvolutionScratchFloats(taps, F)));
          kernels.directConvolutionReluMaxPool(image.byteOffset, C, H, W, K, weight.byteOffset, F, bias.byteOffset, pooled.byteOffset, scratch.array.byteOffset);
          expect([...pooled], `${build}, ${taps} taps, F ${F}`).toEqual(new Array(F * 4).fill(taps));
          expect(scratch.tail(), `${build}, ${taps} taps, F ${F}: nothing written past the scratch`).toEqual(new Array(TAIL).fill(SENTINEL));
          for (const array of [image, weight, bias, pooled]) backend.free(array);
        }
      }
    }
  });
});

/** Shapes it takes: 1–3 channels, kernels 1–5 (at most 32 taps), 1–17 filters, paddings 0–2, maps 2–9 high and 8–23 wide. */
const shapes = directConvShapes({ min: 2, max: 9 }, { min: 8, max: 23 });

describe('conv2dReluMaxPoolForward over random shapes it takes (both builds)', () => {
  it('equals conv2dReluForward then maxPool2dForward bit for bit, writing nothing past the output', () => {
    fc.assert(
      fc.property(shapes, fc.integer(), (s, seed) => {
        const wave = (k: number, scale: number) => Math.fround(Math.sin(seed + k * scale));
        const x = Array.from({ length: s.batch * s.inChannels * s.height * s.width }, (_, k) => wave(k, 1.3));
        const w = Array.from({ length: s.outChannels * s.inChannels * s.kernelSize ** 2 }, (_, k) => wave(k, 2.9) / 2);
        const b = Array.from({ length: s.outChannels }, (_, k) => wave(k, 0.7) / 4);
        for (const [build, backend] of builds) {
          const { ran, pooled, tail } = onePass(backend, s, x, w, b);
          expect(ran, build).toBe(true);
          expect([...pooled], build).toEqual([...twoPasses(backend, s, x, w, b)]);
          expect(tail, `${build}: nothing written past the output`).toEqual(new Array(TAIL).fill(SENTINEL));
        }
      }),
      { numRuns: 60 },
    );
  });
});
