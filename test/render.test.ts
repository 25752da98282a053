/**
 * The figures: PNG encoding, the colormaps against matplotlib's values, the bitmap font, overlays
 * (the blend, sharp nearest-neighbour scaling), galleries, the confusion-matrix figure (darker = more) and
 * the training curves (round ticks covering the data).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { drawText, GLYPH_HEIGHT, GLYPH_WIDTH, GLYPHS, hasGlyph, textWidth } from '../src/render/bitmap-font.js';
import { jet, viridis } from '../src/render/colormap.js';
import { cellIntensity, cellShade, confusionFigure } from '../src/render/confusion-figure.js';
import { curvesFigure, niceTicks, tickLabel, valueAxisTicks, type EpochMetrics } from '../src/render/curves-figure.js';
import { classGallery, tileGallery } from '../src/render/gallery.js';
import { explanationFigure, overlayColor, overlayRaster, type ExplainedImage } from '../src/render/overlay.js';
import { decodePng, encodePng } from '../src/render/png.js';
import { BLACK, Raster, WHITE, type Rgb } from '../src/render/raster.js';

/** A 28 × 28 test card: a bright diagonal stroke, and a heatmap rising left to right. */
const CARD: ExplainedImage = {
  width: 28,
  height: 28,
  pixels: Uint8Array.from({ length: 784 }, (_, p) => (Math.abs((p % 28) - Math.floor(p / 28)) < 3 ? 255 : 0)),
  heatmap: Float32Array.from({ length: 784 }, (_, p) => (p % 28) / 27),
};

const luma = ([r, g, b]: Rgb) => 0.299 * r + 0.587 * g + 0.114 * b;

/** Where a test may leave its figures for a person to look at: XCNN_FIGURES=dir npx vitest run test/render.test.ts */
function keep(name: string, raster: Raster): void {
  const dir = process.env.XCNN_FIGURES;
  if (dir) writeFileSync(join(dir, name), encodePng(raster));
}

describe('PNG', () => {
  it('decodes what it encodes, pixel for pixel', () => {
    const raster = new Raster(5, 3);
    raster.setPixel(0, 0, [255, 0, 0]);
    raster.setPixel(4, 2, [1, 2, 3]);
    const decoded = decodePng(encodePng(raster), 'round-trip');
    expect([decoded.width, decoded.height]).toEqual([5, 3]);
    expect(Array.from(decoded.rgba)).toEqual(Array.from(raster.data));
  });
});

describe('colormaps', () => {
  it("jet passes through matplotlib's anchors: dark blue, blue, cyan-green, yellow-red, dark red", () => {
    expect(jet(0)).toEqual([0, 0, 128]); // blue 0.5 at 0
    expect(jet(0.11)[2]).toBe(255); // full blue from 0.11
    expect(jet(0.375)[1]).toBe(255); // full green from 0.375 to 0.64
    expect(jet(0.66)[0]).toBe(255); // full red from 0.66 to 0.89
    expect(jet(1)).toEqual([128, 0, 0]); // red 0.5 at 1
    // Between anchors, linear: at 0.5, red = (0.5 − 0.35)/(0.66 − 0.35) and blue = 1 − (0.5 − 0.34)/(0.65 − 0.34).
    expect(jet(0.5)).toEqual([Math.round((255 * 0.15) / 0.31), 255, Math.round(255 * (1 - 0.16 / 0.31))]);
  });

  it("viridis has matplotlib's colours at its ends, quarters and middle", () => {
    expect(viridis(0)).toEqual([0x44, 0x01, 0x54]);
    expect(viridis(64 / 255)).toEqual([0x3b, 0x52, 0x8b]);
    expect(viridis(128 / 255)).toEqual([0x21, 0x91, 0x8c]);
    expect(viridis(192 / 255)).toEqual([0x5e, 0xc9, 0x62]);
    expect(viridis(1)).toEqual([0xfd, 0xe7, 0x25]);
  });

  it('viridis gets lighter all the way, so it reads in greyscale', () => {
    for (let k = 1; k <= 100; k++) expect(luma(viridis(k / 100))).toBeGreaterThan(luma(viridis((k - 1) / 100)));
  });

  it('clamps values outside [0, 1] and NaN instead of failing', () => {
    for (const map of [jet, viridis]) {
      expect(map(-3)).toEqual(map(0));
      expect(map(7)).toEqual(map(1));
      expect(map(Number.NaN)).toEqual(map(0));
    }
  });
});

