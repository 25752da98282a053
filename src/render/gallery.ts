/**
 * Galleries of Grad-CAM overlays: a grid of labelled tiles, as the paper's figures of explained digits.
 *
 * - `classGallery`: a row per class, its label at the left, each row a few correctly predicted images of
 *   that class (with the heatmap of the predicted, hence true, class).
 * - `tileGallery`: tiles in reading order, each captioned — for the misclassified images, captioned
 *   `true→predicted probability%` (e.g. `4→9 87%`) with the heatmap of the predicted class.
 *
 * A tile whose map is flat (all zero after the ReLU: no evidence to show) is marked `flat` in its corner, so
 * its plain digit is not read as "the network looked nowhere". A class gallery draws up to
 * MAX_GALLERY_CLASSES rows, its tiles smaller as the classes grow (3 screen pixels a pixel up to 20
 * classes, 2 up to 50, then 1); a caller leaves it out beyond.
 */
import { drawText, GLYPH_HEIGHT, LINE_HEIGHT, textWidth } from './bitmap-font.js';
import type { Colormap } from './colormap.js';
import { drawColorbar, overlayRaster, type ExplainedImage } from './overlay.js';
import { BLACK, Raster, WHITE } from './raster.js';

export interface GalleryTile {
  image: ExplainedImage;
  caption?: string;
  flat?: boolean; // the map is flat (explanation.ts, isFlatMap): marked on the tile
}

/** The most classes a figure with images of every class draws (the gallery of correct predictions, the class means); beyond, a caller leaves it out and says so. */
export const MAX_GALLERY_CLASSES = 100;

/** Screen pixels a source pixel in a figure with a row or column per class: 3 up to 20 classes, 2 up to 50, then 1. */
export function perClassScale(classes: number): number {
  return classes <= 20 ? 3 : classes <= 50 ? 2 : 1;
}

export interface GalleryOptions {
  colormap: Colormap;
  scale?: number; // pixels a source pixel (default 3)
  alpha?: number;
  title?: string;
}

/** The size a gallery with no tiles reserves for its empty grid (MNIST's). */
const EMPTY_TILE = { width: 28, height: 28 };

const MARGIN = 12;
const GAP = 6;
const FONT_SCALE = 2;
const COLORBAR_SPACE = 70; // a colorbar and its labels at the right

function captionHeight(): number {
  return LINE_HEIGHT * FONT_SCALE + 4;
}

function titleHeight(title: string | undefined): number {
  return title ? LINE_HEIGHT * FONT_SCALE + 8 : 0;
}

/** The width a title needs, margins included (0 without one). */
function titleWidth(title: string | undefined): number {
  return title ? 2 * MARGIN + textWidth(title, FONT_SCALE) : 0;
}

/** Draws a tile's overlay at (left, top) and its caption centred under it. */
function drawTile(figure: Raster, tile: GalleryTile, left: number, top: number, options: GalleryOptions, scale: number): void {
  figure.drawRaster(overlayRaster(tile.image, scale, options.colormap, options.alpha), left, top);
  if (tile.flat) drawFlatMark(figure, left, top);
  if (tile.caption) {
    const tileWidth = tile.image.width * scale;
    drawText(figure, tile.caption, left + tileWidth / 2, top + tile.image.height * scale + 3, BLACK, FONT_SCALE, 'center');
  }
}

/** `flat` in white on black at a tile's top-left corner. */
export function drawFlatMark(figure: Raster, left: number, top: number): void {
  figure.fillRect(left, top, textWidth('flat') + 4, GLYPH_HEIGHT + 2, BLACK);
  drawText(figure, 'flat', left + 2, top + 1, WHITE);
}

/**
 * One row per class: `rows[k]` holds class k's tiles (it may be empty), labelled `labels[k]` at the left.
 * All tiles share one size.
 */
export function classGallery(rows: GalleryTile[][], labels: string[], options: GalleryOptions): Raster {
  const scale = options.scale ?? perClassScale(rows.length);
  const sample = rows.flat()[0]?.image ?? EMPTY_TILE;
  const tileWidth = sample.width * scale;
  const tileHeight = sample.height * scale;
  const columns = Math.max(1, ...rows.map((r) => r.length));
  const labelWidth = Math.max(...labels.map((l) => textWidth(l, FONT_SCALE))) + 10;
  const rowHeight = tileHeight + captionHeight() + GAP;
  const top = MARGIN + titleHeight(options.title);
  const gridWidth = columns * (tileWidth + GAP);
  const figure = new Raster(Math.max(MARGIN + labelWidth + gridWidth + COLORBAR_SPACE, titleWidth(options.title)), top + rows.length * rowHeight + MARGIN);
  if (options.title) drawText(figure, options.title, MARGIN, MARGIN, BLACK, FONT_SCALE);
  rows.forEach((row, k) => {
    const y = top + k * rowHeight;
    drawText(figure, labels[k], MARGIN + labelWidth - 10, y + tileHeight / 2 - FONT_SCALE * 4, BLACK, FONT_SCALE, 'right');
    if (row.length === 0) drawText(figure, '(none)', MARGIN + labelWidth, y + tileHeight / 2 - FONT_SCALE * 4, BLACK, FONT_SCALE);
    row.forEach((tile, c) => drawTile(figure, tile, MARGIN + labelWidth + c * (tileWidth + GAP), y, options, scale));
  });
  drawColorbar(figure, MARGIN + labelWidth + gridWidth + 8, top, 12, Math.min(200, rows.length * rowHeight - GAP), options.colormap);
  return figure;
}

/** Tiles in reading order, `columns` to a row, each with its caption under it. */
export function tileGallery(tiles: GalleryTile[], columns: number, options: GalleryOptions): Raster {
  const scale = options.scale ?? 3;
  const sample = tiles[0]?.image ?? EMPTY_TILE;
  const longestCaption = Math.max(0, ...tiles.map((t) => textWidth(t.caption ?? '', FONT_SCALE)));
  const cellWidth = Math.max(sample.width * scale, longestCaption) + GAP * 2;
  const cellHeight = sample.height * scale + captionHeight() + GAP;
  const rows = Math.max(1, Math.ceil(tiles.length / columns));
  const top = MARGIN + titleHeight(options.title);
  const gridWidth = Math.min(columns, Math.max(1, tiles.length)) * cellWidth;
  const figure = new Raster(Math.max(MARGIN + gridWidth + COLORBAR_SPACE, titleWidth(options.title)), top + rows * cellHeight + MARGIN);
  if (options.title) drawText(figure, options.title, MARGIN, MARGIN, BLACK, FONT_SCALE);
  if (tiles.length === 0) drawText(figure, '(none)', MARGIN, top, BLACK, FONT_SCALE);
  tiles.forEach((tile, k) => {
    const left = MARGIN + (k % columns) * cellWidth + (cellWidth - sample.width * scale) / 2;
    drawTile(figure, tile, Math.round(left), top + Math.floor(k / columns) * cellHeight, options, scale);
  });
  drawColorbar(figure, MARGIN + gridWidth + 8, top, 12, Math.min(200, Math.max(60, rows * cellHeight - GAP)), options.colormap);
  return figure;
}
