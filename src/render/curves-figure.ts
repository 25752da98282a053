/**
 * The training curves, as the paper's "Training Performance" figure: loss and accuracy per epoch, for the
 * training set (running mean over the epoch), the validation set when the run had one, and the test set
 * (both after the epoch), in two panels with axes, ticks and tick labels.
 */
import { drawText, drawTextVertical, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import { XcnnError } from '../errors.js';
import { BLACK, Raster, type Rgb } from './raster.js';

/** One epoch of metrics.json's `history` (also in a model file's metadata). */
export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  valLoss?: number; // with a validation set
  valAccuracy?: number;
}

const TRAIN_COLOR: Rgb = [31, 119, 180]; // matplotlib's first two colours
const TEST_COLOR: Rgb = [255, 127, 14];
const VALIDATION_COLOR: Rgb = [44, 160, 44]; // matplotlib's third
const GRID_COLOR: Rgb = [225, 225, 225];

/** Round tick values covering [low, high]: a step of 1, 2 or 5 × 10^k giving about `count` ticks. */
export function niceTicks(low: number, high: number, count = 5): { ticks: number[]; step: number } {
  if (!(high > low)) {
    const centre = Number.isFinite(low) ? low : 0;
    return niceTicks(centre - 0.5, centre + 0.5, count);
  }
  const rough = (high - low) / count;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let k = Math.floor(low / step + 1e-9); k * step <= high + step * 1e-9; k++) ticks.push(k * step);
  if (ticks[0] > low + step * 1e-9) ticks.unshift(ticks[0] - step);
  if (ticks[ticks.length - 1] < high - step * 1e-9) ticks.push(ticks[ticks.length - 1] + step);
  return { ticks, step };
}

/**
 * The ticks of a value axis: the values' range padded by 5 % on each side, but never beyond what the
 * quantity can take (`bounds`: a loss is never below 0, an accuracy never above 100 %).
 */
export function valueAxisTicks(values: number[], bounds: [number, number]): { ticks: number[]; step: number } {
  const low = Math.min(...values);
  const high = Math.max(...values);
  const pad = (high - low) * 0.05;
  return niceTicks(Math.max(bounds[0], low - pad), Math.min(bounds[1], high + pad), 5);
}

/** A tick label with as many decimals as the step needs: 0.05 → '0.05', 2 → '2'. */
export function tickLabel(value: number, step: number): string {
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  return value.toFixed(decimals);
}

interface Series {
  name: string;
  color: Rgb;
  points: Array<[x: number, y: number]>;
}

interface PanelSpec {
  title: string;
  yLabel: string;
  series: Series[];
  ySuffix?: string; // '%' on accuracy ticks
  yBounds: [number, number]; // the values the quantity can take (the axis never pads beyond them)
}

const PLOT_WIDTH = 400;
const PLOT_HEIGHT = 260;

/** One panel: the plot area at (left, top), axes and ticks around it. */
function drawPanel(figure: Raster, left: number, top: number, spec: PanelSpec, epochs: number[]): void {
  const values = spec.series.flatMap((s) => s.points.map(([, y]) => y)).filter(Number.isFinite);
  const yTicks = valueAxisTicks(values, spec.yBounds);
  const yMin = yTicks.ticks[0];
  const yMax = yTicks.ticks[yTicks.ticks.length - 1];
  const lastEpoch = Math.max(...epochs);
  const xTicks = lastEpoch <= 10 ? { ticks: epochs, step: 1 } : niceTicks(0, lastEpoch, 5);
  const xMin = lastEpoch <= 10 ? Math.min(...epochs) - 0.5 : 0;
  const xMax = lastEpoch <= 10 ? lastEpoch + 0.5 : xTicks.ticks[xTicks.ticks.length - 1];
  const px = (x: number) => left + ((x - xMin) / (xMax - xMin)) * PLOT_WIDTH;
  const py = (y: number) => top + PLOT_HEIGHT - ((y - yMin) / (yMax - yMin)) * PLOT_HEIGHT;

  for (const y of yTicks.ticks) {
    const row = Math.round(py(y));
    figure.fillRect(left, row, PLOT_WIDTH, 1, GRID_COLOR);
    figure.fillRect(left - 5, row, 5, 1, BLACK);
    drawText(figure, tickLabel(y, yTicks.step) + (spec.ySuffix ?? ''), left - 9, row - 3, BLACK, 1, 'right');
  }
  for (const x of xTicks.ticks) {
    if (x < xMin || x > xMax) continue;
    const column = Math.round(px(x));
    figure.fillRect(column, top + PLOT_HEIGHT, 1, 5, BLACK);
    drawText(figure, tickLabel(x, xTicks.step), column, top + PLOT_HEIGHT + 9, BLACK, 1, 'center');
  }
  figure.strokeRect(left, top, PLOT_WIDTH + 1, PLOT_HEIGHT + 1, BLACK);

  for (const series of spec.series) {
    const points = series.points.filter(([, y]) => Number.isFinite(y));
    for (let k = 1; k < points.length; k++) {
      figure.drawLine(px(points[k - 1][0]), py(points[k - 1][1]), px(points[k][0]), py(points[k][1]), series.color, 2);
    }
    for (const [x, y] of points) figure.fillRect(Math.round(px(x)) - 3, Math.round(py(y)) - 3, 7, 7, series.color);
  }

  drawText(figure, spec.title, left + PLOT_WIDTH / 2, top - 2 * GLYPH_HEIGHT - 8, BLACK, 2, 'center');
  drawText(figure, 'epoch', left + PLOT_WIDTH / 2, top + PLOT_HEIGHT + 24, BLACK, 2, 'center');
  drawTextVertical(figure, spec.yLabel, left - 70, top + PLOT_HEIGHT / 2, BLACK, 2);

}

