/**
 * `xcnn explain`: Grad-CAM (or another method, `--method`, see src/explain/methods/) of chosen test images
 * (`--index`) or of a person's own pictures (`--image`: PNG or JPEG files, or folders of them): one explain.json with every image's prediction,
 * probabilities, target class, raw map (on the explained conv block's cells for the CAM family — relu2's
 * 11 × 11 for the paper's network, another block with `--layer` — and on the input's H × W for the gradient
 * and perturbation families) and H × W heatmap, and a figure (input | heatmap | overlay) per image for the
 * first `--figures`. `--list-layers` prints the blocks `--layer` can name, with their shapes and receptive
 * fields. `--placement receptive-field` puts a block map's cells at their receptive fields' centres instead
 * of stretching the map (src/explain/placement.ts); figures of signed maps are zero-centred in a diverging
 * colormap. A picture goes through MNIST's preprocessing for a 1 × 28 × 28 model, and is otherwise converted
 * to the model's channels and resized to its size (model-image.ts); pictures in folders are named by their
 * path under the folder (`image-sub-7-grad-cam.png`), so no figure overwrites another.
 *
 * The explanations come from the library's front door, as a program's would: the model the flags name is
 * wrapped by classifierOf and asked `explain` (src/classifier.ts), and explain.json and the figures are made
 * from its per-image results.
 *
 * Grad-CAM itself runs batched, so `--index all` explains the 10,000 MNIST test images in seconds; the
 * figures are drawn one by one (tens of milliseconds each, most of it PNG compression), hence the cap.
 * explain.json is streamed, an image at a time, into a temporary file renamed when complete (49 MB for
 * the MNIST test set, never held as one string). Figures are named for the image and the method,
 * `test-7-grad-cam.png` and `image-digit-grad-cam.png`, so runs of several methods into one folder keep
 * each one's. A flat map (all zero after the ReLU, or constant: explanation.ts, `isFlatMap`) is flagged in
 * the JSON and counted in the summary: its overlay shows no evidence, which is not evidence of absence.
 */
import { basename, extname, join } from 'node:path';
import type { ClassifierExplainOptions, ImageExplanation, ImageTensor } from '../classifier.js';
import { classifierOf } from '../classifier-node.js';
import type { ImageSet } from '../data/dataset.js';
import { usageError } from '../errors.js';
import { checkPictureFile, listPictureFiles, readPicture } from '../data/picture-files.js';
import { greyFromRgba, mnistDigit, MNIST_SIZE, type DigitImage } from '../explain/mnist-digit.js';
import { modelImageFromRgba } from '../explain/model-image.js';
import { CAM_RULES } from '../explain/cam-rules.js';
import { explainedLayer, formatExplainableLayers } from '../explain/explained-layer.js';
import { isFlatMap, zeroCentred, type Explanation, type ExplanationImage } from '../explain/explanation.js';
import { METHOD_NAMES, METHOD_SETTINGS, methodByName, type MethodName } from '../explain/methods/by-name.js';
import { needsConvLayer } from '../explain/methods/explain.js';
import { AtomicFileWriter, writeFileAtomic } from '../files/atomic-write.js';
import { PLACEMENTS, type Placement } from '../explain/placement.js';
import { colormapByName, colormapNames, coolwarm } from '../render/colormap.js';
import { explanationFigure } from '../render/overlay.js';
import { encodePng } from '../render/png.js';
import { choiceFlag, given, GIVEN, intFlag, notWith, numberValue, realRange, wholeRange, type CommandSpec, type FlagRule, type Flags, type FlagValues } from './args.js';
import { archFlag, backendFlag, dataFlag, layerFlag, loadCommandModel, loadDataFor, MAX_IMAGES, SEED_RANGE, threadsFlag } from './common.js';
import { checkOutputFolder } from './output-folder.js';

/** The flag is a setting of these methods only. */
function forMethods(methods: readonly string[]): FlagRule {
  return {
    applies: (values) => methods.includes(String(values.method)),
    refusal: (flag, values) => `--${flag} applies only to ${methods.join(', ')}; ${values.method} does not read it (leave --${flag} out)`,
  };
}

