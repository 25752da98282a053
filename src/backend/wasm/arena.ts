/**
 * The wasm backend's memory: one shared WebAssembly memory with a block allocator on top of it.
 *
 * Why a SHARED memory: the Backend contract says an array from allocFloats stays valid until it is freed,
 * but growing an ordinary WebAssembly memory detaches its ArrayBuffer, and with it every Float32Array
 * already handed out. A SharedArrayBuffer never detaches: after memory.grow, `memory.buffer` is a new,
 * longer SharedArrayBuffer over the same bytes and the old views keep working. The price is that the
 * maximum is reserved as address space up front (reserved, not committed: pages cost memory only once
 * the arena reaches them). A WebAssembly memory never shrinks, so freed blocks are reused, not returned.
 *
 * The allocator: size classes, each with a free list, shared by every thread.
 *   - A request is rounded up to its class — exact up to 256 bytes, then 8 classes per doubling, so at
 *     most 1/8 is lost to rounding (and the unused tail of a block is never touched, so it costs address
 *     space, not pages). A freed block goes onto its class's list and is handed to the next request of
 *     that class, whichever thread makes it; no block is ever split or merged.
 *   - Why exact classes and not a general allocator that splits and merges: with exact classes a fresh
 *     block is cut from the top only when more blocks of its class are live at once than ever before, so
 *     a workload that repeats itself — a network's buffers at the largest batch, a model loaded and
 *     disposed, explanations in any order — reaches a high-water mark and stays there, provably
 *     (test/memory-plateau.test.ts). Splitting and merging use memory more tightly for arbitrary
 *     sequences but a reordered sequence can fragment them past any earlier peak. The callers keep the
 *     number of distinct sizes small (model/layer.ts: batch buffers grow in powers of two).
 *   - Why not a stack (mark … release): allocations are not nested. A network's buffers live across
 *     calls while other networks come and go, and worker threads allocate while the main thread works;
 *     releasing to a mark would free what another thread or a longer-lived network still uses. Here a
 *     block is freed only by whoever owns it (the network, the layer, the pool that allocated it).
 *   - Threads: every thread's arena is a handle on the same header in the shared memory. The top moves
 *     by compare-and-swap; the free lists are guarded by a spin lock held for a few loads and stores (the
 *     browser's main thread may not block in Atomics.wait, and nothing inside can throw). A block freed by
 *     a worker as it exits is reused by the main thread and the other way round.
 *
 * Layout:
 *   [0, heapBase)          the module's static data (math tables)
 *   [header, base)         the arena's header: top (first byte never handed out), the lock, the bytes in
 *                          live blocks, the batch capacity (growBatchCapacity), then the head of each
 *                          class's free list (0: empty)
 *   [base, top)            blocks: a 16-byte block header [class, state, payload address, next free]
 *                          then the payload, 16-byte aligned so v128 accesses to its start are aligned
 * Fresh memory is zero (wasm guarantees it); a reused block is zero-filled before it is handed out.
 */
import { XcnnError } from '../../errors.js';
import { WASM_PAGE_BYTES, type WasmMemory } from './kernels.js';

const ALIGNMENT = 16;
const BLOCK_HEADER_BYTES = 16;

/** Size classes: 16 exact ones (16 … 256 bytes), then 8 per doubling up to 4 GiB. */
const CLASS_COUNT = 16 + 24 * 8;

// Header words (uint32).
const TOP = 0;
const LOCK = 1;
const USED = 2;
const BATCH_CAPACITY = 3;
const FREE_LISTS = 4;
const HEADER_BYTES = (FREE_LISTS + CLASS_COUNT) * 4;

// A block header's words and the states it can be in.
const CLASS = 0;
const STATE = 1;
const PAYLOAD = 2;
const NEXT = 3;
const LIVE = 0x4c495645; // 'LIVE'
const FREE = 0x46524545; // 'FREE'

/** What the arena holds, in bytes: see WasmBackend.memoryStats. */
export interface MemoryStats {
  /** In live blocks now (rounded to their classes, block headers included), by every thread. */
  usedBytes: number;
  /** The most the arena has ever spanned: live blocks and free ones waiting for reuse. It only grows. */
  highWaterBytes: number;
  /** The WebAssembly memory's size now (the module's static data included): what has been committed to. */
  reservedBytes: number;
  /** The size the memory may grow to (the backend's maximumBytes). */
  maximumBytes: number;
}

