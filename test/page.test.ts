/**
 * The page in a real browser: Debian's `chromium`, headless, driven by playwright-core against the page
 * server started here. The page names the model it serves (file name, architecture, input size, classes);
 * a digit drawn with mouse strokes is classified, the explanation overlay changes as it is drawn, a clicked
 * MNIST test digit is predicted as the Node API predicts it with the same model, the method picker changes
 * the explanation and nothing else (the same input, the same probabilities), a signed method is drawn in
 * the diverging colormap with its legend, a model file of one's own loads (and a bad one is refused
 * without losing the model in use), another served model is named for what it is, and the page fits a
 * phone's width. A screenshot is saved to runs/page/page.png (or $XCNN_PAGE_SCREENSHOT).
 *
 * `.ci/run` installs chromium from Debian's packages when it is missing; where it cannot be installed,
 * this test is skipped with a message saying so.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { readIdxFile } from '../src/data/idx-files.js';
import { predictImages } from '../src/eval/predict.js';
import { packageRoot } from '../src/files/package-root.js';
import { loadModel, readModelFile, shippedModelPath } from '../src/model/model-io.js';
import { pageContent } from '../src/serve/served-file.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { encodeModel } from '../src/model/model-file.js';
import { createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { startPageServer, type PageServer } from '../src/serve/page-server.js';
import { COLOUR_GEOMETRY, COLOUR_SPEC, seededNetwork } from './fixtures/any-networks.js';

const CHROMIUM = process.env.XCNN_CHROMIUM ?? '/usr/bin/chromium'; // Debian's package
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`SKIPPED: the page's browser test needs ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);

const screenshotPath = process.env.XCNN_PAGE_SCREENSHOT ?? join(packageRoot(), 'runs', 'page', 'page.png');

/** Waits until the worker has answered everything asked (the page's <main data-state>). */
async function settled(page: Page): Promise<void> {
  await page.waitForFunction(() => document.getElementById('app')?.dataset.state === 'ready', null, { timeout: 10_000 });
}

/** The overlay canvas's pixels, as a list of numbers (RGBA). */
async function overlayPixels(page: Page): Promise<number[]> {
  return page.evaluate(() => {
    const canvas = document.getElementById('overlay') as HTMLCanvasElement;
    return Array.from(canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data);
  });
}

/** What the prediction panel shows: the class, what was explained, and every probability as printed. */
async function predictionShown(page: Page): Promise<{ predicted: string | null; input: string | null; probabilities: string[] }> {
  return {
    predicted: await page.getAttribute('#prediction', 'data-predicted'),
    input: await page.getAttribute('#prediction', 'data-input'),
    probabilities: await page.locator('#probabilities .value').allTextContents(),
  };
}

/** Picks a method and waits for its explanation. */
async function pickMethod(page: Page, method: string, title: RegExp): Promise<void> {
  await page.selectOption('#method', method);
  await page.waitForFunction((pattern) => new RegExp(pattern).test(document.getElementById('explanation-caption')?.textContent ?? ''), title.source);
  await settled(page);
}

function differingPixels(a: number[], b: number[]): number {
  let count = 0;
  for (let k = 0; k < a.length; k += 4) if (a[k] !== b[k] || a[k + 1] !== b[k + 1] || a[k + 2] !== b[k + 2]) count++;
  return count;
}

/** A stroke through `points` given in the 280 × 280 drawing canvas's pixels, drawn with the mouse. */
async function stroke(page: Page, points: Array<[number, number]>): Promise<void> {
  const box = (await page.locator('#drawing').boundingBox())!;
  const at = ([x, y]: [number, number]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280] as const;
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const point of points.slice(1)) await page.mouse.move(...at(point), { steps: 10 });
  await page.mouse.up();
}

