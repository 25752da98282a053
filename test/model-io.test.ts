/**
 * Model files on disk (src/model/model-io.ts), in-process: saveModel's folder rule, readModelFile's and
 * loadModel's refusals with their exact one-line messages, the size limit (2 GiB − 1 bytes, checked on a sparse
 * file one byte over it, which takes no disk), and every way loadShippedModel takes its model: by default, a path,
 * a file: URL as text or as a URL, and over HTTP from a server the test starts (and a 404 from it).
 */
import { createServer, type Server } from 'node:http';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, ftruncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { encodeModel, type LoadedModel, type ModelInfo } from '../src/model/model-file.js';
import { loadModel, loadShippedModel, MAX_MODEL_BYTES, readModelFile, saveModel, shippedModelPath } from '../src/model/model-io.js';
import { createNetwork } from '../src/model/network.js';
import type { NetworkGeometry } from '../src/model/spec.js';
import { errorOf, rejection } from './errors.js';

const backend = new ReferenceBackend();
const GEOMETRY: NetworkGeometry = { channels: 1, height: 2, width: 2, classes: 3 };
const INFO: ModelInfo = { geometry: GEOMETRY, dataset: 'hand-made', classNames: ['a', 'b', 'c'] };
const folder = mkdtempSync(join(tmpdir(), 'xcnn-model-io-'));

/** 'flatten linear(3)' with weights 0.5, 1.5, 2.5, … : a network whose file's bytes are known. */
function smallNetwork() {
  const network = createNetwork(backend, 'flatten linear(3)', GEOMETRY);
  network.params.forEach((_, k) => (network.params[k] = k + 0.5));
  return network;
}

describe('saveModel', () => {
  it('writes encodeModel\'s bytes to the path', () => {
    const path = join(folder, 'small.safetensors');
    saveModel(path, smallNetwork(), INFO);
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodeModel(smallNetwork(), INFO)))).toBe(true);
  });

  it('refuses a folder that does not exist, naming it (ERR_FILE), and writes nothing', () => {
    const path = join(folder, 'no-such-folder', 'm.safetensors');
    const error = errorOf(() => saveModel(path, smallNetwork(), INFO), 'ERR_FILE');
    expect(error.message).toBe(`${path}: cannot write the model: the folder ${join(folder, 'no-such-folder')} does not exist; create it first, or pass { mkdir: true }`);
    expect(existsSync(join(folder, 'no-such-folder'))).toBe(false);
    // mkdir: false is the default's rule too.
    expect(errorOf(() => saveModel(path, smallNetwork(), INFO, { mkdir: false })).message).toBe(error.message);
  });

  it('with { mkdir: true } creates the folder and its missing parents', () => {
    const path = join(folder, 'new', 'deeper', 'm.safetensors');
    saveModel(path, smallNetwork(), INFO, { mkdir: true });
    expect(Buffer.from(readFileSync(path)).equals(Buffer.from(encodeModel(smallNetwork(), INFO)))).toBe(true);
  });

  it('refuses options that are not an object', () => {
    expect(errorOf(() => saveModel(join(folder, 'x.safetensors'), smallNetwork(), INFO, 'mkdir' as never), 'ERR_BAD_ARGUMENT').message).toBe('saveModel: options must be an object (its options), not string');
  });
});

describe('readModelFile and loadModel', () => {
  it('read the bytes saveModel wrote, and load them as the same network and info', () => {
    const path = join(folder, 'read.safetensors');
    saveModel(path, smallNetwork(), INFO);
    expect(Buffer.from(readModelFile(path)).equals(readFileSync(path))).toBe(true);
    const loaded = loadModel(path, backend);
    expect(Array.from(loaded.network.params)).toEqual(Array.from(smallNetwork().params));
    expect(loaded.info.classNames).toEqual(INFO.classNames);
    expect(loaded.info.geometry).toEqual(GEOMETRY);
  });

  it('refuse a missing file and a folder, each with its own reason (ERR_FILE)', () => {
    const missing = join(folder, 'missing.safetensors');
    expect(errorOf(() => readModelFile(missing), 'ERR_FILE').message).toBe(`${missing}: cannot read the model: no such file (train one with \`xcnn train\`)`);
    expect(errorOf(() => loadModel(missing, backend), 'ERR_FILE').message).toBe(`${missing}: cannot read the model: no such file (train one with \`xcnn train\`)`);
    const sub = join(folder, 'a-folder');
    mkdirSync(sub);
    expect(errorOf(() => readModelFile(sub), 'ERR_FILE').message).toBe(`${sub}: cannot read the model: is a directory, not a model file`);
  });

  it('refuse a file over 2 GiB − 1 bytes (the most one buffer holds) before reading it', () => {
    expect(MAX_MODEL_BYTES).toBe(2147483647);
    const big = join(folder, 'big.safetensors');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 2 ** 31); // sparse: no blocks written
    closeSync(fd);
    expect(errorOf(() => readModelFile(big), 'ERR_FILE').message).toBe(`${big}: cannot read the model: it is 2147483648 bytes, more than the 2147483647 such a file can be`);
  });

  it('refuse a path that is not a string and a backend that is not one, naming the function and the argument', () => {
    expect(errorOf(() => loadModel(7 as never, backend), 'ERR_BAD_ARGUMENT').message).toBe('loadModel: path must be a string (a file path), not number');
    expect(errorOf(() => loadModel(join(folder, 'read.safetensors'), null as never), 'ERR_BAD_ARGUMENT').message).toBe('loadModel: backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not null');
    expect(errorOf(() => readModelFile(7 as never), 'ERR_BAD_ARGUMENT').message).toBe('readModelFile: path must be a string (a file path), not number');
  });

  it('name the file in a decoding error', () => {
    const bad = join(folder, 'bad.safetensors');
    writeFileSync(bad, Uint8Array.of(1, 2, 3));
    expect(errorOf(() => loadModel(bad, backend)).message).toBe(`${bad}: not a valid safetensors file: only 3 bytes, too short for the 8-byte header length`);
  });
});

