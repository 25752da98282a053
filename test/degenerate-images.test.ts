/**
 * Every explanation method on images with nothing to explain — blank (all black, the baseline itself) and
 * constant (all one grey) — on both backends: no NaN or Infinity anywhere (logits, probabilities, maps,
 * heatmaps), heatmaps in [0, 1], and the documented rule for a flat map (all zero after the ReLU, or constant):
 * its heatmap is all zeros and explain.json says `flat: true`.
 */
import { describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { explanationJson } from '../src/cli/explain-command.js';
import type { ImageSet } from '../src/data/dataset.js';
import { isFlatMap } from '../src/explain/explanation.js';
import { gradCamImage } from '../src/explain/grad-cam.js';
import { METHOD_NAMES, methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { createPaperNetwork } from '../src/model/network.js';
import { GEOMETRY, PIXELS, tinyNetwork, WIDTHS } from './fixtures/tiny-network.js';

/** Three images: blank (0), mid grey (128), white (255). */
const DEGENERATE: ImageSet = {
  count: 3,
  height: GEOMETRY.height,
  width: GEOMETRY.width,
  images: Uint8Array.from({ length: 3 * PIXELS }, (_, i) => [0, 128, 255][Math.floor(i / PIXELS)]),
  labels: new Uint8Array(3),
};

/** The methods whose map of the black image is exactly 0: attributions ∝ x − x′, or masks of x (Score-CAM's w_k = p_c(0) − p_c(0)). */
const ZERO_ON_BASELINE = new Set(['gradient-x-input', 'integrated-gradients', 'occlusion', 'kernel-shap', 'score-cam']);

const allFinite = (values: ArrayLike<number>) => Array.prototype.every.call(values, (v: number) => Number.isFinite(v));

const wasmNetwork = createPaperNetwork(await createWasmBackend(), GEOMETRY, WIDTHS);
wasmNetwork.params.set(tinyNetwork(2).params);

describe.each([
  ['reference', tinyNetwork(2)],
  ['wasm', wasmNetwork],
])('every method on blank and constant images (%s backend)', (_, network) => {
  it.each([...METHOD_NAMES])('%s: finite everywhere, heatmaps in [0, 1], a flat map gives an all-zero heatmap marked flat', (name) => {
    const result = explainImages(network, DEGENERATE, methodByName(name, { smoothGrad: { samples: 4 }, integratedGradients: { steps: 8 } }));
    for (const values of [result.logits, result.probabilities, result.maps, result.heatmaps]) expect(allFinite(values)).toBe(true);
    expect(result.heatmaps.every((v) => v >= 0 && v <= 1)).toBe(true);
    if (result.completenessGaps) expect(allFinite(result.completenessGaps)).toBe(true);
    for (let n = 0; n < result.count; n++) {
      const image = gradCamImage(result, n);
      const flatMap = image.map.every((v) => v === image.map[0]);
      const json = explanationJson(result, image, { kind: 'test', index: n, label: 0 }, ['0', '1', '2', '3']);
      if (flatMap) {
        expect(image.heatmap.every((v) => v === 0)).toBe(true);
        expect(json.flat).toBe(true);
      }
      // Flat is decided on the raw map, and a flat map's heatmap is all zeros.
      expect(json.flat).toBe(isFlatMap(image.map));
      if (json.flat) expect(image.heatmap.every((v) => v === 0)).toBe(true);
      expect(JSON.stringify(json)).not.toMatch(/NaN|null|Infinity/);
    }
    if (ZERO_ON_BASELINE.has(name)) {
      // The blank image is the baseline: these attributions are 0 by definition, the flat case for certain.
      expect(gradCamImage(result, 0).map.every((v) => v === 0)).toBe(true);
      expect(gradCamImage(result, 0).heatmap.every((v) => v === 0)).toBe(true);
    }
  });
});
