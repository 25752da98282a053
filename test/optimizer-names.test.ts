/**
 * The optimisers' names (src/train/optimizer.ts): the three that --optimizer, trainClassifier's `optimizer` and
 * checkpoints take, each the name of the optimiser the recipe builds for it (torch.optim's Adam, AdamW, SGD).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createNetwork } from '../src/model/network.js';
import { ADAM_DEFAULTS } from '../src/train/adam.js';
import { OPTIMIZER_NAMES } from '../src/train/optimizer.js';
import { createOptimizer } from '../src/train/recipe.js';
import type { TrainSettings } from '../src/train/settings.js';

describe('OPTIMIZER_NAMES', () => {
  it('are adam, adamw and sgd, in that order (the order the messages list them in)', () => {
    expect(OPTIMIZER_NAMES).toEqual(['adam', 'adamw', 'sgd']);
  });

  it('each names the optimiser the recipe builds for it', () => {
    const network = createNetwork(new ReferenceBackend(), 'flatten linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
    const settings: TrainSettings = { ...ADAM_DEFAULTS, epochs: 1, batchSize: 1, seed: 1, arch: 'flatten linear(2)', data: null, limit: null, testLimit: null, backend: 'ts', threads: 1, checkpointEvery: null };
    for (const name of OPTIMIZER_NAMES) {
      const optimizer = createOptimizer(network, { ...settings, optimizer: { name, weightDecay: 0, momentum: 0, nesterov: false } });
      expect(optimizer.name).toBe(name);
      optimizer.dispose();
    }
  });
});
