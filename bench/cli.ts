/**
 * The CLI as a user meets it: how long `xcnn evaluate` takes to start (a run on one test image, so
 * the time is start-up: Node, reading MNIST, compiling the kernels, starting the threads), and the peak
 * resident memory of a training run (what `xcnn train` records in metrics.json), on a subset so the bench
 * stays short — memory is set by the data and the buffers, not by the number of steps. And what the bundled
 * command (scripts/bundle-cli.mjs) saves: `xcnn --version` loaded from the bundle and from the modules,
 * alternately in one run, so the ratio holds on a busy machine.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/files/package-root.js';
import { significant, type BenchGroup, type BenchRow } from './bench-group.js';
import { median } from './training-step.js';

const STARTS = 5;
const VERSION_PAIRS = 15;

/** Wall time of `xcnn --version` with the command loaded from `entry` (a file of dist/src/cli), in ms. */
function versionFrom(entry: string): number {
  const started = performance.now();
  const script = `const { main } = await import(${JSON.stringify(pathToFileURL(entry).href)}); process.exitCode = await main(['--version']);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`xcnn --version from ${entry} failed: ${result.stderr}`);
  return performance.now() - started;
}

function xcnn(args: string[], cwd: string): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, [join(packageRoot(), 'bin', 'xcnn.js'), ...args], { cwd, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`xcnn ${args.join(' ')} failed: ${result.stderr}`);
  return performance.now() - started;
}

export const cliGroup: BenchGroup = {
  name: 'CLI',
  description: `start-up of xcnn evaluate (median of ${STARTS} runs on 1 test image) and peak resident memory of xcnn train (6,400 images, 1 epoch, the default threads)`,
  async run() {
    const work = mkdtempSync(join(tmpdir(), 'xcnn-bench-cli-'));
    try {
      xcnn(['train', '--limit', '6400', '--test-limit', '1000', '--epochs', '1', '--out', 'run'], work);
      const metrics = JSON.parse(readFileSync(join(work, 'run', 'metrics.json'), 'utf8'));
      const starts = Array.from({ length: STARTS }, () => xcnn(['evaluate', '--model', join('run', 'model.safetensors'), '--test-limit', '1'], work));
      const cli = join(packageRoot(), 'dist', 'src', 'cli');
      const bundled: number[] = [];
      const asModules: number[] = [];
      for (let pair = 0; pair < VERSION_PAIRS; pair++) {
        bundled.push(versionFrom(join(cli, 'xcnn-bundle.js')));
        asModules.push(versionFrom(join(cli, 'main.js')));
      }
      const rows: BenchRow[] = [
        { measure: 'xcnn evaluate start-up (1 test image)', value: significant(median(starts) / 1000), unit: 's', target: null },
        { measure: 'xcnn --version, the bundled command', value: significant(median(bundled) / 1000), unit: 's', target: null },
        { measure: 'xcnn --version, the command as modules', value: significant(median(asModules) / 1000), unit: 's', target: null },
        { measure: 'start-up saved by the bundle (modules ÷ bundle)', value: significant(median(asModules) / median(bundled)), unit: '×', target: null },
        { measure: 'xcnn train peak resident memory', value: metrics.peakResidentMB, unit: 'MB', target: '< 400 MB' },
      ];
      return rows;
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  },
};
