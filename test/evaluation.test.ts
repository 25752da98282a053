/**
 * Prediction and evaluation over a set (src/eval/predict.ts, evaluate.ts) against the network's own forward
 * pass with the softmax and the cross-entropy written out here, in float64; each refusal word for word; and the
 * terminal tables of src/eval/format.ts laid out by hand.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { evaluate, evaluationJson, evaluationOf } from '../src/eval/evaluate.js';
import { formatClassificationReport, formatConfusionMatrix, largestConfusions, MAX_CONFUSION_TABLE_CLASSES, TOP_CONFUSIONS } from '../src/eval/format.js';
import { classificationReport } from '../src/eval/metrics.js';
import { predict, predictImages, predictSteps, serialPredictor, type BatchPredictor } from '../src/eval/predict.js';
import type { Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';
import { refusal } from './errors.js';

function imageSet(seed: number, count: number, labels?: number[]): ImageSet {
  const random = new Random(seed);
  const images = Uint8Array.from({ length: count * PIXELS }, () => Math.floor(random.next() * 256));
  return { count, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: Uint8Array.from(labels ?? Array.from({ length: count }, (_, n) => (n * 3) % 4)) };
}

/** Softmax probabilities and −log p(label) of each image, from the network's logits, in float64. */
function byHand(network: Network, set: ImageSet): { probabilities: number[][]; losses: number[]; predicted: number[] } {
  const input = Float64Array.from(set.images.subarray(0, set.count * PIXELS), (v) => v / 255);
  const logits = network.forward(input, set.count);
  const probabilities: number[][] = [];
  const losses: number[] = [];
  const predicted: number[] = [];
  for (let n = 0; n < set.count; n++) {
    const row = Array.from(logits.subarray(n * 4, (n + 1) * 4));
    const exps = row.map((z) => Math.exp(z));
    const sum = exps.reduce((a, b) => a + b, 0);
    probabilities.push(exps.map((e) => e / sum));
    losses.push(-Math.log(exps[set.labels[n]] / sum));
    predicted.push(row.indexOf(Math.max(...row)));
  }
  return { probabilities, losses, predicted };
}

/** The error code of the refusal, or 'accepted'. */
const codeOf = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    return (error as XcnnError).code ?? 'no code';
  }
  return 'accepted';
};