const methodOf = (values: FlagValues) => methodByName(String(values.method));

/** --placement: how a conv block's map becomes the heatmap, so only for the methods whose map is on a block's cells. */
const forBlockMaps: FlagRule = {
  applies: (values) => methodOf(values).layer === 'cam',
  refusal: (_, values) => `--placement ${values.placement}: only for the CAM methods, whose maps live on a convolution's cells; ${values.method}'s map is already on the input's pixels (leave --placement out)`,
};

/** --layer: only for the methods that read a conv block. */
const forConvMethods: FlagRule = {
  applies: (values) => needsConvLayer(methodOf(values)),
  refusal: (_, values) => `--layer: only for the methods that read a conv block (the CAM family and guided-grad-cam); ${values.method} explains the input (leave --layer out)`,
};

/** --colormap: the figures of an unsigned map; a signed one is always drawn in the diverging map. */
const forUnsignedFigures: FlagRule[] = [
  {
    applies: (values) => methodOf(values).signed !== true,
    refusal: (_, values) => `--colormap: ${values.method}'s map is signed, and its figures are always drawn in the diverging blue–red colormap with zero in the middle (leave --colormap out)`,
  },
  { applies: (values) => values.figures !== 0, refusal: () => '--colormap: --figures 0 draws no figures (leave --colormap out)' },
];

/** With --list-layers the command prints the model's conv blocks and exits: only the flags that load the model apply. */
/** The methods whose passes (perturbations, noise samples, IG steps, Score-CAM's masks) the pool shares out. */
const MANY_PASS_METHODS = ['score-cam', 'smoothgrad', 'integrated-gradients', 'occlusion', 'kernel-shap', 'lime'];

/** The CAM methods whose one pass a batch the pool splits (cam-rules.ts; Guided Grad-CAM's two): worth it from a few hundred images on. */
const CAM_PASS_METHODS = [...CAM_RULES.map((rule) => rule.name), 'guided-grad-cam'];

const LIST_LAYERS_READS = ['list-layers', 'model', 'arch', 'input', 'backend', 'threads', 'help'];
const listLayersAlone: FlagRule = {
  applies: (values) => [...(values[GIVEN] ?? [])].every((name) => LIST_LAYERS_READS.includes(name)),
  refusal: (_, values) => {
    const other = [...(values[GIVEN] ?? [])].find((name) => !LIST_LAYERS_READS.includes(name));
    return `--list-layers prints the model's conv blocks and exits; --${other} does nothing with it (leave one of them out)`;
  },
};

/** The most figures one run draws (each takes tens of milliseconds; explain.json has every image). */
const MAX_FIGURES = 10_000;

/** The most samples (noisy copies, coalitions) a method draws per image. */
const MAX_SAMPLES = 100_000;

/** The most patches KernelSHAP and LIME fit weights to: KernelSHAP solves an M × M system. */
const MAX_PATCHES = 4096;

