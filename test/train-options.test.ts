/**
 * What `train` refuses before its first step (checkTrainOptions in src/train/trainer.ts): each bad epoch count,
 * batch size, missing, mismatched or empty set and out-of-range label, with its exact message and code; and the
 * boundaries it takes (one epoch, a batch of one, a label of classes − 1).
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { XcnnError } from '../src/errors.js';
import { createNetwork } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { checkTrainOptions, createTrainingState, restoreBest, train, type TrainOptions } from '../src/train/trainer.js';

// Three classes of 1×2 images.
const network = createNetwork(new ReferenceBackend(), 'flatten linear(3)', { channels: 1, height: 1, width: 2, classes: 3 });
const set = (labels: number[]): ImageSet => ({ count: labels.length, height: 1, width: 2, images: new Uint8Array(2 * labels.length), labels: Uint8Array.from(labels) });
const OPTIONS: TrainOptions = { epochs: 1, batchSize: 1, train: set([0, 1, 2]), test: set([2]) };

function errorOf(options: Partial<TrainOptions> | Record<string, unknown>): XcnnError {
  try {
    checkTrainOptions(network, { ...OPTIONS, ...options } as TrainOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return error as XcnnError;
  }
  throw new Error('expected an error');
}

describe('checkTrainOptions', () => {
  it('takes one epoch, a batch of one and labels up to classes − 1', () => {
    expect(() => checkTrainOptions(network, OPTIONS)).not.toThrow();
  });

  it('refuses an epoch count or batch size that is not a whole number ≥ 1 (ERR_BAD_ARGUMENT)', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ epochs: 0 }, 'train: epochs 0 is not a whole number ≥ 1'],
      [{ epochs: 1.5 }, 'train: epochs 1.5 is not a whole number ≥ 1'],
      [{ epochs: '2' }, 'train: epochs 2 is not a whole number ≥ 1'],
      [{ epochs: 2 ** 53 }, 'train: epochs 9007199254740992 is not a whole number ≥ 1'],
      [{ batchSize: -1 }, 'train: batchSize -1 is not a whole number ≥ 1'],
      [{ batchSize: undefined }, 'train: batchSize undefined is not a whole number ≥ 1'],
    ];
    for (const [change, message] of cases) {
      const error = errorOf(change);
      expect(error.message).toBe(message);
      expect(error.code).toBe('ERR_BAD_ARGUMENT');
    }
  });

  it('refuses a missing set, naming it and how to get one', () => {
    const train = errorOf({ train: undefined });
    expect(train.message).toBe('train: the train set is missing; give an image set (such as loadDataset().train)');
    expect(train.code).toBe('ERR_BAD_ARGUMENT');
    expect(errorOf({ test: null }).message).toBe('train: the test set is missing; give an image set (such as loadDataset().test)');
    expect(errorOf({ test: 'digits' }).message).toBe('train: the test set is missing; give an image set (such as loadDataset().test)');
  });

  it('refuses images that are not the network\'s input, in the set\'s name', () => {
    const error = errorOf({ test: { ...set([0]), width: 3, images: new Uint8Array(3) } });
    expect(error.message).toBe('train: the test set: the images are 1×3 but the model takes 1×2');
    expect(error.code).toBe('ERR_BAD_IMAGE');
  });

  it('refuses an empty set (ERR_BAD_DATA)', () => {
    const train = errorOf({ train: set([]) });
    expect(train.message).toBe('train: the train set is empty; give at least one labelled image');
    expect(train.code).toBe('ERR_BAD_DATA');
    expect(errorOf({ test: set([]) }).message).toBe('train: the test set is empty; give at least one labelled image');
  });

  it('refuses the first label at or past the class count, naming it, its image and the classes', () => {
    const train = errorOf({ train: set([0, 3, 5]) });
    expect(train.message).toBe("train: the train set's label 3 (image 1) is outside the network's 3 classes (0 to 2)");
    expect(train.code).toBe('ERR_BAD_DATA');
    expect(errorOf({ test: set([1, 2, 0, 9]) }).message).toBe("train: the test set's label 9 (image 3) is outside the network's 3 classes (0 to 2)");
  });
});

describe('train refusals found by the train group\'s run', () => {
  it('names the function, the argument and what it must be when createTrainingState or train is given the wrong thing', async () => {
    const optimizer = new Adam(network);
    const random = new Random(1);
    const refusalOf = async (run: () => unknown): Promise<[string | undefined, string]> => {
      try {
        await run();
      } catch (error) {
        expect(error).toBeInstanceOf(XcnnError);
        return [(error as XcnnError).code, (error as Error).message];
      }
      return [undefined, 'accepted'];
    };
    const anyState = createTrainingState as (...args: unknown[]) => unknown;
    expect(await refusalOf(() => anyState(null, optimizer, random))).toEqual(['ERR_BAD_ARGUMENT', 'createTrainingState: network must be a network (createNetwork, loadModel, loadModelFromBytes), not null']);
    expect(await refusalOf(() => anyState(network, null, random))).toEqual(['ERR_BAD_ARGUMENT', 'createTrainingState: optimizer must be an object (an optimiser: new Adam(network), say), not null']);
    expect(await refusalOf(() => anyState(network, optimizer, null))).toEqual(['ERR_BAD_ARGUMENT', 'createTrainingState: random must be a Random (new Random(seed)), not null']);
    const anyTrain = train as (...args: unknown[]) => Promise<unknown>;
    expect(await refusalOf(() => anyTrain(null, OPTIONS))).toEqual(['ERR_BAD_ARGUMENT', 'train: state must be an object (network, optimiser and progress, as createTrainingState gives it), not null']);
    expect(await refusalOf(() => anyTrain(createTrainingState(network, optimizer, random), null))).toEqual(['ERR_BAD_ARGUMENT', 'train: options must be an object (the sets, the settings and the callbacks), not null']);
  });

  it('refuses a patience that is not a whole number ≥ 1, patience without a validation set and an unknown monitor, each ERR_BAD_ARGUMENT', () => {
    const validation = set([1]);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ patience: 0, validation }, 'train: patience 0 is not a whole number ≥ 1'],
      [{ patience: 2.5, validation }, 'train: patience 2.5 is not a whole number ≥ 1'],
      [{ patience: 2 }, 'train: patience needs a validation set to watch; give validation (e.g. from --val-split)'],
      [{ monitor: 'loss', validation }, 'train: monitor loss is not val-loss or val-accuracy'],
    ];
    for (const [change, message] of cases) {
      const error = errorOf(change);
      expect(error.message).toBe(message);
      expect(error.code).toBe('ERR_BAD_ARGUMENT');
    }
  });

  it('takes either monitor, with or without patience', () => {
    for (const monitor of ['val-loss', 'val-accuracy'] as const) {
      expect(() => checkTrainOptions(network, { ...OPTIONS, validation: set([1]), monitor })).not.toThrow();
      expect(() => checkTrainOptions(network, { ...OPTIONS, validation: set([1]), monitor, patience: 1 })).not.toThrow();
    }
  });

  it('restoreBest leaves the weights alone when there is no best epoch', () => {
    const state = createTrainingState(network, new Adam(network), new Random(1));
    network.params.set(network.params.map((_, k) => k / 8));
    const before = Array.from(network.params);
    restoreBest(state);
    expect(Array.from(network.params)).toEqual(before);
  });


  it('refuses an out-of-range label on the first image too', () => {
    expect(errorOf({ train: set([3, 0, 1]) }).message).toBe("train: the train set's label 3 (image 0) is outside the network's 3 classes (0 to 2)");
  });

  it('stops a run whose loss is not finite with code ERR_DIVERGED', async () => {
    const state = createTrainingState(network, new Adam(network), new Random(1));
    const step = { run: () => ({ loss: Infinity, correct: 0 }) };
    const error = await train(state, { ...OPTIONS, compute: { step, predictor: network } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(XcnnError);
    expect((error as XcnnError).message).toBe('training diverged: the loss became Infinity at step 1 (epoch 1); the weights were not updated with it and no model was written from it — try a smaller --lr');
    expect((error as XcnnError).code).toBe('ERR_DIVERGED');
  });
});
