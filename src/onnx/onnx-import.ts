/**
 * An ONNX model as an xcnn network: the graph is checked and mapped to a spec (spec.ts) plus weights, so
 * every command and the library explain, evaluate and fine-tune a small CNN from PyTorch
 * (`torch.onnx.export`), Keras (tf2onnx) or any tool that writes ONNX.
 *
 * The graph must be a chain: one float32 input [N, C, H, W], each node taking the value the one before it
 * made (plus constants), one output. Node by node:
 *
 *   Conv                 conv(OUT,K,stride=S,pad=P): group 1, a square kernel, dilation 1, the same stride
 *                        on both axes and the same padding on all four sides (explicit, or auto_pad VALID /
 *                        SAME_UPPER / SAME_LOWER when that works out symmetric); no bias input → zero bias
 *   Relu                 relu
 *   MaxPool, AveragePool maxpool(K,stride=S) / avgpool: a square window, no padding, dilation 1, floor mode
 *                        (ceil mode where it gives the same size); without padding count_include_pad
 *                        changes nothing
 *   GlobalAveragePool    gap
 *   BatchNormalization   bn, its running statistics (evaluation form); an ε other than 10⁻⁵ is folded into
 *                        the running variance (var + ε − 10⁻⁵), so the normalisation is the same
 *   Flatten (axis 1), Reshape to [N, −1] (or [0, −1], [−1, C·H·W], [N, C·H·W])   flatten
 *   Gemm                 linear(OUT): transA 0; transB either way (the weight becomes [out, in]); alpha
 *                        scales the weight, beta the bias
 *   MatMul (+ Add)       linear(OUT): the weight [in, out] transposed; the Add right after gives the bias
 *   Dropout              dropout(p) (the identity in evaluation; kept so that fine-tuning has it)
 *   Identity, Pad        nothing (a Pad only when it adds no padding, as torch.onnx.export writes before an
 *                        AveragePool; an Identity of a constant is that constant)
 *   Softmax              only last, and removed: xcnn explains the logits
 *   Transpose            first, perm [0, 3, 1, 2]: an NHWC input (tf2onnx's Keras models); the network
 *                        then takes NCHW images, as every xcnn model does. Or perm [0, 2, 3, 1] right before
 *                        the Flatten (Keras flattens channels last): folded into the next linear layer's
 *                        weight, whose columns are reordered to xcnn's [C, H, W] flatten
 *
 * An input named '' is absent (ONNX's name for an optional input that is not given): an optional input so
 * named is left out (Conv's or Gemm's bias, Dropout's ratio and training_mode, Slice's axes and steps, Unsqueeze's
 * axes), and a required one is refused in one line naming the node, its op type and the input. A value is never
 * stored or looked up under ''.
 *
 * The shape arithmetic torch.onnx.export writes before a Reshape (`x.view(x.size(0), -1)`: Shape → Gather →
 * Unsqueeze → Concat with a constant) is folded: Constant, Shape, Gather, Unsqueeze, Squeeze, Concat, Slice
 * and Cast on integer constants, with the batch size a symbol.
 *
 * Everything is checked before the network is allocated: every op type (all the unsupported ones are named
 * in one line, with the first such node), every attribute the spec cannot express (pool padding, asymmetric
 * padding, groups, dilation, …: the node, its op type and what xcnn takes), and every weight's dims against
 * the layer's. Class names come from metadata_props' `class_names` when present (xcnn's exports write it),
 * else 0 … K−1; an xcnn export's `arch` is taken as the spec when it is the graph's (it keeps the dropout
 * layers the export left out).
 */
import { checkBackend, checkBytes, checkObject, checkOptions, checkString } from '../argument-checks.js';
import type { Backend } from '../backend/backend.js';
import { XcnnError } from '../errors.js';
import { BATCH_NORM_EPSILON } from '../model/batch-norm.js';
import type { LayerSpec } from '../model/layer-kinds.js';
import { LAYER_KINDS } from '../model/layer-kinds.js';
import { readInfo, type LoadedModel, type ModelLoadOptions } from '../model/model-file.js';
import { createNetwork, type NetworkGeometry } from '../model/network.js';
import { formatSpec, layerNames, parseSpec, planNetwork, resolveSpec, type NetworkPlan } from '../model/spec.js';
import { decodeOnnxFile } from './onnx-file.js';
import { DATA_TYPE, int64Value, type OnnxAttribute, type OnnxModel, type OnnxNode, type OnnxTensor } from './onnx-schema.js';
import { boolScalar, dataTypeName, floatTensor, intTensor, TensorProblem, tensorDims } from './onnx-tensors.js';

