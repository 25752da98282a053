/**
 * A picture already of the set's size takes picture-input.ts's direct path, which must give the bytes the
 * general conversion (model-image.ts, what explain --image and the library use) gives: checked on random
 * pictures, opaque and not, grey and RGB, for both channel counts.
 */
import { describe, expect, it } from 'vitest';
import { modelImageFromRgba } from '../src/explain/model-image.js';
import { pictureToInput } from '../src/data/picture-input.js';
import { Random } from '../src/random.js';

describe('a picture of the input size, converted directly', () => {
  it('gives model-image.ts\'s bytes, for grey and RGB input, opaque or with transparency', () => {
    const random = new Random(14);
    for (let trial = 0; trial < 60; trial++) {
      const width = 1 + random.int(9);
      const height = 1 + random.int(9);
      const opaque = trial % 2 === 0;
      const rgba = Uint8Array.from({ length: width * height * 4 }, (_, k) => (opaque && k % 4 === 3 ? 255 : random.int(256)));
      for (const channels of [1, 3] as const) {
        const out = new Uint8Array(channels * height * width);
        const steps = pictureToInput(rgba, width, height, 3, { channels, height, width, preprocess: 'none' }, out, 'picture');
        const reference = modelImageFromRgba(rgba, width, height, channels, height, width, 'picture');
        expect(Array.from(out), `${width}×${height}, ${channels} channel(s), ${opaque ? 'opaque' : 'transparent'}`).toEqual(Array.from(reference));
        expect(steps.resized).toBe(false);
        expect(steps.alpha).toBe(!opaque && Array.from({ length: width * height }, (_, p) => rgba[4 * p + 3]).some((a) => a !== 255));
      }
    }
  });
});
