/**
 * The wasm backend's memory: one shared WebAssembly memory with a bump arena on top of it.
 *
 * Why a SHARED memory: the Backend contract says an array from allocFloats stays valid for the backend's
 * whole lifetime, but growing an ordinary WebAssembly memory detaches its ArrayBuffer, and with it every
 * Float32Array already handed out. A SharedArrayBuffer never detaches: after memory.grow, `memory.buffer`
 * is a new, longer SharedArrayBuffer over the same bytes and the old views keep working. The price is
 * that the maximum is reserved as address space up front (reserved, not committed: pages cost memory
 * only once the arena reaches them). The alternatives were worse: a fixed, never-grown memory sized for
 * the largest batch anyone might evaluate, or handing out handles instead of typed arrays.
 *
 * Layout:
 *   [0, heapBase)   the module's static data (math tables, the GEMM edge tile)
 *   [base, top)     the arena: tensors, and the scratch the kernels need; every allocation 16-byte
 *                   aligned so v128 accesses to its start are aligned
 * Nothing is ever freed or reused, so every allocation is fresh memory, which wasm guarantees is zero.
 */
import { XcnnError } from '../../errors.js';
import { WASM_PAGE_BYTES, type WasmMemory } from './kernels.js';

const ALIGNMENT = 16;

export class WasmArena {
  /** Every SharedArrayBuffer object the memory has shown: one per growth, all over the same bytes. */
  private readonly buffers = new Set<ArrayBufferLike>();
  private top: number;

  constructor(
    private readonly memory: WasmMemory,
    /** First byte the arena may hand out. */
    readonly base: number,
    private readonly maximumPages: number,
  ) {
    this.top = alignUp(base);
    this.buffers.add(memory.buffer);
  }

  /** Bytes handed out so far, scratch included. */
  get usedBytes(): number {
    return this.top - this.base;
  }

  allocFloats(length: number): Float32Array {
    const address = this.reserve(checkedLength('allocFloats', length) * 4);
    return new Float32Array(this.memory.buffer, address, length);
  }

  allocInts(length: number): Int32Array {
    const address = this.reserve(checkedLength('allocInts', length) * 4);
    return new Int32Array(this.memory.buffer, address, length);
  }

  /** Reserves `bytes` zeroed bytes for the backend's own scratch and returns their byte address. */
  reserve(bytes: number): number {
    const address = this.top;
    const end = alignUp(address + bytes);
    this.ensureCapacity(end);
    this.top = end;
    return address;
  }

  /** True when `view` lies entirely inside the arena's allocations (a subarray of one included). */
  owns(view: ArrayBufferView): boolean {
    return (
      this.buffers.has(view.buffer) && view.byteOffset >= this.base && view.byteOffset + view.byteLength <= this.top
    );
  }

  private ensureCapacity(endByte: number): void {
    const currentPages = this.memory.buffer.byteLength / WASM_PAGE_BYTES;
    const neededPages = Math.ceil(endByte / WASM_PAGE_BYTES);
    if (neededPages <= currentPages) return;
    if (neededPages > this.maximumPages) {
      throw new XcnnError(
        `the wasm backend's memory is full: ${endByte} bytes needed, ${this.maximumPages * WASM_PAGE_BYTES} ` +
          'available; use a smaller batch, or create the backend with a larger maximumBytes',
      );
    }
    // Grow by at least half again, so a run of small allocations does not grow page by page.
    const targetPages = Math.min(this.maximumPages, Math.max(neededPages, Math.ceil(currentPages * 1.5)));
    try {
      this.memory.grow(targetPages - currentPages);
    } catch (cause) {
      throw new XcnnError(`the wasm backend could not grow its memory to ${targetPages * WASM_PAGE_BYTES} bytes`, {
        cause,
      });
    }
    this.buffers.add(this.memory.buffer);
  }
}

function alignUp(byte: number): number {
  return Math.ceil(byte / ALIGNMENT) * ALIGNMENT;
}

function checkedLength(kernel: string, length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new XcnnError(`${kernel}: length must be a non-negative integer, got ${length}`);
  }
  return length;
}
