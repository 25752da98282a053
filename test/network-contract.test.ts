/**
 * The Network's contract beyond its arithmetic: where its arrays live (one arena each for parameters, gradients and
 * buffers, with named views laid out in layer order), which of them it frees, how it refuses misuse (a wrong-sized
 * arena, a disposed network, an unknown name, activations before a forward pass), the partial backward passes,
 * a one-layer re-initialisation, and the BatchBuffer every layer keeps its batch in. Expected layouts and values are
 * worked out by hand from the specs below.
 */
import { describe, expect, it } from 'vitest';
import type { Floats } from '../src/backend/backend.js';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { XcnnError } from '../src/errors.js';
import { BatchBuffer, EVALUATION, product, trainingPass } from '../src/model/layer.js';
import { createNetwork, createPaperNetwork, geometryOf, MNIST_GEOMETRY, Network } from '../src/model/network.js';
import { Random } from '../src/random.js';
import { RecordingBackend } from './fixtures/recording-backend.js';

function errorOf(action: () => unknown): XcnnError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return error as XcnnError;
  }
  throw new Error('expected an error');
}

// [2,3,3] → conv1 [2,2,2] (2·2·2·2 + 2 = 18 parameters) → bn1 [2,2,2] (4 parameters, 3 buffers) → relu1 →
// flatten [8] → fc1 [3] (8·3 + 3 = 27 parameters): 49 parameters, buffers 2 + 2 + 1 = 5.
const SPEC = 'conv(2,2) bn relu flatten linear(3)';
const GEOMETRY = { channels: 2, height: 3, width: 3, classes: 3 };

describe('Network arenas', () => {
  it('lays every parameter out in one arena, in layer order, each view the length of its shape, gradients mirrored', () => {
    const network = createNetwork(new ReferenceBackend(), SPEC, GEOMETRY);
    expect(network.params.length).toBe(49);
    expect(network.grads.length).toBe(49);
    const layout = network.parameters.map((p) => [p.name, p.value.byteOffset / 4, p.value.length, p.grad.byteOffset / 4, p.grad.length]);
    expect(layout).toEqual([
      ['conv1.weight', 0, 16, 0, 16],
      ['conv1.bias', 16, 2, 16, 2],
      ['bn1.weight', 18, 2, 18, 2],
      ['bn1.bias', 20, 2, 20, 2],
      ['fc1.weight', 22, 24, 22, 24],
      ['fc1.bias', 46, 3, 46, 3],
    ]);
    for (const p of network.parameters) {
      expect(p.value.buffer).toBe(network.params.buffer);
      expect(p.grad.buffer).toBe(network.grads.buffer);
    }
    expect(network.parameters.map((p) => p.fanIn)).toEqual([8, 8, 1, 1, 8, 8]);
  });

  it('lays the buffers out in a third arena at their initial values (running mean 0, variance 1, count 0)', () => {
    const network = createNetwork(new ReferenceBackend(), SPEC, GEOMETRY);
    expect(network.bufferViews.map((b) => [b.name, b.value.byteOffset / 4, Array.from(b.value)])).toEqual([
      ['bn1.running_mean', 0, [0, 0]],
      ['bn1.running_var', 2, [1, 1]],
      ['bn1.num_batches_tracked', 4, [0]],
    ]);
    expect(Array.from(network.buffers)).toEqual([0, 0, 1, 1, 0]);
  });

  it('uses arenas the caller passes as they are (buffers not reset), and allocates only the others', () => {
    const backend = new RecordingBackend();
    const params = backend.allocFloats(49).fill(0.5);
    const buffers = backend.allocFloats(5).fill(7);
    backend.allocated.length = 0;
    const network = createNetwork(backend, SPEC, GEOMETRY, { params, buffers });
    expect(network.params).toBe(params);
    expect(network.buffers).toBe(buffers);
    expect(Array.from(network.buffers)).toEqual([7, 7, 7, 7, 7]);
    expect(network.parameters[0].value.buffer).toBe(params.buffer);
    expect(backend.allocated.filter((a) => a.length === 49)).toEqual([network.grads]);
    expect(backend.allocated).not.toContain(params);
  });

  it('refuses an arena of the wrong length, naming it and both lengths', () => {
    const backend = new ReferenceBackend();
    expect(errorOf(() => createNetwork(backend, SPEC, GEOMETRY, { params: backend.allocFloats(48) })).message).toBe('the params arena has 48 numbers; the network has 49');
    expect(errorOf(() => createNetwork(backend, SPEC, GEOMETRY, { grads: backend.allocFloats(50) })).message).toBe('the grads arena has 50 numbers; the network has 49');
    expect(errorOf(() => createNetwork(backend, SPEC, GEOMETRY, { buffers: backend.allocFloats(4) })).message).toBe('the buffers arena has 4 numbers; the network has 5');
    expect(errorOf(() => createNetwork(backend, SPEC, GEOMETRY, { buffers: backend.allocFloats(4) })).code).toBe('ERR_BAD_ARGUMENT');
    expect(() => createNetwork(backend, SPEC, GEOMETRY, { params: undefined, grads: backend.allocFloats(49), buffers: backend.allocFloats(5) })).not.toThrow();
  });
});

