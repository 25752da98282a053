/**
 * Grad-CAM overlays: the input image with its heatmap in a colormap blended over it,
 *
 *   colour = (1 − α)·input(pixel) + α·colormap(heat),   α = 0.5 by default,
 *
 * enlarged with nearest-neighbour scaling so every input pixel stays a sharp square. The input is drawn
 * as stored: one channel in grey (MNIST's white ink, 255, on black, 0), three channels in colour (R, G, B
 * planes); any other channel count as the channels' mean in grey.
 *
 * `explanationFigure` puts one image's three views side by side — input | heatmap | overlay — with a
 * colorbar for the heatmap's scale and a caption.
 */
import { drawText, drawTextVertical, LINE_HEIGHT, textWidth } from './bitmap-font.js';
import type { Colormap } from './colormap.js';
import { BLACK, grey, mixRgb, Raster, type Rgb } from './raster.js';

export const OVERLAY_ALPHA = 0.5;

/** An image [channels, height, width] and its heatmap [height, width], row-major. */
export interface ExplainedImage {
  width: number;
  height: number;
  channels?: number; // C (absent: 1)
  pixels: ArrayLike<number>; // [C, H, W] levels 0–255, ink high
  heatmap: ArrayLike<number>; // [H, W] in [0, 1]
}

/** The colour of input pixel (x, y): grey for one channel, RGB for three, the channels' mean in grey otherwise. */
export function inputColour(image: ExplainedImage, x: number, y: number): Rgb {
  const channels = image.channels ?? 1;
  const plane = image.width * image.height;
  const k = y * image.width + x;
  if (channels === 1) return grey(image.pixels[k]);
  if (channels === 3) {
    const level = (v: number) => Math.round(Math.min(255, Math.max(0, v)));
    return [level(image.pixels[k]), level(image.pixels[plane + k]), level(image.pixels[2 * plane + k])];
  }
  let sum = 0;
  for (let c = 0; c < channels; c++) sum += image.pixels[c * plane + k];
  return grey(sum / channels);
}

/** The blend of one pixel: (1 − α)·input + α·colormap(heat); `level` is a grey level or an input colour. */
export function overlayColor(level: number | Rgb, heat: number, colormap: Colormap, alpha = OVERLAY_ALPHA): Rgb {
  return mixRgb(typeof level === 'number' ? grey(level) : level, colormap(heat), alpha);
}

export function digitRaster(image: ExplainedImage, scale: number): Raster {
  const raster = new Raster(image.width * scale, image.height * scale);
  raster.drawScaled(0, 0, image.width, image.height, scale, (x, y) => inputColour(image, x, y));
  return raster;
}

export function heatmapRaster(image: ExplainedImage, scale: number, colormap: Colormap): Raster {
  const raster = new Raster(image.width * scale, image.height * scale);
  raster.drawScaled(0, 0, image.width, image.height, scale, (x, y) => colormap(image.heatmap[y * image.width + x]));
  return raster;
}

export function overlayRaster(image: ExplainedImage, scale: number, colormap: Colormap, alpha = OVERLAY_ALPHA): Raster {
  const raster = new Raster(image.width * scale, image.height * scale);
  raster.drawScaled(0, 0, image.width, image.height, scale, (x, y) => {
    return overlayColor(inputColour(image, x, y), image.heatmap[y * image.width + x], colormap, alpha);
  });
  return raster;
}

/**
 * A vertical colorbar at (x, y), `width` × `height`, from the colormap's 1 at the top to 0 at the
 * bottom, labelled at 1, 0.5 and 0 on its right (`labels`, in that order) and titled along its side.
 */
export function drawColorbar(raster: Raster, x: number, y: number, width: number, height: number, colormap: Colormap, title = 'Grad-CAM', labels: readonly [string, string, string] = ['1', '0.5', '0']): void {
  for (let row = 0; row < height; row++) raster.fillRect(x, y + row, width, 1, colormap(1 - row / (height - 1)));
  raster.strokeRect(x - 1, y - 1, width + 2, height + 2, BLACK);
  for (const [value, label] of [[1, labels[0]], [0.5, labels[1]], [0, labels[2]]] as const) {
    const tickY = Math.round(y + (1 - value) * (height - 1));
    raster.fillRect(x + width + 1, tickY, 4, 1, BLACK);
    drawText(raster, label, x + width + 7, tickY - 3, BLACK);
  }
  drawTextVertical(raster, title, x + width + 28, y + height / 2, BLACK);
}

/** The enlargement of an input in a figure: `preferred` up to 32 pixels a side, less beyond so panels stay near 32·preferred pixels (at least 1). */
export function figureScale(width: number, height: number, preferred: number): number {
  const side = Math.max(width, height);
  return side <= 32 ? preferred : Math.max(1, Math.floor((preferred * 32) / side));
}

export interface ExplanationFigureOptions {
  colormap: Colormap;
  scale?: number; // pixels a source pixel (default: 8 up to 32 pixels a side, so 28 × 28 → 224 × 224; less for larger inputs)
  alpha?: number;
  heatmapTitle?: string; // e.g. 'Grad-CAM for 7'
  colorbarTitle?: string; // the method, along the colorbar (default 'Grad-CAM')
  colorbarLabels?: readonly [string, string, string]; // at 1, 0.5 and 0 (default '1', '0.5', '0'; signed maps: '+', '0', '-')
  caption?: string; // a line under the panels, e.g. 'true 7, predicted 7 (99.8%)'
}

/** input | heatmap | overlay, with titles, a colorbar and a caption, on white. */
export function explanationFigure(image: ExplainedImage, options: ExplanationFigureOptions): Raster {
  const scale = options.scale ?? figureScale(image.width, image.height, 8);
  const panelWidth = image.width * scale;
  const panelHeight = image.height * scale;
  const margin = 16;
  const gap = 12;
  const titleHeight = 2 * LINE_HEIGHT + 4;
  const colorbarWidth = 14;
  const panels = [
    { title: 'input', raster: digitRaster(image, scale) },
    { title: options.heatmapTitle ?? 'Grad-CAM', raster: heatmapRaster(image, scale, options.colormap) },
    { title: 'overlay', raster: overlayRaster(image, scale, options.colormap, options.alpha) },
  ];
  const width = margin + 3 * panelWidth + 2 * gap + gap + colorbarWidth + 48;
  const captionHeight = options.caption ? 2 * LINE_HEIGHT + 6 : 0;
  const figure = new Raster(Math.max(width, textWidth(options.caption ?? '', 2) + 2 * margin), margin + titleHeight + panelHeight + captionHeight + margin);
  const top = margin + titleHeight;
  panels.forEach((panel, k) => {
    const left = margin + k * (panelWidth + gap);
    drawText(figure, panel.title, left + panelWidth / 2, margin, BLACK, 2, 'center');
    figure.drawRaster(panel.raster, left, top);
  });
  drawColorbar(figure, margin + 3 * panelWidth + 3 * gap, top, colorbarWidth, panelHeight, options.colormap, options.colorbarTitle, options.colorbarLabels);
  if (options.caption) drawText(figure, options.caption, margin, top + panelHeight + 10, BLACK, 2);
  return figure;
}
