/**
 * The page in a real browser: Debian's `chromium`, headless, driven by playwright-core against the page
 * server started here. A digit drawn with mouse strokes is classified, the explanation overlay changes as
 * it is drawn, a clicked MNIST test digit is predicted as the Node API predicts it with the same model, the
 * method picker changes the explanation, a model file of one's own loads (and a bad one is refused
 * without losing the model in use), and the page fits a phone's width. A screenshot is saved to
 * runs/page/page.png (or $XCNN_PAGE_SCREENSHOT).
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

  it('loads the shipped model in a cross-origin isolated page, without errors', async () => {
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await page.textContent('#status')).toMatch(/conv\(8,3\) relu maxpool\(2\) conv\(16,3\) relu flatten linear\(32\) relu linear\(10\) .*test accuracy 98\.\d\d%/);
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
    await settled(page);
    const gradCam = await overlayPixels(page);
    await page.selectOption('#method', 'occlusion');
    await settled(page);
    expect(await page.textContent('#explanation-caption')).toMatch(/^Occlusion for class/);
    expect(differingPixels(gradCam, await overlayPixels(page))).toBeGreaterThan(0);
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
    await page.waitForFunction(() => /^Model mine\.safetensors/.test(document.getElementById('status')?.textContent ?? ''));
    await settled(page);
    expect(await page.textContent('#status')).toMatch(/conv\(2,3\) relu maxpool\(2\) conv\(3,3\) relu flatten linear\(4\) relu linear\(10\) \(/);
  });

  it('clears, and fits a phone\'s width', async () => {
    await page.click('#clear');
    expect(await page.getAttribute('#prediction', 'data-predicted')).toBe('');
    await page.setViewportSize({ width: 375, height: 800 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  });
});