/** The legend: a swatch and a name per series, in one line centred on x. */
function drawLegend(figure: Raster, x: number, y: number, series: Array<{ name: string; color: Rgb }>): void {
  const entryWidth = (s: { name: string }) => 30 + textWidth(s.name, 2) + 24;
  let left = Math.round(x - series.reduce((sum, s) => sum + entryWidth(s), 0) / 2);
  for (const s of series) {
    figure.drawLine(left, y + 8, left + 22, y + 8, s.color, 3);
    figure.fillRect(left + 8, y + 5, 7, 7, s.color);
    drawText(figure, s.name, left + 30, y + 1, BLACK, 2);
    left += entryWidth(s);
  }
}

/** Loss and accuracy per epoch, train, validation (when every epoch has its figures) and test, as two side-by-side panels. */
export function curvesFigure(history: EpochMetrics[]): Raster {
  if (history.length === 0) throw new XcnnError('training curves: the history has no epochs to draw', { code: 'ERR_BAD_ARGUMENT' });
  const epochs = history.map((h) => h.epoch);
  const series = (name: string, color: Rgb, pick: (h: EpochMetrics) => number): Series => ({ name, color, points: history.map((h) => [h.epoch, pick(h)]) });
  const validated = history.every((h) => typeof h.valLoss === 'number' && typeof h.valAccuracy === 'number');
  const val = (pick: (h: EpochMetrics) => number) => (validated ? [series('validation', VALIDATION_COLOR, pick)] : []);
  const panelLeft = 100;
  const panelTop = 48;
  const panelGap = 110;
  const figure = new Raster(panelLeft + 2 * PLOT_WIDTH + panelGap + 24, panelTop + PLOT_HEIGHT + 96);
  drawPanel(figure, panelLeft, panelTop, {
    title: 'Loss',
    yLabel: 'cross-entropy',
    series: [series('train', TRAIN_COLOR, (h) => h.trainLoss), ...val((h) => h.valLoss!), series('test', TEST_COLOR, (h) => h.testLoss)],
    yBounds: [0, Infinity],
  }, epochs);
  drawPanel(figure, panelLeft + PLOT_WIDTH + panelGap, panelTop, {
    title: 'Accuracy',
    yLabel: 'accuracy',
    ySuffix: '%',
    series: [series('train', TRAIN_COLOR, (h) => 100 * h.trainAccuracy), ...val((h) => 100 * h.valAccuracy!), series('test', TEST_COLOR, (h) => 100 * h.testAccuracy)],
    yBounds: [0, 100],
  }, epochs);
  drawLegend(figure, figure.width / 2, panelTop + PLOT_HEIGHT + 60, [
    { name: validated ? 'train (running mean)' : 'train (running mean over the epoch)', color: TRAIN_COLOR },
    ...(validated ? [{ name: 'validation', color: VALIDATION_COLOR }] : []),
    { name: 'test (after the epoch)', color: TEST_COLOR },
  ]);
  return figure;
}
