/**
 * Random valid architecture specs for property tests (`xcnn/testing`; xcnn's own tests use them too), built
 * layer by layer so that every one shape-checks for its random input geometry. fast-check draws plain numbers (a kind choice and four argument draws a
 * layer); `buildSpec` turns them into the layers that fit the shape reached so far, so a failing case
 * shrinks like any other.
 *
 * Everything a test compares with is worked out here independently of src/model/spec.ts: each layer's
 * output shape by PyTorch's formulas (Conv2d: ⌊(H + 2P − K)/S⌋ + 1; MaxPool2d / AvgPool2d, no padding, floor
 * mode: ⌊(H − K)/S⌋ + 1), its parameter count, its name (the kind's prefix and its ordinal: conv1, pool1,
 * fc1, …, and `flatten` for the first flatten), and the canonical text (arguments at their defaults left out).
 */
import fc from 'fast-check';
import { checkFields, checkGeometryFields, checkList, checkNumber, checkOptions } from '../argument-checks.js';
import type { LayerKind, NetworkGeometry } from '../model/spec.js';

export interface ExpectedLayer {
  kind: LayerKind;
  args: Record<string, number>; // every argument, defaults included
  explicit: string; // written with every argument, e.g. 'maxpool(2,stride=2)'
  canonical: string; // written with defaults left out, e.g. 'maxpool(2)'
  name: string;
  index: number;
  inputShape: number[];
  outputShape: number[];
  parameters: number;
}

export interface RandomSpec {
  geometry: NetworkGeometry;
  layers: ExpectedLayer[];
  explicit: string; // every layer with all its arguments
  canonical: string;
  parameters: number;
}

export interface SpecOptions {
  /** The kinds the random part may use (a flatten and the final linear(classes) are always added). */
  kinds?: LayerKind[];
  maxSize?: number; // largest input height and width (default 12)
  maxChannels?: number; // largest input channels and conv / linear width (default 3)
  maxLayers?: number; // random layers before the closing flatten and linear (default 8)
  maxKernel?: number; // default 4
  maxPadding?: number; // default 2
  maxStride?: number; // default 3
}

const ALL_KINDS: LayerKind[] = ['conv', 'maxpool', 'avgpool', 'gap', 'bn', 'relu', 'dropout', 'flatten', 'linear'];
const SPATIAL_KINDS = new Set<LayerKind>(['conv', 'maxpool', 'avgpool', 'gap', 'bn', 'relu', 'dropout', 'flatten']);
const FLAT_KINDS = new Set<LayerKind>(['bn', 'relu', 'dropout', 'flatten', 'linear']);
const PREFIX: Record<LayerKind, string> = { conv: 'conv', maxpool: 'pool', avgpool: 'pool', gap: 'gap', bn: 'bn', relu: 'relu', dropout: 'dropout', flatten: 'flatten', linear: 'fc' };

interface Draw {
  kind: number;
  a: number;
  b: number;
  c: number;
  d: number;
}

/** PyTorch's nn.Conv2d output size along one axis. */
export function convOut(size: number, kernel: number, stride: number, padding: number): number {
  for (const [name, value] of Object.entries({ size, kernel, stride, padding })) checkNumber('convOut', name, value);
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}
/** PyTorch's nn.MaxPool2d / nn.AvgPool2d output size (no padding, floor mode). */
export function poolOut(size: number, kernel: number, stride: number): number {
  for (const [name, value] of Object.entries({ size, kernel, stride })) checkNumber('poolOut', name, value);
  return Math.floor((size - kernel) / stride) + 1;
}

export function randomSpecs(options: SpecOptions = {}): fc.Arbitrary<RandomSpec> {
  checkOptions('randomSpecs', options);
  const maxSize = options.maxSize ?? 12;
  const maxChannels = options.maxChannels ?? 3;
  const draw = fc.record({ kind: fc.nat(), a: fc.nat(), b: fc.nat(), c: fc.nat(), d: fc.nat() });
  return fc
    .record({
      channels: fc.integer({ min: 1, max: maxChannels }),
      height: fc.integer({ min: 1, max: maxSize }),
      width: fc.integer({ min: 1, max: maxSize }),
      classes: fc.integer({ min: 1, max: 5 }),
      draws: fc.array(draw, { maxLength: options.maxLayers ?? 8 }),
    })
    .map(({ draws, ...geometry }) => buildSpec(geometry, draws, options));
}

