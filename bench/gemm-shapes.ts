/**
 * Group 2: the GEMM on the shapes the network's training step hands it (batch 64), in GFLOP/s and as
 * a fraction of the SIMD ceiling. Convolutions run one GEMM per image (im2col layout, see
 * assembly/im2col.ts), so their rows time the 64 calls of one batch; dense layers are one call. A
 * convolution's forward and weight-gradient GEMMs take their B from the image (gemmIm2col, packing the
 * im2col matrix straight into the panel), as the backend runs them, so those rows include that packing;
 * conv1's weight gradient runs transposed, with the image as A (gemmIm2colA).
 * The transposes are the ones src/backend/wasm/wasm-backend.ts uses: N = as stored, T = transposed.
 */
import { Random } from '../src/random.js';
import { medianMs, percentOf, randomFloats, significant, type BenchGroup, type BenchRow } from './bench-group.js';

interface GemmShape {
  layer: string;
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
  /** GEMM calls per batch of 64 (one per image for convolutions). */
  calls: number;
  accumulate: boolean;
  /** When B (gemmIm2col), or A with imageAsA (gemmIm2colA), is the im2col matrix of an image of this shape. */
  image?: { channels: number; height: number; width: number; kernelSize: number };
  imageAsA?: boolean;
}

const conv1Image = { channels: 1, height: 28, width: 28, kernelSize: 3 };
const conv2Image = { channels: 32, height: 13, width: 13, kernelSize: 3 };

const BATCH = 64;

export const networkGemmShapes: GemmShape[] = [
  { layer: 'conv1 forward', transA: false, transB: false, M: 32, N: 26 * 26, K: 9, calls: BATCH, accumulate: false, image: conv1Image },
  // conv1's weight gradient runs transposed, dWᵀ = columns · dOutᵀ (see wasm-backend.ts conv2dBackward)
  { layer: 'conv1 weight grad', transA: false, transB: true, M: 9, N: 32, K: 26 * 26, calls: BATCH, accumulate: true, image: conv1Image, imageAsA: true },
  { layer: 'conv2 forward', transA: false, transB: false, M: 64, N: 11 * 11, K: 288, calls: BATCH, accumulate: false, image: conv2Image },
  { layer: 'conv2 weight grad', transA: false, transB: true, M: 64, N: 288, K: 11 * 11, calls: BATCH, accumulate: true, image: conv2Image },
  { layer: 'conv2 input grad', transA: true, transB: false, M: 288, N: 11 * 11, K: 64, calls: BATCH, accumulate: false },
  { layer: 'fc1 forward', transA: false, transB: true, M: BATCH, N: 128, K: 7744, calls: 1, accumulate: false },
  { layer: 'fc1 weight grad', transA: true, transB: false, M: 128, N: 7744, K: BATCH, calls: 1, accumulate: true },
  { layer: 'fc1 input grad', transA: false, transB: false, M: BATCH, N: 7744, K: 128, calls: 1, accumulate: false },
  { layer: 'fc2 forward', transA: false, transB: true, M: BATCH, N: 10, K: 128, calls: 1, accumulate: false },
  { layer: 'fc2 weight grad', transA: true, transB: false, M: 10, N: 128, K: BATCH, calls: 1, accumulate: true },
  { layer: 'fc2 input grad', transA: false, transB: false, M: BATCH, N: 128, K: 10, calls: 1, accumulate: false },
];

export const gemmShapesGroup: BenchGroup = {
  name: 'GEMM on the network’s shapes',
  description: 'C (M×N) = op(A)·op(B), batch 64; GFLOP/s = calls·2·M·N·K / time; % of the SIMD ceiling',
  async run(context) {
    const { wasm } = context;
    const random = new Random(1);
    const rows: BenchRow[] = [];
    for (const s of networkGemmShapes) {
      const A = randomFloats(wasm, s.M * s.K, random);
      const B = randomFloats(wasm, s.K * s.N, random);
      const C = wasm.allocFloats(s.M * s.N);
      const lda = s.transA ? s.M : s.K;
      const ldb = s.transB ? s.K : s.N;
      const image = s.image === undefined ? null : randomFloats(wasm, s.image.channels * s.image.height * s.image.width, random);
      const ms = await medianMs(s.layer, () => {
        for (let call = 0; call < s.calls; call++) {
          if (image !== null && s.imageAsA) wasm.gemmIm2colA(s.transB, s.N, image, s.image!, B, ldb, C, s.N, s.accumulate);
          else if (image !== null) wasm.gemmIm2col(s.transA, s.transB, s.M, A, lda, image, s.image!, C, s.N, s.accumulate);
          else wasm.gemm(s.transA, s.transB, s.M, s.N, s.K, A, lda, B, ldb, C, s.N, s.accumulate);
        }
      }, { time: 400 });
      const gflops = (s.calls * 2 * s.M * s.N * s.K) / (ms * 1e6);
      rows.push({
        layer: s.layer,
        op: `${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}${s.image ? `, ${s.imageAsA ? 'A' : 'B'} from image` : ''}`,
        'M×N×K': `${s.M}×${s.N}×${s.K}`,
        calls: s.calls,
        'ms/batch': significant(ms),
        'GFLOP/s': significant(gflops),
        '% of ceiling': percentOf(gflops, context.ceilingGflops),
      });
    }
    return rows;
  },
};
