/**
 * The wasm backend's block allocator (src/backend/wasm/arena.ts) on a shared WebAssembly memory of its own, no
 * kernels: its layout (header, 16-byte block headers, 16-byte-aligned payloads), its size classes and their
 * inverse, reuse of freed blocks by class and zero-filling, growth by half again, the maximum, the shared batch
 * capacity, two handles on one memory, and the refusals. Expected addresses are worked out from the layout the
 * module's comment gives: header at heapBase rounded up to 16, (4 + 208) words long; blocks from `base` on.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sizeClass, WasmArena } from '../src/backend/wasm/arena.js';
import { WASM_PAGE_BYTES } from '../src/backend/wasm/kernels.js';
import { XcnnError } from '../src/errors.js';

const HEADER_BYTES = (4 + 16 + 24 * 8) * 4; // top, lock, used, batch capacity, then 208 free-list heads
const BLOCK_HEADER = 16;

/** A fresh arena over `initial` pages of a shared memory that may grow to `maximum` pages, its static data `heapBase` bytes. */
function arenaOf(heapBase = 1000, initial = 1, maximum = 8): { arena: WasmArena; memory: WebAssembly.Memory; base: number } {
  const memory = new WebAssembly.Memory({ initial, maximum, shared: true });
  const base = Math.ceil((Math.ceil(heapBase / 16) * 16 + HEADER_BYTES) / 16) * 16;
  return { arena: WasmArena.create(memory, heapBase, maximum), memory, base };
}

/** The XcnnError `run` throws: its code and message. */
function refusal(run: () => unknown): [string | undefined, string] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(XcnnError);
    return [(error as XcnnError).code, (error as Error).message];
  }
  return [undefined, 'accepted'];
}

