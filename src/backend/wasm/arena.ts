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
 *   [0, heapBase)      the module's static data (math tables)
 *   [header, +16)      the arena's header: its top, a uint32 that every thread's arena bumps atomically
 *   [header+16, top)   the arena: tensors, and the scratch the kernels need; every allocation 16-byte
 *                      aligned so v128 accesses to its start are aligned
 * Nothing is ever freed or reused, so every allocation is fresh memory, which wasm guarantees is zero.
 *
 * Threads: worker threads instantiate the module over the same memory and `attach` to the same arena,
 * so tensors allocated by any thread are visible to all (by address, through `view`), and no two
 * allocations overlap whichever thread made them.
 */
import { XcnnError } from '../../errors.js';
import { WASM_PAGE_BYTES, type WasmMemory } from './kernels.js';

const ALIGNMENT = 16;

const HEADER_BYTES = 16;

export class WasmArena {
  /** Every SharedArrayBuffer object this thread has seen for the memory: one per growth, all over the same bytes. */
  private readonly buffers = new Set<ArrayBufferLike>();
  /** [0] = the arena's top (first free byte), shared with every thread attached to this memory. */
  private readonly header: Uint32Array;
  /** First byte the arena hands out. */
  readonly base: number;

  private constructor(
    private readonly memory: WasmMemory,
    heapBase: number,
    private readonly maximumPages: number,
    fresh: boolean,
  ) {
    const headerAddress = alignUp(heapBase);
    this.base = headerAddress + HEADER_BYTES;
    this.header = new Uint32Array(this.currentBuffer(), headerAddress, 1);
    if (fresh) Atomics.store(this.header, 0, this.base);
  }

  /** A new arena over a memory no arena uses yet. */
  static create(memory: WasmMemory, heapBase: number, maximumPages: number): WasmArena {
    return new WasmArena(memory, heapBase, maximumPages, true);
  }

  /** This thread's handle on the arena another thread created over the same shared memory. */
  static attach(memory: WasmMemory, heapBase: number, maximumPages: number): WasmArena {
    return new WasmArena(memory, heapBase, maximumPages, false);
  }

  private get top(): number {
    return Atomics.load(this.header, 0);
  }

  /** Bytes handed out so far, by every thread, scratch included. */
  get usedBytes(): number {
    return this.top - this.base;
  }

  allocFloats(length: number): Float32Array {
    const address = this.reserve(checkedLength('allocFloats', length) * 4);
    return new Float32Array(this.currentBuffer(), address, length);
  }

  allocInts(length: number): Int32Array {
    const address = this.reserve(checkedLength('allocInts', length) * 4);
    return new Int32Array(this.currentBuffer(), address, length);
  }

  /** A view of `length` floats at `address`, allocated earlier by any thread attached to this arena. */
  viewFloats(address: number, length: number): Float32Array {
    this.checkAllocated(address, length * 4);
    return new Float32Array(this.currentBuffer(), address, length);
  }

  viewInts(address: number, length: number): Int32Array {
    this.checkAllocated(address, length * 4);
    return new Int32Array(this.currentBuffer(), address, length);
  }

  /** Reserves `bytes` zeroed bytes and returns their byte address; safe to call from any thread at once. */
  reserve(bytes: number): number {
    const size = alignUp(bytes);
    const address = Atomics.add(this.header, 0, size);
    const end = address + size;
    if (end > this.maximumPages * WASM_PAGE_BYTES || end > 2 ** 32 - 1) {
      throw new XcnnError(
        `the wasm backend's memory is full: ${end} bytes needed, ${this.maximumPages * WASM_PAGE_BYTES} ` +
          'available; use a smaller batch, or create the backend with a larger maximumBytes',
      );
    }
    this.ensureCapacity(end);
    return address;
  }

  /** True when `view` lies entirely inside the arena's allocations (a subarray of one included). */
  owns(view: ArrayBufferView): boolean {
    if (!this.buffers.has(view.buffer)) {
      if (view.buffer !== this.memory.buffer) return false;
      this.buffers.add(view.buffer);
    }
    return view.byteOffset >= this.base && view.byteOffset + view.byteLength <= this.top;
  }

  private checkAllocated(address: number, bytes: number): void {
    if (!Number.isSafeInteger(address) || address < this.base || address + bytes > this.top) {
      throw new XcnnError(`wasm arena: [${address}, ${address + bytes}) is not inside the arena's allocations`);
    }
  }

  /** The memory's current SharedArrayBuffer (a new object after any thread grew it), remembered for `owns`. */
  private currentBuffer(): ArrayBufferLike {
    const buffer = this.memory.buffer;
    this.buffers.add(buffer);
    return buffer;
  }

  private ensureCapacity(endByte: number): void {
    // Another thread may grow the memory at the same time: grow until it is large enough, never shrink.
    for (;;) {
      const currentPages = this.memory.buffer.byteLength / WASM_PAGE_BYTES;
      const neededPages = Math.ceil(endByte / WASM_PAGE_BYTES);
      if (neededPages <= currentPages) return;
      // Grow by at least half again, so a run of small allocations does not grow page by page.
      const targetPages = Math.min(this.maximumPages, Math.max(neededPages, Math.ceil(currentPages * 1.5)));
      try {
        this.memory.grow(targetPages - currentPages);
      } catch (cause) {
        if (this.memory.buffer.byteLength / WASM_PAGE_BYTES >= neededPages) return; // another thread grew it
        throw new XcnnError(`the wasm backend could not grow its memory to ${targetPages * WASM_PAGE_BYTES} bytes`, { cause });
      }
      this.currentBuffer();
    }
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
