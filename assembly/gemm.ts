/**
 * GEMM — single-precision matrix product with WebAssembly SIMD (f32x4). Every convolution and dense
 * layer of the network, forward and backward, is one of these.
 *
 * Transpose convention (the only one in this project):
 *
 *   gemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, accumulate)
 *     C  (M×N, row-major, row stride ldc)  =  op(A) · op(B)      accumulate = 0
 *                                         +=  op(A) · op(B)      accumulate = 1
 *     op(A) is M×K:  A itself when transA = 0 (A stored M×K, element (i,k) at A[i·lda + k]),
 *                    Aᵀ        when transA = 1 (A stored K×M, element (i,k) at A[k·lda + i]).
 *     op(B) is K×N:  B itself when transB = 0 (B stored K×N, element (k,j) at B[k·ldb + j]),
 *                    Bᵀ        when transB = 1 (B stored N×K, element (k,j) at B[j·ldb + k]).
 *   A, B, C are byte addresses in linear memory; M, N, K, lda, ldb, ldc count floats.
 *
 * Blocking (Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", ACM TOMS 2008,
 * in the loop order of BLIS):
 *
 *   for jc in 0..N step NC
 *     for pc in 0..K step KC
 *       pack op(B)[pc:+kc, jc:+nc] into bPanel: ⌈nc/NR⌉ slivers, each kc×NR, row k of a sliver at k·NR
 *       for ic in 0..M step MC
 *         pack op(A)[ic:+mc, pc:+kc] into aPanel: ⌈mc/MR⌉ slivers, each kc×MR, column k at k·MR
 *         for jr in 0..nc step NR          one B sliver (KC·NR·4 B = 8 KiB) stays in L1 ...
 *           for ir in 0..mc step MR        ... while the A slivers (MC·KC·4 B ≈ 128–150 KiB, in L2) stream past
 *             micro-kernel: C[ic+ir:+MR, jc+jr:+NR] (+)= aSliver · bSliver
 *
 * — except that a K block of at most 128 (SHORT_KC) swaps the two inner loops, walking C along its rows
 * (macroKernelByRows, where the reason is).
 *
 * The micro-kernel keeps an MR×NR tile of C in v128 accumulators (two per row), all operands in
 * registers. The budget is the 15 vector registers V8 allocates on x64, and V8 places every memory load
 * of the loop body at its top, ahead of the arithmetic, so all of one step's loaded values are live at
 * once. The tile is chosen per build (MR is a compile-time constant, so each build has one kernel):
 *
 *   plain (no fused multiply-add): 4×8. Each step of k loads one row of the B sliver (two v128) and
 *     broadcasts four A values (v128.load32_splat), then does 8 f32x4.mul + 8 f32x4.add — 64 flops from
 *     6 loads. 8 accumulators + 2 B + 4 broadcasts + 1 product temporary = 15 registers. Eight chains
 *     cover the add latency, and the multiplies are off the chains.
 *   relaxed (f32x4.relaxed_madd, a fused multiply-add): 5×8, 10 chains c ← fma(a, b, c) — enough to
 *     cover the fused latency (4 cycles at 2 per cycle on Zen needs 8) — 80 flops a step from 4 loads:
 *     B's two vectors, A's rows 0–3 as one v128 and row 4 as a broadcast. Rows 0–3 are splatted from
 *     their v128 by shuffles, which V8 (unlike loads) places right before their two madds, so one
 *     temporary serves all four: 10 + 2 + 1 + 1 + 1 = 15 registers.
 *   Measured on a Zen core, micro-kernel alone (both ceilings are equal there: 2 fused, or 2 mul + 2
 *     add, a cycle): 5×8 fused 97 % of the ceiling, 4×8 fused and 4×8 mul + add 87 %. Rejected: 6×8
 *     fused spills accumulators (20 registers with six broadcasts hoisted, 17 with shuffles) and runs at
 *     20 % (broadcasts) or 80 % (shuffles) of 4×8; 5×8 with mul + add needs the product temporary too,
 *     spills, and runs at 80 %; 3×12 fused (9 + 3 + 3) fits but reaches only 92 %.
 *
 * On the network's shapes the whole GEMM reaches 75–85 % of the ceiling of ceiling.ts in the plain build
 * and 80–87 % in the relaxed one (npm run bench); the rest is packing and edges, the same in both.
 *
 * Transposes are expressed only in the packing, never materialised in a pass of their own: a sliver
 * wants A column by column and B row by row, so Aᵀ and B are straight v128 copies, while a row-major
 * A and a transposed B are transposed on the fly, 4×4 blocks at a time with shuffles (a 5-row sliver
 * takes row 4 of each block lane by lane).
 * Edges: packing pads partial slivers with zeros. A last tile of fewer rows than MR runs a kernel of its own
 * height (1–2 rows: 2×8; 3–4 rows in the relaxed build: the 5×8 tile without its row 4), a tile of fewer
 * columns than NR the full width; an edge tile goes through a small scratch tile and only its valid rows and
 * columns reach C. Every M, N, K ≥ 1 is therefore handled exactly, with no reads or writes outside the
 * three matrices, and each element of C is the same chain of madds whatever tile it falls in.
 *
 * gemmIm2col is the same loop with B the im2col matrix of an image, packed straight from the image by
 * the packers of im2col.ts (a convolution's forward and weight gradient), never materialised; gemmIm2colA
 * the same with A (a narrow convolution's weight gradient, computed transposed).
 *
 * gemmPackedB is the loop with B packed already, whole (packBWhole: every panel in the loop's order), for a B that
 * many products share (Winograd's transformed kernels): the macro-kernels read each panel where it lies.
 *
 * The packing panels belong to the caller (the backend reserves them once, see gemmWorkspace), so the
 * module itself allocates nothing.
 */

