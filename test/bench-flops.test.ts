/**
 * The bench's count of a training step's arithmetic (bench/training-step.ts stepFlopsPerImage), against counts
 * worked by hand from each preset's layers: a convolution's multiply-adds are its outputs times C·K·K, a linear
 * layer's its inputs times its outputs; the backward pass repeats each for the weight gradient and again for the
 * input gradient, except the first layer's; 2 FLOPs a multiply-add.
 */
import { describe, expect, it } from 'vitest';
import { gemmRateOf } from '../bench/bench-group.js';
import { GEMM_RATE_SHAPE } from '../bench/simd-ceiling.js';
import { STEP_FLOPS_PER_IMAGE, stepFlopsPerImage } from '../bench/training-step.js';
import { PRESETS } from '../src/model/spec.js';

describe('the bench’s FLOPs per image of a training step', () => {
  it("counts the paper's network as the worked count in bench/training-step.ts", () => {
    // conv1 26·26·32·9, conv2 11·11·64·288, fc1 7744·128, fc2 128·10
    const forward = 194_688 + 2_230_272 + 991_232 + 1_280;
    const backward = 194_688 + 2 * (2_230_272 + 991_232 + 1_280);
    expect(stepFlopsPerImage(PRESETS.paper(10))).toBe(2 * (forward + backward));
    expect(STEP_FLOPS_PER_IMAGE).toBe(20_115_456);
  });

  it('counts LeNet-5 and the modern preset layer by layer; pools, batch norm, ReLU and dropout add none', () => {
    // LeNet-5: conv(6,5,pad=2) 28·28·6·25, conv(16,5) 10·10·16·150, linear 400·120, 120·84, 84·10
    const lenet = [117_600, 240_000, 48_000, 10_080, 840];
    // modern: conv 28·28·32·9; stride 2: 14·14·32·288; 14·14·64·288; stride 2: 7·7·64·576; linear 3136·128, 128·10
    const modern = [225_792, 1_806_336, 3_612_672, 1_806_336, 401_408, 1_280];
    const step = (macs: number[]) => 2 * (macs.reduce((a, b) => a + b) + macs[0] + 2 * macs.slice(1).reduce((a, b) => a + b));
    expect(stepFlopsPerImage(PRESETS.lenet5(10))).toBe(step(lenet));
    expect(stepFlopsPerImage(PRESETS.modern(10))).toBe(step(modern));
    expect(step(lenet)).toBe(2_263_920);
  });
});

describe("the bench's GEMM rate, the whole a training step is read against", () => {
  it("is the build's GEMM rate times the threads, and null before the SIMD ceiling group measured it", () => {
    const context = { gemmGflops: { simd: 30, 'relaxed-simd': 40 } } as never;
    expect(gemmRateOf(context, 'relaxed-simd', 2)).toBe(80);
    expect(gemmRateOf(context, 'simd', 1)).toBe(30);
    expect(gemmRateOf({ gemmGflops: {} } as never, 'simd', 1)).toBeNull();
    expect(GEMM_RATE_SHAPE).toEqual({ M: 150, N: 2048, K: 256 }); // one of the relaxed build's M blocks, N blocks and K blocks
  });
});
