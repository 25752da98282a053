/**
 * Every argument check of the class summaries (explainForTargets, explainClassMeans, classMeanHeatmaps,
 * classMeanImages, trueClassesOf, confusionCells, confusionCellExplanations): each wrong argument is an
 * XcnnError with code ERR_BAD_ARGUMENT whose message names the function and that argument, word for word —
 * the rows test/public-arguments.test.ts does not have (the explain-classes mutation run found them unasserted).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { classMeanHeatmaps, classMeanImages, explainClassMeans, trueClassesOf } from '../src/explain/class-means.js';
import { confusionCellExplanations, confusionCells } from '../src/explain/confusion-cells.js';
import { explainForTargets } from '../src/explain/explain-for-targets.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { createNetwork } from '../src/model/network.js';
import { METHOD_BY_NAME, NETWORK, OPTIONS, PREDICTIONS, SET } from './fixtures/argument-kinds.js';

const network = createNetwork(new ReferenceBackend(), 'conv(2,3) relu flatten linear(3)', { channels: 1, height: 5, width: 5, classes: 3 });
const set = { count: 2, height: 5, width: 5, images: new Uint8Array(50), labels: Uint8Array.of(0, 2) };
const predictions = { labels: Uint8Array.of(0, 2), predicted: Uint8Array.of(0, 1), probabilities: new Float32Array(6) };
const gradCam = methodByName('grad-cam');
const PLACEMENTS = 'stretch, receptive-field';

const ROWS: Array<[string, () => unknown, string]> = [
  // explainForTargets(network, set, method, indices, targets, options)
  ['explainForTargets network', () => explainForTargets('net' as never, set, gradCam, [0], [0]), `explainForTargets: network must be ${NETWORK}, not string`],
  ['explainForTargets set', () => explainForTargets(network, {} as never, gradCam, [0], [0]), `explainForTargets: set must be ${SET}, not Object`],
  ['explainForTargets method', () => explainForTargets(network, set, 'grad-cam' as never, [0], [0]), 'explainForTargets: method must be an explanation method (methodByName), not string'],
  ['explainForTargets options', () => explainForTargets(network, set, gradCam, [0], [0], 5 as never), `explainForTargets: options must be ${OPTIONS}, not number`],
  ['explainForTargets placement', () => explainForTargets(network, set, gradCam, [0], [0], { placement: 'centre' as never }), `explainForTargets: placement 'centre' is not one of ${PLACEMENTS}`],
  ['explainForTargets counts', () => explainForTargets(network, set, gradCam, [0, 1], [0]), 'explainForTargets: 2 image indices but 1 target classes; give one class per image'],
  // explainClassMeans(network, set, method, options)
  ['explainClassMeans set', () => explainClassMeans(network, null as never), `explainClassMeans: set must be ${SET}, not null`],
  ['explainClassMeans options', () => explainClassMeans(network, set, 'grad-cam', 'all' as never), `explainClassMeans: options must be ${OPTIONS}, not string`],
  ['explainClassMeans placement', () => explainClassMeans(network, set, 'grad-cam', { placement: 'middle' as never }), `explainClassMeans: placement 'middle' is not one of ${PLACEMENTS}`],
  // classMeanHeatmaps(explanation, classOf, classes) and classMeanImages(set, indices, classOf, classes)
  ['classMeanHeatmaps counts', () => classMeanHeatmaps({ count: 2, height: 1, width: 1, heatmaps: new Float32Array(2) } as never, [0], 3), 'classMeanHeatmaps: 1 classes for 2 explained images; give one class per image'],
  ['classMeanHeatmaps class out of range', () => classMeanHeatmaps({ count: 2, height: 1, width: 1, heatmaps: new Float32Array(2) } as never, [0, 3], 3), 'class 3 of image 1 is outside the 3 classes (0 to 2)'],
  ['classMeanImages classOf', () => classMeanImages(set, [0], 'x' as never, 3), 'classMeanImages: classOf must be an array or a typed array of numbers, not string'],
  ['classMeanImages counts', () => classMeanImages(set, [0, 1], [0], 3), 'classMeanImages: 1 classes for 2 images; give one class per image'],
  // trueClassesOf(explanation, set)
  ['trueClassesOf explanation', () => trueClassesOf(null as never, set), 'trueClassesOf: explanation must be an object (count, height, width and heatmaps, as explainForTargets gives it), not null'],
  // confusionCells(predictions) and confusionCellExplanations(network, set, predictions, method, options)
  ['confusionCells predictions', () => confusionCells([] as never), `confusionCells: predictions must be ${PREDICTIONS}, not Array`],
  ['confusionCellExplanations network', () => confusionCellExplanations(undefined as never, set, predictions), `confusionCellExplanations: network must be ${NETWORK}, not undefined`],
  ['confusionCellExplanations method', () => confusionCellExplanations(network, set, predictions, 4 as never), `confusionCellExplanations: method must be ${METHOD_BY_NAME}, not number`],
  ['confusionCellExplanations options', () => confusionCellExplanations(network, set, predictions, 'grad-cam', [] as never), `confusionCellExplanations: options must be ${OPTIONS}, not Array`],
  ['confusionCellExplanations perCell type', () => confusionCellExplanations(network, set, predictions, 'grad-cam', { perCell: '1' } as never), 'confusionCellExplanations: options.perCell must be a number, not string'],
  ['confusionCellExplanations other set', () => confusionCellExplanations(network, { ...set, count: 3, images: new Uint8Array(75), labels: new Uint8Array(3) }, predictions), 'confusionCellExplanations: the predictions are of 2 images but the set has 3; predict on the same set'],
  ['confusionCellExplanations perCell', () => confusionCellExplanations(network, set, predictions, 'grad-cam', { perCell: 0.5 }), 'confusionCellExplanations: perCell is 0.5; it must be a whole number ≥ 1'],
  ['confusionCellExplanations cells', () => confusionCellExplanations(network, set, predictions, 'grad-cam', { cells: -1 }), 'confusionCellExplanations: cells is -1; it must be a whole number ≥ 0'],
];

describe('the class summaries refuse each wrong argument by name (ERR_BAD_ARGUMENT)', () => {
  it.each(ROWS)('%s', (_, call, message) => {
    let caught: unknown;
    try {
      call();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(XcnnError);
    expect((caught as XcnnError).code).toBe('ERR_BAD_ARGUMENT');
    expect((caught as Error).message).toBe(message);
  });
});

describe('the class summaries take a method object as they take its name', () => {
  it('explainClassMeans and confusionCellExplanations give the same maps for saliency given either way', () => {
    const saliency = methodByName('saliency');
    const byName = explainClassMeans(network, set, 'saliency');
    const byObject = explainClassMeans(network, set, saliency);
    expect(Array.from(byObject.heatmaps.means)).toEqual(Array.from(byName.heatmaps.means));
    expect(byObject.method).toBe('saliency');
    const cellsByName = confusionCellExplanations(network, set, predictions, 'saliency');
    const cellsByObject = confusionCellExplanations(network, set, predictions, saliency);
    expect(Array.from(cellsByObject.explanation.heatmaps)).toEqual(Array.from(cellsByName.explanation.heatmaps));
    expect(cellsByObject.method).toBe('saliency');
    expect(cellsByObject.explanation.heatmaps.length).toBeGreaterThan(0);
  });

  it('explainClassMeans explains with Grad-CAM when no method is given', () => {
    const byDefault = explainClassMeans(network, set);
    expect(byDefault.method).toBe('grad-cam');
    expect(Array.from(byDefault.heatmaps.means)).toEqual(Array.from(explainClassMeans(network, set, 'grad-cam').heatmaps.means));
  });
});
