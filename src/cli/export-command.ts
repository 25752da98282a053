/**
 * `xcnn export`: a model in another format — ONNX (opset 13, for ONNX Runtime and every tool that reads
 * ONNX), or safetensors (xcnn's own, e.g. for the page, which reads only that). The model is loaded as
 * every command loads it, so a PyTorch state_dict with --arch converts to ONNX, and an ONNX file to
 * safetensors.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, extname } from 'node:path';
import { writeFileAtomic } from '../files/atomic-write.js';
import { usageError } from '../errors.js';
import { encodeModel } from '../model/model-file.js';
import { given, type CommandSpec, type FlagRule, type FlagValues } from './args.js';
import { archFlag, loadCommandModel } from './common.js';
import { checkOutputFolder } from './output-folder.js';

const FORMATS = ['onnx', 'safetensors'] as const;

const onlyOnnx: FlagRule = {
  applies: (values) => values.format === 'onnx',
  refusal: (flag, values) => `--${flag} applies only to --format onnx (a Softmax node after the logits); a ${values.format} file holds the weights only: leave --${flag} out`,
};

export const exportSpec: CommandSpec = {
  name: 'export',
  brief: 'Writes a model as ONNX (for ONNX Runtime) or as safetensors.',
  summary:
    'Writes a model in another format: ONNX (opset 13; float32 input [N, C, H, W] named input, a dynamic batch size, logits out; batch norm in evaluation form, no dropout; the spec and class names in its metadata) for ONNX Runtime, or safetensors. Any model a command loads can be exported: an xcnn model, a PyTorch state_dict with --arch, an ONNX file.',
  usage: 'xcnn export --out FILE [--model FILE] [--arch SPEC [--input CxHxW]] [--format onnx|safetensors] [--softmax]',
  flags: {
    model: { type: 'string', value: 'FILE', help: 'The model: a model.safetensors written by xcnn train, a PyTorch state_dict with --arch, or an .onnx file (default: the small pretrained MNIST model shipped in data/mnist-small.safetensors, said on stderr).' },
    ...archFlag,
    out: { type: 'string', value: 'FILE', help: 'The file to write, e.g. model.onnx; its folder is created if missing, an existing file is replaced.' },
    format: { type: 'string', value: 'onnx|safetensors', help: 'The format written.', default: 'onnx', choices: FORMATS },
    softmax: { type: 'boolean', help: 'End the ONNX graph with a Softmax: its output is probabilities, not logits.', appliesWhen: [onlyOnnx] },
    help: { type: 'boolean', help: 'Show this help.' },
  },
};

export async function exportCommand(values: FlagValues): Promise<void> {
  if (values.out === undefined) throw usageError('xcnn export needs --out FILE: where to write the model, e.g. --out model.onnx');
  const out = String(values.out);
  const format = String(values.format) as (typeof FORMATS)[number];
  const extension = extname(out).toLowerCase();
  const otherFormat = FORMATS.find((f) => f !== format && extension === `.${f}`);
  if (otherFormat !== undefined) {
    throw usageError(`--out ${out} names a .${otherFormat} file, but the format is ${format}${given(values, 'format') ? '' : ' (the default)'}: give --format ${otherFormat}, or an --out ending in .${format}`);
  }
  if (existsSync(out) && statSync(out).isDirectory()) throw usageError(`--out ${out} is a folder: give the file to write, e.g. --out ${out.replace(/\/+$/, '')}/model.${format}`);
  checkOutputFolder(dirname(out), { name: `the folder of --out ${out}` });
  const { modelPath, network, info } = await loadCommandModel({ ...values, backend: 'ts' });
  try {
    // The ONNX writer (and protobufjs) is loaded when it is used: every other command starts without it.
    const bytes = format === 'onnx' ? (await import('../onnx/onnx-export.js')).encodeOnnxModel(network, info, { softmax: values.softmax === true }) : encodeModel(network, info);
    writeFileAtomic(out, bytes);
    console.log(`${modelPath} → ${out} (${format}, ${network.spec}, ${bytes.length.toLocaleString('en-US')} bytes)`);
  } finally {
    network.dispose();
  }
}
