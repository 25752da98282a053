/**
 * A whole training step — forward, loss, backward, Adam — on the WebAssembly backend against the
 * TypeScript reference, from the same weights and the same batch of real MNIST images, on the paper's
 * full-size network.
 *
 * Tolerances. Each gradient is a chain of sums (up to 7,744 terms in fc1) through five layers; float32
 * summation in another order moves each sum by at most γ_n·Σ|terms| (see parity.ts), so a tensor's
 * gradients are compared with atol = 1e-4 × the tensor's largest |gradient| (γ for n = 7,744 is 4.6e-4;
 * observed differences are far smaller, and the margin is printed). Adam's first step moves each weight
 * by lr·ĝ/(|ĝ|+ε) ≈ lr·sign(g): where |g| is itself within that tolerance of zero its sign is noise, and the
 * two updates may differ by up to 2·lr; everywhere else they agree to float32 rounding of the weight.
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import { BatchLoader, range } from '../src/data/batch.js';
import { loadDataset } from '../src/data/dataset-files.js';
import { SoftmaxCrossEntropy } from '../src/model/loss.js';
import { createPaperNetwork } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { Adam } from '../src/train/adam.js';

const mnist = loadDataset();

function step(backend: Backend) {
  const network = createPaperNetwork(backend);
  network.initialize(new Random(2024));
  const optimizer = new Adam(network);
  const batch = new BatchLoader(backend, mnist.train).load(range(100, 132));
  const head = new SoftmaxCrossEntropy(backend, 10);
  network.zeroGrad();
  const loss = head.forward(network.forward(batch.input, batch.size), batch.labels, batch.size, true);
  network.backward(head.dLogits!);
  const grads = Float32Array.from(network.grads);
  optimizer.update();
  return { network, loss, grads, params: Float32Array.from(network.params) };
}

describe('a whole training step, wasm against the reference', async () => {
  const reference = step(new ReferenceBackend());
  const wasm = step(await createWasmBackend());

  it('gives the same loss', () => {
    expect(Math.abs(wasm.loss - reference.loss) / reference.loss).toBeLessThan(1e-5);
  });

  it('gives the same gradient for every parameter tensor', () => {
    for (const p of reference.network.parameters) {
      const offset = p.value.byteOffset / 4 - reference.network.params.byteOffset / 4;
      const [expected, actual] = [reference.grads.subarray(offset, offset + p.value.length), wasm.grads.subarray(offset, offset + p.value.length)];
      const scale = expected.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      let worst = 0;
      for (let k = 0; k < expected.length; k++) worst = Math.max(worst, Math.abs(actual[k] - expected[k]));
      console.log(`${p.name.padEnd(13)} max |Δgrad| ${worst.toExponential(2)} = ${(worst / scale).toExponential(2)} × max |grad|`);
      expect(worst, p.name).toBeLessThanOrEqual(1e-4 * scale);
    }
  });

  it('gives the same updated weights, except where a gradient is within rounding of zero', () => {
    const lr = 1e-3;
    let [exactZeros, nearZero] = [0, 0];
    for (const p of reference.network.parameters) {
      const offset = p.value.byteOffset / 4 - reference.network.params.byteOffset / 4;
      const scale = reference.grads.subarray(offset, offset + p.value.length).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (let k = offset; k < offset + p.value.length; k++) {
        const difference = Math.abs(wasm.params[k] - reference.params[k]);
        if (Math.abs(reference.grads[k]) > 1e-4 * scale) {
          expect(difference, `${p.name}[${k - offset}]`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(reference.params[k])) + 1e-3 * lr);
        } else {
          if (reference.grads[k] === 0 && wasm.grads[k] === 0) exactZeros++;
          else nearZero++;
          expect(difference, `${p.name}[${k - offset}]`).toBeLessThanOrEqual(2 * lr * (1 + 1e-6));
        }
      }
    }
    console.log(`of ${reference.params.length} gradients, ${exactZeros} are exactly zero on both backends and ${nearZero} are non-zero but within tolerance of zero`);
  });
});
