// examples/evaluate.mjs — the paper's metrics on the 10,000 test images.
import { createWasmBackend, evaluate, formatClassificationReport, formatConfusionMatrix, loadDataset, loadModel } from 'xcnn';

const backend = await createWasmBackend();
const { network, info } = loadModel('model.safetensors', backend);
const evaluation = evaluate(network, loadDataset().test, info.classNames);
console.log(`accuracy ${(100 * evaluation.accuracy).toFixed(2)}%, loss ${evaluation.loss.toFixed(4)}`);
console.log(formatClassificationReport(evaluation.report));
console.log(formatConfusionMatrix(evaluation.confusion, info.classNames));