/** The op types a layer or a fold stands for. */
const LAYER_OPS = ['Conv', 'Relu', 'MaxPool', 'AveragePool', 'GlobalAveragePool', 'BatchNormalization', 'Flatten', 'Reshape', 'Gemm', 'MatMul', 'Add', 'Dropout', 'Identity', 'Pad', 'Softmax', 'Transpose'];
const FOLDED_OPS = ['Constant', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Slice', 'Cast'];
export const SUPPORTED_OPS = [...LAYER_OPS, ...FOLDED_OPS];

/** A weight to be read once the graph is known to map: its tensor, and how it becomes xcnn's. */
interface PendingTensor {
  tensor: OnnxTensor;
  dims: number[]; // as xcnn stores it
  transpose?: boolean; // a 2-D [in, out] stored, [out, in] wanted
  channelsLast?: number[]; // [C, H, W]: the weight's inputs are a flatten of [H, W, C] (Keras'), xcnn's of [C, H, W]
  scale?: number; // Gemm's alpha or beta
  offset?: number; // added after (batch norm's ε folded into the variance)
  zeros?: boolean; // no tensor: a missing bias
}

interface MappedLayer {
  spec: LayerSpec;
  tensors: Record<string, PendingTensor>; // 'weight', 'bias', 'running_mean', …
  matmul?: boolean; // a MatMul whose bias an Add may still give
}

/** A folded integer value: dims and elements; 'N' is the batch size, unknown until run time. */
interface Folded {
  dims: number[];
  values: Array<number | 'N'>;
}

/** What an ONNX graph maps to: the spec, the input geometry and the weights by xcnn's tensor names. */
export interface OnnxNetwork {
  spec: string;
  geometry: NetworkGeometry;
  tensors: Map<string, Float32Array>;
  metadata: Record<string, string>;
}

function refuse(source: string, problem: string): XcnnError {
  return new XcnnError(`${source}: ${problem}`, { code: 'ERR_BAD_MODEL' });
}

/** A node as messages name it: `node 'conv1' (Conv)`. */
function describe(node: OnnxNode): string {
  return `node '${node.name || node.output?.[0] || '?'}' (${node.opType})`;
}

/** A node's k-th input, or null when it is absent: past the end of its list, or '' (ONNX's "not given"). */
function optionalInput(node: OnnxNode, k: number): string | null {
  const name = node.input?.[k];
  return name === undefined || name === '' ? null : name;
}

/** A node's k-th input, which its op needs: an absent one is refused, naming the node and the input. */
function requiredInput(node: OnnxNode, k: number, what: string, source: string): string {
  const name = optionalInput(node, k);
  if (name === null) throw refuse(source, `${describe(node)}: its ${what} is absent (input ${k + 1} ${node.input?.[k] === '' ? "named ''" : 'not given'}), which ${node.opType} requires`);
  return name;
}

/** The bytes of an .onnx file as a network on `backend`, with its info (model-file.ts's LoadedModel). */
export function decodeOnnxModel(bytes: Uint8Array, source: string, backend: Backend, options: ModelLoadOptions = {}): LoadedModel {
  checkBytes('decodeOnnxModel', 'bytes', bytes);
  checkBackend('decodeOnnxModel', 'backend', backend);
  const mapped = readOnnxNetwork(decodeOnnxFile(bytes, source), source, options);
  const network = createNetwork(backend, mapped.spec, mapped.geometry);
  try {
    for (const p of [...network.parameters, ...network.bufferViews]) {
      const data = mapped.tensors.get(p.name);
      if (data !== undefined) p.value.set(data);
    }
    const { geometry: _, ...metadata } = mapped.metadata;
    const info = readInfo({ tensors: new Map(), metadata: { dataset: 'onnx', ...metadata } }, source, network);
    return { network, info };
  } catch (error) {
    network.dispose();
    throw error;
  }
}

/** Maps a decoded model's graph to a spec, geometry and weights, or refuses it in one line. */
export function readOnnxNetwork(model: OnnxModel, source: string, options: ModelLoadOptions = {}): OnnxNetwork {
  checkObject('readOnnxNetwork', 'model', model, 'a decoded ONNX ModelProto: its graph and opset');
  checkString('readOnnxNetwork', 'source', source, 'a string (the file name, for messages)');
  checkOptions('readOnnxNetwork', options);
  const graph = model.graph;
  if (graph === undefined || (graph.node ?? []).length === 0) throw refuse(source, 'the ONNX file has no graph (no nodes): not a model');
  const nodes = graph.node!;
  const opset = opsetOf(model, source);
  checkOpTypes(nodes, source);

  // Constant tensors by value name: initializers and Constant nodes' float tensors.
  const constants = new Map<string, OnnxTensor>();
  for (const tensor of graph.initializer ?? []) if (tensor.name) constants.set(tensor.name, tensor);
  const folded = new Map<string, Folded>();

  const inputs = (graph.input ?? []).filter((v) => !constants.has(v.name ?? ''));
  if (inputs.length !== 1) throw refuse(source, `the ONNX graph has ${inputs.length} inputs (${inputs.map((v) => v.name).join(', ') || 'none'}); xcnn's networks take one image batch`);
  const input = inputs[0];
  if (!input.name) throw refuse(source, "the ONNX graph's input has no name (''): the nodes cannot refer to it; name it (torch.onnx.export's input_names)");
  const elemType = input.type?.tensorType?.elemType;
  if (elemType !== DATA_TYPE.FLOAT) throw refuse(source, `the ONNX graph's input '${input.name}' is ${dataTypeName(elemType)}, not FLOAT: xcnn feeds float32 images`);
  const inputDims = (input.type?.tensorType?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue === undefined ? '?' : int64Value(d.dimValue) ?? '?'));
  if (inputDims.length !== 4) throw refuse(source, `the ONNX graph's input '${input.name}' has shape [${inputDims.join(', ')}]; xcnn takes images [N, C, H, W]`);

  let current = input.name;
  let shape: number[] | null = null; // per sample, once the layout (NCHW or NHWC) is known
  let nhwc = false;
  const layers: MappedLayer[] = [];
  let softmaxAt: OnnxNode | null = null;
  // A Transpose to [N, H, W, C] before the flatten (Keras flattens channels last): the next linear layer's
  // weight columns are reordered to xcnn's [C, H, W] flatten instead.
  let channelsLast: { node: OnnxNode; shape: number[] } | null = null;

  const geometryFrom = (channelsLastInput: boolean): number[] => {
    const [c, h, w] = channelsLastInput ? [inputDims[3], inputDims[1], inputDims[2]] : [inputDims[1], inputDims[2], inputDims[3]];
    const given = options.input;
    const size = (value: number | string, what: 'channels' | 'height' | 'width'): number => {
      const wanted = given?.[what];
      if (typeof value === 'number') {
        if (wanted !== undefined && wanted !== value) throw new XcnnError(`${source}: the input is given as ${what} ${wanted}, but the ONNX graph's input '${input.name}' has ${value}: leave --input out`, { exitCode: 2 });
        return value;
      }
      if (wanted === undefined) throw new XcnnError(`${source}: the ONNX graph's input '${input.name}' has a free ${what} ('${value}'): give the image size with --input CxHxW`, { exitCode: 2, code: 'ERR_BAD_ARGUMENT' });
      return wanted;
    };
    return [size(c, 'channels'), size(h, 'height'), size(w, 'width')];
  };

  /** The constant tensor of a node's k-th input, which must be given. */
  const tensorOf = (node: OnnxNode, k: number, what: string): OnnxTensor => {
    const name = requiredInput(node, k, what, source);
    const tensor = constants.get(name);
    if (tensor === undefined) throw refuse(source, `${describe(node)}: its ${what} '${name}' is not a constant (an initializer): xcnn reads weights stored in the file`);
    return tensor;
  };
  const dimsOf = (tensor: OnnxTensor, node: OnnxNode, what: string): number[] => {
    try {
      return tensorDims(tensor);
    } catch (error) {
      throw refuse(source, `${describe(node)}: its ${what} '${tensor.name}': ${(error as Error).message}`);
    }
  };
  const push = (node: OnnxNode, spec: LayerSpec, tensors: Record<string, PendingTensor> = {}, matmul = false) => {
    const result = LAYER_KINDS[spec.kind].outputShape(spec.args, shape!);
    if ('problem' in result) throw refuse(source, `${describe(node)} cannot take its input [${shape!.join(', ')}]: ${result.problem}`);
    layers.push({ spec, tensors, matmul });
    shape = result.shape;
  };

  for (const node of nodes) {
    const op = node.opType!;
    const nodeInputs = node.input ?? [];
    const output = node.output?.[0] ?? '';
    if (FOLDED_OPS.includes(op) && (op === 'Shape' ? nodeInputs[0] === current : true)) {
      // An output named '' is not made: a value nothing can take.
      if (output === '') continue;
      if (op === 'Constant') {
        const value = constantValue(node, source);
        if ('tensor' in value) constants.set(output, value.tensor);
        else folded.set(output, value.folded);
        continue;
      }
      if (op === 'Shape') {
        if (shape === null) shape = geometryFrom(false);
        folded.set(output, vector(['N', ...shape]));
        continue;
      }
      folded.set(output, fold(node, folded, constants, opset, source));
      continue;
    }
    const identityOf = op === 'Identity' ? optionalInput(node, 0) : null;
    if (identityOf !== null && constants.has(identityOf)) {
      // torch.onnx.export writes one initializer for equal tensors and Identity nodes for the others.
      if (output !== '') constants.set(output, constants.get(identityOf)!);
      continue;
    }
    const mainInput = op === 'Add' && nodeInputs[1] === current ? 1 : 0;
    const taken = requiredInput(node, mainInput, 'data', source);
    if (taken !== current) {
      throw refuse(source, `${describe(node)} takes '${taken}', which is not the value the node before it made ('${current}'): xcnn runs a chain of layers (no branches or skip connections)`);
    }
    if (output === '') throw refuse(source, `${describe(node)}: its output is absent (${node.output?.[0] === '' ? "named ''" : 'not given'}): xcnn runs a chain of layers, each node's output the next one's input`);
    if (softmaxAt !== null) throw refuse(source, `${describe(node)} comes after the Softmax ${describe(softmaxAt)}; xcnn takes a Softmax only as the last node`);
    if (op === 'Transpose') {
      const perm = intsAttribute(node, 'perm', source) ?? [];
      if (perm.join(',') === '0,2,3,1' && shape !== null && shape.length === 3 && channelsLast === null) {
        channelsLast = { node, shape };
        current = output;
        continue;
      }
      if (shape !== null || perm.join(',') !== '0,3,1,2') {
        throw refuse(source, `${describe(node)} with perm [${perm.join(', ')}]: xcnn takes a Transpose only first, from NHWC to NCHW (perm [0, 3, 1, 2]), or to NHWC (perm [0, 2, 3, 1]) right before a Flatten and a linear layer`);
      }
      nhwc = true;
      shape = geometryFrom(true);
      current = output;
      continue;
    }
    if (shape === null) shape = geometryFrom(false);
    if (channelsLast !== null) {
      const flat = shape.length === 1;
      const allowed = flat ? ['Gemm', 'MatMul', 'Relu', 'Dropout', 'Identity'] : ['Flatten', 'Reshape', 'Identity'];
      if (!allowed.includes(op)) throw refuse(source, `${describe(node)} after the Transpose to NHWC ${describe(channelsLast.node)}: xcnn takes that Transpose only right before a Flatten and a linear layer (Gemm or MatMul)`);
    }
    const attributes = attributeMap(node);
    const unsupported = (what: string) => refuse(source, `${describe(node)}: ${what}`);
    switch (op) {
      case 'Identity':
        break;
      case 'Pad': {
        // torch.onnx.export writes a Pad of zeros before an AveragePool: nothing to do. Any other is refused.
        const padsInput = opset >= 11 ? requiredInput(node, 1, 'pads', source) : null;
        const pads = padsInput !== null ? (folded.get(padsInput) ?? foldedConstant(constants.get(padsInput), node, source))?.values : (intsAttribute(node, 'pads', source) ?? []);
        if (pads === undefined || pads.some((p) => p !== 0)) throw unsupported(`padding [${pads?.join(', ') ?? '?'}]: xcnn pads only inside a convolution (its pads attribute)`);
        break;
      }
      case 'Relu':
        push(node, { kind: 'relu', args: {} });
        break;
      case 'Dropout': {
        const ratio = opset < 12 ? floatAttribute(attributes, 'ratio', 0.5) : optionalInput(node, 1) !== null ? scalarOf(tensorOf(node, 1, 'ratio'), node, source) : 0.5;
        const trainingMode = optionalInput(node, 2);
        if (trainingMode !== null && trainingModeOf(trainingMode, constants.get(trainingMode), node, source) !== false) throw unsupported('its training_mode is not a constant false: xcnn reads networks in evaluation form');
        if (ratio >= 0 && ratio <= 0.99) push(node, { kind: 'dropout', args: { p: ratio } });
        break;
      }
      case 'Conv': {
        const weight = tensorOf(node, 1, 'weight');
        const dims = dimsOf(weight, node, 'weight');
        if (dims.length !== 4) throw unsupported(`its weight has dims [${dims.join(', ')}]; a 2-D convolution's is [out, in, kH, kW]`);
        const [out, inChannels, kh, kw] = dims;
        const group = intAttribute(attributes, 'group', 1);
        if (group !== 1) throw unsupported(`group ${group}: xcnn's conv is a full convolution (group 1), not a grouped or depthwise one`);
        if (inChannels !== shape![0]) throw unsupported(`its weight [${dims.join(', ')}] takes ${inChannels} channels, but its input has ${shape![0]}`);
        if (kh !== kw) throw unsupported(`a ${kh}×${kw} kernel: xcnn's conv takes a square kernel`);
        const kernelShape = intsAttribute(node, 'kernel_shape', source);
        if (kernelShape !== null && kernelShape.join(',') !== `${kh},${kw}`) throw unsupported(`kernel_shape [${kernelShape.join(', ')}] does not match its weight [${dims.join(', ')}]`);
        checkDilations(node, source);
        const stride = squareStride(node, source);
        const pad = symmetricPadding(node, source, shape!, kh, stride);
        const tensors: Record<string, PendingTensor> = { weight: { tensor: weight, dims } };
        if (optionalInput(node, 2) !== null) {
          const bias = tensorOf(node, 2, 'bias');
          const biasDims = dimsOf(bias, node, 'bias');
          if (biasDims.join(',') !== String(out)) throw unsupported(`its bias has dims [${biasDims.join(', ')}], expected [${out}]`);
          tensors.bias = { tensor: bias, dims: [out] };
        } else tensors.bias = { tensor: {}, dims: [out], zeros: true };
        push(node, { kind: 'conv', args: { out, kernel: kh, stride, pad } }, tensors);
        break;
      }
      case 'MaxPool':
      case 'AveragePool': {
        if ((node.output ?? []).filter(Boolean).length > 1) throw unsupported('its Indices output is used: xcnn\'s max pooling gives the values only');
        const kernelShape = intsAttribute(node, 'kernel_shape', source) ?? [];
        if (kernelShape.length !== 2 || kernelShape[0] !== kernelShape[1]) throw unsupported(`kernel_shape [${kernelShape.join(', ')}]: xcnn pools a square window`);
        checkDilations(node, source);
        const stride = squareStride(node, source);
        const pads = intsAttribute(node, 'pads', source);
        const autoPad = stringAttribute(attributes, 'auto_pad', 'NOTSET');
        if ((pads !== null && pads.some((p) => p !== 0)) || !['NOTSET', 'VALID'].includes(autoPad)) {
          throw unsupported(`pool padding (pads [${(pads ?? []).join(', ')}], auto_pad ${autoPad}): xcnn pools without padding (put the padding on the convolution before it)`);
        }
        const kernel = kernelShape[0];
        if (intAttribute(attributes, 'ceil_mode', 0) === 1) {
          const [, h, w] = shape!;
          const same = (size: number) => Math.ceil((size - kernel) / stride) === Math.floor((size - kernel) / stride);
          if (!same(h) || !same(w)) throw unsupported(`ceil_mode 1 on a ${h}×${w} input gives another size than floor mode: xcnn pools in floor mode`);
        }
        if (op === 'MaxPool' && intAttribute(attributes, 'storage_order', 0) !== 0) throw unsupported('storage_order 1 (column-major indices): xcnn pools row-major');
        push(node, { kind: op === 'MaxPool' ? 'maxpool' : 'avgpool', args: { kernel, stride } });
        break;
      }
      case 'GlobalAveragePool':
        push(node, { kind: 'gap', args: {} });
        break;
      case 'BatchNormalization': {
        if ((node.output ?? []).filter(Boolean).length > 1 || intAttribute(attributes, 'training_mode', 0) !== 0) throw unsupported('it is in training mode (more than one output, or training_mode 1): xcnn reads batch norm in evaluation form');
        const channels = shape![0];
        const named = ['weight', 'bias', 'running_mean', 'running_var'];
        const tensors: Record<string, PendingTensor> = {};
        named.forEach((name, k) => {
          const tensor = tensorOf(node, k + 1, name.replace('weight', 'scale'));
          const dims = dimsOf(tensor, node, name);
          if (dims.join(',') !== String(channels)) throw unsupported(`its ${name} has dims [${dims.join(', ')}], expected [${channels}] for its input [${shape!.join(', ')}]`);
          tensors[name] = { tensor, dims };
        });
        const epsilon = floatAttribute(attributes, 'epsilon', 1e-5);
        // ε is a float32 in the file: 1e-5 reads back as 9.99999974738e-6.
        if (Math.abs(epsilon - BATCH_NORM_EPSILON) > 1e-9) tensors.running_var.offset = epsilon - BATCH_NORM_EPSILON;
        push(node, { kind: 'bn', args: {} }, tensors);
        break;
      }
      case 'Flatten': {
        const axis = intAttribute(attributes, 'axis', 1);
        if (axis !== 1 && !(axis === -shape!.length)) throw unsupported(`axis ${axis}: xcnn flattens each sample (axis 1)`);
        push(node, { kind: 'flatten', args: {} });
        break;
      }
      case 'Reshape': {
        const shapeInput = requiredInput(node, 1, 'shape', source);
        const target = folded.get(shapeInput) ?? foldedConstant(constants.get(shapeInput), node, source);
        if (target === null) throw unsupported(`its shape '${shapeInput}' is not a constant xcnn can work out: xcnn folds the arithmetic torch.onnx.export writes for a flatten`);
        const features = shape!.reduce((a, b) => a * b, 1);
        const v = target.values;
        const flattens = v.length === 2 && (v[0] === 'N' || v[0] === 0 || (v[0] === -1 && v[1] === features)) && (v[1] === -1 || v[1] === features);
        if (!flattens) throw unsupported(`a reshape to [${v.join(', ')}] of [N, ${shape!.join(', ')}]: xcnn takes a Reshape only as a flatten, to [N, -1]`);
        push(node, { kind: 'flatten', args: {} });
        break;
      }
      case 'Gemm': {
        if (shape!.length !== 1) throw unsupported(`its input is [N, ${shape!.join(', ')}]: flatten before it`);
        if (intAttribute(attributes, 'transA', 0) !== 0) throw unsupported('transA 1 transposes the batch: xcnn takes transA 0');
        const transB = intAttribute(attributes, 'transB', 0) === 1;
        const weight = tensorOf(node, 1, 'weight (B)');
        const dims = dimsOf(weight, node, 'weight (B)');
        if (dims.length !== 2) throw unsupported(`its weight (B) has dims [${dims.join(', ')}]; expected a matrix`);
        const [out, inFeatures] = transB ? dims : [dims[1], dims[0]];
        if (inFeatures !== shape![0]) throw unsupported(`its weight (B) [${dims.join(', ')}] takes ${inFeatures} features (transB ${transB ? 1 : 0}), but its input has ${shape![0]}`);
        const alpha = floatAttribute(attributes, 'alpha', 1);
        const beta = floatAttribute(attributes, 'beta', 1);
        const tensors: Record<string, PendingTensor> = { weight: { tensor: weight, dims: [out, inFeatures], transpose: !transB, scale: alpha === 1 ? undefined : alpha, channelsLast: channelsLast?.shape } };
        channelsLast = null;
        tensors.bias = optionalInput(node, 2) !== null ? biasTensor(tensorOf(node, 2, 'bias (C)'), out, node, beta, source) : { tensor: {}, dims: [out], zeros: true };
        push(node, { kind: 'linear', args: { out } }, tensors);
        break;
      }
      case 'MatMul': {
        if (shape!.length !== 1) throw unsupported(`its input is [N, ${shape!.join(', ')}]: flatten before it`);
        const weight = tensorOf(node, 1, 'weight');
        const dims = dimsOf(weight, node, 'weight');
        if (dims.length !== 2 || dims[0] !== shape![0]) throw unsupported(`its weight has dims [${dims.join(', ')}]; expected [${shape![0]}, out] for its input [N, ${shape![0]}]`);
        push(node, { kind: 'linear', args: { out: dims[1] } }, { weight: { tensor: weight, dims: [dims[1], dims[0]], transpose: true, channelsLast: channelsLast?.shape }, bias: { tensor: {}, dims: [dims[1]], zeros: true } }, true);
        channelsLast = null;
        break;
      }
      case 'Add': {
        const last = layers[layers.length - 1];
        const other = requiredInput(node, 1 - mainInput, 'bias', source);
        if (!constants.has(other)) throw unsupported(`it adds two computed values ('${nodeInputs[0]}' and '${nodeInputs[1]}'), a skip connection: xcnn runs a chain of layers`);
        if (last === undefined || !last.matmul) throw unsupported('xcnn takes an Add only right after a MatMul, with a constant bias (a MatMul and an Add are a linear layer)');
        last.tensors.bias = biasTensor(constants.get(other)!, last.spec.args.out, node, 1, source);
        last.matmul = false;
        break;
      }
      case 'Softmax': {
        const axis = intAttribute(attributes, 'axis', opset >= 13 ? -1 : 1);
        if (shape!.length !== 1 || (axis !== 1 && axis !== -1)) throw unsupported(`a softmax over axis ${axis} of [N, ${shape!.join(', ')}]: xcnn takes a Softmax only over the classes, last`);
        softmaxAt = node;
        break;
      }
    }
    current = output;
  }

  const outputs = graph.output ?? [];
  if (outputs.length !== 1 || outputs[0].name !== current) {
    throw refuse(source, `the ONNX graph's outputs are ${outputs.map((o) => `'${o.name}'`).join(', ') || 'none'}, but its chain of layers ends in '${current}': xcnn takes one output, the last node's`);
  }
  if (shape === null || layers.length === 0) throw refuse(source, 'the ONNX graph has no layers xcnn runs');
  if (channelsLast !== null) throw refuse(source, `${describe((channelsLast as { node: OnnxNode }).node)}: a Transpose to NHWC that no linear layer follows: xcnn takes it only right before a Flatten and a Gemm or MatMul`);
  if (shape.length !== 1) throw refuse(source, `the ONNX graph ends in [N, ${(shape as number[]).join(', ')}]; xcnn's networks end in one logit per class, [N, classes] (end with a Flatten and a Gemm)`);
  const [channels, height, width] = geometryFrom(nhwc);
  const geometry: NetworkGeometry = { channels, height, width, classes: shape[0] };

  const specs = layers.map((l) => l.spec);
  const graphSpec = formatSpec(specs);
  const metadata = Object.fromEntries((model.metadataProps ?? []).filter((e) => e.key).map((e) => [e.key!, e.value ?? '']));
  let plan: NetworkPlan;
  try {
    plan = planNetwork(graphSpec, geometry);
  } catch (error) {
    throw refuse(source, `the ONNX graph is the network ${graphSpec}, which xcnn cannot build: ${(error as Error).message}`);
  }
  const spec = specFromMetadata(metadata.arch, plan) ?? plan.spec;
  if (options.arch !== undefined) {
    const given = planNetwork(resolveSpec(options.arch, geometry.classes), geometry).spec;
    if (withoutDropout(given) !== withoutDropout(spec)) {
      throw new XcnnError(`${source}: the ONNX graph is the network ${spec}, but --arch says ${given}: leave --arch out for an ONNX file`, { exitCode: 2 });
    }
  }

  // Only now, with the whole graph known to map, are the weights read.
  const names = layerNames(specs);
  const tensors = new Map<string, Float32Array>();
  layers.forEach((layer, k) => {
    for (const [role, pending] of Object.entries(layer.tensors)) tensors.set(`${names[k].name}.${role}`, readPending(pending, `${names[k].name}.${role}`, source));
  });
  return { spec, geometry, tensors, metadata };
}

