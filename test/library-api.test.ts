/**
 * xcnn as a user imports it: `import … from 'xcnn'` resolves, through package.json's `exports`, to the
 * built dist/src/node.js (Node resolves a package's own name from inside it), and `'xcnn/core'` to the
 * browser-safe core. Run after a build (`npm test` builds first).
 *
 * The core must stay loadable in a browser: no module it reaches, transitively, may import a Node
 * built-in (`node:fs`, `fs`, …) or any package.
 */
import { builtinModules } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as xcnn from 'xcnn';
import * as core from 'xcnn/core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Every module specifier a source file names: static imports and re-exports, side-effect and dynamic imports. */
function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [/\b(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g];
  for (const pattern of patterns) for (const match of source.matchAll(pattern)) found.push(match[1]);
  return found;
}

/** Walks the import graph from `entry` (in src/, `./x.js` names `./x.ts`); returns every non-relative import with its importer. */
function outsideImports(entry: string): { files: number; visited: string[]; outside: Array<{ from: string; specifier: string }> } {
  const seen = new Set<string>();
  const outside: Array<{ from: string; specifier: string }> = [];
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const specifier of specifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) {
        outside.push({ from: relative(root, file), specifier });
        continue;
      }
      const target = resolve(dirname(file), entry.endsWith('.ts') ? specifier.replace(/\.js$/, '.ts') : specifier);
      if (!existsSync(target)) throw new Error(`${relative(root, file)}: cannot resolve '${specifier}'`);
      visit(target);
    }
  };
  visit(entry);
  return { files: seen.size, visited: [...seen], outside };
}

describe('the core (src/index.ts, as built: dist/src/index.js)', () => {
  it.each(['src/index.ts', 'dist/src/index.js'])('%s imports no Node built-in and no package, transitively', (entry) => {
    const { files, outside } = outsideImports(join(root, entry));
    console.log(`${entry} reaches ${files} modules; imports from outside them: ${outside.map((o) => `${o.from} → ${o.specifier}`).join(', ') || 'none'}`);
    expect(files).toBeGreaterThan(20);
    const builtins = new Set(builtinModules);
    expect(outside.filter((o) => o.specifier.startsWith('node:') || builtins.has(o.specifier.split('/')[0]))).toEqual([]);
    expect(outside).toEqual([]); // no packages either: a bundle of the core needs nothing else
  });

  it("uses none of Node's globals (Buffer, process, require, __dirname)", () => {
    const uses: string[] = [];
    for (const file of outsideImports(join(root, 'src/index.ts')).visited) {
      const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may mention them
      for (const match of code.matchAll(/\b(Buffer|process|require|__dirname|__filename|setImmediate)\b/g)) uses.push(`${relative(root, file)}: ${match[1]}`);
    }
    expect(uses).toEqual([]);
  });

  it('the check itself sees Node imports (src/node.ts reaches node:fs)', () => {
    const { outside } = outsideImports(join(root, 'src/node.ts'));
    expect(outside.map((o) => o.specifier)).toContain('node:fs');
  });

  it("'xcnn/core' exposes the core and none of the Node glue", () => {
    for (const name of ['createPaperNetwork', 'Network', 'ReferenceBackend', 'createWasmBackendFromBytes', 'attachWasmBackend', 'decodeModel', 'encodeModel', 'loadModelFromBytes', 'predict', 'predictImages', 'evaluate', 'classificationReport', 'confusionMatrix', 'gradCam', 'train', 'createTrainingState', 'Adam', 'Random', 'parseIdx', 'XcnnError']) {
      expect(core, name).toHaveProperty(name);
    }
    for (const name of ['loadDataset', 'loadModel', 'saveModel', 'createWasmBackend', 'createBackend', 'ThreadPool', 'digitFromPng']) {
      expect(core, name).not.toHaveProperty(name);
      expect(xcnn, name).toHaveProperty(name);
    }
    // One module, not a copy: the Node entry re-exports the core's very classes.
    expect(xcnn.Network).toBe(core.Network);
    expect(xcnn.XcnnError).toBe(core.XcnnError);
  });
});

