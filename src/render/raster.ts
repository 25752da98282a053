/**
 * A raster: an RGB image in memory that the figures draw on, with the few drawing operations they need
 * (filled rectangles, lines, scaled blits). Pixels are row-major RGBA bytes, [height, width, 4], alpha
 * always 255, so the buffer is what pngjs encodes.
 */
import { checkNumber, checkNumbers } from '../argument-checks.js';

export type Rgb = readonly [r: number, g: number, b: number]; // each 0–255

export const WHITE: Rgb = [255, 255, 255];
export const BLACK: Rgb = [0, 0, 0];

export class Raster {
  readonly data: Uint8Array; // [height, width, 4] RGBA

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    checkNumber('Raster', 'width', width);
    checkNumber('Raster', 'height', height);
    checkNumbers('Raster', 'background', background);
    this.data = new Uint8Array(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  /** Sets one pixel; pixels outside the raster are ignored, so shapes may be clipped freely. */
  setPixel(x: number, y: number, [r, g, b]: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const k = (y * this.width + x) * 4;
    this.data[k] = r;
    this.data[k + 1] = g;
    this.data[k + 2] = b;
    this.data[k + 3] = 255;
  }

  getPixel(x: number, y: number): Rgb {
    const k = (y * this.width + x) * 4;
    return [this.data[k], this.data[k + 1], this.data[k + 2]];
  }

  fillRect(x: number, y: number, width: number, height: number, color: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + width));
    const y1 = Math.min(this.height, Math.round(y + height));
    for (let py = y0; py < y1; py++) for (let px = x0; px < x1; px++) this.setPixel(px, py, color);
  }

  /** A rectangle's outline, `thickness` pixels wide, inside the rectangle. */
  strokeRect(x: number, y: number, width: number, height: number, color: Rgb, thickness = 1): void {
    this.fillRect(x, y, width, thickness, color);
    this.fillRect(x, y + height - thickness, width, thickness, color);
    this.fillRect(x, y, thickness, height, color);
    this.fillRect(x + width - thickness, y, thickness, height, color);
  }

  /** A straight line from (x0, y0) to (x1, y1) (Bresenham), drawn with a square pen `thickness` wide. */
  drawLine(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1): void {
    let x = Math.round(x0);
    let y = Math.round(y0);
    const xEnd = Math.round(x1);
    const yEnd = Math.round(y1);
    const dx = Math.abs(xEnd - x);
    const dy = -Math.abs(yEnd - y);
    const sx = x < xEnd ? 1 : -1;
    const sy = y < yEnd ? 1 : -1;
    const half = Math.floor((thickness - 1) / 2);
    let error = dx + dy;
    for (;;) {
      this.fillRect(x - half, y - half, thickness, thickness, color);
      if (x === xEnd && y === yEnd) return;
      const twice = 2 * error;
      if (twice >= dy) {
        error += dy;
        x += sx;
      }
      if (twice <= dx) {
        error += dx;
        y += sy;
      }
    }
  }

  /**
   * Draws an image of `width` × `height` pixels whose colour at (x, y) is `colorAt(x, y)`, enlarged
   * `scale` times with nearest-neighbour scaling (every source pixel a sharp scale × scale square),
   * with its top-left corner at (left, top).
   */
  drawScaled(left: number, top: number, width: number, height: number, scale: number, colorAt: (x: number, y: number) => Rgb): void {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) this.fillRect(left + x * scale, top + y * scale, scale, scale, colorAt(x, y));
    }
  }

  /** Copies another raster in, its top-left corner at (left, top). */
  drawRaster(source: Raster, left: number, top: number): void {
    for (let y = 0; y < source.height; y++) {
      for (let x = 0; x < source.width; x++) this.setPixel(left + x, top + y, source.getPixel(x, y));
    }
  }
}

/** c0 + (c1 − c0)·t per channel, rounded. */
export function mixRgb(c0: Rgb, c1: Rgb, t: number): Rgb {
  return [
    Math.round(c0[0] + (c1[0] - c0[0]) * t),
    Math.round(c0[1] + (c1[1] - c0[1]) * t),
    Math.round(c0[2] + (c1[2] - c0[2]) * t),
  ];
}

/** A grey level 0–255 as a colour. */
export function grey(level: number): Rgb {
  const v = Math.round(Math.min(255, Math.max(0, level)));
  return [v, v, v];
}
