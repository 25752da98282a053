// scripts/build-if-stale.mjs — what `npm start`, `npm test`, `npm run bench` and the recipes run first: the
// build, but only the parts whose sources changed since they were built.
//
// Why: `npm install` builds everything (the prepare script), so the quick start's `npm start` found a
// fresh build and made it again — the two kernel builds (asc) and the TypeScript (tsc and the bundle),
// about a minute here, and tsc's 320 MB was the largest process of the whole run. Now each part is built
// when one of its inputs is newer than the oldest of its outputs (or an output is missing), which is
// what make does; `npm run build` still builds everything, always.
//
//   node scripts/build-if-stale.mjs        builds what is stale, says what it skipped
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Each part of the build: the npm script that makes it, what it reads, what it writes (paths from the root). */
export const BUILD_PARTS = [
  {
    script: 'build:wasm',
    inputs: ['assembly', 'asconfig.json'],
    outputs: ['build/kernels.wasm', 'build/kernels-relaxed.wasm'],
  },
  {
    script: 'build:ts',
    inputs: ['src', 'bench', 'scripts/bundle-cli.mjs', 'tsconfig.json'],
    outputs: ['dist/src/cli/main.js', 'dist/src/cli/xcnn-bundle.js', 'dist/src/index.js', 'dist/bench/run.js'],
  },
];

/** The newest modification time (ms) of a file or of any file under a folder; -Infinity if there is none. */
export function newestTime(path) {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    return -Infinity;
  }
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = stats.mtimeMs; // a file removed from the folder changes the folder's own time
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestTime(join(path, entry)));
  return newest;
}

/**
 * Why `part` must be built again under `root`, or null when it is current: a missing output, or the input
 * changed after the oldest output was written.
 */
export function staleReason(root, part) {
  let oldestOutput = Infinity;
  for (const output of part.outputs) {
    const time = newestTime(join(root, output));
    if (time === -Infinity) return `${output} is missing`;
    oldestOutput = Math.min(oldestOutput, time);
  }
  for (const input of part.inputs) {
    if (newestTime(join(root, input)) > oldestOutput) return `${input} changed since the last build`;
  }
  return null;
}

function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  for (const part of BUILD_PARTS) {
    const reason = staleReason(root, part);
    if (reason === null) {
      console.log(`${part.script}: up to date (nothing in ${part.inputs.join(', ')} changed since it ran); skipped — \`npm run build\` builds everything`);
      continue;
    }
    console.log(`${part.script}: ${reason}: building`);
    const run = spawnSync('npm', ['run', part.script], { cwd: root, stdio: 'inherit' });
    if (run.status !== 0) process.exit(run.status ?? 1);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
