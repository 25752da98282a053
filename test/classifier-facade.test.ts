/**
 * The classifier facade (src/classifier.ts) on networks small enough to work out by hand, in-process and in
 * milliseconds: the mutation group `classifier` runs this file (test/classifier.test.ts checks the same calls
 * on the shipped MNIST model, with worker threads and training, and takes minutes).
 *
 * The two networks, their weights set by hand:
 *   pixel reader  'flatten linear(3)' on [1, 2, 2]: logit k = pixel k (k = 0, 1, 2; pixel 3 is read by no
 *                 class), pixels being bytes / 255 — so the prediction, the probabilities (a softmax of the
 *                 pixels), the loss and each saliency map (|∂z_c/∂x| = 1 at pixel c) are closed forms.
 *   cam model     'conv(2,1) relu flatten linear(3)' on [1, 2, 2]: channel k of the conv is (k + 1)·x; class 0
 *                 reads channel 0 at cell 0, class 1 channel 1 at cell 1, class 2 channel 0 at cell 2 — so
 *                 Grad-CAM's channel weights α_k (the mean over the 4 cells of ∂z_c/∂A_k) are [¼, 0], [0, ¼],
 *                 [¼, 0], and its map relu(Σ α_k A_k) is x/4, x/2, x/4.
 * A third, 'conv(2,3) relu flatten linear(3)' on [1, 4, 5] with seeded weights, is for what needs a network
 * whose gradients depend on the input (the methods' settings) and an input that is not square.
 */
import { describe, expect, it, vi } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import {
  backendOf, callOptions, checkOptionNames, Classifier, createClassifier, labelledSetOf, labelledShapeOf, loadClassifier, openClassifier, threadsOption,
  type ClassifierEnvironment, type ClassifierThreads, type ImageExplanation,
} from '../src/classifier.js';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError, type XcnnErrorCode } from '../src/errors.js';
import { rejection } from './errors.js';
import { serialPredictor, type BatchPredictor } from '../src/eval/predict.js';
import { methodByName, METHOD_NAMES, type MethodOptions } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { gradCamOfBatch } from '../src/explain/grad-cam.js';
import { networkPasses, type ModelPasses } from '../src/explain/model-passes.js';
import { decodeModel, encodeModel, type ModelInfo } from '../src/model/model-file.js';
import { createNetwork, type Network } from '../src/model/network.js';
import type { NetworkGeometry } from '../src/model/spec.js';
import { Random } from '../src/random.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const GEOMETRY: NetworkGeometry = { channels: 1, height: 2, width: 2, classes: 3 };
const NAMES = ['zero', 'one', 'two'];
const INFO: ModelInfo = { geometry: GEOMETRY, dataset: 'hand-made', classNames: NAMES };

/** 'flatten linear(3)': logit k = pixel k for k < 3. */
function pixelReader(backend: Backend = new ReferenceBackend()): Network {
  const network = createNetwork(backend, 'flatten linear(3)', GEOMETRY);
  const [weight, bias] = network.parameters.map((p) => p.value); // [3, 4], [3]
  weight.fill(0);
  for (let k = 0; k < 3; k++) weight[k * 4 + k] = 1;
  bias.fill(0);
  return network;
}

/** 'conv(2,1) relu flatten linear(3)': A_k = (k + 1)·x; z_0 = A_0[0], z_1 = A_1[1], z_2 = A_0[2]. */
function camModel(): Network {
  const network = createNetwork(new ReferenceBackend(), 'conv(2,1) relu flatten linear(3)', GEOMETRY);
  const [convWeight, convBias, fcWeight, fcBias] = network.parameters.map((p) => p.value); // [2,1,1,1], [2], [3, 8], [3]
  convWeight.set([1, 2]);
  convBias.fill(0);
  fcWeight.fill(0);
  fcWeight[0 * 8 + 0 * 4 + 0] = 1; // class 0: channel 0, cell 0
  fcWeight[1 * 8 + 1 * 4 + 1] = 1; // class 1: channel 1, cell 1
  fcWeight[2 * 8 + 0 * 4 + 2] = 1; // class 2: channel 0, cell 2
  fcBias.fill(0);
  return network;
}

const WIDE: NetworkGeometry = { channels: 1, height: 4, width: 5, classes: 3 };
/** 'conv(2,3) relu flatten linear(3)' on [1, 4, 5], seeded weights. */
function wideModel(): Network {
  const network = createNetwork(new ReferenceBackend(), 'conv(2,3) relu flatten linear(3)', WIDE);
  network.initialize(new Random(5));
  // Conv weights × 5 and biases −0.3: the ReLUs switch between black and the image, so the gradients change along
  // the way (with the small initial weights every pre-activation keeps its sign, and all paths give one gradient).
  const [convWeight, convBias] = network.parameters.map((p) => p.value);
  convWeight.forEach((v, i) => (convWeight[i] = 5 * v));
  convBias.fill(-0.3);
  return network;
}

const DEEP: NetworkGeometry = { channels: 1, height: 3, width: 3, classes: 3 };
/** 'conv(2,1) relu conv(2,2) relu flatten linear(3)' on [1, 3, 3], seeded: relu1's cells are 3 × 3, relu2's 2 × 2. */
function twoBlockModel(): Network {
  const network = createNetwork(new ReferenceBackend(), 'conv(2,1) relu conv(2,2) relu flatten linear(3)', DEEP);
  network.initialize(new Random(2));
  return network;
}
const wideImages = (count: number) => ({ data: Uint8Array.from({ length: count * 20 }, (_, i) => (i * 37 + 11) % 256), shape: [count, 1, 4, 5] });

const classifier = (network = pixelReader(), info: ModelInfo = INFO) => createClassifier(network, info);
const softmax = (z: number[]) => {
  const top = Math.max(...z);
  const e = z.map((v) => Math.exp(v - top));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
};
/** The pixel reader's probabilities for one image's bytes: softmax of its first three pixels / 255. */
const readerProbabilities = (bytes: number[]) => softmax(bytes.slice(0, 3).map((b) => b / 255));
const bytesTensor = (rows: number[][]) => ({ data: Uint8Array.from(rows.flat()), shape: [rows.length, 1, 2, 2] });

const codeAndMessage = async (promise: Promise<unknown>) => {
  const error = await rejection(promise);
  return [error.code, error.message];
};
const thrown = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return [(error as XcnnError).code, (error as XcnnError).message];
  }
  return 'accepted';
};
const rows = (values: ArrayLike<number>) => Array.from(values);
const expectClose = (actual: ArrayLike<number>, expected: number[], digits = 6) => {
  expect(actual).toHaveLength(expected.length);
  expected.forEach((v, k) => expect(actual[k], `[${k}]`).toBeCloseTo(v, digits));
};

describe('info', () => {
  it('tells the spec, [C, H, W], classes, names, parameter count (3·4 + 3), data set, backend and threads, frozen', () => {
    const model = classifier();
    expect(model.info).toEqual({ spec: 'flatten linear(3)', inputShape: [1, 2, 2], classes: 3, classNames: NAMES, parameters: 15, dataset: 'hand-made', backend: 'ts', threads: 1 });
    expect(Object.isFrozen(model.info)).toBe(true);
    expect(Object.isFrozen(model.info.inputShape)).toBe(true);
    expect(Object.isFrozen(model.info.classNames)).toBe(true);
  });

  it('refuses, naming itself, a network that is not one', () => {
    expect(thrown(() => new Classifier(42 as never, INFO))).toEqual(['ERR_BAD_ARGUMENT', expect.stringMatching(/^Classifier: network must be .*, not number$/)]);
  });

  it('carries the file\'s training and metrics records when it has them, and only then', () => {
    const training = { epochs: 3 };
    const metrics = { testAccuracy: 0.5 };
    const model = classifier(pixelReader(), { ...INFO, training, metrics });
    expect([model.info.training, model.info.metrics]).toEqual([training, metrics]);
    expect(Object.keys(classifier().info)).not.toContain('training');
    expect(Object.keys(classifier().info)).not.toContain('metrics');
  });
});

