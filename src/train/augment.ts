/**
 * Data augmentation for training (`xcnn train --augment LIST`), seeded and reproducible: each image's random
 * draws come from a generator of its own, seeded by (the run's seed, the epoch, the image's index in the
 * training set), so the same seed gives the same augmented bytes whatever the thread count, the batch an
 * image falls in, or where a run was stopped and resumed. Applied on the loaded batch [N, C, H, W] (values in
 * [0, 1], background 0) before the step; evaluation never augments.
 *
 *   shift(P)    translate by whole pixels, dx and dy uniform in [−P, P]
 *   rotate(D)   rotate about the centre by an angle uniform in [−D, D] degrees
 *   scale(F)    zoom about the centre by a factor uniform in [1 − F, 1 + F]
 *   crop(P)     torchvision's RandomCrop(size, padding=P): pad by P with 0 and crop back at a random offset,
 *               i.e. translate by whole pixels uniform in [−P, P] (drawn apart from shift's)
 *   flip        horizontal flip with probability ½ (torchvision's RandomHorizontalFlip; never for digits)
 *   erase(p)    torchvision's RandomErasing(p, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0): with
 *               probability p a rectangle of that area fraction and aspect ratio set to 0
 *
 * The geometric ones make one affine map, sampled bilinearly from the source image (0 outside it); the
 * erasing comes after. The draws are made in this order for every image, whichever are asked for.
 */
import { usageError, type XcnnError } from '../errors.js';
import type { Floats } from '../backend/backend.js';
import { Random } from '../random.js';

export type Augmentation =
  | { kind: 'shift'; pixels: number }
  | { kind: 'rotate'; degrees: number }
  | { kind: 'scale'; fraction: number }
  | { kind: 'crop'; padding: number }
  | { kind: 'flip' }
  | { kind: 'erase'; probability: number };

const FORMS = 'shift(PIXELS), rotate(DEGREES), scale(FRACTION), crop(PADDING), flip, erase(PROBABILITY)';

/** Each augmentation's parameter: its range and whether it is a whole number. */
const PARAMETERS = {
  shift: { min: 0, max: 64, whole: true },
  rotate: { min: 0, max: 180, whole: false },
  scale: { min: 0, max: 0.9, whole: false },
  crop: { min: 0, max: 64, whole: true },
  erase: { min: 0, max: 1, whole: false },
} as const;

function usage(message: string): XcnnError {
  return usageError(`--augment: ${message}`);
}

/** `shift(2),rotate(10),erase(0.25)` → the augmentations, each once; refused in one line naming the part. */
export function parseAugmentations(text: string): Augmentation[] {
  const parts = text.split(/,(?![^(]*\))/).map((part) => part.trim());
  const seen = new Set<string>();
  return parts.map((part) => {
    const match = /^([a-z]+)(?:\(([^()]*)\))?$/.exec(part);
    if (match === null) throw usage(`'${part}' is not an augmentation; give a comma-separated list of ${FORMS}`);
    const [, kind, argument] = match;
    if (seen.has(kind)) throw usage(`${kind} is given twice; give each augmentation once`);
    seen.add(kind);
    if (kind === 'flip') {
      if (argument !== undefined) throw usage(`flip takes no parameter; give 'flip'`);
      return { kind: 'flip' };
    }
    if (!(kind in PARAMETERS)) throw usage(`'${kind}' is not an augmentation; give a comma-separated list of ${FORMS}`);
    const range = PARAMETERS[kind as keyof typeof PARAMETERS];
    // No number (NaN: none given, or a word) fails the comparisons, and so does a blank (0: every range starts above 0).
    const value = Number(argument);
    const fits = value > range.min && value <= range.max && (!range.whole || Number.isInteger(value));
    if (!fits) throw usage(`${kind}(${argument ?? ''}) needs ${range.whole ? 'a whole number' : 'a number'} above ${range.min} and at most ${range.max}, e.g. ${kind}(${range.whole ? 2 : kind === 'rotate' ? 10 : 0.1})`);
    switch (kind) {
      case 'shift': return { kind, pixels: value };
      case 'rotate': return { kind, degrees: value };
      case 'scale': return { kind, fraction: value };
      case 'crop': return { kind, padding: value };
      default: return { kind: 'erase', probability: value };
    }
  });
}

/** The list as --augment writes it (what settings record). */
export function formatAugmentations(list: readonly Augmentation[]): string {
  return list
    .map((a) => (a.kind === 'flip' ? 'flip' : `${a.kind}(${a.kind === 'shift' ? a.pixels : a.kind === 'rotate' ? a.degrees : a.kind === 'scale' ? a.fraction : a.kind === 'crop' ? a.padding : a.probability})`))
    .join(',');
}

/** The generator of one image's draws: from (seed, epoch, image index), a few words discarded to mix them. */
export function imageRandom(seed: number, epoch: number, image: number): Random {
  const random = Random.fromState([seed >>> 0, (epoch + 1) >>> 0, image >>> 0, 0x61756731]);
  for (let k = 0; k < 8; k++) random.nextUint32();
  return random;
}

