/**
 * The faithfulness results as a reader meets them (src/faithfulness/format.ts): the terminal table of a result
 * built by hand, cell by cell, and the JSON with its numbers cut to 6 significant digits.
 */
import { describe, expect, it } from 'vitest';
import type { FaithfulnessResult, MethodFaithfulness } from '../src/faithfulness/faithfulness.js';
import { FAITHFULNESS_COLUMNS, faithfulnessCells, faithfulnessJson, faithfulnessLegend, formatFaithfulness } from '../src/faithfulness/format.js';

function method(name: string, overrides: Partial<MethodFaithfulness>): MethodFaithfulness {
  return {
    method: name,
    title: `${name} title`,
    deletion: { zero: 0.1234567, road: 0.25 },
    insertion: { zero: 0.75, road: 0.5 },
    vsRandom: 0.0625,
    randomisation: { stages: [{ layers: ['fc2'], spearman: 0.123456789, ssim: 0.5 }, { layers: ['fc2', 'conv1'], spearman: 0.2, ssim: 0.3 }], spearman: 0.2, ssim: 0.3, flagged: false },
    pointingGame: { hits: 2, misses: 1, flat: 0, hitRate: 2 / 3 },
    msPerImage: 1.5,
    ranks: { deletionZero: 1, deletionRoad: 2, insertionZero: 1.5, insertionRoad: 1, randomisation: 2, pointingGame: 1 },
    meanRank: 8.5 / 6,
    ...overrides,
  };
}

const result: FaithfulnessResult = {
  count: 3,
  indices: Int32Array.of(4, 0, 9),
  labels: Int32Array.of(1, 2, 3),
  predicted: Int32Array.of(1, 2, 0),
  height: 2,
  width: 2,
  settings: { steps: 7, seed: 3, road: { sigma: 0.02, tolerance: 1e-6 }, pointing: { inkThreshold: 0.4, tolerance: 2 }, randomisationImages: 2, flagThreshold: 0.6 },
  random: { deletion: { zero: 0.5, road: 0.4 }, insertion: { zero: 0.3, road: 0.2 } },
  methods: [
    method('saliency', {}),
    method('grad-cam', { vsRandom: -0.25, msPerImage: 12.6, randomisation: { stages: [], spearman: 0.9, ssim: 0.8, flagged: true }, pointingGame: { hits: 1, misses: 2, flat: 1, hitRate: 1 / 3 }, meanRank: 2 }),
  ],
  heatmaps: { saliency: new Float32Array(12), 'grad-cam': new Float32Array(12) },
};

describe('the faithfulness table', () => {
  it("gives a method's cells in the columns' order: AUCs to 3 places with their rank, the sign of vs rand, FLAG, the hit rate in %, ms and the mean rank", () => {
    expect(FAITHFULNESS_COLUMNS.map(([name, arrow]) => `${name}${arrow}`)).toEqual(['method', 'del·zero↓', 'del·ROAD↓', 'ins·zero↑', 'ins·ROAD↑', 'vs rand↑', 'rand ρ↓', 'rand SSIM↓', 'flag', 'pointing↑', 'ms/img', 'mean rank↓']);
    expect(faithfulnessCells(result.methods[0])).toEqual(['saliency', '0.123 (1)', '0.250 (2)', '0.750 (1.5)', '0.500 (1)', '+0.063', '0.200 (2)', '0.300', '', '66.7% (1)', '1.50', '1.42']);
    expect(faithfulnessCells(result.methods[1])).toEqual(['grad-cam', '0.123 (1)', '0.250 (2)', '0.750 (1.5)', '0.500 (1)', '-0.250', '0.900 (2)', '0.800', 'FLAG', '33.3% (1)', '13', '2.00']);
    expect(faithfulnessCells({ ...result.methods[0], vsRandom: 0, msPerImage: 10 })[5]).toBe('+0.000');
    expect(faithfulnessCells({ ...result.methods[0], msPerImage: 10 })[10]).toBe('10');
    expect(faithfulnessCells({ ...result.methods[0], msPerImage: 9.996 })[10]).toBe('10.00');
  });

  it('lays the table out: a title, the header with arrows, a rule, a row a method, the random order last, then the legend', () => {
    // Each column as wide as its widest cell ('0.750 (1.5)' is 11), the method left-aligned, numbers right-aligned, two spaces between.
    expect(formatFaithfulness(result).split('\n')).toEqual([
      'Faithfulness of 2 method(s) on 3 test image(s):',
      '',
      'method          del·zero ↓  del·ROAD ↓   ins·zero ↑  ins·ROAD ↑  vs rand ↑   rand ρ ↓  rand SSIM ↓  flag  pointing ↑  ms/img  mean rank ↓',
      '--------------  ----------  ----------  -----------  ----------  ---------  ---------  -----------  ----  ----------  ------  -----------',
      'saliency         0.123 (1)   0.250 (2)  0.750 (1.5)   0.500 (1)     +0.063  0.200 (2)        0.300         66.7% (1)    1.50         1.42',
      'grad-cam         0.123 (1)   0.250 (2)  0.750 (1.5)   0.500 (1)     -0.250  0.900 (2)        0.800  FLAG   33.3% (1)      13         2.00',
      '(random order)       0.500       0.400        0.300       0.200',
      '',
      ...faithfulnessLegend(result),
    ]);
  });

  it('states the settings in the legend: the steps, σ, the images, the flag threshold and the pointing tolerance and ink', () => {
    expect(faithfulnessLegend(result)).toEqual([
      "↓ lower is better, ↑ higher is better. AUCs of the predicted class's probability over the fraction of pixels removed (deletion) or inserted (insertion), 7 steps;",
      '  zero: removed pixels set to 0; ROAD: noisy linear imputation (σ = 0.02). vs rand: mean margin of the four AUCs over a random order (> 0 beats random).',
      'rand ρ / SSIM: similarity of the heatmaps after randomising every layer (fc2 → conv1) to the originals, 2 image(s); FLAG: above 0.6.',
      "pointing: the heatmap's maximum (all of them if tied) within 2 px of ink (> 0.4); ms/img: the explanation alone. (n): the method's rank on that measure; mean rank over those six.",
    ]);
  });
});