/** The file's opset of the default domain (ai.onnx). */
function opsetOf(model: OnnxModel, source: string): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  const version = entry === undefined ? null : int64Value(entry.version);
  if (version === null || version < 1) throw refuse(source, 'the ONNX file imports no version of the default operator set (opset_import): not a model');
  return version;
}

/** All op types the mapping does not know, in one line, before anything else is looked at. */
function checkOpTypes(nodes: OnnxNode[], source: string): void {
  const unknown = nodes.filter((n) => !SUPPORTED_OPS.includes(n.opType ?? '') || (n.domain && n.domain !== 'ai.onnx'));
  if (unknown.length === 0) return;
  const types = [...new Set(unknown.map((n) => (n.domain && n.domain !== 'ai.onnx' ? `${n.domain}.${n.opType}` : n.opType || '(no op_type)')))];
  throw refuse(
    source,
    `the ONNX graph uses ${types.join(', ')}, which xcnn's layers cannot express (first: ${describe(unknown[0])}); it reads ${LAYER_OPS.join(', ')} and the shape arithmetic before a Reshape`,
  );
}

function attributeMap(node: OnnxNode): Map<string, OnnxAttribute> {
  return new Map((node.attribute ?? []).map((a) => [a.name ?? '', a]));
}

function intAttribute(attributes: Map<string, OnnxAttribute>, name: string, fallback: number): number {
  const a = attributes.get(name);
  return a === undefined ? fallback : (int64Value(a.i) ?? Number.NaN);
}

