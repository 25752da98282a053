/**
 * `xcnn faithfulness`: how faithful each explanation method is, measured (src/faithfulness/) on the first
 * `--n` test images — deletion and insertion AUCs (zero-filled and ROAD-imputed) against a random order,
 * the cascading model-randomisation check, the pointing game on the digit's ink, and the cost per image —
 * as a ranked table on the terminal (or JSON with `--json`), faithfulness.json and a figure of the methods
 * side by side on a few correct and misclassified test digits (faithfulness.png) in `--out`. `xcnn report
 * --faithfulness DIR/faithfulness.json` adds the table and figure to report.html.
 *
 * Time: the curves cost 4 × 29 forward passes an image and method, the randomisation check 5 explanations
 * of `--sanity` images; the perturbation methods (occlusion, kernel-shap, lime) dominate. Expect minutes
 * for all methods at the default --n 500 (see README, "Faithfulness").
 */
import { join } from 'node:path';
import { usageError } from '../errors.js';
import { isMethodName, METHOD_NAMES, METHOD_SETTINGS, methodByName, type MethodName, type MethodOptions } from '../explain/methods/by-name.js';
import { explainedLayer, explainableLayersOf } from '../explain/explained-layer.js';
import { needsConvLayer } from '../explain/methods/explain.js';
import { zeroCentred } from '../explain/explanation.js';
import type { Classifier, ImageExplanation } from '../classifier.js';
import { classifierOf } from '../classifier-node.js';
import { measureFaithfulness, type FaithfulnessResult } from '../faithfulness/faithfulness.js';
import { faithfulnessJson, formatFaithfulness } from '../faithfulness/format.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { colormapByName, colormapNames, type Colormap } from '../render/colormap.js';
import { methodsFigure, type MethodsFigureRow } from '../render/methods-figure.js';
import { encodePng } from '../render/png.js';
import type { ImageSet } from '../data/dataset.js';
import { choiceFlag, given, intFlag, numberValue, wholeRange, type CommandSpec, type FlagRule, type FlagValues } from './args.js';
import { archFlag, backendFlag, dataFlag, layerFlag, loadCommandModel, loadDataFor, SEED_RANGE, threadsFlag } from './common.js';
import { ThreadPool } from '../parallel/thread-pool.js';
import { checkOutputFolder } from './output-folder.js';
import { ProgressBar } from './progress-bar.js';

/** --layer: only when some method measured reads a conv block (all of them are measured without --methods). */
const forConvMethods: FlagRule = {
  applies: (values) => values.methods === undefined || parseMethodList(String(values.methods)).some((name) => needsConvLayer(methodByName(name))),
  refusal: (_, values) => `--layer: only for the methods that read a conv block (the CAM family and guided-grad-cam); ${values.methods} do not (leave --layer out)`,
};

