/**
 * The confusion matrix as an image: true classes down, predicted classes across (as the paper's figure
 * and scikit-learn's ConfusionMatrixDisplay), each cell's count written in it and shaded darker for more.
 *
 * The shade goes with log(1 + count) / log(1 + largest count): on a good model the diagonal holds
 * about a thousand images a class and the mistakes a handful, and a linear shade would leave every
 * mistake white.
 */
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

export function confusionFigure(confusion: number[][], classNames: string[], title = 'Confusion matrix'): Raster {
  const classes = confusion.length;
  const cell = 56;
  const margin = 16;
  const largest = Math.max(0, ...confusion.flat());
  const countScale = fittingScale(confusion.flat().map(String), cell - 8); // one size for every count
  const nameScale = 2;
  const yLabelWidth = Math.max(...classNames.map((n) => textWidth(n, nameScale)));
  const xLabelsFit = classNames.every((n) => textWidth(n, nameScale) <= cell - 4);
  const xLabelHeight = xLabelsFit ? GLYPH_HEIGHT * nameScale : Math.max(...classNames.map((n) => textWidth(n, nameScale)));
  const axisTitle = GLYPH_HEIGHT * 2 + 10;
  const left = margin + axisTitle + yLabelWidth + 8;
  const top = margin + GLYPH_HEIGHT * 2 + 14;
  const gridSize = classes * cell;
  const figure = new Raster(left + gridSize + margin, top + gridSize + 8 + xLabelHeight + 8 + axisTitle + margin);

  drawText(figure, title, left + gridSize / 2, margin, BLACK, 2, 'center');
  for (let t = 0; t < classes; t++) {
    for (let p = 0; p < classes; p++) {
      const count = confusion[t][p];
      const intensity = cellIntensity(count, largest);
      const x = left + p * cell;
      const y = top + t * cell;
      figure.fillRect(x, y, cell, cell, cellShade(intensity));
      const ink = intensity > 0.5 ? WHITE : count === 0 ? ZERO_COLOR : BLACK;
      drawText(figure, String(count), x + cell / 2, y + (cell - GLYPH_HEIGHT * countScale) / 2 + countScale, ink, countScale, 'center');
    }
  }
  figure.strokeRect(left - 1, top - 1, gridSize + 2, gridSize + 2, BLACK);

  classNames.forEach((name, k) => {
    drawText(figure, name, left - 8, top + k * cell + cell / 2 - nameScale * 4, BLACK, nameScale, 'right');
    const centre = left + k * cell + cell / 2;
    if (xLabelsFit) drawText(figure, name, centre, top + gridSize + 8, BLACK, nameScale, 'center');
    else drawTextVertical(figure, name, centre - nameScale * 4, top + gridSize + 8 + textWidth(name, nameScale) / 2, BLACK, nameScale);
  });
  drawText(figure, 'predicted class', left + gridSize / 2, top + gridSize + 8 + xLabelHeight + 10, BLACK, 2, 'center');
  drawTextVertical(figure, 'true class', margin, top + gridSize / 2, BLACK, 2);
  return figure;
}
