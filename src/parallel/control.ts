/**
 * The control block the threads of a pool share: a SharedArrayBuffer with an Int32 part for
 * synchronisation (Atomics.wait/notify — no message is copied per step) and a Float64 part for the
 * numbers a step exchanges. Thread 0 is the main thread; threads 1… are workers.
 *
 *   sync[GENERATION]   bumped by the main thread to start a command; workers wait for it to change
 *   sync[COMMAND]      TRAIN, PREDICT, GRAD_CAM, LOGITS, INPUT_GRADIENTS, CURVES, CAM_MAPS, COALITION_SCORES,
 *                      OCCLUSION_SCORES, MASKED_LOGITS, LIME_FITS, SMOOTHGRAD_MAPS or EXIT
 *   sync[BATCH]        N, the images in this command's batch
 *   sync[COMPUTED]     threads done with their shard (a barrier: the gradient sum needs every shard)
 *   sync[UPDATED]      threads done with their slice of the gradient sum and Adam
 *   sync[FAILED]       0, or 1 + the index of a thread that threw (its message is in the error text)
 *   sync[NEXT]         CURVES: the next request to take; each thread takes one at a time until none is left
 *   sync[SPIN]         µs a thread spins on a barrier or for its next command before it sleeps (set once)
 *   data[ADAM_STEP]    Adam's step count t for this update
 *   data[LEARNING_RATE] its learning rate; data[SUM_ONLY] 1 when another optimiser than plain Adam updates
 *   data[INPUT], data[LABELS], data[PROBS]   byte addresses in the wasm memory of the batch's arrays
 *   data[TARGET], data[OUT_…], data[LAYER]  Grad-CAM's target class, the addresses of its output rows, its block
 *   data[TARGETS], data[RULE]               INPUT_GRADIENTS: the targets' address (int32, −1: predicted), 1 for guided
 *   data[ORDERS], data[SEEDS], data[STEPS], data[ROAD_SIGMA], data[ROAD_TOLERANCE], data[OUT_CURVES]
 *                                           CURVES: the requests' pixel orders, noise seeds, K, ROAD's settings, output
 *   data[CAM_RULE], data[LAYER]             CAM_MAPS: the rule's place in cam-rules.ts, the block's in explainableLayersOf
 *                                           (with TARGETS, which each thread overwrites with the classes chosen, and OUT_MAPS)
 *   data[FEATURE_OF], data[FEATURES], data[COALITIONS], data[OUT_SCORES]
 *                                           COALITION_SCORES: the pixels' patches (int32 [H·W]), M, the coalitions
 *                                           (bytes [N, M]) and the scores (float32 [N]); INPUT is the one image, TARGET its class
 *   data[WINDOW], data[CORNERS]             OCCLUSION_SCORES: w and the windows' corners (int32 [N, 2]); INPUT the B
 *   data[IMAGES], data[IMAGE_STARTS]        images, IMAGE_STARTS their first copies (int32 [B + 1]), TARGETS their classes
 *                                           (int32 [B]); OUT_SCORES as for COALITION_SCORES
 *   data[ACTIVATIONS]                       MASKED_LOGITS: the images' block activations (float64 [B, K, h, w]), the block
 *                                           in LAYER, the logits of the N = B·(K + 1) copies in OUT_LOGITS; INPUT is the B images
 *   data[SAMPLES], data[FIT_SCORES], data[KERNEL_WIDTH], data[LAMBDA], data[OUT_FITS]
 *                                           LIME_FITS: S, the scores (float64 [N, S]), σ, λ and the fits (float64
 *                                           [N, M + 1]); the coalitions (bytes [N, S, M]) in COALITIONS, M in FEATURES
 *   data[SAMPLES], data[NOISE_SIGMA], data[NOISE_STATE …]
 *                                           SMOOTHGRAD_MAPS: S, σ and the noise stream's state (four words) at the
 *                                           batch's first draw; the B images in INPUT, their classes in TARGETS
 *                                           (int32 [B]), the maps (float64 [B, H·W]) in OUT_MAPS
 *   data[LOSS + t], data[CORRECT + t]       thread t's summed loss and correct count for its shard
 *   passes[(t · MAX_DENSE_PASSES + j) · 2 + 0, 1]  TRAIN: the byte addresses of thread t's input and dOutput of
 *                                           its j-th deferred dense layer (shard.ts), for every thread's update phase
 */
