/**
 * The wasm backend's TypeScript side around the kernels (src/backend/wasm/wasm-backend.ts, kernels.ts): how it
 * is created (the memory's maximum from maximumBytes, the build it reports), a second thread's backend attached
 * to the same memory, what only the factories may make, the scratch a disposed backend gives back, addInto,
 * the exact refusal of every array of every kernel that is not this backend's float32 (or int32) array, the
 * GEMM entry points' sizes, imagesPerGemm's choice and simdCeiling's count. The kernels' numbers are the parity
 * tests' (test/wasm-*.test.ts); here the glue.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Floats } from '../src/backend/backend.js';
import { WasmArena } from '../src/backend/wasm/arena.js';
import { compileKernels, createSharedMemory, instantiateKernels, validates } from '../src/backend/wasm/kernels.js';
import { kernelsWasmPath } from '../src/backend/wasm/node.js';
import { attachWasmBackend, createWasmBackendFromBytes, imagesPerGemm, WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { errorOf, rejection } from './errors.js';

const simdBytes = readFileSync(kernelsWasmPath('simd'));
const PAGE = 65536;
const small = { maximumBytes: 64 * 1024 * 1024 };
const backend = await createWasmBackendFromBytes(simdBytes, small);
afterAll(() => backend.dispose());

describe('createWasmBackendFromBytes', () => {
  it('reserves the maximum memory in whole pages: maximumBytes rounded down, at least the 64 initial pages, at most 4 GiB', async () => {
    const cases: [number | undefined, number][] = [
      [undefined, 65536],
      [100 * PAGE, 100],
      [100 * PAGE + PAGE - 1, 100],
      [1, 64],
      [65 * PAGE, 65],
      [2 ** 40, 65536],
    ];
    for (const [maximumBytes, pages] of cases) {
      const made = await createWasmBackendFromBytes(simdBytes, maximumBytes === undefined ? {} : { maximumBytes });
      expect(made.shared.maximumPages).toBe(pages);
      expect(made.memoryStats().maximumBytes).toBe(pages * PAGE);
      made.dispose();
    }
  });

  it("reports the build it was told (the bytes' own), simd by default", async () => {
    expect(backend.build).toBe('simd');
    expect(backend.shared.build).toBe('simd');
    const told = await createWasmBackendFromBytes(simdBytes, { ...small, build: 'relaxed-simd' });
    expect(told.build).toBe('relaxed-simd');
    told.dispose();
  });

  it('refuses what is not bytes, and options that are not an object', async () => {
    expect((await rejection(createWasmBackendFromBytes('kernels.wasm' as unknown as Uint8Array))).message).toBe(
      'createWasmBackendFromBytes: bytes must be bytes: an ArrayBuffer or a Uint8Array, not string',
    );
    expect((await rejection(createWasmBackendFromBytes(simdBytes, null as unknown as object))).message).toBe(
      'createWasmBackendFromBytes: options must be an object (its options), not null',
    );
  });
});

describe('the module and its memory (kernels.ts)', () => {
  it('validates the kernels, and neither other bytes nor what is not bytes', () => {
    expect(validates(simdBytes)).toBe(true);
    expect(validates(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 99]))).toBe(false);
    expect(validates('kernels' as unknown as Uint8Array)).toBe(false);
  });

  it('refuses bytes that do not compile as a setup error naming the rebuild', async () => {
    const error = await rejection(compileKernels(new Uint8Array([1, 2, 3, 4])));
    expect(error.code).toBe('ERR_SETUP');
    expect(error.message).toMatch(/^could not compile the WebAssembly kernels \(CompileError: .+\): rebuild them with `npm run build:wasm`; they need a JavaScript engine with WebAssembly SIMD and threads \(Node ≥ 20\)$/);
    expect(error.cause).toBeInstanceOf(WebAssembly.CompileError);
  });

  it('says a shared memory that cannot be made needs SharedArrayBuffer (a maximum below the initial size)', () => {
    const error = errorOf(() => createSharedMemory(2, 1), 'ERR_SETUP');
    expect(error.message).toBe(
      'the wasm backend needs shared WebAssembly memory (SharedArrayBuffer); in a browser, serve the page cross-origin isolated (COOP/COEP headers), or use the ts backend',
    );
    expect(error.cause).toBeInstanceOf(RangeError);
    const memory = createSharedMemory(1, 3);
    expect(memory.buffer.byteLength).toBe(PAGE);
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
  });
});

describe('attachWasmBackend: a second thread\'s backend over the same memory', () => {
  it('shares the arena: each owns and computes on the other\'s arrays', async () => {
    const attached = await attachWasmBackend(backend.shared);
    expect(attached.build).toBe('simd');
    const x = backend.allocFloats(4);
    x.set([-1, 2, -3, 4]);
    const y = attached.allocFloats(4);
    expect(backend.owns(y)).toBe(true);
    expect(attached.owns(x)).toBe(true);
    attached.reluForward(x, y);
    expect([...y]).toEqual([0, 2, 0, 4]);
    expect([...attached.viewFloats(x.byteOffset, 4)]).toEqual([-1, 2, -3, 4]);
    const ints = backend.allocInts(2);
    ints.set([7, -8]);
    expect([...attached.viewInts(ints.byteOffset, 2)]).toEqual([7, -8]);
    // The batch capacity lives in the arena's header: what one grows, the other sees.
    const capacity = backend.growBatchCapacity(1);
    expect(attached.growBatchCapacity(capacity + 2)).toBe(capacity + 2);
    expect(backend.growBatchCapacity(1)).toBe(capacity + 2);
    attached.dispose();
    backend.free(x);
    backend.free(y);
    backend.free(ints);
  });

  it('refuses what is not a backend\'s shared kernels', async () => {
    const words = "attachWasmBackend: shared must be a WasmBackend's shared kernels (its module and memory: backend.shared), not";
    expect((await rejection(attachWasmBackend({} as never))).message).toBe(`${words} Object`);
    expect((await rejection(attachWasmBackend({ ...backend.shared, maximumPages: '4' } as never))).message).toBe(`${words} Object`);
  });

  it("gives its GEMM panels, every convolution scratch block and the imputation solve's back to the shared arena when disposed", async () => {
    // Arrays of the first backend for three convolutions that need each kind of scratch on the second.
    const padded = { batch: 1, inChannels: 1, height: 4, width: 4, outChannels: 2, kernelSize: 3, padding: 1 }; // the bordered image, the columns
    const strided = { batch: 5, inChannels: 1, height: 5, width: 5, outChannels: 2, kernelSize: 3, stride: 2 }; // 2×2 maps: a group's columns and product
    const wide = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 4, kernelSize: 1 }; // patch 1 < F 4: the transposed dW
    const arrays = [padded, strided, wide].map((s) => {
      const out = (s.height + 2 * (s.padding ?? 0) - s.kernelSize) / (s.stride ?? 1) + 1;
      const input = backend.allocFloats(s.batch * s.inChannels * s.height * s.width).fill(1);
      const weight = backend.allocFloats(s.outChannels * s.inChannels * s.kernelSize ** 2).fill(1);
      const bias = backend.allocFloats(s.outChannels);
      const output = backend.allocFloats(s.batch * s.outChannels * out * out);
      const gradients = { input, weight, dOutput: output, dWeight: backend.allocFloats(weight.length), dBias: backend.allocFloats(bias.length), dInput: backend.allocFloats(input.length) };
      return { s, input, weight, bias, output, gradients };
    });
    const before = backend.memoryStats().usedBytes;
    const attached = await attachWasmBackend(backend.shared);
    const panels = backend.memoryStats().usedBytes - before;
    expect(panels).toBeGreaterThan(0);
    for (const { s, input, weight, bias, output, gradients } of arrays) {
      attached.conv2dForward(s, input, weight, bias, output);
      attached.conv2dBackward(s, gradients);
    }
    const withConvolutions = backend.memoryStats().usedBytes;
    expect(withConvolutions).toBeGreaterThan(before + panels);
    attached.solveImputation({ stride: 4, cells: Int32Array.of(5, 6), diagonal: Float64Array.of(1, 1) }, Float64Array.of(1, 2), 1e-6, 4);
    expect(backend.memoryStats().usedBytes).toBeGreaterThan(withConvolutions); // ROAD's solve took scratch of its own
    attached.dispose();
    expect(backend.memoryStats().usedBytes).toBe(before);
    for (const { input, weight, bias, output, gradients } of arrays) {
      for (const array of [input, weight, bias, output, gradients.dWeight, gradients.dBias, gradients.dInput]) backend.free(array);
    }
  });
});

describe('what only the factories make', () => {
  const made = 'createWasmBackendFromBytes or createWasmBackend makes the backend: call it instead of the constructor';

  it('refuses kernels, an arena or shared kernels of another kind, naming the factories', async () => {
    const shared = backend.shared;
    const kernels = await instantiateKernels(shared.module, shared.memory);
    const arena = () => WasmArena.attach(shared.memory, kernels.heapBase(), shared.maximumPages);
    expect(errorOf(() => new WasmBackend({} as never, arena(), shared), 'ERR_BAD_ARGUMENT').message).toBe(
      `WasmBackend: kernels.gemmAPanelFloats must be a function (kernels: the kernels' exports: ${made}), not undefined`,
    );
    expect(errorOf(() => new WasmBackend({ ...kernels, gemmWorkspace: 1 } as never, arena(), shared), 'ERR_BAD_ARGUMENT').message).toBe(
      `WasmBackend: kernels.gemmWorkspace must be a function (kernels: the kernels' exports: ${made}), not number`,
    );
    expect(errorOf(() => new WasmBackend({ ...kernels, heapBase: null } as never, arena(), shared), 'ERR_BAD_ARGUMENT').message).toBe(
      `WasmBackend: kernels.heapBase must be a function (kernels: the kernels' exports: ${made}), not null`,
    );
    expect(errorOf(() => new WasmBackend(kernels, {} as never, shared), 'ERR_BAD_ARGUMENT').message).toBe(`WasmBackend: arena must be a WasmArena (${made}), not Object`);
    expect(errorOf(() => new WasmBackend(kernels, arena(), null as never), 'ERR_BAD_ARGUMENT').message).toBe(
      "WasmBackend: shared must be a WasmBackend's shared kernels (its module and memory: backend.shared), not null",
    );
    const byHand = new WasmBackend(kernels, arena(), shared);
    expect(byHand.build).toBe('simd');
    byHand.dispose();
  });
});

describe('free and dispose', () => {
  it('frees an int array too, and refuses what is not a float32 or int32 array, naming its kind', () => {
    const ints = backend.allocInts(1000);
    const used = backend.memoryStats().usedBytes;
    backend.free(ints);
    expect(backend.memoryStats().usedBytes).toBeLessThan(used);
    expect(errorOf(() => backend.free(new Float64Array(2)), 'ERR_BAD_ARGUMENT').message).toBe("free: a Float64Array is not an array of this wasm backend's");
    expect(errorOf(() => backend.free([1, 2] as never), 'ERR_BAD_ARGUMENT').message).toBe("free: a Array is not an array of this wasm backend's");
    expect(errorOf(() => backend.free(null as never), 'ERR_BAD_ARGUMENT').message).toBe("free: a null is not an array of this wasm backend's");
    expect(errorOf(() => backend.free(Object.create(null) as never), 'ERR_BAD_ARGUMENT').message).toBe("free: a object is not an array of this wasm backend's");
    expect(errorOf(() => backend.free(undefined as never), 'ERR_BAD_ARGUMENT').message).toBe("free: a undefined is not an array of this wasm backend's");
  });

  it('once disposed, refuses its shared kernels and its build, and every kernel', async () => {
    const doomed = await createWasmBackendFromBytes(simdBytes, small);
    const x = doomed.allocFloats(2);
    doomed.dispose();
    const disposed = 'this wasm backend was disposed (dispose() let go of its memory); create a new backend and load the model on it';
    expect(errorOf(() => doomed.shared, 'ERR_DISPOSED').message).toBe(disposed);
    expect(errorOf(() => doomed.build, 'ERR_DISPOSED').message).toBe(disposed);
    expect(errorOf(() => doomed.addInto(x, x), 'ERR_DISPOSED').message).toBe(disposed);
    expect(errorOf(() => doomed.owns(x), 'ERR_DISPOSED').message).toBe(disposed);
    expect(errorOf(() => doomed.allocInts(1), 'ERR_DISPOSED').message).toBe(disposed);
    expect(errorOf(() => doomed.growBatchCapacity(2), 'ERR_DISPOSED').message).toBe(disposed);
    expect(errorOf(() => doomed.simdCeiling(1), 'ERR_DISPOSED').message).toBe(disposed); // the kernels alone, no arena
  });
});

describe('addInto', () => {
  it('adds src into dst, elementwise', () => {
    const dst = backend.allocFloats(5);
    const src = backend.allocFloats(5);
    dst.set([1, 2, 3, 4, 5]);
    src.set([0.5, -2, 4, 0, -10]);
    backend.addInto(dst, src);
    expect([...dst]).toEqual([1.5, 0, 7, 4, -5]);
    expect([...src]).toEqual([0.5, -2, 4, 0, -10]);
  });

  it('refuses arrays of two lengths, or from elsewhere, naming which', () => {
    const dst = backend.allocFloats(3);
    expect(errorOf(() => backend.addInto(dst, backend.allocFloats(2)), 'ERR_BAD_ARGUMENT').message).toBe('addInto: src has length 2, but dst has 3');
    expect(errorOf(() => backend.addInto(new Float32Array(3), dst), 'ERR_BAD_ARGUMENT').message).toBe(
      "addInto: dst is not in this wasm backend's memory: allocate it with this backend's allocFloats (or take a subarray of such an array)",
    );
    expect(errorOf(() => backend.addInto(dst, new Float32Array(3)), 'ERR_BAD_ARGUMENT').message).toBe(
      "addInto: src is not in this wasm backend's memory: allocate it with this backend's allocFloats (or take a subarray of such an array)",
    );
  });
});

/**
 * Every kernel with arrays of the right lengths, each made by `make` (this backend's, or a stand-in): the
 * kernel's name as its messages give it, the names of its float arrays and its int arrays, and the call.
 */
