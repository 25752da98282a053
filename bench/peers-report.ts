/**
 * The peers bench's results as data, and how they are shown: the per-thread ratio arithmetic, the Markdown
 * table README carries (printed by bench/peers-table.ts from runs/peers.json) and the SVG figure
 * (docs/figures/peers.svg). Pure functions of runs/peers.json's content: no timing here.
 */

/** One contender: a tool at a thread count, measured or skipped. */
export interface PeerResult {
  tool: string; // e.g. 'TensorFlow.js (wasm)'
  threads: number;
  /** 'ok', or 'skipped: why'. */
  status: string;
  detail?: string;
  optimizer?: string | null; // when not Adam
  parameters?: number;
  firstResultMs?: number;
  trainImagesPerSecond?: number | null; // null: the tool cannot train the net
  inferImagesPerSecond?: number;
  gradCamImagesPerSecond?: number | null; // null: the tool has no Grad-CAM
  peakRssMb?: number;
  testAccuracy?: number | null; // after the protocol's short training, in [0, 1]
  /** The loss of the protocol's last training step (before its update), where the tool gives it: checked against xcnn's. */
  trainLoss?: number | null;
  /** xcnn's images/s ÷ this tool's at the same thread count: the median of the per-round ratios (> 1: xcnn faster). */
  ratios?: { train: number | null; infer: number | null; gradCam: number | null };
  /** What a reader should know about this row (a measurement taken once, a protocol not run). */
  notes?: string[];
}

export interface PeersFile {
  date: string;
  machine: { cpu: string; cores: number; node: string; shared?: boolean };
  network: string; // the preset or spec raced
  protocol: string;
  results: PeerResult[];
}

/**
 * Where a run on `network` is written, relative to the package: the paper preset's as runs/peers.json and
 * docs/figures/peers.svg (README's), another preset's under its name, a spec's as 'spec'; a quick run (a smoke
 * test, no measurement) as …-quick.json and no figure.
 */
export function peersOutputs(network: string, quick: boolean): { json: string; svg: string | null } {
  const name = network === 'paper' ? 'peers' : `peers-${/^[a-z0-9]+$/.test(network) ? network : 'spec'}`;
  return { json: `runs/${name}${quick ? '-quick' : ''}.json`, svg: quick ? null : `docs/figures/${name}.svg` };
}

/** Two tools' last-step losses differ by more than this, relative to xcnn's: not the same training. */
export const LOSS_TOLERANCE = 0.02;

/**
 * Why a tool's training is not xcnn's, read off the protocol's last-step losses (both from the same initial
 * weights, batches and Adam), or null when they agree within LOSS_TOLERANCE or either is missing.
 */
export function lossMismatch(tool: number | null | undefined, xcnn: number | null | undefined): string | null {
  if (tool === null || tool === undefined || xcnn === null || xcnn === undefined) return null;
  if (Number.isFinite(tool) && Math.abs(tool - xcnn) <= LOSS_TOLERANCE * Math.abs(xcnn)) return null;
  return `not the same training: its loss after the accuracy protocol's last step is ${tool.toPrecision(4)}, xcnn's ${xcnn.toPrecision(4)} (more than ${LOSS_TOLERANCE * 100} % apart)`;
}

/** The middle value (the mean of the two middle ones for an even count), or null for none. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * xcnn ÷ tool: the median over rounds of xcnn's images/s that round ÷ the tool's that round, the rounds
 * paired so that both saw the same machine; null when either side has no samples. A tool too slow to repeat
 * has one sample: then xcnn's median ÷ it.
 */
export function medianRatio(xcnn: number[], tool: number[]): number | null {
  if (tool.length === 1 && xcnn.length > 1) return tool[0] > 0 ? median(xcnn)! / tool[0] : null;
  const rounds = Math.min(xcnn.length, tool.length);
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) if (tool[round] > 0) ratios.push(xcnn[round] / tool[round]);
  return median(ratios);
}

/** `value` to 3 significant digits with thousands grouped, '—' when absent. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  const rounded = Number(value.toPrecision(digits));
  return rounded.toLocaleString('en-US', { maximumFractionDigits: 20 });
}

const HEADER = ['tool', 'threads', 'train img/s', 'infer img/s', 'Grad-CAM img/s', 'first result ms', 'peak RSS MB', 'test accuracy', 'xcnn ÷ this (train / infer / Grad-CAM)'];

/** The cells of one table row (a skipped tool: its name, threads and why, the rest empty). */
export function tableCells(result: PeerResult): string[] {
  if (result.status !== 'ok') return [result.tool, String(result.threads), result.status, '', '', '', '', '', ''];
  const ratio = (value: number | null | undefined) => (value === null || value === undefined ? '—' : `${formatNumber(value)}×`);
  const ratios = result.ratios;
  return [
    result.tool,
    String(result.threads),
    formatNumber(result.trainImagesPerSecond),
    formatNumber(result.inferImagesPerSecond),
    formatNumber(result.gradCamImagesPerSecond),
    formatNumber(result.firstResultMs),
    formatNumber(result.peakRssMb),
    result.testAccuracy === null || result.testAccuracy === undefined ? '—' : `${(100 * result.testAccuracy).toFixed(1)} %`,
    ratios === undefined ? '—' : `${ratio(ratios.train)} / ${ratio(ratios.infer)} / ${ratio(ratios.gradCam)}`,
  ];
}

