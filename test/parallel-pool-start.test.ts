/**
 * How ThreadPool.create starts its workers and close() ends them, on threads the test plays in place of
 * node-transport.ts's (vi.mock): the setup each worker is given (its number, the shared arrays' addresses, the
 * settings it builds its twin and its Adam from), the pool waiting for every thread and letting idle ones not
 * keep the process alive, a thread that fails to start ending the others and giving back what the pool took,
 * and close() posting EXIT. The thread count's default comes from the cores the transport reports. A pool of
 * MAX_THREADS totals a step over every thread, 63 of them played in this thread (their reports and barriers).
 * Threads spin before they sleep only while they are no more than the cores.
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createWasmBackend } from '../src/backend/wasm/node.js';
import type { WasmBackend } from '../src/backend/wasm/wasm-backend.js';
import { XcnnError } from '../src/errors.js';
import { createNetwork, type Network } from '../src/model/network.js';
import { Command, COMMAND, COMPUTED, ControlBlock, CORRECT, GENERATION, LOSS, MAX_THREADS, SPIN, SPIN_MICROSECONDS, UPDATED } from '../src/parallel/control.js';
import type { Shard } from '../src/parallel/shard.js';
import type { PoolThread } from '../src/parallel/pool-thread.js';
import { defaultThreads, ThreadPool } from '../src/parallel/thread-pool.js';
import type { WorkerSetup } from '../src/parallel/worker.js';
import { Random } from '../src/random.js';
import { Adam, ADAM_DEFAULTS } from '../src/train/adam.js';
import { Sgd } from '../src/train/sgd.js';
import { rejection } from './errors.js';

/** What the played threads saw and did. */
const played = vi.hoisted(() => ({
  cores: 4,
  setups: [] as WorkerSetup[],
  events: [] as string[],
  failing: null as number | null, // the thread whose start fails
  exitedCommand: [] as number[], // the command in the control block when each thread was told to exit
}));

vi.mock('../src/parallel/node-transport.js', () => ({
  availableCores: () => played.cores,
  startPoolThread: (setup: WorkerSetup): PoolThread => {
    played.setups.push(setup);
    const thread = setup.thread;
    let markExited!: () => void;
    const exited = new Promise<void>((resolve) => (markExited = resolve));
    const ready = thread === played.failing ? Promise.reject(new XcnnError(`thread ${thread} could not start`, { code: 'ERR_SETUP' })) : Promise.resolve();
    ready.catch(() => {});
    return {
      ready,
      exited: exited.then(() => {
        played.events.push(`${thread} exited`);
      }),
      keepAlive: (alive) => {
        played.events.push(`${thread} keepAlive ${alive}`);
        // close() refs the threads, then posts EXIT: a played thread exits once it sees it.
        if (alive) queueMicrotask(() => {
          played.exitedCommand.push(Atomics.load(new ControlBlock(setup.control).sync, COMMAND));
          markExited();
        });
      },
      terminate: async () => {
        played.events.push(`${thread} terminated`);
        markExited();
      },
    };
  },
}));

const SPEC = 'conv(3,3) relu maxpool(2) flatten linear(4)';
const GEOMETRY = { channels: 1, height: 8, width: 8, classes: 4 };

async function networkOf(): Promise<Network> {
  const network = createNetwork(await createWasmBackend(), SPEC, GEOMETRY);
  network.initialize(new Random(1));
  return network;
}

beforeEach(() => {
  played.setups = [];
  played.events = [];
  played.failing = null;
  played.exitedCommand = [];
});

describe('defaultThreads', () => {
  it('is the cores the transport reports, from 1 to MAX_THREADS', () => {
    for (const [cores, threads] of [[4, 4], [1, 1], [0, 1], [64, 64], [65, 64], [200, 64]]) {
      played.cores = cores;
      expect(defaultThreads()).toBe(threads);
    }
  });
});

