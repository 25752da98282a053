/**
 * The page's Web Worker (web/explainer-worker.js) without a browser: the module runs in Node with its two
 * globals (`onmessage`, `postMessage`) and `fetch` of the kernels stood in for, on model files of any
 * architecture — the paper's MNIST model (a 28 × 28 overlay), a 3 × 10 × 10 colour model (a 10 × 10 overlay
 * with the drawing in colour under the heatmap) and a network without a conv (a CAM method answers with its
 * one-line error). An input explained once is explained again exactly, with another method; a signed map is
 * drawn zero-centred in the diverging colormap, as `xcnn explain` draws it. And `xcnn serve --arch`'s
 * model: a state_dict given the architecture loads without it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { packageRoot } from '../src/files/package-root.js';
import { encodeSafetensors } from '../src/files/safetensors.js';
import { decodeModel, encodeModel, networkTensors } from '../src/model/model-file.js';
import { readModelFile, shippedModelPath } from '../src/model/model-io.js';
import { modelForPage } from '../src/serve/page-files.js';
import { COLOUR_GEOMETRY, COLOUR_SPEC, seededNetwork } from './fixtures/any-networks.js';

type Answer = Record<string, unknown> & { type: string };

const root = packageRoot();
const answers: Answer[] = [];
let receive: (message: unknown) => Promise<void>;
const saved = { fetch: globalThis.fetch, postMessage: (globalThis as Record<string, unknown>).postMessage };

beforeAll(async () => {
  const scope = globalThis as Record<string, unknown>;
  scope.postMessage = (answer: Answer) => answers.push(answer);
  scope.onmessage = null; // the worker assigns it (a module is strict: the global must exist)
  globalThis.fetch = (async (url: string) => {
    const bytes = readFileSync(join(root, 'build', basename(url)));
    return { ok: true, arrayBuffer: async () => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) };
  }) as unknown as typeof fetch;
  await import(join(root, 'web', 'explainer-worker.js'));
  const handler = scope.onmessage as (event: { data: unknown }) => Promise<void>;
  receive = (message) => handler({ data: message });
});

afterAll(() => {
  delete (globalThis as Record<string, unknown>).onmessage;
  globalThis.fetch = saved.fetch;
  (globalThis as Record<string, unknown>).postMessage = saved.postMessage;
});

async function ask(message: Record<string, unknown>): Promise<Answer> {
  answers.length = 0;
  await receive(message);
  expect(answers).toHaveLength(1);
  return answers[0];
}

function modelMessage(bytes: Uint8Array, name: string) {
  return { type: 'model', bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), name };
}

/** A 40 × 40 RGBA drawing: a red square on white. */
function drawing() {
  const rgba = new Uint8Array(40 * 40 * 4).fill(255);
  for (let y = 5; y < 35; y++) for (let x = 5; x < 20; x++) rgba.set([230, 20, 20, 255], 4 * (y * 40 + x));
  return { rgba: rgba.buffer, width: 40, height: 40 };
}

