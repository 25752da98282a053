/**
 * A person's PNG of a digit → an MNIST-style 28 × 28 image: grey, ink bright on black, the digit's box
 * scaled to 20 pixels on its longer side with its aspect ratio kept, centred by its centre of mass; and
 * clear errors for files that are not PNGs, PNGs too large to decode, and blank pictures.
 */
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { loadDataset } from '../src/data/dataset-files.js';
import { XcnnError } from '../src/errors.js';
import { centreOfMass, digitFromPng, inkBoundingBox, type GreyImage } from '../src/explain/digit-image.js';
import { PNG_LIMITS } from '../src/render/png.js';

type Rgba = [number, number, number, number];

function pngOf(width: number, height: number, colorAt: (x: number, y: number) => Rgba): Uint8Array {
  const png = new PNG({ width, height });
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) png.data.set(colorAt(x, y), 4 * (y * width + x));
  return PNG.sync.write(png);
}

const inside = (x: number, y: number, [x0, y0, x1, y1]: number[]) => x >= x0 && x < x1 && y >= y0 && y < y1;
const PAPER: Rgba = [250, 248, 240, 255];
const PENCIL: Rgba = [20, 20, 30, 255];

/** A bar of ink, x in [x0, x1), y in [y0, y1), on paper. */
function barOnPaper(width: number, height: number, box: number[], ink: Rgba = PENCIL, paper: Rgba = PAPER): Uint8Array {
  return pngOf(width, height, (x, y) => (inside(x, y, box) ? ink : paper));
}

function asGrey(pixels: Uint8Array): GreyImage {
  return { width: 28, height: 28, pixels: Float32Array.from(pixels) };
}

describe('digitFromPng', () => {
  it('inverts dark ink on light paper into MNIST\'s bright ink on black', () => {
    const digit = digitFromPng(barOnPaper(60, 90, [25, 10, 35, 80]), 'bar.png');
    expect(digit.inverted).toBe(true);
    expect(Math.max(...digit.pixels)).toBe(255);
    expect(digit.pixels[0]).toBe(0); // a corner is background
  });

  it('leaves light ink on a dark background as it is', () => {
    const digit = digitFromPng(barOnPaper(60, 90, [25, 10, 35, 80], [240, 240, 240, 255], [10, 10, 10, 255]), 'chalk.png');
    expect(digit.inverted).toBe(false);
    expect(Math.max(...digit.pixels)).toBe(255);
  });

  it('scales the digit so its longer side is 20 pixels, keeping its aspect ratio', () => {
    // An ink box 40 wide and 80 tall → 10 × 20.
    const digit = digitFromPng(barOnPaper(100, 120, [30, 20, 70, 100]), 'box.png');
    expect(digit.crop).toEqual({ x: 30, y: 20, width: 40, height: 80 });
    const box = inkBoundingBox(asGrey(digit.pixels), 0);
    expect([box.width, box.height]).toEqual([10, 20]);
  });

  it('enlarges a small digit to the 20-pixel box too', () => {
    const digit = digitFromPng(barOnPaper(16, 16, [6, 3, 10, 13]), 'tiny.png'); // 4 × 10 of ink
    const box = inkBoundingBox(asGrey(digit.pixels), 0);
    expect(box.height).toBe(20);
    expect(box.width).toBe(8);
  });

  it('centres the digit by its centre of mass at (14, 14), where MNIST\'s digits have theirs', () => {
    // An L shape: its mass sits low and left of its box's centre, so centring by mass differs from centring the box.
    const picture = pngOf(80, 80, (x, y) => (inside(x, y, [10, 10, 20, 70]) || inside(x, y, [10, 60, 50, 70]) ? PENCIL : PAPER));
    const digit = digitFromPng(picture, 'ell.png');
    const mass = centreOfMass(asGrey(digit.pixels));
    expect(Math.abs(mass.x - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(mass.y - 14)).toBeLessThanOrEqual(0.5);
  });

  it('reads a transparent background as white paper', () => {
    const transparent = digitFromPng(pngOf(50, 50, (x, y) => (inside(x, y, [20, 5, 30, 45]) ? [0, 0, 0, 255] : [0, 0, 0, 0])), 'transparent.png');
    const white = digitFromPng(pngOf(50, 50, (x, y) => (inside(x, y, [20, 5, 30, 45]) ? [0, 0, 0, 255] : [255, 255, 255, 255])), 'white.png');
    expect(transparent.inverted).toBe(true);
    expect(Array.from(transparent.pixels)).toEqual(Array.from(white.pixels));
  });

  it('recovers an MNIST test digit from an enlarged, dark-on-light copy of it', () => {
    const test = loadDataset().test;
    const correlations: string[] = [];
    for (const index of [0, 1, 2, 3]) {
      const original = test.images.subarray(index * 784, (index + 1) * 784);
      // The digit as someone might photograph it: 4× larger, dark ink on white, with a wide margin.
      const scan = pngOf(200, 200, (x, y) => {
        const [sx, sy] = [Math.floor((x - 44) / 4), Math.floor((y - 44) / 4)];
        const v = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? original[sy * 28 + sx] : 0;
        return [255 - v, 255 - v, 255 - v, 255];
      });
      const recovered = digitFromPng(scan, `mnist-${index}.png`).pixels;
      const r = correlation(recovered, original);
      correlations.push(r.toFixed(3));
      expect(r, `test image ${index}`).toBeGreaterThan(0.85);
    }
    console.log(`MNIST test images 0–3 recovered from 4× dark-on-light copies: correlation with the originals ${correlations.join(', ')}`);
  });
});

function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const mean = (v: ArrayLike<number>) => Array.from(v).reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(a), mean(b)];
  let [ab, aa, bb] = [0, 0, 0];
  for (let k = 0; k < a.length; k++) {
    ab += (a[k] - ma) * (b[k] - mb);
    aa += (a[k] - ma) ** 2;
    bb += (b[k] - mb) ** 2;
  }
  return ab / Math.sqrt(aa * bb);
}

