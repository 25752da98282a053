/**
 * How fast an image folder loads: writes MNIST training images as PNG files into a temporary folder
 * (DIR/<digit>/NNNNN.png, 28 × 28 grey, as a user's exported MNIST would be), then times loadImageFolder
 * on it with each thread count asked for, and a CPU profile of the one-thread decode if asked.
 *
 *   node dist/bench/image-folder-decode.js [images] [threads,…] [--keep DIR] [--profile]
 *       (default 20000 images, thread counts 1 and the cores there are)
 *
 * Prints, per thread count: wall time, the process's CPU time (all threads: process.cpuUsage counts the
 * workers too), images per wall second and per CPU second, and the peak resident set so far. Every run
 * must give the same bytes: the image and label arrays are compared with the first run's.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector';
import { loadDataset } from '../src/data/dataset-files.js';
import { loadImageFolder } from '../src/data/image-folder-files.js';
import { PNG } from 'pngjs';
import { defaultThreads } from '../src/parallel/thread-pool.js';

function writeFolder(dir: string, images: number): void {
  const { train } = loadDataset();
  const pixels = train.height * train.width;
  for (let digit = 0; digit < 10; digit++) mkdirSync(join(dir, String(digit)), { recursive: true });
  for (let n = 0; n < Math.min(images, train.count); n++) {
    const rgba = new Uint8Array(pixels * 4);
    for (let p = 0; p < pixels; p++) {
      const v = train.images[n * pixels + p];
      rgba.set([v, v, v, 255], 4 * p);
    }
    // 8-bit grey PNGs, as MNIST exported to PNG usually is.
    const png = PNG.sync.write({ width: train.width, height: train.height, data: Buffer.from(rgba.buffer) } as PNG, { colorType: 0, inputColorType: 6, inputHasAlpha: true });
    writeFileSync(join(dir, String(train.labels[n]), `${String(n).padStart(5, '0')}.png`), png);
  }
}

function timeLoad(dir: string, threads: number) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const loaded = loadImageFolder(dir, { channels: 1, threads });
  const wall = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { loaded, wall, cpu: (used.user + used.system) / 1e6 };
}

async function profile(dir: string): Promise<void> {
  const session = new Session();
  session.connect();
  const post = (method: string, params?: object) => new Promise<any>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
  await post('Profiler.enable');
  await post('Profiler.start');
  loadImageFolder(dir, { channels: 1, threads: 1 });
  const { profile } = await post('Profiler.stop');
  // Self time per function, the top 15.
  const self = new Map<string, number>();
  const interval = (profile.endTime - profile.startTime) / Math.max(1, profile.samples.length);
  const byId = new Map<number, any>(profile.nodes.map((node: any) => [node.id, node]));
  for (const id of profile.samples) {
    const frame = byId.get(id).callFrame;
    const key = `${frame.functionName || '(anonymous)'} ${frame.url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|dist)\//, '')}:${frame.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + interval);
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  console.log('\nCPU profile of the one-thread load, self time:');
  for (const [key, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const keepAt = args.indexOf('--keep');
  const keep = keepAt >= 0 ? args.splice(keepAt, 2)[1] : undefined;
  const wantProfile = args.includes('--profile');
  const [imagesText, threadsText] = args.filter((arg) => arg !== '--profile');
  const images = Number(imagesText ?? 20_000);
  const threadCounts = (threadsText ?? `1,${defaultThreads()}`).split(',').map(Number);
  const dir = keep ?? mkdtempSync(join(tmpdir(), 'xcnn-decode-'));
  try {
    if (!existsSync(join(dir, '0'))) {
      const started = performance.now();
      writeFolder(dir, images);
      console.log(`wrote ${images} PNGs to ${dir} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    let first: ReturnType<typeof timeLoad>['loaded'] | undefined;
    for (const threads of threadCounts) {
      const { loaded, wall, cpu } = timeLoad(dir, threads);
      const count = loaded.dataset.train.count + loaded.dataset.test.count;
      const same = first === undefined || (Buffer.compare(first.dataset.train.images, loaded.dataset.train.images) === 0 && Buffer.compare(first.dataset.test.images, loaded.dataset.test.images) === 0 && Buffer.compare(first.dataset.train.labels as Uint8Array, loaded.dataset.train.labels as Uint8Array) === 0);
      first ??= loaded;
      const rss = Math.round(process.resourceUsage().maxRSS / 1024);
      console.log(
        `threads ${threads}: ${count} images, wall ${wall.toFixed(2)} s, CPU ${cpu.toFixed(2)} s; ${Math.round(count / wall)} images/s, ` +
          `${Math.round(count / cpu)} images per CPU-second; peak RSS ${rss} MB${same ? '' : '; DIFFERENT BYTES from the first run'}`,
      );
    }
    if (wantProfile) await profile(dir);
  } finally {
    if (keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

await main();
