/**
 * Eigen-CAM's parts (src/explain/methods/eigen-cam.ts) where a closed form gives the answer: the power
 * iteration's cap of 1,000 steps on a matrix whose ratio of eigenvalues keeps it from converging (v_k ∝
 * (1, 0.999ᵏ)), and the map of signed activations (a block that does not end in a ReLU), whose 2 × 2 XᵀX has
 * its leading eigenvector in closed form, and whose projection has a negative cell the ReLU drops. And the
 * method's description, which explainImages reads for the layer it reports, and its CAM pass's rule: named as the
 * method (the name `xcnn explain` looks up to start a thread pool for it) and with no backward pass.
 */
import { describe, expect, it, vi } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { EIGEN_CAM_RULE, eigenCamMap, eigenCamMethod, leadingEigenvector } from '../src/explain/methods/eigen-cam.js';
import { LENET_GEOMETRY, LENET_SPEC, randomSet, seededNetwork } from './fixtures/any-networks.js';

describe('leadingEigenvector', () => {
  it('stops after 1,000 steps when the direction still moves: diag(1, 0.999) from (1, 1) gives (1, 0.999¹⁰⁰⁰), normalised', () => {
    const v = leadingEigenvector(Float64Array.of(1, 0, 0, 0.999), 2);
    const second = 0.999 ** 1000; // 0.368: far from converged, each step still moves it by about 4·10⁻⁴
    const norm = Math.hypot(1, second);
    expect(v[0]).toBeCloseTo(1 / norm, 10);
    expect(v[1]).toBeCloseTo(second / norm, 10);
  });

  it('converges to the leading eigenvector of a 2 × 2 matrix, (b, λ₁ − a) normalised', () => {
    // [[11, −7], [−7, 17]]: λ₁ = 14 + √58, v ∝ (−7, 3 + √58), which has a positive sum, the side the ones start on.
    const v = leadingEigenvector(Float64Array.of(11, -7, -7, 17), 2);
    const norm = Math.hypot(-7, 3 + Math.sqrt(58));
    expect(v[0]).toBeCloseTo(-7 / norm, 10);
    expect(v[1]).toBeCloseTo((3 + Math.sqrt(58)) / norm, 10);
  });
});

describe('eigenCamMap on signed activations', () => {
  it('is ReLU(X v₁), the negative cell dropped, for image 1 of a batch', () => {
    // Image 1: A_0 = [−3, 1, 1], A_1 = [2, 2, −3] (image 0 is noise). XᵀX = [[11, −7], [−7, 17]], v₁ as above;
    // m = X v₁ = [3.32, 1.12, −3.06]; s = [−1, 3, −2]; Σ m s = 6.15 ≥ 0, so the sign stays.
    const activations = Float64Array.of(5, 5, 5, 5, 5, 5, -3, 1, 1, 2, 2, -3);
    const map = new Float64Array(3).fill(9);
    eigenCamMap(activations, 1, 2, 3, map);
    const norm = Math.hypot(-7, 3 + Math.sqrt(58));
    const [v0, v1] = [-7 / norm, (3 + Math.sqrt(58)) / norm];
    const m = [-3 * v0 + 2 * v1, v0 + 2 * v1, v0 - 3 * v1];
    expect(m[2]).toBeLessThan(0);
    m.forEach((value, p) => expect(map[p], `cell ${p}`).toBeCloseTo(Math.max(0, value), 10));
  });
});

describe('eigenCamMethod', () => {
  it('describes itself: a class-agnostic map on a conv block, forward passes only', () => {
    const method = eigenCamMethod();
    expect([method.name, method.title, method.layer, method.classAgnostic, method.needs]).toEqual(['eigen-cam', 'Eigen-CAM', 'cam', true, ['conv-layer', 'forward-only']]);
  });

  it('reports the block it explained, and its maps are that block\'s size', () => {
    const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), LENET_SPEC, LENET_GEOMETRY, 3);
    const set = randomSet(LENET_GEOMETRY, 2, 5);
    const first = explainImages(network, set, eigenCamMethod(), { layer: 'relu1' });
    expect([first.layer, first.mapHeight, first.mapWidth]).toEqual(['relu1', 10, 10]);
    const last = explainImages(network, set, eigenCamMethod());
    expect([last.layer, last.mapHeight, last.mapWidth]).toEqual(['relu2', 5, 5]);
  });

  it("runs forward passes only: its CAM rule, named as the method, asks for no gradients, and no backward pass runs", () => {
    expect([EIGEN_CAM_RULE.name, EIGEN_CAM_RULE.gradients]).toEqual(['eigen-cam', false]);
    const network = seededNetwork(new ReferenceBackend({ precision: 'float64' }), LENET_SPEC, LENET_GEOMETRY, 3);
    const set = randomSet(LENET_GEOMETRY, 2, 5);
    const backward = vi.spyOn(network, 'backwardTo');
    explainImages(network, set, eigenCamMethod());
    expect(backward).not.toHaveBeenCalled();
    explainImages(network, set, methodByName('grad-cam')); // the spy sees the backward pass a gradient method runs
    expect(backward).toHaveBeenCalled();
  });
});
