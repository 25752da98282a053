/**
 * The explaining commands on model files of non-paper networks, as a user runs them (dist/, through
 * bin/xcnn.js): `xcnn explain --list-layers`, `--layer`, `--image` for a 3 × 10 × 10 colour model (drawn in
 * colour), report / faithfulness / evaluate on a 1 × 12 × 12 LeNet-like model with its test images, `--arch`
 * loading a PyTorch nn.Sequential state_dict (numeric names, no metadata), and the one-line refusals: a CAM
 * method on a network without a conv, an unknown layer, data of another shape.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { encodeSafetensors } from '../src/files/safetensors.js';
import { encodeModel, networkTensors } from '../src/model/model-file.js';
import type { Network, NetworkGeometry } from '../src/model/network.js';
import { decodePng, encodePng } from '../src/render/png.js';
import { Raster } from '../src/render/raster.js';
import { COLOUR_GEOMETRY, COLOUR_SPEC, LENET_GEOMETRY, LENET_SPEC, randomSet, seededNetwork } from './fixtures/any-networks.js';
import { cliWorkspace, expectOneLineError } from './fixtures/cli.js';
import { idxBytes } from './fixtures/files.js';

const { work, xcnn } = cliWorkspace('xcnn-any-network-');

function writeModel(name: string, network: Network, geometry: NetworkGeometry): string {
  const path = join(work, name);
  writeFileSync(path, encodeModel(network, { geometry, dataset: 'tiny', classNames: Array.from({ length: geometry.classes }, (_, k) => `class${k}`) }));
  return path;
}

const backend = new ReferenceBackend();
const colour = seededNetwork(backend, COLOUR_SPEC, COLOUR_GEOMETRY, 31);
const colourModel = writeModel('colour.safetensors', colour, COLOUR_GEOMETRY);
const lenet = seededNetwork(backend, LENET_SPEC, LENET_GEOMETRY, 32);
const lenetModel = writeModel('lenet.safetensors', lenet, LENET_GEOMETRY);
const mlpGeometry = { channels: 1, height: 12, width: 12, classes: 3 };
const mlpModel = writeModel('mlp.safetensors', seededNetwork(backend, 'flatten linear(4) relu linear(3)', mlpGeometry, 33), mlpGeometry);

/** A folder of 12 × 12 grey test images (IDX, rank 3), 24 of them, labels cycling through 3 classes. */
const lenetData = join(work, 'lenet-data');
mkdirSync(lenetData);
const testSet = randomSet(LENET_GEOMETRY, 24, 34);
writeFileSync(join(lenetData, 't10k-images-idx3-ubyte'), idxBytes([24, 12, 12], testSet.images));
writeFileSync(join(lenetData, 't10k-labels-idx1-ubyte'), idxBytes([24], testSet.labels));

/** A folder of 3 × 10 × 10 colour test images (IDX, rank 4, planar RGB), 12 of them. */
const colourData = join(work, 'colour-data');
mkdirSync(colourData);
const colourSet = randomSet(COLOUR_GEOMETRY, 12, 36);
writeFileSync(join(colourData, 't10k-images-idx3-ubyte'), idxBytes([12, 3, 10, 10], colourSet.images));
writeFileSync(join(colourData, 't10k-labels-idx1-ubyte'), idxBytes([12], colourSet.labels));

/** A 20 × 20 PNG: a red left half, a blue right half. */
const picture = join(work, 'picture.png');
const raster = new Raster(20, 20);
for (let y = 0; y < 20; y++) for (let x = 0; x < 20; x++) raster.setPixel(x, y, x < 10 ? [220, 30, 30] : [30, 30, 220]);
writeFileSync(picture, encodePng(raster));

