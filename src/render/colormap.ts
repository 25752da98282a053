/**
 * Colormaps: a value in [0, 1] to a colour, for heatmaps.
 *
 * - jet: matplotlib's `jet` (the rainbow of most Grad-CAM figures, the paper's included), piecewise
 *   linear through matplotlib's own anchor points (`_jet_data` in matplotlib/_cm.py): dark blue → blue →
 *   cyan → yellow → red → dark red.
 * - viridis: matplotlib's `viridis` (van der Walt & Smith; the data are CC0), perceptually uniform and
 *   readable in greyscale and by colour-blind readers: its 256 colours, interpolated linearly.
 * - coolwarm, for signed maps (zero at 0.5): diverging blue → light grey → red, through the two end colours
 *   and the middle colour of Moreland's cool-warm map (2009, "Diverging Color Maps for Scientific
 *   Visualization"; matplotlib's `coolwarm`), linear in RGB between them (Moreland interpolates in his Msh
 *   space; the ends and the centre, which are what a reader reads, are his). Not a `--colormap` choice:
 *   figures of signed methods always use it.
 */
import { checkNumber } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import { mixRgb, type Rgb } from './raster.js';

export type Colormap = (value: number) => Rgb;
export type ColormapName = 'jet' | 'viridis';
export const colormapNames: readonly ColormapName[] = ['jet', 'viridis'];

/** A channel through (x, y) anchors with x ascending from 0 to 1, linear between them. */
type Segments = ReadonlyArray<readonly [x: number, y: number]>;

const JET_SEGMENTS: { red: Segments; green: Segments; blue: Segments } = {
  red: [[0, 0], [0.35, 0], [0.66, 1], [0.89, 1], [1, 0.5]],
  green: [[0, 0], [0.125, 0], [0.375, 1], [0.64, 1], [0.91, 0], [1, 0]],
  blue: [[0, 0.5], [0.11, 1], [0.34, 1], [0.65, 0], [1, 0]],
};

function interpolate(segments: Segments, x: number): number {
  for (let k = 1; k < segments.length; k++) {
    const [x1, y1] = segments[k];
    if (x <= x1) {
      const [x0, y0] = segments[k - 1];
      return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
    }
  }
  return segments[segments.length - 1][1];
}

/** Values outside [0, 1] (and NaN) are clamped, so a colormap never returns an invalid colour. */
function clamp01(value: number): number {
  return value > 0 ? Math.min(value, 1) : 0;
}

export const jet: Colormap = (value) => {
  checkNumber('jet', 'value', value, 'a number (0 to 1)');
  const x = clamp01(value);
  return [
    Math.round(255 * interpolate(JET_SEGMENTS.red, x)),
    Math.round(255 * interpolate(JET_SEGMENTS.green, x)),
    Math.round(255 * interpolate(JET_SEGMENTS.blue, x)),
  ];
};

/** matplotlib's viridis, 256 colours as rrggbb hex, from 0 (dark purple #440154) to 1 (yellow #fde725). */
const VIRIDIS_HEX =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e6147106347116447136548146748' +
  '166848176948186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878' +
  '482979472a7a472c7a472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a' +
  '83443b84433d84433e85423f854240864241864142874144874045884046883f47883f48893e49893e4a893e' +
  '4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d' +
  '365c8d365d8d355e8d355f8d34608d34618d33628d33638d32648e32658e31668e31678e31688e30698e306a' +
  '8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e2c728e2c738e2b748e2b758e2a768e2a778e2a' +
  '788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e26828e26828e25838e25848e25858e' +
  '24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d21918c20928c20928c2093' +
  '8c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f881fa0881fa1881f' +
  'a1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad8128ae80' +
  '29af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc' +
  '743fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655a' +
  'c8645cc8635ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad151' +
  '7cd2507fd34e81d34d84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da' +
  '39a2da37a5db36a8db34aadc32addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8' +
  'e020cae11fcde11dd0e11cd2e21bd5e21ad8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51b' +
  'efe51cf1e51df4e61ef6e620f8e621fbe723fde725';

const VIRIDIS: Rgb[] = Array.from({ length: VIRIDIS_HEX.length / 6 }, (_, k) => {
  const hex = VIRIDIS_HEX.slice(6 * k, 6 * k + 6);
  return [parseInt(hex.slice(0, 2), 16), parseInt(hex.slice(2, 4), 16), parseInt(hex.slice(4, 6), 16)];
});

/** Colour k of 256 sits at k/255; values between two colours mix them linearly. */
export const viridis: Colormap = (value) => {
  checkNumber('viridis', 'value', value, 'a number (0 to 1)');
  const position = clamp01(value) * (VIRIDIS.length - 1);
  const k = Math.min(Math.floor(position), VIRIDIS.length - 2);
  return mixRgb(VIRIDIS[k], VIRIDIS[k + 1], position - k);
};

const COOLWARM: Segments[] = [
  [[0, 59 / 255], [0.5, 221 / 255], [1, 180 / 255]],
  [[0, 76 / 255], [0.5, 221 / 255], [1, 4 / 255]],
  [[0, 192 / 255], [0.5, 221 / 255], [1, 38 / 255]],
];

/** Diverging: 0 blue (negative), 0.5 light grey (zero), 1 red (positive). */
export const coolwarm: Colormap = (value) => {
  checkNumber('coolwarm', 'value', value, 'a number (0 to 1)');
  const x = clamp01(value);
  return [Math.round(255 * interpolate(COOLWARM[0], x)), Math.round(255 * interpolate(COOLWARM[1], x)), Math.round(255 * interpolate(COOLWARM[2], x))];
};

export function colormapByName(name: ColormapName): Colormap {
  return name === 'jet' ? jet : viridis;
}

/** The diverging colormap, for signed maps drawn zero-centred (0 → blue, 0.5 → grey, 1 → red). */
export const divergingColormap: Colormap = coolwarm;
export type DivergingColormapName = 'coolwarm';

const BY_NAME: Record<ColormapName | DivergingColormapName, Colormap> = { jet, viridis, coolwarm };

/** A colormap by its name, sequential ('jet', 'viridis') or diverging ('coolwarm'); an unknown name is an XcnnError. */
export function colormap(name: ColormapName | DivergingColormapName): Colormap {
  if (!Object.hasOwn(BY_NAME, name)) throw new XcnnError(`unknown colormap '${String(name)}': choose ${Object.keys(BY_NAME).join(', ')}`, { code: 'ERR_BAD_ARGUMENT' });
  return BY_NAME[name];
}
