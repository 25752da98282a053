/**
 * The library's pictures, report, checkpoints and evaluation JSON, as a user calls them from either entry
 * ('xcnn' in Node, 'xcnn/core' anywhere): PNG bytes whose pixels (decoded by pngjs, independently of the
 * writer) are the colours worked out here from the colormaps' anchor points; every figure's PNG holds
 * exactly the pixels of the figure the command line draws; the report page embeds the figures' very
 * bytes; a checkpoint taken mid-epoch and restored from bytes ends the run bit for bit where an
 * uninterrupted run ends. Run after a build (the entries resolve to dist/).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import * as xcnn from 'xcnn';
import * as core from 'xcnn/core';

/** A PNG's pixels as RGB triples, row-major, decoded by pngjs. */
function pixels(png: Uint8Array): { width: number; height: number; rgb: number[][] } {
  const decoded = PNG.sync.read(Buffer.from(png));
  const rgb: number[][] = [];
  for (let k = 0; k < decoded.data.length; k += 4) rgb.push([decoded.data[k], decoded.data[k + 1], decoded.data[k + 2]]);
  return { width: decoded.width, height: decoded.height, rgb };
}

/** A PNG's RGB bytes, decoded by pngjs, and a Raster's (what the command line encodes with pngjs): the same when the pictures are. */
function rgbBytes(png: Uint8Array): Buffer {
  const decoded = PNG.sync.read(Buffer.from(png));
  return Buffer.from(decoded.data.filter((_, k) => k % 4 !== 3));
}
function rasterRgbBytes(raster: { data: Uint8Array }): Buffer {
  return Buffer.from(raster.data.filter((_, k) => k % 4 !== 3));
}

// Anchor colours, from the colormaps' definitions: jet is dark blue (0, 0, 0.5) at 0 and dark red (0.5, 0, 0)
// at 1; viridis #440154 at 0 and #fde725 at 1; coolwarm (59, 76, 192) at 0, (221, 221, 221) at ½, (180, 4, 38) at 1.
const JET_0 = [0, 0, 128];
const JET_1 = [128, 0, 0];
const VIRIDIS_0 = [0x44, 0x01, 0x54];
const VIRIDIS_1 = [0xfd, 0xe7, 0x25];
const COOL = [59, 76, 192];
const GREY = [221, 221, 221];
const WARM = [180, 4, 38];

describe.each([
  ['xcnn', xcnn],
  ['xcnn/core', core],
] as const)('pictures from %s', (_entry, api) => {
  it('heatmapToPng: each map value in the colormap, enlarged scale × scale', () => {
    const png = pixels(api.heatmapToPng([0, 1, 1, 0, 0, 1], { width: 3, height: 2, scale: 2 }));
    expect([png.width, png.height]).toEqual([6, 4]);
    const row = (colours: number[][]) => colours.flatMap((c) => [c, c]);
    const top = row([JET_0, JET_1, JET_1]);
    const bottom = row([JET_0, JET_0, JET_1]);
    expect(png.rgb).toEqual([...top, ...top, ...bottom, ...bottom]);
    expect(pixels(api.heatmapToPng([0, 1], { width: 2, height: 1, colormap: 'viridis' })).rgb).toEqual([VIRIDIS_0, VIRIDIS_1]);
  });

  it('heatmapToPng, signed: zero at the diverging map\'s grey, the largest magnitude at its ends', () => {
    // v / (2·max|v|) + ½ with max|v| = 4: −4 → 0, 0 → ½, 4 → 1.
    expect(pixels(api.heatmapToPng([-4, 0, 4], { width: 3, height: 1, signed: true })).rgb).toEqual([COOL, GREY, WARM]);
  });

  it('overlayToPng: (1 − α)·image + α·colour, grey for one channel and RGB for three', () => {
    // Grey 200 under jet(1) = (128, 0, 0) at α = ½: (164, 100, 100); grey 0 under jet(0) = (0, 0, 128): (0, 0, 64).
    expect(pixels(api.overlayToPng([200, 0], [1, 0], { width: 2, height: 1 })).rgb).toEqual([[164, 100, 100], [0, 0, 64]]);
    // An RGB pixel (10, 20, 30) under viridis(0) = (68, 1, 84) at α = ¼: round(¾·image + ¼·colour) = (25, 15, 44).
    expect(pixels(api.overlayToPng([10, 20, 30], [0], { width: 1, height: 1, channels: 3, colormap: 'viridis', alpha: 0.25 })).rgb).toEqual([[25, 15, 44]]);
  });

  it('refuses a map or image of the wrong size, an unknown colormap and a bad scale, in one line each', () => {
    expect(() => api.heatmapToPng([0, 1, 2], { width: 2, height: 2 })).toThrow(/heatmapToPng: 3 values for a 2×2 map; give 4 \(row-major\)/);
    expect(() => api.overlayToPng([0], [0, 0], { width: 2, height: 1 })).toThrow(/overlayToPng: 1 image values for 1×1×2; give C·H·W = 2/);
    expect(() => api.heatmapToPng([0], { width: 1, height: 1, colormap: 'magma' as 'jet' })).toThrow(/unknown colormap 'magma': choose jet, viridis, coolwarm/);
    expect(() => api.heatmapToPng([0], { width: 1, height: 1, scale: 0 })).toThrow(api.XcnnError);
    expect(() => api.confusionMatrixPng([[1, 0]], ['a', 'b'])).toThrow(/not 2×2/);
  });

  it('colormap(name) and divergingColormap are the colormaps the figures use', () => {
    expect(api.colormap('jet')(0)).toEqual(JET_0);
    expect(api.colormap('viridis')(1)).toEqual(VIRIDIS_1);
    expect([api.divergingColormap(0), api.divergingColormap(0.5), api.divergingColormap(1)]).toEqual([COOL, GREY, WARM]);
  });
});

