/**
 * report.html shows text it did not write — method names and anything else from a faithfulness.json,
 * class names, the data set's name and the training settings from a model file — and every bit of it is
 * escaped: hostile strings (`<script>`, `"><img onerror=…>`, `&`) come out as text, in the report made in
 * memory and through `xcnn report`. And a faithfulness.json that is not what `xcnn faithfulness` writes
 * (wrong types, missing fields, huge arrays, numbers as strings, NaN) is one line naming the file and the
 * field, exit 1, before the model is read.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { classificationReport } from '../src/eval/metrics.js';
import { saveModel } from '../src/model/model-io.js';
import { createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { encodePng } from '../src/render/png.js';
import { Raster } from '../src/render/raster.js';
import { checkFaithfulnessJson, MAX_METHODS, readFaithfulnessFile } from '../src/report/faithfulness-file.js';
import { faithfulnessSectionHtml } from '../src/report/faithfulness-section.js';
import { reportHtml } from '../src/report/report-html.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';

const SCRIPT = '<script>alert(1)</script>';
const IMG = '"><img src=x onerror=alert(2)>';
const AMP = 'salt & pepper';
const QUOTE = "' onmouseover='alert(3)";
const HOSTILE = [SCRIPT, IMG, AMP, QUOTE];

/** The text as HTML shows it, escaped by hand (written out here, not by the code under test). */
const ESCAPED: Record<string, string> = {
  [SCRIPT]: '&lt;script&gt;alert(1)&lt;/script&gt;',
  [IMG]: '&quot;&gt;&lt;img src=x onerror=alert(2)&gt;',
  [AMP]: 'salt &amp; pepper',
  [QUOTE]: '&#39; onmouseover=&#39;alert(3)',
};