describe('predict', () => {
  const network = tinyNetwork(3);
  const set = imageSet(1, 7);
  const expected = byHand(network, set);

  it('gives each image the softmax of its logits, its argmax, the mean cross-entropy and the accuracy, in batches of any size', () => {
    for (const batchSize of [1, 3, 7, 256]) {
      const result = predict(network, set, batchSize);
      expect(Array.from(result.predicted), `batch ${batchSize}`).toEqual(expected.predicted);
      for (let n = 0; n < 7; n++) for (let k = 0; k < 4; k++) expect(result.probabilities[n * 4 + k]).toBeCloseTo(expected.probabilities[n][k], 6);
      expect(result.loss).toBeCloseTo(expected.losses.reduce((a, b) => a + b, 0) / 7, 6);
      const correct = expected.predicted.filter((p, n) => p === set.labels[n]).length;
      expect(result.accuracy).toBe(correct / 7);
      expect(Array.from(result.labels)).toEqual(Array.from(set.labels));
    }
  });

  it('counts an image correct exactly when its prediction is its label', () => {
    const right = imageSet(1, 7, expected.predicted);
    expect(predict(network, right, 3).accuracy).toBe(1);
    const wrong = imageSet(1, 7, expected.predicted.map((p) => (p + 1) % 4));
    expect(predict(network, wrong, 3).accuracy).toBe(0);
    const half = imageSet(1, 7, expected.predicted.map((p, n) => (n < 3 ? p : (p + 2) % 4)));
    expect(predict(network, half, 2).accuracy).toBe(3 / 7);
  });

  it('gives the labels of the set as they are, even when the array holds more than the count', () => {
    const longer = { ...set, labels: Uint8Array.of(...set.labels, 9, 9) };
    expect(() => predict(network, longer)).toThrow(XcnnError); // one label per image: checkImageSet refuses
    const result = predict(network, set, 4);
    result.labels[0] = 99;
    expect(set.labels[0]).not.toBe(99); // a copy, not a view of the caller's array
  });

  it('pauses after each batch with the images done', () => {
    const steps = predictSteps(network, set, 3);
    const done: number[] = [];
    let next = steps.next();
    while (!next.done) {
      done.push(next.value.done);
      expect(next.value.total).toBe(7);
      next = steps.next();
    }
    expect(done).toEqual([3, 6, 7]);
    expect(Array.from(next.value.predicted)).toEqual(expected.predicted);
  });

  it('runs on a BatchPredictor as on the network it wraps', () => {
    const predictor: BatchPredictor = serialPredictor(network);
    const result = predict(predictor, set, 2);
    expect(Array.from(result.predicted)).toEqual(expected.predicted);
    expect(result.loss).toBeCloseTo(expected.losses.reduce((a, b) => a + b, 0) / 7, 6);
  });

  it('refuses images of another size, naming predict', () => {
    expect(refusal(() => predict(network, { ...set, height: 11, images: set.images.subarray(0, 7 * 132) }))).toBe('predict: the images are 11×12 but the model takes 12×12');
  });

  it('predictImages classifies bytes, and refuses pixels that are not a Uint8Array', () => {
    const result = predictImages(network, set.images.slice(0, 7 * PIXELS), 7);
    expect(Array.from(result.predicted)).toEqual(expected.predicted);
    expect(result.probabilities[5]).toBeCloseTo(expected.probabilities[1][1], 6);
    expect(refusal(() => predictImages(network, Array.from(set.images) as unknown as Uint8Array, 7))).toBe('predictImages: the pixels are a Array; give a Uint8Array, one byte a pixel and channel');
    expect(refusal(() => predictImages(network, new Float32Array(PIXELS) as unknown as Uint8Array, 1))).toBe('predictImages: the pixels are a Float32Array; give a Uint8Array, one byte a pixel and channel');
    expect(codeOf(() => predictImages(network, new Float32Array(PIXELS) as unknown as Uint8Array, 1))).toBe('ERR_BAD_IMAGE');
  });
});

describe('evaluate', () => {
  const network = tinyNetwork(3);
  const names = ['a', 'b', 'c', 'd'];

  it('gives the loss, accuracy, confusion matrix and report of the predictions', () => {
    const set = imageSet(2, 9);
    const expected = byHand(network, set);
    const result = evaluate(network, set, names);
    const confusion = [0, 1, 2, 3].map((t) => [0, 1, 2, 3].map((p) => expected.predicted.filter((q, n) => set.labels[n] === t && q === p).length));
    expect(result.confusion).toEqual(confusion);
    expect(result.count).toBe(9);
    expect(result.loss).toBeCloseTo(expected.losses.reduce((a, b) => a + b, 0) / 9, 6);
    expect(result.accuracy).toBe(confusion.reduce((s, row, k) => s + row[k], 0) / 9);
    expect(result.report).toEqual(classificationReport(confusion, names));
    expect(Array.from(result.predictions.predicted)).toEqual(expected.predicted);
    expect(evaluationJson(result)).toEqual({ count: 9, loss: result.loss, accuracy: result.accuracy, confusion, report: result.report });
    expect(Object.keys(evaluationJson(result))).toEqual(['count', 'loss', 'accuracy', 'confusion', 'report']);
  });

  it('refuses a class list of the wrong length or not a list, an empty set, and a label outside the classes', () => {
    const set = imageSet(2, 3);
    expect(refusal(() => evaluate(network, set, ['a', 'b', 'c']))).toBe('evaluate: 3 class names for a model of 4 classes; give one name per class');
    expect(refusal(() => evaluate(network, set, 'abcd' as unknown as string[]))).toBe('evaluate: the class names are not a list for a model of 4 classes; give one name per class');
    expect(refusal(() => evaluate(network, { ...set, count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) }, names))).toBe('evaluate: the test set is empty; give at least one labelled image');
    expect(refusal(() => evaluate(network, imageSet(2, 3, [0, 3, 4]), names))).toBe("evaluate: label 4 of image 2 is outside the model's 4 classes (0 to 3)");
    expect(refusal(() => evaluate(network, imageSet(2, 3, [3, 3, 3]), names))).toBe('accepted');
    expect(codeOf(() => evaluate(network, set, ['a']))).toBe('ERR_BAD_ARGUMENT');
    expect(codeOf(() => evaluate(network, { ...set, count: 0, images: new Uint8Array(0), labels: new Uint8Array(0) }, names))).toBe('ERR_BAD_DATA');
    expect(codeOf(() => evaluate(network, imageSet(2, 3, [0, 3, 4]), names))).toBe('ERR_BAD_DATA');
    // Only the set's own labels are checked against the classes: a label array longer than the count is the set's
    // inconsistency, which predict then names (not a label "outside the classes" that belongs to no image).
    expect(refusal(() => evaluate(network, { ...imageSet(2, 2), labels: Uint8Array.of(0, 1, 9) }, names))).toBe('predict: the set has 3 labels for 2 images; give one label per image');
  });

  it('evaluationOf counts the predictions given, without running anything', () => {
    const predictions = { labels: Uint8Array.of(0, 1, 1), predicted: Int32Array.of(0, 0, 1), probabilities: new Float32Array(6), loss: 0.7, accuracy: 2 / 3 };
    const result = evaluationOf(predictions, ['x', 'y']);
    expect(result).toEqual({ count: 3, loss: 0.7, accuracy: 2 / 3, confusion: [[1, 0], [1, 1]], report: classificationReport([[1, 0], [1, 1]], ['x', 'y']), predictions });
  });
});

