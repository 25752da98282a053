/**
 * Explanation methods side by side on the same digits: one row per image (the digit itself first, labelled
 * `true→predicted`, in red when they differ), one column per method
 * (its name above), every tile the method's heatmap of the predicted class blended over the digit as in
 * overlay.ts. Signed methods' columns (their maps zero-centred by the caller, 0 at 0.5) are drawn in the
 * diverging colormap, with a second colorbar (−, 0, +), as `xcnn explain` draws them. Used by
 * `xcnn faithfulness` for correct and misclassified test images alike.
 */
import { drawText, LINE_HEIGHT, textWidth } from './bitmap-font.js';
import { coolwarm, type Colormap } from './colormap.js';
import { digitRaster, drawColorbar, overlayRaster } from './overlay.js';
import { BLACK, Raster, type Rgb } from './raster.js';

export interface MethodsFigureRow {
  pixels: ArrayLike<number>; // [C, H, W] levels 0–255, ink high (grey for one channel, colour for three)
  label: string; // e.g. '4→9' (true→predicted)
  correct: boolean;
  heatmaps: ArrayLike<number>[]; // one [H, W] in [0, 1] per column
}

export interface MethodsFigureOptions {
  colormap: Colormap;
  signed?: boolean[]; // per column: a signed map, zero-centred, drawn in coolwarm (default: none)
  scale?: number; // screen pixels a source pixel (default 3)
  title?: string;
}

const MARGIN = 12;
const GAP = 6;
const WRONG: Rgb = [200, 0, 0];

/**
 * The figure: `columns` names the methods, `rows` the images (each with one heatmap per column), all
 * images `height` × `width`.
 */
export function methodsFigure(columns: string[], rows: MethodsFigureRow[], height: number, width: number, options: MethodsFigureOptions, channels = 1): Raster {
  const scale = options.scale ?? 3;
  const tileWidth = width * scale;
  const tileHeight = height * scale;
  const cellWidth = Math.max(tileWidth, ...columns.map((c) => textWidth(c))) + GAP;
  const labelWidth = Math.max(textWidth('input', 1), ...rows.map((r) => textWidth(r.label, 2))) + GAP;
  const titleSpace = options.title ? LINE_HEIGHT * 2 + 6 : 0;
  const headerSpace = LINE_HEIGHT + 4;
  const top = MARGIN + titleSpace + headerSpace;
  const left = MARGIN + labelWidth;
  const gridWidth = (columns.length + 1) * cellWidth;
  const gridHeight = Math.max(1, rows.length) * (tileHeight + GAP);
  const titleWidth = options.title ? MARGIN * 2 + textWidth(options.title, 2) : 0;
  const signed = columns.map((_, c) => options.signed?.[c] === true);
  const colorbars = signed.some(Boolean) ? 2 : 1;
  const figure = new Raster(Math.max(left + gridWidth + 70 * colorbars, titleWidth), top + gridHeight + MARGIN);
  if (options.title) drawText(figure, options.title, MARGIN, MARGIN, BLACK, 2);
  ['input', ...columns].forEach((name, c) => drawText(figure, name, left + c * cellWidth + tileWidth / 2, top - headerSpace, BLACK, 1, 'center'));
  rows.forEach((row, r) => {
    const y = top + r * (tileHeight + GAP);
    drawText(figure, row.label, left - GAP, y + tileHeight / 2 - LINE_HEIGHT, row.correct ? BLACK : WRONG, 2, 'right');
    const image = { width, height, channels, pixels: row.pixels, heatmap: row.heatmaps[0] ?? [] };
    figure.drawRaster(digitRaster(image, scale), left, y);
    row.heatmaps.forEach((heatmap, c) => figure.drawRaster(overlayRaster({ ...image, heatmap }, scale, signed[c] ? coolwarm : options.colormap), left + (c + 1) * cellWidth, y));
  });
  const barHeight = Math.min(200, Math.max(60, gridHeight - GAP));
  drawColorbar(figure, left + gridWidth + 8, top, 12, barHeight, options.colormap, 'heat');
  if (colorbars === 2) drawColorbar(figure, left + gridWidth + 78, top, 12, barHeight, coolwarm, 'signed', ['+', '0', '-']);
  return figure;
}