describe('the figures as PNG bytes', () => {
  it('are the rasters the command line draws, pixel for pixel', async () => {
    const expectSame = (png: Uint8Array, raster: { width: number; height: number; data: Uint8Array }) => {
      expect(pixels(png).width).toBe(raster.width);
      expect(rgbBytes(png).equals(rasterRgbBytes(raster))).toBe(true);
    };
    const render = {
      confusion: await import('../src/render/confusion-figure.js'),
      curves: await import('../src/render/curves-figure.js'),
      gallery: await import('../src/render/gallery.js'),
      overlay: await import('../src/render/overlay.js'),
      colormap: await import('../src/render/colormap.js'),
    };
    const confusion = [[5, 1], [0, 7]];
    expectSame(core.confusionMatrixPng(confusion, ['cat', 'dog']), render.confusion.confusionFigure(confusion, ['cat', 'dog']));
    const history = [1, 2, 3].map((epoch) => ({ epoch, trainLoss: 1 / epoch, trainAccuracy: 0.8 + epoch / 50, testLoss: 1.1 / epoch, testAccuracy: 0.79 + epoch / 50 }));
    expectSame(core.trainingCurvesPng(history), render.curves.curvesFigure(history));
    const image = { width: 4, height: 4, pixels: Array.from({ length: 16 }, (_, k) => 16 * k), heatmap: Array.from({ length: 16 }, (_, k) => k / 15) };
    const tiles = [{ image, caption: '4→9 87%' }, { image }];
    expectSame(core.tileGalleryPng(tiles, { columns: 2, colormap: 'viridis', title: 'mistakes' }), render.gallery.tileGallery(tiles, 2, { colormap: render.colormap.viridis, title: 'mistakes' }));
    expectSame(core.classGalleryPng([[tiles[0]], []], ['a', 'b']), render.gallery.classGallery([[tiles[0]], []], ['a', 'b'], { colormap: render.colormap.jet }));
    expectSame(
      core.explanationToPng(image.pixels, image.heatmap, { width: 4, height: 4, caption: 'true 7' }),
      render.overlay.explanationFigure(image, { colormap: render.colormap.jet, heatmapTitle: 'Grad-CAM', colorbarTitle: 'Grad-CAM', caption: 'true 7' }),
    );
  });
});

describe('modelReport (the report page as a library call)', () => {
  it("is the shipped model's report on 300 test images: its evaluation, every section, and the figures' very bytes embedded", async () => {
    const loaded = await xcnn.loadShippedModel(new xcnn.ReferenceBackend());
    const test = xcnn.takeFirst(xcnn.loadDataset().test, 300);
    const report = core.modelReport(loaded, test, { title: 'mnist-small', classImages: 10, cells: 2, perCell: 1, mistakes: 5, perClass: 2 });
    const direct = core.evaluate(loaded.network, test, loaded.info.classNames);
    expect(report.evaluation.accuracy).toBe(direct.accuracy);
    expect(report.evaluation.confusion).toEqual(direct.confusion);
    for (const heading of ['Training performance', 'Classification report', 'Confusion matrix', 'Grad-CAM: correct predictions', 'Grad-CAM: misclassified images', 'What each class looks like to the network', 'Why a t was read as p']) {
      expect(report.html).toContain(`<h2>${heading}</h2>`);
    }
    expect(report.html).toContain('<h1>xcnn report: mnist-small</h1>');
    expect(report.html).toContain(`Test accuracy <strong>${(100 * direct.accuracy).toFixed(2)}%</strong> on 300 mnist test images`);
    const embedded = [...report.html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => Buffer.from(m[1], 'base64'));
    const figures = [report.figures.curves!, report.figures.confusion, report.figures.correct, report.figures.misclassified, report.figures.classMeans, report.figures.confusionCells];
    expect(figures.every((png) => png instanceof Uint8Array)).toBe(true); // the shipped model records its training history: curves too
    expect(embedded.map((b) => b.toString('hex'))).toEqual(figures.map((png) => Buffer.from(png).toString('hex')));
    expect(pixels(report.figures.confusion).width).toBeGreaterThan(500);
    expect(() => core.modelReport(loaded, test, { classNames: ['a'] })).toThrow(/1 class names for a model of 10 classes/);
  });
});