/** A PNG signature and an IHDR chunk declaring width × height, then nothing decodable. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const bytes = new Uint8Array(33);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(bytes.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  bytes.set([8, 6, 0, 0, 0], 24); // 8-bit RGBA; the CRC and the image data are missing
  return bytes;
}

describe('digitFromPng on bad input', () => {
  const expectError = (make: () => unknown, message: RegExp) => {
    expect(make).toThrow(XcnnError);
    expect(make).toThrow(message);
  };

  it('refuses a file that is not a PNG, naming it', () => {
    expectError(() => digitFromPng(new TextEncoder().encode('GIF89a, not a png at all'), 'photo.gif'), /^photo\.gif: not a PNG file/);
    expectError(() => digitFromPng(new Uint8Array(0), 'empty.png'), /empty\.png: not a PNG file/);
  });

  it('refuses a PNG that is cut short or corrupt, naming it', () => {
    const whole = barOnPaper(30, 30, [10, 5, 20, 25]);
    expectError(() => digitFromPng(whole.subarray(0, whole.length - 40), 'cut.png'), /cut\.png: not a readable PNG/);
  });

  it('refuses an absurd declared size from the header, before decoding anything', () => {
    const started = performance.now();
    expectError(() => digitFromPng(pngHeaderOnly(100_000, 100_000), 'bomb.png'), /bomb\.png: the PNG declares 100000×100000 pixels, more than xcnn reads \(at most 4096 a side/);
    expectError(() => digitFromPng(pngHeaderOnly(5000, 10), 'wide.png'), /wide\.png: the PNG declares 5000×10 pixels/);
    expectError(() => digitFromPng(pngHeaderOnly(0, 10), 'none.png'), /none\.png: the PNG declares an empty image/);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it('lets through the largest size it accepts (and then finds this one unreadable)', () => {
    expect(PNG_LIMITS.maxSide ** 2).toBe(PNG_LIMITS.maxPixels); // 4096 × 4096 = 16 M pixels
    expectError(() => digitFromPng(pngHeaderOnly(4096, 4096), 'edge.png'), /edge\.png: not a readable PNG/);
  });

  it('refuses a blank picture, plain or nearly so', () => {
    expectError(() => digitFromPng(pngOf(40, 40, () => PAPER), 'blank.png'), /blank\.png: the image is blank/);
    expectError(() => digitFromPng(pngOf(40, 40, (x, y) => ((x + y) % 2 ? [250, 250, 250, 255] : [240, 240, 240, 255])), 'faint.png'), /faint\.png: the image is blank/);
  });
});

describe('mnistDigit (the browser-safe steps, exported by the core)', () => {
  it('makes from a canvas\'s RGBA pixels the same digit as digitFromPng makes from the PNG of them', async () => {
    const { greyFromRgba, mnistDigit } = await import('../src/index.js');
    const colorAt = (x: number, y: number): Rgba => (inside(x, y, [40, 30, 60, 250]) || inside(x, y, [40, 30, 200, 50]) ? PENCIL : PAPER); // a 7-ish corner
    const rgba = new Uint8ClampedArray(280 * 280 * 4);
    for (let y = 0; y < 280; y++) for (let x = 0; x < 280; x++) rgba.set(colorAt(x, y), 4 * (y * 280 + x));
    const fromCanvas = mnistDigit(greyFromRgba(rgba, 280, 280), 'the drawing');
    const fromPng = digitFromPng(pngOf(280, 280, colorAt), 'drawing.png');
    expect(fromCanvas.pixels).toEqual(fromPng.pixels);
    expect(fromCanvas.crop).toEqual({ x: 40, y: 30, width: 160, height: 220 });
  });
});
