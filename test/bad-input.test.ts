/**
 * Every row of README's "Bad input" table, as a user meets it: the CLI is run on the bad input and must
 * answer with one line, `error: <the file or flag>: <the problem>`, the documented exit status (2 for
 * usage, 1 for bad data), and no stack trace.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { describe, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { encodeSafetensors } from '../src/files/safetensors.js';
import { encodeModel } from '../src/model/model-file.js';
import { createPaperNetwork, MNIST_GEOMETRY } from '../src/model/network.js';
import { MNIST_CLASS_NAMES } from '../src/data/dataset.js';
import { Adam, ADAM_DEFAULTS } from '../src/train/adam.js';
import { encodeCheckpoint } from '../src/train/checkpoint.js';
import { createTrainingState } from '../src/train/trainer.js';
import { Random } from '../src/random.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';
import { greyPng, writeTree } from './fixtures/picture-files.js';
import { idxBytes, idxIntegers, rawSafetensors } from './fixtures/files.js';

const { work, xcnn } = cliWorkspace('xcnn-bad-');
const path = (...parts: string[]) => join(work, ...parts);

/** A data folder of tiny valid IDX files (8 training, 4 test images of 28×28), with one file replaced. */
function dataFolder(name: string, replace: Record<string, Uint8Array> = {}): string {
  const dir = path(name);
  mkdirSync(dir, { recursive: true });
  const files: Record<string, Uint8Array> = {
    'train-images-idx3-ubyte': idxBytes([8, 28, 28], new Uint8Array(8 * 784)),
    'train-labels-idx1-ubyte': idxBytes([8], Uint8Array.of(0, 1, 2, 3, 4, 5, 6, 7)),
    't10k-images-idx3-ubyte': idxBytes([4, 28, 28], new Uint8Array(4 * 784)),
    't10k-labels-idx1-ubyte': idxBytes([4], Uint8Array.of(0, 1, 2, 3)),
    ...replace,
  };
  for (const [file, bytes] of Object.entries(files)) writeFileSync(join(dir, file), bytes);
  return dir;
}

const model = encodeModel(createPaperNetwork(new ReferenceBackend()), { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES });
writeFileSync(path('model.safetensors'), model);
const tensorsOf = (drop: string) => {
  const network = createPaperNetwork(new ReferenceBackend());
  return encodeSafetensors(network.parameters.filter((p) => p.name !== drop).map((p) => ({ name: p.name, shape: p.shape, data: Float32Array.from(p.value) })));
};

/** A valid, all-white PNG, whose IHDR then claims `width`×`height` (the data stays 8×8 when they differ). */
function pngOfSize(width: number, height: number): Uint8Array {
  const png = new PNG({ width: 8, height: 8 });
  png.data.fill(255);
  const bytes = Uint8Array.from(PNG.sync.write(png));
  new DataView(bytes.buffer).setUint32(16, width);
  new DataView(bytes.buffer).setUint32(20, height);
  return bytes;
}

/** A checkpoint of a paper network that claims 5 of its 1 epoch(s) done (test/checkpoint-validation.test.ts corrupts every other field). */
function checkpointBeyondItsEpochs(): Uint8Array {
  const network = createPaperNetwork(new ReferenceBackend());
  const state = createTrainingState(network, new Adam(network), new Random(1), 1);
  state.epoch = 5;
  state.history = Array.from({ length: 5 }, (_, k) => ({ epoch: k + 1, trainLoss: 1, trainAccuracy: 0.5, testLoss: 1, testAccuracy: 0.5, seconds: 1 }));
  const settings = { epochs: 1, batchSize: 64, learningRate: 0.001, ...ADAM_DEFAULTS, seed: 1, arch: network.spec!, data: null, limit: null, testLimit: null, backend: 'ts' as const, threads: 1, checkpointEvery: null };
  return encodeCheckpoint(state, settings, { geometry: MNIST_GEOMETRY, dataset: 'mnist', classNames: MNIST_CLASS_NAMES });
}

