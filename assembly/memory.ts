/**
 * Linear memory is imported (env.memory, shared, see src/backend/wasm/arena.ts) and owned by the
 * JavaScript side: below heapBase() lie this module's static data (Mathf's tables, the GEMM edge tile);
 * from there up the backend's bump arena hands out tensors. Nothing in this module allocates.
 */
export function heapBase(): usize {
  return __heap_base;
}
