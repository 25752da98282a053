/**
 * Fine-tuning: a new run's network starting from a trained model's weights (`xcnn train --init MODEL`). Every
 * parameter and buffer is copied by its name from the model's network, whose shapes must be the new
 * network's; with `resetHead` the last layer with parameters (the classifier's linear layer) keeps the new
 * network's own seeded initialisation instead, so it may have another class count.
 */
import { XcnnError } from '../errors.js';
import type { Network } from '../model/network.js';

/** The spec with its last `linear(N…)` made `linear(classes…)`: the head for another class count. */
export function specWithHead(spec: string, classes: number): string {
  const last = spec.lastIndexOf('linear(');
  if (last < 0) return spec;
  return `${spec.slice(0, last)}${spec.slice(last).replace(/^linear\(\s*\d+/, `linear(${classes}`)}`;
}

/** The names of the last layer's parameters (e.g. fc2.weight and fc2.bias): the head --reset-head leaves alone. */
export function headParameterNames(network: Network): string[] {
  const parameters = network.parameters;
  if (parameters.length === 0) return [];
  const layer = parameters[parameters.length - 1].name.split('.')[0];
  return parameters.filter((p) => p.name.split('.')[0] === layer).map((p) => p.name);
}

/** Copies `from`'s weights into `to` by name (all but the head's with `resetHead`); `source` names the model in errors. */
export function copyInitialWeights(from: Network, to: Network, source: string, resetHead: boolean): void {
  const skipped = new Set(resetHead ? headParameterNames(to) : []);
  const own = new Map([...from.parameters, ...from.bufferViews].map((t) => [t.name, t]));
  for (const target of [...to.parameters, ...to.bufferViews]) {
    if (skipped.has(target.name)) continue;
    const tensor = own.get(target.name);
    const shape = (t: { shape: number[] } | undefined) => (t === undefined ? 'missing' : `[${t.shape.join(', ')}]`);
    if (tensor === undefined || tensor.shape.join() !== target.shape.join()) {
      const hint = skipped.size === 0 && target.name.split('.')[0] === headParameterNames(to)[0]?.split('.')[0] ? '; give --reset-head for another class count' : '; give --init a model of the same --arch and input size';
      throw new XcnnError(`--init ${source}: its tensor ${target.name} is ${shape(tensor)}, this run's network needs [${target.shape.join(', ')}]${hint}`, { code: 'ERR_BAD_ARGUMENT' });
    }
    target.value.set(tensor.value);
  }
}
