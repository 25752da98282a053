/**
 * The library's one async object for a trained model (src/classifier.ts, classifier-node.ts), as a
 * program uses it: loaded from a path, from bytes, or the shipped model; predict on tensors and on
 * ImageData-like pictures; explain; evaluate; info; close. Long calls report progress and stop on an
 * AbortSignal; every bad argument is an XcnnError with a code; the seeded methods give the same maps on
 * every call; a classifier with worker threads that is never closed does not keep Node running. Expected
 * values come from the data set's labels, the spec's arithmetic, or the images converted by hand. Run
 * after a build (the worker threads run dist/).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { createClassifier, loadClassifier as loadCoreClassifier, type Classifier } from '../src/classifier.js';
import { classifierOf, loadClassifier, trainClassifier } from '../src/classifier-node.js';
import { MNIST_CLASS_NAMES, takeFirst, type ImageSet } from '../src/data/dataset.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { XcnnError, type XcnnErrorCode } from '../src/errors.js';
import { errorOf, rejection } from './errors.js';
import { evaluate } from '../src/eval/evaluate.js';
import { predictImages } from '../src/eval/predict.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { METHOD_NAMES, methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { loadModel, saveModel, shippedModelPath } from '../src/model/model-io.js';
import { createNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { createTrainingState, train } from '../src/train/trainer.js';

const root = join(import.meta.dirname, '..');
const { test: mnistTest } = loadDataset();
const PIXELS = 28 * 28;
/** The first `count` MNIST test images as a byte tensor [count, 1, 28, 28]. */
const testImages = (count: number, first = 0) => ({ data: mnistTest.images.slice(first * PIXELS, (first + count) * PIXELS), shape: [count, 1, 28, 28] });

const opened: Classifier[] = [];
afterAll(async () => {
  for (const model of opened) await model.close();
});
async function open(options: Parameters<typeof loadClassifier>[0] = {}): Promise<Classifier> {
  const model = await loadClassifier(options);
  opened.push(model);
  return model;
}