function floatAttribute(attributes: Map<string, OnnxAttribute>, name: string, fallback: number): number {
  const a = attributes.get(name);
  return a === undefined ? fallback : (a.f ?? 0);
}

function stringAttribute(attributes: Map<string, OnnxAttribute>, name: string, fallback: string): string {
  const a = attributes.get(name);
  return a?.s === undefined ? fallback : new TextDecoder().decode(a.s);
}

function intsAttribute(node: OnnxNode, name: string, source: string): number[] | null {
  const a = (node.attribute ?? []).find((x) => x.name === name);
  if (a === undefined) return null;
  const values = (a.ints ?? []).map(int64Value);
  if (values.some((v) => v === null)) throw refuse(source, `${describe(node)}: its ${name} holds a number beyond 2^53`);
  return values as number[];
}

function checkDilations(node: OnnxNode, source: string): void {
  const dilations = intsAttribute(node, 'dilations', source);
  if (dilations !== null && dilations.some((d) => d !== 1)) throw refuse(source, `${describe(node)}: dilations [${dilations.join(', ')}]: xcnn takes dilation 1`);
}

function squareStride(node: OnnxNode, source: string): number {
  const strides = intsAttribute(node, 'strides', source) ?? [1, 1];
  if (strides.length !== 2 || strides[0] !== strides[1] || strides[0] < 1) throw refuse(source, `${describe(node)}: strides [${strides.join(', ')}]: xcnn takes the same stride on both axes`);
  return strides[0];
}