import { im2colPackScratchInts, packIm2colAPanel, packIm2colPanel, packIm2colRowsPanel, packIm2colTransposedPanel } from './im2col';

// Tile rows: 5 with fused multiply-add (relaxed build), 4 with mul + add (plain build); see above.
export const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 5 : 4;
export const NR: i32 = 8;
export const KC: i32 = 256;
// A multiple of MR, so that the A panel holds exactly MC / MR slivers (150 = 30 · 5, and M ≤ 128 is one block).
export const MC: i32 = ASC_FEATURE_RELAXED_SIMD ? 150 : 128;
export const NC: i32 = 2048;

/**
 * Floats the two packing panels need: A panel MC×KC, B panel KC×NC — and after the B panel, the few
 * i32s of scratch the im2col packers use (row and position offsets).
 */
export function gemmAPanelFloats(): i32 {
  return MC * KC;
}
export function gemmBPanelFloats(): i32 {
  return KC * NC + im2colPackScratchInts(KC);
}

// This instance's scratch. Globals, not static data: each thread instantiates the module over the one
// shared memory, and globals are per instance, so every thread packs into panels of its own.
let aPanel: usize = 0;
let bPanel: usize = 0;
let edgeTile: usize = 0; // an edge tile is written here first, then its valid part is copied to C

/** Floats of the edge tile gemmWorkspace wants. */
export function gemmEdgeTileFloats(): i32 {
  return MR * NR;
}

/**
 * Tells this instance where its packing panels and edge tile are (byte addresses, 16-byte aligned,
 * sizes as above); each thread gives its own.
 */
export function gemmWorkspace(aPanelPtr: usize, bPanelPtr: usize, edgeTilePtr: usize): void {
  aPanel = aPanelPtr;
  bPanel = bPanelPtr;
  edgeTile = edgeTilePtr;
}

/**
 * c + a·b. In the relaxed-SIMD build (asconfig target `relaxed`) this is f32x4.relaxed_madd, a fused
 * multiply-add where the CPU has one (one rounding instead of two, twice the flops per instruction);
 * in the plain build it is f32x4.mul then f32x4.add. Chosen at compile time: no branch at run time.
 */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

export function gemm(
  transA: i32,
  transB: i32,
  M: i32,
  N: i32,
  K: i32,
  A: usize,
  lda: i32,
  B: usize,
  ldb: i32,
  C: usize,
  ldc: i32,
  accumulate: i32,
): void {
  blockedGemm(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, accumulate, FROM_MATRICES, 0, 0, 0, 1);
}

/**
 * gemm with the im2col matrix of one image as B, never materialised: B's packing reads the image
 * [C, H, W] straight into the panel (im2col.ts), so the product is bit-for-bit gemm on the columns.
 * With stride S > 1 the "image" is the (padded) image's phase block [C, S, S, PH, PW] (splitPhases in
 * im2col-strided.ts) and height, width the padded image's sides; stride 1 takes the (padded) image itself.
 *   transB = 0: op(B) = columns [C·K·K, OH·OW]   (a convolution's forward: K = C·K·K, N = OH·OW)
 *   transB = 1: op(B) = columnsᵀ [OH·OW, C·K·K]  (its weight gradient: K = OH·OW, N = C·K·K)
 * The caller makes M, N, K agree with the image's shape; C (the channels) is implied by them.
 * A group of images: N (transB = 0) or K (transB = 1) may span G·OH·OW positions, the columns of G images
 * side by side, whose images (or phase blocks) lie `imageFloats` apart from `image` on (im2col.ts, Groups).
 */
