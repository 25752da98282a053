/**
 * `xcnn predict --model M PATH…`: the class of every picture the paths name (PNG or JPEG files, or folders
 * of them, subfolders included), one line each — file, class, probability, the top three — or JSON
 * (--json) or CSV (--csv) for programs. `--explain METHOD --out DIR` also draws each picture's
 * explanation figure (input | heatmap | overlay), named for the picture and the method as explain's are.
 *
 * Pictures are read, converted to the model's input and predicted a batch at a time, so memory stays a
 * batch's whatever the number of files; the model runs through the library's Classifier (classifier.ts),
 * as evaluate does. A picture becomes the model's input as in a folder data set (picture-input.ts): its
 * channels and size, or MNIST's preprocessing (--preprocess mnist; the default for a model trained on MNIST).
 */
import { join } from 'node:path';
import { classifierOf } from '../classifier-node.js';
import type { ImageExplanation, Prediction } from '../classifier.js';
import { usageError, XcnnError } from '../errors.js';
import { checkPictureFile, listPictureFiles, readPicture, type ListedPicture } from '../data/picture-files.js';
import { pictureToInput, type InputConversion } from '../data/picture-input.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { isFlatMap, zeroCentred } from '../explain/explanation.js';
import { METHOD_NAMES, methodByName, type MethodName } from '../explain/methods/by-name.js';
import type { ModelInfo } from '../model/model-file.js';
import { colormapByName, coolwarm } from '../render/colormap.js';
import { explanationFigure } from '../render/overlay.js';
import { encodePng } from '../render/png.js';
import { given, onlyWith, OPERANDS, notWith, type CommandSpec, type FlagValues } from './args.js';
import { archFlag, backendFlag, loadCommandModel, threadsFlag } from './common.js';
import { percentOneDecimal } from './explain-command.js';
import { checkOutputFolder } from './output-folder.js';

/** Pictures read and predicted at a time. */
const BATCH = 256;

/** The classes each line lists, most probable first. */
const TOP = 3;

