/**
 * Checkpoint files on disk (src/train/checkpoint.ts), in-process: saveCheckpoint writes encodeCheckpoint's bytes,
 * readCheckpoint reads them back as decodeCheckpoint does (its source the path), loadCheckpoint restores the
 * state on the backend given or on the one the settings name, and each refusal has its exact one-line message —
 * the size limit on a sparse file one byte past 2 GiB − 1 (no disk used). checkpoint-format.test.ts checks what
 * the bytes hold; here only that the files carry them.
 */
import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createNetwork } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, readCheckpoint, saveCheckpoint } from '../src/train/checkpoint.js';
import type { TrainSettings } from '../src/train/settings.js';
import { createTrainingState } from '../src/train/trainer.js';
import { errorOf, rejection } from './errors.js';

const ARCH = 'flatten linear(2)';
const GEOMETRY = { channels: 1, height: 1, width: 3, classes: 2 };
const SETTINGS: TrainSettings = {
  epochs: 3, batchSize: 2, learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7, seed: 5, arch: ARCH,
  data: null, limit: null, testLimit: null, backend: 'ts', threads: 1, checkpointEvery: null,
};
const RECORD = { epoch: 1, trainLoss: 0.7, trainAccuracy: 0.5, testLoss: 0.6, testAccuracy: 1, learningRate: 0.01, seconds: 0.25 };
const INFO = { geometry: GEOMETRY, dataset: 'tiny', classNames: ['left', 'right'] };
const folder = mkdtempSync(join(tmpdir(), 'xcnn-checkpoint-files-'));

/** A state part-way through an epoch: weights 0.25, 0.5, …, moments and a step set by hand. */
function midRunState() {
  const network = createNetwork(new ReferenceBackend(), ARCH, GEOMETRY);
  network.params.forEach((_, k) => (network.params[k] = (k + 1) / 4));
  const optimizer = new Adam(network, { learningRate: 0.01, beta1: 0.8, beta2: 0.99, epsilon: 1e-7 });
  optimizer.m.set([1, 2, 3, 4, 5, 6, 7, 8]);
  optimizer.step = 5;
  const state = createTrainingState(network, optimizer, new Random(9), 5);
  Object.assign(state, { epoch: 1, position: 4, epochRandomState: [5, 6, 7, 8], lossSum: 2.5, correct: 3, seconds: 1.25, history: [RECORD] });
  return state;
}

describe('saveCheckpoint and readCheckpoint', () => {
  it('write encodeCheckpoint\'s bytes, and read them back as decodeCheckpoint does, the path as their source', () => {
    const path = join(folder, 'checkpoint.safetensors');
    saveCheckpoint(path, midRunState(), SETTINGS, INFO);
    const bytes = readFileSync(path);
    expect(bytes.equals(Buffer.from(encodeCheckpoint(midRunState(), SETTINGS, INFO)))).toBe(true);
    const read = readCheckpoint(path);
    expect(read.source).toBe(path);
    expect(read).toEqual(decodeCheckpoint(bytes, path));
    expect(read.settings).toEqual(SETTINGS);
    expect(read.progress.position).toBe(4);
  });

  it('readCheckpoint refuses a missing file, a folder and a file over 2 GiB − 1 bytes (ERR_FILE), and names the file in a decoding error', () => {
    const missing = join(folder, 'missing.safetensors');
    expect(errorOf(() => readCheckpoint(missing), 'ERR_FILE').message).toBe(`${missing}: cannot read the checkpoint: no such file`);
    const sub = join(folder, 'sub');
    mkdirSync(sub);
    expect(errorOf(() => readCheckpoint(sub), 'ERR_FILE').message).toBe(`${sub}: cannot read the checkpoint: is a directory`);
    const big = join(folder, 'big.safetensors');
    const fd = openSync(big, 'w');
    ftruncateSync(fd, 2 ** 31);
    closeSync(fd);
    expect(errorOf(() => readCheckpoint(big), 'ERR_FILE').message).toBe(`${big}: cannot read the checkpoint: it is 2147483648 bytes, more than the 2147483647 such a file can be`);
    const bad = join(folder, 'bad.safetensors');
    writeFileSync(bad, Uint8Array.of(1, 2, 3));
    expect(errorOf(() => readCheckpoint(bad)).message).toBe(`${bad}: not a valid safetensors file: only 3 bytes, too short for the 8-byte header length`);
  });

  it('saveCheckpoint checks each argument before writing (the path\'s message says only "a string")', () => {
    const path = join(folder, 'never.safetensors');
    expect(errorOf(() => saveCheckpoint(7 as never, midRunState(), SETTINGS, INFO), 'ERR_BAD_ARGUMENT').message).toBe('saveCheckpoint: path must be a string, not number');
    expect(errorOf(() => saveCheckpoint(path, null as never, SETTINGS, INFO)).message).toMatch(/^saveCheckpoint: state must be /);
    expect(errorOf(() => saveCheckpoint(path, midRunState(), null as never, INFO)).message).toMatch(/^saveCheckpoint: settings must be /);
    expect(errorOf(() => saveCheckpoint(path, midRunState(), SETTINGS, null as never)).message).toMatch(/^saveCheckpoint: info must be /);
    expect(() => readFileSync(path)).toThrow(/ENOENT/);
    expect(errorOf(() => readCheckpoint(null as never)).message).toBe('readCheckpoint: path must be a string (a file path), not null');
  });
});

describe('loadCheckpoint', () => {
  const path = join(folder, 'load.safetensors');
  saveCheckpoint(path, midRunState(), SETTINGS, INFO);

  it('restores the state on the backend given', async () => {
    const backend = new ReferenceBackend();
    const loaded = await loadCheckpoint(path, backend);
    expect(loaded.state.network.backend).toBe(backend);
    expect(Array.from(loaded.state.network.params)).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
    expect(loaded.state.optimizer.step).toBe(5);
    expect(loaded.state.position).toBe(4);
    expect(loaded.settings).toEqual(SETTINGS);
    expect(loaded.info.classNames).toEqual(['left', 'right']);
  });

  it('without a backend, on the one its settings name (here the ts reference)', async () => {
    const loaded = await loadCheckpoint(path);
    expect(loaded.state.network.backend.name).toBe('ts');
    expect(Array.from(loaded.state.network.params)).toEqual([0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2]);
  });

  it('refuses a path that is not a string and a backend that is not one, and rejects a missing file', async () => {
    expect((await rejection(loadCheckpoint(3 as never))).message).toBe('loadCheckpoint: path must be a string (a file path), not number');
    expect((await rejection(loadCheckpoint(path, {} as never))).message).toMatch(/^loadCheckpoint: backend must be /);
    const missing = join(folder, 'nothing.safetensors');
    expect((await rejection(loadCheckpoint(missing))).message).toBe(`${missing}: cannot read the checkpoint: no such file`);
  });
});
