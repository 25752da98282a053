/**
 * Where a relu2 map's cells go on the input (src/explain/placement.ts): the default stretch is the half-pixel
 * bilinear resize other libraries use; `receptive-field` puts cell i at the centre of its receptive field,
 * input position 2i + 3.5, interpolates linearly between centres and holds the edge cells' values outside.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { XcnnError } from '../src/errors.js';
import { heatmapFromMap } from '../src/explain/explanation.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { checkPlacement, placeMap, PLACEMENTS, receptiveFieldCentre } from '../src/explain/placement.js';
import { paperSpec, planNetwork, receptiveField } from '../src/model/spec.js';
import { resizeBilinear } from '../src/explain/resize.js';
import { seededValues } from './gradcheck.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';
import { errorOf, refusal } from './errors.js';

const MAP = 11;
const INPUT = 28;
/** relu2's receptive field in the paper's network on MNIST, from its plan: 8 pixels at stride 2, cell 0 centred at 3.5. */
const RELU2 = receptiveField(planNetwork(paperSpec(10), { channels: 1, height: 28, width: 28, classes: 10 }), 'relu2')!;

/** The [INPUT, INPUT] placement of an 11 × 11 map with value `f(i, j)` in cell (i, j). */
function place(f: (i: number, j: number) => number): Float32Array {
  const map = Float64Array.from({ length: MAP * MAP }, (_, c) => f(Math.floor(c / MAP), c % MAP));
  return placeMap(map, MAP, MAP, INPUT, INPUT, 'receptive-field', RELU2);
}

describe('receptive-field placement', () => {
  it('puts cell i at the centre of input pixels 2i … 2i+7, 2i + 3.5', () => {
    expect(RELU2).toEqual({ stride: 2, size: 8, centre: 3.5 });
    expect([0, 1, 10].map((i) => receptiveFieldCentre(i, RELU2))).toEqual([3.5, 5.5, 23.5]);
  });

  it('peaks a map with one hot cell (i, j) at the input pixels nearest 2i + 3.5 and 2j + 3.5 (and, for an edge cell, on the held edge beyond)', () => {
    const centre = (i: number) => 2 * i + 3.5;
    const heldEdge = (position: number) => position < centre(0) || position > centre(MAP - 1);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAP - 1 }), fc.integer({ min: 0, max: MAP - 1 }), (hotI, hotJ) => {
        const placed = place((i, j) => (i === hotI && j === hotJ ? 1 : 0));
        const peak = Math.max(...placed);
        expect(peak).toBeGreaterThan(0);
        const nearCentre = (position: number, i: number) => Math.abs(position - centre(i)) <= 0.5;
        let peakNearCentre = false;
        for (let y = 0; y < INPUT; y++) {
          for (let x = 0; x < INPUT; x++) {
            if (placed[y * INPUT + x] !== peak) continue;
            expect(nearCentre(y, hotI) || heldEdge(y)).toBe(true);
            expect(nearCentre(x, hotJ) || heldEdge(x)).toBe(true);
            peakNearCentre ||= nearCentre(y, hotI) && nearCentre(x, hotJ);
          }
        }
        expect(peakNearCentre).toBe(true);
      }),
    );
  });

  it('reproduces a linear ramp exactly between the centres (value a + b·(y − 3.5)/2 + c·(x − 3.5)/2) and holds the edge cells outside them', () => {
    fc.assert(
      fc.property(fc.double({ min: -5, max: 5, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (a, b, c) => {
        const ramp = (i: number, j: number) => a + b * i + c * j;
        const placed = place(ramp);
        const clampCell = (position: number) => Math.min(Math.max((position - 3.5) / 2, 0), MAP - 1);
        for (let y = 0; y < INPUT; y++) {
          for (let x = 0; x < INPUT; x++) {
            expect(placed[y * INPUT + x]).toBeCloseTo(ramp(clampCell(y), clampCell(x)), 5);
          }
        }
        // The two pixels either side of an inner cell's centre average to the cell's value.
        for (let i = 1; i < MAP - 1; i++) {
          const mean = (placed[(2 * i + 3) * INPUT + 10] + placed[(2 * i + 4) * INPUT + 10]) / 2;
          expect(mean).toBeCloseTo(ramp(i, clampCell(10)), 5);
        }
      }),
    );
  });

  it('differs from the stretch (a peak moves by pixels) yet keeps its values within the map\'s range', () => {
    const values = seededValues(3, MAP * MAP).map((v) => v + 1);
    const stretched = placeMap(values, MAP, MAP, INPUT, INPUT);
    const placed = placeMap(values, MAP, MAP, INPUT, INPUT, 'receptive-field', RELU2);
    expect(Array.from(placed)).not.toEqual(Array.from(stretched));
    expect(Math.min(...placed)).toBeGreaterThanOrEqual(Math.min(...values) - 1e-6);
    expect(Math.max(...placed)).toBeLessThanOrEqual(Math.max(...values) + 1e-6);
  });
});

