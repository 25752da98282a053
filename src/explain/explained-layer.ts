/**
 * The layer a class-activation map explains: a convolution's block (spec.ts explainableLayers — the conv
 * and the bn / relu / dropout right after it), named by the block's last layer. By default the last block
 * (for the paper's network relu2: K = 64 channels of 11 × 11); `--layer NAME` picks another, by the block
 * end's name or by its convolution's name (conv1 → relu1 in the paper's network). Each block's cells have a
 * receptive field on the input (spec.ts receptiveField), which the `receptive-field` placement uses.
 */
import { checkModel } from '../argument-checks.js';
import { optionError, XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';
import { explainableLayers, receptiveField, type ReceptiveField } from '../model/spec.js';

/** A conv block a CAM method can explain. */
export interface ExplainableLayer {
  name: string; // the block's last layer (what the CAM reads): 'relu2'
  conv: string; // its convolution: 'conv2'
  shape: [number, number, number]; // [K, h, w], the block's output per image
  field: ReceptiveField | null; // where its cells sit on the input (null for a network built by hand)
}

/** Every conv block of the network, in network order. */
export function explainableLayersOf(network: Network): ExplainableLayer[] {
  checkModel('explainableLayersOf', 'network', network);
  if (network.plan !== null) {
    const plan = network.plan;
    return explainableLayers(plan).map((block) => ({
      name: block.name,
      conv: block.conv,
      shape: block.outputShape as [number, number, number],
      field: receptiveField(plan, block.name),
    }));
  }
  // A network assembled by hand has no plan: its spatial layers are the choices, without fields.
  return network.layers
    .filter((layer) => layer.outputShape.length === 3)
    .map((layer) => ({ name: layer.name, conv: layer.name, shape: layer.outputShape as [number, number, number], field: null }));
}

const NO_CONVOLUTION =
  'this network has no convolution, so the CAM methods (grad-cam, grad-cam++, xgrad-cam, layer-cam, hires-cam, score-cam, eigen-cam, guided-grad-cam) have no layer to explain: use an input-gradient or perturbation method (saliency, integrated-gradients, occlusion, …)';

/**
 * The block to explain: the one named `name` (its end's or its conv's name), or the last one. A network
 * without a convolution, or a name that is not a block, is an XcnnError in one line listing the choices.
 */
export function explainedLayer(network: Network, name?: string): ExplainableLayer {
  checkModel('explainedLayer', 'network', network);
  const blocks = explainableLayersOf(network);
  if (blocks.length === 0) throw new XcnnError(NO_CONVOLUTION, { code: 'ERR_BAD_MODEL' });
  if (name === undefined) return blocks[blocks.length - 1];
  const found = findLayer(blocks, name);
  if (found === undefined) throw optionError('layer', `layer: '${name}' is not a conv block of this network; the choices are ${layerChoices(blocks)}`);
  return found;
}

/** The block named `name`, by its end's or its conv's name. */
export function findLayer(blocks: ExplainableLayer[], name: string): ExplainableLayer | undefined {
  return blocks.find((block) => block.name === name || block.conv === name);
}

/** The blocks' names as a refusal lists them: 'relu1 (or conv1), relu2 (or conv2)'. */
export function layerChoices(blocks: ExplainableLayer[]): string {
  return blocks.map((block) => (block.conv === block.name ? block.name : `${block.name} (or ${block.conv})`)).join(', ');
}

/**
 * The layer the CAM family explains by default: the last convolution's block — its output after the bn and
 * relu that follow it. For the paper's network, relu2. A network without a convolution has none, and the
 * CAM methods say so.
 */
export function camLayerOf(network: Network): string {
  checkModel('camLayerOf', 'network', network);
  return explainedLayer(network).name;
}

/** The choices as a table (`xcnn explain --list-layers`): name, conv, shape, receptive field. */
export function formatExplainableLayers(network: Network): string {
  checkModel('formatExplainableLayers', 'network', network);
  const blocks = explainableLayersOf(network);
  if (blocks.length === 0) return NO_CONVOLUTION;
  const fieldText = (field: ReceptiveField | null) => (field === null ? '' : `${field.size}×${field.size} pixels, stride ${field.stride}, cell 0 centred at ${field.centre}`);
  const rows = [
    ['layer', 'conv', 'shape [K, h, w]', 'receptive field'],
    ...blocks.map((block, k) => [block.name + (k === blocks.length - 1 ? ' (default)' : ''), block.conv, `[${block.shape.join(', ')}]`, fieldText(block.field)]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n');
}