export const predictSpec: CommandSpec = {
  name: 'predict',
  brief: 'Predicts the class of your own pictures (PNG, JPEG, folders).',
  summary:
    "Predicts the class of every picture the paths name — PNG or JPEG files, or folders of them (subfolders included) — one line each: the file, the class, its probability and the top three; --json or --csv for programs. --explain METHOD --out DIR draws each picture's explanation too.",
  usage: 'xcnn predict [--model FILE] [--arch SPEC [--input CxHxW]] [--preprocess none|mnist] [--json | --csv] [--explain METHOD --out DIR] [--skip-bad] [--backend ts|wasm] [--threads N] PATH…',
  operands: { value: 'PATH…', help: 'PNG or JPEG files, or folders of them: their .png, .jpg and .jpeg files, subfolders included, in name order; hidden and other files are ignored.' },
  flags: {
    model: { type: 'string', value: 'FILE', help: 'A model.safetensors written by xcnn train, or a PyTorch state_dict with --arch (default: the small pretrained MNIST model shipped in data/mnist-small.safetensors, said on stderr).' },
    ...archFlag,
    preprocess: {
      type: 'string',
      value: 'none|mnist',
      help: "How a picture becomes the model's input: none converts it to the model's channels and resizes it to its size; mnist makes a photo of a digit like MNIST's for a 1×28×28 model: grey, light backgrounds inverted, cropped, centred by mass in 28×28.",
      defaultNote: 'mnist for a model trained on MNIST or with train --preprocess mnist, else none',
      choices: ['none', 'mnist'],
    },
    json: { type: 'boolean', help: 'Print one JSON document: the model, then every picture\'s file, class, probability, top three and all probabilities.', appliesWhen: [notWith('csv', 'choose different outputs')] },
    csv: { type: 'boolean', help: 'Print CSV: a header, then file, class, probability and the top three classes with their probabilities, a row per picture.' },
    explain: { type: 'string', value: 'METHOD', help: `Also explain each picture's prediction with METHOD (${METHOD_NAMES.join(', ')}) and write its figure to --out.`, choices: METHOD_NAMES },
    out: { type: 'string', value: 'DIR', help: 'Where --explain writes its figures, NAME-METHOD.png per picture; created if missing.', appliesWhen: [onlyWith('explain', 'it is where the explanation figures go')] },
    'skip-bad': { type: 'boolean', help: 'Leave out pictures that cannot be read or decoded, listing them on stderr, instead of stopping at the first.' },
    ...backendFlag,
    ...threadsFlag,
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

/** One picture's prediction, as every output form gives it. */
interface PictureResult {
  file: string;
  prediction: Prediction;
  top: Array<{ classIndex: number; className: string; probability: number }>;
}

/** The `count` most probable classes, most probable first (the lower index first on a tie). */
export function topClasses(probabilities: Float32Array, classNames: string[], count: number): PictureResult['top'] {
  const order = Array.from(probabilities, (_, k) => k).sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  return order.slice(0, count).map((k) => ({ classIndex: k, className: classNames[k], probability: probabilities[k] }));
}

/** A CSV field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvRow(result: PictureResult): string {
  const top = result.top.flatMap((t) => [csvField(t.className), t.probability.toFixed(6)]);
  while (top.length < 2 * TOP) top.push('', '');
  return [csvField(result.file), csvField(result.prediction.className), result.prediction.probabilities[result.prediction.classIndex].toFixed(6), ...top].join(',');
}

function textLine(result: PictureResult): string {
  const { className, classIndex, probabilities } = result.prediction;
  const top = result.top.map((t) => `${t.className} ${percentOneDecimal(t.probability)}`).join(', ');
  return `${result.file}  ${className}  ${percentOneDecimal(probabilities[classIndex])}  (top ${result.top.length}: ${top})`;
}

/** The conversion every picture takes to the model's input. */
function conversionFor(values: FlagValues, info: ModelInfo, inputShape: readonly number[]): InputConversion {
  const [channels, height, width] = inputShape;
  const isMnistShape = channels === 1 && height === 28 && width === 28;
  const trainedWithMnistPreprocessing = info.training?.preprocess === 'mnist' || info.dataset === 'mnist';
  const preprocess = given(values, 'preprocess') ? (String(values.preprocess) as InputConversion['preprocess']) : isMnistShape && trainedWithMnistPreprocessing ? 'mnist' : 'none';
  if (preprocess === 'mnist' && !isMnistShape) throw usageError(`--preprocess mnist: makes 1×28×28 images, but the model takes ${channels}×${height}×${width} (give --preprocess none)`);
  if (channels !== 1 && channels !== 3) throw new XcnnError(`the model takes ${channels} channels; a picture gives 1 (grey) or 3 (RGB)`, { code: 'ERR_BAD_IMAGE' });
  return { channels: channels as 1 | 3, height, width, preprocess };
}

export async function predictCommand(values: FlagValues): Promise<number> {
  const paths = values[OPERANDS] ?? [];
  if (paths.length === 0) throw usageError('xcnn predict: give the pictures to predict, PNG or JPEG files or folders of them (see xcnn predict --help)');
  const method = values.explain === undefined ? undefined : (String(values.explain) as MethodName);
  if (method !== undefined && values.out === undefined) throw usageError('--explain: give --out DIR for the figures it draws');
  const out = values.out === undefined ? undefined : String(values.out);
  if (out !== undefined) checkOutputFolder(out);
  // The pictures are listed (and their count bounded) before the model is read.
  const { pictures, ignored } = listPictureFiles(paths);
  if (pictures.length === 0) throw new XcnnError(`${paths.join(', ')}: no PNG or JPEG pictures (.png, .jpg, .jpeg) found${ignored > 0 ? ` (${ignored} other file(s) ignored)` : ''}`, { code: 'ERR_FILE' });
  // Without --skip-bad, an unreadable picture is refused before the model is read (headers only: decoding waits for its batch).
  if (values['skip-bad'] !== true) for (const picture of pictures) checkPictureFile(picture.path);
  const { modelPath, network, info, threads } = await loadCommandModel(values);
  const conversion = conversionFor(values, info, network.inputShape);
  const classifier = await classifierOf(network, info, threads);
  const skipped: Array<{ file: string; reason: string }> = [];
  const results: PictureResult[] = [];
  const format = values.json ? 'json' : values.csv ? 'csv' : 'text';
  if (format === 'csv') console.log(['file', 'class', 'probability', ...Array.from({ length: TOP }, (_, k) => [`top${k + 1}`, `p${k + 1}`]).flat()].join(','));
  let figures = 0;
  try {
    for (let start = 0; start < pictures.length; start += BATCH) {
      const batch = readBatch(pictures.slice(start, start + BATCH), conversion, values['skip-bad'] === true, skipped);
      if (batch.pictures.length === 0) continue;
      const images = { data: batch.pixels, shape: [batch.pictures.length, conversion.channels, conversion.height, conversion.width] };
      const predictions = await classifier.predict(images);
      const explanations: ImageExplanation[] | undefined = method === undefined ? undefined : await classifier.explain(images, { method });
      batch.pictures.forEach((picture, n) => {
        const result = { file: picture.path, prediction: predictions[n], top: topClasses(predictions[n].probabilities, info.classNames, Math.min(TOP, info.classNames.length)) };
        if (format === 'json') results.push(result);
        else console.log(format === 'csv' ? csvRow(result) : textLine(result));
        if (explanations !== undefined) {
          writeFigure(join(out!, `${picture.name}-${method}.png`), batch.pixels.subarray(n * batch.size, (n + 1) * batch.size), explanations[n], conversion, method!, picture.path);
          figures++;
        }
      });
    }
  } finally {
    await classifier.close();
  }
  if (format === 'json') {
    const images = results.map((r) => ({
      file: r.file,
      class: r.prediction.className,
      classIndex: r.prediction.classIndex,
      probability: Number(r.prediction.probabilities[r.prediction.classIndex].toPrecision(6)),
      top: r.top.map((t) => ({ class: t.className, classIndex: t.classIndex, probability: Number(t.probability.toPrecision(6)) })),
      probabilities: Array.from(r.prediction.probabilities, (p) => Number(p.toPrecision(6))),
    }));
    console.log(JSON.stringify({ model: modelPath, classNames: info.classNames, preprocess: conversion.preprocess, count: images.length, skipped, images }, null, 2));
  }
  if (skipped.length > 0) {
    console.error(`skipped ${skipped.length} unreadable picture(s) (--skip-bad):`);
    for (const { file, reason } of skipped) console.error(`  ${file}: ${reason}`);
  }
  if (figures > 0 && format === 'text') console.log(`wrote ${figures} ${methodByName(method!).title} figure(s) to ${out}`);
  return 0;
}

/** Reads and converts a batch of pictures; an unreadable one stops the command, or with --skip-bad is listed and left out. */
function readBatch(pictures: ListedPicture[], conversion: InputConversion, skipBad: boolean, skipped: Array<{ file: string; reason: string }>) {
  const size = conversion.channels * conversion.height * conversion.width;
  const pixels = new Uint8Array(pictures.length * size);
  const kept: ListedPicture[] = [];
  for (const picture of pictures) {
    try {
      const { header, rgba } = readPicture(picture.path);
      pictureToInput(rgba, header.width, header.height, header.channels, conversion, pixels.subarray(kept.length * size, (kept.length + 1) * size), picture.path);
      kept.push(picture);
    } catch (error) {
      if (!(error instanceof XcnnError) || !skipBad) throw error;
      skipped.push({ file: picture.path, reason: error.message.startsWith(`${picture.path}: `) ? error.message.slice(picture.path.length + 2) : error.message });
    }
  }
  return { pictures: kept, pixels: pixels.subarray(0, kept.length * size), size };
}

function writeFigure(path: string, pixels: Uint8Array, explanation: ImageExplanation, conversion: InputConversion, method: MethodName, file: string): void {
  const { channels, height, width } = conversion;
  const info = methodByName(method);
  const signed = info.signed === true && explanation.mapShape[0] === height && explanation.mapShape[1] === width;
  const flat = isFlatMap(explanation.map);
  const caption = `${file}: predicted ${explanation.className} (${percentOneDecimal(explanation.probabilities[explanation.classIndex])})${flat ? '; flat map: no evidence shown' : ''}`;
  const figure = explanationFigure(
    { width, height, channels, pixels, heatmap: signed ? zeroCentred(explanation.map) : explanation.heatmap },
    {
      colormap: signed ? coolwarm : colormapByName('jet'),
      heatmapTitle: info.classAgnostic ? `${info.title} (any class)` : `${info.title}: ${explanation.targetName}`,
      colorbarTitle: info.title,
      colorbarLabels: signed ? ['+', '0', '-'] : undefined,
      caption,
    },
  );
  writeFileAtomic(path, encodePng(figure));
}
