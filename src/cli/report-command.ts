/**
 * `xcnn report`: one self-contained report.html with the paper's results for a model — training curves,
 * classification report, confusion matrix, and Grad-CAM galleries of correct and misclassified test images.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ImageSet } from '../data/dataset.js';
import type { ClassExplanations, Classifier, ImageExplanation, ImageTensor } from '../classifier.js';
import { classifierOf } from '../classifier-node.js';
import { explainedLayer, type ExplainableLayer } from '../explain/explained-layer.js';
import type { GradCam } from '../explain/grad-cam.js';
import { METHOD_NAMES, type MethodName } from '../explain/methods/by-name.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { classMeansFigure } from '../render/class-means-figure.js';
import { colormapByName, colormapNames, type Colormap } from '../render/colormap.js';
import { confusionCellsFigure } from '../render/confusion-cells-figure.js';
import { confusionFigure, MAX_CONFUSION_FIGURE_CLASSES } from '../render/confusion-figure.js';
import { curvesFigure, type EpochMetrics } from '../render/curves-figure.js';
import { classGallery, MAX_GALLERY_CLASSES, tileGallery } from '../render/gallery.js';
import { encodePng } from '../render/png.js';
import { reportHtml, type ClassSummaryContent, type ReportFigure } from '../report/report-html.js';
import { cellPanels, correctByClass, galleryTiles, misclassifiedByConfidence } from '../report/galleries.js';
import { choiceFlag, numberValue, wholeRange, type CommandSpec, type FlagValues } from './args.js';
import { archFlag, backendFlag, dataFlag, layerFlag, loadCommandModel, loadDataFor, testLimitFlag, threadsFlag } from './common.js';
import { checkOutputFolder } from './output-folder.js';
import { faithfulnessSectionHtml } from '../report/faithfulness-section.js';
import { readFaithfulnessFile } from '../report/faithfulness-file.js';

/** Where the report of the shipped model goes by default: not beside it, in the package's data/. */
const SHIPPED_MODEL_REPORT_FOLDER = 'runs/report';