describe('bitmap font', () => {
  it('has well-formed glyphs: at most 9 rows of 5 pixels each', () => {
    for (const [character, pattern] of Object.entries(GLYPHS)) {
      const rows = pattern === '' ? [] : pattern.split('/');
      expect(rows.length, character).toBeLessThanOrEqual(GLYPH_HEIGHT);
      for (const row of rows) expect(row, character).toMatch(new RegExp(`^[.#]{${GLYPH_WIDTH}}$`));
    }
  });

  it('has every character the figures write', () => {
    const used = '0123456789→%. Grad-CAM: input overlay true predicted class Confusion matrix Loss Accuracy epoch train test (running mean over the) cross-entropy accuracy Correct predictions, of the Misclassified: true→predicted, none #>';
    for (const character of used) expect(hasGlyph(character), `'${character}'`).toBe(true);
    for (const character of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz') expect(hasGlyph(character), character).toBe(true);
  });

  it('draws a character inside its 5 × 9 cell, scaled, and advances 6 pixels a character', () => {
    const raster = new Raster(40, 40);
    drawText(raster, '8', 10, 10, BLACK, 2);
    const inked: Array<[number, number]> = [];
    for (let y = 0; y < 40; y++) for (let x = 0; x < 40; x++) if (raster.getPixel(x, y)[0] === 0) inked.push([x, y]);
    expect(inked.length).toBeGreaterThan(0);
    expect(Math.min(...inked.map(([x]) => x))).toBe(10);
    expect(Math.max(...inked.map(([x]) => x))).toBe(10 + 2 * GLYPH_WIDTH - 1);
    expect(Math.max(...inked.map(([, y]) => y))).toBeLessThan(10 + 2 * GLYPH_HEIGHT);
    expect(textWidth('4→9 87%')).toBe(7 * 6 - 1);
  });

  it("draws a character it lacks as '?'", () => {
    const [unknown, question] = [new Raster(8, 10), new Raster(8, 10)];
    drawText(unknown, '€', 0, 0, BLACK);
    drawText(question, '?', 0, 0, BLACK);
    expect(Array.from(unknown.data)).toEqual(Array.from(question.data));
  });
});

describe('overlay', () => {
  it('blends the grey digit and the colormap half and half', () => {
    expect(overlayColor(0, 0, jet)).toEqual([0, 0, 64]); // black and jet's dark blue [0,0,128]
    expect(overlayColor(255, 1, jet)).toEqual([192, 128, 128]); // white and jet's dark red [128,0,0]
    expect(overlayColor(255, 1, jet, 0)).toEqual([255, 255, 255]); // α = 0: the digit alone
  });

  it('enlarges with sharp nearest-neighbour scaling: each source pixel a uniform square', () => {
    const raster = overlayRaster(CARD, 8, jet);
    expect([raster.width, raster.height]).toEqual([224, 224]);
    for (const [sx, sy] of [[0, 0], [5, 5], [27, 3], [13, 20]]) {
      const expected = overlayColor(CARD.pixels[sy * 28 + sx], CARD.heatmap[sy * 28 + sx], jet);
      for (let dy = 0; dy < 8; dy++) for (let dx = 0; dx < 8; dx++) expect(raster.getPixel(sx * 8 + dx, sy * 8 + dy)).toEqual(expected);
    }
  });

  it('puts input | heatmap | overlay side by side with a colorbar', () => {
    const figure = explanationFigure(CARD, { colormap: jet, heatmapTitle: 'Grad-CAM: 7', caption: 'test #0: true 7, predicted 7 (99.8%)' });
    keep('explanation.png', figure);
    expect(figure.width).toBeGreaterThan(3 * 224);
    expect(figure.height).toBeGreaterThan(224);
    // Somewhere in the figure are the digit's pure white, the heatmap's jet(1) and the blend of both.
    const colours = new Set<string>();
    for (let y = 0; y < figure.height; y++) for (let x = 0; x < figure.width; x++) colours.add(figure.getPixel(x, y).join());
    for (const colour of [[255, 255, 255], jet(1), overlayColor(255, 1, jet)]) expect(colours.has(colour.join())).toBe(true);
  });
});

describe('galleries', () => {
  const tile = (caption?: string) => ({ image: CARD, caption });

  it('lays out a row per class, rows of any length (even none)', () => {
    const rows = [[tile(), tile(), tile()], [], [tile()]];
    const figure = classGallery(rows, ['0', '1', '2'], { colormap: viridis, title: 'Correct predictions' });
    keep('class-gallery.png', figure);
    const taller = classGallery([...rows, [tile()]], ['0', '1', '2', '3'], { colormap: viridis });
    expect(taller.height).toBeGreaterThan(figure.height - 30); // a fourth row, less the title
    expect(figure.width).toBeGreaterThan(3 * 84);
  });

  it('captions each tile, for the misclassified images', () => {
    const figure = tileGallery([tile('4→9 87%'), tile('3→5 >99%'), tile('7→1 51%')], 2, { colormap: jet, title: 'Misclassified' });
    keep('mistakes.png', figure);
    expect(figure.width).toBeGreaterThan(2 * 84);
    expect(() => tileGallery([], 10, { colormap: jet })).not.toThrow();
  });
});

describe('confusion-matrix figure', () => {
  const confusion = [
    [50, 2, 0],
    [0, 47, 3],
    [5, 0, 40],
  ];

  it('shades a cell darker the more images it holds', () => {
    expect(cellIntensity(0, 50)).toBe(0);
    expect(cellIntensity(50, 50)).toBe(1);
    for (let count = 1; count <= 50; count++) expect(luma(cellShade(cellIntensity(count, 50)))).toBeLessThan(luma(cellShade(cellIntensity(count - 1, 50))));
    expect(cellIntensity(0, 0)).toBe(0); // an empty matrix, no NaN
  });

  it('draws the cells in a grid with the counts, true classes down and predictions across', () => {
    const figure = confusionFigure(confusion, ['0', '1', '2']);
    keep('confusion.png', figure);
    // Sample each cell near its top-left corner, away from the count written in its middle.
    const corner = findGridCorner(figure);
    const shadeOf = (t: number, p: number) => luma(figure.getPixel(corner.x + p * 56 + 3, corner.y + t * 56 + 3));
    expect(shadeOf(0, 0)).toBeLessThan(shadeOf(0, 1)); // 50 darker than 2
    expect(shadeOf(0, 1)).toBeLessThan(shadeOf(0, 2)); // 2 darker than 0
    expect(shadeOf(2, 0)).toBeLessThan(shadeOf(1, 0)); // 5 darker than 0
  });

  it('fits ten classes and four-digit counts, and long class names', () => {
    const big = Array.from({ length: 10 }, (_, t) => Array.from({ length: 10 }, (_, p) => (t === p ? 1135 : (t * p) % 7)));
    expect(() => confusionFigure(big, ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'])).not.toThrow();
  });
});

/** The top-left pixel of the matrix: the first pixel of the black frame's inside. */
function findGridCorner(figure: Raster): { x: number; y: number } {
  for (let y = 0; y < figure.height; y++) {
    for (let x = 0; x < figure.width; x++) {
      const isFrame = (px: number, py: number) => figure.getPixel(px, py).every((v) => v === 0);
      if (isFrame(x, y) && isFrame(x + 30, y) && isFrame(x, y + 30)) return { x: x + 1, y: y + 1 };
    }
  }
  throw new Error('no frame found');
}

describe('training-curves figure', () => {
  it('picks round ticks, 1, 2 or 5 × 10^k apart, that cover the data', () => {
    for (const [low, high] of [[0.02, 0.15], [95.4, 99.3], [0, 1], [3, 3]]) {
      const { ticks, step } = niceTicks(low, high, 5);
      expect(ticks[0]).toBeLessThanOrEqual(low);
      expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(high);
      expect(String(step / 10 ** Math.floor(Math.log10(step) + 1e-9))).toMatch(/^(1|2|5)$/);
      expect(ticks.length).toBeLessThanOrEqual(12);
    }
    expect(tickLabel(0.05, 0.05)).toBe('0.05');
    expect(tickLabel(98, 1)).toBe('98');
  });

  it('pads the value axis, but never below a loss of 0 nor above an accuracy of 100 %', () => {
    // A loss falling to 0.02 from 0.55: padding 5 % would reach −0.0065, and the ticks −0.2.
    expect(valueAxisTicks([0.55, 0.02, 0.3], [0, Infinity]).ticks[0]).toBe(0);
    // An accuracy reaching 99.6 %: padding would reach 100.4 %, and the ticks 105 %.
    const accuracy = valueAxisTicks([86, 99.6], [0, 100]).ticks;
    expect(accuracy[accuracy.length - 1]).toBe(100);
    // Unbounded, the same values pad past both.
    expect(valueAxisTicks([0.55, 0.02], [-Infinity, Infinity]).ticks[0]).toBeLessThan(0);
  });

  const history = (epochs: number): EpochMetrics[] =>
    Array.from({ length: epochs }, (_, k) => ({ epoch: k + 1, trainLoss: 0.3 / (k + 1), trainAccuracy: 0.9 + 0.09 * (1 - 1 / (k + 1)), testLoss: 0.06 + 0.01 / (k + 1), testAccuracy: 0.98 + 0.005 * (1 - 1 / (k + 1)) }));

  it('draws the paper\'s 20 epochs, and a single epoch too', () => {
    const twenty = curvesFigure(history(20));
    keep('curves-20.png', twenty);
    keep('curves-1.png', curvesFigure(history(1)));
    // The train series' colour appears: the lines were drawn.
    let found = false;
    for (let y = 0; y < twenty.height && !found; y++) for (let x = 0; x < twenty.width && !found; x++) found = twenty.getPixel(x, y).join() === '31,119,180';
    expect(found).toBe(true);
  });

  it('refuses an empty history', () => {
    expect(() => curvesFigure([])).toThrow(XcnnError);
  });
});

describe('raster', () => {
  it('clips drawing at its edges', () => {
    const raster = new Raster(4, 4, WHITE);
    raster.fillRect(-2, -2, 4, 4, BLACK);
    raster.drawLine(-5, 3, 10, 3, BLACK);
    expect(raster.getPixel(1, 1)).toEqual([0, 0, 0]);
    expect(raster.getPixel(2, 2)).toEqual([255, 255, 255]);
    expect(raster.getPixel(3, 3)).toEqual([0, 0, 0]);
  });
});