export const explainSpec: CommandSpec = {
  name: 'explain',
  brief: 'Explains predictions with Grad-CAM or another method.',
  summary:
    'Explains predictions with Grad-CAM or another method (--method): for test images (--index) or your own pictures (--image: PNG or JPEG files or folders), draws the input, heatmap and overlay as a PNG per image and writes the prediction, probabilities and maps of every image to explain.json. --layer explains another conv block; --list-layers shows them.',
  usage: 'xcnn explain [--model FILE] [--arch SPEC [--input CxHxW]] (--index N[,N…] | --image PATH[,PATH…] | --list-layers) [--method NAME] [--layer NAME] [--class K] [--placement stretch|receptive-field] [--out DIR] [--figures N] [--json] [--colormap jet|viridis] [--data DIR] [--backend ts|wasm] [--threads N]',
  flags: {
    model: { type: 'string', value: 'FILE', help: 'A model.safetensors written by xcnn train, or a PyTorch state_dict with --arch (default: the small pretrained MNIST model shipped in data/mnist-small.safetensors, said on stderr).' },
    ...archFlag,
    index: { type: 'string', value: 'LIST', help: 'Test images to explain: indices and ranges, e.g. 0,7,100-199, or all.', check: checkIndexList },
    image: {
      type: 'string',
      value: 'PATH[,PATH…]',
      help: 'Pictures, PNG or JPEG, any size, comma-separated: files, or folders of them (subfolders included). For a 1×28×28 model each is a handwritten digit (dark on light or light on dark), made MNIST-like; for any other model converted to its channels and resized to its size.',
      appliesWhen: [notWith('index', 'both choose the images to explain')],
    },
    ...withRules(layerFlag, [forConvMethods]),
    'list-layers': { type: 'boolean', help: 'Print the conv blocks --layer can name, with their shapes and receptive fields, and exit.', appliesWhen: [listLayersAlone] },
    method: { type: 'string', value: 'NAME', help: `The explanation method: ${METHOD_NAMES.join(', ')}.`, default: 'grad-cam', choices: METHOD_NAMES },
    samples: {
      type: 'string',
      value: 'N',
      help: 'smoothgrad: noisy copies per image; kernel-shap, lime: patch coalitions per image, at least 2.',
      defaultNote: 'smoothgrad 50, kernel-shap and lime 1024',
      range: wholeRange(1, MAX_SAMPLES),
      appliesWhen: [forMethods(METHOD_SETTINGS.samples)],
    },
    sigma: { type: 'string', value: 'S', help: 'smoothgrad: the noise\'s standard deviation, pixels being in [0, 1].', default: '0.15', range: realRange(0, 10), appliesWhen: [forMethods(METHOD_SETTINGS.sigma)] },
    steps: { type: 'string', value: 'N', help: 'integrated-gradients: steps from the black baseline to the image.', default: '64', range: wholeRange(1, 10_000), appliesWhen: [forMethods(METHOD_SETTINGS.steps)] },
    window: { type: 'string', value: 'N', help: 'occlusion: the side of the black square slid over the image, in pixels, at most the image\'s side.', default: '4', range: wholeRange(1, 4096), appliesWhen: [forMethods(METHOD_SETTINGS.window)] },
    stride: { type: 'string', value: 'N', help: 'occlusion: pixels between the window\'s positions.', default: '2', range: wholeRange(1, 4096), appliesWhen: [forMethods(METHOD_SETTINGS.stride)] },
    patch: {
      type: 'string',
      value: 'N',
      help: `kernel-shap, lime: the side of the square patches the image is cut into, in pixels, at most ${MAX_PATCHES} patches in all.`,
      default: '4',
      range: wholeRange(1, 4096),
      appliesWhen: [forMethods(METHOD_SETTINGS.patch)],
    },
    seed: { type: 'string', value: 'N', help: 'smoothgrad, kernel-shap, lime: the random seed.', default: '1', range: SEED_RANGE, appliesWhen: [forMethods(METHOD_SETTINGS.seed)] },
    class: { type: 'string', value: 'K', help: 'Explain class K instead of the predicted class, K below the model\'s class count; eigen-cam records it as the target, but its map is the same for every class.', range: wholeRange(0, 4095) },
    placement: {
      type: 'string',
      value: 'stretch|receptive-field',
      help: 'CAM methods: stretch the block\'s map over the image, the usual, or put each cell at the centre of its receptive field: for the paper\'s relu2, cell i at pixel 2i + 3.5.',
      default: 'stretch',
      choices: PLACEMENTS,
      appliesWhen: [forBlockMaps],
    },
    out: { type: 'string', value: 'DIR', help: 'Where the figures (one PNG per image, named for the image and the method: test-7-grad-cam.png, image-NAME-grad-cam.png) and explain.json (every image) go; created if missing.', default: 'runs/explain' },
    figures: { type: 'string', value: 'N', help: 'Figures drawn, for the first N images explained; explain.json has them all.', default: '100', range: wholeRange(0, MAX_FIGURES) },
    json: { type: 'boolean', help: 'Print explain.json on stdout too (the method and layer, then one object per image under "images"), streamed an image at a time.' },
    colormap: {
      type: 'string',
      value: 'jet|viridis',
      help: 'The heatmap colours of an unsigned map; signed maps — gradient-x-input, integrated-gradients, occlusion, kernel-shap, lime, the guided methods — are always drawn in a diverging blue–red map with zero in the middle.',
      default: 'jet',
      choices: colormapNames,
      appliesWhen: forUnsignedFigures,
    },
    ...withRules(dataFlag, [{ applies: (values) => !given(values, 'image'), refusal: () => '--data applies only with --index (test images); --image explains your PNG without reading a data set (leave --data out)' }]),
    ...backendFlag,
    ...threadsFlag,
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

/** Each flag of `flags` with `rules` added to its own. */
function withRules(flags: Flags, rules: FlagRule[]): Flags {
  return Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, { ...flag, appliesWhen: [...(flag.appliesWhen ?? []), ...rules] }]));
}

