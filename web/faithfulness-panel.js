// web/faithfulness-panel.js — the studio's "Faithfulness" panel: the table of `xcnn faithfulness` for the model
// the page runs (the one trained here, or a model opened), on a sample of its data's test images, measured in
// faithfulness-worker.js with progress, and shown as the command and the report show it (FAITHFULNESS_COLUMNS,
// faithfulnessCells: a value with its rank in brackets), the best value of each column marked. The numbers
// can be downloaded as the command's faithfulness.json (which `xcnn report --faithfulness` reads).
//
// The images: the first N test images of the data set the model's metadata names, when the page serves it
// (MNIST, Fashion-MNIST); for a model trained here on a folder, that folder's held-out test images.
//
// For tests and curious readers: #faithfulness-panel data-state is 'idle' (no model yet), 'ready',
// 'measuring', 'done' or 'error'; each body row of #faithfulness-table has data-method, and a best cell
// class="best".
import { FAITHFULNESS_COLUMNS, faithfulnessLegend } from '../dist/src/faithfulness/format.js';

const root = new URL('../', import.meta.url);
const $ = (id) => document.getElementById(id);
const panel = $('faithfulness-panel');
const measureButton = $('measure-faithfulness');
const stopButton = $('stop-faithfulness');
const downloadButton = $('download-faithfulness');
const countField = $('faithfulness-count');
const progress = $('faithfulness-progress');
const status = $('faithfulness-status');
const table = $('faithfulness-table');

/**
 * How each marked column's value is read from a method of faithfulness.json, and which way is better — the
 * directions of FAITHFULNESS_COLUMNS (the columns without one, the method, flag and ms/img, are not marked).
 */
const COLUMN_VALUES = {
  'del·zero': (m) => m.deletion.zero,
  'del·ROAD': (m) => m.deletion.road,
  'ins·zero': (m) => m.insertion.zero,
  'ins·ROAD': (m) => m.insertion.road,
  'vs rand': (m) => m.vsRandom,
  'rand ρ': (m) => m.randomisation.spearman,
  'rand SSIM': (m) => m.randomisation.ssim,
  pointing: (m) => m.pointingGame.hitRate,
  'mean rank': (m) => m.meanRank,
};

let worker = null;
let model = null; // { bytes, name, testSet, model: { dataset, input, classes } } of the model the page runs
let datasets = null; // the manifest's data sets (fetched on first use)
let measured = null; // the faithfulness.json of the last table
let measuredServed = false; // whether it was measured on a served data set (then the command gives the same figures)

function setState(state) {
  panel.dataset.state = state;
  const busy = state === 'measuring';
  stopButton.disabled = !busy;
  refreshMeasureButton();
}

/** The sample size, checked: a whole number from 1 to 10,000, or the one-line reason. */
function readCount() {
  const value = Number(countField.value);
  if (!Number.isInteger(value) || value < 1 || value > 10_000) return { problem: `Test images: '${countField.value}' is not a whole number from 1 to 10000` };
  return { count: value };
}

function refreshMeasureButton() {
  const { problem } = readCount();
  $('faithfulness-check').textContent = problem ?? '';
  $('faithfulness-check').classList.toggle('error', problem !== undefined);
  measureButton.disabled = model === null || panel.dataset.state === 'measuring' || problem !== undefined;
}

function setStatus(text, isError = false) {
  status.textContent = text;
  status.classList.toggle('error', isError);
}

async function servedDatasets() {
  if (datasets === null) {
    const response = await fetch(new URL('data/datasets.json', root));
    datasets = response.ok ? (await response.json()).datasets : [];
  }
  return datasets;
}

/** The images to measure on (as the worker takes them), or throws the one-line reason there are none. */
async function dataFor(current) {
  if (current.testSet) return { kind: 'images', name: current.model.dataset, set: current.testSet };
  const dataset = (await servedDatasets()).find((d) => d.name === current.model.dataset);
  if (dataset === undefined) {
    const names = (await servedDatasets()).map((d) => d.title).join(', ') || 'none';
    throw new Error(`${current.name}: its data set '${current.model.dataset}' is not one this page has (${names}); train a model here, or open a model of one of these`);
  }
  return { kind: 'served', dataset };
}

