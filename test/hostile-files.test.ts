/**
 * Files are checked before they are read (issue 16): every file the CLI opens — a model, an IDX data file, an
 * image, a faithfulness.json — is refused in one line, quickly, when it is a folder, a FIFO or a device
 * (/dev/zero and /dev/urandom never end), and when it is larger than its format can be (a sparse file, so
 * nothing is really written), before anything is allocated for it. A model whose weights are NaN or infinite,
 * or whose header is nested absurdly deep, is refused with the model's own one-line error.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { defaultDataDir } from '../src/data/dataset-files.js';
import { XcnnError } from '../src/errors.js';
import { decodeSafetensors } from '../src/files/safetensors.js';
import { decodeModel, encodeModel } from '../src/model/model-file.js';
import { createPaperNetwork, MNIST_GEOMETRY, type Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';

const { work, xcnn } = cliWorkspace('xcnn-hostile-', 10_000);
const fifo = join(work, 'fifo');
const hasMkfifo = spawnSync('mkfifo', [fifo]).status === 0;
mkdirSync(join(work, 'folder'));

/** A data folder whose test images are `target` (a device, a FIFO, …) and whose labels are MNIST's. */
function dataFolderWithImages(name: string, target: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  symlinkSync(target, join(dir, 't10k-images-idx3-ubyte'));
  copyFileSync(join(defaultDataDir(), 't10k-labels-idx1-ubyte'), join(dir, 't10k-labels-idx1-ubyte'));
  return dir;
}

describe('files that are not regular files', () => {
  const notRegular = 'not a regular file (a FIFO, a device or a socket); give the path of a file';
  const cases: Array<[string, string[], string]> = [
    ['a model that is /dev/zero', ['evaluate', '--model', '/dev/zero'], `/dev/zero: cannot read the model: ${notRegular}`],
    ['a model that is /dev/urandom', ['explain', '--model', '/dev/urandom', '--index', '0'], `/dev/urandom: cannot read the model: ${notRegular}`],
    ['a model that is a folder', ['evaluate', '--model', 'folder'], 'folder: cannot read the model: is a directory, not a model file'],
    ['an image that is /dev/urandom', ['explain', '--image', '/dev/urandom'], `/dev/urandom: cannot read the image: ${notRegular}`],
    ['an image folder without pictures', ['explain', '--image', 'folder'], 'folder: a folder without PNG or JPEG pictures (.png, .jpg, .jpeg) in it or its subfolders'],
  ];
  if (hasMkfifo) {
    cases.push(
      ['a model that is a FIFO with no writer', ['evaluate', '--model', 'fifo'], `fifo: cannot read the model: ${notRegular}`],
      ['an image that is a FIFO', ['explain', '--image', 'fifo'], `fifo: cannot read the image: ${notRegular}`],
      ['a faithfulness.json that is a FIFO', ['report', '--model', join(import.meta.dirname, '..', 'data', 'mnist-small.safetensors'), '--faithfulness', 'fifo', '--test-limit', '10'], `fifo: cannot read the faithfulness results: ${notRegular}`],
    );
  } else {
    console.log('SKIPPED the FIFO cases: mkfifo is not available here');
  }

  it.each(cases)('refuses %s in one line, without hanging', (_, args, message) => {
    const started = performance.now();
    const run = xcnn(...args);
    expect(run.status, 'the command hung and was killed').not.toBeNull();
    expectOneLineError(run, 1, message);
    console.log(`${args.join(' ')}: refused in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  });

  it('refuses IDX test images that are a device, a FIFO or a folder, naming the file', () => {
    const zero = dataFolderWithImages('zero-data', '/dev/zero');
    expectOneLineError(xcnn('evaluate', '--model', join(import.meta.dirname, '..', 'data', 'mnist-small.safetensors'), '--data', zero), 1, `${join(zero, 't10k-images-idx3-ubyte')}: cannot read: ${notRegular}`);
    if (hasMkfifo) {
      const piped = dataFolderWithImages('fifo-data', fifo);
      expectOneLineError(xcnn('evaluate', '--model', join(import.meta.dirname, '..', 'data', 'mnist-small.safetensors'), '--data', piped), 1, `${join(piped, 't10k-images-idx3-ubyte')}: cannot read: ${notRegular}`);
    }
    const folder = dataFolderWithImages('folder-data', join(work, 'folder'));
    expectOneLineError(xcnn('evaluate', '--model', join(import.meta.dirname, '..', 'data', 'mnist-small.safetensors'), '--data', folder), 1, `${join(folder, 't10k-images-idx3-ubyte')}: cannot read: is a directory`);
  });
});

describe('files larger than their format can be', () => {
  it('refuses a 3 GB model and a 300 MB image from their size alone, before allocating (sparse files)', () => {
    const model = join(work, 'huge.safetensors');
    writeFileSync(model, '');
    truncateSync(model, 3 * 1024 ** 3);
    expectOneLineError(xcnn('evaluate', '--model', 'huge.safetensors'), 1, `huge.safetensors: cannot read the model: it is ${3 * 1024 ** 3} bytes, more than the ${2 ** 31 - 1} such a file can be`);
    const image = join(work, 'huge.png');
    writeFileSync(image, '');
    truncateSync(image, 300 * 1024 ** 2);
    expectOneLineError(xcnn('explain', '--image', 'huge.png'), 1, `huge.png: cannot read the image: it is ${300 * 1024 ** 2} bytes, more than the ${256 * 1024 ** 2} such a file can be`);
  });
});

describe('model files whose contents are hostile', () => {
  function paperModelBytes(poison: (network: Network) => void): Uint8Array {
    const network = createPaperNetwork(new ReferenceBackend(), MNIST_GEOMETRY, { conv1Channels: 2, conv2Channels: 3, hidden: 4 });
    network.initialize(new Random(1));
    poison(network);
    return encodeModel(network, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES });
  }

  it('refuses a NaN or infinite weight, naming the tensor and the element', () => {
    const nan = paperModelBytes((network) => (network.parameter('fc1.weight').value[17] = Number.NaN));
    expect(() => decodeModel(nan, 'model.safetensors', new ReferenceBackend())).toThrow("model.safetensors: not an xcnn model: tensor 'fc1.weight' holds NaN at element 17; retrain or repair the model");
    const infinite = paperModelBytes((network) => (network.parameter('conv2.bias').value[2] = -Infinity));
    expect(() => decodeModel(infinite, 'model.safetensors', new ReferenceBackend())).toThrow("model.safetensors: not an xcnn model: tensor 'conv2.bias' holds -Infinity at element 2; retrain or repair the model");
    expect(decodeModel(paperModelBytes(() => {}), 'model.safetensors', new ReferenceBackend()).network.parameters).toHaveLength(8);
  });

  it('refuses a header nested a million levels deep with its own error, not a stack overflow', () => {
    const depth = 1_000_000;
    const json = new TextEncoder().encode('['.repeat(depth) + ']'.repeat(depth));
    const bytes = new Uint8Array(8 + json.length);
    new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
    bytes.set(json, 8);
    let thrown: unknown;
    try {
      decodeSafetensors(bytes, 'deep.safetensors');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(XcnnError);
    expect((thrown as Error).message).toMatch(/^deep\.safetensors: not a valid safetensors file: /);
    expect((thrown as Error).message.split('\n')).toHaveLength(1);
  });
});
