/**
 * Galleries of Grad-CAM overlays: a grid of labelled tiles, as the paper's figures of explained digits.
 *
 * - `classGallery`: a row per class, its label at the left, each row a few correctly predicted images of
 *   that class (with the heatmap of the predicted, hence true, class).
 * - `tileGallery`: tiles in reading order, each captioned — for the misclassified images, captioned
 *   `true→predicted probability%` (e.g. `4→9 87%`) with the heatmap of the predicted class.
 */
import { drawText, LINE_HEIGHT, textWidth } from './bitmap-font.js';
import type { Colormap } from './colormap.js';
import { drawColorbar, overlayRaster, type ExplainedImage } from './overlay.js';
import { BLACK, Raster } from './raster.js';

export interface GalleryTile {
  image: ExplainedImage;
  caption?: string;
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

/** Draws a tile's overlay at (left, top) and its caption centred under it. */
function drawTile(figure: Raster, tile: GalleryTile, left: number, top: number, options: GalleryOptions, scale: number): void {
  figure.drawRaster(overlayRaster(tile.image, scale, options.colormap, options.alpha), left, top);
  if (tile.caption) {
    const tileWidth = tile.image.width * scale;
    drawText(figure, tile.caption, left + tileWidth / 2, top + tile.image.height * scale + 3, BLACK, FONT_SCALE, 'center');
  }
}

/**
 * One row per class: `rows[k]` holds class k's tiles (it may be empty), labelled `labels[k]` at the left.
 * All tiles share one size.
 */
export function classGallery(rows: GalleryTile[][], labels: string[], options: GalleryOptions): Raster {
  const scale = options.scale ?? 3;
  const sample = rows.flat()[0]?.image ?? EMPTY_TILE;
  const tileWidth = sample.width * scale;
  const tileHeight = sample.height * scale;
  const columns = Math.max(1, ...rows.map((r) => r.length));
  const labelWidth = Math.max(...labels.map((l) => textWidth(l, FONT_SCALE))) + 10;
  const rowHeight = tileHeight + captionHeight() + GAP;
  const top = MARGIN + titleHeight(options.title);
  const gridWidth = columns * (tileWidth + GAP);
  const figure = new Raster(MARGIN + labelWidth + gridWidth + COLORBAR_SPACE, top + rows.length * rowHeight + MARGIN);
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
  const figure = new Raster(MARGIN + gridWidth + COLORBAR_SPACE, top + rows * cellHeight + MARGIN);
  if (options.title) drawText(figure, options.title, MARGIN, MARGIN, BLACK, FONT_SCALE);
  if (tiles.length === 0) drawText(figure, '(none)', MARGIN, top, BLACK, FONT_SCALE);
  tiles.forEach((tile, k) => {
    const left = MARGIN + (k % columns) * cellWidth + (cellWidth - sample.width * scale) / 2;
    drawTile(figure, tile, Math.round(left), top + Math.floor(k / columns) * cellHeight, options, scale);
  });
  drawColorbar(figure, MARGIN + gridWidth + 8, top, 12, Math.min(200, Math.max(60, rows * cellHeight - GAP)), options.colormap);
  return figure;
}
