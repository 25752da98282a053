/**
 * `xcnn train` on any architecture and on colour data, as a user runs it: --arch with a preset or a spec,
 * --print-shapes, the one-line refusals of a spec whose shapes do not work out, and rank-4 IDX image files
 * [count, channels, rows, columns] (RGB) training a small CNN that `xcnn evaluate` then loads without flags.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { decodeSafetensors, encodeSafetensors } from '../src/files/safetensors.js';
import { createNetwork } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';
import { idxBytes } from './fixtures/files.js';

const { work, xcnn } = cliWorkspace('xcnn-any-cnn-');

/**
 * A colour data set a small CNN separates at once: class 0 images are reddish, class 1 greenish, with noise
 * from a fixed generator; [count, 3, size, size], planar RGB.
 */
function colourSet(count: number, size: number, seed: number): { images: Uint8Array; labels: Uint8Array } {
  let state = seed >>> 0;
  const next = () => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24);
  const images = new Uint8Array(count * 3 * size * size);
  const labels = new Uint8Array(count);
  for (let n = 0; n < count; n++) {
    const label = n % 2;
    labels[n] = label;
    for (let c = 0; c < 3; c++) {
      const strong = (label === 0 && c === 0) || (label === 1 && c === 1);
      for (let p = 0; p < size * size; p++) images[(n * 3 + c) * size * size + p] = Math.min(255, (strong ? 120 : 40) + (next() >> 1));
    }
  }
  return { images, labels };
}

function writeColourFolder(dir: string, options: { testChannels?: number; gzip?: boolean } = {}): void {
  mkdirSync(dir, { recursive: true });
  const size = 8;
  const write = (name: string, bytes: Uint8Array) => writeFileSync(join(dir, options.gzip ? `${name}.gz` : name), options.gzip ? gzipSync(bytes) : bytes);
  const train = colourSet(64, size, 1);
  const test = colourSet(32, size, 2);
  write('train-images-idx3-ubyte', idxBytes([64, 3, size, size], train.images));
  write('train-labels-idx1-ubyte', idxBytes([64], train.labels));
  const testChannels = options.testChannels ?? 3;
  const testImages = testChannels === 3 ? test.images : test.images.subarray(0, 32 * testChannels * size * size);
  write('t10k-images-idx3-ubyte', idxBytes([32, testChannels, size, size], testImages));
  write('t10k-labels-idx1-ubyte', idxBytes([32], test.labels));
}

describe('xcnn train --arch', () => {
  it('prints every layer\'s shape and parameters with --print-shapes, and trains nothing', () => {
    const shown = xcnn('train', '--arch', 'lenet5', '--print-shapes');
    expect(shown.status).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^layer\s+spec\s+output shape\s+parameters$/);
    expect(lines).toContainEqual(expect.stringMatching(/^conv1\s+conv\(6,5,pad=2\)\s+\[6, 28, 28\]\s+156$/));
    expect(lines).toContainEqual(expect.stringMatching(/^pool2\s+avgpool\(2\)\s+\[16, 5, 5\]$/));
    expect(lines).toContainEqual(expect.stringMatching(/^fc1\s+linear\(120\)\s+\[120\]\s+48,120$/));
    // 156 + 2,416 + 48,120 + 10,164 + 850
    expect(lines[lines.length - 1]).toBe('61,706 parameters; 10 classes');
  });

  it.each([
    [['--arch', 'conv(8,3) relu maxpool(2) linear(10)'], 'architecture: layer 4 linear(10) (fc1) takes [8, 13, 13]: linear needs a flat [features] input: put flatten before it'],
    [['--arch', 'conv(8,30) flatten linear(10)'], 'architecture: layer 1 conv(8,30) (conv1) takes [1, 28, 28]: its 30×30 kernel is larger than its 28×28 input'],
    [['--arch', 'conv(8,3) flatten linear(7)'], /the network must end in one logit per class: \[10\] for 10 classes/],
    [['--arch', 'conv(8,3) sigmoid'], "architecture spec, layer 2: 'sigmoid' is not a layer kind; the kinds are conv, maxpool, avgpool, gap, bn, relu, dropout, flatten, linear"],
    [['--arch', 'conv(8)'], 'architecture spec, layer 1: conv needs its kernel: write conv(OUT,KERNEL[,stride=S][,pad=P])'],
    [['--arch', 'paper', '--widths', '8,16,32'], '--widths and --arch both describe the network: give one (--widths C1,C2,H is the paper preset at other widths)'],
  ])('refuses %j before any work, in one line with status 2', (args, message) => {
    expectOneLineError(xcnn('train', '--print-shapes', ...args), 2, message);
  });
});

