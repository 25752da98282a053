/**
 * The architecture description: a network as data. One string of whitespace-separated layers, the same on
 * the command line, in the API and in model files:
 *
 *   conv(OUT,K[,stride=S][,pad=P])  maxpool(K[,stride=S])  avgpool(K[,stride=S])  gap  bn
 *   relu  dropout(P)  flatten  linear(OUT)
 *
 * (layer-kinds.ts says what each word means.) With the input geometry — channels × height × width and the
 * class count, which come from the data or the model file — a spec determines every layer's shape, name and
 * parameters; `planNetwork` works them out, or refuses the spec with one line naming the layer, its input
 * shape and what is wrong, before any memory is allocated. Nothing else in xcnn knows an architecture.
 *
 * Layer names are the kind's prefix and its ordinal among layers of that prefix (conv1, conv2, bn1, fc1, …,
 * and `flatten` for the first flatten), so the paper's network keeps its PyTorch names exactly.
 */
import { checkFields, checkGeometryFields, checkList, checkNumber, checkPlan, checkString } from '../argument-checks.js';
import { usageError, XcnnError } from '../errors.js';
import { LAYER_KINDS, type LayerKind, type LayerSpec } from './layer-kinds.js';

export type { LayerKind, LayerSpec } from './layer-kinds.js';

/** The per-sample input shape [channels, height, width] and the number of classes. */
export interface NetworkGeometry {
  channels: number;
  height: number;
  width: number;
  classes: number;
}

/** The widths of the paper's network (narrower ones make small, fast nets: the shipped model is 8,16,32). */
export interface PaperWidths {
  conv1Channels: number; // 32
  conv2Channels: number; // 64
  hidden: number; // 128
}

export const PAPER_WIDTHS: PaperWidths = { conv1Channels: 32, conv2Channels: 64, hidden: 128 };

/** The paper's CNN as a spec, at the given widths, ending in one logit per class. */
export function paperSpec(classes: number, widths: PaperWidths = PAPER_WIDTHS): string {
  checkNumber('paperSpec', 'classes', classes);
  checkFields('paperSpec', 'widths', widths, 'conv1Channels, conv2Channels and hidden', { conv1Channels: 'number', conv2Channels: 'number', hidden: 'number' });
  return `conv(${widths.conv1Channels},3) relu maxpool(2) conv(${widths.conv2Channels},3) relu flatten linear(${widths.hidden}) relu linear(${classes})`;
}

/**
 * The presets, by name; each ends in `linear(classes)` for the data's class count.
 * - paper: the reproduced paper's network (99.01 % on MNIST).
 * - lenet5: LeCun et al. (1998)'s LeNet-5 as it is usually written today (ReLU, average pooling, padding 2).
 * - modern: a small modern net: 3×3 convolutions with padding and batch norm, strided convolutions instead
 *   of pooling, and dropout around the classifier's hidden layer.
 */
export const PRESETS: Record<string, (classes: number) => string> = {
  paper: (classes) => paperSpec(classes),
  lenet5: (classes) =>
    `conv(6,5,pad=2) relu avgpool(2) conv(16,5) relu avgpool(2) flatten linear(120) relu linear(84) relu linear(${classes})`,
  modern: (classes) =>
    `conv(32,3,pad=1) bn relu conv(32,3,stride=2,pad=1) bn relu conv(64,3,pad=1) bn relu conv(64,3,stride=2,pad=1) bn relu flatten dropout(0.25) linear(128) relu dropout(0.25) linear(${classes})`,
};

/** A preset's spec, or the text itself when it is not a preset's name. */
export function resolveSpec(nameOrSpec: string, classes: number): string {
  checkString('resolveSpec', 'nameOrSpec', nameOrSpec, 'a preset name or a layer spec (PRESETS)');
  const preset = PRESETS[nameOrSpec.trim()];
  return preset ? preset(classes) : nameOrSpec;
}