describe('xcnn explain on a 3 × 10 × 10 colour model', () => {
  it('--list-layers prints the conv blocks with their shapes and receptive fields, and exits', () => {
    const result = xcnn('explain', '--model', colourModel, '--list-layers', '--backend', 'ts');
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.trim().split('\n')).toEqual([
      'layer            conv   shape [K, h, w]  receptive field',
      'relu1            conv1  [4, 10, 10]      3×3 pixels, stride 1, cell 0 centred at 0',
      'relu2 (default)  conv2  [6, 4, 4]        5×5 pixels, stride 2, cell 0 centred at 1',
    ]);
  });

  it('explains a PNG resized to the model\'s size in colour, on the default block and with --layer conv1, and draws it in colour', () => {
    for (const [layer, name, size] of [[[], 'relu2', 4], [['--layer', 'conv1'], 'relu1', 10]] as const) {
      const out = join(work, `explain-${name}`);
      const result = xcnn('explain', '--model', colourModel, '--image', picture, '--out', out, '--backend', 'ts', ...layer);
      expect(result.status, result.stderr).toBe(0);
      const json = JSON.parse(readFileSync(join(out, 'explain.json'), 'utf8'));
      expect(json.layer).toBe(name);
      const [record] = json.images;
      expect([record.map.length, record.map[0].length]).toEqual([size, size]);
      expect([record.heatmap.length, record.heatmap[0].length]).toEqual([10, 10]);
      // The model saw the picture as R, G, B planes of 10 × 10: red on the left half, blue on the right.
      expect(record.input.length).toBe(3);
      expect(record.input[0][5].slice(0, 5)).toEqual([220, 220, 220, 220, 220]);
      expect(record.input[2][5].slice(5)).toEqual([220, 220, 220, 220, 220]);
      // The figure's input panel (left, scale 8, below the titles) shows the red half in red.
      const figure = decodePng(readFileSync(join(out, 'image-picture-grad-cam.png')), 'figure');
      const at = (x: number, y: number) => Array.from(figure.rgba.subarray(4 * (y * figure.width + x), 4 * (y * figure.width + x) + 3));
      let red = 0;
      for (let y = 0; y < figure.height; y++) for (let x = 0; x < figure.width; x++) if (at(x, y).join() === '220,30,30') red++;
      expect(red).toBeGreaterThanOrEqual(5 * 10 * 64); // the left half of the input panel, 8 × 8 screen pixels a pixel
    }
  });

  it('explains colour test images (--index) and draws them in colour, and report runs on them', () => {
    const out = join(work, 'explain-colour-index');
    const result = xcnn('explain', '--model', colourModel, '--data', colourData, '--index', '3', '--method', 'grad-cam++', '--layer', 'relu1', '--out', out, '--backend', 'ts');
    expect(result.status, result.stderr).toBe(0);
    const figure = decodePng(readFileSync(join(out, 'test-3-grad-cam++.png')), 'figure');
    // Pixel (x, y) of the image, enlarged 8 times in the input panel: find its exact colour in the figure.
    const colour = (x: number, y: number) => [0, 1, 2].map((c) => colourSet.images[((3 * 3 + c) * 10 + y) * 10 + x]);
    const hasColour = (rgb: number[]) => {
      for (let p = 0; p < figure.width * figure.height; p++) if (rgb.every((v, c) => figure.rgba[4 * p + c] === v)) return true;
      return false;
    };
    const coloured = [[1, 1], [5, 2], [8, 8]].map(([x, y]) => colour(x, y)).filter((rgb) => !(rgb[0] === rgb[1] && rgb[1] === rgb[2]));
    expect(coloured.length).toBeGreaterThan(0);
    for (const rgb of coloured) expect(hasColour(rgb), rgb.join()).toBe(true);

    const report = xcnn('report', '--model', colourModel, '--data', colourData, '--out', join(work, 'colour-report'), '--class-images', '3', '--cells', '2', '--method', 'score-cam', '--backend', 'ts');
    expect(report.status, report.stderr).toBe(0);
  });

  it('refuses an unknown --layer in one line that lists the choices', () => {
    expectOneLineError(xcnn('explain', '--model', colourModel, '--image', picture, '--layer', 'fc1', '--backend', 'ts'), 2, /--layer: 'fc1' is not a conv block of this network; the choices are relu1 \(or conv1\), relu2 \(or conv2\)$/);
  });
});

describe('a model without a convolution', () => {
  it('refuses a CAM method in one line, and explains with an input method', () => {
    for (const method of ['grad-cam', 'score-cam', 'guided-grad-cam']) {
      expectOneLineError(xcnn('explain', '--model', mlpModel, '--image', picture, '--method', method, '--backend', 'ts', '--out', join(work, 'mlp')), 1, /this network has no convolution, so the CAM methods .* have no layer to explain/);
    }
    const result = xcnn('explain', '--model', mlpModel, '--image', picture, '--method', 'saliency', '--backend', 'ts', '--out', join(work, 'mlp'));
    expect(result.status, result.stderr).toBe(0);
    expect(xcnn('explain', '--model', mlpModel, '--list-layers', '--backend', 'ts').stdout).toMatch(/no convolution/);
  });

  it('faithfulness measures only the methods that apply when --methods is left out', () => {
    const out = join(work, 'mlp-faithfulness');
    const result = xcnn('faithfulness', '--model', mlpModel, '--data', lenetData, '--n', '3', '--sanity', '2', '--steps', '4', '--out', out, '--backend', 'ts', '--json');
    expect(result.status, result.stderr).toBe(0);
    const methods = JSON.parse(result.stdout).methods.map((m: { method: string }) => m.method);
    expect(methods).toContain('saliency');
    expect(methods).not.toContain('grad-cam');
  }, 60_000);
});

