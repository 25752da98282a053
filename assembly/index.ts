/**
 * The module's exports. Every kernel takes byte addresses into the one shared linear memory and sizes
 * in elements; one file per kernel family, each explaining its blocking and memory layout at its top.
 * The TypeScript side (src/backend/wasm/) checks shapes and array ownership before calling any of these.
 */
export { heapBase } from './memory';
export { gemm, gemmIm2col, gemmIm2colA, gemmIm2colRows, gemmPackedB, packBWhole, packedBFloats, gemmWorkspace, gemmAPanelFloats, gemmBPanelFloats, gemmEdgeTileFloats } from './gemm';
export { col2im } from './im2col';
export { padImage, cropImage, splitPhases, mergePhases, im2colStrided, col2imStrided } from './im2col-strided';
export { scatterGroup, gatherGroup, scatterTransposed } from './conv-groups';
export { maxPool2dForward, maxPool2dWindows, maxPool2dBackward, maxPool2dBackward2x2, avgPool2dForward, avgPool2dBackward } from './pool';
export { batchNormForward, batchNormBackward } from './batch-norm';
export { reluForward, reluBackward, addBias, addBiasRelu, accumulateBiasGradient, biasGradientChunk, finishBiasGradient, addInto, multiplyElementwise, unitFloatsFromBytes } from './elementwise';
export { softmaxCrossEntropy } from './softmax';
export { adamUpdate } from './adam';
export { simdCeiling, simdCeilingFlopsPerIteration } from './ceiling';
export { dropoutMask } from './dropout';
export { directWeightGradient } from './direct-weight-gradient';
export { directConvolution, directConvolutionReluMaxPool, directConvolutionScratchFloats } from './direct-convolution';
export { winogradKernels, winogradPackKernels, winogradPackedKernelFloats, winogradConvolve, winogradBackward, winogradKernelGradient, winogradScratchFloats, winogradKeptTileFloats } from './winograd';
export { winograd4Kernels, winograd4Convolve, winograd4Backward, winograd4KernelGradient, winograd4ScratchFloats, winograd4KeptTileFloats } from './winograd-4x4';
export { stencilConjugateGradients } from './road-imputation';