describe('predict', () => {
  it('gives each image its most probable class, its name and the softmax of the logits (here the pixels / 255)', async () => {
    const images = [[255, 0, 0, 0], [0, 51, 204, 255], [0, 255, 102, 0]];
    const predictions = await classifier().predict(bytesTensor(images));
    expect(predictions.map((p) => [p.classIndex, p.className])).toEqual([[0, 'zero'], [2, 'two'], [1, 'one']]);
    predictions.forEach((p, n) => expectClose(p.probabilities, readerProbabilities(images[n])));
  });

  it('takes one image as [C, H, W], floats as the network\'s input itself (not rounded to bytes), and a list mixing both', async () => {
    const model = classifier();
    const [one] = await model.predict({ data: Uint8Array.from([0, 255, 0, 0]), shape: [1, 2, 2] });
    expect(one.classIndex).toBe(1);
    const floats = [0.3, 0.1002, 0.1, 0.9];
    const [fromFloats] = await model.predict({ data: Float32Array.from(floats), shape: [1, 2, 2] });
    expectClose(fromFloats.probabilities, softmax(floats.slice(0, 3)), 7);
    // A byte image after a float one is read as bytes / 255 (both orders; the offsets of the second part).
    const bytes = [10, 200, 30, 40];
    for (const list of [[{ data: Float32Array.from(floats), shape: [1, 2, 2] }, bytesTensor([bytes])], [bytesTensor([bytes, bytes]), { data: Float32Array.from(floats), shape: [1, 2, 2] }]]) {
      const predictions = await model.predict(list);
      const expected = list[0].data instanceof Float32Array ? [softmax(floats.slice(0, 3)), readerProbabilities(bytes)] : [readerProbabilities(bytes), readerProbabilities(bytes), softmax(floats.slice(0, 3))];
      expect(predictions).toHaveLength(expected.length);
      predictions.forEach((p, n) => expectClose(p.probabilities, expected[n], 6));
    }
  });

  it('reads an ImageData-like grey picture as its bytes, and a Uint8ClampedArray tensor as a Uint8Array one', async () => {
    const model = classifier();
    const grey = [40, 90, 250, 0];
    const picture = { data: Uint8ClampedArray.from(grey.flatMap((v) => [v, v, v, 255])), width: 2, height: 2 };
    const [fromPicture] = await model.predict(picture);
    expectClose(fromPicture.probabilities, readerProbabilities(grey));
    const [clamped] = await model.predict({ data: Uint8ClampedArray.from(grey), shape: [1, 1, 2, 2] });
    expectClose(clamped.probabilities, readerProbabilities(grey));
  });

  it('goes through the threads\' predictor when the classifier has threads', async () => {
    const network = pixelReader();
    const { threads, calls } = fakeThreads(network, 2);
    const model = new Classifier(network, INFO, { threads });
    expect(model.info.threads).toBe(2);
    const [p] = await model.predict(bytesTensor([[0, 0, 255, 0]]));
    expect([p.classIndex, calls.predictBatch]).toEqual([2, 1]);
    await model.evaluate({ images: bytesTensor([[0, 0, 255, 0]]), labels: [2] });
    expect(calls.predictBatch).toBe(2);
    await model.close();
    expect(calls.close).toBe(1);
  });
});