describe('Network.dispose', () => {
  it('frees the arenas it allocated and not those the caller passed, once; then every use throws ERR_DISPOSED', () => {
    const backend = new RecordingBackend();
    const params = backend.allocFloats(49);
    const network = createNetwork(backend, SPEC, GEOMETRY, { params });
    const grads = network.grads;
    const buffers = network.buffers;
    network.forward(new Float32Array(2 * 18), 2);
    expect(network.disposed).toBe(false);
    network.dispose();
    expect(network.disposed).toBe(true);
    expect(backend.freed).toContain(grads);
    expect(backend.freed).toContain(buffers);
    expect(backend.freed).not.toContain(params);
    const freedOnce = backend.freed.length;
    network.dispose();
    expect(backend.freed.length).toBe(freedOnce);

    const message = 'this network was disposed: its memory went back to the backend; load or create the network again to use it';
    const uses: Array<() => unknown> = [
      () => network.params,
      () => network.grads,
      () => network.buffers,
      () => network.parameters,
      () => network.bufferViews,
      () => network.workspace,
      () => network.forward(new Float32Array(18), 1),
      () => network.activations('conv1'),
      () => network.backward(new Float32Array(3)),
      () => network.backwardTo('relu1', new Float32Array(3)),
      () => network.backwardToInput(new Float32Array(3)),
      () => network.zeroGrad(),
      () => network.parameter('conv1.weight'),
    ];
    for (const use of uses) {
      const error = errorOf(use);
      expect(error.message).toBe(message);
      expect(error.code).toBe('ERR_DISPOSED');
    }
  });

  it('frees each layer\'s batch buffers and the workspace\'s', () => {
    const backend = new RecordingBackend();
    const network = createNetwork(backend, SPEC, GEOMETRY);
    network.forward(new Float32Array(18), 1);
    const scratch = network.workspace.floats('test.role', 4).forBatch(1);
    const allocated = [...backend.allocated];
    network.dispose();
    // Everything the network allocated goes back: arenas, layer outputs, the workspace's buffer.
    for (const array of allocated) expect(backend.freed.some((freed) => freed === array || freed.buffer === array.buffer)).toBe(true);
    expect(backend.freed.some((freed) => freed.buffer === scratch.buffer)).toBe(true);
  });
});

