/**
 * What the network sees with --augment: a row per training image, the image as stored first, then its
 * augmentations in the first epochs (the same draws training makes: augment.ts's per-image generator), so a
 * user can check that a digit is still a digit. Channels beyond the first are shown as RGB when there are 3.
 */
import type { ImageSet } from '../data/dataset.js';
import { augmentImage, drawAugmentation, imageRandom, type Augmentation } from '../train/augment.js';
import { Raster, WHITE, type Rgb } from './raster.js';

const SCALE = 3;
const GAP = 4;

/** `rows` images of `set` (its first ones), each beside its augmentations in epochs 0 … `columns` − 2. */
export function augmentedFigure(set: ImageSet, list: readonly Augmentation[], seed: number, rows = 8, columns = 8): Raster {
  const channels = set.channels ?? 1;
  const { height, width } = set;
  const size = channels * height * width;
  const count = Math.min(rows, set.count);
  const figure = new Raster(columns * (width * SCALE + GAP) + GAP, count * (height * SCALE + GAP) + GAP);
  figure.fillRect(0, 0, figure.width, figure.height, WHITE);
  const pixels = new Float64Array(size);
  const scratch = new Float64Array(size);
  for (let row = 0; row < count; row++) {
    for (let column = 0; column < columns; column++) {
      for (let k = 0; k < size; k++) pixels[k] = set.images[row * size + k] / 255;
      if (column > 0) augmentImage(pixels, 0, channels, height, width, drawAugmentation(list, imageRandom(seed, column - 1, row), height, width), scratch);
      const colorAt = (x: number, y: number): Rgb => {
        const level = (c: number) => Math.round(255 * Math.min(1, Math.max(0, pixels[c * height * width + y * width + x])));
        return channels === 3 ? [level(0), level(1), level(2)] : [level(0), level(0), level(0)];
      };
      figure.drawScaled(GAP + column * (width * SCALE + GAP), GAP + row * (height * SCALE + GAP), width, height, SCALE, colorAt);
    }
  }
  return figure;
}
