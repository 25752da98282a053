/**
 * The module's exports: every kernel takes byte addresses into the one shared linear memory and sizes
 * in elements. One file per kernel family; each explains its blocking and memory layout at its top.
 */
export { heapBase } from './memory';
export { gemm, gemmWorkspace, gemmAPanelFloats, gemmBPanelFloats } from './gemm';
export { simdCeiling, simdCeilingFlopsPerIteration } from './ceiling';