describe('the shipped model', () => {
  const shippedBytes = () => readFileSync(shippedModelPath());
  const sameAsShipped = (loaded: LoadedModel) => {
    expect(loaded.info.dataset).toBe('mnist');
    expect(loaded.network.spec).toBe(expected.network.spec);
    expect(Buffer.from(loaded.network.params.buffer).equals(Buffer.from(expected.network.params.buffer))).toBe(true);
  };
  let expected: LoadedModel;
  let server: Server;
  let base = '';

  beforeAll(async () => {
    expected = loadModel(shippedModelPath(), backend);
    server = createServer((request, response) => {
      if (request.url === '/model.safetensors') response.end(shippedBytes());
      else if (request.url === '/garbage') response.end(Buffer.from([1, 2, 3]));
      else {
        response.statusCode = 404;
        response.end('not here');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses options that are not an object, and a backend that is not one', async () => {
    expect((await rejection(loadShippedModel(backend, 'model.safetensors' as never))).message).toBe('loadShippedModel: options must be an object (its options), not string');
    expect((await rejection(loadShippedModel(null as never))).message).toBe('loadShippedModel: backend must be a backend (createWasmBackend, createBackend, new ReferenceBackend()), not null');
  });

  it('is data/mnist-small.safetensors in the package', () => {
    expect(shippedModelPath().endsWith(join('data', 'mnist-small.safetensors'))).toBe(true);
    expect(existsSync(shippedModelPath())).toBe(true);
  });

  it('loads by default, from a path, from a file: URL given as text (any case) or as a URL', async () => {
    sameAsShipped(await loadShippedModel(backend));
    sameAsShipped(await loadShippedModel(backend, {}));
    sameAsShipped(await loadShippedModel(backend, { url: shippedModelPath() }));
    const url = pathToFileURL(shippedModelPath());
    sameAsShipped(await loadShippedModel(backend, { url }));
    sameAsShipped(await loadShippedModel(backend, { url: url.href }));
    sameAsShipped(await loadShippedModel(backend, { url: url.href.replace(/^file:/, 'FILE:') }));
  });

  it('a copy elsewhere, from its path, is read from there (not from the package)', async () => {
    const copy = join(folder, 'copy.safetensors');
    writeFileSync(copy, encodeModel(smallNetwork(), INFO));
    expect((await loadShippedModel(backend, { url: copy })).info.dataset).toBe('hand-made');
    expect((await loadShippedModel(backend, { url: pathToFileURL(copy).href })).info.dataset).toBe('hand-made');
    // A path that only looks like a scheme after its start is a path.
    expect((await rejection(loadShippedModel(backend, { url: join(folder, 'http:x') }))).message).toBe(`${join(folder, 'http:x')}: cannot read the model: no such file (train one with \`xcnn train\`)`);
  });

  it('fetches an http(s) URL, given as text in any case or as a URL, and names it in errors', async () => {
    sameAsShipped(await loadShippedModel(backend, { url: `${base}/model.safetensors` }));
    sameAsShipped(await loadShippedModel(backend, { url: `${base.replace('http', 'HTTP')}/model.safetensors` }));
    sameAsShipped(await loadShippedModel(backend, { url: new URL(`${base}/model.safetensors`) }));
    const missing = await rejection(loadShippedModel(backend, { url: `${base}/nothing` }));
    expect(missing.message).toBe(`cannot fetch the model from ${base}/nothing (HTTP 404): check the URL`);
    expect(missing.code).toBe('ERR_FILE');
    expect((await rejection(loadShippedModel(backend, { url: `${base}/garbage` }))).message).toBe(`${base}/garbage: not a valid safetensors file: only 3 bytes, too short for the 8-byte header length`);
  });
});