describe('colour images in rank-4 IDX files', () => {
  it('trains a CNN from a spec on 3-channel images, saves the spec and geometry, and evaluate loads it without flags', () => {
    const data = join(work, 'colour');
    writeColourFolder(data, { gzip: true });
    const spec = 'conv(4,3,pad=1) bn relu maxpool(2) conv(8,3,stride=2,pad=1) relu gap flatten dropout(0.1) linear(2)';
    const trained = xcnn('train', '--data', data, '--arch', spec, '--epochs', '4', '--batch', '8', '--lr', '0.01', '--threads', '2', '--out', 'colour-run');
    expect(trained.status, trained.stderr).toBe(0);
    const model = decodeSafetensors(readFileSync(join(work, 'colour-run', 'model.safetensors')), 'model');
    expect(model.metadata.arch).toBe(spec);
    expect(JSON.parse(model.metadata.geometry)).toEqual({ channels: 3, height: 8, width: 8, classes: 2 });
    expect(model.tensors.get('bn1.num_batches_tracked')?.dtype).toBe('I64');
    expect(model.tensors.get('bn1.num_batches_tracked')?.data[0]).toBe(4 * (64 / 8));

    const evaluated = xcnn('evaluate', '--model', join('colour-run', 'model.safetensors'), '--data', data, '--json');
    expect(evaluated.status, evaluated.stderr).toBe(0);
    const accuracy = JSON.parse(evaluated.stdout).accuracy;
    console.log(`colour data: test accuracy ${(100 * accuracy).toFixed(1)} % after 4 epochs`);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
  });

  it('refuses images of 2 channels, and a model whose channels differ from the data, in one line', () => {
    const twoChannels = join(work, 'two-channels');
    writeColourFolder(twoChannels, { testChannels: 2 });
    expectOneLineError(xcnn('evaluate', '--model', join('colour-run', 'model.safetensors'), '--data', twoChannels), 1, /t10k-images-idx3-ubyte: images with 2 channels; xcnn reads 1 \(grey\) or 3 \(RGB\)$/);
    const grey = xcnn('evaluate', '--model', join('colour-run', 'model.safetensors'));
    expectOneLineError(grey, 1, /images are 28×28 but the model takes 3×8×8$/);
  });
});

describe('--input for a state_dict whose tensors cannot pin the image size', () => {
  it('loads a gap network saved as an nn.Sequential state_dict at the size --input gives, and refuses a size the data does not have', () => {
    const spec = 'conv(4,3,pad=1) bn relu gap flatten linear(2)';
    const network = createNetwork(new ReferenceBackend(), spec, { channels: 3, height: 8, width: 8, classes: 2 });
    network.initialize(new Random(3));
    // nn.Sequential's names: conv1 is layer 0, bn1 layer 1, fc1 layer 5; no metadata at all.
    const index: Record<string, string> = { conv1: '0', bn1: '1', fc1: '5' };
    const tensors = [...network.parameters, ...network.bufferViews].map((t) => {
      const [layer, name] = t.name.split('.');
      return { name: `${index[layer]}.${name}`, shape: t.shape, data: Float32Array.from(t.value), dtype: 'dtype' in t ? t.dtype : undefined };
    });
    writeFileSync(join(work, 'gap-state-dict.safetensors'), encodeSafetensors(tensors));
    const data = join(work, 'colour');
    const given = xcnn('evaluate', '--model', 'gap-state-dict.safetensors', '--arch', spec, '--input', '3x8x8', '--data', data, '--json');
    expect(given.status, given.stderr).toBe(0);
    expect(JSON.parse(given.stdout).count).toBe(32);
    // Without --input any size fits a gap network, and 28×28 is taken: the data's 8×8 images are refused.
    expectOneLineError(xcnn('evaluate', '--model', 'gap-state-dict.safetensors', '--arch', spec, '--data', data), 1, /images are 3×8×8 but the model takes 3×28×28$/);
    expectOneLineError(xcnn('evaluate', '--model', 'gap-state-dict.safetensors', '--arch', spec, '--input', '1x8x8', '--data', data), 2, /the --input is given as 1 channel\(s\), but the first convolution's weight takes 3$/);
    expectOneLineError(xcnn('evaluate', '--model', 'gap-state-dict.safetensors', '--arch', spec, '--input', '8by8'), 2, "--input: '8by8' is not CxHxW or HxW, e.g. 3x32x32");
  });
});