describe('explain', () => {
  const images = bytesTensor([[255, 0, 0, 0], [0, 0, 255, 0]]);

  it('runs Grad-CAM on the threads\' runner and the other methods on their passes, with the maps of the calling thread', async () => {
    const network = camModel();
    const { threads, calls } = fakeThreads(network, 2);
    const threaded = new Classifier(network, INFO, { threads });
    const alone = classifier(camModel());
    const input = { data: Float32Array.from([1, 0.75, 0, 0.25, 0.5, 0.5, 0.5, 0.5]), shape: [2, 1, 2, 2] };
    const maps = (explanations: ImageExplanation[]) => explanations.flatMap((e) => rows(e.map));
    const ask = async (options: object) => [maps(await threaded.explain(input, options)), maps(await alone.explain(input, options))];
    let [a, b] = await ask({});
    expect([a, calls.runner, calls.passes]).toEqual([b, 1, 0]);
    [a, b] = await ask({ method: 'saliency' });
    expect(a).toEqual(b);
    expect([calls.runner, calls.passes > 0]).toEqual([1, true]);
    const before = calls.passes;
    [a, b] = await ask({ method: 'grad-cam++', targets: [2, 0] });
    expect(a).toEqual(b);
    expect(calls.passes).toBeGreaterThan(before);
    const runs = calls.runner + calls.passes;
    const summary = await threaded.explainClasses({ images: input, labels: [0, 1] });
    expect(summary.methodTitle).toBe('Grad-CAM');
    expect(calls.runner + calls.passes).toBeGreaterThan(runs);
    const sinceSummary = calls.passes;
    await threaded.explainClasses({ images: input, labels: [0, 1] }, { method: 'saliency' });
    expect(calls.passes).toBeGreaterThan(sinceSummary);
  });

  it('names the conv block it explains: the last by default, or the one asked for, by either of its names', async () => {
    const model = classifier(twoBlockModel(), { ...INFO, geometry: DEEP });
    const input = { data: Uint8Array.from({ length: 18 }, (_, i) => (i * 53) % 256), shape: [2, 1, 3, 3] };
    const shapes = async (options: object) => (await model.explain(input, options)).map((e) => [e.layer, e.mapShape]);
    expect(await shapes({})).toEqual([['relu2', [2, 2]], ['relu2', [2, 2]]]);
    expect(await shapes({ layer: 'conv1' })).toEqual([['relu1', [3, 3]], ['relu1', [3, 3]]]);
    expect(await shapes({ layer: 'relu1', targets: [0, 1] })).toEqual([['relu1', [3, 3]], ['relu1', [3, 3]]]);
    expect(await shapes({ method: 'eigen-cam', layer: 'conv1', placement: 'receptive-field' })).toEqual([['relu1', [3, 3]], ['relu1', [3, 3]]]);
    expect(await shapes({ method: 'eigen-cam' })).toEqual([['relu2', [2, 2]], ['relu2', [2, 2]]]);
    expect(await shapes({ method: 'saliency' })).toEqual([['input', [3, 3]], ['input', [3, 3]]]);
    // Grad-CAM placed by receptive field goes the general way (no channel weights), to the same raw map.
    const stretched = await model.explain(input, { method: 'grad-cam', targets: 1 });
    const placed = await model.explain(input, { method: 'grad-cam', targets: 1, placement: 'receptive-field' });
    expect(placed.map((e) => rows(e.map))).toEqual(stretched.map((e) => rows(e.map)));
    expect([placed.map((e) => 'weights' in e), stretched.map((e) => 'weights' in e)]).toEqual([[false, false], [true, true]]);
  });

  it('saliency on the pixel reader: each image\'s map is 1 at the pixel its target reads, for the targets given one per image', async () => {
    const explanations = await classifier().explain(images, { method: 'saliency', targets: [1, 0] });
    expect(explanations.map((e) => [e.classIndex, e.className, e.target, e.targetName, e.layer, e.mapShape])).toEqual([
      [0, 'zero', 1, 'one', 'input', [2, 2]],
      [2, 'two', 0, 'zero', 'input', [2, 2]],
    ]);
    expect(explanations.map((e) => rows(e.map))).toEqual([[0, 1, 0, 0], [1, 0, 0, 0]]);
    expect(explanations.map((e) => rows(e.heatmap))).toEqual([[0, 1, 0, 0], [1, 0, 0, 0]]);
    expectClose(explanations[1].logits, [0, 0, 1]);
    expectClose(explanations[1].probabilities, readerProbabilities([0, 0, 255, 0]));
    for (const e of explanations) expect(['weights' in e, 'completenessGap' in e]).toEqual([false, false]);
  });

  it('explains each image\'s predicted class by default, and one class for all when targets is a number', async () => {
    const model = classifier();
    const predicted = await model.explain(images, { method: 'saliency' });
    expect(predicted.map((e) => [e.target, rows(e.map)])).toEqual([[0, [1, 0, 0, 0]], [2, [0, 0, 1, 0]]]);
    const forTwo = await model.explain(images, { method: 'saliency', targets: 2 });
    expect(forTwo.map((e) => [e.target, e.targetName, rows(e.map)])).toEqual([[2, 'two', [0, 0, 1, 0]], [2, 'two', [0, 0, 1, 0]]]);
    const forZero = await model.explain(images, { method: 'saliency', targets: 0 });
    expect(forZero.map((e) => e.target)).toEqual([0, 0]);
  });

  it('Grad-CAM by default on relu1: α_k and the map x/4 or x/2 by hand, image by image, with or without targets', async () => {
    const x = [1, 0.75, 0, 0.25]; // z = (1, 2·0.75, 0): class 1
    const model = classifier(camModel());
    const input = { data: Float32Array.from([...x, ...x]), shape: [2, 1, 2, 2] };
    for (const [options, targets] of [[{ targets: [0, 1] }, [0, 1]], [{}, [1, 1]], [{ targets: 0 }, [0, 0]], [{ layer: 'conv1', targets: [1, 2] }, [1, 2]], [{ layer: 'relu1', targets: 2 }, [2, 2]]] as const) {
      const explanations = await model.explain(input, options);
      expect(explanations.map((e) => [e.target, e.layer, e.mapShape]), JSON.stringify(options)).toEqual(targets.map((t) => [t, 'relu1', [2, 2]]));
      explanations.forEach((e, n) => {
        const t = targets[n];
        // Grad-CAM's own way (no targets, or one for all) gives the channel weights; per-image targets do not.
        if (Array.isArray((options as { targets?: unknown }).targets)) expect('weights' in e).toBe(false);
        else expectClose(e.weights!, t === 1 ? [0, 0.25] : [0.25, 0]);
        expectClose(e.map, x.map((v) => (t === 1 ? v / 2 : v / 4)));
        expectClose(e.heatmap, x.map((v) => v / 1));
        expect(e.classIndex).toBe(1);
      });
    }
  });

  it('Grad-CAM with receptive-field placement goes the general way (no channel weights), the same map', async () => {
    const x = [1, 0.75, 0, 0.25];
    const [e] = await classifier(camModel()).explain({ data: Float32Array.from(x), shape: [1, 2, 2] }, { placement: 'receptive-field', targets: 1 });
    expect([e.layer, 'weights' in e]).toEqual(['relu1', false]);
    expectClose(e.map, x.map((v) => v / 2));
  });

  it('integrated-gradients gives a completeness gap per image: 0 for a linear network', async () => {
    const explanations = await classifier().explain(images, { method: 'integrated-gradients', steps: 4 });
    expect(explanations.map((e) => e.completenessGap)).toHaveLength(2);
    for (const e of explanations) expect(e.completenessGap).toBeCloseTo(0, 5);
  });

  it('passes each setting to its method: the maps are the lower-level method\'s with that setting, and not the default\'s', async () => {
    const network = wideModel();
    const model = classifier(network, { ...INFO, geometry: WIDE });
    const input = wideImages(2);
    const set: ImageSet = { count: 2, channels: 1, height: 4, width: 5, images: input.data, labels: new Uint8Array(2) };
    // [method, the other settings, the setting under test]: SmoothGrad's noise is made large (σ = 1) so that it
    // switches the ReLUs, without which every noisy copy has the same gradient.
    const cases: Array<[string, Record<string, number>, Record<string, number>]> = [
      ['smoothgrad', { sigma: 1 }, { samples: 3 }],
      ['smoothgrad', { samples: 5 }, { sigma: 1.5 }],
      ['smoothgrad', { sigma: 1 }, { seed: 9 }],
      ['integrated-gradients', {}, { steps: 1 }],
      ['occlusion', {}, { window: 2 }],
      ['occlusion', { window: 2 }, { stride: 1 }],
      ['kernel-shap', {}, { patch: 2 }],
      ['kernel-shap', { patch: 1 }, { samples: 40 }],
      ['kernel-shap', { patch: 1, samples: 64 }, { seed: 3 }],
      ['lime', {}, { patch: 2 }],
      ['lime', {}, { samples: 30 }],
      ['lime', {}, { seed: 4 }],
    ];
    const key = { smoothgrad: 'smoothGrad', 'integrated-gradients': 'integratedGradients', occlusion: 'occlusion', 'kernel-shap': 'kernelShap', lime: 'lime' } as const;
    for (const [name, others, setting] of cases) {
      const method = name as keyof typeof key;
      const facade = await model.explain(input, { method, ...others, ...setting });
      const expected = explainImages(network, set, methodByName(method, { [key[method]]: { ...others, ...setting } } as MethodOptions));
      const without = explainImages(network, set, methodByName(method, { [key[method]]: others } as MethodOptions));
      const label = `${name} ${JSON.stringify(setting)}`;
      expect(facade.flatMap((e) => rows(e.map)), label).toEqual(rows(expected.maps));
      expect(rows(expected.maps), label).not.toEqual(rows(without.maps));
    }
  });

  it('reports progress a batch at a time: 4 images for occlusion, kernel-shap and lime, 256 for Grad-CAM, 64 for the others', async () => {
    const progress = async (model: Classifier, count: number, options: object) => {
      const seen: string[] = [];
      const tensor = { data: new Uint8Array(count * 4).fill(9), shape: [count, 1, 2, 2] };
      await model.explain(tensor, { ...options, onProgress: ({ done, total }) => seen.push(`${done}/${total}`) });
      return seen;
    };
    const reader = classifier();
    expect(await progress(reader, 6, { method: 'occlusion', window: 1 })).toEqual(['4/6', '6/6']);
    expect(await progress(reader, 6, { method: 'kernel-shap', samples: 8, patch: 1 })).toEqual(['4/6', '6/6']);
    expect(await progress(reader, 6, { method: 'lime', samples: 8, patch: 1 })).toEqual(['4/6', '6/6']);
    expect(await progress(reader, 70, { method: 'saliency' })).toEqual(['64/70', '70/70']);
    const cam = classifier(camModel());
    expect(await progress(cam, 300, {})).toEqual(['256/300', '300/300']);
    expect(await progress(cam, 70, { method: 'grad-cam++' })).toEqual(['64/70', '70/70']);
    expect(await progress(cam, 300, { targets: 1 })).toEqual(['256/300', '300/300']);
  });

  it('gives each image rows of the call\'s own arrays: a later call does not change an earlier result', async () => {
    const model = classifier();
    const first = await model.explain(images, { method: 'saliency' });
    const kept = first.map((e) => [rows(e.map), rows(e.heatmap), rows(e.probabilities)]);
    await model.explain(bytesTensor([[0, 255, 0, 0], [0, 255, 0, 0]]), { method: 'saliency' });
    expect(first.map((e) => [rows(e.map), rows(e.heatmap), rows(e.probabilities)])).toEqual(kept);
  });
});

describe('evaluate', () => {
  const images = [[255, 0, 0, 0], [0, 51, 204, 255], [0, 255, 102, 0], [30, 20, 10, 0]];
  const labels = [0, 1, 1, 2];
  // Predicted: 0, 2, 1, 0; right: images 0 and 2.
  const loss = labels.reduce((sum, label, n) => sum - Math.log(readerProbabilities(images[n])[label]), 0) / 4;

  it('gives the loss (mean cross-entropy), accuracy and confusion of labelled images, by hand', async () => {
    const evaluation = await classifier().evaluate({ images: bytesTensor(images), labels });
    expect(evaluation.count).toBe(4);
    expect(evaluation.accuracy).toBe(0.5);
    expect(evaluation.loss).toBeCloseTo(loss, 5);
    expect(evaluation.confusion).toEqual([[1, 0, 0], [0, 1, 1], [1, 0, 0]]);
    expect('predictions' in evaluation).toBe(false);
  });

  it('takes an image set as well, and gives each image\'s prediction with predictions: true', async () => {
    const set: ImageSet = { count: 4, height: 2, width: 2, images: Uint8Array.from(images.flat()), labels: Uint8Array.from(labels) };
    const evaluation = await classifier().evaluate(set, { predictions: true });
    expect(evaluation.accuracy).toBe(0.5);
    expect([rows(evaluation.predictions!.predicted), rows(evaluation.predictions!.labels)]).toEqual([[0, 2, 1, 0], labels]);
    expect('predictions' in (await classifier().evaluate(set, { predictions: false }))).toBe(false);
    expect(await codeAndMessage(classifier().evaluate(set, { predictions: 'yes' as never }))).toEqual(['ERR_BAD_ARGUMENT', 'evaluate: predictions must be true or false, not string']);
  });

  it('reports progress a batch of 256 at a time', async () => {
    const seen: string[] = [];
    await classifier().evaluate({ images: { data: new Uint8Array(300 * 4), shape: [300, 1, 2, 2] }, labels: new Array(300).fill(0) }, { onProgress: ({ done, total }) => seen.push(`${done}/${total}`) });
    expect(seen).toEqual(['256/300', '300/300']);
  });
});

