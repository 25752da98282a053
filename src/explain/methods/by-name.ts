/**
 * The explanation methods by the names `xcnn explain --method` takes, each made with its options.
 */
import { checkOptionFields, checkString } from '../../argument-checks.js';
import { optionError } from '../../errors.js';
import { camMethod, gradCamMap, gradCamPlusPlusMap, hiResCamMap, layerCamMap, xGradCamMap } from './cam.js';
import { eigenCamMethod } from './eigen-cam.js';
import type { ExplanationMethod } from './explain.js';
import { guidedBackpropMethod, guidedGradCamMethod } from './guided.js';
import {
  gradientTimesInputMethod,
  INTEGRATED_GRADIENTS_OPTION_FIELDS,
  integratedGradientsMethod,
  saliencyMethod,
  SMOOTHGRAD_OPTION_FIELDS,
  smoothGradMethod,
  type IntegratedGradientsOptions,
  type SmoothGradOptions,
} from './input-gradients.js';
import {
  kernelShapMethod,
  limeMethod,
  OCCLUSION_OPTION_FIELDS,
  occlusionMethod,
  PATCH_SAMPLING_OPTION_FIELDS,
  type OcclusionOptions,
  type PatchSamplingOptions,
} from './perturbation.js';
import { scoreCamMethod } from './score-cam.js';

export const METHOD_NAMES = [
  'grad-cam',
  'grad-cam++',
  'xgrad-cam',
  'layer-cam',
  'hires-cam',
  'eigen-cam',
  'score-cam',
  'saliency',
  'gradient-x-input',
  'smoothgrad',
  'integrated-gradients',
  'guided-backprop',
  'guided-grad-cam',
  'occlusion',
  'kernel-shap',
  'lime',
] as const;

export type MethodName = (typeof METHOD_NAMES)[number];

/**
 * The settings each method reads (methodByName hands each method its own): a setting given for another
 * method is refused rather than ignored, by the command line and the library alike (`samples` means noisy
 * copies for one method and coalitions for another).
 */
export const METHOD_SETTINGS = {
  samples: ['smoothgrad', 'kernel-shap', 'lime'],
  sigma: ['smoothgrad'],
  steps: ['integrated-gradients'],
  window: ['occlusion'],
  stride: ['occlusion'],
  patch: ['kernel-shap', 'lime'],
  seed: ['smoothgrad', 'kernel-shap', 'lime'],
} as const satisfies Record<string, readonly MethodName[]>;

export interface MethodOptions {
  smoothGrad?: Partial<SmoothGradOptions>;
  integratedGradients?: Partial<IntegratedGradientsOptions>;
  occlusion?: Partial<OcclusionOptions>;
  kernelShap?: Partial<PatchSamplingOptions>;
  lime?: Partial<PatchSamplingOptions>;
}

export function isMethodName(name: string): name is MethodName {
  return (METHOD_NAMES as readonly string[]).includes(name);
}

/** Each method's options in MethodOptions, and the fields each holds. */
const METHOD_OPTION_FIELDS = {
  smoothGrad: SMOOTHGRAD_OPTION_FIELDS,
  integratedGradients: INTEGRATED_GRADIENTS_OPTION_FIELDS,
  occlusion: OCCLUSION_OPTION_FIELDS,
  kernelShap: PATCH_SAMPLING_OPTION_FIELDS,
  lime: PATCH_SAMPLING_OPTION_FIELDS,
} as const;

/**
 * The method called `name`; an unknown name is a usage error listing the names. Every method's options are
 * checked, the chosen one's or not: a misspelt or mistyped setting is refused, not left to its default.
 */
export function methodByName(name: string, options: MethodOptions = {}): ExplanationMethod {
  checkString('methodByName', 'name', name, `a method name (${METHOD_NAMES.join(', ')})`);
  checkOptionFields('methodByName', 'options', options, { smoothGrad: 'object', integratedGradients: 'object', occlusion: 'object', kernelShap: 'object', lime: 'object' });
  for (const [method, fields] of Object.entries(METHOD_OPTION_FIELDS)) checkOptionFields('methodByName', `options.${method}`, options[method as keyof MethodOptions], fields);
  if (!isMethodName(name)) throw optionError('method', `method: '${name}' is not one of ${METHOD_NAMES.join(', ')}`);
  switch (name) {
    case 'grad-cam':
      return camMethod(name, 'Grad-CAM', gradCamMap);
    case 'grad-cam++':
      return camMethod(name, 'Grad-CAM++', gradCamPlusPlusMap);
    case 'xgrad-cam':
      return camMethod(name, 'XGrad-CAM', xGradCamMap);
    case 'layer-cam':
      return camMethod(name, 'LayerCAM', layerCamMap);
    case 'hires-cam':
      return camMethod(name, 'HiResCAM', hiResCamMap);
    case 'eigen-cam':
      return eigenCamMethod();
    case 'score-cam':
      return scoreCamMethod();
    case 'saliency':
      return saliencyMethod();
    case 'gradient-x-input':
      return gradientTimesInputMethod();
    case 'smoothgrad':
      return smoothGradMethod(options.smoothGrad);
    case 'integrated-gradients':
      return integratedGradientsMethod(options.integratedGradients);
    case 'guided-backprop':
      return guidedBackpropMethod();
    case 'guided-grad-cam':
      return guidedGradCamMethod();
    case 'occlusion':
      return occlusionMethod(options.occlusion);
    case 'kernel-shap':
      return kernelShapMethod(options.kernelShap);
    case 'lime':
      return limeMethod(options.lime);
  }
}