export class WasmArena {
  /** Every SharedArrayBuffer object this thread has seen for the memory: one per growth, all over the same bytes. */
  private readonly buffers = new Set<ArrayBufferLike>();
  /** The arena's header, shared with every thread attached to this memory. */
  private readonly header: Uint32Array;
  /** First byte the arena hands out. */
  readonly base: number;
  /** A word view of the whole memory as this thread last saw it (block headers are read through it). */
  private words: Uint32Array;

  private constructor(
    private readonly memory: WasmMemory,
    heapBase: number,
    private readonly maximumPages: number,
    fresh: boolean,
  ) {
    const headerAddress = alignUp(heapBase);
    this.base = alignUp(headerAddress + HEADER_BYTES);
    this.header = new Uint32Array(this.currentBuffer(), headerAddress, HEADER_BYTES / 4);
    this.words = new Uint32Array(this.currentBuffer());
    if (fresh) Atomics.store(this.header, TOP, this.base);
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
    return Atomics.load(this.header, TOP);
  }

  stats(): MemoryStats {
    return {
      usedBytes: Atomics.load(this.header, USED),
      highWaterBytes: this.top - this.base,
      reservedBytes: this.memory.buffer.byteLength,
      maximumBytes: this.maximumBytes,
    };
  }

  /**
   * Raises the batch capacity every thread's batch buffers grow to (model/layer.ts) to at least `samples`,
   * and returns it. It lives in the header so that the threads, and the pools that come and go, agree.
   */
  growBatchCapacity(samples: number): number {
    for (;;) {
      const stored = Atomics.load(this.header, BATCH_CAPACITY);
      if (stored >= samples) return stored;
      if (Atomics.compareExchange(this.header, BATCH_CAPACITY, stored, samples) === stored) return samples;
    }
  }

  /** `length` zeros, until `free` gives them back (a zero-length array is no block, and freeing it does nothing). */
  allocFloats(length: number): Float32Array {
    const count = checkedLength('allocFloats', length);
    const address = count === 0 ? this.base : this.allocate(count * 4);
    return new Float32Array(this.currentBuffer(), address, count); // the buffer after any growth
  }

  allocInts(length: number): Int32Array {
    const count = checkedLength('allocInts', length);
    const address = count === 0 ? this.base : this.allocate(count * 4);
    return new Int32Array(this.currentBuffer(), address, count);
  }

