/**
 * Where a conv block's map cells go on the input: how an [h, w] map of the CAM family becomes [H, W].
 *
 * `stretch` (the default, what pytorch-grad-cam, Captum and OpenCV-based code do): the map is resized over the
 * whole image, bilinear with half-pixel centres (resize.ts), as if cell i of h sat at input position
 * (i + 0.5)·H/h − 0.5.
 *
 * `receptive-field`: each cell sits at the centre of its receptive field, which the network's plan gives
 * (spec.ts receptiveField: cell i's field spans `size` pixels from stride·i + start, centred at
 * stride·i + centre₀). In the paper's network a relu2 cell i (conv2, 3 × 3) sees pool1 cells i … i+2, which
 * see conv1 cells 2i … 2i+5, which see input pixels 2i … 2i+7: a field of 8 pixels at stride 2, centred at
 * 2i + 3.5 in pixel indices (pixel y's centre being y). Output pixel y samples the map at
 * s = (y − centre₀)/stride, bilinear between cells ⌊s⌋ and ⌊s⌋ + 1; outside the centres, s < 0 or s > h − 1
 * (y < 3.5 or y > 2(h−1) + 3.5 = 23.5 for MNIST), s is clamped and the edge cell's value held. The two
 * placements differ by up to a few pixels: the stretch puts cell 0 at 0.77 and cell 10 at 26.2, the receptive
 * fields at 3.5 and 23.5 — an 11 × 11 map covers only the centre 20 × 20 of 28 × 28.
 */
import { checkFields, checkNumber, checkNumbers, checkPositiveWhole, checkString } from '../argument-checks.js';
import { XcnnError } from '../errors.js';
import type { ReceptiveField } from '../model/spec.js';
import { halfPixelTaps, resizeWithTaps, type LinearTaps } from './resize.js';

export const PLACEMENTS = ['stretch', 'receptive-field'] as const;
export type Placement = (typeof PLACEMENTS)[number];

/** The input position (a pixel index, fractional) at the centre of map cell i's receptive field: stride·i + centre₀. */
export function receptiveFieldCentre(i: number, field: ReceptiveField): number {
  checkNumber('receptiveFieldCentre', 'i', i, 'a number (a cell of the map)');
  checkFields('receptiveFieldCentre', 'field', field, 'stride, size and centre: receptiveField', { stride: 'number', size: 'number', centre: 'number' });
  return field.stride * i + field.centre;
}

/** One axis: output pixel d samples the map at (d − centre₀)/stride, clamped to [0, inSize − 1]. */
export function receptiveFieldTaps(inSize: number, outSize: number, field: ReceptiveField): LinearTaps {
  const taps = { lower: new Int32Array(outSize), upper: new Int32Array(outSize), weight: new Float64Array(outSize) };
  const first = receptiveFieldCentre(0, field);
  for (let d = 0; d < outSize; d++) {
    const s = Math.min(Math.max((d - first) / field.stride, 0), inSize - 1);
    const lower = Math.floor(s);
    taps.lower[d] = lower;
    taps.upper[d] = Math.min(lower + 1, inSize - 1);
    taps.weight[d] = s - lower;
  }
  return taps;
}

/** A placement option: absent (the default, stretch) or one of PLACEMENTS; `what` names the function. */
export function checkPlacement(what: string, placement: unknown): void {
  if (placement === undefined || (PLACEMENTS as readonly unknown[]).includes(placement)) return;
  const shown = typeof placement === 'string' ? `'${placement}'` : typeof placement;
  throw new XcnnError(`${what}: placement ${shown} is not one of ${PLACEMENTS.join(', ')}`, { code: 'ERR_BAD_ARGUMENT', option: 'placement' });
}

/**
 * map [h, w] → [H, W] by `placement` (see the header); `stretch` of a map already [H, W] is a copy.
 * `receptive-field` needs the explained layer's field (explained-layer.ts gives it from the network's plan).
 */
export function placeMap(map: ArrayLike<number>, h: number, w: number, height: number, width: number, placement: Placement = 'stretch', field: ReceptiveField | null = null): Float32Array {
  checkNumbers('placeMap', 'map', map);
  for (const [name, size] of Object.entries({ h, w, height, width })) checkPositiveWhole('placeMap', name, size);
  if (map.length !== h * w) throw new XcnnError(`placeMap: map holds ${map.length} values, but h × w = ${h} × ${w} = ${h * w}; give the map's own h and w`, { code: 'ERR_BAD_ARGUMENT' });
  checkString('placeMap', 'placement', placement, `one of ${PLACEMENTS.join(', ')}`);
  if (field !== null) checkFields('placeMap', 'field', field, 'stride, size and centre, as receptiveField gives them', { stride: 'number', size: 'number', centre: 'number' });
  if (placement === 'stretch') return resizeWithTaps(map, w, halfPixelTaps(h, height), halfPixelTaps(w, width));
  if (placement === 'receptive-field') {
    if (field === null) throw new XcnnError('placement receptive-field: the explained layer has no receptive field (a network built from a spec has one for every conv block); use the stretch placement', { code: 'ERR_BAD_ARGUMENT' });
    return resizeWithTaps(map, w, receptiveFieldTaps(h, height, field), receptiveFieldTaps(w, width, field));
  }
  throw new XcnnError(`placement: '${String(placement)}' is not one of ${PLACEMENTS.join(', ')}`, { code: 'ERR_BAD_ARGUMENT' });
}