describe('checkpoints and the evaluation JSON from the library', () => {
  const mnist = xcnn.loadDataset();
  const trainSet = xcnn.takeFirst(mnist.train, 48);
  const testSet = xcnn.takeFirst(mnist.test, 16);
  const widths = { conv1Channels: 2, conv2Channels: 4, hidden: 8 };
  const run = { epochs: 2, batchSize: 8 };

  function freshState(): xcnn.TrainingState {
    const backend = new xcnn.ReferenceBackend();
    const random = new xcnn.Random(7);
    const network = xcnn.createPaperNetwork(backend, xcnn.MNIST_GEOMETRY, widths);
    network.initialize(random);
    return xcnn.createTrainingState(network, new xcnn.Adam(network), random, 7);
  }

  it('a run stopped mid-epoch, checkpointed to bytes and restored on a fresh backend, ends bit for bit as an uninterrupted run', async () => {
    const whole = freshState();
    await xcnn.train(whole, { ...run, train: trainSet, test: testSet });

    const first = freshState();
    const stop = new AbortController();
    await xcnn.train(first, { ...run, train: trainSet, test: testSet, signal: stop.signal, onStep: (s) => (s.optimizer.step === 8 ? stop.abort() : undefined) });
    expect([first.epoch, first.position]).toEqual([1, 16]); // stopped in the second epoch
    const info = { geometry: xcnn.MNIST_GEOMETRY, dataset: 'mnist', classNames: xcnn.MNIST_CLASS_NAMES };
    const bytes = core.encodeCheckpoint(first, core.checkpointSettings(first, run), info);

    const { state, settings } = core.restoreCheckpoint(core.decodeCheckpoint(bytes, 'in memory'), new core.ReferenceBackend());
    expect(settings).toMatchObject({ ...run, seed: 7, arch: first.network.spec, backend: 'ts' });
    await core.train(state, { ...run, train: trainSet, test: testSet });
    expect(Array.from(state.network.params)).toEqual(Array.from(whole.network.params));
    expect(state.history.map((h) => h.testLoss)).toEqual(whole.history.map((h) => h.testLoss));
    expect(() => core.decodeCheckpoint(core.encodeModel(whole.network, info), 'model.safetensors')).toThrow(/model\.safetensors: not a usable xcnn checkpoint: its format is/);
  });

  it('saveCheckpoint and loadCheckpoint (Node) go through a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-checkpoint-'));
    try {
      const state = freshState();
      await xcnn.train(state, { epochs: 1, batchSize: 16, train: trainSet, test: testSet });
      const path = join(dir, xcnn.CHECKPOINT_FILE);
      xcnn.saveCheckpoint(path, state, xcnn.checkpointSettings(state, run), { geometry: xcnn.MNIST_GEOMETRY, dataset: 'mnist', classNames: xcnn.MNIST_CLASS_NAMES });
      const loaded = await xcnn.loadCheckpoint(path); // on the backend it was written with ('ts')
      expect(loaded.state.network.backend.name).toBe('ts');
      expect([loaded.state.epoch, loaded.state.optimizer.step]).toEqual([1, 3]);
      expect(Array.from(loaded.state.network.params)).toEqual(Array.from(state.network.params));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('evaluationJson is the evaluation as plain JSON (what `xcnn evaluate --json` and metrics.json hold), without the predictions', () => {
    const network = freshState().network;
    const evaluation = core.evaluate(network, testSet, xcnn.MNIST_CLASS_NAMES);
    const json = JSON.parse(JSON.stringify(core.evaluationJson(evaluation)));
    expect(Object.keys(json).sort()).toEqual(['accuracy', 'confusion', 'count', 'loss', 'report']);
    expect(json.confusion).toEqual(evaluation.confusion);
    expect(json.count).toBe(16);
    expect(json.report.classNames).toEqual(xcnn.MNIST_CLASS_NAMES);
  });
});
