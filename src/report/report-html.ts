/**
 * The report: one self-contained HTML page with what the paper shows, for the model at hand — the
 * training curves, the classification report, the confusion matrix, Grad-CAM galleries of correct
 * predictions per class and the misclassified images with the Grad-CAM of their predicted class.
 *
 * Figures are PNGs embedded as base64 `data:` URIs and the style sheet is inline, so the page loads
 * nothing from anywhere: it can be mailed, archived or opened offline as one file.
 */
import { checkFields } from '../argument-checks.js';
import type { ClassificationReport, ClassScores } from '../eval/metrics.js';
import { MAX_CONFUSION_FIGURE_CLASSES } from '../render/confusion-figure.js';
import { MAX_GALLERY_CLASSES } from '../render/gallery.js';

export interface ReportFigure {
  png: Uint8Array;
  alt: string; // what the figure shows, for screen readers and when images are off
}

export interface ReportContent {
  modelPath: string;
  dataset: string;
  imageCount: number; // test images evaluated
  accuracy: number;
  loss: number;
  report: ClassificationReport;
  backend: string;
  colormap: string;
  explainedLayer: string; // the layer Grad-CAM reads and its shape, e.g. 'relu2, 64 × 11 × 11'
  training?: Record<string, unknown>; // the model's training settings, if recorded
  classCount?: number; // the model's classes (default: the report's)
  curves?: ReportFigure; // absent when the model has no training history
  confusion?: ReportFigure; // absent beyond MAX_CONFUSION_FIGURE_CLASSES classes
  classGallery?: ReportFigure; // absent beyond MAX_GALLERY_CLASSES classes
  galleryPerClass: number;
  galleryShown?: number; // tiles in the class gallery
  galleryFlat?: number; // of which flat (their maps all zero: no evidence shown)
  misclassified: ReportFigure;
  misclassifiedShown: number;
  misclassifiedTotal: number;
  misclassifiedFlat?: number; // of the shown, flat
  classSummary?: ClassSummaryContent; // per-class means and the confusion matrix's cells explained
  faithfulnessHtml?: string; // the Faithfulness section (faithfulness-section.ts), when given `--faithfulness`
}

/** The sections 'What each class looks like to the network' and 'Why a t was read as p'. */
export interface ClassSummaryContent {
  methodTitle: string; // e.g. 'Grad-CAM'
  classImages: number; // test images averaged per class (at most)
  classMeans?: ReportFigure; // absent beyond MAX_GALLERY_CLASSES classes
  confusionCells: ReportFigure;
  cellsShown: number;
  cellsTotal: number; // off-diagonal cells holding at least one image
  perCell: number; // mistakes shown per cell (at most)
}

/** Text made safe for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Bytes as base64 (RFC 4648), through `btoa` (a global in browsers and in Node ≥ 16), 32 KiB at a time. */
export function base64(bytes: Uint8Array): string {
  let binary = '';
  for (let k = 0; k < bytes.length; k += 0x8000) binary += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(binary);
}

export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${base64(png)}`;
}

/** A figure with its caption (HTML), the PNG embedded. */
export function figureHtml(figure: ReportFigure, caption: string): string {
  return `<figure><img src="${pngDataUri(figure.png)}" alt="${escapeHtml(figure.alt)}"><figcaption>${caption}</figcaption></figure>`;
}

/** The classification report as the paper's table: four decimals, support as a count. */
export function classificationTableHtml(report: ClassificationReport): string {
  const f = (x: number) => x.toFixed(4);
  const row = (name: string, c: ClassScores) =>
    `<tr><th scope="row">${escapeHtml(name)}</th><td>${f(c.precision)}</td><td>${f(c.recall)}</td><td>${f(c.f1)}</td><td>${c.support}</td></tr>`;
  return [
    '<table class="scores">',
    '<thead><tr><th></th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">f1-score</th><th scope="col">support</th></tr></thead>',
    '<tbody>',
    ...report.perClass.map((c, k) => row(report.classNames[k], c)),
    `<tr class="total"><th scope="row">accuracy</th><td></td><td></td><td>${f(report.accuracy)}</td><td>${report.total}</td></tr>`,
    row('macro avg', report.macroAvg),
    row('weighted avg', report.weightedAvg),
    '</tbody></table>',
  ].join('\n');
}

function settingsHtml(training: Record<string, unknown> | undefined): string {
  if (!training) return '';
  const items = Object.entries(training).map(([key, value]) => `<dt>${escapeHtml(key)}</dt><dd>${escapeHtml(typeof value === 'object' ? JSON.stringify(value) : String(value))}</dd>`);
  return `<details><summary>Training settings</summary><dl class="settings">${items.join('')}</dl></details>`;
}

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.25em; margin-top: 2em; border-bottom: 1px solid #ddd; }
.summary { color: #444; }
figure { margin: 1em 0; }
figure img { max-width: 100%; image-rendering: pixelated; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
table.scores { border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.scores th, table.scores td { padding: 0.2em 0.9em; text-align: right; }
table.scores thead th { border-bottom: 1px solid #999; }
table.scores tr.total th, table.scores tr.total td { border-top: 1px solid #999; }
dl.settings { display: grid; grid-template-columns: max-content auto; gap: 0 1em; }
dl.settings dt { font-weight: 600; }
code { background: #f4f4f4; padding: 0 0.2em; }
`;