type Arrays = Record<string, Floats | Int32Array>;
interface KernelCall {
  kernel: string;
  floats: Record<string, number>;
  ints?: Record<string, number>;
  call: (a: Arrays) => unknown;
}

const conv = { batch: 1, inChannels: 1, height: 3, width: 3, outChannels: 2, kernelSize: 2 }; // input 9, weight 8, bias 2, output 8
const dense = { batch: 1, inFeatures: 2, outFeatures: 3 };
const pool = { batch: 1, channels: 1, height: 2, width: 2 }; // input 4, output 1
const norm = { batch: 1, channels: 1, positions: 2 };
const f = (a: Arrays, name: string) => a[name] as Float32Array;
const i = (a: Arrays, name: string) => a[name] as Int32Array;
const convGradients = (a: Arrays) => ({ input: f(a, 'input'), weight: f(a, 'weight'), dOutput: f(a, 'dOutput'), dWeight: f(a, 'dWeight'), dBias: f(a, 'dBias'), dInput: f(a, 'dInput') });
const image = { channels: 1, height: 2, width: 2, kernelSize: 1 }; // patch 1, positions 4

const KERNELS: KernelCall[] = [
  { kernel: 'conv2dForward', floats: { input: 9, weight: 8, bias: 2, output: 8 }, call: (a) => backend.conv2dForward(conv, f(a, 'input'), f(a, 'weight'), f(a, 'bias'), f(a, 'output')) },
  { kernel: 'conv2dReluForward', floats: { input: 9, weight: 8, bias: 2, output: 8 }, call: (a) => backend.conv2dReluForward(conv, f(a, 'input'), f(a, 'weight'), f(a, 'bias'), f(a, 'output')) },
  { kernel: 'conv2dBackward', floats: { input: 9, weight: 8, dOutput: 8, dWeight: 8, dBias: 2, dInput: 9 }, call: (a) => backend.conv2dBackward(conv, convGradients(a)) },
  { kernel: 'denseForward', floats: { input: 2, weight: 6, bias: 3, output: 3 }, call: (a) => backend.denseForward(dense, f(a, 'input'), f(a, 'weight'), f(a, 'bias'), f(a, 'output')) },
  { kernel: 'denseBackward', floats: { input: 2, weight: 6, dOutput: 3, dWeight: 6, dBias: 3, dInput: 2 }, call: (a) => backend.denseBackward(dense, convGradients(a)) },
  { kernel: 'reluForward', floats: { input: 4, output: 4 }, call: (a) => backend.reluForward(f(a, 'input'), f(a, 'output')) },
  { kernel: 'reluBackward', floats: { output: 4, dOutput: 4, dInput: 4 }, call: (a) => backend.reluBackward(f(a, 'output'), f(a, 'dOutput'), f(a, 'dInput')) },
  { kernel: 'maxPool2dForward', floats: { input: 4, output: 1 }, ints: { argmax: 1 }, call: (a) => backend.maxPool2dForward(pool, f(a, 'input'), f(a, 'output'), i(a, 'argmax')) },
  { kernel: 'maxPool2dBackward', floats: { dOutput: 1, dInput: 4 }, ints: { argmax: 1 }, call: (a) => backend.maxPool2dBackward(pool, f(a, 'dOutput'), i(a, 'argmax'), f(a, 'dInput')) },
  { kernel: 'avgPool2dForward', floats: { input: 4, output: 1 }, call: (a) => backend.avgPool2dForward(pool, f(a, 'input'), f(a, 'output')) },
  { kernel: 'avgPool2dBackward', floats: { dOutput: 1, dInput: 4 }, call: (a) => backend.avgPool2dBackward(pool, f(a, 'dOutput'), f(a, 'dInput')) },
  ...(['batchNormForward', 'batchNormReluForward'] as const).map((kernel) => ({
    kernel,
    floats: { input: 2, gamma: 1, beta: 1, runningMean: 1, runningVar: 1, savedMean: 1, savedInvStd: 1, output: 2 },
    call: (a: Arrays) =>
      backend[kernel](norm, f(a, 'input'), f(a, 'output'), {
        gamma: f(a, 'gamma'), beta: f(a, 'beta'), runningMean: f(a, 'runningMean'), runningVar: f(a, 'runningVar'),
        savedMean: f(a, 'savedMean'), savedInvStd: f(a, 'savedInvStd'), training: true, momentum: 0.1, epsilon: 1e-5,
      }),
  })),
  {
    kernel: 'batchNormBackward',
    floats: { input: 2, dOutput: 2, gamma: 1, savedMean: 1, savedInvStd: 1, dGamma: 1, dBeta: 1, dInput: 2 },
    call: (a) =>
      backend.batchNormBackward(norm, {
        input: f(a, 'input'), dOutput: f(a, 'dOutput'), gamma: f(a, 'gamma'), savedMean: f(a, 'savedMean'), savedInvStd: f(a, 'savedInvStd'),
        training: true, dGamma: f(a, 'dGamma'), dBeta: f(a, 'dBeta'), dInput: f(a, 'dInput'),
      }),
  },
  { kernel: 'multiplyElementwise', floats: { input: 3, mask: 3, output: 3 }, call: (a) => backend.multiplyElementwise(f(a, 'input'), f(a, 'mask'), f(a, 'output')) },
  { kernel: 'dropoutMask', floats: { mask: 4 }, call: (a) => backend.dropoutMask({ seed: 1, step: 1, layer: 0, firstSample: 0, batch: 2, perSample: 2, probability: 0.5 }, f(a, 'mask')) },
  { kernel: 'softmaxCrossEntropy', floats: { logits: 2, probs: 2, dLogits: 2 }, ints: { labels: 1 }, call: (a) => backend.softmaxCrossEntropy(1, 2, f(a, 'logits'), i(a, 'labels'), f(a, 'probs'), f(a, 'dLogits')) },
  {
    kernel: 'adamUpdate',
    floats: { params: 2, grads: 2, m: 2, v: 2 },
    call: (a) => backend.adamUpdate(f(a, 'params'), f(a, 'grads'), f(a, 'm'), f(a, 'v'), { learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, step: 1 }),
  },
  { kernel: 'gemm', floats: { A: 2, B: 2, C: 1 }, call: (a) => backend.gemm(false, true, 1, 1, 2, f(a, 'A'), 2, f(a, 'B'), 2, f(a, 'C'), 1, false) },
  { kernel: 'gemmIm2col', floats: { A: 1, image: 4, C: 4 }, call: (a) => backend.gemmIm2col(false, false, 1, f(a, 'A'), 1, f(a, 'image'), image, f(a, 'C'), 4, false) },
  { kernel: 'gemmIm2colA', floats: { image: 4, B: 4, C: 1 }, call: (a) => backend.gemmIm2colA(false, 1, f(a, 'image'), image, f(a, 'B'), 1, f(a, 'C'), 1, false) },
  { kernel: 'gemmIm2colRows', floats: { image: 4, B: 1, C: 4 }, call: (a) => backend.gemmIm2colRows(false, 1, f(a, 'image'), image, f(a, 'B'), 1, f(a, 'C'), 1, false) },
  { kernel: 'addInto', floats: { dst: 2, src: 2 }, call: (a) => backend.addInto(f(a, 'dst'), f(a, 'src')) },
];