/**
 * --index's form, checked as the flags are read (its indices are checked against the test set once it is
 * read): items `N`, `A-B` (A ≤ B) or `all`, comma-separated.
 */
function checkIndexList(text: string): void {
  for (const item of text.split(',').map((s) => s.trim())) {
    if (item === 'all') continue;
    if (item === '') throw usageError(`--index: '${text}' has an empty item; give indices like 0,7,100-199`);
    const bounds = /^(\d+)-(\d+)$/.exec(item);
    const [first, last] = (bounds ? [bounds[1], bounds[2]] : [item, item]).map((part) => intFlag('index', part, 0, MAX_IMAGES - 1));
    if (last < first) throw usageError(`--index: the range '${item}' ends before it starts`);
  }
}

/**
 * The test-set indices named by `--index`: comma-separated whole numbers, inclusive ranges `A-B`, or
 * `all`, in the order given, each checked against the set's size.
 */
export function parseIndexList(text: string, count: number): number[] {
  const indices: number[] = [];
  for (const item of text.split(',').map((s) => s.trim())) {
    if (item === 'all') {
      for (let k = 0; k < count; k++) indices.push(k);
      continue;
    }
    const bounds = /^(\d+)-(\d+)$/.exec(item);
    if (bounds) {
      const [first, last] = [intFlag('index', bounds[1], 0, count - 1), intFlag('index', bounds[2], 0, count - 1)];
      if (last < first) throw usageError(`--index: the range '${item}' ends before it starts`);
      for (let k = first; k <= last; k++) indices.push(k);
      continue;
    }
    if (item === '') throw usageError(`--index: '${text}' has an empty item; give indices like 0,7,100-199`);
    indices.push(intFlag('index', item, 0, count - 1));
  }
  return indices;
}

/** Numbers cut to 6 significant digits: JSON a reader can scan, exact enough to compare maps. */
function round6(value: number): number {
  return Number(value.toPrecision(6));
}

/** A heatmap value in [0, 1] to 4 decimals (finer than any colormap shows). */
function round4(value: number): number {
  return Math.round(value * 1e4) / 1e4;
}

function grid(values: ArrayLike<number>, height: number, width: number, round: (v: number) => number): number[][] {
  return Array.from({ length: height }, (_, y) => Array.from({ length: width }, (_, x) => round(values[y * width + x])));
}

/** What an explained image came from; `digit.pixels` is [C, H, W] (a made-MNIST-like digit for a 1×28×28 model). */
export type Source = { kind: 'test'; index: number; label: number } | { kind: 'image'; file: string; digit: DigitImage; name?: string };

/** How an explanation was made, as explain.json records it at its top. */
export interface MethodRecord {
  name: string;
  layer: string;
  placement?: Placement; // conv-block maps: how the map became the heatmap (default 'stretch')
  classAgnostic?: boolean; // Eigen-CAM: the map is the same for every target class
}