/** One padding for all four sides, from pads or auto_pad; asymmetric padding is refused. */
function symmetricPadding(node: OnnxNode, source: string, input: number[], kernel: number, stride: number): number {
  const autoPad = stringAttribute(attributeMap(node), 'auto_pad', 'NOTSET');
  const pads = intsAttribute(node, 'pads', source);
  if (autoPad === 'NOTSET') {
    const p = pads ?? [0, 0, 0, 0];
    if (p.length !== 4 || new Set(p).size !== 1 || p[0] < 0) throw refuse(source, `${describe(node)}: pads [${p.join(', ')}] (top, left, bottom, right): xcnn pads all four sides alike`);
    return p[0];
  }
  if (autoPad === 'VALID') return 0;
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // The padding that makes the output ⌈size / stride⌉ (ONNX's SAME), split between the two sides.
    const totals = [input[1], input[2]].map((size) => Math.max((Math.ceil(size / stride) - 1) * stride + kernel - size, 0));
    if (totals[0] !== totals[1] || totals[0] % 2 !== 0) throw refuse(source, `${describe(node)}: auto_pad ${autoPad} pads ${totals.join(' and ')} in all on a ${input[1]}×${input[2]} input, not the same on both sides: xcnn pads all four sides alike`);
    return totals[0] / 2;
  }
  throw refuse(source, `${describe(node)}: auto_pad '${autoPad}' is not one of NOTSET, VALID, SAME_UPPER, SAME_LOWER`);
}