describe('explainClasses', () => {
  // Class 0: images 0 and 3; class 1: image 1; class 2: image 2 — predicted 0, 2, 2, 1.
  const images = [[200, 0, 0, 0], [0, 100, 150, 0], [0, 0, 60, 0], [0, 90, 0, 0]];
  const labels = [0, 1, 2, 0];
  const data = () => ({ images: bytesTensor(images), labels });

  it('averages each class\'s first classImages images and explains the confusion cells, their mistakes for t and p', async () => {
    const summary = await classifier().explainClasses(data(), { method: 'saliency', classImages: 1 });
    expect(summary.methodTitle).toBe(methodByName('saliency').title);
    expect(rows(summary.means!.images.counts)).toEqual([1, 1, 1]);
    expectClose(summary.means!.images.means, [200, 0, 0, 0, 0, 100, 150, 0, 0, 0, 60, 0], 3);
    expectClose(summary.means!.heatmaps.means, [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0], 5); // saliency of class c: 1 at pixel c
    // Off the diagonal: (0 → 1) image 3 and (1 → 2) image 1.
    expect(summary.cells.cellCount).toBe(2);
    expect(summary.cells.cells.map((cell) => [cell.trueClass, cell.predictedClass, cell.mistakes.length]).sort()).toEqual([[0, 1, 1], [1, 2, 1]]);
    const two = await classifier().explainClasses(data(), { method: 'saliency', classImages: 2, cells: 1, perCell: 1 });
    expect(rows(two.means!.images.counts)).toEqual([2, 1, 1]);
    expectClose(two.means!.images.means.subarray(0, 4), [100, 45, 0, 0], 3);
    expect(two.cells.cells).toHaveLength(1);
  });

  it('leaves the means out with means: false, and uses predictions given instead of predicting again', async () => {
    const model = classifier();
    const { predictions } = await model.evaluate(data(), { predictions: true });
    const seen: string[] = [];
    const onProgress = ({ done, total }: { done: number; total: number }) => seen.push(`${done}/${total}`);
    const cellsOnly = await model.explainClasses(data(), { method: 'saliency', means: false, onProgress });
    expect(Object.keys(cellsOnly)).toEqual(['methodTitle', 'cells']);
    expect(seen).toEqual(['4/4']);
    seen.length = 0;
    const given = await model.explainClasses(data(), { method: 'saliency', predictions, onProgress });
    expect(seen).toEqual([]);
    expect(given.cells.cellCount).toBe(2);
    // Predictions that say otherwise are believed: every image read as class 0 leaves only the (t, 0) cells.
    const allZero = { ...predictions!, predicted: new Int32Array(4) };
    expect((await model.explainClasses(data(), { method: 'saliency', predictions: allZero })).cells.cells.map((c) => [c.trueClass, c.predictedClass]).sort()).toEqual([[1, 0], [2, 0]]);
  });

  it('explains Grad-CAM (the default) on the last conv block or the one asked for, and refuses one the model has not', async () => {
    const model = classifier(twoBlockModel(), { ...INFO, geometry: DEEP });
    const nine = { images: { data: Uint8Array.from({ length: 36 }, (_, i) => (i * 53) % 256), shape: [4, 1, 3, 3] }, labels };
    const last = await model.explainClasses(nine);
    expect([last.methodTitle, last.means!.explanation.mapHeight, last.cells.explanation.mapHeight]).toEqual(['Grad-CAM', 2, 2]);
    const first = await model.explainClasses(nine, { layer: 'conv1' });
    expect([first.means!.explanation.mapHeight, first.cells.explanation.mapHeight]).toEqual([3, 3]);
    expect(await codeAndMessage(model.explainClasses(nine, { layer: 'conv3' }))).toEqual(['ERR_BAD_ARGUMENT', "explainClasses: layer 'conv3' is not a conv block of this model; the choices are relu1 (or conv1), relu2 (or conv2)"]);
  });

  it('refuses counts below 1 or not whole, each by its name', async () => {
    const model = classifier();
    for (const option of ['classImages', 'cells', 'perCell']) {
      for (const value of [0, 1.5, '2']) {
        expect(await codeAndMessage(model.explainClasses(data(), { method: 'saliency', [option]: value })), `${option} ${value}`).toEqual(['ERR_BAD_ARGUMENT', `explainClasses: ${option} ${value} is not a whole number ≥ 1`]);
      }
    }
    expect(await codeAndMessage(model.explainClasses(data(), { method: 'magic' as never }))).toEqual(['ERR_BAD_ARGUMENT', `explainClasses: method 'magic' is not one of ${METHOD_NAMES.join(', ')}`]);
    expect(await codeAndMessage(model.explainClasses(data(), { method: 7 as never }))).toEqual(['ERR_BAD_ARGUMENT', `explainClasses: method number is not one of ${METHOD_NAMES.join(', ')}`]);
    expect(await codeAndMessage(model.explainClasses(data(), { method: 'saliency', predictions: {} as never }))).toEqual(['ERR_BAD_ARGUMENT', 'explainClasses: predictions must be predictions (labels, predicted and probabilities, as predict gives them), not Object']);
    // A CAM method on a network without a convolution is refused before any work: no batch is predicted first.
    const seen: number[] = [];
    expect(await codeAndMessage(model.explainClasses(data(), { onProgress: ({ done }) => seen.push(done) }))).toEqual(['ERR_BAD_MODEL', expect.stringMatching(/^this network has no convolution/)]);
    expect(seen).toEqual([]);
  });
});

describe('explain refuses, naming the option', () => {
  const model = classifier(wideModel(), { ...INFO, geometry: WIDE });
  const input = wideImages(2);
  const cases: Array<[object, string]> = [
    [{ method: 42 }, `explain: method number is not one of ${METHOD_NAMES.join(', ')}`],
    [{ method: 'gradcam' }, `explain: method 'gradcam' is not one of ${METHOD_NAMES.join(', ')}`],
    [{ sigma: 0.2 }, 'explain: sigma is a setting of smoothgrad, not of grad-cam'],
    [{ method: 'lime', steps: 2 }, 'explain: steps is a setting of integrated-gradients, not of lime'],
    [{ method: 'saliency', patch: 2 }, 'explain: patch is a setting of kernel-shap, lime, not of saliency'],
    [{ method: 'smoothgrad', samples: 0 }, 'explain: samples 0 is not a whole number ≥ 1'],
    [{ method: 'smoothgrad', samples: 2.5 }, 'explain: samples 2.5 is not a whole number ≥ 1'],
    [{ method: 'kernel-shap', samples: 1 }, 'explain: samples 1 is not a whole number ≥ 2'],
    [{ method: 'lime', samples: 1 }, 'explain: samples 1 is not a whole number ≥ 2'],
    [{ method: 'smoothgrad', sigma: -0.01 }, 'explain: sigma -0.01 is not a number ≥ 0'],
    [{ method: 'smoothgrad', sigma: Infinity }, 'explain: sigma Infinity is not a number ≥ 0'],
    [{ method: 'smoothgrad', sigma: '1' }, 'explain: sigma 1 is not a number ≥ 0'],
    [{ method: 'integrated-gradients', steps: 0 }, 'explain: steps 0 is not a whole number ≥ 1'],
    [{ method: 'occlusion', stride: 0 }, 'explain: stride 0 is not a whole number ≥ 1'],
    [{ method: 'occlusion', window: 5 }, 'explain: window 5 is not a whole number from 1 to 4 (the input is 4 × 5)'],
    [{ method: 'occlusion', window: 0 }, 'explain: window 0 is not a whole number from 1 to 4 (the input is 4 × 5)'],
    [{ method: 'lime', patch: 5 }, 'explain: patch 5 is not a whole number from 1 to 4 (the input is 4 × 5)'],
    [{ method: 'kernel-shap', patch: 1.5 }, 'explain: patch 1.5 is not a whole number from 1 to 4 (the input is 4 × 5)'],
    [{ method: 'lime', seed: -1 }, 'explain: seed -1 is not a whole number from 0 to 4294967295'],
    [{ method: 'smoothgrad', seed: 2 ** 32 }, 'explain: seed 4294967296 is not a whole number from 0 to 4294967295'],
    [{ method: 'smoothgrad', seed: 0.5 }, 'explain: seed 0.5 is not a whole number from 0 to 4294967295'],
    [{ layer: 'conv9' }, "explain: layer 'conv9' is not a conv block of this model; the choices are relu1 (or conv1)"],
    [{ layer: 7 }, 'explain: layer number is not a conv block of this model; the choices are relu1 (or conv1)'],
    [{ method: 'saliency', layer: 'relu1' }, 'explain: layer is for the methods that read a conv block (the CAM family and guided-grad-cam); saliency explains the input'],
    [{ placement: 'centre' }, "explain: placement 'centre' is not one of stretch, receptive-field"],
    [{ method: 'saliency', placement: 'receptive-field' }, "explain: placement 'receptive-field' is for the CAM methods, whose maps live on a conv block's cells; saliency's map is already on the input's pixels"],
    [{ method: 'guided-grad-cam', placement: 'receptive-field' }, "explain: placement 'receptive-field' is for the CAM methods, whose maps live on a conv block's cells; guided-grad-cam's map is already on the input's pixels"],
    [{ targets: 3 }, 'explain: targets 3 is not a class of this model: a whole number from 0 to 2'],
    [{ targets: -1 }, 'explain: targets -1 is not a class of this model: a whole number from 0 to 2'],
    [{ targets: 0.5 }, 'explain: targets 0.5 is not a class of this model: a whole number from 0 to 2'],
    [{ targets: [0, 3] }, 'explain: targets[1] 3 is not a class of this model: a whole number from 0 to 2'],
    [{ targets: ['1', 0] }, 'explain: targets[0] 1 is not a class of this model: a whole number from 0 to 2'],
    [{ targets: [0] }, 'explain: targets has 1 classes for 2 images; give one per image, or one number for all'],
    [{ targets: 'all' }, 'explain: targets must be a class (a number) or one class per image (an array), not string'],
    [{ targets: null }, 'explain: targets must be a class (a number) or one class per image (an array), not null'],
    [{ targets: {} }, 'explain: targets must be a class (a number) or one class per image (an array), not Object'],
    [{ metod: 'saliency' }, `explain: unknown option 'metod'; the options are method, targets, layer, placement, samples, sigma, steps, window, stride, patch, seed, signal, onProgress`],
  ];
  for (const [options, message] of cases) {
    it(JSON.stringify(options), async () => {
      expect(await codeAndMessage(model.explain(input, options as never))).toEqual(['ERR_BAD_ARGUMENT', message]);
    });
  }

  it('accepts each setting at the ends of its range', async () => {
    const edges: object[] = [
      { method: 'smoothgrad', samples: 1, sigma: 0, seed: 0 },
      { method: 'smoothgrad', samples: 1, seed: 0xffffffff },
      { method: 'kernel-shap', samples: 2, patch: 4 },
      { method: 'lime', samples: 2, patch: 1 },
      { method: 'occlusion', window: 4, stride: 1 },
      { method: 'occlusion', window: 1 },
      { method: 'integrated-gradients', steps: 1 },
      { method: 'grad-cam', placement: 'receptive-field', targets: [2, 0] },
      { method: 'grad-cam', placement: 'stretch', layer: 'relu1' },
    ];
    for (const options of edges) expect((await model.explain(input, options as never)).length, JSON.stringify(options)).toBe(2);
  });
});

