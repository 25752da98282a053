/**
 * The peers bench's pure parts (bench/peers-report.ts, peers-layout.ts, peers.ts's availability check): the
 * ratio arithmetic, the shared weights in channels-last tools' layout, the Markdown table and SVG figure
 * drawn from a peers run, and the "skipped: why" of a tool that is absent. The bench itself is never run here.
 */
import { describe, expect, it } from 'vitest';
import { convToChannelsLast, linearToChannelsLast, channelsLastParameters } from '../bench/peers-layout.js';
import { lossMismatch, LOSS_TOLERANCE, markdownTable, peersOutputs, median, medianRatio, svgTable, tableCells, type PeersFile } from '../bench/peers-report.js';
import { hasDropout, isProtocolLine, PEER_TOOLS, peersNetworks, whyUnavailable } from '../bench/peers.js';

describe('the ratio xcnn ÷ tool', () => {
  it('is the median of the per-round ratios, rounds paired', () => {
    // rounds: 100/50 = 2, 200/50 = 4, 300/100 = 3 → median 3 (the ratio of the medians would be 200/50 = 4)
    expect(medianRatio([100, 200, 300], [50, 50, 100])).toBe(3);
    expect(medianRatio([10, 30], [10, 10])).toBe(2); // even count: the mean of the middle two, (1 + 3) / 2
  });

  it("divides xcnn's median by a slow tool's single sample", () => {
    expect(medianRatio([100, 300, 200], [50])).toBe(4);
  });

  it('is null without samples on either side', () => {
    expect(medianRatio([], [1, 2])).toBeNull();
    expect(medianRatio([1, 2], [])).toBeNull();
    expect(median([])).toBeNull();
  });
});

