/**
 * Pictures as a library: every figure `xcnn explain`, `xcnn report` and `xcnn faithfulness` draw, as a
 * function that returns the PNG file's bytes. Browser-safe (no Node module, no canvas): the figures are
 * drawn on a Raster (raster.ts) and written by png-encoder.ts, so the same calls work in Node, in a web
 * page and in a worker. Write the bytes to a file, or show them: `URL.createObjectURL(new Blob([png],
 * { type: 'image/png' }))`.
 *
 * Maps: a heatmap is [H, W] row-major in [0, 1] (an explanation's `heatmaps` row; values outside are
 * clamped). A *signed* map (`signed: true`: integrated gradients', gradient × input's or occlusion's raw
 * `maps` row) is drawn zero-centred, v / (2·max|v|) + ½, in the diverging colormap (blue −, grey 0,
 * red +), as the command line draws signed methods.
 *
 * Images: [C, H, W] row-major levels 0–255, ink high (MNIST's white on black), drawn in grey for one
 * channel and in colour for three.
 */
import type { ClassMeans } from '../explain/class-means.js';
import { zeroCentred } from '../explain/explanation.js';
import { XcnnError } from '../errors.js';
import { classMeansFigure } from './class-means-figure.js';
import { colormap as colormapNamed, divergingColormap, type Colormap, type ColormapName, type DivergingColormapName } from './colormap.js';
import { confusionCellsFigure, type ConfusionCellPanel } from './confusion-cells-figure.js';
import { confusionFigure } from './confusion-figure.js';
import { curvesFigure, type EpochMetrics } from './curves-figure.js';
import { classGallery, tileGallery, type GalleryTile } from './gallery.js';
import { methodsFigure, type MethodsFigureRow } from './methods-figure.js';
import { explanationFigure, heatmapRaster, overlayRaster, OVERLAY_ALPHA, type ExplainedImage } from './overlay.js';
import { encodeRgbaPng } from './png-encoder.js';
import type { Raster } from './raster.js';
import { checkFields, checkList, checkNumbers, checkObject, checkPictureSize } from '../argument-checks.js';

/** A colormap by name ('jet', 'viridis', 'coolwarm') or as a function of a value in [0, 1]. */
export type ColormapChoice = ColormapName | DivergingColormapName | Colormap;

export interface MapPictureOptions {
  width: number; // W, the map's (and the image's) width
  height: number; // H
  colormap?: ColormapChoice; // default 'jet'; 'coolwarm' for a signed map
  signed?: boolean; // the map holds signed values: drawn zero-centred in the diverging colormap
  scale?: number; // screen pixels a map pixel, nearest-neighbour (default 1)
}

export interface OverlayPictureOptions extends MapPictureOptions {
  channels?: number; // C of the image (default 1)
  alpha?: number; // the heatmap's weight in the blend, (1 − α)·image + α·colour (default 0.5)
}

/** A raster as PNG bytes (RGB: figures are opaque). */
export function rasterToPng(raster: Raster): Uint8Array {
  checkFields('rasterToPng', 'raster', raster, 'a Raster', { width: 'number', height: 'number', data: 'numbers' });
  return encodeRgbaPng(raster.data, raster.width, raster.height);
}

function resolveColormap(choice: ColormapChoice | undefined, signed: boolean): Colormap {
  if (typeof choice === 'function') return choice;
  if (choice === undefined) return signed ? divergingColormap : colormapNamed('jet');
  return colormapNamed(choice);
}

function checkScale(scale: number | undefined, what: string): number {
  const value = scale ?? 1;
  if (!Number.isInteger(value) || value < 1 || value > 64) throw new XcnnError(`${what}: scale ${scale} is not a whole number from 1 to 64`, { code: 'ERR_BAD_ARGUMENT' });
  return value;
}

function checkLength(values: ArrayLike<number>, expected: number, what: string, shape: string): void {
  if (!Number.isInteger(expected) || expected < 1) throw new XcnnError(`${what}: the size ${shape} is not a positive whole number of pixels each way`, { code: 'ERR_BAD_ARGUMENT' });
  if (values.length !== expected) throw new XcnnError(`${what}: ${values.length} values for a ${shape} map; give ${expected} (row-major)`, { code: 'ERR_BAD_ARGUMENT' });
}

/** The map as drawn: zero-centred when signed, as given otherwise. */
function drawnMap(map: ArrayLike<number>, signed: boolean | undefined): ArrayLike<number> {
  return signed ? zeroCentred(map) : map;
}

