/**
 * The registry of explanation methods (src/explain/methods/by-name.ts): every name gives the method of that name
 * and title, combining A and G as its own function does, with the options meant for it; an unknown name is a
 * usage error listing them all.
 */
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { METHOD_NAMES, METHOD_SETTINGS, isMethodName, methodByName } from '../src/explain/methods/by-name.js';
import { camMethod, gradCamMap, gradCamPlusPlusMap, hiResCamMap, layerCamMap, xGradCamMap } from '../src/explain/methods/cam.js';
import { explainImages, type ExplanationMethod } from '../src/explain/methods/explain.js';
import { integratedGradientsMethod, smoothGradMethod } from '../src/explain/methods/input-gradients.js';
import { kernelShapMethod, limeMethod, occlusionMethod } from '../src/explain/methods/perturbation.js';
import type { ImageSet } from '../src/data/dataset.js';
import { Random } from '../src/random.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';

const network = tinyNetwork(5);
const random = new Random(3);
const set: ImageSet = { count: 2, height: GEOMETRY.height, width: GEOMETRY.width, images: Uint8Array.from({ length: 2 * PIXELS }, () => Math.floor(random.next() * 256)), labels: new Uint8Array(2) };
const maps = (method: ExplanationMethod) => Array.from(explainImages(network, set, method).maps);

const TITLES: Record<string, string> = {
  'grad-cam': 'Grad-CAM', 'grad-cam++': 'Grad-CAM++', 'xgrad-cam': 'XGrad-CAM', 'layer-cam': 'LayerCAM', 'hires-cam': 'HiResCAM',
  'eigen-cam': 'Eigen-CAM', 'score-cam': 'Score-CAM', saliency: 'Saliency', 'gradient-x-input': 'Gradient × input', smoothgrad: 'SmoothGrad',
  'integrated-gradients': 'Integrated Gradients', 'guided-backprop': 'Guided Backprop', 'guided-grad-cam': 'Guided Grad-CAM',
  occlusion: 'Occlusion', 'kernel-shap': 'KernelSHAP', lime: 'LIME',
};

describe('methodByName', () => {
  it('knows the 16 methods, and gives each its own name and title', () => {
    expect([...METHOD_NAMES]).toEqual(Object.keys(TITLES));
    for (const name of METHOD_NAMES) {
      const method = methodByName(name);
      expect([method.name, method.title]).toEqual([name, TITLES[name]]);
      expect(isMethodName(name)).toBe(true);
    }
    expect(isMethodName('gradcam')).toBe(false);
  });

  it('combines A and G with each CAM method\'s own function', () => {
    const combines = { 'grad-cam': gradCamMap, 'grad-cam++': gradCamPlusPlusMap, 'xgrad-cam': xGradCamMap, 'layer-cam': layerCamMap, 'hires-cam': hiResCamMap };
    const all = Object.entries(combines).map(([name, combine]) => {
      const byName = maps(methodByName(name));
      expect(byName, name).toEqual(maps(camMethod(name, TITLES[name], combine)));
      return JSON.stringify(byName);
    });
    expect(new Set(all).size).toBe(5); // five different maps: no two names share a combination
  });

  it('hands each method the options meant for it', () => {
    const options = { smoothGrad: { samples: 2, sigma: 0.4, seed: 7 }, integratedGradients: { steps: 3, baseline: 0.5 }, occlusion: { window: 3, stride: 3 }, kernelShap: { patch: 6, samples: 16, seed: 2 }, lime: { patch: 6, samples: 12, seed: 3 } };
    expect(maps(methodByName('smoothgrad', options))).toEqual(maps(smoothGradMethod(options.smoothGrad)));
    expect(maps(methodByName('smoothgrad', options))).not.toEqual(maps(smoothGradMethod({ samples: 2 })));
    expect(methodByName('smoothgrad', options).seed).toBe(7);
    expect(maps(methodByName('integrated-gradients', options))).toEqual(maps(integratedGradientsMethod(options.integratedGradients)));
    expect(maps(methodByName('integrated-gradients', options))).not.toEqual(maps(integratedGradientsMethod({ steps: 3 })));
    expect(maps(methodByName('occlusion', options))).toEqual(maps(occlusionMethod(options.occlusion)));
    expect(maps(methodByName('occlusion', options))).not.toEqual(maps(occlusionMethod()));
    expect(maps(methodByName('kernel-shap', options))).toEqual(maps(kernelShapMethod(options.kernelShap)));
    expect(maps(methodByName('kernel-shap', options))).not.toEqual(maps(kernelShapMethod({ patch: 6, samples: 16 })));
    expect(maps(methodByName('lime', options))).toEqual(maps(limeMethod(options.lime)));
    expect(maps(methodByName('lime', options))).not.toEqual(maps(limeMethod({ patch: 6, samples: 12 })));
  });

  it('refuses an unknown name as a usage error listing the names', () => {
    let caught: unknown;
    try {
      methodByName('gradcam');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(XcnnError);
    expect((caught as XcnnError).exitCode).toBe(2);
    expect((caught as Error).message).toBe(`method: 'gradcam' is not one of ${METHOD_NAMES.join(', ')}`);
  });

  it('says which methods read each setting', () => {
    expect(METHOD_SETTINGS).toEqual({
      samples: ['smoothgrad', 'kernel-shap', 'lime'],
      sigma: ['smoothgrad'],
      steps: ['integrated-gradients'],
      window: ['occlusion'],
      stride: ['occlusion'],
      patch: ['kernel-shap', 'lime'],
      seed: ['smoothgrad', 'kernel-shap', 'lime'],
    });
  });
});