/** The results as a Markdown table, with the run's date, machine and protocol above it. */
export function markdownTable(file: PeersFile): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  const lines = [
    `Network \`${file.network}\`; ${file.machine.cpu}, ${file.machine.cores} cores${file.machine.shared ? ' (shared with other work while it ran)' : ''}, Node ${file.machine.node}; ${file.date.slice(0, 10)}.`,
    '',
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, k) => (k < 2 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...file.results.map((result) => `| ${tableCells(result).map(escape).join(' | ')} |`),
    '',
    file.protocol,
  ];
  const notes = file.results.filter((result) => (result.notes ?? []).length > 0).map((result) => `- ${result.tool}, ${result.threads} thread(s): ${result.notes!.join('; ')}.`);
  if (notes.length > 0) lines.push('', ...notes);
  return `${lines.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * The results as an SVG figure: the table, and beside every measured row a bar of its inference images/s
 * on a common scale (the longest bar is the fastest tool), so the figure reads at a glance.
 */
export function svgTable(file: PeersFile): string {
  const rows = file.results.map(tableCells);
  const charWidth = 7; // px per character of 12 px monospace
  // A skipped row's reason runs on over the empty cells after it, so it does not widen its column.
  const measured = rows.filter((_, r) => file.results[r].status === 'ok');
  const widths = HEADER.map((title, k) => charWidth * Math.max(title.length, ...(k < 2 ? rows : measured).map((row) => row[k].length)) + 16);
  const barWidth = 160;
  const rowHeight = 22;
  const top = 48;
  const tableWidth = widths.reduce((a, b) => a + b, 0);
  const longestReason = Math.max(0, ...rows.filter((_, r) => file.results[r].status !== 'ok').map((row) => row[2].length));
  const width = Math.max(tableWidth + barWidth + 24, 8 + widths[0] + widths[1] + charWidth * longestReason + 8);
  const height = top + rowHeight * (rows.length + 1) + 16;
  const fastest = Math.max(1, ...file.results.map((result) => (result.status === 'ok' ? (result.inferImagesPerSecond ?? 0) : 0)));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="monospace" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="8" y="20" font-size="14" font-weight="bold">${escapeXml(`xcnn and its peers — ${file.network}`)}</text>`,
    `<text x="8" y="38" fill="#555555">${escapeXml(`${file.machine.cpu}, ${file.machine.cores} cores${file.machine.shared ? ' (shared)' : ''}, ${file.date.slice(0, 10)}; bars: inference images/s`)}</text>`,
  ];
  const cellsAt = (cells: string[], y: number, weight: string, skipped: boolean) => {
    let x = 8;
    cells.forEach((cell, k) => {
      const anchorEnd = k >= 2 && !skipped;
      if (cell !== '') parts.push(`<text x="${anchorEnd ? x + widths[k] - 12 : x}" y="${y}"${anchorEnd ? ' text-anchor="end"' : ''}${weight}>${escapeXml(cell)}</text>`);
      x += widths[k];
    });
  };
  cellsAt(HEADER, top + 14, ' font-weight="bold"', false);
  parts.push(`<line x1="8" x2="${width - 8}" y1="${top + 20}" y2="${top + 20}" stroke="#999999"/>`);
  rows.forEach((cells, r) => {
    const result = file.results[r];
    const y = top + rowHeight * (r + 1) + 14;
    const skipped = result.status !== 'ok';
    cellsAt(cells, y, result.tool.startsWith('xcnn') ? ' font-weight="bold"' : skipped ? ' fill="#888888"' : '', skipped);
    if (!skipped && result.inferImagesPerSecond !== undefined) {
      const length = Math.max(1, (barWidth * result.inferImagesPerSecond) / fastest);
      const color = result.tool.startsWith('xcnn') ? '#d95f02' : '#7570b3';
      parts.push(`<rect x="${tableWidth + 16}" y="${y - 11}" width="${length.toFixed(1)}" height="14" fill="${color}"/>`);
    }
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