export function gemmIm2col(
  transA: i32,
  transB: i32,
  M: i32,
  N: i32,
  K: i32,
  A: usize,
  lda: i32,
  image: usize,
  imageFloats: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  C: usize,
  ldc: i32,
  accumulate: i32,
): void {
  blockedGemm(transA, transB, M, N, K, A, lda, image, imageFloats, C, ldc, accumulate, B_FROM_IMAGE, height, width, kernelSize, stride);
}

/**
 * gemm with the im2col matrix of one image as A (op(A) = columns [C·K·K, OH·OW], M = C·K·K, K = OH·OW),
 * never materialised: A's packing reads the image straight into the panel (im2col.ts). A convolution
 * whose C·K·K is narrower than its F (conv1: 9 against 32) computes its weight gradient transposed with
 * it, dWᵀ [C·K·K, F] += columns · dOutᵀ, so that the narrow dimension is M, split into tiles of MR rows,
 * rather than N, padded to slivers of NR = 8 columns (9 columns cost 16; 9 rows cost 10 in tiles of 5).
 */
export function gemmIm2colA(
  transB: i32,
  M: i32,
  N: i32,
  K: i32,
  image: usize,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  B: usize,
  ldb: i32,
  C: usize,
  ldc: i32,
  accumulate: i32,
): void {
  blockedGemm(0, transB, M, N, K, image, 0, B, ldb, C, ldc, accumulate, A_FROM_IMAGE, height, width, kernelSize, stride);
}

/**
 * gemm with the transposed im2col matrix of a group of images as A (op(A) = columnsᵀ [G·OH·OW, C·K·K], M =
 * G·OH·OW positions, K = C·K·K), never materialised: A's packing reads the images straight into the panel
 * (im2col.ts packIm2colRowsPanel), the images (or phase blocks) `imageFloats` apart. A convolution's output
 * transposed, outᵀ [positions, F] = columnsᵀ · Wᵀ (transB = 1, B = W [F, C·K·K]): for few filters (LeNet-5's
 * conv2: 16) the positions fill the tiles' rows that the filters would leave empty, and every element is the
 * same chain of madds as in W · columns.
 */
export function gemmIm2colRows(
  transB: i32,
  M: i32,
  N: i32,
  K: i32,
  image: usize,
  imageFloats: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
  B: usize,
  ldb: i32,
  C: usize,
  ldc: i32,
  accumulate: i32,
): void {
  blockedGemm(0, transB, M, N, K, image, imageFloats, B, ldb, C, ldc, accumulate, A_ROWS_FROM_IMAGE, height, width, kernelSize, stride);
}

/**
 * Floats of a K×N B packed whole by packBWhole: every panel blockedGemm would pack from it, in its order — by
 * N block (NC columns), then by K block (KC rows), each panel kc × ⌈nc/NR⌉·NR floats — so K · ⌈N/NR⌉·NR in all.
 */
export function packedBFloats(K: i32, N: i32): i32 {
  return K * roundUpToSliver(N);
}

/**
 * B [K, N] (row-major, ldb floats a row) packed whole into `packed` (packedBFloats(K, N) floats, 16-byte aligned):
 * the panels of every product gemmPackedB then takes it for, packed once. For a B that many products share —
 * Winograd's transformed kernels U_ξ, the same for every chunk of images of a layer and, while its weights
 * stay, of every batch — instead of packing it again in each.
 */
export function packBWhole(B: usize, ldb: i32, K: i32, N: i32, packed: usize): void {
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) packB(B, ldb, pc, jc, min(KC, K - pc), nc, packed + packedPanelOffset(jc, pc, K, nc));
  }
}

/**
 * gemm with op(B) = B as packBWhole packed it (`packed`, the same K and N): the same loop, the same panels, so
 * bit for bit gemm(transA, 0, …) on B — without packing B.
 */
export function gemmPackedB(transA: i32, M: i32, N: i32, K: i32, A: usize, lda: i32, packed: usize, C: usize, ldc: i32, accumulate: i32): void {
  blockedGemm(transA, 0, M, N, K, A, lda, packed, 0, C, ldc, accumulate, B_PACKED, 0, 0, 0, 1);
}