describe('the page\'s worker on any architecture', () => {
  it('explains a drawing with the shipped MNIST model: a 28 × 28 overlay', async () => {
    expect((await ask(modelMessage(readModelFile(shippedModelPath()), 'shipped'))).type).toBe('model');
    const answer = await ask({ type: 'explain', id: 1, input: 'drawing', method: 'grad-cam', picture: drawing() });
    expect(answer.type).toBe('explained');
    expect([answer.width, answer.height]).toEqual([28, 28]);
    expect((answer.overlay as Uint8ClampedArray).length).toBe(28 * 28 * 4);
    expect((answer.probabilities as number[]).length).toBe(10);
    expect(answer.signed).toBe(false);
  });

  it('explains the model input it was given again exactly: another method, the same input and prediction', async () => {
    expect((await ask(modelMessage(readModelFile(shippedModelPath()), 'shipped'))).type).toBe('model');
    const first = await ask({ type: 'explain', id: 1, input: 'drawing', method: 'grad-cam', picture: drawing() });
    const modelInput = first.modelInput as Uint8Array;
    expect(modelInput.length).toBe(784);
    for (const method of ['saliency', 'occlusion', 'grad-cam']) {
      const again = await ask({ type: 'explain', id: 2, input: 'drawing', method, modelInput: modelInput.slice() });
      expect(again.type, String(again.message)).toBe('explained');
      expect(Array.from(again.modelInput as Uint8Array)).toEqual(Array.from(modelInput));
      expect(again.probabilities).toEqual(first.probabilities);
      expect(again.predicted).toBe(first.predicted);
    }
    const wrongSize = await ask({ type: 'explain', id: 3, input: 'drawing', method: 'saliency', modelInput: new Uint8Array(100) });
    expect(wrongSize).toMatchObject({ type: 'error', id: 3, message: 'the input to explain again has 100 values, but the model takes 1×28×28' });
  });

  it('draws a signed map zero-centred in the diverging colormap (grey where the map is 0), an unsigned one in jet', async () => {
    expect((await ask(modelMessage(readModelFile(shippedModelPath()), 'shipped'))).type).toBe('model');
    // Gradient × input is 0 wherever the input is 0 (the black border of an MNIST-style digit): zero-centred
    // that is ½, coolwarm's light grey (221, 221, 221), half over black: (110.5, 110.5, 110.5), rounded.
    const signed = await ask({ type: 'explain', id: 1, input: 'drawing', method: 'gradient-x-input', picture: drawing() });
    expect(signed.signed).toBe(true);
    const modelInput = signed.modelInput as Uint8Array;
    const overlay = signed.overlay as Uint8ClampedArray;
    const background = Array.from(modelInput.keys()).filter((k) => modelInput[k] === 0);
    expect(background.length).toBeGreaterThan(300);
    const grey = Math.round(221 / 2);
    for (const k of background) expect([overlay[4 * k], overlay[4 * k + 1], overlay[4 * k + 2]]).toEqual([grey, grey, grey]);
    // Grad-CAM's map is not signed: jet, in which no colour is a grey.
    const unsigned = await ask({ type: 'explain', id: 2, input: 'drawing', method: 'grad-cam', modelInput: modelInput.slice() });
    expect(unsigned.signed).toBe(false);
    const jetOverlay = unsigned.overlay as Uint8ClampedArray;
    expect(background.filter((k) => jetOverlay[4 * k] === jetOverlay[4 * k + 1] && jetOverlay[4 * k + 1] === jetOverlay[4 * k + 2])).toEqual([]);
  });

  it('explains a drawing with a 3 × 10 × 10 colour model: a 10 × 10 overlay with the drawing in colour', async () => {
    const network = seededNetwork(new ReferenceBackend(), COLOUR_SPEC, COLOUR_GEOMETRY, 41);
    const bytes = encodeModel(network, { geometry: COLOUR_GEOMETRY, dataset: 'tiny', classNames: ['a', 'b', 'c'] });
    const loaded = await ask(modelMessage(bytes, 'colour'));
    expect(loaded.type).toBe('model');
    expect(loaded.description).toContain('3×10×10');
    for (const method of ['grad-cam', 'saliency', 'occlusion']) {
      const answer = await ask({ type: 'explain', id: 2, input: 'drawing', method, picture: drawing() });
      expect(answer.type, String(answer.message)).toBe('explained');
      expect([answer.width, answer.height]).toEqual([10, 10]);
      const digit = answer.modelInput as Uint8Array;
      expect(digit.length).toBe(300);
      // Pixel (2, 5) lies in the red square: the model's input is red there, and the overlay is not grey.
      expect([digit[5 * 10 + 2], digit[100 + 5 * 10 + 2], digit[200 + 5 * 10 + 2]]).toEqual([230, 20, 20]);
      const overlay = answer.overlay as Uint8ClampedArray;
      expect((answer.probabilities as number[]).length).toBe(3);
      expect(overlay.length).toBe(10 * 10 * 4);
    }
    // An MNIST test digit clicked on the page is converted to the colour model's input too.
    const digit = new Uint8Array(784).fill(0);
    const answer = await ask({ type: 'explain', id: 3, input: 'test digit 0', method: 'grad-cam', digit });
    expect(answer.type).toBe('explained');
    expect((answer.modelInput as Uint8Array).length).toBe(300);
  });

  it('answers a CAM method on a network without a conv with its one-line error', async () => {
    const geometry = { channels: 1, height: 28, width: 28, classes: 10 };
    const network = seededNetwork(new ReferenceBackend(), 'flatten linear(16) relu linear(10)', geometry, 42);
    expect((await ask(modelMessage(encodeModel(network, { geometry, dataset: 'mnist', classNames: [...'0123456789'] }), 'mlp'))).type).toBe('model');
    const refused = await ask({ type: 'explain', id: 4, input: 'drawing', method: 'grad-cam', picture: drawing() });
    expect(refused.type).toBe('error');
    expect(refused.message).toMatch(/^this network has no convolution/);
    expect((await ask({ type: 'explain', id: 5, input: 'drawing', method: 'saliency', picture: drawing() })).type).toBe('explained');
  });
});

describe('xcnn serve --arch', () => {
  it('sends a model file with metadata as it is, byte for byte', () => {
    const bytes = readModelFile(shippedModelPath());
    expect(modelForPage(bytes, 'shipped')).toBe(bytes);
  });

  it('refuses a state_dict whose tensors do not fit --arch before anything is served', () => {
    const network = seededNetwork(new ReferenceBackend(), COLOUR_SPEC, COLOUR_GEOMETRY, 44);
    const bytes = encodeSafetensors(networkTensors(network));
    expect(() => modelForPage(bytes, 'state_dict.safetensors', { arch: 'conv(4,3) relu flatten linear(3)' })).toThrow(/^state_dict\.safetensors: not an xcnn model: /);
  });

  it('sends a state_dict with its architecture written in, so the page loads it without --arch', () => {
    const spec = COLOUR_SPEC;
    const network = seededNetwork(new ReferenceBackend(), spec, COLOUR_GEOMETRY, 43);
    // nn.Sequential's names: conv1 → 0, bn1 → 1, conv2 → 3, fc1 → 7.
    const indices: Record<string, number> = { conv1: 0, bn1: 1, conv2: 3, fc1: 7 };
    const path = join(mkdtempSync(join(tmpdir(), 'xcnn-serve-arch-')), 'state_dict.safetensors');
    writeFileSync(path, encodeSafetensors(networkTensors(network).map((t) => ({ ...t, name: t.name.replace(/^[a-z]+\d+/, (layer) => String(indices[layer])) }))));
    const served = modelForPage(readFileSync(path), path, { arch: spec });
    const { network: loaded } = decodeModel(served, 'the model sent', new ReferenceBackend());
    expect(loaded.spec).toBe(network.spec);
    expect(Array.from(loaded.params)).toEqual(Array.from(network.params));
    expect(Array.from(loaded.buffers)).toEqual(Array.from(network.buffers));
  });
});