describe('Network lookups', () => {
  const network = createNetwork(new ReferenceBackend(), SPEC, GEOMETRY);

  it('finds a parameter and a layer by name, and refuses an unknown one naming it (ERR_BAD_ARGUMENT)', () => {
    expect(network.parameter('bn1.bias').shape).toEqual([2]);
    expect(network.layer('fc1').outputShape).toEqual([3]);
    const noParameter = errorOf(() => network.parameter('fc2.weight'));
    expect(noParameter.message).toBe("the network has no parameter 'fc2.weight'");
    expect(noParameter.code).toBe('ERR_BAD_ARGUMENT');
    const noLayer = errorOf(() => network.layer('fc2'));
    expect(noLayer.message).toBe("the network has no layer 'fc2'");
    expect(noLayer.code).toBe('ERR_BAD_ARGUMENT');
  });

  it('gives its input and output shape, spec and geometry from the first and last layer', () => {
    expect(network.inputShape).toEqual([2, 3, 3]);
    expect(network.outputShape).toEqual([3]);
    expect(network.spec).toBe('conv(2,2) bn relu flatten linear(3)');
    expect(geometryOf(network)).toEqual(GEOMETRY);
    expect(new Network(new ReferenceBackend(), network.layers.slice(3)).spec).toBeNull();
    expect(new Network(new ReferenceBackend(), network.layers.slice(3)).plan).toBeNull();
  });

  it('builds the paper network for MNIST by default, and at given widths for a given geometry', () => {
    expect(MNIST_GEOMETRY).toEqual({ channels: 1, height: 28, width: 28, classes: 10 });
    const small = createPaperNetwork(new ReferenceBackend(), { channels: 1, height: 8, width: 8, classes: 4 }, { conv1Channels: 2, conv2Channels: 3, hidden: 5 });
    expect(small.spec).toBe('conv(2,3) relu maxpool(2) conv(3,3) relu flatten linear(5) relu linear(4)');
  });
});