describe('the evaluation tables', () => {
  it('prints the classification report as scikit-learn does: 4 decimals, names right-aligned in 12 columns, cells in 11', () => {
    // Confusion [[2, 1], [0, 1]]: class 0 p = 1, r = 2/3, f1 = 0.8; class 1 p = 0.5, r = 1, f1 = 2/3.
    const report = classificationReport([[2, 1], [0, 1]], ['zero', 'one']);
    expect(formatClassificationReport(report).split('\n')).toEqual([
      '              precision     recall   f1-score    support',
      '',
      '        zero     1.0000     0.6667     0.8000          3',
      '         one     0.5000     1.0000     0.6667          1',
      '',
      '    accuracy                           0.7500          4',
      '   macro avg     0.7500     0.8333     0.7333          4',
      'weighted avg     0.8750     0.7500     0.7667          4',
    ]);
    const long = classificationReport([[1]], ['a-name-of-fifteen']);
    expect(formatClassificationReport(long).split('\n')[2]).toBe('a-name-of-fifteen     1.0000     1.0000     1.0000          1');
  });

  it('prints the confusion matrix true down and predicted across, names cut to 6 characters, columns at least 6 wide', () => {
    expect(formatConfusionMatrix([[5, 1], [0, 12]], ['cat', 'dog'])).toBe(['true ↓ / predicted →', '        cat   dog', '  cat     5     1', '  dog     0    12'].join('\n'));
    expect(formatConfusionMatrix([[1234567, 0], [0, 1]], ['a', 'elephants'])).toBe(['true ↓ / predicted →', '              a  elepha', '      a 1234567       0', ' elepha       0       1'].join('\n'));
  });

  it(`lists the largest confusions instead of a table beyond ${MAX_CONFUSION_TABLE_CLASSES} classes`, () => {
    expect([MAX_CONFUSION_TABLE_CLASSES, TOP_CONFUSIONS]).toEqual([20, 20]);
    const size = 21;
    const confusion = Array.from({ length: size }, (_, t) => Array.from({ length: size }, (_, p) => (t === p ? 50 : 0)));
    const names = Array.from({ length: size }, (_, k) => `c${k}`);
    expect(formatConfusionMatrix(confusion, names)).toBe('confusion matrix: 21 classes, too many for a table (more than 20); no image is misclassified. The whole matrix is in the JSON (--json, metrics.json).');
    confusion[3][7] = 4;
    confusion[12][0] = 9;
    confusion[1][2] = 4;
    expect(formatConfusionMatrix(confusion, names).split('\n')).toEqual([
      'confusion matrix: 21 classes, too many for a table (more than 20); the 3 confusions, true → predicted: images. The whole matrix is in the JSON (--json, metrics.json).',
      '  c12 → c0  9',
      '  c1 → c2   4',
      '  c3 → c7   4',
    ]);
    for (let t = 0; t < size; t++) confusion[t][(t + 1) % size] = t + 1; // 20 more cells (1 → 2 becomes 2): 23, of which the 20 largest are shown
    const lines = formatConfusionMatrix(confusion, names).split('\n');
    expect(lines[0]).toBe('confusion matrix: 21 classes, too many for a table (more than 20); the 20 largest of the 23 confusions, true → predicted: images. The whole matrix is in the JSON (--json, metrics.json).');
    expect(lines).toHaveLength(21);
    expect(lines[1]).toBe('  c20 → c0   21');
    expect(lines[14]).toBe('  c12 → c0   9'); // after 8 → 9, also 9: the smaller true class first
    expect(lines[20]).toBe('  c3 → c7    4'); // ties with 3 → 4, after it
    // A class without a name is shown by its number.
    expect(formatConfusionMatrix(confusion, names.slice(0, 20)).split('\n')[1]).toBe('  20 → c0    21');
  });

  it('orders the confusions by count, then true class, then predicted class, leaving out the diagonal and empty cells', () => {
    expect(largestConfusions([[9, 2, 0], [2, 9, 3], [2, 2, 9]])).toEqual([
      { trueClass: 1, predictedClass: 2, count: 3 },
      { trueClass: 0, predictedClass: 1, count: 2 },
      { trueClass: 1, predictedClass: 0, count: 2 },
      { trueClass: 2, predictedClass: 0, count: 2 },
      { trueClass: 2, predictedClass: 1, count: 2 },
    ]);
  });
});