/** The kernel's arrays, this backend's, with `name` replaced by `stranger` of its length. */
function arraysOf({ floats, ints = {} }: KernelCall, name?: string, stranger?: (length: number) => Floats | Int32Array): Arrays {
  const arrays: Arrays = {};
  for (const [key, length] of Object.entries(floats)) arrays[key] = backend.allocFloats(length);
  for (const [key, length] of Object.entries(ints)) arrays[key] = backend.allocInts(length);
  if (name !== undefined && stranger !== undefined) arrays[name] = stranger(arrays[name].length);
  return arrays;
}

describe('every kernel takes only arrays of this backend, float32 (int32 for indices)', () => {
  it('runs each kernel on arrays of its own', () => {
    for (const entry of KERNELS) expect(() => entry.call(arraysOf(entry)), entry.kernel).not.toThrow();
  });

  it('refuses a Float64Array in any float argument, naming the kernel and the argument', () => {
    const wrong: string[] = [];
    for (const entry of KERNELS) {
      for (const name of Object.keys(entry.floats)) {
        const message = errorOf(() => entry.call(arraysOf(entry, name, (n) => new Float64Array(n))), 'ERR_BAD_ARGUMENT').message;
        const expected = `${entry.kernel}: ${name} is a Float64Array, but the wasm backend computes in float32: allocate it with this backend's allocFloats`;
        if (message !== expected) wrong.push(`${message} (expected: ${expected})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses a float32 array from elsewhere in any float argument, naming allocFloats', () => {
    const wrong: string[] = [];
    for (const entry of KERNELS) {
      for (const name of Object.keys(entry.floats)) {
        const message = errorOf(() => entry.call(arraysOf(entry, name, (n) => new Float32Array(n))), 'ERR_BAD_ARGUMENT').message;
        const expected = `${entry.kernel}: ${name} is not in this wasm backend's memory: allocate it with this backend's allocFloats (or take a subarray of such an array)`;
        if (message !== expected) wrong.push(`${message} (expected: ${expected})`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('refuses floats or a foreign Int32Array where indices go, naming allocInts', () => {
    const withInts = KERNELS.filter((entry) => entry.ints !== undefined);
    expect(withInts.map((entry) => entry.kernel)).toEqual(['maxPool2dForward', 'maxPool2dBackward', 'softmaxCrossEntropy']);
    for (const entry of withInts) {
      const [name] = Object.keys(entry.ints ?? {});
      expect(errorOf(() => entry.call(arraysOf(entry, name, (n) => backend.allocFloats(n))), 'ERR_BAD_ARGUMENT').message).toBe(
        `${entry.kernel}: ${name} is a Float32Array, not an Int32Array: allocate it with this backend's allocInts`,
      );
      expect(errorOf(() => entry.call(arraysOf(entry, name, (n) => new Int32Array(n))), 'ERR_BAD_ARGUMENT').message).toBe(
        `${entry.kernel}: ${name} is not in this wasm backend's memory: allocate it with this backend's allocInts (or take a subarray of such an array)`,
      );
    }
  });

  it('takes null where a gradient is not wanted (no address asked of it)', () => {
    const entry = KERNELS.find((k) => k.kernel === 'softmaxCrossEntropy') as KernelCall;
    const a = arraysOf(entry);
    f(a, 'logits').set([0, Math.log(3)]);
    const loss = backend.softmaxCrossEntropy(1, 2, f(a, 'logits'), i(a, 'labels'), f(a, 'probs'), null);
    expect(loss).toBeCloseTo(Math.log(4), 6); // −log(1 / (1 + 3))
    expect(f(a, 'probs')[1]).toBeCloseTo(0.75, 6);
  });
});

describe('the GEMM entry points check their sizes', () => {
  const A = backend.allocFloats(8);
  const B = backend.allocFloats(12);
  const C = backend.allocFloats(6);
  const message = (run: () => unknown) => errorOf(run, 'ERR_BAD_ARGUMENT').message;

  it('gemm: M, N and K positive integers, each named', () => {
    expect(message(() => backend.gemm(false, false, 2, 0, 4, A, 4, B, 3, C, 3, false))).toBe('gemm: N must be a positive integer, got 0');
    expect(message(() => backend.gemm(false, false, 2, 3, 1.5, A, 4, B, 3, C, 3, false))).toBe('gemm: K must be a positive integer, got 1.5');
  });

  it('gemm: op(A) 2×4 and op(B) 4×3 fit stored as they are, or transposed, exactly; one float less does not', () => {
    // A: 2×4 (lda 4) or, transposed, stored 4×2 (lda 2): 8 floats. B: 4×3 (ldb 3) or stored 3×4 (ldb 4): 12.
    for (const [transA, lda] of [[false, 4], [true, 2]] as const) {
      for (const [transB, ldb] of [[false, 3], [true, 4]] as const) {
        expect(() => backend.gemm(transA, transB, 2, 3, 4, A, lda, B, ldb, C, 3, false)).not.toThrow();
      }
    }
    expect(message(() => backend.gemm(true, false, 2, 3, 4, A.subarray(1), 2, B, 3, C, 3, false))).toBe('gemm: A (4×2, row stride 2) needs 8 floats, got 7');
    expect(message(() => backend.gemm(false, true, 2, 3, 4, A, 4, B.subarray(1), 4, C, 3, false))).toBe('gemm: B (3×4, row stride 4) needs 12 floats, got 11');
    expect(message(() => backend.gemm(false, false, 2, 3, 4, A, 4, B, 2, C, 3, false))).toBe('gemm: the row stride of B must be an integer ≥ 3, got 2');
    expect(message(() => backend.gemm(false, false, 2, 3, 4, A, 4.5, B, 3, C, 3, false))).toBe('gemm: the row stride of A must be an integer ≥ 4, got 4.5');
    expect(message(() => backend.gemm(false, false, 2, 3, 4, A, 4, B, 3, C.subarray(1), 3, false))).toBe('gemm: C (2×3, row stride 3) needs 6 floats, got 5');
  });

  it('computes with the transposes it is told, and accumulates when told', () => {
    // op(A) = [[1, 2], [3, 4]] given as Aᵀ; op(B) = [[1, 0], [1, 1]] given as Bᵀ: C = [[3, 2], [7, 4]].
    const a = backend.allocFloats(4);
    const b = backend.allocFloats(4);
    const c = backend.allocFloats(4);
    a.set([1, 3, 2, 4]);
    b.set([1, 1, 0, 1]);
    backend.gemm(true, true, 2, 2, 2, a, 2, b, 2, c, 2, false);
    expect([...c]).toEqual([3, 2, 7, 4]);
    backend.gemm(true, true, 2, 2, 2, a, 2, b, 2, c, 2, true);
    expect([...c]).toEqual([6, 4, 14, 8]);
  });

  it('gemmIm2col, gemmIm2colA and gemmIm2colRows: their M and N, and the image the shape implies', () => {
    const img = backend.allocFloats(4);
    expect(message(() => backend.gemmIm2col(false, false, 0, A, 1, img, image, C, 4, false))).toBe('gemmIm2col: M must be a positive integer, got 0');
    expect(message(() => backend.gemmIm2colA(false, 0, img, image, B, 1, C, 1, false))).toBe('gemmIm2colA: N must be a positive integer, got 0');
    expect(message(() => backend.gemmIm2col(false, false, 1, A, 1, backend.allocFloats(5), image, C, 4, false))).toBe('gemmIm2col: input has length 5, expected 4');
    expect(message(() => backend.gemmIm2colA(false, 1, backend.allocFloats(3), image, B, 1, C, 1, false))).toBe('gemmIm2colA: input has length 3, expected 4');
    // columns of a 1×2×2 image with a 1×1 kernel: [1, 4]; transposed [4, 1]. C = A (1×1) · columns: 1×4.
    expect(message(() => backend.gemmIm2col(false, false, 1, A, 1, img, image, C, 3, false))).toBe('gemmIm2col: the row stride of C must be an integer ≥ 4, got 3');
    // transB: op(B) = columnsᵀ [4, 1], so K = 4 and N = 1; transA: A stored K×M = 1×2 and C = 2×4.
    expect(() => backend.gemmIm2col(false, true, 1, A, 4, img, image, C, 1, false)).not.toThrow();
    expect(message(() => backend.gemmIm2col(false, true, 1, A, 3, img, image, C, 1, false))).toBe('gemmIm2col: the row stride of A must be an integer ≥ 4, got 3');
    expect(message(() => backend.gemmIm2col(true, false, 2, A, 2, img, image, C, 4, false))).toBe('gemmIm2col: C (2×4, row stride 4) needs 8 floats, got 6');
    // gemmIm2colA: columns [1, 4] · op(B) [4, N]; transB: B stored N×4.
    expect(() => backend.gemmIm2colA(true, 2, img, image, B, 4, C, 2, false)).not.toThrow();
    expect(message(() => backend.gemmIm2colA(true, 2, img, image, B.subarray(5), 4, C, 2, false))).toBe('gemmIm2colA: B (2×4, row stride 4) needs 8 floats, got 7');
    expect(message(() => backend.gemmIm2colA(false, 2, img, image, B.subarray(6), 2, C, 2, false))).toBe('gemmIm2colA: B (4×2, row stride 2) needs 8 floats, got 6');
    expect(message(() => backend.gemmIm2colA(false, 3, img, image, B, 3, C, 2, false))).toBe('gemmIm2colA: the row stride of C must be an integer ≥ 3, got 2');
    // gemmIm2colRows: columnsᵀ [G·4, 1] · op(B) [1, N]; two images back to back make M = 8.
    expect(message(() => backend.gemmIm2colRows(false, 0, img, image, B, 1, C, 1, false))).toBe('gemmIm2colRows: N must be a positive integer, got 0');
    expect(message(() => backend.gemmIm2colRows(false, 1, img, { ...image, images: 2 }, B, 1, C, 1, false))).toBe('gemmIm2colRows: input has length 4, expected 8');
    expect(() => backend.gemmIm2colRows(false, 1, backend.allocFloats(8), { ...image, images: 2 }, B, 1, backend.allocFloats(8), 1, false)).not.toThrow();
    expect(message(() => backend.gemmIm2colRows(false, 1, backend.allocFloats(8), { ...image, images: 2 }, B, 1, C, 1, false))).toBe('gemmIm2colRows: C (8×1, row stride 1) needs 8 floats, got 6');
    expect(message(() => backend.gemmIm2colRows(true, 2, img, image, B.subarray(11), 1, backend.allocFloats(8), 2, false))).toBe('gemmIm2colRows: B (2×1, row stride 1) needs 2 floats, got 1');
  });
});

describe('dropoutMask checks its draw', () => {
  it('refuses a batch or a sample size that is not a positive integer, and a probability outside [0, 1)', () => {
    const mask = backend.allocFloats(4);
    const draw = { seed: 1, step: 1, layer: 0, firstSample: 0, batch: 2, perSample: 2, probability: 0.5 };
    const message = (change: object) => errorOf(() => backend.dropoutMask({ ...draw, ...change }, mask), 'ERR_BAD_ARGUMENT').message;
    expect(message({ batch: 0 })).toBe('dropoutMask: batch must be a positive integer, got 0');
    expect(message({ perSample: 1.5 })).toBe('dropoutMask: perSample must be a positive integer, got 1.5');
    expect(message({ probability: 1 })).toBe('dropoutMask: the probability must be in [0, 1), got 1');
    expect(message({ probability: -0.25 })).toBe('dropoutMask: the probability must be in [0, 1), got -0.25');
    expect(message({ probability: Number.NaN })).toBe('dropoutMask: the probability must be in [0, 1), got NaN');
    expect(message({ batch: 1, perSample: 3 })).toBe('dropoutMask: mask has 4 floats, but 1 samples of 3 need 3');
    backend.dropoutMask({ ...draw, probability: 0 }, mask);
    expect([...mask]).toEqual([1, 1, 1, 1]); // p = 0 keeps everything, scaled by 1
  });
});

describe('maxPool2dBackward checks the argmax it is given', () => {
  it('names the first bad index, the first element included, for the 2×2/2 path and the general one', () => {
    const dOutput = backend.allocFloats(1);
    const dInput = backend.allocFloats(4);
    const argmax = backend.allocInts(1);
    argmax[0] = 4;
    const message = (s: { batch: number; channels: number; height: number; width: number; kernelSize?: number; stride?: number }) =>
      errorOf(() => backend.maxPool2dBackward(s, dOutput, argmax, dInput), 'ERR_BAD_ARGUMENT').message;
    const words = 'argmax[0] = 4 is not an index into the input (length 4); pass the argmax that maxPool2dForward wrote for this shape';
    expect(message({ batch: 1, channels: 1, height: 2, width: 2 })).toBe(`maxPool2dBackward: ${words}`);
    // A 2×2 window with stride 1 over 2×2: one output too, by the general kernel.
    expect(message({ batch: 1, channels: 1, height: 2, width: 2, kernelSize: 2, stride: 1 })).toBe(`maxPool2dBackward: ${words}`);
  });
});

describe('the passes that skip what is not wanted, and the convolution paths, on tiny examples', () => {
  it('dense backward with null gradients computes only those wanted', async () => {
    // in [1, 2] = [5, 7], W [1, 2] = [2, 3], dOut [1, 1] = [4]: dW = dOutᵀ·in = [20, 28], dBias = [4], dIn = dOut·W = [8, 12].
    const input = backend.allocFloats(2);
    const weight = backend.allocFloats(2);
    const dOutput = backend.allocFloats(1);
    input.set([5, 7]);
    weight.set([2, 3]);
    dOutput.set([4]);
    const s = { batch: 1, inFeatures: 2, outFeatures: 1 };
    // What is not wanted is not written anywhere: below the arena lies the module's static data.
    const heapBase = (await instantiateKernels(backend.shared.module, backend.shared.memory)).heapBase();
    const staticData = () => new Uint8Array(backend.shared.memory.buffer, 0, heapBase).slice();
    const before = staticData();
    const dInput = backend.allocFloats(2);
    backend.denseBackward(s, { input, weight, dOutput, dWeight: null, dBias: null, dInput });
    expect([...dInput]).toEqual([8, 12]);
    const dWeight = backend.allocFloats(2);
    const dBias = backend.allocFloats(1);
    backend.denseBackward(s, { input, weight, dOutput, dWeight, dBias, dInput: null });
    expect([...dWeight]).toEqual([20, 28]);
    expect([...dBias]).toEqual([4]);
    expect(staticData()).toEqual(before);
    const message = (change: object) => errorOf(() => backend.denseBackward(s, { input, weight, dOutput, dWeight, dBias, dInput, ...change }), 'ERR_BAD_ARGUMENT').message;
    expect(message({ dOutput: backend.allocFloats(2) })).toBe('denseBackward: output has length 2, expected 1');
    expect(message({ dInput: backend.allocFloats(3) })).toBe('denseBackward: input has length 3, expected 2');
  });

  it('padded, strided and grouped convolutions equal the reference, forward and backward, with and without parameter gradients', async () => {
    const { ReferenceBackend } = await import('../src/backend/reference/index.js');
    const reference = new ReferenceBackend({ precision: 'float64' });
    const shapes = [
      { batch: 2, inChannels: 2, height: 4, width: 5, outChannels: 3, kernelSize: 3, padding: 2 }, // padded by 2, stride 1
      { batch: 2, inChannels: 1, height: 24, width: 23, outChannels: 2, kernelSize: 3, stride: 2, padding: 1 }, // 12×12 maps: per image, phase block
      { batch: 5, inChannels: 2, height: 5, width: 5, outChannels: 2, kernelSize: 3, stride: 2 }, // grouped: 2×2 maps, 128 a group
      { batch: 5, inChannels: 1, height: 6, width: 6, outChannels: 3, kernelSize: 2, stride: 2, padding: 1 }, // grouped and padded
      { batch: 7, inChannels: 1, height: 19, width: 19, outChannels: 2, kernelSize: 3, stride: 2 }, // 9×9 maps: a group of 6, then one of 1
      { batch: 1, inChannels: 1, height: 25, width: 25, outChannels: 2, kernelSize: 3, stride: 2 }, // 12×12 maps, no padding: per image, phase block
    ];
    // Below the arena lies the module's static data (its constants): no convolution may write there.
    const heapBase = (await instantiateKernels(backend.shared.module, backend.shared.memory)).heapBase();
    const staticData = () => new Uint8Array(backend.shared.memory.buffer, 0, heapBase).slice();
    const before = staticData();
    let seed = 1;
    const draw = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const worst: number[] = [];
    for (const s of shapes) {
      const out = Math.floor((s.height + 2 * (s.padding ?? 0) - s.kernelSize) / (s.stride ?? 1)) + 1;
      const outW = Math.floor((s.width + 2 * (s.padding ?? 0) - s.kernelSize) / (s.stride ?? 1)) + 1;
      expect(imagesPerGemm(s.stride ?? 1, out * outW)).toBe([0, 0, 128, 32, 6, 0][shapes.indexOf(s)]);
      const sizes = { input: s.batch * s.inChannels * s.height * s.width, weight: s.outChannels * s.inChannels * s.kernelSize ** 2, bias: s.outChannels, output: s.batch * s.outChannels * out * outW };
      const values = Object.fromEntries(Object.entries(sizes).map(([k, n]) => [k, Array.from({ length: n }, draw)]));
      const on = (b: typeof backend | typeof reference, withParameters: boolean) => {
        const [input, weight, bias, output, dOutput] = [values.input, values.weight, values.bias, new Array(sizes.output).fill(0), values.output].map((v) => {
          const array = b.allocFloats(v.length);
          array.set(v);
          return array;
        });
        // dInput and a second output lie in larger arrays whose tails must stay as they were: nothing is written past them.
        const TAIL = 64;
        const dInputBlock = b.allocFloats(sizes.input + TAIL).fill(7);
        const outputBlock = b.allocFloats(sizes.output + TAIL).fill(7);
        const g = { input, weight, dOutput, dWeight: withParameters ? b.allocFloats(sizes.weight) : null, dBias: withParameters ? b.allocFloats(sizes.bias) : null, dInput: dInputBlock.subarray(0, sizes.input) };
        b.conv2dForward(s, input, weight, bias, output);
        b.conv2dForward(s, input, weight, bias, outputBlock.subarray(0, sizes.output));
        b.conv2dBackward(s, g);
        expect([...dInputBlock.subarray(sizes.input), ...outputBlock.subarray(sizes.output)]).toEqual(new Array(2 * TAIL).fill(7));
        expect([...outputBlock.subarray(0, sizes.output)]).toEqual([...output]);
        return [output, g.dInput, g.dWeight ?? [], g.dBias ?? []].map((a) => [...a]);
      };
      for (const withParameters of [true, false]) {
        const [got, want] = [on(backend, withParameters), on(reference, withParameters)];
        got.forEach((array, k) => {
          expect(array.length).toBe(want[k].length);
          worst.push(Math.max(0, ...array.map((x, i) => Math.abs(x - want[k][i]))));
        });
      }
    }
    // float32 sums (of up to 2·144 terms of size ≤ 1, for dW of the 12×12 maps) against float64, on these seeded values.
    expect(Math.max(...worst)).toBeLessThan(1e-4);
    expect(staticData()).toEqual(before);
  });
});

describe('batchNormReluForward', () => {
  it('is batch norm then max(·, 0), in one pass', () => {
    // One channel of 4 values [1, 2, 3, 6] in evaluation mode with running mean 3, variance 4 (ε 0), γ 2, β 1:
    // y = 2·(x − 3)/2 + 1 = x − 2 → [−1, 0, 1, 4], after the ReLU [0, 0, 1, 4].
    const s = { batch: 1, channels: 1, positions: 4 };
    const floats = (values: number[]) => {
      const array = backend.allocFloats(values.length);
      array.set(values);
      return array;
    };
    const state = { gamma: floats([2]), beta: floats([1]), runningMean: floats([3]), runningVar: floats([4]), savedMean: floats([0]), savedInvStd: floats([0]), training: false, momentum: 0.1, epsilon: 0 };
    const output = backend.allocFloats(4);
    backend.batchNormForward(s, floats([1, 2, 3, 6]), output, state);
    expect([...output]).toEqual([-1, 0, 1, 4]);
    backend.batchNormReluForward(s, floats([1, 2, 3, 6]), output, state);
    expect([...output]).toEqual([0, 0, 1, 4]);
  });
});

describe('imagesPerGemm', () => {
  it('runs stride 1 per image, and strided convolutions in groups of ⌊512 / positions⌋ images when that is 4 or more', () => {
    expect(imagesPerGemm(1, 4)).toBe(0);
    expect(imagesPerGemm(1, 1)).toBe(0);
    expect(imagesPerGemm(2, 1)).toBe(512);
    expect(imagesPerGemm(2, 49)).toBe(10);
    expect(imagesPerGemm(3, 100)).toBe(5);
    expect(imagesPerGemm(2, 128)).toBe(4);
    expect(imagesPerGemm(2, 129)).toBe(0);
    expect(imagesPerGemm(2, 196)).toBe(0);
  });
});

describe('simdCeiling', () => {
  it('counts 2 flops for each of 4 lanes of each of the build\'s 8 multiply-add chains (12 relaxed), per iteration', () => {
    expect(backend.simdCeiling(3)).toBe(3 * 8 * 4 * 2);
    expect(backend.simdCeiling(0)).toBe(0);
  });
});

describe('an engine without WebAssembly (kernels.ts)', () => {
  it('says to use the ts backend, for the memory, the compilation and the instance alike, and validates nothing', async () => {
    const webAssembly = globalThis.WebAssembly;
    vi.resetModules();
    Reflect.deleteProperty(globalThis, 'WebAssembly');
    try {
      // kernels.ts reads the global once, as it loads: load it again without one.
      const kernels = await import('../src/backend/wasm/kernels.js');
      const { XcnnError } = await import('../src/errors.js');
      const message = 'this JavaScript engine has no WebAssembly: use the ts backend';
      const refusal = async (run: () => unknown) => {
        const error = await Promise.resolve().then(run).then(() => undefined, (reason: unknown) => reason);
        expect(error).toBeInstanceOf(XcnnError);
        expect(error).toMatchObject({ message, code: 'ERR_SETUP' });
      };
      await refusal(() => kernels.createSharedMemory(1, 2));
      await refusal(() => kernels.compileKernels(simdBytes));
      await refusal(() => kernels.instantiateKernels(backend.shared.module, backend.shared.memory));
      expect(kernels.validates(simdBytes)).toBe(false);
    } finally {
      globalThis.WebAssembly = webAssembly;
    }
  });
});