/** A Gemm's C or an Add's constant as a linear layer's bias: [out], or [1, …, 1, out]. */
function biasTensor(tensor: OnnxTensor, out: number, node: OnnxNode, beta: number, source: string): PendingTensor {
  let dims: number[];
  try {
    dims = tensorDims(tensor);
  } catch (error) {
    throw refuse(source, `${describe(node)}: its bias '${tensor.name ?? ''}': ${(error as Error).message}`);
  }
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== out || dims.some((d, k) => d !== 1 && k !== dims.length - 1)) {
    throw refuse(source, `${describe(node)}: its bias '${tensor.name ?? ''}' has dims [${dims.join(', ')}], expected [${out}]`);
  }
  return { tensor, dims: [out], scale: beta === 1 ? undefined : beta };
}

/** Dropout's training_mode, the value `name`: its flag when it is a constant (an initializer or a Constant), null when it is not. */
function trainingModeOf(name: string, tensor: OnnxTensor | undefined, node: OnnxNode, source: string): boolean | null {
  if (tensor === undefined) return null;
  try {
    return boolScalar(tensor);
  } catch (error) {
    throw refuse(source, `${describe(node)}: its training_mode '${name}': ${(error as Error).message}`);
  }
}

function scalarOf(tensor: OnnxTensor, node: OnnxNode, source: string): number {
  try {
    const { data } = floatTensor(tensor);
    if (data.length !== 1) throw new TensorProblem(`it holds ${data.length} values, expected one`);
    return data[0];
  } catch (error) {
    throw refuse(source, `${describe(node)}: its ratio '${tensor.name}': ${(error as Error).message}`);
  }
}