describe("a tool's training checked against xcnn's", () => {
  it("passes when the last-step losses agree within the tolerance, 2 % of xcnn's", () => {
    expect(LOSS_TOLERANCE).toBe(0.02);
    expect(lossMismatch(0.5, 0.5)).toBeNull();
    expect(lossMismatch(0.509, 0.5)).toBeNull(); // 1.8 % apart
    expect(lossMismatch(0.491, 0.5)).toBeNull();
  });

  it('is named in the row when they do not: a step that skips work trains differently', () => {
    expect(lossMismatch(0.52, 0.5)).toBe("not the same training: its loss after the accuracy protocol's last step is 0.5200, xcnn's 0.5000 (more than 2 % apart)");
    expect(lossMismatch(0.47, 0.5)).toMatch(/is 0\.4700, xcnn's 0\.5000/);
  });

  it('fails a loss that is not a number', () => {
    expect(lossMismatch(Number.NaN, 0.5)).toMatch(/is NaN, xcnn's 0\.5000/);
    expect(lossMismatch(Number.POSITIVE_INFINITY, 0.5)).toMatch(/is Infinity/);
  });

  it('says nothing when either side has no loss (a tool that cannot train, or xcnn not raced)', () => {
    expect(lossMismatch(null, 0.5)).toBeNull();
    expect(lossMismatch(0.5, undefined)).toBeNull();
  });
});

describe('weights in channels-last layout', () => {
  it('moves a convolution weight from [O, I, K, K] to [K, K, I, O]', () => {
    // O = 2, I = 1, K = 2: filter 0 is 1 2 / 3 4, filter 1 is 5 6 / 7 8; channels-last interleaves the filters per position.
    const weight = Float32Array.of(1, 2, 3, 4, 5, 6, 7, 8);
    expect(Array.from(convToChannelsLast(weight, [2, 1, 2, 2]))).toEqual([1, 5, 2, 6, 3, 7, 4, 8]);
  });

  it('transposes a linear weight and reorders its inputs when they are a flattened [C, H, W]', () => {
    // one output, inputs [C=2, H=1, W=2] flattened c-major: (c0,w0)=1 (c0,w1)=2 (c1,w0)=3 (c1,w1)=4;
    // channels-last order is (w0,c0) (w0,c1) (w1,c0) (w1,c1) = 1 3 2 4.
    expect(Array.from(linearToChannelsLast(Float32Array.of(1, 2, 3, 4), [1, 4], [2, 1, 2]))).toEqual([1, 3, 2, 4]);
    // no flatten before it: a plain transpose, [2, 2] → [2, 2]ᵀ
    expect(Array.from(linearToChannelsLast(Float32Array.of(1, 2, 3, 4), [2, 2], null))).toEqual([1, 3, 2, 4]);
  });

  it('reorders only the first linear after a flatten, and leaves biases alone', () => {
    const layers = [
      { kind: 'flatten', inputShape: [2, 1, 2], parameterCount: 0 },
      { kind: 'linear', inputShape: [4], parameterCount: 2 },
      { kind: 'linear', inputShape: [1], parameterCount: 2 },
    ];
    const parameters = [{ shape: [1, 4] }, { shape: [1] }, { shape: [2, 1] }, { shape: [2] }];
    const values = [Float32Array.of(1, 2, 3, 4), Float32Array.of(9), Float32Array.of(5, 6), Float32Array.of(7, 8)];
    const result = channelsLastParameters(layers, parameters, values).map((value) => Array.from(value));
    expect(result).toEqual([[1, 3, 2, 4], [9], [5, 6], [7, 8]]);
  });
});

const RUN: PeersFile = {
  date: '2026-12-01T17:00:00.000Z',
  machine: { cpu: 'Test CPU', cores: 2, node: 'v20.0.0', shared: true },
  network: 'paper',
  protocol: 'The protocol, in one paragraph.',
  results: [
    { tool: 'xcnn', threads: 1, status: 'ok', trainImagesPerSecond: 1234.5, inferImagesPerSecond: 8000, gradCamImagesPerSecond: 3000, firstResultMs: 310, peakRssMb: 120, testAccuracy: 0.8125, ratios: { train: 1, infer: 1, gradCam: 1 } },
    { tool: 'Tool <A&B>', threads: 1, status: 'ok', trainImagesPerSecond: null, inferImagesPerSecond: 2000, gradCamImagesPerSecond: null, firstResultMs: 4200, peakRssMb: 300, testAccuracy: null, ratios: { train: null, infer: 4, gradCam: null }, notes: ['inference: one call of 6.0 s, not repeated'] },
    { tool: 'Absent', threads: 2, status: 'skipped: absent is not installed' },
  ],
};

describe('the peers table', () => {
  it('has one row per contender, numbers to 3 significant digits, percentages and ratios marked', () => {
    expect(tableCells(RUN.results[0])).toEqual(['xcnn', '1', '1,230', '8,000', '3,000', '310', '120', '81.3 %', '1× / 1× / 1×']);
    expect(tableCells(RUN.results[1])).toEqual(['Tool <A&B>', '1', '—', '2,000', '—', '4,200', '300', '—', '— / 4× / —']);
    expect(tableCells(RUN.results[2])).toEqual(['Absent', '2', 'skipped: absent is not installed', '', '', '', '', '', '']);
  });

  it('prints as Markdown with the machine, the protocol and the notes', () => {
    const text = markdownTable(RUN);
    const lines = text.split('\n');
    expect(lines[0]).toBe('Network `paper`; Test CPU, 2 cores (shared with other work while it ran), Node v20.0.0; 2026-12-01.');
    expect(lines[2].startsWith('| tool | threads | train img/s |')).toBe(true);
    expect(lines.filter((line) => line.startsWith('| ')).length).toBe(2 + 3); // header, its rule, 3 rows
    expect(text).toContain('| Absent | 2 | skipped: absent is not installed |');
    expect(text).toContain('The protocol, in one paragraph.');
    expect(text).toContain('- Tool <A&B>, 1 thread(s): inference: one call of 6.0 s, not repeated.');
  });

  it('draws as SVG text: escaped, and one inference bar per measured row, the fastest the longest', () => {
    const svg = svgTable(RUN);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trim().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('Tool &lt;A&amp;B&gt;');
    expect(svg).not.toContain('<A&B>');
    const bars = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="14"/g)].map((match) => Number(match[1]));
    expect(bars).toEqual([160, 40]); // 8000 → the full 160 px, 2000 → a quarter
  });
});

