/**
 * A decoded picture (RGBA bytes [height, width, 4]) made into one image of a data set, [C, H, W] bytes:
 *
 *   channels  alpha composited over white; 1: luminance 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601);
 *             3: the R, G, B planes (a grey picture's grey in all three)
 *   size      area-averaged when the picture is at least as large along both axes (OpenCV's INTER_AREA:
 *             no aliasing), bilinear with half-pixel centres otherwise (resize.ts); the aspect ratio is
 *             not kept
 *   mnist     instead of the two above, MNIST's own preprocessing (mnist-digit.ts): grey, light
 *             backgrounds inverted, cropped to the ink, scaled into 20 × 20 and centred by mass in 28 × 28
 *
 * The conversion of any model's input (explain --image, the library's RGBA images: model-image.ts) and
 * MNIST's are reused as they are, so a folder's image and the same picture given to `explain --image` are
 * the same bytes. A picture already of the set's size takes a direct path (no resampling), which gives the
 * same bytes as model-image.ts does, faster: folders of small images load at the speed of their decoder.
 * Browser-safe.
 */
import { checkBytes, checkFields, checkNumbers, checkRgba } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { greyFromRgba, mnistDigit, MNIST_SIZE } from '../explain/mnist-digit.js';
import { modelImageFromRgba } from '../explain/model-image.js';

export type Preprocess = 'none' | 'mnist';

/** What every image of a set is made into. */
export interface InputConversion {
  channels: 1 | 3;
  height: number;
  width: number;
  preprocess: Preprocess;
}

/** What converting one picture did, for the summary of a folder. */
export interface ConversionSteps {
  resized: boolean;
  toGrey: boolean; // a colour picture made grey
  toColour: boolean; // a grey picture given three channels
  alpha: boolean; // some pixel was not opaque, and was composited over white
}

/** RGBA [height, width, 4] → `out` [C, H, W] (conversion's); `pictureChannels` is what the file held. */
export function pictureToInput(
  rgba: Uint8Array,
  width: number,
  height: number,
  pictureChannels: 1 | 3,
  conversion: InputConversion,
  out: Uint8Array,
  source: string,
): ConversionSteps {
  checkNumbers('pictureToInput', 'rgba', rgba);
  checkFields('pictureToInput', 'conversion', conversion, 'the model\'s input size and channels', { channels: 'number', height: 'number', width: 'number' });
  checkBytes('pictureToInput', 'out', out);
  // Lengths checked, not trusted: a short rgba would be read past its end (NaN bytes, written as 0), and an out
  // of another length would be written in part or past the image (a folder's next slot).
  checkRgba('pictureToInput', rgba, width, height);
  const imageBytes = conversion.channels * conversion.height * conversion.width;
  if (out.length !== imageBytes) {
    const shape = `${conversion.channels}×${conversion.height}×${conversion.width}`;
    throw new XcnnError(`pictureToInput: out holds ${out.length} bytes, but one ${shape} image is ${imageBytes}; give that image's slot`, { code: 'ERR_BAD_ARGUMENT' });
  }
  const alpha = hasTransparency(rgba);
  const toGrey = pictureChannels === 3 && conversion.channels === 1;
  const toColour = pictureChannels === 1 && conversion.channels === 3;
  if (conversion.preprocess === 'mnist') {
    out.set(mnistDigit(greyFromRgba(rgba, width, height), source).pixels);
    return { resized: width !== MNIST_SIZE || height !== MNIST_SIZE, toGrey, toColour, alpha };
  }
  if (width === conversion.width && height === conversion.height) {
    sameSizeInput(rgba, conversion.channels, width * height, alpha, out);
    return { resized: false, toGrey, toColour, alpha };
  }
  out.set(modelImageFromRgba(rgba, width, height, conversion.channels, conversion.height, conversion.width, source));
  return { resized: true, toGrey, toColour, alpha };
}

function hasTransparency(rgba: Uint8Array): boolean {
  for (let k = 3; k < rgba.length; k += 4) if (rgba[k] !== 255) return true;
  return false;
}

/** A float32 value (Math.fround, as model-image.ts's Float32Array holds it) rounded to a byte, clamped to 0…255. */
function toByte(value: number): number {
  const single = Math.fround(value);
  return Math.round(single > 255 ? 255 : single < 0 ? 0 : single);
}

/**
 * model-image.ts's arithmetic without the resampling: float32 planes, rounded to bytes. For opaque
 * pictures the compositing is the identity and is skipped: the loops below are the hot path of loading
 * a folder of small images, so each case has its own (the same arithmetic, without a call per pixel).
 */
function sameSizeInput(rgba: Uint8Array, channels: 1 | 3, pixels: number, alpha: boolean, out: Uint8Array): void {
  if (channels === 1) {
    for (let p = 0, k = 0; p < pixels; p++, k += 4) {
      const grey = 0.299 * rgba[k] + 0.587 * rgba[k + 1] + 0.114 * rgba[k + 2];
      out[p] = toByte(alpha ? composite(grey, rgba[k + 3]) : grey);
    }
    return;
  }
  for (let c = 0; c < 3; c++) {
    for (let p = 0, k = c; p < pixels; p++, k += 4) out[c * pixels + p] = toByte(alpha ? composite(rgba[k], rgba[k - c + 3]) : rgba[k]);
  }
}

/** `value` over white at opacity alpha/255. */
function composite(value: number, alpha: number): number {
  const a = alpha / 255;
  return a * value + (1 - a) * 255;
}
