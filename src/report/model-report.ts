/**
 * The report as a library call: `modelReport(model, testSet)` evaluates the model, explains the images
 * the report shows and returns `xcnn report`'s page (report-html.ts) with every figure as PNG bytes —
 * browser-safe, so a web page can build the same report from a model file and a test set it holds.
 *
 *   evaluate → predictions → the first `perClass` correct images of each class, the `mistakes` most
 *   confident misclassified ones → one batched Grad-CAM pass over them (each for its predicted class)
 *   → galleries; `method` over the first `classImages` images of each class → class means; the
 *   largest `cells` confusion cells, `perCell` mistakes each → "why a t was read as p".
 *
 * The selections and captions are those of `xcnn report` (both take them from galleries.ts), so the page is the
 * command's for the same model, images and options, less the thread pool: flat maps marked and counted per
 * gallery, and the figures with a row or column per class left out beyond their limit (MAX_GALLERY_CLASSES,
 * MAX_CONFUSION_FIGURE_CLASSES), the page saying so.
 */
import { checkImageSetKind, checkModel, checkObject, checkOptions } from '../argument-checks.js';
import type { ImageSet } from '../data/dataset.js';
import { evaluate, type Evaluation } from '../eval/evaluate.js';
import type { Predictions } from '../eval/predict.js';
import { explainClassMeans } from '../explain/class-means.js';
import { confusionCellExplanations } from '../explain/confusion-cells.js';
import { explainedLayer } from '../explain/explained-layer.js';
import { gradCam } from '../explain/grad-cam.js';
import { methodByName } from '../explain/methods/by-name.js';
import type { LoadedModel } from '../model/model-file.js';
import { Network } from '../model/network.js';
import { colormap as colormapNamed, type ColormapName } from '../render/colormap.js';
import type { EpochMetrics } from '../render/curves-figure.js';
import { MAX_CONFUSION_FIGURE_CLASSES } from '../render/confusion-figure.js';
import { MAX_GALLERY_CLASSES, type GalleryTile } from '../render/gallery.js';
import { classGalleryPng, classMeansPng, confusionCellsPng, confusionMatrixPng, tileGalleryPng, trainingCurvesPng } from '../render/pictures.js';
import { XcnnError } from '../errors.js';
import { cellPanels, correctByClass, galleryTiles, misclassifiedByConfidence } from './galleries.js';
import { reportHtml } from './report-html.js';

export interface ModelReportOptions {
  title?: string; // in the page's heading, e.g. the model file's name (default: 'model')
  classNames?: string[]; // default: the model file's, else '0', '1', …
  dataset?: string; // the test set's name in the text (default: the model file's dataset, else 'test')
  history?: EpochMetrics[]; // the training curves (default: the model file's metrics.history; none: no curves)
  training?: Record<string, unknown>; // the training settings shown (default: the model file's)
  colormap?: ColormapName; // 'jet' (default) or 'viridis'
  layer?: string; // the conv block Grad-CAM explains (default: the last)
  perClass?: number; // correct images shown per class (default 8)
  mistakes?: number; // misclassified images shown, the most confident first (default 40)
  method?: string; // the method of the class-mean and confusion-cell sections (default 'grad-cam')
  classImages?: number; // images of each class averaged into its means (default 100)
  cells?: number; // confusion cells explained, the largest first (default 12)
  perCell?: number; // mistakes shown per cell (default 3)
}

/** The page and its figures, each a PNG file's bytes (the page embeds the same bytes). */
export interface ModelReport {
  html: string;
  evaluation: Evaluation & { predictions: Predictions };
  figures: {
    curves?: Uint8Array; // absent without a training history
    confusion?: Uint8Array; // absent beyond MAX_CONFUSION_FIGURE_CLASSES classes
    correct?: Uint8Array; // absent beyond MAX_GALLERY_CLASSES classes
    misclassified: Uint8Array;
    classMeans?: Uint8Array; // absent beyond MAX_GALLERY_CLASSES classes
    confusionCells: Uint8Array;
  };
}

export const MODEL_REPORT_DEFAULTS = { colormap: 'jet', perClass: 8, mistakes: 40, method: 'grad-cam', classImages: 100, cells: 12, perCell: 3 } as const;

function checkCount(name: string, value: number, low: number, high: number): number {
  if (!Number.isInteger(value) || value < low || value > high) throw new XcnnError(`modelReport: ${name} ${value} is not a whole number from ${low} to ${high}`, { code: 'ERR_BAD_ARGUMENT' });
  return value;
}

/** A gallery title's note of its flat maps, ` (3 of 80 maps flat)`, or nothing when none is. */
function flatNote(tiles: GalleryTile[]): string {
  const flat = tiles.filter((tile) => tile.flat).length;
  return flat === 0 ? '' : ` (${flat} of ${tiles.length} maps flat)`;
}

function isHistory(history: unknown): history is EpochMetrics[] {
  const keys = ['epoch', 'trainLoss', 'trainAccuracy', 'testLoss', 'testAccuracy'];
  return Array.isArray(history) && history.length > 0 && history.every((e) => keys.every((key) => typeof e?.[key] === 'number'));
}