/**
 * The top of explain.json: the model, what made every map (`method`; `layer`, the conv block or 'input';
 * `placement` for a conv block's maps; `classAgnostic` for Eigen-CAM), how many images it holds and how many
 * of their maps are flat. The images follow under `images` (`explanationJson` each).
 */
export function explainJsonHeader(modelPath: string, method: MethodRecord, count: number, flatCount: number) {
  return {
    model: modelPath,
    method: method.name,
    layer: method.layer,
    ...(method.layer !== 'input' ? { placement: method.placement ?? 'stretch' } : {}),
    ...(method.classAgnostic ? { classAgnostic: true } : {}),
    count,
    flatCount,
  };
}

/**
 * One image's record in explain.json. Besides the prediction: `map`, the method's raw, unnormalised map
 * ([h][w], 6 significant digits; signed for the signed methods), and `heatmap`, the map brought to the
 * input's size and min–max normalised to [0, 1]. A map that is flat — all zero after the CAM family's ReLU,
 * or constant, e.g. a blank image's (`isFlatMap`, decided on the raw map) — shows no evidence: its heatmap
 * is all zeros and `flat` is true (never NaN). `completenessGap` for Integrated Gradients and KernelSHAP.
 * For a PNG, `input` is the image the model saw: [H][W] for one channel, [C][H][W] for more.
 */
export function explanationJson(
  result: Pick<Explanation, 'height' | 'width' | 'mapHeight' | 'mapWidth'>,
  image: Omit<ExplanationImage, 'index'>,
  source: Source,
  classNames: string[],
  completenessGap?: number,
) {
  const base = source.kind === 'test' ? { source: { testIndex: source.index }, label: source.label } : { source: { file: source.file } };
  const pixels = result.height * result.width;
  const channels = source.kind === 'image' ? source.digit.pixels.length / pixels : 1;
  const inputGrid = (values: Uint8Array) =>
    channels === 1 ? grid(values, result.height, result.width, (v) => v) : Array.from({ length: channels }, (_, c) => grid(values.subarray(c * pixels, (c + 1) * pixels), result.height, result.width, (v) => v));
  const input = source.kind === 'image' ? { input: inputGrid(source.digit.pixels), inverted: source.digit.inverted, crop: source.digit.crop } : {};
  return {
    ...base,
    predicted: image.predicted,
    predictedName: classNames[image.predicted],
    probabilities: Array.from(image.probabilities, round6),
    logits: Array.from(image.logits, round6),
    targetClass: image.target,
    ...(completenessGap === undefined ? {} : { completenessGap: round6(completenessGap) }),
    map: grid(image.map, result.mapHeight, result.mapWidth, round6),
    heatmap: grid(image.heatmap, result.height, result.width, round4),
    flat: isFlatMap(image.map),
    ...input,
  };
}

/**
 * Streams explain.json to `path` (atomically: a temporary file renamed when complete) and, with `echo`, the
 * same text to it: the header's fields, then `"images":[` and one record a line, so the whole test set's
 * JSON is never one string. `record(n)` makes image n's record when it is written.
 */
export function writeExplainJson(path: string, header: object, count: number, record: (n: number) => object, echo?: (text: string) => void): void {
  const file = new AtomicFileWriter(path);
  const write = (text: string) => {
    file.write(text);
    echo?.(text);
  };
  try {
    write(`${JSON.stringify(header).slice(0, -1)},"images":[`);
    for (let n = 0; n < count; n++) write(`${n === 0 ? '' : ','}\n${JSON.stringify(record(n))}`);
    write('\n]}\n');
  } catch (error) {
    file.abort();
    throw error;
  }
  file.commit();
}

/** Why a method's flat maps are flat: the CAM family ends in a ReLU; the other maps are constant (zero, say, on a blank image). */
function flatReason(layer: 'cam' | 'input'): string {
  return layer === 'cam' ? 'all zero after the ReLU' : 'all zero or constant';
}