/** Parses a spec string into its layers (defaults filled in). A malformed spec is a usage error naming the place. */
export function parseSpec(text: string): LayerSpec[] {
  if (typeof text !== 'string') throw usageError(`an architecture spec must be a string, got ${typeof text}`);
  if (text.length > 10_000) throw usageError(`the architecture spec is ${text.length} characters long; at most 10000`);
  const layers: LayerSpec[] = [];
  let at = 0;
  const fail = (problem: string) => usageError(`architecture spec, layer ${layers.length + 1}: ${problem}`);
  for (;;) {
    while (at < text.length && /\s/.test(text[at])) at++;
    if (at >= text.length) break;
    const start = at;
    while (at < text.length && /[a-z0-9_]/i.test(text[at])) at++;
    const word = text.slice(start, at).toLowerCase();
    if (word === '') throw fail(`unexpected '${text[at]}' at character ${at + 1}`);
    if (!(word in LAYER_KINDS)) throw fail(`'${word}' is not a layer kind; the kinds are ${Object.keys(LAYER_KINDS).join(', ')}`);
    let next = at;
    while (next < text.length && /\s/.test(text[next])) next++;
    let argumentText: string | null = null;
    if (text[next] === '(') {
      at = next;
      const close = text.indexOf(')', at);
      // A '(' before the ')' means this one was never closed: `conv(8,3 relu maxpool(2)`.
      if (close < 0 || text.lastIndexOf('(', close) !== at) throw fail(`'${word}(' has no closing parenthesis`);
      argumentText = text.slice(at + 1, close);
      at = close + 1;
    }
    layers.push({ kind: word as LayerKind, args: parseArguments(word as LayerKind, argumentText, fail) });
  }
  if (layers.length === 0) throw usageError('the architecture spec is empty: give layers such as "conv(32,3) relu maxpool(2) flatten linear(10)", or a preset (paper, lenet5, modern)');
  if (layers.length > 200) throw usageError(`the architecture spec has ${layers.length} layers; at most 200`);
  return layers;
}

function parseArguments(kind: LayerKind, text: string | null, fail: (problem: string) => Error): Record<string, number> {
  const specs = LAYER_KINDS[kind].arguments;
  const usage = formatUsage(kind);
  const parts = text === null || text.trim() === '' ? [] : text.split(',').map((part) => part.trim());
  if (text !== null && specs.length === 0) throw fail(`${kind} takes no arguments: write ${usage}`);
  const args: Record<string, number> = {};
  const positional = specs.filter((s) => s.positional);
  let index = 0;
  for (const part of parts) {
    const keyword = /^([a-z_]+)\s*=\s*(.*)$/i.exec(part);
    const spec = keyword ? specs.find((s) => !s.positional && s.name === keyword[1].toLowerCase()) : positional[index++];
    if (spec === undefined) throw fail(keyword ? `${kind} has no argument '${keyword[1]}': write ${usage}` : `${kind} takes ${positional.length} positional argument(s): write ${usage}`);
    if (spec.name in args) throw fail(`${kind} is given '${spec.name}' twice`);
    const valueText = keyword ? keyword[2] : part;
    const value = Number(valueText);
    if (valueText === '' || !Number.isFinite(value) || (spec.integer && !Number.isInteger(value)) || value < spec.min || value > spec.max) {
      const kindOfNumber = spec.integer ? 'a whole number' : 'a number';
      throw fail(`${kind}'s ${spec.name} must be ${kindOfNumber} from ${spec.min} to ${spec.max}, got '${valueText}'`);
    }
    args[spec.name] = value;
  }
  for (const spec of specs) {
    if (spec.name in args) continue;
    if (spec.default === undefined) throw fail(`${kind} needs its ${spec.name}: write ${usage}`);
    args[spec.name] = typeof spec.default === 'number' ? spec.default : args[spec.default];
  }
  return args;
}

/** 'conv(OUT,KERNEL[,stride=S][,pad=P])' for a kind: the form its arguments are written in. */
export function formatUsage(kind: LayerKind): string {
  const specs = LAYER_KINDS[kind].arguments;
  if (specs.length === 0) return kind;
  const positional = specs.filter((s) => s.positional).map((s) => s.name.toUpperCase());
  const keywords = specs.filter((s) => !s.positional).map((s) => `[,${s.name}=${s.name[0].toUpperCase()}]`);
  return `${kind}(${positional.join(',')}${keywords.join('')})`;
}

/** One layer written back in the spec syntax, leaving out arguments at their defaults. */
export function formatLayer(layer: LayerSpec): string {
  const specs = LAYER_KINDS[layer.kind].arguments;
  if (specs.length === 0) return layer.kind;
  const parts: string[] = [];
  for (const spec of specs) {
    const value = layer.args[spec.name];
    if (spec.positional) parts.push(String(value));
    else {
      const fallback = typeof spec.default === 'number' ? spec.default : layer.args[spec.default!];
      if (value !== fallback) parts.push(`${spec.name}=${value}`);
    }
  }
  return `${layer.kind}(${parts.join(',')})`;
}