describe('Network.activations', () => {
  it('returns each layer\'s output of the last pass, refusing an unknown layer and a layer no pass has reached', () => {
    const network = createNetwork(new ReferenceBackend(), 'flatten linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
    const fresh = errorOf(() => network.activations('fc1'));
    expect(fresh.message).toBe("no forward pass has reached layer 'fc1' yet");
    expect(fresh.code).toBe('ERR_BAD_ARGUMENT');
    const unknown = errorOf(() => network.activations('conv1'));
    expect(unknown.message).toBe("the network has no layer 'conv1'");
    expect(unknown.code).toBe('ERR_BAD_ARGUMENT');
    network.parameter('fc1.weight').value.set([1, 2, 3, 4]);
    network.parameter('fc1.bias').value.set([10, 20]);
    const logits = network.forward(Float32Array.from([1, -1]), 1);
    expect(Array.from(network.activations('flatten'))).toEqual([1, -1]);
    // fc1: [1·1 + 2·(−1) + 10, 3·1 + 4·(−1) + 20] = [9, 19]
    expect(Array.from(network.activations('fc1'))).toEqual([9, 19]);
    expect(network.activations('fc1')).toBe(logits);
  });
});

describe('Network partial backward passes', () => {
  // [1,1,2] → flatten [2] → fc1 [2] → relu1 → fc2 [2]: small enough to differentiate by hand.
  function tiny() {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'flatten linear(2) relu linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
    network.parameter('fc1.weight').value.set([1, 2, -3, 1]); // h = [x0 + 2x1, −3x0 + x1]
    network.parameter('fc1.bias').value.set([0, 0]);
    network.parameter('fc2.weight').value.set([1, 1, 2, -1]); // y = [h0 + h1, 2h0 − h1] of relu(h)
    network.parameter('fc2.bias').value.set([0, 0]);
    return network;
  }
  const x = Float64Array.from([1, 1]); // h = [3, −2]: unit 0 active, unit 1 not

  it('backward accumulates every parameter gradient and stops at the first layer', () => {
    const network = tiny();
    network.zeroGrad();
    network.forward(x, 1);
    network.backward(Float64Array.from([1, 0])); // ∂y0: dW2 = [relu(h), 0], dh = [1, 0] (unit 1 inactive)
    expect(Array.from(network.parameter('fc2.weight').grad)).toEqual([3, 0, 0, 0]);
    expect(Array.from(network.parameter('fc2.bias').grad)).toEqual([1, 0]);
    expect(Array.from(network.parameter('fc1.weight').grad)).toEqual([1, 1, 0, 0]);
    expect(Array.from(network.parameter('fc1.bias').grad)).toEqual([1, 0]);
    network.forward(x, 1);
    network.backward(Float64Array.from([1, 0]));
    expect(Array.from(network.parameter('fc1.weight').grad)).toEqual([2, 2, 0, 0]);
    network.zeroGrad();
    expect(Array.from(network.grads).every((g) => g === 0)).toBe(true);
  });

  it('backwardTo returns ∂y/∂(a layer\'s output) and touches only the gradients after it', () => {
    const network = tiny();
    network.zeroGrad();
    network.forward(x, 1);
    // ∂y1/∂relu1 = fc2's row 1 = [2, −1]
    expect(Array.from(network.backwardTo('relu1', Float64Array.from([0, 1])))).toEqual([2, -1]);
    expect(Array.from(network.parameter('fc2.weight').grad)).toEqual([0, 0, 3, 0]);
    expect(Array.from(network.parameter('fc1.weight').grad)).toEqual([0, 0, 0, 0]);
    network.zeroGrad();
    network.forward(x, 1);
    // through relu1 (unit 1 inactive): [2, 0]
    expect(Array.from(network.backwardTo('fc1', Float64Array.from([0, 1])))).toEqual([2, 0]);
    expect(Array.from(network.parameter('fc1.weight').grad)).toEqual([0, 0, 0, 0]);
    network.forward(x, 1);
    // the last layer: the gradient comes back unchanged
    expect(Array.from(network.backwardTo('fc2', Float64Array.from([0.5, 4])))).toEqual([0.5, 4]);
    expect(errorOf(() => network.backwardTo('conv1', Float64Array.from([1, 0]))).message).toBe("the network has no layer 'conv1'");
  });

  it('backwardToInput returns ∂y/∂x; the guided rule also zeroes negative gradients at each ReLU', () => {
    const network = tiny();
    network.forward(x, 1);
    // ∂y1/∂x = row 0 of fc1 times 2 (unit 0's path): [2, 4]
    expect(Array.from(network.backwardToInput(Float64Array.from([0, 1])))).toEqual([2, 4]);
    // with y = −y1 the gradient reaching relu1 is [−2, 1]: ordinary gives −2·[1, 2]; guided zeroes the −2 (and unit 1 is off)
    network.forward(x, 1);
    expect(Array.from(network.backwardToInput(Float64Array.from([0, -1])))).toEqual([-2, -4]);
    network.forward(x, 1);
    expect(Array.from(network.backwardToInput(Float64Array.from([0, -1]), 'guided'))).toEqual([0, 0]);
    network.forward(x, 1);
    expect(Array.from(network.backwardToInput(Float64Array.from([0, 1]), 'guided'))).toEqual([2, 4]);
  });
});

describe('Network.initialize', () => {
  it('draws every weight and bias within ±1/√fanIn, puts constants as they are, and resets the buffers', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), SPEC, GEOMETRY);
    network.buffers.fill(9);
    network.initialize(new Random(3));
    for (const p of network.parameters) {
      if (p.name.startsWith('bn1.')) {
        expect(Array.from(p.value)).toEqual(p.name === 'bn1.weight' ? [1, 1] : [0, 0]);
        continue;
      }
      const bound = 1 / Math.sqrt(8);
      for (const v of p.value) expect(Math.abs(v)).toBeLessThanOrEqual(bound);
      // 16 or more uniform draws on ±0.354 all within ±0.05 of 0 would be a wrong bound, not chance.
      expect(Math.max(...Array.from(p.value, Math.abs)), p.name).toBeGreaterThan(0.05);
    }
    expect(Array.from(network.buffers)).toEqual([0, 0, 1, 1, 0]);
  });

  it('draws the same values from the same seed, in the order of the parameters', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'flatten linear(2)', { channels: 1, height: 1, width: 4, classes: 2 });
    network.initialize(new Random(11));
    const random = new Random(11);
    const expected = Array.from({ length: 10 }, () => random.uniform(-0.5, 0.5)); // fanIn 4: bound 1/2
    expect(Array.from(network.params)).toEqual(expected);
  });

  it('with a layer name re-draws that layer\'s parameters and buffers only', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), SPEC, GEOMETRY);
    network.initialize(new Random(1));
    network.parameter('bn1.weight').value.fill(5);
    network.buffers.fill(9);
    const before = Float64Array.from(network.params);
    network.initialize(new Random(2), 'fc1');
    const changed = network.parameters.filter((p) => p.value.some((v, k) => v !== before[p.value.byteOffset / 8 + k])).map((p) => p.name);
    expect(changed).toEqual(['fc1.weight', 'fc1.bias']);
    expect(Array.from(network.buffers)).toEqual([9, 9, 9, 9, 9]);
    network.initialize(new Random(2), 'bn1');
    expect(Array.from(network.parameter('bn1.weight').value)).toEqual([1, 1]);
    expect(Array.from(network.buffers)).toEqual([0, 0, 1, 1, 0]);
    // 'conv1' must not match a layer 'conv10'-style prefix of another: 'fc' re-draws nothing
    const again = Float64Array.from(network.params);
    network.initialize(new Random(4), 'fc');
    expect(Array.from(network.params)).toEqual(Array.from(again));
  });
});

