/**
 * What each class looks like to the network: a strip with a column per class, headed by the class's
 * name, and three rows — the class's mean image (grey, ink white), its mean heatmap (the colormap) and
 * the mean heatmap blended over the mean image — with the number of images averaged under each column
 * and a colorbar for the heatmaps' [0, 1] scale.
 *
 * The mean heatmap is drawn as it is, not rescaled: a class whose maps agree on where the evidence lies
 * gets a bright spot, one whose maps scatter gets a dim wash.
 *
 * More than 25 classes wrap into bands of 25 columns, one under the other, with smaller tiles as the
 * classes grow (gallery.ts, `perClassScale`); when a name is wider than its tile, every class is labelled
 * by its number instead. A caller leaves the figure out beyond MAX_GALLERY_CLASSES.
 */
import type { ClassMeans } from '../explain/class-means.js';
import { drawText, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import type { Colormap } from './colormap.js';
import { digitRaster, drawColorbar, heatmapRaster, overlayRaster, type ExplainedImage } from './overlay.js';
import { BLACK, Raster } from './raster.js';
import { perClassScale } from './gallery.js';

export interface ClassMeansFigureOptions {
  colormap: Colormap;
  scale?: number; // pixels a source pixel (default 3)
  title?: string;
  colorbarTitle?: string; // along the colorbar, e.g. 'mean Grad-CAM'
}

const MARGIN = 12;
const GAP = 6;
const BAND_GAP = 18;
const COLUMNS_PER_BAND = 25;
const ROW_LABELS = ['image', 'map', 'overlay'];

/** The largest font scale (2 or 1) at which every text fits `width` pixels. */
function fittingScale(texts: string[], width: number): number {
  return texts.every((text) => textWidth(text, 2) <= width) ? 2 : 1;
}

/** `images` are the mean images (0–255) and `heatmaps` the mean heatmaps ([0, 1]) of the same classes. */
export function classMeansFigure(images: ClassMeans, heatmaps: ClassMeans, classNames: string[], options: ClassMeansFigureOptions): Raster {
  const { classes, height, width } = heatmaps;
  const scale = options.scale ?? perClassScale(classes);
  const tileWidth = width * scale;
  const tileHeight = height * scale;
  const pixels = height * width;
  const given = Array.from({ length: classes }, (_, k) => classNames[k] ?? String(k));
  const names = given.every((name) => textWidth(name) <= tileWidth + GAP - 2) ? given : given.map((_, k) => String(k)); // all names, or all numbers
  const nameScale = fittingScale(names, tileWidth);
  const labelWidth = Math.max(...ROW_LABELS.map((l) => textWidth(l, 2))) + 10;
  const titleHeight = options.title ? GLYPH_HEIGHT * 2 + 10 : 0;
  const headerHeight = GLYPH_HEIGHT * nameScale + 6;
  const countHeight = GLYPH_HEIGHT + 6;
  const bandColumns = Math.max(1, Math.min(classes, COLUMNS_PER_BAND));
  const bands = Math.max(1, Math.ceil(classes / bandColumns));
  const gridLeft = MARGIN + labelWidth;
  const gridWidth = bandColumns * (tileWidth + GAP);
  const gridHeight = ROW_LABELS.length * (tileHeight + GAP);
  const bandHeight = headerHeight + gridHeight + countHeight;
  const firstGridTop = MARGIN + titleHeight + headerHeight;
  const titleWidth = options.title ? 2 * MARGIN + textWidth(options.title, 2) : 0;
  const figure = new Raster(Math.max(gridLeft + gridWidth + 70, titleWidth), MARGIN + titleHeight + bands * bandHeight + (bands - 1) * BAND_GAP + MARGIN);
  if (options.title) drawText(figure, options.title, MARGIN, MARGIN, BLACK, 2);

  for (let band = 0; band < bands; band++) {
    const gridTop = firstGridTop + band * (bandHeight + BAND_GAP);
    ROW_LABELS.forEach((label, r) => drawText(figure, label, gridLeft - 10, gridTop + r * (tileHeight + GAP) + tileHeight / 2 - 8, BLACK, 2, 'right'));
    for (let k = band * bandColumns; k < Math.min(classes, (band + 1) * bandColumns); k++) {
      const left = gridLeft + (k - band * bandColumns) * (tileWidth + GAP);
      const image: ExplainedImage = {
        width, height, channels: images.channels,
        pixels: images.means.subarray(k * images.channels * pixels, (k + 1) * images.channels * pixels),
        heatmap: heatmaps.means.subarray(k * pixels, (k + 1) * pixels),
      };
      drawText(figure, names[k], left + tileWidth / 2, gridTop - headerHeight, BLACK, nameScale, 'center');
      [digitRaster(image, scale), heatmapRaster(image, scale, options.colormap), overlayRaster(image, scale, options.colormap)].forEach((tile, r) =>
        figure.drawRaster(tile, left, gridTop + r * (tileHeight + GAP)),
      );
      drawText(figure, `n=${heatmaps.counts[k]}`, left + tileWidth / 2, gridTop + gridHeight, BLACK, 1, 'center');
    }
  }
  drawColorbar(figure, gridLeft + gridWidth + 8, firstGridTop, 12, Math.min(200, gridHeight - GAP), options.colormap, options.colorbarTitle);
  return figure;
}