describe("the library API ('xcnn' in Node)", () => {
  const mnist = xcnn.loadDataset();
  const trainSet = xcnn.takeFirst(mnist.train, 64);
  const testSet = xcnn.takeFirst(mnist.test, 32);

  it('trains with progress and stops on abort, saves to bytes and loads back, predicts, evaluates and explains', async () => {
    const backend = await xcnn.createWasmBackend();
    const random = new xcnn.Random(1);
    const network = xcnn.createPaperNetwork(backend);
    network.initialize(random);
    const state = xcnn.createTrainingState(network, new xcnn.Adam(network), random);

    // Train: abort after 3 steps of 8 images.
    const controller = new AbortController();
    const steps: number[] = [];
    await xcnn.train(state, {
      epochs: 1,
      batchSize: 8,
      train: trainSet,
      test: testSet,
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 3) controller.abort();
      },
    });
    expect(steps).toEqual([1, 2, 3]);
    expect(state.optimizer.step).toBe(3);
    expect(state.position).toBe(24);
    expect(state.epoch).toBe(0); // stopped mid-epoch, resumable

    // Save to bytes and load back: the same parameters, bit for bit.
    const info = { geometry: xcnn.MNIST_GEOMETRY, dataset: 'mnist', classNames: xcnn.MNIST_CLASS_NAMES };
    const bytes = xcnn.encodeModel(network, info);
    const loaded = xcnn.decodeModel(bytes, 'in memory', backend);
    expect(loaded.info.classNames).toEqual(xcnn.MNIST_CLASS_NAMES);
    expect(Array.from(loaded.network.params)).toEqual(Array.from(network.params));
    expect(xcnn.loadModelFromBytes(bytes, new xcnn.ReferenceBackend()).network.params.length).toBe(network.params.length);

    // Predict: the loaded network agrees with the trained one.
    const pixels = testSet.images.subarray(0, 4 * 28 * 28);
    const mine = xcnn.predictImages(loaded.network, pixels, 4);
    const theirs = xcnn.predict(network, xcnn.takeFirst(testSet, 4));
    expect(mine.probabilities.length).toBe(40);
    expect(Array.from(mine.predicted)).toEqual(Array.from(theirs.predicted));
    for (let n = 0; n < 4; n++) expect(mine.probabilities.subarray(10 * n, 10 * n + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(() => xcnn.predictImages(loaded.network, pixels, 5)).toThrow(xcnn.XcnnError);

    // Evaluate.
    const evaluation = xcnn.evaluate(loaded.network, testSet, loaded.info.classNames);
    expect(evaluation.count).toBe(32);
    expect(evaluation.confusion.flat().reduce((a, b) => a + b, 0)).toBe(32);
    expect(evaluation.report.perClass).toHaveLength(10);

    // Explain two images.
    const cam = xcnn.gradCam(loaded.network, testSet, { indices: [0, 1] });
    expect(cam.count).toBe(2);
    expect(cam.heatmaps.length).toBe(2 * 28 * 28);
    expect(cam.heatmaps.every((v) => v >= 0 && v <= 1)).toBe(true);

    // And with any other method, by name.
    expect(xcnn.METHOD_NAMES).toContain('integrated-gradients');
    for (const name of ['hires-cam', 'integrated-gradients'] as const) {
      const explained = xcnn.explainImages(loaded.network, testSet, xcnn.methodByName(name), { indices: [0, 1] });
      expect(explained.heatmaps.length, name).toBe(2 * 28 * 28);
      expect(explained.heatmaps.every((v) => v >= 0 && v <= 1), name).toBe(true);
    }
    // The gradient-free and guided methods are exported too, and relu2 maps can sit at their receptive fields.
    const placed = xcnn.explainImages(loaded.network, testSet, xcnn.eigenCamMethod(), { indices: [0], placement: 'receptive-field' });
    expect(placed.placement).toBe('receptive-field');
    expect(xcnn.explainImages(loaded.network, testSet, xcnn.guidedGradCamMethod(), { indices: [0] }).maps.length).toBe(28 * 28);
  });

  it('reads and writes model files', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-library-'));
    try {
      const backend = new xcnn.ReferenceBackend();
      const network = xcnn.createPaperNetwork(backend);
      network.initialize(new xcnn.Random(2));
      xcnn.saveModel(join(dir, 'model.safetensors'), network, { geometry: xcnn.MNIST_GEOMETRY, dataset: 'mnist', classNames: xcnn.MNIST_CLASS_NAMES });
      const { network: loaded } = xcnn.loadModel(join(dir, 'model.safetensors'), backend);
      expect(Array.from(loaded.params)).toEqual(Array.from(network.params));
      expect(() => xcnn.loadModel(join(dir, 'missing.safetensors'), backend)).toThrow(/cannot read the model: no such file/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the type declarations', () => {
  it('type-check a TypeScript user of xcnn, and catch a misuse', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'xcnn-types-'));
    try {
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(root, join(dir, 'node_modules', 'xcnn'), 'dir');
      writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, types: [], typeRoots: [join(root, 'node_modules/@types')] }, include: ['*.ts'] }),
      );
      writeFileSync(
        join(dir, 'user.ts'),
        [
          "import { createWasmBackend, loadModelFromBytes, predictImages, type GradCam, type Progress } from 'xcnn';",
          "import { createPaperNetwork, ReferenceBackend, type Network } from 'xcnn/core';",
          'const network: Network = createPaperNetwork(new ReferenceBackend());',
          'const { probabilities }: { probabilities: Float32Array } = predictImages(network, new Uint8Array(784), 1);',
          'export const use = async (bytes: Uint8Array): Promise<[number, string[]]> => [probabilities.length, loadModelFromBytes(bytes, await createWasmBackend()).info.classNames];',
          'export type Both = [GradCam, Progress];',
        ].join('\n'),
      );
      const tsc = join(root, 'node_modules/typescript/bin/tsc');
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      writeFileSync(join(dir, 'misuse.ts'), "import { predictImages } from 'xcnn';\nexport const p: string = predictImages;\n");
      let errors = '';
      try {
        execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      } catch (error) {
        errors = String((error as { stdout: string }).stdout);
      }
      expect(errors).toMatch(/misuse\.ts.*error TS2322/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