describe('pass modes', () => {
  it('evaluation is no training, seed and step 0, no statistics; a training pass is the whole batch, updating them', () => {
    expect(EVALUATION).toEqual({ training: false, seed: 0, step: 0, firstSample: 0, updateStatistics: false });
    expect(trainingPass(5, 9)).toEqual({ training: true, seed: 5, step: 9, firstSample: 0, updateStatistics: true });
  });

  it('a network forward pass defaults to evaluation: batch norm uses its running statistics', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'bn flatten', { channels: 1, height: 1, width: 1, classes: 1 });
    network.buffers.set([2, 4, 0]); // running mean 2, running variance 4
    network.parameter('bn1.weight').value.set([1]);
    // (6 − 2)/√(4 + 1e−5) ≈ 2 with γ = 1, β = 0 (a batch of one value would give β = 0 in training)
    expect(network.forward(Float64Array.from([6]), 1)[0]).toBeCloseTo(4 / Math.sqrt(4 + 1e-5), 12);
  });
});

describe('product', () => {
  it('multiplies a shape\'s sizes, 1 for a scalar\'s empty shape', () => {
    expect(product([2, 3, 4])).toBe(24);
    expect(product([])).toBe(1);
    expect(product([7])).toBe(7);
  });
});

describe('BatchBuffer', () => {
  it('hands out an exact-length view, reusing the storage for smaller batches and growing to the backend\'s power of two', () => {
    const backend = new RecordingBackend();
    const buffer = BatchBuffer.floats(backend, 3);
    const five = buffer.forBatch(5);
    expect(five.length).toBe(15);
    expect(backend.capacityRequests).toEqual([8]); // 5 rounded up to a power of two
    expect(backend.allocated.map((a) => a.length)).toEqual([24]);
    expect(buffer.forBatch(5)).toBe(five); // the same batch: the same view
    const two = buffer.forBatch(2);
    expect(two.length).toBe(6);
    expect(two.buffer).toBe(five.buffer);
    expect(buffer.forBatch(8).length).toBe(24);
    expect(backend.allocated.length).toBe(1);
    const nine = buffer.forBatch(9); // past the capacity: the old storage goes back, a 16-sample one comes
    expect(nine.length).toBe(27);
    expect(backend.capacityRequests).toEqual([8, 16]);
    expect(backend.allocated.map((a) => a.length)).toEqual([24, 48]);
    expect(backend.freed).toEqual([backend.allocated[0]]);
    expect(buffer.forBatch(1).length).toBe(3);
    expect(backend.capacityRequests).toEqual([8, 16]);
  });

  it('starts at the backend\'s capacity when another buffer has grown it, and asks for 1 for a batch of 1', () => {
    const backend = new RecordingBackend();
    BatchBuffer.floats(backend, 1).forBatch(3);
    const later = BatchBuffer.ints(backend, 2);
    const view = later.forBatch(1);
    expect(view).toBeInstanceOf(Int32Array);
    expect(view.length).toBe(2);
    expect(backend.capacityRequests).toEqual([4, 1]);
    expect(backend.allocated.map((a) => a.length)).toEqual([4, 8]); // the capacity of 4, 2 numbers a sample
  });

  it('release gives the storage back once and a later forBatch allocates again', () => {
    const backend = new RecordingBackend();
    const buffer = BatchBuffer.floats(backend, 2);
    buffer.release();
    expect(backend.freed).toEqual([]);
    const first = buffer.forBatch(2);
    buffer.release();
    expect(backend.freed.map((a) => a.buffer)).toEqual([first.buffer]);
    buffer.release();
    expect(backend.freed.length).toBe(1);
    const second = buffer.forBatch(2);
    expect(second.buffer).not.toBe(first.buffer);
    expect(second.length).toBe(4);
  });
});