describe('report, faithfulness and evaluate on a 1 × 12 × 12 LeNet-like model', () => {
  it('report writes report.html and its figures with --layer', () => {
    const out = join(work, 'report');
    const result = xcnn('report', '--model', lenetModel, '--data', lenetData, '--out', out, '--layer', 'conv1', '--class-images', '4', '--cells', '2', '--png', '--backend', 'ts');
    expect(result.status, result.stderr).toBe(0);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('relu1, 4 × 10 × 10');
    for (const figure of ['correct', 'misclassified', 'class-means', 'confusion-cells']) expect(existsSync(join(out, `${figure}.png`)), figure).toBe(true);
  });

  it('faithfulness writes its JSON and figure', () => {
    const out = join(work, 'faithfulness');
    const result = xcnn('faithfulness', '--model', lenetModel, '--data', lenetData, '--methods', 'grad-cam,layer-cam,saliency', '--layer', 'relu1', '--n', '4', '--sanity', '2', '--steps', '6', '--out', out, '--backend', 'ts');
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(readFileSync(join(out, 'faithfulness.json'), 'utf8'));
    expect(json.methods).toHaveLength(3);
    expect(existsSync(join(out, 'faithfulness.png'))).toBe(true);
  }, 60_000);

  it('data of another shape is refused in one line naming both', () => {
    expectOneLineError(xcnn('evaluate', '--model', colourModel, '--data', lenetData, '--backend', 'ts'), 1, /images are 12×12 but the model takes 3×10×10$/);
  });
});

describe('--arch: a PyTorch nn.Sequential state_dict', () => {
  // A LeNet-like network's tensors under nn.Sequential's names: layer k's tensors are 'k.weight', 'k.bias'.
  const indices: Record<string, number> = { conv1: 0, conv2: 3, fc1: 6 };
  const asSequential = (network: Network) => encodeSafetensors(networkTensors(network).map((t) => ({ ...t, name: t.name.replace(/^[a-z]+\d+/, (layer) => String(indices[layer])) })));
  const spec10 = LENET_SPEC.replace('linear(3)', 'linear(10)');
  const geometry10 = { ...LENET_GEOMETRY, classes: 10 };
  const lenet10 = seededNetwork(backend, spec10, geometry10, 35);
  const lenet10Model = writeModel('lenet10.safetensors', lenet10, geometry10);
  const sequential = join(work, 'sequential.safetensors');
  writeFileSync(sequential, asSequential(lenet10));

  it('evaluate, explain and report load it with --arch and agree with the model xcnn wrote', () => {
    const viaArch = xcnn('evaluate', '--model', sequential, '--arch', spec10, '--data', lenetData, '--json', '--backend', 'ts');
    const viaFile = xcnn('evaluate', '--model', lenet10Model, '--data', lenetData, '--json', '--backend', 'ts');
    expect(viaArch.status, viaArch.stderr).toBe(0);
    expect(JSON.parse(viaArch.stdout).accuracy).toBe(JSON.parse(viaFile.stdout).accuracy);
    expect(JSON.parse(viaArch.stdout).loss).toBe(JSON.parse(viaFile.stdout).loss);

    const explained = ['arch', 'file'].map((which) => {
      const out = join(work, `arch-explain-${which}`);
      const model = which === 'arch' ? ['--model', sequential, '--arch', spec10] : ['--model', lenet10Model];
      const result = xcnn('explain', ...model, '--data', lenetData, '--index', '0,5', '--layer', 'conv1', '--out', out, '--backend', 'ts');
      expect(result.status, result.stderr).toBe(0);
      return JSON.parse(readFileSync(join(out, 'explain.json'), 'utf8')).images.map((r: { map: number[][] }) => r.map);
    });
    expect(explained[0]).toEqual(explained[1]);

    const report = xcnn('report', '--model', sequential, '--arch', spec10, '--data', lenetData, '--out', join(work, 'arch-report'), '--class-images', '2', '--cells', '1', '--backend', 'ts');
    expect(report.status, report.stderr).toBe(0);
    const faithfulness = xcnn('faithfulness', '--model', sequential, '--arch', spec10, '--data', lenetData, '--methods', 'grad-cam', '--n', '2', '--sanity', '1', '--steps', '4', '--out', join(work, 'arch-faithfulness'), '--backend', 'ts');
    expect(faithfulness.status, faithfulness.stderr).toBe(0);
  });

  it('without --arch, it is refused in one line saying to give it', () => {
    expectOneLineError(xcnn('evaluate', '--model', sequential, '--data', lenetData, '--backend', 'ts'), 2, /numeric names .* give it with --arch, a spec of the same layers as the Sequential$/);
  });

  it('loads a state_dict of 3 classes too (the geometry inferred for any class count)', () => {
    const sequential3 = join(work, 'sequential3.safetensors');
    writeFileSync(sequential3, asSequential(lenet));
    const result = xcnn('evaluate', '--model', sequential3, '--arch', LENET_SPEC, '--data', lenetData, '--backend', 'ts');
    expect(result.status, result.stderr).toBe(0);
  });
});
