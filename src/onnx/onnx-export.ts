/**
 * Any network the spec describes as an ONNX model (opset 13), for ONNX Runtime and every other tool that
 * reads ONNX:
 *
 *   input   float32 [N, C, H, W] named `input`, N free (a dynamic batch dimension)
 *   output  float32 [N, classes] named `logits` — or `probabilities` with a Softmax over the classes
 *
 * One node a layer, named as the layer (conv1, bn1, pool1, fc1, …), its weights as initializers with the
 * state_dict's names (`conv1.weight`, `bn1.running_var`): conv → Conv (group 1, square kernel, the same
 * stride and padding on both axes), maxpool / avgpool → MaxPool / AveragePool (no padding, floor mode),
 * gap → GlobalAveragePool, bn → BatchNormalization in evaluation form (its running statistics, ε 10⁻⁵),
 * relu → Relu, flatten → Flatten (axis 1), linear → Gemm (transB = 1: the weight stays [out, in] as
 * PyTorch keeps it). Dropout is the identity in evaluation, so it has no node. The model's metadata
 * (format, arch, geometry, dataset, class_names, and training and metrics when the model has them) goes
 * into metadata_props, as in a model file, so importing the file back (onnx-import.ts) finds it.
 */
import { checkModel, checkModelInfo, checkOptions } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { infoMetadata, type ModelInfo } from '../model/model-file.js';
import type { Network } from '../model/network.js';
import { BATCH_NORM_EPSILON } from '../model/batch-norm.js';
import { encodeOnnxFile } from './onnx-file.js';
import { ATTRIBUTE_TYPE, DATA_TYPE, type OnnxAttribute, type OnnxNode, type OnnxTensor, type OnnxValueInfo } from './onnx-schema.js';
import { floatTensorProto } from './onnx-tensors.js';

export const ONNX_OPSET = 13;
/** The IR version ONNX 1.8 wrote with opset 13 (every ONNX Runtime since 1.6 reads it). */
export const ONNX_IR_VERSION = 7;

export interface OnnxExportOptions {
  /** End with a Softmax over the classes: the output is `probabilities` instead of `logits`. */
  softmax?: boolean;
}

const ints = (name: string, values: number[]): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPE.INTS, ints: values });
const int = (name: string, value: number): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPE.INT, i: value });
const float = (name: string, value: number): OnnxAttribute => ({ name, type: ATTRIBUTE_TYPE.FLOAT, f: value });

/** The network (built from a spec) and its info as the bytes of an .onnx file. */
export function encodeOnnxModel(network: Network, info: ModelInfo, options: OnnxExportOptions = {}): Uint8Array {
  checkModel('encodeOnnxModel', 'network', network);
  checkModelInfo('encodeOnnxModel', 'info', info);
  checkOptions('encodeOnnxModel', options);
  const plan = network.plan;
  if (plan === null) throw new XcnnError('exportOnnx: the network was assembled by hand, not built from a spec: only a network from createNetwork (or a model file) can be exported', { code: 'ERR_BAD_ARGUMENT' });
  const nodes: OnnxNode[] = [];
  const initializers: OnnxTensor[] = [];
  const weight = (name: string) => {
    const found = network.parameters.find((p) => p.name === name) ?? network.bufferViews.find((b) => b.name === name);
    initializers.push(floatTensorProto(name, found!.shape, found!.value));
    return name;
  };
  let value = 'input';
  for (const layer of plan.layers) {
    const { kind, args } = layer.spec;
    const node = (opType: string, inputs: string[], attribute: OnnxAttribute[] = []) => {
      nodes.push({ name: layer.name, opType, input: [value, ...inputs], output: [layer.name], attribute });
      value = layer.name;
    };
    switch (kind) {
      case 'conv':
        node('Conv', [weight(`${layer.name}.weight`), weight(`${layer.name}.bias`)], [
          ints('kernel_shape', [args.kernel, args.kernel]),
          ints('strides', [args.stride, args.stride]),
          ints('pads', [args.pad, args.pad, args.pad, args.pad]),
          ints('dilations', [1, 1]),
          int('group', 1),
        ]);
        break;
      case 'maxpool':
      case 'avgpool':
        node(kind === 'maxpool' ? 'MaxPool' : 'AveragePool', [], [ints('kernel_shape', [args.kernel, args.kernel]), ints('strides', [args.stride, args.stride])]);
        break;
      case 'gap':
        node('GlobalAveragePool', []);
        break;
      case 'bn':
        node('BatchNormalization', ['weight', 'bias', 'running_mean', 'running_var'].map((t) => weight(`${layer.name}.${t}`)), [float('epsilon', BATCH_NORM_EPSILON), float('momentum', 0.9)]);
        break;
      case 'relu':
        node('Relu', []);
        break;
      case 'flatten':
        node('Flatten', [], [int('axis', 1)]);
        break;
      case 'linear':
        node('Gemm', [weight(`${layer.name}.weight`), weight(`${layer.name}.bias`)], [float('alpha', 1), float('beta', 1), int('transB', 1)]);
        break;
      case 'dropout':
        break; // the identity in evaluation
    }
  }
  const { channels, height, width, classes } = plan.geometry;
  const outputName = options.softmax ? 'probabilities' : 'logits';
  // The last node makes the output: a spec's network ends in [classes], after a flatten or a linear layer (each a
  // node), and dropout layers alone never end there.
  if (options.softmax) nodes.push({ name: 'softmax', opType: 'Softmax', input: [value], output: [outputName], attribute: [int('axis', 1)] });
  else nodes[nodes.length - 1].output = [outputName];
  return encodeOnnxFile({
    irVersion: ONNX_IR_VERSION,
    opsetImport: [{ domain: '', version: ONNX_OPSET }],
    producerName: 'xcnn',
    graph: {
      name: 'xcnn',
      node: nodes,
      initializer: initializers,
      input: [valueInfo('input', ['N', channels, height, width])],
      output: [valueInfo(outputName, ['N', classes])],
    },
    metadataProps: Object.entries(infoMetadata(info, network)).map(([key, text]) => ({ key, value: text })),
  });
}

/** A float32 value's name and shape; a string dimension is a named (free) one. */
function valueInfo(name: string, shape: Array<number | string>): OnnxValueInfo {
  return {
    name,
    type: { tensorType: { elemType: DATA_TYPE.FLOAT, shape: { dim: shape.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } },
  };
}