/** The canonical text of a spec: what model files store. */
export function formatSpec(layers: LayerSpec[]): string {
  checkList('formatSpec', 'layers', layers, 'layer specs (parseSpec)');
  return layers.map(formatLayer).join(' ');
}

/** A layer of a planned network: its spec, name, shapes and parameter count. */
export interface PlannedLayer {
  spec: LayerSpec;
  name: string;
  index: number; // its position in the spec, 0-based (PyTorch's nn.Sequential index)
  ordinal: number; // among the layers of its name prefix, 1-based
  inputShape: number[];
  outputShape: number[];
  parameters: number;
}

export interface NetworkPlan {
  spec: string; // canonical
  geometry: NetworkGeometry;
  layers: PlannedLayer[];
  parameters: number;
}

/**
 * Works out every layer's name and shapes for `geometry` (`specText` is a spec or a preset's name), or throws one line naming the first layer that
 * cannot take its input, or a last layer that does not give one logit per class.
 */
export function planNetwork(specText: string, geometry: NetworkGeometry): NetworkPlan {
  checkString('planNetwork', 'specText', specText, 'a layer spec');
  checkGeometryFields('planNetwork', 'geometry', geometry);
  checkGeometry(geometry);
  const layers = parseSpec(resolveSpec(specText, geometry.classes));
  const planned: PlannedLayer[] = [];
  const names = layerNames(layers);
  let shape = [geometry.channels, geometry.height, geometry.width];
  layers.forEach((layer, index) => {
    const kind = LAYER_KINDS[layer.kind];
    const { name, ordinal } = names[index];
    const result = kind.outputShape(layer.args, shape);
    if ('problem' in result) {
      throw usageError(`architecture: layer ${index + 1} ${formatLayer(layer)} (${name}) takes [${shape.join(', ')}]: ${result.problem}`);
    }
    const elements = result.shape.reduce((a, b) => a * b, 1);
    if (elements > 16_777_216) throw usageError(`architecture: layer ${index + 1} ${formatLayer(layer)} (${name}) gives [${result.shape.join(', ')}], ${elements} values a sample; at most 16777216`);
    planned.push({ spec: layer, name, index, ordinal, inputShape: shape, outputShape: result.shape, parameters: parameterCount(layer, shape, result.shape) });
    shape = result.shape;
  });
  if (shape.length !== 1 || shape[0] !== geometry.classes) {
    const last = planned[planned.length - 1];
    throw usageError(
      `architecture: the last layer ${formatLayer(last.spec)} (${last.name}) gives [${shape.join(', ')}], but the network must end in one logit per class: ` +
        `[${geometry.classes}] for ${geometry.classes} classes (end with flatten and linear(${geometry.classes}))`,
    );
  }
  const parameters = planned.reduce((sum, layer) => sum + layer.parameters, 0);
  if (parameters > MAX_PARAMETERS) {
    const largest = planned.reduce((a, b) => (b.parameters > a.parameters ? b : a));
    throw usageError(
      `architecture: ${parameters} parameters, more than the ${MAX_PARAMETERS} xcnn trains or loads; the largest is layer ${largest.index + 1} ${formatLayer(largest.spec)} (${largest.name}) with ${largest.parameters}: narrow it`,
    );
  }
  return { spec: formatSpec(layers), geometry, layers: planned, parameters };
}

/**
 * The most parameters a network may have: 50 million, 200 MB of float32 weights (training holds four
 * such arrays: the weights, their gradients and Adam's two moments). The widths in a spec are bounded
 * one by one (layer-kinds.ts LIMITS); this bounds what they make together, e.g. linear(4096) after a
 * flatten of 16 million values.
 */
export const MAX_PARAMETERS = 50_000_000;

/** Each layer's name and its ordinal among the layers of its name prefix (they depend on the kinds alone, not on shapes). */
export function layerNames(layers: LayerSpec[]): Array<{ name: string; ordinal: number }> {
  const ordinals = new Map<string, number>();
  return layers.map((layer) => {
    const prefix = LAYER_KINDS[layer.kind].namePrefix;
    const ordinal = (ordinals.get(prefix) ?? 0) + 1;
    ordinals.set(prefix, ordinal);
    return { name: layer.kind === 'flatten' && ordinal === 1 ? 'flatten' : `${prefix}${ordinal}`, ordinal };
  });
}

