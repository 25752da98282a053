/** `xcnn evaluate`: accuracy, confusion matrix and the paper-style classification report of a model. */
import { evaluate, evaluationJson } from '../eval/evaluate.js';
import { formatClassificationReport, formatConfusionMatrix } from '../eval/format.js';
import type { CommandSpec, FlagValues } from './args.js';
import { archFlag, backendFlag, dataFlag, loadCommandModel, loadDataFor, testLimitFlag, threadsFlag } from './common.js';
import { ThreadPool } from '../parallel/thread-pool.js';

export const evaluateSpec: CommandSpec = {
  name: 'evaluate',
  brief: 'Evaluates a model: accuracy, confusion matrix, per-class F1.',
  summary: 'Evaluates a model on the test set: accuracy, the confusion matrix and precision / recall / F1 per class with macro and weighted averages.',
  usage: 'xcnn evaluate [--model FILE] [--arch SPEC [--input CxHxW]] [--data DIR] [--test-limit N] [--json] [--backend ts|wasm] [--threads N]',
  flags: {
    model: { type: 'string', value: 'FILE', help: 'A model.safetensors written by xcnn train, or a PyTorch state_dict (with --arch for an nn.Sequential\'s numeric names; default: the small pretrained MNIST model shipped in data/mnist-small.safetensors, said on stderr).' },
    ...archFlag,
    ...dataFlag,
    ...testLimitFlag,
    json: { type: 'boolean', help: 'Print the results as JSON.' },
    ...backendFlag,
    ...threadsFlag,
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

export async function evaluateCommand(values: FlagValues): Promise<void> {
  const { modelPath, network, info, threads } = await loadCommandModel(values);
  const dataset = loadDataFor(values, info);
  const pool = threads > 1 ? await ThreadPool.create(network, threads) : null;
  const evaluation = evaluate(pool ?? network, dataset.test, info.classNames);
  await pool?.close();
  if (values.json) {
    console.log(JSON.stringify({ model: modelPath, dataset: dataset.name, classNames: info.classNames, ...evaluationJson(evaluation) }, null, 2));
    return;
  }
  console.log(`${modelPath}: test accuracy ${(100 * evaluation.accuracy).toFixed(2)}% on ${evaluation.count} ${dataset.name} images (loss ${evaluation.loss.toFixed(4)})\n`);
  console.log(formatClassificationReport(evaluation.report));
  console.log(`\n${formatConfusionMatrix(evaluation.confusion, info.classNames)}`);
}