describe('stretch placement, the default', () => {
  it('is the half-pixel bilinear resize, and what heatmapFromMap and explainImages use unless told otherwise', () => {
    const values = seededValues(4, MAP * MAP);
    expect(Array.from(placeMap(values, MAP, MAP, INPUT, INPUT))).toEqual(Array.from(resizeBilinear(values, MAP, MAP, INPUT, INPUT)));
    expect(Array.from(heatmapFromMap(values, MAP, MAP, INPUT, INPUT, 'stretch'))).toEqual(Array.from(heatmapFromMap(values, MAP, MAP, INPUT, INPUT)));

    const network = tinyNetwork(9);
    const images = Uint8Array.from(seededValues(9, 2 * PIXELS), (v) => Math.floor(((v + 1) / 2) * 256));
    const set = { count: 2, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: new Uint8Array(2) };
    const byDefault = explainImages(network, set, methodByName('grad-cam'));
    const placed = explainImages(network, set, methodByName('grad-cam'), { placement: 'receptive-field' });
    expect(byDefault.placement).toBe('stretch');
    expect(placed.placement).toBe('receptive-field');
    expect(Array.from(placed.maps)).toEqual(Array.from(byDefault.maps)); // the raw maps are the same
    expect(Array.from(placed.heatmaps)).not.toEqual(Array.from(byDefault.heatmaps));
    const { mapHeight: h, mapWidth: w } = byDefault;
    expect(Array.from(byDefault.heatmaps.subarray(0, PIXELS))).toEqual(Array.from(heatmapFromMap(byDefault.maps.subarray(0, h * w), h, w, GEOMETRY.height, GEOMETRY.width)));
  });

  it('is the only placement for maps already on the input: receptive-field there is an XcnnError naming the method', () => {
    const network = tinyNetwork(9);
    const set = { count: 1, height: GEOMETRY.height, width: GEOMETRY.width, images: new Uint8Array(PIXELS), labels: new Uint8Array(1) };
    expect(() => explainImages(network, set, methodByName('saliency'), { placement: 'receptive-field' })).toThrow(XcnnError);
    expect(() => explainImages(network, set, methodByName('saliency'), { placement: 'receptive-field' })).toThrow(/Saliency: .*relu2 maps only/);
  });
});