/** The figure of an explained image is named for it and the method: `test-7-grad-cam.png`, `image-digit-grad-cam.png`. */
export function figureName(source: Source, method: string): string {
  const image = source.kind === 'test' ? `test-${source.index}` : `image-${source.name ?? basename(source.file, extname(source.file))}`;
  return `${image}-${method}.png`;
}

/** 0.873 → '87.3%'; a probability short of 1 never shows as 100.0% (it reads '>99.9%'). */
export function percentOneDecimal(probability: number): string {
  const text = (100 * probability).toFixed(1);
  return text === '100.0' && probability < 1 ? '>99.9%' : `${text}%`;
}

/** An unlabelled set of converted pictures [count, C, H, W] (their labels are not used). */
function pictureSet(digits: DigitImage[], channels: number, height: number, width: number): ImageSet {
  const size = channels * height * width;
  const images = new Uint8Array(digits.length * size);
  digits.forEach((digit, n) => images.set(digit.pixels, n * size));
  return { count: digits.length, channels, height, width, images, labels: new Uint8Array(digits.length) };
}

/** The images to explain as the classifier takes them: one tensor [N, C, H, W] of the sources' pixels, in order. */
function imagesOf(set: ImageSet, sources: Source[]): ImageTensor {
  const channels = set.channels ?? 1;
  const size = channels * set.height * set.width;
  const data = new Uint8Array(sources.length * size);
  sources.forEach((source, n) => data.set(source.kind === 'test' ? set.images.subarray(source.index * size, (source.index + 1) * size) : source.digit.pixels, n * size));
  return { data, shape: [sources.length, channels, set.height, set.width] };
}

/** The classifier's options for the settings `method` reads (parseFlags has refused the others), from the flags and their defaults. */
function methodSettings(method: MethodName, values: FlagValues): Partial<ClassifierExplainOptions> {
  const settings: Partial<Record<keyof typeof METHOD_SETTINGS, number>> = {};
  for (const [setting, methods] of Object.entries(METHOD_SETTINGS) as Array<[keyof typeof METHOD_SETTINGS, readonly MethodName[]]>) {
    if (!methods.includes(method)) continue;
    settings[setting] = setting === 'samples' ? (numberValue(values, 'samples') ?? (method === 'smoothgrad' ? 50 : 1024)) : numberValue(values, setting)!;
  }
  return settings;
}

/** One image of the classifier's explanation in the shape explain.json and the figures read. */
function explanationImageOf(image: ImageExplanation): Omit<ExplanationImage, 'index'> {
  return { logits: image.logits, probabilities: image.probabilities, predicted: image.classIndex, target: image.target, map: image.map, heatmap: image.heatmap };
}

/**
 * A picture file (PNG or JPEG) as the model's input: MNIST's preprocessing for a 1 × 28 × 28 model, else its
 * channels and size (model-image.ts).
 */
function pictureInput(path: string, channels: number, height: number, width: number): DigitImage {
  const { header, rgba } = readPicture(path);
  if (channels === 1 && height === MNIST_SIZE && width === MNIST_SIZE) return mnistDigit(greyFromRgba(rgba, header.width, header.height), path);
  return { pixels: modelImageFromRgba(rgba, header.width, header.height, channels, height, width, path), inverted: false, crop: { x: 0, y: 0, width: 0, height: 0 } };
}

/**
 * The settings whose bounds depend on the model's input size, checked once the model is read and before
 * any data: occlusion's window must fit in the image, and the patches KernelSHAP and LIME fit are at most
 * MAX_PATCHES (KernelSHAP solves an M × M system).
 */