/** A Constant node's value: a float tensor (kept as a constant), or integers (folded). */
function constantValue(node: OnnxNode, source: string): { tensor: OnnxTensor } | { folded: Folded } {
  const a = node.attribute?.[0];
  if (a === undefined || (node.attribute ?? []).length !== 1) throw refuse(source, `${describe(node)}: a Constant has exactly one value attribute`);
  if (a.name === 'value' && a.t !== undefined) {
    if (a.t.dataType === DATA_TYPE.INT64 || a.t.dataType === DATA_TYPE.INT32) return { folded: foldedConstant(a.t, node, source)! };
    return { tensor: a.t };
  }
  if (a.name === 'value_int') return { folded: { dims: [], values: [int64Value(a.i) ?? Number.NaN] } };
  if (a.name === 'value_ints') return { folded: { dims: [(a.ints ?? []).length], values: (a.ints ?? []).map((v) => int64Value(v) ?? Number.NaN) } };
  if (a.name === 'value_float') return { tensor: { dims: [], dataType: DATA_TYPE.FLOAT, floatData: [new Uint8Array(Float32Array.of(a.f ?? 0).buffer)] } };
  throw refuse(source, `${describe(node)}: a Constant's ${a.name} is not a tensor, an int or a float xcnn reads`);
}

/** An integer constant tensor as a folded value (null when there is none). */
function foldedConstant(tensor: OnnxTensor | undefined, node: OnnxNode, source: string): Folded | null {
  if (tensor === undefined) return null;
  try {
    const { dims, values } = intTensor(tensor);
    return { dims, values };
  } catch (error) {
    throw refuse(source, `${describe(node)}: '${tensor.name ?? ''}': ${(error as Error).message}`);
  }
}

