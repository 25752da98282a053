/**
 * The report's "Faithfulness" section, from a faithfulness.json written by `xcnn faithfulness` (read and
 * checked by faithfulness-file.ts): the ranked table (the terminal table's columns and directions,
 * src/faithfulness/format.ts), its legend, and the side-by-side figure when there is one. Everything from
 * the file is text to the page: every string and number from it goes through escapeHtml.
 */
import { FAITHFULNESS_COLUMNS, faithfulnessCells, faithfulnessLegend, type FaithfulnessJson } from '../faithfulness/format.js';
import { escapeHtml, figureHtml, type ReportFigure } from './report-html.js';

export interface FaithfulnessSection {
  json: FaithfulnessJson;
  figure?: ReportFigure; // faithfulness.png, when found beside the JSON
}

/** The section's HTML: heading, table (best mean rank first, then the random-order baseline), legend, figure. */
export function faithfulnessSectionHtml(section: FaithfulnessSection): string {
  const { json, figure } = section;
  const head = FAITHFULNESS_COLUMNS.map(([name, arrow]) => `<th scope="col">${escapeHtml(arrow ? `${name} ${arrow}` : name)}</th>`).join('');
  const body = json.methods.map((m) => {
    const [name, ...cells] = faithfulnessCells(m);
    return `<tr><th scope="row">${escapeHtml(name)}</th>${cells.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`;
  });
  const random = [json.random.deletion.zero, json.random.deletion.road, json.random.insertion.zero, json.random.insertion.road].map((x) => `<td>${escapeHtml(x.toFixed(3))}</td>`).join('');
  const blanks = '<td></td>'.repeat(FAITHFULNESS_COLUMNS.length - 5);
  const measured = [json.dataset === undefined ? '' : ` ${escapeHtml(json.dataset)}`, ' test images', json.model === undefined ? '' : ` with the model <code>${escapeHtml(json.model)}</code>`].join('');
  return [
    '<h2>Faithfulness of the explanation methods</h2>',
    `<p>Every method on the first ${escapeHtml(String(json.images))}${measured} (<code>xcnn faithfulness</code>), one row each, the best mean rank first.</p>`,
    '<table class="scores">',
    `<thead><tr>${head}</tr></thead>`,
    '<tbody>',
    ...body,
    `<tr class="total"><th scope="row">(random order)</th>${random}${blanks}</tr>`,
    '</tbody></table>',
    `<p class="summary">${faithfulnessLegend(json).map((line) => escapeHtml(line.trim())).join(' ')}</p>`,
    figure ? figureHtml(figure, 'Each method\'s heatmap of the predicted class on the same digits, correct and misclassified, labelled <code>true→predicted</code>.') : '',
  ].join('\n');
}
