/**
 * The architecture description as a specification: parsing (defaults, spacing, case, and the exact one-line
 * error for every malformed input), the canonical text, planning (shapes by PyTorch's formulas, names,
 * parameter counts, and every refusal naming the layer and its input shape), the presets, the receptive
 * field (against a brute-force perturbation of every input pixel) and the explainable layers. Expected
 * values are worked out in the test (src/testing/specs.ts, closed forms, hand counts), never by the code under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReferenceBackend } from '../src/backend/reference/index.js';
import { LAYER_KINDS } from '../src/model/layer-kinds.js';
import { createNetwork } from '../src/model/network.js';
import { checkGeometry, explainableLayers, formatPlan, formatSpec, parseSpec, planNetwork, PRESETS, receptiveField, resolveSpec, type NetworkGeometry } from '../src/model/spec.js';
import { Random } from '../src/random.js';
import { errorOf } from './errors.js';
import { randomSpecs, respelled } from '../src/testing.js';

const MNIST: NetworkGeometry = { channels: 1, height: 28, width: 28, classes: 10 };
const COLOUR_32: NetworkGeometry = { channels: 3, height: 32, width: 32, classes: 10 };

describe('parseSpec', () => {
  it('reads every kind with its defaults filled in (a pool\'s stride defaults to its kernel)', () => {
    const cases: Array<[string, Record<string, number>]> = [
      ['conv(8,3)', { out: 8, kernel: 3, stride: 1, pad: 0 }],
      ['conv(8,5,stride=2)', { out: 8, kernel: 5, stride: 2, pad: 0 }],
      ['conv(8,5,pad=2)', { out: 8, kernel: 5, stride: 1, pad: 2 }],
      ['conv(8,5,pad=2,stride=3)', { out: 8, kernel: 5, stride: 3, pad: 2 }],
      ['maxpool(3)', { kernel: 3, stride: 3 }],
      ['maxpool(3,stride=1)', { kernel: 3, stride: 1 }],
      ['avgpool(2)', { kernel: 2, stride: 2 }],
      ['avgpool(4,stride=2)', { kernel: 4, stride: 2 }],
      ['gap', {}],
      ['bn', {}],
      ['relu', {}],
      ['dropout(0.25)', { p: 0.25 }],
      ['dropout(0)', { p: 0 }],
      ['flatten', {}],
      ['linear(10)', { out: 10 }],
    ];
    for (const [text, args] of cases) expect(parseSpec(text), text).toEqual([{ kind: text.split('(')[0], args }]);
  });

  it('takes any whitespace between and inside layers, and any case', () => {
    const expected = parseSpec('conv(8,3,stride=2,pad=1) relu maxpool(2) flatten linear(10)');
    for (const text of [
      '  conv(8,3,stride=2,pad=1)\trelu\nmaxpool(2)   flatten linear(10)\n',
      'conv( 8 , 3 , stride = 2 , pad = 1 ) relu maxpool( 2 ) flatten linear( 10 )',
      'conv (8,3,stride=2,pad=1) relu maxpool\t(2) flatten linear\n(10)',
      'CONV(8,3,STRIDE=2,PAD=1) ReLU MaxPool(2) FLATTEN Linear(10)',
      'conv(8,3,pad=1,stride=2) relu maxpool(2,stride=2) flatten linear(10)',
    ]) {
      expect(parseSpec(text), JSON.stringify(text)).toEqual(expected);
    }
  });

  it('refuses each malformed spec with its one-line usage error (exit status 2)', () => {
    const KINDS = 'conv, maxpool, avgpool, gap, bn, relu, dropout, flatten, linear';
    const CONV = 'conv(OUT,KERNEL[,stride=S][,pad=P])';
    const cases: Array<[string, string]> = [
      ['conv(8,3) pool(2)', `architecture spec, layer 2: 'pool' is not a layer kind; the kinds are ${KINDS}`],
      ['conv(8)', `architecture spec, layer 1: conv needs its kernel: write ${CONV}`],
      ['conv()', `architecture spec, layer 1: conv needs its out: write ${CONV}`],
      ['relu linear', 'architecture spec, layer 2: linear needs its out: write linear(OUT)'],
      ['conv(8,3,3)', `architecture spec, layer 1: conv takes 2 positional argument(s): write ${CONV}`],
      ['dropout(0.5,0.2)', 'architecture spec, layer 1: dropout takes 1 positional argument(s): write dropout(P)'],
      ['relu()', 'architecture spec, layer 1: relu takes no arguments: write relu'],
      ['flatten gap(2)', 'architecture spec, layer 2: gap takes no arguments: write gap'],
      ['conv(8,3,dilation=2)', `architecture spec, layer 1: conv has no argument 'dilation': write ${CONV}`],
      ['maxpool(2,pad=1)', "architecture spec, layer 1: maxpool has no argument 'pad': write maxpool(KERNEL[,stride=S])"],
      ['conv(8,3,stride=2,stride=3)', "architecture spec, layer 1: conv is given 'stride' twice"],
      ['conv(8,3,pad=1,PAD=2)', "architecture spec, layer 1: conv is given 'pad' twice"],
      ['conv(0,3)', "architecture spec, layer 1: conv's out must be a whole number from 1 to 4096, got '0'"],
      ['conv(4097,3)', "architecture spec, layer 1: conv's out must be a whole number from 1 to 4096, got '4097'"],
      ['conv(8,65)', "architecture spec, layer 1: conv's kernel must be a whole number from 1 to 64, got '65'"],
      ['conv(8,3,stride=0)', "architecture spec, layer 1: conv's stride must be a whole number from 1 to 64, got '0'"],
      ['conv(8,3,pad=-1)', "architecture spec, layer 1: conv's pad must be a whole number from 0 to 64, got '-1'"],
      ['conv(8,3,pad=65)', "architecture spec, layer 1: conv's pad must be a whole number from 0 to 64, got '65'"],
      ['conv(8.5,3)', "architecture spec, layer 1: conv's out must be a whole number from 1 to 4096, got '8.5'"],
      ['conv(eight,3)', "architecture spec, layer 1: conv's out must be a whole number from 1 to 4096, got 'eight'"],
      ['conv(,3)', "architecture spec, layer 1: conv's out must be a whole number from 1 to 4096, got ''"],
      ['conv(8,3,stride=)', "architecture spec, layer 1: conv's stride must be a whole number from 1 to 64, got ''"],
      // An empty value is not read as Number('') = 0, which pad's range would take; nor is a value that is not a number.
      ['conv(8,3,pad=)', "architecture spec, layer 1: conv's pad must be a whole number from 0 to 64, got ''"],
      ['dropout(abc)', "architecture spec, layer 1: dropout's p must be a number from 0 to 0.99, got 'abc'"],
      // Only blanks between the parentheses is no argument at all, not one empty argument.
      ['conv( )', `architecture spec, layer 1: conv needs its out: write ${CONV}`],
      // A keyword is the whole argument: letters from its start, and a value to its end (no line break inside).
      ['conv(8,3,1stride=2)', `architecture spec, layer 1: conv takes 2 positional argument(s): write ${CONV}`],
      ['conv(8,3,stride=2\n5)', `architecture spec, layer 1: conv takes 2 positional argument(s): write ${CONV}`],
      ['maxpool(0)', "architecture spec, layer 1: maxpool's kernel must be a whole number from 1 to 64, got '0'"],
      ['avgpool(2,stride=1.5)', "architecture spec, layer 1: avgpool's stride must be a whole number from 1 to 64, got '1.5'"],
      ['linear(0)', "architecture spec, layer 1: linear's out must be a whole number from 1 to 4096, got '0'"],
      ['dropout(1)', "architecture spec, layer 1: dropout's p must be a number from 0 to 0.99, got '1'"],
      ['dropout(-0.1)', "architecture spec, layer 1: dropout's p must be a number from 0 to 0.99, got '-0.1'"],
      ['dropout(Infinity)', "architecture spec, layer 1: dropout's p must be a number from 0 to 0.99, got 'Infinity'"],
      ['relu conv(8,3', "architecture spec, layer 2: 'conv(' has no closing parenthesis"],
      ['conv(8,3 relu maxpool(2)', "architecture spec, layer 1: 'conv(' has no closing parenthesis"],
      ['relu)', "architecture spec, layer 2: unexpected ')' at character 5"],
      ['relu, relu', "architecture spec, layer 2: unexpected ',' at character 5"],
      ['', 'the architecture spec is empty: give layers such as "conv(32,3) relu maxpool(2) flatten linear(10)", or a preset (paper, lenet5, modern)'],
      [' \n\t ', 'the architecture spec is empty: give layers such as "conv(32,3) relu maxpool(2) flatten linear(10)", or a preset (paper, lenet5, modern)'],
      ['relu '.repeat(201), 'the architecture spec has 201 layers; at most 200'],
      ['relu'.padEnd(10_001, ' '), 'the architecture spec is 10001 characters long; at most 10000'],
    ];
    for (const [text, message] of cases) {
      const error = errorOf(() => parseSpec(text));
      expect(error.message, JSON.stringify(text.slice(0, 40))).toBe(message);
      expect(error.message).not.toContain('\n');
      expect(error.exitCode).toBe(2);
    }
    expect(parseSpec('relu '.repeat(200))).toHaveLength(200); // the limit itself is allowed
    expect(parseSpec('relu'.padEnd(10_000, ' '))).toHaveLength(1); // and so is a text of 10000 characters
    const notText = errorOf(() => parseSpec(7 as unknown as string));
    expect([notText.message, notText.exitCode]).toEqual(['an architecture spec must be a string, got number', 2]);
  });
});

describe('formatSpec', () => {
  it('writes the canonical form: lower case, no spaces, arguments at their defaults left out', () => {
    expect(formatSpec(parseSpec(' CONV( 8 , 3 , Stride = 1 , pad=0 )  Relu MaxPool(2, stride=2) avgpool(3,stride=2) Dropout(0.50) LINEAR(10) '))).toBe(
      'conv(8,3) relu maxpool(2) avgpool(3,stride=2) dropout(0.5) linear(10)',
    );
    expect(formatSpec(parseSpec('conv(8,3,pad=1,stride=2)'))).toBe('conv(8,3,stride=2,pad=1)');
    expect(formatSpec(parseSpec('maxpool(3,stride=2)'))).toBe('maxpool(3,stride=2)');
  });

  it('is canonical and idempotent over random valid specs, however they are spelled', () => {
    const cases = randomSpecs().chain((spec) => fc.tuple(fc.constant(spec), respelled(spec)));
    fc.assert(
      fc.property(cases, ([spec, text]) => {
        const canonical = formatSpec(parseSpec(text));
        expect(canonical).toBe(spec.canonical);
        expect(formatSpec(parseSpec(canonical))).toBe(canonical);
        expect(parseSpec(canonical)).toEqual(parseSpec(spec.explicit));
        expect(planNetwork(text, spec.geometry).spec).toBe(canonical);
      }),
      { numRuns: 200 },
    );
  });
});

describe('planNetwork', () => {
  it('gives every layer the shape of PyTorch\'s formulas, its name and its parameter count, over random specs', () => {
    fc.assert(
      fc.property(randomSpecs(), (spec) => {
        const plan = planNetwork(spec.explicit, spec.geometry);
        expect(plan.layers.map((l) => ({ name: l.name, index: l.index, inputShape: l.inputShape, outputShape: l.outputShape, parameters: l.parameters }))).toEqual(
          spec.layers.map((l) => ({ name: l.name, index: l.index, inputShape: l.inputShape, outputShape: l.outputShape, parameters: l.parameters })),
        );
        expect(plan.parameters).toBe(spec.parameters);
        expect(plan.spec).toBe(spec.canonical);
        expect(plan.geometry).toEqual(spec.geometry);
      }),
      { numRuns: 300 },
    );
  });

  it('builds networks whose layers, parameters and buffers are the plan\'s', () => {
    fc.assert(
      fc.property(randomSpecs({ maxSize: 8 }), (spec) => {
        const network = createNetwork(new ReferenceBackend(), spec.explicit, spec.geometry);
        expect(network.layers.map((l) => [l.name, l.inputShape, l.outputShape])).toEqual(spec.layers.map((l) => [l.name, l.inputShape, l.outputShape]));
        expect(network.params.length).toBe(spec.parameters);
        const bns = spec.layers.filter((l) => l.kind === 'bn');
        expect(network.bufferViews.map((b) => [b.name, b.shape, b.dtype])).toEqual(
          bns.flatMap((l) => [
            [`${l.name}.running_mean`, [l.inputShape[0]], 'F32'],
            [`${l.name}.running_var`, [l.inputShape[0]], 'F32'],
            [`${l.name}.num_batches_tracked`, [], 'I64'],
          ]),
        );
        expect(network.spec).toBe(spec.canonical);
        // PyTorch's initial state: bn weight 1, bias 0, running mean 0, variance 1, no batches tracked.
        network.initialize(new Random(1));
        for (const l of bns) {
          const c = l.inputShape[0];
          expect([...network.parameter(`${l.name}.weight`).value, ...network.parameter(`${l.name}.bias`).value]).toEqual([...Array(c).fill(1), ...Array(c).fill(0)]);
          const buffer = (name: string) => [...network.bufferViews.find((b) => b.name === `${l.name}.${name}`)!.value];
          expect([...buffer('running_mean'), ...buffer('running_var'), ...buffer('num_batches_tracked')]).toEqual([...Array(c).fill(0), ...Array(c).fill(1), 0]);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('builds a convolution or batch norm followed by ReLU to compute it in its own pass, and that ReLU to keep their array', () => {
    const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), 'conv(1,1) relu bn relu flatten linear(1)', { channels: 1, height: 1, width: 2, classes: 1 });
    network.initialize(new Random(1)); // bn: γ 1, β 0, running mean 0, variance 1
    network.parameter('conv1.weight').value.set([1]);
    network.parameter('conv1.bias').value.set([0]);
    network.parameter('bn1.bias').value.set([-1]);
    network.forward(Float64Array.of(-1, 2), 1);
    // conv: [−1, 2], rectified [0, 2]; bn in evaluation: [0, 2]/√(1 + 10⁻⁵) − 1, rectified [0, 2/√(1 + 10⁻⁵) − 1].
    expect(Array.from(network.activations('conv1'))).toEqual([0, 2]);
    expect(network.activations('relu1')).toBe(network.activations('conv1'));
    const bn = network.activations('bn1');
    expect(bn[0]).toBe(0);
    expect(bn[1]).toBeCloseTo(2 / Math.sqrt(1 + 1e-5) - 1, 12);
    expect(network.activations('relu2')).toBe(bn);
  });

  it('names the paper preset\'s layers exactly as the paper network always was', () => {
    const plan = planNetwork(resolveSpec('paper', 10), MNIST);
    expect(plan.layers.map((l) => l.name)).toEqual(['conv1', 'relu1', 'pool1', 'conv2', 'relu2', 'flatten', 'fc1', 'relu3', 'fc2']);
  });

  it('names layers by kind and ordinal; both pools count as pool, a second flatten is flatten2', () => {
    const plan = planNetwork('conv(4,3,pad=1) bn relu maxpool(2) conv(4,3,pad=1) bn relu avgpool(2) gap flatten bn dropout(0.1) flatten linear(6) relu dropout(0.2) linear(10)', MNIST);
    expect(plan.layers.map((l) => l.name)).toEqual([
      'conv1', 'bn1', 'relu1', 'pool1', 'conv2', 'bn2', 'relu2', 'pool2', 'gap1', 'flatten', 'bn3', 'dropout1', 'flatten2', 'fc1', 'relu3', 'dropout2', 'fc2',
    ]);
  });

  it('plans the presets on MNIST\'s 1×28×28 and on 3×32×32 colour images, with hand-counted shapes and parameters', () => {
    const shapesAndCounts = (name: string, geometry: NetworkGeometry) => {
      const plan = planNetwork(resolveSpec(name, geometry.classes), geometry);
      return { layers: plan.layers.map((l) => `${l.name} ${l.outputShape.join('×')}${l.parameters ? ` ${l.parameters}` : ''}`), parameters: plan.parameters };
    };
    // paper: conv 32·1·9+32, conv 64·32·9+64, linear 7744·128+128, linear 128·10+10.
    expect(shapesAndCounts('paper', MNIST)).toEqual({
      layers: ['conv1 32×26×26 320', 'relu1 32×26×26', 'pool1 32×13×13', 'conv2 64×11×11 18496', 'relu2 64×11×11', 'flatten 7744', 'fc1 128 991360', 'relu3 128', 'fc2 10 1290'],
      parameters: 1_011_466,
    });
    // 32×32 colour: conv 32·3·9+32 = 896; 30 → 15 → 13; 64·13·13 = 10816 features.
    expect(shapesAndCounts('paper', COLOUR_32)).toEqual({
      layers: ['conv1 32×30×30 896', 'relu1 32×30×30', 'pool1 32×15×15', 'conv2 64×13×13 18496', 'relu2 64×13×13', 'flatten 10816', 'fc1 128 1384576', 'relu3 128', 'fc2 10 1290'],
      parameters: 896 + 18496 + 1_384_576 + 1290,
    });
    // LeNet-5: 28 +2·2 pad −5 +1 = 28 → 14 → 10 → 5; 16·5·5 = 400 features.
    expect(shapesAndCounts('lenet5', MNIST)).toEqual({
      layers: ['conv1 6×28×28 156', 'relu1 6×28×28', 'pool1 6×14×14', 'conv2 16×10×10 2416', 'relu2 16×10×10', 'pool2 16×5×5', 'flatten 400', 'fc1 120 48120', 'relu3 120', 'fc2 84 10164', 'relu4 84', 'fc3 10 850'],
      parameters: 61_706,
    });
    // On 32×32: 32 → 16 → 12 → 6; 16·6·6 = 576 features; conv1 6·3·25+6 = 456.
    expect(shapesAndCounts('lenet5', COLOUR_32).layers).toEqual([
      'conv1 6×32×32 456', 'relu1 6×32×32', 'pool1 6×16×16', 'conv2 16×12×12 2416', 'relu2 16×12×12', 'pool2 16×6×6', 'flatten 576', 'fc1 120 69240', 'relu3 120', 'fc2 84 10164', 'relu4 84', 'fc3 10 850',
    ]);
    // modern: padded 3×3 convolutions keep the size, the strided ones halve it, (28 + 2 − 3)/2 + 1 = 14 → 7.
    expect(shapesAndCounts('modern', MNIST)).toEqual({
      layers: [
        'conv1 32×28×28 320', 'bn1 32×28×28 64', 'relu1 32×28×28',
        'conv2 32×14×14 9248', 'bn2 32×14×14 64', 'relu2 32×14×14',
        'conv3 64×14×14 18496', 'bn3 64×14×14 128', 'relu3 64×14×14',
        'conv4 64×7×7 36928', 'bn4 64×7×7 128', 'relu4 64×7×7',
        'flatten 3136', 'dropout1 3136', 'fc1 128 401536', 'relu5 128', 'dropout2 128', 'fc2 10 1290',
      ],
      parameters: 468_202,
    });
    // On 32×32 colour: conv1 32·3·9+32 = 896; 32 → 16 → 8; 64·8·8 = 4096 features, fc1 4096·128+128.
    expect(shapesAndCounts('modern', COLOUR_32).parameters).toBe(468_202 - 320 + 896 - 401_536 + 524_416);
    expect(shapesAndCounts('modern', { ...COLOUR_32, classes: 4 }).layers.at(-1)).toBe('fc2 4 516');
  });

  it('refuses a spec whose shapes do not work out, naming the layer and its input shape', () => {
    const g = MNIST;
    const cases: Array<[string, NetworkGeometry, string]> = [
      ['conv(8,29) flatten linear(10)', g, 'architecture: layer 1 conv(8,29) (conv1) takes [1, 28, 28]: its 29×29 kernel is larger than its 28×28 input'],
      ['conv(8,31,pad=1) flatten linear(10)', g, 'architecture: layer 1 conv(8,31,pad=1) (conv1) takes [1, 28, 28]: its 31×31 kernel is larger than its 28×28 input (30×30 padded)'],
      // Padding 2 on 4×5: 4 + 2·2 = 8 and 5 + 2·2 = 9 (padding 1 could not tell 2·p from 2/p).
      ['conv(1,9,pad=2) flatten linear(10)', { ...g, height: 4, width: 5 }, 'architecture: layer 1 conv(1,9,pad=2) (conv1) takes [1, 4, 5]: its 9×9 kernel is larger than its 4×5 input (8×9 padded)'],
      ['conv(4,3) relu conv(4,5,stride=2) flatten linear(10)', { ...g, height: 5, width: 30 }, 'architecture: layer 3 conv(4,5,stride=2) (conv2) takes [4, 3, 28]: its 5×5 kernel is larger than its 3×28 input'],
      ['maxpool(2) maxpool(2) maxpool(8) flatten linear(10)', g, 'architecture: layer 3 maxpool(8) (pool3) takes [1, 7, 7]: its 8×8 window is larger than its 7×7 input'],
      ['avgpool(3,stride=1) flatten linear(10)', { ...g, height: 2 }, 'architecture: layer 1 avgpool(3,stride=1) (pool1) takes [1, 2, 28]: its 3×3 window is larger than its 2×28 input'],
      ['maxpool(3,stride=1) flatten linear(10)', { ...g, width: 2 }, 'architecture: layer 1 maxpool(3,stride=1) (pool1) takes [1, 28, 2]: its 3×3 window is larger than its 28×2 input'],
      ['conv(2,3,pad=1) conv(2,6,stride=3) flatten linear(10)', { ...g, width: 3 }, 'architecture: layer 2 conv(2,6,stride=3) (conv2) takes [2, 28, 3]: its 6×6 kernel is larger than its 28×3 input'],
      ['linear(10)', g, 'architecture: layer 1 linear(10) (fc1) takes [1, 28, 28]: linear needs a flat [features] input: put flatten before it'],
      ['conv(2,3) relu linear(10)', g, 'architecture: layer 3 linear(10) (fc1) takes [2, 26, 26]: linear needs a flat [features] input: put flatten before it'],
      ['flatten conv(4,3) linear(10)', g, 'architecture: layer 2 conv(4,3) (conv1) takes [784]: conv needs a [channels, height, width] input: put it before flatten'],
      ['flatten relu maxpool(2) linear(10)', g, 'architecture: layer 3 maxpool(2) (pool1) takes [784]: maxpool needs a [channels, height, width] input: put it before flatten'],
      ['flatten avgpool(2) linear(10)', g, 'architecture: layer 2 avgpool(2) (pool1) takes [784]: avgpool needs a [channels, height, width] input: put it before flatten'],
      ['flatten gap linear(10)', g, 'architecture: layer 2 gap (gap1) takes [784]: gap needs a [channels, height, width] input: put it before flatten'],
      ['flatten linear(9)', g, 'architecture: the last layer linear(9) (fc1) gives [9], but the network must end in one logit per class: [10] for 10 classes (end with flatten and linear(10))'],
      ['flatten linear(10) relu', { ...g, classes: 3 }, 'architecture: the last layer relu (relu1) gives [10], but the network must end in one logit per class: [3] for 3 classes (end with flatten and linear(3))'],
      ['conv(10,28)', g, 'architecture: the last layer conv(10,28) (conv1) gives [10, 1, 1], but the network must end in one logit per class: [10] for 10 classes (end with flatten and linear(10))'],
      ['conv(4096,1) conv(4096,1) flatten linear(10)', { ...g, height: 64, width: 65 }, 'architecture: layer 1 conv(4096,1) (conv1) gives [4096, 64, 65], 17039360 values a sample; at most 16777216'],
    ];
    for (const [text, geometry, message] of cases) {
      const error = errorOf(() => planNetwork(text, geometry));
      expect(error.message, text).toBe(message);
      expect(error.exitCode).toBe(2);
      expect(errorOf(() => createNetwork(new ReferenceBackend(), text, geometry)).message, 'createNetwork refuses it the same way').toBe(message);
    }
    // The bound itself plans: conv(4096,1) on 1×64×64 gives 4096·64·64 = 16,777,216 values a sample.
    expect(planNetwork('conv(4096,1) gap flatten linear(10)', { ...g, height: 64, width: 64 }).layers[0].outputShape).toEqual([4096, 64, 64]);
  });

  it('names the PyTorch module each kind stands for, with its input\'s width', () => {
    const plan = planNetwork('conv(8,5,stride=2,pad=1) bn relu maxpool(3,stride=2) avgpool(2) gap flatten bn dropout(0.5) linear(10)', { channels: 3, height: 32, width: 32, classes: 10 });
    expect(plan.layers.map((l) => LAYER_KINDS[l.spec.kind].pytorch(l.spec.args, l.inputShape))).toEqual([
      'nn.Conv2d(3, 8, 5, stride=2, padding=1)', 'nn.BatchNorm2d(8)', 'nn.ReLU()', 'nn.MaxPool2d(3, stride=2)', 'nn.AvgPool2d(2, stride=2)',
      'nn.AdaptiveAvgPool2d(1)', 'nn.Flatten()', 'nn.BatchNorm1d(8)', 'nn.Dropout(0.5)', 'nn.Linear(8, 10)',
    ]);
  });

  it('plans a preset given by its name as its spec for the geometry\'s class count', () => {
    expect(planNetwork('lenet5', { ...COLOUR_32, classes: 7 }).spec).toBe(planNetwork(PRESETS.lenet5(7), { ...COLOUR_32, classes: 7 }).spec);
  });

  it('refuses batch norm on an input that is neither [C,H,W] nor [F] (the table\'s shape rule)', () => {
    expect(LAYER_KINDS.bn.outputShape({}, [3, 4])).toEqual({ problem: 'bn needs a [channels, height, width] or [features] input' });
    expect(LAYER_KINDS.bn.outputShape({}, [3, 4, 5])).toEqual({ shape: [3, 4, 5] });
    expect(LAYER_KINDS.bn.outputShape({}, [7])).toEqual({ shape: [7] });
  });

  it('refuses a geometry that is not whole numbers from 1 to 4096', () => {
    for (const [key, value] of [['channels', 0], ['height', 4097], ['width', 2.5], ['classes', Number.NaN]] as const) {
      expect(errorOf(() => planNetwork('flatten linear(10)', { ...MNIST, [key]: value })).message).toBe(
        `the input geometry has a bad ${key}: ${JSON.stringify(value)} (a whole number from 1 to 4096)`,
      );
    }
    expect(() => checkGeometry({ channels: 4096, height: 1, width: 1, classes: 1 })).not.toThrow();
    const error = errorOf(() => checkGeometry({ ...MNIST, width: 0 }));
    expect([error.code, error.exitCode]).toEqual(['ERR_BAD_ARGUMENT', 2]);
  });

  it('refuses more than 50 million parameters in one line naming the largest layer; 50 million itself plans', () => {
    // flatten linear(128) on 1×312×1252: 128 · (312 · 1252) + 128 = 128 · 390624 + 128 = 50,000,000 exactly.
    const atLimit = { channels: 1, height: 312, width: 1252, classes: 128 };
    expect(planNetwork('flatten linear(128)', atLimit).parameters).toBe(50_000_000);
    // One column more: 128 · (312 · 1253) + 128 = 128 · 390936 + 128 = 50,039,936.
    const over = errorOf(() => planNetwork('flatten linear(128)', { ...atLimit, width: 1253 }));
    expect(over.message).toBe('architecture: 50039936 parameters, more than the 50000000 xcnn trains or loads; the largest is layer 2 linear(128) (fc1) with 50039936: narrow it');
    expect(over.exitCode).toBe(2);
    // The paper's network at --widths 64,4096,4096, each width within its own bound: conv1 64·9 + 64 = 640,
    // conv2 4096·64·9 + 4096 = 2,363,392, fc1 4096·(4096·11·11) + 4096 = 2,030,047,232, fc2 10·4096 + 10 = 40,970.
    const wide = 'conv(64,3) relu maxpool(2) conv(4096,3) relu flatten linear(4096) relu linear(10)';
    expect(errorOf(() => planNetwork(wide, MNIST)).message).toBe(
      'architecture: 2032452234 parameters, more than the 50000000 xcnn trains or loads; the largest is layer 7 linear(4096) (fc1) with 2030047232: narrow it',
    );
    // Three equally large layers: the first is named. conv(4096,1) on 4096 channels: 4096·4096 + 4096 = 16,781,312
    // each; with linear(10)'s 10·4096 + 10 = 40,970, 3 · 16,781,312 + 40,970 = 50,384,906.
    expect(errorOf(() => planNetwork('conv(4096,1) conv(4096,1) conv(4096,1) flatten linear(10)', { channels: 4096, height: 1, width: 1, classes: 10 })).message).toBe(
      'architecture: 50384906 parameters, more than the 50000000 xcnn trains or loads; the largest is layer 1 conv(4096,1) (conv1) with 16781312: narrow it',
    );
  });

  it('prints a summary with every layer\'s output shape and parameter count', () => {
    expect(formatPlan(planNetwork('conv(4,3,pad=1) bn relu maxpool(2) flatten linear(10)', { channels: 3, height: 8, width: 8, classes: 10 })).split('\n')).toEqual([
      'layer    spec             output shape  parameters',
      'input                     [3, 8, 8]',
      'conv1    conv(4,3,pad=1)  [4, 8, 8]            112',
      'bn1      bn               [4, 8, 8]              8',
      'relu1    relu             [4, 8, 8]',
      'pool1    maxpool(2)       [4, 4, 4]',
      'flatten  flatten          [64]',
      'fc1      linear(10)       [10]                 650',
      '770 parameters; 10 classes',
    ]);
  });
});

describe('receptiveField', () => {
  it('places the paper network\'s relu2 cells 2 pixels apart, 8 pixels wide, cell 0 centred at 3.5', () => {
    const plan = planNetwork(resolveSpec('paper', 10), MNIST);
    expect(receptiveField(plan, 'conv1')).toEqual({ stride: 1, size: 3, centre: 1 });
    expect(receptiveField(plan, 'pool1')).toEqual({ stride: 2, size: 4, centre: 1.5 });
    expect(receptiveField(plan, 'relu2')).toEqual({ stride: 2, size: 8, centre: 3.5 });
  });

  it('moves a padded layer\'s cells back by the padding, and is the same through bn, relu and dropout', () => {
    const plan = planNetwork('conv(4,5,stride=2,pad=2) bn relu dropout(0.5) avgpool(3,stride=2) flatten linear(10)', MNIST);
    // conv: stride 2, size 5, centre (5−1)/2 − 2 = 0; pool: stride 4, size 5 + 2·2 = 9, centre 0 + 1·2 = 2.
    for (const name of ['conv1', 'bn1', 'relu1', 'dropout1']) expect(receptiveField(plan, name), name).toEqual({ stride: 2, size: 5, centre: 0 });
    expect(receptiveField(plan, 'pool1')).toEqual({ stride: 4, size: 9, centre: 2 });
  });

  it('is null after global pooling or flatten, and names an unknown layer', () => {
    const plan = planNetwork('conv(4,3) gap relu flatten linear(10)', MNIST);
    expect(receptiveField(plan, 'gap1')).toBeNull();
    expect(receptiveField(plan, 'relu1')).toBeNull();
    expect(receptiveField(plan, 'flatten')).toBeNull();
    expect(receptiveField(plan, 'fc1')).toBeNull();
    expect(errorOf(() => receptiveField(plan, 'conv9')).message).toBe("the network has no layer 'conv9'");
    expect(errorOf(() => receptiveField(plan, 'conv9')).code).toBe('ERR_BAD_ARGUMENT');
    // Flatten alone, with no global pooling before it, ends the fields too.
    const flat = planNetwork('conv(4,3) flatten linear(10)', MNIST);
    expect(receptiveField(flat, 'conv1')).toEqual({ stride: 1, size: 3, centre: 1 });
    expect(receptiveField(flat, 'flatten')).toBeNull();
    expect(receptiveField(flat, 'fc1')).toBeNull();
  });

  it('spans exactly the input pixels that change a cell when perturbed (brute force over random specs)', () => {
    // Positive weights, biases and inputs, and eval-mode bn at its initial statistics (the identity up to
    // 1/√(1 + ε)): every path is monotone increasing, so a large enough increase of one pixel changes
    // every cell it feeds, max pools included — no cell is blind to a pixel in its field.
    const specs = randomSpecs({ kinds: ['conv', 'maxpool', 'avgpool', 'bn', 'relu', 'dropout'], maxSize: 11, maxChannels: 2, maxLayers: 5, maxKernel: 3 });
    let cellsChecked = 0;
    fc.assert(
      fc.property(specs, fc.integer({ min: 0, max: 2 ** 31 }), (spec, seed) => {
        const { channels, height, width } = spec.geometry;
        const network = createNetwork(new ReferenceBackend({ precision: 'float64' }), spec.explicit, spec.geometry);
        const random = new Random(seed);
        for (const p of network.parameters) for (let k = 0; k < p.value.length; k++) p.value[k] = p.constant ?? random.uniform(0.5, 1);
        const input = Float64Array.from({ length: channels * height * width }, () => random.uniform(0, 1));
        const spatial = network.plan!.layers.filter((l) => l.outputShape.length === 3 && l.spec.kind !== 'gap');
        network.forward(input, 1);
        const baseline = new Map(spatial.map((l) => [l.name, Float64Array.from(network.activations(l.name))]));
        // reached[layer][cell] = the rows and columns of the pixels whose perturbation changed the cell (any channel).
        const reached = new Map(spatial.map((l) => [l.name, Array.from({ length: l.outputShape[1] * l.outputShape[2] }, () => ({ rows: new Set<number>(), columns: new Set<number>() }))]));
        for (let u = 0; u < height; u++) {
          for (let v = 0; v < width; v++) {
            const perturbed = Float64Array.from(input);
            perturbed[u * width + v] += 1e12; // channel 0
            network.forward(perturbed, 1);
            for (const layer of spatial) {
              const [c, h, w] = layer.outputShape;
              const before = baseline.get(layer.name)!;
              const after = network.activations(layer.name);
              for (let k = 0; k < c * h * w; k++) {
                if (after[k] === before[k]) continue;
                const cell = reached.get(layer.name)![k % (h * w)];
                cell.rows.add(u);
                cell.columns.add(v);
              }
            }
          }
        }
        for (const layer of spatial) {
          const field = receptiveField(network.plan!, layer.name)!;
          const [, h, w] = layer.outputShape;
          for (let i = 0; i < h; i++) {
            for (let j = 0; j < w; j++) {
              const { rows, columns } = reached.get(layer.name)![i * w + j];
              const where = `${spec.explicit} on ${height}×${width}: ${layer.name} cell (${i}, ${j})`;
              const axes = [
                { pixels: rows, cell: i, size: height },
                { pixels: columns, cell: j, size: width },
              ].map((axis) => ({ ...axis, start: field.stride * axis.cell + field.centre - (field.size - 1) / 2 }));
              // Every pixel that reaches the cell lies inside its field…
              for (const { pixels, start } of axes) {
                for (const p of pixels) expect(p >= start && p <= start + field.size - 1, `${where}: pixel ${p} outside [${start}, ${start + field.size - 1}]`).toBe(true);
              }
              // …and a field inside the image is reached at both ends: its extent and centre are the brute force's.
              if (axes.every(({ start, size }) => start >= 0 && start + field.size - 1 <= size - 1)) {
                for (const { pixels, cell, start } of axes) {
                  expect([Math.min(...pixels), Math.max(...pixels)], where).toEqual([start, start + field.size - 1]);
                  expect((Math.min(...pixels) + Math.max(...pixels)) / 2, where).toBe(field.stride * cell + field.centre);
                }
                cellsChecked++;
              }
            }
          }
        }
      }),
      { numRuns: 40 },
    );
    expect(cellsChecked).toBeGreaterThan(100); // the exact comparison ran, not only the containment
  });
});

describe('explainableLayers', () => {
  it('lists each convolution\'s block, named by its last bn / relu / dropout, in network order', () => {
    const plan = planNetwork('conv(4,3) bn relu maxpool(2) conv(4,3) conv(6,3) relu dropout(0.2) bn gap flatten linear(10)', MNIST);
    expect(explainableLayers(plan)).toEqual([
      { name: 'relu1', conv: 'conv1', outputShape: [4, 26, 26] },
      { name: 'conv2', conv: 'conv2', outputShape: [4, 11, 11] },
      { name: 'bn2', conv: 'conv3', outputShape: [6, 9, 9] },
    ]);
    expect(explainableLayers(planNetwork(resolveSpec('paper', 10), MNIST)).map((b) => b.name)).toEqual(['relu1', 'relu2']);
    expect(explainableLayers(planNetwork(resolveSpec('modern', 10), MNIST)).map((b) => b.name)).toEqual(['relu1', 'relu2', 'relu3', 'relu4']);
  });

  it('is empty for a network without a convolution', () => {
    expect(explainableLayers(planNetwork('avgpool(2) flatten linear(10)', MNIST))).toEqual([]);
  });

});

describe('presets', () => {
  it('every preset ends in linear(classes) for the class count it is given', () => {
    for (const name of Object.keys(PRESETS)) {
      for (const classes of [2, 10, 47]) expect(parseSpec(resolveSpec(name, classes)).at(-1), name).toEqual({ kind: 'linear', args: { out: classes } });
    }
    expect(resolveSpec(' lenet5 ', 10)).toBe(PRESETS.lenet5(10));
    expect(resolveSpec('conv(8,3) flatten linear(10)', 10)).toBe('conv(8,3) flatten linear(10)');
  });
});