describe('loadClassifier', () => {
  it('loads the same model from its path, its bytes, an ArrayBuffer of them, or by default (the shipped model)', async () => {
    const path = shippedModelPath();
    const bytes = readFileSync(path);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const models = [await open({ model: path }), await open({ model: new Uint8Array(bytes) }), await open({ model: buffer }), await open()];
    const images = testImages(20);
    const predictions = await Promise.all(models.map((model) => model.predict(images)));
    for (const p of predictions.slice(1)) expect(p).toEqual(predictions[0]);
    for (const model of models.slice(1)) expect(model.info).toEqual(models[0].info);
  });

  it('tells the spec, input shape, classes and parameter count (the spec\'s arithmetic) in info', async () => {
    const model = await open();
    expect(model.info.spec).toBe('conv(8,3) relu maxpool(2) conv(16,3) relu flatten linear(32) relu linear(10)');
    expect(model.info.inputShape).toEqual([1, 28, 28]);
    expect(model.info.classes).toBe(10);
    expect(model.info.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    // conv1 8·1·3·3 + 8, conv2 16·8·3·3 + 16, fc1 (16·11·11)·32 + 32, fc2 32·10 + 10
    expect(model.info.parameters).toBe(8 * 9 + 8 + (16 * 8 * 9 + 16) + (16 * 11 * 11 * 32 + 32) + (32 * 10 + 10));
    expect([model.info.backend, model.info.threads]).toEqual(['wasm', 1]);
    expect(Object.isFrozen(model.info)).toBe(true);
  });

  it('in the browser-safe core too, from the model\'s and the kernels\' bytes; threads there are refused, as Node\'s', async () => {
    const model = await loadCoreClassifier({ model: readFileSync(shippedModelPath()), kernels: readFileSync(join(root, 'build', 'kernels.wasm')) });
    opened.push(model);
    expect((await model.predict(testImages(3))).map((p) => p.classIndex)).toEqual([7, 2, 1]);
    const error = await rejection(loadCoreClassifier({ model: readFileSync(shippedModelPath()), threads: 2 }));
    expect([error.code, error.message]).toEqual(['ERR_BAD_ARGUMENT', 'loadClassifier: threads 2 is not a whole number from 1 to 1 (more threads need Node: its worker threads)']);
    expect((await rejection(loadCoreClassifier({ model: 'model.safetensors' }))).message).toMatch(/model 'model\.safetensors' is a path, which needs Node; here give the file's bytes/);
  });

  it('names the classes as the file does', async () => {
    const work = mkdtempSync(join(tmpdir(), 'xcnn-classifier-'));
    try {
      const names = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
      const { network, info } = loadModel(shippedModelPath(), new ReferenceBackend());
      saveModel(join(work, 'named.safetensors'), network, { ...info, classNames: names });
      const model = await open({ model: join(work, 'named.safetensors'), backend: 'ts' });
      const predictions = await model.predict(testImages(10));
      expect(predictions.map((p) => p.className)).toEqual(predictions.map((p) => names[p.classIndex]));
      expect(model.info.backend).toBe('ts');
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});

describe('predict', () => {
  it('classifies MNIST test digits as labelled (the shipped model is 98.65 % accurate: of the first 20 it reads one, the 3 of image 18, as an 8), probabilities summing to 1', async () => {
    const model = await open();
    const predictions = await model.predict(testImages(20));
    const expected = Array.from(mnistTest.labels.subarray(0, 20));
    expected[18] = 8; // the README says it too: "with the shipped model the 3 is taken for an 8"
    expect(mnistTest.labels[18]).toBe(3);
    expect(predictions.map((p) => p.classIndex)).toEqual(expected);
    for (const p of predictions) {
      expect(p.probabilities).toHaveLength(10);
      expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(p.probabilities.indexOf(Math.max(...p.probabilities))).toBe(p.classIndex);
      expect(p.className).toBe(String(p.classIndex));
    }
  });

  it('takes [C, H, W] for one image, bytes or floats in [0, 1] alike, and ImageData-like RGBA pictures of any size', async () => {
    const model = await open();
    const bytes = mnistTest.images.slice(0, PIXELS);
    const [expected] = await model.predict({ data: bytes, shape: [1, 28, 28] });
    const [fromFloats] = await model.predict({ data: Float32Array.from(bytes, (v) => v / 255), shape: [1, 28, 28] });
    expect(fromFloats).toEqual(expected);
    // The digit as an opaque grey picture, and at twice the size (each pixel a 2 × 2 block): both come back to the same 28 × 28 bytes.
    const rgba = (size: number) => {
      const data = new Uint8ClampedArray(size * size * 4);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const v = bytes[Math.floor((y * 28) / size) * 28 + Math.floor((x * 28) / size)];
          data.set([v, v, v, 255], (y * size + x) * 4);
        }
      }
      return { data, width: size, height: size };
    };
    const [same, doubled] = await model.predict([rgba(28), rgba(56)]);
    expect(same).toEqual(expected);
    expect(doubled).toEqual(expected);
  });

  it('gives, for a list of images, their predictions in order', async () => {
    const model = await open();
    const all = await model.predict(testImages(5));
    const listed = await model.predict([testImages(2), { data: mnistTest.images.slice(2 * PIXELS, 3 * PIXELS), shape: [1, 28, 28] }, testImages(2, 3)]);
    expect(listed).toEqual(all);
  });

  it('gives on 2 worker threads the classes of 1 thread, probabilities within float32 rounding', async () => {
    const one = await open();
    const two = await open({ threads: 2 });
    expect(two.info.threads).toBe(2);
    const [a, b] = [await one.predict(testImages(600)), await two.predict(testImages(600))];
    expect(b.map((p) => p.classIndex)).toEqual(a.map((p) => p.classIndex));
    const worst = Math.max(...a.flatMap((p, n) => Array.from(p.probabilities, (v, k) => Math.abs(v - b[n].probabilities[k]))));
    expect(worst).toBeLessThan(1e-5);
  });
});

describe('explain', () => {
  it('gives Grad-CAM by default: the predicted class, relu2\'s 11 × 11 map, a 28 × 28 heatmap in [0, 1]', async () => {
    const model = await open();
    const explanations = await model.explain(testImages(3));
    const predictions = await model.predict(testImages(3));
    explanations.forEach((e, n) => {
      expect([e.classIndex, e.target, e.layer, e.mapShape]).toEqual([predictions[n].classIndex, predictions[n].classIndex, 'relu2', [11, 11]]);
      expect(e.map).toHaveLength(121);
      expect(e.heatmap).toHaveLength(PIXELS);
      expect(Math.min(...e.heatmap)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...e.heatmap)).toBeLessThanOrEqual(1);
      // The logits are the scores whose softmax is the probabilities: exp(z_k − max z) / Σ exp(z_j − max z).
      expect(e.logits).toHaveLength(10);
      const top = Math.max(...e.logits);
      const sum = e.logits.reduce((total, z) => total + Math.exp(z - top), 0);
      e.logits.forEach((z, k) => expect(e.probabilities[k]).toBeCloseTo(Math.exp(z - top) / sum, 6));
      expect(e.logits.indexOf(top)).toBe(e.classIndex);
    });
  });

  it('gives Grad-CAM\'s channel weights α_k for each image, as the lower-level gradCam does (other methods have none)', async () => {
    const model = await open({ backend: 'ts' });
    const explanations = await model.explain(testImages(2));
    const { network } = loadModel(shippedModelPath(), new ReferenceBackend());
    const lower = gradCam(network, takeFirst(mnistTest, 2));
    explanations.forEach((e, n) => expect(Array.from(e.weights!)).toEqual(Array.from(lower.weights.subarray(n * lower.channels, (n + 1) * lower.channels))));
    expect(explanations[0].weights).toHaveLength(lower.channels);
    expect((await model.explain(testImages(1), { method: 'saliency' }))[0].weights).toBeUndefined();
    network.dispose();
  });

  it('explains the class asked for, one for all or one per image, each row as if explained alone', async () => {
    const model = await open();
    const forThree = await model.explain(testImages(2), { targets: 3 });
    expect(forThree.map((e) => [e.target, e.targetName])).toEqual([[3, '3'], [3, '3']]);
    const perImage = await model.explain(testImages(2), { method: 'saliency', targets: [4, 1] });
    expect(perImage.map((e) => e.target)).toEqual([4, 1]);
    const [alone] = await model.explain(testImages(1, 1), { method: 'saliency', targets: 1 });
    expect(perImage[1].map).toEqual(alone.map);
  });

  it('runs every method, with its settings, and reports the completeness gap where there is one', async () => {
    const model = await open();
    const image = testImages(1);
    const settings: Record<string, object> = { smoothgrad: { samples: 4 }, 'integrated-gradients': { steps: 8 }, 'kernel-shap': { samples: 256 }, lime: { samples: 64 } };
    for (const method of METHOD_NAMES) {
      const [e] = await model.explain(image, { method, ...settings[method] });
      expect(e.heatmap.every(Number.isFinite), method).toBe(true);
      expect(e.completenessGap !== undefined, method).toBe(method === 'integrated-gradients' || method === 'kernel-shap');
    }
  });

  it('is pure: smoothgrad and kernel-shap give the same maps on a second call, and another seed another map', async () => {
    const model = await open();
    for (const [method, settings] of [['smoothgrad', { samples: 4 }], ['kernel-shap', { samples: 256 }], ['lime', { samples: 64 }]] as const) {
      const first = await model.explain(testImages(2), { method, ...settings });
      const second = await model.explain(testImages(2), { method, ...settings });
      expect(second.map((e) => Array.from(e.map)), method).toEqual(first.map((e) => Array.from(e.map)));
      const reseeded = await model.explain(testImages(2), { method, ...settings, seed: 2 });
      expect(reseeded.map((e) => Array.from(e.map)), method).not.toEqual(first.map((e) => Array.from(e.map)));
    }
  });
});

describe('explainClasses (the report\'s class summaries)', () => {
  it('averages the first classImages images of each true class, and explains as many confusion cells as the confusion matrix has off its diagonal', async () => {
    const model = await open();
    const set = takeFirst(mnistTest, 300);
    const { confusion } = await model.evaluate(set);
    const summary = await model.explainClasses(set, { classImages: 5, cells: 100, perCell: 2 });
    expect(summary.methodTitle).toBe('Grad-CAM');
    // The mean image of class 7, by hand: the first 5 sevens of the set, pixel by pixel.
    const sevens = Array.from(set.labels.keys()).filter((n) => set.labels[n] === 7).slice(0, 5);
    const mean = Array.from({ length: PIXELS }, (_, p) => sevens.reduce((sum, n) => sum + set.images[n * PIXELS + p], 0) / 5);
    expect(summary.means!.images.counts[7]).toBe(5);
    Array.from(summary.means!.images.means.subarray(7 * PIXELS, 8 * PIXELS)).forEach((value, p) => expect(value).toBeCloseTo(mean[p], 3));
    const offDiagonal = confusion.flatMap((row, t) => row.filter((count, p) => p !== t && count > 0)).length;
    expect([summary.cells.cellCount, summary.cells.cells.length]).toEqual([offDiagonal, offDiagonal]);
    summary.cells.cells.forEach((cell) => expect(cell.mistakes.length).toBe(Math.min(2, confusion[cell.trueClass][cell.predictedClass])));
    const cellsOnly = await model.explainClasses(set, { means: false, cells: 1 });
    expect(Object.keys(cellsOnly)).toEqual(['methodTitle', 'cells']);
    expect(cellsOnly.cells.cells).toHaveLength(1);
  });

  it('refuses an unknown method (listing them), a count below 1, and predictions that are not predict\'s', async () => {
    const model = await open();
    const set = takeFirst(mnistTest, 20);
    const refusal = async (options: object) => (await rejection(model.explainClasses(set, options))).message;
    expect(await refusal({ method: 'magic' })).toBe(`explainClasses: method 'magic' is not one of ${METHOD_NAMES.join(', ')}`);
    expect(await refusal({ method: 7 })).toBe(`explainClasses: method number is not one of ${METHOD_NAMES.join(', ')}`);
    expect(await refusal({ cells: 0 })).toBe('explainClasses: cells 0 is not a whole number ≥ 1');
    expect(await refusal({ predictions: {} })).toBe('explainClasses: predictions must be predictions (labels, predicted and probabilities, as predict gives them), not Object');
  });
});

describe('evaluate', () => {
  it('gives each image\'s prediction with predictions: true (the classes predict gives, the set\'s labels)', async () => {
    const model = await open();
    const set = takeFirst(mnistTest, 50);
    const evaluation = await model.evaluate(set, { predictions: true });
    const predictions = await model.predict(testImages(50));
    expect(Array.from(evaluation.predictions!.predicted)).toEqual(predictions.map((p) => p.classIndex));
    expect(Array.from(evaluation.predictions!.labels)).toEqual(Array.from(set.labels));
    expect((await model.evaluate(set)).predictions).toBeUndefined();
    expect((await rejection(model.evaluate(set, { predictions: 'yes' as never }))).message).toBe('evaluate: predictions must be true or false, not string');
  });

  it('gives the accuracy of its predictions against the labels, and the confusion of 300 images', async () => {
    const model = await open();
    const set = takeFirst(mnistTest, 300);
    const evaluation = await model.evaluate(set);
    const predictions = await model.predict(testImages(300));
    const right = predictions.filter((p, n) => p.classIndex === set.labels[n]).length;
    expect(evaluation.count).toBe(300);
    expect(evaluation.accuracy).toBe(right / 300);
    expect(evaluation.confusion.flat().reduce((a, b) => a + b, 0)).toBe(300);
    expect(await model.evaluate({ images: testImages(300), labels: Array.from(set.labels) })).toEqual(evaluation);
  });
});

describe('progress and abort', () => {
  it('reports { done, total } after every batch: 256 images a batch for evaluate, 4 for the perturbation methods', async () => {
    const model = await open();
    const seen: string[] = [];
    await model.evaluate(takeFirst(mnistTest, 600), { onProgress: ({ done, total }) => seen.push(`${done}/${total}`) });
    expect(seen).toEqual(['256/600', '512/600', '600/600']);
    seen.length = 0;
    await model.explain(testImages(6), { method: 'occlusion', onProgress: ({ done, total }) => seen.push(`${done}/${total}`) });
    expect(seen).toEqual(['4/6', '6/6']);
  });

  it('rejects with an AbortError (ERR_ABORTED) when the signal has fired before the call, doing nothing', async () => {
    const model = await open();
    const controller = new AbortController();
    controller.abort(new Error('the user left'));
    let progress = 0;
    const error = await rejection(model.evaluate(takeFirst(mnistTest, 600), { signal: controller.signal, onProgress: () => progress++ }));
    expect([error.name, error.code, (error.cause as Error).message]).toEqual(['AbortError', 'ERR_ABORTED', 'the user left']);
    expect(progress).toBe(0);
  });

  it('stops at the next batch when the signal fires during the call, and the classifier goes on working', async () => {
    const model = await open();
    for (const call of [
      (signal: AbortSignal, onProgress: () => void) => model.evaluate(takeFirst(mnistTest, 1000), { signal, onProgress }),
      (signal: AbortSignal, onProgress: () => void) => model.explain(testImages(12), { method: 'occlusion', signal, onProgress }),
    ]) {
      const controller = new AbortController();
      let batches = 0;
      const error = await rejection(call(controller.signal, () => {
        batches++;
        controller.abort();
      }));
      expect([error.name, error.code, batches]).toEqual(['AbortError', 'ERR_ABORTED', 1]);
    }
    expect((await model.predict(testImages(1)))[0].classIndex).toBe(mnistTest.labels[0]);
  });

  it('lets timers run between batches, so a timer set after the first batch aborts the call before its tenth', async () => {
    const model = await open();
    const controller = new AbortController();
    let batches = 0;
    const onProgress = () => {
      if (batches++ === 0) setTimeout(() => controller.abort(), 0);
    };
    const error = await rejection(model.explain(testImages(40), { method: 'occlusion', signal: controller.signal, onProgress }));
    expect(error.name).toBe('AbortError');
    expect(batches).toBeLessThan(10);
  });
});

describe('close', () => {
  it('refuses every call after close (ERR_DISPOSED); closing twice is harmless; Symbol.asyncDispose closes', async () => {
    const model = await loadClassifier({ threads: 2 });
    await model.close();
    await model.close();
    for (const call of [() => model.predict(testImages(1)), () => model.explain(testImages(1)), () => model.evaluate(takeFirst(mnistTest, 10))]) {
      const error = await rejection(call());
      expect(error.code).toBe('ERR_DISPOSED');
      expect(error.message).toMatch(/this classifier is closed/);
    }
    const other = await loadClassifier();
    await other[Symbol.asyncDispose]();
    expect((await rejection(other.predict(testImages(1)))).code).toBe('ERR_DISPOSED');
  });

  it('gives every byte back to a backend the program owns (and leaves it usable): after load, calls and close; after training and close', async () => {
    const backend = await createWasmBackend();
    const cycle = async (threads: number) => {
      const model = await loadClassifier({ backend, threads });
      await model.predict(testImages(300));
      await model.explain(testImages(3), { method: 'smoothgrad', samples: 2 });
      await model.evaluate(takeFirst(mnistTest, 300));
      await model.close();
    };
    const training = async () => (await trainClassifier({ backend, train: takeFirst(loadDataset().train, 128), test: takeFirst(mnistTest, 64), arch: 'lenet5' })).close();
    // The backend keeps the kernels' own scratch, grown to the largest convolution it has seen: a first round sets it.
    await cycle(1);
    await training();
    const before = backend.memoryStats().usedBytes;
    for (const threads of [1, 2, 1]) {
      await cycle(threads);
      expect(backend.memoryStats().usedBytes, `${threads} thread(s)`).toBe(before);
    }
    await training();
    expect(backend.memoryStats().usedBytes).toBe(before);
    backend.allocFloats(4); // still the program's to use
    backend.dispose();
  });

  it('stops a call in progress at its next batch (ERR_DISPOSED)', async () => {
    const model = await loadClassifier();
    let closing: Promise<void> | null = null;
    const error = await rejection(model.evaluate(takeFirst(mnistTest, 1000), { onProgress: () => (closing ??= model.close()) }));
    expect(error.code).toBe('ERR_DISPOSED');
    await closing;
  });

  it('never keeps Node running: a program that loads a classifier with 2 threads, predicts and forgets close() exits by itself', () => {
    const node = pathToFileURL(join(root, 'dist', 'src', 'node.js')).href;
    const program = [
      `const { loadClassifier } = await import(${JSON.stringify(node)});`,
      'const model = await loadClassifier({ threads: 2 });',
      'const [p] = await model.predict({ data: new Uint8Array(784), shape: [1, 28, 28] });',
      "console.log('predicted', p.classIndex, 'on', model.info.threads, 'threads');",
    ].join('\n');
    // The timeout only keeps a hang from stalling the suite; a run that needs it fails on `signal`.
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', program], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.signal).toBeNull();
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^predicted \d on 2 threads$/m);
  });
});

describe('argument errors: one line, with a code', () => {
  it('loadClassifier refuses a bad model, option, backend or thread count', async () => {
    const cases: Array<[object, XcnnErrorCode, RegExp]> = [
      [{ model: 42 }, 'ERR_BAD_ARGUMENT', /loadClassifier: model is a number; give the model file's bytes/],
      [{ model: '/no/such/model.safetensors' }, 'ERR_FILE', /\/no\/such\/model\.safetensors: cannot read the model: no such file/],
      [{ model: new Uint8Array(10) }, 'ERR_BAD_MODEL', /not a valid safetensors file/],
      [{ modle: 'x' }, 'ERR_BAD_ARGUMENT', /loadClassifier: unknown option 'modle'; the options are model, arch, input, backend, threads, kernels/],
      [{ backend: 'gpu' }, 'ERR_BAD_ARGUMENT', /backend 'gpu' is not 'wasm', 'ts' or a Backend object/],
      [{ threads: 1.5 }, 'ERR_BAD_ARGUMENT', /threads 1.5 is not a whole number from 1 to 64/],
      [{ threads: 0 }, 'ERR_BAD_ARGUMENT', /threads 0 is not a whole number/],
      [{ threads: 2, backend: 'ts' }, 'ERR_BAD_ARGUMENT', /threads 2 needs the wasm backend/],
      [{ input: '3x32x32' }, 'ERR_BAD_ARGUMENT', /input is for a file without an architecture, given with arch/],
      [{ arch: 'paper' }, 'ERR_BAD_ARGUMENT', /arch is for a model file without an architecture; the shipped model has one/],
      [{ arch: 'paper', input: '3x0x32' }, 'ERR_BAD_ARGUMENT', /input '3x0x32' is not 'CxHxW'/],
    ];
    for (const [options, code, message] of cases) {
      const error = await rejection(loadClassifier(options as never));
      expect([error.code, error.message], JSON.stringify(options)).toEqual([code, expect.stringMatching(message)]);
      expect(error.message).not.toMatch(/\n/);
    }
  });

  it('predict refuses images that do not fit the model or their own shape', async () => {
    const model = await open();
    const cases: Array<[unknown, XcnnErrorCode, RegExp]> = [
      [42, 'ERR_BAD_ARGUMENT', /predict: images is number; give \{ data, shape \}/],
      [[], 'ERR_BAD_ARGUMENT', /predict: the list of images is empty/],
      [{ data: new Uint8Array(784) }, 'ERR_BAD_ARGUMENT', /has neither a shape nor a width and height/],
      [{ data: new Uint8Array(784), shape: [1, 28] }, 'ERR_BAD_ARGUMENT', /the shape \[1, 28\] is not \[N, C, H, W\] or \[C, H, W\]/],
      [{ data: new Uint8Array(0), shape: [0, 1, 28, 28] }, 'ERR_BAD_ARGUMENT', /the shape \[0, 1, 28, 28\] is not .* whole numbers ≥ 1/],
      [{ data: new Uint8Array(3 * 784), shape: [3, 28, 28] }, 'ERR_BAD_IMAGE', /images of shape \[3, 28, 28\], but the model takes \[C, H, W\] = \[1, 28, 28\]/],
      [{ data: new Uint8Array(784), shape: [2, 1, 28, 28] }, 'ERR_BAD_IMAGE', /data holds 784 values, but the shape \[2, 1, 28, 28\] needs 1568/],
      [{ data: new Float64Array(784), shape: [1, 28, 28] }, 'ERR_BAD_IMAGE', /data is a Float64Array; give a Uint8Array .* or a Float32Array/],
      [{ data: new Float32Array(784).fill(NaN, 17), shape: [1, 28, 28] }, 'ERR_BAD_IMAGE', /data\[17\] is NaN; every value must be a finite number/],
      [[testImages(1), { data: new Uint8ClampedArray(10), width: 2, height: 2 }], 'ERR_BAD_IMAGE', /predict: images\[1\]: data holds 10 bytes, but 2 × 2 RGBA pixels are 16/],
      [{ data: new Uint8ClampedArray(16), width: 2.5, height: 2 }, 'ERR_BAD_ARGUMENT', /width 2.5 and height 2 must be whole numbers ≥ 1/],
    ];
    for (const [images, code, message] of cases) {
      const error = await rejection(model.predict(images as never));
      expect([error.code, error.message], JSON.stringify(images)?.slice(0, 80)).toEqual([code, expect.stringMatching(message)]);
    }
    expect((await rejection(model.predict(testImages(1), { signal: 'stop' } as never))).message).toMatch(/predict: signal must be an AbortSignal/);
    expect((await rejection(model.predict(testImages(1), { onProgres: () => 0 } as never))).message).toMatch(/predict: unknown option 'onProgres'; the options are signal, onProgress/);
  });

  it('explain refuses an unknown method (listing them), a class or layer the model has not, and settings the method does not read', async () => {
    const model = await open();
    const cases: Array<[object, RegExp]> = [
      [{ method: 'gradcam' }, /^explain: method 'gradcam' is not one of grad-cam, grad-cam\+\+, .*, lime$/],
      [{ targets: 10 }, /explain: targets 10 is not a class of this model: a whole number from 0 to 9/],
      [{ targets: 1.5 }, /targets 1.5 is not a class/],
      [{ targets: [1] }, /explain: targets has 1 classes for 2 images; give one per image, or one number for all/],
      [{ targets: [1, -1] }, /explain: targets\[1\] -1 is not a class/],
      [{ layer: 'conv9' }, /explain: layer 'conv9' is not a conv block of this model; the choices are relu1 \(or conv1\), relu2 \(or conv2\)/],
      [{ method: 'saliency', layer: 'relu1' }, /explain: layer is for the methods that read a conv block .*; saliency explains the input/],
      [{ sigma: 0.2 }, /explain: sigma is a setting of smoothgrad, not of grad-cam/],
      [{ method: 'kernel-shap', samples: 1 }, /explain: samples 1 is not a whole number ≥ 2/],
      [{ method: 'smoothgrad', sigma: -1 }, /explain: sigma -1 is not a number ≥ 0/],
      [{ method: 'occlusion', window: 29 }, /explain: window 29 is not a whole number from 1 to 28 \(the input is 28 × 28\)/],
      [{ method: 'lime', seed: -1 }, /explain: seed -1 is not a whole number from 0 to 4294967295/],
      [{ placement: 'centre' }, /explain: placement 'centre' is not one of stretch, receptive-field/],
      [{ method: 'saliency', placement: 'receptive-field' }, /placement 'receptive-field' is for the CAM methods/],
      [{ metod: 'saliency' }, /explain: unknown option 'metod'/],
    ];
    for (const [options, message] of cases) {
      const error = await rejection(model.explain(testImages(2), options as never));
      expect([error.code, error.message], JSON.stringify(options)).toEqual(['ERR_BAD_ARGUMENT', expect.stringMatching(message)]);
      expect(error.message).not.toMatch(/--/); // the API's names, not the command line's flags
    }
  });

  it('explain refuses a CAM method on a model without a convolution (ERR_BAD_MODEL), and runs the input methods there', async () => {
    const network = createNetwork(new ReferenceBackend(), 'flatten linear(10)', MNIST_GEOMETRY);
    network.initialize(new Random(1));
    const model = createClassifier(network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES });
    const error = await rejection(model.explain(testImages(1), { method: 'score-cam' }));
    expect([error.code, error.message]).toEqual(['ERR_BAD_MODEL', expect.stringMatching(/^this network has no convolution, so the CAM methods .* have no layer to explain/)]);
    expect((await model.explain(testImages(1), { method: 'saliency' }))[0].layer).toBe('input');
    await model.close();
  });

  it('evaluate refuses an empty set, labels that are not classes, and a whole data set', async () => {
    const model = await open();
    const cases: Array<[unknown, XcnnErrorCode, RegExp]> = [
      [takeFirst(mnistTest, 0), 'ERR_BAD_DATA', /evaluate: the data set is empty/],
      [{ images: testImages(2), labels: [1, 10] }, 'ERR_BAD_DATA', /evaluate: label 10 of image 1 is not a class of this model \(0 to 9\)/],
      [{ images: testImages(2), labels: [1, 2.5] }, 'ERR_BAD_DATA', /label 2.5 of image 1/],
      [{ images: testImages(2), labels: [1] }, 'ERR_BAD_DATA', /evaluate: 1 labels for 2 images/],
      [{ ...takeFirst(mnistTest, 2), images: new Uint8Array(100) }, 'ERR_BAD_IMAGE', /evaluate: the set holds 100 pixel values, but 2 images of 28×28 are 1568/],
      [loadDataset(), 'ERR_BAD_ARGUMENT', /evaluate: that is a whole data set; give one of its splits, such as its test set/],
    ];
    for (const [set, code, message] of cases) {
      const error = await rejection(model.evaluate(set as never));
      expect([error.code, error.message]).toEqual([code, expect.stringMatching(message)]);
    }
  });

  it('the lower-level calls refuse a pixel array of the wrong length in one line, not with a kernel\'s message', async () => {
    const { network, info } = loadModel(shippedModelPath(), new ReferenceBackend());
    const short: ImageSet = { ...takeFirst(mnistTest, 2), images: new Uint8Array(700) };
    for (const [name, call] of [
      ['predictImages', () => predictImages(network, new Uint8Array(700), 1)],
      ['explainImages', () => explainImages(network, short, methodByName('saliency'))],
      ['gradCam', () => gradCam(network, short)],
      ['evaluate', () => evaluate(network, short, info.classNames)],
    ] as const) {
      const error = errorOf(call);
      expect([error.code, error.message], name).toEqual(['ERR_BAD_IMAGE', expect.stringMatching(/\b700\b.*784|784.*\b700\b|holds 700 pixel values/)]);
    }
    expect(errorOf(() => evaluate(network, takeFirst(mnistTest, 10), ['a', 'b'])).message).toBe('evaluate: 2 class names for a model of 10 classes; give one name per class');
    expect(errorOf(() => evaluate(network, takeFirst(mnistTest, 0), info.classNames)).code).toBe('ERR_BAD_DATA');
  });

  it('train refuses epochs 0.5, an empty test set; a network of 0 classes is refused', async () => {
    const network = createNetwork(new ReferenceBackend(), 'paper', MNIST_GEOMETRY);
    const state = createTrainingState(network, new Adam(network), new Random(1));
    const options = { epochs: 1, batchSize: 64, train: takeFirst(mnistTest, 64), test: takeFirst(mnistTest, 64) };
    const cases: Array<[object, XcnnErrorCode, string]> = [
      [{ epochs: 0.5 }, 'ERR_BAD_ARGUMENT', 'train: epochs 0.5 is not a whole number ≥ 1'],
      [{ batchSize: 0 }, 'ERR_BAD_ARGUMENT', 'train: batchSize 0 is not a whole number ≥ 1'],
      [{ test: takeFirst(mnistTest, 0) }, 'ERR_BAD_DATA', 'train: the test set is empty; give at least one labelled image'],
      [{ train: takeFirst(mnistTest, 0) }, 'ERR_BAD_DATA', 'train: the train set is empty; give at least one labelled image'],
    ];
    for (const [change, code, message] of cases) {
      const error = await rejection(train(state, { ...options, ...change }));
      expect([error.code, error.message]).toEqual([code, message]);
    }
    expect(state.optimizer.step).toBe(0);
    const error = errorOf(() => createNetwork(new ReferenceBackend(), 'paper', { ...MNIST_GEOMETRY, classes: 0 }));
    expect([error.code, error.message]).toEqual(['ERR_BAD_ARGUMENT', expect.stringMatching(/bad classes: 0/)]);
  });
});

describe('trainClassifier', () => {
  const { train: mnistTrain } = loadDataset();

  it('trains the paper network on 1,000 images for an epoch, far above chance, reporting progress over the run; its bytes load back as the same model', async () => {
    const seen: number[] = [];
    const onProgress = ({ done, total, epoch }: { done: number; total: number; epoch: number }) => {
      seen.push(done);
      expect([total, epoch]).toEqual([1000, 1]);
    };
    const model = await trainClassifier({ train: takeFirst(mnistTrain, 1000), test: takeFirst(mnistTest, 500), epochs: 1, onProgress });
    opened.push(model);
    expect(seen.at(-1)).toBe(1000);
    expect(seen.every((done, k) => k === 0 || done > seen[k - 1])).toBe(true);
    expect(seen).toHaveLength(Math.ceil(1000 / 64)); // a report a step of 64 images
    const evaluation = await model.evaluate(takeFirst(mnistTest, 500));
    console.log(`trainClassifier: 1 epoch on 1,000 images, test accuracy ${(100 * evaluation.accuracy).toFixed(1)}% on 500`);
    expect(evaluation.accuracy).toBeGreaterThan(0.5); // chance is 0.1
    expect(model.info.training).toMatchObject({ epochs: 1, batchSize: 64, learningRate: 0.001, seed: 1, arch: model.info.spec });
    expect((model.info.metrics as { testAccuracy: number }).testAccuracy).toBe(evaluation.accuracy);
    const reloaded = await open({ model: model.toBytes() });
    expect(await reloaded.predict(testImages(50))).toEqual(await model.predict(testImages(50)));
  });

  it('gives the same model for the same seed, another for another, on one thread or two', async () => {
    const run = async (seed: number, threads = 1) => {
      const model = await trainClassifier({ train: takeFirst(mnistTrain, 256), test: takeFirst(mnistTest, 64), arch: 'lenet5', seed, threads });
      const bytes = Buffer.from(model.toBytes().subarray(0)).toString('base64');
      expect(model.info.threads).toBe(threads);
      await model.close();
      return bytes;
    };
    const first = await run(3);
    expect(await run(3)).toBe(first);
    expect(await run(4)).not.toBe(first);
    expect(await run(3, 2)).toBe(await run(3, 2));
  });

  it('stops between two steps when its signal fires, rejecting with an AbortError', async () => {
    const controller = new AbortController();
    let steps = 0;
    const error = await rejection(trainClassifier({ train: takeFirst(mnistTrain, 640), test: takeFirst(mnistTest, 64), signal: controller.signal, onProgress: () => ++steps === 2 && controller.abort() }));
    expect([error.name, error.code, steps]).toEqual(['AbortError', 'ERR_ABORTED', 2]);
  });

  it('refuses epochs 0.5, classes 0, an empty test set and the like before any work, with a code', async () => {
    const base = { train: takeFirst(mnistTrain, 64), test: takeFirst(mnistTest, 64) };
    const cases: Array<[object, XcnnErrorCode, RegExp]> = [
      [{ epochs: 0.5 }, 'ERR_BAD_ARGUMENT', /^trainClassifier: epochs 0.5 is not a whole number from 1 to 10000$/],
      [{ classes: 0 }, 'ERR_BAD_ARGUMENT', /^trainClassifier: classes 0 is not a whole number from 1 to 4096$/],
      [{ test: takeFirst(mnistTest, 0) }, 'ERR_BAD_DATA', /^trainClassifier: test: the data set is empty/],
      [{ classes: 5 }, 'ERR_BAD_DATA', /^trainClassifier: train: label \d of image \d+ is not a class of this model \(0 to 4\)$/],
      [{ classNames: ['a', 'b'], classes: 10 }, 'ERR_BAD_ARGUMENT', /2 class names for 10 classes/],
      [{ learningRate: 0 }, 'ERR_BAD_ARGUMENT', /learningRate 0 is not a number above 0/],
      [{ arch: 'conv(8,3) linear(10)' }, 'ERR_BAD_ARGUMENT', /architecture: layer 2 linear\(10\)/],
      [{ epoch: 2 }, 'ERR_BAD_ARGUMENT', /^trainClassifier: unknown option 'epoch'/],
      [{ test: undefined }, 'ERR_BAD_ARGUMENT', /give the training images as train and the images to evaluate each epoch on as test/],
    ];
    for (const [change, code, message] of cases) {
      const error = await rejection(trainClassifier({ ...base, ...change } as never));
      expect([error.code, error.message], JSON.stringify(change)).toEqual([code, expect.stringMatching(message)]);
    }
  });
});

describe('createClassifier', () => {
  it('wraps a network in hand (trained with the lower-level API) in the same async face', async () => {
    const { network, info } = loadModel(shippedModelPath(), new ReferenceBackend());
    const model = createClassifier(network, info);
    const predictions = await model.predict(testImages(5));
    expect(predictions.map((p) => p.classIndex)).toEqual(Array.from(mnistTest.labels.subarray(0, 5)));
    await model.close();
  });
});

describe('classifierOf (how xcnn evaluate comes in)', () => {
  it('gives a network in hand the worker threads asked for, evaluates as the lower-level evaluate does, and closes without touching the backend', async () => {
    const backend = await createWasmBackend();
    const { network, info } = loadModel(shippedModelPath(), backend);
    const set = takeFirst(mnistTest, 200);
    const expected = evaluate(network, set, info.classNames); // on the calling thread, before the classifier takes the network
    const model = await classifierOf(network, info, 2);
    expect(model.info.threads).toBe(2);
    const evaluation = await model.evaluate(set);
    expect(evaluation.accuracy).toBe(expected.accuracy);
    expect(evaluation.confusion).toEqual(expected.confusion);
    await model.close();
    expect(() => backend.allocFloats(4)).not.toThrow(); // the backend is the program's: still usable
    await expect(classifierOf(loadModel(shippedModelPath(), new ReferenceBackend()).network, info, 2)).rejects.toThrow('classifierOf: threads 2 needs the wasm backend; the ts reference runs on one thread');
  });
});
