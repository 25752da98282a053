/**
 * The bounds bench/step-profile.ts reads off a profile (bench/step-bound.ts): which parts of a step are its counted
 * multiply-adds, and how near the ceiling a step can come at a given rate for them with the rest as measured —
 * against counts and times worked by hand.
 */
import { describe, expect, it } from 'vitest';
import { boundPercent, partFlops, requiredRatePercent } from '../bench/step-bound.js';
import { MNIST_GEOMETRY } from '../src/model/network.js';
import { planNetwork, PRESETS } from '../src/model/spec.js';

describe('the parts of a step that do multiply-adds', () => {
  const lenet = planNetwork(PRESETS.lenet5(10), MNIST_GEOMETRY);

  it("are each convolution's and linear layer's passes, counted as direct, 2 FLOPs a multiply-add, for the batch", () => {
    const flops = partFlops(lenet, 64, true);
    // conv1: 28·28·6 outputs × 1·5·5 taps; conv2: 10·10·16 × 6·5·5; fc1 400 → 120, fc2 120 → 84, fc3 84 → 10
    expect(flops.get('conv1 forward')).toBe(2 * 117_600 * 64);
    expect(flops.get('conv2 forward')).toBe(2 * 240_000 * 64);
    expect(flops.get('fc3 forward')).toBe(2 * 840 * 64);
    // backward: the weight gradient and the input gradient, each as many as the forward — but the first layer's
    // input gradient, which nobody needs
    expect(flops.get('conv2 backward')).toBe(2 * 2 * 240_000 * 64);
    expect(flops.get('fc1 backward')).toBe(2 * 2 * 48_000 * 64);
    expect(flops.get('conv1 backward')).toBe(2 * 117_600 * 64);
  });

  it('leave pools, ReLUs, flatten, batch norm and dropout to the rest, and an inference pass has no backward', () => {
    expect([...partFlops(lenet, 1, true).keys()].sort()).toEqual(
      ['conv1', 'conv2', 'fc1', 'fc2', 'fc3'].flatMap((name) => [`${name} backward`, `${name} forward`]).sort(),
    );
    const modern = partFlops(planNetwork(PRESETS.modern(10), MNIST_GEOMETRY), 1, false);
    expect([...modern.keys()]).toEqual(['conv1 forward', 'conv2 forward', 'conv3 forward', 'conv4 forward', 'fc1 forward', 'fc2 forward']);
    // the strided 3×3 convolution 32 → 32 to 14·14, and the one 64 → 64 to 7·7: the same count
    expect(modern.get('conv2 forward')).toBe(2 * 14 * 14 * 32 * 288);
    expect(modern.get('conv4 forward')).toBe(2 * 7 * 7 * 64 * 576);
  });
});

describe('how near the ceiling a step can come', () => {
  it('is 100 % with every multiply-add at the ceiling and no rest, and the rate itself with no rest', () => {
    expect(boundPercent(100, 0, 50, 50)).toBeCloseTo(100, 12);
    expect(boundPercent(100, 0, 40, 50)).toBeCloseTo(80, 12);
  });

  it('loses the rest: 100 MFLOP at 50 GFLOP/s take 2 ms, with 1 ms of rest the step runs at 100 / 3 ms, 2/3 of 50', () => {
    expect(boundPercent(100, 1, 50, 50)).toBeCloseTo(200 / 3, 10);
    // at the GEMM's 40 GFLOP/s: 2.5 ms + 1 ms, 100 / 3.5 = 28.57 GFLOP/s, 57.1 % of 50
    expect(boundPercent(100, 1, 40, 50)).toBeCloseTo((100 * 100) / 3.5 / 50, 10);
  });

  it('turned round: the rate the multiply-adds need for a target, above the ceiling when the rest takes too much', () => {
    // 80 % of 50 GFLOP/s is 40: 100 MFLOP in 2.5 ms; 0.5 ms of rest leaves 2 ms, 50 GFLOP/s — the ceiling itself
    expect(requiredRatePercent(100, 0.5, 50, 80)).toBeCloseTo(100, 10);
    expect(requiredRatePercent(100, 0, 50, 80)).toBeCloseTo(80, 10);
    // 1 ms of rest leaves 1.5 ms: 66.7 GFLOP/s, 133 % of the ceiling — out of reach
    expect(requiredRatePercent(100, 1, 50, 80)).toBeCloseTo(400 / 3, 10);
    expect(requiredRatePercent(100, 2.5, 50, 80)).toBe(Infinity);
    expect(requiredRatePercent(100, 3, 50, 80)).toBe(Infinity);
    // and it is boundPercent's inverse
    expect(boundPercent(100, 1, (requiredRatePercent(100, 1, 50, 80) / 100) * 50, 50)).toBeCloseTo(80, 10);
  });
});