import { XcnnError } from '../errors.js';

export const MAX_THREADS = 64;

/**
 * How long, in µs, a thread of the pool spins on a barrier or for its next command before it sleeps in
 * Atomics.wait, when the pool has no more threads than cores (ThreadPool.create sets sync[SPIN]).
 */
export const SPIN_MICROSECONDS = 1000;

export const Command = { TRAIN: 1, PREDICT: 2, GRAD_CAM: 3, EXIT: 4, LOGITS: 5, INPUT_GRADIENTS: 6, CURVES: 7, CAM_MAPS: 8, COALITION_SCORES: 9, OCCLUSION_SCORES: 10, MASKED_LOGITS: 11, LIME_FITS: 12, SMOOTHGRAD_MAPS: 13 } as const;

const SYNC_SLOTS = 16;
const SCALAR_SLOTS = 48;
const DATA_SLOTS = SCALAR_SLOTS + 2 * MAX_THREADS;
const ERROR_BYTES = 2048;
/** The dense layers, at most, whose weight gradients a TRAIN step defers to its update phase (shard.ts). */
export const MAX_DENSE_PASSES = 8;
const PASS_SLOTS = MAX_THREADS * MAX_DENSE_PASSES * 2;

export const GENERATION = 0;
export const COMMAND = 1;
export const BATCH = 2;
export const COMPUTED = 3;
export const UPDATED = 4;
export const FAILED = 5;
export const NEXT = 6; // CURVES: the next request a thread takes (work is handed out, not split: solves vary in cost)
export const SPIN = 7; // µs a thread spins before it sleeps: SPIN_MICROSECONDS, or 0 when the threads outnumber the cores

export const ADAM_STEP = 0;
export const INPUT = 1;
export const LABELS = 2;
export const PROBS = 3;
export const TARGET = 4; // Grad-CAM's target class, or −1 for each image's predicted class; COALITION_SCORES' class
export const OUT_LOGITS = 5; // Grad-CAM's output rows (byte addresses)
export const OUT_WEIGHTS = 6;
export const OUT_MAPS = 7; // (and CAM_MAPS': [N, h·w])
export const OUT_HEATMAPS = 8;
export const LEARNING_RATE = 9; // the rate of this TRAIN's update (a schedule changes it step by step)
export const SUM_ONLY = 10; // 1: the threads only sum the gradients, and the main thread's optimiser updates
export const OUT_GRADIENTS = 11; // INPUT_GRADIENTS: [N, C·H·W] rows (logits go to OUT_LOGITS)
export const TARGETS = 12; // INPUT_GRADIENTS and CURVES: int32 [N] classes (−1: the predicted class)
export const RULE = 13; // INPUT_GRADIENTS: 0 ordinary, 1 guided
export const ORDERS = 14; // CURVES: int32 [N, H·W] pixel orders
export const SEEDS = 15; // CURVES: int32 [N] ROAD noise seeds (as unsigned)
export const STEPS = 16; // CURVES: K
export const ROAD_SIGMA = 17;
export const ROAD_TOLERANCE = 18;
export const OUT_CURVES = 19; // CURVES: float32 [N, 4, K + 1]
export const CAM_RULE = 20; // CAM_MAPS: the rule's index in CAM_RULES (cam-rules.ts)
export const LAYER = 21; // GRAD_CAM and CAM_MAPS: the explained block's index in explainableLayersOf
export const FEATURE_OF = 22; // COALITION_SCORES: int32 [H·W], every pixel's patch
export const FEATURES = 23; // COALITION_SCORES: M
export const COALITIONS = 24; // COALITION_SCORES: bytes [N, M], 1 where the patch is kept
export const OUT_SCORES = 25; // COALITION_SCORES and OCCLUSION_SCORES: float32 [N], y_c of every copy
export const WINDOW = 26; // OCCLUSION_SCORES: the window's side w
export const CORNERS = 27; // OCCLUSION_SCORES: int32 [N, 2], each window's top-left corner (y0, x0)
export const ACTIVATIONS = 28; // MASKED_LOGITS: float64 [B, K, h, w], the activations the masks are made from
export const SAMPLES = 29; // LIME_FITS: S, the coalitions an image
export const FIT_SCORES = 30; // LIME_FITS: float64 [N, S], the coalitions' scores
export const OUT_FITS = 31; // LIME_FITS: float64 [N, M + 1], each image's β then its intercept
export const KERNEL_WIDTH = 32; // LIME_FITS: σ
export const LAMBDA = 33; // LIME_FITS: λ
export const IMAGE_STARTS = 34; // OCCLUSION_SCORES: int32 [B + 1], image b's copies are starts[b] … starts[b + 1] − 1
export const IMAGES = 35; // OCCLUSION_SCORES: B, the images INPUT holds (TARGETS their classes, int32 [B])
export const NOISE_SIGMA = 36; // SMOOTHGRAD_MAPS: σ
export const NOISE_STATE = 37; // SMOOTHGRAD_MAPS: 37 … 40, the noise stream's four state words at the batch's first draw
export const LOSS = SCALAR_SLOTS;
export const CORRECT = SCALAR_SLOTS + MAX_THREADS;