describe('a tool that is not here', () => {
  const tool = (name: string) => PEER_TOOLS.find((candidate) => candidate.tool === name)!;
  const absent = (missing: string) => (name: string) => {
    if (name === missing) throw new Error(`Cannot find module '${name}'`);
    return `/somewhere/${name}`;
  };

  // which python imports which module: none, or /usr/bin/python3 the ones listed
  const noPython = () => null;
  const pythonWith = (...modules: string[]) => (module: string) => (modules.includes(module) ? '/usr/bin/python3' : null);

  it('is skipped with the package it lacks and how to get it', () => {
    expect(whyUnavailable(tool('ONNX Runtime (node)'), absent('onnxruntime-node'), pythonWith('torch', 'onnxruntime'))).toBe(
      'onnxruntime-node is not installed (npm install onnxruntime-node, where its native build installs)',
    );
    expect(whyUnavailable(tool('TensorFlow.js (wasm)'), absent('@tensorflow/tfjs-backend-wasm'), noPython)).toBe(
      '@tensorflow/tfjs-backend-wasm is not installed (npm install, with dev dependencies)',
    );
  });

  it('is PyTorch skipped when no python can import torch', () => {
    expect(whyUnavailable(tool('PyTorch'), absent('none'), pythonWith('onnxruntime'))).toMatch(/^no python3 with torch \(tried .*python3\)$/);
  });

  it("is ONNX Runtime's native build through Python skipped when no python can import onnxruntime, saying how to get it", () => {
    expect(whyUnavailable(tool('ONNX Runtime (native, Python)'), absent('none'), pythonWith('torch'))).toMatch(
      /^no python3 with onnxruntime \(tried .*python3; pip install onnxruntime, with PYTHONPATH naming where it went if not site-packages\)$/,
    );
  });

  it('is not skipped when everything it needs resolves', () => {
    expect(whyUnavailable(tool('ConvNetJS'), absent('none'), noPython)).toBeNull();
    expect(whyUnavailable(tool('PyTorch'), absent('none'), pythonWith('torch'))).toBeNull();
    expect(whyUnavailable(tool('ONNX Runtime (native, Python)'), absent('none'), pythonWith('onnxruntime'))).toBeNull();
  });
});

describe("a child's answers", () => {
  it('are the protocol lines and numbers, one or several (an accuracy and a loss)', () => {
    expect(isProtocolLine('first 7')).toBe(true);
    expect(isProtocolLine('ready {"parameters":1}')).toBe(true);
    expect(isProtocolLine('error no MNIST files')).toBe(true);
    expect(isProtocolLine('0.123456')).toBe(true);
    expect(isProtocolLine('0.753 0.41208')).toBe(true);
    expect(isProtocolLine('0.75 2.5e-05')).toBe(true);
    expect(isProtocolLine('0.1 nan')).toBe(true); // Python's way of printing a loss gone wrong: read, then failed by the loss check
  });

  it("are not a library's banner", () => {
    expect(isProtocolLine('Hi, looks like you are running TensorFlow.js in Node.js.')).toBe(false);
    expect(isProtocolLine('============================')).toBe(false);
    expect(isProtocolLine('')).toBe(false);
  });
});

describe('the networks raced', () => {
  it("are the paper's by default", () => {
    expect(peersNetworks({})).toEqual(['paper']);
  });

  it('are the presets XCNN_BENCH_PRESETS names, in its order', () => {
    expect(peersNetworks({ XCNN_BENCH_PRESETS: 'modern, lenet5' })).toEqual(['modern', 'lenet5']);
  });

  it('is the preset or spec XCNN_BENCH_PEERS_NET gives', () => {
    expect(peersNetworks({ XCNN_BENCH_PEERS_NET: 'conv(8,3) relu flatten linear(10)' })).toEqual(['conv(8,3) relu flatten linear(10)']);
  });

  it('refuses a name that is not a preset, saying which are', () => {
    expect(() => peersNetworks({ XCNN_BENCH_PRESETS: 'paper,lenet' })).toThrow("XCNN_BENCH_PRESETS: 'lenet' is not a preset; the presets are paper, lenet5, modern");
  });

  it('refuses both variables at once', () => {
    expect(() => peersNetworks({ XCNN_BENCH_PRESETS: 'paper', XCNN_BENCH_PEERS_NET: 'lenet5' })).toThrow(/both name networks: give one/);
  });

  it('are written to their own files, the paper net to the ones README shows', () => {
    expect(peersOutputs('paper', false)).toEqual({ json: 'runs/peers.json', svg: 'docs/figures/peers.svg' });
    expect(peersOutputs('lenet5', false)).toEqual({ json: 'runs/peers-lenet5.json', svg: 'docs/figures/peers-lenet5.svg' });
    expect(peersOutputs('modern', true)).toEqual({ json: 'runs/peers-modern-quick.json', svg: null });
    expect(peersOutputs('conv(8,3) relu flatten linear(10)', false).json).toBe('runs/peers-spec.json');
  });

  it('have dropout, whose masks no two tools share, only where the spec says so', () => {
    expect(hasDropout('modern')).toBe(true);
    expect(hasDropout('paper')).toBe(false);
    expect(hasDropout('lenet5')).toBe(false);
  });
});
