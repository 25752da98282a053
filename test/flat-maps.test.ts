/**
 * Flat maps (issue 16): a map with nothing in it — all zero after the CAM family's ReLU, or constant — is
 * decided on the raw map (`isFlatMap`), gets an all-zero heatmap, and is flagged wherever it is shown: per
 * image in explain.json (`flat: true`), counted in explain's summary and in its figure's caption, and marked
 * on its tile and counted per gallery in report.html. The case is built so its map is flat by construction:
 * a network whose class-0 gradient is negative on every non-negative activation (fixtures/class-count-data.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isFlatMap, FLAT_TOLERANCE } from '../src/explain/explanation.js';
import { gradCam, gradCamImage } from '../src/explain/grad-cam.js';
import { cliWorkspace } from './fixtures/cli.js';
import { dimAndBrightSplit, FLAT_SIZE, flatNetwork, saveFlatModel, writeDataFolder } from './fixtures/class-count-data.js';

describe('isFlatMap', () => {
  it('calls a map flat when it is all zero, constant, or varies by less than its float32 rounding', () => {
    expect(isFlatMap(new Float32Array(121))).toBe(true);
    expect(isFlatMap(new Float32Array(121).fill(0.37))).toBe(true);
    expect(isFlatMap(Float32Array.of(-2, -2, -2))).toBe(true);
    expect(isFlatMap(Float64Array.of(1, 1 + FLAT_TOLERANCE / 2, 1))).toBe(true);
    expect(isFlatMap(Float32Array.of(0, Number.NaN, 1))).toBe(true); // nothing trustworthy to show
  });

  it('does not call a map flat when any value stands out, however small the scale', () => {
    expect(isFlatMap(Float32Array.of(0, 0, 1e-20))).toBe(false); // one positive cell after the ReLU
    expect(isFlatMap(Float64Array.of(1, 1 + 4 * FLAT_TOLERANCE, 1))).toBe(false);
    expect(isFlatMap(Float32Array.of(-3, -1, -2))).toBe(false); // a signed map below zero still has a shape
  });
});

// Twenty images: ten dim labelled 0, two dim labelled 1 (misclassified as 0), eight bright labelled 1.
const dimLabels = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1];
const brightLabels = [1, 1, 1, 1, 1, 1, 1, 1];
const split = dimAndBrightSplit(dimLabels, brightLabels, 5);
const dimCount = dimLabels.length;

describe('a Grad-CAM map that is flat by construction', () => {
  it('is all zero for every dim image (class 0: every α_k = −0.1 on activations > 0), and not flat for the bright ones', () => {
    const set = { count: split.labels.length, height: FLAT_SIZE, width: FLAT_SIZE, images: split.images, labels: Uint8Array.from(split.labels) };
    const result = gradCam(flatNetwork(), set);
    for (let n = 0; n < result.count; n++) {
      const image = gradCamImage(result, n);
      const dim = n < dimCount;
      expect(image.predicted, `image ${n}`).toBe(dim ? 0 : 1);
      for (let k = 0; k < result.channels; k++) expect(result.weights[n * result.channels + k]).toBeCloseTo(dim ? -0.1 : 0.1, 6); // fc1's weights, stored as float32
      expect(isFlatMap(image.map), `image ${n}`).toBe(dim);
      if (dim) {
        expect(image.map.every((v) => v === 0)).toBe(true);
        expect(image.heatmap.every((v) => v === 0)).toBe(true);
      }
    }
  });
});

describe('flat maps flagged by the CLI', () => {
  const { work, xcnn } = cliWorkspace('xcnn-flat-');
  writeDataFolder(join(work, 'data'), split, split, FLAT_SIZE, 2);
  saveFlatModel(join(work, 'model.safetensors'));
  const common = ['--model', 'model.safetensors', '--data', 'data', '--backend', 'ts'];

  it('explain: flat per image and counted at the top of explain.json, in the summary and in the figure caption', () => {
    const run = xcnn('explain', ...common, '--index', 'all', '--out', 'ex');
    expect(run.status, run.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(work, 'ex', 'explain.json'), 'utf8'));
    expect(json.flatCount).toBe(dimCount);
    expect(json.images.map((image: { flat: boolean }) => image.flat)).toEqual(split.labels.map((_, n) => n < dimCount));
    expect(run.stdout).toContain(`${dimCount} of ${split.labels.length} maps are flat (all zero after the ReLU): the overlay shows no evidence, not absence of evidence\n`);
    expect(run.stdout).toMatch(/test #0: true dim, predicted dim \([\d.>]+%\); Grad-CAM for dim \(flat\) → ex\/test-0-grad-cam\.png/);
    expect(run.stdout).toMatch(/test #19: true bright, predicted bright \([\d.>]+%\); Grad-CAM for bright → ex\/test-19-grad-cam\.png/);
  });

  it('explain says nothing of flat maps when none is', () => {
    const run = xcnn('explain', ...common, '--index', '12-19', '--out', 'bright');
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).not.toContain('flat');
    expect(JSON.parse(readFileSync(join(work, 'bright', 'explain.json'), 'utf8')).flatCount).toBe(0);
  });

  it('report: counts the flat maps of each gallery in its caption and its figure title', () => {
    // Correct: class 0 shows the first 8 of its 10 dim images (all flat), class 1 its 8 bright ones (none);
    // misclassified: the two dim images labelled 1, predicted 0 (both flat).
    const run = xcnn('report', ...common, '--per-class', '8', '--out', 'report', '--class-images', '4', '--cells', '1');
    expect(run.status, run.stderr).toBe(0);
    const html = readFileSync(join(work, 'report', 'report.html'), 'utf8');
    expect(html).toContain('8 of the 16 maps are flat (all zero after the ReLU) and marked <code>flat</code> on the tile');
    expect(html).toContain('2 of the 2 maps are flat (all zero after the ReLU)');
  });
});