// ⌈n/NR⌉·NR: the columns of n columns' slivers, the last zero-padded.
// @ts-ignore: decorator
@inline
function roundUpToSliver(n: i32): i32 {
  return ((n + NR - 1) / NR) * NR;
}

// Byte offset of the panel of block (jc, pc) in a B packed whole: every earlier N block is NC columns wide (a
// multiple of NR), so K·jc floats before this one, then pc rows of its ⌈nc/NR⌉·NR-wide slivers.
// @ts-ignore: decorator
@inline
function packedPanelOffset(jc: i32, pc: i32, K: i32, nc: i32): usize {
  return (<usize>jc * K + <usize>pc * roundUpToSliver(nc)) << 2;
}

// Where blockedGemm's operands come from (a literal at each call, so each caller compiles to its own loop).
const FROM_MATRICES = 0; // A (lda) and B (ldb) are matrices
const B_FROM_IMAGE = 1; // B is the im2col matrix of the image at B (height, width, kernelSize), or of a group of images ldb floats apart
const A_FROM_IMAGE = 2; // A is the im2col matrix of the image at A
const A_ROWS_FROM_IMAGE = 3; // A is the transposed im2col matrix of a group of images at A, lda floats apart
const B_PACKED = 4; // B is packed already, whole (packBWhole): its panels are read where they lie

// The blocked loop of them all.
// @ts-ignore: decorator
@inline
function blockedGemm(
  transA: i32,
  transB: i32,
  M: i32,
  N: i32,
  K: i32,
  A: usize,
  lda: i32,
  B: usize,
  ldb: i32,
  C: usize,
  ldc: i32,
  accumulate: i32,
  operands: i32,
  height: i32,
  width: i32,
  kernelSize: i32,
  stride: i32,
): void {
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      // The B panel of this block: packed here into this instance's, or where B packed whole has it.
      const panel = operands == B_PACKED ? B + packedPanelOffset(jc, pc, K, nc) : bPanel;
      if (operands == B_FROM_IMAGE) {
        const scratch = bPanel + ((<usize>KC * NC) << 2);
        if (transB) packIm2colTransposedPanel(bPanel, scratch, B, ldb, height, width, kernelSize, stride, pc, jc, kc, nc);
        else packIm2colPanel(bPanel, scratch, B, ldb, height, width, kernelSize, stride, pc, jc, kc, nc);
      } else if (operands == B_PACKED) {
        // nothing to pack
      } else if (transB) packBTransposed(B, ldb, pc, jc, kc, nc);
      else packB(B, ldb, pc, jc, kc, nc, bPanel);
      // Only the first K block may overwrite C; the later ones add their share to it.
      const addToC = accumulate != 0 || pc > 0;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        if (operands == A_FROM_IMAGE) packIm2colAPanel(aPanel, bPanel + ((<usize>KC * NC) << 2), MR, A, height, width, kernelSize, stride, ic, pc, mc, kc);
        else if (operands == A_ROWS_FROM_IMAGE) packIm2colRowsPanel(aPanel, bPanel + ((<usize>KC * NC) << 2), MR, A, lda, height, width, kernelSize, stride, ic, pc, mc, kc);
        else if (transA) packATransposed(A, lda, ic, pc, mc, kc);
        else packA(A, lda, ic, pc, mc, kc);
        macroKernel(mc, nc, kc, panel, C + ((<usize>ic * ldc + jc) << 2), ldc, addToC);
      }
    }
  }
}

// C[0:mc, 0:nc] (+)= aPanel · the B panel at `panel`, tile by tile: down each column of tiles (BLIS's order, the
// B sliver in L1) or, for a short K block, along each row of tiles (below).
function macroKernel(mc: i32, nc: i32, kc: i32, panel: usize, C: usize, ldc: i32, addToC: bool): void {
  if (kc <= SHORT_KC) {
    macroKernelByRows(mc, nc, kc, panel, C, ldc, addToC);
    return;
  }
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const bSliver = panel + ((<usize>jr * kc) << 2);
    for (let ir = 0; ir < mc; ir += MR) {
      const rows = min(MR, mc - ir);
      const aSliver = aPanel + ((<usize>ir * kc) << 2);
      const cTile = C + ((<usize>ir * ldc + jr) << 2);
      microKernel(kc, aSliver, bSliver, cTile, ldc, rows, cols, addToC);
    }
  }
}