describe('argument checks of the network\'s constructor, builders and pass modes', () => {
  /** The refusal's code and message, word for word. */
  const refusal = (action: () => unknown) => {
    const error = errorOf(action);
    return [error.code, error.message];
  };
  const must = (where: string, what: string) => ['ERR_BAD_ARGUMENT', `${where} must be ${what}`];
  const BACKEND = 'a backend (createWasmBackend, createBackend, new ReferenceBackend())';
  const FLOATS = "a Float32Array or Float64Array (the backend's allocFloats gives one)";

  it('names Network, the argument and what it must be: backend, layers, arenas and each arena, the plan', () => {
    const backend = new ReferenceBackend();
    const { layers } = createNetwork(backend, 'flatten linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
    const AnyNetwork = Network as unknown as new (...args: unknown[]) => Network;
    expect(refusal(() => new AnyNetwork(null, layers))).toEqual(must('Network: backend', `${BACKEND}, not null`));
    expect(refusal(() => new AnyNetwork(backend, null))).toEqual(must('Network: layers', 'a non-empty array of layers (planNetwork and createNetwork build them from a spec), not null'));
    expect(refusal(() => new AnyNetwork(backend, layers, null))).toEqual(must('Network: arenas', 'an object (params, grads and buffers, each an array of floats or left out), not null'));
    expect(refusal(() => new AnyNetwork(backend, layers, { params: [1, 2, 3, 4, 5, 6] }))).toEqual(must('Network: arenas.params', `${FLOATS}, not Array`));
    expect(refusal(() => new AnyNetwork(backend, layers, { grads: 'x' }))).toEqual(must('Network: arenas.grads', `${FLOATS}, not string`));
    expect(refusal(() => new AnyNetwork(backend, layers, { buffers: 5 }))).toEqual(must('Network: arenas.buffers', `${FLOATS}, not number`));
    expect(refusal(() => new AnyNetwork(backend, layers, {}, {}))).toEqual(must('Network: plan.layers', 'an array (plan: layers and geometry, as planNetwork gives it), not undefined'));
  });

  it('names createNetwork, createPaperNetwork and geometryOf and their arguments', () => {
    const geometry = { channels: 1, height: 1, width: 2, classes: 2 };
    const anyCreate = createNetwork as (...args: unknown[]) => Network;
    const anyPaper = createPaperNetwork as (...args: unknown[]) => Network;
    const GEOMETRY_FIELDS = 'an object (channels, height, width and classes), not null';
    expect(refusal(() => anyCreate(null, 'flatten linear(2)', geometry))).toEqual(must('createNetwork: backend', `${BACKEND}, not null`));
    expect(refusal(() => anyCreate(new ReferenceBackend(), 'flatten linear(2)', null))).toEqual(must('createNetwork: geometry', GEOMETRY_FIELDS));
    expect(refusal(() => anyPaper(null))).toEqual(must('createPaperNetwork: backend', `${BACKEND}, not null`));
    expect(refusal(() => anyPaper(new ReferenceBackend(), null))).toEqual(must('createPaperNetwork: geometry', GEOMETRY_FIELDS));
    expect(refusal(() => (geometryOf as (network: unknown) => unknown)(null))).toEqual(must('geometryOf: network', 'a network (createNetwork, loadModel, loadModelFromBytes), not null'));
  });

  it('names trainingPass and the argument that is not a number', () => {
    const anyPass = trainingPass as (...args: unknown[]) => unknown;
    expect(refusal(() => anyPass('1', 2))).toEqual(must('trainingPass: seed', 'a number, not string'));
    expect(refusal(() => anyPass(1, null))).toEqual(must('trainingPass: step', 'a number, not null'));
  });
});

describe('Network details the first mutation run showed untested', () => {
  it('refuses the activations of the first layer before any forward pass', () => {
    const network = createNetwork(new ReferenceBackend(), 'flatten linear(2)', { channels: 1, height: 1, width: 2, classes: 2 });
    expect(errorOf(() => network.activations('flatten')).message).toBe("no forward pass has reached layer 'flatten' yet");
  });

  it('frees nothing on dispose but arrays the backend gave', () => {
    const backend = new RecordingBackend();
    const network = createNetwork(backend, SPEC, GEOMETRY);
    network.forward(new Float32Array(18), 1);
    network.dispose();
    for (const array of backend.freed) expect(backend.allocated).toContain(array);
  });

  it('backward through a network whose first layer passes its gradient on anyway (a ReLU) stops at the first layer', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'relu flatten linear(1)', { channels: 1, height: 1, width: 2, classes: 1 });
    network.parameter('fc1.weight').value.set([2, 3]);
    network.forward(Float64Array.from([1, -1]), 1);
    network.zeroGrad();
    expect(() => network.backward(Float64Array.from([1]))).not.toThrow();
    expect(Array.from(network.parameter('fc1.weight').grad)).toEqual([1, 0]);
  });

  it('backward computes no input gradient for the first layer: it allocates no buffer for one', () => {
    const backend = new RecordingBackend();
    const network = createNetwork(backend, 'conv(1,1) flatten linear(2)', { channels: 1, height: 2, width: 2, classes: 2 });
    network.forward(new Float32Array(4), 1);
    const before = backend.allocated.length;
    network.backward(new Float32Array(2));
    // fc1's input gradient [1, 4] only; conv1's [1, 1, 2, 2] is never asked for.
    expect(backend.allocated.slice(before).map((a) => a.length)).toEqual([4]);
  });

  it('backwardTo the first layer returns the gradient at its output; an unknown layer is ERR_BAD_ARGUMENT', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'flatten linear(1)', { channels: 1, height: 1, width: 2, classes: 1 });
    network.parameter('fc1.weight').value.set([2, 3]);
    network.forward(Float64Array.from([1, 1]), 1);
    expect(Array.from(network.backwardTo('flatten', Float64Array.from([1])))).toEqual([2, 3]);
    const unknown = errorOf(() => network.backwardTo('conv1', Float64Array.from([1])));
    expect(unknown.code).toBe('ERR_BAD_ARGUMENT');
  });

  it('fuses a ReLU into the convolution just before it only: that ReLU\'s activations are the convolution\'s output', () => {
    // [1,1,2] → conv1 (1×1, weight 1, bias 0) → relu1 → flatten → fc1 (weights 1, −1) → relu2 → fc2 (weight 1)
    const fused = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'conv(1,1) relu flatten linear(1) relu linear(1)', { channels: 1, height: 1, width: 2, classes: 1 });
    fused.parameter('conv1.weight').value.set([1]);
    fused.parameter('fc1.weight').value.set([1, -1]);
    fused.parameter('fc2.weight').value.set([1]);
    fused.forward(Float64Array.from([-1, 2]), 1);
    expect(fused.activations('relu1')).toBe(fused.activations('conv1'));
    expect(Array.from(fused.activations('conv1'))).toEqual([0, 2]);
    // relu2 follows a linear layer: it rectifies by itself (fc1 gives 0 − 2 = −2).
    expect(Array.from(fused.activations('fc1'))).toEqual([-2]);
    expect(Array.from(fused.activations('relu2'))).toEqual([0]);
    // A convolution not followed by a ReLU keeps its negative outputs.
    const plain = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'conv(1,1) flatten linear(1)', { channels: 1, height: 1, width: 2, classes: 1 });
    plain.parameter('conv1.weight').value.set([1]);
    plain.forward(Float64Array.from([-1, 2]), 1);
    expect(Array.from(plain.activations('conv1'))).toEqual([-1, 2]);
  });
});

describe('BatchBuffer of no samples', () => {
  it('gives an empty view on a fresh buffer, allocating the capacity of one sample', () => {
    const backend = new RecordingBackend();
    const buffer = BatchBuffer.floats(backend, 3);
    expect(buffer.forBatch(0).length).toBe(0);
    expect(backend.capacityRequests).toEqual([1]);
    expect(backend.allocated.map((a) => a.length)).toEqual([3]);
  });
});
