/**
 * ONNX Runtime's driver for the peers bench (protocol: bench/peers-child.ts): inference only (ONNX Runtime
 * does not train these models, nor has it Grad-CAM), on xcnn's own ONNX export of the same initial network.
 * `runtime: web` is onnxruntime-web (its WebAssembly build, SIMD, `numThreads` = the threads); `runtime: node`
 * is onnxruntime-node (the native CPU build, `intraOpNumThreads` = the threads), which the parent only starts
 * when it resolves on this machine (it is not a dependency of xcnn).
 */
import { readFileSync } from 'node:fs';
import { argmaxRows, batchFloats, serveDriver } from './peers-child.js';

type Ort = typeof import('onnxruntime-web');

await serveDriver(async (config) => {
  const runtime = config.options.runtime ?? 'web';
  const packageName = runtime === 'node' ? 'onnxruntime-node' : 'onnxruntime-web';
  const ort = (await import(packageName)) as Ort;
  const options: Record<string, unknown> = { graphOptimizationLevel: 'all' };
  if (runtime === 'node') Object.assign(options, { intraOpNumThreads: config.threads, interOpNumThreads: 1, executionProviders: ['cpu'] });
  else {
    ort.env.wasm.numThreads = config.threads;
    ort.env.wasm.simd = true;
    options.executionProviders = ['wasm'];
  }
  const session = await ort.InferenceSession.create(readFileSync(config.onnxPath), options);
  const { channels, height, width, classes } = config.geometry;
  const version = (ort.env.versions as Record<string, string | undefined>)[runtime] ?? ort.env.versions.common;
  return {
    parameters: config.parameters.reduce((sum, { shape }) => sum + shape.reduce((a, b) => a * b, 1), 0),
    detail: `${packageName} ${version}${runtime === 'node' ? ', native CPU build' : ', WebAssembly SIMD build'}`,
    predict: async (batch) => {
      const input = new ort.Tensor('float32', batchFloats(batch), [batch.count, channels, height, width]);
      const output = await session.run({ [session.inputNames[0]]: input });
      return argmaxRows(output[session.outputNames[0]].data as Float32Array, classes);
    },
    reset: () => {},
  };
});