function parameterCount(layer: LayerSpec, input: number[], output: number[]): number {
  switch (layer.kind) {
    case 'conv':
      return layer.args.out * input[0] * layer.args.kernel * layer.args.kernel + layer.args.out;
    case 'linear':
      return output[0] * input[0] + output[0];
    case 'bn':
      return 2 * input[0];
    default:
      return 0;
  }
}

export function checkGeometry(geometry: NetworkGeometry): void {
  for (const key of ['channels', 'height', 'width', 'classes'] as const) {
    const value = geometry[key];
    if (!Number.isSafeInteger(value) || value < 1 || value > 4096) throw new XcnnError(`the input geometry has a bad ${key}: ${JSON.stringify(value)} (a whole number from 1 to 4096)`, { code: 'ERR_BAD_ARGUMENT' });
  }
}

/** The plan as a table: layer, output shape and parameters a line (like Keras' model.summary()). */
export function formatPlan(plan: NetworkPlan): string {
  checkPlan('formatPlan', 'plan', plan);
  const { channels, height, width, classes } = plan.geometry;
  const rows = [
    ['layer', 'spec', 'output shape', 'parameters'],
    ['input', '', `[${channels}, ${height}, ${width}]`, ''],
    ...plan.layers.map((l) => [l.name, formatLayer(l.spec), `[${l.outputShape.join(', ')}]`, l.parameters === 0 ? '' : l.parameters.toLocaleString('en-US')]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [line(rows[0]), ...rows.slice(1).map(line), `${plan.parameters.toLocaleString('en-US')} parameters; ${classes} classes`].join('\n');
}

/**
 * Where a spatial layer's cells sit on the input (receptive-field arithmetic along one axis, Araujo et al.
 * 2019): cell i's field starts at `stride·i + start` and spans `size` pixels, centred at `stride·i + centre`
 * (pixel-index coordinates, so pixel p's centre is p). Through a conv or pool with kernel k, stride s and
 * padding p: stride' = stride·s, size' = size + (k − 1)·stride, centre' = centre + ((k − 1)/2 − p)·stride.
 * Layers that keep positions (relu, bn, dropout) leave it unchanged. Null after gap or flatten.
 */
export interface ReceptiveField {
  stride: number;
  size: number;
  centre: number; // of cell 0
}

export function receptiveField(plan: NetworkPlan, layerName: string): ReceptiveField | null {
  checkPlan('receptiveField', 'plan', plan);
  let field: ReceptiveField = { stride: 1, size: 1, centre: 0 };
  for (const layer of plan.layers) {
    const window = LAYER_KINDS[layer.spec.kind].window?.(layer.spec.args);
    if (window) {
      field = {
        stride: field.stride * window.stride,
        size: field.size + (window.kernel - 1) * field.stride,
        centre: field.centre + ((window.kernel - 1) / 2 - window.padding) * field.stride,
      };
    } else if (layer.outputShape.length !== 3 || layer.spec.kind === 'gap') {
      if (layer.name === layerName) return null;
      field = { stride: Number.NaN, size: Number.NaN, centre: Number.NaN };
    }
    if (layer.name === layerName) return Number.isNaN(field.stride) ? null : field;
  }
  throw new XcnnError(`the network has no layer '${layerName}'`, { code: 'ERR_BAD_ARGUMENT' });
}

/**
 * The layers a class-activation map can explain: each convolution's block, named by its last layer (the
 * conv itself, or the bn / relu / dropout right after it), in network order. The CAM family explains the
 * last one by default (after the last convolution, its bn and its relu).
 */
export function explainableLayers(plan: NetworkPlan): Array<{ name: string; conv: string; outputShape: number[] }> {
  checkPlan('explainableLayers', 'plan', plan);
  const blocks: Array<{ name: string; conv: string; outputShape: number[] }> = [];
  plan.layers.forEach((layer, k) => {
    if (layer.spec.kind !== 'conv') return;
    let end = k;
    while (end + 1 < plan.layers.length && ['bn', 'relu', 'dropout'].includes(plan.layers[end + 1].spec.kind)) end++;
    blocks.push({ name: plan.layers[end].name, conv: layer.name, outputShape: plan.layers[end].outputShape });
  });
  return blocks;
}