export class ControlBlock {
  readonly sync: Int32Array;
  readonly data: Float64Array;
  readonly passes: Uint32Array; // byte addresses: the memory may reach 4 GiB
  private readonly errorText: Uint8Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SYNC_SLOTS * 4 + DATA_SLOTS * 8 + PASS_SLOTS * 4 + ERROR_BYTES)) {
    this.sync = new Int32Array(buffer, 0, SYNC_SLOTS);
    this.data = new Float64Array(buffer, SYNC_SLOTS * 4, DATA_SLOTS);
    this.passes = new Uint32Array(buffer, SYNC_SLOTS * 4 + DATA_SLOTS * 8, PASS_SLOTS);
    this.errorText = new Uint8Array(buffer, SYNC_SLOTS * 4 + DATA_SLOTS * 8 + PASS_SLOTS * 4, ERROR_BYTES);
  }

  /** Counts this thread in at a barrier slot and wakes whoever waits on it. */
  arrive(slot: number): void {
    Atomics.add(this.sync, slot, 1);
    Atomics.notify(this.sync, slot);
  }

  /**
   * Blocks until `count` threads have arrived at `slot`. A thread that fails still arrives (so nobody
   * hangs); a thread that died outright never does, hence the time limit.
   */
  waitFor(slot: number, count: number, timeoutMs = 120_000): void {
    if (this.spinWhile(() => Atomics.load(this.sync, slot) < count)) return;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const arrived = Atomics.load(this.sync, slot);
      if (arrived >= count) return;
      if (performance.now() > deadline) throw new XcnnError(`a worker thread stopped responding (${arrived} of ${count} threads arrived)`, { code: 'ERR_SETUP' });
      Atomics.wait(this.sync, slot, arrived, 1000);
    }
  }

  /**
   * Spins for at most sync[SPIN] µs while `busy()` holds; true once it no longer holds. A thread asleep in
   * Atomics.wait takes a futex wake-up to resume (tens of µs to milliseconds on a shared virtual machine), paid
   * at every barrier and every command; one still spinning sees the count arrive at once. Threads that
   * outnumber the cores do not spin: they would take the core from the thread they wait for.
   */
  spinWhile(busy: () => boolean): boolean {
    const until = performance.now() + Atomics.load(this.sync, SPIN) / 1000;
    while (busy()) if (performance.now() >= until) return false;
    return true;
  }

  /** Records the first failure: which thread, and its message. */
  fail(thread: number, message: string): void {
    if (Atomics.compareExchange(this.sync, FAILED, 0, thread + 1) !== 0) return;
    const bytes = new TextEncoder().encode(message).subarray(0, ERROR_BYTES);
    this.errorText.fill(0);
    this.errorText.set(bytes);
  }

  /** Throws the recorded failure, if any. */
  throwIfFailed(): void {
    const failed = Atomics.load(this.sync, FAILED);
    if (failed === 0) return;
    const text = new TextDecoder().decode(this.errorText.slice()).replace(/\0+$/, '');
    throw new XcnnError(`worker thread ${failed - 1} failed: ${text}`, { code: 'ERR_SETUP' });
  }
}

/** Thread t's contiguous share [start, end) of n items split over `threads` threads. */
export function shareOf(n: number, threads: number, t: number, alignment = 1): [number, number] {
  const cut = (k: number) => (k === threads ? n : Math.min(n, Math.floor((k * n) / threads / alignment) * alignment));
  return [cut(t), cut(t + 1)];
}