/** `xcnn report`'s page for `model` (a network, or a loaded model file with its metadata) on the test images `set`. */
export function modelReport(model: Network | LoadedModel, set: ImageSet, options: ModelReportOptions = {}): ModelReport {
  checkObject('modelReport', 'model', model, 'a network, or a loaded model: loadModel, loadModelFromBytes');
  if (!(model instanceof Network)) checkModel('modelReport', 'model.network', (model as Partial<LoadedModel>).network, 'a network (a loaded model holds one: loadModel, loadModelFromBytes)');
  checkImageSetKind('modelReport', 'set', set);
  checkOptions('modelReport', options);
  const network = model instanceof Network ? model : model.network;
  const info = model instanceof Network ? undefined : model.info;
  const classes = network.outputShape[0];
  const classNames = options.classNames ?? info?.classNames ?? Array.from({ length: classes }, (_, k) => String(k));
  if (classNames.length !== classes) throw new XcnnError(`modelReport: ${classNames.length} class names for a model of ${classes} classes; give one name per class`, { code: 'ERR_BAD_ARGUMENT' });
  const colormapName = options.colormap ?? MODEL_REPORT_DEFAULTS.colormap;
  const colormap = colormapNamed(colormapName);
  const perClass = checkCount('perClass', options.perClass ?? MODEL_REPORT_DEFAULTS.perClass, 1, 100);
  const mistakeLimit = checkCount('mistakes', options.mistakes ?? MODEL_REPORT_DEFAULTS.mistakes, 0, 10_000);
  const method = methodByName(options.method ?? MODEL_REPORT_DEFAULTS.method);
  const classImages = checkCount('classImages', options.classImages ?? MODEL_REPORT_DEFAULTS.classImages, 1, 100_000);
  const cellLimit = checkCount('cells', options.cells ?? MODEL_REPORT_DEFAULTS.cells, 1, 1_000);
  const perCell = checkCount('perCell', options.perCell ?? MODEL_REPORT_DEFAULTS.perCell, 1, 100);
  const layer = explainedLayer(network, options.layer); // no conv, or an unknown name: one line before any work

  // Figures with a row or column per class are drawn up to a limit each and left out beyond (the page says so).
  const drawsGallery = classes <= MAX_GALLERY_CLASSES; // the correct predictions and the class means
  const drawsConfusion = classes <= MAX_CONFUSION_FIGURE_CLASSES;

  const evaluation = evaluate(network, set, classNames);
  const correct = drawsGallery ? correctByClass(evaluation.predictions, classes, perClass) : [];
  const allMistakes = misclassifiedByConfidence(evaluation.predictions, classes);
  const mistakes = allMistakes.slice(0, mistakeLimit);
  const result = gradCam(network, set, { indices: [...correct.flat(), ...mistakes], layer: layer.name });
  const { rows: galleryRows, mistakes: mistakeTiles } = galleryTiles(set, result, correct, mistakes, classNames);
  const shownTiles = galleryRows.flat();
  const means = drawsGallery ? explainClassMeans(network, set, method, { perClass: classImages, layer: layer.name }) : undefined;
  const explained = confusionCellExplanations(network, set, evaluation.predictions, method, { cells: cellLimit, perCell, layer: layer.name });

  const metricsHistory = (info?.metrics as { history?: unknown } | undefined)?.history;
  const history = options.history ?? (isHistory(metricsHistory) ? metricsHistory : undefined);
  const figures: ModelReport['figures'] = {
    curves: history && history.length > 0 ? trainingCurvesPng(history) : undefined,
    confusion: drawsConfusion ? confusionMatrixPng(evaluation.confusion, classNames) : undefined,
    correct: drawsGallery ? classGalleryPng(galleryRows, classNames, { colormap, title: `Correct predictions, Grad-CAM of the class${flatNote(shownTiles)}` }) : undefined,
    misclassified: tileGalleryPng(mistakeTiles, { columns: 10, colormap, title: `Misclassified: true→predicted, Grad-CAM of the predicted class${flatNote(mistakeTiles)}` }),
    classMeans: means && classMeansPng(means, classNames, { colormap, title: `Mean image and mean ${method.title} of each class`, colorbarTitle: `mean ${method.title}` }),
    confusionCells: confusionCellsPng(cellPanels(set, explained.cells, classNames), { colormap, title: `Why a t was read as p: ${method.title} for the true and the predicted class`, colorbarTitle: method.title }),
  };
  const html = reportHtml({
    modelPath: options.title ?? 'model',
    dataset: options.dataset ?? info?.dataset ?? 'test',
    imageCount: evaluation.count,
    accuracy: evaluation.accuracy,
    loss: evaluation.loss,
    report: evaluation.report,
    backend: network.backend.name,
    colormap: colormapName,
    explainedLayer: `${layer.name}, ${[result.channels, result.mapHeight, result.mapWidth].join(' × ')}`,
    training: options.training ?? info?.training,
    curves: figures.curves && { png: figures.curves, alt: `Training and test loss and accuracy over ${history!.length} epoch(s)` },
    classCount: classes,
    confusion: figures.confusion && { png: figures.confusion, alt: 'Confusion matrix of the test set' },
    classGallery: figures.correct && { png: figures.correct, alt: 'Grad-CAM overlays of correctly classified test images, one row per class' },
    galleryPerClass: perClass,
    galleryShown: shownTiles.length,
    galleryFlat: shownTiles.filter((tile) => tile.flat).length,
    misclassified: { png: figures.misclassified, alt: 'Grad-CAM overlays of misclassified test images' },
    misclassifiedShown: mistakes.length,
    misclassifiedTotal: allMistakes.length,
    misclassifiedFlat: mistakeTiles.filter((tile) => tile.flat).length,
    classSummary: {
      methodTitle: method.title,
      classImages,
      classMeans: figures.classMeans && { png: figures.classMeans, alt: `The mean test image of each class, the mean ${method.title} heatmap for the class, and the two blended` },
      confusionCells: {
        png: figures.confusionCells,
        alt: `The most frequent confusions, each misclassified digit with its ${method.title} map for the true class and for the predicted class`,
      },
      cellsShown: explained.cells.length,
      cellsTotal: explained.cellCount,
      perCell,
    },
  });
  return { html, evaluation, figures };
}
