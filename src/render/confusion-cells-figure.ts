/**
 * Why a t was read as p: a panel per confusion-matrix cell, panels in reading order (`columns` across).
 * A panel is headed `4 → 9: 12 images` and holds a row per shown mistake:
 *
 *   digit | map for the true class t | map for the predicted class p
 *
 * (both maps blended over the digit, as in the galleries), captioned `true 4 → pred 9 (87%)` with the
 * predicted class's probability. One colorbar serves every map.
 */
import { drawText, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import type { Colormap } from './colormap.js';
import { digitRaster, drawColorbar, overlayRaster, type ExplainedImage } from './overlay.js';
import { BLACK, Raster } from './raster.js';

/** One misclassified image: the same pixels with the heatmap for t and the heatmap for p. */
export interface ConfusionCellRow {
  forTrue: ExplainedImage;
  forPredicted: ExplainedImage;
  caption: string; // e.g. 'true 4 → pred 9 (87%)'
}

export interface ConfusionCellPanel {
  heading: string; // e.g. '4 → 9: 12 images'
  columnTitles: [string, string, string]; // e.g. ['digit', 'for 4', 'for 9']
  rows: ConfusionCellRow[];
}

export interface ConfusionCellsFigureOptions {
  colormap: Colormap;
  scale?: number; // pixels a source pixel (default 3)
  columns?: number; // panels across (default 3)
  title?: string;
  colorbarTitle?: string;
}

const MARGIN = 12;
const GAP = 6;
const PANEL_GAP = 24;

/** `rows × (tile + caption + gap)` plus the heading and the column titles. */
function panelHeight(panel: ConfusionCellPanel, tileHeight: number): number {
  return GLYPH_HEIGHT * 2 + 6 + GLYPH_HEIGHT + 4 + panel.rows.length * (tileHeight + GLYPH_HEIGHT + 4 + GAP);
}

export function confusionCellsFigure(panels: ConfusionCellPanel[], options: ConfusionCellsFigureOptions): Raster {
  const scale = options.scale ?? 3;
  const columns = Math.max(1, options.columns ?? 3);
  const sample = panels.flatMap((p) => p.rows)[0]?.forTrue ?? { width: 28, height: 28 }; // no panels: MNIST's size for the empty figure
  const tileWidth = sample.width * scale;
  const tileHeight = sample.height * scale;
  const headingScale = panels.every((p) => textWidth(p.heading, 2) <= 3 * tileWidth + 2 * GAP) ? 2 : 1;
  const panelWidth = Math.max(3 * tileWidth + 2 * GAP, ...panels.flatMap((p) => [textWidth(p.heading, headingScale), ...p.rows.map((r) => textWidth(r.caption))]));
  const gridRows = Math.max(1, Math.ceil(panels.length / columns));
  const rowHeights = Array.from({ length: gridRows }, (_, r) => Math.max(0, ...panels.slice(r * columns, (r + 1) * columns).map((p) => panelHeight(p, tileHeight))));
  const titleHeight = options.title ? GLYPH_HEIGHT * 2 + 12 : 0;
  const top = MARGIN + titleHeight;
  const gridWidth = Math.min(columns, Math.max(1, panels.length)) * (panelWidth + PANEL_GAP);
  const gridHeight = Math.max(GLYPH_HEIGHT * 2, rowHeights.reduce((a, b) => a + b + PANEL_GAP, 0));
  const figure = new Raster(MARGIN + gridWidth + 70, top + gridHeight + MARGIN);
  if (options.title) drawText(figure, options.title, MARGIN, MARGIN, BLACK, 2);
  if (panels.length === 0) drawText(figure, '(no misclassified images)', MARGIN, top, BLACK, 2);

  let panelTop = top;
  panels.forEach((panel, k) => {
    const column = k % columns;
    if (column === 0 && k > 0) panelTop += rowHeights[k / columns - 1] + PANEL_GAP;
    drawPanel(figure, panel, MARGIN + column * (panelWidth + PANEL_GAP), panelTop, tileWidth, tileHeight, headingScale, scale, options.colormap);
  });
  drawColorbar(figure, MARGIN + gridWidth + 8, top, 12, Math.min(200, Math.max(60, gridHeight - PANEL_GAP)), options.colormap, options.colorbarTitle);
  return figure;
}

function drawPanel(figure: Raster, panel: ConfusionCellPanel, left: number, top: number, tileWidth: number, tileHeight: number, headingScale: number, scale: number, colormap: Colormap): void {
  drawText(figure, panel.heading, left, top, BLACK, headingScale);
  const titlesTop = top + GLYPH_HEIGHT * 2 + 6;
  panel.columnTitles.forEach((title, c) => drawText(figure, title, left + c * (tileWidth + GAP) + tileWidth / 2, titlesTop, BLACK, 1, 'center'));
  let y = titlesTop + GLYPH_HEIGHT + 4;
  for (const row of panel.rows) {
    const tiles = [digitRaster(row.forTrue, scale), overlayRaster(row.forTrue, scale, colormap), overlayRaster(row.forPredicted, scale, colormap)];
    tiles.forEach((tile, c) => figure.drawRaster(tile, left + c * (tileWidth + GAP), y));
    drawText(figure, row.caption, left, y + tileHeight + 2, BLACK, 1);
    y += tileHeight + GLYPH_HEIGHT + 4 + GAP;
  }
}