/**
 * A K block this short (kc ≤ 128) does few multiply-adds per C tile — kc·MR·NR against the tile's load and store —
 * so where C's tiles lie matters more than where B's sliver does. Down a column of tiles (BLIS's order) the tiles
 * are MR rows of 32 bytes, ldc floats apart: on a wide C (fc1's weight gradient, 128 × 7,744, 4 MB) every row is a
 * miss no prefetcher follows. Along a row of tiles they are MR runs of contiguous memory, and the B slivers the
 * row passes (the whole panel, kc·nc·4 ≤ 1 MB) come from L2. Measured (one thread, CPU time, in a training step of
 * the paper net): fc1's backward pass 8.0–8.7 → 6.2–6.4 ms, its weight gradient alone 3.2–3.3 → 2.7–2.8 ms; the
 * Winograd GEMMs (K = 32 and 64) unchanged within noise (docs/speed-history.md).
 */
const SHORT_KC: i32 = 128;

// C[0:mc, 0:nc] (+)= aPanel · the B panel at `panel`, along each row of tiles in turn.
function macroKernelByRows(mc: i32, nc: i32, kc: i32, panel: usize, C: usize, ldc: i32, addToC: bool): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const aSliver = aPanel + ((<usize>ir * kc) << 2);
    for (let jr = 0; jr < nc; jr += NR) {
      const cols = min(NR, nc - jr);
      const bSliver = panel + ((<usize>jr * kc) << 2);
      const cTile = C + ((<usize>ir * ldc + jr) << 2);
      microKernel(kc, aSliver, bSliver, cTile, ldc, rows, cols, addToC);
    }
  }
}

// One MR×NR tile, by the build's micro-kernel (chosen at compile time, as madd is): C[0:rows, 0:cols] (+)= aSliver · bSliver.
// A last tile of fewer rows (M not a multiple of MR: the packed sliver's other rows are zeros) runs a kernel of
// its height, not the full one over zeros: 1–2 rows by 2×8, and in the relaxed build 3–4 rows by the 5×8 tile
// without its row 4. Each sum is the same chain of madds in k, so C is bit for bit the full tile's. (The
// relaxed build's M = 32 is 6·5 + 2: its last tile costs 2/5 of a full one instead of all of it.)
// @ts-ignore: decorator
@inline
function microKernel(kc: i32, a: usize, b: usize, c: usize, ldc: i32, rows: i32, cols: i32, addToC: bool): void {
  if (rows <= 2) microKernel2x8(kc, a, b, c, ldc, rows, cols, addToC);
  else if (!ASC_FEATURE_RELAXED_SIMD) microKernel4x8(kc, a, b, c, ldc, rows, cols, addToC);
  else if (rows < MR) microKernel4x8FromFive(kc, a, b, c, ldc, rows, cols, addToC);
  else microKernel5x8(kc, a, b, c, ldc, rows, cols, addToC);
}

// A tile of 1 or 2 rows: C[0:rows, 0:cols] (+)= Σ_k aSliver[k·MR + r] · bSliver[k·8 + j], r < 2.
// @ts-ignore: decorator
@inline
function microKernel2x8(kc: i32, a: usize, b: usize, c: usize, ldc: i32, rows: i32, cols: i32, addToC: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a0 = v128.load32_splat(a);
    const a1 = v128.load32_splat(a, 4);
    c00 = madd(a0, b0, c00);
    c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10);
    c11 = madd(a1, b1, c11);
    a += MR * 4;
    b += NR * 4;
  }

  const rowBytes = <usize>ldc << 2;
  if (cols == NR) {
    storeTileRow(c, c00, c01, addToC);
    if (rows == 2) storeTileRow(c + rowBytes, c10, c11, addToC);
    return;
  }
  keepEdgeRow(0, c00, c01);
  keepEdgeRow(1, c10, c11);
  copyEdgeTile(c, rowBytes, rows, cols, addToC);
}

