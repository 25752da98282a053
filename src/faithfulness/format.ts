/**
 * The faithfulness results as a reader meets them: a terminal table (one row per method, best mean rank
 * first, with each measure's direction in the header) and a JSON object (the same numbers, the settings,
 * the per-stage randomisation similarities; no heatmaps).
 */
import { checkFields, type FieldKind } from '../argument-checks.js';
import type { FaithfulnessResult, MethodFaithfulness, RankedMeasure } from './faithfulness.js';

/** The column heads of the table, with the direction that is better. */
export const FAITHFULNESS_COLUMNS = [
  ['method', ''],
  ['del·zero', '↓'],
  ['del·ROAD', '↓'],
  ['ins·zero', '↑'],
  ['ins·ROAD', '↑'],
  ['vs rand', '↑'],
  ['rand ρ', '↓'],
  ['rand SSIM', '↓'],
  ['flag', ''],
  ['pointing', '↑'],
  ['ms/img', ''],
  ['mean rank', '↓'],
] as const;

/** What a table row needs of a method's results: a MethodFaithfulness, or its JSON form. */
export type FaithfulnessRow = Pick<MethodFaithfulness, 'method' | 'deletion' | 'insertion' | 'vsRandom' | 'msPerImage' | 'ranks' | 'meanRank'> & {
  randomisation: { spearman: number; ssim: number; flagged: boolean };
  pointingGame: { hitRate: number };
};

/** One method's cells, in the order of FAITHFULNESS_COLUMNS; a ranked measure's rank follows it in brackets. */
export function faithfulnessCells(row: FaithfulnessRow): string[] {
  const f3 = (x: number) => x.toFixed(3);
  const ranked = (text: string, measure: RankedMeasure) => `${text} (${row.ranks[measure]})`;
  return [
    row.method,
    ranked(f3(row.deletion.zero), 'deletionZero'),
    ranked(f3(row.deletion.road), 'deletionRoad'),
    ranked(f3(row.insertion.zero), 'insertionZero'),
    ranked(f3(row.insertion.road), 'insertionRoad'),
    (row.vsRandom >= 0 ? '+' : '') + f3(row.vsRandom),
    ranked(f3(row.randomisation.spearman), 'randomisation'),
    f3(row.randomisation.ssim),
    row.randomisation.flagged ? 'FLAG' : '',
    ranked(`${(100 * row.pointingGame.hitRate).toFixed(1)}%`, 'pointingGame'),
    row.msPerImage < 10 ? row.msPerImage.toFixed(2) : row.msPerImage.toFixed(0),
    row.meanRank.toFixed(2),
  ];
}

/** What the directions and the random row mean, under the table. */
export function faithfulnessLegend(result: Pick<FaithfulnessResult, 'settings'>): string[] {
  const s = result.settings;
  return [
    `↓ lower is better, ↑ higher is better. AUCs of the predicted class's probability over the fraction of pixels removed (deletion) or inserted (insertion), ${s.steps} steps;`,
    `  zero: removed pixels set to 0; ROAD: noisy linear imputation (σ = ${s.road.sigma}). vs rand: mean margin of the four AUCs over a random order (> 0 beats random).`,
    `rand ρ / SSIM: similarity of the heatmaps after randomising every layer (fc2 → conv1) to the originals, ${s.randomisationImages} image(s); FLAG: above ${s.flagThreshold}.`,
    `pointing: the heatmap's maximum (all of them if tied) within ${s.pointing.tolerance} px of ink (> ${s.pointing.inkThreshold}); ms/img: the explanation alone. (n): the method's rank on that measure; mean rank over those six.`,
  ];
}

/** What the table and the JSON read of a result. */
const FAITHFULNESS_FIELDS: Readonly<Record<string, FieldKind>> = { count: 'number', indices: 'numbers', methods: 'array', random: 'object', settings: 'object' };

/** The table as text for a terminal, with the random-order baseline as its last row. */
export function formatFaithfulness(result: FaithfulnessResult): string {
  checkFields('formatFaithfulness', 'result', result, 'as measureFaithfulness gives it', FAITHFULNESS_FIELDS);
  const f3 = (x: number) => x.toFixed(3);
  const header = FAITHFULNESS_COLUMNS.map(([name, arrow]) => (arrow ? `${name} ${arrow}` : name));
  const rows = result.methods.map(faithfulnessCells);
  const random = ['(random order)', f3(result.random.deletion.zero), f3(result.random.deletion.road), f3(result.random.insertion.zero), f3(result.random.insertion.road), '', '', '', '', '', '', ''];
  const all = [header, ...rows, random];
  const widths = header.map((_, k) => Math.max(...all.map((r) => r[k].length)));
  const line = (r: string[]) => r.map((cell, k) => (k === 0 ? cell.padEnd(widths[k]) : cell.padStart(widths[k]))).join('  ').trimEnd();
  return [
    `Faithfulness of ${result.methods.length} method(s) on ${result.count} test image(s):`,
    '',
    line(header),
    line(widths.map((w) => '-'.repeat(w))),
    ...rows.map(line),
    line(random),
    '',
    ...faithfulnessLegend(result),
  ].join('\n');
}

/** Numbers cut to 6 significant digits for the JSON. */
function round6(value: number): number {
  return Number(value.toPrecision(6));
}

/** The result as JSON-ready data (everything but the heatmaps). */
export function faithfulnessJson(result: FaithfulnessResult, source: { model?: string; dataset?: string } = {}) {
  checkFields('faithfulnessJson', 'result', result, 'as measureFaithfulness gives it', FAITHFULNESS_FIELDS);
  const areas = (a: { zero: number; road: number }) => ({ zero: round6(a.zero), road: round6(a.road) });
  return {
    ...source,
    images: result.count,
    indices: Array.from(result.indices),
    settings: result.settings,
    directions: {
      deletion: 'lower is better',
      insertion: 'higher is better',
      vsRandom: 'higher is better (> 0: beats the random order)',
      randomisation: 'lower is better (similarity to the maps of the randomised network)',
      pointingGame: 'higher is better',
      meanRank: 'lower is better (1 = best on every measure)',
    },
    random: { deletion: areas(result.random.deletion), insertion: areas(result.random.insertion) },
    methods: result.methods.map((m) => ({
      method: m.method,
      title: m.title,
      deletion: areas(m.deletion),
      insertion: areas(m.insertion),
      vsRandom: round6(m.vsRandom),
      randomisation: {
        spearman: round6(m.randomisation.spearman),
        ssim: round6(m.randomisation.ssim),
        flagged: m.randomisation.flagged,
        stages: m.randomisation.stages.map((s) => ({ layers: s.layers, spearman: round6(s.spearman), ssim: round6(s.ssim) })),
      },
      pointingGame: { ...m.pointingGame, hitRate: round6(m.pointingGame.hitRate) },
      msPerImage: round6(m.msPerImage),
      ranks: m.ranks,
      meanRank: round6(m.meanRank),
    })),
  };
}

export type FaithfulnessJson = ReturnType<typeof faithfulnessJson>;