describe('ThreadPool.create on played threads', () => {
  it('gives each worker its number, the thread count, the network\'s spec, geometry and arrays, the run\'s seed, Adam\'s settings and label smoothing', async () => {
    const network = await networkOf();
    const settings = { ...ADAM_DEFAULTS, learningRate: 0.004, beta1: 0.8 };
    const optimizer = new Adam(network, settings);
    const pool = await ThreadPool.create(network, 3, optimizer, 17, 0.25);
    expect(played.setups.map((s) => [s.thread, s.threads])).toEqual([[1, 3], [2, 3]]);
    const backend = network.backend as WasmBackend;
    for (const setup of played.setups) {
      expect(setup.shared).toBe(backend.shared);
      expect(setup.spec).toBe(SPEC);
      expect(setup.geometry).toEqual(GEOMETRY);
      expect(setup.seed).toBe(17);
      expect(setup.adam).toBe(optimizer.settings);
      expect(setup.labelSmoothing).toBe(0.25);
      expect(setup.parameterCount).toBe(network.params.length);
      expect(setup.bufferCount).toBe(network.buffers.length);
      expect(setup.addresses.params).toBe(network.params.byteOffset);
      expect(setup.addresses.m).toBe(optimizer.m.byteOffset);
      expect(setup.addresses.v).toBe(optimizer.v.byteOffset);
      expect(setup.addresses.buffers).toBe(network.buffers.byteOffset);
      expect(setup.addresses.grads.length).toBe(3);
      expect(setup.addresses.grads[0]).toBe(network.grads.byteOffset);
    }
    expect(played.setups[0].control).toBe(played.setups[1].control);
    // The workers' own gradient arenas: distinct, each the network's length, in the pool's memory.
    const [, g1, g2] = played.setups[0].addresses.grads;
    expect(played.setups[1].addresses.grads).toEqual(played.setups[0].addresses.grads);
    expect(new Set([network.grads.byteOffset, g1, g2]).size).toBe(3);
    for (const address of [g1, g2]) expect(backend.viewFloats(address, network.params.length).length).toBe(network.params.length);
    expect(played.events).toEqual(['1 keepAlive false', '2 keepAlive false']); // idle threads do not keep the process alive
    expect(pool.threads).toBe(3);

    await pool.close();
    expect(played.events.slice(2, 4)).toEqual(['1 keepAlive true', '2 keepAlive true']);
    expect(played.events.slice(4).sort()).toEqual(['1 exited', '2 exited']);
    expect(played.exitedCommand).toEqual([Command.EXIT, Command.EXIT]);
    expect(new ControlBlock(played.setups[0].control).sync[GENERATION]).toBe(1);
    // A second close does nothing: no EXIT posted again, nothing given back twice (the arena would refuse it).
    await pool.close();
    expect(new ControlBlock(played.setups[0].control).sync[GENERATION]).toBe(1);
    expect(played.events.length).toBe(6);
  });

  it('gives an optimiser other than plain Adam, or none, the parameters in the moments\' place and Adam\'s defaults', async () => {
    for (const optimizer of [null, 'sgd'] as const) {
      played.setups = [];
      const network = await networkOf();
      const pool = await ThreadPool.create(network, 2, optimizer === null ? null : new Sgd(network, { learningRate: 0.1, momentum: 0, nesterov: false, weightDecay: 0 } as never));
      const [setup] = played.setups;
      expect(setup.addresses.m).toBe(network.params.byteOffset);
      expect(setup.addresses.v).toBe(network.params.byteOffset);
      expect(setup.adam).toEqual(ADAM_DEFAULTS);
      expect(setup.seed).toBe(0); // the defaults: seed 0, no label smoothing
      expect(setup.labelSmoothing).toBe(0);
      await pool.close();
    }
  });

  it('lets its threads spin SPIN_MICROSECONDS before they sleep while they fit on the cores, and never once they outnumber them', async () => {
    for (const [cores, threads, spin] of [[4, 4, SPIN_MICROSECONDS], [4, 2, SPIN_MICROSECONDS], [4, 5, 0], [1, 2, 0]]) {
      played.cores = cores;
      played.setups = [];
      const pool = await ThreadPool.create(await networkOf(), threads);
      expect(new ControlBlock(played.setups[0].control).sync[SPIN], `${threads} threads on ${cores} cores`).toBe(spin);
      await pool.close();
    }
    expect(SPIN_MICROSECONDS).toBe(1000);
  });

  it('starts no thread for a pool of one', async () => {
    const network = await networkOf();
    const pool = await ThreadPool.create(network, 1);
    expect(played.setups).toEqual([]);
    await pool.close();
    expect(played.events).toEqual([]);
  });

  it('totals a step over all MAX_THREADS threads and nothing past the last: 64 threads, 63 of them played', async () => {
    const network = await networkOf();
    const optimizer = new Adam(network);
    const pool = await ThreadPool.create(network, MAX_THREADS, optimizer);
    expect(pool.threads).toBe(64);
    const { shard, workerGrads, control } = pool as unknown as { shard: Shard; workerGrads: Float32Array[]; control: ControlBlock };
    for (const grads of workerGrads) grads.fill(0); // the played threads' gradients: nothing to add
    // 63 images on 64 threads: thread 0's share is empty (⌊63 / 64⌋ = 0), thread t's is image t − 1. The played
    // thread t reports a loss sum of t / 64 and t mod 2 correct, and arrives at both barriers, as a worker does.
    const computeGradients = shard.computeGradients.bind(shard);
    vi.spyOn(shard, 'computeGradients').mockImplementation((block) => {
      computeGradients(block);
      for (let t = 1; t < MAX_THREADS; t++) {
        block.data[LOSS + t] = t / 64;
        block.data[CORRECT + t] = t % 2;
        block.arrive(COMPUTED);
        block.arrive(UPDATED);
      }
    });
    const backend = network.backend;
    const input = backend.allocFloats(63 * 64);
    const labels = backend.allocInts(63).fill(0);
    const { loss, correct } = pool.run({ input, labels, size: 63 });
    // Σ t / 64 over t = 1 … 63 is 63 · 64 / 2 / 64 = 31.5, over 63 images; the odd t from 1 to 63 are 32.
    expect(loss).toBeCloseTo(0.5, 12);
    expect(correct).toBe(32);
    expect(control.data[LOSS]).toBe(0);
    expect(optimizer.step).toBe(1);
    await pool.close();
  });

  it('a thread that fails to start: the others are ended, the pool\'s arrays given back, and its error raised', async () => {
    const network = await networkOf();
    const backend = network.backend as WasmBackend;
    const optimizer = new Adam(network);
    const before = backend.memoryStats().usedBytes;
    played.failing = 2;
    const error = await rejection(ThreadPool.create(network, 4, optimizer));
    expect(error.message).toBe('thread 2 could not start');
    expect(played.events.sort()).toEqual(['1 exited', '1 terminated', '2 exited', '2 terminated', '3 exited', '3 terminated']);
    expect(backend.memoryStats().usedBytes).toBe(before); // the shard and the workers' gradient arenas are back
  });
});