// The relaxed build's tile of 3 or 4 rows: the 5×8 tile's rows 0–3 (one v128 of the 5-row sliver a step).
// @ts-ignore: decorator
@inline
function microKernel4x8FromFive(kc: i32, a: usize, b: usize, c: usize, ldc: i32, rows: i32, cols: i32, addToC: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    const a03 = v128.load(a); // rows 0–3 of column k
    let ai = v128.shuffle<f32>(a03, a03, 0, 0, 0, 0);
    c00 = madd(ai, b0, c00);
    c01 = madd(ai, b1, c01);
    ai = v128.shuffle<f32>(a03, a03, 1, 1, 1, 1);
    c10 = madd(ai, b0, c10);
    c11 = madd(ai, b1, c11);
    ai = v128.shuffle<f32>(a03, a03, 2, 2, 2, 2);
    c20 = madd(ai, b0, c20);
    c21 = madd(ai, b1, c21);
    ai = v128.shuffle<f32>(a03, a03, 3, 3, 3, 3);
    c30 = madd(ai, b0, c30);
    c31 = madd(ai, b1, c31);
    a += MR * 4;
    b += NR * 4;
  }

  const rowBytes = <usize>ldc << 2;
  if (cols == NR) {
    storeTileRow(c, c00, c01, addToC);
    storeTileRow(c + rowBytes, c10, c11, addToC);
    storeTileRow(c + 2 * rowBytes, c20, c21, addToC);
    if (rows == 4) storeTileRow(c + 3 * rowBytes, c30, c31, addToC);
    return;
  }
  keepEdgeRow(0, c00, c01);
  keepEdgeRow(1, c10, c11);
  keepEdgeRow(2, c20, c21);
  keepEdgeRow(3, c30, c31);
  copyEdgeTile(c, rowBytes, rows, cols, addToC);
}

// The plain build's 4×8 tile: C[0:rows, 0:cols] (+)= Σ_k aSliver[k·4 + r] · bSliver[k·8 + j].
// @ts-ignore: decorator
@inline
function microKernel4x8(kc: i32, a: usize, b: usize, c: usize, ldc: i32, rows: i32, cols: i32, addToC: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  // One step of k per trip. (Unrolling by hand makes Binaryen regroup the sums by accumulator, which
  // keeps eight B vectors live at once and spills: measured 40 % slower.)
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let ai = v128.load32_splat(a);
    c00 = madd(ai, b0, c00);
    c01 = madd(ai, b1, c01);
    ai = v128.load32_splat(a, 4);
    c10 = madd(ai, b0, c10);
    c11 = madd(ai, b1, c11);
    ai = v128.load32_splat(a, 8);
    c20 = madd(ai, b0, c20);
    c21 = madd(ai, b1, c21);
    ai = v128.load32_splat(a, 12);
    c30 = madd(ai, b0, c30);
    c31 = madd(ai, b1, c31);
    a += MR * 4;
    b += NR * 4;
  }

  const rowBytes = <usize>ldc << 2;
  if (rows == MR && cols == NR) {
    storeTileRow(c, c00, c01, addToC);
    storeTileRow(c + rowBytes, c10, c11, addToC);
    storeTileRow(c + 2 * rowBytes, c20, c21, addToC);
    storeTileRow(c + 3 * rowBytes, c30, c31, addToC);
    return;
  }

  keepEdgeRow(0, c00, c01);
  keepEdgeRow(1, c10, c11);
  keepEdgeRow(2, c20, c21);
  keepEdgeRow(3, c30, c31);
  copyEdgeTile(c, rowBytes, rows, cols, addToC);
}

// The relaxed build's 5×8 tile: C[0:rows, 0:cols] (+)= Σ_k aSliver[k·5 + r] · bSliver[k·8 + j].
// Row 4 comes first, so its broadcast is spent before the shuffles of rows 0–3 need their temporary.
// @ts-ignore: decorator
@inline
function microKernel5x8(kc: i32, a: usize, b: usize, c: usize, ldc: i32, rows: i32, cols: i32, addToC: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let ai = v128.load32_splat(a, 16);
    c40 = madd(ai, b0, c40);
    c41 = madd(ai, b1, c41);
    const a03 = v128.load(a); // rows 0–3 of column k
    ai = v128.shuffle<f32>(a03, a03, 0, 0, 0, 0);
    c00 = madd(ai, b0, c00);
    c01 = madd(ai, b1, c01);
    ai = v128.shuffle<f32>(a03, a03, 1, 1, 1, 1);
    c10 = madd(ai, b0, c10);
    c11 = madd(ai, b1, c11);
    ai = v128.shuffle<f32>(a03, a03, 2, 2, 2, 2);
    c20 = madd(ai, b0, c20);
    c21 = madd(ai, b1, c21);
    ai = v128.shuffle<f32>(a03, a03, 3, 3, 3, 3);
    c30 = madd(ai, b0, c30);
    c31 = madd(ai, b1, c31);
    a += MR * 4;
    b += NR * 4;
  }

  const rowBytes = <usize>ldc << 2;
  if (rows == MR && cols == NR) {
    storeTileRow(c, c00, c01, addToC);
    storeTileRow(c + rowBytes, c10, c11, addToC);
    storeTileRow(c + 2 * rowBytes, c20, c21, addToC);
    storeTileRow(c + 3 * rowBytes, c30, c31, addToC);
    storeTileRow(c + 4 * rowBytes, c40, c41, addToC);
    return;
  }

  keepEdgeRow(0, c00, c01);
  keepEdgeRow(1, c10, c11);
  keepEdgeRow(2, c20, c21);
  keepEdgeRow(3, c30, c31);
  keepEdgeRow(4, c40, c41);
  copyEdgeTile(c, rowBytes, rows, cols, addToC);
}