/** No hostile string raw, each one escaped, no script, no tag with an event handler, every & an entity. */
function expectAllEscaped(html: string, shown: string[]): void {
  for (const text of shown) {
    expect(html).not.toContain(text);
    expect(html).toContain(ESCAPED[text]);
  }
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/<[^>]*\son[a-z]+=/i); // an attribute like onerror= inside a tag
  expect(html).not.toMatch(/&(?!(?:amp|lt|gt|quot|#39);)/);
}

/** A faithfulness.json as `xcnn faithfulness` writes it (two methods, 5 images), written out field by field. */
function faithfulnessFile(methodNames = ['grad-cam', 'saliency'], source: { model?: string; dataset?: string } = { model: 'runs/latest/model.safetensors', dataset: 'mnist' }) {
  const method = (name: string, k: number) => ({
    method: name,
    title: `Title of ${name}`,
    deletion: { zero: 0.2 + k / 10, road: 0.3 },
    insertion: { zero: 0.8, road: 0.7 },
    vsRandom: 0.25,
    randomisation: { spearman: 0.1, ssim: 0.05, flagged: k === 1, stages: [{ layers: 'fc2', spearman: 0.5, ssim: 0.4 }] },
    pointingGame: { hits: 4, total: 5, hitRate: 0.8 },
    msPerImage: 1.5,
    ranks: { deletionZero: 1 + k, deletionRoad: 1.5, insertionZero: 1.5, insertionRoad: 2 - k, randomisation: 1, pointingGame: 2 },
    meanRank: 1.5,
  });
  return {
    ...source,
    images: 5,
    indices: [0, 1, 2, 3, 4],
    settings: { steps: 28, seed: 1, road: { sigma: 0.01 }, pointing: { tolerance: 1, inkThreshold: 0.5 }, randomisationImages: 2, flagThreshold: 0.5 },
    directions: { deletion: 'lower is better' },
    random: { deletion: { zero: 0.6, road: 0.8 }, insertion: { zero: 0.6, road: 0.8 } },
    methods: methodNames.map(method),
  };
}

describe('the faithfulness section of the report', () => {
  it('escapes every string from the file: method names, titles, the model and the data set', () => {
    const json = checkFaithfulnessJson(faithfulnessFile(HOSTILE, { model: `runs/${SCRIPT}/model.safetensors`, dataset: AMP }), 'f.json');
    const html = faithfulnessSectionHtml({ json });
    expectAllEscaped(html, HOSTILE);
    expect(html).toContain('<th scope="row">&lt;script&gt;alert(1)&lt;/script&gt;</th>');
    expect(html).toContain(`with the model <code>runs/${ESCAPED[SCRIPT]}/model.safetensors</code>`);
  });

  it('accepts what xcnn faithfulness writes, keeping fields it does not show', () => {
    const file = faithfulnessFile();
    expect(checkFaithfulnessJson(file, 'f.json')).toEqual(file);
  });
});

describe('the report page (report-html.ts) with a model file\'s text', () => {
  it('escapes class names, the data set, the model path and the training settings wherever they appear', () => {
    const png = encodePng(new Raster(2, 2));
    const classNames = [SCRIPT, IMG, AMP, QUOTE];
    const confusion = [[3, 1, 0, 0], [0, 2, 1, 0], [0, 0, 4, 0], [1, 0, 0, 2]];
    const figure = { png, alt: 'a figure' };
    const html = reportHtml({
      modelPath: `runs/${IMG}/model.safetensors`,
      dataset: SCRIPT,
      imageCount: 14,
      accuracy: 11 / 14,
      loss: 0.5,
      report: classificationReport(confusion, classNames),
      backend: 'ts',
      colormap: 'jet',
      explainedLayer: 'relu2, 16 × 11 × 11',
      training: { dataset: AMP, note: QUOTE, nested: { text: SCRIPT } },
      confusion: figure,
      classGallery: figure,
      galleryPerClass: 2,
      misclassified: figure,
      misclassifiedShown: 3,
      misclassifiedTotal: 3,
      classSummary: { methodTitle: IMG, classImages: 2, classMeans: figure, confusionCells: figure, cellsShown: 2, cellsTotal: 3, perCell: 1 },
    });
    expectAllEscaped(html, HOSTILE);
    for (const name of classNames) expect(html).toContain(`<tr><th scope="row">${ESCAPED[name]}</th>`);
    expect(html).toContain(`<title>xcnn report: runs/${ESCAPED[IMG]}/model.safetensors</title>`);
  });
});

describe('a faithfulness.json that is not what xcnn faithfulness writes', () => {
  const work = mkdtempSync(join(tmpdir(), 'xcnn-faithfulness-file-'));
  /** Writes `text` and reads it as the report does; returns the error's message. */
  const refusal = (text: string, name = 'faithfulness.json'): string => {
    const dir = mkdtempSync(join(work, 'case-'));
    writeFileSync(join(dir, name), text);
    try {
      readFaithfulnessFile(join(dir, name));
    } catch (error) {
      expect((error as { exitCode?: number }).exitCode).toBe(1);
      const message = (error as Error).message;
      expect(message.startsWith(`${join(dir, name)}: `)).toBe(true);
      expect(message).not.toContain('\n');
      return message.slice(join(dir, name).length + 2);
    }
    throw new Error('accepted');
  };
  const edited = (edit: (file: ReturnType<typeof faithfulnessFile> & Record<string, unknown>) => void) => {
    const file = faithfulnessFile() as ReturnType<typeof faithfulnessFile> & Record<string, unknown>;
    edit(file);
    return JSON.stringify(file, null, 1);
  };
  const bad = (field: string, problem: string) => `not a faithfulness.json written by xcnn faithfulness: ${field} ${problem}; write it again with xcnn faithfulness`;

  it.each([
    ['a number as a string', edited((f) => ((f.methods[1].deletion as Record<string, unknown>).road = '0.5')), bad('methods[1].deletion.road', 'is "0.5" (a string), not a number')],
    ['a method name missing', edited((f) => delete (f.methods[0] as Record<string, unknown>).method), bad('methods[0].method', 'is missing, not a string')],
    ['a method name that is a number', edited((f) => ((f.methods[0] as Record<string, unknown>).method = 7)), bad('methods[0].method', 'is 7 (a number), not a string')],
    ['an empty method name', edited((f) => (f.methods[0].method = '')), bad('methods[0].method', 'is 0 characters long, not 1 to 1024')],
    ['a method name of 100,000 characters', edited((f) => (f.methods[0].method = 'x'.repeat(100_000))), bad('methods[0].method', 'is 100000 characters long, not 1 to 1024')],
    ['the data set not a string', edited((f) => ((f as Record<string, unknown>).dataset = ['mnist'])), bad('dataset', 'is an array, not a string')],
    ['an object that is an array', edited((f) => ((f.random as Record<string, unknown>).insertion = [])), bad('random.insertion', 'is an array, not an object')],
    ['the image count as a string', edited((f) => ((f as Record<string, unknown>).images = '5')), bad('images', 'is "5" (a string), not a number')],
    ['a fractional image count', edited((f) => ((f as Record<string, unknown>).images = 2.5)), bad('images', 'is 2.5, not a whole number from 1 to 10000000')],
    ['a null', edited((f) => ((f.settings.road as Record<string, unknown>).sigma = null)), bad('settings.road.sigma', 'is null, not a number')],
    ['a flag that is not a boolean', edited((f) => ((f.methods[0].randomisation as Record<string, unknown>).flagged = 'yes')), bad('methods[0].randomisation.flagged', 'is "yes" (a string), not true or false')],
    ['a rank missing', edited((f) => delete (f.methods[1].ranks as Record<string, unknown>).pointingGame), bad('methods[1].ranks.pointingGame', 'is missing, not a number')],
    ['no methods', edited((f) => (f.methods = [])), bad('methods', `has 0 entries, not 1 to ${MAX_METHODS}`)],
    ['a huge array of methods', edited((f) => ((f as Record<string, unknown>).methods = new Array(100_000).fill(0))), bad('methods', `has 100000 entries, not 1 to ${MAX_METHODS}`)],
    ['image indices not one per image', edited((f) => (f.indices = [0, 1])), bad('indices', 'has 2 entries, not 5 to 5')],
    ['an image index that is not a whole number', edited((f) => (f.indices[3] = -1)), bad('indices[3]', 'is -1, not a whole number from 0 to 9007199254740991')],
    ['no settings', edited((f) => delete (f as Record<string, unknown>).settings), bad('settings', 'is missing, not an object')],
    ['an array, not an object', '[1, 2, 3]', bad('the file', 'is an array, not an object')],
    ['a bare NaN', edited(() => {}).replace('"zero": 0.2,', '"zero": NaN,'), bad('methods[0].deletion.zero', 'is NaN, not a number')],
    ['a bare -Infinity, after a string holding "NaN"', edited((f) => (f.methods[0].method = 'NaN')).replace('"vsRandom": 0.25', '"vsRandom": -Infinity'), bad('methods[0].vsRandom', 'is -Infinity, not a number')],
  ])('%s', (_case, text, message) => {
    expect(refusal(text)).toBe(message);
  });

  it('a NaN nested 200,000 arrays deep: named by the two ends of its path, without overflowing the stack', () => {
    const deep = `{"images": ${'['.repeat(200_000)}NaN${']'.repeat(200_000)}}`;
    const path = `images${'[0]'.repeat(200_000)}`;
    expect(refusal(deep)).toBe(bad(`${path.slice(0, 60)}…${path.slice(-40)}`, 'is NaN, not a number'));
    expect(refusal(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)).toBe(bad('the file', 'is an array, not an object'));
  });

    it('not JSON at all', () => {
    expect(refusal('{"images": 5,')).toMatch(/^not a faithfulness\.json: not valid JSON \(.+\); write it again with xcnn faithfulness$/);
    expect(refusal('{\n "images": 5,\n "methods": nope\n}')).toMatch(/^not a faithfulness\.json: not valid JSON \(.+\); write it again with xcnn faithfulness$/); // one line, whatever the snippet
  });

  it('a faithfulness.png beside it that is not a PNG', () => {
    const dir = mkdtempSync(join(work, 'png-'));
    writeFileSync(join(dir, 'faithfulness.json'), JSON.stringify(faithfulnessFile()));
    writeFileSync(join(dir, 'faithfulness.png'), '<svg onload="alert(1)"></svg>');
    expect(() => readFaithfulnessFile(join(dir, 'faithfulness.json'))).toThrow(
      `${join(dir, 'faithfulness.png')}: not a PNG file, so not the figure xcnn faithfulness writes beside ${join(dir, 'faithfulness.json')}; remove it, or write both again with xcnn faithfulness`,
    );
  });
});

describe('xcnn report with hostile text in the model and the faithfulness.json', () => {
  const { work, xcnn } = cliWorkspace('xcnn-report-hostile-');
  const network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 2, conv2Channels: 3, hidden: 8 });
  network.initialize(new Random(9));
  const classNames = [SCRIPT, IMG, AMP, QUOTE, '4', '5', '6', '7', '8', '9'];
  saveModel(join(work, 'model.safetensors'), network, { geometry: MNIST_GEOMETRY, dataset: IMG, classNames, training: { note: SCRIPT } });
  mkdirSync(join(work, 'faith'));
  writeFileSync(join(work, 'faith', 'faithfulness.json'), JSON.stringify(faithfulnessFile(HOSTILE, { model: SCRIPT, dataset: AMP })));
  const bad = (path: string, problem: string) => `${path}: not a faithfulness.json written by xcnn faithfulness: ${problem}; write it again with xcnn faithfulness`;

  it('writes a report in which every one of them is text', () => {
    const run = xcnn('report', '--backend', 'ts', '--model', 'model.safetensors', '--faithfulness', join('faith', 'faithfulness.json'), '--test-limit', '20', '--per-class', '1', '--mistakes', '4', '--class-images', '2', '--cells', '2', '--per-cell', '1');
    expect(run.status, run.stderr).toBe(0);
    const html = readFileSync(join(work, 'report.html'), 'utf8');
    expectAllEscaped(html, HOSTILE);
    expect(html).toContain('Faithfulness of the explanation methods');
    expect(html).toContain(`<tr><th scope="row">${ESCAPED[SCRIPT]}</th>`); // a class name, and a method name
  }, 60_000);

  it('refuses a malformed faithfulness.json in one line naming the file and the field (exit 1), before reading the model', () => {
    const file = faithfulnessFile();
    (file.methods[1].insertion as Record<string, unknown>).zero = '0.8';
    writeFileSync(join(work, 'bad.json'), JSON.stringify(file));
    expectOneLineError(xcnn('report', '--model', 'absent.safetensors', '--faithfulness', 'bad.json'), 1, bad('bad.json', 'methods[1].insertion.zero is "0.8" (a string), not a number'));
    writeFileSync(join(work, 'nan.json'), JSON.stringify(faithfulnessFile()).replace('"road":0.3', '"road":NaN'));
    expectOneLineError(xcnn('report', '--model', 'absent.safetensors', '--faithfulness', 'nan.json'), 1, bad('nan.json', 'methods[0].deletion.road is NaN, not a number'));
  });
});
