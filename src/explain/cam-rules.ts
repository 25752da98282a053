/**
 * The CAM rules a thread pool's workers can run (model-passes.ts camMaps): a worker is told a rule by its
 * place in this list, since a function cannot cross to another thread. A rule is one of these when its name
 * and its combine function are; any other (a method made with camMethod and a combine of one's own) runs on
 * the calling thread (ThreadPool.camMaps).
 */
import type { CamRule } from './model-passes.js';
import { gradCamMap, gradCamPlusPlusMap, hiResCamMap, layerCamMap, xGradCamMap } from './methods/cam.js';
import { EIGEN_CAM_RULE } from './methods/eigen-cam.js';

/** Grad-CAM's rule (Guided Grad-CAM's CAM factor reads it too). */
export const GRAD_CAM_RULE: CamRule = { name: 'grad-cam', combine: gradCamMap, gradients: true };

export const CAM_RULES: readonly CamRule[] = [
  GRAD_CAM_RULE,
  { name: 'grad-cam++', combine: gradCamPlusPlusMap, gradients: true },
  { name: 'xgrad-cam', combine: xGradCamMap, gradients: true },
  { name: 'layer-cam', combine: layerCamMap, gradients: true },
  { name: 'hires-cam', combine: hiResCamMap, gradients: true },
  EIGEN_CAM_RULE,
];

/** The rule's place in CAM_RULES, or −1 when the workers do not know it. */
export function camRuleIndex(rule: CamRule): number {
  return CAM_RULES.findIndex((known) => known.name === rule.name && known.combine === rule.combine && known.gradients === rule.gradients);
}