/** A heatmap [H, W] in a colormap, `scale` screen pixels a map pixel. */
export function heatmapToPng(map: ArrayLike<number>, options: MapPictureOptions): Uint8Array {
  checkNumbers('heatmapToPng', 'map', map);
  checkPictureSize('heatmapToPng', 'options', options);
  const { width, height } = options;
  checkLength(map, width * height, 'heatmapToPng', `${height}×${width}`);
  const image: ExplainedImage = { width, height, pixels: [], heatmap: drawnMap(map, options.signed) };
  return rasterToPng(heatmapRaster(image, checkScale(options.scale, 'heatmapToPng'), resolveColormap(options.colormap, options.signed === true)));
}

/** A heatmap [H, W] blended over its image [C, H, W]: (1 − α)·image + α·colormap(heat), as the command line's overlays. */
export function overlayToPng(image: ArrayLike<number>, map: ArrayLike<number>, options: OverlayPictureOptions): Uint8Array {
  checkNumbers('overlayToPng', 'image', image);
  checkNumbers('overlayToPng', 'map', map);
  checkPictureSize('overlayToPng', 'options', options);
  const { width, height } = options;
  const channels = options.channels ?? 1;
  checkLength(map, width * height, 'overlayToPng', `${height}×${width}`);
  if (image.length !== channels * width * height) {
    throw new XcnnError(`overlayToPng: ${image.length} image values for ${channels}×${height}×${width}; give C·H·W = ${channels * width * height} levels 0–255`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const explained: ExplainedImage = { width, height, channels, pixels: image, heatmap: drawnMap(map, options.signed) };
  const colormap = resolveColormap(options.colormap, options.signed === true);
  return rasterToPng(overlayRaster(explained, checkScale(options.scale, 'overlayToPng'), colormap, options.alpha ?? OVERLAY_ALPHA));
}

export interface ExplanationPictureOptions extends OverlayPictureOptions {
  method?: string; // the method's title, above the heatmap and along the colorbar (default 'Grad-CAM')
  caption?: string; // a line under the panels, e.g. 'true 7, predicted 7 (99.8%)'
}

/** `xcnn explain`'s figure: input | heatmap | overlay, with a colorbar and a caption (scale default 8 up to 32 pixels a side). */
export function explanationToPng(image: ArrayLike<number>, map: ArrayLike<number>, options: ExplanationPictureOptions): Uint8Array {
  checkNumbers('explanationToPng', 'image', image);
  checkNumbers('explanationToPng', 'map', map);
  checkPictureSize('explanationToPng', 'options', options);
  const { width, height } = options;
  const channels = options.channels ?? 1;
  checkLength(map, width * height, 'explanationToPng', `${height}×${width}`);
  if (image.length !== channels * width * height) {
    throw new XcnnError(`explanationToPng: ${image.length} image values for ${channels}×${height}×${width}; give C·H·W = ${channels * width * height} levels 0–255`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const method = options.method ?? 'Grad-CAM';
  const signed = options.signed === true;
  return rasterToPng(
    explanationFigure(
      { width, height, channels, pixels: image, heatmap: drawnMap(map, signed) },
      {
        colormap: resolveColormap(options.colormap, signed),
        scale: options.scale === undefined ? undefined : checkScale(options.scale, 'explanationToPng'),
        alpha: options.alpha,
        heatmapTitle: method,
        colorbarTitle: method,
        colorbarLabels: signed ? ['+', '0', '-'] : undefined,
        caption: options.caption,
      },
    ),
  );
}

/** The confusion matrix (true classes down, predicted across), each cell's count in it, shaded by log(1 + count). */
export function confusionMatrixPng(confusion: number[][], classNames: string[], options: { title?: string } = {}): Uint8Array {
  checkList('confusionMatrixPng', 'confusion', confusion, 'rows of counts');
  checkList('confusionMatrixPng', 'classNames', classNames, 'strings');
  for (const row of confusion) checkNumbers('confusionMatrixPng', 'a row of the matrix', row);
  if (confusion.length !== classNames.length || confusion.some((row) => row.length !== classNames.length)) {
    throw new XcnnError(`confusionMatrixPng: the matrix is not ${classNames.length}×${classNames.length}, one row and column per class name`, { code: 'ERR_BAD_ARGUMENT' });
  }
  return rasterToPng(confusionFigure(confusion, classNames, options.title));
}

/** Loss and accuracy per epoch, train and test (a training state's `history`, or a model's metadata `metrics.history`). */
export function trainingCurvesPng(history: EpochMetrics[]): Uint8Array {
  checkList('trainingCurvesPng', 'history', history, 'epoch records');
  return rasterToPng(curvesFigure(history));
}

export interface GalleryPictureOptions {
  colormap?: ColormapChoice; // default 'jet'
  scale?: number; // screen pixels an image pixel (default 3)
  alpha?: number;
  title?: string;
}

/** A row per class (`rows[k]` the tiles of class k, labelled `classNames[k]`): `xcnn report`'s gallery of correct predictions. */
export function classGalleryPng(rows: GalleryTile[][], classNames: string[], options: GalleryPictureOptions = {}): Uint8Array {
  checkList('classGalleryPng', 'rows', rows, 'rows of tiles, one per class');
  checkList('classGalleryPng', 'classNames', classNames, 'strings');
  for (const row of rows) checkList('classGalleryPng', 'a row', row, 'tiles');
  if (rows.length !== classNames.length) throw new XcnnError(`classGalleryPng: ${rows.length} rows for ${classNames.length} class names; give one row (maybe empty) per class`, { code: 'ERR_BAD_ARGUMENT' });
  return rasterToPng(classGallery(rows, classNames, { ...options, colormap: resolveColormap(options.colormap, false) }));
}

/** Tiles in reading order, `columns` across (default 10), each captioned: `xcnn report`'s gallery of mistakes. */
export function tileGalleryPng(tiles: GalleryTile[], options: GalleryPictureOptions & { columns?: number } = {}): Uint8Array {
  checkList('tileGalleryPng', 'tiles', tiles, 'tiles');
  const columns = options.columns ?? 10;
  if (!Number.isInteger(columns) || columns < 1) throw new XcnnError(`tileGalleryPng: columns ${columns} is not a whole number of at least 1`, { code: 'ERR_BAD_ARGUMENT' });
  return rasterToPng(tileGallery(tiles, columns, { ...options, colormap: resolveColormap(options.colormap, false) }));
}

/** Each class's mean image, mean heatmap and the two blended (explainClassMeans's `images` and `heatmaps`). */
export function classMeansPng(means: { images: ClassMeans; heatmaps: ClassMeans }, classNames: string[], options: GalleryPictureOptions & { colorbarTitle?: string } = {}): Uint8Array {
  checkObject('classMeansPng', 'means', means, 'images and heatmaps, as explainClassMeans gives them');
  checkObject('classMeansPng', 'means.images', means.images, 'a ClassMeans');
  checkObject('classMeansPng', 'means.heatmaps', means.heatmaps, 'a ClassMeans');
  checkList('classMeansPng', 'classNames', classNames, 'strings');
  return rasterToPng(classMeansFigure(means.images, means.heatmaps, classNames, { ...options, colormap: resolveColormap(options.colormap, false) }));
}

/** Why a t was read as p: a panel per confusion-matrix cell, a row per mistake (digit | map for t | map for p). */
export function confusionCellsPng(panels: ConfusionCellPanel[], options: GalleryPictureOptions & { columns?: number; colorbarTitle?: string } = {}): Uint8Array {
  checkList('confusionCellsPng', 'panels', panels, 'confusion-cell panels');
  return rasterToPng(confusionCellsFigure(panels, { ...options, colormap: resolveColormap(options.colormap, false) }));
}

/** Methods side by side on the same images (`xcnn faithfulness`'s figure): a column per method, a row per image. */
export function methodsComparisonPng(
  methods: string[],
  rows: MethodsFigureRow[],
  options: GalleryPictureOptions & { width: number; height: number; channels?: number; signed?: boolean[] },
): Uint8Array {
  checkList('methodsComparisonPng', 'methods', methods, 'method titles');
  checkList('methodsComparisonPng', 'rows', rows, 'rows, one per image');
  checkPictureSize('methodsComparisonPng', 'options', options);
  const { width, height, channels = 1 } = options;
  for (const row of rows) {
    if (row.heatmaps.length !== methods.length) throw new XcnnError(`methodsComparisonPng: a row has ${row.heatmaps.length} heatmaps for ${methods.length} methods; give one per method`, { code: 'ERR_BAD_ARGUMENT' });
    for (const map of row.heatmaps) checkLength(map, width * height, 'methodsComparisonPng', `${height}×${width}`);
  }
  const heatmaps = (row: MethodsFigureRow) => row.heatmaps.map((map, c) => drawnMap(map, options.signed?.[c]));
  return rasterToPng(
    methodsFigure(methods, rows.map((row) => ({ ...row, heatmaps: heatmaps(row) })), height, width, { ...options, colormap: resolveColormap(options.colormap, false) }, channels),
  );
}

export type { ConfusionCellPanel, ConfusionCellRow } from './confusion-cells-figure.js';
export type { EpochMetrics } from './curves-figure.js';
export type { GalleryTile } from './gallery.js';
export type { ExplainedImage } from './overlay.js';
export type { MethodsFigureRow } from './methods-figure.js';