export const reportSpec: CommandSpec = {
  name: 'report',
  brief: "Writes report.html: a model's metrics, curves and galleries.",
  summary:
    'Writes report.html, one self-contained page with the paper\'s results for a model: training curves, classification report, confusion matrix, Grad-CAM galleries of correct and misclassified test images, per-class mean heatmaps, the confusion matrix\'s cells explained (why a t was read as p), and the faithfulness ranking of an xcnn faithfulness run (--faithfulness).',
  usage: 'xcnn report [--model FILE] [--arch SPEC [--input CxHxW]] [--layer NAME] [--out DIR] [--data DIR] [--test-limit N] [--colormap jet|viridis] [--per-class N] [--mistakes N] [--method NAME] [--class-images N] [--cells N] [--per-cell N] [--faithfulness FILE] [--png] [--backend ts|wasm] [--threads N]',
  flags: {
    model: { type: 'string', value: 'FILE', help: 'A model.safetensors written by xcnn train, or a PyTorch state_dict with --arch (default: the small pretrained MNIST model shipped in data/mnist-small.safetensors, said on stderr).' },
    ...archFlag,
    ...layerFlag,
    out: { type: 'string', value: 'DIR', help: `Where report.html goes; created if missing (default: the model's folder; ${SHIPPED_MODEL_REPORT_FOLDER} for the shipped model).` },
    ...dataFlag,
    ...testLimitFlag,
    colormap: { type: 'string', value: 'jet|viridis', help: 'The heatmap colours.', default: 'jet', choices: colormapNames },
    'per-class': { type: 'string', value: 'N', help: 'Correct images shown per class: the first N of each class the model got right.', default: '8', range: wholeRange(1, 100) },
    mistakes: { type: 'string', value: 'N', help: 'Misclassified images shown: the N the model was most confident about.', default: '40', range: wholeRange(0, 10_000) },
    method: { type: 'string', value: 'NAME', help: `The method of the class-mean and confusion-cell sections: ${METHOD_NAMES.join(', ')}.`, default: 'grad-cam', choices: METHOD_NAMES },
    'class-images': { type: 'string', value: 'N', help: 'Images averaged per class: the first N test images of each class, into its mean image and mean heatmap.', default: '100', range: wholeRange(1, 100_000) },
    cells: { type: 'string', value: 'N', help: 'Confusion-matrix cells explained: the N largest.', default: '12', range: wholeRange(1, 1_000) },
    'per-cell': { type: 'string', value: 'N', help: 'Misclassified images shown per cell: the N most confident.', default: '3', range: wholeRange(1, 100) },
    faithfulness: { type: 'string', value: 'FILE', help: 'A faithfulness.json from xcnn faithfulness: adds its ranked table (and faithfulness.png beside it) to the report.' },
    png: { type: 'boolean', help: 'Also write each figure as a PNG beside report.html (curves, confusion, correct, misclassified, class-means, confusion-cells).' },
    ...backendFlag,
    ...threadsFlag,
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

/** The training history from the model's metadata, or else from a metrics.json beside the model. */
export function trainingHistory(metrics: Record<string, unknown> | undefined, modelPath: string): EpochMetrics[] | undefined {
  const isHistory = (h: unknown): h is EpochMetrics[] =>
    Array.isArray(h) && h.length > 0 && h.every((e) => ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy'].every((key) => typeof e?.[key] === 'number'));
  if (isHistory(metrics?.history)) return metrics.history;
  const beside = join(dirname(modelPath), 'metrics.json');
  if (!existsSync(beside)) return undefined;
  try {
    const history = JSON.parse(readFileSync(beside, 'utf8')).history;
    return isHistory(history) ? history : undefined;
  } catch {
    return undefined; // an unreadable metrics.json only loses the curves
  }
}

export async function reportCommand(values: FlagValues): Promise<void> {
  const out = values.out !== undefined ? String(values.out) : values.model !== undefined ? dirname(String(values.model)) : SHIPPED_MODEL_REPORT_FOLDER;
  const colormapName = choiceFlag('colormap', String(values.colormap), colormapNames);
  const colormap = colormapByName(colormapName);
  const perClass = numberValue(values, 'per-class')!;
  const mistakeLimit = numberValue(values, 'mistakes')!;
  const summaryOptions = classSummaryOptions(values);
  const faithfulness = values.faithfulness === undefined ? undefined : readFaithfulnessFile(String(values.faithfulness));
  const defaultOut = values.model !== undefined ? `${out} (the model's folder, where the report goes without --out)` : `${out} (where the shipped model's report goes without --out)`;
  checkOutputFolder(out, { name: values.out === undefined ? defaultOut : undefined });
  const { modelPath, network, info, threads } = await loadCommandModel(values);
  // The galleries are Grad-CAM's: a network without a conv, or an unknown --layer, is one line before any data is read.
  const layer = explainedLayer(network, values.layer === undefined ? undefined : String(values.layer));
  const dataset = loadDataFor(values, info);
  const classes = info.geometry.classes;
  const test = dataset.test;

  // Figures with a row or column per class are drawn up to a limit each and left out beyond, with a line saying so.
  const drawsGallery = classes <= MAX_GALLERY_CLASSES; // the correct predictions and the class means
  const drawsConfusion = classes <= MAX_CONFUSION_FIGURE_CLASSES;

  const backendName = network.backend.name;
  // The library's front door (classifierOf's Classifier) evaluates and explains; closing it disposes the network.
  const classifier = await classifierOf(network, info, threads);
  const { evaluation, correct, mistakes, allMistakes, result, explained } = await explainForReport(classifier, test, layer, summaryOptions, { perClass, mistakeLimit, drawsGallery }).finally(() => classifier.close());
  const summary = classSummary(test, explained, info.classNames, colormap, summaryOptions);

  const { rows: galleryRows, mistakes: mistakeTiles } = galleryTiles(test, result, correct, mistakes, info.classNames);
  const shownTiles = galleryRows.flat();
  const galleryFlat = shownTiles.filter((tile) => tile.flat).length;
  const mistakesFlat = mistakeTiles.filter((tile) => tile.flat).length;

  const history = trainingHistory(info.metrics, modelPath);
  const figures = {
    curves: history && { png: encodePng(curvesFigure(history)), alt: `Training and test loss and accuracy over ${history.length} epoch(s)` },
    confusion: drawsConfusion ? { png: encodePng(confusionFigure(evaluation.confusion, info.classNames)), alt: 'Confusion matrix of the test set' } : undefined,
    correct: drawsGallery
      ? {
          png: encodePng(classGallery(galleryRows, info.classNames, { colormap, title: `Correct predictions, Grad-CAM of the class${flatNote(galleryFlat, shownTiles.length)}` })),
          alt: 'Grad-CAM overlays of correctly classified test images, one row per class',
        }
      : undefined,
    misclassified: {
      png: encodePng(tileGallery(mistakeTiles, 10, { colormap, title: `Misclassified: true→predicted, Grad-CAM of the predicted class${flatNote(mistakesFlat, mistakeTiles.length)}` })),
      alt: 'Grad-CAM overlays of misclassified test images',
    },
    ...summary.figures, // class-means, confusion-cells
  };
  const html = reportHtml({
    modelPath,
    dataset: dataset.name,
    imageCount: evaluation.count,
    accuracy: evaluation.accuracy,
    loss: evaluation.loss,
    report: evaluation.report,
    backend: backendName,
    colormap: colormapName,
    explainedLayer: `${layer.name}, ${layer.shape.join(' × ')}`,
    training: info.training,
    classCount: classes,
    curves: figures.curves,
    confusion: figures.confusion,
    classGallery: figures.correct,
    galleryPerClass: perClass,
    galleryShown: shownTiles.length,
    galleryFlat,
    misclassified: figures.misclassified,
    misclassifiedShown: mistakes.length,
    misclassifiedTotal: allMistakes.length,
    misclassifiedFlat: mistakesFlat,
    classSummary: summary.content,
    faithfulnessHtml: faithfulness && faithfulnessSectionHtml(faithfulness),
  });
  const leftOut = [
    ...(drawsGallery ? [] : [`the gallery of correct predictions and the class means (drawn for up to ${MAX_GALLERY_CLASSES} classes)`]),
    ...(drawsConfusion ? [] : [`the confusion-matrix figure (drawn for up to ${MAX_CONFUSION_FIGURE_CLASSES} classes)`]),
  ];
  if (leftOut.length > 0) console.error(`xcnn report: ${classes} classes: left out ${leftOut.join(' and ')}; report.html says so`);
  const path = join(out, 'report.html');
  writeFileAtomic(path, html);
  console.log(path);
  if (values.png) {
    for (const [name, figure] of Object.entries(figures)) {
      if (!figure) continue;
      const figurePath = join(out, `${name}.png`);
      writeFileAtomic(figurePath, figure.png);
      console.log(figurePath);
    }
  }
}

/**
 * What the report shows, from the classifier: the evaluation with each image's prediction; the galleries'
 * images (the first `perClass` right ones of each class, the `mistakeLimit` most confident mistakes) and
 * one Grad-CAM pass over them, each for its predicted class; and the class summaries.
 */
async function explainForReport(
  classifier: Classifier,
  test: ImageSet,
  layer: ExplainableLayer,
  summaryOptions: ClassSummaryOptions,
  shown: { perClass: number; mistakeLimit: number; drawsGallery: boolean },
) {
  const evaluation = await classifier.evaluate(test, { predictions: true });
  const predictions = evaluation.predictions!;
  const classes = classifier.info.classes;
  const correct = shown.drawsGallery ? correctByClass(predictions, classes, shown.perClass) : [];
  const allMistakes = misclassifiedByConfidence(predictions, classes);
  const mistakes = allMistakes.slice(0, shown.mistakeLimit);
  const indices = [...correct.flat(), ...mistakes];
  const gradCams = indices.length === 0 ? [] : await classifier.explain(imagesOf(test, indices), { method: 'grad-cam', layer: layer.name });
  const explained = await classifier.explainClasses(test, { ...summaryOptions, method: summaryOptions.method as MethodName, layer: layer.name, means: shown.drawsGallery, predictions });
  return { evaluation, correct, mistakes, allMistakes, result: gradCamOf(gradCams, indices, layer, test), explained };
}

/** A gallery title's note of its flat maps, ` (3 of 80 maps flat)`, or nothing when none is. */
export function flatNote(flat: number, total: number): string {
  return flat === 0 ? '' : ` (${flat} of ${total} maps flat)`;
}

// ---- Per-class mean heatmaps and the confusion matrix's cells explained (why a t was read as p) ----

/** What the class-summary sections are made with: --method, --class-images, --cells, --per-cell. */
export interface ClassSummaryOptions {
  method: string;
  classImages: number;
  cells: number;
  perCell: number;
}

/** The class-summary options from the flags, which parseFlags has checked. */
export function classSummaryOptions(values: FlagValues): ClassSummaryOptions {
  return {
    method: String(values.method),
    classImages: numberValue(values, 'class-images')!,
    cells: numberValue(values, 'cells')!,
    perCell: numberValue(values, 'per-cell')!,
  };
}

/**
 * The report's class-summary figures and their section's content, from the classifier's class explanations
 * (explainClasses): the per-class means (the first `classImages` test images of each true class, each
 * explained for its true class) and the largest `cells` confusion cells with `perCell` mistakes each.
 */
function classSummary(
  test: ImageSet,
  explained: ClassExplanations,
  classNames: string[],
  colormap: Colormap,
  options: ClassSummaryOptions,
): { figures: Partial<Record<'class-means' | 'confusion-cells', ReportFigure>>; content: ClassSummaryContent } {
  const { methodTitle: title, means, cells } = explained;
  const figures = {
    'class-means': means && {
      png: encodePng(classMeansFigure(means.images, means.heatmaps, classNames, { colormap, title: `Mean image and mean ${title} of each class`, colorbarTitle: `mean ${title}` })),
      alt: `The mean test image of each class, the mean ${title} heatmap for the class, and the two blended`,
    },
    'confusion-cells': {
      png: encodePng(confusionCellsFigure(cellPanels(test, cells.cells, classNames), { colormap, title: `Why a t was read as p: ${title} for the true and the predicted class`, colorbarTitle: title })),
      alt: `The most frequent confusions, each misclassified digit with its ${title} map for the true class and for the predicted class`,
    },
  };
  return {
    figures,
    content: {
      methodTitle: title,
      classImages: options.classImages,
      classMeans: figures['class-means'],
      confusionCells: figures['confusion-cells'],
      cellsShown: cells.cells.length,
      cellsTotal: cells.cellCount,
      perCell: options.perCell,
    },
  };
}

/** The test images `indices` as the classifier takes them: one tensor [N, C, H, W] (the set's float inputs when it has them). */
function imagesOf(set: ImageSet, indices: number[]): ImageTensor {
  const channels = set.channels ?? 1;
  const size = channels * set.height * set.width;
  const source = set.inputs ?? set.images;
  const data = source instanceof Float32Array ? new Float32Array(indices.length * size) : new Uint8Array(indices.length * size);
  indices.forEach((index, n) => data.set(source.subarray(index * size, (index + 1) * size), n * size));
  return { data, shape: [indices.length, channels, set.height, set.width] };
}

/**
 * The classifier's Grad-CAM explanations of the test images `indices`, as one Grad-CAM result over the
 * set (what the galleries read: galleries.ts), its rows in the order of `indices`.
 */
function gradCamOf(explanations: ImageExplanation[], indices: number[], layer: ExplainableLayer, set: ImageSet): GradCam {
  const [channels, mapHeight, mapWidth] = layer.shape;
  const classes = explanations[0]?.probabilities.length ?? 0;
  const rows = (pick: (e: ImageExplanation) => ArrayLike<number>, size: number) => {
    const out = new Float32Array(explanations.length * size);
    explanations.forEach((e, n) => out.set(pick(e), n * size));
    return out;
  };
  return {
    count: explanations.length, classes, mapHeight, mapWidth, height: set.height, width: set.width,
    indices: Int32Array.from(indices),
    logits: rows((e) => e.logits, classes),
    probabilities: rows((e) => e.probabilities, classes),
    predicted: Int32Array.from(explanations, (e) => e.classIndex),
    targets: Int32Array.from(explanations, (e) => e.target),
    maps: rows((e) => e.map, mapHeight * mapWidth),
    heatmaps: rows((e) => e.heatmap, set.height * set.width),
    layer: layer.name,
    channels,
    weights: rows((e) => e.weights!, channels),
  };
}