export const faithfulnessSpec: CommandSpec = {
  name: 'faithfulness',
  brief: 'Measures and ranks how faithful each explanation method is.',
  summary:
    'Measures how faithful each explanation method is on the first --n test images: deletion and insertion curves (zero-filled and ROAD-imputed) against a random order, the model-randomisation sanity check, the pointing game on the digit\'s ink, and the cost per image; prints a ranked table and writes faithfulness.json and a side-by-side figure.',
  usage: 'xcnn faithfulness [--model FILE] [--arch SPEC [--input CxHxW]] [--methods NAME,…] [--layer NAME] [--n 500] [--steps 28] [--sanity 100] [--seed 1] [--out DIR] [--json] [--figure-rows 3] [--colormap jet|viridis] [--data DIR] [--backend ts|wasm] [--threads N]',
  flags: {
    model: { type: 'string', value: 'FILE', help: 'A model.safetensors written by xcnn train, or a PyTorch state_dict with --arch (default: the small pretrained MNIST model shipped in data/mnist-small.safetensors, said on stderr).' },
    ...archFlag,
    methods: { type: 'string', value: 'LIST', help: `Comma-separated methods to measure (default: all that apply to the network: ${METHOD_NAMES.join(', ')}).`, check: (text) => parseMethodList(text) },
    layer: { ...layerFlag.layer, appliesWhen: [forConvMethods] },
    n: { type: 'string', value: 'N', help: 'Test images measured: the first N of the test set; the default shrinks to a smaller test set.', default: '500', range: wholeRange(1, 100_000) },
    steps: { type: 'string', value: 'K', help: 'Deletion/insertion steps: the H·W pixels / K per step, 28 of 28 on MNIST; at most H·W.', default: '28', range: wholeRange(1, 1_000) },
    sanity: { type: 'string', value: 'N', help: 'Images in the model-randomisation check: the first N of the images measured.', default: '100', range: wholeRange(1, 100_000) },
    seed: { type: 'string', value: 'N', help: 'Seed of the random order, the ROAD noise, the randomised weights and the seeded methods.', default: '1', range: SEED_RANGE },
    out: { type: 'string', value: 'DIR', help: 'Where faithfulness.json and faithfulness.png go; created if missing.', default: 'runs/faithfulness' },
    json: { type: 'boolean', help: 'Print the results on stdout as JSON (as in faithfulness.json) instead of the table.' },
    'figure-rows': { type: 'string', value: 'N', help: 'Figure rows per kind: the first N correct and the first N misclassified images of the test set.', default: '3', range: wholeRange(0, 50) },
    colormap: { type: 'string', value: 'jet|viridis', help: 'The heatmap colours.', default: 'jet', choices: colormapNames },
    ...dataFlag,
    ...backendFlag,
    ...threadsFlag,
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

/** The methods named by `--methods`, each checked against the registry. */
export function parseMethodList(text: string | undefined): string[] {
  if (text === undefined) return [...METHOD_NAMES];
  const names = text.split(',').map((s) => s.trim());
  for (const name of names) {
    if (!isMethodName(name)) throw usageError(`--methods: '${name}' is not one of ${METHOD_NAMES.join(', ')}`);
  }
  return [...new Set(names)];
}

/** The first `perKind` correctly classified and the first `perKind` misclassified images of a set, by index. */
export function figureImages(predicted: ArrayLike<number>, labels: ArrayLike<number>, perKind: number): number[] {
  const correct: number[] = [];
  const wrong: number[] = [];
  for (let n = 0; n < labels.length && (correct.length < perKind || wrong.length < perKind); n++) {
    const list = predicted[n] === labels[n] ? correct : wrong;
    if (list.length < perKind) list.push(n);
  }
  return [...correct, ...wrong];
}

/**
 * The side-by-side figure: the methods (columns, in the table's order) on the first correct and the first
 * misclassified digits of the whole test set (rows; chosen there, not among the --n, so that a small run
 * still shows mistakes), each explained for its predicted class — by the library's classifier, as a
 * program would ask it (classifierOf).
 */
async function faithfulnessFigure(classifier: Classifier, set: ImageSet, methods: MethodName[], seed: number, classNames: string[], perKind: number, colormap: Colormap, layer?: string) {
  const [channels, height, width] = classifier.info.inputShape;
  const pixels = height * width;
  const imageSize = channels * pixels;
  const predicted = (await classifier.predict({ data: set.images, shape: [set.count, channels, height, width] })).map((prediction) => prediction.classIndex);
  const chosen = figureImages(predicted, set.labels, perKind);
  const images = { data: new Uint8Array(chosen.length * imageSize), shape: [chosen.length, channels, height, width] };
  chosen.forEach((index, n) => images.data.set(set.images.subarray(index * imageSize, (index + 1) * imageSize), n * imageSize));
  const explanations: ImageExplanation[][] = [];
  for (const method of methods) {
    const seeded = (METHOD_SETTINGS.seed as readonly string[]).includes(method);
    const readsBlock = needsConvLayer(methodByName(method));
    explanations.push(await classifier.explain(images, { method, ...(seeded ? { seed } : {}), ...(readsBlock && layer !== undefined ? { layer } : {}) }));
  }
  // A signed map on the input is drawn zero-centred in the diverging colormap, as `xcnn explain` draws it.
  const signed = methods.map((method, c) => methodByName(method).signed === true && explanations[c][0].mapShape[0] === height && explanations[c][0].mapShape[1] === width);
  const short = (k: number) => (classNames.every((name) => name.length <= 3) ? classNames[k] : String(k));
  const rows: MethodsFigureRow[] = chosen.map((index, n) => ({
    pixels: set.images.subarray(index * imageSize, (index + 1) * imageSize),
    label: `${short(set.labels[index])}→${short(predicted[index])}`,
    correct: set.labels[index] === predicted[index],
    heatmaps: explanations.map((e, c) => (signed[c] ? zeroCentred(e[n].map) : e[n].heatmap)),
  }));
  return methodsFigure(methods, rows, height, width, { colormap, signed, title: 'Each method\'s heatmap of the predicted class (true→predicted)' }, channels);
}

/**
 * Runs `xcnn faithfulness`: checks the flags, loads the model and test set, measures (progress on stderr),
 * writes faithfulness.json and faithfulness.png into --out, and prints the table (or the JSON).
 */
export async function faithfulnessCommand(values: FlagValues): Promise<void> {
  const listed = parseMethodList(values.methods === undefined ? undefined : String(values.methods));
  const layer = values.layer === undefined ? undefined : String(values.layer);
  const steps = numberValue(values, 'steps')!;
  const sanity = numberValue(values, 'sanity')!;
  // The randomisation check runs on the first --sanity of the images measured: asking for more is a slip, not a wish.
  if (given(values, 'sanity') && given(values, 'n') && sanity > numberValue(values, 'n')!) {
    throw usageError(`--sanity ${sanity}: the randomisation check takes the first N of the --n ${numberValue(values, 'n')} images measured; give --sanity ${numberValue(values, 'n')} or less`);
  }
  const seed = numberValue(values, 'seed')!;
  const perKind = numberValue(values, 'figure-rows')!;
  const colormap = colormapByName(choiceFlag('colormap', String(values.colormap), colormapNames));
  const out = String(values.out);
  checkOutputFolder(out);
  const { modelPath, network, info, threads } = await loadCommandModel(values);
  // A step moves at least one pixel: more steps than pixels would only repeat the curves' points (and their memory).
  const [, height, width] = network.inputShape;
  if (steps > height * width) throw usageError(`--steps ${steps}: more than the ${height * width} pixels of the model's ${height}×${width} input, and a step moves at least one; give --steps ${height * width} or less`);
  // By default the methods that apply to the network (no CAM methods without a conv); a named CAM method on
  // such a network, or an unknown --layer, is one line before any data is read.
  const hasConv = explainableLayersOf(network).length > 0;
  const methods = values.methods === undefined && !hasConv ? listed.filter((name) => !needsConvLayer(methodByName(name))) : listed;
  if (methods.some((name) => needsConvLayer(methodByName(name)))) explainedLayer(network, layer);
  const dataset = loadDataFor(values, info);
  const test = dataset.test;
  // The default 500 shrinks to a smaller test set; an --n given beyond it is an error.
  const count = given(values, 'n') ? intFlag('n', String(values.n), 1, test.count) : Math.min(numberValue(values, 'n')!, test.count);

  // One bar a phase; a phase starts where the previous one ended (some report their first step late).
  let bar = new ProgressBar();
  let phase = '';
  let phaseStart = performance.now();
  let lastEvent = phaseStart;
  const started = performance.now();
  const methodOptions: MethodOptions = { smoothGrad: { seed }, kernelShap: { seed }, lime: { seed } };
  const onProgress = (method: string, step: string, done: number, total: number) => {
    const now = performance.now();
    const label = `${method} ${step}`;
    if (label !== phase) {
      bar.finish();
      bar = new ProgressBar();
      phase = label;
      phaseStart = lastEvent;
    }
    lastEvent = now;
    const seconds = (now - phaseStart) / 1000;
    bar.update(label.padEnd(34), done, total, seconds > 0 ? done / seconds : 0, '');
  };
  // The explanations' passes and the curves run on every thread, with the same numbers as on one.
  const pool = threads > 1 ? await ThreadPool.create(network, threads) : null;
  let result: FaithfulnessResult;
  try {
    const indices = Array.from({ length: count }, (_, n) => n);
    result = measureFaithfulness(network, test, indices, { methods, steps, seed, randomisationImages: sanity, methodOptions, layer, onProgress, ...(pool === null ? {} : { pool }) });
  } finally {
    await pool?.close();
  }
  bar.finish();
  const seconds = (performance.now() - started) / 1000;

  const json = faithfulnessJson(result, { model: modelPath, dataset: dataset.name });
  const jsonPath = join(out, 'faithfulness.json');
  writeFileAtomic(jsonPath, `${JSON.stringify(json, null, 1)}\n`);
  const figurePath = join(out, 'faithfulness.png');
  const backendName = network.backend.name;
  // --figure-rows 0 asks for no figure: there is no image to draw.
  if (perKind > 0) {
    const classifier = await classifierOf(network, info);
    const figure = await faithfulnessFigure(classifier, test, result.methods.map((m) => m.method as MethodName), seed, info.classNames, perKind, colormap, layer).finally(() => classifier.close());
    writeFileAtomic(figurePath, encodePng(figure));
  }
  const wrote = perKind > 0 ? `${jsonPath} and ${figurePath}` : jsonPath;
  if (values.json) {
    console.log(JSON.stringify(json));
  } else {
    console.log(formatFaithfulness(result));
    console.log(`\n${result.count} image(s), ${methods.length} method(s) in ${seconds.toFixed(1)} s on the ${backendName} backend with ${threads} thread(s); wrote ${wrote}`);
  }
}