describe('labelled images', () => {
  const set = (fields: Partial<ImageSet> = {}): ImageSet => ({ count: 2, height: 2, width: 2, images: new Uint8Array(8), labels: Uint8Array.from([0, 2]), ...fields });
  const cases: Array<[unknown, XcnnErrorCode, string]> = [
    [null, 'ERR_BAD_ARGUMENT', 'evaluate: the data must be an image set (such as loadDataset().test) or { images, labels }, not null'],
    [7, 'ERR_BAD_ARGUMENT', 'evaluate: the data must be an image set (such as loadDataset().test) or { images, labels }, not number'],
    [{ train: set(), test: set() }, 'ERR_BAD_ARGUMENT', 'evaluate: that is a whole data set; give one of its splits, such as its test set (dataset.test)'],
    [{ test: set() }, 'ERR_BAD_ARGUMENT', 'evaluate: the data must be an image set (count, height, width, images, labels; such as loadDataset().test) or { images, labels }'],
    [{ train: set() }, 'ERR_BAD_ARGUMENT', 'evaluate: the data must be an image set (count, height, width, images, labels; such as loadDataset().test) or { images, labels }'],
    [{ images: bytesTensor([[0, 0, 0, 0]]) }, 'ERR_BAD_ARGUMENT', 'evaluate: the data must be an image set (count, height, width, images, labels; such as loadDataset().test) or { images, labels }'],
    [{ labels: [0] }, 'ERR_BAD_ARGUMENT', 'evaluate: the data must be an image set (count, height, width, images, labels; such as loadDataset().test) or { images, labels }'],
    [{ images: bytesTensor([[0, 0, 0, 0]]), labels: 0 }, 'ERR_BAD_ARGUMENT', 'evaluate: labels must be an array of classes, not number'],
    [{ images: bytesTensor([[0, 0, 0, 0]]), labels: null }, 'ERR_BAD_ARGUMENT', 'evaluate: labels must be an array of classes, not null'],
    [{ images: bytesTensor([[0, 0, 0, 0]]), labels: {} }, 'ERR_BAD_ARGUMENT', 'evaluate: labels must be an array of classes, not Object'],
    [{ images: bytesTensor([[0, 0, 0, 0]]), labels: '0' }, 'ERR_BAD_ARGUMENT', 'evaluate: labels must be an array of classes, not string'],
    // 2³² + 1 would be 1 once stored in the set's Int32Array labels: it is refused as given.
    [{ images: bytesTensor([[0, 0, 0, 0], [0, 0, 0, 0]]), labels: [0, 2 ** 32 + 1] }, 'ERR_BAD_DATA', 'evaluate: label 4294967297 of image 1 is not a class of this model (0 to 2)'],
    [{ images: bytesTensor([[0, 0, 0, 0]]), labels: [0, 1] }, 'ERR_BAD_DATA', 'evaluate: 2 labels for 1 images; give one label per image'],
    [{ images: bytesTensor([[0, 0, 0, 0], [0, 0, 0, 0]]), labels: [0, 3] }, 'ERR_BAD_DATA', 'evaluate: label 3 of image 1 is not a class of this model (0 to 2)'],
    [{ images: bytesTensor([[0, 0, 0, 0], [0, 0, 0, 0]]), labels: [-1, 0] }, 'ERR_BAD_DATA', 'evaluate: label -1 of image 0 is not a class of this model (0 to 2)'],
    [{ images: bytesTensor([[0, 0, 0, 0], [0, 0, 0, 0]]), labels: [0, 0.5] }, 'ERR_BAD_DATA', 'evaluate: label 0.5 of image 1 is not a class of this model (0 to 2)'],
    [set({ labels: Uint8Array.from([0, 3]) }), 'ERR_BAD_DATA', 'evaluate: label 3 of image 1 is not a class of this model (0 to 2)'],
    [set({ count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) }), 'ERR_BAD_DATA', 'evaluate: the data set is empty; give at least one labelled image'],
  ];
  for (const [data, code, message] of cases) {
    it(`evaluate refuses ${JSON.stringify(data)?.slice(0, 60)}`, async () => {
      expect(await codeAndMessage(classifier().evaluate(data as never))).toEqual([code, message]);
    });
  }

  it('accepts the edge classes 0 and classes − 1, and keeps the labels as given', () => {
    const checked = labelledSetOf('evaluate', { images: bytesTensor([[0, 0, 0, 0], [1, 1, 1, 1]]), labels: [2, 0] }, [1, 2, 2], 3);
    expect([checked.count, rows(checked.labels), rows(checked.images)]).toEqual([2, [2, 0], [0, 0, 0, 0, 1, 1, 1, 1]]);
    expect(labelledSetOf('evaluate', set(), [1, 2, 2], 3).count).toBe(2);
  });

  it('labelledShapeOf reads [C, H, W] from an image set or from the first tensor\'s shape', () => {
    expect(labelledShapeOf('train', set())).toEqual([1, 2, 2]);
    expect(labelledShapeOf('train', set({ channels: 3 }))).toEqual([3, 2, 2]);
    expect(labelledShapeOf('train', { images: { data: new Uint8Array(60), shape: [2, 3, 2, 5] }, labels: [0, 0] })).toEqual([3, 2, 5]);
    expect(labelledShapeOf('train', { images: { data: new Uint8Array(30), shape: [3, 2, 5] }, labels: [0] })).toEqual([3, 2, 5]);
    expect(labelledShapeOf('train', { images: [{ data: new Uint8Array(10), shape: [1, 2, 5] }, { data: new Uint8Array(4), shape: [1, 2, 2] }], labels: [0, 0] })).toEqual([1, 2, 5]);
    const message = 'train: give an image set (such as loadDataset().train) or { images: { data, shape: [N, C, H, W] }, labels }: the images\' shape sets the model\'s input';
    for (const bad of [null, 3, {}, { images: null, labels: [] }, { images: [], labels: [] }, { images: [null], labels: [] }, { images: { data: new Uint8Array(4), width: 2, height: 2 }, labels: [0] }, { images: { shape: 'x' }, labels: [] }, { images: { shape: [2, 2] }, labels: [] }, { images: { shape: [1, 1, 1, 2, 2] }, labels: [] }]) {
      expect(thrown(() => labelledShapeOf('train', bad as never)), JSON.stringify(bad)).toEqual(['ERR_BAD_ARGUMENT', message]);
    }
  });
});