describe('the faithfulness JSON', () => {
  it('holds everything but the heatmaps, its numbers to 6 significant digits, with the source and the directions', () => {
    const json = faithfulnessJson(result, { model: 'm.safetensors', dataset: 'mnist' });
    expect(json).toEqual({
      model: 'm.safetensors',
      dataset: 'mnist',
      images: 3,
      indices: [4, 0, 9],
      settings: result.settings,
      directions: {
        deletion: 'lower is better',
        insertion: 'higher is better',
        vsRandom: 'higher is better (> 0: beats the random order)',
        randomisation: 'lower is better (similarity to the maps of the randomised network)',
        pointingGame: 'higher is better',
        meanRank: 'lower is better (1 = best on every measure)',
      },
      random: { deletion: { zero: 0.5, road: 0.4 }, insertion: { zero: 0.3, road: 0.2 } },
      methods: [
        {
          method: 'saliency',
          title: 'saliency title',
          deletion: { zero: 0.123457, road: 0.25 },
          insertion: { zero: 0.75, road: 0.5 },
          vsRandom: 0.0625,
          randomisation: { spearman: 0.2, ssim: 0.3, flagged: false, stages: [{ layers: ['fc2'], spearman: 0.123457, ssim: 0.5 }, { layers: ['fc2', 'conv1'], spearman: 0.2, ssim: 0.3 }] },
          pointingGame: { hits: 2, misses: 1, flat: 0, hitRate: 0.666667 },
          msPerImage: 1.5,
          ranks: { deletionZero: 1, deletionRoad: 2, insertionZero: 1.5, insertionRoad: 1, randomisation: 2, pointingGame: 1 },
          meanRank: 1.41667,
        },
        {
          method: 'grad-cam',
          title: 'grad-cam title',
          deletion: { zero: 0.123457, road: 0.25 },
          insertion: { zero: 0.75, road: 0.5 },
          vsRandom: -0.25,
          randomisation: { spearman: 0.9, ssim: 0.8, flagged: true, stages: [] },
          pointingGame: { hits: 1, misses: 2, flat: 1, hitRate: 0.333333 },
          msPerImage: 12.6,
          ranks: { deletionZero: 1, deletionRoad: 2, insertionZero: 1.5, insertionRoad: 1, randomisation: 2, pointingGame: 1 },
          meanRank: 2,
        },
      ],
    });
    expect(Object.keys(faithfulnessJson(result))[0]).toBe('images');
  });
});

describe('what the table and the JSON refuse', () => {
  // Each field they read, wrong in turn: one line naming the function, the field, what it must be and what it is.
  const wrong: Array<[string, unknown, string]> = [
    ['count', '3', 'a number'],
    ['indices', 4, 'an array or a typed array of numbers'],
    ['methods', {}, 'an array'],
    ['random', null, 'an object'],
    ['settings', [], 'an object'],
  ];
  for (const [field, value, kind] of wrong) {
    it(`a result whose ${field} is not ${kind}`, () => {
      const bad = { ...result, [field]: value } as unknown as FaithfulnessResult;
      for (const [name, work] of [['formatFaithfulness', () => formatFaithfulness(bad)], ['faithfulnessJson', () => faithfulnessJson(bad)]] as const) {
        let message = '';
        try {
          work();
        } catch (error) {
          message = (error as Error).message;
        }
        expect(message).toMatch(new RegExp(`^${name}: result\\.${field} must be ${kind.replace(/[()]/g, '\\$&')} \\(result: as measureFaithfulness gives it\\), not `));
      }
    });
  }
});