describe('WasmArena', () => {
  it('puts its header after the static data and its first block after the header, both 16-byte aligned', () => {
    for (const heapBase of [0, 1, 15, 16, 17, 1000]) {
      const { arena, base } = arenaOf(heapBase);
      expect(arena.base).toBe(base);
      expect(arena.stats()).toEqual({ usedBytes: 0, highWaterBytes: 0, reservedBytes: WASM_PAGE_BYTES, maximumBytes: 8 * WASM_PAGE_BYTES });
    }
    expect(arenaOf(0).base).toBe(HEADER_BYTES); // 848, a multiple of 16
    expect(arenaOf(1).base).toBe(16 + HEADER_BYTES);
  });

  it('cuts blocks from the top in order: each a 16-byte header then the payload, rounded to its class', () => {
    const { arena, base } = arenaOf();
    const a = arena.allocFloats(1); // 4 bytes → class 0, 16 bytes
    const b = arena.allocInts(5); // 20 bytes → 32
    const c = arena.allocFloats(72); // 288 bytes → 288 (17 · 16 → m = 9, s = 1: 9 · 2 · 16)
    const d = arena.allocFloats(73); // 292 bytes → 19 units → m = 10, s = 1: 320
    // Blocks [base, +32), [+32, +80), [+80, +384), [+384, +720): each payload 16 bytes after its block's start.
    expect([a.byteOffset, b.byteOffset, c.byteOffset, d.byteOffset]).toEqual([base + 16, base + 48, base + 96, base + 400]);
    expect([a.length, b.length, c.length, d.length]).toEqual([1, 5, 72, 73]);
    expect(a).toBeInstanceOf(Float32Array);
    expect(b).toBeInstanceOf(Int32Array);
    const blocks = 32 + 48 + 304 + 336;
    expect(arena.stats()).toMatchObject({ usedBytes: blocks, highWaterBytes: blocks });
  });

  it('writes each block header as [class, LIVE, payload address, 0] and a freed one as [class, FREE, payload, next free]', () => {
    const { arena, memory } = arenaOf();
    const words = () => new Uint32Array(memory.buffer);
    const first = arena.allocFloats(100); // 400 bytes: 25 units → m = 13, s = 1 → class 16 + 4 = 20
    const second = arena.allocFloats(100);
    const header = (view: Float32Array) => Array.from(words().subarray((view.byteOffset - BLOCK_HEADER) / 4, view.byteOffset / 4));
    expect(header(first)).toEqual([20, 0x4c495645, first.byteOffset, 0]);
    arena.free(first);
    expect(header(first)).toEqual([20, 0x46524545, first.byteOffset, 0]);
    arena.free(second);
    expect(header(second)).toEqual([20, 0x46524545, second.byteOffset, first.byteOffset - BLOCK_HEADER]);
    expect(sizeClass(400)).toEqual({ index: 20, blockBytes: 416 });
  });

  it('hands freed blocks back last in, first out, within their class only, zero-filled, without moving the top', () => {
    const { arena, memory } = arenaOf();
    const small = arena.allocFloats(4).fill(1); // 16 bytes, class 0
    const [x, y] = [arena.allocFloats(104).fill(2), arena.allocFloats(104).fill(3)]; // 416 bytes: class 20, whole blocks
    const { highWaterBytes } = arena.stats();
    arena.free(x);
    arena.free(y);
    arena.free(small);
    expect(arena.stats().usedBytes).toBe(0);
    const again = [arena.allocFloats(97), arena.allocFloats(104), arena.allocFloats(3)]; // 388, 416 bytes: class 20; 12 bytes: class 0
    expect(again.map((view) => view.byteOffset)).toEqual([y.byteOffset, x.byteOffset, small.byteOffset]);
    expect(again.every((view) => view.every((v) => v === 0))).toBe(true);
    // Cleared up to the request rounded to 16 bytes (400 of the block's 416): the unused tail is never touched.
    expect(Array.from(new Float32Array(memory.buffer, y.byteOffset + 388, 7))).toEqual([0, 0, 0, 3, 3, 3, 3]);
    expect(arena.stats()).toEqual({ usedBytes: 32 + 2 * 432, highWaterBytes, reservedBytes: WASM_PAGE_BYTES, maximumBytes: 8 * WASM_PAGE_BYTES });
    const fresh = arena.allocFloats(100); // the list is empty again: from the top
    expect(fresh.byteOffset).toBe(arena.base + highWaterBytes + BLOCK_HEADER);
    expect(arena.stats().highWaterBytes).toBe(highWaterBytes + 432);
  });

  it('gives a zero-length request no block: the base, freed for nothing', () => {
    const { arena, base } = arenaOf();
    const none = arena.allocFloats(0);
    const noInts = arena.allocInts(0);
    expect([none.length, none.byteOffset, noInts.length, noInts.byteOffset]).toEqual([0, base, 0, base]);
    arena.free(none);
    arena.free(noInts);
    expect(arena.stats()).toMatchObject({ usedBytes: 0, highWaterBytes: 0 });
  });

  it('grows the memory by half again at least, or to what a request needs, and never past the maximum', () => {
    const { arena, memory, base } = arenaOf(0, 4, 12);
    expect(base).toBe(848);
    const pages = () => memory.buffer.byteLength / WASM_PAGE_BYTES;
    // Requests of exact class sizes, so each block ends where the sum says: [bytes, end of its block, pages after].
    const steps: Array<[number, number, number]> = [
      [196_608, 848 + 16 + 196_608, 4], // 197,472: inside the 4 pages
      [65_536, 197_472 + 65_552, 6], // 263,024 needs 5 pages; half again is 6
      [327_680, 263_024 + 327_696, 10], // 590,720 needs 10; half again would be 9
      [65_536, 590_720 + 65_552, 12], // 656,272 needs 11; half again, 15, is capped at the maximum, 12
      [65_536, 656_272 + 65_552, 12], // 721,824 fits the 12
    ];
    const first = arena.allocate(steps[0][0]);
    new Uint8Array(memory.buffer, first, 4).set([1, 2, 3, 4]);
    const view = new Uint8Array(memory.buffer, first, 4);
    expect(pages()).toBe(4);
    for (const [bytes, end, after] of steps.slice(1)) {
      arena.allocate(bytes);
      expect([end, base + arena.stats().highWaterBytes, pages()]).toEqual([end, end, after]);
    }
    expect(Array.from(view)).toEqual([1, 2, 3, 4]); // a view from before the growth reads the same bytes
    expect(arena.stats().reservedBytes).toBe(12 * WASM_PAGE_BYTES);
    expect(refusal(() => arena.allocate(65_536))[0]).toBe('ERR_OUT_OF_MEMORY'); // 787,376 > 786,432
    expect(pages()).toBe(12);
  });

  it('refuses a request past the maximum with ERR_OUT_OF_MEMORY, moving nothing, and serves the next one that fits', () => {
    const { arena, base } = arenaOf(0, 1, 2);
    const limit = 2 * WASM_PAGE_BYTES;
    const full = (needed: number) => ['ERR_OUT_OF_MEMORY', `the wasm backend's memory is full: ${needed} bytes needed, ${limit} available; dispose() the networks you no longer use, use a smaller batch, or create the backend with a larger maximumBytes`];
    expect(refusal(() => arena.allocFloats(limit / 4 + 1))).toEqual(full(limit + 4)); // more than the whole memory
    expect(refusal(() => arena.allocFloats(limit / 4))).toEqual(full(base + BLOCK_HEADER + limit)); // the whole memory: its block, cut at the top, ends past it
    const bytes = limit - base; // fits the memory but not after the header and the block header
    const { blockBytes } = sizeClass(bytes);
    expect(refusal(() => arena.allocate(bytes))).toEqual(full(base + BLOCK_HEADER + blockBytes));
    expect(arena.stats()).toMatchObject({ usedBytes: 0, highWaterBytes: 0 });
    const fits = arena.allocate(limit - base - BLOCK_HEADER - 16 * 1024); // 16 KiB short: its class still fits
    expect(fits).toBe(base + BLOCK_HEADER);
  });

  it('takes a block that ends exactly at the maximum, and refuses one more byte', () => {
    const { arena, base } = arenaOf(3232, 1, 1); // header at 3,232, base 4,080: 61,456 bytes left in the page
    expect(base).toBe(4080);
    expect(sizeClass(61_440).blockBytes).toBe(61_440); // 3,840 units: 15 · 2⁸
    expect(arena.allocate(61_440)).toBe(4096);
    expect(arena.stats().highWaterBytes).toBe(WASM_PAGE_BYTES - base);
    expect(refusal(() => arena.allocate(1))[1]).toMatch(/^the wasm backend's memory is full: 65568 bytes needed, 65536 available/);
  });

  it('refuses a block that would end at 4 GiB exactly (the top is a 32-bit word), with the largest maximum', () => {
    // A memory that may grow to 65,536 pages (2³² bytes: reserved address space; only the block headers are
    // written). From the base, 848, blocks of 16 + payload bytes: payloads 2³¹ (16 · 2²³ units), 15 · 2²⁷,
    // 15 · 2²³, 15 · 2¹⁹, 15 · 2¹⁵, 15 · 2¹¹ (each 15 · 2ˢ units), 1,024 and 16 bring the top to 2³² − 32:
    // 848 + 8 · 16 + 2³¹ + 15 · (2²⁷ + 2²³ + 2¹⁹ + 2¹⁵ + 2¹¹) + 1,024 + 16 = 4,294,967,264.
    const { arena, base } = arenaOf(0, 1, 65_536);
    const payloads = [2 ** 31, 15 * 2 ** 27, 15 * 2 ** 23, 15 * 2 ** 19, 15 * 2 ** 15, 15 * 2 ** 11, 1024, 16];
    let top = base;
    for (const bytes of payloads) {
      expect(arena.allocate(bytes)).toBe(top + BLOCK_HEADER);
      top += BLOCK_HEADER + bytes;
    }
    expect(top).toBe(2 ** 32 - 32);
    expect(arena.stats()).toMatchObject({ highWaterBytes: 2 ** 32 - 32 - base, reservedBytes: 2 ** 32, maximumBytes: 2 ** 32 });
    // 16 more bytes: a block of 32 ending at 2³², inside the maximum but past what the top's word can hold.
    expect(refusal(() => arena.allocate(16))).toEqual([
      'ERR_OUT_OF_MEMORY',
      "the wasm backend's memory is full: 4294967296 bytes needed, 4294967296 available; dispose() the networks you no longer use, use a smaller batch, or create the backend with a larger maximumBytes",
    ]);
    expect(arena.stats().highWaterBytes).toBe(2 ** 32 - 32 - base);
    arena.freeBlock(2 ** 32 - 48, 16); // the last block, its payload at 2³² − 48, comes back for the next 16 bytes
    expect(arena.allocate(16)).toBe(2 ** 32 - 48);
  });

  it('keeps the largest batch capacity asked for, shared by every handle on the memory', () => {
    const { arena, memory } = arenaOf(64);
    expect(arena.growBatchCapacity(0)).toBe(0);
    expect(arena.growBatchCapacity(32)).toBe(32);
    expect(arena.growBatchCapacity(8)).toBe(32);
    expect(arena.growBatchCapacity(32)).toBe(32);
    const other = WasmArena.attach(memory, 64, 8);
    expect(other.growBatchCapacity(1)).toBe(32);
    expect(other.growBatchCapacity(300)).toBe(300);
    expect(arena.growBatchCapacity(2)).toBe(300);
  });

  describe('with another thread playing its part between two of this thread\'s atomic operations', () => {
    // The header's word 1 is the free lists' lock, word 3 the batch capacity (word 0, the top, is the only other
    // word compared and exchanged). A spy on Atomics.compareExchange lets "another thread" act just before this
    // thread's exchange, or answer that it holds the lock, as two threads racing would, but at a chosen moment.
    const exchange = Atomics.compareExchange;
    const asThreads = (play: (array: Uint32Array, index: number) => number | undefined) =>
      vi.spyOn(Atomics, 'compareExchange').mockImplementation(((array: Uint32Array, index: number, expected: number, replacement: number) =>
        play(array, index) ?? exchange(array, index, expected, replacement)) as typeof Atomics.compareExchange);
    afterEach(() => vi.restoreAllMocks());

    it('returns the larger capacity another thread stored while it was raising its own', () => {
      const { arena } = arenaOf(64);
      arena.growBatchCapacity(2);
      let raced = false;
      asThreads((array, index) => {
        if (index === 3 && !raced) Atomics.store(array, 3, 9); // stored between this thread's load (2) and its exchange
        raced = true;
        return undefined;
      });
      expect(arena.growBatchCapacity(4)).toBe(9);
      vi.restoreAllMocks();
      expect(arena.growBatchCapacity(1)).toBe(9);
    });

    it('raises a capacity another thread raised to less than it asks for, meanwhile', () => {
      const { arena } = arenaOf(64);
      arena.growBatchCapacity(2);
      let raced = false;
      asThreads((array, index) => {
        if (index === 3 && !raced) Atomics.store(array, 3, 3);
        raced = true;
        return undefined;
      });
      expect(arena.growBatchCapacity(4)).toBe(4);
      vi.restoreAllMocks();
      expect(arena.growBatchCapacity(1)).toBe(4); // stored: 4, not the other thread's 3
    });

    it('waits while another thread holds the free lists\' lock, then takes the block that thread freed under it', () => {
      const { arena, memory } = arenaOf(64);
      const other = WasmArena.attach(memory, 64, 8);
      const theirs = other.allocFloats(4);
      arena.allocFloats(4); // the top moves past their block
      let tries = 0;
      asThreads((_, index) => {
        if (index !== 1) return undefined;
        tries += 1;
        if (tries < 3) return 1; // held: the other thread is freeing its block
        if (tries === 3) other.free(theirs); // its free ends (taking and leaving the lock), then this thread's try
        return undefined;
      });
      const address = arena.allocate(16);
      expect(tries).toBe(4); // this thread's two refused tries, the other thread's (inside the third), then this thread's third
      expect(address).toBe(theirs.byteOffset);
      expect(arena.stats().highWaterBytes).toBe(64); // no new block from the top
    });
  });

  it('lets a second handle on the same memory see, reuse and free the first one\'s blocks (a worker thread\'s view)', () => {
    const { arena, memory } = arenaOf(64);
    const mine = arena.allocFloats(50).fill(4);
    const other = WasmArena.attach(memory, 64, 8);
    expect(other.base).toBe(arena.base);
    expect(other.stats()).toEqual(arena.stats());
    expect(Array.from(other.viewFloats(mine.byteOffset, 3))).toEqual([4, 4, 4]);
    expect(other.viewInts(mine.byteOffset, 2)).toBeInstanceOf(Int32Array);
    const theirs = other.allocFloats(50); // from the shared top, after mine
    expect(theirs.byteOffset).toBe(mine.byteOffset + 208 + BLOCK_HEADER);
    other.free(mine); // freed by the other handle, reused by this one
    expect(arena.allocFloats(50).byteOffset).toBe(mine.byteOffset);
    expect(arena.stats().usedBytes).toBe(2 * (208 + BLOCK_HEADER));
  });

  it('owns the arrays inside its blocks (subarrays too) and nothing else', () => {
    const { arena, memory } = arenaOf();
    const view = arena.allocFloats(8);
    expect(arena.owns(view)).toBe(true);
    expect(arena.owns(view.subarray(2, 4))).toBe(true);
    expect(arena.owns(new Float32Array(8))).toBe(false);
    expect(arena.owns(new Float32Array(memory.buffer, 0, 4))).toBe(false); // the static data and header: below base
    expect(arena.owns(new Float32Array(memory.buffer, view.byteOffset + 32, 4))).toBe(false); // past the top
    expect(arena.owns(new Float32Array(memory.buffer, view.byteOffset, 8))).toBe(true); // a new view object over the same bytes
    expect(arena.owns(new Float32Array(memory.buffer, arena.base, 4))).toBe(true); // the first block's header, at the base
    memory.grow(1); // as another thread may: memory.buffer is now a new object over the same bytes
    expect(arena.owns(new Float32Array(memory.buffer, view.byteOffset, 8))).toBe(true);
  });

  it('refuses to free what it did not hand out, twice, a subarray, or more bytes than the block holds', () => {
    const { arena } = arenaOf();
    const view = arena.allocFloats(8); // 32 bytes
    const nothing = (address: number) => ['ERR_BAD_ARGUMENT', `wasm arena: nothing allocated starts at byte ${address} (freed already, or a subarray); free the array allocFloats returned, once`];
    expect(refusal(() => arena.free(new Float32Array(4)))).toEqual(['ERR_BAD_ARGUMENT', "wasm arena: the array to free is not in this backend's memory"]);
    expect(refusal(() => arena.free(view.subarray(4)))).toEqual(nothing(view.byteOffset + 16));
    expect(refusal(() => arena.free(view.subarray(1)))).toEqual(nothing(view.byteOffset + 4)); // not even aligned
    expect(refusal(() => arena.freeBlock(view.byteOffset, 33))).toEqual(['ERR_BAD_ARGUMENT', `wasm arena: 33 bytes to free at byte ${view.byteOffset}, but its block holds 32`]);
    expect(refusal(() => arena.freeBlock(arena.base, 16))).toEqual(nothing(arena.base)); // its block would start below base
    expect(refusal(() => arena.freeBlock(view.byteOffset + 32 + 16, 16))).toEqual(nothing(view.byteOffset + 48)); // at the top
    arena.freeBlock(view.byteOffset, 32);
    expect(refusal(() => arena.free(view))).toEqual(nothing(view.byteOffset));
    expect(arena.stats().usedBytes).toBe(0);
  });

  it('refuses to free a block header forged in bytes it does not own: below the base, unaligned, for another payload, at the top', () => {
    const { arena, memory } = arenaOf(1000); // the static data is [0, 1000)
    const LIVE = 0x4c495645;
    const nothing = (address: number) => ['ERR_BAD_ARGUMENT', `wasm arena: nothing allocated starts at byte ${address} (freed already, or a subarray); free the array allocFloats returned, once`];
    const user = arena.allocInts(32); // a caller's array of 128 bytes, which it may fill with anything
    const p = user.byteOffset;
    // Each forged header [class 0, LIVE, payload, next 0] passes every other check; the one named refuses it.
    new Uint32Array(memory.buffer).set([0, LIVE, 512, 0], 496 / 4); // in the static data: its block starts below the base
    expect(refusal(() => arena.freeBlock(512, 16))).toEqual(nothing(512));
    user.set([0, LIVE, p + 20, 0], 1); // at p + 4, for a payload at p + 20: not 16-byte aligned
    expect(refusal(() => arena.freeBlock(p + 20, 16))).toEqual(nothing(p + 20));
    user.set([0, LIVE, p + 48, 0], 4); // at p + 16, saying its payload is at p + 48, not p + 32
    expect(refusal(() => arena.freeBlock(p + 32, 16))).toEqual(nothing(p + 32));
    const top = arena.base + arena.stats().highWaterBytes;
    expect(top).toBe(p + 128);
    user.set([0, LIVE, top, 0], 28); // the payload's last 16 bytes, for a payload at the top
    expect(refusal(() => arena.freeBlock(top, 16))).toEqual(nothing(top));
    expect(arena.stats().usedBytes).toBe(BLOCK_HEADER + 128); // nothing was freed
  });

  it('frees a block of the first class above the exact ones (288 bytes, class 16) back to zero bytes in use', () => {
    const { arena } = arenaOf();
    const view = arena.allocFloats(72); // 288 bytes: 18 units → m = 9, s = 1
    expect(sizeClass(288)).toEqual({ index: 16, blockBytes: 288 });
    expect(arena.stats().usedBytes).toBe(BLOCK_HEADER + 288);
    arena.free(view);
    expect(arena.stats().usedBytes).toBe(0);
  });

  it('never reads the static data below its header as a free list: a fresh block leaves its class\'s list empty', () => {
    const { arena, memory } = arenaOf(1000);
    new Uint32Array(memory.buffer)[3] = 4096; // bytes 12–15 of the module's static data (the kernels' math tables are not zero)
    const first = arena.allocFloats(4);
    const second = arena.allocFloats(4); // class 0 again: still from the top
    expect([first.byteOffset, second.byteOffset]).toEqual([arena.base + BLOCK_HEADER, arena.base + 2 * BLOCK_HEADER + 16]);
  });

  it("reads and writes block headers in pages another handle's view has not seen yet (a worker after the memory grew)", () => {
    const LIVE = 0x4c495645;
    const fillFirstPage = (arena: WasmArena, base: number) => {
      // Exact class sizes from the base (848) to the end of the first page: 848 + Σ (16 + bytes) = 65,536.
      for (const bytes of [32_768, 16_384, 8192, 4096, 2048, 1024, 64]) arena.allocate(bytes);
      expect(base + arena.stats().highWaterBytes).toBe(WASM_PAGE_BYTES);
    };
    // A fresh block: the handle grows the memory itself, and writes the block's header in the new page.
    {
      const { arena, memory, base } = arenaOf(0, 1, 8);
      const other = WasmArena.attach(memory, 0, 8); // sees the first page
      fillFirstPage(arena, base);
      const fresh = other.allocFloats(4);
      expect(fresh.byteOffset).toBe(WASM_PAGE_BYTES + BLOCK_HEADER);
      expect(Array.from(new Uint32Array(memory.buffer, WASM_PAGE_BYTES, 4))).toEqual([0, LIVE, WASM_PAGE_BYTES + BLOCK_HEADER, 0]);
      other.free(fresh);
    }
    // A reused block: another handle grew the memory and freed two blocks there; the next-free link is read in the new page.
    {
      const { arena, memory, base } = arenaOf(0, 1, 8);
      const other = WasmArena.attach(memory, 0, 8); // sees the first page
      fillFirstPage(arena, base);
      const x = arena.allocFloats(4); // block at 65,536: this handle grows the memory
      const z = arena.allocFloats(4); // block at 65,568
      arena.free(z);
      arena.free(x); // class 0's list: x's block, then z's
      expect(other.allocFloats(4).byteOffset).toBe(x.byteOffset);
      expect(other.allocFloats(4).byteOffset).toBe(z.byteOffset);
    }
  });

  it("refuses with ERR_OUT_OF_MEMORY when the memory cannot grow (its own maximum is lower than the arena's), moving nothing", () => {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
    const arena = WasmArena.create(memory, 0, 4); // told 4 pages; the memory stops at 2
    const error = (() => {
      try {
        arena.allocate(2 * WASM_PAGE_BYTES); // its block ends in page 3: needs 3 pages, asks for 3
      } catch (caught) {
        return caught as XcnnError;
      }
      throw new Error('accepted');
    })();
    expect([error.code, error.message]).toEqual(['ERR_OUT_OF_MEMORY', `the wasm backend could not grow its memory to ${3 * WASM_PAGE_BYTES} bytes`]);
    expect(error.cause).toBeInstanceOf(RangeError);
    expect([memory.buffer.byteLength, arena.stats().highWaterBytes]).toEqual([WASM_PAGE_BYTES, 0]);
  });

  it('takes the memory as grown when its grow fails because another thread grew it first', () => {
    const real = new WebAssembly.Memory({ initial: 1, maximum: 4, shared: true });
    // A grow that loses the race: the other thread's growth lands, then this one's call fails.
    const racing = { get buffer() { return real.buffer; }, grow: (pages: number) => { real.grow(pages); throw new RangeError('grown meanwhile'); } };
    const arena = WasmArena.create(racing, 0, 4);
    const address = arena.allocate(2 * WASM_PAGE_BYTES); // needs exactly 3 pages: the other thread's growth gives 3
    expect([address, real.buffer.byteLength]).toEqual([848 + BLOCK_HEADER, 3 * WASM_PAGE_BYTES]);
  });

  it('puts its header anywhere the static data ends, up to the end of the first page', () => {
    const { arena, base } = arenaOf(60_000, 1, 2); // header [60,000, 60,848), base 60,848: 4,688 bytes left in the page
    expect(base).toBe(60_848);
    expect(arena.allocFloats(4).byteOffset).toBe(60_864);
    expect(arena.stats()).toMatchObject({ usedBytes: 32, highWaterBytes: 32 });
  });

  it('refuses a length that is not a whole number ≥ 0, and a view outside its allocations', () => {
    const { arena } = arenaOf();
    const view = arena.allocFloats(4);
    for (const length of [-1, 1.5, Number.NaN, 2 ** 53]) {
      expect(refusal(() => arena.allocFloats(length))).toEqual(['ERR_BAD_ARGUMENT', `allocFloats: length must be a non-negative integer, got ${length}`]);
      expect(refusal(() => arena.allocInts(length))).toEqual(['ERR_BAD_ARGUMENT', `allocInts: length must be a non-negative integer, got ${length}`]);
    }
    const top = view.byteOffset + 16;
    expect(Array.from(arena.viewFloats(view.byteOffset, 4))).toEqual([0, 0, 0, 0]); // up to the top exactly
    expect(arena.viewFloats(arena.base, 0).length).toBe(0);
    expect(refusal(() => arena.viewFloats(view.byteOffset, 5))).toEqual(['ERR_BAD_ARGUMENT', `wasm arena: [${view.byteOffset}, ${top + 4}) is not inside the arena's allocations`]);
    expect(refusal(() => arena.viewInts(arena.base - 4, 1))).toEqual(['ERR_BAD_ARGUMENT', `wasm arena: [${arena.base - 4}, ${arena.base}) is not inside the arena's allocations`]);
    expect(refusal(() => arena.viewInts(0.5, 1))).toEqual(['ERR_BAD_ARGUMENT', "wasm arena: [0.5, 4.5) is not inside the arena's allocations"]);
  });
});

describe('sizeClass', () => {
  it('is exact up to 256 bytes in 16-byte steps, then 8 classes per doubling: worked examples', () => {
    // [bytes, class, block bytes]: u = ⌈bytes/16⌉; u ≤ 16 → class u − 1; else u rounded up to m·2^s, m in 9 … 16.
    const table: Array<[number, number, number]> = [
      [1, 0, 16], [16, 0, 16], [17, 1, 32], [256, 15, 256], [257, 16, 288], [288, 16, 288], [289, 17, 320],
      [512, 23, 512], [513, 24, 576], [1024, 31, 1024], [1025, 32, 1152], [4096, 47, 4096], [2 ** 32, 207, 2 ** 32],
    ];
    for (const [bytes, index, blockBytes] of table) expect([bytes, sizeClass(bytes)]).toEqual([bytes, { index, blockBytes }]);
    expect(sizeClass(0)).toEqual({ index: 0, blockBytes: 16 }); // at least one unit
  });
});