function checkImageSettings(method: string, values: FlagValues, height: number, width: number): void {
  if (method === 'occlusion') {
    const window = numberValue(values, 'window')!;
    if (window > Math.min(height, width)) throw usageError(`--window ${window}: larger than the model's ${height}×${width} input; give --window ${Math.min(height, width)} or less`);
  }
  if (method === 'kernel-shap' || method === 'lime') {
    const patch = numberValue(values, 'patch')!;
    const patches = (p: number) => Math.ceil(height / p) * Math.ceil(width / p);
    if (patches(patch) > MAX_PATCHES) {
      let smallest = patch;
      while (patches(smallest) > MAX_PATCHES) smallest++;
      throw usageError(`--patch ${patch}: cuts the ${height}×${width} input into ${patches(patch)} patches, more than the ${MAX_PATCHES} ${method} fits; give --patch ${smallest} or more`);
    }
  }
}

export async function explainCommand(values: FlagValues): Promise<void> {
  if (values['list-layers']) {
    const { network } = await loadCommandModel(values);
    console.log(formatExplainableLayers(network));
    return;
  }
  if ((values.index === undefined) === (values.image === undefined)) {
    throw usageError('xcnn explain: give either --index N[,N…] (test images) or --image FILE.png|DIR[,…] (your PNG or JPEG pictures, or folders of them; see xcnn explain --help)');
  }
  // parseFlags has checked every value and refused the settings of other methods; a method reads only its own.
  const out = String(values.out);
  const colormap = colormapByName(choiceFlag('colormap', String(values.colormap), colormapNames));
  const figureLimit = numberValue(values, 'figures')!;
  const placement = choiceFlag('placement', String(values.placement), PLACEMENTS);
  const seed = numberValue(values, 'seed')!;
  const name = String(values.method);
  const coalitions = () => ({ patch: numberValue(values, 'patch')!, samples: intFlag('samples', String(values.samples ?? '1024'), 2, MAX_SAMPLES), seed });
  const method = methodByName(name, {
    smoothGrad: name === 'smoothgrad' ? { samples: numberValue(values, 'samples') ?? 50, sigma: numberValue(values, 'sigma')!, seed } : undefined,
    integratedGradients: { steps: numberValue(values, 'steps')! },
    occlusion: name === 'occlusion' ? { window: numberValue(values, 'window')!, stride: numberValue(values, 'stride')! } : undefined,
    kernelShap: name === 'kernel-shap' ? coalitions() : undefined,
    lime: name === 'lime' ? coalitions() : undefined,
  });
  checkOutputFolder(out);
  // The pictures are listed before the model is read (a missing path, an empty folder, too many files);
  // each is read and decoded once the model's input size is known.
  const pictures = values.image === undefined ? undefined : listPictureFiles(String(values.image).split(',')).pictures;
  for (const picture of pictures ?? []) checkPictureFile(picture.path); // each a readable PNG or JPEG of a size xcnn reads
  const { modelPath, network, info, threads } = await loadCommandModel(values);
  const [channels, height, width] = network.inputShape;
  const classes = network.outputShape[0];
  const targetClass = values.class === undefined ? undefined : intFlag('class', String(values.class), 0, classes - 1);
  checkImageSettings(name, values, height, width);
  // A method that reads a conv block finds it now: a network without one, or an unknown --layer, is one line before any data is read.
  const layer = needsConvLayer(method) ? explainedLayer(network, values.layer === undefined ? undefined : String(values.layer)) : null;

  let set: ImageSet;
  let sources: Source[];
  if (pictures !== undefined) {
    const digits = pictures.map((picture) => pictureInput(picture.path, channels, height, width));
    set = pictureSet(digits, channels, height, width);
    sources = pictures.map((picture, n) => ({ kind: 'image', file: picture.path, name: picture.name, digit: digits[n] }));
  } else {
    const dataset = loadDataFor(values, info);
    set = dataset.test;
    sources = parseIndexList(String(values.index), set.count).map((index) => ({ kind: 'test', index, label: set.labels[index] }));
  }

  const started = performance.now();
  const backendName = network.backend.name;
  // The library's front door (classifierOf's Classifier) explains them. Threads pay off for many images: the CAM
  // family's maps (of any block) run on the pool from 256 images on; a handful runs faster without starting workers.
  // The methods that make hundreds of passes an image (or tens, a batch) run them on the pool from a few images on.
  const useThreads = MANY_PASS_METHODS.includes(method.name) ? sources.length >= 4 : CAM_PASS_METHODS.includes(method.name) && sources.length >= 256;
  const classifier = await classifierOf(network, info, useThreads ? threads : 1);
  const explained = await classifier
    .explain(imagesOf(set, sources), {
      method: method.name as MethodName,
      ...methodSettings(method.name as MethodName, values),
      targets: targetClass,
      layer: layer?.name,
      placement,
    })
    .finally(() => classifier.close());
  const seconds = (performance.now() - started) / 1000;
  const shape = { height, width, mapHeight: explained[0].mapShape[0], mapWidth: explained[0].mapShape[1] };
  const images = explained.map(explanationImageOf);

  const record: MethodRecord = { name: method.name, layer: method.layer === 'input' || layer === null ? 'input' : layer.name, placement, classAgnostic: method.classAgnostic };
  const flat = images.map((image) => isFlatMap(image.map));
  const flatCount = flat.filter(Boolean).length;
  const jsonPath = join(out, 'explain.json');
  const echo = values.json ? (text: string) => process.stdout.write(text) : undefined;
  writeExplainJson(jsonPath, explainJsonHeader(modelPath, record, sources.length, flatCount), sources.length, (n) =>
    explanationJson(shape, images[n], sources[n], info.classNames, explained[n].completenessGap),
  echo);

  const figureCount = Math.min(figureLimit, sources.length);
  for (let n = 0; n < figureCount; n++) {
    const source = sources[n];
    const image = images[n];
    const imageSize = channels * height * width;
    const pixels = source.kind === 'test' ? set.images.subarray(source.index * imageSize, (source.index + 1) * imageSize) : source.digit.pixels;
    const predictedName = info.classNames[image.predicted];
    const confidence = percentOneDecimal(image.probabilities[image.predicted]);
    const caption = source.kind === 'test'
      ? `test #${source.index}: true ${info.classNames[source.label]}, predicted ${predictedName} (${confidence})`
      : `${basename(source.file)}: predicted ${predictedName} (${confidence})`;
    // A signed map is drawn zero-centred in a diverging colormap (blue −, grey 0, red +); the JSON heatmap stays min–max.
    const signed = method.signed === true && shape.mapHeight === height && shape.mapWidth === width;
    const figure = explanationFigure(
      { width, height, channels, pixels, heatmap: signed ? zeroCentred(image.map) : image.heatmap },
      {
        colormap: signed ? coolwarm : colormap,
        heatmapTitle: method.classAgnostic ? `${method.title} (any class)` : `${method.title}: ${info.classNames[image.target]}`,
        colorbarTitle: method.title,
        colorbarLabels: signed ? ['+', '0', '-'] : undefined,
        caption: flat[n] ? `${caption}; flat map: no evidence shown` : caption,
      },
    );
    const figurePath = join(out, figureName(source, method.name));
    writeFileAtomic(figurePath, encodePng(figure));
    if (!values.json) console.log(`${caption}; ${method.title} ${method.classAgnostic ? '(the same map for any class)' : `for ${info.classNames[image.target]}`}${flat[n] ? ' (flat)' : ''} → ${figurePath}`);
  }

  if (!values.json) {
    const skipped = sources.length - figureCount;
    console.log(
      `${method.title} of ${images.length} image(s) in ${seconds.toFixed(2)} s on the ${backendName} backend; wrote ${jsonPath} and ${figureCount} figure(s)` +
        (skipped > 0 ? ` (not for the other ${skipped}: raise --figures to draw more)` : ''),
    );
    if (flatCount > 0) {
      const maps = sources.length === 1 ? 'map' : 'maps';
      console.log(`${flatCount} of ${sources.length} ${maps} ${flatCount === 1 ? 'is' : 'are'} flat (${flatReason(method.layer)}): the overlay shows no evidence, not absence of evidence`);
    }
  }
}