function startWorker() {
  worker = new Worker(new URL('./faithfulness-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = ({ data: message }) => {
    if (message.type === 'progress') {
      progress.value = message.fraction;
      setStatus(`Measuring: ${message.text}…`);
    } else if (message.type === 'measured') {
      progress.value = 1;
      showTable(message.json, message.cells);
      const { json } = message;
      const command = measuredServed ? ` The same figures (all but ms/img): xcnn faithfulness --model ${json.model} --n ${json.images}.` : '';
      setStatus(`${json.methods.length} methods on the first ${json.images} test images of ${json.dataset}, with ${json.model}, in ${message.seconds.toFixed(1)} s.${command}`);
      setState('done');
    } else if (message.type === 'error') {
      setStatus(`Error: ${message.message}`, true);
      setState('error');
    }
  };
  worker.onerror = (event) => {
    setStatus(`The faithfulness worker failed: ${event.message ?? 'unknown error'}`, true);
    setState('error');
  };
}

async function measure() {
  const { count } = readCount();
  const current = model;
  setState('measuring');
  progress.value = 0;
  setStatus('Starting…');
  try {
    const data = await dataFor(current);
    measuredServed = data.kind === 'served';
    if (worker === null) startWorker();
    const bytes = current.bytes.slice();
    worker.postMessage({ type: 'measure', root: root.href, model: { bytes: bytes.buffer, name: current.name }, count, data }, [bytes.buffer]);
  } catch (error) {
    setStatus(`Error: ${error.message}`, true);
    setState('error');
  }
}

/** measureFaithfulness runs to its end once started: Stop ends the worker (a new one measures next time). */
function stop() {
  worker?.terminate();
  worker = null;
  progress.value = 0;
  setStatus('Stopped.');
  setState(model === null ? 'idle' : 'ready');
}

/** Which rows hold each marked column's best value (ties all marked): column index → Set of row indices. */
function bestRows(methods) {
  const best = new Map();
  FAITHFULNESS_COLUMNS.forEach(([name, arrow], column) => {
    const value = COLUMN_VALUES[name];
    if (value === undefined || arrow === '') return;
    const values = methods.map(value);
    const target = arrow === '↓' ? Math.min(...values) : Math.max(...values);
    best.set(column, new Set(values.flatMap((v, row) => (v === target ? [row] : []))));
  });
  return best;
}

/** The table: a row per method (best mean rank first), then the random order's row, as `xcnn faithfulness` prints it. */
function showTable(json, cells) {
  measured = json;
  const cell = (tag, text, attributes = {}) => Object.assign(document.createElement(tag), { textContent: text }, attributes);
  const head = document.createElement('tr');
  for (const [name, arrow] of FAITHFULNESS_COLUMNS) head.append(cell('th', arrow ? `${name} ${arrow}` : name, { scope: 'col' }));
  const best = bestRows(json.methods);
  const rows = cells.map(([method, ...values], row) => {
    const tr = document.createElement('tr');
    tr.dataset.method = method;
    tr.append(cell('th', method, { scope: 'row' }));
    values.forEach((text, k) => {
      const isBest = best.get(k + 1)?.has(row) === true;
      tr.append(cell('td', text, isBest ? { className: 'best', title: 'the best in this column' } : {}));
    });
    return tr;
  });
  const random = document.createElement('tr');
  random.className = 'random';
  random.append(cell('th', '(random order)', { scope: 'row' }));
  const r = json.random;
  for (const value of [r.deletion.zero, r.deletion.road, r.insertion.zero, r.insertion.road]) random.append(cell('td', value.toFixed(3)));
  for (let k = 5; k < FAITHFULNESS_COLUMNS.length; k++) random.append(cell('td', ''));
  const thead = document.createElement('thead');
  thead.append(head);
  const tbody = document.createElement('tbody');
  tbody.append(...rows, random);
  table.replaceChildren(thead, tbody);
  table.hidden = false;
  $('faithfulness-legend').textContent = `${faithfulnessLegend(json).map((line) => line.trim()).join(' ')} Bold on a tint: the best value of its column.`;
  downloadButton.disabled = false;
}

function download() {
  if (measured === null) return;
  const url = URL.createObjectURL(new Blob([`${JSON.stringify(measured, null, 1)}\n`], { type: 'application/json' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: 'faithfulness.json' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

document.addEventListener('xcnn:model-ready', ({ detail }) => {
  model = detail;
  if (panel.dataset.state !== 'measuring') {
    setState('ready');
    setStatus(`Ready to measure ${detail.name}.`);
  }
});
countField.addEventListener('input', refreshMeasureButton);
measureButton.addEventListener('click', measure);
stopButton.addEventListener('click', stop);
downloadButton.addEventListener('click', download);
setState('idle');