describe.skipIf(!hasChromium)('the page (xcnn serve) in headless Chromium', () => {
  let server: PageServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    server = await startPageServer({ files: pageContent(packageRoot(), { bytes: readModelFile(shippedModelPath()), fileName: "mnist-small.safetensors" }), port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-background-networking', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 820 } });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(server.url);
    await settled(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('loads the shipped model in a cross-origin isolated page, without errors, and names it: file, architecture, input, classes', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    // 63,562 parameters: conv1 8·1·9 + 8, conv2 16·8·9 + 16, fc1 32·16·11·11 + 32, fc2 10·32 + 10.
    expect(8 * 9 + 8 + (16 * 8 * 9 + 16) + (32 * 16 * 11 * 11 + 32) + (10 * 32 + 10)).toBe(63_562);
    expect(await page.textContent('#model')).toMatch(
      /^Model mnist-small\.safetensors: conv\(8,3\) relu maxpool\(2\) conv\(16,3\) relu flatten linear\(32\) relu linear\(10\), input 1×28×28, 10 classes \(0, 1, 2, 3, 4, 5, 6, 7, 8, 9\), mnist, 63,562 parameters, test accuracy 98\.\d\d%\.$/,
    );
    expect(await page.locator('#probabilities li').count()).toBe(10);
    expect(await page.locator('#digits button').count()).toBe(10);
    expect(errors).toEqual([]);
  });

  it('classifies a 7 drawn with the mouse, and the overlay follows the drawing', async () => {
    const blank = await overlayPixels(page);
    await stroke(page, [[70, 60], [210, 60], [120, 240]]);
    await settled(page);
    expect(await page.getAttribute('#prediction', 'data-predicted')).toBe('7');
    expect(await page.textContent('#prediction')).toMatch(/It looks like a 7/);
    const drawn = await overlayPixels(page);
    const changed = differingPixels(blank, drawn);
    console.log(`the overlay changed in ${changed} of ${drawn.length / 4} pixels; ${await page.textContent('#explanation-caption')}`);
    expect(changed).toBeGreaterThan(drawn.length / 4 / 4);
    mkdirSync(dirname(screenshotPath), { recursive: true });
    await page.screenshot({ path: screenshotPath, fullPage: true });
    console.log(`screenshot: ${screenshotPath}`);
    expect(errors).toEqual([]);
  });

  it('predicts a clicked MNIST test digit as the Node API does with the same model', async () => {
    const images = readIdxFile(join(packageRoot(), 'data', 'page-digits-images-idx3-ubyte'));
    const { network } = loadModel(shippedModelPath(), await createWasmBackend());
    const { predicted } = predictImages(network, images.data, images.dims[0]);
    for (const n of [3, 9]) {
      const before = await overlayPixels(page);
      await page.locator('#digits button').nth(n).click();
      await page.waitForFunction((input) => document.getElementById('prediction')?.dataset.input === input, `test digit ${n}`);
      await settled(page);
      expect(await page.getAttribute('#prediction', 'data-predicted')).toBe(String(predicted[n]));
      expect(differingPixels(before, await overlayPixels(page))).toBeGreaterThan(0);
    }
  });

  it('explains with the method picked', async () => {
    await page.locator('#digits button').nth(7).click();
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.input === 'test digit 7');
    await settled(page);
    const gradCam = await overlayPixels(page);
    await pickMethod(page, 'occlusion', /^Occlusion for class/);
    expect(differingPixels(gradCam, await overlayPixels(page))).toBeGreaterThan(0);
  });

  it('explains the same input when only the method changes: the prediction and every probability stay', async () => {
    // A clicked test digit (shown on the canvas enlarged and smoothed, so reading the canvas again would give another input) …
    await pickMethod(page, 'grad-cam', /^Grad-CAM for class/);
    await page.locator('#digits button').nth(3).click();
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.input === 'test digit 3');
    await settled(page);
    const digit = await predictionShown(page);
    const before = await overlayPixels(page);
    for (const [method, title] of [['saliency', /^Saliency for class/], ['occlusion', /^Occlusion for class/], ['grad-cam', /^Grad-CAM for class/]] as const) {
      await pickMethod(page, method, title);
      expect(await predictionShown(page), method).toEqual(digit);
    }
    await pickMethod(page, 'saliency', /^Saliency for class/);
    expect(differingPixels(before, await overlayPixels(page))).toBeGreaterThan(0); // the explanation did change
    // … and a drawing.
    await page.click('#clear');
    await stroke(page, [[80, 50], [200, 50], [200, 240]]);
    await settled(page);
    const drawing = await predictionShown(page);
    expect(drawing.input).toBe('drawing');
    await pickMethod(page, 'integrated-gradients', /^Integrated Gradients for class/);
    expect(await predictionShown(page)).toEqual(drawing);
  });

  it('draws a signed map in the diverging colormap, with a legend saying what red and blue mean', async () => {
    await page.locator('#digits button').nth(1).click();
    await page.waitForFunction(() => document.getElementById('prediction')?.dataset.input === 'test digit 1');
    await pickMethod(page, 'gradient-x-input', /^Gradient × input for class/);
    expect(await page.getAttribute('#legend', 'data-colormap')).toBe('coolwarm');
    expect(await page.textContent('#legend')).toMatch(/^ ?blue: evidence against (\d) · grey: none · red: evidence for \1 \(zero in the middle/);
    // The digit's black border has input 0, so gradient × input is 0 there: coolwarm's grey over black.
    const [r, g, b] = (await overlayPixels(page)).slice(0, 3);
    expect([r, g, b]).toEqual([111, 111, 111]);
    await pickMethod(page, 'grad-cam', /^Grad-CAM for class/);
    expect(await page.getAttribute('#legend', 'data-colormap')).toBe('jet');
    expect(await page.textContent('#legend')).toMatch(/blue: little evidence · red: most evidence for \d/);
  });

  it('loads a model of one\'s own, and keeps the previous one when a file is not a model', async () => {
    await page.setInputFiles('#model-file', { name: 'junk.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model at all') });
    await page.waitForFunction(() => document.getElementById('status')?.classList.contains('error'));
    expect(await page.textContent('#status')).toMatch(/junk\.safetensors: not a valid safetensors file.*the previous model is still in use/);
    await settled(page);

    const narrow = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 2, conv2Channels: 3, hidden: 4 });
    narrow.initialize(new Random(5));
    const bytes = encodeModel(narrow, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES });
    await page.setInputFiles('#model-file', { name: 'mine.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(bytes) });
    await page.waitForFunction(() => /^Model mine\.safetensors/.test(document.getElementById('model')?.textContent ?? ''));
    await settled(page);
    expect(await page.textContent('#model')).toMatch(/^Model mine\.safetensors: conv\(2,3\) relu maxpool\(2\) conv\(3,3\) relu flatten linear\(4\) relu linear\(10\), input 1×28×28, 10 classes/);
  });

  it('names another served model for what it is: its file, architecture, input size and classes', async () => {
    const network = seededNetwork(new ReferenceBackend(), COLOUR_SPEC, COLOUR_GEOMETRY, 7);
    const bytes = encodeModel(network, { geometry: COLOUR_GEOMETRY, dataset: 'tiny colours', classNames: ['red', 'green', 'blue'] });
    const other = await startPageServer({ files: pageContent(packageRoot(), { bytes, fileName: 'tiny-colour.safetensors' }), port: 0 });
    const second = await browser.newPage({ viewport: { width: 1100, height: 820 } });
    try {
      await second.goto(other.url);
      await settled(second);
      expect(await second.textContent('#model')).toMatch(
        /^Model tiny-colour\.safetensors: conv\(4,3,pad=1\) bn relu conv\(6,3,stride=2\) relu gap flatten linear\(3\), input 3×10×10, 3 classes \(red, green, blue\), tiny colours, [\d,]+ parameters\.$/,
      );
      expect(await second.locator('#probabilities li').count()).toBe(3);
      expect(await second.textContent('#drawing-title')).toBe('Your drawing'); // its classes are not the ten digits
      expect(await second.getAttribute('#overlay', 'aria-label')).toBe("The network's input, 10 × 10 in colour, with the explanation's heatmap over it");
    } finally {
      await second.close();
      await other.close();
    }
  });

  it('clears, and fits a phone\'s width', async () => {
    await page.click('#clear');
    expect(await page.getAttribute('#prediction', 'data-predicted')).toBe('');
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
