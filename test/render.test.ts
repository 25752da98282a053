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
import { cellIntensity, cellShade, confusionCellSize, confusionFigure, labelStep, MAX_CONFUSION_FIGURE_CLASSES } from '../src/render/confusion-figure.js';
import { curvesFigure, niceTicks, tickLabel, valueAxisTicks, type EpochMetrics } from '../src/render/curves-figure.js';
import { classGallery, perClassScale, tileGallery } from '../src/render/gallery.js';
import { classMeansFigure } from '../src/render/class-means-figure.js';
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

  it('marks a tile whose map is flat in its top-left corner, and only such a tile', () => {
    const figure = tileGallery([{ image: CARD, flat: true }, { image: CARD }], 2, { colormap: jet });
    keep('flat-tiles.png', figure);
    // Each tile's first row: find the two tiles by their overlay colours, then look for the black mark.
    const blackAt = (x0: number, y0: number) => {
      let black = 0;
      for (let y = y0; y < y0 + GLYPH_HEIGHT + 2; y++) for (let x = x0; x < x0 + textWidth('flat') + 4; x++) if (figure.getPixel(x, y).join() === '0,0,0') black++;
      return black;
    };
    const tops: Array<[number, number]> = [];
    for (let y = 0; y < figure.height && tops.length < 2; y++) {
      for (let x = 0; x < figure.width - 1 && tops.length < 2; x++) {
        const starts = (px: number, py: number) => figure.getPixel(px, py).join() !== '255,255,255' && (px === 0 || figure.getPixel(px - 1, py).join() === '255,255,255') && (py === 0 || figure.getPixel(px, py - 1).join() === '255,255,255');
        if (starts(x, y) && figure.getPixel(x + 40, y).join() !== '255,255,255' && tops.every(([tx]) => Math.abs(tx - x) > 84)) tops.push([x, y]);
      }
    }
    expect(tops).toHaveLength(2);
    expect(blackAt(...tops[0])).toBeGreaterThan(50);
    expect(blackAt(...tops[1])).toBe(0);
  });

  it('shrinks its tiles as the classes grow: 3 screen pixels a pixel up to 20 classes, 2 up to 50, then 1', () => {
    expect([10, 20, 21, 47, 50, 51, 100].map(perClassScale)).toEqual([3, 3, 2, 2, 2, 1, 1]);
    const rows = (classes: number) => Array.from({ length: classes }, () => [tile()]);
    const labels = (classes: number) => Array.from({ length: classes }, (_, k) => String(k));
    // A row is the tile, a caption line and a gap: 28·scale + 26 + 6 pixels.
    const rowHeight = (classes: number) => (classGallery(rows(classes + 1), labels(classes + 1), { colormap: jet }).height - classGallery(rows(classes), labels(classes), { colormap: jet }).height);
    expect(rowHeight(10)).toBe(28 * 3 + 26 + 6);
    expect(rowHeight(40)).toBe(28 * 2 + 26 + 6);
    expect(rowHeight(80)).toBe(28 * 1 + 26 + 6);
  });

  it('wraps the class means into bands of 25 columns beyond 25 classes', () => {
    const means = (classes: number) => ({ classes, channels: 1, height: 4, width: 4, counts: new Int32Array(classes).fill(1), means: new Float32Array(classes * 16) });
    const names = (classes: number) => Array.from({ length: classes }, (_, k) => String(k));
    const figure = (classes: number) => classMeansFigure(means(classes), means(classes), names(classes), { colormap: jet, scale: 2 });
    const [twentyFive, twentySix, fifty, fiftyOne] = [figure(25), figure(26), figure(50), figure(51)];
    expect(twentySix.width).toBe(twentyFive.width);
    expect(fifty.height).toBe(twentySix.height);
    // A band: the names (9 + 6), three rows of tiles and gaps (3 · (8 + 6)), the counts (9 + 6), and 18 between bands.
    expect(twentySix.height - twentyFive.height).toBe(15 + 3 * 14 + 15 + 18);
    expect(fiftyOne.height - fifty.height).toBe(15 + 3 * 14 + 15 + 18);
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

  it('keeps 56-pixel cells up to 17 classes, then shrinks them to keep the grid near 1,000 pixels, down to 2 pixels', () => {
    expect([2, 10, 17, 18, 47, 100, 350, 500].map(confusionCellSize)).toEqual([56, 56, 56, 55, 21, 10, 2, 2]);
    expect(MAX_CONFUSION_FIGURE_CLASSES).toBe(500);
    expect(() => confusionFigure(Array.from({ length: 501 }, () => new Array(501).fill(0)), Array.from({ length: 501 }, String))).toThrow(/501 classes, more than the 500/);
  });

  it('thins its labels to every 1st, 2nd, 5th, 10th, … class so they do not overlap', () => {
    // Labels 9 pixels high (18 at scale 2) need their step times the cell to be at least 2 more.
    expect(labelStep(56, 18)).toBe(1);
    expect(labelStep(10, 9)).toBe(2);
    expect(labelStep(5, 9)).toBe(5);
    expect(labelStep(2, 9)).toBe(10);
    expect(labelStep(1, 9)).toBe(20);
  });

  it('draws 350 classes as shades without counts, a 2-pixel cell each', () => {
    const classes = 350;
    const matrix = Array.from({ length: classes }, (_, t) => Array.from({ length: classes }, (_, p) => (t === p ? 9 : p === 0 ? 1 : 0)));
    const figure = confusionFigure(matrix, Array.from({ length: classes }, (_, k) => String(k)));
    keep('confusion-350.png', figure);
    // The grid's frame: the first row with 702 black pixels, and its left edge the column black 701 pixels down; the cells start inside it.
    const isBlack = (x: number, y: number) => figure.getPixel(x, y).join() === '0,0,0';
    const frameTop = Array.from({ length: figure.height }, (_, y) => y).find((y) => Array.from({ length: figure.width }, (_, x) => x).filter((x) => isBlack(x, y)).length >= 702)!;
    const frameLeft = Array.from({ length: figure.width }, (_, x) => x).find((x) => isBlack(x, frameTop) && isBlack(x + 701, frameTop) && isBlack(x, frameTop + 701))!;
    const corner = { x: frameLeft + 1, y: frameTop + 1 };
    const shade = (t: number, p: number) => figure.getPixel(corner.x + 2 * p, corner.y + 2 * t).join();
    expect(shade(200, 200)).toBe(cellShade(1).join()); // the diagonal, the largest count
    expect(shade(200, 0)).toBe(cellShade(cellIntensity(1, 9)).join());
    expect(shade(200, 100)).toBe(cellShade(0).join());
    expect(figure.width).toBeLessThan(1000);
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

  it('draws the validation series (green) when every epoch has its figures, and not otherwise', () => {
    const hasGreen = (raster: ReturnType<typeof curvesFigure>) => {
      for (let y = 0; y < raster.height; y++) for (let x = 0; x < raster.width; x++) if (raster.getPixel(x, y).join() === '44,160,44') return true;
      return false;
    };
    const validated = history(5).map((h, k) => ({ ...h, valLoss: 0.1 + 0.01 * k, valAccuracy: 0.97 - 0.001 * k }));
    keep('curves-validation.png', curvesFigure(validated));
    expect(hasGreen(curvesFigure(validated))).toBe(true);
    expect(hasGreen(curvesFigure(history(5)))).toBe(false);
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