export function buildSpec(geometry: NetworkGeometry, draws: Draw[], options: SpecOptions = {}): RandomSpec {
  checkGeometryFields('buildSpec', 'geometry', geometry);
  checkList('buildSpec', 'draws', draws, 'layer draws');
  checkOptions('buildSpec', options);
  const kinds = options.kinds ?? ALL_KINDS;
  const maxChannels = options.maxChannels ?? 3;
  const maxKernel = options.maxKernel ?? 4;
  const maxPadding = options.maxPadding ?? 2;
  const maxStride = options.maxStride ?? 3;
  const layers: ExpectedLayer[] = [];
  const ordinals = new Map<string, number>();
  let shape = [geometry.channels, geometry.height, geometry.width];

  const add = (kind: LayerKind, args: Record<string, number>, explicit: string, canonical: string, output: number[], parameters: number) => {
    const ordinal = (ordinals.get(PREFIX[kind]) ?? 0) + 1;
    ordinals.set(PREFIX[kind], ordinal);
    const name = kind === 'flatten' && ordinal === 1 ? 'flatten' : `${PREFIX[kind]}${ordinal}`;
    layers.push({ kind, args, explicit, canonical, name, index: layers.length, inputShape: shape, outputShape: output, parameters });
    shape = output;
  };
  const plain = (kind: LayerKind, output: number[], parameters = 0) => add(kind, {}, kind, kind, output, parameters);
  const linear = (out: number) => add('linear', { out }, `linear(${out})`, `linear(${out})`, [out], out * shape[0] + out);

  for (const d of draws) {
    const fits = kinds.filter((k) => (shape.length === 3 ? SPATIAL_KINDS : FLAT_KINDS).has(k));
    if (fits.length === 0) continue;
    const kind = fits[d.kind % fits.length];
    const [channels, height, width] = shape;
    switch (kind) {
      case 'conv': {
        const pad = d.c % (maxPadding + 1);
        const kernel = 1 + (d.b % Math.min(maxKernel, height + 2 * pad, width + 2 * pad));
        const stride = 1 + (d.d % maxStride);
        const out = 1 + (d.a % maxChannels);
        const keywords = [stride !== 1 ? `stride=${stride}` : '', pad !== 0 ? `pad=${pad}` : ''].filter(Boolean);
        add(
          'conv',
          { out, kernel, stride, pad },
          `conv(${out},${kernel},stride=${stride},pad=${pad})`,
          `conv(${[out, kernel, ...keywords].join(',')})`,
          [out, convOut(height, kernel, stride, pad), convOut(width, kernel, stride, pad)],
          out * channels * kernel * kernel + out,
        );
        break;
      }
      case 'maxpool':
      case 'avgpool': {
        const kernel = 1 + (d.b % Math.min(3, height, width));
        const stride = 1 + (d.d % maxStride);
        add(
          kind,
          { kernel, stride },
          `${kind}(${kernel},stride=${stride})`,
          stride === kernel ? `${kind}(${kernel})` : `${kind}(${kernel},stride=${stride})`,
          [channels, poolOut(height, kernel, stride), poolOut(width, kernel, stride)],
          0,
        );
        break;
      }
      case 'gap':
        plain('gap', [channels, 1, 1]);
        break;
      case 'bn':
        plain('bn', shape, 2 * shape[0]);
        break;
      case 'relu':
        plain('relu', shape);
        break;
      case 'dropout': {
        const p = (d.a % 10) / 20; // 0, 0.05, …, 0.45
        add('dropout', { p }, `dropout(${p})`, `dropout(${p})`, shape, 0);
        break;
      }
      case 'flatten':
        plain('flatten', [shape.reduce((x, y) => x * y, 1)]);
        break;
      case 'linear':
        linear(1 + (d.a % maxChannels));
        break;
    }
  }
  if (shape.length === 3) plain('flatten', [shape.reduce((x, y) => x * y, 1)]);
  linear(geometry.classes);
  return {
    geometry,
    layers,
    explicit: layers.map((l) => l.explicit).join(' '),
    canonical: layers.map((l) => l.canonical).join(' '),
    parameters: layers.reduce((sum, l) => sum + l.parameters, 0),
  };
}

/**
 * The same spec written another way: each layer in its explicit or its canonical form, the kind's word and
 * the keywords in random case, and random whitespace (spaces, tabs, newlines) between layers, before the
 * parenthesis, and around every argument, comma and '='.
 */
export function respelled(spec: RandomSpec): fc.Arbitrary<string> {
  checkFields('respelled', 'spec', spec, 'as randomSpecs draws it', { geometry: 'object', layers: 'array' });
  const space = fc.constantFrom('', ' ', '  ', '\t', '\n', ' \t ');
  const someSpace = fc.constantFrom(' ', '\t', '\n', '  \n\t');
  const casing = (word: string) => fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) => [...word].map((ch, k) => (upper[k] ? ch.toUpperCase() : ch)).join(''));
  const layer = (l: ExpectedLayer) =>
    fc.tuple(fc.boolean(), casing(l.kind), fc.array(space, { minLength: 12, maxLength: 12 }), fc.array(casing('stride'), { minLength: 1, maxLength: 1 }), casing('pad')).map(([explicit, word, gaps, [stride], pad]) => {
      const text = explicit ? l.explicit : l.canonical;
      const open = text.indexOf('(');
      if (open < 0) return word;
      let g = 0;
      const parts = text
        .slice(open + 1, -1)
        .split(',')
        .map((part) => part.replace('stride', stride).replace('pad', pad).replace('=', `${gaps[g++ % 12]}=${gaps[g++ % 12]}`));
      return `${word}${gaps[g++ % 12]}(${parts.map((part) => `${gaps[g++ % 12]}${part}${gaps[g++ % 12]}`).join(',')})`;
    });
  return fc.tuple(fc.tuple(...spec.layers.map(layer)), fc.array(someSpace, { minLength: spec.layers.length + 1, maxLength: spec.layers.length + 1 })).map(([words, gaps]) => gaps[0] + words.map((w, k) => w + gaps[k + 1]).join(''));
}