// One row of a full tile: C[0:8] at c (+)= [lo | hi].
// @ts-ignore: decorator
@inline
function storeTileRow(c: usize, lo: v128, hi: v128, addToC: bool): void {
  if (addToC) {
    v128.store(c, f32x4.add(v128.load(c), lo));
    v128.store(c, f32x4.add(v128.load(c, 16), hi), 16);
  } else {
    v128.store(c, lo);
    v128.store(c, hi, 16);
  }
}

// Row r of an edge tile, kept in edgeTile (MR×NR, row-major) for copyEdgeTile: [lo | hi].
// @ts-ignore: decorator
@inline
function keepEdgeRow(r: i32, lo: v128, hi: v128): void {
  const row = edgeTile + ((<usize>r * NR) << 2);
  v128.store(row, lo);
  v128.store(row, hi, 16);
}

// C[0:rows, 0:cols] (+)= edgeTile[0:rows, 0:cols] (edgeTile is MR×NR, row-major): an edge tile's valid part.
// @ts-ignore: decorator
@inline
function copyEdgeTile(c: usize, rowBytes: usize, rows: i32, cols: i32, addToC: bool): void {
  for (let r = 0; r < rows; r++) {
    const tileRow = edgeTile + ((<usize>r * NR) << 2);
    const cRow = c + <usize>r * rowBytes;
    for (let j = 0; j < cols; j++) {
      const value = load<f32>(tileRow + (<usize>j << 2));
      const at = cRow + (<usize>j << 2);
      store<f32>(at, addToC ? load<f32>(at) + value : value);
    }
  }
}

// Reads a 4×4 block whose rows start at src, src + srcRowBytes, …, and writes its transpose to
// dst, dst + dstRowBytes, … (rows of 4 floats). Shuffle patterns V8 lowers to unpck/movlhps.
// @ts-ignore: decorator
@inline
function transpose4x4(src: usize, srcRowBytes: usize, dst: usize, dstRowBytes: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + srcRowBytes);
  const r2 = v128.load(src + 2 * srcRowBytes);
  const r3 = v128.load(src + 3 * srcRowBytes);
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5); // r0[0] r1[0] r0[1] r1[1]
  const t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7); // r0[2] r1[2] r0[3] r1[3]
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
  const t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5)); // column 0
  v128.store(dst + dstRowBytes, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7)); // column 1
  v128.store(dst + 2 * dstRowBytes, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5)); // column 2
  v128.store(dst + 3 * dstRowBytes, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7)); // column 3
}

// aPanel ← A[ic:+mc, pc:+kc] (A stored M×K). A row of A is a column of the sliver: 4×4 transposes of
// rows 0–3 (and, for a 5-row sliver, row 4 stored lane by lane after them).
function packA(A: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32): void {
  const rowBytes = <usize>lda << 2;
  let dst = aPanel;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    const src = A + ((<usize>(ic + ir) * lda + pc) << 2);
    let k = 0;
    if (rows == MR) {
      for (; k + 4 <= kc; k += 4) {
        const from = src + (<usize>k << 2);
        const to = dst + ((<usize>k * MR) << 2);
        transpose4x4(from, rowBytes, to, MR << 2);
        if (MR == 5) {
          const row4 = v128.load(from + 4 * rowBytes);
          v128.store32_lane(to, row4, 0, 16);
          v128.store32_lane(to + (MR << 2), row4, 1, 16);
          v128.store32_lane(to + (MR << 3), row4, 2, 16);
          v128.store32_lane(to + 3 * (MR << 2), row4, 3, 16);
        }
      }
    }
    for (; k < kc; k++) {
      for (let r = 0; r < MR; r++) {
        const value: f32 = r < rows ? load<f32>(src + <usize>r * rowBytes + (<usize>k << 2)) : 0;
        store<f32>(dst + ((<usize>(k * MR + r)) << 2), value);
      }
    }
    dst += (<usize>kc * MR) << 2;
  }
}

