/**
 * A run's settings made into the objects that train with them: the optimiser (with clipping around it) and
 * the trainer's schedule and early-stopping options. The CLI, checkpoints and trainClassifier all build
 * through here, so a resumed run trains exactly as the one that wrote its checkpoint.
 */
import type { Network } from '../model/network.js';
import { Adam, AdamW } from './adam.js';
import { parseAugmentations } from './augment.js';
import { ClippedOptimizer } from './gradient-clipping.js';
import type { Optimizer } from './optimizer.js';
import type { TrainSettings } from './settings.js';
import { Sgd } from './sgd.js';
import type { TrainOptions } from './trainer.js';

/** The optimiser the settings name, at their learning rate, clipped when they say so. */
export function createOptimizer(network: Network, settings: TrainSettings): Optimizer {
  const { learningRate, beta1, beta2, epsilon } = settings;
  const chosen = settings.optimizer;
  let optimizer: Optimizer;
  if (chosen === undefined || chosen.name === 'adam') optimizer = new Adam(network, { learningRate, beta1, beta2, epsilon }, chosen?.weightDecay ?? 0);
  else if (chosen.name === 'adamw') optimizer = new AdamW(network, { learningRate, beta1, beta2, epsilon }, chosen.weightDecay);
  else optimizer = new Sgd(network, { learningRate, momentum: chosen.momentum, nesterov: chosen.nesterov, weightDecay: chosen.weightDecay });
  return settings.clipNorm === undefined ? optimizer : new ClippedOptimizer(optimizer, network, settings.clipNorm);
}

/** The trainer's options the settings decide: the schedule (none for a constant rate), early stopping, label smoothing. */
export function recipeOptions(settings: TrainSettings): Pick<TrainOptions, 'schedule' | 'patience' | 'monitor' | 'labelSmoothing' | 'augment'> {
  return {
    ...(settings.augment === undefined ? {} : { augment: parseAugmentations(settings.augment) }),
    ...(settings.labelSmoothing === undefined ? {} : { labelSmoothing: settings.labelSmoothing }),
    ...(settings.schedule === undefined ? {} : { schedule: { settings: settings.schedule, learningRate: settings.learningRate } }),
    ...(settings.patience === undefined ? {} : { patience: settings.patience }),
    ...(settings.monitor === undefined ? {} : { monitor: settings.monitor }),
  };
}

/** True when the settings are the paper's update: Adam, no decay, no clipping, a constant rate (the thread pool's sharded Adam kernel). */
export function isPlainAdam(optimizer: Optimizer): optimizer is Adam {
  return optimizer instanceof Adam && optimizer.name === 'adam' && optimizer.weightDecay === 0;
}
