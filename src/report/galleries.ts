/**
 * What the report's galleries show, shared by `xcnn report` and the library's modelReport: which test
 * images each gallery picks (the first right ones per class, the most confident mistakes), their tiles and
 * captions, and the confusion cells' panels.
 */
import { imageSize, type ImageSet } from '../data/dataset.js';
import type { Predictions } from '../eval/predict.js';
import type { ExplainedCell } from '../explain/confusion-cells.js';
import { isFlatMap } from '../explain/explanation.js';
import { gradCamImage, type GradCam } from '../explain/grad-cam.js';
import type { ConfusionCellPanel } from '../render/confusion-cells-figure.js';
import type { GalleryTile } from '../render/gallery.js';

/** For each class, the first `perClass` test images of that class that the model got right. */
export function correctByClass(predictions: Predictions, classes: number, perClass: number): number[][] {
  const rows: number[][] = Array.from({ length: classes }, () => []);
  for (let n = 0; n < predictions.labels.length; n++) {
    const label = predictions.labels[n];
    if (predictions.predicted[n] === label && rows[label].length < perClass) rows[label].push(n);
  }
  return rows;
}

/** The misclassified images, most confident (highest predicted-class probability) first; ties by index. */
export function misclassifiedByConfidence(predictions: Predictions, classes: number): number[] {
  const wrong: number[] = [];
  for (let n = 0; n < predictions.labels.length; n++) if (predictions.predicted[n] !== predictions.labels[n]) wrong.push(n);
  const confidence = (n: number) => predictions.probabilities[n * classes + predictions.predicted[n]];
  return wrong.sort((a, b) => confidence(b) - confidence(a) || a - b);
}

/** A class's label in a caption: its name when short, else its index (long names would crowd the tiles). */
export function shortName(classNames: string[], k: number): string {
  return classNames.every((n) => n.length <= 3) ? classNames[k] : String(k);
}

/** `true→predicted p%`, e.g. `4→9 87%`; a probability short of 1 never shows as 100% (it reads `>99%`). */
export function mistakeCaption(trueName: string, predictedName: string, probability: number): string {
  return `${trueName}→${predictedName} ${percentText(probability)}`;
}

/** A probability as a whole percentage, `87%`; short of 1 it never shows as 100% (it reads `>99%`). */
export function percentText(probability: number): string {
  const percent = Math.round(100 * probability);
  return `${percent === 100 && probability < 1 ? '>99' : percent}%`;
}

/** Gallery tiles for the images of a Grad-CAM result, in its order. */
export function tiles(set: ImageSet, result: GradCam, first: number, count: number, caption?: (n: number) => string): GalleryTile[] {
  const size = imageSize(set);
  return Array.from({ length: count }, (_, k) => {
    const n = first + k;
    const image = gradCamImage(result, n);
    return {
      image: { width: set.width, height: set.height, channels: set.channels, pixels: set.images.subarray(image.index * size, (image.index + 1) * size), heatmap: image.heatmap },
      caption: caption?.(n),
      flat: isFlatMap(image.map),
    };
  });
}

/**
 * The two galleries' tiles from one Grad-CAM pass over `correct` (rows per class) then `mistakes`, in that
 * order: a row of tiles per class, and the mistakes captioned `true→predicted p%`.
 */
export function galleryTiles(set: ImageSet, result: GradCam, correct: number[][], mistakes: number[], classNames: string[]): { rows: GalleryTile[][]; mistakes: GalleryTile[] } {
  let first = 0;
  const rows = correct.map((row) => {
    const rowTiles = tiles(set, result, first, row.length);
    first += row.length;
    return rowTiles;
  });
  const mistakeTiles = tiles(set, result, first, mistakes.length, (n) => {
    const image = gradCamImage(result, n);
    return mistakeCaption(shortName(classNames, set.labels[image.index]), shortName(classNames, image.predicted), image.probabilities[image.predicted]);
  });
  return { rows, mistakes: mistakeTiles };
}

/** `true 4 → pred 9 (87%)`: a confusion-cell row's caption. */
export function cellCaption(trueName: string, predictedName: string, probability: number): string {
  return `true ${trueName} → pred ${predictedName} (${percentText(probability)})`;
}

/** A figure panel per explained cell: digit | map for t | map for p, a row per mistake. */
export function cellPanels(set: ImageSet, cells: ExplainedCell[], classNames: string[]): ConfusionCellPanel[] {
  const size = imageSize(set);
  const channels = set.channels;
  return cells.map((cell) => {
    const [t, p] = [classNames[cell.trueClass], classNames[cell.predictedClass]];
    return {
      heading: `${t} → ${p}: ${cell.count} image${cell.count === 1 ? '' : 's'}`,
      columnTitles: ['digit', `for ${t}`, `for ${p}`],
      rows: cell.mistakes.map((mistake) => {
        const image = set.images.subarray(mistake.index * size, (mistake.index + 1) * size);
        return {
          forTrue: { width: set.width, height: set.height, channels, pixels: image, heatmap: mistake.forTrue.heatmap },
          forPredicted: { width: set.width, height: set.height, channels, pixels: image, heatmap: mistake.forPredicted.heatmap },
          caption: cellCaption(t, p, mistake.confidence),
        };
      }),
    };
  });
}