/** What one image's draws decided: the inverse affine map (output pixel → source point) and the erased rectangle. */
export interface ImageAugmentation {
  // source x = a·(x − cx) + b·(y − cy) + cx − dx, source y = c·(x − cx) + d·(y − cy) + cy − dy (flip folded into a, c)
  a: number;
  b: number;
  c: number;
  d: number;
  dx: number;
  dy: number;
  erase: { top: number; left: number; height: number; width: number } | null;
}

/** Draws one image's augmentation of a `height` × `width` image. */
export function drawAugmentation(list: readonly Augmentation[], random: Random, height: number, width: number): ImageAugmentation {
  const find = <K extends Augmentation['kind']>(kind: K) => list.find((a) => a.kind === kind) as Extract<Augmentation, { kind: K }> | undefined;
  const whole = (p: number) => Math.floor(random.next() * (2 * p + 1)) - p; // uniform in {−p … p}
  const shift = find('shift');
  let dx = shift ? whole(shift.pixels) : 0;
  let dy = shift ? whole(shift.pixels) : 0;
  const rotate = find('rotate');
  const angle = rotate ? (random.uniform(-rotate.degrees, rotate.degrees) * Math.PI) / 180 : 0;
  const scale = find('scale');
  const factor = scale ? random.uniform(1 - scale.fraction, 1 + scale.fraction) : 1;
  const crop = find('crop');
  if (crop) {
    dx += whole(crop.padding);
    dy += whole(crop.padding);
  }
  const flip = find('flip') !== undefined && random.next() < 0.5;
  // Output = R(angle)·S(factor)·F(flip)·(source − centre) + centre + shift; the inverse maps back.
  const cos = Math.cos(angle) / factor;
  const sin = Math.sin(angle) / factor;
  const mirror = flip ? -1 : 1;
  let erase: ImageAugmentation['erase'] = null;
  const eraseOp = find('erase');
  if (eraseOp && random.next() < eraseOp.probability) erase = eraseRectangle(random, height, width);
  return { a: mirror * cos, b: mirror * sin, c: -sin, d: cos, dx, dy, erase };
}

/** torchvision's RandomErasing rectangle: area fraction in [0.02, 0.33], log-uniform aspect in [0.3, 3.3]; up to 10 tries. */
function eraseRectangle(random: Random, height: number, width: number): ImageAugmentation['erase'] {
  const area = height * width;
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * random.uniform(0.02, 0.33);
    const aspect = Math.exp(random.uniform(Math.log(0.3), Math.log(3.3)));
    const h = Math.round(Math.sqrt(target * aspect));
    const w = Math.round(Math.sqrt(target / aspect));
    if (h < height && w < width && h > 0 && w > 0) {
      const top = Math.floor(random.next() * (height - h + 1));
      const left = Math.floor(random.next() * (width - w + 1));
      return { top, left, height: h, width: w };
    }
  }
  return null;
}

/**
 * Augments image `n` of a batch in place: `input` [N, C, H, W], `scratch` at least C·H·W long. Bilinear
 * sampling at the inverse-mapped point, 0 outside the source; pixel centres at integer coordinates.
 */
export function augmentImage(input: Floats, n: number, channels: number, height: number, width: number, t: ImageAugmentation, scratch: Float64Array): void {
  const size = height * width;
  const base = n * channels * size;
  const identity = t.a === 1 && t.b === 0 && t.c === 0 && t.d === 1 && t.dx === 0 && t.dy === 0;
  if (!identity) {
    for (let k = 0; k < channels * size; k++) scratch[k] = input[base + k];
    const cx = (width - 1) / 2;
    const cy = (height - 1) / 2;
    for (let ch = 0; ch < channels; ch++) {
      const plane = ch * size;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const ox = x - t.dx - cx;
          const oy = y - t.dy - cy;
          const sx = t.a * ox + t.b * oy + cx;
          const sy = t.c * ox + t.d * oy + cy;
          input[base + plane + y * width + x] = bilinear(scratch, plane, height, width, sx, sy);
        }
      }
    }
  }
  if (t.erase !== null) {
    const { top, left, height: h, width: w } = t.erase;
    for (let ch = 0; ch < channels; ch++) for (let y = top; y < top + h; y++) input.fill(0, base + ch * size + y * width + left, base + ch * size + y * width + left + w);
  }
}

/** The source plane at (x, y), bilinear between the four pixel centres around it, 0 beyond the edges. */
function bilinear(source: Float64Array, plane: number, height: number, width: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= width || yy >= height ? 0 : source[plane + yy * width + xx]);
  return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
}

/** Augments a loaded batch in place: image n is training image `indices[n]` of epoch `epoch` (0-based). */
export function augmentBatch(input: Floats, indices: ArrayLike<number>, shape: readonly number[], list: readonly Augmentation[], seed: number, epoch: number): void {
  const [channels, height, width] = shape;
  const scratch = new Float64Array(channels * height * width);
  for (let n = 0; n < indices.length; n++) {
    const t = drawAugmentation(list, imageRandom(seed, epoch, indices[n]), height, width);
    augmentImage(input, n, channels, height, width, t, scratch);
  }
}