// aPanel ← Aᵀ[ic:+mc, pc:+kc] (A stored K×M). A row of A already is a column of the sliver.
function packATransposed(A: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32): void {
  const rowBytes = <usize>lda << 2;
  let dst = aPanel;
  for (let ir = 0; ir < mc; ir += MR) {
    const rows = min(MR, mc - ir);
    let src = A + ((<usize>pc * lda + ic + ir) << 2);
    if (rows == MR) {
      for (let k = 0; k < kc; k++) {
        v128.store(dst, v128.load(src));
        if (MR == 5) store<f32>(dst, load<f32>(src, 16), 16);
        src += rowBytes;
        dst += MR << 2;
      }
    } else {
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) {
          store<f32>(dst + (<usize>r << 2), r < rows ? load<f32>(src + (<usize>r << 2)) : 0);
        }
        src += rowBytes;
        dst += MR << 2;
      }
    }
  }
}

// panel ← B[pc:+kc, jc:+nc] (B stored K×N). A row of B is a row of the sliver: straight copies.
function packB(B: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, panel: usize): void {
  const rowBytes = <usize>ldb << 2;
  const sliverBytes = (<usize>kc * NR) << 2;
  const whole = nc - (nc % NR); // the columns of the whole slivers
  // The whole slivers a band of PACK_ROWS rows at a time, across every sliver: each of the band's rows is read front
  // to back (a sliver at a time down its column would read each row 32 bytes at a time, a row of B apart, which the
  // prefetchers do not follow on a wide B: fc1's 4 MB weight in its input gradient), and each sliver's part of the
  // band is written as one contiguous run.
  for (let k0 = 0; k0 < kc; k0 += PACK_ROWS) {
    const rows = min(PACK_ROWS, kc - k0);
    for (let jr = 0; jr < whole; jr += NR) {
      let src = B + ((<usize>(pc + k0) * ldb + jc + jr) << 2);
      let dst = panel + <usize>(jr / NR) * sliverBytes + ((<usize>k0 * NR) << 2);
      for (let k = 0; k < rows; k++) {
        v128.store(dst, v128.load(src));
        v128.store(dst, v128.load(src, 16), 16);
        src += rowBytes;
        dst += NR << 2;
      }
    }
  }
  if (whole == nc) return;
  // the last, partial sliver, zero-padded
  const cols = nc - whole;
  let src = B + ((<usize>pc * ldb + jc + whole) << 2);
  let dst = panel + <usize>(whole / NR) * sliverBytes;
  for (let k = 0; k < kc; k++) {
    for (let j = 0; j < NR; j++) {
      store<f32>(dst + (<usize>j << 2), j < cols ? load<f32>(src + (<usize>j << 2)) : 0);
    }
    src += rowBytes;
    dst += NR << 2;
  }
}

// Rows of B packB copies across all the whole slivers before it moves down (8: eight rows read side by side).
const PACK_ROWS: i32 = 8;

// bPanel ← Bᵀ[pc:+kc, jc:+nc] (B stored N×K). A row of B is a column of the sliver: 4×4 transposes,
// the sliver's left four columns from rows jr..jr+3 of B and its right four from rows jr+4..jr+7.
function packBTransposed(B: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32): void {
  const rowBytes = <usize>ldb << 2;
  let dst = bPanel;
  for (let jr = 0; jr < nc; jr += NR) {
    const cols = min(NR, nc - jr);
    const src = B + ((<usize>(jc + jr) * ldb + pc) << 2);
    let k = 0;
    if (cols == NR) {
      for (; k + 4 <= kc; k += 4) {
        const from = src + (<usize>k << 2);
        const to = dst + ((<usize>k * NR) << 2);
        transpose4x4(from, rowBytes, to, NR << 2);
        transpose4x4(from + 4 * rowBytes, rowBytes, to + 16, NR << 2);
      }
    }
    for (; k < kc; k++) {
      for (let j = 0; j < NR; j++) {
        const value: f32 = j < cols ? load<f32>(src + <usize>j * rowBytes + (<usize>k << 2)) : 0;
        store<f32>(dst + ((<usize>(k * NR + j)) << 2), value);
      }
    }
    dst += (<usize>kc * NR) << 2;
  }
}