describe('call options', () => {
  it('refuses options that are not an object, and names every option of the call when one is unknown', async () => {
    const model = classifier();
    const image = bytesTensor([[0, 0, 0, 0]]);
    for (const bad of [null, 5, 'x', [1]]) {
      const described = bad === null ? 'null' : Array.isArray(bad) ? 'Array' : typeof bad;
      expect(await codeAndMessage(model.predict(image, bad as never)), String(bad)).toEqual(['ERR_BAD_ARGUMENT', `predict: the options must be an object, not ${described}`]);
    }
    expect(await codeAndMessage(model.predict(image, { onProgres: () => 0 } as never))).toEqual(['ERR_BAD_ARGUMENT', "predict: unknown option 'onProgres'; the options are signal, onProgress"]);
    expect(await codeAndMessage(model.evaluate({ images: image, labels: [0] }, { prediction: true } as never))).toEqual(['ERR_BAD_ARGUMENT', "evaluate: unknown option 'prediction'; the options are signal, onProgress, predictions"]);
    expect(await codeAndMessage(model.explainClasses({ images: image, labels: [0] }, { cell: 1 } as never))).toEqual(['ERR_BAD_ARGUMENT', "explainClasses: unknown option 'cell'; the options are method, layer, classImages, cells, perCell, means, predictions, signal, onProgress"]);
    expect(thrown(() => checkOptionNames('f', undefined, ['a']))).toBe('accepted');
  });

  it('accepts an AbortSignal and a function, refuses anything else, and rejects with an AbortError when the signal has already fired', async () => {
    const controller = new AbortController();
    const onProgress = () => undefined;
    expect(callOptions('predict', { signal: controller.signal, onProgress })).toEqual({ signal: controller.signal, onProgress });
    expect(callOptions('predict', {})).toEqual({ signal: undefined, onProgress: undefined });
    const notSignal = 'predict: signal must be an AbortSignal (new AbortController().signal), not';
    expect(thrown(() => callOptions('predict', { signal: 'stop' as never }))).toEqual(['ERR_BAD_ARGUMENT', `${notSignal} string`]);
    expect(thrown(() => callOptions('predict', { signal: null as never }))).toEqual(['ERR_BAD_ARGUMENT', `${notSignal} null`]);
    expect(thrown(() => callOptions('predict', { signal: { aborted: false } as never }))).toEqual(['ERR_BAD_ARGUMENT', `${notSignal} Object`]);
    expect(thrown(() => callOptions('predict', { signal: { aborted: 'no', addEventListener: () => 0 } as never }))).toEqual(['ERR_BAD_ARGUMENT', `${notSignal} Object`]);
    expect(thrown(() => callOptions('predict', { signal: { aborted: false, addEventListener: () => 0 } as never }))).toBe('accepted');
    expect(thrown(() => callOptions('predict', { signal: Object.assign(() => 0, { aborted: false, addEventListener: () => 0 }) as never }))).toEqual(['ERR_BAD_ARGUMENT', `${notSignal} function`]);
    expect(thrown(() => callOptions('predict', { onProgress: 'log' as never }))).toEqual(['ERR_BAD_ARGUMENT', 'predict: onProgress must be a function ({ done, total }) => …, not string']);
    controller.abort(new Error('gone'));
    expect(thrown(() => callOptions('predict', { signal: controller.signal }))).toEqual(['ERR_ABORTED', 'predict: aborted']);
    const error = await rejection(classifier().predict(bytesTensor([[0, 0, 0, 0]]), { signal: controller.signal }));
    expect([error.name, error.code, error.message, (error.cause as Error).message]).toEqual(['AbortError', 'ERR_ABORTED', 'predict: aborted', 'gone']);
  });

  it('stops at the next batch when the signal fires during a call, and the next call runs', async () => {
    const model = classifier();
    const controller = new AbortController();
    let batches = 0;
    const error = await rejection(model.explain({ data: new Uint8Array(12 * 4), shape: [12, 1, 2, 2] }, { method: 'occlusion', window: 1, signal: controller.signal, onProgress: () => (++batches, controller.abort()) }));
    expect([error.name, error.message, batches]).toEqual(['AbortError', 'explain: aborted', 1]);
    expect((await model.predict(bytesTensor([[0, 255, 0, 0]])))[0].classIndex).toBe(1);
  });
});

describe('order and close', () => {
  it('runs calls one at a time in the order made, and a failed call does not stop the ones after it', async () => {
    const model = classifier();
    const order: string[] = [];
    const many = { data: new Uint8Array(600 * 4), shape: [600, 1, 2, 2] };
    const first = model.predict(many, { onProgress: ({ done }) => order.push(`a${done}`) });
    const controller = new AbortController();
    const second = model.predict(many, { signal: controller.signal, onProgress: () => (order.push('b'), controller.abort()) });
    const third = model.evaluate({ images: many, labels: new Array(600).fill(0) }, { onProgress: ({ done }) => order.push(`c${done}`) });
    await first;
    expect((await rejection(second)).code).toBe('ERR_ABORTED');
    await third;
    expect(order).toEqual(['a256', 'a512', 'a600', 'b', 'c256', 'c512', 'c600']);
  });

  it('refuses every call after close with ERR_DISPOSED, naming the call; closing twice gives the same promise', async () => {
    const model = classifier();
    const closing = model.close();
    expect(model.close()).toBe(closing);
    await closing;
    const image = bytesTensor([[0, 0, 0, 0]]);
    const message = (what: string) => `${what}: this classifier is closed; load the model again with loadClassifier`;
    for (const [what, call] of [
      ['predict', () => model.predict(image)],
      ['explain', () => model.explain(image)],
      ['evaluate', () => model.evaluate({ images: image, labels: [0] })],
      ['explainClasses', () => model.explainClasses({ images: image, labels: [0] })],
    ] as const) {
      expect(await codeAndMessage(call()), what).toEqual(['ERR_DISPOSED', message(what)]);
    }
    expect(thrown(() => model.toBytes())).toEqual(['ERR_DISPOSED', message('toBytes')]);
  });

  it('stops a call in progress at its next batch (ERR_DISPOSED, naming the call) and waits for it before freeing the network', async () => {
    const network = pixelReader();
    const model = classifier(network);
    let closing: Promise<void> | null = null;
    const error = await rejection(model.evaluate({ images: { data: new Uint8Array(600 * 4), shape: [600, 1, 2, 2] }, labels: new Array(600).fill(0) }, { onProgress: () => void (closing ??= model.close()) }));
    expect([error.code, error.message]).toEqual(['ERR_DISPOSED', 'evaluate: this classifier is closed; load the model again with loadClassifier']);
    await closing;
    expect(network.disposed).toBe(true);
  });

  it('frees the network on close, and the backend only when it made it; Symbol.asyncDispose closes', async () => {
    const backend = new ReferenceBackend();
    const network = pixelReader(backend);
    const mine = new Classifier(network, INFO);
    await mine[Symbol.asyncDispose]();
    expect(network.disposed).toBe(true);
    expect(() => backend.allocFloats(1)).not.toThrow();
    const ownedBackend = new ReferenceBackend();
    const owned = new Classifier(pixelReader(ownedBackend), INFO, { ownsBackend: true });
    await owned.close();
    expect(thrown(() => ownedBackend.allocFloats(1))[0]).toBe('ERR_DISPOSED');
  });

  it('gives the model\'s bytes, which load back as the same model', async () => {
    const model = classifier();
    const { network, info } = decodeModel(model.toBytes(), 'model', new ReferenceBackend());
    expect(info.classNames).toEqual(NAMES);
    expect(rows(network.params)).toEqual(rows(pixelReader().params));
  });
});