describe('a placement worked by hand, and the refusals', () => {
  // A 1 × 2 map [0, 1] to 1 × 6. Receptive fields at stride 2 with cell 0 centred at 1.5: pixel x samples the map at
  // (x − 1.5)/2 = −0.75, −0.25, 0.25, 0.75, 1.25, 1.75, clamped to [0, 1]. The stretch samples it at
  // (x + 0.5)·2/6 − 0.5 = −1/3, 0, 1/3, 2/3, 1, 4/3, clamped.
  const FIELD = { stride: 2, size: 4, centre: 1.5 };
  const byReceptiveField = Array.from(Float32Array.of(0, 0, 0.25, 0.75, 1, 1));
  const stretched = Array.from(Float32Array.of(0, 0, 1 / 3, 2 / 3, 1, 1));

  it('places [0, 1] at the fields, or stretches it; heatmapFromMap does the same and then min–max', () => {
    expect(Array.from(placeMap([0, 1], 1, 2, 1, 6, 'receptive-field', FIELD))).toEqual(byReceptiveField);
    expect(Array.from(placeMap([0, 1], 1, 2, 1, 6))).toEqual(stretched);
    expect(Array.from(heatmapFromMap([0, 1], 1, 2, 1, 6, 'receptive-field', FIELD))).toEqual(byReceptiveField);
    expect(Array.from(heatmapFromMap([0, 1], 1, 2, 1, 6))).toEqual(stretched);
    // min–max after the placement: [10, 30] places to 10, 10, 15, 25, 30, 30, normalised to the same as [0, 1].
    expect(Array.from(heatmapFromMap([10, 30], 1, 2, 1, 6, 'receptive-field', FIELD))).toEqual(byReceptiveField);
  });

  it('refuses an unknown placement, and the receptive-field placement without a field, in one line each', () => {
    expect(refusal(() => placeMap([0, 1], 1, 2, 1, 6, 'centre' as never))).toBe("placement: 'centre' is not one of stretch, receptive-field");
    expect(refusal(() => placeMap([0, 1], 1, 2, 1, 6, 'receptive-field'))).toBe('placement receptive-field: the explained layer has no receptive field (a network built from a spec has one for every conv block); use the stretch placement');
    expect(refusal(() => heatmapFromMap([0, 1], 1, 2, 1, 6, 'receptive-field'))).toBe('placement receptive-field: the explained layer has no receptive field (a network built from a spec has one for every conv block); use the stretch placement');
    expect(errorOf(() => placeMap([0, 1], 1, 2, 1, 6, 'receptive-field')).code).toBe('ERR_BAD_ARGUMENT');
    expect(errorOf(() => placeMap([0, 1], 1, 2, 1, 6, 'centre' as never)).code).toBe('ERR_BAD_ARGUMENT');
  });

  it('checks the placement option as heatmapFromMap and explainImages name it: a string in quotes, anything else by its type', () => {
    expect(refusal(() => heatmapFromMap([0, 1], 1, 2, 1, 6, 'centre' as never))).toBe("heatmapFromMap: placement 'centre' is not one of stretch, receptive-field");
    const error = errorOf(() => heatmapFromMap([0, 1], 1, 2, 1, 6, 7 as never));
    expect(error.message).toBe('heatmapFromMap: placement number is not one of stretch, receptive-field');
    expect([error.code, error.option]).toEqual(['ERR_BAD_ARGUMENT', 'placement']);
    expect(refusal(() => checkPlacement('explain', null))).toBe('explain: placement object is not one of stretch, receptive-field');
    for (const placement of [undefined, 'stretch', 'receptive-field']) expect(refusal(() => checkPlacement('explain', placement))).toBe('accepted');
    expect(PLACEMENTS).toEqual(['stretch', 'receptive-field']);
  });

  it('names each size heatmapFromMap and placeMap refuse', () => {
    const WHOLE = 'a whole number ≥ 1';
    expect(refusal(() => heatmapFromMap([0, 1], 0, 2, 1, 6))).toBe(`heatmapFromMap: mapHeight must be ${WHOLE}, not 0`);
    expect(refusal(() => heatmapFromMap([0, 1], 1, 2.5, 1, 6))).toBe(`heatmapFromMap: mapWidth must be ${WHOLE}, not 2.5`);
    expect(refusal(() => heatmapFromMap([0, 1], 1, 2, -1, 6))).toBe(`heatmapFromMap: height must be ${WHOLE}, not -1`);
    expect(refusal(() => placeMap([0, 1], 1, 0, 1, 6))).toBe(`placeMap: w must be ${WHOLE}, not 0`);
    expect(refusal(() => placeMap([0, 1], 1, 2, 1, 0))).toBe(`placeMap: width must be ${WHOLE}, not 0`);
  });
});