/** Gather, Unsqueeze, Squeeze, Concat, Slice and Cast on folded integer values (1-D or scalars). */
function fold(node: OnnxNode, folded: Map<string, Folded>, constants: Map<string, OnnxTensor>, opset: number, source: string): Folded {
  const op = node.opType!;
  const attributes = attributeMap(node);
  const value = (k: number, what: string): Folded => {
    const name = requiredInput(node, k, what, source);
    const found = folded.get(name) ?? foldedConstant(constants.get(name), node, source);
    if (found === null) throw refuse(source, `${describe(node)} takes '${name}', which is not a constant xcnn can work out: xcnn folds only the shape arithmetic before a Reshape`);
    return found;
  };
  const numbers = (f: Folded, what: string): number[] => {
    if (f.values.some((v) => v === 'N')) throw refuse(source, `${describe(node)}: its ${what} depends on the batch size`);
    return f.values as number[];
  };
  // Unsqueeze's axes: an input from opset 13 (an absent one falls back to the attribute), an attribute before.
  const axesOf = (k: number): number[] => (opset >= 13 && optionalInput(node, k) !== null ? numbers(value(k, 'axes'), 'axes') : (intsAttribute(node, 'axes', source) ?? []));
  switch (op) {
    case 'Cast':
      return value(0, 'input');
    case 'Gather': {
      const data = value(0, 'data');
      const indexed = value(1, 'indices');
      const indices = numbers(indexed, 'indices');
      if (data.dims.length !== 1 || intAttribute(attributes, 'axis', 0) !== 0) throw refuse(source, `${describe(node)}: xcnn folds a Gather only along a 1-D shape`);
      const picked = indices.map((i) => data.values[i < 0 ? i + data.values.length : i]);
      if (picked.some((v) => v === undefined)) throw refuse(source, `${describe(node)}: an index is out of range`);
      return { dims: indexed.dims, values: picked };
    }
    case 'Unsqueeze': {
      const data = value(0, 'data');
      const axes = axesOf(1);
      if (data.dims.length !== 0 || axes.join(',') !== '0') throw refuse(source, `${describe(node)}: xcnn folds an Unsqueeze only of a scalar, axis 0`);
      return { dims: [1], values: data.values };
    }
    case 'Squeeze': {
      const data = value(0, 'data');
      if (data.dims.join(',') !== '1') throw refuse(source, `${describe(node)}: xcnn folds a Squeeze only of one value`);
      return { dims: [], values: data.values };
    }
    case 'Concat': {
      const parts = (node.input ?? []).map((_, k) => value(k, 'input'));
      if (parts.some((p) => p.dims.length !== 1)) throw refuse(source, `${describe(node)}: xcnn folds a Concat only of 1-D shapes`);
      const values = parts.flatMap((p) => p.values);
      return { dims: [values.length], values };
    }
    case 'Slice': {
      const data = value(0, 'data');
      const starts = opset >= 10 ? numbers(value(1, 'starts'), 'starts') : (intsAttribute(node, 'starts', source) ?? []);
      const ends = opset >= 10 ? numbers(value(2, 'ends'), 'ends') : (intsAttribute(node, 'ends', source) ?? []);
      if (data.dims.length !== 1 || starts.length !== 1 || ends.length !== 1) throw refuse(source, `${describe(node)}: xcnn folds a Slice only of a 1-D shape`);
      // The optional axes (inputs from opset 10, an attribute before) and steps (opset 10 on): absent, or the one
      // axis of a 1-D shape and step 1.
      const axes = opset >= 10 ? (optionalInput(node, 3) === null ? null : numbers(value(3, 'axes'), 'axes')) : intsAttribute(node, 'axes', source);
      const steps = opset >= 10 && optionalInput(node, 4) !== null ? numbers(value(4, 'steps'), 'steps') : null;
      if ((axes !== null && axes.join(',') !== '0' && axes.join(',') !== '-1') || (steps !== null && steps.join(',') !== '1')) {
        throw refuse(source, `${describe(node)}: axes [${(axes ?? [0]).join(', ')}] and steps [${(steps ?? [1]).join(', ')}]: xcnn folds a Slice only along axis 0, step 1`);
      }
      const length = data.values.length;
      const clamp = (i: number) => Math.min(Math.max(i < 0 ? i + length : i, 0), length);
      const values = data.values.slice(clamp(starts[0]), clamp(ends[0]));
      return { dims: [values.length], values };
    }
  }
  throw refuse(source, `${describe(node)}: not foldable`);
}

/** A spec from an xcnn export's metadata, when it is the graph's network with dropout layers put back. */
function specFromMetadata(arch: string | undefined, plan: NetworkPlan): string | null {
  if (arch === undefined) return null;
  try {
    const spec = planNetwork(arch, plan.geometry).spec;
    return withoutDropout(spec) === withoutDropout(plan.spec) ? spec : null;
  } catch {
    return null;
  }
}

function withoutDropout(spec: string): string {
  return formatSpec(parseSpec(spec).filter((l) => l.kind !== 'dropout'));
}

/** A weight read from the file (its bytes checked against its dims by floatTensor), transposed and scaled. */
function readPending(pending: PendingTensor, name: string, source: string): Float32Array {
  const count = pending.dims.reduce((a, b) => a * b, 1);
  if (pending.zeros) return new Float32Array(count);
  let data: Float32Array;
  try {
    data = floatTensor(pending.tensor).data;
  } catch (error) {
    throw refuse(source, `tensor '${pending.tensor.name ?? ''}' (${name}): ${(error as Error).message}`);
  }
  if (pending.transpose) {
    const [out, inFeatures] = pending.dims;
    const transposed = new Float32Array(count);
    for (let i = 0; i < inFeatures; i++) for (let o = 0; o < out; o++) transposed[o * inFeatures + i] = data[i * out + o];
    data = transposed;
  }
  if (pending.channelsLast) {
    // Column (h·W + w)·C + c of the file's weight is xcnn's column (c·H + h)·W + w.
    const [out, inFeatures] = pending.dims;
    const [channels, height, width] = pending.channelsLast;
    const reordered = new Float32Array(count);
    for (let o = 0; o < out; o++) {
      for (let c = 0; c < channels; c++) {
        for (let h = 0; h < height; h++) {
          for (let w = 0; w < width; w++) reordered[o * inFeatures + (c * height + h) * width + w] = data[o * inFeatures + (h * width + w) * channels + c];
        }
      }
    }
    data = reordered;
  }
  if (pending.scale !== undefined) for (let k = 0; k < data.length; k++) data[k] *= pending.scale;
  if (pending.offset !== undefined) for (let k = 0; k < data.length; k++) data[k] += pending.offset;
  const bad = data.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw refuse(source, `tensor '${pending.tensor.name ?? ''}' (${name}) holds ${data[bad]} at element ${bad}; retrain or repair the model`);
  if (name.endsWith('running_var')) {
    const negative = data.findIndex((v) => v < 0);
    if (negative >= 0) throw refuse(source, `tensor '${pending.tensor.name ?? ''}' (${name}) holds a negative variance at element ${negative}`);
  }
  return data;
}

/** A 1-D folded value of `values`. */
function vector(values: Array<number | 'N'>): Folded {
  return { dims: [values.length], values };
}
