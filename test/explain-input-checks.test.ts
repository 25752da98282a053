/**
 * The checks every explanation runs before any work (checkInputs, src/explain/explanation.ts): the images'
 * shape against the model's input, each image index against the set, the target class against the classes —
 * each reached, its message word for word, and the values at the limits accepted.
 */
import { describe, expect, it } from 'vitest';
import type { ImageSet } from '../src/data/dataset.js';
import { checkInputs } from '../src/explain/explanation.js';
import { errorOf, refusal } from './errors.js';

const set: ImageSet = { count: 3, height: 4, width: 5, images: new Uint8Array(60), labels: new Uint8Array(3) };
describe('checkInputs', () => {
  it('needs the images to have the model\'s shape', () => {
    expect(refusal(() => checkInputs(set, Int32Array.of(0), undefined, 10, 5, 4))).toBe('Grad-CAM: the images are 4×5 but the model takes 5×4');
    expect(refusal(() => checkInputs(set, Int32Array.of(0), undefined, 10, 4, 6, 'Saliency'))).toBe('Saliency: the images are 4×5 but the model takes 4×6');
    expect(refusal(() => checkInputs(set, Int32Array.of(0), undefined, 10, 4, 5, 'Occlusion', 3))).toBe('Occlusion: the images are 4×5 but the model takes 3×4×5');
    expect(refusal(() => checkInputs({ ...set, channels: 3 }, Int32Array.of(0), undefined, 10, 4, 5))).toBe('Grad-CAM: the images are 3×4×5 but the model takes 4×5');
    expect(refusal(() => checkInputs({ ...set, channels: 3 }, Int32Array.of(0), undefined, 10, 4, 5, 'Grad-CAM', 3))).toBe('Grad-CAM: the set holds 60 pixel values, but 3 images of 3×4×5 are 180');
    expect(refusal(() => checkInputs({ ...set, channels: 3, images: new Uint8Array(180) }, Int32Array.of(0), undefined, 10, 4, 5, 'Grad-CAM', 3))).toBe('accepted');
  });

  it('needs every index inside the set', () => {
    expect(refusal(() => checkInputs(set, Int32Array.of(0, 3), undefined, 10, 4, 5))).toBe('Grad-CAM: image index 3 is outside the set of 3 images (0 to 2)');
    expect(refusal(() => checkInputs(set, Int32Array.of(-1), undefined, 10, 4, 5))).toBe('Grad-CAM: image index -1 is outside the set of 3 images (0 to 2)');
    expect(refusal(() => checkInputs(set, Int32Array.of(2, 0, 1), undefined, 10, 4, 5))).toBe('accepted');
    expect(refusal(() => checkInputs(set, new Int32Array(0), undefined, 10, 4, 5))).toBe('accepted');
  });

  it('needs the target class to be one of the model\'s', () => {
    const withClass = (targetClass: number) => refusal(() => checkInputs(set, Int32Array.of(0), targetClass, 10, 4, 5));
    expect(withClass(10)).toBe("Grad-CAM: class 10 is outside the model's 10 classes (0 to 9)");
    expect(withClass(-1)).toBe("Grad-CAM: class -1 is outside the model's 10 classes (0 to 9)");
    expect(withClass(1.5)).toBe("Grad-CAM: class 1.5 is outside the model's 10 classes (0 to 9)");
    expect(withClass(NaN)).toBe("Grad-CAM: class NaN is outside the model's 10 classes (0 to 9)");
    expect(withClass(0)).toBe('accepted');
    expect(withClass(9)).toBe('accepted');
  });

  it('refuses an index or a class as a bad argument (ERR_BAD_ARGUMENT, a usage error), not bad data', () => {
    expect(errorOf(() => checkInputs(set, Int32Array.of(3), undefined, 10, 4, 5), 'ERR_BAD_ARGUMENT').message).toBe('Grad-CAM: image index 3 is outside the set of 3 images (0 to 2)');
    expect(errorOf(() => checkInputs(set, Int32Array.of(0), 10, 10, 4, 5), 'ERR_BAD_ARGUMENT').message).toBe("Grad-CAM: class 10 is outside the model's 10 classes (0 to 9)");
  });
});
