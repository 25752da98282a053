/**
 * How each CAM method combines a block's activations A and gradients G into a map (src/explain/methods/cam.ts),
 * on a worked example of K = 2 channels and P = 3 positions, for the second image of a batch of two (so the
 * offsets of image n count), each formula evaluated by hand in the comments. And what a CAM method says of
 * itself: a map on a conv block's cells, which needs that block and the gradients down to it.
 */
import { describe, expect, it } from 'vitest';
import { methodByName } from '../src/explain/methods/by-name.js';
import { camMethod, gradCamMap, gradCamPlusPlusMap, gradCamPlusPlusWeights, hiResCamMap, layerCamMap, xGradCamMap, xGradCamWeights } from '../src/explain/methods/cam.js';

// Image 0 is noise that must not leak in; image 1: A_0 = [1, 2, 3], A_1 = [2, 0, 1]; G_0 = [1, −1, 2], G_1 = [−2, 1, 1].
const A = Float64Array.of(9, 9, 9, 9, 9, 9, 1, 2, 3, 2, 0, 1);
const G = Float64Array.of(5, 5, 5, 5, 5, 5, 1, -1, 2, -2, 1, 1);

const run = (combine: typeof gradCamMap) => {
  const map = new Float64Array(3).fill(42);
  combine(A, G, 1, 2, 3, map);
  return Array.from(map);
};
const close = (got: number[], expected: number[]) => got.forEach((v, k) => expect(v).toBeCloseTo(expected[k], 12));

describe('the CAM combinations on a worked example', () => {
  it("Grad-CAM: α = mean G = [2/3, 0]; map = ReLU(α₀ A₀) = [2/3, 4/3, 2]", () => {
    close(run(gradCamMap), [2 / 3, 4 / 3, 2]);
  });

  it('Grad-CAM++: α_k = Σ_{G>0} G²/(2G² + ΣA·G³) · G', () => {
    // Channel 0: ΣA = 6; G = 1: 1/(2 + 6) · 1 = 1/8; G = 2: 4/(8 + 48) · 2 = 1/7; α₀ = 1/8 + 1/7 = 15/56.
    // Channel 1: ΣA = 3; G = 1 twice: 1/(2 + 3) each; α₁ = 2/5.
    const alpha = new Float64Array(2);
    gradCamPlusPlusWeights(A, G, 1, 2, 3, alpha);
    close(Array.from(alpha), [15 / 56, 2 / 5]);
    // map = ReLU(15/56·[1, 2, 3] + 2/5·[2, 0, 1]).
    close(run(gradCamPlusPlusMap), [15 / 56 + 4 / 5, 30 / 56, 45 / 56 + 2 / 5]);
  });

  it('XGrad-CAM: α_k = Σ A·G / Σ A, 0 for an all-zero channel', () => {
    // Channel 0: (1 − 2 + 6)/6 = 5/6; channel 1: (−4 + 0 + 1)/3 = −1.
    const alpha = new Float64Array(2);
    xGradCamWeights(A, G, 1, 2, 3, alpha);
    close(Array.from(alpha), [5 / 6, -1]);
    // map = ReLU(5/6·[1, 2, 3] − [2, 0, 1]) = ReLU([−7/6, 5/3, 3/2]).
    close(run(xGradCamMap), [0, 5 / 3, 3 / 2]);
    const silent = Float64Array.of(0, 0, 0, 1, 1, 1);
    xGradCamWeights(silent, Float64Array.of(1, 2, 3, 1, 1, 1), 0, 2, 3, alpha);
    close(Array.from(alpha), [0, 1]);
  });

  it('LayerCAM: ReLU(Σ_k ReLU(G_k) ⊙ A_k) = ReLU([1 + 0, 0 + 0, 6 + 1]) = [1, 0, 7]', () => {
    close(run(layerCamMap), [1, 0, 7]);
  });

  it('HiResCAM: ReLU(Σ_k G_k ⊙ A_k) = ReLU([1 − 4, −2 + 0, 6 + 1]) = [0, 0, 7]', () => {
    close(run(hiResCamMap), [0, 0, 7]);
  });

  it('Grad-CAM++ leaves out positions where G ≤ 0, and a channel whose every G is ≤ 0 weighs 0', () => {
    const alpha = new Float64Array(1);
    gradCamPlusPlusWeights(Float64Array.of(1, 1), Float64Array.of(-1, 0), 0, 1, 2, alpha);
    expect(alpha[0]).toBe(0);
  });
});

describe('camMethod', () => {
  it('describes a CAM method: its name and title, a map on a conv block, needing the block and the gradients down to it', () => {
    const mine = camMethod('my-cam', 'My CAM', gradCamMap);
    expect([mine.name, mine.title, mine.layer, mine.needs, mine.signed, mine.classAgnostic]).toEqual(['my-cam', 'My CAM', 'cam', ['conv-layer', 'layer-gradients'], undefined, undefined]);
    for (const name of ['grad-cam', 'grad-cam++', 'xgrad-cam', 'layer-cam', 'hires-cam']) {
      const method = methodByName(name);
      expect([method.name, method.layer, method.needs], name).toEqual([name, 'cam', ['conv-layer', 'layer-gradients']]);
    }
  });
});