/** Threads played on the calling thread: the pool's predictor, Grad-CAM runner and passes count their calls; close counts. */
function fakeThreads(network: Network, count: number): { threads: ClassifierThreads; calls: { predictBatch: number; close: number; runner: number; passes: number } } {
  const calls = { predictBatch: 0, close: 0, runner: 0, passes: 0 };
  const serial = serialPredictor(network);
  const own = networkPasses(network);
  const passes = Object.fromEntries(Object.entries(own).map(([name, pass]) => [name, (...args: unknown[]) => (calls.passes++, (pass as (...a: unknown[]) => unknown)(...args))])) as unknown as ModelPasses;
  const predictor: BatchPredictor = {
    backend: serial.backend,
    inputShape: serial.inputShape,
    outputShape: serial.outputShape,
    workspace: serial.workspace,
    predictBatch: (batch) => (calls.predictBatch++, serial.predictBatch(batch)),
  };
  const threads: ClassifierThreads = {
    count,
    predictor,
    gradCamRunner: (batch, target, out, layer) => {
      calls.runner++;
      gradCamOfBatch(network, batch.input, batch.size, target, out, network.workspace.floats('test.dLogits', network.outputShape[0]).forBatch(batch.size), layer);
    },
    passes,
    close: async () => void calls.close++,
  };
  return { threads, calls };
}