/** An image folder of two classes of two grey 4×4 PNGs each, with `extra` files added. */
function imageFolder(name: string, extra: Record<string, Uint8Array | string> = {}): string {
  return writeTree(path(name), { 'a/1.png': greyPng(10), 'a/2.png': greyPng(20), 'b/1.png': greyPng(30), 'b/2.png': greyPng(40), ...extra });
}

type Row = [input: string, problem: string, setup: () => string[], status: 1 | 2, message: RegExp];

const rows: Row[] = [
  ['command line', 'an unknown command', () => ['fit'], 2, /unknown command 'fit'/],
  ['command line', 'an unknown flag', () => ['train', '--epoch', '3'], 2, /unknown option '--epoch'; did you mean --epochs\?/],
  ['command line', 'a value of the wrong kind or out of range', () => ['train', '--batch', '0'], 2, /--batch: '0' is not a whole number from 1 to 65536/],
  ['command line', 'a missing required flag', () => ['explain', '--model', 'model.safetensors'], 2, /xcnn explain: give either --index N\[,N…\] \(test images\) or --image FILE\.png/],
  ['command line', '--threads with the one-thread ts backend', () => ['train', '--backend', 'ts', '--threads', '2'], 2, /--threads 2 needs the wasm backend/],
  ['command line', '--threads out of range', () => ['evaluate', '--model', 'model.safetensors', '--threads', '0'], 2, /--threads: '0' is not a whole number from 1 to 64/],
  ['command line', 'a training flag with --resume', () => ['train', '--resume', 'x', '--seed', '2'], 2, /--seed cannot change on --resume/],
  ['command line', '--patience or --monitor without --val-split', () => ['train', '--data', 'no-such-folder', '--patience', '3'], 2, /^error: --patience watches the validation set, and this data has none; give --val-split F, or leave --patience out$/],
  ['command line', 'an unknown command near a known one', () => ['trian'], 2, /unknown command 'trian'; did you mean train\?/],
  ['command line', 'a flag that takes a value, given twice', () => ['train', '--epochs', '2', '--epochs', '3'], 2, /--epochs given twice \('2' and '3'\); give it once$/],
  ['command line', 'a flag that does not apply', () => ['explain', '--model', 'model.safetensors', '--index', '0', '--method', 'lime', '--steps', '5'], 2, /--steps applies only to integrated-gradients; lime does not read it \(leave --steps out\)$/],
  ['command line', 'a count out of its range', () => ['explain', '--model', 'model.safetensors', '--index', '0', '--figures', '20000'], 2, /--figures: '20000' is not a whole number from 0 to 10000$/],
  ['command line', '--version with more words', () => ['--version', 'train'], 2, /xcnn --version: takes nothing after it, got 'train'$/],
  ['command line', 'faithfulness: an unknown method', () => ['faithfulness', '--model', 'model.safetensors', '--methods', 'grad-cam,magic'], 2, /--methods: 'magic' is not one of grad-cam,/],
  ['command line', 'faithfulness: --n 0', () => ['faithfulness', '--model', 'model.safetensors', '--data', dataFolder('n0'), '--n', '0'], 2, /--n: '0' is not a whole number from 1 to 100000/],
  ['command line', 'faithfulness: --sanity beyond --n', () => ['faithfulness', '--model', 'model.safetensors', '--n', '10', '--sanity', '20'], 2, /^error: --sanity 20: the randomisation check takes the first N of the --n 10 images measured; give --sanity 10 or less$/],
  ['command line', 'faithfulness: --n beyond the test set', () => ['faithfulness', '--model', 'model.safetensors', '--data', dataFolder('n5'), '--n', '5'], 2, /--n: '5' is not a whole number from 1 to 4/],
  ['faithfulness.json (report --faithfulness)', 'does not exist', () => ['report', '--model', 'model.safetensors', '--faithfulness', 'absent.json'], 1, /absent\.json: cannot read the faithfulness results: no such file/],
  ['faithfulness.json (report --faithfulness)', 'a field of the wrong type (a number as a string)', () => { writeFileSync(path('typed.json'), '{"images": "5"}'); return ['report', '--model', 'model.safetensors', '--faithfulness', 'typed.json']; }, 1, /^error: typed\.json: not a faithfulness\.json written by xcnn faithfulness: images is "5" \(a string\), not a number; write it again with xcnn faithfulness$/],
  ['faithfulness.json (report --faithfulness)', 'a bare NaN', () => { writeFileSync(path('nan.json'), '{"images": NaN}'); return ['report', '--model', 'model.safetensors', '--faithfulness', 'nan.json']; }, 1, /^error: nan\.json: not a faithfulness\.json written by xcnn faithfulness: images is NaN, not a number;/],
  ['command line', 'build-page: no --out', () => ['build-page'], 2, /^error: xcnn build-page needs --out DIR: the folder to write the page into, e\.g\. --out page$/],
  ['command line', 'build-page: --out a file', () => ['build-page', '--out', path('model.safetensors')], 2, /model\.safetensors: is a file, not a folder; give a folder \(created if missing\)$/],
  ['command line', 'serve: an empty --host', () => ['serve', '--host', ''], 2, /^error: --host: '' is empty; give an address: 127\.0\.0\.1 \(the default\) keeps the page to this machine, 0\.0\.0\.0 opens it to the network$/],
  ['data folder', 'does not exist', () => ['train', '--data', path('absent')], 2, /absent: no such data folder/],
  ['data folder', 'is a file', () => ['train', '--data', path('model.safetensors')], 2, /model\.safetensors: not a folder/],
  ['data folder', 'lacks one of the four files', () => ['train', '--data', (() => { const d = path('empty'); mkdirSync(d, { recursive: true }); return d; })()], 1, /empty: missing train-images-idx3-ubyte/],
  ['IDX file', 'not IDX (wrong magic number)', () => ['train', '--data', dataFolder('magic', { 'train-labels-idx1-ubyte': Uint8Array.of(1, 2, 3, 4, 5) })], 1, /train-labels-idx1-ubyte: not a valid IDX file: the magic number/],
  ['IDX file', 'truncated', () => ['train', '--data', dataFolder('short', { 't10k-images-idx3-ubyte': idxBytes([4, 28, 28], new Uint8Array(3000)) })], 1, /t10k-images-idx3-ubyte: not a valid IDX file: dimensions 4×28×28 need 3136 bytes of data, the file has 3000 \(truncated\?\)/],
  ['IDX file', 'extra bytes at the end', () => ['train', '--data', dataFolder('long', { 't10k-labels-idx1-ubyte': idxBytes([4], new Uint8Array(9)) })], 1, /need 4 bytes of data, the file has 9 \(extra bytes at the end\)/],
  ['IDX file', 'a header claiming billions of images', () => ['train', '--data', dataFolder('billions', { 'train-images-idx3-ubyte': idxBytes([3_000_000_000, 28, 28], new Uint8Array(16)) })], 1, /need 2352000000000 bytes of data, the file has 16/],
  ['IDX file', 'no images', () => ['train', '--data', dataFolder('empty', { 't10k-images-idx3-ubyte': idxBytes([0, 28, 28], new Uint8Array(0)), 't10k-labels-idx1-ubyte': idxBytes([0], new Uint8Array(0)) })], 1, /t10k-images-idx3-ubyte: holds no images; a data set needs at least one training and one test image/],
  ['IDX file', 'labels and images disagree in count', () => ['train', '--data', dataFolder('count', { 'train-labels-idx1-ubyte': idxBytes([7], new Uint8Array(7)) })], 1, /7 labels for the 8 images/],
  ['IDX file', 'a negative label in a 32-bit label file', () => ['train', '--data', dataFolder('negative', { 'train-labels-idx1-ubyte': idxIntegers([8], [0, 1, 2, 3, 4, -2, 6, 7], 4) })], 1, /train-labels-idx1-ubyte: label -2 of image 5 is outside 0 to 65535; a label is a class number, from 0$/],
  ['IDX file', 'images of 16-bit integers', () => ['train', '--data', dataFolder('wide', { 'train-images-idx3-ubyte': idxIntegers([8, 28, 28], new Array(8 * 784).fill(0), 2) })], 1, /train-images-idx3-ubyte: an image file holds unsigned bytes \(IDX element type 0x08\), this one wider integers$/],
  ['IDX file (.gz)', 'a broken gzip stream', () => { const d = dataFolder('gz'); writeFileSync(join(d, 'train-images-idx3-ubyte'), Uint8Array.of(0x1f, 0x8b, 8, 0, 1)); return ['train', '--data', d]; }, 1, /train-images-idx3-ubyte: not a valid gzip file/],
  ['IDX file (.gz)', 'a gzip bomb claiming more than it holds', () => ['train', '--data', dataFolder('bomb', { 'train-images-idx3-ubyte': gzipSync(idxBytes([100_000_000, 28, 28], new Uint8Array(0))) })], 1, /claim \d+ bytes, over the \d+-byte limit/],
  ['data and model', 'labels beyond the model\'s classes', () => ['evaluate', '--model', 'model.safetensors', '--data', dataFolder('label', { 't10k-labels-idx1-ubyte': idxBytes([4], Uint8Array.of(0, 1, 2, 12)) })], 1, /label 12 is outside the model's 10 classes/],
  ['data and model', 'images of another size', () => ['evaluate', '--model', 'model.safetensors', '--data', dataFolder('size', { 't10k-images-idx3-ubyte': idxBytes([4, 20, 20], new Uint8Array(1600)), 'train-images-idx3-ubyte': idxBytes([8, 20, 20], new Uint8Array(3200)) })], 1, /images are 20×20 but the model takes 28×28/],
  ['model file', 'does not exist', () => ['evaluate', '--model', 'nope.safetensors'], 1, /nope\.safetensors: cannot read the model: no such file/],
  ['model file', 'not safetensors', () => { writeFileSync(path('text.safetensors'), 'hello, world'); return ['evaluate', '--model', 'text.safetensors']; }, 1, /text\.safetensors: not a valid safetensors file: the header claims \d+ bytes, over the 16777216-byte limit/],
  ['model file', 'a header over 16 MB', () => { const b = new Uint8Array(64); new DataView(b.buffer).setBigUint64(0, 2n ** 33n, true); writeFileSync(path('big.safetensors'), b); return ['evaluate', '--model', 'big.safetensors']; }, 1, /header claims 8589934592 bytes, over the 16777216-byte limit/],
  ['model file', 'a tensor missing', () => { writeFileSync(path('missing.safetensors'), tensorsOf('conv2.bias')); return ['evaluate', '--model', 'missing.safetensors']; }, 1, /tensor 'conv2\.bias' is missing/],
  ['model file', 'a wrong dtype', () => { writeFileSync(path('dtype.safetensors'), rawSafetensors({ 'conv1.weight': { dtype: 'I8', shape: [1], data_offsets: [0, 1] } }, new Uint8Array(1))); return ['evaluate', '--model', 'dtype.safetensors']; }, 1, /tensor 'conv1\.weight' has dtype "I8"/],
  ['model file', 'a wrong shape', () => { const t = createPaperNetwork(new ReferenceBackend()).parameters.map((p) => ({ name: p.name, shape: p.name === 'fc1.weight' ? [7744, 128] : p.shape, data: Float32Array.from(p.value) })); writeFileSync(path('shape.safetensors'), encodeSafetensors(t)); return ['evaluate', '--model', 'shape.safetensors']; }, 1, /tensor 'fc1\.weight' has shape \[7744, 128\], expected \[128, 7744\]/],
  ['model file', 'offsets out of range', () => { writeFileSync(path('range.safetensors'), rawSafetensors({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8))); return ['evaluate', '--model', 'range.safetensors']; }, 1, /data_offsets \[0, 16\] outside the 8-byte data buffer/],
  ['model file', 'overlapping tensors', () => { writeFileSync(path('overlap.safetensors'), rawSafetensors({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, new Uint8Array(12))); return ['evaluate', '--model', 'overlap.safetensors']; }, 1, /tensors 'a' and 'b' overlap/],
  ['model file', 'a shape whose element count overflows', () => { writeFileSync(path('overflow.safetensors'), rawSafetensors({ a: { dtype: 'F32', shape: [2 ** 31, 2 ** 31, 2 ** 31], data_offsets: [0, 4] } }, new Uint8Array(4))); return ['evaluate', '--model', 'overflow.safetensors']; }, 1, /larger than the whole 4-byte data buffer/],
  ['PNG image (--image)', 'does not exist', () => ['explain', '--model', 'model.safetensors', '--image', 'absent.png'], 1, /absent\.png: cannot read the image: no such file/],
  ['PNG image (--image)', 'not a PNG', () => { writeFileSync(path('photo.png'), 'GIF89a not really'); return ['explain', '--model', 'model.safetensors', '--image', 'photo.png']; }, 1, /photo\.png: not a PNG or JPEG file/],
  ['PNG image (--image)', 'an absurd declared size', () => { writeFileSync(path('huge.png'), pngOfSize(100_000, 100_000)); return ['explain', '--model', 'model.safetensors', '--image', 'huge.png']; }, 1, /huge\.png: the PNG declares 100000×100000 pixels, more than xcnn reads/],
  ['PNG image (--image)', 'corrupt image data', () => { const b = pngOfSize(8, 8); b.fill(7, 40, 60); writeFileSync(path('corrupt.png'), b); return ['explain', '--model', 'model.safetensors', '--image', 'corrupt.png']; }, 1, /corrupt\.png: not a readable PNG/],
  ['PNG image (--image)', 'blank (no digit)', () => { writeFileSync(path('blank.png'), pngOfSize(8, 8)); return ['explain', '--model', 'model.safetensors', '--image', 'blank.png']; }, 1, /blank\.png: the image is blank/],
  ['picture (--image, predict)', 'a folder without pictures', () => { mkdirSync(path('no-pictures'), { recursive: true }); writeFileSync(path('no-pictures', 'notes.txt'), 'x'); return ['predict', '--model', 'model.safetensors', 'no-pictures']; }, 1, /no-pictures: a folder without PNG or JPEG pictures \(\.png, \.jpg, \.jpeg\) in it or its subfolders$/],
  ['image folder', 'a file that cannot be decoded', () => ['train', '--data', imageFolder('bad-file', { 'b/zz.png': 'not a picture' })], 1, /zz\.png: cannot use this image: not a PNG or JPEG file \(it starts with neither signature\) \(fix or remove the file, or give --skip-bad to leave unreadable files out\)$/],
  ['image folder', 'a class folder without images', () => ['train', '--data', imageFolder('empty-class', { 'c/notes.txt': 'x' })], 1, /[\\/]c: a class folder with no images \(\.png, \.jpg or \.jpeg\); add its images or remove the folder$/],
  ['image folder', 'a single class', () => ['train', '--data', writeTree(path('one-class'), { 'a/1.png': greyPng(1) })], 1, /one-class: only one class folder \(a\); a classifier needs at least two classes$/],
  ['image folder', 'a test class the training set lacks', () => ['train', '--data', writeTree(path('extra-class'), { 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2), 'test/a/1.png': greyPng(3), 'test/c/1.png': greyPng(4) })], 1, /test[\\/]c: a test class the training set lacks \(no .*train[\\/]c\); the network can only learn classes it trains on$/],
  ['image folder', 'train/ without test/', () => ['train', '--data', writeTree(path('half'), { 'train/a/1.png': greyPng(1), 'train/b/1.png': greyPng(2) })], 1, /half: has train\/ but no test\/; give both/],
  ['image folder', 'a picture declaring an absurd size', () => ['train', '--data', imageFolder('huge-picture', { 'a/zz.png': pngOfSize(100_000, 100_000) })], 1, /zz\.png: cannot use this image: the PNG declares 100000×100000 pixels, more than xcnn reads/],
  ['image folder', 'a folder flag with IDX data', () => ['train', '--data', dataFolder('idx-size'), '--size', '20'], 2, /--size applies only to an image-folder --data \(DIR\/<class>\/\*\.png\); .*idx-size is IDX files \(leave --size out\)$/],
  ['checkpoint', 'none in the --resume folder', () => ['train', '--resume', work], 1, /checkpoint\.safetensors: no checkpoint to resume from/],
  ['checkpoint', 'a model file, not a checkpoint', () => { const d = path('ckpt'); mkdirSync(d, { recursive: true }); writeFileSync(join(d, 'checkpoint.safetensors'), model); return ['train', '--resume', d]; }, 1, /checkpoint\.safetensors: not a usable xcnn checkpoint: its format is "xcnn"/],
  ['checkpoint', 'damaged: a field out of range', () => { const d = path('ckpt-epoch'); mkdirSync(d, { recursive: true }); writeFileSync(join(d, 'checkpoint.safetensors'), checkpointBeyondItsEpochs()); return ['train', '--resume', d]; }, 1, /ckpt-epoch\/checkpoint\.safetensors: not a usable xcnn checkpoint: progress\.epoch is 5, not a whole number from 0 to 1$/],
  // Checked before the model or data is read: none of these runs gets that far (the model file below is fine).
  ['output folder (--out)', 'a file', () => ['train', '--out', 'model.safetensors'], 2, /^error: --out model\.safetensors: is a file, not a folder; give a folder \(created if missing\)$/],
  ['output folder (--out)', 'a device', () => ['explain', '--model', 'model.safetensors', '--index', '0', '--out', '/dev/null'], 2, /^error: --out \/dev\/null: is a device, not a folder; give a folder \(created if missing\)$/],
  ['output folder (--out)', 'inside a file', () => ['faithfulness', '--model', 'model.safetensors', '--out', 'model.safetensors/faith'], 2, /^error: --out model\.safetensors\/faith: model\.safetensors is a file, not a folder, so nothing can be made in it; give a folder \(created if missing\)$/],
  // /sys refuses new files even to root (EACCES), and /proc new folders (ENOENT; EACCES for other users).
  ['output folder (--out)', 'an existing folder that cannot be written', () => ['report', '--model', 'model.safetensors', '--out', '/sys'], 1, /^error: --out \/sys: cannot write there: permission denied \(EACCES\); give another --out$/],
  ['output folder (--out)', 'a folder that cannot be created', () => ['train', '--data', dataFolder('ok'), '--epochs', '1', '--backend', 'ts', '--out', '/proc/xcnn-out'], 1, /^error: --out \/proc\/xcnn-out: cannot write there: (the file system takes no new entries there \(ENOENT\)|permission denied \(EACCES\)); give another --out$/],
  ['output folder (--out)', 'holds a run already (no --force)', () => { const d = path('earlier'); mkdirSync(d, { recursive: true }); writeFileSync(join(d, 'model.safetensors'), model); return ['train', '--out', 'earlier']; }, 2, /^error: earlier already holds a run \(model\.safetensors\); use --resume earlier to continue it, --force to overwrite it, or another --out$/],
  ['output folder (--out)', '--force without --out', () => ['train', '--force'], 2, /^error: --force applies only with --out \(it replaces the run DIR holds; without --out every run gets a new folder\); leave --force out, or give --out$/],
  ['output folder (--resume)', 'cannot be written', () => ['train', '--resume', '/sys'], 1, /^error: --resume \/sys: cannot write there: permission denied \(EACCES\); copy the run's folder where you can write and resume the copy$/],
];

describe('bad input is refused clearly', () => {
  it.each(rows)('%s: %s', (_input, _problem, setup, status, message) => {
    expectOneLineError(xcnn(...setup()), status, message);
  });
});