describe('evaluation: each argument check names the function, the argument and what it must be', () => {
  it('refuses a model, a set of predictions, an evaluation or a report of the wrong kind, word for word', () => {
    const network = tinyNetwork(3);
    const set = imageSet(1, 2);
    const predictions = predict(network, set);
    const pool = 'a network or a thread pool';
    expect(() => predict('m' as never, set)).toThrow(`predict: model must be ${pool}, not string`);
    expect(() => evaluate('m' as never, set, ['a'])).toThrow(`evaluate: model must be ${pool}, not string`);
    expect(() => predictImages('m' as never, new Uint8Array(PIXELS), 1)).toThrow('predictImages: network must be a network (createNetwork, loadModel, loadModelFromBytes), not string');
    expect(() => evaluationOf('p' as never, ['a'])).toThrow('evaluationOf: predictions must be predictions (labels, predicted and probabilities, as predict gives them), not string');
    expect(() => evaluationOf(predictions, 'a' as never)).toThrow('evaluationOf: classNames must be an array of strings, not string');
    expect(() => evaluationJson('e' as never)).toThrow('evaluationJson: evaluation must be an object (as evaluate gives it), not string');
    expect(() => evaluationJson({} as never)).toThrow('evaluationJson: evaluation.count must be a number (evaluation: as evaluate gives it), not undefined');
    expect(() => formatClassificationReport('r' as never)).toThrow('formatClassificationReport: report must be an object (as classificationReport gives it), not string');
    expect(() => formatClassificationReport({} as never)).toThrow('formatClassificationReport: report.classNames must be an array (report: as classificationReport gives it), not undefined');
    expect(() => formatConfusionMatrix('c' as never, ['a'])).toThrow('formatConfusionMatrix: confusion must be an array of rows of counts (confusionMatrix), not string');
    expect(() => formatConfusionMatrix([[1]], 'a' as never)).toThrow('formatConfusionMatrix: classNames must be an array of strings, not string');
  });
});