describe('openClassifier (loadClassifier with the environment given)', () => {
  const modelFile = () => encodeModel(pixelReader(), INFO);
  /** An environment that records what it is asked, its backends reference ones. */
  function environment(extra: Partial<ClassifierEnvironment> = {}) {
    const log: string[] = [];
    const backends: ReferenceBackend[] = [];
    const env: ClassifierEnvironment = {
      loadShippedModel: async (backend) => (log.push('shipped'), { network: pixelReader(backend), info: { ...INFO, dataset: 'shipped' } }),
      createWasmBackend: async () => {
        log.push('wasm backend');
        const backend = new ReferenceBackend();
        backends.push(backend);
        return backend;
      },
      ...extra,
    };
    return { env, log, backends };
  }

  it('loads the shipped model by default, on the environment\'s wasm backend, which close disposes', async () => {
    const { env, log, backends } = environment();
    const model = await openClassifier({}, env);
    expect([log, model.info.dataset, model.info.threads]).toEqual([['wasm backend', 'shipped'], 'shipped', 1]);
    expect((await model.predict(bytesTensor([[0, 0, 255, 0]])))[0].classIndex).toBe(2);
    await model.close();
    expect(thrown(() => backends[0].allocFloats(1))[0]).toBe('ERR_DISPOSED');
  });

  it('reads bytes, an ArrayBuffer, or a path through the environment; the ts backend on request', async () => {
    const bytes = modelFile();
    const paths: string[] = [];
    const { env, log } = environment({ readModel: (path) => (paths.push(path), bytes) });
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    for (const model of [bytes, buffer, 'models/reader.safetensors']) {
      const opened = await openClassifier({ model, backend: 'ts' }, env);
      expect([opened.info.dataset, opened.info.backend, opened.info.classNames]).toEqual(['hand-made', 'ts', NAMES]);
      await opened.close();
    }
    expect([paths, log]).toEqual([['models/reader.safetensors'], []]);
  });

  it('uses a Backend object as it is and leaves it to the program; makes a wasm backend from the kernels\' bytes', async () => {
    const backend = new ReferenceBackend();
    const { env, log } = environment();
    const model = await openClassifier({ model: modelFile(), backend }, env);
    await model.close();
    expect(() => backend.allocFloats(1)).not.toThrow();
    const kernels = readFileSync(join(import.meta.dirname, '..', 'build', 'kernels.wasm'));
    const wasm = await openClassifier({ model: modelFile(), kernels }, env);
    expect(wasm.info.backend).toBe('wasm');
    expect((await wasm.predict(bytesTensor([[0, 255, 0, 0]])))[0].classIndex).toBe(1);
    await wasm.close();
    expect(log).toEqual([]);
  });

  it('passes arch and input (a string or an object) to the decoder, and takes input for an ONNX file without arch', async () => {
    const seen: unknown[] = [];
    const { env } = environment({
      decodeModel: (_bytes, source, backend, options) => (seen.push([source, options]), { network: pixelReader(backend), info: INFO }),
    });
    const file = modelFile();
    const inputs: Array<[unknown, unknown]> = [
      ['3x4x5', { channels: 3, height: 4, width: 5 }],
      ['4X5', { height: 4, width: 5 }],
      ['1x4096', { height: 1, width: 4096 }],
      [{ height: 4, width: 5 }, { height: 4, width: 5 }],
      [{ channels: 2, height: 4, width: 5 }, { channels: 2, height: 4, width: 5 }],
    ];
    for (const [input, parsed] of inputs) {
      await (await openClassifier({ model: file, arch: 'paper', input: input as never, backend: 'ts' }, env)).close();
      expect(seen.pop()).toStrictEqual(['model', { arch: 'paper', input: parsed }]); // strict: no `channels: undefined`
    }
    await (await openClassifier({ model: file, arch: 'lenet5', backend: 'ts' }, env)).close();
    expect(seen.pop()).toEqual(['model', { arch: 'lenet5', input: undefined }]);
    const onnx = await openClassifier({ model: 'net.ONNX', input: '8x8', backend: 'ts' }, { ...env, readModel: () => new Uint8Array(16) });
    await onnx.close();
    expect(seen.pop()).toEqual(['net.ONNX', { arch: undefined, input: { height: 8, width: 8 } }]);
  });

  it('refuses a bad model, arch, input, backend or kernels in one line, before loading anything', async () => {
    const { env, log } = environment();
    const file = modelFile();
    const inputMessage = (text: string) => `loadClassifier: input ${text} is not 'CxHxW', 'HxW' or { channels, height, width } of whole numbers from 1 to 4096, e.g. '3x32x32'`;
    const cases: Array<[object, string]> = [
      [{ model: 42 }, "loadClassifier: model is a number; give the model file's bytes (a Uint8Array or an ArrayBuffer), or leave it out for the shipped model"],
      [{ model: 'm.safetensors' }, "loadClassifier: model 'm.safetensors' is a path, which needs Node; here give the file's bytes (a Uint8Array or an ArrayBuffer)"],
      [{ model: file, arch: 3 }, 'loadClassifier: arch must be a string (a spec such as "conv(8,3) relu flatten linear(10)", or a preset name), not number'],
      [{ model: file, input: '3x4x5' }, 'loadClassifier: input is for a file without an architecture, given with arch (or an ONNX graph of free size); a model xcnn wrote knows its input size'],
      [{ input: '3x4x5' }, 'loadClassifier: input is for a file without an architecture, given with arch (or an ONNX graph of free size); a model xcnn wrote knows its input size'],
      [{ arch: 'paper' }, 'loadClassifier: arch is for a model file without an architecture; the shipped model has one (give the file as model)'],
      [{ model: file, arch: 'paper', input: '3x0x5' }, inputMessage("'3x0x5'")],
      [{ model: file, arch: 'paper', input: '4097x5' }, inputMessage("'4097x5'")],
      [{ model: file, arch: 'paper', input: '1x2x3x4' }, inputMessage("'1x2x3x4'")],
      [{ model: file, arch: 'paper', input: '28' }, inputMessage("'28'")],
      [{ model: file, arch: 'paper', input: '2.5x4' }, inputMessage("'2.5x4'")],
      [{ model: file, arch: 'paper', input: ' 4x5' }, inputMessage("' 4x5'")],
      [{ model: file, arch: 'paper', input: '4x5 ' }, inputMessage("'4x5 '")],
      [{ model: file, arch: 'paper', input: Object.assign(() => 0, { height: 4, width: 5 }) }, inputMessage('undefined')],
      [{ model: file, arch: 'paper', input: 28 }, inputMessage('28')],
      [{ model: file, arch: 'paper', input: null }, inputMessage('null')],
      [{ model: file, arch: 'paper', input: { height: 4 } }, inputMessage('{"height":4}')],
      [{ model: file, arch: 'paper', input: { width: 4, height: 0 } }, inputMessage('{"width":4,"height":0}')],
      [{ model: file, arch: 'paper', input: { channels: 0, height: 4, width: 4 } }, inputMessage('{"channels":0,"height":4,"width":4}')],
      [{ model: file, backend: 'gpu' }, "loadClassifier: backend 'gpu' is not 'wasm', 'ts' or a Backend object"],
      [{ model: file, backend: { name: 'fake' } }, "loadClassifier: backend Object is not 'wasm', 'ts' or a Backend object"],
      [{ model: file, backend: { allocFloats: () => 0 } }, "loadClassifier: backend Object is not 'wasm', 'ts' or a Backend object"],
      [{ model: file, backend: Object.assign(function wasm() {}, { allocFloats: () => 0 }) }, "loadClassifier: backend function is not 'wasm', 'ts' or a Backend object"],
      [{ model: file, kernels: 'kernels.wasm' }, 'loadClassifier: kernels must be the bytes of kernels.wasm (a Uint8Array or an ArrayBuffer), not string'],
      [{ model: file, kernels: 'kernels.wasm', backend: 'ts' }, 'loadClassifier: kernels must be the bytes of kernels.wasm (a Uint8Array or an ArrayBuffer), not string'],
      [{ model: file, modle: 1 }, "loadClassifier: unknown option 'modle'; the options are model, arch, input, backend, threads, kernels"],
    ];
    for (const [options, message] of cases) {
      expect(await codeAndMessage(openClassifier(options as never, env)), JSON.stringify(options)).toEqual(['ERR_BAD_ARGUMENT', message]);
    }
    expect(log).toEqual([]);
    const withPaths = environment({ readModel: () => file }).env;
    expect(await codeAndMessage(openClassifier({ model: 42 as never }, withPaths))).toEqual(['ERR_BAD_ARGUMENT', "loadClassifier: model is a number; give the model file's bytes (a Uint8Array or an ArrayBuffer), its path, or leave it out for the shipped model"]);
  });

  it('names an unreadable model \'model\' whether bytes or an ArrayBuffer', async () => {
    const { env } = environment();
    const [bytes, buffer] = [await rejection(openClassifier({ model: new Uint8Array(10) }, env)), await rejection(openClassifier({ model: new ArrayBuffer(10) }, env))];
    expect([buffer.code, buffer.message]).toEqual([bytes.code, bytes.message]);
    expect(bytes.message).toMatch(/^model: /);
  });

  it('disposes on close the backend it made, ts or wasm from the kernels\' bytes', async () => {
    const made: Backend[] = [];
    const { env } = environment({ decodeModel: (_bytes, _source, backend) => (made.push(backend), { network: pixelReader(backend), info: INFO }) });
    const kernels = readFileSync(join(import.meta.dirname, '..', 'build', 'kernels.wasm'));
    await (await openClassifier({ model: modelFile(), backend: 'ts' }, env)).close();
    await (await openClassifier({ model: modelFile(), kernels }, env)).close();
    expect(made.map((backend) => backend.name)).toEqual(['ts', 'wasm']);
    for (const backend of made) expect(thrown(() => backend.allocFloats(1))[0], backend.name).toBe('ERR_DISPOSED');
  });

  it('backendOf refuses null and a function, as it refuses any other non-backend', async () => {
    const { env } = environment();
    expect(await codeAndMessage(backendOf('f', null as never, undefined, env))).toEqual(['ERR_BAD_ARGUMENT', "f: backend null is not 'wasm', 'ts' or a Backend object"]);
  });

  it('disposes the backend it made when the model does not load, and not one the program gave', async () => {
    const { env, backends } = environment();
    const error = await rejection(openClassifier({ model: new Uint8Array(10) }, env));
    expect(error.code).toBe('ERR_BAD_MODEL');
    expect(thrown(() => backends[0].allocFloats(1))[0]).toBe('ERR_DISPOSED');
    const given = new ReferenceBackend();
    await rejection(openClassifier({ model: new Uint8Array(10), backend: given }, env));
    expect(() => given.allocFloats(1)).not.toThrow();
  });

  it('starts threads when asked for more than one (on wasm), up to the environment\'s most', async () => {
    const started: number[] = [];
    const { env } = environment({
      maxThreads: 4,
      startThreads: async (network, threads) => (started.push(threads), fakeThreads(network, threads).threads),
    });
    const wasmNamed = Object.assign(new ReferenceBackend(), { name: 'wasm' as const });
    const model = await openClassifier({ model: modelFile(), threads: 4, backend: wasmNamed }, env);
    expect([model.info.threads, started]).toEqual([4, [4]]);
    await model.close();
    const single = await openClassifier({ model: modelFile(), threads: 1 }, env);
    expect([single.info.threads, started]).toEqual([1, [4]]);
    await single.close();
    const viaDefault = await openClassifier({ model: modelFile(), threads: 2 }, env);
    expect(viaDefault.info.threads).toBe(2);
    await viaDefault.close();
  });

  it('loadClassifier, the browser-safe core, fetches the shipped model and the kernels when given neither', async () => {
    // Node's fetch has no file: URLs: this one serves the package's files by name, as a web server would.
    const served = { 'kernels.wasm': 'build/kernels.wasm', 'kernels-relaxed.wasm': 'build/kernels-relaxed.wasm', 'mnist-small.safetensors': 'data/mnist-small.safetensors' };
    const fetched: string[] = [];
    vi.stubGlobal('fetch', async (url: URL | string) => {
      const name = String(url).split('/').at(-1) as keyof typeof served;
      fetched.push(name);
      return new Response(readFileSync(join(import.meta.dirname, '..', served[name])));
    });
    try {
      const model = await loadClassifier();
      expect([model.info.dataset, model.info.backend, model.info.inputShape]).toEqual(['mnist', 'wasm', [1, 28, 28]]);
      expect(fetched.sort()).toEqual([expect.stringMatching(/^kernels(-relaxed)?\.wasm$/), 'mnist-small.safetensors']);
      await model.close();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('loadClassifier, the browser-safe core, loads bytes on the kernels given, and has no threads to give', async () => {
    const kernels = readFileSync(join(import.meta.dirname, '..', 'build', 'kernels.wasm'));
    const model = await loadClassifier({ model: modelFile(), kernels });
    expect([model.info.backend, model.info.dataset, (await model.predict(bytesTensor([[0, 0, 255, 0]])))[0].classIndex]).toEqual(['wasm', 'hand-made', 2]);
    await model.close();
    expect(await codeAndMessage(loadClassifier({ model: modelFile(), threads: 2 }))).toEqual(['ERR_BAD_ARGUMENT', 'loadClassifier: threads 2 is not a whole number from 1 to 1 (more threads need Node: its worker threads)']);
    expect(await codeAndMessage(loadClassifier({ model: 'm.safetensors' }))).toEqual(['ERR_BAD_ARGUMENT', "loadClassifier: model 'm.safetensors' is a path, which needs Node; here give the file's bytes (a Uint8Array or an ArrayBuffer)"]);
  });

  it('threadsOption: 1 by default; a whole number from 1 to the most, more than 1 only on wasm', () => {
    const node = { loadShippedModel: async () => ({}) as never, createWasmBackend: async () => ({}) as never, startThreads: async () => ({}) as never, maxThreads: 3 };
    const web = { ...node, startThreads: undefined, maxThreads: undefined };
    expect(threadsOption('f', undefined, 'ts', web)).toBe(1);
    expect(threadsOption('f', 1, 'ts', web)).toBe(1);
    expect(threadsOption('f', 3, 'wasm', node)).toBe(3);
    expect(thrown(() => threadsOption('f', 4, 'wasm', node))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 4 is not a whole number from 1 to 3']);
    expect(thrown(() => threadsOption('f', 0, 'wasm', node))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 0 is not a whole number from 1 to 3']);
    expect(thrown(() => threadsOption('f', 1.5, 'wasm', node))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 1.5 is not a whole number from 1 to 3']);
    expect(thrown(() => threadsOption('f', '2', 'wasm', node))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 2 is not a whole number from 1 to 3']);
    expect(thrown(() => threadsOption('f', 2, 'wasm', web))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 2 is not a whole number from 1 to 1 (more threads need Node: its worker threads)']);
    expect(thrown(() => threadsOption('f', 2, 'wasm', { ...node, maxThreads: 0 }))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 2 is not a whole number from 1 to 1']);
    expect(thrown(() => threadsOption('f', 2, 'ts', node))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 2 needs the wasm backend; the ts reference runs on one thread']);
    expect(thrown(() => threadsOption('f', 2, new ReferenceBackend(), node))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 2 needs the wasm backend; the ts reference runs on one thread']);
    expect(threadsOption('f', 2, { name: 'wasm' } as never, node)).toBe(2);
    expect(thrown(() => threadsOption('f', 2, null as never, node))).toEqual(['ERR_BAD_ARGUMENT', 'f: threads 2 needs the wasm backend; the ts reference runs on one thread']);
  });
});