/** 'What each class looks like to the network' (per-class means) and 'Why a t was read as p' (confusion cells). */
export function classSummarySections(s: ClassSummaryContent, classCount = 0): string[] {
  const method = escapeHtml(s.methodTitle);
  return [
    '<h2>What each class looks like to the network</h2>',
    s.classMeans
      ? `<p>For each class, the first ${s.classImages} test images of that class (fewer if the set holds fewer), each explained by ${method} ` +
        'for its true class. Top: their mean image. Middle: the mean of their heatmaps (each scaled to [0, 1] before averaging, so every ' +
        'image weighs the same), drawn unscaled — a bright spot where the maps agree, a dim wash where they scatter. Bottom: the two blended.</p>' +
        figureHtml(s.classMeans, `Mean image and mean ${method} heatmap per class; n is the number of images averaged.`)
      : leftOutHtml('The figure of class means (a column per class)', classCount, MAX_GALLERY_CLASSES),
    '<h2>Why a t was read as p</h2>',
    s.cellsTotal === 0
      ? '<p>The model classified every test image correctly, so the confusion matrix has no off-diagonal cells.</p>'
      : `<p>The ${s.cellsShown === s.cellsTotal ? `${s.cellsTotal}` : `${s.cellsShown} largest of the ${s.cellsTotal}`} off-diagonal cells of the confusion matrix ` +
          `(true t, predicted p), largest first. Each shows up to ${s.perCell} of its images, the most confident mistakes first: the digit, ` +
          `the ${method} map for the true class t (the evidence for what it is) and for the predicted class p (what the network took for p).</p>` +
          figureHtml(s.confusionCells, `Each row is labelled <code>true t → pred p (probability of p)</code>; both maps are drawn over the digit.`),
  ];
}

/** A figure left out for the class count: one paragraph saying which, why, and where its numbers are. */
function leftOutHtml(what: string, classes: number, limit: number): string {
  return `<p>${what} is drawn for up to ${limit} classes; this model has ${classes}, so it is left out here.</p>`;
}

/** A gallery caption's note of its flat maps, or nothing when none is. */
function flatMapsHtml(flat: number | undefined, shown: number | undefined): string {
  if (!flat) return '';
  return ` ${flat} of the ${shown} maps ${flat === 1 ? 'is' : 'are'} flat (all zero after the ReLU) and marked <code>flat</code> on the tile: ` +
    'their overlays show no evidence, not absence of evidence.';
}

export function reportHtml(content: ReportContent): string {
  checkFields('reportHtml', 'content', content, 'what the page shows: ReportContent', {
    modelPath: 'string', dataset: 'string', imageCount: 'number', accuracy: 'number', loss: 'number', report: 'object', backend: 'string',
    colormap: 'string', explainedLayer: 'string', galleryPerClass: 'number', misclassified: 'object', misclassifiedShown: 'number', misclassifiedTotal: 'number',
  });
  const c = content;
  const percent = (x: number) => `${(100 * x).toFixed(2)}%`;
  const classes = c.classCount ?? c.report.perClass.length;
  const sections = [
    `<h1>xcnn report: ${escapeHtml(c.modelPath)}</h1>`,
    `<p class="summary">Test accuracy <strong>${percent(c.accuracy)}</strong> on ${c.imageCount} ${escapeHtml(c.dataset)} test images ` +
      `(mean cross-entropy ${c.loss.toFixed(4)}), computed with the <code>${escapeHtml(c.backend)}</code> backend.</p>`,
    settingsHtml(c.training),
    '<h2>Training performance</h2>',
    c.curves
      ? figureHtml(c.curves, 'Loss and accuracy per epoch: the training set (running mean over each epoch) and the test set (after each epoch).')
      : '<p>The model file records no training history, so there are no curves to draw.</p>',
    '<h2>Classification report</h2>',
    classificationTableHtml(c.report),
    '<h2>Confusion matrix</h2>',
    c.confusion
      ? figureHtml(c.confusion, 'True classes down, predicted classes across; the diagonal holds the correct predictions. Darker cells hold more images (shaded by log(1 + count)).')
      : `${leftOutHtml('The confusion matrix', classes, MAX_CONFUSION_FIGURE_CLASSES)}<p>Every count is in <code>xcnn evaluate --json</code>.</p>`,
    '<h2>Grad-CAM: correct predictions</h2>',
    `<p>Grad-CAM (Selvaraju et al., 2017) weights each channel of the last convolutional layer after its ReLU (${escapeHtml(c.explainedLayer)}) ` +
      'by the spatial mean of the gradient of the class logit, sums the weighted channels, keeps the positive part, resizes the map to the ' +
      `image's size (bilinear, half-pixel centres) and scales it to [0, 1]. It is drawn in the ${escapeHtml(c.colormap)} colormap over the digit, ` +
      'half and half: the high end of the colorbar marks the regions whose features raised the logit of the class most.</p>',
    c.classGallery
      ? figureHtml(c.classGallery, `Up to ${c.galleryPerClass} correctly classified test images per class, a row per class, each with the Grad-CAM of its class.${flatMapsHtml(c.galleryFlat, c.galleryShown)}`)
      : leftOutHtml('The gallery of correct predictions (a row per class)', classes, MAX_GALLERY_CLASSES),
    '<h2>Grad-CAM: misclassified images</h2>',
    c.misclassifiedTotal === 0
      ? '<p>The model classified every test image correctly.</p>'
      : figureHtml(
          c.misclassified,
          `${c.misclassifiedShown === c.misclassifiedTotal ? `All ${c.misclassifiedTotal}` : `The ${c.misclassifiedShown} most confident of the ${c.misclassifiedTotal}`} ` +
            'misclassified test images, each labelled <code>true→predicted</code> with the probability of the predicted class, and the Grad-CAM of the predicted class: what the network saw as that class.' +
            flatMapsHtml(c.misclassifiedFlat, c.misclassifiedShown),
        ),
    ...(c.classSummary ? classSummarySections(c.classSummary, classes) : []),
    c.faithfulnessHtml ?? '',
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>xcnn report: ${escapeHtml(c.modelPath)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    ...sections.filter((s) => s !== ''),
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
