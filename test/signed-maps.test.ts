/**
 * Signed maps in figures: the methods whose maps take both signs say so (`signed`), and their figures
 * draw the map zero-centred (`zeroCentred`: 0 at 0.5, the sign kept) in the diverging `coolwarm` colormap.
 */
import { describe, expect, it } from 'vitest';
import { zeroCentred } from '../src/explain/explanation.js';
import { METHOD_NAMES, methodByName } from '../src/explain/methods/by-name.js';
import { explainImages } from '../src/explain/methods/explain.js';
import { coolwarm } from '../src/render/colormap.js';
import { seededValues } from './gradcheck.js';
import { GEOMETRY, PIXELS, tinyNetwork } from './fixtures/tiny-network.js';

describe('zeroCentred', () => {
  it('puts 0 at 0.5 and the largest magnitude at 0 or 1, keeping every sign', () => {
    const values = [-2, -1, 0, 0.5, 4];
    expect(Array.from(zeroCentred(values))).toEqual([0.25, 0.375, 0.5, 0.5625, 1]);
    const random = seededValues(1, 50);
    const centred = zeroCentred(random);
    for (let p = 0; p < random.length; p++) expect(Math.sign(centred[p] - 0.5)).toBe(Math.sign(random[p]));
    expect(Math.max(...centred.map((v) => Math.abs(v - 0.5)))).toBeCloseTo(0.5, 6);
  });

  it('gives all 0.5 (zero), never NaN, for an all-zero map or a non-finite one', () => {
    expect(Array.from(zeroCentred([0, 0, 0]))).toEqual([0.5, 0.5, 0.5]);
    expect(Array.from(zeroCentred([1, Infinity]))).toEqual([0.5, 0.5]);
  });
});

describe('coolwarm', () => {
  it('is blue below the middle, light grey at 0.5 (zero) and red above, clamped outside [0, 1]', () => {
    expect(coolwarm(0.5)).toEqual([221, 221, 221]);
    const [r0, , b0] = coolwarm(0);
    const [r1, , b1] = coolwarm(1);
    expect(b0).toBeGreaterThan(r0);
    expect(r1).toBeGreaterThan(b1);
    expect(coolwarm(-3)).toEqual(coolwarm(0));
    expect(coolwarm(Number.NaN)).toEqual(coolwarm(0));
    expect(coolwarm(7)).toEqual(coolwarm(1));
  });
});

describe('signed methods', () => {
  it('every method whose maps go negative says it is signed, and the others never go negative', () => {
    const network = tinyNetwork(9);
    const images = Uint8Array.from(seededValues(9, 6 * PIXELS), (v) => Math.floor(((v + 1) / 2) * 256));
    const set = { count: 6, height: GEOMETRY.height, width: GEOMETRY.width, images, labels: new Uint8Array(6) };
    const negative: string[] = [];
    for (const name of METHOD_NAMES) {
      const method = methodByName(name, { smoothGrad: { samples: 4 }, integratedGradients: { steps: 8 } });
      const result = explainImages(network, set, method);
      const goesNegative = result.maps.some((v) => v < 0);
      if (goesNegative) negative.push(name);
      if (!method.signed) expect(goesNegative, name).toBe(false);
    }
    for (const name of negative) expect(methodByName(name).signed, name).toBe(true);
    expect(negative.length).toBeGreaterThanOrEqual(4); // the check bites: several methods do go negative here
  });
});
