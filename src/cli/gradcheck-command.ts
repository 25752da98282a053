/**
 * `xcnn gradcheck`: a network's hand-derived backward pass against float64 finite differences (the
 * library's gradcheck, as torch.autograd.gradcheck), then the WebAssembly kernels against the TypeScript
 * reference on the same weights (compareWithReference). Exit status 1 when either check fails.
 */
import { createWasmBackend } from '../backend/wasm/node.js';
import { usageError } from '../errors.js';
import { compareWithReference, gradcheck, type TensorCheck, type TensorDifference } from '../gradcheck.js';
import { realRange, wholeRange, type CommandSpec, type FlagValues } from './args.js';
import { checkArch, inputFlag, SEED_RANGE } from './common.js';

export const gradcheckSpec: CommandSpec = {
  name: 'gradcheck',
  brief: "Checks a network's gradients against finite differences.",
  summary:
    "Checks the hand-derived backward pass of the network a spec describes: the loss of a seeded batch differentiated with respect to the input and every parameter tensor, against central finite differences in float64, as torch.autograd.gradcheck does (an element passes when |numeric − analytic| ≤ atol + rtol·|numeric|). Then runs the same pass on the WebAssembly kernels and compares every gradient with the float64 reference. Exits with status 1 when a check fails.",
  usage: 'xcnn gradcheck [--arch SPEC|PRESET] [--input CxHxW] [--classes N] [--batch N] [--seed N] [--mode training|evaluation] [--samples N|all] [--eps X] [--atol X] [--rtol X] [--json]',
  flags: {
    arch: { type: 'string', value: 'SPEC|PRESET', default: 'paper', help: 'The network: a spec such as "conv(8,3) bn relu maxpool(2) flatten linear(10)", or a preset: paper, lenet5 or modern.', check: checkArch },
    input: { type: 'string', value: 'CxHxW', default: '1x28x28', help: 'The input of one image: 1 to 3 channels, height and width each 1 to 4096.', check: (text) => inputFlag(text) },
    classes: { type: 'string', value: 'N', default: '10', help: 'The class count: the last linear layer of a preset gets this many outputs.', range: wholeRange(1, 4096) },
    batch: { type: 'string', value: 'N', default: '2', help: "Images in the batch; batch norm's training statistics need 2 or more.", range: wholeRange(1, 64) },
    seed: { type: 'string', value: 'N', default: '0', help: "Seeds the weights, the images, the labels, dropout's mask and the elements sampled.", range: SEED_RANGE },
    mode: { type: 'string', value: 'training|evaluation', default: 'training', choices: ['training', 'evaluation'], help: 'Training mode uses batch statistics and a fixed dropout mask; evaluation mode the running statistics and no dropout.' },
    samples: { type: 'string', value: 'N|all', default: '16', help: 'Elements checked per tensor, a seeded sample (the float64 reference is slow: the modern preset takes about a minute at 16), or all of them.', check: samplesFlag },
    eps: { type: 'string', value: 'X', default: '1e-6', help: 'The finite-difference step.', range: realRange(0, 1, true) },
    atol: { type: 'string', value: 'X', default: '1e-5', help: 'The absolute tolerance of the finite-difference check.', range: realRange(0, 1) },
    rtol: { type: 'string', value: 'X', default: '1e-3', help: 'The relative tolerance of both checks.', range: realRange(0, 1) },
    json: { type: 'boolean', help: 'Print both reports as JSON.' },
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

/** --samples: a whole number from 1 to 1,000,000, or 'all'. */
function samplesFlag(text: string): number | 'all' {
  if (text === 'all') return 'all';
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 1_000_000) throw usageError(`--samples: '${text}' is not a whole number from 1 to 1,000,000 or 'all'`);
  return value;
}

export async function gradcheckCommand(values: FlagValues): Promise<number> {
  const input = inputFlag(String(values.input));
  const network = {
    arch: String(values.arch),
    input,
    classes: Number(values.classes),
    batch: Number(values.batch),
    seed: Number(values.seed),
    mode: String(values.mode) as 'training' | 'evaluation',
  };
  const json = values.json === true;
  const say = (line: string) => {
    if (!json) console.log(line);
  };
  say(`finite differences (float64, ${network.mode} mode, batch ${network.batch}, seed ${network.seed}): |numeric − analytic| ≤ ${values.atol} + ${values.rtol}·|numeric|`);
  say(TENSOR_HEADER);
  const report = gradcheck({
    ...network,
    samples: samplesFlag(String(values.samples)),
    eps: Number(values.eps),
    atol: Number(values.atol),
    rtol: Number(values.rtol),
    onTensor: (check) => say(tensorLine(check)),
  });
  say(report.passed ? 'passed: every element checked is within the tolerance' : `FAILED: ${failedNames(report.tensors)}`);
  const backend = await createWasmBackend();
  const build = describeBuild(backend);
  const kernels = (() => {
    try {
      return compareWithReference({ ...network, backend, rtol: Number(values.rtol) });
    } finally {
      backend.dispose();
    }
  })();
  say(`\nWebAssembly kernels (${build}, float32) against the float64 reference: |wasm − reference| ≤ 1e-4 + ${values.rtol}·|reference|`);
  say(DIFFERENCE_HEADER);
  for (const tensor of kernels.tensors) say(differenceLine(tensor));
  say(kernels.passed ? 'passed: every element is within the tolerance' : `FAILED: ${failedNames(kernels.tensors)}`);
  if (json) console.log(JSON.stringify({ gradcheck: report, kernels }, null, 2));
  return report.passed && kernels.passed ? 0 : 1;
}

const TENSOR_HEADER = `${'tensor'.padEnd(22)}${'elements'.padStart(10)}${'checked'.padStart(9)}${'at kinks'.padStart(10)}${'max abs err'.padStart(13)}${'max rel err'.padStart(13)}  worst (index: numeric vs analytic)`;
const DIFFERENCE_HEADER = `${'tensor'.padEnd(22)}${'elements'.padStart(10)}${'max abs err'.padStart(13)}${'max rel err'.padStart(13)}  worst (index: wasm vs reference)`;

function tensorLine(t: TensorCheck): string {
  const worst = t.worstIndex < 0 ? '—' : `${t.worstIndex}: ${t.numeric.toPrecision(6)} vs ${t.analytic.toPrecision(6)}`;
  return `${t.name.padEnd(22)}${String(t.elements).padStart(10)}${String(t.checked).padStart(9)}${String(t.atKinks).padStart(10)}${exp(t.maxAbsoluteError)}${exp(t.maxRelativeError)}  ${worst}${t.passed ? '' : '  FAILED'}`;
}

function differenceLine(t: TensorDifference): string {
  const worst = t.worstIndex < 0 ? '—' : `${t.worstIndex}: ${t.value.toPrecision(6)} vs ${t.reference.toPrecision(6)}`;
  return `${t.name.padEnd(22)}${String(t.elements).padStart(10)}${exp(t.maxAbsoluteError)}${exp(t.maxRelativeError)}  ${worst}${t.passed ? '' : '  FAILED'}`;
}

const exp = (value: number) => value.toExponential(2).padStart(13);

function failedNames(tensors: Array<{ name: string; passed: boolean }>): string {
  return tensors.filter((t) => !t.passed).map((t) => t.name).join(', ');
}

function describeBuild(backend: { build?: unknown }): string {
  return `${String(backend.build ?? 'simd')} build`;
}