  /** Gives back an array allocFloats or allocInts returned (the whole array, not a subarray of it). */
  free(view: Float32Array | Int32Array): void {
    if (view.length === 0) return;
    if (!this.owns(view)) throw new XcnnError("wasm arena: the array to free is not in this backend's memory", { code: 'ERR_BAD_ARGUMENT' });
    this.freeBlock(view.byteOffset, view.byteLength);
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

  /**
   * The byte address of `bytes` zeroed bytes (bytes > 0), 16-byte aligned, until freeBlock gives them back:
   * a free block of their class if there is one, else a new one from the top. Safe from any thread at once.
   */
  allocate(bytes: number): number {
    if (bytes > this.maximumBytes) throw this.full(bytes);
    const { index, blockBytes } = sizeClass(bytes);
    this.lock();
    const reused = this.header[FREE_LISTS + index];
    if (reused !== 0) this.header[FREE_LISTS + index] = this.wordsAt(reused + BLOCK_HEADER_BYTES)[reused / 4 + NEXT];
    this.unlock();
    const block = reused !== 0 ? reused : this.bump(BLOCK_HEADER_BYTES + blockBytes);
    const words = this.wordsAt(block + BLOCK_HEADER_BYTES);
    const at = block / 4;
    words[at + CLASS] = index;
    words[at + STATE] = LIVE;
    words[at + PAYLOAD] = block + BLOCK_HEADER_BYTES;
    words[at + NEXT] = 0;
    Atomics.add(this.header, USED, BLOCK_HEADER_BYTES + blockBytes);
    if (reused !== 0) new Uint8Array(this.currentBuffer(), block + BLOCK_HEADER_BYTES, alignUp(bytes)).fill(0);
    return block + BLOCK_HEADER_BYTES;
  }

  /** Puts the block at `address` (from allocate; `bytes` of it in use) on its class's free list. */
  freeBlock(address: number, bytes: number): void {
    const block = address - BLOCK_HEADER_BYTES;
    const words = this.wordsAt(address);
    const at = block / 4;
    if (address % ALIGNMENT !== 0 || block < this.base || address >= this.top || words[at + STATE] !== LIVE || words[at + PAYLOAD] !== address) {
      throw new XcnnError(`wasm arena: nothing allocated starts at byte ${address} (freed already, or a subarray); free the array allocFloats returned, once`, { code: 'ERR_BAD_ARGUMENT' });
    }
    const index = words[at + CLASS];
    const blockBytes = classBytes(index);
    if (bytes > blockBytes) throw new XcnnError(`wasm arena: ${bytes} bytes to free at byte ${address}, but its block holds ${blockBytes}`, { code: 'ERR_BAD_ARGUMENT' });
    words[at + STATE] = FREE;
    Atomics.sub(this.header, USED, BLOCK_HEADER_BYTES + blockBytes);
    this.lock();
    words[at + NEXT] = this.header[FREE_LISTS + index];
    this.header[FREE_LISTS + index] = block;
    this.unlock();
  }

  /** True when `view` lies entirely inside the arena's blocks (a subarray of one included). */
  owns(view: ArrayBufferView): boolean {
    if (!this.buffers.has(view.buffer)) {
      if (view.buffer !== this.memory.buffer) return false;
      this.buffers.add(view.buffer);
    }
    return view.byteOffset >= this.base && view.byteOffset + view.byteLength <= this.top;
  }

  /** `size` new bytes at the top: grows the memory as needed; a request that does not fit moves nothing. */
  private bump(size: number): number {
    for (;;) {
      const address = this.top;
      const end = address + size;
      if (end > this.maximumBytes || end > 2 ** 32 - 1) throw this.full(end);
      this.ensureCapacity(end);
      if (Atomics.compareExchange(this.header, TOP, address, end) === address) return address;
    }
  }

  private get maximumBytes(): number {
    return this.maximumPages * WASM_PAGE_BYTES;
  }

  private full(needed: number): XcnnError {
    return new XcnnError(
      `the wasm backend's memory is full: ${needed} bytes needed, ${this.maximumBytes} available; ` +
        'dispose() the networks you no longer use, use a smaller batch, or create the backend with a larger maximumBytes',
      { code: 'ERR_OUT_OF_MEMORY' },
    );
  }

  private lock(): void {
    // Held for a few loads and stores: spin (the browser's main thread may not wait).
    while (Atomics.compareExchange(this.header, LOCK, 0, 1) !== 0);
  }

  private unlock(): void {
    Atomics.store(this.header, LOCK, 0);
  }

  /** The word view, renewed when the memory has grown past it (by this thread or another). */
  private wordsAt(endByte: number): Uint32Array {
    if (this.words.byteLength < endByte) this.words = new Uint32Array(this.currentBuffer());
    return this.words;
  }

  private checkAllocated(address: number, bytes: number): void {
    if (!Number.isSafeInteger(address) || address < this.base || address + bytes > this.top) {
      throw new XcnnError(`wasm arena: [${address}, ${address + bytes}) is not inside the arena's allocations`, { code: 'ERR_BAD_ARGUMENT' });
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
        throw new XcnnError(`the wasm backend could not grow its memory to ${targetPages * WASM_PAGE_BYTES} bytes`, { code: 'ERR_OUT_OF_MEMORY', cause });
      }
      this.currentBuffer();
    }
  }
}

/**
 * The class of a request of `bytes` > 0: in 16-byte units u, classes 0…15 are u = 1…16 exactly; above,
 * u is rounded up to m·2^s with m in 9…16 (8 classes per doubling), class 16 + 8(s − 1) + (m − 9).
 */
export function sizeClass(bytes: number): { index: number; blockBytes: number } {
  const units = Math.max(1, Math.ceil(bytes / ALIGNMENT));
  if (units <= 16) return { index: units - 1, blockBytes: units * ALIGNMENT };
  const shift = 31 - Math.clz32(units - 1) - 3;
  const mantissa = ((units - 1) >>> shift) + 1;
  return { index: 16 + 8 * (shift - 1) + (mantissa - 9), blockBytes: mantissa * 2 ** shift * ALIGNMENT };
}

/** The payload bytes of class `index` (sizeClass's inverse). */
function classBytes(index: number): number {
  if (index < 16) return (index + 1) * ALIGNMENT;
  const shift = Math.floor((index - 16) / 8) + 1;
  const mantissa = ((index - 16) % 8) + 9;
  return mantissa * 2 ** shift * ALIGNMENT;
}

function alignUp(byte: number): number {
  return Math.ceil(byte / ALIGNMENT) * ALIGNMENT;
}

function checkedLength(kernel: string, length: number): number {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new XcnnError(`${kernel}: length must be a non-negative integer, got ${length}`, { code: 'ERR_BAD_ARGUMENT' });
  }
  return length;
}
