/**
 * What the report page says, sentence by sentence (report-html.ts), what its Faithfulness section holds
 * (faithfulness-section.ts), and what `modelReport` decides — its checks, defaults, which figures it draws and
 * which it leaves out — on a small network and a dozen images (model-report.ts). The figures' pixels are the
 * render code's; here a figure is checked by being there, a PNG, and embedded byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import type { ImageSet } from '../src/data/dataset.js';
import { classificationReport } from '../src/eval/metrics.js';
import { explainClassMeans } from '../src/explain/class-means.js';
import { methodByName } from '../src/explain/methods/by-name.js';
import type { FaithfulnessJson } from '../src/faithfulness/format.js';
import { Random } from '../src/random.js';
import { classGalleryPng, classMeansPng, confusionCellsPng, tileGalleryPng } from '../src/render/pictures.js';
import { confusionCellExplanations } from '../src/explain/confusion-cells.js';
import { colormap } from '../src/render/colormap.js';
import { gradCam } from '../src/explain/grad-cam.js';
import { cellPanels, correctByClass, galleryTiles, misclassifiedByConfidence } from '../src/report/galleries.js';
import { faithfulnessSectionHtml } from '../src/report/faithfulness-section.js';
import { MODEL_REPORT_DEFAULTS, modelReport } from '../src/report/model-report.js';
import { base64, classSummarySections, escapeHtml, figureHtml, pngDataUri, reportHtml, type ReportContent } from '../src/report/report-html.js';
import { errorOf } from './errors.js';
import { LENET_GEOMETRY, LENET_SPEC, seededNetwork } from './fixtures/any-networks.js';

const png = Uint8Array.from([137, 80, 78, 71, 1, 2, 3]);
const uri = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
const fig = (alt: string) => ({ png, alt });
const img = (alt: string) => `<img src="${uri}" alt="${alt}">`;

function content(overrides: Partial<ReportContent> = {}): ReportContent {
  return {
    modelPath: 'runs/m.safetensors',
    dataset: 'mnist',
    imageCount: 20,
    accuracy: 0.85,
    loss: 0.4,
    report: classificationReport([[9, 1], [2, 8]], ['zero', 'one']),
    backend: 'ts',
    colormap: 'jet',
    explainedLayer: 'relu2, 64 × 11 × 11',
    curves: fig('curves'),
    confusion: fig('confusion'),
    classGallery: fig('gallery'),
    galleryPerClass: 8,
    misclassified: fig('mistakes'),
    misclassifiedShown: 3,
    misclassifiedTotal: 3,
    ...overrides,
  };
}

const lines = (c: Partial<ReportContent> = {}) => reportHtml(content(c)).split('\n');

describe('the report page, sentence by sentence (report-html.ts)', () => {
  it('opens with the model, its accuracy, loss, image count, data set and backend', () => {
    const page = lines();
    expect(page.slice(0, 8)).toEqual([
      '<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">', '<meta name="viewport" content="width=device-width, initial-scale=1">',
      '<title>xcnn report: runs/m.safetensors</title>', '<style>', 'body { font: 16px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }',
    ]);
    expect(page).toContain('<h1>xcnn report: runs/m.safetensors</h1>');
    expect(page).toContain('<p class="summary">Test accuracy <strong>85.00%</strong> on 20 mnist test images (mean cross-entropy 0.4000), computed with the <code>ts</code> backend.</p>');
    expect(page.slice(-3)).toEqual(['</body>', '</html>', '']);
    expect(reportHtml(content({ accuracy: 0.98765, loss: 0.123456 }))).toContain('<strong>98.77%</strong> on 20 mnist test images (mean cross-entropy 0.1235)');
  });

  it('has its sections in order, and nothing after the mistakes without a class summary or Faithfulness section', () => {
    const page = lines();
    expect(page.filter((line) => line.startsWith('<h2>'))).toEqual([
      '<h2>Training performance</h2>', '<h2>Classification report</h2>', '<h2>Confusion matrix</h2>', '<h2>Grad-CAM: correct predictions</h2>', '<h2>Grad-CAM: misclassified images</h2>',
    ]);
    const summary = page.findIndex((line) => line.startsWith('<p class="summary">'));
    expect(page[summary + 1]).toBe('<h2>Training performance</h2>'); // no settings, and no empty line for them
    const mistakes = page.indexOf('<h2>Grad-CAM: misclassified images</h2>');
    expect(page.slice(mistakes + 2)).toEqual(['</body>', '</html>', '']);
  });

  it('lists the training settings, objects as JSON, and leaves the list out without them', () => {
    expect(lines({ training: { lr: 0.01, optimizer: 'adam', schedule: { name: 'step' }, none: null } })).toContain(
      '<details><summary>Training settings</summary><dl class="settings"><dt>lr</dt><dd>0.01</dd><dt>optimizer</dt><dd>adam</dd><dt>schedule</dt><dd>{&quot;name&quot;:&quot;step&quot;}</dd><dt>none</dt><dd>null</dd></dl></details>',
    );
    expect(reportHtml(content())).not.toContain('<details>');
    expect(lines().slice(0, -1)).not.toContain(''); // no empty line where the list would be
  });

  it('has the curves with their caption, or says there are none', () => {
    expect(lines()).toContain(`<figure>${img('curves')}<figcaption>Loss and accuracy per epoch: the training set (running mean over each epoch) and the test set (after each epoch).</figcaption></figure>`);
    expect(lines({ curves: undefined })).toContain('<p>The model file records no training history, so there are no curves to draw.</p>');
  });

  it('has the classification report as the paper\'s table', () => {
    // zero: precision 9/11, recall 9/10, f1 18/21; one: 8/9, 8/10, 16/19; both supports 10, so macro = weighted.
    const table = [
      '<table class="scores">',
      '<thead><tr><th></th><th scope="col">precision</th><th scope="col">recall</th><th scope="col">f1-score</th><th scope="col">support</th></tr></thead>',
      '<tbody>',
      '<tr><th scope="row">zero</th><td>0.8182</td><td>0.9000</td><td>0.8571</td><td>10</td></tr>',
      '<tr><th scope="row">one</th><td>0.8889</td><td>0.8000</td><td>0.8421</td><td>10</td></tr>',
      '<tr class="total"><th scope="row">accuracy</th><td></td><td></td><td>0.8500</td><td>20</td></tr>',
      '<tr><th scope="row">macro avg</th><td>0.8535</td><td>0.8500</td><td>0.8496</td><td>20</td></tr>',
      '<tr><th scope="row">weighted avg</th><td>0.8535</td><td>0.8500</td><td>0.8496</td><td>20</td></tr>',
      '</tbody></table>',
    ];
    const page = lines();
    const at = page.indexOf('<h2>Classification report</h2>');
    expect(page.slice(at + 1, at + 1 + table.length)).toEqual(table);
  });

  it('has the confusion matrix, or says why it is left out and where the counts are', () => {
    expect(lines()).toContain(`<figure>${img('confusion')}<figcaption>True classes down, predicted classes across; the diagonal holds the correct predictions. Darker cells hold more images (shaded by log(1 + count)).</figcaption></figure>`);
    expect(lines({ confusion: undefined, classCount: 600 })).toContain('<p>The confusion matrix is drawn for up to 500 classes; this model has 600, so it is left out here.</p><p>Every count is in <code>xcnn evaluate --json</code>.</p>');
    expect(lines({ confusion: undefined })).toContain('<p>The confusion matrix is drawn for up to 500 classes; this model has 2, so it is left out here.</p><p>Every count is in <code>xcnn evaluate --json</code>.</p>');
  });

  it('explains Grad-CAM with the layer and the colormap, then shows the gallery of correct predictions, its flat maps counted', () => {
    const page = lines({ explainedLayer: 'relu<2>', colormap: 'viridis' });
    expect(page).toContain('<h2>Grad-CAM: correct predictions</h2>');
    expect(page).toContain(
      '<p>Grad-CAM (Selvaraju et al., 2017) weights each channel of the last convolutional layer after its ReLU (relu&lt;2&gt;) by the spatial mean of the gradient of the class logit, ' +
        'sums the weighted channels, keeps the positive part, resizes the map to the image\'s size (bilinear, half-pixel centres) and scales it to [0, 1]. It is drawn in the viridis colormap over the digit, ' +
        'half and half: the high end of the colorbar marks the regions whose features raised the logit of the class most.</p>',
    );
    const caption = 'Up to 8 correctly classified test images per class, a row per class, each with the Grad-CAM of its class.';
    expect(page).toContain(`<figure>${img('gallery')}<figcaption>${caption}</figcaption></figure>`);
    expect(lines({ galleryFlat: 0, galleryShown: 16 })).toContain(`<figure>${img('gallery')}<figcaption>${caption}</figcaption></figure>`);
    const flat = (n: number, verb: string) => ` ${n} of the 16 maps ${verb} flat (all zero after the ReLU) and marked <code>flat</code> on the tile: their overlays show no evidence, not absence of evidence.`;
    expect(lines({ galleryFlat: 1, galleryShown: 16 })).toContain(`<figure>${img('gallery')}<figcaption>${caption}${flat(1, 'is')}</figcaption></figure>`);
    expect(lines({ galleryFlat: 2, galleryShown: 16 })).toContain(`<figure>${img('gallery')}<figcaption>${caption}${flat(2, 'are')}</figcaption></figure>`);
    expect(lines({ classGallery: undefined, classCount: 101 })).toContain('<p>The gallery of correct predictions (a row per class) is drawn for up to 100 classes; this model has 101, so it is left out here.</p>');
  });

  it('shows every mistake, or the most confident of them, or says there were none', () => {
    const tail = 'misclassified test images, each labelled <code>true→predicted</code> with the probability of the predicted class, and the Grad-CAM of the predicted class: what the network saw as that class.';
    expect(lines()).toContain(`<figure>${img('mistakes')}<figcaption>All 3 ${tail}</figcaption></figure>`);
    expect(lines({ misclassifiedShown: 2, misclassifiedTotal: 5, misclassifiedFlat: 2 })).toContain(
      `<figure>${img('mistakes')}<figcaption>The 2 most confident of the 5 ${tail} 2 of the 2 maps are flat (all zero after the ReLU) and marked <code>flat</code> on the tile: their overlays show no evidence, not absence of evidence.</figcaption></figure>`,
    );
    const none = lines({ misclassifiedShown: 0, misclassifiedTotal: 0 });
    expect(none).toContain('<p>The model classified every test image correctly.</p>');
    expect(none.join('\n')).not.toContain(img('mistakes'));
  });

  it('adds the class summary and the Faithfulness section when given, in that order, after the mistakes', () => {
    const summary = { methodTitle: 'Grad-CAM', classImages: 4, classMeans: fig('means'), confusionCells: fig('cells'), cellsShown: 2, cellsTotal: 2, perCell: 3 };
    const page = reportHtml(content({ classSummary: summary, faithfulnessHtml: '<h2>Faithfulness</h2>' }));
    const order = ['<h2>Grad-CAM: misclassified images</h2>', '<h2>What each class looks like to the network</h2>', '<h2>Why a t was read as p</h2>', '<h2>Faithfulness</h2>', '</body>'].map((h) => page.indexOf(h));
    expect(order.every((at, k) => at > 0 && (k === 0 || at > order[k - 1]))).toBe(true);
    expect(reportHtml(content())).not.toContain('What each class looks like');
  });

  it('refuses content without a field it shows, naming the field', () => {
    const fields: Array<[keyof ReportContent, string]> = [
      ['modelPath', 'a string'], ['dataset', 'a string'], ['imageCount', 'a number'], ['accuracy', 'a number'], ['loss', 'a number'], ['report', 'an object'], ['backend', 'a string'],
      ['colormap', 'a string'], ['explainedLayer', 'a string'], ['galleryPerClass', 'a number'], ['misclassified', 'an object'], ['misclassifiedShown', 'a number'], ['misclassifiedTotal', 'a number'],
    ];
    for (const [field, kind] of fields) {
      const error = errorOf(() => reportHtml(content({ [field]: undefined })), 'ERR_BAD_ARGUMENT');
      expect(error.message, field).toBe(`reportHtml: content.${field} must be ${kind} (content: what the page shows: ReportContent), not undefined`);
    }
  });
});

describe('the class summary sections', () => {
  const summary = { methodTitle: 'Gradient × <input>', classImages: 4, classMeans: fig('means'), confusionCells: fig('cells'), cellsShown: 2, cellsTotal: 5, perCell: 3 };

  it('say how the class means were made, or why they are left out', () => {
    const [head, means] = classSummarySections(summary, 3);
    expect(head).toBe('<h2>What each class looks like to the network</h2>');
    expect(means).toBe(
      '<p>For each class, the first 4 test images of that class (fewer if the set holds fewer), each explained by Gradient × &lt;input&gt; for its true class. Top: their mean image. ' +
        'Middle: the mean of their heatmaps (each scaled to [0, 1] before averaging, so every image weighs the same), drawn unscaled — a bright spot where the maps agree, a dim wash where they scatter. ' +
        'Bottom: the two blended.</p>' +
        `<figure>${img('means')}<figcaption>Mean image and mean Gradient × &lt;input&gt; heatmap per class; n is the number of images averaged.</figcaption></figure>`,
    );
    expect(classSummarySections({ ...summary, classMeans: undefined }, 150)[1]).toBe('<p>The figure of class means (a column per class) is drawn for up to 100 classes; this model has 150, so it is left out here.</p>');
    expect(classSummarySections({ ...summary, classMeans: undefined })[1]).toBe('<p>The figure of class means (a column per class) is drawn for up to 100 classes; this model has 0, so it is left out here.</p>');
  });

  it('say which confusion cells are shown, or that there are none', () => {
    const cells = (shown: string) =>
      `<p>The ${shown} off-diagonal cells of the confusion matrix (true t, predicted p), largest first. Each shows up to 3 of its images, the most confident mistakes first: the digit, ` +
      'the Gradient × &lt;input&gt; map for the true class t (the evidence for what it is) and for the predicted class p (what the network took for p).</p>' +
      `<figure>${img('cells')}<figcaption>Each row is labelled <code>true t → pred p (probability of p)</code>; both maps are drawn over the digit.</figcaption></figure>`;
    expect(classSummarySections(summary, 3).slice(2)).toEqual(['<h2>Why a t was read as p</h2>', cells('2 largest of the 5')]);
    expect(classSummarySections({ ...summary, cellsShown: 5 }, 3)[3]).toBe(cells('5'));
    expect(classSummarySections({ ...summary, cellsShown: 0, cellsTotal: 0 }, 3)[3]).toBe('<p>The model classified every test image correctly, so the confusion matrix has no off-diagonal cells.</p>');
  });
});

describe('the embedded figures', () => {
  it('are base64 data URIs of the bytes, in chunks that join up (Buffer\'s base64 as the second implementation)', () => {
    const random = new Random(7);
    for (const length of [0, 1, 2, 3, 0x8000 - 1, 0x8000, 0x8000 + 1, 3 * 0x8000 + 5]) {
      const bytes = Uint8Array.from({ length }, () => Math.floor(random.uniform(0, 256)));
      expect(base64(bytes), String(length)).toBe(Buffer.from(bytes).toString('base64'));
    }
    expect(pngDataUri(png)).toBe(uri);
    expect(figureHtml({ png, alt: 'a "b" <c>' }, 'the <b>caption</b>')).toBe(`<figure><img src="${uri}" alt="a &quot;b&quot; &lt;c&gt;"><figcaption>the <b>caption</b></figcaption></figure>`);
    expect(escapeHtml(`&<>"'x`)).toBe('&amp;&lt;&gt;&quot;&#39;x');
  });
});

describe('the Faithfulness section (faithfulness-section.ts)', () => {
  const method = {
    method: 'grad-cam', title: 'Grad-CAM', deletion: { zero: 0.2, road: 0.3 }, insertion: { zero: 0.8, road: 0.7 }, vsRandom: 0.25,
    randomisation: { spearman: 0.1, ssim: 0.05, flagged: true, stages: [] }, pointingGame: { hits: 4, total: 5, hitRate: 0.8 }, msPerImage: 1.5,
    ranks: { deletionZero: 1, deletionRoad: 2, insertionZero: 1, insertionRoad: 2, randomisation: 1, pointingGame: 2 }, meanRank: 1.5,
  };
  const json = (source: { model?: string; dataset?: string }) =>
    ({
      ...source, images: 5, indices: [0, 1, 2, 3, 4],
      settings: { steps: 28, seed: 1, road: { sigma: 0.01 }, pointing: { tolerance: 1, inkThreshold: 0.5 }, randomisationImages: 2, flagThreshold: 0.5 },
      random: { deletion: { zero: 0.6, road: 0.8 }, insertion: { zero: 0.55, road: 0.75 } },
      methods: [method, { ...method, method: 'a<b', vsRandom: -0.5, randomisation: { ...method.randomisation, flagged: false }, msPerImage: 12.6, meanRank: 2 }],
    }) as unknown as FaithfulnessJson;
  const legend =
    '<p class="summary">↓ lower is better, ↑ higher is better. AUCs of the predicted class&#39;s probability over the fraction of pixels removed (deletion) or inserted (insertion), 28 steps; ' +
    'zero: removed pixels set to 0; ROAD: noisy linear imputation (σ = 0.01). vs rand: mean margin of the four AUCs over a random order (&gt; 0 beats random). ' +
    'rand ρ / SSIM: similarity of the heatmaps after randomising every layer (fc2 → conv1) to the originals, 2 image(s); FLAG: above 0.5. ' +
    'pointing: the heatmap&#39;s maximum (all of them if tied) within 1 px of ink (&gt; 0.5); ms/img: the explanation alone. (n): the method&#39;s rank on that measure; mean rank over those six.</p>';

  it('is the ranked table with its directions, the random row, the legend and the figure', () => {
    const head = ['method', 'del·zero ↓', 'del·ROAD ↓', 'ins·zero ↑', 'ins·ROAD ↑', 'vs rand ↑', 'rand ρ ↓', 'rand SSIM ↓', 'flag', 'pointing ↑', 'ms/img', 'mean rank ↓'];
    const row = (name: string, cells: string[]) => `<tr><th scope="row">${name}</th>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
    expect(faithfulnessSectionHtml({ json: json({ model: 'm&.safetensors', dataset: 'mnist' }), figure: fig('side by side') }).split('\n')).toEqual([
      '<h2>Faithfulness of the explanation methods</h2>',
      '<p>Every method on the first 5 mnist test images with the model <code>m&amp;.safetensors</code> (<code>xcnn faithfulness</code>), one row each, the best mean rank first.</p>',
      '<table class="scores">',
      `<thead><tr>${head.map((h) => `<th scope="col">${h}</th>`).join('')}</tr></thead>`,
      '<tbody>',
      row('grad-cam', ['0.200 (1)', '0.300 (2)', '0.800 (1)', '0.700 (2)', '+0.250', '0.100 (1)', '0.050', 'FLAG', '80.0% (2)', '1.50', '1.50']),
      row('a&lt;b', ['0.200 (1)', '0.300 (2)', '0.800 (1)', '0.700 (2)', '-0.500', '0.100 (1)', '0.050', '', '80.0% (2)', '13', '2.00']),
      `<tr class="total"><th scope="row">(random order)</th><td>0.600</td><td>0.800</td><td>0.550</td><td>0.750</td>${'<td></td>'.repeat(7)}</tr>`,
      '</tbody></table>',
      legend,
      `<figure>${img('side by side')}<figcaption>Each method's heatmap of the predicted class on the same digits, correct and misclassified, labelled <code>true→predicted</code>.</figcaption></figure>`,
    ]);
  });

  it('names neither model nor data set when the file does not, and has no figure without one', () => {
    const section = faithfulnessSectionHtml({ json: json({}) }).split('\n');
    expect(section[1]).toBe('<p>Every method on the first 5 test images (<code>xcnn faithfulness</code>), one row each, the best mean rank first.</p>');
    expect(section.slice(-2)).toEqual([legend, '']);
  });
});

describe('modelReport (model-report.ts) on a small network', () => {
  const backend = new ReferenceBackend();
  const network = seededNetwork(backend, LENET_SPEC, LENET_GEOMETRY, 3); // 1 × 12 × 12 → 3 classes
  const random = new Random(11);
  const count = 12;
  const set: ImageSet = {
    count, channels: 1, height: 12, width: 12,
    images: Uint8Array.from({ length: count * 144 }, () => Math.floor(random.uniform(0, 256))),
    labels: Uint8Array.from({ length: count }, (_, n) => n % 3),
  };
  const small = { perClass: 2, mistakes: 3, classImages: 2, cells: 2, perCell: 1 };
  const isPng = (bytes: Uint8Array | undefined) => bytes !== undefined && Buffer.from(bytes.subarray(0, 8)).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]));
  const embedded = (html: string, bytes: Uint8Array) => html.includes(`src="data:image/png;base64,${Buffer.from(bytes).toString('base64')}"`);

  it('has documented defaults', () => {
    expect(MODEL_REPORT_DEFAULTS).toEqual({ colormap: 'jet', perClass: 8, mistakes: 40, method: 'grad-cam', classImages: 100, cells: 12, perCell: 3 });
  });

  it('evaluates the set, draws each figure as a PNG embedded in the page, and says what it shows', () => {
    const report = modelReport(network, set, { ...small, title: 'my <model>', colormap: 'viridis' });
    const { evaluation, figures, html } = report;
    expect(evaluation.count).toBe(count);
    const wrong = [...evaluation.predictions.labels].filter((label, n) => label !== evaluation.predictions.predicted[n]).length;
    expect(figures.curves).toBeUndefined(); // a network alone has no history
    for (const name of ['confusion', 'correct', 'misclassified', 'classMeans', 'confusionCells'] as const) {
      expect(isPng(figures[name]), name).toBe(true);
      expect(embedded(html, figures[name]!), name).toBe(true);
    }
    expect(html).toContain('<h1>xcnn report: my &lt;model&gt;</h1>');
    expect(html).toContain(`on 12 test test images (mean cross-entropy ${evaluation.loss.toFixed(4)}), computed with the <code>${backend.name}</code> backend.`);
    expect(html).toContain('(relu2, 6 × 5 × 5)'); // the last conv block: 12 → conv 3 → 10 → pool 2 → 5 → conv 3, pad 1 → 5
    expect(html).toContain('drawn in the viridis colormap');
    expect(html).toContain('<tr><th scope="row">0</th>'); // class names '0', '1', '2' by default
    expect(html).toContain('<tr><th scope="row">2</th>');
    expect(html).toContain('Up to 2 correctly classified test images per class');
    expect(html).toContain(Math.min(3, wrong) === wrong ? `All ${wrong} misclassified` : `The 3 most confident of the ${wrong} misclassified`);
    expect(html).toContain('the first 2 test images of that class');
    expect(html).toContain('Each shows up to 1 of its images');
    expect(html).toContain('each explained by Grad-CAM for its true class');
    expect(html).not.toContain('<details>');
  });

  it('draws the mistakes and the class means with their titles and the colormap (the figures redrawn here from their parts)', () => {
    const report = modelReport(network, set, { ...small, mistakes: 0, method: 'saliency', colormap: 'viridis' });
    expect(Buffer.from(report.figures.misclassified).equals(Buffer.from(tileGalleryPng([], { columns: 10, colormap: 'viridis', title: 'Misclassified: true→predicted, Grad-CAM of the predicted class' })))).toBe(true);
    const saliency = methodByName('saliency');
    const means = explainClassMeans(network, set, saliency, { perClass: 2, layer: 'relu2' });
    const expected = classMeansPng(means, ['0', '1', '2'], { colormap: 'viridis', title: 'Mean image and mean Saliency of each class', colorbarTitle: 'mean Saliency' });
    expect(Buffer.from(report.figures.classMeans!).equals(Buffer.from(expected))).toBe(true);
    const cells = confusionCellExplanations(network, set, report.evaluation.predictions, saliency, { cells: 2, perCell: 1, layer: 'relu2' });
    const cellsFigure = confusionCellsPng(cellPanels(set, cells.cells, ['0', '1', '2']), { colormap: colormap('viridis'), title: 'Why a t was read as p: Saliency for the true and the predicted class', colorbarTitle: 'Saliency' });
    expect(Buffer.from(report.figures.confusionCells).equals(Buffer.from(cellsFigure))).toBe(true);
    expect(report.html).toContain('each explained by Saliency for its true class');
    expect(report.html).toContain('alt="The mean test image of each class, the mean Saliency heatmap for the class, and the two blended"');
    expect(report.html).toContain('alt="The most frequent confusions, each misclassified digit with its Saliency map for the true class and for the predicted class"');
    expect(report.html).toContain('alt="Grad-CAM overlays of misclassified test images"');
    expect(report.html).toContain('alt="Grad-CAM overlays of correctly classified test images, one row per class"');
    expect(report.html).toContain('alt="Confusion matrix of the test set"');
  });

  it('takes the names, data set, history and settings from a loaded model, each overridden by its option', () => {
    const history = [
      { epoch: 1, trainLoss: 1, trainAccuracy: 0.5, testLoss: 1.1, testAccuracy: 0.4 },
      { epoch: 2, trainLoss: 0.8, trainAccuracy: 0.6, testLoss: 0.9, testAccuracy: 0.5 },
    ];
    const info = { geometry: LENET_GEOMETRY, dataset: 'toys', classNames: ['cat', 'dog', 'eel'], training: { lr: 0.5 }, metrics: { history } };
    const loaded = modelReport({ network, info }, set, small);
    expect(loaded.html).toContain('on 12 toys test images');
    expect(loaded.html).toContain('<tr><th scope="row">eel</th>');
    expect(loaded.html).toContain('<dt>lr</dt><dd>0.5</dd>');
    expect(isPng(loaded.figures.curves)).toBe(true);
    expect(loaded.html).toContain('alt="Training and test loss and accuracy over 2 epoch(s)"');
    expect(loaded.html).toContain('<h1>xcnn report: model</h1>');
    const given = modelReport({ network, info }, set, { ...small, classNames: ['a', 'b', 'c'], dataset: 'given', training: { lr: 0.25 }, history: history.slice(0, 1) });
    expect(given.html).toContain('on 12 given test images');
    expect(given.html).toContain('<tr><th scope="row">c</th>');
    expect(given.html).toContain('<dt>lr</dt><dd>0.25</dd>');
    expect(given.html).toContain('over 1 epoch(s)');
    expect(modelReport({ network, info }, set, { ...small, history: [] }).figures.curves).toBeUndefined();
  });

  it('draws no curves from a metrics history it cannot read', () => {
    const entry = { epoch: 1, trainLoss: 1, trainAccuracy: 0.5, testLoss: 1.1, testAccuracy: 0.4 };
    // (A key of its own blanked, or [] taken, is caught by the readable history above drawing its curves.)
    for (const history of ['history', [entry, { ...entry, epoch: undefined }], [entry, null]]) {
      const info = { geometry: LENET_GEOMETRY, dataset: 'toys', classNames: ['a', 'b', 'c'], metrics: { history } };
      expect(modelReport({ network, info }, set, small).figures.curves, JSON.stringify(history)).toBeUndefined();
    }
  });

  it('counts the flat maps of each gallery, in its caption and in its figure\'s title', () => {
    // conv2 all negative, on inputs that are never negative after relu1: relu2 is all zero, so every Grad-CAM map
    // is flat, and the logits are fc's bias alone: every image is read as class 0.
    const flatNetwork = seededNetwork(backend, LENET_SPEC, LENET_GEOMETRY, 3);
    for (const p of flatNetwork.parameters) {
      if (p.name.startsWith('conv2.')) p.value.fill(-0.1);
      if (p.name.endsWith('.bias') && p.value.length === 3) p.value.set([1, 0, 0]);
    }
    const report = modelReport(flatNetwork, set, { ...small, cells: 1 });
    // Labels n % 3: the four 0s are right (2 shown), the eight others wrong (3 shown, all equally confident), in
    // two cells of the confusion matrix (1 → 0 and 2 → 0), of which one is shown.
    expect(report.html).toContain('<p>The 1 largest of the 2 off-diagonal cells of the confusion matrix');
    expect(report.html).toContain('each with the Grad-CAM of its class. 2 of the 2 maps are flat (all zero after the ReLU)');
    expect(report.html).toContain('The 3 most confident of the 8 misclassified test images');
    expect(report.html).toContain('what the network saw as that class. 3 of the 3 maps are flat (all zero after the ReLU)');
    const predictions = report.evaluation.predictions;
    const correct = correctByClass(predictions, 3, 2);
    const mistakes = misclassifiedByConfidence(predictions, 3).slice(0, 3);
    const maps = gradCam(flatNetwork, set, { indices: [...correct.flat(), ...mistakes], layer: 'relu2' });
    const tiles = galleryTiles(set, maps, correct, mistakes, ['0', '1', '2']);
    const title = 'Misclassified: true→predicted, Grad-CAM of the predicted class (3 of 3 maps flat)';
    expect(Buffer.from(report.figures.misclassified).equals(Buffer.from(tileGalleryPng(tiles.mistakes, { columns: 10, colormap: colormap('jet'), title })))).toBe(true);
    const galleryTitle = 'Correct predictions, Grad-CAM of the class (2 of 2 maps flat)';
    expect(Buffer.from(report.figures.correct!).equals(Buffer.from(classGalleryPng(tiles.rows, ['0', '1', '2'], { colormap: colormap('jet'), title: galleryTitle })))).toBe(true);
  });

  it('names itself and the argument in each argument check', () => {
    expect(errorOf(() => modelReport('model' as never, set)).message).toBe('modelReport: model must be an object (a network, or a loaded model: loadModel, loadModelFromBytes), not string');
    expect(errorOf(() => modelReport({} as never, set)).message).toBe('modelReport: model.network must be a network (a loaded model holds one: loadModel, loadModelFromBytes), not undefined');
    expect(errorOf(() => modelReport(network, {} as never)).message).toBe('modelReport: set must be an image set (count, height, width, images and labels: loadDataset, createDataset), not Object');
    expect(errorOf(() => modelReport(network, set, 5 as never)).message).toMatch(/^modelReport: options must be /);
  });

  it('refuses each count out of its range, a wrong number of class names and an unknown layer, before any work', () => {
    const ranges: Array<[keyof typeof small, number, number]> = [['perClass', 1, 100], ['mistakes', 0, 10_000], ['classImages', 1, 100_000], ['cells', 1, 1_000], ['perCell', 1, 100]];
    for (const [name, low, high] of ranges) {
      for (const value of [low - 1, high + 1, low + 0.5, Number.NaN]) {
        const error = errorOf(() => modelReport(network, set, { ...small, [name]: value }), 'ERR_BAD_ARGUMENT');
        expect(error.message).toBe(`modelReport: ${name} ${value} is not a whole number from ${low} to ${high}`);
      }
    }
    const names = errorOf(() => modelReport(network, set, { classNames: ['a', 'b'] }), 'ERR_BAD_ARGUMENT');
    expect(names.message).toBe('modelReport: 2 class names for a model of 3 classes; give one name per class');
    expect(errorOf(() => modelReport(network, set, { ...small, layer: 'fc' })).message).toMatch(/^layer: 'fc' is not a conv block of this network; the choices are /);
  });

  it('takes each count at its bounds', () => {
    for (const options of [{ perClass: 100, mistakes: 10_000, classImages: 100_000, cells: 1_000, perCell: 100 }, { perClass: 1, mistakes: 0, classImages: 1, cells: 1, perCell: 1 }]) {
      expect(modelReport(network, set, { ...options, layer: 'relu1' }).html).toContain('(relu1, 4 × 10 × 10)');
    }
  });

  it('counts only the flat maps when some are not (a network flat for class 0\'s images alone)', () => {
    // The same net as above with relu2 alive where the image has ink at its centre; the figures' titles name the
    // flat ones among all (drawn again from their parts here).
    const report = modelReport(network, set, { ...small, mistakes: 10 });
    const predictions = report.evaluation.predictions;
    const correct = correctByClass(predictions, 3, 2);
    const mistakes = misclassifiedByConfidence(predictions, 3).slice(0, 10);
    const maps = gradCam(network, set, { indices: [...correct.flat(), ...mistakes], layer: 'relu2' });
    const tiles = galleryTiles(set, maps, correct, mistakes, ['0', '1', '2']);
    const note = (shown: { flat?: boolean }[]) => {
      const flat = shown.filter((tile) => tile.flat).length;
      return flat === 0 ? '' : ` (${flat} of ${shown.length} maps flat)`;
    };
    const title = `Misclassified: true→predicted, Grad-CAM of the predicted class${note(tiles.mistakes)}`;
    expect(Buffer.from(report.figures.misclassified).equals(Buffer.from(tileGalleryPng(tiles.mistakes, { columns: 10, colormap: colormap('jet'), title })))).toBe(true);
    const galleryTitle = `Correct predictions, Grad-CAM of the class${note(tiles.rows.flat())}`;
    expect(Buffer.from(report.figures.correct!).equals(Buffer.from(classGalleryPng(tiles.rows, ['0', '1', '2'], { colormap: colormap('jet'), title: galleryTitle })))).toBe(true);
    expect(tiles.mistakes.length + tiles.rows.flat().length).toBeGreaterThan(0);
    // The captions count the same flat maps.
    const captionNote = (shown: { flat?: boolean }[]) => {
      const flat = shown.filter((tile) => tile.flat).length;
      return flat === 0 ? '</figcaption>' : ` ${flat} of the ${shown.length} maps ${flat === 1 ? 'is' : 'are'} flat`;
    };
    expect(report.html).toContain(`each with the Grad-CAM of its class.${captionNote(tiles.rows.flat())}`);
    expect(report.html).toContain(`what the network saw as that class.${captionNote(tiles.mistakes)}`);
  });

  it('leaves out the confusion matrix past 500 classes', () => {
    const many = seededNetwork(backend, 'conv(1,3) relu flatten linear(501)', { channels: 1, height: 3, width: 3, classes: 501 }, 5);
    const one: ImageSet = { count: 1, channels: 1, height: 3, width: 3, images: Uint8Array.from([0, 50, 100, 150, 200, 250, 30, 60, 90]), labels: Uint8Array.from([7]) };
    const report = modelReport(many, one, { mistakes: 1, classImages: 1, cells: 1, perCell: 1 });
    expect(report.figures.confusion).toBeUndefined();
    expect(report.html).toContain('<p>The confusion matrix is drawn for up to 500 classes; this model has 501, so it is left out here.</p>');
  });

  it('draws the confusion matrix at exactly 500 classes', () => {
    const atLimit = seededNetwork(backend, 'conv(1,3) relu flatten linear(500)', { channels: 1, height: 3, width: 3, classes: 500 }, 5);
    const one: ImageSet = { count: 1, channels: 1, height: 3, width: 3, images: Uint8Array.from([0, 50, 100, 150, 200, 250, 30, 60, 90]), labels: Uint8Array.from([7]) };
    const report = modelReport(atLimit, one, { mistakes: 1, classImages: 1, cells: 1, perCell: 1 });
    expect(isPng(report.figures.confusion)).toBe(true);
    expect(report.html).not.toContain('The confusion matrix is drawn for up to 500 classes');
  });

  it('leaves out the figures with a row or column per class beyond their limits, and says so', () => {
    const many = seededNetwork(backend, 'conv(2,3) relu flatten linear(101)', { channels: 1, height: 5, width: 5, classes: 101 }, 4);
    const tiny: ImageSet = { count: 2, channels: 1, height: 5, width: 5, images: Uint8Array.from({ length: 50 }, (_, k) => (k * 37) % 256), labels: Uint8Array.from([0, 100]) };
    const report = modelReport(many, tiny, { mistakes: 1, classImages: 1, cells: 1, perCell: 1 });
    expect(report.figures.correct).toBeUndefined();
    expect(report.figures.classMeans).toBeUndefined();
    expect(isPng(report.figures.confusion)).toBe(true); // up to 500 classes
    expect(report.html).toContain('The gallery of correct predictions (a row per class) is drawn for up to 100 classes; this model has 101, so it is left out here.');
    expect(report.html).toContain('The figure of class means (a column per class) is drawn for up to 100 classes; this model has 101, so it is left out here.');
    const atLimit = seededNetwork(backend, 'conv(2,3) relu flatten linear(100)', { channels: 1, height: 5, width: 5, classes: 100 }, 4);
    const drawn = modelReport(atLimit, { ...tiny, labels: Uint8Array.from([0, 99]) }, { perClass: 1, mistakes: 1, classImages: 1, cells: 1, perCell: 1 });
    expect(isPng(drawn.figures.correct)).toBe(true);
    expect(isPng(drawn.figures.classMeans)).toBe(true);
  });
});
