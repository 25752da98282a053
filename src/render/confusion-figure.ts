/**
 * The confusion matrix as an image: true classes down, predicted classes across (as the paper's figure
 * and scikit-learn's ConfusionMatrixDisplay), each cell's count written in it and shaded darker for more.
 *
 * The shade goes with log(1 + count) / log(1 + largest count): on a good model the diagonal holds
 * about a thousand images a class and the mistakes a handful, and a linear shade would leave every
 * mistake white.
 *
 * Any class count up to MAX_CONFUSION_FIGURE_CLASSES: cells are 56 pixels up to 17 classes and shrink
 * beyond (the grid stays near 1,000 pixels, cells no smaller than 2); a count is written in its cell only
 * while every count fits, and the class labels are thinned to every 2nd, 5th, 10th, … class once they
 * would overlap. Beyond the limit the caller leaves the figure out (the counts are in the JSON).
 */
import { XcnnError } from '../errors.js';
import { drawText, drawTextVertical, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import { BLACK, mixRgb, Raster, WHITE, type Rgb } from './raster.js';

/** matplotlib's "Blues" at five points, light to dark. */
const BLUES: Rgb[] = [[247, 251, 255], [198, 219, 239], [107, 174, 214], [33, 113, 181], [8, 48, 107]];

/** Zeros in grey, so the eye goes to the cells that hold images. */
const ZERO_COLOR: Rgb = [170, 170, 170];

/** The shade of a cell: t in [0, 1] → light to dark blue. */
export function cellShade(t: number): Rgb {
  const position = Math.min(Math.max(t, 0), 1) * (BLUES.length - 1);
  const k = Math.min(Math.floor(position), BLUES.length - 2);
  return mixRgb(BLUES[k], BLUES[k + 1], position - k);
}

/** log(1 + count) / log(1 + largest), 0 when everything is 0. */
export function cellIntensity(count: number, largest: number): number {
  return largest <= 0 ? 0 : Math.log1p(count) / Math.log1p(largest);
}

/** The largest font scale (1–3) at which every one of `texts` fits `width` pixels (at least 1). */
function fittingScale(texts: string[], width: number): number {
  for (let scale = 3; scale > 1; scale--) if (texts.every((text) => textWidth(text, scale) <= width)) return scale;
  return 1;
}

/** The most classes the figure draws (cells of 2 pixels, a grid of 1,000); beyond, a caller leaves it out. */
export const MAX_CONFUSION_FIGURE_CLASSES = 500;

/** Cell size: 56 pixels, shrinking beyond 17 classes so the grid stays near 1,000 pixels, never below 2. */
export function confusionCellSize(classes: number): number {
  return Math.max(2, Math.min(56, Math.floor(1000 / Math.max(1, classes))));
}

/** Label every `step`-th class (1, 2, 5, 10, 20, 50, …): the smallest step whose labels, `extent` pixels each, do not overlap on cells of `cell`. */
export function labelStep(cell: number, extent: number): number {
  for (let decade = 1; ; decade *= 10) {
    for (const step of [1, 2, 5]) if (step * decade * cell >= extent + 2) return step * decade;
  }
}

export function confusionFigure(confusion: number[][], classNames: string[], title = 'Confusion matrix'): Raster {
  const classes = confusion.length;
  if (classes > MAX_CONFUSION_FIGURE_CLASSES) throw new XcnnError(`confusion matrix figure: ${classes} classes, more than the ${MAX_CONFUSION_FIGURE_CLASSES} it draws; print the matrix (formatConfusionMatrix) instead`, { code: 'ERR_BAD_ARGUMENT' });
  const cell = confusionCellSize(classes);
  const margin = 16;
  // Row by row: spread whole (Math.max(0, ...confusion.flat())), 500 classes' 250,000 counts overflow the call stack (past about 360 classes here).
  const largest = confusion.reduce((most, row) => row.reduce((a, b) => Math.max(a, b), most), 0);
  const counts = confusion.flat().map(String);
  // Counts go in the cells only while every one fits, at one size for all.
  const countsFit = counts.every((text) => textWidth(text) <= cell - 4) && GLYPH_HEIGHT <= cell - 4;
  const countScale = fittingScale(counts, cell - 8);
  const nameScale = cell >= 24 ? 2 : 1;
  const step = labelStep(cell, GLYPH_HEIGHT * nameScale);
  const labelled = classNames.map((_, k) => k).filter((k) => k % step === 0 && k < classes);
  const yLabelWidth = Math.max(0, ...labelled.map((k) => textWidth(classNames[k], nameScale)));
  const xLabelsFit = labelled.every((k) => textWidth(classNames[k], nameScale) <= step * cell - 4);
  const xLabelHeight = xLabelsFit ? GLYPH_HEIGHT * nameScale : yLabelWidth;
  const axisTitle = GLYPH_HEIGHT * 2 + 10;
  const left = margin + axisTitle + yLabelWidth + 8;
  const top = margin + GLYPH_HEIGHT * 2 + 14;
  const gridSize = classes * cell;
  const heading = countsFit ? title : `${title}: ${classes} classes, shaded by count`;
  const width = Math.max(left + gridSize + margin, margin + textWidth(heading, 2) + margin);
  const figure = new Raster(width, top + gridSize + 8 + xLabelHeight + 8 + axisTitle + margin);

  drawText(figure, heading, Math.max(left + gridSize / 2, margin + textWidth(heading, 2) / 2), margin, BLACK, 2, 'center');
  for (let t = 0; t < classes; t++) {
    for (let p = 0; p < classes; p++) {
      const count = confusion[t][p];
      const intensity = cellIntensity(count, largest);
      const x = left + p * cell;
      const y = top + t * cell;
      figure.fillRect(x, y, cell, cell, cellShade(intensity));
      if (!countsFit) continue;
      const ink = intensity > 0.5 ? WHITE : count === 0 ? ZERO_COLOR : BLACK;
      drawText(figure, String(count), x + cell / 2, y + (cell - GLYPH_HEIGHT * countScale) / 2 + countScale, ink, countScale, 'center');
    }
  }
  figure.strokeRect(left - 1, top - 1, gridSize + 2, gridSize + 2, BLACK);

  for (const k of labelled) {
    const name = classNames[k];
    const middle = k * cell + cell / 2;
    drawText(figure, name, left - 8, Math.round(top + middle - nameScale * 4), BLACK, nameScale, 'right');
    if (xLabelsFit) drawText(figure, name, left + middle, top + gridSize + 8, BLACK, nameScale, 'center');
    else drawTextVertical(figure, name, Math.round(left + middle - nameScale * 4), top + gridSize + 8 + textWidth(name, nameScale) / 2, BLACK, nameScale);
  }
  drawText(figure, 'predicted class', left + gridSize / 2, top + gridSize + 8 + xLabelHeight + 10, BLACK, 2, 'center');
  drawTextVertical(figure, 'true class', margin, top + gridSize / 2, BLACK, 2);
  return figure;
}
